"""Recommendation and search latency over a 10 000-course catalogue, in process, one client.

The catalogue is generated (bench/synthetic_catalogue.py, shared with bench/service.py): the
evaluation catalogue's courses (tagged once, for real) repeated with other ids, providers, prices,
dates and slightly perturbed embeddings, so the embeddings and tags are reused rather than computed
10 000 times. Prints p50/p99 for:

- a team gap (a field at a level, no words): the service's team analysis path;
- a gap in words seen before (its tagging and query embedding cached);
- a gap in words never seen (tagging and embedding the words included; halves of two dev queries,
  as bench/service.py makes them);
- keyword search with filters (the web page's search).

Usage: python bench/recommend.py [--courses 10000] [--runs 300]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.gap_texts import dev_queries, spliced  # noqa: E402
from bench.synthetic_catalogue import base_source, build_index, tag_base, variants  # noqa: E402
from matcher.catalogue_index import CourseFilters  # noqa: E402
from matcher.embeddings import Embedder  # noqa: E402
from matcher.recommend import Recommender  # noqa: E402
from matcher.tagging import Tagger  # noqa: E402
from matcher.taxonomy import load_taxonomy  # noqa: E402
from service.state import limit_blas_threads  # noqa: E402

def percentiles(samples: list[float]) -> str:
    """p50 and p99 of durations in seconds, in ms."""
    ms = np.array(samples) * 1000
    return f"p50 {np.percentile(ms, 50):6.2f} ms   p99 {np.percentile(ms, 99):6.2f} ms   (n={len(ms)})"


def timed(fn: Callable[[int], object], runs: int) -> list[float]:
    """Durations of `runs` calls fn(0), fn(1), …"""
    out = []
    for i in range(runs):
        start = time.perf_counter()
        fn(i)
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--courses", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()

    limit_blas_threads()  # as `fagmatch serve` runs
    taxonomy = load_taxonomy()
    tagger = Tagger.default(taxonomy, Embedder.load())
    base = tag_base(tagger)
    courses = list(variants(base, args.courses))
    started = time.perf_counter()
    index = build_index(courses, taxonomy.field_keys, tagger.embedder.model_version)
    built = time.perf_counter() - started
    started = time.perf_counter()
    recommender = Recommender(index, tagger, course_products=True)  # as the service builds it
    ready = time.perf_counter() - started
    print(f"catalogue: {len(index)} courses generated from {len(base)} tagged ones ({base_source().name})")
    print(f"index build {built:.2f} s; recommender ready (transfer design of every course, gap-table course "
          f"products) {ready:.2f} s")

    queries = dev_queries()
    today = dt.date(2026, 11, 22)
    filters = CourseFilters()
    team_gaps = [recommender._field_gap("g1", key, level, ["A", "B", "C"], 2.0, 1, "assessment")
                 for key in taxonomy.field_keys for level in ("grundlaeggende", "specialiseret")]
    for q in queries:  # warm both caches of the "seen before" case: the words' gap and their query vector
        recommender.recommend([recommender.gap_from_text(q)], filters, today=today)

    team = timed(lambda i: recommender.recommend([team_gaps[i % len(team_gaps)]], filters, today=today), args.runs)
    warm = timed(lambda i: recommender.recommend([recommender.gap_from_text(queries[i % len(queries)])], filters, today=today), args.runs)
    cold = timed(lambda i: recommender.recommend([recommender.gap_from_text(spliced(queries, i))], filters, today=today), args.runs)
    constrained = CourseFilters(region="Midtjylland", max_price=15000, forms=["fysisk", "rekvirerbar"])
    search = timed(lambda i: index.search(queries[i % len(queries)], constrained, today=today), args.runs)

    print(f"recommend, team gap (field × level)      {percentiles(team)}")
    print(f"recommend, gap in words seen before      {percentiles(warm)}")
    print(f"recommend, gap in words never seen       {percentiles(cold)}")
    print(f"search, words + region/price/form filter {percentiles(search)}")


if __name__ == "__main__":
    main()
