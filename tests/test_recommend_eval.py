"""The recommendation figures themselves: nDCG, recall and MRR of a ranked list, and the queries
file's checks (no model, no catalogue)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import ndcg_score

from matcher.recommend_eval import GradedQuery, QueriesError, load_queries, query_notes, query_scores

CATALOGUE = frozenset(f"c{i}" for i in range(20))


def test_a_ranked_list_earns_only_for_the_courses_it_ranks() -> None:
    query = GradedQuery(id="q", query="x", relevance={"c1": 3, "c2": 2, "c3": 1})
    # ranking nothing earns nothing (scikit-learn's ndcg_score over tied scores had given it 0.12)
    assert query_scores(query, [], CATALOGUE) == {"ndcg@5": 0.0, "ndcg@10": 0.0, "recall@10": 0.0, "mrr": 0.0}
    # one course, graded 2, first: its gain over the ideal order's, whatever the unranked courses hold
    short = query_scores(query, ["c2"], CATALOGUE)
    ideal = 3 + 2 / np.log2(3) + 1 / 2
    assert short["ndcg@5"] == pytest.approx(2 / ideal) and short["mrr"] == 1.0 and short["recall@10"] == 0.5
    # a full list of ten scores as scikit-learn scores it, with no ties to average
    ranking = ["c5", "c3", "c1", "c7", "c2", "c8", "c9", "c10", "c11", "c12"]
    gains = np.array([[query.relevance.get(f"c{i}", 0) for i in range(20)]])
    scores = np.array([[10 - ranking.index(f"c{i}") if f"c{i}" in ranking else -1 for i in range(20)]])
    full = query_scores(query, ranking, CATALOGUE)
    assert full["ndcg@5"] == pytest.approx(ndcg_score(gains, scores, k=5))
    assert full["ndcg@10"] == pytest.approx(ndcg_score(gains, scores, k=10))
    assert full["mrr"] == pytest.approx(1 / 3)  # the first course graded 2 or more is third
    # a relevant course past the tenth place is not found (recall@10, MRR within the top ten)
    late = query_scores(query, [f"c{i}" for i in range(10, 20)] + ["c1"], CATALOGUE)
    assert late["mrr"] == 0.0 and late["recall@10"] == 0.0


def test_queries_the_file_cannot_mean_are_refused_with_the_line(tmp_path: Path) -> None:
    good = {"id": "q1", "query": "sygedagpenge", "relevance": {"c1": 3}}
    for line, problem in (
        ({**good, "id": "q1"}, "id 'q1' is also on line 1"),
        ({**good, "id": "q2", "level": "avanceret"}, "level 'avanceret' is none of grundlaeggende, specialiseret"),
        ({**good, "id": "q2", "field": "lov_og_myndighed"}, "field 'lov_og_myndighed' is none of the framework's"),
        ({**good, "id": "q2", "relevance": {"c1": 4}}, "grades must be 0–3"),
        ({**good, "id": "q2", "relevance": {"c1": True}}, "relevance.c1: Input should be a valid integer"),
    ):
        path = tmp_path / "queries.jsonl"
        path.write_text(json.dumps(good) + "\n" + json.dumps(line) + "\n", encoding="utf-8")
        with pytest.raises(QueriesError, match=f"queries.jsonl:2: {problem}"):
            load_queries(path, ["lov_myndighed", "it_digital"])
    path.write_text("id,query\nq1,sygedagpenge\n", encoding="utf-8")
    with pytest.raises(QueriesError, match="queries.jsonl:1: not valid JSON.*a queries file is JSON Lines"):
        load_queries(path)


def test_a_query_with_nothing_graded_above_0_is_named() -> None:
    queries = [GradedQuery(id="q1", query="x", relevance={"c1": 3}), GradedQuery(id="q2", query="y", relevance={"c1": 0})]
    assert query_notes(queries) == ["q2: no course is graded above 0, so every system scores 0 on it"]
