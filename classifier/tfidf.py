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

    # ----- fit --------------------------------------------------------------------------
    def fit(self, docs: Docs, y=None) -> "TokenTfidf":
        """Keep grams found in at least ``min_df`` documents, the ``max_features`` most frequent."""
        docs = as_block_tokens(docs)
        codes, rows = self._grams(docs)
        grams, first, dense = np.unique(codes, return_index=True, return_inverse=True)
        n_rows = max(docs.n_rows, 1)
        pairs = np.unique(dense.astype(np.int64) * n_rows + rows)
        df = np.bincount(pairs // n_rows, minlength=len(grams))
        chosen = np.flatnonzero(df >= self.min_df)
        names = self._names(docs, first[chosen])
        items = sorted(zip(names, df[chosen].tolist()), key=lambda tc: (-tc[1], tc[0]))
        if self.max_features:
            items = items[: self.max_features]
        items.sort()
        self.vocabulary_ = {t: i for i, (t, _) in enumerate(items)}
        n = docs.n_rows
        self.idf_ = np.array([math.log((1 + n) / (1 + c)) + 1.0 for _, c in items], dtype=np.float64)
        self.__dict__.pop("_table", None)
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
    @property
    def table(self) -> GramTable:
        """The vocabulary as a :class:`GramTable` of gram hashes, built on first use."""
        table = self.__dict__.get("_table")
        if table is None or table.source is not self.vocabulary_:
            grams = list(self.vocabulary_)
            table = GramTable(gram_hashes(grams), np.fromiter(self.vocabulary_.values(), dtype=np.int64,
                                                              count=len(grams)))
            table.source = self.vocabulary_
            self.__dict__["_table"] = table
        return table

    def weights(self, docs: Docs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(rows, cols, values)`` of the non-zero TF-IDF entries, rows in order."""
        docs = as_block_tokens(docs)
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
        norms = np.sqrt(np.bincount(rows, weights=values * values, minlength=docs.n_rows))
        values /= norms[rows]
        return rows, cols, values

    def transform(self, docs: Docs) -> sp.csr_matrix:
        """One l2-normalised TF-IDF row per document."""
        docs = as_block_tokens(docs)
        rows, cols, values = self.weights(docs)
        indptr = np.zeros(docs.n_rows + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=docs.n_rows), out=indptr[1:])
        return sp.csr_matrix((values, cols.astype(np.int32), indptr), shape=(docs.n_rows, len(self.idf_)))

    def decision(self, docs: Docs, coef: np.ndarray) -> np.ndarray:
        """``transform(docs) @ coef``, one number per document, without building the matrix."""
        docs = as_block_tokens(docs)
        rows, cols, values = self.weights(docs)
        return np.bincount(rows, weights=values * coef[cols], minlength=docs.n_rows)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        names = [""] * len(self.vocabulary_)
        for token, i in self.vocabulary_.items():
            names[i] = token
        return np.asarray(names, dtype=object)
