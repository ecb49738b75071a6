"""TF-IDF over word tokens and their bigrams, worked out on token hashes: the transformer training fits.

Like ``TfidfVectorizer(sublinear_tf=True)`` with an optional bigram range, but it
takes :class:`~classifier.tokens.BlockTokens` (one tokenisation pass feeds every
use of the text) and never builds a token string while scoring: grams are 64-bit
hashes looked up in a :class:`~classifier.gramtable.GramTable`. Fitting counts
document frequencies on the hashes too and names only the grams it keeps, so the
saved vocabulary is readable. :meth:`TokenTfidf.decision` gives ``X @ coef``
without building ``X``. Scoring needs only the lookup half,
:class:`~classifier.vocabulary.TfidfLookup`, which imports neither scikit-learn nor scipy.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

from .tokens import BlockTokens
from .vocabulary import Docs, TfidfLookup, as_block_tokens, string_hashes

__all__ = ["Docs", "TokenTfidf", "as_block_tokens", "string_hashes"]


class TokenTfidf(TfidfLookup, TransformerMixin, BaseEstimator):
    """Sublinear TF-IDF with l2-normalised rows over token documents, optionally with bigrams."""

    def __init__(self, ngram_max: int = 1, min_df: int = 3, max_features: int | None = 100_000,
                 sublinear_tf: bool = True) -> None:
        self.ngram_max = ngram_max
        self.min_df = min_df
        self.max_features = max_features
        self.sublinear_tf = sublinear_tf

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
    def transform(self, docs: Docs) -> sp.csr_matrix:
        """One l2-normalised TF-IDF row per document."""
        n_rows = docs.n_rows if isinstance(docs, BlockTokens) else len(docs)
        rows, cols, values = self.weights(docs)
        indptr = np.zeros(n_rows + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n_rows), out=indptr[1:])
        return sp.csr_matrix((values, cols.astype(np.int32), indptr), shape=(n_rows, len(self.idf_)))
