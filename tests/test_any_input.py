"""Any input: gzip by its magic bytes, standard input, http(s) URLs (a real local server),
unknown encodings refused by name, nearly-UTF-8 pages decoded as UTF-8, binary in a str refused."""
from __future__ import annotations

import gzip
import json
import threading
import time
import warnings
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner

from classifier import InputError, LimitError, load_model
from classifier.decoding import decode_bytes
from extras import require
from serving.cli import main
from serving.page_input import MAX_REDIRECTS, fetch, gunzip, read_page

STORY = ("The harbour board said on Friday that the new sea wall, finished three months after the storms of "
         "January, stands half a metre higher than the old one and should hold for fifty years.")
PAGE = (f"<html><head><title>Sea wall</title></head><body><nav><a href='/'>Home</a></nav><article>"
        f"<h1>The sea wall is finished</h1><p>{STORY}</p><p>Fishermen welcomed the news at the market.</p>"
        f"</article></body></html>").encode()


# ----- a real HTTP server ---------------------------------------------------------------------------
class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep the test output clean
        pass

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in {"Content-Type": "text/html", "Content-Length": str(len(body)), **(headers or {})}.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 (the http.server name)
        path = self.path
        if path == "/story":
            self._send(200, PAGE)
        elif path == "/cyrillic":
            body = "<html><body><p>Городской совет решил отремонтировать старый мост.</p></body></html>"
            self._send(200, body.encode("cp1251"), {"Content-Type": "text/html; charset=windows-1251"})
        elif path == "/moved":
            self._send(302, b"", {"Location": "/story"})
        elif path.startswith("/loop"):
            self._send(302, b"", {"Location": f"/loop{len(path)}"})
        elif path == "/gzipped-body":  # a .html.gz file served as it is
            self._send(200, gzip.compress(PAGE), {"Content-Type": "application/octet-stream"})
        elif path == "/content-encoding":
            self._send(200, gzip.compress(PAGE), {"Content-Encoding": "gzip"})
        elif path == "/huge-declared":
            self.send_response(200)
            self.send_header("Content-Length", str(10 ** 12))
            self.end_headers()
        elif path == "/huge-streamed":
            self.send_response(200)
            self.end_headers()
            for _ in range(40):
                self.wfile.write(b"<p>" + b"x" * 65536 + b"</p>")
        elif path == "/slow":  # answers only when the tests are over: the client's timeout must end it
            TESTS_OVER.wait(timeout=120)
            self._send(200, PAGE)
        elif path == "/drip":  # a byte every so often until the tests are over: only a deadline ends it
            self.send_response(200)
            self.end_headers()
            while not TESTS_OVER.wait(timeout=0.2):
                self.wfile.write(b"<p>drip</p>")
                self.wfile.flush()
        else:
            self._send(404, b"not here", {"Content-Type": "text/plain"})


TESTS_OVER = threading.Event()


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        pass  # a client that stops reading a too-large or too-slow page is what the tests want


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = QuietServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        TESTS_OVER.set()
        httpd.shutdown()
        httpd.server_close()


def extract(*args: str, input: bytes | None = None):
    return CliRunner().invoke(main, ["extract", *args], input=input)


def test_fetch_follows_redirects_and_reports_the_final_url(server):
    page = fetch(f"{server}/moved")
    assert page.url == f"{server}/story" and page.data == PAGE
    assert fetch(f"{server}/cyrillic").charset == "cp1251"


@pytest.mark.parametrize("path, words", [
    ("/missing", "HTTP 404"),
    ("/loop", f"more than {MAX_REDIRECTS} redirects"),
    ("/huge-declared", "the limit is 1,000,000"),
    ("/huge-streamed", "over 1,000,000 bytes"),
    ("/slow", "timed out after 1 s"),
    ("/drip", "timed out after 1 s"),
])
def test_each_fetch_failure_has_its_own_clear_error(server, path, words):
    with pytest.raises(InputError, match=words):
        fetch(f"{server}{path}", max_bytes=1_000_000, timeout=1.0)


def test_fetch_errors_for_no_server_and_a_bad_url():
    with pytest.raises(InputError, match="cannot connect"):
        fetch("http://127.0.0.1:9/nothing", timeout=2.0)
    with pytest.raises(InputError, match="not a URL"):
        fetch("http://[::1/")


def test_fetched_gzip_is_read_by_its_magic_bytes_or_content_encoding(server):
    assert read_page(f"{server}/gzipped-body").data == PAGE
    assert read_page(f"{server}/content-encoding").data == PAGE


def test_extract_a_url_uses_the_final_url_and_the_header_charset(server):
    result = extract(f"{server}/moved", "--format", "json")
    assert result.exit_code == 0, result.output
    assert STORY in json.loads(result.stdout)["story_text"], result.output
    cyrillic = extract(f"{server}/cyrillic")
    assert "Городской совет решил отремонтировать старый мост." in cyrillic.output
    missing = extract(f"{server}/missing")
    assert missing.exit_code == 2 and "HTTP 404" in missing.output


def test_extract_reads_gzip_by_magic_bytes_whatever_the_name(tmp_path):
    for name in ("page.txt", "page", "page.html"):
        (tmp_path / name).write_bytes(gzip.compress(PAGE))
        result = extract(str(tmp_path / name))
        assert result.exit_code == 0 and STORY in result.output, result.output
    assert STORY in extract("-", input=gzip.compress(PAGE)).output
    assert STORY in extract("-", input=PAGE).output


def test_gzip_that_is_cut_short_corrupt_or_a_bomb_is_an_error(tmp_path):
    packed = gzip.compress(PAGE)
    with pytest.raises(InputError, match="cut short"):
        gunzip(packed[:len(packed) // 2], 10_000)
    with pytest.raises(InputError, match="corrupt gzip"):
        gunzip(packed[:12] + bytes(40), 10_000)
    with pytest.raises(LimitError, match="over 1,000,000 bytes"):
        gunzip(gzip.compress(b"a" * 50_000_000), 1_000_000)
    assert gunzip(packed + gzip.compress(b"<p>second member</p>"), 10_000) == PAGE + b"<p>second member</p>"
    (tmp_path / "bad.gz").write_bytes(packed[:20])
    result = extract(str(tmp_path / "bad.gz"))
    assert result.exit_code == 2 and "gzip" in result.output


def test_extract_names_an_unknown_encoding(tmp_path):
    (tmp_path / "page.html").write_bytes(PAGE)
    result = extract(str(tmp_path / "page.html"), "--encoding", "bogus")
    assert result.exit_code == 2 and "unknown encoding 'bogus'" in result.output
    assert STORY in extract(str(tmp_path / "page.html"), "--encoding", "latin1").output


# ----- encodings ---------------------------------------------------------------------------------------
TEXTS = {
    "windows-1252": ("fr", "Le chef a préparé une crème brûlée et un gâteau à l'orange pour la fête du village. "
                           "Les élèves ont goûté à tout, même aux crêpes, et le maire a remercié les bénévoles."),
    "windows-1251": ("ru", "Городской совет во вторник решил отремонтировать старый мост через реку до начала "
                           "весенних паводков. Жители говорят, что ждали слишком долго."),
    "iso-8859-2": ("cs", "Rada města v úterý rozhodla opravit starý most přes řeku ještě před jarními povodněmi. "
                         "Obyvatelé říkají, že čekali příliš dlouho a že oprava měla začít už loni."),
    "shift_jis": ("ja", "市議会は火曜日、春の洪水が始まる前に川に架かる古い橋を修理することを決めた。"
                        "住民は長く待ちすぎたと話している。"),
    "gb18030": ("zh", "市议会周二决定在春季洪水到来之前修复河上的旧桥。居民们说他们已经等得太久了。"),
    "euc-kr": ("ko", "시의회는 화요일에 봄 홍수가 시작되기 전에 강 위의 오래된 다리를 고치기로 결정했다. "
                     "주민들은 너무 오래 기다렸다고 말했다."),
}


def page_in(text: str, lang: str, charset: str | None) -> str:
    meta = f'<meta charset="{charset}">' if charset else ""
    return f'<html lang="{lang}"><head>{meta}<title>t</title></head><body><p>{text}</p></body></html>'


@pytest.mark.parametrize("encoding", TEXTS)
def test_legacy_pages_declared_misdeclared_as_utf8_and_undeclared(encoding):
    lang, text = TEXTS[encoding]
    for declared in (encoding, "utf-8", None):
        decoded, _ = decode_bytes(page_in(text, lang, declared).encode(encoding))
        assert text in decoded, (declared, decoded)
    # the transport charset of an HTTP response does the same as the <meta>
    decoded, _ = decode_bytes(page_in(text, lang, None).encode(encoding), encoding)
    assert text in decoded


@pytest.mark.parametrize("encoding", TEXTS)
def test_nearly_valid_utf8_is_utf8_with_replacements_whatever_is_declared(encoding):
    lang, text = TEXTS[encoding]
    for declared in (encoding, None):
        raw = page_in(text, lang, declared).encode("utf-8")
        cut = raw.index(b"<p>") + 3
        damaged = raw[:cut] + b"\xff" + raw[cut:]  # one stray byte before the paragraph
        decoded, codec = decode_bytes(damaged)
        assert codec == "utf-8" and "\ufffd" + text in decoded
        decoded, codec = decode_bytes(damaged, encoding)  # the HTTP header says the legacy codec
        assert codec == "utf-8" and "\ufffd" + text in decoded


def test_a_stray_byte_does_not_turn_creme_into_crcme():
    raw = '<meta charset="windows-1250"><p>crème brûlée, déjà vu, naïve</p>'.encode()
    raw = raw.replace("déjà".encode(), b"d\xe9j\xc3\xa0")
    blocks = load_model().html_blocks(raw)
    assert blocks[0].text == "crème brûlée, d\ufffdjà vu, naïve"


# ----- binary in a str ---------------------------------------------------------------------------------
BINARY = {"gzip": gzip.compress(PAGE), "png": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8}


@pytest.mark.parametrize("kind", BINARY)
def test_a_str_holding_binary_is_refused_as_the_bytes_are(kind):
    model = load_model()
    data = BINARY[kind]
    with pytest.raises(InputError) as as_bytes:
        model.filter(data)
    for text in (data.decode("latin-1"), data.decode("utf-8", "surrogateescape")):
        for mode in ("auto", "html", "text"):
            with pytest.raises(InputError) as as_str:
                model.filter(text, mode=mode)
            assert str(as_str.value) == str(as_bytes.value)


def test_the_api_refuses_a_binary_str_and_an_unknown_encoding_has_no_field_to_hide_in(trained_model_dir):
    require("fastapi", "serve")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    from serving.app import create_app
    from serving.settings import Settings

    expected = None
    try:
        load_model(trained_model_dir).filter(BINARY["gzip"])
    except InputError as err:
        expected = str(err)
    with TestClient(create_app(Settings(model_dir=trained_model_dir))) as client:
        for _ in range(600):
            if client.get("/readyz").status_code == 200:
                break
            time.sleep(0.1)
        for field in ("html", "text"):
            answer = client.post("/v1/score", json={field: BINARY["gzip"].decode("latin-1")})
            assert answer.status_code == 400, answer.text
            assert answer.json()["error"]["code"] == "bad_page"
            assert answer.json()["error"]["message"] == expected
        # JSON carries text, so the API takes no encoding: one sent is refused, not ignored
        answer = client.post("/v1/score", json={"html": "<p>A story.</p>", "encoding": "bogus"})
        assert answer.status_code == 422 and "encoding" in answer.text


def test_both_hooks_name_an_unknown_encoding():
    from classifier import ArgumentError
    from classifier.hooks import RemoteHook, make_hook

    for hook in (make_hook(), RemoteHook("http://127.0.0.1:9", retries=0)):  # refused before any request
        with pytest.raises(ArgumentError, match="unknown encoding 'bogus'"):
            hook(PAGE, encoding="bogus")
