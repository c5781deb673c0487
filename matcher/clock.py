"""Today's date, for everything that reads the calendar: which starts are still open, what a date
filter means, the year of a date a page writes without one.

It is the date in Denmark (Europe/Copenhagen), whatever zone the server keeps: a deadline that has
passed for the Danish users has passed, also on a server that runs in UTC. `FAGMATCH_TODAY=YYYY-MM-DD`
pins it, so that a catalogue with fixed dates (the sample feed, an evaluation set, a demo kept for a
presentation) is answered the same whatever the calendar says."""

from __future__ import annotations

import datetime as dt
import functools
import os
from zoneinfo import ZoneInfo

from matcher.course import EARLIEST_DATE, LATEST_DATE

ENV = "FAGMATCH_TODAY"
# The users' calendar; the tzdata package brings its rules where the system has none.
DANISH_TIME = ZoneInfo("Europe/Copenhagen")


class ClockError(ValueError):
    """FAGMATCH_TODAY is set to something that is not a date."""


def today() -> dt.date:
    """The pinned date (FAGMATCH_TODAY), else the date in Denmark now."""
    pinned = os.environ.get(ENV, "").strip()
    return _pinned(pinned) if pinned else dt.datetime.now(DANISH_TIME).date()


@functools.cache
def _pinned(text: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise ClockError(f"{ENV}={text!r} is not a date: write YYYY-MM-DD, or unset it for today's date") from None
    if not EARLIEST_DATE <= day <= LATEST_DATE:  # the course record's: a plan could not name a day outside them
        raise ClockError(f"{ENV}={text!r} is not between {EARLIEST_DATE} and {LATEST_DATE}: check the year, "
                         "or unset it for today's date")
    return day
