"""Keyword search and the in-memory catalogue index: real catalogue files, tags written as the tagger stores them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from matcher.catalogue_index import CatalogueIndex, CourseFilters, CourseTags, FilterError
from matcher.course import Course
from matcher.keyword_search import Bm25Index, DanishAnalyzer, WordListError, load_stem_overrides
from matcher.store import open_catalogue, write_catalogue
from matcher.taxonomy import load_taxonomy
from tests.conftest import course_record

TODAY = dt.date(2026, 11, 22)
FIELDS = list(load_taxonomy().field_keys)


def test_analyzer_stems_danish_and_drops_stop_words() -> None:
    analyzer = DanishAnalyzer()
    assert analyzer("Viden om Sygedagpengeloven") == analyzer("viden sygedagpengelov")
    assert "og" not in analyzer("jobafklaring og fleksjob")
    # NFC: a decomposed å (a + ring) is the same word as a composed one
    assert analyzer("Ma\u030al") == analyzer("Mål")


def test_the_analyzer_s_memory_of_stems_stays_bounded_however_many_new_words_come() -> None:
    analyzer = DanishAnalyzer(cache_size=100)
    words = [f"ord{i}erne" for i in range(1000)]  # as a long-running service meets new words
    assert analyzer(" ".join(words)) == [f"ord{i}" for i in range(1000)]
    assert len(analyzer._cache) <= 100
    assert analyzer("sygedagpengene") == DanishAnalyzer()("sygedagpengene")


def test_bm25_ranks_the_document_about_the_query_first() -> None:
    docs = [
        "Motiverende samtale med borgere i jobcentret.",
        "Sygedagpengeloven og jobafklaring: regler, revurdering og afgørelser om sygedagpenge.",
        "Excel for begyndere.",
    ]
    index = Bm25Index(docs)
    scores = index.scores("regler om sygedagpenge")
    assert int(np.argmax(scores)) == 1
    assert scores[2] == 0
    assert index.matched_terms("sygedagpengene og regler", 1) == ["sygedagpeng", "regl"]
    # a compound is found by its first part
    assert Bm25Index(["Kursus om sygedagpengeloven", "Kursus om fleksjob"]).scores("sygedagpenge")[0] > 0
    assert not index.scores("ord der ikke findes").any()


def test_a_compound_no_course_uses_finds_the_courses_that_use_its_parts() -> None:
    docs = [
        "Uddannelse af mentorer, der støtter nyansatte på arbejdspladsen.",
        "Samarbejde med virksomheder om praktik.",
        "Excel for begyndere.",
    ]
    index = Bm25Index(docs)
    scores = index.scores("virksomhedsmentorer")  # written as one word, which no course does
    assert scores[0] > 0 and scores[1] > 0 and scores[2] == 0
    assert index.scores("persondatasikkerhed")[2] == 0
    assert index.matched_terms("virksomhedsmentorer", 0) == []  # the why names only words the text holds
    # a compound the courses use is matched as it is, not split: its parts alone earn nothing
    known = Bm25Index(["Kursus om sygedagpengeloven", "Kursus om loven", "Kursus om dagpenge"])
    assert known.scores("sygedagpengeloven").tolist()[1:] == [0.0, 0.0]
    # parts shorter than four letters are not split off
    assert not Bm25Index(["Kursus om job", "Kursus om mål"]).scores("jobmål").any()


def test_words_snowball_joins_across_meanings_are_kept_apart() -> None:
    # "ledelse" (management) and "ledige" (the unemployed) are both "led" to Snowball
    index = Bm25Index(["Ledelse af teams i jobcentret", "Samtaler med ledige borgere", "Det videre forløb efter kurset"])
    assert index.scores("ledelse").tolist()[1] == 0 and index.scores("ledelse")[0] > 0
    assert index.scores("ledighed")[1] > 0 and index.scores("ledighed")[0] == 0
    # "viden" (knowledge) and "videre" (further) are both "vid" to Snowball
    assert not index.scores("viden").any()


def test_the_everyday_forms_of_a_word_find_each_other() -> None:
    """Snowball stems "jobcentret" and "jobcenter", "virksomhederne" and "virksomheder" apart: a
    search for one form missed the courses that wrote the other."""
    index = Bm25Index([
        "Samtaler i jobcenter og a-kasse",
        "Samarbejde med virksomheder om praktik",
        "Virksomme indsatser for sygemeldte",  # "effective": not the company
        "Den nye beskæftigelsesindsats i kommunen",
    ])
    assert index.scores("jobcentret")[0] > 0 and index.scores("jobcenter")[0] > 0
    for form in ("virksomhederne", "virksomheden", "virksomhed"):
        scores = index.scores(form)
        assert scores[1] > 0 and scores[2] == 0, form
    assert index.scores("virksomme").tolist()[:2] == [0, 0] and index.scores("virksomme")[2] > 0  # not a company
    assert index.scores("beskæftigelsesindsatsen")[3] > 0


def test_the_words_around_a_gap_find_nothing() -> None:
    """"vores jobkonsulenter skal blive bedre til jobsamtaler": a course about doctors came first
    because it held "vores" and "bedre"."""
    index = Bm25Index(["Vores samarbejde med læger bliver bedre", "Samtaleteknik for jobkonsulenter"])
    scores = index.scores("vores jobkonsulenter skal blive bedre til samtaler")
    assert scores[0] == 0 and scores[1] > 0


def test_an_abbreviation_finds_the_courses_that_spell_it_out() -> None:
    """"LAB" found one course, an IT course with "hands-on labs", and none about the law."""
    index = Bm25Index([
        "Entra ID i praksis: 3 dage med hands-on labs",
        "Klar til reformen: lov om en aktiv beskæftigelsesindsats",
        "Kunstig intelligens i sagsbehandlingen",
    ])
    scores = index.scores("LAB")
    assert int(np.argmax(scores)) == 1 and scores[1] > scores[0]
    assert index.scores("kurser om KI")[2] > 0 and index.scores("ki")[2] > 0
    assert index.scores("labs")[1] == 0  # a whole word only


def test_the_abbreviation_file_is_checked_when_read(tmp_path: Path) -> None:
    from matcher.abbreviations import Abbreviations, AbbreviationsError

    good = tmp_path / "ok.yaml"
    good.write_text("abbreviations:\n  LAB: lov om en aktiv beskæftigelsesindsats; beskæftigelsesloven\n", encoding="utf-8")
    assert Abbreviations.load(good).expand("kurser om LAB") == \
        "kurser om LAB (lov om en aktiv beskæftigelsesindsats, beskæftigelsesloven)"
    for text, problem in (("abbreviations:\n  L A B: lov\n", "ok.yaml:2.*one word of letters and digits"),
                          ("abbreviations:\n  LAB: lov\n  lab: loven\n", "'lab' is listed twice"),
                          ("abbreviations:\n  LAB: ';'\n", "write the long form in words"),
                          ("abbreviation:\n  LAB: lov\n", "abbreviation")):
        bad = tmp_path / "ok.yaml"
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(AbbreviationsError, match=problem):
            Abbreviations.load(bad)


def test_the_stem_override_file_is_checked_when_read(tmp_path: Path) -> None:
    good = tmp_path / "ok.txt"
    good.write_text("# a comment\nledig: ledig ledige\n", encoding="utf-8")
    assert load_stem_overrides.__wrapped__(good) == {"ledig": "ledig", "ledige": "ledig"}
    for text, problem in (("ledig ledige\n", "write the stem, a colon"), ("ledig: Ledige\n", "not one lower-case word"),
                          ("ledig: ledige\nled: ledige\n", "'ledige' is listed twice")):
        bad = tmp_path / "bad.txt"
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(WordListError, match=problem):
            load_stem_overrides.__wrapped__(bad)


def test_word_lists_saved_by_windows_tools_are_read_or_named(tmp_path: Path) -> None:
    from matcher.keyword_search import load_stopwords

    marked = tmp_path / "marked.txt"
    marked.write_bytes("\ufeff# kommentar\nledig: ledig ledige\n".encode("utf-8"))  # Notepad's byte-order mark
    assert load_stem_overrides.__wrapped__(marked) == {"ledig": "ledig", "ledige": "ledig"}
    legacy = tmp_path / "legacy.txt"
    legacy.write_bytes("søg: søg søger\n".encode("cp1252"))
    with pytest.raises(WordListError, match="legacy.txt:1: not UTF-8 text .* save the file as UTF-8"):
        load_stem_overrides.__wrapped__(legacy)
    stop = tmp_path / "stop.txt"
    stop.write_text("og\n# kommentar\nKursus\n", encoding="utf-8")
    assert load_stopwords.__wrapped__(stop) == {"og", "kursus"}
    for line in ("i dag", "kursus, forløb"):  # never one of the index's words: refused, not ignored
        stop.write_text(f"og\n{line}\n", encoding="utf-8")
        with pytest.raises(WordListError, match=f"stop.txt:2: '{line}': one word a line"):
            load_stopwords.__wrapped__(stop)


def test_a_word_typed_without_danish_letters_finds_the_word_it_spells() -> None:
    index = Bm25Index(["Førtidspension og fleksjob", "Virksomhedsbesøg og netværksmøder", "Kursus i Aarhus"])
    assert index.scores("foertidspension")[0] > 0 and index.matched_terms("foertidspension", 0) == ["førtidspension"]
    assert index.scores("netvaerksmoeder")[1] > 0
    assert index.scores("aarhus")[2] > 0  # spelled so by the courses themselves: never re-spelled
    assert not index.scores("aeblekage").any()
    # a compound no course uses, typed so: its parts as the courses spell them (was nothing)
    parts = Bm25Index(["Sygedagpenge og opfølgning på sygemeldte", "Excel for begyndere"])
    assert parts.scores("sygedagpengeopfoelgning").tolist() == parts.scores("sygedagpengeopfølgning").tolist()
    assert parts.scores("sygedagpengeopfoelgning")[0] > 0


def test_a_slip_of_the_keyboard_finds_the_word_meant() -> None:
    index = Bm25Index(["Sygedagpenge og opfølgning", "Samarbejde med virksomheder og mentorer", "Rådgivning om uddannelse",
                       "Oplysning om rettigheder", "Trend og tal i arbejdsmarkedet", "Balance mellem krav og hjælp",
                       "Afgørelser og fastholdelse", "Trup og udenlandske kolleger"])
    for slip, course, word in (("sygedagpnge", 0, "sygedagpeng"),  # a letter left out
                               ("samarbjede", 1, "samarbejd"),  # two letters swapped
                               ("mentorrer", 1, "mentor"),  # a letter typed twice
                               ("radgivning", 2, "rådgivning"),  # a for å
                               # the slip moves where the stemmer cuts: "afgorelser" is stemmed "afgor", "afgørelser" "afgør"
                               ("afgorelser", 6, "afgør"), ("fastholdlse", 6, "fasthold")):
        scores = index.scores(slip)
        assert scores.argmax() == course and scores[course] == index.scores(word)[course] > 0, slip
        assert index.matched_terms(slip, course) == [word], slip  # the why shows the course's word
    # real words no course uses are taken as written, not turned into other words one letter off
    for word in ("oplæsning", "truende", "ubalance", "jura", "uenighed"):  # not "trup" ("trupende"), "uden"
        assert not index.scores(word).any(), word
    # a term the courses use, or a compound of words they use, is never "corrected"
    assert index.matched_terms("virksomhedsmentorer", 1) == [] and index.scores("virksomhedsmentorer")[1] > 0


def test_bm25_rare_terms_weigh_more_than_common_ones() -> None:
    docs = ["kursus om jura", "kursus om jura", "kursus om jura", "kursus om fleksjob"]
    scores = Bm25Index(docs).scores("kursus fleksjob")
    assert scores[3] > scores[0] > 0


def _catalogue(db: Path, records: list[dict], tags: dict[str, tuple[list[str], str]]) -> None:
    with write_catalogue(db, "ingest", ["test"]) as writer:
        for record in records:
            writer.upsert(Course.model_validate(record))
    with write_catalogue(db, "tag", ["test-model"]) as writer:
        for course_id, (fields, level) in tags.items():
            scores = {k: (0.9 if k in fields else 0.05) for k in FIELDS}
            writer.store_tagging(
                course_id, "test-model", writer.current_hash(course_id) or "", primary_field=fields[0] if fields else None,
                assigned_fields=fields, level=level, course_type=None,
                result={"assigned_fields": fields, "level": level, "fields": scores}, item_scores=[],
            )
            writer.store_embedding(course_id, "emb", "h", [1.0, 0.0] if fields else [0.0, 1.0])


@pytest.fixture
def index(db: Path) -> CatalogueIndex:
    records = [
        course_record(1, title="Sygedagpengeloven for specialister", location="Aarhus", price_dkk=14000.0, ects=10.0,
                      course_type="diplom", start_dates=["2027-02-01"]),
        course_record(2, title="Introduktion til sygedagpenge", location="Odense", price_dkk=3000.0,
                      start_dates=["2026-12-01", "2027-03-01"]),
        course_record(3, title="Gammelt kursus om sygedagpenge", start_dates=["2026-01-05"]),  # past
        course_record(4, title="Motiverende samtale", form="online", location=None, price_dkk=None, start_dates=[],
                      description="Samtaleteknik for jobkonsulenter.", learning_goals=[]),
        course_record(5, title="Virksomhedsservice og jobrotation", location="København", form="rekvirerbar",
                      description="Jobrotation og opkvalificering i virksomheder.", learning_goals=[],
                      start_dates=["2027-05-01"]),
    ]
    _catalogue(db, records, {
        "test-1": (["lov_myndighed"], "specialiseret"), "test-2": (["lov_myndighed"], "grundlaeggende"),
        "test-3": (["lov_myndighed"], "grundlaeggende"), "test-4": (["borgernaere_metoder"], "grundlaeggende"),
        "test-5": (["virksomhedsvendte_metoder"], "grundlaeggende"),
    })
    with open_catalogue(db) as reader:
        return CatalogueIndex.load(reader, FIELDS, embedding_model="emb")


def _ids(page) -> list[str]:
    return [hit.course.course_id for hit in page.hits]


def test_a_place_is_found_however_the_user_spells_it() -> None:
    places = {"a": "Aarhus C", "k": "København K", "l": "Ålborg", "o": "Odense"}
    courses = [Course.model_validate({"id": key, "title": f"Kursus {key}", "location": place, "form": "fysisk"})
               for key, place in places.items()]
    index = CatalogueIndex(courses, [CourseTags()] * len(courses), None, field_keys=[])
    found = lambda place: {c.course_id for c, keep in zip(courses, index.mask(CourseFilters(location=place), TODAY)) if keep}  # noqa: E731
    for typed in ("Århus", "aarhus", "8000 Aarhus C", "Aarhus N"):
        assert found(typed) == {"a"}, typed
    assert found("Koebenhavn") == found("københavn k") == {"k"}
    assert found("Aalborg") == {"l"} and found("Odense SØ") == {"o"}
    assert found("Vejle") == set()
    assert {c.course_id for c, keep in zip(courses, index.mask(CourseFilters(region="Nordjylland"), TODAY)) if keep} == {"l"}


def test_a_region_holds_its_towns_by_their_whole_names() -> None:
    places = {"hammel": "Hammel", "hammelev": "Hammelev", "aars": "Aars", "aarslev": "6200 Aarslev", "aarhus": "Aarhus C"}
    courses = [Course.model_validate({"id": key, "title": f"Kursus {key}", "location": place, "form": "fysisk"})
               for key, place in places.items()]
    index = CatalogueIndex(courses, [CourseTags()] * len(courses), None, field_keys=[])
    region = lambda name: {c.course_id for c, keep in zip(courses, index.mask(CourseFilters(region=name), TODAY)) if keep}  # noqa: E731
    assert region("Midtjylland") == {"hammel", "aarhus"}
    assert region("Nordjylland") == {"aars"}
    assert {c.course_id for c, keep in zip(courses, index.mask(CourseFilters(location="Hammel"), TODAY)) if keep} == {
        "hammel", "hammelev"}, "a place the user types may be the start of a name"


def test_a_start_window_shows_and_sorts_by_the_start_inside_it() -> None:
    courses = [
        Course.model_validate({"id": "early", "title": "Tidligt og sent", "start_dates": ["2027-02-08", "2027-09-06"]}),
        Course.model_validate({"id": "june", "title": "Juni", "start_dates": ["2027-06-14"]}),
    ]
    index = CatalogueIndex(courses, [CourseTags()] * 2, None, field_keys=[])
    page = index.search(None, CourseFilters(start_from=dt.date(2027, 6, 1)), sort="start_date", today=TODAY)
    assert [(hit.course.course_id, hit.next_start) for hit in page.hits] == [
        ("june", dt.date(2027, 6, 14)), ("early", dt.date(2027, 9, 6))]
    # without a window, the next start
    assert index.search(None, CourseFilters(), sort="start_date", today=TODAY).hits[0].next_start == dt.date(2027, 2, 8)


def test_search_finds_by_words_and_never_shows_past_courses(index: CatalogueIndex) -> None:
    page = index.search("sygedagpenge", CourseFilters(), today=TODAY)
    assert set(_ids(page)) == {"test-1", "test-2"}
    assert index.get("test-3") is not None  # still reachable by id, just not listed


def test_an_ects_budget_counts_the_days_of_a_course_that_states_no_ects() -> None:
    """A spec audit: a 40-day course (some 11 ECTS of work) passed a budget of 2 ECTS."""
    courses = [Course.model_validate({"id": c, "title": "Motiverende samtale", **facts}) for c, facts in (
        ("forty-days", {"duration_days": 40}), ("two-days", {"duration_days": 2}), ("five-ects", {"ects": 5}),
        ("unknown", {}), ("both", {"ects": 1, "duration_days": 30}))]
    index = CatalogueIndex(courses, [CourseTags()] * len(courses), None, field_keys=[])
    kept = {c.course_id for c, keep in zip(courses, index.mask(CourseFilters(max_ects=2), TODAY)) if keep}
    assert kept == {"two-days", "unknown", "both"}  # 2 days ≈ 0.5 ECTS; a stated ECTS is the course's own


def test_filters_combine(index: CatalogueIndex) -> None:
    search = lambda **f: set(_ids(index.search(None, CourseFilters(**f), today=TODAY)))  # noqa: E731
    assert search(fields=["lov_myndighed"], level="specialiseret") == {"test-1"}
    assert search(max_price=5000) == {"test-2", "test-4", "test-5"}  # unknown price passes
    assert "test-2" in search(max_price=3000) and "test-2" not in search(max_price=2999.5)  # its price is the ceiling
    assert search(region="Midtjylland") == {"test-1", "test-4", "test-5"}  # online and rekvirerbar go anywhere
    assert search(location="odense") == {"test-2", "test-4", "test-5"}
    assert search(forms=["online"]) == {"test-4"}
    assert search(max_ects=5) == {"test-2", "test-4", "test-5"}
    assert search(types=["diplom"]) == {"test-1"}
    assert search(start_before=dt.date(2027, 1, 1), include_undated=False) == {"test-2"}
    assert search(start_from=dt.date(2027, 2, 15), start_before=dt.date(2027, 4, 1), include_undated=False) == {"test-2"}


def test_next_start_is_the_first_upcoming_date_and_sorts(index: CatalogueIndex) -> None:
    page = index.search(None, CourseFilters(include_undated=False), sort="start_date", today=TODAY)
    assert _ids(page) == ["test-2", "test-1", "test-5"]
    assert page.hits[0].next_start == dt.date(2026, 12, 1)
    later = index.search(None, CourseFilters(include_undated=False), sort="start_date", today=dt.date(2026, 12, 2))
    assert later.hits[0].course.course_id == "test-1"
    assert index.search(None, CourseFilters(), today=dt.date(2026, 12, 2), per_page=2, page=2).total == 4


def test_a_start_whose_application_deadline_has_passed_is_not_offered(db: Path) -> None:
    records = [
        # the deadline is for the February start; the September one stays open
        course_record(1, start_dates=["2027-02-01", "2027-09-06"], application_deadline="2026-12-01"),
        course_record(2, start_dates=["2027-02-01"], application_deadline="2026-11-01"),  # its only start: closed
        # a page still naming a past start and its deadline: the later start is not closed by it
        course_record(3, start_dates=["2026-11-15", "2027-03-01"], application_deadline="2026-10-15"),
        course_record(4, start_dates=["2027-02-01"], application_deadline="2027-01-10"),  # still open
        course_record(5, start_dates=["2027-02-01"], application_deadline=None),
    ]
    _catalogue(db, records, {f"test-{i}": (["lov_myndighed"], "grundlaeggende") for i in range(1, 6)})
    with open_catalogue(db) as reader:
        index = CatalogueIndex.load(reader, FIELDS, embedding_model="emb")
    today = dt.date(2026, 12, 6)
    page = index.search(None, CourseFilters(include_undated=False), sort="start_date", today=today)
    assert {hit.course.course_id: hit.next_start.isoformat() for hit in page.hits} == {
        "test-1": "2027-09-06", "test-3": "2027-03-01", "test-4": "2027-02-01", "test-5": "2027-02-01"}
    assert index.open_start_dates(index.position["test-1"], today) == [dt.date(2027, 9, 6)]
    assert index.get("test-2") is not None  # still reachable by id, like a past course
    february = CourseFilters(start_before=dt.date(2027, 3, 1), include_undated=False)
    assert set(_ids(index.search(None, february, today=today))) == {"test-4", "test-5"}
    # the day before its deadline, the February start was open
    before = index.search(None, CourseFilters(), sort="start_date", today=dt.date(2026, 11, 30))
    assert {h.course.course_id for h in before.hits if h.next_start == dt.date(2027, 2, 1)} == {"test-1", "test-4", "test-5"}

def test_off_domain_courses_come_last(db: Path) -> None:
    records = [
        # off the domain (tagged, no field): it starts first and matches the words best, and comes last
        course_record(1, title="Python: data om sygedagpenge", description="Programmering i Python med sygedagpenge sygedagpenge.",
                      learning_goals=[], start_dates=["2026-11-25"]),
        course_record(2, title="Sygedagpengeloven", start_dates=["2027-02-01"]),
        course_record(3, title="Motiverende samtale", description="Samtaleteknik.", learning_goals=[], start_dates=["2027-01-10"]),
    ]
    _catalogue(db, records, {"test-1": ([], None), "test-2": (["lov_myndighed"], "grundlaeggende"),
                             "test-3": (["borgernaere_metoder"], "grundlaeggende")})
    with open_catalogue(db) as reader:
        index = CatalogueIndex.load(reader, FIELDS, embedding_model="emb")
    assert _ids(index.search(None, CourseFilters(), today=TODAY)) == ["test-3", "test-2", "test-1"]
    assert _ids(index.search("sygedagpenge", CourseFilters(), today=TODAY)) == ["test-2", "test-1"]
    assert _ids(index.search(None, CourseFilters(), sort="title", today=TODAY))[0] == "test-3"


def test_title_order(index: CatalogueIndex) -> None:
    page = index.search(None, CourseFilters(), sort="title", today=TODAY)
    assert [hit.course.course_id for hit in page.hits] == ["test-2", "test-4", "test-1", "test-5"]
    region = index.search(None, CourseFilters(region="Midtjylland"), sort="title", today=TODAY)
    assert [hit.course.course_id for hit in region.hits] == ["test-4", "test-1", "test-5"]


def test_title_order_is_the_danish_alphabet(db: Path) -> None:
    titles = ["Åben dialog med borgeren", "Økonomi for jobcentre", "Zoom-samtaler", "ældre ledige i job", "Émile og AMU"]
    _catalogue(db, [course_record(i, title=t, start_dates=["2027-02-01"]) for i, t in enumerate(titles, 1)],
               {f"test-{i}": (["lov_myndighed"], "grundlaeggende") for i in range(1, 6)})
    with open_catalogue(db) as reader:
        index = CatalogueIndex.load(reader, FIELDS, embedding_model="emb")
    page = index.search(None, CourseFilters(), sort="title", today=TODAY)
    # …, z, æ, ø, å, case and accents aside (code points would put Å before Æ and Ø, and É after Z)
    assert [hit.course.title for hit in page.hits] == [
        "Émile og AMU", "Zoom-samtaler", "ældre ledige i job", "Økonomi for jobcentre", "Åben dialog med borgeren"]


def test_impossible_or_unknown_filters_are_errors(index: CatalogueIndex) -> None:
    with pytest.raises(FilterError, match="unknown field key 'jura'"):
        index.search(None, CourseFilters(fields=["jura"]), today=TODAY)
    with pytest.raises(FilterError, match="not in the future"):
        index.search(None, CourseFilters(start_before=dt.date(2026, 1, 1)), today=TODAY)
    with pytest.raises(ValidationError, match="start window is empty"):
        CourseFilters(start_from=dt.date(2027, 5, 1), start_before=dt.date(2027, 1, 1))
    with pytest.raises(ValidationError, match="unknown region 'Jylland'"):
        CourseFilters(region="Jylland")
    with pytest.raises(ValidationError):
        CourseFilters(forms=["hybrid"])


def test_index_carries_tags_and_vectors(index: CatalogueIndex) -> None:
    hit = index.get("test-1")
    assert hit is not None and hit.tags.assigned_fields == ("lov_myndighed",) and hit.tags.level == "specialiseret"
    assert index.vectors.shape == (5, 2) and index.has_vector.all()
    assert index.providers() == [("Testhøjskolen", 5)]
