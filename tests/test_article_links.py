"""Article-link features: teaser cards link to other stories, menus to sections."""
from __future__ import annotations

import numpy as np
import pytest

from classifier.features import SHAPE_NAMES, shape_features
from classifier.html_segmenter import _article_href, segment_html
from classifier.tokens import word_tokens


@pytest.mark.parametrize("href", [
    "/world/india-us-tariff-talks-stall",
    "https://example.org/kultur/neue-bruecke-ueber-den-rhein-eroeffnet/",
    "/2025/09/04/x",
    "/news/story-1234567",
    "/ciudad/el_tranvia_llega_al_barrio.html",
    "/article.php?id=884213",
    "/прогноз-погоды-на-неделю-вперёд",
])
def test_story_targets_are_article_links(href: str) -> None:
    assert _article_href(href)


@pytest.mark.parametrize("href", [
    None, "", "#", "#comments", "/sport/", "/world", "/about-us", "https://example.org/",
    "mailto:desk-news-tips-team@example.org", "tel:0123456789", "javascript:void(0)",
    "/page#section-one-two-three-four",
])
def test_section_and_other_targets_are_not(href: str | None) -> None:
    assert not _article_href(href)


PAGE = """<html><body><article>
<p>The council approved the new bridge on Tuesday after a <a href="/about">long</a> debate.</p>
<p>Work starts in <a href="https://example.org/2024/03/01/earlier-bridge-plan-was-shelved">spring</a>.</p>
</article>
<nav><ul><li><a href="/news/">News</a></li><li><a href="/sport/">Sport</a></li></ul></nav>
<div class="cards">
<div class="card"><a href="/world/india-us-tariff-talks-stall">Tariff talks stall again</a></div>
<div class="card"><a href="/markets/shares-fall-as-rates-rise-9912345">Shares fall as rates rise</a></div>
<div class="card"><a href="/2025/09/04/new-ferry-timetable">New ferry timetable</a></div>
</div></body></html>"""


def _blocks_and_features():
    blocks = segment_html(PAGE)
    features = shape_features(blocks, [word_tokens(b.text, 120) for b in blocks])
    column = {name: features[:, SHAPE_NAMES.index(name)] for name in
              ("article_link_share", "path_article_link_share", "container_article_link_share")}
    return blocks, column


def test_blocks_count_the_link_text_that_points_at_stories() -> None:
    blocks, _ = _blocks_and_features()
    by_text = {b.text: b for b in blocks}
    assert by_text["Tariff talks stall again"].article_link_chars == len("Tariff talks stall again")
    assert by_text["Work starts in spring."].article_link_chars == len("spring")
    assert by_text["News"].article_link_chars == 0
    first = next(b for b in blocks if b.text.startswith("The council"))
    assert first.link_chars == len("long") and first.article_link_chars == 0


def test_cards_score_high_on_the_article_link_features_and_menus_and_stories_low() -> None:
    blocks, column = _blocks_and_features()
    texts = [b.text for b in blocks]
    cards = [texts.index(t) for t in ("Tariff talks stall again", "Shares fall as rates rise", "New ferry timetable")]
    menu = [texts.index("News"), texts.index("Sport")]
    story = [i for i, t in enumerate(texts) if t.startswith(("The council", "Work starts"))]
    for name in column:
        assert np.all(column[name][cards] == 1.0), name
        assert np.all(column[name][menu] == 0.0), name
    assert np.all(column["article_link_share"][story] < 0.3)


def test_text_mode_blocks_have_no_article_links() -> None:
    from classifier.text_segmenter import segment_text
    blocks = segment_text("A headline\n\nA paragraph of the story that runs on.\n")
    features = shape_features(blocks, [word_tokens(b.text, 120) for b in blocks])
    assert not features[:, SHAPE_NAMES.index("article_link_share")].any()
