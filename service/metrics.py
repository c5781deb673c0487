"""/metrics: the catalogue's and the crawls' state in the Prometheus text format, for an operator's
monitoring (alert on a source whose last crawl failed, or is days old). Every worker reads the same
catalogue file, so any worker's answer is the service's; nothing is counted per process."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector


def metrics_text(state: Any) -> bytes:
    """The service's metrics now, in the Prometheus text format."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_ServiceCollector(state))
    return generate_latest(registry)


class _ServiceCollector(Collector):
    def __init__(self, state: Any) -> None:
        self.state = state

    def collect(self) -> Iterator[Metric]:
        from crawler.runner import crawl_health, list_sources

        state = self.state
        summary, _ = state.catalogue_status()
        courses = GaugeMetricFamily("fagmatch_courses", "Courses in the catalogue, by state.", labels=["state"])
        courses.add_metric(["active"], summary["active"])
        courses.add_metric(["withdrawn"], summary["withdrawn"])
        yield courses
        yield GaugeMetricFamily("fagmatch_courses_tagged", "Active courses whose current text is tagged.",
                                value=summary["tagged"])
        tagger = state._tagger
        yield GaugeMetricFamily("fagmatch_model_loaded", "1 once the embedding model and tagger are loaded.",
                                value=int(tagger is not None))
        if tagger is not None:
            current = GaugeMetricFamily("fagmatch_courses_tagged_current_model",
                                        "Active courses tagged by the tagger this service runs (fewer after a "
                                        "model or framework change, until `fagmatch tag`).", labels=["model"])
            current.add_metric([tagger.model_version], summary["tagged_by_model"].get(tagger.model_version, 0))
            yield current

        finished = GaugeMetricFamily("fagmatch_source_last_crawl_timestamp_seconds",
                                     "When each source's last crawl run finished (Unix time, UTC).", labels=["source"])
        healthy = GaugeMetricFamily("fagmatch_source_last_crawl_ok",
                                    "1 where each source's last crawl run ended ok, fetched pages and was complete "
                                    "(no failed request, no bound reached): only then are its gone courses withdrawn.",
                                    labels=["source"])
        counts = GaugeMetricFamily("fagmatch_source_last_crawl_count",
                                   "Each source's last crawl run: pages, courses new, changed, unchanged, "
                                   "withdrawn, and the other counts it recorded.", labels=["source", "count"])
        errors = GaugeMetricFamily("fagmatch_source_last_crawl_errors", "Errors recorded by each source's last crawl run.",
                                   labels=["source"])
        unfinished = GaugeMetricFamily("fagmatch_crawls_unfinished", "Crawls not yet published: running now, or "
                                       "interrupted and waiting to be resumed.", labels=["state"])
        states = {"running": 0, "interrupted": 0}
        for row in list_sources(state.config.db, state.config.registry):
            if row.unfinished in states:
                states[row.unfinished] += 1
            run = row.last_run
            if run is None:
                continue
            if isinstance(run.get("finished_at"), dt.datetime):
                finished.add_metric([row.source], run["finished_at"].replace(tzinfo=dt.UTC).timestamp())
            healthy.add_metric([row.source], int(crawl_health(run) == "ok" and bool(run["counts"].get("complete", True))))
            for name, value in sorted(run["counts"].items()):
                if name != "errors" and isinstance(value, (int, float)) and not isinstance(value, bool):
                    counts.add_metric([row.source, name], value)
            errors.add_metric([row.source], run["error_count"])
        for name, value in states.items():
            unfinished.add_metric([name], value)
        yield from (finished, healthy, counts, errors, unfinished)
