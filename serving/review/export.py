"""Reviewed pages as labelled-block rows, in the formats ``training/readers.py`` reads.

One row per block, one JSON object a line:
* ``blocks``: ``{"page_id", "position", "text", "label"}`` + ``url``, ``kind``, ``path``, ``score``,
  ``corrected``, and the page's ``html`` on its first row (HTML pages), so DOM features can be computed;
* ``label-studio``: a task per block, ``data`` + one annotation with the choice;
* ``doccano``: text classification rows, ``label`` as a list;
* ``prodigy``: binary ``textcat`` rows, ``label: "story"`` with ``answer`` accept or reject.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from .records import STORY, StoredBlock, StoredPage

FORMATS = ("blocks", "label-studio", "doccano", "prodigy")


def _page_id(page: StoredPage) -> str:
    """The store's id: unique, where the caller's ``ref`` may repeat (the same page reviewed twice)."""
    return page.summary.id


def _blocks_row(page: StoredPage, block: StoredBlock) -> dict:
    row = {"page_id": _page_id(page), "position": block.position, "text": block.text, "label": block.label,
           "kind": block.kind, "path": block.path, "score": round(block.score, 6), "corrected": block.corrected}
    if page.summary.ref:
        row["ref"] = page.summary.ref
    if page.summary.url:
        row["url"] = page.summary.url
    if block.position == page.blocks[0].position and page.summary.mode == "html":
        row["html"] = page.content
    return row


def _label_studio_row(page: StoredPage, block: StoredBlock) -> dict:
    data = {"text": block.text, "page_id": _page_id(page), "position": block.position}
    if page.summary.url:
        data["url"] = page.summary.url
    return {"data": data, "annotations": [{"result": [
        {"from_name": "label", "to_name": "text", "type": "choices", "value": {"choices": [block.label]}}]}]}


def _doccano_row(page: StoredPage, block: StoredBlock) -> dict:
    row = {"text": block.text, "label": [block.label], "page_id": _page_id(page), "position": block.position}
    if page.summary.url:
        row["url"] = page.summary.url
    return row


def _prodigy_row(page: StoredPage, block: StoredBlock) -> dict:
    meta = {"page_id": _page_id(page), "position": block.position}
    if page.summary.url:
        meta["url"] = page.summary.url
    return {"text": block.text, "label": STORY, "answer": "accept" if block.label == STORY else "reject",
            "meta": meta}


_ROWS: dict[str, Callable[[StoredPage, StoredBlock], dict]] = {
    "blocks": _blocks_row, "label-studio": _label_studio_row, "doccano": _doccano_row, "prodigy": _prodigy_row}


def export_rows(pages: Iterable[StoredPage], fmt: str = "blocks") -> Iterator[dict]:
    """One row per block of every page, in page and block order."""
    try:
        make = _ROWS[fmt]
    except KeyError:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}") from None
    for page in pages:
        for block in page.blocks:
            yield make(page, block)
