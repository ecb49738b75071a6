"""Block features: TF-IDF over words and DOM tokens, plus scaled numeric shape features.

Vectorising is the hot path of scoring, so the text is tokenised once per block
with one regular expression, the tokens a block contributes are capped, and the
TF-IDF vectoriser is a small scikit-learn transformer over pre-tokenised input
(a vocabulary dict lookup per token, one CSR matrix per page).
"""
from __future__ import annotations

import math
import re
from collections import Counter
from itertools import repeat
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

from .blocks import Block

WORD = re.compile(r"\w+")
_DIGIT = re.compile(r"\d")
_UPPER = re.compile(r"[A-ZÀ-ÖØ-Þ]")
_CAP_WORD = re.compile(r"\b[A-ZÀ-ÖØ-Þ]\w")
_PUNCT = re.compile(r"[.,;:!?]")
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]?(\s|$)")
_ENDS_SENTENCE = ('.', '!', '?', '."', '.”', '?"', '?”', '!"', '!”', ".'", ".’", '…', ':', '。')
KINDS = ("paragraph", "heading", "list_item", "table_cell", "block", "line", "quote", "caption",
         "label", "preformatted")


def word_tokens(text: str, cap: int) -> list[str]:
    """Lowercase word tokens of a block, at most ``cap`` of them; digits fold to one shape."""
    tokens = WORD.findall(text.lower(), 0, 12 * cap)[:cap]
    return [("0" * min(len(t), 4) if t.isdigit() else t) for t in tokens]


_pair = "{} {}".format


class TokenTfidf(TransformerMixin, BaseEstimator):
    """TF-IDF over pre-tokenised documents (lists of tokens), optionally with bigrams.

    Like ``TfidfVectorizer(sublinear_tf=True)`` but takes tokens, so one tokenisation
    pass per page feeds every use of the text.
    """

    def __init__(self, ngram_max: int = 1, min_df: int = 3, max_features: int | None = 100_000,
                 sublinear_tf: bool = True) -> None:
        self.ngram_max = ngram_max
        self.min_df = min_df
        self.max_features = max_features
        self.sublinear_tf = sublinear_tf

    def _grams(self, tokens: Sequence[str]) -> list[str]:
        """Unigrams, then bigrams when asked: the same grams ``transform`` looks up."""
        if self.ngram_max < 2 or len(tokens) < 2:
            return list(tokens)
        return [*tokens, *map(_pair, tokens[:-1], tokens[1:])]

    def fit(self, docs: Sequence[Sequence[str]], y=None) -> "TokenTfidf":
        df: Counter[str] = Counter()
        for tokens in docs:
            df.update(set(self._grams(tokens)))
        items = [(t, c) for t, c in df.items() if c >= self.min_df]
        items.sort(key=lambda tc: (-tc[1], tc[0]))
        if self.max_features:
            items = items[: self.max_features]
        items.sort()
        self.vocabulary_ = {t: i for i, (t, _) in enumerate(items)}
        n = len(docs)
        self.idf_ = np.array([math.log((1 + n) / (1 + c)) + 1.0 for _, c in items], dtype=np.float64)
        return self

    def transform(self, docs: Sequence[Sequence[str]]) -> sp.csr_matrix:
        """One l2-normalised TF-IDF row per document.

        All grams of all documents are looked up in one ``map`` over the vocabulary,
        and counts come from one ``np.unique`` over (row, column) keys: no Python loop
        runs per token.
        """
        vocab_get = self.vocabulary_.get
        n_docs = len(docs)
        n_features = len(self.vocabulary_)
        grams: list[str] = []
        lengths = np.zeros(n_docs, dtype=np.int64)
        bigrams = self.ngram_max >= 2
        for row, tokens in enumerate(docs):
            grams += tokens
            count = len(tokens)
            if bigrams and count > 1:
                grams += map(_pair, tokens[:-1], tokens[1:])
                count += count - 1
            lengths[row] = count
        ids = np.fromiter(map(vocab_get, grams, repeat(-1)), dtype=np.int64, count=len(grams))
        rows = np.repeat(np.arange(n_docs, dtype=np.int64), lengths)
        known = ids >= 0
        keys, counts = np.unique(rows[known] * max(n_features, 1) + ids[known], return_counts=True)
        rows = keys // max(n_features, 1)
        cols = keys - rows * max(n_features, 1)
        data = counts.astype(np.float64)
        if self.sublinear_tf:
            data = np.log(data) + 1.0
        data *= self.idf_[cols]
        norms = np.sqrt(np.bincount(rows, weights=data * data, minlength=n_docs))
        norms[norms == 0] = 1.0
        data /= norms[rows]
        indptr = np.zeros(n_docs + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n_docs), out=indptr[1:])
        return sp.csr_matrix((data, cols.astype(np.int32), indptr), shape=(n_docs, n_features))

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        names = [""] * len(self.vocabulary_)
        for token, i in self.vocabulary_.items():
            names[i] = token
        return np.asarray(names, dtype=object)


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
) + tuple("kind_" + k for k in KINDS)


# Columns filled per block in shape_features' loop, in the order of its tuple.
_LOOP_COLUMNS = [1, 3, 4, 5, 6, 7, 8, 9, 16, 17, 18, 33, 34, 35]


def shape_features(blocks: Sequence[Block], tokens: Sequence[Sequence[str]]) -> np.ndarray:
    """Numeric features of each block and its page, one row per block (unscaled)."""
    n = len(blocks)
    out = np.zeros((n, len(SHAPE_NAMES)), dtype=np.float64)
    if n == 0:
        return out
    lengths = np.array([len(b.text) for b in blocks], dtype=np.float64)
    log_chars = np.log1p(lengths)
    link = np.array([b.link_share for b in blocks])
    heading = np.array([b.heading or b.kind == "heading" for b in blocks], dtype=np.float64)
    text_count = Counter(b.text for b in blocks)
    containers: dict[int, list[int]] = {}
    for i, b in enumerate(blocks):
        containers.setdefault(b.container if b.container >= 0 else -2 - i, []).append(i)
    page_max = lengths.max()
    page_median = float(np.median(lengths))
    kind_index = {k: i for i, k in enumerate(KINDS)}
    base = len(SHAPE_NAMES) - len(KINDS)
    punct, upper, digit, cap_word, sentence_end = (
        _PUNCT.findall, _UPPER.findall, _DIGIT.findall, _CAP_WORD.findall, _SENTENCE_END.findall)
    rows = []
    kinds = []
    for b, toks in zip(blocks, tokens):
        text = b.text
        chars = len(text) or 1
        words = len(toks)
        rows.append((
            math.log1p(words), len(punct(text)) / chars, text.endswith(_ENDS_SENTENCE),
            len(upper(text)) / chars, len(digit(text)) / chars, len(cap_word(text)) / (words or 1),
            (sum(map(len, toks)) / words) if words else 0.0, math.log1p(len(sentence_end(text))),
            min(b.depth, 40) / 40.0, min(b.extra.get("blank_before", 0), 3) if b.extra else 0,
            text_count[text] > 1, text[:1].islower(), ("|" in text) or ("•" in text) or ("»" in text),
            words <= 3,
        ))
        kinds.append(kind_index.get(b.kind, -1))
    out[:, _LOOP_COLUMNS] = np.array(rows, dtype=np.float64)
    kind_col = np.asarray(kinds)
    has_kind = kind_col >= 0
    out[np.flatnonzero(has_kind), base + kind_col[has_kind]] = 1.0
    out[:, 0] = log_chars
    out[:, 2] = link
    position = np.arange(n) / max(n - 1, 1)
    out[:, 10] = position
    out[:, 11] = position ** 2
    out[:, 12] = heading
    out[:, 13] = [b.in_list for b in blocks]
    out[:, 14] = [b.in_table for b in blocks]
    out[:, 15] = [b.in_article for b in blocks]
    out[:, 19] = lengths / max(page_max, 1.0)
    out[:, 20] = np.log1p(lengths) - math.log1p(page_median)
    if containers:
        ids = np.empty(n, dtype=np.int64)
        for slot, members in enumerate(containers.values()):
            ids[members] = slot
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
    blank = out[:, 17]
    out[:, 36] = blank - float(np.median(blank))
    out[:-1, 37] = blank[1:]
    # Teaser lists are runs of headline-like lines with no long paragraph after them;
    # a story's sub-headings stand alone between long paragraphs.
    headline = (out[:, 4] == 0) & (lengths >= 12) & (lengths <= 160)
    out[:, 38] = headline
    run = np.zeros(n)
    start = 0
    for i in range(1, n + 1):
        if i == n or headline[i] != headline[start]:
            if headline[start]:
                run[start:i] = i - start
            start = i
    out[:, 39] = np.log1p(run)
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
    out[0, 31] = 1.0
    out[-1, 32] = 1.0
    return out
