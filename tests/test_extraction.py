"""Whole pages through the extractor (crawler.extract.extract_course): what a course page's own words
decide, and which pages are no course. The pages are small ones of our own making."""

from __future__ import annotations

from crawler.extract import extract_course


def page(body: str, title: str = "Side") -> str:
    return (f"<!DOCTYPE html><html lang='da'><head><meta charset='utf-8'><title>{title}</title></head>"
            f"<body><nav><a href='/'>Forside</a> <a href='/kurser/'>Kurser</a></nav>{body}</body></html>")  # fmt: skip


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
