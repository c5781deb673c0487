"""The JSON API (`/api/...`, OpenAPI at /docs). Field names in English; errors in one shape (service/app.py).

Thin like the CLI: it validates, calls `matcher`, and shapes the answer. Team data is personal:
gap analyses are computed and forgotten unless the caller saves one (`POST /api/analyses`, API key),
and a saved one can be deleted.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
from pathlib import Path
from typing import Annotated, Any, Literal

import anyio
import anyio.to_thread
import orjson
from fastapi import APIRouter, Depends, File, Form, Query, Request, Security, UploadFile
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator, model_validator

from matcher import clock
from matcher.catalogue_index import CatalogueIndex, CourseFilters, CourseHit, SortOrder
from matcher.course import Course, CourseType, Form as CourseForm
from matcher.gaps import MAX_TEAM_SIZE, analyse_assessment, analyse_needs, read_assessment, read_needs_survey, read_target
from matcher.json_lines import error_message
from matcher.recommend import MAX_GAPS, MAX_RESULTS, Gap, RecommendError, off_domain_notice, repeated_gap_id
from matcher.store import open_catalogue
from matcher.tabular import TabularError, decode_bytes
from matcher.taxonomy import Level
from matcher.transfer import TransferContext, assess_transfer
from matcher.temp_files import private_temp_folder
from matcher.text import strip_controls
from service.analyses import MAX_ID, AnalysisStore
from service.app import ApiError, get_state, refuse_unknown_query, state_dependency
from service.root_path import root_of
from service.server_paths import without_server_paths
from service.state import DRAFT_RETRY_SECONDS, DraftBusy, ServiceState
from service.uploads import FEED_UPLOAD_PREFIX, MAX_UPLOAD_BYTES, TEAM_UPLOAD_PREFIX, UploadError, read_upload

router = APIRouter(prefix="/api", dependencies=[Depends(refuse_unknown_query)])
MAX_TEXT = 20_000
MAX_CSV = MAX_UPLOAD_BYTES  # pasted CSV text and uploaded files alike
# What one recommendation request may ask for besides MAX_GAPS and MAX_RESULTS (matcher.recommend).
MAX_GAP_WORDS = 6_000  # characters of gap words in one request (each gap's words are read by the model)
MAX_TOP = 50  # results per gap
# Smaller requests are answered on the event loop (array arithmetic in memory, about a millisecond);
# larger ones in a thread, so that no request holds up the others for more than a few milliseconds.
ON_LOOP_RESULTS = 10
# Request examples (bundled taxonomy's keys): shown in /docs, and sent first by the API fuzz test.
GAP_TEXT = "vi mangler specialiseret viden om sygedagpengeloven"
EXAMPLE_GAP = {"id": "g1", "fields": ["lov_myndighed"], "level": "specialiseret", "learners": 2}


# ---------------------------------------------------------------- shapes


class CourseOut(BaseModel):
    course: dict[str, Any] = Field(description="The course record (the feed's fields).")
    tags: dict[str, Any]
    next_start: dt.date | None
    score: float | None = None


class SearchOut(BaseModel):
    total: int
    page: int
    per_page: int
    items: list[CourseOut]
    notices: list[str] = Field(default=[], description="What the user should know about the answer, e.g. that no "
                                                       "course found is held at the place asked for (online and "
                                                       "rekvirerbar courses suit any place).")


# A gap as an answer gives it: Gap's fields, and what is derived from them (a model of its own, as
# Gap's `field` is a property and Gap drops the derived keys it is given back).
GapOut = create_model(
    "GapOut", __config__=ConfigDict(extra="forbid"),
    **{name: (info.annotation, info) for name, info in Gap.model_fields.items()},  # type: ignore[call-overload]
    field=(str, Field(description="The main field's key (the first of `fields`).")),
    field_name=(str, Field(description="The field's name in the framework (a survey's fields asked together: all of them).")),
    why_no_courses=(str | None, Field(default=None, description="Why the gap got no course, when it got none.")),
)


class OtherOfferOut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    course_id: str
    location: str | None
    next_start: dt.date | None


class ResultOut(BaseModel):
    """One recommended course for one gap."""

    model_config = ConfigDict(extra="forbid")
    gap_id: str
    rank: int = Field(description="1 is the best for its gap.")
    course_id: str
    url: str | None
    title: str
    provider: str | None
    course_type: str | None
    course_type_inferred: bool = Field(description="True when the type was read from the page's words, not stated.")
    score: float
    parts: dict[str, float] = Field(description="The weighted parts the score was summed from. Its `transfer` reads the course's own design, as for one learner; the note's `transfer.score` also reads the team (colleagues who can take it together), which the ranking weighs in its `form` part.")
    fields: list[str]
    level: str | None
    why: list[dict[str, Any]] = Field(description="Why it fits: the gap's competences it matches (with the passage), "
                                                  "the gap's words it contains, how its level fits; `meaning` where it is "
                                                  "near the gap's words by meaning alone (`off_domain`: read as outside "
                                                  "employment services).")
    transfer: dict[str, Any] = Field(description="The transfer-readiness note: score, factors present and missing, "
                                                 "the note, and what to do before, during and after.")
    next_start: dt.date | None
    application_deadline: dt.date | None
    start_dates: list[dt.date] = Field(description="Every start one can still apply for, at most 12.")
    price_dkk: float | None
    ects: float | None
    duration_days: float | None
    form: str | None
    location: str | None
    language: str | None = Field(default=None, description="The language the course is taught in, as the record states it (da, en).")
    also_offered: list[OtherOfferOut] = Field(description="The same course at other places or times, within the constraints.")


class RecommendationOut(BaseModel):
    """The recommendation document (the CLI's `recommend --json`), which POST /api/plan takes back."""

    model_config = ConfigDict(extra="forbid")
    query: str | None
    today: dt.date
    gaps: list[GapOut]  # type: ignore[valid-type]
    constraints: dict[str, Any] = Field(description="The constraints applied (defaults left out; providers by their full names).")
    candidates: int = Field(description="How many courses passed the constraints.")
    results: list[ResultOut]
    notices: list[str]
    analysis: dict[str, Any] | None = Field(description="The team's analysis, for a team file; null otherwise.")


class CourseDetail(CourseOut):
    why: dict[str, Any] = Field(description="Per assigned field: the competences the course matches and the passages that match them.")
    transfer: dict[str, Any] = Field(description="The course's own transfer design: factors present and missing.")


class TeamInput(BaseModel):
    """One way to describe the team: a gap in words, a needs survey, or an assessment with its target."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"text": GAP_TEXT}]})

    text: str | None = Field(default=None, max_length=2000, description="A gap in words.")
    survey_csv: str | None = Field(default=None, max_length=MAX_CSV, description="A needs survey, as CSV text.")
    assessment_csv: str | None = Field(default=None, max_length=MAX_CSV, description="A proficiency assessment, as CSV text.")
    target: dict[str, Any] | str | None = Field(default=None, description="The target profile (object, or YAML/JSON text).")

    @model_validator(mode="after")
    def _one_way(self) -> TeamInput:
        given = [name for name in ("text", "survey_csv", "assessment_csv") if getattr(self, name)]
        if len(given) != 1:
            raise ValueError("give exactly one of text, survey_csv, or assessment_csv (with target)")
        if self.assessment_csv and self.target is None:
            raise ValueError("assessment_csv needs target: the required level and specialists per field")
        if self.target is not None and not self.assessment_csv:
            raise ValueError("target goes with assessment_csv")
        return self


class RecommendationRequest(TeamInput):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"text": GAP_TEXT, "top": 3, "constraints": {"max_price": 20000}}, {"gaps": [EXAMPLE_GAP]}]})

    text: str | None = Field(default=None, max_length=2000, description="A gap in words (the CLI's --query).")
    level: Level | None = Field(default=None, description="With text: the level the courses should be at. It decides, over any level the words state (`level_read_by`: \"choice\"); without it the level is read from the words.")
    learners: int | None = Field(default=None, ge=1, le=MAX_TEAM_SIZE, description="With text: how many take the course together (the CLI's --learners; default 1). The transfer note's steps follow it: one employee, or a team.")
    gaps: list[Gap] | None = Field(default=None, max_length=MAX_GAPS,
                                   description=f"Gaps as returned by an earlier call; at most {MAX_GAPS}.")
    constraints: CourseFilters = Field(default_factory=CourseFilters)
    top: int = Field(default=5, ge=1, le=MAX_TOP, description=f"Courses per gap, at most {MAX_TOP}; "
                     f"gaps × top at most {MAX_RESULTS}.")

    @model_validator(mode="after")
    def _one_way(self) -> RecommendationRequest:  # type: ignore[override]
        given = [name for name in ("text", "survey_csv", "assessment_csv", "gaps") if getattr(self, name)]
        if len(given) != 1:
            raise ValueError("give exactly one of text, gaps, survey_csv, or assessment_csv (with target)")
        if self.assessment_csv and self.target is None:
            raise ValueError("assessment_csv needs target: the required level and specialists per field")
        if self.target is not None and not self.assessment_csv:  # as /api/gaps says: it would be ignored
            raise ValueError("target goes with assessment_csv")
        if self.level and not self.text:
            raise ValueError("level goes with text: gaps and team files carry their own levels")
        if self.learners and not self.text:
            raise ValueError("learners goes with text: gaps and team files carry their own learners")
        if self.gaps and (too_many := _too_many_results(len(self.gaps), self.top)):
            raise ValueError(too_many)
        words = sum(len(gap.text or "") for gap in self.gaps or [])
        if words > MAX_GAP_WORDS:  # each gap in words is read anew: 20 long ones held a worker for half a minute
            raise ValueError(f"the gaps' words are {words} characters together; at most {MAX_GAP_WORDS} in one "
                             "request: send fewer gaps in words, or shorter ones")
        return self


def _too_many_results(gaps: int, top: int) -> str | None:
    """Why `gaps` × `top` results are more than an answer holds, or None when they fit."""
    if gaps * top <= MAX_RESULTS:
        return None
    return (f"{gaps} gaps × top {top} is {gaps * top} results; an answer holds at most {MAX_RESULTS}: "
            f"ask for fewer gaps or a top of at most {MAX_RESULTS // gaps}")


class DraftCourse(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra={"examples": [{
        "title": "Fleksjob og ressourceforløb i praksis", "course_type": "kursus", "form": "fysisk",
        "description": "Kurset giver indgående viden om reglerne for fleksjob og ressourceforløb, med cases fra egen praksis."}]})
    title: str = Field(min_length=1, max_length=500)
    description: str = Field(min_length=1, max_length=MAX_TEXT)
    course_type: CourseType | None = None
    form: CourseForm | None = None

    @field_validator("title", "description", mode="before")
    @classmethod
    def _no_controls(cls, value: Any) -> Any:
        # as a course record drops them (matcher.course): a text of control characters alone is empty
        return strip_controls(value) if isinstance(value, str) else value


class SavedAnalysisIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"name": "Team A", "gaps": [EXAMPLE_GAP]}]})
    name: str = Field(min_length=1, max_length=200)
    gaps: list[Gap] = Field(min_length=1, max_length=MAX_GAPS)


# ---------------------------------------------------------------- helpers


State = Annotated[ServiceState, Depends(state_dependency)]


# Declared as a security scheme, so /docs can send the key and the spec says which endpoints need it.
API_KEY = APIKeyHeader(name="X-API-Key", scheme_name="ApiKey", auto_error=False,
                       description="The service's API key (also accepted as `Authorization: Bearer KEY`).")


def require_api_key(request: Request, key: Annotated[str | None, Security(API_KEY)] = None) -> None:
    """Write and admin endpoints: the configured key in `X-API-Key` (or `Authorization: Bearer`)."""
    expected = get_state(request).config.api_key
    if not expected:
        raise ApiError(403, "this endpoint is disabled: start the service with an API key (--api-key or FAGMATCH_API_KEY)")
    scheme, _, token = request.headers.get("authorization", "").strip().partition(" ")
    given = key or (token.strip() if scheme.lower() == "bearer" else "")  # RFC 9110: the scheme's case does not matter
    if not given or not secrets.compare_digest(given.encode(), expected.encode()):
        raise ApiError(401, "a valid API key is required (header X-API-Key)")


def course_out(hit: CourseHit) -> CourseOut:
    return CourseOut(course=hit.course.to_record(), tags=hit.tags.to_json(), next_start=hit.next_start,
                     score=round(hit.score, 4) if hit.score else None)


# What messages and answers call pasted team input: the request's own field names.
PASTED_NAMES = {"survey_csv": "survey_csv", "assessment_csv": "assessment_csv", "target": "target"}


def _analyse(state: ServiceState, team: TeamInput, names: dict[str, str] | None = None) -> tuple[str, Any]:
    """The team input analysed with the CLI's readers (they name row and column of every problem).
    `names`: what to call each input in messages and in the answer (the uploaded files' own names);
    never the temporary files', which would show the server's paths."""
    taxonomy = state.taxonomy
    names = {**PASTED_NAMES, **(names or {})}
    with private_temp_folder(TEAM_UPLOAD_PREFIX) as folder:
        if team.survey_csv is not None:
            path = folder / "survey.csv"
            path.write_text(team.survey_csv, encoding="utf-8")
            return "survey", analyse_needs(read_needs_survey(path, taxonomy, name=names["survey_csv"]), taxonomy)
        assert team.assessment_csv is not None
        assessment = folder / "assessment.csv"
        assessment.write_text(team.assessment_csv, encoding="utf-8")
        # read as what its name says it is: a broken JSON file is told as JSON, not as YAML
        target = folder / ("target.json" if names["target"].lower().endswith(".json") else "target.yaml")
        target.write_text(team.target if isinstance(team.target, str) else json.dumps(team.target), encoding="utf-8")
        return "assessment", analyse_assessment(
            read_assessment(assessment, taxonomy, name=names["assessment_csv"]),
            read_target(target, taxonomy, name=names["target"]), taxonomy)


def _check_gaps(state: ServiceState, gaps: list[Gap]) -> None:
    """Gaps sent by a client name only the taxonomy's fields and dimensions (Gap itself cannot know
    them), and each its own id: the results and a plan tell the gaps apart by it."""
    taxonomy = state.taxonomy
    unknown = [k for gap in gaps for k in gap.fields if k not in taxonomy.field_keys]
    if unknown:
        raise ApiError(422, f"unknown field key {', '.join(map(repr, unknown))}")
    dimensions = [d.key for d in taxonomy.dimensions]
    if strange := [gap.dimension for gap in gaps if gap.dimension is not None and gap.dimension not in dimensions]:
        raise ApiError(422, f"unknown dimension {', '.join(map(repr, strange))}: use {', '.join(dimensions)} (or leave it out)")
    if repeated := repeated_gap_id([gap.id for gap in gaps]):
        i, gap_id = repeated
        raise ApiError(422, f"gaps[{i}].id: gap id {gap_id!r} appears twice: give each gap its own id")


def _gaps_for(
    state: ServiceState, team: TeamInput, recommender: Any = None, level: str | None = None,
    names: dict[str, str] | None = None, learners: int | None = None,
) -> tuple[list[Gap], dict[str, Any] | None]:
    """The gaps of the team input, by `recommender` (default: the state's current one); `level` and
    `learners`: the user's choice for a gap in words; `names`: as for `_analyse`."""
    recommender = recommender or state.recommender
    try:
        if team.text:
            return [recommender.gap_from_text(team.text, level=level, learners=learners or 1)], None
        kind, analysis = _analyse(state, team, names)
        gaps = recommender.gaps_from_team(analysis) if kind == "assessment" else recommender.gaps_from_needs(analysis)
        return gaps, {"kind": kind, **analysis.to_json()}
    except RecommendError as exc:
        raise ApiError(422, str(exc)) from None


# ---------------------------------------------------------------- catalogue


_FILTER_DOCS = {name: field.description for name, field in CourseFilters.model_fields.items()}  # one wording, two endpoints


@router.get("/courses", response_model=SearchOut, summary="Search courses")
async def search_courses(  # async: searching the index in memory is quicker than a thread hand-off
    state: State,
    q: Annotated[str | None, Query(max_length=500, description="Free text, Danish or English.")] = None,
    field: Annotated[list[str], Query(description="Field keys (any of).")] = [],  # noqa: B006 - FastAPI copies it
    level: Level | None = None,
    type: Annotated[list[CourseType], Query(description="Course types (any of).")] = [],  # noqa: B006
    provider: Annotated[list[str], Query(description="Provider names, or part of one (any of), as on the web page.")] = [],  # noqa: B006
    form: Annotated[list[CourseForm], Query()] = [],  # noqa: B006
    location: Annotated[str | None, Query(max_length=100, description=_FILTER_DOCS["location"])] = None,
    region: Annotated[str | None, Query(max_length=50, description=_FILTER_DOCS["region"])] = None,
    max_price: Annotated[float | None, Query(ge=0, description=_FILTER_DOCS["max_price"])] = None,
    max_ects: Annotated[float | None, Query(gt=0, description=_FILTER_DOCS["max_ects"])] = None,
    start_from: Annotated[dt.date | None, Query(description=_FILTER_DOCS["start_from"])] = None,
    start_before: Annotated[dt.date | None, Query(description=_FILTER_DOCS["start_before"])] = None,
    include_undated: Annotated[bool, Query(description=_FILTER_DOCS["include_undated"])] = True,
    sort: Annotated[SortOrder, Query(description=(
        "relevance: the best match of `q` first (without `q`: as start_date); start_date: the soonest start one can "
        "still apply for first, courses without a known start after those with one; title: A–Å. In relevance and "
        "start_date order, courses read as outside the employment-services domain come after all others."))] = "relevance",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Response:
    """Active, not past courses matching the words of `q` (all without it), filtered; paginated."""
    index = (await state.fresh_recommender()).index
    filters = _filters(field=field, level=level, types=type, providers=index.providers_for(provider), forms=form,
                       location=location, region=region, max_price=max_price, max_ects=max_ects, start_from=start_from,
                       start_before=start_before, include_undated=include_undated)
    result = index.search(q, filters, sort=sort, page=page, per_page=per_page)
    # SearchOut's shape, written around each course's record and tags as the index keeps them
    # rendered: building the models anew cost more than the search (tests/test_api.py checks the
    # two agree).
    items = ",".join(
        f'{{{index.record_json(hit.position)},"next_start":{_json_date(hit.next_start)},'
        f'"score":{json.dumps(round(hit.score, 4) if hit.score else None)}}}'
        for hit in result.hits
    )
    notices = json.dumps([result.place_notice] if result.place_notice else [], ensure_ascii=False)
    body = (f'{{"total":{result.total},"page":{result.page},"per_page":{result.per_page},"items":[{items}],'
            f'"notices":{notices}}}')
    return Response(body, media_type="application/json")


def _json_date(day: dt.date | None) -> str:
    return f'"{day.isoformat()}"' if day else "null"


def _filters(**values: Any) -> CourseFilters:
    values["fields"] = values.pop("field")
    try:
        return CourseFilters(**values)
    except ValidationError as exc:  # the impossible window, an unknown region
        errors = exc.errors()
        said = [(f"{e['loc'][0]}: " if e["loc"] else "") + error_message(e) for e in errors]
        raise ApiError(422, "; ".join(said)) from None


@router.get("/courses/{course_id:path}", response_model=CourseDetail, summary="One course")
def get_course(state: State, course_id: str) -> CourseDetail:
    """A course with its tags, the competences it matches, and its transfer design. A provider's
    id may hold '/' (as is or as %2F). A withdrawn course is answered too, with `withdrawn` true (the
    feeds still publish it), but search never lists it."""
    hit = state.course_hit(course_id)
    if hit is None:
        raise ApiError(404, f"no course with id {course_id!r}")
    transfer = assess_transfer(hit.course, TransferContext(), state.taxonomy, read_type=hit.tags.course_type)
    out = course_out(hit)
    return CourseDetail(**out.model_dump(), why=hit.tags.why, transfer=transfer.model_dump(mode="json"))


@router.get("/taxonomy", summary="The competence framework")
def get_taxonomy(state: State) -> dict[str, Any]:
    """Fields with their competences per level, dimensions, basic competences, profiles, survey statements, scale."""
    return state.taxonomy.model_dump(mode="json")


@router.get("/providers", summary="Providers")
def providers(state: State) -> list[dict[str, Any]]:
    """Every provider with an active course: `courses`, those one can still apply for (what
    `/api/courses?provider=` finds), and `active_courses`, all it offers, with starts since closed."""
    active = dict(state.index.providers())
    return [{"provider": name, "courses": count, "active_courses": active[name]}
            for name, count in state.index.providers(clock.today())]


@router.get("/coverage", summary="A provider's coverage of the framework against demand")
def provider_coverage(
    state: State,
    provider: Annotated[str, Query(min_length=1, max_length=200, description="The provider's name in any case, or part of it, as in search; several providers by that part: 422.")],
) -> dict[str, Any]:
    """Field × level counts of the provider's courses, against the national survey shares and saved analyses' gaps.
    `untagged_courses` lists its courses without a field, each with its `reason`: `off_domain` (tagged, and
    outside employment services) or `not_tagged` (waiting for tagging)."""
    from service.coverage import CoverageError, coverage

    saved = AnalysisStore.for_catalogue(state.config.db).all_gaps()
    try:
        return coverage(state.index, state.taxonomy, provider, saved_gaps=saved)
    except CoverageError as exc:
        raise ApiError(exc.status, f"{exc}; GET /api/providers lists them") from None


# ---------------------------------------------------------------- gaps and recommendations


@router.post("/gaps", summary="A team's competence gaps")
def gaps(state: State, team: TeamInput) -> dict[str, Any]:
    """From a needs survey, an assessment against a target, or a gap in words (the CLI's formats)."""
    found, analysis = _gaps_for(state, team)
    notices = [note for note in (off_domain_notice(g.text, g.domain_score) for g in found) if note]  # as recommendations say
    return {"analysis": analysis, "gaps": [gap.to_json(state.taxonomy) for gap in found], "notices": notices}


@router.post("/gaps/upload", summary="A team's competence gaps, from uploaded files")
async def gaps_upload(
    request: Request,
    survey: Annotated[UploadFile | None, File(description="Needs survey CSV")] = None,
    assessment: Annotated[UploadFile | None, File(description="Proficiency assessment CSV")] = None,
    target: Annotated[UploadFile | None, File(description="Target profile, YAML or JSON")] = None,
    text: Annotated[str | None, Form(max_length=2000)] = None,
) -> dict[str, Any]:
    state = get_state(request)
    unknown = sorted(set((await request.form()).keys()) - {"survey", "assessment", "target", "text"})
    if unknown:  # a misspelt field must not pass as if the file had been read
        raise ApiError(422, f"unknown form field(s) {', '.join(unknown)}: the form takes survey, assessment, target and text")
    if not (survey or assessment or target or text):
        raise ApiError(422, "upload a survey, or an assessment with a target, or give text")
    # The form's own names in the messages (TeamInput's would say survey_csv, assessment_csv).
    if len([given for given in (survey, assessment, text) if given]) > 1:
        raise ApiError(422, "give exactly one of: survey, assessment (with target), or text")
    if assessment and not target:
        raise ApiError(422, "assessment needs target: upload the target profile (YAML or JSON) with it")
    if target and not assessment:
        raise ApiError(422, "target goes with assessment: upload the team's proficiency assessment with it")
    notices: list[str] = []
    try:
        team = TeamInput(
            text=text or None,
            survey_csv=await _read_upload(survey, notices), assessment_csv=await _read_upload(assessment, notices),
            target=await _read_upload(target, notices),
        )
    except ValidationError as exc:  # e.g. an empty file: the handler words it as for any request
        raise RequestValidationError(exc.errors()) from None
    names = {key: _upload_name(upload) for key, upload in
             (("survey_csv", survey), ("assessment_csv", assessment), ("target", target)) if upload is not None}
    found, analysis = await run_in_threadpool(_gaps_for, state, team, None, None, names)
    return {"analysis": analysis, "gaps": [gap.to_json(state.taxonomy) for gap in found], "notices": notices}


def _upload_name(upload: UploadFile) -> str:
    """The name the user gave the uploaded file, without any folder (a browser may send one)."""
    return Path((upload.filename or "").replace("\\", "/")).name or "upload"


async def _read_upload(upload: UploadFile | None, notices: list[str]) -> str | None:
    """An uploaded text file as text: UTF-8 (with or without BOM), else Windows-1252 as Excel writes
    it, which adds a notice to `notices` (the readers then see UTF-8 and cannot tell)."""
    if upload is None:
        return None
    upload.filename = _upload_name(upload)
    try:
        raw = await read_upload(upload, MAX_CSV)
    except UploadError as exc:
        raise ApiError(exc.status, str(exc)) from None
    try:  # in a thread: a workbook takes a moment to read, and the other requests go on meanwhile
        text, found = await run_in_threadpool(decode_bytes, raw, upload.filename)
    except TabularError as exc:
        raise ApiError(422, str(exc)) from None
    notices.extend(found)
    return text


@router.post("/recommendations", summary="Courses for a team's gaps", response_class=JSONResponse,
             responses={200: {"model": RecommendationOut, "description": "Per gap its courses, best first"}})
async def recommendations(state: State, request_body: RecommendationRequest) -> Response:
    """Ranked courses per gap, each with why and a transfer-readiness note: the CLI's `recommend --json` shape."""
    recommender = await state.fresh_recommender()
    texts = [request_body.text, *(gap.text for gap in request_body.gaps or [])]
    results = (len(request_body.gaps) if request_body.gaps else 1) * request_body.top
    if (request_body.text or request_body.gaps) and results <= ON_LOOP_RESULTS and not recommender.needs_model(texts):
        # A gap or two of field × level, words analysed before and new words the gap table knows are
        # array arithmetic in memory (about a millisecond): quicker here on the event loop than handed
        # to a thread. Words only the model can embed (tens of ms), team files, and larger answers
        # (up to MAX_RESULTS results: tens of ms) go to a thread, so that /healthz and the other
        # requests on this worker are not held up.
        body = _recommend_json(state, recommender, request_body)
    else:
        # One at a time per worker: a few such threads fighting for the GIL held up the event loop
        # (and /healthz) for far longer than one; the others wait here without blocking anything.
        body = await anyio.to_thread.run_sync(
            _recommend_json, state, recommender, request_body, limiter=_one_large_recommendation())
    return Response(body, media_type="application/json")


_ORJSON_LIKE_JSON = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS
_LARGE_RECOMMENDATIONS: list[anyio.CapacityLimiter] = []


def _one_large_recommendation() -> anyio.CapacityLimiter:
    """The worker's limiter for recommendations computed in a thread (made on first use, inside the
    event loop it belongs to)."""
    if not _LARGE_RECOMMENDATIONS:
        _LARGE_RECOMMENDATIONS.append(anyio.CapacityLimiter(1))
    return _LARGE_RECOMMENDATIONS[0]


def _recommend_json(state: ServiceState, recommender: Any, request_body: RecommendationRequest) -> bytes:
    # The document is JSON types already: FastAPI's generic encoder took 2.3 ms for it, orjson 0.02.
    # The options accept what json.dumps did: NumPy numbers (a float64 is a float there), int keys.
    return orjson.dumps(_recommend(state, recommender, request_body), option=_ORJSON_LIKE_JSON)


def _recommend(state: ServiceState, recommender: Any, request_body: RecommendationRequest) -> dict[str, Any]:
    if request_body.gaps:
        _check_gaps(state, request_body.gaps)
        found, analysis = request_body.gaps, None
    else:
        found, analysis = _gaps_for(state, request_body, recommender, request_body.level, learners=request_body.learners)
        # a team file's gaps are known only now: up to two parts per field, at most 12
        if too_many := _too_many_results(len(found), request_body.top):
            raise ApiError(422, too_many)
    constraints = request_body.constraints
    if constraints.providers:  # names, or part of one, as search takes them
        constraints = constraints.model_copy(update={"providers": recommender.index.providers_for(constraints.providers)})
    try:
        document = recommender.recommend(found, constraints, top=request_body.top, query=request_body.text)
    except RecommendError as exc:
        raise ApiError(422, str(exc)) from None
    document["analysis"] = analysis
    return document


PLAN_FILES = {"text/csv": {"schema": {"type": "string"}}, "text/markdown": {"schema": {"type": "string"}},
              "application/json": {"schema": {"type": "object"}}}


@router.post("/plan", summary="An education plan from a recommendation", response_class=Response,
             responses={200: {"description": "The plan as a file", "content": PLAN_FILES}})
def plan(
    recommendation: dict[str, Any],
    format: Annotated[Literal["csv", "md", "json"], Query(description="csv (semicolon-separated, for Excel), md, or json (rows, dates, workload)")] = "csv",
    per_gap: Annotated[int, Query(ge=1, le=10)] = 1,
) -> Response:
    """The guide's education-plan template filled from a `/api/recommendations` answer: per person no
    two courses at once, workload per quarter with a warning above one working day a week."""
    from matcher.plan import PlanInputError, build_plan, plan_constraints, plan_json, render_plan_csv, render_plan_markdown

    try:
        rows = build_plan(recommendation, per_gap=per_gap)
    except PlanInputError as exc:
        raise ApiError(422, str(exc)) from None
    if format == "json":
        return JSONResponse(plan_json(rows))
    if format == "csv":
        return Response(render_plan_csv(rows), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="uddannelsesplan.csv"'})
    return Response(render_plan_markdown(rows, constraints=plan_constraints(recommendation)), media_type="text/markdown; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="uddannelsesplan.md"'})


@router.post("/tag-draft", summary="How a draft course would be tagged (nothing is stored)")
def tag_draft(state: State, draft: DraftCourse) -> dict[str, Any]:
    try:
        result = state.tag_draft(draft.title, draft.description, draft.course_type)
    except DraftBusy as exc:
        raise ApiError(503, str(exc), headers={"Retry-After": str(DRAFT_RETRY_SECONDS)}) from None
    course = Course(id="draft", title=draft.title, description=draft.description, course_type=draft.course_type,
                    form=draft.form)
    tags = result.to_json()
    tags["transfer"] = assess_transfer(course, TransferContext(), state.taxonomy, audience="provider",
                                       read_type=result.course_type).model_dump(mode="json")
    return tags


# ---------------------------------------------------------------- saved analyses (personal data: key required)


@router.post("/analyses", dependencies=[Depends(require_api_key)], status_code=201, summary="Save a team's gaps")
def save_analysis(state: State, analysis: SavedAnalysisIn) -> dict[str, Any]:
    """Keep a team's gaps so providers' coverage shows the demand: what each asks for (fields, level,
    words, part) and for how many learners. No person is kept: not the `employees`, their `levels`,
    the learners' mean step (`proficiency`) or a `skip` reason that names someone."""
    state.check_catalogue()  # kept beside the catalogue: not beside one that was moved away
    _check_gaps(state, analysis.gaps)
    store = AnalysisStore.for_catalogue(state.config.db)
    return store.save(analysis.name, [gap.to_json(state.taxonomy) for gap in analysis.gaps])


@router.get("/analyses", dependencies=[Depends(require_api_key)], summary="Saved analyses")
def list_analyses(state: State) -> list[dict[str, Any]]:
    return AnalysisStore.for_catalogue(state.config.db).list()


@router.delete("/analyses/{analysis_id}", dependencies=[Depends(require_api_key)], status_code=204, summary="Delete a saved analysis")
def delete_analysis(state: State, analysis_id: Annotated[int, PathParam(ge=1, le=MAX_ID)]) -> None:
    state.check_catalogue()
    if not AnalysisStore.for_catalogue(state.config.db).delete(analysis_id):
        raise ApiError(404, f"no saved analysis {analysis_id}")


# ---------------------------------------------------------------- admin


@router.post("/admin/ingest", dependencies=[Depends(require_api_key)], summary="Ingest a course feed (JSON Lines or CSV)")
async def admin_ingest(request: Request, feed: Annotated[UploadFile, File()]) -> dict[str, Any]:
    """All or nothing, as `fagmatch ingest`: a feed with a bad record changes nothing. The form has
    one field, `feed`; any other is refused (422). `notes` says what the CLI notes, such as a file
    read as Windows-1252.

    The new and changed courses are then tagged in the background, by a job as a crawl's tagging
    (`tagging.job`; poll `GET /api/admin/crawl`): they are served at once, and with their tags
    (fields, level) once the job is done."""
    from matcher.feed import FeedError, guess_format
    from matcher.ingest import ingest_file
    from service.crawl_jobs import CrawlBusy

    state = get_state(request)
    unknown = sorted(set((await request.form()).keys()) - {"feed"})
    if unknown:  # a field meant as an option (withdraw_missing, source …) must not pass as done
        raise ApiError(422, f"unknown form field(s) {', '.join(unknown)}: the form takes only `feed`, the file; "
                            "nothing was written")
    # as the user named it, for messages; a name no file system takes (a NUL, 300 characters) is cut to one
    name = re.sub(r"[\x00-\x1f/]", "_", _upload_name(feed) if feed.filename else "feed.jsonl")
    if len(name.encode()) > 120:
        name = name[:80] + "…" + Path(name).suffix[:10]
    try:
        guess_format(Path(name))  # as `fagmatch ingest` reads it: by the name's ending, in any case
    except FeedError:
        raise ApiError(422, "the feed must be a JSON Lines (.jsonl) or CSV (.csv) file") from None
    state.check_catalogue()  # moved away while the service runs: said, and no new, empty one in its place
    raw = await feed.read(state.config.max_body_bytes + 1)
    with private_temp_folder(FEED_UPLOAD_PREFIX) as tmp:  # and a worker killed during an upload left its own
        path = tmp / name
        path.write_bytes(raw)
        try:
            report = await run_in_threadpool(ingest_file, state.config.db, path, default_source=f"api:{name}")
        except FeedError as exc:  # a feed that cannot be read at all: named as the user named it
            raise ApiError(422, without_server_paths(str(exc), folders=[tmp])) from None
    # The CLI's notes (a Windows-1252 file: check æ, ø and å), named as the user named the file.
    notes = [without_server_paths(note, folders=[tmp]) for note in report.notices]
    rejected = [{"line": r.line, "reason": r.reason, **({"row": r.row} if r.row else {}), **({"id": r.course_id} if r.course_id else {})}
                for r in report.rejected]
    if rejected:
        message = f"{name}: {len(rejected)} records rejected; nothing was written"
        raise ApiError(422, "; ".join([message, *(f"note: {note}" for note in notes)]), rejected[:50])
    # every active course still without current tags, so an ingest also finishes a tagging that was stopped
    to_tag = await run_in_threadpool(_waiting_for_tags, state.config.db)
    tagging: dict[str, Any] = {"courses": to_tag, "job": None}
    if to_tag:
        try:
            job = await run_in_threadpool(state.crawl_jobs.tag)  # a short wait on the job lock at most
            tagging.update(job=job.to_json(), status_url=root_of(request.scope) + "/api/admin/crawl")
        except CrawlBusy as exc:
            tagging["message"] = f"not tagged: {exc}; they are tagged by the next `fagmatch tag`, crawl or ingest"
    return {"new": report.new, "changed": report.changed, "unchanged": report.unchanged, "withdrawn": report.withdrawn,
            "notes": notes, "tagging": tagging}  # fmt: skip


def _waiting_for_tags(db: Path) -> int:
    with open_catalogue(db, create=False) as reader:
        summary = reader.summary()
    return int(summary["active"] - summary["tagged"])


class CrawlRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sources: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=100,
        description="Registered sources to crawl (`fagmatch sources`); empty: every enabled source.",
    )


class CrawlJobOut(BaseModel):
    job: dict[str, Any] | None = Field(description="The latest job, a crawl (`kind` crawl) or the tagging of a feed "
                                       "ingested over HTTP (`kind` tag): status, step, exit codes, the log's last lines.")


@router.post("/admin/crawl", status_code=202, dependencies=[Depends(require_api_key)], response_model=CrawlJobOut,
             summary="Start a crawl of registered sources, then tag what is new")
def admin_crawl(request: Request, body: CrawlRequest) -> dict[str, Any]:
    """One job at a time (409 while a crawl, or the tagging of an ingested feed, runs). It runs `fagmatch crawl` and `fagmatch tag` in the
    background; poll `GET /api/admin/crawl`. New courses are served within seconds of the end."""
    from crawler.registry import RegistryError
    from service.crawl_jobs import CrawlBusy

    state = get_state(request)
    state.check_catalogue()  # moved away while the service runs: said, and no new, empty one in its place
    try:
        job = state.crawl_jobs.start(body.sources)
    except CrawlBusy as exc:
        raise ApiError(409, str(exc)) from None
    except RegistryError as exc:
        raise ApiError(503, f"the crawl source registry is broken, so nothing can be crawled: {exc}") from None
    except ValueError as exc:
        raise ApiError(422, str(exc)) from None
    return {"job": job.to_json()}


@router.get("/admin/crawl", dependencies=[Depends(require_api_key)], response_model=CrawlJobOut,
            summary="The latest crawl job, or tagging job of an ingested feed")
def admin_crawl_status(request: Request) -> dict[str, Any]:
    job = get_state(request).crawl_jobs.latest()
    return {"job": None if job is None else job.to_json()}


# ---------------------------------------------------------------- health


health_router = APIRouter()


def _megabytes(*products: Any) -> float | None:
    built = [p for p in products if p is not None]
    return round(sum(p.nbytes for p in built) / 2**20, 1) if built else None


@health_router.get("/metrics", summary="Catalogue and crawl state for monitoring (Prometheus text format)",
                   response_class=PlainTextResponse, responses={200: {"content": {"text/plain": {}}}})
def metrics(state: State) -> Response:
    """Courses by state, tagging, the model, and per source its last crawl: when it finished, whether
    it was ok, its counts and errors; crawls running or interrupted. The same in every worker."""
    from prometheus_client import CONTENT_TYPE_LATEST

    from service.metrics import metrics_text

    return Response(metrics_text(state), media_type=CONTENT_TYPE_LATEST)


@health_router.get("/healthz", summary="Catalogue, model and last crawl status")
def healthz(state: State) -> dict[str, Any]:
    from crawler.runner import crawl_health, unfinished_crawls

    summary, crawl = state.catalogue_status()
    unfinished = unfinished_crawls(state.config.db)  # a crawl from the command line, say, has no run yet
    tagger = state._tagger
    index: CatalogueIndex | None = state._recommender.index if state._recommender is not None else None
    job = state.crawl_jobs.latest()  # one started over HTTP, if any
    return {
        "status": "ok" if tagger is not None else "starting",
        "worker_pid": os.getpid(),  # which worker process answered (`serve --workers N`)
        # The catalogue's file name, not its path: no answer shows where the server keeps its files.
        "catalogue": {"file": Path(summary["path"]).name, "courses": summary["courses"], "active": summary["active"],
                      "tagged": summary["tagged"], "indexed": len(index) if index is not None else None,
                      # of those, tagged by the tagger this service runs (null until it is loaded): fewer
                      # after a model or taxonomy change, until `fagmatch tag` runs
                      "tagged_current": summary["tagged_by_model"].get(tagger.model_version, 0) if tagger is not None else None},
        "model": {
            "loaded": tagger is not None, "version": tagger.model_version if tagger is not None else None,
            # whether new gap words are embedded by the gap table (False: by the model, slower)
            "gap_table": state._recommender.gap_embedder is not None if state._recommender is not None else None,
            # memory the table's precomputed products with every course take, for the ranking and the
            # vote (None: not built)
            "course_products_mb": _megabytes(state._recommender.course_products, state._recommender.vote_products)
            if state._recommender is not None else None,
        },
        "last_crawl": None if crawl is None else {
            # status: how the run ended; health: "failed (no page fetched)" where it ended ok with nothing
            "id": crawl["id"], "status": crawl["status"], "health": crawl_health(crawl), "started_at": crawl["started_at"],
            "finished_at": crawl["finished_at"], "counts": crawl["counts"], "errors": len(crawl["errors"]),
        },
        "crawls_unfinished": {  # job folders: crawls that have not published (running now, or interrupted)
            "running": sorted(n for n, how in unfinished.items() if how == "running"),
            "interrupted": sorted(n for n, how in unfinished.items() if how == "interrupted"),
        },
        "crawl_job": None if job is None else {
            "id": job.id, "kind": job.kind, "status": job.status, "step": job.step, "started_at": job.started_at,
            "finished_at": job.finished_at,
        },
    }

