"""cameras.onvif PullPoint events through a real Store and DriverHost against our SOAP test device."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from drivers.base import HealthState, Priority, create_driver, settings_model
from drivers.cameras.onvif.driver import OnvifEventsDriver, Settings
from drivers.cameras.onvif.testdevice import OnvifTestDevice
from tests.drivers.onvif_peers import PASSWORD, USER, EventsRig, camera, events_rig
from tests.drivers.rig import wait_for

__all__ = ["camera", "events_rig"]  # fixtures used by name

Camera = Callable[..., OnvifTestDevice]
Rig = Callable[..., EventsRig]


def test_registered_with_settings() -> None:
    assert settings_model("cameras.onvif") is Settings
    driver = create_driver("cameras.onvif", Settings(host="10.0.0.5"))
    assert isinstance(driver, OnvifEventsDriver)
    assert Settings(host="h").port == 80 and Settings(host="h").events is True


def test_motion_tamper_and_input_are_stored_with_states(camera: Camera, events_rig: Rig) -> None:
    device = camera()
    rig = events_rig(device, points={"DI_1": "东门-门磁"})
    wait_for(lambda: rig.driver.subscribed, what="subscription")
    device.push_event("motion", True)
    device.push_event("motion", False)
    device.push_event("tamper", True)
    device.push_event("input", True)
    device.push_event("input", False)
    rows = wait_for(lambda: len(rig.rows()) >= 5 and rig.rows(), what="five events")
    assert [(k, s) for k, s, *_ in rows] == [
        ("camera.motion", "active"), ("camera.motion", "cleared"), ("camera.tamper", "active"),
        ("camera.input", "active"), ("camera.input", "cleared"),
    ]
    priorities = {k: p for k, _, p, *_ in rows}
    assert priorities == {"camera.motion": Priority.INFO, "camera.tamper": Priority.SECURITY,
                          "camera.input": Priority.SECURITY}
    assert [r[3] for r in rows if r[0] == "camera.input"] == ["东门-门磁", "东门-门磁"]
    payload = json.loads(rows[0][5])
    assert payload["topic"] == "tns1:RuleEngine/CellMotionDetector/Motion"
    assert payload["data"] == {"IsMotion": "true"} and payload["value"] is True
    assert (HealthState.ONLINE, f"PullPoint events from 127.0.0.1:{device.port}") in rig.health
    assert rig.driver.stats["events"] == 5


def test_lost_subscription_is_recreated_without_repeating_states(camera: Camera, events_rig: Rig) -> None:
    device = camera()
    rig = events_rig(device)
    wait_for(lambda: rig.driver.subscribed, what="subscription")
    device.push_event("tamper", True)
    wait_for(lambda: len(rig.rows()) == 1, what="tamper event")
    device.lose_subscriptions()  # the camera rebooted: PullMessages now fails with ResourceUnknown
    wait_for(lambda: rig.driver.stats["subscriptions"] >= 2, what="a new subscription")
    assert rig.driver.stats["error.fault"] >= 1
    # The new subscription's "Initialized" report of tamper=true is not a new event...
    device.push_event("tamper", False)
    wait_for(lambda: len(rig.rows()) == 2, what="tamper cleared")
    assert rig.kinds() == [("camera.tamper", "active"), ("camera.tamper", "cleared")]
    assert any(s is HealthState.DEGRADED and "subscribing again" in reason for s, reason in rig.health)
    assert rig.health[-1][0] is HealthState.ONLINE


def test_renewal_keeps_the_subscription_and_a_failed_renew_resubscribes(camera: Camera,
                                                                         events_rig: Rig) -> None:
    device = camera()
    rig = events_rig(device, subscription_s=2, pull_timeout_s=0.3)  # renew due every 1.6 s
    # The driver counts a renewal once it has the answer, after the camera counted the request.
    wait_for(lambda: rig.driver.stats["renewals"] >= 1, what="a renewal")
    assert rig.driver.stats["subscriptions"] == 1 and device.requests["Renew"] >= 1
    device.faults["Renew"] = "fault"
    wait_for(lambda: rig.driver.stats["subscriptions"] >= 2, what="a new subscription after a failed renew")
    status = rig.host.call("cam-1", "status").result(5)  # while renewals still fail: the last error
    del device.faults["Renew"]
    assert status["stats"]["error.fault"] >= 1 and "Renew" in status["last_error"]


@pytest.mark.parametrize("mode", ["malformed", "fault"])
def test_bad_pull_replies_lead_to_a_new_subscription(camera: Camera, events_rig: Rig, mode: str) -> None:
    device = camera()
    rig = events_rig(device)
    wait_for(lambda: rig.driver.subscribed, what="subscription")
    device.faults["PullMessages"] = mode
    wait_for(lambda: rig.driver.stats["subscriptions"] >= 2, what="re-subscription after bad replies")
    del device.faults["PullMessages"]
    device.push_event("motion", True)
    wait_for(lambda: rig.kinds() == [("camera.motion", "active")], what="motion after recovery")
    kind = "malformed" if mode == "malformed" else "fault"
    assert rig.driver.stats[f"error.{kind}"] >= 1


def test_hung_pull_times_out_and_reconnects(camera: Camera, events_rig: Rig) -> None:
    device = camera()
    rig = events_rig(device, operation_timeout_s=0.5)
    wait_for(lambda: rig.driver.subscribed, what="subscription")
    device.faults["PullMessages"] = "hang"
    wait_for(lambda: rig.driver.stats["error.timeout"] >= 1, what="timeout")
    del device.faults["PullMessages"]
    device.push_event("input", True)
    wait_for(lambda: rig.kinds() == [("camera.input", "active")], what="input after the hang")
    assert any(state is HealthState.OFFLINE and "no answer" in reason for state, reason in rig.health)


def test_camera_without_events_is_reported_not_retried(camera: Camera, events_rig: Rig) -> None:
    device = camera(events=False)
    rig = events_rig(device)
    wait_for(lambda: any("no PullPoint events" in reason for _, reason in rig.health), what="degraded")
    before = device.total_requests
    time.sleep(0.5)
    assert rig.health[-1][0] is HealthState.DEGRADED
    assert device.total_requests == before  # waits unsupported_retry_s before trying again


def test_wrong_password_is_reported_without_a_retry_storm(camera: Camera, events_rig: Rig) -> None:
    device = camera()
    rig = events_rig(device, password="wrong", retry_max_s=30)
    wait_for(lambda: any(s is HealthState.OFFLINE and "authentication failed" in r for s, r in rig.health),
             what="auth failure reported")
    first = device.total_requests
    time.sleep(1.0)
    assert device.total_requests == first <= 4
    assert rig.rows() == []


def test_skewed_camera_clock_still_authenticates(camera: Camera, events_rig: Rig) -> None:
    device = camera(skew_s=-3600)
    rig = events_rig(device)
    wait_for(lambda: rig.driver.subscribed, what="subscription despite an hour of skew")
    device.push_event("motion", True)
    wait_for(lambda: rig.kinds() == [("camera.motion", "active")], what="motion")
    assert device.auth_failures == 0


def test_engine_runs_the_events_driver_for_onvif_cameras_with_a_credential(
        camera: Camera, tmp_path: Path, fast_hasher: PasswordHasher) -> None:
    from console.config import load_site
    from console.engine import Engine
    from console.services.credentials import CredentialStore

    device = camera()
    site = tmp_path / "site.toml"
    site.write_text(f"""[site]
name = "ONVIF events"
timezone = "Asia/Shanghai"

[[campuses]]
id = "east"
name = "东校区"

[[cameras]]
id = "cam-gate"
name = "东门"
campus = "east"
credential = "gate-cam"

[cameras.onvif]
host = "127.0.0.1"
port = {device.port}

[[cameras]]
id = "cam-nocred"
name = "无凭据"
campus = "east"

[cameras.onvif]
host = "127.0.0.1"
port = {device.port}

[[cameras]]
id = "cam-rtsp"
name = "图书馆"
campus = "east"
main_url = "rtsp://127.0.0.1:8554/lib"
""", encoding="utf-8")
    credentials = CredentialStore(tmp_path / "data", use_keyring=False, master_password="master pass")
    credentials.set("gate-cam", USER, PASSWORD)
    engine = Engine(load_site(site), tmp_path / "data", credentials=credentials, accounts_hasher=fast_hasher)
    engine.start()
    try:
        assert sorted(engine.host.slots) == ["cam-gate"]
        wait_for(lambda: device.subscriptions, what="the engine's subscription")
        device.push_event("motion", True)

        def stored() -> list[tuple[str, str, str]]:
            conn = engine.store.reader()
            try:
                sql = "SELECT source, kind, state FROM events WHERE kind LIKE 'camera.%'"
                return conn.execute(sql).fetchall()
            finally:
                conn.close()

        assert wait_for(stored, what="motion stored") == [("cam-gate", "camera.motion", "active")]
    finally:
        engine.stop()
