"""Course feeds as files: JSON Lines and CSV in the course record schema, read with per-line
validation and written back losslessly (export → ingest gives the same records)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TextIO

from pydantic import ValidationError

from matcher.course import NUMBER_FIELDS, RECORD_FIELDS, Course
from matcher.json_lines import error_message, parse_json_lines
from matcher.numbers import danish_number
from matcher.tabular import TabularError, decode_bytes, read_table, spreadsheet_cell, spreadsheet_text

FeedFormat = Literal["jsonl", "csv"]

# In CSV, list cells hold JSON (learning goals) or ';'-separated ISO dates (start dates).
_CSV_LIST_SEPARATOR = ";"


class FeedError(ValueError):
    """A feed file that cannot be read at all (as opposed to single bad records)."""


@dataclass
class Rejected:
    line: int
    reason: str
    row: int | None = None  # a CSV record's row in a spreadsheet, where cells with line breaks make it differ
    course_id: str | None = None  # the record's id (or URL), where it gives one

    @property
    def also(self) -> str:
        """What besides the line finds the record: " (spreadsheet row 4, id k1)", or ""."""
        parts = ([f"spreadsheet row {self.row}"] if self.row else []) + ([f"id {self.course_id}"] if self.course_id else [])
        return f" ({', '.join(parts)})" if parts else ""

    def __str__(self) -> str:
        return f"line {self.line}{self.also}: {self.reason}"


@dataclass
class FeedContent:
    """What a feed file holds: the valid courses with their line numbers, and the rejected lines."""

    courses: list[tuple[int, Course]] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    sheet_rows: dict[int, int] = field(default_factory=dict)  # CSV: a line's spreadsheet row, where they differ

    def reject(self, line: int, reason: str, course_id: str | None = None) -> Rejected:
        """Reject the record on `line`, found also by its spreadsheet row and its id."""
        rejected = Rejected(line, reason, self.sheet_rows.get(line), course_id)
        self.rejected.append(rejected)
        return rejected


def guess_format(path: Path) -> FeedFormat:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix in (".csv", ".tsv", ".txt"):
        return "csv"
    raise FeedError(f"{path}: cannot tell the format from the name; use --format jsonl or --format csv")


def describe_validation_error(exc: ValidationError) -> str:
    """One readable part per problem, naming the field: "form: 'hybrid' is not one of fysisk, online, ..."."""
    parts, unknown = [], []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"])
        if error["type"] == "extra_forbidden":
            unknown.append(where)
            continue
        message = _plain_message(error)
        parts.append(f"{where}: {message}" if where else message)
    if unknown:
        parts.append(f"unknown field(s) {', '.join(unknown)}; the record's fields are {', '.join(RECORD_FIELDS)}")
    return "; ".join(parts)


# Range errors in words, with the limit pydantic reports in the error's context.
_LIMITS = {"less_than_equal": ("le", "at most"), "less_than": ("lt", "below"),
           "greater_than_equal": ("ge", "at least"), "greater_than": ("gt", "above")}


# How a date is written, for the messages: ISO everywhere, and Danish Excel's forms in CSV.
DATE_FORMAT = "write YYYY-MM-DD, e.g. 2027-02-01 (in CSV also DD-MM-YYYY or DD.MM.YYYY)"
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _plain_message(error: Any) -> str:
    kind, value, ctx = error["type"], error.get("input"), error.get("ctx", {})
    if kind == "missing":
        return "missing"
    if kind.startswith("date_") and value is not None:
        if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
            return f"{value!r} is not a day of the calendar"
        return f"{value!r} is not a date: {DATE_FORMAT}"
    if kind.startswith("datetime_") and value is not None:
        return f"{value!r} is not a date-time: write YYYY-MM-DDTHH:MM:SS, e.g. 2027-02-01T08:00:00 (UTC), or a date"
    if kind in ("bool_parsing", "bool_type") and value is not None:
        return f"{value!r} is not true or false"
    if kind == "list_type" and error["loc"] and error["loc"][0] == "start_dates":
        return f'{value!r} is not a list: write a JSON list such as ["2027-02-01", "2027-09-01"]'
    if value is None or (kind == "string_too_short" and ctx.get("min_length") == 1):
        return "must not be empty"  # a blank cell or null, in a field a record cannot do without
    if kind == "literal_error":
        allowed = re.findall(r"'([^']*)'", ctx.get("expected", ""))
        return f"{value!r} is not one of {', '.join(allowed)}"
    if kind in _LIMITS:
        key, words = _LIMITS[kind]
        return f"{value!r} must be {words} {ctx[key]:g}"
    if kind == "string_too_long":
        return f"longer than {ctx['max_length']} characters"
    return error_message(error)


def read_feed(path: Path | str, fmt: FeedFormat | None = None) -> FeedContent:
    """Read and validate every record of a feed file; bad records are collected, not raised."""
    path = Path(path)
    if not path.is_file():
        raise FeedError(f"{path}: no such file")
    fmt = fmt or guess_format(path)
    content = FeedContent()
    raw_records = _read_jsonl(path, content) if fmt == "jsonl" else _read_csv(path, content)
    first_line_of: dict[str, int] = {}
    for line, raw in raw_records:
        try:
            course = Course.model_validate(raw)
        except ValidationError as exc:
            named = raw.get("id") or raw.get("url") if isinstance(raw, dict) else None
            content.reject(line, describe_validation_error(exc), named if isinstance(named, str) and named else None)
            continue
        course_id = course.course_id
        if course_id in first_line_of:
            content.reject(line, f"same course as line {first_line_of[course_id]}", course_id)
            continue
        first_line_of[course_id] = line
        content.courses.append((line, course))
    if not content.courses and not content.rejected:
        raise FeedError(f"{path}: the feed holds no records")
    return content


def _read_jsonl(path: Path, content: FeedContent) -> list[tuple[int, Any]]:
    try:
        text, notices = decode_bytes(path.read_bytes(), str(path))
    except TabularError as exc:  # an encoding it cannot read, NUL bytes
        raise FeedError(str(exc)) from None
    content.notices.extend(notices)
    records = []
    if (array := _json_array(path, text)) is not None:
        content.notices.append(f"{path}: read as one JSON document: a record's number is its place in "
                               "it, not a line")
        numbered: Iterable[tuple[int, Any]] = enumerate(array, start=1)
    else:
        numbered = parse_json_lines(text)
    for number, record in numbered:
        if isinstance(record, dict):
            records.append((number, record))
        else:
            content.rejected.append(Rejected(number, record if isinstance(record, str) else "a record must be a JSON object"))
    return records


def _json_array(path: Path, text: str) -> list[Any] | None:
    """The records of a feed written as one JSON document over several lines (a JSON array, as many
    systems export, or one record), or None for JSON Lines. The service's JSON feed (an object with its
    `items`: courses with their tags, not course records) is refused with what to use instead."""
    if text.lstrip()[:1] not in ("[", "{"):
        return None  # JSON Lines
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        return None  # JSON Lines (several documents), or broken: the lines are told one by one
    feed = isinstance(document, dict) and any(isinstance(document.get(key), list) for key in ("items", "courses"))
    if text.strip().count("\n") == 0 and not feed:
        return None  # a one-line document reads as JSON Lines (the feed as served is one line too)
    if isinstance(document, list):
        return document
    if not isinstance(document, dict):
        return None
    if feed:
        raise FeedError(f"{path}: a JSON document with a list of courses (fagmatch's JSON feed?), not course "
                        "records: ingest reads JSON Lines, one record per line, or a JSON array of records; "
                        "`fagmatch export --format jsonl` writes what ingest reads back")
    return [document]  # one record, written over several lines


# texts a line break belongs in (an address may take two lines)
MULTI_LINE_FIELDS = frozenset({"description", "learning_goals", "target_group", "admission", "location"})


def _read_csv(path: Path, content: FeedContent) -> list[tuple[int, Any]]:
    try:
        table = read_table(path)
    except TabularError as exc:
        raise FeedError(str(exc)) from None
    content.notices.extend(table.notices)
    content.sheet_rows = table.sheet_rows
    unknown = [column for column in table.header if column not in RECORD_FIELDS]
    if unknown and table.header[0].lstrip().startswith("{"):
        raise FeedError(f"{path}: line 1 is a JSON object, not a CSV header: name a JSON Lines feed .jsonl (on the command line, --format jsonl will do)")
    if unknown:
        raise FeedError(
            f"{path}: line 1: unknown column(s) {', '.join(unknown)}; known: {', '.join(RECORD_FIELDS)}"
        )
    # The likeliest cause in Excel's Danish CSV: several start dates, ';'-separated, in an unquoted cell.
    hint = ""
    if table.delimiter == _CSV_LIST_SEPARATOR and "start_dates" in table.header:
        hint = '; in a ;-separated file a start_dates cell with several dates must be quoted: "2027-02-01;2027-09-06"'
    for line, reason in table.bad_rows:
        content.reject(line, reason + hint)
    records = []
    for line, row in table.rows:
        # A quote closed rows later makes one cell of several rows: the rows inside it would be lost.
        if broken := [key for key, value in row.items() if key not in MULTI_LINE_FIELDS and "\n" in value]:
            first = row[broken[0]].splitlines()[0][:60]
            raise FeedError(f"{path}: line {line}: the {broken[0]} cell runs over several lines (from {first!r}): "
                            'a quote (") is probably not closed; nothing was written')
        try:
            records.append((line, _csv_row_to_record(row)))
        except ValueError as exc:
            content.reject(line, str(exc), row.get("id") or row.get("url") or None)
    return records


def _csv_row_to_record(row: dict[str, str]) -> dict[str, Any]:
    record: dict[str, Any] = {key: spreadsheet_text(value.strip()) for key, value in row.items()}
    goals = record.get("learning_goals")
    if goals:
        try:
            record["learning_goals"] = json.loads(goals)
        except json.JSONDecodeError:
            raise ValueError('learning_goals: must be a JSON list like [{"kind": "viden", "text": "..."}]') from None
    dates = record.get("start_dates")
    if dates:
        record["start_dates"] = [_csv_date(d, "start_dates") for d in _DATE_LIST_SPLIT.split(dates) if d]
    if record.get("application_deadline"):
        record["application_deadline"] = _csv_date(record["application_deadline"], "application_deadline")
    return record


# A start_dates cell's dates are separated by ";" (also ",", "|", a line break, or spaces between two
# dates); spaces inside one date ("3. februar 2027", "2027-02-01 00:00") keep it whole, so a refusal
# names the value the user wrote.
_DATE_LIST_SPLIT = re.compile(r"\s*[;,|\n]\s*|(?<=\d)\s+(?=\d{1,4}[-.]\d)")

# Danish Excel writes a date as 01-02-2027 or 01.02.2027: day, month, four-digit year. A two-digit
# year or a slash (01/02/2027, which an American tool means as 2 January) is not guessed at.
_DANISH_DATE = re.compile(r"(\d{1,2})([-.])(\d{1,2})\2(\d{4})")


def _csv_date(text: str, field: str) -> str:
    """A CSV date cell as ISO: DD-MM-YYYY and DD.MM.YYYY are read as Danish Excel writes them; any
    other text is left for the schema to accept (ISO) or refuse."""
    match = _DANISH_DATE.fullmatch(text)
    if match is None:
        return text
    day, month, year = int(match[1]), int(match[3]), int(match[4])
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        raise ValueError(
            f"{field}: {text!r} is not a date: read as day-month-year, as Danish Excel writes it, there is no "
            f"day {day} of month {month}; {DATE_FORMAT}"
        ) from None


# Danish Excel's CSV: `;`-separated (with a byte-order mark, so æ, ø and å come through), and its
# numbers with a decimal comma: it opens "2.5" as a date.
EXCEL_DELIMITER = ";"


def spreadsheet_numbers(row: dict[str, Any], delimiter: str) -> dict[str, Any]:
    """`row` with its numbers (NUMBER_FIELDS) as the CSV's reader reads them: with a decimal comma in
    a file for Danish Excel (`delimiter` EXCEL_DELIMITER), else as they are."""
    if delimiter != EXCEL_DELIMITER:
        return row
    return {**row, **{key: danish_number(row[key]) for key in NUMBER_FIELDS if row.get(key) is not None}}


def write_feed(courses: Iterable[Course], out: TextIO, fmt: FeedFormat, *, delimiter: str = ",") -> int:
    """Write courses in the record schema; returns how many were written. CSV cells are separated by
    `delimiter` (EXCEL_DELIMITER for Danish Excel, numbers then with a decimal comma); a cell holding
    it is quoted, so ingest reads either back."""
    count = 0
    if fmt == "jsonl":
        for course in courses:
            out.write(json.dumps(course.to_record(), ensure_ascii=False) + "\n")
            count += 1
        return count
    writer = csv.DictWriter(out, fieldnames=list(RECORD_FIELDS), lineterminator="\n", delimiter=delimiter)
    writer.writeheader()
    for course in courses:
        writer.writerow(_record_to_csv_row(spreadsheet_numbers(course.to_record(), delimiter)))
        count += 1
    return count


def _record_to_csv_row(record: dict[str, Any]) -> dict[str, Any]:
    row = dict(record)
    row["learning_goals"] = json.dumps(record["learning_goals"], ensure_ascii=False) if record["learning_goals"] else ""
    row["start_dates"] = _CSV_LIST_SEPARATOR.join(record["start_dates"])
    row["withdrawn"] = "true" if record["withdrawn"] else "false"
    return {key: "" if value is None else spreadsheet_cell(value) for key, value in row.items()}
