"""The competence framework (PRODUCT.md §2): typed models, a validating loader and accessors.

The framework lives in one YAML file (`matcher/data/taxonomy.yaml`) that a domain expert edits, so
every problem is reported with the file, the key path (``fields[2].competences.specialiseret[1].text``),
the line and a plain-words explanation, instead of a traceback.
"""

from __future__ import annotations

import types
from dataclasses import dataclass, field as dc_field
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, StringConstraints, ValidationError

from matcher.data_files import DataFileError, Loc, describe, path_of, read_yaml, report

BUNDLED_TAXONOMY = Path(__file__).resolve().parent / "data" / "taxonomy.yaml"
LEVELS: tuple[str, ...] = ("grundlaeggende", "specialiseret")
_LEVEL_WORDS = {"grundlaeggende": "grundlæggende", "specialiseret": "specialiseret"}


def level_name(level: str | None) -> str:
    """A level key in Danish words ("-" when there is none)."""
    return _LEVEL_WORDS.get(level or "", "-")
PROFICIENCY_STEPS = (1, 2, 3, 4, 5)

Level = Literal["grundlaeggende", "specialiseret"]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Key = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
# Ids may contain dots ("lov_myndighed.g1") and start with a digit (basic competence "1.1").
Id = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.]*$")]
Percent = Annotated[int, Field(ge=0, le=100)]


class TaxonomyError(DataFileError):
    """The taxonomy file cannot be used; the message says where and why, for a human to fix."""


class _Model(BaseModel):
    # Unknown keys are almost always typos in a hand-edited file; reject them rather than ignore.
    model_config = ConfigDict(extra="forbid")


class Source(_Model):
    """Where an item is found: the seed file and the heading or words there."""

    seed: Text
    section: Text


class CompetenceItem(_Model):
    id: Id
    text: Text
    source: Source


class FieldLevels(_Model):
    grundlaeggende: list[CompetenceItem] = Field(min_length=1)
    specialiseret: list[CompetenceItem] = Field(min_length=1)


class CompetenceField(_Model):
    """One of the six knowledge and competence fields."""

    key: Key
    name: Text
    # names the field had before (a copy that renamed it): teams' filled-in templates head columns with them
    former_names: list[Text] = []
    summary: Text
    definition: Text
    source: Source
    competences: FieldLevels


class Shares(_Model):
    """Percent answering 4–5: far from / near the labour market, leaders, staff. None = not given."""

    far: Percent | None = None
    near: Percent | None = None
    leaders: Percent | None = None
    staff: Percent | None = None


class Expressions(_Model):
    individuelt: Text
    borger_og_virksomhedsvendt: Text
    organisatorisk: Text


class Dimension(_Model):
    """Praktisk, refleksiv or relationel: how the fields are put into practice."""

    key: Key
    name: Text
    description: Text
    elaboration: Text
    learning_forms: list[Text] = Field(min_length=1)
    learning_forms_text: Text
    expressions: Expressions | None = None
    survey_shares: Shares | None = None
    source: Source

    @property
    def embedding_text(self) -> str:
        """The dimension as one passage, for matching course text against it."""
        parts = [f"{self.name}: {self.description}", self.learning_forms_text]
        if self.expressions:
            parts += [self.expressions.individuelt, self.expressions.borger_og_virksomhedsvendt, self.expressions.organisatorisk]
        return " ".join(parts)


class BasicCompetence(_Model):
    id: Id
    text: Text
    source: Source


class BasicCompetenceGroup(_Model):
    number: int
    name: Text
    description: Text
    source: Source
    competences: list[BasicCompetence] = Field(min_length=1)


class BasicCompetenceSection(_Model):
    groups: list[BasicCompetenceGroup] = Field(min_length=1)


class ProfileCompetence(_Model):
    id: Id
    text: Text
    source: Source


class Profile(_Model):
    """One of the six professional profiles of the fagprofiler framework."""

    key: Key
    name: Text
    focus: Text
    source: Source
    competences: list[ProfileCompetence] = Field(min_length=1)


class CrosswalkLink(_Model):
    field: Key
    reason: Text


class CrosswalkEntry(_Model):
    item: Id
    links: list[CrosswalkLink] = Field(min_length=1)


class SurveyStatementItem(_Model):
    id: Id
    text: Text
    shares: Shares = Shares()
    note: Text | None = None
    source: Source


class SurveyGroup(_Model):
    key: Key
    name: Text
    fields: list[Key] = Field(min_length=1)
    original_fields: list[Text] = []
    field_shares: Shares | None = None
    note: Text | None = None
    source: Source
    statements: list[SurveyStatementItem] = Field(min_length=1)


class SurveySamples(_Model):
    staff: int = Field(ge=1)
    leaders: int = Field(ge=1)
    near: int = Field(ge=1)
    far: int = Field(ge=1)


class Survey(_Model):
    question_staff: Text
    question_leaders: Text
    scale: Text
    samples: SurveySamples
    source: Source
    groups: list[SurveyGroup] = Field(min_length=1)


class ProficiencyStep(_Model):
    step: int
    name: Text
    description: Text
    source: Source


class TransferFactor(_Model):
    key: Key
    name: Text
    details: list[Text] = []
    source: Source


class TransferFactorGroup(_Model):
    key: Key
    name: Text
    source: Source
    factors: list[TransferFactor] = Field(min_length=1)


class AttentionPoint(_Model):
    key: Key
    name: Text
    text: Text
    points: list[Text] = []
    source: Source


class PercentRange(_Model):
    min: Percent
    max: Percent


class Rule303040(_Model):
    """The 30-30-40 rule: share of the effort before, during and after the course."""

    text: Text
    before: PercentRange
    during: PercentRange
    after: PercentRange
    source: Source


class LearningGoalKind(_Model):
    key: Key
    text: Text
    learning_forms: Text
    source: Source


class Transfer(_Model):
    factor_groups: list[TransferFactorGroup] = Field(min_length=1)
    attention_points: list[AttentionPoint] = Field(min_length=1)
    rule_30_30_40: Rule303040
    learning_goals: list[LearningGoalKind] = Field(min_length=1)


@dataclass(frozen=True)
class Competence:
    """A field competence with its place in the framework."""

    id: str
    text: str
    field: str
    level: Level
    source: Source


@dataclass(frozen=True)
class SurveyStatement:
    """A survey statement with the fields its survey group maps to."""

    id: str
    text: str
    fields: tuple[str, ...]
    group: str
    shares: Shares
    note: str | None
    source: Source


@dataclass
class _Index:
    fields: dict[str, CompetenceField] = dc_field(default_factory=dict)
    competences: list[Competence] = dc_field(default_factory=list)
    statements: dict[str, SurveyStatement] = dc_field(default_factory=dict)
    basic: dict[str, BasicCompetence] = dc_field(default_factory=dict)
    profiles: dict[str, Profile] = dc_field(default_factory=dict)
    links: dict[str, list[str]] = dc_field(default_factory=dict)


class Taxonomy(_Model):
    """The whole framework as loaded from the YAML file."""

    version: Literal[1]
    fields: list[CompetenceField] = Field(min_length=1)
    dimensions: list[Dimension] = Field(min_length=1)
    # The YAML key is `basic_competences`; the attribute of that name is the flat list.
    basic_competence_section: BasicCompetenceSection = Field(alias="basic_competences")
    profiles: list[Profile] = Field(min_length=1)
    crosswalk: list[CrosswalkEntry]
    survey: Survey
    proficiency_scale: list[ProficiencyStep]
    transfer: Transfer

    _index: _Index = PrivateAttr(default_factory=_Index)

    def model_post_init(self, context: Any, /) -> None:
        self._index = _build_index(self)

    @property
    def field_keys(self) -> list[str]:
        return [f.key for f in self.fields]

    def field(self, key: str) -> CompetenceField:
        try:
            return self._index.fields[key]
        except KeyError:
            raise KeyError(f"unknown field {key!r}; fields are {', '.join(self.field_keys)}") from None

    def competences(self, field_key: str, level: str | None = None) -> list[Competence]:
        """The field's competences, at one level or both (basic level first)."""
        self.field(field_key)
        if level is not None and level not in LEVELS:
            raise ValueError(f"unknown level {level!r}; levels are {', '.join(LEVELS)}")
        return [c for c in self._index.competences if c.field == field_key and level in (None, c.level)]

    @property
    def basic_competences(self) -> list[BasicCompetence]:
        return list(self._index.basic.values())

    @property
    def basic_competence_groups(self) -> list[BasicCompetenceGroup]:
        return self.basic_competence_section.groups

    def profile(self, key: str) -> Profile:
        try:
            return self._index.profiles[key]
        except KeyError:
            raise KeyError(f"unknown profile {key!r}") from None

    def fields_for_basic_competence(self, id: str) -> list[str]:
        if id not in self._index.basic:
            raise KeyError(f"unknown basic competence {id!r}")
        return self._ordered(self._index.links.get(id, []))

    def fields_for_profile(self, key: str) -> list[str]:
        """Fields linked to the profile itself or to any of its competences."""
        profile = self.profile(key)
        linked = list(self._index.links.get(key, []))
        for competence in profile.competences:
            linked += self._index.links.get(competence.id, [])
        return self._ordered(linked)

    def basic_competences_for_field(self, key: str) -> list[BasicCompetence]:
        self.field(key)
        return [bc for bc in self.basic_competences if key in self._index.links.get(bc.id, [])]

    def profiles_for_field(self, key: str) -> list[Profile]:
        self.field(key)
        return [p for p in self.profiles if key in self.fields_for_profile(p.key)]

    @property
    def survey_statements(self) -> list[SurveyStatement]:
        return list(self._index.statements.values())

    def statement(self, id: str) -> SurveyStatement:
        try:
            return self._index.statements[id]
        except KeyError:
            raise KeyError(f"unknown survey statement {id!r}") from None

    @property
    def transfer_factors(self) -> list[TransferFactor]:
        return [f for group in self.transfer.factor_groups for f in group.factors]

    def _ordered(self, keys: list[str]) -> list[str]:
        # Framework order, no duplicates: stable output for tags and reports.
        return [k for k in self.field_keys if k in set(keys)]


def _build_index(tax: Taxonomy) -> _Index:
    index = _Index()
    for f in tax.fields:
        index.fields.setdefault(f.key, f)
        for level in LEVELS:
            for item in getattr(f.competences, level):
                index.competences.append(Competence(item.id, item.text, f.key, level, item.source))  # type: ignore[arg-type]
    for group in tax.survey.groups:
        for s in group.statements:
            index.statements.setdefault(s.id, SurveyStatement(s.id, s.text, tuple(group.fields), group.key, s.shares, s.note, s.source))
    for bgroup in tax.basic_competence_section.groups:
        for bc in bgroup.competences:
            index.basic.setdefault(bc.id, bc)
    for p in tax.profiles:
        index.profiles.setdefault(p.key, p)
    for entry in tax.crosswalk:
        index.links.setdefault(entry.item, []).extend(link.field for link in entry.links)
    return index


# --- loading and validation -------------------------------------------------------------------



@dataclass(frozen=True)
class _Problem:
    loc: Loc
    message: str


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Load and validate a taxonomy file (None: the bundled one); raise TaxonomyError on any problem."""
    file = Path(path) if path is not None else BUNDLED_TAXONOMY
    data, root = read_yaml(file, "taxonomy", TaxonomyError)
    if not isinstance(data, dict):
        raise TaxonomyError(f"{file}:1: the file must be a YAML mapping with keys like 'fields:' and 'survey:'")
    try:
        taxonomy = Taxonomy.model_validate(data)
    except ValidationError as exc:
        problems = [_Problem(tuple(err["loc"]), describe(err, _allowed_keys)) for err in exc.errors()]
        raise TaxonomyError(_report(file, root, problems)) from None
    problems = _cross_check(taxonomy)
    if problems:
        raise TaxonomyError(_report(file, root, problems))
    return taxonomy


def _cross_check(tax: Taxonomy) -> list[_Problem]:
    """Checks across sections that the per-item models cannot make."""
    return (
        _unique_ids(tax)
        + _unique_field_names(tax)
        + _id_prefixes(tax)
        + _crosswalk_problems(tax)
        + _survey_problems(tax)
        + _proficiency_problems(tax)
        + _rule_problems(tax)
    )


def _all_ids(tax: Taxonomy) -> list[tuple[str, Loc]]:
    """Every id and key that names an item, with where it is; one namespace for all of them."""
    out: list[tuple[str, Loc]] = []
    for i, f in enumerate(tax.fields):
        out.append((f.key, ("fields", i, "key")))
        for level in LEVELS:
            for j, c in enumerate(getattr(f.competences, level)):
                out.append((c.id, ("fields", i, "competences", level, j, "id")))
    out += [(d.key, ("dimensions", i, "key")) for i, d in enumerate(tax.dimensions)]
    for i, g in enumerate(tax.basic_competence_groups):
        out += [(bc.id, ("basic_competences", "groups", i, "competences", j, "id")) for j, bc in enumerate(g.competences)]
    for i, p in enumerate(tax.profiles):
        out.append((p.key, ("profiles", i, "key")))
        out += [(c.id, ("profiles", i, "competences", j, "id")) for j, c in enumerate(p.competences)]
    for i, g in enumerate(tax.survey.groups):
        out.append((g.key, ("survey", "groups", i, "key")))
        out += [(s.id, ("survey", "groups", i, "statements", j, "id")) for j, s in enumerate(g.statements)]
    for i, fg in enumerate(tax.transfer.factor_groups):
        out.append((fg.key, ("transfer", "factor_groups", i, "key")))
        out += [(f.key, ("transfer", "factor_groups", i, "factors", j, "key")) for j, f in enumerate(fg.factors)]
    out += [(a.key, ("transfer", "attention_points", i, "key")) for i, a in enumerate(tax.transfer.attention_points)]
    out += [(g.key, ("transfer", "learning_goals", i, "key")) for i, g in enumerate(tax.transfer.learning_goals)]
    return out


def _unique_ids(tax: Taxonomy) -> list[_Problem]:
    first: dict[str, Loc] = {}
    problems = []
    for ident, loc in _all_ids(tax):
        if ident in first:
            problems.append(_Problem(loc, f"duplicate id '{ident}' (already used at {path_of(first[ident])}); ids must be unique"))
        first.setdefault(ident, loc)
    numbers = [g.number for g in tax.basic_competence_groups]
    for i, n in enumerate(numbers):
        if n in numbers[:i]:
            problems.append(_Problem(("basic_competences", "groups", i, "number"), f"duplicate group number {n}"))
    return problems


def _unique_field_names(tax: Taxonomy) -> list[_Problem]:
    # A field's name (or a former one) heads its column in the team templates, read whatever the case.
    owner: dict[str, int] = {}
    problems = []
    for i, f in enumerate(tax.fields):
        named = [(("fields", i, "name"), f.name), *((("fields", i, "former_names", j), n) for j, n in enumerate(f.former_names))]
        for loc, given in named:
            name = " ".join(given.casefold().split())
            if owner.setdefault(name, i) != i:
                problems.append(_Problem(loc, f"the name {given!r} is field {tax.fields[owner[name]].key!r}'s too (case "
                                         "aside); each field's name heads its own column in the team templates"))
    return problems


def _id_prefixes(tax: Taxonomy) -> list[_Problem]:
    # The prefix makes an id readable on its own (in tags, exports) and keeps ids from colliding.
    problems = []
    for i, f in enumerate(tax.fields):
        for level in LEVELS:
            for j, c in enumerate(getattr(f.competences, level)):
                if not c.id.startswith(f"{f.key}."):
                    problems.append(_Problem(("fields", i, "competences", level, j, "id"), f"competence id '{c.id}' must start with its field key '{f.key}.'"))
    for i, p in enumerate(tax.profiles):
        for j, c in enumerate(p.competences):
            if not c.id.startswith(f"{p.key}."):
                problems.append(_Problem(("profiles", i, "competences", j, "id"), f"profile competence id '{c.id}' must start with its profile key '{p.key}.'"))
    return problems


def _crosswalk_problems(tax: Taxonomy) -> list[_Problem]:
    field_keys = set(tax.field_keys)
    linkable = {bc.id for bc in tax.basic_competences} | {p.key for p in tax.profiles}
    linkable |= {c.id for p in tax.profiles for c in p.competences}
    problems = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(tax.crosswalk):
        if entry.item not in linkable:
            problems.append(_Problem(("crosswalk", i, "item"), f"'{entry.item}' is not a basic competence, profile or profile competence"))
        if entry.item in seen:
            problems.append(_Problem(("crosswalk", i, "item"), f"'{entry.item}' is already listed at crosswalk[{seen[entry.item]}]; put all its links there"))
        seen.setdefault(entry.item, i)
        targets = [link.field for link in entry.links]
        for j, target in enumerate(targets):
            if target not in field_keys:
                problems.append(_Problem(("crosswalk", i, "links", j, "field"), f"field '{target}' does not exist; fields are {', '.join(tax.field_keys)}"))
            elif target in targets[:j]:
                problems.append(_Problem(("crosswalk", i, "links", j, "field"), f"field '{target}' is linked twice"))
    for i, g in enumerate(tax.basic_competence_groups):
        for j, bc in enumerate(g.competences):
            if bc.id not in seen:
                problems.append(_Problem(("basic_competences", "groups", i, "competences", j, "id"), f"basic competence '{bc.id}' has no crosswalk link to a field; add one under crosswalk"))
    for i, p in enumerate(tax.profiles):
        if p.key not in seen:
            problems.append(_Problem(("profiles", i, "key"), f"profile '{p.key}' has no crosswalk link to a field; add one under crosswalk"))
    return problems


def _survey_problems(tax: Taxonomy) -> list[_Problem]:
    return [
        _Problem(("survey", "groups", i, "fields", j), f"field '{key}' does not exist; fields are {', '.join(tax.field_keys)}")
        for i, g in enumerate(tax.survey.groups)
        for j, key in enumerate(g.fields)
        if key not in tax.field_keys
    ]


def _proficiency_problems(tax: Taxonomy) -> list[_Problem]:
    steps = tax.proficiency_scale
    problems = [
        _Problem(("proficiency_scale", i, "step"), f"step {s.step} is out of place: the scale has exactly the steps 1 to 5, in order (expected {i + 1})")
        for i, s in enumerate(steps)
        if i >= len(PROFICIENCY_STEPS) or s.step != PROFICIENCY_STEPS[i]
    ]
    if len(steps) < len(PROFICIENCY_STEPS):
        problems.append(_Problem(("proficiency_scale",), f"the scale must have exactly 5 steps (1 to 5); it has {len(steps)}"))
    return problems


def _rule_problems(tax: Taxonomy) -> list[_Problem]:
    rule = tax.transfer.rule_30_30_40
    return [
        _Problem(("transfer", "rule_30_30_40", name, "min"), f"min ({r.min}) is larger than max ({r.max})")
        for name, r in (("before", rule.before), ("during", rule.during), ("after", rule.after))
        if r.min > r.max
    ]


# --- error reporting --------------------------------------------------------------------------


def _report(file: Path, root: yaml.Node, problems: list[_Problem]) -> str:
    return report(file, root, [(p.loc, p.message) for p in problems], "taxonomy")


def _allowed_keys(loc: Loc) -> list[str]:
    model = _model_at(loc)
    if model is None:
        return []
    return [info.alias or name for name, info in model.model_fields.items()]


def _model_at(loc: Loc) -> type[BaseModel] | None:
    """The model class that validates the mapping at `loc`, following field annotations."""
    tp: Any = Taxonomy
    for part in loc:
        tp = _unwrap(tp)
        if isinstance(part, int):
            args = get_args(tp)
            tp = args[0] if args else None
        elif isinstance(tp, type) and issubclass(tp, BaseModel):
            by_key = {(info.alias or name): info for name, info in tp.model_fields.items()}
            tp = by_key[part].annotation if part in by_key else None
        else:
            return None
    tp = _unwrap(tp)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _unwrap(tp: Any) -> Any:
    """Strip Annotated[...] and Optional so a field's annotation yields its model or list type."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            non_none = [a for a in get_args(tp) if a is not type(None)]
            tp = non_none[0] if len(non_none) == 1 else tp
            if len(non_none) != 1:
                return tp
        else:
            return tp


# --- summary ----------------------------------------------------------------------------------


def format_summary(tax: Taxonomy) -> str:
    """A readable plain-text overview of the framework, for the CLI."""
    sections = [
        _summary_fields(tax),
        _summary_dimensions(tax),
        _summary_basic(tax),
        _summary_profiles(tax),
        _summary_survey(tax),
        _summary_scale(tax),
        _summary_transfer(tax),
    ]
    return "\n\n".join(sections) + "\n"


def _summary_fields(tax: Taxonomy) -> str:
    counts = {level: sum(len(tax.competences(k, level)) for k in tax.field_keys) for level in LEVELS}
    lines = [f"Fields ({len(tax.fields)}; competences: {counts['grundlaeggende']} grundlaeggende, {counts['specialiseret']} specialiseret)"]
    width = max(len(k) for k in tax.field_keys)
    for f in tax.fields:
        g, s = len(f.competences.grundlaeggende), len(f.competences.specialiseret)
        lines.append(f"  {f.key:<{width}}  {f.name}: grundlaeggende {g}, specialiseret {s}")
    return "\n".join(lines)


def _summary_dimensions(tax: Taxonomy) -> str:
    lines = [f"Dimensions ({len(tax.dimensions)})"]
    lines += [f"  {d.key}: {d.name} – learning forms: {', '.join(d.learning_forms)}" for d in tax.dimensions]
    return "\n".join(lines)


def _summary_basic(tax: Taxonomy) -> str:
    lines = [f"Basic competences ({len(tax.basic_competences)} in {len(tax.basic_competence_groups)} groups)"]
    for g in tax.basic_competence_groups:
        ids = [bc.id for bc in g.competences]
        lines.append(f"  {g.number} {g.name}: {ids[0]}–{ids[-1]} ({len(ids)})")
    return "\n".join(lines)


def _summary_profiles(tax: Taxonomy) -> str:
    lines = [f"Profiles ({len(tax.profiles)})"]
    for p in tax.profiles:
        lines.append(f"  {p.name} ({p.focus}): {len(p.competences)} competences -> {', '.join(tax.fields_for_profile(p.key))}")
    return "\n".join(lines)


def _summary_survey(tax: Taxonomy) -> str:
    n = tax.survey.samples
    lines = [f"Survey statements ({len(tax.survey_statements)}; n staff {n.staff}, leaders {n.leaders}, near {n.near}, far {n.far})"]
    for g in tax.survey.groups:
        lines.append(f"  {g.key} {g.name} -> {', '.join(g.fields)}: {len(g.statements)} statements")
    return "\n".join(lines)


def _summary_scale(tax: Taxonomy) -> str:
    lines = ["Proficiency scale"]
    lines += [f"  {s.step} {s.name} – {s.description}" for s in tax.proficiency_scale]
    return "\n".join(lines)


def _summary_transfer(tax: Taxonomy) -> str:
    t = tax.transfer
    lines = [f"Transfer factors ({len(tax.transfer_factors)})"]
    lines += [f"  {g.name}: {'; '.join(f.name for f in g.factors)}" for g in t.factor_groups]
    lines.append(f"Attention points: {', '.join(a.name for a in t.attention_points)}")
    r = t.rule_30_30_40
    lines.append(f"30-30-40 rule: before {_range(r.before)}, during {_range(r.during)}, after {_range(r.after)}")
    lines.append(f"Learning goals: {', '.join(g.key for g in t.learning_goals)}")
    return "\n".join(lines)


def _range(r: PercentRange) -> str:
    return f"{r.min} %" if r.min == r.max else f"{r.min}–{r.max} %"
