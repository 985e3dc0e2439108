"""The baseline of bench/throughput.py: the Scrapy spider a user would write with trafilatura.

It follows links from the home and listing pages of the benchmark site, and extracts each
article inline in its callback with ``trafilatura.bare_extraction(..., with_metadata=True)``,
yielding one dict per article. No newscrawl code is involved; run it outside the project (no
``scrapy.cfg`` above the working directory) so that plain Scrapy defaults apply:

    python -m scrapy runspider bench/baseline_spider.py -a start_url=URL/ -O out.jsonl
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import scrapy
import trafilatura
from scrapy.http import Response

# The URL shapes of the benchmark site (bench/throughput.py): articles carry a date.
ARTICLE = re.compile(r"/news/\d{4}/\d\d/\d\d/")
LISTING = re.compile(r"/news/page/\d+\.html$")
FIELDS = ("title", "author", "date", "sitename", "description", "categories", "tags", "text")


class BaselineSpider(scrapy.Spider):
    name = "baseline"

    def __init__(self, start_url: str = "http://127.0.0.1:8000/", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start_urls = [start_url]

    def parse(self, response: Response) -> Iterator[scrapy.Request]:
        for href in response.css("a::attr(href)").getall():
            url = response.urljoin(href)
            if ARTICLE.search(url):
                yield scrapy.Request(url, self.parse_article)
            elif LISTING.search(url):
                yield scrapy.Request(url, self.parse)

    def parse_article(self, response: Response) -> Iterator[dict[str, Any]]:
        doc = trafilatura.bare_extraction(response.text, url=response.url, with_metadata=True)
        if doc is None:
            return
        fields = doc.as_dict()
        yield {"url": response.url, **{name: fields.get(name) for name in FIELDS}}
