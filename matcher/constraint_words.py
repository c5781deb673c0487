"""A user's constraints in Danish words ("region Syddanmark", "højst 5.000 kr."): the one wording for
the plan, the result page and the message that says which constraint leaves no course."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from matcher.messages import danish_date
from matcher.numbers import kroner, written_number
from matcher.taxonomy import LEVELS, level_name
from matcher.text import listed

# Danish words for the record's keys; small display mappings, not domain knowledge.
COURSE_TYPE_WORDS = {
    "diplom": "diplommodul", "akademi": "akademimodul", "master": "mastermodul", "kursus": "kursus",
    "amu": "AMU-kursus", "grunduddannelse": "grunduddannelse", "other": "anden uddannelse",
}
FORM_WORDS = {"fysisk": "fremmøde", "online": "online", "blended": "blended", "rekvirerbar": "rekvirerbart forløb"}
# the order they are named in: what, then where, then how much, then when (CourseFilters' own order)
ORDER = ("fields", "level", "types", "providers", "forms", "location", "region", "max_price", "max_ects", "start_from",
         "start_before", "include_undated")


def constraint_words(name: str, value: Any) -> str:
    """One constraint (a CourseFilters key and its value) in Danish; "" for one that narrows nothing.
    `fields` takes the fields' names, not their keys."""
    if name == "fields":
        return listed(list(value), "eller") if value else ""
    if name == "level":
        return f"niveau {level_name(value)}" if value in LEVELS else ""
    if name == "types":
        return listed([COURSE_TYPE_WORDS.get(t, t) for t in value], "eller") if value else ""
    if name == "providers":
        return f"udbyder {listed(list(value), 'eller')}" if value else ""
    if name == "forms":
        return listed([FORM_WORDS.get(f, f) for f in value], "eller") if value else ""
    if name in ("location", "region"):
        return f"{'sted' if name == 'location' else 'region'} {value}" if value else ""
    if name == "max_price":
        return f"højst {kroner(value)}" if value is not None else ""
    if name == "max_ects":
        return f"højst {written_number(value)} ECTS" if value is not None else ""
    if name in ("start_from", "start_before"):
        day = value if isinstance(value, dt.date) else None
        return f"start {'fra' if name == 'start_from' else 'før'} {danish_date(day)}" if day else ""
    if name == "include_undated":
        return "" if value else "kun kurser med kendte datoer"
    raise ValueError(f"unknown constraint {name!r}")


def constraints_words(constraints: Mapping[str, Any]) -> str | None:
    """The constraints in Danish, None where none narrows anything."""
    parts = (constraint_words(name, constraints[name]) for name in ORDER if name in constraints)
    return ", ".join(part for part in parts if part) or None
