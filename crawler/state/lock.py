"""One crawl per SQLite crawl state at a time. Two crawls on one state (cron jobs that overlap)
both judged the same articles new and both delivered them; the second now stops at start.

An exclusive ``flock`` on ``<state>.lock``, held for the crawl's life and dropped by the kernel
when its process ends, however it ends: no stale lock to clean up after a kill. A separate file,
because closing any descriptor of the database would drop SQLite's own POSIX locks.
"""

from __future__ import annotations

import fcntl
import os
import socket
from pathlib import Path


class StateLocked(Exception):
    """Another crawl holds the state; the message names it."""


class StateLock:
    def __init__(self, state_path: str | Path) -> None:
        self.path = Path(f"{state_path}.lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock, or raise ``StateLocked`` at once (a crawl never waits for another)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
            os.close(fd)
            raise StateLocked(
                f"the crawl state {self.path.with_suffix('')} is in use by another crawl "
                f"({holder}); this one stops without fetching anything"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # drops the flock
            self._fd = None
