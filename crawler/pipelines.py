"""Item pipelines, each doing one thing: validate into a `Course`, spool to the journal, store at the end.

The catalogue is written once per crawl of a source, when the crawl has finished: the store
pipeline reads the job's journal (all attempts, if the crawl was interrupted and resumed) and
publishes it through `matcher.store.write_catalogue` as one run. A crawl that stops before the end
publishes nothing; its job directory keeps what it gathered for the resumed crawl. A crawl that
reaches one of its bounds (pages, time, depth, query variants: crawler/settings.py) has finished as
far as it may go: it publishes what it found, is recorded as incomplete with the bound it reached,
and withdraws nothing."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler.journal import JournalContent, read_journal
from crawler.middlewares import QUERY_IGNORED_STAT
from crawler.spiders.generic import journal_path
from matcher.course import Course, canonical_url, url_course_id
from matcher.json_lines import error_message
from matcher.store import CatalogueError, write_catalogue


# Scrapy's close reasons (CloseSpider extension) for the bounds of a crawl, and the bound's name.
BOUND_REASONS = {"closespider_pagecount": "pages", "closespider_timeout": "time"}
# Stats that count requests a bound dropped.
BOUND_STATS = {"depth/request_ignored_count": "depth", QUERY_IGNORED_STAT: "query"}
BOUND_WORDS = {"pages": "its page budget", "time": "its time budget", "depth": "its depth limit",
               "query": "its limit of query variants per path"}  # fmt: skip


def _short(exc: ValidationError) -> str:
    """The record's first three problems, as the crawl's log and report name them."""
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'record'}: {error_message(e)}" for e in exc.errors()[:3])


class _Pipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        return cls(crawler)

    @property
    def journal(self) -> Any:
        return getattr(self.crawler.spider, "journal", None)


class ValidatePipeline(_Pipeline):
    """Turn the extracted dict into a `Course` (the record's own validation and normalisation)."""

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        try:
            item["model"] = Course.model_validate({**item["course"], "source": item["source"]})
        except ValidationError as exc:
            # The page exists: remember its course id so it is not withdrawn for a bad field.
            course_id = url_course_id(item["course"].get("url") or item["page"])
            if self.journal:
                self.journal.seen(course_id, item["page"], f"invalid course record: {_short(exc)}")
            raise DropItem(f"invalid course record from {item['page']}: {_short(exc)}") from None
        return item


class JournalPipeline(_Pipeline):
    """Spool each course to the job's journal (flushed per item), with the page it came from.

    One record per page per attempt. Pages whose records share a course id (one canonical URL) are
    all spooled: reading the journal back decides whether they are one course (crawler/journal.py)."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.pages: set[tuple[str, str]] = set()

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        course: Course = item["model"]
        key = (course.course_id, canonical_url(item["page"]))
        if key in self.pages:
            raise DropItem(f"duplicate of course {course.course_id}: {item['page']}")
        self.pages.add(key)
        if self.journal:
            self.journal.course(course.course_id, course.model_dump(mode="json"), page=item["page"])
        return item


class StorePipeline(_Pipeline):
    """When the crawl has finished, publish the journal into the catalogue as one run.

    The result (counts, completeness, errors) is left on `crawler.fagmatch_result` for the runner."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        db = crawler.settings.get("FAGMATCH_DB")
        self.db = Path(db) if db else None
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        return item

    def spider_closed(self, spider: Any, reason: str) -> None:
        source = spider.source.name
        result: dict[str, Any] = {"source": source, "reason": reason, "pages_this_attempt": spider.pages}
        self.crawler.fagmatch_result = result  # type: ignore[attr-defined]
        if spider.journal:
            spider.journal.close()
        bounds = self.bounds(reason)
        if reason != "finished" and reason not in BOUND_REASONS:
            result["status"] = "interrupted"
            return
        path = journal_path(self.crawler.settings)
        content = read_journal(path) if path else JournalContent()
        if self.db is None:
            result.update(status="extracted", **summarise(content, {}, bounds))
            return
        try:
            result.update(status="published", **publish(self.db, source, content, bounds))
        except (CatalogueError, OSError) as exc:
            result.update(status="failed", message=str(exc), **summarise(content, {}, bounds))

    def bounds(self, reason: str) -> list[str]:
        """The bounds this crawl reached: it stopped at one, or one kept requests from it."""
        stats = self.crawler.stats
        reached = [BOUND_REASONS[reason]] if reason in BOUND_REASONS else []
        return reached + [name for stat, name in BOUND_STATS.items() if stats and stats.get_value(stat)]


def summarise(content: JournalContent, counts: dict[str, int], bounds: list[str] | None = None) -> dict[str, Any]:
    failed = content.blocking_errors
    return {
        "pages": content.pages, "courses": len(content.courses), "failed": failed, "gone": content.gone,
        "merged": content.merged,
        "complete": failed == 0 and content.pages > 0 and not bounds, "counts": counts, "bounds": bounds or [],
        "undecodable": content.undecodable, "redecoded": content.redecoded,
        "errors": [{"url": e["url"], "message": e["message"]} for e in content.errors[:50]],
        "error_count": len(content.errors),
    }  # fmt: skip


def publish(db: Path, source: str, content: JournalContent, bounds: list[str] | None = None) -> dict[str, Any]:
    """Write a source's crawl into the catalogue as one run; withdraw only after a complete crawl.

    `bounds` names the crawl bounds it reached (a bounded crawl is incomplete)."""
    summary = summarise(content, {}, bounds)
    with write_catalogue(db, "crawl", [source], started=content.started_at) as writer:
        for record in _ordered(content.courses.values()):
            writer.upsert(Course.model_validate(record))
        for error in content.errors:
            writer.add_error(error["url"], error["message"])
        if summary["complete"]:
            # A stored course whose page still answers, with no course on it (a maintenance notice, a
            # page cut short): the page says nothing of the course, so it is kept, and said.
            kept = sorted((writer.active_ids(source) & content.no_course.keys()) - content.courses.keys())
            for course_id in kept:
                writer.add_error(content.no_course[course_id], "the page of a stored course answered without "
                                 "a course (a maintenance notice? cut short?): the course is kept, not withdrawn")
            writer.counts["kept"] = len(kept)
            writer.withdraw_missing(source, content.seen_ids | set(kept))
        writer.counts["pages"] = content.pages
        writer.counts["courses"] = len(content.courses)
        writer.counts["failed"] = summary["failed"]
        writer.counts["gone"] = content.gone
        writer.counts["merged"] = content.merged
        writer.counts["complete"] = int(summary["complete"])
        writer.counts["undecodable"] = content.undecodable
        writer.counts["redecoded"] = content.redecoded
        for bound in summary["bounds"]:
            writer.counts[f"bound_{bound}"] = 1
            writer.add_error("crawl", f"stopped at {BOUND_WORDS[bound]}: incomplete, nothing withdrawn")
        for key in ("new", "changed", "unchanged", "withdrawn", "errors", "kept"):
            writer.counts.setdefault(key, 0)
        summary["counts"] = dict(writer.counts)
    return summary


def _ordered(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(records, key=lambda record: record.get("url") or "")
