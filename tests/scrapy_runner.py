"""Run one real Scrapy crawl in this process and write its items and stats (tests and bench).

A subprocess per crawl: Twisted's reactor cannot be restarted, so pytest never hosts it.

    python tests/scrapy_runner.py '{"start_url": ..., "spider": "html"|"meta", "settings": {...},
                                   "items": "out.jsonl", "stats": "stats.json"}'

Spiders: ``html`` yields ``{"url", "html"}`` for every page it follows (the pipeline's
input: ``response.text``, or the body bytes for a non-text response such as an image);
``meta`` yields ``{"url", "status"}`` only, for the middleware to fill in.
Exit code 3 (with the error on stderr) if the crawl fails to start.
"""
from __future__ import annotations

import json
import sys
import time
from typing import Any

import scrapy
from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.http import TextResponse


class SiteSpider(scrapy.Spider):
    name = "site"
    kind = "html"

    def __init__(self, start_url: str, kind: str = "html", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start_urls = [start_url]
        self.kind = kind

    def parse(self, response):
        for href in response.css("a::attr(href)").getall():
            if href.startswith(("/story/", "/media/")):
                yield response.follow(href, self.parse_page)
            elif href.startswith("/index/"):
                yield response.follow(href, self.parse)

    def parse_page(self, response):
        item: dict[str, Any] = {"url": response.url}
        if self.kind == "html":
            item["html"] = response.text if isinstance(response, TextResponse) else response.body
        else:
            item["status"] = response.status
        yield item


def main(config: dict[str, Any]) -> int:
    settings = {"LOG_LEVEL": "INFO", "TELNETCONSOLE_ENABLED": False, "REMOTE_CONTROL_ENABLED": False,
                "ROBOTSTXT_OBEY": False, "HTTPCACHE_ENABLED": False,
                "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
                **config.get("settings", {})}
    if config.get("items"):
        # the page itself (str or bytes) is not exported: bytes are not JSON
        fields = config.get("fields", ["url", "status", "story_text", "story_blocks"])
        settings["FEEDS"] = {config["items"]: {"format": "jsonlines", "encoding": "utf-8", "fields": fields}}
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(SiteSpider)
    cpu: dict[str, float] = {}  # process CPU time (all threads) from spider open to close
    crawler.signals.connect(lambda: cpu.setdefault("open", time.process_time()), signal=signals.spider_opened,
                            weak=False)
    crawler.signals.connect(lambda: cpu.setdefault("close", time.process_time()), signal=signals.spider_closed,
                            weak=False)
    failures: list[Any] = []
    process.crawl(crawler, start_url=config["start_url"], kind=config.get("spider", "html")).addErrback(
        failures.append)
    process.start()
    if failures:
        print(f"crawl failed: {failures[0].getErrorMessage()}", file=sys.stderr)
        return 3
    if config.get("stats"):
        stats = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in crawler.stats.get_stats().items()}
        if len(cpu) == 2:
            stats["cpu_seconds"] = cpu["close"] - cpu["open"]
        with open(config["stats"], "w", encoding="utf-8") as handle:
            json.dump(stats, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main(json.loads(sys.argv[1])))
