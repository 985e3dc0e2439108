"""A bundled seed-style news portal, its ground truth and a tiny static server for crawl tests."""
