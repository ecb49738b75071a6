"""Pure ASGI middleware: the in-flight limit, the body size limit and request metrics.

The size limit counts bytes as they arrive instead of trusting Content-Length
(which a client may omit, with chunked encoding, or get wrong).
"""
from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send


async def _send_error(send: Send, status: int, code: str, message: str,
                      headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *(headers or [(b"connection", b"close")])]})
    await send({"type": "http.response.body", "body": body})


#: The status counted for a request whose client disconnected before any answer (nginx's
#: convention): not a server error, and not to be alerted on as one.
CLIENT_GONE = 499


class InFlightLimitMiddleware:
    """Answers 429 at once when ``limit`` scoring requests are already in this worker.

    Scoring is CPU-bound: past a few requests per core, more in flight only adds
    queueing delay and memory, so a worker sheds load early and the client (or a
    load balancer) retries after ``Retry-After`` instead of timing out. Only paths
    under ``prefixes`` count (scoring and review); health, metrics and model
    endpoints are never limited. The counter lives on the event
    loop (one thread), so it needs no lock.
    """

    def __init__(self, app: ASGIApp, limit: int, prefixes: tuple[str, ...],
                 on_reject: Callable[[], None] | None = None, report: Callable[[int], None] | None = None) -> None:
        self.app, self.limit, self.prefixes, self.on_reject = app, limit, prefixes, on_reject
        self.report = report or (lambda _: None)
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefixes):
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            if self.on_reject:
                self.on_reject()
            await _send_error(send, 429, "too_many_requests",
                              f"{self.limit} requests are being scored by this worker; retry shortly",
                              [(b"retry-after", b"1")])
            return
        self.in_flight += 1
        self.report(self.in_flight)
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
            self.report(self.in_flight)


async def _within(awaitable: Awaitable[Message], seconds: float) -> Message:
    """``await awaitable`` or raise ``TimeoutError``. On every chunk of every body, so
    ``asyncio.timeout`` (3.11+: a timer on the running task) rather than ``wait_for``
    (which wraps the receive in a task of its own on Python before 3.12)."""
    if hasattr(asyncio, "timeout"):
        async with asyncio.timeout(seconds):
            return await awaitable
    return await asyncio.wait_for(awaitable, seconds)  # pragma: no cover - Python 3.10


class BodyLimitMiddleware:
    """Reads the request body up to ``max_bytes``, answering 413 as soon as it is longer
    and 408 when the client stops sending for ``read_timeout`` seconds.

    The body is read here in full (the endpoints need all of it anyway) and replayed
    to the app, so no handler ever sees more than the limit.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, on_reject: Callable[[], None] | None = None,
                 read_timeout: float = 30.0) -> None:
        self.app, self.max_bytes, self.on_reject, self.read_timeout = app, max_bytes, on_reject, read_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            try:  # a client that stops sending holds a connection, never more than this
                message = await _within(receive(), self.read_timeout)
            except asyncio.TimeoutError:
                await _send_error(send, 408, "request_timeout",
                                  f"no part of the body arrived for {self.read_timeout:g} s")
                return
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._reject(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _reject(self, send: Send) -> None:
        if self.on_reject:
            self.on_reject()
        await _send_error(send, 413, "too_large", f"request body is over {self.max_bytes:,} bytes")


class MetricsMiddleware:
    """Counts every request by route template and status, and times it."""

    def __init__(self, app: ASGIApp, observe: Callable[[str, str, int, float], None],
                 known_paths: frozenset[str] = frozenset()) -> None:
        self.app, self.observe, self.known_paths = app, observe, known_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = CLIENT_GONE  # no answer started: the client left (an exception below makes it 500)

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        except BaseException:
            if status == CLIENT_GONE:
                status = 500
            raise
        finally:
            route = scope.get("route")
            # The route template, never the raw path: unknown paths must not grow the label set.
            endpoint = getattr(route, "path", None) or (
                scope["path"] if scope["path"] in self.known_paths else "unmatched")
            self.observe(endpoint, scope["method"], status, time.perf_counter() - start)
