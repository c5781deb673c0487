"""Recommendation: from a team's competence gaps to ranked, explained courses (PRODUCT.md §6).

A gap is a field (or two) at a level, in the team's words where it has them. Words are tagged like
a course; their main field and their level are then put to a vote with the tags of the five courses
the words rank highest by meaning and keywords, since a short gap text is easy for the tagger to
misread. A level the words state plainly ("grundlæggende viden om …", "for erfarne sagsbehandlere":
matcher/data/gap_level_words.yaml) is not put to the vote, and a level the user chooses wins.
Each active course that passes the user's filters gets one score per gap, a weighted sum of parts
in [0, 1]:

- `semantic`: how alike the course and the gap read in the framework's terms (`FrameworkSpace`:
  the cosine of their embeddings' closeness to each framework statement and domain topic), for the
  gap's words, or for the centroid of the framework's competences at its field and level where it
  has none; min-max scaled over the candidates;
- `keyword`: BM25 of the gap's words over title, description and learning goals, scaled by the
  best candidate's;
- `tags`: the tagger's score for the gap's field (the chance the course builds it);
- `level`: the course's level against the gap's, and against the learners' proficiency: no
  introduction course for experts (proficiency ≥ 4), no master module for beginners (≤ 2);
- `form`: a gap many share prefers forms the team takes together (rekvirerbar, on site), a gap of
  one person an open module;
- `transfer`: how much the course's own design supports transfer (matcher.transfer).

The top candidates are then picked greedily with a small penalty for a provider or course type
already picked, so one provider's near-identical modules do not fill the list. Weights were set on
the development queries (eval/README.md) and are measured by `fagmatch evaluate-recommend`.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from matcher import clock
from matcher.abbreviations import with_long_forms
from matcher.catalogue_index import CatalogueIndex, CourseFilters
from matcher.embeddings import unit_vectors
from matcher.gap_level import GapLevelWords, default_level_words
from matcher.gap_table import SHIPPED_TABLE, CourseProducts, tagger_for_gaps
from matcher.keyword_search import has_content_words
from matcher.gaps import MAX_NAME, MAX_TEAM_SIZE, NeedsAnalysis, TeamAnalysis
from matcher.constraint_words import constraint_words
from matcher.messages import current_language, say, say_count
from matcher.store import open_catalogue
from matcher.tagging import CourseText, Tagger
from matcher.taxonomy import LEVELS, Level, Taxonomy, level_name
from matcher.text import first_repeated, strip_controls
from matcher.transfer import TransferContext, TransferCues, assess_transfer, transfer_score

GapSource = Literal["text", "assessment", "survey"]
# A team gap's two parts: what everyone under the required step needs, and the resource persons'.
TeamPart = Literal["basic", "resource"]
# What set a gap in words' level: phrases that state it (matcher/data/gap_level_words.yaml), the
# tagger's reading of the words alone, that reading put to the closest courses' vote, or the user.
LevelReadBy = Literal["level words", "words", "words and catalogue", "choice"]
# A gap shared by at least this many learners is a team gap: it prefers forms taken together.
TEAM_GAP_LEARNERS = 3
# How well a course form suits a gap: by whether the gap is a team's (True) or one person's (False).
FORM_FIT: dict[bool, dict[str, float]] = {
    True: {"rekvirerbar": 1.0, "fysisk": 0.6, "blended": 0.6, "online": 0.4},
    False: {"fysisk": 1.0, "online": 1.0, "blended": 1.0, "rekvirerbar": 0.4},
}
SPECIALIST_STEP = 4  # proficiency from which a learner is past introduction courses
BEGINNER_STEP = 2  # proficiency up to which a master module is out of reach, and no one is a resource person to be
# An employee short of the required step by less than this (a mean of statement ratings such as
# 2.75 against 3) rounds to the step itself, as the team's distribution counts it: not a gap.
COUNTED_SHORTFALL = 0.5
MAX_STARTS = 12  # upcoming start dates a result lists
# The largest recommendation document: so that its cost (time, memory, the answer's size) is bounded.
# A team's analysis gives at most 12 gaps (6 fields, a basic and a resource-person part each).
MAX_GAPS = 20  # gaps in one recommendation
MAX_RESULTS = 500  # results in one recommendation (gaps × top): an answer of at most about 3 MB
CANDIDATES = 60  # the best this many by score are considered for the diversified list
# A course this far from a gap's words, both by meaning and by keyword (each scaled over the whole
# catalogue, 0 the farthest course, 1 the nearest), is no answer to it, however few courses the user's
# constraints leave. Over the 286 graded queries of eval/ no course graded 2 or 3 lies below both
# (10 graded 1 do, on the real pages), and none of the recommender's top five did.
NEAR_BY_MEANING = 0.2
NEAR_BY_KEYWORD = 0.1
# A course the tagger reads as outside the domain must come nearer: half the range by meaning, or 0.3
# by keyword. A small catalogue's bookkeeping course was otherwise offered for a gap in sickness-benefit
# law when a region and a price left few courses; no graded set of eval/ moves (2026-12-07).
OFF_DOMAIN_NEAR_BY_MEANING = 0.5
OFF_DOMAIN_NEAR_BY_KEYWORD = 0.3
# A gap in words is short, and the tagger learnt fields and levels from whole course pages: it can
# miss the field ("grundkursus i forvaltningsret …" read as labour market) and reads a specialist
# need as basic ("vi har brug for én der kan rådgive ledelsen …"). The tags of the courses its words
# rank highest vote too (set on the development queries: 21 → 24 of 24 primary fields right; the
# same share on level, untuned: 60 → 67 of 72 levels right over the three spent query files).
NEIGHBOURS = 5  # how many of the closest courses vote
NEIGHBOURS_SHARE = 0.5  # their share of the vote; the rest is the tagger's reading of the words
KEEP_SECOND_FIELD = 0.8  # when the vote moves the main field, a field the tagger gave stays if this close
# A gap in words without level words is specialised from this share of that vote, not from half: HR
# names a specialised need by its task ("… en medarbejder, der kan lede implementeringen") more often
# than by its level, and such words read basic to a tagger that learnt level from whole pages, where
# the type and ECTS say it (chosen on the spent query sets; eval/README.md, "The level of a gap in words").
SPECIALISED_FROM = 0.35
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


@dataclass(frozen=True)
class Weights:
    # set by a grid search on eval/recommend-queries-dev.jsonl (eval/README.md)
    semantic: float = 0.35
    keyword: float = 0.40
    tags: float = 0.10
    level: float = 0.05
    form: float = 0.05
    transfer: float = 0.05
    same_provider: float = 0.04  # subtracted per course of the same provider already picked
    same_type: float = 0.01
    # share of the gap's own words in its vector, the rest the framework's competences for its field
    # and level; words alone did best on the development queries, the framework carries field gaps
    text_vs_framework: float = 1.0


DEFAULT_WEIGHTS = Weights()


# A gap in words whose domain gate reads under this is told so (off_domain_notice). Every one of the
# 238 graded gap queries reads above it (the lowest 0.011), nonsense and needs outside the domain
# ("xyzzy qwerty", "kursus", "ledelse", "regnskab og bogføring") under it (0.0000–0.009).
OFF_DOMAIN_GAP_BELOW = 0.01


class RecommendError(ValueError):
    """A request that cannot give a meaningful answer; the message says why and what to change."""


_DERIVED_GAP_KEYS = ("field", "field_name", "why_no_courses")  # what a recommendation adds to a gap
MAX_GAP_TEXT = 2000  # characters of a gap described in words


def repeated_gap_id(ids: list[str]) -> tuple[int, str] | None:
    """The first gap id that repeats an earlier one, with its index: results and a plan tell the gaps
    apart by their ids, so each gap needs its own."""
    return first_repeated(ids)


class Gap(BaseModel):
    """One competence gap to recommend courses for."""

    model_config = ConfigDict(extra="forbid")

    # Bounded, so that what one gap costs a service, and adds to its answer, is small.
    id: str = Field(min_length=1, max_length=100)
    fields: list[str] = Field(min_length=1, max_length=6, description="Field keys, the main one first.")
    level: Level | None = None
    text: str | None = Field(default=None, max_length=MAX_GAP_TEXT)
    employees: list[Annotated[str, Field(max_length=MAX_NAME)]] = Field(
        default_factory=list, max_length=MAX_TEAM_SIZE, description=f"At most {MAX_TEAM_SIZE}, as a team.")
    learners: int = Field(default=1, ge=1, le=MAX_TEAM_SIZE)
    leaders: int = Field(default=0, ge=0, le=MAX_TEAM_SIZE, description="How many of the learners are the team's leaders (an assessment's or a survey's role column): a leader who takes part is the leader's involvement, as the transfer note says.")
    proficiency: float | None = Field(default=None, ge=1, le=5, description="The learners' mean step, 1–5.")
    dimension: str | None = Field(default=None, max_length=100, description="The dimension whose learning forms the transfer note suggests; left out, the one closest to the main field's statements at the level.")
    priority_rank: int | None = Field(default=None, ge=1, le=1000, description="The gap's rank among the team's gaps, 1 first.")
    source: GapSource = "text"
    part: TeamPart | None = Field(default=None, description="A team gap's part: basic (everyone under the required step) or resource (the resource persons the target asks for).")
    target_level: int | None = Field(default=None, ge=1, le=5, description="The step the learners should reach.")
    levels: dict[str, float] = Field(default_factory=dict, max_length=MAX_TEAM_SIZE, description="Each learner's step now.")
    skip: str | None = Field(default=None, max_length=1000, description="Why this gap gets no course (then no course is sought).")
    level_read_by: LevelReadBy | None = Field(default=None, description="For a gap in words: what set its level.")
    level_words: list[str] = Field(default_factory=list, description="The level phrases found in its words.")
    domain_score: float | None = Field(default=None, ge=0, le=1, description="For a gap in words: how far they read as employment-services work (the tagger's domain gate); under 0.01 its fields and level are a guess.")

    @model_validator(mode="before")
    @classmethod
    def _accept_own_json(cls, data: Any) -> Any:
        # a gap as `to_json` gave it (with the derived `field` and `field_name`) is valid input again
        if isinstance(data, dict) and any(key in data for key in _DERIVED_GAP_KEYS):
            data = {k: v for k, v in data.items() if k not in _DERIVED_GAP_KEYS}
        return data

    @property
    def field(self) -> str:
        return self.fields[0]

    def to_json(self, taxonomy: Taxonomy) -> dict[str, Any]:
        data = self.model_dump(mode="json")
        data["field"] = self.field
        # a survey gap of fields asked about together is named by all of them
        shown = self.fields if self.source == "survey" else self.fields[:1]
        data["field_name"] = " / ".join(taxonomy.field(key).name for key in shown)
        return data


class Recommender:
    """Ranks an index's courses for gaps. Thread-safe once built; free-text gaps are cached."""

    def __init__(
        self, index: CatalogueIndex, tagger: Tagger, *, weights: Weights = DEFAULT_WEIGHTS,
        transfer_cues: TransferCues | None = None, gap_table: Path | None = SHIPPED_TABLE, course_products: bool = False,
        level_words: GapLevelWords | None = None,
    ) -> None:
        """`gap_table`: the table that embeds a gap's words where it knows them (matcher.gap_table);
        None runs the model on every new gap text. Used only when fitted for the tagger's model.
        `course_products`: precompute every course's product with the table's tokens, in the
        framework's terms for the ranking and raw for the vote on a gap's field and level (1 s and
        380 MB at 10 000 courses), so that new words skip two reads of all course vectors (~1 ms
        each, under load more); for a service, not a one-off."""
        self.index = index
        self.tagger = tagger
        # Gaps and courses are compared in the framework's terms (see FrameworkSpace), not by raw cosine.
        self.space = FrameworkSpace.of(tagger.vectors)
        self._course_space = self.space.courses(index.vectors)
        # Words the table embeds are tagged on the caller's thread, without waiting for the model's lock:
        # an event loop must never block behind another request's model pass.
        self._gap_tagger = tagger_for_gaps(tagger, gap_table)
        self.gap_embedder = self._gap_tagger.embedder if self._gap_tagger is not tagger else None
        self.course_products = (
            CourseProducts.build(self.gap_embedder.table, self._course_space)
            if course_products and self.gap_embedder is not None else None
        )
        # The vote on a new gap's field and level reads the raw cosine (see _analyse_text).
        self.vote_products = (
            CourseProducts.build(self.gap_embedder.table, index.vectors) if self.course_products is not None else None
        )
        self.taxonomy: Taxonomy = tagger.taxonomy
        self.weights = weights
        self.transfer_cues = transfer_cues or TransferCues.load()
        # read here, so that a broken file stops a service at start, not at its first gap in words
        self.level_words = level_words or default_level_words()
        vectors = tagger.vectors
        self._statements = vectors.statements
        self._centroids = {
            key: unit_vectors(vectors.statement_vectors[idx].mean(axis=0))
            for key, idx in vectors.by_field_level.items() if len(idx)
        }
        for key in vectors.field_keys:
            self._centroids[(key, None)] = unit_vectors(vectors.statement_vectors[vectors.by_field[key]].mean(axis=0))
        self._dimension_vectors = vectors.dimension_vectors
        self._dimension_keys = [key for key, _ in vectors.dimensions]
        self.design_transfer = np.array(
            [transfer_score(c, TransferContext(), self.transfer_cues, read_type=t.course_type)
             for c, t in zip(index.courses, index.tags)], dtype=np.float32
        ) / 100.0
        self._model_lock = threading.Lock()
        self._analysed = _Memo(self._analyse_text, size=2048)
        # A course's note depends only on it and the gap's context, and popular courses come back for
        # the same gaps again and again: 0.13 ms each, five per gap; each result copies it.
        self._transfer = functools.lru_cache(maxsize=8192)(self._transfer_note)
        self._similarities = _Memo(self._all_similarities, size=256)  # 40 kB each
        # Words asked for again (a team's gap, a popular query) rank without redoing their BM25 over
        # every course (0.3 ms) or their results' reasons (terms and passages, 0.05 ms each).
        self._keyword_scores = functools.lru_cache(maxsize=256)(self._all_keyword_scores)  # 40 kB each
        self._reasons = functools.lru_cache(maxsize=8192)(self._why_at)
        self._course_reasons = functools.lru_cache(maxsize=8192)(self._reasons_without_words)
        # New words find the popular courses again: their sentences are split and stemmed once, per
        # description, not per record (a course held at several places or times has one description).
        self._sentences = functools.lru_cache(maxsize=4096)(self._sentences_of)
        self._written = functools.lru_cache(maxsize=4096)(self._written_of)
        # Per-course lookups computed once, so a ranking is array arithmetic over 10 000 courses.
        self._has_level = {level: index.level == level for level in ("grundlaeggende", "specialiseret")}
        self._no_level = index.level == ""
        self._is_master = index.course_type == "master"
        self._form_fit_for = {
            team: np.array([table.get(f, 0.5) for f in index.form]) for team, table in FORM_FIT.items()
        }
        self._all_embedded = bool(index.has_vector.all())
        self._gap_shape_parts = functools.lru_cache(maxsize=256)(self._shape_parts)  # 240 kB each

    @classmethod
    def from_catalogue(cls, path: Path | str, tagger: Tagger, **kwargs: Any) -> Recommender:
        """A recommender over the published catalogue's active courses, with the tagger's embeddings.
        A missing catalogue is an error (`CatalogueMissing`), not an empty one."""
        with open_catalogue(path, create=False) as reader:
            index = CatalogueIndex.load(reader, tagger.taxonomy.field_keys, embedding_model=tagger.embedder.model_version)
        return cls(index, tagger, **kwargs)

    # ---- gaps

    def gap_from_text(self, text: str, *, gap_id: str = "g1", learners: int = 1, level: str | None = None) -> Gap:
        """A gap in words → its fields and level, by the tagger (which knows it is about this domain).
        `level`: the user's own choice, which wins over the level read from the words."""
        text = gap_text(text)
        if level is not None and level not in LEVELS:
            raise RecommendError(say("unknown level {level!r}: use {choices}", level=level, choices=" or ".join(LEVELS)))
        gap, _ = self._analysed(text)
        update: dict[str, Any] = {"id": gap_id, "learners": learners}
        if level is not None:
            update.update(level=level, level_read_by="choice")
        return gap.model_copy(update=update)

    def needs_model(self, texts: Sequence[str | None]) -> bool:
        """Whether ranking for gaps in these words would run the embedding model (tens of ms): some
        are new, and the gap table does not know them well enough to embed them itself."""
        new = [line for line in (_one_line(t) for t in texts if t) if line and line not in self._analysed]
        if not new or self.gap_embedder is None:
            return bool(new)
        return not all(self.gap_embedder.knows([with_long_forms(text)]) for text in new)

    def _analyse_text(self, text: str) -> tuple[Gap, np.ndarray]:
        """A gap's words tagged, and their vector (from the gap table, or one model pass), which the
        ranking reuses. The main field and the level are the tagger's, unless the closest courses'
        tags outvote it; a level the words state plainly ("grundlæggende", "for erfarne …") is theirs.
        The model reads the words with the long form of each abbreviation ("LAB") added."""
        item = [CourseText(id="gap", title="", text=with_long_forms(text))]
        if self.gap_embedder is not None:  # it takes the model's lock itself, only for words it cannot embed
            result = self._gap_tagger.tag(item, in_domain=True, explain=False)[0]
        else:
            with self._model_lock:  # the model runs its own threads; one at a time keeps latency predictable
                result = self.tagger.tag(item, in_domain=True, explain=False)[0]
        vector = result.course_vector
        fields, level = result.assigned_fields, result.level
        stated = self.level_words.read(text)
        read_by: LevelReadBy = "words"
        if len(self.index):
            sims = self._text_cosines(text, vector) if self.index.vectors.size else None
            if sims is not None and self.weights.text_vs_framework == 1.0:  # the ranking will ask for them
                sims.flags.writeable = False
                self._similarities.put(self._similarity_key((), None, text), sims)
            # The vote keeps the raw cosine it was set with: the neighbours it reads are the pages most
            # like the words, framing and all (framework terms for it lowered held-out 0.811 → 0.802).
            closest = self._closest_courses(text, self._raw_cosines(text, vector) if sims is not None else None)
            fields = self._fields_with_neighbours(result.fields, fields, closest)
            if stated.level is None:
                level, read_by = self._level_with_neighbours(result.level, result.level_confidence, closest), "words and catalogue"
        if stated.level is not None:
            level, read_by = stated.level, "level words"
        dimension = max(result.dimensions, key=result.dimensions.get) if result.dimensions else None
        gap = Gap(id="g1", fields=fields, level=level, text=text, dimension=dimension,
                  level_read_by=read_by, level_words=list(stated.phrases), domain_score=round(result.domain_score, 4))
        return gap, vector

    def _closest_courses(self, text: str, sims: np.ndarray | None) -> np.ndarray:
        """The active courses the gap's words rank highest by meaning and keywords alone."""
        w = self.weights
        keyword = self._keyword_scores(text)
        base = w.keyword * _scaled_keyword(keyword, float(keyword.max()) if keyword.size else 0.0)
        if sims is not None:
            embedded = None if self._all_embedded else self.index.has_vector
            base = base + w.semantic * _scaled_semantic(sims, embedded, *_cosine_range(sims, embedded))
        return _top(base, NEIGHBOURS)

    def _fields_with_neighbours(self, tagged: dict[str, float], assigned: list[str], closest: np.ndarray) -> list[str]:
        """The gap's fields: the tagger's, with the main one put to the vote of the closest courses' tags."""
        keys = self.index.field_keys
        own = np.array([tagged.get(k, 0.0) for k in keys])
        theirs = self.index.field_scores[closest].mean(axis=0) if len(closest) else np.zeros(len(keys))
        own_total, their_total = own.sum(), theirs.sum()
        if own_total <= 0 or their_total <= 0:  # untagged courses have no vote
            return assigned
        vote = (1 - NEIGHBOURS_SHARE) * own / own_total + NEIGHBOURS_SHARE * theirs / their_total
        main = keys[int(np.argmax(vote))]
        if assigned and assigned[0] == main:
            return assigned
        return [main] + [k for k in assigned if k != main and vote[keys.index(k)] >= KEEP_SECOND_FIELD * vote.max()]

    def _level_with_neighbours(self, level: str | None, confidence: float | None, closest: np.ndarray) -> str | None:
        """The gap's level: the tagger's reading put to the vote of the closest courses' levels, with
        the same share as the field. A short gap text reads as basic more often than it is
        ("vi mangler én der kan rådgive ledelsen …"); the courses it finds say which level it asks for."""
        if level is None or confidence is None:
            return level
        special = int(self._has_level["specialiseret"][closest].sum())
        basic = int(self._has_level["grundlaeggende"][closest].sum())
        vote = confidence if level == "specialiseret" else 1.0 - confidence
        if special + basic:  # untagged and off-domain courses have no vote
            vote = (1 - NEIGHBOURS_SHARE) * vote + NEIGHBOURS_SHARE * special / (special + basic)
        return "specialiseret" if vote >= SPECIALISED_FROM else "grundlaeggende"

    def gaps_from_team(self, analysis: TeamAnalysis, *, max_gaps: int | None = None) -> list[Gap]:
        """The team's field gaps, each split in two parts (faglighed-fundament §4: basic competences
        for everyone, specialised ones for the resource persons):

        * the basic part: the employees under the required step, at the basic level, aiming for
          the required step;
        * the resource-person part: as many people as the target's shortfall of resource persons,
          at the specialised level, aiming for the specialist step; chosen among those closest to
          it (highest step first) and never a novice (step ≤ BEGINNER_STEP).

        A part that gets no course says why (`skip`): an employee short by less than
        COUNTED_SHORTFALL of a step, or no one close enough to become a resource person yet.
        Fields in priority order; `max_gaps` keeps the first fields only (None: every field)."""
        levels = {e.employee: e.levels for e in analysis.employees}
        leaders = {e.employee for e in analysis.employees if e.role == "leader"}
        gaps: list[Gap] = []
        fields = [c for c in analysis.fields if c.status in ("gap", "individual")]
        for capacity in fields[:max_gaps]:
            gaps += self._team_field_gaps(capacity, levels, leaders, analysis.specialist_level, len(gaps))
        if not gaps:
            raise RecommendError(say("the team meets its target in every field: there is no gap to recommend courses for"))
        return gaps

    def _team_field_gaps(
        self, capacity: Any, levels: dict[str, dict[str, float]], leaders: set[str], specialist_level: int, before: int,
    ) -> list[Gap]:
        """One field's parts (see gaps_from_team); `before`: gaps made so far, for the ids."""
        key, required = capacity.field, capacity.required_level or 0
        step = {name: levels[name][key] for name in levels if key in levels[name]}
        parts: list[Gap] = []

        def add(part: TeamPart, level: str, people: list[str], target: int, skip: str | None = None) -> None:
            own = {name: step[name] for name in people}
            proficiency = float(np.mean(list(own.values()))) if own else capacity.mean_level
            gap = self._field_gap(f"g{before + len(parts) + 1}", key, level, people, proficiency,
                                  capacity.priority_rank, "assessment")
            parts.append(gap.model_copy(update={"part": part, "target_level": target, "levels": own, "skip": skip,
                                                "leaders": len(leaders & set(people))}))

        below = capacity.employees_below
        counted = [n for n in below if required - step[n] >= COUNTED_SHORTFALL]
        near = [n for n in below if n not in counted]
        if counted:
            add("basic", "grundlaeggende", counted, required)
        if near:
            add("basic", "grundlaeggende", near, required, say(
                "{people} short of step {required} by less than {threshold} of a step, which does not count as a gap; "
                "follow it up in the yearly appraisal", people=_names(near), required=required, threshold=COUNTED_SHORTFALL))
        shortfall = capacity.specialist_shortfall
        if shortfall:
            resource = set(capacity.resource_persons)
            # closest to the specialist step first; a tie keeps the assessment's order
            candidates = sorted((n for n in step if n not in resource and step[n] > BEGINNER_STEP), key=lambda n: -step[n])
            chosen = candidates[:shortfall]
            if chosen:
                add("resource", "specialiseret", chosen, specialist_level)
            if len(chosen) < shortfall:
                add("resource", "specialiseret", [], specialist_level, say_count(
                    capacity.specialists_needed,
                    "the target asks for {needed} resource person and {missing} more cannot be found: no one else "
                    "is above step {novice} yet; let the basic courses come first and look again at the next assessment",
                    "the target asks for {needed} resource persons and {missing} more cannot be found: no one else "
                    "is above step {novice} yet; let the basic courses come first and look again at the next assessment",
                    needed=capacity.specialists_needed, missing=shortfall - len(chosen), novice=BEGINNER_STEP))
        return parts

    def gaps_from_needs(self, analysis: NeedsAnalysis, *, max_gaps: int = 3) -> list[Gap]:
        """The fields the team most wants to develop, worded by their top statements. A field in which
        nobody answered 4–5 is no gap; fields whose top statements are the same (the survey asks about
        some fields together) make one gap, with both fields, not two gaps with the same words."""
        gaps: list[Gap] = []
        by_statements: dict[tuple[str, ...], int] = {}
        for need in analysis.fields:
            if need.priority_rank is None:
                continue
            top = [s for s in analysis.statements if need.field in s.fields and s.n_high > 0][:2]
            if not top:
                continue
            key = tuple(s.id for s in top)
            if key in by_statements:
                same = by_statements[key]
                gaps[same] = gaps[same].model_copy(update={"fields": [*gaps[same].fields, need.field]})
                continue
            if len(gaps) >= max_gaps:
                continue
            by_statements[key] = len(gaps)
            gap = self._field_gap(f"g{len(gaps) + 1}", need.field, None, [], None, need.priority_rank, "survey")
            # statements are sentences of their own: joined with a semicolon, not run together
            wording = "; ".join(s.text.rstrip(" .") for s in top)
            # who wants it: the most who answered 4–5 to one of its statements, and how many of them lead
            wanting = max(top, key=lambda s: s.n_high)
            leaders = wanting.by_role["leaders"].n_high if "leaders" in wanting.by_role else 0
            gaps.append(gap.model_copy(update={"text": wording, "learners": wanting.n_high, "leaders": leaders}))
        if not gaps:
            raise RecommendError(say("no field stands out in the survey: nobody answered 4–5 to any statement"))
        return gaps

    def _field_gap(
        self, gap_id: str, field: str, level: str | None, employees: list[str], proficiency: float | None,
        rank: int | None, source: GapSource,
    ) -> Gap:
        return Gap(
            id=gap_id, fields=[field], level=level, employees=employees, learners=max(1, len(employees)),
            proficiency=None if proficiency is None else float(min(5.0, max(1.0, proficiency))),
            dimension=self._field_dimension(field, level), priority_rank=rank, source=source,
        )

    def _field_dimension(self, field: str, level: str | None) -> str:
        """The dimension closest to the field's statements at the level: a gap named by its field alone."""
        centroid = self._centroids.get((field, level), self._centroids[(field, None)])
        return self._dimension_keys[int(np.argmax(self._dimension_vectors @ centroid))]

    def _with_dimension(self, gap: Gap) -> Gap:
        """A gap that names a field but no dimension (a client's) gets its field's, as a team's gaps do,
        so its transfer note suggests learning forms."""
        if gap.dimension is not None or not gap.fields or gap.fields[0] not in self.taxonomy.field_keys:
            return gap
        return gap.model_copy(update={"dimension": self._field_dimension(gap.fields[0], gap.level)})

    # ---- ranking

    def _gap_vector(self, fields: tuple[str, ...], level: str | None, text: str) -> np.ndarray:
        """The gap in the embedding space: its words and its field-level framework centroid."""
        framework = unit_vectors(sum((1.0 if i == 0 else 0.5) * self._centroids[(key, level)] for i, key in enumerate(fields)))
        if not text:
            return framework
        # The words embedded as a passage, like the courses: the vector tagging them already made
        # (ranked as well as an e5 query on the development queries, and one model pass instead of two).
        share = self.weights.text_vs_framework
        _, text_vector = self._analysed(text)
        return unit_vectors(share * text_vector + (1 - share) * framework)

    def _similarity_key(self, fields: tuple[str, ...], level: str | None, text: str) -> tuple[tuple[str, ...], str | None, str]:
        # Words alone make the vector (the default weights): one entry per text, whatever its fields.
        return ((), None, text) if text and self.weights.text_vs_framework == 1.0 else (fields, level, text)

    def _all_similarities(self, key: tuple[tuple[str, ...], str | None, str]) -> np.ndarray:
        """Every course's cosine to the gap. A product over all 10 000 vectors reads 15 MB, about 1 ms,
        so it is cached per gap: a team's gaps are few field × level pairs, asked for again and again."""
        fields, level, text = key
        if text and self.weights.text_vs_framework == 1.0:
            sims = self._text_cosines(text, self._analysed(text)[1])
        else:
            sims = self.space.similarities(self._course_space, self._gap_vector(fields, level, text))
        sims.flags.writeable = False
        return sims

    def _text_cosines(self, text: str, vector: np.ndarray) -> np.ndarray:
        """Every course's similarity to the vector of the gap's words, in the framework's terms. Words
        the gap table embedded are quicker from its precomputed course products."""
        products = self._precomputed(self.course_products, text, vector)
        return self.space.similarities(self._course_space, vector, products)

    def _raw_cosines(self, text: str, vector: np.ndarray) -> np.ndarray:
        """Every course's raw cosine to the vector of the gap's words, for the vote on its field and
        level; from the vote's precomputed products where the gap table embedded the words."""
        sims = self._precomputed(self.vote_products, text, vector)
        return self.index.vectors @ vector if sims is None else sims

    def _precomputed(self, products: CourseProducts | None, text: str, vector: np.ndarray) -> np.ndarray | None:
        """Every course's product with the gap's words from `products`, when built and when the gap
        table embedded the words (else None: the course vectors must answer)."""
        return None if products is None else products.cosines(self.gap_embedder.words(with_long_forms(text)), vector)

    def _all_keyword_scores(self, text: str) -> np.ndarray:
        scores = self.index.keywords.scores(text)
        scores.flags.writeable = False
        return scores

    def score(self, gap: Gap, candidates: np.ndarray) -> _Scores:
        """Each candidate's weighted total for one gap, and the parts it was summed from."""
        index, w = self.index, self.weights
        # No filter is the common case: reading whole arrays saves a copy of each per request.
        every = len(candidates) == len(index)
        text = _one_line(gap.text or "")  # one cache entry however the words are spaced
        # Scaled over the whole catalogue, not over the candidates: a course is as near to the gap
        # whichever others the user's constraints leave, so the best of a poor lot does not read as a fit.
        if index.vectors.size:
            sims = self._similarities(self._similarity_key(tuple(gap.fields), gap.level, text))
            embedded = None if self._all_embedded else index.has_vector
            low, high = _cosine_range(sims, embedded)
            if not every:
                sims, embedded = sims[candidates], None if embedded is None else embedded[candidates]
            semantic = _scaled_semantic(sims, embedded, low, high)
        else:
            semantic = np.zeros(len(candidates), dtype=np.float32)
        keyword = self._keyword_scores(text) if text else np.zeros(len(index), dtype=np.float32)
        best = float(keyword.max()) if keyword.size else 0.0
        keyword = _scaled_keyword(keyword if every else keyword[candidates], best)
        fixed = self._gap_shape_parts(
            tuple(gap.fields), gap.level, _proficiency_band(gap.proficiency), gap.learners >= TEAM_GAP_LEARNERS,
        )
        total = w.semantic * semantic + w.keyword * keyword + (fixed.total if every else fixed.total[candidates])
        return _Scores(candidates, total, semantic, keyword, fixed)

    def _shape_parts(self, fields: tuple[str, ...], level: str | None, band: int, team: bool) -> _FixedParts:
        """The parts of a course's score that depend only on the gap's shape (fields, level, the
        learners' proficiency band, team or one person), not on its words: for every course, once."""
        index, w = self.index, self.weights
        columns = [index.field_keys.index(k) for k in fields]
        field_weights = np.array([1.0] + [0.7] * (len(columns) - 1))
        tags = (index.field_scores[:, columns] * field_weights).max(axis=1)
        level_fit = np.full(len(index), 0.5)
        if level:
            level_fit = np.where(self._has_level[level], 1.0, np.where(self._no_level, 0.5, 0.0))
        # a course read as outside the domain is at no level of the framework's (an untagged one may be)
        level_fit = np.where(index.off_domain, 0.0, level_fit)
        if band > 0:  # experts: no introduction course
            level_fit = np.where(self._has_level["grundlaeggende"], 0.0, level_fit)
        if band < 0:  # beginners: no master module
            level_fit = np.where(self._is_master, 0.0, level_fit)
        form = self._form_fit_for[team]
        total = w.tags * tags + w.level * level_fit + w.form * form + w.transfer * self.design_transfer
        for array in (tags, level_fit, total):
            array.flags.writeable = False
        return _FixedParts(tags, level_fit, form, self.design_transfer, total)

    def rank(
        self, gap: Gap, filters: CourseFilters, *, top: int = 5, today: dt.date | None = None,
        passing: np.ndarray | None = None,
    ) -> list[tuple[int, float, dict[str, float]]]:
        """(index position, score, parts) of the top courses for one gap, diversified. `passing`: the
        filters' mask, when the caller has it already."""
        today = today or clock.today()
        candidates = np.flatnonzero(self.index.mask(filters, today) if passing is None else passing)
        if not len(candidates):
            return []
        scores = self.score(gap, candidates)
        total = scores.total
        head = _top(total, CANDIDATES)
        # A team's field gap has no words; its courses build the field (_builds). Far courses are
        # rare among the best: looked for there first, in the whole list only when one is found.
        off_domain = self.index.off_domain[candidates]
        if gap.text and not _near(scores.semantic[head], scores.keyword[head], off_domain[head]).all():
            near = _near(scores.semantic, scores.keyword, off_domain)
            total = np.where(near, total, -np.inf)
            head = _top(total, CANDIDATES)
            head = head[np.isfinite(total[head])]
        order = head[np.argsort(-total[head], kind="stable")]
        positions = candidates[order]
        picked = self._diversified(
            total[order].tolist(), self.index.provider[positions].tolist(), self.index.course_type[positions].tolist(),
            self.index.offer[positions].tolist(), top,
        )
        return [(int(candidates[order[k]]), float(total[order[k]]), scores.parts(int(order[k]))) for k in picked]

    def _diversified(self, best: list[float], providers: list[str], types: list[str], offers: list[int], top: int) -> list[int]:
        """The picks (positions in `best`, which is in descending order), greedily: each pick lowers
        the others of its provider and its type, and closes its own offer's other records (the same
        course held at other places: the result names them). Ties: the higher score first.

        A penalty only lowers a score, so a pick reads the candidates only until one's score alone
        cannot beat the best found: a few of the sixty, in plain Python, where numpy calls over
        them all cost more than their arithmetic. Each penalty is summed in the order of the picks."""
        w = self.weights
        picked: list[int] = []
        closed: set[int] = set()
        for _ in range(min(top, len(best))):
            k, value = None, -np.inf
            for j, score in enumerate(best):
                if score <= value:
                    break
                if offers[j] in closed:
                    continue
                penalty = 0.0
                for p in picked:
                    penalty += w.same_provider * (providers[j] == providers[p]) + w.same_type * (types[j] == types[p])
                if score - penalty > value:
                    k, value = j, score - penalty
            if k is None:  # fewer offers than `top`: each is listed once
                break
            closed.add(offers[k])
            picked.append(k)
        return picked

    def recommend(
        self, gaps: Sequence[Gap], filters: CourseFilters | None = None, *, top: int = 5, query: str | None = None,
        today: dt.date | None = None,
    ) -> dict[str, Any]:
        """The recommendation document: gaps, and per gap its top courses with why and transfer note."""
        filters = filters or CourseFilters()
        today = today or clock.today()
        if not 1 <= top <= 50:
            raise RecommendError(say("top must be between 1 and 50"))
        if not len(self.index):
            raise RecommendError(say("the catalogue has no active courses: ingest or crawl courses first"))
        passing = self.index.mask(filters, today)
        if not passing.any():
            raise RecommendError(self._why_nothing_passes(filters, today))
        upcoming = self.index.next_starts_within(filters, today)
        results = []
        place = self.index.place_notice(filters, passing)
        unanswered: dict[str, str] = {}
        gaps = [self._with_dimension(gap) for gap in gaps]
        for gap in gaps:
            if gap.skip:
                unanswered[gap.id] = gap.skip
                continue
            fitting = passing & self._builds(gap) if gap.source == "assessment" else passing
            ranked = self.rank(gap, filters, top=top, today=today, passing=fitting) if fitting.any() else []
            if not ranked and fitting.any():  # courses were there, none near the words (NEAR_BY_MEANING)
                unanswered[gap.id] = say_count(
                    int(fitting.sum()), "the one course that meets the constraints does not come near these words; "
                    "loosen the constraints or describe the need in other words",
                    "none of the {count} courses that meet the constraints comes near these words; "
                    "loosen the constraints or describe the need in other words", count=int(fitting.sum()))
            elif not ranked:
                unanswered[gap.id] = self._why_no_course(gap, today)
            context = TransferContext(field=gap.field, level=gap.level, dimension=gap.dimension, learners=gap.learners,
                                      leaders=min(gap.leaders, gap.learners))
            for rank, (i, score, parts) in enumerate(ranked, start=1):
                results.append(self._result(gap, i, score, parts, rank, today, upcoming, context, fitting))
        return {
            "query": query,
            "today": today.isoformat(),
            "gaps": [dict(gap.to_json(self.taxonomy), why_no_courses=unanswered.get(gap.id)) for gap in gaps],
            "constraints": filters.model_dump(mode="json", exclude_defaults=True),
            "candidates": int(passing.sum()),
            "results": results,
            "notices": [note for note in (place, *(off_domain_notice(g.text, g.domain_score) for g in gaps)) if note],
        }

    def _builds(self, gap: Gap) -> np.ndarray:
        """Courses that build the gap's main field at its level: a team's field gap has no words
        to rank by, so a course outside the field or at the other level is no answer to it."""
        keep = self.index.assigned[:, self.index.field_keys.index(gap.field)]
        return keep & self._has_level[gap.level] if gap.level else keep

    def _why_no_course(self, gap: Gap, today: dt.date) -> str:
        """Why a gap got no course: none in the catalogue builds its field at its level, or the
        user's constraints removed those that do."""
        field = self.taxonomy.field(gap.field).name
        level = level_name(gap.level) if gap.level else None
        anywhere = int((self.index.mask(CourseFilters(), today) & self._builds(gap)).sum())
        if not anywhere:
            if level:
                return say("the catalogue has no current course in {field} at the {level} level", field=field, level=level)
            return say("the catalogue has no current course in {field}", field=field)
        return say("the constraints removed the {count} course(s) in {field} at this level; loosen them to see those",
                   count=anywhere, field=field)

    def _why_nothing_passes(self, filters: CourseFilters, today: dt.date) -> str:
        """Which constraint empties the list: each one's count on its own."""
        active = filters.model_dump(exclude_defaults=True)
        counts = []
        for name, value in active.items():
            alone = CourseFilters(**{name: value})
            if current_language() == "da":  # the page's words: "højst 500,50 kr.", not max_price=500.5
                named = [self.taxonomy.field(k).name for k in value] if name == "fields" else value
                constraint = constraint_words(name, named)
            else:  # the API's key and value, as the client sent them
                constraint = f"{name}={_constraint_value(value)}"
            counts.append(say("{constraint} alone leaves {count}", constraint=constraint,
                              count=int(self.index.mask(alone, today).sum())))
        detail = "; ".join(counts) if counts else say("every course is past or withdrawn")
        return say("no course in the catalogue passes these constraints ({detail}); loosen one of them", detail=detail)

    def _result(
        self, gap: Gap, i: int, score: float, parts: dict[str, float], rank: int, today: dt.date, upcoming: np.ndarray,
        context: TransferContext, passing: np.ndarray,
    ) -> dict[str, Any]:
        hit = self.index._hit(i, score, today, upcoming)
        course, tags = hit.course, hit.tags
        return {
            "gap_id": gap.id, "rank": rank, "course_id": course.course_id, "url": course.url, "title": course.title,
            "provider": course.provider, "course_type": hit.course_type, "course_type_inferred": hit.course_type_inferred,
            "score": round(score, 4), "parts": {k: round(v, 3) for k, v in parts.items()},
            "fields": list(tags.assigned_fields), "level": tags.level,
            "why": [dict(reason) for reason in self._reasons(tuple(gap.fields), gap.level, gap.text, i)],
            "transfer": dict(self._transfer(i, context)),
            "next_start": hit.next_start.isoformat() if hit.next_start else None,
            "application_deadline": course.application_deadline.isoformat() if course.application_deadline else None,
            # every start one can still apply for, so a plan can pick a later one where the next clashes
            "start_dates": [d.isoformat() for d in self.index.open_start_dates(i, today)][:MAX_STARTS],
            "price_dkk": course.price_dkk, "ects": course.ects, "duration_days": course.duration_days,
            "form": course.form, "location": course.location, "language": course.language,
            # the same course held at other places (or times), within the constraints: listed once
            "also_offered": [self._other_offer(j, today, upcoming) for j in self.index.same_offer(i) if passing[j]],
        }

    def _other_offer(self, j: int, today: dt.date, upcoming: np.ndarray) -> dict[str, Any]:
        hit = self.index._hit(j, 0.0, today, upcoming)
        return {"course_id": hit.course.course_id, "location": hit.course.location,
                "next_start": hit.next_start.isoformat() if hit.next_start else None}

    def _transfer_note(self, i: int, context: TransferContext) -> dict[str, Any]:
        """The course's transfer note in this context, as JSON. Cached, so each result copies it."""
        return assess_transfer(self.index.courses[i], context, self.taxonomy, self.transfer_cues,
                               read_type=self.index.tags[i].course_type).model_dump(mode="json")

    def _why_at(self, fields: tuple[str, ...], level: str | None, text: str | None, i: int) -> tuple[dict[str, Any], ...]:
        """Why the course at `i` fits the gap of these fields, level and words: the gap's competences
        it matches (with the passage that matched), the gap's words it contains, how its level fits.
        Cached, so immutable apart from the dicts, which each result copies."""
        competences, level_fit = self._course_reasons(fields, level, i)
        reasons = list(competences)
        if text:
            terms = self.index.keywords.matched_terms(text, i)
            if terms:
                reasons.append({"kind": "keywords", "terms": tuple(terms), "words": self._words_for(i, terms),
                                "passage": self._passage_with(i, terms)})
        if text and not reasons:  # near the words by meaning alone: said so, and whether it reads as outside the domain
            reasons.append({"kind": "meaning", "off_domain": bool(self.index.off_domain[i])})
        if level_fit is not None:
            reasons.append(level_fit)
        return tuple(reasons)

    def _reasons_without_words(
        self, fields: tuple[str, ...], level: str | None, i: int,
    ) -> tuple[tuple[dict[str, Any], ...], dict[str, Any] | None]:
        """The reasons that do not depend on the gap's words (its competences the course matches, and
        how the levels fit): cached apart, since new words for the same fields find the same courses."""
        tags = self.index.tags[i]
        competences: list[dict[str, Any]] = []
        for key in fields:
            evidence = tags.why.get(key, [])
            preferred = [e for e in evidence if level in (None, e.get("level"))] or evidence
            for e in preferred[:2]:
                competences.append({
                    "kind": "competence", "field": key, "competence_id": e.get("statement_id"),
                    "competence": e.get("statement"), "level": e.get("level"), "passage": e.get("passage"),
                })
        level_fit = None
        if level and tags.level:
            level_fit = {
                "kind": "level", "fits": tags.level == level,
                "text": (f"kurset og gabet er begge på {level_name(level)} niveau" if tags.level == level
                         else f"kursets niveau er {level_name(tags.level)}; gabet er på {level_name(level)} niveau"),
            }
        return tuple(competences), level_fit

    def _passage_with(self, i: int, terms: Sequence[str]) -> str | None:
        """The first sentence of the course's description with any of the (stemmed) terms."""
        wanted = set(terms)
        sentences = self._sentences(self.index.courses[i].description or "")
        return next((sentence for sentence, stems, _ in sentences if not wanted.isdisjoint(stems)), None)

    def _words_for(self, i: int, terms: Sequence[str]) -> tuple[str, ...]:
        """Each (stemmed) term as the course writes it, title first: a person reads "borgere", not the
        stem "borg"; a term found inside a compound is that compound ("jobsamtaler" for "samtal")."""
        written = self._written(i)
        found = [written.get(term) or next((w for stem, w in written.items() if term in stem), term) for term in terms]
        return tuple(dict.fromkeys(found))

    def _written_of(self, i: int) -> dict[str, str]:
        """Each stem of the texts keyword search reads (title, description, learning goals, target group),
        with the word first written with it."""
        course = self.index.courses[i]
        first: dict[str, str] = {}
        texts = (course.title, course.description or "", *(goal.text for goal in course.learning_goals), course.target_group or "")
        for text in texts:
            for _, stems, words in self._sentences(text):
                for stem, word in zip(stems, words):
                    first.setdefault(stem, word)
        return first

    def _sentences_of(self, description: str) -> tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]:
        """Each sentence (cut at 300 characters), its stems and, for each, the word first written with it.
        Tuples of strings, which the garbage collector stops tracking (frozensets it walks each time)."""
        analyzer = self.index.keywords.analyzer
        out = []
        for sentence in _SENTENCE.split(description):
            first: dict[str, str] = {}  # stem → the word first written with it
            for word, stem in analyzer.pairs(sentence):
                first.setdefault(stem, word)
            out.append((sentence.strip()[:300], tuple(first), tuple(first.values())))
        return tuple(out)


@dataclass(frozen=True)
class FrameworkSpace:
    """The embedding read in the framework's terms: a text is described by how much closer it comes
    to each of the framework's statements and the domain's topics in and out (tagging_cues.yaml) than
    to the average of them, and gap and course are compared by the cosine of those descriptions.

    A raw cosine also counts what every page of a kind shares (an HR page's people words, a guide's
    layout), so a need phrased around people and roles finds HR pages off the domain; compared through
    the concepts, only the directions in which the domain's own statements and near misses differ
    count. It has no weight to set; which concepts it reads was chosen among close variants with the
    real-page queries (eval/README.md, "Real courses"). It is linear: a course's description dotted
    with a gap's is the course's precomputed vector (`courses`) dotted with the gap's embedding, so
    a ranking costs what a raw cosine costs."""

    concepts: np.ndarray  # concepts × dim, each less the concepts' mean

    @classmethod
    def of(cls, vectors: Any) -> FrameworkSpace:
        """The space of a tagger's framework vectors (its statements and the domain's topics)."""
        concepts = np.vstack([vectors.statement_vectors, vectors.topic_vectors["in"], vectors.topic_vectors["off"]])
        return cls((concepts - concepts.mean(axis=0)).astype(np.float32))

    def courses(self, vectors: np.ndarray) -> np.ndarray:
        """Per course, the vector whose dot product with a gap's embedding, divided by the length of
        the gap's description, is the cosine of their descriptions (zeros for a course without a vector)."""
        if not vectors.size:
            return vectors
        described = vectors @ self.concepts.T
        lengths = np.linalg.norm(described, axis=1, keepdims=True)
        mapped = (described @ self.concepts) / np.where(lengths > 0, lengths, 1.0)
        return np.ascontiguousarray(mapped, dtype=np.float32)

    def similarities(self, course_space: np.ndarray, gap: np.ndarray, products: np.ndarray | None = None) -> np.ndarray:
        """Every course's similarity to the gap's embedding (`products`: `course_space @ gap`, when
        known already)."""
        length = float(np.linalg.norm(self.concepts @ gap)) or 1.0
        raw = course_space @ gap if products is None else products
        return (raw / np.float32(length)).astype(np.float32, copy=False)


@dataclass(frozen=True)
class _FixedParts:
    """Per course, the score parts that depend only on a gap's shape (see Recommender._shape_parts)."""

    tags: np.ndarray
    level: np.ndarray
    form: np.ndarray
    transfer: np.ndarray
    total: np.ndarray  # their weighted sum


@dataclass(frozen=True)
class _Scores:
    """One gap's scores over the candidates (positions in the index)."""

    candidates: np.ndarray
    total: np.ndarray
    semantic: np.ndarray  # over the candidates
    keyword: np.ndarray  # over the candidates
    fixed: _FixedParts  # over every course

    def parts(self, j: int) -> dict[str, float]:
        """The parts of the `j`th candidate's total."""
        i = int(self.candidates[j])
        fixed = self.fixed
        return {
            "semantic": float(self.semantic[j]), "keyword": float(self.keyword[j]), "tags": float(fixed.tags[i]),
            "level": float(fixed.level[i]), "form": float(fixed.form[i]), "transfer": float(fixed.transfer[i]),
        }


def _proficiency_band(proficiency: float | None) -> int:
    """-1 for beginners (no master module), 1 for experts (no introduction course), else 0."""
    if proficiency is None:
        return 0
    return 1 if proficiency >= SPECIALIST_STEP else -1 if proficiency <= BEGINNER_STEP else 0


class _Memo:
    """A function's answers for its most recent `size` arguments, and whether it holds one already
    (functools.lru_cache cannot say). Thread-safe; a first call for a key is computed outside the lock."""

    def __init__(self, compute: Any, *, size: int) -> None:
        self._compute = compute
        self._size = size
        self._items: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def __contains__(self, key: Any) -> bool:
        with self._lock:
            return key in self._items

    def put(self, key: Any, value: Any) -> None:
        """Hold an answer worked out elsewhere, as if computed."""
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            if len(self._items) > self._size:
                self._items.popitem(last=False)

    def __call__(self, key: Any) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = self._compute(key)
        self.put(key, value)
        return value


def _top(values: np.ndarray, k: int) -> np.ndarray:
    """Positions of the k largest values, in no particular order (ties at the k-th: any of them).

    numpy's argpartition takes ~70 µs over 10 000 scores, and a recommendation needs two: a tenth
    of its time. So a threshold is first read off a strided sample, and only the scores that reach
    it (a few hundred) are partitioned. When fewer than k reach it (an unlucky sample), all are."""
    n = len(values)
    if n <= k:
        return np.arange(n)
    step = max(1, n // (8 * k))
    sample = values[::step]
    j = min(len(sample), -(-2 * k // step))  # expect about 2k scores at or above the sample's j-th largest
    threshold = np.partition(sample, len(sample) - j)[len(sample) - j]
    passing = np.flatnonzero(values >= threshold)
    if len(passing) < k:
        return np.argpartition(values, n - k)[n - k:]
    return passing[np.argpartition(values[passing], len(passing) - k)[len(passing) - k:]]


def _near(semantic: np.ndarray, keyword: np.ndarray, off_domain: np.ndarray) -> np.ndarray:
    """Which courses are near enough to a gap's words to answer it (NEAR_BY_MEANING and the rest)."""
    near = (semantic >= NEAR_BY_MEANING) | (keyword >= NEAR_BY_KEYWORD)
    nearer = (semantic >= OFF_DOMAIN_NEAR_BY_MEANING) | (keyword >= OFF_DOMAIN_NEAR_BY_KEYWORD)
    return near & (~off_domain | nearer)


def _cosine_range(sims: np.ndarray, embedded: np.ndarray | None) -> tuple[float, float]:
    """The lowest and highest cosine of the courses that have a vector (`embedded`; None: all)."""
    present = sims if embedded is None else sims[embedded]
    return (float(present.min()), float(present.max())) if present.size else (0.0, 0.0)


def _scaled_semantic(sims: np.ndarray, embedded: np.ndarray | None, low: float, high: float) -> np.ndarray:
    """Cosines min-max scaled to the range [low, high]; `embedded`: which have a vector (None: all)."""
    semantic = (sims - low) / (high - low) if high > low else np.zeros(len(sims), dtype=np.float32)
    if embedded is not None:  # a course without a vector yet is neither near nor far
        semantic = np.where(embedded, semantic, 0.0)
    return semantic


def _scaled_keyword(scores: np.ndarray, best: float) -> np.ndarray:
    """BM25 scores as a share of the best course's (`best`)."""
    return scores / best if best > 0 else scores


def _names(people: Sequence[str]) -> str:
    return ", ".join(people)


def off_domain_notice(text: str | None, domain_score: float | None) -> str | None:
    """What to tell a user whose gap in words does not read as a competence need in employment
    services (nonsense, one vague word, a need outside the domain): its fields and level are then
    the tagger's best guess, not a reading."""
    if text is None or domain_score is None or domain_score >= OFF_DOMAIN_GAP_BELOW:
        return None
    return say("the words {text!r} do not read as a competence need in employment services, so the field and "
               "level are a guess: say in a few more words what the staff should know or be able to do", text=text)


def _constraint_value(value: Any) -> Any:
    """A constraint's value as the API takes it: "fysisk, online", not ['fysisk', 'online']; 0, not 0.0."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def gap_text(text: str) -> str:
    """A gap's words on one line, or RecommendError where there are none or too many to read as one gap."""
    text = _one_line(text)
    if not text:
        raise RecommendError(say("describe the gap in words, e.g. 'specialiseret viden om sygedagpengeloven'"))
    if len(text) > MAX_GAP_TEXT:
        raise RecommendError(say("a gap described in words must be at most {most} characters", most=MAX_GAP_TEXT))
    if not has_content_words(text):  # "og i på", "?": courses would be ranked by nothing
        raise RecommendError(say("the words hold nothing to search by, only words such as 'og', 'i' and 'på' or signs: "
                                 "describe the gap, e.g. 'specialiseret viden om sygedagpengeloven'"))
    return text


def _one_line(text: str) -> str:
    return " ".join(strip_controls(text).split())  # control characters are no words (as in a course's text)


assert set(LEVELS) == {"grundlaeggende", "specialiseret"}
