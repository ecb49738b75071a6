"""Settings of the example project: the storyfilter add-on and a polite crawl."""

BOT_NAME = "news"
SPIDER_MODULES = ["news.spiders"]
NEWSPIDER_MODULE = "news.spiders"

# storyfilter: one line. Every item a spider yields gets `story_text` (the middleware scores
# the response it came from); items carrying an `html` field are scored by the pipeline.
ADDONS = {"classifier.integrations.scrapy.StoryFilterAddon": 0}

# Optional (defaults shown in docs/scrapy.md):
# STORYFILTER_MODEL = "path/to/model"        # your own model directory; default: the shipped one
# STORYFILTER_THRESHOLD = 0.6                # stricter than the model's own threshold
# STORYFILTER_INCLUDE_BLOCKS = True          # also `story_blocks`: every block with its score
# STORYFILTER_DROP_EMPTY = True              # drop items whose page has no story
# STORYFILTER_API_URL = "http://scorer:8000" # score with `storyfilter serve` instead of in process
#                                            # (key from STORYFILTER_API_KEY in the environment)

ROBOTSTXT_OBEY = True
DEPTH_LIMIT = 1
CONCURRENT_REQUESTS_PER_DOMAIN = 4
AUTOTHROTTLE_ENABLED = True
FEED_EXPORT_ENCODING = "utf-8"
