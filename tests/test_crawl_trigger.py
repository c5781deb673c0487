"""A crawl started over HTTP: the admin key, one job at a time, real Scrapy over the loopback test web,
tagging afterwards, and the new courses served without a restart."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.state import ServiceConfig
from tests.test_crawler import FAST, TestWeb, write_registry

pytestmark = pytest.mark.slow
KEY = "crawl-key"


@pytest.fixture()
def service(tmp_path: Path):
    web = TestWeb().start()
    config = ServiceConfig(db=tmp_path / "catalogue.duckdb", api_key=KEY,
                           registry=write_registry(tmp_path, web.base), crawl_settings=FAST)
    try:
        with TestClient(create_app(config), raise_server_exceptions=False) as client:
            yield client
    finally:
        web.stop()


def _wait_for_job(client: TestClient, timeout: float = 240.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get("/api/admin/crawl", headers={"X-API-Key": KEY}).json()["job"]
        if job["status"] != "running":
            return job
        time.sleep(0.5)
    raise AssertionError(f"the crawl job did not end in {timeout} s: {job}")


def test_an_admin_starts_a_crawl_and_the_new_courses_are_searchable(service: TestClient) -> None:
    assert service.post("/api/admin/crawl", json={"sources": ["alfa"]}).status_code == 401
    assert service.get("/api/admin/crawl", headers={"X-API-Key": KEY}).json() == {"job": None}
    assert service.get("/api/courses", params={"q": "beskæftigelsesindsatsen"}).json()["total"] == 0

    started = service.post("/api/admin/crawl", json={"sources": ["alfa"]}, headers={"X-API-Key": KEY})
    assert started.status_code == 202, started.text
    assert started.json()["job"]["status"] == "running" and started.json()["job"]["sources"] == ["alfa"]
    busy = service.post("/api/admin/crawl", json={"sources": ["beta"]}, headers={"X-API-Key": KEY})
    assert busy.status_code == 409 and "already running" in busy.json()["error"]["message"]

    job = _wait_for_job(service)
    assert job["status"] == "ok", job
    assert job["exit_codes"] == {"crawl": 0, "tag": 0} and job["finished_at"]
    assert any("alfa" in line for line in job["log_tail"])
    folder = str(service.app.state.service.config.db.parent)
    assert folder not in str(job), "no answer shows where the server keeps its files"

    time.sleep(2.1)  # the service looks for a newer catalogue generation every 2 s
    hits = service.get("/api/courses", params={"q": "beskæftigelsesindsatsen lovgivningen"}).json()
    assert any(item["course"]["provider"] == "Alfa Professionshøjskole" for item in hits["items"]), hits
    health = service.get("/healthz").json()
    assert health["crawl_job"]["status"] == "ok"

    # the next job has a log of its own, and the one before keeps its log beside it
    again = service.post("/api/admin/crawl", json={"sources": ["beta"]}, headers={"X-API-Key": KEY})
    assert again.status_code == 202, again.text
    assert _wait_for_job(service)["status"] == "ok"
    db = service.app.state.service.config.db
    log, previous = (db.with_name(db.name + suffix) for suffix in (".crawl.log", ".crawl.log.1"))
    assert "[beta] started: " in log.read_text(encoding="utf-8") and "[alfa]" not in log.read_text(encoding="utf-8")
    assert "[alfa] started: " in previous.read_text(encoding="utf-8")


def test_an_unknown_source_or_body_is_refused_and_starts_nothing(service: TestClient) -> None:
    bad = service.post("/api/admin/crawl", json={"sources": ["omega"]}, headers={"X-API-Key": KEY})
    assert bad.status_code == 422 and "unknown source 'omega'" in bad.json()["error"]["message"]
    assert "alfa" in bad.json()["error"]["message"]
    assert service.post("/api/admin/crawl", json={"sources": "alfa"}, headers={"X-API-Key": KEY}).status_code == 422
    assert service.get("/api/admin/crawl", headers={"X-API-Key": KEY}).json() == {"job": None}
