"""What kind of page this is: article, forum, collection, listing, product, documentation or service.

The same block is story on one kind of page and clutter on another (a comment
thread is clutter under an article and the content of a forum), so the page's
type is context for its blocks. It is predicted from the page's *structure*,
never from its words, so that it holds in any language:

* how the page is built: block counts and text shares by kind (headings, list
  items, table cells, preformatted code...), links, depth;
* long paragraphs (at least ``LONG_CHARS`` characters, few links): how many, their
  share of the text, and where the longest run of them sits — one long run is an
  article, several runs split by short lines are posts;
* repeated templates (:func:`classifier.region.path_groups`: blocks cut from
  elements with the same DOM path): how many, how big, the share of text in the
  biggest, and whether they hold long text (posts), links (teasers) or headings
  (cards);
* dates and prices found by character class (digits with separators, a currency
  sign next to a number), not by word lists;
* a small bag of the page's DOM words (``Block.dom_tokens``: tag, class and id
  words), hashed into ``DOM_BUCKETS`` buckets with a stable hash, each bucket the
  share of the page's text under those words.

Text mode pages (no DOM) get zeros in the DOM columns; a model is fitted for one
mode, as the block models are. ``collection`` and ``listing`` stay two types, as
the data labels them, although they are the pair most confused (see
docs/page_type.md).

Scoring is numpy only: :class:`PageTypeModel` holds one softmax layer over either
a linear map of the standardised features or boosted trees laid out as arrays
(:mod:`classifier.trees`; the shipped head: 0.782 cross-validated accuracy against
0.711 for the linear model). Fitting uses scikit-learn's (multinomial)
``LogisticRegression`` or ``HistGradientBoostingClassifier``, imported inside
:meth:`PageTypeModel.fit` only.
"""
from __future__ import annotations

import math
import re
import unicodedata
import zlib
from collections.abc import Sequence
from functools import lru_cache
from itertools import repeat
from typing import Any

import numpy as np

from .blocks import Block, distinct_dom_tokens
from .charclass import DECIMAL, SPACE, char_flags
from .region import path_groups
from .trees import TreeEnsemble

PAGE_TYPES: tuple[str, ...] = ("article", "forum", "collection", "listing", "product", "documentation", "service")

#: A block at least this long, with few links, counts as a long paragraph.
LONG_CHARS = 200
#: A DOM path shared by at least this many blocks is a repeated template.
REPEATED = 3
#: Hash buckets of the DOM-word bag.
DOM_BUCKETS = 256

_KINDS = ("heading", "paragraph", "list_item", "table_cell", "preformatted", "quote", "caption", "label",
          "block", "line")
_STRUCTURE = (
    [f"blocks_{k}" for k in _KINDS] + [f"text_{k}" for k in _KINDS]
    + ["blocks_in_heading", "text_in_heading", "blocks_in_list", "text_in_list", "blocks_in_table",
       "text_in_table", "blocks_in_article", "text_in_article",
       "log_blocks", "log_chars", "log_mean_chars", "log_median_chars", "blocks_short",
       "text_links", "blocks_mostly_links", "text_mostly_links",
       "log_long", "blocks_long", "text_long", "log_long_runs", "log_longest_run", "text_longest_run",
       "longest_run_start", "longest_run_end", "log_short_runs", "blocks_short_runs", "blocks_mid",
       "long_after_short",
       "log_groups", "blocks_repeated", "log_biggest_group", "text_biggest_group", "text_top_group",
       "log_chars_top_group", "log_post_groups", "text_post_groups", "log_link_groups", "text_link_groups",
       "headings_repeated_linked", "log_mean_depth", "depth_spread", "containers_per_block",
       "log_dates", "blocks_dates", "repeated_with_dates", "log_times", "log_prices", "blocks_prices",
       "log_decimal2", "text_digits", "text_code_marks", "blocks_sentence_end", "blocks_after_blank",
       "blocks_in_form", "log_h1", "log_h2", "log_h3_h6", "prices_repeated", "first_price"])
#: Column names of :func:`page_type_features`, in order.
FEATURE_NAMES: tuple[str, ...] = tuple(_STRUCTURE) + tuple(f"dom_{i}" for i in range(DOM_BUCKETS))
N_FEATURES = len(FEATURE_NAMES)
_N_STRUCTURE = len(_STRUCTURE)
_KIND_INDEX = {k: i for i, k in enumerate(_KINDS)}

_DATE = re.compile(r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}|(?:19|20)\d\d")
_TIME = re.compile(r"\d{1,2}:\d\d(?::\d\d)?")
_SEPARATORS = "./:,-"
_CODE_MARKS = "{}[]()<>=;_/\\*#$&|~`^+"
_SENTENCE_END = frozenset(".!?。！？؟।")
# bits of the character table
_NUMBER, _CURRENCY, _SPACE, _CODE, _DIGIT = 1, 2, 4, 8, 16
_BUCKET_CACHE: dict[str, int] = {}
_CACHE_SIZE = 1 << 16
_LEVEL_SHIFT, _FORM_SHIFT = 9, 11  # DOM_BUCKETS fits below bit 9


@lru_cache(maxsize=1)
def _char_table() -> np.ndarray:
    """Bits per BMP code point: digit, number separator, currency sign (Unicode Sc), space, code mark.

    Code points past the BMP (emoji, historic scripts) are looked up as U+FFFF: no bits."""
    table = np.zeros(0x10000, dtype=np.uint8)
    flags = char_flags(np.arange(0x10000, dtype=np.uint32))
    table[(flags & DECIMAL) != 0] |= _NUMBER | _DIGIT
    table[(flags & SPACE) != 0] |= _SPACE
    table[[ord(c) for c in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"]] &= ~_SPACE & 0xFF  # blocks join on \n
    table[[ord(c) for c in _SEPARATORS]] |= _NUMBER
    table[[ord(c) for c in _CODE_MARKS]] |= _CODE
    signs = [i for i in range(0x10000) if unicodedata.category(chr(i)) == "Sc"]
    table[signs] |= _CURRENCY
    table[0xFFFF] = 0
    return table


def _token_code(token: str) -> int:
    """A DOM word's code: its stable bucket (crc32: the same on every run and machine, unlike
    ``hash``) in the low bits, its heading level (1, 2, 3 for h3-h6) and whether it names a
    form or button above them; cached."""
    if len(_BUCKET_CACHE) >= _CACHE_SIZE:
        _BUCKET_CACHE.clear()
    level = min(int(token[5]), 3) if len(token) == 6 and token.startswith("tag_h") and token[5] in "123456" else 0
    code = zlib.crc32(token.encode("utf-8", "surrogatepass")) % DOM_BUCKETS
    code |= (level << _LEVEL_SHIFT) | ((token in ("form", "button")) << _FORM_SHIFT)
    _BUCKET_CACHE[token] = code
    return code


def dom_word_buckets(blocks: Sequence[Block]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The DOM words of every block, hashed: ``(slot, owner, bucket, form, level)``.

    Sibling blocks share one token tuple, so the distinct tuples are read once:
    ``slot[i]`` is block i's tuple (-1 for none); ``owner``/``bucket`` list each
    tuple's distinct buckets; ``form``/``level`` (per tuple) tell whether a form or
    button holds it and the level of its first heading tag. One pass of dict
    lookups over the tuples' words, the rest in numpy.
    """
    tuples, which = distinct_dom_tokens(blocks)
    sizes = np.fromiter(map(len, tuples), dtype=np.int64, count=len(tuples))
    slot = np.asarray(which, dtype=np.int64)
    slot = np.where(sizes[slot] > 0, slot, -1) if len(slot) else slot  # a block without DOM words has none
    empty = np.zeros(0, dtype=np.int64)
    if not tuples:
        return slot, empty, empty, np.zeros(0, dtype=bool), empty
    flat = [t for tokens in tuples for t in tokens]
    codes = np.array(list(map(_BUCKET_CACHE.get, flat, repeat(-1))), dtype=np.int64)
    for k in np.flatnonzero(codes < 0).tolist():
        codes[k] = _token_code(flat[k])
    owner = np.repeat(np.arange(len(tuples)), sizes)
    present = np.zeros((len(tuples), DOM_BUCKETS), dtype=bool)
    present[owner, codes & (DOM_BUCKETS - 1)] = True
    tuple_of, bucket = np.nonzero(present)
    form = np.bincount(owner, weights=(codes >> _FORM_SHIFT) & 1, minlength=len(tuples)) > 0
    levels = (codes >> _LEVEL_SHIFT) & 3
    level = np.zeros(len(tuples), dtype=np.int64)
    heading = np.flatnonzero(levels)
    if len(heading):
        holders, first = np.unique(owner[heading], return_index=True)
        level[holders] = levels[heading[first]]
    return slot, tuple_of, bucket, form, level


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) of each run of True in ``mask``."""
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def _numbers(joined: str, offsets: np.ndarray, n: int) -> tuple[np.ndarray, ...]:
    """Per block: date-like and price-like numbers; for the page: times, two-decimal numbers, digits, code marks.

    Numbers are runs of digits and separators (any script's digits), cut from the
    text with a character table; only those runs go through a regular expression.
    """
    codes = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    bits = _char_table()[np.minimum(codes, 0xFFFF)]
    digit = (bits & _DIGIT) != 0
    dates, prices = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    times = decimal2 = 0
    starts, ends = _runs((bits & _NUMBER) != 0)
    if len(starts):
        seen = np.concatenate(([0], np.cumsum(digit)))
        keep = seen[ends] > seen[starts]
        starts, ends = starts[keep], ends[keep]
    if len(starts):
        padded = np.concatenate(([0, 0], bits, [0, 0]))  # index i + 2 is character i
        before = ((padded[starts + 1] & _CURRENCY) != 0) | (((padded[starts + 1] & _SPACE) != 0)
                                                              & ((padded[starts] & _CURRENCY) != 0))
        after = ((padded[ends + 2] & _CURRENCY) != 0) | (((padded[ends + 2] & _SPACE) != 0)
                                                           & ((padded[ends + 3] & _CURRENCY) != 0))
        owner = np.searchsorted(offsets, starts, side="right") - 1
        np.add.at(prices, owner[before | after], 1)
        is_date = np.zeros(len(starts), dtype=bool)
        for k, (a, b) in enumerate(zip(starts.tolist(), ends.tolist())):
            token = joined[a:b].strip(_SEPARATORS)
            if _DATE.fullmatch(token):
                is_date[k] = True
            elif _TIME.fullmatch(token):
                times += 1
            elif len(token) > 3 and token[-3] in ".," and token[-2:].isdecimal():
                decimal2 += 1
        np.add.at(dates, owner[is_date], 1)
    code_marks = int(np.count_nonzero(bits & _CODE))
    return dates, prices, times, decimal2, int(np.count_nonzero(digit)), code_marks


def _dom_words(blocks: Sequence[Block], chars: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The DOM-word bag (per bucket, the share of the page's text in blocks carrying a word of that
    bucket), and per block: inside a form or button, heading level."""
    n = len(blocks)
    slot, owner, bucket, form, level = dom_word_buckets(blocks)
    total = chars.sum()
    if not len(form) or total <= 0:
        return np.zeros(DOM_BUCKETS), np.zeros(n, dtype=bool), np.zeros(n, dtype=np.int64)
    has = slot >= 0
    weight = np.bincount(slot[has], weights=chars[has], minlength=len(form))
    bag = np.bincount(bucket, weights=weight[owner], minlength=DOM_BUCKETS) / total
    form = np.append(form, False)[slot]  # slot -1: the False at the end
    level = np.append(level, 0)[slot]
    return bag, form, level


def page_type_features(blocks: Sequence[Block], groups: np.ndarray | None = None) -> np.ndarray:
    """The page's structure as ``N_FEATURES`` numbers (names in ``FEATURE_NAMES``); zeros for no blocks.

    ``groups``: the blocks' :func:`~classifier.region.path_groups`, when the caller has them."""
    out = np.zeros(N_FEATURES)
    n = len(blocks)
    if n == 0:
        return out
    kind_of = _KIND_INDEX.get
    other = _KIND_INDEX["block"]
    cols = np.array([(len(b.text), b.link_chars, kind_of(b.kind, other), b.heading, b.in_list, b.in_table,
                      b.in_article, b.depth) for b in blocks], dtype=np.float64)
    chars, links, kinds = cols[:, 0], cols[:, 1], cols[:, 2].astype(np.int64)
    total = max(chars.sum(), 1.0)
    link_share = np.minimum(links / np.maximum(chars, 1.0), 1.0)
    f: list[float] = []
    f += (np.bincount(kinds, minlength=len(_KINDS)) / n).tolist()
    f += (np.bincount(kinds, weights=chars, minlength=len(_KINDS)) / total).tolist()
    flags = cols[:, 3:7] > 0
    f += np.column_stack((flags.mean(axis=0), chars @ flags / total)).ravel().tolist()
    f += [math.log1p(n), math.log1p(total), math.log1p(total / n), math.log1p(float(np.median(chars))),
          float((chars < 40).mean())]
    linky = link_share > 0.5
    f += [float(links.sum() / total), float(linky.mean()), float(chars[linky].sum() / total)]
    # long paragraphs and where their longest run sits
    long = (chars >= LONG_CHARS) & (link_share < 0.25)
    starts, ends = _runs(long)
    f += [math.log1p(int(long.sum())), float(long.mean()), float(chars[long].sum() / total)]
    if len(starts):
        lengths = ends - starts
        run_chars = np.add.reduceat(np.where(long, chars, 0.0), starts)
        best = int(np.argmax(run_chars))
        f += [math.log1p(int((lengths >= 2).sum())), math.log1p(int(lengths[best])),
              float(run_chars[best] / total), starts[best] / n, ends[best] / n]
    else:
        f += [0.0] * 5
    # shapes that text mode keeps: runs of short lines (menus, lists), mid-length blocks (teasers,
    # short posts), long blocks right after a short one (a post under its author line)
    short = chars < 40
    s_starts, s_ends = _runs(short)
    menus = (s_ends - s_starts) >= 3
    f += [math.log1p(int(menus.sum())), float((s_ends - s_starts)[menus].sum() / n),
          float(((chars >= 80) & (chars < LONG_CHARS)).mean()),
          float((long[1:] & short[:-1]).sum() / max(int(long.sum()), 1))]
    # repeated templates
    groups = path_groups(blocks) if groups is None else groups
    sizes = np.bincount(groups)
    repeated = sizes >= REPEATED
    in_repeated = repeated[groups]
    if repeated.any():
        group_chars = np.bincount(groups, weights=chars)
        group_links = np.bincount(groups, weights=links)
        ids = np.flatnonzero(repeated)
        biggest = ids[np.argmax(sizes[ids])]
        top = ids[np.argmax(group_chars[ids])]
        mean_chars = group_chars[ids] / sizes[ids]
        posts = ids[mean_chars >= 100]
        linked = ids[group_links[ids] > 0.5 * group_chars[ids]]
        heading = flags[:, 0]
        linked_group = np.zeros(len(sizes), dtype=bool)
        linked_group[linked] = True
        linked_mask = linked_group[groups]
        f += [math.log1p(len(ids)), float(in_repeated.mean()), math.log1p(int(sizes[biggest])),
              float(group_chars[biggest] / total), float(group_chars[top] / total),
              math.log1p(group_chars[top] / sizes[top]), math.log1p(len(posts)),
              float(group_chars[posts].sum() / total), math.log1p(len(linked)),
              float(group_chars[linked].sum() / total),
              float((heading & linked_mask).sum() / max(int(heading.sum()), 1))]
    else:
        f += [0.0] * 11
    depth = cols[:, 7]
    html = blocks[0].path is not None
    containers = len({b.container for b in blocks}) if html else 0
    f += [math.log1p(float(depth.mean())), float(depth.std() / (depth.mean() + 1.0)), containers / n]
    # dates, times and prices, by character class
    texts = [b.text for b in blocks]
    offsets = np.concatenate(([0.0], np.cumsum(chars[:-1] + 1)))
    dates, prices, times, decimal2, digits, marks = _numbers("\n".join(texts), offsets, n)
    dated = dates > 0
    f += [math.log1p(int(dates.sum())), float(dated.mean()),
          float((dated & in_repeated).sum() / max(int(in_repeated.sum()), 1)),
          math.log1p(times), math.log1p(int(prices.sum())), float((prices > 0).mean()), math.log1p(decimal2)]
    f += [digits / total, marks / total, sum(t[-1] in _SENTENCE_END for t in texts) / n,
          0.0 if html else sum(1 for b in blocks if b.extra.get("blank_before")) / n]
    bag, form, level = _dom_words(blocks, chars)
    priced = prices > 0
    first_price = int(np.argmax(priced)) / n if priced.any() else 1.0
    f += [float(form.mean()), math.log1p(int((level == 1).sum())), math.log1p(int((level == 2).sum())),
          math.log1p(int((level == 3).sum())),
          float((priced & in_repeated).sum() / max(int(priced.sum()), 1)), first_price]
    out[:_N_STRUCTURE] = f
    out[_N_STRUCTURE:] = bag
    return out


def page_type_matrix(pages: Sequence[Sequence[Block]], groups: Sequence[np.ndarray] | None = None) -> np.ndarray:
    """:func:`page_type_features` of every page, one row each (``groups``: each page's path groups)."""
    out = np.zeros((len(pages), N_FEATURES))
    for i, blocks in enumerate(pages):
        out[i] = page_type_features(blocks, None if groups is None else groups[i])
    return out


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class PageTypeModel:
    """A softmax over :func:`page_type_features`, scored with numpy alone.

    With ``trees == 0`` a multinomial logistic regression (``C``, ``class_weight`` and
    ``max_iter`` are scikit-learn's); with ``trees > 0`` boosted trees
    (``HistGradientBoostingClassifier``: ``trees`` iterations of one tree per type, at most
    ``tree_leaves`` leaves, ``tree_learning_rate``), which read interactions the linear
    model cannot (many repeated templates *and* long text in them is a forum, many *and*
    prices a product listing). Learned state ends in ``_``: ``types_`` (the classes, in
    ``PAGE_TYPES`` order: the columns of :meth:`predict_proba`), ``mean_``/``scale_``
    (standardisation), ``intercept_`` and either ``coef_`` or ``trees_``.
    """

    FORMAT = "storyfilter-page-type"
    #: 1: linear; 2: boosted trees (a version-1 state still loads).
    VERSION = 2

    def __init__(self, C: float = 0.03, class_weight: str | None = "balanced", max_iter: int = 3000,
                 trees: int = 0, tree_leaves: int = 15, tree_learning_rate: float = 0.1,
                 random_state: int = 0) -> None:
        self.C = C
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.trees = trees
        self.tree_leaves = tree_leaves
        self.tree_learning_rate = tree_learning_rate
        self.random_state = random_state

    # ----- fitting (training only: scikit-learn is imported here) ------------------------
    def fit(self, pages: Sequence[Sequence[Block]], types: Sequence[str]) -> "PageTypeModel":
        """Fit on pages of blocks and their page types (each one of ``PAGE_TYPES``)."""
        return self.fit_features(page_type_matrix(pages), types)

    def fit_features(self, X: np.ndarray, types: Sequence[str]) -> "PageTypeModel":
        """Fit on rows of :func:`page_type_features` (computed once, e.g. for cross-validation)."""
        X = np.asarray(X, dtype=np.float64)
        types = list(types)
        if X.ndim != 2 or X.shape[1] != N_FEATURES or len(X) != len(types):
            raise ValueError(f"X must be (n_pages, {N_FEATURES}) with one type per page")
        unknown = sorted(set(types) - set(PAGE_TYPES))
        if unknown:
            raise ValueError(f"unknown page types {unknown}; expected some of {list(PAGE_TYPES)}")
        self.types_ = tuple(t for t in PAGE_TYPES if t in set(types))
        if len(self.types_) < 2:
            raise ValueError("fitting needs pages of at least two page types")
        self.mean_ = X.mean(axis=0)
        scale = X.std(axis=0)
        self.scale_ = np.where(scale > 1e-12, scale, 1.0)
        y = np.array([self.types_.index(t) for t in types])
        if self.trees:
            return self._fit_trees(X, y)
        from sklearn.linear_model import LogisticRegression

        self.trees_ = None
        lr = LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=self.max_iter)
        lr.fit((X - self.mean_) / self.scale_, y)
        coef, intercept = lr.coef_, lr.intercept_
        if len(self.types_) == 2:  # scikit-learn gives one row for two classes: the same softmax
            coef = np.vstack([np.zeros_like(coef[0]), coef[0]])
            intercept = np.array([0.0, intercept[0]])
        # contiguous copies: a loaded model then runs the very same arithmetic, bit for bit
        self.coef_ = np.ascontiguousarray(coef, dtype=np.float64)
        self.intercept_ = np.ascontiguousarray(intercept, dtype=np.float64)
        return self

    def _fit_trees(self, X: np.ndarray, y: np.ndarray) -> "PageTypeModel":
        from sklearn.ensemble import HistGradientBoostingClassifier

        from .trees import class_trees_from_boosting, trees_from_boosting

        boosting = HistGradientBoostingClassifier(
            max_iter=int(self.trees), max_leaf_nodes=int(self.tree_leaves), learning_rate=self.tree_learning_rate,
            class_weight=self.class_weight, early_stopping=False, random_state=self.random_state)
        boosting.fit(X, y)
        if len(self.types_) == 2:  # one tree per iteration: the second type's log-odds, as for the linear model
            ensemble = trees_from_boosting(boosting)
            self.trees_ = ensemble._replace(baseline=0.0)
            self.intercept_ = np.array([0.0, ensemble.baseline])
        else:
            self.trees_, self.intercept_ = class_trees_from_boosting(boosting)
        self.coef_ = None
        return self

    # ----- scoring (numpy only) ------------------------------------------------------------
    def proba_from_features(self, X: np.ndarray) -> np.ndarray:
        """P(type) for rows of :func:`page_type_features`: ``(n_pages, len(types_))``."""
        X = np.atleast_2d(np.asarray(X, dtype=np.float64))
        if X.shape[1] != N_FEATURES:
            raise ValueError(f"expected {N_FEATURES} feature columns, got {X.shape[1]}")
        if self.trees_ is None:
            return _softmax(((X - self.mean_) / self.scale_) @ self.coef_.T + self.intercept_)
        k = len(self.types_)
        leaves = self.trees_.leaf_values(X)
        if k == 2:
            raw = np.column_stack([np.zeros(len(X)), leaves.sum(axis=1)])
        else:
            raw = leaves.reshape(len(X), -1, k).sum(axis=1)
        return _softmax(raw + self.intercept_)

    def proba_over_all_types(self, X: np.ndarray) -> np.ndarray:
        """:meth:`proba_from_features` with one column per ``PAGE_TYPES`` entry (zero for a type
        the model was not fitted on), so models fitted on different types line up."""
        out = np.zeros((len(np.atleast_2d(X)), len(PAGE_TYPES)))
        out[:, [PAGE_TYPES.index(t) for t in self.types_]] = self.proba_from_features(X)
        return out

    def predict_proba(self, pages: Sequence[Sequence[Block]]) -> np.ndarray:
        """P(type) of each page: ``(n_pages, len(types_))``, columns in ``types_`` order."""
        return self.proba_from_features(page_type_matrix(pages))

    def predict(self, pages: Sequence[Sequence[Block]]) -> list[str]:
        """The most likely type of each page."""
        return [self.types_[i] for i in self.predict_proba(pages).argmax(axis=1)]

    # ----- state: arrays for npz and a JSON-able config, no pickle -------------------------
    _PARAMS = ("C", "class_weight", "max_iter", "trees", "tree_leaves", "tree_learning_rate", "random_state")
    _TREES = "trees_"  # array-name prefix of the trees

    def to_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """``(arrays, config)``: arrays ``mean``, ``scale``, ``intercept`` and ``coef`` (linear, version 1)
        or the trees under ``trees_`` (version 2); a JSON-able config."""
        arrays = {"mean": self.mean_.copy(), "scale": self.scale_.copy(), "intercept": self.intercept_.copy()}
        if self.trees_ is None:
            arrays["coef"] = self.coef_.copy()
        else:
            arrays.update((name, array.copy()) for name, array in self.trees_.to_arrays(self._TREES).items())
        config = {"format": self.FORMAT, "version": 1 if self.trees_ is None else 2, "types": list(self.types_),
                  "feature_names": list(FEATURE_NAMES),
                  "params": {name: getattr(self, name) for name in self._PARAMS}}
        return arrays, config

    @classmethod
    def from_state(cls, arrays: dict[str, np.ndarray], config: dict[str, Any]) -> "PageTypeModel":
        """Rebuild a fitted model from :meth:`to_state` output; ValueError if anything does not fit."""
        if not isinstance(config, dict) or config.get("format") != cls.FORMAT:
            raise ValueError(f"not a page-type model config (format must be {cls.FORMAT!r})")
        version = config.get("version")
        if version not in (1, 2) or isinstance(version, bool):
            raise ValueError(f"page-type model version {version!r} is not 1 or 2")
        types = config.get("types")
        if not isinstance(types, list) or len(types) < 2 or len(set(types)) != len(types) \
                or not set(types) <= set(PAGE_TYPES):
            raise ValueError(f"page types must be two or more distinct names of {list(PAGE_TYPES)}")
        if config.get("feature_names") != list(FEATURE_NAMES):
            raise ValueError("the page-type model was fitted on features this storyfilter does not compute")
        k, d = len(types), N_FEATURES
        want = {"mean": (d,), "scale": (d,), **({"coef": (k, d)} if version == 1 else {}), "intercept": (k,)}
        missing = set(want) - set(arrays)
        if missing:
            raise ValueError(f"page-type model arrays missing: {sorted(missing)}")
        got = {name: np.ascontiguousarray(arrays[name], dtype=np.float64) for name in want}
        for name, shape in want.items():
            if got[name].shape != shape:
                raise ValueError(f"page-type array {name!r} has shape {got[name].shape}, expected {shape}")
            if not np.all(np.isfinite(got[name])):
                raise ValueError(f"page-type array {name!r} holds NaN or infinity")
        if np.any(got["scale"] <= 0):
            raise ValueError("page-type array 'scale' must be positive")
        trees = None
        if version == 2:
            trees = TreeEnsemble.from_arrays(arrays, cls._TREES, d)
            per_iteration = 1 if k == 2 else k
            if len(trees.roots) % per_iteration:
                raise ValueError(f"the page-type trees do not come {per_iteration} per iteration")
        params = config.get("params") or {}
        model = cls(**{name: params[name] for name in cls._PARAMS if name in params})
        model.types_ = tuple(types)
        model.mean_, model.scale_, model.intercept_ = got["mean"], got["scale"], got["intercept"]
        model.coef_, model.trees_ = got.get("coef"), trees
        return model


__all__ = ["DOM_BUCKETS", "FEATURE_NAMES", "N_FEATURES", "PAGE_TYPES", "PageTypeModel", "page_type_features",
           "page_type_matrix"]
