"""Hot reload of the model: the admin endpoint and SIGHUP, in process and on a real server under load."""
from __future__ import annotations

import os
import signal
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from extras import require

require("fastapi", "serve")
httpx = require("httpx")
with warnings.catch_warnings():  # newer Starlette prefers another HTTP client package; httpx still works
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from classifier.api import default_model_path, load_model  # noqa: E402
from serving.app import create_app  # noqa: E402
from serving.settings import Settings  # noqa: E402
from test_service import KEY, _assert_error, _running_server, _until  # noqa: E402

ADMIN = {"X-API-Key": KEY}
SHIPPED = default_model_path()


def _versions(response: httpx.Response) -> set[str]:
    assert response.status_code == 200, response.text
    return {m["version"] for m in response.json()["models"]}


@contextmanager
def _started(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as c:
        assert app.state.holder.done.wait(120) and app.state.holder.model is not None
        yield c


@pytest.fixture
def admin(model_copy: Path) -> Iterator[TestClient]:
    """An in-process service with a key, serving a private copy of the session model."""
    with _started(Settings(model_dir=model_copy, api_key=KEY)) as client:
        yield client


@pytest.fixture(scope="module")
def shipped_versions() -> set[str]:
    return {m.version for m in load_model(SHIPPED).models.values()}


@pytest.fixture(scope="module")
def page_html(unseen_pages) -> str:
    return unseen_pages[0].html


# ----- in process -------------------------------------------------------------------------------
def test_reload_to_another_directory_and_back(admin, shipped_versions, page_html):
    assert _versions(admin.get("/v1/model", headers=ADMIN)) == {"0.0-test"}
    reloaded = admin.post("/v1/admin/reload", json={"model_dir": str(SHIPPED)}, headers=ADMIN)
    assert _versions(reloaded) == shipped_versions
    assert _versions(admin.get("/v1/model", headers=ADMIN)) == shipped_versions
    scored = admin.post("/v1/score", json={"html": page_html}, headers=ADMIN).json()
    assert scored == load_model(SHIPPED).filter_html(page_html).to_dict()
    metrics = admin.get("/metrics").text
    assert all(f'version="{v}"' in metrics for v in shipped_versions) and 'version="0.0-test"' not in metrics
    assert 'storyfilter_model_reloads_total{result="ok"} 1.0' in metrics
    # No body: the configured directory again.
    assert _versions(admin.post("/v1/admin/reload", headers=ADMIN)) == {"0.0-test"}


def test_a_tampered_model_is_refused_and_the_old_one_keeps_serving(admin, model_copy, page_html):
    before = admin.post("/v1/score", json={"html": page_html}, headers=ADMIN).json()
    config = model_copy / "html" / "model.json"
    data = bytearray(config.read_bytes())
    data[len(data) // 2] ^= 1  # one bit of one byte
    config.write_bytes(bytes(data))
    body = _assert_error(admin.post("/v1/admin/reload", headers=ADMIN), 409, "model_refused")
    assert "model.json" in body["error"]["message"]
    _assert_error(admin.post("/v1/admin/reload", json={"model_dir": str(model_copy / "missing")}, headers=ADMIN),
                  409, "model_refused")
    assert _versions(admin.get("/v1/model", headers=ADMIN)) == {"0.0-test"}
    assert admin.post("/v1/score", json={"html": page_html}, headers=ADMIN).json() == before
    metrics = admin.get("/metrics").text
    assert 'storyfilter_model_reloads_total{result="refused"} 2.0' in metrics
    assert 'version="0.0-test"' in metrics


def test_admin_needs_a_configured_key_and_the_right_one(trained_model_dir, admin):
    with _started(Settings(model_dir=trained_model_dir)) as client:
        _assert_error(client.post("/v1/admin/reload"), 403, "admin_disabled")
        _assert_error(client.post("/v1/admin/reload", headers=ADMIN), 403, "admin_disabled")
        assert client.get("/v1/model").status_code == 200  # scoring stays open without a key
    _assert_error(admin.post("/v1/admin/reload"), 401, "unauthorized")
    _assert_error(admin.post("/v1/admin/reload", headers={"X-API-Key": "wrong"}), 401, "unauthorized")
    _assert_error(admin.post("/v1/admin/reload", json={"model_dir": 3, "x": 1}, headers=ADMIN),
                  422, "invalid_request")



def test_a_reload_makes_a_service_whose_first_load_failed_ready(tmp_path, trained_model_dir):
    app = create_app(Settings(model_dir=tmp_path / "missing", api_key=KEY))
    with TestClient(app, raise_server_exceptions=False) as client:
        assert app.state.holder.done.wait(120)
        _assert_error(client.get("/readyz"), 503, "not_ready")
        reloaded = client.post("/v1/admin/reload", json={"model_dir": str(trained_model_dir)}, headers=ADMIN)
        assert _versions(reloaded) == {"0.0-test"}
        assert client.get("/readyz").json() == {"status": "ready"}

# ----- a real server process under load ---------------------------------------------------------
class Load:
    """Client threads posting /v1/score without pause until stopped; every answer is checked."""

    def __init__(self, base: str, pages: list[str], names: set[str], threads: int = 4) -> None:
        self.base, self.pages, self.names = base, pages, names
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.done = 0
        self.failures: list[str] = []
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(threads)]

    def _check(self, r: httpx.Response) -> str | None:
        if r.status_code != 200:
            return f"{r.status_code}: {r.text[:200]}"
        body = r.json()
        if not isinstance(body.get("story_text"), str) or body.get("model", {}).get("name") not in self.names:
            return f"not a result: {r.text[:200]}"
        return None

    def _run(self, offset: int) -> None:
        with httpx.Client(base_url=self.base, headers=ADMIN, timeout=60) as client:
            i = offset
            while not self.stop.is_set():
                try:
                    failure = self._check(client.post("/v1/score", json={"html": self.pages[i % len(self.pages)]}))
                except httpx.HTTPError as err:
                    failure = f"transport: {err!r}"
                with self.lock:
                    self.done += 1
                    if failure:
                        self.failures.append(failure)
                i += 1

    def served_more(self, n: int) -> None:
        """Wait until ``n`` more requests were answered, so each model swap happens under load."""
        target = self.done + n
        _until(lambda: self.done >= target or bool(self.failures))

    def __enter__(self) -> "Load":
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(120)


def _model_versions(base: str) -> set[str]:
    return _versions(httpx.get(base + "/v1/model", headers=ADMIN, timeout=30))


def test_reloads_under_load_on_a_real_server_fail_no_request(trained_model_dir, cli_env, unseen_pages,
                                                             shipped_versions):
    names = {"test-html"} | {m.name for m in load_model(SHIPPED).models.values()}
    with _running_server(["--model", str(trained_model_dir), "--api-key", KEY], cli_env) as (base, proc):
        _until(lambda: httpx.get(base + "/readyz", timeout=5).status_code == 200)
        with Load(base, [p.html for p in unseen_pages], names) as load:
            load.served_more(8)
            for _ in range(3):
                r = httpx.post(base + "/v1/admin/reload", json={"model_dir": str(SHIPPED)}, headers=ADMIN,
                               timeout=120)
                assert _versions(r) == shipped_versions
                load.served_more(8)
                os.kill(proc.pid, signal.SIGHUP)  # back to the configured directory
                _until(lambda: _model_versions(base) == {"0.0-test"})
                load.served_more(8)
        assert load.failures == [] and load.done > 0
        assert _model_versions(base) == {"0.0-test"}
        metrics = httpx.get(base + "/metrics", timeout=30).text
        assert 'storyfilter_model_reloads_total{result="ok"} 6.0' in metrics


def test_sighup_refuses_a_tampered_model_on_a_real_server(model_copy, cli_env, page_html):
    with _running_server(["--model", str(model_copy), "--api-key", KEY], cli_env) as (base, proc):
        _until(lambda: httpx.get(base + "/readyz", timeout=5).status_code == 200)
        before = httpx.post(base + "/v1/score", json={"html": page_html}, headers=ADMIN, timeout=30).json()
        (model_copy / "html" / "model.npz").write_bytes(b"not the weights")
        os.kill(proc.pid, signal.SIGHUP)
        _until(lambda: 'storyfilter_model_reloads_total{result="refused"} 1.0'
               in httpx.get(base + "/metrics", timeout=30).text)
        assert httpx.post(base + "/v1/score", json={"html": page_html}, headers=ADMIN, timeout=30).json() == before
        assert _model_versions(base) == {"0.0-test"}


def _worker_versions(base: str) -> dict[str, set[str]]:
    """pid -> model versions it serves, from the summed /metrics of a multi-worker server."""
    import re

    text = httpx.get(base + "/metrics", timeout=30).text
    out: dict[str, set[str]] = {}
    for labels, value in re.findall(r"storyfilter_model_info\{([^}]*)\} (\S+)", text):
        fields = dict(re.findall(r'(\w+)="([^"]*)"', labels))
        if float(value) == 1.0:
            out.setdefault(fields["pid"], set()).add(fields["version"])
    return out


def test_reloads_reach_every_worker_in_place_under_load(trained_model_dir, cli_env, unseen_pages,
                                                        shipped_versions):
    names = {"test-html"} | {m.name for m in load_model(SHIPPED).models.values()}
    with _running_server(["--model", str(trained_model_dir), "--api-key", KEY, "--workers", "2"],
                         cli_env) as (base, proc):
        _until(lambda: len(_worker_versions(base)) == 2)
        workers = set(_worker_versions(base))
        with Load(base, [p.html for p in unseen_pages], names) as load:
            load.served_more(8)
            r = httpx.post(base + "/v1/admin/reload", json={"model_dir": str(SHIPPED)}, headers=ADMIN, timeout=120)
            assert _versions(r) == shipped_versions
            # The other worker follows the one that answered, which does not load it twice.
            _until(lambda: _worker_versions(base) == {pid: shipped_versions for pid in workers})
            assert 'storyfilter_model_reloads_total{result="ok"} 2.0' in httpx.get(base + "/metrics").text
            load.served_more(8)
            os.kill(proc.pid, signal.SIGHUP)  # the supervisor: every worker back to the configured directory
            _until(lambda: _worker_versions(base) == {pid: {"0.0-test"} for pid in workers})
            load.served_more(8)
        assert load.failures == [] and load.done > 0
        assert set(_worker_versions(base)) == workers  # swapped in place: no worker was restarted


def test_the_shared_model_directory_record(tmp_path):
    from serving.supervisor import SharedModelDir

    alone = SharedModelDir(None)  # one worker: nothing to share, nothing written
    alone.write(tmp_path)
    assert not alone.shared and alone.read() is None
    record = SharedModelDir(tmp_path)
    assert record.shared and record.read() is None
    first = record.write(Path("models") / "v2")
    assert record.read() == (Path("models") / "v2").resolve() and record.token() == first
    assert [p.name for p in tmp_path.iterdir()] == ["model_dir"]  # no partial file left behind
    second = record.write(None)  # the configured directory, recorded as a new reload
    assert record.read() is None and record.token() == second != first
    record.clear()
    assert record.read() is None and record.token() is None
