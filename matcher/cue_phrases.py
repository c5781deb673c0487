"""The phrase syntax of the cue files that a domain expert edits (tagging_cues.yaml's cue lists,
gap_level_words.yaml): plain words matched as whole words in any case, and `*` at the end for any
ending ("introduk*"). A phrase that could never match is refused when the file is read."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

_NOT_PLAIN = re.compile(r"[()\[\]{}|+?\\^$]")


def _one_item(text: str) -> str:
    # an item indented further than the one above it is read as that item's continuation
    if " - " in text:
        raise ValueError(f"{text!r}: two list items run together; check that each '- ' starts a line of its own "
                         "at the same indentation")
    return text


def _checked(phrase: str) -> str:
    _one_item(phrase)  # first: the '*' of the item above would be blamed otherwise
    if "*" in phrase[:-1]:
        raise ValueError(f"{phrase!r}: '*' may only end a phrase")
    if _NOT_PLAIN.search(phrase):
        raise ValueError(f"{phrase!r}: a phrase is plain words (no regular expressions): write each variant as a "
                         "phrase of its own, and '*' at the end for any ending")
    if not re.match(r"\w", phrase) or not re.search(r"[\w*]$", phrase):
        raise ValueError(f"{phrase!r}: a phrase starts and ends with a letter or digit (or '*'); "
                         "punctuation at either end never matches")
    return phrase


Phrase = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1), AfterValidator(_checked)]
ListItem = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1), AfterValidator(_one_item)]
"""A free text item of a list (a topic): refused where two items run together."""


def phrase_pattern(phrases: list[str]) -> re.Pattern[str]:
    """One pattern for all `phrases`, each as whole words, `*` at the end for any ending."""
    parts = [re.escape(p.rstrip("*")) + (r"\w*" if p.endswith("*") else "") for p in phrases]
    return re.compile(r"\b(?:" + "|".join(parts) + r")\b", re.IGNORECASE)
