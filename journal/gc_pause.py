"""Pausing Python's cycle collector while the fold or the derivation builds a journal state.

Both allocate thousands of small containers per call; every 700 allocations the collector runs, and its older
generations rescan the whole heap of entries — on a 2,000-entry journal that was most of the fold's CPU time.
What they build has no reference cycles, so reference counting frees everything they discard: pausing loses
nothing, and the collector runs once afterwards over what was kept.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Pause the cycle collector for the block (a no-op when it is already off, e.g. in a nested call)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
