"""py3langid's model, memory-mapped from a copy kept decompressed in the user's cache folder.

The packaged model is LZMA-compressed: decompressing it takes about half a second, in every
crawl's start-up, and 70 MB in every process that holds it. The copy is the model's arrays as
plain ``.npy`` files, mapped read-only: loading takes milliseconds, the extraction workers share
one copy in the page cache, and each holds only the pages its texts reach. ``np.load`` runs no
code from the files, so a tampered copy can skew language guesses but not run anything.

The folder is ``$NEWSCRAWL_CACHE_DIR``, else ``$XDG_CACHE_HOME/newscrawl``, else
``~/.cache/newscrawl``; an environment variable because the extraction workers that load the
model start before, and apart from, Scrapy's settings. Where the copy cannot be written or read,
the packaged model is loaded as py3langid loads it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import mmap
import os
import shutil
import tempfile
from importlib.metadata import version
from pathlib import Path

import numpy as np
from numpy.lib import format as npy
from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

logger = logging.getLogger(__name__)

_ARRAYS = ("nb_ptc", "nb_pc", "tk_nextmove", "tk_output", "tk_row")


def cache_folder() -> Path:
    folder = os.environ.get("NEWSCRAWL_CACHE_DIR") or Path(
        os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache", "newscrawl"
    )
    return Path(folder, f"py3langid-{version('py3langid')}")


def load() -> LanguageIdentifier:
    """The identifier, with probabilities normalised (a confidence in 0..1)."""
    folder = cache_folder()
    try:
        return _read(folder)
    except FileNotFoundError:
        pass
    except Exception as exc:  # a copy that cannot be read is rebuilt, whatever broke it
        logger.debug("language model cache %s unreadable: %r", folder, exc)
    identifier = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
    if not _store(identifier, folder):
        return identifier
    try:
        return _read(folder)
    except Exception as exc:  # written but not readable back: keep the decompressed model
        logger.debug("language model cache %s unreadable: %r", folder, exc)
        return identifier


def _read(folder: Path) -> LanguageIdentifier:
    arrays = {name: _mapped(folder / f"{name}.npy") for name in _ARRAYS}
    classes = json.loads((folder / "nb_classes.json").read_text(encoding="utf-8"))
    nb_ptc = arrays["nb_ptc"]
    if nb_ptc.shape[1:] != (len(classes),) or arrays["nb_pc"].shape != (len(classes),):
        raise ValueError(f"model shapes do not match {len(classes)} languages")
    identifier = LanguageIdentifier(
        nb_ptc,
        arrays["nb_pc"],
        classes,
        # The tables a text is walked through byte by byte, as memoryviews: they index as fast
        # as lists of ints, and stay pages of the mapped files that forked workers share.
        memoryview(arrays["tk_nextmove"]),
        memoryview(arrays["tk_output"]),
        norm_probs=True,
        tk_row=(),
    )
    # py3langid pre-shifts the row offsets into a list of Python ints (with tk_output as a
    # list, 11 MB of objects in every process that loads the model); an array instead.
    identifier.tk_row = memoryview(arrays["tk_row"])
    identifier._rowbase = memoryview(arrays["tk_row"].astype(np.int64) << 8)
    return identifier


def _mapped(path: Path) -> np.ndarray:
    """The array in a ``.npy`` file, mapped read-only and advised as randomly accessed: a text
    reaches a few scattered rows of each table, and without the advice the kernel maps the
    neighbouring pages too, so that after a few dozen texts every worker holds nearly the whole
    model (measured: about 25 MB more resident memory per worker over a 470-page crawl).

    The advice only governs pages read from disk: ``_store`` sees to those a copy is written
    with."""
    with path.open("rb") as f:
        header = {(1, 0): npy.read_array_header_1_0, (2, 0): npy.read_array_header_2_0}
        shape, fortran_order, dtype = header[npy.read_magic(f)](f)
        offset = f.tell()
        mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    if hasattr(mmap, "MADV_RANDOM"):
        mapped.madvise(mmap.MADV_RANDOM)
    array = np.frombuffer(mapped, dtype=dtype, count=math.prod(shape), offset=offset)
    return array.reshape(shape, order="F" if fortran_order else "C")


def _store(identifier: LanguageIdentifier, folder: Path) -> bool:
    """Written to a temporary folder and renamed: processes starting together never read half a
    copy. A broken copy in the way is removed first.

    Each file is synced and its pages then dropped from the page cache: written, they sit there
    as large folios, which recent kernels (6.18 here) map whole on a fault whatever the advice
    (one text made a process hold 38 MiB of the model, and a worker 64 MiB after a crawl
    instead of 36). Read back through the mapping, the pages come one by one and stay cached
    so for the crawls after."""
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=folder.parent))
    except OSError as exc:
        logger.debug("language model cache %s not written: %s", folder, exc)
        return False
    try:
        for name in _ARRAYS:
            with (tmp / f"{name}.npy").open("wb") as f:
                np.save(f, np.asarray(getattr(identifier, name)))
                f.flush()
                os.fsync(f.fileno())  # also on disk before the rename
                if hasattr(os, "posix_fadvise"):
                    os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
        (tmp / "nb_classes.json").write_text(json.dumps(identifier.nb_classes), encoding="utf-8")
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(tmp, folder)
    except OSError as exc:
        logger.debug("language model cache %s not written: %s", folder, exc)
        shutil.rmtree(tmp, ignore_errors=True)
        return folder.is_dir()
    # Earlier newscrawl versions kept the model as a pickle: 70 MB no longer read.
    for legacy in folder.parent.glob("py3langid-*.pickle"):
        with contextlib.suppress(OSError):
            legacy.unlink()
    return True
