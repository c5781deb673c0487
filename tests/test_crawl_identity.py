"""Which pages a crawl fetches and under which URL it stores them, crawled for real on 127.0.0.1.

Redirects that only add a trailing slash, canonical links that point at the wrong page, one page
under two URLs, a Windows-1252 page that names no charset, missing pages, page budgets, and what
`fagmatch sources` and a stopped crawl say about it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner

from crawler.commands import sources_cmd
from crawler.journal import Journal, read_journal
from crawler.runner import crawl, jobs_root
from matcher.course import Course
from matcher.store import open_catalogue
from tests.test_crawler import FAST, TestWeb

ROOT = Path(__file__).resolve().parents[1]
COURSE = """<!DOCTYPE html><html lang="da"><head><meta charset="utf-8"><title>{title}</title>{head}</head><body><main>
<h1>{title}</h1><p>Et kursus for sagsbehandlere i jobcentret om {topic}.</p>
<p>Pris: {price} kr.<br>Dato: 03.03.2027<br>Sted: Odense</p></main></body></html>"""
CANONICAL = '<link rel="canonical" href="{href}">'


def course_page(title: str, topic: str, price: int, canonical: str | None = None) -> str:
    head = CANONICAL.format(href=canonical) if canonical else ""
    return COURSE.format(title=title, topic=topic, price=price, head=head)


def listing(links: list[str]) -> str:
    items = "".join(f'<li><a href="{href}">Kursus {n}</a></li>' for n, href in enumerate(links))
    return f"<html><body><main><h1>Kurser</h1><ul>{items}</ul></main></body></html>"


def write(root: Path, path: str, text: str | bytes) -> None:
    file = root / path
    file.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        file.write_bytes(text)
    else:
        file.write_text(text, encoding="utf-8")


def make_site(root: Path) -> None:
    write(root, "robots.txt", "User-agent: *\nDisallow: /intern/\n")
    write(root, "server.json", json.dumps({
        # Directories answer with a redirect that adds the slash, as Apache and most CMSs do.
        "redirects": {"/kurser": "/kurser/", "/omdirigering": "/omdirigering/"},
        "content_types": {
            "/kurser/sygefravaer": "text/html",  # no charset, and no <meta> either
            "/kurser/foertidspension": "text/html; charset=iso-8859-1",  # a server default; the page is UTF-8
        },
    }))  # fmt: skip
    write(root, "kurser/index.html", listing([
        "/omdirigering", "/kurser/sygefravaer", "/kurser/kommunom", "/arkiv/kommunom", "/kurser/udgaaet",
        "/kurser/rod-1", "/kurser/rod-2", "/kurser/oversigt-1", "/kurser/s0", "/kurser/s1", "/kurser/s2",
        "/kurser/jura", "/kurser/jura-print", "/kurser/foertidspension", "/kurser/nyt-2027",
    ]))  # fmt: skip
    write(root, "omdirigering/index.html", course_page("Samtaler med ledige", "samtaler", 2500))
    cp1252 = course_page("Sygefravær på tværs i Næstved", "sygefravær", 1950).replace('<meta charset="utf-8">', "")
    write(root, "kurser/sygefravaer.html", cp1252.encode("cp1252"))
    write(root, "kurser/foertidspension.html", course_page("Førtidspension i Køge", "førtidspension", 2900))
    kommunom = course_page("Kommunom: Forvaltningsret", "forvaltningsret", 9800)
    write(root, "kurser/kommunom.html", kommunom)  # the same page under two URLs, no canonical
    write(root, "arkiv/kommunom.html", kommunom)
    # A CMS that names the site's front page, or the listing, as every page's canonical URL.
    write(root, "kurser/rod-1.html", course_page("Jobafklaring", "jobafklaring", 3100, canonical="/"))
    write(root, "kurser/rod-2.html", course_page("Ressourceforløb", "ressourceforløb", 3200, canonical="/"))
    write(root, "kurser/oversigt-1.html", course_page("Fleksjob", "fleksjob", 3300, canonical="/kurser/"))
    # Two pages that name a third, different one as canonical (a template error): each keeps its own URL.
    write(root, "kurser/s0.html", course_page("Netværksmøder", "netværk", 3700))
    write(root, "kurser/s1.html", course_page("Mentorordning", "mentorer", 3400, canonical="/kurser/s0"))
    write(root, "kurser/s2.html", course_page("Virksomhedskontakt", "virksomheder", 3500, canonical="/kurser/s0"))
    # A print version that names the course page as canonical, as it should: one course.
    jura = course_page("Jura for jobcentre", "jura", 3600, canonical="/kurser/jura")
    write(root, "kurser/jura.html", jura)
    write(root, "kurser/jura-print.html", jura)
    # A renamed page whose canonical link still names its old address, which answers 404.
    write(root, "kurser/nyt-2027.html", course_page("Rehabilitering", "rehabilitering", 3900, canonical="/kurser/kursus-2026"))


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    directory = tmp_path_factory.mktemp("identity")
    make_site(directory / "site")
    web = TestWeb(directory / "site").start()
    try:
        lines: list[str] = []
        db = directory / "catalogue.duckdb"
        # A start URL without its trailing slash, as registries and operators write them.
        report = crawl(db, url=f"{web.base}/kurser", settings=FAST, progress=lines.append)
        log = jobs_root(db) / "crawl.log"
        yield SimpleNamespace(db=db, web=web, report=report, lines=lines, log=log.read_text(encoding="utf-8"))
    finally:
        web.stop()


def stored(db: Path) -> dict[str, Any]:
    with open_catalogue(db) as catalogue:
        return {course.url.split("/", 3)[3]: course for course in catalogue.courses()}


def run_errors(db: Path) -> list[dict[str, str]]:
    with open_catalogue(db) as catalogue:
        (run,) = [run for run in catalogue.runs(5) if run["kind"] == "crawl"]
    return run["errors"]


def test_a_redirect_that_only_adds_a_trailing_slash_is_followed(crawled):
    assert crawled.report.ok, crawled.report.summary_lines()
    assert ("GET", "/kurser/", 200) in crawled.web.log  # the start URL's redirect
    assert stored(crawled.db)["omdirigering"].title == "Samtaler med ledige"  # a link's redirect


def test_a_page_without_any_charset_is_read_as_windows_1252(crawled):  # and the UTF-8 page below
    course = stored(crawled.db)["kurser/sygefravaer"]
    assert (course.title, course.location) == ("Sygefravær på tværs i Næstved", "Odense")
    assert crawled.report.sources[0].redecoded == 2


def test_a_utf_8_page_whose_header_says_latin_1_is_read_as_utf_8(crawled):
    assert stored(crawled.db)["kurser/foertidspension"].title == "Førtidspension i Køge"


def test_a_canonical_link_to_the_front_page_or_the_listing_is_not_trusted(crawled):
    found = stored(crawled.db)
    assert found["kurser/rod-1"].title == "Jobafklaring"
    assert found["kurser/rod-2"].title == "Ressourceforløb"
    assert found["kurser/oversigt-1"].title == "Fleksjob"
    assert "" not in found and "kurser" not in found


def test_different_pages_that_name_one_canonical_url_keep_their_own(crawled):
    found = stored(crawled.db)
    titles = [found[path].title for path in ("kurser/s0", "kurser/s1", "kurser/s2")]
    assert titles == ["Netværksmøder", "Mentorordning", "Virksomhedskontakt"]
    warnings = [e for e in run_errors(crawled.db) if "kurser/s0" in e["message"]]
    assert len(warnings) == 1 and "own URL" in warnings[0]["message"], run_errors(crawled.db)


def test_a_canonical_url_that_answers_404_is_not_the_courses_address(crawled):
    """A stale canonical link made the catalogue, and so the feeds, point to a dead page."""
    found = stored(crawled.db)
    assert found["kurser/nyt-2027"].title == "Rehabilitering" and "kurser/kursus-2026" not in found
    notes = [e for e in run_errors(crawled.db) if "kursus-2026" in e["message"]]
    assert len(notes) == 1 and "stored under its own URL" in notes[0]["message"], run_errors(crawled.db)
    (result,) = crawled.report.sources
    assert result.complete and result.failed == 0  # a check, not a failure


def test_a_print_version_that_names_its_course_as_canonical_is_one_course(crawled):
    found = stored(crawled.db)
    assert found["kurser/jura"].title == "Jura for jobcentre" and "kurser/jura-print" not in found


def test_one_page_under_two_urls_is_one_course_under_the_shorter_url(crawled):
    found = stored(crawled.db)
    assert [path for path in found if path.endswith("kommunom")] == ["arkiv/kommunom"]
    notes = [e for e in run_errors(crawled.db) if e["where"].endswith("/kurser/kommunom")]
    assert len(notes) == 1 and "arkiv/kommunom" in notes[0]["message"], run_errors(crawled.db)


def test_course_counts_agree_and_say_what_was_merged(crawled):
    (result,) = crawled.report.sources
    assert result.courses == len(stored(crawled.db)) == 12
    line = result.line()
    assert "12 courses" in line and "2 course pages merged" in line, line


def test_a_missing_page_is_an_answer_not_a_failure_everywhere(crawled):
    (result,) = crawled.report.sources
    assert result.complete and result.failed == 0
    assert "pages gone (404/410) 1" in result.line(), result.line()
    assert "/kurser/udgaaet" in crawled.log and "HTTP 404" in crawled.log
    assert not [line for line in crawled.log.splitlines() if "failed" in line and "/kurser/udgaaet" in line]


def test_robots_txt_is_fetched_once(crawled):
    assert sum(1 for _, path, _ in crawled.web.log if path == "/robots.txt") == 1


# ------------------------------------------------------------------------------------------------
# Budgets, health and stopping
# ------------------------------------------------------------------------------------------------


def test_the_page_budget_counts_pages_not_robots_txt_or_sitemaps(tmp_path, run_cli, db):
    site = tmp_path / "site"
    make_site(site)
    write(site, "sitemap.xml", '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
          "<url><loc>{{BASE}}/kurser/jura</loc></url></urlset>")  # fmt: skip
    web = TestWeb(site).start()
    try:
        args = [arg for name, value in FAST.items() for arg in ("--set", f"{name}={value}")]
        result = run_cli("crawl", "--url", f"{web.base}/kurser/", "--max-pages", "3", *args)
    finally:
        web.stop()
    assert result.exit_code == 0, result.output
    assert "url:127.0.0.1" in result.output and ": 3 pages," in result.output, result.output
    assert "stopped at its page budget" in result.output


def test_sources_says_failed_for_a_crawl_that_fetched_nothing(tmp_path, run_cli, db):
    fast = [arg for name, value in FAST.items() for arg in ("--set", f"{name}={value}")]
    refused = run_cli("crawl", "--url", "http://127.0.0.1:9/kurser", "--set", "RETRY_TIMES=0", *fast)
    assert refused.exit_code == 1
    health = run_cli("sources").output
    (line,) = [line for line in health.splitlines() if line.startswith("url:127.0.0.1:9")]
    assert " failed (no page fetched)" in line and " ok" not in line, health
    assert "Connection" in health or "refused" in health, health  # the first error says why
    assert " crawl   failed (no page fetched) " in run_cli("status").output
    from fastapi.testclient import TestClient

    from matcher.ingest import ingest_file
    from service.app import create_app
    from service.state import ServiceConfig

    feed = tmp_path / "feed.jsonl"
    for n in range(21):  # more feeds ingested since than /healthz ever looked back over
        feed.write_text(f'{{"id": "k1", "title": "Forvaltningsret {n}", "provider": "UC Test"}}\n', encoding="utf-8")
        ingest_file(db, feed)
    with TestClient(create_app(ServiceConfig(db=db), warm=False)) as client:
        assert client.get("/healthz").json()["last_crawl"]["health"] == "failed (no page fetched)"


def test_sources_lists_the_last_crawl_s_errors(crawled):
    result = CliRunner().invoke(sources_cmd, [], obj=SimpleNamespace(db=crawled.db))
    assert result.exit_code == 0, result.output
    assert "/kurser/udgaaet: HTTP 404" in result.output, result.output


@pytest.mark.slow
def test_a_stopped_crawl_says_its_progress_is_saved_and_how_to_resume(tmp_path):
    site = tmp_path / "site"
    make_site(site)
    web = TestWeb(site, delay=0.5).start()
    db = tmp_path / "catalogue.duckdb"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    try:
        child = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "--db", str(db), "crawl", "--url", f"{web.base}/kurser/",
             *[arg for name, value in FAST.items() for arg in ("--set", f"{name}={value}")]],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT,
            # Ctrl-C as a terminal sends it, also where the tests run as a shell's background job
            # (which starts them with SIGINT ignored, and a child inherits that)
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(path.startswith("/kurser/") for _, path, _ in web.log):
            time.sleep(0.05)
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=60)
    finally:
        web.stop()
    assert child.returncode == 1
    assert "Aborted!" not in err
    assert "error: crawl stopped" in err and "progress is saved" in err, err
    assert "run the same command again to resume" in err, err
    assert str(jobs_root(db)) in err and list(jobs_root(db).glob("*/journal.jsonl"))  # where it is saved, truly
    # `sources` says so too: no run was recorded, so the last one would pass for the current state
    listed = CliRunner().invoke(sources_cmd, [], obj=SimpleNamespace(db=db)).output
    assert "a crawl of it was interrupted and keeps its progress: the same `fagmatch crawl --url …` resumes it" in listed, listed
    from crawler.runner import _job_folder_lock

    with _job_folder_lock(jobs_root(db)):  # as while a crawl runs
        assert "a crawl of it is running now" in CliRunner().invoke(sources_cmd, [], obj=SimpleNamespace(db=db)).output
    # and `status` (of a catalogue that has something else in it), which had said nothing of the crawl
    from matcher.store import open_catalogue
    from service.cli import main

    open_catalogue(db).close()
    status = CliRunner().invoke(main, ["--db", str(db), "status"])
    assert "crawls interrupted, keeping their progress (`fagmatch sources`): url_127.0.0.1" in status.output, status.output


def test_the_page_a_canonical_url_names_keeps_it_whatever_order_pages_came_in(tmp_path):
    journal = Journal(tmp_path / "journal.jsonl")
    base = "https://udbyder.example/kurser/"
    for slug, title in (("s1", "Mentorordning"), ("s0", "Netværksmøder"), ("s2", "Virksomhedskontakt")):
        record = Course(url=base + "s0", title=title).model_dump(mode="json")  # all three name s0
        journal.course(Course(url=base + "s0", title=title).course_id, record, page=base + slug)
    journal.close()
    content = read_journal(tmp_path / "journal.jsonl")
    assert sorted((record["url"], record["title"]) for record in content.courses.values()) == [
        (base + "s0", "Netværksmøder"), (base + "s1", "Mentorordning"), (base + "s2", "Virksomhedskontakt"),
    ]  # fmt: skip
    ids = {Course(url=record["url"], title="x").course_id for record in content.courses.values()}
    assert ids == set(content.courses)


def test_a_journal_of_two_attempts_counts_each_url_once(tmp_path):
    """An attempt stopped uncleanly is crawled again from the start: its pages are not counted twice,
    and a request that failed and was fetched later is no failure."""
    journal = Journal(tmp_path / "journal.jsonl")
    base = "http://127.0.0.1:9/kurser/"
    for attempt in (1, 2):
        for slug in ("a", "b", "c"):
            journal.page(base + slug, 200)
        journal.redecoded(base + "c", "utf-8", "cp1252")
        journal.error(base + "gone", "HTTP 404", blocking=False)
        if attempt == 1:
            journal.error(base + "slow", "TimeoutError: took too long", blocking=True)
        else:
            journal.page(base + "slow", 200)
            journal.error(base + "down", "HTTP 500", blocking=True)
    journal.close()
    content = read_journal(tmp_path / "journal.jsonl")
    assert content.pages == 4 and content.redecoded == 1 and content.gone == 1
    assert [e["url"] for e in content.errors if e.get("blocking")] == [base + "down"]



def test_an_interrupted_crawl_on_a_read_only_catalogue_folder_is_still_reported(tmp_path, monkeypatch) -> None:
    """A replica, or a disk remounted read-only: `status`, `sources` and /healthz read the crawl's
    state without writing its lock file."""
    import builtins

    import crawler.runner as runner

    db = tmp_path / "catalogue.duckdb"
    (jobs_root(db) / "kattegat").mkdir(parents=True)
    (jobs_root(db) / "crawl.lock").touch()

    def read_only(file, mode="r", *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if "a" in mode or "w" in mode:
            raise OSError(30, "Read-only file system")
        return builtins.open(file, mode, *args, **kwargs)

    monkeypatch.setattr(runner, "open", read_only, raising=False)
    assert runner.unfinished_crawls(db) == {"kattegat": "interrupted"}
    (jobs_root(db) / "crawl.lock").unlink()  # and where there is none to read
    assert runner.unfinished_crawls(db) == {"kattegat": "interrupted"}
