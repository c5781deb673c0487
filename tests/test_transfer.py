"""The transfer-readiness note: factors found in real course phrasing, the workplace's part, the
score, learning forms from the taxonomy, team context, determinism and the cue file's validation."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from matcher.course import Course
from matcher.taxonomy import Taxonomy, load_taxonomy
from matcher.transfer import (
    DEFAULT_CUES,
    TransferAssessment,
    TransferContext,
    TransferCues,
    TransferCuesError,
    assess_transfer,
    transfer_score,
)

ROOT = Path(__file__).resolve().parents[1]
WORKPLACE = ["leder_involvering", "laeringssamtale_foer", "tid_til_anvendelse", "opfoelgning"]

# A diploma module built for transfer: own cases, assignments between sessions, supervision, goals.
STRONG = Course(
    id="ucn-dib-sygedagpenge",
    url="https://ucn.example/efter-videreuddannelse/diplom/sygedagpenge-og-jobafklaring",
    provider="UCN Professionshøjskolen",
    title="Sygedagpengeloven og jobafklaring i praksis",
    description=(
        "Modulet giver dig indgående viden om sygedagpengeloven, revurdering og jobafklaringsforløb. "
        "Undervisningen tager udgangspunkt i cases fra dine egne sager, som du medbringer anonymiseret. "
        "Mellem undervisningsgangene løser du små opgaver hjemme i egen organisation, og på tredje "
        "undervisningsdag får du supervision på en af dine egne afgørelser.\n\n"
        "Modulet afsluttes med en skriftlig opgave. 10 ECTS-point fordelt på seks undervisningsdage."
    ),
    learning_goals=[
        {"kind": "viden", "text": "Den studerende har indgående viden om sygedagpengeloven og reglerne om jobafklaring."},
        {"kind": "faerdigheder", "text": "Den studerende kan vurdere hjemmelsgrundlaget i komplekse sager."},
        {"kind": "kompetencer", "text": "Den studerende kan rådgive kolleger om sagsbehandlingen."},
    ],
    course_type="diplom",
    ects=10,
    price_dkk=13900,
    form="fysisk",
    location="Aalborg",
)

# A one-day lecture: no learning goals, nothing between sessions (and it says so).
WEAK = Course(
    id="temadag-reform-2027",
    url="https://kursusfirma.example/temadag-beskaeftigelsesreform",
    provider="Kursusfirmaet ApS",
    title="Temadag: Nyt om beskæftigelsesreformen",
    description=(
        "En inspirerende dag med oplæg fra tre eksperter om den nye lov om en aktiv beskæftigelsesindsats. "
        "Der er ingen hjemmeopgaver eller forberedelse. Foredragsholderne gennemgår de vigtigste ændringer, "
        "og der er tid til spørgsmål fra salen."
    ),
    course_type="kursus",
    duration_days=1,
    price_dkk=2995,
    form="fysisk",
    location="København",
)

# Ordered for a whole team, with follow-up after six weeks.
TEAM_COURSE = Course(
    id="konfliktnedtrapning-team",
    url="https://konflikt.example/teamforloeb",
    provider="Konfliktcentret",
    title="Konfliktnedtrapning i borgermødet – teamforløb",
    description=(
        "Rekvirér kurset til hele teamet. I lærer at genkende optrapning og nedtrappe situationer med vrede borgere. "
        "Forløbet: 1 dag med simulationstræning, efterfulgt af en halv dags opfølgning efter 6 uger, "
        "hvor I arbejder med egne episoder."
    ),
    course_type="kursus",
    form="rekvirerbar",
)

# An open course that can also be held on site ("hos jer").
ON_SITE = Course(
    id="netvaerksmoeder-2027",
    url="https://facilitering.example/netvaerksmoeder",
    provider="Facilitering.dk",
    title="Facilitering af netværksmøder",
    description="To dage om at lede netværksmøder med borger og samarbejdspartnere. Kurset kan også afholdes hos jer som internt forløb.",
    course_type="kursus",
    form="fysisk",
)


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy()


@pytest.fixture(scope="module")
def cues(taxonomy: Taxonomy) -> TransferCues:
    return TransferCues.load(taxonomy=taxonomy)


def keys(factors: list[Any]) -> list[str]:
    return [f.key for f in factors]


def by_key(factors: list[Any]) -> dict[str, Any]:
    return {f.key: f for f in factors}


# --- factors ----------------------------------------------------------------------------------


def test_design_factors_are_found_in_the_courses_own_words(taxonomy: Taxonomy, cues: TransferCues) -> None:
    a = assess_transfer(STRONG, TransferContext("lov_myndighed", "specialiseret", "refleksiv", 1), taxonomy, cues)
    present = by_key(a.factors_present)
    assert list(present) == ["praksiskobling", "vekslen", "supervision_feedback", "laeringsmaal"]
    assert all(f.side == "course" for f in present.values())
    assert "egne sager" in present["praksiskobling"].evidence
    assert present["vekslen"].evidence.startswith("Mellem undervisningsgangene")
    assert present["supervision_feedback"].evidence.startswith("supervision på")
    assert present["laeringsmaal"].evidence == "3 læringsmål i kursusbeskrivelsen"
    assert all(len(f.evidence) <= 80 for f in present.values())


def test_workplace_factors_are_missing_and_say_so(taxonomy: Taxonomy, cues: TransferCues) -> None:
    a = assess_transfer(STRONG, TransferContext("lov_myndighed", "specialiseret", "refleksiv", 1), taxonomy, cues)
    missing = by_key(a.factors_missing)
    for key in WORKPLACE:
        assert missing[key].side == "workplace" and missing[key].evidence is None
    assert {missing[k].side for k in ("traening_i_transfer", "aktionslaering", "refleksion")} == {"course"}
    # One learner: colleagues attending together is not a gap of this context.
    assert "kolleger_sammen" not in missing and "kolleger_sammen" not in keys(a.factors_present)
    # said once, with what the course lacks (it had said the workplace must build it in, then "it must come from the workplace")
    assert "det må arbejdspladsen selv bygge ind, og den skal også sørge for lederens involvering, en læringssamtale før start" in a.note
    assert "Det skal komme fra arbejdspladsen" not in a.note
    assert a.note.startswith("Kurset kobler undervisningen til deltagernes egen praksis (")


def test_a_course_that_invites_the_leader_still_leaves_the_leader_to_the_workplace_and_says_so(
    taxonomy: Taxonomy, cues: TransferCues,
) -> None:
    context = TransferContext("lov_myndighed", "specialiseret", "refleksiv", 1)
    invited = STRONG.model_copy(update={"description": STRONG.description + " Din leder deltager på den første kursusdag."})
    a, before = assess_transfer(invited, context, taxonomy, cues), assess_transfer(STRONG, context, taxonomy, cues)
    leader = by_key(a.factors_missing)["leder_involvering"]
    assert leader.side == "workplace" and leader.evidence is None
    assert leader.invited and leader.invited.lower().startswith("din leder deltager")
    assert "lederens involvering (kurset lægger op til det: »" in a.note
    assert a.score == before.score  # the workplace must still bring it: the course earns nothing for asking
    assert by_key(before.factors_missing)["leder_involvering"].invited is None
    # asked for in other words; and a clause that says no leader takes part is no invitation
    for words, asks in (("Ledere og medarbejdere deltager sammen i dag 3.", True), ("Kurset slutter med ledersparring.", True),
                        ("Lederen deltager ikke.", False), ("Ingen ledere deltager.", False),
                        ("Din leder er inviteret til at deltage den sidste dag.", True),
                        ("Vi inviterer din leder med på opfølgningsdagen.", True), ("Ledere er velkomne.", True),
                        ("Lederen er ikke inviteret.", False), ("Managers are invited to attend the final day.", True),
                        ("Your manager is welcome to join.", True)):
        course = STRONG.model_copy(update={"description": STRONG.description + " " + words})
        assert (by_key(assess_transfer(course, context, taxonomy, cues).factors_missing)["leder_involvering"].invited is not None) is asks, words


def test_a_provider_s_other_words_for_a_plan_the_leader_and_a_follow_up_day_are_read(
    taxonomy: Taxonomy, cues: TransferCues,
) -> None:
    """A provider's drafts were told they lacked what they said in other words."""
    context = TransferContext("lov_myndighed", "grundlaeggende", None, 1)
    base = Course(id="c", title="Sygedagpenge for nye sagsbehandlere", description="Kurset om sygedagpengeloven.")

    def read(words: str) -> Any:
        return assess_transfer(base.model_copy(update={"description": f"{base.description} {words}"}), context, taxonomy, cues)

    plan = read("Du udarbejder en handlingsplan for det næste halve år.")
    assert by_key(plan.factors_present)["traening_i_transfer"].evidence == "Du udarbejder en handlingsplan"
    for words in ("Inden kurset aftaler du med din leder, hvad du vil arbejde med.",
                  "Efter kurset holder du et møde med lederen, og lederen følger op på jeres aftaler.",
                  "Participants discuss the results with their team leader."):
        assert by_key(read(words).factors_missing)["leder_involvering"].invited, words
    follow_up = by_key(read("Tre måneder efter kurset er der en opfølgningsdag.").factors_missing)["opfoelgning"]
    assert follow_up.invited == "opfølgningsdag"  # still the workplace's to do, named with the course's words
    for words, named in (("Efter modulet holder vi et opfølgningsseminar.", "opfølgningsseminar"),
                         ("To måneder senere mødes holdet til en opfølgningsworkshop.", "opfølgningsworkshop"),
                         ("Forløbet slutter med en opfølgningssamling.", "opfølgningssamling")):
        assert by_key(read(words).factors_missing)["opfoelgning"].invited == named, words
    assert by_key(read("Kurset har ingen opfølgningsdag.").factors_missing)["opfoelgning"].invited is None


def test_evidence_read_from_the_course_s_facts_is_marked_and_follows_a_type_read_from_the_page(
    taxonomy: Taxonomy, cues: TransferCues,
) -> None:
    """A diploma module's alternation is read from its type, not quoted from its words: the page must
    not show it in quotation marks. A page that states no type is read with the type the tagger read."""
    module = Course(id="d", title="Diplommodul i jobafklaring", description="Forelæsninger om jobafklaring. "
                    "Modulet afsluttes med en skriftlig opgave og en eksamen.")
    stated = assess_transfer(module.model_copy(update={"course_type": "diplom"}), TransferContext(), taxonomy, cues)
    alternation = by_key(stated.factors_present)["vekslen"]
    assert alternation.inferred and alternation.evidence.startswith("modul over flere undervisningsgange")
    assert not any(f.inferred for f in assess_transfer(STRONG, TransferContext(), taxonomy, cues).factors_present
                   if f.key != "laeringsmaal")  # quoted from the text
    assert "vekslen" not in keys(assess_transfer(module, TransferContext(), taxonomy, cues).factors_present)
    read = assess_transfer(module, TransferContext(), taxonomy, cues, read_type="diplom")
    assert read.score == stated.score and "vekslen" in keys(read.factors_present)
    assert transfer_score(module, TransferContext(), cues, read_type="diplom") == read.score  # as the ranking reads it
    # a type the record states is never overruled by the one read
    course = module.model_copy(update={"course_type": "kursus"})
    assert "vekslen" not in keys(assess_transfer(course, TransferContext(), taxonomy, cues, read_type="diplom").factors_present)


def test_an_english_page_is_read_for_its_design_too(taxonomy: Taxonomy, cues: TransferCues) -> None:
    context = TransferContext("borgernaere_metoder", "grundlaeggende", "relationel", 1)
    english = Course(id="en", title="Motivational interviewing in practice", description=(
        "The course is case-based: participants bring cases from their own practice. Between the sessions they "
        "complete practical assignments at their workplace and receive individual supervision. Your manager takes "
        "part in the last session. The intended learning outcomes are listed below."))
    a = assess_transfer(english, context, taxonomy, cues)
    assert {"praksiskobling", "vekslen", "supervision_feedback", "laeringsmaal"} <= set(keys(a.factors_present))
    assert by_key(a.factors_missing)["leder_involvering"].invited == "Your manager takes part"
    two_days = Course(id="en3", title="Two days", description="Between the two course days you try the methods at work.")
    assert "vekslen" in keys(assess_transfer(two_days, context, taxonomy, cues).factors_present)
    lecture = Course(id="en2", title="Lecture", description="A lecture. No assignments, and without supervision.")
    assert assess_transfer(lecture, context, taxonomy, cues).score == 0


@pytest.mark.parametrize(("factor", "topic", "design"), [
    # this field's own work, as a topic: guiding citizens, a citizen's return to work
    ("supervision_feedback", "Om vejledning af ledige: individuel vejledning og gruppevejledning.",
     "Du får vejledning undervejs på din opgave."),
    ("traening_i_transfer", "Forløbet hjælper sygemeldte borgere med at komme tilbage til arbejdspladsen.",
     "Du tager redskaberne med tilbage til arbejdspladsen."),
    ("traening_i_transfer", "The course covers transfer payments and the transfer of undertakings.",
     "We work on the transfer of learning to your daily work."),
    ("traening_i_transfer", "Kurset har fokus på transferindkomster og ydelser.", "Kurset har fokus på transfer."),
    ("refleksion", "Valgfag: Beskæftigelsespolitik i teori og praksis.",
     "Vi arbejder med sammenhængen mellem teori og praksis."),
    ("refleksion", "An introduction to social policy in theory and practice.",
     "The seminars link theory and practice through your own cases."),
    ("laeringsmaal", "Indhold: forvaltningsret og sagsbehandling.",
     "Efter gennemført modul har den studerende viden om forvaltningsret."),
    # the work itself, in the course's words (a transfer expert's walk): feedback and a plan for the
    # citizen, applying the law, who takes part, a quiz, supervision as what the course is about
    ("supervision_feedback", "Du lærer at give borgeren feedback og at give konstruktiv feedback til kolleger.",
     "Du får feedback på dine samtaler fra underviseren."),
    ("supervision_feedback", "Hvert modul slutter med en quiz med automatisk feedback.",
     "Undervejs får du løbende feedback på din opgave."),
    ("supervision_feedback", "En dag om supervision: hvad er supervision, og hvordan leder man den?",
     "Forløbet indeholder to supervisionsgange i mindre grupper."),
    ("supervision_feedback", "Borgeren bliver hørt og får sparring om sine muligheder.",
     "Du arbejder med egne sager og får supervision af en erfaren kollega."),
    ("traening_i_transfer", "Du lærer at lave en handleplan sammen med borgeren.",
     "Du udarbejder din egen handleplan for, hvordan du bruger det lærte."),
    ("traening_i_transfer", "Du lærer at omsætte lovgivningen til praksis i sagsbehandlingen.",
     "Vi arbejder med at omsætte det lærte til praksis."),
    ("laeringsmaal", "Deltageren har typisk erfaring fra et jobcenter og kan deltage uden forudsætninger.",
     "Deltageren kan anvende reglerne om sygedagpenge i konkrete sager."),
    ("praksiskobling", "Kurset er for dig, der i din egen praksis møder ledige borgere.",
     "Du arbejder med eksempler fra din egen vejledningspraksis."),
    ("praksiskobling", "Du lærer at vejlede den ledige om egne erfaringer fra arbejdsmarkedet.",
     "Vi arbejder med dine egne erfaringer som sagsbehandler."),
])
def test_a_topic_in_the_field_is_not_the_courses_design(
    taxonomy: Taxonomy, cues: TransferCues, factor: str, topic: str, design: str,
) -> None:
    def present(text: str) -> list[str]:
        return keys(assess_transfer(Course(id="c", title="Kursus", description=text), TransferContext(), taxonomy, cues).factors_present)

    assert factor not in present(topic)
    assert factor in present(design)


@pytest.mark.parametrize(("factor", "text"), [
    ("vekslen", "Mellem de tre seminardage afprøver du redskaberne."),
    ("vekslen", "Mellem de fire workshopdage gennemfører du små eksperimenter."),
    ("vekslen", "Du løser en praksisopgave på din arbejdsplads."),
    ("praksiskobling", "Du løser en praksisopgave på din arbejdsplads."),
    ("praksiskobling", "Du arbejder med en case fra din arbejdsplads."),
    ("praksiskobling", "Du tager afsæt i din egen sagsbehandling."),
    ("praksiskobling", "Undervisningen tager udgangspunkt i deltagernes egne erfaringer."),
    ("praksiskobling", "Du medbringer en konkret sag fra din hverdag, som vi arbejder med på kurset."),
    ("praksiskobling", "Du afprøver metoderne i dit eget jobcenter."),
    ("supervision_feedback", "Du skriver en opgave, som du får vejledning til."),
    ("supervision_feedback", "Gennem observationer og konstruktiv feedback træner I samtalen."),
    # a provider checking a draft wrote these (a walk): the participant is the subject of the clause before
    ("supervision_feedback", "Du arbejder med egne sager mellem modulerne og får supervision."),
    ("supervision_feedback", "Der er supervision på kurset."),
])
def test_common_danish_words_for_a_design_that_transfers_are_read(
    taxonomy: Taxonomy, cues: TransferCues, factor: str, text: str,
) -> None:
    course = Course(id="c", title="Kursus", description=text, course_type="diplom")
    assert factor in keys(assess_transfer(course, TransferContext(), taxonomy, cues).factors_present)


def test_an_exam_alone_is_no_alternation_between_teaching_and_practice(taxonomy: Taxonomy, cues: TransferCues) -> None:
    def present(text: str) -> list[str]:
        course = Course(id="c", title="Diplommodul om forvaltningsret", description=text, course_type="diplom")
        return keys(assess_transfer(course, TransferContext(), taxonomy, cues).factors_present)

    assert "vekslen" not in present("Modulet afsluttes med en mundtlig eksamen.")
    assert "vekslen" in present("Undervejs skriver du en opgave om en sag fra dit arbejde.")


@pytest.mark.parametrize("work", [
    "Du lærer at holde et møde med lederen på virksomheden.",
    "Du lærer at holde et møde med lederen på den sygemeldtes arbejdsplads.",
    "Du lærer at lægge en fastholdelsesplan sammen med sin leder.",
    "Du lærer at holde opfølgningsmøder med sygemeldte.",
])
def test_the_work_s_own_meetings_do_not_invite_the_leader_or_a_follow_up(
    taxonomy: Taxonomy, cues: TransferCues, work: str,
) -> None:
    missing = assess_transfer(Course(id="c", title="Kursus", description=work), TransferContext(), taxonomy, cues).factors_missing
    assert not [f.key for f in missing if f.invited]


def test_a_study_programmes_goal_heading_gives_explicit_learning_goals(taxonomy: Taxonomy, cues: TransferCues) -> None:
    from crawler.parsers import parse_learning_goals

    text = ("Kompetencemål\nViden:\n- den studerende har viden om beskæftigelseslovens regler\n"
            "Færdigheder:\n- den studerende kan vurdere en sag efter reglerne\nEksamen\nMundtlig prøve.")
    goals = parse_learning_goals(text)
    assert [goal["kind"] for goal in goals] == ["viden", "faerdigheder"]
    course = Course(id="m", title="Modul", description="Om beskæftigelsesloven.", learning_goals=goals)
    found = by_key(assess_transfer(course, TransferContext(), taxonomy, cues).factors_present)
    assert found["laeringsmaal"].evidence == "2 læringsmål i kursusbeskrivelsen"


def test_negated_cue_does_not_count(taxonomy: Taxonomy, cues: TransferCues) -> None:
    a = assess_transfer(WEAK, TransferContext(), taxonomy, cues)
    assert "vekslen" in keys(a.factors_missing)  # "ingen hjemmeopgaver"
    plus = WEAK.model_copy(update={"description": WEAK.description.replace("ingen hjemmeopgaver", "to hjemmeopgaver")})
    assert "vekslen" in keys(assess_transfer(plus, TransferContext(), taxonomy, cues).factors_present)


@pytest.mark.parametrize("text", [
    "Der er ingen supervision på kurset.", "Deltagerne får ikke supervision.", "Du får ingen feedback undervejs.",
    "Participants will not receive feedback.",
])
def test_a_negation_inside_the_phrase_counts_too(taxonomy: Taxonomy, cues: TransferCues, text: str) -> None:
    # a re-check of the draft check: "Der er ingen supervision" read as supervision
    course = Course(id="c", title="Kursus", description=text)
    assert "supervision_feedback" not in keys(assess_transfer(course, TransferContext(), taxonomy, cues).factors_present)


def test_strong_design_scores_clearly_higher_than_a_lecture_day(taxonomy: Taxonomy, cues: TransferCues) -> None:
    context = TransferContext("lov_myndighed", "grundlaeggende", "praktisk", 1)
    strong = assess_transfer(STRONG, context, taxonomy, cues)
    weak = assess_transfer(WEAK, context, taxonomy, cues)
    weights = {f.key: f.weight for f in cues.factors}
    assert strong.score == sum(weights[k] for k in keys(strong.factors_present)) == 60
    assert weak.score == 0 and weak.factors_present == []
    assert strong.score - weak.score >= 40
    assert weak.note.startswith("Kursusbeskrivelsen viser ingen af de træk i designet")
    assert "Beskrivelsen nævner ikke praksiskobling og cases fra egen praksis" in weak.note
    assert transfer_score(STRONG, context, cues) == strong.score


def test_note_is_two_to_five_danish_sentences(taxonomy: Taxonomy, cues: TransferCues) -> None:
    for course in (STRONG, WEAK, TEAM_COURSE, ON_SITE):
        for context in (TransferContext(), TransferContext("netvaerk_facilitering", "specialiseret", "relationel", 4)):
            note = assess_transfer(course, context, taxonomy, cues).note
            sentences = [s for s in re.split(r"(?<=[.!?])\s+", note) if s]
            assert 2 <= len(sentences) <= 5, note
            assert "{" not in note and "  " not in note


# --- team context ------------------------------------------------------------------------------


def test_rekvirerbar_enables_colleagues_together_by_design(taxonomy: Taxonomy, cues: TransferCues) -> None:
    for learners in (1, 6):
        a = assess_transfer(TEAM_COURSE, TransferContext(learners=learners), taxonomy, cues)
        together = by_key(a.factors_present)["kolleger_sammen"]
        assert together.side == "workplace" and together.evidence == "kan rekvireres til hele teamet"
        assert a.score == 20 + 15 + 10  # own episodes, follow-up after 6 weeks, colleagues together


def test_on_site_course_enables_colleagues_only_for_several_learners(taxonomy: Taxonomy, cues: TransferCues) -> None:
    team = assess_transfer(ON_SITE, TransferContext(learners=3), taxonomy, cues)
    assert by_key(team.factors_present)["kolleger_sammen"].evidence == "kan holdes hos jer, så de tre kolleger deltager sammen"
    single = assess_transfer(ON_SITE, TransferContext(learners=1), taxonomy, cues)
    assert "kolleger_sammen" not in keys(single.factors_present) + keys(single.factors_missing)
    assert team.score == single.score + 10
    # An open course without on-site wording leaves it to the workplace for a team.
    weak_team = assess_transfer(WEAK, TransferContext(learners=3), taxonomy, cues)
    assert by_key(weak_team.factors_missing)["kolleger_sammen"].side == "workplace"
    assert "kollegernes fælles deltagelse" in weak_team.note


def test_several_learners_change_the_steps(taxonomy: Taxonomy, cues: TransferCues) -> None:
    one = assess_transfer(WEAK, TransferContext("lov_myndighed", "grundlaeggende", "praktisk", 1), taxonomy, cues)
    team = assess_transfer(WEAK, TransferContext("lov_myndighed", "grundlaeggende", "praktisk", 4), taxonomy, cues)
    assert one.steps != team.steps
    before_team = " ".join(team.steps["before"].actions)
    assert "fælles opstartsmøde" in before_team and "de fire medarbejdere" in before_team
    assert "samle kollegernes spørgsmål" in " ".join(one.steps["before"].actions)
    assert "samle kollegernes spørgsmål" not in before_team
    assert any("Sæt Lov & Myndighed på teammødet" in x for x in team.steps["after"].actions)


def test_small_numbers_are_words_and_larger_ones_digits(taxonomy: Taxonomy, cues: TransferCues) -> None:
    def before(learners: int) -> str:
        return " ".join(assess_transfer(WEAK, TransferContext(learners=learners), taxonomy, cues).steps["before"].actions)

    assert "de to medarbejdere" in before(2) and "de tolv medarbejdere" in before(12) and "de 13 medarbejdere" in before(13)


def test_specialised_level_makes_a_resource_person(taxonomy: Taxonomy, cues: TransferCues) -> None:
    basic = assess_transfer(STRONG, TransferContext("lov_myndighed", "grundlaeggende", learners=2), taxonomy, cues)
    special = assess_transfer(STRONG, TransferContext("lov_myndighed", "specialiseret", learners=2), taxonomy, cues)
    assert not any("ressourceperson" in x for phase in basic.steps.values() for x in phase.actions)
    assert any("ressourceperson i Lov & Myndighed" in x for x in special.steps["after"].actions)


def test_missing_design_factors_get_compensating_actions(taxonomy: Taxonomy, cues: TransferCues) -> None:
    weak = assess_transfer(WEAK, TransferContext(), taxonomy, cues)
    strong = assess_transfer(STRONG, TransferContext(), taxonomy, cues)
    own_cases = "Udvælg 2–3 aktuelle sager fra egen praksis"
    assert any(x.startswith(own_cases) for x in weak.steps["before"].actions)
    assert not any(x.startswith(own_cases) for x in strong.steps["before"].actions)
    assert any("Frigør tid til opgaverne mellem undervisningsgangene" in x for x in strong.steps["during"].actions)
    # a step for a design the course has is not given where it lacks it
    assert not any("Frigør tid til opgaverne mellem undervisningsgangene" in x for x in weak.steps["during"].actions)
    assert not any(x.startswith("Lederen er selv med") for x in weak.steps["before"].actions)
    assert any("kursets emne" in x for x in weak.steps["before"].actions)  # no field given


# --- steps and learning forms ------------------------------------------------------------------


def test_steps_follow_30_30_40(taxonomy: Taxonomy, cues: TransferCues) -> None:
    a = assess_transfer(STRONG, TransferContext("lov_myndighed", "specialiseret", "refleksiv", 3), taxonomy, cues)
    assert list(a.steps) == ["before", "during", "after"]
    assert [(p.weight, p.label) for p in a.steps.values()] == [(30, "Før"), (30, "Under"), (40, "Efter")]
    assert all(p.actions for p in a.steps.values())
    assert any(x.startswith("Hold en læringssamtale med de tre medarbejdere senest fire uger før start") for x in a.steps["before"].actions)


@pytest.mark.parametrize("dimension", ["praktisk", "refleksiv", "relationel"])
def test_dimension_brings_its_learning_forms_from_the_taxonomy(taxonomy: Taxonomy, cues: TransferCues, dimension: str) -> None:
    # in the cue file's plain Danish where it gives them, else the taxonomy's
    forms = cues.words.learning_forms.get(dimension) or next(d.learning_forms for d in taxonomy.dimensions if d.key == dimension)
    a = assess_transfer(WEAK, TransferContext("borgernaere_metoder", "grundlaeggende", dimension, 2), taxonomy, cues)
    assert a.learning_forms == forms
    joined = ", ".join(forms[:-1]) + " og " + forms[-1]
    assert joined in a.note
    assert any(joined in x for x in a.steps["during"].actions)
    assert any(joined in x for x in a.steps["after"].actions)
    text = a.note + " ".join(x for p in a.steps.values() for x in p.actions)
    for other in taxonomy.dimensions:
        if other.key != dimension:
            assert ", ".join(other.learning_forms[:-1]) + " og " + other.learning_forms[-1] not in text
    assert "click-through" not in text  # not Danish: the seed's word stays in the taxonomy


def test_actions_follow_the_gaps_field_and_the_general_ones_give_way(taxonomy: Taxonomy, cues: TransferCues) -> None:
    two_days = WEAK.model_copy(update={"duration_days": 2})  # the field's steps between course days

    def actions(field: str | None) -> str:
        a = assess_transfer(two_days, TransferContext(field, "grundlaeggende", "praktisk", 2), taxonomy, cues)
        return " ".join(x for p in a.steps.values() for x in p.actions)
    law, it, none = actions("lov_myndighed"), actions("it_digital"), actions(None)
    assert "afgørelser" in law and "afgørelser" not in it
    assert "øvemiljø" in it and "øvemiljø" not in law
    # the general "pick cases from your own practice" gives way to the field's own cases
    assert "Udvælg 2–3 aktuelle sager" in none and "Udvælg 2–3 aktuelle sager" not in law
    assert law != it
    online = assess_transfer(WEAK.model_copy(update={"form": "online"}), TransferContext("it_digital", "grundlaeggende", "praktisk", 1), taxonomy, cues)
    assert any("online moduler" in x for x in online.steps["during"].actions)


def test_a_one_day_course_gets_no_steps_between_course_days(taxonomy: Taxonomy, cues: TransferCues) -> None:
    def during(course: Course) -> str:
        a = assess_transfer(course, TransferContext("it_digital", "grundlaeggende", "praktisk", 3), taxonomy, cues)
        return " ".join(a.steps["during"].actions)

    one_day, unknown = during(WEAK), during(WEAK.model_copy(update={"duration_days": None}))
    for between in ("mellem kursusdagene", "efter hver kursusdag"):
        assert between not in one_day and between in unknown and between in during(WEAK.model_copy(update={"ects": 5}))
    assert "opfølgningssamtale" in one_day and "dagen efter en enkelt kursusdag" in one_day  # said so that it fits a day too


def test_a_draft_checks_note_speaks_to_the_provider(taxonomy: Taxonomy, cues: TransferCues) -> None:
    provider = assess_transfer(WEAK, TransferContext(), taxonomy, cues, audience="provider").note
    workplace = assess_transfer(WEAK, TransferContext(), taxonomy, cues).note
    assert "overvej at skrive det ind, hvis kurset gør det" in provider and "arbejdspladsen" not in provider
    assert "det må arbejdspladsen selv bygge ind" in workplace


def test_an_unknown_field_in_an_action_is_refused(taxonomy: Taxonomy, tmp_path: Path) -> None:
    import yaml

    data = yaml.safe_load(DEFAULT_CUES.read_text(encoding="utf-8"))
    data["actions"].append({"phase": "after", "when": {"field": ["lov_myndihed"]}, "text": "Gør noget."})
    path = tmp_path / "cues.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(TransferCuesError, match="'lov_myndihed' is not a field of the taxonomy") as raised:
        TransferCues.load(path, taxonomy)
    # the expert is shown the line, not left to count to the action's place in the list
    line = next(n for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1) if "lov_myndihed" in text)
    assert re.search(rf"cues\.yaml:{line - 1}: actions\[\d+\]\.when\.field: 'lov_myndihed'", str(raised.value)) or \
        re.search(rf"cues\.yaml:{line}: actions\[\d+\]\.when\.field: 'lov_myndihed'", str(raised.value)), str(raised.value)


def test_learning_forms_follow_an_edited_taxonomy(taxonomy: Taxonomy, cues: TransferCues) -> None:
    edited = taxonomy.model_copy(deep=True)
    edited.dimensions[1].learning_forms = ["fokusgrupper", "sagsgennemgang"]
    a = assess_transfer(STRONG, TransferContext(dimension="refleksiv"), edited, cues)
    assert a.learning_forms == ["fokusgrupper", "sagsgennemgang"]
    assert "fokusgrupper og sagsgennemgang" in a.note
    assert "case-analyse" not in a.note


def test_no_dimension_means_no_forms(taxonomy: Taxonomy, cues: TransferCues) -> None:
    a = assess_transfer(STRONG, TransferContext(), taxonomy, cues)
    assert a.learning_forms == [] and "Gabet ligger" not in a.note


def test_unknown_context_keys_are_refused(taxonomy: Taxonomy, cues: TransferCues) -> None:
    with pytest.raises(ValueError, match="unknown dimension 'emotionel'"):
        assess_transfer(STRONG, TransferContext(dimension="emotionel"), taxonomy, cues)
    with pytest.raises(ValueError, match="unknown field 'jura'"):
        assess_transfer(STRONG, TransferContext(field="jura"), taxonomy, cues)
    with pytest.raises(ValueError, match="unknown level"):
        assess_transfer(STRONG, TransferContext(level="ekspert"), taxonomy, cues)


# --- determinism -------------------------------------------------------------------------------


def test_same_input_same_assessment(taxonomy: Taxonomy, cues: TransferCues) -> None:
    context = TransferContext("lov_myndighed", "specialiseret", "relationel", 3)
    first = assess_transfer(STRONG, context, taxonomy, cues).model_dump()
    again = assess_transfer(STRONG, context, taxonomy, TransferCues.load()).model_dump()
    assert first == again
    assert TransferAssessment.model_validate(first).model_dump_json() == assess_transfer(STRONG, context, taxonomy, cues).model_dump_json()


def test_assessment_does_not_depend_on_hash_order() -> None:
    script = (
        "import json, sys; sys.path.insert(0, '.');"
        "from tests.test_transfer import STRONG, TEAM_COURSE;"
        "from matcher.taxonomy import load_taxonomy; from matcher.transfer import TransferContext, assess_transfer;"
        "t = load_taxonomy();"
        "print(json.dumps([assess_transfer(c, TransferContext('lov_myndighed', 'specialiseret', 'refleksiv', 3), t).model_dump()"
        " for c in (STRONG, TEAM_COURSE)], ensure_ascii=False))"
    )
    outputs = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
        outputs.add(done.stdout)
    assert len(outputs) == 1
    assert json.loads(outputs.pop())[0]["score"] == 60


# --- the cue file ------------------------------------------------------------------------------


def bundled() -> dict[str, Any]:
    return yaml.safe_load(DEFAULT_CUES.read_text(encoding="utf-8"))


def write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "transfer_cues.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def factor_index(data: dict[str, Any], key: str) -> int:
    return next(i for i, f in enumerate(data["factors"]) if f["key"] == key)


def test_bundled_cue_file_is_valid_and_covers_the_guides_factors(taxonomy: Taxonomy, cues: TransferCues) -> None:
    assert sum(f.weight for f in cues.factors) == 100
    course_side = [f.key for f in cues.factors if f.side == "course"]
    assert course_side == ["praksiskobling", "vekslen", "supervision_feedback", "traening_i_transfer", "aktionslaering", "laeringsmaal", "refleksion"]
    workplace = [f.key for f in cues.factors if f.side == "workplace"]
    assert workplace == ["kolleger_sammen", *WORKPLACE]
    known = {f.key for f in taxonomy.transfer_factors}
    assert {f.taxonomy_factor for f in cues.factors} <= known


def test_unknown_taxonomy_factor_names_file_and_key(tmp_path: Path, taxonomy: Taxonomy) -> None:
    data = bundled()
    data["factors"][factor_index(data, "aktionslaering")]["taxonomy_factor"] = "aktionslaering"
    path = write(tmp_path, data)
    with pytest.raises(TransferCuesError) as err:
        TransferCues.load(path, taxonomy=taxonomy)
    message = str(err.value)
    assert str(path) in message
    assert "factors[4] (aktionslaering).taxonomy_factor: 'aktionslaering' is not a transfer factor of the taxonomy" in message
    # Loaded without a taxonomy, the check happens when the cues first meet one.
    loose = TransferCues.load(path)
    with pytest.raises(TransferCuesError, match=r"factors\[4\] \(aktionslaering\)\.taxonomy_factor"):
        assess_transfer(STRONG, TransferContext(), taxonomy, loose)


def test_bad_regex_names_factor_and_phrase(tmp_path: Path) -> None:
    data = bundled()
    data["factors"][factor_index(data, "supervision_feedback")]["phrases"][1] = "feed(back"
    path = write(tmp_path, data)
    with pytest.raises(TransferCuesError) as err:
        TransferCues.load(path)
    message = str(err.value)
    assert str(path) in message
    assert ": factors[2] (supervision_feedback).phrases[1]: bad regular expression 'feed(back'" in message
    assert re.search(rf"{re.escape(str(path))}:\d+: factors\[2\]", message), "the line to fix is named"


def test_regex_matching_empty_text_is_refused(tmp_path: Path) -> None:
    data = bundled()
    data["factors"][0]["phrases"].append("(?:cases)?")
    with pytest.raises(TransferCuesError, match="matches empty text"):
        TransferCues.load(write(tmp_path, data))


def test_weights_must_add_up_to_100(tmp_path: Path) -> None:
    data = bundled()
    data["factors"][factor_index(data, "praksiskobling")]["weight"] = 35
    with pytest.raises(TransferCuesError) as err:
        TransferCues.load(write(tmp_path, data))
    assert "must add up to 100" in str(err.value) and "they add up to 115" in str(err.value)
    assert "praksiskobling 35" in str(err.value)


def test_workplace_weight_without_design_cues_is_refused(tmp_path: Path) -> None:
    data = bundled()
    data["factors"][factor_index(data, "praksiskobling")]["weight"] = 10
    data["factors"][factor_index(data, "opfoelgning")]["weight"] = 10
    with pytest.raises(TransferCuesError, match=r"factors\[11\] \(opfoelgning\): a workplace factor with a weight needs hints"):
        TransferCues.load(write(tmp_path, data))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["factors"][0].update(side="kursus"), r"transfer_cues.yaml:\d+: factors\[0\] \(praksiskobling\)\.side: 'kursus' is not allowed: input should be 'course' or 'workplace'"),
        (lambda d: d["factors"][0].update(phrase=["x"]), r"factors\[0\] \(praksiskobling\)\.phrase: unknown key"),
        (lambda d: d["factors"][0].pop("statement"), r"factors\[0\] \(praksiskobling\): 'statement' is required"),
        (lambda d: d["actions"][0].update(text="Tal med {leder} før start."), r"actions\[0\]\.text|actions\[0\]: unknown placeholder \{leder\}"),
        (lambda d: d["actions"][0].update(when={"missing": ["lederens_rolle"]}), r"transfer_cues.yaml:\d+: actions\[0\]\.when\.missing: 'lederens_rolle' is not a factor key"),
        (lambda d: d["actions"][0].update(text="Brug {forms}.", when={}), r"actions\[0\]: the text uses \{forms\}, so 'when' needs a dimension"),
        (lambda d: d.update(actions=[a for a in d["actions"] if a["phase"] != "after"]), r"phase 'after' needs an action that always applies"),
        (lambda d: d["factors"].append(dict(d["factors"][-1])), r"transfer_cues.yaml:\d+: factors\[12\] \(opfoelgning\)\.key: duplicate factor key 'opfoelgning'"),
        (lambda d: d["factors"][0].update(invited_by=["x"]), r"factors\[0\] \(praksiskobling\): 'invited_by' is for workplace factors of weight 0"),
        (lambda d: d["factors"][0].update(leader_learns="x"), r"factors\[0\] \(praksiskobling\): 'leader_learns' is for workplace factors of weight 0"),
        (lambda d: d["note"].update(invited="lægger op til {factors}"), r"note\.invited: unknown placeholder \{factors\}|note: .*\{factors\}"),
    ],
)
def test_broken_cue_file_is_explained(tmp_path: Path, change: Any, expected: str) -> None:
    data = bundled()
    change(data)
    path = write(tmp_path, data)
    with pytest.raises(TransferCuesError) as err:
        TransferCues.load(path)
    assert str(path) in str(err.value)
    assert re.search(expected, str(err.value)), str(err.value)


def test_unknown_dimension_in_actions_is_refused(tmp_path: Path, taxonomy: Taxonomy) -> None:
    data = bundled()
    index = next(i for i, a in enumerate(data["actions"]) if a.get("when", {}).get("dimension") == ["relationel"])
    data["actions"][index]["when"]["dimension"] = ["relationelt"]
    with pytest.raises(TransferCuesError, match=rf"actions\[{index}\]\.when\.dimension: 'relationelt' is not a dimension of the taxonomy"):
        TransferCues.load(write(tmp_path, data), taxonomy=taxonomy)


def test_unreadable_and_non_mapping_files(tmp_path: Path) -> None:
    with pytest.raises(TransferCuesError, match="cannot read"):
        TransferCues.load(tmp_path / "missing.yaml")
    path = tmp_path / "list.yaml"
    path.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(TransferCuesError, match="must be a YAML mapping"):
        TransferCues.load(path)
    path.write_text("factors: [\n", encoding="utf-8")
    with pytest.raises(TransferCuesError, match="YAML syntax error"):
        TransferCues.load(path)
