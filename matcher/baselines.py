"""Baselines for field tagging: the field and level of the single nearest framework statement.

Both share the tagger's small contract (`fit(labelled)`, `predict(texts)`), so `fagmatch evaluate`
puts them side by side. The one free parameter, the similarity below which a course is called
off-domain, is fitted on the labelled examples given to `fit`, as the tagger's thresholds are."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import f1_score

from matcher.evaluation import LabelledCourse, Prediction
from matcher.tagging import TextItem, whole_text
from matcher.store import connect_duckdb
from matcher.taxonomy import Taxonomy


@dataclass(frozen=True)
class Statement:
    """A framework competence the baselines match against."""

    id: str
    field: str
    level: str
    text: str


def framework_statements(taxonomy: Taxonomy) -> list[Statement]:
    """Every example competence of every field, at its level."""
    return [
        Statement(c.id, c.field, c.level, c.text)
        for key in taxonomy.field_keys
        for c in taxonomy.competences(key)
    ]


def _texts(items: Sequence[TextItem]) -> list[str]:
    return [whole_text(item) for item in items]


class _NearestStatement:
    name = "nearest"

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.statements = framework_statements(taxonomy)
        self.threshold_ = 0.0

    def similarities(self, texts: Sequence[str]) -> np.ndarray:
        raise NotImplementedError

    def fit(self, labelled: Sequence[LabelledCourse]) -> _NearestStatement:
        """Choose the off-domain threshold that maximises macro-F1 on the labelled courses."""
        sims = self.similarities(_texts(labelled))
        best = sims.max(axis=1)
        fields = sorted({s.field for s in self.statements})
        y_true = np.array([[f in item.fields for f in fields] for item in labelled], dtype=int)
        top = [self.statements[i].field for i in sims.argmax(axis=1)]
        candidates = np.unique(np.concatenate([[0.0], best]))
        scores = []
        for threshold in candidates:
            y_pred = np.array([[f == t and b >= threshold for f in fields] for t, b in zip(top, best)], dtype=int)
            scores.append(f1_score(y_true, y_pred, average="macro", zero_division=0))
        self.threshold_ = float(candidates[int(np.argmax(scores))])
        return self

    def predict(self, items: Sequence[TextItem]) -> list[Prediction]:
        sims = self.similarities(_texts(items))
        predictions = []
        for row in sims:
            i = int(row.argmax())
            if row[i] < self.threshold_ or row[i] <= 0:
                predictions.append(Prediction([], None))
            else:
                predictions.append(Prediction([self.statements[i].field], self.statements[i].level))
        return predictions


class TfidfNearestStatement(_NearestStatement):
    """TF-IDF cosine between the course text and each statement."""

    name = "tfidf"

    def __init__(self, taxonomy: Taxonomy) -> None:
        super().__init__(taxonomy)
        self.vectorizer = TfidfVectorizer(lowercase=True, sublinear_tf=True, token_pattern=r"(?u)\b\w\w+\b")
        self.matrix = self.vectorizer.fit_transform([s.text for s in self.statements])

    def similarities(self, texts: Sequence[str]) -> np.ndarray:
        return (self.vectorizer.transform(list(texts)) @ self.matrix.T).toarray()


class Bm25NearestStatement(_NearestStatement):
    """BM25 of each statement for the course text as query: DuckDB full-text search, Danish stemmer."""

    name = "bm25"

    def __init__(self, taxonomy: Taxonomy) -> None:
        super().__init__(taxonomy)
        self.con = connect_duckdb(":memory:")
        self.con.execute("LOAD fts")
        self.con.execute("CREATE TABLE statement (i INTEGER, text VARCHAR)")
        self.con.executemany("INSERT INTO statement VALUES (?, ?)", [[i, s.text] for i, s in enumerate(self.statements)])
        self.con.execute("PRAGMA create_fts_index('statement', 'i', 'text', stemmer = 'danish', stopwords = 'none')")

    def similarities(self, texts: Sequence[str]) -> np.ndarray:
        sims = np.zeros((len(texts), len(self.statements)))
        for row, text in enumerate(texts):
            hits = self.con.execute(
                "SELECT i, fts_main_statement.match_bm25(i, ?) AS s FROM statement WHERE s IS NOT NULL", [text]
            ).fetchall()
            for i, value in hits:
                sims[row, i] = value
        return sims
