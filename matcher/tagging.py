"""Tagging a course with the framework: field scores, assigned fields, level, fagprofiler items,
dimension emphasis, and the evidence behind each field.

How it decides (measured on real provider pages, cross-validated by provider: eval/README.md):
- The course is embedded as one text (`passage:`; the embedder windows long pages, so nothing is
  truncated), and again cut into passages of a few sentences, which give the evidence.
- What it learns from: labelled courses written in the framework's own phrasing (TRAINING_SET),
  pages written as providers publish them (PAGES_SET), and real providers' pages, which ship as
  vectors and labels only (matcher/real_courses.py). Each fit weighs the framework-style courses by
  FRAMEWORK_STYLE_WEIGHT: real pages rarely read like them.
- In or out of the domain: a logistic regression over how much closer the text and its passages come
  to the topics a course in the domain builds than to its near misses' (tagging_cues.yaml `topics`,
  from the labelling rules), how close they come to the framework's own statements, the count of
  employment-services words, and the course vector. Most real pages for jobcentre staff are written
  for a wide public (administrative law, GDPR, guidance, social work) and name no jobcentre.
- Fields: one logistic regression per field, read passage by passage. It is fitted on every passage
  of the in-domain courses, each passage showing its course's fields (a course's passages weighing
  one course together), and on every statement of the framework itself (competences at both levels,
  the field's summary and definition, the survey statements); a course's probability of a field is
  the mean over its passages. A page covers more than its fields (admission, exams, the place), and
  a field it builds may fill a few of its passages: read whole, as one vector, both were blurred
  (macro-F1 on real pages 0.754 → 0.785). The best field is assigned when the course is in the domain;
  others too when their probability reaches half the best and at least 0.3 (at most 3).
- Level: a logistic regression over the course type (all seven), ECTS, level cue phrases, words that say
  which education a page belongs to (a university degree's course, specialised as a rule; a professional
  bachelor or other first education as a whole, basic: both are `grunduddannelse`), and how much
  closer the text is to the specialised than to the basic competences of its primary field; a text
  without a type (a gap in words) is read by the same kind of model over its words alone.
- Why: for each assigned field, the framework competences nearest to the course's passages and the
  passage that matched each.
"""

from __future__ import annotations

import copy
import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from scipy.special import expit
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.preprocessing import StandardScaler

from matcher.course import COURSE_TYPES
from matcher.cue_phrases import ListItem, Phrase, phrase_pattern
from matcher.data_files import DataFileError, load_yaml
from matcher.evaluation import LEVELS, LabelledCourse, Prediction
from matcher.json_lines import json_objects
from matcher.taxonomy import Level, Taxonomy

TAGGER_VERSION = "passages-8"
DATA_DIR = Path(__file__).resolve().parent / "data"
# Labelled courses that ship: written in the framework's own phrasing, and written as providers' pages
# read (for a wide public, rarely naming jobcentres). Real pages ship as vectors (matcher/real_courses.py).
TRAINING_SET = DATA_DIR / "labelled-courses.jsonl"
PAGES_SET = DATA_DIR / "labelled-pages.jsonl"
CUES = DATA_DIR / "tagging_cues.yaml"
MAX_FIELDS = 3
# A further field is assigned when its probability reaches this share of the best field's, and the floor.
SECOND_FIELD_RATIO = 0.5
SECOND_FIELD_FLOOR = 0.3
PASSAGE_WORDS = 60
# The domain gate's regularisation and the extra weight of the cue count among its standardised
# features; both chosen by repeated 5-fold cross-validation on the labelled courses (eval/README.md).
GATE_C = 0.03
GATE_CUE_WEIGHT = 1.7
# The topic margins' weight among the gate's standardised features (grouped cross-validation on real
# pages, eval/README.md); TOPIC_FEATURES is the length of topic_margins().
GATE_TOPIC_WEIGHT = 3.0
TOPIC_FEATURES = 7
# Fields are read passage by passage: every passage of a labelled course is fitted as showing its
# course's fields (the passages of one course weighing one course together), and so is each of the
# framework's statements, weighing this much of a course; a course's field probability is the mean over
# its passages (grouped cross-validation on real pages, eval/README.md). Little regularisation (FIELD_C)
# over some two thousand passages: lbfgs took 2 s to come near the optimum, newton-cholesky reaches it
# exactly in a quarter of that, and every process that loads the tagger fits it.
STATEMENT_WEIGHT = 0.1
FIELD_C = 30.0
LEVEL_C = 1.0
# level_features() opens with the course type (one-hot), ECTS (log and missing) and the education the page
# belongs to (university, first education): what a page says about itself, which a text without a type
# (a gap in words) leaves out.
LEVEL_TYPE_FEATURES = len(COURSE_TYPES) + 4
# How much a course written in the framework's own phrasing (TRAINING_SET) weighs against a page as
# providers publish it, in each fit (grouped cross-validation on real pages, eval/README.md): that set
# teaches the fields the framework's wording, but the domain gate and the level learn what pages are
# like only from pages.
FRAMEWORK_STYLE_WEIGHT = {"gate": 0.0, "fields": 1.0, "level": 0.3}


class TextItem(Protocol):
    """What the tagger reads from a course: any object with these attributes (and `url`, `ects` when known)."""

    id: str
    title: str
    text: str
    course_type: str | None


@dataclass
class CourseText:
    id: str
    title: str
    text: str
    course_type: str | None = None
    url: str | None = None
    ects: float | None = None


# ---------------------------------------------------------------- text handling

_SENTENCE_END = re.compile(r"(?<=[.!?:])\s+(?=[A-ZÆØÅ0-9•\-–\"“])|\s*\n+\s*|\s+[•·▪]\s+")


def passages(title: str, text: str, max_words: int = PASSAGE_WORDS) -> list[str]:
    """The title, then the text in groups of whole sentences of at most about `max_words` words.

    Passages keep every part of a long page in play (no truncation at the model's window) and are
    the units shown as evidence."""
    text = unicodedata.normalize("NFC", text or "")
    sentences = [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]
    groups: list[str] = []
    current: list[str] = []
    words = 0
    for sentence in sentences:
        n = len(sentence.split())
        if current and words + n > max_words:
            groups.append(" ".join(current))
            current, words = [], 0
        current.append(sentence)
        words += n
    if current:
        groups.append(" ".join(current))
    title = unicodedata.normalize("NFC", title or "").strip()
    return ([title] if title else []) + groups or [title or " "]


class LevelCueLists(BaseModel):
    """Level language, and the words that say which education a page belongs to (a university
    degree's course, or a first education as a whole)."""

    model_config = ConfigDict(extra="forbid")

    specialiseret: list[Phrase] = Field(min_length=1)
    grundlaeggende: list[Phrase] = Field(min_length=1)
    university: list[Phrase] = Field(min_length=1)
    first_education: list[Phrase] = Field(min_length=1)


class DomainTopics(BaseModel):
    """What courses in and out of the domain build, as short topic phrases (the domain gate's anchors)."""

    model_config = ConfigDict(extra="forbid")

    in_domain: list[ListItem] = Field(min_length=1)
    off_domain: list[ListItem] = Field(min_length=1)


class TaggingCues(BaseModel):
    """Cue data from matcher/data/tagging_cues.yaml: the domain's context words, level language and
    the topics that place a course in or out of the domain."""

    model_config = ConfigDict(extra="forbid")

    domain: list[Phrase] = Field(min_length=1)
    level: LevelCueLists
    topics: DomainTopics

    @classmethod
    def load(cls, path: Path = CUES) -> TaggingCues:
        """Read and validate a cue file; DataFileError names the file, line and problem."""
        return load_yaml(path, cls, "tagging cue file", short_items=True)

    @cached_property
    def _patterns(self) -> dict[str, re.Pattern[str]]:
        return {
            "domain": phrase_pattern(self.domain),
            **{name: phrase_pattern(phrases) for name, phrases in self.level},
        }

    def count(self, text: str) -> dict[str, int]:
        """How often each cue list occurs: keys `domain`, `grundlaeggende`, `specialiseret`,
        `university`, `first_education`."""
        return {name: len(pattern.findall(text)) for name, pattern in self._patterns.items()}


# ---------------------------------------------------------------- the framework as vectors


@dataclass(frozen=True)
class Statement:
    id: str
    field: str
    level: str | None
    kind: str
    text: str


def field_statements(taxonomy: Taxonomy) -> list[Statement]:
    """Everything the framework says about each field, as statements to match course text against."""
    statements = []
    for key in taxonomy.field_keys:
        item = taxonomy.field(key)
        statements.append(Statement(f"{key}.summary", key, None, "summary", f"{item.name}: {item.summary}"))
        statements.append(Statement(f"{key}.definition", key, None, "definition", item.definition))
        for competence in taxonomy.competences(key):
            statements.append(Statement(competence.id, key, competence.level, "competence", competence.text))
    for statement in taxonomy.survey_statements:
        for key in statement.fields:
            statements.append(Statement(statement.id, key, None, "survey", statement.text))
    return statements


class FrameworkVectors:
    """Framework statements, basic competences, profiles and dimensions, embedded once."""

    def __init__(self, taxonomy: Taxonomy, embedder: Any, topics: DomainTopics | None = None) -> None:
        self.taxonomy = taxonomy
        self.field_keys = list(taxonomy.field_keys)
        self.statements = field_statements(taxonomy)
        self.basic = [(bc.id, bc.text) for bc in taxonomy.basic_competences]
        self.profiles = [(p.key, [c.text for c in p.competences]) for p in taxonomy.profiles]
        self.dimensions = [(d.key, d.embedding_text) for d in taxonomy.dimensions]
        profile_texts = [text for _, texts in self.profiles for text in texts]
        vectors = embedder.embed_queries(
            [s.text for s in self.statements]
            + [text for _, text in self.basic]
            + profile_texts
            + [text for _, text in self.dimensions]
        )
        a = len(self.statements)
        b = a + len(self.basic)
        c = b + len(profile_texts)
        self.statement_vectors = vectors[:a]
        self.basic_vectors = vectors[a:b]
        self.profile_vectors = vectors[b:c]
        self.dimension_vectors = vectors[c:]
        topics = topics or TaggingCues.load().topics
        self.topic_vectors = {
            "in": embedder.embed_queries(topics.in_domain),
            "off": embedder.embed_queries(topics.off_domain),
        }
        self.profile_slices = []
        start = 0
        for _, texts in self.profiles:
            self.profile_slices.append(slice(start, start + len(texts)))
            start += len(texts)
        self.by_field = {k: np.array([i for i, s in enumerate(self.statements) if s.field == k]) for k in self.field_keys}
        self.by_field_level = {
            (k, level): np.array([i for i, s in enumerate(self.statements) if s.field == k and s.level == level])
            for k in self.field_keys
            for level in LEVELS
        }
        # by_field_level as one mask per level (fields × statements): a text's best match per field
        # is then one masked max.
        self.field_level_masks = {level: np.zeros((len(self.field_keys), len(self.statements)), dtype=bool) for level in LEVELS}
        for (key, level), idx in self.by_field_level.items():
            self.field_level_masks[level][self.field_keys.index(key), idx.astype(int)] = True  # empty: float


# ---------------------------------------------------------------- per-course evidence


@dataclass
class CourseEvidence:
    passages: list[str]
    passage_vectors: np.ndarray  # passages × dim
    course_vector: np.ndarray  # dim: the whole text embedded
    best_per_statement: np.ndarray  # statements: best similarity over passages
    best_passage: np.ndarray  # statements: index of that passage
    course_similarity: np.ndarray  # statements: similarity to the whole-course vector
    topic_margins: np.ndarray  # how much closer to an in-domain topic than to an off-domain one (topic_margins())


def whole_text(item: TextItem) -> str:
    """The course as one text: title and text (the text alone when untitled, as a gap in words is)."""
    title = (item.title or "").strip()
    return f"{title}. {item.text}" if title else item.text


def topic_margins(vectors: FrameworkVectors, passage_vectors: np.ndarray, course_vector: np.ndarray) -> np.ndarray:
    """The closest in-domain and off-domain topic (tagging_cues.yaml `topics`) to the whole text and to
    the best passage, and the margins between them (whole text, best passage, mean of the best three)."""
    inside, outside = vectors.topic_vectors["in"], vectors.topic_vectors["off"]
    whole_in, whole_off = float((inside @ course_vector).max()), float((outside @ course_vector).max())
    # per topic, the best passage's similarity, best first (the first is the best over all topics)
    best_in = np.sort((passage_vectors @ inside.T).max(axis=0))[::-1]
    best_off = np.sort((passage_vectors @ outside.T).max(axis=0))[::-1]
    return np.array([
        whole_in - whole_off, best_in[0] - best_off[0], best_in[:3].mean() - best_off[:3].mean(),
        whole_in, whole_off, best_in[0], best_off[0],
    ])


def evidence_from_vectors(
    vectors: FrameworkVectors, passage_texts: list[str], passage_vectors: np.ndarray, course_vector: np.ndarray
) -> CourseEvidence:
    """A course's evidence from its embedded passages and whole text (also for courses stored as vectors)."""
    sims = passage_vectors @ vectors.statement_vectors.T
    return CourseEvidence(
        passage_texts, passage_vectors, course_vector, sims.max(axis=0), sims.argmax(axis=0),
        vectors.statement_vectors @ course_vector, topic_margins(vectors, passage_vectors, course_vector),
    )


def gather_evidence(vectors: FrameworkVectors, items: Sequence[TextItem], embedder: Any) -> list[CourseEvidence]:
    """Embed every course's passages and whole text in one batch and compare them with every statement."""
    all_passages = [passages(item.title, item.text) for item in items]
    # The course as one text (the embedder windows long pages) classifies better than the mean of
    # its passages (cross-validated on the labelled set); the passages give the evidence.
    wholes = [whole_text(item) for item in items]
    # A short untitled text is its own only passage: embedding it once halves a gap's latency.
    unique = list(dict.fromkeys([p for ps in all_passages for p in ps] + wholes))
    embedded = dict(zip(unique, embedder.embed_passages(unique))) if unique else {}
    return [
        evidence_from_vectors(vectors, ps, np.stack([embedded[p] for p in ps]), embedded[whole])
        for ps, whole in zip(all_passages, wholes)
    ]


def level_features(
    vectors: FrameworkVectors, ev: CourseEvidence, field_key: str, course_type: str | None, ects: float | None,
    counts: dict[str, int],
) -> np.ndarray:
    """Course type (all seven), ECTS, level cue counts (tagging_cues.yaml `level`, with the education the
    page belongs to), and the specialised-minus-basic similarity margin (field and overall)."""

    def best_per_field(level: str) -> np.ndarray:  # 0 for a field without statements at the level
        mask = vectors.field_level_masks[level]
        return np.where(mask.any(axis=1), np.where(mask, ev.best_per_statement, -np.inf).max(axis=1), 0.0)

    special, basic = best_per_field("specialiseret"), best_per_field("grundlaeggende")
    field = vectors.field_keys.index(field_key)
    type_onehot = [float(course_type == t) for t in COURSE_TYPES]
    return np.array([
        *type_onehot, np.log1p(ects or 0.0), float(ects is None),
        np.log1p(counts["university"]), np.log1p(counts["first_education"]),
        np.log1p(counts["specialiseret"]), np.log1p(counts["grundlaeggende"]),
        float(special[field]) - float(basic[field]), float(special.max()) - float(basic.max()),
    ])


def gate_features(ev: CourseEvidence, counts: dict[str, int]) -> np.ndarray:
    """Employment-services cue count, closeness to the framework's own statements (the whole text and
    its best passages: best and mean of the five best), closeness to the domain's topics against the
    near misses' (topic_margins), and the course vector."""
    whole = np.sort(ev.course_similarity)[::-1]
    passage = np.sort(ev.best_per_statement)[::-1]
    closeness = [whole[0], whole[:5].mean(), passage[0], passage[:5].mean()]
    return np.concatenate([[np.log1p(counts["domain"])], closeness, ev.topic_margins, ev.course_vector])


class GateWeights(TransformerMixin, BaseEstimator):
    """The gate's standardised features with the cue count and the topic margins weighed up: a
    per-column factor, so LinearProbabilities can fold it into the gate's weights."""

    def fit(self, X: np.ndarray, y: Any = None) -> GateWeights:
        self.weights_ = np.ones(np.shape(X)[1])
        self.weights_[0] = GATE_CUE_WEIGHT
        self.weights_[5:5 + TOPIC_FEATURES] = GATE_TOPIC_WEIGHT
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(X) * self.weights_


def gate_model() -> Any:
    """In or out of the domain: standardised gate features, the cue count weighed up, and a strongly
    regularised logistic regression (384 vector dimensions against about two hundred examples)."""
    return make_pipeline(
        StandardScaler(),
        GateWeights(),
        LogisticRegression(C=GATE_C, max_iter=3000, class_weight="balanced"),
    )


@dataclass(frozen=True)
class LinearProbabilities:
    """Fitted binary logistic regressions (each alone, or after a StandardScaler and GateWeights) as
    one matrix product.

    sklearn's predict_proba checks its input on every call, about 0.3 ms each: more than all the
    arithmetic of tagging a gap in words. Same probabilities, to rounding."""

    weights: np.ndarray  # (models, features)
    intercepts: np.ndarray  # (models,)

    @classmethod
    def of(cls, models: Sequence[Any]) -> LinearProbabilities:
        weights, intercepts = [], []
        for model in models:
            steps = [step for _, step in model.steps] if hasattr(model, "steps") else [model]
            *scalers, regression = steps
            w, b = regression.coef_[0].astype(np.float64), float(regression.intercept_[0])
            for scaler in reversed(scalers):  # the last step before the regression is folded first
                if isinstance(scaler, GateWeights):
                    w = w * scaler.weights_
                elif isinstance(scaler, StandardScaler):  # (x - mean) / scale
                    w = w / scaler.scale_
                    b -= float(w @ scaler.mean_)
                else:
                    raise TypeError(f"cannot fold a {type(scaler).__name__} into a linear model")
            weights.append(w)
            intercepts.append(b)
        return cls(np.vstack(weights), np.array(intercepts))

    def __call__(self, features: np.ndarray) -> np.ndarray:
        """The positive class's probability under each model."""
        return expit(self.weights @ np.asarray(features, dtype=np.float64) + self.intercepts)

    def rows(self, features: np.ndarray) -> np.ndarray:
        """Each row's (rows × models) probabilities."""
        return expit(np.asarray(features, dtype=np.float64) @ self.weights.T + self.intercepts)


@dataclass
class Example:
    """A labelled course as the tagger fits on it: its evidence, cue counts, type, ECTS and gold labels.

    Made from a labelled text (`Tagger.examples`) or from stored vectors (matcher/real_courses.py)."""

    evidence: CourseEvidence
    counts: dict[str, int]
    course_type: str | None
    ects: float | None
    fields: list[str]
    level: str | None
    digest: str  # identifies the example in the tagger's version
    framework_style: bool = False  # phrased as the framework is (TRAINING_SET): weighs FRAMEWORK_STYLE_WEIGHT
    id: str = ""

    def weight(self, part: str) -> float:
        return FRAMEWORK_STYLE_WEIGHT[part] if self.framework_style else 1.0


# ---------------------------------------------------------------- the tagger


@dataclass
class Evidence:
    """Why a field was assigned: a framework statement and the course passage that matched it."""

    statement_id: str
    statement: str
    level: str | None
    similarity: float
    passage: str

    def to_json(self) -> dict[str, Any]:
        return {"statement_id": self.statement_id, "statement": self.statement, "level": self.level,
                "similarity": round(self.similarity, 4), "passage": self.passage}


@dataclass
class TagResult:
    id: str
    fields: dict[str, float]
    assigned_fields: list[str]
    level: str | None
    course_type: str | None
    basic_competences: list[str]
    profiles: list[str]
    dimensions: dict[str, float]
    why: dict[str, list[Evidence]]
    model: str
    level_confidence: float | None = None
    domain_score: float | None = None
    course_vector: np.ndarray | None = field(default=None, repr=False)

    @property
    def primary_field(self) -> str | None:
        return self.assigned_fields[0] if self.assigned_fields else None

    def to_json(self) -> dict[str, Any]:
        """The file-mode output line of `fagmatch tag`."""
        return {
            "id": self.id,
            "fields": {k: round(v, 4) for k, v in self.fields.items()},
            "assigned_fields": self.assigned_fields,
            "primary_field": self.primary_field,
            "level": self.level,
            "domain_score": None if self.domain_score is None else round(self.domain_score, 4),
            "course_type": self.course_type,
            "basic_competences": self.basic_competences,
            "profiles": self.profiles,
            "dimensions": {k: round(v, 3) for k, v in self.dimensions.items()},
            "why": {key: [e.to_json() for e in evidence] for key, evidence in self.why.items()},
            "model": self.model,
        }


class Tagger:
    """Fields and level for courses; `fit` on labelled courses, then `predict` / `tag`."""

    name = "tagger"

    def __init__(self, taxonomy: Taxonomy, embedder: Any, cues: TaggingCues | None = None) -> None:
        from matcher.vector_cache import CachedEmbedder

        self.taxonomy = taxonomy
        self.embedder = embedder
        self.cues = cues or TaggingCues.load()
        # The framework and the training courses are the same texts run after run: cache their vectors.
        self.fixed_text_embedder = CachedEmbedder(embedder)
        self.vectors = FrameworkVectors(taxonomy, self.fixed_text_embedder, self.cues.topics)
        self.gate_model_: Any = None
        self.field_models_: list[Any] = []
        self.level_model_: Any = None
        self.words_level_model_: Any = None
        self._training_digest = ""
        self._digest: tuple[str | None, str] = (None, "")  # (training digest it was made for, digest)

    @property
    def model_version(self) -> str:
        """Tags are versioned by the embedding model, this method, the taxonomy (its crosswalk too), cues and training set."""
        # Hashing the framework and cues takes 0.2 ms, and every tagged text asks: once per fit.
        if self._digest[0] != self._training_digest:
            self._digest = (self._training_digest, hashlib.sha256(
                # each statement's level too: moving the boundary between levels keeps ids, texts and order
                "\n".join(f"{s.id}|{s.level}|{s.text}" for s in self.vectors.statements).encode()
                # a course's tags name the basic competences and profiles the crosswalk links to its fields
                + "\n".join(f"{e.item}>{','.join(link.field for link in e.links)}" for e in self.taxonomy.crosswalk).encode()
                + self.cues.model_dump_json().encode()
                + self._training_digest.encode()
            ).hexdigest()[:10])
        digest = self._digest[1]
        return f"{self.embedder.model_version}+{TAGGER_VERSION}.{digest}"

    def with_embedder(self, embedder: Any) -> Tagger:
        """This fitted tagger, embedding the texts it tags with `embedder` (same space as its own):
        the framework's vectors and the fitted models are shared, not recomputed."""
        other = copy.copy(self)
        other.embedder = embedder
        return other

    def examples(self, labelled: Sequence[LabelledCourse], *, framework_style: bool = False) -> list[Example]:
        """Labelled texts as fitting examples (their vectors come from the persistent cache when known)."""
        evidence = gather_evidence(self.vectors, labelled, self.fixed_text_embedder)
        return [
            Example(
                ev, self.cues.count(whole_text(item)), item.course_type or infer_course_type(item.text),
                item.ects, list(item.fields), item.level,
                f"{item.id}{item.title}{item.text}{item.course_type}{item.ects}{item.fields}{item.level}",
                framework_style, item.id,
            )
            for item, ev in zip(labelled, evidence)
        ]

    def shipped_examples(self) -> list[Example]:
        """The labelled courses that ship with fagmatch as fitting examples: TRAINING_SET (framework
        style), PAGES_SET and the real pages' vectors (a caller scoring some of them leaves those out by `id`)."""
        from matcher.evaluation import LabelsError, load_labels
        from matcher.real_courses import RealSetError, shipped_examples

        keys = self.taxonomy.field_keys
        try:
            written = load_labels(TRAINING_SET, keys)
            pages = load_labels(PAGES_SET, keys)
            real = shipped_examples(self)
        except (LabelsError, RealSetError):
            if problem := labelled_fields_problem(self.taxonomy):  # a framework copy without a field they use
                raise DataFileError(problem) from None
            raise
        return [*self.examples(written, framework_style=True), *self.examples(pages), *real]

    def fit(self, labelled: Sequence[LabelledCourse], extra: Sequence[Example] = ()) -> Tagger:
        """Fit on labelled courses (weighed as pages) and on `extra` examples (from `examples` or
        `shipped_examples`)."""
        return self.fit_examples([*self.examples(labelled), *extra])

    def fit_examples(self, examples: Sequence[Example]) -> Tagger:
        keys = self.vectors.field_keys
        in_domain = np.array([bool(ex.fields) for ex in examples])
        if in_domain.all() or not in_domain.any():
            raise ValueError("the labelled courses must include both in-domain and off-domain courses")
        self.gate_model_ = gate_model().fit(
            np.vstack([gate_features(ex.evidence, ex.counts) for ex in examples]), in_domain,
            logisticregression__sample_weight=[ex.weight("gate") for ex in examples],
        )
        # Fields learn from in-domain courses' passages and from the framework's own statements.
        statements = self.vectors.statements
        statement_vectors = self.fixed_text_embedder.embed_passages([s.text for s in statements])
        inside = [ex for ex in examples if ex.fields]
        X = np.vstack([*(ex.evidence.passage_vectors for ex in inside), statement_vectors])
        Y = np.array(
            [[k in ex.fields for k in keys] for ex in inside for _ in ex.evidence.passage_vectors]
            + [[k == s.field for k in keys] for s in statements], dtype=int,
        )
        weights = np.concatenate([
            *(np.full(len(ex.evidence.passage_vectors), ex.weight("fields") / len(ex.evidence.passage_vectors))
              for ex in inside),
            np.full(len(statements), STATEMENT_WEIGHT),
        ])
        self.field_models_ = [
            LogisticRegression(C=FIELD_C, solver="newton-cholesky").fit(X, Y[:, j], sample_weight=weights) for j in range(len(keys))
        ]
        leveled = [ex for ex in inside if ex.level]
        features = np.vstack([
            level_features(self.vectors, ex.evidence, ex.fields[0], ex.course_type, ex.ects, ex.counts) for ex in leveled
        ])
        specialised = [ex.level == "specialiseret" for ex in leveled]
        weights = [ex.weight("level") for ex in leveled]
        # Regularised: few labelled levels, and the type and cue features must not overfit. A text
        # without a course type (a gap in words) is read by a model of its words alone: fitted with
        # the type, ECTS and the education a page names, it would read every untyped text as the
        # commonest untyped page.
        self.level_model_, self.words_level_model_ = (
            make_pipeline(StandardScaler(), LogisticRegression(C=LEVEL_C, max_iter=2000)).fit(
                features[:, columns], specialised, logisticregression__sample_weight=weights
            )
            for columns in (slice(None), slice(LEVEL_TYPE_FEATURES, None))
        )
        self._gate_probability = LinearProbabilities.of([self.gate_model_])
        self._field_probabilities = LinearProbabilities.of(self.field_models_)
        self._level_probability = LinearProbabilities.of([self.level_model_])
        self._words_level_probability = LinearProbabilities.of([self.words_level_model_])
        self._training_digest = hashlib.sha256("".join(ex.digest for ex in examples).encode()).hexdigest()
        return self

    def predict(self, items: Sequence[TextItem]) -> list[Prediction]:
        return [Prediction(r.assigned_fields, r.level) for r in self.tag(items)]

    def tag(self, items: Sequence[TextItem], *, in_domain: bool = False, explain: bool = True) -> list[TagResult]:
        """Tag courses (fit first). `in_domain` skips the domain gate: for texts known to be about
        employment-services work, such as a team's own description of a competence gap. Without
        `explain`, the results leave out the evidence (`why`), basic competences and profiles: a
        gap being ranked needs only its fields, level, dimensions and vector."""
        if self.gate_model_ is None:
            raise RuntimeError("the tagger is not fitted: call fit() or Tagger.default()")
        evidence = gather_evidence(self.vectors, items, self.embedder)
        return [self._tag_one(item, ev, in_domain, explain) for item, ev in zip(items, evidence)]

    def _decide(
        self, ev: CourseEvidence, counts: dict[str, int], course_type: str | None, ects: float | None, in_domain: bool
    ) -> tuple[float, float, np.ndarray, list[str], str | None, float | None]:
        """Domain probability (1 where `in_domain`), the gate's own reading, field probabilities,
        assigned fields, level and its confidence."""
        keys = self.vectors.field_keys
        p_gate = float(self._gate_probability(gate_features(ev, counts))[0])
        p_domain = 1.0 if in_domain else p_gate
        p_fields = self._field_probabilities.rows(ev.passage_vectors).mean(axis=0)
        assigned: list[str] = []
        if p_domain >= 0.5:
            order = np.argsort(-p_fields)
            top = p_fields[order[0]]
            assigned = [keys[order[0]]] + [
                keys[i] for i in order[1:MAX_FIELDS]
                if p_fields[i] >= max(SECOND_FIELD_FLOOR, SECOND_FIELD_RATIO * top)
            ]
        level, confidence = None, None
        if assigned:
            features = level_features(self.vectors, ev, assigned[0], course_type, ects, counts)
            if course_type is None:
                p_special = float(self._words_level_probability(features[LEVEL_TYPE_FEATURES:])[0])
            else:
                p_special = float(self._level_probability(features)[0])
            level = "specialiseret" if p_special >= 0.5 else "grundlaeggende"
            confidence = max(p_special, 1 - p_special)
        return p_domain, p_gate, p_fields, assigned, level, confidence

    def _tag_one(self, item: TextItem, ev: CourseEvidence, in_domain: bool = False, explain: bool = True) -> TagResult:
        keys = self.vectors.field_keys
        text = whole_text(item)
        counts = self.cues.count(text)
        course_type = item.course_type or infer_course_type(text, getattr(item, "url", None))
        p_domain, p_gate, p_fields, assigned, level, confidence = self._decide(
            ev, counts, course_type, getattr(item, "ects", None), in_domain
        )
        return TagResult(
            id=item.id,
            # a field score is the chance the course builds it: in the domain, and that field
            fields={k: float(p_domain * p) for k, p in zip(keys, p_fields)},
            assigned_fields=assigned,
            level=level,
            level_confidence=confidence,
            course_type=course_type,
            basic_competences=self._basic_competences(ev, assigned) if explain else [],
            profiles=self._profiles(ev, assigned) if explain else [],
            dimensions=self._dimensions(ev) if assigned else {},
            why={k: self._why(ev, k) for k in assigned} if explain else {},
            model=self.model_version,
            domain_score=p_gate,  # what the words say, also where `in_domain` decided the domain
            course_vector=ev.course_vector,
        )

    def explain(self, item: TextItem, field_keys: Sequence[str], level: Level | None = None) -> dict[str, list[Evidence]]:
        """The framework statements a text matches best in each of these fields, with its passages:
        the `why` of `tag`, for fields chosen by someone else (a gap's, outvoted by the catalogue).
        With `level`, only statements at that level or at none (as recommending prefers them)."""
        ev = gather_evidence(self.vectors, [item], self.embedder)[0]
        return {key: self._why(ev, key, level=level) for key in field_keys}

    def _why(self, ev: CourseEvidence, field_key: str, n: int = 3, level: Level | None = None) -> list[Evidence]:
        statements = self.vectors.statements
        matchable = [i for i in self.vectors.by_field[field_key] if statements[i].kind in ("competence", "survey")]
        idx = [i for i in matchable if level in (None, statements[i].level)] or matchable
        best = sorted(idx, key=lambda i: -ev.best_per_statement[i])[:n]
        return [
            Evidence(
                self.vectors.statements[i].id, self.vectors.statements[i].text, self.vectors.statements[i].level,
                float(ev.best_per_statement[i]), ev.passages[int(ev.best_passage[i])],
            )
            for i in best
        ]

    @cached_property
    def _linked(self) -> dict[str, tuple[frozenset[str], frozenset[str]]]:
        """Per field: the basic competences and the profiles the framework links to it (looked up
        for every course and gap, and the framework does not change under a tagger)."""
        return {
            key: (
                frozenset(bc.id for bc in self.taxonomy.basic_competences_for_field(key)),
                frozenset(p.key for p in self.taxonomy.profiles_for_field(key)),
            )
            for key in self.vectors.field_keys
        }

    def _basic_competences(self, ev: CourseEvidence, assigned: list[str], n: int = 3) -> list[str]:
        linked = set().union(*(self._linked[key][0] for key in assigned))
        sims = self.vectors.basic_vectors @ ev.course_vector
        ranked = [self.vectors.basic[i][0] for i in np.argsort(-sims) if self.vectors.basic[i][0] in linked]
        return ranked[:n]

    def _profiles(self, ev: CourseEvidence, assigned: list[str], n: int = 2) -> list[str]:
        linked = set().union(*(self._linked[key][1] for key in assigned))
        sims = self.vectors.profile_vectors @ ev.course_vector
        scored = [(float(sims[s].max()), key) for (key, _), s in zip(self.vectors.profiles, self.vectors.profile_slices)]
        return [key for _, key in sorted(scored, reverse=True) if key in linked][:n]

    def _dimensions(self, ev: CourseEvidence) -> dict[str, float]:
        sims = self.vectors.dimension_vectors @ ev.course_vector
        weights = np.exp((sims - sims.max()) / 0.02)
        weights /= weights.sum()
        return {key: float(w) for (key, _), w in zip(self.vectors.dimensions, weights)}

    @classmethod
    def default(cls, taxonomy: Taxonomy, embedder: Any) -> Tagger:
        """The tagger fitted on the labelled courses that ship with fagmatch (`shipped_examples`); the
        real pages take part where the embedding model is the one they were embedded with."""
        tagger = cls(taxonomy, embedder)
        return tagger.fit_examples(tagger.shipped_examples())


def _labelled_field_keys() -> dict[str, set[str]]:
    """Field key → the names of the shipped labelled sets whose courses build it."""
    from matcher.real_courses import REAL_SET

    used: dict[str, set[str]] = {}
    for path in (TRAINING_SET, PAGES_SET):
        for _, record in json_objects(path, ValueError):
            for key in record.get("fields") or []:
                used.setdefault(key, set()).add(path.name)
    if REAL_SET.exists():
        with np.load(REAL_SET) as stored:
            for fields in stored["fields"]:
                for key in filter(None, str(fields).split(",")):
                    used.setdefault(key, set()).add(REAL_SET.name)
    return used


def labelled_fields_problem(taxonomy: Taxonomy, where: str = "the framework in use") -> str | None:
    """What keeps the tagger from learning with this framework: a field key that the shipped labelled
    courses use and the framework lacks (a field renamed or removed in a copy); None when there is none."""
    used = _labelled_field_keys()
    missing = sorted(set(used) - set(taxonomy.field_keys))
    if not missing:
        return None
    files = sorted({name for key in missing for name in used[key]})
    return (f"{where} has no field {', '.join(repr(key) for key in missing)}, which the labelled courses the "
            f"tagger learns from use ({', '.join(files)} in matcher/data). A copy of the framework may add fields and "
            "change a field's name, texts and competences, but keep every field's key: a renamed field keeps its key")


def unlabelled_fields(taxonomy: Taxonomy) -> list[str]:
    """The framework's fields that no shipped labelled course builds: the tagger has only the framework's
    own statements to learn them from, and will seldom if ever assign them."""
    used = _labelled_field_keys()
    return [key for key in taxonomy.field_keys if key not in used]


def infer_course_type(text: str, url: str | None = None) -> str | None:
    """Course type from the page's wording and URL, when the source did not say."""
    from crawler.parsers import parse_course_type

    return parse_course_type(text, url)
