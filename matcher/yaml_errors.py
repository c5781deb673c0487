"""Describing a YAML syntax error the way a person fixing the file needs it."""

from __future__ import annotations

import yaml


def describe_yaml_error(exc: yaml.MarkedYAMLError) -> tuple[int | None, str]:
    """The 1-based line to look at (None if unknown) and what is wrong.

    Where an unclosed bracket or quote began is usually the line to fix, so it is named too."""
    mark = exc.problem_mark or exc.context_mark
    detail = exc.problem or exc.context or "cannot parse"
    if exc.problem and exc.context and exc.context_mark:
        detail += f" ({exc.context} that began on line {exc.context_mark.line + 1})"
    return (mark.line + 1 if mark else None), detail
