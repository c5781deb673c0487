"""`fagmatch serve`: the API, feeds and web page over a catalogue, with uvicorn.

Crawls and ingests may run meanwhile: the service reads published generations only and picks up
a new one within seconds (service/state.py)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from service.export_command import BaseUrl
from service.root_path import parse_root_path
from service.state import ServiceConfig


class ServiceHttpProtocol(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol on httptools, with Nagle's algorithm off on every connection, and
    a time limit for a request's headers.

    httptools (the C parser of uvicorn[standard]) instead of the pure-Python h11: 2 300 instead of
    1 900 health checks a second with 32 clients on 2 workers, search 843 instead of 714-800.

    A listening socket handed to uvicorn (as `--workers` does) leaves TCP_NODELAY to asyncio, which
    left it off on accepted connections: a keep-alive client then waited ~40 ms (Nagle plus delayed
    ACK) on every answer. Measured with bench/service.py.

    uvicorn closes a connection left idle after an answer (its keep-alive timeout), but not one that
    never completes a request: a client that connects and sends nothing, or its headers a byte at a
    time, held the connection for as long as it liked, and enough of them ran a worker out of file
    descriptors. Here a request's headers must be complete within `headers_timeout` seconds of the
    connection or of the request's first byte; otherwise the connection is closed."""

    headers_timeout = 10.0
    _headers_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
        self._await_headers()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._await_headers()

    def on_headers_complete(self) -> None:
        self._stop_waiting()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_waiting()
        super().connection_lost(exc)

    def _await_headers(self) -> None:
        if self._headers_timer is None:
            self._headers_timer = self.loop.call_later(self.headers_timeout, self._headers_too_slow)

    def _stop_waiting(self) -> None:
        if self._headers_timer is not None:
            self._headers_timer.cancel()
            self._headers_timer = None

    def _headers_too_slow(self) -> None:
        self._headers_timer = None
        if not self.transport.is_closing():
            self.transport.close()


def run_server(config: ServiceConfig, *, host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> None:
    """Serve until interrupted. One worker runs in this process; more are separate processes, to
    which this one hands the connections in turn (service/workers.py)."""
    import uvicorn

    from service.app import create_app
    from service.workers import check_port_free, run_workers

    check_port_free(host, port)  # one clear line for a taken port, however many workers
    if workers > 1:
        run_workers(host, port, workers, {"log_level": "warning", "http": ServiceHttpProtocol}, config)
        return
    uvicorn.run(create_app(config), host=host, port=port, log_level="warning", http=ServiceHttpProtocol)


class RootPath(click.ParamType):
    """The path the service is served under (service.root_path.parse_root_path); a bad one is a usage error."""

    name = "PATH"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        try:
            return parse_root_path(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0 for all).")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True, help="Worker processes.")
@click.option("--api-key", envvar="FAGMATCH_API_KEY", help="Key for write and admin endpoints; env FAGMATCH_API_KEY. Without it they are off.")
@click.option("--registry", type=click.Path(dir_okay=False, path_type=Path), envvar="FAGMATCH_SOURCES", default=None,
              help="Crawl sources for POST /api/admin/crawl; env FAGMATCH_SOURCES. Default: the bundled crawler/sources.yaml.")
@click.option("--base-url", type=BaseUrl(), envvar="FAGMATCH_BASE_URL", default="", help="Public URL for absolute links in feeds, e.g. https://fagmatch.example; env FAGMATCH_BASE_URL. "
              "Without it the feeds link relatively (never to the Host a request names).")
@click.option("--root-path", type=RootPath(), envvar="FAGMATCH_ROOT_PATH", default="",
              help="The path a reverse proxy serves the service under, e.g. /fagmatch (docs/service.md); env FAGMATCH_ROOT_PATH. "
              "The proxy may pass the path on or strip it. Default: the path of --base-url.")
@click.option("--no-gap-table", is_flag=True,
              help="Embed every new gap in words with the model, not with the gap table (docs/tagging.md: slower, the model's own vectors).")
@click.pass_obj
def serve(obj: Any, host: str, port: int, workers: int, api_key: str | None, registry: Path | None, base_url: str,
          root_path: str, no_gap_table: bool) -> None:
    """Serve the API (/docs), the feeds (/feed) and the Danish web page (/) over the catalogue."""
    from matcher.domain_data import domain_data_problems
    from matcher.store import open_catalogue
    from service.cli import clear_errors, fail  # late: service.cli registers this command

    if not root_path and base_url:  # served at https://intranet.example/fagmatch: under /fagmatch
        try:
            root_path = parse_root_path(urlsplit(base_url).path)
        except ValueError as exc:
            raise click.BadParameter(f"the service is served under its path: {exc}", param_hint="'--base-url'") from None
    config = ServiceConfig(db=Path(obj.db), taxonomy_path=obj.taxonomy_path, model=obj.model,
                           api_key=api_key or None, base_url=base_url, root_path=root_path, registry=registry,
                           gap_table=not no_gap_table)
    with clear_errors():  # a catalogue or data file that cannot be read is said here, not in a worker's traceback
        if not config.db.exists():  # served empty, to be filled by a crawl over HTTP; a mistyped --db shows here
            click.echo(f"note: no catalogue at {config.db.resolve()}; serving a new, empty one (fill it with "
                       "`fagmatch ingest`, `fagmatch crawl` or POST /api/admin/crawl)", err=True)
        open_catalogue(config.db).close()
        # every data file now, not at the first search that reads it (the registry: below)
        if problems := domain_data_problems(config.taxonomy_path, serving=True):
            fail("\n".join(problems.values()))
    from crawler.registry import RegistryError, load_registry

    try:  # only crawls over HTTP need it: said now, not first when one is asked for
        load_registry(config.registry)
    except RegistryError as exc:
        click.echo(f"warning: {exc}; POST /api/admin/crawl refuses to crawl until it is fixed", err=True)
    from service.workers import PortInUse

    click.echo(f"fagmatch serving {config.db} at http://{host}:{port}{config.root_path}/ (API docs at {config.root_path}/docs); "
               "Ctrl-C stops", err=True)
    try:
        run_server(config, host=host, port=port, workers=workers)
    except PortInUse as exc:
        fail(f"{exc}; is another service running there? Choose another --port.")
