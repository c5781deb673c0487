"""Saved team analyses: only the gaps a user chose to keep (no employees' answers), so a provider's
coverage can show demand. A small SQLite file beside the catalogue, `<db>.analyses.sqlite`, because
saving must not wait for a crawl holding the catalogue's write lock, and deleting must be real."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

MAX_ID = 2**63 - 1  # SQLite's largest INTEGER: a larger id cannot even be looked up
_SCHEMA = """CREATE TABLE IF NOT EXISTS analysis (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, saved_at TEXT NOT NULL, gaps TEXT NOT NULL)"""


class AnalysisStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def for_catalogue(cls, db: Path) -> AnalysisStore:
        return cls(db.with_name(db.name + ".analyses.sqlite"))

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=10)
        con.execute(_SCHEMA)
        return con

    def save(self, name: str, gaps: list[dict[str, Any]]) -> dict[str, Any]:
        saved_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        with closing(self._connect()) as con, con:  # commit, then close
            cursor = con.execute("INSERT INTO analysis (name, saved_at, gaps) VALUES (?, ?, ?)",
                                 [name, saved_at, json.dumps(gaps, ensure_ascii=False)])
        return {"id": cursor.lastrowid, "name": name, "saved_at": saved_at, "gaps": gaps}

    def copy_to(self, target: Path) -> int:
        """Copy every saved analysis into the store file `target`, replacing what it held, by SQLite's
        online backup (a consistent copy while the service saves or deletes); returns how many."""
        source, destination = sqlite3.connect(self.path, timeout=10), sqlite3.connect(target, timeout=10)
        try:
            source.execute(_SCHEMA)
            source.backup(destination)
            return destination.execute("SELECT count(*) FROM analysis").fetchone()[0]
        finally:
            source.close()
            destination.close()

    def list(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        with closing(self._connect()) as con, con:  # commit, then close
            rows = con.execute("SELECT id, name, saved_at, gaps FROM analysis ORDER BY id").fetchall()
        return [{"id": i, "name": n, "saved_at": s, "gaps": json.loads(g)} for i, n, s, g in rows]

    def all_gaps(self) -> list[dict[str, Any]]:
        """Every saved gap, for demand in coverage."""
        return [gap for analysis in self.list() for gap in analysis["gaps"]]

    def delete(self, analysis_id: int) -> bool:
        if not self.path.exists():
            return False
        with closing(self._connect()) as con, con:  # commit, then close
            return con.execute("DELETE FROM analysis WHERE id = ?", [analysis_id]).rowcount > 0
