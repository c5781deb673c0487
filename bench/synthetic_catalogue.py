"""A large synthetic catalogue for the benchmarks, made from a small one tagged for real once.

The evaluation catalogue's courses (eval/recommend-catalogue.jsonl, 240 courses) are ingested and
tagged with the real tagger, then repeated with other ids, providers, prices and start dates and
slightly perturbed embeddings. The copies reuse the originals' tags and vectors, so a 10 000-course
catalogue costs one tagging of 240 courses rather than 10 000.

The result is either an in-memory `CatalogueIndex` (bench/recommend.py) or a catalogue file written
through the store's own write path, the one `fagmatch tag` uses (bench/service.py).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from matcher.catalogue_index import CatalogueIndex, CourseTags
from matcher.catalogue_tagging import BATCH, course_text, store_result
from matcher.course import Course
from matcher.ingest import ingest_file
from matcher.store import open_catalogue, write_catalogue
from matcher.tagging import Tagger, TagResult

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "eval" / "recommend-catalogue.jsonl"
SAMPLE = ROOT / "service" / "samples" / "courses.jsonl"
FIRST_START = dt.date(2027, 1, 4)  # bench/recommend.py's fixed "today" (2026-11-22) plus six weeks
VECTOR_NOISE = 0.02  # per dimension: copies stay near their original, yet no two vectors are equal


@dataclass(frozen=True)
class TaggedCourse:
    """A course with the tagger's result for it (fields, level, items, evidence and its vector)."""

    course: Course
    result: TagResult


def base_source() -> Path:
    """The evaluation catalogue, or the bundled sample feed where it is missing."""
    return CATALOGUE if CATALOGUE.exists() else SAMPLE


def tag_base(tagger: Tagger, source: Path | None = None) -> list[TaggedCourse]:
    """The source feed's active courses, in catalogue (id) order, tagged for real.

    The feed goes through `ingest_file` into a scratch catalogue, so the courses are exactly what
    a real ingest keeps; tagging runs in batches as `fagmatch tag` does."""
    source = source or base_source()
    with tempfile.TemporaryDirectory(prefix="fagmatch-bench-") as tmp:
        db = Path(tmp) / "base.duckdb"
        report = ingest_file(db, source, source="bench")
        if report.rejected:
            raise RuntimeError(f"{source}: {len(report.rejected)} records rejected, e.g. {report.rejected[0].reason}")
        with open_catalogue(db) as reader:
            courses = list(reader.courses(include_withdrawn=False))
    results: list[TagResult] = []
    for start in range(0, len(courses), BATCH):
        results += tagger.tag([course_text(c) for c in courses[start : start + BATCH]])
    return [TaggedCourse(course, result) for course, result in zip(courses, results)]


def variants(
    base: Sequence[TaggedCourse], count: int, *, first_start: dt.date = FIRST_START, seed: int = 7
) -> Iterator[TaggedCourse]:
    """`count` courses cycling through `base`: new id, provider, price (±20 %) and two start dates
    within 18 months of `first_start`; tags kept, vector perturbed and renormalised."""
    if not base:
        raise ValueError("no base courses to repeat")
    rng = random.Random(seed)
    noise = np.random.default_rng(seed)
    for i in range(count):
        original = base[i % len(base)]
        course = original.course
        start = first_start + dt.timedelta(days=rng.randrange(0, 540))
        copy = course.model_copy(update={
            "id": f"{course.course_id}-{i}",
            "provider": f"{course.provider or 'Udbyder'} {i % 97}",
            "price_dkk": None if course.price_dkk is None else round(course.price_dkk * rng.uniform(0.8, 1.2)),
            "start_dates": [start, start + dt.timedelta(days=180)],
        })
        vector = original.result.course_vector
        if vector is not None:
            vector = vector + noise.normal(0, VECTOR_NOISE, vector.shape[0]).astype(np.float32)
            vector = (vector / np.linalg.norm(vector)).astype(np.float32)
        yield TaggedCourse(copy, dataclasses.replace(original.result, id=copy.course_id, course_vector=vector))


def build_index(courses: Sequence[TaggedCourse], field_keys: Sequence[str], embedding_model: str) -> CatalogueIndex:
    """The in-memory index the service would load from a catalogue holding these courses."""
    # Tags as the index reads them back from the store: CourseTags of the stored result JSON.
    tags = [CourseTags.from_result(t.result.model, t.result.to_json()) for t in courses]
    vectors = np.stack([t.result.course_vector for t in courses]).astype(np.float32)
    return CatalogueIndex([t.course for t in courses], tags, vectors, field_keys=field_keys,
                          embedding_model=embedding_model)


def write_catalogue_file(path: Path, courses: Sequence[TaggedCourse], embedding_model: str) -> None:
    """Write the courses, their tags and their embeddings into a catalogue file as one published run.

    Goes through the store's public write API (`upsert`, then `store_result`, which `fagmatch tag`
    uses for `store_tagging` and `store_embedding`), so the file is what ingest plus tag would give."""
    with write_catalogue(path, "bench", ["bench"]) as writer:
        for tagged in courses:
            writer.upsert(tagged.course)
            store_result(writer, tagged.course.course_id, tagged.course.compute_hash(), tagged.result, embedding_model)
        writer.counts["tagged"] = len(courses)

