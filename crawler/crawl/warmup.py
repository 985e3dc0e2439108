"""Imported by the extraction pool's forkserver (``crawler.crawl.pool``), never by the crawl itself:
the extraction stack and its models load here once, and every worker forked after shares them.

``gc.freeze`` then moves everything loaded so far out of the garbage collector's reach: its
collections in a worker would otherwise write to every object's header and so copy the shared
pages holding them into that worker."""

import gc

from crawler.crawl.pool import warm_up

warm_up()
gc.freeze()
