"""Training examples: gold pages cut into blocks and labelled, for HTML mode or text mode.

Text mode learns from the HTML pages *as a scraper would see them*: the page's
blocks written out as plain text, one block a line, in one of three styles chosen
per page with a seeded random (no blank lines; a blank line after every line; a
blank line where the DOM container changes), then cut again by the text
segmenter exactly as at inference time. Labels carry over line for line.

Each text page also gets an *extract view*, used for evaluation only: what an
extractor that already dropped most clutter would emit (the story and a sample
of the blocks around it). Cross-validation scores it with the same fold models
and picks the post-filter threshold on it. Training on such views made the model
keep a teaser list after a story (the seed example), so they are not trained on.
"""
from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field


from classifier.blocks import Block
from classifier.decoding import decode_bytes
from classifier.errors import InputError
from classifier.html_segmenter import segment_html
from classifier.text_segmenter import segment_text

from .alignment import align_labels
from .augment import augment_pages
from .comments import comment_mask
from .progress import progress as progress_of
from .readers import GoldPage, LabelledPage
from .teasers import teaser_mask


@dataclass
class Examples:
    """Pages of blocks with one label per block, the site of each page, and the source pages."""

    pages: list[list[Block]]
    labels: list[list[int]]
    groups: list[str]
    sources: list[GoldPage | LabelledPage]
    teasers: list[list[bool]] = field(default_factory=list)
    #: True for a page made for training only (an augmented copy): never tested, scored or reported.
    train_only: list[bool] = field(default_factory=list)
    #: Other renderings of the same pages, index for index, scored out of fold but never trained on.
    views: dict[str, "Examples"] = field(default_factory=dict)
    #: Readers' comment blocks outside the gold story (training.comments), like ``teasers``.
    comments: list[list[bool]] = field(default_factory=list)

    def is_train_only(self, i: int) -> bool:
        """True when page ``i`` is for training only (readers that predate the flag leave it empty)."""
        return bool(self.train_only) and self.train_only[i]

    def comment_mask(self, i: int) -> list[bool]:
        """Page ``i``'s comment blocks (none for readers that do not mark them)."""
        return self.comments[i] if i < len(self.comments) else [False] * len(self.pages[i])

    def extend(self, other: "Examples", start: int = 0, stop: int | None = None) -> None:
        """Append ``other``'s pages ``start:stop`` (not its views)."""
        pick = slice(start, stop)
        self.comments += [[False] * len(p) for p in self.pages[len(self.comments):]]  # pages appended without a mask
        self.comments += [other.comment_mask(i) for i in range(len(other.pages))[pick]]
        self.pages += other.pages[pick]
        self.labels += other.labels[pick]
        self.groups += other.groups[pick]
        self.sources += other.sources[pick]
        self.teasers += other.teasers[pick] if other.teasers else [[False] * len(p) for p in other.pages[pick]]
        self.train_only += other.train_only[pick] if other.train_only else [False] * len(other.pages[pick])


def page_html_blocks(page: GoldPage) -> list[Block]:
    """Decode and segment a gold page's HTML (empty list for a page that cannot be read)."""
    html = page.html
    if isinstance(html, (bytes, bytearray)):
        try:
            html, _ = decode_bytes(html)
        except InputError:
            return []
    return segment_html(html or "")


def named_blocks(page: GoldPage, blocks: list[Block]) -> list[Block]:
    """The blocks whose class words mark a page's teaser and comment blocks: its own, or for a
    copy with hashed names (``GoldPage.named_html``) the same blocks as they were named before,
    so that hashing hides the names from the model and not the widgets from the labels. Should
    the parse round trip of hashing have changed the blocks' texts, the copy's own blocks are used."""
    if page.named_html is None:
        return blocks
    named = segment_html(page.named_html)
    return named if [b.text for b in named] == [b.text for b in blocks] else blocks


TEXT_STYLES = ("lines", "blank-lines", "structural")
# What an extractor that already cut most clutter lets through: clutter inside the story
# span (captions, bylines, inline boxes), some of it near the story, little of the rest.
_EXTRACT_KEEP = {"inside": 0.5, "near": 0.3, "far": 0.05}
_NEAR = 5


def extractor_sample(labels: Sequence[int], rng: random.Random) -> list[bool]:
    """Which blocks an extractor's output holds: every story block and a sample of the clutter."""
    story = [i for i, y in enumerate(labels) if y]
    if not story:
        return [rng.random() < _EXTRACT_KEEP["far"] for _ in labels]
    first, last = story[0], story[-1]
    keep = []
    for i, y in enumerate(labels):
        if y:
            keep.append(True)
            continue
        where = "inside" if first < i < last else "near" if first - _NEAR <= i <= last + _NEAR else "far"
        keep.append(rng.random() < _EXTRACT_KEEP[where])
    return keep


def render_as_text(blocks: Sequence[Block], style: str = "lines") -> str:
    """The page as plain text, one block a line.

    ``lines``: no blank lines; ``blank-lines``: a blank line after every block;
    ``structural``: a blank line where the DOM container changes, as many
    HTML-to-text converters write it (a teaser list often ends up spaced unlike the story).
    """
    if style == "lines":
        return "\n".join(b.text for b in blocks)
    if style == "blank-lines":
        return "\n\n".join(b.text for b in blocks)
    out: list[str] = []
    for i, b in enumerate(blocks):
        if i and b.container != blocks[i - 1].container:
            out.append("")
        out.append(b.text)
    return "\n".join(out)


def build_examples(pages: Sequence[GoldPage], mode: str = "html", seed: int = 0,
                   progress: bool = True, augment: float = 0.0, augment_threads: bool = False,
                   augment_hashed_classes: float = 0.0) -> Examples:
    """Segment and label gold pages for ``mode`` ("html" or "text").

    ``augment`` > 0 adds copies of that share of the pages with teaser widgets
    inserted (:func:`training.augment.augment_pages`; ``augment_threads``: some
    article copies get a readers' comment thread too; ``augment_hashed_classes``: that
    share of the copies get hashed class names), after the real pages and
    flagged ``train_only``: they teach, they are never scored.
    """
    rng = random.Random(seed)
    view_rng = random.Random(seed + 1)  # its own stream: the training renderings do not depend on it
    out = Examples([], [], [], [])
    extract = Examples([], [], [], [])
    extra = augment_pages(pages, augment, seed, progress, threads=augment_threads,
                          hashed_classes=augment_hashed_classes) if augment else []
    todo = [(page, False) for page in pages] + [(page, True) for page in extra]
    for page, train_only in progress_of(todo, desc=f"segmenting ({mode})", unit="page", enabled=progress):
        if page.html is not None:
            blocks = page_html_blocks(page)
            labels = align_labels(blocks, page.main_text)
            named = named_blocks(page, blocks)
            teasers = teaser_mask(named, labels)
            comments = comment_mask(named, labels, page.page_type)
            if mode == "text":
                _add_page(extract, page, *extract_view(blocks, labels, teasers, view_rng, comments),
                          train_only=train_only)
                blocks = segment_text(render_as_text(blocks, rng.choice(TEXT_STYLES)))
        else:
            blocks = segment_text(page.text or "")
            labels = align_labels(blocks, page.main_text)
            teasers = teaser_mask(blocks, labels)
            comments = comment_mask(blocks, labels, page.page_type)
            if mode == "text":
                _add_page(extract, page, blocks, labels, teasers, comments, train_only=train_only)
        # A page with no blocks stays in: it scores 0 in evaluation, as it should.
        _add_page(out, page, blocks, labels, teasers, comments, train_only=train_only)
    if mode == "text":
        out.views["extract"] = extract
    return out


def _add_page(examples: Examples, page: GoldPage, blocks: list[Block], labels: list[int],
              teasers: list[bool], comments: list[bool], train_only: bool = False) -> None:
    examples.pages.append(blocks)
    examples.labels.append(labels)
    examples.teasers.append(teasers)
    examples.comments.append(comments)
    examples.train_only.append(train_only)
    examples.groups.append(page.domain)
    examples.sources.append(page)


def extract_view(blocks: Sequence[Block], labels: Sequence[int], teasers: Sequence[bool],
                 rng: random.Random, comments: Sequence[bool]) -> tuple[list[Block], list[int], list[bool], list[bool]]:
    """The page as an extractor's text output: the story and a sample of the clutter, as text blocks.

    Returns the blocks, their labels, teaser mask and comment mask.
    """
    keep = extractor_sample(labels, rng)
    kept = [b for b, k in zip(blocks, keep) if k]
    text_blocks = segment_text(render_as_text(kept, rng.choice(("lines", "blank-lines"))))
    return (text_blocks, [y for y, k in zip(labels, keep) if k], [t for t, k in zip(teasers, keep) if k],
            [c for c, k in zip(comments, keep) if k])


def labelled_examples(pages: Sequence[LabelledPage], mode: str = "html") -> Examples:
    """Examples from labelled blocks; with the page's HTML, labels move onto its own blocks."""
    out = Examples([], [], [], [])
    for page in pages:
        if mode == "html" and page.html:
            blocks = segment_html(page.html)
            story = "\n".join(t for t, y in zip(page.texts, page.labels) if y)
            labels = align_labels(blocks, story)
        else:
            blocks = segment_text("\n".join(" ".join(t.split()) or "-" for t in page.texts))
            labels = list(page.labels)
            if len(blocks) != len(labels):  # a text that was only whitespace became "-"
                labels = labels[: len(blocks)]
        if blocks:
            out.pages.append(blocks)
            out.labels.append(labels)
            out.groups.append(page.domain)
            out.sources.append(page)
    return out
