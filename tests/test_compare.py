"""bench/compare.py end to end on a tiny corpus: out-of-fold storyfilter, the baseline, a peer that may be absent."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import compare
from bench.peers import Peer
from extras import require
from synthetic import make_pages


def write_corpus(path: Path) -> Path:
    """JSONL pages from 4 fake sites, two page types, with `with`/`without` snippets."""
    pages = make_pages(n_sites=4, pages_per_site=3, seed=11)
    with path.open("w", encoding="utf-8") as handle:
        for i, p in enumerate(pages):
            row = {"id": p.id, "url": p.url, "html": p.html, "main_text": p.main_text,
                   "page_type": "article" if i % 3 else "listing",
                   "with": [p.paragraphs[0][:40]], "without": [p.teasers[0]]}
            handle.write(json.dumps(row) + "\n")
    return path


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> tuple[dict, Path]:
    root = tmp_path_factory.mktemp("compare")
    corpus = write_corpus(root / "pages.jsonl")
    code = compare.main([str(corpus), "--folds", "2", "--systems", "storyfilter,keep-everything,trafilatura",
                         "--cache", str(root / "cache"), "--out", str(root / "compare.json"),
                         "--table", str(root / "compare.md"), "--plot", str(root / "compare.png"),
                         "--also-thresholds", "0,1"])
    assert code == 0
    return json.loads((root / "compare.json").read_text(encoding="utf-8")), root


def test_storyfilter_scored_out_of_fold(report) -> None:
    data, _ = report
    sf = data["systems"]["storyfilter"]
    assert sf["status"] == "scored" and sf["folds"] == 2 and sf["errors"] == 0
    # trained as the shipped model is: with training-only copies that carry teaser widgets, never scored
    assert sf["augment"] == 0.5 and sf["training_only_pages"] >= 4
    overall = sf["summary"]["overall"]
    everything = data["systems"]["keep-everything"]["summary"]["overall"]
    assert overall["pages"] == 12 and overall["with_total"] == overall["without_total"] == 12
    assert overall["with_kept"] == overall["with_found"] / 12 and overall["without_leaked"] == overall["without_found"] / 12
    # out of fold it must beat keeping every word: fewer words, most of the teasers gone, the story kept
    assert overall["words_kept"] < everything["words_kept"]
    assert overall["word_precision"] > everything["word_precision"] + 0.1
    assert overall["word_f1"] > everything["word_f1"] + 0.05
    assert overall["without_leaked"] <= 0.5 and overall["with_kept"] >= 0.75
    assert set(sf["summary"]["by_type"]) == {"article", "listing"}
    assert sum(row["pages"] for row in sf["summary"]["by_type"].values()) == 12
    assert sf["timing"]["median_ms"] > 0 and sf["speed_ratio"] == 1.0  # the baseline of every ratio


def test_speed_ratios_divide_by_storyfilter_median(report) -> None:
    systems = report[0]["systems"]
    base = systems["storyfilter"]["timing"]["median_ms"]
    for name in ("keep-everything", "trafilatura"):
        median = systems[name]["timing"]["median_ms"]
        assert median > 0 and systems[name]["speed_ratio"] == round(median / base, 2)


def test_other_thresholds_cut_the_same_scores(report) -> None:
    """At 0 every block is kept, at 1 none (a score never reaches 1): rows from the timed run's scores."""
    data, _ = report
    default = data["systems"]["storyfilter"]["summary"]["overall"]
    keep_all, keep_none = data["systems"]["storyfilter @ 0"], data["systems"]["storyfilter @ 1"]
    assert keep_all["threshold"] == 0.0 and keep_none["threshold"] == 1.0
    everything = data["systems"]["keep-everything"]["summary"]["overall"]
    for key in ("words_kept", "word_precision", "word_recall", "without_leaked"):  # all kept: as keeping everything
        assert keep_all["summary"]["overall"][key] == everything[key]
    assert keep_all["summary"]["overall"]["word_recall"] == 1.0 >= default["word_recall"]
    assert keep_none["empty_outputs"] == default["pages"] == 12
    assert keep_none["summary"]["overall"]["words_kept"] == 0 and keep_none["summary"]["overall"]["word_f1"] == 0.0


def test_keep_everything_and_peer_rows(report) -> None:
    data, _ = report
    keep = data["systems"]["keep-everything"]
    assert keep["status"] == "scored" and keep["errors"] == 0
    overall = keep["summary"]["overall"]
    # the page's whole text holds every story word, every `with` and every `without` snippet
    assert overall["word_recall"] == 1.0 and overall["with_kept"] == 1.0 and overall["without_leaked"] == 1.0
    assert overall["word_precision"] < 0.9  # and the teasers, menus and footers besides
    require("trafilatura", "bench")
    traf = data["systems"]["trafilatura"]
    assert traf["status"] == "scored" and traf["version"] and traf["errors"] == 0
    assert traf["summary"]["overall"]["pages"] == 12 and traf["summary"]["overall"]["word_recall"] > 0.5


def test_postfilter_and_files(report) -> None:
    data, root = report
    post = data["postfilter"]
    assert post["text_pages_match_html_pages"] and "keep-everything" in post["sources"]
    plain = post["sources"]["keep-everything"]
    before, after = plain["before"]["overall"], plain["after"]["overall"]
    assert before["without_leaked"] == 1.0 and after["without_leaked"] < before["without_leaked"]
    assert after["word_precision"] > before["word_precision"] and after["word_f1"] > before["word_f1"]
    table = (root / "compare.md").read_text(encoding="utf-8")
    assert "| **storyfilter**" in table and "keep-everything" in table
    require("matplotlib", "bench")
    assert data["plot"] == f"plot written to {root / 'compare.png'}"
    assert (root / "compare.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_teaser_leak_reported_for_every_system(report) -> None:
    data, root = report
    systems = data["systems"]
    assert data["pages_with_teasers"] == 12  # every fake page has a "Recommended for you" list
    leak = {name: systems[name]["summary"]["overall"]["teaser_leak"] for name in ("storyfilter", "keep-everything")}
    assert systems["keep-everything"]["summary"]["overall"]["teaser_chars_total"] > 0
    assert leak["keep-everything"] >= 0.95  # all the page's text holds every teaser
    assert leak["storyfilter"] < leak["keep-everything"] - 0.3
    blocks = systems["storyfilter"]["teaser_leak_by_blocks"]
    assert blocks["pages_aligned"] == 12 and blocks["teaser_chars_total"] > 0
    for name in ("storyfilter", "keep-everything"):
        by_type = systems[name]["summary"]["by_type"]
        assert all(row["teaser_leak"] is not None for row in by_type.values())
    plain = data["postfilter"]["sources"]["keep-everything"]
    assert plain["after"]["overall"]["teaser_leak"] < plain["before"]["overall"]["teaser_leak"]
    table = (root / "compare.md").read_text(encoding="utf-8")
    assert "| word F1 | teaser leak |" in table and "## Teaser leak by page type" in table
    assert "teaser leak before → after" in table


def test_cache_reused(report, tmp_path) -> None:
    _, root = report
    corpus = root / "pages.jsonl"
    compare.main([str(corpus), "--folds", "2", "--systems", "storyfilter", "--cache", str(root / "cache"),
                  "--out", str(tmp_path / "c.json"), "--table", str(tmp_path / "c.md"),
                  "--plot", str(tmp_path / "c.png")])
    data = json.loads((tmp_path / "c.json").read_text(encoding="utf-8"))
    assert data["systems"]["storyfilter"]["fold_models_from_cache"] == 2
    assert data["postfilter"] is None  # no text source among the systems run


def test_missing_and_failing_peers(report, tmp_path, monkeypatch) -> None:
    _, root = report

    def missing():
        raise ImportError("No module named 'goose3'")

    def failing():
        def extract(raw: bytes) -> str:
            raise ValueError("cannot parse")
        return extract

    monkeypatch.setitem(compare.PEERS, "goose3", Peer("goose3", "goose3", "test", missing))
    monkeypatch.setitem(compare.PEERS, "boilerpy3", Peer("boilerpy3", "boilerpy3", "test", failing))
    compare.main([str(root / "pages.jsonl"), "--folds", "2", "--systems", "goose3,boilerpy3,keep-everything",
                  "--limit", "5", "--out", str(tmp_path / "c.json"), "--table", str(tmp_path / "c.md"),
                  "--plot", str(tmp_path / "c.png")])
    data = json.loads((tmp_path / "c.json").read_text(encoding="utf-8"))
    assert data["systems"]["goose3"]["status"] == "not installed"
    broken = data["systems"]["boilerpy3"]
    assert broken["errors"] == 5 and broken["summary"]["overall"]["word_f1"] == 0.0
    assert "not installed" in (tmp_path / "c.md").read_text(encoding="utf-8")
