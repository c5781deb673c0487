"""Course extraction from one HTML page: pure (HTML string + URL in, course dict or None out).

Layered, each layer filling only what the one before left empty:
1. schema.org structured data: JSON-LD, then microdata (Course, CourseInstance,
   EducationalOccupationalProgram, Event, Offer), then OpenGraph;
2. the page's main content without navigation, header, footer and cookie banners: labelled facts
   in `dl`, tables and "Label: value" text, read with the Danish parsers in `crawler.parsers`;
3. source hints (registry), for what the page does not say.

A page that is not a course (news, about, contact, privacy, listings) gives None: the decision
weighs structured types, the facts found, course-type words and negative URL/title cues."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from html import unescape
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from crawler.page_words import page_words
from crawler.parsers import (
    clean_text,
    eqf_for_course_type,
    has_goal_heading,
    is_unit_price,
    normalise_label,
    parse_course_type,
    parse_date,
    parse_deadline,
    parse_deadline_phrase,
    parse_duration,
    parse_ects,
    parse_form,
    parse_iso_duration,
    parse_labelled_facts,
    parse_learning_goals,
    parse_price,
    parse_runs,
    parse_teaching_form,
    run_days,
    with_label_vat_note,
    without_deadlines,
)
from matcher.clock import DANISH_TIME
from matcher.course import EARLIEST_DATE, LATEST_DATE, MAX_ECTS, canonical_url
from matcher.text import text_language

COURSE_NODE_TYPES = frozenset(
    {"Course", "CourseInstance", "EducationalOccupationalProgram", "WorkBasedProgram", "Event", "EducationEvent"}
)
# Structured types that say "this page is something else".
NON_COURSE_TYPES = frozenset(
    {"NewsArticle", "Article", "BlogPosting", "Report", "AboutPage", "ContactPage", "FAQPage", "SearchResultsPage",
     "ItemList", "CollectionPage", "JobPosting", "Person"}
)  # fmt: skip
# Whole URL path segments of pages that are never courses.
NEGATIVE_PATH_WORDS = frozenset(page_words().negative_path_words)
_NEGATIVE_TITLE_RE = re.compile(
    r"^(?:nyheder|nyhed|kontakt(?: os)?|om os|privatlivs?politik|cookie\w*|persondata\w*|ledige stillinger|job"
    r"|presse\w*|søg|search|about us|contact(?: us)?|privacy policy|404|(?:fejl|error) 404"
    r"|(?:ups\W*|hov\W*)?siden? (?:blev |kunne )?(?:ikke (?:fundet|findes)|findes ikke)|page (?:could )?not (?:be )?found)\b",
    re.IGNORECASE,
)
# A page's own word that its course is off: in its title ("Jobrettet coaching (AFLYST)") or in a
# sentence about the course as a whole ("Kurset udbydes ikke længere", "Modulet er aflyst").
_CANCELLED_TITLE_RE = re.compile(r"\b(?:aflyst|annulleret|cancell?ed)\b", re.IGNORECASE)
_NO_LONGER_OFFERED_RE = re.compile(
    r"\b(?:dette |det(?:te)? )?(?:kursus|kurset|modul|modulet|uddannelsen|forløbet|this course)\s+"
    r"(?:(?:udbydes|afholdes)\s+ikke\s+(?:længere|mere)|er\s+(?:aflyst|nedlagt|udgået)"
    r"|is\s+(?:cancell?ed|no\s+longer\s+offered))\b"
    r"(?![^.]{0,60}\b(?:hvis|såfremt|ved\s+for|if|when|unless)\b)",  # "… er aflyst, hvis der er under 8": a condition
    re.IGNORECASE,
)
# Facts that a course page states and other pages do not.
_COURSE_FACT_KEYS = ("price", "ects", "start", "deadline", "duration")  # course_days fills start or duration
# Class/id words of page furniture, at the start of a class token ("cookie-banner", "c-breadcrumb").
_BOILERPLATE_RE = re.compile(
    r"(?:^|[\s_-])(?:cookie|consent|gdpr|breadcrumb|skip-?link|newsletter|nyhedsbrev|share|social|site-?header"
    r"|site-?footer|mega-?menu|navbar|offcanvas)",
    re.IGNORECASE,
)
_BLOCK_TAGS = frozenset(
    {"p", "div", "section", "article", "main", "aside", "ul", "ol", "li", "dl", "dt", "dd", "table", "tr", "thead",
     "tbody", "tfoot", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "figure", "figcaption", "details",
     "summary", "header", "footer", "form", "fieldset", "address", "hr", "caption"}
)  # fmt: skip
# Not "form": ASP.NET sites wrap the whole page in one.
_DROP_TAGS = ("script", "style", "noscript", "template", "svg", "iframe", "nav", "button", "select", "object")
# Elements that may hold a fact's label alone, its value in the next element.
_LABEL_CANDIDATES = ("span", "div", "p", "strong", "b", "h2", "h3", "h4", "h5", "h6", "label", "small", "em")
# A start that is no date but says the course runs ("Løbende", "Start når du vil"): e-learning.
_ONGOING_START_RE = re.compile(r"\bløbende\b|\bnår (?:du|i) vil\b|\bstart (?:når|hvornår)|\bselvstudie|\bon demand\b"
                               r"|\bany ?time\b|\bwhen(?:ever)? you (?:like|want)\b", re.IGNORECASE)
_TITLE_SPLIT_RE = re.compile(r"\s+[|–—·•]\s+|\s+-\s+")
_LABEL_LINE_RE = re.compile(r"^(?:- )?([^:\n]{2,40}):")
_LAST_WORD_RE = re.compile(r"(\w{2,})\.$")
_VOWEL_RE = re.compile(r"[aeiouyæøå]", re.IGNORECASE)
_LANGUAGES = dict(page_words().languages)
MAX_TEXT = {"title": 500, "location": 300, "target_group": 1500, "admission": 1500, "description": 4000}


# ---------------------------------------------------------------------------------------------
# Structured data: JSON-LD, microdata, OpenGraph
# ---------------------------------------------------------------------------------------------


def _types(node: Mapping[str, Any]) -> set[str]:
    raw = node.get("@type") or node.get("type") or []
    values = raw if isinstance(raw, list) else [raw]
    return {re.split(r"[/:#]", str(value))[-1] for value in values if value}


def _walk_nodes(data: Any) -> Iterator[dict[str, Any]]:
    """Top-level nodes, @graph members and main entities of a JSON-LD document."""
    if isinstance(data, list):
        for element in data:
            yield from _walk_nodes(element)
    elif isinstance(data, dict):
        if "@graph" in data:
            yield from _walk_nodes(data["@graph"])
        if "@type" in data:
            yield data
            for key in ("mainEntity", "itemOffered"):
                if isinstance(data.get(key), (dict, list)):
                    yield from _walk_nodes(data[key])


def jsonld_nodes(tree: lxml.html.HtmlElement) -> list[dict[str, Any]]:
    """Every JSON-LD node on the page; a broken script is skipped, not fatal."""
    nodes: list[dict[str, Any]] = []
    for script in tree.xpath('//script[contains(translate(@type, "LDJSON", "ldjson"), "ld+json")]'):
        text = (script.text or "").strip()
        text = re.sub(r"^\s*(?:<!--|<!\[CDATA\[)|(?:-->|\]\]>)\s*$", "", text)
        try:
            data = json.loads(text, strict=False)
        except ValueError:
            try:  # trailing commas are the commonest hand-written JSON-LD error
                data = json.loads(re.sub(r",\s*([}\]])", r"\1", text), strict=False)
            except ValueError:
                continue
        nodes.extend(_walk_nodes(data))
    return nodes


def _microdata_value(element: lxml.html.HtmlElement) -> str:
    tag = element.tag.lower() if isinstance(element.tag, str) else ""
    for attribute in ("content", "datetime", "value"):
        if element.get(attribute) is not None:
            return element.get(attribute, "")
    if tag in ("a", "link", "area") and element.get("href"):
        return element.get("href", "")
    if tag in ("img", "audio", "video", "source") and element.get("src"):
        return element.get("src", "")
    return clean_text(element.text_content())


def _microdata_item(element: lxml.html.HtmlElement) -> dict[str, Any]:
    item: dict[str, Any] = {"@type": (element.get("itemtype") or "").split()}
    for prop in element.xpath(".//*[@itemprop]"):
        owner = prop.xpath("ancestor::*[@itemscope][1]")
        if not owner or owner[0] is not element:
            continue  # belongs to a nested item
        value = _microdata_item(prop) if prop.get("itemscope") is not None else _microdata_value(prop)
        for name in (prop.get("itemprop") or "").split():
            item.setdefault(name, []).append(value)
    return {key: value[0] if isinstance(value, list) and len(value) == 1 and key != "@type" else value
            for key, value in item.items()}  # fmt: skip


def microdata_nodes(tree: lxml.html.HtmlElement) -> list[dict[str, Any]]:
    """Top-level microdata items as JSON-LD-like dicts (nested items nested)."""
    return [_microdata_item(element) for element in tree.xpath("//*[@itemscope][not(ancestor::*[@itemscope])]")]


def opengraph(tree: lxml.html.HtmlElement) -> dict[str, str]:
    """og:* properties, plus the plain meta description as 'description'."""
    meta: dict[str, str] = {}
    for element in tree.xpath("//meta[@property or @name][@content]"):
        key = (element.get("property") or element.get("name") or "").strip().lower()
        if key.startswith("og:") and key[3:] not in meta:
            meta[key[3:]] = clean_text(element.get("content", ""))
        elif key == "description" and "meta_description" not in meta:
            meta["meta_description"] = clean_text(element.get("content", ""))
    return meta


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _text(value: Any) -> str | None:
    """A readable string from a JSON-LD value: a string, a number, or a node's name/description."""
    for element in _list(value):
        if isinstance(element, (str, int, float)) and not isinstance(element, bool):
            text = clean_text(str(element))
            if text:
                return _strip_tags(text)
        elif isinstance(element, dict):
            for key in ("name", "value", "description", "text", "targetName", "addressLocality"):
                if (text := _text(element.get(key))) is not None:
                    return text
    return None


def _strip_tags(text: str) -> str:
    if "&" in text and "<" not in text:  # escaped once more than HTML needs: "Beskæftigelse &amp; sundhed"
        text = clean_text(unescape(text))
    if "<" not in text:
        return text
    try:
        return clean_text(lxml.html.fromstring(text).text_content())
    except (etree.ParserError, ValueError):
        return text


def _date(value: Any) -> dt.date | None:
    text = _text(value)
    if not text:
        return None
    try:  # a time in a zone ("2027-02-28T23:00:00Z" is midnight on 1 March in Denmark): the Danish date
        moment = dt.datetime.fromisoformat(text)
        if moment.tzinfo is not None:
            return moment.astimezone(DANISH_TIME).date()
    except ValueError:
        pass
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return parse_date(text)


def _number(value: Any, parser: Any) -> float | None:
    for element in _list(value):
        if isinstance(element, (int, float)) and not isinstance(element, bool):
            return float(element)
        if isinstance(element, dict):
            unit = str(element.get("unitText") or element.get("unitCode") or "")
            if unit and "ects" not in unit.lower():
                continue
            found = _number(element.get("value"), parser)
            if found is not None:
                return found
        elif isinstance(element, str):
            found = parser(element)
            if found is None and re.fullmatch(r"\s*\d+(?:[.,]\d+)?\s*", element):
                found = float(element.replace(",", "."))
            if found is not None:
                return found
    return None


# An offer that is a discount on the course's price, not its base price: an early bird's, a member's.
_DISCOUNT_OFFER_RE = re.compile(r"early[ -]?bird|tidlig\w* tilmelding|rabat|medlems|member|discount|student", re.I)


def _unit_price(spec: Mapping[str, Any]) -> bool:
    """Whether a priceSpecification prices a unit (per ECTS point, hour, day), not the course."""
    quantity = spec.get("referenceQuantity")
    units = [spec.get("unitText"), spec.get("unitCode")]
    if isinstance(quantity, dict):
        units += [quantity.get("unitText"), quantity.get("unitCode")]
    return any(isinstance(unit, str) and is_unit_price(unit) for unit in units)


def _offer_price(offer: Mapping[str, Any]) -> float | None:
    currency = str(offer.get("priceCurrency") or "DKK").upper()
    if currency not in ("DKK", "KR", "KR."):
        return None
    specs = [spec for spec in _list(offer.get("priceSpecification")) if isinstance(spec, dict)]
    if any(_unit_price(spec) for spec in specs) and not any(not _unit_price(spec) for spec in specs):
        return None  # "800 kr pr. ECTS-point" (catalogue.md): no course price
    for candidate in (offer.get("price"), *[spec.get("price") for spec in specs if not _unit_price(spec)]):
        price = _number(candidate, parse_price)
        if price is not None:
            return price
    return None


def _discount(offer: Mapping[str, Any]) -> bool:
    return bool(_DISCOUNT_OFFER_RE.search(" ".join(filter(None, map(_text, _list(offer.get("name"))
                                                                     + _list(offer.get("category")))))))  # fmt: skip


def _offers_price(node: Mapping[str, Any]) -> float | None:
    """The base price among a node's offers: an early bird's or a member's discount only when no
    other offer states a price."""
    offers = sorted((offer for offer in _list(node.get("offers")) if isinstance(offer, dict)), key=_discount)
    return next((price for offer in offers if (price := _offer_price(offer)) is not None), None)


def _offers_deadline(nodes: Iterable[Mapping[str, Any]]) -> dt.date | None:
    """The last day the course's offers are valid (`validThrough`, as fagmatch's own JSON-LD writes the
    application deadline); an early bird's end is no deadline."""
    ends = [end for node in nodes for offer in _list(node.get("offers"))
            if isinstance(offer, dict) and not _discount(offer) and (end := _date(offer.get("validThrough")))]  # fmt: skip
    return max(ends, default=None)


# A goal says what the participant does: an infinitive or a "can"/"learns" ("At vejlede …", "kan …").
_GOAL_VERB_RE = re.compile(r"^(?:at|to)\s+\w+|\b(?:lærer|learn\w*)\s+(?:at|to)\s+\w+|\b(?:kan|can|will)\s+\w+", re.I)


def _taught_goals(node: Mapping[str, Any]) -> list[dict[str, str]] | None:
    """Learning goals from schema.org's `teaches` (texts or DefinedTerms) that say what the participant
    can or learns to do ("Den studerende kan anvende …", "At vejlede ledige om …", "Du lærer at …"); a
    bare topic ("Forvaltningsret") is no goal."""
    texts = [text for value in _list(node.get("teaches")) if (text := _text(value))]
    goals = parse_learning_goals(texts) if texts else []
    return [goal for goal in goals if goal["kind"] != "other" or _GOAL_VERB_RE.search(goal["text"])] or None


_MODE_FORMS = {
    "online": "online", "onlineeventattendancemode": "online", "distance": "online", "remote": "online",
    "onsite": "fysisk", "on-site": "fysisk", "offlineeventattendancemode": "fysisk", "in person": "fysisk",
    "blended": "blended", "hybrid": "blended", "mixedeventattendancemode": "blended",
}  # fmt: skip


def _mode_form(values: Iterable[Any]) -> str | None:
    forms = set()
    for value in values:
        text = _text(value)
        if not text:
            continue
        key = re.split(r"[/:#]", text)[-1].strip().lower()
        form = _MODE_FORMS.get(key) or parse_form(text)
        if form:
            forms.add(form)
    if len(forms) > 1:
        return "rekvirerbar" if "rekvirerbar" in forms else "blended"
    return next(iter(forms), None)


def _location(value: Any) -> str | None:
    for element in _list(value):
        if isinstance(element, dict):
            if "VirtualLocation" in _types(element):
                return "Online"
            if "PostalAddress" in _types(element):  # schema.org allows a bare address as the location
                if text := _text(element.get("addressLocality")) or _text(element.get("streetAddress")):
                    return text
                continue
            address = element.get("address")
            locality = _text(address.get("addressLocality")) if isinstance(address, dict) else None
            name = _text(element.get("name"))
            if name and locality and locality.casefold() not in name.casefold():
                return f"{name}, {locality}"  # the venue, and the town that places it in a region
            text = name or locality or _text(address)
            if text:
                return text
        elif (text := _text(element)) is not None:
            return text
    return None


@dataclass
class _Structured:
    """What schema.org data (JSON-LD or microdata) says about the page's course."""

    fields: dict[str, Any] = field(default_factory=dict)
    type_text: str = ""
    is_course: bool = False
    is_listing: bool = False
    non_course: bool = False


# The kinds of node that describe a course, the page's own first: a module's page may also describe the
# programme it is part of, or an information meeting, as nodes of their own.
_MAIN_NODE_KINDS = (frozenset({"Course"}), frozenset({"EducationalOccupationalProgram", "WorkBasedProgram"}),
                    frozenset({"Event", "EducationEvent"}))  # fmt: skip


def _main_node(courses: list[dict[str, Any]]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The node that describes the page's course, and the nodes of its kind (several of them, with
    different names, make a listing)."""
    for kind in _MAIN_NODE_KINDS:
        if of_kind := [node for node in courses if _types(node) & kind and "CourseInstance" not in _types(node)]:
            return of_kind[0], of_kind
    return courses[0], []


def _joined_texts(value: Any) -> str | None:
    """Every item of a JSON-LD list as text, joined ("Adgangskrav" given as two requirements)."""
    texts = list(dict.fromkeys(text for element in _list(value) if (text := _text(element))))
    return "; ".join(texts) or None


def _eqf_level(value: Any) -> int | None:
    """The EQF level of `educationalLevel`: a text ("EQF 6", "EQF-niveau 6") or an AlignmentObject whose
    educationalFramework is EQF ("targetName": "7" or "Niveau 7")."""
    for element in _list(value):
        if isinstance(element, dict):
            if "EQF" not in str(element.get("educationalFramework") or "").upper():
                continue
            text = " ".join(str(element.get(key) or "") for key in ("targetName", "targetDescription", "name"))
            found = re.search(r"(?<!\d)([1-8])(?!\d)", text)
        else:
            found = re.search(r"\bEQF\D{0,12}([1-8])\b", str(element))
        if found:
            return int(found[1])
    return None


def _from_structured(nodes: list[dict[str, Any]]) -> _Structured:
    result = _Structured()
    courses = [node for node in nodes if _types(node) & COURSE_NODE_TYPES]
    offers = [node for node in nodes if "Offer" in _types(node) and isinstance(node.get("itemOffered"), dict)]
    result.non_course = any(_types(node) & NON_COURSE_TYPES for node in nodes)
    result.is_listing = any("ItemList" in _types(node) for node in nodes)
    if not courses:
        return result
    main, of_kind = _main_node(courses)
    if len({(_text(node.get("name")) or "").lower() for node in of_kind} - {""}) > 1:
        result.is_listing = True  # several different courses described: a listing
        return result
    result.is_course = True
    instances = [main, *[i for i in _list(main.get("hasCourseInstance")) if isinstance(i, dict)],
                 *[node for node in courses if node is not main and "CourseInstance" in _types(node)]]  # fmt: skip
    values: dict[str, Any] = {
        "title": _text(main.get("name")),
        "description": _text(main.get("description")),
        "provider": _text(main.get("provider")) or _text(main.get("organizer")),
        "ects": _number(main.get("numberOfCredits"), parse_ects),
        "admission": _joined_texts(main.get("coursePrerequisites")) or _joined_texts(main.get("programPrerequisites")),
        "target_group": _text((main.get("audience") or {}).get("audienceType") if isinstance(main.get("audience"), dict)
                              else main.get("audience")),  # fmt: skip
        "language": _text(main.get("inLanguage")),
        "application_deadline": _date(main.get("applicationDeadline")),
        "learning_goals": _taught_goals(main),
    }
    starts: set[dt.date] = set()
    # a cancelled run starts nothing, and is held nowhere and in no form
    live = [instance for instance in instances if not _cancelled_event(instance)]
    for instance in live:
        for key in ("startDate",):
            for value in _list(instance.get(key)):
                if (date := _date(value)) is not None:
                    starts.add(date)
        for schedule in _list(instance.get("courseSchedule")):
            if isinstance(schedule, dict) and (date := _date(schedule.get("startDate"))) is not None:
                starts.add(date)
    values["start_dates"] = sorted(starts)
    values["cancelled"] = len(live) < len(instances) and not starts
    held = live or instances  # every run cancelled: the course is withdrawn, its runs still say where and how
    values["price_dkk"] = next(
        (price for node in [*held, *offers] if (price := _offers_price(node)) is not None), None
    )
    if not values["application_deadline"]:
        values["application_deadline"] = _offers_deadline([*held, *offers])
    values["form"] = _mode_form(
        value for instance in held
        for key in ("courseMode", "eventAttendanceMode", "educationalProgramMode") for value in _list(instance.get(key))
    )  # fmt: skip
    # every instance's place, as a schedule of holds in the page's text gives them (_places); one
    # structured place is one place, "Aalborg Kongres & Kultur Center" whole
    values["location"] = _places([loc for instance in held if (loc := _location(instance.get("location")))], split=False)
    # courseWorkload is the study's hours, not the teaching's: only its days count
    values["duration_days"] = next(
        (days for instance in instances for key in ("timeToComplete", "timeRequired", "duration", "courseWorkload")
         if (text := _text(instance.get(key))) and (days := parse_iso_duration(text, hours=key != "courseWorkload"))),
        None,
    ) or _run_span(held)  # fmt: skip
    result.type_text = " ".join(
        text for key in ("educationalCredentialAwarded", "occupationalCredentialAwarded", "educationalLevel")
        if (text := _text(main.get(key)))
    )  # fmt: skip
    values["eqf_level"] = _eqf_level(main.get("educationalLevel")) or _eqf_level(main.get("educationalAlignment"))
    result.fields = {key: value for key, value in values.items() if value not in (None, "", [], False)}
    return result


# A run from its start to its end date of at most this many days is taught on each of them ("3.-4. marts"):
# a semester's module (February to June) is taught on a few of its days.
MAX_BLOCK_DAYS = 5


def _run_span(instances: list[dict[str, Any]]) -> int | None:
    """The days of a run that starts and ends within MAX_BLOCK_DAYS (a one-day Event from 09:00 to 15:30
    is one day; Friday to Monday two, as a weekend is no teaching day unless the run keeps to one); the
    same for every run with both dates, else None."""
    spans = {(start, end) for instance in instances
             if (start := _date(instance.get("startDate"))) and (end := _date(instance.get("endDate")))}  # fmt: skip
    if len(spans) != 1:
        return None
    start, end = spans.pop()
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    if not 1 <= len(days) <= MAX_BLOCK_DAYS:
        return None
    return sum(day.weekday() < 5 for day in days) or len(days)


def _cancelled_event(node: Mapping[str, Any]) -> bool:
    return any(re.split(r"[/:#]", str(status))[-1] == "EventCancelled" for status in _list(node.get("eventStatus")))


def _cancelled(title: str, facts: _Facts, main_text: str) -> bool:
    """Whether the page says its course is cancelled or no longer offered (then it is stored
    withdrawn: a crawl must not keep offering it). Only the title, a status fact or a sentence about
    the course itself: "kurset aflyses ved for få tilmeldte" is a condition, not a cancellation."""
    status = facts.first("status") or ""
    return bool(
        _CANCELLED_TITLE_RE.search(title)
        or re.match(r"\s*(?:aflyst|annulleret|udgået|cancell?ed)\b", status, re.IGNORECASE)
        or _NO_LONGER_OFFERED_RE.search(main_text)
    )


# ---------------------------------------------------------------------------------------------
# Main content
# ---------------------------------------------------------------------------------------------


def _parse_html(html: str) -> lxml.html.HtmlElement | None:
    html = re.sub(r"^\s*<\?xml[^>]*>", "", html)  # lxml refuses str input with an encoding declaration
    if not html.strip():
        return None
    try:
        return lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return None


def _strip_boilerplate(tree: lxml.html.HtmlElement) -> None:
    """Drop navigation, page header/footer, cookie banners and scripts, in place."""
    for element in tree.xpath("|".join(f"//{tag}" for tag in _DROP_TAGS)):
        element.drop_tree()
    for element in tree.xpath('//*[@role="navigation" or @role="banner" or @role="contentinfo" or @role="search"'
                              ' or @aria-hidden="true" or @hidden]'):  # fmt: skip
        element.drop_tree()
    # A header or footer inside the article belongs to it (its h1, its facts); the page's own do not.
    for element in tree.xpath("//header[not(ancestor::main or ancestor::article)]"
                              " | //footer[not(ancestor::main or ancestor::article)]"):  # fmt: skip
        element.drop_tree()
    for element in tree.xpath("//*[@id or @class]"):
        marker = f"{element.get('id', '')} {element.get('class', '')}"
        if _BOILERPLATE_RE.search(marker) and element.tag not in ("body", "html", "main", "article"):
            element.drop_tree()


def _main_element(tree: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    for xpath in ("//main", '//*[@role="main"]', "//article", '//*[@id="content" or @id="main" or @id="main-content"]',
                  '//*[contains(concat(" ", normalize-space(@class), " "), " content ")]'):  # fmt: skip
        found = tree.xpath(xpath)
        if found:
            return max(found, key=lambda element: len(element.text_content()))
    body = tree.find("body")
    return body if body is not None else tree


# Blocks that can be page chrome (a menu, a link list in a layout-table cell, a footer column).
_CHROME_CANDIDATES = ("td", "th", "div", "ul", "ol", "table", "p", "section", "aside", "span", "font", "center")
_CHROME_MIN_LINKS = 3
_CHROME_LINK_SHARE = 0.7


def _visible_length(text: str | None) -> int:
    return len("".join((text or "").split()))


@dataclass
class _Counts:
    """What a subtree holds: visible characters, of them in links, links, heading links, an <h1>."""

    text: int = 0
    linked: int = 0
    links: int = 0
    heading_links: int = 0
    h1: bool = False


_HEADINGS = frozenset({"h2", "h3", "h4"})


def _subtree_counts(main: etree._Element) -> dict[etree._Element, _Counts]:
    """_Counts of every element under `main`, in one pass up the tree (linear in the page)."""
    counts: dict[etree._Element, _Counts] = {}
    heading_below: dict[etree._Element, bool] = {}
    for element in reversed(list(main.iter())):  # every element after its descendants
        if not isinstance(element.tag, str):
            counts[element], heading_below[element] = _Counts(), False
            continue
        children = [counts[child] for child in element]
        total = _Counts(text=_visible_length(element.text) + sum(_visible_length(child.tail) for child in element))
        for child in children:
            total.text += child.text
            total.linked += child.linked
            total.links += child.links
            total.heading_links += child.heading_links
            total.h1 = total.h1 or child.h1
        below = any(heading_below[child] or child.tag in _HEADINGS for child in element)
        heading_below[element] = below
        if element.tag == "a" and element.get("href") is not None:
            total.linked, total.links = total.text, total.links + 1
            if below or any(ancestor.tag in _HEADINGS for ancestor in element.iterancestors()):
                total.heading_links += 1
        total.h1 = total.h1 or element.tag == "h1"
        counts[element] = total
    return counts


def drop_link_blocks(main: etree._Element) -> None:
    """Drop the chrome left in the content block, in place: blocks that are mostly links (menus and
    link lists in layout-table cells, footer columns), outermost first.

    Old table layouts have no <nav> or <header> to strip: their menu is a table cell of links. A
    block holding the page's <h1> is content, whatever its links."""
    counts = _subtree_counts(main)

    def visit(element: etree._Element) -> None:
        for child in list(element):
            count = counts[child]
            if (child.tag in _CHROME_CANDIDATES and count.links >= _CHROME_MIN_LINKS and not count.h1 and count.text
                    and count.linked / count.text >= _CHROME_LINK_SHARE):  # fmt: skip
                child.drop_tree()
            elif count.links:
                visit(child)

    visit(main)


_TEASER_TAGS = frozenset({"div", "article", "li", "section", "a", "td", "tr", "p"})
_TEASER_MAX_TEXT = 600  # visible characters: a card, not a page section
_HEADING_LINKS = ".//h2//a[@href] | .//h3//a[@href] | .//h4//a[@href] | .//a[@href][.//h2 or .//h3 or .//h4]"
# The whole text of a card's call to action, which links to the page the card is about.
_READ_MORE_RE = re.compile(
    r"(?:(?:læs|se|få)\s+mere(?:\s+(?:her|om\s+(?:kurset|uddannelsen|modulet|forløbet|temadagen)))?"
    r"|mere\s+info(?:rmation)?|se\s+(?:kurset|uddannelsen|modulet|forløbet|temadagen)"
    r"|gå\s+til\s+(?:kurset|uddannelsen|modulet)|read\s+more|learn\s+more|more\s+info)\W*",
    re.IGNORECASE,
)
# Headings of a course page's own sections, which may end in a "Læs mere" link (about prices, SVU, ...):
# such a section is the page's, not a teaser.
_SECTION_HEADING_RE = re.compile(
    r"\b(?:pris\w*|dato\w*|praktisk\w*|fakta|oplysninger|information|tid og sted|hvornår|tilmelding\w*|økonomi"
    r"|tilskud|adgangs\w*|målgruppe\w*|indhold|om (?:kurset|modulet|uddannelsen|forløbet))\b",
    re.IGNORECASE,
)


def _card_links(main: etree._Element, page_url: str) -> list[tuple[etree._Element, str, bool]]:
    """(link, target, is a heading link) for links that a teaser card leads with: a heading that links,
    or a call to action ("Læs mere") to another page of the site."""
    own = canonical_url(page_url)
    heading_links = set(main.xpath(_HEADING_LINKS))
    found = []
    for link in main.iter("a"):
        href = (link.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
            continue
        is_heading = link in heading_links
        if not is_heading and not _READ_MORE_RE.fullmatch(clean_text(link.text_content())):
            continue
        target = canonical_url(urljoin(page_url, href))
        if target != own:
            found.append((link, target, is_heading))
    return found


def _names_something(element: etree._Element) -> bool:
    """Whether a heading or bold line names something else than a section or a fact of the page
    ("Praktisk", "Pris og tilmelding"): a label that leads its text ("Merit:") names nothing."""
    text = _cell_text(element)
    return (bool(text) and not text.endswith(":") and normalise_label(text) is None
            and not _SECTION_HEADING_RE.search(text))  # fmt: skip


def _is_teaser_heading(card: etree._Element) -> bool:
    """Whether a block led by a call to action is a teaser: it has a heading that names something."""
    return any(_names_something(heading) for heading in card.iter("h2", "h3", "h4"))


def _is_bold_titled(card: etree._Element) -> bool:
    """Whether a block led by a call to action has a bold title that names something: a card of a
    template that writes its title in <strong> or <b>, not in a heading."""
    return any(_names_something(bold) for bold in card.iter("strong", "b"))


def drop_teasers(main: etree._Element, page_url: str) -> int:
    """Drop teaser cards, in place: a short block around a heading that links to another page ("Se også",
    a one-course category page), or around a heading and a "Læs mere" link to another page (a listing's
    cards, a theme page's). Their prices and dates are those pages', not this one's.

    A card is the largest block around the link with no link to a second page, no other heading link
    and no <h1>; all cards are found before any is dropped. Returns how many cards were found by their
    call to action alone (the heading-link ones a listing check counts itself)."""
    counts = _subtree_counts(main)
    links = _card_links(main, page_url)
    targets: dict[etree._Element, set[str]] = {}
    for link, target, _ in links:
        for element in (link, *link.iterancestors()):
            targets.setdefault(element, set()).add(target)
            if element is main:
                break
    cards: list[etree._Element] = []
    bold_titled: list[etree._Element] = []
    by_call_to_action = 0
    for link, _, is_heading in links:
        if link not in counts:
            continue
        card = None
        candidate: etree._Element | None = link
        while candidate is not None and candidate is not main:
            count = counts[candidate]
            if (count.heading_links > 1 or len(targets.get(candidate, ())) > 1 or count.h1
                    or count.text > _TEASER_MAX_TEXT):  # fmt: skip
                break
            if candidate.tag in _TEASER_TAGS:
                card = candidate
            candidate = candidate.getparent()
        if card is None or card is link or any(card is other or card in other.iterancestors() for other in cards):
            continue
        if is_heading:
            cards.append(card)
        elif _is_teaser_heading(card):
            cards.append(card)
            by_call_to_action += int(counts[card].heading_links == 0)
        elif _is_bold_titled(card):
            bold_titled.append(card)
    # A bold line may be a course page's own emphasis; cards that repeat are a listing's, or related
    # courses. They are not counted as a listing's items: teachers' bios are written the same way, and
    # a listing made of such cards keeps no course facts once they are gone.
    if len(bold_titled) >= 2:
        cards += bold_titled
    for card in cards:
        card.drop_tree()
    return by_call_to_action


def drop_calls_to_action(main: etree._Element) -> None:
    """Drop the page's own links that only say "Læs mere" (about prices, SVU, …), keeping the text
    around them: their words are not the course's, and a fact before one would end in them."""
    for link in list(main.iter("a")):
        if _READ_MORE_RE.fullmatch(clean_text(link.text_content())):
            link.drop_tree()


def block_text(element: etree._Element) -> str:
    """Text with one line per block element; list items start with '- ', table cells are ' | '-separated."""
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        tag = node.tag.lower() if isinstance(node.tag, str) else ""
        if tag:
            if tag == "br":
                parts.append("\n")
            elif tag in _BLOCK_TAGS:
                parts.append("\n")
            if tag == "li":
                parts.append("- ")
            elif tag in ("td", "th"):
                parts.append(" | ")
            if node.text:
                parts.append(node.text)
            for child in node:
                walk(child)
            if tag in _BLOCK_TAGS:
                parts.append("\n")
        if node.tail and node is not element:
            parts.append(node.tail)

    walk(element)
    return clean_text("".join(parts), keep_newlines=True)


def _cell_text(element: etree._Element) -> str:
    return clean_text(block_text(element).replace("\n", " ")).strip(" |")


@dataclass
class _Facts:
    values: dict[str, list[str]] = field(default_factory=dict)

    def add(self, label: str, value: str, *, repeat: bool = False) -> None:
        key = normalise_label(label)
        value = clean_text(value).strip(" |:")
        if not key or not value:
            return
        if key == "price":
            value = with_label_vat_note(label, value)
        if key not in self.values:
            self.values[key] = [value]
        elif repeat and value not in self.values[key]:
            self.values[key].append(value)

    def first(self, key: str) -> str | None:
        return self.values[key][0] if key in self.values else None

    def joined(self, key: str) -> str | None:
        return " ; ".join(self.values[key]) if key in self.values else None


def _structured_facts(container: etree._Element, facts: _Facts) -> None:
    """Facts from definition lists and tables (row-wise, or a schedule with labels in the header row)."""
    for dl in container.iter("dl"):
        label = None
        for child in dl.iter("dt", "dd"):
            if child.tag == "dt":
                label = _cell_text(child)
            elif label:
                facts.add(label, _cell_text(child), repeat=True)
    for element in container.iter(*_LABEL_CANDIDATES):
        # A label element with its value in the next element: fact cards ("<span>Pris</span><span>…</span>",
        # "<h3>Datoer</h3><p>…</p>"). A label with a colon and its value in the same text is read from text.
        sibling = element.getnext()
        while sibling is not None and not isinstance(sibling.tag, str):
            sibling = sibling.getnext()
        if sibling is None or len(element) > 1 or sibling.tag in ("br", "hr") or (element.tail or "").strip():
            continue
        label = _cell_text(element)
        if len(label) > 40 or normalise_label(label) is None:
            continue
        value = _cell_text(sibling)
        if value and normalise_label(value) is None:
            facts.add(label, value, repeat=True)
    for table in container.iter("table"):
        rows = [[cell for cell in row if isinstance(cell.tag, str) and cell.tag in ("td", "th")]
                for row in table.iter("tr")]  # fmt: skip
        rows = [row for row in rows if row]
        if not rows:
            continue
        header = rows[0]
        header_keys = [normalise_label(_cell_text(cell)) for cell in header]
        if len(header) >= 2 and all(cell.tag == "th" for cell in header) and sum(map(bool, header_keys)) >= 2:
            for row in rows[1:]:  # a schedule: one row per run, several starts
                for cell, header_cell in zip(row, header):
                    facts.add(_cell_text(header_cell), _cell_text(cell), repeat=True)
            continue
        for row in rows:
            if len(row) >= 2:
                facts.add(_cell_text(row[0]), " ".join(_cell_text(cell) for cell in row[1:]), repeat=True)


def _description(main: etree._Element) -> str | None:
    paragraphs = []
    for element in main.iter("p"):
        if any(ancestor.tag in ("dl", "table", "aside", "li") for ancestor in element.iterancestors()):
            continue
        text = _cell_text(element)
        if len(text) >= 40 and not _LABEL_LINE_RE.match(text):
            paragraphs.append(text)
        if sum(map(len, paragraphs)) > 1500:
            break
    return " ".join(paragraphs) or None


def _title_from(tree: lxml.html.HtmlElement, main: etree._Element) -> str | None:
    for scope in (main, tree):
        for heading in scope.iter("h1"):
            text = _cell_text(heading)
            if text:
                return text
    return None


def _page_title(tree: lxml.html.HtmlElement) -> list[str]:
    """The parts of the <title> ("Kursus - Udbyder", "Udbyder | Kursus")."""
    title = tree.find(".//title")
    if title is None or not title.text_content().strip():
        return []
    return [part for part in _TITLE_SPLIT_RE.split(clean_text(title.text_content())) if part.strip()]


def _title_part(parts: list[str], main_text: str) -> str | None:
    """The <title> part that the content shows on a line of its own (a heading without <h1>), else the first.

    Sites put their own name first or last; the content block shows the course's name."""
    lines = {line.strip().casefold() for line in main_text.split("\n")}
    return next((part for part in parts if part.casefold() in lines), parts[0] if parts else None)


def _linked_items(main: etree._Element) -> tuple[int, int]:
    """Headings that are links, and table rows that start with a link (if 3 or more): the items of a listing."""
    headings = main.xpath(".//h2[.//a] | .//h3[.//a] | .//h4[.//a] | .//a[.//h2 or .//h3 or .//h4]")
    rows = main.xpath(".//tr[(td|th)[1]//a[@href]]")
    return len(headings), (len(rows) if len(rows) >= 3 else 0)


def _repeated_labels(text: str) -> int:
    """How often the most frequent fact label occurs: listings repeat 'Pris:' once per card."""
    counts: dict[str, int] = {}
    for line in text.split("\n"):
        match = _LABEL_LINE_RE.match(line.strip())
        if match and (key := normalise_label(match[1])):
            counts[key] = counts.get(key, 0) + 1
    return max(counts.values(), default=0)


def _negative_url(url: str) -> bool:
    segments = [segment.lower() for segment in urlsplit(url).path.split("/") if segment]
    return any(segment in NEGATIVE_PATH_WORDS or segment.startswith("nyhed") for segment in segments)


def _page_language(tree: lxml.html.HtmlElement, text: str) -> str | None:
    """The page's `<html lang>`, where its words do not read as the other of Danish and English: a
    theme's template says "en-US" (WordPress's default) of a Danish page."""
    declared = _language(tree.get("lang"))
    read = text_language(text)
    return read if declared in ("da", "en") and read is not None and read != declared else declared


def _language(value: str | None) -> str | None:
    if not value:
        return None
    key = value.strip().lower()
    return _LANGUAGES.get(key) or _LANGUAGES.get(key.split("-")[0]) or (key if re.fullmatch(r"[a-z]{2}", key) else None)


def _canonical_link(tree: lxml.html.HtmlElement, url: str) -> str:
    """The page's rel=canonical when it could be this page, else the URL fetched.

    It could not be when it is on another host, or is the site's front page or a folder above the
    page (/kurser/ for /kurser/jura): CMSs misconfigured to name one of those on every page would
    merge every course into one record. Distinct pages naming one other URL are caught after the
    crawl (crawler/journal.py)."""
    own = canonical_url(url)
    for href in tree.xpath('//link[@rel="canonical"]/@href'):
        candidate = urljoin(url, href.strip())
        if urlsplit(candidate).hostname != urlsplit(url).hostname or not candidate.startswith("http"):
            continue
        candidate = canonical_url(candidate)
        if candidate != own and _is_above(urlsplit(candidate).path, urlsplit(own).path):
            continue
        return candidate
    return own


def _is_above(path: str, page_path: str) -> bool:
    """Whether `path` is the front page or a folder above `page_path` (by whole segments)."""
    above = [segment for segment in path.split("/") if segment]
    page = [segment for segment in page_path.split("/") if segment]
    return len(above) < len(page) and page[: len(above)] == above


# ---------------------------------------------------------------------------------------------
# The whole page
# ---------------------------------------------------------------------------------------------


def extract_course(html: str, url: str, hints: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
    """A course record (PRODUCT.md §3 field names, JSON-ready) from a page, or None if it is no course page.

    `hints` (from the source registry) may give provider, course_type, form and language: they fill
    only what the page leaves unknown."""
    hints = hints or {}
    tree = _parse_html(html)
    if tree is None:
        return None
    structured = _from_structured(jsonld_nodes(tree))
    if not structured.is_course:
        microdata = _from_structured(microdata_nodes(tree))
        if microdata.is_course or microdata.is_listing:
            structured = microdata
    og = opengraph(tree)
    page_title = _page_title(tree)
    record_url = _canonical_link(tree, url)

    _strip_boilerplate(tree)
    main = _main_element(tree)
    drop_link_blocks(main)
    listing_text = block_text(main)
    linked_headings, linked_rows = _linked_items(main)  # counted before the teasers go: a listing lists them
    linked_headings += drop_teasers(main, record_url)
    drop_calls_to_action(main)
    main_text = block_text(main)
    facts = _Facts()
    _structured_facts(main, facts)
    for key, value in parse_labelled_facts(main_text).items():
        facts.values.setdefault(key, [value])
    for aside in tree.iter("aside"):  # fact boxes beside the article
        if aside is main or main in aside.iterancestors():
            continue
        aside_facts = _Facts()
        drop_calls_to_action(aside)
        _structured_facts(aside, aside_facts)
        for key, value in parse_labelled_facts(block_text(aside)).items():
            aside_facts.values.setdefault(key, [value])
        for key, values in aside_facts.values.items():
            facts.values.setdefault(key, values)

    fields = dict(structured.fields)
    title = fields.get("title") or _title_from(tree, main) or og.get("title") or _title_part(page_title, main_text)
    if not title:
        return None

    # Is this a course page?
    negative = _negative_url(url) or bool(_NEGATIVE_TITLE_RE.match(title))
    # WordPress (Yoast) says og:type "article" of every page: it asks for more of a course's facts, not none
    article = og.get("type") == "article"
    if structured.is_listing:
        return None
    if not structured.is_course:
        if negative or structured.non_course:
            return None
    parsed = _parsed_facts(facts)
    cancelled = fields.pop("cancelled", False) or _cancelled(title, facts, main_text)
    goals_heading = has_goal_heading(main_text)
    if not structured.is_course:
        # The page's own facts, outside the teaser cards (drop_teasers).
        evidence = sum(1 for key in _COURSE_FACT_KEYS if parsed.get(key) not in (None, []))
        ongoing = f"{facts.joined('start') or ''} {facts.joined('enrolment') or ''}"
        if not parsed.get("start") and _ONGOING_START_RE.search(ongoing):
            evidence += 1  # e-learning that starts any time ("Tilmelding: løbende optag"): a course fact, no date
        linked = linked_headings + linked_rows
        listing = linked >= 3 or (linked >= 2 and _repeated_labels(listing_text) >= 2)
        if linked_rows or (listing and evidence < 2):
            return None  # a listing; a course page with its own facts may still show teasers of others
        type_cue = parse_course_type(title, url) is not None
        if evidence == 0 and not goals_heading:
            return None
        if evidence + type_cue + goals_heading + ("form" in facts.values) < 2 or (article and evidence < 2):
            return None

    def fill(key: str, value: Any) -> None:
        if fields.get(key) in (None, "", []) and value not in (None, "", []):
            fields[key] = value

    fill("title", title)
    fill("description", og.get("description") or og.get("meta_description") or _description(main))
    if hints.get("provider"):
        fields["provider"] = hints["provider"]  # the registry names the provider authoritatively
    fill("provider", facts.first("provider"))
    fill("provider", og.get("site_name"))
    fill("ects", parsed.get("ects"))
    if fields.get("price_dkk") == 0 and (parsed.get("price") or 0) > 0:
        fields["price_dkk"] = None  # schema.org's price 0 as a CMS placeholder: the page states one
    fill("price_dkk", parsed.get("price"))
    fill("start_dates", parsed.get("start"))
    fill("application_deadline", parsed.get("deadline") or parse_deadline_phrase(main_text))
    fill("duration_days", parsed.get("duration") or parsed.get("run_days"))
    fill("location", _places(facts.values.get("location", [])))
    fill("form", parse_form(facts.joined("form") or "") or parse_form(facts.first("location") or "")
         or parse_form(title) or _form_in_running_text(main_text))  # fmt: skip
    fill("target_group", facts.first("target_group"))
    fill("admission", facts.first("admission"))
    fill("language", facts.first("language"))
    fields["language"] = _language(fields.get("language")) or _page_language(tree, main_text)
    if goals_heading and (goals := parse_learning_goals(main_text)):
        fields["learning_goals"] = goals  # under the page's own headings, over schema.org's `teaches`

    # The page's own words outrank its URL folder ("Diplommodul …" under /kurser/ is diplom); the title
    # speaks first, as it names the page.
    course_type = (
        parse_course_type(facts.first("course_type") or "")
        or parse_course_type(structured.type_text)
        or parse_course_type(title)
        or parse_course_type(_type_text(main_text, facts), url)
    )
    fill("course_type", course_type)
    fill("eqf_level", eqf_for_course_type(fields.get("course_type")))
    for key in ("course_type", "form", "language"):
        fill(key, hints.get(key))
    fill("eqf_level", eqf_for_course_type(fields.get("course_type")))
    record = _record(fields, record_url)
    if cancelled:
        record["withdrawn"] = True
    return record


_PLACE_SPLIT_RE = re.compile(r"\s*(?:[,;&]|\bog\b)\s*")


def _places(values: list[str], split: bool = True) -> str | None:
    """Every place the page gives, in its order, joined by ", " (a schedule's holds in Aarhus, Odense and
    København): the record has one location, and the place filter matches a part of it, so each place
    is found. Without `split`, each value is one place (schema.org's: "Aalborg Kongres & Kultur
    Center"). A sentence's closing period goes ("Sted: Esbjerg. Undervisningsform: …"), an
    abbreviation's stays ("Kbh.", "Aarhus C.")."""
    places: list[str] = []
    for value in values:
        last = _LAST_WORD_RE.search(value)
        if last and _VOWEL_RE.search(last[1]):
            value = value[:-1].rstrip()
        # "Aarhus, Odense og København" and a schedule's "Aarhus", "Odense": each place once, the
        # fuller name kept ("Aarhus C" over "Aarhus")
        for part in filter(None, _PLACE_SPLIT_RE.split(value) if split else [value]):
            folded = part.casefold()
            fuller = next((i for i, p in enumerate(places) if folded.startswith(p.casefold() + " ")), None)
            if fuller is not None:
                places[fuller] = part
            elif not any(p.casefold() == folded or p.casefold().startswith(folded + " ") for p in places):
                places.append(part)
    return ", ".join(places) or None


def _type_text(main_text: str, facts: _Facts) -> str:
    """The content that may state the course's type: without what it asks of or says about its
    participants ("Adgangskrav: en akademiuddannelse" is no akademi course)."""
    text = main_text[:4000]
    for key in ("admission", "target_group"):
        for value in facts.values.get(key, []):
            text = text.replace(value, " ")
    return text


def _form_in_running_text(text: str) -> str | None:
    # "Rekvirerbar" is trusted anywhere; the other forms only in a sentence about the teaching, as
    # "online" elsewhere in running text is too often about something else.
    return "rekvirerbar" if parse_form(text) == "rekvirerbar" else parse_teaching_form(text)


def _parsed_facts(facts: _Facts) -> dict[str, Any]:
    parsed: dict[str, Any] = {}
    if prices := facts.values.get("price"):
        parsed["price"] = parse_price(prices[0], others=prices[1:])
    if (text := facts.first("ects")) is not None:
        parsed["ects"] = parse_ects(text) or parse_ects(f"{text} ECTS")
    if parsed.get("ects") is None and (text := facts.joined("duration")) is not None:
        parsed["ects"] = parse_ects(text)  # "Omfang: 7,5 ECTS-point": scope in points, under a duration label
    stated_deadline = None
    if (text := facts.joined("start")) is not None:
        # "Holdstart: 3. marts 2027 (ansøgningsfrist 1. februar 2027)": the deadline is no start
        text, stated_deadline = without_deadlines(text)
        runs = parse_runs(text)  # "3.-4. marts 2027": one start, two days
        parsed["start"] = [run.start for run in runs]
        parsed["run_days"] = run_days(runs)
    if (text := facts.first("duration")) is not None:
        parsed["duration"] = parse_duration(text)
    if (text := facts.first("course_days")) is not None:
        # "Undervisningsdage: 6. september 2027 og 4. oktober 2027": the days of one run, beside a
        # "Varighed: 3 dage" too; "Kursusdage: 3" says how many
        if days := sorted({run.start for run in parse_runs(text)}):
            parsed["start"] = parsed.get("start") or days[:1]
            parsed["duration"] = parsed.get("duration") or float(len(days))
        else:
            parsed["duration"] = parsed.get("duration") or parse_duration(text)
    if (text := facts.first("deadline")) is not None:
        parsed["deadline"] = parse_deadline(text, parsed.get("start") or [])
    parsed["deadline"] = parsed.get("deadline") or stated_deadline
    if "ects" not in parsed or parsed["ects"] is None:
        parsed.pop("ects", None)
    return parsed


def _record(fields: dict[str, Any], url: str) -> dict[str, Any]:
    record: dict[str, Any] = {
        "url": url, "provider": None, "title": None, "description": None, "learning_goals": [],
        "course_type": None, "eqf_level": None, "ects": None, "duration_days": None, "price_dkk": None,
        "form": None, "location": None, "start_dates": [], "application_deadline": None, "target_group": None,
        "admission": None, "language": None,
    }  # fmt: skip
    for key, value in fields.items():
        if key in record:
            record[key] = value
    for key, limit in MAX_TEXT.items():
        if isinstance(record[key], str) and len(record[key]) > limit:
            record[key] = record[key][: limit - 1].rstrip() + "…"
    # a date in a year no course runs in (9999, a typo such as 2207): unknown, not invalid
    record["start_dates"] = [date.isoformat() for date in sorted(set(record["start_dates"]))
                             if EARLIEST_DATE <= date <= LATEST_DATE]
    if isinstance(record["application_deadline"], dt.date):
        deadline = record["application_deadline"]
        record["application_deadline"] = deadline.isoformat() if EARLIEST_DATE <= deadline <= LATEST_DATE else None
    for key, (low, high) in _RANGES.items():
        if record[key] is not None:
            value = float(record[key])
            record[key] = value if low < value <= high else None  # out of range: unknown, not invalid
    if record["eqf_level"] is not None and not 1 <= int(record["eqf_level"]) <= 8:
        record["eqf_level"] = None
    return record


# Exclusive lower, inclusive upper bounds of the course record (matcher.course.Course).
_RANGES = {"ects": (0.0, float(MAX_ECTS)), "price_dkk": (-1.0, 10_000_000.0), "duration_days": (0.0, 400.0)}
