"""Peer extractors behind one signature: raw page bytes in, main text out.

Each peer is built once (imports, stop lists, extractor objects: not timed) and
then called page by page; the call is what ``bench/compare.py`` times. Libraries
that want ``str`` get the page decoded inside the call (storyfilter's own
decoder: BOM, ``<meta charset>``, detection), so decoding counts for them as it
does for storyfilter. Every library runs with its documented usual call and
default settings; a missing library raises ImportError from ``build``.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from typing import Any

Extract = Callable[[bytes], str]

# Block-level tags that end a line when readability's summary HTML becomes text;
# without them lxml's text_content() glues the last word of a paragraph to the next.
_BLOCK_TAGS = ("p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th",
               "table", "blockquote", "pre", "section", "article", "header", "footer", "figure",
               "figcaption", "dd", "dt", "dl", "hr")


@dataclass(frozen=True)
class Peer:
    """One extractor: how to build it, how it is called (for the report), its distribution."""

    name: str
    distribution: str
    call: str
    build: Callable[[], Extract]


def decode(raw: bytes) -> str:
    """Bytes to str for the libraries that need str (never refuses a page)."""
    from classifier.decoding import decode_bytes

    return decode_bytes(raw, reject_binary=False)[0]


def _trafilatura() -> Extract:
    import trafilatura

    def extract(raw: bytes) -> str:
        return trafilatura.extract(raw) or ""
    return extract


def _html_to_text(html: str) -> str:
    """Text of an HTML fragment with a line break around every block element."""
    import lxml.html

    if not html.strip():
        return ""
    root: Any = lxml.html.fromstring(html)
    for element in root.iter(*_BLOCK_TAGS):
        element.text = "\n" + (element.text or "")
        element.tail = "\n" + (element.tail or "")
    return root.text_content().strip()


def _readability() -> Extract:
    import lxml.html  # noqa: F401  (loaded here, not on the first timed page)
    from readability import Document

    def extract(raw: bytes) -> str:
        return _html_to_text(Document(raw).summary())
    return extract


def _resiliparse(main_content: bool) -> Callable[[], Extract]:
    def build() -> Extract:
        from resiliparse.extract.html2text import extract_plain_text
        from resiliparse.parse.encoding import bytes_to_str, detect_encoding

        def extract(raw: bytes) -> str:
            return extract_plain_text(bytes_to_str(raw, detect_encoding(raw)), main_content=main_content)
        return extract
    return build


def _justext() -> Extract:
    import justext

    stoplist = justext.get_stoplist("English")

    def extract(raw: bytes) -> str:
        return "\n".join(p.text for p in justext.justext(raw, stoplist) if not p.is_boilerplate)
    return extract


def _boilerpy3() -> Extract:
    from boilerpy3 import extractors

    extractor = extractors.ArticleExtractor()

    def extract(raw: bytes) -> str:
        return extractor.get_content(decode(raw))
    return extract


def _goose3() -> Extract:
    from goose3 import Goose

    goose = Goose()

    def extract(raw: bytes) -> str:
        return goose.extract(raw_html=decode(raw)).cleaned_text or ""
    return extract


def _segmenter_all_blocks() -> Extract:
    from classifier.html_segmenter import segment_html

    def extract(raw: bytes) -> str:
        return "\n".join(b.text for b in segment_html(decode(raw)))
    return extract


PEERS: dict[str, Peer] = {p.name: p for p in (
    Peer("trafilatura", "trafilatura", "trafilatura.extract(page_bytes)", _trafilatura),
    Peer("readability-lxml", "readability-lxml",
         "Document(page_bytes).summary(), its HTML to text with lxml", _readability),
    Peer("resiliparse", "Resiliparse",
         "extract_plain_text(str, main_content=True), str from resiliparse's detect_encoding",
         _resiliparse(True)),
    Peer("jusText", "jusText", 'justext.justext(page_bytes, get_stoplist("English")), non-boilerplate paragraphs',
         _justext),
    Peer("boilerpy3", "boilerpy3", "ArticleExtractor().get_content(str)", _boilerpy3),
    Peer("goose3", "goose3", "Goose().extract(raw_html=str).cleaned_text", _goose3),
)}

KEEP_EVERYTHING = "keep-everything"
KEEP_EVERYTHING_PEERS = (
    Peer(KEEP_EVERYTHING, "Resiliparse", "resiliparse extract_plain_text(str, main_content=False): all text",
         _resiliparse(False)),
    Peer(KEEP_EVERYTHING, "storyfilter", "storyfilter's HTML segmenter, every block kept (resiliparse missing)",
         _segmenter_all_blocks),
)


def version_of(distribution: str) -> str | None:
    """Installed version of a distribution, or None."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def quiet_peer_logs() -> None:
    """Peers log every page they find nothing on or fail on (failures are counted); keep the output readable."""
    for name in ("trafilatura", "readability", "readability.readability", "goose3", "justext", "boilerpy3"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
