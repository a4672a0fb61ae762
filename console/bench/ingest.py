"""Durable ingest throughput: group commit against one transaction per event, on the same store code."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
from collections import deque
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from console.async_bridge import LoopCompleter
from console.bench.stats import percentile
from console.services.accounts import Accounts
from console.services.alarm_center import AlarmCenter
from console.services.audit import AuditLog
from console.storage.store import Store
from drivers.base import DeviceEvent, EventState, Priority


def make_event(i: int, producer: int) -> DeviceEvent:
    """A gate pass most of the time and a fire-side alarm one time in a hundred, as at a busy site."""
    raw = f"bench {producer} {i}".encode()
    if i % 100 == 0:
        return DeviceEvent(
            source=f"panel-{producer}",
            kind="fire.fault",
            state=EventState.ACTIVE,
            priority=Priority.FAULT,
            summary="探测器 故障",
            point=f"p-{i % 50}",
            raw=raw,
            dedup_key=f"{producer}:{i}",
        )
    return DeviceEvent(
        source=f"gate-{producer}",
        kind="gate.pass",
        state=EventState.INFO,
        priority=Priority.INFO,
        summary="刷卡通行 进",
        point=f"door-{i % 8}",
        raw=raw,
        payload={"card": f"{1000000 + i}", "direction": "in"},
        dedup_key=f"{producer}:{i}",
    )


def run_load(store: Store, events: int, devices: int, window: int) -> dict[str, Any]:
    """``devices`` asyncio tasks on one loop thread — the driver host's shape — each keep ``window``
    events in flight and wait for the durable acknowledgement, as a protocol session does."""
    per_device = max(1, events // devices)
    latencies: list[float] = []
    completer: LoopCompleter

    async def device(n: int) -> None:
        pending: deque[tuple[float, asyncio.Future[Any]]] = deque()
        for i in range(per_device):
            if len(pending) >= window:
                sent, fut = pending.popleft()
                await fut
                latencies.append(time.perf_counter() - sent)
            event = make_event(i, n)
            pending.append((time.perf_counter(), completer.wrap(lambda event=event: store.ingest(event))))
        for sent, fut in pending:
            await fut
            latencies.append(time.perf_counter() - sent)

    async def main() -> float:
        nonlocal completer
        completer = LoopCompleter(asyncio.get_running_loop())
        store.add_batch_listener(completer.flush)
        start = time.perf_counter()
        await asyncio.gather(*(device(n) for n in range(devices)))
        return time.perf_counter() - start

    elapsed = asyncio.run(main())
    latencies.sort()
    total = per_device * devices
    return {
        "events": total,
        "seconds": elapsed,
        "events_per_s": total / elapsed,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
    }


def _fresh_store(root: Path, name: str, max_batch: int | None) -> Store:
    directory = root / name
    shutil.rmtree(directory, ignore_errors=True)
    store = Store(directory, **({"max_batch": max_batch} if max_batch else {}))
    store.open()
    AlarmCenter(store, Accounts(store, AuditLog(store)))  # the real ingest hook, as in the console
    return store


def bench_ingest(
    events: int, devices: int, window: int, reference_events: int | None, work_dir: Path | None
) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix="bench-ingest-", dir=work_dir))
    try:
        store = _fresh_store(root, "group", None)
        try:
            main = run_load(store, events, devices, window)
            commits = store.commits
        finally:
            store.close()
        ref_n = reference_events or max(devices, events // 20)
        ref_store = _fresh_store(root, "reference", 1)
        try:
            ref = run_load(ref_store, ref_n, devices, window)
        finally:
            ref_store.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return {
        "benchmark": "ingest",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "events": main["events"],
        "devices": devices,
        "window": window,
        "events_per_s": round(main["events_per_s"], 1),
        "p50_ms": round(main["p50_ms"], 3),
        "p99_ms": round(main["p99_ms"], 3),
        "commits": commits,
        "mean_batch": round(main["events"] / max(1, commits), 1),
        "reference": "same store and load, one transaction (and fsync) per event",
        "reference_events": ref["events"],
        "reference_events_per_s": round(ref["events_per_s"], 1),
        "reference_p99_ms": round(ref["p99_ms"], 3),
        "speedup": round(main["events_per_s"] / ref["events_per_s"], 1),
        "synchronous": "FULL",
        "cpu_count": os.cpu_count(),
        "work_dir": str(work_dir or tempfile.gettempdir()),
    }
