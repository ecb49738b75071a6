"""Scoring a chunk of batch pages with a loaded model: the one code path of the local batch and Spark.

Kept apart from reading and writing so the Spark UDF runs exactly what a local worker
runs, and the rows of both engines are the same as the Python API gives page by page.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from classifier.api import StoryFilter, detect_mode
from classifier.errors import InputError

from ..budget import BUDGET_CODE, BudgetExceeded, Deadline, scoring_seconds, staged_blocks
from .sources import Page


@dataclass(frozen=True)
class BatchOptions:
    """What the rows depend on (and so what a resumed run must share)."""

    mode: str = "auto"
    threshold: float | None = None
    model_dir: str | None = None
    include_blocks: bool = False
    #: Seconds one page may take; a page whose next stage may not fit gets an error row
    #: (``time_budget_exceeded: ...``) and the worker goes on. None: no budget.
    page_budget: float | None = None
    #: Also write the story as markdown, in a ``markdown`` column (None in error rows).
    markdown: bool = False

    def state(self) -> dict[str, Any]:
        """The options a resumed run must share (the page budget and markdown only when set,
        so runs written before they existed still resume)."""
        options: dict[str, Any] = {"mode": self.mode, "threshold": self.threshold,
                                   "include_blocks": self.include_blocks}
        if self.page_budget is not None:
            options["page_budget"] = self.page_budget
        if self.markdown:
            options["markdown"] = True
        return options


def page_mode(page: Page, mode: str) -> str:
    """The mode a page is scored in: the one forced, else what the input declares, else sniffed."""
    if mode != "auto":
        return mode
    return page.kind or detect_mode(page.data, page.encoding)


def error_row(page: Page, message: str, options: BatchOptions, mode: str | None = None) -> dict[str, Any]:
    """The row of a page without a result: the same keys as a scored row, ``error`` set."""
    row: dict[str, Any] = {"id": page.id, "url": page.url, "source": page.source, "mode": mode, "model": None,
                           "story_text": None, "metadata": None}
    if options.include_blocks:
        row["blocks"] = None
    if options.markdown:
        row["markdown"] = None
    row["error"] = message
    return row


def score_chunk_with(model: StoryFilter, pages: list[Page], options: BatchOptions
                     ) -> tuple[list[dict[str, Any]], int]:
    """Rows for ``pages`` in order, and the story blocks kept.

    The same calls as ``model.filter(page, mode, threshold=..., encoding=...)`` page by page,
    but with one ``score_pages`` call per mode for the whole chunk.
    """
    rows: list[dict[str, Any] | None] = [None] * len(pages)
    groups: dict[str, list[tuple[int, list]]] = {"html": [], "text": []}
    for i, page in enumerate(pages):
        if page.error is not None or page.data is None:
            rows[i] = error_row(page, page.error or "no page", options)
            continue
        mode = None
        deadline = Deadline.never() if options.page_budget is None else Deadline.after(options.page_budget)
        try:
            mode = page_mode(page, options.mode)
            blocks = staged_blocks(model, page.data, mode, deadline, page.encoding, page.url,
                                   structure=options.markdown)
            deadline.require(scoring_seconds(blocks), f"scoring {len(blocks)} blocks")
        except InputError as err:
            rows[i] = error_row(page, str(err), options, mode)
            continue
        except BudgetExceeded as err:
            rows[i] = error_row(page, f"{BUDGET_CODE}: {err}", options, mode)
            continue
        groups[mode].append((i, blocks))
    kept = 0
    for mode, members in groups.items():
        if not members:
            continue
        results = model.score_pages([b for _, b in members], mode, options.threshold, structure=options.markdown)
        for (i, _), result in zip(members, results):
            page = pages[i]
            kept += sum(1 for b in result.blocks if b.label == "story")
            data = result.to_dict(include_blocks=options.include_blocks)
            row = {"id": page.id, "url": page.url, "source": page.source, "mode": data["mode"],
                   "model": data["model"], "story_text": data["story_text"], "metadata": data["metadata"]}
            if options.include_blocks:
                row["blocks"] = data["blocks"]
            if options.markdown:
                row["markdown"] = result.to_markdown()
            row["error"] = None
            rows[i] = row
    return [r for r in rows if r is not None], kept
