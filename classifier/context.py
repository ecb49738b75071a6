"""Context features for the second stage: what the first stage thinks of a block's surroundings.

A teaser headline alone looks like a story heading; five headlines around it that
the first stage already doubts give it away. These features are the first-stage
logits of the block, its neighbours, its DOM container and the page.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .blocks import Block
from .headings import governing_headings
from .page_type import PAGE_TYPES
from .region import BlockTree, local_region_features, path_groups, region_features

BASE_CONTEXT_NAMES = (
    "z", "z_prev1", "z_next1", "z_prev2", "z_next2", "win3_mean", "win10_mean",
    "container_mean", "container_max", "container_min", "z_minus_container", "page_mean",
    "page_max", "page_story_share", "p", "p_win3_mean", "container_p_mean", "after_last_strong",
    "before_first_strong", "z_heading", "path_mean", "path_max", "z_minus_path", "topic_similarity",
    "in_region", "region_membership", "region_log_steps", "region_story_share", "region_text_share",
    "region_score", "in_local_region", "local_region_log_steps", "local_region_story_share",
)
_BASE = 19  # columns before the heading, template, topic and region ones
_REGION = _BASE + 5  # the 6 region columns, then the 3 local-region ones
#: Used only by models trained with ``local_region=True``; others leave them out.
LOCAL_REGION_NAMES = ("in_local_region", "local_region_log_steps", "local_region_story_share")
#: Context features that the page's type modulates: with the type's probability as a factor,
#: a linear second stage weighs them by page type (a repeated template after the story is
#: clutter on an article and the content of a forum).
PAGE_TYPE_INPUTS = ("z", "container_mean", "path_mean", "after_last_strong", "in_region", "topic_similarity")
PAGE_TYPE_NAMES = (tuple(f"type_{t}" for t in PAGE_TYPES)
                   + tuple(f"type_{t}_x_{name}" for t in PAGE_TYPES for name in PAGE_TYPE_INPUTS))
#: Decays of the running means along the block sequence (about 2, 5 and 20 blocks of memory).
SEQUENCE_DECAYS = (0.5, 0.8, 0.95)
#: Used only by models trained with ``sequence_context=True``: running means of the stage-1
#: logit and of "short block" over the blocks before and after each block, so the linear stage
#: sees runs (a row of short lines after the story's last strong paragraph) without a window.
SEQUENCE_NAMES = tuple(f"{what}_{side}{int(decay * 100)}" for what in ("z", "short") for side in ("before", "after")
                       for decay in SEQUENCE_DECAYS)
CONTEXT_NAMES = BASE_CONTEXT_NAMES + PAGE_TYPE_NAMES + SEQUENCE_NAMES
_N_BASE = len(BASE_CONTEXT_NAMES)
_N_TYPED = _N_BASE + len(PAGE_TYPE_NAMES)
#: A block is short below this many characters (a headline, a label, a menu item).
SHORT_CHARS = 80
_EMA_TAIL = 1e-3
_TYPE_INPUTS = np.array([BASE_CONTEXT_NAMES.index(name) for name in PAGE_TYPE_INPUTS])


def _window_mean(values: np.ndarray, radius: int) -> np.ndarray:
    padded = np.concatenate(([0.0], np.cumsum(values)))
    n = len(values)
    idx = np.arange(n)
    lo = np.maximum(idx - radius, 0)
    hi = np.minimum(idx + radius + 1, n)
    return (padded[hi] - padded[lo]) / (hi - lo)


def running_means(values: np.ndarray, decay: float, pad: float) -> tuple[np.ndarray, np.ndarray]:
    """Exponentially decaying means of ``values`` over the blocks strictly before and strictly
    after each block (``pad`` beyond the page's ends), truncated where the weight falls below
    one in a thousand so it is a fixed convolution."""
    n = len(values)
    length = max(1, int(np.ceil(np.log(_EMA_TAIL) / np.log(decay))))
    kernel = (1.0 - decay) * decay ** np.arange(length)
    kernel[-1] += decay ** length  # the rest of the weight goes to the last term, so weights sum to 1
    padded = np.concatenate((np.full(length, pad), values, np.full(length, pad)))
    # before[i] = sum_k kernel[k] * values[i - 1 - k]; after[i] = sum_k kernel[k] * values[i + 1 + k]
    full = np.convolve(padded, kernel)  # full[j] = sum_k kernel[k] * padded[j - k]
    before = full[length - 1:length - 1 + n]
    rev = np.convolve(padded[::-1], kernel)[length - 1:length - 1 + n]
    return before, rev[::-1]


def sequence_features(z: np.ndarray, chars: np.ndarray, pad: float = -4.0) -> np.ndarray:
    """The :data:`SEQUENCE_NAMES` columns of a page whose clipped stage-1 logits are ``z`` and
    whose blocks hold ``chars`` characters."""
    short = (chars < SHORT_CHARS).astype(np.float64)
    cols = []
    for values, edge in ((z, pad), (short, 0.0)):
        befores, afters = zip(*(running_means(values, decay, edge) for decay in SEQUENCE_DECAYS))
        cols.extend(befores)
        cols.extend(afters)
    return np.column_stack(cols)


def container_ids(blocks: Sequence[Block]) -> np.ndarray:
    """A dense id per block for the DOM container it sits in; a block without one is alone."""
    n = len(blocks)
    container = np.fromiter((b.container for b in blocks), dtype=np.int64, count=n)
    keys = np.where(container >= 0, container, -2 - np.arange(n))
    return np.unique(keys, return_inverse=True)[1].reshape(n)


def context_features(blocks: Sequence[Block], z: np.ndarray, ids: np.ndarray | None = None,
                     groups: np.ndarray | None = None, governing: np.ndarray | None = None,
                     similarity: np.ndarray | None = None, page_type: np.ndarray | None = None,
                     local_region: bool = False, sequence: bool = False) -> np.ndarray:
    """One row per block: first-stage logits of the block and its context.

    ``ids`` are the blocks' :func:`container_ids`, ``groups`` their path groups,
    ``governing`` their governing headings (worked out here when not given),
    ``similarity`` their topic similarity (see :mod:`classifier.region`; zeros when not given)
    and ``page_type`` the page's probability of each of ``PAGE_TYPES`` (the page-type
    columns stay zero when not given). The local-region columns are worked out only with
    ``local_region=True``, for a model that reads them (``BlockClassifier(local_region=True)``),
    the sequence columns only with ``sequence=True`` (``BlockClassifier(sequence_context=True)``).
    """
    n = len(blocks)
    out = np.zeros((n, len(CONTEXT_NAMES)), dtype=np.float64)
    if n == 0:
        return out
    z = np.clip(np.asarray(z, dtype=np.float64), -12.0, 12.0)
    p = 1.0 / (1.0 + np.exp(-z))
    pad = -4.0
    out[:, 0] = z
    out[:, 1] = np.concatenate(([pad], z[:-1]))
    out[:, 2] = np.concatenate((z[1:], [pad]))
    out[:, 3] = np.concatenate(([pad, pad], z[:-2]))[:n]
    out[:, 4] = np.concatenate((z[2:], [pad, pad]))[-n:]
    out[:, 5] = _window_mean(z, 3)
    out[:, 6] = _window_mean(z, 10)
    ids = container_ids(blocks) if ids is None else ids
    sizes = np.bincount(ids).astype(np.float64)
    out[:, 7] = (np.bincount(ids, weights=z) / sizes)[ids]
    zmax = np.full(len(sizes), -np.inf)
    np.maximum.at(zmax, ids, z)
    zmin = np.full(len(sizes), np.inf)
    np.minimum.at(zmin, ids, z)
    out[:, 8] = zmax[ids]
    out[:, 9] = zmin[ids]
    out[:, 16] = (np.bincount(ids, weights=p) / sizes)[ids]
    out[:, 10] = z - out[:, 7]
    out[:, 11] = z.mean()
    out[:, 12] = z.max()
    out[:, 13] = (z > 0).mean()
    out[:, 14] = p
    out[:, 15] = _window_mean(p, 3)
    strong = np.flatnonzero(z > 2.0)
    if len(strong):
        out[:, 17] = np.arange(n) > strong[-1]
        out[:, 18] = np.arange(n) < strong[0]
    groups = path_groups(blocks) if groups is None else groups
    governing = governing_headings(blocks, groups) if governing is None else governing
    out[:, _BASE] = np.where(governing >= 0, z[np.maximum(governing, 0)], 0.0)
    group_sizes = np.bincount(groups).astype(np.float64)
    out[:, _BASE + 1] = (np.bincount(groups, weights=z) / group_sizes)[groups]
    gmax = np.full(len(group_sizes), -np.inf)
    np.maximum.at(gmax, groups, z)
    out[:, _BASE + 2] = gmax[groups]
    out[:, _BASE + 3] = z - out[:, _BASE + 1]
    if similarity is not None:
        out[:, _BASE + 4] = similarity
    chars = np.fromiter((len(b.text) for b in blocks), dtype=np.float64, count=n)
    tree = BlockTree.of(blocks)  # once for both regions; None without a DOM (the columns stay zero)
    if tree is not None:
        out[:, _REGION:_REGION + 6] = region_features(blocks, p, chars, tree)
        if local_region:
            out[:, _REGION + 6:_N_BASE] = local_region_features(blocks, p, chars, tree)
    if page_type is not None:
        k = len(PAGE_TYPES)
        out[:, _N_BASE:_N_BASE + k] = page_type
        products = out[:, _TYPE_INPUTS][:, None, :] * np.asarray(page_type, dtype=np.float64)[None, :, None]
        out[:, _N_BASE + k:_N_TYPED] = products.reshape(n, -1)
    if sequence:
        out[:, _N_TYPED:] = sequence_features(z, chars, pad)
    return out
