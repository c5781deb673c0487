"""The local test webs' server: static files plus the traps a real web has (flaky 500, redirect, charsets).

Used by tests/test_crawler.py and (with tests/provider_web/site/) by bench/crawl_providers.py; listens
on 127.0.0.1 only. A query string selects a file: `?side=N` serves `PATH-side-N`, any other query
`PATH_key-value…` (sorted, tracking parameters ignored). A site may carry a `server.json` with
`redirects` (path → location), `flaky` (paths that answer 500 once, then the page) and
`content_types` (path with query → Content-Type header, e.g. a wrong charset). Paths under `/q/`
are a link trap: `/q/N` links to `/q/N-0` … `/q/N-9`, for ever; `/kalender?dag=N` is an endless
calendar that links to `?dag=N+1`."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, parse_qsl, urlsplit

ROOT = Path(__file__).resolve().parent
REDIRECTS = {"/alfa/gammel-side": "/alfa/moduler/beskaeftigelsesindsatsen"}
FLAKY = {"/gamma/kurser/flaky"}  # 500 on the first request, then the page
TRACKING = frozenset({"fbclid", "gclid", "mc_cid", "mc_eid"})


class TestWeb(ThreadingHTTPServer):
    __test__ = False  # not a pytest test class
    request_queue_size = 128  # http.server's default backlog of 5 drops connections under a crawl
    daemon_threads = True

    def __init__(self, root: Path = ROOT, delay: float = 0.0) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.root = root
        self.delay = delay
        self.base = f"http://127.0.0.1:{self.server_address[1]}"
        self.hidden: set[str] = set()  # paths that answer 404 (a removed page)
        self.broken: set[str] = set()  # paths that answer 500 every time
        self.replaced: dict[str, str] = {}  # paths that answer 200 with this HTML instead (a maintenance notice)
        self.flaky_seen: set[str] = set()
        self.log: list[tuple[str, str, int]] = []  # (method, path, status)
        self.times: list[tuple[float, str]] = []  # (time.monotonic() of the answer, path)
        self.throttled: dict[str, int] = {}  # paths that answer 429 with Retry-After: N seconds, the first time
        self.lock = threading.Lock()
        config_file = root / "server.json"
        config = json.loads(config_file.read_text(encoding="utf-8")) if config_file.exists() else {}
        self.redirects: dict[str, str] = {**REDIRECTS, **config.get("redirects", {})}
        self.content_types: dict[str, str] = config.get("content_types", {})
        self.flaky: set[str] = FLAKY | set(config.get("flaky", []))

    def start(self) -> TestWeb:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def resolve(self, path: str) -> Path | None:
        relative = path.lstrip("/")
        stem = relative.rstrip("/")
        candidates = [relative, stem + ".html", stem + ".json", f"{stem}/index.html".lstrip("/")]
        for candidate in candidates:
            file = (self.root / candidate).resolve()
            if file.is_file() and self.root.resolve() in file.parents:
                return file
        return None


class Handler(BaseHTTPRequestHandler):
    server: TestWeb

    def log_message(self, *args: object) -> None:  # quiet: the tests read server.log
        pass

    def _answer(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        with self.server.lock:
            self.server.log.append((self.command, self.path, status))
            self.server.times.append((time.monotonic(), self.path))
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        if self.server.delay:
            time.sleep(self.server.delay)
        parts = urlsplit(self.path)
        path = parts.path
        if path in self.server.redirects:
            return self._answer(301, headers={"Location": self.server.redirects[path]})
        if path.startswith("/q/"):
            return self._trap(path)
        if path == "/kalender":
            day = int(parse_qs(parts.query).get("dag", ["0"])[0])
            body = f'<html><body><main><h1>Dag {day}</h1><a href="/kalender?dag={day + 1}">Næste dag</a></main></body></html>'
            return self._answer(200, body.encode(), {"Content-Type": "text/html; charset=utf-8"})
        if path in self.server.hidden:
            return self._answer(404, b"<h1>Siden findes ikke</h1>", {"Content-Type": "text/html"})
        if path in self.server.throttled:
            seconds = self.server.throttled.pop(path)
            return self._answer(429, "<h1>For mange forespørgsler</h1>".encode(), {"Retry-After": str(seconds)})
        if path in self.server.broken:
            return self._answer(500, b"<h1>Serverfejl</h1>", {"Content-Type": "text/html"})
        if path in self.server.replaced:
            return self._answer(200, self.server.replaced[path].encode(), {"Content-Type": "text/html; charset=utf-8"})
        if path in self.server.flaky:
            with self.server.lock:
                first = path not in self.server.flaky_seen
                self.server.flaky_seen.add(path)
            if first:
                return self._answer(500, b"<h1>Midlertidig fejl</h1>", {"Content-Type": "text/html"})
        page = parse_qs(parts.query).get("side")
        query = sorted((k, v) for k, v in parse_qsl(parts.query) if not k.startswith("utm_") and k not in TRACKING)
        if page:
            path = f"{path.rstrip('/')}-side-{page[0]}"
        elif query:
            path = path.rstrip("/") + "".join(f"_{key}-{value}" for key, value in query)
        file = self.server.resolve(path)
        if file is None:
            return self._answer(404, b"<h1>Siden findes ikke</h1>", {"Content-Type": "text/html"})
        body = file.read_bytes().replace(b"{{BASE}}", self.server.base.encode())
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            return self._answer(304, headers={"ETag": etag})
        headers = {"ETag": etag, "Last-Modified": formatdate(file.stat().st_mtime, usegmt=True)}
        full = parts.path + (f"?{'&'.join(f'{k}={v}' for k, v in query)}" if query else "")
        if full in self.server.content_types:
            headers["Content-Type"] = self.server.content_types[full]
        elif file.suffix == ".json":
            headers["Content-Type"] = "application/json"
        elif file.suffix == ".xml":
            headers["Content-Type"] = "application/xml"
        elif file.suffix == ".txt":
            headers["Content-Type"] = "text/plain"
        else:
            try:
                body.decode("utf-8")
                headers["Content-Type"] = "text/html; charset=utf-8"
            except UnicodeDecodeError:  # the old pages of the web: Windows-1252, said in the header only
                headers["Content-Type"] = "text/html; charset=windows-1252"
        return self._answer(200, body, headers)

    def _trap(self, path: str) -> None:
        links = "".join(f'<li><a href="{path}-{n}">Side {path[3:]}-{n}</a></li>' for n in range(10))
        body = (f"<html><head><title>Arkiv {path[3:]}</title></head><body><main><h1>Arkiv {path[3:]}</h1>"
                f"<ul>{links}</ul></main></body></html>").encode()
        return self._answer(200, body, {"Content-Type": "text/html; charset=utf-8"})
