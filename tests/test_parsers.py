"""Danish field parsers: real-world formats from course pages, and round-trip properties."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crawler.parsers import (
    MONTH_NAMES,
    clean_text,
    eqf_for_course_type,
    normalise_label,
    parse_course_type,
    parse_date,
    parse_dates,
    parse_deadline_phrase,
    parse_duration,
    parse_duration_days,
    parse_duration_hours,
    parse_ects,
    parse_form,
    parse_labelled_facts,
    parse_learning_goals,
    parse_price,
    parse_runs,
    parse_teaching_form,
    price_vat_note,
    run_days,
)
from matcher.course import MAX_ECTS

TODAY = dt.date(2026, 6, 15)  # a Monday, ISO week 25
D = dt.date

MONTH_ABBREVIATIONS = {1: "jan", 2: "feb", 3: "mar", 4: "apr", 5: "maj", 6: "jun",
                       7: "jul", 8: "aug", 9: "sep", 10: "okt", 11: "nov", 12: "dec"}  # fmt: skip
dates = st.dates(min_value=D(1900, 1, 1), max_value=D(2199, 12, 31))
amounts = st.integers(min_value=0, max_value=10**6)


def danish_thousands(n: int) -> str:
    return f"{n:,}".replace(",", ".")


# --- clean_text ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Pris:\u00a012.500\u00a0kr.  ", "Pris: 12.500 kr."),
        ("Akademi\u00aduddannelse", "Akademiuddannelse"),
        ("Diplom\u200bmodul", "Diplommodul"),
        ("Mo\u0308de\n\n\t i  Århus", "Möde i Århus"),  # decomposed ö becomes one code point
        ("", ""),
    ],
)
def test_clean_text(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


def test_clean_text_can_keep_lines() -> None:
    assert clean_text("Viden \n\n\n - har viden\u00a0om  X\n", keep_newlines=True) == "Viden\n- har viden om X"


# --- ECTS ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10 ECTS", 10.0),
        ("10 ECTS-point", 10.0),
        ("ECTS: 5", 5.0),
        ("15 ECTS point", 15.0),
        ("7,5 ECTS", 7.5),
        ("2.5 ECTS credits", 2.5),
        ("Dette modul på 15 ECTS er tilrettelagt som deltidsstudium", 15.0),
        ("10 ects-point", 10.0),
        ("**ECTS-point:** 10", 10.0),
        ("Antal ECTS:\u00a020", 20.0),
        ("Uddannelsen er på 60 ECTS, og hvert modul er på 10 ECTS", 60.0),  # the first mention
        ("Modulet varer 10 dage", None),
        ("5-10 ECTS", None),  # a range is no single value
        ("Modulet er 5-10 ECTS; delmodul 5 ECTS", None),  # not the value after the range either
        ("ECTS: 5 - 20", None),
        ("ECTS: afhænger af modulet", None),
        ("Kurset giver ikke ECTS", None),
        ("Professionsbacheloruddannelsen er på 210 ECTS-point", 210.0),  # whole programmes run to 360
        ("ECTS: 300", 300.0),
        ("360 ECTS", 360.0),
        ("400 ECTS", None),  # beyond any programme
        ("ECTS-point: 361", None),
        ("1000 ECTS", None),
        ("", None),
    ],
)
def test_parse_ects(text: str, expected: float | None) -> None:
    assert parse_ects(text) == expected


@given(st.integers(min_value=1, max_value=MAX_ECTS))
def test_ects_integers_round_trip(n: int) -> None:
    assert parse_ects(f"{n} ECTS") == n
    assert parse_ects(f"ECTS-point: {n}") == n
    assert parse_ects(f"Modulet er på {n} ects-point.") == n


@given(st.integers(min_value=1, max_value=59))
def test_ects_halves_with_decimal_comma(doubled: int) -> None:
    value = doubled / 2
    assert parse_ects(f"{value:.1f}".replace(".", ",") + " ECTS") == value


# --- price -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12.500 kr.", 12500.0),
        ("kr. 3.995,-", 3995.0),
        ("kr. 5.400,-", 5400.0),
        ("DKK 12,500", 12500.0),
        ("12 500 kr", 12500.0),
        ("3.995,50 kr. ekskl. moms", 3995.5),
        ("Pris: 14.900 kr. pr. deltager", 14900.0),
        ("Gratis", 0.0),
        ("Pris: Gratis for medlemmer", 0.0),
        ("Deltagerbetaling: 12.000 kr.", 12000.0),
        ("Pris pr. modul: 9.250 kr. inkl. moms", 9250.0),
        ("4.995,-", 4995.0),
        ("12.500", 12500.0),  # a bare price cell
        ("12.000 DKK", 12000.0),
        ("Pris 7.500 kroner", 7500.0),
        ("1.250.000 kr.", 1250000.0),
        ("Kurset koster 2.495,00 kr.", 2495.0),
        # the base price: the first amount after the price label; per-unit amounts are skipped
        ("Tilmeld dig senest 1.3. Rabat 500 kr. Pris: 4.995 kr. (værdi 6.000 kr.)", 4995.0),
        ("Medlemspris: 3.995 kr. Pris for ikke-medlemmer: 4.995 kr.", 4995.0),
        ("Pris: 800 kr. pr. ECTS. Samlet pris for modulet 8.000 kr.", 8000.0),
        ("2 dage á 7 timer, 4.200 kr. ekskl. moms (5.250 kr. inkl. moms)", 4200.0),
        # as stated, with or without VAT; the same price stated both ways: the amount without VAT
        ("Pris: 4.500 kr. inkl. moms", 4500.0),
        ("Pris: 12.500 kr. ekskl. moms", 12500.0),
        ("Pris: 15.625 kr. inkl. moms (12.500 kr. ekskl. moms)", 12500.0),
        ("Pris: 15.625 kr. (12.500 kr. + moms)", 12500.0),
        ("Pris: 3.000 kr. inkl. moms. Materialer: 200 kr. ekskl. moms", 3000.0),  # another price, not its twin
        ("Gratis parkering. Pris: 1.500 kr.", 1500.0),
        ("800 kr pr. ECTS-point", None),
        ("450 kr. pr. time", None),
        # a day's or a week's price is not the course's; the participant's is
        ("Pris: 3.500 kr. pr. dag", None),
        ("Pris 2.000 kr/dag", None),
        ("Pris: 1.200 kr. per uge", None),
        ("Pris: 7.000 kr. (3.500 kr. pr. kursusdag)", 7000.0),
        ("Pris: 3.500 kr. pr. deltager", 3500.0),
        ("Pris pr. dag: 3.500 kr.", None),
        ("Pris: 3.500 kr. om dagen.", None),
        ("Dagspris 3.500 kr.", None),
        ("Pris: 7.000 kr. Dagspris 3.500 kr.", 7000.0),
        ("Spar 500 kr. i dag: 3.995 kr.", 3995.0),
        ("Pris: 4.995 kr. Rabat: 500 kr. ved tilmelding før 1. marts", 4995.0),
        ("10 ECTS, 3 dage", None),
        ("Holdstart uge 6, 2027", None),
        ("Pris: kontakt os", None),
        ("Gratis for medlemmer. Ikke-medlemmer 800 kr. pr. time", None),  # free only for some, the rest per hour
        ("", None),
    ],
)
def test_parse_price(text: str, expected: float | None) -> None:
    assert parse_price(text) == expected


@given(amounts)
def test_price_danish_thousands_round_trip(n: int) -> None:
    written = danish_thousands(n)
    assert parse_price(f"{written} kr.") == n
    assert parse_price(f"kr. {written},-") == n
    assert parse_price(f"{written},-") == n
    assert parse_price(f"{written} kr. ekskl. moms") == n
    assert parse_price(f"Pris: {written} kr. pr. deltager, inkl. moms") == n
    assert parse_price(f"{n:,}".replace(",", " ") + " kr") == n
    assert parse_price(f"DKK {n:,}") == n


@given(amounts, st.integers(min_value=1, max_value=99))
def test_price_decimal_comma_round_trip(n: int, cents: int) -> None:
    assert parse_price(f"{danish_thousands(n)},{cents:02d} kr.") == pytest.approx(n + cents / 100)


def test_a_price_stated_with_vat_gives_way_to_the_same_price_without_it_in_another_fact() -> None:
    assert parse_price("15.625 kr. (inkl. moms)", others=["12.500 kr. (ekskl. moms)"]) == 12500.0
    assert parse_price("15.625 kr. (inkl. moms)", others=["9.800 kr. (ekskl. moms)"]) == 15625.0  # not the same price
    assert parse_price("Medlemspris: 9.800 kr.", others=["12.500 kr. ekskl. moms"]) == 9800.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3.995 kr. ekskl. moms", "ekskl"),
        ("3.995 kr. ekskl moms", "ekskl"),
        ("Priser er eksklusiv moms", "ekskl"),
        ("4.000 kr. + moms", "ekskl"),
        ("12.500 kr. inkl. moms", "inkl"),
        ("Prisen er inklusive moms og forplejning", "inkl"),
        ("4.200 kr. ekskl. moms (5.250 kr. inkl. moms)", "ekskl"),  # the first note
        ("12.500 kr.", None),
        ("Momsfritaget uddannelse", None),
    ],
)
def test_price_vat_note(text: str, expected: str | None) -> None:
    assert price_vat_note(text) == expected


# --- dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3. februar 2027", D(2027, 2, 3)),
        ("3 feb. 2027", D(2027, 2, 3)),
        ("3 Feb 2027", D(2027, 2, 3)),
        ("03.02.2027", D(2027, 2, 3)),
        ("03.02.27", D(2027, 2, 3)),
        ("3/2-2027", D(2027, 2, 3)),
        ("3/2 2027", D(2027, 2, 3)),
        ("2027-02-03", D(2027, 2, 3)),
        ("Ansøgningsfrist: 1. SEPT. 2026", D(2026, 9, 1)),
        ("den 12. okt 2026 kl. 9.00-15.00", D(2026, 10, 12)),
        ("uge 6, 2027", D(2027, 2, 8)),
        ("uge 6 2027", D(2027, 2, 8)),
        ("Uge 1, 2027", D(2027, 1, 4)),
        ("uge 53 2026", D(2026, 12, 28)),
        ("primo september 2027", D(2027, 9, 1)),
        ("medio marts 2027", D(2027, 3, 15)),
        ("ultimo januar 2027", D(2027, 1, 31)),
        ("ultimo februar 2028", D(2028, 2, 29)),
        ("Holdstart februar 2027", D(2027, 2, 1)),  # month precision: its first day
        ("Start: 3. februar 2027. Frist: 1. december 2026", D(2027, 2, 3)),  # first in text order
        ("Start uge 6, 2027, frist 2026-12-01", D(2027, 2, 8)),
        ("kl. 9-12 2027", None),
        ("Version 2.1.24", D(2024, 1, 2)),  # looks like a date, reads as one
        ("3rd of February 2027", D(2027, 2, 3)),
        ("February 3, 2027", None),
        ("31. februar 2027", None),  # impossible, and not re-read as "februar 2027"
        ("30.02.2027", None),
        ("kl. 9.30-15.00", None),
        ("12.500 kr.", None),
        ("efterårssemestret", None),
        ("uge 54, 2027", None),
        ("", None),
    ],
)
def test_parse_date(text: str, expected: dt.date | None) -> None:
    assert parse_date(text, today=TODAY) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tilmelding senest 01.02.2027", D(2027, 2, 1)),
        ("Tilmelding: senest 1. marts 2027", D(2027, 3, 1)),
        ("Tilmelding\nSenest 1. marts 2027", D(2027, 3, 1)),  # a definition list as text
        ("Sidste frist for tilmelding er 15. januar 2027.", D(2027, 1, 15)),
        ("Tilmeld dig senest den 3. marts 2027", D(2027, 3, 3)),
        ("Ansøgningsfrist 1. juni 2027", D(2027, 6, 1)),
        ("Deadline for tilmelding: 3/3 2027", D(2027, 3, 3)),
        ("Sidste dato for tilmelding: 01.02.2027", D(2027, 2, 1)),
        ("Tilmeldingsfrist: fredag den 12.02.2027", D(2027, 2, 12)),
        ("Tilmeldingsfrist: 14 dage før kursusstart. Kursusstart 03.03.2027", None),  # the date is the start
        ("Kurset starter 3. marts 2027. Tilmelding via vores hjemmeside.", None),
        ("", None),
    ],
)
def test_parse_deadline_phrase(text: str, expected: dt.date | None) -> None:
    assert parse_deadline_phrase(text, today=TODAY) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1. september", D(2026, 9, 1)),  # the next 1 September on/after today
        ("1. juni", D(2027, 6, 1)),  # this year's is past
        ("15. juni", D(2026, 6, 15)),  # today counts
        ("29. februar", D(2028, 2, 29)),  # waits for a leap year
        ("primo maj", D(2027, 5, 1)),
        ("ultimo juni", D(2026, 6, 30)),
        ("uge 25", D(2026, 6, 15)),  # the current week has not ended
        ("uge 24", D(2027, 6, 14)),
        ("uge 36", D(2026, 8, 31)),
    ],
)
def test_dates_without_year_are_the_next_one(text: str, expected: dt.date) -> None:
    assert parse_date(text, today=TODAY) == expected


def test_the_current_week_is_this_years_also_after_its_monday() -> None:
    assert parse_date("Start uge 10", today=dt.date(2027, 3, 10)) == dt.date(2027, 3, 8)  # a Wednesday of week 10
    assert parse_date("Start uge 10", today=dt.date(2027, 3, 15)) == dt.date(2028, 3, 6)  # week 10 is over


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Holdstart: 3. februar 2027 og 1. september 2026", [D(2026, 9, 1), D(2027, 2, 3)]),
        ("3. og 4. februar 2027", [D(2027, 2, 3), D(2027, 2, 4)]),
        ("3.-5. marts 2027", [D(2027, 3, 3), D(2027, 3, 5)]),
        ("30. december - 2. januar 2027", [D(2026, 12, 30), D(2027, 1, 2)]),  # year from the range end
        ("30. januar - 2. februar 2027", [D(2027, 1, 30), D(2027, 2, 2)]),
        ("Start 2027-02-03, igen 03.02.2027 og uge 35, 2027", [D(2027, 2, 3), D(2027, 8, 30)]),
        ("Frist 1/12-2026. Start primo februar 2027. 12.500 kr.", [D(2026, 12, 1), D(2027, 2, 1)]),
        ("31. februar 2027 og 1. marts 2027", [D(2027, 3, 1)]),
        ("Ingen datoer endnu", []),
    ],
)
def test_parse_dates(text: str, expected: list[dt.date]) -> None:
    assert parse_dates(text, today=TODAY) == expected


@pytest.mark.parametrize(
    ("text", "starts", "days"),
    [
        ("d. 3. og 4. marts 2027, kl. 9.00-15.30", [D(2027, 3, 3)], 2.0),  # consecutive days: one run
        ("3.-4. marts 2027 og 7.-8. april 2027", [D(2027, 3, 3), D(2027, 4, 7)], 2.0),
        ("3., 4. og 5. marts 2027", [D(2027, 3, 3)], 3.0),
        ("30. januar - 2. februar 2027", [D(2027, 1, 30)], 4.0),
        ("03.03.2027 - 04.03.2027", [D(2027, 3, 3)], 2.0),
        ("3. og 10. marts 2027", [D(2027, 3, 3), D(2027, 3, 10)], None),  # not consecutive: two starts
        ("01.02.2027 ; 15.03.2027 ; 1/9-2027", [D(2027, 2, 1), D(2027, 3, 15), D(2027, 9, 1)], None),
        ("3.-4. marts 2027 og 7. april 2027", [D(2027, 3, 3), D(2027, 4, 7)], None),  # runs of unequal length
        ("1. marts - 30. april 2027", [D(2027, 3, 1)], None),  # a period: its course days are not stated
        ("Holdstart: 3. februar 2027 og 1. september 2026", [D(2026, 9, 1), D(2027, 2, 3)], None),
        ("Ingen datoer endnu", [], None),
    ],
)
def test_parse_runs_gives_one_start_per_run(text: str, starts: list[dt.date], days: float | None) -> None:
    runs = parse_runs(text, today=TODAY)
    assert ([run.start for run in runs], run_days(runs)) == (starts, days)


@given(dates)
def test_date_formats_round_trip(d: dt.date) -> None:
    assert parse_date(f"{d.day}. {MONTH_NAMES[d.month]} {d.year}") == d
    assert parse_date(f"{d.day}. {MONTH_NAMES[d.month].upper()} {d.year}") == d
    assert parse_date(f"{d.day} {MONTH_ABBREVIATIONS[d.month]}. {d.year}") == d
    assert parse_date(d.strftime("%d.%m.%Y")) == d
    assert parse_date(d.isoformat()) == d
    assert parse_date(f"{d.day}/{d.month}-{d.year}") == d
    assert parse_date(f"{d.day}/{d.month} {d.year}") == d


@given(st.integers(min_value=1900, max_value=2199), st.integers(min_value=1, max_value=53))
def test_iso_week_gives_its_monday(year: int, week: int) -> None:
    weeks_in_year = dt.date(year, 12, 28).isocalendar().week
    expected = dt.date.fromisocalendar(year, week, 1) if week <= weeks_in_year else None
    assert parse_date(f"uge {week}, {year}") == expected
    assert parse_date(f"Holdstart uge {week} {year}") == expected


@given(st.lists(dates, min_size=1, max_size=6), st.sampled_from(["; ", ", ", " og ", "\n"]))
def test_parse_dates_finds_every_date_sorted(days: list[dt.date], separator: str) -> None:
    formats = (
        lambda d: f"{d.day}. {MONTH_NAMES[d.month]} {d.year}",
        lambda d: d.strftime("%d.%m.%Y"),
        lambda d: d.isoformat(),
    )
    text = separator.join(formats[i % len(formats)](d) for i, d in enumerate(days))
    assert parse_dates(text, today=TODAY) == sorted(set(days))


# --- duration --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2 dage", 2.0),
        ("3 x 2 dage", 6.0),
        ("3x2 dage", 6.0),
        ("1 dag", 1.0),
        ("3 kursusdage", 3.0),
        ("7-8 undervisningsdage", 7.0),  # a range gives its lower bound
        ("1½ dag", 1.5),
        ("½ dag", 0.5),
        ("1,5 dag", 1.5),
        ("to dage", 2.0),
        ("en halv dag", 0.5),
        ("Varighed: 2-dages kursus", 2.0),
        ("Et endagskursus om jobafklaring", 1.0),
        ("2 dage + 1 opfølgningsdag", 3.0),
        ("2 + 1 dage", 3.0),
        ("Varighed: 5 dage (37 timer)", 5.0),
        ("2 uger", None),  # weeks: teaching days not stated
        ("6 timer", None),
        ("5 x 3 timer", None),
        ("2 dage om ugen i 8 uger", None),
        ("Tilmelding senest 14 dage før kursusstart", None),
        ("Varighed: 1 semester", None),
        ("10 ECTS", None),
        ("", None),
    ],
)
def test_parse_duration_days(text: str, expected: float | None) -> None:
    assert parse_duration_days(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("6 timer", 6.0),
        ("5 x 3 timer", 15.0),
        ("1½ time", 1.5),
        ("Varighed: 45 minutter", 0.75),
        ("6-8 timer", 6.0),
        ("E-læring, ca. 3 undervisningstimer", 3.0),
        ("2 dage", None),
        ("Start kl. 9", None),
    ],
)
def test_parse_duration_hours(text: str, expected: float | None) -> None:
    assert parse_duration_hours(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2 dage", 2.0),
        ("Varighed: 5 dage (37 timer)", 5.0),  # days when stated
        ("6 timer", 0.81),  # hours alone: days of 7.4 hours
        ("7,4 timer", 1.0),
        ("5 x 3 timer", 2.03),
        ("45 minutter", 0.1),
        ("3 timer om ugen i 10 uger", None),  # a rhythm, not a length
        ("1 semester, ca. 275 timer", None),  # a workload beside a longer scope
        ("10 ECTS svarende til 275 timers arbejde", None),
        ("2 uger", None),
        ("", None),
    ],
)
def test_parse_duration_reads_hours_as_days_of_7_4_hours(text: str, expected: float | None) -> None:
    assert parse_duration(text) == expected


@given(st.integers(min_value=1, max_value=10), st.integers(min_value=1, max_value=10))
def test_duration_sessions_multiply(sessions: int, days: int) -> None:
    assert parse_duration_days(f"{sessions} x {days} dage") == sessions * days


# --- form ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Online", "online"),
        ("Fjernundervisning", "online"),
        ("Virtuel undervisning", "online"),
        ("e-læring", "online"),
        ("Webinar", "online"),
        ("Blended learning", "blended"),
        ("En kombination af online og fremmøde", "blended"),
        ("Fjernundervisning med 2 seminardage med fremmøde", "blended"),  # both cues
        ("Rekvirér kurset", "rekvirerbar"),
        ("Kurset kan rekvireres", "rekvirerbar"),
        ("Kurset afholdes hos jer", "rekvirerbar"),
        ("Online. Kan også rekvireres til hele teamet", "rekvirerbar"),  # rekvirerbar first
        ("Fremmøde", "fysisk"),
        ("Undervisning med tilstedeværelse", "fysisk"),
        ("Undervisningen foregår på campus", "fysisk"),
        ("Fysisk", "fysisk"),
        ("Dag, Odense", "fysisk"),
        ("Aften - 8000 Aarhus C", "fysisk"),
        ("Aften", None),  # when, not where
        ("Dag (8.30-15.00)", None),
        ("Kursus om fysisk arbejdsmiljø", None),
        ("Tilmeld dig online. Kurset holdes med fremmøde i Vejle", "fysisk"),
        ("", None),
    ],
)
def test_parse_form(text: str, expected: str | None) -> None:
    assert parse_form(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Om kurset. Undervisningen foregår online.", "online"),
        ("Kurset afholdes som webinar", "online"),
        ("Kurset afholdes virtuelt via Teams.", "online"),
        ("Kurset udbydes som fjernundervisning", "online"),
        ("Kurset er et e-læringskursus.", "online"),
        ("The course is taught online via Zoom.", "online"),
        ("The course is fully online.", "online"),
        ("Kurset foregår online og på campus i Aarhus.", "blended"),
        ("Du lærer om e-læring. Forløbet afholdes med fysisk fremmøde i Odense.", "fysisk"),
        # running text that says "online" about something else than the teaching
        ("Tilmelding foregår online. Kurset er for sagsbehandlere.", None),
        ("Kurset er en introduktion til online-rekruttering.", None),
        ("Kurset handler om virtuelle møder.", None),
        ("Undervisningen foregår på dansk.", None),
        ("Undervisningen foregår på fire seminarer i Aarhus med mellemliggende online vejledning.", None),
        ("Borgere kan søge online. Materialet ligger online.", None),
    ],
)
def test_parse_teaching_form_reads_only_sentences_about_the_teaching(text: str, expected: str | None) -> None:
    assert parse_teaching_form(text) == expected


# --- course type -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "url", "expected"),
    [
        ("Diplommodul: Beskæftigelsesindsats", None, "diplom"),
        ("Diplomuddannelse i beskæftigelse", None, "diplom"),
        ("Den sociale diplomuddannelse", None, "diplom"),
        ("Samtaler med borgere", "https://www.via.dk/efter-og-videreuddannelse/diplomuddannelser/ledelse", "diplom"),
        ("Akademimodul i jura", None, "akademi"),
        ("Akademiuddannelse i offentlig forvaltning og administration", None, "akademi"),
        ("AU-modul: Forvaltningsret", None, "akademi"),
        ("Kommunom - den kommunale akademiuddannelse", None, "akademi"),
        ("Master i vidensbaseret socialt arbejde", None, "master"),
        ("MPG - Master of Public Governance", None, "master"),
        ("AMU-kursus: Jobsøgning", None, "amu"),
        ("Arbejdsmarkedsuddannelse", None, "amu"),
        ("Vejledning", "https://www.ug.dk/uddannelser/arbejdsmarkedsuddannelseramu/kontor/vejledning", "amu"),
        ("Kursus (AMU) i vejledning", None, "amu"),  # a specific type beats the generic word
        ("Modulet indgår i diplomuddannelsen. Adgangskrav: en akademiuddannelse", None, "diplom"),  # earliest
        ("E-kursus: Sygedagpengeloven", None, "kursus"),
        ("Temadag om jobafklaring", None, "kursus"),
        ("GDPR i sagsbehandlingen – e-læring", None, "kursus"),
        ("GDPR", "https://udbyder.example/e-laering/gdpr", "kursus"),
        ("Sygedagpenge", "https://www.komponent.dk/kurser/sygedagpenge", "kursus"),
        ("Konference om beskæftigelse 2027", None, "other"),
        ("Professionsbacheloruddannelsen i socialt arbejde", None, "grunduddannelse"),
        ("Socialrådgiveruddannelsen", None, "grunduddannelse"),
        ("Du modtager et diplom efter endt forløb", None, None),  # a certificate, not a level
        ("Aarhus Universitet (AU)", None, None),
        ("Kritisk diskursanalyse og diskurser", None, None),
        ("Lederkurser for jobcentre", None, "kursus"),
        ("Erhvervsakademi Aarhus", None, None),
        ("Sygedagpengeloven i praksis", "https://udbyder.example/sygedagpenge", None),
        # The page's words outrank its URL folder; the folder is the fallback.
        ("Diplommodul i ledelse for teamledere", "https://udbyder.example/kurser/ledelse.html", "diplom"),
        ("Akademimodul i jura", "https://udbyder.example/diplomuddannelser/jura", "akademi"),
        ("Ledelse af jobcentrets faglighed", "https://udbyder.example/kurser/ledelse.html", "kursus"),
        ("Konference om beskæftigelse", "https://udbyder.example/kurser/konference", "other"),
        ("Kursus i vejledning", "https://udbyder.example/diplomuddannelser/vejledning", "diplom"),  # specific first
    ],
)
def test_parse_course_type(text: str, url: str | None, expected: str | None) -> None:
    assert parse_course_type(text, url) == expected


@pytest.mark.parametrize(
    ("course_type", "expected"),
    [("akademi", 5), ("diplom", 6), ("master", 7), ("amu", None), ("kursus", None),
     ("grunduddannelse", None), ("other", None), (None, None)],
)  # fmt: skip
def test_eqf_for_course_type(course_type: str | None, expected: int | None) -> None:
    assert eqf_for_course_type(course_type) == expected


# --- learning goals --------------------------------------------------------------------------

MODULE_PAGE = """Om modulet
Modulet handler om beskæftigelsesindsatsen.
Mål for læringsudbytte
Viden
- Den studerende har viden om beskæftigelsespolitik og lovgivning,
- har forståelse af arbejdsmarkedets funktion
Færdigheder
Den studerende kan anvende metoder til afklaring. Den studerende kan vurdere borgerens ressourcer, f.eks. i samtaler.
Kompetencer:
• kan håndtere komplekse sager
• kan indgå i tværfagligt samarbejde
Indhold
Lovgivning og praksis.
"""


def test_learning_goals_under_headings() -> None:
    assert parse_learning_goals(MODULE_PAGE) == [
        {"kind": "viden", "text": "Den studerende har viden om beskæftigelsespolitik og lovgivning"},
        {"kind": "viden", "text": "har forståelse af arbejdsmarkedets funktion"},
        {"kind": "faerdigheder", "text": "Den studerende kan anvende metoder til afklaring."},
        {"kind": "faerdigheder", "text": "Den studerende kan vurdere borgerens ressourcer, f.eks. i samtaler."},
        {"kind": "kompetencer", "text": "kan håndtere komplekse sager"},
        {"kind": "kompetencer", "text": "kan indgå i tværfagligt samarbejde"},
    ]


def test_learning_goals_from_html_blocks_in_english() -> None:
    blocks = ["Learning outcomes", "Knowledge", "understanding of labour-market theory", "Skills",
              "apply interview methods", "Competences", "take responsibility for own learning", "Exam",
              "Oral exam."]  # fmt: skip
    assert parse_learning_goals(blocks) == [
        {"kind": "viden", "text": "understanding of labour-market theory"},
        {"kind": "faerdigheder", "text": "apply interview methods"},
        {"kind": "kompetencer", "text": "take responsibility for own learning"},
    ]


def test_learning_goals_inline_headings() -> None:
    text = "Viden: Den studerende har viden om sygedagpengeloven\nFærdigheder: kan anvende reglerne"
    assert parse_learning_goals(text) == [
        {"kind": "viden", "text": "Den studerende har viden om sygedagpengeloven"},
        {"kind": "faerdigheder", "text": "kan anvende reglerne"},
    ]


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        ("Den studerende har viden om sygedagpengeloven.", "viden"),
        ("Deltageren har kendskab til reglerne om fleksjob.", "viden"),
        ("Den studerende kan anvende motiverende samtale.", "faerdigheder"),
        ("Deltageren kan vurdere borgerens arbejdsevne.", "faerdigheder"),
        ("Den studerende kan formidle faglige problemstillinger.", "faerdigheder"),
        ("Deltageren kan beherske it-systemet.", "faerdigheder"),
        ("Den studerende kan anvende viden om lovgivningen.", "faerdigheder"),  # the earliest cue
        ("Den studerende kan håndtere komplekse sager.", "kompetencer"),
        ("Deltageren kan selvstændigt tilrettelægge et forløb.", "kompetencer"),
        ("Den studerende kan indgå i tværprofessionelt samarbejde.", "kompetencer"),
        ("Modulet afsluttes med en mundtlig prøve.", "other"),
    ],
)
def test_learning_goal_kind_by_verbs(sentence: str, kind: str) -> None:
    assert parse_learning_goals(sentence) == [{"kind": kind, "text": sentence}]


def test_learning_goals_lead_in_gives_the_verb() -> None:
    text = "Læringsmål\nDen studerende kan:\n- redegøre for lovgivningen\n- selvstændigt planlægge forløb\n"
    assert parse_learning_goals(text) == [
        {"kind": "faerdigheder", "text": "redegøre for lovgivningen"},
        {"kind": "kompetencer", "text": "selvstændigt planlægge forløb"},
    ]


def test_amu_goal_lines() -> None:
    lines = ["Deltageren kan anvende reglerne i praksis.", "Deltageren kan selvstændigt håndtere opgaven."]
    assert [goal["kind"] for goal in parse_learning_goals(lines)] == ["faerdigheder", "kompetencer"]


def test_learning_goals_empty_and_duplicates() -> None:
    assert parse_learning_goals("") == []
    assert parse_learning_goals(["Viden", "- har viden om X", "- har viden om X"]) == [
        {"kind": "viden", "text": "har viden om X"}
    ]


# --- labels and labelled facts ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "key"),
    [
        ("Pris", "price"),
        ("Deltagerbetaling:", "price"),
        ("Pris pr. modul", "price"),
        ("pris pr modul", "price"),
        ("Pris (ekskl. moms)", "price"),
        ("Ansøgningsfrist", "deadline"),
        ("Tilmeldingsfrist:", "deadline"),
        ("Studiestart", "start"),
        ("Holdstart", "start"),
        ("Startdato", "start"),
        ("Start", "start"),
        ("Tid", "start"),
        ("ECTS", "ects"),
        ("ECTS-point", "ects"),
        ("ECTS point", "ects"),
        ("Varighed", "duration"),
        ("Omfang", "duration"),
        ("Sted", "location"),
        ("Undervisningssted", "location"),
        ("Undervisningsform", "form"),
        ("Form", "form"),
        ("Målgruppe", "target_group"),
        ("Adgangskrav", "admission"),
        ("Type", "course_type"),
        ("Niveau", "course_type"),
        ("Sprog", "language"),
        ("**Pris:**", "price"),
        ("Pris inkl. forplejning", "price"),  # what the price covers
        ("Pris for medlemmer", "price"),
        ("Tilmelding", "enrolment"),
        ("Optag:", "enrolment"),
        ("Prisgaranti", None),
        ("Dato for tilmelding", None),
        ("Beskrivelse", None),
        ("Kontaktperson", None),
        ("", None),
    ],
)
def test_normalise_label(label: str, key: str | None) -> None:
    assert normalise_label(label) == key


def test_parse_labelled_facts_formats() -> None:
    text = """Sygedagpengeloven i praksis
**Pris:** 12.500 kr.
Ansøgningsfrist – 1. maj 2027
Sted: Odense | Start: 3. februar 2027
Pris (ekskl. moms): 4.995 kr.
Varighed
2 dage
Type : Diplomuddannelse
**ECTS-point**: 10
Undervisningsform:
Online
Målgruppe: Medarbejdere i jobcentre
Kontaktperson: Hanne Hansen
"""
    assert parse_labelled_facts(text) == {
        "price": "12.500 kr.",  # the first price wins
        "deadline": "1. maj 2027",
        "location": "Odense",
        "start": "3. februar 2027",
        "duration": "2 dage",
        "course_type": "Diplomuddannelse",
        "ects": "10",
        "form": "Online",
        "target_group": "Medarbejdere i jobcentre",
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Pris (ekskl. moms): 4.995 kr.", {"price": "4.995 kr. (ekskl. moms)"}),
        ("Tilmeldingsfrist: 1/12-2026 Holdstart: uge 6, 2027",
         {"deadline": "1/12-2026", "start": "uge 6, 2027"}),
        ("- Sprog: Dansk", {"language": "Dansk"}),
        ("Adgangskrav: Mellemlang videregående uddannelse og 2 års erhvervserfaring",
         {"admission": "Mellemlang videregående uddannelse og 2 års erhvervserfaring"}),
        ("Undervisningssted:\u00a0Campus Aarhus", {"location": "Campus Aarhus"}),
        ("Kurset har fokus på praksis. Det er gratis.", {}),
        ("Kontaktperson: Hanne Hansen", {}),
        ("Pris inkl. forplejning: 2.500 kr.", {"price": "2.500 kr."}),
        ("**Pris for medlemmer:** 1.500 kr.", {"price": "1.500 kr."}),
        # not a start date; a deadline phrase (parse_deadline_phrase)
        ("Dato for tilmelding: 01.02.2027", {"enrolment": "01.02.2027"}),
        ("Tilmelding: løbende optag", {"enrolment": "løbende optag"}),
        ("Holdstart: \nTilmeldingsfrist: 1. maj 2027", {"deadline": "1. maj 2027"}),
        ("", {}),
    ],
)  # fmt: skip
def test_parse_labelled_facts(text: str, expected: dict[str, str]) -> None:
    assert parse_labelled_facts(text) == expected


@pytest.mark.parametrize("text, price", [
    ("Pris: 15 ECTS-point à 800 kr. = 12.000 kr.", 12000),
    ("3 dage à 1.500 kr.", None),
    ("Pris: 4.500 kr. pr. deltager", 4500),
])
def test_an_amount_a_unit_costs_is_no_course_price(text, price):
    assert parse_price(text) == price
