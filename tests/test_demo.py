"""`fagmatch demo` and its sample provider site: the site serves, the real spider gets every course of the
sample feed back from it, and the demo crawls, tags and serves (real HTTP on 127.0.0.1)."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from crawler.runner import crawl
from matcher.store import open_catalogue
from service.sample_site import SITE_HOST, SITE_ROOT, SITE_URL, SampleSiteMiddleware, serve_sample_site

ROOT = Path(__file__).resolve().parents[1]
FEED = ROOT / "service" / "samples" / "courses.jsonl"
sys.path.insert(0, str(ROOT / "service" / "samples"))
import make_site  # noqa: E402

FEED_RECORDS = [json.loads(line) for line in FEED.read_text(encoding="utf-8").splitlines() if line.strip()]
# What a crawl must get back exactly as the feed says it.
MATCHED_FIELDS = ("title", "provider", "price_dkk", "start_dates", "application_deadline", "form", "location",
                  "ects", "duration_days", "course_type", "eqf_level", "language", "target_group", "admission")  # fmt: skip


DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # not via an http_proxy of the environment


def get(url: str, **headers: str) -> tuple[int, str, dict[str, str]]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with DIRECT.open(request, timeout=10) as response:
            return response.status, response.read().decode("utf-8"), {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace"), {k.lower(): v for k, v in exc.headers.items()}


def site_path(record: dict[str, Any]) -> str:
    """The canonical path of a feed record's page on the sample site (no trailing slash)."""
    return make_site.page_path(record).rstrip("/")


# ---------------------------------------------------------------------------------------------
# The sample site
# ---------------------------------------------------------------------------------------------


def test_committed_site_is_what_make_site_generates(tmp_path: Path) -> None:
    counts = make_site.build(FEED, tmp_path / "site")
    def files(root: Path) -> dict[Path, bytes]:
        return {path.relative_to(root): path.read_bytes() for path in root.rglob("*") if path.is_file()}

    generated, committed = files(tmp_path / "site"), files(SITE_ROOT)
    assert sorted(generated) == sorted(committed), "run service/samples/make_site.py"
    assert [name for name in generated if generated[name] != committed[name]] == [], "run service/samples/make_site.py"
    assert counts["courses"] == len(FEED_RECORDS) == 30
    # every extraction layer is shown
    assert counts["jsonld"] and counts["microdata"] and counts["main"]


def test_sample_site_serves_pages_robots_and_sitemap() -> None:
    with serve_sample_site() as site:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", site.base_url)
        status, body, headers = get(site.base_url)
        assert status == 200 and headers["content-type"].startswith("text/html")
        for provider in {record["provider"] for record in FEED_RECORDS}:
            assert make_site.e(provider) in body
        status, robots, _ = get(site.base_url + "robots.txt")
        assert status == 200
        assert "Disallow: /intern/" in robots
        assert f"Sitemap: {site.base_url}sitemap.xml" in robots  # {{BASE}} is the origin asked for
        status, sitemap, _ = get(site.base_url + "sitemap.xml")
        locations = re.findall(r"<loc>([^<]+)</loc>", sitemap)
        assert status == 200 and {site_path(record) for record in FEED_RECORDS} <= {
            urlsplit(url).path.rstrip("/") for url in locations
        }
        record = FEED_RECORDS[0]
        page_url = site.base_url.rstrip("/") + make_site.page_path(record)
        status, page, headers = get(page_url)
        assert status == 200 and make_site.e(record["title"]) in page and "application/ld+json" in page
        status, _, _ = get(page_url, **{"If-None-Match": headers["etag"]})
        assert status == 304
        assert get(site.base_url + "findes-ikke")[0] == 404
        assert get(site.base_url + "..%2f..%2fpyproject.toml")[0] == 404  # never outside the site folder
        assert get(site.base_url + "static/site.css")[2]["content-type"].startswith("text/css")
    with pytest.raises(OSError):
        get(site.base_url)  # stopped: the port is closed


def test_sample_site_answers_only_for_its_own_host_as_proxy() -> None:
    """The crawl reaches the site by its fixed name through the server on 127.0.0.1, and nothing else."""
    with serve_sample_site() as site:
        proxy = urllib.request.build_opener(urllib.request.ProxyHandler({"http": site.base_url}))
        with proxy.open(SITE_URL + "robots.txt", timeout=10) as response:
            assert f"Sitemap: http://{SITE_HOST}/sitemap.xml" in response.read().decode()
        with pytest.raises(urllib.error.HTTPError) as refused:
            proxy.open("http://example.com/", timeout=10)
        assert refused.value.code == 403


def test_middleware_keeps_the_crawl_on_the_sample_site() -> None:
    from scrapy import Request
    from scrapy.exceptions import IgnoreRequest

    middleware = SampleSiteMiddleware(SITE_HOST, "http://127.0.0.1:9")
    request = Request(SITE_URL + "nordhavn/")
    middleware.process_request(request)
    assert request.meta["proxy"] == "http://127.0.0.1:9"
    with pytest.raises(IgnoreRequest):
        middleware.process_request(Request("https://www.kp.dk/videreuddannelser/"))


# ---------------------------------------------------------------------------------------------
# Crawling it with the real spider
# ---------------------------------------------------------------------------------------------


def crawl_site(db: Path) -> tuple[Any, list[str], str]:
    lines: list[str] = []
    with serve_sample_site() as site:
        report = crawl(db, url=site.site_url, settings=site.crawl_settings(), resume=False, progress=lines.append)
        return report, list(site.requested), site.base_url


def test_crawl_gets_every_course_of_the_feed_back(tmp_path: Path) -> None:
    db = tmp_path / "catalogue.duckdb"
    report, requested, _ = crawl_site(db)
    assert report.ok, report.summary_lines()
    (result,) = report.sources
    assert result.courses == 30 and result.failed == 0 and result.complete
    assert result.counts["new"] == 30
    assert not [path for path in requested if path.startswith("/intern/")], "robots.txt must keep /intern/ out"
    with open_catalogue(db) as catalogue:
        courses = {urlsplit(course.url).path: course for course in catalogue.courses()}
    assert all(urlsplit(course.url).hostname == SITE_HOST for course in courses.values())
    assert sorted(courses) == sorted(site_path(record) for record in FEED_RECORDS)
    problems = []
    for record in FEED_RECORDS:
        course = courses[site_path(record)].model_dump(mode="json")
        for key in MATCHED_FIELDS:
            if course[key] != record[key]:
                problems.append(f"{record['id']}: {key} {course[key]!r} != {record[key]!r}")
        if [goal["text"] for goal in course["learning_goals"]] != [goal["text"] for goal in record["learning_goals"]]:
            problems.append(f"{record['id']}: learning goals differ")
        if not course["description"] or len(course["description"]) < 300:
            problems.append(f"{record['id']}: description {course['description']!r}")
    assert problems == []


def test_crawl_again_on_another_port_leaves_every_course_unchanged(tmp_path: Path) -> None:
    """The site's fixed host name keeps course ids stable although each run gets a new free port."""
    db = tmp_path / "catalogue.duckdb"
    first, _, first_base = crawl_site(db)
    second, _, second_base = crawl_site(db)
    assert first_base != second_base
    assert second.sources[0].counts["unchanged"] == 30
    assert second.sources[0].counts["new"] == second.sources[0].counts["withdrawn"] == 0
    with open_catalogue(db) as catalogue:
        summary = catalogue.summary()
    assert summary["courses"] == summary["active"] == 30


# ---------------------------------------------------------------------------------------------
# fagmatch demo (needs the embedding model)
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("demo") / "catalogue.duckdb"


def run_demo_cli(db: Path, *args: str) -> Any:
    from service.cli import main

    return CliRunner().invoke(main, ["--db", str(db), "demo", *args], catch_exceptions=False)


@pytest.mark.slow
def test_demo_no_serve_crawls_tags_and_reruns_unchanged(demo_db: Path) -> None:
    first = run_demo_cli(demo_db, "--no-serve")
    assert first.exit_code == 0, first.output
    assert "Arbejdsmarked & Uddannelse" in first.stdout  # the framework's fields
    assert re.search(r"Crawled url:demo\.fagmatch\.localhost: \d+ pages, 30 courses \(new 30,", first.stdout)
    assert "Tagged 30 courses (0 already up to date)" in first.stdout
    assert "courses: 30 (30 active, 0 withdrawn), tagged: 30" in first.stdout
    assert "Professionshøjskolen Nordhavn 4" in first.stdout
    assert "Åbn" not in first.stdout
    with open_catalogue(demo_db) as catalogue:
        summary = catalogue.summary()
    assert summary["active"] == summary["tagged"] == 30
    assert len(summary["by"]["provider"]) == len({record["provider"] for record in FEED_RECORDS})

    second = run_demo_cli(demo_db, "--no-serve")
    assert second.exit_code == 0, second.output
    assert "30 courses (new 0, changed 0, unchanged 30, withdrawn 0)" in second.stdout
    assert "Tagged 0 courses (30 already up to date)" in second.stdout
    assert "courses: 30 (30 active, 0 withdrawn), tagged: 30" in second.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_demo_refuses_a_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = run_demo_cli(tmp_path / "catalogue.duckdb", "--port", str(taken.getsockname()[1]))
    assert result.exit_code == 1
    assert "choose another with --port" in result.stderr
    assert not (tmp_path / "catalogue.duckdb").exists()  # it failed before crawling


@pytest.mark.slow
def test_demo_serves_the_catalogue_over_http(demo_db: Path) -> None:
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "FAGMATCH_API_KEY": "demo-key"}  # as for serve
    process = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "--db", str(demo_db), "demo", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
    )  # fmt: skip
    lines: queue.Queue[str] = queue.Queue()
    errors: list[str] = []
    assert process.stdout is not None and process.stderr is not None
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    threading.Thread(target=lambda: errors.extend(process.stderr), daemon=True).start()
    try:
        url, seen, deadline = None, [], time.monotonic() + 300
        while url is None and time.monotonic() < deadline and process.poll() is None:
            try:
                line = lines.get(timeout=1)
            except queue.Empty:
                continue
            seen.append(line)
            if match := re.match(r"Åbn (http://\S+) i en browser", line):
                url = match[1]
        assert url == f"http://127.0.0.1:{port}/", "".join(seen + errors)
        # printed only once the server answers
        status, page, headers = get(url)
        assert status == 200 and headers["content-type"].startswith("text/html")
        status, body, _ = get(url + "healthz")
        assert status == 200
        assert json.loads(body)["catalogue"]["active"] == 30
        assert lines.get(timeout=5).startswith(f"API-dokumentation: {url}docs")
        assert get(url + "docs")[0] == 200
        # the key opens the keyed endpoints (feed upload, saved analyses) on the demo as on serve
        assert get(url + "api/analyses", **{"X-API-Key": "demo-key"})[0] == 200
        assert get(url + "api/analyses", **{"X-API-Key": "wrong"})[0] == 401
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert process.returncode == 0, "".join(errors)
