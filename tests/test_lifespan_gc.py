"""At startup each server process keeps the cyclic garbage collector off what it loaded
and gives young objects time to die before they reach the oldest generation
(installation/lifespan.py; docs/decisions.md on the collector)."""

from __future__ import annotations

import gc

from installation.lifespan import GC_THRESHOLDS, freeze_startup_objects


def test_startup_freezes_what_was_loaded_and_sets_the_thresholds():
    before = gc.get_threshold()
    try:
        freeze_startup_objects()
        assert gc.get_freeze_count() > 10_000, "Django and the project, out of every collection"
        assert gc.get_threshold() == GC_THRESHOLDS
        assert GC_THRESHOLDS[1] > 10, "fewer promotions than CPython's default"
        assert GC_THRESHOLDS[2] > 10, "fewer full collections than CPython's default"
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
