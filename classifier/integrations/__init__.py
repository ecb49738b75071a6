"""Adapters that plug storyfilter into scrapers and crawl frameworks."""
