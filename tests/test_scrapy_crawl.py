"""Real Scrapy crawls of a local site with the pipeline, the middleware, the add-on and the
remote scoring service. Each crawl runs in its own process (tests/scrapy_runner.py): a
Twisted reactor cannot be restarted inside pytest.
"""
from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from extras import require

require("scrapy", "scrapy")

from scrapy.exceptions import NotConfigured
from scrapy_site import CLUTTER_WORDS, NAV, RELATED, TEASERS, news_site, serve_site
from service_process import REPO, repo_env, running_service

from classifier.hooks import make_hook

PIPELINE = {"ITEM_PIPELINES": {"classifier.integrations.scrapy.StoryFilterPipeline": 300}}
MIDDLEWARE = {"SPIDER_MIDDLEWARES": {"classifier.integrations.scrapy.StoryFilterMiddleware": 950}}
ADDON = {"ADDONS": {"classifier.integrations.scrapy.StoryFilterAddon": 0}}
SCORED = ["/story/1", "/story/2", "/story/3", "/story/cafe", "/story/broken", "/story/empty"]
KEY = "crawl-test-key"


# ----- the components in process (a real Crawler and stats collector; no reactor needed) -----------
def _crawler(**settings):
    from scrapy.utils.test import get_crawler

    return get_crawler(settings_dict=settings)


def test_one_scorer_per_crawler_and_settings_checked_at_start():
    from classifier.integrations.scrapy import StoryFilterMiddleware, StoryFilterPipeline

    crawler = _crawler(STORYFILTER_THRESHOLD="0.7")
    pipeline, middleware = StoryFilterPipeline.from_crawler(crawler), StoryFilterMiddleware.from_crawler(crawler)
    assert pipeline.scorer is middleware.scorer and pipeline.scorer.hook.threshold == 0.7
    assert StoryFilterPipeline.from_crawler(_crawler()).scorer is not pipeline.scorer
    with pytest.raises(NotConfigured):
        StoryFilterPipeline.from_crawler(_crawler(STORYFILTER_ENABLED=False))
    with pytest.raises(ValueError, match="must be a number"):
        StoryFilterPipeline.from_crawler(_crawler(STORYFILTER_THRESHOLD="strict"))
    with pytest.raises(ValueError, match="not both"):
        StoryFilterPipeline.from_crawler(_crawler(STORYFILTER_MODEL="m", STORYFILTER_API_URL="http://127.0.0.1:1"))


def test_an_item_class_without_the_field_is_reported_not_lost(site):
    import scrapy

    from classifier.integrations.scrapy import StoryFilterPipeline

    class Bare(scrapy.Item):
        url = scrapy.Field()
        html = scrapy.Field()

    class Declared(Bare):
        story_text = scrapy.Field()

    scorer = StoryFilterPipeline.from_crawler(_crawler()).scorer
    result = scorer.hook(site["/story/1"].body)
    bare, declared = Bare(url="u", html="h"), Declared(url="u", html="h")
    assert scorer.apply(bare, result) and dict(bare) == {"url": "u", "html": "h"}
    assert scorer.stats.get_value("storyfilter/errors/undeclared_field") == 1
    assert scorer.apply(declared, result) and declared["story_text"] == result.story_text


def test_the_pipeline_scores_dataclass_items_that_declare_the_output_field(site):
    import asyncio

    from classifier.integrations.scrapy import StoryFilterPipeline

    @dataclass
    class Story:
        url: str
        html: bytes
        story_text: str | None = None

    pipeline = StoryFilterPipeline.from_crawler(_crawler(STORYFILTER_IN_THREAD=False))
    item = asyncio.run(pipeline.process_item(Story("http://x/story/1", site["/story/1"].body)))
    assert item.story_text and item.story_text == pipeline.scorer.hook(site["/story/1"].body).story_text


@dataclass
class Crawl:
    returncode: int
    items: dict[str, dict]  # by URL path
    stats: dict
    log: str

    def storyfilter_stats(self) -> dict:
        return {k.split("/", 1)[1]: v for k, v in self.stats.items() if k.startswith("storyfilter/")}


@pytest.fixture(scope="module")
def site():
    return news_site()


@pytest.fixture(scope="module")
def base_url(site) -> Iterator[str]:
    with serve_site(site) as base:
        yield base


@pytest.fixture(scope="module")
def expected(site) -> dict:
    """What the shipped model makes of each page in this process: the crawls must agree."""
    hook = make_hook()
    results = {path: hook(site[path].body, headers={"Content-Type": site[path].content_type}) for path in SCORED}
    kept = sum(1 for r in results.values() for b in r.blocks if b.label == "story")
    total = sum(len(r.blocks) for r in results.values())
    return {"results": results, "blocks_kept": kept, "blocks_dropped": total - kept}


def crawl(tmp_path: Path, base_url: str, spider: str, settings: dict) -> Crawl:
    items, stats = tmp_path / "items.jsonl", tmp_path / "stats.json"
    config = {"start_url": base_url + "/", "spider": spider, "settings": settings,
              "items": str(items), "stats": str(stats)}
    proc = subprocess.run([sys.executable, str(REPO / "tests" / "scrapy_runner.py"), json.dumps(config)],
                          cwd=tmp_path, env=repo_env(), capture_output=True, text=True, timeout=120, check=False)
    rows = [json.loads(line) for line in items.read_text(encoding="utf-8").splitlines()] if items.exists() else []
    by_path = {urlsplit(row["url"]).path: row for row in rows}
    assert len(by_path) == len(rows), "an item came twice"
    return Crawl(proc.returncode, by_path, json.loads(stats.read_text()) if stats.exists() else {}, proc.stderr)


def assert_clean_stories(result: Crawl, site, expected) -> None:
    """Every story whole, no clutter, the same text as the library in process."""
    for path in ("/story/1", "/story/2", "/story/3", "/story/cafe", "/story/broken"):
        story = result.items[path]["story_text"]
        assert all(sentence in story for sentence in site[path].story), path
        leaked = [w for w in (*TEASERS, *RELATED, *CLUTTER_WORDS, *NAV) if w in story]
        assert not leaked, (path, leaked)
        assert story == expected["results"][path].story_text, path
    assert "“more visitors in one month than in the whole of last summer”" in result.items["/story/cafe"]["story_text"]


def assert_stats(result: Crawl, expected, **extra: int) -> None:
    assert result.storyfilter_stats() == {"pages_scored": 6, "errors": 1, "errors/InputError": 1,
                                          "empty_stories": 1, "blocks_kept": expected["blocks_kept"],
                                          "blocks_dropped": expected["blocks_dropped"], **extra}
    assert result.stats["finish_reason"] == "finished"
    assert "could not score" in result.log and "PNG image" in result.log
    assert "Traceback" not in result.log


def test_pipeline_crawl(tmp_path, base_url, site, expected):
    result = crawl(tmp_path, base_url, "html", PIPELINE)
    assert result.returncode == 0, result.log[-3000:]
    assert set(result.items) == {*SCORED, "/media/photo.png"}  # the 404 never becomes an item
    assert_clean_stories(result, site, expected)
    assert result.items["/story/empty"]["story_text"] == ""
    assert result.items["/media/photo.png"]["story_text"] is None  # could not be read: kept, marked None
    assert "story_blocks" not in result.items["/story/1"]
    assert_stats(result, expected)
    assert result.stats["item_scraped_count"] == 7


def test_middleware_crawl_items_carry_no_html(tmp_path, base_url, site, expected):
    result = crawl(tmp_path, base_url, "meta", MIDDLEWARE)
    assert result.returncode == 0, result.log[-3000:]
    assert set(result.items) == {*SCORED, "/media/photo.png"}
    assert all(set(item) <= {"url", "status", "story_text"} for item in result.items.values())
    assert_clean_stories(result, site, expected)
    assert result.items["/story/empty"]["story_text"] == ""
    assert result.items["/media/photo.png"]["story_text"] is None
    assert_stats(result, expected)


def test_addon_scores_each_page_once_drops_empty_and_adds_blocks(tmp_path, base_url, site, expected):
    settings = {**ADDON, "STORYFILTER_DROP_EMPTY": True, "STORYFILTER_INCLUDE_BLOCKS": True}
    result = crawl(tmp_path, base_url, "html", settings)
    assert result.returncode == 0, result.log[-3000:]
    assert "StoryFilterMiddleware" in result.log and "StoryFilterPipeline" in result.log
    assert result.log.count("storyfilter: scoring with") == 1  # one model for both components
    assert set(result.items) == {*SCORED, "/media/photo.png"} - {"/story/empty"}
    assert_clean_stories(result, site, expected)
    assert_stats(result, expected, items_dropped=1)  # six pages scored, not twelve
    item = result.items["/story/2"]
    assert [b["text"] for b in item["story_blocks"] if b["label"] == "story"] == item["story_text"].split("\n\n")
    assert len(item["story_blocks"]) == len(expected["results"]["/story/2"].blocks)
    assert result.items["/media/photo.png"]["story_text"] is None  # an unreadable page is never dropped


def test_disabled_switches_every_component_off(tmp_path, base_url):
    settings = {**ADDON, **PIPELINE, **MIDDLEWARE, "STORYFILTER_ENABLED": False}
    result = crawl(tmp_path, base_url, "html", settings)
    assert result.returncode == 0, result.log[-3000:]
    assert len(result.items) == 7 and not any("story_text" in item for item in result.items.values())
    assert result.storyfilter_stats() == {}
    assert "STORYFILTER_ENABLED is False" in result.log


@pytest.mark.parametrize("setting, message", [
    ({"STORYFILTER_MODEL": "/nonexistent/model"}, "/nonexistent/model: no such model directory"),
    ({"STORYFILTER_THRESHOLD": 2}, "STORYFILTER_THRESHOLD must be within [0, 1]"),
])
def test_bad_settings_fail_the_crawl_at_start(tmp_path, base_url, setting, message):
    result = crawl(tmp_path, base_url, "html", {**ADDON, **setting})
    assert result.returncode == 3
    assert message in result.log
    assert result.items == {} and "Crawled" not in result.log


@pytest.fixture(scope="module")
def service() -> Iterator[str]:
    require("fastapi", "serve")
    with running_service("--api-key", KEY) as base:
        yield base


def test_remote_api_crawl(tmp_path, base_url, site, expected, service):
    settings = {**PIPELINE, "STORYFILTER_API_URL": service, "STORYFILTER_API_KEY": KEY}
    result = crawl(tmp_path, base_url, "html", settings)
    assert result.returncode == 0, result.log[-3000:]
    assert f"RemoteHook('{service}')" in result.log
    assert set(result.items) == {*SCORED, "/media/photo.png"}
    assert_clean_stories(result, site, expected)
    assert result.items["/media/photo.png"]["story_text"] is None
    assert_stats(result, expected)


def test_remote_api_with_a_wrong_key_fails_at_start(tmp_path, base_url, service):
    settings = {**PIPELINE, "STORYFILTER_API_URL": service, "STORYFILTER_API_KEY": "wrong"}
    result = crawl(tmp_path, base_url, "html", settings)
    assert result.returncode == 3 and "refused the API key" in result.log
    assert result.items == {}


def test_example_project_crawls_with_the_addon(tmp_path, base_url, site):
    out = tmp_path / "stories.jsonl"
    proc = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "stories", "-a", f"start_url={base_url}/",
                           "-O", str(out), "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "LOG_LEVEL=INFO"],
                          cwd=REPO / "examples" / "scrapy_project", env=repo_env(), capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    items = {urlsplit(row["url"]).path: row for row in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert {"/story/1", "/story/2", "/story/3", "/story/cafe"} <= set(items)
    for path in ("/story/1", "/story/2", "/story/3", "/story/cafe"):
        story = items[path]["story_text"]
        assert all(sentence in story for sentence in site[path].story), path
        assert not any(t in story for t in TEASERS) and "RECOMMENDED" not in story
    assert "'storyfilter/errors': 0" in proc.stderr  # the PNG is never handed to the spider's parse
