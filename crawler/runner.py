"""Plain functions the CLI calls: crawl sources into the catalogue, and list the sources' health.

Run, resume and withdraw:
* A crawl runs in a child process (`crawler.job`), one Scrapy crawler per source, each with a job
  directory `.<db name>.crawljobs/<source>` next to the catalogue: Scrapy's JOBDIR (request queue,
  seen requests) plus the journal of pages, courses and failures, flushed as they happen.
* A source is published when its crawl finishes: one `write_catalogue` run, then its job directory
  is removed. Its courses not seen are withdrawn only if no request failed for good (404/410 are
  answers, not failures) — in any attempt of the job.
* A crawl stopped gracefully (Ctrl-C, SIGTERM) keeps Scrapy's queue: resuming continues it. A crawl
  killed outright leaves Scrapy's queue files unreliable: resuming clears them and crawls the site
  again, while the journal keeps every course already found. Either way the resumed crawl publishes
  the union once: nothing lost, nothing twice."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, TextIO

from crawler.job import INTERRUPTED_MARK
from crawler.lifeline import child_env
from crawler.pipelines import BOUND_WORDS
from crawler.registry import RegistryError, Source, adhoc_source, load_registry
from matcher.store import CatalogueError, check_writable, open_catalogue

SCRAPY_STATE = ("requests.queue", "requests.seen", "spider.state")


class CrawlError(RuntimeError):
    """The crawl could not run; the message says why."""


@dataclass
class SourceResult:
    source: str
    status: str  # published | interrupted | failed | extracted
    pages: int = 0
    courses: int = 0
    failed: int = 0
    gone: int = 0  # pages answered 404/410: answers, not failures
    merged: int = 0  # course pages stored as part of another page's course (crawler/journal.py)
    complete: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)
    error_count: int = 0
    message: str | None = None
    bounds: list[str] = field(default_factory=list)  # the crawl bounds it reached (crawler/pipelines.py)
    undecodable: int = 0  # pages whose text could not be read (wrong charset, sniffing no help): not stored
    redecoded: int = 0  # pages whose declared charset did not fit, read with a sniffed one

    def line(self) -> str:
        if self.status == "interrupted":
            return f"{self.source}: interrupted after {self.pages} pages; run again to resume"
        if self.status == "failed" and not self.counts:
            return f"{self.source}: failed: {self.message}"
        c = self.counts
        text = (
            f"{self.source}: {self.pages} pages, {self.courses} courses (new {c.get('new', 0)}, changed "
            f"{c.get('changed', 0)}, unchanged {c.get('unchanged', 0)}, withdrawn {c.get('withdrawn', 0)}), "
            f"failed requests {self.failed}"
        )
        if self.gone:
            text += f", pages gone (404/410) {self.gone}"
        if self.merged:
            text += f", {self.merged} course pages merged (one canonical URL, or the same content)"
        if self.redecoded:
            text += f", re-decoded pages {self.redecoded} (charset wrong or not declared)"
        if self.undecodable:
            text += f", undecodable pages {self.undecodable} (not stored)"
        if c.get("kept"):
            text += f", kept {c['kept']} (their pages answered without a course; see the run's errors)"
        if self.bounds and self.status == "published":
            text += f"; stopped at {', '.join(BOUND_WORDS[bound] for bound in self.bounds)}: nothing withdrawn"
        elif not self.complete and self.status == "published":
            text += "; incomplete crawl: nothing withdrawn"
        return text


@dataclass
class CrawlReport:
    sources: list[SourceResult]
    log_file: Path

    @property
    def ok(self) -> bool:
        """Every source published, and each fetched at least one page."""
        return all(result.status == "published" and result.pages > 0 for result in self.sources)

    def summary_lines(self) -> list[str]:
        return [result.line() for result in self.sources]


class SourceStatus(NamedTuple):
    source: str
    kind: str
    status: str
    last_run: dict[str, Any] | None  # id, started_at, status, counts of the latest crawl run
    unfinished: str | None = None  # "running" now, or "interrupted" (its progress kept for resuming)


def jobs_root(db_path: Path) -> Path:
    db_path = Path(db_path).resolve()
    return db_path.parent / f".{db_path.name}.crawljobs"


# The stored pages for conditional re-fetch (crawler/httpcache.py), beside the sources' job folders: a
# leading "_" no source's job folder has (registry names begin with a letter or digit; ad-hoc ones "url").
# "httpcache", the development cache's folder before, could be a source's name.
HTTP_CACHE_FOLDER = "_httpcache"


def _job_name(source: str) -> str:
    name = "".join(char if char.isalnum() or char in "._-" else "_" for char in source)
    if len(name) > 100:  # an ad-hoc URL may be longer than a file name may be: cut, kept apart by a hash
        name = name[:80] + "-" + hashlib.sha256(source.encode()).hexdigest()[:16]
    return name


def prepare_jobdir(jobdir: Path, *, resume: bool) -> None:
    """Fresh: start over. Resume: keep the journal; keep Scrapy's queue only if it was saved cleanly."""
    if not resume:
        shutil.rmtree(jobdir, ignore_errors=True)
        return
    mark = jobdir / INTERRUPTED_MARK
    if mark.exists():
        mark.unlink()
        return
    for name in SCRAPY_STATE:  # killed mid-crawl: the queue on disk cannot be trusted
        target = jobdir / name
        if target.is_dir():
            shutil.rmtree(target, ignore_errors=True)
        else:
            target.unlink(missing_ok=True)


def select_sources(url: str | None, names: Sequence[str] | None, registry: Path | None) -> list[Source]:
    if url:
        return [adhoc_source(url)]
    known = load_registry(registry)
    if names:
        unknown = [name for name in names if name not in known]
        if unknown:
            raise RegistryError(f"unknown source(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return [known[name] for name in names]
    enabled = [source for source in known.values() if source.enabled]
    if not enabled:
        raise RegistryError("no enabled sources in the registry")
    return enabled


def crawl(
    db_path: Path | str,
    *,
    url: str | None = None,
    sources: Sequence[str] | None = None,
    registry: Path | str | None = None,
    jobdir: Path | str | None = None,
    resume: bool = True,
    http_cache: bool = False,
    settings: dict[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
) -> CrawlReport:
    """Crawl an ad-hoc URL or registered sources (default: all enabled) into the catalogue at `db_path`.

    `settings` overrides Scrapy settings (tests and benchmarks). `progress` receives the crawl's
    progress lines. Raises RegistryError for unknown sources, CrawlError if the crawl process fails."""
    db_path = Path(db_path).resolve()
    if not db_path.parent.is_dir():
        raise CrawlError(f"{db_path.parent}: no such directory for the catalogue")
    try:
        check_writable(db_path)  # before the crawl: it would fetch a whole site only to be refused at the end
    except CatalogueError as exc:
        raise CrawlError(str(exc)) from None
    selected = select_sources(url, sources, Path(registry) if registry else None)
    root = Path(jobdir).resolve() if jobdir else jobs_root(db_path)
    with contextlib.ExitStack() as stack:
        try:
            root.mkdir(parents=True, exist_ok=True)
            lock = stack.enter_context(_job_folder_lock(root))
        except OSError as exc:  # a full disk, a read-only folder: said before anything is fetched
            raise _cannot_write(root, exc) from None
        return _crawl_locked(db_path, selected, root, lock, resume=resume, http_cache=http_cache,
                             settings=settings, progress=progress)  # fmt: skip


def _cannot_write(root: Path, exc: OSError) -> CrawlError:
    return CrawlError(f"{root}: cannot write the crawl's job folder ({exc.strerror or exc}); nothing was fetched")


@contextlib.contextmanager
def _job_folder_lock(root: Path) -> Iterator[TextIO]:
    """One crawl per job folder: two would interleave their queues and journals. The crawl process
    inherits the lock (same open file), so it stays held while that process runs, even on its own."""
    handle = open(root / "crawl.lock", "a")  # noqa: SIM115 - closed below
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CrawlError(f"another crawl is running on this catalogue (job folder {root}); "
                             "wait for it to end") from None  # fmt: skip
        yield handle
    finally:
        handle.close()


def _crawl_locked(
    db_path: Path, selected: list[Source], root: Path, lock: TextIO, *, resume: bool, http_cache: bool,
    settings: dict[str, Any] | None, progress: Callable[[str], None] | None,
) -> CrawlReport:  # fmt: skip
    entries = []
    try:
        for source in selected:
            directory = root / _job_name(source.name)
            prepare_jobdir(directory, resume=resume)
            entries.append({"source": source.model_dump(mode="json"), "jobdir": str(directory)})
    except OSError as exc:
        raise _cannot_write(root, exc) from None
    # The crawl process's config and report sit in the job folder, under names the next crawl reuses:
    # a crawl killed outright (SIGKILL, out of memory) leaves nothing behind in the system's temp folder.
    config_path, report_path = root / "crawl-config.json", root / "crawl-report.json"
    config = {
        "db": str(db_path), "sources": entries, "settings": settings or {}, "http_cache": http_cache,
        "http_cache_dir": str(root / HTTP_CACHE_FOLDER), "log_file": str(root / "crawl.log"), "report": str(report_path),
    }  # fmt: skip
    report_path.unlink(missing_ok=True)  # a killed crawl's report must not pass for this one's
    try:
        config_path.write_text(json.dumps(config), encoding="utf-8")
    except OSError as exc:  # a full disk
        config_path.unlink(missing_ok=True)
        raise _cannot_write(root, exc) from None
    try:
        returncode = _run_child(config_path, progress, lock)
        if not report_path.exists():
            raise CrawlError(f"the crawl process ended with exit code {returncode}; see {config['log_file']}")
        data = json.loads(report_path.read_text(encoding="utf-8"))
    finally:
        config_path.unlink(missing_ok=True)
        report_path.unlink(missing_ok=True)
    results = [SourceResult(**{k: v for k, v in r.items() if k in SourceResult.__dataclass_fields__})
               for r in data["sources"]]  # fmt: skip
    return CrawlReport(results, Path(config["log_file"]))


class _Terminated(KeyboardInterrupt):
    """SIGTERM arrived while the crawl process ran (click reports it as an abort, as Ctrl-C)."""


def _raise_terminated(signum: int, frame: Any) -> None:
    raise _Terminated


def _run_child(config_path: Path, progress: Callable[[str], None] | None, lock: TextIO) -> int:
    project_root = str(Path(__file__).resolve().parents[1])
    env = child_env()  # the crawl process ends with this one (crawler/lifeline.py)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [project_root, os.environ.get("PYTHONPATH")]))
    # SIGTERM (the service stopping this job, a process manager) stops the crawl as Ctrl-C does.
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _raise_terminated) if in_main else None
    try:
        return _supervise(config_path, env, progress, lock)
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous)


def _supervise(config_path: Path, env: dict[str, str], progress: Callable[[str], None] | None, lock: TextIO) -> int:
    child = subprocess.Popen(
        [sys.executable, "-m", "crawler.job", str(config_path)], pass_fds=(lock.fileno(),),
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, text=True,
        encoding="utf-8", errors="replace",
    )  # fmt: skip
    assert child.stderr is not None
    try:
        for line in child.stderr:
            if progress and line.strip():
                progress(line.rstrip("\n"))
        return child.wait()
    except BaseException:
        # Ctrl-C or SIGTERM here: let Scrapy stop gracefully, so its queue is saved for --resume.
        child.send_signal(signal.SIGINT)
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
        raise


def list_sources(db_path: Path | str, registry: Path | str | None = None) -> list[SourceStatus]:
    """Registered sources (and ad-hoc ones crawled before) with their latest crawl run.

    Without a catalogue at `db_path` every source is never crawled, and nothing is created."""
    known = load_registry(Path(registry) if registry else None)
    latest: dict[str, dict[str, Any]] = {}
    if Path(db_path).exists():
        with open_catalogue(db_path, create=False) as catalogue:
            for run in catalogue.runs(limit=10_000):
                if run["kind"] != "crawl":
                    continue
                for name in run["sources"] or []:
                    latest.setdefault(name, run)
    unfinished = unfinished_crawls(Path(db_path))
    rows = [SourceStatus(name, source.kind, _source_status(source), _run_summary(latest.get(name)),
                         unfinished.get(_job_name(name)))
            for name, source in known.items()]  # fmt: skip
    rows += [SourceStatus(name, "ad-hoc", "ad-hoc crawl", _run_summary(run), unfinished.get(_job_name(name)))
             for name, run in latest.items() if name not in known]  # fmt: skip
    listed = {_job_name(row.source) for row in rows}  # an ad-hoc crawl never published has no run to list it by
    rows += [SourceStatus(folder, "ad-hoc", "ad-hoc crawl", None, state)
             for folder, state in unfinished.items() if folder not in listed]
    return rows


def unfinished_crawls(db_path: Path) -> dict[str, str]:
    """Job folder name → "running" or "interrupted", for each source whose crawl has not published
    (a source's job folder goes when it does): the last run recorded says nothing of these."""
    root = jobs_root(db_path)
    folders = [d.name for d in root.iterdir() if d.is_dir() and d.name not in (HTTP_CACHE_FOLDER, "httpcache")] if root.is_dir() else []
    if not folders:
        return {}
    try:  # held by a crawl while it runs (_job_folder_lock); read-only where the folder is (a replica)
        handle = open(root / "crawl.lock", "a")  # noqa: SIM115
    except OSError:
        try:
            handle = open(root / "crawl.lock")  # noqa: SIM115
        except OSError:  # none: no crawl holds it, and none can write here
            return dict.fromkeys(folders, "interrupted")
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return dict.fromkeys(folders, "running")
        fcntl.flock(handle, fcntl.LOCK_UN)
    return dict.fromkeys(folders, "interrupted")


def _source_status(source: Source) -> str:
    """What the registry says of a source's site, and whether it is switched off."""
    if source.enabled:
        return source.status
    return f"disabled: {source.status}" if source.status else "disabled"


def _run_summary(run: dict[str, Any] | None) -> dict[str, Any] | None:
    if run is None:
        return None
    return {key: run[key] for key in ("id", "started_at", "finished_at", "status", "counts")} | {
        "health": crawl_health(run), "errors": run["errors"][:5], "error_count": len(run["errors"]),
    }


def crawl_health(run: dict[str, Any]) -> str:
    """A crawl run's outcome in a word: its run status, but `failed (no page fetched)` for a crawl that
    was written (a run recorded) yet fetched nothing: refused, timed out, or every start URL gone."""
    if run["status"] == "ok" and not run["counts"].get("pages"):
        return "failed (no page fetched)"
    return str(run["status"])
