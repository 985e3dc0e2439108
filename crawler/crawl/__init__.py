"""The crawl side: discovery of article URLs, the frontier, downloader middlewares, the extraction
worker pool and the distributed (Redis) scheduling.
"""
