"""How well a second, independent labelling of the same pages agrees with the first: the second scored
against the first as if it were a tagger (and the other way round), with the figures `fagmatch evaluate`
prints. It tells how high a tagger can be expected to score by these labelling rules.

Usage: python eval/labeller_agreement.py FIRST.jsonl SECOND.jsonl

FIRST is a labels file as `fagmatch evaluate` reads it (e.g. ../shared/real-courses/labelled.jsonl).
SECOND holds one line per page of FIRST: {"id", "fields" (primary first, [] off-domain), "level"},
without the page's text, so it may live in the repository.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from matcher.evaluation import LabelledCourse, LabelsError, Prediction, format_report, load_labels, score  # noqa: E402
from matcher.taxonomy import load_taxonomy  # noqa: E402


def load_second(path: Path, first: list[LabelledCourse], field_keys: list[str]) -> list[LabelledCourse]:
    """The second labelling, in the first's order, each with the first's text (which `score` never reads)."""
    by_id = {item.id: item for item in first}
    second: dict[str, LabelledCourse] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        raw = json.loads(line)
        if raw.get("id") not in by_id:
            raise LabelsError(f"{path}:{number}: {raw.get('id')!r} is not a page of the first labelling")
        unknown = [key for key in raw.get("fields", []) if key not in field_keys]
        if unknown:
            raise LabelsError(f"{path}:{number}: unknown field key(s) {', '.join(unknown)}")
        if bool(raw.get("fields")) != (raw.get("level") is not None):
            raise LabelsError(f"{path}:{number}: an in-domain page needs a level, an off-domain page none")
        second[raw["id"]] = LabelledCourse(id=raw["id"], text=by_id[raw["id"]].text, fields=raw["fields"], level=raw["level"])
    missing = [item.id for item in first if item.id not in second]
    if missing:
        raise LabelsError(f"{path}: no second label for {len(missing)} page(s), e.g. {', '.join(missing[:5])}")
    return [second[item.id] for item in first]


def agreement(first_path: Path, second_path: Path) -> dict[str, dict]:
    """score() of the second labelling against the first, and of the first against the second."""
    keys = load_taxonomy().field_keys
    first = load_labels(first_path, keys)
    second = load_second(second_path, first, keys)
    as_prediction = lambda items: [Prediction(list(item.fields), item.level) for item in items]  # noqa: E731
    return {"second, judged by first": score(first, as_prediction(second), keys),
            "first, judged by second": score(second, as_prediction(first), keys)}


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    try:
        results = agreement(Path(sys.argv[1]), Path(sys.argv[2]))
    except LabelsError as exc:
        raise SystemExit(str(exc)) from None
    print(format_report(results, load_taxonomy().field_keys))
