"""The review endpoints in process: score and explain, store, label, queue, export, delete, errors."""
from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from extras import require

require("fastapi", "serve")
require("sqlalchemy", "review")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from classifier import load_model  # noqa: E402
from serving.app import create_app  # noqa: E402
from serving.settings import Settings  # noqa: E402
from training.readers import read_labelled_blocks  # noqa: E402

KEY = "review-key"
AUTH = {"X-API-Key": KEY}


@pytest.fixture(scope="module")
def db_path(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("review") / "feedback.sqlite3"


@pytest.fixture(scope="module")
def client(trained_model_dir, db_path) -> Iterator[TestClient]:
    app = create_app(Settings(model_dir=trained_model_dir, api_key=KEY, feedback_db=str(db_path)))
    with TestClient(app, raise_server_exceptions=False) as c:
        assert app.state.holder.done.wait(120) and app.state.holder.model is not None
        yield c


def _error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code
    assert "Traceback" not in response.text


def _score(client, **body) -> dict:
    r = client.post("/v1/review/score", content=json.dumps(body),  # ASCII escapes: the surrogate as sent
                    headers={**AUTH, "content-type": "application/json"})
    assert r.status_code == 200, r.text
    return r.json()


def test_the_page_and_its_files_load_without_a_key(client):
    r = client.get("/review")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert 'src="/review/static/review.js"' in r.text and "X-API-Key" not in r.headers
    assert client.get("/review/queue").text == r.text
    assert client.get("/review/static/review.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/review/static/review.css").status_code == 200
    _error(client.get("/review/static/..%2Fstore.py"), 404, "not_found")


def test_json_endpoints_need_the_key(client):
    _error(client.get("/v1/review/pages"), 401, "unauthorized")
    _error(client.post("/v1/review/score", json={"text": "a"}), 401, "unauthorized")
    _error(client.get("/v1/review/export", headers={"X-API-Key": "wrong"}), 401, "unauthorized")


def test_score_explains_every_block_and_matches_the_library(client, unseen_pages, trained_model_dir):
    html = unseen_pages[0].html
    page = _score(client, html=html, url="https://riverside-gazette.test/x", ref="p-1")
    expected = load_model(trained_model_dir).filter_html(html)
    assert page["page_id"] and page["mode"] == "html" and page["threshold"] == expected.threshold
    assert [b["score"] for b in page["blocks"]] == pytest.approx([b.score for b in expected.blocks], abs=1e-6)
    assert [b["label"] for b in page["blocks"]] == [b.label for b in expected.blocks]
    for b in page["blocks"]:
        e = b["explanation"]
        total = e["intercept"] + e["rest"] + sum(t["contribution"] for t in e["up"] + e["down"])
        assert total == pytest.approx(e["stage1_logit"], abs=1e-4)
        assert len(e["up"]) <= 5 and len(e["down"]) <= 5
    words = [t for b in page["blocks"] for t in b["explanation"]["words_up"] + b["explanation"]["words_down"]]
    assert {t["kind"] for t in words} == {"text", "dom"}
    listed = client.get("/v1/review/pages", headers=AUTH).json()
    assert page["page_id"] in {p["page_id"] for p in listed["pages"]}
    summary = next(p for p in listed["pages"] if p["page_id"] == page["page_id"])
    assert summary["site"] == "riverside-gazette.test" and summary["blocks"] == len(page["blocks"])


def test_score_without_storing(client):
    before = client.get("/v1/review/pages", headers=AUTH).json()["total"]
    page = _score(client, text="One line of story text here.\nRead more", store=False, top_k=0)
    assert page["page_id"] is None and page["blocks"][0]["explanation"]["up"] == []
    assert client.get("/v1/review/pages", headers=AUTH).json()["total"] == before


def test_bad_requests(client):
    _error(client.post("/v1/review/score", json={"text": "\x00\x01\x02" * 40}, headers=AUTH), 400, "bad_page")
    _error(client.post("/v1/review/score", json={"text": "a", "html": "b"}, headers=AUTH), 422, "invalid_request")
    _error(client.get("/v1/review/pages/nope", headers=AUTH), 404, "page_not_found")
    _error(client.put("/v1/review/pages/nope/labels", json={"labels": []}, headers=AUTH), 404, "page_not_found")
    _error(client.get("/v1/review/export?format=csv", headers=AUTH), 422, "invalid_request")


def test_label_save_queue_export_delete(client, unseen_pages, tmp_path):
    page = _score(client, html=unseen_pages[1].html, url="https://hilltop-herald.test/y")
    pid, blocks = page["page_id"], page["blocks"]
    flip = {0: "story" if blocks[0]["label"] == "boilerplate" else "boilerplate",
            2: "story" if blocks[2]["label"] == "boilerplate" else "boilerplate"}
    queued = client.get("/v1/review/queue?limit=500", headers=AUTH).json()["items"]
    assert (pid, 0) in {(q["page_id"], q["position"]) for q in queued}
    assert [q["margin"] for q in queued] == sorted(q["margin"] for q in queued)

    bad = client.put(f"/v1/review/pages/{pid}/labels", json={"labels": [{"position": 10_000, "label": "story"}]},
                     headers=AUTH)
    _error(bad, 422, "invalid_request")
    labels = [{"position": b["index"], "label": flip.get(b["index"], b["label"])} for b in blocks]
    saved = client.put(f"/v1/review/pages/{pid}/labels", json={"labels": labels}, headers=AUTH).json()
    assert saved.pop("reviewed") > 0
    assert saved == {"page_id": pid, "changed": len(blocks), "labelled": len(blocks), "corrected": 2}

    again = client.get(f"/v1/review/pages/{pid}", headers=AUTH).json()
    assert again["stale"] is False and again["reviewed"]
    assert [b["reviewer_label"] for b in again["blocks"][:3]] == [flip[0], blocks[1]["label"], flip[2]]
    queued = client.get("/v1/review/queue?limit=500", headers=AUTH).json()["items"]
    assert pid not in {q["page_id"] for q in queued}  # a reviewed page has nothing left to offer

    for fmt in ("blocks", "label-studio", "doccano", "prodigy"):
        r = client.get(f"/v1/review/export?format={fmt}", headers=AUTH)
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-ndjson")
        path = tmp_path / f"{fmt}.jsonl"
        path.write_bytes(r.content)
        exported = {p.id: p for p in read_labelled_blocks(path)}
        want = [1 if lab["label"] == "story" else 0 for lab in labels]
        assert exported[pid].labels == want
        if fmt == "blocks":
            first = json.loads(r.content.splitlines()[0])
            assert "html" in first and exported[pid].url == "https://hilltop-herald.test/y"

    assert client.delete(f"/v1/review/pages/{pid}", headers=AUTH).status_code == 204
    _error(client.get(f"/v1/review/pages/{pid}", headers=AUTH), 404, "page_not_found")
    _error(client.delete(f"/v1/review/pages/{pid}", headers=AUTH), 404, "page_not_found")


def test_a_store_that_cannot_open_is_a_503_not_a_trace(trained_model_dir, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    bad_url = f"sqlite:///{blocker}/sub/feedback.sqlite3"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STORYFILTER_FEEDBACK_DB", bad_url)
        app = create_app(Settings(model_dir=trained_model_dir, feedback_db=bad_url))
        with TestClient(app, raise_server_exceptions=False) as c:
            assert app.state.holder.done.wait(120)
            _error(c.get("/v1/review/pages"), 503, "feedback_unavailable")
            assert c.get("/review").status_code == 200


_NO_SQLALCHEMY = """
import sys, warnings
sys.modules["sqlalchemy"] = None  # as on an install without the review extra
sys.path[:0] = [{repo!r}, {tests!r}]
from serving.app import create_app
from serving.settings import Settings
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient
app = create_app(Settings(model_dir={model!r}, feedback_db="sqlite:///unused.sqlite3"))
with TestClient(app, raise_server_exceptions=False) as c:
    app.state.holder.done.wait(120)
    review = [c.get("/v1/review/pages"), c.get("/v1/review/pages/x"), c.get("/v1/review/queue"),
              c.get("/v1/review/export"), c.delete("/v1/review/pages/x"),
              c.put("/v1/review/pages/x/labels", json={{"labels": []}}),
              c.post("/v1/review/score", json={{"text": "A line of story."}})]
    print(c.get("/review").status_code, c.post("/v1/score", json={{"text": "A line of story."}}).status_code,
          *sorted({{(r.status_code, r.json()["error"]["code"]) for r in review}}))
"""


def test_without_sqlalchemy_the_service_still_starts_and_says_why(trained_model_dir, tmp_path):
    import subprocess
    import sys

    repo = Path(__file__).resolve().parent.parent
    code = _NO_SQLALCHEMY.format(repo=str(repo), tests=str(repo / "tests"), model=str(trained_model_dir))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["200", "200", "(503,", "'feedback_unavailable')"]
    assert not (tmp_path / "unused.sqlite3").exists()


@pytest.mark.parametrize("limit", [{"max_blocks": 3}, {"max_body_bytes": 500}], ids=["fewer blocks", "smaller pages"])
def test_a_page_the_live_model_cuts_differently_is_shown_as_stored(client, trained_model_dir, db_path, unseen_pages,
                                                                   limit):
    page = _score(client, html=unseen_pages[2].html)
    assert len(unseen_pages[2].html.encode()) > 500
    client.put(f"/v1/review/pages/{page['page_id']}/labels", json={"labels": [{"position": 1, "label": "story"}]},
               headers=AUTH)
    # The same store, a service with a lower limit: it keeps fewer blocks, or refuses the page outright.
    app = create_app(Settings(model_dir=trained_model_dir, feedback_db=str(db_path), **limit))
    with TestClient(app, raise_server_exceptions=False) as other:
        assert app.state.holder.done.wait(120)
        shown = other.get(f"/v1/review/pages/{page['page_id']}").json()
    assert shown["stale"] is True and len(shown["blocks"]) == len(page["blocks"]) > 3
    assert [b["score"] for b in shown["blocks"]] == pytest.approx([b["score"] for b in page["blocks"]], abs=1e-6)
    assert shown["blocks"][1]["reviewer_label"] == "story" and shown["blocks"][0]["explanation"] is None


def test_text_a_database_cannot_store_is_cleaned_not_a_500(client):
    # A lone surrogate is valid JSON but not UTF-8; PostgreSQL refuses NUL. Both become U+FFFD.
    body = {"text": "A story about the harbour \ud800 and the \u0000 ferry.\nRead more"}
    r = client.post("/v1/review/score", content=json.dumps(body),  # ASCII escapes: the surrogate as sent
                    headers={**AUTH, "content-type": "application/json"})
    assert r.status_code == 200, r.text
    stored = client.get(f"/v1/review/pages/{r.json()['page_id']}", headers=AUTH).json()
    assert "\ufffd" in stored["blocks"][0]["text"] and "\x00" not in stored["blocks"][0]["text"]


def test_a_save_that_would_undo_another_reviewers_labels_is_refused(client, unseen_pages):
    page = _score(client, html=unseen_pages[3].html)
    url = f"/v1/review/pages/{page['page_id']}/labels"
    opened = client.get(f"/v1/review/pages/{page['page_id']}", headers=AUTH).json()["reviewed"] or 0
    first = client.put(url, json={"labels": [{"position": 0, "label": "story"}], "if_unchanged_since": opened},
                       headers=AUTH)
    assert first.status_code == 200 and first.json()["reviewed"] > opened
    # A second reviewer who opened the page before that save: refused, the first labels stay.
    second = client.put(url, json={"labels": [{"position": 0, "label": "boilerplate"}], "if_unchanged_since": opened},
                        headers=AUTH)
    _error(second, 409, "saved_meanwhile")
    assert client.get(f"/v1/review/pages/{page['page_id']}", headers=AUTH).json()["blocks"][0]["reviewer_label"] \
        == "story"
    # With the time of the save they saw, or without the check, the save goes through.
    again = client.put(url, json={"labels": [{"position": 0, "label": "boilerplate"}],
                                  "if_unchanged_since": first.json()["reviewed"]}, headers=AUTH)
    assert again.status_code == 200
    assert client.put(url, json={"labels": [{"position": 0, "label": "story"}]}, headers=AUTH).status_code == 200
