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
        if self.ngram_max < 2 or len(tokens) < 2:
            return list(tokens)
        return list(tokens) + [a + " " + b for a, b in zip(tokens, tokens[1:])]

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
        vocab_get = self.vocabulary_.get
        indptr = [0]
        indices: list[int] = []
        for tokens in docs:
            ids = [i for i in map(vocab_get, self._grams(tokens)) if i is not None]
            indices.extend(ids)
            indptr.append(len(indices))
        n_features = len(self.vocabulary_)
        data = np.ones(len(indices), dtype=np.float64)
        matrix = sp.csr_matrix((data, np.asarray(indices, dtype=np.int32), np.asarray(indptr, dtype=np.int32)),
                               shape=(len(docs), n_features))
        matrix.sum_duplicates()
        if self.sublinear_tf:
            np.log(matrix.data, out=matrix.data)
            matrix.data += 1.0
        matrix.data *= self.idf_[matrix.indices]
        # l2-normalise rows
        sq = matrix.multiply(matrix).sum(axis=1).A1
        norms = np.sqrt(sq)
        norms[norms == 0] = 1.0
        row_of = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
        matrix.data /= norms[row_of]
        return matrix

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
    "prev_is_long",
) + tuple("kind_" + k for k in KINDS)


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
    for i, (b, toks) in enumerate(zip(blocks, tokens)):
        text = b.text
        chars = max(len(text), 1)
        words = len(toks)
        row = out[i]
        row[1] = math.log1p(words)
        row[3] = len(_PUNCT.findall(text)) / chars
        row[4] = text.endswith(_ENDS_SENTENCE)
        row[5] = len(_UPPER.findall(text)) / chars
        row[6] = len(_DIGIT.findall(text)) / chars
        row[7] = len(_CAP_WORD.findall(text)) / max(words, 1)
        row[8] = (sum(map(len, toks)) / words) if words else 0.0
        row[9] = math.log1p(len(_SENTENCE_END.findall(text)))
        row[16] = min(b.depth, 40) / 40.0
        row[17] = min(b.extra.get("blank_before", 0), 3) if b.extra else 0
        row[18] = text_count[text] > 1
        row[33] = text[:1].islower()
        row[34] = ("|" in text) or ("•" in text) or ("»" in text)
        row[35] = words <= 3
        k = kind_index.get(b.kind)
        if k is not None:
            row[base + k] = 1.0
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
    out[0, 31] = 1.0
    out[-1, 32] = 1.0
    return out
