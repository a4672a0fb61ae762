"""GB/T 26875.3 link supervision: a UITD silent past the heartbeat timeout raises 传输链路故障."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from drivers.base import DeviceEvent, DriverContext, EventState, Priority
from drivers.fire.gb26875.frame import address_hex, address_int
from drivers.fire.gb26875.mapping import UITD_POINT

log = logging.getLogger("drivers.fire.gb26875")

LINK_FAULT = "fire.link_fault"


class LinkSupervisor:
    """Tracks when each UITD (by source address) was last heard and raises or clears its link fault.

    State changes only after the event is committed, so a failed ingest is simply tried again on the
    next tick or frame. ``on_change`` is called after each change (the driver recomputes its health).
    """

    def __init__(self, ctx: DriverContext, timeout: float, on_change: Callable[[], None]) -> None:
        self._ctx = ctx
        self.timeout = timeout
        self._on_change = on_change
        self._loop = asyncio.get_running_loop()
        self._last: dict[bytes, float] = {}
        self.faulted: dict[bytes, float] = {}  # address -> loop time the fault was raised
        self._busy: set[bytes] = set()  # an event for this address is being stored
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def tick(self) -> float:
        """How often to look: often enough that a fault is raised within ~20 % of the timeout."""
        return max(0.02, min(1.0, self.timeout / 5))

    def seen(self, address: bytes) -> None:
        self._last[address] = self._loop.time()
        if address in self.faulted and address not in self._busy:
            self._spawn(address, self._clear(address))

    def check(self) -> None:
        """Raise a fault for every UITD silent for longer than the timeout."""
        now = self._loop.time()
        for address, last in list(self._last.items()):
            if now - last > self.timeout and address not in self.faulted and address not in self._busy:
                self._spawn(address, self._raise(address, now - last))

    def _spawn(self, address: bytes, coro: Coroutine[Any, Any, None]) -> None:
        self._busy.add(address)
        task = self._loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _event(self, address: bytes, state: EventState, summary: str, silent: float) -> DeviceEvent:
        device = self._ctx.device
        return DeviceEvent(
            source=device.id, kind=LINK_FAULT, state=state, priority=Priority.FAULT, summary=summary,
            point=device.points.get(UITD_POINT, UITD_POINT),
            payload={"protocol": "gb26875", "uitd_address": address_hex(address),
                     "uitd": address_int(address), "condition": "link_fault", "silent_s": round(silent, 3),
                     "timeout_s": self.timeout},
        )

    async def _raise(self, address: bytes, silent: float) -> None:
        started = self._loop.time()
        uitd = address_int(address)
        summary = f"传输链路故障：用户信息传输装置 {uitd} 已 {silent:.0f} 秒无数据"
        try:
            await self._ctx.ingest(self._event(address, EventState.ACTIVE, summary, silent))
        except Exception:
            log.exception("storing the link fault of UITD %d failed; will retry", uitd)
            return
        finally:
            self._busy.discard(address)
        log.warning("UITD %d: no frame for %.1f s, link fault raised", uitd, silent)
        self.faulted[address] = started
        self._on_change()
        if self._last[address] > started:  # it spoke while the fault was being stored
            self._spawn(address, self._clear(address))

    async def _clear(self, address: bytes) -> None:
        uitd = address_int(address)
        silent = self._loop.time() - self.faulted[address]
        summary = f"传输链路恢复：用户信息传输装置 {uitd}"
        try:
            await self._ctx.ingest(self._event(address, EventState.CLEARED, summary, silent))
        except Exception:
            log.exception("storing the link restore of UITD %d failed; the next frame retries", uitd)
            return
        finally:
            self._busy.discard(address)
        log.info("UITD %d: frames resumed, link fault cleared", uitd)
        del self.faulted[address]
        self._on_change()

    async def watch(self) -> None:
        """Check until cancelled; then cancel any event still being stored."""
        try:
            while True:
                await asyncio.sleep(self.tick)
                self.check()
        finally:
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def describe(self) -> dict[str, Any]:
        now = self._loop.time()
        return {
            str(address_int(a)): {"silent_s": round(now - last, 3), "link_fault": a in self.faulted}
            for a, last in self._last.items()
        }
