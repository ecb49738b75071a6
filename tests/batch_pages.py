"""Small pages written for the batch, WARC and Spark tests, and writers for every input kind."""
from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

TEASERS = ["Ten things to do this weekend", "Why the market fell again", "A new bridge opens downtown",
           "The best soup you will ever make"]


def story_html(n: int, title: str = "Council approves the harbour plan", charset: str | None = "utf-8") -> str:
    """An article page with navigation, a story and a "Recommended for you" teaser box."""
    meta = f'<meta charset="{charset}">' if charset else ""
    paragraphs = "".join(
        f"<p>Paragraph {i} of story {n}: the council met on Tuesday evening and argued for three hours "
        f"about the harbour, the ferries and the cost of dredging the channel before the vote.</p>"
        for i in range(4))
    teasers = "".join(f'<li><a href="/t/{i}">{t}</a></li>' for i, t in enumerate(TEASERS))
    return (f"<!doctype html><html><head>{meta}<title>{title} {n}</title></head><body>"
            f'<nav class="site-nav"><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li></ul></nav>'
            f"<article><h1>{title} {n}</h1>{paragraphs}</article>"
            f'<aside class="recommended"><h2>Recommended for you</h2><ul>{teasers}</ul></aside>'
            f"<footer>Copyright 2026 The Harbour Gazette</footer></body></html>")


def story_text(n: int) -> str:
    """A page already turned into text, one paragraph a line."""
    lines = ["Home | News | Sport", f"Rain returns to the valley {n}"]
    lines += [f"Line {i} of text story {n}: farmers welcomed the first rain in weeks, saying the wheat "
              "fields would recover if the showers last until the end of the month." for i in range(3)]
    lines += ["Recommended for you"] + TEASERS
    return "\n".join(lines) + "\n"


CYRILLIC = "Городской совет одобрил план строительства новой гавани после долгого обсуждения."


def cp1251_html() -> bytes:
    """A Russian page in windows-1251 with no <meta charset>: only the HTTP header tells."""
    page = f"<html><body><article><p>{CYRILLIC}</p><p>{CYRILLIC} Ещё раз.</p></article></body></html>"
    return page.encode("cp1251")


def write_jsonl(path: Path, rows: list[dict], gz: bool = False) -> Path:
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def write_warc(path: Path, records: list[tuple], gz: bool = True) -> Path:
    """A WARC file via warcio: ``records`` are ``(uri, body, content_type, status)``; each response
    gets a matching request record before it, as crawlers write them."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with path.open("wb") as f:
        writer = WARCWriter(f, gzip=gz)
        for uri, body, content_type, status in records:
            req = StatusAndHeaders(f"GET {uri} HTTP/1.1", [("Host", "example.org")], is_http_request=True)
            writer.write_record(writer.create_warc_record(uri, "request", http_headers=req))
            headers = [("Content-Type", content_type)] if content_type else []
            http = StatusAndHeaders(f"{status} OK", headers, protocol="HTTP/1.1")
            body_bytes = body.encode("utf-8") if isinstance(body, str) else body
            writer.write_record(writer.create_warc_record(uri, "response", payload=io.BytesIO(body_bytes),
                                                          http_headers=http))
    return path


def html_records(count: int, start: int = 0) -> list[tuple]:
    return [(f"https://news.example.org/story/{i}", story_html(i), "text/html; charset=utf-8", 200)
            for i in range(start, start + count)]


def gzip_members(data: bytes) -> list[int]:
    """Offsets of the gzip members of a per-record-gzipped WARC (where each record starts)."""
    import zlib

    offsets, pos = [], 0
    while pos < len(data):
        offsets.append(pos)
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        d.decompress(data[pos:])
        pos = len(data) - len(d.unused_data)
    return offsets
