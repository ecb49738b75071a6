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
        left.sendall(b"still works")
        assert right.recv(100) == b"still works"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        set_no_delay(_Transport(udp))  # UDP has no TCP_NODELAY either
        with pytest.raises(OSError):
            udp.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    assert set_no_delay(_Transport(None)) is None  # type: ignore[arg-type]


async def _answer(scope, receive, send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def _no_delay_seen_by_a_real_server(protocol: type, loop: str) -> list[int]:
    """TCP_NODELAY of the connections a running uvicorn server accepted on a listening
    socket it was handed (as every worker is when there are several)."""
    import threading
    import time

    import uvicorn

    listening = socket.create_server(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(_answer, http=protocol, loop=loop, lifespan="off", log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    try:
        give_up = time.monotonic() + 60  # a guard against a server that never starts, not a measurement
        while not server.started:
            assert thread.is_alive() and time.monotonic() < give_up, "the server did not start"
            time.sleep(0.01)
        with socket.create_connection(listening.getsockname()) as client:
            client.sendall(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
            assert client.recv(1000).startswith(b"HTTP/1.1 200")  # answered: the connection is open and known
            return [conn.transport.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
                    for conn in server.server_state.connections]
    finally:
        server.should_exit = True
        thread.join(timeout=60)
        listening.close()


def test_a_real_server_on_a_shared_socket_sets_no_delay_on_what_it_accepts():
    from uvicorn.protocols.http.h11_impl import H11Protocol

    from serving.protocol import NoDelayH11Protocol, best_protocol

    # asyncio leaves Nagle on for connections accepted on a socket handed to it: uvicorn's own protocol shows it
    assert _no_delay_seen_by_a_real_server(H11Protocol, "asyncio") == [0]
    assert _no_delay_seen_by_a_real_server(NoDelayH11Protocol, "asyncio") == [1]
    assert _no_delay_seen_by_a_real_server(best_protocol(), "asyncio") == [1]


def test_the_service_runs_httptools_with_no_delay_when_installed():
    require("httptools", "serve")
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    from serving.protocol import best_protocol

    chosen = best_protocol()
    assert issubclass(chosen, HttpToolsProtocol)
    assert chosen.connection_made is not HttpToolsProtocol.connection_made
