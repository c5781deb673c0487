"""`fagmatch backup` and `fagmatch restore`: the catalogue and its saved team analyses, kept whole.

A backup is the catalogue file as it stands (courses, their history, tags, vectors, runs) and the
saved team analyses beside it (`<db>.analyses.sqlite`), so it can be restored, or used as it is
with `--db`. `export` is something else: the course records only, for other systems.

Exit codes as for the rest of the CLI: 1 when the catalogue or the backup cannot be read or
written (nothing is changed), 2 for bad usage."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
from pathlib import Path
from typing import Any

import click

from matcher.store import CatalogueError, CatalogueReader, backup_catalogue, restore_catalogue
from matcher.temp_files import clear_left_behind, private_path
from service.analyses import AnalysisStore


def _analyses_of(catalogue: Path) -> Path:
    return AnalysisStore.for_catalogue(catalogue).path


def _counts(summary: dict[str, Any]) -> str:
    courses = summary["courses"]
    return (f"{courses} {'course' if courses == 1 else 'courses'} ({summary['active']} active, {summary['withdrawn']} withdrawn), "
            f"{summary['tagged']} tagged, schema v{summary['schema_version']}")


def _analyses_count(count: int) -> str:
    return f"{count} saved team {'analysis' if count == 1 else 'analyses'}"


def _stored_analyses(path: Path) -> str:
    """How many saved analyses the store file holds, read without changing it."""
    if not path.exists():
        return "no saved team analyses"
    try:
        return _analyses_count(AnalysisStore(path).count())
    except sqlite3.Error as exc:
        return f"saved team analyses that cannot be read ({exc})"


def _remove(*paths: Path) -> None:
    """Remove what a failed restore staged; on a read-only folder there is nothing to remove (and
    unlink says so with an error of its own, which had followed the real one as a traceback)."""
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)


def _copy_analyses(source: Path, target: Path) -> int:
    """The saved analyses of `source` as the new file `target`, which appears only when complete."""
    clear_left_behind(target, "partial")
    partial = private_path(target, "partial")
    try:
        count = AnalysisStore(source).copy_to(partial)
        os.link(partial, target)
        return count
    finally:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)


@click.command()
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def backup(obj: Any, output: Path) -> None:
    """Copy the catalogue to OUTPUT, a new file, and its saved team analyses to OUTPUT.analyses.sqlite.

    Safe while the service serves and a crawl writes: the copy is of one whole published generation,
    checked to open before it gets its name. Restore it with `fagmatch restore OUTPUT`, or use it as
    it is with `--db OUTPUT`."""
    from service.cli import _catalogues_own, clear_errors, fail  # late: service.cli registers this command

    db = obj.db.resolve()
    if _catalogues_own(output.resolve(), db):
        fail(f"{output}: that is the catalogue {obj.db} or a file of its own; write the backup elsewhere (nothing was written)")
    analyses, analyses_copy = _analyses_of(db), _analyses_of(output.resolve())
    # Also where there are no analyses to back up: a restore of OUTPUT would take an earlier file's as its own.
    for taken in (output, analyses_copy):
        if taken.exists():
            fail(f"{taken} exists: name a new file for the backup; nothing was written")
    with clear_errors():
        summary = backup_catalogue(db, output)
    click.echo(f"backed up {obj.db} to {output}: {_counts(summary)}")
    if not analyses.exists():
        click.echo("no saved team analyses to back up")
        return
    try:
        AnalysisStore(analyses).list()  # what an older version kept of a person goes from the catalogue's file too
        count = _copy_analyses(analyses, analyses_copy)
    except (OSError, sqlite3.Error) as exc:  # the catalogue's copy stands on its own
        fail(f"the saved team analyses could not be backed up ({exc}); the catalogue's backup {output} is complete")
    click.echo(f"backed up {_analyses_count(count)} to {analyses_copy}")


@click.command()
@click.argument("backup_file", metavar="BACKUP", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace the catalogue without asking.")
@click.pass_obj
def restore(obj: Any, backup_file: Path, yes: bool) -> None:
    """Replace the catalogue with BACKUP (written by `fagmatch backup`, or any copy of a catalogue),
    and its saved team analyses with BACKUP.analyses.sqlite where the backup has them.

    The catalogue it replaces is kept beside it as <db>.replaced-<UTC time> (with its analyses), so a
    restore can itself be undone. The service may keep running: it serves the restored catalogue
    from its next request. A crawl or ingest that is writing is waited for."""
    from service.cli import clear_errors, fail  # late: service.cli registers this command

    db = obj.db.resolve()
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    keep = db.with_name(f"{db.name}.replaced-{stamp}")
    with clear_errors():
        try:
            with CatalogueReader(backup_file) as reader:
                wanted = reader.summary()
        except CatalogueError as exc:  # its advice is the catalogue's ("restore it from a backup")
            fail(f"{str(exc).split(' Nothing was changed:')[0]} Nothing was changed: name a file that "
                 "`fagmatch backup` wrote, or another copy of a catalogue.")
        current = None
        if db.exists():
            with CatalogueReader(db) as reader:
                current = reader.summary()
    backup_analyses, analyses = _analyses_of(backup_file.resolve()), _analyses_of(db)
    # The analyses count as much as the courses: a restore brings back those deleted since the backup.
    click.echo(f"backup {backup_file}: {_counts(wanted)}; {_stored_analyses(backup_analyses)}")
    click.echo(f"catalogue {obj.db}: {_counts(current) if current else 'none yet'}; {_stored_analyses(analyses)}")
    try:
        replace = yes or click.confirm("Replace the catalogue with the backup?", default=False, err=True)
    except click.Abort:  # no one to answer (cron, a script): as a no
        replace = False
    if not replace:
        fail("nothing was changed (--yes restores without asking)")
    kept_analyses = _analyses_of(keep)
    # Both copies of the analyses are made before the catalogue is replaced, so a full disk stops the
    # restore with nothing changed, and the analyses it replaces are never the only copy.
    clear_left_behind(analyses, "restoring")
    staged = private_path(analyses, "restoring")
    count = None
    try:
        if backup_analyses.exists():
            if analyses.exists():
                _copy_analyses(analyses, kept_analyses)
            count = AnalysisStore(backup_analyses).copy_to(staged)
    except (OSError, sqlite3.Error) as exc:
        _remove(staged, kept_analyses)
        fail(f"the saved team analyses could not be copied ({exc}); nothing was changed")
    try:
        with clear_errors():
            restore_catalogue(backup_file, db, keep=keep)
    except BaseException:  # the catalogue stays as it was (a failed restore changes nothing): so do the analyses
        _remove(staged, *([] if keep.exists() else [kept_analyses]))
        raise
    if count is None:
        click.echo(f"restored {backup_file} into {obj.db}" + (f"; the catalogue it replaced is kept as {keep}" if current else ""))
        if analyses.exists():
            click.echo(f"the backup has no saved team analyses ({backup_analyses.name}); those in {analyses.name} were kept")
        return
    if analyses.exists():  # analyses saved while the catalogue was replaced go into the kept copy too
        try:
            AnalysisStore(analyses).copy_to(kept_analyses)
        except (OSError, sqlite3.Error):
            pass  # the copy made before the restore stands
    os.replace(staged, analyses)
    click.echo(f"restored {backup_file} into {obj.db}" + (f"; the catalogue it replaced is kept as {keep}" if current else "")
               + (f", its saved team analyses as {kept_analyses.name}" if kept_analyses.exists() else ""))
    click.echo(f"restored {_analyses_count(count)}")
