"""Task functions for the pool tests; a module of its own so spawned workers can import them."""

import os
import time


def echo(value: str) -> str:
    return value


def hang(value: str) -> str:
    time.sleep(600)
    return value


def die(value: str) -> str:
    os._exit(3)
