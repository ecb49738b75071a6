"""Worker processes behind one socket, with model reloads that reach every worker without a restart.

uvicorn's own supervisor answers SIGHUP by replacing its workers; each new one
then answers 503 while it loads the model, so requests fail during a reload.
Here the supervisor forwards signals instead and every worker swaps its model
in place, which fails no request:

- SIGHUP to the supervisor: every worker reloads the configured directory.
- ``POST /v1/admin/reload`` on one worker: that worker loads the directory it
  was given, records it in the run folder and sends the supervisor SIGUSR1,
  which every worker answers by loading the recorded directory.

A worker started later (uvicorn replaces one that died) loads the recorded
directory too, so all workers serve the same model.
"""
from __future__ import annotations

import json
import logging
import os
import signal
import sys
import uuid
from pathlib import Path

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

RUN_DIR_ENV = "STORYFILTER_RUN_DIR"
FOLLOW_SIGNAL = getattr(signal, "SIGUSR1", None)
_RECORD = "model_dir"

log = logging.getLogger("uvicorn.error")


class SharedModelDir:
    """The model directory every worker should serve, in a file of the run folder (None: the configured one)."""

    def __init__(self, run_dir: Path | None) -> None:
        self.path = run_dir / _RECORD if run_dir else None

    @classmethod
    def from_env(cls) -> "SharedModelDir":
        run_dir = os.environ.get(RUN_DIR_ENV)
        return cls(Path(run_dir) if run_dir else None)

    @property
    def shared(self) -> bool:
        """Whether there are other workers to tell (the service runs under :func:`run`'s supervisor)."""
        return self.path is not None

    def _record(self) -> dict:
        if self.path is None:
            return {}
        try:
            record = json.loads(self.path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return {}
        return record if isinstance(record, dict) else {}

    def read(self) -> Path | None:
        """The recorded directory; None: the configured one."""
        model_dir = self._record().get("model_dir")
        return Path(model_dir) if model_dir else None

    def token(self) -> str | None:
        """Which recording this is: a worker that already serves it need not load it again."""
        return self._record().get("token")

    def write(self, model_dir: Path | None) -> str | None:
        """Record ``model_dir`` (None: the configured one) in one rename, so a worker never reads
        half a record; returns the record's token (None when there are no other workers)."""
        if self.path is None:
            return None
        token = uuid.uuid4().hex
        partial = self.path.with_name(f".{_RECORD}.{os.getpid()}")
        partial.write_text(json.dumps({"model_dir": str(model_dir.resolve()) if model_dir else None,
                                       "token": token}), encoding="utf-8")
        os.replace(partial, self.path)
        return token

    def clear(self) -> None:
        """Forget any recorded directory: every worker serves the configured one."""
        if self.path is not None:
            self.path.unlink(missing_ok=True)

    def ask_all_workers_to_follow(self) -> None:
        """Tell the supervisor that every worker should load the recorded directory."""
        if self.shared and FOLLOW_SIGNAL is not None:
            os.kill(os.getppid(), FOLLOW_SIGNAL)


class ReloadingMultiprocess(Multiprocess):
    """uvicorn's supervisor, forwarding reload signals to the workers instead of restarting them."""

    def __init__(self, config: uvicorn.Config, sockets: list, run_dir: Path) -> None:
        super().__init__(config, sockets)
        self.record = SharedModelDir(run_dir)

    def _forward(self, signum: int) -> None:
        """Signal the workers that serve; one still starting has no handler yet (the signal would
        end it) and reads the record as it loads anyway."""
        for worker in self.processes:
            if worker.pid is not None and worker.process.is_alive() and worker.is_ready(timeout=1):
                os.kill(worker.pid, signum)

    def keep_subprocess_alive(self) -> None:
        """uvicorn's, plus: a worker that died (killed, out of memory) leaves no live series in
        the shared metrics folder, so ``/metrics`` shows no requests in flight or model for it."""
        before = {w.pid for w in self.processes}
        super().keep_subprocess_alive()
        for pid in before - {w.pid for w in self.processes}:
            if pid is not None:
                _forget_metrics_of(pid)

    def join_all(self) -> None:
        super().join_all()
        for worker in self.processes:
            if worker.pid is not None:
                _forget_metrics_of(worker.pid)

    def handle_hup(self) -> None:
        log.info("Received SIGHUP, every worker reloads the configured model directory.")
        self.record.clear()
        self._forward(signal.SIGHUP)

    def handle_usr1(self) -> None:
        log.info("A worker loaded another model directory, the others follow.")
        self._forward(signal.SIGUSR1)


def _forget_metrics_of(pid: int) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)


def run(config: uvicorn.Config, run_dir: Path | None) -> None:
    """Serve ``config`` as :func:`uvicorn.run` does, with :class:`ReloadingMultiprocess` for several
    workers (``run_dir``: their shared folder)."""
    if config.workers > 1:
        sockets = [config.bind_socket()]
        if FOLLOW_SIGNAL is None or run_dir is None:  # pragma: no cover - Windows has no SIGUSR1
            Multiprocess(config, sockets).run()
        else:
            ReloadingMultiprocess(config, sockets, run_dir).run()
        return
    server = uvicorn.Server(config)
    server.run()
    if not server.started:
        sys.exit(STARTUP_FAILURE)
