"""WARC input: HTML responses only, charset from HTTP, corrupt and truncated files, FastWARC vs warcio."""
from __future__ import annotations

import io
from pathlib import Path

import pytest

from batch_pages import CYRILLIC, cp1251_html, gzip_members, html_records, story_html, write_warc
from classifier import load_model
from serving.batch import run_batch
from serving.batch.scoring import BatchOptions, score_chunk_with
from serving.batch.sources import Page, Skip, iter_stream


@pytest.fixture(scope="module")
def model():
    return load_model()


def pages_of(path: Path) -> list:
    with path.open("rb") as f:
        return list(iter_stream(f, path.name, str(path)))


def only_pages(items) -> list[Page]:
    return [i for i in items if isinstance(i, Page)]


def test_only_successful_html_responses_are_pages(tmp_path):
    records = [("https://a.example/1", story_html(1), "text/html; charset=utf-8", 200),
               ("https://a.example/logo.png", b"\x89PNG\r\n\x1a\n....", "image/png", 200),
               ("https://a.example/moved", "<p>Moved</p>", "text/html", 301),
               ("https://a.example/x", "<html><p>XHTML story</p></html>", "application/xhtml+xml", 200),
               ("https://a.example/feed", "{}", "application/json", 200),
               ("https://a.example/2", story_html(2), "", 200)]  # no Content-Type: try it as HTML
    items = pages_of(write_warc(tmp_path / "c.warc.gz", records))
    pages = only_pages(items)
    assert [p.id for p in pages] == ["https://a.example/1", "https://a.example/x", "https://a.example/2"]
    assert all(p.url == p.id and p.kind == "html" and p.error is None for p in pages)
    assert sorted(s.reason for s in items if isinstance(s, Skip)) == [
        "HTTP status 301", "not HTML (application/json)", "not HTML (image/png)"]


def test_charset_comes_from_the_http_header(tmp_path, model):
    body = cp1251_html()
    path = write_warc(tmp_path / "ru.warc", [("https://ru.example/", body, "text/html; charset=windows-1251", 200)],
                      gz=False)
    page, = only_pages(pages_of(path))
    assert page.encoding == "cp1251" and page.data == body
    rows, _ = score_chunk_with(model, [page], BatchOptions())
    assert CYRILLIC in rows[0]["story_text"]
    assert rows[0]["story_text"] == model.filter_html(body, encoding="windows-1251").story_text


def test_fastwarc_reads_the_same_records_as_warcio(tmp_path):
    from warcio.archiveiterator import ArchiveIterator

    path = write_warc(tmp_path / "w.warc.gz", html_records(5))
    with path.open("rb") as f:
        expected = [(r.rec_headers.get_header("WARC-Target-URI"), r.content_stream().read())
                    for r in ArchiveIterator(f) if r.rec_type == "response"]
    assert [(p.id, p.data) for p in only_pages(pages_of(path))] == expected


@pytest.mark.parametrize("gz", [True, False])
def test_a_corrupt_record_costs_that_record_only(tmp_path, gz):
    path = write_warc(tmp_path / ("bad.warc.gz" if gz else "bad.warc"), html_records(6), gz=gz)
    data = bytearray(path.read_bytes())
    if gz:
        # records alternate request/response; smash the middle of the 3rd response's gzip member
        starts = gzip_members(bytes(data))
        at = starts[5] + 60
        data[at:at + 40] = b"\x00" * 40
    else:
        at = data.index(b"WARC/1.", data.index(b"https://news.example.org/story/2"))
        data[at:at] = b"GARBAGE LINE\r\n"
    path.write_bytes(bytes(data))
    pages = only_pages(pages_of(path))
    good = [p.id for p in pages if p.error is None]
    bad = [p for p in pages if p.error is not None]
    assert len(bad) == 1 and "corrupt WARC" in bad[0].error
    lost = {f"https://news.example.org/story/{i}" for i in range(6)} - set(good)
    assert len(lost) <= 1  # the damaged record at most; every record after it is read
    assert "https://news.example.org/story/5" in good and "https://news.example.org/story/4" in good


def test_truncated_and_empty_warcs_keep_what_is_readable(tmp_path, model):
    path = write_warc(tmp_path / "cut.warc.gz", html_records(4))
    data = path.read_bytes()
    starts = gzip_members(data)
    path.write_bytes(data[:starts[-1] + 50])  # the last response is cut in its middle
    (tmp_path / "empty.warc").write_bytes(b"")
    (tmp_path / "noise.warc.gz").write_bytes(b"this is not a warc file at all\n" * 10)
    out = tmp_path / "o.jsonl"
    summary = run_batch([path, tmp_path / "empty.warc", tmp_path / "noise.warc.gz"], out, progress=False)
    import json

    rows = [json.loads(line) for line in out.read_text().splitlines()]
    good = [r["id"] for r in rows if r["error"] is None]
    assert good == [f"https://news.example.org/story/{i}" for i in range(3)]
    assert summary.errors == 2 and summary.pages == 5  # one error row per broken file
    assert summary.empty_inputs == 1 and "1 without pages" in summary.line()
    assert rows[0]["story_text"] == model.filter_html(story_html(0).encode(), encoding="utf-8").story_text


def test_an_unseekable_stream_is_an_error_row_not_a_crash(tmp_path):
    path = write_warc(tmp_path / "w.warc.gz", html_records(2))

    class Pipe(io.RawIOBase):
        def __init__(self, raw: bytes) -> None:
            self._buf = io.BytesIO(raw)

        def readable(self) -> bool:
            return True

        def readinto(self, b) -> int:
            chunk = self._buf.read(len(b))
            b[:len(chunk)] = chunk
            return len(chunk)

    page, = only_pages(iter_stream(io.BufferedReader(Pipe(path.read_bytes())), "w.warc.gz", "pipe"))
    assert "seekable" in page.error
