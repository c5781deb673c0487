"""The web page in a real browser: Debian's headless Chromium, driven by Playwright, against the real app
served by uvicorn on 127.0.0.1 over a tagged catalogue. Search, a team analysis from uploaded files, the
radar chart and recommendations, plan downloads, a provider's coverage and a course page – with no
console errors – and the API docs (/docs, /redoc), which must work with no network. Screenshots go to test-artifacts/ (git-ignored).

Needs /usr/bin/chromium (`make setup` installs it). Without it the tests are skipped, except in CI
(the CI variable set), where a missing browser is a failure."""

from __future__ import annotations

import json
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any
from pathlib import Path

import pytest

from matcher.gaps import template_text
from matcher.taxonomy import load_taxonomy
from tests.conftest import BUNDLED_TARGET, TEAM_OF_FOUR
from tests.test_gap_level import BASIC_PHRASINGS, SPECIALISED_PHRASINGS

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-quic", "--no-first-run", "--disable-sync", "--disable-dev-shm-usage",
    # no lookups of outside hosts: the page must work with nothing but the local server
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
TEMPLATES = Path(__file__).resolve().parents[1] / "matcher" / "data" / "templates"
TAXONOMY = load_taxonomy()


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run the browser tests (run `make setup` as root to install chromium)")
    pytest.skip(reason, allow_module_level=True)


if not CHROMIUM.exists():
    _unavailable(f"{CHROMIUM} is missing: install Debian's chromium (`apt-get install -y chromium`, or `make setup`)")
try:
    from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # pragma: no cover - playwright is in the test extra
    _unavailable("playwright is not installed: pip install -e '.[test]'")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def base_url(tagged_catalogue: Path) -> Iterator[str]:
    """The real app under uvicorn in a background thread; the model and index load before it answers."""
    yield from _serving(tagged_catalogue)


ROOT_PATH = "/fagmatch"


@pytest.fixture(scope="module")
def rooted_url(tagged_catalogue: Path) -> Iterator[str]:
    """The app served with `--root-path /fagmatch`, reached as a reverse proxy that passes the path on."""
    for url in _serving(tagged_catalogue, root_path=ROOT_PATH):
        yield url + ROOT_PATH


def _serving(db: Path, **config: Any) -> Iterator[str]:
    import uvicorn

    from service.app import create_app
    from service.state import ServiceConfig

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(ServiceConfig(db=db, **config)), host="127.0.0.1",
                                           port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 180
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the web server did not start")
        time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Watched:
    """A page and the console errors and uncaught exceptions it produced."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text}")


@pytest.fixture
def watched(browser: Browser) -> Iterator[Watched]:
    context = browser.new_context(locale="da-DK", viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    w = Watched(page)
    yield w
    context.close()
    assert not w.errors, f"console errors: {w.errors}"


def shot(page: Page, name: str, *, full_page: bool = True) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


def test_search_with_text_and_filters(watched: Watched, base_url: str) -> None:
    page = watched.page
    response = page.goto(base_url + "/")
    assert response is not None and response.status == 200
    assert page.locator("html").get_attribute("lang") == "da"
    assert page.locator("h1").inner_text() == "Søg kurser"
    # keyboard: the first Tab reaches the skip link, visibly focused
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Spring til indhold"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "indhold"

    page.fill("#q", "sygedagpenge")
    page.press("#q", "Enter")
    page.wait_for_url("**/?q=sygedagpenge*")
    assert "Sygedagpenge" in page.locator("article.card").first.inner_text()
    shot(page, "soeg-fritekst")

    page.goto(base_url + "/")
    page.click("summary:has-text('Filtre')")
    page.check("input[name=felt][value=lov_myndighed]")
    page.select_option("#niveau", "specialiseret")
    page.click("button:has-text('Vis kurser')")
    page.wait_for_url("**felt=lov_myndighed**")
    cards = page.locator("article.card")
    assert cards.count() >= 1
    for i in range(cards.count()):
        text = cards.nth(i).inner_text()
        assert "Lov & Myndighed" in text and "Specialiseret" in text
    shot(page, "soeg-filtre")
    # the filters stay open above the results: a link leads past them
    page.click("a:has-text('Gå til resultaterne')")
    assert page.evaluate("location.hash") == "#resultater" and page.locator("#resultater").is_visible()


def test_search_reads_on_a_phone(browser: Browser, base_url: str) -> None:
    context = browser.new_context(locale="da-DK", viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    w = Watched(page)
    page.goto(base_url + "/")
    # against the phone's width itself: a mobile browser widens innerWidth to a page wider than it
    assert page.evaluate("document.documentElement.scrollWidth") <= 391, "page wider than the phone"
    shot(page, "soeg-mobil", full_page=False)
    course = page.locator("a[href^='/kursus/']").first.get_attribute("href")
    for path in ("/team", course, "/udbydere"):
        page.goto(base_url + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 391, f"{path} wider than the phone"
        # a table's caption stays within the frame the table scrolls in, so it can be read whole
        overhang = page.evaluate("""() => Math.max(0, ...Array.from(document.querySelectorAll('.table-scroll caption'),
            c => c.getBoundingClientRect().right - c.closest('.table-scroll').getBoundingClientRect().right))""")
        assert overhang <= 1, f"a caption on {path} runs {overhang:.0f} px past its frame"
    # a team's result: the radar chart's labels stay readable, in a frame of their own that scrolls
    page.goto(base_url + "/team")
    page.set_input_files("#vurdering_fil", str(TEMPLATES / "proficiency-assessment.csv"))
    page.set_input_files("#maal_fil", str(TEMPLATES / "target-profile.yaml"))
    with page.expect_navigation():
        page.click("button:has-text('Analysér teamet')")
    page.click("summary:has-text('Kompetencespind og felterne')")
    assert page.evaluate("document.documentElement.scrollWidth") <= 391, "the team result wider than the phone"
    label = page.locator("svg.radar .axis-label").first
    # the label's font size as drawn: its CSS size times the chart's scale on the screen
    shown = label.evaluate("e => parseFloat(getComputedStyle(e).fontSize) * e.getScreenCTM().a")
    assert shown >= 9, f"the chart's labels are {shown:.1f} px on a phone"
    # its caption stays in view, whole, however far the chart is scrolled
    page.locator(".radar-figure").first.evaluate("f => { f.scrollLeft = f.scrollWidth; }")
    caption, frame = page.locator(".radar-figure figcaption").first.bounding_box(), page.locator(".radar-figure").first.bounding_box()
    assert frame["x"] - 1 <= caption["x"] and caption["x"] + caption["width"] <= frame["x"] + frame["width"] + 1, (caption, frame)
    context.close()
    assert not w.errors, w.errors


def test_team_analysis_from_uploaded_files_with_radar_recommendations_and_plan(watched: Watched, base_url: str) -> None:
    page = watched.page
    page.goto(base_url + "/team")
    page.set_input_files("#vurdering_fil", str(TEMPLATES / "proficiency-assessment.csv"))
    page.set_input_files("#maal_fil", str(TEMPLATES / "target-profile.yaml"))
    with page.expect_navigation():
        page.click("button:has-text('Analysér teamet')")
    assert page.locator("h1").inner_text() == "Teamet mod målprofilen"
    page.click("summary:has-text('Kompetencespind og felterne')")
    radar = page.locator("svg.radar")
    assert radar.is_visible()
    assert radar.locator("line.axis").count() == len(TAXONOMY.fields)
    assert radar.locator("g.series.team polygon").count() == 1 and radar.locator("g.series.maal polygon").count() == 1
    page.click("summary:has-text('Prioriterede gab og ressourcepersoner')")
    assert page.locator("section[aria-labelledby=prioriteter] ol li").count() >= 1
    page.click("summary:has-text('Kurserne')")
    cards = page.locator("section[aria-labelledby=anbefalinger] article.card")
    assert cards.count() >= 3
    first = cards.first.inner_text()
    page.locator("section[aria-labelledby=anbefalinger] details.steps").first.evaluate("d => d.open = true")
    first = cards.first.inner_text()
    assert "Hvorfor dette kursus" in first and "af 100" in first
    assert "Før kurset (30 % af indsatsen)" in first and "Efter kurset (40 % af indsatsen)" in first
    shot(page, "team-vurdering")

    with page.expect_download() as csv_download:
        page.click("#sammendrag button:has-text('Hent som CSV')")
    download = csv_download.value
    assert download.suggested_filename == "uddannelsesplan.csv"
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    assert text.startswith("Medarbejdere;Formål;Uddannelsesaktivitet")
    with page.expect_download() as md_download:
        page.click("#sammendrag button:has-text('Hent som Markdown')")
    assert md_download.value.suggested_filename == "uddannelsesplan.md"
    assert Path(md_download.value.path()).read_text(encoding="utf-8").startswith("# Uddannelsesplan")


def test_team_of_four_summary_fits_one_screen_with_split_gaps_and_a_plan(watched: Watched, base_url: str) -> None:
    """Issue 23's scenario on the page: four people rated 1–5, the bundled target. The summary says who
    needs what, at which step, which course and when, above the fold of a 1280 × 900 screen."""
    page = watched.page
    team = ARTIFACTS / "team-of-four.csv"
    team.write_bytes(TEAM_OF_FOUR.encode("utf-8-sig"))  # as Danish Excel saves it: ; and a BOM
    page.goto(base_url + "/team")
    page.set_input_files("#vurdering_fil", str(team))
    page.set_input_files("#maal_fil", str(BUNDLED_TARGET))
    with page.expect_navigation():
        page.click("button:has-text('Analysér teamet')")
    summary = page.locator("#sammendrag")
    box = summary.bounding_box()
    shot(page, "team-sammendrag", full_page=False)
    assert box is not None and box["y"] + box["height"] <= 900, f"the summary ends at {box} on a 900 px screen"
    rows = summary.locator("tbody tr")
    lines = [rows.nth(i).inner_text().replace("\t", " | ") for i in range(rows.count())]
    law = [line for line in lines if "AB (trin 2), CD (trin 1)" in line]
    assert law and "Grundlæggende, trin 3" in law[0], lines
    resource = [line for line in lines if line.split(" | ")[1:2] == ["EF (trin 3)"] and "Ressourceperson, trin 4" in line]
    assert resource, lines  # one resource person in Lov & Myndighed, as the target asks: EF, not the novice CD
    assert not any("CD (trin 1)" in line and "Ressourceperson" in line for line in lines)
    assert all(re.search(r"\d{4}|Intet kursus|Afventer", line) for line in lines), lines  # a date or a reason each
    assert "Arbejdsbyrde over én arbejdsdag om ugen" in summary.inner_text()
    # the details are folded: one course card per decision, not five per gap
    assert not page.locator("section[aria-labelledby=anbefalinger]").is_visible()
    assert page.locator("section[aria-labelledby=anbefalinger] article.card").count() == len(lines)
    assert page.evaluate("document.body.scrollHeight") < 2500
    with page.expect_download() as md_download:
        page.click("#sammendrag button:has-text('Hent som Markdown')")
    plan = Path(md_download.value.path()).read_text(encoding="utf-8")
    assert "## Tidsplan pr. medarbejder" in plan and "mål: trin 3 ved opfølgningen" in plan and "mindst trin" not in plan
    team.unlink()


def test_more_rows_keep_the_table_and_enter_still_analyses(watched: Watched, base_url: str) -> None:
    page = watched.page
    page.goto(base_url + "/team")
    page.fill("#navn_0", "Åse")
    page.select_option("#niveau_0_lov_myndighed", "2")
    with page.expect_navigation():
        page.click("button:has-text('Vis 12 rækker')")
    assert page.locator("table.fill-in input[id^=navn_]").count() == 12
    assert page.input_value("#navn_0") == "Åse" and page.input_value("#niveau_0_lov_myndighed") == "2"
    # Enter in a name submits the analysis (the form's first button), not more rows
    page.fill("#navn_6", "Bo")
    for key in TAXONOMY.field_keys:
        page.select_option(f"#niveau_6_{key}", "3")
    with page.expect_navigation():
        page.press("#navn_6", "Enter")
    assert page.locator("h1").inner_text() == "Teamet mod målprofilen"


def test_needs_survey_pasted_and_gap_in_words(watched: Watched, base_url: str) -> None:
    page = watched.page
    page.goto(base_url + "/team")
    page.fill("#behov_tekst", template_text("needs-survey", TAXONOMY))
    with page.expect_navigation():
        page.click("button:has-text('Analysér behovene')")
    assert page.locator("h1").inner_text() == "Teamets udviklingsbehov"
    assert page.locator("svg.radar line.axis").count() == len(TAXONOMY.fields)
    assert page.locator("section[aria-labelledby=anbefalinger] article.card").count() >= 1
    shot(page, "team-behov")

    page.goto(base_url + "/team")
    page.fill("#tekst", "vi mangler specialiseret viden om sygedagpengeloven")
    with page.expect_navigation():
        page.click("button:has-text('Find kurser')")
    assert page.locator("h1").inner_text() == "Kurser til gabet"
    assert "Sygedagpenge" in page.locator("section[aria-labelledby=anbefalinger] article.card").first.inner_text()
    shot(page, "team-gab")


def test_level_words_in_a_gap_decide_its_level_and_the_page_says_so(watched: Watched, base_url: str) -> None:
    page = watched.page
    for level, texts in (("grundlæggende", BASIC_PHRASINGS), ("specialiseret", SPECIALISED_PHRASINGS)):
        for text in texts:
            page.goto(base_url + "/team")
            page.fill("#tekst", text)
            with page.expect_navigation():
                page.click("button:has-text('Find kurser')")
            heading = page.locator("section.gap h3").first.inner_text()
            assert heading.endswith(f"– {level}"), (text, heading)
            assert "Niveauet er sat ud fra ordene i teksten: »" in page.locator("p.level-reading").inner_text(), text
    shot(page, "team-gab-niveauord")
    # the page's Niveau wins over the words
    page.goto(base_url + "/team")
    page.fill("#tekst", SPECIALISED_PHRASINGS[0])
    page.select_option("#gab-niveau", "grundlaeggende")
    with page.expect_navigation():
        page.click("button:has-text('Find kurser')")
    assert page.locator("section.gap h3").first.inner_text().endswith("– grundlæggende")
    assert "Niveauet er sat ud fra dit valg" in page.locator("p.level-reading").inner_text()


def test_broken_upload_shows_the_message(browser: Browser, base_url: str) -> None:
    context = browser.new_context(locale="da-DK")
    page = context.new_page()
    w = Watched(page)
    page.goto(base_url + "/team")
    broken = ARTIFACTS / "broken-survey.csv"
    broken.write_text("role,xx.9\nmedarbejder,3\n", encoding="utf-8")
    page.set_input_files("#behov_fil", str(broken))
    with page.expect_navigation() as navigation:
        page.click("button:has-text('Analysér behovene')")
    assert navigation.value is not None and navigation.value.status == 422
    alert = page.locator("[role=alert]")
    assert "Fejl:" in alert.inner_text() and "broken-survey.csv: linje 1, kolonne xx.9: ikke et udsagns-id" in alert.inner_text()
    shot(page, "team-fejl", full_page=False)
    context.close()
    broken.unlink()
    # Chromium reports the 422 status itself; nothing else may appear
    assert all("status of 422" in e for e in w.errors), w.errors


def test_a_keyboard_user_on_a_phone_sees_the_field_at_fault_and_the_field_in_focus(browser: Browser, base_url: str) -> None:
    context = browser.new_context(locale="da-DK", viewport={"width": 375, "height": 740})
    page = context.new_page()
    w = Watched(page)
    # the draft check answers at its anchor (#tjek), where Chromium skips autofocus: the field still gets the focus
    page.goto(base_url + "/udbydere")
    page.evaluate("document.querySelector('#titel').removeAttribute('required')")
    page.fill("#titel", " ")
    page.fill("#beskrivelse", "Sygedagpengeloven for nye sagsbehandlere i jobcentret.")
    with page.expect_navigation():
        page.click("button:has-text('Vis mærkning')")
    page.wait_for_function("document.activeElement.id === 'titel'")
    marked = page.evaluate("getComputedStyle(document.activeElement).borderTopColor")
    assert marked == "rgb(143, 28, 28)", marked  # the field at fault is marked, not only described
    # the fill-in table scrolls sideways on a phone: a field it focuses is brought inside its frame
    page.goto(base_url + "/team")
    page.focus("#navn_0")
    page.keyboard.type("AB")
    for key in TAXONOMY.field_keys:  # Tab along the row, field by field
        page.keyboard.press("Tab")
        try:
            page.wait_for_function(f"document.activeElement.id === 'niveau_0_{key}'", timeout=5000)
        except PlaywrightTimeout:  # say where the focus went instead (CI once saw it leave the table)
            raise AssertionError(page.evaluate("document.activeElement.outerHTML.slice(0, 160)")) from None
        page.wait_for_timeout(100)  # the frame scrolls to the field
        at = page.evaluate("""() => { const e = document.activeElement, f = e.closest('.table-scroll').getBoundingClientRect();
                                      const r = e.getBoundingClientRect(); return [r.left - f.left, f.right - r.right]; }""")
        assert at[0] >= -1 and at[1] >= -1, (key, at)  # wholly inside its frame
    context.close()
    assert all("status of 422" in e or "Autofocus processing was blocked" in e for e in w.errors), w.errors


def test_a_file_over_the_upload_limit_is_refused_before_sending_and_the_typed_table_stays(
    watched: Watched, base_url: str,
) -> None:
    page = watched.page
    page.goto(base_url + "/team")
    page.fill("#navn_0", "AB")
    page.select_option("#niveau_0_lov_myndighed", "2")
    big = b"medarbejder,lov_myndighed\n" + b"AB,3\n" * 300_000  # 1.5 MB: over the 1000 kB a file may hold
    page.set_input_files("#vurdering_fil", files=[{"name": "vurdering.csv", "mimeType": "text/csv", "buffer": big}])
    message = page.eval_on_selector("#vurdering_fil", "input => input.validationMessage")
    assert message == "vurdering.csv fylder 1501 kB; en fil må højst fylde 1000 kB. Vælg en mindre fil."
    page.click("button:has-text('Analysér teamet')")
    page.wait_for_timeout(300)  # a form that was sent would be loading its answer by now
    assert page.url == base_url + "/team"
    assert page.input_value("#navn_0") == "AB" and page.input_value("#niveau_0_lov_myndighed") == "2"
    # a file within the limit clears the refusal
    page.set_input_files("#vurdering_fil", str(TEMPLATES / "proficiency-assessment.csv"))
    assert page.eval_on_selector("#vurdering_fil", "input => input.validationMessage") == ""


def test_provider_coverage_then_a_course_page(watched: Watched, base_url: str) -> None:
    page = watched.page
    page.goto(base_url + "/udbydere")
    options = page.locator("#udbyder option").all_inner_texts()
    assert len(options) > 2
    page.select_option("#udbyder", index=1)
    with page.expect_navigation():
        page.click("button:has-text('Vis dækning')")
    table = page.locator("table.coverage")
    assert table.is_visible()
    assert table.locator("tbody tr").count() == len(TAXONOMY.fields)
    assert "Efterspørgsel på landsplan" in table.inner_text()
    assert page.locator("td.uncovered").count() == page.locator("td.uncovered .flag").count()
    shot(page, "udbyder-daekning")

    page.fill("#titel", "Sygedagpengeloven for nye sagsbehandlere")
    page.fill("#beskrivelse", "Kurset giver grundlæggende viden om sygedagpengeloven, opfølgning og jobafklaring "
                              "i jobcentret, med cases fra egen praksis.")
    with page.expect_navigation():
        page.click("button:has-text('Vis mærkning')")
    assert "Sådan ville" in page.locator(".draft-result").inner_text()
    # the answer opens at #tjek, above the form: the reading starts at the answer, and the title says it is there
    page.wait_for_function("document.activeElement.id === 'udkast-titel'")
    assert page.title().startswith("Mærkning af udkast")
    assert page.locator("table.coverage").is_visible(), "the chosen provider's coverage stays on the page"
    shot(page, "udbyder-udkast")

    link = page.locator("table.data a").first
    title = link.inner_text()
    with page.expect_navigation():
        link.click()
    assert page.locator("h1").inner_text() == title
    data = json.loads(page.locator("script[type='application/ld+json']").text_content() or "")
    assert data["@type"] == "Course" and data["name"] == title
    assert page.locator("#kompetencer, #maerkning").count() >= 1
    shot(page, "kursus")


# ---- the API docs work offline: /docs (Swagger UI) and /redoc load their scripts from the service itself

DOCS_SCREENSHOT = Path(os.environ.get("FAGMATCH_DOCS_SCREENSHOT", ARTIFACTS / "api-docs.png"))


def _local_only(watched: Watched, base: str) -> list[str]:
    """Every request that leaves the service is refused and listed."""
    outside: list[str] = []

    def route(r) -> None:
        if r.request.url.startswith(base):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    watched.page.route("**/*", route)
    return outside


def test_swagger_ui_shows_the_operations_offline(watched: Watched, base_url: str) -> None:
    page = watched.page
    outside = _local_only(watched, base_url)
    response = page.goto(base_url + "/docs")
    assert response is not None and response.status == 200
    page.wait_for_selector(".opblock-summary", timeout=30_000)
    summaries = page.locator(".opblock-summary-description").all_inner_texts()
    assert {"Search courses", "Courses for a team's gaps", "Catalogue, model and last crawl status"} <= set(summaries)
    assert page.locator(".opblock").count() >= 20
    page.locator(".opblock-summary", has_text="Search courses").first.click()
    page.wait_for_selector("text=Free text, Danish or English.")
    page.screenshot(path=str(DOCS_SCREENSHOT), full_page=False)
    assert not outside, outside


def test_under_a_root_path_the_pages_keep_their_styles_links_forms_and_downloads(watched: Watched, rooted_url: str) -> None:
    page = watched.page  # a stylesheet, script or icon that did not load would be a console error
    page.goto(rooted_url + "/")
    assert page.evaluate("getComputedStyle(document.querySelector('.site-header')).display") != "inline"  # styled
    page.fill("#q", "sygedagpenge")
    with page.expect_navigation():
        page.click("form.search button[type=submit]")
    assert page.url.startswith(rooted_url + "/?q=sygedagpenge")
    with page.expect_navigation():
        page.locator("article.card .card-title a").first.click()
    assert page.url.startswith(rooted_url + "/kursus/")
    with page.expect_navigation():
        page.click("nav a:has-text('Teamets kompetencer')")
    assert page.url == rooted_url + "/team"
    page.fill("#tekst", "vi mangler specialiseret viden om sygedagpengeloven")
    with page.expect_navigation():
        page.click("button:has-text('Find kurser')")
    assert page.locator("h1").inner_text() == "Kurser til gabet" and page.url.startswith(rooted_url + "/team/gab?")
    with page.expect_download() as download:
        page.locator("button:has-text('Hent plan som CSV')").first.click()
    assert download.value.suggested_filename.endswith(".csv")
    page.goto(rooted_url + "/docs")
    page.wait_for_selector(".opblock-summary", timeout=30_000)  # Swagger UI ran: its assets and spec loaded


def test_redoc_shows_the_operations_offline(watched: Watched, base_url: str) -> None:
    page = watched.page
    outside = _local_only(watched, base_url)
    assert page.goto(base_url + "/redoc").status == 200
    page.wait_for_selector("text=Courses for a team's gaps", timeout=30_000)
    assert page.locator("text=Search courses").count() >= 1
    # The bundle as shipped asks a CDN for Redocly's logo; the service's copy shows its own icon.
    assert not outside, outside
