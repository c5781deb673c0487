"""The crawl process: `python -m crawler.job CONFIG.json`, started by `crawler.runner`.

Twisted's reactor runs once per process, so each `runner.crawl` gets a process of its own. One
process crawls all the sources of a call side by side (one Scrapy crawler each, with its own
JOBDIR) and writes a JSON report for the parent."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings

from crawler.lifeline import die_with_parent
from crawler.registry import Source
from crawler.spiders.generic import GenericSpider

INTERRUPTED_MARK = "interrupted"  # written when Scrapy stopped gracefully: its queue state is sound


def crawler_settings(base: Settings, config: dict[str, Any], jobdir: Path, source: Source | None = None) -> Settings:
    settings = base.copy()
    if source is not None:  # the registry's limits; a run's own settings (cmdline priority) still win
        for key, value in source.limits.scrapy_settings().items():
            settings.set(key, value, priority="spider")
    settings.set("JOBDIR", str(jobdir), priority="cmdline")
    settings.set("FAGMATCH_DB", config["db"], priority="cmdline")
    settings.set("HTTPCACHE_DIR", config["http_cache_dir"], priority="cmdline")
    if config.get("http_cache"):  # development: replay what earlier crawls stored, without asking
        settings.set("HTTPCACHE_ENABLED", True, priority="cmdline")
        settings.set("HTTPCACHE_POLICY", "scrapy.extensions.httpcache.DummyPolicy", priority="cmdline")
    return settings


def run(config: dict[str, Any]) -> dict[str, Any]:
    base = Settings()
    base.setmodule("crawler.settings", priority="project")
    base.set("LOG_FILE", config["log_file"], priority="cmdline")
    base.set("LOG_FILE_APPEND", False, priority="cmdline")
    for key, value in (config.get("settings") or {}).items():
        base.set(key, value, priority="cmdline")
    process = CrawlerProcess(base)
    crawlers: list[tuple[Crawler, Source, Path]] = []
    for entry in config["sources"]:
        source = Source.model_validate(entry["source"])
        jobdir = Path(entry["jobdir"])
        jobdir.mkdir(parents=True, exist_ok=True)
        # The first crawler installs the reactor (as CrawlerProcess does for the crawlers it creates).
        crawler = Crawler(GenericSpider, crawler_settings(base, config, jobdir, source), init_reactor=not crawlers)
        process.crawl(crawler, source=source)
        crawlers.append((crawler, source, jobdir))
    process.start()
    results = []
    for crawler, source, jobdir in crawlers:
        result = getattr(crawler, "fagmatch_result", None) or {
            "source": source.name, "status": "failed", "message": "the crawl did not start (see the log)",
        }
        if result["status"] == "published":
            shutil.rmtree(jobdir, ignore_errors=True)  # done: the next crawl starts afresh
        elif result["status"] == "interrupted":
            (jobdir / INTERRUPTED_MARK).write_text(result.get("reason", ""), encoding="utf-8")
        results.append(result)
    return {"sources": results}


def main(argv: list[str]) -> int:
    # Killing `fagmatch crawl` (or the service above it) stops this crawl too. This process inherits
    # the job folder's lock from it (crawler/runner.py) and holds it until it ends.
    die_with_parent()
    config = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    report = run(config)
    Path(config["report"]).write_text(json.dumps(report, ensure_ascii=False, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
