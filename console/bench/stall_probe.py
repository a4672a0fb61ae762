"""The GUI thread's stalls, as a benchmark sees them: a 10 ms QTimer that records how late each tick is."""

from __future__ import annotations

import time

from console.bench.stats import percentile_ms

INTERVAL_S = 0.010


class StallProbe:
    """Create and use on the GUI thread; ``stop`` returns p50 / p99 / max lateness in ms (None if no tick)."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer  # benchmarks without a window never import Qt

        self.stalls: list[float] = []
        self._last = time.monotonic()
        self._timer = QTimer()
        self._timer.setObjectName("bench-stall-probe")
        self._timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.monotonic()
        self.stalls.append(max(0.0, now - self._last - INTERVAL_S))
        self._last = now

    def start(self) -> None:
        self._last = time.monotonic()
        self._timer.start(round(INTERVAL_S * 1000))

    def stop(self) -> dict[str, float | None]:
        self._timer.stop()
        if not self.stalls:
            return {"p50": None, "p99": None, "max": None}
        return {key: percentile_ms(self.stalls, q) for key, q in (("p50", 50), ("p99", 99), ("max", 100))}
