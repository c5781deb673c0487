"""`fagmatch analyses`: list and delete the saved team analyses without the service or its API key,
for whoever answers for the data (a data-protection officer, an operator clearing old teams).

Exit codes as for the rest of the CLI: 1 when an analysis named does not exist or the file cannot
be read or written (nothing is deleted), 2 for bad usage."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import click

from matcher.store import CatalogueMissing
from service.analyses import AnalysisStore


@click.group()
def analyses() -> None:
    """The saved team analyses kept beside the catalogue (<db>.analyses.sqlite): list and delete.

    A saved analysis holds a team's gaps (what each asks for, and for how many learners) and no
    person. Backups hold the analyses as they were when taken, and a restore's replaced copy
    (<db>.replaced-<UTC time>) those it replaced: give that file as --db to delete from it."""


def _store(obj: Any) -> AnalysisStore:
    """The analyses beside the catalogue; a mistyped --db (no catalogue, no analyses file) is an error,
    not an empty list, so a clean-up job with a typo does not report success."""
    from service.cli import fail

    store = AnalysisStore.for_catalogue(obj.db.resolve())
    if not obj.db.exists() and not store.path.exists():
        fail(str(CatalogueMissing(obj.db.resolve())))
    return store


def _read(store: AnalysisStore) -> list[dict[str, Any]]:
    from service.cli import fail  # late: service.cli registers this command

    try:
        return store.list()
    except (OSError, sqlite3.Error) as exc:
        fail(f"{store.path}: the saved team analyses cannot be read ({exc}); nothing was changed")


@analyses.command("list")
@click.option("--json", "as_json", is_flag=True, help="Every analysis with its gaps, as JSON.")
@click.pass_obj
def list_analyses(obj: Any, as_json: bool) -> None:
    """Each saved analysis: its id, name, when it was saved, and its gaps' fields."""
    saved = _read(_store(obj))
    if as_json:
        click.echo(json.dumps(saved, ensure_ascii=False, indent=2))
        return
    if not saved:
        click.echo(f"no saved team analyses beside {obj.db}")
        return
    for analysis in saved:
        fields = ", ".join(dict.fromkeys(gap.get("field") or (gap.get("fields") or ["?"])[0] for gap in analysis["gaps"]))
        count = len(analysis["gaps"])
        click.echo(f"{analysis['id']:>5}  {analysis['saved_at']}  {analysis['name']}  "
                   f"({count} {'gap' if count == 1 else 'gaps'}{': ' + fields if fields else ''})")


@analyses.command("delete")
@click.argument("ids", metavar="ID...", nargs=-1, type=click.IntRange(1, None))
@click.option("--all", "every", is_flag=True, help="Delete every saved analysis.")
@click.pass_obj
def delete_analyses(obj: Any, ids: tuple[int, ...], every: bool) -> None:
    """Delete the analyses with these ids (`fagmatch analyses list` shows them), or --all. All or
    nothing: an id that does not exist deletes none. Deleted rows are overwritten in the file."""
    from service.cli import fail

    if bool(ids) == every:
        raise click.UsageError("name the analyses' ids, or --all (not both)")
    store = _store(obj)
    saved = {analysis["id"] for analysis in _read(store)}
    wanted = sorted(saved) if every else sorted(set(ids))
    missing = [i for i in wanted if i not in saved]
    if missing:
        fail(f"no saved analysis {', '.join(map(str, missing))} beside {obj.db}; nothing was deleted")
    try:
        deleted = store.delete_many(wanted)
    except (OSError, sqlite3.Error) as exc:
        fail(f"{store.path}: could not delete ({exc}); nothing was deleted")
    click.echo(f"deleted {deleted} saved team {'analysis' if deleted == 1 else 'analyses'}"
               + (f" ({', '.join(map(str, wanted))})" if deleted else ""))
