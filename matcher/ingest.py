"""Ingest: a provider's course feed file into the catalogue, as one run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from matcher.feed import FeedContent, FeedFormat, Rejected, read_feed
from matcher.store import write_catalogue


@dataclass
class IngestReport:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    written: bool = False

    def counts_line(self) -> str:
        return (
            f"new {self.new}, changed {self.changed}, unchanged {self.unchanged}, "
            f"withdrawn {self.withdrawn}, rejected {len(self.rejected)}"
        )


def ingest_file(
    db_path: Path,
    feed_path: Path,
    *,
    fmt: FeedFormat | None = None,
    source: str | None = None,
    allow_partial: bool = False,
    withdraw_missing: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> IngestReport:
    """Validate a whole feed, then write it in one run.

    Any rejected record means nothing is written, unless `allow_partial`: then the valid records are
    written (still as one transaction). `withdraw_missing` treats the feed as the source's complete
    catalogue: its courses that are not in the feed are marked withdrawn — only when nothing was rejected.
    Records without a `source` get `source` (default `feed:<file name>`)."""
    content: FeedContent = read_feed(feed_path, fmt)
    report = IngestReport(rejected=content.rejected, notices=content.notices)
    if content.rejected and not allow_partial:
        return report
    source = source or f"feed:{feed_path.name}"
    total = len(content.courses)
    with write_catalogue(db_path, "ingest", [source]) as writer:
        seen: set[str] = set()
        for done, (_line, course) in enumerate(content.courses, start=1):
            if course.source is None:
                course = course.model_copy(update={"source": source})
            seen.add(course.course_id)
            outcome = writer.upsert(course)
            setattr(report, outcome, getattr(report, outcome) + 1)
            if progress and (done % 1000 == 0 or done == total):
                progress(done, total)
        for rejected in content.rejected:
            writer.add_error(f"{feed_path.name}:{rejected.line}", rejected.reason)
        writer.counts["rejected"] = len(content.rejected)
        if withdraw_missing and not content.rejected:
            report.withdrawn = writer.withdraw_missing(source, seen)
    report.written = True
    return report
