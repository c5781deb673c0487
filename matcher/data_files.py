"""Reading the data files a domain expert edits (the taxonomy, cue and word lists, regions, the source
registry): one way to read them, so that every file names its problems alike, by file and line, in
words a person fixing the file can act on, and no mistake passes silently (a key written twice, a
file saved in Excel's Windows-1252)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar, Union

import yaml
from pydantic import BaseModel, ValidationError

from matcher.json_lines import error_message


Loc = tuple[Union[str, int], ...]
Problem = tuple[Loc, str]  # where in the file (keys and list positions), and what is wrong
Model = TypeVar("Model", bound=BaseModel)
MAX_REPORTED_PROBLEMS = 25


class DataFileError(Exception):
    """A data file that cannot be used; the message names the file, the line and what to fix. Not a
    ValueError: a file read inside a pydantic validator must not pass for the user's bad input."""


# libyaml is ~10x faster than the pure-Python parser; both report the same line marks.
DataLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_text(path: Path, what: str) -> str:
    """The file's text; a byte-order mark (Notepad's UTF-8) is dropped. DataFileError for a file that
    cannot be read or is not UTF-8 (Excel and old editors save Danish text as Windows-1252)."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise DataFileError(f"{path}: cannot read the {what} ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1  # where an editor shows it (Windows-1252's æøå)
        raise DataFileError(f"{path}:{line}: not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None


def compose(path: Path, text: str) -> yaml.Node:
    """The YAML node tree (lines for messages); DataFileError for a syntax error or an empty file."""
    # imported here: they speak through matcher.messages, whose catalogue is a data file read by this
    from matcher.messages import in_language
    from matcher.yaml_errors import plain_yaml_problem

    try:
        root = yaml.compose(text, Loader=DataLoader)
    except yaml.MarkedYAMLError as exc:
        with in_language("en"):  # as every data file's message (and the Danish catalogue may be what is broken)
            line, detail = plain_yaml_problem(exc, text)
        raise DataFileError(f"{path}:{line}: YAML syntax error: {detail}" if line else f"{path}: YAML syntax error: {detail}") from None
    except yaml.YAMLError as exc:
        raise DataFileError(f"{path}: YAML error: {exc}") from None
    if root is None:
        raise DataFileError(f"{path}: the file is empty")
    return root


def duplicate_keys(node: yaml.Node, loc: Loc = ()) -> list[Problem]:
    """Keys written twice in one mapping: PyYAML silently keeps the last, which in a hand-edited file
    throws away a whole list without a word."""
    problems: list[Problem] = []
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                problems.append((loc + (key,), f"key '{key}' appears twice (first on line {seen[key]}); only one is allowed"))
            seen.setdefault(key, key_node.start_mark.line + 1)
            problems += duplicate_keys(value_node, loc + (key,))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            problems += duplicate_keys(item, loc + (i,))
    return problems


def run_on_items(node: yaml.Node, loc: Loc = ()) -> list[Problem]:
    """List items written without quotes that run on to a next line: a line that lost its '- ' is read
    as the end of the item above (two cue phrases become one that never matches) without a word."""
    problems: list[Problem] = []
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            problems += run_on_items(value_node, loc + (str(key_node.value),))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            # (a line that kept its "- " but not its indentation: the phrases say "two list items run together")
            if isinstance(item, yaml.ScalarNode) and not item.style and item.end_mark.line > item.start_mark.line \
                    and " - " not in item.value:
                problems.append((loc + (i,), f"the item runs on to line {item.end_mark.line + 1} ({item.value!r}): a line "
                                 "without '- ' is read as part of the item above; start each item with '- '"))
            problems += run_on_items(item, loc + (i,))
    return problems


def line_of(root: yaml.Node, loc: Loc) -> int:
    """Line of the deepest node on the path that exists (the parent, for a missing key)."""
    node = root
    for depth, part in enumerate(loc, start=1):
        child = None
        if isinstance(node, yaml.MappingNode):
            # a key YAML read as another type ("ON" → True, "1.1" → 1.1) is found by that value (which
            # pydantic may give as 1 for True): of the same type first
            same = [k for k, _ in node.value if _same_value(k, part, strict=True)] or \
                [k for k, _ in node.value if _same_value(k, part, strict=False)]
            for key_node, value_node in node.value:
                if key_node.value == part if isinstance(part, str) else key_node in same[:1]:
                    # An unknown or duplicate key is best shown at the key itself.
                    child = key_node if depth == len(loc) else value_node
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
        if child is None:
            break
        node = child
    return node.start_mark.line + 1


def _same_value(key_node: yaml.Node, part: Any, *, strict: bool) -> bool:
    if isinstance(part, str) or not isinstance(key_node, yaml.ScalarNode) or key_node.style:  # quoted: text
        return False
    try:
        value = yaml.safe_load(key_node.value)
    except yaml.YAMLError:
        return False
    return value == part and (type(value) is type(part) or not strict)


def path_of(loc: Loc) -> str:
    """A place in the file as a person reads it: `fields.lov_myndighed.examples[2]`."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f"{'.' if out else ''}{part}"
    return out or "(top level)"


def report(path: Path, root: yaml.Node, problems: Sequence[Problem], what: str) -> str:
    """Every problem on its own line, as `FILE:LINE: where: what`."""
    lines = [f"{path}: invalid {what} ({len(problems)} problem{'s' if len(problems) != 1 else ''})"]
    for loc, message in problems[:MAX_REPORTED_PROBLEMS]:
        lines.append(f"  {path}:{line_of(root, loc)}: {path_of(loc)}: {message}")
    if len(problems) > MAX_REPORTED_PROBLEMS:
        lines.append(f"  … and {len(problems) - MAX_REPORTED_PROBLEMS} more")
    return "\n".join(lines)


def describe(err: Any, allowed: Callable[[Loc], Sequence[str]] = lambda loc: ()) -> str:
    """A pydantic error in words a domain expert can act on; `allowed` names the keys a mapping takes."""
    kind, value = err["type"], err.get("input")
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        keys = allowed(tuple(err["loc"])[:-1])
        return "unknown key" + (f" (allowed here: {', '.join(keys)})" if keys else "")
    if kind in ("too_short", "string_too_short"):
        return "must not be empty"
    if kind == "string_type":
        if value is None:  # "- " or "key:" with nothing after it
            return "is empty: write the text after it, or remove the line"
        if isinstance(value, bool):  # YAML reads yes, no, on, off, true and false as yes/no
            return "must be text, but YAML reads this word as yes/no: put quotes around it, e.g. \"on\""
        if isinstance(value, (int, float)):
            return f"must be text, but YAML reads it as the number {value!r}: put quotes around it, e.g. \"1.1\""
        return f"must be text, got {value!r}"
    if kind == "string_pattern_mismatch":
        return f"'{value}' may only contain lower-case letters a–z, digits, '_' and '.' (no spaces or æøå)"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"must be a whole number in digits (e.g. 20), got {value!r}"
    if kind in ("greater_than_equal", "less_than_equal"):
        return f"{value!r} is out of range: {err['msg'].lower()}"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"must be a mapping of keys and values, got {type(value).__name__}"
    if kind == "list_type":
        if value is None:  # the key with nothing under it: an emptied list
            return "is empty: give it at least one item (a line starting with '- ')"
        return f"must be a list (lines starting with '- '), got {type(value).__name__}"
    if kind == "literal_error":
        return f"{value!r} is not allowed: {err['msg'].lower()}"
    return error_message(err)


def model_keys(model: type[BaseModel], loc: Loc) -> list[str]:
    """The keys the mapping at `loc` takes, where the model says (for "unknown key" messages)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int) or not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        field = current.model_fields.get(str(part))
        if field is None:
            return []
        current = field.annotation
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def read_yaml(
    path: Path, what: str, error: type[DataFileError] = DataFileError, *, short_items: bool = False,
) -> tuple[Any, yaml.Node]:
    """A YAML data file's data and node tree (for the lines of later messages); `error` (a kind of
    DataFileError) for a file that cannot be read, a syntax error, a key written twice, or, in a file
    of `short_items` (phrase lists), a list item that runs on to a line that lost its '- '. (Elsewhere
    a long item may wrap, as YAML tools write it.)"""
    try:
        text = read_text(path, what)
        root = compose(path, text)
    except DataFileError as exc:
        raise error(str(exc)) from None
    if twice := duplicate_keys(root) + (run_on_items(root) if short_items else []):
        raise error(report(path, root, twice, what))
    return yaml.load(text, Loader=DataLoader), root  # noqa: S506 - a safe loader


def load_yaml(path: Path, model: type[Model], what: str, *, short_items: bool = False) -> Model:
    """A YAML data file read and validated by `model`; DataFileError naming every problem's line:
    syntax, keys written twice, and what the model refuses (`short_items`: see read_yaml)."""
    data, root = read_yaml(path, what, short_items=short_items)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        found = [(tuple(err["loc"]), describe(err, lambda loc: model_keys(model, loc))) for err in exc.errors()]
        raise DataFileError(report(path, root, found, what)) from None
