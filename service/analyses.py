"""Saved team analyses: only the gaps a user chose to keep, so a provider's coverage can show demand.
No person is kept: of each gap only what it asks for and for how many (SAVED_KEYS), on saving (and,
where an older version kept more, on the next read). A small SQLite file beside the catalogue,
`<db>.analyses.sqlite`, because saving must not wait for a crawl holding the catalogue's write lock,
and deleting must be real: deleted rows are overwritten (`secure_delete`), not left in free pages."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

MAX_ID = 2**63 - 1  # SQLite's largest INTEGER: a larger id cannot even be looked up
_SCHEMA = """CREATE TABLE IF NOT EXISTS analysis (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, saved_at TEXT NOT NULL, gaps TEXT NOT NULL)"""
# What is kept of a gap (matcher.recommend.Gap, as JSON): what it asks for and for how many, nothing
# of a person. Left out: `employees` and `levels` (names, each one's step), `proficiency` (with one
# learner, a person's step) and `skip` ("Anna Hansen short of step 3 …"). A part added to Gap later
# is left out until it is named here.
SAVED_KEYS = ("id", "fields", "field", "field_name", "level", "text", "learners", "dimension", "priority_rank",
              "source", "part", "target_level", "level_read_by", "level_words", "domain_score")


def without_people(gap: dict[str, Any]) -> dict[str, Any]:
    """The gap as it is saved: only its SAVED_KEYS."""
    return {key: gap[key] for key in SAVED_KEYS if key in gap}


def _private(path: Path) -> Path:
    """`path`, created readable by the service's user alone where it is new: team analyses are no one
    else's to read (SQLite gives its journal the same permissions)."""
    path.touch(mode=0o600, exist_ok=True)
    return path


class AnalysisStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def for_catalogue(cls, db: Path) -> AnalysisStore:
        return cls(db.with_name(db.name + ".analyses.sqlite"))

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(_private(self.path), timeout=10)
        con.execute("PRAGMA secure_delete = ON")
        con.execute(_SCHEMA)
        return con

    def save(self, name: str, gaps: list[dict[str, Any]]) -> dict[str, Any]:
        saved_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        gaps = [without_people(gap) for gap in gaps]
        with closing(self._connect()) as con, con:  # commit, then close
            cursor = con.execute("INSERT INTO analysis (name, saved_at, gaps) VALUES (?, ?, ?)",
                                 [name, saved_at, json.dumps(gaps, ensure_ascii=False)])
        return {"id": cursor.lastrowid, "name": name, "saved_at": saved_at, "gaps": gaps}

    def copy_to(self, target: Path) -> int:
        """Copy every saved analysis into the store file `target`, replacing what it held, by SQLite's
        online backup (a consistent copy while the service saves or deletes); returns how many."""
        source, destination = sqlite3.connect(_private(self.path), timeout=10), sqlite3.connect(_private(target), timeout=10)
        try:
            source.execute(_SCHEMA)
            source.backup(destination)
            with destination:  # the copy keeps no person that an older version kept
                destination.execute("PRAGMA secure_delete = ON")
                return len(_read_without_people(destination))
        finally:
            source.close()
            destination.close()

    def count(self) -> int:
        """How many analyses the file holds, read without changing it (a backup's, before a restore)."""
        if not self.path.exists():
            return 0
        with closing(sqlite3.connect(f"{self.path.as_uri()}?mode=ro", uri=True, timeout=10)) as con:
            return con.execute("SELECT count(*) FROM analysis").fetchone()[0]

    def list(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        with closing(self._connect()) as con, con:  # commit, then close
            return _read_without_people(con)

    def all_gaps(self) -> list[dict[str, Any]]:
        """Every saved gap, for demand in coverage."""
        return [gap for analysis in self.list() for gap in analysis["gaps"]]

    def delete(self, analysis_id: int) -> bool:
        return self.delete_many([analysis_id]) > 0

    def delete_many(self, analysis_ids: Sequence[int]) -> int:
        """Delete these analyses in one transaction; returns how many there were."""
        if not self.path.exists() or not analysis_ids:
            return 0
        with closing(self._connect()) as con, con:  # commit, then close
            return con.executemany("DELETE FROM analysis WHERE id = ?", [[i] for i in analysis_ids]).rowcount


def _read_without_people(con: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every saved analysis; where a version before this one kept a gap's employees, they are
    removed from the file now."""
    rows = con.execute("SELECT id, name, saved_at, gaps FROM analysis ORDER BY id").fetchall()
    analyses = [{"id": i, "name": n, "saved_at": s, "gaps": json.loads(g)} for i, n, s, g in rows]
    for analysis in analyses:
        kept = [without_people(gap) for gap in analysis["gaps"]]
        if kept != analysis["gaps"]:
            analysis["gaps"] = kept
            con.execute("UPDATE analysis SET gaps = ? WHERE id = ?", [json.dumps(kept, ensure_ascii=False), analysis["id"]])
    return analyses
