"""No answer shows where the server keeps its files: team input is named as the user named it (the
uploaded file's name, or the request's field for pasted text), /healthz names the catalogue's file
only, and a feed or catalogue that cannot be read is named without its folder."""

from __future__ import annotations

import tempfile

import pytest
from fastapi.testclient import TestClient

from tests.conftest import SERVICE_KEY as KEY

pytestmark = pytest.mark.slow
ASSESSMENT = "employee,lov_myndighed,it_digital\nAB,2,3\nCD,tre,2\n"
GOOD_ASSESSMENT = "employee,lov_myndighed,it_digital\nAB,2,3\nCD,3,2\n"
TARGET = "fields:\n  lov_myndighed:\n    required_level: 4\n    specialists: 1\n"


@pytest.fixture
def client(service_client: TestClient) -> TestClient:
    return service_client


def _no_paths(text: str) -> None:
    assert tempfile.gettempdir() + "/" not in text and "/fagmatch-" not in text, text


def test_pasted_team_input_is_named_by_its_field(client: TestClient) -> None:
    r = client.post("/api/gaps", json={"assessment_csv": ASSESSMENT, "target": TARGET})
    assert r.status_code == 422
    _no_paths(r.text)
    assert r.json()["error"]["message"].startswith("assessment_csv: line 3")
    r = client.post("/api/gaps", json={"assessment_csv": GOOD_ASSESSMENT, "target": TARGET})
    assert r.status_code == 200
    _no_paths(r.text)
    assert (r.json()["analysis"]["assessment"], r.json()["analysis"]["target"]) == ("assessment_csv", "target")
    r = client.post("/api/recommendations", json={"assessment_csv": GOOD_ASSESSMENT, "target": TARGET})
    assert r.status_code == 200
    _no_paths(r.text)


def test_uploaded_files_are_named_as_the_user_named_them(client: TestClient) -> None:
    def upload(assessment: str) -> dict:
        return {"assessment": ("C:\\Users\\hr\\teamvurdering.csv", assessment.encode(), "text/csv"),
                "target": ("målprofil.yaml", TARGET.encode(), "application/yaml")}

    r = client.post("/api/gaps/upload", files=upload(ASSESSMENT))
    assert r.status_code == 422
    _no_paths(r.text)
    assert r.json()["error"]["message"].startswith("teamvurdering.csv: line 3")
    r = client.post("/api/gaps/upload", files=upload(GOOD_ASSESSMENT))
    assert r.status_code == 200, r.text
    _no_paths(r.text)
    assert (r.json()["analysis"]["assessment"], r.json()["analysis"]["target"]) == ("teamvurdering.csv", "målprofil.yaml")


def test_healthz_and_feed_errors_show_no_folder(client: TestClient) -> None:
    db = client.app.state.service.config.db
    health = client.get("/healthz")
    assert health.status_code == 200 and str(db.parent) not in health.text
    assert health.json()["catalogue"]["file"] == "catalogue.duckdb"
    r = client.post("/api/admin/ingest", headers={"X-API-Key": KEY},
                    files={"feed": ("kurser.jsonl", b"\n\n", "application/x-ndjson")})
    assert r.status_code == 422 and r.json()["error"]["message"].startswith("kurser.jsonl")
    _no_paths(r.text)


def test_a_catalogue_that_cannot_be_read_is_named_without_its_folder(tmp_path) -> None:
    from service.app import create_app
    from service.state import ServiceConfig

    db = tmp_path / "catalogue.duckdb"
    db.write_bytes(b"not a catalogue\n" * 64)  # a file overwritten by something else
    with TestClient(create_app(ServiceConfig(db=db), warm=False)) as client:
        api = client.get("/api/courses")
        page = client.get("/", headers={"Accept": "text/html"})
        metrics = client.get("/metrics")  # a scraper gets the API's JSON error, not the web page's
    assert api.status_code == 503 and page.status_code == 503
    assert metrics.status_code == 503 and metrics.json()["error"]["message"].startswith("the catalogue is not available")
    assert api.json()["error"]["message"].startswith("the catalogue is not available: catalogue.duckdb is not a")
    assert "kataloget kan ikke læses lige nu" in page.text and "catalogue.duckdb" in page.text
    for answer in (api, page):
        assert str(tmp_path) not in answer.text, answer.text


def test_server_paths_are_left_out_of_whole_paths_only(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pathlib import Path

    from service.server_paths import without_server_paths

    folder = tmp_path / "data"
    text = f"{folder}/catalogue.duckdb is locked; see {folder}, not {folder}-old/x nor {tmp_path}/metadata/y"
    assert without_server_paths(text, folders=[folder]) == (
        f"catalogue.duckdb is locked; see ., not {folder}-old/x nor {tmp_path}/metadata/y")
    monkeypatch.chdir(tmp_path)  # a folder given relative is found in its absolute form too
    assert without_server_paths(f"{folder}/a.csv and data/b.csv, metadata/c", folders=[Path("data")]) == (
        "a.csv and b.csv, metadata/c")
    registry = tmp_path / "etc" / "sources.yaml"
    assert without_server_paths(f"{registry}: line 3", files=[registry]) == "sources.yaml: line 3"
