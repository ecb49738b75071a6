"""A seeded generator of hostile pages: the known parser-cost shapes (docs/fuzzing.md), their neighbours, and mutations.

Each family builds a page from a ``random.Random``, so a seed and a count give the same
pages every run. Sizes are drawn up to ``max_chars``: large enough that an unbounded
parser cost shows (seconds), small enough that a run of a hundred pages takes seconds.
"""
from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path

PAGES = Path(__file__).resolve().parent / "pages"
_FORMATTING = "b big code em font i nobr s small strike strong tt u".split()
_BLOCKS = "div p section ul li table tr td dl dd blockquote noscript span a form select option".split()
_SEPARATORS = ["<!---->", "<input type=hidden>", "<tr class=a>", "<style>a</style>", "<?x>", "<col>",
               "<![CDATA[x]]>", "<!DOCTYPE html>", "<!x>", "</>"]


def _count(rng: random.Random, max_chars: int, unit: int) -> int:
    return rng.randint(max(1, max_chars // (4 * unit)), max(2, max_chars // unit))


def _attributes(rng: random.Random, max_chars: int) -> str:
    value = rng.choice(['">"', "'>'", '"<>"', "", '=x', '"a b"'])
    sep = rng.choice([" ", "/", "\n", "" if value.startswith(('"', "'")) else " "])
    n = _count(rng, max_chars, 8)
    attrs = sep.join(f"a{i}={value}" if value else f"a{i}" for i in range(n))
    return rng.choice([f"<div {attrs}>in</div>", f"<div>in</div {attrs}>", f"<p>x</p><img {attrs}>"])


def _nesting(rng: random.Random, max_chars: int) -> str:
    unit = rng.choice(["<div>", "<noscript><div>", "<div/>", "<span><div></span>", "<b><div></b>", "<div></body>",
                       "<ul><li>", "<table><tr><td>", "<dl><dd>", "<svg><p><div>", "<object><div>",
                       "<select><div>", "<button><div>", "<a><div>", "<p><table>"])
    return rng.choice(["", "<noscript>", "<svg><p>", "<template>", "<noembed>", "<math>"]) + unit * _count(rng, max_chars, len(unit))


def _options(rng: random.Random, max_chars: int) -> str:
    unit = rng.choice(["<option>x", "<option>x</option>", "<optgroup><option>x", "<OPTION value=1>x"])
    head = rng.choice(["<select>", "<table><tr><td><select>", "<select multiple>", "<datalist>"])
    return head + unit * _count(rng, max_chars, len(unit))


def _foster(rng: random.Random, max_chars: int) -> str:
    text = "x" * rng.choice([1, 1, 8, 80])
    sep = rng.choice(_SEPARATORS)
    head = rng.choice(["<table>", "<table><tbody>", "<table><tr>", "<table><tr><td>a</td>"])
    return head + (sep + text) * _count(rng, max_chars, len(sep) + len(text)) + "</table>"


def _reopen(rng: random.Random, max_chars: int) -> str:
    tags = rng.randint(50, 800)
    name = rng.choice(_FORMATTING)
    opened = "".join(f"<{name} a{i}>" if rng.random() < 0.9 else f"<{rng.choice(_FORMATTING)}>"
                     for i in range(tags))
    event = rng.choice(["<p>x", "<div>x</div>", "<p> ", "<li>x", "<br>x"])
    return "<p>" + opened + event * _count(rng, max_chars, len(event))


def _text_blank_lines(rng: random.Random, max_chars: int) -> str:
    blank = rng.choice(["\n", "\r\n", " \n", "\u2028", "\t\r"])
    return "start\n" + blank * _count(rng, max_chars, len(blank)) + "end"


def _giant_text(rng: random.Random, max_chars: int) -> str:
    word = rng.choice(["word ", "x", "мир ", "\u00a0", "&amp;", "&#x41;"])
    return rng.choice(["<p>", "<pre>", "<td>", "<title>", "<textarea>", ""]) + word * _count(rng, max_chars, len(word))


def _fragments(rng: random.Random, max_chars: int) -> str:
    pieces = ["<p>", "</p>", "<div class='a b'>", "</div>", "<br>", "<a href=x>", "</a>", "<li>", "<ul>", "</ul>",
              "<table><tr><td>", "</td>", "<script>", "</script>", "<!--", "-->", "<svg>", "</svg>", "<math>",
              "<b>", "</b>", "<select>", "<option>", "<![CDATA[", "]]>", "<xmp>", "<plaintext>", "<noscript>",
              "text ", "more words ", "&amp;", "&nbsp;", "<", ">", "'", '"', "=", "\x00", "\u2028", "é", "<x-y z>",
              "<font color=red>", "<template>", "</body>", "<frameset>", "<!doctype html>", "<?php ?>"]
    out: list[str] = []
    size = 0
    while size < max_chars:
        piece = rng.choice(pieces) * rng.choice([1, 1, 1, 10, 300])
        out.append(piece)
        size += len(piece)
    return "".join(out)


def _mutated(rng: random.Random, max_chars: int) -> str:
    page = (PAGES / rng.choice(["recommended.html", "related_box.html"])).read_text(encoding="utf-8")
    page = (page * (1 + max_chars // max(1, len(page))))[:max_chars]
    chars = list(page)
    for _ in range(rng.randint(1, 200)):
        i = rng.randrange(len(chars))
        chars[i] = rng.choice(["<", ">", '"', "'", "/", "=", "-", "!", " ", "\x00", "<svg>", "<table>", "<b a>"])
    return "".join(chars)


def _binary(rng: random.Random, max_chars: int) -> bytes:
    head = rng.choice([b"", b"\x1f\x8b\x08", b"\x89PNG\r\n\x1a\n", b"%PDF-1.4", b"\xff\xfe", b"\xef\xbb\xbf<p>"])
    return head + rng.randbytes(rng.randint(10, max_chars))


def _encoded(rng: random.Random, max_chars: int) -> bytes:
    text = _mutated(rng, max_chars // 2)
    charset = rng.choice(["utf-16", "utf-16-be", "cp1251", "shift_jis", "latin-1", "utf-8"])
    meta = rng.choice(["", f"<meta charset={charset}>", "<meta charset=utf-7>", "<meta charset=rot13>"])
    return (meta + text).encode(charset, errors="replace")


FAMILIES: dict[str, Callable[[random.Random, int], str | bytes]] = {
    "attributes": _attributes, "nesting": _nesting, "options": _options, "foster": _foster,
    "reopen": _reopen, "blank lines": _text_blank_lines, "giant text": _giant_text,
    "fragments": _fragments, "mutated": _mutated, "binary": _binary, "encoded": _encoded,
}


def hostile_pages(seed: int, count: int, max_chars: int = 150_000) -> Iterator[tuple[str, str | bytes]]:
    """``count`` pages ``(family, page)``: the families in turn, each page from the seeded generator."""
    rng = random.Random(seed)
    names = list(FAMILIES)
    for i in range(count):
        family = names[i % len(names)]
        yield family, FAMILIES[family](rng, rng.randint(max_chars // 10, max_chars))
