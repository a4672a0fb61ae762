"""The Hikvision driver against its simulator over real sockets, with real Store, FileStore, DriverHost."""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pydantic import ValidationError

from console.storage.files import FileStore
from drivers.base import DeviceInfo, HealthState, create_driver, settings_model
from drivers.gates.hikvision.driver import HikvisionDriver, Settings, create
from drivers.gates.hikvision.scenarios import SimEvent, acs_json, anpr_xml, render_part, scenario_events
from drivers.gates.hikvision.simulator import DEMO_PASSWORD, DEMO_USER, HikvisionSimulator, main, push_events
from tests.drivers.rig import DriverRig, Rigs, wait_for

DEVICE = "gate-east"
Maker = Callable[..., tuple["Rig", "SimThread"]]


class SimThread:
    """The simulator on its own event loop thread: an independent peer, as a real device would be."""

    def __init__(self, **kwargs: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="hik-sim", daemon=True)
        self.thread.start()
        self.sim: HikvisionSimulator = self.run(self._make(kwargs))
        self.port = self.run(self.sim.start(generate=False))

    @staticmethod
    async def _make(kwargs: dict[str, Any]) -> HikvisionSimulator:
        return HikvisionSimulator(**kwargs)

    def run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(15)

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        async def go() -> Any:
            return fn(*args)

        return self.run(go())

    def emit(self, n: int, scenario: str = "morning-rush") -> list[SimEvent]:
        def make() -> list[SimEvent]:
            events = self.sim.next_events(n, scenario)
            for ev in events:
                self.sim.emit(ev)
            return events

        return self.call(make)  # type: ignore[no-any-return]

    def close(self) -> None:
        self.run(self.sim.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


class Rig(DriverRig):
    """A real Store + FileStore + DriverHost running one gates.hikvision_isapi driver."""

    driver: HikvisionDriver
    files: FileStore

    def rows(self) -> list[dict[str, Any]]:  # type: ignore[override]
        found = self.sql("SELECT id, kind, state, point, payload, dedup_key FROM events ORDER BY id")
        return [{"id": r[0], "kind": r[1], "state": r[2], "point": r[3], "payload": json.loads(r[4]),
                 "key": r[5]} for r in found]

    def status(self) -> dict[str, Any]:
        return self.host.call(DEVICE, "status").result(5)  # type: ignore[no-any-return]

    def online(self) -> bool:
        return bool(self.health) and self.health[-1] == (HealthState.ONLINE, "alertStream")

    def ready(self) -> bool:
        """Online and past the first back-fill, so what we emit next arrives by the stream."""
        return self.online() and self.status()["stats"].get("backfills", 0) >= 1


@pytest.fixture
def make(driver_rigs: Rigs) -> Callable[..., tuple[Rig, SimThread | None]]:
    def build(sim: dict[str, Any] | None = None, password: str = DEMO_PASSWORD,
              **settings: Any) -> tuple[Rig, SimThread | None]:
        peer = SimThread(**sim) if sim is not None else None
        defaults: dict[str, Any] = {"reconnect_min_s": 0.05, "reconnect_max_s": 0.3, "picture_wait_s": 0.5}
        if peer is not None:
            driver_rigs.later(peer.close)  # closed after the rig, as a device outlives the console's session
            defaults["port"] = peer.port
        device = DeviceInfo(DEVICE, "东门闸机", "gate", points={"1": "P-EAST-IN"}, credential="hik")
        driver = create(Settings(**{**defaults, **settings}))
        return driver_rigs(driver, device, Rig, secrets={"hik": password}, files=True), peer

    return build


def serials(rows: list[dict[str, Any]]) -> list[int]:
    return [r["payload"]["extra"]["serialNo"] for r in rows if "serialNo" in r["payload"].get("extra", {})]


def test_registry_and_settings() -> None:
    assert settings_model("gates.hikvision_isapi") is Settings
    assert isinstance(create_driver("gates.hikvision_isapi", Settings()), HikvisionDriver)
    assert Settings(timezone="+08:00").timezone == "+08:00"
    assert Settings(door_direction={"1": "in", "2": "out"}).door_direction == {"1": "in", "2": "out"}
    for bad in ({"timezone": "Mars/Olympus"}, {"mode": "poll"}, {"surprise": 1},
                {"door_direction": {"1": "up"}}, {"reconnect_min_s": 5, "reconnect_max_s": 1}):
        with pytest.raises(ValidationError):
            Settings(**bad)


def test_events_and_pictures_arrive_in_order(make: Maker) -> None:
    rig, sim = make({"seed": 3, "nonce_uses": 3})
    wait_for(rig.ready, what="alertStream online")
    sent = sim.emit(12, "morning-rush") + sim.emit(8, "forced-door") + sim.emit(6, "banned-plate")
    acs = [ev for ev in sent if not ev.is_anpr]
    blocked = [ev for ev in sent if ev.is_anpr and ev.list_name in ("blackList", "blockList")]
    wait_for(lambda: len(rig.rows()) >= len(sent) + len(blocked), what="all events stored")
    rows = rig.rows()
    assert len(rows) == len(sent) + len(blocked)
    assert serials(rows) == [ev.serial for ev in acs]  # stream order kept
    faces = [r for r in rows if r["payload"].get("method") == "face"]
    assert faces and all(len(r["payload"]["pictures"]) == 1 for r in faces)
    for r in faces:
        path = rig.files.path(r["payload"]["pictures"][0])
        assert path.is_file() and path.read_bytes().startswith(b"\xff\xd8") and "/face/" in str(path)
    plates = [r for r in rows if r["payload"].get("method") == "plate"]
    assert {r["payload"].get("plate") for r in plates} >= {"京A12345", "粤BD12345", None}
    cats = {Path(p).parts[1] for r in plates for p in r["payload"]["pictures"]}
    assert cats == {"plate", "vehicle"}
    alarms = [r["kind"] for r in rows if r["kind"].startswith("gate.alarm.")]
    assert {"gate.alarm.forced", "gate.alarm.held_open", "gate.alarm.fire_release", "gate.alarm.tamper",
            "gate.alarm.blocklist"} <= set(alarms)
    assert [r["state"] for r in rows if r["kind"] == "gate.alarm.fire_release"] == ["active", "cleared"]
    assert any(r["point"] == "P-EAST-IN" for r in rows)
    status = rig.status()
    assert status["stream_up"] and status["stats"]["stream_events"] >= len(rows)
    assert status["device"]["model"] == "DS-K1T671M"
    assert status["stats"].get("ignored_keepalive", 0) >= 0 and status["stats"]["pictures"] >= len(faces)


def test_reboot_outage_is_backfilled_without_gap_or_duplicate(make: Maker) -> None:
    rig, sim = make({"seed": 5, "nonce_uses": 2})
    wait_for(rig.ready, what="alertStream online")
    before = sim.emit(5)
    wait_for(lambda: len(rig.rows()) == 5, what="first events")
    sim.call(sim.sim.set_outage, True)
    wait_for(lambda: not rig.status()["stream_up"], what="stream dropped")
    during = sim.emit(65)  # only reachable through AcsEvent: three pages of ≤ 30
    time.sleep(0.3)
    sim.call(sim.sim.set_outage, False)
    wait_for(rig.online, what="back online")
    after = sim.emit(4)
    everything = before + during + after
    wait_for(lambda: len(rig.rows()) >= len(everything), what="gap closed")
    time.sleep(0.3)  # anything extra (a duplicate) would show up now
    rows = rig.rows()
    assert sorted(serials(rows)) == [ev.serial for ev in everything]  # no gap, no duplicate
    assert serials(rows) == sorted(serials(rows))  # and in order
    stats = rig.status()["stats"]
    assert stats["backfill_events"] >= len(during) and stats["backfill_pages"] >= 3
    assert sim.sim.stats["acs_searches"] >= 4  # the first (empty) search, then three pages
    assert sim.sim.gate.stats["stale"] >= 1  # nonces wore out meanwhile: re-authenticated on stale=true
    assert sim.sim.gate.stats["auth_failures"] == 0
    assert any(state is HealthState.OFFLINE for state, _ in rig.health)


def test_wrong_password_is_reported_without_a_request_storm(make: Maker) -> None:
    rig, sim = make({}, password="not-the-password", auth_retry_s=1.0)
    wait_for(lambda: (HealthState.OFFLINE, "authentication failed") in rig.health, what="auth failure")
    time.sleep(1.6)
    requests = sim.sim.stats["requests"]
    # Each attempt is one anonymous request and one Digest retry; one attempt per auth_retry_s.
    assert 2 <= requests <= 6, requests
    assert sim.sim.gate.stats["auth_failures"] <= 3
    assert rig.status()["stats"]["auth_failed"] >= 1
    assert rig.rows() == []


def test_digest_stale_nonce_and_rotation_with_aiohttp_middleware(make: Callable[..., Any]) -> None:
    sim = SimThread(nonce_uses=2)
    try:
        async def client() -> tuple[list[int], str]:
            middleware = aiohttp.DigestAuthMiddleware(DEMO_USER, DEMO_PASSWORD)
            url = f"http://127.0.0.1:{sim.port}/ISAPI/System/deviceInfo"
            statuses = []
            async with aiohttp.ClientSession(middlewares=(middleware,)) as session:
                for _ in range(7):
                    async with session.get(url) as resp:
                        statuses.append(resp.status)
                        await resp.read()
            # A made-up nonce with the right password is answered stale=true, not "wrong password".
            async with aiohttp.ClientSession() as raw:
                auth = (f'Digest username="{DEMO_USER}", realm="DS-K1T671M", nonce="feedface", uri="/x", '
                        f'response="0", qop=auth, nc=00000001, cnonce="ab"')
                async with raw.get(url, headers={"Authorization": auth}) as resp:
                    challenge = resp.headers.get("WWW-Authenticate", "")
            return statuses, challenge

        statuses, challenge = asyncio.run(client())
        assert statuses == [200] * 7
        gate = sim.sim.gate.stats
        assert gate["stale"] >= 2 and gate["auth_failures"] == 1 and gate["authorised"] == 7
        assert "stale=false" in challenge  # a wrong response hash is a wrong password, whatever the nonce
        assert sim.sim.stats["requests"] <= 7 + 1 + gate["stale"] + 1  # one extra round trip per rotation
    finally:
        sim.close()


def test_backfill_not_supported_is_asked_once(make: Maker) -> None:
    rig, sim = make({"acs_search": False})
    wait_for(rig.online, what="online")
    sim.emit(2)
    wait_for(lambda: len(rig.rows()) == 2, what="live events")
    sim.call(sim.sim.set_outage, True)
    time.sleep(0.2)
    sim.call(sim.sim.set_outage, False)
    wait_for(lambda: rig.status()["stats"].get("connects", 0) >= 2, what="reconnected")
    sim.emit(1)
    wait_for(lambda: len(rig.rows()) == 3, what="live after reconnect")
    assert sim.sim.stats["acs_searches"] == 1
    assert rig.status()["backfill_supported"] is False


@pytest.mark.parametrize("announced", ["", "not_the_boundary"])
def test_missing_or_wrong_boundary_reconnects(make: Maker, announced: str) -> None:
    rig, sim = make({"announce_boundary": announced, "keepalive_s": 0.1})
    wait_for(lambda: rig.status()["stats"].get("reconnects", 0) >= 2, what="reconnects")
    stats = rig.status()["stats"]
    if announced:
        assert stats.get("multipart_boundary_changed", 0) + stats.get("multipart_boundary_missing", 0) >= 1
    else:
        assert stats["no_boundary"] >= 1
    assert any(state is HealthState.OFFLINE and "boundary" in reason for state, reason in rig.health)


def test_push_mode_through_the_shared_listener(make: Callable[..., tuple[Rig, None]]) -> None:
    rig, _ = make(None, mode="push", listen_port=0)
    port = wait_for(lambda: rig.status()["push_port"], what="push route")
    url = f"http://127.0.0.1:{port}/push/{DEVICE}/"
    now = datetime.now(UTC).replace(microsecond=0)
    events = (scenario_events("morning-rush", random.Random(1), now, 500, 6)
              + scenario_events("banned-plate", random.Random(2), now, 600, 2, step=timedelta(seconds=1)))

    async def push(password: str) -> Any:
        return await push_events(url, events, DEMO_USER, password, seed=4, attempts=1)

    refused = asyncio.run(push("wrong"))
    assert refused["http_401"] == len(events) and rig.rows() == []
    sent = asyncio.run(push(DEMO_PASSWORD))
    assert sent["http_200"] == len(events)
    rows = rig.rows()
    blocked = sum(1 for ev in events if ev.is_anpr and ev.list_name in ("blackList", "blockList"))
    assert len(rows) == len(events) + blocked
    assert serials(rows) == [ev.serial for ev in events if not ev.is_anpr]
    with_pictures = [r for r in rows if r["payload"].get("pictures")]
    paths = [rig.files.path(p) for r in with_pictures for p in r["payload"]["pictures"]]
    assert paths and all(p.is_file() for p in paths)
    plate = next(r for r in rows if r["payload"].get("plate") == "京A12345")
    assert {Path(p).parts[1] for p in plate["payload"]["pictures"]} == {"plate", "vehicle"}
    again = asyncio.run(push(DEMO_PASSWORD))  # the device retries: nothing new
    assert again["http_200"] == len(events) and len(rig.rows()) == len(rows)
    assert rig.health[-1][0] is HealthState.ONLINE and "push" in rig.health[-1][1]


def test_a_lone_event_is_delivered_without_waiting_for_the_next_part(make: Maker) -> None:
    rig, sim = make({"keepalive_s": 30, "drop_length_every": 0})
    wait_for(rig.ready, what="online")
    started = time.monotonic()
    sim.emit(1, "forced-door")  # no picture, right Content-Length, and no next delimiter for 30 s
    wait_for(lambda: len(rig.rows()) == 1, timeout=3, what="lone event")
    assert time.monotonic() - started < 1.5
    assert rig.status()["stats"]["stream_events"] == 1


def test_bad_parts_degrade_health_and_the_stream_recovers(make: Maker) -> None:
    rig, sim = make({"keepalive_s": 30})
    wait_for(rig.ready, what="online")
    bad = b"".join(render_part("MIME_boundary", "application/json", b'{"broken": ' + bytes([48 + i]))
                   for i in range(5))
    sim.call(sim.sim.inject, b"garbage between parts\r\n" + bad)
    wait_for(lambda: rig.health[-1][0] is HealthState.DEGRADED, what="degraded")
    assert "bad parts" in rig.health[-1][1]
    sim.emit(2, "tailgating")
    wait_for(lambda: len(rig.rows()) == 2, what="good events after bad ones")
    wait_for(rig.online, what="healthy again")
    stats = rig.status()["stats"]
    assert stats["bad_parts"] == 5 and stats["connects"] == 1  # never dropped the connection for it


def test_simulator_command_line_push_and_help(make: Maker, capsys: pytest.CaptureFixture[str]) -> None:
    rig, _ = make(None, mode="push", listen_port=0)
    port = wait_for(lambda: rig.status()["push_port"], what="push route")
    url = f"http://127.0.0.1:{port}/push/{DEVICE}/"
    code = main(["--push-to", url, "--scenario", "tailgating", "--count", "4", "--rate", "0", "--seed", "1",
                 "--password-env", "HIK_SIM_TEST_UNSET_VARIABLE"])
    assert code == 0
    assert len(rig.rows()) == 4
    with pytest.raises(SystemExit):
        main(["--help"])
    assert DEMO_PASSWORD in capsys.readouterr().out


def test_push_of_bare_xml_and_json_bodies(make: Maker) -> None:
    rig, _ = make(None, mode="push", listen_port=0)
    port = wait_for(lambda: rig.status()["push_port"], what="push route")
    url = f"http://127.0.0.1:{port}/push/{DEVICE}/"
    now = datetime.now(UTC).replace(microsecond=0)
    plate = scenario_events("banned-plate", random.Random(3), now, 700, 1)[0]  # 京A12345, blackList
    face = scenario_events("forced-door", random.Random(3), now, 800, 1)[0]

    async def post() -> list[int]:
        statuses = []
        middleware = aiohttp.DigestAuthMiddleware(DEMO_USER, DEMO_PASSWORD)
        async with aiohttp.ClientSession(middlewares=(middleware,)) as session:
            for body, ctype in ((anpr_xml(plate, namespace=False), "application/xml"),
                                (acs_json(face), "application/json"), (b"{not json", "application/json")):
                async with session.post(url, data=body, headers={"Content-Type": ctype}) as resp:
                    statuses.append(resp.status)
        return statuses

    assert asyncio.run(post()) == [200, 200, 400]
    kinds = [r["kind"] for r in rig.rows()]
    assert kinds == ["gate.denied", "gate.alarm.blocklist", "gate.alarm.forced"]
    assert rig.status()["stats"]["push_bad"] == 1


def test_both_modes_share_one_key_per_event(make: Maker) -> None:
    rig, sim = make({"seed": 9}, mode="both", listen_port=0)
    wait_for(rig.ready, what="online")
    port = wait_for(lambda: rig.status()["push_port"], what="push route")
    events = sim.emit(3, "tailgating")  # streamed ...
    wait_for(lambda: len(rig.rows()) == 3, what="streamed")
    url = f"http://127.0.0.1:{port}/push/{DEVICE}/"
    sent = asyncio.run(push_events(url, events, DEMO_USER, DEMO_PASSWORD, attempts=1))  # ... and pushed
    assert sent["http_200"] == 3
    assert len(rig.rows()) == 3 and rig.status()["stats"]["push_events"] == 3


def test_backfill_failure_degrades_but_live_events_flow(make: Maker) -> None:
    rig, sim = make({"acs_error": 500})
    wait_for(lambda: rig.health and rig.health[-1][0] is HealthState.DEGRADED, what="degraded")
    assert "back-fill failed" in rig.health[-1][1]
    sim.emit(2)
    wait_for(lambda: len(rig.rows()) == 2, what="live events")
    assert rig.status()["stats"]["backfill_failed"] == 1 and rig.status()["backfill_supported"] is True


def test_a_silent_stream_is_dropped_and_reopened(make: Maker) -> None:
    rig, sim = make({"keepalive_s": 60}, read_timeout_s=0.3)
    wait_for(lambda: sim.sim.stats["streams"] >= 3, what="reconnects after silence")
    assert rig.status()["stats"]["reconnects"] >= 2
    assert any("no data" in reason for _, reason in rig.health)
