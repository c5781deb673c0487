"""The public catalogue feed over HTTP: JSON (paginated, `since=`), CSV, Atom, and the fagprofiler
grouping. Conditional GETs: an ETag from the catalogue generation and the query, and Last-Modified;
a client that already has this generation gets 304 and no body. Any origin may read them (CORS):
they hold only what the catalogue publishes."""

from __future__ import annotations

import datetime as dt
import re
from email.utils import format_datetime, parsedate_to_datetime
from typing import Annotated, Any, Callable

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from matcher import clock
from matcher.feed import EXCEL_DELIMITER
from matcher.tabular import BOM
from service import feeds
from service.app import FEED_CORS, ApiError, ErrorOut, get_state, refuse_unknown_query
from service.root_path import root_of

# A browser asks first (a CORS preflight) before it sends If-None-Match or If-Modified-Since to another origin.
PREFLIGHT = {**FEED_CORS, "Access-Control-Allow-Methods": "GET, HEAD",
             "Access-Control-Allow-Headers": "If-None-Match, If-Modified-Since", "Access-Control-Max-Age": "86400"}
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {304: {"description": "Not modified: the client has this generation"}}
router = APIRouter(prefix="/feed", tags=["feed"], responses=NOT_MODIFIED, dependencies=[Depends(refuse_unknown_query)])
FEED_PATHS = ("/courses.json", "/courses.csv", "/atom.xml", "/fagprofiler.json")


class FeedTagsOut(BaseModel):
    model: str = Field(description="The tagger's model version that made the tags.")
    primary_field: str | None = Field(description="The best-fitting competence field, if any.")
    assigned_fields: list[str] = Field(description="The fields the course builds, best first.")
    level: str | None = Field(description="grundlaeggende or specialiseret.")
    basic_competences: list[str] = Field(description="fagprofiler basic competences, best first.")
    profiles: list[str] = Field(description="fagprofiler profiles, best first.")
    tagged_at: str | None = Field(description="When the tags were published (UTC, with a Z).")
    current: bool = Field(description="False when the course has changed since and waits for tagging.")


class FeedItemOut(BaseModel):
    """A course in the feed: every field of the course record (as `fagmatch export` writes it), plus
    its change times and tags."""

    model_config = ConfigDict(extra="allow")

    id: str
    title: str
    withdrawn: bool
    can_apply: bool = Field(description="Whether one can still apply for it today, as search lists it: a start on or "
                                        "after today whose deadline has not passed, or, without dates, a deadline that "
                                        "has not passed; never a withdrawn course.")
    open_starts: list[str] = Field(description="The starts one can still apply for today (YYYY-MM-DD), earliest first.")
    withdrawn_at: str | None = Field(description="When the course was withdrawn; null while it is offered.")
    updated_at: str = Field(description="When its record last changed (UTC).")
    changed_at: str = Field(description="The later of updated_at and tags.tagged_at: what since= matches; "
                                        "the feed's order.")
    tags: FeedTagsOut | None = Field(description="Its latest tags; null while untagged.")


class FeedPageOut(BaseModel):
    generated_at: str
    last_modified: str | None = Field(description="When the catalogue was last published: the next since=.")
    since: str | None
    total: int
    page: int
    per_page: int
    pages: int
    self: str
    next: str | None
    prev: str | None
    items: list[FeedItemOut]


def _text(media_type: str) -> dict[int | str, dict[str, Any]]:
    """The spec of a 200 that is not JSON."""
    return {200: {"description": "Successful Response", "content": {media_type: {"schema": {"type": "string"}}}}}


# "+01:00" written as is in a query string arrives as " 01:00" (a + is a space there): given back its +.
_SPACED_OFFSET_RE = re.compile(r"([T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}(?::?\d{2})?)$")


def _offset_plus(value: Any) -> Any:
    return _SPACED_OFFSET_RE.sub(r"\1+\2", value.strip()) if isinstance(value, str) else value


Since = Annotated[dt.datetime | None, BeforeValidator(_offset_plus), Query(description=(
    "Only courses whose record or tags changed at or after this time (inclusive; the item's `changed_at`): "
    "ISO 8601, UTC unless it names a zone. Pass the previous answer's `last_modified`: a course may come "
    "twice, never be missed."))]
AtomSince = Annotated[dt.datetime | None, BeforeValidator(_offset_plus), Query(description=(
    "Only courses whose record changed at or after this time (inclusive; the entry's `updated`): ISO 8601, "
    "UTC unless it names a zone. New tags alone do not make an entry."))]


def _base_url(request: Request) -> str:
    """The service's public address for absolute links (`serve --base-url`, FAGMATCH_BASE_URL); without
    it the path the service is served under ("" or `--root-path`), and the feeds link relatively:
    never from the request's Host header, which a client chooses and a shared cache would keep for everyone."""
    return get_state(request).config.base_url.rstrip("/") or root_of(request.scope)


def _conditional(request: Request, media_type: str, build: Callable[[Any], Any], **params: Any) -> Response:
    """Answer 304 when the client's ETag or date matches this generation; else build the body."""
    state = get_state(request)
    with state.open_catalogue() as reader:
        # The links' base is part of the body, so of the ETag too, and so is the framework the service reads.
        # and the day: which starts are still open (can_apply, open_starts) changes at midnight
        today = clock.today()
        etag = feeds.feed_etag(reader, request.url.path, base_url=_base_url(request),
                               framework=state.framework_etag, day=today, **params)
        modified = max(feeds.last_modified(reader), state.framework_changed_at, _start_of(today))
        # Public data: a portal's own page on another origin may read it, and its ETag, in the browser.
        headers = {"ETag": etag, "Cache-Control": "public, max-age=60", **FEED_CORS}
        headers["Last-Modified"] = format_datetime(modified.astimezone(dt.timezone.utc), usegmt=True)
        if _not_modified(request, etag, modified):
            return Response(status_code=304, headers=headers)
        body = state.feed_bodies.get(etag, lambda: _encoded(build(reader)))
    return Response(body, headers=headers, media_type=media_type)


def _start_of(day: dt.date) -> dt.datetime:
    """The day's first moment in Denmark (aware UTC, as Last-Modified's other times)."""
    return dt.datetime.combine(day, dt.time(), tzinfo=clock.DANISH_TIME).astimezone(dt.UTC)


def _encoded(body: Any) -> bytes:
    if isinstance(body, (dict, list)):
        return JSONResponse(body).body
    return body.encode() if isinstance(body, str) else body


def _not_modified(request: Request, etag: str, modified: dt.datetime) -> bool:
    match = request.headers.get("if-none-match")
    if match is not None:
        return feeds.etag_matches(match, etag)
    since = request.headers.get("if-modified-since")
    if since:
        try:
            return modified.astimezone(dt.timezone.utc).replace(microsecond=0) <= parsedate_to_datetime(since)
        except (TypeError, ValueError, OverflowError):  # a date no calendar holds (year 99999999999): no condition
            return False
    return False


def preflight() -> Response:
    """The answer to a browser's CORS preflight for a conditional GET of a feed."""
    return Response(status_code=204, headers=PREFLIGHT)


# One route per feed, not one for every path: a GET of a feed that does not exist must be a 404, not
# a 405 naming OPTIONS.
for _feed in FEED_PATHS:
    router.add_api_route(_feed, preflight, methods=["OPTIONS"], include_in_schema=False)


@router.get("/courses.json", summary="All courses with their tags, paginated",
            responses={200: {"model": FeedPageOut, "description": "One page of the feed, oldest change first"}})
def courses_json(
    request: Request, since: Since = None,
    page: Annotated[int | None, Query(ge=1, le=100_000, description="The page by number (default 1).")] = None,
    per_page: Annotated[int, Query(ge=1, le=feeds.MAX_PER_PAGE)] = feeds.DEFAULT_PER_PAGE,
    after: Annotated[str | None, Query(max_length=1100, description=(
        "The page after this item (a cursor: `next` links carry it), instead of `page`. Following `next` "
        "misses no course when the catalogue changes meanwhile; a changed course comes again at the end."))] = None,
) -> Response:
    base = _base_url(request)
    if after is not None:
        if page is not None:
            raise ApiError(422, "give page or after, not both: after= already says where the page starts")
        try:
            feeds.parse_feed_cursor(after)
        except ValueError as exc:
            raise ApiError(422, str(exc)) from None
    page = page or 1
    return _conditional(request, "application/json",
                        lambda r: feeds.feed_json(r, since=since, page=page, per_page=per_page, base_url=base, after=after),
                        since=since, page=page, per_page=per_page, after=after)


@router.get("/courses.csv", summary="All courses with their tags, as CSV", response_class=Response, responses=_text("text/csv"))
def courses_csv(request: Request, since: Since = None, excel: Annotated[bool, Query(description=(
        "For Danish Excel, which opens it with a double click: `;`-separated, numbers with a decimal comma, "
        "UTF-8 with a byte-order mark (as `fagmatch export --format feed-csv --excel`)."))] = False) -> Response:
    def build(reader: Any) -> str:
        return (BOM + feeds.feed_csv(reader, since=since, delimiter=EXCEL_DELIMITER)) if excel else feeds.feed_csv(reader, since=since)

    return _conditional(request, "text/csv; charset=utf-8", build, since=since, excel=excel)


@router.get("/atom.xml", summary="New and changed courses, as Atom", response_class=Response,
            responses=_text("application/atom+xml"))
def atom(request: Request, since: AtomSince = None,
         limit: Annotated[int, Query(ge=1, le=1000)] = feeds.ATOM_LIMIT) -> Response:
    base = _base_url(request)
    return _conditional(request, "application/atom+xml",
                        lambda r: feeds.feed_atom(r, since=since, base_url=base, limit=limit), since=since, limit=limit)


@router.get("/fagprofiler.json", summary="Courses grouped by fagprofiler basic competence and profile",
            responses={422: {"model": ErrorOut, "description": "`since=` given: this view takes none"}})
def fagprofiler(
    request: Request,
    since: Annotated[str | None, Query(include_in_schema=False)] = None,  # taken only to be refused with advice
) -> Response:
    """Every item of the framework with the active tagged courses that serve it. It is a view of the
    whole catalogue, so it takes no `since=` (422); follow changes with `courses.json?since=`."""
    if since is not None:
        raise ApiError(422, "fagprofiler.json groups the whole catalogue and takes no since=; "
                            "follow changes with /feed/courses.json?since=")
    taxonomy = get_state(request).taxonomy
    return _conditional(request, "application/json", lambda r: feeds.fagprofiler_view(r, taxonomy))
