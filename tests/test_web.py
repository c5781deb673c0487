"""The Danish web page (service/web.py) through the real app over a real, tagged catalogue: every page
renders with its Danish content, filters and uploads work, bad input gets a 4xx page with the
message, plan downloads are files, and no page is over 200 KB."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from matcher import clock
from matcher.catalogue_index import CourseFilters, load_regions
from matcher.gaps import TEMPLATE_DIR, TEMPLATE_FILES, template_text
from matcher.messages import in_language
from matcher.taxonomy import load_taxonomy
from service.app import create_app
from service.coverage import CoverageError, coverage
from service.radar import Series, radar_svg
from service.state import ServiceConfig
from tests.conftest import BUNDLED_TARGET, TEAM_OF_FOUR, draft_slot_taken

pytestmark = pytest.mark.slow

MAX_PAGE_BYTES = 200_000
TAXONOMY = load_taxonomy()
FIELD_NAMES = {f.key: f.name for f in TAXONOMY.fields}


@pytest.fixture(scope="module")
def client(tagged_catalogue: Path) -> Any:
    app = create_app(ServiceConfig(db=tagged_catalogue))
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def index(client: TestClient) -> Any:
    return client.app.state.service.index


# ---------------------------------------------------------------- helpers


class _Form(HTMLParser):
    """Inputs, labels and ids of a page, to check every control is labelled."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str | None]] = []
        self.label_for: set[str] = set()
        self.ids: list[str] = []
        self.axes = 0
        self.lang: str | None = None
        self._in_label = 0

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._in_label -= 1

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(a["id"] or "")
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "label":
            self._in_label += 1
            if a.get("for"):
                self.label_for.add(a["for"] or "")
        if tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit"):
            self.controls.append({**a, "wrapped": "yes" if self._in_label else None})
        if tag == "line" and "axis" in (a.get("class") or "").split():
            self.axes += 1


def parse(page: str) -> _Form:
    parser = _Form()
    parser.feed(page)
    return parser


def cards(page: str) -> list[str]:
    return re.findall(r'<article class="card">(.*?)</article>', page, flags=re.S)


def card_fact(card: str, name: str) -> str:
    match = re.search(rf"<dt>{name}</dt><dd>(.*?)</dd>", card, flags=re.S)
    assert match, f"no {name} in card"
    return html.unescape(match.group(1))


def heading_total(page: str) -> int:
    match = re.search(r'<h2 id="resultater">(\d+) kurs', page)
    assert match, "no result count"
    return int(match.group(1))


def template_bytes(kind: str) -> bytes:
    return template_text(kind, TAXONOMY).encode("utf-8")


def upload_assessment(client: TestClient, assessment: bytes | None = None, target: bytes | None = None, **data: Any) -> Any:
    files = {
        "vurdering_fil": ("hold.csv", assessment if assessment is not None else template_bytes("proficiency-assessment"), "text/csv"),
        "maal_fil": ("maal.yaml", target if target is not None else template_bytes("target-profile"), "application/yaml"),
    }
    return client.post("/team/vurdering", files=files, data=data)


def plan_token(page: str) -> str:
    match = re.search(r'name="anbefaling" value="([^"]+)"', page)
    assert match, "no plan form on the page"
    return html.unescape(match.group(1))


def assert_error_page(response: Any, status: int, *phrases: str) -> str:
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "Fejl:" in page
    for phrase in phrases:
        assert phrase in html.unescape(page), f"{phrase!r} not in the error page"
    return page


# ---------------------------------------------------------------- search


def test_search_page_lists_courses_with_danish_facts(client: TestClient, index: Any) -> None:
    response = client.get("/")
    assert response.status_code == 200
    page = response.text
    assert parse(page).lang == "da"
    assert "<h1>Søg kurser</h1>" in page
    total = index.search(None, CourseFilters()).total
    assert heading_total(page) == total
    found = cards(page)
    assert len(found) == min(total, 20)
    for card in found:
        for name in ("Niveau", "Type", "Næste start", "Pris", "Form"):
            card_fact(card, name)
    # fields by their Danish names, prices in kroner, dates in Danish
    assert any(html.escape(name) in page for name in FIELD_NAMES.values())
    assert re.search(r"\d+\.\d{3} kr\.", page)
    assert re.search(r"\d{1,2}\. (jan|feb|mar|apr|maj|jun|jul|aug|sep|okt|nov|dec)\.? 20\d\d", page)


def test_free_text_search_finds_the_course_and_the_field_filter_keeps_only_that_field(client: TestClient) -> None:
    page = client.get("/", params={"q": "sygedagpenge"}).text
    assert "Sygedagpenge" in cards(page)[0]
    page = client.get("/", params={"felt": "lov_myndighed"}).text
    found = cards(page)
    assert found and heading_total(page) < 30
    assert all("Lov &amp; Myndighed" in card for card in found)
    # words that the filters leave no course for: how many the words find alone, and a link to them
    none = html.unescape(client.get("/", params={"q": "sygedagpenge", "region": "Nordjylland", "type": "diplom"}).text)
    assert not cards(none)
    found_alone = re.search(r"Uden filtrene finder ordene (\d+) kurs(?:us|er): <a href=\"/\?q=sygedagpenge\">", none)
    assert found_alone and int(found_alone.group(1)) == heading_total(client.get("/", params={"q": "sygedagpenge"}).text)
    assert "Uden filtrene" not in client.get("/", params={"q": "xyzzyq", "region": "Nordjylland"}).text


@pytest.mark.parametrize(
    ("params", "check"),
    [
        ({"niveau": "specialiseret"}, lambda card: card_fact(card, "Niveau") == "Specialiseret"),
        ({"type": "diplom"}, lambda card: card_fact(card, "Type").startswith("Diplommodul")),
        ({"form": "online"}, lambda card: card_fact(card, "Form").startswith("Online")),
        ({"maks_pris": "5000"}, lambda card: card_fact(card, "Pris") == "Pris ikke oplyst"
         or float(card_fact(card, "Pris").removesuffix(" kr.").replace(".", "").replace(",", ".")) <= 5000),
        ({"maks_pris": "4.995,50"}, lambda card: card_fact(card, "Pris") == "Pris ikke oplyst"
         or float(card_fact(card, "Pris").removesuffix(" kr.").replace(".", "").replace(",", ".")) <= 4995.5),
        ({"maks_pris": "5.000 kr."}, lambda card: card_fact(card, "Pris") == "Pris ikke oplyst"  # as on a price tag
         or float(card_fact(card, "Pris").removesuffix(" kr.").replace(".", "").replace(",", ".")) <= 5000),
        ({"region": "Hovedstaden"}, lambda card: any(
            word in card_fact(card, "Form").lower() for word in (*load_regions()["Hovedstaden"], "online", "rekvirerbar"))),
    ],
)
def test_filters_narrow_the_results(client: TestClient, params: dict[str, str], check: Any) -> None:
    page = client.get("/", params=params).text
    found = cards(page)
    assert found, f"no course for {params}"
    assert heading_total(page) < heading_total(client.get("/").text)
    assert all(check(card) for card in found), params


def test_filters_from_a_bookmark_show_in_the_form_so_a_new_search_keeps_them(client: TestClient) -> None:
    page = client.get("/", params={"region": "midtjylland", "udbyder": "kursus"}).text
    assert '<option value="Midtjylland" selected>' in page
    # part of a name finds several providers; the form shows it as typed, not "Alle udbydere"
    assert re.search(r'<input id="udbyder" name="udbyder" type="search"[^>]* value="kursus"', page)
    again = client.get("/", params={"region": "Midtjylland", "udbyder": "kursus"}).text
    assert heading_total(again) == heading_total(page)


def test_provider_and_start_filters(client: TestClient, index: Any) -> None:
    provider, count = index.providers()[0]
    page = client.get("/", params={"udbyder": provider}).text
    assert heading_total(page) == count
    assert all(html.escape(provider) in card for card in cards(page))
    soon = (clock.today() + dt.timedelta(days=1)).isoformat()
    page = client.get("/", params={"start_foer": soon, "felt": "it_digital"}).text
    assert heading_total(page) <= heading_total(client.get("/", params={"felt": "it_digital"}).text)


def test_pagination_keeps_the_filters(client: TestClient, index: Any) -> None:
    total = index.search(None, CourseFilters()).total
    assert total > 20, "the sample catalogue should fill more than one page"
    first = client.get("/", params={"sortering": "title"}).text
    assert "Side 1 af 2" in first
    link = re.search(r'<a href="([^"]+)" rel="next">', first)
    assert link and "sortering=title" in html.unescape(link.group(1))
    second = client.get(html.unescape(link.group(1))).text
    assert len(cards(second)) == total - 20
    titles = [re.search(r"<a [^>]+>(.*?)</a>", c).group(1) for c in cards(first) + cards(second)]
    assert len(set(titles)) == total
    # a page past the last says so, with the way back, not "no course fits"
    beyond = client.get("/", params={"sortering": "title", "side": "999"}).text
    assert "Siden findes ikke: der er 2 sider." in beyond and "Ingen kurser passer" not in beyond
    assert "Side 999 af 2" not in beyond
    back = re.search(r'<a href="([^"]+)">Gå til første side</a>', beyond)
    assert back and html.unescape(back.group(1)) == "/?sortering=title&side=1"
    previous = re.search(r'<a href="([^"]+)" rel="prev">', beyond)  # to the last page, not to page 998
    assert previous and html.unescape(previous.group(1)) == "/?sortering=title&side=2"


def test_control_characters_in_the_input_are_dropped_not_echoed(client: TestClient) -> None:
    page = client.get("/", params={"q": "sygedagpenge\x00\x01\x1b"}).text
    assert "med »sygedagpenge«" in page and not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", page)


@pytest.mark.parametrize(
    ("params", "phrase"),
    [
        ({"felt": "nope"}, "felt: »nope« findes ikke; felterne er Arbejdsmarked & Uddannelse (arbejdsmarked_uddannelse), "),
        ({"maks_pris": "billig"}, "maks. pris"),
        ({"maks_pris": "4.5,0"}, "maks. pris: »4.5,0« er ikke et tal"),
        ({"maks_pris": "-500"}, "maks. pris: må ikke være negativ"),
        ({"region": "Atlantis"}, "ukendt region »Atlantis«; regionerne er Hovedstaden"),
        ({"start_foer": "2020-01-01"}, "start før 1. januar 2020 ligger ikke i fremtiden (i dag er 22. november 2026)"),
        ({"start_foer": "i morgen"}, "er ikke en dato"),
        ({"side": "0"}, "er ikke et sidetal"),
        ({"side": "²"}, "er ikke et sidetal"),
        ({"type": "kursusbåd"}, "type: »kursusbåd« findes ikke; vælg Diplommodul, Akademimodul"),
        ({"niveau": "ekspert"}, "niveau: »ekspert« findes ikke; vælg Grundlæggende eller Specialiseret"),
        ({"sortering": "pris"}, "sortering: »pris« findes ikke; vælg Relevans, Første start eller Titel (A–Å) under »Sortér efter«"),
    ],
)
def test_bad_search_input_is_a_422_page_with_the_message(client: TestClient, params: dict[str, str], phrase: str) -> None:
    page = assert_error_page(client.get("/", params=params), 422, phrase)
    assert '<form class="search"' in page  # the form is still there to fix the input


def test_the_field_to_fix_is_marked_invalid_and_focused(client: TestClient) -> None:
    for price in ("billig", "-500"):
        page = client.get("/", params={"maks_pris": price}).text
        assert re.search(r'<input id="maks_pris"[^>]* aria-invalid="true" aria-describedby="fejl" autofocus>', page), price
    assert 'id="fejl"' in page and 'aria-invalid' not in page.split('id="start_foer"')[1].split(">")[0]
    page = client.get("/", params={"start_foer": "i morgen"}).text
    assert re.search(r'<input id="start_foer"[^>]* aria-invalid="true"', page)
    assert "aria-invalid" not in client.get("/", params={"maks_pris": "5000"}).text
    # the team page has three forms: the one sent is the one marked
    team = client.get("/team/gab", params={"tekst": "motiverende samtale", "maks_pris": "billig"}).text
    assert re.search(r'<input id="gab-pris"[^>]* aria-invalid="true" aria-describedby="fejl" autofocus>', team)
    assert team.count("aria-invalid") == 1


def _marked(page: str) -> list[tuple[str, str]]:
    """(id, the error box it points to) of every control marked invalid."""
    return re.findall(r'id="([^"]+)"[^>]* aria-invalid="true" aria-describedby="([^"]+)" autofocus', page)


def _section_with_box(page: str) -> str | None:
    """The id of the team page's section that holds the error box."""
    before = page[: page.index('role="alert"')]
    return re.findall(r'<section id="([^"]+)"', before)[-1] if "<section id=" in before else None


@pytest.mark.parametrize(("send", "section", "field"), [
    (lambda c: c.get("/team/gab", params={"tekst": ""}), "gab", "tekst"),
    (lambda c: c.get("/team/gab", params={"tekst": "jura", "niveau": "ekspert"}), "gab", "gab-niveau"),
    (lambda c: c.get("/team/gab", params={"tekst": "jura", "deltagere": "seks"}), "gab", "gab-deltagere"),
    (lambda c: c.post("/team/vurdering", data={"navn_0": "", "niveau_0_lov_myndighed": "3"}), "vurdering", "navn_0"),
    (lambda c: c.post("/team/vurdering", data={"navn_0": "AB", "niveau_0_it_digital": "3", "krav_it_digital": "3",
                                               "specialister_it_digital": "to"}), "vurdering", "specialister_it_digital"),
    (lambda c: c.post("/team/vurdering", files={"vurdering_fil": ("hold.csv", TEAM_OF_FOUR.encode(), "text/csv")}),
     "vurdering", "maal_fil"),
    (lambda c: c.post("/team/behov", data={"behov_tekst": ""}), "behov", "behov_fil"),
    (lambda c: c.post("/team/behov", data={"behov_tekst": "rolle;xx.9\nmedarbejder;3\n"}), "behov", "behov_tekst"),
])  # fmt: skip
def test_a_team_form_error_stands_in_that_form_with_its_field_marked(client: TestClient, send: Any, section: str,
                                                                      field: str) -> None:
    page = send(client).text
    assert _marked(page) == [(field, "fejl")], _marked(page)
    assert page.count('id="fejl"') == 1 and _section_with_box(page) == section
    assert "<title>Fejl: Teamets kompetencer – fagmatch</title>" in page


def test_the_draft_checks_error_is_its_own_box_and_marks_its_field(client: TestClient) -> None:
    page = client.post("/udbydere/tjek", data={"titel": "Jobsamtalen", "beskrivelse": ""}).text
    assert _marked(page) == [("beskrivelse", "tjek-fejl")] and page.count('id="tjek-fejl"') == 1
    both = client.post("/udbydere/tjek", data={"udbyder": "Ingen Sådan Udbyder", "titel": "", "beskrivelse": ""}).text
    ids = parse(both).ids
    assert not {i for i in ids if ids.count(i) > 1}, "one error box for the page, one for the draft form"
    assert _marked(both) == [("titel", "tjek-fejl")]


def test_result_pages_have_unique_ids_and_say_the_heavy_load_in_words(client: TestClient) -> None:
    files = {"vurdering_fil": ("hold.csv", TEAM_OF_FOUR.encode(), "text/csv"),
             "maal_fil": ("maal.yaml", BUNDLED_TARGET.read_bytes(), "application/yaml")}
    pages = {
        "vurdering": client.post("/team/vurdering", files=files).text,
        "behov": client.post("/team/behov", data={"behov_tekst": template_text("needs-survey", TAXONOMY)}).text,
        "gab": client.get("/team/gab", params={"tekst": "specialiseret viden om sygedagpengeloven"}).text,
    }
    for kind, page in pages.items():
        ids = parse(page).ids
        assert not {i for i in ids if ids.count(i) > 1}, (kind, {i for i in ids if ids.count(i) > 1})
    assert "<title>Teamet mod målprofilen – Teamets kompetencer – fagmatch</title>" in pages["vurdering"]
    assert re.search(r'<svg[^>]*aria-labelledby="spind-figur-titel', pages["vurdering"])
    assert pages["behov"].count(">Udsagn med størst behov</h2>") == 1
    # the gap's words as the course writes them: "sygedagpengeloven", not the stem "sygedagpengelov"
    words = re.findall(r'Gabets ord i kursusteksten:</span> <span class="evidence">([^<]+)</span>', pages["gab"])
    assert words and "sygedagpengeloven" in words[0].split(", ") and "ordstammer" not in pages["gab"]
    flags = re.findall(r'<span class="load-flag"[^>]*>⚠</span>(<span class="visually-hidden">[^<]+</span>)?', pages["vurdering"])
    assert flags and all(flag for flag in flags[:-1]), "each ⚠ in the summary has its words"


# ---------------------------------------------------------------- course page


def test_course_page_shows_facts_tags_why_transfer_and_json_ld(client: TestClient, index: Any) -> None:
    hit = next(h for h in (index.get(c.course_id) for c in index.courses) if h.tags.assigned_fields and h.course.learning_goals)
    response = client.get(f"/kursus/{quote(hit.course.course_id, safe='')}")
    assert response.status_code == 200
    page = response.text
    assert html.escape(hit.course.title) in page
    for heading in ("Fakta", "Beskrivelse", "Læringsmål", "Mærkning efter kompetencefelterne",
                    "Kompetencer, som kurset matcher", "Transfer: kursets eget design"):
        assert heading in page
    assert html.escape(FIELD_NAMES[hit.tags.assigned_fields[0]]) in page
    assert re.search(r"\d+</span> af 100", page)
    assert "Fra kurset" in page and "Fra arbejdspladsen" in page
    evidence = hit.tags.why[hit.tags.assigned_fields[0]][0]
    assert html.escape(evidence["statement"]) in page
    script = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, flags=re.S)
    assert script, "no JSON-LD"
    data = json.loads(script.group(1))
    assert data["@type"] == "Course" and data["name"] == hit.course.title


def test_course_page_says_when_its_tags_are_an_earlier_taggers(tagged_catalogue: Path, tmp_path: Path) -> None:
    """After an upgrade or a change to the framework, a page showed the earlier tags, competences since
    reworded or moved included, as if current, until `fagmatch tag` ran."""
    import shutil

    from matcher.store import connect_duckdb

    db = tmp_path / "catalogue.duckdb"
    shutil.copy(tagged_catalogue, db)
    con = connect_duckdb(str(db))
    try:
        earlier, current = [row[0] for row in con.execute("SELECT DISTINCT course_id FROM course_tagging ORDER BY 1 LIMIT 2").fetchall()]
        con.execute("UPDATE course_tagging SET model = 'earlier-fagmatch' WHERE course_id = ?", [earlier])
    finally:
        con.close()
    said = "Mærkningen er fra en tidligere udgave af fagmatch eller kompetencerammen"
    with TestClient(create_app(ServiceConfig(db=db))) as client:
        assert client.app.state.service.tagger is not None  # loaded, as a service has it once warm
        assert said in client.get(f"/kursus/{quote(earlier, safe='')}").text
        assert said not in client.get(f"/kursus/{quote(current, safe='')}").text


def test_course_page_says_when_its_application_deadline_has_passed(client: TestClient, index: Any) -> None:
    today = clock.today()
    # The sample feed's deadlines are fixed dates; each page says "overskredet" exactly when its has passed.
    dated = [c for c in index.courses if c.application_deadline]
    assert any(c.application_deadline < today for c in dated)  # Samskabelse …: 1 November 2026
    for course in dated:
        page = client.get(f"/kursus/{quote(course.course_id, safe='')}").text
        assert ("(overskredet" in page) == (course.application_deadline < today), course.course_id
    # the start it closed is named, so a course with a later start does not look closed
    assert today == dt.date(2026, 11, 22)  # the suite's day (conftest)
    page = client.get("/kursus/uoj-master-samskabelse-partnerskaber-2027").text  # deadline 1 November, start 1 February
    assert "1. nov. 2026 (overskredet: holdstart 1. feb. 2027 er lukket for ansøgning)" in page
    # its one start is known, just closed
    assert "<dt>Næste start</dt><dd>Ingen åben start</dd>" in page
    # a one-day course lasts one "dag"
    assert "<dt>Varighed</dt><dd>1 dag</dd>" in client.get("/kursus/kkc-ny-beskaeftigelseslov-2027").text

def test_a_course_type_read_from_the_page_is_marked_as_such(index: Any) -> None:
    from dataclasses import replace

    from service.web import course_card

    hit = next(h for h in (index.get(c.course_id) for c in index.courses) if h.course.course_type == "diplom")
    assert course_card(hit, TAXONOMY)["type"] == "Diplommodul"
    unstated = replace(hit, course=hit.course.model_copy(update={"course_type": None}),
                       tags=replace(hit.tags, course_type="diplom"))
    assert course_card(unstated, TAXONOMY)["type"] == "Diplommodul (udledt af teksten)"
    unknown = replace(unstated, tags=replace(hit.tags, course_type=None))
    assert course_card(unknown, TAXONOMY)["type"] == "Type ikke oplyst"


def test_a_recommended_course_names_the_other_places_it_is_held() -> None:
    from service.web import WebPage, group_results
    from tests.test_plan import free_text_recommendation

    document = free_text_recommendation()
    document["results"][0].update(rank=1, also_offered=[
        {"course_id": "reform-temadag-aarhus", "location": "Aarhus", "next_start": "2027-03-01"},
        {"course_id": "reform-temadag-x", "location": None, "next_start": None},
    ])
    card = group_results(document, TAXONOMY)[0]["results"][0]
    page = WebPage().env.from_string('{% import "_makroer.html" as m %}{{ m.kursuskort(card) }}').render(card=card)
    assert "<dt>Også udbudt</dt>" in page
    assert '<a href="/kursus/reform-temadag-aarhus">Aarhus (1. mar. 2027)</a>, ' in page
    assert '<a href="/kursus/reform-temadag-x">Sted ikke oplyst</a>' in page
    document["results"][0]["also_offered"] = []
    card = group_results(document, TAXONOMY)[0]["results"][0]
    assert "Også udbudt" not in WebPage().env.from_string('{% import "_makroer.html" as m %}{{ m.kursuskort(card) }}').render(card=card)


def test_prices_are_written_the_danish_way_and_never_rounded() -> None:
    from service.web import money

    assert [money(v) for v in (4995.0, 2995.5, 1250000, 0.75, None)] == [
        "4.995 kr.", "2.995,50 kr.", "1.250.000 kr.", "0,75 kr.", "Pris ikke oplyst"]


def test_a_workplace_factor_the_course_asks_for_says_so_on_the_card() -> None:
    from service.web import WebPage

    factors = [{"key": "leder_involvering", "label": "lederens involvering", "present": False,
                "invited": "Din leder deltager på den første kursusdag"},
               {"key": "opfoelgning", "label": "systematisk opfølgning efter kurset", "present": False, "invited": None}]
    page = WebPage().env.from_string('{% import "_makroer.html" as m %}{{ m.faktorliste(factors) }}').render(factors=factors)
    assert "Lederens involvering <span class=\"evidence\">(kurset lægger op til det: »Din leder deltager på den første kursusdag«)" in page
    assert "Systematisk opfølgning efter kurset</li>" in page
    # what is read from the course's facts (its type or form) is no quotation of its words
    factors = [{"key": "kolleger_sammen", "label": "kollegernes fælles deltagelse", "present": True,
                "evidence": "kan rekvireres til hele teamet", "inferred": True},
               {"key": "praksiskobling", "label": "praksiskobling", "present": True, "evidence": "egne sager", "inferred": False}]
    page = WebPage().env.from_string('{% import "_makroer.html" as m %}{{ m.faktorliste(factors) }}').render(factors=factors)
    assert "(udledt af kursets oplysninger: kan rekvireres til hele teamet)" in page and "»kan rekvireres" not in page
    assert "(»egne sager«)" in page
    english = WebPage().env.from_string('{% import "_makroer.html" as m %}{{ m.faktorliste(factors, lang="en") }}').render(
        factors=[{**factors[1], "evidence": "own cases"}])
    assert '(»<span lang="en">own cases</span>«)' in english  # the course's words in its language, for a screen reader


def test_the_team_summary_names_the_heaviest_quarter_and_counts_the_other_heavy_ones() -> None:
    from matcher.plan import build_plan
    from service.web import plan_summary
    from tests.test_plan import team_plan_document

    document = team_plan_document()
    # Anna and Bo take a 10-ECTS module from February: 26 % of their time in the 1st quarter, 31 % in the 2nd
    warnings = plan_summary(document, build_plan(document))["warnings"]
    assert warnings == ["Anna og Bo: 11,6 timer om ugen i 2. kvt. 2027 (31 % af arbejdstiden; for meget i 1 kvt. mere)"]  # the same load, said once


def test_unknown_course_is_a_404_page(client: TestClient) -> None:
    assert_error_page(client.get("/kursus/findes-ikke"), 404, "findes-ikke")
    # a trailing slash, as a pasted link may have, leads to the course
    moved = client.get("/kursus/kkc-ny-beskaeftigelseslov-2027/", follow_redirects=False)
    assert moved.status_code == 308 and moved.headers["location"] == "/kursus/kkc-ny-beskaeftigelseslov-2027"
    assert_error_page(client.get("/kursus/findes-ikke/"), 404, "findes-ikke/")


# ---------------------------------------------------------------- team


def test_team_page_has_the_forms_and_template_links(client: TestClient) -> None:
    page = client.get("/team").text
    for phrase in ("Teamets kompetencer", "Beskriv gabet med egne ord", "Kompetencevurdering og målprofil",
                   "Behovsundersøgelse", 'action="/team/vurdering"', 'action="/team/behov"', 'action="/team/gab"',
                   'enctype="multipart/form-data"'):
        assert phrase in page
    for name in TEMPLATE_FILES:
        assert f'href="/team/skabelon/{name}"' in page
    assert 'id="navn_11"' in client.get("/team", params={"raekker": "12"}).text
    assert client.get("/team", params={"raekker": "²"}).status_code == 200


@pytest.mark.parametrize("name", list(TEMPLATE_FILES))
def test_template_downloads(client: TestClient, name: str) -> None:
    response = client.get(f"/team/skabelon/{name}")
    assert response.status_code == 200
    danish = {"needs-survey": "behovsundersoegelse", "needs-survey-statements": "behovsundersoegelse-udsagn",
              "proficiency-assessment": "kompetencevurdering", "target-profile": "maalprofil"}[name]
    assert f'filename="{danish}{Path(TEMPLATE_FILES[name]).suffix}"' in response.headers["content-disposition"]
    if TEMPLATE_FILES[name].endswith(".csv"):
        # for Danish Excel: a byte-order mark, and `;` between the columns
        assert response.content.startswith(b"\xef\xbb\xbf") and ";" in response.text.splitlines()[0]
        assert response.content.decode("utf-8-sig") == template_text(name, TAXONOMY)
        workbook = client.get(f"/team/skabelon/{name}", params={"format": "xlsx"})
        assert workbook.status_code == 200 and workbook.content.startswith(b"PK")
        assert workbook.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    else:
        assert response.text == template_text(name, TAXONOMY)
        assert client.get(f"/team/skabelon/{name}", params={"format": "xlsx"}).status_code == 404


def test_xlsx_and_utf16_uploads_read_like_utf8_and_a_bad_one_gets_one_danish_message(client: TestClient) -> None:
    from matcher.gaps import template_bytes as template_file

    xlsx = upload_assessment(client, assessment=template_file("proficiency-assessment", TAXONOMY, "xlsx"))
    assert xlsx.status_code == 200, xlsx.text[:2000]
    assert "Sammendrag" in xlsx.text
    text = template_text("proficiency-assessment", TAXONOMY)
    unicode_text = upload_assessment(client, assessment=b"\xff\xfe" + text.replace(";", "\t").encode("utf-16-le"))
    assert unicode_text.status_code == 200 and "Sammendrag" in unicode_text.text
    no_mark = upload_assessment(client, assessment=text.encode("utf-16-le"))
    assert no_mark.status_code == 422
    errors = re.search(r'<div class="error"[^>]*>(.*?)</div>', no_mark.text, re.S).group(1)
    assert errors.count("<li>") == 1 and "NUL-tegn" in errors and "\x00" not in no_mark.text


def test_a_page_that_does_not_exist_or_answers_only_a_form_says_so_in_danish(client: TestClient) -> None:
    assert_error_page(client.get("/findes-ikke"), 404, "siden findes ikke: /findes-ikke")
    # the draft check's answer opened again by its address
    page = assert_error_page(client.get("/udbydere/tjek"), 405, "Siden kan ikke åbnes sådan",
                             "siden er svaret på en formular og kan ikke åbnes direkte eller genindlæses – udfyld formularen igen")
    assert "not allowed" not in page and "GET" not in page  # no HTTP words for a reload
    # the API's clients read English
    api = client.get("/api/findes-ikke")
    assert api.status_code == 404 and api.json()["error"]["message"] == "no such page or resource: /api/findes-ikke"


def test_unknown_template_is_404(client: TestClient) -> None:
    assert_error_page(client.get("/team/skabelon/findes-ikke"), 404, "findes-ikke")


def test_a_team_upload_is_kept_nowhere_and_no_browser_or_proxy_keeps_the_answer(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A worker killed while reading a team file left it, names and steps, in TMPDIR for ever; and
    the answers about a team could be kept by a shared browser's cache or a proxy."""
    import subprocess
    import sys
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout)
    left = tmp_path / f"fagmatch-web-{dead}-x8w2k1"
    left.mkdir()
    (left / "hold.csv").write_text("navn,it_digital\nBirthe Testesen,1\n")
    team = upload_assessment(client)
    assert team.status_code == 200
    assert not left.exists() and not list(tmp_path.iterdir())  # and its own upload went when read
    assert "gemmes ikke" in client.get("/team").text  # the page says so
    plan = client.post("/team/plan?format=csv", data={"anbefaling": plan_token(team.text)})
    for answer in (team, plan, client.get("/team"), client.get("/team/gab", params={"tekst": "sygedagpenge"})):
        assert answer.headers["cache-control"] == "no-store", answer.request.url
    assert "no-store" not in client.get("/").headers.get("cache-control", "")  # a search may be kept


def test_assessment_upload_gives_radar_gaps_resource_persons_and_recommendations(client: TestClient) -> None:
    response = upload_assessment(client)
    assert response.status_code == 200, response.text[:1000]
    page = response.text
    form = parse(page)
    assert form.axes == len(TAXONOMY.fields), "one radar axis per field"
    assert "Kompetencespind" in page and "<svg" in page and 'role="img"' in page
    assert "Teamets gennemsnit" in page and "Målprofil (krævet trin)" in page
    for heading in ("Sammendrag", "Prioriterede gab og ressourcepersoner", "Kurserne: hvorfor", "Uddannelsesplan"):
        assert heading in page
    assert "hold.csv" in page and "maal.yaml" in page
    # what the plan of the summary costs in all
    assert re.search(r'<span class="plan-cost">Uddannelsesplan efter Socialstyrelsens skabelon, i alt [\d.]+ kr\.:</span>', page)
    # recommendations per gap, with why and the transfer note with 30-30-40 steps
    assert re.search(r'<h3 id="gab-g1">Gab 1: ', page)
    assert len(cards(page)) >= 3  # one card per decision
    assert "Hvorfor dette kursus" in page and "Kompetence (" in page
    assert "Fra kurset" in page and "Fra arbejdspladsen" in page
    for step in ("Før kurset (30 % af indsatsen)", "Under kurset (30 % af indsatsen)", "Efter kurset (40 % af indsatsen)"):
        assert step in page
    assert len(page.encode()) < MAX_PAGE_BYTES


def test_fill_in_table_gives_the_same_analysis(client: TestClient) -> None:
    data: dict[str, Any] = {"raekker": "6", "specialistniveau": "4"}
    # as the shipped proficiency-assessment template
    people = {"AB": [1, 4, 2, 5, 3, 1], "CD": [3, 1, 4, 2, 5, 3], "EF": [5, 3, 1, 4, 2, 5], "GH": [2, 5, 3, 1, 4, 2]}
    for i, (name, levels) in enumerate(people.items()):
        data[f"navn_{i}"] = name
        for key, level in zip(TAXONOMY.field_keys, levels):
            data[f"niveau_{i}_{key}"] = str(level)
    for key in TAXONOMY.field_keys:  # as the shipped target profile
        data[f"krav_{key}"] = "3"
        data[f"specialister_{key}"] = "0" if key == "netvaerk_facilitering" else "1"
    # a multipart post, as the browser sends it (the upload fields left empty)
    files = {"vurdering_fil": ("", b"", "application/octet-stream"), "maal_fil": ("", b"", "application/octet-stream")}
    filled = client.post("/team/vurdering", data=data, files=files)
    assert filled.status_code == 200, filled.text[:1000]
    uploaded = upload_assessment(client)
    table = lambda page: re.search(r'<table class="data">.*?</table>', page, flags=re.S).group(0)  # noqa: E731
    assert table(filled.text) == table(uploaded.text)
    assert parse(filled.text).axes == len(TAXONOMY.fields)


def test_fill_in_table_problems_keep_what_was_typed(client: TestClient) -> None:
    data = {"raekker": "6", "navn_0": "AB", "niveau_0_lov_myndighed": "2", "niveau_1_it_digital": "3"}
    page = assert_error_page(client.post("/team/vurdering", data=data), 422, "række 2")
    assert 'value="AB"' in page
    # Problems in the table are said by its rows and fields, never by the file it becomes inside.
    target = {f"krav_{key}": "3" for key in TAXONOMY.field_keys}
    rated = {f"niveau_0_{key}": "2" for key in TAXONOMY.field_keys}
    for cells, message in (
        ({"navn_0": "AB", **rated, "niveau_0_it_digital": "", "niveau_0_netvaerk_facilitering": ""},
         "IT & Digital og Netværk & Facilitering: ingen medarbejder har et trin i felterne. Udfyld felterne i tabellen, "
         "eller vælg »Ingen målsætning«"),
        ({"navn_0": "AB", "niveau_0_lov_myndighed": "7"}, "række 1, Lov & Myndighed: »7« ligger uden for 1–5"),
        ({"navn_0": "AB", "niveau_0_lov_myndighed": "2", "navn_2": "CD", "niveau_2_it_digital": "x"},
         "række 3, IT & Digital: »x« er ikke et tal; skriv et helt tal 1–5"),
        ({"navn_0": "AB", "niveau_0_lov_myndighed": "2", "navn_1": "ab", "niveau_1_lov_myndighed": "3"},
         "række 2: ab står også i række 1; navne eller initialer skal være forskellige"),
        ({"navn_0": "AB"}, "række 1: giv AB et trin i mindst ét felt"),
        ({"navn_0": "AB", "niveau_0_lov_myndighed": "2", "krav_lov_myndighed": "9"},
         "målprofilen, Lov & Myndighed, krævet trin: »9« ligger uden for 1–5"),
    ):
        page = assert_error_page(client.post("/team/vurdering", data={"raekker": "6", **target, **cells}), 422, message)
        error = html.unescape(re.search(r'<div class="error" role="alert" id="fejl">(.*?)</div>', page, flags=re.S).group(1))
        assert message in error
        assert "vurdering.csv" not in error and "employee" not in error and "linje" not in error, error
    # "Ingen målsætning" leaves a field out, whatever the resource persons box still holds
    no_goal = {**target, "krav_it_digital": "", "specialister_it_digital": "1"}
    answered = client.post("/team/vurdering", data={"raekker": "6", **no_goal, "navn_0": "AB", **rated, "niveau_0_it_digital": ""})
    assert answered.status_code == 200, answered.text[:2000]


def test_more_rows_for_the_table_keep_what_was_typed(client: TestClient) -> None:
    typed = {"raekker": "6", "navn_0": "Åse", "niveau_0_lov_myndighed": "2", "navn_5": "Bjørn", "krav_it_digital": "2",
             "region": "Syddanmark", "flere_raekker": "1"}
    page = client.post("/team/vurdering", data=typed)
    assert page.status_code == 200 and 'role="alert"' not in page.text
    assert 'id="navn_11"' in page.text and 'id="navn_12"' not in page.text  # 12 rows now
    assert 'name="raekker" value="12"' in page.text and "Vis 18 rækker" in page.text
    assert 'value="Åse"' in page.text and 'value="Bjørn"' in page.text
    assert re.search(r'<option value="2" selected>2</option>', page.text)
    assert re.search(r'<option value="Syddanmark" selected', page.text)


def test_a_target_profile_is_kept_when_the_assessment_beside_it_has_a_mistake(client: TestClient) -> None:
    broken = template_bytes("proficiency-assessment") + "AB;medarbejder;3;3;3;3;3;3\n".encode() * 2  # AB twice
    page = upload_assessment(client, assessment=broken)
    assert page.status_code == 422 and "hold.csv" in html.unescape(page.text)
    assert "Målprofilen maal.yaml er husket i formularen og bruges igen" in page.text
    kept = {name: html.unescape(value) for name, value in re.findall(r'name="(maal_gemt(?:_navn)?)" value="([^"]*)"', page.text)}
    assert kept["maal_gemt_navn"] == "maal.yaml"
    # the assessment chosen again, the target profile not: the analysis runs with the kept one
    again = client.post("/team/vurdering", data=kept, files={
        "vurdering_fil": ("hold.csv", template_bytes("proficiency-assessment"), "text/csv")})
    assert again.status_code == 200, again.text[:1000]
    assert "maal.yaml" in again.text and "Sammendrag" in again.text
    # a hidden field that does not unpack is no target profile
    spoiled = client.post("/team/vurdering", data={"maal_gemt": "!!", "maal_gemt_navn": "maal.yaml"}, files={
        "vurdering_fil": ("hold.csv", template_bytes("proficiency-assessment"), "text/csv")})
    assert spoiled.status_code == 422 and "upload også målprofilen" in spoiled.text
    assert "er husket i formularen" not in spoiled.text  # nothing was kept after all
    # the profile's own message about the team's file (it asks for a field no one is rated in): kept too
    lines = template_bytes("proficiency-assessment").decode("utf-8-sig").splitlines()
    blank = "\n".join([lines[0]] + [";".join(line.split(";")[:4] + [""] + line.split(";")[5:]) for line in lines[1:]]) + "\n"
    unrated = upload_assessment(client, assessment=blank.encode())
    assert unrated.status_code == 422 and "målprofilen kræver feltet" in html.unescape(unrated.text)
    assert "Målprofilen maal.yaml er husket i formularen" in unrated.text
    # the two files swapped by mistake: the "target profile" is the team's file, with names and steps, and is not kept
    swapped = client.post("/team/vurdering", files={"vurdering_fil": ("maal.yaml", template_bytes("target-profile"), "application/yaml"),
                                                    "maal_fil": ("hold.csv", broken, "text/csv")})
    assert swapped.status_code == 422 and 'name="maal_gemt"' not in swapped.text and "er husket" not in swapped.text


def test_a_mistake_in_a_filter_names_the_files_to_choose_again_and_keeps_the_target_profile(client: TestClient) -> None:
    # a browser shows the page again without the chosen files: the user is told, not left to meet "upload a file" next
    page = client.post("/team/vurdering", data={"maks_pris": "abc"}, files={
        "vurdering_fil": ("hold.csv", template_bytes("proficiency-assessment"), "text/csv"),
        "maal_fil": ("maal.yaml", template_bytes("target-profile"), "application/yaml")})
    text = html.unescape(page.text)
    assert page.status_code == 422 and "»abc« er ikke et tal" in text
    assert "Ret det, og vælg filen »hold.csv« igen" in text  # the team's file (names and steps) is not kept
    assert "Målprofilen maal.yaml er husket i formularen" in text
    needs = client.post("/team/behov", data={"maks_pris": "abc"},
                        files={"behov_fil": ("behov.csv", template_bytes("needs-survey"), "text/csv")})
    assert needs.status_code == 422 and "vælg filen »behov.csv« igen" in html.unescape(needs.text)
    typed = client.post("/team/behov", data={"maks_pris": "abc", "behov_tekst": "rolle;1.1\nmedarbejder;3\n"})
    assert typed.status_code == 422 and "igen" not in html.unescape(typed.text).split("er ikke et tal")[1][:80]


def test_needs_survey_upload_and_pasted_text_give_team_against_national_shares(client: TestClient) -> None:
    uploaded = client.post("/team/behov", files={"behov_fil": ("behov.csv", template_bytes("needs-survey"), "text/csv")})
    assert uploaded.status_code == 200, uploaded.text[:1000]
    page = uploaded.text
    assert parse(page).axes == len(TAXONOMY.fields)
    assert "Teamets udviklingsbehov" in page and "Landsplan" in page and "Udsagn med størst behov" in page
    assert "Sammendrag" in page and "Kurserne: hvorfor" in page and cards(page)
    # each field with its rank in the survey as the column's header says, "Felt (prioritet)": three gaps
    # ranked 1, 2 and 4 are no list numbered with a gap
    ranked = re.findall(r'<th scope="row">([^<(]+) \((\d+)\)</th>', page)
    names = {f.name for f in TAXONOMY.fields}
    assert len(ranked) >= 2 and all(set(html.unescape(name).split(" / ")) <= names for name, _ in ranked), ranked
    differences = re.findall(r"<td>([+−]\d+,\d) procentpoint</td>", page)  # against the national shares
    assert differences and not re.search(r"<td>-\d", page)
    assert len(page.encode()) < MAX_PAGE_BYTES
    pasted = client.post("/team/behov", data={"behov_tekst": template_text("needs-survey", TAXONOMY)})
    assert pasted.status_code == 200
    assert parse(pasted.text).axes == len(TAXONOMY.fields)
    # who: staff and the leader apart, as the survey's role column has them
    led = client.post("/team/behov", data={"behov_tekst": "rolle;lm.1\nmedarbejder;5\nmedarbejder;4\nleder;5\n"})
    assert "2 medarbejdere og 1 leder" in led.text and "3 medarbejdere" not in led.text


def test_a_heavy_course_for_a_survey_says_why_in_the_summary(client: TestClient) -> None:
    # survey answers name no one: the summary's ⚠ points to the course's own workload, not to an empty "below"
    page = client.post("/team/behov", files={"behov_fil": ("behov.csv", template_bytes("needs-survey"), "text/csv")}).text
    summary = page.split('id="sammendrag"')[1].split("</section>")[0]
    assert "tung arbejdsbyrde, se nedenfor" in summary, "the sample survey no longer plans a heavy course"
    warning = html.unescape(summary.split('class="notice load-warnings"')[1].split("</p>")[0])
    assert re.search(r"»[^«]+«: hver deltager har ca\. [\d,]+ timer om ugen til kurset i \d\. kvartal \d{4}", warning), warning
    assert "aftal aflastning (" not in warning.lower() and warning.count("Aftal aflastning") == 1
    # the summary table is named by its heading, and the radar is named once, described once
    assert '<table class="data compact summary-table" aria-labelledby="sammendrag-titel">' in page
    assert re.search(r'role="img" aria-labelledby="[\w-]+-titel" aria-describedby="[\w-]+-beskrivelse"', page)
    assert '<figure class="radar-figure" tabindex="0" aria-labelledby="spind-tekst">' in page and 'id="spind-tekst"' in page


def test_a_course_taught_in_english_is_marked_english_for_a_screen_reader(tmp_path: Path) -> None:
    from matcher.ingest import ingest_file
    from tests.conftest import course_record, write_jsonl

    english = course_record(1, id="en-1", title="Motivational interviewing for employment advisers", language="en",
                            description="This course trains employment advisers in motivational interviewing.",
                            target_group="Caseworkers in job centres")
    db = tmp_path / "catalogue.duckdb"
    ingest_file(db, write_jsonl(tmp_path / "feed.jsonl", [english, course_record(2, id="da-2")]))
    with TestClient(create_app(ServiceConfig(db=db), warm=False)) as client:
        page = client.get("/kursus/en-1").text
        assert '<h1 lang="en">Motivational interviewing' in page
        assert '<p lang="en">This course trains' in page and '<ul lang="en"><li>Har viden' in page
        assert '<dd lang="en">Caseworkers in job centres</dd>' in page and "<dd>Ikke oplyst</dd>" in page  # not the page's own words
        assert '<html lang="da">' in page and "<dd>Engelsk</dd>" in page  # the page's own words stay Danish
        danish = client.get("/kursus/da-2").text
        assert "<h1>Sygedagpengeloven" in danish and ' lang="en"' not in danish
        search = client.get("/", params={"q": "interviewing"}).text
        assert re.search(r'<a href="/kursus/en-1" lang="en">Motivational', search)


@pytest.mark.parametrize(
    ("post", "status", "phrases"),
    [
        (lambda c: c.post("/team/behov", files={"behov_fil": ("behov.csv", b"role,xx.9\nmedarbejder,3\n", "text/csv")}),
         422, ("behov.csv: linje 1, kolonne xx.9: ikke et udsagns-id",)),
        (lambda c: c.post("/team/behov", files={"behov_fil": ("behov.csv", b"role,lm.1\nmedarbejder,7\n", "text/csv")}),
         422, ("behov.csv: linje 2, kolonne lm.1: »7« ligger uden for 1–5",)),
        (lambda c: c.post("/team/behov", files={"behov_fil": ("behov.csv", b"   \n", "text/csv")}), 422, ("behov.csv: filen er tom",)),
        (lambda c: c.post("/team/behov", files={"behov_fil": ("behov.csv", b"role,lm.1\n" + b"leder,3\n" * 200_000, "text/csv")}),
         413, ("behov.csv: filen er større end 1000 kB",)),
        # pasted text over the form reader's limit for one field (urlencoded, and sent with a file field)
        (lambda c: c.post("/team/behov", data={"behov_tekst": "rolle;lm.1\n" + "leder;3\n" * 140_000}), 413,
         ("teksten er længere end 1000 kB", "Behovsundersøgelse")),
        (lambda c: c.post("/team/behov", data={"behov_tekst": "rolle;lm.1\n" + "leder;3\n" * 140_000},
                          files={"behov_fil": ("", b"", "application/octet-stream")}), 413, ("teksten er længere end 1000 kB",)),
        (lambda c: c.post("/team/behov", data={"behov_tekst": ""}), 422, ("vælg en fil (CSV eller Excel)",)),
        (lambda c: c.post("/team/behov", data={"behov_tekst": "rolle;lm.1\nmedarbejder;9\n"}), 422,
         ("den indsatte tekst: linje 2, kolonne lm.1: »9« ligger uden for 1–5",)),
        (lambda c: upload_assessment(c, assessment=b"employee,lov_myndighed\nAB,9\n"), 422,
         ("hold.csv: linje 2, kolonne Lov & Myndighed: »9« ligger uden for 1–5",)),
        (lambda c: upload_assessment(c, target=b"fields:\n  lov_myndighd:\n    required_level: 3\n"), 422,
         ("maal.yaml: linje 2, fields.lov_myndighd: ukendt felt »lov_myndighd« (mente du lov_myndighed?)",)),
        # a value in the target profile is quoted as the CSV's are: »tre«, »7«, not »'tre'« or a bare 7
        (lambda c: upload_assessment(c, target=b"fields:\n  lov_myndighed:\n    required_level: tre\n"), 422,
         ("maal.yaml: linje 3, fields.lov_myndighed.required_level: »tre« er ikke et helt tal 1–5",)),
        (lambda c: upload_assessment(c, target=b"fields:\n  lov_myndighed:\n    required_level: 7\n"), 422,
         ("maal.yaml: linje 3, fields.lov_myndighed.required_level: »7« ligger uden for 1–5",)),
        (lambda c: upload_assessment(c, target=b"fields: [1, 2\n"), 422,
         ("maal.yaml: linje 1: ikke gyldig YAML: en parentes, der begynder her, lukkes ikke",)),
        (lambda c: c.post("/team/vurdering", files={"vurdering_fil": ("hold.csv", template_bytes("proficiency-assessment"), "text/csv")}),
         422, ("målprofilen",)),
        (lambda c: upload_assessment(c, region="Atlantis"), 422, ("ukendt region »Atlantis«",)),
        (lambda c: c.get("/team/gab", params={"tekst": "motiverende samtale", "maks_pris": "1"}), 422,
         ("intet kursus i kataloget opfylder disse begrænsninger (højst 1 kr. alene giver 0); løsn en af dem",)),
        (lambda c: c.get("/team/gab", params={"tekst": "   "}), 422, ("beskriv gabet med egne ord",)),
        (lambda c: c.get("/team/gab", params={"tekst": ""}), 422, ("beskriv gabet med egne ord, fx",)),
        (lambda c: c.get("/team/gab", params={"tekst": "og i på"}), 422, ("ordene giver intet at søge på",)),
    ],
)
def test_broken_team_input_is_a_4xx_page_with_the_message(client: TestClient, post: Any, status: int, phrases: tuple[str, ...]) -> None:
    page = assert_error_page(post(client), status, *phrases)
    assert "fagmatch-web-" not in page, "temporary paths must not show"
    assert 'action="/team/vurdering"' in page  # the forms are there to try again


def test_constraints_that_leave_no_course_are_named_in_the_page_s_words(client: TestClient) -> None:
    params = {"tekst": "motiverende samtale", "form": "fysisk", "maks_pris": "500,5", "start_foer": "2027-01-05"}
    page = assert_error_page(client.get("/team/gab", params=params), 422, "højst 500,50 kr. alene giver 0",
                             "fremmøde alene giver", "start før 5. januar 2027 alene giver")
    assert "=" not in html.unescape(page).split("intet kursus i kataloget")[1].split("løsn en af dem")[0]


def test_a_gap_in_words_for_a_whole_team_gets_a_team_s_steps(client: TestClient) -> None:
    text = "grundlæggende træning i motiverende samtaler"
    one = client.get("/team/gab", params={"tekst": text}).text
    six = client.get("/team/gab", params={"tekst": text, "deltagere": "6"}).text
    assert "Lad medarbejderen samle kollegernes spørgsmål" in one and "de seks medarbejdere" not in one
    assert "Hold et fælles opstartsmøde, hvor de seks deltagere" in six and "Lad medarbejderen samle" not in six
    assert 'name="deltagere"' in client.get("/team").text
    for bad in ("0", "2,5", "501"):
        page = client.get("/team/gab", params={"tekst": text, "deltagere": bad})
        assert page.status_code == 422 and "deltagere: skriv et helt tal fra 1 til 500" in page.text


def test_the_fields_table_gives_every_mean_with_two_decimals(client: TestClient) -> None:
    page = upload_assessment(client).text
    table = page.split("Felterne, højeste prioritet først")[1].split("</table>")[0]
    means = [re.findall(r"<td>([^<]*)</td>", row)[1] for row in table.split("<tr")[2:]]
    assert means and all(re.fullmatch(r"\d,\d\d", mean) for mean in means), means


def test_a_rekvirerbar_courses_price_is_said_to_be_the_teams(client: TestClient) -> None:
    page = client.get("/kursus/kursushuset-konfliktnedtrapning-team").text
    assert card_fact(page, "Pris").endswith(" kr. pr. hold")
    open_course = client.get("/kursus/nordhavn-dib-sygedagpenge-2027").text
    assert card_fact(open_course, "Pris").endswith(" kr.")  # an open course's is each participant's


def test_an_upload_of_the_wrong_file_is_named_as_the_user_chose_it(client: TestClient) -> None:
    files = {"vurdering_fil": ("skaermbillede.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
             "maal_fil": ("team-of-four.csv", TEAM_OF_FOUR.encode(), "text/csv")}
    page = html.unescape(client.post("/team/vurdering", files=files).text)
    assert "skaermbillede.png:" in page and "skaermbillede.csv" not in page
    files["vurdering_fil"] = ("hold.csv", TEAM_OF_FOUR.encode(), "text/csv")  # the team file chosen as the target too
    page = html.unescape(client.post("/team/vurdering", files=files).text)
    assert "team-of-four.csv" in page and "team-of-four.yaml" not in page


def test_notes_on_an_upload_name_the_users_file_not_the_servers_copy(client: TestClient) -> None:
    # Excel's Danish default encoding is read, with a note; the note names hold.csv as the user chose it
    assessment = template_bytes("proficiency-assessment").decode("utf-8-sig").replace("Anna", "Søren").encode("cp1252")
    page = upload_assessment(client, assessment=assessment).text
    assert "hold.csv: filen er ikke UTF-8 og er læst som Windows-1252" in html.unescape(page)
    assert "fagmatch-web-" not in page and "/tmp" not in page
    survey = b"rolle;lm.1;lm.2\nmedarbejder;4;5\nmedarbejder;;\nleder;3;3\n"  # line 3 answers nothing
    page = client.post("/team/behov", files={"behov_fil": ("behov.csv", survey, "text/csv")}).text
    assert "behov.csv: linje 3: " in html.unescape(page)
    assert "fagmatch-web-" not in page and "/tmp" not in page


def test_free_text_gap_gives_recommendations(client: TestClient) -> None:
    response = client.get("/team/gab", params={"tekst": "vi mangler specialiseret viden om sygedagpengeloven"})
    assert response.status_code == 200, response.text[:1000]
    page = response.text
    assert "Kurser til gabet" in page and "Lov &amp; Myndighed" in page
    assert "Sygedagpenge" in cards(page)[0]
    assert "Uddannelsesplan" in page
    assert "ligner ikke et kompetencebehov" not in page
    guess = client.get("/team/gab", params={"tekst": "xyzzy qwerty"})
    assert guess.status_code == 200
    assert ("Ordene »xyzzy qwerty« ligner ikke et kompetencebehov i beskæftigelsesindsatsen, så felt og niveau er et "
            "gæt: skriv med lidt flere ord, hvad medarbejderne skal vide eller kunne.") in html.unescape(guess.text)  # a sentence, ended
    # the constraints the courses were chosen under are named
    priced = client.get("/team/gab", params={"tekst": "vi mangler viden om sygedagpengeloven", "region": "Syddanmark",
                                             "maks_pris": "5.000"})
    assert "Kurserne er valgt med begrænsningerne: region Syddanmark, højst 5.000 kr." in html.unescape(priced.text)
    # a course near the words by meaning alone is said to be, where there is no other reason to give
    near = client.get("/team/gab", params={"tekst": "vi mangler noget med fagsystemer og kunstig intelligens", "form": "online"})
    python = next(card for card in cards(near.text) if "Python" in card)
    assert "Nær gabet i indhold:" in python and "læst som uden for beskæftigelsesindsatsen" in python


def test_search_words_lead_to_recommendations_for_them_as_a_gap(client: TestClient) -> None:
    words = "vi mangler specialiseret viden om sygedagpengeloven"
    page = client.get("/", params={"q": words, "region": "Hovedstaden", "felt": "lov_myndighed", "sortering": "title"}).text
    link = html.unescape(re.search(r'<a href="([^"]+)">Find kurser til gabet</a>', page).group(1))
    assert link.startswith("/team/gab?")
    assert "region=Hovedstaden" in link and "felt" not in link and "sortering" not in link  # only what a gap takes
    gap = client.get(link)
    assert gap.status_code == 200, gap.text[:1000]
    assert f"»{words}«" in gap.text and "Lov &amp; Myndighed" in gap.text
    assert "Sygedagpenge" in cards(gap.text)[0]
    assert "Find kurser til gabet" not in client.get("/").text  # no words, nothing to take along
    assert "Find kurser til gabet" not in client.get("/", params={"q": "og i på"}).text  # only stop words


def test_a_place_no_course_is_held_in_is_said_in_danish(client: TestClient) -> None:
    notice = "Intet kursus, der opfylder begrænsningerne, holdes i Tórshavn; de fundne kurser er online eller rekvirerbare"
    gap = client.get("/team/gab", params={"tekst": "motiverende samtale", "sted": "Tórshavn"})
    assert gap.status_code == 200 and notice in gap.text and cards(gap.text)
    search = client.get("/", params={"sted": "Tórshavn"}).text
    assert notice in search and cards(search)
    assert "holdes i" not in client.get("/", params={"sted": "Aarhus"}).text


def test_the_level_of_a_gap_in_words_can_be_set_by_the_user(client: TestClient) -> None:
    text = "samtaler med vrede borgere for nye medarbejdere"
    read = client.get("/team/gab", params={"tekst": text, "region": "Midtjylland"})
    assert read.status_code == 200, read.text[:1000]
    assert re.search(r"Gab 1: [^<]* – grundlæggende</h3>", read.text)
    assert "Niveauet er sat ud fra ordene" in read.text
    link = html.unescape(re.search(r'<a href="([^"]+)">Vis kurser på specialiseret niveau i stedet</a>', read.text).group(1))
    assert "niveau=specialiseret" in link and "region=Midtjylland" in link  # the same search, one thing changed
    chosen = client.get(link)
    assert chosen.status_code == 200, chosen.text[:1000]
    assert re.search(r"Gab 1: [^<]* – specialiseret</h3>", chosen.text)
    assert "Niveauet er sat ud fra dit valg" in chosen.text and "Vis kurser på grundlæggende niveau i stedet" in chosen.text
    assert cards(chosen.text) != cards(read.text)
    form = client.get("/team").text
    assert '<select id="gab-niveau" name="niveau"' in form and '<label for="gab-niveau">' in form
    assert_error_page(client.get("/team/gab", params={"tekst": text, "niveau": "ekspert"}), 422, "niveau: »ekspert« findes ikke")


def test_plan_downloads_as_csv_and_markdown(client: TestClient) -> None:
    token = plan_token(upload_assessment(client).text)
    as_csv = client.post("/team/plan?format=csv", data={"anbefaling": token, "pr_gab": "1"})
    assert as_csv.status_code == 200, as_csv.text[:500]
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert 'attachment; filename="uddannelsesplan.csv"' == as_csv.headers["content-disposition"]
    header = as_csv.text.lstrip("\ufeff").splitlines()[0]
    assert header.startswith("Medarbejdere;Formål;Uddannelsesaktivitet")
    rows = as_csv.text.strip().splitlines()[1:]
    assert len(rows) >= 3
    as_md = client.post("/team/plan?format=md", data={"anbefaling": token, "pr_gab": "2"})
    assert as_md.status_code == 200
    assert as_md.headers["content-type"].startswith("text/markdown")
    assert 'filename="uddannelsesplan.md"' in as_md.headers["content-disposition"]
    assert as_md.text.startswith("# Uddannelsesplan")


def test_plan_from_plain_json_and_bad_plan_input(client: TestClient) -> None:
    token = plan_token(client.get("/team/gab", params={"tekst": "vi mangler viden om virksomhedskontakt"}).text)
    from service.web import unpack_document

    document = unpack_document(token)
    plain = client.post("/team/plan?format=md", data={"anbefaling": json.dumps(document)})
    assert plain.status_code == 200 and plain.text.startswith("# Uddannelsesplan")
    assert_error_page(client.post("/team/plan?format=csv", data={"anbefaling": "ikke-en-plan"}), 400, "kunne ikke læses")
    assert_error_page(client.post("/team/plan?format=csv", data={"anbefaling": ""}), 400, "lav en analyse")
    assert_error_page(client.post("/team/plan?format=pdf", data={"anbefaling": token}), 422, "format")
    assert_error_page(client.post("/team/plan?format=csv", data={"anbefaling": '{"gaps": 3}'}), 422, "anbefalingen mangler 'results'")
    assert_error_page(client.get("/team/plan"), 405, "kan ikke åbnes direkte eller genindlæses")


# ---------------------------------------------------------------- providers


def test_provider_page_lists_providers_and_shows_coverage(client: TestClient, index: Any) -> None:
    page = client.get("/udbydere").text
    provider, count = index.providers()[0]
    assert f"{html.escape(provider)} ({count} kurser)" in page
    assert "Tjek et kursus under udvikling" in page
    response = client.get("/udbydere", params={"udbyder": provider})
    assert response.status_code == 200
    page = response.text
    assert f"Dækning: {html.escape(provider)}" in page
    rows = re.findall(r'<tr>\s*<th scope="row">(.*?)</th>', page)
    assert [html.unescape(r) for r in rows[: len(FIELD_NAMES)]] == list(FIELD_NAMES.values())
    assert "Efterspørgsel på landsplan" in page and "af medarbejderne" in page
    assert ("Borgernære Metoder &amp; Virkning og Virksomhedsvendte Metoder &amp; Virkning har samme tal, fordi "
            "undersøgelsen spurgte til dem under ét.") in page
    single = [name for name, n in index.providers() if n == 1]  # the sample feed has three such providers
    assert single and f"{html.escape(single[0])} (1 kursus)" in client.get("/udbydere").text
    result = coverage(index, client.app.state.service.taxonomy, provider)
    uncovered = sum(cell["uncovered_demand"] for f in result["fields"] for cell in f["cells"].values())
    assert page.count('class="uncovered"') == uncovered
    assert page.count("Udækket efterspørgsel</span>") == uncovered
    assert len(page.encode()) < MAX_PAGE_BYTES


def test_a_catalogue_with_many_providers_offers_a_text_field_for_them(
    client: TestClient, index: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # as in a catalogue with thousands of providers, where a drop-down of all made pages 300 kB
    monkeypatch.setattr("service.web.MAX_LISTED_PROVIDERS", 3)
    providers = index.providers()
    assert len(providers) > 3
    for path in ("/", "/udbydere"):
        page = client.get(path).text
        assert '<select id="udbyder"' not in page and '<input id="udbyder" name="udbyder" type="search"' in page
        suggested = re.search(r'<datalist id="udbyder-forslag">(.*?)</datalist>', page, flags=re.S).group(1)
        assert re.findall(r'<option value="(.*?)">', suggested) == [html.escape(n) for n, _ in providers[:3]]
        assert f"der er {len(providers)} udbydere" in page
        assert "udbyder" in parse(page).label_for  # the text field keeps its label
    # A part of a name, in any case, finds the provider.
    name, count, part = next((n, c, w) for n, c in providers for w in n.split() if len(index.providers_named(w.upper())) == 1)
    page = client.get("/", params={"udbyder": part.upper()}).text
    assert heading_total(page) == count and all(html.escape(name) in card for card in cards(page))
    assert f'value="{html.escape(part.upper())}"' in page  # the field keeps what was typed
    assert f"Dækning: {html.escape(name)}" in client.get("/udbydere", params={"udbyder": part.upper()}).text
    # Several providers match: the search shows all their courses; the coverage page asks which one.
    common = next(w for n, _ in providers for w in n.split() if len(index.providers_named(w)) > 1)
    both = index.providers_named(common)
    page = client.get("/", params={"udbyder": common}).text
    assert heading_total(page) == sum(c for n, c in providers if n in both)
    assert_error_page(client.get("/udbydere", params={"udbyder": common}), 422, f"flere udbydere passer på »{common}«", both[0])
    assert_error_page(client.get("/", params={"udbyder": "Ingen Skole"}), 422, "ingen udbyder hedder eller indeholder »Ingen Skole«")


def test_unknown_provider_is_a_404_page(client: TestClient) -> None:
    assert_error_page(client.get("/udbydere", params={"udbyder": "Ingen Skole"}), 404, "ukendt udbyder »Ingen Skole«; udbyderne i kataloget er ")


def test_draft_course_tag_check(client: TestClient) -> None:
    response = client.post("/udbydere/tjek", data={
        "titel": "Sygedagpengeloven for nye sagsbehandlere",
        "beskrivelse": "Kurset giver grundlæggende viden om sygedagpengeloven, opfølgning, jobafklaring og "
                       "afgørelser i jobcentret. Deltagerne arbejder med egne sager mellem kursusdagene.",
        "type": "kursus",
    })
    assert response.status_code == 200, response.text[:1000]
    page = response.text
    assert "Sådan ville »Sygedagpengeloven for nye sagsbehandlere« blive mærket" in page
    assert "Lov &amp; Myndighed" in page and "Score pr. felt" in page
    assert "Basiskompetencer" in page and "Fagprofiler" in page and "Transfer i kursets design" in page
    assert "<dt>Type</dt><dd>Kursus</dd>" in page  # as stated
    read = client.post("/udbydere/tjek", data={"titel": "Diplommodul: Sygedagpengeloven",
                                                "beskrivelse": "Modulet giver 10 ECTS-point i sygedagpengeloven og jobafklaring."}).text
    assert "<dt>Type</dt><dd>Diplommodul (udledt af teksten)</dd>" in read  # a guess, told apart from what was chosen
    # the page's draft check takes the form, as the API's does, and both give the same transfer score
    draft = {"title": "Rekvirerbart teamforløb om jobafklaring",
             "description": "Forløbet om jobafklaring og sygedagpenge holdes hos jer for hele teamet, med jeres egne sager."}
    page = client.post("/udbydere/tjek", data={"titel": draft["title"], "beskrivelse": draft["description"], "form": "rekvirerbar"})
    api = client.post("/api/tag-draft", json={**draft, "form": "rekvirerbar"}).json()["transfer"]
    assert page.status_code == 200 and '<option value="rekvirerbar" selected>' in page.text
    assert f"Transfer i kursets design: <strong>{api['score']} af 100</strong>" in page.text
    assert "kolleger_sammen" in [f["key"] for f in api["factors_present"]]
    wrong = client.post("/udbydere/tjek", data={"titel": "X", "beskrivelse": "Y", "form": "hjemme"})
    assert wrong.status_code == 422 and "form: »hjemme« findes ikke" in wrong.text
    off = client.post("/udbydere/tjek", data={"titel": "Excel for bogholdere",
                                              "beskrivelse": "Pivottabeller, formler og makroer i regnskabet."})
    assert off.status_code == 200
    assert "Ingen felter" in off.text


def test_a_busy_draft_check_says_try_again(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    with draft_slot_taken(client, monkeypatch):
        response = client.post("/udbydere/tjek", data={"titel": "Udkast", "beskrivelse": "Jobafklaring i praksis."})
    assert response.status_code == 503 and "prøv igen om et øjeblik" in response.text and response.headers["Retry-After"] == "3"
    assert 'action="/udbydere/tjek#tjek"' in response.text  # the form is still there, filled in
    assert "Jobafklaring i praksis." in response.text


def test_draft_check_needs_title_and_description(client: TestClient) -> None:
    page = assert_error_page(client.post("/udbydere/tjek", data={"titel": "", "beskrivelse": ""}), 422, "titel")
    assert 'action="/udbydere/tjek#tjek"' in page


# ---------------------------------------------------------------- coverage()


def test_coverage_counts_and_demand(index: Any, client: TestClient) -> None:
    taxonomy = client.app.state.service.taxonomy
    provider = index.providers()[0][0]
    result = coverage(index, taxonomy, provider)
    assert result["provider"] == provider
    assert result["levels"] == ["grundlaeggende", "specialiseret"]
    assert [f["field"] for f in result["fields"]] == taxonomy.field_keys
    # counted as search finds them: the courses one can still apply for
    bookable = [hit.course.course_id for hit in index.search(None, CourseFilters(), per_page=1000).hits]
    mine = [i for i, c in enumerate(index.courses) if c.provider == provider and c.course_id in bookable]
    closed = [c.course_id for c in index.courses if c.provider == provider and c.course_id not in bookable]
    assert result["courses"] == len(mine) and [c["id"] for c in result["closed_courses"]] == closed
    pairs = sum(len(index.tags[i].assigned_fields) for i in mine)
    assert sum(cell["courses"] for f in result["fields"] for cell in f["cells"].values()) == pairs
    market_pairs = sum(len(t.assigned_fields) for t, c in zip(index.tags, index.courses) if c.course_id in bookable)
    assert sum(cell["market_courses"] for f in result["fields"] for cell in f["cells"].values()) == market_pairs
    assert len(bookable) < len(index.courses), "the sample catalogue no longer has a course whose starts have closed"
    for f in result["fields"]:
        assert f["demand"]["national_staff_pct"] is not None and 0 < f["demand"]["national_staff_pct"] < 100
        for level, cell in f["cells"].items():
            assert cell["courses"] == len(cell["course_ids"])
            assert cell["uncovered_demand"] == (cell["courses"] == 0)
            assert all(index.get(i).tags.level == level and f["field"] in index.get(i).tags.assigned_fields
                       for i in cell["course_ids"])
    assert len(result["uncovered"]) == sum(c["uncovered_demand"] for f in result["fields"] for c in f["cells"].values())
    json.dumps(result)  # JSON-ready


def test_links_and_titles_are_told_apart_out_of_context(client: TestClient) -> None:
    # a screen reader's list of links, and of open tabs, shows each without the sentence around it
    team = html.unescape(client.get("/team").text)
    names = [re.sub(r"<[^>]+>", "", name) for name in re.findall(r'<a href="/team/skabelon/[^"]+"[^>]*>(.*?)</a>', team)]
    assert len(names) == len(set(names)) and "Excel (.xlsx): behovsundersøgelse" in names, names
    second = client.get("/", params={"side": "2"}).text
    assert re.search(r"<title>Søg kurser, side 2 – fagmatch</title>", second), re.search(r"<title>.*</title>", second)


def test_the_footer_counts_the_frameworks_fields(client: TestClient) -> None:
    from service.web import count_word

    assert [count_word(n) for n in (6, 7, 12, 13)] == ["seks", "syv", "tolv", "13"]  # a seventh field is said
    assert f"mærker dem med de {count_word(len(TAXONOMY.fields))} kompetencefelter fra" in client.get("/").text


def test_demand_figures_are_rounded_as_people_round() -> None:
    from matcher.numbers import rounded
    from service.coverage import national_demand

    assert [rounded(v) for v in (33.25, 33.35, 2.675 * 10, -0.25, 12.0)] == [33.3, 33.4, 26.8, -0.3, 12.0]
    assert rounded(2.675, 2) == 2.68  # as written, not as the float 2.67499… stores it
    shares = {s.id: s.shares.staff for s in TAXONOMY.survey_statements if "lov_myndighed" in s.fields}
    mean = sum(shares.values()) / len(shares)
    assert national_demand(TAXONOMY)["lov_myndighed"]["national_staff_pct"] == rounded(mean)


def test_the_coverage_page_lists_courses_whose_starts_have_closed_apart(index: Any, client: TestClient) -> None:
    taxonomy = client.app.state.service.taxonomy
    provider, closed = next((name, found["closed_courses"]) for name, _ in index.providers()
                            if (found := coverage(index, taxonomy, name))["closed_courses"])
    page = html.unescape(client.get("/udbydere", params={"udbyder": provider}).text)
    assert "tæller ikke med, ligesom søgningen ikke viser" in page
    listed = page.split("<h3>Kurser uden en holdstart, man kan søge</h3>")[1].split("</ul>")[0]
    assert [c["title"] for c in closed] == re.findall(r'<a href="[^"]+">([^<]+)</a>', listed)
    assert "Tilføj næste holdstart" in page


def test_coverage_says_saved_gaps_in_a_field_the_framework_no_longer_has(index: Any, client: TestClient) -> None:
    """An analysis saved under a framework with a field since renamed dropped out of the demand, unsaid."""
    taxonomy = client.app.state.service.taxonomy
    provider = index.providers()[0][0]
    saved = [{"field": "sundhed_beskaeftigelse", "level": "grundlaeggende", "learners": 4},
             {"fields": ["lov_myndighed", "sundhed_beskaeftigelse"], "learners": 2},
             {"field": "lov_myndighed", "level": "specialiseret", "learners": 1}]
    result = coverage(index, taxonomy, provider, saved_gaps=saved)
    assert result["notes"] == ["2 saved gaps name a field the framework in use does not have (sundhed_beskaeftigelse): "
                               "not counted there"]
    with in_language("da"):  # one gap: said in the singular
        one = coverage(index, taxonomy, provider, saved_gaps=saved[:1])["notes"]
    assert one == ["1 gemt gab nævner et felt, som kompetencerammen ikke har (sundhed_beskaeftigelse): det tæller ikke med dér"]
    law = next(f for f in result["fields"] if f["field"] == "lov_myndighed")
    assert law["demand"]["saved_gaps"] == 2  # the rest of what they ask still counts
    assert coverage(index, taxonomy, provider, saved_gaps=saved[2:])["notes"] == []


def test_coverage_says_which_courses_without_a_field_are_off_the_domain_and_which_not_tagged_yet(
    service_client: TestClient,
) -> None:
    from tests.conftest import SLASHED_ID

    index = service_client.app.state.service.index
    off = next(c for c, t in zip(index.courses, index.tags) if t.model and not t.assigned_fields)
    waiting = index.get(SLASHED_ID).course
    for course, reason, heading in ((off, "off_domain", "Kurser uden for beskæftigelsesindsatsen"),
                                    (waiting, "not_tagged", "Kurser, der endnu ikke er mærket")):
        answer = service_client.get("/api/coverage", params={"provider": course.provider}).json()
        assert {"id": course.course_id, "title": course.title, "reason": reason} in answer["untagged_courses"]
        page = service_client.get("/udbydere", params={"udbyder": course.provider}).text
        listed = page.split(heading, 1)[1].split("</ul>", 1)[0]
        assert html.escape(course.title) in listed


def test_coverage_counts_saved_gaps_and_refuses_unknown_providers(index: Any, client: TestClient) -> None:
    taxonomy = client.app.state.service.taxonomy
    provider = index.providers()[0][0]
    saved = [
        {"fields": ["lov_myndighed"], "level": "specialiseret", "learners": 3},
        {"field": "lov_myndighed", "level": None, "employees": ["A", "B"]},
        {"fields": ["nope"], "level": None},
        # a needs survey asks about the two methods fields together: its gap is demand in both
        {"fields": ["borgernaere_metoder", "virksomhedsvendte_metoder"], "level": None, "learners": 4},
    ]
    result = coverage(index, taxonomy, provider.upper(), saved_gaps=saved)
    assert result["provider"] == provider  # matched without regard to case
    law = next(f for f in result["fields"] if f["field"] == "lov_myndighed")
    assert law["demand"]["saved_gaps"] == 2 and law["demand"]["saved_learners"] == 5
    for key in ("borgernaere_metoder", "virksomhedsvendte_metoder"):
        methods = next(f for f in result["fields"] if f["field"] == key)
        assert (methods["demand"]["saved_gaps"], methods["demand"]["saved_learners"]) == (1, 4), key
    assert law["cells"]["specialiseret"]["saved_gaps"] == 2
    assert law["cells"]["grundlaeggende"]["saved_gaps"] == 1
    with pytest.raises(CoverageError, match="unknown provider"):
        coverage(index, taxonomy, "Ingen Skole")


# ---------------------------------------------------------------- the radar chart


def test_radar_has_one_axis_per_field_and_escapes_text() -> None:
    axes = [(f"k{i}", f"Felt <{i}> & co") for i in range(5)]
    svg = radar_svg(axes, [Series("Team & co", [1, 2, None, 4, 5], "team")], maximum=5, ticks=(1, 2, 3, 4, 5),
                    title="T<", description="D&")
    assert svg.count('class="axis"') == 5
    assert "<0>" not in svg and "Felt &lt;0&gt; &amp; co" in svg and "Team &amp; co" in svg
    assert svg.count("<polygon") == 5 + 1  # five rings, one series
    with pytest.raises(ValueError, match="values for 5 axes"):
        radar_svg(axes, [Series("x", [1, 2], "team")], maximum=5, ticks=(1,), title="t", description="d")


# ---------------------------------------------------------------- every page


PAGES = ["/", "/?q=jobcenter&felt=borgernaere_metoder", "/team", "/udbydere", "/kursus/{id}", "/udbydere?udbyder={provider}"]


def _urls(index: Any) -> list[str]:
    provider = quote(index.providers()[0][0])
    return [p.format(id=quote(index.courses[0].course_id, safe=""), provider=provider) for p in PAGES]


def test_every_page_is_accessible_danish_and_small(client: TestClient, index: Any) -> None:
    for url in _urls(index):
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.text
        assert len(response.content) < MAX_PAGE_BYTES, (url, len(response.content))
        form = parse(page)
        assert form.lang == "da", url
        assert '<a class="skip-link" href="#indhold">Spring til indhold</a>' in page
        assert 'id="indhold"' in page and '<meta name="viewport"' in page
        assert not re.search(r'<(script|img|iframe)[^>]+src="(https?:)?//', page), f"external resource on {url}"
        assert not re.search(r'<link[^>]+href="(https?:)?//', page), f"external stylesheet on {url}"
        # everything works without JavaScript; the scripts only check a chosen file's size early and move the focus
        assert re.findall(r"<script src=\"([^\"]+)\"", page) == ["/static/upload-size.js", "/static/focus.js"], url
        unlabelled = [c for c in form.controls
                      if c.get("id") not in form.label_for and not c.get("wrapped") and not c.get("aria-label")]
        assert not unlabelled, (url, unlabelled)
        duplicates = {i for i in form.ids if form.ids.count(i) > 1}
        assert not duplicates, (url, duplicates)
    css = client.get("/static/style.css")
    assert css.status_code == 200 and ":focus-visible" in css.text and "@media" in css.text
    assert client.get("/static/favicon.svg").status_code == 200
    for name in ("upload-size.js", "focus.js"):
        script = client.get(f"/static/{name}")
        assert script.status_code == 200 and "javascript" in script.headers["content-type"]


def test_a_course_id_is_one_segment_of_its_link_whatever_it_holds(tmp_path: Path) -> None:
    from matcher.ingest import ingest_file

    feed = tmp_path / "feed.jsonl"
    feed.write_text('{"id": "../../api/admin/crawl", "title": "Forvaltningsret i praksis", "provider": "UC Test"}\n',
                    encoding="utf-8")
    db = tmp_path / "catalogue.duckdb"
    ingest_file(db, feed)
    with TestClient(create_app(ServiceConfig(db=db), warm=False)) as client:
        page = client.get("/", params={"q": "forvaltningsret"}).text
        assert 'href="/kursus/..%2F..%2Fapi%2Fadmin%2Fcrawl"' in page and 'href="/kursus/../' not in page
        assert "Forvaltningsret i praksis" in client.get("/kursus/..%2F..%2Fapi%2Fadmin%2Fcrawl").text


def test_pages_tell_the_browser_to_keep_them_to_themselves(client: TestClient, index: Any) -> None:
    for url in ("/", "/team", "/udbydere", "/api/courses", "/feed/courses.json", "/findes-ikke"):
        headers = client.get(url).headers
        assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY", url
        assert headers["referrer-policy"] == "strict-origin-when-cross-origin", url
        policy = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "script-src 'self';" in policy, url
    docs = client.get("/docs")
    assert docs.status_code == 200 and "content-security-policy" not in docs.headers  # Swagger UI runs inline scripts
    for near in ("/docsx%3Cb%3E", "/redoc-nope", "/static-docs/nope", "/docs/%3Cb%3E"):  # pages that only start alike
        answer = client.get(near)
        assert answer.status_code == 404 and "frame-ancestors 'none'" in answer.headers["content-security-policy"], near
    assert docs.headers["x-frame-options"] == "DENY"


def test_api_docs_pages_say_they_are_english(client: TestClient) -> None:
    # WCAG 3.1.1: a screen reader reads the page in the language it declares (the web page's is Danish)
    for url in ("/docs", "/redoc"):
        page = client.get(url)
        assert page.status_code == 200 and '<html lang="en">' in page.text, url
    assert "/static-docs/swagger-ui-bundle.js" in client.get("/docs").text
    assert client.get("/static-docs/swagger-ui-bundle.js").status_code == 200


def test_unknown_page_is_a_danish_404(client: TestClient) -> None:
    page = assert_error_page(client.get("/findes/ikke"), 404)
    assert "Siden findes ikke" in page and 'lang="da"' in page


def test_shipped_template_files_are_what_the_page_offers() -> None:
    # The upload tests use template_text(); the shipped files are what the page offers for download.
    from matcher.gaps import template_bytes as template_file

    for kind in TEMPLATE_FILES:
        assert template_file(kind, TAXONOMY) == (TEMPLATE_DIR / TEMPLATE_FILES[kind]).read_bytes()


def test_course_page_says_a_label_once(client: TestClient) -> None:
    # the provider wrote "Adgangskrav: …" into the text; the page's own label says it already
    page = client.get("/kursus/nordhavn-dib-sygedagpenge-2027").text
    visible = re.sub(r'<script type="application/ld\+json">.*?</script>', "", page, flags=re.S)
    assert re.search(r"<dt>Adgangskrav</dt>\s*<dd>En relevant", visible) and "Adgangskrav: " not in visible


def test_front_page_opens_with_the_domains_courses(client: TestClient, index: Any) -> None:
    """Off-domain courses (a Python course, nursing) come after the domain's, not first."""
    pages = [client.get("/", params={"side": n}).text for n in (1, 2)]
    ids = list(dict.fromkeys(i for page in pages for i in re.findall(r'<a href="/kursus/([^"]+)"', page)))
    off = [i for i in ids if index.get(i) is not None and not index.get(i).tags.assigned_fields]
    assert off, "the sample catalogue has off-domain courses"
    assert ids[: len(ids) - len(off)] == [i for i in ids if i not in off]  # all of them at the end


def test_a_notice_reads_as_a_sentence() -> None:
    from service.web import sentence

    assert sentence("intet kursus holdes i Skagen") == "Intet kursus holdes i Skagen."
    assert sentence("behov.csv: linje 3 er tom. ") == "behov.csv: linje 3 er tom."  # a file's name keeps its case
    assert sentence("Hvad nu?") == "Hvad nu?" and sentence("   ") == "" and sentence("") == ""
