"""Dahua driver against the Dahua simulator over real sockets, with a real Store and DriverHost."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest

from drivers.base import DeviceInfo, GatePayload, GateResult, HealthState, Method, SubjectKind
from drivers.gates.dahua import simulator
from drivers.gates.dahua.driver import DahuaDriver, Settings, create
from drivers.gates.dahua.scenarios import build
from drivers.gates.dahua.simulator import DEMO_PASSWORD, DahuaSimulator, SimulatorThread
from tests.drivers.rig import DriverRig, Rigs, wait_for

DEVICE = "dh-gate-1"


class Rig(DriverRig):
    """A real Store and DriverHost running one gates.dahua driver; pictures are kept in ``saved``."""

    driver: DahuaDriver

    def __init__(self, *args: Any, **options: Any) -> None:
        self.saved: dict[str, bytes] = {}
        super().__init__(*args, save_file=self._save, **options)

    def _save(self, category: str, data: bytes, suffix: str) -> str:
        name = f"{category}/{len(self.saved)}{suffix}"
        self.saved[name] = data
        return name

    columns = "kind, state, point, payload, dedup_key"

    def rows(self) -> list[tuple[str, str, str | None, dict[str, Any], str | None]]:  # type: ignore[override]
        found = super().rows("source = ?", (DEVICE,))
        return [(k, s, p, json.loads(pl), d) for k, s, p, pl, d in found]

    def states(self) -> list[HealthState]:
        return [s for s, _ in self.health]


@pytest.fixture
def rigs(driver_rigs: Rigs) -> Callable[..., Rig]:
    def make(password: str = DEMO_PASSWORD, **settings: Any) -> Rig:
        device = DeviceInfo(DEVICE, "东门闸机", "gate", points={"0": "东门-1号闸"}, credential="dahua-pw")
        return driver_rigs(create(Settings(**settings)), device, Rig, secrets={"dahua-pw": password})

    return make


@pytest.fixture
def sims(driver_rigs: Rigs) -> Callable[..., SimulatorThread]:
    def make(**options: Any) -> SimulatorThread:
        options.setdefault("rate", 200.0)
        thread = SimulatorThread(DahuaSimulator(**options))
        driver_rigs.later(thread.stop)
        thread.start()
        return thread

    return make


def expected_kinds(scenario: str, count: int | None = None) -> int:
    from drivers.gates.dahua.events import MapOptions, map_record
    from drivers.gates.dahua.records import Record

    return sum(len(map_record(Record(e.code, e.action, e.index, e.data), MapOptions(DEVICE)))
               for e in build(scenario, 1_763_784_000, count))


def test_pull_stream_events_land_with_gate_payload(rigs: Callable[..., Rig],
                                                  sims: Callable[..., SimulatorThread]) -> None:
    sim = sims(scenario="morning-rush", count=14, start_utc=1_763_784_000)
    rig = rigs(port=sim.simulator.port, heartbeat_s=1)
    rows = wait_for(lambda: len(r := rig.rows()) >= 14 and r)
    assert len(rows) == expected_kinds("morning-rush", 14) == 14
    sent = build("morning-rush", 1_763_784_000, 14)
    for (kind, state, point, payload, key), event in zip(rows, sent, strict=True):
        gate = GatePayload.from_payload(payload)
        if event.code == "AccessControl":
            assert kind == ("gate.pass" if event.data["Status"] == 1 else "gate.denied") and state == "info"
            assert gate.subject_id == event.data["UserID"] and gate.name == event.data["CardName"]
            assert gate.method is (Method.FACE if event.data["Method"] == 15 else Method.CARD)
            assert gate.door == str(event.data["Door"])
            assert point == ("东门-1号闸" if event.data["Door"] == 0 else None)
            assert key == f"dahua:{DEVICE}:{event.data['UTC']}:{event.data['UserID']}:AccessControl:0" + (
                "" if event.data["Status"] == 1 else ":denied")
        else:
            assert kind == "gate.pass" and gate.subject_kind is SubjectKind.VEHICLE
            assert gate.plate == event.data["TrafficCar"]["PlateNumber"] and gate.list_name == "allow"
    assert rig.health[-1] == (HealthState.ONLINE, "attach stream up")
    assert sim.simulator.stats["unauthorized"] == 1  # the first request learns the Digest challenge


def test_reconnects_after_the_device_restarts_without_doubling(rigs: Callable[..., Rig],
                                                              sims: Callable[..., SimulatorThread]) -> None:
    sim = sims(scenario="forced-door", start_utc=1_763_784_000)
    rig = rigs(port=sim.simulator.port, heartbeat_s=1, reconnect_initial_s=0.1, reconnect_max_s=0.3)
    first = wait_for(lambda: len(r := rig.rows()) >= 6 and r)
    assert [k for k, *_ in first] == ["gate.door", "gate.alarm.forced", "gate.alarm.held_open",
                                      "gate.alarm.held_open", "gate.alarm.forced", "gate.door"]
    assert [s for _, s, *_ in first] == ["info", "active", "active", "cleared", "cleared", "info"]
    challenges = sim.simulator.stats["unauthorized"]
    sim.restart(down_s=0.5)  # the same script plays again after the restart: every event is a repeat
    wait_for(lambda: sim.simulator.stats["attaches"] >= 2 and rig.states()[-1] is HealthState.ONLINE
             and HealthState.OFFLINE in rig.states())
    wait_for(lambda: sim.simulator.stats["events"] >= 12)
    time.sleep(0.3)
    assert rig.rows() == first
    assert rig.driver.stats["connects"] >= 2
    # The restarted device forgot our nonce: one stale 401, one retry, no password trouble.
    assert sim.simulator.stats["unauthorized"] == challenges + 1 and sim.simulator.stats["bad_password"] == 0


def test_wrong_password_backs_off_without_a_request_storm(rigs: Callable[..., Rig],
                                                          sims: Callable[..., SimulatorThread]) -> None:
    sim = sims(scenario="morning-rush")
    rig = rigs(password="not-the-password", port=sim.simulator.port, reconnect_initial_s=0.05)
    wait_for(lambda: rig.health)
    time.sleep(1.5)
    assert rig.health[-1][0] is HealthState.OFFLINE and "authentication failed" in rig.health[-1][1]
    assert sim.simulator.stats["requests"] == 2  # one to get the challenge, one answered wrongly; then quiet
    assert sim.simulator.stats["bad_password"] == 1
    assert rig.rows() == []


def test_silent_stream_is_dropped_after_three_heartbeats(rigs: Callable[..., Rig],
                                                         sims: Callable[..., SimulatorThread]) -> None:
    sim = sims(scenario="banned-plate", heartbeat_s=3600)  # connects, sends its events, then says nothing
    rig = rigs(port=sim.simulator.port, heartbeat_s=1, reconnect_initial_s=0.1)
    wait_for(lambda: len(rig.rows()) == 5)
    wait_for(lambda: rig.driver.stats["stalls"] >= 1, timeout=6)
    assert any(s is HealthState.OFFLINE and "no heartbeat" in r for s, r in rig.health)
    wait_for(lambda: sim.simulator.stats["attaches"] >= 2)
    kinds = [k for k, *_ in rig.rows()]
    assert kinds == ["gate.pass", "gate.pass", "gate.denied", "gate.alarm.blocklist", "gate.pass"]
    blocked = GatePayload.from_payload(rig.rows()[2][3])
    assert (blocked.plate, blocked.list_name, blocked.reason) == ("鲁C4X0Z1", "block", "blocklist")
    assert blocked.door == "2"
    assert GatePayload.from_payload(rig.rows()[4][3]).plate is None  # "unknown" is no plate


def test_bad_parts_are_logged_skipped_and_degrade_health(rigs: Callable[..., Rig],
                                                         sims: Callable[..., SimulatorThread],
                                                         caplog: pytest.LogCaptureFixture) -> None:
    sim = sims(scenario="morning-rush", count=12, bad_json_every=3)
    rig = rigs(port=sim.simulator.port, heartbeat_s=1)
    wait_for(lambda: len(rig.rows()) == 8 and rig.driver.stats["bad_parts"] == 4)
    assert HealthState.DEGRADED in rig.states()
    warnings = [r.getMessage() for r in caplog.records if "invalid JSON after data=" in r.getMessage()]
    assert len(warnings) == 4 and all("raw=b'Code=" in w for w in warnings)
    assert sim.simulator.stats["attaches"] == 1  # bad parts never cost the connection


def test_reboot_scenario_recovers(rigs: Callable[..., Rig], sims: Callable[..., SimulatorThread]) -> None:
    sim = sims(scenario="reboot", count=5, reboot_down_s=0.4)
    rig = rigs(port=sim.simulator.port, heartbeat_s=1, reconnect_initial_s=0.1, reconnect_max_s=0.2)
    wait_for(lambda: sim.simulator.stats["reboots"] >= 2)  # came back, played again, rebooted again
    assert len(rig.rows()) == 5
    assert any("HTTP 503" in r or "closed" in r or "Disconnected" in r for _, r in rig.health)


def test_stream_without_boundary_parameter_uses_the_default(rigs: Callable[..., Rig],
                                                            sims: Callable[..., SimulatorThread],
                                                            caplog: pytest.LogCaptureFixture) -> None:
    sim = sims(scenario="forced-door", boundary_in_header=False)
    rig = rigs(port=sim.simulator.port, heartbeat_s=1)
    wait_for(lambda: len(rig.rows()) == 6)
    assert any("no boundary" in r.getMessage() for r in caplog.records)


def test_boundary_changed_mid_stream_resets_the_stream(rigs: Callable[..., Rig],
                                                       sims: Callable[..., SimulatorThread]) -> None:
    sim = sims(scenario="forced-door", switch_boundary_after=3)
    rig = rigs(port=sim.simulator.port, heartbeat_s=1, reconnect_initial_s=0.05, reconnect_max_s=0.1)
    wait_for(lambda: sim.simulator.stats["attaches"] >= 3)
    assert any("boundary changed" in r for _, r in rig.health)
    assert [k for k, *_ in rig.rows()] == ["gate.door", "gate.alarm.forced", "gate.alarm.held_open"]


def test_not_a_stream_is_retried_with_backoff(rigs: Callable[..., Rig]) -> None:
    # An HTTP server that is not a Dahua device: 404 for the CGI. The driver reports it and backs off.
    from aiohttp import web

    async def start() -> tuple[web.AppRunner, int]:
        runner = web.AppRunner(web.Application())
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return runner, site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    thread = SimulatorThread(DahuaSimulator())  # only for its loop thread
    thread.start()
    try:
        runner, port = thread.call(start())
        rig = rigs(port=port, reconnect_initial_s=0.2, reconnect_max_s=0.4)
        wait_for(lambda: rig.driver.stats["connects"] >= 3)
        assert all(s is HealthState.OFFLINE and "HTTP 404" in r for s, r in rig.health)
        thread.call(runner.cleanup())
    finally:
        thread.stop()


def push_url(rig: Rig) -> str:
    port = wait_for(lambda: rig.driver.push_port)
    wait_for(lambda: rig.health)
    return f"http://127.0.0.1:{port}/push/{DEVICE}/event"


def test_push_uploads_through_the_shared_listener(rigs: Callable[..., Rig],
                                                  sims: Callable[..., SimulatorThread]) -> None:
    sim = sims(scenario="forced-door", start_utc=1_763_784_000)
    rig = rigs(mode="push", listen_port=0)
    url = push_url(rig)
    assert rig.health[-1][0] is HealthState.ONLINE
    result = sim.call(sim.simulator.push(url, batch=2))
    assert result["acked"] == 3 and result["events_acked"] == 6
    rows = rig.rows()
    assert [k for k, *_ in rows] == ["gate.door", "gate.alarm.forced", "gate.alarm.held_open",
                                     "gate.alarm.held_open", "gate.alarm.forced", "gate.door"]
    again = sim.call(sim.simulator.push(url, batch=6))  # the device retries everything: stored once
    assert again["acked"] == 1 and rig.rows() == rows


def test_push_reply_comes_after_the_commit_and_garbage_gets_400(rigs: Callable[..., Rig]) -> None:
    rig = rigs(mode="push", listen_port=0)
    url = push_url(rig)
    body = simulator.upload_body(build("banned-plate", 1_763_784_500))
    with urllib.request.urlopen(urllib.request.Request(url, data=body, method="POST"), timeout=10) as resp:
        assert resp.status == 200 and json.loads(resp.read()) == {"Result": True}
        assert len(rig.rows()) == 5  # durable by the time the answer arrives
    for bad in (b"{nope", b'{"Events": 5}'):
        with pytest.raises(urllib.error.HTTPError) as failure:
            urllib.request.urlopen(urllib.request.Request(url, data=bad, method="POST"), timeout=10)
        assert failure.value.code == 400
        failure.value.close()
    assert len(rig.rows()) == 5
    assert rig.driver.stats["uploads_rejected"] == 2


def test_push_multipart_with_picture(rigs: Callable[..., Rig]) -> None:
    rig = rigs(mode="push", listen_port=0)
    url = push_url(rig)
    jpeg = b"\xff\xd8\xff\xe0fake-jpeg\xff\xd9"
    event = simulator.upload_body(build("banned-plate", 1_763_784_900)[:1])
    body = (b'--XyZ\r\nContent-Disposition: form-data; name="info"\r\n'
            b"Content-Type: application/json\r\n\r\n" + event + b"\r\n"
            b'--XyZ\r\nContent-Disposition: form-data; name="pic"; filename="p.jpg"\r\n'
            b"Content-Type: image/jpeg\r\n\r\n" + jpeg + b"\r\n--XyZ--\r\n")
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "multipart/form-data; boundary=XyZ"})
    with urllib.request.urlopen(request, timeout=10) as resp:
        assert resp.status == 200
    [(kind, _, _, payload, _)] = rig.rows()
    gate = GatePayload.from_payload(payload)
    assert kind == "gate.pass" and gate.plate == "京A12345"
    assert gate.pictures == ("plate/0.jpg",) and rig.saved["plate/0.jpg"] == jpeg


def test_both_modes_share_one_store_and_dedup(rigs: Callable[..., Rig],
                                             sims: Callable[..., SimulatorThread]) -> None:
    sim = sims(scenario="banned-plate", start_utc=1_763_785_000)
    rig = rigs(mode="both", port=sim.simulator.port, listen_port=0, heartbeat_s=1)
    wait_for(lambda: len(rig.rows()) == 5)
    url = push_url(rig)
    result = sim.call(sim.simulator.push(url, batch=4))  # the same events uploaded as well: no doubles
    assert result["acked"] == 1 and len(rig.rows()) == 5
    status = rig.host.call(DEVICE, "status").result(5)
    assert status["stream_up"] is True and status["stats"]["uploads"] == 1


def test_simulator_cli(rigs: Callable[..., Rig], capsys: pytest.CaptureFixture[str]) -> None:
    rig = rigs(mode="push", listen_port=0)
    url = push_url(rig)
    assert simulator.main(["--scenario", "banned-plate", "--rate", "0", "--push-to", url]) == 0
    stats = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert stats["acked"] == 4
    assert [GatePayload.from_payload(p).result for _, _, _, p, _ in rig.rows()] == [
        GateResult.GRANTED, GateResult.GRANTED, GateResult.DENIED, GateResult.ALARM, GateResult.GRANTED]
    assert simulator.main(["--port", "0", "--serve-for", "0.2"]) == 0
    assert '"listening": "127.0.0.1:' in capsys.readouterr().out
    with pytest.raises(SystemExit):
        simulator.main(["--help"])
    assert DEMO_PASSWORD in capsys.readouterr().out
