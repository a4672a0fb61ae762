"""Freezing the start-up heap takes the objects alive now out of every later collection."""

from __future__ import annotations

import gc

from console.heap import freeze_startup_heap


def test_objects_alive_at_start_up_are_frozen_and_later_ones_are_not() -> None:
    try:
        before = [object() for _ in range(10)]  # noqa: F841 - alive across the freeze
        frozen = freeze_startup_heap()
        assert frozen == gc.get_freeze_count() > 0
        later = [[] for _ in range(100)]
        assert gc.get_freeze_count() == frozen and len(later) == 100
    finally:
        gc.unfreeze()  # other tests expect an ordinary collector
