"""Generate the bundled sample provider website (service/samples/site/) from service/samples/courses.jsonl.

    .venv/bin/python service/samples/make_site.py

The site is what `fagmatch demo` serves on 127.0.0.1 and crawls with the real spider. It is
deterministic (same feed, same bytes) and committed, so the demo never runs this script.

Every provider of the sample feed gets its own section, `/<slug>/` (the slug is the first label of
the feed URL's host), with an index page and one page per course at `/<slug>/<the feed URL's path>`.
The sections are built the way different provider sites are, so the demo shows each layer of
`crawler.extract`:

* schema.org JSON-LD (`Course` with `CourseInstance`s: start date, place, course mode, offer with
  price) — the university colleges, the business academy and the university; the application
  deadline and the learning goals are only in the page text, filled from the main content;
* schema.org microdata in the markup — the AMU centre;
* no structured data at all, only Danish facts in the main content (a definition list, a fact
  table, a schedule table or "Label: value" lines: Pris, Holdstart, Tilmeldingsfrist, Sted,
  Undervisningsform, Målgruppe ...) — the private and municipal course providers.

Around them: a front page, an about page, a contact page and a news article (no courses), robots.txt
(which shuts out /intern/, where a draft course page lies) and sitemap.xml. `{{BASE}}` in robots.txt
and sitemap.xml is replaced by the server with the site's own origin.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
FEED = HERE / "courses.jsonl"
SITE = HERE / "site"
LASTMOD = "2026-11-02"  # fixed: the output must not depend on the day it is generated

MONTHS = ["januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september", "oktober",
          "november", "december"]  # fmt: skip


@dataclass(frozen=True)
class Provider:
    name: str
    layer: str  # jsonld | microdata | main
    facts: str  # how the facts are laid out: aside | dl | table | schedule | lines
    org_type: str  # schema.org type of the provider
    accent: str
    tagline: str
    address: str
    deadline_label: str = "Tilmeldingsfrist"
    start_label: str = "Holdstart"
    vat: bool = True  # private providers state prices without VAT
    fysisk: str = "Fremmøde"


PROVIDERS: dict[str, Provider] = {
    "Professionshøjskolen Nordhavn": Provider(
        "Professionshøjskolen Nordhavn", "jsonld", "aside", "CollegeOrUniversity", "#1f4e79",
        "Efter- og videreuddannelse for professionelle", "Nordhavnsvej 10, 2100 København Ø",
        deadline_label="Ansøgningsfrist", start_label="Studiestart", vat=False, fysisk="Fremmøde på campus",
    ),
    "Professionshøjskolen Sydfyn": Provider(
        "Professionshøjskolen Sydfyn", "jsonld", "aside", "CollegeOrUniversity", "#2e6b3a",
        "Diplom- og akademiuddannelser på Fyn", "Havnegade 4, 5700 Svendborg",
        deadline_label="Ansøgningsfrist", start_label="Studiestart", vat=False, fysisk="Fremmøde på campus",
    ),
    "Erhvervsakademi Vestkyst": Provider(
        "Erhvervsakademi Vestkyst", "jsonld", "aside", "CollegeOrUniversity", "#0b6e7f",
        "Akademiuddannelser og kurser i Vestjylland", "Kongensgade 88, 6700 Esbjerg",
        deadline_label="Ansøgningsfrist", vat=False, fysisk="Holdundervisning med fremmøde",
    ),
    "Universitetet i Østjylland": Provider(
        "Universitetet i Østjylland", "jsonld", "aside", "CollegeOrUniversity", "#6a1b4d",
        "Efter- og videreuddannelse (EVU) på masterniveau", "Universitetsparken 1, 8000 Aarhus C",
        deadline_label="Ansøgningsfrist", start_label="Studiestart", vat=False,
    ),
    "AMU-Center Limfjord": Provider(
        "AMU-Center Limfjord", "microdata", "schedule", "EducationalOrganization", "#b35900",
        "Arbejdsmarkedsuddannelser i Nordjylland", "Limfjordsvej 21, 9000 Aalborg", vat=False,
    ),
    "Kommunernes Kursuscenter": Provider(
        "Kommunernes Kursuscenter", "main", "schedule", "Organization", "#34495e",
        "Kurser og temadage for kommunale medarbejdere", "Rådhuspladsen 3, 5000 Odense C",
        fysisk="Fremmøde",
    ),
    "Kursushuset Beskæftigelse ApS": Provider(
        "Kursushuset Beskæftigelse ApS", "main", "dl", "Organization", "#8e3b2f",
        "Praksisnære kurser til jobcentre og a-kasser", "Frederiks Allé 40, 8000 Aarhus C",
        fysisk="Fysisk fremmøde",
    ),
    "Rådgivningshuset Bro & Match ApS": Provider(
        "Rådgivningshuset Bro & Match ApS", "main", "lines", "Organization", "#4a3b8e",
        "Kurser og rekvirerede forløb om samtaler, virksomheder og netværk", "Dæmningen 12, 7100 Vejle",
        fysisk="Fremmøde",
    ),
    "Juridisk Forlag Online": Provider(
        "Juridisk Forlag Online", "main", "dl", "Organization", "#5b5b5b",
        "E-kurser i social- og beskæftigelsesret", "Bredgade 7, 1260 København K",
    ),
    "Sundhedsakademiet Nord": Provider(
        "Sundhedsakademiet Nord", "main", "table", "Organization", "#a02c2c",
        "Efteruddannelse for sundhedspersonale", "Sygehusvej 2, 8930 Randers NØ",
        fysisk="Fremmøde",
    ),
    "Kodeskolen Nord": Provider(
        "Kodeskolen Nord", "main", "dl", "Organization", "#1b7a5a",
        "Programmering for alle", "Vesterbro 60, 9000 Aalborg",
    ),
}

TYPE_LABELS = {"diplom": "Diplommodul", "akademi": "Akademimodul", "master": "Mastermodul", "amu": "AMU-kursus",
               "kursus": "Kursus"}  # fmt: skip
CREDENTIALS = {"diplom": "Diplommodul (Diplomuddannelse)", "akademi": "Akademimodul (Akademiuddannelse)",
               "master": "Mastermodul (Masteruddannelse)", "kursus": "Kursusbevis", "amu": "AMU-kursusbevis"}  # fmt: skip
COURSE_MODES = {"fysisk": "onsite", "blended": "blended", "online": "online"}
GOAL_HEADINGS = {"viden": "Viden", "faerdigheder": "Færdigheder", "kompetencer": "Kompetencer"}
# Description blocks that open with one of these become a section with its own heading.
SECTION_LABELS = ("Om modulet", "Indhold", "Fagligt indhold", "Målgruppe")


# ---------------------------------------------------------------------------------------------
# Danish formatting
# ---------------------------------------------------------------------------------------------


def e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def num(value: float) -> int | float:
    """12500.0 as 12500 in JSON-LD: whole numbers without a decimal point."""
    return int(value) if float(value).is_integer() else value


def da_date(iso: str) -> str:
    date = dt.date.fromisoformat(iso)
    return f"{date.day}. {MONTHS[date.month - 1]} {date.year}"


def da_dates(isos: list[str]) -> str:
    dates = [da_date(iso) for iso in isos]
    return dates[0] if len(dates) == 1 else ", ".join(dates[:-1]) + " og " + dates[-1]


def da_price(price: float) -> str:
    return f"{int(price):,}".replace(",", ".") + " kr."


def da_days(days: float) -> str:
    whole, half = int(days), days % 1 == 0.5
    if days == 1:
        return "1 dag"
    return f"{whole}½ dag" if half else f"{whole} dage"


def price_text(record: dict[str, Any], provider: Provider) -> str:
    text = da_price(record["price_dkk"])
    if record["form"] == "rekvirerbar":
        text = f"fra {text}"
    if provider.vat:
        text += " ekskl. moms"
    if record["form"] == "rekvirerbar":
        text += " for hele holdet"
    return text


def form_text(record: dict[str, Any], provider: Provider) -> str:
    return {
        "fysisk": provider.fysisk,
        "blended": "Blended learning: fremmøde og online",
        "online": "Online (live på Teams)" if record["start_dates"] else "Online – e-læring i eget tempo",
        "rekvirerbar": "Rekvirerbart – vi afholder forløbet hos jer",
    }[record["form"]]


def type_text(record: dict[str, Any]) -> str:
    if record["course_type"] == "kursus" and record["form"] == "online" and not record["start_dates"]:
        return "E-kursus"
    return TYPE_LABELS[record["course_type"]]


def slug_of(record: dict[str, Any]) -> str:
    return (urlsplit(record["url"]).hostname or "").split(".")[0]


def page_path(record: dict[str, Any]) -> str:
    """The course's path on the sample site: /<slug>/<the feed URL's path> (trailing slash kept)."""
    return f"/{slug_of(record)}{urlsplit(record['url']).path}"


def file_for(path: str) -> str:
    return path.strip("/") + ".html"


def teaser(description: str) -> str:
    """The first sentence of the description, without a leading heading or label."""
    lines = [line.strip() for line in description.split("\n") if line.strip()]
    body = next(line for line in lines if len(line) >= 40 or line.endswith("."))
    body = re.sub(r"^[A-ZÆØÅ][^:.]{2,30}:\s+", "", body)
    return re.split(r"(?<=[.?!])\s", body)[0]


# ---------------------------------------------------------------------------------------------
# Page parts
# ---------------------------------------------------------------------------------------------


def page(title: str, body: str, *, provider: Provider | None = None, head: str = "", crumbs: str = "") -> str:
    accent = provider.accent if provider else "#333333"
    site_name = provider.name if provider else "Eksempeludbydere"
    home = f"/{slug_for_provider(provider)}/" if provider else "/"
    nav_links = (
        [(home, "Forside"), (home, "Uddannelser og kurser"), ("/kontakt", "Kontakt")]
        if provider
        else [("/", "Forside"), ("/om-siden", "Om siden"), ("/nyheder/", "Nyheder"), ("/kontakt", "Kontakt")]
    )  # fmt: skip
    nav = "".join(f'<li><a href="{href}">{e(label)}</a></li>' for href, label in nav_links)
    og = f'<meta property="og:site_name" content="{e(site_name)}">\n' if provider else ""
    footer_text = f"{e(provider.name)} · {e(provider.address)}" if provider else "Eksempeludbydere · fiktive udbydere"
    return f"""<!DOCTYPE html>
<html lang="da">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)} | {e(site_name)}</title>
{og}<link rel="stylesheet" href="/static/site.css">
<style>:root {{ --accent: {accent}; }}</style>
{head}</head>
<body>
<div class="cookie-banner" role="dialog" aria-label="Cookies"><p>Vi bruger kun nødvendige cookies. <a href="/om-siden">Læs mere</a></p></div>
<header class="site-header">
<a class="logo" href="{home}">{e(site_name)}</a>
<nav aria-label="Hovedmenu"><ul>{nav}</ul></nav>
</header>
{crumbs}<main id="indhold">
{body}
</main>
<footer class="site-footer">
<p>{footer_text}</p>
<p><a href="/">Alle eksempeludbydere</a> · <a href="/om-siden">Om siden</a> · <a href="/kontakt">Kontakt</a></p>
</footer>
</body>
</html>
"""


def slug_for_provider(provider: Provider | None) -> str:
    return PROVIDER_SLUGS[provider.name] if provider else ""


PROVIDER_SLUGS: dict[str, str] = {}


def breadcrumbs(provider: Provider, title: str | None = None) -> str:
    slug = PROVIDER_SLUGS[provider.name]
    items = ['<li><a href="/">Eksempeludbydere</a></li>', f'<li><a href="/{slug}/">{e(provider.name)}</a></li>']
    if title:
        items.append(f'<li aria-current="page">{e(title)}</li>')
    return f'<nav class="breadcrumb" aria-label="Brødkrumme"><ol>{"".join(items)}</ol></nav>\n'


def description_html(text: str) -> str:
    """The feed's description as the page's text: headings, paragraphs and lists."""
    parts = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        first = lines[0]
        label = re.match(r"^([A-ZÆØÅ][^:]{2,30}):\s+(.+)$", first)
        if len(lines) > 1 and ":" not in first and len(first) < 40 and not first.endswith("."):
            parts.append(f"<h2>{e(first)}</h2>")
            lines = lines[1:]
        elif label and label[1] in SECTION_LABELS:
            parts.append(f"<h2>{e(label[1])}</h2>\n<p>{e(label[2])}</p>")
            lines = lines[1:]
            if not lines:
                continue
        if all(line.startswith("- ") for line in lines):
            parts.append("<ul>" + "".join(f"<li>{e(line[2:])}</li>" for line in lines) + "</ul>")
        else:
            parts.append("<p>" + "<br>\n".join(e(line) for line in lines) + "</p>")
    return "\n".join(parts)


def goals_html(record: dict[str, Any]) -> str:
    goals = record["learning_goals"]
    if not goals:
        return ""
    parts = ['<section class="laeringsmaal">', "<h2>Læringsmål</h2>"]
    kinds = [goal["kind"] for goal in goals]
    if all(kind in GOAL_HEADINGS for kind in kinds):
        for kind, heading in GOAL_HEADINGS.items():
            texts = [goal["text"] for goal in goals if goal["kind"] == kind]
            if texts:
                parts.append(f"<h3>{heading}</h3>")
                parts.append("<ul>" + "".join(f"<li>{e(text)}</li>" for text in texts) + "</ul>")
    else:
        parts.append("<ul>" + "".join(f"<li>{e(goal['text'])}</li>" for goal in goals) + "</ul>")
    parts.append("</section>")
    return "\n".join(parts)


def fact_rows(record: dict[str, Any], provider: Provider, *, dates: bool = True) -> list[tuple[str, str]]:
    rows = [("Uddannelsestype" if record["ects"] else "Type", type_text(record))]
    if record["ects"]:
        rows.append(("ECTS", f"{record['ects']:g} ECTS-point".replace(".", ",")))
    if record["duration_days"]:
        rows.append(("Varighed", da_days(record["duration_days"])))
    if dates and record["start_dates"]:
        rows.append((provider.start_label, da_dates(record["start_dates"])))
    if record["application_deadline"]:
        rows.append((provider.deadline_label, da_date(record["application_deadline"])))
    if dates and record["location"]:
        rows.append(("Sted", record["location"]))
    rows.append(("Undervisningsform", form_text(record, provider)))
    rows.append(("Pris", price_text(record, provider)))
    if record["target_group"]:
        rows.append(("Målgruppe", record["target_group"]))
    if record["language"] == "da":
        rows.append(("Sprog", "Dansk"))
    return rows


def facts_html(rows: list[tuple[str, str]], style: str) -> str:
    if style in ("dl", "aside", "schedule"):
        items = "".join(f"<dt>{e(label)}</dt><dd>{e(value)}</dd>" for label, value in rows)
        return f'<dl class="fakta">{items}</dl>'
    if style == "table":
        body = "".join(f'<tr><th scope="row">{e(label)}</th><td>{e(value)}</td></tr>' for label, value in rows)
        return f'<table class="fakta"><caption>Praktiske oplysninger</caption>{body}</table>'
    if style == "lines":
        items = "".join(f"<li><strong>{e(label)}:</strong> {e(value)}</li>" for label, value in rows)
        return f'<ul class="fakta">{items}</ul>'
    raise ValueError(style)


def schedule_html(record: dict[str, Any], provider: Provider) -> str:
    """A table of the runs (Dato | Sted | Pladser); with microdata, each row is a CourseInstance."""
    if not record["start_dates"]:
        return ""
    micro = provider.layer == "microdata"
    rows = []
    for number, iso in enumerate(record["start_dates"], 1):
        seats = "Få ledige pladser" if number == 1 else "Ledige pladser"
        if micro:
            workload = (f'<meta itemprop="courseWorkload" content="P{record["duration_days"]:g}D">'
                        if record["duration_days"] else "")  # fmt: skip
            rows.append(
                '<tr itemprop="hasCourseInstance" itemscope itemtype="https://schema.org/CourseInstance">'
                f'<td><time itemprop="startDate" datetime="{iso}">{da_date(iso)}</time>'
                f'<meta itemprop="courseMode" content="{COURSE_MODES[record["form"]]}">{workload}</td>'
                '<td itemprop="location" itemscope itemtype="https://schema.org/Place">'
                f'<span itemprop="name">{e(record["location"])}</span></td>'
                '<td itemprop="offers" itemscope itemtype="https://schema.org/Offer">'
                f'<meta itemprop="priceCurrency" content="DKK"><span itemprop="price" content="{record["price_dkk"]:g}">'
                f"{e(da_price(record['price_dkk']))}</span></td>"
                f"<td>{seats}</td></tr>"
            )
        else:
            place = f"<td>{e(record['location'])}</td>" if record["location"] else ""
            rows.append(f"<tr><td>{da_date(iso)}</td>{place}<td>{seats}</td></tr>")
    place_head = "<th>Sted</th>" if record["location"] or micro else ""
    price_head = "<th>Pris</th>" if micro else ""
    return (
        '<section class="hold"><h2>Hold og tilmelding</h2>'
        f'<table class="holdplan"><thead><tr><th>Dato</th>{place_head}{price_head}<th>Pladser</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></section>"
    )


def jsonld(record: dict[str, Any], provider: Provider) -> str:
    instances = []
    for iso in record["start_dates"]:
        instance: dict[str, Any] = {"@type": "CourseInstance", "startDate": iso,
                                    "courseMode": COURSE_MODES[record["form"]]}  # fmt: skip
        if record["location"]:
            instance["location"] = {
                "@type": "Place",
                "address": {"@type": "PostalAddress", "addressLocality": record["location"], "addressCountry": "DK"},
            }
        if record["duration_days"]:
            instance["courseWorkload"] = f"P{record['duration_days']:g}D"
        instance["offers"] = {"@type": "Offer", "price": num(record["price_dkk"]), "priceCurrency": "DKK",
                              "category": "Deltagerbetaling"}  # fmt: skip
        instances.append(instance)
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Course",
        "name": record["title"],
        "description": record["description"],
        "provider": {"@type": provider.org_type, "name": provider.name},
        "inLanguage": record["language"],
        "educationalCredentialAwarded": CREDENTIALS[record["course_type"]],
    }
    if record["eqf_level"]:
        data["educationalLevel"] = f"EQF {record['eqf_level']}"
    if record["ects"]:
        data["numberOfCredits"] = num(record["ects"])
    if record["admission"]:
        data["coursePrerequisites"] = record["admission"]
    if record["target_group"]:
        data["audience"] = {"@type": "Audience", "audienceType": record["target_group"]}
    data["hasCourseInstance"] = instances
    text = json.dumps(data, ensure_ascii=False, indent=2).replace("</", "<\\/")
    return f'<script type="application/ld+json">\n{text}\n</script>\n'


def admission_html(record: dict[str, Any]) -> str:
    if not record["admission"]:
        return ""
    text = re.sub(r"^Adgangskrav:\s*", "", record["admission"])
    return f"<h2>Adgangskrav</h2>\n<p>{e(text)}</p>"


def signup_html(record: dict[str, Any], provider: Provider) -> str:
    if record["form"] == "rekvirerbar":
        how = "Kontakt os for et tilbud og en dato, der passer jer."
    elif record["course_type"] in ("diplom", "akademi", "master"):
        how = "Du søger om optagelse via den fælles ansøgningsportal for efter- og videreuddannelse."
    else:
        how = "Tilmelding sker på kursets side. Du får en bekræftelse på e-mail."
    contact = 'Spørgsmål? Skriv til os via <a href="/kontakt">kontaktsiden</a>.'
    return f"<h2>Praktisk information</h2>\n<p>{e(how)} {contact}</p>"


def course_page(record: dict[str, Any]) -> str:
    provider = PROVIDERS[record["provider"]]
    title = record["title"]
    head = ""
    if provider.layer == "jsonld":
        head = jsonld(record, provider)
        head += f'<meta name="description" content="{e(teaser(record["description"]))}">\n'
    schedule = provider.facts == "schedule"
    rows = fact_rows(record, provider, dates=not schedule)
    if provider.layer == "microdata":
        text = (
            f'<article itemscope itemtype="https://schema.org/Course">\n'
            f'<h1 itemprop="name">{e(title)}</h1>\n'
            f'<div itemprop="provider" itemscope itemtype="https://schema.org/{provider.org_type}">'
            f'<meta itemprop="name" content="{e(provider.name)}"></div>\n'
            f'<meta itemprop="inLanguage" content="{record["language"]}">\n'
            f'<meta itemprop="educationalCredentialAwarded" content="{e(CREDENTIALS[record["course_type"]])}">\n'
            f'<div itemprop="description">\n{description_html(record["description"])}\n</div>\n'
            f"{facts_html(rows, 'dl')}\n{schedule_html(record, provider)}\n{goals_html(record)}\n"
            f"{signup_html(record, provider)}\n</article>"
        )
    else:
        facts = facts_html(rows, provider.facts)
        aside = f'<aside class="faktaboks" aria-label="Fakta">\n<h2>Fakta</h2>\n{facts}\n</aside>\n'
        text = (
            f"<article>\n<h1>{e(title)}</h1>\n"
            + (aside if provider.facts == "aside" else f"{facts}\n")
            + f"{description_html(record['description'])}\n"
            + (schedule_html(record, provider) + "\n" if schedule else "")
            + f"{goals_html(record)}\n{admission_html(record)}\n{signup_html(record, provider)}\n</article>"
        )
    return page(title, text, provider=provider, head=head, crumbs=breadcrumbs(provider, title))


def provider_index(provider: Provider, records: list[dict[str, Any]]) -> str:
    slug = PROVIDER_SLUGS[provider.name]
    cards = []
    for record in records:
        cards.append(f'<li class="kort"><h3><a href="{page_path(record)}">{e(record["title"])}</a></h3>'
                     f"<p>{e(type_text(record))}. {e(teaser(record['description']))}</p></li>")  # fmt: skip
    head = ""
    if provider.layer == "jsonld":
        items = [{"@type": "ListItem", "position": i, "url": f"/{slug}{urlsplit(r['url']).path}", "name": r["title"]}
                 for i, r in enumerate(records, 1)]  # fmt: skip
        data = {"@context": "https://schema.org", "@type": "ItemList", "name": f"Uddannelser hos {provider.name}",
                "itemListElement": items}  # fmt: skip
        head = f'<script type="application/ld+json">\n{json.dumps(data, ensure_ascii=False, indent=2)}\n</script>\n'
    body = (
        f"<h1>{e(provider.name)}</h1>\n<p class=\"lead\">{e(provider.tagline)}.</p>\n"
        f"<h2>Uddannelser og kurser ({len(records)})</h2>\n<ul class=\"kortliste\">\n" + "\n".join(cards) + "\n</ul>"
    )
    return page(f"Uddannelser og kurser hos {provider.name}", body, provider=provider, head=head,
                crumbs=breadcrumbs(provider))  # fmt: skip


def front_page(by_provider: dict[str, list[dict[str, Any]]]) -> str:
    items = []
    for name, records in by_provider.items():
        provider = PROVIDERS[name]
        count = f"{len(records)} {'kursus' if len(records) == 1 else 'kurser og moduler'}"
        items.append(f'<li><h3><a href="/{PROVIDER_SLUGS[name]}/">{e(name)}</a></h3>'
                     f"<p>{e(provider.tagline)} · {count}</p></li>")  # fmt: skip
    body = (
        "<h1>Eksempeludbydere af efter- og videreuddannelse</h1>\n"
        '<p class="lead">Et lille, fiktivt udsnit af udbydere af kurser, akademi-, diplom- og mastermoduler for '
        "medarbejdere i beskæftigelsesindsatsen. Siden er lavet til fagmatch' demo og bliver gennemsøgt af "
        "fagmatch' crawler, præcis som en rigtig udbyders hjemmeside.</p>\n"
        f"<h2>Udbydere ({len(by_provider)})</h2>\n<ul class=\"kortliste\">\n" + "\n".join(items) + "\n</ul>\n"
        '<p><a href="/nyheder/">Nyheder</a> · <a href="/om-siden">Om siden</a></p>'
    )
    return page("Forside", body)


ABOUT = """<h1>Om siden</h1>
<p>Alle udbydere, kurser og personer på denne side er opdigtede. Siden følger med fagmatch som eksempeldata og
bliver serveret lokalt på 127.0.0.1, når du kører <code>fagmatch demo</code>.</p>
<h2>Hvorfor ser siderne forskellige ud?</h2>
<p>Rigtige udbydere beskriver deres kurser på mange måder. Universiteter og professionshøjskoler har ofte
struktureret data (schema.org JSON-LD) i siden, AMU-centret har det i selve HTML-koden (microdata), mens de
private kursusudbydere kun skriver fakta som pris, holdstart og sted i teksten. fagmatch læser dem alle.</p>
<h2>Sider, crawleren ikke må besøge</h2>
<p>Filen robots.txt lukker mappen /intern/ for crawlere, fx <a href="/intern/kladde-nyt-modul">kladden til et nyt
modul</a>, som endnu ikke er offentliggjort.</p>"""

CONTACT = """<h1>Kontakt</h1>
<p>Eksempeludbyderne findes ikke, og ingen læser henvendelser. Har du spørgsmål til fagmatch, så se projektets
README.</p>"""

NEWS_INDEX = """<h1>Nyheder</h1>
<ul class="kortliste">
<li><h3><a href="/nyheder/nyt-kursusaar-2027">Nyt kursusår 2027: tilmeldingen er åben</a></h3>
<p>Forårets moduler og kurser er lagt ud.</p></li>
</ul>"""

NEWS_ARTICLE = """<article>
<h1>Nyt kursusår 2027: tilmeldingen er åben</h1>
<p>Udbyderne har lagt forårets og efterårets hold ud. Diplommodulerne starter 1. februar 2027, og
ansøgningsfristen for de fleste moduler er 1. december 2026. Mange kurser koster under 6.000 kr.</p>
<p>Læs mere på udbydernes egne sider.</p>
</article>"""

DRAFT = """<article>
<h1>Kladde: Nyt diplommodul om ungeindsatsen</h1>
<dl class="fakta"><dt>Uddannelsestype</dt><dd>Diplommodul</dd><dt>ECTS</dt><dd>10 ECTS-point</dd>
<dt>Pris</dt><dd>13.900 kr.</dd><dt>Studiestart</dt><dd>6. september 2027</dd><dt>Sted</dt><dd>København</dd>
<dt>Undervisningsform</dt><dd>Fremmøde på campus</dd></dl>
<p>Denne side er en kladde og må ikke offentliggøres. robots.txt holder crawlere væk herfra.</p>
</article>"""

CSS = """body { font-family: system-ui, sans-serif; margin: 0; color: #222; line-height: 1.5; }
.site-header { background: var(--accent); color: #fff; padding: .8rem 1.5rem; display: flex; gap: 2rem; align-items: center; flex-wrap: wrap; }
.site-header a { color: #fff; }
.site-header .logo { font-weight: 700; font-size: 1.2rem; text-decoration: none; }
.site-header ul, .breadcrumb ol { list-style: none; margin: 0; padding: 0; display: flex; gap: 1rem; flex-wrap: wrap; }
.breadcrumb { padding: .5rem 1.5rem; font-size: .9rem; background: #f3f3f3; }
.breadcrumb li + li::before { content: "›"; margin-right: 1rem; }
main { max-width: 60rem; padding: 1rem 1.5rem 2rem; }
.cookie-banner { background: #fff8d6; padding: .3rem 1.5rem; font-size: .85rem; }
.cookie-banner p { margin: 0; }
.faktaboks { float: right; width: 18rem; margin: 0 0 1rem 1.5rem; padding: .8rem 1rem; border-left: 4px solid var(--accent); background: #f6f6f6; }
.fakta dt, .fakta th { font-weight: 600; text-align: left; }
.fakta dd { margin: 0 0 .4rem 0; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
td, th { padding: .3rem .8rem .3rem 0; vertical-align: top; }
.holdplan th { border-bottom: 2px solid var(--accent); }
ul.fakta { padding-left: 1.2rem; }
.kortliste { list-style: none; padding: 0; }
.kortliste li { border-left: 4px solid var(--accent); padding: .2rem 1rem; margin-bottom: 1rem; }
.lead { font-size: 1.1rem; }
h1, h2, h3 { color: var(--accent); }
.site-footer { border-top: 1px solid #ddd; padding: 1rem 1.5rem; font-size: .9rem; color: #555; clear: both; }
"""


def build(feed: Path = FEED, site: Path = SITE) -> dict[str, int]:
    records = [json.loads(line) for line in feed.read_text(encoding="utf-8").splitlines() if line.strip()]
    by_provider: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        if record["provider"] not in PROVIDERS:
            raise SystemExit(f"{feed}: provider {record['provider']!r} has no section in make_site.py")
        by_provider.setdefault(record["provider"], []).append(record)
        PROVIDER_SLUGS.setdefault(record["provider"], slug_of(record))
    files: dict[str, str] = {}
    for record in records:
        files[file_for(page_path(record))] = course_page(record)
    for name, provider_records in by_provider.items():
        files[f"{PROVIDER_SLUGS[name]}/index.html"] = provider_index(PROVIDERS[name], provider_records)
    files["index.html"] = front_page(by_provider)
    files["om-siden.html"] = page("Om siden", ABOUT)
    files["kontakt.html"] = page("Kontakt", CONTACT)
    files["nyheder/index.html"] = page("Nyheder", NEWS_INDEX)
    files["nyheder/nyt-kursusaar-2027.html"] = page("Nyt kursusår 2027", NEWS_ARTICLE,
                                                   head='<meta property="og:type" content="article">\n')  # fmt: skip
    files["intern/kladde-nyt-modul.html"] = page("Kladde", DRAFT)
    files["static/site.css"] = CSS
    files["robots.txt"] = "User-agent: *\nDisallow: /intern/\n\nSitemap: {{BASE}}/sitemap.xml\n"
    urls = ["/", "/om-siden", "/nyheder/", "/nyheder/nyt-kursusaar-2027",
            *[f"/{slug}/" for slug in PROVIDER_SLUGS.values()], *[page_path(record) for record in records]]  # fmt: skip
    entries = "".join(f"  <url><loc>{{{{BASE}}}}{e(url)}</loc><lastmod>{LASTMOD}</lastmod></url>\n" for url in urls)
    files["sitemap.xml"] = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{entries}</urlset>\n'
    )
    if site.exists():
        shutil.rmtree(site)
    for name, text in sorted(files.items()):
        target = site / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8", newline="\n")
    layers: dict[str, int] = {}
    for record in records:
        layer = PROVIDERS[record["provider"]].layer
        layers[layer] = layers.get(layer, 0) + 1
    return {"files": len(files), "courses": len(records), "providers": len(by_provider), **layers}


if __name__ == "__main__":
    counts = build()
    print(f"wrote {SITE.relative_to(HERE.parents[1])}: " + ", ".join(f"{k} {v}" for k, v in counts.items()),
          file=sys.stderr)  # fmt: skip
