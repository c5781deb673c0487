"""Small findings of a probe of `fagmatch serve` (issue 24): deeply nested JSON is a 4xx, a course URL
with a line break stays inside its Markdown link, course ids with '/' open in the API, the web page's
answer to a too-large upload is Danish and shows the form again, and API messages read as plain words."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from matcher.ingest import ingest_file
from matcher.plan import build_plan, render_plan_markdown
from tests.conftest import SLASHED_ID as SLASHED
from tests.conftest import course_record, write_jsonl
from tests.test_plan import free_text_recommendation



def test_a_url_with_a_line_break_stays_inside_its_markdown_link() -> None:
    document = free_text_recommendation()
    document["results"][0]["url"] = "https://udbyder.example/kursus\n\n# Overtaget\n[klik](javascript:alert(1)) <x>\\"
    text = render_plan_markdown(build_plan(document))
    links = [line for line in text.splitlines() if "[kursusside]" in line]
    assert len(links) == 1 and links[0].endswith("%5C>)"), links
    assert "\n# Overtaget" not in text and "\n[klik]" not in text
    assert re.search(r"\(<[^<>\s\\]+>\)", links[0])


def test_ingest_drops_line_breaks_from_urls(tmp_path: Path) -> None:
    db = tmp_path / "catalogue.duckdb"
    ingest_file(db, write_jsonl(tmp_path / "feed.jsonl", [course_record(1, url="https://udbyder.example/kurser/\n1")]))
    from matcher.store import open_catalogue

    with open_catalogue(db) as reader:
        assert reader.course("test-1").url == "https://udbyder.example/kurser/1"


@pytest.fixture
def client(service_client: TestClient) -> TestClient:
    return service_client


DEEP = '{"gaps":' + "[" * 50_000 + "]" * 50_000 + "}"


@pytest.mark.slow
def test_deeply_nested_json_is_refused_not_a_500(client: TestClient) -> None:
    page = client.post("/team/plan", params={"format": "md"}, data={"anbefaling": DEEP})
    assert page.status_code == 422 and "indlejret for dybt" in page.text
    page = client.post("/team/plan", params={"format": "md"}, data={"anbefaling": '{"a":' * 5000 + "1" + "}" * 5000})
    assert page.status_code == 422
    api = client.post("/api/plan", content=DEEP, headers={"Content-Type": "application/json"})
    assert api.status_code == 400 and "nested too deeply" in api.json()["error"]["message"]
    # a Danish client's Windows-1252 body: the message names the encoding as a possible cause
    latin = client.post("/api/recommendations", content='{"text": "ældre ledige"}'.encode("cp1252"),
                        headers={"Content-Type": "application/json; charset=windows-1252"})
    assert latin.status_code == 400 and "not UTF-8 text (send JSON in UTF-8)" in latin.json()["error"]["message"]


@pytest.mark.slow
def test_course_ids_with_a_slash_open_in_the_api(client: TestClient) -> None:
    for path in (SLASHED, SLASHED.replace("/", "%2F")):
        response = client.get(f"/api/courses/{path}")
        assert response.status_code == 200, response.text
        assert response.json()["course"]["id"] == SLASHED
    assert client.get(f"/kursus/{SLASHED}").status_code == 200
    assert client.get("/api/courses/no/such/course").status_code == 404


@pytest.mark.slow
@pytest.mark.parametrize("path, form", [("/team/vurdering", 'name="vurdering_fil"'), ("/team/behov", 'name="behov_fil"'),
                                        ("/udbydere/tjek", 'name="beskrivelse"')])
def test_a_too_large_upload_gets_the_form_again_in_danish(client: TestClient, path: str, form: str) -> None:
    big = b"employee,lov_myndighed\n" + b"AB,3\n" * 900_000  # 4.5 MB, over the service's 4 MB body limit
    response = client.post(path, files={"vurdering_fil": ("vurdering.csv", big, "text/csv")})
    assert response.status_code == 413
    assert '<html lang="da"' in response.text
    assert "fylder mere end 4000 kB" in response.text
    assert "the request body" not in response.text
    assert form in response.text  # the form is there to try again


@pytest.mark.slow
def test_api_messages_read_as_plain_words(client: TestClient) -> None:
    both = client.post("/api/recommendations", json={"text": "jura", "survey_csv": "a,b"}).json()["error"]["message"]
    assert both == "give exactly one of text, gaps, survey_csv, or assessment_csv (with target)"
    broken = client.post("/api/recommendations", content=b"{not json", headers={"Content-Type": "application/json"})
    message = broken.json()["error"]["message"]
    assert broken.status_code == 422 and message.startswith("the request body is not valid JSON: ")
    assert "at character 2" in message and "JSON decode error" not in message
    field = client.post("/api/recommendations", json={"text": "jura", "top": 0}).json()["error"]["message"]
    assert field.startswith("top: ") and "Value error" not in field
