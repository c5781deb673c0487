"""Shared fixtures: real catalogue files in temp dirs and small real feeds."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

ROOT = Path(__file__).resolve().parents[1]

# The sample feed and the fixtures have fixed dates, written in late November 2026: the suite runs on
# that day (matcher/clock.py), in this process and in every service or command it starts, so that
# starts and deadlines passing in the real calendar do not change what it checks.
TEST_TODAY = "2026-11-22"
os.environ["FAGMATCH_TODAY"] = TEST_TODAY
SAMPLE_FEED = ROOT / "service" / "samples" / "courses.jsonl"


def course_record(number: int, **overrides: Any) -> dict[str, Any]:
    """A plausible feed record; `number` makes it a distinct course."""
    record: dict[str, Any] = {
        "id": f"test-{number}",
        "url": f"https://udbyder.example/kurser/{number}",
        "provider": "Testhøjskolen",
        "title": f"Sygedagpengeloven i praksis {number}",
        "description": "Kurset giver indgående viden om sygedagpengeloven og jobafklaring.",
        "learning_goals": [{"kind": "viden", "text": "Har viden om sygedagpengeloven"}],
        "course_type": "kursus",
        "price_dkk": 4995.0,
        "form": "fysisk",
        "location": "Odense",
        "start_dates": ["2027-02-03", "2027-09-01"],
        "application_deadline": "2027-01-10",
        "language": "da",
    }
    record.update(overrides)
    return record


def write_jsonl(path: Path, records: list[Any]) -> Path:
    """Write records (dicts, or raw strings for broken lines) as a JSON Lines file."""
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "catalogue.duckdb"


@pytest.fixture
def run_cli(db: Path):
    """Run the real CLI in-process against the temp catalogue."""

    def run(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:  # noqa: A002
        from service.cli import main

        return CliRunner().invoke(main, ["--db", str(db), *args], env=env, input=input, catch_exceptions=False)

    return run


# Issue 23's scenario: a team of four rated 1–5 in the proficiency template's columns, against the
# bundled target profile (every field at step 3, one resource person in five of them). Novices (1)
# in Lov & Myndighed and IT & Digital, where no one is a resource person yet; Arbejdsmarked &
# Uddannelse is met on average (a negative gap) with one person far behind.
# The file is the sample team the README's screenshot shows (docs/make_screenshots.py).
TEAM_OF_FOUR = (ROOT / "service" / "samples" / "team-of-four.csv").read_text(encoding="utf-8")
BUNDLED_TARGET = ROOT / "matcher" / "data" / "templates" / "target-profile.yaml"


@pytest.fixture(scope="session")
def tagged_catalogue(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample feed ingested and tagged by the real tagger, once per session (~15–30 s): a catalogue
    file for service, API and browser tests. Treat it as read-only."""
    from matcher.catalogue_tagging import tag_catalogue
    from matcher.embeddings import Embedder
    from matcher.ingest import ingest_file
    from matcher.tagging import Tagger
    from matcher.taxonomy import load_taxonomy

    db = tmp_path_factory.mktemp("tagged-catalogue") / "catalogue.duckdb"
    report = ingest_file(db, SAMPLE_FEED)
    assert report.written and not report.rejected, report.rejected
    tag_catalogue(db, Tagger.default(load_taxonomy(), Embedder.load()))
    return db


@contextmanager
def draft_slot_taken(client: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Another draft is being tagged in the service: a draft check meanwhile waits 0.05 s, then gives up."""
    state = client.app.state.service
    monkeypatch.setattr("service.state.DRAFT_WAIT_SECONDS", 0.05)
    assert state._draft_slot.acquire(timeout=1)
    try:
        yield
    finally:
        state._draft_slot.release()


@contextmanager
def held_elsewhere(enter: Callable[[], Any], *, for_seconds: float | None = None) -> Iterator[Any]:
    """Hold the context manager `enter()` makes in another thread, as another process would (a
    writer, a tagging run), from before the block starts until it ends, or for `for_seconds`; the
    block gets what the context manager gave."""
    import threading

    held, release, given = threading.Event(), threading.Event(), []

    def hold() -> None:
        with enter() as value:
            given.append(value)
            held.set()
            release.wait(60)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert held.wait(60), "the context manager was not entered"
        if for_seconds is not None:
            threading.Timer(for_seconds, release.set).start()
        yield given[0]
    finally:
        release.set()
        thread.join()


SLASHED_ID = "kp/diplom/sygedagpenge-2027"  # a provider's course id holding '/'
SERVICE_KEY = "test-key"


@pytest.fixture(scope="session")
def service_client(tagged_catalogue: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One app with the model and index loaded, for modules that only ask (each loaded app holds over
    a GB): over a copy of the tagged catalogue plus one untagged course whose id holds '/', with the
    API key SERVICE_KEY. Server errors come back as 500 answers, not exceptions."""
    import shutil

    from fastapi.testclient import TestClient

    from matcher.ingest import ingest_file
    from service.app import create_app
    from service.state import ServiceConfig

    folder = tmp_path_factory.mktemp("service")
    db = folder / "catalogue.duckdb"
    shutil.copy(tagged_catalogue, db)
    ingest_file(db, write_jsonl(folder / "slashed.jsonl", [course_record(1, id=SLASHED_ID)]))
    # No idle collector: it would own the garbage collector's thresholds for the session (test_idle_gc.py).
    config = ServiceConfig(db=db, api_key=SERVICE_KEY, collect_when_idle=False)
    with TestClient(create_app(config), raise_server_exceptions=False) as client:
        yield client
