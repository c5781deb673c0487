"""Click commands `crawl` and `sources`; `service/cli.py` adds them to the `fagmatch` group.

Thin: they parse options, call `crawler.runner`, and print. Exit code 1 with one `error: …` line
when the crawl cannot run or a source could not be crawled."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from crawler.exit_codes import INCOMPLETE
from crawler.registry import RegistryError
from matcher.store import CatalogueError

_REGISTRY_OPTION = click.option(
    "--registry", type=click.Path(dir_okay=False, path_type=Path), envvar="FAGMATCH_SOURCES", default=None,
    help="A source registry file (YAML); env FAGMATCH_SOURCES. Default: the bundled crawler/sources.yaml.",
)  # fmt: skip


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


@click.command("crawl")
@click.option("--url", help="Crawl this site ad hoc with the generic spider (stays on the URL's host).")
@click.option("--source", "sources", multiple=True, help="A registered source to crawl (repeatable). Default: all enabled.")
@click.option("--resume/--fresh", default=True, show_default=True,
              help="Continue an interrupted crawl (keeping what it found), or start over.")
@click.option("--http-cache", is_flag=True, help="Development: replay the pages earlier crawls stored without asking the servers again (pages not stored are fetched). Without it, each stored page is asked for again conditionally (ETag / Last-Modified).")
@click.option("--set", "-s", "overrides", multiple=True, metavar="NAME=VALUE",
              help="Override a Scrapy setting, as `scrapy crawl -s` does (repeatable; JSON values allowed).")
@click.option("--max-pages", type=click.IntRange(min=1), default=None,
              help="Stop each source after reading this many pages, robots.txt and sitemaps not counted "
                   "(default: the registry's limit, else 5000).")
@click.option("--max-seconds", type=click.IntRange(min=1), default=None,
              help="Stop each source after this many seconds (default: the registry's limit, else 3600).")
@click.option("--max-depth", type=click.IntRange(min=1), default=None,
              help="Follow links at most this far from a start URL (default: the registry's limit, else 100).")
@_REGISTRY_OPTION
@click.pass_obj
def crawl_cmd(obj: Any, url: str | None, sources: tuple[str, ...], resume: bool, http_cache: bool,
              overrides: tuple[str, ...], max_pages: int | None, max_seconds: int | None, max_depth: int | None,
              registry: Path | None) -> None:  # fmt: skip
    """Crawl course pages into the catalogue: an ad-hoc --url, or registered sources.

    Each source is stored as one run when its crawl finishes; its courses that have disappeared are
    marked withdrawn only after a complete crawl without failed requests. A crawl that reaches a
    bound (--max-pages, --max-seconds, --max-depth) stops there, publishes what it found and
    withdraws nothing.

    Exit codes: 0 done; 1 failed (nothing published for a source, or stopped); 2 bad usage; 3
    published, but some requests failed, so nothing was withdrawn (see the log; run it again)."""
    # late: the crawler reads crawler/page_words.yaml as it loads, and a mistake there is then the
    # command's error (the group names it), not every command's traceback
    from crawler.runner import CrawlError, crawl, jobs_root

    if url and sources:
        raise click.UsageError("give --url or --source, not both")
    settings = _parse_overrides(overrides)
    limits = {"FAGMATCH_MAX_PAGES": max_pages, "CLOSESPIDER_TIMEOUT": max_seconds, "DEPTH_LIMIT": max_depth}
    settings.update({name: value for name, value in limits.items() if value is not None})
    try:
        report = crawl(
            obj.db, url=url, sources=list(sources) or None, registry=registry, resume=resume,
            http_cache=http_cache, settings=settings, progress=lambda line: click.echo(f"  {line}", err=True),
        )  # fmt: skip
    except (CrawlError, RegistryError, CatalogueError) as exc:
        _fail(str(exc))
        return
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: the crawl process saved its queue and journal
        _fail(f"crawl stopped; its progress is saved in {jobs_root(obj.db)}: "
              "run the same command again to resume (--fresh starts over)")  # fmt: skip
        return
    for line in report.summary_lines():
        click.echo(line)
    bad = [result for result in report.sources if result.status != "published" or result.pages == 0]
    if bad:
        first = bad[0]
        reason = first.message or (first.errors[0]["message"] if first.errors else "no page could be fetched")
        if first.status == "interrupted":
            reason = "interrupted; run the same command again to resume"
        _fail(f"{first.source}: {reason} (log: {report.log_file})")
    # Published, but requests failed: nothing could be withdrawn. A cron wrapper should hear of it.
    if incomplete := [result.source for result in report.sources if result.failed and not result.complete]:
        click.echo(f"warning: {', '.join(incomplete)}: some requests failed, so the crawl is incomplete and no course "
                   f"was withdrawn (log: {report.log_file})", err=True)
        sys.exit(INCOMPLETE)


def _parse_overrides(overrides: tuple[str, ...]) -> dict[str, Any]:
    """`-s NAME=VALUE` as Scrapy settings: a name Scrapy and fagmatch do not know (a typo would be
    ignored), or a value that is not of the setting's kind (it would stop the crawl process), is a
    usage error."""
    from scrapy.settings import default_settings

    from crawler import settings as ours

    settings: dict[str, Any] = {}
    for override in overrides:
        name, sep, value = override.partition("=")
        name = name.strip()
        if not sep or not name:
            raise click.BadParameter(f"{override!r}: expected NAME=VALUE", param_hint="--set")
        try:
            parsed: Any = json.loads(value)
        except ValueError:
            parsed = value
        if not (hasattr(default_settings, name) or hasattr(ours, name)) or not name.isupper():
            raise click.BadParameter(f"{name!r} is not a Scrapy setting (see https://docs.scrapy.org/en/latest/topics/settings.html)",
                                     param_hint="--set")
        default = getattr(ours, name, getattr(default_settings, name, None))
        if not _same_kind(parsed, default):
            raise click.BadParameter(f"{name}={value!r}: {name} takes {_KINDS[type(default)]}, such as "
                                     f"{json.dumps(default)}", param_hint="--set")
        settings[name] = parsed
    return settings


_KINDS = {bool: "true or false", int: "a whole number", float: "a number"}


def _same_kind(value: Any, default: Any) -> bool:
    """Whether `value` (from JSON) fits a Scrapy setting whose default is `default`, as Scrapy reads it."""
    if isinstance(default, bool):  # first: True is an int too; Scrapy's getbool takes 0, 1, "True", "false" …
        return isinstance(value, bool) or value in (0, 1) or (isinstance(value, str) and value.lower() in ("true", "false"))
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return True  # text, lists, dicts: Scrapy reads them as given


@click.command("sources")
@_REGISTRY_OPTION
@click.pass_obj
def sources_cmd(obj: Any, registry: Path | None) -> None:
    """List the crawl sources with their last crawl's health."""
    from crawler.pipelines import BOUND_WORDS
    from crawler.runner import list_sources

    try:
        rows = list_sources(obj.db, registry)
    except (RegistryError, CatalogueError) as exc:
        _fail(str(exc))
        return
    if not Path(obj.db).exists():  # the registry is worth listing before the first crawl; a mistyped --db shows here
        click.echo(f"note: no catalogue at {Path(obj.db).resolve()} yet, so no source has been crawled into it", err=True)
    for row in rows:
        run = row.last_run
        if run is None:
            health = "never crawled"
        else:
            c = run["counts"]
            complete = "complete" if c.get("complete") else "incomplete"
            bounds = [BOUND_WORDS[key.removeprefix("bound_")] for key in c if key.removeprefix("bound_") in BOUND_WORDS
                      and key.startswith("bound_")]  # fmt: skip
            if bounds:
                complete += f" (stopped at {', '.join(bounds)})"
            health = (
                f"last crawl #{run['id']} {run['started_at']:%Y-%m-%d %H:%M} {run['health']}, {complete}: "
                f"{c.get('pages', 0)} pages, {c.get('courses', 0)} courses, new {c.get('new', 0)}, "
                f"changed {c.get('changed', 0)}, withdrawn {c.get('withdrawn', 0)}, failed {c.get('failed', 0)}"
                + (f", gone (404/410) {c['gone']}" if c.get("gone") else "")
                + (f", merged {c['merged']}" if c.get("merged") else "")
                + (f", re-decoded {c['redecoded']}" if c.get("redecoded") else "")
                + (f", undecodable {c['undecodable']}" if c.get("undecodable") else "")
                + (f", kept {c['kept']} (pages answered without a course)" if c.get("kept") else "")
            )
        if row.unfinished == "running":
            health += "; a crawl of it is running now"
        elif row.unfinished == "interrupted":
            again = "the same `fagmatch crawl --url …`" if row.kind == "ad-hoc" else f"`fagmatch crawl --source {row.source}`"
            health += f"; a crawl of it was interrupted and keeps its progress: {again} resumes it"
        click.echo(f"{row.source:<20} {row.kind:<20} {health}")
        if row.status:
            click.echo(f"{'':<20} status: {row.status}")
        if run is not None and run["errors"]:
            more = run["error_count"] - len(run["errors"])
            first = f" (the first {len(run['errors'])})" if more else ""
            click.echo(f"{'':<20} errors: {run['error_count']}{first}")
            for error in run["errors"]:
                click.echo(f"{'':<22} {error['where']}: {error['message']}")
