"""Abbreviations a user writes for what course pages mostly spell out ("LAB": lov om en aktiv
beskæftigelsesindsats), from matcher/data/abbreviations-da.yaml. A search's or a gap's words are
read with the long forms added, so keyword search and the gap's embedding find the courses about it."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from matcher.data_files import DataFileError, load_yaml
from matcher.text import WORD

ABBREVIATIONS_FILE = Path(__file__).resolve().parent / "data" / "abbreviations-da.yaml"


class AbbreviationsError(DataFileError):
    """The abbreviations file cannot be read or is invalid; the message names the line and the problem."""


def _long_form(value: str) -> str:
    if not all(WORD.search(form) for form in value.split(";")):
        raise ValueError("write the long form in words (several separated by ';')")
    return value


def _one_word(value: str) -> str:
    if not WORD.fullmatch(value) or len(value) > 12:
        raise ValueError("an abbreviation is one word of letters and digits, at most 12")
    return value


Abbreviation = Annotated[str, AfterValidator(_one_word)]
LongForm = Annotated[str, StringConstraints(min_length=1, max_length=300), AfterValidator(_long_form)]


class Abbreviations(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    abbreviations: dict[Abbreviation, LongForm] = Field(min_length=1)

    @field_validator("abbreviations")
    @classmethod
    def _once_each(cls, value: dict[str, str]) -> dict[str, str]:
        seen: dict[str, str] = {}
        for short in value:
            if short.lower() in seen:  # matched in any case: one of them would never be read
                raise ValueError(f"{short!r} is listed twice (also as {seen[short.lower()]!r})")
            seen[short.lower()] = short
        return value

    @classmethod
    def load(cls, path: Path = ABBREVIATIONS_FILE) -> Abbreviations:
        try:
            return load_yaml(path, cls, "abbreviations file")
        except DataFileError as exc:
            raise AbbreviationsError(str(exc)) from None

    @functools.cached_property
    def _long_forms(self) -> dict[str, str]:
        return {short.lower(): ", ".join(form.strip() for form in long.split(";")) for short, long in self.abbreviations.items()}

    def expand(self, text: str) -> str:
        """The text with the long form of each abbreviation it uses as a word added at the end, in
        brackets; the text itself where it uses none."""
        found = dict.fromkeys(self._long_forms[w] for w in WORD.findall(text.lower()) if w in self._long_forms)
        return f"{text} ({'; '.join(found)})" if found else text


@functools.cache
def default_abbreviations() -> Abbreviations:
    return Abbreviations.load()


@functools.lru_cache(maxsize=4096)  # a gap's words are read for its tags, its vector and each ranking
def with_long_forms(text: str) -> str:
    """`text` with the long forms of the shipped list's abbreviations added (`Abbreviations.expand`)."""
    return default_abbreviations().expand(text)
