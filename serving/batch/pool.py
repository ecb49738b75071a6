"""Worker processes for the local batch: the model loaded once per process, a crash survived.

A :class:`WorkerPool` wraps a ``ProcessPoolExecutor`` whose initializer loads the model.
If a worker process dies (a crash in a native library, the out-of-memory killer), the
pool is started again and the chunks that were in flight are scored again one page per
task, so only the page that kills a worker becomes an error row.
"""
from __future__ import annotations

import os
import resource
import sys
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from .scoring import BatchOptions, error_row, score_chunk_with
from .sources import Page

MAX_BREAKS_IN_A_ROW = 3
WORKER_DIED = "the worker process died scoring this page (a crash, or out of memory)"
_WORKER: dict[str, Any] = {}


def _init_worker(options: BatchOptions) -> None:
    """Pool initializer: load the model once per worker process."""
    from classifier import load_model

    _WORKER["model"] = load_model(options.model_dir)
    _WORKER["options"] = options
    _WORKER["cpu_at_start"] = cpu_seconds()  # so scoring time excludes loading the model


def peak_rss_mib() -> float:
    """This process's peak resident memory in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def cpu_seconds() -> float:
    """CPU time this process used so far (user + system): a measure other load does not skew."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# rows, kept blocks, and the worker's pid, peak RSS and CPU seconds spent scoring so far
ChunkResult = tuple[list[dict[str, Any]], int, int, float, float]


def _score_in_worker(pages: list[Page]) -> ChunkResult:
    rows, kept = score_chunk_with(_WORKER["model"], pages, _WORKER["options"])
    return rows, kept, os.getpid(), peak_rss_mib(), cpu_seconds() - _WORKER["cpu_at_start"]


class WorkerPool:
    """``workers`` processes scoring chunks; restarted when one of them dies."""

    def __init__(self, workers: int, options: BatchOptions) -> None:
        import multiprocessing

        self.workers = workers
        self.options = options
        # forkserver: no fork of a process that holds threads (tqdm, pyarrow)
        self._context = multiprocessing.get_context("forkserver" if sys.platform != "win32" else "spawn")
        self.generation = 0
        self._breaks_in_a_row = 0
        self._pool = self._new()

    def _new(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=self._context,
                                   initializer=_init_worker, initargs=(self.options,))

    def submit(self, pages: list[Page]) -> tuple[Future, int]:
        return self._pool.submit(_score_in_worker, pages), self.generation

    def result(self, future: Future, generation: int, pages: list[Page]) -> ChunkResult:
        """The chunk's result; if the pool broke, restart it (once per break) and rescore page by page."""
        try:
            result = future.result()
        except BrokenProcessPool:
            if generation == self.generation:
                self._restart()
            return self._isolated(pages)
        self._breaks_in_a_row = 0
        return result

    def _restart(self, counted: bool = True) -> None:
        """A new pool, unless workers keep dying with nothing scored in between (they cannot start).

        ``counted=False``: the break came from scoring one page alone, so that page (not the
        workers' start) is to blame.
        """
        self._breaks_in_a_row += counted
        if self._breaks_in_a_row > MAX_BREAKS_IN_A_ROW:
            raise RuntimeError(f"worker processes died {self._breaks_in_a_row} times in a row without scoring "
                               "a page: they cannot start here (see the errors above)")
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = self._new()
        self.generation += 1

    def _isolated(self, pages: list[Page]) -> ChunkResult:
        rows: list[dict[str, Any]] = []
        kept, pid, rss, cpu = 0, 0, 0.0, 0.0
        for page in pages:
            # Twice: other chunks share the pool, and one of them may have broken it under this page.
            for attempt in range(2):
                try:
                    page_rows, page_kept, pid, rss, cpu = self._pool.submit(_score_in_worker, [page]).result()
                    self._breaks_in_a_row = 0
                    break
                except BrokenProcessPool:
                    self._restart(counted=False)
                    page_rows, page_kept = [error_row(page, WORKER_DIED, self.options)], 0
            rows += page_rows
            kept += page_kept
        return rows, kept, pid, rss, cpu

    def shutdown(self, cancel: bool = False) -> None:
        """Stop the workers; ``cancel`` drops queued chunks and does not wait (Ctrl-C)."""
        self._pool.shutdown(wait=not cancel, cancel_futures=cancel)
