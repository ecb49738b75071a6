"""Batch inputs: find the input files, and stream the pages out of each one.

Kinds, told by the file name: ``*.html``/``*.htm`` (optionally ``.gz``) hold one HTML
page, ``*.txt`` (optionally ``.gz``) one text page, ``*.jsonl``/``*.ndjson`` (optionally
``.gz``) one page a line (``{"id"?, "html"|"text", "url"?, "encoding"?}``) and
``*.warc``/``*.warc.gz`` many HTTP responses, of which only successful HTML responses
are pages (charset from the HTTP ``Content-Type``).

Everything streams: a JSONL or WARC file is read a line or a record at a time. A
broken piece of input never stops the run: it becomes a :class:`Page` carrying an
``error`` (written as a row, so it is counted and visible), and reading goes on with
the next good piece where that is possible (the next JSONL line, the next WARC gzip
member or record). Records that are not pages (requests, metadata, images, redirects)
are :class:`Skip` items: counted, not written.
"""
from __future__ import annotations

import gzip
import json
import os
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from classifier.decoding import charset_from_headers, normalize_encoding

# A single page file is read up to this many bytes (the model refuses pages over its own,
# smaller, limit); a gzip bomb cannot take more memory than this.
MAX_READ_BYTES = 64 * 1024 * 1024
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_GZIP_ERRORS = (OSError, EOFError, zlib.error)  # gzip.BadGzipFile is an OSError

_SUFFIXES = {  # the last suffix before an optional .gz
    ".html": "html", ".htm": "html", ".xhtml": "html",
    ".txt": "text",
    ".jsonl": "jsonl", ".ndjson": "jsonl",
    ".warc": "warc",
}
KNOWN_EXTENSIONS = sorted({s + gz for s in _SUFFIXES for gz in ("", ".gz")})


class InputPathError(ValueError):
    """An input path that cannot be used (missing, unknown extension); the message is for the user."""


@dataclass(frozen=True, slots=True)
class Page:
    """One page to score, or the error that stood in for it.

    ``kind`` is ``html`` or ``text`` when the input says which (file extension, JSONL key,
    WARC Content-Type); ``encoding`` is the transport charset when the input gives one.
    """

    id: str
    source: str
    data: bytes | str | None
    url: str | None = None
    kind: str | None = None
    encoding: str | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Skip:
    """A record that is not a page (a request, an image, a redirect...), counted only."""

    reason: str


@dataclass(frozen=True, slots=True)
class InputFile:
    """One input file with what identifies its content for resuming (size and mtime)."""

    path: Path
    kind: str
    size: int
    mtime_ns: int

    @property
    def key(self) -> str:
        return str(self.path)


def kind_of(name: str) -> str | None:
    """The input kind for a file name (``html``, ``text``, ``jsonl``, ``warc``), or None."""
    lower = name.lower()
    if lower.endswith(".gz"):
        lower = lower[:-3]
    return _SUFFIXES.get(os.path.splitext(lower)[1])


def page_id(name: str) -> str:
    """A file's page id: its name without its extensions (``a.b.html.gz`` -> ``a.b``)."""
    base = name[:-3] if name.lower().endswith(".gz") else name
    stem, ext = os.path.splitext(base)
    return stem if ext.lower() in _SUFFIXES else base


def discover(inputs: Iterable[str | Path]) -> list[InputFile]:
    """The input files, in the order given (folders walked recursively, sorted by path).

    A missing path, or a file named directly whose extension is not known, raises
    :class:`InputPathError`; inside folders, files of unknown kinds are left out.
    """
    found: dict[str, InputFile] = {}
    for raw in inputs:
        path = Path(raw)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and kind_of(p.name))
        elif path.is_file():
            if kind_of(path.name) is None:
                raise InputPathError(f"{path}: unknown kind of input (known: {', '.join(KNOWN_EXTENSIONS)})")
            files = [path]
        else:
            raise InputPathError(f"{path}: no such file or folder")
        for f in files:
            st = f.stat()
            # Deduplicated by the file it resolves to, read under the name it was given: a
            # symlink's name (not its target's, e.g. a content hash) says the kind and the id.
            found.setdefault(str(f.resolve()), InputFile(f.absolute(), kind_of(f.name) or "", st.st_size,
                                                         st.st_mtime_ns))
    if not found:
        raise InputPathError(f"no input files in {', '.join(map(str, inputs))} "
                             f"(looked for {', '.join(KNOWN_EXTENSIONS)})")
    return list(found.values())


def _describe(err: BaseException) -> str:
    text = str(err) or type(err).__name__
    return text if not isinstance(err, OSError) or not err.strerror else err.strerror


# ----- single-page files ------------------------------------------------------------------
def iter_file_page(stream: BinaryIO, name: str, source: str, kind: str) -> Iterator[Page]:
    """The one page of an ``.html``/``.txt`` file (gunzipped when the name ends in ``.gz``)."""
    pid = page_id(name)
    try:
        if name.lower().endswith(".gz"):
            with gzip.GzipFile(fileobj=stream) as gz:
                data = gz.read(MAX_READ_BYTES + 1)
        else:
            data = stream.read(MAX_READ_BYTES + 1)
    except _GZIP_ERRORS as err:
        yield Page(pid, source, None, kind=kind,
                   error=f"cannot read {name}: truncated or corrupt gzip ({_describe(err)})")
        return
    yield Page(pid, source, data, kind=kind)


# ----- JSONL pages -------------------------------------------------------------------------
def _jsonl_page(raw: bytes, number: int, prefix: str, source: str) -> Page:
    fallback = f"{prefix}:{number}"
    try:
        row = json.loads(raw.decode("utf-8-sig" if number == 1 else "utf-8"))
    except UnicodeDecodeError as err:
        return Page(fallback, source, None, error=f"line {number}: not UTF-8 ({err.reason})")
    except json.JSONDecodeError as err:
        return Page(fallback, source, None, error=f"line {number}: not valid JSON ({err.msg})")
    if not isinstance(row, dict):
        return Page(fallback, source, None, error=f"line {number}: expected a JSON object")
    rid = row.get("id")
    pid = fallback if rid is None or rid == "" else str(rid)
    url = row.get("url") if isinstance(row.get("url"), str) else None
    html, text = row.get("html"), row.get("text")
    if isinstance(html, str):
        data, kind = html, "html"
    elif isinstance(text, str):
        data, kind = text, "text"
    else:
        return Page(pid, source, None, url=url, error=f'line {number}: no "html" or "text" string')
    return Page(pid, source, data, url=url, kind=kind, encoding=normalize_encoding(row.get("encoding")))


def iter_jsonl_pages(stream: BinaryIO, name: str, source: str) -> Iterator[Page]:
    """One page per non-blank line; a bad line is an error row and reading goes on.

    A truncated or corrupt ``.gz`` ends the file with one error row after the last good line.
    """
    prefix = page_id(name)
    handle: BinaryIO = gzip.GzipFile(fileobj=stream) if name.lower().endswith(".gz") else stream
    number = 0
    try:
        while raw := handle.readline(MAX_READ_BYTES + 1):
            number += 1
            if len(raw) > MAX_READ_BYTES and not raw.endswith(b"\n"):
                while (rest := handle.readline(MAX_READ_BYTES)) and not rest.endswith(b"\n"):
                    pass  # skip the rest of an over-long line without holding it
                yield Page(f"{prefix}:{number}", source, None,
                           error=f"line {number}: longer than {MAX_READ_BYTES:,} bytes")
            elif raw.strip():
                yield _jsonl_page(raw, number, prefix, source)
    except _GZIP_ERRORS as err:
        yield Page(f"{prefix}:{number + 1}", source, None,
                   error=f"cannot read past line {number}: truncated or corrupt gzip ({_describe(err)})")


# ----- WARC --------------------------------------------------------------------------------
def _warc_record(record, source: str) -> Page | Skip:
    """A page from a WARC response record, or why it is not one."""
    uri = record.headers.get("WARC-Target-URI") or record.record_id or ""
    http = record.http_headers
    if http is None:
        return Skip("response without HTTP headers")
    status = http.status_code or 0
    if not 200 <= status < 300:
        return Skip(f"HTTP status {status}")
    content_type = http.get("Content-Type") or ""
    media = content_type.split(";", 1)[0].strip().lower()
    if media and media not in HTML_TYPES:
        return Skip(f"not HTML ({media})")
    return Page(uri, source, record.reader.read(MAX_READ_BYTES + 1), url=uri or None, kind="html",
                encoding=charset_from_headers({"content-type": content_type}))


def _next_start(stream: BinaryIO, after: int, compressed: bool) -> int | None:
    """Offset of the next gzip member (or uncompressed ``WARC/`` header) after ``after``."""
    magic = b"\x1f\x8b\x08" if compressed else b"\nWARC/1."
    shift = 0 if compressed else 1
    pos = after + 1
    stream.seek(pos)
    tail = b""
    while True:
        chunk = stream.read(1 << 20)
        if not chunk:
            return None
        buf = tail + chunk
        hit = buf.find(magic)
        if hit >= 0:
            return pos - len(tail) + hit + shift
        tail = buf[-(len(magic) - 1):]
        pos += len(chunk)


def _gzip_tail_truncated(stream: BinaryIO, start: int) -> bool:
    """True when the gzip members from ``start`` to the end do not all end properly.

    FastWARC drops a record cut short at the end of a file without a word; this reads the
    (short) rest of the file after the last response to tell a truncated file from a whole one.
    """
    stream.seek(start)
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    fed = False
    try:
        while chunk := stream.read(1 << 20):
            while chunk:
                fed = True
                inflater.decompress(chunk, 1 << 16)
                rest = inflater.unconsumed_tail
                if inflater.eof:
                    rest = inflater.unused_data + rest
                    inflater, fed = zlib.decompressobj(16 + zlib.MAX_WBITS), False
                chunk = rest
    except zlib.error:
        return True
    return fed and not inflater.eof


def _peek(stream: BinaryIO, size: int) -> bytes:
    """The first bytes of a seekable ``stream`` without consuming them."""
    pos = stream.tell()
    head = stream.read(size)
    stream.seek(pos)
    return head


def iter_warc_pages(stream: BinaryIO, name: str, source: str) -> Iterator[Page | Skip]:
    """HTML pages of a WARC file (FastWARC), resynchronising after a corrupt record.

    FastWARC stops at a corrupt gzip member or header; the stream is then searched for
    the next member (``.warc.gz``) or ``WARC/1.`` header (``.warc``) after the last good
    record and read on from there, so the good records after a bad one are kept. One
    error row marks each corrupt stretch. ``stream`` must be seekable (FastWARC needs it too).
    """
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    seekable = bool(getattr(stream, "seekable", lambda: False)())
    if not seekable:  # FastWARC seeks (it panics on a pipe); every source here is a file
        yield Page(page_id(name), source, None, error="a WARC must be read from a seekable file")
        return
    head = _peek(stream, 5)
    if head and not head.startswith((b"\x1f\x8b", b"WARC/", b"\x28\xb5\x2f\xfd")):
        yield Page(page_id(name), source, None, error=f"not a WARC file (it starts with {head!r})")
        return
    compressed = head.startswith(b"\x1f\x8b")
    start, reported = 0, False
    while True:
        last_good: int | None = None
        try:
            for record in ArchiveIterator(stream, record_types=WarcRecordType.response, parse_http=True,
                                          auto_decode="all"):
                last_good = record.stream_pos
                yield _warc_record(record, source)
            tail = start if last_good is None else last_good
            if compressed and _gzip_tail_truncated(stream, tail):
                yield Page(f"{page_id(name)}@{tail}", source, None,
                           error=f"truncated WARC: the file ends inside a gzip member after offset {tail}")
            return
        except BaseException as err:  # FastWARC raises OSError/ValueError, or a Rust panic, on bad data
            if isinstance(err, (KeyboardInterrupt, SystemExit, GeneratorExit, MemoryError)):
                raise
            where = start if last_good is None else last_good
            if not reported or last_good is not None:  # one error row per corrupt stretch
                yield Page(f"{page_id(name)}@{where}", source, None,
                           error=f"corrupt WARC data after offset {where}: {_describe(err)}")
                reported = True
            nxt = _next_start(stream, where, compressed)
            if nxt is None:
                return
            start = nxt  # always past ``where`` >= the previous start: the loop ends
            stream.seek(start)


# ----- dispatch -----------------------------------------------------------------------------
def iter_stream(stream: BinaryIO, name: str, source: str, kind: str | None = None) -> Iterator[Page | Skip]:
    """Pages of an already opened input (used locally and by the Spark job alike)."""
    kind = kind or kind_of(name)
    if kind == "warc":
        yield from iter_warc_pages(stream, name, source)
    elif kind == "jsonl":
        yield from iter_jsonl_pages(stream, name, source)
    elif kind in ("html", "text"):
        yield from iter_file_page(stream, name, source, kind)
    else:
        raise InputPathError(f"{name}: unknown kind of input (known: {', '.join(KNOWN_EXTENSIONS)})")


def iter_pages(item: InputFile) -> Iterator[Page | Skip]:
    """Pages of one local input file; a file that cannot be opened is one error row."""
    source = str(item.path)
    try:
        stream = item.path.open("rb")
    except OSError as err:
        yield Page(page_id(item.path.name), source, None, error=f"cannot open: {_describe(err)}")
        return
    with stream:
        yield from iter_stream(stream, item.path.name, source, item.kind)
