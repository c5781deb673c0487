"""Whole pages through the extractor (crawler.extract.extract_course): what a course page's own words
decide, and which pages are no course. The pages are small ones of our own making."""

from __future__ import annotations

import datetime as dt

import lxml.html
import pytest

from crawler.extract import drop_teasers, extract_course
from matcher.catalogue_index import CatalogueIndex, CourseFilters, CourseTags
from matcher.course import Course


def page(body: str, title: str = "Side") -> str:
    return (f"<!DOCTYPE html><html lang='da'><head><meta charset='utf-8'><title>{title}</title></head>"
            f"<body><nav><a href='/'>Forside</a> <a href='/kurser/'>Kurser</a></nav>{body}</body></html>")  # fmt: skip


def found_at(record: dict, place: str) -> bool:
    """Whether the place filter finds the extracted course at `place`."""
    index = CatalogueIndex([Course.model_validate({**record, "source": "t"})], [CourseTags()], None, field_keys=[])
    return bool(index.mask(CourseFilters(location=place), dt.date(2026, 12, 1))[0])


# --- course type: the page's words over the URL folder -----------------------------------------


def test_a_module_page_under_a_course_folder_takes_its_type_from_its_words():
    html = page("<main><h1>Teamledelse i jobcentret</h1><p>Diplommodul i ledelse for teamledere i jobcentre.</p>"
                "<p>ECTS: 5</p><p>Pris: 12.500 kr.</p><p>Holdstart: 6. september 2027</p></main>")  # fmt: skip
    record = extract_course(html, "https://udbyder.example/kurser/teamledelse.html")
    assert record is not None
    assert (record["course_type"], record["eqf_level"]) == ("diplom", 6)


def test_a_page_that_names_no_type_takes_it_from_its_folder():
    html = page("<main><h1>Sygedagpengeloven i praksis</h1><p>To dage om opfølgning på sygedagpenge.</p>"
                "<p>Pris: 4.500 kr.</p><p>Dato: 3. marts 2027</p></main>")  # fmt: skip
    record = extract_course(html, "https://udbyder.example/kurser/sygedagpenge.html")
    assert record is not None and (record["course_type"], record["eqf_level"]) == ("kursus", None)


def test_what_the_course_asks_of_its_participants_is_not_its_type():
    html = page("<main><h1>Forvaltningsret i jobcentret</h1><p>Om afgørelser, partshøring og aktindsigt.</p>"
                "<p>Adgangskrav: en akademiuddannelse eller tilsvarende</p><p>Pris: 9.800 kr.</p>"
                "<p>Studiestart: 1. februar 2027</p></main>")  # fmt: skip
    record = extract_course(html, "https://udbyder.example/diplomuddannelser/forvaltningsret")
    assert record is not None and (record["course_type"], record["eqf_level"]) == ("diplom", 6)


# --- listings and theme pages are no courses -------------------------------------------------


def card(n: int, heading: str = "h3") -> str:
    """A listing's card; `heading` "strong" writes its title in bold, as templates without headings do."""
    title = f"<p><strong>Kursus nummer {n}</strong></p>" if heading == "strong" else f"<{heading}>Kursus nummer {n}</{heading}>"
    return (f"<div class='kort'>{title}<p>Kort om kursus nummer {n}.</p>"
            f"<p>Pris: {n}.500 kr. · Start: {n}. marts 2027</p>"
            f"<a href='/kurser/k{n}.html'>Læs mere</a></div>")  # fmt: skip


@pytest.mark.parametrize("heading", ["h3", "strong"])
def test_a_page_of_cards_with_read_more_links_is_a_listing(heading: str):
    html = page("<main><h1>Kursusoversigt forår 2027</h1><p>Her finder du alle vores kurser for jobcentre.</p>"
                + "".join(card(n, heading) for n in range(1, 5)) + "</main>")  # fmt: skip
    assert extract_course(html, "https://udbyder.example/oversigt.html") is None


def test_a_theme_page_with_one_teaser_card_is_no_course():
    html = page("<main><h1>Tema: Kontanthjælp</h1><p>Viden om kontanthjælpsreglerne fra vores konsulenter, og hvad "
                f"reformen betyder for jobcentrene.</p>{card(2, 'h2')}</main>")  # fmt: skip
    assert extract_course(html, "https://udbyder.example/tema/kontanthjaelp.html") is None


@pytest.mark.parametrize("heading", ["h3", "strong"])
def test_a_course_page_keeps_its_own_facts_and_drops_its_related_cards(heading: str):
    html = page("<main><h1>Jobsamtalen med sygemeldte</h1><p>Et kursus om samtaler med sygemeldte borgere.</p>"
                "<p>Dato: 7. april 2027</p><p>Varighed: 2 dage</p><h2>Relaterede kurser</h2>"
                + "".join(card(n, heading) for n in range(1, 4)) + "</main>")  # fmt: skip
    record = extract_course(html, "https://udbyder.example/kurser/jobsamtalen.html")
    assert record is not None  # the page states no price: the cards' prices are not lent to it
    assert (record["price_dkk"], record["start_dates"], record["duration_days"]) == (None, ["2027-04-07"], 2.0)


def test_a_section_of_the_page_that_ends_in_read_more_is_the_page_s_own():
    html = page("<main><h1>Jobsamtalen med sygemeldte</h1><p>Et kursus om samtaler med sygemeldte borgere.</p>"
                "<section><h2>Pris og tilmelding</h2><p>Pris: 3.900 kr.</p><p>Dato: 7. april 2027</p>"
                "<a href='/tilmelding.html'>Læs mere</a></section></main>")  # fmt: skip
    record = extract_course(html, "https://udbyder.example/kurser/jobsamtalen.html")
    assert record is not None
    assert (record["price_dkk"], record["start_dates"]) == (3900.0, ["2027-04-07"])


def test_a_course_page_with_teachers_bios_that_end_in_read_more_is_a_course():
    bio = "<div><p><strong>{0}</strong>, cand.psych., underviser.</p><a href='/undervisere/{1}.html'>Læs mere</a></div>"
    html = page("<main><h1>Jobsamtalen med sygemeldte</h1><p>Et kursus om samtaler med sygemeldte borgere.</p>"
                "<p>Pris: 3.900 kr.</p><h2>Undervisere</h2>" + bio.format("Anna Holm", "anna") + bio.format("Bo Lund", "bo")
                + "<h3><a href='/kurser/relateret.html'>Samtaler med ledige</a></h3></main>")  # fmt: skip
    record = extract_course(html, "https://udbyder.example/kurser/jobsamtalen.html")
    assert record is not None and record["price_dkk"] == 3900.0


def test_facts_that_each_end_in_read_more_stay_the_page_s_own():
    html = page("<main><h1>Jobsamtalen med sygemeldte</h1><p>Et kursus om samtaler med sygemeldte borgere.</p>"
                "<p><strong>Merit:</strong> Kurset giver merit til et diplommodul. <a href='/merit.html'>Læs mere</a></p>"
                "<p><strong>Efter kurset:</strong> Du får et kursusbevis. <a href='/bevis.html'>Læs mere</a></p>"
                "<p>Pris: 3.900 kr. <a href='/priser.html'>Læs mere</a></p>"
                "<p>Dato: 7. april 2027 <a href='/datoer.html'>Læs mere</a></p>"
                "<p>Sted: Odense <a href='/lokaler.html'>Læs mere</a></p></main>")  # fmt: skip
    record = extract_course(html, "https://udbyder.example/kurser/jobsamtalen.html")
    assert record is not None
    assert (record["price_dkk"], record["start_dates"], record["location"]) == (3900.0, ["2027-04-07"], "Odense")
    # Paragraphs led by a bold label are the page's own, not cards with bold titles.
    main = lxml.html.fromstring(html).find(".//main")
    assert drop_teasers(main, "https://udbyder.example/kurser/jobsamtalen.html") == 0
    assert "Kurset giver merit" in main.text_content() and "kursusbevis" in main.text_content()


# --- scope: ECTS and duration ---------------------------------------------------------------------


def test_ects_under_omfang_are_read():
    html = page("<main><h1>Mastermodul: Evidens i socialt arbejde</h1><p>Om evidensbaserede metoder.</p>"
                "<p>Omfang: 7,5 ECTS-point</p><p>Studiestart: primo september 2027</p></main>")  # fmt: skip
    record = extract_course(html, "https://uni.example/master/evidens")
    assert record is not None and (record["ects"], record["duration_days"]) == (7.5, None)


def test_an_e_learning_page_with_hours_and_open_enrolment_is_a_course():
    html = page("<main><h1>Digital sagsbehandling</h1><p>Om fagsystemer og digital sagsbehandling i jobcentret, "
                "i dit eget tempo.</p><p>Tilmelding: løbende optag</p><p>Varighed: 6 timer</p></main>")  # fmt: skip
    record = extract_course(html, "https://udbyder.example/digital-sagsbehandling")
    assert record is not None
    assert (record["duration_days"], record["start_dates"]) == (0.81, [])


def test_open_enrolment_counts_as_a_course_fact():
    html = page("<main><h1>Digital sagsbehandling</h1><p>Om fagsystemer i jobcentret.</p>"
                "<p>Pris: 895 kr. ekskl. moms</p><p>Tilmelding: løbende optag</p></main>")  # fmt: skip
    assert extract_course(html, "https://udbyder.example/digital-sagsbehandling") is not None
    closed = html.replace("Tilmelding: løbende optag", "Tilmelding via vores hjemmeside")
    assert extract_course(closed, "https://udbyder.example/digital-sagsbehandling") is None


# --- dates: one start per run ---------------------------------------------------------------------


def test_a_two_day_course_has_one_start_and_its_days_from_the_dates():
    html = page("<main><h1>Jobsamtalen med sygemeldte</h1><p>Et kursus om samtaler med sygemeldte borgere.</p>"
                "<p>Dato: d. 3. og 4. marts 2027, kl. 9.00-15.30</p><p>Pris: 3.500 kr.</p></main>")  # fmt: skip
    record = extract_course(html, "https://udbyder.example/kurser/jobsamtalen.html")
    assert record is not None and (record["start_dates"], record["duration_days"]) == (["2027-03-03"], 2.0)


def test_two_runs_of_two_days_are_two_starts_and_a_stated_duration_wins():
    html = page("<main><h1>Jobsamtalen med sygemeldte</h1><p>Et kursus om samtaler med sygemeldte borgere.</p>"
                "<p>Datoer: 3.-4. marts 2027 og 7.-8. april 2027</p><p>Pris: 3.500 kr.</p></main>")  # fmt: skip
    record = extract_course(html, "https://udbyder.example/kurser/jobsamtalen.html")
    assert record is not None
    assert (record["start_dates"], record["duration_days"]) == (["2027-03-03", "2027-04-07"], 2.0)
    stated = extract_course(html.replace("<p>Pris", "<p>Varighed: 1½ dag</p><p>Pris"),
                            "https://udbyder.example/kurser/jobsamtalen.html")  # fmt: skip
    assert stated is not None and stated["duration_days"] == 1.5


# --- place ----------------------------------------------------------------------------------------


def test_every_hold_s_place_is_kept_and_the_place_filter_finds_each():
    html = page("<main><h1>Lovgivning om kontanthjælp</h1><p>Kursus om kontanthjælp og sanktioner.</p>"
                "<table><tr><th>Hold</th><th>Start</th><th>Sted</th></tr>"
                "<tr><td>Hold 1</td><td>01.02.2027</td><td>Aarhus</td></tr>"
                "<tr><td>Hold 2</td><td>15.03.2027</td><td>Odense</td></tr>"
                "<tr><td>Hold 3</td><td>1/9-2027</td><td>København</td></tr>"
                "<tr><td>Hold 4</td><td>1/10-2027</td><td>Aarhus</td></tr></table>"
                "<p>Pris: 2.995 kr.</p></main>")  # fmt: skip
    record = extract_course(html, "https://udbyder.example/kurser/kontanthjaelp.html")
    assert record is not None and record["location"] == "Aarhus, Odense, København"
    # a "Sted" fact that names the places too gives each place once, and a fuller name wins
    stated = extract_course(html.replace("<p>Pris", "<p>Sted: Aarhus, Odense og København</p><p>Pris"),
                            "https://udbyder.example/kurser/kontanthjaelp.html")  # fmt: skip
    assert stated is not None and stated["location"] == "Aarhus, Odense, København"
    from crawler.extract import _places

    assert _places(["Aarhus C", "Aarhus", "Odense"]) == _places(["Aarhus", "Aarhus C", "Odense"]) == "Aarhus C, Odense"
    for place, found in (("Aarhus", True), ("Odense", True), ("københavn", True), ("Vejle", False)):
        assert found_at(record, place) is found, place


def test_a_place_loses_its_sentence_period_but_not_an_abbreviation_s():
    def place(text: str) -> str | None:
        html = page(f"<main><h1>Mentorfunktion</h1><p>Kursus om mentorordning. Pris: 2.750 kr. Holdstart: 14. juni "
                    f"2027. Sted: {text} Undervisningsform: Fysisk.</p></main>")  # fmt: skip
        record = extract_course(html, "https://udbyder.example/kurser/mentor.html")
        assert record is not None
        return record["location"]

    assert (place("Esbjerg."), place("Ry."), place("Kbh."), place("8000 Aarhus C.")) == (
        "Esbjerg", "Ry", "Kbh.", "8000 Aarhus C.")


# --- price: as stated; the same price stated both ways is the one without VAT ----------------------


def test_a_price_is_stored_as_stated_and_a_twin_without_vat_wins():
    def price(facts: str) -> float | None:
        html = page(f"<main><h1>Ledelse af jobcentrets faglighed</h1><p>Diplommodul i ledelse.</p>{facts}"
                    "<p>Holdstart: uge 36, 2027</p></main>")  # fmt: skip
        record = extract_course(html, "https://udbyder.example/kurser/ledelse.html")
        assert record is not None
        return record["price_dkk"]

    assert price("<p>Pris: 4.500 kr. inkl. moms</p>") == 4500.0
    assert price("<p>Pris: 12.500 kr. ekskl. moms (15.625 kr. inkl. moms)</p>") == 12500.0
    assert price("<p>Pris: 15.625 kr. inkl. moms (12.500 kr. ekskl. moms)</p>") == 12500.0
    rows = "<dl><dt>Pris inkl. moms</dt><dd>15.625 kr.</dd><dt>Pris ekskl. moms</dt><dd>12.500 kr.</dd></dl>"
    assert price(rows) == 12500.0


def test_a_course_held_at_several_places_in_json_ld_keeps_every_place():
    ld = ('{"@context": "https://schema.org", "@type": "Course", "name": "Jobsamtalen i praksis",'
          ' "description": "To dage om den gode jobsamtale med ledige borgere.", "hasCourseInstance": ['
          '{"@type": "CourseInstance", "startDate": "2027-02-03", "location": {"@type": "Place", "name": "Aarhus"}},'
          '{"@type": "CourseInstance", "startDate": "2027-03-03", "location": {"@type": "Place", "name": "Odense"}},'
          '{"@type": "CourseInstance", "startDate": "2027-04-07", "location": {"@type": "Place", "name": "Aarhus"}}]}')
    html = page(f"<script type='application/ld+json'>{ld}</script><main><h1>Jobsamtalen i praksis</h1>"
                "<p>To dage om den gode jobsamtale med ledige borgere.</p></main>")
    record = extract_course(html, "https://udbyder.example/kurser/jobsamtalen.html")
    assert record is not None and record["location"] == "Aarhus, Odense"
    assert found_at(record, "Odense")


def test_a_date_in_a_year_no_course_runs_is_unknown_and_the_course_is_kept():
    """A page's JSON-LD says 9999-01-01 (a placeholder, or a typo such as 2207): the course is stored
    without that date, as an ECTS out of range is; stored, it broke every team plan that met it."""
    ld = ('{"@context": "https://schema.org", "@type": "Course", "name": "Jobsamtalen i praksis",'
          ' "description": "To dage om den gode jobsamtale med ledige borgere.", "hasCourseInstance": ['
          '{"@type": "CourseInstance", "startDate": "9999-01-01"}, {"@type": "CourseInstance", "startDate": "2027-03-03"}]}')
    html = page(f"<script type='application/ld+json'>{ld}</script><main><h1>Jobsamtalen i praksis</h1>"
                "<p>To dage om den gode jobsamtale med ledige borgere.</p></main>")
    record = extract_course(html, "https://udbyder.example/kurser/jobsamtalen.html")
    assert record is not None and record["start_dates"] == ["2027-03-03"]
    assert Course.model_validate(record).start_dates == [dt.date(2027, 3, 3)]


def test_a_provider_the_page_names_in_its_facts_is_the_records_provider():
    html = page("<main><h1>Jobsamtalen i praksis</h1><p>To dage om den gode jobsamtale med ledige borgere.</p>"
                "<p>Udbyder: Testskolen</p><p>Pris: 4.500 kr.</p><p>Dato: 3. marts 2027</p></main>")
    record = extract_course(html, "https://portal.example/kurser/jobsamtalen.html")
    assert record is not None and record["provider"] == "Testskolen"


# --- what real sites do: cancelled courses, placeholders, soft 404s ------------------------------

_COURSE = ("<p>Et kursus om jobrettet coaching af ledige borgere.</p><p>Pris: 4.200 kr.</p>"
           "<p>Holdstart: 3. maj 2027</p><p>Sted: Aarhus</p>")


@pytest.mark.parametrize("title, extra", [
    ("Jobrettet coaching (AFLYST)", ""),
    ("Jobrettet coaching – cancelled", ""),
    ("Jobrettet coaching", "<p>Status: Aflyst</p>"),
    ("Jobrettet coaching", "<p>Dette kursus udbydes ikke længere.</p>"),
    ("Jobrettet coaching", "<p>Modulet er aflyst.</p>"),
])
def test_a_page_that_says_its_course_is_cancelled_gives_it_withdrawn(title, extra):
    record = extract_course(page(f"<main><h1>{title}</h1>{_COURSE}{extra}</main>"), "https://u.example/kurser/coach")
    assert record is not None and record["withdrawn"] is True
    Course.model_validate({**record, "source": "t"})  # a record the catalogue takes


@pytest.mark.parametrize("extra", [
    "<p>Kurset aflyses ved for få tilmeldte.</p>",
    "<p>Ved aflysning får du pengene retur.</p>",
    "<p>Status: Ledige pladser</p>",
    "<p>Kurset er aflyst, hvis der er under 8 tilmeldte.</p>",
])
def test_conditions_and_terms_about_cancelling_leave_a_course_on_offer(extra):
    record = extract_course(page(f"<main><h1>Jobrettet coaching</h1>{_COURSE}{extra}</main>"), "https://u.example/k/c")
    assert record is not None and "withdrawn" not in record


def _jsonld(node: dict) -> str:
    import json

    return f"<script type='application/ld+json'>{json.dumps({'@context': 'https://schema.org', **node})}</script>"


def test_a_cancelled_run_in_json_ld_starts_nothing_and_the_others_stay():
    runs = [{"@type": "CourseInstance", "startDate": "2027-05-03", "eventStatus": "https://schema.org/EventCancelled"},
            {"@type": "CourseInstance", "startDate": "2027-09-06", "eventStatus": "EventScheduled"}]
    html = page(_jsonld({"@type": "Course", "name": "Jobrettet coaching", "description": "Coaching af ledige.",
                         "hasCourseInstance": runs}) + "<main><h1>Jobrettet coaching</h1></main>")
    record = extract_course(html, "https://u.example/k/c")
    assert record["start_dates"] == ["2027-09-06"] and "withdrawn" not in record
    html = html.replace("EventScheduled", "EventCancelled")
    assert extract_course(html, "https://u.example/k/c")["withdrawn"] is True


def test_a_json_ld_price_of_0_gives_way_to_the_price_the_page_states():
    html = page(_jsonld({"@type": "Course", "name": "Jobrettet coaching", "description": "Coaching af ledige.",
                         "offers": {"@type": "Offer", "price": "0", "priceCurrency": "DKK"}})
                + "<main><h1>Jobrettet coaching</h1><p>Pris: 6.900 kr.</p></main>")  # fmt: skip
    assert extract_course(html, "https://u.example/k/c")["price_dkk"] == 6900
    free = html.replace("Pris: 6.900 kr.", "Pris: Gratis")
    assert extract_course(free, "https://u.example/k/c")["price_dkk"] == 0


def test_json_ld_text_escaped_as_html_is_read_as_text():
    html = page(_jsonld({"@type": "Course", "name": "Beskæftigelse &amp; sundhed &lt;b&gt;nyt&lt;/b&gt;",
                         "description": "Om job &amp; helbred."}) + "<main><h1>X</h1></main>")
    record = extract_course(html, "https://u.example/k/c")
    assert (record["title"], record["description"]) == ("Beskæftigelse & sundhed nyt", "Om job & helbred.")


def test_a_json_ld_venue_keeps_its_town_so_the_place_filter_finds_it():
    place = {"@type": "Place", "name": "Campus Syd", "address": {"@type": "PostalAddress", "addressLocality": "Haderslev"}}
    html = page(_jsonld({"@type": "Course", "name": "Jobrettet coaching", "description": "Coaching af ledige.",
                         "hasCourseInstance": {"@type": "CourseInstance", "startDate": "2027-05-03", "location": place}})
                + "<main><h1>Jobrettet coaching</h1></main>")  # fmt: skip
    record = extract_course(html, "https://u.example/k/c")
    assert record["location"] == "Campus Syd, Haderslev" and found_at(record, "Haderslev")


@pytest.mark.parametrize("label", ["Undervisningsdage", "Kursusdage"])
def test_dates_under_a_days_label_give_the_start_and_the_days(label):
    html = page(f"<main><h1>Mentorkursus</h1><p>Om mentorordninger for ledige.</p><p>Pris: 2.000 kr.</p>"
                f"<p>{label}: 6. september 2027 og 4. oktober 2027</p></main>")  # fmt: skip
    record = extract_course(html, "https://u.example/k/m")
    assert (record["start_dates"], record["duration_days"]) == (["2027-09-06"], 2.0)


@pytest.mark.parametrize("title", ["Siden blev ikke fundet", "Ups! Siden findes ikke", "Fejl 404", "Page could not be found"])
def test_a_soft_404_with_a_fact_box_is_no_course(title):
    html = page(f"<main><h1>{title}</h1><p>Prøv søgningen.</p></main>"
                "<aside><h2>Næste ledige hold</h2><p>Holdstart: 1. april 2027</p><p>Pris: 2.200 kr.</p><p>Sted: Køge</p></aside>",
                title=title)  # fmt: skip
    assert extract_course(html, "https://u.example/kurser/xyz") is None


# --- dates as Danish course pages write them -----------------------------------------------------


def _facts(*lines: str) -> str:
    items = "".join(f"<li><strong>{label}:</strong> {value}</li>" for label, value in (line.split(": ", 1) for line in lines))
    return page(f"<main><h1>Jobsamtaler</h1><p>Om samtaler med ledige borgere om job.</p><ul>{items}"
                "<li><strong>Pris:</strong> 4.500 kr.</li></ul></main>")  # fmt: skip


def test_a_deadline_in_the_start_line_is_the_deadline_not_a_start():
    """It was a second start, on the deadline, and the real one stayed open after the deadline."""
    record = extract_course(_facts("Holdstart: 3. marts 2027 (ansøgningsfrist 1. februar 2027)"), "https://u.example/k/a")
    assert (record["start_dates"], record["application_deadline"]) == (["2027-03-03"], "2027-02-01")


def test_a_deadline_without_a_year_lies_before_its_start(monkeypatch):
    """Read the day after it passed, "10. januar" was next year's, after the start: the course open again."""
    monkeypatch.setenv("FAGMATCH_TODAY", "2027-01-11")
    record = extract_course(_facts("Holdstart: 1. februar 2027", "Ansøgningsfrist: 10. januar"), "https://u.example/k/b")
    assert (record["start_dates"], record["application_deadline"]) == (["2027-02-01"], "2027-01-10")
    monkeypatch.setenv("FAGMATCH_TODAY", "2026-12-07")  # and before it, the same date
    assert extract_course(_facts("Holdstart: 1. februar 2027", "Ansøgningsfrist: 10. januar"),
                          "https://u.example/k/b")["application_deadline"] == "2027-01-10"


def test_a_block_of_days_without_a_year_is_one_run_in_one_year(monkeypatch):
    """On its second day, "12.-13. januar" had been the 13th this year and the 12th next year: two starts."""
    monkeypatch.setenv("FAGMATCH_TODAY", "2027-01-13")
    record = extract_course(_facts("Holdstart: 12.-13. januar"), "https://u.example/k/c")
    assert (record["start_dates"], record["duration_days"]) == (["2027-01-12"], 2.0)


def test_course_days_listed_with_the_year_once_beside_a_duration_give_the_start(monkeypatch):
    monkeypatch.setenv("FAGMATCH_TODAY", "2027-03-10")  # "3. marts" alone would now be next year's
    record = extract_course(_facts("Varighed: 3 dage", "Kursusdage: 3. marts, 17. marts og 31. marts 2027"),
                            "https://u.example/k/d")
    assert (record["start_dates"], record["duration_days"]) == (["2027-03-03"], 3.0)


@pytest.mark.parametrize("label", ["Periode", "Kursusperiode"])
def test_a_period_starts_on_its_first_day(label):
    record = extract_course(_facts(f"{label}: 3. marts – 30. juni 2027"), "https://u.example/k/e")
    assert record["start_dates"] == ["2027-03-03"]


@pytest.mark.parametrize(("moment", "day"), [("2027-02-28T23:00:00Z", "2027-03-01"),  # midnight in Denmark, winter
                                             ("2027-08-31T22:00:00Z", "2027-09-01"),  # and summer
                                             ("2027-03-01T00:00:00+01:00", "2027-03-01"), ("2027-03-01", "2027-03-01")])
def test_a_schema_org_start_in_another_zone_is_the_danish_day(moment, day):
    html = page(_jsonld({"@type": "Course", "name": "Jobrettet coaching", "description": "Coaching af ledige.",
                         "hasCourseInstance": {"@type": "CourseInstance", "startDate": moment}})
                + "<main><h1>Jobrettet coaching</h1></main>")  # fmt: skip
    assert extract_course(html, "https://u.example/k/f")["start_dates"] == [day]


# --- schema.org as providers publish it (a provider's web developer's walk) ------------------------

_MODULE = {"@type": "Course", "name": "Virksomhedssamarbejde", "description": "Modul om samarbejde med virksomheder.",
           "numberOfCredits": 10, "offers": {"@type": "Offer", "price": 11900, "priceCurrency": "DKK"}}


@pytest.mark.parametrize("other", [
    {"@type": "Event", "name": "Informationsmøde om diplomuddannelsen", "startDate": "2027-01-10"},
    {"@type": "EducationalOccupationalProgram", "name": "Diplomuddannelse i beskæftigelse"},
])
def test_a_module_page_that_also_describes_its_programme_or_an_info_meeting_is_the_module(other):
    html = page(_jsonld({"@graph": [other, _MODULE]}) + "<main><h1>Virksomhedssamarbejde</h1></main>")
    record = extract_course(html, "https://u.example/k/virksomhedssamarbejde")
    assert (record["title"], record["ects"], record["price_dkk"]) == ("Virksomhedssamarbejde", 10, 11900)


def test_two_different_courses_in_json_ld_are_still_a_listing():
    other = {**_MODULE, "name": "Jobrettet samtale"}
    html = page(_jsonld({"@graph": [_MODULE, other]}) + "<main><h1>Moduler</h1></main>")
    assert extract_course(html, "https://u.example/k/moduler") is None


@pytest.mark.parametrize("spec", [
    {"@type": "UnitPriceSpecification", "price": 800, "priceCurrency": "DKK", "unitText": "ECTS"},
    {"@type": "UnitPriceSpecification", "price": 800, "priceCurrency": "DKK",
     "referenceQuantity": {"@type": "QuantitativeValue", "value": 1, "unitText": "ECTS-point"}},
    {"@type": "UnitPriceSpecification", "price": 800, "priceCurrency": "DKK", "unitCode": "HUR"},
])
def test_a_json_ld_price_per_ects_or_hour_is_no_course_price(spec):
    node = {**_MODULE, "numberOfCredits": 15, "offers": {"@type": "Offer", "priceSpecification": spec}}
    record = extract_course(page(_jsonld(node) + "<main><h1>Virksomhedssamarbejde</h1></main>"), "https://u.example/k/c")
    assert record["price_dkk"] is None
    per_participant = {**spec, "unitText": "deltager", "unitCode": None, "referenceQuantity": None}
    node["offers"]["priceSpecification"] = per_participant
    assert extract_course(page(_jsonld(node) + "<main><h1>X</h1></main>"), "https://u.example/k/c")["price_dkk"] == 800


def test_an_early_bird_offer_is_not_the_base_price_nor_its_end_the_deadline():
    offers = [{"@type": "Offer", "name": "Early bird", "price": 4200, "priceCurrency": "DKK", "validThrough": "2027-01-01"},
              {"@type": "Offer", "name": "Normalpris", "price": 4900, "priceCurrency": "DKK", "validThrough": "2027-02-20"}]
    html = page(_jsonld({**_MODULE, "offers": offers}) + "<main><h1>Virksomhedssamarbejde</h1></main>")
    record = extract_course(html, "https://u.example/k/c")
    assert (record["price_dkk"], record["application_deadline"]) == (4900, "2027-02-20")


def test_an_offer_s_last_day_is_the_deadline_as_fagmatch_s_own_json_ld_writes_it():
    node = {**_MODULE, "offers": {"@type": "Offer", "price": 11900, "priceCurrency": "DKK",
                                  "validThrough": "2027-01-05T23:59:00+01:00"}}
    html = page(_jsonld(node) + "<main><h1>Virksomhedssamarbejde</h1></main>")
    assert extract_course(html, "https://u.example/k/c")["application_deadline"] == "2027-01-05"
    stated = {**node, "applicationDeadline": "2026-12-15"}
    html = page(_jsonld(stated) + "<main><h1>Virksomhedssamarbejde</h1></main>")
    assert extract_course(html, "https://u.example/k/c")["application_deadline"] == "2026-12-15"


@pytest.mark.parametrize("level, eqf", [
    ({"@type": "AlignmentObject", "alignmentType": "educationalLevel", "educationalFramework": "EQF", "targetName": "7"}, 7),
    ({"@type": "AlignmentObject", "educationalFramework": "EQF", "targetName": "Niveau 6"}, 6),
    ("EQF-niveau 5", 5),
    ({"@type": "AlignmentObject", "educationalFramework": "NQF", "targetName": "7"}, None),
])
def test_the_eqf_level_is_read_from_an_alignment_object_as_sources_md_advises(level, eqf):
    html = page(_jsonld({**_MODULE, "educationalLevel": level}) + "<main><h1>Virksomhedssamarbejde</h1></main>")
    assert extract_course(html, "https://u.example/k/c").get("eqf_level") == eqf
    if isinstance(level, dict):  # schema.org's own property for an AlignmentObject
        html = page(_jsonld({**_MODULE, "educationalAlignment": level}) + "<main><h1>Virksomhedssamarbejde</h1></main>")
        assert extract_course(html, "https://u.example/k/c").get("eqf_level") == eqf


def test_a_bare_postal_address_as_the_place_is_read():
    runs = [{"@type": "CourseInstance", "startDate": "2027-05-04",
             "location": {"@type": "PostalAddress", "streetAddress": "Søndergade 20", "addressLocality": "Aarhus C"}}]
    html = page(_jsonld({**_MODULE, "hasCourseInstance": runs}) + "<main><h1>Virksomhedssamarbejde</h1></main>")
    record = extract_course(html, "https://u.example/k/c")
    assert record["location"] == "Aarhus C" and found_at(record, "Aarhus")


def test_a_cancelled_run_adds_neither_its_place_nor_its_form():
    runs = [{"@type": "CourseInstance", "startDate": "2027-03-09", "courseMode": "online",
             "eventStatus": "https://schema.org/EventCancelled", "location": {"@type": "Place", "name": "Odense C"}},
            {"@type": "CourseInstance", "startDate": "2027-05-04", "courseMode": "onsite",
             "location": {"@type": "Place", "name": "Aarhus C"}}]
    html = page(_jsonld({**_MODULE, "hasCourseInstance": runs}) + "<main><h1>Virksomhedssamarbejde</h1></main>")
    record = extract_course(html, "https://u.example/k/c")
    assert (record["location"], record["form"], record["start_dates"]) == ("Aarhus C", "fysisk", ["2027-05-04"])
    assert not found_at(record, "Odense")


def test_a_venue_with_an_ampersand_is_one_place():
    runs = [{"@type": "CourseInstance", "startDate": "2027-05-04",
             "location": {"@type": "Place", "name": "Aalborg Kongres & Kultur Center"}}]
    html = page(_jsonld({**_MODULE, "hasCourseInstance": runs}) + "<main><h1>Virksomhedssamarbejde</h1></main>")
    assert extract_course(html, "https://u.example/k/c")["location"] == "Aalborg Kongres & Kultur Center"


def test_goals_published_only_in_json_ld_teaches_are_kept_and_topics_are_not_goals():
    node = {**_MODULE, "teaches": ["Den studerende kan anvende metoder til virksomhedsrettet samarbejde.",
                                   {"@type": "DefinedTerm", "name": "Den studerende har viden om rekrutteringsbehov."},
                                   "At vejlede ledige om jobsøgning", "Du lærer at matche ledige med virksomheders behov",
                                   "Forvaltningsret"]}
    record = extract_course(page(_jsonld(node) + "<main><h1>Virksomhedssamarbejde</h1></main>"), "https://u.example/k/c")
    assert [goal["text"][:12] for goal in record["learning_goals"]] == [
        "Den studeren", "Den studeren", "At vejlede l", "Du lærer at "]


def test_every_prerequisite_in_a_json_ld_list_is_kept():
    node = {**_MODULE, "coursePrerequisites": ["Mellemlang videregående uddannelse", "To års erhvervserfaring"]}
    record = extract_course(page(_jsonld(node) + "<main><h1>Virksomhedssamarbejde</h1></main>"), "https://u.example/k/c")
    assert record["admission"] == "Mellemlang videregående uddannelse; To års erhvervserfaring"


_FACT_BOX = ("<p>Et kursus om fleksjob og ressourceforløb for sagsbehandlere.</p><p>Varighed: 2 dage</p>"
             "<p>Pris: 4.250 kr. ekskl. moms</p><p>Holdstart: 15. marts 2027</p><p>Tilmeldingsfrist: 15. februar 2027</p>")


def test_a_wordpress_page_that_calls_itself_an_article_is_a_course_when_its_facts_say_so():
    head = '<meta property="og:type" content="article"><meta property="og:title" content="Fleksjob">'
    html = f"<html><head>{head}</head><body><main><h1>Fleksjob og ressourceforløb</h1>{_FACT_BOX}</main></body></html>"
    record = extract_course(html, "https://u.example/fleksjob-og-ressourceforloeb/")
    assert (record["price_dkk"], record["start_dates"]) == (4250, ["2027-03-15"])
    news = html.replace(_FACT_BOX, "<p>Vi har fået nye kurser. Pris: 4.250 kr.</p>")
    assert extract_course(news, "https://u.example/nye-kurser/") is None


def test_a_json_ld_run_from_start_to_end_within_days_gives_its_duration():
    event = {"@type": "Event", "name": "Temadag om sygedagpenge", "description": "En dag om sygedagpengeloven.",
             "startDate": "2027-03-04T09:00:00+01:00", "endDate": "2027-03-04T15:30:00+01:00",
             "offers": {"@type": "Offer", "price": 1950, "priceCurrency": "DKK"}}
    html = page(_jsonld(event) + "<main><h1>Temadag om sygedagpenge</h1></main>")
    assert extract_course(html, "https://u.example/k/temadag")["duration_days"] == 1
    two = {**event, "endDate": "2027-03-05"}
    assert extract_course(page(_jsonld(two) + "<main><h1>X</h1></main>"), "https://u.example/k/t")["duration_days"] == 2
    weekend = {**event, "startDate": "2027-03-05", "endDate": "2027-03-08"}  # Friday to Monday
    assert extract_course(page(_jsonld(weekend) + "<main><h1>X</h1></main>"), "https://u.example/k/t")["duration_days"] == 2
    semester = {**event, "endDate": "2027-06-20"}  # a module's semester is no run of teaching days
    assert extract_course(page(_jsonld(semester) + "<main><h1>X</h1></main>"), "https://u.example/k/t").get("duration_days") is None


def test_the_page_s_own_language_attribute_gives_the_language_when_nothing_else_does():
    body = "<body><main><h1>Fleksjob og ressourceforløb</h1>" + _FACT_BOX + "</main></body></html>"
    assert extract_course(f'<html lang="da-DK">{body}', "https://u.example/k/fleksjob")["language"] == "da"
    assert extract_course(f'<html lang="en">{body}'.replace("Varighed", "Sprog: dansk</p><p>Varighed"),
                          "https://u.example/k/fleksjob")["language"] == "da"  # the page's fact first
    assert extract_course(f"<html>{body}", "https://u.example/k/fleksjob").get("language") is None
    # WordPress's default "en-US" on a Danish page: the words decide
    assert extract_course(f'<html lang="en-US">{body}', "https://u.example/k/fleksjob")["language"] == "da"
