"""ipycam 1.3 as a black-box camera, in a private network namespace: discovery, probe, RTSP frames, PTZ.

The whole scenario (veth pair, ipycam, our CLI, PyAV decoding) runs in one `unshare -rn` subprocess
(tests/drivers/onvif_peers.py), so ipycam's multicast and our WS-Discovery probe stay off real networks.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.drivers.onvif_peers import NS_CAMERA_IP, namespace_usable

ROOT = Path(__file__).resolve().parents[2]


def _missing_peer() -> str | None:
    """The Makefile installs both; without them this is a broken test setup, not a reason to skip."""
    if importlib.util.find_spec("ipycam") is None:
        return "ipycam is not installed: .venv/bin/pip install --no-deps ipycam==1.3.0"
    if shutil.which("ffmpeg") is None:
        return "ffmpeg is not installed (Debian package ffmpeg; ipycam's RTSP server runs it)"
    return None


@pytest.fixture(scope="module")
def scenario() -> dict[str, Any]:
    reason = namespace_usable()
    if reason is not None:
        pytest.skip(reason)  # the only acceptable skip: ipycam must never multicast on a real network
    missing = _missing_peer()
    assert missing is None, missing
    done = subprocess.run(["unshare", "-rn", sys.executable, "-m", "tests.drivers.onvif_peers", "ipycam"],
                          cwd=ROOT, capture_output=True, timeout=110, check=False)
    lines = [line for line in done.stdout.decode().splitlines() if line.startswith("SCENARIO ")]
    assert done.returncode == 0 and lines, done.stderr.decode(errors="replace")[-3000:]
    return json.loads(lines[-1].removeprefix("SCENARIO "))  # type: ignore[no-any-return]


def test_discovery_finds_it_by_probe_and_hears_a_hello(scenario: dict[str, Any]) -> None:
    code, out, _ = scenario["discover"]
    assert code == 0
    found = {d["name"]: d for d in out["devices"]}
    gate = found["GateCam-1"]
    assert (gate["host"], gate["port"], gate["via"]) == (NS_CAMERA_IP, 18080, "probe")
    assert gate["xaddrs"] == [f"http://{NS_CAMERA_IP}:18080/onvif/device_service"]
    yard = found["YardCam-2"]  # came up while we listened
    assert (yard["port"], yard["via"]) == (18090, "hello")


def test_probe_gives_identity_profiles_and_stream_uris(scenario: dict[str, Any]) -> None:
    code, out, _ = scenario["probe"]
    assert code == 0
    assert (out["manufacturer"], out["model"]) == ("PythonCam", "VirtualCam-1")
    assert [(p["token"], p["width"], p["height"]) for p in out["profiles"]] == [
        ("Profile_Main", 640, 360), ("Profile_Sub", 320, 180)]
    assert out["main_uri"] == f"rtsp://{NS_CAMERA_IP}:18554/video_main"
    assert out["sub_uri"] == f"rtsp://{NS_CAMERA_IP}:18554/video_sub"
    assert out["ptz"] is True and out["events"] is False  # ipycam has no Events service
    assert out["clock_offset_s"] is not None and abs(out["clock_offset_s"]) < 5
    assert out["device_time"] is not None


def test_the_main_stream_really_decodes(scenario: dict[str, Any]) -> None:
    frames = scenario["frames"]
    assert frames["decoded"] >= 5, frames
    assert frames["size"] == [640, 360]


def test_continuous_move_is_accepted_and_broken_status_is_a_warning(scenario: dict[str, Any]) -> None:
    code, out, _ = scenario["move"]
    assert code == 0
    assert out["move"]["stopped"] is True and out["profile"] == "Profile_Main"
    assert out["status"] is None
    assert out["warnings"] == [f"PTZ GetStatus: malformed reply from {NS_CAMERA_IP}:18080 "
                               "(Invalid tag name 'ptz:PTZStatus')"]


def test_wrong_password_is_refused_by_ipycam(scenario: dict[str, Any]) -> None:
    code, out, err = scenario["wrong_password"]
    assert code == 3 and out["kind"] == "auth" and "authentication failed" in err
