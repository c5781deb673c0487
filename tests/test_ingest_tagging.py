"""A feed ingested over HTTP is tagged by the service: in a background job (as a crawl's tagging), with
the answer saying so, /healthz counting the courses tagged once it is done, and an ingest while the
job runs tagged by that job, not left behind."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.state import STALE_CHECK_SECONDS, ServiceConfig

pytestmark = pytest.mark.slow
KEY = "ingest-key"
HEADERS = {"X-API-Key": KEY}


def _feed(*courses: tuple[str, str, str]) -> bytes:
    return "".join(
        json.dumps({"id": course_id, "title": title, "description": text, "provider": "Nyskolen", "course_type": "kursus"},
                   ensure_ascii=False) + "\n"
        for course_id, title, text in courses
    ).encode()  # fmt: skip


FIRST = _feed(
    ("ny-1", "Jobsamtaler med ledige borgere",
     "Et kursus for sagsbehandlere i jobcentret om den gode jobsamtale: samtaleteknik, motivation og "
     "opfølgning efter lov om en aktiv beskæftigelsesindsats."),
    ("ny-2", "Forvaltningsret for sagsbehandlere",
     "Grundlæggende forvaltningsret: partshøring, begrundelse, aktindsigt og klagevejledning i sager om "
     "kontanthjælp og sygedagpenge."),
)  # fmt: skip
SECOND = _feed(
    ("ny-3", "Digital sagsbehandling i jobcentret",
     "Brug af fagsystemer og digitale selvbetjeningsløsninger i beskæftigelsesindsatsen, datasikkerhed "
     "og GDPR i det daglige arbejde."),
)  # fmt: skip


@pytest.fixture()
def client(tagged_catalogue: Path, tmp_path: Path) -> Iterator[TestClient]:
    db = tmp_path / "catalogue.duckdb"
    shutil.copy(tagged_catalogue, db)
    with TestClient(create_app(ServiceConfig(db=db, api_key=KEY)), raise_server_exceptions=False) as c:
        yield c


def _ingest(client: TestClient, name: str, feed: bytes) -> dict:
    answer = client.post("/api/admin/ingest", files={"feed": (name, feed)}, headers=HEADERS)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _wait_for_job(client: TestClient, timeout: float = 240.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get("/api/admin/crawl", headers=HEADERS).json()["job"]
        if job["status"] != "running":
            return job
        time.sleep(0.5)
    raise AssertionError(f"the tagging job did not end in {timeout} s: {job}")


def test_courses_ingested_over_http_are_tagged_in_the_background(client: TestClient) -> None:
    before = client.get("/healthz").json()["catalogue"]
    assert before["active"] == before["tagged"] == 30
    first = _ingest(client, "nyskolen.jsonl", FIRST)
    assert (first["new"], first["tagging"]["courses"]) == (2, 2)
    job = first["tagging"]["job"]
    assert job["kind"] == "tag" and job["status"] == "running" and first["tagging"]["status_url"] == "/api/admin/crawl"
    # Another feed while the job runs: no second job; the running one tags it too.
    second = _ingest(client, "nyskolen-2.jsonl", SECOND)
    assert second["tagging"]["courses"] == 3 and second["tagging"]["job"]["id"] == job["id"]  # all that wait
    running = client.get("/healthz").json()
    assert running["crawl_job"]["kind"] == "tag" and running["catalogue"]["active"] == 33

    done = _wait_for_job(client)
    assert done["id"] == job["id"] and done["status"] == "ok" and done["exit_codes"] == {"tag": 0}, done
    # The second feed came while the first tag step ran: the job tagged once more before it ended.
    assert sum(line.startswith("$ fagmatch tag") for line in done["log_tail"]) == 2, done["log_tail"]
    health = client.get("/healthz").json()
    assert health["catalogue"]["active"] == health["catalogue"]["tagged"] == health["catalogue"]["tagged_current"] == 33, health
    assert health["crawls_unfinished"] == {"running": [], "interrupted": []}
    assert health["crawl_job"]["status"] == "ok"

    time.sleep(STALE_CHECK_SECONDS)  # the service picks the tagged generation up
    for course_id in ("ny-1", "ny-2", "ny-3"):
        course = client.get(f"/api/courses/{course_id}").json()
        assert course["tags"]["model"] and course["tags"]["level"], course
    coverage = client.get("/api/coverage", params={"provider": "Nyskolen"}).json()
    assert coverage["courses"] == 3 and coverage["tagged_courses"] == 3 and not coverage["untagged_courses"], coverage


def test_a_feed_with_nothing_new_starts_no_tagging(client: TestClient) -> None:
    first = _ingest(client, "nyskolen.jsonl", FIRST)
    _wait_for_job(client)
    again = _ingest(client, "nyskolen.jsonl", FIRST)
    assert again["unchanged"] == 2 and again["tagging"] == {"courses": 0, "job": None}
    assert client.get("/api/admin/crawl", headers=HEADERS).json()["job"]["id"] == first["tagging"]["job"]["id"]


def test_a_tagging_stopped_with_the_service_is_interrupted_and_says_what_to_do(tagged_catalogue: Path, tmp_path: Path) -> None:
    from crawler.lifeline import group_members
    from service.crawl_jobs import CrawlJobs

    db = tmp_path / "catalogue.duckdb"
    shutil.copy(tagged_catalogue, db)
    with TestClient(create_app(ServiceConfig(db=db, api_key=KEY), warm=False)) as client:
        job = _ingest(client, "nyskolen.jsonl", FIRST)["tagging"]["job"]
        deadline = time.monotonic() + 30
        while not (pid := CrawlJobs(db).latest().pid) and time.monotonic() < deadline:
            time.sleep(0.05)  # the job's `fagmatch tag` is starting
    # The service has stopped (its lifespan ended): so has the tagging, before it could finish.
    stopped = CrawlJobs(db).latest()
    assert stopped.id == job["id"] and stopped.status == "interrupted" and "run `fagmatch tag`" in stopped.message
    assert pid and not group_members(pid)
    with TestClient(create_app(ServiceConfig(db=db, api_key=KEY), warm=False)) as client:
        catalogue = client.get("/healthz").json()["catalogue"]
        assert (catalogue["active"], catalogue["tagged"]) == (32, 30)  # the rest waits for `fagmatch tag`
        # or for the next ingest over HTTP, even of the same feed: it brings nothing new, and tags the rest
        again = _ingest(client, "nyskolen.jsonl", FIRST)
        assert again["unchanged"] == 2 and again["tagging"]["courses"] == 2 and again["tagging"]["job"]
        _wait_for_job(client)
        assert client.get("/healthz").json()["catalogue"]["tagged"] == 32


def test_a_catalogue_moved_away_while_serving_is_said_and_never_replaced_by_an_empty_one(
    client: TestClient, tmp_path: Path,
) -> None:
    """An operator moves the file while the service runs. The service had made a new, empty catalogue
    in its place and answered /healthz "ok" with 0 courses, so the next nightly write went there."""
    db = tmp_path / "catalogue.duckdb"
    assert client.get("/api/courses", params={"q": "sygedagpenge"}).json()["total"] > 0
    db.rename(tmp_path / "moved.duckdb")
    time.sleep(STALE_CHECK_SECONDS)
    health = client.get("/healthz")
    assert health.status_code == 503 and "catalogue.duckdb is gone: moved or deleted" in health.json()["error"]["message"]
    assert client.get("/api/courses", params={"q": "sygedagpenge"}).json()["total"] > 0  # from the courses loaded
    assert client.get("/feed/courses.json").status_code == 503
    refused = client.post("/api/admin/ingest", files={"feed": ("nyskolen.jsonl", FIRST)}, headers=HEADERS)
    assert refused.status_code == 503 and "Put it back" in refused.json()["error"]["message"]
    assert client.post("/api/admin/crawl", json={}, headers=HEADERS).status_code == 503
    gap = {"id": "g1", "fields": ["lov_myndighed"], "level": "specialiseret"}
    assert client.post("/api/analyses", json={"name": "Team A", "gaps": [gap]}, headers=HEADERS).status_code == 503
    assert not db.exists() and not list(tmp_path.glob("catalogue.duckdb.*"))  # nothing made in its place
    (tmp_path / "moved.duckdb").rename(db)
    time.sleep(STALE_CHECK_SECONDS)
    assert client.get("/healthz").json()["catalogue"]["courses"] == 30
