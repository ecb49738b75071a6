"""Load shedding (429) and metrics summed over worker processes, on real servers."""
from __future__ import annotations

import asyncio
import os
import re
import signal
import threading
import time

import pytest

from extras import require

httpx = require("httpx")
require("fastapi", "serve")

from serving.middleware import BodyLimitMiddleware, InFlightLimitMiddleware, MetricsMiddleware  # noqa: E402
from test_service import KEY, _assert_error, _running_server, _until  # noqa: E402

SCORE = "/v1/score"


def _sent(messages: list[dict]) -> int:
    return next(m["status"] for m in messages if m["type"] == "http.response.start")


def test_in_flight_limit_sheds_the_request_over_the_limit_and_frees_its_slot():
    async def scenario() -> tuple[list[int], list[int], int]:
        release = asyncio.Event()
        both_inside = asyncio.Event()
        inside: list[str] = []
        seen: list[int] = []

        async def app(scope, receive, send):
            if scope["path"] == "/boom":
                raise RuntimeError("the endpoint failed")
            inside.append(scope["path"])
            if inside.count(SCORE) == 2:
                both_inside.set()
            await release.wait()
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"{}"})

        limited = InFlightLimitMiddleware(app, limit=2, prefixes=(SCORE, "/boom"), report=seen.append)

        async def call(path: str) -> int:
            out: list[dict] = []

            async def send(message):
                out.append(message)

            await limited({"type": "http", "path": path, "method": "POST"}, None, send)
            return _sent(out)

        first = [asyncio.create_task(call(SCORE)) for _ in range(2)]
        await both_inside.wait()  # both hold their slot, waiting inside the endpoint
        shed = await call(SCORE)
        unlimited = asyncio.create_task(call("/healthz"))  # other paths pass whatever the load
        release.set()
        statuses = [await t for t in first] + [await unlimited]
        with pytest.raises(RuntimeError, match="the endpoint failed"):
            await call("/boom")  # a failing endpoint still gives its slot back
        return [shed, *statuses], seen, limited.in_flight

    statuses, seen, left = asyncio.run(scenario())
    assert statuses == [429, 200, 200, 200]
    assert max(seen) == 2 and seen[-1] == 0 and left == 0


def test_a_slow_upload_gets_408_and_never_takes_a_scoring_slot():
    async def scenario() -> tuple[int, int]:
        async def endpoint(scope, receive, send):
            raise AssertionError("the endpoint must not run before the body is in")

        limited = InFlightLimitMiddleware(endpoint, limit=1, prefixes=(SCORE,))
        outer = BodyLimitMiddleware(limited, max_bytes=1000, read_timeout=0.2)
        seen: list[int] = []
        out: list[dict] = []

        async def stalled():  # the client sent its headers and then nothing
            seen.append(limited.in_flight)
            await asyncio.sleep(3600)

        async def send(message):
            out.append(message)

        await outer({"type": "http", "path": SCORE, "method": "POST", "headers": []}, stalled, send)
        return _sent(out), max(seen) + limited.in_flight

    status, in_flight = asyncio.run(scenario())
    assert status == 408 and in_flight == 0


def test_a_client_that_leaves_is_not_counted_as_a_server_error():
    async def scenario() -> list[tuple]:
        observed: list[tuple] = []

        async def gone(scope, receive, send):  # the body middleware saw http.disconnect: no answer
            return None

        async def boom(scope, receive, send):
            raise RuntimeError("bug")

        scope = {"type": "http", "path": SCORE, "method": "POST"}
        await MetricsMiddleware(gone, observe=lambda *a: observed.append(a[:3]))(scope, None, None)
        with pytest.raises(RuntimeError, match="bug"):  # the endpoint's error reaches the server
            await MetricsMiddleware(boom, observe=lambda *a: observed.append(a[:3]))(scope, None, None)
        return observed

    assert asyncio.run(scenario()) == [("unmatched", "POST", 499), ("unmatched", "POST", 500)]


def test_a_real_server_answers_429_with_retry_after_when_its_worker_is_full(trained_model_dir, cli_env,
                                                                             unseen_pages):
    args = ["--model", str(trained_model_dir), "--api-key", KEY, "--max-in-flight", "1"]
    headers = {"X-API-Key": KEY}
    big_batch = {"pages": [{"html": p.html} for p in unseen_pages] * 8}
    with _running_server(args, cli_env) as (base, _):
        _until(lambda: httpx.get(base + "/readyz", timeout=5).status_code == 200)
        shed: list[httpx.Response] = []
        others: list[int] = []
        give_up = time.monotonic() + 300  # a guard against a server that never sheds, not a measurement
        while not shed:  # each round: a slow batch holds the only slot while small requests knock
            assert time.monotonic() < give_up, "no request was ever shed while the only slot was taken"
            batch_status: list[int] = []
            slow = threading.Thread(target=lambda: batch_status.append(httpx.post(
                base + "/v1/score/batch", json=big_batch, headers=headers, timeout=60).status_code))
            slow.start()
            while slow.is_alive():
                r = httpx.post(base + SCORE, json={"text": "A short story."}, headers=headers, timeout=30)
                if r.status_code == 429:
                    shed.append(r)
                else:
                    others.append(r.status_code)
            slow.join()
            others.extend(batch_status)
        _assert_error(shed[0], 429, "too_many_requests")
        assert shed[0].headers["retry-after"] == "1"
        assert set(others) <= {200, 429}
        # Once the slot is free the worker answers again, and the shedding was counted.
        assert httpx.post(base + SCORE, json={"text": "A short story."}, headers=headers, timeout=30).status_code == 200
        metrics = httpx.get(base + "/metrics", timeout=30).text
        assert re.search(r'storyfilter_errors_total\{kind="too_many_requests"\} [1-9]', metrics)
        assert re.search(r'storyfilter_requests_total\{endpoint="/v1/score",method="POST",status="429"\} [1-9]',
                         metrics)


def _sample(metrics: str, name: str, labels: str) -> float:
    match = re.search(re.escape(name + "{" + labels + "}") + r" (\S+)", metrics)
    return float(match.group(1)) if match else 0.0


def test_metrics_of_two_workers_are_summed_on_every_scrape(trained_model_dir, cli_env):
    env = {**cli_env, "STORYFILTER_MODEL_DIR": str(trained_model_dir)}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    with _running_server(["--workers", "2"], env) as (base, _):
        # Every worker shows its own model series (label pid) once it has loaded: one worker alone
        # could only ever report itself, so two pids prove the scrape reads all workers' samples.
        _until(lambda: len(set(re.findall(r'storyfilter_model_info\{[^}]*mode="text"[^}]*pid="(\d+)"',
                                          httpx.get(base + "/metrics", timeout=5).text))) == 2)
        scored = 0
        with httpx.Client(base_url=base, timeout=30) as one, httpx.Client(base_url=base, timeout=30) as two:
            for i in range(30):  # two keep-alive connections, which the kernel may give to either worker
                r = (one if i % 2 else two).post(SCORE, json={"text": f"Story number {i}. It happened."})
                scored += r.status_code == 200
        assert scored == 30
        for _ in range(6):  # whichever worker answers the scrape, it reports the total
            text = httpx.get(base + "/metrics", timeout=5).text
            assert _sample(text, "storyfilter_pages_scored_total", 'mode="text"') == scored
            assert _sample(text, "storyfilter_requests_total",
                           'endpoint="/v1/score",method="POST",status="200"') == scored
        # A worker that dies (killed, out of memory) leaves no live series behind; its replacement
        # shows up; counts of what it did stay.
        victim = pids(base)[0]
        os.kill(int(victim), signal.SIGKILL)
        _until(lambda: victim not in pids(base) and len(pids(base)) == 2)
        text = httpx.get(base + "/metrics", timeout=5).text
        assert _sample(text, "storyfilter_pages_scored_total", 'mode="text"') == scored


def pids(base: str) -> list[str]:
    """The worker pids whose model series read 1 in /metrics."""
    text = httpx.get(base + "/metrics", timeout=5).text
    return sorted(set(re.findall(r'storyfilter_model_info\{[^}]*mode="text"[^}]*pid="(\d+)"[^}]*\} 1\.0', text)))
