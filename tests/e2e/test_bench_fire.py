"""`campus-console bench fire` end to end with small numbers: every fire alarm stored and on the board."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def test_bench_fire_small_run() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run(
        [sys.executable, "-m", "console", "bench", "fire", "--frames", "800", "--fires", "8",
         "--connections", "4", "--reference-frames", "100", "--json"],
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL, env=env,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout)
    assert result["frames"] == 800 and result["connections"] == 4
    assert result["fire_alarms_sent"] == result["fire_alarms_stored"] == result["fire_alarms_shown"] == 8
    assert result["targets"]["met"]["no_fire_alarm_lost"] is True
    assert 0 < result["ack_p50_ms"] <= result["ack_p99_ms"]
    assert 0 < result["board_p50_ms"] <= result["board_p99_ms"]
    assert result["frames_per_s"] > 0 and result["reference_frames_per_s"] > 0
    assert result["console_cpu_us_per_frame"] > 0 and result["load_generator_cpu_us_per_frame"] > 0
    assert set(result["gui_stall_ms"]) == {"p50", "p99", "max"}
