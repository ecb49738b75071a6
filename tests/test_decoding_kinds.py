"""Binary input told apart from text, label by label and at the edges of each rule.

Each file signature is named exactly; the control-byte rule is checked at its thresholds
(four bytes, more than 5% of the head, NULs over 1%, the first 8192 bytes only); encoding
labels map to the codec the WHATWG standard gives them.
"""
from __future__ import annotations

import pytest

from classifier.decoding import (binary_kind, binary_text_kind, check_encoding, decode_bytes, decode_for_parser,
                                 looks_binary, looks_binary_text, normalize_encoding)
from classifier.errors import ArgumentError, InputError

TEXT = b"Plain words of a page, nothing more. " * 4  # 148 bytes, no control byte

SIGNATURES = [
    (b"\x1f\x8b", "gzip data (decompress it first)"), (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a zip archive (or docx/xlsx/epub)"), (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"GIF87a", "a GIF image"), (b"GIF89a", "a GIF image"), (b"\xff\xd8\xff", "a JPEG image"),
    (b"BZh91AY&SY", "bzip2 data (decompress it first)"), (b"\xfd7zXZ\x00", "xz data (decompress it first)"),
    (b"(\xb5/\xfd", "zstd data (decompress it first)"), (b"7z\xbc\xaf\x27\x1c", "a 7z archive"),
    (b"\x7fELF", "an executable"), (b"\x00asm", "WebAssembly"), (b"wOFF", "a font"), (b"wOF2", "a font"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an MS Office document"), (b"OggS", "Ogg media"),
    (b"ID3\x04", "an MP3 file"), (b"\x1aE\xdf\xa3", "a video (Matroska/WebM)"),
    (b"\x00\x00\x00\x18ftypmp42", "an MP4/QuickTime file"), (b"RIFF\x00\x00\x00\x00WEBP", "a media file (RIFF)"),
    (b"RIFF\x00\x00\x00\x00WAVE", "a media file (RIFF)"), (b"RIFF\x00\x00\x00\x00AVI ", "a media file (RIFF)"),
]


@pytest.mark.parametrize("magic, kind", SIGNATURES)
def test_each_signature_is_named_in_bytes_and_in_a_str_read_as_latin1(magic, kind):
    data = magic + TEXT
    assert binary_kind(data) == kind and looks_binary(data)
    assert binary_text_kind(data.decode("latin-1")) == kind and looks_binary_text(data.decode("latin-1"))


@pytest.mark.parametrize("data", [
    b"BZh is how this line starts, then plain words",  # bzip2's magic without its block header
    b"ID3\x05 is no MP3 version, just a line of text",  # an ID3 version byte above 4
    b"ID3",  # the magic alone, no version byte: still an MP3 header
    b"ID3\x05",  # four bytes, a version byte above 4: not MP3
    b"RIFF1234TEXTplain words follow",  # RIFF of no media kind
    b"xxxxftyp",  # 'ftyp' at bytes 4-8 is the MP4 box
])
def test_near_signatures(data):
    expected = {b"ID3": "an MP3 file", b"xxxxftyp": "an MP4/QuickTime file"}.get(data)
    assert binary_kind(data) == expected
    assert binary_text_kind(data.decode("latin-1")) == expected


def test_a_str_holding_undecodable_bytes_is_read_back_to_them():
    gzip_as_text = (b"\x1f\x8b\x08\x00" + bytes(range(128, 200))).decode("utf-8", "surrogateescape")
    assert binary_text_kind(gzip_as_text) == "gzip data (decompress it first)"
    assert binary_text_kind("\ud800 a lone surrogate and ordinary words") is None  # not from surrogateescape
    assert binary_text_kind("Ünïcödé text that latin-1 cannot hold: €") is None


CONTROL = "binary data (NUL or control bytes)"


@pytest.mark.parametrize("head, expected", [
    (b"a" * 75 + b"\x01\x02\x03", None),  # three control bytes: never binary
    (b"a" * 75 + b"\x01\x02\x03\x04", CONTROL),  # four in 79 bytes: over 5%
    (b"a" * 76 + b"\x01\x02\x03\x04", None),  # four in 80 bytes: exactly 5%, not over
    (b"a" * 76 + b"\x00\x00\x00\x00", CONTROL),  # ...but NULs over 1% are binary
    (b"a" * 396 + b"\x00\x00\x00\x00", None),  # four NULs in 400 bytes: exactly 1%, not over
    (b"a" * 395 + b"\x00\x00\x00\x00", CONTROL),  # four in 399: over 1%
    (b"a" * 70 + b"\t\n\x0b\x0c\r\t\n\x0b\x0c\r", None),  # tab, newline, VT, FF, CR are text
    (b"a" * 70 + b"\x0e\x1f\x08\x1b", CONTROL),  # SO, US, BS, ESC are not
    (b"a" * 8192 + b"\x01" * 100, None),  # only the first 8192 bytes are looked at
])
def test_the_control_byte_rule_at_its_edges(head, expected):
    assert binary_kind(head) == expected
    assert binary_text_kind(head.decode("latin-1")) == expected


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_utf16_and_utf32_without_a_bom_are_text_not_binary(codec):
    page = "<html><body><p>Plain words, Straße and café, for a page.</p></body></html>" * 3
    data = page.encode(codec)
    assert binary_kind(data) is None
    assert decode_bytes(data) == (page, codec)


def test_half_wide_nuls_are_not_a_wide_encoding():
    data = ("ab" * 200).encode("utf-16-le")[:400] + b"x" * 400  # NULs in half the head only
    assert decode_bytes(data, reject_binary=False)[1] != "utf-16-le"


@pytest.mark.parametrize("label, codec", [
    ("utf-8", "utf-8"), (" UTF8 ", "utf-8"), ('"utf-8"', "utf-8"), ("'Windows-1251'", "cp1251"),
    ("latin1", "cp1252"), ("ISO-8859-1", "cp1252"), ("US-ASCII", "cp1252"), ("iso-8859-9", "cp1254"),
    ("tis-620", "cp874"), ("gbk", "gb18030"), ("GB2312", "gb18030"), ("big5", "big5hkscs"),
    ("Shift_JIS", "cp932"), ("euc-kr", "cp949"), ("utf-16", "utf-16-le"), ("utf-16be", "utf-16-be"),
    ("koi8-r", "koi8-r"), ("iso-2022-jp", "iso2022_jp"),
    # Python's own spellings, mapped through codecs.lookup to the standard's codec
    ("iso8859_1", "cp1252"), ("latin_1", "cp1252"), ("euc_kr", "cp949"), ("utf_16", "utf-16-le"),
    ("iso8859_11", "cp874"), ("cp1250", "cp1250"), ("utf_8", "utf-8"),
])
def test_labels_map_to_the_standards_codec(label, codec):
    assert normalize_encoding(label) == codec
    assert check_encoding(label) == codec


@pytest.mark.parametrize("label", ["", "utf-32", "utf_32", "rot13", "x-nope", "utf-7", "hex"])
def test_other_labels_are_no_codec_and_an_error_when_asked_for(label):
    assert normalize_encoding(label) is None
    with pytest.raises(ArgumentError, match=f"unknown encoding {label!r}: give a text encoding"):
        check_encoding(label)


@pytest.mark.parametrize("label", [None, b"utf-8", 8, ["utf-8"]])
def test_non_str_labels_are_no_codec(label):
    assert normalize_encoding(label) is None
    if label is None:
        assert check_encoding(None) is None  # not given
    else:
        with pytest.raises(ArgumentError, match="unknown encoding"):
            check_encoding(label)


def test_the_parser_path_refuses_binary_as_decode_bytes_does():
    png = b"\x89PNG\r\n\x1a\n" + bytes(200)
    with pytest.raises(InputError, match="input looks like a PNG image, not an HTML or text page"):
        decode_for_parser(png)
    assert decode_for_parser(png, reject_binary=False)[1] == "cp1252"
    assert decode_for_parser(b"") == ("", "utf-8") == decode_bytes(b"")
    with pytest.raises(InputError, match="expected bytes, not str"):
        decode_for_parser("<p>x</p>")  # type: ignore[arg-type]
