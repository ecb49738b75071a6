"""Shape features: numbers about each block and its page, beside the TF-IDF of its words.

Counted for a whole page at once: the page's texts are joined into one string,
read as an array of code points, and every character class the features need
(word character, digit, capital, punctuation, sentence end...) is a bit in one
lookup table, so a count per block is one ``np.add.reduceat``. The regular
expressions in the comments are what each count equals.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from operator import attrgetter

import numpy as np

from .blocks import Block
from .vocabulary import as_block_tokens
from .context import container_ids
from .headings import ENDS_SENTENCE as _ENDS_SENTENCE, governing_headings
from .region import path_groups
from .charclass import BULLET, CAPITAL, CLOSER, DECIMAL, LOWER, PUNCT, SPACE, STOP, WORD_CHAR, text_flags
from .tokens import WORD, BlockTokens, tokenize_blocks, word_tokens

__all__ = ["KINDS", "SHAPE_NAMES", "TokenTfidf", "BlockTokens", "WORD", "page_shape_features", "shape_features",
           "tokenize_blocks", "word_tokens"]



def __getattr__(name: str):
    """``TokenTfidf`` (the training transformer) is imported on first use: it needs scikit-learn."""
    if name == "TokenTfidf":
        from .tfidf import TokenTfidf
        return TokenTfidf
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


KINDS = ("paragraph", "heading", "list_item", "table_cell", "block", "line", "quote", "caption",
         "label", "preformatted")

SHAPE_NAMES = (
    "log_chars", "log_words", "link_share", "punct_rate", "ends_sentence", "upper_share",
    "digit_share", "cap_word_share", "mean_word_len", "log_sentences", "position", "position_sq",
    "heading", "in_list", "in_table", "in_article", "depth", "blank_before", "duplicate",
    "rel_len_page_max", "rel_len_page_median", "container_log_size", "container_link_share",
    "container_log_mean_chars", "container_heading_share", "prev_log_chars", "next_log_chars",
    "prev_link_share", "next_link_share", "prev_heading", "next_heading", "first", "last",
    "starts_lower", "has_pipe_or_bullet", "is_short", "blank_vs_page", "next_blank_before",
    "headline_like", "headline_run", "long_share_after", "long_share_before", "next_is_long",
    "prev_is_long", "after_last_long", "trailing_headline", "trailing_run", "leading_headline",
    "path_log_count", "path_link_share", "path_mean_log_chars", "heading_log_distance", "has_heading",
    "article_link_share", "path_article_link_share", "container_article_link_share",
) + tuple("kind_" + k for k in KINDS)



def _text_counts(texts: Sequence[str]) -> np.ndarray:
    """Per text: punctuation, capitals, digits, capitalised words, sentence ends, bullets, starts lower.

    Texts are joined with newlines, which stand for the start and end of each text
    (a newline is neither a word character nor anything counted, and it is a space).
    """
    joined = "\n".join(texts) + "\n"
    flags = text_flags(joined)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    starts = np.concatenate(([0], np.cumsum(lengths + 1)[:-1]))
    word = (flags & WORD_CHAR) != 0
    space = (flags & SPACE) != 0
    stop = (flags & STOP) != 0
    closer = (flags & CLOSER) != 0
    capital = (flags & CAPITAL) != 0
    after_space = np.append(space[1:], True)
    after_after_space = np.concatenate((space[2:], np.ones(min(2, len(space)), dtype=bool)))
    after_closer = np.append(closer[1:], False)
    # \b[A-ZÀ-ÖØ-Þ]\w: a capital after a non-word character and before a word character
    cap_word = capital & np.append(word[1:], False) & ~np.concatenate(([False], word[:-1]))
    # [.!?]["'”’)\]]?(\s|$)
    sentence_end = stop & (after_space | (after_closer & after_after_space))
    columns = np.stack([(flags & PUNCT) != 0, capital, (flags & DECIMAL) != 0, cap_word, sentence_end,
                        (flags & BULLET) != 0], axis=1)
    out = np.empty((len(texts), columns.shape[1] + 1), dtype=np.float64)
    out[:, :-1] = np.add.reduceat(columns, starts, axis=0, dtype=np.int64)
    out[:, -1] = (flags[starts] & LOWER) != 0
    out[lengths == 0] = 0.0  # reduceat reads one character for an empty range
    return out


_BLOCK_FACTS = attrgetter("depth", "link_chars", "heading", "in_list", "in_table", "in_article",
                          "article_link_chars")


def _blank_before(block: Block) -> int:
    return min(block.extra.get("blank_before", 0), 3) if block.extra else 0


def shape_features(blocks: Sequence[Block], tokens: BlockTokens | Sequence[Sequence[str]]) -> np.ndarray:
    """Numeric features of each block and its page, one row per block (unscaled).

    ``tokens`` are the blocks' word tokens (:func:`word_tokens` of each text).
    """
    tokens = as_block_tokens(tokens)
    return page_shape_features(blocks, tokens.counts(), tokens.lengths())


def page_shape_features(blocks: Sequence[Block], word_counts: np.ndarray, word_chars: np.ndarray,
                        containers: np.ndarray | None = None, groups: np.ndarray | None = None,
                        governing: np.ndarray | None = None) -> np.ndarray:
    """:func:`shape_features` from the number of word tokens and their characters per block
    (and the blocks' :func:`container_ids`, :func:`path_groups` and
    :func:`governing_headings`, when the caller has them)."""
    n = len(blocks)
    out = np.zeros((n, len(SHAPE_NAMES)), dtype=np.float64)
    if n == 0:
        return out
    texts = [b.text for b in blocks]
    lengths = np.fromiter(map(len, texts), dtype=np.float64, count=n)
    chars = np.maximum(lengths, 1.0)
    words = np.asarray(word_counts, dtype=np.float64)
    counts = _text_counts(texts)
    facts = np.array(list(map(_BLOCK_FACTS, blocks)), dtype=np.float64).reshape(n, 7)
    kinds = [b.kind for b in blocks]
    log_chars = np.log1p(lengths)
    link = np.minimum(1.0, facts[:, 1] / chars) * (lengths > 0)
    heading = ((facts[:, 2] > 0) | np.fromiter(map("heading".__eq__, kinds), dtype=bool, count=n)).astype(float)
    repeats = Counter(texts)
    out[:, 0] = log_chars
    out[:, 1] = np.log1p(words)
    out[:, 2] = link
    out[:, 3] = counts[:, 0] / chars
    out[:, 4] = [t.endswith(_ENDS_SENTENCE) for t in texts]
    out[:, 5] = counts[:, 1] / chars
    out[:, 6] = counts[:, 2] / chars
    out[:, 7] = counts[:, 3] / np.maximum(words, 1.0)
    out[:, 8] = np.divide(word_chars, words, out=np.zeros(n), where=words > 0)
    out[:, 9] = np.log1p(counts[:, 4])
    position = np.arange(n) / max(n - 1, 1)
    out[:, 10] = position
    out[:, 11] = position ** 2
    out[:, 12] = heading
    out[:, 13:16] = facts[:, 3:6] > 0
    out[:, 16] = np.minimum(facts[:, 0], 40.0) / 40.0
    blank = out[:, 17]
    if any(b.extra for b in blocks):  # text mode: blank lines before each line
        blank[:] = list(map(_blank_before, blocks))
    if len(repeats) < n:
        out[:, 18] = [repeats[t] > 1 for t in texts]
    out[:, 19] = lengths / max(lengths.max(), 1.0)
    out[:, 20] = log_chars - math.log1p(float(np.median(lengths)))
    ids = container_ids(blocks) if containers is None else containers
    sizes = np.bincount(ids).astype(np.float64)
    out[:, 21] = np.log(sizes[ids])
    out[:, 22] = (np.bincount(ids, weights=link) / sizes)[ids]
    out[:, 23] = (np.bincount(ids, weights=log_chars) / sizes)[ids]
    out[:, 24] = (np.bincount(ids, weights=heading) / sizes)[ids]
    out[1:, 25] = log_chars[:-1]
    out[:-1, 26] = log_chars[1:]
    out[1:, 27] = link[:-1]
    out[:-1, 28] = link[1:]
    out[1:, 29] = heading[:-1]
    out[:-1, 30] = heading[1:]
    out[0, 31] = 1.0
    out[-1, 32] = 1.0
    out[:, 33] = counts[:, 6]
    out[:, 34] = counts[:, 5] > 0
    out[:, 35] = words <= 3
    out[:, 36] = blank - float(np.median(blank))
    out[:-1, 37] = blank[1:]
    # Teaser lists are runs of headline-like lines with no long paragraph after them;
    # a story's sub-headings stand alone between long paragraphs.
    headline = (out[:, 4] == 0) & (lengths >= 12) & (lengths <= 160)
    out[:, 38] = headline
    out[:, 39] = np.log1p(_run_lengths(headline))
    long_chars = np.where(lengths >= 150, lengths, 0.0)
    total_long = max(long_chars.sum(), 1.0)
    after = long_chars[::-1].cumsum()[::-1] - long_chars
    out[:, 40] = after / total_long
    out[:, 41] = (long_chars.cumsum() - long_chars) / total_long
    is_long = lengths >= 150
    out[:-1, 42] = is_long[1:]
    out[1:, 43] = is_long[:-1]
    # What follows the last long paragraph is rarely story; a linear model needs the
    # conjunction spelled out ("headline-like AND after the story").
    trailing = (after == 0) & ~is_long
    out[:, 44] = trailing
    out[:, 45] = trailing & headline
    out[:, 46] = trailing * out[:, 39]
    out[:, 47] = (out[:, 41] == 0) & ~is_long & headline
    # Cards, list items and comments repeat one DOM path; a story's paragraphs do too, but
    # with long, link-free text.
    groups = path_groups(blocks) if groups is None else groups
    group_sizes = np.bincount(groups).astype(np.float64)
    out[:, 48] = np.log(group_sizes[groups])
    out[:, 49] = (np.bincount(groups, weights=link) / group_sizes)[groups]
    out[:, 50] = (np.bincount(groups, weights=log_chars) / group_sizes)[groups]
    governing = governing_headings(blocks, groups) if governing is None else governing
    has = governing >= 0
    out[:, 51] = np.where(has, np.log1p(np.arange(n) - governing), 0.0)
    out[:, 52] = has
    # Teaser cards link to other stories (slug-shaped targets), and come in runs of them.
    article_link = np.minimum(1.0, facts[:, 6] / chars) * (lengths > 0)
    out[:, 53] = article_link
    out[:, 54] = (np.bincount(groups, weights=article_link) / group_sizes)[groups]
    out[:, 55] = (np.bincount(ids, weights=article_link) / sizes)[ids]
    kind_index = {k: i for i, k in enumerate(KINDS)}
    kind_col = np.fromiter(map(kind_index.get, kinds, [-1] * n), dtype=np.int64, count=n)
    has_kind = kind_col >= 0
    base = len(SHAPE_NAMES) - len(KINDS)
    out[np.flatnonzero(has_kind), base + kind_col[has_kind]] = 1.0
    return out


def _run_lengths(flags: np.ndarray) -> np.ndarray:
    """For each True, the length of the run of Trues it belongs to; 0 for False."""
    edges = np.flatnonzero(np.diff(np.concatenate(([False], flags, [False])).astype(np.int8)))
    starts, stops = edges[::2], edges[1::2]
    out = np.zeros(len(flags))
    out[flags.astype(bool)] = np.repeat(stops - starts, stops - starts)
    return out
