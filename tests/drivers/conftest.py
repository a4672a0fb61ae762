"""Driver test fixtures: ``driver_rigs`` makes Store + DriverHost rigs and closes every one after the test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.drivers.rig import Rigs


@pytest.fixture
def driver_rigs(tmp_path: Path) -> Iterator[Rigs]:
    """``driver_rigs(driver, device, cls=..., **options)``; ``driver_rigs.later(close)`` for other peers."""
    made = Rigs(tmp_path)
    try:
        yield made
    finally:
        made.close()
