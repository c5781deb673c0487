"""The education plan (uddannelsesplan) from a recommendation, as CSV and Markdown (PRODUCT.md §6).

The columns are the guide's "Skabelon til uddannelsesplan" (strategisk-efteruddannelse-guide.txt,
Redskaber): Medarbejdere, Formål, Uddannelsesaktivitet, Læringsunderstøttende aktiviteter,
Læringsmål og succeskriterier, Tidsplan, Ansvar, Ressourceforbrug, Status. Each prioritised gap
gives one row per chosen course (the top `per_gap`); a gap without a course still gets a row, so
the plan shows what is left open. The learning-support activities are the transfer note's steps
before, during and after (30-30-40); the learning goals are the framework competences the course
matched for the gap, with a success criterion for the gap's level; the timeline runs from a
learning conversation four weeks before the next start to follow-up after the course. A plan is made
as of today, also from a recommendation made days before: a start under four weeks off, or one whose
deadline has passed since, is not planned, and the row says why.

The plan respects time, per person: the decisions are taken in priority order, and each gets the
first start of its course (or of the next course on its list) that begins after the learners'
earlier courses end, so no one has two courses at once (a gap's learners who are not named, as in a
gap in words, are one group across its courses). A course at another level than the gap's is planned
only where the list has none at the gap's level, and its row says so. Rules, stated where they are
set below: a course's workload is its ECTS × 27.5 hours (the Danish norm), else its course days × 7.4
hours (a day of the 37-hour week); an ECTS module runs 2 weeks per ECTS (10 ECTS over a semester, the
part-time pace of diploma and academy modules), a course of more than two days one day a week; the
hours are spread evenly over the weeks and summed per person and quarter. Above one working day a
week (20 % of working time in a quarter) the plan warns: the guide asks the leader to agree on the
workload in the course period and whether it must be reduced (Fase 3, "Rammer"; the attention
point "Forventningsafstemning": "arbejdsbyrden i uddannelsesperioden").

CSV is what Danish Excel opens by double-click: `;` as separator (Excel's list separator in a
Danish locale), CRLF line ends, and UTF-8 *with* a byte-order mark, because Excel reads a CSV file
without one as Windows-1252 and turns æ, ø, å into "Ã¦, Ã¸, Ã¥". Python (encoding "utf-8-sig"),
LibreOffice and fagmatch's own feed reader accept the mark; `bom=False` leaves it out. Cells with
several lines keep them (quoted), and a cell that starts like a formula (=, +, -, @) gets a leading
apostrophe (matcher.tabular.spreadsheet_cell, as in every CSV fagmatch writes), because course titles
come from the web and Excel would run them. After the template's columns, "Pris i alt (kr.)" gives each
row's price as a number Excel sums (the price per learner times the learners, or a class's price).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable
from typing import Annotated, Any
from urllib.parse import quote

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from matcher import clock
from matcher.course import (
    EARLIEST_DATE, HOURS_PER_COURSE_DAY, HOURS_PER_ECTS, LATEST_DATE, MAX_DURATION_DAYS, MAX_ECTS, MAX_PRICE_DKK, WEEKLY_HOURS,
    start_for_deadline,
)
from matcher.constraint_words import COURSE_TYPE_WORDS, FORM_WORDS, constraints_words
from matcher.data_files import path_of
from matcher.gaps import MAX_NAME, MAX_TEAM_SIZE
from matcher.json_lines import error_message
from matcher.recommend import MAX_GAPS, MAX_RESULTS, repeated_gap_id
from matcher.messages import danish_date, say, translated
from matcher.numbers import kroner, written_number
from matcher.tabular import excel_csv, spreadsheet_cell
from matcher.taxonomy import LEVELS, Level, level_name
from matcher.text import listed, strip_controls

# The template's columns: attribute → Danish header, in the guide's order.
PLAN_COLUMNS: dict[str, str] = {
    "employees": "Medarbejdere",
    "purpose": "Formål",
    "activity": "Uddannelsesaktivitet",
    "support_activities": "Læringsunderstøttende aktiviteter",
    "learning_goals": "Læringsmål og succeskriterier",
    "timeline": "Tidsplan",
    "responsible": "Ansvar",
    "resources": "Ressourceforbrug",
    "status": "Status",
}
# After the template's columns the CSV gives each row's price as a number, for a spreadsheet to sum.
COST_COLUMN = "Pris i alt (kr.)"

_PHASES = ("before", "during", "after")
MAX_ECHOED = 60  # characters of a wrong value that an error quotes back
TEAM_CLASS_FEW = 6  # a class booked for the team (rekvirerbar) for fewer learners says more could join
CONVERSATION_WEEKS_BEFORE = 4  # the guide: revisit purpose and learning goals at the latest 4 weeks before start
WEEKS_PER_ECTS = 2.0  # 10 ECTS over 20 weeks: a semester at the part-time pace of diploma and academy modules
QUARTER_WEEKS = 13
LOAD_WARNING_SHARE = 0.2  # one working day a week: above it, agree on relief from other work
MAX_GOALS_FROM_COURSE = 3
STATUS_PLANNED = "Planlagt"
STATUS_OPEN = "Mangler aktivitet"
STATUS_WAITING = "Afventer hold"


# The recommendation comes back from the client, so each number and date it holds is bounded as the
# catalogue bounds a course's, and a date by the years a plan is made for.
PlanDate = Annotated[dt.date, Field(ge=EARLIEST_DATE, le=LATEST_DATE)]


class PlanInputError(ValueError):
    """The recommendation cannot be turned into a plan; the message says which part and why."""


class PlanRow(BaseModel):
    """One row of the education plan: the template's columns, plus the ids it came from."""

    gap_id: str
    course_id: str | None = None
    course_title: str | None = None
    url: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None  # the course's last week, by the rules above
    date_proposed: bool = False  # the course has no dates: `start` is a proposal to agree with the provider
    learners: list[str] = []
    hours_each: float | None = None  # workload per learner
    cost_dkk: float | None = None  # the row's price for all its learners (a class booked for the team: its price)
    warnings: list[str] = []
    employees: str
    purpose: str
    activity: str
    support_activities: list[str]
    learning_goals: list[str]
    timeline: str
    responsible: str
    resources: str
    status: str

    def cells(self) -> list[str]:
        """The template's columns as text, in order; lists become one line each."""
        out = []
        for name in PLAN_COLUMNS:
            value = self.resources_with_warnings() if name == "resources" else getattr(self, name)
            out.append("\n".join(value) if isinstance(value, list) else value)
        return out

    def resources_with_warnings(self) -> str:
        return " ".join([self.resources, *(f"Advarsel: {w}." for w in self.warnings)])


# --- the recommendation document, as far as the plan reads it ----------------------------------


class _In(BaseModel):
    # The recommendation carries more than the plan needs (parts, constraints, notices).
    model_config = ConfigDict(extra="ignore")


class _Phase(_In):
    weight: int = Field(ge=0, le=100)
    label: str
    actions: list[str] = []


class _Transfer(_In):
    score: int | None = None
    steps: dict[str, _Phase] = {}
    learning_forms: list[str] = []


class _Gap(_In):
    id: str = Field(min_length=1)
    field: str | None = None
    field_name: str | None = None
    level: Level | None = None
    text: str | None = None
    employees: list[Annotated[str, Field(max_length=MAX_NAME)]] = Field(default=[], max_length=MAX_TEAM_SIZE)
    learners: int | None = Field(default=None, ge=1, le=MAX_TEAM_SIZE)
    leaders: int = Field(default=0, ge=0, le=MAX_TEAM_SIZE)
    proficiency: float | None = Field(default=None, ge=1, le=5)
    dimension: str | None = None
    priority_rank: int | None = None
    part: str | None = None
    target_level: int | None = Field(default=None, ge=1, le=5)
    levels: dict[str, float] = {}
    why_no_courses: str | None = None


def _web_address(url: str) -> str:
    # the document comes back from the client: a link in the plan must be a web address ("javascript:" is not)
    if not re.match(r"https?://", url, re.IGNORECASE):  # what follows is escaped where it is written (_url)
        raise ValueError("must be a web address (http:// or https://)")
    return url


class _Result(_In):
    gap_id: str
    rank: int | None = None
    course_id: str | None = None
    url: Annotated[str, AfterValidator(_web_address)] | None = None
    title: str = Field(min_length=1)
    provider: str | None = None
    course_type: str | None = None
    course_type_inferred: bool = False
    why: list[dict[str, Any]] = []
    transfer: _Transfer | None = None
    next_start: PlanDate | None = None
    start_dates: list[PlanDate] = []
    application_deadline: PlanDate | None = None
    price_dkk: float | None = Field(default=None, ge=0, le=MAX_PRICE_DKK)
    ects: float | None = Field(default=None, gt=0, le=MAX_ECTS)
    duration_days: float | None = Field(default=None, gt=0, le=MAX_DURATION_DAYS)
    form: str | None = None
    location: str | None = None
    # the start its deadline has closed since the recommendation was made (set by build_plan)
    _closed: dt.date | None = PrivateAttr(default=None)

    @property
    def known_starts(self) -> list[dt.date]:
        """Every start the result names, earliest first."""
        return sorted(set(self.start_dates) | ({self.next_start} if self.next_start else set()))

    @property
    def open_starts(self) -> list[dt.date]:
        """The known starts one can still apply for: less the one a deadline has closed since the
        recommendation was made (the recommendation lists only starts open on its day)."""
        return [day for day in self.known_starts if day != self._closed]


class _Window(_In):
    """The start window the user asked for; the plan dates a course only within it."""
    start_from: PlanDate | None = None
    start_before: PlanDate | None = None

    def holds(self, day: dt.date) -> bool:
        return (self.start_from is None or day >= self.start_from) and (self.start_before is None or day < self.start_before)


class _Constraints(_Window):
    """The user's constraints, as the recommendation echoes them: the plan names them."""
    level: Level | None = None
    types: list[str] = []
    providers: list[str] = []
    forms: list[str] = []
    location: str | None = None
    region: str | None = None
    max_price: float | None = Field(default=None, ge=0)
    max_ects: float | None = Field(default=None, gt=0)
    include_undated: bool = True

    def said(self) -> str | None:
        """The constraints in Danish ("region Syddanmark, højst 5.000 kr."), None where there are none."""
        return constraints_words(self.model_dump())


class _Recommendation(_In):
    query: str | None = None
    today: PlanDate | None = None
    gaps: list[_Gap] = Field(max_length=MAX_GAPS)
    results: list[_Result] = Field(max_length=MAX_RESULTS)
    constraints: _Constraints = _Constraints()


def _parse(recommendation: Any) -> _Recommendation:
    if not isinstance(recommendation, dict):
        raise PlanInputError(say("the recommendation must be a JSON object with 'gaps' and 'results', got {kind}",
                                 kind=type(recommendation).__name__))
    missing = [key for key in ("gaps", "results") if key not in recommendation]
    if missing:
        raise PlanInputError(say("the recommendation has no {keys}; give the answer of POST /api/recommendations or the output of `fagmatch recommend --json`",
                                 keys=", ".join(repr(k) for k in missing)))
    try:
        document = _Recommendation.model_validate(_without_controls(_titled(recommendation)))
    except ValidationError as exc:
        raise _invalid(exc) from None
    ids = [gap.id for gap in document.gaps]
    if repeated := repeated_gap_id(ids):
        i, gap_id = repeated
        raise PlanInputError(f"gaps[{i}].id: " + say("gap id {gap!r} appears twice: give each gap its own id", gap=gap_id))
    for i, result in enumerate(document.results):
        if result.gap_id not in ids:
            known = ", ".join(ids) if ids else say("there are no gaps")
            raise PlanInputError(f"results[{i}].gap_id: " + say("{gap!r} is not one of the gaps ({known})", gap=result.gap_id, known=known))
    return document


def plan_constraints(recommendation: dict[str, Any]) -> str | None:
    """The constraints the recommendation was made under, in Danish, for the plan and the page to name
    (read from its `constraints` alone: `build_plan` has checked the whole document)."""
    try:
        constraints = _Constraints.model_validate(_without_controls(recommendation.get("constraints") or {}))
    except ValidationError as exc:
        raise _invalid(exc, ("constraints",)) from None
    return constraints.said()


def _invalid(exc: ValidationError, within: tuple[str, ...] = ()) -> PlanInputError:
    """The document's problems (at most ten), each where it is in the document."""
    problems = [f"{path_of((*within, *err['loc']))}: {_describe(err)}" for err in exc.errors()]
    return PlanInputError(say("the recommendation is not valid: {problems}", problems="; ".join(problems[:10])))


def _without_controls(value: Any) -> Any:
    """The document with control characters and direction overrides dropped from every text, as from a
    course's (matcher.text): a plan opened in Excel must show what it says."""
    if isinstance(value, str):
        return strip_controls(value)
    if isinstance(value, list):
        return [_without_controls(item) for item in value]
    if isinstance(value, dict):
        return {key: _without_controls(item) for key, item in value.items()}
    return value


def _titled(document: dict[str, Any]) -> dict[str, Any]:
    """The document (a copy where it changes) with a title for each result whose title is nothing but
    invisible characters, which a course an older fagmatch stored may have: the course's id, said to be
    untitled, so that the plan is still made."""
    results = document.get("results")
    if not isinstance(results, list):
        return document

    def untitled(result: Any) -> bool:
        title = result.get("title") if isinstance(result, dict) else None
        return isinstance(title, str) and bool(title.strip()) and not strip_controls(title).strip()

    if not any(untitled(result) for result in results):
        return document
    return {**document, "results": [
        {**result, "title": f"Kursus uden titel ({result.get('course_id') or '?'})"} if untitled(result) else result
        for result in results
    ]}


def _describe(err: dict[str, Any]) -> str:
    if err["type"] == "missing":
        return say("required key is missing")
    value = err.get("input")
    if isinstance(value, list | dict):  # a whole list of names echoed back is no help, and ends up in logs
        return error_message(err)
    if isinstance(value, str) and len(value) > MAX_ECHOED:
        value = value[:MAX_ECHOED] + "…"
    return say("{problem} (got {value!r})", problem=error_message(err), value=value)


# --- building the rows --------------------------------------------------------------------------


def build_plan(recommendation: dict[str, Any], *, per_gap: int = 1) -> list[PlanRow]:
    """The plan's rows: gaps by priority, each with its top `per_gap` courses that fit the learners'
    time (or one open row), dated so that no learner has two courses at once; workload warnings on
    the rows of a person's overloaded quarters."""
    if per_gap < 1:
        raise PlanInputError(say("per_gap must be at least 1, got {per_gap}", per_gap=per_gap))
    document = _parse(recommendation)
    by_gap: dict[str, list[tuple[int, _Result]]] = {gap.id: [] for gap in document.gaps}
    for position, result in enumerate(document.results):
        by_gap[result.gap_id].append((position, result))
    # Priority 1 first; unranked gaps after, in the document's order (a field's basic part before its resource part).
    gaps = sorted(enumerate(document.gaps), key=lambda item: (item[1].priority_rank is None, item[1].priority_rank or 0, item[0]))
    # A recommendation made on an earlier day (a result page left open, an answer kept and sent later) is
    # planned from today: the starts and deadlines up to now have passed. One made for a later day
    # (`--today`) is planned from that day.
    today = max(document.today, clock.today()) if document.today else clock.today()
    earliest = today + dt.timedelta(weeks=CONVERSATION_WEEKS_BEFORE)
    for result in document.results:
        deadline = result.application_deadline
        if deadline is not None and (document.today or today) <= deadline < today:
            result._closed = start_for_deadline(result.known_starts, deadline)
    window = document.constraints
    if window.start_from is not None:
        earliest = max(earliest, window.start_from)
    busy: dict[str, list[tuple[dt.date, dt.date]]] = {}  # each learner's booked courses, first to last day
    rows = []
    for _, gap in gaps:
        ranked = [result for _, result in sorted(by_gap[gap.id], key=lambda item: (item[1].rank is None, item[1].rank or 0, item[0]))]
        if not ranked:
            rows.append(_open_row(gap))
            continue
        # A course at another level than the gap's is planned only where the list has none at its level.
        ranked.sort(key=lambda result: _level_note(result) is not None)
        # Learners not named (a gap in words, a needs survey) are the same people on each of their gap's courses.
        people = gap.employees or [f"\0gap {gap.id}"]
        picks: list[tuple[_Result, _Slot | None]] = []
        for result in ranked:  # the best courses whose dates fit; a clash moves down the list
            slot = _slot(result, [busy.get(p, []) for p in people], earliest, window)
            if slot is not None:
                picks.append((result, slot))
                for person in people:
                    busy.setdefault(person, []).append((slot.start, slot.end))
            if len(picks) == per_gap:
                break
        # a course no start of which fits stays in the plan, waiting for a later class
        picks += [(r, None) for r in ranked if r not in [p for p, _ in picks]][: per_gap - len(picks)]
        picks.sort(key=lambda pick: ranked.index(pick[0]))
        for result, slot in picks:
            passed_over = [r for r in ranked[: ranked.index(result)] if slot is not None and r not in [p for p, _ in picks]]
            rows.append(_row(gap, result, slot, passed_over, earliest, window))
    _warn_about_workload(rows)
    return rows


# --- time: dates, spans, workload ---------------------------------------------------------------


class _Slot(BaseModel):
    start: dt.date
    end: dt.date
    proposed: bool  # no dates known: a proposal


def course_hours(ects: float | None, days: float | None) -> float | None:
    """A course's workload per learner: ECTS × 27.5 hours, else course days × 7.4 hours."""
    # rounded: 1.5 days are 11.1 hours, not 11.100000000000001 in the JSON plan
    if ects:
        return round(ects * HOURS_PER_ECTS, 2)
    if days:
        return round(days * HOURS_PER_COURSE_DAY, 2)
    return None


def _span(result: _Result) -> dt.timedelta:
    """How long a course runs, start to last day, by the rules in the module's docstring."""
    if result.ects:
        return dt.timedelta(weeks=result.ects * WEEKS_PER_ECTS) - dt.timedelta(days=1)
    days = math.ceil(result.duration_days or 1)
    return dt.timedelta(weeks=days - 1) if days > 2 else dt.timedelta(days=days - 1)


def _slot(
    result: _Result, booked: list[list[tuple[dt.date, dt.date]]], earliest: dt.date, window: _Window,
) -> _Slot | None:
    """The first open start on or after `earliest`, within the user's start window, at which the course
    overlaps none of the learners' booked courses; a course without dates gets the first free Monday
    as a proposal; None when no start fits (a course with dates gets no date it does not offer)."""
    span = _span(result)
    taken = sorted({period for person in booked for period in person})  # learners of one gap share their periods

    def clash(start: dt.date) -> tuple[dt.date, dt.date] | None:
        return next(((first, last) for first, last in taken if not (start + span < first or start > last)), None)

    if result.known_starts:
        start = next((d for d in _in_time(result, earliest, window) if clash(d) is None), None)
        return None if start is None else _Slot(start=start, end=start + span, proposed=False)
    monday = _monday_from(earliest)
    while (busy := clash(monday)) is not None:  # every Monday up to the end of that course clashes with it too
        monday = _monday_from(busy[1] + dt.timedelta(days=1))
    return _Slot(start=monday, end=monday + span, proposed=True) if window.holds(monday) else None


def _in_time(result: _Result, earliest: dt.date, window: _Window) -> list[dt.date]:
    """The course's open starts far enough ahead for the learning conversation, within the start window."""
    return [day for day in result.open_starts if day >= earliest and window.holds(day)]


def _monday_from(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=(7 - day.weekday()) % 7)


def _quarter(day: dt.date) -> str:
    return f"{(day.month - 1) // 3 + 1}. kvartal {day.year}"


def workload(rows: list[PlanRow], hours: list[dict[str, float]] | None = None) -> dict[str, dict[str, float]]:
    """Hours per person and quarter ("1. kvartal 2027"), each course's hours spread evenly over its weeks
    (`hours`: each row's _hours_per_quarter, when the caller has them). Learners who take the same
    courses share one (read-only) dict: a team's gap names the same people on every row, and adding
    up each person's quarters alone took minutes for a large plan."""
    hours = hours if hours is not None else [_hours_per_quarter(row) for row in rows]
    courses_of: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        if hours[i]:
            for person in row.learners:
                courses_of.setdefault(person, []).append(i)
    shared: dict[tuple[int, ...], dict[str, float]] = {}
    load: dict[str, dict[str, float]] = {}
    for person, courses in courses_of.items():
        key = tuple(courses)
        if key not in shared:
            per_quarter: dict[str, float] = {}
            for i in key:
                for quarter, each in hours[i].items():
                    per_quarter[quarter] = per_quarter.get(quarter, 0.0) + each
            shared[key] = per_quarter
        load[person] = shared[key]
    return load


def _hours_per_quarter(row: PlanRow) -> dict[str, float]:
    """One learner's hours of the row's course in each quarter it runs in (none for an undated row)."""
    if row.start is None or row.end is None:
        return {}
    weeks = max(1, math.ceil(((row.end - row.start).days + 1) / 7))
    each = (row.hours_each if row.hours_each is not None else HOURS_PER_COURSE_DAY) / weeks
    hours: dict[str, float] = {}
    for week in range(weeks):
        quarter = _quarter(row.start + dt.timedelta(weeks=week))
        hours[quarter] = hours.get(quarter, 0.0) + each
    return hours


def _warn_about_workload(rows: list[PlanRow]) -> None:
    """On each row, per learner the heaviest quarter it falls in, where that is above the rule. A row
    for learners not named (a needs survey, a gap in words) is weighed on its own: whether its
    participants take other courses the plan cannot tell."""
    capacity = WEEKLY_HOURS * QUARTER_WEEKS
    limit = LOAD_WARNING_SHARE * capacity

    def heaviest(hours_of: dict[str, float], quarters: Iterable[str]) -> tuple[float, str] | None:
        over = [(hours_of[q], q) for q in quarters if hours_of.get(q, 0.0) > limit]
        return max(over) if over else None

    def said(courses: str, worst: tuple[float, str]) -> str:
        spent, quarter = worst
        return (f"{written_number(round(spent / QUARTER_WEEKS, 1))} timer om ugen til {courses} i {quarter} "
                f"({written_number(round(100 * spent / capacity))} % af arbejdstiden, over én arbejdsdag om ugen) – aftal aflastning")

    hours = [_hours_per_quarter(row) for row in rows]
    load = workload(rows, hours)
    for row, alone in zip(rows, hours):
        if not alone:
            continue
        if not row.learners and (worst := heaviest(alone, alone)):
            row.warnings.append("hver deltager har ca. " + said("kurset", worst))
        runs_in = alone.keys() | {_quarter(row.end)}  # type: ignore[arg-type]
        worst_of: dict[int, tuple[float, str] | None] = {}  # per shared load (see workload)
        for person in row.learners:
            hours_of = load[person]
            if id(hours_of) not in worst_of:
                worst_of[id(hours_of)] = heaviest(hours_of, runs_in)
            if worst := worst_of[id(hours_of)]:
                row.warnings.append(f"{person} har ca. " + said("kurser", worst))


def _learners(gap: _Gap) -> int:
    return gap.learners or max(1, len(gap.employees))


def _employees(gap: _Gap) -> str:
    if gap.employees:
        names = ", ".join(gap.employees)
        return f"{names} (ressourceperson)" if gap.part == "resource" and len(gap.employees) == 1 else (
            f"{names} (ressourcepersoner)" if gap.part == "resource" else names)
    if gap.learners:
        return learners_da(gap.learners, gap.leaders)
    return "Ikke angivet"


def learners_da(learners: int, leaders: int = 0) -> str:
    """How many take part, in Danish: "8 medarbejdere og 1 leder" (`leaders` of the `learners` lead)."""
    staff, leaders = max(0, learners - leaders), min(leaders, learners)
    parts = [f"{staff} medarbejder" + ("e" if staff != 1 else "")] if staff else []
    parts += [f"{leaders} leder" + ("e" if leaders != 1 else "")] if leaders else []
    return " og ".join(parts)


def _who(gap: _Gap) -> str:
    return "medarbejderen" if _learners(gap) == 1 else "medarbejderne"


def _field(gap: _Gap) -> str:
    return gap.field_name or gap.field or "feltet"


_PART_PURPOSE = {
    "basic": "det grundlæggende, alle i teamet skal kunne",
    "resource": "ressourceperson, som målprofilen ønsker",
}


def _purpose(gap: _Gap) -> str:
    if gap.field_name or gap.field:
        purpose = f"Styrke kompetencerne i {_field(gap)}"
        if gap.level in LEVELS:
            purpose += f" på {level_name(gap.level)} niveau"
    else:
        purpose = "Lukke teamets kompetencegab"
    notes = []  # in one pair of brackets: "(trin 3, prioritet 1)", not "(trin 3) (prioritet 1)"
    if gap.part in _PART_PURPOSE and gap.target_level:
        purpose += " – " + _PART_PURPOSE[gap.part]
        notes.append(f"trin {gap.target_level}")
    if gap.priority_rank is not None:
        notes.append(f"prioritet {gap.priority_rank}")
    if notes:
        purpose += f" ({', '.join(notes)})"
    if gap.text:
        purpose += f": {gap.text.strip()}"
    return purpose


def _activity(result: _Result) -> str:
    facts = [COURSE_TYPE_WORDS.get(result.course_type or "", result.course_type or "")]
    if result.course_type and result.course_type_inferred:
        facts[0] += " (udledt af teksten)"
    if result.ects:
        facts.append(f"{written_number(result.ects)} ECTS")
    facts += [FORM_WORDS.get(result.form or "", result.form or ""), result.location or ""]
    text = result.title + (f" – {result.provider}" if result.provider else "")
    details = ", ".join(f for f in facts if f)
    if details:
        text += f" ({details})"
    if note := _level_note(result):
        text += f". Bemærk: {note}"
    return text + (f". {result.url}" if result.url else "")


def _level_note(result: _Result) -> str | None:
    """What the recommendation said of a course whose level is not the gap's ("kursets niveau er …")."""
    return next((str(reason.get("text") or "kurset er på et andet niveau end gabet") for reason in result.why
                 if reason.get("kind") == "level" and reason.get("fits") is False), None)


def _support(result: _Result) -> list[str]:
    if result.transfer is None or not result.transfer.steps:
        return ["Aftal læringsunderstøttende aktiviteter før (30 %), under (30 %) og efter (40 %) kurset."]
    lines = []
    for phase in _PHASES:
        step = result.transfer.steps.get(phase)
        if step is not None:
            lines += [f"{step.label} ({step.weight} %): {action}" for action in step.actions]
    forms = result.transfer.learning_forms
    if forms:
        lines.append(f"Læringsformer: {listed(forms)}.")
    return lines


def _goals(gap: _Gap, result: _Result | None) -> list[str]:
    goals: list[str] = []
    for reason in result.why if result else []:
        text = reason.get("competence")
        if reason.get("kind") == "competence" and isinstance(text, str) and text.strip():
            line = f"Kompetence: {text.strip()}"
            if line not in goals:
                goals.append(line)
    goals = goals[:MAX_GOALS_FROM_COURSE]
    who = _who(gap)
    resource = gap.part == "resource" or (gap.part is None and gap.level == "specialiseret")
    if resource:
        goals.append(f"Succeskriterium: {who} har rollen som ressourceperson i {_field(gap)} og giver kollegerne sparring på komplekse sager senest 3 måneder efter kurset.")
    elif gap.part == "basic" or gap.level == "grundlaeggende":
        goals.append(f"Succeskriterium: {who} bruger det lærte selvstændigt i egne sager inden for {_field(gap)} senest 3 måneder efter kurset.")
    if gap.target_level is not None and gap.levels:
        now = ", ".join(f"{name} trin {written_number(level, 1)}" for name, level in gap.levels.items())
        goals.append(f"Udgangspunkt: {now} af 5 på kompetenceskalaen; mål: trin {gap.target_level} ved opfølgningen, som målprofilen kræver.")
    elif gap.proficiency is not None:
        target = gap.target_level or min(5, math.floor(gap.proficiency) + 1)
        goals.append(f"Udgangspunkt: trin {written_number(gap.proficiency, 1)} af 5 på kompetenceskalaen; mål: mindst trin {target} ved opfølgningen.")
    goals.append("Læringsmål og succeskriterier gøres konkrete og målbare i læringssamtalen før start.")
    return goals


def _timeline(
    result: _Result, slot: _Slot | None, passed_over: list[_Result], earliest: dt.date, window: _Window, learners: int,
) -> str:
    whose = "medarbejderens" if learners == 1 else "medarbejdernes"
    if slot is None:
        known = result.known_starts
        if known and not any(window.holds(d) for d in known):
            return (f"Intet hold med {_window_text(window)}: holdene starter {listed([danish_date(d) for d in known])}. "
                    "Udvid perioden, eller vælg et hold, når udbyderen offentliggør det.")
        in_time = _in_time(result, earliest, window)
        if known and not in_time:  # every start is too close for the learning conversation, or closed
            return (f"Intet hold i tide: holdene starter {listed([danish_date(d) for d in known])}; det er mindre end "
                    f"{CONVERSATION_WEEKS_BEFORE} uger fra i dag (læringssamtalen holdes senest "
                    f"{CONVERSATION_WEEKS_BEFORE} uger før start), eller ansøgningsfristen er overskredet. "
                    "Vælg et senere hold, når udbyderen offentliggør det.")
        if known:
            return (f"Intet kendt hold, der passer: holdene starter {listed([danish_date(d) for d in in_time])}, mens "
                    f"{'medarbejderen' if learners == 1 else 'medarbejderne'} er på "
                    f"{'sine' if learners == 1 else 'deres'} andre kurser. Vælg et senere hold, når udbyderen offentliggør det.")
        if window.start_before is not None:
            return (f"Startdato ikke oplyst, og medarbejderne har ingen ledig uge med {_window_text(window)} – "
                    "aftales med udbyderen.")
        return "Startdato ikke oplyst – aftales med udbyderen. Læringssamtale senest 4 uger før start; opfølgning 4–6 uger efter kurset."
    conversation = max(slot.start - dt.timedelta(weeks=CONVERSATION_WEEKS_BEFORE), earliest - dt.timedelta(weeks=CONVERSATION_WEEKS_BEFORE))
    follow_up = slot.end + dt.timedelta(weeks=5)
    start = f"forslag til start {danish_date(slot.start)} (aftal datoen med udbyderen)" if slot.proposed else f"kursusstart {danish_date(slot.start)}"
    deadline = _deadline_for(result, slot, earliest - dt.timedelta(weeks=CONVERSATION_WEEKS_BEFORE))
    if deadline is not None:  # the conversation decides whether to apply: before the deadline
        conversation = min(conversation, deadline)
        start = f"ansøgningsfrist {danish_date(deadline)}; {start}"
    text = (f"Læringssamtale senest {danish_date(conversation)}; {start}; "
            f"forløbet slutter ca. {danish_date(slot.end)}; opfølgning ca. {danish_date(follow_up)}.")
    # why a course higher on the list was passed over: no start far enough ahead (or in the window), or
    # every such start overlaps the learners' other courses
    late = [r for r in passed_over if r.known_starts and not _in_time(r, earliest, window)]
    busy = [r for r in passed_over if r not in late]
    if late:
        text += " " + listed([f"»{r.title}«" for r in late]) + (
            f" står højere på listen, men har intet hold, der starter mindst {CONVERSATION_WEEKS_BEFORE} uger fra i dag "
            "(læringssamtalen holdes senest 4 uger før start)" + ("" if window.start_from is None and window.start_before is None
                                                                   else f" med {_window_text(window)}") + ".")
    if busy:
        text += " " + listed([f"»{r.title}«" for r in busy]) + (
            f" står højere på listen, men overlapper med {whose} andre kurser.")
    return text


def _window_text(window: _Window) -> str:
    if window.start_from is not None and window.start_before is not None:
        return f"start mellem {danish_date(window.start_from)} og {danish_date(window.start_before)}"
    if window.start_before is not None:
        return f"start før {danish_date(window.start_before)}"
    return f"start fra {danish_date(window.start_from)}" if window.start_from is not None else "start i perioden"


def _deadline_for(result: _Result, slot: _Slot, today: dt.date) -> dt.date | None:
    """The course's application deadline where it is still ahead and the planned start is the one it
    is for (matcher.course.start_for_deadline)."""
    deadline = result.application_deadline
    if deadline is None or slot.proposed or deadline < today:
        return None
    return deadline if start_for_deadline(result.known_starts, deadline) == slot.start else None


def _resources(gap: _Gap, result: _Result) -> str:
    learners = _learners(gap)
    parts = []
    if result.price_dkk is None:
        parts.append("Pris ikke oplyst")
    elif result.form == "rekvirerbar":
        parts.append(f"{kroner(result.price_dkk)} for forløbet hos jer (aftal prisen for holdet med udbyderen)")
        if learners < TEAM_CLASS_FEW:  # the price is the class's: more of the team may join at no more cost
            parts.append(f"prisen gælder holdet, så flere end {'den ene' if learners == 1 else f'de {learners}'} "
                         "fra teamet kan være med")
    elif learners > 1:
        parts.append(f"{kroner(result.price_dkk)} pr. deltager, i alt {kroner(result.price_dkk * learners)} for {learners} deltagere")
    else:
        parts.append(f"{kroner(result.price_dkk)} pr. deltager")
    if result.ects:
        days = f" og {written_number(result.duration_days, 1)} kursusdage" if result.duration_days else ""
        parts.append(f"{written_number(result.ects)} ECTS ≈ {written_number(round(result.ects * HOURS_PER_ECTS))} timers arbejde pr. deltager{days}")
    elif result.duration_days:
        hours = course_hours(None, result.duration_days) or 0
        days = "1 kursusdag" if result.duration_days == 1 else f"{written_number(result.duration_days, 1)} kursusdage"
        parts.append(f"{days} ≈ {written_number(round(hours))} timer pr. deltager")
    else:
        parts.append("omfang ikke oplyst")
    parts.append("tid til før- og efterarbejde")
    return "; ".join(parts) + "."


def _row(
    gap: _Gap, result: _Result, slot: _Slot | None, passed_over: list[_Result], earliest: dt.date, window: _Window,
) -> PlanRow:
    return PlanRow(
        gap_id=gap.id, course_id=result.course_id, course_title=result.title, url=result.url,
        start=slot.start if slot else None, end=slot.end if slot else None, date_proposed=bool(slot and slot.proposed),
        learners=list(gap.employees), hours_each=course_hours(result.ects, result.duration_days),
        employees=_employees(gap), purpose=_purpose(gap), activity=_activity(result), support_activities=_support(result),
        learning_goals=_goals(gap, result), timeline=_timeline(result, slot, passed_over, earliest, window, _learners(gap)),
        responsible="Leder og medarbejder" if _learners(gap) == 1 else "Leder og medarbejdere",
        resources=_resources(gap, result), status=STATUS_PLANNED if slot else STATUS_WAITING,
        cost_dkk=_cost(gap, result),
    )


def _cost(gap: _Gap, result: _Result) -> float | None:
    """What the row costs, as _resources states it: per learner, or one price for a class booked for the team."""
    if result.price_dkk is None:
        return None
    return result.price_dkk if result.form == "rekvirerbar" else result.price_dkk * _learners(gap)


def plan_cost(rows: list[PlanRow]) -> tuple[float, int]:
    """The plan's known price in all (kr.), and how many of its courses state no price."""
    costed = [row for row in rows if row.course_title]
    return sum(row.cost_dkk or 0.0 for row in costed), sum(row.cost_dkk is None for row in costed)


def _cost_da(rows: list[PlanRow]) -> str | None:
    """The plan's price in all, in Danish, with the courses it leaves out; None for a plan without courses."""
    if not any(row.course_title for row in rows):
        return None
    total, unpriced = plan_cost(rows)
    text = f"Planens kurser koster i alt {kroner(total)}"  # "… kr." ends the sentence
    if unpriced:
        text += f" ({unpriced} {'kursus' if unpriced == 1 else 'kurser'} uden oplyst pris er ikke regnet med)."
    return text


def _open_row(gap: _Gap) -> PlanRow:
    # the reason comes in the recommendation's language (English from the API and the command line)
    activity = (f"Intet kursus: {translated(gap.why_no_courses, 'da').rstrip('.')}." if gap.why_no_courses else
                "Intet kursus fundet inden for begrænsningerne – overvej intern oplæring eller løsn begrænsningerne.")
    return PlanRow(
        gap_id=gap.id, learners=list(gap.employees), employees=_employees(gap), purpose=_purpose(gap),
        activity=activity, support_activities=[], learning_goals=_goals(gap, None),
        timeline="Aftales, når aktiviteten er valgt.", responsible="Leder", resources="Ikke opgjort.", status=STATUS_OPEN,
    )


# --- rendering ----------------------------------------------------------------------------------


def plan_json(rows: list[PlanRow]) -> dict[str, Any]:
    """The plan as JSON: its rows (with dates, learners and warnings), hours per person and quarter,
    and the rules the times were worked out by."""
    cost, unpriced = plan_cost(rows)
    return {
        "rows": [dict(row.model_dump(mode="json"), resources=row.resources_with_warnings()) for row in rows],
        "workload_hours": {person: {q: round(h, 1) for q, h in quarters.items()} for person, quarters in workload(rows).items()},
        "cost_dkk": cost, "courses_without_price": unpriced,
        "rules": {"hours_per_ects": HOURS_PER_ECTS, "hours_per_course_day": HOURS_PER_COURSE_DAY, "weeks_per_ects": WEEKS_PER_ECTS,
                  "weekly_hours": WEEKLY_HOURS, "warning_share_of_working_time": LOAD_WARNING_SHARE},
    }


def render_plan_csv(rows: list[PlanRow], *, bom: bool = True) -> str:
    """The plan as `;`-separated CSV for Danish Excel: a header of the template's columns, one line per row."""
    lines = [[*PLAN_COLUMNS.values(), COST_COLUMN]]
    for row in rows:
        cost = "" if row.cost_dkk is None else written_number(row.cost_dkk).replace(".", "")  # 37800 and 2995,5: Excel's numbers
        lines.append([*(spreadsheet_cell(cell) for cell in row.cells()), cost])
    return excel_csv(lines, bom=bom)


def render_plan_markdown(rows: list[PlanRow], title: str = "Uddannelsesplan", constraints: str | None = None) -> str:
    """The plan as Markdown: the constraints it was made under (`plan_constraints`), an overview table,
    then a section per row with every column."""
    lines = [f"# {_md(title)}", ""]
    if constraints:
        lines += [f"Kurserne er valgt med begrænsningerne: {_md(constraints)}{'' if constraints.endswith('.') else '.'}", ""]
    if not rows:
        return "\n".join([*lines, "Planen har ingen rækker.", ""])
    lines += ["| # | Medarbejdere | Uddannelsesaktivitet | Periode | Status |", "|---|---|---|---|---|"]
    for i, row in enumerate(rows, start=1):
        activity = row.course_title or row.activity
        lines.append(f"| {i} | {_md(row.employees)} | {_md(activity)} | {_period(row)} | {_md(row.status)} |")
    if cost := _cost_da(rows):
        lines += ["", cost]
    lines += _person_sections(rows)
    for i, row in enumerate(rows, start=1):
        heading = row.course_title or row.activity
        lines += ["", f"## {i}. {_md(heading)}", ""]
        for name, header in PLAN_COLUMNS.items():
            value = getattr(row, name)
            if isinstance(value, list):
                lines += ["", f"**{header}:**", ""] + ([f"- {_md(item)}" for item in value] or ["- –"]) + [""]
            elif name == "activity" and row.url:
                # The bare URL of the CSV cell becomes a link; escaped, it would not be one.
                text = row.activity.removesuffix(f". {row.url}")
                lines.append(f"**{header}:** {_md(text)} – [kursusside](<{_url(row.url)}>)  ")
            elif name == "resources":
                lines.append(f"**{header}:** {_md(row.resources_with_warnings())}  ")
            else:
                lines.append(f"**{header}:** {_md(value)}  ")
    return "\n".join(_squeeze(lines)) + "\n"


def _period(row: PlanRow) -> str:
    if row.start is None:
        return "–"
    text = f"{danish_date(row.start)} – {danish_date(row.end)}" if row.end and row.end != row.start else danish_date(row.start)
    return f"{text} (forslag)" if row.date_proposed else text


def _person_sections(rows: list[PlanRow]) -> list[str]:
    """Per employee the courses in time order, and the workload per quarter against the rule."""
    people = list(dict.fromkeys(p for row in rows for p in row.learners))
    if not people:
        return []
    lines = ["", "## Tidsplan pr. medarbejder", ""]
    for person in people:
        own = sorted((r for r in rows if person in r.learners and r.course_title),
                     key=lambda r: (r.start is None, r.start or dt.date.max))
        items = [f"{_md(r.course_title or '')}: {_period(r)}" for r in own]  # a colon: the period may hold "(forslag)"
        lines.append(f"- **{_md(person)}:** " + ("; ".join(items) if items else "intet kursus"))
    limit = LOAD_WARNING_SHARE * WEEKLY_HOURS * QUARTER_WEEKS
    lines += ["", "## Arbejdsbyrde pr. kvartal", "",
              f"Timer til kurser og opgaver pr. medarbejder (1 ECTS = {written_number(HOURS_PER_ECTS)} timer, 1 kursusdag = "
              f"{written_number(HOURS_PER_COURSE_DAY)} timer, fordelt jævnt over forløbets uger). Over {written_number(round(limit))} timer "
              f"i et kvartal – én arbejdsdag om ugen – bør lederen aftale aflastning (guidens fase 3: arbejdsbyrden i "
              "uddannelsesperioden).", "", "| Medarbejder | Kvartal | Timer | Andel af arbejdstiden | Vurdering |",
              "|---|---|---|---|---|"]
    for person, quarters in workload(rows).items():
        for quarter in sorted(quarters, key=lambda q: (q.split()[-1], q)):
            hours = quarters[quarter]
            share = round(100 * hours / (WEEKLY_HOURS * QUARTER_WEEKS))
            flag = "for meget" if hours > limit else "ok"
            lines.append(f"| {_md(person)} | {quarter} | {written_number(round(hours))} | {share} % | {flag} |")
    return lines


def _squeeze(lines: list[str]) -> list[str]:
    # No runs of blank lines, and a hard line break ("  ") only inside a paragraph.
    out: list[str] = []
    for line in lines:
        if line == "" and (not out or out[-1] == ""):
            continue
        if line == "" and out and out[-1].endswith("  "):
            out[-1] = out[-1][:-2]
        out.append(line)
    while out and out[-1] == "":
        out.pop()
    if out and out[-1].endswith("  "):
        out[-1] = out[-1][:-2]
    return out


_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|#"})


def _md(text: str) -> str:
    """Text as inline Markdown: characters that would format (or split a table cell) escaped, one line."""
    return " ".join(text.split()).translate(_MD_SPECIAL)


def _url(url: str) -> str:
    """A URL for a `<…>` link destination: a line break, '<', '>' or a backslash (which would escape
    the closing '>') would end the link early, and spaces and control characters do not belong in a
    URL anyway: each is percent-encoded."""
    return _URL_BREAKERS_RE.sub(lambda match: quote(match.group()), url)


_URL_BREAKERS_RE = re.compile(r"[\s<>\\\x00-\x1f\x7f]")
