"""Serving under a path of its own, behind a reverse proxy: https://intranet.example/fagmatch/.

`serve --root-path /fagmatch` (env FAGMATCH_ROOT_PATH) makes the service answer under that path
whether the proxy passes the prefix on (`proxy_pass http://127.0.0.1:8000;`) or strips it
(`proxy_pass http://127.0.0.1:8000/;`), and write every link, form, redirect and asset address of its
pages, its API docs and its feeds with the prefix."""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Receive, Scope, Send

# The service's own first path segments: a root path that begins with one of them could not tell a
# prefixed request from an unprefixed one ("/api" + "/api/courses").
OWN_SEGMENTS = frozenset({
    "api", "feed", "team", "kursus", "udbydere", "static", "static-docs", "docs", "redoc", "redoc.js",
    "openapi.json", "healthz", "metrics",
})
_SEGMENT = re.compile(r"[A-Za-z0-9._~-]+")


def parse_root_path(text: str) -> str:
    """The root path as the service uses it: "/fagmatch" from "/fagmatch", "fagmatch/" or
    "/fagmatch/"; "" for "" or "/". ValueError, naming the problem, for anything else."""
    segments = text.strip().strip("/").split("/")
    if segments == [""]:
        return ""
    for segment in segments:
        if not _SEGMENT.fullmatch(segment) or segment in (".", ".."):
            raise ValueError(f"{text!r} is no root path: give the path the proxy serves the service under, "
                             "such as /fagmatch (letters, digits, '-', '_', '.' and '~' between the slashes)")
    if segments[0] in OWN_SEGMENTS:
        raise ValueError(f"{text!r} begins with /{segments[0]}, one of the service's own paths: choose another, such as /fagmatch")
    return "/" + "/".join(segments)


def route_path(scope: Scope) -> str:
    """The request's path within the service, without the root path ("/team" for "/fagmatch/team")."""
    path, root = scope["path"], scope.get("root_path", "")
    if root and (path == root or path.startswith(root + "/")):
        return path[len(root):] or "/"
    return path


def root_of(scope: Scope) -> str:
    """The prefix of every address the service writes: its root path, "" at a host's root."""
    return str(scope.get("root_path", "")).rstrip("/")


class UnderRootPath:
    """Give every request the root path, and a path that begins with it, as an ASGI server gives an
    app mounted under a path (`uvicorn --root-path`): whether the proxy kept the prefix or stripped it.
    Routes then match without it, and every address built from the request keeps it."""

    def __init__(self, app: ASGIApp, root: str) -> None:
        self.app = app
        self.root = root
        self._raw_root = root.encode("ascii")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            path = scope["path"]
            scope = {**scope, "root_path": self.root}
            if not (path == self.root or path.startswith(self.root + "/")):  # the proxy stripped the prefix
                scope["path"] = self.root + path
                if scope.get("raw_path") is not None:
                    scope["raw_path"] = self._raw_root + scope["raw_path"]
        await self.app(scope, receive, send)
