"""The pure side: a page (bytes, URL, site) becomes a record or a reject. Nothing here imports
Scrapy or Twisted: it runs in the extraction workers, in ``scrapy extract`` and in the benches.
"""
