"""The public catalogue feed (PRODUCT.md §7): JSON (paginated, `since=` incremental), CSV, Atom,
schema.org JSON-LD, and the fagprofiler grouping. Pure functions over a `CatalogueReader`, shared
by `fagmatch export` and the HTTP app; the caller turns them into files or responses.

Tags are each course's latest tagging in the catalogue, so no embedding model is loaded. Times are
UTC and written with a `Z`. `since` is inclusive: pass the `last_modified` of the previous
response to get everything published after it (a course may come twice, never be missed)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import math
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from matcher import clock
from matcher.course import RECORD_FIELDS, Course
from matcher.feed import spreadsheet_numbers
from matcher.store import CatalogueReader
from matcher.tabular import spreadsheet_cell
from matcher.taxonomy import Taxonomy
from matcher.text import danish_order, xml_text

JSON_PATH = "/feed/courses.json"
ATOM_PATH = "/feed/atom.xml"
COURSE_PATH = "/kursus/{id}"  # the course web page
DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 500  # the HTTP feed's cap on `per_page`; the CLI may ask for everything at once
ATOM_LIMIT = 100  # entries in an Atom feed unless the reader asks for more or fewer
ATOM_NS = "http://www.w3.org/2005/Atom"
TAG_SCHEME = "urn:fagmatch:"  # Atom category schemes: names, not addresses

LIST_SEPARATOR = " | "
TAG_COLUMNS = ("primary_field", "assigned_fields", "level", "basic_competences", "profiles", "tag_model", "tag_current")
CSV_COLUMNS = (*RECORD_FIELDS, "can_apply", "open_starts", "withdrawn_at", "updated_at", "changed_at", *TAG_COLUMNS)

# schema.org courseMode for the record's `form`; "rekvirerbar" (run on request) has no equivalent.
COURSE_MODES = {"fysisk": "onsite", "online": "online", "blended": "blended"}


def parse_base_url(text: str) -> str:
    """The service's public address for the feeds' absolute links: "" (links relative to the service),
    or an http(s) URL with a host and no query or fragment; ValueError otherwise (a `javascript:` or a
    mistyped address would end up in every portal's links)."""
    text = text.strip()
    if not text:
        return ""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(f"{text!r} is not the service's address: give an http(s) URL such as https://fagmatch.example")
    return text.rstrip("/")


def parse_since(text: str) -> dt.datetime:
    """An ISO 8601 date or date-time as naive UTC; no zone means UTC. ValueError says what is expected."""
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"{text!r} is not an ISO 8601 date or date-time, e.g. 2026-01-31 or 2026-01-31T08:00:00Z"
        ) from None
    return _utc(value)  # type: ignore[return-value]


def _since(value: dt.datetime | None) -> dt.datetime | None:
    """A `since` as the feeds apply it: naive UTC, down to the whole second. The feeds write times to
    the second, so the answer echoes the `since` it applied, and `since=` stays inclusive: a client
    sending its own clock's milliseconds may get a course twice, never miss one."""
    value = _utc(value)
    return None if value is None else value.replace(microsecond=0)


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    """A `since` as the catalogue compares it: naive UTC (an aware one, e.g. from FastAPI, is converted)."""
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(dt.UTC).replace(tzinfo=None)


def iso(value: dt.datetime | None) -> str | None:
    """Naive UTC (as the catalogue stores it) as RFC 3339 with a Z."""
    return None if value is None else value.replace(microsecond=0).isoformat() + "Z"


def _url(base_url: str, path: str, params: dict[str, Any] | None = None) -> str:
    query = {k: v for k, v in (params or {}).items() if v is not None}
    return base_url.rstrip("/") + path + (f"?{urlencode(query)}" if query else "")


def course_page_url(base_url: str, course_id: str) -> str:
    return _url(base_url, COURSE_PATH.format(id=quote(course_id, safe="")))


def _absolute(base_url: str) -> bool:
    """Whether `base_url` is the service's public address, not only the path it is served under."""
    return base_url.startswith(("http://", "https://"))


# --- HTTP caching ------------------------------------------------------------------------------


def last_modified(reader: CatalogueReader) -> dt.datetime:
    """Last-Modified for every feed: when the reader's generation was published (aware UTC)."""
    published = reader.last_modified() or dt.datetime(1970, 1, 1)
    return published.replace(tzinfo=dt.UTC)


def feed_etag(reader: CatalogueReader, feed: str, **params: Any) -> str:
    """A weak ETag for one feed response: the catalogue generation plus the feed and its parameters.
    Weak, because the same generation's body is equivalent, not byte for byte the same: the JSON
    feed says when it was generated (`generated_at`)."""
    key = json.dumps([reader.generation(), feed, sorted(params.items())], default=str)
    return 'W/"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'


def etag_matches(if_none_match: str, etag: str) -> bool:
    """If-None-Match against our ETag by the weak comparison RFC 9110 prescribes for it: `W/` aside,
    the opaque tags are equal (a client or proxy may send back either form); `*` matches any."""
    if if_none_match.strip() == "*":
        return True
    ours = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == ours for tag in if_none_match.split(","))


# --- JSON --------------------------------------------------------------------------------------


def changed_at(row: dict[str, Any]) -> dt.datetime:
    """When a course last changed for the feeds: its record (`updated_at`) or its tags (`tagged_at`),
    whichever is later. `since=` of the JSON and CSV feeds matches it, and they are in its order."""
    tags = row["tags"]
    if tags is not None and tags["tagged_at"] is not None:
        return max(row["updated_at"], tags["tagged_at"])
    return row["updated_at"]


def feed_item(row: dict[str, Any], today: dt.date | None = None) -> dict[str, Any]:
    """A feed row as JSON: the course record, whether one can apply for it on `today` (default:
    clock.today()) and its open starts, its change times and its tags."""
    today = today or clock.today()
    course = row["course"]
    item = course.to_record()
    item["can_apply"] = course.can_apply(today)
    item["open_starts"] = [d.isoformat() for d in course.open_starts(today)] if not course.withdrawn else []
    item["first_seen"] = iso(row["course"].first_seen)
    item["last_seen"] = iso(row["course"].last_seen)
    item["withdrawn_at"] = iso(row["withdrawn_at"])
    item["updated_at"] = iso(row["updated_at"])
    item["changed_at"] = iso(changed_at(row))
    tags = row["tags"]
    item["tags"] = None if tags is None else {**tags, "tagged_at": iso(tags["tagged_at"])}
    return item


def feed_json(
    reader: CatalogueReader,
    *,
    since: dt.datetime | None = None,
    page: int = 1,
    per_page: int = DEFAULT_PER_PAGE,
    base_url: str = "",
    after: str | None = None,
) -> dict[str, Any]:
    """One page of the JSON feed, with links to its neighbours: by `page`, or with `after` (a cursor,
    see `feed_cursor`) the page after that item. `next` always carries the cursor of the page's last
    item, so a consumer following it misses nothing when a course changes meanwhile: that course
    moves to the end and comes again. Raises ValueError for page/per_page < 1 or a broken cursor."""
    if page < 1 or per_page < 1:
        raise ValueError("page and per_page must be at least 1")
    since = _since(since)
    cursor = parse_feed_cursor(after) if after is not None else None
    if cursor is None:
        rows, total = reader.feed_page(since, (page - 1) * per_page, per_page + 1)
    else:
        rows, total = reader.feed_page(since, 0, per_page + 1, after=cursor)
        page = reader.feed_position(since, cursor) // per_page + 1
    more, rows = len(rows) > per_page, rows[:per_page]
    pages = max(math.ceil(total / per_page), 1)

    def link(**where: Any) -> str:
        return _url(base_url, JSON_PATH, {"since": iso(since), **where, "per_page": per_page})

    today = clock.today()
    items = [feed_item(row, today) for row in rows]
    return {
        "generated_at": iso(dt.datetime.now(dt.UTC).replace(tzinfo=None)),
        "last_modified": iso(reader.last_modified()),
        "since": iso(since),
        "total": total,
        "page": page,
        "per_page": per_page,
        "pages": pages,
        "self": link(after=after) if after is not None else link(page=page),
        "next": link(after=feed_cursor(items[-1])) if more else None,
        "prev": link(page=min(page - 1, pages)) if page > 1 else None,
        "items": items,
    }


def feed_cursor(item: dict[str, Any]) -> str:
    """A feed item's place in the feed's order, for `after=`: its change time and its id."""
    return f"{item['changed_at']},{item['id']}"


def parse_feed_cursor(text: str) -> tuple[dt.datetime, str]:
    """`after=`'s value back into (change time as naive UTC, id); ValueError when it is no cursor."""
    stamp, _, course_id = text.partition(",")
    try:
        when = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        when = None
    if when is None or not course_id:
        raise ValueError(f"after: {text!r} is not a cursor of this feed; follow the 'next' link of a page")
    return _utc(when), course_id


# --- CSV ---------------------------------------------------------------------------------------


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return LIST_SEPARATOR.join(_csv_cell(v) for v in value)
    if isinstance(value, dict):  # a learning goal
        return f"{value['kind']}: {value['text']}"
    return value


def feed_csv(reader: CatalogueReader, since: dt.datetime | None = None, *, delimiter: str = ",") -> str:
    """The feed as one flat CSV table, one row per course; lists are joined with ' | '. A table for
    Danish Excel (`delimiter` EXCEL_DELIMITER) has its numbers with a decimal comma ("2,5")."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(CSV_COLUMNS), lineterminator="\n", delimiter=delimiter)
    writer.writeheader()
    today = clock.today()
    for row in reader.feed_page(_since(since))[0]:
        item = feed_item(row, today)
        tags = item.pop("tags") or {}
        item.update({key: tags.get(key) for key in TAG_COLUMNS[:-2]})
        item["tag_model"], item["tag_current"] = tags.get("model"), tags.get("current")
        item = spreadsheet_numbers(item, delimiter)
        writer.writerow({key: spreadsheet_cell(_csv_cell(item[key])) for key in CSV_COLUMNS})
    return out.getvalue()


# --- Atom --------------------------------------------------------------------------------------


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    # ElementTree writes any character raw: one XML 1.0 forbids would leave the feed unparseable.
    element = ET.SubElement(parent, tag, {name: xml_text(value) for name, value in attrs.items()})
    element.text = None if text is None else xml_text(text)
    return element


def _atom_entry(feed: ET.Element, row: dict[str, Any], base_url: str) -> None:
    course: Course = row["course"]
    entry = _sub(feed, "entry")
    title = f"Udgået: {course.title}" if course.withdrawn else course.title
    _sub(entry, "title", title, type="text")
    # atom:id must be an absolute IRI that never changes for the course.
    if _absolute(base_url):
        _sub(entry, "id", course_page_url(base_url, course.course_id))
    else:
        _sub(entry, "id", f"urn:fagmatch:course:{quote(course.course_id, safe='')}")
    _sub(entry, "updated", iso(row["updated_at"]))
    if course.first_seen:
        _sub(entry, "published", iso(course.first_seen))
    author = _sub(entry, "author")
    _sub(author, "name", course.provider or "Ukendt udbyder")
    if course.url:
        _sub(entry, "link", rel="alternate", type="text/html", href=course.url)
    if base_url:
        _sub(entry, "link", rel="related" if course.url else "alternate", type="text/html",
             href=course_page_url(base_url, course.course_id))
    if course.description:
        _sub(entry, "summary", course.description, type="text")
    if not course.url and not base_url:  # an entry needs content or an alternate link
        _sub(entry, "content", course.description or course.title, type="text")
    categories = [("course_type", course.course_type)]
    tags = row["tags"] or {}
    categories += [("field", key) for key in tags.get("assigned_fields", [])]
    categories += [("level", tags.get("level")), ("status", "withdrawn" if course.withdrawn else None)]
    for scheme, term in categories:
        if term:
            _sub(entry, "category", term=term, scheme=TAG_SCHEME + scheme)


def feed_atom(
    reader: CatalogueReader, *, since: dt.datetime | None = None, base_url: str = "", limit: int = ATOM_LIMIT
) -> str:
    """Atom 1.0 of new and changed courses (withdrawn ones flagged), newest first."""
    since = _since(since)
    rows, _total = reader.feed_page(since, 0, limit, tag_changes=False, newest_first=True)
    # Unqualified names under a literal xmlns: ElementTree's default_namespace refuses plain attributes.
    feed = ET.Element("feed", xmlns=ATOM_NS)
    _sub(feed, "title", "fagmatch: nye og ændrede kurser", type="text")
    _sub(feed, "id", _url(base_url, ATOM_PATH) if _absolute(base_url) else "urn:fagmatch:feed:courses")
    updated = rows[0]["updated_at"] if rows else reader.last_modified() or dt.datetime(1970, 1, 1)
    _sub(feed, "updated", iso(updated))
    self_query = {"since": iso(since), "limit": limit if limit != ATOM_LIMIT else None}  # the address asked for
    _sub(feed, "link", rel="self", type="application/atom+xml", href=_url(base_url, ATOM_PATH, self_query))
    _sub(_sub(feed, "author"), "name", "fagmatch")
    _sub(feed, "generator", "fagmatch")
    for row in rows:
        _atom_entry(feed, row, base_url)
    ET.indent(feed)
    return ET.tostring(feed, encoding="unicode", xml_declaration=True) + "\n"


# --- schema.org JSON-LD ------------------------------------------------------------------------


def _pruned(value: Any) -> Any:
    """Drop unknown (None) and empty values: schema.org consumers read absence as 'not known'."""
    if isinstance(value, dict):
        pruned = {k: _pruned(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, [], {})}
    if isinstance(value, list):
        return [v for v in (_pruned(v) for v in value) if v not in (None, [], {})]
    return value


def _instances(course: Course) -> list[dict[str, Any]]:
    location = None
    if course.location:
        location = {"@type": "Place", "name": course.location}
    elif course.form == "online":
        location = {"@type": "VirtualLocation"}
    instance = {
        "@type": "CourseInstance",
        "courseMode": COURSE_MODES.get(course.form or ""),
        "location": location,
        "courseWorkload": f"P{course.duration_days:g}D" if course.duration_days else None,
    }
    if not course.start_dates:
        return [instance] if course.form or course.location else []
    return [{**instance, "startDate": day.isoformat()} for day in course.start_dates]


def _teaches(tags: dict[str, Any] | None, taxonomy: Taxonomy | None) -> list[dict[str, Any]]:
    """The course's fields and basic competences as DefinedTerms, named from the taxonomy when given."""
    if not tags:
        return []
    names: dict[str, str] = {}
    if taxonomy is not None:
        names = {f.key: f.name for f in taxonomy.fields} | {bc.id: bc.text for bc in taxonomy.basic_competences}
    keys = [*tags.get("assigned_fields", []), *tags.get("basic_competences", [])]
    return [{"@type": "DefinedTerm", "termCode": key, "name": names.get(key, key)} for key in keys]


def course_jsonld(
    course: Course, tags: dict[str, Any] | None, base_url: str = "", *, taxonomy: Taxonomy | None = None
) -> dict[str, Any]:
    """A schema.org Course for a course page; unknown values are left out, never guessed."""
    page = course_page_url(base_url, course.course_id) if base_url else course.url
    offer = None
    if course.price_dkk is not None or course.application_deadline:
        offer = {
            "@type": "Offer", "price": course.price_dkk, "priceCurrency": "DKK" if course.price_dkk is not None else None,
            "validThrough": course.application_deadline.isoformat() if course.application_deadline else None,
            "url": course.url, "category": course.course_type,
            "availability": "https://schema.org/Discontinued" if course.withdrawn else None,
        }
    credential = None
    if course.ects:
        credential = {"@type": "EducationalOccupationalCredential", "name": f"{course.ects:g} ECTS-point",
                      "credentialCategory": course.course_type}
    return _pruned({
        "@context": "https://schema.org",
        "@type": "Course",
        "@id": page,
        "identifier": course.course_id,
        "name": course.title,
        "description": course.description,
        "url": course.url,
        "provider": {"@type": "Organization", "name": course.provider} if course.provider else None,
        "inLanguage": course.language,
        "educationalLevel": f"EQF {course.eqf_level}" if course.eqf_level else None,
        "coursePrerequisites": course.admission,
        "audience": {"@type": "Audience", "audienceType": course.target_group} if course.target_group else None,
        "numberOfCredits": {"@type": "StructuredValue", "value": course.ects, "unitText": "ECTS"} if course.ects else None,
        "educationalCredentialAwarded": credential,
        "hasCourseInstance": _instances(course),
        "offers": offer,
        "teaches": _teaches(tags, taxonomy),
    })


def feed_jsonld(reader: CatalogueReader, base_url: str = "", *, taxonomy: Taxonomy | None = None) -> dict[str, Any]:
    """Every active course as one schema.org graph."""
    graph = []
    for row in reader.feed_page()[0]:
        if not row["course"].withdrawn:
            node = course_jsonld(row["course"], row["tags"], base_url, taxonomy=taxonomy)
            node.pop("@context")
            graph.append(node)
    return {"@context": "https://schema.org", "@graph": graph}


# --- fagprofiler -------------------------------------------------------------------------------


def fagprofiler_view(reader: CatalogueReader, taxonomy: Taxonomy) -> dict[str, Any]:
    """Active tagged courses grouped by the basic competences and the profiles they serve.

    Every item of the framework is listed, empty ones too, so the view shows what is not covered.
    Courses within an item are by title."""
    by_basic: dict[str, dict[str, Any]] = {
        bc.id: {"name": bc.text, "group": group.name, "courses": []}
        for group in taxonomy.basic_competence_groups
        for bc in group.competences
    }
    by_profile: dict[str, dict[str, Any]] = {
        p.key: {"name": p.name, "focus": p.focus, "courses": []} for p in taxonomy.profiles
    }
    rows = sorted(reader.feed_page()[0], key=lambda row: (danish_order(row["course"].title), row["course"].course_id))
    for row in rows:
        course, tags = row["course"], row["tags"]
        if course.withdrawn or not tags:
            continue
        entry = {"id": course.course_id, "title": course.title, "provider": course.provider}
        # Items unknown to this taxonomy (tagged under another one) have nowhere to go: skipped.
        for key in tags["basic_competences"]:
            if key in by_basic:
                by_basic[key]["courses"].append(entry)
        for key in tags["profiles"]:
            if key in by_profile:
                by_profile[key]["courses"].append(entry)
    return {"by_basic_competence": by_basic, "by_profile": by_profile}
