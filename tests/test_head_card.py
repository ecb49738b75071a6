"""The model card's "Heads" section: written from the figures each head keeps, never stale."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from classifier.api import load_model_directory
from classifier.artifacts import CARD, verify_model_dir
from classifier.comment_role import CommentModel
from classifier.heads import save_head
from classifier.html_segmenter import segment_html
from classifier.page_type import PageTypeModel
from training.head_card import SECTION, refresh_card, save_head_with_figures

THREAD = """<html><body><article><h1>Harbour walls repaired</h1>
<p>Workers finished repairing the harbour walls on Friday after the winter storms had damaged them.</p></article>
<section id="comments"><h2>3 comments</h2><ol>
<li class="comment"><div>Ann B. · 2 May 2024</div><p>Good to see the work done before the summer season starts.</p></li>
<li class="comment"><div>portwatcher · 2 May 2024</div><p>It took far too long, the storms were in January.</p></li>
<li class="comment"><div>Ann B. · 3 May 2024</div><p>Better late than never, the walls look solid now.</p></li>
</ol></section><div class="footer">Contact us</div></body></html>"""

PAGE_TYPE_REPORT = {
    "mode": "html", "sites": 9, "folds": 5,
    "cv": {"pages": 12, "accuracy": 0.75, "macro_f1": 0.6667, "accuracy_collection_listing_merged": 0.75,
           "f1": {"article": 0.8, "forum": 0.5}, "labels": ["article", "forum"], "confusion": [[8, 2], [1, 1]]},
    "holdout": {"sites": 2, "pages": 3, "accuracy": 0.6667, "macro_f1": 0.4, "accuracy_collection_listing_merged":
                0.6667, "f1": {"article": 0.8}, "labels": ["article", "forum"], "confusion": [[2, 0], [1, 0]]},
}
COMMENT_REPORT = {"mode": "html", "folds": 5, "cv": {"pages": 10, "precision": 0.9123, "recall": 0.7012, "f1": 0.793,
                                                     "pages_with_comments": 4, "pages_given_comments": 4,
                                                     "pages_both": 4},
                  "holdout_story": "gold"}


def _heads(model_dir: Path, comment_report: dict | None) -> None:
    blocks = segment_html(THREAD)
    story = [b.text.startswith(("Harbour", "Workers")) for b in blocks]
    mask = [not s and i < len(blocks) - 1 and b.text != "3 comments" for i, (b, s) in enumerate(zip(blocks, story))]
    comments = CommentModel().fit([blocks, blocks], [story, story], [mask, mask])
    if comment_report is not None:
        save_head_with_figures(model_dir, "comments", comments, comment_report)
    else:
        save_head(model_dir, "comments", *comments.to_state())
    page_type = PageTypeModel().fit([blocks, blocks[:3]], ["article", "forum"])
    save_head_with_figures(model_dir, "page_type", page_type, PAGE_TYPE_REPORT)


def test_the_card_shows_each_heads_figures_once_and_the_model_still_verifies(model_copy: Path):
    html = model_copy / "html"
    _heads(html, COMMENT_REPORT)
    card = (html / CARD).read_text(encoding="utf-8")
    assert card.count(SECTION) == 1 and card.index(SECTION) < card.index("## Reproduce")
    assert "| cross-validation | 12 | 0.750 | 0.667 | 0.750 |" in card
    assert "| article | 8 | 2 | 0.80 |" in card  # the confusion table, row by true type
    assert "| cross-validation (gold story) | 10 | 4 | 0.912 | 0.701 | 0.793 |" in card
    verify_model_dir(html)
    loaded = load_model_directory(html)  # scoring ignores the figures
    assert loaded.heads.comments is not None and loaded.heads.page_type is not None
    assert np.isfinite(loaded.heads.comments.coef_).all()

    refresh_card(html)  # again: nothing doubles
    assert (html / CARD).read_text(encoding="utf-8") == card


def test_a_head_refitted_without_figures_leaves_the_card(model_copy: Path):
    html = model_copy / "html"
    _heads(html, COMMENT_REPORT)
    _heads(html, None)
    card = (html / CARD).read_text(encoding="utf-8")
    assert "Readers' comments" not in card and "### Page type" in card
    manifest = verify_model_dir(html)
    assert json.loads((html / "comments.json").read_text()).get("evaluation") is None
    assert manifest["files"][CARD]["bytes"] == len(card.encode("utf-8"))
