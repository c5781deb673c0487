"""Measuring field and level tagging against a labelled set, with scikit-learn's metrics."""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support
from sklearn.model_selection import GroupKFold, KFold, StratifiedGroupKFold, StratifiedKFold

from matcher.course import COURSE_TYPES, MAX_ECTS
from matcher.json_lines import json_objects, validation_problems
from matcher.taxonomy import LEVELS
from matcher.text import text_language

MAX_FIELDS = 3  # LABELLING.md: 0–3 fields, best first



class LabelledCourse(BaseModel):
    """One line of a labels file: tag input (`id`, `title`, `text`) plus the gold `fields` and `level`."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    id: str = Field(min_length=1)
    title: str = ""
    text: str = Field(min_length=1)
    course_type: str | None = None
    ects: float | None = Field(default=None, gt=0, le=MAX_ECTS)
    url: str | None = None
    provider: str | None = None
    fields: list[str]
    level: str | None

    @field_validator("level")
    @classmethod
    def _known_level(cls, value: str | None) -> str | None:
        if value is not None and value not in LEVELS:
            raise ValueError(f"must be one of {', '.join(LEVELS)} or null")
        return value

    @field_validator("course_type")
    @classmethod
    def _known_type(cls, value: str | None) -> str | None:
        value = (value or "").lower() or None  # "" is no type; "Diplom" is diplom
        if value is not None and value not in COURSE_TYPES:  # the tagger's level reads it: a typo must not pass
            raise ValueError(f"must be one of {', '.join(COURSE_TYPES)} or null")
        return value


class LabelsError(ValueError):
    """A labels file that cannot be used; names the line and the problem."""


def load_labels(path: Path | str, field_keys: Sequence[str]) -> list[LabelledCourse]:
    """Read a labels file (JSON Lines); `description` is accepted for `text`. Unknown, repeated or more
    than MAX_FIELDS field keys, a level without fields or fields without one, and an id used twice are errors."""
    path = Path(path)
    items = []
    seen: dict[str, int] = {}
    for number, raw in json_objects(path, LabelsError, what="labels file"):
        if "text" not in raw and "description" in raw:
            raw["text"] = raw["description"]
        try:
            item = LabelledCourse.model_validate(raw)
        except ValidationError as exc:
            raise LabelsError(f"{path}:{number}: {validation_problems(exc)}") from None
        unknown = [key for key in item.fields if key not in field_keys]
        if unknown:
            raise LabelsError(f"{path}:{number}: unknown field key(s) {', '.join(unknown)}")
        if len(set(item.fields)) < len(item.fields):
            raise LabelsError(f"{path}:{number}: a field key is given twice in {item.fields}")
        if len(item.fields) > MAX_FIELDS:
            raise LabelsError(f"{path}:{number}: {len(item.fields)} fields; a course has at most {MAX_FIELDS}, best first")
        if item.fields and item.level is None:
            raise LabelsError(f"{path}:{number}: an in-domain course (fields given) needs a level")
        if not item.fields and item.level is not None:
            raise LabelsError(f"{path}:{number}: an off-domain course (no fields) has no level: give null")
        if item.id in seen:
            raise LabelsError(f"{path}:{number}: id {item.id!r} is also on line {seen[item.id]}")
        seen[item.id] = number
        items.append(item)
    if not items:
        raise LabelsError(f"{path}: no labelled courses")
    return items


@dataclass
class Prediction:
    """What any tagger or baseline predicts for one course."""

    assigned_fields: list[str]
    level: str | None

    @property
    def primary_field(self) -> str | None:
        return self.assigned_fields[0] if self.assigned_fields else None


class System(Protocol):
    """A tagger or baseline: fitted on labelled courses, then predicting fields and level."""

    name: str

    def fit(self, labelled: Sequence[LabelledCourse]) -> System: ...

    def predict(self, items: Sequence[LabelledCourse]) -> list[Prediction]: ...


def provider_group(item: Any) -> str:
    """The provider a course (a LabelledCourse or a catalogue Course) belongs to, for grouping folds:
    the site's domain (its last two labels, so a university's faculties and portals are one provider),
    else the provider's name, else the course itself."""
    url = getattr(item, "url", None)
    host = (urlsplit(url).hostname or "") if url else ""
    if host:
        return ".".join(host.lower().removeprefix("www.").split(".")[-2:])
    own_id = getattr(item, "id", None) or getattr(item, "course_id", "")
    return (getattr(item, "provider", None) or "").strip().lower() or f"id:{own_id}"


def language(text: str) -> str:
    """`da` or `en`, by which language's commonest words the text uses more (Danish on a tie)."""
    return text_language(text) or "da"


def grouped_folds(labelled: Sequence[LabelledCourse], folds: int = 5, seed: int = 0) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(train, test) positions of k folds with no provider in both parts (provider_group), stratified
    by primary field (off-domain as its own class) as far as the groups allow."""
    strata = [item.fields[0] if item.fields else "" for item in labelled]
    groups = [provider_group(item) for item in labelled]
    providers = len(set(groups))
    if providers < folds:
        raise LabelsError(f"the labelled courses come from {providers} provider(s): cross-validation grouped by "
                          f"provider needs at least as many as folds ({folds}); use fewer folds")
    if max(Counter(strata).values()) < folds:  # no field has a course in every fold: group only
        yield from GroupKFold(folds, shuffle=True, random_state=seed).split(strata, strata, groups)
        return
    yield from _stratified(StratifiedGroupKFold(folds, shuffle=True, random_state=seed), strata, groups)


def stratified_folds(labelled: Sequence[LabelledCourse], folds: int = 5, seed: int = 0) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(train, test) positions of k folds, stratified by primary field (off-domain as its own
    class), so every fold holds every field."""
    strata = [item.fields[0] if item.fields else "" for item in labelled]
    if len(labelled) < folds:
        raise LabelsError(f"{len(labelled)} labelled course(s) cannot be split into {folds} folds; use fewer folds")
    if max(Counter(strata).values()) < folds:
        yield from KFold(folds, shuffle=True, random_state=seed).split(strata)
        return
    yield from _stratified(StratifiedKFold(folds, shuffle=True, random_state=seed), strata)


def _stratified(splitter: Any, strata: list[str], groups: list[str] | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """The splitter's folds, without its warning about fields with fewer courses than folds: those
    are spread as far as they go, which is what stratifying "as far as the groups allow" means."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The least populated class", category=UserWarning)
        return list(splitter.split(strata, strata, groups))


def cross_validated_predictions(
    make_system: Callable[[], System], labelled: Sequence[LabelledCourse], folds: int = 5, seed: int = 0,
    *, by_provider: bool = False, fit: Callable[[Any, list[LabelledCourse]], System] | None = None,
    scored_as: Callable[[LabelledCourse], LabelledCourse] | None = None,
) -> list[Prediction]:
    """Each course predicted by a fresh system fitted on the other folds (`stratified_folds`, or with
    `by_provider` `grouped_folds`, where no provider is in both the fitting and the scored part).
    `fit(system, part)` fits a system on a fold's part where plain `system.fit(part)` is not enough;
    `scored_as(course)` is what the system is shown of a scored course (`without_stated_type`)."""
    predictions: list[Prediction | None] = [None] * len(labelled)
    split = grouped_folds if by_provider else stratified_folds
    for train, test in split(labelled, folds, seed):
        part = [labelled[i] for i in train]
        system = fit(make_system(), part) if fit else make_system().fit(part)
        shown = [scored_as(labelled[i]) if scored_as else labelled[i] for i in test]
        for i, prediction in zip(test, system.predict(shown)):
            predictions[i] = prediction
    return [p for p in predictions if p is not None]


def without_stated_type(course: LabelledCourse) -> LabelledCourse:
    """The course as a crawled page that states no type: the tagger reads the type from its words and
    URL, as it does for such a page. A labeller's type (a university course is `grunduddannelse`, a
    guide `other`) says more than most pages do, and the level leans on it."""
    return course.model_copy(update={"course_type": None})


def score(gold: Sequence[LabelledCourse], predicted: Sequence[Prediction], field_keys: Sequence[str]) -> dict[str, Any]:
    """Per-field precision/recall/F1, macro-F1, primary-field and level accuracy, off-domain precision/recall.

    Primary-field and level accuracy are over the gold in-domain courses. Off-domain is the positive
    class "gets no field": precision is the share of courses given no field that are truly
    off-domain, recall the share of off-domain courses given no field."""
    keys = list(field_keys)
    y_true = np.array([[key in g.fields for key in keys] for g in gold], dtype=int).reshape(len(gold), len(keys))
    y_pred = np.array([[key in p.assigned_fields for key in keys] for p in predicted], dtype=int).reshape(len(gold), len(keys))
    precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred, zero_division=0)
    # A field no course has and none is given is no miss: macro-F1 is over the fields that occur
    # (None where none does, as in a part of off-domain courses only).
    occurring = [j for j in range(len(keys)) if y_true[:, j].any() or y_pred[:, j].any()]
    in_domain = [i for i, g in enumerate(gold) if g.fields]
    off_true = [not g.fields for g in gold]
    off_pred = [not p.assigned_fields for p in predicted]
    off_precision, off_recall, _, _ = precision_recall_fscore_support(
        off_true, off_pred, average="binary", pos_label=True, zero_division=0
    )
    # None where a figure has nothing to be over (no in-domain course; none given no field; none off-domain)
    return {
        "n": len(gold),
        "n_in_domain": len(in_domain),
        "per_field": {
            key: {"precision": float(precision[i]), "recall": float(recall[i]), "f1": float(f1[i]), "support": int(support[i])}
            for i, key in enumerate(keys)
        },
        "macro_f1": float(f1_score(y_true, y_pred, average="macro", labels=occurring, zero_division=0)) if occurring else None,
        "primary_accuracy": float(
            accuracy_score([gold[i].fields[0] for i in in_domain], [str(predicted[i].primary_field) for i in in_domain])
        ) if in_domain else None,
        "level_accuracy": float(
            accuracy_score([gold[i].level for i in in_domain], [str(predicted[i].level) for i in in_domain])
        ) if in_domain else None,
        "off_domain_precision": float(off_precision) if any(off_pred) else None,
        "off_domain_recall": float(off_recall) if any(off_true) else None,
    }


def format_report(results: dict[str, dict[str, Any]], field_keys: Sequence[str]) -> str:
    """Side-by-side table of several systems' scores (system name → score())."""
    names = list(results)
    width = max(12, *(len(n) for n in names))
    header = f"{'':<34}" + "".join(f"{name:>{width + 2}}" for name in names)
    lines = [header, "-" * len(header)]

    def row(label: str, values: list[float | None]) -> None:
        lines.append(f"{label:<34}" + "".join(f"{v:>{width + 2}.3f}" if v is not None else f"{'—':>{width + 2}}" for v in values))

    for key in field_keys:
        for metric in ("precision", "recall", "f1"):
            row(f"{key} {metric[0].upper()}", [results[n]["per_field"][key][metric] for n in names])
    lines.append("-" * len(header))
    for metric, label in (
        ("macro_f1", "macro-F1"),
        ("primary_accuracy", "primary-field accuracy"),
        ("level_accuracy", "level accuracy"),
        ("off_domain_precision", "off-domain precision"),
        ("off_domain_recall", "off-domain recall"),
    ):
        row(label, [results[n][metric] for n in names])
    lines.append(f"(n = {results[names[0]]['n']} courses)")
    return "\n".join(lines)


def breakdown(
    gold: Sequence[LabelledCourse], predicted: Sequence[Prediction], field_keys: Sequence[str], sources: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """score() over parts of the courses: each source file, course type and language (when more than one)."""
    keys = {
        "file": list(sources),
        "type": [item.course_type or "unknown" for item in gold],
        "language": [language(f"{item.title} {item.text}") for item in gold],
    }
    parts: dict[str, dict[str, Any]] = {}
    for kind, values in keys.items():
        for value in sorted(set(values)):
            idx = [i for i, v in enumerate(values) if v == value]
            parts[f"{kind} {value}"] = score([gold[i] for i in idx], [predicted[i] for i in idx], field_keys)
    return parts


def format_breakdown(parts: dict[str, dict[str, Any]]) -> str:
    """One line per part: its size and the headline figures (— where a part has no such course)."""
    lines = [f"{'tagger by part':<34}{'n':>5}{'in':>5}{'macro-F1':>10}{'primary':>9}{'level':>7}{'off P':>7}{'off R':>7}"]

    def cell(value: float | None, width: int, digits: int = 2) -> str:
        return f"{value:>{width}.{digits}f}" if value is not None else f"{'—':>{width}}"

    for name, s in parts.items():
        lines.append(
            f"{name:<34}{s['n']:>5}{s['n_in_domain']:>5}{cell(s['macro_f1'], 10, 3)}{cell(s['primary_accuracy'], 9)}"
            f"{cell(s['level_accuracy'], 7)}{cell(s['off_domain_precision'], 7)}{cell(s['off_domain_recall'], 7)}"
        )
    return "\n".join(lines)
