"""Page-level and block-level measures for story extraction.

Pure functions, no I/O.  They run over thousands of pages times several
systems, so each page's text is tokenised once and compared as multisets
(:class:`collections.Counter`).

Conventions for empty inputs (word and shingle measures):

* precision = overlap / len(predicted) if predicted else (1.0 if gold is empty else 0.0)
* recall    = overlap / len(gold)      if gold      else (1.0 if predicted is empty else 0.0)
* F1        = harmonic mean of precision and recall, 0.0 when both are 0.

So both empty gives (1, 1, 1); predicting nothing for a non-empty gold gives
(0, 0, 0); predicting something for an empty gold gives (0, 0, 0) as well.
Block measures follow scikit-learn's ``zero_division=0``.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

__all__ = [
    "PageScore",
    "block_counts",
    "block_prf",
    "normalize_for_match",
    "prf_from_counts",
    "score_page",
    "shingle_prf",
    "shingles",
    "snippet_hits",
    "tokenize_words",
    "word_prf",
]

_WORD_RE = re.compile(r"\w+")
_SPACE_RE = re.compile(r"\s+")

# Characters that never show and never part words: a soft hyphen inside "news\u00adpaper"
# must not split it in two (gold texts keep them; extractors may drop them).
_INVISIBLE = {"\u00ad": None, "\u2060": None, "\ufeff": None}
INVISIBLE_IN_WORDS = str.maketrans(_INVISIBLE)

# Typographic characters mapped to ASCII for snippet matching.  Applied before
# NFKC (which would split U+00B4 and U+2033) and again after it (NFKC turns
# compatibility forms such as U+FE58 or U+FE31 into dashes listed here).
_MATCH_TABLE = str.maketrans(
    {
        # single quotes, apostrophes, primes
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'",
        "\u2032": "'", "\u00b4": "'", "\u2039": "'", "\u203a": "'",
        # double quotes
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"',
        "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
        # hyphens and dashes, minus sign
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-",
        "\u2014": "-", "\u2015": "-", "\u2212": "-",
        # invisible characters that break substring matches
        **_INVISIBLE, "\u200b": None,
    }
)


def tokenize_words(text: str) -> list[str]:
    """Lowercase ``text`` and return its ``\\w+`` runs (Unicode-aware), invisible characters dropped."""
    return _WORD_RE.findall(text.translate(INVISIBLE_IN_WORDS).lower())


def _prf(overlap: int, n_pred: int, n_gold: int) -> tuple[float, float, float]:
    """Precision, recall, F1 with the empty-input conventions of this module."""
    if n_pred:
        precision = overlap / n_pred
    else:
        precision = 1.0 if not n_gold else 0.0
    if n_gold:
        recall = overlap / n_gold
    else:
        recall = 1.0 if not n_pred else 0.0
    denom = precision + recall
    f1 = 2.0 * precision * recall / denom if denom else 0.0
    return precision, recall, f1


def _bag_prf(pred: Sequence[Hashable], gold: Sequence[Hashable]) -> tuple[float, float, float]:
    """Multiset precision/recall/F1 of two item sequences."""
    if not pred or not gold:
        return _prf(0, len(pred), len(gold))
    pred_counts = Counter(pred)
    gold_counts = Counter(gold)
    if len(pred_counts) > len(gold_counts):
        pred_counts, gold_counts = gold_counts, pred_counts
    overlap = 0
    for item, count in pred_counts.items():
        other = gold_counts.get(item)
        if other:
            overlap += count if count < other else other
    return _prf(overlap, len(pred), len(gold))


def word_prf(predicted: str, gold: str) -> tuple[float, float, float]:
    """Bag-of-words (multiset) precision, recall and F1 of ``predicted`` vs ``gold``.

    This is the WCXB page measure.  See the module docstring for empty inputs.
    """
    return _bag_prf(tokenize_words(predicted), tokenize_words(gold))


def shingles(words: Sequence[str], n: int = 4) -> list[tuple[str, ...]]:
    """Word n-gram shingles of ``words``.

    A non-empty sequence shorter than ``n`` gives a single shingle holding all
    its words; an empty sequence gives no shingles.
    """
    if n < 1:
        raise ValueError(f"shingle size must be >= 1, got {n}")
    if not words:
        return []
    if len(words) < n:
        return [tuple(words)]
    return list(zip(*(words[i:] for i in range(n))))


def shingle_prf(predicted: str, gold: str, n: int = 4) -> tuple[float, float, float]:
    """Precision, recall and F1 over multisets of word ``n``-gram shingles.

    Rewards keeping word order and penalises text stitched from fragments.
    Same empty-input conventions as :func:`word_prf`.
    """
    return _bag_prf(shingles(tokenize_words(predicted), n), shingles(tokenize_words(gold), n))


def normalize_for_match(text: str) -> str:
    """Normalise text for snippet matching.

    NFKC, typographic quotes/apostrophes/dashes to ASCII, soft hyphens and
    zero-width characters removed, casefolded, whitespace runs collapsed to
    one space, stripped.
    """
    text = unicodedata.normalize("NFKC", text.translate(_MATCH_TABLE))
    text = text.translate(_MATCH_TABLE).casefold()
    return _SPACE_RE.sub(" ", text).strip()


def _count_hits(normalized_predicted: str, snippets: Sequence[str]) -> tuple[int, int]:
    found = total = 0
    for snippet in snippets:
        needle = normalize_for_match(snippet)
        if not needle:
            continue
        total += 1
        if needle in normalized_predicted:
            found += 1
    return found, total


def snippet_hits(predicted: str, snippets: Sequence[str]) -> tuple[int, int]:
    """Return ``(found, total)``: how many snippets occur in ``predicted``.

    Both sides go through :func:`normalize_for_match`; snippets that are empty
    after normalisation are ignored (not counted in ``total``).
    """
    return _count_hits(normalize_for_match(predicted), snippets)


def block_counts(y_true: Sequence[int], y_pred: Sequence[int]) -> tuple[int, int, int]:
    """Return ``(tp, fp, fn)`` for the story class (label ``1``).

    Counts can be summed over pages for micro-averaged block scores.
    """
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true has {len(y_true)} labels but y_pred has {len(y_pred)}")
    tp = fp = fn = 0
    for t, p in zip(y_true, y_pred):
        t_pos = t == 1
        p_pos = p == 1
        if p_pos:
            if t_pos:
                tp += 1
            else:
                fp += 1
        elif t_pos:
            fn += 1
    return tp, fp, fn


def prf_from_counts(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    """Precision, recall, F1 from counts; any zero division gives 0.0."""
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    denom = precision + recall
    f1 = 2.0 * precision * recall / denom if denom else 0.0
    return precision, recall, f1


def block_prf(y_true: Sequence[int], y_pred: Sequence[int]) -> tuple[float, float, float]:
    """Block precision, recall, F1 for the story class (label ``1``), zero division -> 0."""
    return prf_from_counts(*block_counts(y_true, y_pred))


@dataclass(frozen=True, slots=True)
class PageScore:
    """All measures of one system's output on one page.

    Block counts are None when the page has no block labels.  Teaser
    characters count text of recommendation widgets on the page
    (``teaser_chars_total``) and how much of it the system kept; comment
    characters the same for readers' comments (``training.comments``).
    ``words_kept`` counts the words of the system's output and
    ``comment_words_kept`` those of them that come from comment blocks.
    """

    page_id: str
    page_type: str
    word_precision: float
    word_recall: float
    word_f1: float
    shingle_f1: float
    with_found: int
    with_total: int
    without_found: int
    without_total: int
    block_tp: int | None = None
    block_fp: int | None = None
    block_fn: int | None = None
    teaser_chars_total: int = 0
    teaser_chars_kept: int = 0
    comment_chars_total: int = 0
    comment_chars_kept: int = 0
    words_kept: int = 0
    comment_words_kept: int = 0

    @property
    def has_blocks(self) -> bool:
        """True when block counts are present."""
        return self.block_tp is not None


def score_page(
    page_id: str,
    page_type: str,
    predicted_text: str,
    gold_text: str,
    with_snippets: Sequence[str],
    without_snippets: Sequence[str],
    y_true: Sequence[int] | None = None,
    y_pred: Sequence[int] | None = None,
    *,
    teaser_chars_total: int = 0,
    teaser_chars_kept: int = 0,
    comment_chars_total: int = 0,
    comment_chars_kept: int = 0,
    comment_words_kept: int = 0,
    shingle_n: int = 4,
) -> PageScore:
    """Score one page: word and shingle overlap, snippets, blocks, teaser and comment leak.

    ``y_true`` and ``y_pred`` (block labels, story = 1) go together: give both
    or neither.  Texts are tokenised and normalised once.
    """
    if (y_true is None) != (y_pred is None):
        raise ValueError("give both y_true and y_pred, or neither")
    if not 0 <= teaser_chars_kept <= teaser_chars_total:
        raise ValueError(
            f"need 0 <= teaser_chars_kept ({teaser_chars_kept}) <= teaser_chars_total ({teaser_chars_total})"
        )
    if not 0 <= comment_chars_kept <= comment_chars_total:
        raise ValueError(
            f"need 0 <= comment_chars_kept ({comment_chars_kept}) <= comment_chars_total ({comment_chars_total})"
        )
    pred_words = tokenize_words(predicted_text)
    gold_words = tokenize_words(gold_text)
    word_p, word_r, word_f = _bag_prf(pred_words, gold_words)
    _, _, shingle_f = _bag_prf(shingles(pred_words, shingle_n), shingles(gold_words, shingle_n))

    normalized = normalize_for_match(predicted_text)
    with_found, with_total = _count_hits(normalized, with_snippets)
    without_found, without_total = _count_hits(normalized, without_snippets)

    tp = fp = fn = None
    if y_true is not None and y_pred is not None:
        tp, fp, fn = block_counts(y_true, y_pred)

    return PageScore(
        page_id=page_id,
        page_type=page_type,
        word_precision=word_p,
        word_recall=word_r,
        word_f1=word_f,
        shingle_f1=shingle_f,
        with_found=with_found,
        with_total=with_total,
        without_found=without_found,
        without_total=without_total,
        block_tp=tp,
        block_fp=fp,
        block_fn=fn,
        teaser_chars_total=teaser_chars_total,
        teaser_chars_kept=teaser_chars_kept,
        comment_chars_total=comment_chars_total,
        comment_chars_kept=comment_chars_kept,
        words_kept=len(pred_words),
        comment_words_kept=comment_words_kept,
    )
