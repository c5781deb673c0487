"""Describing a YAML syntax error the way a person fixing the file needs it."""

from __future__ import annotations

import yaml

from matcher.messages import say


def describe_yaml_error(exc: yaml.MarkedYAMLError) -> tuple[int | None, str]:
    """The 1-based line to look at (None if unknown) and what is wrong.

    Where an unclosed bracket or quote began is usually the line to fix, so it is named too."""
    mark = exc.problem_mark or exc.context_mark
    detail = exc.problem or exc.context or "cannot parse"
    if exc.problem and exc.context and exc.context_mark:
        detail += f" ({exc.context} that began on line {exc.context_mark.line + 1})"
    return (mark.line + 1 if mark else None), detail


def plain_yaml_problem(exc: yaml.MarkedYAMLError, source: str | None = None) -> tuple[int | None, str]:
    """As `describe_yaml_error`, in plain words and in the current language (matcher.messages), for a
    file a person writes by hand (a target profile): the line to fix, and what to fix there. An
    unclosed bracket or quote is named at the line where it opens. PyYAML's own words where no plain
    reading is known. `source`, the file's text, lets a tab be named where libyaml does not name it."""
    line, detail = describe_yaml_error(exc)
    text = f"{exc.problem or ''} {exc.context or ''}"
    opened = exc.context_mark.line + 1 if exc.context_mark is not None else line
    at = (source.splitlines()[line - 1:line] or [""])[0] if source is not None and line else ""
    # libyaml does not name the character that cannot start a token; the line shows it
    if ("cannot start any token" in text and ("\\t" in text or "\t" in at)) or "tab character" in text:
        return line, say("a tab character; indent with spaces only")
    if "undefined alias" in text or "found character that cannot start any token" in text and at.lstrip(" -").startswith(("*", "&", "@", "`")):
        return line, say("a text that starts with *, &, @ or ` must be in quotes: '*like this'")
    if "quoted scalar" in text:
        return opened, say("a quote that opens here is not closed")
    if "flow mapping" in text or "flow sequence" in text:
        return opened, say("a bracket that opens here is not closed, or a comma is missing between its items")
    if "could not find expected ':'" in text or "simple key" in text:
        return line, say("a key without its colon")
    if "mapping values are not allowed" in text:
        return line, say("a colon where none belongs: check the indentation, or put the text in quotes")
    if ("did not find expected key" in text or "expected <block end>" in text) and at.count('"') > 2:
        # "… "quoted" …": the inner quote ends the text, and what follows it reads as a key
        return line, say("a quotation mark inside a text in quotes ends the text early: write »…« inside it, "
                         "or put the whole text in single quotes")
    if "expected <block end>" in text:
        return line, say("the indentation is off: the keys of one level start in the same column")
    if "did not find expected key" in text or "expected '-' indicator" in text:
        return line, say("the indentation is off: the items of one list, and the keys of one item, start in the same column")
    return line, detail
