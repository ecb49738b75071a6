"""TF-IDF weights of blocks by vocabulary lookup: what scoring needs of a fitted vectorizer, numpy only.

A fitted :class:`~classifier.tfidf.TokenTfidf` (the scikit-learn transformer that
training uses) is this plus ``fit`` and ``transform``; a saved model rebuilds only
this, so scoring never imports scikit-learn or scipy. Grams are 64-bit hashes
looked up in a :class:`~classifier.gramtable.GramTable`: word grams by the hashes
of :mod:`classifier.tokens` (stable across processes, so they can be saved with
the model and the table built without reading a single gram), whole DOM words by
Python's string hash (valid in this process only).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import chain

import numpy as np

from .gramtable import GramTable
from .tokens import BlockTokens, gram_hashes, tokenize_blocks

Docs = BlockTokens | Sequence[Sequence[str]]
_NO_CAP = 1 << 30


def as_block_tokens(docs: Docs) -> BlockTokens:
    """``docs`` as :class:`BlockTokens`; token lists are taken as they are (no lowercasing)."""
    if isinstance(docs, BlockTokens):
        return docs
    return tokenize_blocks([" ".join(doc) for doc in docs], _NO_CAP, normalise=False)


def string_hashes(tokens: Sequence[str]) -> np.ndarray:
    """Python's own hashes of strings, as uint64 (never 0: ``hash`` gives 0 only for "").

    Valid within one process only, which is all a lookup table built at load time needs;
    a string keeps its hash once computed, so DOM words that the segmenter reuses
    across blocks and pages are hashed once.
    """
    hashes = np.fromiter(map(hash, tokens), dtype=np.int64, count=len(tokens)).view(np.uint64)
    hashes[hashes == 0] = 1
    return hashes


class TfidfLookup:
    """Sublinear TF-IDF with l2-normalised rows, by looking grams up in a fitted vocabulary.

    Needs ``idf_`` and either ``vocabulary_`` (gram -> column) or, for word grams,
    the saved gram hashes in column order (:meth:`from_hashes`), which skip reading
    and hashing the grams at load time.
    """

    ngram_max: int = 1
    sublinear_tf: bool = True
    vocabulary_: dict[str, int]
    idf_: np.ndarray

    @classmethod
    def from_vocabulary(cls, vocabulary: Sequence[str], idf: np.ndarray, ngram_max: int) -> "TfidfLookup":
        """A lookup over grams given in column order; ValueError if the sizes differ or a gram is malformed."""
        lookup = cls._bare(idf, ngram_max)
        lookup.vocabulary_ = {gram: column for column, gram in enumerate(vocabulary)}
        if len(lookup.vocabulary_) != len(lookup.idf_):
            raise ValueError("vocabulary and idf sizes differ")
        # hash the vocabulary now: a bad gram fails the load, and the first page is not slower
        lookup.string_table if lookup.whole_tokens_only() else lookup.table
        return lookup

    @classmethod
    def from_hashes(cls, hashes: np.ndarray, idf: np.ndarray, ngram_max: int) -> "TfidfLookup":
        """A word-gram lookup from the gram hashes of its columns (see :meth:`gram_hashes_by_column`)."""
        lookup = cls._bare(idf, ngram_max)
        hashes = np.asarray(hashes, dtype=np.uint64)
        if hashes.ndim != 1 or len(hashes) != len(lookup.idf_):
            raise ValueError("gram hashes and idf sizes differ")
        lookup.__dict__["_pending_hashes"] = hashes  # the table is built on first use (a mode never used costs none)
        return lookup

    def read_vocabulary_on_demand(self, read: Callable[[], Sequence[str]]) -> None:
        """Let ``vocabulary_`` (gram names, for explanations) be read by ``read`` when first asked for."""
        self.__dict__["_read_vocabulary"] = read

    def __getattr__(self, name: str):
        """``vocabulary_`` of a lookup built from hashes, read on first use (scoring never needs it)."""
        read = self.__dict__.get("_read_vocabulary") if name == "vocabulary_" else None
        if read is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        vocabulary = {gram: column for column, gram in enumerate(read())}
        if len(vocabulary) != len(self.idf_):
            raise ValueError("vocabulary and idf sizes differ")
        self.__dict__["vocabulary_"] = vocabulary
        return vocabulary

    @classmethod
    def _bare(cls, idf: np.ndarray, ngram_max: int) -> "TfidfLookup":
        lookup = cls.__new__(cls)
        lookup.ngram_max = int(ngram_max)
        lookup.sublinear_tf = True
        lookup.idf_ = np.asarray(idf, dtype=np.float64)
        if lookup.idf_.ndim != 1:
            raise ValueError("idf must be one-dimensional")
        return lookup

    def __getstate__(self) -> dict:
        """Pickle without the string table: it holds this process's string hashes, which mean
        nothing in another process (``PYTHONHASHSEED``); it is rebuilt on first use. A word table
        built from saved hashes is kept (there may be no vocabulary to rebuild it from); one
        built from the vocabulary is dropped and rebuilt."""
        state = dict(super().__getstate__() if hasattr(super(), "__getstate__") else self.__dict__)
        state.pop("_string_table", None)
        state.pop("_word_columns", None)  # a cache (classifier.dom_chars)
        table = state.get("_table")
        if table is not None and table.source is not None:
            state.pop("_table")
        return state

    def whole_tokens_only(self) -> bool:
        """True for a unigram vocabulary of whole tokens (DOM words), looked up by string hash."""
        return self.ngram_max < 2

    def _whole_tokens(self, docs: Docs) -> bool:
        """Token lists (DOM words) are looked up whole, by their string hash, when only unigrams are wanted."""
        return not isinstance(docs, BlockTokens) and self.ngram_max < 2

    def _grams(self, docs: BlockTokens) -> tuple[np.ndarray, np.ndarray]:
        """Hashes of every unigram and (if asked) bigram occurrence, and the row of each."""
        hashes, rows = docs.hashes(), docs.rows
        if self.ngram_max >= 2 and len(hashes) > 1:
            pairs, pair_rows = docs.bigram_hashes()
            return np.concatenate((hashes, pairs)), np.concatenate((rows, pair_rows))
        return hashes, rows

    def _cached_table(self, slot: str, hash_grams) -> GramTable:
        """The vocabulary as a :class:`GramTable` keyed by ``hash_grams``, built on first use."""
        table = self.__dict__.get(slot)
        pending = self.__dict__.get("_pending_hashes") if slot == "_table" else None
        if table is None and pending is not None:
            table = GramTable(pending, np.arange(len(pending), dtype=np.int64))
            table.source = None  # built from hashes: valid whatever vocabulary_ is later read
            self.__dict__[slot] = table
            return table
        if table is None or (table.source is not None and table.source is not self.__dict__.get("vocabulary_")):
            vocabulary = self.vocabulary_
            grams = list(vocabulary)
            table = GramTable(hash_grams(grams), np.fromiter(vocabulary.values(), dtype=np.int64,
                                                             count=len(grams)))
            table.source = vocabulary
            self.__dict__[slot] = table
        return table

    @property
    def table(self) -> GramTable:
        """The vocabulary keyed by the gram hashes of :mod:`classifier.tokens` (stable across processes)."""
        return self._cached_table("_table", gram_hashes)

    @property
    def string_table(self) -> GramTable:
        """The vocabulary keyed by Python's string hashes (whole tokens; valid in this process only)."""
        return self._cached_table("_string_table", string_hashes)

    def gram_hashes_by_column(self) -> np.ndarray:
        """The hash of each column's gram, in column order: what :meth:`from_hashes` takes."""
        out = np.zeros(len(self.idf_), dtype=np.uint64)
        out[np.fromiter(self.vocabulary_.values(), dtype=np.int64, count=len(self.vocabulary_))] = \
            gram_hashes(list(self.vocabulary_))
        return out

    def weights(self, docs: Docs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(rows, cols, values)`` of the non-zero TF-IDF entries, rows in order."""
        if self._whole_tokens(docs):
            lengths = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
            n_rows = len(docs)
            rows = np.repeat(np.arange(n_rows, dtype=np.int64), lengths)
            cols = self.string_table.lookup(string_hashes(list(chain.from_iterable(docs))))
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
