"""Crawls started over HTTP (`POST /api/admin/crawl`): one at a time, in child processes, then tagging;
and the tagging of a feed ingested over HTTP (`POST /api/admin/ingest`), as the same kind of job.

Scrapy's reactor runs once per process, so a job runs `fagmatch crawl` and then `fagmatch tag` as
child processes, exactly as an operator would. Their output goes to a log beside the catalogue
(`<db>.crawl.log`; the job before keeps its own as `<db>.crawl.log.1`) and the job's state to `<db>.crawl-job.json`, so every worker process of the
service answers for the same job and refuses a second one while it runs. The crawl publishes its
runs as it always does (matcher/store.py), and the service picks the new generation up within
seconds (service/state.py).

The service owns the job's processes: each step runs in a process group of its own, and the step's
processes end with the service (crawler/lifeline.py). Stopping the service stops the job (`stop`:
the crawl saves its queue, and the next job resumes it); a service that starts and finds a job left
"running" by a service that is gone stops what is left of it (`recover`), so two crawlers never
work on one job folder.

A feed ingested over HTTP is tagged by a job of kind "tag" (only the `fagmatch tag` step). An
ingest while a job runs does not start another: it asks the running one to tag (again) once its
current step is done (`<db>.tag-again`), and the job ends only when no such request is left,
checked under the job lock, so no ingested course is left untagged by a job ending meanwhile.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from crawler.exit_codes import INCOMPLETE
from crawler.lifeline import alive, child_env, group_members, started, stop_group
from crawler.registry import load_registry
from matcher.file_lock import exclusive_lock
from service.server_paths import without_server_paths

JobStatus = Literal["running", "ok", "failed", "interrupted"]
JobKind = Literal["crawl", "tag"]
LOG_TAIL = 20
STOP_GRACE = 40.0  # seconds a stopping crawl gets to save its queue before it is killed


def _failed(step: str, code: int) -> bool:
    """Whether a step's exit code is a failure: a crawl that published but withdrew nothing (INCOMPLETE) is not."""
    return code != 0 and not (step == "crawl" and code == INCOMPLETE)


class CrawlBusy(RuntimeError):
    """A job is already running; the message says since when."""


@dataclass
class CrawlJob:
    """What a client sees of a crawl job (or of the tagging of an ingested feed)."""

    id: str
    sources: list[str]  # empty: every enabled source of the registry
    started_at: str
    kind: JobKind = "crawl"  # "tag": the tagging of feeds ingested over HTTP
    status: JobStatus = "running"
    step: Literal["crawl", "tag", "done"] = "crawl"
    finished_at: str | None = None
    exit_codes: dict[str, int] = field(default_factory=dict)
    message: str | None = None  # the first `error:` line of a step that failed
    pid: int | None = None  # the running step's child process, leader of its own process group
    owner_pid: int | None = None  # the service process that runs the job
    owner_started: int | None = None  # when that process started (crawler.lifeline.started): the pid may be reused
    log_tail: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        del data["pid"], data["owner_pid"], data["owner_started"]
        return data


class CrawlJobs:
    """Starts crawl jobs for one catalogue and reports the latest one."""

    def __init__(
        self, db: Path, *, registry: Path | None = None, taxonomy: Path | None = None, model: str | None = None,
        settings: dict[str, Any] | None = None,
    ) -> None:
        self.db = Path(db).resolve()
        self.registry = registry
        self.taxonomy = taxonomy
        self.model = model
        self.settings = settings or {}  # Scrapy setting overrides: operator configuration, never from a request
        self.state_file = self.db.with_name(self.db.name + ".crawl-job.json")
        self.log_file = self.db.with_name(self.db.name + ".crawl.log")
        self._lock_file = self.db.with_name(self.db.name + ".crawl-job.lock")
        self._tag_again = self.db.with_name(self.db.name + ".tag-again")
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    def known_sources(self) -> dict[str, bool]:
        """The registry's sources, and whether each is enabled (RegistryError when the registry is broken)."""
        return {name: source.enabled for name, source in load_registry(self.registry).items()}

    def latest(self) -> CrawlJob | None:
        """The latest job; a running one whose process is gone (the service was stopped) is `interrupted`."""
        job = self._read()
        if job is not None and job.status == "running" and not _owner_runs(job) \
                and not (job.pid and group_members(job.pid)):  # fmt: skip
            job.status, job.message = "interrupted", _stopped(job)
        return job

    def recover(self, grace: float = STOP_GRACE) -> CrawlJob | None:
        """At start-up: a job left "running" by a service that is gone is stopped and marked interrupted.

        What is left of its processes (a crawl whose service was killed) is stopped as a group: the
        crawl saves its queue, and the next job resumes it. Returns the job it cleaned up, if any."""
        job = self._read()
        if job is None or job.status != "running" or _owner_runs(job):
            return None  # nothing left behind, or another worker of this service runs it
        with exclusive_lock(self._lock_file):
            job = self._read()
            if job is None or job.status != "running" or _owner_runs(job):
                return None
            if job.pid:
                stop_group(job.pid, grace=grace)
            job.status, job.pid, job.step = "interrupted", None, "done"
            job.message = _stopped(job)
            job.finished_at = _now().isoformat(timespec="seconds")
            self._write(job)
            return job

    def stop(self, grace: float = STOP_GRACE) -> CrawlJob | None:
        """Stop this process's running job (the service is stopping): its step's process group is
        stopped, the crawl saving its queue; no further step starts."""
        if self._thread is None or not self._thread.is_alive():
            return None
        self._stopping.set()
        job = self._read()
        if job is not None and job.pid:
            stop_group(job.pid, grace=grace)
        self._thread.join(timeout=10)
        return self.latest()

    def start(self, sources: Sequence[str] = ()) -> CrawlJob:
        """Start a job in the background (CrawlBusy if one runs, ValueError for an unknown source)."""
        known = self.known_sources()
        unknown = [s for s in sources if s not in known]
        if unknown:
            raise ValueError(f"unknown source {unknown[0]!r}; the registry has: {', '.join(sorted(known))}")
        with exclusive_lock(self._lock_file):  # between the service's worker processes
            running = self.latest()
            if running is not None and running.status == "running":
                what = "a crawl" if running.kind == "crawl" else "the tagging of an ingested feed"
                raise CrawlBusy(f"{what} is already running (job {running.id}, started {running.started_at})")
            return self._launch("crawl", list(dict.fromkeys(sources)))

    def tag(self) -> CrawlJob:
        """Have the catalogue's new and changed courses tagged in the background: by a new job of kind
        "tag", or by the running job once its current step is done (it is returned then).
        CrawlBusy when the service is stopping."""
        with exclusive_lock(self._lock_file):
            running = self.latest()
            if running is not None and running.status == "running":
                self._tag_again.touch()
                return running
            return self._launch("tag", [])

    def _launch(self, kind: JobKind, sources: list[str]) -> CrawlJob:
        """Start a job's thread (the caller holds the job lock)."""
        if self._stopping.is_set():
            raise CrawlBusy("the service is stopping")
        now = _now()
        job = CrawlJob(id=now.strftime("%Y%m%dT%H%M%S%f"), sources=sources, kind=kind,
                       started_at=now.isoformat(timespec="seconds"), owner_pid=os.getpid(),
                       owner_started=started(os.getpid()))  # fmt: skip
        if self.log_file.exists() and self.log_file.stat().st_size:
            os.replace(self.log_file, self.log_file.with_name(self.log_file.name + ".1"))  # the last job's, kept
        self.log_file.write_text("", encoding="utf-8")
        self._write(job)
        self._thread = threading.Thread(target=self._run, args=(job,), name=f"{kind}-job-{job.id}", daemon=True)
        self._thread.start()
        return job

    def wait(self, timeout: float | None = None) -> CrawlJob | None:
        """Wait for this process's job to end (tests, and a clean shutdown)."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.latest()

    # ---- the job itself

    def _run(self, job: CrawlJob) -> None:
        try:
            if job.kind == "crawl":
                self._step(job, "crawl", self._crawl_args(job))
                # a crawl where one source failed still published the others: tag those anyway
            while not self._stopping.is_set():
                self._tag_again.unlink(missing_ok=True)  # this step tags all that is published by now
                self._step(job, "tag", ["tag"])
                with exclusive_lock(self._lock_file):  # no ingest may ask for tagging while the job ends
                    if self._stopping.is_set() or not self._tag_again.exists():
                        self._finish(job)
                        return
        except Exception as exc:  # noqa: BLE001 - the job must end in a state a client can read
            job.status, job.message = "failed", self._without_paths(f"{type(exc).__name__}: {exc}")
        self._finish(job)

    def _step(self, job: CrawlJob, step: Literal["crawl", "tag"], args: list[str]) -> None:
        if self._stopping.is_set():
            return
        job.step = step
        code = self._child(job, args)
        job.exit_codes[step] = code
        if code and not _failed(step, code):  # published: the job is ok, and says what it could not do
            job.message = "some requests failed, so the crawl is incomplete and no course was withdrawn (see the log)"
        elif code != 0 and job.message is None and not self._stopping.is_set():
            job.message = self._first_error() or f"`fagmatch {step}` exited with code {code}"

    def _finish(self, job: CrawlJob) -> None:
        if self._stopping.is_set():
            job.status, job.message = "interrupted", _stopped(job)
        elif job.status == "running":
            job.status = "failed" if any(_failed(step, code) for step, code in job.exit_codes.items()) else "ok"
        job.step, job.pid, job.finished_at = "done", None, _now().isoformat(timespec="seconds")
        job.log_tail = self._log_tail()
        try:
            self._write(job)
        except OSError:  # a full disk: the state must not stay "running" for ever (crawls refused, nothing tagged)
            self.state_file.unlink(missing_ok=True)
            self.state_file.with_name(self.state_file.name + ".tmp").unlink(missing_ok=True)

    def _crawl_args(self, job: CrawlJob) -> list[str]:
        args = ["crawl"]
        for source in job.sources:
            args += ["--source", source]
        if self.registry is not None:
            args += ["--registry", str(self.registry)]
        for name, value in self.settings.items():
            args += ["--set", f"{name}={json.dumps(value)}"]
        return args

    def _child(self, job: CrawlJob, args: list[str]) -> int:
        command = [sys.executable, "-m", "service.cli", "--db", str(self.db)]
        if self.taxonomy is not None:
            command += ["--taxonomy", str(self.taxonomy)]
        if self.model is not None:
            command += ["--model", self.model]
        with open(self.log_file, "a", encoding="utf-8") as log:
            log.write(f"$ fagmatch {' '.join(args)}\n")
            log.flush()
            # Its own process group (stopped as one), and it ends with this process (crawler/lifeline.py).
            # The service's key stays with the service: a crawl or tagging answers no requests.
            env = {name: value for name, value in child_env().items() if name != "FAGMATCH_API_KEY"}
            child = subprocess.Popen(command + args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     env=env, start_new_session=True)  # fmt: skip
            job.pid = child.pid
            job.log_tail = self._log_tail()
            self._write(job)
            return child.wait()

    def _first_error(self) -> str | None:
        return next((line.removeprefix("error: ") for line in self._log_lines() if line.startswith("error: ")), None)

    def _log_lines(self) -> list[str]:
        """The job's log, as clients may read it: the catalogue's folder left out of every line (the
        commands name their files in full; no answer shows where the server keeps its files)."""
        try:
            text = self.log_file.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return []
        return self._without_paths(text).splitlines()

    def _without_paths(self, text: str) -> str:
        own_files = [path for path in (self.registry, self.taxonomy) if path is not None]  # named by their names
        return without_server_paths(text, folders=[self.db.parent], files=own_files)

    def _log_tail(self) -> list[str]:
        return self._log_lines()[-LOG_TAIL:]

    # ---- shared state

    def _read(self) -> CrawlJob | None:
        try:
            data = json.loads(self.state_file.read_text(encoding="utf-8"))
            job = CrawlJob(**data)
        except (FileNotFoundError, ValueError, TypeError):
            return None  # no job yet, or a state file from another version: nothing to report
        if job.status == "running":
            job.log_tail = self._log_tail()  # live progress, not the tail at the last state write
        return job

    def _write(self, job: CrawlJob) -> None:
        partial = self.state_file.with_name(self.state_file.name + ".tmp")
        partial.write_text(json.dumps(asdict(job), ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(partial, self.state_file)  # readers see the old state or the new one, never half


def _owner_runs(job: CrawlJob) -> bool:
    """Whether the service process that started the job still runs (and is that process, not a later
    one given its number)."""
    return alive(job.owner_pid) and (job.owner_started is None or started(job.owner_pid) == job.owner_started)


def _stopped(job: CrawlJob) -> str:
    """Why an interrupted job stopped, and what to do."""
    if job.kind == "crawl":
        return "the service stopped while this crawl ran; start it again to resume"
    return ("the service stopped while this tagging ran; what it had tagged is kept: run `fagmatch tag` for the "
            "rest (the next crawl job, or the next ingest over HTTP, also tags it)")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)
