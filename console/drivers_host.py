"""The asyncio thread that runs every driver, supervises it and restarts it with backoff and jitter."""

from __future__ import annotations

import asyncio
import logging
import random
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from console.async_bridge import LoopCompleter
from drivers.base import DeviceEvent, DeviceInfo, Driver, HealthState

log = logging.getLogger(__name__)

# Three threads share the GIL: the GUI, this loop and the store's writer. With CPython's default 5 ms
# switch interval, a thread running Python (a board refresh, a model update, a batch of rows) keeps the
# ready loop waiting up to 5 ms at each hand-over, and one ACK needs several (read, queue, wake, send).
# 1 ms bounds that wait. Measured with the fire benchmark (console/bench/fire.py) on a 2-core machine
# shared with other jobs: 5 ms → 1 ms gave 2,033 → 2,255 frames/s and ACK p99 83 → 62 ms in a paired run;
# other pairs were within the machine's noise either way, and no run showed a loss from the switch.
SWITCH_INTERVAL_S = 0.001


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with jitter, so a site full of devices that failed together does not
    reconnect in lockstep."""

    initial: float = 1.0
    maximum: float = 60.0
    factor: float = 2.0
    jitter: float = 0.3  # ± fraction of the delay
    healthy_after: float = 60.0  # a run this long resets the attempt count

    def delay(self, attempt: int, rng: random.Random) -> float:
        base = min(self.maximum, self.initial * self.factor ** max(0, attempt - 1))
        return max(0.0, base * (1 + rng.uniform(-self.jitter, self.jitter)))


@dataclass
class DriverSlot:
    device: DeviceInfo
    driver: Driver
    attempts: int = 0
    restarts: int = 0
    last_error: str = ""


def _event_id(stored: Any) -> int:
    """The id of a stored event from the store's result (an IngestResult, or an id from a test store)."""
    return int(getattr(stored, "event_id", stored))


def _event_ids(stored: list[Any]) -> list[int]:
    return [_event_id(r) for r in stored]


class _Context:
    """The DriverContext handed to one driver."""

    def __init__(self, host: DriverHost, device: DeviceInfo) -> None:
        self.device = device
        self._host = host

    async def ingest(self, event: DeviceEvent) -> int:
        return await self._host.completer.wrap(lambda: self._host.ingest(event), _event_id)

    def ingest_many(self, events: list[DeviceEvent]) -> Awaitable[list[int]]:
        """Store several events (e.g. all those of one socket read) with one future and one loop
        wake-up; resolves after the commit that made all of them durable, with their ids in order.

        Submitted now, in the caller's order (not when a task gets round to it), and a plain future
        rather than a coroutine: a busy fire link calls this for every read."""
        many = self._host.ingest_many
        if many is None or not events:
            return asyncio.ensure_future(self._one_by_one(events))
        return self._host.completer.wrap(lambda: many(events), _event_ids)

    async def _one_by_one(self, events: list[DeviceEvent]) -> list[int]:
        return list(await asyncio.gather(*(self.ingest(e) for e in events)))

    def set_health(self, state: HealthState, reason: str = "", device_id: str | None = None) -> None:
        self._host.health(device_id or self.device.id, state, reason)

    def secret(self, name: str) -> str | None:
        return self._host.secret(name)

    async def save_file(self, category: str, data: bytes, suffix: str) -> str:
        if self._host.files is None:
            raise RuntimeError("this driver host stores no files")
        save = self._host.files
        # Writing a picture (with its fsync) must not stall every other device's session.
        return await asyncio.get_running_loop().run_in_executor(None, save, category, data, suffix)


class DriverHost:
    """Owns one event loop thread. ``ingest`` must be thread-safe and return a concurrent Future that
    resolves after the event is durable; ``health`` records device health."""

    def __init__(
        self,
        ingest: Callable[[DeviceEvent], Future[Any]],
        health: Callable[[str, HealthState, str], None],
        secret: Callable[[str], str | None] = lambda name: None,
        backoff: Backoff | None = None,
        seed: int | None = None,
        on_batch: Callable[[Callable[[], None]], None] | None = None,
        ingest_many: Callable[[list[DeviceEvent]], Future[list[Any]]] | None = None,
        files: Callable[[str, bytes, str], str] | None = None,
    ) -> None:
        """``on_batch`` registers a callback the store calls after each group commit (see
        ``Store.add_batch_listener``); without it completions are delivered one wake-up each.
        ``ingest_many`` stores a list with one future; by default the ``ingest_many`` of the object
        whose bound ``ingest`` was given (``Store``), else events are stored one future each."""
        self.ingest = ingest
        self.ingest_many = ingest_many or getattr(getattr(ingest, "__self__", None), "ingest_many", None)
        self._on_batch = on_batch
        self.completer: LoopCompleter
        self.health = health
        self.secret = secret
        self.files = files
        self.backoff = backoff or Backoff()
        self._rng = random.Random(seed)
        self._slots: dict[str, DriverSlot] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def add(self, device: DeviceInfo, driver: Driver) -> None:
        if self._thread is not None:
            raise RuntimeError("add drivers before the host starts")
        self._slots[device.id] = DriverSlot(device, driver)

    @property
    def slots(self) -> Mapping[str, DriverSlot]:
        return self._slots

    def start(self) -> None:
        if sys.getswitchinterval() > SWITCH_INTERVAL_S:
            sys.setswitchinterval(SWITCH_INTERVAL_S)
        self._thread = threading.Thread(target=self._run, name="driver-host", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("driver host did not start")

    def stop(self, timeout: float = 10.0) -> None:
        if self._loop is None or self._thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._cancel_all(), self._loop).result(timeout)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.error("driver host thread did not stop within %.1f s", timeout)
        self._thread = None

    def call(self, device_id: str, name: str, args: Mapping[str, Any] | None = None) -> Future[Any]:
        """Send an operator command to a driver from any thread."""
        if self._loop is None:
            raise RuntimeError("driver host is not running")
        slot = self._slots[device_id]
        return asyncio.run_coroutine_threadsafe(slot.driver.command(name, args or {}), self._loop)

    def run_in_loop(self, coro: Awaitable[Any]) -> Future[Any]:
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self._loop)  # type: ignore[arg-type]

    # -- loop thread --------------------------------------------------------------------------------
    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        self.completer = LoopCompleter(loop, flush_each=self._on_batch is None)
        if self._on_batch is not None:
            self._on_batch(self.completer.flush)
        for device_id, slot in self._slots.items():
            self._tasks[device_id] = loop.create_task(self._supervise(slot), name=f"driver:{device_id}")
        loop.call_soon(self._ready.set)
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
            self._loop = None

    async def _cancel_all(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    async def _supervise(self, slot: DriverSlot) -> None:
        ctx = _Context(self, slot.device)
        while True:
            started = time.monotonic()
            try:
                await slot.driver.run(ctx)
                reason = "session ended"
                log.info("driver for %s ended its session; restarting", slot.device.id)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                reason = f"{type(exc).__name__}: {exc}"
                log.exception("driver for %s failed", slot.device.id)
            if time.monotonic() - started >= self.backoff.healthy_after:
                slot.attempts = 0
            slot.attempts += 1
            slot.restarts += 1
            slot.last_error = reason
            delay = self.backoff.delay(slot.attempts, self._rng)
            self.health(
                slot.device.id, HealthState.DEGRADED, f"{reason}; restart {slot.attempts} in {delay:.1f} s"
            )
            await asyncio.sleep(delay)
