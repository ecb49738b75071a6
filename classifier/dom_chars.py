"""Character n-grams of a block's class and id words: the parts of names no vocabulary holds.

A widget's class is often one word glued from several (``moreheadlines``,
``relatedposts``) or a short form (``art-rc``). Split into words, ``moreheadlines``
is one token that no training site used; its character 3- to 5-grams (``hea``,
``head``, ``lines``...) are shared with names the training sites did use, so what
the model learned of them reaches names it never saw, in any language.
"""
from __future__ import annotations

from collections.abc import Sequence
from itertools import chain, repeat

import numpy as np

from .vocabulary import TfidfLookup

#: The n-gram lengths taken from each word, padded with a space on each side
#: (the same grams as scikit-learn's ``char_wb`` analyzer).
CHAR_NGRAM_RANGE = (3, 5)
_MARKED_PREFIXES = ("tag_", "self_")  # the block's own tag and element: whole-word features already
_CACHE_SIZE = 16384
_word_cache: dict[str, tuple[str, ...]] = {}
_tuple_cache: dict[tuple[str, ...], tuple[str, ...]] = {}
#: (tuple, gram) pairs are counted with one bincount over every possible pair while there are at
#: most this many possible pairs per counted entry, else by sorting the entries.
_DENSE_SLOTS_PER_ENTRY = 4


def word_char_grams(word: str) -> tuple[str, ...]:
    """``" word "``'s character n-grams, as ``char_wb`` makes them (a padded word no longer
    than n gives itself, once)."""
    grams = _word_cache.get(word)
    if grams is None:
        padded = f" {word} "
        out: list[str] = []
        low, high = CHAR_NGRAM_RANGE
        for n in range(low, high + 1):
            if len(padded) <= n:
                out.append(padded)  # the whole word, once
                break
            out.extend(padded[i:i + n] for i in range(len(padded) - n + 1))
        if len(_word_cache) >= _CACHE_SIZE:
            _word_cache.clear()
        grams = _word_cache[word] = tuple(out)
    return grams


def dom_char_grams(tokens: Sequence[str]) -> tuple[str, ...]:
    """The character n-grams of the class, id and tag words of a block's DOM tokens
    (every occurrence counts: a word repeated along the path weighs more)."""
    key = tuple(tokens)
    grams = _tuple_cache.get(key)
    if grams is None:
        out: list[str] = []
        for token in key:
            if not token.startswith(_MARKED_PREFIXES):
                out.extend(word_char_grams(token))
        if len(_tuple_cache) >= _CACHE_SIZE:
            _tuple_cache.clear()
        grams = _tuple_cache[key] = tuple(out)
    return grams


def distinct_char_docs(distinct: Sequence[Sequence[str]]) -> list[tuple[str, ...]]:
    """One n-gram document per distinct DOM token tuple (see ``distinct_dom_tokens``)."""
    return [dom_char_grams(tokens) for tokens in distinct]


def _caches(lookup: TfidfLookup, coef: np.ndarray) -> tuple[dict[str, np.ndarray], dict[tuple[str, ...], float]]:
    """This lookup's caches: word -> vocabulary columns of the word's grams (one per
    occurrence), and DOM tuple -> decision under ``coef``. Started afresh when the vocabulary
    is refitted, the coefficients differ from the cached ones, or a cache grows too big."""
    vocabulary = lookup.vocabulary_
    caches = lookup.__dict__.get("_word_columns")
    if caches is None or caches[0] is not vocabulary or len(caches[2]) >= _CACHE_SIZE \
            or len(caches[3]) >= 4 * _CACHE_SIZE:
        caches = lookup.__dict__["_word_columns"] = [vocabulary, coef.copy(), {}, {}]
    elif not np.array_equal(caches[1], coef):
        caches[1], caches[3] = coef.copy(), {}
    return caches[2], caches[3]


def _word_columns(token: str, vocabulary: dict[str, int], columns: dict[str, np.ndarray]) -> np.ndarray:
    """The vocabulary columns of ``token``'s grams (none for the block's own tag and
    element words), kept in ``columns``."""
    found = [] if token.startswith(_MARKED_PREFIXES) else \
        [c for c in map(vocabulary.get, word_char_grams(token), repeat(-1)) if c >= 0]
    columns[token] = array = np.array(found, dtype=np.int64)
    return array


def char_decision(lookup: TfidfLookup, distinct: Sequence[Sequence[str]], coef: np.ndarray) -> np.ndarray:
    """``lookup.decision(distinct_char_docs(distinct), coef)``, with each word's grams looked
    up once and each tuple's decision kept: a page's thousands of grams come from a few
    hundred words, and the pages of one site share most of their tuples."""
    columns, decisions = _caches(lookup, coef)
    out = np.fromiter((decisions.get(tuple(tokens), np.nan) for tokens in distinct), dtype=np.float64,
                      count=len(distinct))
    missing = np.flatnonzero(np.isnan(out))
    if not len(missing):
        return out
    computed = _decisions(lookup, [distinct[k] for k in missing.tolist()], coef, columns)
    out[missing] = computed
    for k, value in zip(missing.tolist(), computed.tolist()):
        decisions[tuple(distinct[k])] = value
    return out


def _decisions(lookup: TfidfLookup, docs: list[Sequence[str]], coef: np.ndarray,
               columns: dict[str, np.ndarray]) -> np.ndarray:
    """The decision of each DOM tuple, in numpy but for one dictionary lookup per word: a
    tuple's gram counts are the sums of its words' (a word repeated along the path counts
    as often), gathered from the words' cached columns."""
    lengths = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
    index = dict.fromkeys(chain.from_iterable(docs), 0)  # the call's distinct words, in order of appearance
    for number, token in enumerate(index):
        index[token] = number
    word_of_token = np.fromiter(map(index.__getitem__, chain.from_iterable(docs)), dtype=np.int64,
                                count=int(lengths.sum()))
    vocabulary = lookup.vocabulary_
    word_columns = []
    for token in index:
        found = columns.get(token)
        word_columns.append(_word_columns(token, vocabulary, columns) if found is None else found)
    n_docs, n_words = len(docs), len(word_columns)
    if not n_words:
        return np.zeros(n_docs)
    # (tuple, word, times the word is in the tuple), then one entry per gram of each such word
    pairs, times = np.unique(np.repeat(np.arange(n_docs, dtype=np.int64), lengths) * n_words + word_of_token,
                             return_counts=True)
    doc_of_pair, word_of_pair = np.divmod(pairs, n_words)
    word_sizes = np.fromiter(map(len, word_columns), dtype=np.int64, count=n_words)
    sizes = word_sizes[word_of_pair]
    gather = np.arange(int(sizes.sum()), dtype=np.int64) + np.repeat(
        (np.cumsum(word_sizes) - word_sizes)[word_of_pair] - (np.cumsum(sizes) - sizes), sizes)
    rows = np.repeat(doc_of_pair, sizes)
    # the call's grams numbered 0..n_grams-1 in column order, so that counting the (tuple, gram)
    # pairs is one bincount over n_docs * n_grams slots (a sort where that would be too many)
    grams, gram_of = np.unique(np.concatenate(word_columns), return_inverse=True)
    if not len(grams):
        return np.zeros(n_docs)
    slots = rows * len(grams) + gram_of.reshape(-1)[gather]
    weights = np.repeat(times, sizes).astype(np.float64)
    if n_docs * len(grams) <= _DENSE_SLOTS_PER_ENTRY * len(slots):
        counts = np.bincount(slots, weights=weights, minlength=n_docs * len(grams))
        keys = np.flatnonzero(counts)
        counts = counts[keys]
    else:
        keys, where = np.unique(slots, return_inverse=True)
        counts = np.bincount(where.reshape(-1), weights=weights)
    rows, local = np.divmod(keys, len(grams))
    cols = grams[local]
    values = np.log(counts) + 1.0 if lookup.sublinear_tf else counts
    values *= lookup.idf_[cols]
    norms = np.sqrt(np.bincount(rows, weights=values * values, minlength=n_docs))
    norms[norms == 0] = 1.0
    return np.bincount(rows, weights=values * coef[cols], minlength=n_docs) / norms
