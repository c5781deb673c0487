"""The gap texts the benches send: the graded development queries as HR wrote them, and never-seen
texts spliced from them."""

from __future__ import annotations

import json
from pathlib import Path

QUERIES = Path(__file__).resolve().parents[1] / "eval" / "recommend-queries-dev.jsonl"


def dev_queries(path: Path = QUERIES) -> list[str]:
    """The development queries' words (24 gaps over all six fields and both levels)."""
    return [json.loads(line)["query"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def spliced(queries: list[str], i: int) -> str:
    """The `i`th never-seen gap text: the first half of one query's words, the second half of
    another's (552 pairs from 24 queries: other gaps, other courses on top), and a number of its own,
    which makes each text new to every cache of whole texts. The words stay on topic."""
    n = len(queries)
    first, second = queries[i % n].split(), queries[(i + 1 + i // n % (n - 1)) % n].split()
    return " ".join(first[: len(first) // 2] + second[len(second) // 2 :]) + f", hold {i}"
