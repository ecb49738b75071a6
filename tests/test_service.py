"""The scoring service: every endpoint and error status in process, and a real server process."""
from __future__ import annotations

import json
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from extras import require

require("fastapi", "serve")
httpx = require("httpx")
with warnings.catch_warnings():  # newer Starlette prefers another HTTP client package; httpx still works
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from classifier import load_model  # noqa: E402
from serving.app import create_app  # noqa: E402
from serving.settings import Settings  # noqa: E402
from service_process import running_server as _running_server  # noqa: E402

KEY = "s3cret-key"
BINARY_TEXT = "\x00\x01\x02\x03\x04\x05" * 50


def _client(app) -> TestClient:
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture(scope="module")
def settings(trained_model_dir: Path) -> Settings:
    return Settings(model_dir=trained_model_dir, max_body_bytes=200_000, max_batch=4)


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings)
    with _client(app) as c:
        assert app.state.holder.done.wait(120)
        assert app.state.holder.model is not None, app.state.holder.error
        yield c


@pytest.fixture(scope="module")
def keyed_client(settings: Settings) -> Iterator[TestClient]:
    app = create_app(Settings(**{**settings.model_dump(), "api_key": KEY}))
    with _client(app) as c:
        assert app.state.holder.done.wait(120)
        yield c


@pytest.fixture(scope="module")
def page_html(unseen_pages) -> str:
    return unseen_pages[0].html


def _assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code
    assert "Traceback" not in response.text
    return body


# ----- happy paths ------------------------------------------------------------------------------
def test_score_html_matches_the_library(client, page_html, trained_model_dir):
    r = client.post("/v1/score", json={"html": page_html, "url": "https://example.org/a"})
    assert r.status_code == 200
    expected = load_model(trained_model_dir).filter_html(page_html, url="https://example.org/a").to_dict()
    assert r.json() == expected
    assert r.json()["model"] == {"name": "test-html", "version": "0.0-test"}


def test_score_text_threshold_and_no_blocks(client, unseen_pages):
    text = unseen_pages[1].main_text
    body = client.post("/v1/score", json={"text": text, "threshold": 0.0, "include_blocks": False}).json()
    assert body["mode"] == "text" and "blocks" not in body
    assert body["story_text"] == "\n\n".join(line.strip() for line in text.splitlines() if line.strip())


def test_score_extracted_text_uses_the_postfilter_threshold(client, trained_model_dir):
    model = load_model(trained_model_dir)
    text = "A first line of story text.\nRead more\nAnother line of story text here."
    expected = model.filter_text(text, extracted=True).to_dict()
    assert client.post("/v1/score", json={"text": text, "extracted": True}).json() == expected


def test_empty_page_gives_an_empty_result(client):
    body = client.post("/v1/score", json={"html": ""}).json()
    assert body["story_text"] == "" and body["blocks"] == []


def test_batch_scores_good_pages_and_reports_a_bad_one_in_place(client, unseen_pages, trained_model_dir):
    pages = [{"html": unseen_pages[2].html}, {"text": BINARY_TEXT}, {"text": unseen_pages[3].main_text},
             {"html": unseen_pages[4].html, "threshold": 0.9, "include_blocks": False}]
    r = client.post("/v1/score/batch", json={"pages": pages})
    assert r.status_code == 200
    results = r.json()["results"]
    assert len(results) == 4
    assert results[1]["error"]["code"] == "bad_page"
    model = load_model(trained_model_dir)
    assert results[0] == model.filter_html(unseen_pages[2].html).to_dict()
    assert results[2] == model.filter_text(unseen_pages[3].main_text).to_dict()
    assert results[3] == model.filter_html(unseen_pages[4].html, threshold=0.9).to_dict(include_blocks=False)


def test_health_ready_and_model_info(client, settings):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}
    info = client.get("/v1/model").json()["models"]
    assert {m["mode"] for m in info} == {"html", "text"}
    html = next(m for m in info if m["mode"] == "html")
    assert html["name"] == "test-html" and html["version"] == "0.0-test"
    assert html["labels"] == ["boilerplate", "story"]
    manifest = json.loads((settings.model_dir / "html" / "manifest.json").read_text(encoding="utf-8"))
    assert html["threshold"] == manifest["threshold"]
    assert html["metrics"]["folds"] == 2
    assert html["metrics"]["overall"]["word_f1"] == manifest["cross_validation"]["systems"]["storyfilter"]["overall"]["word_f1"]


def _samples(text: str) -> dict[tuple[str, frozenset], float]:
    """Every sample of a /metrics page by name and labels."""
    from prometheus_client.parser import text_string_to_metric_families

    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def test_metrics_count_requests_pages_blocks_errors_and_model(client, page_html):
    before = _samples(client.get("/metrics").text)
    scored = client.post("/v1/score", json={"html": page_html, "include_blocks": True})
    assert scored.status_code == 200
    client.post("/v1/score", json={"text": BINARY_TEXT})
    batch = client.post("/v1/score/batch", json={"pages": [{"html": page_html}, {"text": "One line.\nTwo lines."}]})
    assert batch.status_code == 200
    after = _samples(client.get("/metrics").text)

    def added(name: str, **labels: str) -> float:
        key = (name, frozenset(labels.items()))
        return after.get(key, 0.0) - before.get(key, 0.0)

    score = {"endpoint": "/v1/score", "method": "POST"}
    assert added("storyfilter_requests_total", status="200", **score) == 1
    assert added("storyfilter_requests_total", status="400", **score) == 1
    assert added("storyfilter_requests_total", endpoint="/v1/score/batch", method="POST", status="200") == 1
    assert added("storyfilter_request_seconds_count", endpoint="/v1/score") == 2
    html_blocks = len(scored.json()["blocks"])
    assert html_blocks > 1
    assert added("storyfilter_pages_scored_total", mode="html") == 2  # one alone, one in the batch
    assert added("storyfilter_pages_scored_total", mode="text") == 1
    assert added("storyfilter_blocks_scored_total", mode="html") == 2 * html_blocks
    assert added("storyfilter_blocks_scored_total", mode="text") == 2
    assert added("storyfilter_errors_total", kind="bad_page") == 1
    assert after[("storyfilter_model_info", frozenset({"mode": "html", "name": "test-html",
                                                       "version": "0.0-test"}.items()))] == 1.0


def test_openapi_has_the_endpoints_and_examples(client):
    schema = client.get("/openapi.json").json()
    assert {"/v1/score", "/v1/score/batch", "/v1/model", "/healthz", "/readyz", "/metrics"} <= set(schema["paths"])
    assert schema["components"]["schemas"]["ScoreRequest"]["examples"]
    assert "413" in schema["paths"]["/v1/score"]["post"]["responses"]


# ----- errors -----------------------------------------------------------------------------------
def test_400_for_a_binary_page(client):
    _assert_error(client.post("/v1/score", json={"text": BINARY_TEXT}), 400, "bad_page")


@pytest.mark.parametrize("body", [{}, {"html": "<p>a</p>", "text": "a"}, {"html": 3},
                                  {"text": "a", "threshold": 1.5}, {"text": "a", "thresold": 0.5},
                                  {"pages": []}])
def test_422_for_a_bad_request(client, body):
    message = _assert_error(client.post("/v1/score", json=body), 422, "invalid_request")["error"]["message"]
    assert len(message) < 1000


def test_422_for_malformed_json_and_an_empty_batch(client):
    _assert_error(client.post("/v1/score", content=b"{not json", headers={"content-type": "application/json"}),
                  422, "invalid_request")
    _assert_error(client.post("/v1/score/batch", json={"pages": []}), 422, "invalid_request")


def test_415_when_the_body_is_not_json(client):
    r = client.post("/v1/score", content=b"<p>hi</p>", headers={"content-type": "text/html"})
    _assert_error(r, 415, "unsupported_media_type")
    _assert_error(client.post("/v1/score/batch", content=b"x"), 415, "unsupported_media_type")


def test_413_for_a_large_body_with_content_length(client, settings):
    r = client.post("/v1/score", json={"text": "a" * (settings.max_body_bytes + 10)})
    assert r.request.headers.get("content-length")
    _assert_error(r, 413, "too_large")


def test_413_for_a_chunked_body_without_content_length(client, settings):
    chunk = b'{"text": "' + b"a" * 10_000

    def stream() -> Iterator[bytes]:
        yield chunk
        for _ in range(settings.max_body_bytes // 10_000 + 2):
            yield b"a" * 10_000
        yield b'"}'

    r = client.post("/v1/score", content=stream(), headers={"content-type": "application/json"})
    assert "content-length" not in r.request.headers
    _assert_error(r, 413, "too_large")


def test_a_body_just_under_the_limit_is_read(client, settings):
    body = json.dumps({"text": "a" * (settings.max_body_bytes - 20)}).encode()
    assert len(body) <= settings.max_body_bytes
    assert client.post("/v1/score", content=body, headers={"content-type": "application/json"}).status_code == 200


def test_413_for_too_many_pages(client, settings):
    pages = [{"text": "a"}] * (settings.max_batch + 1)
    _assert_error(client.post("/v1/score/batch", json={"pages": pages}), 413, "batch_too_large")


def test_401_without_or_with_a_wrong_key_and_health_stays_open(keyed_client):
    for headers in ({}, {"X-API-Key": "wrong"}):
        _assert_error(keyed_client.post("/v1/score", json={"text": "a"}, headers=headers), 401, "unauthorized")
        _assert_error(keyed_client.post("/v1/score/batch", json={"pages": [{"text": "a"}]}, headers=headers),
                      401, "unauthorized")
        _assert_error(keyed_client.get("/v1/model", headers=headers), 401, "unauthorized")
    ok = keyed_client.post("/v1/score", json={"text": "a"}, headers={"X-API-Key": KEY})
    assert ok.status_code == 200
    for path in ("/healthz", "/readyz", "/metrics"):
        assert keyed_client.get(path).status_code == 200


def test_404_is_json(client):
    _assert_error(client.get("/v2/nothing"), 404, "not_found")


def test_503_until_the_model_is_loaded(trained_model_dir):
    release = threading.Event()

    def slow_loader(s: Settings):
        assert release.wait(120)
        return load_model(s.model_dir)

    app = create_app(Settings(model_dir=trained_model_dir), loader=slow_loader)
    with _client(app) as c:
        assert c.get("/healthz").status_code == 200
        _assert_error(c.get("/readyz"), 503, "not_ready")
        _assert_error(c.post("/v1/score", json={"text": "a"}), 503, "not_ready")
        release.set()
        assert app.state.holder.done.wait(120)
        assert c.get("/readyz").status_code == 200
        assert c.post("/v1/score", json={"text": "a"}).status_code == 200


def test_a_model_that_fails_to_load_keeps_the_service_unready(tmp_path):
    app = create_app(Settings(model_dir=tmp_path / "missing"))
    with _client(app) as c:
        assert app.state.holder.done.wait(120)
        body = _assert_error(c.get("/readyz"), 503, "not_ready")
        assert "no such model directory" in body["error"]["message"]
        assert c.get("/healthz").status_code == 200


def test_500_is_json_without_a_trace(trained_model_dir, monkeypatch):
    import serving.app as app_module

    def broken(*args, **kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(app_module, "score_one", broken)
    app = create_app(Settings(model_dir=trained_model_dir))
    with _client(app) as c:
        assert app.state.holder.done.wait(120)
        body = _assert_error(c.post("/v1/score", json={"text": "a"}), 500, "internal")
        assert "secret" not in body["error"]["message"]


def test_a_worker_scores_in_as_many_threads_as_configured(trained_model_dir):
    import anyio.to_thread

    async def tokens() -> float:
        return anyio.to_thread.current_default_thread_limiter().total_tokens

    app = create_app(Settings(model_dir=trained_model_dir, threads=3))
    with _client(app) as c:
        assert c.portal.call(tokens) == 3


@pytest.mark.parametrize("key", ["", "   "])
def test_an_empty_api_key_is_refused_not_taken_as_no_auth(key):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="API key is empty"):
        Settings(api_key=key)


def test_settings_from_environment_and_flags_win():
    env = {"STORYFILTER_PORT": "9001", "STORYFILTER_MAX_BATCH": "7", "STORYFILTER_API_KEY": "k"}
    s = Settings.from_env(env, port=9002)
    assert (s.port, s.max_batch, s.api_key.get_secret_value()) == (9002, 7, "k")
    assert Settings.from_env(s.to_env()) == s
    assert s.limits().max_bytes == s.max_body_bytes


# ----- a real server process --------------------------------------------------------------------
def _until(ready: Callable[[], bool]) -> None:
    give_up = time.monotonic() + 120  # a guard, not a measurement
    while not ready():
        assert time.monotonic() < give_up, "condition never held"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def server(trained_model_dir, cli_env) -> Iterator[str]:
    """One worker; yields its base URL once /readyz says ready."""
    env = {**cli_env, "STORYFILTER_MAX_BODY_BYTES": "100000"}
    with _running_server(["--model", str(trained_model_dir), "--api-key", KEY], env) as (base, _):
        _until(lambda: httpx.get(base + "/readyz", timeout=5).status_code == 200)
        yield base


def test_real_server_scores_a_page(server, page_html, trained_model_dir):
    r = httpx.post(server + "/v1/score", json={"html": page_html}, headers={"X-API-Key": KEY}, timeout=30)
    assert r.status_code == 200
    assert r.json() == load_model(trained_model_dir).filter_html(page_html).to_dict()
    batch = httpx.post(server + "/v1/score/batch", json={"pages": [{"html": page_html}, {"text": BINARY_TEXT}]},
                       headers={"X-API-Key": KEY}, timeout=30).json()["results"]
    assert batch[0]["story_text"] == r.json()["story_text"] and batch[1]["error"]["code"] == "bad_page"


def test_real_server_errors(server):
    _assert_error(httpx.post(server + "/v1/score", json={"text": "a"}, timeout=30), 401, "unauthorized")
    headers = {"X-API-Key": KEY, "content-type": "application/json"}

    def stream() -> Iterator[bytes]:
        yield b'{"text": "'
        for _ in range(20):
            yield b"a" * 10_000
        yield b'"}'

    r = httpx.post(server + "/v1/score", content=stream(), headers=headers, timeout=30)
    assert "content-length" not in r.request.headers
    _assert_error(r, 413, "too_large")
    _assert_error(httpx.post(server + "/v1/score", content=b"x", headers={"X-API-Key": KEY}, timeout=30),
                  415, "unsupported_media_type")
    _assert_error(httpx.post(server + "/v1/score", json={"html": 1}, headers={"X-API-Key": KEY}, timeout=30),
                  422, "invalid_request")
    assert "storyfilter_requests_total" in httpx.get(server + "/metrics", timeout=30).text


# ----- pieces -----------------------------------------------------------------------------------
def test_a_spent_time_budget_stops_the_batch_and_the_page(loaded_model):
    from serving.errors import ApiError
    from serving.schemas import ScoreRequest
    from serving.scoring import Deadline, score_batch, score_one

    spent = Deadline(at=0.0)  # a deadline in the past: no clock involved
    results, scored = score_batch(loaded_model, [ScoreRequest(text="a"), ScoreRequest(html="<p>b</p>")], spent)
    assert [r["error"]["code"] for r in results] == ["time_budget_exceeded"] * 2 and scored == {}
    with pytest.raises(ApiError) as err:
        score_one(loaded_model, ScoreRequest(text="a"), spent)
    assert (err.value.status, err.value.code) == (503, "time_budget_exceeded")


def test_serve_refuses_a_bad_setting(tmp_path):
    from click.testing import CliRunner

    from serving.cli import main

    result = CliRunner().invoke(main, ["serve"], env={"STORYFILTER_PORT": "not-a-port"})
    assert result.exit_code == 2 and "port" in result.output
    result = CliRunner().invoke(main, ["serve", "--model", str(tmp_path / "missing")])
    assert result.exit_code == 2 and "no such model directory" in result.output


def test_real_server_with_two_workers_and_settings_from_the_environment(trained_model_dir, cli_env, page_html):
    env = {**cli_env, "STORYFILTER_API_KEY": KEY, "STORYFILTER_MODEL_DIR": str(trained_model_dir)}
    with _running_server(["--workers", "2"], env) as (base, _):
        # The key check comes before the readiness check, so any worker answers 401 at once.
        _assert_error(httpx.post(base + "/v1/score", json={"text": "a"}, timeout=30), 401, "unauthorized")
        # Each worker loads its own model; one still loading answers 503 not_ready until it is done.
        answers: list[httpx.Response] = []

        def scored() -> bool:
            answers.append(httpx.post(base + "/v1/score", json={"html": page_html}, headers={"X-API-Key": KEY},
                                      timeout=30))
            return answers[-1].status_code == 200

        _until(scored)
        assert all(a.status_code == 200 or a.json()["error"]["code"] == "not_ready" for a in answers)
        assert answers[-1].json() == load_model(trained_model_dir).filter_html(page_html).to_dict()


def test_real_server_answers_concurrent_requests(server, unseen_pages, trained_model_dir):
    from concurrent.futures import ThreadPoolExecutor

    model = load_model(trained_model_dir)
    pages = [p.html for p in unseen_pages] * 3

    def post(html: str) -> httpx.Response:
        return httpx.post(server + "/v1/score", json={"html": html}, headers={"X-API-Key": KEY}, timeout=60)

    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(post, pages))
    assert [r.status_code for r in responses] == [200] * len(pages)
    assert [r.json() for r in responses] == [model.filter_html(h).to_dict() for h in pages]
