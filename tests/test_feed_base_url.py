"""The feeds' absolute links come from the configured base URL (`serve --base-url`), never from the
Host header a client sends: without a base URL they are relative, and the ETag covers the base."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from matcher.ingest import ingest_file
from service.app import create_app
from service.feeds import ATOM_NS
from service.state import ServiceConfig
from tests.conftest import SAMPLE_FEED

FORGED = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
A = {"a": ATOM_NS}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("base-url") / "catalogue.duckdb"
    ingest_file(path, SAMPLE_FEED)
    return path


def _client(db: Path, base_url: str = "") -> TestClient:
    return TestClient(create_app(ServiceConfig(db=db, base_url=base_url), warm=False))


def test_without_a_base_url_links_are_relative_whatever_the_host(db: Path) -> None:
    with _client(db) as client:
        page = client.get("/feed/courses.json", params={"per_page": 10}, headers=FORGED)
        atom = client.get("/feed/atom.xml", headers=FORGED)
        plain = client.get("/feed/courses.json", params={"per_page": 10})
    for response in (page, atom):
        assert response.status_code == 200 and "evil.example" not in response.text
    assert page.json()["self"].startswith("/feed/courses.json?") and page.json()["next"].startswith("/feed/courses.json?")
    feed = ET.fromstring(atom.content)
    assert feed.find("a:link[@rel='self']", A).get("href").startswith("/feed/atom.xml")
    assert feed.findtext("a:id", namespaces=A) == "urn:fagmatch:feed:courses"
    # Same body for every host, so one ETag is right for every host.
    assert page.headers["etag"] == plain.headers["etag"]


def test_a_base_url_decides_the_absolute_links_and_the_etag(db: Path) -> None:
    with _client(db, "https://fagmatch.example") as client:
        page = client.get("/feed/courses.json", params={"per_page": 10}, headers=FORGED)
        atom = client.get("/feed/atom.xml", headers=FORGED)
    assert "evil.example" not in page.text + atom.text
    assert page.json()["next"].startswith("https://fagmatch.example/feed/courses.json?")
    entry = ET.fromstring(atom.content).find("a:entry", A)
    assert entry.findtext("a:id", namespaces=A).startswith("https://fagmatch.example/kursus/")
    with _client(db) as other:
        relative = other.get("/feed/courses.json", params={"per_page": 10})
    assert relative.headers["etag"] != page.headers["etag"]
    assert json.loads(relative.text)["items"] == page.json()["items"]


@pytest.mark.slow
def test_a_course_page_names_no_forged_host(service_client: TestClient) -> None:
    page = service_client.get("/kursus/nordhavn-dib-sygedagpenge-2027", headers=FORGED)
    assert page.status_code == 200 and "application/ld+json" in page.text
    assert "evil.example" not in page.text
