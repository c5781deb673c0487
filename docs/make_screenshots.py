"""Take the README's screenshots of the web page: run `fagmatch demo --no-serve` first (or name
another catalogue with FAGMATCH_DB), then `python docs/make_screenshots.py`. It serves the catalogue
on a free port on 127.0.0.1 and photographs three pages in Debian's headless Chromium into docs/, and
the summary of the sample team (service/samples/team-of-four.csv against the bundled target profile)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
PAGES = {
    "screenshot-search.png": "/?q=sygedagpenge",
    "screenshot-team.png": "/team/gab?tekst=vi+mangler+specialiseret+viden+om+sygedagpengeloven",
    "screenshot-provider.png": "/udbydere?udbyder=Professionsh%C3%B8jskolen+Nordhavn",
}
TEAM = ROOT / "service" / "samples" / "team-of-four.csv"
TARGET = ROOT / "matcher" / "data" / "templates" / "target-profile.yaml"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]


def main() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--port", str(port)], cwd=ROOT,
                              env={**os.environ}, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if b'"ok"' in urllib.request.urlopen(base + "/healthz", timeout=5).read():
                    break
            except OSError:
                pass
            time.sleep(0.2)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(locale="da-DK", viewport={"width": 1200, "height": 900})
            for name, path in PAGES.items():
                page.goto(base + path)
                page.screenshot(path=str(ROOT / "docs" / name))
                print(f"docs/{name}: {path}")
            page.set_viewport_size({"width": 1280, "height": 900})  # the summary fits one such screen
            page.goto(base + "/team")
            page.set_input_files("#vurdering_fil", str(TEAM))
            page.set_input_files("#maal_fil", str(TARGET))
            with page.expect_navigation():
                page.click("button:has-text('Analysér teamet')")
            page.screenshot(path=str(ROOT / "docs" / "screenshot-team-summary.png"))
            print(f"docs/screenshot-team-summary.png: /team with {TEAM.relative_to(ROOT)}")
            browser.close()
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
