"""The generic scraper hook: in process, and against a real ``storyfilter serve`` process."""
from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import import_module

import pytest
import tomllib
from scrapy_site import CP1252_STORY, FIXED_STORIES, PNG, TEASERS, news_site
from service_process import REPO, free_port, running_service

from extras import require

from classifier import InputError, ModelError, load_model
from classifier.hooks import LocalHook, PageHook, RemoteHook, RemoteScoringError, make_hook, page_hints

KEY = "hook-test-key"
CP1252 = {"Content-Type": "text/html; charset=windows-1252"}


@pytest.fixture(scope="module")
def site():
    return news_site()


@pytest.fixture(scope="module")
def local() -> LocalHook:
    return make_hook()


@pytest.fixture(scope="module")
def service() -> Iterator[str]:
    require("fastapi", "serve")
    with running_service("--api-key", KEY) as base:
        yield base


# ----- headers ---------------------------------------------------------------------------------
@pytest.mark.parametrize("headers, expected", [
    ({"Content-Type": "text/html; charset=windows-1252"}, ("cp1252", "html")),
    ({b"Content-Type": [b"text/html;charset=Shift_JIS"]}, ("cp932", "html")),  # Scrapy's Headers shape
    ({"content-type": "text/plain; charset=utf-8"}, ("utf-8", "text")),
    ({"CONTENT-TYPE": "application/xhtml+xml"}, (None, "html")),
    ({"Content-Type": "application/octet-stream; charset=rot13"}, (None, None)),
    ({"Server": "x"}, (None, None)),
    (None, (None, None)),
])
def test_page_hints_read_any_headers_mapping(headers, expected):
    assert page_hints(headers) == expected


# ----- in process ------------------------------------------------------------------------------
def test_local_hook_is_the_library_result(local, site):
    page = site["/story/1"].body
    assert isinstance(local, PageHook)
    assert local(page, url="http://x/story/1") == load_model().filter_html(page, url="http://x/story/1")
    story = local(page).story_text
    assert all(p in story for p in FIXED_STORIES[1][1])
    assert not any(t in story for t in TEASERS) and "RECOMMENDED" not in story


def test_local_hook_takes_the_charset_from_the_headers(local, site):
    page = site["/story/cafe"].body  # windows-1252, no <meta charset>
    story = local(page, headers=CP1252).story_text
    assert "“more visitors in one month than in the whole of last summer”" in story
    assert "€2.50" in story and "Léa Fontaine" in story
    assert local(page, headers=CP1252).story_text == local(page.decode("cp1252")).story_text


def test_local_hook_text_mode_from_the_content_type(local):
    text = "\n".join(FIXED_STORIES[2][1])
    r = local(text.encode("utf-8"), headers={"Content-Type": "text/plain; charset=utf-8"})
    assert r.mode == "text" and all(b.path is None for b in r.blocks)
    assert local(text, mode="html").mode == "html"


def test_local_hook_threshold_and_bad_input(local, site):
    page = site["/story/3"].body
    assert local(page, threshold=1.0).story_text == ""
    assert make_hook(threshold=0.0)(page).story_text.count("\n\n") == len(local(page).blocks) - 1
    with pytest.raises(InputError, match="PNG"):
        local(PNG)
    with pytest.raises(ValueError, match="mode"):
        local(page, mode="xml")


def test_make_hook_fails_early_and_clearly(tmp_path):
    with pytest.raises(ModelError, match="no such model directory"):
        make_hook(tmp_path / "missing")
    with pytest.raises(ValueError, match="threshold"):
        make_hook(threshold=1.5)
    with pytest.raises(ValueError, match="not both"):
        make_hook(tmp_path, api_url="http://127.0.0.1:1")
    with pytest.raises(ValueError, match="http"):
        make_hook(api_url="ftp://example.org")


def test_make_hook_is_the_declared_entry_point():
    meta = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    target = meta["project"]["entry-points"]["storyfilter.hooks"]["storyfilter"]
    module, _, name = target.partition(":")
    assert getattr(import_module(module), name) is make_hook


def test_other_tools_find_the_hook_through_the_installed_entry_point():
    from importlib.metadata import PackageNotFoundError, distribution, entry_points

    try:
        distribution("storyfilter")
    except PackageNotFoundError:
        pytest.skip("storyfilter is not installed (pip install .): no entry points to find")
    found = entry_points(group="storyfilter.hooks")["storyfilter"].load()
    assert found.__module__ == "classifier.hooks" and found.__name__ == "make_hook"


# ----- the scoring service -------------------------------------------------------------------
@pytest.mark.parametrize("transport", ["httpx", "urllib"])
def test_remote_hook_matches_the_local_one(service, local, site, transport):
    if transport == "httpx":
        require("httpx")
    remote = RemoteHook(service, api_key=KEY, transport=transport)
    for path, headers in (("/story/1", None), ("/story/cafe", CP1252), ("/story/broken", None)):
        page = site[path].body
        want, got = local(page, headers=headers), remote(page, url="http://x" + path, headers=headers)
        assert got.story_text == want.story_text and got.story_text
        assert [(b.label, b.text, b.kind, b.path) for b in got.blocks] == \
               [(b.label, b.text, b.kind, b.path) for b in want.blocks]
        assert got.model_name == want.model_name and got.mode == "html"
    text = "\n".join(CP1252_STORY[1])
    assert remote(text, headers={"Content-Type": "text/plain"}).story_text == local(text, mode="text").story_text
    assert remote(site["/story/2"].body, threshold=1.0).story_text == ""
    # a lone surrogate (surrogateescape-decoded bytes) travels as a JSON escape
    assert remote("A long line of story text \udcff about the harbour.", mode="text").mode == "text"


def test_remote_hook_errors(service):
    remote = make_hook(api_url=service, api_key=KEY)
    with pytest.raises(InputError, match="PNG"):  # refused here, no round trip
        remote(PNG)
    with pytest.raises(InputError):  # the service's 400 bad_page is the same exception
        remote("\x00\x01\x02\x03\x04\x05" * 50, mode="text")
    with pytest.raises(RemoteScoringError, match="API key") as err:
        make_hook(api_url=service, api_key="wrong")("<p>Some story text.</p>")
    assert err.value.status == 401
    assert {m["mode"] for m in remote.model_info()["models"]} == {"html", "text"}


def test_remote_hook_gives_up_on_a_closed_port():
    remote = RemoteHook(f"http://127.0.0.1:{free_port()}", retries=2, backoff=0.01)
    with pytest.raises(RemoteScoringError, match="unreachable after 3 attempts"):
        remote("<p>A story.</p>")


# ----- retry policy, against a scripted HTTP server ---------------------------------------------
RESULT = {"model": {"name": "m", "version": "1"}, "mode": "html", "story_text": "Kept.",
          "blocks": [{"index": 0, "text": "Kept.", "label": "story", "score": 0.9, "kind": "paragraph",
                      "path": "body>p"}]}


@contextmanager
def scripted_service(answers: list[tuple[int, dict, threading.Event | None]]) -> Iterator[tuple[str, list[dict]]]:
    """A server that answers POSTs with ``answers`` in turn: (status, JSON body, an event to wait for first)."""
    seen: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            seen.append({"body": json.loads(self.rfile.read(int(self.headers["Content-Length"]))),
                         "key": self.headers.get("X-API-Key")})
            status, body, hold = answers[min(len(seen), len(answers)) - 1]
            if hold is not None:
                hold.wait(timeout=60)
            data = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if status in (429, 503):
                    self.send_header("Retry-After", "0.01")
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


NOT_READY = {"error": {"code": "not_ready", "message": "model loading"}}
FULL = {"error": {"code": "too_many_requests", "message": "worker full"}}


@pytest.mark.parametrize("transport", ["httpx", "urllib"])
def test_remote_hook_retries_503_and_429_only(transport):
    if transport == "httpx":
        require("httpx")
    with scripted_service([(503, NOT_READY, None), (429, FULL, None), (200, RESULT, None)]) as (url, seen):
        r = RemoteHook(url, api_key="k", transport=transport, backoff=0.01)("<p>Kept.</p>", url="http://x/a")
        assert r.story_text == "Kept." and r.blocks[0].label == "story"
        assert len(seen) == 3 and seen[0] == {"body": {"html": "<p>Kept.</p>", "include_blocks": True,
                                                       "url": "http://x/a"}, "key": "k"}
    internal = {"error": {"code": "internal", "message": "boom"}}
    with scripted_service([(500, internal, None), (200, RESULT, None)]) as (url, seen):
        with pytest.raises(RemoteScoringError, match="HTTP 500 internal: boom"):
            RemoteHook(url, transport=transport, backoff=0.01)("<p>x</p>")
        assert len(seen) == 1
    with scripted_service([(503, NOT_READY, None)]) as (url, seen):
        with pytest.raises(RemoteScoringError, match="503"):
            RemoteHook(url, transport=transport, retries=1, backoff=0.01)("<p>x</p>")
        assert len(seen) == 2
    too_slow = {"error": {"code": "time_budget_exceeded", "message": "slow"}}
    with scripted_service([(503, too_slow, None), (200, RESULT, None)]) as (url, seen):
        with pytest.raises(RemoteScoringError, match="time_budget_exceeded"):  # sending it again costs the same
            RemoteHook(url, transport=transport, backoff=0.01)("<p>x</p>")
        assert len(seen) == 1


@pytest.mark.parametrize("transport", ["httpx", "urllib"])
def test_remote_hook_read_timeout_is_not_retried(transport):
    if transport == "httpx":
        require("httpx")
    answer = threading.Event()  # the server answers only once the client has given up
    with scripted_service([(200, RESULT, answer)]) as (url, seen):
        try:
            with pytest.raises(RemoteScoringError, match="did not answer"):
                RemoteHook(url, timeout=0.2, transport=transport)("<p>x</p>")
        finally:
            answer.set()
        assert len(seen) == 1
