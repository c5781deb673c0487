"""The FastAPI application: JSON API under /api, feeds under /feed, the Danish web page at /.

Every error leaves as one JSON shape, `{"error": {"status", "message", "details"}}`, with a message a
person understands: 4xx for bad input, never a 500 for anything a client can send. Web pages get
the same message as an HTML page.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import re
import sqlite3
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator, Mapping
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.routing import iter_route_contexts
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from matcher.catalogue_index import FilterError
from matcher.gaps import GapInputError
from matcher.json_lines import error_message
from matcher.messages import in_language, say
from matcher.store import CatalogueError, disk_full
from matcher.temp_files import clear_left_behind_uploads
from service.idle_gc import Activity, CountRequests, collect_when_idle
from service.root_path import UnderRootPath, root_of, route_path
from service.server_paths import without_server_paths
from service.state import ServiceConfig, ServiceState
from service.uploads import UPLOAD_PREFIXES

STATIC_DIR = Path(__file__).resolve().parent / "static"


logger = logging.getLogger("fagmatch.service")


class ApiError(Exception):
    """An error with a status and a message for the person who sent the request."""

    def __init__(self, status: int, message: str, details: list[Any] | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details or []
        self.headers = dict(headers or {})


def error_body(status: int, message: str, details: list[Any] | None = None) -> dict[str, Any]:
    return {"error": {"status": status, "message": message, "details": details or []}}


class ErrorContent(BaseModel):
    status: int
    message: str
    details: list[Any]


class ErrorOut(BaseModel):
    """The one error shape, as `error_body` writes it."""

    error: ErrorContent


# Declared on every operation, so the spec (and clients generated from it) know the error shape.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {"model": ErrorOut, "description": "Bad input: what is wrong, in the one error shape"},
    503: {"model": ErrorOut, "description": "Not available now (the catalogue, or a busy draft check): try again later"},
}


def _wants_html(request: Request) -> bool:
    path = route_path(request.scope)
    return not (path.startswith("/api") or path.startswith("/feed") or path in ("/healthz", "/metrics", "/openapi.json"))


# The feeds are public: a page on any origin may read them in the browser, their ETag too, and their errors.
FEED_CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "ETag, Last-Modified"}


def _respond(request: Request, status: int, message: str, details: list[Any] | None = None,
             headers: Mapping[str, str] | None = None) -> Response:
    if _wants_html(request):
        renderer = getattr(request.app.state, "render_error", None)
        if renderer is not None:
            response = renderer(request, status, message)
        else:
            response = HTMLResponse(f"<h1>Fejl {status}</h1><p>{_escape(message)}</p>", status_code=status)
    else:
        response = JSONResponse(error_body(status, message, details), status_code=status)
    response.headers.update(headers or {})
    if route_path(request.scope).startswith("/feed/"):
        response.headers.update(FEED_CORS)
    return response


# Starlette's words for one form field or file over its max_part_size (1 MiB)
_PART_TOO_LARGE = re.compile(r"(Part|Field) exceeded maximum size of \d+KB")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _validation_message(exc: RequestValidationError) -> tuple[str, list[Any]]:
    """A message a person reads: the field and the problem, in plain words (not pydantic's "Value
    error, …" nor a bare character offset)."""
    details = []
    for error in exc.errors():
        loc = error.get("loc", ())
        problem = error_message(error)
        if error.get("type") == "json_invalid":  # loc is ("body", offset)
            reason = str((error.get("ctx") or {}).get("error", "")).split(":")[0] or "cannot be read"
            offset = loc[-1] if loc and isinstance(loc[-1], int) else None
            problem = f"the request body is not valid JSON: {reason}" + (f" (at character {offset + 1})" if offset is not None else "")
            loc = ()
        elif str(error.get("type", "")).startswith("date_"):  # pydantic reads 20270101 as seconds since 1970
            problem = f"{error.get('input')!r} is not a date: write YYYY-MM-DD, e.g. 2027-01-01"
        where = ".".join(str(part) for part in loc if part not in ("body", "query", "path"))
        details.append({"where": where, "problem": problem})
    first = details[0] if details else {"where": "", "problem": "the request is not valid"}
    more = f" (and {len(details) - 1} more)" if len(details) > 1 else ""
    return (f"{first['where']}: " if first["where"] else "") + f"{first['problem']}{more}", details


def _allowed_methods(request: Request) -> str:
    """Every method the path answers (RFC 9110 Allow); Starlette's 405 names only the first route's."""
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):  # through included routers
        if route.matches(request.scope)[0] != Match.NONE:
            methods |= route.methods or set()
    if "GET" in methods:  # HeadAsGet answers HEAD wherever GET is answered
        methods.add("HEAD")
    return ", ".join(sorted(methods))


REDOC_LOGO_URL = "https://cdn.redoc.ly/redoc/logo-mini.svg"
API_DOCS_ASSETS = "/static-docs"  # where FastAPIOffline serves the Swagger UI and Redoc bundles


def install_api_docs(app: FastAPI) -> None:
    """/docs (Swagger UI) and /redoc from the bundles fastapi-offline ships, so they work without
    internet: less Redoc's one request outside the service (the "API docs by Redocly" logo, which
    it fetches from a CDN), and each page declaring its language, English (WCAG 3.1.1)."""
    from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
    from fastapi_offline.core import _STATIC_PATH

    bundle = (_STATIC_PATH / "redoc.standalone.js").read_text(encoding="utf-8")
    # our favicon inline: an address in the bundle would have to know the root path
    bundle = bundle.replace(REDOC_LOGO_URL, "data:image/svg+xml," + quote((STATIC_DIR / "favicon.svg").read_text(encoding="utf-8")))
    assets = API_DOCS_ASSETS

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = root_of(request.scope)
        return _in_english(get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}", title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=f"{root}{app.swagger_ui_oauth2_redirect_url}" if app.swagger_ui_oauth2_redirect_url else None,
            swagger_js_url=f"{root}{assets}/swagger-ui-bundle.js", swagger_css_url=f"{root}{assets}/swagger-ui.css",
            swagger_favicon_url=f"{root}/static/favicon.svg", swagger_ui_parameters=app.swagger_ui_parameters,
        ))

    @app.get(app.swagger_ui_oauth2_redirect_url or "/docs/oauth2-redirect", include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()  # declares its language itself

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = root_of(request.scope)
        return _in_english(get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}", title=f"{app.title} - ReDoc", redoc_js_url=f"{root}/redoc.js",
            redoc_favicon_url=f"{root}/static/favicon.svg", with_google_fonts=False,
        ))

    @app.get("/redoc.js", include_in_schema=False)
    async def redoc_bundle() -> Response:
        return Response(bundle, media_type="text/javascript", headers={"Cache-Control": "public, max-age=86400"})


def _in_english(page: HTMLResponse) -> HTMLResponse:
    """The page with `lang="en"` on its <html> element (FastAPI's doc pages name no language)."""
    body = bytes(page.body).decode("utf-8").replace("<html>", '<html lang="en">', 1)
    return HTMLResponse(body, status_code=page.status_code)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        # RFC 9110: a 401 names how to authenticate (the key also goes as a Bearer token)
        challenge = {"WWW-Authenticate": 'Bearer realm="fagmatch"'} if exc.status == 401 else {}
        return _respond(request, exc.status, exc.message, exc.details, headers={**exc.headers, **challenge})

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if any(error.get("loc") == ("body",) and isinstance(error.get("input"), bytes) for error in exc.errors()):
            # FastAPI reads a body as JSON only when it says it is: any other body reaches the model as bytes
            given = request.headers.get("content-type") or "none"
            return _respond(request, 415, f"send the body as JSON, with the header Content-Type: application/json "
                                          f"(the request's Content-Type: {given})")
        message, details = _validation_message(exc)
        return _respond(request, 422, message, details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else "request failed"
        if message == "There was an error parsing the body":  # FastAPI's words for a body it could not read
            message = "the request body could not be read as JSON: it is not UTF-8 text (send JSON in UTF-8), it is malformed, or it is nested too deeply"
        headers = dict(exc.headers or {})
        too_large = getattr(request.app.state, "render_too_large", None)
        if exc.status_code == 400 and _PART_TOO_LARGE.match(message) and too_large is not None and _wants_html(request):
            return too_large(request, None)  # one form field over Starlette's limit: the form again, in Danish
        # the web page's visitor reads Danish; the API's and the feeds' clients English
        with in_language("da" if _wants_html(request) else "en"):
            if exc.status_code == 404 and message == "Not Found":
                message = say("no such page or resource: {path}", path=request.url.path)
            if exc.status_code == 405:
                if request.method == "GET" and _wants_html(request):  # a form's answer, opened again by its address
                    message = say("this page answers a form and cannot be opened by its address or reloaded: fill in the form again")
                else:
                    message = say("{method} is not allowed on {path}", method=request.method, path=request.url.path)
                headers["Allow"] = _allowed_methods(request) or headers.get("Allow", "")
        return _respond(request, exc.status_code, message, headers=headers)

    @app.exception_handler(FilterError)
    @app.exception_handler(GapInputError)
    async def _bad_input(request: Request, exc: Exception) -> Response:
        return _respond(request, 422, str(exc))

    @app.exception_handler(OSError)
    @app.exception_handler(sqlite3.OperationalError)
    async def _cannot_write(request: Request, exc: Exception) -> Response:
        """A full disk or a read-only folder meets a write (a saved analysis, an upload, a job's state):
        said as such, not as a bare 500. Whatever it was writing was not written."""
        text, full = str(exc), disk_full(exc)
        if not full and getattr(exc, "errno", None) not in (errno.EROFS, errno.EACCES) \
                and "readonly" not in text and "read-only" not in text.lower():  # fmt: skip
            raise exc  # anything else is a fault, logged as one
        logger.error("%s %s: %s", request.method, request.url.path, exc)
        with in_language("da" if _wants_html(request) else "en"):
            reason = say("the server's disk is full") if full else say("the server's data folder is read-only")
            return _respond(request, 503, say("{reason}: nothing was changed; tell whoever runs the service", reason=reason))

    @app.exception_handler(CatalogueError)
    async def _catalogue(request: Request, exc: CatalogueError) -> Response:
        # The operator's log has the paths; an answer names the catalogue's file only.
        detail = without_server_paths(str(exc), folders=[get_state(request).config.db.parent])
        with in_language("da" if _wants_html(request) else "en"):  # the cause stays as the operator reads it
            return _respond(request, 503, say("the catalogue is not available: {detail}", detail=detail))


# The web page loads nothing from elsewhere and runs one script file of its own; the bars' widths are
# inline style attributes. The API docs (Swagger UI, ReDoc) run inline scripts, so they go without it.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
).encode()
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),  # a provider's site sees where from, not the query
]
# The API docs' pages run inline scripts (Swagger UI, Redoc): they alone go without the policy; their
# assets and any other answer under those paths (a 404 that repeats the path) keep it.
_DOCS_PAGES = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})
# Answers that may hold a team's employees, their steps or their gaps: no browser or proxy keeps them
# (a shared computer's cache, a municipality's proxy). The template downloads hold none, but are cheap.
_TEAM_PATHS = ("/team", "/api/gaps", "/api/analyses", "/api/recommendations", "/api/plan")
NO_STORE = (b"cache-control", b"no-store")


class SecurityHeaders:
    """Headers that tell a browser to keep the pages to themselves: no framing (clickjacking), no
    guessing of content types, no scripts from elsewhere, no full address sent on to provider
    sites, and no copy kept of an answer about a team. Plain ASGI, as BodyLimit."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = route_path(scope)
        policy = path not in _DOCS_PAGES
        private = path.startswith(_TEAM_PATHS)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), *SECURITY_HEADERS]
                if policy:
                    headers.append((b"content-security-policy", CONTENT_SECURITY_POLICY))
                if private:
                    headers = [h for h in headers if h[0].lower() != b"cache-control"] + [NO_STORE]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


class BodyLimit:
    """Refuse request bodies over `limit` bytes with 413, declared or streamed, before any handler
    reads them. Plain ASGI: Starlette's `@app.middleware("http")` cost 2–3 ms on every request."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None:
            if not declared.isdigit():
                await self._refuse(scope, receive, send, 400, "Content-Length must be a number")
            elif int(declared) > self.limit:
                await self._refuse(scope, receive, send, 413, self._too_large)
            else:
                await self.app(scope, receive, send)
            return
        if scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        # No length declared (chunked): read the body here, up to the limit, and hand it on whole.
        body = b""
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                await self.app(scope, _replay(message, receive), send)
                return
            body += message.get("body", b"")
            if len(body) > self.limit:
                await self._refuse(scope, receive, send, 413, self._too_large)
                return
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay({"type": "http.request", "body": body, "more_body": False}, receive), send)

    @property
    def _too_large(self) -> str:
        return f"the request body is larger than {self.limit // 1000} kB"

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, status: int, message: str) -> None:
        request = Request(scope)
        too_large = getattr(request.app.state, "render_too_large", None)
        if status == 413 and too_large is not None and _wants_html(request):
            await too_large(request, self.limit)(scope, receive, send)  # the web page's form again, in Danish
            return
        await _respond(request, status, message)(scope, receive, send)


class EmptyQueryValuesAbsent:
    """A query parameter given empty on the API or a feed (`field=`, as a client that sends every field
    of its form does) counts as not given, as on the web page: `q=` and `location=` did, while `field=`,
    `level=` and `max_price=` were refused (422)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = scope.get("query_string", b"") if scope["type"] == "http" else b""
        if query and route_path(scope).startswith(("/api/", "/feed/")):
            kept = [part for part in query.split(b"&") if part and not _EMPTY_VALUE.fullmatch(part)]
            scope = {**scope, "query_string": b"&".join(kept)}
        await self.app(scope, receive, send)


_EMPTY_VALUE = re.compile(rb"[^=]*=?")  # "field=" or a bare "field": no value


class HeadAsGet:
    """Answer HEAD as GET without the body (RFC 9110: the same headers), so link checkers, monitors
    and feed readers that ask for the headers only get them, not 405."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)


def _replay(first: Message, receive: Receive) -> Receive:
    """A `receive` that gives `first`, then whatever the client sends next."""
    pending = [first]

    async def replay() -> Message:
        return pending.pop() if pending else await receive()

    return replay


def create_app(config: ServiceConfig, *, warm: bool = True) -> FastAPI:
    """The service over `config.db`. With `warm`, the model and index load at start-up."""
    state = ServiceState(config)
    activity = Activity()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # A crawl job left behind by a service that was killed is stopped, before anything else runs;
        # and the uploaded files (team files hold names and steps) a killed worker left are removed.
        await asyncio.to_thread(state.crawl_jobs.recover)
        await asyncio.to_thread(clear_left_behind_uploads, UPLOAD_PREFIXES)
        if warm:
            state.warm_up()
        collector = asyncio.create_task(collect_when_idle(activity)) if config.collect_when_idle else None
        try:
            yield
        finally:
            if collector is not None:
                collector.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await collector
            await asyncio.to_thread(state.crawl_jobs.stop)  # the service's crawl stops with it

    # FastAPIOffline: /docs (Swagger UI) and /redoc load their scripts from the installed package,
    # not from a CDN, so the API docs work on a machine without internet.
    app = FastAPIOffline(
        static_url=API_DOCS_ASSETS,
        docs_url=None,  # our own /docs and /redoc (install_api_docs)
        redoc_url=None,
        title="fagmatch",
        description="Courses that fill a jobcentre team's competence gaps: search, gaps, recommendations "
        "with transfer-readiness notes, provider coverage, and the catalogue feed.",
        version="1.0",
        lifespan=lifespan,
        responses=ERROR_RESPONSES,
    )
    app.state.service = state
    install_error_handlers(app)
    app.add_middleware(BodyLimit, limit=config.max_body_bytes)
    app.add_middleware(HeadAsGet)
    app.add_middleware(EmptyQueryValuesAbsent)
    app.add_middleware(SecurityHeaders)
    if config.collect_when_idle:
        app.add_middleware(CountRequests, activity=activity)  # counts a refused body too
    if config.root_path:
        app.add_middleware(UnderRootPath, root=config.root_path)  # outermost: every other part sees the root path
    from service.api import health_router
    from service.api import router as api_router
    from service.feed_routes import router as feed_router

    install_api_docs(app)
    app.include_router(api_router)
    app.include_router(health_router)
    app.include_router(feed_router)
    from service.web import install_web

    install_web(app)
    if STATIC_DIR.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app


def get_state(request: Request) -> ServiceState:
    return request.app.state.service


async def state_dependency(request: Request) -> ServiceState:
    """`get_state` for `Depends`: async, because FastAPI runs a plain `def` dependency in its thread
    pool, one more thread hand-off per request for an attribute read."""
    return get_state(request)


async def refuse_unknown_query(request: Request) -> None:
    """A query parameter the endpoint does not take, or one it takes once given twice, is a 422: a
    misspelt filter (`fields=` for `field=`) must not answer as if there were none. Async, as
    `state_dependency`."""
    if not request.query_params:
        return
    route = request.scope.get("route")
    if route is None or not hasattr(route, "dependant"):
        return
    known = _query_parameters(route)
    if unknown := sorted(set(request.query_params) - set(known)):
        # a parameter taken only to be refused with advice (hidden from the schema) is not offered
        takes = ", ".join(sorted(name for name in known if name not in _hidden_query_parameters(route))) or "none"
        raise ApiError(422, f"unknown query parameter(s) {', '.join(unknown)}; {route.path_format} takes {takes}")
    if twice := sorted(k for k in set(request.query_params) if not known[k] and len(request.query_params.getlist(k)) > 1):
        raise ApiError(422, f"query parameter(s) {', '.join(twice)} given more than once; give each once")


def _query_parameters(route: Any) -> dict[str, bool]:
    """The query parameters a route takes, its dependencies' included: name → whether it may repeat.
    Worked out once per route, and kept on it."""
    names: dict[str, bool] | None = getattr(route, "_query_parameters", None)
    if names is None:
        names = route._query_parameters = _declared_query(route.dependant)
    return names


def _hidden_query_parameters(route: Any) -> set[str]:
    return {f.alias for f in route.dependant.query_params if not getattr(f.field_info, "include_in_schema", True)}


def _declared_query(dependant: Any) -> dict[str, bool]:
    from fastapi.dependencies.utils import field_annotation_is_sequence

    names: dict[str, bool] = {}
    pending = [dependant]
    while pending:
        dependant = pending.pop()
        names.update((f.alias, field_annotation_is_sequence(f.field_info.annotation)) for f in dependant.query_params)
        pending.extend(dependant.dependencies)
    return names
