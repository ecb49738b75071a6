"""Seeded hostile pages through the segmenter, each timed and measured in a worker process.

    PYTHONPATH=.:tests python bench/fuzz.py [--seed 15] [--cases 1000] [--max-chars 300000]
                                            [--timeout 20] [--workers 1] [--progress N]
                                            [--as-limit-mb 3072] [--family NAME]... [--json OUT]

Each worker process segments one page at a time (HTML and text mode) and reports its
CPU seconds (not wall clock: on a shared machine the clock measures the neighbours) and
its peak RSS above what it held before the page (the peak is reset per page,
Linux's clear_refs); the parent kills a worker that passes
``--timeout`` (a hang) or that dies, and starts a new one. Each worker's address space is
capped (``--as-limit-mb``), so a blow-up is a MemoryError crash in it, not the machine's
swap. A case is over budget when it takes more than 0.1 CPU s + 2 CPU s per MB or grows
the worker's peak RSS by more than 300 MB. Printed:
counts by outcome and family, and every case over budget with its family and seed index.
The pages come from tests/hostile_pages.py; ``worst`` is the largest CPU seconds per MB
(pages under 10 KB count as 10 KB) and the largest RSS growth seen.
"""
from __future__ import annotations

import argparse
import json
import logging
import multiprocessing as mp
import resource
import sys
import time
from collections import Counter
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from hostile_pages import hostile_pages  # noqa: E402

BUDGET_MB = 300
#: Address space each worker may map (RLIMIT_AS): a page that tries to take more fails there.
AS_LIMIT_MB = 3072


def _peak_mb() -> float:
    """The process's peak RSS since the last :func:`_reset_peak` (Linux's VmHWM)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
    except OSError:  # not Linux, or not allowed: the peak then only grows
        pass


def _worker(conn: Connection, limit_mb: int) -> None:
    from classifier import InputError, StoryFilter

    logging.getLogger("storyfilter").setLevel(logging.ERROR)  # a warning per flattened page: noise here
    if limit_mb:  # a blow-up ends as MemoryError in this worker, not as the machine's swap
        resource.setrlimit(resource.RLIMIT_AS, (limit_mb << 20, limit_mb << 20))

    sf = StoryFilter({"html": object()})  # type: ignore[dict-item]  # segmenting needs no model
    while True:
        job = conn.recv()
        if job is None:
            return
        index, page = job
        _reset_peak()
        before = _peak_mb()
        start = time.process_time()
        outcome = "ok"
        try:
            for mode in ("html", "text"):
                try:
                    sf.blocks(page, mode)
                except InputError as err:
                    outcome = type(err).__name__
        except Exception as err:  # a crash: anything but the documented errors
            outcome = f"crash: {type(err).__name__}: {err}"[:200]
        conn.send((index, outcome, time.process_time() - start, _peak_mb() - before))


class _Slot:
    """One worker process and the case it is working on (None when idle)."""

    def __init__(self, ctx: Any, limit_mb: int) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker, args=(child, limit_mb), daemon=True)
        self.process.start()
        child.close()
        self.case: tuple[int, str, int] | None = None
        self.sent_at = 0.0

    def send(self, index: int, family: str, page: str | bytes) -> None:
        self.case = (index, family, len(page))
        self.sent_at = time.monotonic()
        self.conn.send((index, page))

    def stop(self, kill: bool = False) -> None:
        if kill:
            self.process.kill()
        else:
            self.conn.send(None)
        self.process.join(5)


def run(seed: int, cases: int, max_chars: int, timeout: float, workers: int = 1, progress: int = 0,
        limit_mb: int = AS_LIMIT_MB, families: frozenset[str] = frozenset()) -> dict:
    ctx = mp.get_context("spawn")
    counts: Counter = Counter()
    by_family: Counter = Counter()
    over: list[dict] = []
    slowest = {"cpu_seconds_per_mb": 0.0, "rss_growth_mb": 0.0}
    # The seed index stays the case's name when families are picked (a rerun of one family).
    pages = ((index, family, page) for index, (family, page) in enumerate(hostile_pages(seed, cases, max_chars))
             if not families or family in families)
    slots = [_Slot(ctx, limit_mb) for _ in range(workers)]
    done = 0
    started = time.monotonic()

    def record(slot: _Slot, outcome: str, seconds: float, grown: float) -> None:
        nonlocal done
        index, family, chars = slot.case  # type: ignore[misc]
        slot.case = None
        kind = "crash" if outcome.startswith("crash") else outcome
        counts[kind] += 1
        by_family[family] += 1
        done += 1
        size_mb = chars / 1e6
        slowest["cpu_seconds_per_mb"] = max(slowest["cpu_seconds_per_mb"], round(seconds / max(size_mb, 0.01), 3))
        slowest["rss_growth_mb"] = max(slowest["rss_growth_mb"], round(grown, 1))
        if kind in ("crash", "hang") or seconds > 0.1 + 2 * size_mb or grown > BUDGET_MB:
            over.append({"index": index, "family": family, "chars": chars, "outcome": outcome,
                         "cpu_seconds": round(seconds, 3), "rss_growth_mb": round(grown, 1)})
            print(json.dumps(over[-1]), flush=True)
        if progress and done % progress == 0:
            print(f"{done} cases, {time.monotonic() - started:.0f} s, {dict(counts)}", file=sys.stderr, flush=True)

    exhausted = False
    while True:
        for slot in slots:
            if slot.case is None and not exhausted:
                item = next(pages, None)
                if item is None:
                    exhausted = True
                else:
                    slot.send(*item)
        busy = [slot for slot in slots if slot.case is not None]
        if not busy:
            break
        ready = wait([slot.conn for slot in busy], timeout=0.5)
        for i, slot in enumerate(slots):
            if slot.case is None:
                continue
            outcome = None
            if slot.conn in ready:
                try:
                    _, outcome, seconds, grown = slot.conn.recv()
                    record(slot, outcome, seconds, grown)
                    continue
                except EOFError:  # the worker died (killed by the kernel, a crash in C)
                    outcome = f"crash: worker died with exit code {slot.process.exitcode}"
            elif time.monotonic() - slot.sent_at > timeout:  # a hang
                outcome = "hang"
            if outcome is not None:  # the worker is replaced
                slot.stop(kill=True)
                case = slot.case
                slots[i] = _Slot(ctx, limit_mb)
                slots[i].case = case
                record(slots[i], outcome, timeout if outcome == "hang" else 0.0, 0.0)
    for slot in slots:
        slot.stop()
    return {"seed": seed, "cases": cases, "max_chars": max_chars, "workers": workers, "only": sorted(families),
            "wall_seconds": round(time.monotonic() - started), "outcomes": dict(counts),
            "families": dict(by_family), "worst": slowest, "over_budget": over}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--max-chars", type=int, default=300_000)
    parser.add_argument("--timeout", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--progress", type=int, default=0, help="print counts to stderr every N cases")
    parser.add_argument("--family", action="append", default=[], help="only this family (repeatable)")
    parser.add_argument("--as-limit-mb", type=int, default=AS_LIMIT_MB, help="address space per worker (0: none)")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    report = run(args.seed, args.cases, args.max_chars, args.timeout, args.workers, args.progress,
                 args.as_limit_mb, frozenset(args.family))
    print(json.dumps({k: v for k, v in report.items() if k != "over_budget"}, indent=2))
    print(f"over budget: {len(report['over_budget'])}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
