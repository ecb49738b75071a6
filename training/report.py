"""Aggregate per-page scores into summaries and print them side by side.

A *summary* (from :func:`summarize`) is a JSON-serialisable dict::

    {"overall": GROUP, "by_type": {page_type: GROUP, ...}}   # types sorted

where a GROUP holds the page count, mean word precision/recall/F1 and mean
shingle F1 over pages, the share of "with" snippets kept and "without"
snippets leaked (pooled over pages), block precision/recall/F1 micro-averaged
from the pages' tp/fp/fn, the teaser leak (kept teaser characters over
all teaser characters), the comment leak (the same for readers' comments) and
the comment words (the share of the output's words that come from comments;
on article pages the story should hold at most 1%).  Shares that have nothing
to divide are None.
A *report* maps system names to summaries (:func:`compare_report`) and
:func:`format_table` renders it as plain fixed-width text; :func:`format_protocol`
renders a whole evaluation (cross-validation beside the hold-out).
Teaser leak sits next to word F1 and the `without` leak in every rendering,
comment leak and comment words next to it in the tables.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .metrics import PageScore, prf_from_counts

__all__ = ["compare_report", "describe_protocol", "format_protocol", "format_table", "headline", "protocol_rows",
           "summarize"]

_DIGITS = 4


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, _DIGITS)


def _share(part: int, whole: int) -> float | None:
    return _round(part / whole) if whole else None


def _mean(values: list[float]) -> float | None:
    return _round(sum(values) / len(values)) if values else None


def _group(scores: Sequence[PageScore]) -> dict[str, Any]:
    """Summary of one group of pages."""
    with_found = sum(s.with_found for s in scores)
    with_total = sum(s.with_total for s in scores)
    without_found = sum(s.without_found for s in scores)
    without_total = sum(s.without_total for s in scores)
    teaser_kept = sum(s.teaser_chars_kept for s in scores)
    teaser_total = sum(s.teaser_chars_total for s in scores)
    comment_kept = sum(s.comment_chars_kept for s in scores)
    comment_total = sum(s.comment_chars_total for s in scores)
    comment_words = sum(s.comment_words_kept for s in scores)
    words = sum(s.words_kept for s in scores)

    blocked = [s for s in scores if s.block_tp is not None]
    block: dict[str, Any] = {
        "block_pages": len(blocked),
        "block_tp": None,
        "block_fp": None,
        "block_fn": None,
        "block_precision": None,
        "block_recall": None,
        "block_f1": None,
    }
    if blocked:
        tp = sum(s.block_tp or 0 for s in blocked)
        fp = sum(s.block_fp or 0 for s in blocked)
        fn = sum(s.block_fn or 0 for s in blocked)
        p, r, f = prf_from_counts(tp, fp, fn)
        block.update(
            block_tp=tp,
            block_fp=fp,
            block_fn=fn,
            block_precision=_round(p),
            block_recall=_round(r),
            block_f1=_round(f),
        )

    return {
        "pages": len(scores),
        "word_precision": _mean([s.word_precision for s in scores]),
        "word_recall": _mean([s.word_recall for s in scores]),
        "word_f1": _mean([s.word_f1 for s in scores]),
        "shingle_f1": _mean([s.shingle_f1 for s in scores]),
        "with_found": with_found,
        "with_total": with_total,
        "with_kept": _share(with_found, with_total),
        "without_found": without_found,
        "without_total": without_total,
        "without_leaked": _share(without_found, without_total),
        **block,
        "teaser_chars_kept": teaser_kept,
        "teaser_chars_total": teaser_total,
        "teaser_leak": _share(teaser_kept, teaser_total),
        "comment_chars_kept": comment_kept,
        "comment_chars_total": comment_total,
        "comment_leak": _share(comment_kept, comment_total),
        "comment_words_kept": comment_words,
        "words_kept": words,
        "comment_words": _share(comment_words, words),
    }


def summarize(scores: Sequence[PageScore]) -> dict[str, Any]:
    """Summarise page scores overall and by page type (types sorted by name)."""
    scores = list(scores)
    by_type: dict[str, list[PageScore]] = {}
    for score in scores:
        by_type.setdefault(score.page_type, []).append(score)
    return {
        "overall": _group(scores),
        "by_type": {page_type: _group(by_type[page_type]) for page_type in sorted(by_type)},
    }


def compare_report(systems: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Bundle summaries of several systems, keeping their order.

    ``systems`` maps a system name to its :func:`summarize` output; the result
    is what :func:`format_table` and JSON dumps expect.
    """
    report: dict[str, dict[str, Any]] = {}
    for name, summary in systems.items():
        if "overall" not in summary or "by_type" not in summary:
            raise ValueError(f"system {name!r}: not a summarize() result (needs 'overall' and 'by_type')")
        report[str(name)] = dict(summary)
    return report


# (header, GROUP key, is an integer count)
_COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("pages", "pages", True),
    ("word F1", "word_f1", False),
    ("P", "word_precision", False),
    ("R", "word_recall", False),
    ("shingle F1", "shingle_f1", False),
    ("with kept", "with_kept", False),
    ("without leaked", "without_leaked", False),
    ("teaser leak", "teaser_leak", False),
    ("comment leak", "comment_leak", False),
    ("comment words", "comment_words", False),
    ("block F1", "block_f1", False),
)
_OVERALL = "all"


def _cell(value: Any, is_count: bool) -> str:
    if value is None:
        return "-"
    if is_count:
        return str(int(value))
    return f"{float(value):.{_DIGITS}f}"


def format_table(report: Mapping[str, Mapping[str, Any]], by_type: bool = True, title: str = _OVERALL) -> str:
    """Render a report (system name -> summary) as a plain-text table.

    One section per page type, "all" (or ``title``) first then the types in sorted
    order (none with ``by_type=False``); one row per system.  Missing values (and
    systems without pages of a type) show "-".
    """
    if not report:
        return "(no systems)\n"
    types = sorted({t for summary in report.values() for t in summary.get("by_type", {})}) if by_type else []
    sections: list[tuple[str, dict[str, Mapping[str, Any] | None]]] = [
        (title, {name: summary.get("overall") for name, summary in report.items()})
    ]
    for page_type in types:
        sections.append(
            (page_type, {name: summary.get("by_type", {}).get(page_type) for name, summary in report.items()})
        )

    name_width = max(len("system"), *(len(name) for name in report))
    widths = [max(len(header), 6) for header, _, _ in _COLUMNS]

    def line(first: str, cells: Sequence[str]) -> str:
        parts = [first.ljust(name_width)] + [cell.rjust(width) for cell, width in zip(cells, widths)]
        return "  ".join(parts).rstrip()

    header = line("system", [header for header, _, _ in _COLUMNS])
    rule = "-" * len(header)
    out: list[str] = []
    for title, rows in sections:
        if out:
            out.append("")
        out.append(f"== {title} ==")
        out.append(header)
        out.append(rule)
        for name, group in rows.items():
            group = group or {}
            out.append(line(name, [_cell(group.get(key), is_count) for _, key, is_count in _COLUMNS]))
    return "\n".join(out) + "\n"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def headline(group: Mapping[str, Any]) -> str:
    """Word F1, `without` snippets leaked and teaser leak of one summary group, in one line."""
    f1 = group.get("word_f1")
    return (f"word F1 {'-' if f1 is None else f'{f1:.4f}'}, without leaked {_percent(group.get('without_leaked'))}, "
            f"teaser leak {_percent(group.get('teaser_leak'))}")


_PARTS = (("cross_validation", "cv"), ("holdout", "hold-out"))


def protocol_rows(protocol: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Summaries of ``{"cross_validation": ..., "holdout": ...}`` as table rows, cv beside hold-out.

    Rows are ``"SYSTEM, cv"`` and ``"SYSTEM, hold-out"`` for each system, then the same
    for each view (``"SYSTEM, cv, extract view"``).
    """
    parts = [(label, protocol.get(key)) for key, label in _PARTS]
    parts = [(label, part) for label, part in parts if part and part.get("systems")]
    rows: dict[str, Mapping[str, Any]] = {}
    systems = list(dict.fromkeys(name for _, part in parts for name in part["systems"]))
    for system in systems:
        for label, part in parts:
            if system in part["systems"]:
                rows[f"{system}, {label}"] = part["systems"][system]
    views = list(dict.fromkeys(name for _, part in parts for name in part.get("views") or {}))
    for view in views:
        for system in systems:
            for label, part in parts:
                summary = ((part.get("views") or {}).get(view) or {}).get("systems", {}).get(system)
                if summary is not None:
                    rows[f"{system}, {label}, {view} view"] = summary
    return rows


def _cuts(values: Sequence[float]) -> str:
    return " ".join(f"{v:g}" for v in values)


def describe_protocol(protocol: Mapping[str, Any]) -> list[str]:
    """One line on how the cross-validation and the hold-out were run (thresholds included)."""
    lines = []
    cv = protocol.get("cross_validation")
    if cv:
        line = (f"cross-validation: {cv['folds']} folds grouped by {cv.get('grouped_by', 'site')}, "
                f"{cv['pages']} pages from {cv.get('sites', '?')} sites")
        if cv.get("train_only_pages"):
            line += f" (+{cv['train_only_pages']} training-only pages, fitted on, never scored)"
        if cv.get("threshold_rule") == "fixed":
            line += f"; fixed threshold {cv['threshold']:g}"
        elif "fold_thresholds" in cv:
            line += (f"; thresholds picked on each fold's training pages: {_cuts(cv['fold_thresholds'])} "
                     f"(median {cv['threshold']:g})")
        for name, view in (cv.get("views") or {}).items():
            if "fold_thresholds" in view:
                line += (f"; {name} view thresholds (picked on the other folds): {_cuts(view['fold_thresholds'])}, "
                         f"post-filter threshold {view['postfilter_threshold']:g}")
        lines.append(line)
    ho = protocol.get("holdout")
    if ho and "skipped" in ho:
        lines.append(f"hold-out: skipped ({ho['skipped']})")
    elif ho:
        how = "fixed" if ho.get("threshold_picked_by") == "fixed" else "picked on those pages"
        lines.append(f"hold-out: {ho['fraction']:.0%} of sites (seed {ho['seed']}) kept out of every choice: "
                     f"{ho['pages']} pages from {ho['sites']} sites, scored once by a model fitted on the other "
                     f"{ho['fit_pages']} pages, threshold {ho['threshold']:g} ({how})")
    return lines


def format_protocol(protocol: Mapping[str, Any]) -> str:
    """A whole evaluation as text: how it ran, cv beside hold-out, then each by page type."""
    out = describe_protocol(protocol)
    rows = protocol_rows(protocol)
    parts = [label for key, label in (("cross_validation", "cross-validation"), ("holdout", "hold-out"))
             if (protocol.get(key) or {}).get("systems")]
    if rows:
        title = " vs ".join(parts) + ", all pages"
        out += ["", format_table(rows, by_type=False, title=title).rstrip("\n")]
    for key, label in (("cross_validation", "cross-validation"), ("holdout", "hold-out")):
        part = protocol.get(key)
        if part and part.get("systems"):
            out += ["", f"{label} by page type:", format_table(part["systems"]).rstrip("\n")]
    return "\n".join(out) + "\n"
