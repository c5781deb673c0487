"""The JSON API over a real, tagged catalogue file: search, detail, gaps, recommendations, plan,
coverage, draft tagging, saved analyses, feeds, health, and the one error shape."""

from __future__ import annotations

import csv
import gc
import io
import json
import shutil
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from matcher.gap_table import GapTable
from service.analyses import AnalysisStore
from service.app import create_app
from service.state import STALE_CHECK_SECONDS, ServiceConfig
from tests.conftest import BUNDLED_TARGET, TEAM_OF_FOUR, draft_slot_taken
from tests.test_gap_level import BASIC_PHRASINGS, ENGLISH_BASIC, ENGLISH_SPECIALISED, SPECIALISED_PHRASINGS

pytestmark = pytest.mark.slow
KEY = "test-key"


@pytest.fixture(scope="module")
def client(tagged_catalogue: Path, tmp_path_factory: pytest.TempPathFactory):
    db = tmp_path_factory.mktemp("api") / "catalogue.duckdb"
    shutil.copy(tagged_catalogue, db)  # this module writes (ingest, analyses)
    with TestClient(create_app(ServiceConfig(db=db, api_key=KEY)), raise_server_exceptions=False) as c:
        yield c


def _error(response) -> str:
    body = response.json()
    assert set(body) == {"error"} and body["error"]["status"] == response.status_code
    return body["error"]["message"]


def test_search_and_detail(client: TestClient) -> None:
    page = client.get("/api/courses", params={"q": "sygedagpenge", "per_page": 5}).json()
    assert page["total"] >= 1 and page["items"][0]["course"]["id"] == "nordhavn-dib-sygedagpenge-2027"
    slip = client.get("/api/courses", params={"q": "sygedagpnge", "per_page": 5}).json()  # a letter left out
    assert [i["course"]["id"] for i in slip["items"]] == [i["course"]["id"] for i in page["items"]]
    filtered = client.get("/api/courses", params={"field": "it_digital", "form": "online"}).json()
    # a provider by its name or part of it, in any case, as on the web page; a name no provider has is said
    name = client.get("/api/providers").json()[0]["provider"]
    by_name = client.get("/api/courses", params={"provider": name, "per_page": 100}).json()
    by_part = client.get("/api/courses", params={"provider": name.split()[-1].lower(), "per_page": 100}).json()
    assert by_name["total"] > 0 and by_part["total"] >= by_name["total"]
    assert {i["course"]["provider"] for i in by_name["items"]} == {name}
    unknown = client.get("/api/courses", params={"provider": "Ingen Sådan Udbyder"})
    assert unknown.status_code == 422 and _error(unknown) == "provider: no provider is named or contains 'Ingen Sådan Udbyder'"
    assert all(i["course"]["form"] == "online" and "it_digital" in i["tags"]["assigned_fields"] for i in filtered["items"])
    detail = client.get("/api/courses/nordhavn-dib-sygedagpenge-2027").json()
    assert detail["tags"]["level"] == "specialiseret" and "lov_myndighed" in detail["why"]
    assert detail["course"]["course_type"] == detail["tags"]["course_type"] == "diplom"
    assert detail["transfer"]["factors_present"]


def test_search_pages_have_the_documented_shape(client: TestClient) -> None:
    """Search writes its JSON around pre-rendered records: it must be what the CourseOut model says,
    value for value, including the Danish letters, scores and start dates."""
    from service.api import SearchOut, course_out

    index = client.app.state.service.index
    for params in ({"q": "sygedagpengeloven jobafklaring", "per_page": 7}, {"sort": "title", "page": 2, "per_page": 5}):
        response = client.get("/api/courses", params=params)
        assert response.headers["content-type"] == "application/json"
        page = SearchOut.model_validate_json(response.content)
        assert page.items
        for item in response.json()["items"]:
            hit = index.get(item["course"]["id"])
            expected = course_out(hit).model_dump(mode="json")
            expected["score"] = item["score"]  # the hit's score depends on the query, `get` has none
            assert item == expected
    assert client.get("/api/courses").json()["notices"] == []
    skagen = client.get("/api/courses", params={"location": "Skagen"}).json()
    assert skagen["items"] and skagen["notices"] == [
        "no course that meets the constraints is held in Skagen; the courses found are online or rekvirerbar, which suit any place"]
    scored = client.get("/api/courses", params={"q": "sygedagpenge"}).json()["items"]
    assert all(isinstance(i["score"], float) and i["score"] > 0 for i in scored)
    assert any("ø" in json.dumps(i["course"], ensure_ascii=False) for i in client.get("/api/courses").json()["items"])



def test_the_feed_says_which_courses_one_can_still_apply_for_as_search_lists_them(client: TestClient) -> None:
    listed = client.get("/api/courses", params={"per_page": 100}).json()
    feed = client.get("/feed/courses.json", params={"per_page": 500}).json()["items"]
    assert {i["course"]["id"] for i in listed["items"]} == {i["id"] for i in feed if i["can_apply"]}
    assert any(not i["can_apply"] and not i["withdrawn"] for i in feed), "the sample has no closed course"
    by_id = {i["id"]: i for i in feed}
    for item in listed["items"]:  # the open starts are the ones search lists, first the next
        opened = by_id[item["course"]["id"]]["open_starts"]
        assert (opened[0] if opened else None) == item["next_start"]
    rows = list(csv.DictReader(io.StringIO(client.get("/feed/courses.csv").text)))
    assert {r["id"] for r in rows if r["can_apply"] == "true"} == {i["id"] for i in feed if i["can_apply"]}


def test_a_course_states_its_times_as_the_feed_does(client: TestClient) -> None:
    course = client.get("/api/courses", params={"per_page": 1}).json()["items"][0]["course"]
    detail = client.get(f"/api/courses/{course['id']}").json()["course"]
    item = next(i for i in client.get("/feed/courses.json", params={"per_page": 500}).json()["items"] if i["id"] == course["id"])
    assert course["first_seen"].endswith("Z") and detail["first_seen"] == course["first_seen"] == item["first_seen"]
    assert detail["last_seen"] == course["last_seen"] == item["last_seen"]


def test_start_date_order_is_as_documented(client: TestClient) -> None:
    items = client.get("/api/courses", params={"sort": "start_date", "per_page": 100}).json()["items"]
    off = [not i["tags"]["assigned_fields"] and i["tags"]["model"] is not None for i in items]
    assert off == sorted(off) and any(off) and not all(off)  # courses outside the domain after all others
    for group in (False, True):
        starts = [i["next_start"] for i, o in zip(items, off) if o == group]
        dated = [d for d in starts if d is not None]
        assert starts == dated + [None] * (len(starts) - len(dated)) and dated == sorted(dated)
    spec = client.get("/openapi.json").json()["paths"]["/api/courses"]["get"]["parameters"]
    assert "come after all others" in next(p for p in spec if p["name"] == "sort")["description"]
    # what passes a filter without the value it filters on is said, and a client may ask for dated courses only
    described = {p["name"]: p.get("description", "") for p in spec}
    assert "price is not known passes" in described["max_price"] and "not included" in described["start_before"]
    window = {"start_from": "2027-01-01", "start_before": "2028-01-01"}
    undated = client.get("/api/courses", params={**window, "per_page": 100}).json()
    dated = client.get("/api/courses", params={**window, "per_page": 100, "include_undated": "false"}).json()
    assert any(item["next_start"] is None for item in undated["items"]), "the sample has no undated course"
    assert dated["items"] and all(item["next_start"] for item in dated["items"])
    assert dated["total"] == undated["total"] - sum(item["next_start"] is None for item in undated["items"])


def test_bad_input_is_a_4xx_in_one_shape(client: TestClient) -> None:
    assert "unknown field key 'jura'" in _error(client.get("/api/courses", params={"field": "jura"}))
    assert client.get("/api/courses", params={"per_page": 0}).status_code == 422
    r = client.get("/api/courses", params={"max_price": "inf"})
    assert r.status_code == 422 and "max_price: Input should be a finite number" in _error(r)
    r = client.get("/api/courses", params={"start_from": "2027-05-01", "start_before": "2027-01-01"})
    assert r.status_code == 422 and "start window is empty" in _error(r)
    assert client.get("/api/courses/no-such-course").status_code == 404
    r = client.post("/api/recommendations", json={"text": "jura", "survey_csv": "a,b"})
    assert r.status_code == 422 and "exactly one" in _error(r)
    r = client.post("/api/gaps", json={"survey_csv": "rolle,XX99\nmedarbejder,3\n"})
    assert r.status_code == 422 and "XX99" in _error(r)
    r = client.post("/api/recommendations", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422
    for content_type in ("text/plain", "text/json", "application/x-www-form-urlencoded", None):
        headers = {"content-type": content_type} if content_type else {}
        r = client.post("/api/recommendations", content=b'{"text": "sygedagpenge"}', headers=headers)
        assert r.status_code == 415 and "Content-Type: application/json" in _error(r), content_type
    big = client.post("/api/tag-draft", content=b"x" * 4_500_000, headers={"content-type": "application/json"})
    assert big.status_code == 413 and "larger than 4000 kB" in _error(big)

    def chunks(body: bytes):  # sent chunked: no Content-Length to check up front
        yield from (body[i:i + 65536] for i in range(0, len(body), 65536))

    big = client.post("/api/tag-draft", content=chunks(b"x" * 4_500_000), headers={"content-type": "application/json"})
    assert big.status_code == 413 and "larger than 4000 kB" in _error(big)
    # the largest answer POST /api/recommendations may give (about 3 MB) is a body POST /api/plan takes
    answer = {"gaps": [{"id": "g1", "fields": ["lov_myndighed"]}], "results": [], "padding": "x" * 3_000_000}
    assert client.post("/api/plan", json=answer).status_code != 413
    draft = json.dumps({"title": "Jobafklaring", "description": "Sygedagpenge og jobafklaring i praksis."}).encode()
    ok = client.post("/api/tag-draft", content=chunks(draft), headers={"content-type": "application/json"})
    assert ok.status_code == 200 and ok.json()["id"] == "draft"
    bad = client.post("/api/tag-draft", content=b"{}", headers={"content-type": "application/json", "content-length": "x"})
    assert bad.status_code == 400 and "must be a number" in _error(bad)
    infinite = client.post("/api/recommendations", content=b'{"text": "jura", "constraints": {"max_price": Infinity}}',
                           headers={"content-type": "application/json"})
    assert infinite.status_code == 422 and "constraints.max_price" in _error(infinite)  # was applied as no ceiling
    gap = {"id": "g1", "fields": ["lov_myndighed"]}
    for dimension in ("bogus", "", "Praktisk"):  # were 500s (transfer notes know three dimensions)
        r = client.post("/api/recommendations", json={"gaps": [{**gap, "dimension": dimension}], "top": 2})
        assert r.status_code == 422 and f"unknown dimension {dimension!r}: use praktisk, refleksiv, relationel" in _error(r)
    r = client.post("/api/recommendations", json={"gaps": [gap, {**gap, "fields": ["it_digital"]}], "top": 2})
    assert r.status_code == 422 and "gaps[1].id: gap id 'g1' appears twice: give each gap its own id" in _error(r)  # its results could not be told apart
    r = client.post("/api/recommendations", json={"gaps": [{**gap, "priority_rank": 10**30}], "top": 2})
    assert r.status_code == 422 and "priority_rank" in _error(r)  # was a 500 (an integer past 64 bits)
    # a name longer than a gap keeps is said with its line, in every way an assessment comes in (were 500s)
    long_name = TEAM_OF_FOUR.replace("\nAB;", "\n" + "A" * 300 + ";", 1)
    team = {"assessment_csv": long_name, "target": BUNDLED_TARGET.read_text(encoding="utf-8")}
    for path in ("/api/gaps", "/api/recommendations"):
        r = client.post(path, json=team)
        assert r.status_code == 422 and "line 2, column employee: a name of 300 characters; write at most 200" in _error(r), path
    for path in ("/api/gaps", "/api/recommendations"):  # a target without an assessment would be ignored
        r = client.post(path, json={"text": "forvaltningsret", "target": "garbage: ["})
        assert r.status_code == 422 and "target goes with assessment_csv" in _error(r), path
    for path in ("/api/gaps", "/api/recommendations"):  # control characters alone are no words (were a confident gap)
        r = client.post(path, json={"text": "\u0000\u0001 \u0007"})
        assert r.status_code == 422 and "describe the gap in words" in _error(r), path
        for nothing in ("og i på", "?", "🙂 …"):  # ranked by nothing, they had five confident courses
            r = client.post(path, json={"text": nothing})
            assert r.status_code == 422 and "the words hold nothing to search by" in _error(r), (path, nothing)
    r = client.put("/api/analyses")  # the 405 names every method of the path (the GET and the POST route)
    assert r.status_code == 405 and r.headers["allow"] == "GET, HEAD, POST" and "PUT is not allowed" in _error(r)
    r = client.post("/feed/courses.json")
    assert r.status_code == 405 and r.headers["allow"] == "GET, HEAD, OPTIONS"
    assert client.head("/feed/courses.json").status_code == 200


def test_a_gap_in_words_for_several_learners_gets_a_team_s_steps(client: TestClient) -> None:
    text = "grundlæggende træning i motiverende samtaler"
    one = client.post("/api/recommendations", json={"text": text, "top": 1}).json()
    six = client.post("/api/recommendations", json={"text": text, "top": 1, "learners": 6}).json()
    assert (one["gaps"][0]["learners"], six["gaps"][0]["learners"]) == (1, 6)
    before = " ".join(six["results"][0]["transfer"]["steps"]["before"]["actions"])
    assert "de seks deltagere" in before and "Lad medarbejderen samle" not in before
    r = client.post("/api/recommendations", json={"gaps": six["gaps"], "learners": 2})
    assert r.status_code == 422 and "learners goes with text" in _error(r)
    assert client.post("/api/recommendations", json={"text": text, "learners": 0}).status_code == 422


def test_a_client_s_gap_without_a_dimension_gets_its_field_s_learning_forms(client: TestClient) -> None:
    gap = {"id": "g1", "fields": ["borgernaere_metoder"], "level": "grundlaeggende", "learners": 3}
    document = client.post("/api/recommendations", json={"gaps": [gap], "top": 2}).json()
    dimension = document["gaps"][0]["dimension"]
    assert dimension in ("praktisk", "refleksiv", "relationel")  # the field's, as a team's gap gets it
    transfer = document["results"][0]["transfer"]
    assert transfer["learning_forms"] and "Gabet ligger i" in transfer["note"]
    stated = client.post("/api/recommendations", json={"gaps": [{**gap, "dimension": "praktisk"}], "top": 2}).json()
    assert stated["gaps"][0]["dimension"] == "praktisk"


def test_recommendations_and_plan(client: TestClient) -> None:
    document = client.post("/api/recommendations", json={
        "text": "vi mangler specialiseret viden om sygedagpengeloven", "top": 3, "constraints": {"max_price": 20000},
    }).json()
    assert document["results"][0]["course_id"] == "nordhavn-dib-sygedagpenge-2027"
    from service.api import RecommendationOut  # the schema /docs shows is what comes back, key for key

    RecommendationOut.model_validate(document)
    spec = client.get("/openapi.json").json()["paths"]["/api/recommendations"]["post"]["responses"]["200"]
    assert spec["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/RecommendationOut"}
    assert document["results"][0]["transfer"]["note"]
    plan = client.post("/api/plan", params={"format": "csv"}, json=document)
    assert plan.status_code == 200 and plan.headers["content-type"].startswith("text/csv") and "Formål" in plan.text
    md = client.post("/api/plan", params={"format": "md"}, json=document)
    assert md.status_code == 200 and "Uddannelsesplan" in md.text
    assert client.post("/api/plan", json={"gaps": []}).status_code == 422
    # a provider is named as in search: part of the name will do
    nordhavn = client.post("/api/recommendations", json={
        "text": "vi mangler specialiseret viden om sygedagpengeloven", "top": 3, "constraints": {"providers": ["nordhavn"]}})
    assert nordhavn.status_code == 200 and {r["provider"] for r in nordhavn.json()["results"]} == {"Professionshøjskolen Nordhavn"}
    nobody = client.post("/api/recommendations", json={"text": "jura", "constraints": {"providers": ["Findes Ikke"]}})
    assert nobody.status_code == 422 and "no provider is named or contains 'Findes Ikke'" in _error(nobody)
    # the user's level wins over the words'; it goes with words only
    text = "samtaler med vrede borgere for nye medarbejdere"
    assert client.post("/api/recommendations", json={"text": text}).json()["gaps"][0]["level"] == "grundlaeggende"
    chosen = client.post("/api/recommendations", json={"text": text, "level": "specialiseret"})
    assert chosen.status_code == 200 and chosen.json()["gaps"][0]["level"] == "specialiseret"
    assert client.post("/api/recommendations", json={"text": text, "level": "ekspert"}).status_code == 422
    gaps_with_level = client.post("/api/recommendations", json={"gaps": chosen.json()["gaps"], "level": "grundlaeggende"})
    assert gaps_with_level.status_code == 422 and "level goes with text" in _error(gaps_with_level)


def test_level_words_decide_the_level_of_a_gap_in_words(client: TestClient) -> None:
    for level, texts in (("grundlaeggende", BASIC_PHRASINGS + ENGLISH_BASIC[:2]),
                         ("specialiseret", SPECIALISED_PHRASINGS + ENGLISH_SPECIALISED[:2])):
        other = "specialiseret" if level == "grundlaeggende" else "grundlaeggende"
        for text in texts:
            response = client.post("/api/recommendations", json={"text": text, "top": 3})
            assert response.status_code == 200, response.text
            gap = response.json()["gaps"][0]
            assert (gap["level"], gap["level_read_by"]) == (level, "level words"), text
            assert gap["level_words"]
            chosen = client.post("/api/recommendations", json={"text": text, "top": 3, "level": other}).json()["gaps"][0]
            assert (chosen["level"], chosen["level_read_by"]) == (other, "choice"), text  # the user's level wins
    impossible = client.post("/api/recommendations", json={"text": "jura", "constraints": {"max_price": 0, "forms": ["rekvirerbar"], "include_undated": False}})
    assert impossible.status_code == 422 and "loosen one" in _error(impossible)


def test_team_of_four_end_to_end_split_gaps_reasons_and_a_plan(client: TestClient) -> None:
    """Issue 23's scenario through the API: assessment + bundled target → split gaps → plan."""
    document = client.post("/api/recommendations", json={
        "assessment_csv": TEAM_OF_FOUR, "target": BUNDLED_TARGET.read_text(encoding="utf-8"), "top": 3,
    })
    assert document.status_code == 200, document.text
    document = document.json()
    from service.api import RecommendationOut

    RecommendationOut.model_validate(document)  # with a team's analysis and split gaps, too
    parts = {(g["field"], g["part"]): g for g in document["gaps"]}
    law, law_resource = parts[("lov_myndighed", "basic")], parts[("lov_myndighed", "resource")]
    assert (law["employees"], law["level"], law["target_level"]) == (["AB", "CD"], "grundlaeggende", 3)
    assert (law_resource["employees"], law_resource["level"], law_resource["target_level"]) == (["EF"], "specialiseret", 4)
    assert all(min(g["levels"].values()) > 2 for g in document["gaps"] if g["level"] == "specialiseret" and g["levels"])
    answered = {r["gap_id"] for r in document["results"]}
    assert all(g["id"] in answered or g["why_no_courses"] for g in document["gaps"])
    assert document["analysis"]["fields"][-1]["status"] == "individual"  # Arbejdsmarked & Uddannelse: gap −0.25
    plan = client.post("/api/plan", params={"format": "json"}, json=document)
    assert plan.status_code == 200, plan.text
    rows = plan.json()["rows"]
    for person in ("AB", "CD", "EF", "GH"):
        periods = sorted((r["start"], r["end"]) for r in rows if person in r["learners"] and r["start"])
        assert all(a[1] < b[0] for a, b in zip(periods, periods[1:])), (person, periods)  # no two at once
    assert any("Advarsel:" in r["resources"] for r in rows)  # a 10-ECTS module is more than a day a week
    assert all("mindst trin" not in goal for r in rows for goal in r["learning_goals"])
    assert plan.json()["rules"]["hours_per_ects"] == 27.5
    # the same team saved as Excel's "Unicode-tekst" (UTF-16 with a mark, tabs) or as a workbook reads the same
    from matcher.gaps import template_bytes
    from matcher.taxonomy import load_taxonomy

    target = ("target.yaml", BUNDLED_TARGET.read_bytes(), "application/yaml")
    unicode_text = b"\xff\xfe" + TEAM_OF_FOUR.replace(";", "\t").encode("utf-16-le")
    upload = client.post("/api/gaps/upload", files={"assessment": ("hold.txt", unicode_text, "text/plain"), "target": target})
    assert upload.status_code == 200, upload.text
    assert [(g["field"], g["part"], g["employees"]) for g in upload.json()["gaps"]] == [
        (g["field"], g["part"], g["employees"]) for g in document["gaps"]]
    workbook = template_bytes("proficiency-assessment", load_taxonomy(), "xlsx")
    assert client.post("/api/gaps/upload", files={"assessment": ("hold.xlsx", workbook, "application/octet-stream"),
                                                  "target": target}).status_code == 200


def test_team_gaps_from_json_and_upload(client: TestClient) -> None:
    fields = [f["key"] for f in client.get("/api/taxonomy").json()["fields"]]
    rows = ["employee," + ",".join(fields)] + [f"E{i}," + ",".join("2" if k == "lov_myndighed" else "3" for k in fields) for i in range(4)]
    target = {"fields": {k: {"required_level": 3, "specialists": 1 if k == "lov_myndighed" else 0} for k in fields}}
    nonsense = client.post("/api/gaps", json={"text": "qwerty asdf"}).json()
    assert "do not read as a competence need" in nonsense["notices"][0]  # as /api/recommendations says it
    assert client.post("/api/gaps", json={"text": "vi mangler viden om sygedagpengeloven"}).json()["notices"] == []
    gaps = client.post("/api/gaps", json={"assessment_csv": "\n".join(rows), "target": target}).json()
    assert gaps["gaps"][0]["field"] == "lov_myndighed" and gaps["analysis"]["kind"] == "assessment"
    upload = client.post("/api/gaps/upload", files={
        "assessment": ("team.csv", ("\n".join(rows)).encode("cp1252"), "text/csv"),
        "target": ("target.json", json.dumps(target).encode(), "application/json"),
    })
    assert upload.status_code == 200 and upload.json()["gaps"][0]["learners"] == 4
    broken = client.post("/api/gaps/upload", files={  # a broken JSON target is told as JSON, by the name it came with
        "assessment": ("team.csv", ("\n".join(rows)).encode(), "text/csv"),
        "target": ("t.json", b'{"fields": ', "application/json"),
    })
    assert broken.status_code == 422 and "t.json: line 1: not valid JSON at column" in _error(broken), broken.text
    assert upload.json()["notices"] == []
    misspelt = client.post("/api/gaps/upload", data={"bogus": "1"}, files={
        "assessment": ("team.csv", "\n".join(rows).encode(), "text/csv"),
        "target": ("target.json", json.dumps(target).encode(), "application/json"),
    })
    assert misspelt.status_code == 422 and "unknown form field(s) bogus" in _error(misspelt)
    # Excel's Danish default: read, and said, so a user can check the names
    danish = [rows[0]] + [f"{name}," + row.split(",", 1)[1] for name, row in zip(("Søren", "Åse", "Bjørn", "Æble"), rows[1:])]
    legacy = client.post("/api/gaps/upload", files={
        "assessment": ("hold.csv", "\n".join(danish).encode("cp1252"), "text/csv"),
        "target": ("target.json", json.dumps(target).encode(), "application/json"),
    })
    assert legacy.status_code == 200, legacy.text
    assert legacy.json()["gaps"][0]["employees"] == ["Søren", "Åse", "Bjørn", "Æble"]
    assert any("hold.csv" in n and "Windows-1252" in n for n in legacy.json()["notices"])
    undecodable = client.post("/api/gaps/upload", files={
        "assessment": ("hold.csv", b"employee,lov_myndighed\nE1,\x81\x8d", "text/csv"),
        "target": ("target.json", json.dumps(target).encode(), "application/json"),
    })
    assert undecodable.status_code == 422 and "save the file as UTF-8" in _error(undecodable)
    huge = client.post("/api/gaps/upload", files={
        "assessment": ("hold.csv", b"employee,lov_myndighed\n" + b"E,3\n" * 300_000, "text/csv"),
        "target": ("target.json", json.dumps(target).encode(), "application/json"),
    })
    assert huge.status_code == 413 and _error(huge) == "hold.csv: larger than 1000 kB"
    # Half a team input is a 422 that names the form's fields, never a 500.
    team_file = ("hold.csv", "\n".join(rows).encode(), "text/csv")
    target_file = ("target.json", json.dumps(target).encode(), "application/json")
    for files, data, message in (
        ({"assessment": team_file}, None, "assessment needs target: upload the target profile (YAML or JSON) with it"),
        ({"target": target_file}, None, "target goes with assessment: upload the team's proficiency assessment with it"),
        ({"assessment": team_file, "target": target_file}, {"text": "hej"},
         "give exactly one of: survey, assessment (with target), or text"),
        ({"survey": ("behov.csv", b"", "text/csv")}, None, "behov.csv: the file is empty"),
    ):
        half = client.post("/api/gaps/upload", files=files, data=data)
        assert half.status_code == 422 and half.headers["content-type"] == "application/json", (files, half.text)
        assert _error(half) == message
    recs = client.post("/api/recommendations", json={"gaps": gaps["gaps"][:1], "top": 2}).json()
    assert len(recs["results"]) == 2
    # Straight from the team's files: the analysis (counts, shares, levels) travels in the answer.
    direct = client.post("/api/recommendations", json={"assessment_csv": "\n".join(rows), "target": target, "top": 2})
    assert direct.status_code == 200, direct.text
    assert direct.json()["analysis"]["kind"] == "assessment" and direct.json()["gaps"][0]["field"] == "lov_myndighed"
    survey = (Path(__file__).resolve().parents[1] / "matcher" / "data" / "templates" / "needs-survey.csv").read_text(encoding="utf-8")
    needs = client.post("/api/recommendations", json={"survey_csv": survey, "top": 2})
    assert needs.status_code == 200, needs.text
    assert needs.json()["analysis"]["kind"] == "survey" and needs.json()["results"]


def test_providers_coverage_and_draft(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    providers = client.get("/api/providers").json()
    name = providers[0]["provider"]
    coverage = client.get("/api/coverage", params={"provider": name})
    assert coverage.status_code == 200
    # a provider's courses are counted as search finds them, and the ones whose starts have all closed apart
    for entry in providers:
        found = client.get("/api/courses", params={"provider": entry["provider"]}).json()["total"]
        closed = len(client.get("/api/coverage", params={"provider": entry["provider"]}).json()["closed_courses"])
        assert entry["courses"] == found and entry["active_courses"] == found + closed, entry
    assert any(entry["active_courses"] > entry["courses"] for entry in providers), "no closed course in the sample"
    assert client.get("/api/coverage", params={"provider": "Ingen Sådan Udbyder"}).status_code == 404
    # named as search names a provider (and the page): in another case, or by part of the name
    part = next(w for w in name.split() if sum(w.casefold() in p["provider"].casefold() for p in providers) == 1)
    for typed in (name.lower(), part):
        assert client.get("/api/coverage", params={"provider": typed}).json()["provider"] == name, typed
    common = next(w for p in providers for w in p["provider"].split() if sum(w in q["provider"] for q in providers) > 1)
    several = client.get("/api/coverage", params={"provider": common})
    assert several.status_code == 422 and "give more of the name" in _error(several)
    draft = client.post("/api/tag-draft", json={"title": "Fleksjob og ressourceforløb i praksis",
                                                "description": "Kurset giver indgående viden om reglerne for fleksjob, ressourceforløb og jobafklaring, med cases fra egen praksis."})
    assert draft.status_code == 200 and "lov_myndighed" in draft.json()["assigned_fields"]
    blank = client.post("/api/tag-draft", json={"title": "Fleksjob", "description": "   \n  "})
    assert blank.status_code == 422 and _error(blank).startswith("description:")  # as for an empty one
    # control characters are dropped, as from a course record: alone they are an empty text, not a 500
    for title, description, field in (("\u0001\u0002", "Jura for sagsbehandlere", "title"), ("Fleksjob", "\u0007", "description")):
        controls = client.post("/api/tag-draft", json={"title": title, "description": description})
        assert controls.status_code == 422 and _error(controls).startswith(f"{field}:"), controls.text
    # one draft at a time per worker: a second one waits, then is told to try again
    with draft_slot_taken(client, monkeypatch):
        busy = client.post("/api/tag-draft", json={"title": "Udkast", "description": "Jobafklaring i praksis."})
    assert busy.status_code == 503 and "try again" in _error(busy) and busy.headers["Retry-After"] == "3"
    assert client.post("/api/tag-draft", json={"title": "Udkast", "description": "Jobafklaring i praksis."}).status_code == 200
    assert client.get("/api/courses", params={"q": "Fleksjob og ressourceforløb i praksis"}).json()["total"] >= 0


def test_saved_analyses_need_the_key_and_can_be_deleted(client: TestClient) -> None:
    gap = {"id": "g1", "fields": ["it_digital"], "level": "grundlaeggende", "employees": ["Anna Testesen"],
           "levels": {"Anna Testesen": 2.0}, "learners": 1, "proficiency": 2.0,
           "skip": "Anna Testesen short of step 3 by less than 0.5 of a step: follow it up in the yearly appraisal"}
    refused = client.post("/api/analyses", json={"name": "Team A", "gaps": [gap]})
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == 'Bearer realm="fagmatch"'
    saved = client.post("/api/analyses", json={"name": "Team A", "gaps": [gap]}, headers={"X-API-Key": KEY})
    assert saved.status_code == 201 and saved.headers["cache-control"] == "no-store"
    kept = saved.json()["gaps"][0]
    assert {"employees", "levels", "proficiency", "skip"}.isdisjoint(kept)  # no person is kept
    assert (kept["fields"], kept["level"], kept["learners"]) == (["it_digital"], "grundlaeggende", 1)  # the demand is
    store = AnalysisStore.for_catalogue(client.app.state.service.config.db).path
    assert b"Testesen" not in store.read_bytes()  # the steps by name were kept until 2026-12-07
    unknown = client.post("/api/analyses", json={"name": "Team B", "gaps": [{**gap, "fields": [""]}]}, headers={"X-API-Key": KEY})
    assert unknown.status_code == 422 and "unknown field key ''" in _error(unknown)  # was a 500 (KeyError)
    twice = client.post("/api/analyses", json={"name": "Team B", "gaps": [gap, gap]}, headers={"X-API-Key": KEY})
    assert twice.status_code == 422 and "gap id 'g1' appears twice" in _error(twice)
    for scheme in ("bearer", "BEARER"):
        assert client.get("/api/analyses", headers={"Authorization": f"{scheme} {KEY}"}).status_code == 200
    assert client.get("/api/analyses", headers={"Authorization": KEY}).status_code == 401  # a key needs its scheme
    listed = client.get("/api/analyses", headers={"Authorization": f"Bearer {KEY}"}).json()
    assert [a["name"] for a in listed] == ["Team A"]
    assert client.delete(f"/api/analyses/{saved.json()['id']}", headers={"X-API-Key": KEY}).status_code == 204
    huge = client.delete(f"/api/analyses/{2**63}", headers={"X-API-Key": KEY})  # was a 500 (SQLite overflow)
    assert huge.status_code == 422 and "analysis_id: Input should be less than or equal to" in _error(huge)
    assert client.get("/api/analyses", headers={"X-API-Key": KEY}).json() == []


def test_feeds_are_conditional(client: TestClient) -> None:
    first = client.get("/feed/courses.json", params={"per_page": 10})
    assert first.status_code == 200 and len(first.json()["items"]) == 10
    again = client.get("/feed/courses.json", params={"per_page": 10}, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert client.get("/feed/atom.xml").headers["content-type"].startswith("application/atom+xml")
    assert client.get("/feed/courses.csv").text.splitlines()[0].startswith("id")
    bad = client.get("/feed/courses.json", params={"since": "not-a-date"})
    assert bad.status_code == 422 and bad.headers["access-control-allow-origin"] == "*"  # a page elsewhere reads why
    # "+01:00" typed into a URL as is arrives as " 01:00": read as the offset (it was a 422), as "%2B01:00" is
    for feed in ("/feed/courses.json", "/feed/courses.csv"):
        plain = client.get(f"{feed}?since=2026-11-20T09:00:00+01:00")
        encoded = client.get(f"{feed}?since=2026-11-20T09:00:00%2B01:00")
        assert plain.status_code == 200 and plain.content == encoded.content, (feed, plain.text[:300])
    assert client.get("/feed/atom.xml?since=2026-11-20T09:00:00+01:00").status_code == 200
    # a browser asks before it sends If-None-Match to another origin
    asked = client.options("/feed/courses.json", headers={"Origin": "https://portal.example", "Access-Control-Request-Method": "GET",
                                                           "Access-Control-Request-Headers": "if-none-match"})
    assert asked.status_code == 204 and asked.headers["access-control-allow-origin"] == "*"
    assert "If-None-Match" in asked.headers["access-control-allow-headers"] and "GET" in asked.headers["access-control-allow-methods"]
    assert client.get("/feed/courses.xml").status_code == 404  # no such feed: not a 405 naming OPTIONS
    # a misspelt parameter is said, not answered as if there were none (all 30 courses, unfiltered)
    for path, params in (("/api/courses", {"fields": "lov_myndighed"}), ("/feed/courses.json", {"sinc": "2026-01-01"})):
        r = client.get(path, params=params)
        assert r.status_code == 422 and f"unknown query parameter(s) {next(iter(params))}; " in _error(r), path
    assert "takes field, form, include_undated, level" in _error(client.get("/api/courses", params={"fields": "x"}))
    # a client that sends every field of its form, the untouched ones empty, gets what it asked for
    blank = {"field": "", "level": "", "max_price": "", "region": "", "page": "", "start_from": ""}
    full = client.get("/api/courses", params={"q": "sygedagpenge", **blank})
    assert full.status_code == 200 and full.json() == client.get("/api/courses", params={"q": "sygedagpenge"}).json()
    assert client.get("/feed/courses.json?since=").content == client.get("/feed/courses.json").content
    # a parameter taken only to be refused with advice is not offered; a path is named as the client writes it
    assert _error(client.get("/feed/fagprofiler.json", params={"sinc": "x"})).endswith("/feed/fagprofiler.json takes none")
    assert _error(client.get("/api/courses/x", params={"y": "1"})).endswith("/api/courses/{course_id} takes none")
    for bad in ("20270101", "2027-13-01", "i morgen"):  # "Datetimes provided to dates should have zero time"
        r = client.get("/api/courses", params={"start_from": bad})
        assert r.status_code == 422 and _error(r) == f"start_from: {bad!r} is not a date: write YYYY-MM-DD, e.g. 2027-01-01"
    twice = client.get("/api/courses", params=[("page", "1"), ("page", "2")])
    assert twice.status_code == 422 and "page given more than once" in _error(twice)
    assert client.get("/api/courses", params=[("field", "lov_myndighed"), ("field", "it_digital")]).status_code == 200
    # a date no calendar holds is no condition: the feed, not a 500
    huge = client.get("/feed/courses.json", headers={"If-Modified-Since": "Mon, 01 Jan 99999999999 00:00:00 GMT"})
    assert huge.status_code == 200
    # A portal's page on another origin may read every feed and its ETag; nothing else is opened up.
    origin = {"Origin": "https://portal.example"}
    for path in ("/feed/courses.json", "/feed/courses.csv", "/feed/atom.xml", "/feed/fagprofiler.json"):
        answer = client.get(path, headers=origin)
        assert answer.headers["access-control-allow-origin"] == "*", path
        assert "ETag" in answer.headers["access-control-expose-headers"]
    assert again.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-origin" not in client.get("/api/analyses", headers={**origin, "X-API-Key": KEY}).headers

    # HEAD: GET's status and headers without the body, for monitors and feed readers; other methods stay 405
    for path in ("/feed/courses.json", "/", "/healthz"):
        head, get = client.head(path), client.get(path)
        assert head.status_code == 200 and head.content == b"", path
        assert head.headers["content-length"] == get.headers["content-length"], path
    assert client.head("/feed/courses.json").headers["etag"] == client.get("/feed/courses.json").headers["etag"]
    assert client.head("/api/gaps").status_code == 405


def test_metrics_give_the_catalogue_s_state_as_prometheus_reads_it(client: TestClient) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    answer = client.get("/metrics")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(answer.text) for s in family.samples}
    health = client.get("/healthz").json()
    assert samples[("fagmatch_courses", (("state", "active"),))] == health["catalogue"]["active"] == 30
    assert samples[("fagmatch_model_loaded", ())] == 1
    model = (("model", health["model"]["version"]),)
    assert samples[("fagmatch_courses_tagged_current_model", model)] == health["catalogue"]["tagged_current"]


def test_healthz_and_openapi(client: TestClient) -> None:
    health = client.get("/healthz").json()
    assert health["status"] == "ok" and health["catalogue"]["active"] == 30 and health["model"]["loaded"]
    assert health["model"]["gap_table"] is True
    tokens = len(GapTable.load().token_ids)
    # (tokens + bias) × courses, for the ranking and for the vote on a gap's field and level
    assert health["model"]["course_products_mb"] == round(2 * (tokens + 1) * 30 * 4 / 2**20, 1)
    spec = client.get("/openapi.json").json()
    assert "/api/recommendations" in spec["paths"]
    errors = spec["paths"]["/api/plan"]["post"]["responses"]["4XX"]["content"]
    assert errors == {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
    assert spec["paths"]["/api/analyses"]["post"]["security"] == [{"ApiKey": []}]


def test_healthz_follows_a_new_catalogue_generation(tagged_catalogue: Path, tmp_path: Path) -> None:
    db = tmp_path / "catalogue.duckdb"
    shutil.copy(tagged_catalogue, db)
    with TestClient(create_app(ServiceConfig(db=db, api_key=KEY))) as client:
        assert client.get("/healthz").json()["catalogue"]["courses"] == 30
        assert client.get("/healthz").json()["catalogue"]["courses"] == 30  # answered from memory
        feed = b'{"id": "ny-1", "title": "Jobsamtaler for nye medarbejdere", "provider": "Testskolen"}\n'
        assert client.post("/api/admin/ingest", files={"feed": ("feed.jsonl", feed)},
                           headers={"X-API-Key": KEY}).status_code == 200
        health = client.get("/healthz").json()
        assert health["catalogue"]["courses"] == 31 and health["last_crawl"] is None


def test_a_withdrawn_course_the_feeds_publish_has_its_page_and_detail_but_is_not_searched(
    tagged_catalogue: Path, tmp_path: Path
) -> None:
    from matcher.store import write_catalogue

    db = tmp_path / "catalogue.duckdb"
    shutil.copy(tagged_catalogue, db)
    gone = "nordhavn-dib-sygedagpenge-2027"
    with write_catalogue(db, "ingest") as writer:
        writer.withdraw([gone])
    with TestClient(create_app(ServiceConfig(db=db))) as client:
        feed = client.get("/feed/courses.json", params={"per_page": 500}).json()["items"]
        assert [i["withdrawn"] for i in feed if i["id"] == gone] == [True]
        page = client.get(f"/kursus/{gone}")  # a feed reader follows the course's link
        assert page.status_code == 200
        assert "Kurset er trukket tilbage" in page.text and "vises ikke i søgningen" in page.text
        assert "Sygedagpenge" in page.text and "specialiseret" in page.text.lower()
        detail = client.get(f"/api/courses/{gone}")
        assert detail.status_code == 200
        assert detail.json()["course"]["withdrawn"] is True and detail.json()["tags"]["level"] == "specialiseret"
        found = client.get("/api/courses", params={"q": "sygedagpenge", "per_page": 100}).json()["items"]
        assert found and gone not in [i["course"]["id"] for i in found]
        assert f'href="/kursus/{gone}"' not in client.get("/", params={"q": "sygedagpenge"}).text
        active = client.get("/kursus/nordhavn-dib-sygedagpenge-2027-x")
        assert active.status_code == 404 and "intet kursus med id" in active.text
        other = client.get(f"/kursus/{feed[0]['id']}" if feed[0]["id"] != gone else f"/kursus/{feed[1]['id']}")
        assert other.status_code == 200 and "trukket tilbage" not in other.text
        # a service started without an API key has its write endpoints off, which no key can open (403, not 401)
        refused = client.post("/api/admin/ingest", content=b"[]", headers={"X-API-Key": "any"})
        assert refused.status_code == 403 and "this endpoint is disabled" in refused.text


def _collectable(obj: object) -> bool:
    """Whether the cyclic garbage collector walks `obj` (frozen objects are in no generation)."""
    return any(o is obj for generation in (0, 1, 2) for o in gc.get_objects(generation))


def test_the_loaded_catalogue_is_kept_out_of_full_collections(tagged_catalogue: Path, tmp_path: Path) -> None:
    # A full collection walks every tracked object: with 10 000 courses loaded it stalled each
    # worker's requests for ~140 ms, the p99 under load.
    db = tmp_path / "catalogue.duckdb"
    shutil.copy(tagged_catalogue, db)
    with TestClient(create_app(ServiceConfig(db=db, api_key=KEY))) as client:
        first = client.app.state.service.index
        assert len(first) == 30 and not _collectable(first.courses[0]) and not _collectable(first)
        feed = b'{"id": "ny-1", "title": "Jobsamtaler for nye medarbejdere", "provider": "Testskolen"}\n'
        assert client.post("/api/admin/ingest", files={"feed": ("feed.jsonl", feed)},
                           headers={"X-API-Key": KEY}).status_code == 200
        time.sleep(STALE_CHECK_SECONDS)
        assert client.get("/api/courses", params={"q": "jobsamtaler"}).json()["total"] >= 1
        second = client.app.state.service.index
        assert second is not first and len(second) == 31
        assert not _collectable(second.courses[-1]) and not _collectable(second), "a new generation is frozen too"


def test_admin_ingest_is_all_or_nothing(client: TestClient) -> None:
    bad = b'{"id": "x1", "title": "Ok"}\n{"title": ""}\n'
    r = client.post("/api/admin/ingest", files={"feed": ("feed.jsonl", bad)}, headers={"X-API-Key": KEY})
    assert r.status_code == 422 and "nothing was written" in _error(r)
    assert client.get("/healthz").json()["catalogue"]["courses"] == 30
    # a rejected record of a CSV saved by Excel is named by its row there and by its id
    csv = "id;title;provider;url;description\nk1;A;P;https://p.dk/1;\"to\nlinjer\"\nk2;;P;https://p.dk/2;x\n".encode()
    r = client.post("/api/admin/ingest", files={"feed": ("kurser.csv", csv)}, headers={"X-API-Key": KEY})
    assert r.status_code == 422 and r.json()["error"]["details"] == [{"line": 4, "row": 3, "id": "k2", "reason": "title: must not be empty"}]


def test_admin_ingest_takes_a_file_name_no_file_system_would(client: TestClient) -> None:
    record = b'{"id": "k-navn", "title": "Forvaltningsret", "provider": "UC Test"}\n'
    for name in ("k" * 300 + ".jsonl", "kurser\x00.jsonl"):
        answer = client.post("/api/admin/ingest", files={"feed": (name, record)}, headers={"X-API-Key": KEY})
        assert answer.status_code == 200, (name[:20], answer.status_code, answer.text[:200])
    broken = client.post("/api/admin/ingest", files={"feed": ("k" * 300 + ".jsonl", b"{nope\n")}, headers={"X-API-Key": KEY})
    assert broken.status_code == 422 and "kkkk…" in _error(broken) and len(_error(broken)) < 400


def test_admin_ingest_passes_on_the_windows_1252_note_and_refuses_unknown_form_fields(client: TestClient) -> None:
    import io

    from matcher.feed import write_feed
    from matcher.store import open_catalogue

    with open_catalogue(client.app.state.service.config.db) as reader:
        course = reader.course("nordhavn-dib-sygedagpenge-2027")
    out = io.StringIO()
    write_feed([course], out, "csv")
    legacy = out.getvalue().encode("cp1252")  # as an older Danish Excel saves it
    assert "ø".encode("cp1252") in legacy
    answer = client.post("/api/admin/ingest", files={"feed": ("kurser.csv", legacy)}, headers={"X-API-Key": KEY})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["new"], body["changed"], body["unchanged"]) == (0, 0, 1)
    assert body["notes"] == ["kurser.csv: not UTF-8, read as Windows-1252 (Excel's Danish default); check æ, ø and å"]
    bad = legacy + "\nx;;".encode("cp1252")
    refused = client.post("/api/admin/ingest", files={"feed": ("kurser.csv", bad)}, headers={"X-API-Key": KEY})
    assert refused.status_code == 422 and "note: kurser.csv: not UTF-8, read as Windows-1252" in _error(refused)
    # the name's ending is read as `fagmatch ingest` reads it, in any case
    shouted = client.post("/api/admin/ingest", files={"feed": ("KURSER.CSV", legacy)}, headers={"X-API-Key": KEY})
    assert shouted.status_code == 200 and shouted.json()["unchanged"] == 1, shouted.text
    other = client.post("/api/admin/ingest", files={"feed": ("kurser.xlsx", legacy)}, headers={"X-API-Key": KEY})
    assert other.status_code == 422 and _error(other) == "the feed must be a JSON Lines (.jsonl) or CSV (.csv) file"
    with open_catalogue(client.app.state.service.config.db) as reader:
        last_run = reader.runs(1)[0]["id"]
    extra = client.post("/api/admin/ingest", files={"feed": ("kurser.csv", legacy)},
                        data={"withdraw_missing": "true", "source": "udbyder"}, headers={"X-API-Key": KEY})
    assert extra.status_code == 422
    assert _error(extra) == ("unknown form field(s) source, withdraw_missing: the form takes only `feed`, the file; "
                             "nothing was written")
    with open_catalogue(client.app.state.service.config.db) as reader:
        assert reader.runs(1)[0]["id"] == last_run  # nothing was written


def test_a_full_disk_or_a_read_only_folder_is_a_clear_503_and_saves_nothing(client: TestClient, monkeypatch) -> None:
    """A saved analysis that could not be written was a plain-text 500 ("Internal Server Error")."""
    import errno
    import sqlite3

    gap = {"id": "g1", "fields": ["it_digital"], "level": "grundlaeggende"}
    for error, said in ((sqlite3.OperationalError("database or disk is full"), "the server's disk is full"),
                        (sqlite3.OperationalError("attempt to write a readonly database"),
                         "the server's data folder is read-only"),
                        (OSError(errno.ENOSPC, "No space left on device"), "the server's disk is full")):
        def failing(*args, error=error, **kwargs):  # noqa: ANN002, ANN003, ANN202
            raise error

        monkeypatch.setattr(sqlite3, "connect", failing)
        r = client.post("/api/analyses", json={"name": "Team A", "gaps": [gap]}, headers={"X-API-Key": KEY})
        monkeypatch.undo()
        assert r.status_code == 503 and r.headers["content-type"].startswith("application/json"), r.text
        assert _error(r) == f"{said}: nothing was changed; tell whoever runs the service"
    assert AnalysisStore.for_catalogue(client.app.state.service.config.db).list() == []

    def read_only(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(AnalysisStore, "delete", read_only)
    r = client.delete("/api/analyses/1", headers={"X-API-Key": KEY})
    assert r.status_code == 503 and _error(r).startswith("the server's data folder is read-only: nothing was changed")


def test_a_starting_service_clears_every_upload_a_killed_worker_left(tagged_catalogue: Path, tmp_path: Path, monkeypatch) -> None:
    """A data protection officer's audit: a web upload left by a killed worker (names and steps) survived a
    restart and every API upload; only the next upload on the same page cleared it."""
    import subprocess
    import sys
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout)
    left = [tmp_path / f"{prefix}{dead}-q1w2e3" for prefix in ("fagmatch-web-", "fagmatch-team-", "fagmatch-ingest-")]
    for folder in left:
        folder.mkdir()
        (folder / "hold.csv").write_text("medarbejder;it_digital\nBirthe Testesen;1\n")
    db = tmp_path / "catalogue.duckdb"
    shutil.copy(tagged_catalogue, db)
    with TestClient(create_app(ServiceConfig(db=db), warm=False)):
        pass
    assert not any(folder.exists() for folder in left)


def test_an_upload_a_killed_worker_left_in_the_temporary_folder_is_cleared(client: TestClient, tmp_path: Path, monkeypatch) -> None:
    """A service killed during `POST /api/admin/ingest` left the whole uploaded feed in TMPDIR for ever."""
    import subprocess
    import sys
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout)
    left = tmp_path / f"fagmatch-ingest-{dead}-x8w2k1"
    left.mkdir()
    (left / "up.jsonl").write_text('{"id": "x1"}\n')
    bad = b'{"title": ""}\n'
    assert client.post("/api/admin/ingest", files={"feed": ("feed.jsonl", bad)}, headers={"X-API-Key": KEY}).status_code == 422
    assert not left.exists() and not list(tmp_path.glob("fagmatch-ingest-*"))  # and its own went when done
    # a team file sent to the API (names and steps) was left for ever by a worker killed while reading it
    import os
    import time

    team_left = tmp_path / f"fagmatch-team-{dead}-k3j9q0"
    older = tmp_path / "fagmatch-team-ab12cd34"  # as versions before 2026-12-07 named it, with no process id
    for folder in (team_left, older):
        folder.mkdir()
        (folder / "assessment.csv").write_text("navn,it_digital\nBirthe Testesen,1\n")
    os.utime(older, (time.time() - 7200, time.time() - 7200))
    fresh = tmp_path / "fagmatch-team-zz99yy88"  # an hour has not passed: it may be another version's, at work
    fresh.mkdir()
    team = {"assessment_csv": TEAM_OF_FOUR, "target": BUNDLED_TARGET.read_text(encoding="utf-8")}
    assert client.post("/api/gaps", json=team).status_code == 200
    assert sorted(p.name for p in tmp_path.iterdir()) == [fresh.name]
