"""How well two gradings of the same queries agree: each grading's order of the pages, scored by nDCG@5
against the other's grades (ties in any order, as scikit-learn averages them), and the share of
pages either graded that both gave the same grade.

Usage: python eval/grader_agreement.py FIRST.jsonl SECOND.jsonl CATALOGUE.jsonl

The catalogue file only gives the ids of the pages (a page neither graded counts as grade 0 for both);
a real-pages file such as ../shared/real-courses/labelled.jsonl is read for its ids alone.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from sklearn.metrics import ndcg_score

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from matcher.recommend_eval import load_queries  # noqa: E402


def graded_gains(relevance: dict[str, int], position: dict[str, int]) -> np.ndarray:
    """A query's grades as one row over the catalogue (`position`: course id → column), 0 where ungraded."""
    gains = np.zeros(len(position))
    for course_id, grade in relevance.items():
        if course_id in position:
            gains[position[course_id]] = grade
    return gains


def agreement(first: Path, second: Path, catalogue: Path) -> dict[str, float]:
    """nDCG@5 of each grading's order judged by the other, and exact and within-one grade agreement."""
    ids = [json.loads(line)["id"] for line in catalogue.read_text(encoding="utf-8").splitlines() if line.strip()]
    position = {course_id: i for i, course_id in enumerate(ids)}
    a, b = ({q.id: q.relevance for q in load_queries(path)} for path in (first, second))
    if set(a) != set(b):
        raise SystemExit(f"the two files grade different queries: {sorted(set(a) ^ set(b))[:5]}")
    unknown = sorted({c for grades in (a, b) for q in grades.values() for c in q if c not in position})
    if unknown:
        raise SystemExit(f"graded courses not in {catalogue}: {', '.join(unknown[:5])}")

    first_by_second = [ndcg_score([graded_gains(a[q], position)], [graded_gains(b[q], position)], k=5) for q in a]
    second_by_first = [ndcg_score([graded_gains(b[q], position)], [graded_gains(a[q], position)], k=5) for q in a]
    pairs = np.array([(a[q].get(c, 0), b[q].get(c, 0)) for q in a for c in set(a[q]) | set(b[q])])
    return {
        "queries": len(a), "ndcg@5 second's order, first's grades": float(np.mean(first_by_second)),
        "ndcg@5 first's order, second's grades": float(np.mean(second_by_first)),
        "pages graded by either": len(pairs), "same grade": float(np.mean(pairs[:, 0] == pairs[:, 1])),
        "within one grade": float(np.mean(np.abs(pairs[:, 0] - pairs[:, 1]) <= 1)),
    }


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    for name, value in agreement(*(Path(p) for p in sys.argv[1:])).items():
        print(f"{name:40s} {value:.3f}" if isinstance(value, float) else f"{name:40s} {value}")
