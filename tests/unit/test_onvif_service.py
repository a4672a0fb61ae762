"""The ONVIF façade against the ONVIF test device over real HTTP: probe, add, PTZ, presets, clock; audited."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher

from console.config import load_site, parse_site
from console.domain.events import HealthState
from console.domain.roles import PermissionDenied, Role
from console.domain.session import Session
from console.engine import Engine
from console.services.credentials import CredentialStore
from console.services.onvif_cameras import CLOCK_REASON_PREFIX, NewCamera, OnvifCameras, error_kind
from drivers.base import load_tool
from drivers.cameras.onvif.testdevice import OnvifTestDevice

MASTER = "test master password"
USER, PASSWORD = "admin", "cam-secret-1"


def site_text(port: int) -> str:
    return f"""# A site with one PTZ camera served by the ONVIF test device
[site]
name = "ONVIF test site"
timezone = "Asia/Shanghai"

[[campuses]]
id = "east"
name = "东校区"

[[cameras]]
id = "cam-ptz"
name = "东门 球机"
campus = "east"
credential = "onvif-ptz"
ptz = true

[cameras.onvif]
host = "127.0.0.1"
port = {port}

[[cameras]]
id = "cam-fixed"
name = "图书馆"
campus = "east"
main_url = "rtsp://127.0.0.1:8554/lib"
"""


@dataclass
class Rig:
    device: OnvifTestDevice
    engine: Engine
    onvif: OnvifCameras
    site_path: Path
    credentials: CredentialStore
    admin: Session
    operator: Session
    viewer: Session

    def audit(self, action: str | None = None) -> list[dict[str, Any]]:
        self.engine.store.submit(lambda tx: None).result(5)  # the writer is FIFO: earlier rows are in
        conn = self.engine.store.reader()
        try:
            rows = conn.execute("SELECT actor, action, target, detail FROM audit ORDER BY id").fetchall()
        finally:
            conn.close()
        out = [{"actor": a, "action": b, "target": c, "detail": json.loads(d)} for a, b, c, d in rows]
        return [r for r in out if action is None or r["action"] == action]

    def probe_requests(self) -> int:
        """Requests only a probe sends (the engine's own PullPoint events driver talks to the device too)."""
        return sum(self.device.requests[op] for op in ("GetDeviceInformation", "GetProfiles", "GetStreamUri"))

    def wait_events_driver(self, timeout: float = 20.0) -> None:
        """The engine's ONVIF events driver reports the camera online once subscribed; a health reason set
        before that would be overwritten by it, so the clock tests start after it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = next(d for d in self.engine.devices.all() if d.id == "cam-ptz")
            if status.health is HealthState.ONLINE:
                return
            time.sleep(0.05)
        raise AssertionError("the ONVIF events driver did not come online")


def make_rig(tmp_path: Path, fast_hasher: PasswordHasher, skew_s: float = 0.0) -> Iterator[Rig]:
    device = OnvifTestDevice(user=USER, password=PASSWORD, skew_s=skew_s)
    port = device.start()
    site_path = tmp_path / "site.toml"
    site_path.write_text(site_text(port), encoding="utf-8")
    credentials = CredentialStore(tmp_path / "data", use_keyring=False, master_password=MASTER)
    credentials.set("onvif-ptz", USER, PASSWORD)
    engine = Engine(load_site(site_path), tmp_path / "data", credentials=credentials,
                    accounts_hasher=fast_hasher)
    engine.start()
    onvif = OnvifCameras(engine.site, engine.accounts, engine.audit, engine.devices, engine.host.run_in_loop,
                         lambda: load_tool("onvif"), credentials, site_path=site_path)
    try:
        accounts = engine.accounts
        accounts.create_first_admin("admin", "管理员", "admin-pass-1")
        admin = accounts.login("admin", "admin-pass-1")
        accounts.create_user(admin, "ops", "值班员", Role.OPERATOR, "operator-pass")
        accounts.create_user(admin, "view", "访客", Role.VIEWER, "viewer-pass-1")
        operator, viewer = accounts.login("ops", "operator-pass"), accounts.login("view", "viewer-pass-1")
        yield Rig(device, engine, onvif, site_path, credentials, admin, operator, viewer)
    finally:
        onvif.close()
        engine.stop()
        device.stop()


@pytest.fixture
def rig(tmp_path: Path, fast_hasher: PasswordHasher) -> Iterator[Rig]:
    yield from make_rig(tmp_path, fast_hasher)


@pytest.fixture
def skewed_rig(tmp_path: Path, fast_hasher: PasswordHasher) -> Iterator[Rig]:
    yield from make_rig(tmp_path, fast_hasher, skew_s=120.0)


def test_probe_reads_profiles_and_uris_and_is_audited(rig: Rig) -> None:
    found = rig.onvif.probe(rig.admin, "127.0.0.1", rig.device.port, USER, PASSWORD).result(20)
    assert found["manufacturer"] == "Campus Test" and found["model"] == "TD-1"
    assert found["main_uri"] == "rtsp://127.0.0.1:554/main" and found["sub_uri"] == "rtsp://127.0.0.1:554/sub"
    assert found["snapshot_uri"].endswith("/snapshot/main.jpg") and found["ptz"] is True
    [row] = rig.audit("onvif_probe")
    assert row["actor"] == "admin" and row["target"] == f"127.0.0.1:{rig.device.port}"
    assert PASSWORD not in json.dumps(rig.audit())


def test_a_wrong_password_fails_as_auth(rig: Rig) -> None:
    future = rig.onvif.probe(rig.admin, "127.0.0.1", rig.device.port, USER, "wrong")
    with pytest.raises(Exception) as caught:
        future.result(20)
    assert error_kind(caught.value) == "auth"
    assert rig.device.auth_failures >= 1


def test_only_an_administrator_may_probe(rig: Rig) -> None:
    with pytest.raises(PermissionDenied):
        rig.onvif.probe(rig.operator, "127.0.0.1", rig.device.port, USER, PASSWORD)
    [row] = rig.audit("permission_denied")
    assert row["actor"] == "ops" and row["target"] == "edit_config"
    assert rig.probe_requests() == 0


def test_add_camera_writes_the_site_and_the_credential(rig: Rig) -> None:
    before = rig.site_path.read_text(encoding="utf-8")
    new = NewCamera(id="cam-new", name="新球机", campus="east", host="127.0.0.1", port=rig.device.port,
                    location="南门", credential="onvif-new", ptz=True,
                    main_url="rtsp://admin:leak@127.0.0.1:554/main", sub_url="rtsp://127.0.0.1:554/sub")
    site = rig.onvif.add_camera(rig.admin, new, "admin", "new-secret")
    text = rig.site_path.read_text(encoding="utf-8")
    assert text.startswith(before) and "leak" not in text and "new-secret" not in text
    cam = parse_site(text).device("cam-new")
    assert cam is not None and cam == site.device("cam-new")
    assert cam.main_url == "rtsp://127.0.0.1:554/main" and cam.credential == "onvif-new" and cam.ptz
    stored = rig.credentials.get("onvif-new")
    assert stored is not None and (stored.username, stored.secret) == ("admin", "new-secret")
    [change] = rig.audit("config_change")[-1:]
    assert change["target"] == "camera:cam-new" and change["actor"] == "admin"
    assert rig.audit("credential_set")[-1]["target"] == "onvif-new"


def test_add_camera_with_a_taken_id_changes_nothing(rig: Rig) -> None:
    before = rig.site_path.read_text(encoding="utf-8")
    new = NewCamera(id="cam-ptz", name="重复", campus="east", host="127.0.0.1", credential="onvif-dup")
    with pytest.raises(Exception, match="already used"):
        rig.onvif.add_camera(rig.admin, new, "admin", "x")
    assert rig.site_path.read_text(encoding="utf-8") == before
    assert rig.credentials.get("onvif-dup") is None


def test_a_credential_name_of_another_device_is_not_overwritten(rig: Rig) -> None:
    new = NewCamera(id="cam-new", name="新", campus="east", host="127.0.0.1", credential="onvif-ptz")
    with pytest.raises(ValueError, match="already stored"):
        rig.onvif.add_camera(rig.admin, new, "admin", "another-secret")
    stored = rig.credentials.get("onvif-ptz")
    assert stored is not None and stored.secret == PASSWORD
    assert load_site(rig.site_path).device("cam-new") is None


def test_a_held_move_is_sent_and_audited_once_then_stopped(rig: Rig) -> None:
    assert rig.onvif.can_ptz("cam-ptz") and not rig.onvif.can_ptz("cam-fixed")
    futures = [rig.onvif.ptz_move(rig.operator, "cam-ptz", 0.5, 0.0, 0.0) for _ in range(5)]
    for f in futures:
        f.result(20)
    rig.onvif.ptz_stop(rig.operator, "cam-ptz").result(20)
    moves = [m for m in rig.device.moves if "pan" in m]
    assert len(moves) == 1 and moves[0]["pan"] == pytest.approx(0.5) and moves[0]["profile"] == "main"
    assert rig.device.moves[-1] == {"stop": True} and not rig.device.moving
    [start] = rig.audit("ptz_move")
    assert start["actor"] == "ops" and start["target"] == "cam-ptz"
    assert start["detail"]["direction"] == "right" and start["detail"]["speed"] == 0.5
    [stop] = rig.audit("ptz_stop")
    assert stop["detail"]["direction"] == "right"


def test_a_viewer_may_not_move_a_camera(rig: Rig) -> None:
    with pytest.raises(PermissionDenied):
        rig.onvif.ptz_move(rig.viewer, "cam-ptz", 0, 0.5, 0)
    assert rig.audit("permission_denied")[-1]["actor"] == "view"
    assert rig.audit("ptz_move") == [] and rig.device.moves == []


def test_presets_list_save_rename_delete(rig: Rig) -> None:
    op, cam = rig.operator, "cam-ptz"
    listed = rig.onvif.presets(op, cam).result(20)
    assert [p["name"] for p in listed] == ["Gate", "Car park"]
    token = rig.onvif.save_preset(op, cam, "Bike shed").result(20)
    assert rig.device.presets[token] == "Bike shed"
    rig.onvif.rename_preset(op, cam, token, "Bicycles").result(20)
    assert rig.device.presets[token] == "Bicycles"
    rig.onvif.goto_preset(op, cam, "1", "Gate").result(20)
    assert {"goto": "1"} in rig.device.moves
    rig.onvif.delete_preset(op, cam, token, "Bicycles").result(20)
    assert token not in rig.device.presets
    assert [r["detail"]["op"] for r in rig.audit("ptz_preset")] == ["save", "rename", "goto", "delete"]


def test_a_skewed_clock_is_flagged_and_set_time_fixes_it(skewed_rig: Rig) -> None:
    rig = skewed_rig
    rig.wait_events_driver()
    read = rig.onvif.camera_time(rig.operator, "cam-ptz").result(20)
    assert read["skewed"] is True and read["offset_s"] == pytest.approx(120, abs=3)
    status = next(d for d in rig.engine.devices.all() if d.id == "cam-ptz")
    assert status.health is HealthState.DEGRADED and status.reason.startswith(CLOCK_REASON_PREFIX)
    with pytest.raises(PermissionDenied):
        rig.onvif.set_camera_time(rig.viewer, "cam-ptz")
    fixed = rig.onvif.set_camera_time(rig.operator, "cam-ptz").result(20)
    assert fixed["skewed"] is False and abs(fixed["offset_s"]) <= 2 and abs(rig.device.skew_s) <= 2
    status = next(d for d in rig.engine.devices.all() if d.id == "cam-ptz")
    assert not status.reason.startswith(CLOCK_REASON_PREFIX)
    [row] = rig.audit("camera_time_set")
    assert row["actor"] == "ops" and row["target"] == "cam-ptz"


def test_a_camera_without_a_stored_credential_fails_clearly(rig: Rig) -> None:
    rig.credentials.delete("onvif-ptz")
    with pytest.raises(Exception, match="not stored"):
        rig.onvif.presets(rig.operator, "cam-ptz").result(5)


class _CountingCredentials:
    """The rig's credential store, counting the look-ups a PTZ command makes."""

    def __init__(self, real: CredentialStore) -> None:
        self.real, self.gets = real, 0

    def get(self, name: str) -> Any:
        self.gets += 1
        return self.real.get(name)


def test_a_held_key_reads_the_login_once_and_again_after_a_refusal(rig: Rig) -> None:
    counting = _CountingCredentials(rig.credentials)
    onvif = OnvifCameras(rig.engine.site, rig.engine.accounts, rig.engine.audit, rig.engine.devices,
                         rig.engine.host.run_in_loop, lambda: load_tool("onvif"), counting)
    try:
        for pan in (0.5, 0.6, 0.7):
            onvif.ptz_move(rig.operator, "cam-ptz", pan, 0, 0).result(20)
            onvif.ptz_stop(rig.operator, "cam-ptz").result(20)
        assert counting.gets == 1
        rig.device.password = "changed-on-the-camera"
        with pytest.raises(Exception) as refused:
            onvif.ptz_move(rig.operator, "cam-ptz", 0.5, 0, 0).result(20)
        assert error_kind(refused.value) == "auth"
        rig.credentials.set("onvif-ptz", USER, "changed-on-the-camera")
        rig.device.password = "changed-on-the-camera"
        onvif.ptz_move(rig.operator, "cam-ptz", 0.4, 0, 0).result(20)  # the new password is read again
        onvif.ptz_stop(rig.operator, "cam-ptz").result(20)
        assert counting.gets == 2
    finally:
        onvif.close()


class _GatedTool:
    """The real ONVIF adapter; its ContinuousMove waits until the test opens the gate (a hung camera)."""

    def __init__(self) -> None:
        self.real = load_tool("onvif")
        self.opened = threading.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    async def ptz_move(self, *args: Any, **kwargs: Any) -> Any:
        while not self.opened.is_set():
            await asyncio.sleep(0.01)
        return await self.real.ptz_move(*args, **kwargs)


def test_commands_queued_behind_a_hung_camera_collapse_to_the_latest(rig: Rig) -> None:
    gated = _GatedTool()
    onvif = OnvifCameras(rig.engine.site, rig.engine.accounts, rig.engine.audit, rig.engine.devices,
                         rig.engine.host.run_in_loop, lambda: gated, rig.credentials)
    try:
        first = onvif.ptz_move(rig.operator, "cam-ptz", 0.5, 0, 0)  # hangs at the camera
        time.sleep(0.3)
        stop = lambda: onvif.ptz_stop(rig.operator, "cam-ptz")  # noqa: E731 - five times below
        queued = [stop(), onvif.ptz_move(rig.operator, "cam-ptz", 0, 0.5, 0), stop(),
                  onvif.ptz_move(rig.operator, "cam-ptz", -0.5, 0, 0), stop()]
        gated.opened.set()
        for future in [first, *queued]:
            future.result(20)
        # The hung move, then only the officer's last word: the stop. Nothing of the backlog in between.
        assert [m.get("pan", "stop") for m in rig.device.moves] == [pytest.approx(0.5), "stop"]
        assert not rig.device.moving
    finally:
        onvif.close()
