"""Today's date can be pinned (FAGMATCH_TODAY), so a catalogue with fixed dates answers the same whatever
the calendar says; a mistyped date is one clear error."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from matcher import clock

# The sample master module's one start (1 February 2027) closes with its deadline, 1 November 2026.
MASTER = "uoj-master-samskabelse-partnerskaber-2027"


def test_the_pinned_day_is_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(clock.ENV, "2027-03-01")
    assert clock.today() == dt.date(2027, 3, 1)
    monkeypatch.delenv(clock.ENV)
    assert clock.today() == dt.datetime.now(ZoneInfo("Europe/Copenhagen")).date()


def test_today_is_the_date_in_denmark_whatever_zone_the_server_keeps() -> None:
    """It was the server's own date: on a server in UTC a deadline that had passed in Denmark stayed
    open until 1 in the morning. At any moment at least one of these two zones is on another date
    than Copenhagen (UTC+14 runs 13 hours ahead of it, UTC-11 12 hours behind)."""
    import os
    import subprocess
    import sys

    script = "from matcher import clock; print(clock.today().isoformat())"
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):
        env = {**os.environ, "TZ": zone}
        env.pop(clock.ENV, None)
        answer = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True,
                                cwd=Path(__file__).resolve().parents[1]).stdout.strip()
        assert answer == dt.datetime.now(ZoneInfo("Europe/Copenhagen")).date().isoformat(), zone


def _recommended(run_cli, db: Path, query: str, course_id: str, day: str, top: int = 10) -> bool:  # noqa: ANN001
    """Whether `recommend --query` on the pinned `day` lists the course among its `top`."""
    result = run_cli("--db", str(db), "recommend", "--query", query, "--top", str(top), "--json", env={clock.ENV: day})
    assert result.exit_code == 0, result.output
    return course_id in [r["course_id"] for r in json.loads(result.stdout)["results"]]


def test_recommendations_answer_as_on_the_pinned_day(run_cli, tagged_catalogue: Path) -> None:
    query = "samskabelse og partnerskaber i velfærdsstaten"
    assert _recommended(run_cli, tagged_catalogue, query, MASTER, "2026-10-15")
    assert not _recommended(run_cli, tagged_catalogue, query, MASTER, "2026-11-22")


def test_a_course_without_a_start_closes_with_its_deadline(run_cli, tagged_catalogue: Path, tmp_path: Path) -> None:
    """A masterclass that states no start and a deadline of 1 December 2026: after it, its page said the
    deadline was overskredet, but search and recommendations still offered it first, and a plan
    suggested a start for it."""
    import shutil

    from matcher.catalogue_index import CatalogueIndex, CourseFilters, CourseTags
    from matcher.course import Course
    from matcher.store import connect_duckdb
    from tests.conftest import course_record

    course = Course.model_validate({**course_record(1), "start_dates": [], "application_deadline": "2026-12-01"})
    index = CatalogueIndex([course], [CourseTags()], None, field_keys=[])  # what search filters by
    assert index.mask(CourseFilters(), dt.date(2026, 12, 1))[0] and not index.mask(CourseFilters(), dt.date(2026, 12, 2))[0]

    masterclass = "jurforlag-masterclass-fleksjob-klagesager"  # in the sample feed without a start
    db = tmp_path / "catalogue.duckdb"
    shutil.copy(tagged_catalogue, db)
    con = connect_duckdb(str(db))
    try:
        con.execute("UPDATE course SET application_deadline = '2026-12-01' WHERE id = ?", [masterclass])
    finally:
        con.close()

    query = "klagesager og afgørelser om fleksjob og ressourceforløb"
    assert _recommended(run_cli, db, query, masterclass, "2026-12-01", top=5)  # the deadline's own day is open
    assert not _recommended(run_cli, db, query, masterclass, "2026-12-02", top=5)


def test_a_mistyped_day_is_one_clear_error(run_cli) -> None:
    result = run_cli("status", env={clock.ENV: "22-11-2026"})
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: FAGMATCH_TODAY='22-11-2026' is not a date: write YYYY-MM-DD, or unset it for today's date"
    for far in ("9999-12-31", "0001-01-01"):  # accepted, then a plan failed on it with the record's words
        result = run_cli("status", env={clock.ENV: far})
        assert result.exit_code == 1 and result.stderr.strip() == (
            f"error: FAGMATCH_TODAY='{far}' is not between 2000-01-01 and 2100-12-31: check the year, "
            "or unset it for today's date")
