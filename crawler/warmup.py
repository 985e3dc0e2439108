"""Imported by the extraction pool's forkserver (``crawler.pool``), never by the crawl itself:
the extraction stack and its models load here once, and every worker forked after shares them."""

from crawler.pool import warm_up

warm_up()
