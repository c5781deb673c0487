"""The catalogue: one embedded DuckDB file (`catalogue.duckdb`).

How writing and serving coexist. A DuckDB file takes one read-write process or many read-only
ones, so a writer never opens the published file for writing. A write run (ingest, crawl, tag):

1. takes an exclusive lock on `<db>.lock` (writers queue; readers never touch it);
2. copies the published file to a private `.<db>.<pid>.writing` file next to it;
3. does all its work there in one transaction, then checkpoints and closes it;
4. atomically renames the private file over the published one.

A reader attaches the published file read-only into its own in-memory DuckDB instance, so it holds
one consistent generation for as long as it keeps the connection, and sees the next generation
when it reopens (`CatalogueReader.is_stale`). A reader therefore never sees a half-written run and
never meets the writer's lock. A run that fails or is killed leaves only its private file, which
the next writer removes: the published catalogue is exactly as before.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import json
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import duckdb
import duckdb_ext

from matcher.course import RECORD_FIELDS, URL_COURSE_ID, Course, url_course_id
from matcher.temp_files import clear_left_behind, private_path

SCHEMA_VERSION = 2

# MIGRATIONS[n] upgrades a catalogue from version n to n + 1. Never edit a released step: add one.
MIGRATIONS: list[list[str]] = [
    [  # 0 → 1: courses, their history, and runs
        "CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)",
        """CREATE TABLE course (
            id VARCHAR PRIMARY KEY, url VARCHAR, provider VARCHAR, title VARCHAR NOT NULL,
            description VARCHAR, learning_goals JSON, course_type VARCHAR, eqf_level INTEGER,
            ects DOUBLE, duration_days DOUBLE, price_dkk DOUBLE, form VARCHAR, location VARCHAR,
            start_dates DATE[], application_deadline DATE, target_group VARCHAR, admission VARCHAR,
            language VARCHAR, source VARCHAR, first_seen TIMESTAMP NOT NULL, last_seen TIMESTAMP NOT NULL,
            withdrawn BOOLEAN NOT NULL DEFAULT false, withdrawn_at TIMESTAMP,
            content_hash VARCHAR NOT NULL, updated_run INTEGER)""",
        """CREATE TABLE course_history (
            course_id VARCHAR NOT NULL, run_id INTEGER NOT NULL, changed_at TIMESTAMP NOT NULL,
            change VARCHAR NOT NULL, content_hash VARCHAR, previous JSON)""",
        "CREATE SEQUENCE run_id_seq START 1",
        """CREATE TABLE run (
            id INTEGER PRIMARY KEY, kind VARCHAR NOT NULL, sources VARCHAR[], started_at TIMESTAMP NOT NULL,
            finished_at TIMESTAMP, status VARCHAR NOT NULL, counts JSON, errors JSON)""",
    ],
    [  # 1 → 2: tags and embeddings, per model version
        """CREATE TABLE course_tagging (
            course_id VARCHAR NOT NULL, model VARCHAR NOT NULL, content_hash VARCHAR NOT NULL,
            tagged_at TIMESTAMP NOT NULL, run_id INTEGER NOT NULL, primary_field VARCHAR,
            assigned_fields VARCHAR[], level VARCHAR, course_type VARCHAR, result JSON,
            PRIMARY KEY (course_id, model))""",
        """CREATE TABLE tag (
            course_id VARCHAR NOT NULL, model VARCHAR NOT NULL, item_kind VARCHAR NOT NULL,
            item_key VARCHAR NOT NULL, score DOUBLE NOT NULL, level VARCHAR,
            PRIMARY KEY (course_id, model, item_kind, item_key))""",
        """CREATE TABLE embedding (
            course_id VARCHAR NOT NULL, model VARCHAR NOT NULL, content_hash VARCHAR NOT NULL,
            vector FLOAT[] NOT NULL, PRIMARY KEY (course_id, model))""",
    ],
]
assert len(MIGRATIONS) == SCHEMA_VERSION

Outcome = Literal["new", "changed", "unchanged", "withdrawn"]
_COURSE_COLUMNS = [name for name in RECORD_FIELDS]
_MAX_ERRORS_KEPT = 1000


# Of a course's taggings (one per model version), the one the service, the feeds and `fagmatch tag`
# take as its tags: the latest (the feed's own query says the same of its joined rows).
LATEST_TAGGING = "QUALIFY row_number() OVER (PARTITION BY course_id ORDER BY tagged_at DESC, model) = 1"


class CatalogueError(RuntimeError):
    """The catalogue cannot be opened or written; the message says why and what to do."""


class CatalogueMissing(CatalogueError):
    """No catalogue file at the path a command that only reads was given."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(
            f"no catalogue at {path} (check --db or FAGMATCH_DB); make one with `fagmatch ingest FEED`, "
            "`fagmatch crawl` or `fagmatch demo`"
        )


def extension_directory() -> str:
    """Where the pip-installed DuckDB extensions (fts) live: loaded offline, never downloaded."""
    return str(Path(next(iter(duckdb_ext.__path__))) / "extensions")


def connect_duckdb(database: str) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection that loads extensions from the installed packages only, never from the network."""
    return duckdb.connect(
        database,
        config={
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "extension_directory": extension_directory(),
        },
    )


def _schema_version(con: duckdb.DuckDBPyConnection, catalog: str | None = None) -> int:
    prefix = f"{catalog}." if catalog else ""
    has_meta = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'"
        + (" AND table_catalog = ?" if catalog else ""),
        [catalog] if catalog else [],
    ).fetchone()[0]
    if not has_meta:
        return 0
    row = con.execute(f"SELECT value FROM {prefix}meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def _check_not_newer(version: int, path: Path) -> None:
    if version > SCHEMA_VERSION:
        raise CatalogueError(
            f"{path} has catalogue schema version {version}, but this fagmatch knows versions up to "
            f"{SCHEMA_VERSION}: it was written by a newer fagmatch. Upgrade fagmatch; the file was not changed."
        )


def _unreadable(path: Path, exc: duckdb.Error, opened: Path | None = None) -> CatalogueError:
    reason = str(exc).removeprefix("IO Error: ").replace(str(opened or path), str(path))
    return CatalogueError(
        f"{path} is not a readable fagmatch catalogue ({reason}). "
        "Nothing was changed: restore it from a backup, or move it aside and crawl or ingest into a new file."
    )


def _check_is_catalogue(con: duckdb.DuckDBPyConnection, path: Path, catalog: str | None = None) -> int:
    """The file's schema version; an error for a DuckDB file that holds something else than a catalogue."""
    version = _schema_version(con, catalog)
    if version == 0:
        tables = con.execute(
            "SELECT count(*) FROM information_schema.tables" + (" WHERE table_catalog = ?" if catalog else ""),
            [catalog] if catalog else [],
        ).fetchone()[0]
        if tables:  # upgrading would write our tables into someone else's database
            raise CatalogueError(f"{path} is a DuckDB database, but not a fagmatch catalogue; it was not changed")
    _check_not_newer(version, path)
    return version


def _migrate(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    version = _check_is_catalogue(con, path)
    for step in range(version, SCHEMA_VERSION):
        for statement in MIGRATIONS[step]:
            con.execute(statement)
        con.execute(
            "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(step + 1)]
        )


def _now() -> dt.datetime:
    # Naive UTC: DuckDB TIMESTAMP has no zone, and a catalogue moves between machines.
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


class CatalogueWriter:
    """The write side of one run. Everything it does is published together, or not at all."""

    def __init__(self, con: duckdb.DuckDBPyConnection, run_id: int, now: dt.datetime) -> None:
        self.con = con
        self.run_id = run_id
        self.now = now
        self.counts: Counter[str] = Counter()
        self.errors: list[dict[str, str]] = []
        self._renamed: dict[str, str] | None = None  # see renamed_ids

    def renamed_ids(self) -> dict[str, str]:
        """Courses stored under an id their URL no longer gives: the id their URL gives now → the stored id.

        A crawled course's id is its canonical URL's (matcher.course.url_course_id). When the rule for
        one URL per page learns more (session ids such as `?sid=` or `;jsessionid=` are dropped), the
        same page gets another id; it keeps its stored one, with its tags, history and links. Of two
        stored under one page, the active one seen last."""
        if self._renamed is None:
            rows = self.con.execute(
                "SELECT id, url FROM course WHERE url IS NOT NULL AND regexp_full_match(id, ?) "
                "ORDER BY withdrawn, last_seen DESC", [URL_COURSE_ID]
            ).fetchall()
            self._renamed = {}
            for stored_id, url in rows:
                now = url_course_id(url)
                if now != stored_id:
                    self._renamed.setdefault(now, stored_id)
        return self._renamed

    def upsert(self, course: Course) -> Outcome:
        """Insert or update a course by its stable id; the content hash decides new / changed / unchanged.

        A record that says `withdrawn` (an export of the catalogue, or a provider marking a course
        gone) is never made active again: the same withdrawn course is unchanged, an active one is
        withdrawn (outcome "withdrawn", also when its content changed: it keeps the new content), and a
        withdrawn one that changed keeps its new content, withdrawn (outcome "changed")."""
        course_id = course.course_id
        content_hash = course.compute_hash()
        existing = self.con.execute(
            "SELECT content_hash, withdrawn, first_seen, withdrawn_at FROM course WHERE id = ?", [course_id]
        ).fetchone()
        if existing is None and course.id is None and course_id in self.renamed_ids():
            return self.upsert(course.model_copy(update={"id": self.renamed_ids()[course_id]}))
        if existing is None:
            self._insert(course, course_id, content_hash)
            outcome: Outcome = "new"
        elif course.withdrawn and existing[0] == content_hash:
            if not existing[1]:
                self.withdraw([course_id])  # counts it
                return "withdrawn"
            outcome = "unchanged"  # as the catalogue has it: its bookkeeping stays as it is
        elif existing[0] == content_hash and not existing[1]:
            self.con.execute("UPDATE course SET last_seen = ? WHERE id = ?", [self.now, course_id])
            outcome = "unchanged"
        else:
            change = "reappeared" if existing[1] and existing[0] == content_hash else "changed"
            self._record_history(course_id, change)
            self.con.execute("DELETE FROM course WHERE id = ?", [course_id])
            withdrawn_at = (existing[3] or self.now) if course.withdrawn else None
            self._insert(course, course_id, content_hash, first_seen=existing[2], withdrawn_at=withdrawn_at)
            outcome = "changed"
            if course.withdrawn and not existing[1]:  # what the provider says by it is that the course is gone
                self._record_history(course_id, "withdrawn")
                outcome = "withdrawn"
        self.counts[outcome] += 1
        return outcome

    def _insert(
        self, course: Course, course_id: str, content_hash: str, first_seen: dt.datetime | None = None,
        withdrawn_at: dt.datetime | None = None,
    ) -> None:
        """A new row. With `first_seen` it replaces an earlier version of the course: active, or
        withdrawn since `withdrawn_at`; without, a restored export keeps its own bookkeeping."""
        record = course.to_record()
        record["id"] = course_id
        record["learning_goals"] = json.dumps(record["learning_goals"], ensure_ascii=False)
        record["content_hash"] = content_hash
        record["last_seen"] = self.now
        record["withdrawn"] = withdrawn_at is not None
        if first_seen is not None:
            record["first_seen"] = first_seen
        else:  # a restored export keeps its bookkeeping; a provider's feed gives none
            record["first_seen"] = course.first_seen or self.now
            record["last_seen"] = course.last_seen or self.now
            record["withdrawn"] = course.withdrawn
            withdrawn_at = self.now if course.withdrawn else None
        columns = [*_COURSE_COLUMNS, "withdrawn_at", "updated_run"]
        values = [record[name] for name in _COURSE_COLUMNS] + [withdrawn_at, self.run_id]
        self.con.execute(
            f"INSERT INTO course ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", values
        )

    def _record_history(self, course_id: str, change: str) -> None:
        previous = self.con.execute(
            "SELECT to_json(c) FROM course c WHERE id = ?", [course_id]
        ).fetchone()[0]
        old_hash = json.loads(previous)["content_hash"]
        self.con.execute(
            "INSERT INTO course_history VALUES (?, ?, ?, ?, ?, ?)",
            [course_id, self.run_id, self.now, change, old_hash, previous],
        )

    def current_hash(self, course_id: str) -> str | None:
        """The content hash of a course as it stands in this run, or None if absent or withdrawn."""
        row = self.con.execute(
            "SELECT content_hash FROM course WHERE id = ? AND NOT withdrawn", [course_id]
        ).fetchone()
        return row[0] if row else None

    def withdraw_missing(self, source: str, seen_ids: set[str]) -> int:
        """Mark withdrawn every active course of `source` not seen in this run (never deletes)."""
        renamed = self.renamed_ids()
        seen = seen_ids | {renamed[course_id] for course_id in seen_ids if course_id in renamed}
        return self.withdraw(sorted(self.active_ids(source) - seen))

    def active_ids(self, source: str) -> set[str]:
        """The ids of the active courses of `source`."""
        return {row[0] for row in self.con.execute("SELECT id FROM course WHERE source = ? AND NOT withdrawn", [source]).fetchall()}

    def active_by_source(self, sources: Sequence[str]) -> dict[str, int]:
        """How many active courses each of `sources` has in this run's catalogue."""
        rows = self.con.execute(
            "SELECT source, count(*) FROM course WHERE NOT withdrawn AND list_contains(?, source) GROUP BY source",
            [list(sources)],
        ).fetchall()
        return dict(rows)

    def sources_of(self, course_ids: set[str], besides: Sequence[str]) -> dict[str, int]:
        """The sources, other than `besides`, that courses of `course_ids` are stored under, with counts."""
        rows = self.con.execute(
            "SELECT coalesce(source, '(none)'), count(*) FROM course WHERE id IN (SELECT unnest(?::VARCHAR[])) "
            "AND NOT list_contains(?, coalesce(source, '')) GROUP BY ALL",
            [sorted(course_ids), list(besides)],
        ).fetchall()
        return dict(rows)

    def stored_sources(self, course_ids: set[str]) -> dict[str, str]:
        """The source each of `course_ids` is stored under (withdrawn ones included; absent ones left out)."""
        if not course_ids:
            return {}
        rows = self.con.execute(
            "SELECT id, source FROM course WHERE id IN (SELECT unnest(?::VARCHAR[])) AND source IS NOT NULL",
            [sorted(course_ids)],
        ).fetchall()
        return dict(rows)

    def withdraw(self, course_ids: Sequence[str]) -> int:
        """Mark courses withdrawn; their records and history stay."""
        count = 0
        for course_id in course_ids:
            self._record_history(course_id, "withdrawn")
            self.con.execute(
                "UPDATE course SET withdrawn = true, withdrawn_at = ?, updated_run = ? WHERE id = ?",
                [self.now, self.run_id, course_id],
            )
            count += 1
        self.counts["withdrawn"] += count
        return count

    def add_error(self, where: str, message: str) -> None:
        """Record a problem of this run (a URL or a line) for the run log."""
        self.counts["errors"] += 1
        if len(self.errors) < _MAX_ERRORS_KEPT:
            self.errors.append({"where": where, "message": message})

    def store_tagging(
        self,
        course_id: str,
        model: str,
        content_hash: str,
        *,
        primary_field: str | None,
        assigned_fields: Sequence[str],
        level: str | None,
        course_type: str | None,
        result: dict[str, Any],
        item_scores: Sequence[tuple[str, str, float, str | None]],
    ) -> None:
        """Replace a course's tags for one model version; item_scores are (kind, key, score, level)."""
        self.con.execute("DELETE FROM tag WHERE course_id = ? AND model = ?", [course_id, model])
        self.con.execute("DELETE FROM course_tagging WHERE course_id = ? AND model = ?", [course_id, model])
        self.con.execute(
            "INSERT INTO course_tagging VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [course_id, model, content_hash, self.now, self.run_id, primary_field,
             list(assigned_fields), level, course_type, json.dumps(result, ensure_ascii=False)],
        )
        if item_scores:
            # One JSON parameter, not six per row: DuckDB tries `import pandas` for every bound
            # parameter, uncached when pandas is absent (~0.1 ms each; 14 rows a course cost 15 ms).
            rows = [{"kind": kind, "key": key, "score": float(score), "level": item_level}
                    for kind, key, score, item_level in item_scores]
            self.con.execute(
                "INSERT INTO tag SELECT ?, ?, r.kind, r.key, r.score, r.level FROM (SELECT unnest(from_json(?, "
                """'[{"kind": "VARCHAR", "key": "VARCHAR", "score": "DOUBLE", "level": "VARCHAR"}]')) AS r)""",
                [course_id, model, json.dumps(rows, ensure_ascii=False)],
            )

    def store_embedding(self, course_id: str, model: str, content_hash: str, vector: Sequence[float]) -> None:
        """Keep a course's embedding for one model version."""
        self.con.execute("DELETE FROM embedding WHERE course_id = ? AND model = ?", [course_id, model])
        # Bound as text and cast in SQL: DuckDB binds a Python list by first trying `import pandas`,
        # uncached when pandas is absent, ~45 ms per vector (7 minutes per 10 000 courses). repr of
        # each float round-trips the float32 exactly.
        literal = "[" + ",".join(repr(float(x)) for x in vector) + "]"
        self.con.execute(
            "INSERT INTO embedding VALUES (?, ?, ?, CAST(? AS FLOAT[]))", [course_id, model, content_hash, literal]
        )

    def _finish_run(self, status: str, error: str | None = None) -> None:
        errors = list(self.errors)
        if error:
            errors.append({"where": "run", "message": error})
        self.con.execute(
            "UPDATE run SET finished_at = ?, status = ?, counts = ?, errors = ? WHERE id = ?",
            [_now(), status, json.dumps(dict(self.counts)), json.dumps(errors, ensure_ascii=False), self.run_id],
        )


@contextmanager
def _write_lock(path: Path, timeout: float, waiting: Callable[[str], None] | None = None) -> Iterator[None]:
    """The catalogue's one writer. While another holds it, `waiting` is called with who (about ten
    times a second: it may say so once, or raise to give up)."""
    lock_path = path.with_name(path.name + ".lock")
    try:
        handle = open(lock_path, "a+")  # noqa: SIM115 - closed by the with below
    except OSError as exc:  # a read-only file system, a folder one may not write in
        raise CatalogueError(f"{path}: cannot write beside the catalogue ({exc.strerror}); nothing was changed") from None
    with handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                if waiting is not None:
                    waiting(holder)
                if time.monotonic() >= deadline:
                    raise CatalogueError(
                        f"{path} is being written by {holder}; waited {timeout:.0f} s. "
                        "Try again when that run has finished."
                    ) from None
                time.sleep(0.1)
        handle.seek(0)
        handle.truncate()
        try:  # who holds it, for the message of a writer that waits; unbuffered, so a full disk cannot fail the close
            os.write(handle.fileno(), f"pid {os.getpid()}".encode())
        except OSError:
            pass  # a full disk: the lock holds without the note, and the copy says what is wrong
        try:
            yield
        finally:
            handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)


def _private_copy(path: Path, start_from: Path | None = None) -> Path:
    """Remove what killed runs left behind, then copy the published file (or `start_from`, a restore's
    backup) for this run."""
    for stale in path.parent.glob(f".{path.name}.*.writing*"):
        stale.unlink(missing_ok=True)
    private = private_path(path, "writing")
    wal = path.with_name(path.name + ".wal")
    if wal.exists():
        # Someone wrote to the published file directly (not through fagmatch): fold that in first.
        try:
            connect_duckdb(str(path)).close()
        except duckdb.Error as exc:
            raise CatalogueError(f"{path} has a pending write-ahead log that cannot be applied now: {exc}") from None
    check_writable(path)
    source = start_from or path
    if source.exists():
        try:
            shutil.copyfile(source, private)
        except OSError as exc:  # a full disk: no half copy left to fill it
            private.unlink(missing_ok=True)
            raise CatalogueError(f"{path}: cannot copy the catalogue for this run ({_io_reason(exc, path)}); nothing was changed") from None
    return private


def check_writable(path: Path | str) -> None:
    """Raise CatalogueError if a write could not be published: a read-only catalogue, or a folder one
    may not write in. Long work (a crawl, a tagging) asks first, so it is not done for nothing."""
    path = Path(path).resolve()
    if path.exists() and not path.stat().st_mode & 0o222:  # by its mode bits, which root's access checks ignore
        raise CatalogueError(f"{path} is read-only: make it writable (chmod u+w) to change it; nothing was changed")
    if path.parent.is_dir() and not os.access(path.parent, os.W_OK):
        raise CatalogueError(f"{path}: cannot write beside the catalogue (its folder is read-only); nothing was changed")


def _publish(private: Path, path: Path, keep_replaced: Path | None = None) -> None:
    with open(private, "rb") as handle:
        os.fsync(handle.fileno())
    if path.exists():  # a catalogue kept private (chmod 600) stays private
        shutil.copymode(path, private)
        if keep_replaced is not None:
            _keep(path, keep_replaced)
    os.replace(private, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _keep(path: Path, keep: Path) -> None:
    """A second name for the generation about to be replaced: a hard link, so nothing is copied and no
    write can come between; a copy where the file system has no links. An existing file is never replaced."""
    try:
        os.link(path, keep)
    except FileExistsError:
        raise CatalogueError(f"{keep} exists; nothing was changed") from None
    except OSError:
        try:
            with open(path, "rb") as source, open(keep, "xb") as target:
                shutil.copyfileobj(source, target, 1 << 20)
        except OSError:
            keep.unlink(missing_ok=True)
            raise


def _discard(private: Path) -> None:
    private.unlink(missing_ok=True)
    private.with_name(private.name + ".wal").unlink(missing_ok=True)


@contextmanager
def write_catalogue(
    path: Path | str,
    kind: str,
    sources: Sequence[str] = (),
    *,
    lock_timeout: float = 600.0,
    start_from: Path | None = None,
    keep_replaced: Path | None = None,
    waiting: Callable[[str], None] | None = None,
    started: dt.datetime | None = None,
) -> Iterator[CatalogueWriter]:
    """Run one write (ingest, crawl, tag …) as a unit: published whole when the block ends, or not at all.

    The run is recorded with its counts and errors. If the block raises, the catalogue is left as it
    was, and the failed run is recorded on its own. A restore starts the run from a backup
    (`start_from`) instead of the published file, and keeps the generation it replaces at
    `keep_replaced`. `waiting` is called while another write holds the lock (`_write_lock`). `started`
    (naive UTC) is when the run's work began, where that was before this write (a crawl's first page);
    default now."""
    path = Path(path).resolve()
    if not path.parent.is_dir():
        raise CatalogueError(f"{path.parent}: no such directory for the catalogue")
    now = _now()  # what the run writes (last seen, changes) is of this moment; the run began at `started`
    started = min(started, now) if started is not None else now
    with _write_lock(path, lock_timeout, waiting):
        private = _private_copy(path, start_from)
        writer: CatalogueWriter | None = None
        try:
            try:
                con = connect_duckdb(str(private))
            except duckdb.Error as exc:
                raise _unreadable(path, exc, private) from None
            try:
                _migrate(con, path)
                con.execute("BEGIN TRANSACTION")
                run_id = con.execute("SELECT nextval('run_id_seq')").fetchone()[0]
                con.execute(
                    "INSERT INTO run (id, kind, sources, started_at, status) VALUES (?, ?, ?, ?, 'running')",
                    [run_id, kind, list(sources), started],
                )
                writer = CatalogueWriter(con, run_id, now)
                yield writer
                writer._finish_run("ok")
                con.execute("COMMIT")
                con.execute("CHECKPOINT")
            finally:
                con.close()
            _publish(private, path, keep_replaced)
        except BaseException as exc:
            _discard(private)
            if writer is not None and not isinstance(exc, CatalogueError):
                _record_failed_run(path, kind, sources, started, writer, exc)
            if isinstance(exc, (OSError, duckdb.Error)):  # a full disk, a file system gone read-only
                raise CatalogueError(f"{path}: the run could not be written ({_io_reason(exc, path)}); "
                                     "the catalogue is as it was") from exc
            raise


def _io_reason(exc: BaseException, path: Path) -> str:
    """An I/O or DuckDB error in a line: DuckDB appends its native stack trace to a failed checkpoint's
    message, and a full disk is said with what a run needs (a private copy of the catalogue)."""
    text = str(exc).split("\nStack Trace")[0].strip() or type(exc).__name__
    if disk_full(exc):
        size = path.stat().st_size if path.exists() else 0
        return (f"the disk is full: a write needs room for a copy of the catalogue, about {size / 1e6:.0f} MB "
                f"more, beside it ({text.splitlines()[0][:200]})")
    return " ".join(text.split())[:500]


def disk_full(exc: BaseException) -> bool:
    """Whether an OS, DuckDB or SQLite error says the disk is full."""
    text = str(exc)
    return getattr(exc, "errno", None) == errno.ENOSPC or "No space left on device" in text or "disk is full" in text


def _record_failed_run(
    path: Path, kind: str, sources: Sequence[str], started: dt.datetime, failed: CatalogueWriter, exc: BaseException
) -> None:
    """Log a failed run in a write of its own (we still hold the lock), so operators see it."""
    try:
        private = _private_copy(path)
    except CatalogueError:  # no room even for the log entry: the original error matters more
        return
    try:
        con = connect_duckdb(str(private))
        try:
            _migrate(con, path)
            run_id = con.execute("SELECT nextval('run_id_seq')").fetchone()[0]
            con.execute(
                "INSERT INTO run (id, kind, sources, started_at, status) VALUES (?, ?, ?, ?, 'failed')",
                [run_id, kind, list(sources), started],
            )
            record = CatalogueWriter(con, run_id, started)
            record.counts, record.errors = failed.counts, failed.errors
            record._finish_run("failed", f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        _publish(private, path)
    except Exception:  # noqa: BLE001 - the original error matters more than its log entry
        _discard(private)


class CatalogueReader:
    """A read-only snapshot of the published catalogue; see the module docstring."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path).resolve()
        for _attempt in range(5):
            before = self._identity()
            self.con = connect_duckdb(":memory:")
            try:
                self.con.execute(f"ATTACH '{_sql_string(str(self.path))}' AS catalogue (READ_ONLY)")
            except duckdb.Error as exc:
                self.con.close()
                raise _unreadable(self.path, exc) from None
            self.con.execute("USE catalogue")
            if self._identity() == before:
                self.identity = before
                break
            self.con.close()  # replaced while we attached: take the new one
        else:
            raise CatalogueError(f"{self.path} keeps changing; cannot take a consistent snapshot")
        try:
            self.version = _check_is_catalogue(self.con, self.path, "catalogue")
        except CatalogueError:
            self.con.close()
            raise

    def _identity(self) -> tuple[int, int]:
        stat = os.stat(self.path)
        return stat.st_ino, stat.st_mtime_ns

    def is_stale(self) -> bool:
        """True when a newer generation has been published since this snapshot was taken."""
        try:
            return self._identity() != self.identity
        except FileNotFoundError:
            return False

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> CatalogueReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def courses(self, *, include_withdrawn: bool = True) -> Iterator[Course]:
        """All courses in id order."""
        where = "" if include_withdrawn else "WHERE NOT withdrawn"
        cursor = self.con.execute(f"SELECT {', '.join(_COURSE_COLUMNS)} FROM course {where} ORDER BY id")
        while rows := cursor.fetchmany(500):
            for row in rows:
                yield _row_to_course(row)

    def course(self, course_id: str) -> Course | None:
        row = self.con.execute(
            f"SELECT {', '.join(_COURSE_COLUMNS)} FROM course WHERE id = ?", [course_id]
        ).fetchone()
        return _row_to_course(row) if row else None

    def active_owners(self, course_ids: Sequence[str]) -> dict[str, tuple[str | None, str | None]]:
        """The provider and source of each active course among `course_ids`."""
        rows = self.con.execute(
            "SELECT id, provider, source FROM course WHERE NOT withdrawn AND id IN (SELECT unnest(?::VARCHAR[]))",
            [list(course_ids)],
        ).fetchall()
        return {course_id: (provider, source) for course_id, provider, source in rows}

    def history(self, course_id: str) -> list[dict[str, Any]]:
        """Earlier versions of a course, oldest first: change kind, when, by which run, and the old record."""
        rows = self.con.execute(
            "SELECT change, changed_at, run_id, previous FROM course_history WHERE course_id = ? ORDER BY rowid",
            [course_id],
        ).fetchall()
        return [
            {"change": change, "changed_at": at, "run_id": run_id, "previous": json.loads(previous)}
            for change, at, run_id, previous in rows
        ]

    def tagged_hashes(self, model: str) -> dict[str, str]:
        """For one tagging model version: course id → the content hash its tags were made from."""
        return dict(
            self.con.execute("SELECT course_id, content_hash FROM course_tagging WHERE model = ?", [model]).fetchall()
        )

    def latest_tag_models(self) -> dict[str, str]:
        """Course id → the model version of its latest tagging: the tags the service and the feeds show."""
        return dict(self.con.execute(
            f"SELECT course_id, model FROM course_tagging {LATEST_TAGGING}"
        ).fetchall())

    def tag_overview(self, model: str) -> list[dict[str, Any]]:
        """Active courses with their fields and level under one tagging model, by title."""
        rows = self.con.execute(
            "SELECT c.id, c.title, t.assigned_fields, t.level FROM course c "
            "JOIN course_tagging t ON t.course_id = c.id AND t.model = ? WHERE NOT c.withdrawn ORDER BY c.title",
            [model],
        ).fetchall()
        return [
            {"id": course_id, "title": title, "assigned_fields": fields or [], "level": level}
            for course_id, title, fields, level in rows
        ]

    def runs(self, limit: int = 10, kind: str | None = None) -> list[dict[str, Any]]:
        """The latest runs, newest first; of one kind (crawl, ingest, tag) where `kind` is given."""
        rows = self.con.execute(
            "SELECT id, kind, sources, started_at, finished_at, status, counts, errors "
            "FROM run WHERE ? IS NULL OR kind = ? ORDER BY id DESC LIMIT ?",
            [kind, kind, limit],
        ).fetchall()
        return [
            {
                "id": run_id, "kind": run_kind, "sources": sources, "started_at": started, "finished_at": finished,
                "status": status, "counts": json.loads(counts) if counts else {},
                "errors": json.loads(errors) if errors else [],
            }
            for run_id, run_kind, sources, started, finished, status, counts, errors in rows
        ]

    def summary(self) -> dict[str, Any]:
        """Counts an operator wants at a glance."""
        total, active = self.con.execute(
            "SELECT count(*), count(*) FILTER (WHERE NOT withdrawn) FROM course"
        ).fetchone()
        by = {}
        for column in ("course_type", "provider", "form"):
            by[column] = dict(
                self.con.execute(
                    f"SELECT coalesce({column}, 'unknown') AS k, count(*) FROM course WHERE NOT withdrawn "
                    "GROUP BY k ORDER BY count(*) DESC, k"
                ).fetchall()
            )
        # Active courses whose current text has tags (a changed course waits for the next tagging).
        tagged = self.con.execute(
            "SELECT count(DISTINCT c.id) FROM course c JOIN course_tagging t "
            "ON t.course_id = c.id AND t.content_hash = c.content_hash WHERE NOT c.withdrawn"
        ).fetchone()[0]
        # ... and whose tags they show (the tagger, by model version, of each course's latest tagging):
        # after a model or taxonomy change, the old one's until `fagmatch tag` runs with the new one
        by_model = dict(self.con.execute(
            f"SELECT t.model, count(*) FROM (SELECT course_id, model, content_hash FROM course_tagging "
            f"{LATEST_TAGGING}) t JOIN course c ON t.course_id = c.id AND t.content_hash = c.content_hash "
            "WHERE NOT c.withdrawn GROUP BY t.model ORDER BY count(*) DESC, t.model"
        ).fetchall())
        return {
            "path": str(self.path), "schema_version": self.version, "courses": total, "active": active,
            "withdrawn": total - active, "tagged": tagged, "tagged_by_model": by_model, "by": by,
        }

    # The feed reads tags without loading the embedding model, so it cannot know the current tagger's
    # model version: it takes each course's latest tagging (LATEST_TAGGING, over its joined rows). A course's
    # change times are the publish times (`run.finished_at`) of the runs that last wrote its record
    # (`course.updated_run`) and its tags: runs publish one at a time under the write lock, so those
    # times grow in publish order, unlike a run's start time, which a queued writer takes early.
    _FEED_SQL = """
        WITH tagging AS (
            SELECT t.course_id, t.model, t.content_hash, t.primary_field, t.assigned_fields, t.level, t.result,
                   coalesce(r.finished_at, t.tagged_at) AS tagged_at
            FROM course_tagging t LEFT JOIN run r ON r.id = t.run_id
            WHERE $model IS NULL OR t.model = $model
            QUALIFY row_number() OVER (PARTITION BY t.course_id ORDER BY t.tagged_at DESC, t.model) = 1
        )
        SELECT {columns}, c.withdrawn_at, coalesce(r.finished_at, c.first_seen) AS updated_at,
               g.model, g.primary_field, g.assigned_fields, g.level, g.result, g.tagged_at,
               g.content_hash = c.content_hash AS current
        FROM course c LEFT JOIN run r ON r.id = c.updated_run LEFT JOIN tagging g ON g.course_id = c.id
    """

    def _feed_query(self, where: str, params: dict[str, Any], tail: str = "") -> list[dict[str, Any]]:
        sql = self._FEED_SQL.format(columns=", ".join(f"c.{name}" for name in _COURSE_COLUMNS))
        rows = self.con.execute(f"SELECT * FROM ({sql}) WHERE {where} {tail}", params).fetchall()
        width = len(_COURSE_COLUMNS)
        return [self._feed_row(row[:width], *row[width:]) for row in rows]

    @staticmethod
    def _feed_row(
        record: Sequence[Any], withdrawn_at: dt.datetime | None, updated_at: dt.datetime, model: str | None,
        primary_field: str | None, assigned_fields: list[str] | None, level: str | None, result: str | None,
        tagged_at: dt.datetime | None, current: bool | None,
    ) -> dict[str, Any]:
        tags = None
        if model is not None:
            # The result keeps the tagger's ranking (best first); the `tag` rows do not.
            ranked = json.loads(result) if result else {}
            tags = {
                "model": model, "primary_field": primary_field, "assigned_fields": assigned_fields or [],
                "level": level, "basic_competences": ranked.get("basic_competences", []),
                "profiles": ranked.get("profiles", []), "tagged_at": tagged_at, "current": bool(current),
            }
        return {"course": _row_to_course(record), "updated_at": updated_at, "withdrawn_at": withdrawn_at, "tags": tags}

    def feed_page(
        self,
        since: dt.datetime | None = None,
        offset: int = 0,
        limit: int | None = None,
        *,
        model: str | None = None,
        tag_changes: bool = True,
        newest_first: bool = False,
        after: tuple[dt.datetime, str] | None = None,
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of courses for the feeds, withdrawn ones included, and how many match in all.

        Each row: `course`, `updated_at` (when its record last changed), `withdrawn_at`, and `tags`
        (None if untagged): model, primary_field, assigned_fields, level, basic_competences,
        profiles (best first), tagged_at, current (tags made from the course's present content).
        `since` (naive UTC) is inclusive, as the catalogue keeps whole seconds: a course matches
        when its record, or with `tag_changes` its tags, changed at or after it. Order: oldest
        change first, so a consumer can follow along; `newest_first` orders by record change,
        newest first. `after` (change time in whole seconds, id: the last item a consumer has) starts
        the page after that item in this order, so a course that changes meanwhile moves to the end
        instead of shifting the rest by one; `total` still counts every match of `since`."""
        where = _SINCE
        params: dict[str, Any] = {"since": since, "tag_changes": tag_changes, "model": model}
        total = self._feed_count(where, params)
        if after is not None:
            where += f" AND ({_CHANGED} > $after_at OR ({_CHANGED} = $after_at AND id > $after_id))"
            params.update(after_at=after[0], after_id=after[1])
        if newest_first:
            order = "ORDER BY updated_at DESC, id"
        else:
            order = f"ORDER BY {_CHANGED}, id"
        if limit is not None:
            order += f" LIMIT {int(limit)}"
        return self._feed_query(where, params, f"{order} OFFSET {max(int(offset), 0)}"), total

    def feed_position(self, since: dt.datetime | None, after: tuple[dt.datetime, str], *, tag_changes: bool = True) -> int:
        """How many courses matching `since` come at or before the item `after` in the feed's order."""
        where = f"{_SINCE} AND ({_CHANGED} < $after_at OR ({_CHANGED} = $after_at AND id <= $after_id))"
        params = {"since": since, "tag_changes": tag_changes, "model": None, "after_at": after[0], "after_id": after[1]}
        return self._feed_count(where, params)

    def _feed_count(self, where: str, params: dict[str, Any]) -> int:
        return self.con.execute(
            f"SELECT count(*) FROM ({self._FEED_SQL.format(columns='c.id')}) WHERE {where}", params
        ).fetchone()[0]

    def feed_row(self, course_id: str, model: str | None = None) -> dict[str, Any] | None:
        """One course as `feed_page` gives it, or None if there is no such course."""
        rows = self._feed_query("id = $id", {"id": course_id, "model": model})
        return rows[0] if rows else None

    def latest_tagging(self, course_id: str) -> tuple[str, dict[str, Any]] | None:
        """A course's latest tagging: its model and the tagger's whole result; None if untagged."""
        row = self.con.execute(
            f"SELECT model, result FROM course_tagging WHERE course_id = ? {LATEST_TAGGING}",
            [course_id],
        ).fetchone()
        return (row[0], json.loads(row[1]) if row[1] else {}) if row else None

    def last_modified(self) -> dt.datetime | None:
        """When this generation was published: the finish time (naive UTC) of the latest successful run."""
        row = self.con.execute("SELECT finished_at FROM run WHERE status = 'ok' ORDER BY id DESC LIMIT 1").fetchone()
        return row[0] if row else None

    def generation(self) -> str:
        """Names this generation of the catalogue: changes with every published write (for ETags)."""
        row = self.con.execute(
            "SELECT id, finished_at FROM run WHERE status = 'ok' ORDER BY id DESC LIMIT 1"
        ).fetchone()
        return f"{row[0]}@{row[1]:%Y%m%dT%H%M%S}" if row else "empty"


# A feed item's change time as the feeds publish it (whole seconds): their order and their cursor.
_CHANGED = "date_trunc('second', greatest(updated_at, coalesce(tagged_at, updated_at)))"
# A feed's `since`: its record, or with $tag_changes its tags, changed at or after it.
_SINCE = "($since IS NULL OR updated_at >= $since OR ($tag_changes AND tagged_at >= $since))"


def _sql_string(value: str) -> str:
    return value.replace("'", "''")


def _row_to_course(row: Sequence[Any]) -> Course:
    record = dict(zip(_COURSE_COLUMNS, row))
    record["learning_goals"] = json.loads(record["learning_goals"]) if record["learning_goals"] else []
    return Course.model_validate(record, context={"stored": True})  # as stored, also under rules added since


def backup_catalogue(path: Path | str, output: Path | str) -> dict[str, Any]:
    """Copy the published catalogue to `output`, a new file, and return the copy's summary.

    Writers publish by renaming a finished file over the catalogue, so the copy is of one whole
    generation and takes no lock: a backup may run while the service serves and a crawl writes. The
    copy is checked to open as a catalogue before it gets its name; an existing file is never replaced."""
    path, output = Path(path).resolve(), Path(output).resolve()
    if not path.exists():
        raise CatalogueMissing(path)
    if output.exists():
        raise CatalogueError(f"{output} exists: name a new file for the backup; nothing was written")
    if not output.parent.is_dir():
        raise CatalogueError(f"{output.parent}: no such directory for the backup")
    clear_left_behind(output, "partial")  # a backup killed halfway
    partial = private_path(output, "partial")
    try:
        try:
            with open(path, "rb") as source, open(partial, "wb") as target:
                shutil.copyfileobj(source, target, 1 << 20)
                target.flush()
                os.fsync(target.fileno())
        except OSError as exc:  # a full disk, a folder one may not write in
            raise CatalogueError(f"{output}: cannot write the backup ({exc.strerror}); nothing was written") from None
        with CatalogueReader(partial) as copy:
            summary = copy.summary()
        try:
            os.link(partial, output)  # unlike a rename, never replaces a file made meanwhile
        except FileExistsError:
            raise CatalogueError(f"{output} exists: name a new file for the backup; nothing was written") from None
    finally:
        with contextlib.suppress(OSError):  # a read-only folder made none: its error is the one to say
            partial.unlink(missing_ok=True)
    return {**summary, "path": str(output)}


def restore_catalogue(backup: Path | str, path: Path | str, *, keep: Path) -> dict[str, Any]:
    """Replace the catalogue at `path` with `backup` (a file `backup_catalogue` wrote, or any copy of
    a catalogue), and return the backup's summary.

    It is a write like any other: under the write lock, published whole by a rename (a reader or the
    service sees the restored generation next), upgraded if the backup is older, and recorded as a
    run of kind `restore`. The generation it replaces is kept at `keep`."""
    backup, path = Path(backup).resolve(), Path(path).resolve()
    if not backup.exists():
        raise CatalogueMissing(backup)
    if backup == path:
        raise CatalogueError(f"{backup} is the catalogue itself; name a backup of it")
    with CatalogueReader(backup) as reader:  # a catalogue, and not from a newer fagmatch
        summary = reader.summary()
    with write_catalogue(path, "restore", start_from=backup, keep_replaced=keep) as writer:
        writer.counts.update(courses=summary["courses"], active=summary["active"])
    return summary


def open_catalogue(path: Path | str, *, create: bool = True) -> CatalogueReader:
    """Open the published catalogue for reading: a missing file is created empty, an older one upgraded.

    With `create=False` (commands that only read: a mistyped path must not pass for an empty
    catalogue) a missing file is a `CatalogueMissing` error, and nothing is created."""
    path = Path(path).resolve()
    if not path.exists() and not create:
        raise CatalogueMissing(path)
    if not path.exists():
        with write_catalogue(path, "init"):
            pass
    reader = CatalogueReader(path)
    if reader.version < SCHEMA_VERSION:
        reader.close()
        with write_catalogue(path, "migrate"):
            pass
        reader = CatalogueReader(path)
    return reader
