"""Reading JSON Lines: strictly for the files a person hands the CLI (labels, queries, courses to
tag), line by line for feeds.

In a hand-made file one bad line stops the whole file with an error naming the file and line: a
half-read set would silently change a measurement. A feed rejects the bad line and goes on
(matcher.feed).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError


def json_objects(path: Path, error: type[ValueError], what: str | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each non-blank line of a UTF-8 (BOM allowed) JSON Lines file, as (line number, object).

    Raises `error` with "path:line: problem" for a missing file, bad JSON or a line that is no object;
    with `what` (such as "labels file"), the message says that such a file is JSON Lines."""
    if not path.is_file():
        raise error(f"{path}: no such file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8 text (byte {exc.start})") from None
    for number, record in parse_json_lines(text):
        if isinstance(record, str):
            hint = f"; a {what} is JSON Lines: one JSON object a line" if what else ""
            raise error(f"{path}:{number}: {record}{hint}")
        yield number, record


def parse_json_lines(text: str) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """Each non-blank line as (line number, object), or (line number, problem) where the line is
    not a JSON object: for readers that reject a line and go on (feeds) as for those that stop.

    Lines end at a newline (CRLF too) only: `str.splitlines` also splits at characters such as
    U+2028 and U+0085, which JSON writes raw inside a string."""
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, f"not valid JSON: {exc.msg} (column {exc.colno})"
            continue
        yield number, record if isinstance(record, dict) else "a line must be a JSON object"


def validation_problems(exc: ValidationError) -> str:
    """A pydantic error as "field: message; field: message"."""
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'line'}: {error_message(e)}" for e in exc.errors())


def error_message(error: Mapping[str, Any]) -> str:
    """One pydantic error's message as a person reads it: without the "Value error, " that pydantic
    puts before a validator's own words."""
    return str(error.get("msg", "invalid")).removeprefix("Value error, ")
