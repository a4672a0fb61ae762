"""`campus-console bench onvif` end to end with small numbers, and the test device's benchmark log."""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
import time
from typing import Any

import aiohttp
import pytest

from console.bench.onvif import PASSWORD, USER, continuous_move_body, soap_envelope, soap_headers
from drivers.cameras.onvif.testdevice import OnvifTestDevice

MOVES, EVENTS = 6, 24


def test_reference_envelope_is_accepted_and_the_device_logs_receipts_and_raises() -> None:
    device = OnvifTestDevice(user=USER, password=PASSWORD)
    device.millis = True
    device.request_log = io.StringIO()
    port = device.start()
    try:
        async def post() -> int:
            async with aiohttp.ClientSession() as http, http.post(
                f"http://127.0.0.1:{port}/onvif/ptz_service", data=soap_envelope(continuous_move_body(-0.25)),
                headers=soap_headers("http://www.onvif.org/ver20/ptz/wsdl/ContinuousMove"),
            ) as reply:
                await reply.read()
                return reply.status

        before = time.monotonic()
        assert asyncio.run(post()) == 200
        device.push_event("tamper", True)
        after = time.monotonic()
    finally:
        device.stop()
    assert device.moves == [{"profile": "main", "pan": -0.25, "tilt": 0.0, "zoom": 0.0}]
    records = [json.loads(line) for line in device.request_log.getvalue().splitlines()]
    assert [r.get("op") or r.get("raise") for r in records] == ["ContinuousMove", "tamper"]
    assert all(before <= r["t"] <= after for r in records)
    assert records[1]["active"] is True and records[1]["utc"].endswith("Z") and "." in records[1]["utc"]


@pytest.fixture(scope="module")
def bench_result() -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "console", "bench", "onvif", "--moves", str(MOVES), "--events", str(EVENTS),
         "--event-rate", "50", "--probes", "2", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


@pytest.mark.slow
def test_bench_onvif_small_run(bench_result: dict[str, Any]) -> None:
    result = bench_result
    assert {"ptz", "events", "probe", "reference", "machine_cores"} <= set(result)
    ptz = result["ptz"]
    assert ptz["moves"] == MOVES and ptz["device_moves"] == MOVES and ptz["device_stops"] == MOVES
    assert 0 < ptz["press_to_device_p50_ms"] <= ptz["press_to_device_p99_ms"]
    assert set(ptz["gui_stall_ms"]) == {"p50", "p99", "max"}
    assert all(isinstance(v, float) and v >= 0 for v in ptz["gui_stall_ms"].values())
    hung = ptz["unresponsive_camera"]  # the first move reached the camera, which never answered it
    assert hung["presses"] == 3 and hung["moves_received"] == 1
    assert set(hung["gui_stall_ms"]) == {"p50", "p99", "max"} and hung["key_handler_max_ms"] >= 0
    events = result["events"]
    assert events["raised"] == EVENTS and events["stored"] == EVENTS and events["lost"] == 0
    assert events["stored_twice"] == 0 and events["resubscribes"] == 0
    assert 0 < events["raise_to_commit_p50_ms"] <= events["raise_to_commit_p99_ms"]
    probe = result["probe"]
    assert probe["cold_ms"] > 0 and probe["warm_p50_ms"] > 0
    reference = result["reference"]
    assert reference["ptz"]["moves"] == MOVES and reference["ptz"]["send_to_device_p50_ms"] > 0
    assert reference["events"]["received"] == EVENTS
    assert result["machine_cores"] >= 1
    assert {"raised", "ingested", "stored", "lost"} <= set(events["whole_second_stamps"])


@pytest.mark.slow
def test_no_change_is_lost_when_the_camera_stamps_whole_seconds(bench_result: dict[str, Any]) -> None:
    run = bench_result["events"]["whole_second_stamps"]
    assert run["raised"] == EVENTS and run["ingested"] == EVENTS
    assert run["lost"] == 0
