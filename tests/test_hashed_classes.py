"""Hashed class names in augmented copies: every class and id renamed, consistently, nothing else changed."""
from __future__ import annotations

import random
import re

import pytest
from test_augment import gold_pages

from classifier.html_segmenter import segment_html
from training.augment import augment_pages
from training.hashed_classes import hash_class_names

PAGE = """<html><body><div class="site-nav top" id="nav"><a href="/">Home</a></div>
<main class="story-body"><p class="lead">First paragraph of the story, long enough to be a block.</p>
<p class="lead">Second paragraph of the story, long enough to be a block as well.</p></main>
<aside class="related top"><ul><li class="item"><a href="/a-b-c-d">Another story elsewhere</a></li>
<li class="item"><a href="/e-f-g-h">Yet another story elsewhere</a></li></ul></aside></body></html>"""

_NAME = re.compile(r"css-[a-z0-9]{7}")


def _attribute_values(markup: str, attribute: str) -> list[str]:
    return re.findall(rf'{attribute}="([^"]*)"', markup)


def test_every_class_and_id_token_is_replaced_by_a_hashed_name():
    out = hash_class_names(PAGE, random.Random(0))
    tokens = [t for name in ("class", "id") for value in _attribute_values(out, name) for t in value.split()]
    assert len(tokens) == 10 and all(_NAME.fullmatch(t) for t in tokens)
    for word in ("site-nav", "story-body", "lead", "related", "item", "nav", "top"):
        assert f'"{word}' not in out and f' {word}"' not in out


def test_the_same_token_gets_the_same_name_across_the_page():
    out = hash_class_names(PAGE, random.Random(1))
    classes = _attribute_values(out, "class")
    nav, lead1, lead2, related, item1, item2 = classes[0], classes[2], classes[3], classes[4], classes[5], classes[6]
    assert lead1 == lead2 and item1 == item2  # repeated items still share their names
    assert nav.split()[1] == related.split()[1]  # "top" on two elements
    assert len({nav.split()[0], classes[1], lead1, related.split()[0], item1}) == 5


def test_blocks_keep_their_text_and_layout():
    before, after = segment_html(PAGE), segment_html(hash_class_names(PAGE, random.Random(2)))
    assert [(b.text, b.kind, b.link_share) for b in before] == [(b.text, b.kind, b.link_share) for b in after]
    words = {w for b in after for w in b.dom_tokens}
    assert not words & {"story", "body", "related", "lead", "nav", "item"}


def test_a_share_of_copies_is_hashed_and_their_text_is_unchanged():
    pages = gold_pages()
    plain = augment_pages(pages, 1.0, seed=0)
    hashed = augment_pages(pages, 1.0, seed=0, hashed_classes=0.5)
    assert [p.id for p in plain] == [p.id for p in hashed]
    changed = [(a, b) for a, b in zip(plain, hashed) if a.html != b.html]
    assert 0 < len(changed) < len(plain)
    for a, b in changed:
        assert [x.text for x in segment_html(a.html)] == [x.text for x in segment_html(b.html)]
        assert all(_NAME.fullmatch(t) for v in _attribute_values(b.html, "class") for t in v.split())
    every = augment_pages(pages, 1.0, seed=0, hashed_classes=1.0)
    assert all(a.html != b.html for a, b in zip(plain, every))


def test_hashed_copies_keep_their_teaser_and_comment_marks():
    """Hashing hides the class words from the model, not the inserted widgets from the training
    labels: the teaser blocks of a copy that get a weight in the fits are the same hashed or not."""
    from training.dataset import build_examples

    pages = gold_pages()
    plain = build_examples(pages, "html", seed=0, progress=False, augment=1.0, augment_threads=True)
    hashed = build_examples(pages, "html", seed=0, progress=False, augment=1.0, augment_threads=True,
                            augment_hashed_classes=1.0)
    n = len(pages)
    assert all(p.named_html is not None for p in hashed.sources[n:])
    assert any(any(mask) for mask in plain.teasers[n:])
    assert hashed.teasers == plain.teasers
    assert hashed.comments == plain.comments
    assert hashed.labels == plain.labels


def test_a_share_outside_zero_to_one_is_refused():
    with pytest.raises(ValueError, match="hashed-classes share"):
        augment_pages(gold_pages(), 0.5, hashed_classes=1.5)


def test_cli_needs_augment_and_records_the_option(tmp_path, pages_jsonl):
    from click.testing import CliRunner

    from serving.cli import main

    alone = CliRunner().invoke(main, ["train", str(pages_jsonl), "-o", str(tmp_path / "m"),
                                      "--augment-hashed-classes", "0.5"])
    assert alone.exit_code == 2 and "--augment-hashed-classes needs --augment" in alone.output
    out = tmp_path / "hashed"
    result = CliRunner().invoke(main, ["train", str(pages_jsonl), "-o", str(out), "--cv-folds", "0",
                                       "--augment", "0.5", "--augment-hashed-classes", "0.5", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "--augment 0.5 --augment-hashed-classes 0.5" in (out / "MODEL_CARD.md").read_text(encoding="utf-8")
    evaluated = CliRunner().invoke(main, ["eval", str(pages_jsonl), "--augment-hashed-classes", "0.5"])
    assert evaluated.exit_code == 2 and "--augment-hashed-classes needs --augment" in evaluated.output


def test_the_hard_pages_keep_their_labelled_blocks_when_hashed():
    """bench/hard_pages.py --hashed-classes scores the labelled blocks, so hashing must not change one."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    from hard_pages import label_files, load_labels

    for path in label_files("html"):
        labels = load_labels(path)
        page = (path.parent / labels["page"]).read_text(encoding="utf-8")
        hashed = hash_class_names(page, random.Random(labels["page"]))
        assert hashed != page
        assert [b.text for b in segment_html(hashed)] == [row["text"] for row in labels["blocks"]], labels["page"]
