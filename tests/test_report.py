from __future__ import annotations

import json

import pytest

from training.metrics import PageScore
from training.report import compare_report, format_protocol, format_table, headline, protocol_rows, summarize


def page(
    page_id: str,
    page_type: str,
    f1: float,
    *,
    p: float | None = None,
    r: float | None = None,
    shingle: float = 0.5,
    with_: tuple[int, int] = (0, 0),
    without: tuple[int, int] = (0, 0),
    blocks: tuple[int, int, int] | None = None,
    teaser: tuple[int, int] = (0, 0),
) -> PageScore:
    tp, fp, fn = blocks if blocks is not None else (None, None, None)
    return PageScore(
        page_id=page_id,
        page_type=page_type,
        word_precision=f1 if p is None else p,
        word_recall=f1 if r is None else r,
        word_f1=f1,
        shingle_f1=shingle,
        with_found=with_[0],
        with_total=with_[1],
        without_found=without[0],
        without_total=without[1],
        block_tp=tp,
        block_fp=fp,
        block_fn=fn,
        teaser_chars_kept=teaser[0],
        teaser_chars_total=teaser[1],
    )


@pytest.fixture
def scores() -> list[PageScore]:
    # forum first on purpose: summaries must sort page types
    return [
        page("f1", "forum", 0.5, p=0.4, r=0.6, shingle=0.2, with_=(1, 1), without=(1, 1),
             blocks=(2, 3, 0), teaser=(0, 0)),
        page("a1", "article", 1.0, p=1.0, r=1.0, shingle=0.9, with_=(3, 4), without=(0, 2),
             blocks=(8, 1, 1), teaser=(10, 100)),
        page("a2", "article", 0.0, p=0.0, r=0.0, shingle=0.0, with_=(0, 2), without=(2, 2),
             teaser=(50, 100)),
    ]


def test_summarize_overall(scores):
    overall = summarize(scores)["overall"]
    assert overall["pages"] == 3
    assert overall["word_f1"] == 0.5
    assert overall["word_precision"] == pytest.approx(round(1.4 / 3, 4))
    assert overall["word_recall"] == pytest.approx(round(1.6 / 3, 4))
    assert overall["shingle_f1"] == pytest.approx(round(1.1 / 3, 4))
    # with: 4 found of 7; without: 3 leaked of 5
    assert overall["with_kept"] == round(4 / 7, 4)
    assert overall["without_leaked"] == 0.6
    # blocks micro-averaged over the two pages with labels: tp 10, fp 4, fn 1
    assert (overall["block_tp"], overall["block_fp"], overall["block_fn"]) == (10, 4, 1)
    assert overall["block_pages"] == 2
    assert overall["block_precision"] == round(10 / 14, 4)
    assert overall["block_recall"] == round(10 / 11, 4)
    assert overall["block_f1"] == round(2 * 10 / (2 * 10 + 4 + 1), 4)
    assert overall["teaser_leak"] == 0.3


def test_summarize_by_type_sorted(scores):
    summary = summarize(scores)
    assert list(summary["by_type"]) == ["article", "forum"]
    article = summary["by_type"]["article"]
    assert article["pages"] == 2
    assert article["word_f1"] == 0.5
    assert article["with_kept"] == 0.5
    assert article["without_leaked"] == 0.5
    assert article["block_f1"] == round(2 * 8 / (2 * 8 + 1 + 1), 4)
    assert article["teaser_leak"] == 0.3
    forum = summary["by_type"]["forum"]
    assert forum["pages"] == 1
    assert forum["word_precision"] == 0.4
    assert forum["block_precision"] == 0.4
    assert forum["block_recall"] == 1.0
    assert forum["teaser_leak"] is None


def test_summarize_none_when_nothing_to_divide():
    summary = summarize([page("x", "misc", 0.25)])
    group = summary["overall"]
    assert group["with_kept"] is None
    assert group["without_leaked"] is None
    assert group["block_f1"] is None and group["block_precision"] is None
    assert group["block_tp"] is None
    assert group["teaser_leak"] is None
    assert group["word_f1"] == 0.25


def test_summarize_empty():
    summary = summarize([])
    assert summary["overall"]["pages"] == 0
    assert summary["overall"]["word_f1"] is None
    assert summary["by_type"] == {}


def test_summarize_rounds_and_is_json_serialisable(scores):
    summary = summarize(scores)
    assert json.loads(json.dumps(summary)) == summary
    for group in [summary["overall"], *summary["by_type"].values()]:
        for value in group.values():
            if isinstance(value, float):
                assert value == round(value, 4)


def test_compare_report_keeps_order_and_validates(scores):
    a = summarize(scores)
    b = summarize(scores[:1])
    report = compare_report({"storyfilter": a, "keep-everything": b})
    assert list(report) == ["storyfilter", "keep-everything"]
    assert report["keep-everything"]["overall"]["pages"] == 1
    assert json.loads(json.dumps(report)) == report
    with pytest.raises(ValueError):
        compare_report({"broken": {"pages": 3}})


def test_format_table_sections_rows_and_numbers(scores):
    keep_all = [page("a1", "article", 0.25, teaser=(100, 100)), page("a2", "article", 0.75)]
    report = compare_report({"storyfilter": summarize(scores), "keep-everything": summarize(keep_all)})
    table = format_table(report)
    lines = table.splitlines()

    # sections: "all" first, then page types sorted
    section_titles = [line for line in lines if line.startswith("== ")]
    assert section_titles == ["== all ==", "== article ==", "== forum =="]

    assert "storyfilter" in table and "keep-everything" in table
    for header in ("pages", "word F1", "shingle F1", "with kept", "without leaked", "block F1", "teaser leak"):
        assert header in lines[1]

    all_rows = lines[lines.index("== all ==") + 3: lines.index("== all ==") + 5]
    story_row = next(row for row in all_rows if row.startswith("storyfilter"))
    keep_row = next(row for row in all_rows if row.startswith("keep-everything"))
    assert story_row.split()[1:] == [
        "3", "0.5000", "0.4667", "0.5333", "0.3667", "0.5714", "0.6000", "0.3000", "-", "-", "0.8000",
    ]
    # keep-everything has no snippets and no block labels: "-" where undefined
    assert keep_row.split()[1:] == ["2", "0.5000", "0.5000", "0.5000", "0.5000", "-", "-", "1.0000", "-", "-", "-"]

    # keep-everything has no forum pages: a row of dashes in that section
    forum_rows = lines[lines.index("== forum ==") + 3:]
    keep_forum = next(row for row in forum_rows if row.startswith("keep-everything"))
    assert set(keep_forum.split()[1:]) == {"-"}


def test_format_table_columns_line_up(scores):
    table = format_table({"s": summarize(scores), "a-much-longer-name": summarize(scores)})
    body = [line for line in table.splitlines() if line and not line.startswith("==")]
    header = body[0]
    # right edge of the last column is the same on every full row
    full_rows = [line for line in body if not line.startswith("-")]
    assert len({len(line) for line in full_rows}) == 1
    assert header.index("pages") > len("a-much-longer-name")


def test_format_table_empty():
    assert format_table({}).strip() == "(no systems)"


# ----- the protocol: cross-validation beside the hold-out ------------------------------------------

def _part(scores: list[PageScore], **extra) -> dict:
    keep_all = [page("k1", "article", 0.25, teaser=(100, 100))]
    return {"systems": {"storyfilter": summarize(scores), "keep-everything": summarize(keep_all)}, **extra}


@pytest.fixture
def protocol(scores) -> dict:
    cv = _part(scores, folds=3, grouped_by="registered domain", pages=3, sites=3, threshold=0.5,
               fold_thresholds=[0.45, 0.5, 0.55], threshold_rule="nested", train_only_pages=4)
    cv["views"] = {"extract": _part(scores[:1], fold_thresholds=[0.3, 0.3, 0.35], postfilter_threshold=0.3)}
    holdout = _part(scores[1:], fraction=0.2, seed=0, sites=1, pages=2, fit_pages=3, threshold=0.45,
                    threshold_picked_by="inner scores")
    holdout["views"] = {"extract": _part(scores[1:2], threshold=0.3)}
    return {"cross_validation": cv, "holdout": holdout}


def test_headline_puts_teaser_leak_beside_f1_and_without_leak(scores):
    overall = summarize(scores)["overall"]
    assert headline(overall) == "word F1 0.5000, without leaked 60.0%, teaser leak 30.0%"
    assert headline({"word_f1": None}) == "word F1 -, without leaked -, teaser leak -"


def test_protocol_rows_pair_cv_with_holdout(protocol):
    assert list(protocol_rows(protocol)) == [
        "storyfilter, cv", "storyfilter, hold-out", "keep-everything, cv", "keep-everything, hold-out",
        "storyfilter, cv, extract view", "storyfilter, hold-out, extract view",
        "keep-everything, cv, extract view", "keep-everything, hold-out, extract view"]
    assert list(protocol_rows({"cross_validation": protocol["cross_validation"], "holdout": None}))[:2] == [
        "storyfilter, cv", "keep-everything, cv"]
    skipped = {"cross_validation": None, "holdout": {"fraction": 0.2, "seed": 0, "skipped": "too few sites"}}
    assert protocol_rows(skipped) == {}


def test_format_protocol(protocol):
    text = format_protocol(protocol)
    lines = text.splitlines()
    assert lines[0].startswith("cross-validation: 3 folds grouped by registered domain, 3 pages from 3 sites "
                               "(+4 training-only pages, fitted on, never scored)")
    assert "thresholds picked on each fold's training pages: 0.45 0.5 0.55 (median 0.5)" in lines[0]
    assert "extract view thresholds (picked on the other folds): 0.3 0.3 0.35, post-filter threshold 0.3" in lines[0]
    assert lines[1].startswith("hold-out: 20% of sites (seed 0) kept out of every choice: 2 pages from 1 sites")
    table = lines[lines.index("== cross-validation vs hold-out, all pages ==") + 1:]
    header = table[0].split("  ")
    cells = [h.strip() for h in header if h.strip()]
    assert cells.index("teaser leak") == cells.index("without leaked") + 1
    assert "cross-validation by page type:" in lines and "hold-out by page type:" in lines

    only_cv = format_protocol({"cross_validation": protocol["cross_validation"], "holdout": None})
    assert "== cross-validation, all pages ==" in only_cv and "hold-out" not in only_cv
    skipped = format_protocol({**protocol, "holdout": {"fraction": 0.2, "seed": 0, "skipped": "too few sites"}})
    assert "hold-out: skipped (too few sites)" in skipped


def test_model_card_protocol(protocol):
    from training.model_card import render_model_card

    manifest = {"name": "m", "version": "1", "mode": "html", "threshold": 0.45, "threshold_rule": "picked",
                "training_data": {"pages": 9, "sites": 4, "blocks": 90, "story_share": 0.3, "sources": ["a"]},
                "cross_validation": protocol["cross_validation"], "holdout": protocol["holdout"]}
    card = render_model_card(manifest, "storyfilter train a -o m")
    assert "## Cross-validation vs hold-out" in card and "| storyfilter, hold-out | 2 |" in card
    assert "(nested): 0.45, 0.5, 0.55; median 0.5" in card
    assert "fitted on all 9 pages, hold-out included, after these figures were computed" in card
    assert "## Hold-out results by page type" in card
    # a manifest of training with feedback: threshold picked on pooled out-of-fold scores, no hold-out
    feedback = {**manifest, "cross_validation": {**protocol["cross_validation"], "threshold": 0.4}}
    del feedback["holdout"], feedback["threshold_rule"], feedback["cross_validation"]["fold_thresholds"]
    card = render_model_card(feedback, "storyfilter train a --feedback DB -o m")
    assert "0.4, picked on the out-of-fold scores of all pages (not nested)" in card
    assert "- Hold-out: none." in card and "is the cross-validated one" in card
