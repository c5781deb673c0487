"""What the service holds while it runs: the taxonomy, the tagger, and an index of the catalogue
that is rebuilt when a crawl or ingest publishes a new generation.

Readers never block writers (matcher/store.py): the index is built from a read-only snapshot, and
a request that arrives while a new one is built keeps using the old one.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from threadpoolctl import threadpool_limits

from matcher.catalogue_index import CatalogueIndex, catalogue_hit
from matcher.store import CatalogueError, CatalogueReader, open_catalogue
from matcher.taxonomy import BUNDLED_TAXONOMY, Taxonomy, load_taxonomy
from service.crawl_jobs import CrawlJobs
from service.feed_cache import FeedBodies

# How long a draft waits for the one draft being tagged before the request is turned away.
DRAFT_WAIT_SECONDS = 10.0


class CatalogueGone(CatalogueError):
    """The catalogue file the service serves is no longer at its path: moved or deleted while it ran.
    The service creates no empty one in its place (it would pass for a catalogue with no courses)."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"the catalogue file {path.name} is gone: moved or deleted while the service runs. Put it back, or restart "
            "the service with --db naming its new place; until then search answers from the courses loaded before")


class DraftBusy(RuntimeError):
    """Another draft is being tagged in this worker; the caller should try again shortly."""


DRAFT_RETRY_SECONDS = 3  # a draft check takes about a second: a waiting one is told to come back after this

STALE_CHECK_SECONDS = 2.0  # how often a request may look at the catalogue file for a newer generation


@dataclass
class ServiceConfig:
    db: Path
    taxonomy_path: Path | None = None
    model: str | None = None
    api_key: str | None = None  # write and admin endpoints answer 403 without it; None disables them
    base_url: str = ""  # the public address for absolute links in feeds; "": relative links (never the Host header's)
    root_path: str = ""  # the path a reverse proxy serves the service under ("/fagmatch"); service/root_path.py
    # the largest body is a recommendation sent back to POST /api/plan: up to about 3 MB (docs/service.md)
    max_body_bytes: int = 4_000_000
    registry: Path | None = None  # crawl sources for POST /api/admin/crawl; default: the bundled registry
    crawl_settings: dict[str, Any] = field(default_factory=dict)  # Scrapy setting overrides for those crawls
    gap_table: bool = True  # embed new gap words with the gap table where it knows them (matcher/gap_table.py)
    collect_when_idle: bool = True  # full garbage collections between requests (service/idle_gc.py)


def limit_blas_threads() -> None:
    """One BLAS thread per request thread, as the service runs.

    Requests run in a thread pool, and a request's BLAS work is one small matrix-vector product:
    BLAS threads on top only fight the requests, and the model's own threads, for the cores
    (measured on 2 cores: 3× the throughput of team recommendations with 32 clients, and a gap in
    words never seen p50 49 instead of 137 ms). Torch keeps its own threads for the model."""
    threadpool_limits(limits=1, user_api="blas")


@dataclass
class ServiceState:
    config: ServiceConfig
    taxonomy: Taxonomy = field(init=False)
    started_at: float = field(default_factory=time.time)

    def __post_init__(self) -> None:
        limit_blas_threads()
        self.taxonomy = load_taxonomy(self.config.taxonomy_path)
        # The feeds name the framework's items (fagprofiler.json its basic competences and profiles), so a
        # changed framework changes a feed whose catalogue did not change: their validators cover it.
        source = self.config.taxonomy_path or BUNDLED_TAXONOMY
        self.framework_etag = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
        self.framework_changed_at = dt.datetime.fromtimestamp(int(source.stat().st_mtime), dt.UTC)
        self._had_catalogue = False  # once it had one, a missing file is gone, not yet to be made
        self._tagger: Any = None
        self._recommender: Any = None
        self._identity: tuple[int, int] | None = None
        self._checked = 0.0
        self._lock = threading.Lock()
        # Anyone may check a draft, and a long one holds a core for seconds: one at a time per worker.
        self._draft_slot = threading.BoundedSemaphore(1)
        self._status: tuple[tuple[int, int] | None, dict[str, Any], dict[str, Any] | None] | None = None
        self.feed_bodies = FeedBodies()  # the feeds' bodies by ETag: a full feed is built once per generation
        self.crawl_jobs = CrawlJobs(
            self.config.db, registry=self.config.registry, taxonomy=self.config.taxonomy_path,
            model=self.config.model, settings=self.config.crawl_settings,
        )

    @property
    def tagger(self) -> Any:
        """The tagger (loads the embedding model on first use: seconds)."""
        with self._lock:
            if self._tagger is None:
                from matcher.embeddings import Embedder
                from matcher.tagging import Tagger

                self._tagger = Tagger.default(self.taxonomy, Embedder.load(self.config.model))
            return self._tagger

    def tag_draft(self, title: str, description: str, course_type: str | None) -> Any:
        """A draft course's tags (nothing stored). Raises DraftBusy when another draft holds the slot
        for longer than DRAFT_WAIT_SECONDS."""
        from matcher.tagging import CourseText

        tagger = self.tagger  # the first use loads the model: not counted against the wait
        if not self._draft_slot.acquire(timeout=DRAFT_WAIT_SECONDS):
            raise DraftBusy("another draft is being checked; try again in a few seconds")
        try:
            return tagger.tag([CourseText(id="draft", title=title, text=description, course_type=course_type)])[0]
        finally:
            self._draft_slot.release()

    @property
    def recommender(self) -> Any:
        """The recommender over the newest published catalogue generation."""
        if self._checked_lately():
            return self._recommender
        self._checked = time.monotonic()
        identity = _file_identity(self.config.db)
        if identity is None and self._recommender is not None:
            return self._recommender  # the file is gone: the generation loaded stays (/healthz says so)
        if self._recommender is None or identity != self._identity:
            tagger = self.tagger
            with self._lock:
                if self._recommender is None or identity != self._identity:
                    from matcher.gap_table import SHIPPED_TABLE
                    from matcher.recommend import Recommender

                    with self.open_catalogue() as reader:
                        index = CatalogueIndex.load(
                            reader, self.taxonomy.field_keys, embedding_model=tagger.embedder.model_version
                        )
                        self._identity = reader.identity
                    self._recommender = Recommender(
                        index, tagger, gap_table=SHIPPED_TABLE if self.config.gap_table else None, course_products=True,
                    )
                    freeze_long_lived()
        return self._recommender

    async def fresh_recommender(self) -> Any:
        """`recommender` for async endpoints: at once while the catalogue was checked within
        STALE_CHECK_SECONDS, else in a thread, because loading a new generation takes seconds."""
        if self._checked_lately():
            return self._recommender
        return await run_in_threadpool(lambda: self.recommender)

    def _checked_lately(self) -> bool:
        """A recommender is loaded and the catalogue file was looked at within STALE_CHECK_SECONDS."""
        return self._recommender is not None and time.monotonic() - self._checked < STALE_CHECK_SECONDS

    def catalogue_status(self) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """The catalogue's summary and its latest crawl run (None before any), read again only when the
        file changed (/healthz is polled often, and opening the catalogue costs tens of milliseconds)."""
        identity = _file_identity(self.config.db)
        cached = self._status
        if cached is not None and identity is not None and cached[0] == identity:
            return cached[1], cached[2]
        with self.open_catalogue() as reader:
            summary, crawls = reader.summary(), reader.runs(1, kind="crawl")
        self._status = (identity, summary, crawls[0] if crawls else None)
        return summary, self._status[2]

    def check_catalogue(self) -> None:
        """CatalogueGone (a 503) when the catalogue this service has served is no longer at its path:
        nothing must make an empty one in its place (a write would)."""
        if self._had_catalogue and not self.config.db.exists():
            raise CatalogueGone(self.config.db)

    def open_catalogue(self) -> CatalogueReader:
        """The published catalogue, for reading. A service that finds none at first makes an empty one
        (serve says so as it starts); a file gone since is CatalogueGone, never replaced by an empty one."""
        self.check_catalogue()
        reader = open_catalogue(self.config.db)
        self._had_catalogue = True
        return reader

    @property
    def index(self) -> CatalogueIndex:
        return self.recommender.index

    def course_hit(self, course_id: str) -> Any:
        """A course by id for its page and `GET /api/courses/{id}`: an active one from the index, a
        withdrawn one from the catalogue (feeds still link to it); None when there is no such course."""
        hit = self.index.get(course_id)
        if hit is not None:
            return hit
        with self.open_catalogue() as reader:
            return catalogue_hit(reader, course_id)

    def warm_up(self) -> None:
        """Load the model and build the index now, so the first request is not the slow one."""
        _ = self.recommender


def freeze_long_lived() -> None:
    """Hide what is loaded now (the model, the tagger, the catalogue index: some 250 000 objects at
    10 000 courses) from the cyclic garbage collector, which otherwise walks them all in every full
    collection: about 140 ms, during which every request in the worker waits (it was the p99 under
    load). The previous generation's index is let go first: one full collection frees its cycles."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def _file_identity(path: Path) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return stat.st_ino, stat.st_mtime_ns
