"""Python's cycle collector paused while a big, long-lived structure is built
(``collector_paused``): the graph's tables, a big request body's values.

The graph's tables (a body read once, a slice, its hierarchy, the lookups made on first
use) make a few objects per op that all live as long as the table, and no garbage
cycles; yet every full collection on the way walks the whole heap again, and there are
more of them the bigger the graph: on a 200k-op graph they added 45 % to a slice's build
(6 % at 50k ops). A big JSON body likewise makes a list per row of every tensor, and
JSON cannot hold cycles.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cycle collection inside the block; the collector's state is restored after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
