"""The real pages that ship as vectors: what is kept of them, how the tagger fits on them, and that a
model they were not embedded with leaves them out instead of mixing two vector spaces."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from matcher.evaluation import load_labels
from matcher.real_courses import REAL_SET, RealSetError, build_real_set, load_real_set, shipped_examples
from matcher.tagging import Tagger
from tests.conftest import write_jsonl

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def taxonomy():
    from matcher.taxonomy import load_taxonomy

    return load_taxonomy()


@pytest.fixture(scope="module")
def embedder():
    from matcher.embeddings import Embedder

    return Embedder.load()


@pytest.fixture(scope="module")
def tagger(taxonomy, embedder) -> Tagger:
    return Tagger.default(taxonomy, embedder)

PAGES = [
    {"id": "p-law", "url": "https://jura.example.dk/forvaltningsret", "title": "Forvaltningsret for offentligt ansatte",
     "text": "Kurset gennemgår partshøring, aktindsigt, begrundelse og klagevejledning i afgørelser, "
             "så du kan træffe lovlige afgørelser i din forvaltning.", "course_type": "kursus", "ects": None,
     "fields": ["lov_myndighed"], "level": "grundlaeggende"},
    {"id": "p-master", "url": "https://uni.example.dk/master/vejledning", "title": "Master i vejledning, modul 2",
     "text": "Modulet giver indgående forståelse af karrierevejledningens teorier og metoder og af vejledning "
             "af voksne på arbejdsmarkedet.", "course_type": "master", "ects": 10,
     "fields": ["arbejdsmarked_uddannelse", "borgernaere_metoder"], "level": "specialiseret"},
    {"id": "p-wound", "url": "https://sund.example.dk/saar", "title": "Sårpleje i hjemmeplejen",
     "text": "Kurset for sygeplejersker om sårheling, forbindinger og forebyggelse af tryksår.", "course_type": "kursus",
     "ects": None, "fields": [], "level": None},
]


def test_the_real_set_keeps_vectors_and_labels_never_the_texts(embedder, taxonomy, tmp_path: Path) -> None:
    labels = write_jsonl(tmp_path / "pages.jsonl", PAGES)
    out = tmp_path / "real.npz"
    tagger = Tagger(taxonomy, embedder)
    assert build_real_set(labels, tagger, out) == 3
    with np.load(out, allow_pickle=False) as data:
        stored = {key: data[key] for key in data.files}
    strings = [str(v) for key, a in stored.items() if a.dtype.kind == "U" and key != "meta" for v in a.ravel()]
    assert not any(page["text"][:40] in s or page["title"] in s for page in PAGES for s in strings)
    assert list(stored["groups"]) == ["example.dk"] * 3
    ids, groups, examples = load_real_set(tagger, out)
    assert ids == ["p-law", "p-master", "p-wound"]
    assert [ex.fields for ex in examples] == [p["fields"] for p in PAGES]
    assert examples[1].ects == 10 and examples[0].ects is None and not examples[0].framework_style
    # The stored vectors give the tagger the same evidence as the texts do (to float16 rounding).
    fresh = tagger.examples(load_labels(labels, taxonomy.field_keys))
    for a, b in zip(examples, fresh):
        assert np.allclose(a.evidence.best_per_statement, b.evidence.best_per_statement, atol=2e-3)
        assert np.allclose(a.evidence.topic_margins, b.evidence.topic_margins, atol=2e-3)
        assert a.counts == b.counts


def test_a_set_from_another_model_is_left_out_with_a_warning(embedder, taxonomy, tmp_path: Path) -> None:
    labels = write_jsonl(tmp_path / "pages.jsonl", PAGES)
    out = tmp_path / "real.npz"
    tagger = Tagger(taxonomy, embedder)
    build_real_set(labels, tagger, out)
    with np.load(out) as data:
        stored = {key: data[key] for key in data.files}
    meta = json.loads(str(stored["meta"]))
    np.savez(out, **{**stored, "meta": np.array(json.dumps({**meta, "model_version": "another-model@1"}))})
    with pytest.raises(RealSetError, match="another-model@1"):
        load_real_set(tagger, out)
    # A set made before a cue list was added (fewer count columns) is named, not half read.
    # It is refused with one message, not also warned about as a set from other cue words.
    np.savez(out, **{**stored, "counts": stored["counts"][:, :3],
                     "meta": np.array(json.dumps({**meta, "cues_digest": "older-cues"}))})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(RealSetError, match="other cue counts.*build-real-set"):
            load_real_set(tagger, out)
    # counts from an earlier cue list are used, with what to do where the labelled pages are
    np.savez(out, **{**stored, "meta": np.array(json.dumps({**meta, "cues_digest": "older-cues"}))})
    with pytest.warns(UserWarning, match=r"earlier tagging_cues.yaml; the tagger learns from them as counted then"):
        assert len(load_real_set(tagger, out)[2]) == len(stored["ids"])
    np.savez(out, **{**stored, "meta": np.array(json.dumps({**meta, "model_version": "another-model@1"}))})
    with pytest.warns(UserWarning, match="tagging without the real pages"):
        assert shipped_examples(tagger, out) == []
    with pytest.raises(RealSetError, match="no such file"):
        build_real_set(tmp_path / "missing.jsonl", tagger, out)
    # A broken labels file is named with its line, and the set already there is left as it was.
    before = out.read_bytes()
    broken = write_jsonl(tmp_path / "broken.jsonl", [{**PAGES[0], "fields": ["jura"]}])
    with pytest.raises(RealSetError, match="broken.jsonl:1: unknown field key"):
        build_real_set(broken, tagger, out)
    assert out.read_bytes() == before


def test_the_shipped_set_holds_real_pages_of_many_providers(embedder, taxonomy) -> None:
    ids, groups, examples = load_real_set(Tagger(taxonomy, embedder), REAL_SET)
    assert len(ids) >= 200 and len(set(groups)) >= 50
    assert any(ex.fields for ex in examples) and any(not ex.fields for ex in examples)
    # ids, provider domains and field keys only: nothing as long as a sentence of a page.
    with np.load(REAL_SET, allow_pickle=False) as data:
        assert all(len(str(v)) < 120 for key in data.files if key != "meta" and data[key].dtype.kind == "U"
                   for v in data[key].ravel())


def test_pages_for_a_wide_public_are_in_the_domain_and_near_misses_are_not(tagger) -> None:
    from matcher.tagging import CourseText

    gdpr = CourseText("gdpr", "Persondataret og GDPR for offentligt ansatte",
                      "E-læring om behandlingsgrundlag, tavshedspligt, de registreredes rettigheder og sikker "
                      "håndtering af personoplysninger i dit daglige arbejde i en offentlig myndighed.", "other")
    hr = CourseText("hr", "Rekruttering og onboarding af nye medarbejdere i din virksomhed",
                    "Lær at skrive stillingsopslag, styrke jeres employer branding, gennemføre ansættelsessamtaler "
                    "og tage godt imod nye kolleger i egen organisation.", "kursus")
    gdpr_tags, hr_tags = tagger.tag([gdpr, hr])
    assert gdpr_tags.primary_field == "it_digital" and gdpr_tags.level == "grundlaeggende"
    assert hr_tags.assigned_fields == []


def test_a_university_course_is_specialised_and_a_professional_bachelor_basic(tagger) -> None:
    # Both have the course type `grunduddannelse`: which education the page belongs to decides the level
    # (LABELLING.md), read from words such as "kandidatuddannelsen" and "professionsbachelor".
    from matcher.tagging import CourseText

    university = CourseText("uni", "Socialret (Københavns Universitet, valgfag på kandidatuddannelsen i jura)",
                            "Faget behandler de sociale myndigheders pligter, borgerens retsstilling og klageadgang "
                            "efter serviceloven og aktivloven, og den juridiske metode i sociale sager.",
                            "grunduddannelse")
    bachelor = CourseText("pb", "Socialrådgiveruddannelsen, professionsbachelor (deltid)",
                          "Uddannelsen giver dig viden om socialt arbejde, socialret og samtalen med borgere, og "
                          "du kommer i praktik i en kommune. Du bliver professionsbachelor i socialt arbejde.",
                          "grunduddannelse")
    university_tags, bachelor_tags = tagger.tag([university, bachelor])
    assert "lov_myndighed" in university_tags.assigned_fields and university_tags.level == "specialiseret"
    assert bachelor_tags.assigned_fields and bachelor_tags.level == "grundlaeggende"


def test_the_cues_say_which_education_a_page_belongs_to() -> None:
    from matcher.tagging import TaggingCues

    counts = TaggingCues.load().count("Valgfag på kandidatuddannelsen, Aalborg Universitet. Professionsbachelor i "
                                      "socialt arbejde fra en professionshøjskole. MSc elective, University College.")
    assert counts["university"] >= 4 and counts["first_education"] >= 3


def test_a_command_says_a_warning_of_ours_in_one_plain_line(capsys: pytest.CaptureFixture[str]) -> None:
    from service.cli import _say_warning

    _say_warning(UserWarning("real-courses.npz: made with an earlier tagging_cues.yaml"), UserWarning, "/x/real_courses.py", 96)
    assert capsys.readouterr().err == "warning: real-courses.npz: made with an earlier tagging_cues.yaml\n"
    _say_warning(DeprecationWarning("old"), DeprecationWarning, "/x/lib.py", 3)  # a library's: where it comes from
    assert capsys.readouterr().err.startswith("/x/lib.py:3: DeprecationWarning: old")
