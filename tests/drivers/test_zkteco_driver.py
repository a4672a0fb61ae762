"""ZKTeco ADMS driver through a real Store and DriverHost, fed by the real simulator over real HTTP."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from pydantic import ValidationError

from drivers.base import DeviceInfo, GatePayload, HealthState, create_driver, settings_model
from drivers.gates.zkteco import simulator
from drivers.gates.zkteco.driver import Settings, ZktecoAdmsDriver, create
from drivers.gates.zkteco.simulator import BAD_LINES, SimConfig, SimStats
from tests.drivers.rig import DriverRig, Ingest, Rigs, slow_disk, wait_for

SN = "CKJ0000001"


class Rig(DriverRig):
    """A real Store and DriverHost running one or more ZKTeco drivers on one shared ephemeral port."""

    columns = "source, kind, state, summary, point, device_time, payload, raw, dedup_key"

    def __init__(self, *args: Any, **options: Any) -> None:
        super().__init__(*args, **options)
        self.drivers: dict[str, ZktecoAdmsDriver] = {
            info.id.removeprefix("zk-"): cast(ZktecoAdmsDriver, driver) for info, driver in self.devices}
        self.port = wait_for(lambda: all(d.listening.is_set() for d in self.drivers.values())
                             and next(iter(self.drivers.values())).bound_port)

    def sim(self, serial: str = SN, **overrides: Any) -> SimStats:
        config = SimConfig(**{"port": self.port, "serial": serial, "rate": 0, **overrides})
        return asyncio.run(asyncio.wait_for(simulator.run(config), 60))

    def states(self, serial: str = SN) -> list[HealthState]:
        return [s for d, s, _ in list(self.device_health) if d == f"zk-{serial}"]


@pytest.fixture
def rig(driver_rigs: Rigs) -> Callable[..., Rig]:
    def make(serials: list[str] | None = None, ingest: Ingest | None = None, **settings: Any) -> Rig:
        gates = [(DeviceInfo(f"zk-{serial}", f"闸机 {serial}", "gate", points={"东门": "east-gate"}),
                  create(Settings(listen_port=0, serial=serial, **settings))) for serial in serials or [SN]]
        (device, driver), *more = gates
        return driver_rigs(driver, device, Rig, more=more, ingest=ingest, batch=True)

    return make


async def http(method: str, port: int, path: str, body: bytes = b"") -> tuple[int, bytes]:
    async with aiohttp.ClientSession() as session, session.request(
            method, f"http://127.0.0.1:{port}{path}", data=body or None) as r:
        return r.status, await r.read()


def test_registry_and_settings() -> None:
    assert settings_model("gates.zkteco_adms") is Settings
    assert isinstance(create_driver("gates.zkteco_adms", Settings(serial=SN)), ZktecoAdmsDriver)
    settings = Settings(serial=SN)
    assert (settings.listen_port, settings.timezone, settings.door_direction) == (
        8088, "Asia/Shanghai", {"0": "in", "1": "out"})
    for bad in ({}, {"serial": "A B"}, {"serial": "X&Y"}, {"serial": SN, "timezone": "Mars/Base"},
                {"serial": SN, "door_direction": {"0": "up"}}, {"serial": SN, "surprise": 1}):
        with pytest.raises(ValidationError):
            Settings(**bad)


def test_morning_rush_stores_one_pass_per_line(rig: Callable[..., Rig]) -> None:
    r = rig(door="东门")
    stats = r.sim(count=150, users=100)
    assert stats.ok, stats
    assert stats.handshakes == 1 and stats.acked == 150 and stats.users_sent == 100
    rows = r.rows()
    assert len(rows) == 150
    assert {(s, k, st, p) for s, k, st, _, p, *_ in rows} == {(f"zk-{SN}", "gate.pass", "info", "east-gate")}
    source, _, _, summary, _, device_time, payload, raw, dedup = rows[0]
    gate = GatePayload.from_payload(json.loads(payload))
    record = raw.decode().split("\t")
    assert gate.subject_id == record[0] == "1001" and gate.name == "张伟" and gate.door == "东门"
    assert (gate.result.value, gate.subject_kind.value, gate.method and gate.method.value) == (
        "granted", "person", "face")
    assert gate.direction is not None and gate.direction.value == "in"
    assert summary == "人脸 通行 进 张伟"
    local = datetime.strptime(record[1], "%Y-%m-%d %H:%M:%S").replace(tzinfo=ZoneInfo("Asia/Shanghai"))
    assert datetime.fromisoformat(device_time) == local.astimezone(UTC)
    assert dedup == f"zk:{SN}:1001:{record[1]}"
    methods = {json.loads(p)["method"] for *_, p, _, _ in rows}
    assert methods == {"face", "fingerprint", "card", "password"}
    outs = [json.loads(p) for *_, p, _, _ in rows if json.loads(p).get("direction") == "out"]
    assert len(outs) == 15 and all(o["extra"]["status"] == "1" for o in outs)
    assert r.states()[:2] == [HealthState.UNKNOWN, HealthState.ONLINE]
    status = r.host.call(f"zk-{SN}", "status").result(5)
    assert status["stats"]["records"] == 150 and status["users"] == 100 and status["health"] == "online"


def test_repeat_run_and_unknown_pin_keeps_pin_as_name(rig: Callable[..., Rig]) -> None:
    r = rig()
    stats = r.sim(count=30, users=5, repeat=2, rate=400)  # the same five people pass again and again
    assert stats.ok and stats.records_sent == 60 and stats.batches > 2
    assert len(r.rows()) == 60  # distinct times per pin: nothing collapsed
    status, reply = asyncio.run(http("POST", r.port, f"/iclock/cdata?SN={SN}&table=ATTLOG&Stamp=9",
                                     b"77\t2026-03-02 08:00:00\t1\t4\t0\n"))
    assert (status, reply) == (200, b"OK: 1")
    summary, payload = r.rows("dedup_key LIKE '%:77:%'")[0][3::3]
    assert summary == "刷卡 通行 出 77" and "name" not in json.loads(payload)


def test_reboot_replay_is_not_doubled_and_health_follows_polls(rig: Callable[..., Rig]) -> None:
    r = rig(delay_s=1, silence_s=0.4)
    stats = r.sim(scenario="reboot", count=40, poll_s=0.05, silence_s=1.5)
    assert stats.ok, stats
    assert stats.handshakes == 2 and stats.replayed > 0 and stats.records_sent == 40
    assert stats.acked == 40 + stats.replayed  # the device got "OK: n" for its replay too ...
    assert len(r.rows()) == 40  # ... but the store kept one row per record
    states = r.states()
    # waiting, polled, silent, long silent, back after the reboot (a loaded machine may add a blip or two)
    expected = [HealthState.UNKNOWN, HealthState.ONLINE, HealthState.DEGRADED, HealthState.OFFLINE,
                HealthState.ONLINE]
    rest = iter(states)
    assert all(any(s is want for s in rest) for want in expected), states
    assert states[:2] == expected[:2]
    wait_for(lambda: r.states()[-1] is HealthState.DEGRADED, 5)  # the simulator stopped polling


def test_bad_lines_are_skipped_and_logged_with_raw_bytes(rig: Callable[..., Rig],
                                                         caplog: pytest.LogCaptureFixture) -> None:
    r = rig()
    with caplog.at_level(logging.WARNING, logger="drivers.gates.zkteco.driver"):
        stats = r.sim(scenario="bad-lines", count=60)
    assert stats.ok, stats
    assert stats.bad_lines_sent == 20 and stats.acked == 60
    assert len(r.rows()) == 60
    warnings = [rec.getMessage() for rec in caplog.records if "skipped ATTLOG line" in rec.getMessage()]
    assert len(warnings) == 20
    assert any(repr(BAD_LINES[2]) in w for w in warnings)  # the non-UTF-8 line, as its raw bytes
    assert r.host.call(f"zk-{SN}", "status").result(5)["stats"]["bad_lines"] == 20


def test_ok_only_after_the_commit(rig: Callable[..., Rig]) -> None:
    r = rig(ingest=slow_disk(0.3))
    started = time.monotonic()
    status, reply = asyncio.run(http("POST", r.port, f"/iclock/cdata?SN={SN}&table=ATTLOG&Stamp=1",
                                     b"1001\t2026-03-02 08:00:00\t0\t15\t0\n"))
    stored = r.rows()  # read the instant the reply arrives
    assert (status, reply) == (200, b"OK: 1") and len(stored) == 1
    assert time.monotonic() - started >= 0.3


def test_handshake_options_stamps_and_other_endpoints(rig: Callable[..., Rig]) -> None:
    r = rig(delay_s=7)

    async def talk() -> list[tuple[int, bytes]]:
        return [
            await http("GET", r.port, f"/iclock/cdata?SN={SN}&options=all&pushver=2.4.1"),
            await http("POST", r.port, f"/iclock/cdata?SN={SN}&table=OPERLOG&Stamp=55",
                       b"OPLOG 4\t0\t2026-03-02 08:00:00\t0\t0\t0\t0\nUSER PIN=9\tName=\xff\xfe\n"
                       + "USER PIN=8\tName=周八".encode("gb18030") + b"\n"),
            await http("POST", r.port, f"/iclock/cdata?SN={SN}&table=ATTLOG&Stamp=66",
                       b"8\t2026-03-02 08:00:00\t0\t1"),
            await http("GET", r.port, f"/iclock/cdata?SN={SN}&options=all"),
            await http("GET", r.port, f"/iclock/getrequest?SN={SN}"),
            await http("POST", r.port, f"/iclock/devicecmd?SN={SN}", b"ID=1&Return=0&CMD=INFO"),
            await http("POST", r.port, f"/iclock/cdata?SN={SN}&table=ATTPHOTO&Stamp=1",
                       b"PIN=1\nCMD=uploadphoto\0x"),
            await http("GET", r.port, "/iclock/getrequest?SN=OTHER"),
        ]

    first, oper, att, second, poll, cmd, photo, other = asyncio.run(talk())
    options = simulator.parse_options(first[1])
    assert first[0] == 200 and options["SN"] == SN
    assert options["Delay"] == "7" and options["ATTLOGStamp"] == "0"
    assert options["TimeZone"] == "8" and options["Realtime"] == "1" and options["ErrorDelay"] == "30"
    assert oper == (200, b"OK: 3") and att == (200, b"OK: 1")
    again = simulator.parse_options(second[1])
    assert (again["ATTLOGStamp"], again["OPERLOGStamp"], again["TransFlag"]) == ("66", "55", "1111000000")
    assert poll == (200, b"OK") and cmd == (200, b"OK") and photo == (200, b"OK: 1")
    assert other[0] == 404  # an SN nobody registered
    assert r.rows()[0][3] == "指纹 通行 进 周八"  # the GB18030 name from the USER table


def test_two_devices_share_one_listener_told_apart_by_sn(rig: Callable[..., Rig]) -> None:
    r = rig(serials=[SN, "CKJ0000002"])
    ports = {d.bound_port for d in r.drivers.values()}
    assert ports == {r.port}

    async def both() -> list[SimStats]:
        configs = [SimConfig(port=r.port, serial=s, rate=0, count=25, users=10) for s in (SN, "CKJ0000002")]
        return list(await asyncio.gather(*(simulator.run(c) for c in configs)))

    first, second = asyncio.run(both())
    assert first.ok and second.ok
    sources = [row[0] for row in r.rows()]
    assert sources.count(f"zk-{SN}") == 25 and sources.count("zk-CKJ0000002") == 25


def test_simulator_command_line_against_the_driver(rig: Callable[..., Rig]) -> None:
    r = rig()
    done = subprocess.run(
        [sys.executable, "-m", "console", "simulate", "zkteco", "--port", str(r.port), "--serial", SN,
         "--scenario", "bad-lines", "--count", "12", "--rate", "0"],
        capture_output=True, text=True, timeout=60, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr
    stats = json.loads(done.stdout.strip().splitlines()[-1])
    assert stats["acked"] == 12 and stats["bad_lines_sent"] == 4
    assert len(r.rows()) == 12
    assert simulator.main(["--port", "1", "--count", "-1"]) == 2


def test_a_device_that_never_calls_in_goes_offline(rig: Callable[..., Rig]) -> None:
    r = rig(silence_s=0.2)
    wait_for(lambda: HealthState.OFFLINE in r.states(), 5)
    assert r.states()[:3] == [HealthState.UNKNOWN, HealthState.DEGRADED, HealthState.OFFLINE]
    reason = [reason for _, state, reason in r.device_health if state is HealthState.OFFLINE][0]
    assert "never heard from" in reason and SN in reason
    status, _ = asyncio.run(http("GET", r.port, f"/iclock/getrequest?SN={SN}"))
    assert status == 200
    wait_for(lambda: HealthState.ONLINE in r.states(), 5)  # it degrades again 0.2 s later
