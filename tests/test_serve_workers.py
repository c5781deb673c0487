"""`fagmatch serve --workers N` as an operator runs it: the workers share the connections evenly, a
dead worker is replaced, a taken port is one clear line, Ctrl-C or SIGTERM stops every worker, and
none outlives its supervisor (real processes, real HTTP on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from matcher.ingest import ingest_file
from tests.conftest import SAMPLE_FEED

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthz_worker(port: int, timeout: float = 10) -> int:
    """The pid of the worker that answers /healthz on a new connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", "/healthz")
        response = connection.getresponse()
        assert response.status == 200
        return json.loads(response.read())["worker_pid"]
    finally:
        connection.close()


def workers_answering(port: int, n: int, known: set[int] | None = None, timeout: float = 60) -> set[int]:
    """Pids of the workers that answer new connections, once `n` have (or the timeout passed)."""
    pids = set(known or ())
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(pids) < n:
        try:
            pids.add(healthz_worker(port))
        except OSError:  # not listening yet, or queued on a worker that just died
            time.sleep(0.1)
    return pids


async def burst(port: int, n: int) -> list[int]:
    """The status of /healthz on `n` connections opened at once."""

    async def one() -> int:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        answer = await asyncio.wait_for(reader.read(), 60)
        writer.close()
        return int(answer.split(b" ", 2)[1])

    return list(await asyncio.gather(*(one() for _ in range(n))))


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def running(pid: int) -> bool:
    """Whether the process exists and has not exited (an unreaped zombie has)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_until_reaped(pid: int, timeout: float = 10) -> None:
    """Until the supervisor has reaped the process: all its threads, and so its sockets, are gone."""
    deadline = time.monotonic() + timeout
    while Path(f"/proc/{pid}").exists():
        assert time.monotonic() < deadline, f"process {pid} was not reaped"
        time.sleep(0.02)


def serve(db: Path, port: int, workers: int, *options: str) -> subprocess.Popen[str]:
    env = {**os.environ, "FAGMATCH_DB": str(db)}
    return subprocess.Popen(
        [sys.executable, "-m", "service.cli", "serve", "--port", str(port), "--workers", str(workers), *options],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )


def port_is_free(port: int) -> bool:
    """Whether a new server could listen on the port (as servers do, past closed connections' TIME_WAIT)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.fixture
def catalogue(tmp_path: Path) -> Path:
    db = tmp_path / "catalogue.duckdb"
    ingest_file(db, SAMPLE_FEED)
    return db


@contextmanager
def serving(db: Path, port: int, workers: int = 2, *options: str) -> Iterator[subprocess.Popen[str]]:
    server = serve(db, port, workers, *options)
    try:
        yield server
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def assert_stopped(server: subprocess.Popen[str], pids: set[int], port: int) -> None:
    server.wait(timeout=30)
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert port_is_free(port)


def test_workers_share_the_connections_and_stop_together(catalogue: Path) -> None:
    port = free_port()
    with serving(catalogue, port) as server:
        pids = workers_answering(port, 2)
        # New connections go to the workers in turn: each gets half, not whichever is idle.
        answered = [healthz_worker(port) for _ in range(24)]
        assert sorted(answered.count(pid) for pid in set(answered)) == [12, 12]
        pids |= set(answered)
        assert len(pids) == 2 and server.pid not in pids
        # A burst of connections at once: every one is answered, and both workers stay in the rotation.
        assert asyncio.run(burst(port, 600)) == [200] * 600
        assert {healthz_worker(port) for _ in range(4)} == pids

        # A worker that dies leaves its share to the others at once, and is replaced.
        dead = pids.pop()
        os.kill(dead, signal.SIGKILL)
        wait_until_reaped(dead)
        assert {healthz_worker(port) for _ in range(6)} == pids
        pids = workers_answering(port, 2, pids)
        assert len(pids) == 2 and dead not in pids

        for workers in (2, 1):
            second = serve(catalogue, port, workers=workers)
            _, err = second.communicate(timeout=60)
            assert second.returncode == 1 and f"cannot listen on 127.0.0.1:{port}" in err

        os.killpg(server.pid, signal.SIGINT)  # Ctrl-C in the terminal reaches the whole group
        assert_stopped(server, pids, port)


def test_sigterm_to_the_supervisor_stops_every_worker(catalogue: Path) -> None:
    port = free_port()
    # every option reaches every worker (--base-url had reached none: their feeds linked relatively),
    # and the path of --base-url is the root path the service answers under
    options = ("--base-url", "https://intranet.example/fagmatch")
    with serving(catalogue, port, 2, *options) as server:
        # The supervisor listens at once; a request that comes while the workers still load the
        # model waits for one (hence the long timeout).
        deadline = time.monotonic() + 30
        while not listening(port):
            assert time.monotonic() < deadline and server.poll() is None
            time.sleep(0.05)
        first = healthz_worker(port, timeout=120)  # loading the model and the index takes seconds
        pids = workers_answering(port, 2, {first})
        assert len(pids) == 2
        links = set()
        for _ in range(4):  # new connections go to the workers in turn
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", "/fagmatch/feed/courses.json?per_page=1")
            links.add(json.loads(connection.getresponse().read())["self"])
            connection.close()
        assert links == {"https://intranet.example/fagmatch/feed/courses.json?page=1&per_page=1"}
        server.send_signal(signal.SIGTERM)  # as a process manager stops it: the supervisor only
        assert_stopped(server, pids, port)


def test_workers_do_not_outlive_a_killed_supervisor(catalogue: Path) -> None:
    # kill -9 gives the supervisor no chance to stop them: they notice it is gone and stop themselves
    port = free_port()
    with serving(catalogue, port) as server:
        pids = workers_answering(port, 2)
        assert len(pids) == 2
        os.kill(server.pid, signal.SIGKILL)
        server.wait()
        deadline = time.monotonic() + 20
        while any(running(pid) for pid in pids):
            assert time.monotonic() < deadline, "workers still run without their supervisor"
            time.sleep(0.1)
        assert port_is_free(port)
