"""Measuring recommendations for free-text gaps against graded relevance (eval/README.md).

Each query line: `{"id", "query", "relevance": {course_id: grade 0–3}}` (plus optional `field`,
`level`, `note`, and `constraints`: the user's constraints, as `CourseFilters`, e.g.
`{"types": ["diplom"]}` or `{"max_ects": 5}`). The recommender is scored side by side with plain
BM25 (DuckDB full-text search over the same course text) and plain embedding similarity; a query's
constraints narrow all three to the same courses. nDCG@k (linear gains, the grades; log2 discount)
reads each system's ranked list only: a course it did not rank earns nothing. Recall@10 and MRR
(first relevant course within the top 10) count a course as relevant from grade 2 ("clearly useful").

The catalogue may also be a file of labelled course pages (such as ../shared/real-courses/
labelled.jsonl: `id`, `url`, `provider`, `title`, `text`, `course_type`, `ects` and the gold
labels), converted to course records at run time (`labelled_pages_feed`); nothing of it is stored.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError

from matcher import clock
from matcher.catalogue_index import CatalogueIndex, CourseFilters, document_text
from matcher.course import COURSE_TYPES, Course
from matcher.json_lines import json_objects, validation_problems
from matcher.recommend import Recommender
from matcher.store import connect_duckdb
from matcher.taxonomy import LEVELS

RELEVANT_GRADE = 2
DEPTH = 10


class GradedQuery(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    id: str = Field(min_length=1)
    query: str = Field(min_length=1)
    field: str | None = None
    level: str | None = None
    constraints: CourseFilters | None = None
    relevance: dict[str, StrictInt] = Field(min_length=1)  # a grade of true or 2.0 is a mistake, not 1 or 2


class QueriesError(ValueError):
    """A queries file that cannot be used; names the line and the problem."""


def load_queries(path: Path | str, field_keys: Sequence[str] | None = None) -> list[GradedQuery]:
    """Read a graded queries file (JSON Lines, one `GradedQuery` per line). Grades outside 0–3, a
    level or (given `field_keys`) a field the framework does not have, and an id used twice are errors."""
    path = Path(path)
    queries = []
    seen: dict[str, int] = {}
    for number, record in json_objects(path, QueriesError, what="queries file"):
        try:
            query = GradedQuery.model_validate(record)
        except ValidationError as exc:
            raise QueriesError(f"{path}:{number}: {validation_problems(exc)}") from None
        bad = {k: v for k, v in query.relevance.items() if v not in (0, 1, 2, 3)}
        if bad:
            raise QueriesError(f"{path}:{number}: grades must be 0–3, got {bad}")
        if query.level is not None and query.level not in LEVELS:
            raise QueriesError(f"{path}:{number}: level {query.level!r} is none of {', '.join(LEVELS)}")
        if field_keys is not None and query.field is not None and query.field not in field_keys:
            raise QueriesError(f"{path}:{number}: field {query.field!r} is none of the framework's: {', '.join(field_keys)}")
        if query.id in seen:
            raise QueriesError(f"{path}:{number}: id {query.id!r} is also on line {seen[query.id]}")
        seen[query.id] = number
        queries.append(query)
    if not queries:
        raise QueriesError(f"{path}: no queries")
    return queries


# A ranker ranks the courses that pass a query's constraints (None: no constraints) for its words.
Ranker = Callable[[str, "CourseFilters | None"], list[str]]


def recommender_ranker(recommender: Recommender, depth: int = DEPTH, today: dt.date | None = None) -> Ranker:
    """The recommender, with the query's constraints as the user's filters."""

    def rank(query: str, constraints: CourseFilters | None = None) -> list[str]:
        gap = recommender.gap_from_text(query)
        positions = recommender.rank(gap, constraints or CourseFilters(), top=depth, today=today or clock.today())
        return [recommender.index.courses[i].course_id for i, _, _ in positions]

    return rank


def _allowed(index: CatalogueIndex, constraints: CourseFilters | None, today: dt.date | None) -> np.ndarray | None:
    """The courses a baseline may rank: those the recommender's filters keep."""
    return None if constraints is None else index.mask(constraints, today or clock.today())


def embedding_ranker(recommender: Recommender, depth: int = DEPTH, today: dt.date | None = None) -> Ranker:
    """Plain similarity of the query (as an e5 query) to each course's embedding."""
    index = recommender.index

    def rank(query: str, constraints: CourseFilters | None = None) -> list[str]:
        allowed = _allowed(index, constraints, today)
        sims = index.vectors @ recommender.tagger.embedder.embed_queries([query])[0]
        order = [i for i in np.argsort(-sims, kind="stable") if allowed is None or allowed[i]]
        return [index.courses[i].course_id for i in order[:depth]]

    return rank


def bm25_ranker(index: CatalogueIndex, depth: int = DEPTH, today: dt.date | None = None) -> Ranker:
    """Plain BM25: DuckDB full-text search with the Danish stemmer over the courses' text."""
    con = connect_duckdb(":memory:")
    con.execute("LOAD fts")
    con.execute("CREATE TABLE doc (id VARCHAR, text VARCHAR)")
    con.executemany("INSERT INTO doc VALUES (?, ?)", [[c.course_id, document_text(c)] for c in index.courses])
    con.execute("PRAGMA create_fts_index('doc', 'id', 'text', stemmer = 'danish', stopwords = 'none')")
    ids = [c.course_id for c in index.courses]

    def rank(query: str, constraints: CourseFilters | None = None) -> list[str]:
        allowed = _allowed(index, constraints, today)
        keep = None if allowed is None else {ids[i] for i in np.flatnonzero(allowed)}
        rows = con.execute(
            "SELECT id FROM (SELECT id, fts_main_doc.match_bm25(id, ?) AS s FROM doc) WHERE s IS NOT NULL "
            "ORDER BY s DESC, id",
            [query],
        ).fetchall()
        return [row[0] for row in rows if keep is None or row[0] in keep][:depth]

    return rank


def ndcg(ranking: Sequence[str], relevance: dict[str, int], k: int, catalogue: set[str] | frozenset[str]) -> float:
    """nDCG@k of a ranked list: its graded courses' gains (the grades) discounted by log2(rank + 1),
    over the best possible order of the query's grades for courses in the catalogue; 0 where none is
    graded above 0. A shorter list than k earns nothing for the places it leaves empty (scikit-learn's
    `ndcg_score`, given a score per course, had credited the unranked courses, all tied, on average)."""
    ideal = sorted((g for c, g in relevance.items() if c in catalogue and g > 0), reverse=True)[:k]
    best = sum(g / np.log2(rank + 2) for rank, g in enumerate(ideal))
    if not best:
        return 0.0
    return float(sum(relevance.get(c, 0) / np.log2(rank + 2) for rank, c in enumerate(ranking[:k])) / best)


def query_scores(query: GradedQuery, ranking: list[str], catalogue: set[str] | frozenset[str]) -> dict[str, float]:
    """nDCG@5, nDCG@10, recall@10 and reciprocal rank within the top 10 (relevant: grade ≥ 2) of one
    query's ranking (course ids, best first) over a catalogue of these course ids."""
    relevant = {c for c, g in query.relevance.items() if g >= RELEVANT_GRADE and c in catalogue}
    found = [c for c in ranking[:DEPTH] if c in relevant]
    first = next((r for r, c in enumerate(ranking[:DEPTH], start=1) if c in relevant), None)
    return {
        "ndcg@5": ndcg(ranking, query.relevance, 5, catalogue), "ndcg@10": ndcg(ranking, query.relevance, 10, catalogue),
        "recall@10": len(found) / len(relevant) if relevant else 0.0, "mrr": 1.0 / first if first else 0.0,
    }


METRICS = ("ndcg@5", "ndcg@10", "recall@10", "mrr")


def mean_scores(per_query: Sequence[dict[str, float]]) -> dict[str, float]:
    """`query_scores` averaged over the queries."""
    return {**{metric: float(np.mean([s[metric] for s in per_query])) for metric in METRICS}, "queries": len(per_query)}


def per_query_report(
    queries: Sequence[GradedQuery], rankings: dict[str, list[list[str]]], scores: dict[str, list[dict[str, float]]],
) -> list[dict[str, Any]]:
    """Each query's nDCG@5 for every system (`scores`: each system's `query_scores` per query) and the
    recommender's top five with their grades (0 where ungraded), worst first: what to read when
    looking for what the system gets wrong."""
    rows = []
    for i, query in enumerate(queries):
        rows.append({
            "id": query.id, "query": query.query, "field": query.field, "level": query.level,
            **{f"{name}_ndcg@5": per_system[i]["ndcg@5"] for name, per_system in scores.items()},
            "top5": [[course_id, query.relevance.get(course_id, 0)] for course_id in rankings["recommender"][i][:5]],
        })
    return sorted(rows, key=lambda row: (row["recommender_ndcg@5"], row["id"]))


def check_queries(queries: Sequence[GradedQuery], catalogue_ids: Sequence[str] | set[str]) -> list[str]:
    """Each query that grades courses the catalogue lacks, as "id: course, course" (the queries were
    graded over another catalogue)."""
    known = set(catalogue_ids)
    problems = []
    for query in queries:
        if missing := sorted(c for c in query.relevance if c not in known):
            problems.append(f"{query.id}: {', '.join(missing[:5])}" + (f" and {len(missing) - 5} more" if len(missing) > 5 else ""))
    return problems


def query_notes(queries: Sequence[GradedQuery]) -> list[str]:
    """What a reader of the figures should know about the queries: one with no course graded above 0
    scores 0 for every system, and lowers every mean alike."""
    return [f"{q.id}: no course is graded above 0, so every system scores 0 on it"
            for q in queries if not any(g > 0 for g in q.relevance.values())]


def evaluate(
    recommender: Recommender, queries: Sequence[GradedQuery], today: dt.date | None = None, *, per_query: bool = False,
) -> dict[str, Any]:
    """The recommender and both baselines on the same queries, each query's constraints applied to
    all three alike (the baselines rank the courses `CatalogueIndex.mask` keeps for them). With
    `per_query`, also `"per_query"`: `per_query_report`'s rows."""
    rankings = rank_all(recommender, queries, today)
    catalogue = frozenset(course.course_id for course in recommender.index.courses)
    scores = {name: [query_scores(q, ranking, catalogue) for q, ranking in zip(queries, ranked)] for name, ranked in rankings.items()}
    results: dict[str, Any] = {name: mean_scores(per_system) for name, per_system in scores.items()}
    if per_query:
        results["per_query"] = per_query_report(queries, rankings, scores)
    return results


def rank_all(recommender: Recommender, queries: Sequence[GradedQuery], today: dt.date | None = None) -> dict[str, list[list[str]]]:
    """Each system's ranking (course ids, best first) for each query."""
    systems: dict[str, Ranker] = {
        "recommender": recommender_ranker(recommender, today=today),
        "bm25": bm25_ranker(recommender.index, today=today),
        "embedding": embedding_ranker(recommender, today=today),
    }
    return {name: [rank(q.query, q.constraints) for q in queries] for name, rank in systems.items()}


def is_labelled_pages(path: Path) -> bool:
    """Whether a catalogue file holds labelled course pages (JSON Lines whose first object has a
    `text` and gold `fields`, no `description`) rather than course records (JSON Lines or CSV)."""
    if not path.is_file():
        return False
    try:
        first = next(json_objects(path, QueriesError), None)
    except QueriesError:  # not JSON Lines (a CSV feed), or broken: read as a feed, which says what is wrong
        return False
    return first is not None and "text" in first[1] and "fields" in first[1] and "description" not in first[1]


def labelled_pages_feed(path: Path) -> list[dict[str, Any]]:
    """Labelled course pages as course records: id, url, provider, title and the text as the
    description, with the course type and ECTS where the page states them; the gold labels are left
    out (a catalogue does not know them)."""
    records = []
    for number, page in json_objects(path, QueriesError):
        record = {
            "id": page.get("id"), "url": page.get("url"), "provider": page.get("provider"), "title": page.get("title"),
            "description": page.get("text"),
            "course_type": page.get("course_type") if page.get("course_type") in COURSE_TYPES else None,
            "ects": page.get("ects"),
        }
        try:
            Course.model_validate(record)
        except ValidationError as exc:
            raise QueriesError(f"{path}:{number}: not a course page: {validation_problems(exc)}") from None
        records.append(record)
    if not records:
        raise QueriesError(f"{path}: no course pages")
    return records


def format_report(results: dict[str, Any]) -> str:
    systems = {name: values for name, values in results.items() if name != "per_query"}
    lines = [f"{'system':<14}" + "".join(f"{m:>11}" for m in METRICS)]
    for name, values in systems.items():
        lines.append(f"{name:<14}" + "".join(f"{values[m]:>11.3f}" for m in METRICS))
    base = systems.get("bm25", {}).get("ndcg@5")
    if base:
        lines.append(f"recommender nDCG@5 / BM25 nDCG@5 = {systems['recommender']['ndcg@5'] / base:.2f}")
    lines.append(f"queries: {next(iter(systems.values()))['queries']}")
    if "per_query" in results:
        lines += ["", "per query, worst first: nDCG@5 recommender / BM25 / embedding; the recommender's top 5 as id:grade"]
        for row in results["per_query"]:
            lines.append(f"{row['id']:<14} {row['recommender_ndcg@5']:.2f} {row['bm25_ndcg@5']:.2f} {row['embedding_ndcg@5']:.2f}"
                         f"  {row['query']}")
            lines.append(" " * 15 + "  ".join(f"{course_id}:{grade}" for course_id, grade in row["top5"]))
    return "\n".join(lines) + "\n"


def to_json(results: dict[str, Any]) -> str:
    return json.dumps(results, indent=2, ensure_ascii=False)
