"""Text is cleaned at the door: control characters (other than tab and newline) are dropped by one
function, at ingest and in the crawler's extraction, and every feed written from the catalogue
parses again, whatever Unicode a provider sent."""

from __future__ import annotations

import csv
import io
import json
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.extract import extract_course
from crawler.parsers import clean_text
from matcher.ingest import ingest_file
from matcher.store import open_catalogue
from matcher.text import strip_controls
from service import feeds
from tests.conftest import course_record, write_jsonl

CONTROLS = "\x00\x01\x08\x0b\x0c\x1b\x7f\x85\x9f\ufffe\uffff"


def test_one_function_drops_control_characters_but_tab_and_newline() -> None:
    assert strip_controls("a\x01b\x0bc\x1b[31md\x7fe\x85f\ufffeg") == "abc[31mdefg"
    assert strip_controls("line\tone\r\nline two\rthree") == "line\tone\nline two\nthree"
    assert strip_controls("æøå – ok ✓ 𝔘") == "æøå – ok ✓ 𝔘"
    # a provider's name with a zero-width space, a title turned backwards: invisible, so removed
    assert strip_controls("Professionshøjskolen Nordhavn\u200b") == "Professionshøjskolen Nordhavn"
    assert strip_controls("Jura \u202egninrevlaf\u202c og \ufeffpraksis\u2066!\u2069") == "Jura gninrevlaf og praksis!"
    assert strip_controls("👩\u200d💻 hold") == "👩\u200d💻 hold"  # a joiner stays: emoji need it


def test_the_crawler_extracts_no_control_characters() -> None:
    assert clean_text("Sygedagpenge\x01loven\x1b i\x0b praksis") == "Sygedagpengeloven i praksis"
    html = ("<html><head><title>Fleks\x01job\x1b og ressourceforløb</title></head><body><main>"
            "<h1>Fleks\x01job\x1b og ressourceforløb</h1><p>Kurset giver\x0b viden om fleksjob\x7f og "
            "ressourceforløb. Pris: 4.995 kr. Sted: Odense.</p></main></body></html>")
    record = extract_course(html, "https://udbyder.example/kurser/fleksjob")
    assert record is not None
    text = json.dumps(record, ensure_ascii=False)
    assert not any(c in text for c in CONTROLS), text
    assert record["title"] == "Fleksjob og ressourceforløb"


def test_ingest_drops_control_characters(tmp_path: Path) -> None:
    db = tmp_path / "catalogue.duckdb"
    feed = write_jsonl(tmp_path / "feed.jsonl", [course_record(
        1, title="Sygedagpenge\x01loven\x1b", description="Viden\x0b om\x00 loven\r\nog praksis",
        learning_goals=[{"kind": "viden", "text": "Har\x07 viden"}])])
    assert ingest_file(db, feed).new == 1
    with open_catalogue(db) as reader:
        course = reader.course("test-1")
    assert course.title == "Sygedagpengeloven"
    assert course.description == "Viden om loven\nog praksis"
    assert course.learning_goals[0].text == "Har viden"
    with open_catalogue(db) as reader:
        ET.fromstring(feeds.feed_atom(reader).encode())  # parses


# Any Unicode (hypothesis leaves out lone surrogates, which no UTF-8 feed can carry), with the
# characters that broke the feeds mixed in often.
TEXT = st.text(st.one_of(st.characters(codec="utf-8"), st.sampled_from(CONTROLS + "\t\n\r<>&\"'")), max_size=40)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(TEXT, TEXT, TEXT, TEXT), min_size=1, max_size=4))
def test_random_unicode_survives_ingest_and_every_feed(texts: list[tuple[str, str, str, str]]) -> None:
    records = [
        course_record(n, title="K" + title, description=description or None, provider=provider or None,
                      location=location or None, learning_goals=[{"kind": "viden", "text": "M" + title}])
        for n, (title, description, provider, location) in enumerate(texts)
    ]
    with tempfile.TemporaryDirectory(prefix="fagmatch-clean-") as tmp:
        db = Path(tmp) / "catalogue.duckdb"
        report = ingest_file(db, write_jsonl(Path(tmp) / "feed.jsonl", records))
        assert not report.rejected, report.rejected
        expected = {f"test-{n}": strip_controls("K" + title).strip() for n, (title, *_rest) in enumerate(texts)}
        with open_catalogue(db) as reader:
            stored = {c.course_id: c for c in reader.courses()}
            atom = feeds.feed_atom(reader, base_url="https://fagmatch.example")
            document = json.dumps(feeds.feed_json(reader))
            table = feeds.feed_csv(reader)
            graph = json.dumps(feeds.feed_jsonld(reader))
    assert {key: course.title for key, course in stored.items()} == expected
    for course in stored.values():
        values = [course.title, course.description or "", course.provider or "", course.location or ""]
        assert not any(c in value for value in values for c in CONTROLS)

    ns = {"a": feeds.ATOM_NS}
    entries = ET.fromstring(atom.encode()).findall("a:entry", ns)
    assert sorted(e.findtext("a:title", namespaces=ns) for e in entries) == sorted(expected.values())
    assert {i["id"]: i["title"] for i in json.loads(document)["items"]} == expected
    rows = list(csv.DictReader(io.StringIO(table, newline="")))
    assert {row["id"]: row["title"] for row in rows} == expected
    assert sorted(node["name"] for node in json.loads(graph)["@graph"]) == sorted(expected.values())
