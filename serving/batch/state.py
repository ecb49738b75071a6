"""Resume state of a batch run: which inputs are done, kept beside the output.

While a run for ``OUT`` is going, its work lives in the folder ``OUT.parts/``:

* ``options.json`` -- what the rows depend on (mode, threshold, model, blocks, format);
  a re-run with other options is refused rather than mixing rows of two settings;
* ``part-<hash of the input path>.<ext>`` -- the rows of one input, committed atomically;
* ``done.jsonl`` -- one line per completed input: path, size, mtime, part, counts;
  appended (and fsynced) only after that input's part is committed.

An input is done when ``done.jsonl`` lists it with the same size and mtime and its
part exists; anything else (never started, interrupted, changed since) is redone from
scratch, overwriting its part. Rows are therefore never lost nor duplicated. When every
input is done, the parts are merged into ``OUT`` (atomically) and the folder removed.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .sources import InputFile


class StateError(ValueError):
    """The output or its resume state does not fit this run; the message says what to do."""


@dataclass
class InputDone:
    """What one completed input produced."""

    path: str
    size: int
    mtime_ns: int
    part: str
    pages: int = 0
    errors: int = 0
    skipped: int = 0
    kept_blocks: int = 0


class RunState:
    """The ``OUT.parts/`` folder of one output."""

    def __init__(self, output: Path, options: dict[str, Any], ext: str) -> None:
        self.output = output
        self.folder = output.with_name(output.name + ".parts")
        self.options = options
        self.ext = ext
        self.done: dict[str, InputDone] = {}

    def open(self, overwrite: bool) -> None:
        """Start or resume; refuse a finished output or other options unless ``overwrite``."""
        if overwrite and self.folder.exists():
            shutil.rmtree(self.folder)
        if self.output.exists() and not self.folder.exists() and not overwrite:
            raise StateError(f"{self.output} exists (a finished run); pass --overwrite to redo it, "
                             "or choose another output")
        options_file = self.folder / "options.json"
        if options_file.exists():
            earlier = json.loads(options_file.read_text(encoding="utf-8"))
            if earlier != self.options:
                changed = sorted(k for k in set(earlier) | set(self.options) if earlier.get(k) != self.options.get(k))
                raise StateError(f"{self.folder} holds a run with other options ({', '.join(changed)}); "
                                 "re-run with the same options to resume, or pass --overwrite to start again")
        else:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = options_file.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.options, sort_keys=True), encoding="utf-8")
            os.replace(tmp, options_file)
        self._load_done()

    def _load_done(self) -> None:
        path = self.folder / "done.jsonl"
        if not path.exists():
            return
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                item = InputDone(**json.loads(line))
            except (ValueError, TypeError):
                continue  # a line cut short by a crash: that input is simply redone
            self.done[item.path] = item

    def part_path(self, item: InputFile) -> Path:
        digest = hashlib.sha1(item.key.encode("utf-8", "surrogateescape")).hexdigest()[:16]
        return self.folder / f"part-{digest}{self.ext}"

    def is_done(self, item: InputFile) -> bool:
        done = self.done.get(item.key)
        return (done is not None and done.size == item.size and done.mtime_ns == item.mtime_ns
                and (self.folder / done.part).exists())

    def mark_done(self, record: InputDone) -> None:
        """Append the input to ``done.jsonl`` once its part is committed."""
        with (self.folder / "done.jsonl").open("a", encoding="utf-8") as f:
            f.write(json.dumps(asdict(record)) + "\n")
            f.flush()
            os.fsync(f.fileno())
        self.done[record.path] = record

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
