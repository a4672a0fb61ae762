"""Fixtures for the ONVIF tests: our SOAP test device on a thread, a Store + DriverHost rig, the CLI."""

from __future__ import annotations

import contextlib
import io
import json
import os
import time
from collections.abc import Callable
from typing import Any

import pytest

from drivers.base import DeviceInfo
from drivers.cameras.onvif.driver import OnvifEventsDriver, Settings
from drivers.cameras.onvif.testdevice import OnvifTestDevice
from tests.drivers.rig import DriverRig, Rigs

USER, PASSWORD = "admin", "s3cret"


@pytest.fixture
def camera(driver_rigs: Rigs) -> Callable[..., OnvifTestDevice]:
    """Start test devices (``camera(skew_s=..., events=False ...)``); all are stopped after the test."""

    def make(**options: Any) -> OnvifTestDevice:
        device = OnvifTestDevice(user=USER, password=PASSWORD, **options)
        device.start()
        driver_rigs.later(device.stop)
        return device

    return make


class EventsRig(DriverRig):
    """A real Store and DriverHost running one cameras.onvif driver against a test device."""

    driver: OnvifEventsDriver
    columns = "kind, state, priority, point, summary, payload"

    def kinds(self) -> list[tuple[str, str]]:
        return [(r[0], r[1]) for r in self.rows()]


@pytest.fixture
def events_rig(driver_rigs: Rigs) -> Callable[..., EventsRig]:
    def make(device: OnvifTestDevice, password: str = PASSWORD, points: dict[str, str] | None = None,
             **settings: Any) -> EventsRig:
        options = {"pull_timeout_s": 0.5, "retry_initial_s": 0.05, "retry_max_s": 0.5, **settings}
        driver = OnvifEventsDriver(Settings(host="127.0.0.1", port=device.port, user=USER, **options))
        info = DeviceInfo("cam-1", "东门摄像机", "camera", points=points or {}, credential="cam-cred")
        return driver_rigs(driver, info, EventsRig, secrets={"cam-cred": password})

    return make


def run_cli(argv: list[str], password: str | None = PASSWORD) -> tuple[int, Any, str]:
    """Run `campus-console onvif ...` in this process; returns (exit code, parsed JSON or text, stderr)."""
    from console.__main__ import main

    if password is not None:
        os.environ["ONVIF_TEST_PASSWORD"] = password
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["onvif", *argv])
    finally:
        os.environ.pop("ONVIF_TEST_PASSWORD", None)
    text = out.getvalue()
    try:
        parsed: Any = json.loads(text)
    except ValueError:
        parsed = text
    return code, parsed, err.getvalue()


# -- ipycam inside a private network namespace ----------------------------------------------------------
# `unshare -rn python -m tests.drivers.onvif_peers ipycam` runs everything below in a namespace of its own:
# ipycam's multicast Hello/Bye and our WS-Discovery probe never reach a real network.
NS_CAMERA_IP, NS_CLIENT_IP = "10.99.0.1", "10.99.0.2"
NS_SETUP = (
    "ip link set lo up",
    "ip link add v0 type veth peer name v1",
    f"ip addr add {NS_CAMERA_IP}/24 dev v0",
    f"ip addr add {NS_CLIENT_IP}/24 dev v1",
    "ip link set v0 up",
    "ip link set v1 up",
    "ip route add 224.0.0.0/4 dev v0",
)


def namespace_usable() -> str | None:
    """None when `unshare -rn` works here; otherwise why not (the ipycam test skips with it)."""
    import shutil
    import subprocess

    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return "unshare or ip (util-linux, iproute2) is not installed"
    try:
        command = ["unshare", "-rn", "ip", "link", "add", "v0", "type", "veth", "peer", "name", "v1"]
        done = subprocess.run(command, capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unshare -rn failed: {exc}"
    if done.returncode != 0:
        return f"unshare -rn is not permitted here: {done.stderr.decode(errors='replace').strip()}"
    return None


def _ipycam_scenario() -> dict[str, Any]:  # pragma: no cover - runs in the namespace subprocess
    import subprocess
    import threading

    import av
    import numpy as np
    from ipycam import CameraConfig, IPCamera

    for command in NS_SETUP:
        subprocess.run(command.split(), check=True)
    config = CameraConfig(local_ip=NS_CAMERA_IP, onvif_port=18080, rtsp_port=18554, web_port=18081,
                          go2rtc_api_port=11984, main_width=640, main_height=360, main_fps=10,
                          sub_width=320, sub_height=180, sub_fps=10, hw_accel="cpu", show_timestamp=True,
                          name="GateCam-1", username=USER, password=PASSWORD)
    cam = IPCamera(config)
    stop = threading.Event()

    def feed() -> None:
        frame = np.zeros((360, 640, 3), np.uint8)
        n = 0
        while not stop.is_set():
            frame[:] = (n * 7 % 256, 80, 160)
            cam.stream(frame)
            n += 1
            stop.wait(0.1)

    out: dict[str, Any] = {}
    cam.start()
    feeder = threading.Thread(target=feed, name="ipycam-feed", daemon=True)
    feeder.start()
    try:
        where = f"{NS_CAMERA_IP}:{config.onvif_port}"
        cred = ["--user", USER, "--password-env", "ONVIF_TEST_PASSWORD", "--json"]
        # A second camera comes up while we listen: its Hello (not a ProbeMatch) must be reported too.
        from ipycam.discovery import WSDiscoveryServer
        from ipycam.onvif import ONVIFService

        late: list[WSDiscoveryServer] = []

        def come_up() -> None:
            # Built here, not earlier: its socket would otherwise queue our Probes and answer them too.
            late.append(WSDiscoveryServer(ONVIFService(
                CameraConfig(local_ip=NS_CAMERA_IP, onvif_port=18090, name="YardCam-2"), None)))
            late[0].start()

        timer = threading.Timer(1.5, come_up)
        timer.start()
        try:
            out["discover"] = run_cli(["discover", "--timeout", "3", "--json"])
        finally:
            timer.join()
            for server in late:
                server.stop()
                server.join(5)
        out["probe"] = run_cli(["probe", where, *cred])
        out["move"] = run_cli(["ptz", where, *cred, "--move", "0.5,0,0", "--seconds", "0.3"])
        out["wrong_password"] = run_cli(["probe", where, *cred], password="wrong")
        uri = out["probe"][1].get("main_uri") if isinstance(out["probe"][1], dict) else None
        out["frames"] = _decode(av, uri) if uri else {"error": "no main_uri"}
    finally:
        stop.set()
        feeder.join(5)
        cam.stop()
    return out


def _decode(av: Any, uri: str, wanted: int = 5) -> dict[str, Any]:  # pragma: no cover - namespace
    # The RTSP server starts encoding once frames arrive; on a loaded 2-core machine it has been seen to
    # take over 30 s to accept connections.
    deadline = time.monotonic() + 50
    error = ""
    while time.monotonic() < deadline:
        try:
            with av.open(uri, options={"rtsp_transport": "tcp", "stimeout": "5000000"}, timeout=10) as box:
                sizes = []
                for frame in box.decode(video=0):
                    sizes.append((frame.width, frame.height))
                    if len(sizes) >= wanted:
                        return {"uri": uri, "decoded": len(sizes), "size": list(sizes[-1])}
        except (av.error.FFmpegError, OSError) as exc:
            error = repr(exc)
            time.sleep(0.5)
    return {"uri": uri, "decoded": 0, "error": error}


if __name__ == "__main__":  # pragma: no cover
    import sys

    if sys.argv[1:] == ["ipycam"]:
        print("SCENARIO " + json.dumps(_ipycam_scenario()), flush=True)
        sys.exit(0)
    sys.exit(f"usage: {sys.argv[0]} ipycam")
