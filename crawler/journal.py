"""The crawl journal: an append-only JSON Lines spool in the job directory.

Every page fetched, course found and request failed is written (and flushed) as it happens, so a
crawl that is killed loses nothing it had gathered: the restarted crawl reads the journal back and
publishes the union, once, when it completes. A line cut short by a kill is skipped on reading."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO


class Journal:
    """Appends records to `path`; each line is flushed to the OS before `record` returns."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._handle: TextIO | None = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - kept open all crawl

    def record(self, kind: str, **data: Any) -> None:
        if self._handle is None:
            return
        self._handle.write(json.dumps({"t": kind, **data}, ensure_ascii=False, separators=(",", ":")) + "\n")
        self._handle.flush()

    def page(self, url: str, status: int) -> None:
        self.record("page", url=url, status=status)

    def course(self, course_id: str, record: dict[str, Any]) -> None:
        self.record("course", id=course_id, course=record)

    def seen(self, course_id: str, url: str, reason: str) -> None:
        """A course page that exists but gave no valid record: its course must not be withdrawn."""
        self.record("seen", id=course_id, url=url, reason=reason)

    def undecodable(self, url: str, encoding: str, course_id: str) -> None:
        """A page whose text could not be read, its declared charset wrong and sniffing no help.

        Nothing is extracted from it; `course_id` (its URL's) is seen, so that a course it held is
        not withdrawn for it."""
        self.record("undecodable", url=url, encoding=encoding, id=course_id)

    def redecoded(self, url: str, declared: str, encoding: str) -> None:
        """A page whose declared charset did not fit its bytes, read with `encoding` instead."""
        self.record("redecoded", url=url, declared=declared, encoding=encoding)

    def error(self, url: str, message: str, *, blocking: bool) -> None:
        """A request that failed; `blocking` ones make the crawl incomplete (no withdrawals)."""
        self.record("error", url=url, message=message, blocking=blocking)

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


@dataclass
class JournalContent:
    """What a job gathered over all its attempts."""

    courses: dict[str, dict[str, Any]] = field(default_factory=dict)  # id → record (the latest wins)
    seen_ids: set[str] = field(default_factory=set)  # courses found, valid or not
    pages: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def undecodable(self) -> int:
        return self.counts["undecodable"]

    @property
    def redecoded(self) -> int:
        return self.counts["redecoded"]

    @property
    def blocking_errors(self) -> int:
        return sum(1 for error in self.errors if error.get("blocking"))


def read_journal(path: Path | str) -> JournalContent:
    content = JournalContent()
    path = Path(path)
    if not path.exists():
        return content
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # the last line of a killed attempt
            kind = entry.get("t")
            content.counts[kind] += 1
            if kind == "page":
                content.pages += 1
            elif kind == "course":
                content.courses[entry["id"]] = entry["course"]
                content.seen_ids.add(entry["id"])
            elif kind == "seen":
                content.seen_ids.add(entry["id"])
                content.errors.append({"url": entry["url"], "message": entry["reason"], "blocking": False})
            elif kind == "error":
                content.errors.append(entry)
            elif kind == "undecodable":
                if entry.get("id"):
                    content.seen_ids.add(entry["id"])
                message = (f"cannot decode the page (declared charset {entry.get('encoding')}; neither its "
                           "<meta> nor UTF-8 or Windows-1252 fits its bytes): nothing stored from it")  # fmt: skip
                content.errors.append({"url": entry["url"], "message": message, "blocking": False})
    return content
