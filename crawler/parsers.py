"""Danish field parsers: pure functions from the text of a course page to course-record facts.

Each parser returns None (or an empty list/dict) when it cannot read a value with confidence:
the course record says "unknown" with null and never guesses (PRODUCT.md §3).

Choices where Danish pages are ambiguous (also in each function's docstring):

* price: the first amount after a price label ("Pris", "Deltagerbetaling", ...), else the first
  amount in the text; amounts per ECTS / hour / month / day / week are never the base price; "Gratis" is 0.0
  only when no amount is given. The number is as stated, with or without VAT as the page says;
  where it states the same price both ways, the amount without VAT.
* dates: "primo" is the 1st, "medio" the 15th, "ultimo" the last day of the month; a month with a
  year ("februar 2027") is its 1st; "uge W" is the Monday of ISO week W; a date without a year is
  the next such date on/after `today`. `parse_date` returns the first date in text order.
* duration: a range of days gives its lower bound (the stated minimum); weeks and semesters give
  None in days (how many teaching days they hold is not stated). Hours alone ("6 timer", an
  e-learning course) are course days of 7.4 hours in `parse_duration`, which the extractor uses.
* form: rekvirerbar > blended > online > fysisk when several cues occur; online and on-site cues
  together read as blended.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, cast

from crawler.page_words import page_words
from matcher import clock
from matcher.course import HOURS_PER_COURSE_DAY, MAX_DURATION_DAYS, MAX_ECTS, MAX_PRICE_DKK, CourseType, Form, GoalKind
from matcher.numbers import parse_number
from matcher.text import strip_controls

# ---------------------------------------------------------------------------------------------
# Domain tables
# ---------------------------------------------------------------------------------------------

# The words of pages (months, labels, headings, cues) live in crawler/page_words.yaml, for a domain expert
# to edit; these names are its tables as the parsers use them.
_WORDS = page_words()
MONTHS: dict[str, int] = dict(_WORDS.months)
MONTH_NAMES: dict[int, str] = {n: next(name for name, m in MONTHS.items() if m == n) for n in range(1, 13)}  # first spellings
PART_OF_MONTH: dict[str, Literal["first", "middle", "last"]] = dict(_WORDS.part_of_month)
NUMBER_WORDS: dict[str, float] = dict(_WORDS.number_words)
LABELS: dict[str, str] = dict(_WORDS.labels)
DEADLINE_PHRASES = tuple(_WORDS.deadline_phrases)

EQF_BY_COURSE_TYPE: dict[str, int] = dict(_WORDS.eqf_by_course_type)
COURSE_TYPE_CUES: dict[str, str] = dict(_WORDS.course_type_cues)
GENERIC_TYPE_CUES: dict[str, str] = dict(_WORDS.generic_type_cues)
URL_TYPE_WORDS: dict[str, frozenset[str]] = {kind: frozenset(words) for kind, words in _WORDS.url_type_words.items()}
FORM_CUES: dict[str, str] = dict(_WORDS.form_cues)
DAYTIME_WORDS = frozenset(_WORDS.daytime_words)
NOT_PLACE_WORDS = DAYTIME_WORDS | frozenset(_WORDS.not_place_words)
GOAL_HEADINGS: dict[str, str] = dict(_WORDS.goal_headings)
GOAL_VERB_CUES: dict[str, str] = dict(_WORDS.goal_verb_cues)
GOAL_SECTION_HEADINGS = tuple(_WORDS.goal_section_headings)
SECTION_HEADINGS_AFTER_GOALS = tuple(_WORDS.section_headings_after_goals)

# ---------------------------------------------------------------------------------------------
# Shared patterns
# ---------------------------------------------------------------------------------------------

_I = re.IGNORECASE
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))  # soft hyphen, zero-widths
_SPACES_RE = re.compile(r"[^\S\n]+")  # whitespace except newlines (nbsp included)
_NEWLINES_RE = re.compile(r"\s*\n\s*")
_ANY_SPACE_RE = re.compile(r"\s+")

# An integer in any grouping a page uses: 12.500 / 12,500 / 12 500 / 12500; then an optional
# decimal part of one or two digits (12.500,50).
_INT = r"(?:\d{1,3}(?:\.\d{3})+|\d{1,3}(?:,\d{3})+|\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+)(?!\d)"
_AMOUNT = rf"(?<![\d.,]){_INT}(?:[.,]\d{{1,2}}(?![\d]))?"
_DASH_SUFFIX = r",(?:-{1,2}|–)"
_NUMBER_NOISE_RE = re.compile(rf"\s|{_DASH_SUFFIX}$")
_CURRENCY = r"(?<![a-zæøå])(?:kr\.?|kroner|dkk)(?![a-zæøå])"
_PRICE_RE = re.compile(
    rf"{_CURRENCY}\s*({_AMOUNT})(?:{_DASH_SUFFIX})?"
    rf"|({_AMOUNT})\s*(?:{_DASH_SUFFIX})?\s*{_CURRENCY}"
    rf"|({_AMOUNT}){_DASH_SUFFIX}",
    _I,
)
_PER_UNIT_RE = re.compile(
    r"\s*(?:(?:pr\.?|per|/|om|i)\s*(?:ects|time[n]?|timer|lektion\w*|måned\w*|md\.?|hour)"
    # a day's or a week's price is not the course's ("i dag" is "today": not a unit here)
    r"|(?:pr\.?|per|/)\s*(?:(?:kursus|undervisnings)?dag(?:en)?|uge[n]?|day|week)|om\s*(?:dagen|ugen))(?![a-zæøå])", _I
)
# The unit named before the amount: "Pris pr. dag: 3.500 kr.", "Dagspris 3.500 kr."; or a saving
# ("Spar 500 kr.", "rabat på 10 %"), which is no price either.
_PER_UNIT_BEFORE_RE = re.compile(
    r"(?:(?:pr\.?|per)\s*(?:(?:kursus|undervisnings)?dag|uge|time|lektion|måned|ects(?:-point)?)|(?:dags|uge|time)pris"
    r"|\bspar(?:er)?|\brabat(?:ten)?(?:\s+(?:på|er))?"
    r"|(?<!\w)[àá])"  # "15 ECTS-point à 800 kr.", "3 dage à 1.500 kr.": the unit's price
    r"\s*:?\s*(?:kr\.?|dkk)?\s*$", _I
)
# A price label in running text: the one-word labels of a price (LABELS), "Pris", "Deltagerbetaling" …
_PRICE_WORDS = sorted((label for label, fact in LABELS.items() if fact == "price" and " " not in label), key=len, reverse=True)
_PRICE_LABEL_RE = re.compile(r"(?<![a-zæøå])(?:" + "|".join(map(re.escape, _PRICE_WORDS)) + r")(?![a-zæøå])", _I)
_BARE_PRICE_RE = re.compile(rf"\s*(?:(?:pris|deltagerbetaling)\s*:?\s*)?({_AMOUNT})(?:{_DASH_SUFFIX})?\s*", _I)
_FREE_RE = re.compile(
    r"\bgratis\b|\buden beregning\b|\bingen (?:deltager)?(?:betaling|gebyr|pris)\b|\bfree of charge\b"
    r"|\bomkostningsfri\w*",
    _I,
)
_VAT_RE = re.compile(
    r"(?P<ekskl>\b(?:ekskl|eksl|eks|excl|ex|eksklusiv[e]?|uden|excluding)\.?\s*(?:moms|vat)\b|(?:\+|\bplus)\s*moms\b)"
    r"|(?P<inkl>\b(?:inkl|incl|inklusiv[e]?|med|including)\.?\s*(?:moms|vat)\b)",
    _I,
)
# A VAT note right after an amount ("12.500 kr. ekskl. moms", "4.000,- (inkl. moms)").
_VAT_AFTER_RE = re.compile(rf"[\s(,]*(?:{_VAT_RE.pattern})", _I)
VAT_RATE = 0.25  # Danish moms

_ECTS_WORD = r"(?<![a-z])ects(?![a-z])(?:[\s-]*(?:point|points|credits?))?"
_SMALL_NUMBER = r"\d{1,3}(?:[.,]\d{1,2})?(?![\d])"
_ECTS_AFTER_RE = re.compile(
    rf"(?<![\d.,])(?:({_SMALL_NUMBER})\s*(?:-|–|til|eller|/)\s*)?({_SMALL_NUMBER})\s*-?\s*{_ECTS_WORD}", _I
)
_ECTS_BEFORE_RE = re.compile(
    rf"{_ECTS_WORD}[\s:=*_]*({_SMALL_NUMBER})(\s*(?:-|–|til|eller|/)\s*\d)?", _I
)

_MONTH_ALT = "|".join(sorted(map(re.escape, MONTHS), key=len, reverse=True))
_MONTH = rf"(?P<month>{_MONTH_ALT})(?![a-zæøå])\.?"
_YEAR = r"(?P<year>\d{4})(?!\d)"
MIN_YEAR, MAX_YEAR = 1900, 2199

_ISO_DATE_RE = re.compile(r"(?<![\d-])(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})(?!\d)")
# Day first, always: 3/2-2027 is the 3rd of February on Danish pages.
# A space before the year only after a slash ("3/2 2027"): "kl. 9-12 2027" is no date.
_NUMERIC_DATE_RE = re.compile(
    r"(?<![\d./-])(?P<day>\d{1,2})(?:[.-](?P<month>\d{1,2})[./-](?P<year>\d{4}|\d{2})"
    r"|/(?P<smonth>\d{1,2})(?:[./-]|\s)(?P<syear>\d{4}|(?<=[./-])\d{2}))(?![\d]|[./-]\d)"
)
# Bounded repeats keep every pattern linear on hostile text ("1, 1, 1, ...").
_DAY_LIST = r"(?P<days>(?:\d{1,2}\.?\s*(?:-|–|og|,|&|\+|til)\s*){0,8})"
_TEXT_DATE_RE = re.compile(
    rf"(?<![\d.]){_DAY_LIST}(?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?:\.\s*|\s+)(?:of\s+)?{_MONTH}(?:\s*,?\s*{_YEAR})?", _I
)
_WEEK_RE = re.compile(
    r"\b(?:uge|week|uge nr\.?)\s*(?P<week>\d{1,2})(?!\d)(?:\s*(?:-|–|og|til)\s*\d{1,2}(?!\d))?"
    r"(?:\s*[,/]?\s*(?:i\s+)?(?P<year>\d{4})(?!\d))?",
    _I,
)
_PART_ALT = "|".join(part.replace(" ", r"\s+") for part in sorted(PART_OF_MONTH, key=len, reverse=True))
_PART_OF_MONTH_RE = re.compile(rf"\b(?P<part>{_PART_ALT})\s+{_MONTH}(?:\s*,?\s*{_YEAR})?", _I)
_MONTH_YEAR_RE = re.compile(rf"(?<![\w.]){_MONTH}\s*,?\s*{_YEAR}", _I)
_DAY_AND_JOIN_RE = re.compile(r"(\d{1,2})\.?\s*(-|–|og|,|&|\+|til)", _I)
# How two dates are joined: a range ("3.-4. marts", "30. januar - 2. februar") or a list ("3. og 4. marts").
_JOIN_RES = {"range": re.compile(r"\s*(?:-|–|—|til)\s*", _I), "list": re.compile(r"\s*(?:og|,|&|\+)\s*", _I)}
MAX_RUN_DAYS = 5  # a block of course days; a longer span ("1. marts - 30. april") is a period, its days unstated
_PART_DAYS: dict[str, int | Literal["last"]] = {"first": 1, "middle": 15, "last": "last"}
_RANGE_JOIN_RE = re.compile(r"\s*(?:-|–|til|og|,|&)?\s*")

_NUMBER_WORD_ALT = "|".join(sorted(map(re.escape, NUMBER_WORDS), key=len, reverse=True))
_DUR_NUM = rf"(?:\d+(?:[.,]\d+)?(?:\s*½)?|½|(?<![a-zæøå])(?:{_NUMBER_WORD_ALT}))"
_DAY_WORD = r"[a-zæøå]*dag(?:e|es)?(?![a-zæøå])"
_HOUR_WORD = r"(?:[a-zæøå]*timer?|hours?)(?![a-zæøå])"
_MINUTE_WORD = r"(?:minutter|minut|min\.?)(?![a-zæøå])"


def _duration_re(unit: str) -> re.Pattern[str]:
    # [3 x] [7 -] 8 <unit>, where the count may be a sum ("2 + 1 dage").
    return re.compile(
        rf"(?<![\d.,])(?:(?P<mult>{_DUR_NUM})\s*(?:x|×|\*|gange)\s*)?(?:(?P<low>{_DUR_NUM})\s*(?:-|–|til)\s*)?"
        rf"(?P<count>{_DUR_NUM}(?:\s*\+\s*{_DUR_NUM}){{0,4}})\s*-?\s*{unit}",
        _I,
    )


_DAYS_RE = _duration_re(_DAY_WORD)
_HOURS_RE = _duration_re(_HOUR_WORD)
_MINUTES_RE = _duration_re(_MINUTE_WORD)
# "2-dages kursus", "endagskursus", "heldagsseminar".
_DAYS_COMPOUND_RE = re.compile(
    rf"(?<![a-zæøå\d])(?P<count>\d+(?:[.,]\d+)?|{_NUMBER_WORD_ALT})[- ]?dags(?![a-zæøå]*dage)", _I
)
_DAYS_JOIN_RE = re.compile(r"\s*(?:\+|og|samt)\s*")
# "2 dage om ugen" is a rhythm and "14 dage før start" a deadline, not the length.
_NOT_LENGTH_RE = re.compile(
    r"\s*(?:(?:om|pr\.?|per|hver|i|a)\s*(?:ugen|uge|måneden|måned|semestret|semester|week)\b"
    r"|(?:før|efter|inden|senere|forinden|siden)\b)",
    _I,
)
# Units beside which stated hours are a workload, not course time.
_LONGER_SCOPE_RE = re.compile(
    r"(?<![a-zæøå])(?:uge[nr]?|ugers|måned\w*|md\.|semest\w*|år(?:et)?|weeks?|months?|semesters?|years?"
    r"|ects)(?![a-zæøå])",
    _I,
)

_FORM_RES: dict[str, re.Pattern[str]] = {kind: re.compile(cue, _I) for kind, cue in FORM_CUES.items()}
# Signing up or paying online says nothing about how the course is taught.
_FORM_NOISE_RE = re.compile(
    r"\b(?:tilmeld\w*|ansøg\w*|søg|betal\w*|bestil\w*)\s+(?:dig\s+|her\s+|jer\s+)?online\b"
    r"|\bonline[- ]?(?:tilmelding|ansøgning|betaling|butik)\w*",
    _I,
)
_DAYTIME_RE = re.compile(r"(?<![a-zæøå])(?:" + "|".join(map(re.escape, sorted(DAYTIME_WORDS))) + r")(?![a-zæøå])", _I)
_CAPITALISED_RE = re.compile(r"(?<![\w])[A-ZÆØÅ][a-zæøå]{2,}")
_POSTCODE_RE = re.compile(r"\b\d{4}\s+[A-ZÆØÅ]")

_TYPE_RES = {kind: re.compile(cue, _I) for kind, cue in COURSE_TYPE_CUES.items()}
_GENERIC_TYPE_RES = {kind: re.compile(cue, _I) for kind, cue in GENERIC_TYPE_CUES.items()}
_URL_SPLIT_RE = re.compile(r"[/_.?=&#]+")

_GOAL_CUE_RES: dict[str, re.Pattern[str]] = {kind: re.compile(cue, _I) for kind, cue in GOAL_VERB_CUES.items()}
_BULLET_RE = re.compile(r"^\s*(?:[-*•·–—▪►✓o]\s+|\d{1,2}[.)]\s+|[a-h]\)\s+)")
_INLINE_BULLET_RE = re.compile(r"\s+[•·▪►]\s+")
_SENTENCE_END_RE = re.compile(r"(?<=[.!?;])\s+(?=[A-ZÆØÅ0-9\"“])")
_ABBREVIATION_END_RE = re.compile(r"\b(?:f\.eks|bl\.a|jf|ca|pr|nr|mv|osv|dvs|inkl|ekskl|m\.m|evt|mht)\.$", _I)
_INLINE_HEADING_RE = re.compile(r"^\W*(?P<head>[^:]{3,30}):\s*(?P<rest>.+)$")
_TRAILING_JOIN_RE = re.compile(r"[\s,;]+(?:og|samt|and)?\s*$", _I)


# ---------------------------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------------------------


def clean_text(text: str, *, keep_newlines: bool = False) -> str:
    """NFC-normalise, drop soft hyphens and zero-width marks, turn nbsp into space, collapse whitespace.

    With `keep_newlines`, line breaks survive (one per run of blank lines) so line-based parsers
    can still see the page's structure. Control characters go (matcher.text, as at ingest)."""
    text = unicodedata.normalize("NFC", strip_controls(text)).translate(_INVISIBLE)
    if not keep_newlines:
        return _ANY_SPACE_RE.sub(" ", text).strip()
    text = _SPACES_RE.sub(" ", text)
    return _NEWLINES_RE.sub("\n", text).strip()


def _to_float(token: str) -> float | None:
    """Read a number written the Danish way (12.500,50), the English way (12,500.50) or spaced (12 500)."""
    try:
        return parse_number(_NUMBER_NOISE_RE.sub("", token), english_grouping=True)
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------------
# ECTS
# ---------------------------------------------------------------------------------------------


def parse_ects(text: str) -> float | None:
    """ECTS points of the first mention ("10 ECTS", "ECTS: 5", "7,5 ECTS-point"); None for ranges."""
    text = clean_text(text)
    found: list[tuple[int, float | None]] = []
    for match in _ECTS_AFTER_RE.finditer(text):
        found.append((match.start(), None if match.group(1) else _to_float(match.group(2))))
    for match in _ECTS_BEFORE_RE.finditer(text):
        found.append((match.start(), None if match.group(2) else _to_float(match.group(1))))
    for _, value in sorted(found, key=lambda item: item[0]):
        if value is not None and 0 < value <= MAX_ECTS:
            return value
        if value is None:
            return None  # "5-10 ECTS" states no single value
    return None


# ---------------------------------------------------------------------------------------------
# Price
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Amount:
    start: int
    value: float
    per_unit: bool
    vat: str | None  # the VAT note right after the amount: "ekskl", "inkl" or None


def _amounts(text: str) -> list[_Amount]:
    amounts = []
    for match in _PRICE_RE.finditer(text):
        value = _to_float(match.group(1) or match.group(2) or match.group(3))
        if value is None or not 0 <= value <= MAX_PRICE_DKK:
            continue
        per_unit = bool(_PER_UNIT_RE.match(text, match.end())) or bool(
            _PER_UNIT_BEFORE_RE.search(text[max(match.start() - 30, 0): match.start()]))
        note = _VAT_AFTER_RE.match(text, match.end())
        vat = None if note is None else "ekskl" if note["ekskl"] else "inkl"
        amounts.append(_Amount(match.start(), value, per_unit, vat))
    return amounts


def _without_vat(chosen: _Amount, amounts: Iterable[_Amount]) -> _Amount:
    """The same price stated without VAT, where the page also gives it: an amount noted "ekskl. moms"
    of which the chosen one is the amount with Danish VAT (25 %, to within 1 %)."""
    if chosen.vat == "ekskl":
        return chosen
    for amount in amounts:
        if amount.vat == "ekskl" and abs(amount.value * (1 + VAT_RATE) - chosen.value) <= 0.01 * chosen.value:
            return amount
    return chosen


def parse_price(text: str, *, others: Iterable[str] = ()) -> float | None:
    """The base price in DKK, as stated: VAT is never added or taken off.

    The first amount after a price label ("Pris", "Deltagerbetaling", ...), else the first amount
    with a currency ("kr.", "DKK", ",-"); amounts per ECTS, hour or month are skipped. Where the page
    states that price both with and without VAT, in `text` ("15.625 kr. inkl. moms (12.500 kr. ekskl.
    moms)") or in `others` (the page's further price facts), the amount without VAT. A text that is
    only a number (a price cell) is read as that number. "Gratis" gives 0.0 when no amount is given."""
    text = clean_text(text)
    amounts = [amount for amount in _amounts(text) if not amount.per_unit]
    pool = [*amounts, *(amount for other in others for amount in _amounts(clean_text(other)) if not amount.per_unit)]
    label = _PRICE_LABEL_RE.search(text)
    if label:
        after_label = [amount for amount in amounts if amount.start >= label.start()]
        if after_label:
            return _without_vat(after_label[0], pool).value
    if amounts:
        return _without_vat(amounts[0], pool).value
    bare = _BARE_PRICE_RE.fullmatch(text)
    if bare:
        return _to_float(bare.group(1))
    if _FREE_RE.search(text) and not _amounts(text):
        return 0.0
    return None


# UN/CEFACT unit codes that schema.org's unitCode gives for a unit price.
_UNIT_CODES = {"HUR": "time", "DAY": "dag", "WEE": "uge", "MON": "måned"}


def is_unit_price(unit: str) -> bool:
    """Whether a price stated per `unit` (schema.org's `unitText` or `unitCode`: "ECTS", "time", "HUR")
    is a price per ECTS point, hour, day, week or month, and so no course price."""
    unit = _UNIT_CODES.get(unit.strip().upper(), unit)
    return bool(_PER_UNIT_RE.match(f" per {unit}"))


def price_vat_note(text: str) -> Literal["ekskl", "inkl"] | None:
    """Whether the price is stated without ("ekskl") or with ("inkl") VAT; the first note wins."""
    match = _VAT_RE.search(clean_text(text))
    if not match:
        return None
    return "ekskl" if match.group("ekskl") else "inkl"


def with_label_vat_note(label: str, value: str) -> str:
    """A price value with its label's VAT note ("Pris ekskl. moms" + "12.500 kr." → "12.500 kr. (ekskl.
    moms)"), so `parse_price` can tell the two of a page that states both."""
    note = price_vat_note(label)
    return f"{value} ({note}. moms)" if note and not price_vat_note(value) else value


# ---------------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------------


def _valid_date(year: int, month: int, day: int) -> dt.date | None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None  # 31. februar and friends


def _next_on_or_after(month: int, day: int | Literal["last"], today: dt.date) -> dt.date | None:
    """The first (month, day) on or after `today`; 29 February waits for a leap year."""
    for year in range(today.year, today.year + 9):
        candidate = _valid_date(year, month, _day_in(year, month, day))
        if candidate and candidate >= today:
            return candidate
    return None


def _day_in(year: int, month: int, day: int | Literal["last"]) -> int:
    return calendar.monthrange(year, month)[1] if day == "last" else day


@dataclass(frozen=True)
class _Found:
    """A date-shaped span; `date` is None when the span names no real date (31. februar)."""

    start: int
    end: int
    date: dt.date | None
    joins_next: str = ""  # inside a day list ("3.-4.", "3. og 4."): how it joins the next day ("range", "list")


def _mask(text: str, start: int, end: int) -> str:
    # Keep offsets stable so later patterns can report positions in the original text.
    return text[:start] + " " * (end - start) + text[end:]


def _iso_dates(text: str) -> list[_Found]:
    found = []
    for m in _ISO_DATE_RE.finditer(text):
        date = _valid_date(int(m["year"]), int(m["month"]), int(m["day"]))
        found.append(_Found(m.start(), m.end(), date))
    return found


def _numeric_dates(text: str) -> list[_Found]:
    found = []
    for m in _NUMERIC_DATE_RE.finditer(text):
        year_text = m["year"] or m["syear"]
        year = int(year_text) + (2000 if len(year_text) == 2 else 0)
        date = _valid_date(year, int(m["month"] or m["smonth"]), int(m["day"]))
        found.append(_Found(m.start(), m.end(), date))
    return found


def _text_dates(text: str, today: dt.date) -> list[_Found]:
    """'3. februar 2027', '3 feb. 2027', '3. og 4. februar 2027', '1. september' (next one)."""
    matches = list(_TEXT_DATE_RE.finditer(text))
    found = []
    for index, m in enumerate(matches):
        month = MONTHS[m["month"].lower()]
        listed = _DAY_AND_JOIN_RE.findall(m["days"] or "")
        days = [(int(day), _join_kind(join)) for day, join in listed] + [(int(m["day"]), "")]
        year = int(m["year"]) if m["year"] else _year_from_next(text, m, matches[index + 1 :], month)
        if year is None and 1 <= days[-1][0] <= 31:
            # "12.-13. januar": one year for the block, the one whose last day has not passed (each day
            # on its own had made the 12th next year's and the 13th this year's)
            last = _next_on_or_after(month, days[-1][0], today)
            year = last.year if last else None
        for day, join in days:
            date = _valid_date(year, month, day) if year is not None else None
            found.append(_Found(m.start(), m.end(), date, join))
    return found


def _join_kind(join: str) -> str:
    return next((kind for kind, pattern in _JOIN_RES.items() if pattern.fullmatch(join)), "")


def _year_from_next(text: str, match: re.Match[str], following: list[re.Match[str]], month: int) -> int | None:
    # "30. januar - 2. februar 2027": the first date takes the year of the second, and "3. marts, 17.
    # marts og 31. marts 2027" each the year of the last: dates joined as a range or a list.
    previous = match
    for nxt in following:
        if not _RANGE_JOIN_RE.fullmatch(text, previous.end(), nxt.start()):
            return None
        if nxt["year"]:
            year = int(nxt["year"])
            return year - 1 if month > MONTHS[nxt["month"].lower()] else year
        previous = nxt
    return None


def _week_dates(text: str, today: dt.date) -> list[_Found]:
    """'uge 6, 2027' → Monday of ISO week 6 of 2027; without a year, the week that has not ended."""
    found = []
    for m in _WEEK_RE.finditer(text):
        week = int(m["week"])
        date = _iso_monday(int(m["year"]), week) if m["year"] else _next_week_monday(week, today)
        found.append(_Found(m.start(), m.end(), date))
    return found


def _iso_monday(year: int, week: int) -> dt.date | None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    try:
        return dt.date.fromisocalendar(year, week, 1)
    except ValueError:
        return None  # week 0, or week 53 in a 52-week year


def _next_week_monday(week: int, today: dt.date) -> dt.date | None:
    for year in range(today.isocalendar().year, today.isocalendar().year + 7):
        monday = _iso_monday(year, week)
        if monday and monday + dt.timedelta(days=6) >= today:
            return monday
    return None


def _part_of_month_dates(text: str, today: dt.date) -> list[_Found]:
    """'primo september 2027' → 1st, 'medio' → 15th, 'ultimo januar 2027' → 31st."""
    found = []
    for m in _PART_OF_MONTH_RE.finditer(text):
        month = MONTHS[m["month"].lower()]
        day = _PART_DAYS[PART_OF_MONTH[" ".join(m["part"].lower().split())]]
        if m["year"]:
            year = int(m["year"])
            date = _valid_date(year, month, _day_in(year, month, day))
        else:
            date = _next_on_or_after(month, day, today)
        found.append(_Found(m.start(), m.end(), date))
    return found


def _month_year_dates(text: str) -> list[_Found]:
    """'februar 2027' → 2027-02-01: a month-precise date is kept as the month's first day."""
    found = []
    for m in _MONTH_YEAR_RE.finditer(text):
        date = _valid_date(int(m["year"]), MONTHS[m["month"].lower()], 1)
        found.append(_Found(m.start(), m.end(), date))
    return found


def _find_dates(text: str, today: dt.date | None) -> list[_Found]:
    """Real dates in text order. Finders run from most to least specific, each masking what it read."""
    today = today or clock.today()
    text = clean_text(text)
    finders = (
        _iso_dates,
        _numeric_dates,
        lambda t: _text_dates(t, today),
        lambda t: _week_dates(t, today),
        lambda t: _part_of_month_dates(t, today),
        _month_year_dates,  # last: "februar 2027" inside "3. februar 2027" is already taken
    )
    found: list[_Found] = []
    for finder in finders:
        hits = finder(text)
        for hit in hits:
            text = _mask(text, hit.start, hit.end)
        found.extend(hit for hit in hits if hit.date)  # an impossible date is masked, not re-read
    return sorted(found, key=lambda hit: hit.start)


def parse_date(text: str, *, today: dt.date | None = None) -> dt.date | None:
    """The first date in the text (text order), in any format `parse_dates` reads; else None."""
    found = _find_dates(text, today)
    return found[0].date if found else None


_DEADLINE_PHRASE_RE = re.compile(
    rf"(?<![\wæøå])(?:{'|'.join(DEADLINE_PHRASES)})(?![\wæøå])(?:\s*(?:er|is|:|-|–))?(?:\s+senest)?", _I
)
_DEADLINE_GAP = 16  # characters between the phrase and its date ("fredag den ")


def parse_deadline_phrase(text: str, *, today: dt.date | None = None) -> dt.date | None:
    """The deadline a phrase in running text states (DEADLINE_PHRASES), the date right after it; else None.

    "Tilmelding senest 1. marts 2027" → 2027-03-01; "Tilmeldingsfrist: 14 dage før start" → None."""
    return without_deadlines(text, today=today)[1]


def without_deadlines(text: str, *, today: dt.date | None = None) -> tuple[str, dt.date | None]:
    """`text` less each deadline phrase (DEADLINE_PHRASES) and the date right after it, and the first
    such date: "3. marts 2027 (ansøgningsfrist 1. februar 2027)" under a start label starts on 3 March
    only, and says its deadline."""
    text = clean_text(text)
    deadline = None
    for match in reversed(list(_DEADLINE_PHRASE_RE.finditer(text))):  # reversed: the first is found last
        found = _find_dates(text[match.end() : match.end() + _DEADLINE_GAP + 30], today)
        if found and found[0].start <= _DEADLINE_GAP:
            deadline = found[0].date
            text = _mask(text, match.start(), match.end() + found[0].end)
    return text, deadline


def parse_deadline(text: str, starts: Sequence[dt.date], *, today: dt.date | None = None) -> dt.date | None:
    """A deadline's date (as `parse_date`). One written without a year ("10. januar") belongs before the
    start it closes, the first that has not passed (else the last): the latest such date on or before
    it, not the next after today, which had put it after the start and the course open again."""
    today = today or clock.today()
    upcoming = [start for start in sorted(starts) if start >= today] or sorted(starts)[-1:]
    # read as on the day a year before the start, a date without a year is the latest on or before it
    return parse_date(text, today=upcoming[0] - dt.timedelta(days=364) if upcoming else today)


@dataclass(frozen=True)
class Run:
    """One run of a course: its first day, and its last when the text gives a block of days."""

    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def parse_runs(text: str, *, today: dt.date | None = None) -> list[Run]:
    """The runs of a course that a list of its dates states, sorted by start, one per start.

    Dates joined as a range ("3.-4. marts 2027", "30. januar - 2. februar 2027") are one run, and so
    are consecutive days in a list ("d. 3. og 4. marts 2027"); other dates each start a run ("3. marts
    og 7. april 2027" are two). Dates are read as `parse_dates` reads them."""
    cleaned = clean_text(text)
    runs: list[Run] = []
    previous: _Found | None = None
    for hit in _find_dates(text, today):
        if hit.date is None:
            continue
        join = ""
        if previous is not None:
            same_list = (previous.start, previous.end) == (hit.start, hit.end)
            join = previous.joins_next if same_list else _join_kind(cleaned[previous.end : hit.start])
        if runs and ((join == "range" and hit.date > runs[-1].end)
                     or (join == "list" and hit.date == runs[-1].end + dt.timedelta(days=1))):  # fmt: skip
            runs[-1] = Run(runs[-1].start, hit.date)
        else:
            runs.append(Run(hit.date, hit.date))
        previous = hit
    by_start: dict[dt.date, Run] = {}
    for run in runs:
        if run.start not in by_start or run.end > by_start[run.start].end:
            by_start[run.start] = run
    return [by_start[start] for start in sorted(by_start)]


def run_days(runs: list[Run]) -> float | None:
    """Course days that the runs' blocks state: the length of every run when all are blocks of the same
    length, at most MAX_RUN_DAYS ("3.-4. marts 2027 og 7.-8. april 2027": 2); else None."""
    lengths = {run.days for run in runs}
    if len(lengths) != 1 or not 2 <= (length := lengths.pop()) <= MAX_RUN_DAYS:
        return None
    return float(length)


def parse_dates(text: str, *, today: dt.date | None = None) -> list[dt.date]:
    """All dates in the text, sorted and unique.

    Reads 2027-02-03, 03.02.2027, 3/2-2027, 3/2 2027, 3. februar 2027, 3 feb. 2027, 3. og 4. februar
    2027, uge 6 2027 (Monday of the ISO week), primo/medio/ultimo september 2027 (1st/15th/last day),
    februar 2027 (1st). Without a year ("1. september", "uge 36", "primo maj") the next such date on
    or after `today` (default: the current date). Impossible dates are skipped."""
    return sorted({hit.date for hit in _find_dates(text, today) if hit.date})


# ---------------------------------------------------------------------------------------------
# Duration
# ---------------------------------------------------------------------------------------------


def _count(token: str) -> float | None:
    token = " ".join(token.lower().split())
    if token in NUMBER_WORDS:
        return float(NUMBER_WORDS[token])
    half = token.endswith("½")
    digits = token.rstrip("½").strip()
    if not digits:
        return 0.5
    value = _to_float(digits)
    return None if value is None else value + (0.5 if half else 0.0)


def _term_value(match: re.Match[str]) -> float | None:
    """3 x 2 → 6; 7-8 → 7 (the lower bound); 2 + 1 → 3."""
    counts = [_count(part) for part in match["count"].split("+")]
    known = [count for count in counts if count is not None]
    if len(known) != len(counts):
        return None
    value = sum(known)
    if match["low"]:
        low = _count(match["low"])
        value = low if low is not None and low <= value else value
    if match["mult"]:
        mult = _count(match["mult"])
        if mult is None:
            return None
        value *= mult
    return value


def _first_duration(text: str, pattern: re.Pattern[str]) -> tuple[float, int] | None:
    """The first duration term and any terms joined to it with '+', 'og' or 'samt'."""
    for match in pattern.finditer(text):
        if _NOT_LENGTH_RE.match(text, match.end()):
            continue
        value = _term_value(match)
        if value is None:
            continue
        end = match.end()
        while (join := _DAYS_JOIN_RE.match(text, end)) and (more := pattern.match(text, join.end())):
            extra = _term_value(more)
            if extra is None or _NOT_LENGTH_RE.match(text, more.end()):
                break
            value, end = value + extra, more.end()
        return value, match.start()
    return None


def parse_duration_days(text: str) -> float | None:
    """Teaching days: "2 dage", "3 x 2 dage" (6), "1½ dag", "½ dag", "to dage", "2-dages kursus".

    A range ("7-8 undervisningsdage") gives the lower bound. Weeks, semesters and hours give None:
    how many days they hold is not stated (see `parse_duration_hours`)."""
    text = clean_text(text)
    candidates = []
    if term := _first_duration(text, _DAYS_RE):
        candidates.append((term[1], term[0]))
    if compound := _DAYS_COMPOUND_RE.search(text):
        count = _count(compound["count"])
        if count is not None:
            candidates.append((compound.start(), count))
    for _, value in sorted(candidates):
        if 0 < value <= MAX_DURATION_DAYS:
            return value
    return None


def parse_duration_hours(text: str) -> float | None:
    """Hours: "6 timer", "5 x 3 timer" (15), "1½ time", "45 minutter" (0.75); ranges give the lower bound."""
    text = clean_text(text)
    hours = _first_duration(text, _HOURS_RE)
    minutes = _first_duration(text, _MINUTES_RE)
    candidates = [(hours[1], hours[0])] if hours else []
    if minutes:
        candidates.append((minutes[1], minutes[0] / 60))
    for _, value in sorted(candidates):
        if value > 0:
            return value
    return None


_ISO_DURATION_RE = re.compile(
    r"P(?:(?P<days>\d+(?:[.,]\d+)?)D)?(?:T(?:(?P<hours>\d+(?:[.,]\d+)?)H)?(?:(?P<minutes>\d+(?:[.,]\d+)?)M)?)?",
    re.IGNORECASE,
)


def parse_iso_duration(text: str, *, hours: bool = True) -> float | None:
    """Course days from a schema.org duration (ISO 8601): "P2D" is 2, "PT6H" 0.81 (hours as days of
    7.4 hours, as `parse_duration` counts them), "P1DT3H42M" 1.5. Weeks, months and years say no
    number of days, and give None; so do hours where `hours` is False (a study workload)."""
    match = _ISO_DURATION_RE.fullmatch(text.strip())
    if match is None or not any(match.groupdict().values()):
        return None
    value = {key: float(number.replace(",", ".")) if number else 0.0 for key, number in match.groupdict().items()}
    if not hours and (value["hours"] or value["minutes"]):
        return None
    days = round(value["days"] + (value["hours"] + value["minutes"] / 60) / HOURS_PER_COURSE_DAY, 2)
    return days if 0 < days <= MAX_DURATION_DAYS else None


def parse_duration(text: str) -> float | None:
    """Course days as `parse_duration_days` reads them; else stated hours as days of 7.4 hours (a day
    of the 37-hour week, as `matcher.plan` counts workload), to two decimals: "Varighed: 6 timer" is
    0.81. Hours are study workload rather than course time where the text also states ECTS, weeks,
    months or semesters ("1 semester, ca. 275 timer"): then None."""
    days = parse_duration_days(text)
    if days is not None or _LONGER_SCOPE_RE.search(clean_text(text)):
        return days
    hours = parse_duration_hours(text)
    if hours is None:
        return None
    days = round(hours / HOURS_PER_COURSE_DAY, 2)
    return days if 0 < days <= MAX_DURATION_DAYS else None


# ---------------------------------------------------------------------------------------------
# Form
# ---------------------------------------------------------------------------------------------


def _daytime_with_place(text: str) -> bool:
    if not _DAYTIME_RE.search(text):
        return False
    if _POSTCODE_RE.search(text):
        return True
    return any(word.lower() not in NOT_PLACE_WORDS for word in _CAPITALISED_RE.findall(text))


# A sentence of running text about how the course itself is taught ("Undervisningen foregår online.",
# "Kurset afholdes som webinar", "The course is taught online"), with the form among the first words
# after the verb: only these say the form there. "Online" elsewhere in running text is mostly about
# something else (sign-up, materials, a topic: "seminarer i Aarhus med online vejledning").
_FORM_WORD = (r"(?:online|virtuel\w*|e-?lær\w*|e-?learning|webinar\w*|netbaseret|fjern\w*|hybrid\w*|blended"
              r"|fremmøde|fysisk fremmøde|på campus|on campus|in person|via zoom|via teams)\b")
_SENTENCE_BREAK_RE = re.compile(r"[.!?:\n]")
_TEACHING_SENTENCE_RE = re.compile(
    r"(?:hele\s+|al\s+)?(?:undervisningen|kurset|kurserne|forløbet|modulet|uddannelsen"
    r"|webinaret|workshoppen|the course|the module|the programme|teaching|classes)\s+"
    r"(?:foregår|afholdes|gennemføres|udbydes|afvikles|holdes|takes place|is (?:taught|held|delivered|run)"
    r"|are (?:taught|held)|er|is|are)"
    r"(?:\s+(?:som|med|ved|som et|som en|via|helt|et|en|kun|udelukkende|as|an?|fully|entirely|100\s*%)){0,2}"
    r"\s+" + _FORM_WORD + r"[^.!?\n]*",
    re.IGNORECASE,
)


def parse_teaching_form(text: str) -> Form | None:
    """The teaching form stated in a sentence of running text about the teaching itself, or None."""
    # sentence by sentence, each matched at its start: linear in the text, however its spaces run
    sentences = _SENTENCE_BREAK_RE.split(clean_text(text, keep_newlines=True))
    return parse_form(" . ".join(m.group(0) for s in sentences if (m := _TEACHING_SENTENCE_RE.match(s.strip()))))


def parse_form(text: str) -> Form | None:
    """Teaching form: rekvirerbar, blended, online or fysisk.

    Precedence when several cues occur: rekvirerbar (on-site for a team is the rarer, more telling
    fact) > explicit blended > online and on-site cues together (blended) > online > on-site. "Dag" or
    "Aften" count as on-site only with a place ("Aften, Aarhus")."""
    text = clean_text(text)
    text = _FORM_NOISE_RE.sub(" ", text)
    hits = {kind: bool(pattern.search(text)) for kind, pattern in _FORM_RES.items()}
    if hits["rekvirerbar"]:
        return "rekvirerbar"
    if hits["blended"] or (hits["online"] and hits["fysisk"]):
        return "blended"
    if hits["online"]:
        return "online"
    if hits["fysisk"] or _daytime_with_place(text):
        return "fysisk"
    return None


# ---------------------------------------------------------------------------------------------
# Course type
# ---------------------------------------------------------------------------------------------


def _type_from_url(url: str) -> str | None:
    path = url.split("://", 1)[-1]
    path = path.split("/", 1)[1] if "/" in path else ""  # the host names the provider, not the type
    words = set(_URL_SPLIT_RE.split(path.lower()))
    words |= {part for word in list(words) for part in word.split("-")}
    for kind, vocabulary in URL_TYPE_WORDS.items():
        if words & vocabulary:
            return kind
    return None


def _earliest(text: str, patterns: dict[str, re.Pattern[str]]) -> str | None:
    hits = [(m.start(), kind) for kind, pattern in patterns.items() if (m := pattern.search(text))]
    return min(hits)[1] if hits else None


def parse_course_type(text: str, url: str | None = None) -> CourseType | None:
    """diplom, akademi, master, amu, grunduddannelse, kursus or other (conferences, network days).

    The page's words outrank its URL, and a specific type outranks the generic ones: the earliest
    specific type in the text, then a specific type in the URL path, then the earliest generic cue
    (kursus, temadag, konference) in the text, then in the URL. So "Diplommodul …" under /kurser/ is
    diplom, and a page that names no type takes it from its folder (/diplomuddannelser/, /kurser/)."""
    text = clean_text(text)
    url_kind = _type_from_url(url) if url else None
    specific_url_kind = url_kind if url_kind != "kursus" else None
    kind = _earliest(text, _TYPE_RES) or specific_url_kind or _earliest(text, _GENERIC_TYPE_RES) or url_kind
    return cast("CourseType | None", kind)


def eqf_for_course_type(course_type: str | None) -> int | None:
    """EQF level fixed by the type: akademi 5, diplom 6, master 7; others None."""
    return EQF_BY_COURSE_TYPE.get(course_type or "")


# ---------------------------------------------------------------------------------------------
# Learning goals
# ---------------------------------------------------------------------------------------------


def _heading_key(line: str) -> str:
    return " ".join(line.strip().strip("*#_").rstrip(":").strip().strip("*#_").lower().split())


def _goal_kind_by_cues(text: str) -> GoalKind:
    """Kompetencer if any of its cues occurs (selvstændigt, håndtere), else the earliest cue."""
    if _GOAL_CUE_RES["kompetencer"].search(text):
        return "kompetencer"
    hits = [(m.start(), kind) for kind in ("viden", "faerdigheder") if (m := _GOAL_CUE_RES[kind].search(text))]
    return cast(GoalKind, min(hits)[1]) if hits else "other"


def _goal_lines(text_or_blocks: str | Iterable[str]) -> list[str]:
    blocks = [text_or_blocks] if isinstance(text_or_blocks, str) else list(text_or_blocks)
    lines: list[str] = []
    for block in blocks:
        for line in clean_text(block, keep_newlines=True).split("\n"):
            lines.extend(part for part in _INLINE_BULLET_RE.split(line) if part.strip())
    return lines


def _goal_section(lines: list[str]) -> list[str]:
    """The lines under a goals heading up to the next section, or all lines without one."""
    starts = [i for i, line in enumerate(lines) if _heading_key(line) in GOAL_SECTION_HEADINGS]
    if not starts:
        return [line for line in lines if _heading_key(line) not in SECTION_HEADINGS_AFTER_GOALS]
    section = []
    for line in lines[starts[0] + 1 :]:
        if _heading_key(line) in SECTION_HEADINGS_AFTER_GOALS:
            break
        section.append(line)
    return section


def has_goal_heading(text: str) -> bool:
    """Whether a line of the text is a learning-goals heading ("Læringsmål", "Kompetencemål", "Learning
    outcomes"), as `parse_learning_goals` finds the section under one."""
    return any(_heading_key(line) in GOAL_SECTION_HEADINGS for line in text.split("\n"))


def _sentences(paragraph: str) -> list[str]:
    pieces, start = [], 0
    for boundary in _SENTENCE_END_RE.finditer(paragraph):
        if _ABBREVIATION_END_RE.search(paragraph, start, boundary.start()):
            continue  # "f.eks. Excel" is not a sentence end
        pieces.append(paragraph[start : boundary.start()])
        start = boundary.end()
    pieces.append(paragraph[start:])
    return [piece.strip() for piece in pieces if piece.strip()]


def _tidy_item(text: str) -> str:
    return _TRAILING_JOIN_RE.sub("", text.strip()).strip()


def parse_learning_goals(text_or_blocks: str | Iterable[str]) -> list[dict[str, str]]:
    """Learning goals as [{"kind": viden|faerdigheder|kompetencer|other, "text": ...}].

    Reads the "Mål for læringsudbytte" / "Læringsmål" section when there is one (else all the text),
    one goal per bullet or sentence. Under a "Viden" / "Færdigheder" / "Kompetencer" heading (or
    Knowledge / Skills / Competences) a goal takes the heading's kind; otherwise its verbs place it,
    read together with a lead-in line ending in ':' ("Den studerende kan:")."""
    goals: list[dict[str, str]] = []
    seen: set[str] = set()
    kind: str | None = None
    lead_in = ""
    for line in _goal_section(_goal_lines(text_or_blocks)):
        key = _heading_key(line)
        inline = _INLINE_HEADING_RE.match(line)
        if key in GOAL_HEADINGS:
            kind, lead_in = GOAL_HEADINGS[key], ""
            continue
        if inline and _heading_key(inline["head"]) in GOAL_HEADINGS:
            kind, lead_in = GOAL_HEADINGS[_heading_key(inline["head"])], ""
            line = inline["rest"]
        elif line.rstrip().endswith(":"):
            lead_in = line.rstrip()[:-1]
            continue
        is_bullet = bool(_BULLET_RE.match(line))
        items = [_BULLET_RE.sub("", line, count=1)] if is_bullet else _sentences(line)
        if not is_bullet:
            lead_in = ""  # a paragraph speaks for itself
        for item in map(_tidy_item, items):
            if len(item) < 3 or item.lower() in seen:
                continue
            seen.add(item.lower())
            goal_kind = kind or _goal_kind_by_cues(f"{lead_in} {item}")
            goals.append({"kind": goal_kind, "text": item})
    return goals


# ---------------------------------------------------------------------------------------------
# Labelled facts
# ---------------------------------------------------------------------------------------------


def _normalise_key(label: str) -> str:
    label = clean_text(label).lower().replace(".", "").replace("-", " ")
    return " ".join(label.split())


_LABEL_KEYS: dict[str, str] = {_normalise_key(label): key for label, key in LABELS.items()}


def _label_pattern(label: str) -> str:
    # Tolerate "pr. modul" / "pr modul" and "ECTS-point" / "ECTS point".
    pieces = []
    for char in label:
        if char == ".":
            pieces.append(r"\.?")
        elif char == " ":
            pieces.append(r"\s*")
        elif char == "-":
            pieces.append(r"[\s-]?")
        else:
            pieces.append(re.escape(char))
    return "".join(pieces)


_LABEL_ALT = "|".join(_label_pattern(label) for label in sorted(LABELS, key=len, reverse=True))
# A label starts a line or follows a separator; markdown bold may wrap it; a parenthesis may follow.
_LABEL_COLON_RE = re.compile(
    rf"(?<![^\s|•·;,(])(?:\*\*|__)?(?P<label>{_LABEL_ALT})(?![\wæøå])\s*(?P<paren>\([^()]{{1,40}}\))?"
    rf"\s*(?:\*\*|__)?\s*:\s*(?:\*\*|__)?",
    _I,
)
_LABEL_DASH_RE = re.compile(
    rf"^\s*(?:[-*•]\s+)?(?:\*\*|__)?(?P<label>{_LABEL_ALT})(?![\wæøå])\s*(?P<paren>\([^()]{{1,40}}\))?"
    rf"\s*(?:\*\*|__)?\s+[–—-]\s+",
    _I,
)
_VALUE_TRIM = " \t|;,*_"
_PARENTHESIS_RE = re.compile(r"\([^()]*\)")


# A price label with what the price covers or whom it is for: "Pris inkl. forplejning", "Pris for medlemmer".
_QUALIFIED_PRICE_RE = re.compile(r"^(?:pris(?:en)?|kursuspris|deltagerpris|deltagerbetaling)\s+(?:inkl|ekskl|incl|excl|for|med|uden"
                                 r"|i alt|pr)\b")


_QUALIFIED_PRICE_LINE_RE = re.compile(
    r"^\s*(?:[-*•]\s+)?(?:\*\*|__)?(?P<label>(?:pris(?:en)?|kursuspris|deltagerpris|deltagerbetaling)\s+(?:inkl|ekskl|incl"
    r"|excl|for|med|uden|i alt|pr)\b[^:\n]{0,40}?)\s*(?:\*\*|__)?\s*:\s*(?:\*\*|__)?(?P<value>.+)$", _I
)


def normalise_label(label: str) -> str | None:
    """The canonical key for a page label ("Ansøgningsfrist:" → "deadline"), or None if unknown."""
    label = _PARENTHESIS_RE.sub(" ", label)
    key = " ".join(_normalise_key(label).strip(" :*_#–—?").split())
    return _LABEL_KEYS.get(key) or ("price" if _QUALIFIED_PRICE_RE.match(key) else None)


def _line_facts(line: str) -> list[tuple[str, str]]:
    """(label, value) pairs on one line; a value runs to the next label on the line."""
    matches = list(_LABEL_COLON_RE.finditer(line))
    if not matches and (dash := _LABEL_DASH_RE.match(line)):
        matches = [dash]
    if not matches and (qualified := _QUALIFIED_PRICE_LINE_RE.match(line)):
        return [(qualified["label"], qualified["value"].strip(_VALUE_TRIM))]  # "Pris inkl. forplejning: 2.500 kr."
    pairs = []
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(line)
        value = line[match.end() : end].strip(_VALUE_TRIM)
        if match["paren"]:
            value = f"{value} {match['paren']}".strip()
        pairs.append((match["label"], value))
    return pairs


def parse_labelled_facts(text: str) -> dict[str, str]:
    """Canonical key → value for "Label: value", "**Label:** value" and "Label – value" pairs.

    Keys: price, deadline, start, enrolment, ects, duration, course_days, location, form, target_group,
    admission, course_type, language. The first value for a key wins. A label alone on its line (a definition
    list flattened to text) takes the next line as its value."""
    lines = clean_text(text, keep_newlines=True).split("\n")
    facts: dict[str, str] = {}
    for index, line in enumerate(lines):
        following = lines[index + 1] if index + 1 < len(lines) else ""
        following_is_value = bool(following) and not _line_facts(following) and normalise_label(following) is None
        pairs = _line_facts(line)
        if not pairs and len(line) <= 40 and normalise_label(line) and following_is_value:
            pairs = [(line, following.strip(_VALUE_TRIM))]
        for label, value in pairs:
            if not value and following_is_value:
                value = following.strip(_VALUE_TRIM)  # "Pris:" with the value on the next line
            key = normalise_label(label)
            if key and value and key not in facts:
                facts[key] = with_label_vat_note(label, value) if key == "price" else value
    return facts
