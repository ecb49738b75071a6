"""HTML segmentation: block boundaries, kinds, DOM path and tokens, link share, containers, flags."""
from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier.html_segmenter import (
    _CAMEL,
    _WORD_SPLIT,
    attribute_words,
    guard_markup,
    segment_html,
)
from classifier.limits import Limits

PAGES = Path(__file__).resolve().parent / "pages"
EXPECTED = json.loads((PAGES / "expected.json").read_text(encoding="utf-8"))


def texts(html: str, **limits) -> list[str]:
    return [b.text for b in segment_html(html, Limits(**limits) if limits else Limits())]


def one(html: str):
    blocks = segment_html(html)
    assert len(blocks) == 1, [b.text for b in blocks]
    return blocks[0]


# ----- block boundaries ----------------------------------------------------------------------
def test_block_elements_cut_blocks_and_inline_ones_do_not():
    html = "<div>Intro <b>bold</b> and <a href='/x'>a link</a><p>First <em>para</em> </p>tail</div>"
    assert texts(html) == ["Intro bold and a link", "First para", "tail"]


def test_inline_elements_add_no_space():
    # inline elements join as written: punctuation after an inline element stays on its
    # word; two touching links are two items a style sheet lays out apart.
    assert texts("<p><a>Home</a><a>News</a></p><p><b>Bold</b>.</p>") == ["Home News", "Bold."]
    assert texts("<p>un<b>believ</b><i>able</i></p>") == ["unbelievable"]
    assert texts("<p><a>Home</a> <a>News</a></p>") == ["Home News"]


def test_br_and_hr_split_a_block():
    assert texts("<p>one<br>two<br/>three</p><div>four<hr>five</div>") == ["one", "two", "three", "four", "five"]


def test_whitespace_is_collapsed_and_empty_blocks_are_dropped():
    html = "<p>  many\n\t spaces&nbsp;and\u00a0nbsp  </p><p> </p><div>\n</div><p></p>"
    assert texts(html) == ["many spaces and nbsp"]


def test_blocks_are_in_reading_order_with_sequential_indexes():
    html = "".join(f"<p>paragraph {i}</p>" for i in range(30))
    blocks = segment_html(html)
    assert [b.text for b in blocks] == [f"paragraph {i}" for i in range(30)]
    assert [b.index for b in blocks] == list(range(30))


@pytest.mark.parametrize("tag", ["script", "style", "template", "textarea", "select", "iframe"])
def test_skipped_elements(tag):
    html = f"<p>before</p><{tag}>hidden words</{tag}><p>after</p>"
    assert texts(html) == ["before", "after"]


def test_svg_math_and_head_are_skipped():
    html = ("<html><head><title>Page title</title><style>p{}</style></head><body><p>kept</p>"
            "<svg><text>svg words</text><g><text>more</text></g></svg>"
            "<math><mi>x</mi></math><p>also kept</p></body></html>")
    assert texts(html) == ["kept", "also kept"]


# ----- kinds ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("html, kind", [
    ("<p>text</p>", "paragraph"),
    ("<h1>text</h1>", "heading"), ("<h3>text</h3>", "heading"), ("<h6>text</h6>", "heading"),
    ("<ul><li>text</li></ul>", "list_item"), ("<ol><li>text</li></ol>", "list_item"),
    ("<dl><dt>text</dt></dl>", "list_item"),
    ("<table><tr><td>text</td></tr></table>", "table_cell"),
    ("<table><tr><th>text</th></tr></table>", "table_cell"),
    ("<pre>text</pre>", "preformatted"), ("<blockquote>text</blockquote>", "quote"),
    ("<figure><figcaption>text</figcaption></figure>", "caption"),
    ("<div>text</div>", "block"), ("<section>text</section>", "block"),
])
def test_kind_comes_from_the_nearest_block_element(html, kind):
    assert one(html).kind == kind


def test_inline_markup_keeps_the_kind_of_its_block():
    assert one("<h2><a href='/'><span>Teaser headline</span></a></h2>").kind == "heading"
    assert one("<li><div><b>x</b></div></li>").kind == "block"  # the div is the nearer block


# ----- DOM path and tokens -------------------------------------------------------------------------
def test_path_uses_tag_first_class_and_id():
    block = one("<div class='main wide' id='content'><article><p class='lead'>Story</p></article></div>")
    assert block.path == "body>div.main#content>article>p.lead"
    assert block.depth == 4


def test_path_shows_the_last_twelve_elements():
    html = "".join(f"<div class='d{i}'>" for i in range(20)) + "deep" + "</div>" * 20
    block = one(html)
    labels = block.path.split(">")
    assert len(labels) == 12
    assert labels[-1] == "div.d19" and labels[0] == "div.d8"


def test_dom_tokens_come_from_class_id_and_named_attributes():
    html = ("<section class='relatedPosts_box-2' id='sidebarWidget'><div role='complementary' "
            "data-testid='teaserList'><p class='teaser'>Link text</p></div></section>")
    tokens = one(html).dom_tokens
    for word in ("related", "posts", "box", "sidebar", "widget", "complementary", "teaser", "list"):
        assert word in tokens
    assert "tag_p" in tokens
    assert "self_teaser" in tokens
    assert "2" not in tokens and "x" not in tokens


def test_hidden_elements_add_a_hidden_token():
    for attrs in ("hidden", "aria-hidden='true'", "style='display: none'"):
        assert "hidden" in one(f"<div {attrs}><p>x</p></div>").dom_tokens
    assert "hidden" not in one("<div style='display:block'><p>x</p></div>").dom_tokens


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(alphabet="abcXYZ-_ 1éÉİ\u212a", max_size=40))
def test_attribute_words_match_the_camel_case_rule(value):
    reference = [w for w in _WORD_SPLIT.split(_CAMEL.sub(" ", value).lower()) if 1 < len(w) < 25]
    assert attribute_words(value) == reference


def test_attribute_words_examples():
    assert attribute_words("relatedPosts_box-2") == ["related", "posts", "box"]
    assert attribute_words("HTMLParser") == ["htmlparser"]
    assert attribute_words("") == [] and attribute_words(None) == []


# ----- link share -------------------------------------------------------------------------------
def test_link_characters_are_counted():
    block = one("<p>Read <a href='/a'>the full story</a> here</p>")
    assert block.link_chars == len("the full story")
    assert block.link_share == pytest.approx(len("the full story") / len("Read the full story here"))


def test_all_link_block_has_share_one_and_plain_block_zero():
    assert one("<li><a href='/x'>Teaser headline one</a></li>").link_share == 1.0
    assert one("<p>No links at all</p>").link_share == 0.0


def test_nested_links_and_link_text_in_inline_elements():
    block = one("<p><a href='/a'><span>in</span> <b>link</b></a> out</p>")
    assert block.link_chars == len("in") + len("link")


# ----- containers and flags -------------------------------------------------------------------------
def test_container_groups_blocks_by_parent_element():
    html = ("<div class='story'><p>s1</p><p>s2</p></div>"
            "<ul class='teasers'><li>t1</li><li>t2</li><li>t3</li></ul>")
    blocks = segment_html(html)
    story = {b.container for b in blocks if b.text.startswith("s")}
    teasers = {b.container for b in blocks if b.text.startswith("t")}
    assert len(story) == 1 and len(teasers) == 1 and story != teasers
    assert -1 not in story | teasers


def test_container_of_a_direct_child_of_body():
    assert one("<p>top level</p>").container == 0


def test_in_article_flag():
    html = ("<nav><p>menu</p></nav><article><p>story</p></article><main><p>main story</p></main>"
            "<div class='articlebody'><p>body text</p></div><p>footer</p>")
    flags = {b.text: b.in_article for b in segment_html(html)}
    assert flags == {"menu": False, "story": True, "main story": True, "body text": True, "footer": False}


def test_heading_list_and_table_flags():
    html = ("<h2>Title <span>here</span></h2><ul><li>item</li></ul>"
            "<table><tr><td>cell</td></tr></table><p>plain</p>")
    flags = {b.text: (b.heading, b.in_list, b.in_table) for b in segment_html(html)}
    assert flags == {"Title here": (True, False, False), "item": (False, True, False),
                     "cell": (False, False, True), "plain": (False, False, False)}


# ----- input forms ----------------------------------------------------------------------------------
def test_bytes_and_str_give_the_same_blocks():
    for name in ("recommended.html", "related_box.html", "latin1.html", "cp1251_noheader.html"):
        data = (PAGES / name).read_bytes()
        text = data.decode(EXPECTED[name]["encoding"])
        assert segment_html(data) == segment_html(text)


@pytest.mark.parametrize("name", ["recommended.html", "related_box.html", "latin1.html", "cp1251_noheader.html"])
def test_snippets_of_test_pages_are_found_in_blocks(name):
    blocks = segment_html((PAGES / name).read_bytes())
    joined = "\n".join(b.text for b in blocks)
    for snippet in EXPECTED[name]["story_snippets"] + EXPECTED[name]["boilerplate_snippets"]:
        assert snippet in joined


def test_fragment_without_html_or_body():
    assert texts("<li>one</li><li>two</li>") == ["one", "two"]
    assert texts("just text") == ["just text"]


def test_frameset_page_without_body():
    assert texts("<html><frameset><frame src='a'><frame src='b'></frameset></html>") == []


# ----- limits ------------------------------------------------------------------------------------------
def test_max_blocks():
    html = "".join(f"<p>p{i}</p>" for i in range(50))
    assert texts(html, max_blocks=7) == [f"p{i}" for i in range(7)]


def test_max_block_chars_cuts_collapsed_text():
    html = "<p>" + " ".join(["word"] * 300) + "</p><p>next</p>"
    blocks = texts(html, max_block_chars=50)
    assert blocks[0] == ("word " * 10)[:50].rstrip() and blocks[1] == "next"


def test_huge_block_is_cut_without_reading_it_all():
    html = "<p>" + "<b>ab</b> cd\n" * 20000 + "</p><p>after</p>"
    blocks = segment_html(html, Limits(max_block_chars=100))
    assert [len(b.text) for b in blocks] == [100, 5]
    assert blocks[0].text == ("ab cd " * 20)[:100]


def test_max_depth_flattens_deep_elements_into_their_ancestor():
    html = "<div class='top'>" + "<div class='x'><p>" * 10 + "deep text" + "</p></div>" * 10 + "</div><p>after</p>"
    blocks = segment_html(html, Limits(max_depth=4))
    assert [b.text for b in blocks] == ["deep text", "after"]
    assert blocks[0].path.startswith("body>div.top>div.x>div.x") and blocks[0].path.count(">") == 3


def test_max_nodes_stops_the_walk():
    html = "".join(f"<p>p{i}</p>" for i in range(100))
    blocks = texts(html, max_nodes=20)
    assert 0 < len(blocks) <= 10 and blocks[0] == "p0"


# ----- the parser guard ---------------------------------------------------------------------------------
def test_guard_leaves_ordinary_pages_untouched():
    for name in ("recommended.html", "related_box.html"):
        html = (PAGES / name).read_text(encoding="utf-8")
        assert guard_markup(html) is html
        data = html.encode()
        assert guard_markup(data) is data


def test_guard_cuts_a_page_after_max_tags(caplog):
    html = "<p>x</p>" * 5000
    with caplog.at_level(logging.WARNING, logger="storyfilter"):
        out = guard_markup(html, Limits(max_tags=1001))
    assert out.count("<") == 1001 and html.startswith(out)
    assert "max_tags" in caplog.text


def test_guard_removes_nesting_past_max_depth(caplog):
    html = "<div>" * 30000 + "<p>story</p>" + "</div>" * 30000 + "<p>after</p>"
    with caplog.at_level(logging.WARNING, logger="storyfilter"):
        out = guard_markup(html, Limits(max_depth=50))
    assert out.count("<div>") == 50 and out.count("</div>") == 50
    assert "<p>" not in out[:-len("<p>after</p>")]  # the <p> was nested too deep; its text stays
    assert "story" in out and out.endswith("<p>after</p>")
    assert "max_depth" in caplog.text
    assert texts(html, max_depth=50) == ["story", "after"]


def test_guard_keeps_siblings_and_void_elements_of_a_big_flat_page():
    html = "<div>" + "<p>a<br><img src=x>b</p><li>c<li>d" * 6000 + "</div>"
    assert html.count("<") > 20000
    assert guard_markup(html, Limits(max_depth=8)) == html


def test_guard_drops_attributes_past_max_attributes(caplog):
    attrs = " ".join(f"data-a{i}='v'" for i in range(5000))
    html = f"<p>before</p><div class='box' {attrs}>inside</div><p>after</p>"
    with caplog.at_level(logging.INFO, logger="storyfilter"):
        out = guard_markup(html, Limits(max_attributes=100))
    tag = re.search(r"<div[^>]*>", out).group(0)
    assert tag.count("='v'") == 99 and "class='box'" in tag
    assert out.endswith(">inside</div><p>after</p>")
    assert "max_attributes" in caplog.text
    assert texts(html, max_attributes=100) == ["before", "inside", "after"]


def test_guard_keeps_long_tags_with_few_attributes():
    html = "<p>x</p><img srcset='" + "a.jpg 1x, " * 2000 + "'><div data-json='" + "{}" * 3000 + "'>y</div>"
    assert guard_markup(html, Limits(max_attributes=16)) is html


def test_guard_ignores_tag_lookalikes_in_scripts_styles_and_comments():
    code = "for (i = 0; i<n; i++) { " + " ".join(f"v{i} = w{i};" for i in range(3000)) + " }"
    for wrap in ("<script>{}</script>", "<SCRIPT type='module'>{}</SCRIPT>", "<style>{}</style>", "<!-- {} -->"):
        html = "<p>x</p>" + wrap.format(code) + "<p>y</p>"
        assert guard_markup(html, Limits(max_attributes=100)) is html
        assert guard_markup(html.encode(), Limits(max_attributes=100)) == html.encode()


# ----- never crash -----------------------------------------------------------------------------------------
FRAGMENTS = ["<p>", "</p>", "<div class='a b'>", "</div>", "<br>", "<a href=x>", "</a>", "<li>", "<ul>", "</ul>",
             "<table><tr><td>", "</td>", "<script>", "</script>", "<!--", "-->", "<svg>", "<b>", "</b>", "<h2>",
             "text ", "more words ", "&amp;", "&nbsp;", "<", ">", "'", '"', "=", "\x00", "\u2028", "é", "<x-y z>"]


@settings(max_examples=200, deadline=None, database=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=80), st.integers(1, 6), st.integers(1, 30))
def test_any_markup_segments_without_error(pieces, depth, chars):
    html = "".join(pieces)
    blocks = segment_html(html, Limits(max_depth=depth, max_block_chars=chars))
    assert [b.index for b in blocks] == list(range(len(blocks)))
    for block in blocks:
        assert block.text and block.text == block.text.strip() and len(block.text) <= chars
        assert "  " not in block.text
        assert 0.0 <= block.link_share <= 1.0


def test_noscript_content_is_read_and_marked():
    """Some sites (forums) serve the whole thread inside <noscript>: it must not vanish."""
    blocks = segment_html("<body><noscript><div class='post'><p>Reply one about the topic.</p></div>"
                          "</noscript></body>")
    assert [b.text for b in blocks] == ["Reply one about the topic."]
    assert "noscript" in blocks[0].dom_tokens


def test_role_main_and_article_body_mark_in_article():
    blocks = segment_html("<body><div role='main'><p>First.</p></div><div itemprop='articleBody'>"
                          "<p>Second.</p></div><div><p>Third.</p></div></body>")
    assert [b.in_article for b in blocks] == [True, True, False]
