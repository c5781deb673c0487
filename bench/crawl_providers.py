"""Crawl recall and accuracy on sites the extractor was not written for: tests/provider_web/ scored against its gold.

The multi-provider test web (tests/provider_web/make_site.py: an old windows-1252 table layout,
card pages with e-learning, a WordPress-like site listed through a JSON endpoint, an Umbraco-like
site with "load more") is served by tests/crawl_web/server.py on 127.0.0.1 and crawled ad hoc with
the real spider (`runner.crawl(url=...)`, as `fagmatch crawl --url` does) into a temporary
catalogue. Printed: course recall and precision against tests/provider_web/gold.json, and the
accuracy of each field (title, ECTS, price, dates, deadline, place, form, duration) over the
courses found, where an empty value the gold has as empty counts as right.

    .venv/bin/python bench/crawl_providers.py [--show-misses] [--json]"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "crawl_web"))

from crawler.runner import crawl  # noqa: E402
from matcher.course import canonical_url  # noqa: E402
from matcher.store import open_catalogue  # noqa: E402
from server import TestWeb  # noqa: E402

SITE = ROOT / "tests" / "provider_web" / "site"
GOLD = ROOT / "tests" / "provider_web" / "gold.json"
FIELDS = {"title": "title", "ects": "ECTS", "price_dkk": "price", "start_dates": "dates",
          "application_deadline": "deadline", "location": "place", "form": "form", "duration_days": "duration"}  # fmt: skip
FAST = {"AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0, "RETRY_BACKOFF_BASE": 0.05, "FAGMATCH_PROGRESS_EVERY": 0}


def _key(url: str) -> str:
    """A course's path and query, as the gold names it."""
    parts = urlsplit(canonical_url(url))
    return parts.path + (f"?{parts.query}" if parts.query else "")


def score(found: dict[str, dict[str, Any]], gold: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Recall, precision and per-field accuracy of `found` (key → record) against `gold`."""
    hits = sorted(set(found) & set(gold))
    fields = {}
    wrong: list[str] = []
    for field, name in FIELDS.items():
        right = 0
        for key in hits:
            expected, got = gold[key][field], found[key].get(field)
            if field == "start_dates":
                got = sorted(got or [])
            if got == expected:
                right += 1
            else:
                wrong.append(f"{key} {name}: {got!r}, gold {expected!r}")
        fields[name] = right / len(hits) if hits else 0.0
    return {
        "recall": len(hits) / len(gold), "precision": len(hits) / len(found) if found else 0.0,
        "field_accuracy": sum(fields.values()) / len(fields), "fields": fields,
        "missed": sorted(set(gold) - set(found)), "extra": sorted(set(found) - set(gold)), "wrong": wrong,
        "gold": len(gold), "found": len(found),
    }  # fmt: skip


def run() -> tuple[dict[str, Any], Any, float]:
    gold = json.loads(GOLD.read_text(encoding="utf-8"))["courses"]
    web = TestWeb(SITE).start()
    try:
        with tempfile.TemporaryDirectory(prefix="fagmatch-providers-") as scratch:
            db = Path(scratch) / "catalogue.duckdb"
            started = time.perf_counter()
            report = crawl(db, url=f"{web.base}/", settings=FAST)
            elapsed = time.perf_counter() - started
            with open_catalogue(db) as catalogue:
                found = {_key(course.url): course.to_record() for course in catalogue.courses()}
    finally:
        web.stop()
    return score(found, gold), report, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--show-misses", action="store_true", help="list missed and extra courses and wrong fields")
    parser.add_argument("--json", action="store_true", help="print the scores as JSON")
    args = parser.parse_args()
    result, report, elapsed = run()
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
        return
    (source,) = report.sources
    print(f"crawl: {source.pages} pages in {elapsed:.1f} s, {result['found']} courses stored, gold {result['gold']}")
    print(f"recall {result['recall']:.2f}  precision {result['precision']:.2f}  field accuracy {result['field_accuracy']:.2f}")
    print("  " + "  ".join(f"{name} {value:.2f}" for name, value in result["fields"].items()))
    if args.show_misses:
        for label in ("missed", "extra", "wrong"):
            for line in result[label]:
                print(f"{label}: {line}")


if __name__ == "__main__":
    main()
