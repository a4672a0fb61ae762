"""ONVIF benchmark: PTZ key press → camera through the pad, PullPoint event → durable commit, probe time.

The camera is the ONVIF test device in a process of its own (``simulate onvif-camera``) that logs, per
request and per raised event, ``time.monotonic()``: CLOCK_MONOTONIC is one clock for every process of the
machine, so device-side and console-side times subtract without any clock sync. References in the same run:
the same ContinuousMove envelope POSTed by a bare aiohttp client (no zeep, no service, no Qt), and the same
events pulled by a bare aiohttp PullMessages loop with no zeep and no store.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from console.bench.stall_probe import StallProbe
from console.bench.stats import percentile_ms
from console.processes import stop_process

USER, PASSWORD = "admin", "bench-secret-1"
CAMERA = "cam-bench"
MASTER = "bench master password"
PROFILE = "main"  # the test device's PTZ profile (the pad finds it by probing; the reference names it)
HOLD_S = 0.03  # how long each key stays down once the camera has the move
WAIT_S = 20.0  # longest wait for any one step before the run is declared failed

SITE = """
[site]
name = "bench"
[[campuses]]
id = "c"
name = "C"
[[cameras]]
id = "{camera}"
name = "Bench PTZ"
campus = "c"
credential = "onvif-bench"
ptz = true
[cameras.onvif]
host = "127.0.0.1"
port = {port}
"""


def _ms(values: list[float], q: float) -> float | None:
    return percentile_ms(values, q) if values else None


def _stall(values: list[float]) -> dict[str, float | None]:
    return {"p50": _ms(values, 50), "p99": _ms(values, 99), "max": _ms(values, 100)}


# -- the camera process ----------------------------------------------------------------------------------
class DeviceProcess:
    """``campus-console simulate onvif-camera`` in its own process, with its request log read as it grows."""

    def __init__(self, log_path: Path, extra: list[str] | None = None) -> None:
        self.log_path = log_path
        log_path.touch()
        cmd = [sys.executable, "-m", "console", "simulate", "onvif-camera", "--port", "0", "--user", USER,
               "--password", PASSWORD, "--log-requests", str(log_path), *(extra or [])]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # the device prints its port once it listens
        if not line:
            self.stop()
            raise RuntimeError(f"the ONVIF test device did not start (exit {self.proc.poll()})")
        self.port = int(json.loads(line)["port"])
        self.records: list[dict[str, Any]] = []
        self._file = open(log_path, encoding="utf-8")  # noqa: SIM115 - closed in stop()
        self._partial = ""

    def poll(self) -> list[dict[str, Any]]:
        """Every record so far (the log is read incrementally; a half-written line waits for its end)."""
        chunk = self._file.read()
        if chunk:
            lines = (self._partial + chunk).split("\n")
            self._partial = lines.pop()
            self.records.extend(json.loads(line) for line in lines if line)
        return self.records

    def ops(self, op: str) -> list[float]:
        return [r["t"] for r in self.poll() if r.get("op") == op]

    def stop(self) -> None:
        stop_process(self.proc)
        if hasattr(self, "_file"):
            self._file.close()

    def __enter__(self) -> DeviceProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _wait(condition: Callable[[], bool], what: str, pump: Callable[[], None] | None = None,
          timeout: float = WAIT_S, every: float = 0.001) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        if pump is not None:
            pump()  # the GUI thread keeps running its event loop while we wait
        time.sleep(every)


# -- probe -----------------------------------------------------------------------------------------------
def bench_probe(port: int, runs: int) -> dict[str, Any]:
    """The first probe of the process loads zeep's WSDLs (cold); later ones handshake again on a fresh
    session (warm); the cached-session figure is what the PTZ pad's profile lookup costs."""
    from drivers.base import load_tool

    tool = load_tool("onvif")

    async def run() -> tuple[list[float], list[float]]:
        fresh, cached = [], []
        try:
            for _ in range(max(2, runs)):
                start = time.perf_counter()
                await tool.probe("127.0.0.1", port, USER, PASSWORD)
                fresh.append(time.perf_counter() - start)
                await tool.close_all()
            await tool.probe("127.0.0.1", port, USER, PASSWORD)
            for _ in range(max(1, runs)):
                start = time.perf_counter()
                await tool.probe("127.0.0.1", port, USER, PASSWORD)
                cached.append(time.perf_counter() - start)
        finally:
            await tool.close_all()
        return fresh, cached

    fresh, cached = asyncio.run(run())
    return {"cold_ms": round(fresh[0] * 1000, 3), "warm_p50_ms": _ms(fresh[1:], 50),
            "warm_runs": len(fresh) - 1, "cached_session_p50_ms": _ms(cached, 50)}


# -- PTZ through the pad -----------------------------------------------------------------------------
def _engine(root: Path, port: int) -> Any:
    from console.config import parse_site
    from console.engine import Engine
    from console.services.credentials import CredentialStore

    (root / "data").mkdir(parents=True, exist_ok=True)
    credentials = CredentialStore(root / "data", use_keyring=False, master_password=MASTER)
    credentials.set("onvif-bench", USER, PASSWORD)
    engine = Engine(parse_site(SITE.format(camera=CAMERA, port=port)), root / "data", credentials=credentials)
    engine.start()
    return engine


@contextlib.contextmanager
def _pad(root: Path, port: int) -> Iterator[tuple[Any, Any]]:
    """An engine, the ONVIF façade and a PTZ pad (offscreen) for the camera on ``port``, ready to steer."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from console.services.onvif_cameras import OnvifCameras
    from drivers.base import load_tool
    from widgets.ptz_pad import PtzPad

    app = QApplication.instance() or QApplication([])
    engine = _engine(root, port)
    onvif = None
    pad = None
    try:
        engine.accounts.create_first_admin("bench", "Bench", "bench-password")
        session = engine.accounts.login("bench", "bench-password")
        onvif = OnvifCameras(engine.site, engine.accounts, engine.audit, engine.devices,
                             engine.host.run_in_loop, lambda: load_tool("onvif"), engine.credentials)
        pad = PtzPad(onvif, lambda: session, CAMERA, "Bench PTZ")
        pad.resize(300, 520)
        pad.show()  # the first showing reads the presets and the camera clock (the profile is found then)
        pad.setFocus()
        _wait(lambda: pad.presets.loaded >= 1 and pad.clock is not None, "the pad's presets and clock",
              app.processEvents)
        yield app, pad
    finally:
        if pad is not None:
            pad.shutdown()
            pad.close()
            pad.deleteLater()
            app.processEvents()
        if onvif is not None:
            onvif.close()
        engine.stop()


class _Keys:
    """Key presses and releases sent to the pad, timing the GUI thread's time inside its handlers."""

    def __init__(self, pad: Any) -> None:
        self.pad = pad
        self.handler: list[float] = []

    def send(self, press: bool, right: bool) -> float:
        from PySide6.QtCore import QEvent, Qt
        from PySide6.QtGui import QKeyEvent
        from PySide6.QtWidgets import QApplication

        kind = QEvent.Type.KeyPress if press else QEvent.Type.KeyRelease
        code = Qt.Key.Key_Right if right else Qt.Key.Key_Left
        start = time.monotonic()
        QApplication.sendEvent(self.pad, QKeyEvent(kind, code, Qt.KeyboardModifier.NoModifier, "", False))
        self.handler.append(time.monotonic() - start)
        return start


def bench_ptz(root: Path, device: DeviceProcess, moves: int) -> dict[str, Any]:
    """Hold-and-release cycles on the PTZ pad (offscreen), key press → the camera has the ContinuousMove."""
    with _pad(root, device.port) as (app, pad):
        keys = _Keys(pad)

        def cycle(index: int) -> float:
            right = index % 2 == 0
            before_moves, before_stops = len(device.ops("ContinuousMove")), len(device.ops("Stop"))
            pressed = keys.send(True, right)
            _wait(lambda: len(device.ops("ContinuousMove")) > before_moves, "ContinuousMove",
                  app.processEvents)
            received = device.ops("ContinuousMove")[before_moves]
            hold_until = time.monotonic() + HOLD_S
            _wait(lambda: time.monotonic() >= hold_until, "the hold", app.processEvents)
            keys.send(False, right)
            _wait(lambda: len(device.ops("Stop")) > before_stops, "Stop", app.processEvents)
            return received - pressed

        cycle(0)  # warm-up: the first move's session and service objects are not what an officer feels
        keys.handler.clear()
        before_moves, before_stops = len(device.ops("ContinuousMove")), len(device.ops("Stop"))
        probe = StallProbe()
        probe.start()
        latencies = [cycle(i) for i in range(moves)]
        stall = probe.stop()
        return {
            "moves": moves,
            "press_to_device_p50_ms": _ms(latencies, 50),
            "press_to_device_p99_ms": _ms(latencies, 99),
            "press_to_device_max_ms": _ms(latencies, 100),
            # Wall time the GUI thread spends inside the pad's press/release handlers.
            "key_handler_p50_ms": _ms(keys.handler, 50),
            "key_handler_p99_ms": _ms(keys.handler, 99),
            "gui_stall_ms": stall,
            "device_moves": len(device.ops("ContinuousMove")) - before_moves,
            "device_stops": len(device.ops("Stop")) - before_stops,
        }


def bench_ptz_unresponsive(root: Path, log_dir: Path, presses: int) -> dict[str, Any]:
    """The same pad against a camera that takes every ContinuousMove and Stop and never answers: the
    officer keeps pressing; the GUI thread must not notice."""
    hang = ["--fault", "ContinuousMove=hang", "--fault", "Stop=hang"]
    with DeviceProcess(log_dir / "ptz-hang.log", hang) as device, _pad(root, device.port) as (app, pad):
        keys = _Keys(pad)
        probe = StallProbe()
        probe.start()
        for index in range(presses):
            for press in (True, False):
                keys.send(press, index % 2 == 0)
                until = time.monotonic() + HOLD_S
                _wait(lambda: time.monotonic() >= until, "the hold", app.processEvents)  # noqa: B023
        stall = probe.stop()
        received = len(device.ops("ContinuousMove"))
        device.stop()  # the hung requests end: what is queued behind them fails fast before the teardown
        until = time.monotonic() + 0.5
        _wait(lambda: time.monotonic() >= until, "the queued commands to fail", app.processEvents)
    return {"presses": presses, "moves_received": received, "key_handler_max_ms": _ms(keys.handler, 100),
            "gui_stall_ms": stall}


# -- the bare-client reference -----------------------------------------------------------------------------
_WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
_WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
_TOKEN_PROFILE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"


def _security_header() -> str:
    """A WS-UsernameToken with a password digest, as zeep builds it."""
    nonce = os.urandom(16)
    created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    digest = base64.b64encode(hashlib.sha1(nonce + created.encode() + PASSWORD.encode()).digest()).decode()
    return (f'<wsse:Security xmlns:wsse="{_WSSE}" xmlns:wsu="{_WSU}"><wsse:UsernameToken>'
            f"<wsse:Username>{USER}</wsse:Username>"
            f'<wsse:Password Type="{_TOKEN_PROFILE}#PasswordDigest">{digest}</wsse:Password>'
            f'<wsse:Nonce EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-'
            f'security-1.0#Base64Binary">{base64.b64encode(nonce).decode()}</wsse:Nonce>'
            f"<wsu:Created>{created}</wsu:Created></wsse:UsernameToken></wsse:Security>")


def soap_envelope(body: str) -> bytes:
    return ('<?xml version="1.0" encoding="utf-8"?><soap-env:Envelope '
            'xmlns:soap-env="http://www.w3.org/2003/05/soap-envelope">'
            f"<soap-env:Header>{_security_header()}</soap-env:Header><soap-env:Body>{body}</soap-env:Body>"
            "</soap-env:Envelope>").encode()


_PTZ = 'xmlns:ns0="http://www.onvif.org/ver20/ptz/wsdl" xmlns:ns1="http://www.onvif.org/ver10/schema"'


def continuous_move_body(pan: float) -> str:
    return (f"<ns0:ContinuousMove {_PTZ}><ns0:ProfileToken>{PROFILE}</ns0:ProfileToken><ns0:Velocity>"
            f'<ns1:PanTilt x="{pan}" y="0.0"/><ns1:Zoom x="0.0"/></ns0:Velocity></ns0:ContinuousMove>')


def stop_body() -> str:
    return (f"<ns0:Stop {_PTZ}><ns0:ProfileToken>{PROFILE}</ns0:ProfileToken><ns0:PanTilt>true</ns0:PanTilt>"
            "<ns0:Zoom>true</ns0:Zoom></ns0:Stop>")


def soap_headers(action: str) -> dict[str, str]:
    return {"Content-Type": f'application/soap+xml; charset=utf-8; action="{action}"'}


def bench_reference_ptz(device: DeviceProcess, moves: int) -> dict[str, Any]:
    """The same hold-and-release cycles with a bare aiohttp client: what HTTP and the camera cost alone."""
    import aiohttp

    url = f"http://127.0.0.1:{device.port}/onvif/ptz_service"
    action = "http://www.onvif.org/ver20/ptz/wsdl/"

    async def run() -> list[float]:
        sent: list[float] = []
        before = len(device.ops("ContinuousMove"))
        async with aiohttp.ClientSession() as http:
            for index in range(moves + 1):  # the first cycle opens the connection: a warm-up, as for the pad
                pan = 0.5 if index % 2 == 0 else -0.5
                data = soap_envelope(continuous_move_body(pan))
                headers = soap_headers(action + "ContinuousMove")
                start = time.monotonic()
                async with http.post(url, data=data, headers=headers) as reply:
                    await reply.read()
                    if reply.status != 200:
                        raise RuntimeError(f"reference ContinuousMove: HTTP {reply.status}")
                sent.append(start)
                await asyncio.sleep(HOLD_S)
                stop = soap_envelope(stop_body())
                async with http.post(url, data=stop, headers=soap_headers(action + "Stop")) as reply:
                    await reply.read()
        received = device.ops("ContinuousMove")[before:]
        if len(received) != len(sent):
            raise RuntimeError(f"reference: {len(sent)} moves sent, {len(received)} received")
        return [r - s for r, s in zip(received[1:], sent[1:], strict=True)]

    latencies = asyncio.run(run())
    return {"what": "the same ContinuousMove envelope POSTed by a bare aiohttp client (no zeep, service, Qt)",
            "moves": moves, "send_to_device_p50_ms": _ms(latencies, 50),
            "send_to_device_p99_ms": _ms(latencies, 99)}


# -- events ----------------------------------------------------------------------------------------------
def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


_RAISED_KIND = {"motion": "camera.motion", "tamper": "camera.tamper"}


def _raised(device: DeviceProcess) -> dict[tuple[str, bool, str], float]:
    return {(_RAISED_KIND[r["raise"]], bool(r["active"]), r["utc"]): r["t"]
            for r in device.poll() if "raise" in r}


def _raise_args(count: int, rate: float, millis: bool = True) -> list[str]:
    return ["--raise-every", f"{1 / rate:.6f}", "--raise-count", str(count),
            *(["--millisecond-times"] if millis else [])]


def bench_events(root: Path, log_dir: Path, count: int, rate: float) -> dict[str, Any]:
    """The cameras.onvif driver in a real Store + DriverHost: the device raises ``count`` changes at
    ``rate``/s once subscribed; each is matched to its EventStored (published after the commit)."""
    from console.domain.events import EventState
    from console.domain.messages import EventStored

    with DeviceProcess(log_dir / "events.log", _raise_args(count, rate)) as device:
        engine = _engine(root, device.port)
        try:
            committed: dict[tuple[str, bool, str], float] = {}
            duplicates = [0]

            def on_stored(message: EventStored) -> None:
                now = time.monotonic()  # the writer thread, right after the commit
                event = message.event
                if event.source != CAMERA or event.device_time is None:
                    return
                key = (event.kind, event.state is EventState.ACTIVE, _stamp(event.device_time))
                if key in committed:
                    duplicates[0] += 1
                committed.setdefault(key, now)

            unsubscribe = engine.bus.subscribe(EventStored, on_stored)
            _wait(lambda: len(_raised(device)) >= count, "the device to raise its events",
                  timeout=WAIT_S + count / rate, every=0.05)
            raised = _raised(device)
            # Everything raised is committed within a pull or two; wait that long before calling any lost.
            with contextlib.suppress(RuntimeError):
                _wait(lambda: all(k in committed for k in raised), "the last commits", timeout=5.0,
                      every=0.05)
            unsubscribe()
            driver = engine.host.slots[CAMERA].driver
            stats = dict(getattr(driver, "stats", {}))
        finally:
            engine.stop()
    latencies = [committed[k] - t for k, t in raised.items() if k in committed]
    return {
        "raised": len(raised),
        "rate_per_s": rate,
        "stored": len(latencies),
        "lost": len(raised) - len(latencies),
        "stored_twice": duplicates[0],
        "raise_to_commit_p50_ms": _ms(latencies, 50),
        "raise_to_commit_p99_ms": _ms(latencies, 99),
        "raise_to_commit_max_ms": _ms(latencies, 100),
        "resubscribes": max(0, int(stats.get("subscriptions", 0)) - 1),
        "pulls": int(stats.get("pulls", 0)),
        "driver_errors": {k: v for k, v in stats.items() if k.startswith("error.")},
    }


def bench_events_whole_seconds(root: Path, log_dir: Path, count: int, rate: float) -> dict[str, Any]:
    """The same run with whole-second UtcTime, as many cameras send it: how many changes are stored."""
    from console.domain.messages import EventStored

    with DeviceProcess(log_dir / "events-seconds.log", _raise_args(count, rate, millis=False)) as device:
        engine = _engine(root, device.port)
        try:
            stored = [0]

            def on_stored(message: EventStored) -> None:
                if message.event.source == CAMERA:
                    stored[0] += 1

            unsubscribe = engine.bus.subscribe(EventStored, on_stored)
            _wait(lambda: len(_raised(device)) >= count, "the device to raise its events",
                  timeout=WAIT_S + count / rate, every=0.05)
            # Matching is impossible without sub-second stamps: wait until the count holds still for 1 s.
            seen, still_since = -1, time.monotonic()
            while time.monotonic() - still_since < 1.0:
                if stored[0] != seen:
                    seen, still_since = stored[0], time.monotonic()
                time.sleep(0.05)
            unsubscribe()
            ingested = int(getattr(engine.host.slots[CAMERA].driver, "stats", {}).get("events", 0))
            raised = sum(1 for r in device.poll() if "raise" in r)
        finally:
            engine.stop()
    return {"raised": raised, "ingested": ingested, "stored": stored[0], "lost": raised - stored[0]}


def bench_reference_events(log_dir: Path, count: int, rate: float) -> dict[str, Any]:
    """The same raised events pulled by a bare aiohttp PullMessages loop, parsed with lxml, not stored."""
    import aiohttp
    from lxml import etree

    events_action = "http://www.onvif.org/ver10/events/wsdl/"
    tev = 'xmlns:tev="http://www.onvif.org/ver10/events/wsdl"'
    with DeviceProcess(log_dir / "events-reference.log", _raise_args(count, rate)) as device:

        async def run() -> dict[tuple[str, bool, str], float]:
            seen: dict[tuple[str, bool, str], float] = {}
            base = f"http://127.0.0.1:{device.port}"
            async with aiohttp.ClientSession() as http:
                create = soap_envelope(
                    f"<tev:CreatePullPointSubscription {tev}><tev:InitialTerminationTime>PT60S"
                    "</tev:InitialTerminationTime></tev:CreatePullPointSubscription>")
                create_headers = soap_headers(events_action + "CreatePullPointSubscription")
                async with http.post(f"{base}/onvif/events_service", data=create,
                                     headers=create_headers) as reply:
                    doc = etree.fromstring(await reply.read())
                address = doc.findtext(".//{http://www.w3.org/2005/08/addressing}Address")
                if not address:
                    raise RuntimeError("reference: no subscription address")
                deadline = time.monotonic() + WAIT_S + count / rate
                while len(seen) < count and time.monotonic() < deadline:
                    pull = soap_envelope(f"<tev:PullMessages {tev}><tev:Timeout>PT5S</tev:Timeout>"
                                         "<tev:MessageLimit>100</tev:MessageLimit></tev:PullMessages>")
                    pull_headers = soap_headers(events_action + "PullPointSubscription/PullMessagesRequest")
                    async with http.post(address, data=pull, headers=pull_headers) as reply:
                        body = await reply.read()
                    now = time.monotonic()
                    for message in etree.fromstring(body).iter("{http://www.onvif.org/ver10/schema}Message"):
                        items = {i.get("Name"): i.get("Value") for i in message.iter(
                            "{http://www.onvif.org/ver10/schema}SimpleItem")}
                        kind = "camera.motion" if "IsMotion" in items else "camera.tamper"
                        value = (items.get("IsMotion") or items.get("IsTamper")) == "true"
                        stamp = str(message.get("UtcTime"))
                        seen.setdefault((kind, value, stamp), now)
            return seen

        seen = asyncio.run(run())
        raised = _raised(device)
    latencies = [seen[k] - t for k, t in raised.items() if k in seen]
    return {"what": "the same events pulled by a bare aiohttp PullMessages loop (no zeep, no store)",
            "raised": len(raised), "received": len(latencies),
            "raise_to_receive_p50_ms": _ms(latencies, 50), "raise_to_receive_p99_ms": _ms(latencies, 99)}


# -- the whole benchmark -----------------------------------------------------------------------------------
def bench_onvif(moves: int, events: int, event_rate: float, probes: int) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix="bench-onvif-"))
    try:
        with DeviceProcess(root / "ptz.log") as device:
            probe = bench_probe(device.port, probes)  # first: nothing in this process has loaded zeep yet
            ptz = bench_ptz(root / "ptz", device, moves)
            reference_ptz = bench_reference_ptz(device, moves)
        ptz["unresponsive_camera"] = bench_ptz_unresponsive(root / "ptz-hang", root, max(3, moves // 5))
        events_result = bench_events(root / "events", root, events, event_rate)
        events_result["whole_second_stamps"] = bench_events_whole_seconds(
            root / "events-seconds", root, events, event_rate)
        reference_events = bench_reference_events(root, events, event_rate)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return {
        "benchmark": "onvif",
        "ptz": ptz,
        "events": events_result,
        "probe": probe,
        "reference": {"ptz": reference_ptz, "events": reference_events},
        "machine_cores": os.cpu_count(),
    }
