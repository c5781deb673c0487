"""The words course pages use, which the crawler reads them by: `crawler/page_words.yaml`.

A domain expert edits that file (a new label for a price, a heading of learning goals, a cue for a
course type); this module reads it once, checks it (every pattern compiles, every table holds what
the parsers expect) and names each problem by file and line, as `fagmatch check-data` does.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from matcher.course import CourseType, Form
from matcher.data_files import load_yaml

PAGE_WORDS_PATH = Path(__file__).resolve().parent / "page_words.yaml"

Fact = Literal[
    "price", "deadline", "start", "enrolment", "ects", "duration", "course_days", "location", "form",
    "target_group", "admission", "provider", "course_type", "language", "status",
]
GoalKey = Literal["viden", "faerdigheder", "kompetencer"]  # GoalKind less "other", which no heading names


def _compiles(pattern: str) -> str:
    try:
        compiled = re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from None
    if compiled.search(""):  # "aflyst|" would find its cue on every page
        raise ValueError("matches an empty text, so it would be found on every page: remove the empty alternative")
    return pattern


def _lower_case(word: str) -> str:
    if word != word.lower():  # the parsers look the page's words up in lower case
        raise ValueError(f"write it in lower case ({word.lower()!r}): a word with a capital would never match")
    return word


Pattern = Annotated[str, Field(min_length=1), AfterValidator(_compiles)]
Word = Annotated[str, Field(min_length=1)]
LowerWord = Annotated[str, Field(min_length=1), AfterValidator(_lower_case)]


class PageWords(BaseModel):
    """The tables of page_words.yaml (its comments say what each is for)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    months: dict[LowerWord, Annotated[int, Field(ge=1, le=12)]]
    part_of_month: dict[LowerWord, Literal["first", "middle", "last"]]
    number_words: dict[LowerWord, Annotated[float, Field(gt=0)]]
    labels: dict[Word, Fact]
    deadline_phrases: list[Pattern] = Field(min_length=1)
    eqf_by_course_type: dict[CourseType, Annotated[int, Field(ge=1, le=8)]]
    course_type_cues: dict[CourseType, Pattern]
    generic_type_cues: dict[CourseType, Pattern]
    url_type_words: dict[CourseType, list[LowerWord]]
    form_cues: dict[Form, Pattern]
    daytime_words: list[LowerWord]
    not_place_words: list[LowerWord]
    goal_headings: dict[LowerWord, GoalKey]
    goal_verb_cues: dict[GoalKey, Pattern]
    goal_section_headings: list[LowerWord] = Field(min_length=1)
    section_headings_after_goals: list[LowerWord]
    negative_path_words: list[LowerWord]
    languages: dict[LowerWord, Annotated[str, Field(pattern=r"^[a-z]{2}$")]]


@functools.cache
def page_words(path: Path = PAGE_WORDS_PATH) -> PageWords:
    """The page words, read and checked once per process; DataFileError names each problem's line."""
    return load_yaml(path, PageWords, "page words file")
