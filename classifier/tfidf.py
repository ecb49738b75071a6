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
from itertools import repeat
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
                 sublinear_tf: bool = True, min_groups: int = 1) -> None:
        self.ngram_max = ngram_max
        self.min_df = min_df
        self.max_features = max_features
        self.sublinear_tf = sublinear_tf
        self.min_groups = min_groups

    # ----- fit --------------------------------------------------------------------------
    def fit(self, docs: Docs, y=None, groups: Sequence | None = None) -> "TokenTfidf":
        """Keep grams found in at least ``min_df`` documents, the ``max_features`` most frequent.

        With ``groups`` (one per document, e.g. its site), a gram must also be found in at
        least ``min_groups`` groups: a class name or phrase of one site is that site's
        signature, and a weight learned for it is a site rule that no unseen site shares.
        """
        if groups is not None and len(groups) != (docs.n_rows if isinstance(docs, BlockTokens) else len(docs)):
            raise ValueError("groups must give one group per document")
        group_ids = None if groups is None or self.min_groups <= 1 else \
            np.unique(np.asarray(groups), return_inverse=True)[1].reshape(-1)
        if self._whole_tokens(docs):
            return self._fit_whole_tokens(docs, group_ids)
        docs = as_block_tokens(docs)
        codes, rows = self._grams(docs)
        grams, first, dense = np.unique(codes, return_index=True, return_inverse=True)
        n_rows = max(docs.n_rows, 1)
        pairs = np.unique(dense.astype(np.int64) * n_rows + rows)
        df = np.bincount(pairs // n_rows, minlength=len(grams))
        keep = df >= self.min_df
        if group_ids is not None:
            n_groups = int(group_ids.max()) + 1 if len(group_ids) else 1
            gram_groups = np.unique((pairs // n_rows) * n_groups + group_ids[pairs % n_rows])
            keep &= np.bincount(gram_groups // n_groups, minlength=len(grams)) >= self.min_groups
        chosen = np.flatnonzero(keep)
        return self._keep(self._names(docs, first[chosen]), df[chosen].tolist(), docs.n_rows)

    def _fit_whole_tokens(self, docs: Sequence[Sequence[str]], group_ids: np.ndarray | None = None
                          ) -> "TokenTfidf":
        df: dict[str, int] = {}
        groups_of: dict[str, set] = {}
        # documents that are one object (the blocks of one element share their token tuple) are
        # counted together: per distinct (object, group), how many documents it stands for
        where = zip(map(id, docs), group_ids.tolist() if group_ids is not None else repeat(0))
        distinct: dict[tuple[int, int], list] = {}
        for doc, key in zip(docs, where):
            entry = distinct.get(key)
            if entry is None:
                distinct[key] = [doc, 1]
            else:
                entry[1] += 1
        for (_, group), (doc, count) in distinct.items():
            for token in set(doc):
                df[token] = df.get(token, 0) + count
                if group_ids is not None:
                    groups_of.setdefault(token, set()).add(group)
        chosen = [(t, c) for t, c in df.items() if c >= self.min_df
                  and (group_ids is None or len(groups_of[t]) >= self.min_groups)]
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
