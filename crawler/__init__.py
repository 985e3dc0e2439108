"""newscrawl: a Scrapy news-portal crawler that writes clean JSON Lines."""

__version__ = "0.1.0"
