"""The level a gap's own words ask for, where they say it plainly ("grundlæggende viden om …",
"fordybelse i … for erfarne sagsbehandlere"). The phrases are in matcher/data/gap_level_words.yaml,
which says how they decide; the recommender applies them (matcher.recommend)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from matcher.cue_phrases import Phrase, phrase_pattern
from matcher.data_files import DataFileError, load_yaml
from matcher.taxonomy import Level

DEFAULT_WORDS = Path(__file__).resolve().parent / "data" / "gap_level_words.yaml"
NOT_BEFORE_WINDOW = 3  # words before a phrase in which a `not_before` phrase cancels it


class GapLevelWordsError(DataFileError):
    """The level-words file cannot be read or is invalid; the message names the file and the problem."""


class GapLevelWords(BaseModel):
    """Explicit level phrases per level; the phrases after which one does not count (`not_before`),
    and those inside which one is no level word (`not_level`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    grundlaeggende: list[Phrase] = Field(min_length=1)
    specialiseret: list[Phrase] = Field(min_length=1)
    not_before: list[Phrase] = Field(default_factory=list)
    not_level: list[Phrase] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_level_per_phrase(self) -> GapLevelWords:
        both = {p.lower() for p in self.grundlaeggende} & {p.lower() for p in self.specialiseret}
        if both:
            raise ValueError(f"listed under both levels: {', '.join(sorted(both))}")
        return self

    @classmethod
    def load(cls, path: str | Path = DEFAULT_WORDS) -> GapLevelWords:
        try:
            return load_yaml(Path(path), cls, "level-words file", short_items=True)
        except DataFileError as exc:
            raise GapLevelWordsError(str(exc)) from None

    @functools.cached_property
    def _pattern(self) -> re.Pattern[str]:
        """One pass over the text for all three lists: a `not_level` phrase comes first, so the level
        words inside it are consumed with it."""
        lists = {"not_level": self.not_level, "grundlaeggende": self.grundlaeggende, "specialiseret": self.specialiseret}
        return re.compile(
            "|".join(f"(?P<{name}>{phrase_pattern(phrases).pattern})" for name, phrases in lists.items() if phrases),
            re.IGNORECASE,
        )

    @functools.cached_property
    def _cancel(self) -> re.Pattern[str] | None:
        return phrase_pattern(self.not_before) if self.not_before else None

    def read(self, text: str) -> LevelWords:
        """The phrases of each level that the text holds, and the level they decide (None: silent,
        or phrases of both levels)."""
        found: dict[Level, list[str]] = {}
        for match in self._pattern.finditer(text):
            level = match.lastgroup
            if level == "not_level":
                continue
            before = " ".join(text[: match.start()].split()[-NOT_BEFORE_WINDOW:])
            if self._cancel is not None and self._cancel.search(before):
                continue
            found.setdefault(level, []).append(match.group(0))  # type: ignore[arg-type]
        decided = next(iter(found)) if len(found) == 1 else None
        return LevelWords(decided, tuple(p for level in ("grundlaeggende", "specialiseret") for p in found.get(level, [])))


@dataclass(frozen=True)
class LevelWords:
    level: Level | None  # the level the words decide; None where they are silent or say both
    phrases: tuple[str, ...]  # the level phrases found, as written


@functools.cache
def default_level_words() -> GapLevelWords:
    return GapLevelWords.load()


def level_from_words(text: str) -> LevelWords:
    """The level a gap's words state plainly, by the shipped phrase list."""
    return default_level_words().read(text)
