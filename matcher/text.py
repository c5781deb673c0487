"""Text as fagmatch stores and writes it: one rule for the characters a course's text may hold.

Feeds and crawled pages sometimes carry control characters (U+0001, U+000B, an ANSI escape …): they
show as nothing or as garbage, and XML 1.0 forbids most of them, so a feed that wrote one raw would
no longer parse. `strip_controls` removes them wherever text comes in (ingest validates every record
with it, and the crawler's `clean_text` starts with it); `xml_text` is the XML writers' last guard.
"""

from __future__ import annotations

import re
import unicodedata

# C0 controls but tab and newline, DEL, the C1 controls, lone surrogates, and the noncharacters
# U+FFFE and U+FFFF (not characters at all, and not allowed in XML); and the invisible marks that
# make one text look like another: zero-width space, word joiner and byte-order mark, and the
# direction marks, embeddings, overrides and isolates (U+202E shows a title backwards). The joiners
# U+200C and U+200D stay: emoji and some scripts need them.
_CONTROLS_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff"
                          "\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")
# What XML 1.0 does not allow (its Char production), for the XML writers.
_NOT_XML_RE = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# A word as keyword search and the word lists read it: letters and digits ("e-læring" is two).
WORD = re.compile(r"[^\W_]+")


def strip_controls(text: str) -> str:
    """`text` without control characters other than tab and newline; a carriage return (alone or
    before a newline) becomes one newline."""
    return _CONTROLS_RE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def xml_text(text: str) -> str:
    """`text` without the characters XML 1.0 does not allow (ElementTree would write them raw)."""
    return _NOT_XML_RE.sub("", text)


# Danish alphabetical order ends …, z, æ, ø, å: code points would put å before æ and ø.
_DANISH_LAST = str.maketrans({"æ": "\U0010fff0", "ø": "\U0010fff1", "å": "\U0010fff2"})


def danish_order(text: str) -> str:
    """A key that sorts texts as a Danish list does: case and accents aside (é with e), and æ, ø, å
    after z, in that order."""
    marked = unicodedata.normalize("NFD", unicodedata.normalize("NFC", text).casefold().translate(_DANISH_LAST))
    return "".join(c for c in marked if not unicodedata.combining(c))


def upper_first(text: str) -> str:
    """`text` with its first letter upper case and the rest as it is (str.capitalize lowers the rest)."""
    return text[:1].upper() + text[1:]


def listed(items: list[str], conjunction: str = "og") -> str:
    """Items as a Danish sentence lists them: "a, b og c" (the conjunction given: "a, b eller c")."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def first_repeated(values: list[str]) -> tuple[int, str] | None:
    """The first value that repeats an earlier one, with its index; None when each is new."""
    seen: set[str] = set()
    for i, value in enumerate(values):
        if value in seen:
            return i, value
        seen.add(value)
    return None


_DANISH_WORDS = frozenset("og at det er en til på med for af som ikke de der kan har du vi om eller skal".split())
_ENGLISH_WORDS = frozenset("the and of to in is for on with as are by this be or you can from will an".split())


def text_language(text: str) -> str | None:
    """`da` or `en`, by which language's commonest words the text uses more; None where it uses
    neither's (too short, or another language)."""
    words = text.lower().split()
    danish, english = sum(w in _DANISH_WORDS for w in words), sum(w in _ENGLISH_WORDS for w in words)
    if danish == english == 0:
        return None
    return "en" if english > danish else "da"
