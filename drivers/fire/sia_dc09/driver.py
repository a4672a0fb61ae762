"""SIA DC-09 receiver: TCP and UDP listener that stores each event durably before it ACKs the panel."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from drivers.base import DeviceEvent, DriverContext, EventState, HealthState, Priority, utc_now
from drivers.fire.sia_dc09.framing import Frame, FrameError, FrameErrorReason, FrameReader, split_datagram
from drivers.fire.sia_dc09.mapping import LABELS, RecentMessages, map_message, message_identity
from drivers.fire.sia_dc09.messages import (
    ACK,
    ADM_CID,
    DUH,
    NAK,
    NULL,
    RSP,
    SIA_DCS,
    Cause,
    Header,
    MessageError,
    ack_for,
    duh_for,
    nak,
    open_message,
    parse_header,
    parse_key,
    timestamp_ok,
)
from drivers.fire.sia_dc09.netio import RateLimitedLog, UdpEndpoint, cancel_all, close_writer, hex_dump
from drivers.fire.sia_dc09.settings import Settings

__all__ = ["Settings", "SiaDc09Driver", "create"]

log = logging.getLogger(__name__)
_ANSWERS = frozenset({ACK, NAK, DUH, RSP})
_MAX_UDP_INFLIGHT = 1024  # datagrams being processed; beyond it we drop and the panel retransmits


class SiaDc09Driver:
    """One receiver for any number of transmitters (accounts). ``bound_port`` and ``listening`` let
    tests and the host find an ephemeral port; ``stats`` counts frames and rejects by cause."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.bound_port: int | None = None
        self.listening = threading.Event()
        self.stats: Counter[str] = Counter()
        self._ctx: DriverContext | None = None
        self._key: bytes | None = None
        self._key_problem = ""
        self._accounts = frozenset(settings.accounts)
        self._recent = RecentMessages()
        self._last_seen: dict[str, float] = {}
        self._faulted: set[str] = set()
        self._tcp_tasks: set[asyncio.Task[Any]] = set()
        self._udp_tasks: set[asyncio.Task[Any]] = set()
        self._per_ip: Counter[str] = Counter()
        self._log = RateLimitedLog()

    # -- driver protocol ----------------------------------------------------------------------------
    async def command(self, name: str, args: Mapping[str, Any]) -> Any:
        if name == "status":
            now = asyncio.get_running_loop().time()
            return {
                "bound_port": self.bound_port, "connections": len(self._tcp_tasks), "stats": dict(self.stats),
                "accounts": {a: round(now - t, 1) for a, t in self._last_seen.items()},
                "link_faults": sorted(self._faulted),
            }
        raise ValueError(f"the SIA DC-09 driver has no command {name!r}")

    async def run(self, ctx: DriverContext) -> None:
        self._ctx = ctx
        self._key, self._key_problem = self._load_key(ctx)
        loop = asyncio.get_running_loop()
        host = self.settings.listen_host
        server = await asyncio.start_server(self._on_tcp, host, self.settings.listen_port)
        udp: asyncio.DatagramTransport | None = None
        try:
            self.bound_port = int(server.sockets[0].getsockname()[1])
            if self.settings.udp:
                udp, _ = await loop.create_datagram_endpoint(
                    lambda: UdpEndpoint(self._on_datagram), local_addr=(host, self.bound_port)
                )
            self.listening.set()
            log.info("SIA DC-09 receiver on %s:%d (udp=%s)", host, self.bound_port, self.settings.udp)
            self._report_health()
            await self._supervise()
        finally:
            self.listening.clear()
            server.close()
            await cancel_all(self._tcp_tasks | self._udp_tasks)
            if udp is not None:
                udp.close()
            await server.wait_closed()

    def _load_key(self, ctx: DriverContext) -> tuple[bytes | None, str]:
        name = self.settings.key_credential
        if not name:
            problem = "require_encryption without key_credential" if self.settings.require_encryption else ""
            return None, problem
        secret = ctx.secret(name)
        if secret is None:
            return None, f"key credential {name!r} not found"
        try:
            return parse_key(secret), ""
        except ValueError as exc:  # the message never contains the key itself
            return None, f"key credential {name!r} unusable: {exc}"

    def _report_health(self) -> None:
        assert self._ctx is not None
        problems = [self._key_problem] if self._key_problem else []
        if self._faulted:
            silent = ", ".join(sorted(self._faulted))
            problems.append(f"no report within {self.settings.supervision_s:g} s from {silent}")
        where = f"listening on {self.settings.listen_host}:{self.bound_port}"
        state = HealthState.DEGRADED if problems else HealthState.ONLINE
        self._ctx.set_health(state, "; ".join([where, *problems]))

    # -- supervision --------------------------------------------------------------------------------
    async def _supervise(self) -> None:
        limit = self.settings.supervision_s
        loop = asyncio.get_running_loop()
        if limit <= 0:
            await loop.create_future()  # nothing to watch: wait until the host cancels us
            return
        for account in self._accounts:
            self._last_seen.setdefault(account, loop.time())  # listed accounts are due from the start
        while True:
            await asyncio.sleep(min(1.0, limit / 4))
            now = loop.time()
            for account, seen in list(self._last_seen.items()):
                if account not in self._faulted and now - seen > limit:
                    self._faulted.add(account)
                    log.warning("SIA DC-09 account %s silent for %.1f s", account, now - seen)
                    await self._link_event(account, EventState.ACTIVE)
                    self._report_health()

    async def _seen(self, account: str) -> None:
        """Any accepted message proves the path from this account works."""
        self._last_seen[account] = asyncio.get_running_loop().time()
        if account in self._faulted:
            self._faulted.discard(account)
            await self._link_event(account, EventState.CLEARED)
            self._report_health()

    async def _link_event(self, account: str, state: EventState) -> None:
        assert self._ctx is not None
        label = LABELS["fire.link_fault"] + ("恢复" if state is EventState.CLEARED else "")
        event = DeviceEvent(
            source=self._ctx.device.id, kind="fire.link_fault", state=state, priority=Priority.FAULT,
            summary=f"{label}：{account}（{self.settings.supervision_s:g} s 内无报告）",
            point=self._ctx.device.points.get(account, account),
            payload={"protocol": "sia-dc09", "account": account, "supervision_s": self.settings.supervision_s,
                     "state": str(state)},
        )
        try:
            await self._ctx.ingest(event)
        except Exception:
            log.exception("storing the link %s event for %s failed", state, account)

    # -- transport ----------------------------------------------------------------------------------
    async def _on_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername") or ("?", 0)
        ip = str(peer[0])
        full = len(self._tcp_tasks) >= self.settings.max_connections
        if full or self._per_ip[ip] >= self.settings.max_connections_per_ip:
            self.stats["refused_connections"] += 1
            self._log.warning("refused", "SIA DC-09 refused a connection from %s: cap reached", peer)
            await close_writer(writer)
            return
        task = asyncio.current_task()
        assert task is not None
        self._tcp_tasks.add(task)
        self._per_ip[ip] += 1
        self.stats["connections"] += 1
        try:
            await self._session(reader, writer, peer)
        except OSError as exc:  # reset by peer and the like: the connection ends, the receiver does not
            log.info("SIA DC-09 connection from %s ended: %s", peer, exc)
        except asyncio.CancelledError:
            # The receiver is stopping. This is a top-level task: asyncio's stream callback logs one that
            # ends cancelled as an error, so it ends here instead.
            log.info("SIA DC-09 connection from %s closed: the receiver is stopping", peer)
        finally:
            self._tcp_tasks.discard(task)
            self._per_ip[ip] -= 1
            if self._per_ip[ip] <= 0:
                del self._per_ip[ip]
            await close_writer(writer)

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: Any) -> None:
        loop = asyncio.get_running_loop()
        framer = FrameReader()
        frame_started: float | None = None
        while True:
            if frame_started is None:
                timeout, why = self.settings.idle_timeout_s, "idle"
            else:  # an absolute deadline, so a sender trickling one byte at a time cannot hold us
                timeout, why = frame_started + self.settings.frame_deadline_s - loop.time(), "frame_deadline"
            try:
                data = await asyncio.wait_for(reader.read(65536), max(timeout, 0.0))
            except TimeoutError:
                pending = framer.eof()
                self.stats[why] += 1
                self._log.warning(why, "SIA DC-09 closing %s: %s timeout; pending=%s", peer, why,
                                  hex_dump(pending.raw if pending else b""))
                return
            if not data:
                tail = framer.eof()
                if tail is not None:
                    self._rejected(tail, peer)
                return
            items = framer.feed(data)
            if not framer.partial:
                frame_started = None
            elif frame_started is None or items:  # anything completed means this partial began now
                frame_started = loop.time()
            answers = await self._handle_frames(items, peer)
            if answers:
                writer.write(b"".join(answers))
                await writer.drain()

    def _on_datagram(self, data: bytes, addr: Any, transport: asyncio.DatagramTransport) -> None:
        if len(self._udp_tasks) >= _MAX_UDP_INFLIGHT:
            self.stats["udp_overload"] += 1
            self._log.warning("udp_overload", "SIA DC-09 dropped a datagram from %s (overload): %s", addr,
                              hex_dump(data))
            return

        async def answer() -> None:
            for reply in await self._handle_frames(split_datagram(data), addr):
                transport.sendto(reply, addr)

        task = asyncio.get_running_loop().create_task(answer())
        self._udp_tasks.add(task)
        task.add_done_callback(self._udp_tasks.discard)

    # -- frames -------------------------------------------------------------------------------------
    async def _handle_frames(self, items: Iterable[Frame | FrameError], peer: Any) -> list[bytes]:
        """Answers for a batch of frames, in frame order. Frames are processed concurrently so their
        events share one group commit; each answer still waits for its own events to be durable."""
        loop = asyncio.get_running_loop()
        tasks = []
        for item in items:
            if isinstance(item, FrameError):
                self._rejected(item, peer)
            else:
                tasks.append(loop.create_task(self._answer_safely(item, peer)))
        try:
            answers = [await task for task in tasks]
        finally:
            for task in tasks:
                task.cancel()
        return [a for a in answers if a]

    def _rejected(self, error: FrameError, peer: Any) -> None:
        # A frame with a bad CRC or length gets no answer at all (PROTOCOLS.md §5.3: "no ACK"): none of
        # its fields can be trusted, and the transmitter retransmits when its answer timer runs out.
        self.stats[f"frame_{error.reason}"] += 1
        if error.reason is FrameErrorReason.GARBAGE:
            self.stats["garbage_bytes"] += len(error.raw)
        self._log.warning(str(error.reason), "SIA DC-09 %s from %s (%s): raw=%s", error.reason, peer,
                          error.detail, hex_dump(error.raw))

    async def _answer_safely(self, frame: Frame, peer: Any) -> bytes | None:
        try:
            return await self._answer(frame, peer)
        except Exception:  # a bug must cost one unanswered frame (retransmitted), not the connection
            self.stats["internal_error"] += 1
            log.exception("SIA DC-09 failed on a frame from %s: raw=%s", peer, hex_dump(frame.raw))
            return None

    async def _answer(self, frame: Frame, peer: Any) -> bytes | None:
        assert self._ctx is not None
        self.stats["frames"] += 1
        try:
            header = parse_header(frame.message)
        except MessageError as exc:
            return self._refuse("format", exc.detail, frame, peer, nak())
        if header.id_token in _ANSWERS:  # an answer sent to a receiver: answering it could ping-pong
            self.stats["rejected_answer_token"] += 1
            self._log.warning("answer_token", "SIA DC-09 ignored a %s from %s: raw=%s", header.id_token, peer,
                              hex_dump(frame.raw))
            return None
        account = header.account or ""
        if self._accounts and account not in self._accounts:
            return self._refuse("unknown_account", account, frame, peer, self._reject_answer(header))
        if header.id_token not in (NULL, SIA_DCS, ADM_CID):
            return self._refuse("unsupported_id", header.id_token, frame, peer, duh_for(header))
        if self.settings.require_encryption and not header.encrypted:
            return self._refuse("clear_text", "encryption required", frame, peer, self._reject_answer(header))
        try:
            message = open_message(header, self._key)
        except MessageError as exc:
            answer = {Cause.TIMESTAMP: nak(), Cause.FORMAT: duh_for(header)}.get(exc.cause)
            answer = answer or self._reject_answer(header)
            return self._refuse(str(exc.cause), exc.detail, frame, peer, answer)
        now = utc_now()
        window = self.settings.timestamp_window
        if message.timestamp is not None and not timestamp_ok(message.timestamp, now, window):
            detail = f"message time {message.timestamp_text}, ours {now:%H:%M:%S}"
            return self._refuse("timestamp", detail, frame, peer, nak(now))
        await self._seen(account)
        if header.id_token == NULL:
            self.stats["null"] += 1
            return ack_for(header, self._key, now)
        identity = message_identity(self._ctx.device.id, message)
        mapped = map_message(
            message, source=self._ctx.device.id, points=self._ctx.device.points, received_time=now,
            raw=frame.raw, first_seen=self._recent.first_seen(identity, now),
        )
        try:
            await asyncio.gather(*(self._ctx.ingest(event) for event in mapped.events))
        except Exception:  # not durable: stay silent so the panel retransmits
            self.stats["store_failed"] += 1
            log.exception("SIA DC-09 could not store events of %s; not acknowledged", hex_dump(frame.raw))
            return None
        self.stats["events"] += len(mapped.events)
        if mapped.unknown:
            return self._refuse("unknown_code", ",".join(mapped.unknown), frame, peer, duh_for(header))
        self.stats["acked"] += 1
        return ack_for(header, self._key, now)

    def _reject_answer(self, header: Header) -> bytes:
        return duh_for(header) if self.settings.reject_answer == "DUH" else nak()

    def _refuse(self, cause: str, detail: str, frame: Frame, peer: Any, answer: bytes) -> bytes:
        self.stats[f"rejected_{cause}"] += 1
        token = answer[10:13].decode()  # LF, 8 header digits, quote, then the ID token
        self._log.warning(cause, "SIA DC-09 %s from %s (%s), answering %s: raw=%s", cause, peer, detail,
                          token, hex_dump(frame.raw))
        return answer


def create(settings: Settings) -> SiaDc09Driver:
    return SiaDc09Driver(settings)

