"""Numbers written as text, read the Danish way: the one reader for feeds (ingest), the web page's
filters, the command line and the crawler.

In Danish text "." groups thousands and "," is the decimal mark: "4.500" is 4500, "4.500,50" is
4500.5, "1.250.000" is 1250000, "7,5" is 7.5, and "12 500" is 12500. A point that is not followed
by groups of exactly three digits (or that follows a lone 0) cannot be a thousands separator, so
it is read as a decimal point, as English tools and fagmatch's own export write it ("7.5",
"4500.0"). Everything else ("1,250,000", "4.5,0", "12,500.50", "1e3") is refused with a reason,
never guessed. The crawler, which reads English pages too, also allows English grouping ("12,500",
"12,500.50").
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

_SPACES_RE = re.compile(r"[\s\u00a0\u202f]+")  # 12 500, with an ordinary, no-break or thin space
# 4.500, 1.250.000, 4.500,50; never 0.125, which no one writes for 125
_DANISH_GROUPED_RE = re.compile(r"-?[1-9]\d{0,2}(?:\.\d{3})+(?:,\d+)?")
_DECIMAL_COMMA_RE = re.compile(r"-?\d+(?:,\d+)?")  # 4500, 4500,50, 7,5
_DECIMAL_POINT_RE = re.compile(r"-?\d+\.\d+")  # 7.5, 4500.0 (a thousands group is matched first)
_ENGLISH_GROUPED_RE = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?")  # 12,500, 12,500.50


def parse_number(text: str, *, english_grouping: bool = False) -> float:
    """The number `text` states, read the Danish way (module docstring); ValueError says why not.

    `english_grouping` also reads "," as a thousands separator where it groups exactly three digits
    ("12,500" is 12500): for crawled pages, some of which are English. Never for users' input,
    where "4,500" is Danish for 4.5."""
    token = _SPACES_RE.sub("", text)
    if _DANISH_GROUPED_RE.fullmatch(token):
        return float(token.replace(".", "").replace(",", "."))
    if english_grouping and _ENGLISH_GROUPED_RE.fullmatch(token):
        return float(token.replace(",", ""))
    if _DECIMAL_COMMA_RE.fullmatch(token):
        return float(token.replace(",", "."))
    if _DECIMAL_POINT_RE.fullmatch(token):
        return float(token)
    raise ValueError(
        f"{text.strip()!r} is not a number written the Danish way "
        "(\".\" groups thousands, \",\" is the decimal mark: 4.500 or 4500, 4.500,50 or 7,5)"
    )


def is_grouped(text: str) -> bool:
    """Whether `text` uses "." as a thousands separator (so 7.500 reads as 7500, not 7.5)."""
    return _DANISH_GROUPED_RE.fullmatch(_SPACES_RE.sub("", text)) is not None


def danish_number(value: float) -> str:
    """`value` as Danish Excel reads a number: "," as the decimal mark, no grouping ("2,5", "13900"),
    so parse_number reads it back."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.10g}".replace(".", ",")


def kroner(value: float) -> str:
    """An amount in Danish kroner as Danes write it: 4.995 kr., and with øre where it has them
    (2.995,50 kr.), never rounded."""
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    return text.translate(str.maketrans(",.", ".,")) + " kr."


def rounded(value: float, digits: int = 1) -> float:
    """`value` rounded as people round, half away from zero, at the decimal it is written with:
    a mean of 33.25 % is 33.3 %, where round() gives the even 33.2."""
    return float(Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def written_number(value: float, decimals: int = 2) -> str:
    """A number in running Danish text: 12.500 and 7,5 (at most `decimals` decimals, no trailing zeros)."""
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", ".")
    text = f"{value:,.{decimals}f}".rstrip("0").rstrip(".")
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")
