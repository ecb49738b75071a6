"""Screenshots of the review page for docs/review.md, with the shipped models.

    python docs/screenshot_review.py            # writes docs/review.png and docs/review-queue.png

Starts the service on a free port with a throwaway feedback database, drives Debian's
Chromium (headless, through Playwright; no browser download), scores two pages written
for the tests, fixes the adverts the model keeps, saves, and opens the queue.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]
from test_feedback_training import ADS, FERRY_PAGE, FERRY_URL  # noqa: E402

SECOND_PAGE = """<html><body><nav><a href="/">Home</a> <a href="/sport">Sport</a></nav>
<article><h1>Library roof repaired before the first storms</h1>
<p>Volunteers finished the library roof on Friday, two days before the first storm of the season reached the valley.</p>
<p>The work was paid for by a village fund that raised more than eight thousand pounds over the summer.</p></article>
<aside class="recommended"><h2>Recommended for you</h2><ul><li><a href="/1">Ten garden tricks for autumn</a></li>
<li><a href="/2">Quiz: name the valley bridges</a></li></ul></aside></body></html>"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main(out: Path = REPO / "docs") -> None:
    folder = Path(tempfile.mkdtemp(prefix="storyfilter-shots-"))
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), "STORYFILTER_FEEDBACK_DB": str(folder / "feedback.sqlite3"),
           "STORYFILTER_API_KEY": "docs-key"}
    server = subprocess.Popen([sys.executable, "-m", "serving.cli", "serve", "--port", str(port),
                               "--log-level", "warning"], cwd=REPO, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if urllib.request.urlopen(base + "/readyz", timeout=2).status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"])
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(base + "/review")
            page.fill("#api-key", "docs-key")
            page.dispatch_event("#api-key", "change")
            for html, url in ((SECOND_PAGE, "https://valley-voice.test/roof"), (FERRY_PAGE, FERRY_URL)):
                page.fill("#page-input", html)
                page.fill("#url-input", url)
                page.click("#score-btn")
                expect(page.locator("#status")).to_contain_text("stored as page")
            for start in ADS:
                block = page.locator("#blocks .block", has_text=start).first
                if "kept" in (block.get_attribute("class") or ""):
                    block.click()
            page.keyboard.press("s")
            expect(page.locator("#status")).to_contain_text("saved")
            page.screenshot(path=str(out / "review.png"))
            page.click("#queue-btn")
            expect(page.locator("#queue-list li").first).to_be_visible()
            page.locator("#queue-list li").first.click()
            expect(page.locator("#status")).to_contain_text("opened page")
            page.screenshot(path=str(out / "review-queue.png"))
            browser.close()
    finally:
        server.terminate()
        server.wait(30)
        shutil.rmtree(folder, ignore_errors=True)
    print(f"wrote {out / 'review.png'} and {out / 'review-queue.png'}")


if __name__ == "__main__":
    main()
