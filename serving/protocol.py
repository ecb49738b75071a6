"""The HTTP protocol the service runs: uvicorn's, with ``TCP_NODELAY`` on every connection.

With more than one worker, uvicorn opens the listening socket itself and asyncio
then leaves Nagle's algorithm on for the connections it accepts, so a small answer
(a health check, an error) waits about 40 ms for the client's acknowledgement.
Setting ``TCP_NODELAY`` per connection makes one worker and many behave alike.

httptools (C, installed by the ``serve`` extra) parses HTTP several times faster
than the pure-Python h11; h11 stays the fallback where httptools is missing.
"""
from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol


def set_no_delay(transport: asyncio.BaseTransport) -> None:
    """Turn Nagle's algorithm off for a TCP transport (other sockets are left alone)."""
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6) and sock.type == socket.SOCK_STREAM:
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:  # the peer is already gone: nothing to speed up
            pass


class NoDelayH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, with ``TCP_NODELAY`` set as each connection opens."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        set_no_delay(transport)
        super().connection_made(transport)


try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # httptools not installed: h11 only
    HttpToolsProtocol = None  # type: ignore[assignment,misc]

if HttpToolsProtocol is not None:
    class NoDelayHttpToolsProtocol(HttpToolsProtocol):  # type: ignore[valid-type,misc]
        """uvicorn's httptools protocol, with ``TCP_NODELAY`` set as each connection opens."""

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            set_no_delay(transport)
            super().connection_made(transport)


def best_protocol() -> type:
    """httptools when installed, else h11; both with ``TCP_NODELAY``."""
    return NoDelayHttpToolsProtocol if HttpToolsProtocol is not None else NoDelayH11Protocol
