"""The API docs work offline: /docs (Swagger UI) and /redoc load their scripts from the service
itself, and show the operations in headless Chromium that can reach nothing but 127.0.0.1."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.test_browser import ARTIFACTS, Watched, base_url, browser, watched  # noqa: F401 - fixtures

pytestmark = pytest.mark.slow
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
SCREENSHOT = Path(os.environ.get("FAGMATCH_DOCS_SCREENSHOT", ARTIFACTS / "api-docs.png"))


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


def test_swagger_ui_shows_the_operations_offline(watched: Watched, base_url: str) -> None:  # noqa: F811
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
    page.screenshot(path=str(SCREENSHOT), full_page=False)
    assert not outside, outside


def test_redoc_shows_the_operations_offline(watched: Watched, base_url: str) -> None:  # noqa: F811
    page = watched.page
    outside = _local_only(watched, base_url)
    assert page.goto(base_url + "/redoc").status == 200
    page.wait_for_selector("text=Courses for a team's gaps", timeout=30_000)
    assert page.locator("text=Search courses").count() >= 1
    # ReDoc's only outside request is Redocly's logo in its footer, which hides itself when it
    # cannot load: refused here, and its failed load is the one console error.
    assert set(outside) <= {REDOC_LOGO}, outside
    watched.errors = [e for e in watched.errors if "Failed to load resource" not in e or not outside]
