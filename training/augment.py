"""Seeded teaser-widget augmentation: copies of training pages with extra "More from" boxes inserted.

Real pages hold only a few recommendation widgets each, and their look varies
more than 1,500 pages can show. An augmented copy of a page gets one or two
widgets (:mod:`training.widgets`) listing OTHER pages' headlines (their gold
title, else their ``<title>`` or first heading) and leads (the first sentence
of their gold text), put where sites put them: mostly right after the story's
last paragraph, sometimes between paragraphs ("Read more: ..."), in a sidebar
next to the article container, or at the end of the body. The gold text is not
changed, so the alignment labels every inserted block boilerplate; each copy is
checked for that (and for leaving every original block as it was) and dropped
when the check fails.

Headlines come from pages of other sites than the target page, never from the
same site: most sites in WCXB have a single page, and another site's headline
is unlikely to be a line of the target's own story (one that the alignment
would call story there is skipped all the same).
"""
from __future__ import annotations

import dataclasses
import difflib
import html as html_lib
import json
import random
import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser, LexborNode

from classifier.blocks import Block
from classifier.decoding import decode_bytes
from classifier.errors import InputError
from classifier.html_segmenter import BLOCK_TAGS, SKIP_TAGS, segment_html

from .alignment import GoldText, align_labels
from .comment_widgets import render_thread
from .hashed_classes import hash_class_names
from .progress import progress as progress_of
from .readers import GoldPage
from .widgets import (CONTAINER_SHAPES, HEADINGS, INLINE_SHAPES, LEAD_SHARE, SIDEBAR_CLASSES, Teaser,
                      container_class, pick_heading, pick_inline_label, render_container, render_inline,
                      site_name, teaser_href)

AUG_SUFFIX = "~aug"
#: Where a widget goes, and how often.
PLACES = {"after-story": 0.5, "in-story": 0.15, "sidebar": 0.2, "body-end": 0.15}
_NO_HEADING = 0.15
_SECOND_WIDGET = 0.3
_TRIES = 3
_RUN_GAP = 10
#: Share of augmented article pages that also get a readers' comment thread after the story.
THREAD_SHARE = 0.35
#: Page types that get threads (a forum's posts are its content; product pages have reviews).
THREAD_PAGE_TYPES = frozenset({"article", "unknown"})
_SENTENCES_PER_PAGE = 8
# A widget goes next to an element whose parent can hold a <div>: never inside a <p>,
# a list or a table row, nor inside a link or an inline element.
_FLOW_PARENTS = frozenset("div section article main body aside td th header footer center details dd form "
                          "figure".split())
_SENTENCE = re.compile(r"^(.{30,}?[.!?])(?=\s+[\"'“‘(]?[A-ZÀ-Þ0-9]|\s*$)", re.S)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)
_H1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.I | re.S)
_TAG = re.compile(r"<[^>]+>")
_LANG = re.compile(r"<html[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2})", re.I)
_SQUASH = re.compile(r"[\s\u00ad\u200b]+")


@dataclass(frozen=True)
class Donor:
    """What a page lends to other pages' widgets: its headline and lead, and its site."""

    id: str
    domain: str
    headline: str
    lead: str | None


def _clean(text: str) -> str:
    return " ".join(html_lib.unescape(_TAG.sub(" ", text)).split())


def gold_record_title(page: GoldPage) -> str:
    """The ``ground_truth.title`` of a WCXB record the page was read from (empty if none)."""
    if not page.source.endswith(".json"):
        return ""
    try:
        record = json.loads(Path(page.source).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    gold = record.get("ground_truth") if isinstance(record, dict) else None
    title = gold.get("title") if isinstance(gold, dict) else None
    return " ".join(title.split()) if isinstance(title, str) else ""


def page_markup(page: GoldPage) -> str | None:
    """The page's HTML as text (None when it has none or it cannot be decoded)."""
    raw = page.html
    if raw is None:
        return None
    if isinstance(raw, (bytes, bytearray)):
        try:
            raw, _ = decode_bytes(bytes(raw))
        except InputError:
            return None
    return raw


def html_title(markup: str) -> str:
    """The page's ``<title>`` without a site suffix (its longest ``|``/`` - `` part), else its first ``<h1>``."""
    m = _TITLE.search(markup, 0, 200_000)
    if m:
        parts = [p.strip() for p in re.split(r"\s+[|–—·:-]{1,2}\s+", _clean(m.group(1)))]
        best = max(parts, key=len, default="")
        if len(best.split()) >= 3:
            return best
    m = _H1.search(markup)
    return _clean(m.group(1)) if m else ""


def first_sentence(main_text: str, skip: str = "", max_chars: int = 180) -> str | None:
    """The first sentence of the first real paragraph (8+ words, not the headline), cut to ``max_chars``."""
    skip_words = skip.lower().split()
    for line in main_text.splitlines():
        line = " ".join(line.split())
        if len(line.split()) < 8 or line.lower().split() == skip_words:
            continue
        m = _SENTENCE.match(line)
        sentence = m.group(1) if m else line
        if len(sentence) > max_chars:
            sentence = sentence[:max_chars].rsplit(" ", 1)[0].rstrip(",;:") + "…"
        return sentence
    return None


def donor_of(page: GoldPage) -> Donor | None:
    """The headline and lead a page lends, or None when it has no usable headline."""
    headline = gold_record_title(page)
    if not headline:
        markup = page_markup(page)
        headline = html_title(markup) if markup else ""
    words = len(headline.split())
    if not 3 <= words <= 25 or len(headline) > 180:
        return None
    return Donor(page.id, page.domain, headline, first_sentence(page.main_text, skip=headline))


def sentence_pool(pages: Sequence[GoldPage]) -> list[tuple[str, str]]:
    """``(site, sentence)`` pairs of the pages' gold text: the prose of made-up comments."""
    out: list[tuple[str, str]] = []
    for page in pages:
        taken = 0
        for line in page.main_text.splitlines():
            line = " ".join(line.split())
            if len(line.split()) < 8:
                continue
            m = _SENTENCE.match(line)
            sentence = m.group(1) if m else line
            if len(sentence) <= 300:
                out.append((page.domain, sentence))
                taken += 1
            if taken == _SENTENCES_PER_PAGE:
                break
    return out


def donor_pool(pages: Sequence[GoldPage]) -> list[Donor]:
    """Every page's donor, in page order (pages without a headline lend nothing)."""
    return [d for d in map(donor_of, pages) if d is not None]


# ----- where a widget goes ---------------------------------------------------------------------
def _squash(text: str) -> str:
    return _SQUASH.sub("", text)


def _visible_text_nodes(root: LexborNode) -> list[LexborNode]:
    """The text nodes under ``root`` the segmenter reads, in order (not those in ``<script>``, ``<textarea>``...)."""
    out: list[LexborNode] = []
    stop = root.mem_id
    node = root.first_child
    while node is not None:
        if node.is_text_node:
            out.append(node)
        elif node.is_element_node and node.tag not in SKIP_TAGS and node.first_child is not None:
            node = node.first_child
            continue
        while node is not None and node.next is None:
            node = node.parent
            if node is None or node.mem_id == stop:
                return out
        node = node.next if node is not None else None
    return out


def _deepest_holding(root: LexborNode, needle: str, last: bool = True) -> LexborNode | None:
    """The deepest element under ``root`` whose visible text holds ``needle`` (whitespace ignored).

    The last such place by default: a story's paragraphs are repeated earlier (a table
    of contents, breadcrumbs) more often than after it.
    """
    nodes = _visible_text_nodes(root)
    pieces = [_squash(n.text_content or "") for n in nodes]
    joined = "".join(pieces)
    at = joined.rfind(needle) if last else joined.find(needle)
    if not needle or at < 0:
        return None
    ends = list(accumulate(len(p) for p in pieces))
    first = bisect_right(ends, at)
    final = bisect_right(ends, at + len(needle) - 1)
    return _common_ancestor(nodes[first].parent, nodes[final].parent)


def _placeable(node: LexborNode) -> LexborNode | None:
    """The nearest block element at or above ``node`` that a ``<div>`` may follow (None: only the body)."""
    while node is not None and node.tag not in ("body", "html"):
        parent = node.parent
        if node.tag in BLOCK_TAGS and parent is not None and parent.tag in _FLOW_PARENTS:
            return node
        node = parent
    return None


def _story_anchor(tree: LexborHTMLParser, block: Block, last: bool = True) -> LexborNode | None:
    body = tree.body
    if body is None:
        return None
    found = _deepest_holding(body, _squash(block.text)[:40], last)
    return _placeable(found) if found is not None else None


def _common_ancestor(a: LexborNode, b: LexborNode) -> LexborNode | None:
    ids = set()
    node = a
    while node is not None:
        ids.add(node.mem_id)
        node = node.parent
    node = b
    while node is not None and node.mem_id not in ids:
        node = node.parent
    return node


def _story_blocks(blocks: Sequence[Block], labels: Sequence[int]) -> list[Block]:
    """The story blocks of the page's main run: the one with the most story text, where runs part at
    gaps of more than ``_RUN_GAP`` other blocks (a footer line that repeats the story is not its end)."""
    runs: list[list[Block]] = []
    last = -_RUN_GAP - 2
    for i, (b, y) in enumerate(zip(blocks, labels)):
        if not y:
            continue
        if i - last > _RUN_GAP + 1:
            runs.append([])
        runs[-1].append(b)
        last = i
    return max(runs, key=lambda run: sum(len(b.text) for b in run), default=[])


def _last_paragraph(story: Sequence[Block]) -> Block:
    """The last story block of five words or more (a trailing byline or tag says little), else the last."""
    for b in reversed(story):
        if len(b.text.split()) >= 5:
            return b
    return story[-1]


def _place_marker(tree: LexborHTMLParser, story: Sequence[Block], place: str, marker: str,
                  rng: random.Random) -> str:
    """Put ``marker`` (a text node) where ``place`` says; returns the place actually used."""
    body = tree.body
    if place == "in-story":
        middle = [b for b in story[1:-1] if len(b.text.split()) >= 8]
        anchor = _story_anchor(tree, rng.choice(middle)) if len(middle) >= 2 else None
        if anchor is not None:
            anchor.insert_after(marker)
            return place
        place = "after-story"
    if place == "after-story":
        anchor = _story_anchor(tree, _last_paragraph(story))
        if anchor is not None:
            anchor.insert_after(marker)
            return place
        place = "body-end"
    if place == "sidebar":
        first, last = _story_anchor(tree, story[0], last=False), _story_anchor(tree, _last_paragraph(story))
        common = _common_ancestor(first, last) if first is not None and last is not None else None
        container = _placeable(common) if common is not None else None
        if container is not None:
            (container.insert_before if rng.random() < 0.5 else container.insert_after)(marker)
            return place
        place = "body-end"
    body.insert_child(marker)
    return "body-end"


# ----- what a widget holds ---------------------------------------------------------------------
def page_language(markup: str) -> str:
    m = _LANG.search(markup, 0, 20_000)
    return m.group(1).lower() if m else ""


def _language(rng: random.Random, page_lang: str) -> str:
    """The page's own language half the time (when there are headings for it), else any, English most."""
    if page_lang in HEADINGS and rng.random() < 0.5:
        return page_lang
    return "en" if rng.random() < 0.4 else rng.choice(sorted(HEADINGS))


def _teasers(rng: random.Random, pool: Sequence[Donor], page: GoldPage, gold: GoldText, n: int,
             lead_share: float, host: str) -> list[tuple[Teaser, str]]:
    """``n`` items (with their donor's id) from other sites' pages whose texts are not in the target's gold text."""
    style = rng.randrange(4)
    items: list[tuple[Teaser, str]] = []
    seen: set[str] = set()
    for _ in range(20 * n if pool else 0):
        if len(items) == n:
            break
        d = pool[rng.randrange(len(pool))]
        if d.id in seen or d.id == page.id or d.domain == page.domain or gold.block_is_story(d.headline):
            continue
        seen.add(d.id)
        lead = d.lead if d.lead and rng.random() < lead_share and not gold.block_is_story(d.lead) else None
        items.append((Teaser(d.headline, lead, teaser_href(rng, d.headline, host, style)), d.id))
    return items


def _widget(rng: random.Random, pool: Sequence[Donor], page: GoldPage, gold: GoldText, place: str,
            lang: str) -> tuple[str, str, list[str]] | None:
    """``(shape, html, donor ids)`` of one widget for ``place``, or None when too few donors fit."""
    host = page.url.split("//", 1)[-1].split("/", 1)[0] if page.url else ""
    if place == "in-story":
        shape = rng.choice(INLINE_SHAPES)
        picked = _teasers(rng, pool, page, gold, 1 if shape == "read-more-line" else rng.randint(1, 3), 0.0, host)
        label = pick_inline_label(rng, lang)
        if not picked or gold.block_is_story(label):
            return None
        items = [t for t, _ in picked]
        return shape, render_inline(shape, rng, items, label, container_class(rng)), [d for _, d in picked]
    shape = rng.choice(CONTAINER_SHAPES)
    picked = _teasers(rng, pool, page, gold, rng.randint(3, 8), LEAD_SHARE[shape], host)
    if len(picked) < 3:
        return None
    heading = None if rng.random() < _NO_HEADING else pick_heading(rng, lang, site_name(page.domain))
    if heading is not None and gold.block_is_story(heading):
        heading = None
    widget = render_container(shape, rng, [t for t, _ in picked], heading, container_class(rng))
    if place == "sidebar" and rng.random() < 0.5:
        widget = f'<div class="{rng.choice(SIDEBAR_CLASSES)}">{widget}</div>'
    return shape, widget, [d for _, d in picked]


def _thread(rng: random.Random, sentences: Sequence[tuple[str, str]], page: GoldPage, gold: GoldText,
            lang: str) -> str | None:
    """A readers' comment thread of 3 to 9 posts made of other sites' sentences, or None when too few fit."""
    posts: list[list[str]] = []
    for _ in range(rng.randint(3, 9)):
        post: list[str] = []
        length = rng.choice((1, 1, 2, 3))
        for _ in range(40):
            if len(post) == length:
                break
            site, sentence = sentences[rng.randrange(len(sentences))]
            if site != page.domain and not gold.block_is_story(sentence):
                post.append(sentence)
        if post:
            posts.append(post)
    return render_thread(rng, posts, lang) if len(posts) >= 3 else None


# ----- checking a copy -------------------------------------------------------------------------
@dataclass
class InsertionCheck:
    """How the blocks of an augmented page relate to the original's."""

    inserted: list[int]  # indices (in the augmented page) of blocks that are not the original's
    inserted_story: int  # of those, how many the alignment labels story
    changed: int  # original blocks that were cut, merged, lost or relabelled

    @property
    def ok(self) -> bool:
        return bool(self.inserted) and not self.inserted_story and not self.changed


def check_insertion(original: Sequence[Block], augmented: Sequence[Block], main_text: str) -> InsertionCheck:
    """Compare the block texts and labels of a page before and after widgets were inserted."""
    a, b = [x.text for x in original], [x.text for x in augmented]
    la, lb = align_labels(original, main_text), align_labels(augmented, main_text)
    inserted: list[int] = []
    changed = 0
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "insert":
            inserted += range(j1, j2)
        elif op == "equal":
            changed += sum(la[i] != lb[j] for i, j in zip(range(i1, i2), range(j1, j2)))
        else:
            changed += i2 - i1
    return InsertionCheck(inserted, sum(lb[j] for j in inserted), changed)


# ----- pages -----------------------------------------------------------------------------------
@dataclass
class Augmented:
    """One augmented page's HTML and what went into it (shapes, places, heading language)."""

    html: str
    shapes: list[str]
    places: list[str]
    language: str
    donors: list[str]  # ids of the pages whose headlines the widgets list
    named_html: str | None = None  # with hashed class and id names: the html as it was before

    @property
    def hashed_classes(self) -> bool:
        """True when the class and id names were replaced by hashed ones."""
        return self.named_html is not None


def augment_html(page: GoldPage, pool: Sequence[Donor], rng: random.Random,
                 sentences: Sequence[tuple[str, str]] = (), thread_rng: random.Random | None = None,
                 hashed_classes: float = 0.0, names_rng: random.Random | None = None) -> Augmented | None:
    """The page's HTML with one or two teaser widgets inserted, or None when no copy passes the check.

    With ``sentences`` and ``thread_rng``, an article page gets a readers' comment thread
    after its story as well, with probability :data:`THREAD_SHARE` (drawn from
    ``thread_rng`` alone, so the teaser widgets are the same with or without threads).
    With ``names_rng``, the copy's class and id names are then hashed with probability
    ``hashed_classes`` (:mod:`training.hashed_classes`; the widgets stay the same).
    """
    markup = page_markup(page)
    if not markup or not page.main_text.strip():
        return None
    blocks = segment_html(markup)
    labels = align_labels(blocks, page.main_text)
    story = _story_blocks(blocks, labels)
    if not story:
        return None
    gold = GoldText(page.main_text)
    lang = _language(rng, page_language(markup))
    threaded = (thread_rng is not None and bool(sentences) and page.page_type in THREAD_PAGE_TYPES
                and thread_rng.random() < THREAD_SHARE)
    for _ in range(_TRIES):
        tree = LexborHTMLParser(markup)
        if tree.body is None:
            return None
        widgets: list[tuple[str, str, str, list[str]]] = []  # marker, shape, html, donor ids
        places: list[str] = []
        for k in range(2 if rng.random() < _SECOND_WIDGET else 1):
            place = rng.choices(list(PLACES), weights=list(PLACES.values()))[0]
            made = _widget(rng, pool, page, gold, place, lang)
            if made is None:
                continue
            marker = f"sfaugmark{k}x{rng.getrandbits(48):012x}"
            if marker in markup:
                continue
            places.append(_place_marker(tree, story, place, marker, rng))
            widgets.append((marker, *made))
        thread = _thread(thread_rng, sentences, page, gold, lang) if threaded and thread_rng else None
        if thread is not None:
            marker = f"sfaugthread{thread_rng.getrandbits(48):012x}"
            if marker not in markup:
                places.append(_place_marker(tree, story, "after-story", marker, thread_rng))
                widgets.append((marker, "comment-thread", thread, []))
        if not widgets:
            continue
        out = tree.html or ""
        if any(out.count(w[0]) != 1 for w in widgets):
            continue
        for marker, _, widget, _ in widgets:
            out = out.replace(marker, widget)
        if check_insertion(blocks, segment_html(out), page.main_text).ok:
            # class and id names never decide which blocks a page has, so the checked copy stays valid
            named = None
            if names_rng is not None and names_rng.random() < hashed_classes:
                named, out = out, hash_class_names(out, names_rng)
            return Augmented(out, [w[1] for w in widgets], places, lang, [d for w in widgets for d in w[3]], named)
    return None


def augmented_id(page_id: str) -> str:
    return page_id + AUG_SUFFIX


def augment_pages(pages: Sequence[GoldPage], share: float = 0.5, seed: int = 0,
                  progress: bool = False, threads: bool = False, hashed_classes: float = 0.0) -> list[GoldPage]:
    """New copies of a seeded ``share`` of the pages (those with HTML and gold text) with teaser widgets
    (and, on some article pages, a readers' comment thread when ``threads``; in a ``hashed_classes``
    share of the copies, every class and id name hashed).

    Each copy keeps its source's url (so its site, and its cross-validation
    group), gold text, snippets and page type; its id is the source's plus
    ``~aug``. Pages whose copy fails the insertion check are left out. The
    same pages and seed give the same copies.
    """
    for what, value in (("augment share", share), ("hashed-classes share", hashed_classes)):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{what} must be between 0 and 1, got {value}")
    eligible = [p for p in pages if p.html is not None and p.main_text.strip()]
    count = round(share * len(eligible))
    if not count:
        return []
    chosen = sorted(random.Random(seed).sample(range(len(eligible)), count))
    pool = donor_pool(pages)
    sentences = sentence_pool(pages) if threads else []
    out = []
    for i in progress_of(chosen, desc="adding teaser widgets", unit="page", enabled=progress):
        page = eligible[i]
        made = augment_html(page, pool, random.Random(f"{seed}:{page.id}"), sentences,
                            random.Random(f"{seed}:{page.id}:thread"), hashed_classes,
                            random.Random(f"{seed}:{page.id}:names"))
        if made is not None:
            out.append(dataclasses.replace(page, id=augmented_id(page.id), html=made.html, site=page.domain,
                                           named_html=made.named_html, with_snippets=list(page.with_snippets),
                                           without_snippets=list(page.without_snippets)))
    return out
