"""Messages people read about their input, in English or in Danish.

The domain writes each message as an English template, `say("{name}: line {line}", name=…, line=…)`.
The API and the command line answer in English; the web page speaks Danish, and runs the domain
inside `in_language("da")`, so the same check gives its message in Danish there. The Danish texts
live in `data/messages-da.yaml`, keyed by the English template, for a translator to read and edit.
A template without a Danish text is said in English (`tests/test_messages.py` finds any such).
"""

from __future__ import annotations

import ast
import contextlib
import datetime as dt
import functools
import re
import string
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from matcher.data_files import DataFileError, line_of, read_yaml

DATA_DIR = Path(__file__).resolve().parent / "data"
LANGUAGES = ("en", "da")
_DECIMAL_MARK = {"en": ".", "da": ","}
_DECIMAL = re.compile(r"-?\d+\.\d+")
_language: ContextVar[str] = ContextVar("message_language", default="en")


class MessagesError(DataFileError):
    """A message catalogue that cannot be used; names the entry and the problem."""


@contextlib.contextmanager
def in_language(language: str) -> Iterator[None]:
    """Messages said inside the block are in `language`: in this thread or task, and in work it hands to
    a pool that copies the context (Starlette's `run_in_threadpool` does), not in threads of their own."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; known: {', '.join(LANGUAGES)}")
    token = _language.set(language)
    try:
        yield
    finally:
        _language.reset(token)


def current_language() -> str:
    """The language messages are said in here (in_language)."""
    return _language.get()


def say(template: str, /, **values: Any) -> str:
    """The English `template` in the current language, filled in with `values` (str.format; a
    decimal number gets the language's decimal mark: 2.50 in English, 2,50 in Danish; a date is
    written 2026-12-06 in English, 6. december 2026 in Danish)."""
    return _filled(template, values)


def say_count(count: int, one: str, other: str, /, **values: Any) -> str:
    """`say` with the template for one thing (`one`) or for any other count (`other`): "1 cell", "3 cells"."""
    return _filled(one if count == 1 else other, values)


def _filled(template: str, values: dict[str, Any]) -> str:
    language = _language.get()
    if language == "en":
        return template.format(**values)
    return _Formatter(_DECIMAL_MARK[language]).format(catalogue(language).get(template, template), **values)


_DANISH_MONTHS = ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september", "oktober",
                  "november", "december")


def danish_date(day: dt.date) -> str:
    """A day as Danes write it in full: "6. december 2026"."""
    return f"{day.day}. {_DANISH_MONTHS[day.month - 1]} {day.year}"


class _Formatter(string.Formatter):
    """str.format with the language's decimal mark and dates, and `!r` quoting »as Danes do«."""

    def __init__(self, decimal_mark: str) -> None:
        self.decimal_mark = decimal_mark

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        # {text!r} quotes what the user wrote; Python's 'quotes' read as code in a Danish sentence
        return f"»{value}«" if conversion == "r" else super().convert_field(value, conversion)

    def format_field(self, value: Any, format_spec: str) -> str:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime) and not format_spec:
            return danish_date(value)
        text = super().format_field(value, format_spec)
        return text.replace(".", self.decimal_mark) if isinstance(value, float) else text


def placeholders(template: str) -> set[str]:
    """The names a template fills in, e.g. {"name", "line"}."""
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(template) if name}


@functools.cache
def catalogue(language: str, path: Path | None = None) -> dict[str, str]:
    """English template → its text in `language`, read from `data/messages-<language>.yaml` and checked:
    every translation fills in the same names as its English template."""
    path = path or DATA_DIR / f"messages-{language}.yaml"
    data, root = read_yaml(path, "message catalogue", MessagesError)  # a template translated twice is refused
    if not isinstance(data, dict):
        raise MessagesError(f"{path}: must map each English template (text) to its translation (text)")
    for english, translation in data.items():
        if not (isinstance(english, str) and isinstance(translation, str)):
            line = line_of(root, (english,))
            what = "empty" if translation is None else f"read as {translation!r}, not as text: put it in quotes"
            raise MessagesError(f"{path}:{line}: {english!r}: the translation is {what}; "
                                "each line is \"English template\": \"dansk tekst\"")
    for english, translated in data.items():
        try:
            wanted, got = placeholders(english), placeholders(translated)
        except ValueError as exc:
            raise MessagesError(f"{path}: {english!r}: not a valid template: {exc}") from None
        if wanted != got:
            raise MessagesError(
                f"{path}: {english!r}: the translation fills in {sorted(got)}, the English {sorted(wanted)}"
            )
    return data


def translated(text: str, language: str) -> str:
    """An English message, as `say` made it, in `language`: for a document made in English and read
    in Danish (a plan from the API's recommendation). The text is matched against the English
    templates; what filled a template in is kept, a decimal number with the language's mark. Text
    that matches no template (already translated, or from elsewhere) is returned as it is."""
    if language == "en":
        return text
    for english, pattern in _patterns().items():
        match = pattern.fullmatch(text)
        if match is not None:
            mark = _DECIMAL_MARK[language]
            values = {name: value.replace(".", mark) if _DECIMAL.fullmatch(value) else value
                      for name, value in match.groupdict().items()}
            # each value as the English gave it: its format was applied there already, and a quoted
            # one (!r) is quoted again as the language quotes
            return "".join(
                literal + ("" if name is None else _requoted(values[name]) if conversion == "r" else values[name])
                for literal, name, _, conversion in string.Formatter().parse(catalogue(language).get(english, english))
            )
    return text


def _requoted(text: str) -> str:
    """A value that English quoted with repr ('x'), quoted »x«; anything else as it is."""
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text
    return f"»{value}«" if isinstance(value, str) else text


_REPR = r"'(?:[^'\\]|\\.)*'" + r'|"(?:[^"\\]|\\.)*"'  # a str's repr, quotes and all: 'it', "it's"


@functools.cache
def _patterns() -> dict[str, re.Pattern[str]]:
    """English template → a pattern that matches what it says, longest templates first (the most specific)."""
    patterns = {}
    for english in sorted(catalogue("da"), key=len, reverse=True):
        regex, seen = "", set()
        for literal, name, _, conversion in string.Formatter().parse(english):
            regex += re.escape(literal)
            if name is None:
                continue
            if not name.isidentifier():
                break  # an attribute or index: too rare here to reverse
            value = _REPR if conversion == "r" else ".+?"  # a repr is a whole quoted string, quotes and all
            regex += f"(?P={name})" if name in seen else f"(?P<{name}>{value})"
            seen.add(name)
        else:
            patterns[english] = re.compile(regex, re.DOTALL)
    return patterns


def where(name: str, line: int, column: str | None = None) -> str:
    """Where in a file a problem is: "hold.csv: line 3, column lm.1" (in the current language)."""
    if column:
        return say("{name}: line {line}, column {column}", name=name, line=line, column=column)
    return say("{name}: line {line}", name=name, line=line)


_SAYERS = {"say": 0, "say_count": 1}  # the functions that say a template → the position of their first template


def said_templates(root: Path = DATA_DIR.parents[1]) -> dict[str, str]:
    """Every template the project's code passes to `say` → where it is said first (read from the
    source: a catalogue key that no code says is a changed or misspelt template, never shown)."""
    found: dict[str, str] = {}
    for path in sorted(p for part in ("matcher", "service", "crawler") for p in (root / part).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imports_say = any(
            isinstance(node, ast.ImportFrom) and node.module == "matcher.messages"
            and any(a.name in _SAYERS for a in node.names)
            for node in ast.walk(tree)
        )
        if not imports_say and path.name != "messages.py":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _SAYERS:
                where = f"{path.relative_to(root)}:{node.lineno}"
                name, first = node.func.id, _SAYERS[node.func.id]
                templates = node.args[first:first + (2 if name == "say_count" else 1)]
                if not templates or not all(isinstance(t, ast.Constant) and isinstance(t.value, str) for t in templates):
                    raise MessagesError(f"{where}: {name}() needs the English template as a literal, so that it can be translated")
                for template in templates:
                    found.setdefault(template.value, where)
    return found
