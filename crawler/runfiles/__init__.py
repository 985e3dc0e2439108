"""Scrapy extensions that write a run's files: the atomic feed storage, the manifest, the rejects
file and the stats file.
"""
