"""Batch scoring: stream pages from inputs through worker processes into one output file.

The reader (the main process) streams pages out of each input and cuts them into
chunks; each chunk is scored by a worker process that loaded the model once (pool
initializer), with one vectorised model call per mode; results come back in order and
are written to the input's part file. At most ``2 * workers`` chunks are in flight, so
memory stays bounded whatever the size of the inputs. See :mod:`serving.batch.state`
for resuming and :mod:`serving.batch.sinks` for the rows.
"""
from __future__ import annotations

import os
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .pool import WorkerPool, cpu_seconds, peak_rss_mib
from .scoring import BatchOptions, score_chunk_with
from .state import InputDone, RunState, StateError
from .sinks import PartWriter, format_of, merge_parts
from .sources import InputFile, Page, Skip, discover, iter_pages

CHUNK_PAGES = 64
CHUNK_BYTES = 8 * 1024 * 1024


# ----- the run -------------------------------------------------------------------------------
@dataclass
class Summary:
    """Totals of a run, printed at the end."""

    inputs: int = 0
    inputs_already_done: int = 0
    empty_inputs: int = 0
    pages: int = 0
    errors: int = 0
    skipped: int = 0
    kept_blocks: int = 0
    seconds: float = 0.0
    rows_written: int = 0
    peak_rss_mib: dict[int, float] = field(default_factory=dict)  # per scoring process (pid)
    reader_peak_rss_mib: float = 0.0  # the main process (reads, writes; scores too with 1 worker)
    worker_cpu_s: dict[int, float] = field(default_factory=dict)  # CPU seconds per scoring process
    reader_cpu_s: float = 0.0

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds > 0 else 0.0

    def line(self) -> str:
        rss = max(self.peak_rss_mib.values(), default=0.0)
        done = f" ({self.inputs_already_done} done before)" if self.inputs_already_done else ""
        empty = f", {self.empty_inputs} without pages" if self.empty_inputs else ""
        return (f"{_count(self.inputs, 'input')}{done}{empty}: {_count(self.pages, 'page')}, "
                f"{_count(self.kept_blocks, 'kept block')}, {_count(self.errors, 'error')}, "
                f"{_count(self.skipped, 'non-page record')} skipped "
                f"in {self.seconds:.1f} s ({self.pages_per_second:,.0f} pages/s); "
                f"peak RSS per worker {rss:,.0f} MiB")


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


@dataclass
class _Chunk:
    item: InputFile
    pages: list[Page]


@dataclass
class _End:
    item: InputFile
    skipped: int


def _events(items: list[InputFile]) -> Iterator[_Chunk | _End]:
    """Chunks of pages of each input, then its end (with the records skipped)."""
    for item in items:
        skipped = 0
        chunk: list[Page] = []
        size = 0
        for page in iter_pages(item):
            if isinstance(page, Skip):
                skipped += 1
                continue
            chunk.append(page)
            size += len(page.data) if page.data is not None else 0
            if len(chunk) >= CHUNK_PAGES or size >= CHUNK_BYTES:
                yield _Chunk(item, chunk)
                chunk, size = [], 0
        if chunk:
            yield _Chunk(item, chunk)
        yield _End(item, skipped)


def _progress(total_pages: int | None, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total_pages, unit="page", desc="storyfilter batch", disable=not enabled,
                smoothing=0.1, dynamic_ncols=True)


def run_batch(inputs: list[str | Path], output: str | Path, options: BatchOptions = BatchOptions(),
              workers: int = 1, overwrite: bool = False, progress: bool | None = None,
              on_input_done: Callable[[InputDone], None] | None = None) -> Summary:
    """Score every page of ``inputs`` into ``output`` (``.jsonl`` or ``.parquet``); resumable.

    ``progress=None`` shows a bar only when standard error is a terminal. Raises
    :class:`~serving.batch.sources.InputPathError`, :class:`~serving.batch.state.StateError`,
    ``ValueError`` (output extension) and :class:`~classifier.errors.ModelError` before any work.
    """
    output = Path(output)
    fmt = format_of(output)
    items = discover(inputs)
    if any(Path(i).resolve() == output.resolve() for i in inputs):  # --overwrite would empty it
        raise StateError(f"{output} is one of the inputs: choose another output")
    if progress is None:
        progress = sys.stderr.isatty()
    from classifier import load_model

    model = load_model(options.model_dir)  # fail early (and in this process) on a bad model
    versions = {m: (lm.name, lm.version) for m, lm in model.models.items()}
    state = RunState(output, {**options.state(), "format": fmt,
                              "models": {m: list(v) for m, v in sorted(versions.items())}},
                     output.suffix)
    output.parent.mkdir(parents=True, exist_ok=True)
    state.open(overwrite)
    # an output written inside an input folder is not an input of its own next run
    items = [it for it in items
             if it.path.resolve() != output.resolve() and state.folder.resolve() not in it.path.resolve().parents]
    summary = Summary(inputs=len(items))
    todo = [it for it in items if not state.is_done(it)]
    summary.inputs_already_done = len(items) - len(todo)
    started, cpu_started = time.perf_counter(), cpu_seconds()
    writers: dict[str, PartWriter] = {}
    counts: dict[str, InputDone] = {}

    def handle(event: _Chunk | _End, rows: list[dict[str, Any]], kept: int) -> None:
        key = event.item.key
        if key not in writers:
            writers[key] = PartWriter(state.part_path(event.item), fmt, options.include_blocks,
                                       options.markdown)
            counts[key] = InputDone(key, event.item.size, event.item.mtime_ns, state.part_path(event.item).name)
        record = counts[key]
        if isinstance(event, _Chunk):
            writers[key].write(rows)
            record.pages += len(rows)
            record.errors += sum(1 for r in rows if r["error"] is not None)
            record.kept_blocks += kept
            bar.update(len(rows))
            return
        writers.pop(key).commit()
        record.skipped = event.skipped
        state.mark_done(counts.pop(key))
        summary.pages += record.pages
        summary.errors += record.errors
        summary.skipped += record.skipped
        summary.kept_blocks += record.kept_blocks
        summary.empty_inputs += record.pages == 0
        if on_input_done is not None:
            on_input_done(record)

    bar = _progress(None, progress)
    try:
        if workers <= 1:
            for event in _events(todo):
                if isinstance(event, _Chunk):
                    rows, kept = score_chunk_with(model, event.pages, options)
                    handle(event, rows, kept)
                else:
                    handle(event, [], 0)
            summary.peak_rss_mib[os.getpid()] = peak_rss_mib()
            summary.worker_cpu_s[os.getpid()] = cpu_seconds() - cpu_started
        else:
            del model
            _run_pool(todo, options, workers, handle, summary)
    except BaseException:
        for writer in writers.values():
            writer.abort()
        raise
    finally:
        bar.close()
    parts = [state.folder / state.done[it.key].part for it in items]
    summary.rows_written = merge_parts(parts, output, fmt, options.include_blocks, options.markdown)
    state.remove()
    summary.seconds = time.perf_counter() - started
    summary.reader_peak_rss_mib = peak_rss_mib()
    summary.reader_cpu_s = cpu_seconds() - cpu_started
    return summary


def _run_pool(todo: list[InputFile], options: BatchOptions, workers: int,
              handle: Callable[[Any, list[dict[str, Any]], int], None], summary: Summary) -> None:
    """Score chunks on ``workers`` processes, at most ``2 * workers`` in flight, handled in order."""
    pending: deque[tuple[_Chunk | _End, tuple[Future, int] | None]] = deque()
    pool = WorkerPool(workers, options)

    def drain(limit: int) -> None:
        while sum(1 for _, f in pending if f is not None) > limit or (pending and pending[0][1] is None):
            event, submitted = pending.popleft()
            if submitted is None:
                handle(event, [], 0)
                continue
            rows, kept, pid, rss, cpu = pool.result(*submitted, event.pages)
            if pid:
                summary.peak_rss_mib[pid] = max(rss, summary.peak_rss_mib.get(pid, 0.0))
                summary.worker_cpu_s[pid] = max(cpu, summary.worker_cpu_s.get(pid, 0.0))
            handle(event, rows, kept)

    try:
        for event in _events(todo):
            pending.append((event, pool.submit(event.pages) if isinstance(event, _Chunk) else None))
            drain(2 * workers)
        drain(0)
    except BaseException:
        pool.shutdown(cancel=True)  # Ctrl-C: do not wait for queued chunks
        raise
    pool.shutdown()
