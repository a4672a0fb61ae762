"""GB/T 26875.3 session with one UITD link: ACK only after commit, NAK bad frames, match our requests."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from drivers.base import DeviceEvent, DriverContext, EventState, Priority, utc_now
from drivers.fire.gb26875.adu import AduError, DecodedAdu, UitdOperation, UnknownAdu, decode_adu
from drivers.fire.gb26875.frame import (
    Command,
    Frame,
    FrameError,
    ack_for,
    address_hex,
    address_int,
    encode_frame,
    nak_for,
)
from drivers.fire.gb26875.mapping import CHINA_TZ, UITD_POINT, map_decoded
from drivers.fire.gb26875.tables import UitdOperationFlags

log = logging.getLogger("drivers.fire.gb26875")

_ANSWERS = (Command.ACK, Command.RESPONSE, Command.NAK)


class CommandError(RuntimeError):
    """An operator command could not be carried out; the message says why."""


class NoUitdConnected(CommandError):
    pass


class CommandTimeout(CommandError):
    pass


class CommandRejected(CommandError):
    pass


def local_now() -> datetime:
    """Our clock as the site's wall clock: time tags carry no zone and Chinese sites run on UTC+8."""
    return datetime.now(CHINA_TZ)


class Owner(Protocol):
    """What a session needs from the driver that accepted it."""

    center: bytes

    @property
    def context(self) -> DriverContext: ...

    def frame_seen(self, address: bytes, session: Session) -> None: ...

    def patrol_answered(self, address: bytes, when: datetime) -> None: ...


@dataclass
class _Answer:
    """What to send back for one received item once its events (if any) are committed."""

    reply: Callable[[], bytes] | None = None
    events: list[DeviceEvent] = field(default_factory=list)
    frame: Frame | None = None
    nak: bool = False


class Session:
    """Protocol state for one TCP connection or UDP peer. ``send`` writes bytes to the peer."""

    def __init__(
        self, owner: Owner, peer: str, send: Callable[[bytes], None], *, stream: bool = False
    ) -> None:
        """``stream``: the link is a byte stream (TCP), so the answers to one read may leave in one
        write (one system call instead of one per frame); datagram links keep one answer per datagram."""
        self.owner = owner
        self.peer = peer
        self._send = send
        self._stream = stream
        self._serial = 0  # our own initiatives, numbered from 0 on each connection (§1.1)
        self._pending: dict[int, asyncio.Future[Frame]] = {}
        self._lock = asyncio.Lock()  # UDP datagrams are handled by separate tasks: keep their order
        self.closed = False
        self.last_active = asyncio.get_running_loop().time()
        self.acked = self.naked = self.ingest_failures = 0

    # -- receiving ----------------------------------------------------------------------------------
    async def handle(self, items: list[Frame | FrameError]) -> None:
        """Answer a batch of received items in order.

        All events of the batch go to the store as one job before the first wait (``ingest_many`` when
        the context has it: one future and one loop wake-up per read), so one group commit covers a
        burst of coalesced frames; no answer that carries events leaves before that commit.
        """
        self.last_active = asyncio.get_running_loop().time()
        async with self._lock:
            answers = [self._prepare(item) for item in items]
            events = [event for answer in answers for event in answer.events]
            stored = self._store(events) if events else None
            failure: BaseException | None = None
            waited = False
            out: list[bytes] = []  # answers not yet written (stream links write them together)
            for answer in answers:
                if answer.events:
                    if not waited and stored is not None:
                        waited = True
                        self._write(out)  # what precedes the first commit does not wait for it
                        try:
                            results = await stored
                        except Exception as exc:
                            failure = exc
                        else:
                            failure = next((r for r in results if isinstance(r, BaseException)), None)
                    if failure is not None:
                        # No ACK: the UITD retransmits, and the dedup key keeps what did commit single.
                        self.ingest_failures += 1
                        frame = answer.frame
                        log.error("%s: storing events failed (%s); serial %s not acknowledged raw=%s",
                                  self.peer, failure, frame.serial if frame else "?",
                                  frame.raw.hex(" ") if frame else "")
                        continue
                if answer.reply is not None and not self.closed:
                    out.append(answer.reply())
                    if not self._stream:
                        self._write(out)
                    if answer.nak:
                        self.naked += 1
                    else:
                        self.acked += 1
            self._write(out)

    def _write(self, out: list[bytes]) -> None:
        if out and not self.closed:
            self._send(out[0] if len(out) == 1 else b"".join(out))
        out.clear()

    def _store(self, events: list[DeviceEvent]) -> asyncio.Future[Any]:
        """Queue every event now, in order, before anything is awaited; one awaitable for all of them."""
        ctx = self.owner.context
        many = getattr(ctx, "ingest_many", None)
        if many is not None:
            return asyncio.ensure_future(many(events))
        return asyncio.gather(*(asyncio.ensure_future(ctx.ingest(e)) for e in events), return_exceptions=True)

    def _prepare(self, item: Frame | FrameError) -> _Answer:
        if isinstance(item, FrameError):
            log.warning("%s: rejected frame (%s) raw=%s", self.peer, item.reason, item.raw.hex(" "))
            return self._nak(item) if item.nakable else _Answer()
        frame = item
        self.owner.frame_seen(frame.source, self)
        if frame.command in _ANSWERS:
            self._resolve(frame)
            return _Answer()
        if frame.command == Command.SEND:
            return self._upload(frame)
        # The standard defines no query or control from a UITD to the centre, and user-defined
        # commands (128-255) mean nothing to us: refuse them so the device does not wait.
        log.warning("%s: unsupported command %d from UITD %d raw=%s", self.peer, frame.command,
                    address_int(frame.source), frame.raw.hex(" "))
        return self._nak(frame)

    def _nak(self, item: Frame | FrameError) -> _Answer:
        return _Answer(lambda: nak_for(item, local_now()), nak=True)

    def _ack(self, frame: Frame, events: list[DeviceEvent] | None = None) -> _Answer:
        return _Answer(lambda: ack_for(frame, local_now()), events or [], frame)

    def _upload(self, frame: Frame) -> _Answer:
        if frame.is_heartbeat:
            return self._ack(frame)
        ctx = self.owner.context
        decoded = decode_adu(frame.adu)
        if isinstance(decoded, AduError):
            log.warning("%s: bad ADU (%s) raw=%s", self.peer, decoded.reason, frame.raw.hex(" "))
            return self._nak(frame)
        received = utc_now()
        if isinstance(decoded, UnknownAdu):
            if not decoded.user_defined:
                log.warning("%s: reserved ADU type %d raw=%s", self.peer, decoded.type_code,
                            frame.raw.hex(" "))
                return self._nak(frame)
            events = [self._user_data(frame, decoded.type_code, received)]
        else:
            events = map_decoded(frame, decoded, received_time=received, source=ctx.device.id,
                                 points=ctx.device.points)
            self._note_patrol(frame, decoded, received)
        # handle() queues the events of the whole read to the store, in frame order, before any wait.
        return self._ack(frame, events)

    def _user_data(self, frame: Frame, type_code: int, received: datetime) -> DeviceEvent:
        """A vendor's own ADU type: kept raw for the duty log; nothing here can interpret it."""
        ctx = self.owner.context
        parts = (ctx.device.id.encode(), frame.source, frame.serial.to_bytes(2, "little"), frame.time_raw,
                 frame.adu)
        key = hashlib.sha256(b"|".join(parts)).hexdigest()[:32]
        return DeviceEvent(
            source=ctx.device.id, kind="fire.user_data", state=EventState.INFO, priority=Priority.INFO,
            summary=f"自定义数据（类型 {type_code}）：用户信息传输装置 {address_int(frame.source)}",
            point=ctx.device.points.get(UITD_POINT, UITD_POINT), received_time=received, raw=frame.raw,
            payload={"protocol": "gb26875", "uitd_address": address_hex(frame.source), "serial": frame.serial,
                     "adu_type": type_code, "adu_hex": frame.adu.hex()},
            dedup_key=f"gb26875:{key}",
        )

    def _note_patrol(self, frame: Frame, decoded: DecodedAdu, received: datetime) -> None:
        for record in decoded.records:
            if isinstance(record, UitdOperation) and UitdOperationFlags.PATROL_ANSWER in record.flags:
                self.owner.patrol_answered(frame.source, received)

    def _resolve(self, frame: Frame) -> None:
        waiter = self._pending.get(frame.serial)
        if waiter is None or waiter.done():
            # A late answer to an attempt we already gave up on, or a confused peer: nothing waits.
            log.info("%s: unmatched answer (command %d, serial %d)", self.peer, frame.command, frame.serial)
            return
        waiter.set_result(frame)

    # -- our requests -------------------------------------------------------------------------------
    async def request(
        self, command: int, adu: bytes, dest: bytes, *, timeout: float, retries: int
    ) -> tuple[Frame, int]:
        """Send control (1) or query (4) and wait for the answer with the same serial.

        Retries resend the identical bytes (same serial), so an answer to any attempt completes it.
        Returns (answer, attempts); raises CommandTimeout after ``retries`` resends without answer.
        """
        if self.closed:
            raise CommandError(f"the connection to {self.peer} is closed")
        serial = self._serial
        self._serial = (self._serial + 1) & 0xFFFF
        wire = encode_frame(Frame.build(serial=serial, command=command, source=self.owner.center, dest=dest,
                                        time=local_now(), adu=adu))
        waiter: asyncio.Future[Frame] = asyncio.get_running_loop().create_future()
        self._pending[serial] = waiter
        try:
            for attempt in range(1, retries + 2):
                if self.closed:
                    raise CommandError(f"the connection to {self.peer} closed while waiting for an answer")
                self._send(wire)
                try:
                    async with asyncio.timeout(timeout):
                        return await asyncio.shield(waiter), attempt
                except TimeoutError:
                    log.warning("%s: no answer to command %d serial %d (attempt %d of %d) raw=%s",
                                self.peer, command, serial, attempt, retries + 1, wire.hex(" "))
            raise CommandTimeout(
                f"UITD {address_int(dest)} did not answer within {timeout:g} s after {retries + 1} attempts")
        finally:
            self._pending.pop(serial, None)

    def close(self) -> None:
        """Fail every outstanding request: its answer can no longer arrive on this link."""
        self.closed = True
        for waiter in self._pending.values():
            if not waiter.done():
                waiter.set_exception(CommandError(f"the connection to {self.peer} closed"))
                waiter.exception()  # mark retrieved: the waiting request re-raises it itself
