"""Schema-driven fuzz of the scoring API: whatever the OpenAPI schema allows (or almost allows), no 5xx.

Schemathesis generates valid and invalid requests for every operation of the
app's own schema and calls the app in process; each response must be a non-5xx,
documented status, match its response schema, and errors must keep the one
JSON shape clients parse.
"""
from __future__ import annotations

import importlib
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from extras import require

require("fastapi", "serve")
schemathesis = require("schemathesis")
# Imported now, at collection, not lazily inside the test: pytest rewrites a plugin's modules as
# they are imported, and on CPython 3.11.7 that parse, run deep inside Hypothesis' generation,
# twice failed with "SystemError: AST constructor recursion depth mismatch". The list is every
# module a run of this file imported after collection (schemathesis 4 / hypothesis 6).
LAZY_MODULES = (
    "schemathesis.specs.openapi.schemas", "schemathesis.transport.asgi", "schemathesis.transport.wsgi",
    "schemathesis.generation.body_overrides", "schemathesis.generation.dictionaries",
    "schemathesis.wfc.escalation", "hypothesis.internal.conjecture.optimiser",
    "hypothesis.strategies._internal.flatmapped", "hypothesis.strategies._internal.random",
    "fastapi.telemetry._runtime", "requests_file",
)
for _name in LAZY_MODULES:
    try:
        importlib.import_module(_name)
    except ImportError:  # another schemathesis/hypothesis release lays its modules out differently
        pass
from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis.checks import (  # noqa: E402
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

with warnings.catch_warnings():  # newer Starlette prefers another HTTP client package; httpx still works
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from serving.app import create_app  # noqa: E402
from serving.settings import Settings  # noqa: E402

MAX_EXAMPLES = 50
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def fuzz_app(trained_model_dir: Path, tmp_path_factory) -> Iterator[object]:
    """The app with its model loaded: the lifespan runs once here, so every fuzz call scores for real
    (the review endpoints too, into a feedback store of their own)."""
    store = tmp_path_factory.mktemp("fuzz-feedback") / "feedback.sqlite3"
    app = create_app(Settings(model_dir=trained_model_dir, max_body_bytes=200_000, max_batch=4,
                              feedback_db=str(store)))
    with TestClient(app, raise_server_exceptions=False):
        assert app.state.holder.done.wait(120)
        assert app.state.holder.model is not None, app.state.holder.error
        yield app


def assert_error_shape(response) -> None:
    """Any 4xx/5xx body is exactly {"error": {"code", "message"}} with string values and no trace."""
    if response.status_code < 400:
        return
    assert response.headers.get("content-type", [""])[0].startswith("application/json"), response.headers
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message"}, body
    assert all(isinstance(v, str) and v for v in body["error"].values()), body
    assert "Traceback" not in response.text


def test_api_never_answers_5xx(fuzz_app) -> None:
    """Every operation of the schema, fuzzed (driven by hypothesis directly, not schemathesis' pytest plugin)."""
    api_schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 6

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
        def check(case) -> None:
            response = case.call_and_validate(checks=CHECKS)
            assert_error_shape(response)

        check()


@pytest.mark.parametrize("path", ["/v1/score", "/v1/score/batch"])
def test_a_body_that_is_not_utf8_is_a_documented_422(fuzz_app, path: str) -> None:
    """Found by the fuzz: FastAPI answered such bodies with an undocumented 400."""
    with TestClient(fuzz_app, raise_server_exceptions=False) as client:
        r = client.post(path, content=b"\xff\xfe{", headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "invalid_request"
