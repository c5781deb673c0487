"""The education plan: the guide's template filled from a recommendation, strict input checks,
CSV that survives csv.reader (and Excel), and Markdown that escapes what would break it."""

from __future__ import annotations

import copy
import datetime as dt
import csv
import io
import re
from typing import Any

import pytest

from matcher.course import Course
from matcher.plan import (
    COST_COLUMN, PLAN_COLUMNS, PlanInputError, PlanRow, build_plan, course_hours, learners_da, plan_constraints, plan_json, render_plan_csv, render_plan_markdown,
)
from matcher.taxonomy import load_taxonomy
from matcher.transfer import TransferContext, assess_transfer

TAXONOMY = load_taxonomy()

DIPLOMA = Course(
    id="nordhavn-dib-sygedagpenge-2027",
    url="https://nordhavn.example/videreuddannelser/sygedagpenge-fleksjob-foertidspension/",
    provider="Professionshøjskolen Nordhavn",
    title="Sygedagpenge, fleksjob og førtidspension – jura og praksis",
    description=(
        "Modulet giver dig indgående viden om sygedagpengeloven. Undervisningen veksler mellem oplæg og arbejde "
        "med anonymiserede sager fra din egen praksis. Modulet afsluttes med en skriftlig opgave."
    ),
    learning_goals=[{"kind": "viden", "text": "Den studerende har indgående viden om sygedagpengeloven."}],
    course_type="diplom",
    ects=10,
    price_dkk=13900,
    form="fysisk",
    location="København",
)
SHORT = Course(
    id="reform-temadag",
    url="https://kursus.example/temadag",
    provider="Kursusfirmaet ApS",
    title="Temadag | Den nye beskæftigelseslov *kort* fortalt",
    description="Oplæg om de vigtigste ændringer i den nye lov.",
    course_type="kursus",
    price_dkk=2995.5,
    form="fysisk",
    location="Odense",
)
TEAM = Course(
    id="konflikt-team",
    url="https://konflikt.example/team",
    provider='Center for "Konflikt; Dialog"',
    title="=Konfliktnedtrapning i borgermødet – teamforløb",
    description="Rekvirér kurset til hele teamet. Opfølgning efter 6 uger med egne episoder.",
    course_type="kursus",
    form="rekvirerbar",
)


def result(gap_id: str, course: Course, context: TransferContext, **extra: Any) -> dict[str, Any]:
    """A result as `fagmatch recommend --json` gives it, with a real transfer note."""
    transfer = assess_transfer(course, context, TAXONOMY)
    record = {
        "gap_id": gap_id, "course_id": course.course_id, "url": course.url, "title": course.title,
        "provider": course.provider, "course_type": course.course_type, "score": 0.71, "fields": [context.field],
        "level": context.level,
        "why": [
            {"kind": "competence", "field": "lov_myndighed", "competence_id": "lov_myndighed.s1",
             "competence": "Har indgående viden om sygedagpengeloven og kan rådgive kolleger i komplekse sager",
             "level": "specialiseret", "passage": "Modulet giver dig indgående viden om sygedagpengeloven."},
            {"kind": "keywords", "terms": ["sygedagpengeloven"], "passage": None},
            {"kind": "level", "fits": True, "text": "kursets niveau er specialiseret; gabet er på specialiseret niveau"},
        ],
        "transfer": transfer.model_dump(mode="json"),
        "next_start": None, "price_dkk": course.price_dkk, "ects": course.ects, "form": course.form,
        "location": course.location,
    }
    record.update(extra)
    return record


def recommendation() -> dict[str, Any]:
    team_context = TransferContext("lov_myndighed", "specialiseret", "refleksiv", 2)
    return {
        "query": None,
        "today": "2026-11-22",
        "gaps": [
            {"id": "g2", "field": "borgernaere_metoder", "field_name": "Borgernære Metoder & Virkning", "level": "grundlaeggende",
             "text": "Konflikthåndtering i mødet med vrede borgere", "employees": [], "learners": 6,
             "dimension": "relationel", "priority_rank": 2},
            {"id": "g1", "field": "lov_myndighed", "field_name": "Lov & Myndighed", "level": "specialiseret",
             "text": "Vi mangler specialiseret viden om sygedagpengeloven", "employees": ["Anna", "Bo"], "learners": 2,
             "proficiency": 2.5, "dimension": "refleksiv", "priority_rank": 1},
        ],
        "constraints": {"region": "hovedstaden"},
        "results": [
            # Out of rank order on purpose: the plan follows `rank`.
            result("g1", SHORT, team_context, rank=2, next_start="2027-03-15"),
            result("g1", DIPLOMA, team_context, rank=1, next_start="2027-02-01"),
            result("g2", TEAM, TransferContext("borgernaere_metoder", "grundlaeggende", "relationel", 6), rank=1, price_dkk=28000.0),
        ],
    }


def free_text_recommendation() -> dict[str, Any]:
    return {
        "query": "vi mangler viden om den nye beskæftigelseslov",
        "gaps": [{"id": "q1", "field": "lov_myndighed", "field_name": "Lov & Myndighed", "level": "grundlaeggende",
                  "text": "vi mangler viden om den nye beskæftigelseslov", "employees": []}],
        "results": [result("q1", SHORT, TransferContext("lov_myndighed", "grundlaeggende"))],
    }


# --- building ------------------------------------------------------------------------------------


def test_rows_follow_priority_and_fill_the_template() -> None:
    rows = build_plan(recommendation())
    assert [(r.gap_id, r.course_id) for r in rows] == [("g1", DIPLOMA.course_id), ("g2", TEAM.course_id)]
    row = rows[0]
    assert row.employees == "Anna, Bo"
    assert row.purpose == "Styrke kompetencerne i Lov & Myndighed på specialiseret niveau (prioritet 1): Vi mangler specialiseret viden om sygedagpengeloven"
    assert row.activity == (
        "Sygedagpenge, fleksjob og førtidspension – jura og praksis – Professionshøjskolen Nordhavn "
        "(diplommodul, 10 ECTS, fremmøde, København). https://nordhavn.example/videreuddannelser/sygedagpenge-fleksjob-foertidspension/"
    )
    # a 10-ECTS module runs 20 weeks; follow-up about five weeks after
    assert row.timeline == ("Læringssamtale senest 4. januar 2027; kursusstart 1. februar 2027; forløbet slutter ca. "
                            "20. juni 2027; opfølgning ca. 25. juli 2027.")
    assert (row.start, row.end, row.learners, row.hours_each) == (dt.date(2027, 2, 1), dt.date(2027, 6, 20), ["Anna", "Bo"], 275.0)
    assert row.responsible == "Leder og medarbejdere"
    assert row.resources == "13.900 kr. pr. deltager, i alt 27.800 kr. for 2 deltagere; 10 ECTS ≈ 275 timers arbejde pr. deltager; tid til før- og efterarbejde."
    assert row.status == "Planlagt"


def test_support_activities_are_the_transfer_steps_30_30_40() -> None:
    document = recommendation()
    steps = document["results"][1]["transfer"]["steps"]
    row = build_plan(document)[0]
    expected = [f"{steps[p]['label']} ({steps[p]['weight']} %): {a}" for p in ("before", "during", "after") for a in steps[p]["actions"]]
    assert row.support_activities[:-1] == expected
    assert row.support_activities[0].startswith("Før (30 %): Hold en læringssamtale med de to medarbejdere")
    assert row.support_activities[-2].startswith("Efter (40 %): ")
    assert row.support_activities[-1] == "Læringsformer: reflekterende teams, case-analyse og undringslaboratorier."


def test_learning_goals_come_from_gap_and_course() -> None:
    goals = build_plan(recommendation())[0].learning_goals
    assert goals[0] == "Kompetence: Har indgående viden om sygedagpengeloven og kan rådgive kolleger i komplekse sager"
    assert goals[1].startswith("Succeskriterium: medarbejderne har rollen som ressourceperson i Lov & Myndighed")
    assert goals[2] == "Udgangspunkt: trin 2,5 af 5 på kompetenceskalaen; mål: mindst trin 3 ved opfølgningen."
    basic = build_plan(free_text_recommendation())[0].learning_goals
    assert basic[1] == "Succeskriterium: medarbejderen bruger det lærte selvstændigt i egne sager inden for Lov & Myndighed senest 3 måneder efter kurset."


def test_rekvirerbar_team_row() -> None:
    row = build_plan(recommendation())[1]
    assert row.employees == "6 medarbejdere"
    assert row.resources.startswith("28.000 kr. for forløbet hos jer")
    assert "kan være med" not in row.resources  # six take it: the class is the team
    document = recommendation()
    document["gaps"][0]["learners"] = 2
    few = build_plan(document)[1]
    assert "prisen gælder holdet, så flere end de 2 fra teamet kan være med" in few.resources
    # no dates: the first Monday after the learning conversation's four weeks, as a proposal
    assert row.timeline.startswith("Læringssamtale senest 23. november 2026; forslag til start 21. december 2026 (aftal datoen med udbyderen)")
    assert row.date_proposed
    assert "rekvirerbart forløb" in row.activity


def test_per_gap_takes_the_top_results_by_rank() -> None:
    rows = build_plan(recommendation(), per_gap=2)
    assert [(r.gap_id, r.course_title) for r in rows] == [("g1", DIPLOMA.title), ("g1", SHORT.title), ("g2", TEAM.title)]
    assert rows[1].resources.startswith("2.995,50 kr. pr. deltager, i alt 5.991 kr. for 2 deltagere")
    # the day course starts while Anna and Bo take the module, and has no later class: it waits
    assert rows[1].status == "Afventer hold" and rows[1].start is None and "Vælg et senere hold" in rows[1].timeline
    with pytest.raises(PlanInputError, match="per_gap must be at least 1"):
        build_plan(recommendation(), per_gap=0)


def test_a_course_type_the_page_did_not_state_is_marked_as_read_from_its_text() -> None:
    stated = build_plan(free_text_recommendation())[0].activity
    document = free_text_recommendation()
    document["results"][0]["course_type_inferred"] = True
    inferred = build_plan(document)[0].activity
    assert "kursus" in stated and "udledt" not in stated
    assert "kursus (udledt af teksten)" in inferred


def test_free_text_query_without_employees() -> None:
    row = build_plan(free_text_recommendation())[0]
    assert row.employees == "Ikke angivet"
    assert row.responsible == "Leder og medarbejder"
    assert row.resources.startswith("2.995,50 kr. pr. deltager;")
    assert row.support_activities[0].startswith("Før (30 %): Hold en læringssamtale med medarbejderen")


def test_gap_without_course_stays_in_the_plan() -> None:
    document = recommendation()
    document["results"] = [r for r in document["results"] if r["gap_id"] != "g2"]
    rows = build_plan(document)
    assert [r.gap_id for r in rows] == ["g1", "g2"]
    assert rows[1].status == "Mangler aktivitet" and rows[1].course_id is None
    assert rows[1].activity.startswith("Intet kursus fundet")


def test_result_without_transfer_note_still_gets_support_activities() -> None:
    document = free_text_recommendation()
    del document["results"][0]["transfer"]
    row = build_plan(document)[0]
    assert row.support_activities == ["Aftal læringsunderstøttende aktiviteter før (30 %), under (30 %) og efter (40 %) kurset."]


# --- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d.pop("gaps"), "the recommendation has no 'gaps'"),
        (lambda d: d.pop("results"), "the recommendation has no 'results'"),
        (lambda d: d["results"][2].update(gap_id="g9"), r"results\[2\]\.gap_id: 'g9' is not one of the gaps \(g2, g1\)"),
        (lambda d: d["results"][0].update(next_start="snart"), r"results\[0\]\.next_start"),
        (lambda d: d["results"][0].pop("title"), r"results\[0\]\.title: required key is missing"),
        (lambda d: d["results"][0].update(price_dkk=-5), r"results\[0\]\.price_dkk"),
        (lambda d: d["gaps"][0].update(level="expert"), r"gaps\[0\]\.level: .*'grundlaeggende' or 'specialiseret'"),
        (lambda d: d["gaps"][1].update(id="g2"), r"gaps\[1\]\.id: gap id 'g2' appears twice: give each gap its own id"),
        (lambda d: d["gaps"][0].update(learners=0), r"gaps\[0\]\.learners"),
        (lambda d: d.update(gaps="g1"), r"gaps: "),
        (lambda d: d["results"][0].update(url="javascript:alert(document.domain)"), r"results\[0\]\.url"),
        # numbers and dates the client sends back are bounded as a course's are: 100 000 ECTS ran for minutes
        (lambda d: d["results"][0].update(ects=100_000), r"results\[0\]\.ects: .*less than or equal to 360"),
        (lambda d: d["results"][0].update(duration_days=10_000), r"results\[0\]\.duration_days"),
        (lambda d: d["results"][0].update(price_dkk=1e12), r"results\[0\]\.price_dkk"),
        (lambda d: d["results"][0].update(next_start="9999-12-01"), r"results\[0\]\.next_start: .*2100-12-31"),
        (lambda d: d["results"][0].update(start_dates=["2027-01-04", "9999-12-01"]), r"results\[0\]\.start_dates\[1\]"),
        (lambda d: d.update(today="0001-01-01"), r"today: .*2000-01-01"),
        (lambda d: d.update(constraints={"start_before": "9999-01-01"}), r"constraints\.start_before"),
        # the names are not echoed back: "at most 500 items", not the 501 names (an error body ends up in logs)
        (lambda d: d["gaps"][1].update(employees=[f"person {i}" for i in range(501)]),
         r"gaps\[1\]\.employees: List should have at most 500 items after validation, not 501$"),
        (lambda d: d["gaps"][0].update(employees=["x" * 5000]), r"gaps\[0\]\.employees\[0\]: .*at most 200 characters"),
        (lambda d: d["results"][0].update(next_start="x" * 500), r"results\[0\]\.next_start: .*\(got 'x{60}…'\)$"),
        (lambda d: d.update(gaps=d["gaps"] * 11), r"gaps: .*at most 20"),
        (lambda d: d.update(results=d["results"] * 200), r"results: .*at most 500"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(change: Any, expected: str) -> None:
    document = recommendation()
    change(document)
    with pytest.raises(PlanInputError, match=expected):
        build_plan(document)


def test_input_must_be_an_object_and_is_not_changed() -> None:
    with pytest.raises(PlanInputError, match="must be a JSON object"):
        build_plan([recommendation()])  # type: ignore[arg-type]
    assert issubclass(PlanInputError, ValueError)
    document = recommendation()
    before = copy.deepcopy(document)
    build_plan(document, per_gap=3)
    assert document == before


def test_the_largest_plan_a_client_may_ask_for_is_made_in_seconds() -> None:
    # 20 gaps of the same 500 people, each with 25 results of 360 ECTS and no dates, ten per gap kept:
    # the plan books 200 courses of 14 years each, one after the other, for everyone
    import time

    course = DIPLOMA.model_copy(update={"ects": 360})
    people = [f"medarbejder {i}" for i in range(500)]
    context = TransferContext("lov_myndighed", "specialiseret")
    document = {
        "today": "2026-11-22",
        "gaps": [{"id": f"g{i}", "field": "lov_myndighed", "level": "specialiseret", "employees": people, "priority_rank": i + 1}
                 for i in range(20)],
        "results": [result(f"g{i}", course, context, rank=r + 1, course_id=f"c{i}-{r}") for i in range(20) for r in range(25)],
    }
    started = time.perf_counter()
    rows = build_plan(document, per_gap=10)
    assert time.perf_counter() - started < 20
    assert len(rows) == 200 and rows[-1].start is not None and rows[-1].start.year > 4000  # one after the other
    assert all(row.warnings for row in rows)  # 27.5 hours a week each


# --- CSV -----------------------------------------------------------------------------------------


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), delimiter=";"))


def test_csv_round_trips_through_csv_reader() -> None:
    rows = build_plan(recommendation(), per_gap=2)
    text = render_plan_csv(rows)
    assert text.startswith("\ufeffMedarbejdere;Formål;Uddannelsesaktivitet;")
    parsed = read_csv(text)
    assert parsed[0] == [*PLAN_COLUMNS.values(), COST_COLUMN]
    assert len(parsed) == 1 + len(rows)
    for row, cells in zip(rows[:2], parsed[1:3]):
        assert cells[:-1] == row.cells()
    assert parsed[1][3].split("\n") == rows[0].support_activities  # multi-line cell kept whole
    assert "\r\n" in text and text.count("\r\n") == len(parsed)  # one CRLF per record, none inside cells


def test_the_plans_price_is_summed_and_says_what_it_leaves_out() -> None:
    rows = build_plan(recommendation(), per_gap=2)
    # the module for Anna and Bo, the day course for both, the class booked for the team at its own price
    assert [row.cost_dkk for row in rows] == [27800.0, 5991.0, 28000.0]
    assert [line[-1] for line in read_csv(render_plan_csv(rows))[1:]] == ["27800", "5991", "28000"]
    assert "Planens kurser koster i alt 61.791 kr." in render_plan_markdown(rows)
    assert plan_json(rows)["cost_dkk"] == 61791.0
    document = recommendation()
    document["results"][2]["price_dkk"] = None
    unpriced = build_plan(document, per_gap=2)
    assert ("Planens kurser koster i alt 33.791 kr. (1 kursus uden oplyst pris er ikke regnet med)."
            in render_plan_markdown(unpriced))
    assert read_csv(render_plan_csv(unpriced))[3][-1] == ""


def test_the_plan_names_the_constraints_its_courses_were_chosen_under() -> None:
    document = recommendation()
    document["constraints"] = {"region": "Syddanmark", "max_price": 5000.0, "forms": ["fysisk", "online"],
                               "level": "grundlaeggende", "start_before": "2027-07-01", "include_undated": False}
    said = plan_constraints(document)
    assert said == ("niveau grundlæggende, fremmøde eller online, region Syddanmark, højst 5.000 kr., "
                    "start før 1. juli 2027, kun kurser med kendte datoer")
    text = render_plan_markdown(build_plan(document), constraints=said)
    assert f"Kurserne er valgt med begrænsningerne: {said}." in text
    assert plan_constraints(free_text_recommendation()) is None
    document["constraints"] = {"max_price": 5000.0}  # "kr." ends the sentence: one period
    assert "Kurserne er valgt med begrænsningerne: højst 5.000 kr.\n" in render_plan_markdown(
        build_plan(document), constraints=plan_constraints(document))
    assert "begrænsningerne" not in render_plan_markdown(build_plan(free_text_recommendation()))


def test_csv_quotes_separators_and_quotes_in_cells() -> None:
    row = build_plan(recommendation())[1]
    cells = read_csv(render_plan_csv([row]))[1]
    assert 'Center for "Konflikt; Dialog"' in cells[2]
    expected = row.cells()
    assert cells[:2] + cells[3:-1] == expected[:2] + expected[3:]  # the activity cell is disarmed, see below


def test_csv_disarms_formulas_from_course_titles() -> None:
    row = build_plan(recommendation())[1]
    assert row.activity.startswith("=Konfliktnedtrapning")
    cell = read_csv(render_plan_csv([row]))[1][2]
    assert cell == "'" + row.activity


def test_control_characters_and_direction_overrides_do_not_reach_the_plan() -> None:
    """A NUL or a U+202E (which shows a title backwards) in the document went into the CSV and Markdown."""
    document = recommendation()
    document["results"][1]["title"] = "Konflikt\u0000nedtrapning \u202eesruk"
    rows = build_plan(document)
    for text in (render_plan_csv(rows), render_plan_markdown(rows)):
        assert "\u0000" not in text and "\u202e" not in text and "Konfliktnedtrapning esruk" in text


def test_csv_bytes_open_as_utf8_with_bom_or_without() -> None:
    rows = build_plan(recommendation())
    data = render_plan_csv(rows).encode("utf-8")
    assert data.startswith(b"\xef\xbb\xbf")
    assert read_csv(data.decode("utf-8-sig"))[0][4] == "Læringsmål og succeskriterier"
    plain = render_plan_csv(rows, bom=False)
    assert not plain.startswith("\ufeff") and read_csv(plain) == read_csv(data.decode("utf-8-sig"))


def test_empty_plan_renders_headers_only() -> None:
    assert read_csv(render_plan_csv([])) == [[*PLAN_COLUMNS.values(), COST_COLUMN]]
    assert "Planen har ingen rækker." in render_plan_markdown([])


# --- Markdown ------------------------------------------------------------------------------------


def test_markdown_has_danish_headings_and_every_column() -> None:
    rows = build_plan(recommendation(), per_gap=2)
    text = render_plan_markdown(rows, title="Uddannelsesplan for Team Syd")
    assert text.startswith("# Uddannelsesplan for Team Syd\n")
    assert "| # | Medarbejdere | Uddannelsesaktivitet | Periode | Status |" in text
    assert "## 1. Sygedagpenge, fleksjob og førtidspension – jura og praksis" in text
    for header in PLAN_COLUMNS.values():
        assert text.count(f"**{header}:**") == len(rows)
    assert "- Før (30 %): Hold en læringssamtale med de to medarbejdere" in text
    assert "[kursusside](<https://nordhavn.example/videreuddannelser/sygedagpenge-fleksjob-foertidspension/>)" in text
    assert "| 1 | Anna, Bo | Sygedagpenge, fleksjob og førtidspension – jura og praksis | 1. februar 2027 – 20. juni 2027 | Planlagt |" in text
    assert "\n\n\n" not in text


def test_markdown_escapes_pipes_and_formatting() -> None:
    rows = build_plan(recommendation(), per_gap=2)
    text = render_plan_markdown(rows, title="Plan | 2027")
    assert text.startswith("# Plan \\| 2027\n")
    table = [line for line in text.splitlines() if line.startswith("| 2 |")]
    assert table == ["| 2 | Anna, Bo | Temadag \\| Den nye beskæftigelseslov \\*kort\\* fortalt | – | Afventer hold |"]
    # Every row of the table has exactly its six cell borders once escaped pipes are set aside.
    for line in text.splitlines():
        if line.startswith("| ") and not line.startswith("|---"):
            assert len(re.findall(r"(?<!\\)\|", line)) == 6, line
    assert "*kort*" not in text.replace("\\*kort\\*", "")


def test_markdown_keeps_each_value_on_its_line() -> None:
    row = build_plan(free_text_recommendation())[0]
    broken = row.model_copy(update={"purpose": "Første linje\nanden linje | med pipe", "support_activities": ["a\nb"]})
    text = render_plan_markdown([broken])
    assert "**Formål:** Første linje anden linje \\| med pipe" in text
    assert "- a b" in text


def test_plan_row_cells_follow_the_template_order() -> None:
    row = build_plan(recommendation())[0]
    assert isinstance(row, PlanRow)
    cells = row.cells()
    assert len(cells) == len(PLAN_COLUMNS) == 9
    assert cells[0] == "Anna, Bo" and cells[-1] == "Planlagt"
    assert cells[4] == "\n".join(row.learning_goals)


# --- time: no overlaps, workload, goals at the target's step ----------------------------------------


def team_plan_document() -> dict[str, Any]:
    """Two parts of a field for a team (as `recommend` gives them for an assessment): the basic part for
    Anna (step 1) and Bo (step 2), the resource part for Cy (step 3); and a second field for Anna."""
    context = TransferContext("lov_myndighed", "grundlaeggende", "refleksiv", 2)
    module = dict(result("g1", DIPLOMA, context, rank=1, next_start="2027-02-01"), start_dates=["2027-02-01", "2027-09-06"])
    day = dict(result("g3", SHORT, context, rank=1, next_start="2027-03-15"), start_dates=["2027-03-15", "2027-10-04"],
               duration_days=1)
    second_module = dict(result("g3", DIPLOMA, context, rank=2, next_start="2027-02-01"), start_dates=["2027-02-01"])
    return {
        "today": "2026-11-22",
        "gaps": [
            {"id": "g1", "field": "lov_myndighed", "field_name": "Lov & Myndighed", "level": "grundlaeggende", "part": "basic",
             "employees": ["Anna", "Bo"], "levels": {"Anna": 1, "Bo": 2}, "target_level": 3, "priority_rank": 1},
            {"id": "g2", "field": "lov_myndighed", "field_name": "Lov & Myndighed", "level": "specialiseret", "part": "resource",
             "employees": ["Cy"], "levels": {"Cy": 3}, "target_level": 4, "priority_rank": 1,
             "why_no_courses": "kataloget har intet aktuelt kursus i Lov & Myndighed på specialiseret niveau"},
            {"id": "g3", "field": "it_digital", "field_name": "IT & Digital", "level": "grundlaeggende", "part": "basic",
             "employees": ["Anna"], "levels": {"Anna": 2}, "target_level": 3, "priority_rank": 2},
        ],
        "results": [module, second_module, day],
    }


def test_no_learner_has_two_courses_at_once() -> None:
    rows = build_plan(team_plan_document(), per_gap=2)
    booked: dict[str, list[tuple[dt.date, dt.date]]] = {}
    for row in rows:
        if row.start and row.end:
            for person in row.learners:
                booked.setdefault(person, []).append((row.start, row.end))
    for person, periods in booked.items():
        periods.sort()
        assert all(a_end < b_start for (_, a_end), (b_start, _) in zip(periods, periods[1:])), (person, periods)
    by_title = {(r.gap_id, r.course_title): r for r in rows}
    # Anna is on the module from February to June: the day course takes its October class, the
    # second module (February only) waits
    assert by_title[("g3", SHORT.title)].start == dt.date(2027, 10, 4)
    assert by_title[("g3", DIPLOMA.title)].status == "Afventer hold"


def test_how_many_take_part_is_said_with_the_leaders_among_them() -> None:
    assert [learners_da(*n) for n in [(1, 0), (9, 0), (9, 1), (3, 2), (1, 1)]] == [
        "1 medarbejder", "9 medarbejdere", "8 medarbejdere og 1 leder", "1 medarbejder og 2 ledere", "1 leder"]


def test_unnamed_learners_of_a_gap_in_words_get_its_courses_one_after_the_other() -> None:
    document = free_text_recommendation()
    document["gaps"][0]["learners"] = 2
    context = TransferContext("lov_myndighed", "grundlaeggende")
    document["results"] = [result("q1", DIPLOMA, context, rank=1, next_start="2027-02-01"),
                           result("q1", SHORT, context, rank=2, start_dates=["2027-03-15", "2027-09-06"])]
    module, day = build_plan(document, per_gap=2)
    assert module.start == dt.date(2027, 2, 1) and module.end is not None
    # the two are the same people: the day course takes the class after the module ends
    assert day.start == dt.date(2027, 9, 6) > module.end


def test_a_course_at_the_gaps_level_is_planned_before_one_ranked_above_it_at_another() -> None:
    document = free_text_recommendation()
    context = TransferContext("lov_myndighed", "grundlaeggende")
    beginners = result("q1", SHORT, context, rank=1)
    beginners["why"][-1] = {"kind": "level", "fits": False,
                            "text": "kursets niveau er specialiseret; gabet er på grundlæggende niveau"}
    document["results"] = [beginners, result("q1", DIPLOMA, context, rank=2)]
    assert build_plan(document)[0].course_title == DIPLOMA.title
    # where the list has nothing at the gap's level, the row says what does not fit
    document["results"] = [beginners]
    row = build_plan(document)[0]
    assert row.course_title == SHORT.title
    assert "Bemærk: kursets niveau er specialiseret; gabet er på grundlæggende niveau." in row.activity
    assert row.activity.endswith(SHORT.url)


def test_a_reason_from_an_english_recommendation_is_said_in_danish_in_the_plan() -> None:
    # the API and the command line recommend in English; the plan is the guide's Danish template
    document = team_plan_document()
    document["gaps"][1]["why_no_courses"] = ("the constraints removed the 2 course(s) in Lov & Myndighed at this level; "
                                             "loosen them to see those")
    row = build_plan(document)[1]
    assert row.activity == ("Intet kursus: begrænsningerne fjernede alle kurser i Lov & Myndighed på dette niveau (2 i alt); "
                            "løsn dem for at se dem.")


def test_a_heavy_course_for_learners_not_named_is_warned_about_too() -> None:
    # a gap in words names no one: the 10-ECTS module alone is 275 hours over 20 weeks from February
    document = free_text_recommendation()
    document["today"] = "2026-11-22"
    document["results"] = [result("q1", DIPLOMA, TransferContext("lov_myndighed", "grundlaeggende"), next_start="2027-02-01")]
    row = build_plan(document)[0]
    assert row.warnings == ["hver deltager har ca. 11,6 timer om ugen til kurset i 2. kvartal 2027 "
                            "(31 % af arbejdstiden, over én arbejdsdag om ugen) – aftal aflastning"]
    # a day course is no burden
    assert build_plan(free_text_recommendation())[0].warnings == []


def test_the_plan_dates_courses_only_within_the_start_window_asked_for() -> None:
    document = team_plan_document()
    document["constraints"] = {"start_before": "2027-04-01"}
    rows = {(r.gap_id, r.course_title): r for r in build_plan(document, per_gap=2)}
    assert rows[("g1", DIPLOMA.title)].start == dt.date(2027, 2, 1)
    # Anna is on the module until June, and the day course's October class starts after the window: it waits
    day = rows[("g3", SHORT.title)]
    assert day.start is None and day.status == "Afventer hold"
    # where no class at all starts in the window, the timeline says so
    document["constraints"] = {"start_from": "2027-03-01", "start_before": "2027-04-01"}
    module = build_plan(document)[0]
    assert module.start is None
    assert module.timeline.startswith("Intet hold med start mellem 1. marts 2027 og 1. april 2027: holdene starter 1. februar 2027 og 6. september 2027.")
    # a course without dates is proposed only inside the window too
    document = recommendation()
    document["constraints"] = {"start_before": "2026-12-01"}
    team_row = build_plan(document)[1]
    assert team_row.start is None and "ingen ledig uge med start før 1. december 2026" in team_row.timeline


def test_a_heavy_quarter_is_warned_about_and_goals_are_the_targets_step() -> None:
    rows = build_plan(team_plan_document())
    module = rows[0]
    # 275 hours over 20 weeks from 1 February: 11 weeks, 151 hours of 481 in the 2nd quarter, 31 % — above one day a week
    assert any(w.startswith("Anna har ca. 11,6 timer om ugen til kurser i 2. kvartal 2027 (31 % af arbejdstiden") for w in module.warnings)
    assert "Advarsel: Anna har" in module.cells()[7]
    assert not rows[2].warnings  # a single course day is no burden
    assert "Udgangspunkt: Anna trin 1, Bo trin 2 af 5 på kompetenceskalaen; mål: trin 3 ved opfølgningen" in "\n".join(module.learning_goals)
    assert "mindst trin 2" not in " ".join(module.learning_goals)
    resource = rows[1]
    assert resource.employees == "Cy (ressourceperson)" and resource.status == "Mangler aktivitet"
    assert resource.activity == "Intet kursus: kataloget har intet aktuelt kursus i Lov & Myndighed på specialiseret niveau."
    assert any("mål: trin 4" in goal for goal in resource.learning_goals)
    assert any(goal.startswith("Succeskriterium: medarbejderen har rollen som ressourceperson") for goal in resource.learning_goals)
    text = render_plan_markdown(rows)
    assert "## Tidsplan pr. medarbejder" in text and "| Anna | 2. kvartal 2027 | 151 | 31 % | for meget |" in text
    assert "1 ECTS = 27,5 timer" in text


def test_the_workload_warning_starts_above_one_working_day_a_week() -> None:
    assert course_hours(5, 2) == 137.5  # ECTS say the workload; the course days are only the teaching
    assert course_hours(None, 1.5) == 11.1  # not 11.100000000000001 in the JSON plan

    def warned(ects: float) -> bool:
        context = TransferContext("lov_myndighed", "grundlaeggende")
        module = dict(result("g1", DIPLOMA, context, rank=1, next_start="2027-01-04"), start_dates=["2027-01-04"], ects=ects)
        gap = {"id": "g1", "field": "lov_myndighed", "level": "grundlaeggende", "employees": ["Anna"], "priority_rank": 1}
        return bool(build_plan({"today": "2026-11-22", "gaps": [gap], "results": [module]})[0].warnings)

    # all in the 1st quarter of 2027 (481 working hours): 4 ECTS are 110 hours (23 %), 3 ECTS 82.5 (17 %)
    assert warned(4) and not warned(3)


def test_a_course_that_ends_in_a_heavy_quarter_is_warned_about_it() -> None:
    context = TransferContext("lov_myndighed", "grundlaeggende")
    short = dict(result("g1", DIPLOMA, context, rank=1, next_start="2027-03-22"), start_dates=["2027-03-22"], ects=1)
    heavy = dict(result("g2", DIPLOMA, context, rank=1, next_start="2027-04-05"), start_dates=["2027-04-05"], ects=5)
    gaps = [{"id": g, "field": "lov_myndighed", "level": "grundlaeggende", "employees": ["Anna"], "priority_rank": n}
            for n, g in enumerate(("g1", "g2"), start=1)]
    first, second = build_plan({"today": "2026-11-22", "gaps": gaps, "results": [short, heavy]})
    # the one-point module's hours fall in March, but it ends on 4 April, in the quarter the five points fill
    assert first.end == dt.date(2027, 4, 4) and second.start == dt.date(2027, 4, 5)
    assert any("2. kvartal 2027" in w for w in first.warnings) and any("2. kvartal 2027" in w for w in second.warnings)


def test_the_plan_names_the_application_deadline_and_sets_the_conversation_before_it() -> None:
    context = TransferContext("lov_myndighed", "grundlaeggende", "refleksiv", 2)

    def plan_for(starts: list[str], deadline: str | None, busy_until: str | None = None) -> str:
        gaps = [{"id": "g1", "field": "lov_myndighed", "field_name": "Lov & Myndighed", "level": "grundlaeggende",
                 "employees": ["Anna"], "learners": 1, "priority_rank": 2}]
        results = [dict(result("g1", DIPLOMA, context, rank=1, next_start=starts[0]), start_dates=starts,
                        application_deadline=deadline)]
        if busy_until:  # Anna is on another course first, so the plan takes a later start
            gaps.insert(0, {"id": "g0", "field": "it_digital", "field_name": "IT & Digital", "level": "grundlaeggende",
                            "employees": ["Anna"], "learners": 1, "priority_rank": 1})
            results.insert(0, dict(result("g0", DIPLOMA, context, rank=1, next_start="2027-01-18"), start_dates=["2027-01-18"]))
        rows = build_plan({"today": "2026-11-22", "gaps": gaps, "results": results})
        return next(r.timeline for r in rows if r.gap_id == "g1")

    assert plan_for(["2027-02-08", "2027-09-06"], "2027-01-04").startswith(
        "Læringssamtale senest 4. januar 2027; ansøgningsfrist 4. januar 2027; kursusstart 8. februar 2027;")
    # a deadline far enough ahead leaves the conversation four weeks before the start
    assert plan_for(["2027-02-08"], "2027-01-25").startswith(
        "Læringssamtale senest 11. januar 2027; ansøgningsfrist 25. januar 2027; kursusstart 8. februar 2027;")
    # the February start's deadline is not the September start's
    later = plan_for(["2027-02-08", "2027-09-06"], "2027-01-04", busy_until="2027-06-01")
    assert "kursusstart 6. september 2027" in later and "ansøgningsfrist" not in later
    assert "ansøgningsfrist" not in plan_for(["2027-02-08"], None)
    assert "ansøgningsfrist" not in plan_for(["2027-02-08"], "2026-11-01")  # passed already when it was recommended


def _one_course_plan(starts: list[str], deadline: str | None, made_on: str) -> PlanRow:
    context = TransferContext("lov_myndighed", "grundlaeggende", "refleksiv", 2)
    gaps = [{"id": "g1", "field": "lov_myndighed", "field_name": "Lov & Myndighed", "level": "grundlaeggende",
             "employees": ["Anna"], "learners": 1, "priority_rank": 1}]
    results = [dict(result("g1", DIPLOMA, context, rank=1, next_start=starts[0]), start_dates=starts,
                    application_deadline=deadline)]
    return build_plan({"today": made_on, "gaps": gaps, "results": results})[0]


def test_a_recommendation_made_days_ago_is_planned_from_today() -> None:
    """A result page left open (or an answer sent to /api/plan later) was planned as on the day it was
    made: a start whose deadline had passed since, with a learning conversation in the past. The suite's
    today is 22 November 2026; the January start's deadline passed on the 20th."""
    row = _one_course_plan(["2027-01-10", "2027-03-01"], "2026-11-20", made_on="2026-11-01")
    assert row.start == dt.date(2027, 3, 1) and "kursusstart 1. marts 2027" in row.timeline
    made_today = _one_course_plan(["2027-01-10", "2027-03-01"], "2026-11-25", made_on="2026-11-22")
    assert made_today.start == dt.date(2027, 1, 10)  # open today, and four weeks off: planned as before
    ahead = _one_course_plan(["2027-01-10", "2027-03-01"], None, made_on="2027-01-01")  # made for a later day
    assert ahead.start == dt.date(2027, 3, 1)


def test_a_start_too_close_for_the_learning_conversation_is_said_so() -> None:
    """The plan said the start came "before the employee is done with their other courses", of a plan with
    no other course: the start was under four weeks off, too close for the learning conversation."""
    row = _one_course_plan(["2026-12-01"], None, made_on="2026-11-22")
    assert row.start is None and row.status == "Afventer hold"
    assert row.timeline.startswith("Intet hold i tide: holdene starter 1. december 2026; det er mindre end 4 uger")
    assert "andre kurser" not in row.timeline


def test_a_course_whose_only_start_is_too_close_gets_no_date_of_the_plans_own() -> None:
    """A diploma module starting in 17 days, its deadline long passed (before the recommendation was
    made, which lists only open starts): the plan booked it on a Monday the provider does not offer."""
    row = _one_course_plan(["2026-12-09"], "2026-06-01", made_on="2026-11-22")
    assert row.start is None and not row.date_proposed and row.timeline.startswith("Intet hold i tide")


def test_a_course_passed_over_for_a_start_too_close_is_said_so() -> None:
    """The row of the course planned instead said the better one "overlaps with the employee's other
    courses or has no class in time", in a plan with no other course."""
    context = TransferContext("lov_myndighed", "grundlaeggende", "refleksiv", 2)
    gaps = [{"id": "g1", "field": "lov_myndighed", "field_name": "Lov & Myndighed", "level": "grundlaeggende",
             "employees": ["Anna"], "learners": 1, "priority_rank": 1}]
    results = [dict(result("g1", DIPLOMA, context, rank=1, next_start="2026-12-01"), start_dates=["2026-12-01"]),
               dict(result("g1", SHORT, context, rank=2, next_start="2027-02-01"), start_dates=["2027-02-01"])]
    row = build_plan({"today": "2026-11-22", "gaps": gaps, "results": results})[0]
    assert row.course_id == SHORT.course_id
    assert (f"»{DIPLOMA.title}« står højere på listen, men har intet hold, der starter mindst 4 uger fra i dag"
            in row.timeline) and "andre kurser" not in row.timeline


def test_a_title_an_older_fagmatch_stored_as_invisible_characters_does_not_stop_the_plan() -> None:
    document = recommendation()
    document["results"][1] = {**document["results"][1], "title": "\u200b"}
    rows = build_plan(document)
    assert rows[0].course_title == f"Kursus uden titel ({DIPLOMA.course_id})"
    assert document["results"][1]["title"] == "\u200b"  # the caller's document is not changed
