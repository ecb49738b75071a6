"""What the Scrapy components share: the ``STORYFILTER_*`` settings, and one scorer per crawler.

The scorer holds the hook (the model loaded once per crawler, however many components
use it), runs it off the reactor thread so downloads go on while a page is scored,
keeps the crawl stats, and turns a failure into a counted error instead of a lost item.
"""
from __future__ import annotations

import logging
import os
import weakref
from dataclasses import dataclass
from typing import Any

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.settings import BaseSettings
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from ..arguments import parse_threshold
from ..errors import StoryFilterError
from ..hooks import Headers, PageHook, RemoteHook, make_hook
from ..result import FilterResult

logger = logging.getLogger("storyfilter.scrapy")

STATS = ("pages_scored", "blocks_kept", "blocks_dropped", "empty_stories", "errors")


@dataclass(frozen=True)
class StoryFilterConfig:
    """The ``STORYFILTER_*`` settings, read and checked once."""

    enabled: bool = True
    model: str | None = None  # a model directory; None: the shipped model
    threshold: float | None = None  # None: the model's own
    input_field: str = "html"  # the pipeline reads the page from this item field
    output_field: str = "story_text"
    blocks_field: str = "story_blocks"
    include_blocks: bool = False
    drop_empty: bool = False
    api_url: str | None = None  # score through a ``storyfilter serve`` service instead
    api_key: str | None = None
    mode: str = "auto"  # how the pipeline reads its input field: auto, html or text
    in_thread: bool = True  # score off the reactor thread
    timeout: float = 30.0  # seconds per request to the scoring service

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> StoryFilterConfig:
        """Read and validate the settings; raise ``NotConfigured`` when disabled."""
        if not settings.getbool("STORYFILTER_ENABLED", True):
            raise NotConfigured("STORYFILTER_ENABLED is False")
        threshold = _threshold(settings.get("STORYFILTER_THRESHOLD"))
        input_field = settings.get("STORYFILTER_INPUT_FIELD") or "html"
        mode = settings.get("STORYFILTER_MODE") or (input_field if input_field in ("html", "text") else "auto")
        if mode not in ("auto", "html", "text"):
            raise ValueError(f"STORYFILTER_MODE must be auto, html or text, got {mode!r}")
        api_url = settings.get("STORYFILTER_API_URL") or None
        model = settings.get("STORYFILTER_MODEL") or None
        if api_url and model:
            raise ValueError("set STORYFILTER_MODEL or STORYFILTER_API_URL, not both")
        return cls(enabled=True, model=str(model) if model else None, threshold=threshold,
                   input_field=input_field, output_field=settings.get("STORYFILTER_OUTPUT_FIELD") or "story_text",
                   blocks_field=settings.get("STORYFILTER_BLOCKS_FIELD") or "story_blocks",
                   include_blocks=settings.getbool("STORYFILTER_INCLUDE_BLOCKS", False),
                   drop_empty=settings.getbool("STORYFILTER_DROP_EMPTY", False), api_url=api_url,
                   api_key=settings.get("STORYFILTER_API_KEY") or os.environ.get("STORYFILTER_API_KEY") or None,
                   mode=mode, in_thread=settings.getbool("STORYFILTER_IN_THREAD", True),
                   timeout=settings.getfloat("STORYFILTER_TIMEOUT", 30.0))


def _threshold(raw: Any) -> float | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    return parse_threshold(raw, "STORYFILTER_THRESHOLD")


class CrawlerScorer:
    """Scores pages for one crawler and keeps its ``storyfilter/*`` stats."""

    def __init__(self, hook: PageHook, config: StoryFilterConfig, stats: Any) -> None:
        self.hook = hook
        self.config = config
        self.stats = stats
        self._warned_fields: set[type] = set()

    # ----- scoring ----------------------------------------------------------------------
    def _run(self, page: str | bytes, url: str | None, headers: Headers | None,
             mode: str) -> FilterResult | Exception:
        """The hook call; runs in a worker thread, so it returns errors instead of raising."""
        try:
            return self.hook(page, url, headers, mode=mode)
        except Exception as err:  # noqa: BLE001 - one bad page must never stop the crawl
            return err

    async def score(self, page: str | bytes, url: str | None = None, headers: Headers | None = None,
                    mode: str = "auto") -> FilterResult | None:
        """The page's result, or None if it could not be scored (counted and logged)."""
        if self.config.in_thread:
            outcome = await maybe_deferred_to_future(deferToThread(self._run, page, url, headers, mode))
        else:
            outcome = self._run(page, url, headers, mode)
        return self._count(outcome, url)

    def score_sync(self, page: str | bytes, url: str | None = None, headers: Headers | None = None,
                   mode: str = "auto") -> FilterResult | None:
        """:meth:`score` on the calling thread (for Scrapy's synchronous spider-middleware path)."""
        return self._count(self._run(page, url, headers, mode), url)

    def _count(self, outcome: FilterResult | Exception, url: str | None) -> FilterResult | None:
        """Stats are updated here, on the reactor thread: the stats collector is not thread-safe."""
        inc = self.stats.inc_value
        if isinstance(outcome, Exception):
            inc("storyfilter/errors")
            inc(f"storyfilter/errors/{type(outcome).__name__}")
            if isinstance(outcome, (StoryFilterError, ValueError)):
                logger.warning("storyfilter: could not score %s: %s", url, outcome)
            else:
                logger.error("storyfilter: unexpected error scoring %s", url, exc_info=outcome)
            return None
        kept = sum(1 for b in outcome.blocks if b.label == "story")
        inc("storyfilter/pages_scored")
        inc("storyfilter/blocks_kept", kept)
        inc("storyfilter/blocks_dropped", len(outcome.blocks) - kept)
        if not outcome.story_text:
            inc("storyfilter/empty_stories")
        return outcome

    # ----- items ---------------------------------------------------------------------------
    def apply(self, item: Any, result: FilterResult | None) -> bool:
        """Write the result into the item; False when the item should be dropped (empty story,
        ``STORYFILTER_DROP_EMPTY``). A page that could not be scored gets ``None`` and is kept."""
        adapter = ItemAdapter(item)
        try:
            if result is None:
                adapter[self.config.output_field] = None
            else:
                adapter[self.config.output_field] = result.story_text
                if self.config.include_blocks:
                    adapter[self.config.blocks_field] = [b.to_dict() for b in result.blocks]
        except KeyError as err:  # a scrapy.Item without the field declared
            self.stats.inc_value("storyfilter/errors")
            self.stats.inc_value("storyfilter/errors/undeclared_field")
            if type(item) not in self._warned_fields:
                self._warned_fields.add(type(item))
                logger.error("storyfilter: %s has no field %s; declare %r%s in it to receive the story",
                             type(item).__name__, err, self.config.output_field,
                             f" and {self.config.blocks_field!r}" if self.config.include_blocks else "")
            return True
        return not (self.config.drop_empty and result is not None and not result.story_text)

    def init_stats(self) -> None:
        """Every counter starts at 0, so a crawl with no errors says ``errors: 0``."""
        for name in STATS:
            if self.stats.get_value(f"storyfilter/{name}") is None:
                self.stats.set_value(f"storyfilter/{name}", 0)


_SCORERS: weakref.WeakKeyDictionary[Any, CrawlerScorer] = weakref.WeakKeyDictionary()


def scorer_for(crawler: Any) -> CrawlerScorer:
    """The crawler's scorer, built (and its model loaded) on first use only.

    Raises ``NotConfigured`` when disabled; a bad ``STORYFILTER_MODEL`` raises
    ``ModelError`` here, when the crawler starts, not on the first item.
    """
    scorer = _SCORERS.get(crawler)
    if scorer is not None:
        return scorer
    config = StoryFilterConfig.from_settings(crawler.settings)
    hook = make_hook(config.model, api_url=config.api_url, api_key=config.api_key,
                     threshold=config.threshold, timeout=config.timeout)
    if isinstance(hook, RemoteHook):
        hook.model_info()  # an unreachable service or a refused key fails the crawl now
    scorer = _SCORERS[crawler] = CrawlerScorer(hook, config, crawler.stats)
    crawler.signals.connect(scorer.init_stats, signal=signals.spider_opened, weak=False)
    logger.info("storyfilter: scoring with %r%s, threshold %s, %s", hook,
                "" if config.api_url else " in process",
                "the model's" if config.threshold is None else config.threshold,
                "in worker threads" if config.in_thread else "on the reactor thread")
    return scorer
