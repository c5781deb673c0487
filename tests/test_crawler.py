"""The crawler against a local test web on 127.0.0.1: real HTTP, real Scrapy, real catalogue files."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner
from scrapy.http import HtmlResponse

from crawler.commands import crawl_cmd, sources_cmd
from crawler.extract import extract_course
from crawler.registry import RegistryError, load_registry
from crawler.runner import CrawlError, crawl, jobs_root
from matcher.store import open_catalogue

WEB_ROOT = Path(__file__).resolve().parent / "crawl_web"
sys.path.insert(0, str(WEB_ROOT))
from server import TestWeb  # noqa: E402

# Loopback needs no politeness delays; AutoThrottle stays on (it adapts to the ~ms latency).
FAST = {"AUTOTHROTTLE_START_DELAY": 0.0, "AUTOTHROTTLE_MAX_DELAY": 1.0, "DOWNLOAD_DELAY": 0, "RETRY_BACKOFF_BASE": 0.05}

# Every course of the test web, by path; fields checked one by one.
EXPECTED: dict[str, dict[str, Any]] = {
    "/alfa/moduler/beskaeftigelsesindsatsen": dict(
        title="Beskæftigelsesindsatsen og lovgivningen", provider="Alfa Professionshøjskole", ects=10.0,
        price_dkk=11500.0, start_dates=["2027-02-01", "2027-09-01"], application_deadline="2026-12-01",
        location="Campus Aarhus", form="fysisk", course_type="diplom", eqf_level=6, language="da",
        goals=["viden", "faerdigheder", "kompetencer"],
    ),
    "/alfa/moduler/digital-sagsbehandling": dict(
        title="Digital sagsbehandling", provider="Alfa Professionshøjskole", ects=5.0, price_dkk=9800.0,
        start_dates=["2027-02-08"], application_deadline="2027-01-15", location=None, form="online",
        course_type="diplom",
    ),
    "/beta/moduler/socialret": dict(
        title="Socialret i praksis", provider="Beta Erhvervsakademi", ects=10.0, price_dkk=12500.0,
        start_dates=["2027-02-03", "2027-09-01"], application_deadline="2026-12-15", location="Aarhus",
        form="fysisk", course_type="akademi", eqf_level=5, target_group="Medarbejdere i jobcentre og ydelseskontorer",
        admission="Relevant erhvervsuddannelse og 2 års erhvervserfaring", goals=["viden", "faerdigheder"],
    ),
    "/beta/moduler/arbejdsmarkedsforstaaelse": dict(  # malformed HTML
        title="Arbejdsmarkedsforståelse", provider="Beta Erhvervsakademi", ects=10.0, price_dkk=11000.0,
        start_dates=["2027-02-08"], location="Odense", form="blended", course_type="akademi",
    ),
    "/gamma/kurser/sagsbehandling": dict(  # linked with utm/fbclid/fragment and with a trailing slash
        title="Sagsbehandling med borgeren i centrum", provider="Gamma Kursus ApS", price_dkk=3995.0,
        duration_days=2.0, start_dates=["2027-03-04", "2027-05-06", "2027-10-07"],
        application_deadline="2027-02-04", location="København", form="fysisk", course_type="kursus",
        target_group="Sagsbehandlere i jobcentre", ects=None,
    ),
    "/gamma/kurser/rekvirer-forloeb": dict(
        title="Motivation og mestring – internt forløb", provider="Gamma Kursus ApS", price_dkk=24000.0,
        duration_days=1.0, start_dates=[], form="rekvirerbar", course_type="kursus",
    ),
    "/gamma/kurser/flaky": dict(  # 500 first, then 200
        title="Jobsamtaler med effekt", provider="Gamma Kursus ApS", price_dkk=2495.0, start_dates=["2027-04-12"],
        location="Vejle", duration_days=1.0,
    ),
    "/delta/kurser/mentorordning": dict(
        title="Mentorordning i praksis", provider="Delta Kommunekurser", price_dkk=2800.0,
        start_dates=["2027-03-10"], application_deadline="2027-02-01", location="Kolding", duration_days=2.0,
        target_group="Virksomhedskonsulenter og mentorer", course_type="kursus", language="da",
    ),
    "/delta/kurser/e-laering-sygedagpenge": dict(
        title="Sygedagpenge – e-læring", provider="Delta Kommunekurser", price_dkk=1200.0, form="online",
        start_dates=[], duration_days=0.41,  # "3 timer": days of 7.4 hours
    ),
    "/delta/kurser/aeldre-borgere": dict(  # windows-1252, said in the Content-Type header
        title="Ældre borgere på kanten af arbejdsmarkedet", provider="Delta Kommunekurser", price_dkk=3450.0,
        start_dates=["2027-05-05"], location="Århus, Søndergade 12",
        target_group="Sagsbehandlere på seniorområdet – også dem med særlige opgaver",
    ),
    "/delta/kurser/virksomhedskontakt": dict(  # on page 2 of the listing
        title="Virksomhedskontakt der virker", provider="Delta Kommunekurser", price_dkk=2100.0,
        start_dates=["2027-06-02"], location="Herning",
    ),
    "/epsilon/kurser/motiverende-samtale": dict(  # microdata; only in the sitemap
        title="Motiverende samtale – grundkursus", provider="Epsilon Akademiet", price_dkk=4500.0,
        start_dates=["2027-04-20"], location="Svendborg", form="blended",
    ),
}


@pytest.fixture(scope="module")
def web():
    server = TestWeb().start()
    yield server
    server.stop()


def write_registry(directory: Path, base: str) -> Path:
    path = directory / "sources.yaml"
    path.write_text((WEB_ROOT / "sources.yaml").read_text(encoding="utf-8").replace("{{BASE}}", base), "utf-8")
    return path


@pytest.fixture(scope="module")
def crawled(web, tmp_path_factory):
    """All five test providers crawled once through the registry."""
    directory = tmp_path_factory.mktemp("crawled")
    registry = write_registry(directory, web.base)
    lines: list[str] = []
    # a progress line on every page, as a slow polite crawl gets one every 10 s
    settings = {**FAST, "FAGMATCH_PROGRESS_SECONDS": 0}
    report = crawl(directory / "catalogue.duckdb", registry=registry, settings=settings, progress=lines.append)
    return SimpleNamespace(db=directory / "catalogue.duckdb", registry=registry, report=report, lines=lines)


def records(db: Path) -> dict[str, dict[str, Any]]:
    with open_catalogue(db) as catalogue:
        out = {}
        for course in catalogue.courses():
            path = course.url.split("://", 1)[1].split("/", 1)[1]
            assert "/" + path not in out, f"duplicate record for {path}"
            out["/" + path] = course.to_record()
        return out


def assert_expected(found: dict[str, dict[str, Any]], *, skip: frozenset[str] = frozenset()) -> None:
    assert sorted(found) == sorted(EXPECTED)
    for path, expected in EXPECTED.items():
        record = found[path]
        for key, value in expected.items():
            if key == "goals":
                assert [goal["kind"] for goal in record["learning_goals"]] == value, path
            elif key not in skip:
                assert record[key] == value, f"{path}: {key} = {record[key]!r}, expected {value!r}"


# ------------------------------------------------------------------------------------------------
# The whole test web, crawled for real
# ------------------------------------------------------------------------------------------------


def test_registry_crawl_yields_every_course_field_by_field(crawled):
    assert crawled.report.ok, crawled.report.summary_lines()
    found = records(crawled.db)
    assert_expected(found)
    assert not any("intern" in path for path in found)  # robots.txt disallows /delta/intern/
    assert all("utm_" not in r["url"] and "#" not in r["url"] for r in found.values())
    assert found["/alfa/moduler/beskaeftigelsesindsatsen"]["learning_goals"][2] == {
        "kind": "kompetencer", "text": "Den studerende kan selvstændigt håndtere komplekse sagsforløb",
    }


def test_run_recorded_with_counts_and_errors(crawled, web):
    with open_catalogue(crawled.db) as catalogue:
        runs = {run["sources"][0]: run for run in catalogue.runs(20) if run["kind"] == "crawl"}
    assert set(runs) == {"alfa", "beta", "gamma", "delta", "epsilon"}
    assert all(run["status"] == "ok" for run in runs.values())
    assert runs["delta"]["counts"]["pages"] == 6 and runs["delta"]["counts"]["new"] == 4
    assert runs["gamma"]["counts"]["failed"] == 0  # the flaky 500 succeeded on retry
    assert ("GET", "/gamma/kurser/flaky", 500) in web.log and ("GET", "/gamma/kurser/flaky", 200) in web.log
    # The 404 is recorded with its URL, but is an answer, not a failure: the crawl stays complete.
    beta = runs["beta"]
    assert any(e["where"].endswith("/beta/moduler/udgaaet") and "404" in e["message"] for e in beta["errors"])
    assert beta["counts"]["complete"] == 1
    assert not any(path.startswith("/delta/intern") for _, path, _ in web.log)
    assert any("done (finished)" in line for line in crawled.lines)  # progress and summary lines


def test_a_crawl_says_at_once_that_it_started_and_how_far_it_has_come(crawled, web):
    started = [line for line in crawled.lines if line.startswith("[delta] started: ")]
    assert len(started) == 1 and web.base in started[0]
    pages = [line for line in crawled.lines if re.match(r"\[delta\] \d+ pages, \d+ courses", line)]
    assert [int(line.split()[1]) for line in pages] == [1, 2, 3, 4, 5, 6]
    assert crawled.lines.index(started[0]) < crawled.lines.index(pages[0])


def test_recrawl_reports_all_unchanged(crawled, tmp_path):
    db = tmp_path / "catalogue.duckdb"
    shutil.copy(crawled.db, db)
    report = crawl(db, registry=crawled.registry, settings=FAST)
    assert report.ok
    totals = {key: sum(r.counts.get(key, 0) for r in report.sources) for key in ("new", "changed", "unchanged")}
    assert totals == {"new": 0, "changed": 0, "unchanged": len(EXPECTED)}
    assert {p: {k: v for k, v in r.items() if k != "last_seen"} for p, r in records(db).items()} == {
        p: {k: v for k, v in r.items() if k != "last_seen"} for p, r in records(crawled.db).items()
    }


def test_metrics_say_each_source_s_last_crawl(crawled, tmp_path):
    from fastapi.testclient import TestClient
    from prometheus_client.parser import text_string_to_metric_families

    from service.app import create_app
    from service.state import ServiceConfig

    db = tmp_path / "catalogue.duckdb"
    shutil.copy(crawled.db, db)
    text = TestClient(create_app(ServiceConfig(db=db, registry=crawled.registry))).get("/metrics").text
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(text) for s in family.samples}
    by_source = {r.source: r for r in crawled.report.sources}
    for source, result in by_source.items():
        assert samples[("fagmatch_source_last_crawl_ok", (("source", source),))] == int(result.complete), source
        assert samples[("fagmatch_source_last_crawl_count", (("count", "new"), ("source", source)))] == result.counts["new"]
        assert samples[("fagmatch_source_last_crawl_timestamp_seconds", (("source", source),))] > 1.7e9
    assert samples[("fagmatch_crawls_unfinished", (("state", "interrupted"),))] == 0
    assert not [key for key in samples if key[0] == "fagmatch_source_last_crawl_count" and ("count", "errors") in key[1]]


def test_adhoc_url_crawl_then_export(web, tmp_path, run_cli, db):
    result = CliRunner().invoke(
        crawl_cmd, ["--url", f"{web.base}/", "-s", "AUTOTHROTTLE_START_DELAY=0", "-s", "DOWNLOAD_DELAY=0",
                    "-s", "RETRY_BACKOFF_BASE=0.05"],
        obj=SimpleNamespace(db=db),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "url:127.0.0.1" in result.output
    exported = run_cli("export", "--format", "jsonl")
    assert exported.exit_code == 0
    found = {"/" + r["url"].split("/", 3)[3]: r for r in map(json.loads, exported.output.splitlines())}
    # An unknown site has no registry hints: provider and language come from the page itself, or stay unknown.
    assert_expected(found, skip=frozenset({"provider", "language"}))
    assert found["/alfa/moduler/beskaeftigelsesindsatsen"]["provider"] == "Alfa Professionshøjskole"
    assert found["/gamma/kurser/flaky"]["provider"] is None


def test_sources_command_lists_health(crawled):
    result = CliRunner().invoke(sources_cmd, ["--registry", str(crawled.registry)], obj=SimpleNamespace(db=crawled.db))
    assert result.exit_code == 0, result.output
    assert "delta" in result.output and "complete: 6 pages, 4 courses, new 4" in result.output
    # a source whose registry entry says nothing of its site gets no status line
    registry = crawled.registry.parent / "quiet.yaml"
    registry.write_text("\n".join(line for line in crawled.registry.read_text(encoding="utf-8").splitlines()
                                  if not line.strip().startswith("status:")), encoding="utf-8")
    quiet = CliRunner().invoke(sources_cmd, ["--registry", str(registry)], obj=SimpleNamespace(db=crawled.db))
    assert quiet.exit_code == 0 and "delta" in quiet.output and "status:" not in quiet.output, quiet.output
    assert "status:" in result.output


@pytest.mark.parametrize(("override", "said"), [
    ("DOWNLOAD_DELAYY=1", "'DOWNLOAD_DELAYY' is not a Scrapy setting"),  # a typo was ignored
    ("CONCURRENT_REQUESTS=abc", "CONCURRENT_REQUESTS takes a whole number, such as 16"),  # stopped the crawl process
    ("ROBOTSTXT_OBEY=maybe", "ROBOTSTXT_OBEY takes true or false"),
])
def test_a_scrapy_setting_that_is_not_one_or_of_the_wrong_kind_is_a_usage_error(tmp_path, override, said):
    result = CliRunner().invoke(crawl_cmd, ["--url", "http://127.0.0.1:9/", "-s", override],
                                obj=SimpleNamespace(db=tmp_path / "c.duckdb"))
    assert result.exit_code == 2 and said in result.output, result.output
    assert not (tmp_path / "c.duckdb").exists()


def test_unknown_source_is_a_clear_error(crawled, tmp_path):
    result = CliRunner().invoke(
        crawl_cmd, ["--source", "nope", "--registry", str(crawled.registry)], obj=SimpleNamespace(db=tmp_path / "c.duckdb")
    )
    assert result.exit_code == 1
    assert result.output.startswith("error: unknown source(s): nope")


# ------------------------------------------------------------------------------------------------
# Withdrawal and resumption
# ------------------------------------------------------------------------------------------------


@pytest.fixture
def delta(tmp_path):
    """The delta provider crawled once into a new catalogue; its site still served, to be changed."""
    server = TestWeb().start()
    try:
        registry = write_registry(tmp_path, server.base)
        db = tmp_path / "catalogue.duckdb"
        crawl(db, registry=registry, sources=["delta"], settings=FAST)
        yield SimpleNamespace(server=server, db=db, registry=registry, again=lambda settings=FAST: crawl(
            db, registry=registry, sources=["delta"], settings=settings).sources)
    finally:
        server.stop()


def test_withdraw_only_after_complete_crawl(delta):
    gone = "/delta/kurser/mentorordning"
    delta.server.hidden.add(gone)
    delta.server.broken.add("/delta/kurser/aeldre-borgere")  # fails for good: the crawl is incomplete
    (result,) = delta.again()
    assert result.status == "published" and not result.complete and result.failed == 1
    assert records(delta.db)[gone]["withdrawn"] is False
    # the command says so, with an exit code of its own, so a cron wrapper hears of it
    settings = [arg for name, value in FAST.items() for arg in ("-s", f"{name}={value}")]
    cli = CliRunner().invoke(crawl_cmd, ["--source", "delta", "--registry", str(delta.registry), *settings],
                             obj=SimpleNamespace(db=delta.db))
    assert cli.exit_code == 3, cli.output
    assert "warning: delta: some requests failed, so the crawl is incomplete and no course was withdrawn" in cli.output
    delta.server.broken.clear()
    (result,) = delta.again()
    assert result.complete and result.counts["withdrawn"] == 1
    after = records(delta.db)
    assert after[gone]["withdrawn"] is True
    assert sum(not r["withdrawn"] for r in after.values()) == 3


def test_a_crawl_that_may_fetch_no_page_withdraws_nothing(delta):
    # a robots.txt that shuts the whole site: no page comes in, and no request failed either
    delta.server.replaced["/robots.txt"] = "User-agent: *\nDisallow: /\n"
    (result,) = delta.again()
    assert result.pages == 0 and not result.complete
    assert not any(r["withdrawn"] for r in records(delta.db).values())


def test_a_recrawl_asks_for_each_page_conditionally_and_a_changed_page_is_read_anew(delta):
    """PRODUCT.md §4: conditional re-fetch. An unchanged page answers 304 and its stored copy is read;
    a changed one answers 200 and is read as it is now."""
    delta.server.log.clear()
    (result,) = delta.again()
    pages = [(path, status) for method, path, status in delta.server.log if path.startswith("/delta/kurser/")]
    assert pages and all(status == 304 for _, status in pages), pages
    assert result.complete and result.counts["unchanged"] == 4 and result.counts["withdrawn"] == 0
    page = "/delta/kurser/mentorordning"
    changed = (WEB_ROOT / page.lstrip("/")).with_suffix(".html").read_text(encoding="utf-8")
    delta.server.replaced[page] = changed.replace("</h1>", " – nyt hold</h1>", 1)
    (result,) = delta.again()
    assert result.counts["changed"] == 1 and records(delta.db)[page]["title"].endswith("– nyt hold")


def test_a_crawl_run_is_recorded_from_when_its_pages_began_to_come_in(delta):
    """The run's start was its publish time, so every crawl run showed no duration."""
    delta.server.delay = 0.4  # five pages and robots.txt, one at a time: over two seconds
    try:
        delta.again()
    finally:
        delta.server.delay = 0.0
    with open_catalogue(delta.db) as catalogue:
        run = catalogue.runs(1)[0]
    assert (run["finished_at"] - run["started_at"]).total_seconds() >= 2, run


def test_a_page_half_stored_by_a_killed_crawl_is_fetched_again(delta):
    cache = next(delta.db.parent.glob(".*.crawljobs")) / "_httpcache"
    bodies = list(cache.rglob("response_body"))
    assert bodies, "every page is stored for the next crawl's conditional request"
    for body in bodies:
        body.unlink()  # as a crawl killed between writing a page's headers and its body leaves it
    delta.server.log.clear()
    (result,) = delta.again()
    assert result.complete and result.failed == 0 and result.counts["unchanged"] == 4
    assert all(status == 200 for method, path, status in delta.server.log if path.startswith("/delta/kurser/"))


def test_a_course_page_that_answers_without_a_course_keeps_its_course(delta):
    """A site under maintenance answers every page 200 with a notice: its courses are not gone."""
    courses = [path for path, r in records(delta.db).items() if not r["withdrawn"]]
    notice = "<html><body><main><h1>Vi opdaterer hjemmesiden</h1><p>Prøv igen senere.</p></main></body></html>"
    delta.server.replaced.update({path: notice for path in courses})
    (result,) = delta.again()
    assert result.complete and result.counts["withdrawn"] == 0 and result.counts["kept"] == len(courses) == 4
    assert "kept 4 (their pages answered without a course" in result.line()
    with open_catalogue(delta.db) as catalogue:
        run = catalogue.runs(1)[0]
    assert sum("answered without a course" in e["message"] for e in run["errors"]) == 4  # each page, in the run
    assert all(not r["withdrawn"] for r in records(delta.db).values())
    delta.server.replaced.clear()  # a page that is really gone is still withdrawn
    delta.server.hidden.add("/delta/kurser/mentorordning")
    (result,) = delta.again()
    assert result.counts["withdrawn"] == 1 and result.counts["kept"] == 0


@pytest.mark.parametrize("loop", ["back to an address of its chain", "through ever new addresses"])
def test_a_course_page_caught_in_a_redirect_loop_is_a_failure_not_gone(delta, loop):
    """A cookie wall or a misconfigured site that redirects in circles hides the page this time; its
    course must not be withdrawn as if the page were removed."""
    page = "/delta/kurser/aeldre-borgere"
    settings = dict(FAST)
    if loop == "back to an address of its chain":
        delta.server.redirects.update({page: "/samtykke", "/samtykke": page})
    else:  # REDIRECT_MAX_TIMES (20 by default) stands in for the endless chain
        delta.server.redirects.update({page: "/samtykke/1", "/samtykke/1": "/samtykke/2"})
        settings["REDIRECT_MAX_TIMES"] = 1
    (result,) = delta.again(settings)
    assert not result.complete and result.failed == 1
    (error,) = result.errors
    assert error["message"].startswith(("redirect loop: ", "more than 1 redirects")), error
    assert records(delta.db)[page]["withdrawn"] is False


def test_a_crawl_keeps_to_its_sources_port_on_the_same_host(tmp_path):
    """A page or a redirect may name the site's host on another port, where its owner may run
    something else entirely: the crawl does not go there, as it does not go to other hosts."""
    site, other = TestWeb().start(), TestWeb().start()
    try:
        registry = write_registry(tmp_path, site.base)
        site.redirects["/delta/kurser/aeldre-borgere"] = f"{other.base}/delta/kurser/aeldre-borgere"
        (result,) = crawl(tmp_path / "catalogue.duckdb", registry=registry, sources=["delta"], settings=FAST).sources
        assert result.status == "published" and result.pages > 0
        assert other.log == [], other.log
    finally:
        site.stop()
        other.stop()


def test_a_page_whose_reading_fails_withdraws_nothing(delta, tmp_path, monkeypatch):
    """A bug or a closed pipe while reading a page must not pass for a page without a course: the
    crawl cannot tell what is gone, and a resumed crawl would not fetch the page again."""
    # the crawl process reads one page with a failing extractor (sitecustomize loads first)
    failing = tmp_path / "failing"
    failing.mkdir()
    (failing / "sitecustomize.py").write_text(
        "import crawler.spiders.generic as g\n"
        "real = g.extract_course\n"
        "def extract(html, url, hints=None):\n"
        "    if url.endswith('/mentorordning'):\n"
        "        raise BrokenPipeError(32, 'Broken pipe')\n"
        "    return real(html, url, hints)\n"
        "g.extract_course = extract\n", encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", f"{failing}{os.pathsep}{Path(__file__).resolve().parents[1]}")
    (result,) = delta.again()
    assert not result.complete and result.failed == 1
    assert any("reading the page failed: BrokenPipeError" in e["message"] for e in result.errors)
    assert records(delta.db)["/delta/kurser/mentorordning"]["withdrawn"] is False


def make_slow_site(root: Path, count: int) -> None:
    (root / "slow" / "kurser").mkdir(parents=True)
    links = "".join(f'<p><a href="/slow/kurser/k{i}">Kursus {i}</a></p>' for i in range(count))
    (root / "slow" / "index.html").write_text(f"<html><body><main><h1>Kurser</h1>{links}</main></body></html>")
    for i in range(count):
        (root / "slow" / "kurser" / f"k{i}.html").write_text(
            f"<html><head><meta charset='utf-8'><title>Kursus {i}</title></head><body><main><h1>Kursus nr. {i}</h1>"
            f"<p>Et kursus om beskæftigelse, nummer {i}.</p><p><strong>Pris:</strong> {1000 + i} kr.</p>"
            f"<p><strong>Dato:</strong> {1 + i % 28}. marts 2027</p></main></body></html>",
            encoding="utf-8",
        )


def test_kill_and_restart_loses_nothing_and_duplicates_nothing(tmp_path):
    site = tmp_path / "site"
    make_slow_site(site, 30)
    server = TestWeb(root=site, delay=0.08).start()
    try:
        registry = tmp_path / "sources.yaml"
        registry.write_text(
            f"sources:\n  slow:\n    kind: private\n    start_urls: ['{server.base}/slow/']\n", encoding="utf-8"
        )
        settings = {**FAST, "CONCURRENT_REQUESTS_PER_DOMAIN": 2}
        reference = tmp_path / "reference.duckdb"
        crawl(reference, registry=registry, settings=settings)

        db = tmp_path / "killed.duckdb"
        script = (
            "import json, sys; from crawler.runner import crawl; "
            "crawl(sys.argv[1], registry=sys.argv[2], settings=json.loads(sys.argv[3]))"
        )
        child = subprocess.Popen(
            [sys.executable, "-c", script, str(db), str(registry), json.dumps(settings)],
            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            cwd=Path(__file__).resolve().parents[1],
        )  # fmt: skip
        journal = jobs_root(db) / "slow" / "journal.jsonl"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if journal.exists() and journal.read_text(encoding="utf-8").count('"t":"course"') >= 8:
                break
            time.sleep(0.02)
        os.killpg(child.pid, signal.SIGKILL)  # the runner and its Scrapy process, mid-crawl
        child.wait()
        # what the runner handed its crawl process stays in the catalogue's job folder, not in /tmp
        assert (jobs_root(db) / "crawl-config.json").is_file()
        spooled = journal.read_text(encoding="utf-8").count('"t":"course"')
        assert 8 <= spooled < 30, "killed too late to test a restart"
        with open_catalogue(db) as catalogue:
            assert list(catalogue.courses()) == []  # nothing published by the killed crawl

        report = crawl(db, registry=registry, settings=settings)  # --resume is the default
        assert report.ok and report.sources[0].courses == 30
        strip = lambda rs: {p: {k: v for k, v in r.items() if k not in ("first_seen", "last_seen")} for p, r in rs.items()}  # noqa: E731
        assert strip(records(db)) == strip(records(reference))
        assert not (jobs_root(db) / "slow").exists()  # a published job is cleared
        assert not list(jobs_root(db).glob("crawl-*.json"))  # and the hand-over files with it
    finally:
        server.stop()


def test_a_crawl_process_that_dies_before_its_report_is_an_error_not_an_old_report(tmp_path, monkeypatch):
    """A report left by a crawl killed outright must not pass for the next crawl's."""
    db = tmp_path / "catalogue.duckdb"
    root = jobs_root(db)
    root.mkdir()
    stale = {"sources": [{"source": "old", "status": "published", "courses": 99}]}
    (root / "crawl-report.json").write_text(json.dumps(stale), encoding="utf-8")
    # The crawl process dies as it starts, as one killed by the kernel would: Python imports
    # sitecustomize from its path before anything else.
    dying = tmp_path / "dying"
    dying.mkdir()
    (dying / "sitecustomize.py").write_text("import os\nos._exit(3)\n", encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", str(dying))
    with pytest.raises(CrawlError, match="ended with exit code 3"):
        crawl(db, url="http://127.0.0.1:9/", settings=FAST)
    assert not (root / "crawl-report.json").exists()


# ------------------------------------------------------------------------------------------------
# Extraction, one layer at a time (pure functions on HTML strings)
# ------------------------------------------------------------------------------------------------


def page(body: str, head: str = "") -> str:
    return f"<!DOCTYPE html><html lang='da'><head><meta charset='utf-8'>{head}</head><body>{body}</body></html>"


def test_extract_jsonld_course_with_instances_and_offer():
    ld = {
        "@context": "https://schema.org", "@type": "Course", "name": "Forvaltningsret", "numberOfCredits": "10",
        "provider": {"@type": "Organization", "name": "UC Test"}, "educationalCredentialAwarded": "Diplomuddannelse",
        "hasCourseInstance": [{"@type": "CourseInstance", "startDate": "2027-02-03", "courseMode": "online"},
                              {"@type": "CourseInstance", "startDate": "2027-09-01", "courseMode": "online"}],
        "offers": {"@type": "Offer", "price": "12.500,00", "priceCurrency": "DKK"},
    }  # fmt: skip
    html = page("<main><h1>Andet</h1></main>", f"<script type='application/ld+json'>{json.dumps(ld)}</script>")
    record = extract_course(html, "https://uc.example/kurser/forvaltningsret")
    assert record is not None
    assert (record["title"], record["provider"], record["ects"], record["price_dkk"]) == (
        "Forvaltningsret", "UC Test", 10.0, 12500.0,
    )
    assert record["start_dates"] == ["2027-02-03", "2027-09-01"] and record["form"] == "online"
    assert (record["course_type"], record["eqf_level"]) == ("diplom", 6)


@pytest.mark.parametrize(
    ("duration", "expected"),
    [({"timeRequired": "P2D"}, 2.0), ({"timeRequired": "PT6H"}, 0.81), ({"duration": "P1DT3H42M"}, 1.5),
     ({"timeRequired": "P3W"}, None),  # weeks say no number of course days
     ({"courseWorkload": "PT135H"}, None),  # the study's hours for 5 ECTS, not teaching days
     ({"courseWorkload": "P3D", "timeRequired": "PT7H24M"}, 1.0)],
)  # fmt: skip
def test_extract_reads_a_jsonld_duration_in_days_or_hours(duration, expected):
    ld = {"@context": "https://schema.org", "@type": "Course", "name": "Jobsamtalen", "provider": "UC Test",
          "hasCourseInstance": {"@type": "CourseInstance", "startDate": "2027-02-03", **duration}}
    html = page("<main><h1>Jobsamtalen</h1></main>", f"<script type='application/ld+json'>{json.dumps(ld)}</script>")
    record = extract_course(html, "https://uc.example/kurser/jobsamtalen")
    assert record is not None and record.get("duration_days") == expected


@pytest.mark.parametrize(("credits", "expected"), [(210, 210.0), ("300", 300.0), (400, None), ("0", None)])
def test_extract_keeps_whole_programme_ects_and_drops_values_beyond_any(credits, expected):
    ld = {"@context": "https://schema.org", "@type": "EducationalOccupationalProgram", "name": "Professionsbachelor",
          "numberOfCredits": credits}  # fmt: skip
    html = page("<main><h1>Andet</h1></main>", f"<script type='application/ld+json'>{json.dumps(ld)}</script>")
    record = extract_course(html, "https://uc.example/uddannelser/professionsbachelor")
    assert record is not None and record["ects"] == expected
    facts = page(f"<main><h1>Professionsbachelor</h1><dl><dt>ECTS-point</dt><dd>{credits}</dd>"
                 "<dt>Pris</dt><dd>Gratis</dd></dl></main>")  # fmt: skip
    record = extract_course(facts, "https://uc.example/uddannelser/pb")
    assert record is not None and record["ects"] == expected


def test_extract_microdata_and_opengraph():
    html = page(
        "<div itemscope itemtype='http://schema.org/Event'><h1 itemprop='name'>Temadag om ledighed</h1>"
        "<time itemprop='startDate' datetime='2027-05-04T09:00'>4. maj</time>"
        "<div itemprop='location' itemscope itemtype='http://schema.org/Place'><span itemprop='name'>Odense</span></div>"
        "<meta itemprop='eventAttendanceMode' content='https://schema.org/OfflineEventAttendanceMode'></div>",
        "<meta property='og:site_name' content='Kursushuset'><meta property='og:description' content='En temadag.'>",
    )
    record = extract_course(html, "https://k.example/temadag")
    assert record is not None
    assert (record["title"], record["provider"], record["description"]) == ("Temadag om ledighed", "Kursushuset", "En temadag.")
    assert (record["start_dates"], record["location"], record["form"]) == (["2027-05-04"], "Odense", "fysisk")


def test_extract_facts_from_dl_table_and_bold_labels():
    dl = page("<main><h1>Modul A</h1><dl><dt>ECTS-point</dt><dd>5</dd><dt>Pris</dt><dd>8.000 kr.</dd></dl></main>")
    table = page("<main><h1>Kursus B</h1><table><tr><td>Deltagerbetaling</td><td>kr. 3.995,- ekskl. moms</td></tr>"
                 "<tr><td>Varighed</td><td>3 x 2 dage</td></tr></table></main>")  # fmt: skip
    bold = page("<main><h1>Kursus C</h1><p><b>Holdstart:</b> uge 6, 2027</p><p><b>Ansøgningsfrist:</b> 03.01.2027</p>"
                "<p><b>Sted:</b> Online</p></main>")  # fmt: skip
    a, b, c = (extract_course(html, f"https://x.example/{name}") for name, html in (("a", dl), ("b", table), ("c", bold)))
    assert a and (a["ects"], a["price_dkk"]) == (5.0, 8000.0)
    assert b and (b["price_dkk"], b["duration_days"]) == (3995.0, 6.0)
    assert c and (c["start_dates"], c["application_deadline"], c["form"]) == (["2027-02-08"], "2027-01-03", "online")


def test_extract_reads_the_form_from_a_sentence_about_the_teaching_only():
    stated = page("<main><h1>Kursus D</h1><p><b>Pris:</b> 2.000 kr.</p><p>Tilmelding foregår online.</p>"
                  "<p>Undervisningen foregår online over tre formiddage.</p></main>")
    topic = page("<main><h1>Kursus E</h1><p><b>Pris:</b> 2.000 kr.</p><p>Tilmelding foregår online.</p>"
                 "<p>Kurset er en introduktion til online-rekruttering.</p></main>")
    boxed = page("<main><h1>Kursus F</h1><p><b>Pris:</b> 2.000 kr.</p><p><b>Undervisningsform:</b> Fremmøde</p>"
                 "<p>Kurset er online tilgængeligt som optagelse bagefter.</p></main>")
    d, e, f = (extract_course(html, f"https://x.example/{name}") for name, html in (("d", stated), ("e", topic), ("f", boxed)))
    assert d and d["form"] == "online"
    assert e and e.get("form") is None
    assert f and f["form"] == "fysisk", "a fact box says more than running text"


@pytest.mark.parametrize(
    "url, body",
    [
        ("https://x.example/nyheder/nyt-modul", "<main><h1>Nyt modul</h1><p><b>Pris:</b> 9.000 kr.</p><p><b>Dato:</b> 1. marts 2027</p></main>"),
        ("https://x.example/om-os", "<main><h1>Om os</h1><p>Vi holder kurser. <b>Pris:</b> 100 kr.</p></main>"),
        ("https://x.example/kontakt", "<main><h1>Kontakt</h1><dl><dt>Adresse</dt><dd>Vej 1, Aarhus</dd></dl></main>"),
        ("https://x.example/privatlivspolitik", "<main><h1>Privatlivspolitik</h1><p>Gemmes til 1. januar 2028.</p></main>"),
        ("https://x.example/kurser", "<main><h1>Kurser</h1>" + "".join(
            f"<div><h3><a href='/k{i}'>Kursus {i}</a></h3><p>Pris: {i}00 kr.</p></div>" for i in range(1, 5)) + "</main>"),
        ("https://x.example/artikel", "<main><h1>En artikel</h1><p>Tekst uden fakta om noget som helst.</p></main>"),
    ],
)  # fmt: skip
def test_non_course_pages_give_none(url, body):
    assert extract_course(page(body), url) is None


def test_windows_1252_page_decodes_through_scrapy():
    body = page("<main><h1>Ældre borgere</h1><p><b>Pris:</b> 1.500 kr.</p><p><b>Sted:</b> Århus</p>"
                "<p><b>Dato:</b> 5. maj 2027</p></main>")
    body = body.replace("<meta charset='utf-8'>", "").encode("cp1252")
    response = HtmlResponse("https://x.example/k", body=body, headers={"Content-Type": "text/html; charset=windows-1252"})
    record = extract_course(response.text, response.url)
    assert record and (record["title"], record["location"]) == ("Ældre borgere", "Århus")
    meta_only = HtmlResponse("https://x.example/k", body=body.replace(b"<head>", b"<head><meta charset='windows-1252'>"))
    assert extract_course(meta_only.text, meta_only.url)["title"] == "Ældre borgere"


def test_registry_errors_name_file_and_key(tmp_path):
    path = tmp_path / "sources.yaml"
    path.write_text("sources:\n  x:\n    kind: private\n    start_urls: ['https://x.example/']\n    folow: []\n")
    with pytest.raises(RegistryError, match=r"sources\.yaml:5: sources\.x\.folow: unknown key"):
        load_registry(path)
    path.write_text("sources:\n  y:\n    kind: private\n")
    with pytest.raises(RegistryError, match=r"sources\.yaml:2: sources\.y: needs start_urls or sitemaps"):
        load_registry(path)
    assert load_registry()  # the bundled registry is valid


def test_a_source_named_by_a_very_long_url_gets_a_job_folder_a_file_system_takes():
    from crawler.runner import _job_name

    long_a, long_b = "url:udbyder.example/" + "a" * 10_000, "url:udbyder.example/" + "a" * 9_999 + "b"
    assert len(_job_name(long_a)) <= 100 and _job_name(long_a) != _job_name(long_b)  # was "File name too long"
    assert _job_name("url:udbyder.example") == "url_udbyder.example"  # short names as before
