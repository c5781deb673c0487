"""Scoring and cross-validation of taggers, with a stand-in system (no model needed)."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from matcher.evaluation import LabelledCourse, Prediction, cross_validated_predictions, score

KEYS = ["lov_myndighed", "it_digital"]


def course(i: int, fields: list[str], level: str | None) -> LabelledCourse:
    return LabelledCourse(id=f"c{i}", title=f"Kursus {i}", text=f"tekst {i}", fields=fields, level=level)


LABELLED = (
    [course(i, ["lov_myndighed"], "specialiseret") for i in range(10)]
    + [course(i, ["it_digital"], "grundlaeggende") for i in range(10, 20)]
    + [course(i, [], None) for i in range(20, 30)]
)


class Memoriser:
    """Predicts the gold labels of courses it was fitted on, and nothing for others."""

    name = "memoriser"
    fitted_on: list[list[str]] = []

    def fit(self, labelled: Sequence[LabelledCourse]) -> "Memoriser":
        self.known = {item.id: item for item in labelled}
        Memoriser.fitted_on.append(sorted(self.known))
        return self

    def predict(self, items: Sequence[LabelledCourse]) -> list[Prediction]:
        return [
            Prediction(self.known[i.id].fields, self.known[i.id].level) if i.id in self.known else Prediction([], None)
            for i in items
        ]


def test_cross_validation_never_predicts_a_course_with_a_system_fitted_on_it() -> None:
    Memoriser.fitted_on = []
    predicted = cross_validated_predictions(Memoriser, LABELLED, folds=5)
    # A memoriser that saw the test course would score perfectly; out of fold it knows nothing.
    assert all(p.assigned_fields == [] for p in predicted)
    assert len(predicted) == len(LABELLED) and len(Memoriser.fitted_on) == 5
    # Every fold's training part holds every class: stratified by primary field.
    for fitted in Memoriser.fitted_on:
        assert len(fitted) == 24
        assert {LABELLED[int(i[1:])].fields[0] if LABELLED[int(i[1:])].fields else "" for i in fitted} == {
            "lov_myndighed", "it_digital", ""}
    result = score(LABELLED, predicted, KEYS)
    assert result["macro_f1"] == 0.0 and result["off_domain_recall"] == 1.0


def test_cross_validated_predictions_line_up_with_the_courses() -> None:
    class Oracle(Memoriser):
        def predict(self, items: Sequence[LabelledCourse]) -> list[Prediction]:
            return [Prediction(i.fields, i.level) for i in items]

    predicted = cross_validated_predictions(Oracle, LABELLED, folds=3)
    assert [p.assigned_fields for p in predicted] == [c.fields for c in LABELLED]
    assert score(LABELLED, predicted, KEYS)["macro_f1"] == 1.0


def test_macro_f1_averages_the_fields_that_occur_not_those_no_course_has() -> None:
    # A part of the courses (English pages, one course type) often holds only some fields: a perfect
    # tagger there had scored 0.5, the fields no course had counting as F1 0.
    lov = [course(i, ["lov_myndighed"], "specialiseret") for i in range(4)]
    off = [course(i, [], None) for i in range(4, 6)]
    perfect = [Prediction(c.fields, c.level) for c in lov + off]
    assert score(lov + off, perfect, KEYS)["macro_f1"] == 1.0
    wrong = perfect[:3] + [Prediction(["it_digital"], "grundlaeggende")] + perfect[4:]  # a field given that no course has
    assert score(lov + off, wrong, KEYS)["macro_f1"] == pytest.approx((6 / 7 + 0.0) / 2)
    assert score(off, perfect[4:], KEYS)["macro_f1"] is None  # off-domain courses only: no field to score
    # a figure with nothing to be over is None ("—"), not 0.000
    only_off = score(off, perfect[4:], KEYS)
    assert only_off["primary_accuracy"] is None and only_off["level_accuracy"] is None and only_off["off_domain_recall"] == 1.0
    only_in = score(lov, perfect[:4], KEYS)
    assert only_in["off_domain_precision"] is None and only_in["off_domain_recall"] is None
    from matcher.evaluation import format_report

    assert [line.split()[-1] for line in format_report({"tagger": only_in}, KEYS).splitlines() if "off-domain" in line] == ["—", "—"]


def test_labels_the_rules_forbid_are_refused_with_the_line(tmp_path) -> None:
    from matcher.evaluation import LabelsError, load_labels

    written = tmp_path / "written.jsonl"  # a type written in capitals, or left empty, is read
    written.write_text('{"id": "a", "text": "x", "course_type": "Diplom", "fields": [], "level": null}\n'
                       '{"id": "b", "text": "x", "course_type": "", "fields": [], "level": null}\n', encoding="utf-8")
    assert [c.course_type for c in load_labels(written, KEYS)] == ["diplom", None]

    good = '{"id": "a", "text": "x", "fields": ["lov_myndighed"], "level": "specialiseret"}'
    for line, problem in (
        ('{"id": "b", "text": "x", "fields": [], "level": "grundlaeggende"}', "an off-domain course .* has no level"),
        ('{"id": "b", "text": "x", "fields": ["it_digital", "it_digital"], "level": "grundlaeggende"}', "a field key is given twice"),
        ('{"id": "b", "text": "x", "fields": ["it_digital", "lov_myndighed", "netvaerk_facilitering", '
         '"borgernaere_metoder"], "level": "grundlaeggende"}', "4 fields; a course has at most 3"),
        ('{"id": "a", "text": "y", "fields": [], "level": null}', "id 'a' is also on line 1"),
        ('{"id": "b", "text": "x", "course_type": "e-learning", "fields": [], "level": null}',
         "course_type: must be one of diplom, akademi, master, kursus, amu, grunduddannelse, other"),
        ("id,text,fields", "not valid JSON.*a labels file is JSON Lines"),
        ('{"id": "b", "text": "x", "ects": -5, "fields": [], "level": null}', "ects: Input should be greater than 0"),
    ):
        path = tmp_path / "labels.jsonl"
        path.write_text(f"{good}\n{line}\n", encoding="utf-8")
        with pytest.raises(LabelsError, match=f"labels.jsonl:2: {problem}"):
            load_labels(path, [*KEYS, "netvaerk_facilitering", "borgernaere_metoder"])


def test_folds_and_train_together_are_refused(run_cli, tmp_path) -> None:
    labels = tmp_path / "labels.jsonl"
    labels.write_text('{"id": "a", "text": "x", "fields": [], "level": null}\n', encoding="utf-8")
    result = run_cli("evaluate", "--labels", str(labels), "--folds", "5", "--train", str(labels))
    assert result.exit_code != 0 and "leave out --train" in result.stderr


def test_grouped_folds_keep_each_provider_on_one_side() -> None:
    from matcher.evaluation import grouped_folds, provider_group

    # Two pages per provider; a university's faculties share one domain and so one group.
    hosts = ["kurser.uni.dk", "efteruddannelse.kurser.uni.dk", "www.akademi.dk", "akademi.dk", "vejledning.dk"]
    labelled = [
        LabelledCourse(id=f"p{i}", text="t", url=f"https://{hosts[i % 5]}/kursus/{i}",
                       fields=[] if i % 3 == 0 else ["lov_myndighed"], level=None if i % 3 == 0 else "specialiseret")
        for i in range(30)
    ] + [LabelledCourse(id="named", text="t", provider="Kursushuset", fields=[], level=None)]
    assert provider_group(labelled[0]) == provider_group(labelled[1]) == "uni.dk"
    assert provider_group(labelled[2]) == provider_group(labelled[3]) == "akademi.dk"
    assert provider_group(labelled[-1]) == "kursushuset"
    seen = 0
    for train, test in grouped_folds(labelled, folds=3):
        assert not {provider_group(labelled[i]) for i in train} & {provider_group(labelled[i]) for i in test}
        seen += len(test)
    assert seen == len(labelled)



def _pages(hosts: list[str], fields: list[list[str]]) -> list[LabelledCourse]:
    return [LabelledCourse(id=f"p{i}", text="t", url=f"https://{host}/kursus/{i}", fields=f,
                           level="grundlaeggende" if f else None)
            for i, (host, f) in enumerate(zip(hosts, fields))]


def test_grouped_folds_refuse_fewer_providers_than_folds() -> None:
    from matcher.evaluation import LabelsError, grouped_folds

    pages = _pages(["a.dk", "b.dk"] * 6, [["lov_myndighed"], []] * 6)
    with pytest.raises(LabelsError, match=r"come from 2 provider\(s\).*at least as many as folds \(5\); use fewer folds"):
        list(grouped_folds(pages, folds=5))


def test_a_small_set_is_split_by_provider_without_a_warning_when_no_field_fills_every_fold() -> None:
    import warnings

    from matcher.evaluation import grouped_folds, provider_group

    # Seven providers, and no field (nor off-domain) with five courses: stratifying cannot work.
    keys = ["lov_myndighed", "it_digital", "borgernaere_metoder"]
    pages = _pages([f"u{i % 7}.dk" for i in range(12)], [[keys[i % 3]] if i % 4 else [] for i in range(12)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # sklearn's "least populated class" warning would fail here
        folds = list(grouped_folds(pages, folds=5))
    assert len(folds) == 5 and sorted(i for _, test in folds for i in test) == list(range(12))
    for train, test in folds:
        assert not {provider_group(pages[i]) for i in train} & {provider_group(pages[i]) for i in test}
    # A field with fewer courses than folds, beside one with enough, is spread without a warning too.
    mixed = _pages([f"u{i}.dk" for i in range(12)], [["lov_myndighed"]] * 9 + [["it_digital"]] * 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(list(grouped_folds(mixed, folds=5))) == 5


def test_evaluate_with_more_folds_than_providers_says_so(run_cli, tmp_path) -> None:
    labels = tmp_path / "labels.jsonl"
    lines = [{"id": f"c{i}", "url": f"https://{'a' if i % 2 else 'b'}.dk/{i}", "text": "Forvaltningsret for sagsbehandlere",
              "fields": ["lov_myndighed"], "level": "grundlaeggende"} for i in range(6)]
    labels.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    result = run_cli("evaluate", "--labels", str(labels), "--folds", "3")
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip() == ("error: the labelled courses come from 2 provider(s): cross-validation grouped by "
                                     "provider needs at least as many as folds (3); use fewer folds")

def test_language_tells_danish_from_english() -> None:
    from matcher.evaluation import language

    assert language("Kurset giver viden om forvaltningsret, og du lærer at skrive afgørelser til borgerne.") == "da"
    assert language("The course gives students an understanding of the law and of the rules for public bodies.") == "en"


def test_breakdown_scores_each_file_type_and_language() -> None:
    from matcher.evaluation import breakdown, format_breakdown

    items = [LabelledCourse(id="a", text="Kurset er for alle og om det", course_type="kursus", fields=["lov_myndighed"],
                            level="grundlaeggende"),
             LabelledCourse(id="b", text="The course is for all of the staff", course_type="master", fields=[], level=None)]
    parts = breakdown(items, [Prediction(["lov_myndighed"], "grundlaeggende"), Prediction([], None)], KEYS, ["x.jsonl", "y.jsonl"])
    assert set(parts) == {"file x.jsonl", "file y.jsonl", "type kursus", "type master", "language da", "language en"}
    assert parts["type kursus"]["level_accuracy"] == 1.0 and parts["language en"]["off_domain_recall"] == 1.0
    table = format_breakdown(parts)
    assert "type master" in table and "—" in table  # no in-domain course there: no primary or level figure


def test_read_types_shows_the_scored_courses_without_their_labelled_type_and_fits_with_it() -> None:
    from matcher.evaluation import without_stated_type

    class TypeReader:
        """Specialised when shown a master's type, basic otherwise; remembers the types it saw."""

        name = "type reader"
        fitted: list[str | None] = []

        def fit(self, labelled: Sequence[LabelledCourse]) -> "TypeReader":
            TypeReader.fitted += [item.course_type for item in labelled]
            return self

        def predict(self, items: Sequence[LabelledCourse]) -> list[Prediction]:
            return [Prediction(["lov_myndighed"], "specialiseret" if i.course_type == "master" else "grundlaeggende")
                    for i in items]

    masters = [LabelledCourse(id=f"m{i}", text="Modul om forvaltningsret", course_type="master",
                              url=f"https://u{i}.dk/m", fields=["lov_myndighed"], level="specialiseret") for i in range(6)]
    given = cross_validated_predictions(TypeReader, masters, folds=3, by_provider=True)
    read = cross_validated_predictions(TypeReader, masters, folds=3, by_provider=True, scored_as=without_stated_type)
    assert score(masters, given, KEYS)["level_accuracy"] == 1.0
    assert score(masters, read, KEYS)["level_accuracy"] == 0.0
    assert set(TypeReader.fitted) == {"master"}  # the fitting part keeps its labelled types
    assert masters[0].course_type == "master"  # the labels themselves are untouched
