"""Labelled pages for the page-type model: blocks, page type and site of every gold page.

Segmenting the 1,497 wcxb-dev pages takes about half a minute, so the result can be
cached on disk with joblib (keyed by the corpus folders and the mode); the page
types come from each gold page's ``page_type``. Text mode gives the pages as a
scraper's plain text, rendered exactly as the block model's training sees them
(:func:`training.dataset.build_examples`).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from classifier.blocks import Block

from .dataset import build_examples
from .readers import read_gold_folder


@dataclass
class TypedPages:
    """Pages of blocks with their page type and site (registered domain), index for index."""

    pages: list[list[Block]]
    types: list[str]
    groups: list[str]
    ids: list[str]


def typed_pages(corpora: Sequence[str], mode: str = "html", progress: bool = False) -> TypedPages:
    """Every gold page of ``corpora`` with a known page type, cut into blocks for ``mode``."""
    gold = [page for folder in corpora for page in read_gold_folder(folder)]
    gold = [page for page in gold if page.page_type and page.page_type != "unknown"]
    examples = build_examples(gold, mode, progress=progress)
    return TypedPages(pages=examples.pages, types=[s.page_type for s in examples.sources],
                      groups=list(examples.groups), ids=[s.id for s in examples.sources])


def cached_typed_pages(corpora: Sequence[str], mode: str, cache_dir: str | Path | None,
                       progress: bool = False) -> TypedPages:
    """:func:`typed_pages`, kept in ``cache_dir`` by joblib (computed afresh when it is None)."""
    corpora = [str(Path(c).resolve()) for c in corpora]
    if cache_dir is None:
        return typed_pages(corpora, mode, progress)
    from joblib import Memory

    memory = Memory(str(cache_dir), verbose=0)
    return memory.cache(typed_pages, ignore=["progress"])(corpora, mode, progress)
