"""`campus-console bench gates` end to end with small numbers, and the push flood's event plan."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from drivers.gates.hikvision.events import DecodeContext, Decoded, decode_body
from drivers.gates.hikvision.flood import BOUNDARY, event_bodies, plan
from drivers.gates.push.multipart import split_multipart

EVENTS = 600


def test_flood_bodies_are_unique_decodable_pushes() -> None:
    bodies = event_bodies(200, 50, picture_share=0.5, seed=4)
    assert [serial for serial, _ in bodies] == list(range(50, 250))
    assert len({body for _, body in bodies}) == 200
    ctx = DecodeContext("gate-00", ZoneInfo("Asia/Shanghai"), {}, {})
    pictures = 0
    for serial, body in bodies[:40]:
        parts = asyncio.run(
            split_multipart(f"multipart/form-data; boundary={BOUNDARY}", body, max_part=1 << 20)
        )
        assert parts[0].name == "event_log"
        decoded = decode_body(parts[0].content_type, parts[0].data, ctx)
        assert isinstance(decoded, Decoded)
        assert [d.dedup_key for d in decoded.drafts] == [f"hik:gate-00:{serial}"]
        pictures += sum(p.content_type == "image/jpeg" for p in parts)
    assert 5 < pictures < 35  # about half of 40
    jobs = plan(bodies, 0.1, seed=4)
    assert sum(j.then_replay for j in jobs) == 20 and not any(j.replay for j in jobs)


@pytest.mark.slow
def test_bench_gates_small_run(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable, "-m", "console", "bench", "gates", "--events", str(EVENTS), "--devices", "4",
            "--connections", "8", "--replay-share", "0.05", "--filter-rows", "3000", "--filter-queries", "40",
            "--json", "--data-dir", str(tmp_path / "data"),
        ],
        capture_output=True,
        text=True,
        timeout=90,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout)
    sections = {"push", "push_one_device", "alert_stream", "filter", "reference", "targets", "machine_cores"}
    assert sections <= set(result)
    reference = result["reference"]["push"]
    for name, run in (("push", result["push"]), ("one", result["push_one_device"]),
                      ("alert", result["alert_stream"]), ("reference", reference)):
        assert run["lost"] == 0 and run["doubled"] == 0 and run["unexpected"] == 0, (name, run)
        assert run["stored"] == run["events"], (name, run)
        assert run["events_per_s"] > 0 and run["events_per_s"] == run["events_per_s"]  # not NaN
    push = result["push"]
    assert push["events"] == EVENTS and push["replays"] == EVENTS // 20
    # Every event and every replay was answered 200, yet each serialNo is stored once.
    assert push["answered_200"] == EVENTS + push["replays"]
    assert push["request_p50_ms"] <= push["request_p99_ms"]
    # The CPU budget: the writer is one thread (its CPU within its wall time, a share of the console's),
    # and the ceiling is what the console's and the flood's CPU a request would allow on every core.
    cpu = push["cpu"]
    assert 0 < cpu["writer_cpu_us_per_event"] <= cpu["writer_wall_us_per_event"] * 1.05
    assert cpu["writer_cpu_us_per_event"] < cpu["console_us_per_event"]
    assert cpu["load_generator_us_per_event"] > 0 and cpu["events_per_commit"] >= 1
    cores = result["machine_cores"]
    budget = cpu["console_us_per_event"] + cpu["load_generator_us_per_event"]
    assert abs(cpu["ceiling_events_per_s"] - cores * 1e6 / budget) <= 0.01 * cpu["ceiling_events_per_s"]
    alert = result["alert_stream"]
    assert alert["events"] == EVENTS
    assert alert["driver"]["stream_events"] >= EVENTS  # all came over the alertStream, not a back-fill
    assert 0 < alert["ingest_p50_ms"] <= alert["ingest_p99_ms"]
    assert result["filter"]["rows"] == 3000 and result["filter"]["mismatches"] == []
    met = result["targets"]["met"]
    assert met["nothing_lost_or_doubled"] is True and met["filter_p99_ms"] is True
