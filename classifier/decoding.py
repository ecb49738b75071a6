"""Bytes to text: byte-order mark, HTTP header, ``<meta charset>``, then detection.

Order follows the HTML standard's encoding sniffing: a BOM wins, then the
transport charset (HTTP ``Content-Type``), then a ``<meta>`` declaration in the
first bytes, then UTF-8 if the bytes are valid UTF-8, then charset-normalizer's
detection. Decoding never raises on bad bytes: undecodable bytes become U+FFFD.
"""
from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

from .errors import InputError

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.IGNORECASE
)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.IGNORECASE)
# WHATWG maps these labels to windows-1252; browsers decode them that way, so do we.
_WHATWG_ALIASES = {"iso-8859-1": "cp1252", "latin-1": "cp1252", "latin1": "cp1252",
                   "ascii": "cp1252", "us-ascii": "cp1252", "iso8859-1": "cp1252",
                   "x-user-defined": "cp1252", "utf-16": "utf-8", "utf-32": "utf-8"}
_SNIFF_BYTES = 4096
_DETECT_BYTES = 64 * 1024


def normalize_encoding(label: str | None) -> str | None:
    """Return a Python codec name for an encoding label, or None if it is unknown."""
    if not label:
        return None
    name = label.strip().lower()
    name = _WHATWG_ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def charset_from_headers(headers: dict[str, str] | None) -> str | None:
    """The charset parameter of a Content-Type header, if any (header names are case-insensitive)."""
    if not headers:
        return None
    for key, value in headers.items():
        if key.lower() == "content-type" and value:
            match = _HEADER_CHARSET.search(value)
            if match:
                return normalize_encoding(match.group(1))
    return None


def looks_binary(data: bytes) -> bool:
    """True for bytes that are clearly not text (NUL bytes, or mostly control bytes)."""
    head = data[:8192]
    if not head:
        return False
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return controls > len(head) * 0.05


def sniff_encoding(data: bytes, declared: str | None = None) -> str:
    """Pick the codec for ``data`` (see module docstring for the order)."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    declared = normalize_encoding(declared)
    if declared:
        return declared
    match = _META_CHARSET.search(data[:_SNIFF_BYTES])
    if match:
        meta = normalize_encoding(match.group(1).decode("ascii", "ignore"))
        if meta:
            return meta
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as err:
        # A page cut in the middle of a character is still UTF-8.
        if err.start >= len(data) - 3 and err.reason == "unexpected end of data":
            return "utf-8"
    best = from_bytes(data[:_DETECT_BYTES]).best()
    if best is not None and best.encoding:
        return normalize_encoding(best.encoding) or "cp1252"
    return "cp1252"


def decode_bytes(data: bytes | bytearray | memoryview, declared: str | None = None,
                 *, reject_binary: bool = True) -> tuple[str, str]:
    """Decode page bytes to text; returns ``(text, codec)``.

    ``declared`` is the transport charset (e.g. from HTTP headers). Binary input
    raises :class:`InputError` unless ``reject_binary`` is False.
    """
    data = bytes(data)
    if reject_binary and looks_binary(data):
        raise InputError("input looks binary (NUL or control bytes), not an HTML or text page")
    codec = sniff_encoding(data, declared)
    text = data.decode(codec, errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    return text, codec
