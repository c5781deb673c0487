"""The course record: the one shape that crawl, ingest, the catalogue and export share (PRODUCT.md §3)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_serializer, field_validator, model_validator

from matcher.numbers import is_grouped, parse_number
from matcher.text import strip_controls

CourseType = Literal["diplom", "akademi", "master", "kursus", "amu", "grunduddannelse", "other"]
Form = Literal["fysisk", "online", "blended", "rekvirerbar"]
GoalKind = Literal["viden", "faerdigheder", "kompetencer", "other"]

COURSE_TYPES: tuple[str, ...] = CourseType.__args__  # type: ignore[attr-defined]
FORMS: tuple[str, ...] = Form.__args__  # type: ignore[attr-defined]

# Query parameters that identify a visit, not a page (trackers, and session ids of sites that put
# them in links): dropping them makes one course one record.
TRACKING_PARAMS = frozenset(
    {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "_ga", "_gl", "igshid", "yclid", "ref", "referrer",
     "sid", "phpsessid", "jsessionid", "sessionid", "session_id", "aspsessionid", "cfid", "cftoken"}
)
# A Java server's session id in the path ("/kurser/jura;jsessionid=0A1B…").
_PATH_SESSION_RE = re.compile(r";jsessionid=[^/]*", re.IGNORECASE)

# Fields set by the catalogue, not by a provider; they are not part of the content hash.
SYSTEM_FIELDS = ("first_seen", "last_seen", "withdrawn", "content_hash")

# The largest ECTS a record may state: a whole programme, up to a five-year bachelor + kandidat (300) or a
# six-year one (360); a professionsbachelor is 210. The crawler drops larger values as unknown.
MAX_ECTS = 360
MAX_DURATION_DAYS = 400  # course days
MAX_PRICE_DKK = 10_000_000

WEEKLY_HOURS = 37.0  # the full-time working week in Danish municipalities
HOURS_PER_COURSE_DAY = WEEKLY_HOURS / 5  # what a course day is, in hours (plans and "6 timer" on a page)
HOURS_PER_ECTS = 27.5  # the Danish norm: 60 ECTS is a year's full-time work of 1 650 hours

# Fields holding a number: given as text (a CSV cell, a JSON string), it is read the Danish way (matcher.numbers).
NUMBER_FIELDS = ("ects", "duration_days", "price_dkk")

# What "unknown" means for fields that are not nullable.
_EMPTY: dict[str, Any] = {"learning_goals": [], "start_dates": [], "withdrawn": False}


class LearningGoal(BaseModel):
    """One learning goal of a course, by the qualification framework's kinds."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: GoalKind
    text: str = Field(min_length=1)

    @field_validator("text", mode="before")
    @classmethod
    def _no_controls(cls, value: Any) -> Any:
        return strip_controls(value) if isinstance(value, str) else value


_DANISH_TRUTH = {"ja": True, "nej": False, "sand": True, "falsk": False}

# A course's dates lie in these years; the plan's dates too (matcher/plan.py).
EARLIEST_DATE, LATEST_DATE = dt.date(2000, 1, 1), dt.date(2100, 12, 31)


class Course(BaseModel):
    """A course offer. Unknown values are None, never guessed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str | None = Field(default=None, min_length=1, max_length=200)
    url: str | None = None
    provider: str | None = None
    title: str = Field(min_length=1, max_length=500)
    description: str | None = None
    learning_goals: list[LearningGoal] = Field(default_factory=list)
    course_type: CourseType | None = None
    eqf_level: int | None = Field(default=None, ge=1, le=8)
    ects: float | None = Field(default=None, gt=0, le=MAX_ECTS)
    duration_days: float | None = Field(default=None, gt=0, le=MAX_DURATION_DAYS)
    price_dkk: float | None = Field(default=None, ge=0, le=MAX_PRICE_DKK)
    form: Form | None = None
    location: str | None = None
    start_dates: list[dt.date] = Field(default_factory=list)
    application_deadline: dt.date | None = None
    target_group: str | None = None
    admission: str | None = None
    language: str | None = None
    source: str | None = None
    first_seen: dt.datetime | None = None
    last_seen: dt.datetime | None = None
    withdrawn: bool = False
    content_hash: str | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_unknown(cls, value: Any, info: ValidationInfo) -> Any:
        # Control characters are dropped at the door (matcher.text), from every text field. A stored
        # text that is nothing else (an earlier fagmatch let a title of one zero-width space in) is read
        # as stored: no stored course may fail to read.
        if isinstance(value, str):
            stripped = strip_controls(value)
            stored = (info.context or {}).get("stored")
            value = value if stored and not stripped.strip() and value.strip() else stripped
        # Feeds (CSV above all) say "unknown" with an empty cell or null.
        if isinstance(value, str) and not value.strip():
            value = None
        if value is None:
            return _EMPTY.get(info.field_name, None)
        if isinstance(value, str) and info.field_name in NUMBER_FIELDS:
            return number_field(value, info.field_name)
        return value

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        # As browsers do (the WHATWG URL standard), tabs and line breaks in a URL are dropped.
        value = value.replace("\t", "").replace("\n", "")
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an absolute http(s) URL")
        return value

    @field_validator("withdrawn", mode="before")
    @classmethod
    def _danish_truth(cls, value: Any) -> Any:
        # as "yes"/"no" and "true"/"false" are read (pydantic), so are Danish "ja"/"nej" and Danish
        # Excel's SAND/FALSK in a CSV it saves
        if isinstance(value, str) and value.strip().casefold() in _DANISH_TRUTH:
            return _DANISH_TRUTH[value.strip().casefold()]
        return value

    @field_validator("start_dates")
    @classmethod
    def _sorted_unique(cls, value: list[dt.date]) -> list[dt.date]:
        return sorted(set(value))

    @field_validator("start_dates", "application_deadline")
    @classmethod
    def _plausible_dates(cls, value: Any, info: ValidationInfo) -> Any:
        # A year such as 9999 or 2207 is a typo, and a plan cannot count quarters up to it. A course
        # stored before this rule (the store says so by its context) reads such a date as unknown: it
        # still reads, and a plan or a team analysis that meets it still works.
        def plausible(date: dt.date) -> bool:
            return EARLIEST_DATE <= date <= LATEST_DATE

        if (info.context or {}).get("stored"):
            if isinstance(value, list):
                return [date for date in value if plausible(date)]
            return value if value is None or plausible(value) else None
        for date in value if isinstance(value, list) else [value] if value is not None else []:
            if not plausible(date):
                raise ValueError(f"{date.isoformat()} is not between {EARLIEST_DATE.isoformat()} and "
                                 f"{LATEST_DATE.isoformat()}: check the year")
        return value

    @field_validator("first_seen", "last_seen")
    @classmethod
    def _naive_utc(cls, value: dt.datetime | None) -> dt.datetime | None:
        # The catalogue keeps times as naive UTC; a record read back from an export says so with a Z.
        if value is not None and value.tzinfo is not None:
            return value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value

    @field_serializer("first_seen", "last_seen", when_used="json")
    def _with_z(self, value: dt.datetime | None) -> str | None:
        """RFC 3339 in UTC with a Z, as the feeds and every other time fagmatch writes."""
        return None if value is None else value.replace(microsecond=0).isoformat() + "Z"

    @model_validator(mode="after")
    def _identifiable(self) -> Course:
        if self.id is None and self.url is None:
            raise ValueError("a course needs a url or a provider id ('id')")
        return self

    @property
    def course_id(self) -> str:
        """The stable catalogue id: the feed's own id, else one derived from the canonical URL."""
        if self.id is not None:
            return self.id
        assert self.url is not None
        return url_course_id(self.url)

    def content(self) -> dict[str, Any]:
        """The provider-given content, JSON-ready, without catalogue bookkeeping or the id."""
        data = self.model_dump(mode="json", exclude={"id", "source", *SYSTEM_FIELDS})
        if data["url"] is not None:
            data["url"] = canonical_url(data["url"])
        return data

    def compute_hash(self) -> str:
        """Hash of the content: decides whether a re-seen course is new, changed or unchanged."""
        blob = json.dumps(self.content(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()

    def open_starts(self, today: dt.date) -> list[dt.date]:
        """The starts one can still apply for on `today`: on or after it, less the start a deadline
        that has passed closed (start_for_deadline; CatalogueIndex.open_starts, for every course at once)."""
        passed = self.application_deadline is not None and self.application_deadline < today
        closed = start_for_deadline(self.start_dates, self.application_deadline) if passed else None  # type: ignore[arg-type]
        return sorted(d for d in self.start_dates if d >= today and d != closed)

    def can_apply(self, today: dt.date) -> bool:
        """Whether search lists the course on `today` (CatalogueIndex.bookable): a dated course with an
        open start, an undated one whose deadline has not passed; never a withdrawn one."""
        if self.withdrawn:
            return False
        if self.start_dates:
            return bool(self.open_starts(today))
        return self.application_deadline is None or self.application_deadline >= today

    def to_record(self) -> dict[str, Any]:
        """The JSON record of the feed/export schema, with the catalogue id filled in."""
        record = self.model_dump(mode="json")
        record["id"] = self.course_id
        return record


RECORD_FIELDS: tuple[str, ...] = tuple(Course.model_fields)


# The form of url_course_id's ids (a regular expression, whole).
URL_COURSE_ID = "u[0-9a-f]{16}"


def url_course_id(url: str) -> str:
    """The catalogue id of a course without a provider id: its canonical URL's (a crawled page's)."""
    return "u" + hashlib.sha1(canonical_url(url).encode()).hexdigest()[:16]


def number_field(text: str, field: str) -> float:
    """A number field's text, read the Danish way: "4.500" is 4500 kr., "7,5" is 7.5 ECTS (ValueError
    where it cannot be read, or where ECTS written with a thousands point cannot be meant)."""
    value = parse_number(text)
    if field == "ects" and value > MAX_ECTS and is_grouped(text):
        # An English tool's 7.500 meant 7.5, a Dane's means 7500: neither is guessed.
        raise ValueError(
            f"{text.strip()!r} reads as {value:g} (\".\" groups thousands in Danish), more than the "
            f"{MAX_ECTS} ECTS a record may state: write 7,5 or 7.5 for seven and a half"
        )
    return value


def start_for_deadline(start_dates: Iterable[dt.date], deadline: dt.date) -> dt.date | None:
    """The start an application deadline is for: a page states one deadline, and it belongs to the
    first start on or after it (None when no start comes after it). CatalogueIndex.open_starts
    applies the same rule to every course at once."""
    return min((d for d in start_dates if d >= deadline), default=None)


def canonical_url(url: str) -> str:
    """One URL per page: lower-case host, no fragment, no tracking parameters, sorted query, no trailing slash."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if parts.port and not (parts.scheme, parts.port) in (("http", 80), ("https", 443)):
        host = f"{host}:{parts.port}"
    query = sorted(
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key.lower() not in TRACKING_PARAMS and not key.lower().startswith("utm_")
    )
    path = _PATH_SESSION_RE.sub("", parts.path) or "/"
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower(), host, path, urlencode(query), ""))
