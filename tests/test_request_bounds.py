"""Every request is bounded by its cost: caps on gaps, results per gap, results per answer and team
size (422 naming the limit), and the worst allowed request, served by a real `fagmatch serve`
worker, leaves /healthz quick and the worker's memory bounded."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from matcher.gaps import MAX_TEAM_SIZE
from service.api import MAX_GAP_WORDS, MAX_GAPS, MAX_RESULTS, MAX_TOP
from tests.test_serve_workers import ROOT, free_port

pytestmark = pytest.mark.slow


@pytest.fixture
def client(service_client: TestClient) -> TestClient:
    return service_client


def _gap(number: int, text: str | None = None) -> dict:
    fields = ["arbejdsmarked_uddannelse", "lov_myndighed", "it_digital", "borgernaere_metoder",
              "virksomhedsvendte_metoder", "netvaerk_facilitering"]
    return {"id": f"g{number}", "fields": [fields[number % len(fields)]], "text": text,
            "level": ("grundlaeggende", "specialiseret")[number % 2]}


def _message(response) -> str:
    assert response.status_code == 422, response.text
    return response.json()["error"]["message"]


def test_too_many_gaps_results_or_employees_are_refused_naming_the_limit(client: TestClient) -> None:
    gaps = [_gap(i) for i in range(MAX_GAPS + 1)]
    assert str(MAX_GAPS) in _message(client.post("/api/recommendations", json={"gaps": gaps}))
    assert str(MAX_TOP) in _message(client.post("/api/recommendations", json={"gaps": gaps[:1], "top": MAX_TOP + 1}))
    many = {"gaps": gaps[:MAX_GAPS], "top": MAX_RESULTS // MAX_GAPS + 1}
    assert str(MAX_RESULTS) in _message(client.post("/api/recommendations", json=many))
    # Twenty gaps of long words each: the words together are capped, as each is read by the model.
    wordy = [_gap(i, "borgere med komplekse problemer og samarbejde på tværs " * 36) for i in range(4)]
    assert str(MAX_GAP_WORDS) in _message(client.post("/api/recommendations", json={"gaps": wordy}))
    # The request: thousands of gaps in one body.
    assert client.post("/api/recommendations", json={"gaps": [_gap(i) for i in range(19_000)]}).status_code == 422
    crowd = {**_gap(1), "employees": [f"e{i}" for i in range(MAX_TEAM_SIZE + 1)]}
    assert str(MAX_TEAM_SIZE) in _message(client.post("/api/recommendations", json={"gaps": [crowd]}))
    survey = "rolle,au.1\n" + "medarbejder,4\n" * (MAX_TEAM_SIZE + 1)
    assert f"at most {MAX_TEAM_SIZE} employees" in _message(client.post("/api/gaps", json={"survey_csv": survey}))
    # The limits are in the API's description, for whoever writes a client.
    spec = client.get("/openapi.json").json()["components"]["schemas"]["RecommendationRequest"]["properties"]
    assert str(MAX_GAPS) in spec["gaps"]["description"] and str(MAX_RESULTS) in spec["top"]["description"]
    # The largest allowed answer is given.
    allowed = client.post("/api/recommendations", json={"gaps": gaps[:MAX_GAPS], "top": MAX_RESULTS // MAX_GAPS})
    assert allowed.status_code == 200 and len(allowed.json()["gaps"]) == MAX_GAPS


def test_a_team_file_whose_gaps_times_top_exceed_the_answer_cap_is_refused_naming_the_largest_top(
    client: TestClient,
) -> None:
    # Every field short, with a resource person each: a basic and a resource part per field, 12 gaps.
    fields = ["arbejdsmarked_uddannelse", "lov_myndighed", "it_digital", "borgernaere_metoder",
              "virksomhedsvendte_metoder", "netvaerk_facilitering"]
    team = {"assessment_csv": "\n".join(["employee," + ",".join(fields)] + [f"E{i}," + ",".join("2" for _ in fields) for i in range(4)]),
            "target": {"fields": {key: {"required_level": 4, "specialists": 1} for key in fields}}}
    gaps = client.post("/api/gaps", json=team).json()["gaps"]
    assert len(gaps) == 12
    largest = MAX_RESULTS // len(gaps)
    message = _message(client.post("/api/recommendations", json={**team, "top": MAX_TOP}))
    assert f"12 gaps × top {MAX_TOP}" in message and f"at most {MAX_RESULTS}" in message and f"top of at most {largest}" in message
    answer = client.post("/api/recommendations", json={**team, "top": largest})
    assert answer.status_code == 200 and len(answer.json()["gaps"]) == 12


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def _get(port: int, path: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _post(port: int, path: str, body: dict) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def test_the_worst_allowed_request_leaves_healthz_quick_and_memory_bounded(
    tagged_catalogue: Path, tmp_path: Path
) -> None:
    db = tmp_path / "catalogue.duckdb"
    shutil.copy(tagged_catalogue, db)
    port = free_port()
    env = {**os.environ, "FAGMATCH_DB": str(db)}
    server = subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--port", str(port)], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                status, body = _get(port, "/healthz")
                if status == 200 and json.loads(body)["status"] == "ok":
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "the service did not start"
            time.sleep(0.2)
        worker = json.loads(body)["worker_pid"]
        # Idle: loaded, and each kind of request answered once (first-use caches filled).
        assert _post(port, "/api/recommendations", {"gaps": [_gap(1)], "top": 3}) == 200
        assert _post(port, "/api/recommendations", {"text": "vi mangler viden om sygedagpenge"}) == 200
        idle = _rss_mb(worker)

        top = MAX_RESULTS // MAX_GAPS
        stop = threading.Event()
        statuses: list[int] = []

        def worst(client: int) -> None:
            # New words in every gap: each runs the model or the gap table, and nothing comes from a cache.
            round_ = 0
            while not stop.is_set():
                round_ += 1
                gaps = [_gap(i, f"vi mangler viden om sygedagpenge og jobafklaring {client} {round_} {i} "
                                f"{'x' * (i % 7)}borger{i}") for i in range(MAX_GAPS)]
                statuses.append(_post(port, "/api/recommendations", {"gaps": gaps, "top": top}))

        senders = [threading.Thread(target=worst, args=(n,)) for n in range(3)]  # three at once, as in the issue
        for sender in senders:
            sender.start()
        latencies: list[float] = []
        peak = idle
        started = time.monotonic()
        while time.monotonic() - started < 20 or len(statuses) < 6:
            begin = time.perf_counter()
            status, _ = _get(port, "/healthz")
            latencies.append(time.perf_counter() - begin)
            assert status == 200
            peak = max(peak, _rss_mb(worker))
            time.sleep(0.02)
            assert time.monotonic() - started < 120
        stop.set()
        for sender in senders:
            sender.join(timeout=120)
        assert statuses and set(statuses) == {200}
        latencies.sort()
        p99 = latencies[int(len(latencies) * 0.99)]
        print(f"\n/healthz during {len(statuses)} worst allowed requests ({MAX_GAPS} gaps × top {top}, 3 at once): "
              f"{len(latencies)} polls, p50 {latencies[len(latencies) // 2] * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
              f"max {latencies[-1] * 1000:.1f} ms; worker RSS idle {idle:.0f} MB, peak {peak:.0f} MB "
              f"({peak / idle:.2f}× idle)")
        assert p99 < 0.100
        assert peak < 2 * idle
    finally:
        os.killpg(server.pid, 9)
        server.wait()
