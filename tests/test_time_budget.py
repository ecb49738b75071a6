"""The time budget holds inside a page: a page that may not fit is answered 503
``time_budget_exceeded`` before it is parsed, and the worker serves the next request.

A real ``storyfilter serve`` with a small ``--time-budget``; the slow page is markup the
guard keeps linear but not cheap (text foster-parented out of a table between comments,
about 1 MB). No clock is asserted: the refusal comes from the guard's bound on what a
page of that size may cost, compared with the budget left.
"""
from __future__ import annotations

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


# ----- the deadline itself ---------------------------------------------------------------------------
def test_a_stage_is_refused_when_it_may_not_fit_or_the_budget_is_spent():
    from serving.scoring import BudgetExceeded, Deadline

    far = Deadline.after(1000.0)
    far.require(999.0, "a stage that fits")
    with pytest.raises(BudgetExceeded, match="may take up to 1001.00 s"):
        far.require(1001.0, "a stage that does not")
    with pytest.raises(BudgetExceeded, match="ran out before walking"):
        Deadline(at=0.0).require(0.0, "walking the parsed page")


def test_scoring_cost_grows_with_blocks_and_text():
    from classifier.blocks import Block
    from serving.scoring import scoring_seconds

    few = [Block(index=0, text="short", kind="line")]
    many = [Block(index=i, text="a longer block of text " * 20, kind="line") for i in range(1000)]
    assert 0 < scoring_seconds(few) < scoring_seconds(many)
