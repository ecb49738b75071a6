"""Gold-text alignment: a block is story when half its word trigrams are in the gold text;
a block under three words only when it equals a whole gold line. Also the teaser mask."""
from __future__ import annotations

import pytest

from classifier.blocks import Block
from training.alignment import GoldText, align_labels
from training.teasers import teaser_mask

GOLD = """Harbour Repairs Begin

The harbour board voted on Tuesday to rebuild the old stone pier before winter.
Work will start next month and should take six weeks.
Method
Divers inspected every pile, one at a time."""


def block(text: str, index: int = 0, kind: str = "paragraph", dom_tokens: tuple[str, ...] = ()) -> Block:
    return Block(index=index, text=text, kind=kind, dom_tokens=dom_tokens)


def is_story(text: str, gold: str = GOLD) -> bool:
    return GoldText(gold).block_is_story(text)


def test_long_block_inside_gold_is_story():
    assert is_story("The harbour board voted on Tuesday to rebuild the old stone pier before winter.")
    # part of a gold paragraph, another case and punctuation
    assert is_story("THE HARBOUR BOARD -- voted on tuesday!")


def test_soft_hyphens_in_the_gold_do_not_split_words():
    gold = "Appli\u00adcants are encour\u00adaged to apply for finan\u00adcial assis\u00adtance."
    block = Block(index=0, text="Applicants are encouraged to apply for financial assistance.", kind="paragraph")
    assert align_labels([block], gold) == [1]


def test_long_block_outside_gold_is_boilerplate():
    assert not is_story("Ten tricks to make your garden shine this weekend")


def test_half_the_trigrams_boundary():
    # 6 words -> 4 trigrams; (should take six), (take six weeks) are gold: 2 of 4, "at least half" -> story
    assert is_story("should take six weeks purple dragons")
    # 7 words -> 5 trigrams, still 2 hits: 0.4 -> boilerplate
    assert not is_story("should take six weeks purple dragons everywhere")


def test_exact_shares():
    gold = "alpha beta gamma delta epsilon"
    # block of 5 words, 3 trigrams; share 1/3 -> boilerplate, 2/3 -> story
    assert not is_story("alpha beta gamma zeta eta", gold)  # (alpha beta gamma) only
    assert is_story("alpha beta gamma delta eta", gold)  # 2 of 3
    # 4 words -> 2 trigrams; 1 of 2 is exactly half -> story
    assert is_story("beta gamma delta omega", gold)
    assert not is_story("omega beta gamma theta", gold)


def test_three_word_block_needs_its_trigram():
    gold = "one two three four"
    assert is_story("two three four", gold)
    assert not is_story("three two four", gold)


@pytest.mark.parametrize("text, expected", [
    ("Method", True),  # a whole gold line
    ("method.", True),  # case and punctuation do not matter
    ("Harbour Repairs", False),  # two words that are only part of a gold line
    ("Divers inspected", False),  # start of a gold line, not the whole line
    ("Share", False),
    ("", False),
    ("  ...  ", False),  # no words at all
])
def test_short_blocks_need_a_whole_gold_line(text, expected):
    assert is_story(text) is expected


def test_short_whole_line_with_two_words():
    assert is_story("Stone pier", "Stone Pier\nThe pier was built of local stone long ago.")


def test_trigrams_of_the_gold_are_per_word_sequence():
    # blocks are labelled independently: the same sentence elsewhere is story too
    blocks = [block("Work will start next month", 0), block("Work will start next month", 1)]
    assert align_labels(blocks, GOLD) == [1, 1]


def test_align_labels_on_a_page():
    blocks = [
        block("Home", 0, "list_item"),
        block("Harbour Repairs Begin", 1, "heading"),
        block("The harbour board voted on Tuesday to rebuild the old stone pier before winter.", 2),
        block("Method", 3, "heading"),
        block("Divers inspected every pile, one at a time.", 4),
        block("Recommended for you", 5, "heading"),
        block("Seven gadgets we loved this year", 6, "list_item"),
    ]
    assert align_labels(blocks, GOLD) == [0, 1, 1, 1, 1, 0, 0]
    assert align_labels(blocks, "") == [0] * len(blocks)
    assert align_labels([], GOLD) == []


def test_alignment_on_a_synthetic_page(synthetic_pages):
    from classifier.html_segmenter import segment_html

    page = synthetic_pages[0]
    blocks = segment_html(page.html)
    labels = align_labels(blocks, page.main_text)
    story = [b.text for b, y in zip(blocks, labels) if y]
    assert story == [page.title, *page.paragraphs]


# ----- teaser mask ------------------------------------------------------------------------------

def test_teaser_mask_by_heading_and_by_dom_words():
    blocks = [
        block("A long story paragraph about the harbour.", 0),
        block("Recommended for you", 1, "heading"),
        block("Ten tricks for your garden", 2, "list_item"),
        block("Why everyone is talking", 3, "list_item"),
        block("Newsletter", 4, "heading"),
        block("Sign up now", 5),
        block("Read this too", 6, "list_item", dom_tokens=("div", "related", "box")),
        block("Copyright", 7, dom_tokens=("footer",)),
    ]
    labels = [1, 0, 0, 0, 0, 0, 0, 0]
    assert teaser_mask(blocks, labels) == [False, True, True, True, False, False, True, False]


def test_teaser_mask_never_marks_gold_text():
    blocks = [block("Related", 0, "heading"), block("A story line under it.", 1),
              block("Teaser", 2, dom_tokens=("recommended",))]
    assert teaser_mask(blocks, [0, 1, 1]) == [True, False, False]


def html_mask(html: str, story: str = "") -> list[tuple[str, bool]]:
    from classifier.html_segmenter import segment_html

    blocks = segment_html(html)
    return [(b.text, m) for b, m in zip(blocks, teaser_mask(blocks, align_labels(blocks, story)))]


@pytest.mark.parametrize("attrs", ['class="more-from"', 'id="youMayAlsoLike"', 'class="up-next box"',
                                   'class="read_more"', 'class="related"'])
def test_teaser_words_split_by_the_segmenter_still_count(attrs):
    html = f"<body><div {attrs}><ul><li><a href='/a'>Seven gadgets we loved</a></li></ul></div></body>"
    assert html_mask(html) == [("Seven gadgets we loved", True)]


def test_ordinary_class_words_are_not_teasers():
    html = "<body><div class='more-info from-desk'><p>Call us any time</p></div></body>"
    assert html_mask(html) == [("Call us any time", False)]


def test_teaser_heading_region_ends_with_its_widget():
    html = ("<body><div class='box'><h3>You may also like</h3><ul><li>Ten tricks</li><li>Five more</li></ul></div>"
            "<div class='site-footer'><p>Copyright and privacy</p></div></body>")
    assert html_mask(html) == [("You may also like", True), ("Ten tricks", True), ("Five more", True),
                               ("Copyright and privacy", False)]


def test_teaser_heading_in_its_own_title_wrapper():
    html = ("<body><div class='box'><div class='title'><h3>More from the desk</h3></div>"
            "<ul><li>Ten tricks</li></ul></div><div class='bottom'><p>Copyright</p></div></body>")
    assert html_mask(html) == [("More from the desk", True), ("Ten tricks", True), ("Copyright", False)]


def test_teaser_heading_in_plain_text():
    blocks = [Block(index=i, text=t, kind="line") for i, t in enumerate(
        ["A story line about the harbour.", "More from the newsroom", "Ten tricks", "Five more"])]
    assert teaser_mask(blocks, [1, 0, 0, 0]) == [False, True, True, True]
    # a story sentence that happens to start like a widget title is not a heading
    blocks[1] = Block(index=1, text="Popular demand kept the ferry running.", kind="line")
    assert teaser_mask(blocks, [1, 0, 0, 0]) == [False, False, False, False]
