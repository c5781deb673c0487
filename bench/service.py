"""Search and recommendation latency of the running service under concurrent clients, over loopback.

A 10 000-course catalogue file is generated (bench/synthetic_catalogue.py: the evaluation
catalogue's 240 courses tagged once for real, then repeated with other ids, providers, prices,
dates and perturbed embeddings) and written through the store as ingest plus tag would write it.
The real service is started on it (`fagmatch --db FILE serve --workers N`) and, once every worker
has loaded the model and the index, closed-loop clients (each on its own keep-alive connection,
sending its next request when the previous answer arrives) put it under load. After a warm-up
that is not counted, it prints p50/p99 latency, the number of requests and the throughput for:

1. search: GET /api/courses with Danish words (the dev queries) and region/price/form filters;
2. recommendation for a team gap without words: POST /api/recommendations with `gaps` (field, level);
3. recommendation for a gap in words seen before: POST /api/recommendations with `text`, the dev
   queries over and over (each worker has answered every one of them in the warm-up);
4. recommendation for a gap in words seen before with a number of its own ("…, hold 17"): a text new
   to every cache of whole texts, so it is tagged, embedded and ranked anew, but the same courses
   come to the top as for the words alone;
5. recommendation for words never seen: a unique text per request (halves of two dev queries and a
   number, bench/gap_texts.py), so each is tagged, embedded and ranked anew and other courses come
   to the top; only what is cached per word (its tokens, its BM25 postings) or per course (its
   sentences, its transfer note) is reused. The gap table embeds most of them; words it does not
   know run the embedding model.

4 and 5 are a fixed sample each, without warm-up.

Every answer must be 200; anything else stops the run with the status and body. The clients are a
minimal HTTP/1.1 client on asyncio streams (standard library) in one process: each line shows its
CPU use (it shares the machine with the service, so it should stay small) and how the clients'
connections fell on the worker processes (read from Linux /proc).

Usage: python bench/service.py [--courses 10000] [--clients 32] [--seconds 20 | --requests N]
       [--cold-requests 3000] [--workers N (default: CPUs)] [--catalogue FILE (reused if it exists)]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlencode
from urllib.request import urlopen

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.gap_texts import dev_queries, spliced  # noqa: E402
from bench.synthetic_catalogue import base_source, tag_base, variants, write_catalogue_file  # noqa: E402
from matcher.taxonomy import load_taxonomy  # noqa: E402

SEARCH_FILTERS: dict[str, Any] = {"region": "Midtjylland", "max_price": 15000, "form": ["fysisk", "rekvirerbar"]}
LEVELS = ("grundlaeggende", "specialiseret")


class BenchError(RuntimeError):
    """The service did not start, or answered something other than 200."""


# ---------------------------------------------------------------- the catalogue


def prepare_catalogue(path: Path, courses: int) -> None:
    """Generate the catalogue file: tag the base courses once, write `courses` copies with their tags."""
    from matcher.embeddings import Embedder
    from matcher.tagging import Tagger

    started = time.perf_counter()
    tagger = Tagger.default(load_taxonomy(), Embedder.load())
    base = tag_base(tagger)
    tagged = time.perf_counter()
    # Start dates from six weeks ahead of today: the service filters out courses that have started.
    first_start = dt.date.today() + dt.timedelta(weeks=6)
    write_catalogue_file(path, list(variants(base, courses, first_start=first_start)), tagger.embedder.model_version)
    print(f"catalogue: {courses} courses from {len(base)} tagged ones ({base_source().name}) → {path}; "
          f"tagging {tagged - started:.0f} s, writing {time.perf_counter() - tagged:.0f} s", flush=True)


# ---------------------------------------------------------------- the service process


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fagmatch_command() -> list[str]:
    """The installed `fagmatch` next to this interpreter, else the project's venv."""
    for candidate in (Path(sys.executable).parent / "fagmatch", ROOT / ".venv" / "bin" / "fagmatch"):
        if candidate.exists():
            return [str(candidate)]
    raise BenchError("no fagmatch command: run `make` (or pip install -e .) first")


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 30) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        return "\n".join(text[-lines:]) or "(the service wrote nothing)"


@contextmanager
def running_service(db: Path, workers: int, log_dir: Path) -> Iterator[Server]:
    """`fagmatch serve` on a free loopback port, stopped (its whole process group) on the way out."""
    port = free_port()
    log = log_dir / "service.log"
    command = [*fagmatch_command(), "--db", str(db), "serve", "--host", "127.0.0.1", "--port", str(port),
               "--workers", str(workers)]
    with open(log, "wb") as out:
        # Own session: Ctrl-C reaches only this script, which then stops the service in order.
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    server = Server(process, port, log)
    try:
        yield server
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGINT (uvicorn's graceful stop, which also stops its workers), then SIGKILL to the group."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)  # stragglers: workers the supervisor did not reap
    except ProcessLookupError:
        pass
    process.wait()


def wait_until_ready(server: Server, workers: int, timeout: float) -> None:
    """Until /healthz says the model is loaded and every active course indexed, and every worker is idle.

    /healthz is answered by whichever worker is ready first; a worker still loading takes no
    connections, so a client that connected early would stay on the ready ones for the whole
    run. Waiting until no worker process is using CPU any more means all have finished start-up."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while True:
        if server.process.poll() is not None:
            raise BenchError(f"the service exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            with urlopen(f"{server.url}/healthz", timeout=10) as answer:
                text = answer.read().decode()
            last = text[:300]
            body = json.loads(text)
            catalogue = body.get("catalogue", {})
            if body.get("status") == "ok" and catalogue.get("indexed") == catalogue.get("active"):
                break
        except (OSError, ValueError) as exc:  # not listening yet, an error status, a half-started worker
            last = f"{type(exc).__name__}: {exc}"
        if time.monotonic() > deadline:
            raise BenchError(f"/healthz not ready after {timeout:.0f} s (last: {last}):\n{server.log_tail()}")
        time.sleep(0.5)
    while True:
        processes = worker_pids(server.process.pid)
        before = {pid: cpu_seconds(pid) for pid in processes}
        time.sleep(1.0)
        busy = [pid for pid in processes if cpu_seconds(pid) - before[pid] > 0.05]
        if len(processes) >= workers and not busy:
            return
        if time.monotonic() > deadline:
            raise BenchError(f"workers {busy} still busy (of {len(processes)}, want {workers}) after {timeout:.0f} s")


# ---------------------------------------------------------------- /proc: which worker holds which connection


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:
        pass
    return inodes


def _established_inodes(port: int) -> set[str]:
    """Inodes of the established server-side sockets on `port`."""
    established = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            parts = row.split()
            if int(parts[1].rsplit(":", 1)[1], 16) == port and parts[3] == "01":  # 01: ESTABLISHED
                established.add(parts[9])
    return established


def worker_pids(server_pid: int) -> list[int]:
    """The processes that serve connections: the server itself with one worker, else its worker
    processes (the supervisor accepts the connections and hands them over)."""
    return _worker_children(server_pid) or [server_pid]


def _worker_children(pid: int) -> list[int]:
    found = []
    for child in _children(pid):
        try:
            name = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"multiprocessing.spawn" in name and b"resource_tracker" not in name:
            found.append(child)
    return found


def connections_per_worker(server_pid: int, port: int) -> list[int]:
    established = _established_inodes(port)
    return sorted((len(_socket_inodes(pid) & established) for pid in worker_pids(server_pid)), reverse=True)


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- load


@dataclass(frozen=True)
class Call:
    method: str
    target: str  # path and query string
    body: bytes | None = None  # JSON

    @classmethod
    def get(cls, path: str, params: dict[str, Any]) -> Call:
        return cls("GET", f"{path}?{urlencode(params, doseq=True)}")

    @classmethod
    def post(cls, path: str, document: dict[str, Any]) -> Call:
        return cls("POST", path, json.dumps(document, ensure_ascii=False).encode())


MakeCall = Callable[[int], Call]


class Connection:
    """One keep-alive HTTP/1.1 connection, with the standard library's asyncio streams.

    Deliberately minimal: httpx spends about 3 ms of CPU per request here (its pool bookkeeping,
    a failed `import sniffio` per request), which on a 2-core machine is CPU taken from the
    service under test. This costs a fraction of that."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with suppress(ConnectionError):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def request(self, call: Call) -> tuple[int, bytes]:
        """Status and body; reconnects once if the server had closed an idle connection."""
        reused = self.writer is not None
        if not reused:
            await self.open()
        try:
            return await self._exchange(call)
        except (ConnectionError, asyncio.IncompleteReadError):
            if not reused:
                raise
            await self.close()
            await self.open()
            return await self._exchange(call)

    async def _exchange(self, call: Call) -> tuple[int, bytes]:
        assert self.reader is not None and self.writer is not None
        head = f"{call.method} {call.target} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
        if call.body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(call.body)}\r\n"
        self.writer.write(head.encode() + b"\r\n" + (call.body or b""))
        lines = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = await self._chunked()
        else:
            raise BenchError(f"{call.method} {call.target}: an answer without length: {headers}")
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, body

    async def _chunked(self) -> bytes:
        assert self.reader is not None
        parts = []
        while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)
        await self.reader.readuntil(b"\r\n")  # no trailers are sent
        return b"".join(parts)


async def send(connection: Connection, call: Call) -> bytes:
    status, body = await connection.request(call)
    if status != 200:
        shown = call.body.decode() if call.body else ""
        raise BenchError(f"{call.method} {call.target} {shown} answered {status}:\n{body[:4000].decode(errors='replace')}")
    return body


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    wall: float = 0.0
    client_cpu: float = 0.0
    connections: list[int] = field(default_factory=list)

    def line(self) -> str:
        ms = np.array(self.latencies) * 1000
        rate = len(ms) / self.wall if self.wall else 0.0
        spread = "/".join(map(str, self.connections)) or "?"
        return (f"p50 {np.percentile(ms, 50):8.1f} ms  p99 {np.percentile(ms, 99):8.1f} ms  n={len(ms):<5d} "
                f"{rate:6.1f} req/s   (client CPU {100 * self.client_cpu / self.wall:3.0f} %, "
                f"connections per worker {spread})")


async def closed_loop(
    connections: list[Connection], make: MakeCall, counter: Iterator[int], *,
    seconds: float | None = None, requests: int | None = None,
) -> Result:
    """One loop per connection, each sending its next request when its answer arrives, until the time
    or the count is up; `counter` numbers the requests (shared, so runs never repeat a number)."""
    result = Result()
    started = time.perf_counter()
    cpu = time.process_time()
    deadline = started + seconds if seconds is not None else None
    budget = itertools.count()

    async def one_client(connection: Connection) -> None:
        while True:
            if deadline is not None and time.perf_counter() >= deadline:
                return
            if requests is not None and next(budget) >= requests:
                return
            call = make(next(counter))
            sent = time.perf_counter()
            await send(connection, call)
            result.latencies.append(time.perf_counter() - sent)

    try:
        async with asyncio.TaskGroup() as group:  # the first failure cancels the other clients
            for connection in connections:
                group.create_task(one_client(connection))
    except ExceptionGroup as failed:
        raise _first(failed) from None
    result.wall = time.perf_counter() - started
    result.client_cpu = time.process_time() - cpu
    return result


def _first(group: BaseExceptionGroup[Any]) -> BaseException:
    first = group.exceptions[0]
    return _first(first) if isinstance(first, BaseExceptionGroup) else first


@dataclass
class Scenario:
    name: str
    make: MakeCall
    warm_up: Literal["seconds", "each query", "none"] = "seconds"  # not counted
    requests: int | None = None  # a fixed sample instead of the --seconds / --requests budget


def scenarios(queries: list[str], field_keys: list[str], cold_requests: int) -> list[Scenario]:
    gaps = [(key, level) for key in field_keys for level in LEVELS]

    def search(i: int) -> Call:
        return Call.get("/api/courses", {"q": queries[i % len(queries)], **SEARCH_FILTERS})

    def team_gap(i: int) -> Call:
        key, level = gaps[i % len(gaps)]
        gap = {"id": "g1", "fields": [key], "level": level, "learners": 3, "source": "assessment"}
        return Call.post("/api/recommendations", {"gaps": [gap], "top": 5})

    def seen_words(i: int) -> Call:
        return Call.post("/api/recommendations", {"text": queries[i % len(queries)], "top": 5})

    def new_number(i: int) -> Call:
        return Call.post("/api/recommendations", {"text": f"{queries[i % len(queries)]}, hold {i}", "top": 5})

    def new_words(i: int) -> Call:
        return Call.post("/api/recommendations", {"text": spliced(queries, i), "top": 5})

    return [
        Scenario("search, words + region/price/form   ", search),
        Scenario("recommend, team gap (field × level)  ", team_gap),
        Scenario("recommend, gap in words seen before  ", seen_words, warm_up="each query"),
        Scenario("recommend, words seen, a new number  ", new_number, warm_up="none", requests=cold_requests),
        Scenario("recommend, gap in words never seen   ", new_words, warm_up="none", requests=cold_requests),
    ]


async def sanity_check(port: int, plan: list[Scenario], queries: list[str]) -> None:
    """The answers must hold courses, or the timings mean little: every search query, one of each other kind."""
    connection = Connection(port)
    try:
        totals = [json.loads(await send(connection, plan[0].make(i)))["total"] for i in range(len(queries))]
        print(f"search: {sum(t > 0 for t in totals)} of {len(queries)} queries find courses "
              f"(median {int(np.median(totals))} of them pass the filters)", flush=True)
        for scenario in plan[1:]:
            body = json.loads(await send(connection, scenario.make(0)))
            if not body["results"]:
                raise BenchError(f"{scenario.name.strip()}: the answer holds no courses: {json.dumps(body)[:2000]}")
    finally:
        await connection.close()


async def send_each(connection: Connection, make: MakeCall, count: int) -> None:
    for i in range(count):
        await send(connection, make(i))


async def run(server: Server, plan: list[Scenario], args: argparse.Namespace, queries: list[str]) -> None:
    await sanity_check(server.port, plan, queries)
    counter = itertools.count(1_000_000)  # above the sanity check's and the warm-ups' numbers
    for scenario in plan:
        # Fresh connections per scenario: how they fall on the workers is up to the service.
        connections = [Connection(server.port) for _ in range(args.clients)]
        await asyncio.gather(*(c.open() for c in connections))
        try:
            if scenario.warm_up == "each query":
                # Every connection sends every query, so each worker holding one has seen them all.
                await asyncio.gather(*(send_each(c, scenario.make, len(queries)) for c in connections))
            elif scenario.warm_up == "seconds":
                await closed_loop(connections, scenario.make, itertools.count(), seconds=args.warmup)
            budget = {"requests": scenario.requests} if scenario.requests else (
                {"requests": args.requests} if args.requests else {"seconds": args.seconds})
            result = await closed_loop(connections, scenario.make, counter, **budget)
            result.connections = connections_per_worker(server.process.pid, server.port)
            print(f"{scenario.name} {result.line()}", flush=True)
        finally:
            await asyncio.gather(*(c.close() for c in connections))


# ---------------------------------------------------------------- main


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--courses", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=32, help="concurrent closed-loop clients")
    budget = parser.add_mutually_exclusive_group()
    budget.add_argument("--seconds", type=float, default=20.0, help="measuring time per scenario")
    budget.add_argument("--requests", type=int, help="requests per scenario instead of --seconds")
    parser.add_argument("--cold-requests", type=int, default=3000, help="sample size for words never seen")
    parser.add_argument("--warmup", type=float, default=3.0, help="warm-up seconds per scenario (not counted)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="service worker processes")
    parser.add_argument("--catalogue", type=Path, help="catalogue file to keep and reuse (default: a temporary one)")
    parser.add_argument("--startup-timeout", type=float, default=600.0, help="seconds to wait for the service")
    return parser.parse_args()


def _interrupt(signum: int, frame: Any) -> None:
    """SIGTERM unwinds like Ctrl-C, so the service is stopped either way."""
    raise KeyboardInterrupt


def main() -> None:
    args = parse_args()
    signal.signal(signal.SIGTERM, _interrupt)
    queries = dev_queries()
    field_keys = load_taxonomy().field_keys
    with tempfile.TemporaryDirectory(prefix="fagmatch-bench-service-") as tmp:
        db = args.catalogue.resolve() if args.catalogue else Path(tmp) / "catalogue.duckdb"
        if db.exists():
            print(f"catalogue: reusing {db}", flush=True)
        else:
            prepare_catalogue(db, args.courses)
        print(f"machine: {os.cpu_count()} CPUs; service: {args.workers} workers; {args.clients} clients over loopback",
              flush=True)
        with running_service(db, args.workers, Path(tmp)) as server:
            started = time.perf_counter()
            wait_until_ready(server, args.workers, args.startup_timeout)
            print(f"service ready in {time.perf_counter() - started:.0f} s at {server.url}", flush=True)
            asyncio.run(run(server, scenarios(queries, field_keys, args.cold_requests), args, queries))


if __name__ == "__main__":
    try:
        main()
    except BenchError as exc:
        sys.exit(f"bench/service.py: {exc}")
    except KeyboardInterrupt:
        sys.exit("bench/service.py: interrupted; the service was stopped")
