"""The crawl's processes, for real: SIGTERM to `serve` during a crawl leaves no crawl process, killing the
crawl child leaves no grandchild, a restarted service cleans up a job left behind, and two crawls never
share a job folder (real processes, a slow test web on 127.0.0.1)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from crawler.lifeline import group_members, started
from crawler.runner import CrawlError, crawl, jobs_root
from service.crawl_jobs import CrawlJob, CrawlJobs
from tests.test_crawler import FAST, TestWeb, write_registry
from tests.test_serve_workers import free_port, listening, running

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
KEY = "process-key"


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}


def crawl_processes(pgid: int) -> list[int]:
    """The processes of a crawl job's group whose command is a crawl (`fagmatch crawl` or `crawler.job`)."""
    found = []
    for pid in group_members(pgid):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "crawler.job" in command or " crawl" in command:
            found.append(pid)
    return found


def children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rfind(")") + 2 :].split()
            if fields[1] == str(pid) and fields[0] != "Z":
                out.append(int(entry.name))
    return out


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout} s: {what}")


@pytest.fixture()
def slow_web():
    web = TestWeb(delay=0.5).start()  # every page takes 0.5 s: the crawl runs long enough to be stopped
    yield web
    web.stop()


def test_sigterm_to_serve_during_a_crawl_leaves_no_crawl_process(tmp_path: Path, slow_web: TestWeb) -> None:
    db = tmp_path / "catalogue.duckdb"
    registry = write_registry(tmp_path, slow_web.base)
    port = free_port()
    serve = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "--db", str(db), "serve", "--port", str(port), "--api-key", KEY,
         "--registry", str(registry)], env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for(lambda: listening(port), 120, "the service listens")
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/admin/crawl", data=b'{"sources": []}',
                                         headers={"X-API-Key": KEY, "Content-Type": "application/json"})  # fmt: skip
        with urllib.request.urlopen(request, timeout=30) as answer:
            assert answer.status == 202
        state = db.with_name(db.name + ".crawl-job.json")
        pgid = wait_for(lambda: json.loads(state.read_text())["pid"], 30, "the crawl step starts")
        wait_for(lambda: len(crawl_processes(pgid)) == 2, 60, "`fagmatch crawl` and its crawl process run")
        wait_for(lambda: slow_web.log, 60, "the crawl fetches pages")
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=90) is not None
        wait_for(lambda: not group_members(pgid), 30, "no process of the crawl job is left")
        job = json.loads(state.read_text())
        assert job["status"] == "interrupted" and job["exit_codes"].get("tag") is None, job
    finally:
        if serve.poll() is None:
            serve.kill()


def test_killing_the_crawl_child_leaves_no_grandchild_and_a_restarted_service_cleans_up(
    tmp_path: Path, slow_web: TestWeb
) -> None:
    db = tmp_path / "catalogue.duckdb"
    registry = write_registry(tmp_path, slow_web.base)
    jobs = CrawlJobs(db, registry=registry, settings=FAST)
    jobs.start(["alfa"])
    pgid = wait_for(lambda: jobs.latest().pid, 30, "the crawl step starts")
    grandchild = wait_for(lambda: [p for p in crawl_processes(pgid) if p != pgid], 60, "the crawl process runs")[0]
    os.kill(pgid, signal.SIGKILL)  # the crawl child dies at once
    wait_for(lambda: not running(grandchild), 30, "the crawl process ends with its parent")
    jobs.wait(30)

    # A service killed outright leaves its job "running"; a crawl of it may still run. A new service stops it.
    crawl_child = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "--db", str(db), "crawl", "--source", "alfa", "--registry", str(registry)],
        env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    left = CrawlJob(id="left-behind", sources=["alfa"], started_at="2027-01-01T00:00:00+00:00", owner_pid=gone.pid,
                    pid=crawl_child.pid)  # fmt: skip
    jobs.state_file.write_text(json.dumps(left.__dict__), encoding="utf-8")
    wait_for(lambda: len(crawl_processes(crawl_child.pid)) == 2, 60, "the left-behind crawl runs")
    assert jobs.latest().status == "running"  # while it runs, no second crawl may start
    restarted = CrawlJobs(db, registry=registry, settings=FAST)
    cleaned = restarted.recover(grace=30)
    assert cleaned is not None and cleaned.id == "left-behind" and cleaned.status == "interrupted"
    assert crawl_child.wait(timeout=5) is not None and not group_members(crawl_child.pid)
    assert restarted.latest().status == "interrupted"


def test_two_crawls_never_share_a_job_folder(tmp_path: Path, slow_web: TestWeb) -> None:
    db = tmp_path / "catalogue.duckdb"
    registry = write_registry(tmp_path, slow_web.base)
    first = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "--db", str(db), "crawl", "--source", "alfa", "--registry", str(registry)],
        env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        journal = jobs_root(db) / "alfa" / "journal.jsonl"
        wait_for(lambda: journal.exists() and journal.stat().st_size, 60, "the first crawl fetches pages")
        with pytest.raises(CrawlError, match="another crawl is running"):
            crawl(db, sources=["alfa"], registry=registry, settings=FAST)
        assert journal.exists()  # the running crawl's folder was left alone
    finally:
        first.send_signal(signal.SIGTERM)
        first.wait(timeout=60)
    assert not children(first.pid)


def test_a_job_whose_service_number_was_given_to_another_process_is_not_running(tmp_path: Path) -> None:
    # A service restarted in a container is PID 1 again: the number alone said the old owner still ran,
    # so the job stayed "running", crawls were refused and nothing more was tagged.
    jobs = CrawlJobs(tmp_path / "catalogue.duckdb")
    left = CrawlJob(id="left-behind", sources=[], kind="tag", started_at="2027-01-01T00:00:00+00:00",
                    owner_pid=os.getpid(), owner_started=1)  # this process's number, another process's start
    jobs.state_file.write_text(json.dumps(left.__dict__), encoding="utf-8")
    assert jobs.latest().status == "interrupted"
    assert jobs.recover() is not None and jobs.latest().status == "interrupted"
    mine = CrawlJob(id="mine", sources=[], kind="tag", started_at="2027-01-01T00:00:00+00:00", owner_pid=os.getpid(),
                    owner_started=started(os.getpid()))
    jobs.state_file.write_text(json.dumps(mine.__dict__), encoding="utf-8")
    assert jobs.latest().status == "running" and jobs.recover() is None  # its own service still runs it


def test_a_job_that_cannot_write_its_end_does_not_stay_running(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    jobs = CrawlJobs(tmp_path / "catalogue.duckdb")
    job = CrawlJob(id="full", sources=[], kind="tag", started_at="2027-01-01T00:00:00+00:00", owner_pid=os.getpid())
    jobs._write(job)
    assert jobs.latest().status == "running"

    def disk_full(job: CrawlJob) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(jobs, "_write", disk_full)
    jobs._finish(job)
    latest = jobs.latest()
    assert latest is None or latest.status != "running"  # the next ingest or crawl may start a job
