"""The Danish web page (PRODUCT.md §7, issue 6 §2): server-rendered Jinja2 over the same core as the
API and the CLI. Plain HTML forms (GET for search, POST for uploads), no JavaScript, no CDN.

Pages
  /                          Søg kurser: free text, filters, result cards, pagination
  /kursus/{id}               Kursusside: facts, tags, matching competences, transfer features, JSON-LD
  /team                      Teamets kompetencer: the forms (upload or fill in, gap in words)
  POST /team/behov           needs survey (CSV upload or pasted) → analysis, radar, recommendations
  POST /team/vurdering       proficiency assessment + target (uploads or the fill-in table) → the same
  /team/gab?tekst=…[&niveau=…] a gap in words (the level read from them, or chosen) → recommendations
  POST /team/plan?format=csv|md   the education plan of a recommendation, as a file
  /team/skabelon/{name}      the templates (matcher.gaps.TEMPLATE_FILES)
  /udbydere[?udbyder=…]      a provider's coverage (service.coverage) against demand
  POST /udbydere/tjek        how a draft course would be tagged (nothing stored)

Bad input answers 4xx with the page and a message ("Fejl: …", the core's words); errors raised
anywhere else are rendered by `render_error`, which create_app's handlers call for HTML requests.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import inspect
import json
import math
import re
import zlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.filters import do_truncate
from markupsafe import Markup
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from matcher import clock
from matcher.catalogue_index import CatalogueIndex, CourseFilters, CourseHit, FilterError, load_regions, region_named
from matcher.course import COURSE_TYPES, FORMS, Course, start_for_deadline
from matcher.gaps import (
    MAX_TEAM_SIZE,
    TEMPLATE_FILES,
    PROFICIENCY_STEPS,
    GapInputError,
    NeedsAnalysis,
    TeamAnalysis,
    analyse_assessment,
    analyse_needs,
    parse_step,
    read_assessment,
    read_needs_survey,
    read_target,
    template_bytes,
)
from matcher.json_lines import error_message
from matcher.keyword_search import has_content_words
from matcher.messages import catalogue, in_language
from matcher.numbers import kroner, parse_number
from matcher.taxonomy import LEVELS, Taxonomy, level_name
from matcher.temp_files import private_temp_folder
from matcher.text import listed, strip_controls, upper_first
from service.feeds import course_page_url
from service.radar import Series, radar_svg
from service.root_path import root_of, route_path
from service.server_paths import without_server_paths
from service.state import DRAFT_RETRY_SECONDS, DraftBusy
from service.uploads import MAX_UPLOAD_BYTES, WEB_UPLOAD_PREFIX, UploadError, read_upload

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PER_PAGE = 20
TOP_PER_GAP = 5
FILL_IN_ROWS = 6  # rows of the fill-in assessment table; ?raekker=N shows more
MAX_FILL_IN_ROWS = 40
MAX_KEPT_FILE = 64 * 1024  # a target profile this small is kept in the page after its assessment's mistake
MAX_PLAN_TOKEN = 400_000  # characters of the compressed recommendation a plan form may carry
MAX_PLAN_JSON = 5_000_000  # bytes it may expand to
MAX_DRAFT_TEXT = 20_000
# Up to this many providers the filter is a drop-down of them all; beyond, a text field that
# suggests the largest (a drop-down of the 3 000 providers of a 10 000-course catalogue made the
# search and provider pages 300 kB).
MAX_LISTED_PROVIDERS = 200

TYPE_NAMES = {
    "diplom": "Diplommodul", "akademi": "Akademimodul", "master": "Mastermodul", "kursus": "Kursus",
    "amu": "AMU-kursus", "grunduddannelse": "Grunduddannelse", "other": "Anden type",
}
FORM_NAMES = {
    "fysisk": "Fysisk fremmøde", "online": "Online", "blended": "Blended (fysisk og online)",
    "rekvirerbar": "Rekvirerbar (holdes hos jer)",
}
LEVEL_NAMES = {key: level_name(key).capitalize() for key in LEVELS}
BOTH_LEVELS = "Grundlæggende og specialiseret"  # a gap that names no level
GOAL_KINDS = {"viden": "Viden", "faerdigheder": "Færdigheder", "kompetencer": "Kompetencer", "other": "Andre mål"}
STATUS_NAMES = {"gap": "Gab", "individual": "Enkelte under krav", "met": "Opfyldt", "no target": "Ingen målsætning"}
SORT_NAMES = {"relevance": "Relevans", "start_date": "Første start", "title": "Titel (A–Å)"}
SOURCE_NAMES = {"assessment": "kompetencevurdering", "survey": "behovsundersøgelse", "text": "egen beskrivelse"}
MONTHS = ("jan.", "feb.", "mar.", "apr.", "maj", "jun.", "jul.", "aug.", "sep.", "okt.", "nov.", "dec.")
# Query and form parameters → their name on the page, for error messages.
PARAM_NAMES = {
    "fields": "felt", "level": "niveau", "types": "type", "providers": "udbyder", "forms": "form",
    "location": "sted", "region": "region", "max_price": "maks. pris", "start_before": "start før",
    "start_from": "start fra", "max_ects": "maks. ECTS",
}
TEMPLATE_TITLES = {
    "needs-survey": "Behovsundersøgelse (CSV)",
    "needs-survey-statements": "Udsagnene i behovsundersøgelsen (CSV)",
    "proficiency-assessment": "Kompetencevurdering (CSV)",
    "target-profile": "Målprofil (YAML)",
}


class WebInputError(ValueError):
    """Input a person can fix; the page shows the message with status 4xx."""

    def __init__(self, message: str, status: int = 422, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.field = field  # the form field to fix, marked invalid and focused on the page


# ---------------------------------------------------------------- formatting


def money(value: float | None) -> str:
    """Danish kroner: 4.995 kr., and with øre where the price has them (2.995,50 kr.), never rounded."""
    return "Pris ikke oplyst" if value is None else kroner(value)


def date_da(value: dt.date | str | None) -> str:
    if value is None or value == "":
        return "Ikke oplyst"
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    return f"{value.day}. {MONTHS[value.month - 1]} {value.year}"


def number_da(value: float | None, digits: int = 1, fixed: bool = False) -> str:
    """A number with a decimal comma; a whole one without decimals, unless `fixed` (a table's column)."""
    if value is None:
        return "–"
    text = f"{value:.{digits}f}" if fixed or not float(value).is_integer() else f"{value:.0f}"
    return text.replace(".", ",")


def pct(value: float | None) -> str:
    return "–" if value is None else f"{number_da(value)} %"


def level_da(level: str | None) -> str:
    return LEVEL_NAMES.get(level or "", "Ikke fastlagt")


def sentence(text: str) -> str:
    """A message shown on its own, as a sentence: its first letter upper case (Jinja's capitalize
    lowers the rest, names too), unless it starts with a file's name ("behov.csv: linje 3 …"); and a
    full stop at its end, where it has none."""
    first = text.split(" ", 1)[0].rstrip(":;,")
    text = (upper_first(text) if first.isalpha() else text).rstrip()
    return text if not text or text[-1] in ".!?…" else text + "."


_COUNT_WORDS = ("nul", "ét", "to", "tre", "fire", "fem", "seks", "syv", "otte", "ni", "ti", "elleve", "tolv")


def count_word(count: int) -> str:
    """A small count as running Danish text writes it ("de seks kompetencefelter"); 13 and up in digits."""
    return _COUNT_WORDS[count] if 0 <= count < len(_COUNT_WORDS) else str(count)


def lang_attr(language: str | None) -> Markup:
    """` lang="en"` for text in another language than the page's Danish (WCAG 3.1.2), else nothing."""
    if not language or language == "da" or not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*", language):
        return Markup("")
    return Markup(' lang="{}"').format(language)


def without_label(text: str | None, label: str) -> str | None:
    """A fact without its own label in front ("Adgangskrav: …" under the label Adgangskrav):
    providers often write the label into the text, and the page says it already."""
    if not text:
        return text
    stripped = re.sub(rf"^\s*{re.escape(label)}\s*[:\-–]\s*", "", text, flags=re.IGNORECASE)
    return upper_first(stripped) if stripped else text


def _paragraphs(text: str | None) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text or "") if p.strip()]


def _jsonld(data: dict[str, Any]) -> Markup:
    """JSON for a <script> element: '<', '>' and '&' escaped so no text can end the element."""
    text = json.dumps(data, ensure_ascii=False, indent=1)
    return Markup(text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e"))


# ---------------------------------------------------------------- parameters


class Params:
    """Query or form parameters with several values per name (checkboxes, multi-selects)."""

    def __init__(self, source: Any) -> None:
        self._source = source

    def get(self, name: str) -> str:
        value = self._source.get(name)
        # no control characters: nobody types them, and the page would echo them
        return strip_controls(value).strip() if isinstance(value, str) else ""

    def getlist(self, name: str) -> list[str]:
        values = (strip_controls(v).strip() for v in self._source.getlist(name) if isinstance(v, str))
        return [v for v in values if v]

    def file(self, name: str) -> UploadFile | None:
        value = self._source.get(name)
        if isinstance(value, UploadFile) and value.filename:
            return value
        return None


_KRONER = re.compile(r"^\s*(?:kr\.?|dkk)\s*|\s*(?:,-|kr\.?|dkk|,-\s*kr\.?)\s*$", re.IGNORECASE)


def _number(params: Params, name: str, label: str) -> float | None:
    """A number as people type it: 4995, 4995,50 or 4.995,50 (Danish), 4995.5 (matcher.numbers); an
    amount as written on a price tag too ("5.000 kr.", "kr. 5.000", "5.000,-")."""
    raw = params.get(name)
    if not raw.strip():
        return None
    try:
        value = parse_number(_KRONER.sub("", raw))
    except ValueError:
        raise WebInputError(f"{label}: »{params.get(name)}« er ikke et tal (skriv fx 5.000 eller 4.995,50)", field=name) from None
    if value < 0:
        raise WebInputError(f"{label}: må ikke være negativ", field=name)
    return value


def _whole(text: str) -> int | None:
    """A whole number written with ASCII digits (at most nine), else None."""
    return int(text) if re.fullmatch(r"[0-9]{1,9}", text) else None


def _learners(params: Params) -> int:
    """How many take the course together ("deltagere"; empty is one): the transfer note's steps follow it."""
    raw = params.get("deltagere").strip()
    if not raw:
        return 1
    learners = _whole(raw)
    if learners is None or not 1 <= learners <= MAX_TEAM_SIZE:
        raise WebInputError(f"deltagere: skriv et helt tal fra 1 til {MAX_TEAM_SIZE}, ikke »{raw}«", field="deltagere")
    return learners


def _date(params: Params, name: str, label: str) -> dt.date | None:
    raw = params.get(name)
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise WebInputError(f"{label}: »{raw}« er ikke en dato (skriv ÅÅÅÅ-MM-DD)", field=name) from None


def filters_from(
    params: Params, *, with_fields: bool = True, index: CatalogueIndex | None = None, taxonomy: Taxonomy | None = None,
) -> CourseFilters:
    """The page's filter parameters as CourseFilters; WebInputError names what is wrong. With the
    `index`, a provider may be typed in part (see provider_choice); with the `taxonomy`, an unknown
    field is answered with the fields' names."""
    data: dict[str, Any] = {
        "types": params.getlist("type"),
        "providers": index.providers_for(params.getlist("udbyder")) if index is not None else params.getlist("udbyder"),
        "forms": params.getlist("form"),
        "location": params.get("sted") or None,
        "region": params.get("region") or None,
        "max_price": _number(params, "maks_pris", "maks. pris"),
        "start_before": _date(params, "start_foer", "start før"),
    }
    if with_fields:
        data["fields"] = params.getlist("felt")
        if taxonomy is not None:  # the page names the fields, not only their keys
            unknown = [key for key in data["fields"] if key not in taxonomy.field_keys]
            if unknown:
                known = ", ".join(f"{field.name} ({field.key})" for field in taxonomy.fields)
                raise WebInputError(f"felt: {', '.join(f'»{key}«' for key in unknown)} findes ikke; felterne er {known}")
        data["level"] = params.get("niveau") or None
    try:
        return CourseFilters(**data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = PARAM_NAMES.get(str(error["loc"][0]), str(error["loc"][0])) if error["loc"] else ""
            message = _danish_validation_message(error)
            problems.append(f"{where}: {message}" if where else message)
        raise WebInputError("; ".join(problems)) from None


def _danish_validation_message(error: Any) -> str:
    """Pydantic's own check of a choice (type, form, level) in Danish; the domain's own checks are in
    Danish already (the page runs `in_language("da")`), and the page checks numbers and dates itself."""
    if error["type"] == "literal_error":
        # the choices by the names the form shows them by ('grundlaeggende' is Grundlæggende)
        keys = re.findall(r"'([^']*)'", error["ctx"]["expected"])
        names = [{**TYPE_NAMES, **FORM_NAMES, **LEVEL_NAMES}.get(key, key) for key in keys]
        return f"»{error['input']}« findes ikke; vælg {listed(names, 'eller')}" if len(names) > 1 \
            else f"»{error['input']}« findes ikke; vælg {error['ctx']['expected']}"
    return error_message(error)


def provider_choice(index: CatalogueIndex, chosen: str | None = None) -> dict[str, Any]:
    """What the provider field offers: every provider in a drop-down, or, in a catalogue with more
    than MAX_LISTED_PROVIDERS, a text field suggesting the largest. A `chosen` value that names no
    provider whole (part of a name, from a link or a bookmark) is shown as typed, in the text field,
    so the form sends it again."""
    providers = index.providers(clock.today())  # counted as search finds them
    typed = bool(chosen) and chosen not in {name for name, _ in providers}
    return {"providers": providers[:MAX_LISTED_PROVIDERS], "providers_total": len(providers),
            "providers_listed": len(providers) <= MAX_LISTED_PROVIDERS and not typed}


def _filter_state(params: Params) -> dict[str, Any]:
    """What the filter form shows as chosen."""
    return {
        "q": params.get("q"), "felt": params.getlist("felt"), "niveau": params.get("niveau"),
        "type": params.getlist("type"), "udbyder": params.get("udbyder"), "form": params.getlist("form"),
        # a region as the form's list names it ("midtjylland" is Midtjylland)
        "sted": params.get("sted"), "region": region_named(params.get("region")) or params.get("region"),
        "maks_pris": params.get("maks_pris"),
        "start_foer": params.get("start_foer"), "sortering": params.get("sortering") or "relevance",
    }


# ---------------------------------------------------------------- the pages' building blocks


def course_card(hit: CourseHit, taxonomy: Taxonomy) -> dict[str, Any]:
    """One search result as the card template shows it."""
    return _card(hit.course, hit.tags.assigned_fields, hit.tags.level, hit.course_type, hit.next_start, taxonomy,
                 type_inferred=hit.course_type_inferred)


def _card(
    course: Course | dict[str, Any], fields: Sequence[str], level: str | None, course_type: str | None,
    next_start: dt.date | str | None, taxonomy: Taxonomy, type_inferred: bool = False,
) -> dict[str, Any]:
    """A course as the templates show it; `type_inferred`: the page did not state `course_type`,
    the tagger read it from the page, and the card says so."""
    get = course.get if isinstance(course, dict) else (lambda name: getattr(course, name))
    course_id = get("course_id") if isinstance(course, dict) else course.course_id
    return {
        "id": course_id,
        "title": get("title"),
        "provider": get("provider") or "Udbyder ikke oplyst",
        "fields": [taxonomy.field(k).name for k in fields if k in taxonomy.field_keys],
        "level": level_da(level) if level else None,
        "type": TYPE_NAMES.get(course_type or "", "Type ikke oplyst")
                + (" (udledt af teksten)" if type_inferred and course_type else ""),
        # dates that are all past or closed for applications are known, just not open
        "next_start": date_da(next_start) if next_start else ("Ingen åben start" if get("start_dates") else "Ingen kendt start"),
        # a rekvirerbar course's price is the whole team's, as its providers state it
        "price": money(get("price_dkk")) + (" pr. hold" if get("form") == "rekvirerbar" and get("price_dkk") is not None else ""),
        "form": FORM_NAMES.get(get("form") or "", "Form ikke oplyst"),
        "location": get("location"),
        "ects": get("ects"),
        "lang": get("language"),  # the course's own words are marked with it, for a screen reader's voice
    }


def _page_links(params: Params, total: int, page: int, per_page: int) -> dict[str, Any]:
    pages = max(1, -(-total // per_page))
    keep = [(k, v) for k, v in params._source.multi_items() if k != "side" and isinstance(v, str) and v != ""]

    def link(number: int) -> str:
        return "/?" + urlencode(keep + [("side", str(number))])

    return {
        "pages": pages, "page": page,
        "previous": link(min(page - 1, pages)) if page > 1 else None,  # past the end: back to the last page
        "next": link(page + 1) if page < pages else None,
        "first": link(1),
        "numbers": [(n, link(n)) for n in range(max(1, page - 3), min(pages, page + 3) + 1)],
    }


def radar_for_assessment(analysis: TeamAnalysis, taxonomy: Taxonomy) -> str:
    by_key = {f.field: f for f in analysis.fields}
    keys = [k for k in taxonomy.field_keys if k in by_key]
    return radar_svg(
        [(k, taxonomy.field(k).name) for k in keys],
        [
            Series("Teamets gennemsnit", [by_key[k].mean_level for k in keys], "team"),
            Series("Målprofil (krævet trin)", [by_key[k].required_level for k in keys], "maal"),
        ],
        maximum=5, ticks=(1, 2, 3, 4, 5),
        title="Kompetencespind: teamet mod målprofilen",
        description="Teamets gennemsnitlige trin (1–5) i hvert felt mod det krævede trin. " + "; ".join(
            f"{taxonomy.field(k).name}: team {number_da(by_key[k].mean_level, 2, fixed=True)}, "
            + (f"krav {by_key[k].required_level}" if by_key[k].required_level is not None else "intet krav")
            for k in keys
        ),
    )


def radar_for_needs(analysis: NeedsAnalysis, taxonomy: Taxonomy) -> str:
    by_key = {f.field: f for f in analysis.fields}
    keys = [k for k in taxonomy.field_keys if k in by_key]
    group = "ledere" if analysis.baseline_group == "leaders" else "medarbejdere"
    # the scale ends a little above the largest share, so the differences show
    top = max((v for f in analysis.fields for v in (f.share_pct, f.baseline_pct) if v is not None), default=100.0)
    maximum = int(min(100, max(20, math.ceil((top + 5) / 10) * 10)))
    step = 10 if maximum <= 60 else 20
    return radar_svg(
        [(k, taxonomy.field(k).name) for k in keys],
        [
            Series("Teamet: andel, der svarer 4–5", [by_key[k].share_pct for k in keys], "team"),
            Series(f"Landsplan ({group})", [by_key[k].baseline_pct for k in keys], "maal"),
        ],
        maximum=maximum, ticks=tuple(range(step, maximum + 1, step)), unit=" %",
        title="Kompetencespind: teamets udviklingsbehov mod landstallet",
        description="Andelen i teamet, der i høj grad vil have gavn af at styrke kompetencerne i hvert felt, "
        "mod andelen på landsplan. " + "; ".join(
            f"{taxonomy.field(k).name}: team {pct(by_key[k].share_pct)}, landsplan {pct(by_key[k].baseline_pct)}"
            for k in keys
        ),
    )


def pack_document(document: dict[str, Any]) -> str:
    """The recommendation as a compact token for a hidden form field (zlib + URL-safe base64)."""
    return _pack_file(json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def _is_target_profile(data: bytes, name: str, taxonomy: Taxonomy) -> bool:
    """Whether a file reads as a target profile (steps per field, no one's data): only such a file is kept
    in the page for the next try. The files swapped by mistake would keep the team's names and steps."""
    try:
        with _Uploads() as uploads:
            read_target(uploads.write(name, data), taxonomy)
    except GapInputError:
        return False
    return True


def _pack_file(data: bytes) -> str:
    """Bytes as a token for a hidden form field (zlib + URL-safe base64): a recommendation, or a small upload."""
    return base64.urlsafe_b64encode(zlib.compress(data, 9)).decode("ascii")


def _kept_file(token: str | None) -> bytes | None:
    """The file a hidden field kept (`_pack_file`); None where there is none or it does not unpack."""
    if not token or len(token) > 2 * MAX_KEPT_FILE:
        return None
    try:
        inflater = zlib.decompressobj()
        data = inflater.decompress(base64.urlsafe_b64decode(token.encode("ascii")), MAX_KEPT_FILE + 1)
    except (ValueError, zlib.error):
        return None
    return data if len(data) <= MAX_KEPT_FILE and not inflater.unconsumed_tail else None


def unpack_document(token: str) -> dict[str, Any]:
    """The recommendation from a plan form: the packed token, or plain JSON text."""
    token = token.strip()
    if not token:
        raise WebInputError("formularen har ingen anbefaling at lave en plan af; lav en analyse først", 400)
    if len(token) > MAX_PLAN_TOKEN:
        raise WebInputError("anbefalingen er for stor til en plan", 413)
    if token.startswith("{"):
        text = token
    else:
        try:
            packed = base64.urlsafe_b64decode(token.encode("ascii"))
            inflater = zlib.decompressobj()
            raw = inflater.decompress(packed, MAX_PLAN_JSON)
            if inflater.unconsumed_tail:
                raise WebInputError("anbefalingen er for stor til en plan", 413)
            text = raw.decode("utf-8")
        except (binascii.Error, zlib.error, UnicodeError, ValueError) as exc:
            if isinstance(exc, WebInputError):
                raise
            raise WebInputError("anbefalingen i formularen kunne ikke læses; lav analysen igen", 400) from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise WebInputError(f"anbefalingen er ikke gyldig JSON: {exc.msg} (linje {exc.lineno})", 400) from None
    if not isinstance(document, dict):
        raise WebInputError("anbefalingen skal være et JSON-objekt", 400)
    return document


def _without_repeated_passages(items: Sequence[Any]) -> list[Any]:
    """The same evidence list with a passage shown only the first time it occurs."""
    seen: set[str] = set()
    out = []
    for item in items:
        passage = item.get("passage") if isinstance(item, dict) else getattr(item, "passage", None)
        if passage and passage in seen:
            item = dict(item if isinstance(item, dict) else vars(item), passage=None)
        elif passage:
            seen.add(passage)
        out.append(item)
    return out


def group_results(
    document: dict[str, Any], taxonomy: Taxonomy, chosen: Mapping[str, str | None] | None = None,
) -> list[dict[str, Any]]:
    """Per gap: the gap in words and its recommended courses as cards with why and transfer note.
    With `chosen` (gap id → the plan's course): that course first as the gap's card, the others as
    alternatives (`others`), so the page shows one card per decision."""
    by_gap: dict[str, list[dict[str, Any]]] = {}
    for result in document.get("results", []):
        card = _card(result, result.get("fields") or [], result.get("level"), result.get("course_type"),
                     result.get("next_start"), taxonomy, type_inferred=bool(result.get("course_type_inferred")))
        transfer = result.get("transfer") or {}
        factors = transfer.get("factors_present", []) + transfer.get("factors_missing", [])
        present = {f["key"] for f in transfer.get("factors_present", [])}
        card.update({
            "rank": result.get("rank"),
            "why": _without_repeated_passages(result.get("why") or []),
            "transfer": transfer,
            "course_factors": [dict(f, present=f["key"] in present) for f in factors if f.get("side") == "course"],
            "workplace_factors": [dict(f, present=f["key"] in present) for f in factors if f.get("side") == "workplace"],
            "also_offered": [
                {"id": other["course_id"], "where": other.get("location") or "Sted ikke oplyst",
                 "start": date_da(other["next_start"]) if other.get("next_start") else None}
                for other in result.get("also_offered") or []
            ],
        })
        by_gap.setdefault(result.get("gap_id"), []).append(card)
    dimensions = {d.key: d.name for d in taxonomy.dimensions}
    groups = []
    for gap in document.get("gaps", []):
        groups.append({
            "gap": gap,
            "fields": [taxonomy.field(k).name for k in gap.get("fields", []) if k in taxonomy.field_keys],
            "level": level_da(gap.get("level")) if gap.get("level") else BOTH_LEVELS,
            "dimension": dimensions.get(gap.get("dimension") or ""),
            "source": SOURCE_NAMES.get(gap.get("source") or "", ""),
            "results": by_gap.get(gap.get("id"), []),
            "why_no_courses": gap.get("why_no_courses"),
            "part": PART_NAMES.get(gap.get("part") or ""),
        })
    if chosen is not None:
        for group in groups:
            pick = chosen.get(group["gap"].get("id"))
            cards = group["results"]
            main = [c for c in cards if c["id"] == pick][:1] or cards[:1]
            group["results"], group["others"] = main, [c for c in cards if c not in main]
    return groups


PART_NAMES = {"basic": "Grundlæggende", "resource": "Ressourceperson"}


def _cost(rows: list[Any]) -> dict[str, Any] | None:
    """The plan's price in all (money) and how many of its courses state none; None without courses."""
    from matcher.plan import plan_cost

    if not any(row.course_title for row in rows):
        return None
    total, unpriced = plan_cost(rows)
    return {"total": money(total), "unpriced": unpriced}


def plan_summary(document: dict[str, Any], rows: Sequence[Any]) -> dict[str, Any]:
    """The result's summary, one line per decision in the plan's order: the field, who (with their
    step now), what (the part and the step to reach), the course chosen and when, or why none; and
    the workload warnings, one per person (their heaviest quarter); and the plan's price in all."""
    from matcher.plan import LOAD_WARNING_SHARE, QUARTER_WEEKS, WEEKLY_HOURS, learners_da, workload

    gaps = {gap["id"]: gap for gap in document.get("gaps", [])}
    lines, seen = [], set()
    for row in rows:
        gap = gaps.get(row.gap_id, {})
        first = gap.get("field") not in seen  # a field's name once, over its parts
        seen.add(gap.get("field"))
        levels = gap.get("levels") or {}
        people = [f"{name} (trin {number_da(levels[name], 2)})" if name in levels else name for name in gap.get("employees", [])]
        part = PART_NAMES.get(gap.get("part") or "", level_da(gap.get("level")) if gap.get("level") else BOTH_LEVELS)
        period = None
        if row.start:
            period = date_da(row.start)
            if row.end and row.end != row.start:  # "8. feb. – 27. jun. 2027"
                first_day = period.rsplit(" ", 1)[0] if row.end.year == row.start.year else period
                period = f"{first_day} – {date_da(row.end)}"
            period += " (forslag)" if row.date_proposed else ""
        lines.append({
            "gap_id": row.gap_id, "first": first, "field": gap.get("field_name") or "", "priority": gap.get("priority_rank"),
            "people": people or [learners_da(gap.get("learners") or 1, gap.get("leaders") or 0)],
            "part": part, "target": gap.get("target_level"), "course_id": row.course_id, "course": row.course_title,
            "period": period, "status": row.status,
            "reason": gap.get("why_no_courses") if not row.course_title else None,
            "waiting": bool(row.course_title and not row.start),
            "heavy": bool(row.warnings),
        })

    capacity = WEEKLY_HOURS * QUARTER_WEEKS
    # The heaviest quarter in full, the others counted, and people with the same load named together
    # ("AB og CD: 12,7 timer om ugen i …"), so the summary stays one screen high.
    loads: dict[str, list[str]] = {}
    for person, quarters in workload(list(rows)).items():
        heavy = sorted(((h, q) for q, h in quarters.items() if h > LOAD_WARNING_SHARE * capacity), reverse=True)
        if heavy:
            (hours, quarter), others = heavy[0], len(heavy) - 1
            short = quarter.replace(" kvartal ", " kvt. ")
            more = f"; for meget i {others} kvt. mere" if others else ""  # "kvt." as in the quarter's own name
            load = f"{number_da(hours / QUARTER_WEEKS)} timer om ugen i {short} ({100 * hours / capacity:.0f} % af arbejdstiden{more})"
            loads.setdefault(load, []).append(person)
    warnings = [f"{listed(people)}: {load}" for load, people in loads.items()]
    # learners not named (a needs survey): the plan weighed each course on its own, and its row says so
    for row in rows:
        for warning in row.warnings if not row.learners else ():
            said = f"»{row.course_title}«: {warning.removesuffix(' – aftal aflastning')}"
            warnings += [said] if said not in warnings else []
    return {"lines": lines, "warnings": warnings, "cost": _cost(list(rows))}


# ---------------------------------------------------------------- the web page


class WebPage:
    """The templates and the handlers; one per app."""

    def __init__(self) -> None:
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATE_DIR), autoescape=select_autoescape(["html"]),
            trim_blocks=True, lstrip_blocks=True, auto_reload=False,
        )
        # a course's page address with its id as one path segment ("/" too escaped): urlencode keeps "/"
        self.env.filters.update(money=money, date_da=date_da, number_da=number_da, pct=pct, level_da=level_da, sentence=sentence,
                                without_label=without_label, lang_attr=lang_attr, count_word=count_word,
                                # a text cut short ends in the ellipsis the page writes elsewhere (…), not "..."
                                truncate=lambda text, length=255: do_truncate(self.env, text, length, end="…"),
                                course_url=pass_context(lambda context, course_id: course_page_url(context.get("root", ""), course_id)))
        self.env.globals.update(
            TYPE_NAMES=TYPE_NAMES, FORM_NAMES=FORM_NAMES, LEVEL_NAMES=LEVEL_NAMES, STATUS_NAMES=STATUS_NAMES,
            SORT_NAMES=SORT_NAMES, GOAL_KINDS=GOAL_KINDS, TEMPLATE_TITLES=TEMPLATE_TITLES, LEVELS=LEVELS,
            COURSE_TYPES=COURSE_TYPES, FORMS=FORMS, MAX_UPLOAD_BYTES=MAX_UPLOAD_BYTES,
        )

    def render(self, request: Request | None, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        # `path`: the page within the service, for the menu; `root`: the prefix of every address it writes
        path, root = (route_path(request.scope), root_of(request.scope)) if request is not None else ("", "")
        html = self.env.get_template(name).render(path=path, root=root, **context)
        return HTMLResponse(html, status_code=status)

    def render_error(self, request: Request, status: int, message: str) -> HTMLResponse:
        titles = {404: "Siden findes ikke", 405: "Siden kan ikke åbnes sådan", 413: "For stor forespørgsel",
                  503: "Kataloget er ikke tilgængeligt"}
        title = titles.get(status, "Noget gik galt" if status >= 500 else "Fejl i det indtastede")
        return self.render(request, "fejl.html", status, title=title, code=status, message=message)

    def too_large(self, request: Request, limit: int | None) -> HTMLResponse:
        """A form sent with a body over the service's `limit` (refused unread, service.app.BodyLimit), or
        with one field over what the form reader takes (`limit` None): the form's page again, with the
        reason in Danish, so the user can choose a smaller file or paste less."""
        if limit is None:
            message = f"teksten er længere end {MAX_UPLOAD_BYTES // 1000} kB; indsæt færre rækker, eller vælg en fil"
        else:
            message = (f"det sendte fylder mere end {limit // 1000} kB, som er grænsen; vælg en mindre fil "
                       f"(en fil må højst fylde {MAX_UPLOAD_BYTES // 1000} kB)")
        path = route_path(request.scope)
        if path in ("/team/behov", "/team/vurdering"):
            context = self.team_context(request)
            context["error"] = message
            return self.render(request, "team.html", 413, **context)
        if path == "/udbydere/tjek":
            context = self.providers_context(request, "")
            context.pop("error_status", None)
            context["draft_error"] = message
            return self.render(request, "udbydere.html", 413, **context)
        return self.render_error(request, 413, message)

    # ---- shared context

    @staticmethod
    def state(request: Request) -> Any:
        return request.app.state.service

    def common(self, request: Request) -> dict[str, Any]:
        state = self.state(request)
        taxonomy: Taxonomy = state.taxonomy
        return {
            "taxonomy": taxonomy,
            "fields": [(f.key, f.name) for f in taxonomy.fields],
            "regions": list(load_regions()),
        }

    # ---- search

    def search(self, request: Request) -> HTMLResponse:
        params = Params(request.query_params)
        state = self.state(request)
        index: CatalogueIndex = state.index
        context = self.common(request)
        chosen = _filter_state(params)
        context.update(chosen=chosen, page=None, cards=[], total=0, error=None, **provider_choice(index, chosen["udbyder"]))
        try:
            filters = filters_from(params, index=index, taxonomy=state.taxonomy)
            sort = chosen["sortering"]
            if sort not in SORT_NAMES:
                choices = list(SORT_NAMES.values())
                raise WebInputError(f"sortering: »{sort}« findes ikke; vælg {listed(choices, 'eller')} "
                                    "under »Sortér efter«", field="sortering")
            raw_page = params.get("side") or "1"
            if _whole(raw_page) is None or int(raw_page) < 1:
                raise WebInputError(f"side: »{raw_page}« er ikke et sidetal (1, 2, 3 …)")
            page = int(raw_page)
            if len(chosen["q"]) > 500:
                raise WebInputError("søgeteksten må højst være 500 tegn")
            result = index.search(chosen["q"] or None, filters, sort=sort, page=page, per_page=PER_PAGE)
        except (WebInputError, FilterError) as exc:
            context["error"] = getattr(exc, "message", str(exc))
            context["error_field"] = getattr(exc, "field", None)
            return self.render(request, "soeg.html", getattr(exc, "status", 422), **context)
        context.update(
            cards=[course_card(hit, state.taxonomy) for hit in result.hits], total=result.total,
            page=_page_links(params, result.total, page, PER_PAGE), catalogue_size=len(index),
            gap_link=_as_gap_link(request.query_params) if has_content_words(chosen["q"] or "") else None,
            place_notice=result.place_notice,
        )
        if not result.total and chosen["q"] and filters.model_dump(exclude_defaults=True):
            # the words alone find courses: say how many, and link to them
            context["unfiltered"] = {"total": index.search(chosen["q"], CourseFilters(), per_page=1).total,
                                     "href": "/?" + urlencode({"q": chosen["q"]})}
        return self.render(request, "soeg.html", **context)

    # ---- course page

    def course(self, request: Request, course_id: str) -> Response:
        from matcher.transfer import TransferContext, assess_transfer
        from service.feeds import course_jsonld

        state = self.state(request)
        taxonomy: Taxonomy = state.taxonomy
        hit = state.course_hit(course_id)  # a withdrawn course too: the feeds link to it
        if hit is None and course_id.endswith("/") and state.course_hit(course_id.rstrip("/")) is not None:
            # an id may hold "/", so the address with a trailing slash is another id: send the reader on
            return RedirectResponse(course_page_url(root_of(request.scope), course_id.rstrip("/")), status_code=308)
        if hit is None:
            return self.render_error(request, 404, f"der er intet kursus med id »{course_id}«")
        course, tags = hit.course, hit.tags
        cues = getattr(state.recommender, "transfer_cues", None)
        transfer = assess_transfer(course, TransferContext(), taxonomy, cues, read_type=tags.course_type)
        basic = {bc.id: bc.text for bc in taxonomy.basic_competences}
        base_url = state.config.base_url  # never from the Host header, which a client chooses; "": @id is the provider's URL
        jsonld = _jsonld(course_jsonld(course, tags.to_json() if tags.model else None, base_url, taxonomy=taxonomy))
        goals: dict[str, list[str]] = {}
        for goal in course.learning_goals:
            goals.setdefault(goal.kind, []).append(goal.text)
        present = {f.key for f in transfer.factors_present}
        factors = [dict(f.model_dump(), present=f.key in present) for f in transfer.factors_present + transfer.factors_missing]
        deadline_passed = course.application_deadline is not None and course.application_deadline < clock.today()
        return self.render(
            request, "kursus.html", **self.common(request),
            course=course, tags=tags, card=course_card(hit, taxonomy),
            deadline_passed=deadline_passed,
            closed_start=start_for_deadline(course.start_dates, course.application_deadline) if deadline_passed else None,
            description=_paragraphs(course.description), goals=goals,
            field_scores=sorted(
                ((taxonomy.field(k).name, k, score, k in tags.assigned_fields) for k, score in tags.field_scores.items()
                 if k in taxonomy.field_keys),
                key=lambda item: -item[2],
            ),
            why=[(taxonomy.field(k).name, _without_repeated_passages(evidence)) for k, evidence in tags.why.items()
                 if k in taxonomy.field_keys],
            basic=[(key, basic.get(key, "")) for key in tags.basic_competences],
            profiles=[taxonomy.profile(key).name for key in tags.profiles if key in {p.key for p in taxonomy.profiles}],
            dimensions=[(d.name, tags.dimensions.get(d.key)) for d in taxonomy.dimensions if d.key in tags.dimensions],
            transfer=transfer,
            # tags of another tagger (an earlier fagmatch or framework) until `fagmatch tag` runs; the model
            # is not loaded for a page view, so this is said once the service has it
            tags_outdated=bool(tags.model) and state._tagger is not None and tags.model != state._tagger.model_version,
            course_factors=[f for f in factors if f["side"] == "course"],
            workplace_factors=[f for f in factors if f["side"] == "workplace"],
            jsonld=jsonld,
        )

    # ---- team

    def team_context(self, request: Request, rows: int = FILL_IN_ROWS, form: Mapping[str, str] | None = None) -> dict[str, Any]:
        context = self.common(request)
        taxonomy: Taxonomy = context["taxonomy"]
        context.update(
            templates=list(TEMPLATE_FILES),
            statements=taxonomy.survey_statements,
            survey_header=";".join(["rolle", *(s.id for s in taxonomy.survey_statements)]),
            xlsx_templates=[k for k, f in TEMPLATE_FILES.items() if f.endswith(".csv")],
            scale=taxonomy.proficiency_scale,
            rows=rows,
            max_team_size=MAX_TEAM_SIZE,
            max_fill_in_rows=MAX_FILL_IN_ROWS,
            form=dict(form or {}),
            error=None,
        )
        return context

    def team(self, request: Request) -> HTMLResponse:
        raw = request.query_params.get("raekker", "")
        rows = min(MAX_FILL_IN_ROWS, max(1, int(raw))) if _whole(raw) is not None else FILL_IN_ROWS
        return self.render(request, "team.html", **self.team_context(request, rows))

    def _team_error(self, request: Request, exc: Exception, form: Mapping[str, str] | None = None, rows: int = FILL_IN_ROWS) -> HTMLResponse:
        context = self.team_context(request, rows, form)
        context["error"] = getattr(exc, "message", None) or str(exc)
        # which form's field to mark: the form is the page's path (/team/gab, /team/vurdering, /team/behov)
        context["error_field"] = (request.url.path.rsplit("/", 1)[-1], getattr(exc, "field", None))
        return self.render(request, "team.html", getattr(exc, "status", 422), **context)

    def _recommend(self, state: Any, gaps: list[Any], filters: CourseFilters) -> tuple[dict[str, Any] | None, str | None]:
        from matcher.recommend import RecommendError

        try:
            return state.recommender.recommend(gaps, filters, top=TOP_PER_GAP), None
        except RecommendError as exc:
            return None, str(exc)

    def _result_page(
        self, request: Request, kind: str, analysis: Any, radar: str | None, gaps: list[Any] | None,
        filters: CourseFilters, gap_problem: str | None = None, status: int = 200,
    ) -> HTMLResponse:
        state = self.state(request)
        document, problem = (None, gap_problem)
        if gaps:
            document, problem = self._recommend(state, gaps, filters)
        context = self.common(request)
        summary, chosen = None, {}
        if document:
            from matcher.plan import PLAN_COLUMNS, build_plan, plan_constraints

            rows = build_plan(document)
            context.update(constraints=plan_constraints(document), plan_columns=list(PLAN_COLUMNS.values()))
            summary = plan_summary(document, rows)
            for row in rows:
                chosen.setdefault(row.gap_id, row.course_id)
        context.update(
            kind=kind, analysis=analysis, radar=Markup(radar) if radar else None,
            groups=group_results(document, state.taxonomy, chosen) if document else [],
            document=document, token=pack_document(document) if document else None, problem=problem,
            notices=(document or {}).get("notices", []), summary=summary,
        )
        return self.render(request, "team_resultat.html", status, **context)

    async def team_needs(self, request: Request) -> HTMLResponse:
        form = await request.form()
        params = Params(form)
        kept = _kept(form)
        try:
            filters = filters_from(params, with_fields=False)
        except WebInputError as exc:
            return self._team_error(request, _choose_again(exc, [params.file("behov_fil")]), kept)
        try:
            data, name = await _upload_or_text(params, "behov_fil", "behov_tekst", "behovsundersoegelse.csv")
        except WebInputError as exc:
            return self._team_error(request, exc, kept)
        return await run_in_threadpool(self._team_needs, request, data, name, filters, kept)

    def _team_needs(
        self, request: Request, data: bytes, name: str, filters: CourseFilters, kept: dict[str, Any]
    ) -> HTMLResponse:
        from matcher.recommend import RecommendError

        state = self.state(request)
        taxonomy = state.taxonomy
        try:
            with _Uploads() as uploads:
                analysis = analyse_needs(read_needs_survey(uploads.write(name, data), taxonomy), taxonomy)
        except GapInputError as exc:
            field = "behov_tekst" if name == PASTED_NAME else "behov_fil"
            return self._team_error(request, WebInputError(uploads.clean(str(exc)), field=field), kept)
        # the reader names the file it read, here the private temp copy: no answer shows where the server keeps files
        analysis = analysis.model_copy(update={"source": name, "notices": [uploads.clean(n) for n in analysis.notices]})
        try:
            gaps, problem = state.recommender.gaps_from_needs(analysis), None
        except RecommendError as exc:
            gaps, problem = [], str(exc)
        try:
            return self._result_page(request, "behov", analysis, radar_for_needs(analysis, taxonomy), gaps, filters, problem)
        except FilterError as exc:
            return self._team_error(request, exc, kept)

    async def team_assessment(self, request: Request) -> HTMLResponse:
        form = await request.form()
        params = Params(form)
        rows = _rows(params)
        kept = _kept(form)
        if params.get("flere_raekker"):  # more rows for the table, with what was filled in kept
            more = min(MAX_FILL_IN_ROWS, rows + FILL_IN_ROWS)
            kept.pop("flere_raekker", None)
            return self.render(request, "team.html", **self.team_context(request, more, kept))
        try:
            filters = filters_from(params, with_fields=False)
        except WebInputError as exc:
            target_file = params.file("maal_fil")
            if target_file is not None and (target_file.size or 0) <= MAX_KEPT_FILE:
                target, target_name = await _read_upload(target_file), _safe_name(target_file.filename, "maalprofil.yaml")
                if _is_target_profile(target, target_name, self.state(request).taxonomy):
                    kept = {**kept, "maal_gemt": _pack_file(target), "maal_gemt_navn": target_name}
                    target_file = None  # kept: not to be chosen again
            return self._team_error(request, _choose_again(exc, [params.file("vurdering_fil"), target_file]), kept, rows)
        try:
            assessment_file = params.file("vurdering_fil")
            if assessment_file is not None:
                assessment = await _read_upload(assessment_file)
                assessment_name = _safe_name(assessment_file.filename, "vurdering.csv")
                target_file = params.file("maal_fil")
                if target_file is not None:
                    target = await _read_upload(target_file)
                    target_name = _safe_name(target_file.filename, "maalprofil.yaml")
                elif kept_target := _kept_file(params.get("maal_gemt")):  # from a try whose assessment had a mistake
                    target, target_name = kept_target, _safe_name(params.get("maal_gemt_navn"), "maalprofil.yaml")
                else:
                    kept = {k: v for k, v in kept.items() if k not in ("maal_gemt", "maal_gemt_navn")}  # none kept after all
                    raise WebInputError("upload også målprofilen (YAML eller JSON) – den siger, hvilket trin teamet skal op på",
                                        field="maal_fil")
            else:
                assessment, target = _filled_in(params, self.state(request).taxonomy, rows)
                assessment_name, target_name = "tabellen", "målprofilen"
        except WebInputError as exc:
            return self._team_error(request, exc, kept, rows)
        return await run_in_threadpool(
            self._team_assessment, request, assessment, assessment_name, target, target_name, filters, kept, rows
        )

    def _team_assessment(
        self, request: Request, assessment: bytes, assessment_name: str, target: bytes, target_name: str,
        filters: CourseFilters, kept: dict[str, str], rows: int,
    ) -> HTMLResponse:
        from matcher.recommend import RecommendError

        state = self.state(request)
        taxonomy = state.taxonomy
        try:
            with _Uploads() as uploads:
                analysis = analyse_assessment(
                    read_assessment(uploads.write(assessment_name, assessment), taxonomy),
                    read_target(uploads.write(target_name, target), taxonomy), taxonomy,
                )
        except GapInputError as exc:
            message = uploads.clean(str(exc))
            # the message starts with the file it is about: the target profile's, or else the assessment's
            field = "maal_fil" if message.startswith(target_name) else "vurdering_fil"
            if assessment_name == "tabellen":
                field = "krav_" + taxonomy.field_keys[0] if message.startswith(target_name) else "navn_0"
            elif len(target) <= MAX_KEPT_FILE and _is_target_profile(target, target_name, taxonomy):
                # a browser cannot choose a file again by itself: the target profile is kept for the next try,
                # also where the message is the profile's (it asks for a field the assessment lacks)
                kept = {**kept, "maal_gemt": _pack_file(target), "maal_gemt_navn": target_name}
            return self._team_error(request, WebInputError(message, field=field), kept, rows)
        analysis = analysis.model_copy(update={
            "assessment": assessment_name, "target": target_name, "notes": [uploads.clean(n) for n in analysis.notes],
        })
        try:
            gaps, problem = state.recommender.gaps_from_team(analysis), None
        except RecommendError as exc:
            gaps, problem = [], str(exc)
        try:
            return self._result_page(
                request, "vurdering", analysis, radar_for_assessment(analysis, taxonomy), gaps, filters, problem
            )
        except FilterError as exc:
            return self._team_error(request, exc, kept, rows)

    def team_text(self, request: Request) -> HTMLResponse:
        from matcher.plan import PLAN_COLUMNS, plan_constraints
        from matcher.recommend import RecommendError

        params = Params(request.query_params)
        text = params.get("tekst")
        state = self.state(request)
        form = _kept(request.query_params)
        try:
            if not text:
                raise WebInputError("beskriv gabet med egne ord, fx »vi mangler specialiseret viden om sygedagpengeloven«", field="tekst")
            chosen_level = params.get("niveau") or None
            if chosen_level is not None and chosen_level not in LEVELS:
                raise WebInputError(f"niveau: »{chosen_level}« findes ikke; vælg grundlæggende eller specialiseret", field="niveau")
            learners = _learners(params)
            filters = filters_from(params, with_fields=False)
            gap = state.recommender.gap_from_text(text, level=chosen_level, learners=learners)
            document = state.recommender.recommend([gap], filters, top=TOP_PER_GAP, query=text)
        except (WebInputError, RecommendError, FilterError) as exc:
            return self._team_error(request, exc, form)
        context = self.common(request)
        context.update(
            kind="tekst", analysis=None, radar=None, groups=group_results(document, state.taxonomy),
            document=document, token=pack_document(document), problem=None, notices=document.get("notices", []),
            text=text, level_reading=_level_reading(request.query_params, gap), constraints=plan_constraints(document),
            plan_columns=list(PLAN_COLUMNS.values()),
        )
        return self.render(request, "team_resultat.html", **context)

    async def plan(self, request: Request) -> Response:
        from matcher.plan import PlanInputError, build_plan, plan_constraints, render_plan_csv, render_plan_markdown

        fmt = request.query_params.get("format", "csv")
        form = await request.form()
        params = Params(form)
        try:
            if fmt not in ("csv", "md"):
                raise WebInputError(f"format: »{fmt}« findes ikke; vælg csv eller md")
            per_gap_raw = params.get("pr_gab") or "1"
            if _whole(per_gap_raw) is None or not 1 <= int(per_gap_raw) <= TOP_PER_GAP:
                raise WebInputError(f"kurser pr. gab: skal være et tal fra 1 til {TOP_PER_GAP}")
            document = unpack_document(params.get("anbefaling"))
            rows = build_plan(document, per_gap=int(per_gap_raw))
        except WebInputError as exc:
            return self.render_error(request, exc.status, exc.message)
        except RecursionError:  # JSON nested thousands deep: the reader gives up, and so do we, politely
            return self.render_error(request, 422, "anbefalingen er indlejret for dybt til at kunne læses; lav analysen igen")
        except PlanInputError as exc:
            return self.render_error(request, 422, str(exc))
        if fmt == "csv":
            return PlainTextResponse(
                render_plan_csv(rows), media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": 'attachment; filename="uddannelsesplan.csv"'},
            )
        return PlainTextResponse(
            render_plan_markdown(rows, constraints=plan_constraints(document)), media_type="text/markdown; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="uddannelsesplan.md"'},
        )

    # What the downloaded templates are called on a Danish user's disk (the API's names stay English)
    DANISH_TEMPLATE_NAMES = {"needs-survey": "behovsundersoegelse", "needs-survey-statements": "behovsundersoegelse-udsagn",
                             "proficiency-assessment": "kompetencevurdering", "target-profile": "maalprofil"}

    def template_file(self, request: Request, name: str) -> Response:
        if name not in TEMPLATE_FILES:
            return self.render_error(
                request, 404, f"skabelonen »{name}« findes ikke; hent skabelonerne på siden Team"
            )
        filename = TEMPLATE_FILES[name]
        fmt = request.query_params.get("format", "csv" if filename.endswith(".csv") else "yaml")
        if fmt == "xlsx" and filename.endswith(".csv"):
            return Response(
                template_bytes(name, self.state(request).taxonomy, "xlsx"), media_type=XLSX_MEDIA,
                headers={"Content-Disposition": f'attachment; filename="{self.DANISH_TEMPLATE_NAMES[name]}.xlsx"'},
            )
        if fmt not in ("csv", "yaml") or (fmt == "csv") != filename.endswith(".csv"):
            return self.render_error(request, 404, f"skabelonen »{name}« findes ikke i formatet »{fmt}«")
        media = "text/csv; charset=utf-8" if filename.endswith(".csv") else "application/yaml; charset=utf-8"
        # CSV with a byte-order mark: Danish Excel reads UTF-8 only with one
        return Response(
            template_bytes(name, self.state(request).taxonomy), media_type=media,
            headers={"Content-Disposition": f'attachment; filename="{self.DANISH_TEMPLATE_NAMES[name]}{Path(filename).suffix}"'},
        )

    # ---- providers

    def providers_context(self, request: Request, provider: str) -> dict[str, Any]:
        from service.coverage import CoverageError, coverage

        state = self.state(request)
        context = self.common(request)
        index: CatalogueIndex = state.index
        context.update(chosen=provider, coverage=None, error=None, draft=None, draft_form={}, provider_courses=[],
                       **provider_choice(index))
        if provider:
            try:
                from service.analyses import AnalysisStore

                saved = AnalysisStore.for_catalogue(Path(state.config.db)).all_gaps()
            except Exception:  # noqa: BLE001 - saved analyses are optional demand; their absence is no error
                saved = []
            try:
                context["coverage"] = coverage(index, state.taxonomy, provider, saved_gaps=saved)
            except CoverageError as exc:  # no provider or several by that name
                context["error"] = exc.message
                context["error_status"] = exc.status
            else:
                name = context["chosen"] = context["coverage"]["provider"]  # typed in part, or in another case
                hits = [index.get(c.course_id) for c in index.courses if c.provider == name]
                context["provider_courses"] = [course_card(hit, state.taxonomy) for hit in hits if hit is not None]
                context["saved_analyses"] = len(saved)
                # fields the survey asked about together: their national demand is one figure
                context["shared_demand"] = [
                    " og ".join(state.taxonomy.field(key).name for key in group.fields)
                    for group in state.taxonomy.survey.groups if len(group.fields) > 1
                ]
        return context

    def providers(self, request: Request) -> HTMLResponse:
        provider = request.query_params.get("udbyder", "").strip()
        context = self.providers_context(request, provider)
        status = context.pop("error_status", 200)
        return self.render(request, "udbydere.html", status, **context)

    async def draft(self, request: Request) -> HTMLResponse:
        form = await request.form()
        params = Params(form)
        return await run_in_threadpool(self._draft, request, params)

    def _draft(self, request: Request, params: Params) -> HTMLResponse:
        from matcher.transfer import TransferContext, assess_transfer

        state = self.state(request)
        taxonomy: Taxonomy = state.taxonomy
        provider = params.get("udbyder")
        context = self.providers_context(request, provider)
        context.pop("error_status", None)
        title, description, course_type = params.get("titel"), params.get("beskrivelse"), params.get("type") or None
        form = params.get("form") or None
        context["draft_form"] = {"titel": title, "beskrivelse": description, "type": course_type or "", "form": form or ""}
        problems: dict[str, str] = {}  # field → what to fix
        if not title:
            problems["titel"] = "skriv kursets titel"
        elif len(title) > 500:
            problems["titel"] = "titlen må højst være 500 tegn"
        if not description:
            problems["beskrivelse"] = "skriv kursets beskrivelse (indhold, læringsmål, målgruppe)"
        elif len(description) > MAX_DRAFT_TEXT:
            problems["beskrivelse"] = f"beskrivelsen må højst være {MAX_DRAFT_TEXT:,} tegn".replace(",", ".")
        if course_type is not None and course_type not in COURSE_TYPES:
            problems["type"] = f"type: »{course_type}« findes ikke"
        if form is not None and form not in FORMS:
            problems["form"] = f"form: »{form}« findes ikke"
        if problems:
            context["draft_error"] = "; ".join(problems.values())
            context["draft_error_field"] = next(iter(problems))  # the first to fix is focused
            return self.render(request, "udbydere.html", 422, **context)
        try:
            result = state.tag_draft(title, description, course_type)
        except DraftBusy:
            context["draft_error"] = "der tjekkes et andet udkast lige nu; prøv igen om et øjeblik"
            busy = self.render(request, "udbydere.html", 503, **context)
            busy.headers["Retry-After"] = str(DRAFT_RETRY_SECONDS)
            return busy
        course = Course(id="udkast", title=title, description=description, course_type=course_type, form=form)  # type: ignore[arg-type]
        transfer = assess_transfer(course, TransferContext(), taxonomy, getattr(state.recommender, "transfer_cues", None),
                                   audience="provider", read_type=result.course_type)
        basic = {bc.id: bc.text for bc in taxonomy.basic_competences}
        context["draft"] = {
            "title": title,
            "assigned": [taxonomy.field(k).name for k in result.assigned_fields],
            "fields": sorted(
                ((taxonomy.field(k).name, score, k in result.assigned_fields) for k, score in result.fields.items()),
                key=lambda item: -item[1],
            ),
            "level": level_da(result.level) if result.level else None,
            "type": TYPE_NAMES.get(result.course_type or "", "Ikke genkendt")
                    + (" (udledt af teksten)" if course_type is None and result.course_type else ""),
            "basic": [(key, basic.get(key, "")) for key in result.basic_competences],
            "profiles": [taxonomy.profile(key).name for key in result.profiles],
            "dimensions": [(d.name, result.dimensions.get(d.key)) for d in taxonomy.dimensions if d.key in result.dimensions],
            "why": [(taxonomy.field(k).name, _without_repeated_passages(evidence)) for k, evidence in result.why.items()],
            "transfer": transfer,
        }
        return self.render(request, "udbydere.html", **context)


# ---------------------------------------------------------------- uploads


class _Uploads:
    """A private temp folder for uploaded files, named as the user named them (so the core's messages
    name the user's file), removed afterwards; and those a killed worker left (a team's names and
    steps) removed first."""

    def __enter__(self) -> _Uploads:
        self._folder = private_temp_folder(WEB_UPLOAD_PREFIX)
        self.root = self._folder.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._folder.__exit__(*exc)

    def write(self, name: str, data: bytes) -> Path:
        path = self.root / name
        path.write_bytes(data)
        return path

    def clean(self, message: str) -> str:
        return without_server_paths(message, folders=[self.root])


def _safe_name(filename: str | None, default: str) -> str:
    """A file name for messages: the upload's own base name as the user knows it (a .png chosen by
    mistake is named so), only harmless characters."""
    base = re.sub(r"[^\w.\-æøåÆØÅ ]", "_", Path(filename or "").name).strip(" .") or default
    return base[:80]


async def _read_upload(upload: UploadFile) -> bytes:
    try:
        return await read_upload(upload)
    except UploadError as exc:
        raise WebInputError(str(exc), exc.status) from None


def _choose_again(error: WebInputError, uploads: Sequence[UploadFile | None]) -> WebInputError:
    """A mistake outside the files, said with the files the user must choose again: a browser shows
    the page again without them, and nothing else would tell a user who fixed the mistake why the
    next try finds no file."""
    names = [_safe_name(upload.filename, "filen") for upload in uploads if upload is not None]
    if not names:
        return error
    files = ("filen " if len(names) == 1 else "filerne ") + listed([f"»{n}«" for n in names])
    return WebInputError(f"{error.message.rstrip('.')}. Ret det, og vælg {files} igen: siden kan ikke beholde en valgt fil",
                         error.status, field=error.field)


PASTED_NAME = "den indsatte tekst"  # what messages call pasted rows: the user uploaded no file


async def _upload_or_text(params: Params, file_field: str, text_field: str, default_name: str) -> tuple[bytes, str]:
    """An uploaded file wins over pasted text; one of them must hold data rows. The name is the
    upload's (or `default_name` where it has none), or PASTED_NAME for pasted text."""
    upload = params.file(file_field)
    if upload is not None:
        return await _read_upload(upload), _safe_name(upload.filename, default_name)
    text = params.get(text_field)
    if not text:
        raise WebInputError("vælg en fil (CSV eller Excel) at uploade, eller indsæt svarene i tekstfeltet", field=file_field)
    if len(text) > MAX_UPLOAD_BYTES:
        raise WebInputError(f"teksten er længere end {MAX_UPLOAD_BYTES // 1000} kB", 413, field=text_field)
    return text.encode("utf-8"), PASTED_NAME


# Search filters that the recommendations for a gap in words take too, under the same names
# (the search's `niveau`, a course level, becomes the gap's level).
_GAP_PARAMS = ("niveau", "type", "udbyder", "form", "sted", "region", "maks_pris", "start_foer")


def _as_gap_link(query: Any) -> str:
    """The search's words as a gap in words (/team/gab), with the filters both pages share: HR types
    a gap into the search box, and keyword search alone neither ranks by field and level nor says why."""
    params = [("tekst", query.get("q", ""))] + [(k, v) for k, v in query.multi_items() if k in _GAP_PARAMS and v]
    return "/team/gab?" + urlencode(params)


def _level_reading(query: Any, gap: Any) -> dict[str, str] | None:
    """How a gap in words got its level, and a link to the same search at the other level: the
    words can read as basic where a specialist is meant, or the reverse."""
    if gap.level not in LEVELS:
        return None
    other = next(lv for lv in LEVELS if lv != gap.level)
    params = [(k, v) for k, v in query.multi_items() if k != "niveau"] + [("niveau", other)]
    if gap.level_read_by == "choice":
        by = "dit valg"
    elif gap.level_read_by == "level words":
        by = "ordene i teksten: " + ", ".join(f"»{phrase}«" for phrase in dict.fromkeys(gap.level_words))
    else:
        by = "ordene og de kurser, de ligner mest"
    return {"by": by, "other": level_da(other).lower(), "href": "/team/gab?" + urlencode(params)}


def _kept(source: Any) -> dict[str, Any]:
    """A submitted form's text values, to fill the form in again after an error (form: a list)."""
    kept: dict[str, Any] = {k: v for k, v in source.multi_items() if isinstance(v, str)}
    kept["form"] = [v for v in source.getlist("form") if isinstance(v, str)]
    return kept


def _rows(params: Params) -> int:
    raw = params.get("raekker")
    return min(MAX_FILL_IN_ROWS, max(1, int(raw))) if _whole(raw) is not None else FILL_IN_ROWS


def _table_step(raw: str, where: str, field: str) -> int | None:
    """A step 1–5 from a cell of the fill-in tables (None: blank); WebInputError names the cell."""
    try:
        return parse_step(raw, PROFICIENCY_STEPS)
    except ValueError as exc:
        raise WebInputError(f"{where}: {exc}", field=field) from None


def _filled_in(params: Params, taxonomy: Taxonomy, rows: int) -> tuple[bytes, bytes]:
    """The fill-in table as an assessment CSV and a target profile JSON, for the core's own readers
    (so the same checks and messages apply as for uploaded files)."""
    keys = taxonomy.field_keys
    lines = [["medarbejder", *keys]]
    seen: dict[str, int] = {}
    # The cells are checked here, in the table's terms (row, field); the readers would name the CSV's
    # lines, which the user never saw.
    for i in range(rows):
        name = params.get(f"navn_{i}")
        levels = [params.get(f"niveau_{i}_{k}") for k in keys]
        if not name and not any(levels):
            continue
        if not name:
            raise WebInputError(f"række {i + 1}: skriv medarbejderens navn eller initialer", field=f"navn_{i}")
        if name.casefold() in seen:
            raise WebInputError(f"række {i + 1}: {name} står også i række {seen[name.casefold()] + 1}; "
                                "navne eller initialer skal være forskellige", field=f"navn_{i}")
        seen[name.casefold()] = i
        for key, level in zip(keys, levels):
            _table_step(level, f"række {i + 1}, {taxonomy.field(key).name}", f"niveau_{i}_{key}")
        if not any(levels):
            raise WebInputError(f"række {i + 1}: giv {name} et trin i mindst ét felt", field=f"niveau_{i}_{keys[0]}")
        lines.append([name, *levels])
    if len(lines) == 1:
        raise WebInputError("udfyld mindst én medarbejder i tabellen, eller upload en kompetencevurdering (CSV eller Excel)", field="navn_0")
    import csv
    import io

    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(lines)
    target: dict[str, Any] = {"fields": {}}
    if (level := params.get("specialistniveau")):
        target["specialist_level"] = _table_step(level, "målprofilen, ressourceperson fra trin", "specialistniveau")
    for key in keys:
        name = taxonomy.field(key).name
        required = params.get(f"krav_{key}")
        specialists = params.get(f"specialister_{key}")
        if not required:  # "Ingen målsætning": the field is not asked for, whatever its resource persons say
            continue
        entry: dict[str, Any] = {"required_level": _table_step(required, f"målprofilen, {name}, krævet trin", f"krav_{key}")}
        if specialists:
            if _whole(specialists) is None:
                raise WebInputError(f"målprofilen, {name}, ressourcepersoner: »{specialists}« er ikke et helt tal; skriv 0 eller derover",
                                    field=f"specialister_{key}")
            entry["specialists"] = _whole(specialists)
        target["fields"][key] = entry
    if not target["fields"]:
        raise WebInputError("sæt et krævet trin for mindst ét felt i målprofilen", field=f"krav_{keys[0]}")
    # said in the form's words: the assessment's own check would name a CSV column and a YAML key
    unrated = [key for key in target["fields"] if not any(row[1 + keys.index(key)] for row in lines[1:])]
    if unrated:
        names = listed([taxonomy.field(key).name for key in unrated], "og")
        where = "feltet" if len(unrated) == 1 else "felterne"
        raise WebInputError(f"{names}: ingen medarbejder har et trin i {where}. Udfyld {where} i tabellen, "
                            "eller vælg »Ingen målsætning«", field=f"krav_{unrated[0]}")
    return out.getvalue().encode("utf-8"), json.dumps(target, ensure_ascii=False).encode("utf-8")


# ---------------------------------------------------------------- install


def install_web(app: FastAPI) -> None:
    """Add the HTML pages to `app`, and make its error handlers render HTML errors with the layout."""
    catalogue("da")  # a broken message file stops the start, not a user's request later
    web = WebPage()
    app.state.web = web
    app.state.render_error = web.render_error
    app.state.render_too_large = in_danish(web.too_large)
    html = {"response_class": HTMLResponse, "include_in_schema": False}
    app.add_api_route("/", in_danish(web.search), methods=["GET"], name="soeg", **html)
    app.add_api_route("/kursus/{course_id:path}", in_danish(web.course), methods=["GET"], name="kursus", **html)
    app.add_api_route("/team", in_danish(web.team), methods=["GET"], name="team", **html)
    app.add_api_route("/team/behov", in_danish(web.team_needs), methods=["POST"], name="team_behov", **html)
    app.add_api_route("/team/vurdering", in_danish(web.team_assessment), methods=["POST"], name="team_vurdering", **html)
    app.add_api_route("/team/gab", in_danish(web.team_text), methods=["GET"], name="team_gab", **html)
    app.add_api_route("/team/plan", in_danish(web.plan), methods=["POST"], name="team_plan", include_in_schema=False)
    app.add_api_route("/team/skabelon/{name}", in_danish(web.template_file), methods=["GET"], name="skabelon",
                      include_in_schema=False)
    app.add_api_route("/udbydere", in_danish(web.providers), methods=["GET"], name="udbydere", **html)
    app.add_api_route("/udbydere/tjek", in_danish(web.draft), methods=["POST"], name="udbydere_tjek", **html)


def in_danish(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """The endpoint, with the domain's messages (errors, notes) in Danish (matcher.messages): the page
    speaks Danish. Work it hands to a thread pool keeps the language (the context is copied)."""
    if inspect.iscoroutinefunction(endpoint):
        @functools.wraps(endpoint)
        async def page(*args: Any, **kwargs: Any) -> Any:
            with in_language("da"):
                return await endpoint(*args, **kwargs)
    else:
        @functools.wraps(endpoint)
        def page(*args: Any, **kwargs: Any) -> Any:
            with in_language("da"):
                return endpoint(*args, **kwargs)
    return page
