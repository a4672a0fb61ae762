"""The driver host: events flow through ingest, failing drivers are marked degraded and restarted."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from console.drivers_host import Backoff, DriverHost
from console.storage.store import Store
from drivers.base import DeviceEvent, DeviceInfo, EventState, HealthState, Priority


class Flaky:
    """Sends one event, then fails; the host must restart it."""

    def __init__(self) -> None:
        self.runs = 0

    async def run(self, ctx: Any) -> None:
        self.runs += 1
        ctx.set_health(HealthState.ONLINE, "up")
        await ctx.ingest(
            DeviceEvent(
                source=ctx.device.id,
                kind="x.test",
                state=EventState.INFO,
                priority=Priority.INFO,
                summary=f"run {self.runs}",
            )
        )
        raise ConnectionError("device went away")

    async def command(self, name: str, args: Mapping[str, Any]) -> Any:
        return {"echo": name, "runs": self.runs}


class Steady:
    async def run(self, ctx: Any) -> None:
        ctx.set_health(HealthState.ONLINE, "")
        await asyncio.Event().wait()

    async def command(self, name: str, args: Mapping[str, Any]) -> Any:
        raise ValueError("no such command")


def test_backoff_grows_with_jitter_and_caps() -> None:
    b = Backoff(initial=1, maximum=30, factor=2, jitter=0.2)
    rng = random.Random(1)
    delays = [b.delay(n, rng) for n in range(1, 10)]
    assert 0.8 <= delays[0] <= 1.2 and 1.6 <= delays[1] <= 2.4
    assert all(d <= 36 for d in delays) and delays[-1] >= 24
    assert len({round(b.delay(3, rng), 6) for _ in range(5)}) > 1, "jitter spreads restarts"


@pytest.mark.allow_error_logs
def test_failing_driver_is_degraded_restarted_and_others_unaffected(data_dir: Path) -> None:
    health: list[tuple[str, HealthState, str]] = []
    with Store(data_dir) as store:
        host = DriverHost(
            store.ingest,
            lambda d, s, r: health.append((d, s, r)),
            backoff=Backoff(initial=0.05, maximum=0.2),
            on_batch=store.add_batch_listener,
            seed=3,
        )
        flaky, steady = Flaky(), Steady()
        host.add(DeviceInfo("flaky", "Flaky", "gate"), flaky)
        host.add(DeviceInfo("steady", "Steady", "panel"), steady)
        host.start()
        try:
            deadline = time.monotonic() + 5
            while flaky.runs < 3 and time.monotonic() < deadline:
                time.sleep(0.02)
            assert host.call("flaky", "status").result(5)["runs"] >= 3
        finally:
            host.stop()
        conn = store.reader()
        assert conn.execute("SELECT count(*) FROM events WHERE source = 'flaky'").fetchone()[0] >= 3
        conn.close()
    degraded = [r for d, s, r in health if d == "flaky" and s is HealthState.DEGRADED]
    assert degraded and "ConnectionError: device went away" in degraded[0] and "restart 1 in" in degraded[0]
    assert ("steady", HealthState.ONLINE, "") in health
    assert host.slots["flaky"].restarts >= 2 and host.slots["steady"].restarts == 0
