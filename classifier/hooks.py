"""The scraper hook: one callable that turns a fetched page into a :class:`FilterResult`.

Any scraper (Scrapy, a requests/httpx loop, a crawler of your own) hands the hook what
it fetched — the body as bytes or str, the URL, the response headers — and gets the
story back. The same interface runs the model in this process (:class:`LocalHook`) or
asks a ``storyfilter serve`` scoring service (:class:`RemoteHook`), so a scraper can
move scoring off its machine by changing one argument::

    from classifier.hooks import make_hook
    hook = make_hook()                                        # the shipped model, in process
    hook = make_hook("path/to/model")                         # your model
    hook = make_hook(api_url="http://scorer:8000", api_key=KEY)  # the scoring service
    r = hook(resp.content, url=str(resp.url), headers=resp.headers)
    r.story_text

Other tools find :func:`make_hook` through the ``storyfilter.hooks`` entry-point group:
``importlib.metadata.entry_points(group="storyfilter.hooks")["storyfilter"].load()``.

Errors are the library's: a page that cannot be read raises :class:`InputError` in both
modes (the service's 400 ``bad_page`` becomes one), so a scraper handles one exception
type whichever way it scores; service trouble raises :class:`RemoteScoringError`.
"""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from .api import StoryFilter, detect_mode, load_model
from .arguments import check_threshold
from .decoding import charset_from_headers, check_encoding, decode_bytes
from .errors import InputError, StoryFilterError
from .result import FilterResult

Headers = Mapping[Any, Any]
MODES = ("auto", "html", "text")


class RemoteScoringError(StoryFilterError):
    """The scoring service could not score a page (unreachable, refused the key, failed)."""

    def __init__(self, message: str, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


@runtime_checkable
class PageHook(Protocol):
    """What every hook is: call it with a page, get the result."""

    def __call__(self, page: str | bytes, url: str | None = None, headers: Headers | None = None, *,
                 mode: str = "auto", threshold: float | None = None, encoding: str | None = None,
                 extracted: bool = False) -> FilterResult: ...


# ----- headers -------------------------------------------------------------------------------
def _header_text(value: Any) -> str | None:
    """A header value as str: Scrapy gives lists of bytes, requests/httpx give str."""
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("latin-1")
    return value if isinstance(value, str) else None


def content_type(headers: Headers | None) -> str | None:
    """The Content-Type header of any headers mapping (dict, Scrapy, requests, httpx), if present."""
    if not headers:
        return None
    for key, value in headers.items():
        name = key.decode("latin-1") if isinstance(key, (bytes, bytearray)) else key
        if isinstance(name, str) and name.lower() == "content-type":
            return _header_text(value)
    return None


def page_hints(headers: Headers | None) -> tuple[str | None, str | None]:
    """``(charset, mode)`` from the Content-Type: the transport charset, and ``text`` for
    ``text/plain``, ``html`` for HTML/XHTML, None (sniff) otherwise."""
    ctype = content_type(headers)
    if not ctype:
        return None, None
    charset = charset_from_headers({"content-type": ctype})
    media = ctype.split(";", 1)[0].strip().lower()
    mode = "text" if media == "text/plain" else "html" if media in ("text/html", "application/xhtml+xml") \
        else None
    return charset, mode


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")


# ----- in process ------------------------------------------------------------------------------
class LocalHook:
    """Scores pages with a model loaded in this process (loaded once, at construction)."""

    def __init__(self, model: str | Path | StoryFilter | None = None, threshold: float | None = None) -> None:
        self.model = model if isinstance(model, StoryFilter) else load_model(model)
        self.threshold = threshold

    def __call__(self, page: str | bytes, url: str | None = None, headers: Headers | None = None, *,
                 mode: str = "auto", threshold: float | None = None, encoding: str | None = None,
                 extracted: bool = False) -> FilterResult:
        _check_mode(mode)
        charset, header_mode = page_hints(headers)
        if mode == "auto" and header_mode:
            mode = header_mode
        return self.model.filter(page, mode=mode, url=url,
                                 threshold=threshold if threshold is not None else self.threshold,
                                 encoding=encoding or charset, extracted=extracted)

    def __repr__(self) -> str:
        names = ", ".join(f"{m.name} {m.version}" for m in self.model.models.values())
        return f"LocalHook({names})"


# ----- the scoring service -----------------------------------------------------------------
class RemoteHook:
    """Scores pages with a ``storyfilter serve`` service at ``api_url``.

    Bytes are decoded here (with the header charset), since the service takes JSON text; a
    binary page is refused here too, without a round trip. Each request has ``timeout``
    seconds; only failures that cannot have scored the page — no connection, 503
    ``not_ready`` or 429 ``too_many_requests`` (the service refused it before scoring) —
    are retried, ``retries`` times, after the service's ``Retry-After`` or a backoff.
    httpx is used when installed (pooled keep-alive connections), else urllib.
    """

    def __init__(self, api_url: str, api_key: str | None = None, threshold: float | None = None,
                 timeout: float = 30.0, retries: int = 2, backoff: float = 0.25,
                 transport: str = "auto") -> None:
        if not api_url or not api_url.startswith(("http://", "https://")):
            raise ValueError(f"api_url must be an http(s) URL, got {api_url!r}")
        self.api_url = api_url.rstrip("/")
        self.api_key = api_key
        self.threshold = threshold
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self._client = _make_transport(transport, timeout)

    def _headers(self) -> dict[str, str]:
        headers = {"content-type": "application/json", "accept": "application/json"}
        if self.api_key:
            headers["x-api-key"] = self.api_key
        return headers

    def request(self, method: str, path: str, body: dict | None = None) -> dict:
        """One JSON call with the retry policy; returns the decoded JSON answer."""
        url = self.api_url + path
        data = _json_bytes(body) if body is not None else None
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                status, payload, retry_after = self._client(method, url, data, self._headers())
            except ConnectionError as err:
                if last:
                    raise RemoteScoringError(f"scoring service {self.api_url} unreachable after "
                                             f"{self.retries + 1} attempts: {err}") from None
                time.sleep(self.backoff * 2 ** attempt)
                continue
            except TimeoutError:
                raise RemoteScoringError(f"scoring service {self.api_url} did not answer {path} within "
                                         f"{self.timeout:g} s") from None
            if _worth_retrying(status, payload) and not last:
                time.sleep(min(retry_after or self.backoff * 2 ** attempt, 5.0))
                continue
            return _answer(status, payload, url)
        raise AssertionError("unreachable")  # pragma: no cover

    def model_info(self) -> dict:
        """``GET /v1/model``: checks that the service answers and takes the key."""
        return self.request("GET", "/v1/model")

    def __call__(self, page: str | bytes, url: str | None = None, headers: Headers | None = None, *,
                 mode: str = "auto", threshold: float | None = None, encoding: str | None = None,
                 extracted: bool = False) -> FilterResult:
        _check_mode(mode)
        check_encoding(encoding)  # an unknown one is an error here too, as in process
        charset, header_mode = page_hints(headers)
        if isinstance(page, (bytes, bytearray, memoryview)):
            page, _ = decode_bytes(page, encoding or charset)
        elif not isinstance(page, str):
            raise InputError(f"a page must be str or bytes, not {type(page).__name__}")
        if mode == "auto":
            mode = header_mode or detect_mode(page)
        body: dict[str, Any] = {mode: page, "include_blocks": True}
        if url:
            body["url"] = url
        cut = threshold if threshold is not None else self.threshold
        if cut is not None:
            body["threshold"] = cut
        if extracted and mode == "text":
            body["extracted"] = True
        return FilterResult.from_dict(self.request("POST", "/v1/score", body), cut)

    def __repr__(self) -> str:
        return f"RemoteHook({self.api_url!r})"


def _json_bytes(body: dict) -> bytes:
    """UTF-8 JSON; lone surrogates (from ``surrogateescape`` decoding) go as JSON escapes."""
    try:
        return json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(body).encode("ascii")


def _worth_retrying(status: int, payload: bytes) -> bool:
    """429 (the worker is full) and 503 ``not_ready`` (a worker still loading) pass soon; a 503
    ``time_budget_exceeded`` would only spend the same server time again."""
    if status == 429:
        return True
    if status != 503:
        return False
    try:
        error = json.loads(payload).get("error") or {}
    except (ValueError, AttributeError):
        return True  # a proxy's 503 page: the service behind it may be back soon
    return error.get("code") != "time_budget_exceeded"


def _answer(status: int, payload: bytes, url: str) -> dict:
    """The JSON body of a 2xx answer; an error answer raised as the matching exception."""
    try:
        body = json.loads(payload) if payload else {}
    except ValueError:
        body = None
    if 200 <= status < 300 and isinstance(body, dict):
        return body
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    if status == 400 and code == "bad_page":
        raise InputError(message or "the service could not read the page")
    if status == 401:
        raise RemoteScoringError(f"{url}: the scoring service refused the API key (set STORYFILTER_API_KEY "
                                 "/ api_key to the service's key)", status, code)
    detail = message or (payload[:200].decode("utf-8", "replace") if payload else "no body")
    raise RemoteScoringError(f"{url}: HTTP {status} {code or ''}: {detail}".replace("  ", " "), status, code)


# ----- HTTP transports: (method, url, body, headers) -> (status, body, retry_after) -----------------
def _make_transport(kind: str, timeout: float):
    if kind not in ("auto", "httpx", "urllib"):
        raise ValueError(f"transport must be auto, httpx or urllib, got {kind!r}")
    if kind in ("auto", "httpx"):
        try:
            import httpx
        except ImportError:
            if kind == "httpx":
                raise
        else:
            return _HttpxTransport(httpx, timeout)
    return _UrllibTransport(timeout)


def _retry_after(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


class _HttpxTransport:
    """httpx with one pooled client (thread-safe), so keep-alive saves a connection per page."""

    def __init__(self, httpx: Any, timeout: float) -> None:
        self._httpx = httpx
        self._client = httpx.Client(timeout=timeout)

    def __call__(self, method: str, url: str, data: bytes | None, headers: dict[str, str]):
        httpx = self._httpx
        try:
            r = self._client.request(method, url, content=data, headers=headers)
        except (httpx.ConnectError, httpx.ConnectTimeout) as err:  # nothing was sent: safe to retry
            raise ConnectionError(str(err)) from None
        except httpx.TimeoutException as err:
            raise TimeoutError(str(err)) from None
        except httpx.TransportError as err:  # reset mid-answer, protocol error: not retried
            raise RemoteScoringError(f"{url}: {type(err).__name__}: {err}") from None
        return r.status_code, r.content, _retry_after(r.headers.get("retry-after"))


class _UrllibTransport:
    """The standard library's client: no extra install, one connection per request."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout

    def __call__(self, method: str, url: str, data: bytes | None, headers: dict[str, str]):
        req = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return resp.status, resp.read(), None
        except urllib.error.HTTPError as err:
            return err.code, err.read(), _retry_after(err.headers.get("retry-after"))
        except urllib.error.URLError as err:
            if isinstance(err.reason, TimeoutError):
                raise TimeoutError(str(err.reason)) from None
            if isinstance(err.reason, OSError):
                raise ConnectionError(str(err.reason)) from None
            raise RemoteScoringError(f"{url}: {err.reason}") from None


# ----- the factory (the ``storyfilter.hooks`` entry point) --------------------------------------
def make_hook(model: str | Path | StoryFilter | None = None, *, api_url: str | None = None, api_key: str | None = None,
              threshold: float | None = None, timeout: float = 30.0, retries: int = 2) -> PageHook:
    """A hook scoring in process (``model``: a model directory, a loaded ``StoryFilter``, or
    None for the shipped model) or, with ``api_url``, through the scoring service.

    Loading happens here, once, so a bad model path fails now with :class:`ModelError`
    rather than on the first page.
    """
    if threshold is not None:
        threshold = check_threshold(threshold)
    if api_url:
        if model is not None:
            raise ValueError("give a model or an api_url, not both")
        return RemoteHook(api_url, api_key=api_key, threshold=threshold, timeout=timeout, retries=retries)
    return LocalHook(model, threshold=threshold)
