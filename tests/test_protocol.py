"""The service's HTTP protocol turns Nagle's algorithm off on real TCP connections."""
from __future__ import annotations

import socket

import pytest

from extras import require

require("uvicorn", "serve")
from serving.protocol import set_no_delay  # noqa: E402


class _Transport:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def get_extra_info(self, name: str):
        return self.sock if name == "socket" else None


def test_set_no_delay_on_an_accepted_tcp_connection():
    with socket.create_server(("127.0.0.1", 0)) as server:
        client = socket.create_connection(server.getsockname())
        accepted, _ = server.accept()
        with client, accepted:
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
            set_no_delay(_Transport(accepted))
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1


def test_other_sockets_are_left_alone():
    left, right = socket.socketpair()
    with left, right:
        set_no_delay(_Transport(left))  # a Unix socket has no TCP options: no error
    set_no_delay(_Transport(None))  # type: ignore[arg-type]


def test_the_service_runs_httptools_with_no_delay_when_installed():
    require("httptools", "serve")
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    from serving.protocol import best_protocol

    chosen = best_protocol()
    assert issubclass(chosen, HttpToolsProtocol)
    assert chosen.connection_made is not HttpToolsProtocol.connection_made
