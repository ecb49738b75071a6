"""Teaser-widget augmentation: seeded copies of gold pages with widgets of other sites' headlines,
labelled boilerplate by the alignment, flagged training-only, originals untouched."""
from __future__ import annotations

import dataclasses

import copy
import random
import re

import pytest
from synthetic import make_pages

from classifier.html_segmenter import segment_html
from training import augment as aug
from training.alignment import align_labels
from training.augment import augment_html, augment_pages, check_insertion, donor_pool, first_sentence, html_title
from training.dataset import build_examples
from training.readers import GoldPage
from training.widgets import CONTAINER_SHAPES, INLINE_SHAPES, TELLING_CLASSES


def gold_pages(n_sites: int = 8, per_site: int = 3, seed: int = 7) -> list[GoldPage]:
    return [GoldPage(id=p.id, main_text=p.main_text, html=p.html, url=p.url)
            for p in make_pages(n_sites, per_site, seed=seed)]


@pytest.fixture(scope="module")
def pages() -> list[GoldPage]:
    return gold_pages()


def inserted_and_kept(original: GoldPage, augmented: GoldPage) -> tuple[list[int], list[int], list[int]]:
    """Labels of the augmented page's new blocks, and the original's labels before and after.

    The original blocks are found as a subsequence of the augmented ones (greedy, by text).
    """
    before, after = segment_html(original.html), segment_html(augmented.html)
    la, lb = align_labels(before, original.main_text), align_labels(after, augmented.main_text)
    i, new, kept = 0, [], []
    for j, block in enumerate(after):
        if i < len(before) and block.text == before[i].text:
            kept.append(lb[j])
            i += 1
        else:
            new.append(lb[j])
    assert i == len(before), "an original block was changed or lost"
    return new, la, kept


def test_same_seed_same_copies_other_seed_others(pages):
    first, again = augment_pages(pages, 0.5, seed=3), augment_pages(pages, 0.5, seed=3)
    assert [(p.id, p.html) for p in first] == [(p.id, p.html) for p in again]
    other = augment_pages(pages, 0.5, seed=4)
    assert [(p.id, p.html) for p in other] != [(p.id, p.html) for p in first]


def test_share_ids_sites_and_gold_text(pages):
    copies = augment_pages(pages, 0.5, seed=0)
    assert len(copies) == 12  # every copy of these pages passes the check
    by_id = {p.id: p for p in pages}
    for c in copies:
        assert c.id.endswith("~aug")
        source = by_id[c.id.removesuffix("~aug")]
        assert (c.url, c.domain, c.main_text, c.page_type) == (source.url, source.domain, source.main_text,
                                                               source.page_type)
        assert c.html != source.html
    assert augment_pages(pages, 0.0) == []
    assert len(augment_pages(pages, 1.0)) == len(pages)
    # a page without a URL is its own site (its id): its copy must still be in that site
    no_url = [dataclasses.replace(p, url=None) for p in pages]
    for c in augment_pages(no_url, 0.5, seed=0):
        assert c.domain == c.id.removesuffix("~aug") != c.id
    with pytest.raises(ValueError):
        augment_pages(pages, 1.5)


def test_only_pages_with_html_and_gold_text_are_copied(pages):
    no_html = GoldPage(id="t1", main_text="Some gold text here.", text="Some gold text here.", url="https://a.test/x")
    no_gold = GoldPage(id="t2", main_text="  ", html=pages[0].html, url="https://b.test/y")
    copies = augment_pages([*pages, no_html, no_gold], 1.0, seed=0)
    assert {c.id for c in copies} == {p.id + "~aug" for p in pages}


def test_inserted_blocks_are_boilerplate_and_original_labels_stay(pages):
    by_id = {p.id: p for p in pages}
    copies = augment_pages(pages, 1.0, seed=1)
    assert copies
    for c in copies:
        new, before, after = inserted_and_kept(by_id[c.id.removesuffix("~aug")], c)
        assert new and not any(new), c.id
        assert before == after, c.id
        assert any(before), c.id  # the story is still there, labelled story


def test_check_insertion_sees_a_cut_block():
    html = "<body><p>The harbour board voted to rebuild the pier before winter came.</p></body>"
    cut = ("<body><p>The harbour board voted</p><div>More from us</div>"
           "<p>to rebuild the pier before winter came.</p></body>")
    gold = "The harbour board voted to rebuild the pier before winter came."
    check = check_insertion(segment_html(html), segment_html(cut), gold)
    assert not check.ok and check.changed
    fine = html.replace("</body>", "<ul><li><a href='/x'>Ten tricks for your garden</a></li></ul></body>")
    assert check_insertion(segment_html(html), segment_html(fine), gold).ok


def test_headlines_come_from_other_sites_only(pages):
    titles_by_site: dict[str, set[str]] = {}
    for p in pages:
        titles_by_site.setdefault(p.domain, set()).add(html_title(p.html))
    by_id = {p.id: p for p in pages}
    for c in augment_pages(pages, 1.0, seed=2):
        source = by_id[c.id.removesuffix("~aug")]
        new_texts = {b.text for b in segment_html(c.html)} - {b.text for b in segment_html(source.html)}
        others = set().union(*(t for site, t in titles_by_site.items() if site != source.domain))
        assert any(any(t in text for t in others) for text in new_texts)
        for own in titles_by_site[source.domain]:
            assert not any(own in text for text in new_texts), (c.id, own)


def test_a_page_with_no_other_site_gets_no_copy(pages):
    one_site = [p for p in pages if p.domain == pages[0].domain]
    assert augment_pages(one_site, 1.0, seed=0) == []


def test_pages_without_headlines_lend_nothing(pages):
    untitled = [GoldPage(id=p.id, main_text=p.main_text, url=p.url,
                         html=re.sub(r"<(title|h1)>.*?</\1>", "", p.html)) for p in pages]
    assert donor_pool(untitled) == []
    assert augment_pages(untitled, 1.0, threads=False) == []


def test_threads_are_off_unless_asked_for(pages):
    articles = [dataclasses.replace(p, page_type="article") for p in pages]
    plain, threaded = augment_pages(articles, 1.0, seed=0), augment_pages(articles, 1.0, seed=0, threads=True)
    assert [p.id for p in plain] == [p.id for p in threaded]
    changed = [a for a, b in zip(plain, threaded) if a.html != b.html]
    assert changed and len(changed) < len(plain)  # only the copies that drew a thread differ


def _thread_copies(pages, seed=0):
    pool, sentences = donor_pool(pages), aug.sentence_pool(pages)
    for page in pages:
        made = augment_html(page, pool, random.Random(f"{seed}:{page.id}"), sentences,
                            random.Random(f"{seed}:{page.id}:thread"))
        if made is not None and "comment-thread" in made.shapes:
            yield page, made


def test_some_article_copies_get_a_comment_thread_of_other_sites_prose(pages):
    articles = [dataclasses.replace(p, page_type="article") for p in pages]
    copies = list(_thread_copies(articles))
    assert 0 < len(copies) < len(articles)  # a share of the pages, not all
    texts_by_site: dict[str, set[str]] = {}
    for p in articles:
        texts_by_site.setdefault(p.domain, set()).update(" ".join(x.split()) for x in p.main_text.splitlines())
    for page, made in copies:
        original = [b.text for b in segment_html(page.html)]
        new = [b.text for b in segment_html(made.html) if b.text not in original]
        labels = align_labels(segment_html(made.html), page.main_text)
        assert sum(labels) == sum(align_labels(segment_html(page.html), page.main_text))  # the thread is not story
        own = texts_by_site[page.domain]
        long_new = [t for t in new if len(t.split()) >= 8]
        assert long_new and not any(t in own for t in long_new)  # posts quote other sites' prose only


def test_forum_and_product_pages_get_no_comment_thread(pages):
    for kind in ("forum", "product"):
        typed = [dataclasses.replace(p, page_type=kind) for p in pages]
        assert list(_thread_copies(typed)) == []


def test_shapes_places_languages_and_classes_vary(pages):
    pool = donor_pool(pages)
    site = {p.id: p.domain for p in pages}
    shapes, places, languages, classes = set(), set(), set(), set()
    for k in range(80):
        page = pages[k % len(pages)]
        made = augment_html(page, pool, random.Random(k))
        assert made is not None
        assert made.donors and all(site[d] != page.domain for d in made.donors)
        shapes.update(made.shapes)
        places.update(made.places)
        languages.add(made.language)
        classes.update(re.findall(r'class="([^"]+)"', made.html))
    assert shapes == set(CONTAINER_SHAPES) | set(INLINE_SHAPES)
    assert places == {"after-story", "in-story", "sidebar", "body-end"}
    assert len(languages) >= 6 and "en" in languages
    assert classes & set(TELLING_CLASSES)
    assert len(classes - set(TELLING_CLASSES)) >= 5  # obfuscated ones, each new


HAND_WRITTEN = """<!DOCTYPE html><html lang="en"><head><title>Ferry timetable changes | Bay News</title></head>
<body><div class="nav"><a href="/">Home</a> <a href="/news">News</a></div>
<div class="layout"><div class="story"><h1>Ferry timetable changes for the winter</h1>
<p>The ferry operator will run two fewer crossings each weekday from the first of November.</p>
<p><span><b>Commuters who rely on the early boat</b> said they would have to leave home even sooner.</span></p>
<ul><li>Monday to Friday: four crossings a day instead of six in both directions.</li>
<li>Weekends: no change to the three crossings that run at present on each day.</li></ul>
</div><div class="footer">Copyright Bay News</div></div></body></html>"""
HAND_GOLD = """Ferry timetable changes for the winter
The ferry operator will run two fewer crossings each weekday from the first of November.
Commuters who rely on the early boat said they would have to leave home even sooner.
Monday to Friday: four crossings a day instead of six in both directions.
Weekends: no change to the three crossings that run at present on each day."""


def test_after_story_widget_follows_the_last_paragraph_outside_its_list(pages, monkeypatch):
    """The story ends in a list: the widget goes after the list, never inside an <li> or a <p>."""
    monkeypatch.setattr(aug, "PLACES", {"after-story": 1.0})
    page = GoldPage(id="ferry", main_text=HAND_GOLD, html=HAND_WRITTEN, url="https://www.bay-news.test/ferry")
    for k in range(10):
        made = augment_html(page, donor_pool(pages), random.Random(k))
        assert made is not None and set(made.places) == {"after-story"}
        blocks = segment_html(made.html)
        labels = align_labels(blocks, HAND_GOLD)
        last_story = max(i for i, y in enumerate(labels) if y)
        assert blocks[last_story].text.startswith("Weekends")
        assert labels[last_story + 1] == 0 and "li" not in blocks[last_story + 1].path.split(">")[-2:]
        assert blocks[-1].text == "Copyright Bay News"


def test_in_story_line_never_splits_a_paragraph(pages, monkeypatch):
    monkeypatch.setattr(aug, "PLACES", {"in-story": 1.0})
    page = GoldPage(id="ferry", main_text=HAND_GOLD, html=HAND_WRITTEN, url="https://www.bay-news.test/ferry")
    paragraphs = [b.text for b in segment_html(HAND_WRITTEN)]
    for k in range(8):
        made = augment_html(page, donor_pool(pages), random.Random(k))
        assert made is not None and set(made.places) == {"in-story"}
        texts = [b.text for b in segment_html(made.html)]
        assert [t for t in texts if t in paragraphs] == paragraphs
        assert texts.index("Copyright Bay News") == len(texts) - 1


def test_lead_is_the_first_sentence_after_the_headline():
    gold = "Ferry timetable changes\nBy Staff\nThe ferry operator will run two fewer crossings each day. " \
           "Commuters are unhappy about it."
    assert first_sentence(gold, skip="Ferry timetable changes") == \
        "The ferry operator will run two fewer crossings each day."


def test_html_title_drops_the_site_name():
    assert html_title("<title>Ferry timetable changes for winter | Bay News</title>") == \
        "Ferry timetable changes for winter"
    assert html_title("<title>Bay</title><h1>Ferry <em>timetable</em> changes</h1>") == "Ferry timetable changes"


def test_source_pages_are_not_changed(pages):
    before = copy.deepcopy(pages)
    augment_pages(pages, 1.0, seed=0)
    assert pages == before


@pytest.mark.parametrize("mode", ["html", "text"])
def test_build_examples_adds_training_only_copies(pages, mode):
    plain = build_examples(pages, mode, seed=0, progress=False)
    more = build_examples(pages, mode, seed=0, progress=False, augment=0.5)
    n = len(pages)
    assert len(more.pages) == n + 12
    assert more.train_only == [False] * n + [True] * 12
    assert all(s.id.endswith("~aug") for s in more.sources[n:])
    assert more.groups[n:] == [s.domain for s in more.sources[n:]]
    # the real pages are exactly what they are without augmentation (text renderings included)
    assert [[b.text for b in p] for p in more.pages[:n]] == [[b.text for b in p] for p in plain.pages]
    assert more.labels[:n] == plain.labels
    if mode == "text":
        view = more.views["extract"]
        assert len(view.pages) == len(more.pages) and view.train_only == more.train_only


def test_cli_train_with_augment(tmp_path, pages_jsonl):
    from click.testing import CliRunner

    from serving.cli import main

    out = tmp_path / "model"
    result = CliRunner().invoke(main, ["train", str(pages_jsonl), "-o", str(out), "--cv-folds", "0",
                                       "--augment", "0.5", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "--augment 0.5" in (out / "MODEL_CARD.md").read_text(encoding="utf-8")
    bad = CliRunner().invoke(main, ["train", str(pages_jsonl), "-o", str(out), "--augment", "2"])
    assert bad.exit_code == 2
    alone = CliRunner().invoke(main, ["train", str(pages_jsonl), "-o", str(out), "--augment-threads"])
    assert alone.exit_code == 2 and "--augment-threads needs --augment" in alone.output
    threaded = tmp_path / "threaded"
    result = CliRunner().invoke(main, ["train", str(pages_jsonl), "-o", str(threaded), "--cv-folds", "0",
                                       "--augment", "0.5", "--augment-threads", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "--augment 0.5 --augment-threads" in (threaded / "MODEL_CARD.md").read_text(encoding="utf-8")


def test_cli_eval_with_augment_scores_real_pages_only(tmp_path, pages_jsonl, synthetic_pages):
    import json

    from click.testing import CliRunner

    from serving.cli import main

    out = tmp_path / "report.json"
    result = CliRunner().invoke(main, ["eval", str(pages_jsonl), "--cv-folds", "2", "--holdout", "0",
                                       "--augment", "0.5", "--json", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    cv = json.loads(out.read_text(encoding="utf-8"))["cross_validation"]
    assert cv["pages"] == len(synthetic_pages)
    assert cv["train_only_pages"] == len(synthetic_pages) // 2


def test_widget_classes_name_no_word_that_stories_also_carry():
    """Inserted widgets must not teach story markup words (``article``, ``story``, ``entry``...) as clutter."""
    from training.widgets import SIDEBAR_CLASSES, container_class, generated_class, item_class
    story_words = {"article", "articles", "artikel", "story", "stories", "post", "posts", "news", "entry", "item",
                   "card", "media", "title", "content", "text", "body", "main", "box", "row", "list"}
    rng = random.Random(3)
    made = [f(rng) for _ in range(300) for f in (container_class, item_class, generated_class)]
    from training.comment_widgets import TELLING_CLASSES as THREAD_CLASSES, TELLING_ITEMS as THREAD_ITEMS
    words = {w for cls in made + list(SIDEBAR_CLASSES) + list(THREAD_CLASSES) + list(THREAD_ITEMS)
             for w in re.split(r"[^a-z]+", re.sub(r"(?<=[a-z])(?=[A-Z])", " ", cls).lower()) if w}
    assert not words & story_words
    assert len({generated_class(rng) for _ in range(50)}) == 50  # obfuscated: a new one each time
