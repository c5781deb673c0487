"""Saved team analyses keep no person, and whoever answers for the data can list and delete them
on the server (`fagmatch analyses`), also in a backup or a restore's replaced copy."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from matcher.ingest import ingest_file
from service.analyses import AnalysisStore
from tests.conftest import course_record, write_jsonl

OLD_SCHEMA = "CREATE TABLE analysis (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, saved_at TEXT NOT NULL, gaps TEXT NOT NULL)"


def _saved_by_an_older_version(store: AnalysisStore) -> None:
    """A row as versions before 2026-12-07 saved it: each employee's step by name."""
    gap = {"id": "g1", "field": "it_digital", "fields": ["it_digital"], "level": "grundlaeggende", "learners": 2,
           "employees": [], "levels": {"Birthe Testesen": 2.0, "Knud Prøvesen": 1.0}, "proficiency": 1.5,
           "skip": None}
    with sqlite3.connect(store.path) as con:
        con.execute(OLD_SCHEMA)
        con.execute("INSERT INTO analysis (name, saved_at, gaps) VALUES (?, ?, ?)",
                    ["Team Nord", "2026-11-02T10:00:00+00:00", json.dumps([gap], ensure_ascii=False)])
    con.close()


def test_names_an_older_version_saved_are_removed_from_the_file_on_the_next_read(db: Path) -> None:
    store = AnalysisStore.for_catalogue(db)
    _saved_by_an_older_version(store)
    assert "Testesen".encode() in store.path.read_bytes()
    [analysis] = store.list()
    gap = analysis["gaps"][0]
    assert {"employees", "levels", "proficiency", "skip"}.isdisjoint(gap)
    assert (gap["learners"], gap["fields"], gap["level"]) == (2, ["it_digital"], "grundlaeggende")  # the demand stays
    stored = store.path.read_bytes()
    assert b"Testesen" not in stored and "Prøvesen".encode() not in stored


def test_a_backup_of_an_older_versions_analyses_keeps_no_names_and_leaves_its_source_to_the_service(
    db: Path, tmp_path: Path,
) -> None:
    store = AnalysisStore.for_catalogue(db)
    _saved_by_an_older_version(store)
    copy = tmp_path / "copy.analyses.sqlite"
    assert store.copy_to(copy) == 1
    assert b"Testesen" not in copy.read_bytes()
    assert AnalysisStore(copy).list()[0]["gaps"][0]["learners"] == 2


def test_a_backup_takes_what_an_older_version_kept_of_a_person_from_the_catalogues_file_too(
    db: Path, run_cli, tmp_path: Path,
) -> None:
    ingest_file(db, write_jsonl(tmp_path / "a.jsonl", [course_record(1)]))
    store = AnalysisStore.for_catalogue(db)
    _saved_by_an_older_version(store)
    assert run_cli("backup", str(tmp_path / "b.duckdb")).exit_code == 0
    assert b"Testesen" not in store.path.read_bytes()
    assert b"Testesen" not in AnalysisStore.for_catalogue(tmp_path / "b.duckdb").path.read_bytes()


def test_the_cli_lists_and_deletes_all_or_nothing(db: Path, run_cli, tmp_path: Path) -> None:
    ingest_file(db, write_jsonl(tmp_path / "a.jsonl", [course_record(1)]))
    store = AnalysisStore.for_catalogue(db)
    assert run_cli("analyses", "list").output.strip() == f"no saved team analyses beside {db}"
    _saved_by_an_older_version(store)
    store.save("Team Syd", [{"id": "g1", "field": "lov_myndighed", "fields": ["lov_myndighed"], "employees": ["Ole"]}])

    listed = run_cli("analyses", "list")
    assert listed.exit_code == 0
    assert "1  2026-11-02T10:00:00+00:00  Team Nord  (1 gap: it_digital)" in listed.output
    assert "Team Syd  (1 gap: lov_myndighed)" in listed.output
    as_json = json.loads(run_cli("analyses", "list", "--json").output)
    assert [a["id"] for a in as_json] == [1, 2] and b"Testesen" not in store.path.read_bytes()

    missing = run_cli("analyses", "delete", "2", "7")
    assert missing.exit_code == 1 and "no saved analysis 7" in missing.output and "nothing was deleted" in missing.output
    assert len(store.list()) == 2
    for usage in (("analyses", "delete"), ("analyses", "delete", "1", "--all"), ("analyses", "delete", "0")):
        assert run_cli(*usage).exit_code == 2

    deleted = run_cli("analyses", "delete", "2")
    assert deleted.exit_code == 0 and "deleted 1 saved team analysis (2)" in deleted.output
    assert [a["name"] for a in store.list()] == ["Team Nord"]
    assert b"Team Syd" not in store.path.read_bytes()  # overwritten, not left in a free page
    assert run_cli("analyses", "delete", "--all").exit_code == 0 and store.list() == []


def test_the_cli_deletes_from_a_restores_replaced_copy(db: Path, run_cli, tmp_path: Path) -> None:
    """An analysis a restore set aside could not be deleted through the API (404): the CLI reaches it."""
    ingest_file(db, write_jsonl(tmp_path / "a.jsonl", [course_record(1)]))
    store = AnalysisStore.for_catalogue(db)
    store.save("Team Nord", [{"id": "g1", "fields": ["it_digital"]}])
    assert run_cli("backup", str(tmp_path / "b.duckdb")).exit_code == 0
    store.save("Team Syd", [{"id": "g1", "fields": ["lov_myndighed"]}])
    assert run_cli("restore", str(tmp_path / "b.duckdb"), "--yes").exit_code == 0
    assert [a["name"] for a in store.list()] == ["Team Nord"]
    [replaced] = [p for p in tmp_path.glob("catalogue.duckdb.replaced-*") if not p.name.endswith(".sqlite")]
    result = run_cli("--db", str(replaced), "analyses", "delete", "2")
    assert result.exit_code == 0, result.output
    assert [a["name"] for a in AnalysisStore.for_catalogue(replaced).list()] == ["Team Nord"]


def test_a_mistyped_catalogue_is_an_error_not_an_empty_list(run_cli, tmp_path: Path) -> None:
    """A clean-up job with a typo in --db printed "deleted 0 saved team analyses" and exited 0."""
    for args in (("analyses", "list"), ("analyses", "delete", "--all")):
        result = run_cli("--db", str(tmp_path / "catalgue.duckdb"), *args)
        assert result.exit_code == 1 and "no catalogue at" in result.stderr
