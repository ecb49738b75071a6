"""Slow and idle clients against a real ``storyfilter serve``: the connection cap and the keep-alive limit.

Each test starts its own server process; the only waits are polls with a deadline that
guards against a hang, never a measured duration.
"""
from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

import pytest

from extras import require

httpx = require("httpx")
require("uvicorn", "serve")

from service_process import running_server  # noqa: E402

REQUEST = b"GET /healthz HTTP/1.1\r\nHost: storyfilter\r\n\r\n"


def _connect(base: str) -> socket.socket:
    parts = urlsplit(base)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=60)  # 60 s: a hang guard
    return sock


def _read_response(sock: socket.socket) -> bytes:
    """One small HTTP response (headers and a short body) from a keep-alive connection."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        body += sock.recv(4096)
    return head


def _status_until(client: httpx.Client, path: str, wanted: int) -> list[int]:
    """GET ``path`` until it answers ``wanted``; every status seen, in order."""
    seen: list[int] = []
    give_up = time.monotonic() + 60  # a guard against a server that never frees the slot
    while not seen or seen[-1] != wanted:
        if time.monotonic() > give_up:
            pytest.fail(f"{path} never answered {wanted}: {seen[-10:]}")
        seen.append(client.get(path).status_code)
    return seen


def test_a_connection_past_the_cap_gets_503_until_one_closes(trained_model_dir, cli_env):
    args = ["--model", str(trained_model_dir), "--max-connections", "1", "--keep-alive", "60"]
    with running_server(args, cli_env) as (base, _):
        first = _connect(base)
        try:
            # The readiness probe's own connection may still be counted for a moment: ask until served.
            while True:
                first.sendall(REQUEST)
                head = _read_response(first)
                if head.startswith(b"HTTP/1.1 200"):
                    break
                first.close()
                first = _connect(base)
            with httpx.Client(base_url=base, timeout=60) as second:
                answer = second.get("/healthz")  # the first connection is open and idle: no room
                assert answer.status_code == 503
            first.close()  # the slot frees up...
            with httpx.Client(base_url=base, timeout=60) as third:
                seen = _status_until(third, "/healthz", 200)  # ...and a new client is served
                assert set(seen) <= {200, 503}
        finally:
            first.close()


def test_an_idle_keep_alive_connection_is_closed_by_the_server(trained_model_dir, cli_env):
    args = ["--model", str(trained_model_dir), "--keep-alive", "1"]
    with running_server(args, cli_env) as (base, _):
        sock = _connect(base)
        try:
            sock.sendall(REQUEST)
            assert _read_response(sock).startswith(b"HTTP/1.1 200")
            assert sock.recv(4096) == b""  # nothing more is sent: the server closed the idle connection
        finally:
            sock.close()


def test_connection_settings_are_validated(cli_env):
    import subprocess
    import sys

    from service_process import REPO

    for flag, value in (("--max-connections", "0"), ("--keep-alive", "0"), ("--keep-alive", "4000")):
        done = subprocess.run([sys.executable, "-m", "serving.cli", "serve", flag, value], cwd=REPO, env=cli_env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 2, (flag, value, done.stderr)
        assert flag in done.stderr
