"""Scrapy integration: clean the story of every scraped page as the crawl runs.

Three components, all configured by ``STORYFILTER_*`` settings (see docs/scrapy.md):

- :class:`StoryFilterAddon` — ``ADDONS = {"classifier.integrations.scrapy.StoryFilterAddon": 0}``
  switches on both components below.
- :class:`StoryFilterPipeline` — item pipeline: reads the page from an item field
  (``STORYFILTER_INPUT_FIELD``, default ``html``), writes ``story_text``.
- :class:`StoryFilterMiddleware` — spider middleware: scores the response itself and
  writes ``story_text`` into every item the callback yields for it, so items need not
  carry HTML.

A page that cannot be scored (binary, a service error) is counted in
``storyfilter/errors`` and its items pass on with ``story_text = None`` — ``None``
(not ``""``) tells "could not read" from "no story", and keeps the field in every
exported row. The pipeline leaves alone an item whose output field already holds a story
(set by the middleware), so with both on a page is scored once.
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Any

from itemadapter import ItemAdapter, is_item
from scrapy.exceptions import DropItem, NotConfigured
from scrapy import Item
from scrapy.http import Response

from .scrapy_scoring import CrawlerScorer, StoryFilterConfig, scorer_for

__all__ = ["StoryFilterAddon", "StoryFilterConfig", "StoryFilterMiddleware", "StoryFilterPipeline"]

PIPELINE_PRIORITY = 200  # before pipelines that store or export items
MIDDLEWARE_PRIORITY = 950  # spider side of the built-ins: sees the spider's items first


class StoryFilterPipeline:
    """Item pipeline: ``item[STORYFILTER_INPUT_FIELD]`` (HTML or text) -> ``item["story_text"]``.

    Items without the input field pass untouched. With ``STORYFILTER_DROP_EMPTY`` an item
    whose story is empty is dropped (``DropItem``); one that could not be scored never is.
    """

    def __init__(self, scorer: CrawlerScorer) -> None:
        self.scorer = scorer
        self.config = scorer.config

    @classmethod
    def from_crawler(cls, crawler: Any) -> StoryFilterPipeline:
        return cls(scorer_for(crawler))

    async def process_item(self, item: Any, spider: Any = None) -> Any:
        adapter = ItemAdapter(item)
        page = adapter.get(self.config.input_field)
        if page is None or _already_scored(item, adapter, self.config.output_field):
            return item
        result = await self.scorer.score(page, url=adapter.get("url"), mode=self.config.mode)
        if not self.scorer.apply(item, result):
            raise DropItem(f"storyfilter: empty story ({adapter.get('url') or 'no url'})")
        return item


def _already_scored(item: Any, adapter: ItemAdapter, field: str) -> bool:
    """Whether the middleware scored this item. A dict or ``scrapy.Item`` holds the output field
    only once it is written (even as None, for a page that could not be read); a dataclass,
    attrs or pydantic item always holds it, None by default, so there only a story counts."""
    if isinstance(item, (dict, Item)):
        return field in adapter
    return adapter.get(field) is not None


class StoryFilterMiddleware:
    """Spider middleware: scores each response that yields items, once, and writes the
    result into those items. Requests pass through; a response is scored only when its
    callback yields an item, so listing pages that only yield requests cost nothing.
    """

    def __init__(self, scorer: CrawlerScorer) -> None:
        self.scorer = scorer

    @classmethod
    def from_crawler(cls, crawler: Any) -> StoryFilterMiddleware:
        return cls(scorer_for(crawler))

    async def process_spider_output_async(self, response: Response, result: AsyncIterator[Any],
                                          spider: Any = None) -> AsyncIterator[Any]:
        scored, done = None, False
        async for obj in result:
            if is_item(obj):
                if not done:
                    scored, done = await self.scorer.score(response.body, response.url, response.headers), True
                if not self._keep(obj, scored):
                    continue
            yield obj

    def process_spider_output(self, response: Response, result: Iterable[Any],
                              spider: Any = None) -> Iterable[Any]:
        """The synchronous path Scrapy takes when an earlier middleware is synchronous."""
        scored, done = None, False
        for obj in result:
            if is_item(obj):
                if not done:
                    scored, done = self.scorer.score_sync(response.body, response.url, response.headers), True
                if not self._keep(obj, scored):
                    continue
            yield obj

    def _keep(self, item: Any, scored: Any) -> bool:
        if self.scorer.apply(item, scored):
            return True
        self.scorer.stats.inc_value("storyfilter/items_dropped")
        return False


class StoryFilterAddon:
    """Scrapy add-on: switches on the middleware and the pipeline (``STORYFILTER_ENABLED``
    False turns both off). Components already listed in the settings keep their priority."""

    def __init__(self, crawler: Any = None) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> StoryFilterAddon:
        if not crawler.settings.getbool("STORYFILTER_ENABLED", True):
            raise NotConfigured("STORYFILTER_ENABLED is False")
        return cls(crawler)

    def update_settings(self, settings: Any) -> None:
        _add_component(settings, "SPIDER_MIDDLEWARES", StoryFilterMiddleware, MIDDLEWARE_PRIORITY)
        _add_component(settings, "ITEM_PIPELINES", StoryFilterPipeline, PIPELINE_PRIORITY)


def _add_component(settings: Any, name: str, cls: type, priority: int) -> None:
    """Add ``cls`` to a component priority dict unless it is there (by class or import path)."""
    setdefault = getattr(settings, "setdefault_in_component_priority_dict", None)
    if setdefault is not None:
        setdefault(name, cls, priority)
        return
    components = settings.getdict(name)
    path = f"{cls.__module__}.{cls.__qualname__}"
    if cls not in components and path not in components:
        components[cls] = priority
        settings.set(name, components, settings.getpriority(name) or 0)
