"""Retraining with reviewers' feedback: a page scored, two blocks fixed, and the new model gets them right."""
from __future__ import annotations

from pathlib import Path

import pytest

from extras import require

require("sqlalchemy", "review")

from classifier import load_model  # noqa: E402
from classifier.errors import TrainingDataError  # noqa: E402
from serving.review.retrain import feedback_pages, retrain_from_store  # noqa: E402
from serving.review.store import FeedbackStore, NewBlock, NewPage  # noqa: E402
from training.feedback import feedback_examples, merge  # noqa: E402
from training.readers import LabelledPage  # noqa: E402
from training.train import load_examples  # noqa: E402

# A page written for these tests: a story with two advertising paragraphs inside it, which
# the session model (trained on the synthetic sites) keeps as story. The ads carry a class of
# their own, as served ad slots do: the model judges blocks that share the story's exact markup
# together with it, so one reviewed page cannot split a template (see docs/training.md).
FERRY_URL = "https://lighthouse-ledger.test/ferry"
FERRY_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Ferry timetable</title></head><body>
<div class="masthead"><ul class="links"><li><a href="/">Front page</a></li><li><a href="/t">Towns</a></li><li><a href="/w">Weather</a></li></ul></div>
<div class="column">
<h1>Island ferry keeps its winter timetable after a crowded meeting</h1>
<p class="dateline">Filed by the island desk</p>
<p>The ferry operator agreed on Tuesday to keep the winter timetable for another year, after more than two hundred residents packed the village hall to ask for the early crossing to stay.</p>
<p class="partner-note">Partner offer: save twenty percent on harbour view cottages this season when you book through our travel partner today.</p>
<p>Several fishermen said the early boat is the only way to reach the mainland market before the auction opens, and the school governors backed them in a short letter.</p>
<p class="partner-note">Sponsored: the new lighthouse tea rooms are now open every weekend with fresh scones and a view of the bay.</p>
<p>The operator will publish the full timetable next month and has promised to review the fares in the spring.</p>
</div>
<div class="aside-box"><h3>Elsewhere on the ledger</h3><ul>
<li><a href="/a">Harbour cats: ten photos you will love</a></li>
<li><a href="/b">Quiz: how well do you know the coast</a></li>
<li><a href="/c">Recipes: the perfect fish supper</a></li></ul></div>
<div class="foot">Copyright lighthouse-ledger.test | About | Contact</div>
</body></html>"""
ADS = ("Partner offer:", "Sponsored:")
STORY_STARTS = ("Island ferry keeps", "The ferry operator agreed", "Several fishermen said", "The operator will publish")


def _labels(result) -> dict[str, str]:
    return {b.text: b.label for b in result.blocks}


def _pick(labels: dict[str, str], starts: tuple[str, ...]) -> list[str]:
    return [labels[t] for s in starts for t in labels if t.startswith(s)]


def _store_ferry_review(model, db: Path) -> str:
    """What the review page does: store the scored page, then save every label with the two ads fixed."""
    result = model.filter_html(FERRY_PAGE)
    store = FeedbackStore.open(db)
    page_id = store.add_page(NewPage(
        mode="html", content=FERRY_PAGE, site="lighthouse-ledger.test", model_name="m", model_version="1",
        threshold=result.threshold, url=FERRY_URL,
        blocks=[NewBlock(b.index, b.text, b.kind, b.path, b.score) for b in result.blocks]))
    labels = {b.index: ("boilerplate" if b.text.startswith(ADS) else b.label) for b in result.blocks}
    store.save_labels(page_id, labels)
    store.close()
    return page_id


def test_two_fixed_blocks_are_right_after_retraining(loaded_model, pages_jsonl, tmp_path):
    before = _labels(loaded_model.filter_html(FERRY_PAGE))
    assert _pick(before, ADS) == ["story", "story"]  # the mistake the reviewer fixes
    db = tmp_path / "feedback.sqlite3"
    page_id = _store_ferry_review(loaded_model, db)
    assert [p.id for p in feedback_pages(db)] == [page_id]

    manifest = retrain_from_store([pages_jsonl], db, tmp_path / "new", mode="html", cv_folds=2, seed=0,
                                  progress=False)
    after = _labels(load_model(tmp_path / "new").filter_html(FERRY_PAGE))  # loads: manifest and hashes check
    assert _pick(after, ADS) == ["boilerplate", "boilerplate"]
    assert _pick(after, STORY_STARTS) == ["story"] * 4  # and the story is still kept

    report = manifest["feedback"]
    assert report["pages"] == 1 and report["folds"] == 2 and report["grouped_by"] == "site"
    assert report["fitted_block_accuracy"] == 1.0
    for side in ("before", "after"):
        # out of fold the reviewed page is never trained on, so both models miss the 2 ads of its 15 blocks
        assert report[side]["feedback_block_accuracy"] == round(13 / 15, 4)
        assert report[side]["all_pages"]["pages"] == 41
    assert manifest["cross_validation"]["threshold"] == manifest["threshold"]
    assert manifest["training_data"]["feedback_pages"] == 1


def test_corrections_win_over_a_base_page_of_the_same_url(pages_jsonl, synthetic_pages):
    base = load_examples([pages_jsonl], "html", progress=False)
    replaced = synthetic_pages[0]
    texts = [b.text for b in base.pages[0]]
    flipped = [1 - y for y in base.labels[0]]
    fb = feedback_examples([LabelledPage(id="review-1", texts=texts, labels=flipped, html=replaced.html,
                                         url=replaced.url)], "html")
    assert fb.labels == [flipped]  # by position: the same blocks, no text alignment
    merged, is_feedback = merge(base, fb)
    assert len(merged.pages) == len(base.pages) and is_feedback[-1] and sum(is_feedback) == 1
    assert merged.labels[-1] == flipped and replaced.id not in {getattr(s, "id", None) for s in merged.sources[:-1]}


def test_text_pages_and_text_models(tmp_path):
    page = LabelledPage(id="t", texts=["A headline", "A line of story text.", "Share this"], labels=[1, 1, 0])
    ex = feedback_examples([page], "text")
    assert [b.text for b in ex.pages[0]] == page.texts and ex.labels == [[1, 1, 0]]
    html = LabelledPage(id="h", texts=["Home", "Story text here."], labels=[0, 1],
                        html="<html><body><nav>Home</nav><p>Story text here.</p></body></html>")
    ex = feedback_examples([html], "text")  # a text model learns the HTML page as its lines
    assert [b.text for b in ex.pages[0]] == ["Home", "Story text here."] and ex.labels == [[0, 1]]


def test_a_store_with_nothing_reviewed_refuses_to_train(pages_jsonl, tmp_path):
    FeedbackStore.open(tmp_path / "empty.sqlite3").close()
    with pytest.raises(TrainingDataError):
        retrain_from_store([pages_jsonl], tmp_path / "empty.sqlite3", tmp_path / "out", cv_folds=0, progress=False)


def test_a_store_that_cannot_be_read_is_a_training_data_error_without_the_password(tmp_path):
    with pytest.raises(TrainingDataError) as err:
        feedback_pages("postgresql+psycopg://reviewer:hunter2@127.0.0.1:1/feedback")
    assert "hunter2" not in str(err.value) and "cannot open the feedback store" in str(err.value)


def test_a_mistyped_database_path_is_an_error_and_creates_nothing(pages_jsonl, tmp_path):
    from serving.review.retrain import retrain_from_store

    missing = tmp_path / "typo" / "feedbak.sqlite3"
    with pytest.raises(TrainingDataError, match="no such feedback database"):
        retrain_from_store([pages_jsonl], missing, tmp_path / "out", mode="html", cv_folds=2, progress=False)
    assert not (tmp_path / "typo").exists()
