"""Which ``<article>`` element a block sits in (``--param article_elements=true``)."""
from __future__ import annotations

import numpy as np
import pytest

from classifier.article_elements import ARTICLE_ELEMENT_NAMES, article_element_features, innermost_articles
from classifier.features import SHAPE_NAMES
from classifier.html_segmenter import segment_html
from classifier.model import BlockClassifier, classifier_from_state, classifier_to_state
from classifier.text_segmenter import segment_text
from synthetic import split_by_site
from training.dataset import build_examples
from training.readers import read_pages_jsonl

COL = {name: i for i, name in enumerate(ARTICLE_ELEMENT_NAMES)}
STORY = ("The harbour board voted on Tuesday to rebuild the northern pier, which storms closed two "
         "winters ago, and the work is to start in the spring once the contracts are signed.")
CARDS = "".join(
    f'<article class="card"><h3><a href="/news/{slug}">{title}</a></h3><p>{lead}</p></article>'
    for slug, title, lead in [("ferry-fares", "Ferry fares rise again", "Tickets cost a fifth more."),
                              ("school-roof", "School roof repaired", "Pupils return on Monday."),
                              ("market-day", "Market day moves", "Stalls move to the square.")])
PAGE = f"""<html><body>
<nav><a href="/">Home</a></nav>
<main>
  <article class="story"><h1>Pier to be rebuilt</h1><p>{STORY}</p><p>{STORY}</p><p>{STORY}</p></article>
  <section class="more"><h2>More news</h2>{CARDS}</section>
  <div id="talk"><p>I walked on that pier every Sunday as a child, good news at last.</p></div>
</main>
</body></html>"""


def _by_text(blocks, start: str) -> int:
    return next(i for i, b in enumerate(blocks) if b.text.startswith(start))


def test_story_cards_and_the_rest_get_their_own_article():
    blocks = segment_html(PAGE)
    owner = innermost_articles(blocks)
    story = [i for i, b in enumerate(blocks) if b.text == STORY or b.text == "Pier to be rebuilt"]
    assert len(story) == 4 and len({owner[i] for i in story}) == 1 and owner[story[0]] >= 0
    cards = [_by_text(blocks, t) for t in ("Ferry fares", "School roof", "Market day")]
    assert len({owner[i] for i in cards}) == 3 and owner[story[0]] not in {owner[i] for i in cards}
    assert _by_text(blocks, "Tickets") != cards[0] and owner[_by_text(blocks, "Tickets")] == owner[cards[0]]
    for outside in ("Home", "More news", "I walked"):
        assert owner[_by_text(blocks, outside)] == -1

    features = article_element_features(blocks)
    assert features.shape == (len(blocks), len(ARTICLE_ELEMENT_NAMES))
    total = sum(len(b.text) for b in blocks)
    share = sum(len(blocks[i].text) for i in story) / total
    for i in story:
        assert features[i, COL["in_main_article"]] == 1 and features[i, COL["in_other_article"]] == 0
        assert features[i, COL["in_main_article_share"]] == pytest.approx(share)
        assert features[i, COL["outside_main_article_share"]] == 0
    for i in cards:
        assert features[i, COL["in_article_element"]] == 1 and features[i, COL["in_other_article"]] == 1
        assert features[i, COL["outside_main_article_share"]] == pytest.approx(share)
    talk = _by_text(blocks, "I walked")
    assert features[talk, COL["in_article_element"]] == 0
    assert features[talk, COL["outside_main_article_share"]] == pytest.approx(share)
    assert np.all(features[:, COL["log_article_elements"]] == pytest.approx(np.log1p(4)))


def test_a_card_nested_in_the_story_article_is_a_card():
    html = f"<body><article><p>{STORY}</p><aside><article><p>Ferry fares rise again</p></article></aside></article></body>"
    blocks = segment_html(html)
    owner = innermost_articles(blocks)
    assert owner[_by_text(blocks, "The harbour")] != owner[_by_text(blocks, "Ferry")] != -1


def test_an_article_above_a_deep_block_is_found_within_the_path_window():
    """Paths keep the innermost dozen elements; eight levels of wrappers below the article are fine."""
    deep = "<div>" * 8 + f"<p>{STORY}</p>" + "</div>" * 8
    blocks = segment_html(f"<body><div><div><article>{deep}</article></div></div><p>Footer line here.</p></body>")
    story = _by_text(blocks, "The harbour")
    assert blocks[story].path.count(">") + 1 < blocks[story].depth  # the path was cut to its window
    assert innermost_articles(blocks)[story] >= 0
    assert innermost_articles(blocks)[_by_text(blocks, "Footer")] == -1


@pytest.mark.parametrize("blocks", [
    segment_html(f"<body><div class='article-body'><p>{STORY}</p></div></body>"),  # a class word is no element
    segment_text(f"Pier to be rebuilt\n{STORY}\nMore news"),
    [],
])
def test_pages_without_article_elements_get_zeros(blocks):
    features = article_element_features(blocks)
    assert features.shape == (len(blocks), len(ARTICLE_ELEMENT_NAMES)) and not features.any()


@pytest.fixture(scope="module")
def split(pages_jsonl):
    return split_by_site(build_examples(read_pages_jsonl(pages_jsonl), "html", progress=False), test_sites=2)


def test_model_uses_the_columns_only_when_asked_and_saves_them(split):
    pages, labels, groups, test_pages, _ = split
    wrapped = [segment_html(
        f"<body><main><article>{''.join(f'<p>{b.text}</p>' for b, story in zip(p, y) if story)}</article>"
        f"{''.join(f'<div><p>{b.text}</p></div>' for b, story in zip(p, y) if not story)}</main></body>")
        for p, y in zip(pages, labels)]
    wrapped_labels = [[1] * sum(y) + [0] * (len(y) - sum(y)) for y in labels]
    assert all(len(p) == len(y) for p, y in zip(wrapped, wrapped_labels))
    model = BlockClassifier(random_state=0, article_elements=True).fit(wrapped, wrapped_labels, groups=groups)
    arrays, config = classifier_to_state(model)
    assert set(ARTICLE_ELEMENT_NAMES) <= set(config["shape_names"])
    weights = dict(zip(config["shape_names"], arrays["stage1_coef"][-len(config["shape_names"]):]))
    assert weights["in_main_article"] > 0  # on these pages the story is exactly the main article
    again = classifier_from_state(arrays, config)
    np.testing.assert_allclose(again.predict_proba(test_pages), model.predict_proba(test_pages), atol=1e-12)
    plain = BlockClassifier(random_state=0).fit(pages, labels, groups=groups)
    names = classifier_to_state(plain)[1]["shape_names"]
    assert not set(ARTICLE_ELEMENT_NAMES) & set(names) and len(names) == len(SHAPE_NAMES) - len(ARTICLE_ELEMENT_NAMES)
