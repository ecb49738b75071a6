"""Seeded hostile pages through the segmenter, each timed and measured in a worker process.

    PYTHONPATH=.:tests python bench/fuzz.py [--seed 15] [--cases 1000] [--max-chars 300000]
                                            [--timeout 20] [--json OUT]

A worker process segments one page at a time (HTML and text mode) and reports its
seconds and its peak RSS above what it held before the page (the peak is reset per page,
Linux's clear_refs); the parent kills a worker that passes
``--timeout`` (a hang) and starts a new one. A case is over budget when it takes more
than 0.1 s + 2 s per MB or grows the worker's peak RSS by more than 300 MB. Printed:
counts by outcome and family, and every case over budget with its family and seed index.
The pages come from tests/hostile_pages.py.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from hostile_pages import hostile_pages  # noqa: E402

BUDGET_MB = 300


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


def _worker(jobs: mp.Queue, results: mp.Queue) -> None:
    from classifier import InputError, StoryFilter

    sf = StoryFilter({"html": object()})  # type: ignore[dict-item]  # segmenting needs no model
    while True:
        job = jobs.get()
        if job is None:
            return
        index, page = job
        _reset_peak()
        before = _peak_mb()
        start = time.perf_counter()
        outcome = "ok"
        try:
            for mode in ("html", "text"):
                try:
                    sf.blocks(page, mode)
                except InputError as err:
                    outcome = type(err).__name__
        except Exception as err:  # a crash: anything but the documented errors
            outcome = f"crash: {type(err).__name__}: {err}"[:200]
        seconds = time.perf_counter() - start
        results.put((index, outcome, seconds, _peak_mb() - before))


def run(seed: int, cases: int, max_chars: int, timeout: float) -> dict:
    ctx = mp.get_context("spawn")
    counts: Counter = Counter()
    by_family: Counter = Counter()
    over: list[dict] = []
    worker = jobs = results = None
    pages = hostile_pages(seed, cases, max_chars)
    for index, (family, page) in enumerate(pages):
        if worker is None:
            jobs, results = ctx.Queue(), ctx.Queue()
            worker = ctx.Process(target=_worker, args=(jobs, results), daemon=True)
            worker.start()
        jobs.put((index, page))
        size_mb = len(page) / 1e6
        try:
            _, outcome, seconds, grown = results.get(timeout=timeout)
        except Exception:  # queue.Empty: the worker hangs
            worker.kill()
            worker = None
            outcome, seconds, grown = "hang", timeout, 0.0
        kind = "crash" if outcome.startswith("crash") else outcome
        counts[kind] += 1
        by_family[family] += 1
        if kind in ("crash", "hang") or seconds > 0.1 + 2 * size_mb or grown > BUDGET_MB:
            over.append({"index": index, "family": family, "chars": len(page), "outcome": outcome,
                         "seconds": round(seconds, 3), "rss_growth_mb": round(grown, 1)})
            print(json.dumps(over[-1]), flush=True)
    if worker is not None:
        jobs.put(None)
        worker.join(5)
    return {"seed": seed, "cases": cases, "max_chars": max_chars, "outcomes": dict(counts),
            "families": dict(by_family), "over_budget": over}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--max-chars", type=int, default=300_000)
    parser.add_argument("--timeout", type=float, default=20.0)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    report = run(args.seed, args.cases, args.max_chars, args.timeout)
    print(json.dumps({k: v for k, v in report.items() if k != "over_budget"}, indent=2))
    print(f"over budget: {len(report['over_budget'])}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
