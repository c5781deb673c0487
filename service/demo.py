"""`fagmatch demo`: a fresh machine to a running service with sample data, in one command.

1. Print the competence framework's fields.
2. Serve the bundled sample provider site (service/samples/site/, 30 courses of 11 fictional
   providers) on 127.0.0.1, crawl it with the real spider through `crawler.runner.crawl` (progress on
   stderr), and stop the site. The crawl publishes into the catalogue as one run.
3. Tag the catalogue's new and changed courses (the first run builds the embedding model).
4. Print the catalogue's status, then serve the API and web page with uvicorn, and print the URL once
   the server answers. `--no-serve` stops after step 4's status.

Running it again on the same catalogue is safe: the site's courses keep their URLs (see
service/sample_site.py), so they come back unchanged, are not tagged again, and nothing is lost.
"""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any, Callable

import click

READY_TIMEOUT = 300.0  # seconds to wait for the server to answer before saying so


class DemoError(RuntimeError):
    """The demo could not go on; the message says why."""


def _err(message: str) -> None:
    click.echo(message, err=True)


def framework_lines(taxonomy: Any) -> list[str]:
    """The framework summary's first block: its six fields and how many competences each has."""
    from matcher.taxonomy import format_summary

    lines = format_summary(taxonomy).split("\n")
    end = lines.index("") if "" in lines else len(lines)
    return ["Competence framework: Faglighed i beskæftigelsesindsatsen", *lines[:end]]


def check_port(host: str, port: int) -> None:
    """Fail now, not after crawling and tagging, when the port is taken."""
    from service.workers import PortInUse, check_port_free

    try:
        check_port_free(host, port)
    except PortInUse as exc:
        raise DemoError(f"{exc}; choose another with --port") from None


def browser_url(host: str, port: int) -> str:
    if host in ("0.0.0.0", "", "::"):
        host = "127.0.0.1"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/"


def crawl_sample_site(db: Path) -> Any:
    """Serve the sample site, crawl it into the catalogue at `db`, stop the site. Returns the CrawlReport."""
    from crawler.registry import RegistryError
    from crawler.runner import CrawlError, crawl
    from matcher.store import CatalogueError
    from service.sample_site import SITE_ROOT, serve_sample_site

    site = serve_sample_site()
    try:
        click.echo(f"Sample provider site: {site.base_url} (the files in {_shown(SITE_ROOT)})")
        _err(f"Crawling {site.site_url} with the generic spider (robots.txt, sitemap, links) …")
        started = time.monotonic()
        try:
            report = crawl(db, url=site.site_url, settings=site.crawl_settings(), resume=False,
                           progress=lambda line: _err(f"  {line}"))  # fmt: skip
        except (CrawlError, RegistryError, CatalogueError) as exc:
            raise DemoError(str(exc)) from None
        seconds = time.monotonic() - started
    finally:
        site.stop()
    for line in report.summary_lines():
        click.echo(f"Crawled {line} in {seconds:.1f} s")
    bad = [result for result in report.sources if result.status != "published" or result.pages == 0]
    if bad:
        first = bad[0]
        reason = first.message or (first.errors[0]["message"] if first.errors else "no page could be fetched")
        raise DemoError(f"the crawl of the sample site failed: {reason} (log: {report.log_file})")
    return report


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def tag(obj: Any) -> Any:
    from matcher.catalogue_tagging import tag_catalogue

    _err("Tagging (the first run builds the embedding model, about 45 s) …")
    report = tag_catalogue(obj.db, obj.tagger(),
                           progress=lambda done, total: _err(f"  … tagged {done}/{total}"))  # fmt: skip
    click.echo(f"Tagged {report.tagged} courses ({report.up_to_date} already up to date)")
    return report


def status_lines(db: Path, model: str, taxonomy: Any) -> list[str]:
    from matcher.store import open_catalogue

    from service.cli import format_status

    with open_catalogue(db) as catalogue:
        lines = format_status(catalogue.summary(), catalogue.runs(3)).split("\n")
        overview = catalogue.tag_overview(model)
    fields = Counter(key for row in overview for key in row["assigned_fields"])
    off_domain = sum(1 for row in overview if not row["assigned_fields"])
    if overview:
        lines.append("  courses per field: " + ", ".join(
            f"{taxonomy.field(key).name} {count}" for key, count in fields.most_common()
        ) + f"; off-domain {off_domain}")  # fmt: skip
    return lines


def run_demo(obj: Any, host: str = "127.0.0.1", port: int = 8000, serve: bool = True,
             on_ready: Callable[[str], None] | None = None, api_key: str | None = None) -> None:  # fmt: skip
    """Crawl the sample site, tag, print the status, and (with `serve`) serve until interrupted.

    Raises DemoError (and the catalogue's and taxonomy's own errors) when a step fails.
    `on_ready` is called with the URL once the server answers (tests); `api_key` opens the keyed
    endpoints (feed upload, saved analyses), as `serve --api-key` does."""
    taxonomy = obj.taxonomy()
    for line in framework_lines(taxonomy):
        click.echo(line)
    click.echo()
    if serve:
        check_port(host, port)
    db = Path(obj.db)
    crawl_sample_site(db)
    report = tag(obj)
    click.echo()
    for line in status_lines(db, report.model, taxonomy):
        click.echo(line)
    if not serve:
        return
    click.echo()
    serve_catalogue(obj, host, port, on_ready, api_key=api_key)


def serve_catalogue(obj: Any, host: str, port: int, on_ready: Callable[[str], None] | None = None,
                    api_key: str | None = None) -> None:
    """Serve the catalogue; print the URL when the server answers HTTP (not before)."""
    from service.serve_command import run_server
    from service.state import ServiceConfig

    url = browser_url(host, port)
    announced = threading.Event()
    lock = threading.Lock()

    def announce() -> None:
        with lock:
            if announced.is_set():
                return
            announced.set()
        click.echo(f"Åbn {url} i en browser")
        click.echo(f"API-dokumentation: {url}docs · Ctrl-C stopper demoen")
        if on_ready is not None:
            on_ready(url)

    def watch() -> None:
        # The server answers only once its start-up (model, catalogue index) is done.
        deadline = time.monotonic() + READY_TIMEOUT
        while not announced.is_set() and time.monotonic() < deadline:
            if _answers(f"{url}healthz"):
                announce()
                return
            time.sleep(0.25)
        if not announced.is_set():
            _err(f"the server has not answered at {url} after {READY_TIMEOUT:.0f} s")

    config = ServiceConfig(db=Path(obj.db), taxonomy_path=obj.taxonomy_path, model=obj.model, api_key=api_key or None)
    _err(f"Starting the service on {host}:{port} (loads the model and the catalogue index) …")
    check_port(host, port)  # taken while the demo crawled and tagged?
    threading.Thread(target=watch, name="demo-ready", daemon=True).start()
    run_server(config, host=host, port=port)


_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via an http_proxy of the environment


def _answers(url: str) -> bool:
    """Whether a server answers HTTP at the URL (any status counts)."""
    try:
        with _DIRECT.open(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except (OSError, ValueError):
        return False

