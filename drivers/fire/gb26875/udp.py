"""GB/T 26875.3 over UDP: one datagram carries whole frames; each peer address gets its own session."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, cast

from drivers.fire.gb26875.frame import FrameReader
from drivers.fire.gb26875.session import Session

if TYPE_CHECKING:
    from drivers.fire.gb26875.driver import GB26875Driver

log = logging.getLogger("drivers.fire.gb26875")

# Datagrams being handled at once. Beyond this a flood is dropped (and counted) rather than queued
# without bound; a UITD resends what we did not acknowledge.
MAX_IN_FLIGHT = 1024


class DatagramServer(asyncio.DatagramProtocol):
    def __init__(self, driver: GB26875Driver) -> None:
        self.driver = driver
        self.transport: asyncio.DatagramTransport | None = None
        self.peers: dict[tuple[str, int], Session] = {}
        self.in_flight = 0
        self.dropped = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        for session in self.peers.values():
            self.driver.end_session(session)
        self.peers.clear()

    def _session(self, addr: tuple[str, int]) -> Session | None:
        session = self.peers.get(addr)
        if session is not None:
            return session
        self._expire()
        peer = f"udp:{addr[0]}:{addr[1]}"
        reason = self.driver.refusal(addr[0], udp=True)
        if reason is not None:
            self.driver.refuse(peer, reason)
            return None
        transport = self.transport
        assert transport is not None
        session = Session(self.driver, peer, lambda data: transport.sendto(data, addr))
        self.peers[addr] = session
        self.driver.sessions.add(session)
        return session

    def _expire(self) -> None:
        """UDP has no close: a peer silent past the idle timeout is forgotten when others arrive."""
        now = asyncio.get_running_loop().time()
        for addr, session in list(self.peers.items()):
            if now - session.last_active > self.driver.settings.idle_timeout_s:
                del self.peers[addr]
                self.driver.end_session(session)

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        if self.in_flight >= MAX_IN_FLIGHT:
            self.dropped += 1
            log.warning("udp:%s:%s: %d datagrams in progress, dropped raw=%s", addr[0], addr[1],
                        self.in_flight, data.hex(" "))
            return
        session = self._session(addr)
        if session is None:
            return
        reader = FrameReader()
        items = reader.feed(data)
        if reader.pending or reader.discarded:
            log.warning("%s: %d stray bytes in datagram raw=%s", session.peer,
                        reader.pending + reader.discarded, data.hex(" "))
        if not items:
            return
        self.in_flight += 1
        task = asyncio.get_running_loop().create_task(session.handle(items))
        self.driver.track(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self.in_flight -= 1
        if not task.cancelled() and task.exception() is not None:
            log.error("handling a datagram failed", exc_info=task.exception())
