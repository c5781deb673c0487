"""The feeds' encoded bodies, kept by ETag in each worker.

A whole-catalogue feed (`courses.csv`, `fagprofiler.json`) takes seconds and hundreds of MB to build
at 30 000 courses, and portals fetch the same generation's body again and again, often at once.
Each body is built once per ETag, one build at a time per ETag (other requests for it wait and get
the same bytes), and kept while there is room: at most MAX_BYTES per worker, the least recently used
going first. A new catalogue generation has new ETags, so its bodies are built anew."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

MAX_BYTES = 128 * 1024 * 1024


class FeedBodies:
    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._bodies: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self._building: dict[str, threading.Lock] = {}

    def get(self, etag: str, build: Callable[[], bytes]) -> bytes:
        """The body for `etag`, built by `build` unless kept or being built by another request."""
        with self._lock:
            if (body := self._kept(etag)) is not None:
                return body
            building = self._building.setdefault(etag, threading.Lock())
        with building:  # one build per ETag; the others wait for it
            with self._lock:
                if (body := self._kept(etag)) is not None:
                    return body
            try:
                body = build()
                with self._lock:
                    self._keep(etag, body)
            finally:  # after it is kept: a request arriving now finds the body, and builds none of its own
                with self._lock:
                    self._building.pop(etag, None)
            return body

    def _kept(self, etag: str) -> bytes | None:
        body = self._bodies.get(etag)
        if body is not None:
            self._bodies.move_to_end(etag)
        return body

    def _keep(self, etag: str, body: bytes) -> None:
        if len(body) > self.max_bytes or etag in self._bodies:
            return
        self._bodies[etag] = body
        self._size += len(body)
        while self._size > self.max_bytes:
            _, dropped = self._bodies.popitem(last=False)
            self._size -= len(dropped)
