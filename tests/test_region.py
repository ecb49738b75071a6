"""The story's region, its topic, templates and governing headings (second-stage inputs)."""
from __future__ import annotations

import numpy as np

from classifier.blocks import Block
from classifier.headings import governing_headings
from classifier.html_segmenter import segment_html
from classifier.region import local_region_features, path_groups, region_features, topic_similarity
from classifier.text_segmenter import segment_text
from classifier.tfidf import TokenTfidf
from classifier.tokens import tokenize_blocks

PAGE = """<html><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/w">World</a></li></ul></nav>
<div id="main"><article>
<h1>River flood closes the old bridge in Talheim</h1>
<p>The river rose by two metres overnight and the council closed the old bridge to traffic.</p>
<p>Engineers will inspect the bridge piers once the water falls, the council said on Friday.</p>
</article>
<div class="box-3"><h2>More from the newsroom</h2>
<div class="c"><h3><a href="/a">Tariff talks stall again</a></h3><p>Exporters wait.</p></div>
<div class="c"><h3><a href="/b">Cup final goes to penalties</a></h3><p>A late drama.</p></div>
</div></div></body></html>"""


def test_ancestors_run_from_the_outermost_element_to_the_container():
    blocks = segment_html(PAGE)
    for block in blocks:
        assert block.ancestors and block.ancestors[-1] == block.container
    paragraphs = [b for b in blocks if b.text.startswith(("The river", "Engineers"))]
    cards = [b for b in blocks if b.text.startswith(("Tariff", "Cup final"))]
    assert paragraphs[0].ancestors == paragraphs[1].ancestors
    assert cards[0].ancestors != cards[1].ancestors  # each card is its own element
    assert cards[0].ancestors[:-1] == cards[1].ancestors[:-1]
    assert segment_text("a line\nanother line")[0].ancestors == ()


def test_path_groups_join_repeated_templates_only():
    blocks = segment_html(PAGE)
    groups = path_groups(blocks)
    by_text = {b.text: g for b, g in zip(blocks, groups)}
    assert by_text["Tariff talks stall again"] == by_text["Cup final goes to penalties"]
    assert by_text["Exporters wait."] == by_text["A late drama."]
    assert by_text["Tariff talks stall again"] != by_text["Exporters wait."]
    assert len(set(path_groups(segment_text("one line here\ntwo lines here")))) == 2  # no DOM: each alone


def test_governing_heading_skips_repeated_card_headings():
    blocks = segment_html(PAGE)
    governing = governing_headings(blocks)
    index = {b.text: b.index for b in blocks}
    widget = index["More from the newsroom"]
    assert governing[index["Tariff talks stall again"]] == widget
    assert governing[index["A late drama."]] == widget
    assert governing[index["Engineers will inspect the bridge piers once the water falls, the council said on Friday."]] \
        == index["River flood closes the old bridge in Talheim"]
    assert governing[index["Home"]] == -1


def test_governing_heading_in_text_is_the_first_line_of_a_headline_run():
    text = ("Flood closes the old bridge\nThe river rose by two metres overnight and the bridge closed.\n"
            "RECOMMENDED FOR YOU\nTariff talks stall again today\nCup final goes to penalties")
    blocks = segment_text(text)
    governing = governing_headings(blocks)
    assert governing.tolist() == [-1, 0, 0, 2, 2]


def test_the_region_is_the_subtree_with_the_most_story_minus_clutter():
    blocks = segment_html(PAGE)
    story = np.array([0.95 if b.text.startswith(("River", "The river", "Engineers")) else 0.05 for b in blocks])
    chars = np.array([len(b.text) for b in blocks], dtype=float)
    features = region_features(blocks, story, chars)
    inside = features[:, 0].astype(bool)
    assert [b.text[:5] for b, i in zip(blocks, inside) if i] == ["River", "The r", "Engin"]
    steps = dict(zip((b.text for b in blocks), features[:, 2]))
    assert steps["Home"] > steps["Tariff talks stall again"] > 0  # the nav is further away than the box
    assert np.allclose(features[:, 3], features[0, 3]) and 0.9 < features[0, 3] <= 1.0  # page-level share
    assert np.all(features[:, 1] <= 1.0) and features[inside, 1].min() == 1.0


def test_region_features_are_zero_without_a_dom():
    blocks = segment_text("one line of text\nanother line of text")
    assert not region_features(blocks, np.array([0.9, 0.1]), np.array([16.0, 20.0])).any()


THREAD = """<html><body><nav><a href="/">Home</a> <a href="/w">World</a></nav>
<main><article><h1>Bus line 5 runs hourly from December</h1>
<div class="text"><p>{story}</p><p>{story}</p><p>{story}</p><p>{story}</p></div></article>
<section class="s-4"><h2>Readers' comments (3)</h2>
<div class="c"><div class="who">reader_1, 08:12</div><p>{comment}</p></div>
<div class="c"><div class="who">reader_2, 09:30</div><p>{comment}</p></div>
<div class="c"><div class="who">reader_3, 10:05</div><p>{comment}</p></div>
</section></main></body></html>""".format(
    story="The transport authority thins out several rural lines at the timetable change. " * 3,
    comment="That is a real blow for everyone who lives out in the villages and commutes. " * 3)


def test_the_local_region_holds_the_story_paragraphs_not_the_thread_below_them():
    """Every long block is likely story to the first stage: the whole-subtree region grows to
    <main> and takes the thread in; the local candidate (own container in full, the one above
    at half) stays the story's paragraphs, and the comments are steps away from it."""
    blocks = segment_html(THREAD)
    chars = np.array([len(b.text) for b in blocks], dtype=float)
    p = np.where(chars > 100, 0.95, 0.2)
    region = region_features(blocks, p, chars)
    local = local_region_features(blocks, p, chars)
    story = [i for i, b in enumerate(blocks) if b.text.startswith("The transport")]
    comments = [i for i, b in enumerate(blocks) if b.text.startswith("That is a real blow")]
    assert region[comments, 0].all()  # the whole-subtree region holds the thread
    assert local[story, 0].all() and not local[comments, 0].any()
    assert (local[story, 1] == 0).all() and (local[comments, 1] > np.log1p(2)).all()
    share = (p * chars)[story].sum() / (p * chars).sum()
    assert np.allclose(local[:, 2], share)


def test_local_region_features_are_zero_without_a_dom():
    blocks = segment_text("one line of text\nanother line of text")
    assert not local_region_features(blocks, np.array([0.9, 0.1]), np.array([16.0, 20.0])).any()


def _similarity(texts: list[str], weight: list[float], page_idf: bool = False,
                corpus: list[str] | None = None) -> np.ndarray:
    tokens = tokenize_blocks(texts, 120)
    vectorizer = TokenTfidf(min_df=1).fit(tokenize_blocks(corpus, 120) if corpus else tokens)
    rows, cols, values = vectorizer.weights(tokens)
    return topic_similarity(rows, cols, values, np.zeros(len(texts), dtype=np.int64), np.asarray(weight),
                            len(vectorizer.idf_), page_idf)


def test_topic_similarity_is_a_leave_one_out_cosine_to_the_likely_story():
    texts = ["flood water bridge river council", "river flood bridge closed council",
             "bridge river flood engineers", "tariff talks exporters stall", ""]
    sim = _similarity(texts, [1.0, 1.0, 1.0, 0.0, 0.0])
    assert sim[3] == 0.0 or sim[3] < 0.05  # no shared word with the story
    assert min(sim[:3]) > 0.3 and sim[4] == 0.0
    # left out: a lone story block is not similar to itself
    assert _similarity(["flood river", "tariff talks"], [1.0, 0.0])[0] == 0.0


def test_topic_similarity_matches_a_direct_computation():
    rng = np.random.default_rng(0)
    words = "flood river bridge tariff cup final council water".split()
    texts = [" ".join(rng.choice(words, size=5)) for _ in range(8)]
    weight = rng.random(8)
    tokens = tokenize_blocks(texts, 120)
    vectorizer = TokenTfidf(min_df=1).fit(tokens)
    dense = vectorizer.transform(tokens).toarray()
    got = _similarity(texts, list(weight))
    for i in range(8):
        centroid = (weight[:, None] * dense).sum(axis=0) - weight[i] * dense[i]
        expected = dense[i] @ centroid / np.linalg.norm(centroid)
        assert abs(got[i] - expected) < 1e-9


def test_page_idf_keeps_a_rare_language_s_function_words_from_making_any_line_on_topic():
    """Fitted on a corpus where "de la" is rare, a French page's story lines all share it: with
    the corpus idf a teaser about something else that shares only those words looks half on
    topic; with the page's own counts those words weigh little and the teaser is far."""
    page = ["la ligne de la métropole ira jusqu'à l'hôpital", "le tracé de la ligne part de la place",
            "le coût de la ligne pour la métropole", "la métropole promet une commission",
            "incendie dans un entrepôt de la zone", "sports", "économie", "mentions légales"]
    corpus = ["the river flood bridge council", "the council voted the bridge", "de la ligne", "métropole",
              "the water rose", "tracé coût place", "incendie entrepôt zone", "the hospital line"] * 3
    weight = [1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0]
    corpus_idf = _similarity(page, weight, corpus=corpus)
    page_idf = _similarity(page, weight, page_idf=True, corpus=corpus)
    assert corpus_idf[4] > 0.4  # the teaser shares only "de la" with the story
    assert page_idf[4] < 0.05 and min(page_idf[:4]) > 0.1  # the story's lines still share its topic
    assert np.array_equal(_similarity(page, [0.0] * 8, page_idf=True, corpus=corpus), np.zeros(8))
    # a lone block, or one whose words are on every block of its page, has nothing left to compare
    assert _similarity(["flood river bridge"], [1.0], page_idf=True, corpus=corpus)[0] == 0.0
    assert np.array_equal(_similarity(["share", "share", "flood river"], [1.0, 1.0, 1.0], page_idf=True,
                                      corpus=corpus)[:2], np.zeros(2))


def test_blocks_without_ancestors_are_handled():
    blocks = [Block(0, "a", "paragraph"), Block(1, "b", "paragraph", path="body>p", ancestors=(0, 1))]
    out = region_features(blocks, np.array([0.9, 0.9]), np.array([1.0, 1.0]))
    assert out.shape == (2, 6) and np.isfinite(out).all()
