"""The catalogue store: idempotent upserts, history, withdrawal, atomic runs, migrations, readers vs writers."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from matcher.course import Course, canonical_url
from matcher.store import (
    MIGRATIONS,
    SCHEMA_VERSION,
    CatalogueError,
    CatalogueMissing,
    CatalogueReader,
    open_catalogue,
    write_catalogue,
)
from tests.conftest import course_record

REPO = Path(__file__).resolve().parents[1]


def courses(n: int, **overrides) -> list[Course]:
    return [Course.model_validate(course_record(i, **overrides)) for i in range(n)]


def snapshot(db: Path) -> list[dict]:
    with open_catalogue(db) as catalogue:
        return [c.to_record() for c in catalogue.courses()]


def test_upsert_is_idempotent_and_tracks_changes(db: Path) -> None:
    with write_catalogue(db, "ingest") as writer:
        assert [writer.upsert(c) for c in courses(3)] == ["new"] * 3
    with write_catalogue(db, "ingest") as writer:
        assert [writer.upsert(c) for c in courses(3)] == ["unchanged"] * 3
    changed = Course.model_validate(course_record(1, price_dkk=5495.0))
    with write_catalogue(db, "ingest") as writer:
        assert writer.upsert(changed) == "changed"
    with open_catalogue(db) as catalogue:
        assert catalogue.course("test-1").price_dkk == 5495.0
        history = catalogue.history("test-1")
        assert [h["change"] for h in history] == ["changed"]
        assert history[0]["previous"]["price_dkk"] == 4995.0
        first = catalogue.course("test-0")
        assert catalogue.course("test-1").first_seen == first.first_seen  # kept across the change


def test_tag_rows_are_stored_exactly_and_replaced_on_retagging(db: Path) -> None:
    """The `tag` table is for SQL users of the catalogue: one row per field, item and dimension."""
    [course] = courses(1)
    items = [("field", "lov_myndighed", 0.1234567890123457, "specialiseret"), ("profile", 'a,"b"}', 1.0, None)]
    with write_catalogue(db, "ingest") as writer:
        writer.upsert(course)
        for scores in (items, items[:1]):  # tagged twice in one run: the second replaces the first
            writer.store_tagging(course.course_id, "m1", course.compute_hash(), primary_field="lov_myndighed",
                                 assigned_fields=["lov_myndighed"], level="specialiseret", course_type="kursus",
                                 result={}, item_scores=scores)
        writer.store_tagging("other", "m1", "h", primary_field=None, assigned_fields=[], level=None,
                             course_type=None, result={}, item_scores=items)
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT * FROM tag ORDER BY course_id, item_kind").fetchall()
    assert rows == [("other", "m1", *items[0]), ("other", "m1", *items[1]), ("test-0", "m1", *items[0])]


def test_summary_counts_as_tagged_the_active_courses_whose_current_text_has_tags(db: Path) -> None:
    """/healthz and `fagmatch status` compare `tagged` with `active`: a course that changed since its
    tagging, or was withdrawn, is not counted."""
    three = courses(3, source="src")
    with write_catalogue(db, "ingest") as writer:
        for course in three:
            writer.upsert(course)
            writer.store_tagging(course.course_id, "m1", course.compute_hash(), primary_field=None, assigned_fields=[],
                                 level=None, course_type="kursus", result={}, item_scores=[])  # fmt: skip
    with write_catalogue(db, "ingest") as writer:
        writer.upsert(Course.model_validate(course_record(1, price_dkk=5495.0, source="src")))  # changed: old tags
        writer.withdraw_missing("src", {"test-0", "test-1"})  # test-2 withdrawn
    with open_catalogue(db) as catalogue:
        summary = catalogue.summary()
    assert (summary["active"], summary["tagged"]) == (2, 1)


def test_id_from_canonical_url_makes_one_course_one_record(db: Path) -> None:
    a = Course(url="https://Udbyder.example/kursus/7/?utm_source=news#tilmeld", title="Jobafklaring")
    b = Course(url="https://udbyder.example/kursus/7", title="Jobafklaring")
    assert a.course_id == b.course_id
    assert canonical_url("https://x.example/a/?b=2&a=1&fbclid=z") == "https://x.example/a?a=1&b=2"
    with write_catalogue(db, "ingest") as writer:
        assert writer.upsert(a) == "new"
        assert writer.upsert(b) == "unchanged"


def test_withdrawn_courses_are_kept_and_can_reappear(db: Path) -> None:
    with write_catalogue(db, "crawl", ["src"]) as writer:
        for c in courses(3, source="src"):
            writer.upsert(c)
    with write_catalogue(db, "crawl", ["src"]) as writer:
        assert writer.withdraw_missing("src", {"test-0", "test-1"}) == 1
    with open_catalogue(db) as catalogue:
        gone = catalogue.course("test-2")
        assert gone is not None and gone.withdrawn
        assert catalogue.summary()["active"] == 2
    with write_catalogue(db, "crawl", ["src"]) as writer:
        assert writer.upsert(courses(3, source="src")[2]) == "changed"
    with open_catalogue(db) as catalogue:
        assert not catalogue.course("test-2").withdrawn
        assert [h["change"] for h in catalogue.history("test-2")] == ["withdrawn", "reappeared"]


def test_a_run_that_raises_leaves_the_catalogue_as_before(db: Path) -> None:
    with write_catalogue(db, "ingest") as writer:
        for c in courses(3):
            writer.upsert(c)
    before = snapshot(db)
    with pytest.raises(RuntimeError, match="network down"):
        with write_catalogue(db, "crawl", ["src"]) as writer:
            for c in courses(5, title="Ændret titel"):
                writer.upsert(c)
            writer.withdraw(["test-0"])
            raise RuntimeError("network down")
    assert snapshot(db) == before
    assert not list(db.parent.glob(".*.writing*"))
    with open_catalogue(db) as catalogue:
        last = catalogue.runs(1)[0]
    assert last["status"] == "failed" and "network down" in last["errors"][-1]["message"]
    assert last["counts"]["changed"] == 3  # what it had done before failing, for the operator


def test_a_write_keeps_the_catalogues_permissions_and_a_read_only_one_is_left_alone(db: Path) -> None:
    with write_catalogue(db, "ingest") as writer:
        writer.upsert(courses(1)[0])
    db.chmod(0o600)
    with write_catalogue(db, "ingest") as writer:
        writer.upsert(courses(2)[1])
    assert db.stat().st_mode & 0o777 == 0o600  # was 644 after every write
    db.chmod(0o444)
    before = snapshot(db)
    with pytest.raises(CatalogueError, match="is read-only: make it writable"):
        with write_catalogue(db, "ingest") as writer:
            writer.upsert(courses(3)[2])
    assert snapshot(db) == before and db.stat().st_mode & 0o777 == 0o444


def test_a_full_disk_is_one_clear_error_and_leaves_no_half_copy(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    with write_catalogue(db, "ingest") as writer:
        writer.upsert(courses(1)[0])
    before = snapshot(db)
    real_copy = shutil.copyfile

    def copy_then_fill_the_disk(source: Path, target: Path) -> None:
        real_copy(source, target)  # what was written before the disk filled up
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(shutil, "copyfile", copy_then_fill_the_disk)
    with pytest.raises(CatalogueError, match="cannot copy the catalogue for this run \\(the disk is full: a write needs "
                                             "room for a copy of the catalogue, about \\d+ MB more.*; nothing was changed"):
        with write_catalogue(db, "ingest") as writer:
            writer.upsert(courses(2)[1])
    monkeypatch.undo()
    assert snapshot(db) == before and not list(db.parent.glob(".*.writing*"))  # no half copy holds the disk full
    with pytest.raises(CatalogueError, match="the run could not be written .*No space left on device.*the catalogue is as it was"):
        with write_catalogue(db, "ingest") as writer:
            writer.upsert(courses(2)[1])
            raise OSError(28, "No space left on device")  # as DuckDB's commit meets a full disk
    assert snapshot(db) == before
    # DuckDB's own message for a checkpoint on a full disk ends in its native stack trace: not for the user
    with pytest.raises(CatalogueError) as raised:
        with write_catalogue(db, "ingest") as writer:
            writer.upsert(courses(2)[1])
            raise duckdb.IOException('FATAL Error: Failed to create checkpoint because of error: Could not write file '
                                     '".catalogue.duckdb.1.writing": No space left on device\n\nStack Trace:\n'
                                     '/lib/_duckdb.so(_ZN6duckdb9ExceptionC2E+0x4d) [0x7f]\n' * 3)
    assert "disk is full" in str(raised.value) and "Stack Trace" not in str(raised.value)
    assert "\n" not in str(raised.value) and snapshot(db) == before


def test_a_killed_writer_process_leaves_the_catalogue_as_before(db: Path, tmp_path: Path) -> None:
    with write_catalogue(db, "ingest") as writer:
        for c in courses(2):
            writer.upsert(c)
    before = snapshot(db)
    ready = tmp_path / "ready"
    script = textwrap.dedent(f"""
        import time
        from pathlib import Path
        from matcher.course import Course
        from matcher.store import write_catalogue
        with write_catalogue({str(db)!r}, "crawl") as writer:
            for i in range(50):
                writer.upsert(Course(id=f"new-{{i}}", title="Halvt skrevet"))
            Path({str(ready)!r}).touch()
            time.sleep(60)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=REPO)
    deadline = time.monotonic() + 60
    while not ready.exists():
        assert proc.poll() is None and time.monotonic() < deadline, "writer did not start"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert snapshot(db) == before
    with write_catalogue(db, "ingest") as writer:  # the next writer is not blocked and cleans up
        writer.upsert(courses(3)[2])
    assert len(snapshot(db)) == 3
    assert not list(db.parent.glob(".*.writing*"))


def _make_v1_catalogue(path: Path) -> None:
    con = duckdb.connect(str(path))
    for statement in MIGRATIONS[0]:
        con.execute(statement)
    con.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    con.execute(
        "INSERT INTO course (id, title, first_seen, last_seen, content_hash) "
        "VALUES ('old-1', 'Kursus fra en ældre version', now(), now(), 'x')"
    )
    con.close()


def test_an_older_catalogue_is_upgraded_with_its_data(db: Path) -> None:
    _make_v1_catalogue(db)
    with open_catalogue(db) as catalogue:
        assert catalogue.version == SCHEMA_VERSION
        assert catalogue.course("old-1").title == "Kursus fra en ældre version"
        assert catalogue.summary()["tagged"] == 0  # the tables of version 2 exist
        assert catalogue.runs(1)[0]["kind"] == "migrate"


def test_a_newer_catalogue_is_refused_and_left_alone(db: Path) -> None:
    _make_v1_catalogue(db)
    con = duckdb.connect(str(db))
    con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    con.close()
    before = db.read_bytes()
    with pytest.raises(CatalogueError, match="version 99.*newer fagmatch"):
        open_catalogue(db)
    with pytest.raises(CatalogueError, match="version 99"):
        with write_catalogue(db, "ingest"):
            pass
    assert db.read_bytes() == before


def test_a_damaged_or_foreign_file_is_a_clear_error_and_left_alone(db: Path, run_cli) -> None:
    db.write_bytes(b"not a catalogue\n" * 1000)  # e.g. a truncated copy, or the wrong file named
    before = db.read_bytes()
    with pytest.raises(CatalogueError, match="not a readable fagmatch catalogue.*not a valid DuckDB database"):
        open_catalogue(db)
    for args in (["status"], ["ingest", str(REPO / "service" / "samples" / "courses.jsonl")], ["serve", "--port", "1"]):
        result = run_cli(*args)
        assert result.exit_code == 1 and "is not a readable fagmatch catalogue" in result.output, (args, result.output)
        assert "Traceback" not in result.output
    assert db.read_bytes() == before
    assert list(db.parent.glob(f".{db.name}.*")) == []  # no private copy left behind

    db.unlink()
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE invoices (id INTEGER)")  # someone else's database
    con.close()
    before = db.read_bytes()
    with pytest.raises(CatalogueError, match="not a fagmatch catalogue"):
        open_catalogue(db)
    with pytest.raises(CatalogueError, match="not a fagmatch catalogue"):
        with write_catalogue(db, "ingest"):
            pass
    assert db.read_bytes() == before


def test_commands_that_only_read_refuse_a_missing_catalogue_and_create_nothing(tmp_path: Path, run_cli) -> None:
    folder = tmp_path / "elsewhere"  # an existing folder, a mistyped file name
    folder.mkdir()
    typo = folder / "katalog.duckdb"
    for args in (["status"], ["export"], ["export", "--format", "csv", "--output", str(tmp_path / "out.csv")],
                 ["recommend", "--query", "sygedagpenge"]):
        result = run_cli("--db", str(typo), *args)
        assert result.exit_code == 1, (args, result.output)
        assert f"error: no catalogue at {typo} (check --db or FAGMATCH_DB); make one with `fagmatch ingest FEED`" in result.stderr
        assert result.stdout == "", args
    assert list(folder.iterdir()) == [] and not (tmp_path / "out.csv").exists()
    with pytest.raises(CatalogueMissing):
        open_catalogue(typo, create=False)

    sources = run_cli("--db", str(typo), "sources")  # the registry is worth listing before the first crawl
    assert sources.exit_code == 0 and "never crawled" in sources.stdout
    assert f"note: no catalogue at {typo} yet" in sources.stderr
    assert list(folder.iterdir()) == []

    ingest = run_cli("--db", str(typo), "ingest", str(REPO / "service" / "samples" / "courses.jsonl"))
    assert ingest.exit_code == 0, ingest.output  # commands that write make the catalogue
    status = run_cli("--db", str(typo), "status")
    assert status.exit_code == 0 and "ingest" in status.stdout


def test_serve_on_a_missing_catalogue_says_it_serves_a_new_empty_one(tmp_path: Path, run_cli) -> None:
    # The service may start empty and be filled by a crawl over HTTP (docs/service.md), so it creates
    # the catalogue, but says so: a mistyped --db does not pass unnoticed.
    typo = tmp_path / "katalog.duckdb"
    with socket.socket() as taken:  # the port is taken, so serve stops right after opening the catalogue
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = run_cli("--db", str(typo), "serve", "--port", str(taken.getsockname()[1]))
    assert result.exit_code == 1 and "cannot listen on" in result.stderr, result.output
    assert f"note: no catalogue at {typo}; serving a new, empty one" in result.stderr
    assert typo.exists()



def test_serve_warns_of_a_crawl_registry_it_cannot_read(tmp_path: Path, run_cli) -> None:
    registry = tmp_path / "sources.yaml"
    registry.write_text("sources:\n  - name: x\n    kind: kursusfirma\n", encoding="utf-8")
    with socket.socket() as taken:  # the port is taken, so serve stops right after its checks
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = run_cli("--db", str(tmp_path / "c.duckdb"), "serve", "--port", str(taken.getsockname()[1]),
                         "--registry", str(registry))
    assert f"warning: {registry}: invalid source registry (1 problem)" in result.stderr
    assert f"{registry}:1: sources: must be a mapping of keys and values, got list" in result.stderr
    assert "POST /api/admin/crawl refuses to crawl until it is fixed" in result.stderr


def test_a_reader_keeps_its_snapshot_until_it_reopens(db: Path) -> None:
    with write_catalogue(db, "ingest") as writer:
        writer.upsert(courses(1)[0])
    reader = CatalogueReader(db)
    with write_catalogue(db, "ingest") as writer:
        writer.upsert(courses(2)[1])
    assert reader.is_stale()
    assert len(list(reader.courses())) == 1
    reader.close()
    with CatalogueReader(db) as fresh:
        assert len(list(fresh.courses())) == 2 and not fresh.is_stale()


WRITER = """
import sys
from matcher.course import Course
from matcher.store import write_catalogue
db, generations = sys.argv[1], int(sys.argv[2])
for g in range(1, generations + 1):
    with write_catalogue(db, "ingest") as writer:
        for i in range(40):
            writer.upsert(Course(id=f"c{i}", title=f"generation {g}", description="x" * 2000))
"""

READER = """
import json, sys, time
from matcher.store import CatalogueReader
db, out, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
seen, errors, end = [], [], time.monotonic() + seconds
while time.monotonic() < end:
    try:
        with CatalogueReader(db) as reader:
            rows = reader.con.execute("SELECT title, count(*) FROM course GROUP BY title").fetchall()
            seen.append(rows)
    except Exception as exc:
        errors.append(repr(exc))
json.dump({"seen": seen, "errors": errors}, open(out, "w"))
"""


def test_a_reader_process_never_sees_a_half_written_run_nor_an_error(db: Path, tmp_path: Path) -> None:
    with write_catalogue(db, "init"):
        pass
    out = tmp_path / "reader.json"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(db), str(out), "6"], cwd=REPO)
    writer = subprocess.run([sys.executable, "-c", WRITER, str(db), "12"], cwd=REPO, capture_output=True, text=True)
    assert writer.returncode == 0, writer.stderr
    assert reader.wait(timeout=60) == 0
    result = json.loads(out.read_text())
    assert result["errors"] == []
    assert len(result["seen"]) > 10
    for rows in result["seen"]:
        # either the empty catalogue or exactly one whole generation, never a mix
        assert rows == [] or (len(rows) == 1 and rows[0][1] == 40), rows
    generations = {rows[0][0] for rows in result["seen"] if rows}
    assert len(generations) >= 2, "the reader should have seen the catalogue change while it read"


def test_the_readme_sql_example_lists_what_the_feed_says(tagged_catalogue: Path) -> None:
    """docs/catalogue.md, "Reading the catalogue with SQL": the example query, run as printed, finds exactly
    the active courses the catalogue's own reading tags Lov & Myndighed at specialised level."""
    section = (REPO / "docs" / "catalogue.md").read_text(encoding="utf-8").split("## Reading the catalogue with SQL", 1)[1]
    sql = section.split("```sql", 1)[1].split("```", 1)[0]
    con = duckdb.connect(str(tagged_catalogue), read_only=True)
    try:
        rows = con.execute(sql).fetchall()
    finally:
        con.close()
    with open_catalogue(tagged_catalogue) as catalogue:
        feed, _ = catalogue.feed_page()
    expected = {
        row["course"].title for row in feed
        if row["withdrawn_at"] is None and row["tags"] and row["tags"]["current"]
        and "lov_myndighed" in row["tags"]["assigned_fields"] and row["tags"]["level"] == "specialiseret"
    }
    assert len(expected) >= 2
    assert sorted(title for title, _, _ in rows) == sorted(expected)
    scores = [score for _, _, score in rows]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("visit", ["?PHPSESSID=e3c2a21d8fe9", "?sid=81f0", ";jsessionid=0A1B2C3D", "?sessionid=9&utm_source=x"])
def test_a_session_id_in_the_url_does_not_make_a_new_course(visit: str) -> None:
    plain = Course(url="https://udbyder.example/kurser/jobafklaring", title="Jobafklaring")
    visited = Course(url=f"https://udbyder.example/kurser/jobafklaring{visit}", title="Jobafklaring")
    assert visited.course_id == plain.course_id
