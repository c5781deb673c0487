"""The crawl journal: an append-only JSON Lines spool in the job directory.

Every page fetched, course found and request failed is written (and flushed) as it happens, so a
crawl that is killed loses nothing it had gathered: the restarted crawl reads the journal back and
publishes the union, once, when it completes. A line cut short by a kill is skipped on reading.

Reading it back also settles which URL each course is stored under (`_settle_urls`): pages that name
one canonical URL with the same content are one course; different content under one canonical
URL keeps each page's own URL; the same content under two URLs (no canonical) is one course."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from matcher.course import SYSTEM_FIELDS, canonical_url, url_course_id

GONE_MESSAGES = frozenset({"HTTP 404", "HTTP 410"})  # the messages of crawler.spiders.generic.GONE_STATUSES


class Journal:
    """Appends records to `path`; each line is flushed to the OS before `record` returns."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        new = not self.path.exists()
        self._handle: TextIO | None = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - kept open all crawl
        if new:  # a resumed crawl began when its first attempt did: the run records that time
            self.record("started", at=dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0).isoformat())

    def record(self, kind: str, **data: Any) -> None:
        if self._handle is None:
            return
        self._handle.write(json.dumps({"t": kind, **data}, ensure_ascii=False, separators=(",", ":")) + "\n")
        self._handle.flush()

    def page(self, url: str, status: int) -> None:
        self.record("page", url=url, status=status)

    def course(self, course_id: str, record: dict[str, Any], page: str | None = None) -> None:
        """A course found on `page` (the URL fetched; the record's URL may be its canonical one)."""
        self.record("course", id=course_id, course=record, page=page)

    def seen(self, course_id: str, url: str, reason: str) -> None:
        """A course page that exists but gave no valid record: its course must not be withdrawn."""
        self.record("seen", id=course_id, url=url, reason=reason)

    def undecodable(self, url: str, encoding: str, course_id: str) -> None:
        """A page whose text could not be read, its declared charset wrong and sniffing no help.

        Nothing is extracted from it; `course_id` (its URL's) is seen, so that a course it held is
        not withdrawn for it."""
        self.record("undecodable", url=url, encoding=encoding, id=course_id)

    def no_course(self, url: str, course_id: str) -> None:
        """A page that may hold a course and gave none (a listing, or a course page now showing a
        maintenance notice): if a course was stored from it before, it is kept, not withdrawn."""
        self.record("no-course", url=url, id=course_id)

    def redecoded(self, url: str, declared: str, encoding: str) -> None:
        """A page whose declared charset did not fit its bytes, read with `encoding` instead."""
        self.record("redecoded", url=url, declared=declared, encoding=encoding)

    def canonical_gone(self, url: str, page: str) -> None:
        """The canonical URL that `page` names answers 404 or 410: the page keeps its own URL."""
        self.record("canonical-gone", url=url, page=page)

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
    no_course: dict[str, str] = field(default_factory=dict)  # course id → URL of a page that gave no course
    pages: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    merged: int = 0  # course pages stored as part of another page's course (one canonical URL, or same content)
    started_at: dt.datetime | None = None  # when the job's first attempt began (naive UTC)

    @property
    def undecodable(self) -> int:
        return self.counts["undecodable"]

    @property
    def redecoded(self) -> int:
        return self.counts["redecoded"]

    @property
    def blocking_errors(self) -> int:
        return sum(1 for error in self.errors if error.get("blocking"))

    @property
    def gone(self) -> int:
        """Requests answered 404 or 410: pages that are gone, an answer rather than a failure."""
        return sum(1 for error in self.errors if not error.get("blocking") and error.get("message") in GONE_MESSAGES)


def read_journal(path: Path | str) -> JournalContent:
    """What the job gathered, each URL counted once over all its attempts: an attempt stopped
    uncleanly is crawled again from the start, and a page fetched in both is one page. A request
    that failed and was fetched later is no failure; one that failed last stands."""
    content = JournalContent()
    path = Path(path)
    if not path.exists():
        return content
    by_page: dict[str, tuple[str, dict[str, Any]]] = {}
    pages: set[str] = set()
    errors: dict[str, dict[str, Any]] = {}  # the latest failure of each URL
    noted: dict[tuple[str, str], dict[str, Any]] = {}  # (kind, url) → what a seen or undecodable page adds
    gone_canonicals: set[str] = set()  # canonical URLs that pages name and that answer 404/410
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # the last line of a killed attempt
            kind = entry.get("t")
            if kind == "started" and content.started_at is None:
                with contextlib.suppress(TypeError, ValueError):
                    content.started_at = dt.datetime.fromisoformat(entry["at"])
            elif kind == "page":
                pages.add(entry["url"])
                errors.pop(entry["url"], None)
            elif kind == "course":
                page = canonical_url(entry.get("page") or entry["course"].get("url") or entry["id"])
                # a later attempt's record of a page replaces the earlier one
                by_page[page] = (entry["id"], entry["course"])
            elif kind == "seen":
                content.seen_ids.add(entry["id"])
                noted[("seen", entry["url"])] = {"url": entry["url"], "message": entry["reason"], "blocking": False}
            elif kind == "error":
                errors[entry["url"]] = entry
            elif kind == "undecodable":
                if entry.get("id"):
                    content.seen_ids.add(entry["id"])
                message = (f"cannot decode the page (declared charset {entry.get('encoding')}; neither its "
                           "<meta> nor UTF-8 or Windows-1252 fits its bytes): nothing stored from it")  # fmt: skip
                noted[("undecodable", entry["url"])] = {"url": entry["url"], "message": message, "blocking": False}
            elif kind == "redecoded":
                noted[("redecoded", entry["url"])] = {}
            elif kind == "no-course":
                content.no_course[entry["id"]] = entry["url"]
            elif kind == "canonical-gone":
                gone_canonicals.add(canonical_url(entry["url"]))
    content.pages = len(pages)
    content.counts.update(kind for kind, _ in noted)
    content.errors = [error for (kind, _), error in noted.items() if error] + list(errors.values())
    # a canonical URL that answered 404/410, asked as such or as a page of the crawl
    gone_canonicals |= {canonical_url(error["url"]) for error in errors.values()
                        if not error.get("blocking") and error.get("message") in GONE_MESSAGES}  # fmt: skip
    for page, (_, record) in list(by_page.items()):
        named = record.get("url")
        if named and canonical_url(named) in gone_canonicals and canonical_url(named) != page:
            by_page[page] = (url_course_id(page), {**record, "url": page})
            content.errors.append({"url": page, "blocking": False, "message": (
                f"its canonical URL {named} answers as gone: stored under its own URL")})  # fmt: skip
    _settle_urls(content, by_page)
    return content


def _content_key(record: dict[str, Any]) -> str:
    """What a course page says, without its URL: equal keys are the same course."""
    ignored = {"url", "id", "source", *SYSTEM_FIELDS}
    return json.dumps({k: v for k, v in record.items() if k not in ignored}, sort_keys=True, ensure_ascii=False)


def _settle_urls(content: JournalContent, by_page: dict[str, tuple[str, dict[str, Any]]]) -> None:
    """Fill `content.courses` from the course pages (page URL → course id, record), one record per course.

    * Pages naming one canonical URL with the same content: one course under that URL (a print view).
    * Pages naming one canonical URL with different content (a CMS's template error): each keeps its
      own URL, with a warning in the run's errors.
    * The same content under two URLs without a canonical link (one page in two folders): one course,
      under the shorter URL (the first alphabetically on a tie), noted in the run's errors.

    A crawled record has no provider id: its course id is its URL's (matcher.course.url_course_id)."""
    # (page, record, content key): the key ignores the URL, so it holds when a page keeps its own URL
    claims: defaultdict[str, list[tuple[str, dict[str, Any], str]]] = defaultdict(list)
    for page, (course_id, record) in by_page.items():
        claims[course_id].append((page, record, _content_key(record)))
    same: defaultdict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)  # content key → (course id, record)
    for course_id, claimed in claims.items():
        url = claimed[-1][1].get("url")
        if len({key for _, _, key in claimed}) == 1:
            content.merged += len(claimed) - 1
            same[claimed[-1][2]].append((course_id, claimed[-1][1]))
            continue
        content.errors.append({"url": url, "blocking": False, "message": (
            f"{len(claimed)} pages with different content name {url} as their canonical URL: "
            "each is stored under its own URL")})  # fmt: skip
        for page, record, key in claimed:
            if page == canonical_url(url or page):
                same[key].append((course_id, record))
            else:
                same[key].append((url_course_id(page), {**record, "url": page}))
    for group in same.values():
        kept_id, kept = min(group, key=lambda item: (len(item[1].get("url") or ""), item[1].get("url") or ""))
        content.courses[kept_id] = kept
        content.seen_ids.add(kept_id)
        for course_id, record in group:
            if course_id != kept_id:
                content.merged += 1
                content.errors.append({"url": record.get("url"), "blocking": False,
                                       "message": f"same content as {kept.get('url')}: stored once, under that URL"})
