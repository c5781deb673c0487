"""A fast stand-in for the embedding model on a gap's own words.

A gap described in words needs its vector before it can be tagged and ranked, and e5-small costs
about 20 ms of CPU per text: 32 new texts at once queue for half a second on 2 cores. Gap texts are
short and written in the domain's words, and there e5's vector is close to a constant plus the
mean of one vector per token. A `GapTable` is that: a vector for each token of the domain's
vocabulary, fitted by ridge regression to e5's own vectors of sentences and short phrases from the
project's course and framework texts (the "tokenlearn" idea, solved in closed form). It embeds a
text in about 0.02 ms, at cosine ~0.98 to e5, and ranks the graded gap queries within 0.01 nDCG@5
of e5 (eval/README.md). A text whose tokens the table mostly does not know goes to the model, so
the table only answers where it was fitted.

The shipped table (`matcher/data/gap-table.npz`) belongs to the built-in model; with any other
model the gap's words always go to that model. `fagmatch model fit-gap-table` rebuilds it.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import os
import random
import re
import threading
import unicodedata
import warnings
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from matcher.embeddings import unit_vectors
from matcher.json_lines import json_objects
from matcher.yaml_errors import describe_yaml_error

DATA = Path(__file__).resolve().parent / "data"
SHIPPED_TABLE = DATA / "gap-table.npz"
# The table answers for a text when it knows at least this share of its tokens; others go to the model.
MIN_COVERAGE = 0.9
# A text of fewer tokens goes to the model: the table fitted each token on sentences and phrases that
# held it, and a lone token's vector can read far from the model's reading of the word alone ("hjælp"
# read as a need in the domain, "Hjælp" as none).
MIN_TOKENS = 3
RIDGE = 0.01
MAX_VOCABULARY = 20_000  # the closed-form fit holds a vocabulary × vocabulary matrix in memory
# CourseProducts up to this size (about 28 000 courses with the shipped table); larger catalogues
# compute each new gap's cosines from the course vectors.
MAX_PRODUCTS_BYTES = 512 * 2**20
MAX_CACHED_WORDS = 100_000  # TextTokens' word cache (a few MB) starts over when full
_NUMBER = re.compile(r"[0-9][0-9.,:/-]*")
_SENTENCE = re.compile(r"(?<=[.!?:;])\s+(?=[A-ZÆØÅ0-9•\-–\"“])|\s*\n+\s*|\s+[•·▪]\s+")
# How HR starts a gap in words; phrases of course text after these teach the table those words too.
GAP_OPENERS = (
    "vi mangler viden om", "vi har brug for", "vores medarbejdere skal lære", "kursus i", "opkvalificering i",
    "vi ønsker at styrke", "teamet skal blive bedre til", "efteruddannelse om", "nye medarbejdere skal kende",
    "specialiseret viden om", "grundlæggende viden om", "vi søger et forløb om",
    "vores jobcenter mangler kompetencer i", "medarbejderne er usikre på", "vi vil gerne have styr på",
)

Progress = Callable[[str], None]


class GapTableError(ValueError):
    """A gap table file that cannot be used, or a corpus it cannot be fitted on."""


class GapTableWarning(UserWarning):
    """The shipped gap table could not be read; the model embeds gap words instead."""


@dataclass(frozen=True)
class GapTable:
    """Per-token vectors in the model's space: vector(text) = normalise(bias + mean of its tokens' rows)."""

    token_ids: np.ndarray  # (V,) int, the model tokenizer's ids, ascending
    vectors: np.ndarray  # (V, dim) float32
    bias: np.ndarray  # (dim,) float32
    model_version: str
    about: dict[str, Any]  # how it was fitted: sources, texts, validation cosine

    @property
    def dim(self) -> int:
        return int(self.bias.shape[0])

    def fits(self, model: Any) -> bool:
        """Whether the table was fitted for `model` (its version and vector size)."""
        return self.model_version == getattr(model, "model_version", None) and self.dim == getattr(model, "dim", None)

    def rows(self, ids: Sequence[int]) -> list[int]:
        """Row numbers of the given token ids in `vectors`, -1 where the table lacks the token."""
        row_of = self._row_of
        return [row_of.get(i, -1) for i in ids]

    @functools.cached_property
    def _row_of(self) -> dict[int, int]:
        # A gap's twenty-odd ids are looked up in a dict: a binary search of the ids in numpy took
        # several calls, each slower than the lookups (the token ids are cold in the CPU's cache).
        return {token: row for row, token in enumerate(self.token_ids.tolist())}

    def unnormalised(self, rows: np.ndarray) -> np.ndarray:
        """The bias plus the mean of the known tokens' vectors: the text's vector before scaling to length 1."""
        known = rows[rows >= 0]
        return self.bias + (self.vectors[known].mean(axis=0) if len(known) else 0.0)

    def save(self, path: Path) -> None:
        """Write the table (vectors in float16: 3 MB instead of 7) whole, or leave `path` as it was."""
        partial = path.with_name(path.name + ".partial")
        with partial.open("wb") as handle:
            np.savez_compressed(
                handle, token_ids=self.token_ids.astype(np.int32), vectors=self.vectors.astype(np.float16),
                bias=self.bias.astype(np.float32),
                about=np.array(json.dumps({**self.about, "model_version": self.model_version}, ensure_ascii=False)),
            )
        os.replace(partial, path)

    @classmethod
    def load(cls, path: Path = SHIPPED_TABLE) -> GapTable:
        """Read and check a table file; a broken one is a `GapTableError` naming the problem."""
        try:
            with np.load(path, allow_pickle=False) as data:
                token_ids, vectors, bias = data["token_ids"], data["vectors"].astype(np.float32), data["bias"]
                about = json.loads(str(data["about"]))
        except (OSError, KeyError, ValueError) as exc:
            raise GapTableError(f"{path}: not a gap table ({type(exc).__name__}: {exc})") from None
        problems = []
        if token_ids.ndim != 1 or vectors.ndim != 2 or len(token_ids) != len(vectors) or not len(token_ids):
            problems.append(f"{len(token_ids)} token ids for {len(vectors)} vectors")
        elif bias.shape != (vectors.shape[1],):
            problems.append(f"a bias of shape {bias.shape} for {vectors.shape[1]}-dimensional vectors")
        elif np.any(np.diff(token_ids) <= 0):
            problems.append("token ids not strictly ascending")
        elif not np.isfinite(vectors).all() or not np.isfinite(bias).all():
            problems.append("vectors that are not finite numbers")
        if not isinstance(about, dict) or not isinstance(about.get("model_version"), str):
            problems.append("no model_version in its description")
        if problems:
            raise GapTableError(f"{path}: not a usable gap table: {'; '.join(problems)}")
        model_version = about.pop("model_version")
        return cls(token_ids.astype(np.int64), vectors, bias.astype(np.float32), model_version, about)


@dataclass(frozen=True)
class TableWords:
    """A text as a gap table reads it, worked out once per text: the embedding checks its coverage
    and embeds it, and the ranking's course products read its rows and length again."""

    rows: np.ndarray  # the text's token rows in the table (-1: unknown)
    vector: np.ndarray  # the table's embedding of the text (length 1)
    length: float  # the length of that embedding before it was scaled to 1


class GapEmbedder:
    """The model's `embed_passages` for a gap's words: the table where it knows the text, else the model.

    Deterministic: the same text always takes the same path."""

    def __init__(self, model: Any, table: GapTable, min_coverage: float = MIN_COVERAGE) -> None:
        if not table.fits(model):
            raise GapTableError(
                f"the gap table was fitted for {table.model_version}, not for {model.model_version}"
            )
        self.model = model
        self.table = table
        self.min_coverage = min_coverage
        self._model_lock = threading.Lock()  # the model runs its own threads: one pass at a time
        self._tokens = TextTokens.of(model)
        # A gap's words are asked whether the table knows them, then embedded, then ranked: read once.
        self._text_words = functools.lru_cache(maxsize=4096)(self._words_of)
        self.model_version = model.model_version
        self.dim = model.dim

    def knows(self, texts: Sequence[str]) -> bool:
        """Whether the table embeds these texts (a gap's words, and its sentences): it knows at least
        `min_coverage` of all their tokens, and each has MIN_TOKENS. Otherwise the model embeds them all."""
        return _covered([self.words(text).rows for text in texts], self.min_coverage)

    def embed_passages(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Vectors as the model's `embed_passages` gives them: the table's when it knows the texts."""
        if isinstance(texts, str):
            raise TypeError("pass a sequence of texts, not a single string")
        words = [self.words(text) for text in texts]
        if not _covered([w.rows for w in words], self.min_coverage):
            with self._model_lock:
                return self.model.embed_passages(texts, batch_size)
        return np.stack([w.vector for w in words])

    def words(self, text: str) -> TableWords:
        """The text as the table reads it, as `embed_passages` uses it (whether or not the table knows
        enough of it to embed it). A number the table does not know is left out rather than counted
        unknown: "hold 17" means "hold 18"."""
        return self._text_words(text)

    def _words_of(self, text: str) -> TableWords:
        ids = self._tokens([text])[0]
        numbers = self._tokens.number_ids
        rows = np.array([row for i, row in zip(ids, self.table.rows(ids)) if row >= 0 or i not in numbers], dtype=np.int64)
        raw = self.table.unnormalised(rows)
        vector = unit_vectors(raw)
        rows.flags.writeable = vector.flags.writeable = False  # cached and shared between threads
        return TableWords(rows, vector, float(np.linalg.norm(raw)))


class CourseProducts:
    """Every course vector's dot product with each token vector of a gap table, and with its bias.

    A gap the table embeds is the normalised bias plus the mean of its tokens' vectors, so its cosine
    to every course is the mean of a few precomputed rows: ~0.05 ms, where the product of its vector
    with all course vectors reads 15 MB per 10 000 courses (~1 ms once other work has pushed them
    out of the CPU's cache, as it does between requests). Same cosines, to float rounding. The price
    is memory: tokens × courses × 4 bytes, 190 MB at 10 000 courses, so `build` stops at a budget."""

    def __init__(self, table: GapTable, course_vectors: np.ndarray) -> None:
        self.table = table
        self.by_token = np.ascontiguousarray(table.vectors @ course_vectors.T, dtype=np.float32)  # (V, courses)
        self.by_bias = (course_vectors @ table.bias).astype(np.float32)
        self.by_token.flags.writeable = False

    @classmethod
    def build(cls, table: GapTable, course_vectors: np.ndarray, max_bytes: int = MAX_PRODUCTS_BYTES) -> CourseProducts | None:
        """The products, or None when they would take more than `max_bytes` (cosines are then computed
        per gap from the course vectors, as without a table)."""
        if not course_vectors.size or len(table.token_ids) * len(course_vectors) * 4 > max_bytes:
            return None
        return cls(table, course_vectors)

    @property
    def nbytes(self) -> int:
        return self.by_token.nbytes + self.by_bias.nbytes

    def cosines(self, words: TableWords, vector: np.ndarray) -> np.ndarray | None:
        """Every course's cosine to `vector`, when it is the table's vector of these words; None when
        it is not (the model embedded them: the products cannot stand in for it)."""
        known = words.rows[words.rows >= 0]
        if not len(known) or not np.array_equal(words.vector, vector):
            return None
        mean = np.full(len(known), 1.0 / len(known), dtype=np.float32) @ self.by_token[known]
        return (self.by_bias + mean) / np.float32(words.length or 1.0)


def _covered(rows: Sequence[np.ndarray], min_coverage: float) -> bool:
    if any(len(r) < MIN_TOKENS for r in rows):
        return False
    known = sum(int((r >= 0).sum()) for r in rows)
    return known > 0 and known >= min_coverage * sum(len(r) for r in rows)


def shipped_gap_embedder(model: Any, path: Path = SHIPPED_TABLE) -> GapEmbedder | None:
    """A `GapEmbedder` around `model` with the table at `path`, when that was fitted for this model.

    A missing table, or one for another model, gives None: the model embeds every gap. So does a
    broken table file, with a warning that names its problem: the table only saves time."""
    if not path.is_file():
        return None
    try:
        table = _load_cached(path, path.stat().st_mtime_ns)
    except GapTableError as exc:
        warnings.warn(f"{exc}; gaps in words are embedded by the model instead", GapTableWarning, stacklevel=2)
        return None
    return GapEmbedder(model, table) if table.fits(model) else None


def tagger_for_gaps(tagger: Any, path: Path | None = SHIPPED_TABLE) -> Any:
    """`tagger` as it tags a gap described in words: embedding with the gap table where one fits its
    model (`path` None: never). The CLI, the API and the recommender map words to fields alike."""
    embedder = shipped_gap_embedder(tagger.embedder, path) if path else None
    return tagger.with_embedder(embedder) if embedder else tagger


@functools.lru_cache(maxsize=4)
def _load_cached(path: Path, _mtime_ns: int) -> GapTable:
    # A recommender is built per catalogue generation; the file (3 MB compressed) is read once.
    return GapTable.load(path)


_TOKENS: weakref.WeakKeyDictionary[Any, TextTokens] = weakref.WeakKeyDictionary()
_TOKENS_LOCK = threading.Lock()


class TextTokens:
    """The model tokenizer's ids of texts, without special tokens or prompt, NFC-normalised first.

    A private copy of the tokenizer: the model's own is reconfigured (padding, truncation) on every
    model call, which may run in another thread at the same time."""

    def __init__(self, model: Any) -> None:
        from tokenizers import Tokenizer

        backend = model.encoder.tokenizer.backend_tokenizer
        self._tokenizer = Tokenizer.from_str(backend.to_str())
        self._tokenizer.no_padding()
        self._tokenizer.no_truncation()
        self.special_ids = frozenset(model.encoder.tokenizer.all_special_ids)
        self._word_ids: dict[str, tuple[int, ...]] = {}  # see _ids; dict reads and writes are atomic
        self.number_ids = frozenset(
            i for token, i in self._tokenizer.get_vocab().items() if _NUMBER.fullmatch(token.lstrip("▁"))
        )

    @classmethod
    def of(cls, model: Any) -> TextTokens:
        """The one copy for `model` (making one takes about a second: 250 000 pieces)."""
        with _TOKENS_LOCK:
            tokens = _TOKENS.get(model)
            if tokens is None:
                tokens = _TOKENS[model] = cls(model)
            return tokens

    def __call__(self, texts: Sequence[str]) -> list[list[int]]:
        return [self._ids(unicodedata.normalize("NFC", text)) for text in texts]

    def _ids(self, text: str) -> list[int]:
        # The tokenizer splits at spaces first and then reads each word alone (Metaspace, split), so
        # a single-spaced text's ids are its words' ids in turn; the domain's words recur, and known
        # ones cost a dict lookup instead of a tokenizer call (checked on the 14 827 fitting texts).
        if text != " ".join(text.split()):  # other spacing: the tokenizer sees the text as it is
            return self._encode(text)
        ids: list[int] = []
        for word in text.split(" "):
            known = self._word_ids.get(word)
            if known is None:
                if len(self._word_ids) >= MAX_CACHED_WORDS:
                    self._word_ids.clear()
                known = self._word_ids[word] = tuple(self._encode(word))
            ids.extend(known)
        return ids

    def _encode(self, text: str) -> list[int]:
        return [i for i in self._tokenizer.encode(text, add_special_tokens=False).ids if i not in self.special_ids]


# --------------------------------------------------------------------------
# fitting


def fit_gap_table(
    model: Any, texts: Sequence[str], *, ridge: float = RIDGE, holdout: float = 0.08, about: dict[str, Any] | None = None,
    progress: Progress | None = None,
) -> GapTable:
    """Fit a table to `model`'s passage vectors of `texts` (ridge regression, closed form).

    A random `holdout` share of the texts is kept out of a first fit to measure the cosine to the
    model on texts the table has not seen; the table returned is fitted on all of them."""
    from scipy import linalg, sparse

    report = progress or (lambda _message: None)
    texts = list(dict.fromkeys(t for t in texts if t.strip()))
    if len(texts) < 50:
        raise GapTableError(f"a gap table needs at least 50 distinct texts to fit on, got {len(texts)}")
    ids = TextTokens.of(model)(texts)
    report(f"embedding {len(texts)} texts with {model.model_version}")
    targets = model.embed_passages(texts, batch_size=64).astype(np.float64)
    vocabulary = np.array(sorted({t for seq in ids for t in seq}), dtype=np.int64)
    if len(vocabulary) > MAX_VOCABULARY:
        raise GapTableError(f"the corpus has {len(vocabulary)} distinct tokens; at most {MAX_VOCABULARY} fit in memory")
    column = {t: j for j, t in enumerate(vocabulary)}
    rows, cols, weights = [], [], []
    size = len(vocabulary)
    # mean pooling as a sparse matrix, plus a column of ones for the bias (not regularised)
    for r, seq in enumerate(ids):
        rows.extend([r] * (len(seq) + 1))
        cols.extend([column[t] for t in seq] + [size])
        weights.extend([1.0 / max(len(seq), 1)] * len(seq) + [1.0])
    pooling = sparse.csr_matrix((weights, (rows, cols)), shape=(len(texts), size + 1))

    def solve(selected: np.ndarray) -> np.ndarray:
        part = pooling[selected]
        gram = (part.T @ part).toarray()
        gram[np.arange(size), np.arange(size)] += ridge
        gram[size, size] += 1e-9
        return linalg.solve(gram, np.asarray(part.T @ targets[selected]), assume_a="pos")

    held = np.random.default_rng(0).random(len(texts)) < holdout
    report(f"fitting {size} token vectors (validation on {int(held.sum())} texts)")
    predicted = np.asarray(pooling[held] @ solve(~held))
    predicted /= np.maximum(np.linalg.norm(predicted, axis=1, keepdims=True), 1e-12)
    cosines = (predicted * targets[held]).sum(axis=1)
    solution = solve(np.ones(len(texts), dtype=bool))
    summary = {
        "texts": len(texts), "vocabulary": size, "ridge": ridge,
        "validation_cosine_mean": round(float(cosines.mean()), 4),
        "validation_cosine_p5": round(float(np.percentile(cosines, 5)), 4),
        "fitted_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        **(about or {}),
    }
    return GapTable(vocabulary, solution[:size].astype(np.float32), solution[size].astype(np.float32),
                    model.model_version, summary)


def corpus_texts(sources: Iterable[Path], *, seed: int = 13) -> list[str]:
    """Sentences and short, gap-like phrases from course files (JSON Lines), YAML data and plain text.

    Deterministic for the same files. Course files give title, description, text, target group and
    learning goals; YAML gives every string of two words or more; text files their paragraphs."""
    documents: list[str] = []
    for path in sources:
        documents.extend(_documents(path))
    rng = random.Random(seed)
    sentences = [s for d in documents for s in (" ".join(p.split()) for p in _SENTENCE.split(d)) if s]
    texts: dict[str, None] = {}

    def keep(text: str) -> None:
        text = " ".join(text.split()).strip(" -–•·▪")
        if 2 <= len(text.split()) <= 60 and re.search(r"[a-zæøå]{3}", text):
            texts[text] = None

    for sentence in sentences:
        keep(sentence)
        words = sentence.split()
        if len(words) > 8:
            for _ in range(2 if len(words) < 30 else 4):
                n = rng.randint(5, min(25, len(words)))
                start = rng.randint(0, len(words) - n)
                keep(" ".join(words[start:start + n]))
    spans = [s.split() for s in sentences if 3 <= len(s.split()) <= 30]
    for _ in range(min(6000, 3 * len(spans))):
        words = rng.choice(spans)
        n = rng.randint(3, min(14, len(words)))
        start = rng.randint(0, len(words) - n)
        span = " ".join(words[start:start + n]).rstrip(".,:;")
        keep(f"{rng.choice(GAP_OPENERS)} {span[0].lower()}{span[1:]}")
    return list(texts)


def default_sources(root: Path = DATA.parents[1]) -> list[Path]:
    """The project's own Danish course and framework texts (never the graded queries of eval/)."""
    return [
        DATA / "labelled-courses.jsonl", DATA / "taxonomy.yaml", DATA / "tagging_cues.yaml",
        DATA / "transfer_cues.yaml", root / "service" / "samples" / "courses.jsonl",
    ]


def sources_digest(sources: Sequence[Path]) -> str:
    digest = hashlib.sha256()
    for path in sources:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _documents(path: Path) -> list[str]:
    if not path.is_file():
        raise GapTableError(f"{path}: no such file")
    if path.suffix == ".jsonl":
        out = []
        for _number, record in json_objects(path, GapTableError):
            for key in ("title", "description", "text", "target_group"):
                if isinstance(record.get(key), str):
                    out.append(record[key])
            out.extend(g for g in record.get("learning_goals") or [] if isinstance(g, str))
        return out
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise GapTableError(f"{path}: not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None
    if path.suffix in (".yaml", ".yml"):
        try:
            data = yaml.safe_load(text)
        except yaml.MarkedYAMLError as exc:
            line, detail = describe_yaml_error(exc)
            raise GapTableError(f"{path}:{line}: YAML syntax error: {detail}") from None
        strings: list[str] = []
        _strings(data, strings)
        return strings
    text = re.sub(r"-\n\s*(?=[a-zæøå])", "", text)  # words hyphenated across lines in text from PDFs
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n+|\n(?=\s*[•\-–▪·]\s)", text) if p.strip()]


def _strings(node: Any, out: list[str]) -> None:
    if isinstance(node, dict):
        for value in node.values():
            _strings(value, out)
    elif isinstance(node, list):
        for value in node:
            _strings(value, out)
    elif isinstance(node, str) and len(node.split()) >= 2:
        out.append(node)
