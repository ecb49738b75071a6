"""The shipped models on the hand-labelled hard pages (tests/pages/hard): story kept, clutter dropped.

Teaser widgets in eight languages and many shapes, comment threads, a forum thread, a
blog with a slideshow and a section listing; figures count characters per role (see
bench/hard_pages.py, which prints the same figures for any model directory).
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from classifier import load_model
from classifier.html_segmenter import segment_html
from classifier.text_segmenter import segment_text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from hard_pages import HARD, ROLES, PageFigures, label_files, load_labels, measure_page, pooled  # noqa: E402

# Pass marks, pooled over each mode's pages (characters, not blocks): a little looser than the
# shipped models' figures (bench/hard_pages.py), so a real regression fails them. The Dutch,
# Polish and Portuguese pages came after the shipped text model and raised the pooled leaks
# (docs/experiments.md, Round 24); the figures before them are given in brackets.
HTML_STORY_RECALL_MIN = 0.95  # shipped: 0.987 (0.992 before topic_page_idf, Round 25)
HTML_TEASER_LEAK_MAX = 0.30  # shipped: 0.277 (0.321 before topic_page_idf, Round 25)
HTML_BOILERPLATE_LEAK_MAX = 0.22  # shipped: 0.173 (0.154)
HTML_COMMENT_LEAK_MAX = 0.50  # shipped: 0.469 (the German comment cards are kept: a known miss below)
TEXT_STORY_RECALL_MIN = 0.95  # shipped: 0.993 (0.996)
TEXT_TEASER_LEAK_MAX = 0.60  # shipped: 0.570 (0.496)
TEXT_BOILERPLATE_LEAK_MAX = 0.20  # shipped: 0.179 (0.117)
# Pass marks for every single page that has the role.
PAGE_STORY_RECALL_MIN = 0.90
PAGE_TEASER_LEAK_MAX = {"html": 0.45, "text": 0.70}
PAGE_COMMENT_LEAK_MAX = 0.40
# Pages the shipped models still get wrong, as strict expected failures: fixing one fails the
# test until it is removed here.
KNOWN_MISSES = {  # (test, page) -> what goes wrong
    ("comments", "de_comments_cards.html"): "the German comment cards (div.comment-body) are all kept as story",
    ("teasers", "de_comments_cards.html"): "its 'Mehr aus Lokales' heading and list score 0.50-0.72",
    ("teasers", "es_sequia_aside.html"): "the 'Relacionadas' aside scores 0.48-0.68 and the 'Te puede interesar' "
                                         "cards (section.mod-7, div.mod-7__card) 0.44-0.55; the model before "
                                         "0.1.0+fb09dd8905 dropped the cards only because its inserted training "
                                         "widgets were named mod_x12 and card",
    ("teasers", "pt_barragem_vejatambem.txt"): "the 'Veja também' lines score 0.79-0.90 and the 'Leia mais' heading "
                                               "and first three cards' lines 0.52-0.72; only the last three lines "
                                               "(0.38-0.49) are dropped",
    ("teasers", "pl_tramwaj_zobacz.txt"): "every teaser line is kept: the 'Zobacz także' lines score 0.87-0.94 and "
                                          "the 'Polecane' heading and cards 0.55-0.66 (the HTML page drops the cards "
                                          "at 0.01-0.02)",
}


def _cases(test: str, role: str) -> list:
    """The pages with ``role`` blocks, known misses of ``test`` as strict expected failures."""
    names = [n for n, p in zip(PAGE_IDS, LABELS) if any(r["role"] == role for r in load_labels(p)["blocks"])]
    return [pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=KNOWN_MISSES[test, n]))
            if (test, n) in KNOWN_MISSES else n for n in names]

SET_MARKS = {
    "html": {"story_recall": (">=", HTML_STORY_RECALL_MIN), "teaser_leak": ("<=", HTML_TEASER_LEAK_MAX),
             "boilerplate_leak": ("<=", HTML_BOILERPLATE_LEAK_MAX), "comment_leak": ("<=", HTML_COMMENT_LEAK_MAX)},
    "text": {"story_recall": (">=", TEXT_STORY_RECALL_MIN), "teaser_leak": ("<=", TEXT_TEASER_LEAK_MAX),
             "boilerplate_leak": ("<=", TEXT_BOILERPLATE_LEAK_MAX)},
}
LABELS = label_files()
PAGE_IDS = [path.name.removesuffix(".labels.json") for path in LABELS]


@pytest.fixture(scope="module")
def figures() -> dict[str, PageFigures]:
    """Every labelled page scored once by the shipped models, by page file name."""
    model = load_model()
    return {name: measure_page(model, path) for name, path in zip(PAGE_IDS, LABELS)}


def test_every_page_has_labels():
    pages = sorted(p.name for p in HARD.iterdir() if p.suffix in (".html", ".txt"))
    assert pages and pages == sorted(PAGE_IDS)
    texts = [p for p in pages if p.endswith(".txt")]
    assert all(t.removesuffix(".txt") + ".html" in pages for t in texts), "a text rendering without its page"


@pytest.mark.parametrize("path", LABELS, ids=PAGE_IDS)
def test_labels_match_the_segmenter(path: Path):
    """Labels name the blocks the segmenter cuts today; a new segmentation needs new labels, not a new mark."""
    labels = load_labels(path)
    page = (HARD / labels["page"]).read_text(encoding="utf-8")
    blocks = segment_html(page) if labels["mode"] == "html" else segment_text(page)
    assert [b.text for b in blocks] == [row["text"] for row in labels["blocks"]]
    assert [row["index"] for row in labels["blocks"]] == list(range(len(blocks)))
    assert {row["role"] for row in labels["blocks"]} <= set(ROLES)
    assert labels["mode"] == ("html" if labels["page"].endswith(".html") else "text")
    assert any(row["role"] == "story" for row in labels["blocks"])


@pytest.mark.parametrize("mode", sorted(SET_MARKS))
def test_set_figures(figures: dict[str, PageFigures], mode: str):
    pages = [f for f in figures.values() if f.mode == mode]
    got = pooled(pages)
    failed = []
    for name, (op, mark) in SET_MARKS[mode].items():
        value = got[name]
        assert value is not None, f"{mode}: no characters for {name}"
        if not (value >= mark if op == ">=" else value <= mark):
            failed.append(f"{name} {value:.3f} (mark {op} {mark})")
    table = "\n".join(f"  {p.name}: " + ", ".join(f"{k} {v:.3f}" for k, v in p.figures().items() if v is not None)
                      for p in pages)
    assert not failed, f"{mode} set: " + "; ".join(failed) + "\n" + table


@pytest.mark.parametrize("name", PAGE_IDS)
def test_page_keeps_its_story(figures: dict[str, PageFigures], name: str):
    page = figures[name]
    recall = page.rate("story")
    lost = [f"#{i} {s:.2f} {t[:60]}" for i, role, s, t in page.misses if role == "story"]
    assert recall >= PAGE_STORY_RECALL_MIN, f"{name}: story recall {recall:.3f}; dropped: {lost}"


@pytest.mark.parametrize("name", _cases("teasers", "teaser"))
def test_page_drops_its_teasers(figures: dict[str, PageFigures], name: str):
    page = figures[name]
    leak = page.rate("teaser")
    kept = [f"#{i} {s:.2f} {t[:60]}" for i, role, s, t in page.misses if role == "teaser"]
    assert leak <= PAGE_TEASER_LEAK_MAX[page.mode], f"{name}: teaser leak {leak:.3f}; kept: {kept}"


@pytest.mark.parametrize("name", _cases("comments", "comment"))
def test_page_drops_its_comments(figures: dict[str, PageFigures], name: str):
    page = figures[name]
    leak = page.rate("comment")
    assert leak <= PAGE_COMMENT_LEAK_MAX, f"{name}: comment leak {leak:.3f}"


def test_a_story_in_an_element_named_artikel_is_kept():
    """Class words are learned from real pages only: inserted training widgets once named
    ``weitere-artikel`` taught the model that ``artikel`` is clutter, and it dropped this story."""
    page = (HARD.parent / "comments" / "de_cards.html").read_text(encoding="utf-8")
    result = load_model().filter_html(page)
    story = [b for b in result.blocks if "article.artikel>" in (b.path or "")]
    assert len(story) == 5
    assert all(b.label == "story" for b in story), [(round(b.score, 2), b.text[:40]) for b in story]


def test_the_bench_cuts_at_a_threshold_it_is_given():
    """``bench/hard_pages.py --threshold``: one cut for every page, to compare models at equal cuts."""
    model = load_model()
    path = next(p for p in LABELS if p.name.startswith("en_bridge_cards.html"))
    keep_all, keep_none = measure_page(model, path, 0.0), measure_page(model, path, 1.0)
    assert all(keep_all.kept[role] == keep_all.total[role] for role in ROLES)
    assert not any(keep_none.kept.values())
