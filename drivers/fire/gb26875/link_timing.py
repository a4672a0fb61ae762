"""Timing guards of one TCP link: a read deadline that moves cheaply, and back-pressure on our answers."""

from __future__ import annotations

import asyncio
import logging
import math

log = logging.getLogger("drivers.fire.gb26875")


class MovingDeadline:
    """Expires an ``asyncio.timeout`` block when ``at`` (loop time) passes; ``at`` may change at any time.

    ``asyncio.timeout_at`` around every read builds and cancels a timer handle per read, which on a link
    sending thousands of frames a second is a cost in the thread every driver shares. Here a deadline
    that moves later is an attribute write: the one timer, when it fires, re-arms itself for the current
    deadline and expires the block only when that has really passed. Only a deadline moved earlier than
    the armed timer (a frame started: its own shorter deadline) re-arms at once.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, at: float = math.inf) -> None:
        self._at = at
        self._loop = loop
        self._timeout: asyncio.Timeout | None = None
        self._handle: asyncio.TimerHandle | None = None
        self._armed_for = math.inf

    @property
    def at(self) -> float:
        return self._at

    @at.setter
    def at(self, when: float) -> None:
        self._at = when
        if when < self._armed_for and self._timeout is not None:
            self.cancel()
            self._schedule()

    def arm(self, timeout: asyncio.Timeout) -> None:
        """Watch ``timeout`` (entered with ``asyncio.timeout(None)``), from now on."""
        self._timeout = timeout
        self._schedule()

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self._armed_for = math.inf

    def _schedule(self) -> None:
        # With no deadline (an answer being committed) the timer looks again in a second.
        self._armed_for = self._at if self._at < math.inf else self._loop.time() + 1.0
        self._handle = self._loop.call_at(self._armed_for, self._check)

    def _check(self) -> None:
        self._handle, self._armed_for = None, math.inf
        if self._timeout is None or self._timeout.expired():
            return
        if self._loop.time() >= self._at:
            self._timeout.reschedule(self._loop.time())  # expires now: the block raises TimeoutError
        else:
            self._schedule()


def backed_up(writer: asyncio.StreamWriter) -> bool:
    """True when our answers fill the send buffer up to its high-water mark (drain would wait)."""
    transport = writer.transport
    _low, high = transport.get_write_buffer_limits()
    return transport.is_closing() or transport.get_write_buffer_size() >= high


async def drained(writer: asyncio.StreamWriter, peer: str, limit_s: float) -> bool:
    """Wait until the peer takes our answers; False (logged) if it has not within ``limit_s``."""
    try:
        async with asyncio.timeout(limit_s):
            await writer.drain()
    except TimeoutError:  # a vanished peer would otherwise hold the slot until TCP gives up
        log.warning("%s: answers not taken for %g s, closing", peer, limit_s)
        return False
    return True
