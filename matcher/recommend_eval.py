"""Measuring recommendations for free-text gaps against graded relevance (eval/README.md).

Each query line: `{"id", "query", "relevance": {course_id: grade 0–3}}` (plus optional `field`,
`level`, `note`). The recommender is scored side by side with plain BM25 (DuckDB full-text search
over the same course text) and plain embedding similarity, with scikit-learn's nDCG. Recall@10 and
MRR count a course as relevant from grade 2 ("clearly useful").
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sklearn.metrics import ndcg_score

from matcher.catalogue_index import CatalogueIndex, CourseFilters, document_text
from matcher.json_lines import json_objects, validation_problems
from matcher.recommend import Recommender
from matcher.store import connect_duckdb

RELEVANT_GRADE = 2
DEPTH = 10


class GradedQuery(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    id: str = Field(min_length=1)
    query: str = Field(min_length=1)
    field: str | None = None
    level: str | None = None
    relevance: dict[str, int] = Field(min_length=1)


class QueriesError(ValueError):
    """A queries file that cannot be used; names the line and the problem."""


def load_queries(path: Path | str) -> list[GradedQuery]:
    """Read a graded queries file (JSON Lines, one `GradedQuery` per line)."""
    path = Path(path)
    queries = []
    for number, record in json_objects(path, QueriesError):
        try:
            query = GradedQuery.model_validate(record)
        except ValidationError as exc:
            raise QueriesError(f"{path}:{number}: {validation_problems(exc)}") from None
        bad = {k: v for k, v in query.relevance.items() if v not in (0, 1, 2, 3)}
        if bad:
            raise QueriesError(f"{path}:{number}: grades must be 0–3, got {bad}")
        queries.append(query)
    if not queries:
        raise QueriesError(f"{path}: no queries")
    return queries


Ranker = Callable[[str], list[str]]


def recommender_ranker(recommender: Recommender, depth: int = DEPTH) -> Ranker:
    def rank(query: str) -> list[str]:
        gap = recommender.gap_from_text(query)
        positions = recommender.rank(gap, CourseFilters(), top=depth)
        return [recommender.index.courses[i].course_id for i, _, _ in positions]

    return rank


def embedding_ranker(recommender: Recommender, depth: int = DEPTH) -> Ranker:
    """Plain similarity of the query (as an e5 query) to each course's embedding."""
    index = recommender.index

    def rank(query: str) -> list[str]:
        sims = index.vectors @ recommender.tagger.embedder.embed_queries([query])[0]
        return [index.courses[i].course_id for i in np.argsort(-sims, kind="stable")[:depth]]

    return rank


def bm25_ranker(index: CatalogueIndex, depth: int = DEPTH) -> Ranker:
    """Plain BM25: DuckDB full-text search with the Danish stemmer over the courses' text."""
    con = connect_duckdb(":memory:")
    con.execute("LOAD fts")
    con.execute("CREATE TABLE doc (id VARCHAR, text VARCHAR)")
    con.executemany("INSERT INTO doc VALUES (?, ?)", [[c.course_id, document_text(c)] for c in index.courses])
    con.execute("PRAGMA create_fts_index('doc', 'id', 'text', stemmer = 'danish', stopwords = 'none')")

    def rank(query: str) -> list[str]:
        rows = con.execute(
            "SELECT id FROM (SELECT id, fts_main_doc.match_bm25(id, ?) AS s FROM doc) WHERE s IS NOT NULL "
            "ORDER BY s DESC, id LIMIT ?",
            [query, depth],
        ).fetchall()
        return [row[0] for row in rows]

    return rank


def score_rankings(queries: Sequence[GradedQuery], rankings: Sequence[list[str]], catalogue_ids: Sequence[str]) -> dict[str, float]:
    """nDCG@5, nDCG@10, recall@10 and MRR (relevant: grade ≥ 2), averaged over the queries."""
    position = {course_id: i for i, course_id in enumerate(catalogue_ids)}
    ndcg5, ndcg10, recall, rr = [], [], [], []
    for query, ranking in zip(queries, rankings):
        gains = np.zeros(len(catalogue_ids))
        for course_id, grade in query.relevance.items():
            if course_id in position:
                gains[position[course_id]] = grade
        scores = np.zeros(len(catalogue_ids))
        for rank, course_id in enumerate(ranking):
            scores[position[course_id]] = len(ranking) - rank  # unranked courses tie at 0, below all ranked
        ndcg5.append(ndcg_score([gains], [scores], k=5))
        ndcg10.append(ndcg_score([gains], [scores], k=10))
        relevant = {c for c, g in query.relevance.items() if g >= RELEVANT_GRADE and c in position}
        found = [c for c in ranking[:DEPTH] if c in relevant]
        recall.append(len(found) / len(relevant) if relevant else 0.0)
        first = next((r for r, c in enumerate(ranking, start=1) if c in relevant), None)
        rr.append(1.0 / first if first else 0.0)
    return {
        "ndcg@5": float(np.mean(ndcg5)), "ndcg@10": float(np.mean(ndcg10)),
        "recall@10": float(np.mean(recall)), "mrr": float(np.mean(rr)), "queries": len(queries),
    }


def check_queries(queries: Sequence[GradedQuery], catalogue_ids: Sequence[str]) -> list[str]:
    """Graded course ids the catalogue lacks: the queries were graded over another catalogue."""
    known = set(catalogue_ids)
    return sorted({c for q in queries for c in q.relevance if c not in known})


def evaluate(recommender: Recommender, queries: Sequence[GradedQuery]) -> dict[str, dict[str, float]]:
    """The recommender and both baselines on the same queries."""
    ids = [c.course_id for c in recommender.index.courses]
    systems: dict[str, Ranker] = {
        "recommender": recommender_ranker(recommender),
        "bm25": bm25_ranker(recommender.index),
        "embedding": embedding_ranker(recommender),
    }
    return {name: score_rankings(queries, [rank(q.query) for q in queries], ids) for name, rank in systems.items()}


def format_report(results: dict[str, dict[str, float]]) -> str:
    metrics = ["ndcg@5", "ndcg@10", "recall@10", "mrr"]
    lines = [f"{'system':<14}" + "".join(f"{m:>11}" for m in metrics)]
    for name, values in results.items():
        lines.append(f"{name:<14}" + "".join(f"{values[m]:>11.3f}" for m in metrics))
    base = results.get("bm25", {}).get("ndcg@5")
    if base:
        lines.append(f"recommender nDCG@5 / BM25 nDCG@5 = {results['recommender']['ndcg@5'] / base:.2f}")
    lines.append(f"queries: {next(iter(results.values()))['queries']}")
    return "\n".join(lines) + "\n"


def to_json(results: dict[str, dict[str, float]]) -> str:
    return json.dumps(results, indent=2)
