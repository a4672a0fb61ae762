"""GB/T 26875.3 UITD simulator against the real server: scenarios, faults, commands, link supervision."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Callable
from concurrent.futures import Future
from datetime import datetime
from typing import Any

import pytest

from console.storage.store import Store
from drivers.base import DeviceEvent, HealthState
from drivers.fire.gb26875.commands import Downstream
from drivers.fire.gb26875.frame import Command, answer_for
from drivers.fire.gb26875.session import CommandRejected, CommandTimeout, NoUitdConnected
from drivers.fire.gb26875.simulator import UitdSimulator, main, run_simulator
from tests.drivers.test_gb26875_session import Rig, Rigs, frame, rigs

__all__ = ["rigs"]  # the fixture, used by name


def kinds(rig: Rig) -> dict[str, int]:
    return dict(rig.sql("SELECT kind || ':' || state, count(*) FROM events GROUP BY 1"))


ALL_FAULTS = ["bad-checksum", "split", "garbage", "retransmit"]


@pytest.mark.parametrize(("scenario", "faults", "expected"), [
    ("dorm-fire", ALL_FAULTS, {"fire.alarm:active": 2, "fire.operation:info": 1, "fire.reset:cleared": 1,
                               "fire.normal:cleared": 2}),
    ("fault-storm", [], {"fire.fault:active": 24, "fire.normal:cleared": 24}),
    ("drill", ["split"], {"fire.operation:info": 1, "fire.alarm:active": 1, "fire.reset:cleared": 1,
                          "fire.normal:cleared": 1}),
    ("mains-failure", ["garbage"], {"fire.mains_fault:active": 1, "fire.normal:cleared": 1}),
    ("reset", ["retransmit"], {"fire.reset:cleared": 1}),
    ("heartbeat", [], {}),
])
def test_scenario_is_stored_and_every_upload_acked(
    rigs: Rigs, scenario: str, faults: list[str], expected: dict[str, int]
) -> None:
    rig = rigs()
    stats = asyncio.run(run_simulator("127.0.0.1", rig.port, scenario, faults=faults, rate=200, seed=3))
    assert stats.unacked == 0 and not stats.error
    assert stats.acked >= stats.uploads
    assert kinds(rig) == expected
    if "bad-checksum" in faults:
        assert stats.naked > 0 and stats.resent > stats.naked  # "retransmit" doubles every first send
    if "garbage" in faults:
        assert stats.garbage_bytes > 0


@pytest.mark.allow_error_logs
def test_unacknowledged_upload_is_resent_and_stored_once(rigs: Rigs) -> None:
    failures = iter(range(1))  # the first store attempt fails

    def disk_full(tx: Any) -> None:
        raise OSError("disk full")

    def flaky(store: Store) -> Callable[[DeviceEvent], Future[Any]]:
        def ingest(event: DeviceEvent) -> Future[Any]:
            return store.submit(disk_full) if next(failures, None) is not None else store.ingest(event)
        return ingest

    rig = rigs(flaky)
    stats = asyncio.run(run_simulator("127.0.0.1", rig.port, "reset", rate=200, ack_timeout_s=0.3))
    assert (stats.resent, stats.unacked, stats.acked) == (1, 0, 1)
    assert kinds(rig) == {"fire.reset:cleared": 1}


def test_commands_against_the_simulator(rigs: Rigs) -> None:
    rig = rigs()

    async def session() -> dict[str, Any]:
        sim = UitdSimulator("127.0.0.1", rig.port, "heartbeat", repeat=True, rate=10, heartbeat_s=0.2,
                            patrol_delay_s=0.3)
        running = asyncio.create_task(sim.run())

        async def call(name: str, args: dict[str, Any] | None = None) -> Any:
            return await asyncio.wrap_future(rig.host.call("fire-1", name, args))

        while not (await call("status"))["uitds"]:
            await asyncio.sleep(0.02)
        results = {
            "time_sync": await call("time_sync"),
            "read_uitd": await call("read_status"),
            "read_part": await call("read_status", {"system_type": 1, "zone": 3, "number": 12}),
            "patrol": await call("patrol", {"window_min": 5}),
        }
        while not (await call("patrol_status"))["answered"]:
            await asyncio.sleep(0.05)
        results["patrol_status"] = await call("patrol_status", {"uitd": 889})
        sim.stop()
        results["stats"] = await running
        return results

    results = asyncio.run(session())
    assert results["time_sync"]["uitd"] == 889 and results["time_sync"]["attempts"] == 1
    uitd, part = results["read_uitd"], results["read_part"]
    assert uitd["type"] == 21 and uitd["records"][0]["flag_names"] == ["NORMAL"]
    assert part["type"] == 2 and part["records"][0]["component_addr"] == 3 | 12 << 16
    assert results["patrol"]["answered_at"] is None and results["patrol"]["window_min"] == 5
    status = results["patrol_status"]
    assert status["answered"] and not status["overdue"] and status["answered_at"] > status["sent_at"]
    assert results["stats"].commands == 4 and results["stats"].patrol_answers == 1
    assert kinds(rig)["fire.patrol_answer:info"] == 1


def test_command_retries_then_times_out_against_a_silent_uitd(rigs: Rigs) -> None:
    rig = rigs(command_timeout_s=0.2, command_retries=2)
    with pytest.raises(NoUitdConnected):
        rig.call("time_sync")
    with pytest.raises(ValueError, match="no command"):
        rig.call("reboot")
    peer = rig.peer()
    peer.send(frame(0))  # a heartbeat identifies UITD 889
    peer.recv()
    started = time.monotonic()
    pending = rig.host.call("fire-1", "time_sync", {})
    sent = peer.recv(3, timeout=3)
    with pytest.raises(CommandTimeout, match="3 attempts"):
        pending.result(5)
    assert 0.55 < time.monotonic() - started < 2.0
    assert {(f.command, f.serial, f.adu[0]) for f in sent} == {(Command.CONTROL, 0, Downstream.SYNC_TIME)}
    assert {f.raw for f in sent} == {sent[0].raw}, "a retry resends the identical frame"
    pending = rig.host.call("fire-1", "read_status", {})
    [query] = peer.recv()
    peer.send(answer_for(query, Command.NAK, datetime(2026, 5, 1)))
    with pytest.raises(CommandRejected):
        pending.result(5)


def test_link_supervision_raises_and_clears_the_link_fault(rigs: Rigs) -> None:
    rig = rigs(heartbeat_timeout_s=0.5)

    async def silent_then_back() -> None:
        sim = UitdSimulator("127.0.0.1", rig.port, "heartbeat", faults=["silence"], repeat=True, rate=5,
                            heartbeat_s=0.2, silence_s=1.2)
        running = asyncio.create_task(sim.run())
        while kinds(rig).get("fire.link_fault:cleared", 0) == 0 and not running.done():
            await asyncio.sleep(0.05)
        sim.stop()
        await running

    asyncio.run(asyncio.wait_for(silent_then_back(), 10))
    assert rig.events("kind = 'fire.link_fault'") == [
        ("fire.link_fault", "active", rig.events("state = 'active'")[0][2], "uitd"),
        ("fire.link_fault", "cleared", "传输链路恢复：用户信息传输装置 889", "uitd"),
    ]
    assert "传输链路故障" in rig.events("state = 'active'")[0][2]
    states = [state for state, _ in rig.health]
    degraded = states.index(HealthState.DEGRADED)
    assert HealthState.ONLINE in states[degraded:]
    assert "UITD 889" in rig.health[degraded][1]


def test_cli_prints_a_json_summary(rigs: Rigs, capsys: pytest.CaptureFixture[str]) -> None:
    rig = rigs()
    code = main(["--port", str(rig.port), "--scenario", "drill", "--rate", "100", "--fault", "split",
                 "--fault", "garbage", "--json"])
    summary = json.loads(capsys.readouterr().out)
    assert code == 0
    assert summary["scenario"] == "drill" and summary["faults"] == ["split", "garbage"]
    assert summary["uploads"] == 4 and summary["acked"] == 4 and summary["naked"] == summary["resent"] == 0


def test_cli_reports_an_unreachable_centre(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert main(["--port", str(port), "--scenario", "reset"]) == 2
    assert "cannot reach" in capsys.readouterr().err
