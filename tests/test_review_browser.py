"""The review page in a real browser (Debian's Chromium, headless, driven by Playwright) against a real server.

Load /review, score a page, read the colours and the slider, flip blocks with the mouse and the keyboard,
save, and find the fix in the export; then the end-to-end loop: fix two blocks, retrain with the
feedback, hot-reload the new model, and see it get those blocks right.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from extras import require

httpx = require("httpx")
require("sqlalchemy", "review")
sync_api = require("playwright.sync_api")

from test_feedback_training import ADS, FERRY_PAGE, FERRY_URL, STORY_STARTS  # noqa: E402
from test_service import _running_server, _until  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
KEY = "browser-key"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOT_ENV = "STORYFILTER_REVIEW_SCREENSHOT"  # a path: save a screenshot of the review page there

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium")


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("browser") / "feedback.sqlite3"


@pytest.fixture(scope="module")
def server(trained_model_dir, cli_env, db) -> Iterator[str]:
    env = {**cli_env, "STORYFILTER_MODEL_DIR": str(trained_model_dir), "STORYFILTER_API_KEY": KEY,
           "STORYFILTER_FEEDBACK_DB": str(db)}
    with _running_server([], env) as (base, _):
        _until(lambda: httpx.get(base + "/readyz", timeout=5).status_code == 200)
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda err: errors.append(str(err)))
    tab.goto(server + "/review")
    tab.locator("#api-key").fill(KEY)
    tab.locator("#api-key").dispatch_event("change")
    yield tab
    context.close()
    assert errors == []  # no JavaScript error on the way


def _score(tab, html: str = FERRY_PAGE) -> list:
    tab.locator("#page-input").fill(html)
    tab.locator("#url-input").fill(FERRY_URL)
    tab.locator("#score-btn").click()
    tab.wait_for_function("document.querySelectorAll('#blocks .block').length > 0")
    sync_api.expect(tab.locator("#status")).to_contain_text("stored as page")
    return tab.locator("#blocks .block").all()


def _block(tab, start: str):
    return tab.locator("#blocks .block", has_text=start).first


def _set_threshold(tab, value: float) -> None:
    tab.eval_on_selector("#threshold", "(el, v) => { el.value = v; el.dispatchEvent(new Event('input')); }", value)


def test_score_flip_save_and_export(page, server):
    blocks = _score(page)
    assert len(blocks) == 15
    first = blocks[0]
    assert "body" in (first.get_attribute("title") or "")  # the DOM path on hover
    assert float(first.locator(".score").inner_text().split()[0]) < 0.1  # the nav link: its score shown
    assert page.locator("#blocks .why .up, #blocks .why .down").count() > 0  # explanation words
    for start in ADS:  # the model keeps both adverts: the mistakes to fix
        assert "kept" in _block(page, start).get_attribute("class")
    _set_threshold(page, 0.0)
    assert page.locator("#blocks .block.dropped").count() == 0
    _set_threshold(page, 1.0)
    assert page.locator("#blocks .block.kept").count() < 5
    threshold = float(json.loads(page.evaluate("JSON.stringify(state.page.threshold)")))
    _set_threshold(page, threshold)

    _block(page, ADS[0]).click()  # a click flips the block (and selects it)
    assert "flipped" in _block(page, ADS[0]).get_attribute("class")
    assert "dropped" in _block(page, ADS[0]).get_attribute("class")
    page.keyboard.press("j")  # to the next paragraph, then the second advert
    page.keyboard.press("j")
    assert "selected" in _block(page, ADS[1]).get_attribute("class")
    page.keyboard.press(" ")
    page.keyboard.press("k")
    page.keyboard.press("j")
    assert "dropped" in _block(page, ADS[1]).get_attribute("class")
    page.keyboard.press("s")
    sync_api.expect(page.locator("#status")).to_contain_text("2 corrected")
    if os.environ.get(SCREENSHOT_ENV):
        page.screenshot(path=os.environ[SCREENSHOT_ENV], full_page=True)

    page.locator("#export-format").select_option("blocks")
    page.locator("#export-btn").click()
    sync_api.expect(page.locator("#status")).to_contain_text("exported")
    page_id = page.evaluate("state.page.page_id")
    rows = [json.loads(line) for line in page.locator("#export-output").inner_text().splitlines() if line]
    mine = {r["text"]: r for r in rows if r["page_id"] == page_id}
    assert len(mine) == 15
    for text, row in mine.items():
        if text.startswith(ADS):
            assert row["label"] == "boilerplate" and row["corrected"] is True
        elif text.startswith(STORY_STARTS):
            assert row["label"] == "story" and row["corrected"] is False

    page.locator("#queue-btn").click()  # the queue offers no block of a reviewed page
    sync_api.expect(page.locator("#status")).to_contain_text("queue")


def test_unsaved_flips_are_not_dropped_without_asking(page, server):
    _score(page)
    _block(page, ADS[0]).click()
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.locator("#score-btn").click()  # scoring again would replace the flipped page: the reviewer says no
    give_up = time.monotonic() + 60  # a guard against a page that never asks, not a measurement
    while not asked and time.monotonic() < give_up:
        page.wait_for_timeout(20)  # lets Playwright deliver the dialog event
    assert asked and "not saved" in asked[0]
    assert "flipped" in _block(page, ADS[0]).get_attribute("class")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#score-btn").click()  # ...and now yes: a fresh page, nothing flipped
    page.wait_for_function("!document.querySelector('#blocks .block.flipped')")


def test_the_page_needs_the_key_for_data(browser, server):
    tab = browser.new_page()
    tab.goto(server + "/review")
    sync_api.expect(tab.locator("#status")).to_contain_text("unauthorized")
    tab.close()


def test_fix_two_blocks_retrain_reload_and_the_new_model_gets_them_right(page, server, db, pages_jsonl,
                                                                         tmp_path, cli_env, trained_model_dir):
    _score(page)
    for start in ADS:
        _block(page, start).click()
    page.locator("#save-btn").click()
    sync_api.expect(page.locator("#status")).to_contain_text("2 corrected")

    out = tmp_path / "retrained"
    done = subprocess.run([sys.executable, "-m", "serving.cli", "train", str(pages_jsonl), "--feedback", str(db),
                           "-o", str(out), "--mode", "html", "--cv-folds", "2", "--quiet"],
                          env=cli_env, capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr

    _reload(server, out)
    try:
        page.reload()
        _score(page)  # the same page, scored afresh by the hot-reloaded model
        for start in ADS:
            assert "dropped" in _block(page, start).get_attribute("class")
            assert "flipped" not in _block(page, start).get_attribute("class")
        for start in STORY_STARTS:
            assert "kept" in _block(page, start).get_attribute("class")
    finally:  # the server is the module's: the other tests (in any order) expect the session model
        _reload(server, trained_model_dir)


def _reload(server: str, model_dir: Path) -> None:
    reloaded = httpx.post(server + "/v1/admin/reload", json={"model_dir": str(model_dir)},
                          headers={"X-API-Key": KEY}, timeout=60)
    assert reloaded.status_code == 200, reloaded.text
