"""`fagmatch backup` and `fagmatch restore`: the whole catalogue (history, tags, runs) and the saved
team analyses come back, nothing is replaced unasked, and a bad file changes nothing."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from matcher.course import Course
from matcher.ingest import ingest_file
from matcher.store import CatalogueReader, write_catalogue
from service.analyses import AnalysisStore
from tests.conftest import course_record, held_elsewhere, write_jsonl


def _everything(db: Path) -> dict:
    """What a backup must keep: every course with its state, history, tags and the runs."""
    with CatalogueReader(db) as reader:
        courses = reader.con.execute("SELECT id, title, withdrawn, withdrawn_at, first_seen FROM course ORDER BY id").fetchall()
        history = reader.con.execute("SELECT course_id, change FROM course_history ORDER BY ALL").fetchall()
        tags = reader.con.execute("SELECT course_id, model, primary_field, level FROM course_tagging ORDER BY ALL").fetchall()
        runs = reader.con.execute("SELECT id, kind, status FROM run ORDER BY id").fetchall()
    return {"courses": courses, "history": history, "tags": tags, "runs": runs}


def _catalogue_with_history(db: Path, tagged: Path) -> None:
    """The tagged sample catalogue, one course changed and one withdrawn, and one saved analysis."""
    shutil.copy(tagged, db)
    ingest_file(db, write_jsonl(db.parent / "one.jsonl", [course_record(1)]), source="feed:one")
    ingest_file(db, write_jsonl(db.parent / "one.jsonl", [course_record(1, title="Ny titel")]), source="feed:one")
    ingest_file(db, write_jsonl(db.parent / "one.jsonl", [course_record(1, withdrawn=True)]), source="feed:one")
    AnalysisStore.for_catalogue(db).save("Team A", [{"id": "g1", "fields": ["lov_myndighed"]}])


def test_a_backup_restores_the_whole_catalogue_and_its_analyses_and_keeps_what_it_replaced(
    db: Path, tagged_catalogue: Path, run_cli, tmp_path: Path,
) -> None:
    _catalogue_with_history(db, tagged_catalogue)
    before = _everything(db)
    assert before["tags"] and before["history"] and any(c[2] for c in before["courses"])  # tags, history, a withdrawal

    backup = tmp_path / "backups" / "monday.duckdb"
    backup.parent.mkdir()
    result = run_cli("backup", str(backup))
    assert result.exit_code == 0, result.output
    assert "31 courses (30 active, 1 withdrawn), 30 tagged" in result.output and "1 saved team analysis" in result.output
    assert _everything(backup) == before  # usable as it is with --db
    assert [a["name"] for a in AnalysisStore.for_catalogue(backup).list()] == ["Team A"]
    # the team analyses, in the catalogue's folder and in the backup's, are the service user's alone to read
    for store in (AnalysisStore.for_catalogue(db).path, AnalysisStore.for_catalogue(backup).path):
        assert store.stat().st_mode & 0o077 == 0, oct(store.stat().st_mode)

    # the week goes on: a new course, a second analysis
    ingest_file(db, write_jsonl(tmp_path / "two.jsonl", [course_record(2)]), source="feed:two")
    AnalysisStore.for_catalogue(db).save("Team B", [])
    after_monday = _everything(db)

    result = run_cli("restore", str(backup), "--yes")
    assert result.exit_code == 0, result.output
    # what comes back is said before it is asked: the analyses too (one deleted since comes back)
    assert f"backup {backup}: 31 courses" in result.output and "; 1 saved team analysis\n" in result.output
    assert "; 2 saved team analyses\n" in result.output
    restored = _everything(db)
    assert {k: v for k, v in restored.items() if k != "runs"} == {k: v for k, v in before.items() if k != "runs"}
    assert restored["runs"][:-1] == before["runs"] and restored["runs"][-1][1:] == ("restore", "ok")
    assert [a["name"] for a in AnalysisStore.for_catalogue(db).list()] == ["Team A"]
    # what the restore replaced is kept beside it, so the restore itself can be undone
    kept = [p for p in tmp_path.glob("catalogue.duckdb.replaced-*") if not p.name.endswith(".analyses.sqlite")]
    assert len(kept) == 1 and f"kept as {kept[0]}" in result.output
    assert _everything(kept[0]) == after_monday
    assert [a["name"] for a in AnalysisStore.for_catalogue(kept[0]).list()] == ["Team A", "Team B"]


def test_a_reader_sees_the_restored_catalogue_next_as_after_any_write(db: Path, run_cli, tmp_path: Path) -> None:
    ingest_file(db, write_jsonl(tmp_path / "a.jsonl", [course_record(1)]))
    assert run_cli("backup", str(tmp_path / "b.duckdb")).exit_code == 0
    ingest_file(db, write_jsonl(tmp_path / "a.jsonl", [course_record(1), course_record(2)]))
    reader = CatalogueReader(db)  # as the service holds one
    try:
        assert run_cli("restore", str(tmp_path / "b.duckdb"), "--yes").exit_code == 0
        assert reader.summary()["courses"] == 2  # its generation stays whole until it reopens
        assert reader.is_stale()
    finally:
        reader.close()
    with CatalogueReader(db) as fresh:
        assert fresh.summary()["courses"] == 1


def test_a_backup_does_not_wait_for_a_writer_and_copies_the_published_generation(db: Path, run_cli, tmp_path: Path) -> None:
    ingest_file(db, write_jsonl(tmp_path / "a.jsonl", [course_record(1)]))
    with held_elsewhere(lambda: write_catalogue(db, "crawl")) as crawl:  # a long crawl, writing
        crawl.upsert(Course.model_validate(course_record(2)))
        result = run_cli("backup", str(tmp_path / "during.duckdb"))
    assert result.exit_code == 0, result.output
    assert "1 course (1 active" in result.output  # the generation published before the crawl, whole
    with CatalogueReader(db) as reader:
        assert reader.summary()["courses"] == 2


def test_backup_and_restore_refuse_what_would_lose_data_and_change_nothing(db: Path, run_cli, tmp_path: Path) -> None:
    ingest_file(db, write_jsonl(tmp_path / "a.jsonl", [course_record(1)]))
    taken = tmp_path / "taken.duckdb"
    taken.write_text("my notes")
    result = run_cli("backup", str(taken))
    assert result.exit_code == 1 and "taken.duckdb exists: name a new file" in result.output
    assert taken.read_text() == "my notes"
    result = run_cli("backup", str(db))
    assert result.exit_code == 1 and "that is the catalogue" in result.output
    result = run_cli("backup", str(tmp_path / "no" / "such" / "b.duckdb"))
    assert result.exit_code == 1 and "no such directory for the backup" in result.output
    # an earlier backup's analyses left beside the name: a restore would have taken them as this one's
    stale = tmp_path / "old.duckdb.analyses.sqlite"
    stale.write_bytes(b"an earlier backup's analyses")
    result = run_cli("backup", str(tmp_path / "old.duckdb"))
    assert result.exit_code == 1 and "old.duckdb.analyses.sqlite exists: name a new file" in result.output
    assert not (tmp_path / "old.duckdb").exists() and stale.read_bytes() == b"an earlier backup's analyses"

    before = _everything(db)
    for bad in (taken, write_jsonl(tmp_path / "feed.jsonl", [course_record(3)])):  # not catalogues
        result = run_cli("restore", str(bad), "--yes")
        assert result.exit_code == 1 and "error:" in result.output and "Traceback" not in result.output, result.output
        assert "name a file that `fagmatch backup` wrote" in result.output  # not "restore it from a backup"
    result = run_cli("restore", str(db), "--yes")
    assert result.exit_code == 1 and "is the catalogue itself" in result.output
    assert run_cli("backup", str(tmp_path / "b.duckdb")).exit_code == 0
    result = run_cli("restore", str(tmp_path / "b.duckdb"))  # no one answers the question (a script)
    assert result.exit_code == 1 and "nothing was changed (--yes restores without asking)" in result.output
    assert _everything(db) == before and not list(tmp_path.glob("catalogue.duckdb.replaced-*"))
    assert not list(tmp_path.glob(".*partial*"))  # no half-written file left behind


def test_a_restore_that_cannot_copy_the_analyses_changes_nothing_and_keeps_them(
    db: Path, run_cli, tmp_path: Path, monkeypatch,
) -> None:
    """A nearly full disk: the backup's analyses cannot be copied. The catalogue is not replaced, and
    the saved analyses are not left as the only copy of what a by-hand fix would overwrite."""
    import sqlite3

    ingest_file(db, write_jsonl(tmp_path / "a.jsonl", [course_record(1)]))
    AnalysisStore.for_catalogue(db).save("Team A", [])
    assert run_cli("backup", str(tmp_path / "b.duckdb")).exit_code == 0
    ingest_file(db, write_jsonl(tmp_path / "a.jsonl", [course_record(1), course_record(2)]))
    AnalysisStore.for_catalogue(db).save("Team B", [])
    before = _everything(db)

    def full(self, target):  # noqa: ANN001, ANN202
        Path(target).write_bytes(b"half")
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(AnalysisStore, "copy_to", full)
    result = run_cli("restore", str(tmp_path / "b.duckdb"), "--yes")
    assert result.exit_code == 1 and "disk is full" in result.output and "nothing was changed" in result.output
    monkeypatch.undo()
    assert _everything(db) == before
    assert [a["name"] for a in AnalysisStore.for_catalogue(db).list()] == ["Team A", "Team B"]
    assert sorted(p.name for p in tmp_path.iterdir() if "replaced" in p.name or p.name.startswith(".")) == []

    result = run_cli("restore", str(tmp_path / "b.duckdb"), "--yes")  # with room again
    assert result.exit_code == 0, result.output
    assert [a["name"] for a in AnalysisStore.for_catalogue(db).list()] == ["Team A"]
    kept = next(tmp_path.glob("catalogue.duckdb.replaced-*.analyses.sqlite"))
    assert kept.name in result.output and [a["name"] for a in AnalysisStore(kept).list()] == ["Team A", "Team B"]


def test_what_a_killed_backup_or_export_left_is_cleared_by_the_next(db: Path, run_cli, tmp_path: Path) -> None:
    """A backup killed with SIGKILL left a catalogue-sized hidden `.b.duckdb.<pid>.partial` for ever."""
    import subprocess
    import sys

    ingest_file(db, write_jsonl(tmp_path / "a.jsonl", [course_record(1)]))
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = int(gone.stdout)  # a process that has ended
    out = tmp_path / "out"
    out.mkdir()
    left = [out / f".b.duckdb.{dead}.partial", out / f".b.duckdb.analyses.sqlite.{dead}.partial",
            out / f".e.jsonl.{dead}.outputk3j_x9"]
    running = out / f".b.duckdb.{os.getppid()}.partial"  # a backup that still runs: not touched
    for path in [*left, running]:
        path.write_bytes(b"half")
    AnalysisStore.for_catalogue(db).save("Team A", [])
    assert run_cli("backup", str(out / "b.duckdb")).exit_code == 0
    assert run_cli("export", "-o", str(out / "e.jsonl")).exit_code == 0
    assert not any(path.exists() for path in left) and running.exists()
