"""Metadata read from a parsed page: JSON-LD, OpenGraph and other ``<meta>``, and the page
itself (``<title>``, ``<h1>``, ``<time>``, a byline).

Each field takes the first source that says it, in the order the field's ``_*_KEYS``
list: what the site wrote for machines (JSON-LD, OpenGraph) before what a reader sees
(headline, byline), because the former is written once per article, the latter is
guessed. Everything is read from the selectolax tree the blocks come from; each query is
linear in the page and the number of elements read is capped, so the cost is bounded
(about a millisecond on a large page).
"""
from __future__ import annotations

import html as html_lib
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from . import json_ld
from .dates import iso_date
from .language import declared_language
from .blocks import Block
from .metadata import Metadata

MAX_META = 2_000  # <meta> elements read
MAX_NODES_READ = 40  # <h1>, <time>, byline candidates read per query: each may hold the whole page
MAX_CHARS = 1_000  # a longer title, author, site name is cut here
MAX_DESCRIPTION_CHARS = 4_000
MAX_AUTHOR_WORDS = 12
# A date written on the page is looked for in the short blocks around the headline: from
# DATE_BLOCKS_BEFORE blocks before it to DATE_BLOCKS_AFTER after it (a dateline or byline).
DATE_BLOCKS_BEFORE, DATE_BLOCKS_AFTER = 3, 40
MAX_DATE_LINE_CHARS = 160
# Where no short block near the headline holds a date, a block this short that holds one, among
# the first MAX_HEADLINE_SEARCH blocks, is the page's date line.
MAX_DATE_ONLY_CHARS = 40
MAX_HEADLINE_SEARCH = 2_000
_DIGIT = re.compile(r"\d")
_H1_PATH = re.compile(r"(?:^|>)h1(?:[.#][^>]*)?$")

_TITLE_KEYS = ("og:title", "twitter:title", "dc.title", "dcterms.title", "title", "headline", "sailthru.title",
               "parsely-title")
_AUTHOR_KEYS = ("author", "article:author", "og:article:author", "dc.creator", "dcterms.creator", "byl",
                "parsely-author", "sailthru.author", "citation_author", "article.author", "creator")
_DATE_KEYS = ("article:published_time", "og:article:published_time", "datepublished", "og:published_time",
              "published_time", "article.published", "pubdate", "publishdate", "publish-date", "publish_date",
              "publication_date", "date", "dc.date", "dc.date.issued", "dcterms.created", "dcterms.issued",
              "dcterms.date", "sailthru.date", "parsely-pub-date", "citation_publication_date", "citation_date",
              "datecreated", "article:published", "original-publish-date", "ms.date", "release_date",
              "article:published_date", "published", "created")
_MODIFIED_KEYS = ("article:modified_time", "og:updated_time", "datemodified", "dcterms.modified", "last-modified",
                  "lastmod")
_SITE_KEYS = ("og:site_name", "application-name", "apple-mobile-web-app-title", "publisher", "twitter:site")
_DESCRIPTION_KEYS = ("og:description", "description", "twitter:description", "dc.description",
                     "dcterms.description")
_IMAGE_KEYS = ("og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src", "image",
               "thumbnail", "thumbnailurl")
_LANGUAGE_KEYS = ("content-language", "language", "dc.language", "dcterms.language", "og:locale", "inlanguage")
_URL_KEYS = ("og:url", "twitter:url", "url")

_BYLINE = ('[itemprop~="author"], [rel~="author"], [class*="author" i], [class*="byline" i], '
           '[id*="author" i], [id*="byline" i]')
_BY_PREFIX = re.compile(r"^\s*(?:(?:written|posted|published|reviewed|words|story|text|report(?:ed|ing)?|"
                        r"photos?)\s+)?(?:by|von|par|por|door|di|av|af)\s*[:\-]?\s+|^\s*(?:author|autor|auteur)"
                        r"\s*[:\-]\s*", re.I)
_NOT_NAME = re.compile(r"https?://|www\.|@\w+\.\w|[<>{}|=]|\d{3}")
_URL_DATE = re.compile(r"/((?:19|20)\d\d)[/-](\d{1,2})[/-](\d{1,2})(?=[/.\-_]|$)")
_TITLE_SEPARATORS = re.compile(r"\s+[|\-–—·•»:]{1,2}\s+")
_NBSP = re.compile(r"\s+")


def _clean(value: str | None, limit: int = MAX_CHARS) -> str | None:
    """Whitespace collapsed, entities a site escaped twice decoded, cut at ``limit``; None if empty."""
    if not value:
        return None
    value = value[: limit * 4]
    if "&" in value and ";" in value:
        value = html_lib.unescape(value)
    value = " ".join(value.split())[:limit].strip()
    return value or None


def read_meta(tree: LexborHTMLParser) -> dict[str, str]:
    """``<meta>`` content by lowercase name, property, itemprop or http-equiv (the first of each wins)."""
    found: dict[str, str] = {}
    for count, node in enumerate(tree.css("meta")):
        if count >= MAX_META:
            break
        attrs = node.attributes
        content = attrs.get("content")
        if not content or not content.strip():
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = attrs.get(attr)
            if key:
                for name in key.lower().split()[:4]:
                    found.setdefault(name, content)
    return found


def _first(meta: dict[str, str], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = meta.get(key)
        if value and value.strip():
            return value
    return None


def _first_parsed(parse: Callable[[Any], str | None], values: Iterable[Any]) -> str | None:
    """The first of ``values`` that ``parse`` makes something of (values are read lazily, in order)."""
    for value in values:
        found = parse(value)
        if found:
            return found
    return None


def _absolute(value: str | None, base: str | None) -> str | None:
    """An http(s) URL, relative ones resolved against ``base``; None for anything else."""
    value = _clean(value, 4_000)
    if not value:
        return None
    try:
        if base:
            value = urljoin(base, value)
        scheme = urlsplit(value).scheme
    except ValueError:
        return None
    return value if scheme in ("http", "https") else None


def _node_text(node: LexborNode, limit: int = MAX_CHARS) -> str | None:
    return _clean(node.text(deep=True, separator=" ")[: limit * 4], limit)


def _person(value: str | None) -> str | None:
    """A byline as a name: "By Jane Doe" -> "Jane Doe"; None for what is not a name (a URL, a sentence)."""
    value = _clean(value)
    if not value:
        return None
    value = _BY_PREFIX.sub("", value, count=1).strip(" ,;:|-–—")
    if not value or _NOT_NAME.search(value) or len(value.split()) > MAX_AUTHOR_WORDS:
        return None
    if not any(ch.isalpha() for ch in value):
        return None
    return value


def _split_title(title: str, site: str | None, headings: list[str]) -> str:
    """A ``<title>`` or og:title without the site's name: the part a heading repeats, else the part
    that is not the site's name, else the longest part."""
    parts = [p.strip() for p in _TITLE_SEPARATORS.split(title) if p.strip()]
    if len(parts) < 2:
        return title
    folded = {h.casefold() for h in headings}
    for part in parts:
        if part.casefold() in folded:
            return part
    if site:
        rest = [p for p in parts if p.casefold() != site.casefold()]
        if len(rest) == len(parts) - 1:
            return " - ".join(rest) if len(rest) > 1 else rest[0]
    return max(parts, key=len)


def _headings(tree: LexborHTMLParser) -> list[str]:
    """The text of the page's ``<h1>`` elements (at most MAX_NODES_READ)."""
    out = []
    for count, node in enumerate(tree.css("h1")):
        if count >= MAX_NODES_READ:
            break
        text = _node_text(node)
        if text:
            out.append(text)
    return out


def _title(ld: dict | None, meta: dict[str, str], tree: LexborHTMLParser, site: str | None,
           headings: list[str]) -> str | None:
    candidates = [json_ld.text_value(ld.get("headline")) if ld else None, _first(meta, _TITLE_KEYS)]
    for value in candidates:
        value = _clean(value)
        if value:
            return _split_title(value, site, headings)
    if len(headings) == 1:
        return headings[0]
    node = tree.css_first("title")
    title = _node_text(node) if node is not None else None
    if title:
        return _split_title(title, site, headings)
    return headings[0] if headings else None


def _author(ld: dict | None, meta: dict[str, str], tree: LexborHTMLParser) -> str | None:
    if ld:
        people = [p for p in (_person(n) for n in json_ld.names(ld.get("author") or ld.get("creator"))) if p]
        if people:
            return "; ".join(people)
    for key in _AUTHOR_KEYS:
        person = _person(meta.get(key))
        if person:
            return person
    for count, node in enumerate(tree.css(_BYLINE)):
        if count >= MAX_NODES_READ:
            break
        if node.tag in ("html", "body", "article", "main", "section", "img", "script", "style"):
            continue
        person = _person(node.attributes.get("content") or _node_text(node, 200))
        if person:
            return person
    return None


def _published(ld: dict | None, meta: dict[str, str], tree: LexborHTMLParser) -> str | None:
    """The publication date the page states: JSON-LD, then ``<meta>``, then ``<time>`` elements."""
    ld_keys = ("datePublished", "dateCreated", "uploadDate") if ld else ()
    ld_values = (json_ld.text_value(ld.get(key)) for key in ld_keys)  # type: ignore[union-attr]
    return (_first_parsed(iso_date, ld_values) or _first_parsed(iso_date, (meta.get(key) for key in _DATE_KEYS))
            or _first_parsed(_time_date, _ranked_times(tree)))  # the <time> elements only when needed


def _ranked_times(tree: LexborHTMLParser) -> list[LexborNode]:
    """The page's ``<time>`` elements, those marked as the publication date first."""
    times = tree.css("time")[:MAX_NODES_READ]
    return sorted(times, key=lambda n: 0 if ("pubdate" in n.attributes or
                                              (n.attributes.get("itemprop") or "") == "datePublished") else 1)


def _time_date(node: LexborNode) -> str | None:
    return iso_date(node.attributes.get("datetime")) or iso_date(_node_text(node, 200))


def _modified(ld: dict | None, meta: dict[str, str]) -> str | None:
    """The date the page says it was last changed (JSON-LD, then ``<meta>``)."""
    found = iso_date(json_ld.text_value(ld.get("dateModified"))) if ld else None
    return found or iso_date(_first(meta, _MODIFIED_KEYS))


def _date(ld: dict | None, meta: dict[str, str], tree: LexborHTMLParser, blocks: list[Block],
          title: str | None, page_url: str | None) -> str | None:
    """The publication date the page states, else the modification date it states, else a date
    written near the headline, else a date in the URL. (Preferring a modification date written
    near the headline over the stated publication date matched wcxb-dev's gold less often.)"""
    return (_published(ld, meta, tree) or _modified(ld, meta) or date_near_headline(blocks, title)
            or url_date(page_url))


def _blocks_near_headline(blocks: list[Block], headline: str | None) -> list[Block]:
    """The blocks from DATE_BLOCKS_BEFORE before the headline to DATE_BLOCKS_AFTER after it
    (from the page's start when no heading block is the headline)."""
    start = 0
    folded = headline.casefold() if headline else None
    first_h1 = None
    for position, block in enumerate(blocks[:MAX_HEADLINE_SEARCH]):
        if block.kind != "heading":
            continue
        if block.text.casefold() == folded:
            start = position
            break
        if first_h1 is None and _H1_PATH.search(block.path or ""):
            first_h1 = position
    else:
        start = first_h1 or 0
    start = max(0, start - DATE_BLOCKS_BEFORE)
    return blocks[start:start + DATE_BLOCKS_BEFORE + DATE_BLOCKS_AFTER]


def date_near_headline(blocks: list[Block], headline: str | None) -> str | None:
    """The first date written in a short block around the headline (a dateline, "By X, 4 August
    2010"), else in the first blocks of the page when no block is the headline."""
    for block in _blocks_near_headline(blocks, headline):
        if len(block.text) <= MAX_DATE_LINE_CHARS and _DIGIT.search(block.text):
            found = iso_date(block.text)
            if found:
                return found
    for block in blocks[:MAX_HEADLINE_SEARCH]:  # a line that is a date and little else ("Published on 4 May 2025")
        if len(block.text) <= MAX_DATE_ONLY_CHARS and _DIGIT.search(block.text):
            found = iso_date(block.text)
            if found:
                return found
    return None


def url_date(url: str | None) -> str | None:
    """A date in the URL's path (``/2025/09/04/slug``)."""
    match = _URL_DATE.search(urlsplit(url).path) if url else None
    return iso_date(f"{match.group(1)}-{int(match.group(2)):02d}-{int(match.group(3)):02d}") if match else None


def _site_name(ld: dict | None, site: dict | None, meta: dict[str, str]) -> str | None:
    value = _clean(meta.get("og:site_name"))
    if value:
        return value
    for obj in (ld.get("publisher") if ld else None, site):
        value = _clean(json_ld.text_value(obj.get("name")) if isinstance(obj, dict) else json_ld.text_value(obj))
        if value:
            return value
    for key in _SITE_KEYS[1:]:
        value = _clean(meta.get(key))
        if value and not value.startswith("@"):
            return value
    return None


def _language(ld: dict | None, meta: dict[str, str], tree: LexborHTMLParser) -> str | None:
    root = tree.css_first("html")
    declared = (root.attributes.get("lang") or root.attributes.get("xml:lang"),) if root is not None else ()
    return (_first_parsed(declared_language, declared)
            or _first_parsed(declared_language, (meta.get(key) for key in _LANGUAGE_KEYS))
            or (declared_language(json_ld.text_value(ld.get("inLanguage"))) if ld else None))


def _canonical(tree: LexborHTMLParser) -> str | None:
    for node in tree.css('link[rel~="canonical" i]')[:4]:
        href = node.attributes.get("href")
        if href:
            return href
    return None


def html_metadata(tree: LexborHTMLParser, url: str | None = None, blocks: list[Block] | None = None) -> Metadata:
    """What the page says about itself; ``url`` is where it came from (the base of relative links),
    ``blocks`` the page's blocks (:func:`segment_tree`), where a date written on the page is looked for."""
    meta = read_meta(tree)
    scripts = (node.text(deep=True) for node in tree.css('script[type="application/ld+json" i]'))
    objects = json_ld.parse_scripts(scripts)
    ld, site = json_ld.story_object(objects), json_ld.site_object(objects)
    base = _absolute(url, None)
    page_url = (_absolute(_canonical(tree), base) or _absolute(_first(meta, _URL_KEYS), base)
                or (_absolute(json_ld.url_value(ld.get("url")), base) if ld else None) or base)
    site_name = _site_name(ld, site, meta)
    headings = _headings(tree)
    image = _absolute(_first(meta, _IMAGE_KEYS), page_url)
    if image is None and ld:
        image = _absolute(json_ld.url_value(ld.get("image") or ld.get("thumbnailUrl")), page_url)
    description = _clean(_first(meta, _DESCRIPTION_KEYS), MAX_DESCRIPTION_CHARS)
    if description is None and ld:
        description = _clean(json_ld.text_value(ld.get("description")), MAX_DESCRIPTION_CHARS)
    title = _title(ld, meta, tree, site_name, headings)
    date = _date(ld, meta, tree, blocks or [], title, page_url)
    return Metadata(title=title, author=_author(ld, meta, tree), date=date, site_name=site_name,
                    language=_language(ld, meta, tree),
                    description=description, url=page_url, image=image)
