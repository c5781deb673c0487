"""Gap identification (PRODUCT.md §6, issue 5 §1): a team's needs survey against the national
baseline, and a proficiency assessment against a target profile.

Two inputs, two analyses:

* **Needs survey** — anonymous rows, one column per survey statement, answers 1–5 to "how much could
  you benefit from sharpening this competence". Per statement and field: the share answering 4–5 set
  against the national share from the survey seed, ranked as priorities.
* **Proficiency assessment + target profile** — per employee and field a step on the guide's
  five-step proficiency scale, against a required level and a number of specialists per field: the
  team's capacity, the gap, resource persons, over-representation and a priority; and per employee
  the individual gaps (the guide's "kompetencespind": required level vs each employee).

Reading is strict: every problem in a file is collected and reported together, each naming the file,
the line and the column, so a person can fix the file in one go.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from dataclasses import dataclass, field as dc_field
from pathlib import Path
from typing import Any, Iterable, Literal, Mapping

import yaml
from pydantic import BaseModel, ConfigDict

from matcher.messages import current_language, say, say_count, where
from matcher.numbers import rounded
from matcher.tabular import BOM, Table, TabularError, excel_csv, read_table
from matcher.taxonomy import SurveyStatement, Taxonomy
from matcher.yaml_errors import plain_yaml_problem

# --- domain constants -------------------------------------------------------------------------

# Answers are on the survey's 1–5 scale (1 "i meget lav grad" … 5 "i meget høj grad"); the survey seed
# (baseline-survey-resultater.txt) reports "the share answering 4–5" as wanting development.
ANSWER_STEPS: tuple[int, ...] = (1, 2, 3, 4, 5)
HIGH_ANSWERS: frozenset[int] = frozenset({4, 5})

# The guide's five-step proficiency scale (strategisk-efteruddannelse-guide.txt, Fase 2):
# 1 Nybegynder, 2 Avanceret begynder, 3 Øvet udøver, 4 Kompetent udøver, 5 Ekspert.
PROFICIENCY_STEPS: tuple[int, ...] = (1, 2, 3, 4, 5)
SCALE_SPAN = PROFICIENCY_STEPS[-1] - PROFICIENCY_STEPS[0]  # the largest possible gap, 4 steps

# A resource person has "a high level of knowledge and competence in a field" (faglighed-fundament
# §4); by default that is step 4 Kompetent udøver ("benytter indsigt, erfaring, skøn"); a target
# profile may move it with `specialist_level`.
DEFAULT_SPECIALIST_LEVEL = 4

# Over-representation (faglighed-fundament §4: "felter, hvor teamet samlet set har stor styrke, og hvor
# opgaver kan fordeles mere strategisk"). A field is over-represented when either
#   * it has at least this many resource persons beyond the specialists the target asks for, or
#   * the team's mean level is at least this many steps above the required level.
OVER_REPRESENTATION_MIN_SURPLUS = 2
OVER_REPRESENTATION_MEAN_MARGIN = 1.0

# The guide's assessment sheet has a "Sårbarhed" (vulnerability) column: a field the team needs
# specialists in but that rests on at most this many resource persons is vulnerable.
VULNERABLE_AT_MOST_RESOURCE_PERSONS = 1

# Priority score, 0–100 (higher = more urgent), combining the three signs of a competence gap that
# faglighed-fundament §4 names (low total capacity, employees below the profile, missing resource
# persons):
#   100 × ( W_SHARE_BELOW × employees below the required level / employees assessed
#         + W_MEAN_GAP    × max(0, required − mean) / SCALE_SPAN
#         + W_SHORTFALL   × specialist shortfall / specialists needed  (0 when none needed) )
# Ranks: score descending, then the mean gap, then the framework's field order.
W_SHARE_BELOW = 0.4
W_MEAN_GAP = 0.3
W_SHORTFALL = 0.3

MAX_REPORTED_PROBLEMS = 20
# A team is a handful to a few dozen people; a whole jobcentre is a few hundred. The cap bounds what
# one request may cost the service (the rows are read, analysed, and named in the answer).
MAX_TEAM_SIZE = 500
MAX_NAME = 200  # characters of an employee's name or initials

Role = Literal["staff", "leader"]
# Column and cell spellings people use; matched case-insensitively.
ROLE_COLUMNS = ("role", "rolle")
EMPLOYEE_COLUMNS = ("employee", "medarbejder", "navn", "name")
ROLE_VALUES: dict[str, Role] = {
    "leder": "leader", "ledere": "leader", "leader": "leader", "leaders": "leader",
    "medarbejder": "staff", "medarbejdere": "staff", "staff": "staff", "employee": "staff",
}
# The taxonomy's Shares attribute that holds the national baseline for each role.
BASELINE_ATTR: dict[Role, str] = {"staff": "staff", "leader": "leaders"}

TEMPLATE_DIR = Path(__file__).resolve().parent / "data" / "templates"
TEMPLATE_FILES: dict[str, str] = {
    "needs-survey": "needs-survey.csv",
    "needs-survey-statements": "needs-survey-statements.csv",
    "proficiency-assessment": "proficiency-assessment.csv",  # rendered from the taxonomy; the file is a copy
    "target-profile": "target-profile.yaml",
}


class GapInputError(ValueError):
    """An input file that cannot be analysed; the message lists its problems, one a line."""

    def __init__(self, problems: str | list[str]) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        shown = self.problems[:MAX_REPORTED_PROBLEMS]
        more = len(self.problems) - len(shown)
        if more:
            shown.append(say("… and {more} more problem(s)", more=more))
        super().__init__("\n".join(shown))


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


# --- cell parsing -----------------------------------------------------------------------------


def parse_step(raw: str, steps: tuple[int, ...] = ANSWER_STEPS) -> int | None:
    """A whole step such as "3", " 3 ", "3,0" or "3.0"; None for a blank cell; ValueError otherwise."""
    text = raw.strip()
    if not text:
        return None
    try:
        number = float(text.replace(",", "."))
    except ValueError:
        raise ValueError(say("{text!r} is not a number; write a whole number {low}–{high}",
                             text=text, low=steps[0], high=steps[-1])) from None
    if not number.is_integer():
        raise ValueError(say("{text!r} is not a whole step; write a whole number {low}–{high}",
                             text=text, low=steps[0], high=steps[-1]))
    if int(number) not in steps:
        raise ValueError(say("{text!r} is outside {low}–{high}", text=text, low=steps[0], high=steps[-1]))
    return int(number)


def parse_role(raw: str) -> Role | None:
    """`leder`/`leader` or `medarbejder`/`staff` (any case); None for blank; ValueError otherwise."""
    text = raw.strip().casefold()
    if not text:
        return None
    if text not in ROLE_VALUES:
        raise ValueError(say("{text!r} is not a role; write leder (leader) or medarbejder (staff)", text=raw.strip()))
    return ROLE_VALUES[text]


_STATEMENT_ID_RE = re.compile(r"[a-zæøå]+\.\d+")


def _suggest(word: str, choices: Iterable[str], shown: Mapping[str, str] | None = None) -> str:
    """" (did you mean X?)" for the closest choice; `shown`: how to write a choice (its casing)."""
    close = difflib.get_close_matches(word.casefold(), list(choices), n=1, cutoff=0.6)
    return say(" (did you mean {word}?)", word=(shown or {}).get(close[0], close[0])) if close else ""


def _read_csv(path: str | Path, what: str, name: str) -> Table:
    """The table, or GapInputError for unreadable, empty or header-only files and malformed rows."""
    try:
        table = read_table(path, name=name)
    except TabularError as exc:
        raise GapInputError(str(exc)) from None
    # a team file is kept in a spreadsheet: a row is named by the row it shows in there, which a cell
    # with line breaks (Alt+Enter) makes differ from the line in the text
    table.rows = [(table.sheet_rows.get(line, line), row) for line, row in table.rows]
    table.bad_rows = [(table.sheet_rows.get(line, line), reason) for line, reason in table.bad_rows]
    problems = [f"{where(name, line)}: {reason}" for line, reason in table.bad_rows]
    if not table.rows and not problems:
        problems.append(say("{name}: the file has a header but no rows; add one row per {what}", name=name, what=what))
    if len(table.rows) > MAX_TEAM_SIZE:
        problems.append(say("{name}: {rows} rows; a team may have at most {most} employees (one row each)",
                            name=name, rows=len(table.rows), most=MAX_TEAM_SIZE))
    if problems:
        raise GapInputError(problems)
    return table


@dataclass
class _Columns:
    """Header cells sorted into what they mean; `problems` holds unknown columns."""

    role: str | None = None
    employee: str | None = None
    statements: dict[str, str] = dc_field(default_factory=dict)  # header cell -> statement id
    fields: dict[str, str] = dc_field(default_factory=dict)  # header cell -> field key
    # header cell -> how messages name it: a field's name where the header is its key (words, not keys)
    words: dict[str, str] = dc_field(default_factory=dict)
    problems: list[str] = dc_field(default_factory=list)


def field_columns(taxonomy: Taxonomy) -> dict[str, str]:
    """Header spellings of each field → its key, case-insensitive: the Danish name ("Lov &
    Myndighed", also with "og" for "&"), and the key ("lov_myndighed")."""
    columns: dict[str, str] = {}
    for f in taxonomy.fields:
        for name in (f.name, *f.former_names):  # a renamed field's former name heads teams' older files
            for spelling in (f.key, name, name.replace("&", "og")):
                columns[" ".join(spelling.split()).casefold()] = f.key
    return columns


def _classify_header(
    table: Table, name: str, taxonomy: Taxonomy, *, allow_fields: bool, allow_employee: bool
) -> _Columns:
    statement_ids = {s.id.casefold(): s.id for s in taxonomy.survey_statements}
    field_keys = field_columns(taxonomy) if allow_fields else {}
    written_names = {f.name.casefold(): f.name for f in taxonomy.fields}  # how a suggestion writes a field
    field_names = {**{spelling: taxonomy.field(key).name for spelling, key in field_keys.items()}, **written_names}
    columns = _Columns()
    for cell in table.header:
        key = " ".join(cell.split()).casefold()
        if key in ROLE_COLUMNS and columns.role is None:
            columns.role = cell
        elif allow_employee and key in EMPLOYEE_COLUMNS and columns.employee is None:
            columns.employee = cell
        elif key in statement_ids or key in field_keys:
            # two spellings of one statement or field ("Lov & Myndighed", "lov_myndighed"): one would
            # silently overwrite the other's answers
            meant, read = (statement_ids[key], columns.statements) if key in statement_ids else (field_keys[key], columns.fields)
            if earlier := next((c for c, m in read.items() if m == meant), None):
                columns.problems.append(f"{where(name, 1, cell)}: " + say(
                    "the same {what} as the column {earlier!r}; keep one of the two",
                    what=say("statement") if read is columns.statements else say("field"), earlier=earlier))
                continue
            read[cell] = meant
            if read is columns.fields and key == meant.casefold():
                columns.words[cell] = taxonomy.field(meant).name
        else:
            known = list(statement_ids) + list(field_keys) + list(ROLE_COLUMNS)
            # a statement id the framework no longer has: another statement's id is no suggestion (its
            # answers would count for what they were not given for)
            retired = _STATEMENT_ID_RE.fullmatch(key) is not None
            # a field is suggested as the column was written: by its key where a key was meant
            # ("it_digitl"), else by its name as the template heads it ("borgernaere metoder")
            suggestion = "" if retired else _suggest(cell, known, written_names if "_" in cell else field_names)
            problem = (
                say("not a statement id of the framework in use (mistyped, or a statement removed from it?); "
                    "see the needs-survey-statements template for the ids") if retired else
                say("not a field ({fields}) or a statement id such as lm.1{suggestion}; see the proficiency-assessment template",
                    fields=", ".join(f.name for f in taxonomy.fields), suggestion=suggestion)
                if allow_fields else
                say("not a survey statement id{suggestion}; see the needs-survey-statements template for the ids",
                    suggestion=suggestion)
            )
            columns.problems.append(f"{where(name, 1, cell)}: {problem}")
    return columns


# --- needs survey -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Respondent:
    """One anonymous row: its line, role (None = not given, counted as staff) and answers by statement id."""

    line: int
    role: Role | None
    answers: dict[str, int]


@dataclass(frozen=True)
class NeedsSurvey:
    source: str
    statement_ids: list[str]  # the survey's statement columns, in the taxonomy's order
    respondents: list[Respondent]
    has_roles: bool
    notices: list[str] = dc_field(default_factory=list)


def read_needs_survey(path: str | Path, taxonomy: Taxonomy, *, name: str | None = None) -> NeedsSurvey:
    """Read a needs survey CSV (optional `role` column, one column per statement id, answers 1–5 or blank).
    `name`: what messages and the result call the file (default: its path)."""
    name = name or str(path)
    table = _read_csv(path, say("employee who answered"), name)
    columns = _classify_header(table, name, taxonomy, allow_fields=False, allow_employee=False)
    problems = list(columns.problems)
    if not columns.statements and not problems:
        problems.append(f"{where(name, 1)}: " + say("no survey statement columns (ids such as lm.1); see the needs-survey template"))
    respondents: list[Respondent] = []
    notices = list(table.notices)
    for line, row in table.rows:
        role, answers, row_problems = _read_answers(name, line, row, columns)
        problems += row_problems
        if not row_problems and not answers:
            notices.append(f"{where(name, line)}: " + say("answers no statement; left out"))
        elif not row_problems:
            respondents.append(Respondent(line, role, answers))
    if not problems and not respondents:
        problems.append(say("{name}: no row answers any statement", name=name))
    if problems:
        raise GapInputError(problems)
    unroled = [r.line for r in respondents if r.role is None]
    if columns.role is not None and unroled:  # e.g. a merged role cell: blank in every row but its first
        notices.append(say_count(len(unroled), "{name}: {count} row gives no role (line {lines}); counted as staff",
                                 "{name}: {count} rows give no role (lines {lines}); counted as staff",
                                 name=name, count=len(unroled),
                                 lines=", ".join(map(str, unroled[:10])) + (" …" if len(unroled) > 10 else "")))
    order = [s.id for s in taxonomy.survey_statements if s.id in columns.statements.values()]
    return NeedsSurvey(name, order, respondents, columns.role is not None, notices)


def _read_role(name: str, line: int, row: dict[str, str], columns: _Columns, problems: list[str]) -> Role | None:
    """The row's role, if the file has a role column; a bad value is added to `problems`."""
    if columns.role is None:
        return None
    try:
        return parse_role(row.get(columns.role, ""))
    except ValueError as exc:
        problems.append(f"{where(name, line, columns.role)}: {exc}")
        return None


def _read_steps(
    name: str, line: int, row: dict[str, str], cells: dict[str, str], steps: tuple[int, ...], problems: list[str],
    words: dict[str, str] | None = None,
) -> dict[str, int]:
    """key → answered step, for `cells` (column → key); blank cells are left out, bad values go to
    `problems`, naming the column by `words` (column → how a message names it) where given."""
    values: dict[str, int] = {}
    for cell, key in cells.items():
        try:
            value = parse_step(row.get(cell, ""), steps)
        except ValueError as exc:
            problems.append(f"{where(name, line, (words or {}).get(cell, cell))}: {exc}")
            continue
        if value is not None:
            values[key] = value
    return values


def _read_answers(
    name: str, line: int, row: dict[str, str], columns: _Columns
) -> tuple[Role | None, dict[str, int], list[str]]:
    problems: list[str] = []
    role = _read_role(name, line, row, columns, problems)
    answers = _read_steps(name, line, row, columns.statements, ANSWER_STEPS, problems)
    return role, answers, problems


class ShareResult(_Result):
    """Share answering 4–5 among `n` who answered, against the national share (percent, points)."""

    n: int
    n_high: int | None  # None for a field: its share is a mean of statement shares, not a count
    share_pct: float | None
    baseline_pct: float | None
    difference_pp: float | None


class StatementNeed(_Result):
    id: str
    text: str
    fields: list[str]
    n: int
    n_high: int
    share_pct: float | None
    baseline_pct: float | None
    difference_pp: float | None
    by_role: dict[str, ShareResult]
    priority_rank: int | None


class FieldNeed(_Result):
    field: str
    name: str
    statements: list[str]
    n: int  # respondents who answered at least one of the field's statements
    share_pct: float | None  # mean of its statements' shares
    baseline_pct: float | None  # mean of the same statements' national shares
    difference_pp: float | None  # mean of (share − national share) over statements with both
    by_role: dict[str, ShareResult]
    priority_rank: int | None


class NeedsAnalysis(_Result):
    source: str
    respondents: int
    staff: int
    leaders: int
    baseline_group: Literal["staff", "leaders"]
    statements: list[StatementNeed]  # priority order
    fields: list[FieldNeed]  # priority order
    notices: list[str]

    def statement(self, id: str) -> StatementNeed:
        return next(s for s in self.statements if s.id == id)

    def field(self, key: str) -> FieldNeed:
        return next(f for f in self.fields if f.field == key)


@dataclass(frozen=True)
class _Share:
    """Unrounded share figures for one statement or field and one group of respondents."""

    n: int
    n_high: int | None
    share: float | None
    baseline: float | None
    difference: float | None

    def result(self) -> ShareResult:
        return ShareResult(
            n=self.n, n_high=self.n_high, share_pct=_round(self.share, 1),
            baseline_pct=_round(self.baseline, 1), difference_pp=_round(self.difference, 1),
        )


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else rounded(value, digits)


def _mean(values: Iterable[float]) -> float | None:
    items = list(values)
    return sum(items) / len(items) if items else None


def _statement_share(statement: SurveyStatement, respondents: list[Respondent], baseline_role: Role) -> _Share:
    answers = [r.answers[statement.id] for r in respondents if statement.id in r.answers]
    n_high = sum(a in HIGH_ANSWERS for a in answers)
    share = 100.0 * n_high / len(answers) if answers else None
    baseline = getattr(statement.shares, BASELINE_ATTR[baseline_role])
    baseline = float(baseline) if baseline is not None else None
    difference = share - baseline if share is not None and baseline is not None else None
    return _Share(len(answers), n_high, share, baseline, difference)


def _field_share(parts: list[_Share], respondents: list[Respondent], statement_ids: list[str]) -> _Share:
    # The field is the mean of its statements (each statement weighs the same, as in the seed's field
    # figures). Its national figure and the difference are given only where every answered statement
    # has a national share (a municipality's own statement has none): over fewer statements than the
    # team's share they would not compare ("50 %, national 32 %, −32 pp"). The statements keep theirs.
    answered = [p for p in parts if p.share is not None]
    compared = bool(answered) and all(p.baseline is not None for p in answered)
    n = sum(any(s in r.answers for s in statement_ids) for r in respondents)
    return _Share(
        n=n,
        n_high=None,
        share=_mean(p.share for p in answered),  # type: ignore[misc]
        baseline=_mean(p.baseline for p in answered) if compared else None,  # type: ignore[misc]
        difference=_mean(p.difference for p in answered) if compared else None,  # type: ignore[misc]
    )


def _role_of(respondent: Respondent) -> Role:
    # Rows without a role are counted as staff: most respondents are, and the staff question is the default.
    return respondent.role or "staff"


def _need_rank_key(share: _Share, order: int) -> tuple:
    # Highest share first (the most felt need); ties by the largest excess over the national share;
    # then the framework's order. Unanswered last.
    return (share.share is None, -(share.share or 0.0), share.difference is None, -(share.difference or 0.0), order)


def _ranks(keys: dict[str, tuple]) -> dict[str, int | None]:
    ranked = sorted(keys, key=lambda k: keys[k])
    return {k: (i + 1 if not keys[k][0] else None) for i, k in enumerate(ranked)}


def analyse_needs(survey: NeedsSurvey, taxonomy: Taxonomy) -> NeedsAnalysis:
    """Per statement and field the share answering 4–5 against the national baseline, ranked.

    Baseline: the staff share for staff rows and the leaders share for leader rows (in `by_role`); for
    the whole team the staff share, unless more than half of the respondents are leaders."""
    respondents = survey.respondents
    leaders = sum(_role_of(r) == "leader" for r in respondents)
    team_role: Role = "leader" if leaders * 2 > len(respondents) else "staff"
    groups: dict[Role, list[Respondent]] = {}
    if survey.has_roles:
        for role in ("staff", "leader"):
            members = [r for r in respondents if _role_of(r) == role]
            if members:
                groups[role] = members  # type: ignore[index]
    statements = [taxonomy.statement(s) for s in survey.statement_ids]

    team = {s.id: _statement_share(s, respondents, team_role) for s in statements}
    per_role = {role: {s.id: _statement_share(s, members, role) for s in statements} for role, members in groups.items()}
    statement_ranks = _ranks({s.id: _need_rank_key(team[s.id], i) for i, s in enumerate(statements)})

    field_stats: dict[str, tuple[list[str], _Share, dict[Role, _Share]]] = {}
    for key in taxonomy.field_keys:
        ids = [s.id for s in statements if key in s.fields]
        if ids:
            whole = _field_share([team[i] for i in ids], respondents, ids)
            roles = {role: _field_share([per_role[role][i] for i in ids], groups[role], ids) for role in groups}
            field_stats[key] = (ids, whole, roles)
    field_ranks = _ranks({k: _need_rank_key(v[1], i) for i, (k, v) in enumerate(field_stats.items())})
    notices = list(survey.notices)
    for key, (ids, whole, _) in field_stats.items():
        lacking = [i for i in ids if team[i].share is not None and team[i].baseline is None]
        if lacking and whole.share is not None:
            notices.append(say("{field}: no national share for {statements}, so the field is not compared with the "
                               "national figure (its other statements are)", field=taxonomy.field(key).name,
                               statements=", ".join(lacking)))

    statement_results = [
        StatementNeed(
            id=s.id, text=s.text, fields=list(s.fields), **_share_kwargs(team[s.id]),
            by_role={_role_key(role): per_role[role][s.id].result() for role in groups},
            priority_rank=statement_ranks[s.id],
        )
        for s in statements
    ]
    field_results = [
        FieldNeed(
            field=key, name=taxonomy.field(key).name, statements=ids, n=whole.n,
            share_pct=_round(whole.share, 1), baseline_pct=_round(whole.baseline, 1),
            difference_pp=_round(whole.difference, 1),
            by_role={_role_key(role): share.result() for role, share in roles.items()},
            priority_rank=field_ranks[key],
        )
        for key, (ids, whole, roles) in field_stats.items()
    ]
    return NeedsAnalysis(
        source=survey.source, respondents=len(respondents), staff=len(respondents) - leaders, leaders=leaders,
        baseline_group=BASELINE_ATTR[team_role],  # type: ignore[arg-type]
        statements=_by_rank(statement_results), fields=_by_rank(field_results), notices=notices,
    )


def _share_kwargs(share: _Share) -> dict[str, Any]:
    return share.result().model_dump()


def _role_key(role: Role) -> str:
    return BASELINE_ATTR[role]  # "staff" / "leaders", the names the survey seed uses


def _by_rank(items: list) -> list:
    # Keeps the input (framework) order among unranked items.
    return sorted(items, key=lambda item: (item.priority_rank is None, item.priority_rank or 0))


# --- proficiency assessment -------------------------------------------------------------------


@dataclass(frozen=True)
class EmployeeAssessment:
    """One employee's levels by field key (a mean when rolled up from statements; absent = not assessed)."""

    line: int
    name: str
    role: Role | None
    levels: dict[str, float]
    rolled_up: frozenset[str] = frozenset()  # fields whose level is the mean of statement columns


@dataclass(frozen=True)
class Assessment:
    source: str
    fields: list[str]  # fields with a column of their own or statement columns, framework order
    employees: list[EmployeeAssessment]
    notices: list[str] = dc_field(default_factory=list)


def read_assessment(path: str | Path, taxonomy: Taxonomy, *, name: str | None = None) -> Assessment:
    """Read a proficiency assessment CSV: `employee`, optional `role`, field keys and/or statement ids, 1–5.

    A blank field cell takes the mean of the employee's statement cells for that field (a statement
    mapped to two fields counts for both); a filled field cell wins over its statements. `name`: as
    for read_needs_survey."""
    name = name or str(path)
    table = _read_csv(path, say("employee"), name)
    columns = _classify_header(table, name, taxonomy, allow_fields=True, allow_employee=True)
    problems = list(columns.problems)
    if columns.employee is None:
        problems.append(f"{where(name, 1)}: " + say("no employee column: add a column named 'employee' or 'name' (anywhere in the row), with a name or initials per person"))
    fields = [k for k in taxonomy.field_keys if k in columns.fields.values()
              or any(k in taxonomy.statement(s).fields for s in columns.statements.values())]
    if not fields and not columns.problems:
        problems.append(f"{where(name, 1)}: " + say("no field columns ({fields}) or statement columns",
                                                     fields=", ".join(taxonomy.field_keys)))
    if problems:
        raise GapInputError(problems)
    employees: list[EmployeeAssessment] = []
    seen: dict[str, int] = {}
    for line, row in table.rows:
        employee, row_problems = _read_employee(name, line, row, columns, taxonomy)
        problems += row_problems
        if employee is None:
            continue
        key = " ".join(employee.name.split()).casefold()
        if key in seen:
            problems.append(f"{where(name, line, columns.employee)}: " + say(
                "employee {employee!r} is also on line {other}; names or initials must be unique",
                employee=employee.name, other=seen[key]))
        seen.setdefault(key, line)
        employees.append(employee)
    if problems:
        raise GapInputError(problems)
    return Assessment(name, fields, employees, list(table.notices))


def _read_employee(
    name: str, line: int, row: dict[str, str], columns: _Columns, taxonomy: Taxonomy
) -> tuple[EmployeeAssessment | None, list[str]]:
    problems: list[str] = []
    assert columns.employee is not None
    person = row.get(columns.employee, "").strip()
    if not person:
        problems.append(f"{where(name, line, columns.employee)}: " + say("the employee's name or initials are missing"))
    elif len(person) > MAX_NAME:
        problems.append(f"{where(name, line, columns.employee)}: " + say(
            "a name of {length} characters; write at most {most} (initials will do)", length=len(person), most=MAX_NAME))
    role = _read_role(name, line, row, columns, problems)
    direct = _read_steps(name, line, row, columns.fields, PROFICIENCY_STEPS, problems, columns.words)
    by_statement: dict[str, list[int]] = {}
    for statement_id, value in _read_steps(name, line, row, columns.statements, PROFICIENCY_STEPS, problems).items():
        for key in taxonomy.statement(statement_id).fields:
            by_statement.setdefault(key, []).append(value)
    if problems:
        return None, problems
    levels: dict[str, float] = {k: float(v) for k, v in direct.items()}
    rolled = {k: sum(v) / len(v) for k, v in by_statement.items() if k not in direct}
    levels.update(rolled)
    if not levels:
        return None, [f"{where(name, line)}: " + say("employee {employee!r} has no level in any field; fill in at least one",
                                                      employee=person)]
    ordered = {k: levels[k] for k in taxonomy.field_keys if k in levels}
    return EmployeeAssessment(line, person, role, ordered, frozenset(rolled)), []


# --- target profile ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldTarget:
    required_level: int
    specialists: int = 0


@dataclass(frozen=True)
class TargetProfile:
    source: str
    specialist_level: int
    fields: dict[str, FieldTarget]  # framework order


_TARGET_KEYS = ("specialist_level", "fields")
_FIELD_TARGET_KEYS = ("required_level", "specialists")


def read_target(path: str | Path, taxonomy: Taxonomy, *, name: str | None = None) -> TargetProfile:
    """Read a target profile (YAML or JSON): `specialist_level` (default 4) and per field key under
    `fields:` its `required_level` (1–5) and `specialists` (a whole number ≥ 0, default 0). `name`: as
    for read_needs_survey."""
    name = name or str(path)
    data, lines = _load_mapping_file(Path(path), name)
    locate = _Locator(name, lines)
    problems: list[str] = []
    for key in data:
        if key not in _TARGET_KEYS:
            hint = say(" (field targets go under 'fields:')") if key in taxonomy.field_keys else _suggest(str(key), _TARGET_KEYS)
            problems.append(f"{locate((key,))}: " + say("unknown key{hint}; allowed: {allowed}", hint=hint, allowed=", ".join(_TARGET_KEYS)))
    specialist_level = DEFAULT_SPECIALIST_LEVEL
    if "specialist_level" in data:
        specialist_level, problem = _whole(data["specialist_level"], 1, 5)
        if problem:
            problems.append(f"{locate(('specialist_level',))}: {problem}")
    fields = data.get("fields")
    targets: dict[str, FieldTarget] = {}
    if not isinstance(fields, dict) or not fields:
        problems.append(f"{locate(('fields',) if 'fields' in data else ())}: " + say(
            "'fields:' must map field keys ({fields}) to required_level and specialists", fields=", ".join(taxonomy.field_keys)))
    else:
        for key, entry in fields.items():
            target, entry_problems = _field_target(key, entry, locate, taxonomy)
            problems += entry_problems
            if target is not None:
                targets[str(key)] = target
    if problems:
        raise GapInputError(problems)
    ordered = {k: targets[k] for k in taxonomy.field_keys if k in targets}
    return TargetProfile(name, specialist_level, ordered)


def _field_target(key: Any, entry: Any, locate: "_Locator", taxonomy: Taxonomy) -> tuple[FieldTarget | None, list[str]]:
    loc = ("fields", key)
    if key not in taxonomy.field_keys:
        return None, [f"{locate(loc)}: " + say("unknown field {key!r}{suggestion}; fields are {fields}", key=key,
                                               suggestion=_suggest(str(key), taxonomy.field_keys), fields=", ".join(taxonomy.field_keys))]
    if not isinstance(entry, dict):
        return None, [f"{locate(loc)}: " + say("must hold required_level (and specialists), e.g. {{required_level: 3, specialists: 1}}")]
    problems = [f"{locate(loc + (k,))}: " + say("unknown key{hint}; allowed: {allowed}", hint=_suggest(str(k), _FIELD_TARGET_KEYS),
                                                allowed=", ".join(_FIELD_TARGET_KEYS))
                for k in entry if k not in _FIELD_TARGET_KEYS]
    if "required_level" not in entry:
        problems.append(f"{locate(loc)}: " + say("required_level is missing (a whole number 1–5 on the proficiency scale)"))
        required = None
    else:
        required, problem = _whole(entry["required_level"], 1, 5)
        if problem:
            problems.append(f"{locate(loc + ('required_level',))}: {problem}")
    specialists, problem = _whole(entry.get("specialists", 0), 0, None)
    if problem:
        problems.append(f"{locate(loc + ('specialists',))}: {problem}")
    if problems or required is None:
        return None, problems
    return FieldTarget(required, specialists), []


class _Shown:
    """A value as a message quotes it, cut short (a list in a file may be long): its repr in English
    ('tre'), the value itself where Danish puts its own quotes round it (»tre«)."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return _cut(repr(self.value))

    def __str__(self) -> str:
        return _cut(str(self.value))


def _cut(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "…"


def _whole(value: Any, low: int, high: int | None) -> tuple[int, str | None]:
    """A whole number within [low, high]; YAML/JSON numbers only (3 or 3.0, not "3" or true)."""
    span = f"{low}–{high}" if high is not None else f"≥ {low}"
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (isinstance(value, float) and not value.is_integer()):
        return 0, say("{value!r} is not a whole number {span}", value=_Shown(value), span=span)
    number = int(value)
    if number < low or (high is not None and number > high):
        if high is None:
            return number, say("{number!r} must be {span}", number=number, span=span)
        return number, say("{number!r} is outside {span}", number=number, span=span)
    return number, None


@dataclass
class _Locator:
    """Turns a key path into 'file: line N, key a.b' using the YAML node marks."""

    name: str
    lines: dict[tuple, int]

    def __call__(self, loc: tuple) -> str:
        loc = tuple(str(part) for part in loc)
        line = self.lines.get(loc)
        path = ".".join(str(p) for p in loc)
        if line is None:
            return f"{self.name}: {path}" if path else self.name
        return f"{where(self.name, line)}, {path}" if path else where(self.name, line)


def _load_mapping_file(path: Path, name: str) -> tuple[dict, dict[tuple, int]]:
    """Parse YAML or JSON into a mapping plus the line of every key path; GapInputError on any problem."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise GapInputError(say("{name}: cannot read file: {reason}", name=name, reason=exc.strerror)) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise GapInputError(say("{name}: not UTF-8 text (byte {byte}); save the file as UTF-8", name=name, byte=exc.start)) from None
    if not text.strip():
        raise GapInputError(say("{name}: the file is empty", name=name))
    if path.suffix.lower() == ".json":
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:
            # the parser's own words are English: said on the command line and in the API only
            detail = f" ({exc.msg})" if current_language() == "en" else ""
            raise GapInputError(f"{where(name, exc.lineno)}: " + say("not valid JSON at column {column}", column=exc.colno)
                                + detail) from None
        except RecursionError:
            raise GapInputError(f"{name}: " + say("nested too deeply; a target profile has fields and their numbers")) from None
    try:
        # Anchors and aliases (&a, *a) may repeat a value millions of times over in a few hundred
        # bytes; a target profile needs neither.
        if any(isinstance(event, yaml.AliasEvent) for event in yaml.parse(text, Loader=yaml.SafeLoader)):
            raise GapInputError(f"{name}: " + say("anchors and aliases (& and *) are not allowed in a target profile; "
                                                  "write each value out"))
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except RecursionError:
        raise GapInputError(f"{name}: " + say("nested too deeply; a target profile has fields and their numbers")) from None
    except yaml.MarkedYAMLError as exc:
        line, detail = plain_yaml_problem(exc, text)
        raise GapInputError(f"{where(name, line) if line else name}: " + say("not valid YAML: {detail}", detail=detail)) from None
    except yaml.YAMLError as exc:
        raise GapInputError(f"{name}: " + say("not valid YAML: {detail}", detail=exc)) from None
    if not isinstance(data, dict):
        raise GapInputError(f"{name}: " + say("must be a mapping with 'fields:' (and optionally 'specialist_level:')"))
    lines: dict[tuple, int] = {}
    problems: list[str] = []
    _node_lines(root, (), lines, problems, name)
    if problems:
        raise GapInputError(problems)
    return data, lines


def _node_lines(node: yaml.Node, loc: tuple, lines: dict[tuple, int], problems: list[str], name: str) -> None:
    # Duplicate keys are silently merged by the YAML loader; in a hand-edited target they hide a mistake.
    if not isinstance(node, yaml.MappingNode):
        return
    for key_node, value_node in node.value:
        path = loc + (str(key_node.value),)
        if path in lines:
            problems.append(f"{where(name, key_node.start_mark.line + 1)}, {'.'.join(map(str, path))}: "
                            + say("appears twice (first on line {first})", first=lines[path]))
            continue
        lines[path] = key_node.start_mark.line + 1
        _node_lines(value_node, path, lines, problems, name)


# --- team analysis ----------------------------------------------------------------------------


class FieldCapacity(_Result):
    """The team in one field: capacity, gap to target, resource persons and priority."""

    field: str
    name: str
    assessed: int
    mean_level: float | None
    distribution: dict[str, int]  # proficiency step ("1".."5") -> employees; rolled-up means rounded half up
    required_level: int | None  # None: the target profile names no requirement for this field
    specialists_needed: int
    gap: float | None  # required level − mean level (negative: above target)
    below_target: int
    share_below_pct: float | None
    employees_below: list[str]
    resource_persons: list[str]
    specialist_shortfall: int
    surplus_resource_persons: int
    over_represented: bool
    over_representation: list[str]  # why, in words
    vulnerable: bool
    priority_score: float | None
    priority_rank: int | None
    # "gap": the team's mean is below the required level, or resource persons are missing;
    # "individual": the team meets the target on average with its resource persons, but some
    # employees are below it (a negative gap is not a gap: their need is their own, not the team's).
    status: Literal["gap", "individual", "met", "no target"]


class IndividualGap(_Result):
    field: str
    name: str
    level: float
    required_level: int
    short_by: float


class EmployeeResult(_Result):
    employee: str
    role: str | None
    levels: dict[str, float]
    gaps: list[IndividualGap]  # largest first
    resource_fields: list[str]


class TeamAnalysis(_Result):
    assessment: str
    target: str
    specialist_level: int
    specialist_level_name: str
    employees_assessed: int
    fields: list[FieldCapacity]  # ranked fields first (priority order), then fields without a target
    employees: list[EmployeeResult]
    notes: list[str]

    def field(self, key: str) -> FieldCapacity:
        return next(f for f in self.fields if f.field == key)

    def employee(self, name: str) -> EmployeeResult:
        return next(e for e in self.employees if e.employee == name)


def priority_score(share_below: float, mean_gap: float, shortfall: int, specialists_needed: int) -> float:
    """The documented priority formula (see W_SHARE_BELOW); 0 when the field meets its target."""
    shortfall_share = shortfall / specialists_needed if specialists_needed else 0.0
    score = W_SHARE_BELOW * share_below + W_MEAN_GAP * max(0.0, mean_gap) / SCALE_SPAN + W_SHORTFALL * shortfall_share
    return 100.0 * score


def _step_of(level: float) -> int:
    return int(math.floor(level + 0.5))


def _field_capacity(
    key: str, assessment: Assessment, target: TargetProfile, taxonomy: Taxonomy
) -> tuple[FieldCapacity, float]:
    """The field's figures, and its unrounded score for ranking (−1 when it has no target)."""
    levels = {e.name: e.levels[key] for e in assessment.employees if key in e.levels}
    mean = _mean(levels.values())
    distribution = {str(step): 0 for step in PROFICIENCY_STEPS}
    for level in levels.values():
        distribution[str(_step_of(level))] += 1
    resource = [n for n, level in levels.items() if level >= target.specialist_level]
    goal = target.fields.get(key)
    required = goal.required_level if goal else None
    needed = goal.specialists if goal else 0
    below = [n for n, level in levels.items() if required is not None and level < required]
    gap = required - mean if required is not None and mean is not None else None
    shortfall = max(0, needed - len(resource))
    surplus = max(0, len(resource) - needed)
    reasons = _over_representation(surplus, needed, gap)
    score = priority_score(len(below) / len(levels), gap, shortfall, needed) if goal and levels and gap is not None else None
    capacity = FieldCapacity(
        field=key, name=taxonomy.field(key).name, assessed=len(levels), mean_level=_round(mean, 2),
        distribution=distribution, required_level=required, specialists_needed=needed, gap=_round(gap, 2),
        below_target=len(below), share_below_pct=_round(100.0 * len(below) / len(levels), 1) if goal and levels else None,
        employees_below=below, resource_persons=resource, specialist_shortfall=shortfall,
        surplus_resource_persons=surplus if goal else 0, over_represented=bool(goal) and bool(reasons),
        over_representation=reasons if goal else [], vulnerable=bool(goal) and needed > 0
        and len(resource) <= VULNERABLE_AT_MOST_RESOURCE_PERSONS,
        priority_score=_round(score, 1), priority_rank=None,
        status=_status(score, gap, shortfall),
    )
    return capacity, -1.0 if score is None else score


def _status(score: float | None, gap: float | None, shortfall: int) -> str:
    if score is None:
        return "no target"
    if score <= 0:
        return "met"
    return "gap" if shortfall or (gap is not None and gap > 0) else "individual"


def _over_representation(surplus: int, needed: int, gap: float | None) -> list[str]:
    reasons = []
    if surplus >= OVER_REPRESENTATION_MIN_SURPLUS:
        reasons.append(say("{surplus} resource person(s) beyond the {needed} needed", surplus=surplus, needed=needed))
    if gap is not None and -gap >= OVER_REPRESENTATION_MEAN_MARGIN:
        reasons.append(say("mean level {above:.2f} step(s) above the required level", above=-gap))
    return reasons


def analyse_assessment(assessment: Assessment, target: TargetProfile, taxonomy: Taxonomy) -> TeamAnalysis:
    """Per field the team's capacity against the target, resource persons and a priority; per employee the gaps.

    Raises GapInputError when the target asks for a field that no employee was assessed in."""
    missing = [k for k in target.fields if k not in assessment.fields
               or not any(k in e.levels for e in assessment.employees)]
    if missing:
        raise GapInputError([f"{target.source}: fields.{k}: " + say(
            "the target requires it but no employee in {assessment} has a level for it; add a column {name} (or its statement columns)",
            assessment=assessment.source, name=taxonomy.field(k).name) for k in missing])
    keys = [k for k in taxonomy.field_keys if k in assessment.fields or k in target.fields]
    computed = {k: _field_capacity(k, assessment, target, taxonomy) for k in keys}
    order = {k: i for i, k in enumerate(keys)}
    ranked = sorted((k for k in keys if computed[k][1] >= 0),
                    key=lambda k: (-computed[k][1], -(computed[k][0].gap or 0.0), order[k]))
    fields = [computed[k][0].model_copy(update={"priority_rank": i + 1}) for i, k in enumerate(ranked)]
    fields += [computed[k][0] for k in keys if computed[k][1] < 0]
    step_names = {s.step: s.name for s in taxonomy.proficiency_scale}
    return TeamAnalysis(
        assessment=assessment.source, target=target.source, specialist_level=target.specialist_level,
        specialist_level_name=step_names.get(target.specialist_level, str(target.specialist_level)),
        employees_assessed=len(assessment.employees), fields=fields,
        employees=[_employee_result(e, target, taxonomy) for e in assessment.employees],
        notes=assessment.notices + _team_notes(fields, len(assessment.employees)),
    )


def _employee_result(employee: EmployeeAssessment, target: TargetProfile, taxonomy: Taxonomy) -> EmployeeResult:
    gaps = [
        IndividualGap(field=k, name=taxonomy.field(k).name, level=round(level, 2),
                      required_level=target.fields[k].required_level,
                      short_by=round(target.fields[k].required_level - level, 2))
        for k, level in employee.levels.items()
        if k in target.fields and level < target.fields[k].required_level
    ]
    gaps.sort(key=lambda g: -g.short_by)  # stable: framework order among equal gaps
    return EmployeeResult(
        employee=employee.name, role=employee.role,
        levels={k: round(v, 2) for k, v in employee.levels.items()}, gaps=gaps,
        resource_fields=[k for k, level in employee.levels.items() if level >= target.specialist_level],
    )


def _team_notes(fields: list[FieldCapacity], team_size: int) -> list[str]:
    notes = []
    for f in fields:
        if f.specialists_needed > team_size:
            notes.append(f"{f.name}: " + say(
                "the target asks for {needed} specialists but the team has {size} employees; "
                "the shortfall cannot be closed by training alone", needed=f.specialists_needed, size=team_size))
        if f.assessed < team_size and f.required_level is not None:
            notes.append(f"{f.name}: " + say_count(
                team_size - f.assessed, "{missing} employee not assessed in the field; the figures cover only those assessed ({assessed})",
                "{missing} employees not assessed in the field; the figures cover only those assessed ({assessed})",
                missing=team_size - f.assessed, assessed=f.assessed))
    return notes


# --- reports ----------------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} %"


def _pp(value: float | None) -> str:
    return "–" if value is None else f"{value:+.1f} pp"


def format_needs_report(analysis: NeedsAnalysis) -> str:
    """The needs-survey analysis as plain text: fields, then statements, highest need first."""
    baseline = "leaders" if analysis.baseline_group == "leaders" else "staff"
    lines = [
        f"Needs survey {analysis.source}: {analysis.respondents} respondents "
        f"({analysis.staff} staff, {analysis.leaders} leaders); compared with the national {baseline} share",
        "Share answering 4–5 (could benefit from sharpening the competence), highest first.",
        "",
        "Fields",
    ]
    width = max((len(f.name) for f in analysis.fields), default=10)
    for f in analysis.fields:
        rank = f"{f.priority_rank}." if f.priority_rank else "-"
        lines.append(f"  {rank:>3} {f.name:<{width}}  {_pct(f.share_pct):>8}  national {_pct(f.baseline_pct):>8}  "
                     f"{_pp(f.difference_pp):>9}  ({len(f.statements)} statements, n={f.n})")
        for role, share in f.by_role.items():
            lines.append(f"      {'':<{width}}  {role}: {_pct(share.share_pct)} vs national {_pct(share.baseline_pct)} "
                         f"({_pp(share.difference_pp)}, n={share.n})")
    lines += ["", "Statements"]
    for s in analysis.statements:
        rank = f"{s.priority_rank}." if s.priority_rank else "-"
        lines.append(f"  {rank:>3} {s.id:<6} {_pct(s.share_pct):>8} ({s.n_high}/{s.n})  national {_pct(s.baseline_pct):>8}  "
                     f"{_pp(s.difference_pp):>9}  {s.text}")
    lines += [f"note: {n}" for n in analysis.notices]
    return "\n".join(lines) + "\n"


def format_team_report(analysis: TeamAnalysis) -> str:
    """The team analysis as plain text: priorities, capacity per field, then individual gaps."""
    lines = [
        f"Team assessment {analysis.assessment} against {analysis.target}: {analysis.employees_assessed} employees; "
        f"resource person = level {analysis.specialist_level} ({analysis.specialist_level_name}) or above",
        "",
        "Priorities (1 = most urgent)",
    ]
    for f in analysis.fields:
        lines += _field_lines(f)
    names = {f.field: f.name for f in analysis.fields}
    lines += ["", "Individual gaps"]
    for e in analysis.employees:
        gaps = "; ".join(f"{g.name} {_level(g.level)} → {g.required_level} ({_level(g.short_by)} step(s))" for g in e.gaps) or "none"
        resource = f"; resource person in {', '.join(names[k] for k in e.resource_fields)}" if e.resource_fields else ""
        lines.append(f"  {e.employee}: {gaps}{resource}")
    lines += [f"note: {n}" for n in analysis.notes]
    return "\n".join(lines) + "\n"


def _level(value: float) -> str:
    return f"{value:g}" if float(value).is_integer() else f"{value:.2f}"


def _field_lines(f: FieldCapacity) -> list[str]:
    spread = " ".join(f"{step}:{count}" for step, count in f.distribution.items())
    mean = "–" if f.mean_level is None else f"{f.mean_level:.2f}"
    if f.required_level is None:
        return [f"    - {f.name}: mean {mean} [{spread}]; no target; resource persons {len(f.resource_persons)}"]
    head = (f"  {f.priority_rank:>2}. {f.name} ({f.status}, score {f.priority_score:.1f}): mean {mean}, "
            f"required {f.required_level}, gap {f.gap:+.2f}; {f.below_target} of {f.assessed} below target")
    people = ", ".join(f.resource_persons) or "none"
    detail = (f"      distribution [{spread}]; resource persons {len(f.resource_persons)} ({people}), "
              f"{f.specialists_needed} needed, shortfall {f.specialist_shortfall}")
    flags = []
    if f.over_represented:
        flags.append("over-represented: " + "; ".join(f.over_representation))
    if f.vulnerable:
        flags.append("vulnerable: rests on at most one resource person")
    return [head, detail] + [f"      {flag}" for flag in flags]


# --- templates --------------------------------------------------------------------------------


def template_text(kind: str, taxonomy: Taxonomy) -> str:
    """The text of a template file. The CSV templates follow the taxonomy in use (its fields and
    statements get their own columns), with Danish headers, `;`-separated for Danish Excel; so does
    the target profile (target_profile_text)."""
    if kind == "needs-survey":
        return excel_csv(needs_survey_rows(taxonomy))
    if kind == "needs-survey-statements":
        return excel_csv(statement_rows(taxonomy))
    if kind == "proficiency-assessment":
        return excel_csv(assessment_rows(taxonomy))
    if kind == "target-profile":
        return target_profile_text(taxonomy)
    if kind not in TEMPLATE_FILES:
        raise KeyError(f"unknown template {kind!r}; templates are {', '.join(TEMPLATE_FILES)}")
    return (TEMPLATE_DIR / TEMPLATE_FILES[kind]).read_text(encoding="utf-8")


def target_profile_text(taxonomy: Taxonomy) -> str:
    """The target profile template: the shipped file's explanation, and a target for every field of the
    taxonomy in use (the shipped file's where it has one, else level 3 and no resource person): a field
    an expert added got none, and a renamed one the old key, which the analysis then refused."""
    text = (TEMPLATE_DIR / TEMPLATE_FILES["target-profile"]).read_text(encoding="utf-8")
    head = text.partition("\nfields:\n")[0]
    shipped = (yaml.safe_load(text) or {}).get("fields") or {}
    width = max(len(key) for key in taxonomy.field_keys) + 3
    lines = [head, "fields:"]
    for key in taxonomy.field_keys:
        target = shipped.get(key) or {}
        lines += [f"  {(key + ':').ljust(width)}# {taxonomy.field(key).name}",
                  f"    required_level: {target.get('required_level', 3)}",
                  f"    specialists: {target.get('specialists', 0)}"]
    return "\n".join(lines) + "\n"


# the workbook's tab, which the user sees in Excel (at most 31 characters)
XLSX_SHEET_NAMES = {"needs-survey": "Behovsundersøgelse", "needs-survey-statements": "Udsagn",
                    "proficiency-assessment": "Kompetencevurdering"}


def template_bytes(kind: str, taxonomy: Taxonomy, fmt: Literal["csv", "xlsx"] = "csv") -> bytes:
    """A template as the file to hand out: CSV as UTF-8 *with* a byte-order mark (Danish Excel reads
    a CSV file without one as Windows-1252 and garbles æ, ø, å), or an .xlsx workbook."""
    if fmt == "xlsx":
        from matcher.tabular import xlsx_bytes

        rows = {"needs-survey": needs_survey_rows, "needs-survey-statements": statement_rows,
                "proficiency-assessment": assessment_rows}
        if kind not in rows:
            raise KeyError(f"template {kind!r} has no .xlsx version; those that have: {', '.join(rows)}")
        return xlsx_bytes(rows[kind](taxonomy), sheet=XLSX_SHEET_NAMES[kind])
    text = template_text(kind, taxonomy)
    return (BOM + text if TEMPLATE_FILES.get(kind, "").endswith(".csv") else text).encode("utf-8")


def needs_survey_rows(taxonomy: Taxonomy) -> list[list[str]]:
    """Header `rolle` + every statement id, and three example rows (one leader), some left blank."""
    ids = [s.id for s in taxonomy.survey_statements]
    rows = [["rolle", *ids]]
    for r, role in enumerate(("medarbejder", "medarbejder", "leder")):
        # A fixed, varied pattern: example answers that exercise every step and a few blanks.
        rows.append([role, *("" if (j + r) % 11 == 10 else str((j * 3 + r * 2) % 5 + 1) for j in range(len(ids)))])
    return rows


def statement_rows(taxonomy: Taxonomy) -> list[list[str]]:
    """What each needs-survey column means: id, field key(s), field name(s), statement text."""
    rows = [["id", "felt", "feltnavn", "udsagn"]]
    for s in taxonomy.survey_statements:
        rows.append([s.id, "+".join(s.fields), " + ".join(taxonomy.field(k).name for k in s.fields), s.text])
    return rows


# Example levels for the assessment template: four people, every step used, one leader.
_EXAMPLE_PEOPLE = (("AB", "medarbejder"), ("CD", "medarbejder"), ("EF", "medarbejder"), ("GH", "leder"))


def assessment_rows(taxonomy: Taxonomy) -> list[list[str]]:
    """Header medarbejder, rolle and the fields by name; four example rows with steps 1–5."""
    rows = [["medarbejder", "rolle", *(f.name for f in taxonomy.fields)]]
    for i, (person, role) in enumerate(_EXAMPLE_PEOPLE):
        rows.append([person, role, *(str((i * 2 + j * 3) % 5 + 1) for j in range(len(taxonomy.fields)))])
    return rows
