"""Block text as written: inline elements add no space; block boundaries and <br> do."""
from __future__ import annotations

from classifier.html_segmenter import segment_html


def texts(html: str) -> list[str]:
    return [block.text for block in segment_html(html)]


def test_inline_elements_add_no_space() -> None:
    assert texts("<p>un<b>believ</b><i>able</i> news</p>") == ["unbelievable news"]


def test_whitespace_between_inline_elements_is_one_space() -> None:
    assert texts("<p><a>Home</a>\n   <a>News</a></p>") == ["Home News"]


def test_punctuation_joins_the_word_before_it() -> None:
    assert texts("<p>Tagged <a>lido</a>, <a>Brookside Park</a>.</p>") == ["Tagged lido, Brookside Park."]


def test_touching_sibling_elements_are_separate_items() -> None:
    html = ("<p><a href='/a'>Release calendar</a><a href='/b'>Top 250</a></p>"
            "<p><span>2026</span><span>1h 54m</span><span>R</span></p>"
            "<p><span>Developed by:</span><a href='/v'>Valve</a></p>")
    assert texts(html) == ["Release calendar Top 250", "2026 1h 54m R", "Developed by: Valve"]


def test_no_space_before_punctuation_or_inside_brackets_between_elements() -> None:
    html = "<p><span>5.9</span><span>(</span><span>22K</span><span>)</span><a href='/x'>Rate</a><span>.</span></p>"
    assert texts(html) == ["5.9 (22K) Rate."]


def test_touching_cjk_elements_get_no_space() -> None:
    assert texts("<p><a href='/a'>東京</a><a href='/b'>天気</a></p>") == ["東京天気"]


def test_a_thin_space_between_elements_is_a_space() -> None:
    html = "<p><i><span>4.4 out of 5 stars</span></i>\u2009<span>272,574</span>\u00a0<b>x</b></p>"
    assert texts(html) == ["4.4 out of 5 stars 272,574 x"]


def test_code_in_pre_keeps_touching_spans_joined() -> None:
    html = "<pre><span>def</span> <span>f</span><span>(</span><span>x</span><span>)</span></pre>"
    assert texts(html) == ["def f(x)"]


def test_block_boundaries_and_br_separate() -> None:
    assert texts("<div>one<p>two</p>three<br>four</div>") == ["one", "two", "three", "four"]


def test_soft_hyphens_vanish() -> None:
    assert texts("<p>news\u00adpaper</p>") == ["newspaper"]
    assert texts("<p>news&shy;paper</p>") == ["newspaper"]


def test_wbr_vanishes() -> None:
    assert texts("<p>super<wbr>cali<wbr>fragilistic</p>") == ["supercalifragilistic"]


def test_a_block_of_only_soft_hyphens_is_no_block() -> None:
    assert texts("<p>\u00ad</p><p>kept</p>") == ["kept"]


def test_drop_cap_joins_its_word() -> None:
    html = '<p><span class="dropcap">O</span>nce upon a time</p>'
    assert texts(html) == ["Once upon a time"]


def test_sub_and_sup_join() -> None:
    assert texts("<p>H<sub>2</sub>O and E = mc<sup>2</sup></p>") == ["H2O and E = mc2"]


def test_cjk_text_gets_no_spaces() -> None:
    html = "<p>東京の<a href='/x'>天気</a>は<b>晴れ</b>です。</p><p>今日は<span>良い</span>日</p>"
    assert texts(html) == ["東京の天気は晴れです。", "今日は良い日"]


def test_story_text_uses_the_same_spacing() -> None:
    from classifier import load_model

    sf = load_model()
    result = sf.filter_html(
        "<html><body><article><h1>Water</h1><p>Water is H<sub>2</sub>O. "
        + "It is everywhere on the planet and in every living cell, said the chemist. " * 5
        + "</p></article></body></html>")
    assert "H2O" in result.story_text


def test_structure_is_recorded_only_when_asked() -> None:
    html = ("<h2>Part</h2><ol><li>one <a href='/a'>link</a></li></ol>"
            "<table><tr><th>k</th><td>v</td></tr></table><pre>  a\n    b</pre>")
    plain = segment_html(html)
    shaped = segment_html(html, structure=True)
    assert [b.text for b in plain] == [b.text for b in shaped]
    assert [b.shape.tag for b in plain] == [b.shape.tag for b in shaped] == ["h2", "li", "th", "td", "pre"]
    assert plain[0].shape.level == 0 and plain[1].links == () and plain[4].raw is None
    heading, item, key, value, code = shaped
    assert heading.shape.level == 2
    assert item.shape.list_depth == 1 and item.shape.ordered and item.shape.item != -1
    assert item.links == (("link", "/a"),)
    assert key.shape.header and not value.shape.header and key.shape.row == value.shape.row != -1
    assert code.shape.pre and code.raw == "  a\n    b" and code.text == "a b"


def test_the_gap_mark_never_reaches_a_block() -> None:
    pages = ["<p><a>x</a><span> </span></p>", "<p><a>x</a><span><img></span></p>",
             "<p><a>x</a><span><div>y</div></span></p>", "<p>a<a>x</a><b><i>y</i></b><i>z</i></p>",
             "<p><a>(</a><a>x</a><a>)</a></p>"]
    out = [texts(page) for page in pages]
    assert out == [["x"], ["x"], ["x", "y"], ["ax yz"], ["(x)"]]  # two formatting tags touch: one word
    assert not any("\x00" in text for page in out for text in page)
