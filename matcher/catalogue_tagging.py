"""`fagmatch tag` on the catalogue: incremental, recorded as a run, never blocking crawls for long.

Courses are read from a snapshot and tagged outside the write lock; the tags are then stored in short
write runs: every SAVE_EVERY_SECONDS, at the end, and when the run is interrupted (Ctrl-C, SIGTERM),
so a long run can be stopped and the next goes on from where it was. A course whose content changed
in between is skipped (its tags would describe old text) and is picked up by the next run."""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sklearn.model_selection import GroupKFold

from matcher.course import Course
from matcher.evaluation import provider_group
from matcher.file_lock import exclusive_lock
from matcher.store import CatalogueWriter, check_writable, open_catalogue, write_catalogue
from matcher.tagging import CourseText, Tagger, TagResult

BATCH = 64
# A long run stores what it has tagged this often (a write copies the catalogue, so not after every
# batch): an interruption, a reboot or a kill loses at most this much work.
SAVE_EVERY_SECONDS = 300.0


def course_text(course: Course) -> CourseText:
    """What the tagger reads of a course: title, description, learning goals and target group."""
    parts = [course.description or ""]
    if course.learning_goals:
        parts.append("Læringsmål: " + " ".join(goal.text for goal in course.learning_goals))
    if course.target_group:
        parts.append(f"Målgruppe: {course.target_group}")
    return CourseText(
        id=course.course_id, title=course.title, text="\n".join(p for p in parts if p),
        course_type=course.course_type, url=course.url, ects=course.ects,
    )


@dataclass
class TagRunReport:
    tagged: int = 0
    up_to_date: int = 0
    skipped_changed: int = 0
    model: str = ""
    # of the courses tagged anew, those that showed another tagger's tags (after an upgrade, or a
    # change to the framework or the cues): model version → courses
    earlier_models: dict[str, int] = field(default_factory=dict)


def tag_catalogue(
    db_path: Path, tagger: Tagger, *, force: bool = False, progress: Callable[[int, int], None] | None = None,
    waiting: Callable[[], None] | None = None,
) -> TagRunReport:
    """Tag the active courses whose content or model changed since they were last tagged (all with `force`).

    A course is up to date when its latest tagging, the one the service and the feeds show, is this
    tagger's of its current text. Tags of this version that another tagging has since covered (a run
    with another taxonomy or model, since undone) are made again, so they are what is shown."""
    check_writable(db_path)  # before the tagging: it would tag every course only to be refused at the end
    # One tagging run at a time: a second (a cron run overlapping the last) waits, then tags only what is
    # left, instead of tagging the same courses twice. `waiting` is told when it has to wait.
    resolved = Path(db_path).resolve()
    with exclusive_lock(resolved.with_name(resolved.name + ".tag.lock"), waiting):
        return _tag_locked(db_path, tagger, force=force, progress=progress)


def _tag_locked(db_path: Path, tagger: Tagger, *, force: bool, progress: Callable[[int, int], None] | None) -> TagRunReport:
    model = tagger.model_version
    report = TagRunReport(model=model)
    with open_catalogue(db_path) as catalogue:
        current = catalogue.tagged_hashes(model)
        shown = catalogue.latest_tag_models()
        # The stored hash, not one computed again: a course stored under an earlier rule for its text
        # or URL would hash otherwise, and its tags would never count as made from its content.
        active = [(c, c.content_hash) for c in catalogue.courses(include_withdrawn=False)]
    pending = [(c, h) for c, h in active
               if force or current.get(c.course_id) != h or shown.get(c.course_id) != model]
    report.up_to_date = len(active) - len(pending)
    report.earlier_models = dict(Counter(
        shown[c.course_id] for c, _ in pending if shown.get(c.course_id, model) != model
    ).most_common())
    results: list[tuple[str, str, TagResult]] = []
    done, saved_at = 0, time.monotonic()
    try:
        for start in range(0, len(pending), BATCH):
            batch = pending[start : start + BATCH]
            tags = tagger.tag([course_text(c) for c, _ in batch])
            results.extend((c.course_id, h, result) for (c, h), result in zip(batch, tags))
            done += len(batch)
            if progress:
                progress(done, len(pending))
            if time.monotonic() - saved_at >= SAVE_EVERY_SECONDS and done < len(pending):
                _save(db_path, tagger, results, report)  # a long run keeps what it has done as it goes
                results, saved_at = [], time.monotonic()
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: keep what is tagged, so the next run goes on from there
        if results:
            _save(db_path, tagger, results, report)
        raise
    _save(db_path, tagger, results, report)
    return report


def _save(db_path: Path, tagger: Tagger, results: Sequence[tuple[str, str, TagResult]], report: TagRunReport) -> None:
    """Store a part of a tagging run's results as a run of its own; `report` counts what every part stored."""
    with write_catalogue(db_path, "tag", [report.model]) as writer:
        tagged, skipped = _store_current(writer, results, tagger.embedder.model_version)
        report.tagged += tagged
        report.skipped_changed += skipped
        writer.counts["tagged"] = tagged
        writer.counts["up_to_date"] = report.up_to_date
        writer.counts["skipped_changed"] = skipped


def _store_current(writer: CatalogueWriter, results: Sequence[tuple[str, str, TagResult]], embedding_model: str) -> tuple[int, int]:
    """Store each (course id, content hash it was tagged from, tags) unless the course changed
    since: its tags would describe old text. Returns (stored, skipped as changed)."""
    stored = 0
    for course_id, content_hash, result in results:
        if writer.current_hash(course_id) == content_hash:
            store_result(writer, course_id, content_hash, result, embedding_model)
            stored += 1
    return stored, len(results) - stored


def store_result(writer: CatalogueWriter, course_id: str, content_hash: str, result: TagResult, embedding_model: str) -> None:
    """Keep a course's tags (fields with scores, fagprofiler items, dimensions) and its embedding."""
    items: list[tuple[str, str, float, str | None]] = [
        ("field", key, score, result.level if key in result.assigned_fields else None)
        for key, score in result.fields.items()
    ]
    items += [("basic_competence", key, 1.0, None) for key in result.basic_competences]
    items += [("profile", key, 1.0, None) for key in result.profiles]
    items += [("dimension", key, score, None) for key, score in result.dimensions.items()]
    writer.store_tagging(
        course_id, result.model, content_hash, primary_field=result.primary_field,
        assigned_fields=result.assigned_fields, level=result.level, course_type=result.course_type,
        result=result.to_json(), item_scores=items,
    )
    if result.course_vector is not None:
        writer.store_embedding(course_id, embedding_model, content_hash, result.course_vector)


def retag_out_of_fold(db_path: Path, tagger: Tagger, *, folds: int = 5) -> int:
    """Re-tag the catalogue's courses that the shipped tagger was fitted on (its labelled courses and
    real pages, matched by id), each by a tagger fitted on the shipped examples less its fold, the
    folds grouped by provider, so that measuring over them does not favour tags learnt from their own
    labels. The tags keep `tagger`'s model version. Returns how many were re-tagged (a course changed
    meanwhile keeps its tags)."""
    with open_catalogue(db_path) as catalogue:
        active = {c.course_id: (c, c.content_hash) for c in catalogue.courses(include_withdrawn=False)}
    shipped = tagger.shipped_examples()
    fitted_on = sorted({ex.id for ex in shipped} & set(active))
    results: list[tuple[str, str, TagResult]] = []
    groups = [provider_group(active[course_id][0]) for course_id in fitted_on]
    splits = GroupKFold(min(folds, len(set(groups)))).split(fitted_on, groups=groups) if len(set(groups)) > 1 else []
    for _, test in splits:
        held = [fitted_on[i] for i in test]
        left_out = set(held)
        fold_tagger = Tagger(tagger.taxonomy, tagger.embedder).fit_examples([ex for ex in shipped if ex.id not in left_out])
        tags = fold_tagger.tag([course_text(active[course_id][0]) for course_id in held])
        results += [(cid, active[cid][1], dataclasses.replace(r, model=tagger.model_version)) for cid, r in zip(held, tags)]
    with write_catalogue(db_path, "tag", [tagger.model_version, "out-of-fold"]) as writer:
        stored, writer.counts["skipped_changed"] = _store_current(writer, results, tagger.embedder.model_version)
        writer.counts["tagged"] = stored
    return stored
