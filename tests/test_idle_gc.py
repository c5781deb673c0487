"""Full garbage collections wait for a moment without requests (service/idle_gc.py)."""

from __future__ import annotations

import asyncio
import gc
import time
import weakref
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from service.app import create_app
from service.idle_gc import NEVER, Activity, CountRequests, collect_when_idle
from service.state import ServiceConfig


@pytest.fixture(autouse=True)
def no_collector_running() -> None:
    """An app's collector left running (a lifespan never shut down) would own the thresholds."""
    assert gc.get_threshold()[2] != NEVER, "a collector of another test's app still runs in this process"


class Node:
    def __init__(self) -> None:
        self.other: Any = self


def cyclic_garbage_in_the_oldest_generation() -> weakref.ref[Node]:
    """A reference cycle that only a full collection frees: it survived to generation 2 first."""
    node = Node()
    gc.collect(1)  # moves the live node to generation 2
    ref = weakref.ref(node)
    del node
    return ref


def make_full_collection_due(threshold: int) -> None:
    """As many second-generation collections as CPython's own threshold asks for (each counts one)."""
    for _ in range(threshold + 1):
        gc.collect(1)


def test_a_due_full_collection_waits_for_a_quiet_moment() -> None:
    threshold = gc.get_threshold()[2]

    async def scenario() -> None:
        activity = Activity(in_flight=1)
        task = asyncio.create_task(collect_when_idle(activity, check_seconds=0.01, quiet_seconds=0.3, longest_wait=60))
        await asyncio.sleep(0)  # the collector takes over the thresholds
        garbage = cyclic_garbage_in_the_oldest_generation()
        make_full_collection_due(threshold)
        await asyncio.sleep(0.2)
        assert garbage() is not None, "collected while a request was in flight"
        activity.in_flight, activity.last_finished = 0, time.monotonic()
        await asyncio.sleep(0.1)
        assert garbage() is not None, "collected the moment the last request finished: the next may be on its way"
        await asyncio.sleep(0.4)
        assert garbage() is None, "not collected once quiet"
        task.cancel()

    asyncio.run(scenario())


def test_under_load_without_an_idle_moment_an_overdue_collection_runs_anyway() -> None:
    threshold = gc.get_threshold()[2]

    async def scenario() -> None:
        activity = Activity(in_flight=16)
        task = asyncio.create_task(collect_when_idle(activity, check_seconds=0.01, longest_wait=0.3))
        await asyncio.sleep(0)
        garbage = cyclic_garbage_in_the_oldest_generation()
        make_full_collection_due(threshold)
        await asyncio.sleep(0.1)
        assert garbage() is not None
        await asyncio.sleep(0.5)
        assert garbage() is None
        task.cancel()

    asyncio.run(scenario())


def test_cpython_starts_no_full_collection_while_the_collector_runs_and_gets_its_thresholds_back() -> None:
    before = gc.get_threshold()
    seen: list[tuple[int, int, int]] = []

    async def scenario() -> None:
        task = asyncio.create_task(collect_when_idle(Activity(), check_seconds=0.01))
        await asyncio.sleep(0.05)
        seen.append(gc.get_threshold())
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    assert seen == [(before[0], before[1], NEVER)]
    assert gc.get_threshold() == before


def test_requests_are_counted_while_they_are_answered() -> None:
    activity = Activity()

    async def endpoint(request: Request) -> JSONResponse:
        return JSONResponse({"in_flight": activity.in_flight})

    app = CountRequests(Starlette(routes=[Route("/", endpoint)]), activity)
    with TestClient(app) as client:
        assert client.get("/").json() == {"in_flight": 1}
        assert client.get("/nowhere").status_code == 404
        finished = activity.last_finished
        assert not activity.quiet_for(0.5)
    assert activity.in_flight == 0  # an error answer counts down too
    assert time.monotonic() - finished < 5


def test_the_service_collects_when_idle_while_it_runs(tmp_path: Path) -> None:
    before = gc.get_threshold()
    with TestClient(create_app(ServiceConfig(db=tmp_path / "catalogue.duckdb"), warm=False)) as client:
        assert gc.get_threshold()[2] == NEVER
        assert client.get("/healthz").status_code in (200, 503)
    assert gc.get_threshold() == before
    with TestClient(create_app(ServiceConfig(db=tmp_path / "catalogue.duckdb", collect_when_idle=False), warm=False)):
        assert gc.get_threshold() == before


def test_a_second_collector_in_the_process_leaves_collecting_to_the_first() -> None:
    before = gc.get_threshold()

    async def scenario() -> None:
        first = asyncio.create_task(collect_when_idle(Activity(), check_seconds=0.01))
        await asyncio.sleep(0.02)
        second = asyncio.create_task(collect_when_idle(Activity(), check_seconds=0.01))
        await asyncio.sleep(0.02)
        assert second.done()
        assert gc.get_threshold()[2] == NEVER
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first

    asyncio.run(scenario())
    assert gc.get_threshold() == before
