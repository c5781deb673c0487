"""Scoring and cross-validation of taggers, with a stand-in system (no model needed)."""

from __future__ import annotations

from collections.abc import Sequence

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


def test_folds_and_train_together_are_refused(run_cli, tmp_path) -> None:
    labels = tmp_path / "labels.jsonl"
    labels.write_text('{"id": "a", "text": "x", "fields": [], "level": null}\n', encoding="utf-8")
    result = run_cli("evaluate", "--labels", str(labels), "--folds", "5", "--train", str(labels))
    assert result.exit_code != 0 and "leave out --train" in result.stderr
