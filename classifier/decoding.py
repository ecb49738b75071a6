"""Bytes to text: byte-order mark, UTF-8, HTTP header, ``<meta charset>``, then detection.

The order, and why it differs a little from the HTML standard's sniffing:

1. A byte-order mark wins (UTF-8, UTF-16, UTF-32).
2. UTF-16/32 without a BOM is recognised by its pattern of NUL bytes.
3. Binary input (a known file signature such as gzip, PNG or PDF, or a head that is
   mostly control bytes) raises :class:`InputError`.
4. Bytes that are valid UTF-8 are decoded as UTF-8, whatever a header or ``<meta>``
   says: real pages that declare ``iso-8859-1`` but are UTF-8 are common in crawls,
   while legacy-encoded text that happens to be valid UTF-8 practically never occurs.
   (Pure ASCII is valid UTF-8; ISO-2022-JP, which is 7-bit, is the one exception.)
   So are bytes that are *nearly* valid UTF-8 (at least four valid multi-byte characters
   for each invalid sequence), with U+FFFD for the bad bytes: one stray byte must not
   send a whole page to a wrong codepage ("crème" read as "crčme"). Legacy text forms a
   valid multi-byte UTF-8 character now and then (a quarter as many as invalid ones in
   Shift_JIS, GB18030 or EUC-KR text, none in single-byte codepages), never four times more.
5. Otherwise the declared charset is used: the transport charset (``declared``, e.g.
   from the HTTP ``Content-Type``), else ``<meta charset>`` /
   ``<meta http-equiv content="...; charset=...">``, else an XML declaration.
   A declared UTF-8 is trusted only when most non-ASCII bytes are valid UTF-8.
6. Otherwise UTF-8 with U+FFFD for bad bytes if the bytes are mostly UTF-8 (a page cut
   inside a character, a few stray bytes), else charset-normalizer's detection on the
   non-ASCII text of the page, with the ``<html lang>`` as a tie-breaker, else
   windows-1252 (what browsers fall back to for most languages).

Only the encodings of the WHATWG Encoding Standard are accepted, under their standard
labels (so a page declaring ``rot13``, ``base64`` or ``utf-7`` cannot pick a Python
codec that is not a text encoding). Decoding never raises on bad bytes: undecodable
bytes become U+FFFD.
"""
from __future__ import annotations

import codecs
import re

from .errors import ArgumentError, InputError

# ----- encoding labels -------------------------------------------------------------------
# WHATWG Encoding Standard labels -> Python codec. GBK is decoded as gb18030, Big5 as
# big5hkscs, Shift_JIS as cp932 and EUC-KR as cp949, the supersets browsers use; the
# labels the standard maps to windows-1252 (latin1, ascii, ...) decode as cp1252.
_WHATWG = {
    "utf-8": "unicode-1-1-utf-8 unicode11utf8 unicode20utf8 utf-8 utf8 x-unicode20utf8",
    "cp866": "866 cp866 csibm866 ibm866",
    "iso8859-2": "csisolatin2 iso-8859-2 iso-ir-101 iso8859-2 iso88592 iso_8859-2 iso_8859-2:1987 l2 latin2",
    "iso8859-3": "csisolatin3 iso-8859-3 iso-ir-109 iso8859-3 iso88593 iso_8859-3 iso_8859-3:1988 l3 latin3",
    "iso8859-4": "csisolatin4 iso-8859-4 iso-ir-110 iso8859-4 iso88594 iso_8859-4 iso_8859-4:1988 l4 latin4",
    "iso8859-5": "csisolatincyrillic cyrillic iso-8859-5 iso-ir-144 iso8859-5 iso88595 iso_8859-5 "
                 "iso_8859-5:1988",
    "iso8859-6": "arabic asmo-708 csiso88596e csiso88596i csisolatinarabic ecma-114 iso-8859-6 iso-8859-6-e "
                 "iso-8859-6-i iso-ir-127 iso8859-6 iso88596 iso_8859-6 iso_8859-6:1987",
    "iso8859-7": "csisolatingreek ecma-118 elot_928 greek greek8 iso-8859-7 iso-ir-126 iso8859-7 iso88597 "
                 "iso_8859-7 iso_8859-7:1987 sun_eu_greek",
    "iso8859-8": "csiso88598e csisolatinhebrew hebrew iso-8859-8 iso-8859-8-e iso-ir-138 iso8859-8 iso88598 "
                 "iso_8859-8 iso_8859-8:1988 visual csiso88598i iso-8859-8-i logical",
    "iso8859-10": "csisolatin6 iso-8859-10 iso-ir-157 iso8859-10 iso885910 l6 latin6",
    "iso8859-13": "iso-8859-13 iso8859-13 iso885913",
    "iso8859-14": "iso-8859-14 iso8859-14 iso885914",
    "iso8859-15": "csisolatin9 iso-8859-15 iso8859-15 iso885915 iso_8859-15 l9",
    "iso8859-16": "iso-8859-16",
    "koi8-r": "cskoi8r koi koi8 koi8-r koi8_r",
    "koi8-u": "koi8-ru koi8-u",
    "mac-roman": "csmacintosh mac macintosh x-mac-roman",
    "cp874": "dos-874 iso-8859-11 iso8859-11 iso885911 tis-620 windows-874",
    "cp1250": "cp1250 windows-1250 x-cp1250",
    "cp1251": "cp1251 windows-1251 x-cp1251",
    "cp1252": "ansi_x3.4-1968 ascii cp1252 cp819 csisolatin1 ibm819 iso-8859-1 iso-ir-100 iso8859-1 iso88591 "
              "iso_8859-1 iso_8859-1:1987 l1 latin1 us-ascii windows-1252 x-cp1252 x-user-defined",
    "cp1253": "cp1253 windows-1253 x-cp1253",
    "cp1254": "cp1254 csisolatin5 iso-8859-9 iso-ir-148 iso8859-9 iso88599 iso_8859-9 iso_8859-9:1989 l5 "
              "latin5 windows-1254 x-cp1254",
    "cp1255": "cp1255 windows-1255 x-cp1255",
    "cp1256": "cp1256 windows-1256 x-cp1256",
    "cp1257": "cp1257 windows-1257 x-cp1257",
    "cp1258": "cp1258 windows-1258 x-cp1258",
    "mac-cyrillic": "x-mac-cyrillic x-mac-ukrainian",
    "gb18030": "chinese csgb2312 csiso58gb231280 gb2312 gb_2312 gb_2312-80 gbk iso-ir-58 x-gbk gb18030",
    "big5hkscs": "big5 big5-hkscs cn-big5 csbig5 x-x-big5",
    "euc_jp": "cseucpkdfmtjapanese euc-jp x-euc-jp",
    "iso2022_jp": "csiso2022jp iso-2022-jp",
    "cp932": "csshiftjis ms932 ms_kanji shift-jis shift_jis sjis windows-31j x-sjis",
    "cp949": "cseuckr csksc56011987 euc-kr iso-ir-149 korean ks_c_5601-1987 ks_c_5601-1989 ksc5601 ksc_5601 "
             "windows-949",
    "utf-16-be": "unicodefffe utf-16be",
    "utf-16-le": "csunicode iso-10646-ucs-2 ucs-2 unicode unicodefeff utf-16 utf-16le",
}
_LABELS = {label: codec for codec, labels in _WHATWG.items() for label in labels.split()}
# Python codec names (e.g. from charset-normalizer) of the same encodings.
_PYTHON_NAMES = {"iso8859-1": "cp1252", "ascii": "cp1252", "iso8859-9": "cp1254", "iso8859-11": "cp874",
                 "tis-620": "cp874", "gb2312": "gb18030", "gbk": "gb18030", "big5": "big5hkscs",
                 "shift_jis": "cp932", "euc_kr": "cp949", "utf-16": "utf-16-le"}
_CODECS = frozenset(_WHATWG)
_WIDE = frozenset(("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"))


def normalize_encoding(label: object) -> str | None:
    """The Python codec for an encoding label, or None if it is not a WHATWG text encoding."""
    if not isinstance(label, str) or not label:
        return None
    name = label.strip().strip("\"'").lower()
    codec = _LABELS.get(name)
    if codec is not None:
        return codec
    try:
        name = codecs.lookup(name).name
    except (LookupError, ValueError, TypeError):
        return None
    name = _PYTHON_NAMES.get(name, name)
    return name if name in _CODECS else None


_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.IGNORECASE)


def charset_from_headers(headers: dict[str, str] | None) -> str | None:
    """The charset parameter of a Content-Type header, if any (header names are case-insensitive)."""
    if not headers:
        return None
    for key, value in headers.items():
        if isinstance(key, str) and key.lower() == "content-type" and isinstance(value, str):
            match = _HEADER_CHARSET.search(value)
            if match:
                return normalize_encoding(match.group(1))
    return None


# ----- binary input ----------------------------------------------------------------------
_SIGNATURES = (
    (b"\x1f\x8b", "gzip data (decompress it first)"), (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a zip archive (or docx/xlsx/epub)"), (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"GIF87a", "a GIF image"), (b"GIF89a", "a GIF image"), (b"\xff\xd8\xff", "a JPEG image"),
    (b"BZh", "bzip2 data (decompress it first)"), (b"\xfd7zXZ\x00", "xz data (decompress it first)"),
    (b"(\xb5/\xfd", "zstd data (decompress it first)"), (b"7z\xbc\xaf\x27\x1c", "a 7z archive"),
    (b"\x7fELF", "an executable"), (b"\x00asm", "WebAssembly"), (b"wOFF", "a font"), (b"wOF2", "a font"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an MS Office document"), (b"OggS", "Ogg media"),
    (b"ID3", "an MP3 file"), (b"\x1aE\xdf\xa3", "a video (Matroska/WebM)"),
)
_CONTROL_BYTES = bytes(b for b in range(32) if b < 9 or 13 < b)  # NUL..BS, SO..US; not \t\n\v\f\r
_HEAD = 8192  # bytes looked at to tell binary from text
_MIN_CONTROLS = 4  # a stray NUL or two in a short text does not make it binary


def _signature(data: bytes) -> str | None:
    for magic, kind in _SIGNATURES:
        if data.startswith(magic):
            if magic == b"BZh" and data[4:10] != b"1AY&SY":
                continue
            if magic == b"ID3" and len(data) > 3 and data[3] > 4:
                continue
            return kind
    if data[4:8] == b"ftyp":
        return "an MP4/QuickTime file"
    if data.startswith(b"RIFF") and data[8:12] in (b"WEBP", b"WAVE", b"AVI "):
        return "a media file (RIFF)"
    return None


def binary_kind(data: bytes) -> str | None:
    """What binary data looks like (``"gzip data ..."``, ``"binary data"``), or None for text."""
    kind = _signature(data)
    if kind is not None:
        return kind
    head = data[:_HEAD]
    if not head or _wide_encoding(head):
        return None
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    if controls >= _MIN_CONTROLS and (controls > len(head) * 0.05 or head.count(0) > len(head) * 0.01):
        return "binary data (NUL or control bytes)"
    return None


def looks_binary(data: bytes) -> bool:
    """True for bytes that are clearly not a text page (see :func:`binary_kind`)."""
    return binary_kind(bytes(data)) is not None


_CONTROL_CHARS = re.compile("[\x00-\x08\x0e-\x1f]")


def binary_text_kind(text: str) -> str | None:
    """What a ``str`` holding binary data looks like (a file read as text), or None for text.

    The start is turned back into the bytes it most likely came from (latin-1 decoding
    keeps every byte as one character; ``surrogateescape`` keeps undecodable bytes), so
    a file signature is recognised as it is in bytes; else mostly control characters.
    """
    head = text[:_HEAD]
    try:
        raw = head.encode("latin-1")
    except UnicodeEncodeError:
        raw = head.encode("utf-8", "surrogateescape") if not _LONE_SURROGATE.search(head) \
            else head.encode("utf-8", "replace")
    kind = _signature(raw)
    if kind is not None:
        return kind
    controls = len(_CONTROL_CHARS.findall(head))
    if controls >= _MIN_CONTROLS and (controls > len(head) * 0.05 or head.count("\x00") > len(head) * 0.01):
        return "binary data (NUL or control bytes)"
    return None


_LONE_SURROGATE = re.compile("[\ud800-\udc7f\udd00-\udfff]")  # not one surrogateescape makes


def looks_binary_text(text: str) -> bool:
    """True for a ``str`` that holds binary data (see :func:`binary_text_kind`)."""
    return binary_text_kind(text) is not None


def check_encoding(label: object) -> str | None:
    """The codec for an encoding a caller names (None: not given); :class:`ArgumentError` naming
    a label that is not a WHATWG text encoding, so ``--encoding bogus`` is not silently ignored."""
    if label is None:
        return None
    codec = normalize_encoding(label)
    if codec is None:
        raise ArgumentError(f"unknown encoding {label!r}: give a text encoding such as utf-8, windows-1252, "
                            "iso-8859-2, shift_jis, gb18030 or euc-kr")
    return codec


def _wide_encoding(head: bytes) -> str | None:
    """UTF-16/32 without a byte-order mark, recognised by where its NUL bytes fall."""
    if b"\x00" not in head:
        return None
    head = head[:_HEAD - _HEAD % 4]
    quarter = max(1, len(head) // 4)
    z0, z1, z2, z3 = (head[i::4].count(0) / quarter for i in range(4))
    if z2 > 0.9 and z3 > 0.9 and z0 < 0.02:
        return "utf-32-le"
    if z0 > 0.9 and z1 > 0.9 and z3 < 0.02:
        return "utf-32-be"
    even, odd = (z0 + z2) / 2, (z1 + z3) / 2  # in UTF-16, ASCII characters have one NUL byte
    if odd > 0.5 and even < 0.02:
        return "utf-16-le"
    if even > 0.5 and odd < 0.02:
        return "utf-16-be"
    return None


# ----- declarations in the page ------------------------------------------------------------
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:\-]+)""", re.IGNORECASE)
_HTML_LANG = re.compile(rb"""<html[^>]+?\blang\s*=\s*["']?\s*([A-Za-z]{2,3})(?:[-_]([A-Za-z]{2,4}))?""",
                        re.IGNORECASE)
_SNIFF_BYTES = 16384
# Browsers' fallback encoding by page language (HTML standard, "suggested default encoding").
_LANG_DEFAULTS = {
    **dict.fromkeys("ru uk be bg mk sr kk ky tg mn".split(), "cp1251"),
    **dict.fromkeys("pl cs sk hu sl hr bs ro".split(), "cp1250"),
    **dict.fromkeys("ar fa ur".split(), "cp1256"),
    **dict.fromkeys("lt lv et".split(), "cp1257"),
    "el": "cp1253", "tr": "cp1254", "az": "cp1254", "he": "cp1255", "iw": "cp1255", "vi": "cp1258",
    "th": "cp874", "ja": "cp932", "ko": "cp949", "zh": "gb18030",
}


def _meta_charset(data: bytes) -> str | None:
    """The codec a ``<meta>`` (or XML) declaration in the page's first bytes names, if any."""
    head = data[:_SNIFF_BYTES]
    match = _META_CHARSET.search(head)
    if match:
        codec = normalize_encoding(match.group(1).decode("ascii", "ignore"))
        if codec is not None:
            # A page that can declare "utf-16" in ASCII is not UTF-16 (HTML standard).
            return "utf-8" if codec in _WIDE else codec
    match = _XML_ENCODING.match(head)
    if match:
        codec = normalize_encoding(match.group(1).decode("ascii", "ignore"))
        if codec is not None and codec not in _WIDE:
            return codec
    return None


def _lang_default(data: bytes) -> str | None:
    match = _HTML_LANG.search(data[:_SNIFF_BYTES])
    if not match:
        return None
    lang = match.group(1).decode("ascii").lower()
    region = (match.group(2) or b"").decode("ascii").lower()
    if lang == "zh" and region in ("tw", "hk", "mo", "hant"):
        return "big5hkscs"
    return _LANG_DEFAULTS.get(lang)


# ----- detection ---------------------------------------------------------------------------
# Runs of non-ASCII bytes with the short ASCII stretches between them: the page's own
# words, without the kilobytes of ASCII markup, script and style around them. The
# detector sees these runs with 40 bytes of context on each side.
_NON_ASCII_TEXT = re.compile(rb"[\x80-\xff]+(?:[\x20-\x7f]{0,40}[\x80-\xff]+)*")
_DETECT_BYTES = 32 * 1024
_MIN_DETECT_BYTES = 8
_UTF8_CUT = re.compile(rb"[\xc0-\xff][\x80-\xbf]{0,2}\Z")


def _mostly_utf8(data: bytes) -> bool:
    """True when valid multi-byte UTF-8 characters are at least as many as invalid sequences.

    Legacy-encoded text almost never forms a valid multi-byte UTF-8 sequence, so even a
    few valid ones among the invalid say "UTF-8 with damage", not "another encoding".
    """
    text = data.decode("utf-8", "replace")
    bad = text.count("\ufffd")
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))
    return non_ascii - bad >= bad


def _nearly_utf8(data: bytes) -> bool:
    """True when valid multi-byte UTF-8 characters outnumber invalid sequences four to one."""
    text = data.decode("utf-8", "replace")
    bad = text.count("\ufffd")
    valid = len(text) - len(text.encode("ascii", "ignore")) - bad
    return valid > 0 and valid >= 4 * bad


_C1_BYTES = re.compile(rb"[\x80-\x9f]")


def _detect(data: bytes) -> str:
    """Guess the legacy encoding of bytes that are not UTF-8 and declare nothing usable.

    Central European text is windows-1250 or ISO-8859-2, which share most letters; the
    page language suggests windows-1250 (browsers' default), but windows-1250 writes
    its most common letters (š, ž, ś, ź, ť) as bytes 0x80-0x9F, which ISO-8859-2 leaves
    to control codes: a page with letters there and none in that range is ISO-8859-2.
    """
    codec = _guess(data)
    if codec == "cp1250" and not _C1_BYTES.search(data):
        return "iso8859-2"
    return codec


def _guess(data: bytes) -> str:
    hint = _lang_default(data)
    runs = []
    size = non_ascii = 0
    for match in _NON_ASCII_TEXT.finditer(data):
        # With the words around it: single-byte encodings are told apart by their context.
        runs.append(data[max(0, match.start() - 40):match.end() + 40])
        size += len(runs[-1]) + 1
        non_ascii += match.end() - match.start()
        if size >= _DETECT_BYTES:
            break
    if non_ascii < _MIN_DETECT_BYTES:  # too few to tell anything
        return hint or "cp1252"
    sample = b"\n".join(runs)[:_DETECT_BYTES]
    try:
        from charset_normalizer import from_bytes

        matches = list(from_bytes(sample)) if sample else []
    except Exception:  # a detector failure must not fail the page
        matches = []
    if matches:
        best_chaos = min(m.chaos for m in matches)
        near = []
        for match in matches:
            if match.chaos > best_chaos + 0.05:
                continue
            names = [match.encoding, *getattr(match, "could_be_from_charset", ())]
            allowed = [c for c in map(normalize_encoding, names) if c is not None and c not in _WIDE]
            if allowed:
                near.append((match, allowed))
        if hint is not None:
            for _, allowed in near:
                if hint in allowed:
                    return hint
        if near:
            best = max(match.coherence for match, _ in near)
            tied = [allowed for match, allowed in near if match.coherence >= best - 0.01]
            # Among equally likely encodings, prefer the common Western one (browsers' default).
            for allowed in tied:
                if "cp1252" in allowed:
                    return "cp1252"
            return tied[0][0]
    return hint or "cp1252"


def sniff_encoding(data: bytes, declared: str | None = None) -> str:
    """Pick the codec for ``data`` (see the module docstring for the order)."""
    return _decode(bytes(data), declared)[1]


def _decode(data: bytes, declared: str | None) -> tuple[str, str]:
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(codec, "replace"), codec
    wide = _wide_encoding(data[:_HEAD])
    if wide is not None:
        return data.decode(wide, "replace"), wide
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if b"\x1b" in data and text.isascii():  # ISO-2022-JP is 7-bit: the escape bytes say so
            codec = normalize_encoding(declared) or _meta_charset(data)
            if codec == "iso2022_jp":
                return data.decode(codec, "replace"), codec
        return text, "utf-8"
    if _nearly_utf8(data):
        return data.decode("utf-8", "replace"), "utf-8"
    codec = normalize_encoding(declared)
    if codec in _WIDE:
        codec = None  # a UTF-16 page has NUL bytes (or a BOM), and this one has neither
    codec = codec or _meta_charset(data)
    if codec == "utf-8":
        if _mostly_utf8(data):
            return data.decode("utf-8", "replace"), "utf-8"
        codec = None  # declared UTF-8, but written in something else
    if codec is None:
        cut = _UTF8_CUT.search(data, max(0, len(data) - 4))  # a page cut inside its last character
        if (cut is not None and _is_utf8(data[:cut.start()])) or _mostly_utf8(data):
            return data.decode("utf-8", "replace"), "utf-8"
        codec = _detect(data)
    return data.decode(codec, "replace"), codec


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _checked(data: object, reject_binary: bool) -> bytes:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise InputError(f"expected bytes, not {type(data).__name__}")
    data = bytes(data)
    if data and reject_binary and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        kind = binary_kind(data)
        if kind is not None:
            raise InputError(f"input looks like {kind}, not an HTML or text page")
    return data


def decode_bytes(data: bytes | bytearray | memoryview, declared: str | None = None,
                 *, reject_binary: bool = True) -> tuple[str, str]:
    """Decode page bytes to text; returns ``(text, codec)``.

    ``declared`` is the transport charset (e.g. from HTTP headers); an unknown or
    non-text label is ignored. Binary input raises :class:`InputError` unless
    ``reject_binary`` is False. Never raises on undecodable bytes (they become U+FFFD).
    """
    data = _checked(data, reject_binary)
    if not data:
        return "", "utf-8"
    return _decode(data, declared)


_UNICODE_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_BE)


def decode_for_parser(data: bytes | bytearray | memoryview, declared: str | None = None,
                      *, reject_binary: bool = True) -> tuple[str | bytes, str]:
    """Like :func:`decode_bytes`, but valid UTF-8 comes back as the bytes themselves.

    The HTML parser reads UTF-8 bytes directly, so this skips decoding to ``str`` and
    the parser's encoding back to UTF-8 for the common case.
    """
    data = _checked(data, reject_binary)
    if not data:
        return "", "utf-8"
    if not data.startswith(_UNICODE_BOMS) and _wide_encoding(data[:_HEAD]) is None:
        if data.isascii():
            if b"\x1b" not in data:  # else it may be ISO-2022-JP
                return data, "utf-8"
        elif _is_utf8(data):
            return data, "utf-8"
    return _decode(data, declared)


_SURROGATE = re.compile("[\ud800-\udfff]")


def utf8_safe(text: str) -> str:
    """``text`` as any UTF-8 writer and database accepts it: lone surrogates (valid in JSON and in
    undecodable file names, not in UTF-8) and NUL (refused by PostgreSQL) become U+FFFD."""
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = _SURROGATE.sub("\ufffd", text)
    return text
