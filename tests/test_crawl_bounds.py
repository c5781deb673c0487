"""Bounded crawls: a link trap and an endless calendar on 127.0.0.1, crawled with `fagmatch crawl --url` for real.

A crawl that reaches its page budget, time budget, depth limit or query-variant limit stops, says
which bound in its health, publishes what it found and withdraws nothing."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from crawler.registry import Limits, RegistryError, load_registry
from matcher.store import open_catalogue
from tests.test_crawler import FAST, TestWeb

COURSE = """<html lang="da"><head><meta charset="utf-8"><title>{title}</title></head><body><main><h1>{title}</h1>
<p>Et kursus for sagsbehandlere i jobcentret om samtaler med borgere.</p>
<p>Pris: 2.500 kr.<br>Dato: 03.03.2027<br>Sted: Odense</p></main></body></html>"""
FAST_SETTINGS = [arg for name, value in FAST.items() for arg in ("--set", f"{name}={value}")]


@pytest.fixture()
def site(tmp_path: Path):
    root = tmp_path / "site"
    (root / "kurser").mkdir(parents=True)
    for slug, title in (("samtaler", "Samtaler med borgere"), ("jura", "Jura for jobcentre")):
        (root / "kurser" / f"{slug}.html").write_text(COURSE.format(title=title), encoding="utf-8")
    write_index(root, "")
    web = TestWeb(root).start()
    yield root, web
    web.stop()


def write_index(root: Path, extra: str) -> None:
    (root / "index.html").write_text(
        '<html><body><main><h1>Kurser</h1><ul><li><a href="/kurser/samtaler">Samtaler</a></li>'
        f'<li><a href="/kurser/jura">Jura</a></li></ul>{extra}</main></body></html>', encoding="utf-8",
    )  # fmt: skip


def courses(db: Path) -> dict[str, bool]:
    with open_catalogue(db) as catalogue:
        return {course.title: course.withdrawn for course in catalogue.courses()}


def test_a_link_trap_stops_at_the_page_budget_publishes_and_withdraws_nothing(site, run_cli, db) -> None:
    root, web = site
    first = run_cli("crawl", "--url", f"{web.base}/", *FAST_SETTINGS)
    assert first.exit_code == 0, first.output
    assert courses(db) == {"Samtaler med borgere": False, "Jura for jobcentre": False}

    (root / "kurser" / "jura.html").unlink()  # gone: a complete crawl would withdraw it
    write_index(root, '<a href="/q/1">Arkiv</a>')
    started = time.monotonic()
    bounded = run_cli("crawl", "--url", f"{web.base}/", "--max-pages", "40", *FAST_SETTINGS)
    elapsed = time.monotonic() - started
    assert bounded.exit_code == 0, bounded.output
    assert elapsed < 60, elapsed
    assert "stopped at its page budget: nothing withdrawn" in bounded.output
    trap_pages = sum(1 for _, path, _ in web.log if path.startswith("/q/"))
    assert 10 < trap_pages < 60, trap_pages  # about the budget: in-flight requests finish, no more start
    assert courses(db) == {"Samtaler med borgere": False, "Jura for jobcentre": False}
    health = run_cli("sources").output
    assert "incomplete (stopped at its page budget)" in health, health


def test_a_polite_crawl_at_its_page_budget_fetches_only_what_was_under_way(site, run_cli) -> None:
    """With a politeness delay, requests wait in the downloader a delay apart; at the budget they are
    dropped, not fetched one by one before the crawl closes."""
    root, web = site
    write_index(root, '<a href="/q/1">Arkiv</a>')
    polite = [*FAST_SETTINGS, "--set", "DOWNLOAD_DELAY=0.3", "--set", "AUTOTHROTTLE_ENABLED=False"]
    started = time.monotonic()
    bounded = run_cli("crawl", "--url", f"{web.base}/", "--max-pages", "5", *polite)
    assert bounded.exit_code == 0, bounded.output
    fetched = sum(1 for _, path, _ in web.log if path != "/robots.txt" and not path.startswith("/sitemap"))
    assert fetched <= 5 + 4 + 1, fetched  # the budget, what was being fetched (4 per domain), a request at the turn
    assert time.monotonic() - started < 15


def test_the_time_budget_and_the_depth_limit_stop_a_trap(site, run_cli) -> None:
    root, web = site
    write_index(root, '<a href="/q/1">Arkiv</a>')
    started = time.monotonic()
    timed = run_cli("crawl", "--url", f"{web.base}/", "--max-seconds", "3", "--max-pages", "100000", *FAST_SETTINGS)
    assert timed.exit_code == 0, timed.output
    assert time.monotonic() - started < 60
    assert "stopped at its time budget" in timed.output, timed.output

    web.log.clear()
    deep = run_cli("crawl", "--url", f"{web.base}/", "--fresh", "--max-depth", "2", *FAST_SETTINGS)
    assert deep.exit_code == 0, deep.output
    assert "stopped at its depth limit" in deep.output, deep.output
    assert not any(path.count("-") >= 2 for _, path, _ in web.log if path.startswith("/q/"))  # /q/1-0-0 is depth 3


def test_an_endless_calendar_stops_at_the_query_variant_limit(site, run_cli) -> None:
    root, web = site
    write_index(root, '<a href="/kalender?dag=1">Kalender</a>')
    result = run_cli("crawl", "--url", f"{web.base}/", "--set", "FAGMATCH_MAX_QUERY_VARIANTS=5", *FAST_SETTINGS)
    assert result.exit_code == 0, result.output
    assert "stopped at its limit of query variants per path" in result.output, result.output
    assert sum(1 for _, path, _ in web.log if path.startswith("/kalender")) == 5


def test_registry_limits_are_validated_and_become_scrapy_settings(tmp_path: Path) -> None:
    registry = tmp_path / "sources.yaml"
    registry.write_text("sources:\n  a:\n    kind: private\n    start_urls: ['https://a.example/']\n"
                        "    limits: {max_pages: 100, max_seconds: 60}\n", encoding="utf-8")  # fmt: skip
    limits = load_registry(registry)["a"].limits.scrapy_settings()
    assert limits == {"FAGMATCH_MAX_PAGES": 100, "CLOSESPIDER_TIMEOUT": 60}
    registry.write_text(registry.read_text(encoding="utf-8").replace("max_pages: 100", "max_pages: 0"), encoding="utf-8")
    with pytest.raises(RegistryError, match="sources.a.limits.max_pages"):
        load_registry(registry)
    assert Limits().scrapy_settings() == {}


# --- what site owners ask: robots.txt that cannot be read, Crawl-delay, Retry-After --------------


def test_a_robots_txt_that_answers_5xx_fetches_nothing_and_says_why(site, run_cli, db) -> None:
    """RFC 9309: a server error for robots.txt leaves the rules unknown, so the site is not crawled. The
    crawler read the error page as rules, allowed everything and fetched the whole site."""
    root, web = site
    web.broken.add("/robots.txt")
    result = run_cli("crawl", "--url", f"{web.base}/", *FAST_SETTINGS)
    assert result.exit_code == 1 and "robots.txt answered HTTP 500: the site's rules are unknown" in result.output
    assert not [path for _, path, _ in web.log if path.startswith("/kurser") or path == "/"]
    assert not db.exists() or courses(db) == {}


def test_a_crawl_delay_is_obeyed_one_request_at_a_time(site, run_cli) -> None:
    """AutoThrottle alone fetched a site asking for `Crawl-delay: 10` less than a second apart."""
    root, web = site
    (root / "robots.txt").write_text("User-agent: *\nCrawl-delay: 1\n", encoding="utf-8")
    result = run_cli("crawl", "--url", f"{web.base}/", *FAST_SETTINGS)
    assert result.exit_code == 0, result.output
    pages = [at for at, path in web.times if path == "/" or path.startswith("/kurser")]
    assert len(pages) == 3
    assert all(later - earlier >= 0.9 for earlier, later in zip(pages, pages[1:])), pages


def test_a_429_is_retried_no_sooner_than_its_retry_after(site, run_cli, db) -> None:
    root, web = site
    web.throttled["/kurser/jura"] = 2
    result = run_cli("crawl", "--url", f"{web.base}/", *FAST_SETTINGS)  # a back-off of 0.05 s alone
    assert result.exit_code == 0, result.output
    asked = [at for at, path in web.times if path == "/kurser/jura"]
    assert len(asked) == 2 and asked[1] - asked[0] >= 1.9, asked
    assert courses(db) == {"Samtaler med borgere": False, "Jura for jobcentre": False}


def test_a_start_address_that_redirects_to_another_host_says_where(site, run_cli) -> None:
    """A site that moved (www.x.dk → x.dk): the crawl said only "no page could be fetched"."""
    root, web = site
    moved = web.base.replace("127.0.0.1", "localhost")
    web.redirects["/"] = f"{moved}/"
    result = run_cli("crawl", "--url", f"{web.base}/", *FAST_SETTINGS)
    assert result.exit_code == 1
    assert f"the start address redirects to {moved}/, on a host the source may not fetch (localhost)" in result.output
    assert not [path for _, path, _ in web.log if path.startswith("/kurser")]  # and it was not followed


def test_a_full_disk_before_the_crawl_is_one_line_and_fetches_nothing(site, run_cli, monkeypatch) -> None:
    """`fagmatch crawl` on a full disk was a traceback (OSError writing its job folder's config)."""
    root, web = site
    real_write = Path.write_text

    def full(self: Path, *args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        if self.name == "crawl-config.json":
            raise OSError(28, "No space left on device")
        return real_write(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full)
    result = run_cli("crawl", "--url", f"{web.base}/", *FAST_SETTINGS)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "cannot write the crawl's job folder (No space left on device); nothing was fetched" in result.output
    assert not web.log
