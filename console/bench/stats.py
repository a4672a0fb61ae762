"""Small statistics helpers shared by the benchmarks."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted sequence (q in 0..100)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return float(sorted_values[rank - 1])


def percentile_ms(values: Sequence[float], q: float) -> float:
    """The q-th percentile of durations in seconds, in milliseconds rounded to the microsecond."""
    return round(percentile(sorted(values), q) * 1000, 3)
