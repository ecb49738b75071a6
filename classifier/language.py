"""The language of a page: as the page declares it, else detected from its story text.

Detection uses CLD2 (``pycld2``): compiled, offline, no model to load, about 0.1 ms for a
few thousand characters; imported on first use so scoring starts without it.
"""
from __future__ import annotations

import re

# Detection reads at most this many characters: the story's start says its language, and
# the cost stays bounded on a huge page.
MAX_DETECT_CHARS = 5_000
# Less text than this says too little to name a language.
MIN_DETECT_CHARS = 20
_OLD_CODES = {"iw": "he", "in": "id", "ji": "yi", "jw": "jv", "mo": "ro", "tl": "fil"}
_TAG = re.compile(r"[A-Za-z]{2,3}(?![A-Za-z])")
_SURROGATE_OR_CONTROL = re.compile(r"[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def declared_language(value: str | None) -> str | None:
    """The primary language of a declared tag (``en-US``, ``pt_BR``, ``EN``) as ``en``, ``pt``;
    None for nothing usable (``x-default``, ``*``, ``und``...)."""
    if not value:
        return None
    match = _TAG.match(value.strip())
    if match is None:
        return None
    code = match.group().lower()
    if code in ("und", "mul", "zxx", "mis"):
        return None
    return _OLD_CODES.get(code, code)


def detect_language(text: str) -> str | None:
    """The language of ``text`` (ISO 639-1 where one exists), or None when CLD2 is not sure."""
    if not text or len(text) < MIN_DETECT_CHARS:
        return None
    import pycld2  # compiled, loads in about a millisecond

    sample = _SURROGATE_OR_CONTROL.sub(" ", text[:MAX_DETECT_CHARS])
    try:
        reliable, _, details = pycld2.detect(sample)
    except pycld2.error:
        return None
    if not reliable or not details:
        return None
    code = details[0][1]
    if not code or code in ("un", "xxx"):
        return None
    code = code.split("-")[0].lower()  # zh-Hant -> zh
    return _OLD_CODES.get(code, code)
