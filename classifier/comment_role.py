"""Readers' comments as their own role: which of the blocks that are not story are comments.

The story model already leaves comment threads out of the story on article pages;
this head tells, among the blocks it left out, the readers' comments from the
rest of the clutter, so that they can be given separately (``FilterResult.comments``,
``--comments``). It is learned from the weak comment labels of
``training.comments`` and knows no word list: a block is described by

* the words of its text, hashed into ``TEXT_BUCKETS`` buckets (so "Reply",
  "Antworten", "says:" or a user name pattern are learned in any language);
* its DOM words (tag, class and id words of the block and its containers), hashed
  into ``DOM_BUCKETS`` buckets as the page-type model does;
* its shape and place: length, link share, kind, where it sits relative to the
  story (after its last block, before its first), how many blocks share its DOM
  path (comments are repeated items) and whether it holds a date.

Scoring is numpy only; fitting imports scikit-learn inside :meth:`CommentModel.fit`.
A page whose type is ``forum`` has no comments: its posts are the content.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .blocks import Block
from .page_type import DOM_BUCKETS, _numbers, dom_word_buckets
from .region import path_groups
from .tokens import tokenize_blocks

#: Hash buckets of the block text's words.
TEXT_BUCKETS = 1024
#: Words of a block's text that count (the start of a comment says who and when).
TEXT_TOKENS = 24
_ENDS = frozenset(".!?…。！？")

DENSE_NAMES: tuple[str, ...] = (
    "log_chars", "link_share", "heading", "list_item", "paragraph", "short", "ends_sentence", "in_article",
    "position", "after_story", "before_story", "place_after_story", "log_group", "group_after_story",
    "story_in_group", "has_date", "log_depth",
)
N_DENSE = len(DENSE_NAMES)
N_FEATURES = TEXT_BUCKETS + DOM_BUCKETS + N_DENSE
_DOM0, _DENSE0 = TEXT_BUCKETS, TEXT_BUCKETS + DOM_BUCKETS


def _dense(blocks: Sequence[Block], story: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The shape-and-place columns of the blocks ``rows`` of a page whose story mask is ``story``."""
    n = len(blocks)
    chars = np.fromiter((len(b.text) for b in blocks), dtype=np.float64, count=n)
    where = np.flatnonzero(story)
    first, last = (int(where[0]), int(where[-1])) if len(where) else (n, -1)
    groups = path_groups(blocks)
    sizes = np.bincount(groups)
    after = np.arange(n) > last
    group_after = np.bincount(groups, weights=after.astype(np.float64)) / sizes
    group_story = np.bincount(groups, weights=story.astype(np.float64)) / sizes
    offsets = np.concatenate(([0], np.cumsum(chars + 1)[:-1])).astype(np.int64)
    dates = _numbers("\n".join(b.text for b in blocks), offsets, n)[0]
    out = np.zeros((len(rows), N_DENSE))
    for k, i in enumerate(rows.tolist()):
        b = blocks[i]
        text = b.text.rstrip()
        out[k] = (math.log1p(chars[i]), b.link_share, b.heading or b.kind == "heading", b.kind == "list_item",
                  b.kind == "paragraph", chars[i] < 60, bool(text) and text[-1] in _ENDS, b.in_article,
                  i / max(n - 1, 1), i > last, i < first,
                  (i - last) / max(n - 1 - last, 1) if i > last else 0.0,
                  math.log(sizes[groups[i]]), group_after[groups[i]], group_story[groups[i]],
                  dates[i] > 0, math.log1p(b.depth))
    return out


def comment_features(blocks: Sequence[Block], story: Sequence[bool], rows: Sequence[int] | None = None
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Features of the blocks ``rows`` (default: those not in ``story``) as sparse triplets.

    Returns ``(row, column, value, dense)``: the hashed text and DOM words as
    (row, column, value) triplets over ``TEXT_BUCKETS + DOM_BUCKETS`` columns, and the
    ``N_DENSE`` shape-and-place columns as a dense array, one row per picked block.
    """
    story_mask = np.asarray(story, dtype=bool)
    picked = np.flatnonzero(~story_mask) if rows is None else np.asarray(rows, dtype=np.int64)
    empty = np.zeros(0, dtype=np.int64)
    if len(picked) == 0:
        return empty, empty, np.zeros(0), np.zeros((0, N_DENSE))
    tokens = tokenize_blocks([blocks[i].text for i in picked.tolist()], cap=TEXT_TOKENS)
    text_col = (tokens.hashes() % np.uint64(TEXT_BUCKETS)).astype(np.int64)
    pair = tokens.rows * TEXT_BUCKETS + text_col
    uniq = np.unique(pair)
    t_row, t_col = uniq // TEXT_BUCKETS, uniq % TEXT_BUCKETS
    norm = np.sqrt(np.maximum(np.bincount(t_row, minlength=len(picked)), 1.0))
    t_val = 1.0 / norm[t_row]
    slot, owner, bucket, _, _ = dom_word_buckets(blocks)
    if len(owner):
        # each picked block's row, once for every bucket of its token tuple
        starts = np.searchsorted(owner, np.arange(owner.max() + 1))
        counts = np.bincount(owner, minlength=len(starts))
        picked_slot = slot[picked]
        has = picked_slot >= 0
        k_rows = np.flatnonzero(has)
        sizes = counts[picked_slot[has]]
        d_row = np.repeat(k_rows, sizes)
        first = np.repeat(starts[picked_slot[has]], sizes)
        within = np.arange(len(d_row)) - np.repeat(np.concatenate(([0], np.cumsum(sizes)[:-1])), sizes)
        d_col = bucket[first + within] + _DOM0
        row = np.concatenate([t_row, d_row])
        col = np.concatenate([t_col, d_col])
        val = np.concatenate([t_val, np.ones(len(d_row))])
    else:
        row, col, val = t_row, t_col, t_val
    return row, col, val, _dense(blocks, story_mask, picked)


class CommentModel:
    """Logistic regression over :func:`comment_features`, scored with numpy alone.

    Learned state ends in ``_``: ``coef_`` (one weight per column, hashed words
    first, dense columns last), ``intercept_``, and ``mean_``/``scale_`` that
    standardise the dense columns. ``threshold`` is the probability from which a
    block is a comment.
    """

    FORMAT = "storyfilter-comments"
    VERSION = 1

    def __init__(self, C: float = 0.3, threshold: float = 0.5, max_iter: int = 2000) -> None:
        self.C = C
        self.threshold = threshold
        self.max_iter = max_iter

    # ----- fitting (training only) ----------------------------------------------------------
    def fit(self, pages: Sequence[Sequence[Block]], stories: Sequence[Sequence[bool]],
            comments: Sequence[Sequence[bool]]) -> "CommentModel":
        """Fit on the blocks outside each page's story: comment (True) or other clutter."""
        from scipy import sparse
        from sklearn.linear_model import LogisticRegression

        parts, dense, y, offset = [], [], [], 0
        for blocks, story, mask in zip(pages, stories, comments):
            row, col, val, d = comment_features(blocks, story)
            if not len(d):
                continue
            parts.append((row + offset, col, val))
            dense.append(d)
            y.extend(bool(mask[i]) for i in np.flatnonzero(~np.asarray(story, dtype=bool)).tolist())
            offset += len(d)
        if not dense or len(set(y)) < 2:
            raise ValueError("fitting needs blocks outside the story, comments and others")
        D = np.vstack(dense)
        self.mean_ = D.mean(axis=0)
        scale = D.std(axis=0)
        self.scale_ = np.where(scale > 1e-12, scale, 1.0)
        words = sparse.csr_matrix((np.concatenate([p[2] for p in parts]),
                                   (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))),
                                  shape=(offset, _DENSE0))
        X = sparse.hstack([words, sparse.csr_matrix((D - self.mean_) / self.scale_)], format="csr")
        lr = LogisticRegression(C=self.C, max_iter=self.max_iter)
        lr.fit(X, np.asarray(y, dtype=np.int64))
        self.coef_ = np.ascontiguousarray(lr.coef_[0], dtype=np.float64)
        self.intercept_ = float(lr.intercept_[0])
        return self

    # ----- scoring (numpy only) ---------------------------------------------------------------
    def proba(self, blocks: Sequence[Block], story: Sequence[bool]) -> np.ndarray:
        """P(comment) for every block of the page; 0 for story blocks."""
        story_mask = np.asarray(story, dtype=bool)
        out = np.zeros(len(blocks))
        row, col, val, dense = comment_features(blocks, story_mask)
        if not len(dense):
            return out
        z = np.bincount(row, weights=self.coef_[col] * val, minlength=len(dense))
        z += ((dense - self.mean_) / self.scale_) @ self.coef_[_DENSE0:] + self.intercept_
        out[~story_mask] = 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500)))
        return out

    # ----- state: arrays for npz and a JSON-able config, no pickle ------------------------------
    def to_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        arrays = {"coef": self.coef_.copy(), "intercept": np.array([self.intercept_]),
                  "mean": self.mean_.copy(), "scale": self.scale_.copy()}
        config = {"format": self.FORMAT, "version": self.VERSION, "dense_names": list(DENSE_NAMES),
                  "text_buckets": TEXT_BUCKETS, "dom_buckets": DOM_BUCKETS,
                  "params": {"C": self.C, "threshold": self.threshold, "max_iter": self.max_iter}}
        return arrays, config

    @classmethod
    def from_state(cls, arrays: dict[str, np.ndarray], config: dict[str, Any]) -> "CommentModel":
        """Rebuild a fitted model from :meth:`to_state` output; ValueError if anything does not fit."""
        if not isinstance(config, dict) or config.get("format") != cls.FORMAT:
            raise ValueError(f"not a comment model config (format must be {cls.FORMAT!r})")
        if config.get("version") != cls.VERSION:
            raise ValueError(f"comment model version {config.get('version')!r} is not {cls.VERSION}")
        if (config.get("dense_names") != list(DENSE_NAMES) or config.get("text_buckets") != TEXT_BUCKETS
                or config.get("dom_buckets") != DOM_BUCKETS):
            raise ValueError("the comment model was fitted on features this storyfilter does not compute")
        want = {"coef": (N_FEATURES,), "intercept": (1,), "mean": (N_DENSE,), "scale": (N_DENSE,)}
        got = {}
        for name, shape in want.items():
            if name not in arrays:
                raise ValueError(f"comment model array {name!r} is missing")
            got[name] = np.ascontiguousarray(arrays[name], dtype=np.float64)
            if got[name].shape != shape:
                raise ValueError(f"comment model array {name!r} has shape {got[name].shape}, expected {shape}")
            if not np.all(np.isfinite(got[name])):
                raise ValueError(f"comment model array {name!r} holds NaN or infinity")
        if np.any(got["scale"] <= 0):
            raise ValueError("comment model array 'scale' must be positive")
        params = config.get("params") or {}
        threshold = params.get("threshold", 0.5)
        if not isinstance(threshold, (int, float)) or not 0.0 <= float(threshold) <= 1.0:
            raise ValueError("comment model threshold must be a number in [0, 1]")
        model = cls(C=float(params.get("C", 0.3)), threshold=float(threshold),
                    max_iter=int(params.get("max_iter", 2000)))
        model.coef_, model.mean_, model.scale_ = got["coef"], got["mean"], got["scale"]
        model.intercept_ = float(got["intercept"][0])
        return model
