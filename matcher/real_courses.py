"""Real provider pages as fitting data that may ship: their vectors and labels, never their texts.

The labelled real pages (`../shared/real-courses/labelled.jsonl`, outside the repository) belong to
their publishers. What fagmatch keeps of them is derived: each page's whole-text and passage vectors,
its cue counts, course type, ECTS, provider group and gold labels, in `matcher/data/real-courses.npz`.
The tagger fits on these beside the written examples. The vectors are only valid for the embedding
model that made them; under another model the set is left out (with a warning) until it is rebuilt
with `fagmatch model build-real-set`, which needs the labelled file.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from matcher.evaluation import LabelsError, load_labels, provider_group

if TYPE_CHECKING:
    from matcher.tagging import Example, Tagger

REAL_SET = Path(__file__).resolve().parent / "data" / "real-courses.npz"
# Where the labelled real pages lie beside a checkout (shared/ next to the repository).
DEFAULT_LABELS = Path(__file__).resolve().parents[2] / "shared" / "real-courses" / "labelled.jsonl"
COUNT_KEYS = ("domain", "grundlaeggende", "specialiseret", "university", "first_education")


class RealSetError(ValueError):
    """The real-course set cannot be built or read."""


def build_real_set(labels: Path, tagger: Tagger, output: Path = REAL_SET) -> int:
    """Embed the labelled real pages and write what may ship of them to `output`; returns the count."""
    if not labels.is_file():
        raise RealSetError(
            f"{labels}: no such file; the labelled real pages lie in shared/real-courses/ beside a checkout"
        )
    try:
        items = load_labels(labels, tagger.taxonomy.field_keys)
    except LabelsError as exc:
        raise RealSetError(str(exc)) from None
    examples = tagger.examples(items)
    offsets = np.cumsum([0] + [len(ex.evidence.passage_vectors) for ex in examples])
    meta = {
        "model_version": tagger.embedder.model_version,
        "cues_digest": _cues_digest(tagger),
        "source": labels.name,
        "pages": len(items),
    }
    tmp = output.with_suffix(".tmp.npz")
    np.savez_compressed(
        tmp,
        ids=np.array([item.id for item in items]),
        groups=np.array([provider_group(item) for item in items]),
        course_types=np.array([ex.course_type or "" for ex in examples]),
        ects=np.array([np.nan if ex.ects is None else ex.ects for ex in examples], dtype=np.float64),
        fields=np.array([",".join(ex.fields) for ex in examples]),
        levels=np.array([ex.level or "" for ex in examples]),
        counts=np.array([[ex.counts[k] for k in COUNT_KEYS] for ex in examples], dtype=np.int32),
        course_vectors=np.vstack([ex.evidence.course_vector for ex in examples]).astype(np.float16),
        passage_vectors=np.vstack([ex.evidence.passage_vectors for ex in examples]).astype(np.float16),
        passage_offsets=offsets.astype(np.int64),
        meta=np.array(json.dumps(meta)),
    )
    tmp.replace(output)
    return len(items)


def load_real_set(tagger: Tagger, path: Path = REAL_SET) -> tuple[list[str], list[str], list[Example]]:
    """The stored pages as (ids, provider groups, fitting examples) for this tagger's framework.

    Raises RealSetError when the file is unreadable or was embedded with another model."""
    from matcher.tagging import Example, evidence_from_vectors

    try:
        with np.load(path, allow_pickle=False) as data:
            stored = {key: data[key] for key in data.files}
        meta = json.loads(str(stored["meta"]))
    except (OSError, ValueError, KeyError) as exc:
        raise RealSetError(f"{path}: cannot read the real-course set: {exc}") from None
    if meta["model_version"] != tagger.embedder.model_version:
        raise RealSetError(
            f"{path} was embedded with {meta['model_version']}, not {tagger.embedder.model_version}: "
            "rebuild it with `fagmatch model build-real-set`"
        )
    if stored["counts"].shape[1:] != (len(COUNT_KEYS),):
        raise RealSetError(
            f"{path} holds other cue counts than {', '.join(COUNT_KEYS)}: "
            "rebuild it with `fagmatch model build-real-set`"
        )
    if meta["cues_digest"] != _cues_digest(tagger):  # the same counts, from other cue words: usable
        warnings.warn(
            f"{path}: the real pages' cue counts were made with an earlier tagging_cues.yaml; the tagger learns "
            "from them as counted then, which is safe. To count them with the new words, run `fagmatch model "
            "build-real-set` where the labelled real pages are (../shared/real-courses), and commit the file", stacklevel=2,
        )
    file_digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    offsets = stored["passage_offsets"]
    passage_vectors = stored["passage_vectors"].astype(np.float32)
    examples = []
    for i, page_id in enumerate(stored["ids"]):
        pv = passage_vectors[offsets[i] : offsets[i + 1]]
        evidence = evidence_from_vectors(tagger.vectors, [""] * len(pv), pv, stored["course_vectors"][i].astype(np.float32))
        ects = float(stored["ects"][i])
        fields = [f for f in str(stored["fields"][i]).split(",") if f]
        unknown = [f for f in fields if f not in tagger.vectors.field_keys]
        if unknown:
            raise RealSetError(f"{path}: page {page_id} has unknown field key(s) {', '.join(unknown)}")
        examples.append(Example(
            evidence=evidence,
            counts=dict(zip(COUNT_KEYS, (int(c) for c in stored["counts"][i]))),
            course_type=str(stored["course_types"][i]) or None,
            ects=None if np.isnan(ects) else ects,
            fields=fields,
            level=str(stored["levels"][i]) or None,
            digest=f"{page_id}@{file_digest}",
            id=str(page_id),
        ))
    return [str(i) for i in stored["ids"]], [str(g) for g in stored["groups"]], examples


def shipped_examples(tagger: Tagger, path: Path = REAL_SET) -> list[Example]:
    """The shipped real pages as fitting examples; none (with a warning) where they cannot be used."""
    if not path.is_file():
        return []
    try:
        return load_real_set(tagger, path)[2]
    except RealSetError as exc:
        warnings.warn(f"{exc}; tagging without the real pages", stacklevel=2)
        return []


def _cues_digest(tagger: Tagger) -> str:
    return hashlib.sha256(tagger.cues.model_dump_json(include={"domain", "level"}).encode()).hexdigest()[:12]
