"""Task functions for the pool tests; a module of its own so spawned workers can import them."""

import gc
import os
import time


def echo(value: str) -> str:
    return value


def hang(value: str) -> str:
    time.sleep(600)
    return value


def die(value: str) -> str:
    os._exit(3)


def preloaded(value: str) -> tuple[int, bool]:
    """What a worker inherits: objects frozen out of the collector, the language model."""
    from crawler.extract import metadata

    return gc.get_freeze_count(), metadata._identifier.cache_info().currsize > 0
