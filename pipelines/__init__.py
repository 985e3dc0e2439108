"""Item pipelines, in order: dedup -> incremental (new or changed only); the feed export writes what
remains. Records reach them cleaned and validated (``crawler.extract.page``)."""
