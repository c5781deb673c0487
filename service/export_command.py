"""`fagmatch export`: the catalogue as a file, in the lossless record formats (jsonl, csv: export →
ingest gives the same records) or in the public feed formats of `service.feeds`.

Exit codes as for the rest of the CLI: 1 when the catalogue cannot be read, 2 for bad usage
(an unknown format, a --since that is not an ISO date-time, an option the format does not take)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import click

from matcher.feed import EXCEL_DELIMITER, write_feed
from matcher.store import CatalogueReader, open_catalogue
from matcher.tabular import BOM
from matcher.taxonomy import Taxonomy
from service import feeds

RECORD_FORMATS = ("jsonl", "csv")
FEED_FORMATS = ("json", "feed-csv", "atom", "jsonld", "fagprofiler")
SINCE_FORMATS = ("json", "feed-csv", "atom")
EXCEL_FORMATS = ("csv", "feed-csv")
LINKED_FORMATS = ("json", "atom", "jsonld")


class BaseUrl(click.ParamType):
    """The service's public address (feeds.parse_base_url); a bad one is a usage error (exit code 2)."""

    name = "URL"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        try:
            return feeds.parse_base_url(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class IsoDateTime(click.ParamType):
    """An ISO 8601 date or date-time, as naive UTC; a bad one is a usage error (exit code 2)."""

    name = "ISO-DATETIME"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.datetime:
        if isinstance(value, dt.datetime):
            return value
        try:
            return feeds.parse_since(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def _check_usage(
    fmt: str, since: dt.datetime | None, active_only: bool, page: int, per_page: int | None, excel: bool = False,
    limit: int = feeds.ATOM_LIMIT, base_url: str = "",
) -> None:
    if excel and fmt not in EXCEL_FORMATS:
        raise click.UsageError(f"--excel works with --format {' or '.join(EXCEL_FORMATS)}")
    if since is not None and fmt not in SINCE_FORMATS:
        raise click.UsageError(f"--since works with --format {', '.join(SINCE_FORMATS)}, not {fmt}")
    if active_only and fmt not in RECORD_FORMATS:
        raise click.UsageError(
            f"--active-only works with --format {' or '.join(RECORD_FORMATS)}; the feeds flag withdrawn courses"
        )
    if (page != 1 or per_page is not None) and fmt != "json":
        raise click.UsageError("--page and --per-page work with --format json")
    if limit != feeds.ATOM_LIMIT and fmt != "atom":
        raise click.UsageError("--limit works with --format atom")
    if base_url and fmt not in LINKED_FORMATS:
        raise click.UsageError(f"--base-url works with --format {', '.join(LINKED_FORMATS)}: the others hold no links of the service")


def render(
    catalogue: CatalogueReader, fmt: str, *, since: dt.datetime | None, page: int, per_page: int | None,
    limit: int, base_url: str, taxonomy: Taxonomy | None, delimiter: str = ",",
) -> tuple[str, int | None]:
    """The export document for a feed format, and how many courses it holds (None for the grouped view)."""
    if fmt == "json":
        size = per_page or max(catalogue.feed_page(since, 0, 0)[1], 1)  # default: everything on one page
        document = feeds.feed_json(catalogue, since=since, page=page, per_page=size, base_url=base_url)
        return _json(document), len(document["items"])
    if fmt == "feed-csv":
        return feeds.feed_csv(catalogue, since, delimiter=delimiter), catalogue.feed_page(since, 0, 0)[1]
    if fmt == "atom":
        text = feeds.feed_atom(catalogue, since=since, base_url=base_url, limit=limit)
        return text, text.count("<entry>")
    if fmt == "jsonld":
        document = feeds.feed_jsonld(catalogue, base_url, taxonomy=taxonomy)
        return _json(document), len(document["@graph"])
    assert taxonomy is not None
    return _json(feeds.fagprofiler_view(catalogue, taxonomy)), None


def _json(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


@click.command()
@click.option(
    "--format", "fmt", type=click.Choice([*RECORD_FORMATS, *FEED_FORMATS]), default="jsonl", show_default=True,
    help="jsonl/csv: the course records (lossless, re-ingestable). json: the paginated feed with tags. "
    "feed-csv: the feed as one flat table. atom: new and changed courses. jsonld: schema.org Courses. "
    "fagprofiler: courses grouped by basic competence and profile.",
)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Default, or -: standard output.")
@click.option("--active-only", is_flag=True, help="jsonl/csv: leave out withdrawn courses.")
@click.option("--since", type=IsoDateTime(), help="json, feed-csv, atom: only courses changed at or after this "
              "time (UTC unless it names a zone).")
@click.option("--page", type=click.IntRange(min=1, max=10**9), default=1, show_default=True, help="json: the page to write.")
@click.option("--per-page", type=click.IntRange(min=1, max=10**9), help="json: courses per page. Default: all on one page.")
@click.option("--limit", type=click.IntRange(min=1), default=feeds.ATOM_LIMIT, show_default=True,
              help="atom: at most this many entries.")
@click.option("--excel", is_flag=True, help="csv, feed-csv: for Danish Excel: `;`-separated, UTF-8 with a "
              "byte-order mark (ingest reads it back as it is).")
@click.option("--base-url", type=BaseUrl(), default="", help="json, atom, jsonld: the service's address for links and ids, "
              "e.g. https://fagmatch.example. Default: links relative to the service.")
@click.pass_obj
def export(
    obj: Any, fmt: str, output: Path | None, active_only: bool, since: dt.datetime | None, page: int,
    per_page: int | None, limit: int, excel: bool, base_url: str,
) -> None:
    """Write the catalogue out: the course records (export → ingest is lossless), or a feed."""
    from service.cli import clear_errors, output_stream, to_stdout  # late: service.cli registers this command

    _check_usage(fmt, since, active_only, page, per_page, excel, limit, base_url)
    delimiter = EXCEL_DELIMITER if excel else ","
    with clear_errors():
        taxonomy = obj.taxonomy() if fmt in ("jsonld", "fagprofiler") else None
        with open_catalogue(obj.db, create=False) as catalogue:
            if fmt in RECORD_FORMATS:
                with output_stream(output, catalogue=obj.db) as out:
                    out.write(BOM if excel else "")
                    count: int | None = write_feed(catalogue.courses(include_withdrawn=not active_only), out, fmt,  # type: ignore[arg-type]
                                                   delimiter=delimiter)
            else:
                text, count = render(catalogue, fmt, since=since, page=page, per_page=per_page, limit=limit,
                                     base_url=base_url, taxonomy=taxonomy, delimiter=delimiter)
                with output_stream(output, catalogue=obj.db) as out:
                    out.write((BOM if excel else "") + text)
    if not to_stdout(output):
        click.echo(f"wrote {'the grouped view' if count is None else f'{count} courses'} to {output}", err=True)
