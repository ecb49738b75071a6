"""The page's own description in JSON-LD (``<script type="application/ld+json">``), read
without a JSON-LD processor: the object that describes the page (an Article, a
NewsArticle, a BlogPosting, a WebPage...) and its plain fields.

Bounded: at most ``MAX_SCRIPTS`` scripts of ``MAX_SCRIPT_CHARS`` each, and at most
``MAX_NODES`` JSON values visited per page, whatever the nesting.
"""
from __future__ import annotations

import html
import json
from collections.abc import Iterable, Iterator
from typing import Any

MAX_SCRIPTS = 32
MAX_SCRIPT_CHARS = 1_000_000
MAX_NODES = 20_000

# The types whose object describes the story itself, best first; anything else typed
# (an Organization, a BreadcrumbList) is read only for the publisher and the site name.
_STORY_TYPES = ("newsarticle", "reportagenewsarticle", "analysisnewsarticle", "opinionnewsarticle",
                "article", "blogposting", "liveblogposting", "scholarlyarticle", "techarticle",
                "report", "socialmediaposting", "discussionforumposting", "qapage", "howto", "recipe",
                "review", "product", "event", "videoobject", "creativework", "webpage", "itempage",
                "aboutpage", "faqpage", "medicalwebpage", "collectionpage", "profilepage")
_RANK = {name: rank for rank, name in enumerate(_STORY_TYPES)}
_SITE_TYPES = frozenset(("website", "organization", "newsmediaorganization", "corporation", "localbusiness"))


def parse_scripts(texts: Iterable[str]) -> list[dict[str, Any]]:
    """Every JSON object in the scripts (``@graph`` members and list items flattened), bounded."""
    objects: list[dict[str, Any]] = []
    budget = [MAX_NODES]
    for count, text in enumerate(texts):
        if count >= MAX_SCRIPTS:
            break
        if not text or len(text) > MAX_SCRIPT_CHARS:
            continue
        try:
            data = json.loads(_strip_wrapping(text))
        except (ValueError, RecursionError):
            continue
        objects.extend(_objects(data, budget))
    return objects


def _strip_wrapping(text: str) -> str:
    """Some sites wrap the JSON in an HTML comment or CDATA, or end it with a stray ``;``."""
    text = text.strip()
    for start, end in (("<!--", "-->"), ("<![CDATA[", "]]>"), ("//<![CDATA[", "//]]>")):
        if text.startswith(start) and text.endswith(end):
            text = text[len(start):-len(end)].strip()
    return text.rstrip(";")


def _objects(data: Any, budget: list[int]) -> Iterator[dict[str, Any]]:
    """Top-level objects: a list's items and ``@graph`` members, one level deep each."""
    stack = [data]
    while stack and budget[0] > 0:
        item = stack.pop()
        budget[0] -= 1
        if isinstance(item, list):
            stack.extend(reversed(item[:1000]))
        elif isinstance(item, dict):
            graph = item.get("@graph")
            if isinstance(graph, list):
                stack.extend(reversed(graph[:1000]))
            if "@type" in item:
                yield item


def types_of(obj: dict[str, Any]) -> list[str]:
    """The object's ``@type`` names, lowercase, without a vocabulary prefix."""
    value = obj.get("@type")
    names = value if isinstance(value, list) else [value]
    return [name.rsplit("/", 1)[-1].rsplit(":", 1)[-1].lower() for name in names if isinstance(name, str)]


def story_object(objects: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The object that describes the page's story: the best-ranked type, the first of its rank."""
    best, best_rank = None, len(_STORY_TYPES)
    for obj in objects:
        for name in types_of(obj):
            rank = _RANK.get(name, best_rank)
            if rank < best_rank:
                best, best_rank = obj, rank
    return best


def site_object(objects: list[dict[str, Any]]) -> dict[str, Any] | None:
    """A WebSite or Organization object, for the site's name."""
    for obj in objects:
        if not _SITE_TYPES.isdisjoint(types_of(obj)):
            return obj
    return None


def text_value(value: Any) -> str | None:
    """A plain string field: a string, the first string of a list, or an object's ``name``/``@value``."""
    for _ in range(4):  # bounded unwrapping of lists and objects
        if isinstance(value, list):
            value = value[0] if value else None
        elif isinstance(value, dict):
            value = value.get("name", value.get("@value"))
        else:
            break
    if isinstance(value, str):
        value = " ".join(html.unescape(value).split())
        return value or None
    return None


def names(value: Any, limit: int = 8) -> list[str]:
    """Author names: strings, ``{"name": ...}`` objects, or lists of either."""
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items[:limit]:
        name = text_value(item.get("name") if isinstance(item, dict) else item)
        if name and name not in out:
            out.append(name)
    return out


def url_value(value: Any) -> str | None:
    """A URL field: a string, an object's ``url``/``@id``, or the first of a list."""
    for _ in range(4):
        if isinstance(value, list):
            value = value[0] if value else None
        elif isinstance(value, dict):
            value = value.get("url", value.get("contentUrl", value.get("@id")))
        else:
            break
    return (value.strip() or None) if isinstance(value, str) else None
