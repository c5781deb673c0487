"""The hand-made JSON Lines files of the CLI (labels, graded queries, courses to tag) reject a bad
line by file and line number, whatever the file is for."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from matcher.evaluation import LabelsError, load_labels
from matcher.recommend_eval import QueriesError, load_queries
from matcher.tag_files import TagInputError, read_tag_input
from matcher.taxonomy import load_taxonomy

QUERY = {"id": "q1", "query": "sygedagpengeloven", "relevance": {"c1": 3}}
LABEL = {"id": "c1", "title": "Sygedagpengeloven", "text": "Reglerne om sygedagpenge.", "fields": ["lov_myndighed"],
         "level": "specialiseret"}
COURSE = {"id": "c1", "title": "Sygedagpengeloven", "text": "Reglerne om sygedagpenge."}


def _read(kind: str, path: Path) -> list:
    if kind == "queries":
        return load_queries(path)
    if kind == "labels":
        return load_labels(path, load_taxonomy().field_keys)
    return read_tag_input(path)


READERS = [("queries", QUERY, QueriesError), ("labels", LABEL, LabelsError), ("tag", COURSE, TagInputError)]


@pytest.mark.parametrize(("kind", "good", "error"), READERS)
@pytest.mark.parametrize(
    ("third_line", "message"),
    [
        (b'{"id": "x", ', r"in\.jsonl:3: not valid JSON: .*column"),
        (b'["a list"]', r"in\.jsonl:3: a line must be a JSON object"),
    ],
)
def test_a_bad_line_is_named_by_file_and_line(tmp_path: Path, kind: str, good: dict, error: type, third_line: bytes,
                                              message: str) -> None:
    path = tmp_path / "in.jsonl"
    # a BOM and a blank line are fine; the broken third line is not
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(good).encode() + b"\n\n" + third_line + b"\n")
    with pytest.raises(error, match=message):
        _read(kind, path)
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(good).encode() + b"\n\n")
    assert len(_read(kind, path)) == 1


@pytest.mark.parametrize(("kind", "good", "error"), READERS)
def test_a_file_that_is_missing_or_not_utf8_is_refused(tmp_path: Path, kind: str, good: dict, error: type) -> None:
    with pytest.raises(error, match="no such file"):
        _read(kind, tmp_path / "missing.jsonl")
    latin1 = tmp_path / "latin1.jsonl"
    latin1.write_bytes(json.dumps({**good, "title": "Førtidspension"}, ensure_ascii=False).encode("latin-1"))
    with pytest.raises(error, match="not UTF-8"):
        _read(kind, latin1)


def test_a_query_with_a_missing_member_names_it(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text(json.dumps({"id": "q1", "relevance": {"c1": 3}}) + "\n", encoding="utf-8")
    with pytest.raises(QueriesError, match=r"q\.jsonl:1: query: Field required"):
        load_queries(path)
