"""Start a real ``storyfilter serve`` process on a free loopback port, for the tests that need one."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def repo_env() -> dict[str, str]:
    """The environment for ``python -m serving.cli`` subprocesses run from the repository."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


@contextmanager
def running_server(args: list[str], env: dict[str, str] | None = None, ready_path: str = "/healthz",
                   prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, subprocess.Popen]]:
    """``storyfilter serve ARGS`` in its own process; yields ``(base URL, process)`` once ``ready_path``
    answers 200 (``/healthz``: the process listens; ``/readyz``: its model is loaded too).
    ``prefix`` goes before the command (``("taskset", "-c", "1")`` pins it to a CPU).

    The server's output goes to a file, not a pipe: a pipe nobody reads fills up and stalls
    the server; the file's tail is shown if the server never comes up.
    """
    port = free_port()
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in the finally below)
    proc = subprocess.Popen([*prefix, sys.executable, "-m", "serving.cli", "serve", "--port", str(port),
                             "--log-level", "warning", *args],
                            cwd=REPO, env=env or repo_env(), stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        give_up = time.monotonic() + 120  # only a guard against a server that never starts
        while not _answers(base + ready_path):
            if proc.poll() is not None or time.monotonic() > give_up:
                log.seek(0)
                raise RuntimeError("storyfilter serve did not start:\n"
                                   + log.read().decode("utf-8", "replace")[-2000:])
            time.sleep(0.1)
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@contextmanager
def running_service(*args: str) -> Iterator[str]:
    """``storyfilter serve ARGS``; yields the base URL once ``/readyz`` says 200."""
    with running_server(list(args), ready_path="/readyz") as (base, _):
        yield base
