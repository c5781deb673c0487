"""A provider's coverage of the framework against demand (PRODUCT.md §1, issue 6 §2): how many of its
active courses build each field at each level, next to the whole catalogue's offer and the demand
for the field, so a provider sees where there is demand that nobody – or not they – meets.

Used by the web page (/udbydere) and the JSON API. `coverage()` returns plain JSON-ready data:

    {
      "provider": "Professionshøjskolen Nordhavn",
      "courses": 7,               # the provider's courses one can still apply for (as search finds them)
      "tagged_courses": 6,        # of those, the ones tagged with at least one field
      "untagged_courses": [       # of those, the ones with no field (the name is kept for clients)
        {"id": "...", "title": "...",
         "reason": "off_domain"}  # tagged and read as off the domain; "not_tagged": not tagged yet
      ],
      "closed_courses": [         # its active courses whose every start has closed: counted nowhere
        {"id": "...", "title": "...", "last_start": "2027-02-01"}  # its latest start date, if any
      ],
      "levels": ["grundlaeggende", "specialiseret"],
      "demand_source": "...",     # where the demand figures come from, in words
      "fields": [                 # the taxonomy's fields, in its order
        {
          "field": "lov_myndighed", "name": "Lov & Myndighed",
          "courses": 3,           # the provider's courses that build the field (any level)
          "demand": {
            "national_staff_pct": 33.2,   # mean share of staff answering 4–5 to the field's survey
            "national_leaders_pct": 32.0, # statements (the national survey); None when not given
            "statements": 4,              # survey statements behind the figures
            "saved_gaps": 1,              # gaps from saved analyses in this field (any level)
            "saved_learners": 3           # the learners those gaps name
          },
          "cells": {
            "grundlaeggende": {
              "courses": 1,                # the provider's courses in this field at this level
              "course_ids": ["..."],
              "market_courses": 5,         # the whole catalogue's courses in the cell (open ones)
              "market_providers": 3,       # providers offering the cell
              "saved_gaps": 0,             # saved gaps in the field at this level (or with no level)
              "saved_learners": 0,
              "uncovered_demand": false    # the provider has no course here, yet there is demand
            },
            "specialiseret": {...}
          }
        }, ...
      ],
      "uncovered": [              # the cells with uncovered demand, most demanded first
        {"field": "...", "name": "...", "level": "specialiseret", "demand_pct": 43.4,
         "saved_gaps": 0, "market_courses": 2}
      ],
      "notes": []                 # e.g. saved gaps in a field the framework no longer has
    }

A course counts in every field it is tagged with (a course may build two or three), at its level.
Demand is per field: the national survey does not split by level, so both cells of a field share
its national figure; saved gaps carry a level (a gap without one counts for both levels), and count in
every field they name (a need the survey asks about in two fields together counts in both). A cell has
uncovered demand when the provider has no course in it and the field has national demand
(a share above zero) or a saved gap asks for it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from matcher import clock
from matcher.catalogue_index import CatalogueIndex
from matcher.messages import say, say_count
from matcher.numbers import rounded
from matcher.taxonomy import LEVELS, Taxonomy

DEMAND_SOURCE = (
    "Den nationale undersøgelse: andelen af medarbejdere (og ledere), der i høj eller meget høj grad (4–5) "
    "vil have gavn af at styrke kompetencerne i feltets udsagn; gennemsnit over feltets udsagn."
)


class CoverageError(LookupError):
    """No provider, or several, go by the name given; the message names them. `status`: 404 for none,
    422 for several."""

    def __init__(self, message: str, status: int = 404) -> None:
        super().__init__(message)
        self.message = message
        self.status = status

    def __str__(self) -> str:
        return self.message


def national_demand(taxonomy: Taxonomy) -> dict[str, dict[str, Any]]:
    """Per field key: the mean national staff and leader shares (percent answering 4–5) over the
    survey statements that belong to the field, and how many statements there are."""
    demand: dict[str, dict[str, Any]] = {}
    for key in taxonomy.field_keys:
        statements = [s for s in taxonomy.survey_statements if key in s.fields]
        staff = [s.shares.staff for s in statements if s.shares.staff is not None]
        leaders = [s.shares.leaders for s in statements if s.shares.leaders is not None]
        demand[key] = {
            "national_staff_pct": rounded(sum(staff) / len(staff)) if staff else None,
            "national_leaders_pct": rounded(sum(leaders) / len(leaders)) if leaders else None,
            "statements": len(statements),
        }
    return demand


def _gap_parts(gap: Any) -> tuple[list[str], str | None, int]:
    """(fields, level, learners) of a saved gap: a matcher.recommend.Gap or its JSON."""
    if isinstance(gap, dict):
        fields = gap.get("fields") or ([gap["field"]] if gap.get("field") else [])
        learners = gap.get("learners") or len(gap.get("employees") or []) or 1
        return list(dict.fromkeys(fields)), gap.get("level"), int(learners)
    fields = list(getattr(gap, "fields", []) or [])
    return list(dict.fromkeys(fields)), getattr(gap, "level", None), int(getattr(gap, "learners", 1) or 1)


def coverage(
    index: CatalogueIndex, taxonomy: Taxonomy, provider: str, saved_gaps: Iterable[Any] = (), today: dt.date | None = None,
) -> dict[str, Any]:
    """The provider's courses per field and level against the catalogue's offer and the demand.
    Counted are the courses one can still apply for on `today` (default: clock.today()), as search
    finds them: a course whose every start has closed covers nothing for a jobcentre, and is listed
    apart (`closed_courses`).

    `saved_gaps` are gaps from saved team analyses (matcher.recommend.Gap objects or their JSON
    dicts with `fields`/`field`, `level`, `learners`). The provider is named as search names one: in
    full in any case, or by part of the name (`CatalogueIndex.providers_named`). Raises CoverageError
    when no provider, or several, go by that name."""
    named = index.providers_named(provider)
    if not named:
        known = [name for name, _ in index.providers()]
        shown = ", ".join(known[:20]) + (" …" if len(known) > 20 else "")
        raise CoverageError(say("unknown provider {provider!r}; providers in the catalogue: {shown}",
                                provider=provider, shown=shown or say("none")))
    if len(named) > 1:
        shown = ", ".join(named[:10]) + (" …" if len(named) > 10 else "")
        raise CoverageError(say("several providers go by {provider!r}: {shown}; give more of the name",
                                provider=provider, shown=shown), status=422)
    provider = named[0]
    bookable = index.bookable(today or clock.today())
    theirs = index.provider == provider
    closed = np.flatnonzero(theirs & ~bookable)
    mine = theirs & bookable
    keys = index.field_keys
    saved_gaps = list(saved_gaps)
    # gaps saved under a framework with other fields (one renamed or removed since): said, not silently lost
    strays = [gap for gap in saved_gaps if any(f not in keys for f in _gap_parts(gap)[0])]
    stray_fields = sorted({f for gap in strays for f in _gap_parts(gap)[0] if f not in keys})
    levels = list(LEVELS)
    demand = national_demand(taxonomy)
    saved = _saved_by_cell(saved_gaps, keys)
    fields = []
    uncovered = []
    for column, key in enumerate(keys):
        builds = index.assigned[:, column]
        cells: dict[str, dict[str, Any]] = {}
        for level in levels:
            in_cell = builds & (index.level == level) & bookable
            own = np.flatnonzero(in_cell & mine)
            gaps, learners = saved.get((key, level), (0, 0))
            field_demand = demand[key]["national_staff_pct"]
            wanted = (field_demand is not None and field_demand > 0) or gaps > 0
            cells[level] = {
                "courses": int(len(own)),
                "course_ids": [index.courses[i].course_id for i in own],
                "market_courses": int(in_cell.sum()),
                "market_providers": int(len(set(index.provider[in_cell].tolist()) - {""})),
                "saved_gaps": gaps,
                "saved_learners": learners,
                "uncovered_demand": bool(len(own) == 0 and wanted),
            }
            if cells[level]["uncovered_demand"]:
                uncovered.append({
                    "field": key, "name": taxonomy.field(key).name, "level": level, "demand_pct": field_demand,
                    "saved_gaps": gaps, "market_courses": cells[level]["market_courses"],
                })
        field_gaps = sum(saved.get((key, level), (0, 0))[0] for level in levels) - saved.get((key, None), (0, 0))[0]
        field_learners = sum(saved.get((key, level), (0, 0))[1] for level in levels) - saved.get((key, None), (0, 0))[1]
        fields.append({
            "field": key,
            "name": taxonomy.field(key).name,
            "courses": int((builds & mine).sum()),
            "demand": {**demand[key], "saved_gaps": field_gaps, "saved_learners": field_learners},
            "cells": cells,
        })
    uncovered.sort(key=lambda c: (-(c["saved_gaps"]), -(c["demand_pct"] or 0.0), keys.index(c["field"]), c["level"]))
    tagged = index.assigned.any(axis=1)
    untagged = np.flatnonzero(mine & ~tagged)
    return {
        "provider": provider,
        "courses": int(mine.sum()),
        "tagged_courses": int((mine & tagged).sum()),
        "untagged_courses": [
            {"id": index.courses[i].course_id, "title": index.courses[i].title,
             "reason": "off_domain" if index.tags[i].model else "not_tagged"}
            for i in untagged
        ],
        "closed_courses": [
            {"id": index.courses[i].course_id, "title": index.courses[i].title,
             "last_start": max(index.courses[i].start_dates).isoformat() if index.courses[i].start_dates else None}
            for i in closed
        ],
        "levels": levels,
        "demand_source": DEMAND_SOURCE,
        "fields": fields,
        "uncovered": uncovered,
        "notes": [say_count(
            len(strays), "{count} saved gap names a field the framework in use does not have ({fields}): not counted there",
            "{count} saved gaps name a field the framework in use does not have ({fields}): not counted there",
            count=len(strays), fields=", ".join(stray_fields))] if strays else [],
    }


def _saved_by_cell(saved_gaps: Iterable[Any], keys: Sequence[str]) -> dict[tuple[str, str | None], tuple[int, int]]:
    """(field, level) → (gaps, learners). A gap without a level counts at both levels, and is also
    kept under (field, None) so a field's total counts it once."""
    cells: dict[tuple[str, str | None], tuple[int, int]] = {}

    def add(cell: tuple[str, str | None], learners: int) -> None:
        gaps, people = cells.get(cell, (0, 0))
        cells[cell] = (gaps + 1, people + learners)

    for gap in saved_gaps:
        fields, level, learners = _gap_parts(gap)
        for field in fields:  # a need the survey asks about in two fields together is demand in both
            if field not in keys:
                continue
            if level in LEVELS:
                add((field, level), learners)
            else:
                for each in LEVELS:
                    add((field, each), learners)
                add((field, None), learners)
    return cells
