"""Sites the extractor was not written for (tests/provider_web/): a real crawl over 127.0.0.1, scored against the gold."""

from __future__ import annotations

import filecmp
import importlib.util
import json
import sys
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
import crawl_providers  # noqa: E402

from crawler.extract import drop_link_blocks, extract_course  # noqa: E402
from crawler.spiders.generic import _json_links, _script_links, page_text  # noqa: E402


def test_committed_site_is_what_make_site_generates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = importlib.util.spec_from_file_location("make_provider_site", ROOT / "tests" / "provider_web" / "make_site.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "make_provider_site", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "SITE", tmp_path / "site")
    monkeypatch.setattr(module, "HERE", tmp_path)
    module.main()
    comparison = filecmp.dircmp(tmp_path / "site", crawl_providers.SITE)
    assert not comparison.diff_files and not comparison.left_only and not comparison.right_only
    assert (tmp_path / "gold.json").read_text(encoding="utf-8") == crawl_providers.GOLD.read_text(encoding="utf-8")


def test_crawl_finds_the_courses_of_four_unseen_layouts_with_their_facts() -> None:
    result, report, _ = crawl_providers.run()
    assert report.ok, report.summary_lines()
    assert result["recall"] >= 0.9, result["missed"]
    assert result["precision"] >= 0.9, result["extra"]
    assert result["field_accuracy"] >= 0.8, result["wrong"]
    assert min(result["fields"].values()) >= 0.8, result["fields"]
    # Each kind of site counts: the old table layout, the card pages, the JSON-listed and the load-more courses.
    for prefix in ("/nord/", "/syd/", "/vest/", "/oest/"):
        assert not [key for key in result["missed"] if key.startswith(prefix)], result["missed"]
    assert not any("/intern/" in key for key in result["extra"])  # robots.txt


def test_menu_links_in_a_layout_table_do_not_make_a_course_page_a_listing() -> None:
    menu = "".join(f'<tr><td><a href="/side{n}.asp">Menupunkt {n}</a></td></tr>' for n in range(8))
    page = (f"<html><head><title>Kursus i jobsamtaler - Centret</title></head><body><table><tr><td><table>{menu}</table></td>"
            "<td><h1>Kursus i jobsamtaler</h1><p>Et kursus for sagsbehandlere om den gode samtale med borgeren.</p>"
            "<table><tr><th>Pris:</th><td>2.500 kr.</td></tr><tr><th>Dato:</th><td>03.03.2027</td></tr></table>"
            "</td></tr></table></body></html>")  # fmt: skip
    record = extract_course(page, "http://udbyder.example/kursus.asp?id=3")
    assert record is not None and record["price_dkk"] == 2500.0 and record["start_dates"] == ["2027-03-03"]
    # The same menu beside a table that lists courses (a link, a date, a place per row) is still a listing.
    rows = "".join(f'<tr><td><a href="/kursus.asp?id={n}">Kursus {n}</a></td><td>0{n}.03.2027</td><td>Aalborg</td></tr>'
                   for n in range(1, 6))  # fmt: skip
    listing = page.replace("<table><tr><th>Pris:", f"<table>{rows}</table><table><tr><th>Pris:")
    assert extract_course(listing, "http://udbyder.example/kurser.asp") is None


def test_link_dense_blocks_are_dropped_but_not_the_heading_block() -> None:
    import lxml.html

    tree = lxml.html.fromstring("<div><div id='menu'><a href='/a'>A</a> <a href='/b'>B</a> <a href='/c'>C</a></div>"
                                "<div id='body'><h1><a href='/x'>X</a></h1><a href='/y'>Y</a> <a href='/z'>Z</a></div></div>")  # fmt: skip
    drop_link_blocks(tree)
    assert tree.xpath("//*[@id='menu']") == [] and tree.xpath("//*[@id='body']")


@pytest.mark.parametrize("header", ["text/html; charset=utf-8", "text/html; charset=x-no-such-charset", "text/html; charset=utf-16"])
def test_a_wrong_or_unknown_declared_charset_is_sniffed(header: str) -> None:
    body = ('<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252"><title>Kursus</title>'
            "</head><body><h1>Kursus i Brønderslev</h1></body></html>").encode("cp1252")  # fmt: skip
    response = HtmlResponse("http://udbyder.example/k", body=body, headers={"Content-Type": header})
    page = page_text(response)
    assert page.text is not None and "Kursus i Brønderslev" in page.text and page.redecoded
    unreadable = HtmlResponse("http://udbyder.example/k", body=b"<h1>\x81\x8d\x8f\x90\x9d</h1>" * 5,
                              headers={"Content-Type": header})  # fmt: skip
    assert page_text(unreadable).text is None


# An old CMS's template declares UTF-8 while its pages (or only the text from its database) are Windows-1252.
_DANISH = "<h1>Kursus i København</h1><p>Sagsbehandlere i beskæftigelsesindsatsen på Ærø og i Århus</p>"


@pytest.mark.parametrize(
    ("header", "meta", "body"),
    [
        ("text/html; charset=utf-8", "<meta charset='utf-8'>", _DANISH.encode("cp1252")),  # says so twice
        ("text/html; charset=utf-8", "", _DANISH.encode("cp1252")),  # header only
        ("text/html", "<meta charset='utf-8'>", _DANISH.encode("cp1252")),  # meta only
        ("text/html; charset=utf-8", "<meta charset='utf-8'>",  # a UTF-8 template around Windows-1252 text
         "<nav>Søg · Forside</nav>".encode() + _DANISH.encode("cp1252")),
    ],
)  # fmt: skip
def test_bytes_that_are_not_utf_8_are_read_as_windows_1252(header: str, meta: str, body: bytes) -> None:
    html = f"<html><head>{meta}<title>Kursus</title></head><body>".encode() + body + b"</body></html>"
    page = page_text(HtmlResponse("http://udbyder.example/k", body=html, headers={"Content-Type": header}))
    assert page.text is not None and page.redecoded
    assert "Kursus i København" in page.text and "beskæftigelsesindsatsen på Ærø og i Århus" in page.text
    assert "\ufffd" not in page.text and ("Søg · Forside" in page.text or "<nav>" not in page.text)


def test_a_page_whose_charset_fits_is_not_redecoded() -> None:
    body = f"<html><head><meta charset='utf-8'></head><body>{_DANISH}</body></html>".encode()
    page = page_text(HtmlResponse("http://udbyder.example/k", body=body, headers={"Content-Type": "text/html; charset=utf-8"}))
    assert page.text is not None and "København" in page.text and not page.redecoded


def _course_page(place: str, meta: str = "") -> str:
    return (f"<html><head>{meta}<title>Kursus</title></head><body><main><h1>Kursus i {place}</h1><p>Et kursus om "
            "beskæftigelsesindsatsen for sagsbehandlere.</p><p>Sted: {place}.<br>Pris: 2.500 kr.<br>Dato: 03.03.2027"
            "</p></main></body></html>").replace("{place}", place)  # fmt: skip


def _crawl(root: Path, run_cli, *args: str):
    sys.path.insert(0, str(ROOT / "tests" / "crawl_web"))
    from server import TestWeb

    web = TestWeb(root).start()
    try:
        return run_cli("crawl", *[a.replace("BASE", web.base) for a in args], "--set", "AUTOTHROTTLE_ENABLED=false",
                       "--set", "DOWNLOAD_DELAY=0")  # fmt: skip
    finally:
        web.stop()


def test_an_unreadable_page_is_counted_in_the_crawl_health_and_not_stored(tmp_path: Path, run_cli) -> None:
    root = tmp_path / "site"
    root.mkdir()
    (root / "index.html").write_text('<html><body><a href="/godt">Godt</a> <a href="/utf8">UTF-8</a> '
                                     '<a href="/daarligt">Dårligt</a></body></html>')  # fmt: skip
    (root / "godt.html").write_bytes(_course_page("Brønderslev").encode("cp1252"))  # wrong header, sniffed
    (root / "utf8.html").write_bytes(_course_page("København", "<meta charset='utf-8'>").encode("cp1252"))  # twice wrong
    (root / "daarligt.html").write_bytes(_course_page("Hjørring").encode("cp1252"))  # readable on the first crawl
    (root / "server.json").write_text('{"content_types": {"/godt": "text/html; charset=utf-8", '
                                      '"/utf8": "text/html; charset=utf-8", "/daarligt": "text/html; charset=utf-8"}}')  # fmt: skip
    first = _crawl(root, run_cli, "--url", "BASE/")
    assert first.exit_code == 0, first.output
    assert "re-decoded pages 3" in first.output and "undecodable" not in first.output, first.output
    # The page turns unreadable (bytes Windows-1252 leaves undefined): counted, nothing stored from it,
    # and its course, stored before, is not withdrawn for it.
    (root / "daarligt.html").write_bytes(_course_page("\x81\x8d\x8f").encode("latin-1"))
    second = _crawl(root, run_cli, "--url", "BASE/")
    assert second.exit_code == 0, second.output
    assert "re-decoded pages 2" in second.output and "undecodable pages 1" in second.output, second.output
    assert "withdrawn 0" in second.output, second.output
    assert "re-decoded 2, undecodable 1" in run_cli("sources").output
    exported = run_cli("export", "--format", "jsonl", "--active-only").output
    assert "Kursus i Brønderslev" in exported and "Kursus i Hjørring" in exported, exported
    courses = [json.loads(line) for line in exported.splitlines()]
    assert {c["location"] for c in courses} == {"Brønderslev", "København", "Hjørring"}
    assert not any("\ufffd" in json.dumps(c, ensure_ascii=False) for c in courses)


def test_a_registered_source_reads_a_wrongly_declared_page_the_same_way(tmp_path: Path, run_cli) -> None:
    root = tmp_path / "site"
    (root / "kurser").mkdir(parents=True)
    (root / "index.html").write_text('<html><body><a href="/kurser/k1">K1</a></body></html>')
    (root / "kurser" / "k1.html").write_bytes(_course_page("København", "<meta charset='utf-8'>").encode("cp1252"))
    (root / "server.json").write_text('{"content_types": {"/kurser/k1": "text/html; charset=utf-8"}}')
    registry = tmp_path / "sources.yaml"
    registry.write_text("sources:\n  gammel:\n    provider: Gammel Udbyder\n    kind: private\n"
                        "    start_urls: ['BASE/']\n    allowed_domains: [127.0.0.1]\n")  # fmt: skip
    sys.path.insert(0, str(ROOT / "tests" / "crawl_web"))
    from server import TestWeb

    web = TestWeb(root).start()
    registry.write_text(registry.read_text().replace("BASE", web.base))
    try:
        result = run_cli("crawl", "--source", "gammel", "--registry", str(registry), "--set", "AUTOTHROTTLE_ENABLED=false",
                         "--set", "DOWNLOAD_DELAY=0")  # fmt: skip
    finally:
        web.stop()
    assert result.exit_code == 0, result.output
    assert "gammel: 2 pages, 1 courses" in result.output and "re-decoded pages 1" in result.output, result.output
    (course,) = [json.loads(line) for line in run_cli("export", "--format", "jsonl").output.splitlines()]
    assert course["location"] == "København" and "beskæftigelsesindsatsen" in course["description"]


def test_load_more_buttons_script_calls_and_json_endpoints_give_links_but_lazy_images_do_not() -> None:
    body = ("<button data-url='/kurser/flere?fra=6'>Vis flere</button><img data-src='/media/12/hero?width=800'>"
            "<div data-endpoint='/api/kurser?side=1'></div><script>fetch('/wp-json/kurser?page=2').then(r => r.json())"
            "</script>").encode()  # fmt: skip
    response = HtmlResponse("http://udbyder.example/kurser/", body=body, encoding="utf-8")
    assert sorted(_script_links(response)) == ["/api/kurser?side=1", "/kurser/flere?fra=6", "/wp-json/kurser?page=2"]
    assert sorted(_json_links('{"items": [{"title": "Et kursus", "link": "/kursus/a/"}, {"url": "https://u.example/b"}],'
                              ' "next": null, "note": "/ikke et link"}')) == ["/kursus/a/", "https://u.example/b"]  # fmt: skip


def test_without_h1_the_title_is_the_part_of_the_page_title_that_the_content_shows() -> None:
    menu = "".join(f"<a href='/side{n}.php'>Menu {n}</a><br>" for n in range(8))
    page = (f"<html><head><title>Kursuscenter - Jobsøgning for ledige</title></head><body><table><tr><td>{menu}</td>"
            "<td><h2>Jobsøgning for ledige</h2><p>Et kursus om jobsøgning, cv og ansøgning for vejledere i jobcentre.</p>"
            "<table><tr><td><b>Pris:</b></td><td>1.800 kr.</td></tr><tr><td><b>Dato:</b></td><td>12.04.2027</td></tr>"
            "</table><p>Tilmelding senest 15. marts 2027</p></td></tr></table></body></html>")  # fmt: skip
    record = extract_course(page, "http://udbyder.example/kursus.php?id=9")
    assert record is not None
    assert (record["title"], record["price_dkk"], record["application_deadline"]) == (
        "Jobsøgning for ledige", 1800.0, "2027-03-15")


def test_teasers_of_other_courses_neither_hide_a_course_page_nor_lend_it_their_facts() -> None:
    teasers = "".join(f"<div class='teaser'><h3><a href='/kurser/k{n}'>Kursus {n}</a></h3><p>Pris: {n}.000 kr.</p>"
                      f"<p>Dato: 0{n}.05.2027</p></div>" for n in range(1, 4))  # fmt: skip
    page = ("<html><body><main><h1>Visitation af ledige</h1><p>Et kursus om visitation af ledige borgere i jobcentret.</p>"
            f"<p>Dato: 03.03.2027</p><p>Varighed: 2 dage</p><h2>Se også</h2>{teasers}</main></body></html>")  # fmt: skip
    record = extract_course(page, "http://udbyder.example/kurser/visitation")
    assert record is not None
    assert (record["price_dkk"], record["start_dates"], record["duration_days"]) == (None, ["2027-03-03"], 2.0)
    # A category page that shows one course's card is no course page of its own.
    one = ("<html><body><main><h1>E-læring</h1><div class='card'><h3><a href='/kurser/k1'>Kursus 1</a></h3>"
           "<p>Pris: 1.000 kr.</p><p>Dato: 01.05.2027</p></div></main></body></html>")  # fmt: skip
    assert extract_course(one, "http://udbyder.example/kurser/e-laering") is None
    # Without facts of its own, a page of three teasers is a listing.
    assert extract_course(page.replace("<p>Dato: 03.03.2027</p><p>Varighed: 2 dage</p>", ""),
                          "http://udbyder.example/kurser/") is None  # fmt: skip
