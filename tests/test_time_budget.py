"""The time budget holds inside a page: a page that may not fit is answered 503
``time_budget_exceeded`` before it is parsed, and the worker serves the next request.

A real ``storyfilter serve`` with a small ``--time-budget``; the slow page is markup the
guard keeps linear but not cheap (text foster-parented out of a table between comments,
about 1 MB). No clock is asserted: the refusal comes from the guard's bound on what a
page of that size may cost, compared with the budget left.
"""
from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from extras import require

require("fastapi", "serve")

from classifier.guard import worst_case_seconds  # noqa: E402
from service_process import running_service  # noqa: E402

BUDGET = 0.5
SLOW_PAGE = "<table>" + "<!---->x" * 125_000 + "</table>"  # 1 MB: may take up to 2.1 s
STORY = ("<html><body><article><p>" + "The council approved the new library budget on Tuesday. " * 8
         + "</p></article></body></html>")


@pytest.fixture(scope="module")
def service() -> str:
    with running_service("--time-budget", str(BUDGET)) as base:
        yield base


def test_the_slow_page_may_cost_more_than_the_budget():
    assert worst_case_seconds(len(SLOW_PAGE)) > BUDGET > worst_case_seconds(len(STORY))


def test_a_page_over_the_budget_is_refused_and_the_next_request_succeeds(service):
    with httpx.Client(base_url=service, timeout=60) as client:
        for _ in range(3):
            slow = client.post("/v1/score", json={"html": SLOW_PAGE})
            assert slow.status_code == 503
            error = slow.json()["error"]
            assert error["code"] == "time_budget_exceeded"
            assert "time budget" in error["message"]
            ok = client.post("/v1/score", json={"html": STORY})
            assert ok.status_code == 200
            assert "library budget" in ok.json()["story_text"]
        assert client.get("/readyz").status_code == 200


def test_a_batch_scores_the_pages_that_fit_and_marks_the_one_that_does_not(service):
    pages = [{"html": STORY}, {"html": SLOW_PAGE}, {"text": "A line of text.\nAnother line."}]
    answer = httpx.post(service + "/v1/score/batch", json={"pages": pages}, timeout=60)
    assert answer.status_code == 200
    results = answer.json()["results"]
    assert "library budget" in results[0]["story_text"]
    assert results[1]["error"]["code"] == "time_budget_exceeded"
    assert "error" not in results[2]


def test_text_pages_are_held_to_the_same_bound(service):
    slow_text = "word " * 250_000  # 1.25 MB of text: may take longer than the budget
    answer = httpx.post(service + "/v1/score", json={"text": slow_text}, timeout=60)
    assert answer.status_code == 503 and answer.json()["error"]["code"] == "time_budget_exceeded"


# ----- batch: a budget per page ---------------------------------------------------------------------
def test_batch_gives_a_page_over_its_budget_an_error_row_and_scores_the_rest(tmp_path):
    import json

    from serving.batch import BatchOptions, run_batch

    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "a-story.html").write_text(STORY, encoding="utf-8")
    (pages / "b-slow.html").write_text(SLOW_PAGE, encoding="utf-8")
    (pages / "c-story.html").write_text(STORY.replace("Tuesday", "Friday"), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    summary = run_batch([pages], out, BatchOptions(page_budget=BUDGET), progress=False)
    rows = {Path(row["source"]).name: row for row in map(json.loads, out.read_text().splitlines())}
    assert rows["b-slow.html"]["error"].startswith("time_budget_exceeded: reading this page")
    assert rows["b-slow.html"]["story_text"] is None
    assert rows["a-story.html"]["error"] is None and "Tuesday" in rows["a-story.html"]["story_text"]
    assert rows["c-story.html"]["error"] is None and "Friday" in rows["c-story.html"]["story_text"]
    assert summary.rows_written == 3
    # Without a budget the same page is scored: the budget is what refused it.
    run_batch([pages], tmp_path / "all.jsonl", BatchOptions(), progress=False)
    assert all(json.loads(line)["error"] is None for line in (tmp_path / "all.jsonl").read_text().splitlines())


def test_batch_cli_takes_a_page_budget(tmp_path):
    from click.testing import CliRunner

    from serving.cli import main

    (tmp_path / "slow.html").write_text(SLOW_PAGE, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(main, ["batch", str(tmp_path / "slow.html"), "-o", str(out), "--page-budget", "0.5"])
    assert result.exit_code == 0, result.output
    assert "time_budget_exceeded" in out.read_text()
    bad = CliRunner().invoke(main, ["batch", str(tmp_path / "slow.html"), "-o", str(out), "--page-budget", "0"])
    assert bad.exit_code == 2


# ----- the deadline itself ---------------------------------------------------------------------------
def test_a_stage_is_refused_when_it_may_not_fit_or_the_budget_is_spent():
    from serving.budget import BudgetExceeded, Deadline

    far = Deadline.after(1000.0)
    far.require(999.0, "a stage that fits")
    with pytest.raises(BudgetExceeded, match="may take up to 1001.00 s"):
        far.require(1001.0, "a stage that does not")
    with pytest.raises(BudgetExceeded, match="ran out before walking"):
        Deadline(at=0.0).require(0.0, "walking the parsed page")


def test_scoring_cost_grows_with_blocks_and_text():
    from classifier.blocks import Block
    from serving.budget import scoring_seconds

    few = [Block(index=0, text="short", kind="line")]
    many = [Block(index=i, text="a longer block of text " * 20, kind="line") for i in range(1000)]
    assert 0 < scoring_seconds(few) < scoring_seconds(many)
