"""The public catalogue feed (JSON, CSV, Atom, JSON-LD, fagprofiler view) and `fagmatch export` in
the feed formats, over a real catalogue file. Tags are written directly, as the tagger would store
them, so no embedding model is needed; the store's clock is set so change times are known."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest

import matcher.store
from matcher.store import open_catalogue, write_catalogue
from matcher.taxonomy import load_taxonomy
from service import feeds
from tests.conftest import course_record, write_jsonl

T1, T2, T3, T4 = (dt.datetime(2027, 1, day, 10, 0, 0) for day in (1, 2, 3, 4))
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> dict[str, dt.datetime]:
    """The store's notion of now, set by the test."""
    now = {"value": T1}
    monkeypatch.setattr(matcher.store, "_now", lambda: now["value"])
    return now


def _tag(db: Path, model: str, tags: dict[str, tuple[list[str], str, list[str], list[str]]]) -> None:
    """Store tags as `fagmatch tag` does: course id → (fields, level, basic competences, profiles)."""
    with write_catalogue(db, "tag", [model]) as writer:
        for course_id, (fields, level, basic, profiles) in tags.items():
            result = {"assigned_fields": fields, "level": level, "basic_competences": basic, "profiles": profiles}
            items = [("field", key, 0.9, level) for key in fields] + [("basic_competence", key, 1.0, None) for key in basic]
            items += [("profile", key, 1.0, None) for key in profiles]
            writer.store_tagging(
                course_id, model, writer.current_hash(course_id) or "", primary_field=fields[0] if fields else None,
                assigned_fields=fields, level=level, course_type="kursus", result=result, item_scores=items,
            )


@pytest.fixture
def catalogue(run_cli, db: Path, tmp_path: Path, clock: dict[str, dt.datetime]) -> Path:
    """Six courses: 1–5 new at T1; at T2 course 2 changes, 6 is new and 5 is withdrawn; tags at T3
    (model m1: courses 1–3) and T4 (model m2 re-tags course 1)."""
    first = [
        course_record(1),
        course_record(2),
        course_record(3, ects=10, course_type="diplom", form="blended", eqf_level=6, application_deadline=None),
        course_record(4, title="Jura & <regler> for \"jobcentre\"", start_dates=[], form="online", location=None),
        course_record(5),
    ]
    assert run_cli("ingest", "--source", "udbyder", str(write_jsonl(tmp_path / "a.jsonl", first))).exit_code == 0
    clock["value"] = T2
    second = [*first[:1], course_record(2, price_dkk=5500.0), *first[2:4], course_record(6)]
    result = run_cli("ingest", "--source", "udbyder", "--withdraw-missing", str(write_jsonl(tmp_path / "b.jsonl", second)))
    assert "new 1, changed 1, unchanged 3, withdrawn 1" in result.stdout
    clock["value"] = T3
    _tag(db, "m1", {
        "test-1": (["lov_myndighed"], "grundlaeggende", ["1.5"], ["koordinationsprofilen"]),
        "test-2": (["borgernaere_metoder", "lov_myndighed"], "specialiseret", ["2.3", "1.5"], ["empowermentprofilen"]),
        "test-3": (["virksomhedsvendte_metoder"], "specialiseret", ["2.2"], ["virksomhedsprofilen"]),
    })
    clock["value"] = T4
    _tag(db, "m2", {"test-1": (["it_digital"], "grundlaeggende", ["1.1"], ["udviklingsprofilen"])})
    return db


def _ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


def test_the_store_gives_change_times_and_each_courses_latest_tags(catalogue: Path) -> None:
    with open_catalogue(catalogue) as reader:
        rows, total = reader.feed_page()
        assert total == 6
        by_id = {row["course"].course_id: row for row in rows}
        assert {k: r["updated_at"] for k, r in by_id.items()} == {
            "test-1": T1, "test-2": T2, "test-3": T1, "test-4": T1, "test-5": T2, "test-6": T2,
        }
        assert by_id["test-5"]["course"].withdrawn and by_id["test-5"]["withdrawn_at"] == T2
        assert by_id["test-1"]["tags"]["model"] == "m2" and by_id["test-1"]["tags"]["tagged_at"] == T4
        assert by_id["test-2"]["tags"]["basic_competences"] == ["2.3", "1.5"]  # the tagger's ranking, kept
        assert by_id["test-4"]["tags"] is None
        assert reader.feed_row("test-1", "m1")["tags"]["assigned_fields"] == ["lov_myndighed"]
        assert reader.feed_row("test-1")["tags"]["current"] is True
        assert reader.feed_row("nope") is None
        # Oldest change first: the record changes, then the tag runs.
        assert [r["course"].course_id for r in rows] == ["test-4", "test-5", "test-6", "test-2", "test-3", "test-1"]
        assert reader.last_modified() == T4


def test_since_selects_record_and_tag_changes_inclusively(catalogue: Path) -> None:
    with open_catalogue(catalogue) as reader:
        assert _ids(feeds.feed_json(reader, since=T2)["items"]) == ["test-5", "test-6", "test-2", "test-3", "test-1"]
        assert _ids(feeds.feed_json(reader, since=T3)["items"]) == ["test-2", "test-3", "test-1"]
        aware = dt.datetime(2027, 1, 3, 11, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))  # as FastAPI parses one
        assert _ids(feeds.feed_json(reader, since=aware)["items"]) == ["test-2", "test-3", "test-1"]
        assert feeds.feed_json(reader, since=T4 + dt.timedelta(seconds=1))["total"] == 0
        # a client's clock with milliseconds: applied to the second, as the answer echoes it, so its
        # own `self` link gives the same page
        with_ms = feeds.feed_json(reader, since=T3 + dt.timedelta(milliseconds=500))
        assert with_ms["since"] == "2027-01-03T10:00:00Z" and _ids(with_ms["items"]) == ["test-2", "test-3", "test-1"]
        only_records, _ = reader.feed_page(T2, tag_changes=False)
        assert {r["course"].course_id for r in only_records} == {"test-2", "test-5", "test-6"}


def test_following_next_misses_no_course_when_one_changes_during_the_paging(
    catalogue: Path, run_cli, clock: dict[str, dt.datetime], tmp_path: Path,
) -> None:
    with open_catalogue(catalogue) as reader:
        first = feeds.feed_json(reader, per_page=2)
    # a course the consumer has already read changes before it asks for the next page
    clock["value"] = dt.datetime(2027, 1, 5, 10, 0, 0)
    changed = first["items"][0]["id"]
    number = int(changed.split("-")[1])
    feed = write_jsonl(tmp_path / "c.jsonl", [course_record(number, price_dkk=7777.0)])
    assert run_cli("ingest", "--source", "udbyder", str(feed)).exit_code == 0
    seen, page = _ids(first["items"]), first
    with open_catalogue(catalogue) as reader:
        while page["next"]:
            after = parse_qs(urlsplit(page["next"]).query)["after"][0]
            page = feeds.feed_json(reader, per_page=2, after=after)
            seen += _ids(page["items"])
        # by page number, the change shifts the rest: one course is never read
        by_number = _ids(first["items"]) + [i for n in (2, 3) for i in _ids(feeds.feed_json(reader, page=n, per_page=2)["items"])]
    assert set(seen) == {f"test-{n}" for n in range(1, 7)} and seen[-1] == changed
    assert len(set(by_number)) < 6
    assert page["page"] == 3 and page["total"] == 6
    with open_catalogue(catalogue) as reader, pytest.raises(ValueError, match="not a cursor of this feed"):
        feeds.feed_json(reader, after="page-2")


def test_json_pages_link_to_each_other_and_cover_every_course_once(catalogue: Path) -> None:
    with open_catalogue(catalogue) as reader:
        pages = [feeds.feed_json(reader, page=n, per_page=4, base_url="https://fm.example/") for n in (1, 2)]
        late = feeds.feed_json(reader, page=9, per_page=4, since=T1)
        with pytest.raises(ValueError):
            feeds.feed_json(reader, page=0)
    first, second = pages
    assert (first["total"], first["pages"], len(first["items"]), len(second["items"])) == (6, 2, 4, 2)
    assert sorted(_ids(first["items"]) + _ids(second["items"])) == [f"test-{n}" for n in range(1, 7)]
    # next carries the cursor of the page's last item (its change time and id), prev the page number
    last = first["items"][-1]
    assert first["next"] == ("https://fm.example/feed/courses.json?after=" + quote(f"{last['changed_at']},{last['id']}")
                             + "&per_page=4") and first["prev"] is None
    assert second["prev"] == "https://fm.example/feed/courses.json?page=1&per_page=4" and second["next"] is None
    assert late["items"] == [] and late["next"] is None
    with open_catalogue(catalogue) as reader:  # a last page exactly full has no next page
        exact = [feeds.feed_json(reader, page=n, per_page=3) for n in (1, 2)]
    assert exact[0]["next"] is not None and len(exact[1]["items"]) == 3 and exact[1]["next"] is None
    assert late["prev"] == "/feed/courses.json?since=2027-01-01T10%3A00%3A00Z&page=2&per_page=4"
    assert first["last_modified"] == "2027-01-04T10:00:00Z"
    item = {i["id"]: i for i in first["items"] + second["items"]}
    assert item["test-5"]["withdrawn"] is True and item["test-5"]["withdrawn_at"] == "2027-01-02T10:00:00Z"
    assert item["test-6"]["withdrawn"] is False and item["test-6"]["updated_at"] == "2027-01-02T10:00:00Z"
    assert item["test-2"]["price_dkk"] == 5500.0 and item["test-2"]["first_seen"] == "2027-01-01T10:00:00Z"
    assert item["test-2"]["tags"] == {
        "model": "m1", "primary_field": "borgernaere_metoder", "assigned_fields": ["borgernaere_metoder", "lov_myndighed"],
        "level": "specialiseret", "basic_competences": ["2.3", "1.5"], "profiles": ["empowermentprofilen"],
        "tagged_at": "2027-01-03T10:00:00Z", "current": True,
    }
    json.dumps(first)  # the document is plain JSON


def test_etag_follows_the_generation_and_the_parameters(catalogue: Path, clock: dict[str, dt.datetime]) -> None:
    with open_catalogue(catalogue) as reader:
        etag = feeds.feed_etag(reader, "courses.json", page=1, per_page=100, since=None)
        assert etag == feeds.feed_etag(reader, "courses.json", per_page=100, page=1, since=None)
        assert etag != feeds.feed_etag(reader, "courses.json", page=2, per_page=100, since=None)
        assert etag.startswith('W/"') and etag.endswith('"')  # weak: generated_at differs call to call
        assert feeds.last_modified(reader) == T4.replace(tzinfo=dt.UTC)
    clock["value"] = T4 + dt.timedelta(hours=1)
    with write_catalogue(catalogue, "ingest"):
        pass  # any published write is a new generation (last_seen may have moved)
    with open_catalogue(catalogue) as reader:
        assert feeds.feed_etag(reader, "courses.json", page=1, per_page=100, since=None) != etag
        assert feeds.last_modified(reader) == clock["value"].replace(tzinfo=dt.UTC)


def test_each_item_says_when_it_changed_as_since_matches_it(catalogue: Path) -> None:
    with open_catalogue(catalogue) as reader:
        every = feeds.feed_json(reader)["items"]
        since_t3 = _ids(feeds.feed_json(reader, since=T3)["items"])
        rows = list(csv.DictReader(io.StringIO(feeds.feed_csv(reader))))
    items = {i["id"]: i for i in every}
    # test-3's record is from T1, its tags from T3: since=T3 returns it, and changed_at says why.
    assert items["test-3"]["updated_at"] == "2027-01-01T10:00:00Z" and items["test-3"]["changed_at"] == "2027-01-03T10:00:00Z"
    assert items["test-1"]["changed_at"] == "2027-01-04T10:00:00Z"
    assert items["test-6"]["changed_at"] == items["test-6"]["updated_at"] == "2027-01-02T10:00:00Z"  # untagged
    # since= returns exactly the items whose changed_at is at or after it, in changed_at order.
    assert sorted(since_t3) == sorted(k for k, i in items.items() if i["changed_at"] >= "2027-01-03T10:00:00Z")
    order = [i["changed_at"] for i in every]
    assert order == sorted(order)
    assert {row["id"]: row["changed_at"] for row in rows} == {k: i["changed_at"] for k, i in items.items()}


def _feed_client(db: Path) -> Any:
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.state import ServiceConfig

    return TestClient(create_app(ServiceConfig(db=db), warm=False))


def test_feeds_over_http_send_a_weak_etag_that_either_form_revalidates(catalogue: Path) -> None:
    with _feed_client(catalogue) as client:
        first = client.get("/feed/courses.json")
        etag = first.headers["etag"]
        assert etag.startswith('W/"')
        later = client.get("/feed/courses.json")
        assert later.headers["etag"] == etag  # one generation, one ETag, though generated_at may differ
        for sent in (etag, etag.removeprefix("W/"), f'"other", {etag}', "*"):
            again = client.get("/feed/courses.json", headers={"If-None-Match": sent})
            assert again.status_code == 304 and again.content == b"", sent
        assert client.get("/feed/courses.json", headers={"If-None-Match": 'W/"other"'}).status_code == 200
        assert client.get("/feed/courses.json", params={"page": 2}, headers={"If-None-Match": etag}).status_code == 200


def test_fagprofiler_refuses_since_and_the_other_feeds_filter_by_it(catalogue: Path) -> None:
    with _feed_client(catalogue) as client:
        for since in ("2027-01-03T10:00:00Z", "garbage"):
            refused = client.get("/feed/fagprofiler.json", params={"since": since})
            assert refused.status_code == 422
            assert "takes no since=" in refused.json()["error"]["message"]
        assert client.get("/feed/fagprofiler.json").status_code == 200
        assert client.get("/feed/courses.json", params={"since": "2027-01-03T10:00:00Z"}).json()["total"] == 3
        # a next link works as given; a made-up cursor is refused
        next_page = client.get(client.get("/feed/courses.json", params={"per_page": 4}).json()["next"])
        assert next_page.status_code == 200 and len(next_page.json()["items"]) == 2 and next_page.json()["page"] == 2
        both = client.get("/feed/courses.json", params={"after": "2027-01-03T10:00:00Z,test-1", "page": 2})
        assert both.status_code == 422 and "page or after" in both.json()["error"]["message"]
        broken = client.get("/feed/courses.json", params={"after": "2027-01-03"})
        assert broken.status_code == 422 and "not a cursor" in broken.json()["error"]["message"]
        assert len(client.get("/feed/courses.csv", params={"since": "2027-01-03T10:00:00Z"}).text.splitlines()) == 4
        # the CSV for Danish Excel, over HTTP as on the command line: a double click opens it in columns
        excel = client.get("/feed/courses.csv", params={"excel": "true"})
        plain = client.get("/feed/courses.csv")
        assert excel.status_code == 200 and excel.content.startswith("\ufeff".encode()) and excel.headers["etag"] != plain.headers["etag"]
        rows = list(csv.DictReader(io.StringIO(excel.text.lstrip("\ufeff")), delimiter=";"))
        assert [row["id"] for row in rows] == [row["id"] for row in csv.DictReader(io.StringIO(plain.text))]
        plain_prices = {row["id"]: row["price_dkk"] for row in csv.DictReader(io.StringIO(plain.text))}
        excel_prices = {row["id"]: row["price_dkk"] for row in rows}
        assert all(excel_prices[k] == v.replace(".", ",").removesuffix(",0") for k, v in plain_prices.items()), (plain_prices, excel_prices)
        spec = client.get("/openapi.json").json()["paths"]
        since = {p["name"]: p for p in spec["/feed/courses.json"]["get"]["parameters"]}["since"]
        assert "at or after" in since["description"] and "changed_at" in since["description"]
        assert "since" not in [p["name"] for p in spec["/feed/fagprofiler.json"]["get"].get("parameters", [])]
        # The JSON feed's shape is in the spec, and the answer is that shape.
        from matcher.course import RECORD_FIELDS
        from service.feed_routes import FeedPageOut

        ok = spec["/feed/courses.json"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert ok == {"$ref": "#/components/schemas/FeedPageOut"}
        page = FeedPageOut.model_validate(client.get("/feed/courses.json").json())
        assert page.total == 6 and all(set(RECORD_FIELDS) <= set(item.model_dump()) for item in page.items)


def test_csv_is_one_flat_row_per_course(catalogue: Path) -> None:
    with open_catalogue(catalogue) as reader:
        rows = list(csv.DictReader(io.StringIO(feeds.feed_csv(reader))))
        since_rows = list(csv.DictReader(io.StringIO(feeds.feed_csv(reader, T3))))
    by_id = {row["id"]: row for row in rows}
    assert len(rows) == 6 and list(rows[0]) == list(feeds.CSV_COLUMNS)
    assert by_id["test-2"]["assigned_fields"] == "borgernaere_metoder | lov_myndighed"
    assert by_id["test-2"]["start_dates"] == "2027-02-03 | 2027-09-01"
    assert by_id["test-2"]["learning_goals"] == "viden: Har viden om sygedagpengeloven"
    assert (by_id["test-2"]["tag_model"], by_id["test-4"]["tag_model"]) == ("m1", "")
    assert by_id["test-2"]["tag_current"] in ("true", "false") and by_id["test-4"]["tag_current"] == ""
    assert (by_id["test-5"]["withdrawn"], by_id["test-1"]["withdrawn"]) == ("true", "false")
    assert by_id["test-4"]["title"] == 'Jura & <regler> for "jobcentre"'
    assert sorted(row["id"] for row in since_rows) == ["test-1", "test-2", "test-3"]


def test_atom_has_the_new_and_changed_courses_newest_first(catalogue: Path) -> None:
    with open_catalogue(catalogue) as reader:
        full = ET.fromstring(feeds.feed_atom(reader, base_url="https://fm.example"))
        recent = ET.fromstring(feeds.feed_atom(reader, since=T2, limit=2))
    assert full.tag == f"{ATOM}feed"
    assert full.findtext(f"{ATOM}id") == "https://fm.example/feed/atom.xml"
    self_links = [f.find(f"{ATOM}link[@rel='self']").get("href") for f in (full, recent)]
    assert self_links == ["https://fm.example/feed/atom.xml", "/feed/atom.xml?since=2027-01-02T10%3A00%3A00Z&limit=2"]
    entries = full.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}id").rsplit("/", 1)[1] for e in entries] == [
        "test-2", "test-5", "test-6", "test-1", "test-3", "test-4",
    ]
    assert full.findtext(f"{ATOM}updated") == entries[0].findtext(f"{ATOM}updated") == "2027-01-02T10:00:00Z"
    by_id = {e.findtext(f"{ATOM}id").rsplit("/", 1)[1]: e for e in entries}
    withdrawn = by_id["test-5"]
    assert withdrawn.findtext(f"{ATOM}title").startswith("Udgået: ")
    assert "withdrawn" in [c.get("term") for c in withdrawn.findall(f"{ATOM}category")]
    assert by_id["test-4"].findtext(f"{ATOM}title") == 'Jura & <regler> for "jobcentre"'  # escaped, not broken
    assert by_id["test-2"].findtext(f"{ATOM}author/{ATOM}name") == "Testhøjskolen"
    assert by_id["test-2"].findtext(f"{ATOM}published") == "2027-01-01T10:00:00Z"
    links = {link.get("rel"): link.get("href") for link in by_id["test-2"].findall(f"{ATOM}link")}
    assert links == {"alternate": "https://udbyder.example/kurser/2", "related": "https://fm.example/kursus/test-2"}
    terms = {(c.get("scheme"), c.get("term")) for c in by_id["test-2"].findall(f"{ATOM}category")}
    assert ("urn:fagmatch:field", "borgernaere_metoder") in terms
    # since= counts record changes only (tags are not news), and limit caps the entries.
    assert [e.findtext(f"{ATOM}id") for e in recent.findall(f"{ATOM}entry")] == [
        "urn:fagmatch:course:test-2", "urn:fagmatch:course:test-5",
    ]


def test_jsonld_is_a_schema_org_course(catalogue: Path) -> None:
    taxonomy = load_taxonomy()
    with open_catalogue(catalogue) as reader:
        row = reader.feed_row("test-3")
        node = feeds.course_jsonld(row["course"], row["tags"], "https://fm.example", taxonomy=taxonomy)
        graph = feeds.feed_jsonld(reader, "https://fm.example", taxonomy=taxonomy)
    assert node["@context"] == "https://schema.org" and node["@type"] == "Course"
    assert node["@id"] == "https://fm.example/kursus/test-3" and node["name"] == "Sygedagpengeloven i praksis 3"
    assert node["provider"] == {"@type": "Organization", "name": "Testhøjskolen"}
    assert node["hasCourseInstance"] == [
        {"@type": "CourseInstance", "courseMode": "blended", "location": {"@type": "Place", "name": "Odense"},
         "startDate": day} for day in ("2027-02-03", "2027-09-01")
    ]
    assert node["offers"] == {"@type": "Offer", "price": 4995.0, "priceCurrency": "DKK",
                              "url": "https://udbyder.example/kurser/3", "category": "diplom"}
    assert node["numberOfCredits"] == {"@type": "StructuredValue", "value": 10.0, "unitText": "ECTS"}
    assert node["educationalCredentialAwarded"]["name"] == "10 ECTS-point"
    assert node["educationalLevel"] == "EQF 6"
    assert [t["name"] for t in node["teaches"]] == [
        taxonomy.field("virksomhedsvendte_metoder").name,
        next(bc.text for bc in taxonomy.basic_competences if bc.id == "2.2"),
    ]
    assert graph["@context"] == "https://schema.org"
    assert sorted(n["identifier"] for n in graph["@graph"]) == ["test-1", "test-2", "test-3", "test-4", "test-6"]
    assert all("@context" not in n for n in graph["@graph"])
    online = next(n for n in graph["@graph"] if n["identifier"] == "test-4")
    assert online["hasCourseInstance"] == [
        {"@type": "CourseInstance", "courseMode": "online", "location": {"@type": "VirtualLocation"}}
    ]
    assert "teaches" not in online  # untagged: nothing claimed
    # a withdrawn course's own page still says what it was, and that it is no longer offered
    with open_catalogue(catalogue) as reader:
        gone = reader.feed_row("test-5")
    assert gone["course"].withdrawn
    gone_node = feeds.course_jsonld(gone["course"], gone["tags"], "https://fm.example", taxonomy=taxonomy)
    assert gone_node["offers"]["availability"] == "https://schema.org/Discontinued"
    assert "availability" not in node["offers"]


def test_fagprofiler_view_groups_active_tagged_courses(catalogue: Path) -> None:
    taxonomy = load_taxonomy()
    with open_catalogue(catalogue) as reader:
        view = feeds.fagprofiler_view(reader, taxonomy)
    basic, profiles = view["by_basic_competence"], view["by_profile"]
    assert list(basic) == [bc.id for bc in taxonomy.basic_competences]
    assert list(profiles) == [p.key for p in taxonomy.profiles]
    assert basic["1.5"]["group"] == taxonomy.basic_competence_groups[0].name
    assert [c["id"] for c in basic["1.5"]["courses"]] == ["test-2"]  # test-1's latest tags (m2) moved it to 1.1
    assert basic["1.1"]["courses"] == [{"id": "test-1", "title": "Sygedagpengeloven i praksis 1", "provider": "Testhøjskolen"}]
    assert [c["id"] for c in profiles["virksomhedsprofilen"]["courses"]] == ["test-3"]
    assert profiles["koordinationsprofilen"]["courses"] == []
    assert profiles["empowermentprofilen"]["name"] == taxonomy.profile("empowermentprofilen").name


def test_parse_since_takes_dates_zones_and_refuses_nonsense() -> None:
    assert feeds.parse_since("2027-01-02") == dt.datetime(2027, 1, 2)
    assert feeds.parse_since("2027-01-02T11:00:00+01:00") == T2
    assert feeds.parse_since("2027-01-02T10:00:00Z") == T2
    with pytest.raises(ValueError, match="ISO 8601"):
        feeds.parse_since("yesterday")


def test_export_writes_every_feed_format(run_cli, catalogue: Path, tmp_path: Path) -> None:
    def export(*args: str) -> str:
        result = run_cli("export", *args)
        assert result.exit_code == 0, result.output
        return result.stdout

    document = json.loads(export("--format", "json", "--per-page", "4", "--page", "2"))
    assert (document["total"], len(document["items"]), document["page"]) == (6, 2, 2)
    assert json.loads(export("--format", "json"))["pages"] == 1  # default: everything on one page
    assert json.loads(export("--format", "json", "--since", "2027-01-03T10:00:00Z"))["total"] == 3
    assert len(list(csv.DictReader(io.StringIO(export("--format", "feed-csv"))))) == 6
    atom = ET.fromstring(export("--format", "atom", "--since", "2027-01-02", "--base-url", "https://fm.example"))
    assert len(atom.findall(f"{ATOM}entry")) == 3
    assert len(json.loads(export("--format", "jsonld"))["@graph"]) == 5
    assert "by_profile" in json.loads(export("--format", "fagprofiler"))
    # The record formats are unchanged: the lossless jsonl and csv.
    assert len(export("--format", "jsonl").splitlines()) == 6
    assert export("--format", "csv").startswith("id,url,provider,title")
    out = tmp_path / "feed.xml"
    result = run_cli("export", "--format", "atom", "--output", str(out))
    assert result.exit_code == 0 and "wrote 6 courses" in result.stderr
    assert ET.parse(out).getroot().tag == f"{ATOM}feed"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "json", "--since", "last tuesday"], "not an ISO 8601 date"),
        (["--format", "jsonl", "--since", "2027-01-01"], "--since works with --format json"),
        (["--format", "atom", "--active-only"], "--active-only works with --format jsonl or csv"),
        (["--format", "atom", "--per-page", "5"], "--page and --per-page work with --format json"),
        (["--format", "json", "--per-page", "0"], "--per-page"),
        (["--format", "rss"], "'rss' is not one of"),
        (["--format", "csv", "--limit", "5"], "--limit works with --format atom"),  # was ignored
        (["--format", "csv", "--base-url", "https://fm.example"], "--base-url works with --format json, atom, jsonld"),
    ],
)
def test_export_usage_errors_exit_2(run_cli, args: list[str], message: str) -> None:
    result = run_cli("export", *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_export_of_a_catalogue_it_cannot_read_fails_with_1(run_cli, db: Path) -> None:
    con = matcher.store.connect_duckdb(str(db))
    con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)")
    con.execute("INSERT INTO meta VALUES ('schema_version', '99')")
    con.close()
    result = run_cli("export", "--format", "json")
    assert result.exit_code == 1 and "error: " in result.stderr and "newer fagmatch" in result.stderr


def test_a_full_feed_is_built_once_per_generation_however_many_fetch_it(catalogue: Path, monkeypatch) -> None:
    """At 30 000 courses each courses.csv cost 7–9 s of CPU and 0.6 GB, built anew for every request,
    four at once pushing a worker from 1.9 to 4.4 GB (scale walk)."""
    import threading
    import time

    real, builds = feeds.feed_csv, []

    def slow_build(*args: Any, **kwargs: Any) -> str:
        builds.append(1)
        time.sleep(0.3)  # long enough for the others to arrive while it builds
        return real(*args, **kwargs)

    monkeypatch.setattr(feeds, "feed_csv", slow_build)
    with _feed_client(catalogue) as client:
        bodies: list[bytes] = []
        fetchers = [threading.Thread(target=lambda: bodies.append(client.get("/feed/courses.csv").content)) for _ in range(4)]
        for fetcher in fetchers:
            fetcher.start()
        for fetcher in fetchers:
            fetcher.join()
        assert len(builds) == 1 and len(set(bodies)) == 1 and bodies[0].startswith(b"id,")
        assert client.get("/feed/courses.csv").content == bodies[0] and len(builds) == 1
        assert client.get("/feed/courses.csv", params={"since": "2027-01-02T00:00:00"}).status_code == 200
        assert len(builds) == 2  # another query, another body
        ingest = [course_record(7)]
        from matcher.ingest import ingest_file

        ingest_file(catalogue, write_jsonl(catalogue.parent / "c.jsonl", ingest), source="udbyder")
        time.sleep(1.1)  # the service looks for a new generation at most once a second
        fresh = client.get("/feed/courses.csv").content
        assert b"test-7" in fresh and len(builds) == 3  # a new generation is built anew


def test_kept_feed_bodies_stay_within_their_room() -> None:
    from service.feed_cache import FeedBodies

    kept = FeedBodies(max_bytes=10)
    assert kept.get("a", lambda: b"123456") == b"123456"
    assert kept.get("b", lambda: b"1234") == b"1234"
    assert kept.get("c", lambda: b"12") == b"12"  # 12 bytes: "a", the least recently used, goes
    assert kept.get("b", lambda: b"x") == b"1234"  # kept, and now the most recently used
    assert kept.get("a", lambda: b"again") == b"again"  # built again; "c" makes room for it
    assert kept.get("b", lambda: b"x") == b"1234" and kept.get("c", lambda: b"y") == b"y"
    assert kept.get("huge", lambda: b"x" * 11) == b"x" * 11 and kept.get("huge", lambda: b"new") == b"new"  # never kept


def test_a_changed_framework_changes_the_feeds_validators(catalogue: Path, tmp_path: Path) -> None:
    """Restarted with a reworded framework, the service answered a portal's ETag with 304 although the
    fagprofiler feed's names had changed: the portal kept the old ones until the catalogue next changed."""
    from email.utils import parsedate_to_datetime

    from fastapi.testclient import TestClient

    from matcher.taxonomy import BUNDLED_TAXONOMY
    from service.app import create_app
    from service.state import ServiceConfig

    with _feed_client(catalogue) as client:
        before = client.get("/feed/fagprofiler.json")
    reworded = tmp_path / "kommune-taxonomy.yaml"
    reworded.write_text(BUNDLED_TAXONOMY.read_text(encoding="utf-8").replace("Netværk & Facilitering", "Netværk og facilitering"),
                        encoding="utf-8")
    with TestClient(create_app(ServiceConfig(db=catalogue, taxonomy_path=reworded), warm=False)) as client:
        after = client.get("/feed/fagprofiler.json", headers={"If-None-Match": before.headers["etag"]})
        assert after.status_code == 200 and after.headers["etag"] != before.headers["etag"]
        # and Last-Modified is no earlier than the framework's file
        edited = dt.datetime.fromtimestamp(int(reworded.stat().st_mtime), dt.UTC)
        assert parsedate_to_datetime(after.headers["last-modified"]) >= edited


def test_a_feeds_answer_is_new_each_day_as_its_open_starts_are(catalogue: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from matcher import clock

    with _feed_client(catalogue) as client:
        monkeypatch.setenv(clock.ENV, "2027-01-01")
        before = client.get("/feed/courses.json")
        monkeypatch.setenv(clock.ENV, "2027-06-01")
        after = client.get("/feed/courses.json", headers={"If-None-Match": before.headers["etag"]})
        assert after.status_code == 200 and after.headers["etag"] != before.headers["etag"]  # a cached copy is stale
        opened = {i["id"]: i["open_starts"] for i in before.json()["items"]}
        later = {i["id"]: i["open_starts"] for i in after.json()["items"]}
        assert opened["test-2"] == ["2027-02-03", "2027-09-01"] and later["test-2"] == ["2027-09-01"]
