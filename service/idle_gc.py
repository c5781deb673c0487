"""Full garbage collections between requests, not in the middle of them.

CPython's cyclic collector walks every container object in a full (generation 2) collection, and
everything in the worker waits meanwhile. The model and the index are frozen out of that walk
(`state.freeze_long_lived`), but the recommender's caches fill with tens of thousands of objects as
new gap words come in: a full collection then takes 20-35 ms on 2 cores, and the 16 requests a
worker holds under 32 clients all wait for it (bench/service.py, words never seen: p99 45-69 ms
in runs of 3 000 requests with a full collection inside, 38-44 ms without).

So while the service runs, CPython starts no full collection itself. `collect_when_idle` starts one
once CPython's own count says one is due (more second-generation collections than the third
threshold) and the worker has been quiet for `QUIET_SECONDS`: nothing in flight, and nothing
finished lately (a worker that is idle for a moment under load gets its next requests within a
millisecond, and they would wait for the whole collection). Under load with no quiet moment, it
waits at most `longest_wait` seconds and then collects anyway, so cyclic garbage never piles up. CPython would also wait until the objects that survived its last full pass have
grown by a quarter; Python does not expose that count, so passes here may come more often, at quiet
moments, where they cost no request anything. Young generations are collected as before: 3-12 ms,
every second or two under load.
"""

from __future__ import annotations

import asyncio
import gc
import time
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

CHECK_SECONDS = 0.1
QUIET_SECONDS = 0.5
LONGEST_WAIT_SECONDS = 60.0
# A threshold CPython never reaches: the third generation's count grows by one per second-generation collection.
NEVER = 2**31 - 1


@dataclass
class Activity:
    """How many HTTP requests the worker is answering now, and when the last one finished (on the
    event loop's clock, `time.monotonic`; changed on the event loop only)."""

    in_flight: int = 0
    last_finished: float = 0.0

    def quiet_for(self, seconds: float) -> bool:
        return self.in_flight == 0 and time.monotonic() - self.last_finished >= seconds


class CountRequests:
    """Plain ASGI middleware that keeps `activity.in_flight` (Starlette's `@app.middleware` costs ms)."""

    def __init__(self, app: ASGIApp, activity: Activity) -> None:
        self.app = app
        self.activity = activity

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.activity.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.activity.in_flight -= 1
            self.activity.last_finished = time.monotonic()


async def collect_when_idle(
    activity: Activity,
    *,
    check_seconds: float = CHECK_SECONDS,
    quiet_seconds: float = QUIET_SECONDS,
    longest_wait: float = LONGEST_WAIT_SECONDS,
) -> None:
    """Run until cancelled: full collections only when due and quiet (or overdue by `longest_wait`).
    CPython's own thresholds come back on the way out. One per process: while one runs, another
    (two apps in one process, as in tests) returns at once and leaves collecting to the first."""
    thresholds = gc.get_threshold()
    if thresholds[2] == NEVER:
        return
    due_after = thresholds[2]  # second-generation collections since the last full one
    gc.set_threshold(thresholds[0], thresholds[1], NEVER)
    due_since: float | None = None
    try:
        while True:
            await asyncio.sleep(check_seconds)
            if not gc.isenabled() or gc.get_count()[2] <= due_after:  # CPython's own test: count > threshold
                due_since = None
                continue
            now = time.monotonic()
            due_since = now if due_since is None else due_since
            if activity.quiet_for(quiet_seconds) or now - due_since >= longest_wait:
                gc.collect()
                due_since = None
    finally:
        gc.set_threshold(*thresholds)
