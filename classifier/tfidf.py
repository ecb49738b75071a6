"""TF-IDF over word tokens and their bigrams, worked out on token hashes.

Like ``TfidfVectorizer(sublinear_tf=True)`` with an optional bigram range, but it
takes :class:`~classifier.tokens.BlockTokens` (one tokenisation pass feeds every
use of the text) and never builds a token string while scoring: grams are 64-bit
hashes looked up in a :class:`~classifier.gramtable.GramTable`. Fitting counts
document frequencies on the hashes too and names only the grams it keeps, so the
saved vocabulary is readable. :meth:`TokenTfidf.decision` gives ``X @ coef``
without building ``X``.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import chain

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

from .gramtable import GramTable
from .tokens import BlockTokens, gram_hashes, tokenize_blocks

Docs = BlockTokens | Sequence[Sequence[str]]
_NO_CAP = 1 << 30


def as_block_tokens(docs: Docs) -> BlockTokens:
    """``docs`` as :class:`BlockTokens`; token lists are taken as they are (no lowercasing)."""
    if isinstance(docs, BlockTokens):
        return docs
    return tokenize_blocks([" ".join(doc) for doc in docs], _NO_CAP, normalise=False)


def _string_hashes(tokens: Sequence[str]) -> np.ndarray:
    """Python's own hashes of strings, as uint64 (never 0: ``hash`` gives 0 only for "").

    Valid within one process only, which is all a lookup table built at load time needs;
    a string keeps its hash once computed, so DOM words that the segmenter reuses
    across blocks and pages are hashed once.
    """
    hashes = np.fromiter(map(hash, tokens), dtype=np.int64, count=len(tokens)).view(np.uint64)
    hashes[hashes == 0] = 1
    return hashes


class TokenTfidf(TransformerMixin, BaseEstimator):
    """Sublinear TF-IDF with l2-normalised rows over token documents, optionally with bigrams."""

    def __init__(self, ngram_max: int = 1, min_df: int = 3, max_features: int | None = 100_000,
                 sublinear_tf: bool = True) -> None:
        self.ngram_max = ngram_max
        self.min_df = min_df
        self.max_features = max_features
        self.sublinear_tf = sublinear_tf

    def _grams(self, docs: BlockTokens) -> tuple[np.ndarray, np.ndarray]:
        """Hashes of every unigram and (if asked) bigram occurrence, and the row of each."""
        hashes, rows = docs.hashes(), docs.rows
        if self.ngram_max >= 2 and len(hashes) > 1:
            pairs, pair_rows = docs.bigram_hashes()
            return np.concatenate((hashes, pairs)), np.concatenate((rows, pair_rows))
        return hashes, rows

    def __getstate__(self) -> dict:
        """Pickle without the lookup tables: the string table holds this process's string hashes,
        which mean nothing in another process (``PYTHONHASHSEED``); both are rebuilt on first use."""
        state = super().__getstate__()
        state.pop("_table", None)
        state.pop("_string_table", None)
        return state

    def _whole_tokens(self, docs: Docs) -> bool:
        """Token lists (DOM words) are looked up whole, by their string hash, when only unigrams are wanted."""
        return not isinstance(docs, BlockTokens) and self.ngram_max < 2

    # ----- fit --------------------------------------------------------------------------
    def fit(self, docs: Docs, y=None) -> "TokenTfidf":
        """Keep grams found in at least ``min_df`` documents, the ``max_features`` most frequent."""
        if self._whole_tokens(docs):
            return self._fit_whole_tokens(docs)
        docs = as_block_tokens(docs)
        codes, rows = self._grams(docs)
        grams, first, dense = np.unique(codes, return_index=True, return_inverse=True)
        n_rows = max(docs.n_rows, 1)
        pairs = np.unique(dense.astype(np.int64) * n_rows + rows)
        df = np.bincount(pairs // n_rows, minlength=len(grams))
        chosen = np.flatnonzero(df >= self.min_df)
        return self._keep(self._names(docs, first[chosen]), df[chosen].tolist(), docs.n_rows)

    def _fit_whole_tokens(self, docs: Sequence[Sequence[str]]) -> "TokenTfidf":
        df: dict[str, int] = {}
        for doc in docs:
            for token in set(doc):
                df[token] = df.get(token, 0) + 1
        chosen = [(t, c) for t, c in df.items() if c >= self.min_df]
        return self._keep([t for t, _ in chosen], [c for _, c in chosen], len(docs))

    def _keep(self, names: list[str], df: list[int], n_docs: int) -> "TokenTfidf":
        """Vocabulary and idf from candidate grams and their document frequencies."""
        items = sorted(zip(names, df), key=lambda tc: (-tc[1], tc[0]))
        if self.max_features:
            items = items[: self.max_features]
        items.sort()
        self.vocabulary_ = {t: i for i, (t, _) in enumerate(items)}
        self.idf_ = np.array([math.log((1 + n_docs) / (1 + c)) + 1.0 for _, c in items], dtype=np.float64)
        self.__dict__.pop("_table", None)
        self.__dict__.pop("_string_table", None)
        return self

    def _names(self, docs: BlockTokens, occurrences: np.ndarray) -> list[str]:
        """The text of grams given by one occurrence each (an index into :meth:`_grams`)."""
        text = docs.codes.tobytes().decode("utf-32-le", "surrogatepass")
        starts, ends = docs.starts.tolist(), docs.ends.tolist()
        n_tokens = len(starts)
        token_of_pair = np.flatnonzero(docs.rows[:-1] == docs.rows[1:]).tolist() if n_tokens > 1 else []
        names = []
        for i in occurrences.tolist():
            if i < n_tokens:
                names.append(text[starts[i]:ends[i]])
            else:
                j = token_of_pair[i - n_tokens]
                names.append(f"{text[starts[j]:ends[j]]} {text[starts[j + 1]:ends[j + 1]]}")
        return names

    # ----- transform -------------------------------------------------------------------
    def _cached_table(self, slot: str, hash_grams) -> GramTable:
        """The vocabulary as a :class:`GramTable` keyed by ``hash_grams``, built on first use."""
        table = self.__dict__.get(slot)
        if table is None or table.source is not self.vocabulary_:
            grams = list(self.vocabulary_)
            table = GramTable(hash_grams(grams), np.fromiter(self.vocabulary_.values(), dtype=np.int64,
                                                             count=len(grams)))
            table.source = self.vocabulary_
            self.__dict__[slot] = table
        return table

    @property
    def table(self) -> GramTable:
        """The vocabulary keyed by the gram hashes of :mod:`classifier.tokens` (stable across processes)."""
        return self._cached_table("_table", gram_hashes)

    @property
    def string_table(self) -> GramTable:
        """The vocabulary keyed by Python's string hashes (whole tokens; valid in this process only)."""
        return self._cached_table("_string_table", _string_hashes)

    def weights(self, docs: Docs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(rows, cols, values)`` of the non-zero TF-IDF entries, rows in order."""
        if self._whole_tokens(docs):
            lengths = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
            n_rows = len(docs)
            rows = np.repeat(np.arange(n_rows, dtype=np.int64), lengths)
            cols = self.string_table.lookup(_string_hashes(list(chain.from_iterable(docs))))
        else:
            docs = as_block_tokens(docs)
            n_rows = docs.n_rows
            hashes, rows = self._grams(docs)
            cols = self.table.lookup(hashes)
        found = cols >= 0
        rows, cols = rows[found], cols[found]
        n_features = max(len(self.idf_), 1)
        keys, counts = np.unique(rows * n_features + cols, return_counts=True)
        rows = keys // n_features
        cols = keys - rows * n_features
        values = counts.astype(np.float64)
        if self.sublinear_tf:
            values = np.log(values) + 1.0
        values *= self.idf_[cols]
        norms = np.sqrt(np.bincount(rows, weights=values * values, minlength=n_rows))
        values /= norms[rows]
        return rows, cols, values

    def transform(self, docs: Docs) -> sp.csr_matrix:
        """One l2-normalised TF-IDF row per document."""
        n_rows = docs.n_rows if isinstance(docs, BlockTokens) else len(docs)
        rows, cols, values = self.weights(docs)
        indptr = np.zeros(n_rows + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n_rows), out=indptr[1:])
        return sp.csr_matrix((values, cols.astype(np.int32), indptr), shape=(n_rows, len(self.idf_)))

    def decision(self, docs: Docs, coef: np.ndarray) -> np.ndarray:
        """``transform(docs) @ coef``, one number per document, without building the matrix."""
        n_rows = docs.n_rows if isinstance(docs, BlockTokens) else len(docs)
        rows, cols, values = self.weights(docs)
        return np.bincount(rows, weights=values * coef[cols], minlength=n_rows)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        names = [""] * len(self.vocabulary_)
        for token, i in self.vocabulary_.items():
            names[i] = token
        return np.asarray(names, dtype=object)
