"""Keyword relevance: Okapi BM25 over Danish text, held in memory as one sparse matrix.

The scoring is DuckDB full-text search's (`match_bm25`: k1 1.2, b 0.75, the Snowball Danish
stemmer), but kept in a SciPy matrix because a search must answer in a millisecond or two under
concurrent load, and DuckDB's FTS query over 10 000 courses takes several (bench/recommend.py). A
query's scores are the sum of its terms' precomputed columns, so the cost grows with the number of
query terms, not with the catalogue.

Danish writes compounds as one word, so a query term also finds, weighed less, the index terms it
begins ("sygedagpenge" finds "sygedagpengeloven") and the index term one letter shorter that begins
it (Snowball stems "jobcentret" "jobcentr" and "jobcenter" "jobcent"), and a query term no course
uses finds the two words it is made of ("virksomhedsmentorer" finds "mentor" and "virksomhed"). A
query term no course uses, typed with ae, oe or aa for æ, ø and å, finds the word it spells
("foertidspension"), and one that is none of these finds the index term a slip of the keyboard away
("sygedagpnge"). Where Snowball gives words of different meanings one stem ("ledelse",
"ledige": "led"), the override file (data/stem-overrides-da.txt) sets them apart. A query's
abbreviation ("LAB") also finds its long form (data/abbreviations-da.yaml).
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
import unicodedata
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import snowballstemmer
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer

from matcher.abbreviations import with_long_forms
from matcher.data_files import DataFileError, read_text
from matcher.text import WORD

STOPWORDS_FILE = Path(__file__).resolve().parent / "data" / "stopwords-da.txt"
STEM_OVERRIDES_FILE = Path(__file__).resolve().parent / "data" / "stem-overrides-da.txt"
K1 = 1.2
B = 0.75
MIN_PREFIX = 5  # shorter stems begin too many unrelated words
SHORTER_BY = 1  # an index term this many letters shorter than a query term, which begins it, is its word
MAX_EXPANSIONS = 30
COMPOUND_WEIGHT = 0.7
MIN_PART = 4  # a compound's parts: shorter ones are mostly endings and linking letters
MAX_CACHED_STEMS = 200_000  # more than a 10 000-course catalogue's distinct words
_ASCII_DANISH = re.compile(r"(ae|oe|aa)")
_DANISH_LETTER = {"ae": "æ", "oe": "ø", "aa": "å"}
MAX_DIGRAPHS = 4  # a word with more is not tried letter by letter (2⁴ spellings at most)
MIN_TYPO = 6  # a shorter word is not corrected: one letter more or less makes another word of most
_LETTERS = "abcdefghijklmnopqrstuvwxyzæøå"
_PLAIN_FOR = {"a": "å", "o": "ø", "e": "æ"}  # typed for the letter a keyboard without it lacks


class WordListError(DataFileError):
    """A stop word or stem-override file that cannot be used; names the line and the problem."""


def _lines(path: Path, what: str) -> list[str]:
    try:
        return read_text(path, what).splitlines()
    except DataFileError as exc:
        raise WordListError(str(exc)) from None


@functools.lru_cache(maxsize=1)
def load_stopwords(path: Path = STOPWORDS_FILE) -> frozenset[str]:
    """The stop word list: one word a line, `#` comments."""
    words = set()
    for number, line in enumerate(_lines(path, "stop word list"), start=1):
        word = line.strip().lower()
        if not word or word.startswith("#"):
            continue
        if not WORD.fullmatch(word):  # the index's words are letters and digits only: "i dag" would never match
            raise WordListError(f"{path}:{number}: {line.strip()!r}: one word a line, letters and digits only")
        words.add(word)
    return frozenset(words)


@functools.lru_cache(maxsize=1)
def load_stem_overrides(path: Path = STEM_OVERRIDES_FILE) -> dict[str, str]:
    """Word → stem, from the override file (`stem: word word …` a line, `#` comments): where Snowball
    joins words of different meanings ("ledig" and "ledelse" are both "led")."""
    overrides: dict[str, str] = {}
    for number, line in enumerate(_lines(path, "stem override file"), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        stem, colon, words = line.partition(":")
        stem = stem.strip()
        if not colon or not WORD.fullmatch(stem) or not words.split():
            raise WordListError(f"{path}:{number}: write the stem, a colon and its words, e.g. 'ledig: ledig ledige'")
        for word in words.split():
            if word != word.lower() or not WORD.fullmatch(word):
                raise WordListError(f"{path}:{number}: {word!r} is not one lower-case word")
            if word in overrides:
                raise WordListError(f"{path}:{number}: {word!r} is listed twice (stems {overrides[word]!r} and {stem!r})")
            overrides[word] = stem
    return overrides


def stem_word(word: str) -> str:
    """The Danish stem of one lower-case word, uncached: Snowball's, or the override file's. A fresh
    stemmer each time: stemmer objects are not thread-safe, and the callers cache what they stem."""
    if word.isdigit():  # a number is its own stem (Snowball strips suffixes after a vowel), and a gap's is often new
        return word
    return load_stem_overrides().get(word) or snowballstemmer.stemmer("danish").stemWord(word)


def content_words(text: str, stopwords: frozenset[str]) -> list[str]:
    """The text's words (lower case, NFC) that are no stop words."""
    return [w for w in WORD.findall(unicodedata.normalize("NFC", text).lower()) if w not in stopwords]


def has_content_words(text: str) -> bool:
    """Whether the text holds a word that is no stop word: one keyword search can look for."""
    return bool(content_words(text, load_stopwords()))


class DanishAnalyzer:
    """Lower-case, NFC, words of letters and digits, stop words dropped, Snowball-stemmed."""

    def __init__(self, stopwords: frozenset[str] | None = None, *, cache_size: int = MAX_CACHED_STEMS) -> None:
        self.stopwords = load_stopwords() if stopwords is None else stopwords
        self._cache: dict[str, str] = {}
        self._cache_size = cache_size

    def __call__(self, text: str) -> list[str]:
        return [self._stem(w) for w in self._kept(text)]

    def pairs(self, text: str) -> list[tuple[str, str]]:
        """Each word the analyzer keeps, as written (lower case), with its stem."""
        return [(w, self._stem(w)) for w in self._kept(text)]

    def _kept(self, text: str) -> list[str]:
        return content_words(text, self.stopwords)

    def _stem(self, word: str) -> str:
        stem = self._cache.get(word)
        if stem is None:
            if len(self._cache) >= self._cache_size:  # every new word a user types is a miss: stay bounded
                self._cache.clear()
            stem = self._cache[word] = stem_word(word)
        return stem


class Bm25Index:
    """BM25 scores of every document for a query, all at once."""

    def __init__(self, documents: Sequence[str], analyzer: DanishAnalyzer | None = None) -> None:
        self.analyzer = analyzer or DanishAnalyzer()
        # A query's terms, asked for its scores and again for each result's "why".
        self._query_terms = functools.lru_cache(maxsize=256)(self._terms_of)
        # Per term, not per query: new gap texts are new combinations of the domain's words, and a
        # query made of known terms then creates next to no objects for the garbage collector to walk
        # (per-query tuples of columns made its young-generation passes take ~3 ms).
        self._term_columns = functools.lru_cache(maxsize=8192)(self._expansions)
        self._term_column_set = functools.lru_cache(maxsize=8192)(self._column_set)
        self._term_scores = functools.lru_cache(maxsize=4096)(self._best_of)
        # A document's index columns, for the why of the results it appears in (popular ones often).
        self._term_set = functools.lru_cache(maxsize=4096)(self._columns_in)
        # A query term no course uses, as the user typed it: a slip is looked for in the word, not its stem.
        self._typed: dict[str, str] = {}
        self._course_words: frozenset[str] = frozenset()  # every word the documents use, as written
        self.size = len(documents)
        if not documents:
            self.vocabulary: dict[str, int] = {}
            self._sorted_terms: list[str] = []
            self.weights = sparse.csc_matrix((0, 0), dtype=np.float32)
            self._document_terms = (np.zeros(1, dtype=np.int32), np.zeros(0, dtype=np.int32))
            return
        words: set[str] = set()

        def analyse(text: str) -> list[str]:
            pairs = self.analyzer.pairs(text)
            words.update(word for word, _ in pairs)
            return [stem for _, stem in pairs]

        vectorizer = CountVectorizer(analyzer=analyse, dtype=np.float32)
        try:
            counts = vectorizer.fit_transform(documents).tocsr()
        except ValueError:  # no document has a single word
            self.vocabulary = {}
            self._sorted_terms = []
            self.weights = sparse.csc_matrix((self.size, 0), dtype=np.float32)
            self._document_terms = (np.zeros(self.size + 1, dtype=np.int32), np.zeros(0, dtype=np.int32))
            return
        self.vocabulary = {term: int(i) for term, i in vectorizer.vocabulary_.items()}
        self._sorted_terms = sorted(self.vocabulary)
        self._course_words = frozenset(words)
        lengths = np.asarray(counts.sum(axis=1)).ravel()
        mean_length = float(lengths.mean()) or 1.0
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        idf = np.log(1.0 + (self.size - df + 0.5) / (df + 0.5)).astype(np.float32)
        rows = np.repeat(np.arange(self.size), np.diff(counts.indptr))
        tf = counts.data
        norm = K1 * (1.0 - B + B * lengths[rows] / mean_length)
        counts.data = (idf[counts.indices] * tf * (K1 + 1.0) / (tf + norm)).astype(np.float32)
        self.weights = counts.tocsc()
        # Each document's terms, for a result's "why": SciPy's element lookup costs ~40 µs a call.
        self._document_terms = (counts.indptr, counts.indices)

    def query_terms(self, query: str) -> list[str]:
        """The query's stemmed terms, each once, in query order, and then those of the long form of
        each abbreviation it uses (matcher.abbreviations)."""
        pairs = self.analyzer.pairs(with_long_forms(query))
        for word, stem in pairs:
            if stem not in self.vocabulary and stem not in self._typed:
                if len(self._typed) >= MAX_CACHED_STEMS:  # every new word a user types adds one: stay bounded
                    self._typed.clear()
                self._typed[stem] = word
        return list(dict.fromkeys(stem for _, stem in pairs))

    def _spelled(self, term: str) -> str:
        """The term as the courses spell it: a term no course uses, typed with "ae", "oe" or "aa" for
        æ, ø and å (a keyboard without them: "foertidspension"), is the index term it spells."""
        if term in self.vocabulary or not _ASCII_DANISH.search(term):
            return term
        return next((c for c in self._respellings(term) if c in self.vocabulary), term)

    def _respellings(self, term: str) -> Iterator[str]:
        """The term with some of its "ae", "oe" and "aa" written as æ, ø and å, each also stemmed."""
        pieces = _ASCII_DANISH.split(term)  # text, digraph, text, digraph, …
        digraphs = pieces[1::2][:MAX_DIGRAPHS]
        for choice in itertools.product((False, True), repeat=len(digraphs)):
            if not any(choice):
                continue
            word = pieces[0] + "".join(
                (_DANISH_LETTER[d] if restore else d) + rest
                for d, restore, rest in zip(digraphs, choice, pieces[2::2])
            ) + "".join(pieces[2 * len(digraphs) + 1 :])
            yield word
            yield stem_word(word)

    def _expansions(self, term: str) -> tuple[tuple[int, float], ...]:
        """Index columns for one query term: `_word_columns`, and where no course uses the term, the
        two words it is made of (`_compound_parts`; of its spelling with æ, ø and å where only that
        splits: "sygedagpengeopfoelgning"), weighed as compounds are; where it is no compound either, the
        word it was meant to be (`_meant`)."""
        meant = self._meant(term)
        columns = self._word_columns(meant)
        if meant not in self.vocabulary:
            columns += [(self.vocabulary[part], COMPOUND_WEIGHT) for part in self._parts(meant)]
        return tuple(columns)

    def _meant(self, term: str) -> str:
        """The term as the courses write it: as spelled (`_spelled`), or, where no course uses it nor
        both words of its compound, the index term one slip of the keyboard away (`_slip_of`)."""
        term = self._spelled(term)
        if term in self.vocabulary or self._parts(term):
            return term
        return self._slip_of(term) or term

    def _parts(self, term: str) -> tuple[str, ...]:
        """The compound's parts (`_compound_parts`), also of its spelling with æ, ø and å."""
        return self._compound_parts(term) or (next(
            (found for c in self._respellings(term) if (found := self._compound_parts(c))), ())
            if _ASCII_DANISH.search(term) else ())

    def _slip_of(self, term: str) -> str | None:
        """The index term that a term no course uses was most likely meant to be, when it is one slip of
        the keyboard away (`_one_slip`: "sygedagpnge" for "sygedagpenge"); of several, the one most
        courses use. A word under MIN_TYPO letters, or a term that finds index terms as it is
        (`_word_columns`: a compound it begins, its form a letter shorter), is taken as written."""
        # The slip is looked for in the word as typed: it changes where the stemmer cuts ("afgorelser"
        # is stemmed "afgor", "afgørelser" "afgør"; "fastholdlse" "fastholdls", "fastholdelse" "fasthold").
        typed = self._typed.get(term, term)
        if len(typed) < MIN_TYPO or not typed.isalpha() or self._word_columns(term):
            return None
        # a word the courses use, not any string one letter off whose stem happens to be an index term
        # ("trupende" is stemmed "trup", "udenighed" "uden")
        found = [stem for candidate in set(_one_slip(typed)) if candidate in self._course_words
                 and (stem := stem_word(candidate)) != term and stem in self.vocabulary]
        if not found:
            return None
        indptr = self.weights.indptr
        return max(sorted(set(found)), key=lambda c: indptr[self.vocabulary[c] + 1] - indptr[self.vocabulary[c]])

    def _word_columns(self, term: str) -> list[tuple[int, float]]:
        """The term itself, and weighed less: the index term a letter shorter that begins it (one word's
        forms Snowball stems apart: "jobcentr", "jobcent"), and, because Danish writes compounds as
        one word, index terms it begins ("sygedagpeng" finds "sygedagpengelov")."""
        columns = [(self.vocabulary[term], 1.0)] if term in self.vocabulary else []
        shorter = term[:-SHORTER_BY]
        if len(shorter) >= MIN_PREFIX and shorter in self.vocabulary:
            columns.append((self.vocabulary[shorter], COMPOUND_WEIGHT))
        if len(term) >= MIN_PREFIX:
            start = bisect.bisect_left(self._sorted_terms, term)
            for other in self._sorted_terms[start : start + MAX_EXPANSIONS + 1]:
                if not other.startswith(term):
                    break
                if other != term:
                    columns.append((self.vocabulary[other], COMPOUND_WEIGHT))
        return columns

    def _compound_parts(self, term: str) -> tuple[str, ...]:
        """The two parts of a compound query term whose parts the documents use as words of their own
        ("virksomhedsmentor" → "virksomhed", "mentor"): the split with the longest head, each part at
        least MIN_PART long, a linking "s" or "e" dropped from the first (or the first stemmed)."""
        for cut in range(MIN_PART, len(term) - MIN_PART + 1):
            head = term[cut:]
            if head not in self.vocabulary:
                continue
            first = term[:cut]
            # the index holds stems ("persondata" is there as "persondat"); fragments stay out of the
            # analyzer's cache, and the split is cached per term (_term_columns)
            for modifier in (first, first[:-1] if first[-1] in "se" else "", stem_word(first)):
                if len(modifier) >= MIN_PART and modifier in self.vocabulary:
                    return (modifier, head)
        return ()

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every document (0 where no query term occurs): per query term, its best
        column (exact, a compound that begins with it, or its parts), summed over the terms."""
        total = np.zeros(self.size, dtype=np.float32)
        for term in self._query_terms(query):
            documents, values = self._term_scores(term)
            total[documents] += values
        return total

    def _best_of(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """One query term's score per document that has it: its best column (a word with its
        compounds took most of a query's time, 0.25 ms, before it was cached)."""
        best = np.zeros(self.size, dtype=np.float32)
        indptr, rows, weights = self.weights.indptr, self.weights.indices, self.weights.data
        # Read each column's postings straight from the CSC arrays: SciPy's column indexing
        # costs more than the arithmetic here.
        for column, factor in self._term_columns(term):
            at = rows[indptr[column] : indptr[column + 1]]
            best[at] = np.maximum(best[at], weights[indptr[column] : indptr[column + 1]] * factor)
        documents = np.flatnonzero(best)
        values = best[documents]
        documents.flags.writeable = values.flags.writeable = False
        return documents, values

    def matched_terms(self, query: str, document: int) -> list[str]:
        """The query terms (stemmed) that occur in one document, alone or in a compound: part of a
        result's why. A match by a compound's parts is left out: a weaker one, and the course holds
        neither the term nor a compound of it to show."""
        present = self._term_set(document)
        return [self._meant(term) for term in self._query_terms(query) if not present.isdisjoint(self._term_column_set(term))]

    def _column_set(self, term: str) -> frozenset[int]:
        return frozenset(column for column, _ in self._word_columns(self._meant(term)))

    def _columns_in(self, document: int) -> frozenset[int]:
        indptr, indices = self._document_terms
        return frozenset(indices[indptr[document] : indptr[document + 1]].tolist())

    def _terms_of(self, query: str) -> tuple[str, ...]:
        return tuple(self.query_terms(query))


def _one_slip(word: str) -> Iterator[str]:
    """The words `word` is one common slip of the keyboard away from: a letter left out ("sygedagpnge"),
    two letters swapped ("samarbjede"), a letter typed twice ("mentorr"), or a, o or e typed for å, ø or
    æ ("radgivning"). Not any letter changed or added: those turn too many real words into other ones
    ("oplæsning" into "oplysning", "truende" into "trend", "ubalance" into "balance")."""
    for i in range(len(word) + 1):
        left, right = word[:i], word[i:]
        for letter in _LETTERS:
            yield left + letter + right
        if len(right) > 1:
            yield left + right[1] + right[0] + right[2:]
            if right[0] == right[1]:
                yield left + right[1:]
        if right and right[0] in _PLAIN_FOR:
            yield left + _PLAIN_FOR[right[0]] + right[1:]
