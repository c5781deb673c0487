"""The transfer-readiness note (PRODUCT.md §6): will a course's learning reach the team's practice?

The guide (strategisk-efteruddannelse-guide.txt) names twelve factors that promote transfer. Some
show in a course's own design (practice coupling, alternation between teaching and practice,
supervision and feedback, action learning, explicit learning goals, training in transfer); the rest
must come from the workplace (leader involvement, a learning conversation before start, colleagues
attending together, time to use it soon, follow-up after). The cue file
`matcher/data/transfer_cues.yaml` says how each is recognised and what to do about it.

Score, 0–100::

    score = Σ weight(f) over course-side factors f the course shows
          + Σ weight(f) over workplace factors f its design enables

A course-side factor is shown when one of its phrases occurs in the title, description or learning
goals (not just after "ingen", "uden", "ikke" in the same clause), or one of its hints holds (e.g.
a diploma or academy module with an assignment, a non-empty list of learning goals). A workplace
factor is enabled only through the design: "colleagues attending together" when the course is
rekvirerbar, or when several learners share the gap and the course can be held on site. The other
workplace factors cannot be known from a course, carry weight 0 and are always listed as missing
(where the course asks for one, such as "lederen deltager den første dag", the note says so),
each with actions. The weights add up to 100 (checked at load), so a score reads as the share of
what a course's design can contribute. The bundled weights: practice coupling 20, alternation 15,
supervision/feedback 15, training in transfer 12, action learning 10, explicit learning goals 10,
reflection on theory and practice 8, colleagues together 10. A diploma module with cases from own
practice, assignments between sessions, supervision and learning goals scores 60; a one-day
lecture without learning goals 0. `transfer_score` gives the score alone, for ranking many courses.

Steps before, during and after carry the 30-30-40 weights of the taxonomy's rule; their actions
are the cue file's, chosen by what is missing, the number of learners, the gap's level and its
dimension (whose learning forms come from the taxonomy). Same input, same note: everything follows
the order of the cue file and the taxonomy.
"""

from __future__ import annotations

import functools
import re
import string
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr, StringConstraints, ValidationError, field_validator, model_validator

from matcher.course import Course, CourseType, Form
from matcher.data_files import DataFileError, describe, line_of, read_yaml
from matcher.taxonomy import LEVELS, Level, Taxonomy
from matcher.text import listed, upper_first

DEFAULT_CUES = Path(__file__).resolve().parent / "data" / "transfer_cues.yaml"
PHASES: tuple[str, ...] = ("before", "during", "after")
TOTAL_WEIGHT = 100
MAX_EVIDENCE_CHARS = 80
SHORT_MATCH_CONTEXT_WORDS = 6  # at most this many words of context after a one-word match
ACTION_PLACEHOLDERS = frozenset({"who", "learners", "topic", "level", "forms", "title"})
EVIDENCE_PLACEHOLDERS = frozenset({"goals", "learners"})

Side = Literal["course", "workplace"]
Phase = Literal["before", "during", "after"]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Key = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]


class TransferCuesError(DataFileError):
    """The cue file cannot be used; the message names the file, the key and what to fix."""


# --- the public result ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TransferContext:
    """The team context a course is assessed in."""

    field: str | None = None  # gap field key, e.g. "lov_myndighed"
    level: str | None = None  # "grundlaeggende" | "specialiseret"
    dimension: str | None = None  # the gap's dominant dimension: "praktisk" | "refleksiv" | "relationel"
    learners: int = 1  # how many in the team share the gap
    leaders: int = 0  # how many of them are the team's leaders (an assessment's or a survey's role column)


class TransferFactor(BaseModel):
    """A transfer factor as found (or not) for a course; `side` says where it must come from."""

    key: str
    label: str
    side: Side
    evidence: str | None = None  # the course's own words (or the design fact) that show it
    inferred: bool = Field(default=False, description="The evidence is read from the course's facts (its type, form, "
                           "learning goals), not quoted from its words.")
    from_team: bool = Field(default=False, description="The evidence is what the user said of the learners (a leader "
                            "among them), not the course's.")
    invited: str | None = None  # missing workplace factor: the course's words that ask for it


class PhaseSteps(BaseModel):
    """What to do in one phase: before, during or after the course."""

    weight: int  # share of the effort, from the 30-30-40 rule
    label: str  # "Før" | "Under" | "Efter"
    actions: list[str]


class TransferAssessment(BaseModel):
    """The transfer-readiness note for one course in its team context."""

    score: int = Field(ge=0, le=100)
    factors_present: list[TransferFactor]
    factors_missing: list[TransferFactor]
    note: str
    steps: dict[str, PhaseSteps]  # "before", "during", "after", in that order
    learning_forms: list[str]


# --- the cue file --------------------------------------------------------------------------------


def _regex(value: str) -> str:
    try:
        pattern = re.compile(_anchored(value))
    except re.error as exc:
        raise ValueError(f"bad regular expression {value!r}: {exc}") from None
    if pattern.match(""):
        raise ValueError(f"the regular expression {value!r} matches empty text, so it would be found in every course")
    return value


def _anchored(phrase: str) -> str:
    # At the start of a word, open at the end: Danish inflects by suffix ("supervisionen").
    return rf"(?<!\w)(?:{phrase})"


def _placeholders(text: str) -> list[str]:
    try:
        return [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    except ValueError as exc:
        raise ValueError(f"bad placeholder in {text!r}: {exc} (write {{{{ for a literal brace)") from None


def _check_placeholders(text: str, allowed: frozenset[str]) -> None:
    unknown = [name for name in _placeholders(text) if name not in allowed]
    if unknown:
        raise ValueError(f"unknown placeholder {{{unknown[0]}}}; allowed: {', '.join('{' + a + '}' for a in sorted(allowed))}")


Regex = Annotated[str, AfterValidator(_regex)]


class _Strict(BaseModel):
    # A typo in a hand-edited key must be an error, not a silently ignored setting.
    model_config = ConfigDict(extra="forbid")


class Condition(_Strict):
    """When something applies; every condition given must hold."""

    learners: Literal["single", "team"] | None = None
    # one: a course known to last a day at most; several: any other (not known to be that short)
    days: Literal["one", "several"] | None = None
    level: Level | None = None
    dimension: Literal["any", "other"] | list[Key] | None = None
    form: list[Form] = []
    course_type: list[CourseType] = []
    # the gap's field is one of these (the taxonomy's field keys); `other`: no field, or one that no
    # action names (so a general action gives way to the field's own)
    field: Literal["other"] | list[Key] = []

    @field_validator("dimension", "field", mode="before")
    @classmethod
    def _one_key_is_a_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) and value not in ("any", "other") else value


class ActionCondition(Condition):
    missing: list[Key] = []
    present: list[Key] = []


class Hint(_Strict):
    """A structured cue: conditions on the course record (and context) that must all hold."""

    course_type: list[CourseType] = []
    form: list[Form] = []
    min_learning_goals: int = Field(default=0, ge=0)
    min_learners: int = Field(default=1, ge=1)
    min_ects: float | None = Field(default=None, gt=0)
    phrases: list[Regex] = []
    evidence: Text

    @model_validator(mode="after")
    def _has_condition(self) -> Hint:
        if not (self.course_type or self.form or self.min_learning_goals or self.min_learners > 1 or self.min_ects or self.phrases):
            raise ValueError("a hint needs at least one condition (course_type, form, min_learning_goals, min_learners, min_ects or phrases)")
        _check_placeholders(self.evidence, EVIDENCE_PLACEHOLDERS)
        return self


class CueFactor(_Strict):
    """One factor: how it is recognised in a course, and which side it comes from."""

    key: Key
    label: Text  # noun phrase for lists: "supervision og feedback undervejs"
    statement: Text | None = None  # verb phrase after "Kurset …": "giver supervision eller feedback undervejs"
    side: Side
    weight: int = Field(ge=0, le=TOTAL_WEIGHT)
    taxonomy_factor: Key
    phrases: list[Regex] = []
    hints: list[Hint] = []
    only_when: Condition | None = None
    prefer: Literal["phrases", "hints"] = "phrases"  # which kind of evidence to show when both hold
    # A workplace factor of weight 0 the course may invite ("lederen deltager den første dag"): it
    # still has to come from the workplace, and earns nothing, but the note says the course asks for it.
    invited_by: list[Regex] = []
    # A workplace factor of weight 0 that a leader among the learners brings: present then, with
    # these words as its evidence (it earns nothing: the course did not make it so).
    leader_learns: Text | None = None

    @model_validator(mode="after")
    def _consistent(self) -> CueFactor:
        has_cues = bool(self.phrases or self.hints)
        if self.side == "course":
            if self.weight < 1:
                raise ValueError("a course-side factor needs a weight of at least 1")
            if not has_cues:
                raise ValueError("a course-side factor needs phrases or hints to be recognised by")
        elif self.weight and not has_cues:
            raise ValueError("a workplace factor with a weight needs hints that say when the course's design enables it; otherwise give it weight 0")
        elif has_cues and not self.weight:
            raise ValueError("a workplace factor with hints needs a weight (what a course earns by enabling it)")
        if (self.side == "course" or self.weight) and self.statement is None:
            raise ValueError("'statement' is required: the phrase after 'Kurset …' in the note")
        if self.invited_by and (self.side == "course" or self.weight):
            raise ValueError("'invited_by' is for workplace factors of weight 0 (a course that asks for what the workplace must bring)")
        if self.leader_learns is not None and (self.side == "course" or self.weight or self.statement is None):
            raise ValueError("'leader_learns' is for workplace factors of weight 0 with a 'statement' (what a leader "
                             "among the learners brings)")
        return self


class Action(_Strict):
    phase: Phase
    text: Text
    when: ActionCondition = ActionCondition()

    @model_validator(mode="after")
    def _forms_need_dimension(self) -> Action:
        names = _placeholders(self.text)
        _check_placeholders(self.text, ACTION_PLACEHOLDERS)
        if "forms" in names and self.when.dimension is None:
            raise ValueError("the text uses {forms}, so 'when' needs a dimension condition")
        return self


class PhaseLabels(_Strict):
    before: Text
    during: Text
    after: Text


class LevelWords(_Strict):
    grundlaeggende: Text
    specialiseret: Text


class Words(_Strict):
    who_single: Text
    who_team: Text
    topic_default: Text
    and_: Text = Field(alias="and")
    or_: Text = Field(alias="or")
    levels: LevelWords
    # Two, three, … in words, as Danish running text writes small numbers ("de to medarbejdere"):
    # the first is 2; a number past the list is written in digits.
    numbers: list[Text] = []
    # The learning forms of each dimension in the words the notes use (the taxonomy keeps the
    # seed's own, such as "click-through-moduler", which is not Danish); a dimension left out
    # uses the taxonomy's.
    learning_forms: dict[Key, list[Text]] = {}

    @model_validator(mode="after")
    def _placeholders_ok(self) -> Words:
        _check_placeholders(self.who_team, frozenset({"learners"}))
        return self

    def count(self, n: int) -> str:
        """`n` as the notes write it: in words from 2 while `numbers` has it, else in digits."""
        return self.numbers[n - 2] if 2 <= n < 2 + len(self.numbers) else str(n)


class NoteTexts(_Strict):
    present: Text
    none_present: Text
    course_missing: Text
    provider_missing: Text  # the same, said to the provider of a draft course
    workplace: Text
    missing_and_workplace: Text  # course_missing and workplace as one sentence, where both are said
    invited: Text  # after a workplace factor the course invites: "{evidence}" is the course's words
    forms: Text
    max_named_missing: int = Field(default=3, ge=1)
    max_evidence: int = Field(default=2, ge=0)

    @model_validator(mode="after")
    def _placeholders_ok(self) -> NoteTexts:
        for name in ("present", "course_missing", "provider_missing", "workplace"):
            _check_placeholders(getattr(self, name), frozenset({"factors"}))
        _check_placeholders(self.none_present, frozenset())
        _check_placeholders(self.invited, frozenset({"evidence"}))
        _check_placeholders(self.forms, frozenset({"dimension", "forms"}))
        _check_placeholders(self.missing_and_workplace, frozenset({"missing", "workplace"}))
        return self


@dataclass(frozen=True, eq=False)  # hashed by identity: it keys _find_in's cache, thousands of times a note
class _Cue:
    """A list of phrases, compiled: one pattern to test them all, and each in order for evidence."""

    any: re.Pattern[str] | None
    each: tuple[re.Pattern[str], ...]


def _cue(phrases: list[str]) -> _Cue:
    def compiled(p: str) -> re.Pattern[str]:
        return re.compile(_anchored(p), re.IGNORECASE)

    return _Cue(compiled("|".join(f"(?:{p})" for p in phrases)) if phrases else None, tuple(compiled(p) for p in phrases))


@dataclass(frozen=True, eq=False)  # hashed by identity: it keys _applicable_actions' cache
class _Compiled:
    phrases: dict[str, _Cue]  # factor key → its phrases
    hint_phrases: dict[tuple[str, int], _Cue]
    invited: dict[str, _Cue]  # factor key → its invited_by phrases
    negations: frozenset[str]
    named_dimensions: frozenset[str]  # dimension keys some action names (for `dimension: other`)
    named_fields: frozenset[str]  # field keys some action names (for `field: other`)
    # per phase, in the file's order: each action with the factors it needs missing and present
    phase_actions: dict[str, tuple[tuple[Action, frozenset[str], frozenset[str]], ...]]


class TransferCues(_Strict):
    """The cue file: factors with their cues and weights, note texts and actions."""

    version: Literal[1]
    negations: list[Text] = []
    negation_window: int = Field(default=3, ge=0)
    phases: PhaseLabels
    words: Words
    note: NoteTexts
    factors: list[CueFactor] = Field(min_length=1)
    actions: list[Action] = Field(min_length=1)

    _path: Path = PrivateAttr(default=DEFAULT_CUES)
    _source: tuple[Any, Any] | None = PrivateAttr(default=None)  # the file's data and YAML nodes, for lines
    _checked: set[tuple[frozenset[str], frozenset[str]]] = PrivateAttr(default_factory=set)

    @functools.cached_property
    def compiled(self) -> _Compiled:
        """The cues as patterns. A cached property, not a private attribute: those are read through
        pydantic's __getattr__, ~3 µs each, twenty times a note."""
        return _Compiled(
            phrases={f.key: _cue(f.phrases) for f in self.factors},
            hint_phrases={(f.key, i): _cue(h.phrases) for f in self.factors for i, h in enumerate(f.hints)},
            invited={f.key: _cue(f.invited_by) for f in self.factors if f.invited_by},
            negations=frozenset(n.lower() for n in self.negations),
            named_dimensions=frozenset(
                d for a in self.actions if isinstance(a.when.dimension, list) for d in a.when.dimension
            ),
            named_fields=frozenset(f for a in self.actions if isinstance(a.when.field, list) for f in a.when.field),
            phase_actions={
                phase: tuple((a, frozenset(a.when.missing), frozenset(a.when.present)) for a in self.actions if a.phase == phase)
                for phase in PHASES
            },
        )

    @classmethod
    def load(cls, path: str | Path = DEFAULT_CUES, taxonomy: Taxonomy | None = None) -> TransferCues:
        """Read and validate a cue file; with a taxonomy, also check the keys it refers to."""
        file = Path(path)
        data, root = read_yaml(file, "transfer cue file", TransferCuesError)  # a second `negations:` is refused
        if not isinstance(data, dict):
            raise TransferCuesError(f"{file}: the file must be a YAML mapping with keys like 'factors:' and 'actions:'")
        try:
            cues = cls.model_validate(data)
        except ValidationError as exc:
            problems = [(tuple(err["loc"]), describe(err)) for err in exc.errors()]
            raise TransferCuesError(_report(file, problems, (data, root))) from None
        cues._path, cues._source = file, (data, root)
        problems = _cross_check(cues)
        if problems:
            raise TransferCuesError(_report(file, problems, cues._source))
        if taxonomy is not None:
            cues.check_against(taxonomy)
        return cues

    def check_against(self, taxonomy: Taxonomy) -> None:
        """Raise TransferCuesError when the file names transfer factors or dimensions the taxonomy lacks."""
        factor_keys = frozenset(f.key for f in taxonomy.transfer_factors)
        dimension_keys = frozenset(d.key for d in taxonomy.dimensions)
        if (factor_keys, dimension_keys) in self._checked:
            return
        problems = []
        known_factors = ", ".join(f.key for f in taxonomy.transfer_factors)
        for i, f in enumerate(self.factors):
            if f.taxonomy_factor not in factor_keys:
                problems.append((("factors", i, "taxonomy_factor"), f"'{f.taxonomy_factor}' is not a transfer factor of the taxonomy; known: {known_factors}"))
        conditions = [(("factors", i, "only_when"), f.only_when) for i, f in enumerate(self.factors)]
        conditions += [(("actions", i, "when"), a.when) for i, a in enumerate(self.actions)]
        known_dimensions = ", ".join(d.key for d in taxonomy.dimensions)
        for where, cond in conditions:
            if cond is not None and isinstance(cond.dimension, list):
                for key in cond.dimension:
                    if key not in dimension_keys:
                        problems.append(((*where, "dimension"), f"'{key}' is not a dimension of the taxonomy; known: {known_dimensions}"))
            for key in cond.field if cond is not None and isinstance(cond.field, list) else []:
                if key not in taxonomy.field_keys:
                    problems.append(((*where, "field"), f"'{key}' is not a field of the taxonomy; known: {', '.join(taxonomy.field_keys)}"))
        for key in self.words.learning_forms:
            if key not in dimension_keys:
                problems.append((("words", "learning_forms"), f"'{key}' is not a dimension of the taxonomy; known: {known_dimensions}"))
        if problems:
            raise TransferCuesError(_report(self._path, problems, self._source))
        self._checked.add((factor_keys, dimension_keys))

    def factor(self, key: str) -> CueFactor:
        for f in self.factors:
            if f.key == key:
                return f
        raise KeyError(f"unknown transfer cue factor {key!r}")


def _cross_check(cues: TransferCues) -> list[tuple[tuple[Any, ...], str]]:
    problems: list[tuple[tuple[Any, ...], str]] = []
    keys = [f.key for f in cues.factors]
    for i, key in enumerate(keys):
        if key in keys[:i]:
            problems.append((("factors", i, "key"), f"duplicate factor key '{key}'"))
    total = sum(f.weight for f in cues.factors)
    if total != TOTAL_WEIGHT:
        detail = ", ".join(f"{f.key} {f.weight}" for f in cues.factors if f.weight)
        problems.append((("factors",), f"the weights must add up to {TOTAL_WEIGHT} (the score is the sum of the weights earned); they add up to {total}: {detail}"))
    for i, a in enumerate(cues.actions):
        for kind in ("missing", "present"):
            for key in getattr(a.when, kind):
                if key not in keys:
                    problems.append((("actions", i, "when", kind), f"'{key}' is not a factor key of this file; known: {', '.join(keys)}"))
    # Workplace factors without weight are always missing, so an action on them always applies.
    always_missing = {f.key for f in cues.factors if f.side == "workplace" and not f.weight and f.only_when is None}
    for phase in PHASES:
        if not any(a.phase == phase and _always(a.when, always_missing) for a in cues.actions):
            problems.append((("actions",), f"phase '{phase}' needs an action that always applies (no 'when', or only 'missing' of weight-0 workplace factors), so it never comes out empty"))
    return problems


def _always(when: ActionCondition, always_missing: set[str]) -> bool:
    bare = when.model_copy(update={"missing": []}) == ActionCondition()
    return bare and set(when.missing) <= always_missing


def _where(data: Any, loc: tuple[Any, ...]) -> str:
    """`factors[2] (supervision_feedback).phrases[1]`: the path, with the factor's key where known."""
    out = ""
    node = data
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            if isinstance(node, dict) and isinstance(node.get("key"), str):
                out += f" ({node['key']})"
        elif isinstance(node, dict) or node is None:
            out += f"{'.' if out else ''}{part}"
            node = node.get(part) if isinstance(node, dict) else None
        # else: pydantic names a union branch or validator below a value; not a key of the file
    return out or "(top level)"


def _report(file: Path, problems: list[tuple[tuple[Any, ...], str]], source: tuple[Any, Any] | None) -> str:
    """Each problem as `FILE:LINE: where: what` (`where` with a factor's key: factors[2] (supervision)),
    the line from the file's YAML nodes where it has them."""
    out = [f"{file}: invalid transfer cues ({len(problems)} problem{'s' if len(problems) != 1 else ''})"]
    data, root = source if source is not None else (None, None)
    for loc, message in problems:
        line = f":{line_of(root, loc)}" if root is not None else ""
        out.append(f"  {file}{line}: {_where(data, loc)}: {message}")
    return "\n".join(out)


_DEFAULT: TransferCues | None = None


def default_cues() -> TransferCues:
    """The bundled cue file, loaded once."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = TransferCues.load()
    return _DEFAULT


# --- assessing a course --------------------------------------------------------------------------

_CLAUSE_END = re.compile(r"[.,;:!?\n–]")
_WORD = re.compile(r"\w+")
_LINKING_WORDS = frozenset(
    "og eller samt men i på med til af at for om en et der som fra ved mellem under over efter før hos hvor når så"
    " den det de du din dit dine egen eget egne jeres sin sit sine".split()
)


def _course_text(course: Course) -> str:
    """Title, description and learning goals, one per line: a line ends a clause, so no cue spans two."""
    parts = [course.title, course.description or "", *(g.text for g in course.learning_goals)]
    return unicodedata.normalize("NFC", "\n".join(p for p in parts if p))


def _negated(text: str, start: int, end: int, negations: frozenset[str], window: int) -> bool:
    """A negation in the words just before the match in its clause ("uden supervision"), or inside a
    match that spans several words ("der er ingen supervision", "deltagerne får ikke feedback")."""
    clause = _CLAUSE_END.split(text[max(0, start - 120) : start])[-1]
    before = [w.lower() for w in _WORD.findall(clause)][-window:] if window else []
    return any(w in negations for w in before + [w.lower() for w in _WORD.findall(text, start, end)])


def _evidence(text: str, start: int, end: int) -> str:
    """The match as whole words; a one-word match gets a few following words of its clause."""
    while start > 0 and text[start - 1].isalnum():
        start -= 1
    while end < len(text) and text[end].isalnum():
        end += 1
    words = list(_WORD.finditer(text, start, end))
    if len(words) == 1:
        # "supervision" alone says little: add words up to the next content word ("… på dine egne afgørelser").
        clause_end = _CLAUSE_END.search(text, end)
        for word in _WORD.finditer(text, end, clause_end.start() if clause_end else len(text)):
            words.append(word)
            if word.group().lower() not in _LINKING_WORDS or len(words) > SHORT_MATCH_CONTEXT_WORDS:
                break
    # "feedback fra underviser og" reads badly: never end on a linking word.
    while len(words) > 1 and words[-1].group().lower() in _LINKING_WORDS:
        words.pop()
    phrase = " ".join(text[start : words[-1].end()].split()) if words else text[start:end]
    if len(phrase) > MAX_EVIDENCE_CHARS:
        phrase = phrase[:MAX_EVIDENCE_CHARS].rsplit(" ", 1)[0] + " …"
    return phrase


def _find(cue: _Cue, text: str, cues: TransferCues) -> str | None:
    """Evidence for the first phrase (in the file's order) that occurs un-negated, or None."""
    return _find_in(cue, text, cues.compiled.negations, cues.negation_window)


# A course's text is searched again for every gap it is recommended for: remember the answers
# (bounded: about ten entries per course share one text).
@functools.lru_cache(maxsize=32_768)
def _find_in(cue: _Cue, text: str, negations: frozenset[str], window: int) -> str | None:
    if cue.any is None:
        return None
    # One combined pass decides whether any phrase counts; most courses lack most factors.
    first = next((m for m in cue.any.finditer(text) if not _negated(text, m.start(), m.end(), negations, window)), None)
    if first is None:
        return None
    for pattern in cue.each:
        for match in pattern.finditer(text):
            if not _negated(text, match.start(), match.end(), negations, window):
                return _evidence(text, match.start(), match.end())
    return _evidence(text, first.start(), first.end())


def course_days(course: Course) -> Literal["one", "several"]:
    """Whether the course is known to last a day at most (its course days say so, and no ECTS)."""
    one = course.duration_days is not None and course.duration_days <= 1 and not course.ects
    return "one" if one else "several"


def _condition_holds(
    cond: Condition, form: str | None, course_type: str | None, context: TransferContext, compiled: _Compiled,
    days: str = "several",
) -> bool:
    if cond.days is not None and cond.days != days:
        return False
    if cond.learners == "single" and context.learners > 1:
        return False
    if cond.learners == "team" and context.learners <= 1:
        return False
    if cond.level is not None and cond.level != context.level:
        return False
    if cond.dimension is not None:
        if context.dimension is None:
            return False
        if cond.dimension == "other" and context.dimension in compiled.named_dimensions:
            return False
        if isinstance(cond.dimension, list) and context.dimension not in cond.dimension:
            return False
    if cond.form and form not in cond.form:
        return False
    if cond.field == "other" and context.field in compiled.named_fields:
        return False
    if isinstance(cond.field, list) and cond.field and context.field not in cond.field:
        return False
    return not (cond.course_type and course_type not in cond.course_type)


def _hint_evidence(factor: CueFactor, course: Course, context: TransferContext, text: str, cues: TransferCues) -> str | None:
    for i, hint in enumerate(factor.hints):
        if hint.course_type and course.course_type not in hint.course_type:
            continue
        if hint.form and course.form not in hint.form:
            continue
        if len(course.learning_goals) < hint.min_learning_goals or context.learners < hint.min_learners:
            continue
        if hint.min_ects is not None and (course.ects or 0) < hint.min_ects:
            continue
        if hint.phrases and _find(cues.compiled.hint_phrases[(factor.key, i)], text, cues) is None:
            continue
        return hint.evidence.format(goals=len(course.learning_goals), learners=cues.words.count(context.learners))
    return None


def _factor_evidence(
    factor: CueFactor, course: Course, context: TransferContext, text: str, cues: TransferCues,
) -> tuple[str | None, bool]:
    """The evidence for a factor, and whether it is read from the course's facts (a hint) rather than quoted."""
    if factor.prefer == "hints" and (fact := _hint_evidence(factor, course, context, text, cues)) is not None:
        return fact, True
    if (quoted := _find(cues.compiled.phrases[factor.key], text, cues)) is not None:
        return quoted, False
    if factor.prefer == "phrases" and (fact := _hint_evidence(factor, course, context, text, cues)) is not None:
        return fact, True
    return None, False


def _detect(course: Course, context: TransferContext, cues: TransferCues) -> tuple[list[TransferFactor], list[TransferFactor]]:
    text = _course_text(course)
    present: list[TransferFactor] = []
    missing: list[TransferFactor] = []
    for factor in cues.factors:
        evidence, inferred, from_team = None, False, False
        # A workplace factor counts only where the design enables it: those with a weight (and cues);
        # or, for what a leader brings, where a leader is among the learners.
        if factor.side == "course" or factor.weight:
            evidence, inferred = _factor_evidence(factor, course, context, text, cues)
        elif factor.leader_learns is not None and context.leaders > 0:
            evidence, from_team = factor.leader_learns, True
        if evidence is not None:
            present.append(TransferFactor(key=factor.key, label=factor.label, side=factor.side, evidence=evidence,
                                          inferred=inferred, from_team=from_team))
        elif factor.only_when is None or _condition_holds(factor.only_when, course.form, course.course_type, context,
                                                          cues.compiled, course_days(course)):
            invited = _find(cues.compiled.invited[factor.key], text, cues) if factor.key in cues.compiled.invited else None
            missing.append(TransferFactor(key=factor.key, label=factor.label, side=factor.side, invited=invited))
    return present, missing


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _note(
    present: list[TransferFactor], missing: list[TransferFactor], cues: TransferCues, dimension: tuple[str, list[str]] | None,
    audience: str = "workplace",
) -> str:
    texts, words = cues.note, cues.words
    sentences = []
    from_course = [item for item in present if not item.from_team]
    if from_course:
        parts = []
        for i, item in enumerate(from_course):
            statement = cues.factor(item.key).statement or item.label
            # the course's own words in quotes, so that its "du" and "din" read as the course's
            evidence = item.evidence if item.inferred else f"»{item.evidence}«"
            parts.append(f"{statement} ({evidence})" if i < texts.max_evidence and item.evidence else statement)
        sentences.append(texts.present.format(factors=listed(parts, words.and_)))
    else:
        sentences.append(texts.none_present)
    # what the user said of the learners, as theirs, not the course's
    sentences += [f"{item.evidence}." for item in present if item.from_team and item.evidence]
    course_missing = [m for m in missing if m.side == "course"]
    # The heaviest first; the file's order breaks ties, so the note is stable.
    heaviest = sorted(course_missing, key=lambda m: -cues.factor(m.key).weight)[: texts.max_named_missing]
    named_missing = listed([m.label for m in heaviest], words.or_) if heaviest else ""
    if audience == "provider":  # what the workplace must bring, and how to support a dimension, are not the provider's
        if named_missing:
            sentences.append(texts.provider_missing.format(factors=named_missing))
        return " ".join(upper_first(s) for s in sentences)
    workplace = [m.label + (f" ({texts.invited.format(evidence=m.invited)})" if m.invited else "")
                 for m in missing if m.side == "workplace"]
    if named_missing and workplace:
        sentences.append(texts.missing_and_workplace.format(missing=named_missing, workplace=listed(workplace, words.and_)))
    elif named_missing:
        sentences.append(texts.course_missing.format(factors=named_missing))
    elif workplace:
        sentences.append(texts.workplace.format(factors=listed(workplace, words.and_)))
    if dimension is not None and dimension[1]:
        sentences.append(texts.forms.format(dimension=dimension[0], forms=listed(dimension[1], words.and_)))
    return " ".join(upper_first(s) for s in sentences)


def _phase_weights(taxonomy: Taxonomy) -> dict[str, int]:
    # 30-30-40: the top of the guide's 20–30 % before, its 30 % during, the bottom of its 40–50 % after.
    rule = taxonomy.transfer.rule_30_30_40
    return {"before": rule.before.max, "during": rule.during.max, "after": rule.after.min}


def _steps(
    course: Course, context: TransferContext, cues: TransferCues, taxonomy: Taxonomy,
    present: list[TransferFactor], missing: list[TransferFactor], values: dict[str, Any],
) -> dict[str, PhaseSteps]:
    """`values`: the action texts' placeholders from the context (all but the course's title)."""
    present_keys = {f.key for f in present}
    missing_keys = {f.key for f in missing}
    weights = _phase_weights(taxonomy)
    applicable = _applicable_actions(cues.compiled, context, course.form, course.course_type, course_days(course),
                                     tuple(values.items()))
    steps = {}
    for phase in PHASES:
        actions = [
            text if text is not None else _action_text(action.text, {**values, "title": course.title})
            for text, action, needs_missing, needs_present in applicable[phase]
            if needs_missing <= missing_keys and needs_present <= present_keys
        ]
        steps[phase] = PhaseSteps(weight=weights[phase], label=getattr(cues.phases, phase), actions=actions)
    return steps


@functools.lru_cache(maxsize=1024)
def _applicable_actions(
    compiled: _Compiled, context: TransferContext, form: str | None, course_type: str | None, days: str,
    values: tuple[tuple[str, Any], ...],
) -> dict[str, tuple[tuple[str | None, Action, frozenset[str], frozenset[str]], ...]]:
    """Per phase, in the file's order, the actions whose conditions hold for a course of this form
    and type in `context`: each with its text in these `values` (None where it names the course's
    title) and the factors it needs missing and present. The same for every course of a kind, so
    worked out once, not for each course's note (most of a note's time)."""
    return {
        phase: tuple(
            (None if "title" in _placeholders(action.text) else _action_text(action.text, dict(values)), action, missing, present)
            for action, missing, present in compiled.phase_actions[phase]
            if _condition_holds(action.when, form, course_type, context, compiled, days)
        )
        for phase in PHASES
    }


def _action_text(template: str, values: dict[str, Any]) -> str:
    return upper_first(" ".join(template.format(**values).split()))


def assess_transfer(
    course: Course, context: TransferContext, taxonomy: Taxonomy, cues: TransferCues | None = None, *,
    audience: Literal["workplace", "provider"] = "workplace", read_type: str | None = None,
) -> TransferAssessment:
    """Score a course's transfer readiness in its team context, with a Danish note and steps before, during,
    after. The note speaks to the workplace that sends staff, or (`provider`) to the provider of a draft.
    `read_type`: the type the tagger read from a course that states none, read as a stated one (search,
    the course page and the plan show the course with it)."""
    course = _with_type(course, read_type)
    cues = cues or default_cues()
    cues.check_against(taxonomy)
    if context.level is not None and context.level not in LEVELS:
        raise ValueError(f"unknown level {context.level!r}; levels are {', '.join(LEVELS)}")
    if context.learners < 1:
        raise ValueError(f"learners must be at least 1, got {context.learners}")
    topic = cues.words.topic_default
    if context.field is not None:
        if context.field not in taxonomy.field_keys:
            raise ValueError(f"unknown field {context.field!r}; fields are {', '.join(taxonomy.field_keys)}")
        topic = taxonomy.field(context.field).name
    dimension = None
    if context.dimension is not None:
        dims = {d.key: d for d in taxonomy.dimensions}
        if context.dimension not in dims:
            raise ValueError(f"unknown dimension {context.dimension!r}; dimensions are {', '.join(dims)}")
        d = dims[context.dimension]
        dimension = (_lower_first(d.name), list(cues.words.learning_forms.get(d.key) or d.learning_forms))
    present, missing = _detect(course, context, cues)
    score = min(TOTAL_WEIGHT, sum(cues.factor(f.key).weight for f in present))
    words = cues.words
    values = {
        "who": words.who_single if context.learners == 1 else words.who_team.format(learners=words.count(context.learners)),
        "learners": words.count(context.learners),
        "topic": topic,
        "level": getattr(words.levels, context.level) if context.level else "",
        "forms": listed(dimension[1], words.and_) if dimension else "",
    }
    return TransferAssessment(
        score=score,
        factors_present=present,
        factors_missing=missing,
        note=_note(present, missing, cues, dimension, audience),
        steps=_steps(course, context, cues, taxonomy, present, missing, values),
        learning_forms=dimension[1] if dimension else [],
    )


def _with_type(course: Course, read_type: str | None) -> Course:
    """The course with the type the tagger read, where it states none."""
    if course.course_type is None and read_type is not None:
        return course.model_copy(update={"course_type": read_type})
    return course


def transfer_score(
    course: Course, context: TransferContext, cues: TransferCues | None = None, *, read_type: str | None = None,
) -> int:
    """Only the score, as `assess_transfer` gives it: for ranking many courses, without notes and steps."""
    course = _with_type(course, read_type)
    cues = cues or default_cues()
    present, _ = _detect(course, context, cues)
    return min(TOTAL_WEIGHT, sum(cues.factor(f.key).weight for f in present))
