"""Character n-grams of a block's class and id words: the parts of names no vocabulary holds.

A widget's class is often one word glued from several (``moreheadlines``,
``relatedposts``) or a short form (``art-rc``). Split into words, ``moreheadlines``
is one token that no training site used; its character 3- to 5-grams (``hea``,
``head``, ``lines``...) are shared with names the training sites did use, so what
the model learned of them reaches names it never saw, in any language.
"""
from __future__ import annotations

from collections.abc import Sequence

#: The n-gram lengths taken from each word, padded with a space on each side
#: (the same grams as scikit-learn's ``char_wb`` analyzer).
CHAR_NGRAM_RANGE = (3, 5)
_MARKED_PREFIXES = ("tag_", "self_")  # the block's own tag and element: whole-word features already
_CACHE_SIZE = 16384
_word_cache: dict[str, tuple[str, ...]] = {}
_tuple_cache: dict[tuple[str, ...], tuple[str, ...]] = {}


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
