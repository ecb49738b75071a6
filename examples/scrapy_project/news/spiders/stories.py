"""Visit a start page and the pages it links to on the same site; one item per page.

    scrapy crawl stories -a start_url=https://example.org/news/ -O stories.jsonl

Items carry only the URL and the title: storyfilter's middleware adds `story_text`.
"""
from __future__ import annotations

from urllib.parse import urlsplit

import scrapy
from scrapy.linkextractors import LinkExtractor


class StoriesSpider(scrapy.Spider):
    name = "stories"

    def __init__(self, start_url: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        if not start_url:
            raise ValueError("give a start page: scrapy crawl stories -a start_url=https://...")
        self.start_urls = [start_url]
        host = urlsplit(start_url).hostname
        self.allowed_domains = [host] if host else []  # links elsewhere are dropped as offsite
        self.links = LinkExtractor() if host else None  # a file:// page has no site to follow

    def parse(self, response):
        if not isinstance(response, scrapy.http.TextResponse):
            return  # an image or a PDF: nothing to read
        yield {"url": response.url, "title": response.css("title::text").get("").strip()}
        if self.links:
            for link in self.links.extract_links(response):
                yield response.follow(link, callback=self.parse)
