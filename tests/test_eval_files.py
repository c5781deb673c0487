"""The shipped evaluation query files load, and grade only courses of the catalogue they were graded over."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from matcher.recommend_eval import load_queries

EVAL = Path(__file__).parents[1] / "eval"
REAL_PAGES = Path(__file__).parents[2] / "shared" / "real-courses" / "labelled.jsonl"
QUERY_FILES = sorted(EVAL.glob("recommend-queries-*.jsonl"))


def _ids(path: Path) -> set[str]:
    return {json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}


def test_every_query_set_is_found() -> None:
    assert {p.name for p in QUERY_FILES} >= {"recommend-queries-dev.jsonl", *(f"recommend-queries-real{suffix}.jsonl"
                                                                         for suffix in ("", "-2", "-3", "-4"))}


@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda p: p.name)
def test_a_query_set_loads_with_unique_ids_and_graded_courses_of_its_catalogue(path: Path) -> None:
    queries = load_queries(path)  # constraints are validated here: unknown course types are refused
    assert len({q.id for q in queries}) == len(queries)
    graded = {course_id for q in queries for course_id in q.relevance}
    if "real" in path.name:
        # graded over the real pages, which stay outside the repository: the file holds their ids only
        assert all(course_id.startswith("r-") for course_id in graded)
        assert all("note" not in json.loads(line) for line in path.read_text(encoding="utf-8").splitlines())
        if REAL_PAGES.is_file():
            assert graded <= _ids(REAL_PAGES)
    else:
        assert graded <= _ids(EVAL / "recommend-catalogue.jsonl")


def test_grader_agreement_scores_one_grading_by_the_other(tmp_path: Path) -> None:
    import subprocess
    import sys

    catalogue = tmp_path / "catalogue.jsonl"
    catalogue.write_text("".join(json.dumps({"id": f"c{i}"}) + "\n" for i in range(8)), encoding="utf-8")

    def grading(name: str, relevance: dict[str, int]) -> Path:
        path = tmp_path / name
        path.write_text(json.dumps({"id": "q1", "query": "forvaltningsret", "relevance": relevance}) + "\n", encoding="utf-8")
        return path

    first = grading("first.jsonl", {"c0": 3, "c1": 2, "c2": 1})
    script = Path(__file__).parents[1] / "eval" / "grader_agreement.py"

    def run(second: Path) -> dict[str, str]:
        out = subprocess.run([sys.executable, str(script), str(first), str(second), str(catalogue)],
                             capture_output=True, text=True, check=True).stdout
        return {line[:40].strip(): line[40:].strip() for line in out.splitlines()}

    same = run(grading("same.jsonl", {"c0": 3, "c1": 2, "c2": 1}))
    assert same["ndcg@5 second's order, first's grades"] == "1.000" and same["same grade"] == "1.000"
    swapped = run(grading("swapped.jsonl", {"c0": 1, "c1": 2, "c2": 3, "c3": 1}))
    assert float(swapped["ndcg@5 second's order, first's grades"]) < 0.8
    assert swapped["pages graded by either"] == "4" and swapped["same grade"] == "0.250"
    elsewhere = grading("elsewhere.jsonl", {"c0": 3, "x9": 2})  # graded over another catalogue
    refused = subprocess.run([sys.executable, str(script), str(first), str(elsewhere), str(catalogue)],
                             capture_output=True, text=True)
    assert refused.returncode == 1 and refused.stderr.strip() == f"graded courses not in {catalogue}: x9"
