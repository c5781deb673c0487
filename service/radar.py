"""A radar chart ("kompetencespind") as server-rendered SVG: no JavaScript, no chart library.

One axis per field, spokes from the centre, rings at the scale's ticks, and one closed polygon per
series (the team, and what it is measured against). The chart is an image with a title and a
description for screen readers; the page shows the same figures in a table beside it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 640
HEIGHT = 480
CENTRE = (WIDTH / 2, 225.0)
RADIUS = 150.0
LABEL_GAP = 22.0  # from the outer ring to an axis label
LABEL_LINE = 14  # px between the lines of a wrapped label
LABEL_WRAP = 18  # characters per label line


@dataclass(frozen=True)
class Series:
    """One polygon: a name for the legend, a value per axis (None: not known, drawn at the centre),
    and a CSS class that sets its colour and dash (service/static/style.css)."""

    name: str
    values: Sequence[float | None]
    css_class: str


def _point(angle: float, distance: float) -> tuple[float, float]:
    cx, cy = CENTRE
    return cx + distance * math.sin(angle), cy - distance * math.cos(angle)


def _fmt(value: float) -> str:
    return f"{value:.1f}"


def _wrap(label: str, width: int = LABEL_WRAP) -> list[str]:
    """Split a label into lines of about `width` characters at spaces (at most three lines)."""
    lines: list[str] = []
    for word in label.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    if len(lines) > 3:
        lines = lines[:2] + [" ".join(lines[2:])]
    return lines or [""]


def _tick_label(value: float, unit: str) -> str:
    text = f"{value:g}"
    return f"{text}{unit}"


def radar_svg(
    axes: Sequence[tuple[str, str]],
    series: Sequence[Series],
    *,
    maximum: float,
    ticks: Sequence[float],
    title: str,
    description: str,
    unit: str = "",
    chart_id: str = "spind-figur",  # not "spind": the page names its section so
) -> str:
    """The chart as an `<svg>` element (a string of trusted markup: every text in it is escaped).

    `axes` are (key, label) pairs, clockwise from the top; each series has one value per axis on the
    scale 0…`maximum`; `ticks` are the rings drawn and labelled (e.g. 1–5, or 25/50/75/100 %)."""
    if not axes:
        raise ValueError("a radar chart needs at least one axis")
    if maximum <= 0:
        raise ValueError("the maximum of the scale must be positive")
    for s in series:
        if len(s.values) != len(axes):
            raise ValueError(f"series {s.name!r} has {len(s.values)} values for {len(axes)} axes")
    n = len(axes)
    angles = [2 * math.pi * i / n for i in range(n)]
    parts: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="radar" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-labelledby="{chart_id}-titel" aria-describedby="{chart_id}-beskrivelse" id="{chart_id}">',
        f'<title id="{chart_id}-titel">{escape(title)}</title>',
        f'<desc id="{chart_id}-beskrivelse">{escape(description)}</desc>',
    ]
    # rings at the ticks
    for tick in ticks:
        r = RADIUS * tick / maximum
        ring = " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in (_point(a, r) for a in angles))
        parts.append(f'<polygon class="ring" points="{ring}"/>')
        x, y = _point(0.0, r)
        parts.append(f'<text class="tick" x="{_fmt(x + 4)}" y="{_fmt(y - 2)}">{escape(_tick_label(tick, unit))}</text>')
    # one axis (spoke) per field, with its label outside the outer ring
    for (key, label), angle in zip(axes, angles):
        x, y = _point(angle, RADIUS)
        parts.append(
            f'<line class="axis" data-axis="{escape(key)}" x1="{_fmt(CENTRE[0])}" y1="{_fmt(CENTRE[1])}" '
            f'x2="{_fmt(x)}" y2="{_fmt(y)}"/>'
        )
        lx, ly = _point(angle, RADIUS + LABEL_GAP)
        sine = math.sin(angle)
        anchor = "middle" if abs(sine) < 0.2 else ("start" if sine > 0 else "end")
        lines = _wrap(label)
        cosine = math.cos(angle)
        # labels above the centre grow upwards, below it downwards, at the sides they are centred
        if cosine > 0.2:
            first = ly - LABEL_LINE * (len(lines) - 1)
        elif cosine < -0.2:
            first = ly + 10
        else:
            first = ly - LABEL_LINE * (len(lines) - 1) / 2 + 4
        spans = "".join(
            f'<tspan x="{_fmt(lx)}" y="{_fmt(first + i * LABEL_LINE)}">{escape(line)}</tspan>'
            for i, line in enumerate(lines)
        )
        parts.append(f'<text class="axis-label" text-anchor="{anchor}">{spans}</text>')
    # the series, each a closed polygon with a dot per value
    for s in series:
        points = []
        for value, angle in zip(s.values, angles):
            v = 0.0 if value is None else max(0.0, min(float(value), maximum))
            points.append(_point(angle, RADIUS * v / maximum))
        joined = " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in points)
        parts.append(f'<g class="series {escape(s.css_class)}"><polygon points="{joined}"/>')
        parts += [f'<circle cx="{_fmt(x)}" cy="{_fmt(y)}" r="3.5"/>' for x, y in points]
        parts.append("</g>")
    # legend
    y = HEIGHT - 12 - 22 * (len(series) - 1)
    for i, s in enumerate(series):
        ly = y + 22 * i
        parts.append(
            f'<g class="series legend {escape(s.css_class)}"><line x1="40" y1="{ly - 5}" x2="68" y2="{ly - 5}"/>'
            f'<text x="76" y="{ly}">{escape(s.name)}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)
