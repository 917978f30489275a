"""The garbage collector's settings for passes over a whole store (judging, publishing).

Such a pass makes a few small objects for each of 100k rows, reports and findings. CPython
collects its young generation every 700 container allocations, and each collection also
examines the objects that survived the last ones: at national size a third of building the
site's rows went to collections that found nothing (5 µs a row with them, 1 µs without), and a
fifth of judging. These passes make few reference cycles, so collecting every 100k allocations
costs little memory; objects that live through the pass (the judgement a site is built from)
can also be frozen out of the collector's reach.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG = 100_000  # allocations between collections of the young generation during a pass


@contextmanager
def few_collections(freeze: bool = False) -> Iterator[None]:
    """Collect the young generation every :data:`YOUNG` allocations while the block runs (and, with
    ``freeze``, keep what exists now out of the collector's reach); restored afterwards. Processes
    forked inside the block inherit the setting."""
    frozen_before = gc.get_freeze_count()
    if freeze:
        gc.freeze()
    thresholds = gc.get_threshold()
    gc.set_threshold(max(YOUNG, thresholds[0]), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        if freeze and not frozen_before:
            gc.unfreeze()  # unless the program had frozen objects of its own before
