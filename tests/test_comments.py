"""Weak comment labels (training.comments) on hand-written pages, and comment leak as a measure.

The pages (tests/pages/comments, all names and places invented): an English
WordPress-style thread (``ol.comment-list``, form, "Recent comments" widget,
comment counters), German comment cards (``div.comment-body``), a German page
whose markup names nothing (heading and reply lines only), a forum thread and
a shop page whose reviews use comment markup.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from classifier.html_segmenter import segment_html
from training.alignment import align_labels
from training.comments import comment_mask
from training.dataset import Examples, build_examples
from training.folds import lean, take
from training.model_card import metrics_table
from training.readers import GoldPage
from training.report import format_table, summarize
from training.thresholds import page_score, score_examples

PAGES = Path(__file__).resolve().parent / "pages" / "comments"
#: Where each page's story lives (what the gold text holds).
STORY = {
    "en_wordpress.html": ("article.post>h1", "div.entry-content>p"),
    "de_cards.html": ("article.artikel>",),
    "de_plain_markup.html": ("div.x3>",),
    "en_forum.html": ("h1.thread-title", "div.post-body"),
    "en_product_reviews.html": ("h1.product_title", "short-description"),
}


def read(name: str) -> str:
    return (PAGES / name).read_text(encoding="utf-8")


def gold_of(name: str, html: str) -> str:
    return "\n".join(b.text for b in segment_html(html) if any(m in (b.path or "") for m in STORY[name]))


def flagged(name: str, html: str | None = None, page_type: str | None = None,
            gold: str | None = None) -> tuple[list[str], list[str]]:
    """(texts of the comment blocks, texts of the others) of a page."""
    html = read(name) if html is None else html
    blocks = segment_html(html)
    labels = align_labels(blocks, gold_of(name, html) if gold is None else gold)
    mask = comment_mask(blocks, labels, page_type)
    return [b.text for b, m in zip(blocks, mask) if m], [b.text for b, m in zip(blocks, mask) if not m]


def test_wordpress_thread_in_english_is_flagged_without_its_form_widgets_and_counters():
    comments, others = flagged("en_wordpress.html")
    for text in ("Mary Jones says:", "March 2, 2024 at 9:12 am", "Tom Alder says:", "Gwen says:", "Reply",
                 "Finally! I cycled across this morning and the new lanes are wonderful, wide enough to pass a "
                 "cargo bike without wobbling.",
                 "I will miss the little ferry. The crew knew every regular by name and always waited for the "
                 "late train."):
        assert text in comments
    assert any(t.startswith("4 thoughts on") for t in comments)  # the thread's heading
    assert len([t for t in comments if t == "Reply"]) == 4
    # the story, the form, the "Recent comments" widget, counters and the body's has-comments class
    for text in ("Harbour bridge reopens after two years of repairs", "Leave a Reply", "Comment *", "Name *",
                 "Your email address will not be published. Required fields are marked *", "Recent Comments",
                 "Ann on Ferry timetable changes for the spring", "Tide tables for the summer season 12 Comments",
                 "By Tom Alder · March 2, 2024 · 4 Comments", "Home"):
        assert text in others
    assert not any(t.startswith("The Harbour Bridge reopened") for t in comments)


def test_comment_cards_in_german():
    comments, others = flagged("de_cards.html")
    assert "Kommentare (3)" in comments and "Klaus M. 12.03.2024, 10:15 Uhr" in comments
    assert "Antworten Melden" in comments
    assert any(t.startswith("Einhundertzwanzig Parkplätze weniger") for t in comments)
    assert any(t.startswith("In Kopenhagen haben die Läden") for t in comments)
    assert not any(t.startswith(("Stadtrat beschließt", "Nach monatelangem Streit", "Die Händler")) for t in comments)
    assert "Startseite Lokales Kultur" in others and "© 2024 Uferblatt Verlag" in others


def test_neutral_markup_a_heading_or_reply_lines_each_suffice():
    page = read("de_plain_markup.html")
    bodies = ("Der Lesesaal unter dem Glasdach", "Schade, dass die Kinderabteilung", "Elf Millionen für eine")

    def has_thread(html: str) -> bool:
        comments, _ = flagged("de_plain_markup.html", html)
        return all(any(t.startswith(b) for t in comments) for b in bodies)

    no_heading = page.replace("<h3>Leserkommentare</h3>", "")
    no_replies = page.replace('<p class="x9">Antworten</p>', "")
    assert has_thread(page) and has_thread(no_heading) and has_thread(no_replies)
    comments, others = flagged("de_plain_markup.html", no_heading.replace('<p class="x9">Antworten</p>', ""))
    assert comments == []  # class names like x6 say nothing: no thread without a heading or reply lines
    assert "Leserkommentare" in flagged("de_plain_markup.html")[0]


def test_forum_posts_are_never_comments():
    # the posts sit in "comment" markup; they are the page's content
    assert flagged("en_forum.html", page_type="forum")[0] == []
    assert flagged("en_forum.html")[0] == []  # the gold keeps the posts: their thread is the story
    html = read("en_forum.html")
    question = "\n".join(t for t in gold_of("en_forum.html", html).splitlines()[:2])
    assert flagged("en_forum.html", page_type="forum", gold=question)[0] == []  # even replies the gold leaves out


def test_product_reviews_are_not_comments_even_in_comment_markup():
    comments, others = flagged("en_product_reviews.html", page_type="product")
    assert comments == []
    assert any(t.startswith("Kept my water icy") for t in others)


def test_a_review_word_on_the_comment_body_itself_does_not_make_reviews():
    html = read("en_wordpress.html").replace('<div class="comment-content"><p>Finally!',
                                             '<div class="comment-content reviewText">Finally!', 1)
    html = html.replace("without wobbling.</p></div>", "without wobbling.</div>", 1)
    comments, _ = flagged("en_wordpress.html", html)
    assert any(t.startswith("Finally! I cycled across") for t in comments)


def gold_page(name: str, page_type: str = "article") -> GoldPage:
    html = read(name)
    return GoldPage(id=name, main_text=gold_of(name, html), html=html, url=f"https://{name[:2]}.example.org/a",
                    page_type=page_type)


def test_build_examples_marks_comments_in_html_text_and_extract_renderings():
    pages = [gold_page("en_wordpress.html"), gold_page("de_cards.html"), gold_page("en_forum.html", "forum")]
    html = build_examples(pages, "html", progress=False)
    for blocks, labels, source, mask in zip(html.pages, html.labels, html.sources, html.comments):
        assert mask == comment_mask(blocks, labels, source.page_type)
    assert sum(html.comments[0]) > 10 and not any(html.comments[2])
    text = build_examples(pages, "text", progress=False)
    for k, blocks in enumerate(text.pages):  # line for line, as the labels
        assert len(text.comments[k]) == len(blocks) == len(text.labels[k])
        assert [b.text for b, m in zip(blocks, text.comments[k]) if m] == \
            [b.text for b, m in zip(html.pages[k], html.comments[k]) if m]
    view = text.views["extract"]
    for k, blocks in enumerate(view.pages):
        assert len(view.comments[k]) == len(blocks)
        kept = {b.text for b, m in zip(blocks, view.comments[k]) if m}
        assert kept <= {b.text for b, m in zip(html.pages[k], html.comments[k]) if m}


def test_examples_keep_comment_masks_through_extend_take_and_lean():
    ex = build_examples([gold_page("en_wordpress.html"), gold_page("de_cards.html")], "html", progress=False)
    picked = take(ex, [1, 0])
    assert picked.comments == [ex.comments[1], ex.comments[0]]
    assert lean(ex).comments == ex.comments
    bare = Examples([], [], [], [])  # a reader that appends pages without masks
    bare.pages.append(ex.pages[0])
    bare.labels.append(ex.labels[0])
    bare.groups.append("x")
    bare.sources.append(ex.sources[0])
    bare.extend(ex, 1, 2)
    assert bare.comments == [[False] * len(ex.pages[0]), ex.comments[1]]
    assert bare.comment_mask(0) == [False] * len(ex.pages[0])


@pytest.mark.parametrize("mode", ["html", "text"])
def test_comment_masks_line_up_across_mixed_sources(tmp_path, mode):
    """Labelled blocks carry no comment mask: merged with gold pages, every page keeps its own, index for index."""
    import json

    from training.train import load_examples

    pages = tmp_path / "pages.jsonl"
    pages.write_text("".join(json.dumps({"id": p.id, "url": p.url, "html": p.html, "main_text": p.main_text,
                                         "page_type": p.page_type}) + "\n"
                             for p in (gold_page("en_wordpress.html"), gold_page("de_cards.html"))))
    blocks = tmp_path / "blocks.jsonl"
    blocks.write_text("".join(json.dumps({"page_id": "lab", "position": i, "text": t, "label": y}) + "\n"
                              for i, (t, y) in enumerate([("A story line about a harbour.", "story"),
                                                          ("Home", "boilerplate")])))
    for sources in ([blocks, pages], [pages, blocks]):
        examples = load_examples(sources, mode, progress=False)
        for ex in (examples, *examples.views.values()):
            assert [len(m) for m in ex.comments] == [len(p) for p in ex.pages]
        lab = [s.id for s in examples.sources].index("lab")
        assert not any(examples.comments[lab])
        assert sum(map(sum, examples.comments)) > 10


def test_page_scores_and_reports_show_comment_leak_and_comment_words():
    ex = build_examples([gold_page("en_wordpress.html"), gold_page("de_cards.html")], "html", progress=False)
    everything = [page_score(ex, i, [True] * len(p)) for i, p in enumerate(ex.pages)]
    story_only = [page_score(ex, i, [bool(y) for y in ex.labels[i]]) for i in range(len(ex.pages))]
    for score, mask, blocks in zip(everything, ex.comments, ex.pages):
        assert score.comment_chars_total == score.comment_chars_kept == sum(len(b.text) for b, m in zip(blocks, mask)
                                                                             if m) > 0
        assert 0 < score.comment_words_kept < score.words_kept
    assert all(s.comment_chars_kept == 0 and s.comment_words_kept == 0 for s in story_only)

    kept_all, kept_story = summarize(everything)["overall"], summarize(story_only)["overall"]
    assert kept_all["comment_leak"] == 1.0 and kept_story["comment_leak"] == 0.0
    assert kept_all["comment_words"] == round(sum(s.comment_words_kept for s in everything)
                                              / sum(s.words_kept for s in everything), 4)
    assert kept_story["comment_words"] == 0.0

    # half the comment characters of the first page kept: the leak is their share
    scores = [np.where(np.asarray(ex.labels[i]) == 1, 0.9, 0.1) for i in range(len(ex.pages))]
    first = [i for i, m in enumerate(ex.comments[0]) if m]
    scores[0][first[: len(first) // 2]] = 0.9
    half = score_examples(ex, scores, 0.5)
    kept = sum(len(ex.pages[0][i].text) for i in first[: len(first) // 2])
    assert half[0].comment_chars_kept == kept

    table = format_table({"storyfilter": summarize(half), "keep-everything": summarize(everything)})
    header = [h.strip() for h in table.splitlines()[1].split("  ") if h.strip()]
    assert header.index("comment leak") == header.index("teaser leak") + 1
    assert header.index("comment words") == header.index("comment leak") + 1
    row = next(line for line in table.splitlines() if line.startswith("keep-everything"))
    assert "1.0000" in row.split()

    card = metrics_table({"systems": {"storyfilter": summarize(half), "keep-everything": summarize(everything)}})
    columns = [c.strip() for c in card.splitlines()[0].strip("|").split("|")]
    assert columns[columns.index("teaser leak") + 1:columns.index("teaser leak") + 3] == ["comment leak",
                                                                                       "comment words"]
    assert "| all — keep-everything | 2 |" in card and "| 1.000 |" in card


@pytest.mark.parametrize("name", sorted(STORY))
def test_pages_have_their_story(name):
    """The test pages' story markers find the story (a guard against edits to the pages)."""
    assert len(gold_of(name, read(name)).splitlines()) >= 2
