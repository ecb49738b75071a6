"""Progress of long training steps: a bar on a terminal, log lines anywhere else.

A bar redrawn with carriage returns is noise in a log file or a CI job, and tqdm
stays silent when stderr is not a terminal, so ``storyfilter train > log 2>&1``
showed nothing for minutes. Off a terminal each step instead writes a line when it
starts, about every tenth of the way (at most one line every few seconds) and when
it ends, with the count and the time spent.
"""
from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
_MIN_SECONDS_BETWEEN_LINES = 5.0


def note(message: str) -> None:
    """One progress line on stderr (``storyfilter: ...``), flushed at once."""
    print(f"storyfilter: {message}", file=sys.stderr, flush=True)


def progress(items: Iterable[T], desc: str, unit: str, total: int | None = None, enabled: bool = True,
             ) -> Iterable[T]:
    """``items``, reporting how far the loop is: a tqdm bar on a terminal, else log lines."""
    if not enabled:
        return items
    if sys.stderr.isatty():
        from tqdm import tqdm

        return tqdm(items, desc=desc, unit=unit, total=total)
    return _logged(items, desc, unit, total if total is not None else _length(items))


def _length(items: Iterable) -> int | None:
    try:
        return len(items)  # type: ignore[arg-type]
    except TypeError:
        return None


def _logged(items: Iterable[T], desc: str, unit: str, total: int | None) -> Iterator[T]:
    started = last = time.monotonic()
    step = max(1, total // 10) if total else None
    note(f"{desc}: {total} {unit}s" if total is not None else f"{desc}: started")
    done = 0
    for item in items:
        yield item
        done += 1
        now = time.monotonic()
        if step and done % step == 0 and done < total and now - last >= _MIN_SECONDS_BETWEEN_LINES:
            note(f"{desc}: {done}/{total} {unit}s ({100 * done // total}%), {now - started:.0f} s")
            last = now
    of = f"/{total}" if total is not None else ""
    note(f"{desc}: done, {done}{of} {unit}s in {time.monotonic() - started:.1f} s")
