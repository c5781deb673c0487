"""Strict reading of the JSON Lines files a person hands the CLI (labels, queries, courses to tag).

One bad line stops the whole file with an error naming the file and line: these files are small and
hand-made, so a half-read set would silently change a measurement. (Feeds are read leniently, line
by line, in matcher.feed.)
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError


def json_objects(path: Path, error: type[ValueError]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each non-blank line of a UTF-8 (BOM allowed) JSON Lines file, as (line number, object).

    Raises `error` with "path:line: problem" for a missing file, bad JSON or a line that is no object."""
    if not path.is_file():
        raise error(f"{path}: no such file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8 text (byte {exc.start})") from None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise error(f"{path}:{number}: not valid JSON: {exc.msg} (column {exc.colno})") from None
        if not isinstance(record, dict):
            raise error(f"{path}:{number}: a line must be a JSON object")
        yield number, record


def validation_problems(exc: ValidationError) -> str:
    """A pydantic error as "field: message; field: message"."""
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'line'}: {e['msg']}" for e in exc.errors())
