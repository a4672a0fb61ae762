"""The ONVIF adapter (tool.py) and `campus-console onvif` against our SOAP test device over real HTTP."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from drivers.base import load_tool
from drivers.cameras.onvif import tool
from drivers.cameras.onvif.testdevice import OnvifTestDevice
from tests.drivers.onvif_peers import PASSWORD, USER, camera, run_cli

__all__ = ["camera"]

Camera = Callable[..., OnvifTestDevice]


def addr(device: OnvifTestDevice) -> str:
    return f"127.0.0.1:{device.port}"


def cli(device: OnvifTestDevice | str, *args: str, password: str | None = PASSWORD) -> tuple[int, Any, str]:
    where = device if isinstance(device, str) else addr(device)
    verb, *rest = args
    return run_cli([verb, where, "--user", USER, "--password-env", "ONVIF_TEST_PASSWORD", "--json", *rest],
                   password=password)


def run(coro_fn: Callable[[], Any]) -> Any:
    async def main() -> Any:
        try:
            return await coro_fn()
        finally:
            await tool.close_all()

    return asyncio.run(main())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_registry_gives_the_tool() -> None:
    assert load_tool("onvif") is tool
    with pytest.raises(KeyError, match="unknown tool"):
        load_tool("nope")


def test_probe_reports_identity_profiles_streams_and_clock(camera: Camera) -> None:
    device = camera(skew_s=600)
    code, out, _ = cli(device, "probe")
    assert code == 0 and out["ok"] is True
    assert (out["manufacturer"], out["model"], out["firmware"], out["serial"], out["hardware_id"]) == (
        "Campus Test", "TD-1", "1.2.3", "SN0001", "HW-1")
    assert [(p["token"], p["width"], p["height"], p["fps"], p["ptz"]) for p in out["profiles"]] == [
        ("main", 1920, 1080, 25.0, True), ("sub", 640, 360, 15.0, True)]
    assert out["main_uri"] == "rtsp://127.0.0.1:554/main" and out["sub_uri"] == "rtsp://127.0.0.1:554/sub"
    assert out["snapshot_uri"] == f"http://{addr(device)}/snapshot/main.jpg"
    assert out["ptz"] is True and out["events"] is True and out["warnings"] == []
    assert 597 <= out["clock_offset_s"] <= 601  # the camera clock runs ten minutes ahead
    assert device.auth_failures == 0  # the token was signed in camera time


def test_set_device_time_removes_the_skew(camera: Camera) -> None:
    device = camera(skew_s=-900)
    host, port = "127.0.0.1", device.port

    async def fix() -> tuple[dict[str, Any], dict[str, Any]]:
        before = await tool.device_time(host, port, USER, PASSWORD)
        await tool.set_device_time(host, port, USER, PASSWORD, datetime.now(UTC))
        return before, await tool.device_time(host, port, USER, PASSWORD)

    before, after = run(fix)
    assert -902 <= before["offset_s"] <= -898
    assert abs(after["offset_s"]) <= 2 and abs(device.skew_s) <= 2


def test_wrong_password_exits_3_without_a_retry_storm(camera: Camera) -> None:
    device = camera()
    code, out, err = cli(device, "probe", password="wrong")
    assert code == 3
    assert out["ok"] is False and out["kind"] == "auth" and "authentication failed" in out["error"]
    assert "authentication failed" in err
    # Unauthenticated clock read, GetServices, then the GetCapabilities fallback: and nothing more.
    assert device.total_requests <= 3 and device.auth_failures <= 2


def test_http_401_is_an_auth_failure_too(camera: Camera) -> None:
    device = camera(auth_failure="http401")
    code, out, _ = cli(device, "ptz", "--list-presets", password="wrong")
    assert code == 3 and out["kind"] == "auth"


def test_unreachable_and_hanging_cameras_exit_4(camera: Camera) -> None:
    code, out, err = cli(f"127.0.0.1:{free_port()}", "probe")
    assert code == 4 and out["kind"] == "unreachable" and "cannot reach" in err
    device = camera()
    device.faults["GetDeviceInformation"] = "hang"
    code, out, err = cli(device, "probe", "--timeout", "0.5")
    assert code == 4 and out["kind"] == "timeout"
    assert out["error"].startswith("Device GetDeviceInformation: no answer from")


@pytest.mark.parametrize(("mode", "kind", "words"), [
    ("fault", "fault", "SOAP fault from"), ("malformed", "malformed", "malformed reply from"),
    ("http500", "malformed", "malformed reply from 127.0.0.1"),
])
def test_faults_and_malformed_replies_exit_5_with_a_clear_message(camera: Camera, mode: str, kind: str,
                                                                  words: str) -> None:
    device = camera()
    device.faults["GetDeviceInformation"] = mode
    code, out, _ = cli(device, "probe")
    assert code == 5 and out["kind"] == kind
    assert out["error"].startswith("Device GetDeviceInformation: ") and words in out["error"]


def test_a_broken_operation_leaves_the_adapter_usable(camera: Camera) -> None:
    device = camera()
    device.faults["GetStatus"] = "prefix"
    host, port = "127.0.0.1", device.port

    async def scenario() -> tuple[tool.OnvifError, list[dict[str, Any]], tool.OnvifError]:
        with pytest.raises(tool.OnvifError) as broken:
            await tool.ptz_status(host, port, USER, PASSWORD, "main")
        listed = await tool.presets(host, port, USER, PASSWORD, "main")
        with pytest.raises(tool.OnvifError) as missing:
            await tool.goto_preset(host, port, USER, PASSWORD, "main", "99")
        await tool.ptz_move(host, port, USER, PASSWORD, "main", 0.1, 0, 0)
        return broken.value, listed, missing.value

    broken, listed, missing = run(scenario)
    assert broken.kind == "malformed"
    assert str(broken) == (f"PTZ GetStatus: malformed reply from 127.0.0.1:{port} "
                           "(Invalid tag name 'ptz:PTZStatus')")
    assert [p["name"] for p in listed] == ["Gate", "Car park"]
    assert missing.kind == "fault" and "no preset '99'" in str(missing)
    assert device.requests["GetServices"] == 1  # one handshake served every call


def test_move_exits_0_even_when_status_is_malformed(camera: Camera) -> None:
    device = camera()
    device.faults["GetStatus"] = "prefix"
    code, out, _ = cli(device, "ptz", "--move", "0.5,-0.25,0", "--seconds", "0.1")
    assert code == 0
    assert out["move"] == {"profile": "main", "pan": 0.5, "tilt": -0.25, "zoom": 0.0, "seconds": 0.1,
                           "stopped": True}
    assert out["status"] is None and len(out["warnings"]) == 1
    assert "PTZ GetStatus: malformed reply" in out["warnings"][0]
    assert device.moves == [{"profile": "main", "pan": 0.5, "tilt": -0.25, "zoom": 0.0}, {"stop": True}]


def test_move_reports_status_when_the_camera_can(camera: Camera) -> None:
    device = camera()
    code, out, _ = cli(device, "ptz", "--move", "1,0,0", "--profile", "sub")
    assert code == 0 and out["profile"] == "sub" and out["warnings"] == []
    assert out["status"]["pan_tilt_status"] == "MOVING" and out["status"]["pan"] == pytest.approx(0.1)


def test_presets_list_save_rename_delete_goto(camera: Camera) -> None:
    device = camera()
    host, port = "127.0.0.1", device.port

    async def scenario() -> list[Any]:
        args = (host, port, USER, PASSWORD, "main")
        token = await tool.set_preset(*args, "North gate")
        after_save = await tool.presets(*args)
        assert await tool.set_preset(*args, "North gate 2", token) == token
        after_rename = await tool.presets(*args)
        await tool.goto_preset(*args, token)
        await tool.remove_preset(*args, "1")
        return [token, after_save, after_rename, await tool.presets(*args)]

    token, after_save, after_rename, after_delete = run(scenario)
    assert {"token": token, "name": "North gate"} in after_save and len(after_save) == 3
    assert {"token": token, "name": "North gate 2"} in after_rename and len(after_rename) == 3
    assert [p["token"] for p in after_delete] == ["2", token]
    assert {"goto": token} in device.moves
    code, out, _ = cli(device, "ptz", "--list-presets")
    assert code == 0 and out["presets"] == after_delete
    code, out, _ = cli(device, "ptz", "--goto-preset", "2")
    assert code == 0 and out["goto_preset"] == "2" and device.moves[-1] == {"goto": "2"}


def test_camera_without_ptz_is_unsupported(camera: Camera) -> None:
    device = camera(ptz=False)
    code, out, _ = cli(device, "ptz", "--move", "0.1,0,0", "--profile", "main")
    assert code == 5 and out["kind"] == "unsupported"
    code, out, _ = cli(device, "probe")
    assert code == 0 and out["ptz"] is False


@pytest.mark.parametrize("args", [
    ["ptz", "127.0.0.1:1", "--user", "u", "--password-env", "ONVIF_TEST_PASSWORD", "--move", "2,0,0"],
    ["ptz", "127.0.0.1:1", "--user", "u", "--password-env", "ONVIF_TEST_PASSWORD", "--move", "a,b"],
    ["ptz", "127.0.0.1:1", "--user", "u", "--password-env", "ONVIF_TEST_PASSWORD", "--list-presets",
     "--seconds", "1"],
    ["probe", "127.0.0.1:99999", "--user", "u", "--password-env", "ONVIF_TEST_PASSWORD"],
    ["probe", "127.0.0.1", "--user", "u", "--password-env", "ONVIF_UNSET_VARIABLE"],
    ["ptz", "127.0.0.1", "--user", "u", "--password-env", "ONVIF_TEST_PASSWORD"],
    ["frobnicate"],
])
def test_usage_errors_exit_2(args: list[str]) -> None:
    code, _, _ = run_cli(args)
    assert code == 2


def test_the_test_device_runs_standalone() -> None:
    import json
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "drivers.cameras.onvif.testdevice", "--port", "0",
                             "--user", USER, "--password", PASSWORD], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        started = json.loads(proc.stdout.readline())
        code, out, _ = run_cli(["probe", f"127.0.0.1:{started['port']}", "--user", USER, "--password-env",
                                "ONVIF_TEST_PASSWORD", "--json"])
        assert code == 0 and out["model"] == "TD-1"
    finally:
        proc.terminate()
        assert proc.wait(10) == 0
        if proc.stdout is not None:
            proc.stdout.close()
