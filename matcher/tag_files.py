"""File mode of `fagmatch tag`: JSON Lines in, one tag line per course out."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from matcher.course import COURSE_TYPES
from matcher.json_lines import json_objects, validation_problems
from matcher.tagging import CourseText


class TagInputError(ValueError):
    """A tag input file that cannot be used; names the line and the problem."""


def read_tag_input(path: Path) -> list[CourseText]:
    """Each line needs an `id` and a `text` or `description` (a full course record works too).

    Description, learning goals and target group are joined as in catalogue mode."""
    items: list[CourseText] = []
    seen: dict[str, int] = {}
    for number, record in json_objects(path, TagInputError):
        where = f"{path}:{number}"
        course_id = record.get("id")
        if not isinstance(course_id, str) or not course_id.strip():
            raise TagInputError(f"{where}: id: a non-empty string is required")
        if course_id in seen:
            raise TagInputError(f"{where}: id {course_id!r} is also on line {seen[course_id]}")
        seen[course_id] = number
        text = record.get("text")
        if text is None:
            text = _joined_record_text(record, where)
        if not isinstance(text, str) or not text.strip():
            raise TagInputError(f"{where}: text (or description): a non-empty string is required")
        title = record.get("title") or ""
        course_type = record.get("course_type")
        if course_type is not None and course_type not in COURSE_TYPES:
            raise TagInputError(f"{where}: course_type: must be one of {', '.join(COURSE_TYPES)}")
        if not isinstance(title, str):
            raise TagInputError(f"{where}: title: must be a string")
        items.append(CourseText(id=course_id, title=title, text=text, course_type=course_type, url=record.get("url")))
    if not items:
        raise TagInputError(f"{path}: no courses to tag")
    return items


def _joined_record_text(record: dict, where: str) -> str | None:
    from matcher.catalogue_tagging import course_text
    from matcher.course import RECORD_FIELDS, Course

    if record.get("description") is None:
        return None
    try:
        course = Course.model_validate({k: v for k, v in record.items() if k in RECORD_FIELDS})
    except ValidationError as exc:
        raise TagInputError(f"{where}: {validation_problems(exc)}") from None
    return course_text(course).text
