"""Crawl benchmark: a generated 1 000-page local site crawled, extracted and stored; prints pages/s.

The site: 800 course pages in four layouts (JSON-LD, definition list, table, bold-label text),
150 paginated listing pages, and 50 pages that are no courses (news, about). It is served by a
ThreadingHTTPServer on 127.0.0.1 and crawled ad hoc (`runner.crawl(url=...)`) into a temporary
catalogue, exactly as `fagmatch crawl --url` does.

Settings: AutoThrottle and DOWNLOAD_DELAY are off and per-domain concurrency is raised to 32 for
this run only, because politeness toward a real site would measure the delays, not the crawler;
the registry's real sources keep the polite defaults in crawler/settings.py.

    .venv/bin/python bench/crawl.py [--pages-per-listing 6]"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import tempfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawler.runner import crawl  # noqa: E402
from matcher.store import open_catalogue  # noqa: E402

COURSES, LISTINGS, OTHER = 800, 150, 50
BENCH_SETTINGS = {
    "AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0, "CONCURRENT_REQUESTS": 32,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 32, "FAGMATCH_PROGRESS_EVERY": 200,
}  # fmt: skip


def course_page(i: int) -> str:
    title = f"Kursus {i}: beskæftigelse og borgerkontakt"
    day, price = 1 + i % 28, 1000 + 25 * i
    text = "<p>Et kursus for medarbejdere i jobcentre om samtaler, lovgivning og samarbejde med virksomheder.</p>"
    layout = i % 4
    if layout == 0:
        ld = {"@context": "https://schema.org", "@type": "Course", "name": title, "numberOfCredits": 5,
              "provider": {"@type": "Organization", "name": "Benchakademiet"},
              "hasCourseInstance": {"@type": "CourseInstance", "startDate": f"2027-03-{day:02d}", "courseMode": "online"},
              "offers": {"@type": "Offer", "price": price, "priceCurrency": "DKK"}}  # fmt: skip
        head, body = f"<script type='application/ld+json'>{json.dumps(ld)}</script>", f"<h1>{title}</h1>{text}"
    elif layout == 1:
        head = ""
        body = (f"<h1>{title}</h1>{text}<dl><dt>ECTS</dt><dd>10 ECTS-point</dd><dt>Pris</dt><dd>{price:,} kr.</dd>"
                f"<dt>Holdstart</dt><dd>{day}. februar 2027</dd><dt>Sted</dt><dd>Aarhus</dd></dl>").replace(",", ".")
    elif layout == 2:
        head = ""
        body = (f"<h1>{title}</h1>{text}<table><tr><th>Pris</th><td>kr. {price},- ekskl. moms</td></tr>"
                f"<tr><th>Varighed</th><td>2 dage</td></tr><tr><th>Dato</th><td>{day}.05.2027</td></tr></table>")
    else:
        head = ""
        body = (f"<h1>{title}</h1>{text}<p><strong>Pris:</strong> {price} kr.<br><strong>Dato:</strong> "
                f"{day}. september 2027<br><strong>Sted:</strong> Odense</p>")
    return (f"<!DOCTYPE html><html lang='da'><head><meta charset='utf-8'><title>{title}</title>{head}</head><body>"
            f"<header><nav><a href='/index.html'>Forside</a> <a href='/om/om-os-1.html'>Om os</a></nav></header>"
            f"<main>{body}</main><footer>Benchakademiet</footer></body></html>")  # fmt: skip


def generate(root: Path) -> int:
    (root / "kurser").mkdir()
    (root / "liste").mkdir()
    (root / "om").mkdir()
    for i in range(COURSES):
        (root / "kurser" / f"k{i}.html").write_text(course_page(i), encoding="utf-8")
    per = -(-COURSES // LISTINGS)
    for n in range(LISTINGS):
        cards = "".join(
            f"<div class='card'><h3><a href='/kurser/k{i}.html'>Kursus {i}</a></h3><p>Pris: {1000 + 25 * i} kr.</p></div>"
            for i in range(n * per, min(COURSES, (n + 1) * per))
        )
        pages = " ".join(f"<a href='/liste/side-{m}.html'>{m + 1}</a>" for m in range(n + 1, min(LISTINGS, n + 6)))
        (root / "liste" / f"side-{n}.html").write_text(
            f"<html><head><meta charset='utf-8'><title>Kurser side {n + 1}</title></head><body><main><h1>Kurser</h1>"
            f"{cards}<p class='pagination'>{pages}</p></main></body></html>", encoding="utf-8",
        )  # fmt: skip
    for n in range(OTHER):
        (root / "om" / f"om-os-{n}.html").write_text(
            f"<html><head><meta charset='utf-8'><title>Nyhed {n}</title></head><body><main><h1>Nyhed {n}</h1>"
            f"<p>Vi har åbnet for tilmelding. <a href='/om/om-os-{(n + 1) % OTHER}.html'>Mere</a></p></main></body></html>",
            encoding="utf-8",
        )  # fmt: skip
    links = "".join(f"<a href='/liste/side-{m}.html'>Side {m + 1}</a> " for m in range(0, LISTINGS, 5))
    (root / "index.html").write_text(
        f"<html><head><meta charset='utf-8'><title>Bench</title></head><body><main><h1>Kurser</h1>{links}"
        f"<a href='/om/om-os-0.html'>Nyheder</a></main></body></html>", encoding="utf-8",
    )  # fmt: skip
    return COURSES + LISTINGS + OTHER + 1


class _Server(ThreadingHTTPServer):
    request_queue_size = 512  # http.server's backlog of 5 would refuse connections
    daemon_threads = True


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def main() -> None:
    argparse.ArgumentParser(description=__doc__.split("\n")[0]).parse_args()
    with tempfile.TemporaryDirectory(prefix="fagmatch-bench-") as scratch:
        root = Path(scratch) / "site"
        root.mkdir()
        total_pages = generate(root)
        server = _Server(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(root)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        db = Path(scratch) / "catalogue.duckdb"
        started = time.perf_counter()
        report = crawl(
            db, url=f"http://127.0.0.1:{server.server_address[1]}/index.html", settings=BENCH_SETTINGS,
            progress=lambda line: print(f"  {line}", file=sys.stderr),
        )  # fmt: skip
        elapsed = time.perf_counter() - started
        server.shutdown()
        with open_catalogue(db) as catalogue:
            stored = sum(1 for _ in catalogue.courses())
        (result,) = report.sources
        print(f"site: {total_pages} pages ({COURSES} courses, {LISTINGS} listings, {OTHER + 1} other)")
        print(f"crawled {result.pages} pages, extracted {result.courses} courses, stored {stored}")
        print(f"total {elapsed:.1f} s (process start, crawl, extraction, catalogue write), {result.pages / elapsed:.0f} pages/s")
        if stored != COURSES or result.pages != total_pages:
            sys.exit("bench: the crawl missed pages or courses")


if __name__ == "__main__":
    main()
