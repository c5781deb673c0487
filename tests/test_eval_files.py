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


SECOND_LABELLING = EVAL / "real-pages-second-labelling.jsonl"


def test_the_second_labelling_of_the_real_pages_holds_labels_only() -> None:
    from matcher.taxonomy import load_taxonomy

    keys = set(load_taxonomy().field_keys)
    rows = [json.loads(line) for line in SECOND_LABELLING.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert all(set(row) == {"id", "fields", "level"} for row in rows)  # no text of the pages
    assert all(set(row["fields"]) <= keys and len(row["fields"]) <= 3 for row in rows)
    assert all((row["level"] is None) == (not row["fields"]) for row in rows)
    if REAL_PAGES.is_file():
        assert [row["id"] for row in rows] == [json.loads(line)["id"] for line in REAL_PAGES.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_labeller_agreement_scores_the_second_labelling_by_the_first(tmp_path: Path) -> None:
    import subprocess
    import sys

    first = tmp_path / "first.jsonl"
    # every field once (a field no page has would score F1 0 for both, as `fagmatch evaluate` counts it)
    pages = [("p1", ["lov_myndighed", "netvaerk_facilitering"], "grundlaeggende", "Forvaltningsret i samarbejdet på tværs."),
             ("p2", ["it_digital", "arbejdsmarked_uddannelse"], "grundlaeggende", "GDPR i vejledningen om uddannelse."),
             ("p3", [], None, "Regnskab og bogføring for små virksomheder."),
             ("p4", ["borgernaere_metoder", "virksomhedsvendte_metoder"], "specialiseret",
              "Motivationssamtalen og virksomhedskontakten for erfarne rådgivere.")]
    first.write_text("".join(json.dumps({"id": i, "text": t, "fields": f, "level": lv}) + "\n" for i, f, lv, t in pages),
                     encoding="utf-8")
    script = Path(__file__).parents[1] / "eval" / "labeller_agreement.py"

    def run(second: list[dict]) -> subprocess.CompletedProcess[str]:
        path = tmp_path / "second.jsonl"
        path.write_text("".join(json.dumps(row) + "\n" for row in second), encoding="utf-8")
        return subprocess.run([sys.executable, str(script), str(first), str(path)], capture_output=True, text=True)

    def figure(out: str, name: str) -> list[str]:
        return next(line[34:].split() for line in out.splitlines() if line.startswith(name))

    same = run([{"id": i, "fields": f, "level": lv} for i, f, lv, _ in pages])
    assert same.returncode == 0 and figure(same.stdout, "macro-F1") == ["1.000", "1.000"]
    # the second calls the GDPR page off-domain and reads the conversation course as basic
    other = run([{"id": "p1", "fields": ["lov_myndighed", "netvaerk_facilitering"], "level": "grundlaeggende"},
                 {"id": "p2", "fields": [], "level": None}, {"id": "p3", "fields": [], "level": None},
                 {"id": "p4", "fields": ["borgernaere_metoder", "virksomhedsvendte_metoder"], "level": "grundlaeggende"}])
    assert figure(other.stdout, "off-domain precision") == ["0.500", "1.000"]
    assert figure(other.stdout, "level accuracy") == ["0.333", "0.500"]  # of the first's three in-domain pages; of the second's two
    assert figure(other.stdout, "macro-F1") == ["0.667", "0.667"]  # it_digital and arbejdsmarked_uddannelse missed
    refused = run([{"id": "p9", "fields": [], "level": None}])
    assert refused.returncode == 1 and "'p9' is not a page of the first labelling" in refused.stderr
    missing = run([{"id": "p1", "fields": ["lov_myndighed", "netvaerk_facilitering"], "level": "grundlaeggende"}])
    assert missing.returncode == 1 and "no second label for 3 page(s)" in missing.stderr
