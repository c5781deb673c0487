"""Generate the multi-provider test web (tests/provider_web/site/) and its gold (tests/provider_web/gold.json).

    .venv/bin/python tests/provider_web/make_site.py

Four fictional Danish providers on one host, each built the way a kind of real provider site is
(written for this test web, not copied from any site), none of them a layout of tests/crawl_web:

* /nord/ — an old ASP site in windows-1252: the whole page is one layout <table> (logo row, a menu
  cell full of links, the content cell), no <nav>/<main>/<article>; course facts in a <table> of
  <th>/<td> rows; half the course pages have no <h1>, only a bold <font> heading and the <title>.
  Course pages are `kursus.asp?id=N`. One page is served with a wrong charset in its header, one
  with an unknown one (the body's <meta> says windows-1252).
* /syd/ — short modern course pages whose facts are cards (a small heading and a value each),
  several dd.mm.yyyy dates, e-learning that starts "Løbende" or "Start når du vil", webinars.
  The listing shows six cards and a "Vis flere" button whose data-url returns the rest as an
  HTML fragment. A course under /syd/intern/ is shut out by robots.txt.
* /vest/ — a WordPress-like site: masthead, sidebar widgets with course links, facts as
  "<strong>Label:</strong> value" paragraphs or a <dl>. The course list is only in a JSON endpoint
  that the listing page's script calls (paged); category archives repeat the facts per course.
* /oest/ — an Umbraco-like site: block-grid sections, facts as plain "Label: value" lines in a rich
  text block, some in a <dl>; under each course, teasers of three other courses with their dates
  and prices; a rekvirerbar course; "Indlæs flere" paginates the listing.

Around them: a front page, news, contact, privacy and about pages, a 404 link, a redirect from an
old address, links with tracking parameters, a course page that answers 500 once and then recovers. The gold lists every course page and its facts as a
reader of the page would state them (null where the page does not say, or says it in words the
course record cannot hold; a duration in hours is days of 7.4 hours, to two decimals). The server config (redirects, charsets)
is in site/server.json, read by tests/crawl_web/server.py.
"""

from __future__ import annotations

import html
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SITE = HERE / "site"


@dataclass
class C:
    """One course: its shown facts (label → text) and the gold values."""

    slug: str
    title: str
    intro: str
    facts: list[tuple[str, str]]
    gold: dict[str, Any]
    extra: str = ""
    options: dict[str, Any] = field(default_factory=dict)


def gold(ects=None, price=None, dates=(), deadline=None, place=None, form=None, days=None) -> dict[str, Any]:
    return {"ects": ects, "price_dkk": price, "start_dates": list(dates), "application_deadline": deadline,
            "location": place, "form": form, "duration_days": days}  # fmt: skip


# ------------------------------------------------------------------------------------------------
# Nord: windows-1252 table layout
# ------------------------------------------------------------------------------------------------

NORD = [
    C("101", "Jobsamtalen som redskab", "Kurset styrker din samtalepraksis med ledige borgere, fra første kontakt til opfølgning.",
      [("Varighed", "2 dage"), ("Dato", "03.03.2027"), ("Tilmeldingsfrist", "01.02.2027"), ("Pris", "4.500 kr. ekskl. moms"),
       ("Undervisningssted", "Aalborg"), ("Undervisningsform", "Holdundervisning")],
      gold(price=4500.0, dates=["2027-03-03"], deadline="2027-02-01", place="Aalborg", form="fysisk", days=2.0)),
    C("102", "Beskæftigelsesret for sagsbehandlere", "Diplommodul om lovgrundlaget for indsatsen over for ledige og sygemeldte.",
      [("ECTS-point", "10"), ("Varighed", "1 semester"), ("Studiestart", "01.02.2027"), ("Ansøgningsfrist", "01.12.2026"),
       ("Pris", "12.900 kr."), ("Undervisningssted", "Aalborg"), ("Undervisningsform", "Fremmøde og e-læring")],
      gold(ects=10.0, price=12900.0, dates=["2027-02-01"], deadline="2026-12-01", place="Aalborg", form="blended")),
    C("103", "Samarbejde med virksomheder", "Lær at opbygge og fastholde gode relationer til lokale arbejdsgivere.",
      [("Varighed", "1 dag"), ("Dato", "15.04.2027"), ("Tilmeldingsfrist", "15.03.2027"), ("Pris", "kr. 2.495,-"),
       ("Undervisningssted", "Hjørring")],
      gold(price=2495.0, dates=["2027-04-15"], deadline="2027-03-15", place="Hjørring", days=1.0),
      options={"no_h1": True}),
    C("104", "Sygedagpengeopfølgning i praksis", "Et kursus om opfølgning, arbejdsfastholdelse og samarbejde med arbejdspladsen.",
      [("Varighed", "3 dage"), ("Dato", "10.05.2027"), ("Tilmeldingsfrist", "12.04.2027"), ("Pris", "6.750 kr."),
       ("Undervisningssted", "Kursuscentret, Vesterbro 14, 9000 Aalborg"), ("Undervisningsform", "Holdundervisning")],
      gold(price=6750.0, dates=["2027-05-10"], deadline="2027-04-12", place="Kursuscentret, Vesterbro 14, 9000 Aalborg",
           form="fysisk", days=3.0)),
    C("105", "Socialfaglig metode", "Diplommodul i socialfaglig udredning og dokumentation af indsatsen.",
      [("ECTS-point", "5"), ("Studiestart", "30.08.2027"), ("Ansøgningsfrist", "15.06.2027"), ("Pris", "7.400 kr."),
       ("Undervisningssted", "Frederikshavn"), ("Undervisningsform", "Fjernundervisning")],
      gold(ects=5.0, price=7400.0, dates=["2027-08-30"], deadline="2027-06-15", place="Frederikshavn", form="online"),
      options={"no_h1": True}),
    C("106", "Unge uden uddannelse", "Redskaber til vejledning af unge under 30 år uden en erhvervskompetencegivende uddannelse.",
      [("Varighed", "2 dage"), ("Dato", "07.06.2027"), ("Pris", "3.900 kr."), ("Undervisningssted", "Aalborg")],
      gold(price=3900.0, dates=["2027-06-07"], place="Aalborg", days=2.0)),
    C("107", "Rehabiliteringsteamet", "Om rehabiliteringsteamets arbejde, indstillinger og den helhedsorienterede plan.",
      [("Varighed", "1 dag"), ("Dato", "22.09.2027"), ("Tilmeldingsfrist", "25.08.2027"), ("Pris", "2.200 kr."),
       ("Undervisningssted", "Brønderslev")],
      gold(price=2200.0, dates=["2027-09-22"], deadline="2027-08-25", place="Brønderslev", days=1.0),
      options={"no_h1": True, "charset_header": "text/html; charset=utf-8"}),
    C("108", "Forvaltningsret for jobcentre", "Diplommodul om god forvaltningsskik, partshøring og begrundelse.",
      [("ECTS-point", "5"), ("Studiestart", "01.02.2027"), ("Ansøgningsfrist", "01.12.2026"), ("Pris", "7.400 kr."),
       ("Undervisningssted", "Aalborg"), ("Undervisningsform", "Holdundervisning")],
      gold(ects=5.0, price=7400.0, dates=["2027-02-01"], deadline="2026-12-01", place="Aalborg", form="fysisk"),
      options={"charset_header": "text/html; charset=x-nordic-8"}),
    C("109", "Den motiverende samtale", "Træn den motiverende samtale med borgere, der er langt fra arbejdsmarkedet.",
      [("Varighed", "2 dage"), ("Dato", "11.10.2027"), ("Tilmeldingsfrist", "13.09.2027"), ("Pris", "4.200 kr."),
       ("Undervisningssted", "Aalborg")],
      gold(price=4200.0, dates=["2027-10-11"], deadline="2027-09-13", place="Aalborg", days=2.0),
      options={"no_h1": True}),
    C("110", "Fleksjob og ressourceforløb", "Et overblik over fleksjob, ressourceforløb og jobafklaring for nye medarbejdere.",
      [("Varighed", "1 dag"), ("Dato", "02.11.2027"), ("Pris", "1.950 kr."), ("Undervisningssted", "Hjørring"),
       ("Undervisningsform", "Holdundervisning")],
      gold(price=1950.0, dates=["2027-11-02"], place="Hjørring", form="fysisk", days=1.0)),
    C("111", "Arbejdsmarkedspolitik", "Diplommodul om dansk arbejdsmarkedspolitik og dens aktører.",
      [("ECTS-point", "10"), ("Studiestart", "30.08.2027"), ("Ansøgningsfrist", "01.06.2027"), ("Pris", "12.900 kr."),
       ("Undervisningssted", "Aalborg")],
      gold(ects=10.0, price=12900.0, dates=["2027-08-30"], deadline="2027-06-01", place="Aalborg"),
      options={"no_h1": True}),
    C("112", "Borgere med psykisk sårbarhed", "Viden og greb til samtaler med borgere med angst, depression eller stress.",
      [("Varighed", "2 dage"), ("Dato", "24.02.2027"), ("Tilmeldingsfrist", "27.01.2027"), ("Pris", "4.100 kr."),
       ("Undervisningssted", "Aalborg")],
      gold(price=4100.0, dates=["2027-02-24"], deadline="2027-01-27", place="Aalborg", days=2.0)),
]
NORD_MENU = [("default.asp", "Forside"), ("kurser.asp", "Alle kurser"), ("kurser.asp?kat=1", "Diplommoduler"),
             ("kurser.asp?kat=2", "Korte kurser"), ("kalender.asp", "Kalender"), ("nyt.asp?id=7", "Nyt fra centret"),
             ("kontakt.asp", "Kontakt"), ("om.asp", "Om Kursuscentret")]  # fmt: skip


def nord_page(title: str, content: str, *, head_title: str | None = None) -> bytes:
    menu = "".join(f'<tr><td class="menu"><a href="/nord/{href}">{html.escape(text)}</a></td></tr>' for href, text in NORD_MENU)
    popular = "".join(f'<a href="/nord/kursus.asp?id={c.slug}">{html.escape(c.title)}</a><br>' for c in NORD[:4])
    page = f"""<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">
<title>{html.escape(head_title or title)} - Nord Kursuscenter</title>
<link rel="stylesheet" href="/nord/style.css">
</head>
<body bgcolor="#ffffff" topmargin="0" leftmargin="0">
<table width="900" border="0" cellpadding="0" cellspacing="0" align="center">
<tr><td colspan="3" height="80"><img src="/nord/logo.gif" alt="Nord Kursuscenter" width="300" height="70"></td></tr>
<tr><td colspan="3" class="topmenu"><a href="/nord/default.asp">Forside</a> | <a href="/nord/kurser.asp">Kurser</a> | <a href="/nord/kontakt.asp">Kontakt</a></td></tr>
<tr>
<td width="180" valign="top"><table width="100%" border="0" cellpadding="4">{menu}</table>
<p class="small"><b>Populære kurser</b><br>{popular}</p></td>
<td width="20">&nbsp;</td>
<td width="700" valign="top">
{content}
</td></tr>
<tr><td colspan="3" class="bund">Nord Kursuscenter · Vesterbro 14 · 9000 Aalborg · Tlf. 98 12 34 56 · <a href="/nord/kontakt.asp">Kontakt</a></td></tr>
</table>
</body>
</html>
"""
    return page.encode("cp1252")


def nord_course(c: C) -> bytes:
    rows = "".join(f'<tr><th align="left" valign="top">{html.escape(k)}:</th><td>{html.escape(v)}</td></tr>' for k, v in c.facts)
    heading = (f'<font face="Verdana" size="4" color="#003366"><b>{html.escape(c.title)}</b></font>' if c.options.get("no_h1")
               else f"<h1>{html.escape(c.title)}</h1>")  # fmt: skip
    content = f"""<font face="Verdana" size="1"><a href="/nord/default.asp">Forside</a> &gt; <a href="/nord/kurser.asp">Kurser</a></font><br><br>
{heading}
<p><font face="Verdana" size="2">{html.escape(c.intro)} Undervisningen veksler mellem oplæg, øvelser og drøftelser af deltagernes egne sager.</font></p>
<table class="fakta" border="0" cellpadding="3" cellspacing="0" width="400">{rows}</table>
<p><font face="Verdana" size="2"><b>Indhold</b><br>Vi arbejder med cases fra hverdagen i jobcentret – også dem, der ikke går efter bogen.</font></p>
<p><a href="/nord/tilmelding.asp?id={c.slug}">Tilmeld dig her</a></p>"""
    return nord_page(c.title, content)


def nord_listing(courses: list[C], heading: str) -> bytes:
    rows = "".join(
        f'<tr><td><a href="/nord/kursus.asp?id={c.slug}">{html.escape(c.title)}</a></td><td>{html.escape(dict(c.facts).get("Dato") or dict(c.facts).get("Studiestart", ""))}</td>'
        f'<td>{html.escape(dict(c.facts)["Undervisningssted"])}</td></tr>'
        for c in courses
    )  # fmt: skip
    content = (f"<h1>{heading}</h1><table border='1' cellpadding='3'><tr><th>Kursus</th><th>Dato</th><th>Sted</th></tr>{rows}"
               f"<tr><td><a href='/nord/kursus.asp?id=199'>Udgået kursus</a></td><td>-</td><td>-</td></tr></table>")  # fmt: skip
    return nord_page(heading, content)


# ------------------------------------------------------------------------------------------------
# Syd: card layout, short pages, e-learning, webinars
# ------------------------------------------------------------------------------------------------

SYD = [
    C("jobrettet-samtale", "Den jobrettede samtale", "Et kort og praktisk kursus med fokus på samtalens struktur.",
      [("Datoer", "03.03.2027 · 17.03.2027 · 07.04.2027"), ("Pris", "1.995 kr."), ("Sted", "Kolding"), ("Varighed", "1 dag")],
      gold(price=1995.0, dates=["2027-03-03", "2027-03-17", "2027-04-07"], place="Kolding", days=1.0)),
    C("e-laering-gdpr", "GDPR i sagsbehandlingen – e-læring", "Lær reglerne for behandling af borgeres personoplysninger i dit eget tempo.",
      [("Start", "Løbende"), ("Pris", "495 kr."), ("Format", "E-læring"), ("Varighed", "ca. 2 timer")],
      gold(price=495.0, form="online", days=0.27)),
    C("webinar-ledighedsydelse", "Webinar: Ledighedsydelse", "Et webinar om de nye regler for ledighedsydelse.",
      [("Dato", "14.04.2027 kl. 13.00-15.00"), ("Pris", "Gratis"), ("Format", "Webinar")],
      gold(price=0.0, dates=["2027-04-14"], form="online")),
    C("konflikthaandtering", "Konflikthåndtering ved skranken", "Bliv tryg i de svære situationer med vrede eller pressede borgere.",
      [("Datoer", "09.02.2027, 11.05.2027 og 14.09.2027"), ("Pris", "2.450 kr."), ("Sted", "Odense"), ("Varighed", "1 dag"),
       ("Tilmeldingsfrist", "14 dage før kursusstart")],
      gold(price=2450.0, dates=["2027-02-09", "2027-05-11", "2027-09-14"], place="Odense", days=1.0)),
    C("online-sygedagpenge", "Sygedagpenge for begyndere – online", "Et selvstudieforløb om sygedagpengelovens grundregler.",
      [("Start", "Start når du vil"), ("Pris", "795 kr."), ("Format", "Online"), ("Varighed", "4 uger")],
      gold(price=795.0, form="online")),
    C("virksomhedsbesoeg", "Det gode virksomhedsbesøg", "Forbered, gennemfør og følg op på besøg hos lokale virksomheder.",
      [("Datoer", "20.04.2027 · 21.09.2027"), ("Pris", "2.195 kr."), ("Sted", "Esbjerg"), ("Varighed", "1 dag"),
       ("Tilmeldingsfrist", "30.03.2027")],
      gold(price=2195.0, dates=["2027-04-20", "2027-09-21"], deadline="2027-03-30", place="Esbjerg", days=1.0)),
    C("tvaerfagligt-samarbejde", "Tværfagligt samarbejde om borgeren", "Samarbejd på tværs af jobcenter, sundhed og socialområde.",
      [("Datoer", "26.05.2027"), ("Pris", "2.295 kr."), ("Sted", "Sønderborg"), ("Varighed", "1 dag")],
      gold(price=2295.0, dates=["2027-05-26"], place="Sønderborg", days=1.0)),
    C("e-laering-dokumentation", "Dokumentation i journalen – e-læring", "Skriv korte, præcise og lovmedholdelige journalnotater.",
      [("Start", "Løbende"), ("Pris", "395 kr."), ("Format", "E-læring")],
      gold(price=395.0, form="online")),
    C("webinar-kontanthjaelp", "Webinar: Kontanthjælp og 225-timersreglen", "Et webinar om reglerne og de typiske faldgruber.",
      [("Dato", "08.06.2027 kl. 9.00-10.30"), ("Pris", "Gratis"), ("Format", "Webinar")],
      gold(price=0.0, dates=["2027-06-08"], form="online")),
    C("stresshaandtering", "Stresshåndtering for fagprofessionelle", "Forebyg stress hos dig selv og dine kolleger.",
      [("Datoer", "02.03.2027 og 05.10.2027"), ("Pris", "2.650 kr."), ("Sted", "Vejle"), ("Varighed", "2 dage")],
      gold(price=2650.0, dates=["2027-03-02", "2027-10-05"], place="Vejle", days=2.0)),
    C("hybrid-netvaerk", "Netværksbaseret mentorindsats", "Undervisning på skift i Kolding og online via Teams.",
      [("Datoer", "16.03.2027"), ("Pris", "3.100 kr."), ("Sted", "Kolding"), ("Format", "Hybrid"), ("Varighed", "2 dage")],
      gold(price=3100.0, dates=["2027-03-16"], place="Kolding", form="blended", days=2.0)),
    C("e-laering-forvaltning", "Forvaltningsret på 60 minutter – e-læring", "Et kort e-læringskursus om de vigtigste regler.",
      [("Start", "Start når du vil"), ("Pris", "295 kr."), ("Format", "E-læring"), ("Varighed", "60 minutter")],
      gold(price=295.0, form="online", days=0.14)),
]
SYD_SECRET = C("intern-test", "Internt testkursus", "Ikke offentligt.", [("Datoer", "01.01.2027"), ("Pris", "1 kr.")], gold())


def syd_page(title: str, main: str, *, og_type: str = "website") -> str:
    return f"""<!DOCTYPE html>
<html lang="da"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} | Kursushuset Syd</title>
<meta property="og:site_name" content="Kursushuset Syd"><meta property="og:type" content="{og_type}">
</head><body>
<div class="topbar"><a href="/syd/">Kursushuset Syd</a>
<ul class="menu"><li><a href="/syd/kurser/">Kurser</a></li><li><a href="/syd/kurser/e-laering/">E-læring</a></li>
<li><a href="/syd/nyheder/">Nyheder</a></li><li><a href="/syd/kontakt/">Kontakt</a></li></ul></div>
<main class="page">{main}</main>
<div class="bottom"><p>Kursushuset Syd · CVR 12345678 · <a href="/syd/privatlivspolitik/">Privatlivspolitik</a> · <a href="/syd/handelsbetingelser/">Handelsbetingelser</a></p></div>
</body></html>
"""


def syd_course(c: C) -> str:
    cards = "".join(f'<div class="card card--fact"><span class="card__label">{html.escape(k)}</span>'
                    f'<span class="card__value">{html.escape(v)}</span></div>' for k, v in c.facts)  # fmt: skip
    return syd_page(c.title, f"""<section class="hero"><h1>{html.escape(c.title)}</h1><p class="lead">{html.escape(c.intro)}</p></section>
<section class="cards cards--facts">{cards}</section>
<section class="body"><p>Du får konkrete værktøjer, som du kan bruge dagen efter i dit arbejde med borgerne.</p>
<a class="btn" href="/syd/kurv/tilfoej?kursus={c.slug}">Tilmeld</a></section>""")


def syd_card(c: C) -> str:
    facts = dict(c.facts)
    when = facts.get("Datoer") or facts.get("Dato") or facts.get("Start", "")
    return (f'<div class="card"><a href="/syd/kurser/{c.slug}/"><h3>{html.escape(c.title)}</h3></a>'
            f'<p>Dato: {html.escape(when)}</p><p>Pris: {html.escape(facts["Pris"])}</p></div>')  # fmt: skip


# ------------------------------------------------------------------------------------------------
# Vest: WordPress-like
# ------------------------------------------------------------------------------------------------

VEST = [
    C("ledelse-af-jobcentre", "Ledelse af faglighed i jobcentret", "Et forløb for teamledere om faglig ledelse og sparring.",
      [("Pris", "8.900 kr. ekskl. moms"), ("Varighed", "3 dage"), ("Datoer", "9. marts 2027, 6. april 2027 og 4. maj 2027"),
       ("Tilmeldingsfrist", "1. februar 2027"), ("Sted", "Herning"), ("Undervisningsform", "Fysisk fremmøde")],
      gold(price=8900.0, dates=["2027-03-09", "2027-04-06", "2027-05-04"], deadline="2027-02-01", place="Herning",
           form="fysisk", days=3.0), options={"style": "strong"}),
    C("borgerinddragelse", "Borgerinddragelse i praksis", "Hvordan inddrager vi borgeren i egen plan – og hvorfor betyder det noget?",
      [("Pris", "2.400 kr."), ("Varighed", "1 dag"), ("Dato", "22. april 2027"), ("Sted", "Holstebro")],
      gold(price=2400.0, dates=["2027-04-22"], place="Holstebro", days=1.0), options={"style": "dl"}),
    C("arbejdsmarkedsrettet-danskundervisning", "Sprog og job for nytilkomne", "Om at kombinere sprogundervisning og virksomhedspraktik.",
      [("Pris", "2.100 kr."), ("Varighed", "1 dag"), ("Dato", "11. maj 2027"), ("Tilmeldingsfrist", "20. april 2027"),
       ("Sted", "Ringkøbing")],
      gold(price=2100.0, dates=["2027-05-11"], deadline="2027-04-20", place="Ringkøbing", days=1.0),
      options={"style": "strong"}),
    C("digitale-moeder", "Gode digitale samtaler med borgere", "Planlæg og gennemfør samtaler over video, så de virker.",
      [("Pris", "1.800 kr."), ("Varighed", "1 dag"), ("Dato", "3. juni 2027"), ("Undervisningsform", "Online via Teams")],
      gold(price=1800.0, dates=["2027-06-03"], form="online", days=1.0), options={"style": "dl"}),
    C("diplom-vejledning", "Vejledning og karriereudvikling", "Diplommodul om vejledningsteori og vejledning af voksne.",
      [("ECTS-point", "10"), ("Pris", "13.200 kr."), ("Studiestart", "1. september 2027"), ("Ansøgningsfrist", "1. juni 2027"),
       ("Sted", "Herning"), ("Undervisningsform", "Blended learning")],
      gold(ects=10.0, price=13200.0, dates=["2027-09-01"], deadline="2027-06-01", place="Herning", form="blended"),
      options={"style": "strong"}),
    C("misbrug-og-beskaeftigelse", "Misbrug og beskæftigelse", "Samarbejdet mellem misbrugsbehandling og jobcenter.",
      [("Pris", "2.300 kr."), ("Varighed", "1 dag"), ("Dato", "14. september 2027"), ("Sted", "Herning")],
      gold(price=2300.0, dates=["2027-09-14"], place="Herning", days=1.0), options={"style": "dl"}),
    C("kommunikation-i-afgoerelser", "Klart sprog i afgørelser", "Skriv afgørelser, som borgeren forstår – og som holder juridisk.",
      [("Pris", "2.600 kr."), ("Varighed", "1 dag"), ("Dato", "5. oktober 2027"), ("Tilmeldingsfrist", "7. september 2027"),
       ("Sted", "Holstebro")],
      gold(price=2600.0, dates=["2027-10-05"], deadline="2027-09-07", place="Holstebro", days=1.0),
      options={"style": "strong"}),
    C("psykologisk-tryghed", "Psykologisk tryghed i teamet", "Et kursus for teams, der vil styrke samarbejdet og trivslen.",
      [("Pris", "Gratis for medlemmer"), ("Varighed", "½ dag"), ("Dato", "26. oktober 2027"), ("Sted", "Herning")],
      gold(price=0.0, dates=["2027-10-26"], place="Herning", days=0.5), options={"style": "dl"}),
]


def vest_page(title: str, article: str, *, body_class: str = "page", og_type: str = "website") -> str:
    widget = "".join(f'<li><a href="/vest/kursus/{c.slug}/">{html.escape(c.title)}</a></li>' for c in VEST[:5])
    return f"""<!DOCTYPE html>
<html lang="da-DK"><head><meta charset="UTF-8"><title>{html.escape(title)} – Videncenter Vest</title>
<meta property="og:site_name" content="Videncenter Vest"><meta property="og:type" content="{og_type}">
<link rel="stylesheet" id="theme-css" href="/vest/wp-content/themes/vest/style.css?ver=6.4" media="all">
</head><body class="{body_class}">
<div id="page" class="site"><a class="skip-link screen-reader-text" href="#primary">Gå til indhold</a>
<header id="masthead" class="site-header"><p class="site-title"><a href="/vest/">Videncenter Vest</a></p>
<nav id="site-navigation" class="main-navigation"><ul id="primary-menu" class="menu"><li><a href="/vest/kurser/">Kurser</a></li>
<li><a href="/vest/nyheder/">Nyheder</a></li><li><a href="/vest/om-os/">Om os</a></li><li><a href="/vest/kontakt/">Kontakt</a></li></ul></nav></header>
<div id="content" class="site-content"><div id="primary" class="content-area"><main id="main" class="site-main">
{article}
</main></div>
<aside id="secondary" class="widget-area"><section id="recent-courses" class="widget"><h2 class="widget-title">Kommende kurser</h2><ul>{widget}</ul></section>
<section class="widget"><h2 class="widget-title">Kategorier</h2><ul><li><a href="/vest/kategori/ledelse/">Ledelse</a></li><li><a href="/vest/kategori/samtaler/">Samtaler</a></li></ul></section></aside>
</div>
<footer id="colophon" class="site-footer"><div class="site-info">Videncenter Vest · Bredgade 1 · 7400 Herning</div></footer></div>
</body></html>
"""


def vest_facts(c: C) -> str:
    if c.options.get("style") == "dl":
        items = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in c.facts)
        return f'<dl class="kursusfakta">{items}</dl>'
    return "".join(f"<p><strong>{html.escape(k)}:</strong> {html.escape(v)}</p>" for k, v in c.facts)


def vest_course(c: C) -> str:
    article = f"""<article id="post-{VEST.index(c) + 101}" class="kursus type-kursus status-publish hentry">
<header class="entry-header"><h1 class="entry-title">{html.escape(c.title)}</h1></header>
<div class="entry-content"><p>{html.escape(c.intro)} Kurset bygger på nyere forskning og erfaringer fra kommunerne i regionen.</p>
<h2>Praktisk</h2>{vest_facts(c)}
<p><a class="wp-block-button__link" href="/vest/tilmelding/?kursus={c.slug}">Tilmeld dig</a></p></div>
</article>"""
    return vest_page(c.title, article, body_class="kursus-template-default single single-kursus")


# ------------------------------------------------------------------------------------------------
# Øst: Umbraco-like
# ------------------------------------------------------------------------------------------------

OEST = [
    C("beskaeftigelse/virksomhedspraktik", "Virksomhedspraktik og løntilskud", "Regler og god praksis for virksomhedsrettede tilbud.",
      [("Dato", "18.03.2027"), ("Varighed", "1 dag"), ("Pris", "2.350 kr."), ("Tilmeldingsfrist", "18.02.2027"), ("Sted", "Roskilde")],
      gold(price=2350.0, dates=["2027-03-18"], deadline="2027-02-18", place="Roskilde", days=1.0)),
    C("beskaeftigelse/jobafklaring", "Jobafklaring og arbejdsevne", "Vurdering af arbejdsevne og brug af ressourceprofilen.",
      [("Dato", "13.04.2027"), ("Varighed", "2 dage"), ("Pris", "4.350 kr."), ("Tilmeldingsfrist", "15.03.2027"),
       ("Sted", "Næstved"), ("Undervisningsform", "Fremmøde")],
      gold(price=4350.0, dates=["2027-04-13"], deadline="2027-03-15", place="Næstved", form="fysisk", days=2.0),
      options={"style": "dl"}),
    C("ledelse/forandringsledelse", "Forandringsledelse i den kommunale forvaltning", "For ledere, der står midt i organisationsændringer.",
      [("Dato", "04.05.2027"), ("Varighed", "2 dage"), ("Pris", "5.900 kr."), ("Sted", "Roskilde")],
      gold(price=5900.0, dates=["2027-05-04"], place="Roskilde", days=2.0)),
    C("beskaeftigelse/kvalitet-i-sagsbehandlingen", "Kvalitet i sagsbehandlingen", "Et internt forløb for hele afdelingen.",
      [("Varighed", "1 dag"), ("Pris", "18.000 kr. for op til 25 deltagere"), ("Undervisningsform", "Afholdes hos jer")],
      gold(price=18000.0, form="rekvirerbar", days=1.0)),
    C("socialomraadet/borgere-med-handicap", "Borgere med handicap på arbejdsmarkedet", "Kompensationsordninger og samarbejde med arbejdsgivere.",
      [("Dato", "08.06.2027"), ("Varighed", "1 dag"), ("Pris", "2.250 kr."), ("Sted", "Holbæk")],
      gold(price=2250.0, dates=["2027-06-08"], place="Holbæk", days=1.0), options={"style": "dl"}),
    C("beskaeftigelse/integration", "Integrationsgrunduddannelsen (IGU)", "Om IGU-forløb, virksomhedskontakt og uddannelsesdelen.",
      [("Dato", "16.09.2027"), ("Varighed", "1 dag"), ("Pris", "2.250 kr."), ("Tilmeldingsfrist", "19.08.2027"), ("Sted", "Roskilde")],
      gold(price=2250.0, dates=["2027-09-16"], deadline="2027-08-19", place="Roskilde", days=1.0)),
    C("ledelse/data-og-styring", "Data og styring i jobcentret", "Brug ledelsesinformation til at styre indsatsen.",
      [("Dato", "07.10.2027"), ("Varighed", "1 dag"), ("Pris", "2.750 kr."), ("Undervisningsform", "Online")],
      gold(price=2750.0, dates=["2027-10-07"], form="online", days=1.0), options={"style": "dl"}),
    C("socialomraadet/unge-og-misbrug", "Unge, misbrug og uddannelse", "Sammenhængende indsatser for unge med misbrug.",
      [("Dato", "09.11.2027"), ("Varighed", "2 dage"), ("Pris", "4.150 kr."), ("Sted", "Slagelse")],
      gold(price=4150.0, dates=["2027-11-09"], place="Slagelse", days=2.0)),
]


def oest_page(title: str, blocks: str, *, crumbs: str = "") -> str:
    return f"""<!DOCTYPE html>
<html lang="da"><head><meta charset="utf-8"><title>{html.escape(title)} - Kommunekursus Øst</title>
<meta property="og:site_name" content="Kommunekursus Øst"></head>
<body class="page-course">
<div class="site-wrapper"><div class="header-wrapper"><a class="logo" href="/oest/">Kommunekursus Øst</a>
<ul class="main-menu"><li><a href="/oest/kurser/">Kurser</a></li><li><a href="/oest/nyheder/">Nyheder</a></li><li><a href="/oest/om/">Om os</a></li>
<li><a href="/oest/kontakt/">Kontakt</a></li></ul></div>
<ul class="breadcrumb"><li><a href="/oest/">Forside</a></li><li><a href="/oest/kurser/">Kurser</a></li>{crumbs}</ul>
<div class="umb-block-grid" data-grid-columns="12">{blocks}</div>
<div class="footer-wrapper"><div class="col"><h4>Kommunekursus Øst</h4><p>Algade 5, 4000 Roskilde</p></div>
<div class="col"><h4>Genveje</h4><ul><li><a href="/oest/kurser/">Alle kurser</a></li><li><a href="/oest/persondata/">Persondatapolitik</a></li>
<li><a href="/oest/kontakt/">Kontakt</a></li><li><a href="/oest/nyhedsbrev/">Nyhedsbrev</a></li></ul></div></div></div>
</body></html>
"""


def oest_course(c: C) -> str:
    others = [other for other in OEST if other is not c and "Dato" in dict(other.facts)][:3]
    related = "".join(f'<div class="teaser"><h3><a href="/oest/kurser/{o.slug}">{html.escape(o.title)}</a></h3>'
                      f'<p>Dato: {html.escape(dict(o.facts)["Dato"])}</p><p>Pris: {html.escape(dict(o.facts)["Pris"])}</p></div>'
                      for o in others)  # fmt: skip
    if c.options.get("style") == "dl":
        facts = '<dl class="facts">' + "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in c.facts) + "</dl>"
    else:
        facts = "<p>" + "<br>".join(f"{html.escape(k)}: {html.escape(v)}" for k, v in c.facts) + "</p>"
    blocks = f"""<div class="umb-block-grid__layout-item" data-col-span="12"><section class="block block-hero"><h1>{html.escape(c.title)}</h1></section></div>
<div class="umb-block-grid__layout-item" data-col-span="8"><section class="block block-rte"><p>{html.escape(c.intro)} Kurset er udviklet i samarbejde med kommunerne.</p>
<h2>Praktiske oplysninger</h2>{facts}</section></div>
<div class="umb-block-grid__layout-item" data-col-span="4"><section class="block block-cta"><a class="button" href="/oest/tilmelding?kursus={c.slug.split('/')[-1]}">Tilmeld</a>
<p>Spørgsmål? Ring på 46 00 00 00.</p></section></div>
<div class="umb-block-grid__layout-item" data-col-span="12"><section class="block block-related"><h2>Andre kurser</h2>{related}</section></div>"""
    return oest_page(c.title, blocks, crumbs=f"<li>{html.escape(c.title)}</li>")


def oest_listing(courses: list[C], next_page: int | None) -> str:
    cards = "".join(
        f'<a class="course-card" href="/oest/kurser/{c.slug}"><h3>{html.escape(c.title)}</h3>'
        f'<p>{html.escape(dict(c.facts).get("Dato", "Efter aftale"))} · {html.escape(dict(c.facts)["Pris"])}</p></a>'
        for c in courses
    )  # fmt: skip
    more = f'<a class="load-more" href="/oest/kurser/?page={next_page}">Indlæs flere</a>' if next_page else ""
    return oest_page("Kurser", f'<div class="umb-block-grid__layout-item"><section class="block"><h1>Kurser</h1>'
                     f'<div class="course-list">{cards}</div>{more}</section></div>')  # fmt: skip


# ------------------------------------------------------------------------------------------------
# The site
# ------------------------------------------------------------------------------------------------


def write(path: str, content: str | bytes) -> None:
    file = SITE / path
    file.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        file.write_text(content, encoding="utf-8")
    else:
        file.write_bytes(content)


def query_file(path: str, **query: Any) -> str:
    """The file tests/crawl_web/server.py serves for `path?k=v` (tracking parameters ignored)."""
    return path.rstrip("/") + "".join(f"_{key}-{value}" for key, value in sorted(query.items())) + ".html"


def build() -> dict[str, Any]:
    shutil.rmtree(SITE, ignore_errors=True)
    courses: dict[str, dict[str, Any]] = {}
    server: dict[str, Any] = {"redirects": {}, "content_types": {}, "flaky": ["/oest/kurser/socialomraadet/unge-og-misbrug"]}

    # Nord
    for c in NORD:
        write(query_file("nord/kursus.asp", id=c.slug), nord_course(c))
        courses[f"/nord/kursus.asp?id={c.slug}"] = {"title": c.title, **c.gold}
        if c.options.get("charset_header"):
            server["content_types"][f"/nord/kursus.asp?id={c.slug}"] = c.options["charset_header"]
    write("nord/default.asp.html", nord_page("Velkommen", "<h1>Velkommen til Nord Kursuscenter</h1><p>Vi udbyder kurser og "
          "diplommoduler for ansatte i kommunerne i Nordjylland. Se <a href='/nord/kurser.asp'>alle kurser</a>.</p>"))
    write("nord/kurser.asp.html", nord_listing(NORD, "Alle kurser"))
    write(query_file("nord/kurser.asp", kat=1), nord_listing([c for c in NORD if "ECTS-point" in dict(c.facts)], "Diplommoduler"))
    write(query_file("nord/kurser.asp", kat=2), nord_listing([c for c in NORD if "ECTS-point" not in dict(c.facts)], "Korte kurser"))
    calendar = "".join(f"<tr><td>{html.escape(dict(c.facts).get('Dato', dict(c.facts).get('Studiestart', '')))}</td>"
                       f"<td><a href='/nord/kursus.asp?id={c.slug}&amp;utm_source=kalender'>{html.escape(c.title)}</a></td>"
                       f"<td>{html.escape(dict(c.facts)['Pris'])}</td></tr>" for c in NORD)  # fmt: skip
    write("nord/kalender.asp.html", nord_page("Kalender", f"<h1>Kalender</h1><table border='1'>{calendar}</table>"))
    write(query_file("nord/nyt.asp", id=7), nord_page("Nyt hold i jobsamtaler", "<h1>Nyt hold i jobsamtaler</h1>"
          "<p>Den 3. marts 2027 starter et nyt hold på kurset <a href='/nord/kursus.asp?id=101&amp;utm_campaign=nyhed'>"
          "Jobsamtalen som redskab</a>. Prisen er den samme som sidste år, og der er stadig ledige pladser.</p>"
          "<p>Skriv til os, hvis I vil have kurset hjem i egen kommune.</p>"))
    write("nord/kontakt.asp.html", nord_page("Kontakt", "<h1>Kontakt</h1><table><tr><th>Adresse:</th><td>Vesterbro 14, 9000 Aalborg"
          "</td></tr><tr><th>Telefon:</th><td>98 12 34 56</td></tr><tr><th>Åbningstid:</th><td>Man-fre 8-15</td></tr></table>"))
    write("nord/om.asp.html", nord_page("Om Kursuscentret", "<h1>Om Kursuscentret</h1><p>Nord Kursuscenter blev oprettet i 1998 "
          "af kommunerne i Nordjylland og har siden uddannet over 10.000 medarbejdere.</p>"))
    write(query_file("nord/tilmelding.asp", id="101"), nord_page("Tilmelding", "<h1>Tilmelding</h1><form><table><tr><th>Navn:</th>"
          "<td><input name='navn'></td></tr><tr><th>Kommune:</th><td><input name='kommune'></td></tr></table></form>"))

    # Syd
    for c in SYD:
        write(f"syd/kurser/{c.slug}/index.html", syd_course(c))
        courses[f"/syd/kurser/{c.slug}"] = {"title": c.title, **c.gold}
    write(f"syd/intern/{SYD_SECRET.slug}/index.html", syd_course(SYD_SECRET))
    first, rest = SYD[:6], SYD[6:]
    write("syd/kurser/index.html", syd_page("Kurser", f'<h1>Alle kurser</h1><div class="grid">{"".join(map(syd_card, first))}</div>'
          '<button class="btn load-more" data-url="/syd/kurser/flere?fra=6" aria-controls="grid">Vis flere kurser</button>'))
    write(query_file("syd/kurser/flere", fra=6), "".join(map(syd_card, rest)) + syd_card(SYD_SECRET).replace("/syd/kurser/", "/syd/intern/"))
    elearning = [c for c in SYD if "Start" in dict(c.facts)]
    write("syd/kurser/e-laering/index.html", syd_page("E-læring", f'<h1>E-læring</h1><div class="grid">{"".join(map(syd_card, elearning))}</div>'))
    write("syd/index.html", syd_page("Forside", '<section class="hero"><h1>Kurser der gør en forskel</h1><p class="lead">Korte, '
          'praktiske kurser for kommunale medarbejdere.</p><a class="btn" href="/syd/kurser/">Se alle kurser</a></section>'
          f'<section class="cards">{syd_card(SYD[0])}{syd_card(SYD[3])}</section>'))
    write("syd/nyheder/index.html", syd_page("Nyheder", '<h1>Nyheder</h1><div class="card"><a href="/syd/nyheder/nye-webinarer/">'
          "<h3>Nye gratis webinarer</h3></a><p>Dato: 12.01.2027</p></div>"))
    write("syd/nyheder/nye-webinarer/index.html", syd_page("Nye gratis webinarer", '<article><h1>Nye gratis webinarer</h1>'
          '<p class="meta">Dato: 12.01.2027</p><p>Vi har lagt to nye webinarer i kalenderen. Se <a href="/syd/kurser/webinar-'
          'ledighedsydelse/?utm_source=nyhed&amp;fbclid=abc">webinaret om ledighedsydelse</a> og '
          '<a href="/syd/kurser/webinar-kontanthjaelp/#tilmelding">webinaret om kontanthjælp</a>.</p></article>',
          og_type="article"))
    write("syd/kontakt/index.html", syd_page("Kontakt", '<h1>Kontakt os</h1><div class="cards"><div class="card"><span '
          'class="card__label">Telefon</span><span class="card__value">75 00 00 00</span></div><div class="card"><span '
          'class="card__label">Adresse</span><span class="card__value">Åboulevarden 3, 6000 Kolding</span></div></div>'))
    write("syd/privatlivspolitik/index.html", syd_page("Privatlivspolitik", "<h1>Privatlivspolitik</h1><p>Vi behandler dine "
          "personoplysninger, når du tilmelder dig et kursus. Oplysningerne slettes 5 år efter kursets afslutning.</p>"))
    write("syd/handelsbetingelser/index.html", syd_page("Handelsbetingelser", "<h1>Handelsbetingelser</h1><p>Pris: Alle priser er "
          "ekskl. moms.</p><p>Framelding: Ved framelding senere end 14 dage før kursusstart betales fuld pris.</p>"))

    # Vest
    for c in VEST:
        write(f"vest/kursus/{c.slug}/index.html", vest_course(c))
        courses[f"/vest/kursus/{c.slug}"] = {"title": c.title, **c.gold}
    write("vest/kurser/index.html", vest_page("Kurser", '<article class="page"><h1 class="entry-title">Kurser</h1><div '
          'id="kursusoversigt" data-endpoint="/vest/wp-json/vest/v1/kurser?page=1">Henter kurser …</div><script>'
          "fetch('/vest/wp-json/vest/v1/kurser?page=1').then(r => r.json()).then(render);</script></article>"))
    half = len(VEST) // 2
    for page, chunk in ((1, VEST[:half]), (2, VEST[half:])):
        items = [{"id": i, "titel": c.title, "link": f"/vest/kursus/{c.slug}/", "pris": dict(c.facts)["Pris"]}
                 for i, c in enumerate(chunk)]  # fmt: skip
        data = {"kurser": items, "side": page, "naeste": "/vest/wp-json/vest/v1/kurser?page=2" if page == 1 else None}
        write(query_file("vest/wp-json/vest/v1/kurser", page=page).replace(".html", ".json"), json.dumps(data, ensure_ascii=False))
    archive = "".join(f'<article class="kursus"><h2 class="entry-title"><a href="/vest/kursus/{c.slug}/">{html.escape(c.title)}'
                      f'</a></h2><p><strong>Pris:</strong> {html.escape(dict(c.facts)["Pris"])}</p></article>' for c in VEST[:3])
    write("vest/kategori/ledelse/index.html", vest_page("Ledelse", f'<header class="page-header"><h1>Kategori: Ledelse</h1></header>{archive}',
          body_class="archive category"))
    write("vest/kategori/samtaler/index.html", vest_page("Samtaler", f'<header class="page-header"><h1>Kategori: Samtaler</h1></header>{archive}',
          body_class="archive category"))
    write("vest/index.html", vest_page("Forside", '<article class="page"><h1>Velkommen til Videncenter Vest</h1><p>Vi samler viden '
          'om beskæftigelse i Vestjylland. Se vores <a href="/vest/kurser/">kurser</a> og <a href="/vest/nyheder/">nyheder</a>.</p></article>'))
    write("vest/nyheder/index.html", vest_page("Nyheder", '<h1>Nyheder</h1><article class="post"><h2><a href="/vest/2026/11/nyt-kursusprogram/">'
          "Nyt kursusprogram for 2027</a></h2></article>", body_class="blog"))
    write("vest/2026/11/nyt-kursusprogram/index.html", vest_page("Nyt kursusprogram for 2027", '<article class="post type-post">'
          '<h1 class="entry-title">Nyt kursusprogram for 2027</h1><div class="entry-content"><p>Programmet for 2027 er klar med '
          'otte kurser. Første kursus er <a href="/vest/kursus/ledelse-af-jobcentre/?utm_source=nyhedsbrev&amp;utm_medium=email">'
          'Ledelse af faglighed i jobcentret</a>, som starter 9. marts 2027.</p><p><strong>Pris:</strong> Se det enkelte kursus.</p>'
          "</div></article>", body_class="single single-post", og_type="article"))
    write("vest/om-os/index.html", vest_page("Om os", "<article class='page'><h1>Om os</h1><p>Videncenter Vest er et samarbejde "
          "mellem otte kommuner.</p></article>"))
    write("vest/kontakt/index.html", vest_page("Kontakt", "<article class='page'><h1>Kontakt</h1><p><strong>Adresse:</strong> "
          "Bredgade 1, 7400 Herning</p><p><strong>Telefon:</strong> 97 00 00 00</p></article>"))

    # Øst
    for c in OEST:
        write(f"oest/kurser/{c.slug}.html", oest_course(c))
        courses[f"/oest/kurser/{c.slug}"] = {"title": c.title, **c.gold}
    write("oest/kurser/index.html", oest_listing(OEST[:4], 2))
    write(query_file("oest/kurser", page=2), oest_listing(OEST[4:7], 3))
    write(query_file("oest/kurser", page=3), oest_listing(OEST[7:], None).replace(
        "</div></section>", '<a class="course-card" href="/oest/kurser/ledelse/udgaaet-kursus"><h3>Udgået kursus</h3></a>'
        '<a class="course-card" href="/oest/gamle-kurser/dataledelse"><h3>Data og styring (gammelt link)</h3></a></div></section>'))
    server["redirects"]["/oest/gamle-kurser/dataledelse"] = "/oest/kurser/ledelse/data-og-styring"
    write("oest/index.html", oest_page("Forside", '<div class="umb-block-grid__layout-item"><section class="block"><h1>Kommunekursus Øst'
          '</h1><p>Kurser for kommunale medarbejdere på Sjælland.</p><a href="/oest/kurser/">Find kursus</a></section></div>'))
    write("oest/nyheder/index.html", oest_page("Nyheder", '<div class="umb-block-grid__layout-item"><section class="block"><h1>Nyheder</h1>'
          '<a class="news-card" href="/oest/nyheder/tilmelding-aaben"><h3>Tilmeldingen til efterårets kurser er åben</h3></a></section></div>'))
    write("oest/nyheder/tilmelding-aaben.html", oest_page("Tilmeldingen er åben", '<div class="umb-block-grid__layout-item"><section '
          'class="block block-rte"><h1>Tilmeldingen til efterårets kurser er åben</h1><p>Dato: 01.06.2027</p><p>Nu kan du tilmelde dig '
          'efterårets kurser, fx <a href="/oest/kurser/beskaeftigelse/integration?utm_source=nyhed">IGU-kurset</a>.</p></section></div>'))
    write("oest/om/index.html", oest_page("Om os", '<div class="umb-block-grid__layout-item"><section class="block block-rte"><h1>Om os'
          "</h1><p>Kommunekursus Øst ejes af 17 kommuner.</p></section></div>"))
    write("oest/kontakt/index.html", oest_page("Kontakt", '<div class="umb-block-grid__layout-item"><section class="block block-rte">'
          "<h1>Kontakt</h1><p>Adresse: Algade 5, 4000 Roskilde<br>Telefon: 46 00 00 00</p></section></div>"))
    write("oest/persondata/index.html", oest_page("Persondatapolitik", '<div class="umb-block-grid__layout-item"><section class="block '
          'block-rte"><h1>Persondatapolitik</h1><p>Vi gemmer oplysninger om din tilmelding i op til 5 år.</p></section></div>'))

    # The front page of the host, robots.txt
    write("index.html", '<!DOCTYPE html><html lang="da"><head><meta charset="utf-8"><title>Kursusportalen</title></head><body>'
          '<h1>Udbydere</h1><ul><li><a href="/nord/default.asp">Nord Kursuscenter</a></li><li><a href="/syd/">Kursushuset Syd</a></li>'
          '<li><a href="/vest/">Videncenter Vest</a></li><li><a href="/oest/">Kommunekursus Øst</a></li></ul>'
          '<p><a href="/privatliv.html">Privatliv</a> · <a href="/nord/kursus.asp?id=101&amp;utm_source=portal">Ugens kursus</a></p></body></html>')
    write("privatliv.html", '<!DOCTYPE html><html lang="da"><head><meta charset="utf-8"><title>Privatliv</title></head><body><main>'
          "<h1>Privatliv</h1><p>Portalen bruger ingen cookies.</p></main></body></html>")
    write("robots.txt", "User-agent: *\nDisallow: /syd/intern/\n")
    write("server.json", json.dumps(server, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
    return courses


def main() -> None:
    courses = build()
    gold_data = {"about": "Every course page of tests/provider_web/site/ by path (query included) and its facts.",
                 "courses": dict(sorted(courses.items()))}  # fmt: skip
    (HERE / "gold.json").write_text(json.dumps(gold_data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(courses)} courses written to {SITE}")


if __name__ == "__main__":
    main()
