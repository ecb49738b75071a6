"""Scoring kept blocks against the gold text, and picking a threshold from scores.

Which scores a threshold is picked on is the caller's business (``training.folds``
picks on a fold's training pages only); this module only says how.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .dataset import Examples
from .metrics import PageScore, score_page, tokenize_words

#: Thresholds that let through more than this share of `without` snippets are not chosen.
MAX_WITHOUT_LEAK = 0.05
THRESHOLD_CANDIDATES = tuple(float(t) for t in np.round(np.arange(0.2, 0.91, 0.05), 2))


def page_score(examples: Examples, i: int, kept: Sequence[bool]) -> PageScore:
    """Score one page's kept blocks against its gold text and block labels."""
    blocks, labels, source = examples.pages[i], examples.labels[i], examples.sources[i]
    text = "\n\n".join(b.text for b, k in zip(blocks, kept) if k)
    teasers = examples.teasers[i] if examples.teasers else [False] * len(blocks)
    teaser_total = sum(len(b.text) for b, t in zip(blocks, teasers) if t)
    teaser_kept = sum(len(b.text) for b, t, k in zip(blocks, teasers, kept) if t and k)
    comments = examples.comment_mask(i)
    comment_total = sum(len(b.text) for b, c in zip(blocks, comments) if c)
    comment_kept = [b.text for b, c, k in zip(blocks, comments, kept) if c and k]
    gold = getattr(source, "main_text", None)
    if gold is None:
        gold = "\n".join(b.text for b, y in zip(blocks, labels) if y)
    return score_page(
        page_id=source.id, page_type=getattr(source, "page_type", "unknown"), predicted_text=text,
        gold_text=gold, with_snippets=getattr(source, "with_snippets", []),
        without_snippets=getattr(source, "without_snippets", []), y_true=labels,
        y_pred=[int(k) for k in kept], teaser_chars_total=teaser_total, teaser_chars_kept=teaser_kept,
        comment_chars_total=comment_total, comment_chars_kept=sum(len(t) for t in comment_kept),
        comment_words_kept=sum(len(tokenize_words(t)) for t in comment_kept))


def score_examples(examples: Examples, scores: Sequence[np.ndarray],
                   threshold: float | Sequence[float]) -> list[PageScore]:
    """Page scores at one threshold, or at one threshold per page (nested folds cut each page at its fold's)."""
    cuts = [threshold] * len(scores) if isinstance(threshold, (int, float)) else list(threshold)
    return [page_score(examples, i, s >= t) for i, (s, t) in enumerate(zip(scores, cuts))]


def baseline_scores(examples: Examples) -> list[PageScore]:
    """Keep every block: the floor any filter must beat."""
    return [page_score(examples, i, [True] * len(p)) for i, p in enumerate(examples.pages)]


def threshold_sweep(examples: Examples, scores: Sequence[np.ndarray],
                    candidates: Sequence[float] = THRESHOLD_CANDIDATES) -> list[dict]:
    """Mean page word F1, the share of `without` snippets leaked and the teaser leak (kept
    teaser characters over all, None without teaser labels) at each candidate threshold.

    Nearby thresholds often keep the same blocks of a page; each distinct set is scored once.
    """
    per_candidate: list[list[PageScore]] = [[] for _ in candidates]
    for i, s in enumerate(scores):
        seen: dict[bytes, PageScore] = {}
        for k, t in enumerate(candidates):
            kept = np.asarray(s) >= t
            key = np.packbits(kept).tobytes() + len(kept).to_bytes(8, "little")
            if key not in seen:
                seen[key] = page_score(examples, i, kept)
            per_candidate[k].append(seen[key])
    rows = []
    for t, page_scores in zip(candidates, per_candidate):
        total = sum(s.without_total for s in page_scores)
        teasers = sum(s.teaser_chars_total for s in page_scores)
        mean_f1 = float(np.mean([s.word_f1 for s in page_scores])) if page_scores else 0.0
        rows.append({"threshold": float(t), "word_f1": round(mean_f1, 4),
                     "without_leaked": round(sum(s.without_found for s in page_scores) / total, 4) if total else None,
                     "teaser_leaked": round(sum(s.teaser_chars_kept for s in page_scores) / teasers, 4)
                     if teasers else None})
    return rows


def best_threshold(examples: Examples, scores: Sequence[np.ndarray],
                   candidates: Sequence[float] = THRESHOLD_CANDIDATES,
                   max_leak: float | None = MAX_WITHOUT_LEAK, sweep: list[dict] | None = None) -> float:
    """The threshold with the highest mean page word F1 on the given scores.

    Among thresholds that leak at most ``max_leak`` of the ``without`` snippets (when
    the data has them): a filter that lets clutter through is worse than its F1 says.
    """
    sweep = sweep if sweep is not None else threshold_sweep(examples, scores, candidates)
    best, best_f1 = 0.5, -1.0
    fallback, fallback_f1 = 0.5, -1.0
    for row in sweep:
        f1, leak = row["word_f1"], row["without_leaked"] or 0.0
        if f1 > fallback_f1 + 1e-9:
            fallback, fallback_f1 = row["threshold"], f1
        if (max_leak is None or leak <= max_leak) and f1 > best_f1 + 1e-9:
            best, best_f1 = row["threshold"], f1
    return best if best_f1 >= 0 else fallback
