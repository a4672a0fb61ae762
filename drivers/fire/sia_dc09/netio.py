"""Socket helpers for the DC-09 receiver: UDP adapter, closing, hex dumps and a log rate limit."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any, cast

log = logging.getLogger("drivers.fire.sia_dc09.driver")


def hex_dump(raw: bytes, limit: int = 256) -> str:
    """Raw bytes for the log, cut at ``limit`` so one overlong line cannot bloat it."""
    text = raw[:limit].hex()
    return text if len(raw) <= limit else f"{text}…(+{len(raw) - limit} bytes)"


class RateLimitedLog:
    """At most ``burst`` warnings per cause per ``window_s``: a flood of bad input must not become a
    flood of log lines too. The number suppressed is reported when the window rolls over."""

    def __init__(self, burst: int = 20, window_s: float = 10.0) -> None:
        self.burst = burst
        self.window_s = window_s
        self._budget: dict[str, tuple[float, int]] = {}

    def warning(self, cause: str, fmt: str, *args: Any) -> None:
        now = time.monotonic()
        start, used = self._budget.get(cause, (now, 0))
        if now - start > self.window_s:
            if used > self.burst:
                log.warning("SIA DC-09: %d more %s warnings were suppressed", used - self.burst, cause)
            start, used = now, 0
        self._budget[cause] = (start, used + 1)
        if used < self.burst:
            log.warning(fmt, *args)


class UdpEndpoint(asyncio.DatagramProtocol):
    """Hands each datagram, with its sender and the transport to answer on, to ``on_datagram``."""

    def __init__(self, on_datagram: Callable[[bytes, Any, asyncio.DatagramTransport], None]) -> None:
        self._on_datagram = on_datagram
        self._transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # Not isinstance-checked: CPython 3.11's selector datagram transport does not subclass it.
        self._transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: Any) -> None:
        if self._transport is not None:
            self._on_datagram(data, addr, self._transport)

    def error_received(self, exc: Exception) -> None:
        log.info("SIA DC-09 UDP error: %s", exc)


async def close_writer(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(Exception):  # the peer may already have reset the connection
        await writer.wait_closed()


async def cancel_all(tasks: set[asyncio.Task[Any]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
