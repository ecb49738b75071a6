"""Batch outputs: JSONL and Parquet files written to a temporary name and renamed when complete.

A file under its final name is always complete: rows go to ``NAME.tmp-PID`` first,
which is flushed, fsynced and renamed over ``NAME`` only on :meth:`PartWriter.commit`.
A crash leaves at most a ``.tmp-*`` file, never a truncated file under the real name.

One row per page: ``id``, ``url``, ``source`` (the input file), ``mode``, ``model``
(``{name, version}``), ``story_text``, ``metadata`` (title, author, date...: the JSON
result's), ``blocks`` (only with ``include_blocks``), ``markdown`` (only with ``markdown``) and ``error`` (null unless the page
could not be read or scored; then ``story_text`` and ``metadata`` are null).
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from classifier.decoding import utf8_safe
from classifier.metadata import FIELDS as METADATA_FIELDS

FORMATS = {".jsonl": "jsonl", ".parquet": "parquet"}
ROW_FIELDS = ("id", "url", "source", "mode", "model", "story_text", "metadata", "blocks", "error")


def format_of(path: Path) -> str:
    """``jsonl`` or ``parquet`` from the output's extension; ValueError otherwise."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"{path}: the output must end in .jsonl or .parquet")
    return fmt


def parquet_schema(include_blocks: bool, markdown: bool = False):
    """The Arrow schema of a result row (``blocks`` and ``markdown`` only when asked for)."""
    import pyarrow as pa

    block = pa.struct([("index", pa.int32()), ("text", pa.string()), ("label", pa.string()),
                       ("score", pa.float64()), ("kind", pa.string()), ("path", pa.string())])
    fields = [("id", pa.string()), ("url", pa.string()), ("source", pa.string()), ("mode", pa.string()),
              ("model", pa.struct([("name", pa.string()), ("version", pa.string())])),
              ("story_text", pa.string()),
              ("metadata", pa.struct([(name, pa.float64() if name == "page_type_probability" else pa.string())
                                      for name in METADATA_FIELDS]))]
    if include_blocks:
        fields.append(("blocks", pa.list_(block)))
    if markdown:
        fields.append(("markdown", pa.string()))
    fields.append(("error", pa.string()))
    return pa.schema(fields)


def _sync_rename(tmp: Path, final: Path) -> None:
    os.replace(tmp, final)
    try:
        fd = os.open(final.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class PartWriter:
    """Rows of one output file, appended in chunks, visible under ``path`` only once committed."""

    def __init__(self, path: Path, fmt: str, include_blocks: bool, markdown: bool = False) -> None:
        self.path = path
        self.fmt = fmt
        self.tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
        self.rows = 0
        if fmt == "jsonl":
            self._handle = self.tmp.open("w", encoding="utf-8")
            self._writer = None
        else:
            import pyarrow.parquet as pq

            self._schema = parquet_schema(include_blocks, markdown)
            self._handle = None
            self._writer = pq.ParquetWriter(str(self.tmp), self._schema, compression="zstd")

    def write(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        rows = [_utf8_row(r) for r in rows]  # one odd page or file name must not stop the run
        if self._handle is not None:
            self._handle.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
        else:
            import pyarrow as pa

            self._writer.write_table(pa.Table.from_pylist(rows, schema=self._schema))
        self.rows += len(rows)

    def commit(self) -> Path:
        """Flush, fsync and move the file under its final name."""
        if self._handle is not None:
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._handle.close()
        else:
            self._writer.close()
            with self.tmp.open("rb") as f:
                os.fsync(f.fileno())
        _sync_rename(self.tmp, self.path)
        return self.path

    def abort(self) -> None:
        """Drop the unfinished file."""
        try:
            if self._handle is not None:
                self._handle.close()
            else:
                self._writer.close()
        except Exception:  # noqa: BLE001 -- closing a half-written file on the way out
            pass
        self.tmp.unlink(missing_ok=True)


def merge_parts(parts: Iterable[Path], output: Path, fmt: str, include_blocks: bool, markdown: bool = False) -> int:
    """Concatenate committed parts, in order, into ``output`` (atomically); returns the rows.

    Streams: JSONL is copied byte for byte, Parquet row group by row group.
    """
    tmp = output.with_name(f"{output.name}.tmp-{os.getpid()}")
    rows = 0
    try:
        if fmt == "jsonl":
            with tmp.open("wb") as out:
                for part in parts:
                    with part.open("rb") as src:
                        while chunk := src.read(1 << 20):
                            out.write(chunk)
                            rows += chunk.count(b"\n")
                out.flush()
                os.fsync(out.fileno())
        else:
            import pyarrow.parquet as pq

            schema = parquet_schema(include_blocks, markdown)
            with pq.ParquetWriter(str(tmp), schema, compression="zstd") as writer:
                for part in parts:
                    src = pq.ParquetFile(str(part))
                    for i in range(src.num_row_groups):
                        table = src.read_row_group(i)
                        writer.write_table(table)
                        rows += table.num_rows
        _sync_rename(tmp, output)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return rows


def _utf8_row(value: Any) -> Any:
    """``value`` with every string made writable as UTF-8 (see :func:`utf8_safe`)."""
    if isinstance(value, str):
        return utf8_safe(value)
    if isinstance(value, dict):
        return {k: _utf8_row(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_utf8_row(v) for v in value]
    return value
