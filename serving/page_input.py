"""What ``storyfilter extract`` reads: a file, standard input (``-``) or an ``http(s)://`` URL.

Gzip is recognised by its magic bytes, not by a file name, and decompressed with a
cap, so a small bomb cannot fill memory. A URL is fetched with httpx: redirects
followed (at most :data:`MAX_REDIRECTS`), a connect and read timeout plus a deadline
for the whole download (a server that drips bytes is cut off), a size cap, and one
clear :class:`InputError` per failure. The final URL, after redirects, is the
page's ``url``; the ``Content-Type`` charset is its transport encoding.
"""
from __future__ import annotations

import sys
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

from classifier import __version__
from classifier.decoding import charset_from_headers
from classifier.errors import InputError, LimitError

MAX_INPUT_BYTES = 64 * 1024 * 1024
MAX_REDIRECTS = 5
FETCH_TIMEOUT = 20.0  # seconds for the whole download; connect and each read get this too
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class PageInput:
    """A page's bytes (decompressed), the URL it was fetched from and its transport charset."""

    data: bytes
    url: str | None = None
    charset: str | None = None


def is_url(source: str) -> bool:
    return source.lower().startswith(("http://", "https://"))


def read_page(source: str, max_bytes: int = MAX_INPUT_BYTES, timeout: float = FETCH_TIMEOUT) -> PageInput:
    """Read ``source`` (a path, ``-`` or an http(s) URL); InputError naming what went wrong."""
    if is_url(source):
        page = fetch(source, max_bytes, timeout)
    elif source == "-":
        page = PageInput(sys.stdin.buffer.read(max_bytes + 1))
    else:
        page = PageInput(_read_file(Path(source), max_bytes))
    if page.data.startswith(_GZIP_MAGIC):
        page = PageInput(gunzip(page.data, max_bytes), page.url, page.charset)
    return page


def _read_file(path: Path, max_bytes: int) -> bytes:
    if path.is_dir():
        raise InputError(f"{path}: is a directory (give a file, a URL, or - for standard input)")
    try:
        with path.open("rb") as handle:
            return handle.read(max_bytes + 1)
    except OSError as err:
        raise InputError(f"{path}: {err.strerror or err}") from None


def gunzip(data: bytes, max_bytes: int) -> bytes:
    """Decompress gzip data (every member), refusing more than ``max_bytes`` of output."""
    out = bytearray()
    rest = data
    try:
        while rest.startswith(_GZIP_MAGIC):
            member = zlib.decompressobj(16 + zlib.MAX_WBITS)
            out += member.decompress(rest, max_bytes + 1 - len(out))
            if len(out) > max_bytes or member.unconsumed_tail:
                raise LimitError(f"gzip data decompresses to over {max_bytes:,} bytes")
            if not member.eof:
                raise InputError("gzip data is cut short (truncated file?)")
            rest = member.unused_data
    except zlib.error as err:
        raise InputError(f"corrupt gzip data ({err})") from None
    return bytes(out)


def fetch(url: str, max_bytes: int = MAX_INPUT_BYTES, timeout: float = FETCH_TIMEOUT) -> PageInput:
    """GET ``url`` and return the body; InputError for a bad URL, no connection, a timeout, too many
    redirects, an HTTP error status or a body over ``max_bytes``."""
    try:
        import httpx
    except ImportError:  # pragma: no cover - httpx is a dependency
        raise InputError("fetching a URL needs httpx: pip install httpx") from None
    deadline = time.monotonic() + timeout
    headers = {"User-Agent": f"storyfilter/{__version__}", "Accept": "text/html,text/plain;q=0.9,*/*;q=0.5"}
    try:
        with httpx.Client(follow_redirects=True, max_redirects=MAX_REDIRECTS, timeout=timeout,
                          headers=headers) as client, client.stream("GET", url) as response:
            if response.status_code >= 400:
                raise InputError(f"{url}: HTTP {response.status_code} {response.reason_phrase}".rstrip())
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise LimitError(f"{url}: the page is {int(declared):,} bytes; the limit is {max_bytes:,}")
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    raise LimitError(f"{url}: the page is over {max_bytes:,} bytes (the limit)")
                if time.monotonic() > deadline:
                    raise InputError(f"{url}: timed out after {timeout:g} s (the download took too long)")
            return PageInput(bytes(body), str(response.url), charset_from_headers(dict(response.headers)))
    except httpx.TooManyRedirects:
        raise InputError(f"{url}: more than {MAX_REDIRECTS} redirects") from None
    except httpx.TimeoutException:
        raise InputError(f"{url}: timed out after {timeout:g} s") from None
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as err:
        raise InputError(f"{url}: not a URL storyfilter can fetch ({err})") from None
    except httpx.ConnectError as err:
        raise InputError(f"{url}: cannot connect ({err})") from None
    except httpx.HTTPError as err:
        raise InputError(f"{url}: {type(err).__name__} ({err})") from None
