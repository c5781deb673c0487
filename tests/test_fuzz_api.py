"""The JSON API fuzzed from its own OpenAPI spec with schemathesis (issue 6): whatever a client
sends, the answer is never a 5xx, and it matches the status codes and shapes the spec declares."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis

from service.api import MAX_TEXT
from service.app import create_app
from service.state import ServiceConfig

pytestmark = pytest.mark.slow
KEY = "fuzz-key"
# Endpoints that run the embedding model (~50-100 ms a call) get fewer examples than the rest.
MODEL_BACKED = ["/api/gaps", "/api/gaps/upload", "/api/recommendations", "/api/tag-draft"]
DRAFT_CHARS = 2_000

CONFIG = schemathesis.Config.from_dict({
    "seed": 6,
    "generation": {"mode": "all", "max-examples": 30, "deterministic": True, "database": "none"},
    "auth": {"openapi": {"ApiKey": {"api_key": KEY}}},  # the keyed endpoints' bodies get fuzzed, not just the 401
    # Off: the spec cannot express the domain's checks (a CSV's columns, a known region), so schema-valid
    # input may rightly get a 422; and pydantic's lax parsing accepts e.g. `since=0.5` (a Unix time).
    "checks": {"positive_data_acceptance": {"enabled": False}, "negative_data_rejection": {"enabled": False}},
    "operations": [{"include-path": MODEL_BACKED, "generation": {"max-examples": 10}}],
})


# One app for collection and the run: its spec is read at import, so pytest gets a test per operation
# (schemathesis.pytest.from_fixture would defer that, but it breaks on pytest 9.2: no Node._nodeid). Its
# catalogue's place is fixed now and filled by the fixture below. Not warmed: the model loads on first use.
# schemathesis starts the app's lifespan and never ends it: no idle collector, which would own the
# process's garbage-collection thresholds for the rest of the test run (service/idle_gc.py).
DB = Path(tempfile.gettempdir()) / f"fagmatch-fuzz-{os.getpid()}" / "catalogue.duckdb"
APP = create_app(ServiceConfig(db=DB, api_key=KEY, collect_when_idle=False), warm=False)
# Not fuzzed: starting a crawl (network, minutes); tests/test_crawl_trigger.py covers it.
schema = schemathesis.openapi.from_asgi("/openapi.json", APP, config=CONFIG).exclude(method="POST", path="/api/admin/crawl")


@pytest.fixture(scope="module", autouse=True)
def catalogue(tagged_catalogue: Path) -> Iterator[Path]:
    """A copy of the tagged catalogue at DB: the fuzzer ingests feeds and saves analyses."""
    DB.parent.mkdir(exist_ok=True)
    shutil.copy(tagged_catalogue, DB)
    yield DB
    shutil.rmtree(DB.parent)


def _shorter_draft(case: schemathesis.Case) -> None:
    """Cut a valid draft's description to DRAFT_CHARS. Tagging costs ~0.5-1 s per 1,000 characters on
    two cores, so the API's 20,000 would take 10-25 s a call: a latency matter, not a 5xx. Longer than
    the API's limit stays as it is, for the 422."""
    body = case.body
    if isinstance(body, dict) and isinstance(text := body.get("description"), str) and DRAFT_CHARS < len(text) <= MAX_TEXT:
        case.body = {**body, "description": text[:DRAFT_CHARS]}


@schema.parametrize()
def test_api_answers_every_input_within_its_spec(case: schemathesis.Case) -> None:
    if case.operation.path == "/api/tag-draft":
        _shorter_draft(case)
    case.call_and_validate()  # in-process over ASGI: no network
