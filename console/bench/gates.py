"""Gate benchmark: durable events/s through the push listener and the alertStream; gate-log filter latency."""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from console.bench.stats import percentile_ms
from console.config import parse_site
from console.engine import Engine
from console.processes import stop_process
from console.services.credentials import CredentialStore
from console.storage.store import Store
from drivers.base import DeviceEvent

DEVICE = "gate-00"  # the alertStream device, and the first push device
CREDENTIAL = "hik-bench"
USER = "admin"
PASSWORD = "Hik12345demo"  # the simulator's published demo password; never a real device's
PUSH_FIRST_SERIAL = 1  # the flood numbers its serialNo from here
SIM_FIRST_SERIAL = 1000  # the simulator's first serialNo
TARGET_EVENTS_PER_S = 5000.0
TARGET_FILTER_P99_MS = 100.0

SITE_HEAD = """
[site]
name = "bench"
[[campuses]]
id = "c"
name = "C"
"""
GATE = """
[[gates]]
id = "{device}"
name = "Bench gate {device}"
campus = "c"
driver = "gates.hikvision_isapi"
credential = "{credential}"
settings = {{ {settings} }}
"""


def device_ids(count: int) -> list[str]:
    return [f"gate-{n:02d}" for n in range(count)]


def gate_site_text(settings: str, devices: int = 1) -> str:
    """A site of ``devices`` Hikvision ISAPI gates with these settings (TOML inline-table body)."""
    gates = (GATE.format(device=d, credential=CREDENTIAL, settings=settings) for d in device_ids(devices))
    return SITE_HEAD + "".join(gates)


class IngestTimer:
    """Wraps the driver host's ingest functions: the time from a driver's ``ctx.ingest`` (or
    ``ctx.ingest_many``, once per event it carries) to the durable commit."""

    def __init__(
        self,
        ingest: Callable[[DeviceEvent], Future[Any]],
        ingest_many: Callable[[list[DeviceEvent]], Future[Any]] | None,
    ) -> None:
        self._ingest = ingest
        self._ingest_many = ingest_many
        self.latencies: list[float] = []
        self.first_call: float | None = None
        self.last_commit: float | None = None

    def __call__(self, event: DeviceEvent) -> Future[Any]:
        return self._timed(self._ingest(event), self._start(), 1)

    def many(self, events: list[DeviceEvent]) -> Future[Any]:
        assert self._ingest_many is not None
        return self._timed(self._ingest_many(events), self._start(), len(events))

    def _start(self) -> float:
        start = time.perf_counter()
        if self.first_call is None:
            self.first_call = start
        return start

    def _timed(self, future: Future[Any], start: float, count: int) -> Future[Any]:
        future.add_done_callback(lambda _f: self._done(start, count))  # in the writer thread, after COMMIT
        return future

    def _done(self, start: float, count: int) -> None:
        self.last_commit = now = time.perf_counter()
        self.latencies.extend([now - start] * count)


def _parent_death_signal() -> Callable[[], None] | None:
    """A ``preexec_fn`` that has the kernel send SIGTERM to a child whose parent dies (Linux), so a
    simulator serving forever never outlives a benchmark that was killed. Resolved before any fork."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1

    def arm() -> None:
        prctl(pr_set_pdeathsig, int(signal.SIGTERM))

    return arm


_DIE_WITH_US = _parent_death_signal()


def _engine(root: Path, name: str, settings: str, max_batch: int | None,
            devices: int = 1) -> tuple[Engine, IngestTimer]:
    data = root / name
    credentials = CredentialStore(data, use_keyring=False, master_password="bench")
    credentials.set(CREDENTIAL, USER, PASSWORD)
    engine = Engine(parse_site(gate_site_text(settings, devices)), data, credentials=credentials,
                    store_max_batch=max_batch)
    timer = IngestTimer(engine.host.ingest, engine.host.ingest_many)
    engine.host.ingest = timer
    if engine.host.ingest_many is not None:  # back-fill pages (and any driver that batches) come this way
        engine.host.ingest_many = timer.many
    engine.start()
    return engine, timer


def _wait(probe: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := probe():
            return value
        time.sleep(0.01)
    raise RuntimeError(f"bench gates: {what} not reached within {timeout:g} s")


def count_rows(engine: Engine, devices: list[str], first_serial: int, expected: int) -> dict[str, int]:
    """Rows the device's events left in the store: lost = expected serialNos without a row, doubled = rows
    beyond one per serialNo (a retransmission stored twice); plus the gate-log index rows and the alarms
    the gate rules derived (e.g. a burst of denials), which are not device events."""
    conn = engine.store.reader()
    keys: list[str] = []
    derived = indexed = 0
    try:
        for device in devices:
            keys += [r[0] for r in conn.execute(_DEVICE_ROWS.replace("count(*)", "dedup_key"), (device,))]
            derived += conn.execute(
                "SELECT count(*) FROM events WHERE source = ? AND dedup_key NOT GLOB 'hik:*'", (device,)
            ).fetchone()[0]
            indexed += conn.execute(
                "SELECT count(*) FROM gate_events WHERE gate = ?", (device,)
            ).fetchone()[0]
    finally:
        conn.close()
    serials: list[int] = []
    for key in keys:
        match = re.fullmatch(r"hik:[^:]+:(\d+)", key)
        serials.append(int(match.group(1)) if match else -1)
    unique = set(serials)  # the flood numbers serialNo across all its devices, so one set covers them
    wanted = set(range(first_serial, first_serial + expected))
    return {
        "stored": len(keys),
        "indexed": int(indexed),
        "lost": len(wanted - unique),
        "doubled": len(keys) - len(unique),
        "unexpected": len(unique - wanted),
        "rule_alarms": int(derived),
    }


# Rows stored for the device's own events (their dedup key is the driver's hik:DEVICE:serialNo).
_DEVICE_ROWS = "SELECT count(*) FROM events WHERE source = ? AND dedup_key GLOB 'hik:*'"


# -- push -----------------------------------------------------------------------------------------------
def _push_settings() -> str:
    return 'mode = "push", listen_host = "127.0.0.1", listen_port = 0'


def _run_flood(
    port: int, events: int, devices: int, connections: int, replay_share: float, picture_share: float
) -> dict[str, Any]:
    """The devices in their own process (they must not share our GIL), posting with Digest auth."""
    cmd = [
        sys.executable, "-m", "console", "simulate", "hikvision-flood", "--port", str(port),
        "--path", "/push/gate-{n:02d}/", "--devices", str(devices), "--events", str(events),
        "--connections", str(connections),
        "--replay-share", str(replay_share), "--picture-share", str(picture_share),
        "--first-serial", str(PUSH_FIRST_SERIAL), "--user", USER, "--password-env", "HIK_FLOOD_PASSWORD",
    ]
    env = {**os.environ, "HIK_FLOOD_PASSWORD": PASSWORD}
    # Generous: at 50 events/s something is badly wrong, and a benchmark must end rather than hang.
    timeout = max(120.0, events / 50)
    with tempfile.TemporaryFile("w+", encoding="utf-8") as report:
        try:
            proc = subprocess.run(cmd, stdout=report, stdin=subprocess.DEVNULL, env=env, text=True,
                                  check=False, timeout=timeout, preexec_fn=_DIE_WITH_US)  # dies with us
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"hikvision flood did not finish within {timeout:g} s") from None
        report.seek(0)
        out = report.read()
    if proc.returncode not in (0, 1) or not out.strip():
        raise RuntimeError(f"hikvision flood failed ({proc.returncode}): {out[-500:]}")
    return json.loads(out)  # type: ignore[no-any-return]


def push_run(root: Path, name: str, events: int, devices: int, connections: int, replay_share: float,
             picture_share: float, max_batch: int | None) -> dict[str, Any]:
    """``devices`` push-mode gates on one shared listener, flooded by ``connections`` connections."""
    engine, timer = _engine(root, name, _push_settings(), max_batch, devices)
    try:
        drivers = [engine.host.slots[d].driver for d in device_ids(devices)]

        def ports() -> set[int] | None:
            found = {getattr(d, "push_port", None) for d in drivers}
            return None if None in found else found  # type: ignore[return-value]

        port = _wait(ports, 10, "the push routes").pop()
        store = engine.store
        before = (time.process_time(), store.busy_seconds, store.busy_cpu_seconds, store.commits)
        flood = _run_flood(port, events, devices, connections, replay_share, picture_share)
        load = cpu_budget(events + flood["replays"], before, store, flood["cpu_seconds"])
        counts = count_rows(engine, device_ids(devices), PUSH_FIRST_SERIAL, events)
    finally:
        engine.stop()
    http = flood["counts"]
    return {
        "events": events,
        "replays": flood["replays"],
        "devices": devices,
        "connections": flood["connections"],
        "picture_share": picture_share,
        "events_per_s": round(events / flood["seconds"], 1),
        "requests_per_s": round((events + flood["replays"]) / flood["seconds"], 1),
        "seconds": round(flood["seconds"], 3),
        "request_p50_ms": flood["request_p50_ms"],
        "request_p99_ms": flood["request_p99_ms"],
        "request_max_ms": flood["request_max_ms"],
        "ingest_p50_ms": percentile_ms(timer.latencies, 50),
        "ingest_p99_ms": percentile_ms(timer.latencies, 99),
        "answered_200": http.get("events_ok", 0) + http.get("replays_ok", 0),
        "http": {k: v for k, v in http.items() if k not in ("events_ok", "replays_ok")},
        "cpu": load,
        **counts,
    }


def cpu_budget(requests: int, before: tuple[float, float, float, int], store: Store,
               load_generator_cpu_s: float) -> dict[str, float]:
    """Where each request's CPU went, and the rate at which this much CPU a request fills every core.

    The console's own CPU (driver host, store writer and this thread, which only waits) and the store
    writer's share of it; the writer's wall time beside its CPU time shows how long it waited (for the
    disk's flush, or for the GIL the driver host held); the flood's CPU is counted because on this machine
    it shares the cores. ``ceiling_events_per_s`` = cores / (console + flood CPU a request)."""
    cpu0, busy0, busy_cpu0, commits0 = before
    per = 1e6 / max(1, requests)
    console_us = (time.process_time() - cpu0) * per
    flood_us = load_generator_cpu_s * per
    commits = max(1, store.commits - commits0)
    cores = os.cpu_count() or 1
    return {
        "console_us_per_event": round(console_us, 1),
        "writer_cpu_us_per_event": round((store.busy_cpu_seconds - busy_cpu0) * per, 1),
        "writer_wall_us_per_event": round((store.busy_seconds - busy0) * per, 1),
        "events_per_commit": round(requests / commits, 1),
        "load_generator_us_per_event": round(flood_us, 1),
        "ceiling_events_per_s": round(cores * 1e6 / (console_us + flood_us), 1),
    }


# -- alertStream ----------------------------------------------------------------------------------------
class _Simulator:
    """The Hikvision simulator in its own process, serving ``events`` at full speed once a stream opens."""

    def __init__(self, events: int, pictures: bool) -> None:
        cmd = [
            sys.executable, "-m", "console", "simulate", "hikvision", "--port", "0", "--rate", "0",
            "--count", str(events), "--seed", "3", "--start-on-stream", "--keepalive-s", "0.1",
            *([] if pictures else ["--no-pictures"]),
        ]
        env = {**os.environ, "HIK_SIM_PASSWORD": PASSWORD}
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env, text=True,
            preexec_fn=_DIE_WITH_US,  # dies with us
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # its banner names the port; it exits (EOF) if it cannot serve
        match = re.search(r"http://[^:]+:(\d+)", line)
        if match is None:
            self.close()
            raise RuntimeError(f"hikvision simulator did not start: {line!r}")
        self.port = int(match.group(1))

    def close(self) -> None:
        stop_process(self.proc, signal.SIGINT)


def alert_stream_run(root: Path, events: int, pictures: bool, timeout_s: float) -> dict[str, Any]:
    sim = _Simulator(events, pictures)
    try:
        # No back-fill: at full rate most of a small run falls in the second the stream opened, which an
        # AcsEvent search would fetch in pages of 30; this measures the stream alone.
        settings = (f'mode = "pull", host = "127.0.0.1", port = {sim.port}, username = "{USER}", '
                    "backfill = false, reconnect_min_s = 0.2, reconnect_max_s = 1.0")
        engine, timer = _engine(root, "alert-stream", settings, None)
        try:
            driver = engine.host.slots[DEVICE].driver
            stats: Any = getattr(driver, "stats", {})
            conn = engine.store.reader()
            started = time.monotonic()
            try:
                # Durable rows, not driver counters: a back-fill overlap counts twice there but not here.
                while (have := conn.execute(_DEVICE_ROWS, (DEVICE,)).fetchone()[0]) < events:
                    if time.monotonic() - started > timeout_s:
                        break  # the count below says what is missing
                    time.sleep(0.2)
            finally:
                conn.close()
            waited = {"waited_s": round(time.monotonic() - started, 1), "rows_seen": have}
            counts = count_rows(engine, [DEVICE], SIM_FIRST_SERIAL, events)
            driver_stats = {k: v for k, v in stats.items() if k != "bytes"}
            # The device goes first, so the driver is between connections when it is stopped: cancelling
            # a read inside asyncio.wait_for can be swallowed on Python 3.11 when data arrives at the same
            # moment (the keep-alives come every 0.1 s here), which left engine.stop() waiting.
            sim.close()
            up = getattr(driver, "stream_up", None)
            with contextlib.suppress(RuntimeError):
                _wait(lambda: up is None or not up.is_set(), 5, "the alertStream to close")
        finally:
            engine.stop()
    finally:
        sim.close()
    seconds = (timer.last_commit or 0.0) - (timer.first_call or 0.0) or float("nan")
    return {
        "events": events,
        "pictures": pictures,
        "events_per_s": round(events / seconds, 1),
        "seconds": round(seconds, 3),
        "ingest_p50_ms": percentile_ms(timer.latencies, 50),
        "ingest_p99_ms": percentile_ms(timer.latencies, 99),
        "driver": driver_stats,
        **waited,
        **counts,
    }


# -- all ------------------------------------------------------------------------------------------------
def bench_gates(events: int, devices: int, connections: int, replay_share: float, picture_share: float,
                reference_events: int | None, filter_rows: int, filter_queries: int,
                work_dir: Path | None = None, alert_timeout_s: float = 600.0,
                only: str | None = None) -> dict[str, Any]:
    """Push (``devices`` gates sharing the listener), push to one device (its own ceiling), alertStream,
    the one-transaction-per-event reference and the gate-log filter, in that order, on fresh stores.

    ``only="push"`` runs the shared-listener push flood alone: the phase to profile the listener with."""
    from console.bench.gates_filter import measure_filter_latency

    if only not in (None, "push"):
        raise ValueError(f"bench gates: unknown phase {only!r} (only 'push' can run alone)")
    load_before = os.getloadavg()
    small = reference_events or max(connections, events // 10)
    root = Path(tempfile.mkdtemp(prefix="bench-gates-", dir=work_dir))
    if only == "push":
        try:
            push = push_run(root, "push", events, devices, connections, replay_share, picture_share, None)
        finally:
            shutil.rmtree(root, ignore_errors=True)
        met = {"push_events_per_s": push["events_per_s"] >= TARGET_EVENTS_PER_S,
               "nothing_lost_or_doubled": push["lost"] == push["doubled"] == push["unexpected"] == 0}
        return {"benchmark": "gates", "only": "push", "push": push,
                "targets": {"events_per_s": TARGET_EVENTS_PER_S, "met": met}, "machine_cores": os.cpu_count(),
                "load_average_before": [round(x, 2) for x in load_before],
                "load_average_after": [round(x, 2) for x in os.getloadavg()]}
    try:
        push = push_run(root, "push", events, devices, connections, replay_share, picture_share, None)
        one = push_run(root, "push-one", small, 1, connections, replay_share, picture_share, None)
        alert = alert_stream_run(root, events, picture_share > 0, alert_timeout_s)
        ref = push_run(root, "reference", small, devices, connections, replay_share, picture_share, 1)
        flt = None
        if filter_rows:
            flt = measure_filter_latency(root / "filter", filter_rows, queries=filter_queries)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    result: dict[str, Any] = {
        "benchmark": "gates",
        "push": push,
        "push_one_device": one,
        "alert_stream": alert,
        "filter": flt,
        "reference": {
            "what": "the same push flood against one transaction (fsync) per event; the filter's reference "
                    "is like_scan_p50_ms in filter (a plain LIKE '%x%' scan)",
            "push": ref,
            "push_speedup": round(push["events_per_s"] / ref["events_per_s"], 1),
        },
    }
    met = {
        "push_events_per_s": push["events_per_s"] >= TARGET_EVENTS_PER_S,
        "alert_stream_events_per_s": alert["events_per_s"] >= TARGET_EVENTS_PER_S,
        "nothing_lost_or_doubled": all(
            r["lost"] == 0 and r["doubled"] == 0 and r["unexpected"] == 0 for r in (push, one, alert, ref)
        ),
    }
    if flt is not None:
        met["filter_p99_ms"] = flt["p99_ms"] <= TARGET_FILTER_P99_MS
        met["filter_matches_full_scan"] = not flt.get("mismatches")
    result["targets"] = {
        "events_per_s": TARGET_EVENTS_PER_S, "filter_p99_ms": TARGET_FILTER_P99_MS, "met": met
    }
    result["machine_cores"] = os.cpu_count()
    result["load_average_before"] = [round(x, 2) for x in load_before]
    result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    return result
