"""The catalogue in memory, for search and recommendation: one generation's active courses with
their tags, embeddings and a BM25 keyword index, and the filters users put on them.

Built from a `CatalogueReader` snapshot (about a second per 10 000 courses) and then only read,
so one index serves many threads. The service builds a new one when the catalogue is republished.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from matcher import clock
from matcher.course import HOURS_PER_COURSE_DAY, HOURS_PER_ECTS, Course, CourseType, Form
from matcher.data_files import load_yaml
from matcher.keyword_search import Bm25Index
from matcher.messages import say
from matcher.store import LATEST_TAGGING, CatalogueReader
from matcher.taxonomy import Level
from matcher.text import danish_order

REGIONS_FILE = Path(__file__).resolve().parent / "data" / "regions.yaml"
# Forms a learner can take wherever they live: they pass any location or region filter.
PLACE_INDEPENDENT_FORMS = ("online", "rekvirerbar")
_NO_DATE = np.iinfo(np.int32).max
SortOrder = Literal["relevance", "start_date", "title"]


class FilterError(ValueError):
    """Filters that cannot be used (an unknown field, an impossible window); the message says which."""


Town = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, pattern=r"^[^\W\d_][\w .'-]*[^\W_]$")]


class _Regions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    regions: dict[str, Annotated[list[Town], Field(min_length=1)]] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_region_per_town(self) -> _Regions:
        seen: dict[str, str] = {}
        for region, towns in self.regions.items():
            for town in towns:
                other = seen.setdefault(fold_place(town), region)
                if other != region:
                    raise ValueError(f"{town} is listed under both {other} and {region}; a town belongs to one region")
        return self


@functools.lru_cache(maxsize=1)
def load_regions(path: Path = REGIONS_FILE) -> dict[str, tuple[str, ...]]:
    """Region name → the town names that place a course in it (lower-case); DataFileError names the
    file's problems by line."""
    data = load_yaml(path, _Regions, "regions file")
    return {name: tuple(t.lower() for t in towns) for name, towns in data.regions.items()}


def region_named(typed: str) -> str | None:
    """The region a user typed, as the regions file names it ("midtjylland" is Midtjylland); None if none."""
    return next((name for name in load_regions() if name.lower() == typed.strip().lower()), None)


_DANISH_LETTERS = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa"})
_POSTCODE = re.compile(r"\b\d{4}\b")
_DISTRICT = re.compile(r"\s+(?:c|k|n|s|v|ø|sv|sø|nv|nø)$")  # Aarhus C, København K, Odense SØ


def fold_place(text: str) -> str:
    """A place name as places are compared: lower case, æ, ø and å as ae, oe and aa (Århus is Aarhus,
    Ålborg Aalborg, "Koebenhavn" København)."""
    return " ".join(text.lower().translate(_DANISH_LETTERS).split())


def place_asked_for(text: str) -> str:
    """The place a user typed, as the courses' places are searched for it: folded, without a postcode
    or a district letter ("8000 Aarhus C" finds the courses in Aarhus)."""
    return fold_place(_DISTRICT.sub("", " ".join(_POSTCODE.sub(" ", text.lower()).split()))) or fold_place(text)


class CourseFilters(BaseModel):
    """What a user narrows the catalogue by. Empty lists and None mean "any"."""

    # Python's JSON reader takes Infinity: a price ceiling of Infinity was applied as none and echoed as null
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)

    fields: list[str] = Field(default_factory=list, description="Field keys; a course matches if it is tagged with any.")
    level: Level | None = None
    types: list[CourseType] = Field(default_factory=list)
    providers: list[str] = Field(default_factory=list, description="Provider names (the API and the web page also take part of one).")
    forms: list[Form] = Field(default_factory=list)
    location: str | None = Field(default=None, description="Part of the course's place, e.g. 'Aarhus'.")
    region: str | None = Field(default=None, description="A Danish region, e.g. 'Midtjylland': courses held at a town "
                               "in it (a course held in several towns is in each of their regions), and courses held "
                               "online or on request (rekvirerbar), which reach every region.")
    max_price: float | None = Field(default=None, ge=0, description="At most this price in kroner; a course whose "
                                    "price is not known passes (its page says so).")
    max_ects: float | None = Field(default=None, gt=0, description="A study-time budget in ECTS: a course without ECTS counts its course days (7.4 hours each, 27.5 hours an ECTS point).")
    start_from: dt.date | None = Field(default=None, description="A start one can apply for on or after this day.")
    start_before: dt.date | None = Field(default=None, description="A start one can apply for before this day (the "
                                         "day itself not included).")
    include_undated: bool = Field(default=True, description="Keep courses whose start dates are not known (held on "
                                  "request, or not yet announced), also within a start window; false: only dated ones.")

    @model_validator(mode="after")
    def _possible(self) -> CourseFilters:
        if self.start_from and self.start_before and self.start_from >= self.start_before:
            raise ValueError(say("the start window is empty: from {start} must come before {end}",
                                 start=self.start_from, end=self.start_before))
        if self.region is not None:
            match = region_named(self.region)
            if match is None:
                known = ", ".join(load_regions())
                raise ValueError(say("unknown region {region!r}; known: {known}", region=self.region, known=known))
            self.region = match
        return self

    def check(self, field_keys: Sequence[str], today: dt.date) -> None:
        """Problems only the catalogue's taxonomy and today's date can reveal."""
        unknown = [key for key in self.fields if key not in field_keys]
        if unknown:
            raise FilterError(say("unknown field key {keys}; known: {known}",
                                  keys=", ".join(map(repr, unknown)), known=", ".join(field_keys)))
        if self.start_before is not None and self.start_before <= today:
            raise FilterError(say("start before {date} is not in the future (today is {today})", date=self.start_before, today=today))


@dataclass(frozen=True)
class CourseTags:
    """A course's tags from its latest tagging run; empty when it has not been tagged."""

    model: str | None = None
    assigned_fields: tuple[str, ...] = ()
    level: str | None = None
    course_type: str | None = None
    field_scores: dict[str, float] = field(default_factory=dict)
    basic_competences: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ()
    dimensions: dict[str, float] = field(default_factory=dict)
    why: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def primary_field(self) -> str | None:
        return self.assigned_fields[0] if self.assigned_fields else None

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model, "assigned_fields": list(self.assigned_fields), "primary_field": self.primary_field,
            "level": self.level, "fields": {k: round(v, 4) for k, v in self.field_scores.items()},
            "course_type": self.course_type,  # the stated type, or the one read from the page
            "basic_competences": list(self.basic_competences), "profiles": list(self.profiles),
            "dimensions": {k: round(v, 3) for k, v in self.dimensions.items()},
        }

    @classmethod
    def from_result(cls, model: str, result: dict[str, Any]) -> CourseTags:
        return cls(
            model=model, assigned_fields=tuple(result.get("assigned_fields") or ()), level=result.get("level"),
            course_type=result.get("course_type"), field_scores=dict(result.get("fields") or {}),
            basic_competences=tuple(result.get("basic_competences") or ()), profiles=tuple(result.get("profiles") or ()),
            dimensions=dict(result.get("dimensions") or {}), why=dict(result.get("why") or {}),
        )


@dataclass(frozen=True)
class CourseHit:
    position: int  # row in the index
    course: Course
    tags: CourseTags
    score: float
    next_start: dt.date | None

    @property
    def course_type(self) -> str | None:
        """The type the record states, else the one the tagger read from the page."""
        return self.course.course_type or self.tags.course_type

    @property
    def course_type_inferred(self) -> bool:
        """The record states no type, and the tagger read one from the page's words or URL."""
        return self.course.course_type is None and self.tags.course_type is not None


@dataclass(frozen=True)
class SearchPage:
    total: int
    page: int
    per_page: int
    hits: list[CourseHit]
    place_notice: str | None = None  # see CatalogueIndex.place_notice


def document_text(course: Course) -> str:
    """What keyword search reads: the title twice (it says most), description, learning goals, target group."""
    goals = " ".join(goal.text for goal in course.learning_goals)
    return "\n".join(p for p in (course.title, course.title, course.description, goals, course.target_group) if p)


# What differs between the records of one course held several times: the class, the year, a date
# (with its year or its month's name: "1-2" and "1.1" are module and step numbers as often as dates).
_OCCASION_RE = re.compile(
    r"\bhold\s*\d+\b|\b(?:19|20)\d\d\b|\b\d{1,2}\s*[./-]\s*\d{1,2}\s*[./-]\s*(?:19|20)?\d\d\b"
    r"|\b\d{1,2}\.?\s*(?:jan|feb|mar|apr|maj|jun|jul|aug|sep|okt|nov|dec)[a-zæøå]*\b"
)


@functools.cache
def _towns() -> tuple[frozenset[str], tuple[str, ...]]:
    """The towns of regions.yaml, lower-case: place words a title may hold; and those of two words."""
    towns = frozenset(town for towns in load_regions().values() for town in towns)
    return towns, tuple(town for town in towns if " " in town)


def offer_key(course: Course) -> str:
    """What makes two records one offer: the provider and the title, less places (the course's own
    and the towns of regions.yaml), class numbers, years and dates. "Den motiverende samtale – Aarhus,
    hold 2" and "… – Odense (hold 3)" of one provider are one course held twice, and a recommendation
    lists it once (`same_offer`); "Modul 1" and "Modul 2", "modul 1-2" and "modul 3-4" stay two."""
    (towns, two_words), own = _towns(), set(re.findall(r"[^\W\d_]{2,}", (course.location or "").lower()))
    title = _OCCASION_RE.sub(" ", course.title.lower())
    for town in two_words:  # "nykøbing falster"
        if town in title:
            title = re.sub(rf"\b{re.escape(town)}\b", " ", title)
    words = [w for w in re.findall(r"\w+", title) if w not in towns and w not in own]
    return f"{(course.provider or '').lower()}\x00{' '.join(words)}"


class CatalogueIndex:
    """Active courses of one catalogue generation with everything search and ranking need as arrays."""

    def __init__(
        self,
        courses: Sequence[Course],
        tags: Sequence[CourseTags],
        vectors: np.ndarray | None,
        *,
        field_keys: Sequence[str],
        embedding_model: str | None = None,
        generation: Any = None,
    ) -> None:
        self.courses = list(courses)
        self.tags = list(tags)
        self.field_keys = list(field_keys)
        self.embedding_model = embedding_model
        self.generation = generation
        self.position = {c.course_id: i for i, c in enumerate(self.courses)}
        n = len(self.courses)
        self.vectors = vectors if vectors is not None else np.zeros((n, 0), dtype=np.float32)
        self.has_vector = np.abs(self.vectors).sum(axis=1) > 0 if self.vectors.size else np.zeros(n, dtype=bool)
        self.keywords = Bm25Index([document_text(c) for c in self.courses])
        self.field_scores = np.array(
            [[t.field_scores.get(k, 0.0) for k in self.field_keys] for t in self.tags], dtype=np.float32
        ).reshape(n, len(self.field_keys))
        self.assigned = np.array(
            [[k in t.assigned_fields for k in self.field_keys] for t in self.tags], dtype=bool
        ).reshape(n, len(self.field_keys))
        self.level = np.array([t.level or "" for t in self.tags], dtype=object)
        # Tagged, and building none of the fields: off the domain (a Python course, nursing). A search
        # lists these after the domain's courses (an untagged course is not known to be off-domain).
        self.off_domain = np.array([bool(t.model) and not t.assigned_fields for t in self.tags], dtype=bool)
        self.course_type = np.array([c.course_type or t.course_type or "" for c, t in zip(self.courses, self.tags)], dtype=object)
        self.form = np.array([c.form or "" for c in self.courses], dtype=object)
        self.provider = np.array([c.provider or "" for c in self.courses], dtype=object)
        self.location = np.array([(c.location or "").lower() for c in self.courses], dtype=str)
        # A catalogue has few distinct places: a place filter tests each once (see _place_matches).
        self._places, self._place_of = np.unique(self.location, return_inverse=True)
        self._folded_places = [fold_place(place) for place in self._places.tolist()]
        self._place_independent = np.isin(self.form, PLACE_INDEPENDENT_FORMS)
        self.price = np.array([np.nan if c.price_dkk is None else c.price_dkk for c in self.courses], dtype=np.float64)
        self.ects = np.array([np.nan if c.ects is None else c.ects for c in self.courses], dtype=np.float64)
        # the study time of a course that states days and no ECTS, in ECTS: for the ECTS budget
        self.days_in_ects = np.array([np.nan if c.ects is not None or c.duration_days is None
                                      else c.duration_days * HOURS_PER_COURSE_DAY / HOURS_PER_ECTS for c in self.courses])
        width = max((len(c.start_dates) for c in self.courses), default=0) or 1
        self.starts = np.full((n, width), _NO_DATE, dtype=np.int32)
        for i, c in enumerate(self.courses):
            self.starts[i, : len(c.start_dates)] = [d.toordinal() for d in c.start_dates]
        self.dated = self.starts[:, 0] != _NO_DATE
        # 0: no deadline known. A deadline is for the first start on or after it (see open_starts).
        self.deadline = np.array([c.application_deadline.toordinal() if c.application_deadline else 0
                                  for c in self.courses], dtype=np.int32)
        # Each course's place in title order: sorting by title is then sorting integers (string
        # keys made a listing of 10 000 courses cost 2 ms).
        self._title_rank = np.empty(n, dtype=np.int64)
        order = sorted(range(n), key=lambda i: danish_order(self.courses[i].title))  # Danish: z, æ, ø, å
        self._title_rank[np.array(order, dtype=np.int64)] = np.arange(n)
        self._bookable_counts: tuple[int, tuple[tuple[str, int], ...]] | None = None  # (today's ordinal, providers(today))
        self._open: tuple[int, np.ndarray, np.ndarray, np.ndarray] | None = None  # (today's ordinal, open_starts, next_starts, bookable)
        # Filters on these test each distinct value once, then read every course's code.
        self._codes = {name: np.unique(values.astype(str), return_inverse=True)
                       for name, values in (("type", self.course_type), ("provider", self.provider),
                                            ("form", self.form), ("level", self.level))}
        self._record_json: list[str | None] = [None] * n  # see record_json
        # One code per offer (see offer_key), and the offers held as more than one record.
        self.offer = np.unique(np.array([offer_key(c) for c in self.courses], dtype=object), return_inverse=True)[1]
        by_offer = np.argsort(self.offer, kind="stable")
        groups = np.split(by_offer, np.flatnonzero(np.diff(self.offer[by_offer])) + 1)
        self._offer_members = {int(self.offer[g[0]]): g for g in groups if len(g) > 1}

    def __len__(self) -> int:
        return len(self.courses)

    # ---- loading

    @classmethod
    def load(
        cls, reader: CatalogueReader, field_keys: Sequence[str], *, embedding_model: str | None = None,
        tag_model: str | None = None,
    ) -> CatalogueIndex:
        """The reader's active courses, each with its tags (from `tag_model`, else its latest tagging)
        and its `embedding_model` vector (zeros where a course has none yet)."""
        courses = list(reader.courses(include_withdrawn=False))
        tags = _load_tags(reader, tag_model)
        vectors = _load_vectors(reader, embedding_model, [c.course_id for c in courses]) if embedding_model else None
        return cls(
            courses, [tags.get(c.course_id, CourseTags()) for c in courses], vectors, field_keys=field_keys,
            embedding_model=embedding_model, generation=reader.identity,
        )

    # ---- lookups

    def get(self, course_id: str) -> CourseHit | None:
        """One active course by id, with its tags and next start from today."""
        i = self.position.get(course_id)
        if i is None:
            return None
        return self._hit(i, 0.0, clock.today())

    def same_offer(self, i: int) -> np.ndarray:
        """The other records of the course at `i`'s offer (the same course at other places), by position."""
        members = self._offer_members.get(int(self.offer[i]))
        return members[members != i] if members is not None else np.zeros(0, dtype=np.int64)

    def record_json(self, i: int) -> str:
        """The course at `i` as the JSON object members `"course":{record},"tags":{tags}`.

        Rendered on first use and kept for the generation: building and encoding a result page's 20
        records anew cost more than the search itself (0.8 of 1.4 ms)."""
        members = self._record_json[i]
        if members is None:
            record = json.dumps(self.courses[i].to_record(), ensure_ascii=False, separators=(",", ":"))
            tags = json.dumps(self.tags[i].to_json(), ensure_ascii=False, separators=(",", ":"))
            members = self._record_json[i] = f'"course":{record},"tags":{tags}'
        return members

    def providers(self, today: dt.date | None = None) -> list[tuple[str, int]]:
        """Provider names with their number of active courses, most first; given `today`, of those one
        can still apply for (bookable: what search finds), where every provider with an active course
        is still named."""
        if today is None:
            return list(self._provider_counts)
        cached = self._bookable_counts
        if cached is None or cached[0] != today.toordinal():
            names, counts = np.unique(self.provider[(self.provider != "") & self.bookable(today)].astype(str), return_counts=True)
            found = dict(zip(names.tolist(), counts.tolist()))
            counts_today = tuple(sorted(((name, found.get(name, 0)) for name, _ in self._provider_counts),
                                        key=lambda p: (-p[1], p[0])))
            self._bookable_counts = cached = (today.toordinal(), counts_today)
        return list(cached[1])

    @functools.cached_property
    def _provider_counts(self) -> tuple[tuple[str, int], ...]:
        names, counts = np.unique(self.provider[self.provider != ""].astype(str), return_counts=True)
        return tuple(sorted(zip(names.tolist(), counts.tolist()), key=lambda p: (-p[1], p[0])))

    def providers_named(self, text: str) -> list[str]:
        """The providers a person means by `text`: the one of that name, in any case, else every
        provider whose name contains it ("kattegat" → "Professionshøjskolen Kattegat")."""
        wanted = text.strip().casefold()
        if not wanted:
            return []
        names = [name for name, _ in self._provider_counts]
        return [n for n in names if n.casefold() == wanted] or [n for n in names if wanted in n.casefold()]

    def providers_for(self, typed: Sequence[str]) -> list[str]:
        """The providers each text means (providers_named), for a filter; FilterError names a text
        that means none, rather than a search that quietly finds nothing."""
        names: list[str] = []
        for text in typed:
            found = self.providers_named(text)
            if not found:
                raise FilterError(say("provider: no provider is named or contains {text!r}", text=text))
            names += found
        return names

    def open_starts(self, today: dt.date) -> np.ndarray:
        """Per course, the ordinals of the starts one can still apply for (else _NO_DATE): on or after
        today, less the start whose application deadline has passed. A page states one deadline; it
        is taken to be for the first start on or after it (matcher.course.start_for_deadline, here
        for every course at once; a page listing a past start, its deadline and a later start leaves
        the later one open). Computed once a day; shared: do not modify."""
        return self._open_today(today)[1]

    def next_starts(self, today: dt.date) -> np.ndarray:
        """Per course, the ordinal of its first open start (open_starts); _NO_DATE when none is known.
        Computed once a day (every request needs it); the array is shared: do not modify it."""
        return self._open_today(today)[2]

    def next_starts_within(self, filters: CourseFilters, today: dt.date) -> np.ndarray:
        """Per course, its first open start within the filters' start window (start_from, start_before):
        the start a user who asked for the window means. Without a window, next_starts."""
        inside = self._open_in_window(filters, today)
        if inside is None:
            return self.next_starts(today)
        first = np.where(inside, self.open_starts(today), _NO_DATE).min(axis=1)
        return np.where(first != _NO_DATE, first, self.next_starts(today))  # none inside: an undated course passed

    def _open_in_window(self, filters: CourseFilters, today: dt.date) -> np.ndarray | None:
        """Per course and open start (open_starts), whether it lies in the filters' start window; None
        without a window. A window without `start_from` begins today."""
        if filters.start_from is None and filters.start_before is None:
            return None
        low = (filters.start_from or today).toordinal()
        high = filters.start_before.toordinal() if filters.start_before else _NO_DATE
        starts = self.open_starts(today)
        return (starts >= low) & (starts < high)

    def open_start_dates(self, i: int, today: dt.date) -> list[dt.date]:
        """The course at `i`'s open starts, earliest first."""
        # a few starts: sorted as Python ints, which costs a third of numpy's sort of the row and its scalars
        return [dt.date.fromordinal(o) for o in sorted(self.open_starts(today)[i].tolist()) if o != _NO_DATE]

    def bookable(self, today: dt.date) -> np.ndarray:
        """Per course, whether one can still apply for it, as search shows it: a dated course with an
        open start (open_starts), an undated one whose deadline has not passed (a masterclass whose
        deadline has passed and whose next run is not out: its page says the deadline is overskredet).
        Computed once a day; shared: do not modify."""
        return self._open_today(today)[3]

    def _open_today(self, today: dt.date) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
        cached = self._open
        if cached is not None and cached[0] == today.toordinal():
            return cached
        day = today.toordinal()
        starts = np.where(self.starts >= day, self.starts, _NO_DATE)
        passed = (self.deadline > 0) & (self.deadline < day)
        closed = np.where(self.starts >= self.deadline[:, None], self.starts, _NO_DATE).min(axis=1)
        starts[(passed & (closed != _NO_DATE))[:, None] & (self.starts == closed[:, None])] = _NO_DATE
        upcoming = starts.min(axis=1)
        bookable = (upcoming != _NO_DATE) | (~self.dated & ~passed)
        for array in (starts, upcoming, bookable):
            array.flags.writeable = False
        self._open = (day, starts, upcoming, bookable)
        return self._open

    def _is_one_of(self, column: str, values: Sequence[str]) -> np.ndarray:
        distinct, code = self._codes[column]
        return np.isin(distinct, list(values))[code]

    # ---- filtering

    def mask(self, filters: CourseFilters, today: dt.date) -> np.ndarray:
        """Courses that pass the filters and one can still apply for (bookable)."""
        filters.check(self.field_keys, today)
        keep = self.bookable(today).copy()
        if not filters.include_undated:
            keep &= self.dated
        if filters.fields:
            columns = [self.field_keys.index(k) for k in filters.fields]
            keep &= self.assigned[:, columns].any(axis=1)
        if filters.level:
            keep &= self._is_one_of("level", [filters.level])
        if filters.types:
            keep &= self._is_one_of("type", filters.types)
        if filters.providers:
            keep &= self._is_one_of("provider", filters.providers)
        if filters.forms:
            keep &= self._is_one_of("form", filters.forms)
        if filters.location:
            keep &= self._place_matches((place_asked_for(filters.location),))
        if filters.region:  # a town's whole name: Hammel is in Midtjylland, Hammelev is not
            keep &= self._place_matches(tuple(fold_place(town) for town in load_regions()[filters.region]), whole=True)
        if filters.max_price is not None:
            keep &= ~(self.price > filters.max_price)  # unknown price passes: null is never guessed
        if filters.max_ects is not None:  # unknown on both counts passes
            keep &= ~(self.ects > filters.max_ects) & ~(self.days_in_ects > filters.max_ects)
        inside = self._open_in_window(filters, today)
        if inside is not None:
            keep &= inside.any(axis=1) | (~self.dated & filters.include_undated)
        return keep

    def place_notice(self, filters: CourseFilters, passing: np.ndarray) -> str | None:
        """What to tell a user whose place constraint only courses taken anywhere (online, rekvirerbar)
        meet: none of the courses that pass (`passing`, the filters' mask) is held at the place asked for."""
        place = filters.location or filters.region
        if not place or not passing.any() or (passing & ~self._place_independent).any():
            return None
        if filters.forms and set(filters.forms) <= set(PLACE_INDEPENDENT_FORMS):  # what the user asked for
            return None
        return say("no course that meets the constraints is held in {place}; "
                   "the courses found are online or rekvirerbar, which suit any place", place=place)

    def _place_matches(self, names: Sequence[str], *, whole: bool = False) -> np.ndarray:
        """Courses whose place holds one of the (folded) names, as whole words where `whole` (else any
        part: a user may type the start of a town), and those taken anywhere."""
        if whole:
            pattern = re.compile(r"(?<![^\W\d_])(?:" + "|".join(map(re.escape, names)) + r")(?![^\W\d_])")
            matches = np.array([pattern.search(place) is not None for place in self._folded_places], dtype=bool)
        else:
            matches = np.array([any(name in place for name in names) for place in self._folded_places], dtype=bool)
        return matches[self._place_of] | self._place_independent

    # ---- search

    def search(
        self, q: str | None, filters: CourseFilters, *, sort: SortOrder = "relevance", page: int = 1,
        per_page: int = 20, today: dt.date | None = None,
    ) -> SearchPage:
        """Courses matching the words of `q` (all courses without `q`) that pass the filters."""
        today = today or clock.today()
        keep = self.mask(filters, today)
        scores = np.zeros(len(self), dtype=np.float32)
        if q and q.strip():
            scores = self.keywords.scores(q)
            keep &= scores > 0
        candidates = np.flatnonzero(keep)
        upcoming = self.next_starts_within(filters, today)
        # Off-domain courses come last in relevance and date order (the front page is the latter);
        # an alphabetical list stays strictly alphabetical.
        last = self.off_domain[candidates]
        if sort == "relevance" and q and q.strip():
            order = candidates[np.lexsort((self._title_rank[candidates], -scores[candidates], last))]
        elif sort == "title":
            order = candidates[np.argsort(self._title_rank[candidates])]
        else:  # by next start; relevance without words means soonest first too
            order = candidates[np.lexsort((self._title_rank[candidates], upcoming[candidates], last))]
        start = (page - 1) * per_page
        hits = [self._hit(int(i), float(scores[i]), today, upcoming) for i in order[start : start + per_page]]
        return SearchPage(total=len(candidates), page=page, per_page=per_page, hits=hits,
                          place_notice=self.place_notice(filters, keep))

    def _hit(self, i: int, score: float, today: dt.date, upcoming: np.ndarray | None = None) -> CourseHit:
        if upcoming is None:
            upcoming = self.next_starts(today)
        ordinal = int(upcoming[i])
        next_start = None if ordinal == _NO_DATE else dt.date.fromordinal(ordinal)
        return CourseHit(i, self.courses[i], self.tags[i], score, next_start)


def catalogue_hit(reader: CatalogueReader, course_id: str) -> CourseHit | None:
    """A course the index does not hold (a withdrawn one: the feeds still publish it), read from the
    catalogue with its latest tags; None when the catalogue has no such course."""
    course = reader.course(course_id)
    if course is None:
        return None
    tagging = reader.latest_tagging(course_id)
    tags = CourseTags.from_result(*tagging) if tagging else CourseTags()
    return CourseHit(-1, course, tags, 0.0, None)


def _load_tags(reader: CatalogueReader, model: str | None) -> dict[str, CourseTags]:
    if model is not None:
        rows = reader.con.execute(
            "SELECT course_id, model, result FROM course_tagging WHERE model = ?", [model]
        ).fetchall()
    else:
        rows = reader.con.execute(f"SELECT course_id, model, result FROM course_tagging {LATEST_TAGGING}").fetchall()
    return {course_id: CourseTags.from_result(m, json.loads(result) if result else {}) for course_id, m, result in rows}


def _load_vectors(reader: CatalogueReader, model: str, ids: Sequence[str]) -> np.ndarray | None:
    rows = reader.con.execute("SELECT course_id, vector FROM embedding WHERE model = ?", [model]).fetchall()
    if not rows:
        return None
    by_id = dict(rows)
    dim = len(rows[0][1])
    vectors = np.zeros((len(ids), dim), dtype=np.float32)
    for i, course_id in enumerate(ids):
        vector = by_id.get(course_id)
        if vector is not None:
            vectors[i] = vector
    return vectors

