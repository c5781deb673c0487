"""Ingest: a provider's course feed file into the catalogue, as one run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from matcher.course import Course
from matcher.feed import FeedContent, FeedFormat, Rejected, read_feed
from matcher.store import open_catalogue, write_catalogue


@dataclass
class IngestReport:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # the run did less than asked: say why
    written: bool = False

    def counts_line(self) -> str:
        return (
            f"new {self.new}, changed {self.changed}, unchanged {self.unchanged}, "
            f"withdrawn {self.withdrawn}, rejected {len(self.rejected)}"
        )


class IngestStopped(Exception):
    """The ingest was asked to stop: nothing of the feed was written."""

    def __init__(self, validated: int) -> None:
        super().__init__(f"stopped after {validated} record(s) of the feed; nothing was written")


def ingest_file(
    db_path: Path,
    feed_path: Path,
    *,
    fmt: FeedFormat | None = None,
    source: str | None = None,
    default_source: str | None = None,
    allow_partial: bool = False,
    withdraw_missing: bool = False,
    progress: Callable[[int, int], None] | None = None,
    stop: Callable[[], bool] | None = None,
    waiting: Callable[[str], None] | None = None,
) -> IngestReport:
    """Validate a whole feed, then write it in one run.

    Any rejected record means nothing is written, unless `allow_partial`: then the valid records are
    written (still as one transaction), where there are any. Records without a `source` get
    `source`. Without it they get `default_source` (default `feed:<file name>`), and a course the
    catalogue already has keeps its source: a file name (or an upload over HTTP) does not move a provider's course to another
    source, where `--withdraw-missing` of its own source would no longer see it.

    `withdraw_missing` treats the feed as the complete catalogue of every source its records name:
    their courses that are not in the feed are marked withdrawn — only when nothing was rejected. When it can withdraw nothing for a reason the user may not see (a source new to the
    catalogue, the feed's courses stored under another source), `warnings` says so.

    `stop` is asked before each record is written: when it answers True, `IngestStopped` is raised
    and nothing is written (a signal handler sets it: an interrupt inside DuckDB was lost, or hung).
    `waiting` is called while another write holds the catalogue (`write_catalogue`)."""
    stopped = stop or (lambda: False)
    content: FeedContent = read_feed(feed_path, fmt)
    # records that name no source when no --source was given: their stored courses keep theirs
    defaulted = set() if source else {course.course_id for _, course in content.courses if course.source is None}
    source = source or default_source or f"feed:{feed_path.name}"
    lined = [(line, course if course.source is not None else course.model_copy(update={"source": source}))
             for line, course in content.courses]
    clashes = _other_providers_ids(db_path, lined)
    for clash in clashes:  # its reason names the id
        content.reject(clash.line, clash.reason)
    content.rejected.sort(key=lambda rejected: rejected.line)
    report = IngestReport(rejected=content.rejected, notices=content.notices)
    refused = {rejected.line for rejected in clashes}
    courses = [course for line, course in lined if line not in refused]
    if content.rejected and (not allow_partial or not courses):  # partial, but with nothing valid: a failure
        return report
    if stopped():
        raise IngestStopped(0)
    total = len(courses)
    sources = sorted({course.source for course in courses if course.source is not None})
    with write_catalogue(db_path, "ingest", sources or [source], waiting=waiting) as writer:
        held_before = writer.active_by_source(sources) if withdraw_missing else {}  # for its warnings
        stored = writer.stored_sources(defaulted)
        seen: set[str] = set()
        for done, course in enumerate(courses, start=1):
            if stopped():
                raise IngestStopped(done - 1)
            seen.add(course.course_id)
            if course.course_id in stored:
                course = course.model_copy(update={"source": stored[course.course_id]})
            outcome = writer.upsert(course)
            setattr(report, outcome, getattr(report, outcome) + 1)
            if progress and (done % 1000 == 0 or done == total):
                progress(done, total)
        for rejected in content.rejected:
            writer.add_error(f"{feed_path.name}:{rejected.line}", rejected.reason)
        writer.counts["rejected"] = len(content.rejected)
        if withdraw_missing and content.rejected:
            report.warnings.append(
                f"--withdraw-missing withdrew nothing: {len(content.rejected)} record(s) were rejected, so the "
                "feed is not the whole catalogue"
            )
        elif withdraw_missing:
            for name in sources:
                report.withdrawn += writer.withdraw_missing(name, seen)
            report.warnings.extend(_withdraw_warnings(sources, held_before, writer.sources_of(seen, sources)))
    report.written = True
    return report


def _other_providers_ids(db_path: Path, lined: list[tuple[int, Course]]) -> list[Rejected]:
    """Records whose id is that of another provider's active course from another source: two
    providers' own ids that happen to be alike ("k1"). Stored, one would replace the other."""
    if not db_path.exists() or not lined:
        return []
    with open_catalogue(db_path, create=False) as reader:
        owners = reader.active_owners([course.course_id for _, course in lined])
    clashes = []
    for line, course in lined:
        provider, source = owners.get(course.course_id, (None, None))
        if (provider and course.provider and provider.casefold() != course.provider.casefold()
                and source != course.source):
            clashes.append(Rejected(line, (
                f"id {course.course_id!r} is that of a course by {provider} (source {source}), and this record is by "
                f"{course.provider}: give the course an id of its own (the same course under a new provider name: "
                f"name the provider as before, or ingest it with --source {source})")))
    return clashes


def _withdraw_warnings(sources: list[str], held_before: dict[str, int], elsewhere: dict[str, int]) -> list[str]:
    """Why --withdraw-missing may have missed courses: it acts on the sources the records name, and
    the catalogue may keep the feed's courses under others (an earlier file's, or a record's own)."""
    warnings = []
    new = [name for name in sources if not held_before.get(name)]
    if new:
        advice = (" A record without a `source` gets feed:<file name>: give every file of one provider the same "
                  "--source NAME" if any(name.startswith("feed:") for name in new) else "")
        warnings.append(
            f"--withdraw-missing: the catalogue held no active course of source {', '.join(map(repr, new))} "
            f"before this run, so none of it could be withdrawn.{advice}"
        )
    if elsewhere:
        named = ", ".join(f"{name!r} ({count})" for name, count in sorted(elsewhere.items()))
        warnings.append(
            f"--withdraw-missing: some of the feed's courses are kept under another source: {named}; "
            "courses of those sources were not checked. Ingest with --source set to that source to withdraw what is missing"
        )
    return warnings
