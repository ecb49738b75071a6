"""Bytes to text: BOM, UTF-8, HTTP charset, <meta>, detection; binary input is refused."""
from __future__ import annotations

import codecs
import gzip
import json
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier.decoding import (
    binary_kind,
    charset_from_headers,
    decode_bytes,
    decode_for_parser,
    looks_binary,
    looks_binary_text,
    normalize_encoding,
    sniff_encoding,
)
from classifier.errors import InputError

PAGES = Path(__file__).resolve().parent / "pages"
EXPECTED = json.loads((PAGES / "expected.json").read_text(encoding="utf-8"))

FRENCH = "<p>Le marché couvert a rouvert samedi matin, après deux années de travaux très attendus.</p>"
RUSSIAN = "<p>В посёлке открылась новая детская библиотека, при ней работает мастерская.</p>"


def page(body: str, head: str = "") -> str:
    return f"<!DOCTYPE html><html><head>{head}<title>t</title></head><body>{body}</body></html>"


# ----- the test pages -----------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_test_pages_decode_as_expected(name):
    data = (PAGES / name).read_bytes()
    expected = EXPECTED[name]["encoding"]
    text, codec = decode_bytes(data)
    assert codec == normalize_encoding(expected)
    assert text == data.decode(expected)
    flat = " ".join(text.split())
    for snippet in EXPECTED[name]["story_snippets"]:
        assert snippet in flat


def test_latin1_page_is_read_through_its_meta_charset():
    data = (PAGES / "latin1.html").read_bytes()
    assert b'charset="iso-8859-1"' in data.lower()
    text, codec = decode_bytes(data)
    assert codec == "cp1252"  # browsers read the iso-8859-1 label as windows-1252
    assert "Le marché couvert de Saint-Aubrac" in text
    assert "\ufffd" not in text


def test_cp1251_page_without_declaration_is_detected():
    data = (PAGES / "cp1251_noheader.html").read_bytes()
    assert b"charset" not in data.lower()
    text, codec = decode_bytes(data)
    assert codec == "cp1251"
    assert "В посёлке Заречье" in text


# ----- byte-order marks and UTF-16/32 ---------------------------------------------------------
@pytest.mark.parametrize("codec, bom", [
    ("utf-8", codecs.BOM_UTF8), ("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE),
    ("utf-32-le", codecs.BOM_UTF32_LE), ("utf-32-be", codecs.BOM_UTF32_BE),
])
def test_bom_wins_and_is_removed(codec, bom):
    html = page(FRENCH, '<meta charset="windows-1251">')
    data = bom + html.encode(codec)
    text, found = decode_bytes(data, declared="koi8-r")
    assert found == codec
    assert text == html


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_utf16_and_utf32_without_bom_are_recognised_not_called_binary(codec):
    html = page("<p>Plain words and " + FRENCH + "</p>")
    text, found = decode_bytes(html.encode(codec))
    assert (found, text) == (codec, html)


# ----- UTF-8 first ----------------------------------------------------------------------------------
def test_ascii_and_utf8_pages():
    assert decode_bytes(b"<p>hello</p>") == ("<p>hello</p>", "utf-8")
    html = page(FRENCH + RUSSIAN + "<p>日本語 ✓</p>")
    assert decode_bytes(html.encode("utf-8")) == (html, "utf-8")


def test_valid_utf8_wins_over_a_wrong_declaration():
    html = page(FRENCH, '<meta charset="iso-8859-1">')
    text, codec = decode_bytes(html.encode("utf-8"), declared="windows-1251")
    assert codec == "utf-8"
    assert text == html


def test_utf8_cut_inside_its_last_character_stays_utf8():
    data = page("<p>Ein schöner Tag</p>").encode("utf-8") + "ü".encode("utf-8")[:1]
    text, codec = decode_bytes(data)
    assert codec == "utf-8"
    assert "schöner" in text and text.endswith("\ufffd")


def test_mostly_utf8_with_a_stray_byte_stays_utf8():
    data = page(FRENCH + RUSSIAN).encode("utf-8").replace(b"</body>", b"\xe9</body>")
    text, codec = decode_bytes(data)
    assert codec == "utf-8"
    assert "marché" in text and "посёлке" in text and "\ufffd" in text


# ----- declarations ----------------------------------------------------------------------------------
def test_http_charset_is_used_for_legacy_bytes():
    data = page(RUSSIAN).encode("cp1251")
    assert decode_bytes(data, declared="windows-1251") == (page(RUSSIAN), "cp1251")
    data = page(RUSSIAN).encode("koi8-r")
    assert decode_bytes(data, declared="KOI8-R")[0] == page(RUSSIAN)


def test_http_charset_beats_meta():
    html = page(RUSSIAN, '<meta charset="windows-1251">')
    text, codec = decode_bytes(html.encode("koi8-r"), declared="koi8-r")
    assert (text, codec) == (html, "koi8-r")


@pytest.mark.parametrize("meta", [
    '<meta charset="windows-1251">',
    "<meta charset=windows-1251>",
    '<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=windows-1251">',
    '<meta http-equiv="content-type" content="text/html;charset=cp1251" />',
])
def test_meta_charset_forms(meta):
    html = page(RUSSIAN, meta)
    assert decode_bytes(html.encode("cp1251")) == (html, "cp1251")


def test_meta_after_a_long_head_is_still_found():
    html = page(RUSSIAN, "<style>" + "p { margin: 0 }\n" * 400 + "</style>" + '<meta charset="koi8-r">')
    assert html.index("koi8-r") > 4096
    assert decode_bytes(html.encode("koi8-r")) == (html, "koi8-r")


def test_xml_declaration():
    html = '<?xml version="1.0" encoding="windows-1251"?>\n' + page(RUSSIAN)
    assert decode_bytes(html.encode("cp1251")) == (html, "cp1251")


def test_meta_utf16_in_an_ascii_compatible_page_means_utf8():
    html = page(FRENCH, '<meta charset="utf-16">')
    assert decode_bytes(html.encode("utf-8")) == (html, "utf-8")
    assert decode_bytes(b'<meta charset="utf-16"><p>hi</p>') == ('<meta charset="utf-16"><p>hi</p>', "utf-8")


def test_declared_utf8_that_is_not_utf8_is_detected():
    html = page(FRENCH * 3, '<meta charset="utf-8">')
    text, codec = decode_bytes(html.encode("cp1252"))
    assert codec == "cp1252"
    assert "après deux années" in text


def test_iso_2022_jp_is_seven_bit_and_declared():
    html = page("<p>新しい図書館が開館しました。</p>", '<meta charset="iso-2022-jp">')
    data = html.encode("iso2022_jp")
    assert data.isascii()
    assert decode_bytes(data) == (html, "iso2022_jp")


BAD_LABELS = ["rot13", "rot-13", "hex", "base64", "zlib", "bz2", "uu", "quopri", "idna", "punycode",
              "undefined", "unicode_escape", "raw_unicode_escape", "utf-7", "palmos", "mbcs", "x-nonsense",
              "", " ", "utf\x00-8", "\udcff", "a" * 500, "utf-8-sig;", "'\"<>"]


@pytest.mark.parametrize("label", BAD_LABELS)
def test_labels_that_are_not_text_encodings_are_ignored(label):
    assert normalize_encoding(label) is None or label.strip() == ""
    data = b'<html><head><meta charset="' + label.encode("utf-8", "surrogatepass") + b'"></head>' \
           b"<body><p>caf\xe9 au lait et cr\xe8me br\xfbl\xe9e pour tout le monde</p></body></html>"
    text, codec = decode_bytes(data, declared=label)
    # The label is ignored: detection picks a web encoding (which one may vary with the
    # detector's version when the page holds stray bytes) that reads the text right.
    assert normalize_encoding(codec) is not None
    assert "café au lait et crème brûlée" in text


def test_normalize_encoding_follows_the_whatwg_labels():
    assert normalize_encoding("ISO-8859-1") == "cp1252"
    assert normalize_encoding("us-ascii") == "cp1252"
    assert normalize_encoding("latin-1") == "cp1252"  # Python's name, same encoding
    assert normalize_encoding(" Windows-1251 ") == "cp1251"
    assert normalize_encoding("ks_c_5601-1987") == "cp949"
    assert normalize_encoding("shift_jis") == "cp932"
    assert normalize_encoding("gb2312") == "gb18030"
    assert normalize_encoding("big5") == "big5hkscs"
    assert normalize_encoding("x-mac-cyrillic") == "mac-cyrillic"
    assert normalize_encoding("tis-620") == "cp874"
    assert normalize_encoding("utf8") == "utf-8"
    assert normalize_encoding("utf-16") == "utf-16-le"
    assert normalize_encoding(None) is None
    assert normalize_encoding(1251) is None


def test_charset_from_headers():
    assert charset_from_headers({"Content-Type": "text/html; charset=ISO-8859-1"}) == "cp1252"
    assert charset_from_headers({"content-type": 'text/html; charset="koi8-r"'}) == "koi8-r"
    assert charset_from_headers({"Content-Type": "text/html"}) is None
    assert charset_from_headers({"Content-Type": "text/html; charset=rot13"}) is None
    assert charset_from_headers({"X-Other": "charset=utf-8"}) is None
    assert charset_from_headers(None) is None


# ----- detection --------------------------------------------------------------------------------
@pytest.mark.parametrize("text, codec", [
    ("<p>Привет мир, как дела у вас сегодня? Всё хорошо, спасибо.</p>", "cp1251"),
    ("<p>В посёлке открылась новая детская библиотека с мастерской.</p>", "koi8-r"),
    ("<p>Η βιβλιοθήκη άνοιξε σήμερα στην πόλη με πολλά βιβλία.</p>", "cp1253"),
    ("<p>新しい図書館が今日開館しました。本がたくさんあります。</p>", "cp932"),
    ("<p>새로운 도서관이 오늘 문을 열었습니다. 책이 많이 있습니다.</p>", "cp949"),
    (FRENCH, "cp1252"),
])
def test_detection_of_undeclared_legacy_pages(text, codec):
    html = page(text)
    assert decode_bytes(html.encode(codec)) == (html, codec)


def test_detection_uses_html_lang_when_the_text_is_short():
    html = '<html lang="ru"><body><p>Привет мир</p></body></html>'
    assert decode_bytes(html.encode("cp1251")) == (html, "cp1251")


def test_a_few_legacy_bytes_fall_back_to_windows_1252():
    assert decode_bytes(b"<p>caf\xe9</p>") == ("<p>café</p>", "cp1252")


def test_detection_sees_text_after_a_long_ascii_head():
    html = page("<script>" + "var a = 1;\n" * 20000 + "</script>" + RUSSIAN * 3)
    assert decode_bytes(html.encode("cp1251")) == (html, "cp1251")


def test_sniff_encoding_matches_decode_bytes():
    for data in (b"<p>x</p>", page(RUSSIAN).encode("cp1251"), codecs.BOM_UTF16_LE + "<p>x</p>".encode("utf-16-le")):
        assert sniff_encoding(data) == decode_bytes(data)[1]


# ----- binary input ------------------------------------------------------------------------------
@pytest.mark.parametrize("data, kind", [
    (gzip.compress(b"<p>hello</p>" * 50), "gzip"),
    (b"\x89PNG\r\n\x1a\n" + bytes(200), "PNG"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << >> endobj", "PDF"),
    (b"PK\x03\x04" + bytes(100), "zip"),
    (b"\xff\xd8\xff\xe0" + bytes(100), "JPEG"),
    (b"GIF89a" + bytes(50), "GIF"),
])
def test_known_binary_formats_are_refused_by_name(data, kind):
    assert looks_binary(data)
    with pytest.raises(InputError, match=kind):
        decode_bytes(data)


def test_random_bytes_are_binary():
    data = random.Random(3).randbytes(20000)
    assert binary_kind(data) is not None
    with pytest.raises(InputError, match="not an HTML or text page"):
        decode_bytes(data)


def test_reject_binary_false_decodes_anyway():
    data = random.Random(4).randbytes(5000)
    text, codec = decode_bytes(data, reject_binary=False)
    assert codec == "cp1252"  # no BOM, not UTF-8, no declaration: the Western fallback
    assert len(text) == len(data) and text == data.decode("cp1252", errors="replace")
    assert text.count("\ufffd") == sum(data.count(bytes([b])) for b in (0x81, 0x8D, 0x8F, 0x90, 0x9D))


def test_a_stray_nul_or_control_byte_does_not_make_text_binary():
    data = page("<p>one\x00 two\x01 three</p>" + "<p>more text here</p>" * 20).encode()
    assert not looks_binary(data)
    assert "one" in decode_bytes(data)[0]


def test_looks_binary_text_for_str():
    assert looks_binary_text("\x00\x01\x02\x03\x04\x05" * 20)
    assert not looks_binary_text("ordinary text\twith tabs\nand lines\x0c")
    assert not looks_binary_text("a\x00b")


def test_empty_and_buffer_types():
    assert decode_bytes(b"") == ("", "utf-8")
    assert decode_bytes(bytearray(b"<p>x</p>")) == ("<p>x</p>", "utf-8")
    assert decode_bytes(memoryview(b"<p>x</p>")) == ("<p>x</p>", "utf-8")
    with pytest.raises(InputError, match="expected bytes"):
        decode_bytes("<p>x</p>")  # type: ignore[arg-type]


# ----- the parser fast path ---------------------------------------------------------------------
def test_decode_for_parser_hands_utf8_bytes_through():
    data = page(FRENCH + RUSSIAN).encode("utf-8")
    out, codec = decode_for_parser(data)
    assert out is data and codec == "utf-8"  # handed through as they are: no decode, no copy
    ascii_page = page("<p>plain</p>").encode()
    assert decode_for_parser(ascii_page) == (ascii_page, "utf-8")


@pytest.mark.parametrize("data", [
    page(RUSSIAN).encode("cp1251"),
    codecs.BOM_UTF8 + page(FRENCH).encode(),
    page(FRENCH).encode("utf-16"),
    page("<p>新しい図書館</p>", '<meta charset="iso-2022-jp">').encode("iso2022_jp"),
])
def test_decode_for_parser_decodes_everything_else_like_decode_bytes(data):
    assert decode_for_parser(data) == decode_bytes(data)


# ----- never crash ----------------------------------------------------------------------------------
LABELS = st.sampled_from([None, "utf-8", "windows-1251", "iso-8859-1", "shift_jis", "utf-16", "rot13",
                          "base64", "x-nope", "iso-2022-jp", "gbk", "euc-kr"])


@settings(max_examples=300, deadline=None, database=None)
@given(data=st.binary(max_size=600), declared=LABELS)
def test_decoding_any_bytes_never_raises(data, declared):
    text, codec = decode_bytes(data, declared, reject_binary=False)
    assert codecs.lookup(codec)
    # the text is the bytes read with the codec it names (bad bytes replaced, a byte-order mark dropped)
    assert text == data.decode(codec, errors="replace").removeprefix("\ufeff")
    out, codec2 = decode_for_parser(data, declared, reject_binary=False)
    assert (out.decode("utf-8") if isinstance(out, bytes) else out) == text


@settings(max_examples=200, deadline=None, database=None)
@given(text=st.text(max_size=200), codec=st.sampled_from(["utf-8", "utf-16", "utf-32", "utf-8-sig"]))
def test_unicode_with_bom_round_trips(text, codec):
    data = text.encode(codec, "surrogatepass") if codec != "utf-8" else codecs.BOM_UTF8 + text.encode("utf-8",
                                                                                                       "surrogatepass")
    try:
        expected = data.decode(codec)
    except UnicodeDecodeError:
        return  # lone surrogates do not round-trip in any codec
    if codec == "utf-16" and text.startswith("\x00"):
        return  # FF FE 00 00 is also the UTF-32 byte-order mark
    if codec == "utf-8":
        expected = expected.removeprefix("\ufeff")
    assert decode_bytes(data, reject_binary=False)[0] == expected
