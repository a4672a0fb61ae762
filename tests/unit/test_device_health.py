"""Offline alarms: at once for a device that drops out, after a grace for one not yet heard from."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from console.services.devices import DeviceRegistry, DeviceStatus
from console.storage.store import Store
from drivers.base import HealthState


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path) as s:
        yield s


def offline_events(store: Store) -> list[tuple[str, str]]:
    conn = store.reader()
    try:
        sql = "SELECT source, state FROM events WHERE kind='device.offline' ORDER BY id"
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def registry(store: Store, grace: float) -> DeviceRegistry:
    devices = DeviceRegistry(store, startup_grace_s=grace)
    devices.declare([DeviceStatus("gate", "东门闸机", "gate", "east"),
                     DeviceStatus("cam", "摄像机", "camera", None)])
    return devices


def settle(store: Store) -> None:
    store.submit(lambda tx: None).result(5)


def test_a_device_that_drops_out_alarms_at_once_and_clears_when_back(store: Store) -> None:
    devices = registry(store, grace=30)
    devices.set_health("gate", HealthState.ONLINE)
    devices.set_health("gate", HealthState.OFFLINE, "connection refused")
    devices.set_health("gate", HealthState.OFFLINE, "reconnecting in 3 s")  # a new reason is no new alarm
    devices.set_health("gate", HealthState.ONLINE)
    settle(store)
    assert offline_events(store) == [("gate", "active"), ("gate", "cleared")]
    devices.close()


def test_offline_at_start_waits_for_its_grace(store: Store) -> None:
    devices = registry(store, grace=0.3)
    devices.set_health("gate", HealthState.OFFLINE, "refused")  # comes up after the console: no alarm
    devices.set_health("cam", HealthState.OFFLINE, "not found")  # never comes up: alarm after the grace
    devices.set_health("gate", HealthState.ONLINE)
    time.sleep(0.6)
    settle(store)
    assert offline_events(store) == [("cam", "active")]
    devices.close()


def test_closing_drops_the_waiting_alarms(store: Store) -> None:
    devices = registry(store, grace=0.3)
    devices.set_health("cam", HealthState.OFFLINE, "not found")
    devices.close()
    time.sleep(0.5)
    settle(store)
    assert offline_events(store) == []


def test_after_closing_a_lost_connection_is_the_console_stopping_not_an_alarm(store: Store) -> None:
    devices = registry(store, grace=0)
    devices.set_health("gate", HealthState.ONLINE)
    devices.close()  # the engine closes the registry before it stops the drivers
    devices.set_health("gate", HealthState.OFFLINE, "stream closed")
    settle(store)
    assert offline_events(store) == []
    assert {d.id: d.health for d in devices.all()}["gate"] is HealthState.ONLINE


def test_a_failing_side_degrades_a_working_device_and_never_takes_its_health(store: Store) -> None:
    devices = registry(store, grace=30)
    health = {d.id: d for d in devices.all()}
    devices.set_aspect_health("cam", "events", HealthState.OFFLINE, "authentication failed")
    assert {d.id: d for d in devices.all()}["cam"].health is health["cam"].health  # video not heard yet
    devices.set_health("cam", HealthState.ONLINE)
    cam = {d.id: d for d in devices.all()}["cam"]
    assert (cam.health, cam.reason) == (HealthState.DEGRADED, "authentication failed")
    devices.set_aspect_health("cam", "clock", HealthState.DEGRADED, "camera clock off by +9 s")
    cam = {d.id: d for d in devices.all()}["cam"]
    assert cam.reason == "camera clock off by +9 s; authentication failed"
    devices.set_aspect_health("cam", "events", HealthState.ONLINE)
    devices.set_aspect_health("cam", "clock", HealthState.ONLINE)
    cam = {d.id: d for d in devices.all()}["cam"]
    assert (cam.health, cam.reason) == (HealthState.ONLINE, "")
    devices.set_health("cam", HealthState.OFFLINE, "stalled")  # the owner's offline stays offline
    devices.set_aspect_health("cam", "events", HealthState.ONLINE)
    assert {d.id: d for d in devices.all()}["cam"].health is HealthState.OFFLINE
    devices.close()
