"""Telling HTML from plain text (mode="auto")."""
from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from classifier.api import detect_mode
from classifier.errors import InputError
from classifier.sniff import looks_like_html

PAGES = Path(__file__).resolve().parent / "pages"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.parametrize("text", [
    "<!DOCTYPE html><html><body><p>x</p></body></html>",
    "<!doctype HTML>\n<title>x</title>",
    "\ufeff  \n<html lang='en'><head></head></html>",
    "<!-- saved from url=(0042)https://example.org/ -->\n<!DOCTYPE html><html>",
    '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0//EN"><html>',
    "<html>",
    "<head><meta charset='utf-8'></head>",
])
def test_documents_are_html(text):
    assert looks_like_html(text)


@pytest.mark.parametrize("text", [
    "<p>A paragraph.</p>",
    "<div class='story'>Story text without an end tag",
    "<article><h1>Title</h1><p>Body</p></article>",
    "<h2>Heading</h2>",
    "<ul><li>one</li><li>two</li></ul>",
    "<table><tr><td>cell</td></tr></table>",
    "<span>tag one</span> and <b>two</b>",
    "<a href='/x'>a link</a> then text",
    "\n\n  <section>\n  <p>indented fragment</p>\n</section>",
    "Intro line\n<p>first</p>\n<p>second</p>\n<p>third</p>",
])
def test_fragments_without_html_are_html(text):
    assert looks_like_html(text)


@pytest.mark.parametrize("text", [
    "Plain scraped story.\nSecond paragraph.\n\nThird paragraph.",
    "Use the <b> element to make text bold in a page.\nIt is an inline element.",
    "<b> is the tag for bold text, and that is all this line says.",
    "I <3 this recipe\nand so does my family",
    "if a < b and c > d then swap them\n",
    "The <br> tag breaks a line. The <p> tag starts a paragraph.\n" + "More prose.\n" * 200,
    "Headline\n" + "A line of story text.\n" * 50 + "Write <div> and </div> around it.\n",
    "",
    "   \n\t",
    "<<<>>> not markup at all",
    "<notatag>hello</notatag>",
])
def test_text_stays_text(text):
    assert not looks_like_html(text)


def test_test_pages_and_examples():
    for path in [*PAGES.glob("*.html"), EXAMPLES / "article.html"]:
        assert detect_mode(path.read_bytes()) == "html", path.name
    for path in [*PAGES.glob("*.txt"), EXAMPLES / "article.txt"]:
        assert detect_mode(path.read_bytes()) == "text", path.name
        assert detect_mode(path.read_text(encoding="utf-8")) == "text", path.name


def test_detect_mode_decodes_bytes_first():
    html = "<!DOCTYPE html><html><body><p>Ünïcödé</p></body></html>"
    assert detect_mode(codecs.BOM_UTF16_LE + html.encode("utf-16-le")) == "html"
    assert detect_mode(html.encode("utf-32")) == "html"
    assert detect_mode(html.encode("utf-16-be")) == "html"  # no BOM
    assert detect_mode("Привет, мир\nвторая строка".encode("cp1251")) == "text"
    assert detect_mode(bytearray(b"<p>x</p>")) == "html"


def test_detect_mode_survives_bad_input():
    assert detect_mode(b"") == "text"
    assert detect_mode(b"\x89PNG\r\n\x1a\n" + bytes(100)) == "text"  # binary is sniffed, not refused
    assert detect_mode(b"<p>x</p>", encoding="rot13") == "html"
    assert detect_mode("<!--" + "x" * 200_000) == "text"
    with pytest.raises(InputError):
        detect_mode(12345)  # type: ignore[arg-type]
