"""The decoding order rule by rule (classifier/decoding.py's docstring), each at its edge."""
from __future__ import annotations

import codecs

import pytest

from classifier.decoding import decode_bytes, sniff_encoding, utf8_safe

CYRILLIC = "Городской совет решил отремонтировать старый мост"


def few(raw: bytes, lang: str | None = None) -> bytes:
    """A page with fewer than eight non-ASCII bytes: too few for the detector."""
    attr = f' lang="{lang}"' if lang else ""
    return f"<html{attr}><body><p>Plain words and then: ".encode() + raw + b"</p></body></html>"


@pytest.mark.parametrize("bom, codec", [
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
])
def test_a_byte_order_mark_wins_and_is_dropped(bom, codec):
    data = bom + "<p>Straße</p>".encode(codec)
    assert decode_bytes(data, declared="windows-1251") == ("<p>Straße</p>", codec)


@pytest.mark.parametrize("lang, raw, codec", [
    (None, b"\xe9t\xe9", "cp1252"),  # no language: the Western default
    ("ru", b"\xcc\xee\xf1\xf2", "cp1251"), ("RU-ru", b"\xcc\xee\xf1\xf2", "cp1251"),
    ("el", b"\xe1\xe2", "cp1253"), ("tr", b"\xfe\xf0", "cp1254"), ("he", b"\xf9\xec", "cp1255"),
    ("ar", b"\xc7\xe1", "cp1256"), ("lt", b"\xe0\xe8", "cp1257"), ("vi", b"\xe0\xe1", "cp1258"),
    ("th", b"\xa1\xa2", "cp874"), ("ja", b"\x82\xa0", "cp932"), ("ko", b"\xb0\xa1", "cp949"),
    ("zh", b"\xc4\xe3", "gb18030"), ("zh-TW", b"\xa7\x41", "big5hkscs"), ("zh_hk", b"\xa7\x41", "big5hkscs"),
    ("zh-Hant", b"\xa7\x41", "big5hkscs"), ("zh-MO", b"\xa7\x41", "big5hkscs"), ("zh-CN", b"\xc4\xe3", "gb18030"), ("xx", b"\xe9", "cp1252"),
    # Central European: windows-1250 when a letter sits at 0x80-0x9F, else ISO-8859-2
    ("pl", b"\x9cwi\xea", "cp1250"), ("cs", b"\xb9\xe8", "iso8859-2"),
])
def test_with_few_non_ascii_bytes_the_page_language_picks_the_codec(lang, raw, codec):
    data = few(raw, lang)
    assert sniff_encoding(data) == codec
    assert decode_bytes(data) == (data.decode(codec, "replace"), codec)


@pytest.mark.parametrize("head, codec", [
    ('<meta charset="windows-1251">', "cp1251"), ("<META CHARSET=KOI8-R>", "koi8-r"),
    ('<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">', "cp1251"),
    ("<meta charset=' iso-8859-5'>", "iso8859-5"),
])
def test_meta_charset_names_the_codec_of_bytes_that_are_not_utf8(head, codec):
    data = f"<html><head>{head}</head><body><p>".encode() + CYRILLIC.encode(codec) + b"</p></body></html>"
    assert decode_bytes(data) == (data.decode(codec), codec)


def test_xml_declaration_and_the_order_of_declarations():
    body = CYRILLIC.encode("cp1251")
    xml = b'<?xml version="1.0" encoding="windows-1251"?><html><body><p>' + body + b"</p></body></html>"
    assert sniff_encoding(xml) == "cp1251"
    meta = b'<html><head><meta charset="koi8-r"></head><body><p>' + body + b"</p></body></html>"
    assert sniff_encoding(meta) == "koi8-r"  # the page's own declaration, even a wrong one
    assert sniff_encoding(meta, declared="windows-1251") == "cp1251"  # the transport's wins over it
    assert sniff_encoding(meta, declared="utf-16") == "koi8-r"  # no NULs, no BOM: not UTF-16


def test_a_wide_declaration_in_ascii_is_not_believed():
    body = CYRILLIC.encode("cp1251")
    meta = b'<html><head><meta charset="utf-16"></head><body><p>' + body + b"</p></body></html>"
    xml = b'<?xml version="1.0" encoding="utf-16"?><p>' + body + b"</p>"
    for data in (meta, xml):
        assert sniff_encoding(data) not in ("utf-16-le", "utf-16-be")


def test_a_declaration_past_the_sniffed_head_is_not_read():
    body = b'<meta charset="koi8-r"><p>' + CYRILLIC.encode("cp1251") + b"</p></body></html>"
    early = b"<html><body>" + body
    late = b"<html><body>" + b"<!-- padding -->" * 1100 + body
    assert sniff_encoding(early) == "koi8-r"  # read, and believed though wrong
    assert len(late) > 16384 and sniff_encoding(late) == "cp1251"  # not read: the detector decides


def test_a_page_cut_inside_its_last_utf8_character_is_utf8():
    data = "<p>Plain text ending in é".encode()[:-1]  # the last character loses a byte
    assert decode_bytes(data) == ("<p>Plain text ending in \ufffd", "utf-8")
    assert decode_bytes(data, declared="windows-1251")[1] == "cp1251"  # a declaration comes first


def test_declared_utf8_is_trusted_only_when_the_bytes_are_mostly_utf8():
    legacy = f"<p>{CYRILLIC}</p>".encode("cp1251")
    assert sniff_encoding(legacy, declared="utf-8") == "cp1251"
    damaged = "<p>crème brûlée, déjà vu</p>".encode() + b"\xff"
    assert sniff_encoding(damaged, declared="utf-8") == "utf-8"


def test_iso_2022_jp_is_read_only_when_declared():
    data = "<p>新しい図書館</p>".encode("iso2022_jp")
    assert data.isascii() and b"\x1b" in data
    assert decode_bytes(data) == (data.decode("ascii"), "utf-8")  # 7-bit: plain UTF-8 unless it says so
    assert decode_bytes(data, declared="iso-2022-jp") == ("<p>新しい図書館</p>", "iso2022_jp")
    meta = b'<meta charset="iso-2022-jp">' + data
    assert decode_bytes(meta)[1] == "iso2022_jp"
    assert decode_bytes(b"<p>no escape here</p>", declared="iso-2022-jp")[1] == "utf-8"


def test_utf8_safe_replaces_only_nul_and_lone_surrogates():
    assert utf8_safe("ordinary text, café ✓") == "ordinary text, café ✓"
    assert utf8_safe("a\x00b\x00") == "a\ufffdb\ufffd"
    assert utf8_safe("x\ud800y\udcffz") == "x\ufffdy\ufffdz"
    assert utf8_safe("\x00\udc80 and 😀") == "\ufffd\ufffd and 😀"
    assert utf8_safe("") == ""


@pytest.mark.parametrize("data, codec", [
    (codecs.BOM_UTF8 + b"<p>caf\xc3\xa9 \xff</p>", "utf-8"),
    (codecs.BOM_UTF16_LE + "<p>café</p>".encode("utf-16-le") + b"\x00\xd8", "utf-16-le"),  # a lone surrogate
    ("<p>plain words in utf-16</p>".encode("utf-16-le") + b"\x41", "utf-16-le"),  # no BOM, an odd last byte
    (b'<meta charset="iso-2022-jp">\x1b$B\xff\xff\x1b(B', "iso2022_jp"),  # a bad byte after the escape
])
def test_bad_bytes_in_every_branch_become_replacements_not_errors(data, codec):
    text, got = decode_bytes(data, reject_binary=False)
    assert got == codec and "\ufffd" in text


def test_an_undeclared_damaged_utf8_page_is_named_utf8():
    damaged = "<p>crème brûlée, déjà vu, naïve café</p>".encode() + b"\xff\xfe"
    assert decode_bytes(damaged) == (damaged.decode("utf-8", "replace"), "utf-8")
    even = "<p>é".encode() + b"\xff" + b" and more words</p>"  # one valid character, one bad byte: UTF-8
    assert decode_bytes(even) == ("<p>é\ufffd and more words</p>", "utf-8")
