"""Batch scoring: files, folders, WARC archives and Spark, one room of the service tree.

``from serving.batch import BatchOptions, run_batch`` is the entry point; the modules
are ``runner`` (the streaming loop), ``pool`` (worker processes), ``scoring`` (one chunk
of pages), ``state`` (resuming), ``sources`` (inputs), ``sinks`` (outputs), ``spark``
(the Spark engine) and ``cli`` (``storyfilter batch``). The names below load on first use,
so ``storyfilter`` commands that never batch do not import the scoring stack.
"""
from __future__ import annotations

from typing import Any

__all__ = ["BatchOptions", "run_batch"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import runner
        return getattr(runner, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
