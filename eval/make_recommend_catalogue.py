"""Build eval/recommend-catalogue.jsonl: the catalogue the recommendation queries are graded over.

    .venv/bin/python eval/make_recommend_catalogue.py [--check]

The catalogue is every course text the project already has, in the feed format of
`matcher.course.Course` (PRODUCT.md §3):

- the 30 records of `service/samples/courses.jsonl`, copied line for line;
- the 210 labelled texts of `matcher/data/labelled-courses.jsonl` (ids `dev-*`, `ho-*`, `h2-*`),
  converted: id, title and course type kept, the text becomes the
  description. What the text states is read from it (ECTS, price, days, place, form, dates,
  deadline, target group, admission, learning goals); what it does not state is invented
  plausibly for the course type, from a random generator seeded by the course id, so every run
  gives the same file. Providers are fictional, a few per `provider_kind`.

Off-domain texts stay in: they are the distractors a recommender must not rank. The gold fields
and levels of the labelled texts are not copied into the records (a catalogue does not know them).

Every record is validated with `Course` before the file is written; `--check` only validates and
compares with the file on disk (exit 1 when it differs)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from matcher.course import Course  # noqa: E402

OUTPUT = ROOT / "eval" / "recommend-catalogue.jsonl"
SAMPLES = ROOT / "service" / "samples" / "courses.jsonl"
LABELLED = ROOT / "matcher" / "data" / "labelled-courses.jsonl"
# The labelled texts that existed when the queries were graded; later ones (h3-*) would be ungraded
# distractors, so they stay out.
GRADED_SETS = ("dev-", "ho-", "h2-")
SEED = "fagmatch-recommend-catalogue-1"
YEAR = 2027

# Fictional providers per provider_kind: (name, URL slug, home city).
PROVIDERS: dict[str, list[tuple[str, str, str]]] = {
    "professionshoejskole": [
        ("Professionshøjskolen Kattegat", "phkattegat", "Aarhus"),
        ("Professionshøjskolen Storebælt", "phstorebaelt", "Odense"),
        ("Professionshøjskolen Øresund", "phoeresund", "København"),
    ],
    "erhvervsakademi": [
        ("Erhvervsakademi Midt", "eamidt", "Herning"),
        ("Erhvervsakademi Fjordland", "eafjordland", "Aalborg"),
        ("Erhvervsakademi Sjælland Syd", "easjaellandsyd", "Næstved"),
    ],
    "universitet": [
        ("Universitetet i Vestdanmark", "uvd", "Odense"),
        ("Det Åbne Universitet Øst", "aabne-uni-oest", "København"),
    ],
    "kursusfirma": [
        ("Kompetencehuset Nord ApS", "kompetencehuset-nord", "Aalborg"),
        ("Praksisakademiet A/S", "praksisakademiet", "Aarhus"),
        ("Kursusværkstedet ApS", "kursusvaerkstedet", "København"),
    ],
    "konsulenthus": [
        ("Konsulenthuset Tværs", "tvaers", "Vejle"),
        ("Nordlys Rådgivning ApS", "nordlys-raadgivning", "Aarhus"),
        ("Virkning & Vækst ApS", "virkning-vaekst", "København"),
    ],
    "kommunal_forening": [
        ("KommuneKurser", "kommunekurser", "Odense"),
        ("Kommunernes Kompetenceforum", "kommunernes-kompetenceforum", "København"),
    ],
    "juridisk_forlag": [
        ("Lovportalen Akademi", "lovportalen-akademi", "København"),
        ("Forlaget Ret & Praksis", "ret-og-praksis", "Aarhus"),
    ],
    "amu_center": [
        ("AMU-Center Vestjylland", "amu-vestjylland", "Holstebro"),
        ("AMU Sydsjælland", "amu-sydsjaelland", "Næstved"),
        ("AMU-Center Vestsjælland", "amu-vestsjaelland", "Slagelse"),
        ("Uddannelsescenter Vestkysten", "uc-vestkysten", "Esbjerg"),
        ("AMU-Center Midt", "amu-midt", "Herning"),
    ],
    "fagforening": [
        ("Fagforbundet Velfærd – kurser", "fagforbundet-velfaerd", "København"),
        ("Forbundet Faglig Fremtid", "faglig-fremtid", "Odense"),
    ],
    "region": [
        ("Region Midtland – Arbejdsmarkedssekretariatet", "region-midtland", "Viborg"),
        ("Region Nordkyst – Kompetencecenter", "region-nordkyst", "Aalborg"),
    ],
    "privat_uddannelse": [
        ("Nordisk Uddannelsesinstitut", "nordisk-uddannelse", "København"),
        ("Akademiet for Ledelse og Træning", "alt-akademiet", "Aarhus"),
    ],
}

CITIES = (
    "København", "Aarhus", "Odense", "Aalborg", "Esbjerg", "Vejle", "Kolding", "Fredericia",
    "Roskilde", "Herning", "Holstebro", "Næstved", "Silkeborg", "Holbæk", "Slagelse", "Randers",
    "Hillerød", "Svendborg", "Viborg", "Horsens",
)
CITY_RE = re.compile(r"\b(" + "|".join(CITIES) + r")\b")

URL_SECTION = {
    "diplom": "diplomuddannelser", "akademi": "akademiuddannelser", "master": "master",
    "kursus": "kurser", "amu": "amu", "grunduddannelse": "uddannelser", "other": "tilbud",
}
EQF = {"akademi": 5, "diplom": 6, "master": 7}
ADMISSION = {
    "diplom": "Adgangskrav: En relevant kort- eller mellemlang videregående uddannelse og mindst to års "
    "relevant erhvervserfaring. Realkompetencevurdering er mulig.",
    "akademi": "Adgangskrav: En relevant erhvervsuddannelse eller gymnasial uddannelse og mindst to års "
    "relevant erhvervserfaring. Realkompetencevurdering er mulig.",
    "master": "Adgangskrav: En relevant bachelor-, professionsbachelor- eller diplomuddannelse og mindst "
    "to års relevant erhvervserfaring.",
}
MODULE_TYPES = ("diplom", "akademi", "master")
ON_DEMAND = re.compile(r"\be-(?:kursus|kurset|læring|learning|læringsforløb|læringsmodul)", re.IGNORECASE)

MONTHS = {
    name: number
    for number, name in enumerate(
        ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september",
         "oktober", "november", "december"),
        start=1,
    )
}
MONTH_ALT = "|".join(MONTHS)
NUMBER_WORDS = {"en": 1, "én": 1, "et": 1, "to": 2, "tre": 3, "fire": 4, "fem": 5, "seks": 6, "syv": 7, "otte": 8}
NUM = r"(\d+(?:,\d)?|½|" + "|".join(NUMBER_WORDS) + r")"


def _number(token: str) -> float:
    token = token.lower()
    if token == "½":
        return 0.5
    if token in NUMBER_WORDS:
        return float(NUMBER_WORDS[token])
    return float(token.replace(",", "."))


def _amount(token: str) -> float:
    return float(token.replace(".", ""))


def slugify(text: str) -> str:
    text = text.lower()
    for a, b in (("æ", "ae"), ("ø", "oe"), ("å", "aa"), ("é", "e"), ("ü", "u"), ("ö", "oe")):
        text = text.replace(a, b)
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:80].rstrip("-")


# --------------------------------------------------------------------------------------------
# Reading what a text states
# --------------------------------------------------------------------------------------------

def parse_ects(text: str) -> float | None:
    match = re.search(r"(\d+(?:,\d+)?)\s*ECTS", text)
    return _number(match.group(1)) if match else None


def parse_duration_days(text: str) -> float | None:
    """Days of teaching stated in a short-course text, e.g. '2 dage + 1 opfølgningsdag', '3 timer'."""
    candidates: list[tuple[int, int, float]] = []

    def add(pattern: str, value) -> None:
        for match in re.finditer(pattern, text, flags=re.IGNORECASE):
            days = value(match)
            if days is not None and 0 < days <= 15:
                candidates.append((match.start(), -(match.end() - match.start()), days))

    add(NUM + r"\s+moduler\s+[àá]\s+" + NUM + r"\s+dage", lambda m: _number(m[1]) * _number(m[2]))
    add(NUM + r"\s+workshops?\s+[àá]\s+" + NUM + r"\s+dag", lambda m: _number(m[1]) * _number(m[2]))
    add(NUM + r"\s+dage?\s*\+\s*" + NUM + r"\s*(?:opfølgningsdag|dags opfølgning)",
        lambda m: _number(m[1]) + _number(m[2]))
    add(NUM + r"\s+halve\s+dage", lambda m: _number(m[1]) / 2)
    add(r"\b" + NUM + r"\s+(?:hele\s+)?(?:kursus|modul|workshop|undervisnings)?dage?\b", lambda m: _number(m[1]))
    add(r"kursusdage:\s*(\d+)", lambda m: _number(m[1]))
    add(r"\bhalv(?:\s|e\s)dag\b", lambda m: 0.5)
    add(NUM + r"\s*[×x]\s*(\d+)\s*timer", lambda m: max(0.5, round(_number(m[1]) * _number(m[2]) / 7.5 * 2) / 2))
    add(NUM + r"\s+onlinemoduler\s+[àá]\s+(\d+)\s*timer",
        lambda m: max(0.5, round(_number(m[1]) * _number(m[2]) / 7.5 * 2) / 2))
    add(r"(?:ca\.\s*)?" + NUM + r"\s+(?:intensive\s+)?timer\b(?!\s+om ugen)",
        lambda m: 0.5 if _number(m[1]) <= 4 else round(_number(m[1]) / 7.5 * 2) / 2)
    add(r"\b(\d+)\s*minutter\b", lambda m: 0.1)
    add(r"\b(?:heldag|opdateringsdag|kursusdag\b|dagen\b)", lambda m: 1.0)
    add(r"\b(\d+)\s*weekender\b", lambda m: 2 * _number(m[1]))
    if not candidates:
        return None
    candidates.sort()
    return candidates[0][2]


def parse_price(text: str, ects: float | None, days: float | None) -> float | None:
    pattern = re.compile(
        r"(?:\bkr\.?\s*(\d{1,3}(?:\.\d{3})+|\d+)(?:,-)?)|(?:(\d{1,3}(?:\.\d{3})+|\d+)(?:,-)?\s*kr\b)",
        re.IGNORECASE,
    )
    match = pattern.search(text)
    if match is None:
        return 0.0 if re.search(r"\bgratis\b", text, re.IGNORECASE) else None
    amount = _amount(match.group(1) or match.group(2))
    around = text[max(0, match.start() - 25): match.end() + 15].lower()
    if "pr. ects" in around and ects:
        amount *= ects
    elif "pr. dag" in around and days:
        amount *= days
    return amount


def _iso_week_start(week: int) -> dt.date:
    return dt.date.fromisocalendar(YEAR, week, 1)


def _first_monday(year: int, month: int) -> dt.date:
    day = dt.date(year, month, 1)
    return day + dt.timedelta(days=(7 - day.weekday()) % 7)


def parse_dates(text: str) -> tuple[list[dt.date], tuple[int, int, int | None] | None, tuple[int, str] | None]:
    """What a text states about dates: start dates, a deadline as (day, month, year or None) and a
    deadline relative to the start ('3 uger før' as (3, 'uger'))."""
    starts: list[dt.date] = []
    deadline: tuple[int, int, int | None] | None = None
    for match in re.finditer(r"\b(\d{1,2})\.\s*(" + MONTH_ALT + r")\b(?:\s+(\d{4}))?", text, re.IGNORECASE):
        line_start = text.rfind("\n", 0, match.start()) + 1
        before = text[line_start: match.start()].lower()
        day, month = int(match.group(1)), MONTHS[match.group(2).lower()]
        year = int(match.group(3)) if match.group(3) else None
        if "frist" in before:
            deadline = deadline or (day, month, year)
        else:
            starts.append(dt.date(max(year or YEAR, YEAR), month, day))
    for match in re.finditer(r"\buge\s+(\d{1,2})\b", text, re.IGNORECASE):
        before = text[max(0, match.start() - 30): match.start()].lower()
        if re.search(r"start|hold|dato", before):
            starts.append(_iso_week_start(int(match.group(1))))
    if not starts:
        for span in re.finditer(r"\b(?:holdstart|studiestart|start|tid)\b[^.\n]{0,60}", text, re.IGNORECASE):
            for month in re.finditer(r"\b(" + MONTH_ALT + r")\b", span.group(0), re.IGNORECASE):
                starts.append(_first_monday(YEAR, MONTHS[month.group(1).lower()]))
    relative = None
    rel = re.search(r"frist[^.\n]{0,20}?(\d+)\s*(dage|uger)\s+før", text, re.IGNORECASE)
    if rel:
        relative = (int(rel.group(1)), rel.group(2).lower())
    return sorted(set(starts)), deadline, relative


def parse_target_group(text: str) -> str | None:
    match = re.search(
        r"(?:Målgruppe|Hvem er kurset for\?|Hvem er modulet for\?|Hvem kan deltage\?|Hvem deltager\?|Hvem:)"
        r"\s*:?\s*\n?([^\n]+)",
        text,
    )
    if match is None:
        first = text.strip().splitlines()[0]
        lead = re.match(r"For ([a-zæøå][^.]{5,200})\.$", first)
        return lead.group(1)[0].upper() + lead.group(1)[1:] if lead else None
    sentence = re.split(r"(?<=[a-zæøå)])\.\s", match.group(1).strip())[0].rstrip(".").strip()
    return sentence[:300] or None


def parse_admission(text: str) -> str | None:
    match = re.search(r"((?:Adgangskrav|Forudsætninger)\s*:\s*[^\n]+)", text)
    if match:
        return match.group(1).strip()
    match = re.search(r"((?:Kurset (?:kræver|forudsætter)|Forudsætter)[^.\n]*\.)", text)
    return match.group(1).strip() if match else None


VFK_KIND = {"viden": "viden", "færdigheder": "faerdigheder", "kompetencer": "kompetencer"}
VFK_START = re.compile(r"^(Viden|Færdigheder|Kompetencer)\b\s*(?:[:·–-]|(?:om|i|til)\b)", re.IGNORECASE)
GOAL_HEADING = re.compile(
    r"^(?:læringsmål|mål for læringsudbytte|kursets mål|mål|målbeskrivelse|du lærer at"
    r"|efter (?:kurset|modulet|uddannelsen|forløbet) kan (?:du|deltageren|den studerende)"
    r"|læringsmål\s*[–-]\s*den studerende kan)\s*:?$",
    re.IGNORECASE,
)
INLINE_GOALS = re.compile(r"^(?:Læringsmål|Læringsudbytte|Mål)\s*:\s*(.+)$")
BULLET = re.compile(r"^(?:[-•–▸]|\d+\.)\s+(.+)$")


def _vfk_goals(line: str) -> list[dict[str, str]] | None:
    """Goals from a line such as 'Viden: …', 'Viden om … . Færdigheder i … . Kompetencer til …'."""
    if re.match(r"^Viden\s*[–-]\s*Færdigheder", line):
        return [{"kind": "other", "text": line.split(":", 1)[-1].strip()}]
    if not VFK_START.match(line):
        return None
    parts = re.split(r"(?:(?<=\.)\s+|;\s*)(?=(?:Viden|Færdigheder|Kompetencer)\b)", line, flags=re.IGNORECASE)
    goals = []
    for part in parts:
        part = part.strip().rstrip(";").strip()
        labelled = re.match(r"^(Viden|Færdigheder|Kompetencer)\s*[:·–-]\s*(.+)$", part, re.IGNORECASE | re.DOTALL)
        worded = re.match(r"^(Viden|Færdigheder|Kompetencer)\s+(?:om|i|til)\b", part, re.IGNORECASE)
        if labelled:
            goals.append({"kind": VFK_KIND[labelled.group(1).lower()], "text": labelled.group(2).strip()})
        elif worded:
            goals.append({"kind": VFK_KIND[worded.group(1).lower()], "text": part})
        else:
            goals.append({"kind": "other", "text": part})
    return goals


def parse_learning_goals(text: str) -> list[dict[str, str]]:
    goals: list[dict[str, str]] = []
    lines = [line.strip() for line in text.splitlines()]
    in_list = False
    for line in lines:
        if not line:
            in_list = False
            continue
        if GOAL_HEADING.match(line):
            in_list = True
            continue
        inline = INLINE_GOALS.match(line)
        if inline:
            body = inline.group(1).strip()
            goals.extend(_vfk_goals(body) or [{"kind": "other", "text": body}])
            in_list = False
            continue
        vfk = _vfk_goals(line)
        if vfk:
            goals.extend(vfk)
            continue
        if line.startswith("Deltageren "):
            for sentence in re.split(r"(?<=\.)\s+(?=Deltageren )", line):
                goals.append({"kind": "other", "text": sentence.strip()})
            continue
        bullet = BULLET.match(line)
        if in_list and bullet:
            item = bullet.group(1).strip()
            goals.extend(_vfk_goals(item) or [{"kind": "other", "text": item}])
            continue
        in_list = False
    return goals


def parse_form(text: str, course_type: str, rng: random.Random) -> str:
    low = text.lower()
    has_city = CITY_RE.search(text) is not None
    if course_type not in MODULE_TYPES and (ON_DEMAND.search(text) or re.search(
            r"(?<!opfølgnings)(?<!opfølgende )webinar|\bzoom\b|online via teams|form:\s*online|onlinemoduler", low)):
        return "online"
    if re.search(r"rekvirerbart (?:forløb|teamforløb)|teamforløb|rekvirér (?:kurset|forløbet) til hele"
                 r"|kan afholdes hos jer|afholdes hos jer|for op til \d+ deltagere", low):
        return "rekvirerbar"
    online_only = re.search(r"\bonline\b", low) and not re.search(
        r"fysisk|blended|online vejledning|online seminar|online studiegrupper|online workshops|og online"
        r"|\+ online|eller online|online eller|online deltagelse", low)
    if online_only and not has_city and course_type not in MODULE_TYPES:
        return "online"
    if re.search(r"blended|online vejledning|online seminar|online studiegrupper|og online|\+ online|webinar", low) \
            and course_type in MODULE_TYPES:
        return "blended"
    if re.search(r"rekvir|kan bookes til hele", low) and rng.random() < 0.4:
        return "rekvirerbar"
    return "fysisk"


# --------------------------------------------------------------------------------------------
# Inventing what a text does not state
# --------------------------------------------------------------------------------------------

def invent_price(course_type: str, ects: float | None, days: float | None, rng: random.Random) -> float:
    if course_type == "diplom":
        return float(round(rng.randrange(12_000, 16_001, 100) * (ects or 10) / 10, -2))
    if course_type == "akademi":
        return float(round(rng.randrange(8_500, 10_001, 100) * (ects or 10) / 10, -2))
    if course_type == "master":
        return float(round((ects or 10) * rng.randrange(1_600, 2_401, 50), -2))
    if course_type == "amu":
        return float(round((days or 2) * rng.choice((232, 258, 480))))
    days = days or 1
    if days <= 0.5:
        return float(rng.randrange(1_200, 2_001, 100) - 5)
    return float(round(days * rng.randrange(2_600, 3_201, 50), -2) - 5)


def invent_start_dates(course_type: str, after: dt.date | None, rng: random.Random) -> list[dt.date]:
    floor = max(after or dt.date(YEAR, 1, 1), dt.date(YEAR, 1, 1))
    if course_type in MODULE_TYPES:
        options = [_first_monday(YEAR, 2), _first_monday(YEAR, 9)]
        pick = rng.choice(([options[0]], [options[1]], options))
        return [d for d in pick if d > floor] or [_first_monday(YEAR, 9)]
    months = [m for m in (2, 3, 4, 5, 6, 8, 9, 10, 11) if dt.date(YEAR, m, 28) > floor]
    chosen = sorted(rng.sample(months, k=min(len(months), rng.choice((1, 2, 2, 3)))))
    dates = []
    for month in chosen:
        monday = _first_monday(YEAR, month) + dt.timedelta(weeks=rng.randrange(3))
        dates.append(monday + dt.timedelta(days=rng.choice((1, 2, 3))))
    return [d for d in dates if d > floor] or [dt.date(YEAR, 11, 16)]


def convert(item: dict[str, Any], origin: str) -> dict[str, Any]:
    rng = random.Random(f"{SEED}:{item['id']}")
    text: str = item["text"]
    course_type: str = item["course_type"]
    kind: str = item["provider_kind"]

    city_match = CITY_RE.search(text)
    text_city = city_match.group(1) if city_match else None
    providers = PROVIDERS[kind]
    if kind == "amu_center" and text_city:
        providers = [p for p in providers if p[2] == text_city] or providers
    provider, slug, home = rng.choice(providers)

    ects = parse_ects(text)
    if ects is None and course_type in MODULE_TYPES:
        ects = 10.0 if course_type != "master" else float(rng.choice((10, 15)))
    days = None if course_type in MODULE_TYPES else parse_duration_days(text)
    on_demand = ON_DEMAND.search(text) is not None
    if days is None and course_type not in MODULE_TYPES:
        days = 0.5 if on_demand else float(rng.choice((1, 2)) if course_type == "kursus" else rng.choice((2, 3)))

    price = parse_price(text, ects, days)
    if price is None:
        price = invent_price(course_type, ects, days, rng)

    form = parse_form(text, course_type, rng)
    location = text_city or (None if form in ("online", "rekvirerbar") else home)

    starts, stated_deadline, relative = parse_dates(text)
    deadline = None
    if stated_deadline:
        day, month, year = stated_deadline
        if year is None:
            # "Ansøgningsfrist 1. juni" without a year: the last such day before the first stated
            # start, or, without one, before a 2027 start (autumn deadlines are for spring starts).
            previous_year = dt.date(YEAR, month, day) >= starts[0] if starts else month >= 10
            year = YEAR - 1 if previous_year else YEAR
        deadline = dt.date(year, month, day)
    if form == "rekvirerbar" or (form == "online" and on_demand):
        starts = []
    elif not starts:
        starts = invent_start_dates(course_type, deadline, rng)
    if deadline is None and relative and starts:
        count, unit = relative
        deadline = starts[0] - dt.timedelta(days=count * (7 if unit.startswith("uge") else 1))
    if deadline is None and course_type in MODULE_TYPES and starts:
        first = starts[0]
        deadline = dt.date(first.year - 1, 12, 1) if first.month <= 3 else dt.date(first.year, 6, 1)

    admission = parse_admission(text) or ADMISSION.get(course_type)
    eqf = re.search(r"EQF(?:-niveau)?\s*(\d)", text)
    record = {
        "id": item["id"],
        "url": f"https://{slug}.example/{URL_SECTION[course_type]}/{slugify(item['title'])}/",
        "provider": provider,
        "title": item["title"],
        "description": text,
        "learning_goals": parse_learning_goals(text),
        "course_type": course_type,
        "eqf_level": int(eqf.group(1)) if eqf else EQF.get(course_type),
        "ects": ects,
        "duration_days": days,
        "price_dkk": price,
        "form": form,
        "location": location,
        "start_dates": [d.isoformat() for d in starts],
        "application_deadline": deadline.isoformat() if deadline else None,
        "target_group": parse_target_group(text),
        "admission": admission,
        "language": "da",
        "source": f"eval:{origin}",
    }
    return record


def build() -> list[str]:
    lines: list[str] = []
    for raw in SAMPLES.read_text(encoding="utf-8").splitlines():
        if raw.strip():
            Course.model_validate(json.loads(raw))
            lines.append(raw)
    for raw in LABELLED.read_text(encoding="utf-8").splitlines():
        if not raw.strip():
            continue
        item = json.loads(raw)
        if not item["id"].startswith(GRADED_SETS):
            continue
        record = convert(item, LABELLED.name)
        course = Course.model_validate(record)
        assert course.to_record()["start_dates"] == record["start_dates"], record["id"]
        lines.append(json.dumps(record, ensure_ascii=False))
    ids = [json.loads(line)["id"] for line in lines]
    assert len(ids) == len(set(ids)), "duplicate course ids"
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="validate and compare with the file on disk")
    args = parser.parse_args()
    content = "\n".join(build()) + "\n"
    if args.check:
        same = OUTPUT.exists() and OUTPUT.read_text(encoding="utf-8") == content
        print(f"{OUTPUT.relative_to(ROOT)}: {'up to date' if same else 'differs from a fresh build'}")
        return 0 if same else 1
    OUTPUT.write_text(content, encoding="utf-8")
    print(f"wrote {content.count(chr(10))} courses to {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
