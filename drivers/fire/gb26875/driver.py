"""GB/T 26875.3 monitoring-centre server: accepts UITDs over TCP (and UDP), stores, ACKs, commands."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import enum
import ipaddress
import logging
import math
from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import Field, field_validator

from drivers.base import DriverContext, DriverSettings, HealthState, utc_now
from drivers.fire.gb26875 import commands
from drivers.fire.gb26875.adu import DecodedAdu, decode_adu
from drivers.fire.gb26875.fields import component_address
from drivers.fire.gb26875.frame import ADDRESS_LEN, Command, Frame, FrameReader, address_from_int, address_int
from drivers.fire.gb26875.link_timing import MovingDeadline, backed_up, drained
from drivers.fire.gb26875.mapping import map_decoded
from drivers.fire.gb26875.session import (
    CommandError,
    CommandRejected,
    CommandTimeout,
    NoUitdConnected,
    Session,
    local_now,
)
from drivers.fire.gb26875.supervision import LinkSupervisor
from drivers.fire.gb26875.udp import DatagramServer

log = logging.getLogger("drivers.fire.gb26875")

__all__ = ["CommandError", "CommandRejected", "CommandTimeout", "GB26875Driver", "NoUitdConnected",
           "Settings", "create"]

READ_SIZE = 65536


class Settings(DriverSettings):
    listen_host: str = Field("127.0.0.1", description="Address to listen on (0.0.0.0 for every interface)")
    listen_port: int = Field(9000, ge=0, le=65535, description="TCP (and UDP) port; 0 picks a free one")
    udp: bool = Field(False, description="Also accept frames as UDP datagrams on the same port")
    center_address: str = Field("88888", description="Our 6-byte 监控中心 address, as a decimal integer")
    heartbeat_timeout_s: float = Field(90, gt=0, description="Silence after which a UITD's link is faulty")
    frame_deadline_s: float = Field(10, gt=0, description="A started frame must complete within this")
    idle_timeout_s: float = Field(300, gt=0, description="Close a connection without frames for this long")
    max_connections: int = Field(64, ge=1, description="Connections (and UDP peers) accepted in total")
    max_connections_per_ip: int = Field(8, ge=1, description="Connections accepted from one address")
    command_timeout_s: float = Field(10, gt=0, le=60, description="Wait this long for a UITD's answer")
    command_retries: int = Field(3, ge=0, le=10, description="Resends of an unanswered command")
    allowed_peers: list[str] = Field(default_factory=list, description="CIDRs that may connect; empty = any")

    @field_validator("center_address")
    @classmethod
    def _address_fits(cls, value: str) -> str:
        if not value.isdigit() or int(value) >= 1 << (8 * ADDRESS_LEN):
            raise ValueError("must be a decimal integer below 2**48 (the 6-byte address, little-endian)")
        return value

    @field_validator("allowed_peers")
    @classmethod
    def _cidrs(cls, value: list[str]) -> list[str]:
        for cidr in value:
            ipaddress.ip_network(cidr, strict=False)  # ValueError names the bad entry
        return value


def create(settings: Settings) -> GB26875Driver:
    return GB26875Driver(settings)


def _plain(value: Any) -> Any:
    """A JSON-friendly copy of a record field."""
    if isinstance(value, enum.IntFlag):
        return int(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def _record_dict(record: Any) -> dict[str, Any]:
    out = {f.name: _plain(getattr(record, f.name)) for f in dataclasses.fields(record)}
    out["record_type"] = type(record).__name__
    flags = getattr(record, "status", getattr(record, "flags", None))
    if isinstance(flags, enum.IntFlag):
        out["flag_names"] = [m.name for m in type(flags) if m in flags]
    when = getattr(record, "time", None)
    if isinstance(when, datetime):
        out["time"] = when.isoformat()
    return out


class GB26875Driver:
    """The 监控中心 side of GB/T 26875.3. One instance serves every UITD that connects to its port."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.center = address_from_int(int(settings.center_address))
        self.bound_port: int | None = None
        self._networks = [ipaddress.ip_network(c, strict=False) for c in settings.allowed_peers]
        self._ctx: DriverContext | None = None
        self._links: LinkSupervisor | None = None
        self._sessions: set[Session] = set()
        self._per_ip: Counter[str] = Counter()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._uitds: dict[bytes, Session] = {}  # source address -> the link it last spoke on
        self._patrols: dict[bytes, dict[str, Any]] = {}
        self._listening = ""
        self._health: tuple[HealthState, str] | None = None
        self.refused = 0

    @property
    def context(self) -> DriverContext:
        if self._ctx is None:
            raise RuntimeError("the driver is not running")
        return self._ctx

    # -- serving ------------------------------------------------------------------------------------
    async def run(self, ctx: DriverContext) -> None:
        s = self.settings
        self._ctx, self._health = ctx, None
        self._links = LinkSupervisor(ctx, s.heartbeat_timeout_s, self._report_health)
        server = await asyncio.start_server(self._on_connect, s.listen_host, s.listen_port)
        udp: asyncio.DatagramTransport | None = None
        try:
            self.bound_port = int(server.sockets[0].getsockname()[1])
            self._listening = f"{s.listen_host}:{self.bound_port}"
            if s.udp:
                udp, _ = await asyncio.get_running_loop().create_datagram_endpoint(
                    lambda: DatagramServer(self), local_addr=(s.listen_host, self.bound_port))
            log.info("GB/T 26875.3 centre %s listening on %s (%s)", s.center_address, self._listening,
                     "tcp+udp" if udp else "tcp")
            self._report_health()
            await self._links.watch()
        finally:
            server.close()
            if udp is not None:
                udp.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            with contextlib.suppress(Exception):
                await server.wait_closed()
            self.bound_port = None
            self._sessions.clear()
            self._uitds.clear()

    def refusal(self, ip: str, *, udp: bool = False) -> str | None:
        """Why a new peer is turned away, or None to accept it."""
        addr = ipaddress.ip_address(ip.split("%", 1)[0])
        if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
            addr = addr.ipv4_mapped
        if self._networks and not any(addr in net for net in self._networks):
            return "not in allowed_peers"
        if len(self._sessions) >= self.settings.max_connections:
            return f"connection cap of {self.settings.max_connections} reached"
        if not udp and self._per_ip[ip] >= self.settings.max_connections_per_ip:
            return f"per-address cap of {self.settings.max_connections_per_ip} reached"
        return None

    def refuse(self, peer: str, reason: str) -> None:
        self.refused += 1
        log.warning("refused connection from %s: %s", peer, reason)

    def track(self, task: asyncio.Task[Any]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host, port = writer.get_extra_info("peername")[:2]
        peer = f"{host}:{port}"
        reason = self.refusal(str(host))
        if reason is not None:
            self.refuse(peer, reason)
            writer.transport.abort()  # immediately: a connection storm must not cost us a handshake each
            return
        task = asyncio.current_task()
        assert task is not None
        self.track(task)
        session = Session(self, peer, writer.write, stream=True)
        self._sessions.add(session)
        self._per_ip[str(host)] += 1
        log.info("connection from %s", peer)
        # The handler is a top-level task: asyncio's stream callback logs an error for one that ends
        # cancelled, so a shutdown (run() cancelling it) is absorbed here.
        with contextlib.suppress(asyncio.CancelledError):
            try:
                await self._read_loop(session, reader, writer)
            except (ConnectionError, OSError) as exc:
                log.info("connection from %s lost: %s", peer, exc)
            finally:
                self.end_session(session)
                self._per_ip[str(host)] -= 1
                if not self._per_ip[str(host)]:
                    del self._per_ip[str(host)]
                writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _read_loop(self, session: Session, reader: asyncio.StreamReader,
                         writer: asyncio.StreamWriter) -> None:
        s = self.settings
        frames = FrameReader()
        loop = asyncio.get_running_loop()
        last_frame = partial_since = loop.time()
        deadline = MovingDeadline(loop, last_frame + s.idle_timeout_s)
        try:
            async with asyncio.timeout(None) as timeout:
                deadline.arm(timeout)
                while True:
                    data = await reader.read(READ_SIZE)
                    deadline.at = math.inf  # committing and answering are not the peer's silence
                    if not data:
                        if frames.pending:
                            log.warning("%s: closed in mid-frame, discarded raw=%s", session.peer,
                                        frames.reset().hex(" "))
                        log.info("%s: closed by peer", session.peer)
                        return
                    had_partial = frames.pending > 0
                    items = frames.feed(data)
                    now = loop.time()
                    if items:
                        last_frame = now
                    if frames.pending and (items or not had_partial):
                        partial_since = now  # a new frame started in this chunk
                    if items:
                        await session.handle(items)
                        if backed_up(writer) and not await drained(writer, session.peer, s.idle_timeout_s):
                            return
                    at = last_frame + s.idle_timeout_s
                    deadline.at = min(at, partial_since + s.frame_deadline_s) if frames.pending else at
        except TimeoutError:
            if frames.pending:
                log.warning("%s: frame not completed within %g s, closing raw=%s", session.peer,
                            s.frame_deadline_s, frames.reset().hex(" "))
            else:
                log.warning("%s: no frame for %g s, closing", session.peer, s.idle_timeout_s)
        finally:
            deadline.cancel()

    def end_session(self, session: Session) -> None:
        session.close()
        self._sessions.discard(session)
        gone = [a for a, s in self._uitds.items() if s is session]
        for address in gone:
            del self._uitds[address]
            log.info("UITD %d disconnected (%s)", address_int(address), session.peer)
        if gone:
            self._report_health()

    @property
    def sessions(self) -> set[Session]:
        return self._sessions

    # -- Owner callbacks ----------------------------------------------------------------------------
    def frame_seen(self, address: bytes, session: Session) -> None:
        if self._uitds.get(address) is not session:
            self._uitds.pop(address, None)  # re-insert: the newest link of a UITD is the one we use
            self._uitds[address] = session
            log.info("UITD %d connected via %s", address_int(address), session.peer)
            self._report_health()
        if self._links is not None:
            self._links.seen(address)

    def patrol_answered(self, address: bytes, when: datetime) -> None:
        patrol = self._patrols.get(address)
        if patrol is not None and patrol["answered_at"] is None:
            patrol["answered_at"] = when.isoformat()
            log.info("UITD %d answered the patrol (查岗) sent at %s", address_int(address), patrol["sent_at"])

    def _report_health(self) -> None:
        if self._ctx is None:
            return
        faulted = self._links.faulted if self._links else {}
        if faulted:
            uitds = ", ".join(str(address_int(a)) for a in faulted)
            state, reason = HealthState.DEGRADED, f"传输链路故障：UITD {uitds} 超过 " \
                f"{self.settings.heartbeat_timeout_s:g} 秒无数据"
        else:
            connected = ", ".join(f"{address_int(a)}@{s.peer}" for a, s in self._uitds.items())
            state, reason = HealthState.ONLINE, f"listening on {self._listening}" + (
                f"; UITD {connected}" if connected else "")
        if self._health != (state, reason):  # the health sink is shared: tell it only about changes
            self._health = (state, reason)
            self._ctx.set_health(state, reason)

    # -- operator commands --------------------------------------------------------------------------
    async def command(self, name: str, args: Mapping[str, Any]) -> Any:
        handlers = {"read_status": self._read_status, "time_sync": self._time_sync, "patrol": self._patrol,
                    "patrol_status": self._patrol_status, "status": self._status}
        handler = handlers.get(name)
        if handler is None:
            raise ValueError(f"fire.gb26875 has no command {name!r} (known: {', '.join(handlers)})")
        return await handler(args)

    def _target(self, args: Mapping[str, Any]) -> tuple[bytes, Session]:
        if not self._uitds:
            raise NoUitdConnected(f"no UITD is connected to the GB/T 26875.3 server on {self._listening}")
        if args.get("uitd") is None:
            address = next(iter(self._uitds))
        else:
            address = address_from_int(int(args["uitd"]))
            if address not in self._uitds:
                known = ", ".join(str(address_int(a)) for a in self._uitds)
                raise NoUitdConnected(f"UITD {args['uitd']} is not connected (connected: {known})")
        return address, self._uitds[address]

    async def _send(
        self, args: Mapping[str, Any], command: int, adu: bytes, what: str
    ) -> tuple[bytes, Frame, int]:
        address, session = self._target(args)
        s = self.settings
        answer, attempts = await session.request(command, adu, address, timeout=s.command_timeout_s,
                                                 retries=s.command_retries)
        if answer.command == Command.NAK:
            raise CommandRejected(f"UITD {address_int(address)} refused {what} (NAK, serial {answer.serial})")
        return address, answer, attempts

    async def _read_status(self, args: Mapping[str, Any]) -> dict[str, Any]:
        if "system_type" in args:
            system = (int(args["system_type"]), int(args.get("system_addr", 1)))
            if "component_addr" in args or "zone" in args:
                addr = int(args["component_addr"]) if "component_addr" in args else component_address(
                    int(args["zone"]), int(args["number"]))
                adu = commands.read_component_state([(*system, addr)])
            else:
                adu = commands.read_system_state([system])
        else:
            adu = commands.read_uitd_state()
        address, answer, attempts = await self._send(args, Command.REQUEST, adu, "read_status")
        result: dict[str, Any] = {"uitd": address_int(address), "serial": answer.serial, "attempts": attempts,
                                  "command": answer.command, "records": [], "events": []}
        decoded = decode_adu(answer.adu) if answer.adu else None
        if isinstance(decoded, DecodedAdu):
            ctx = self.context
            events = map_decoded(answer, decoded, received_time=utc_now(),
                                 source=ctx.device.id, points=ctx.device.points)
            for event in events:  # the answer is the device's state: keep it in the duty log
                await ctx.ingest(event)
            result.update(type=decoded.type_code, records=[_record_dict(r) for r in decoded.records],
                          events=[e.summary for e in events])
        return result

    async def _time_sync(self, args: Mapping[str, Any]) -> dict[str, Any]:
        now = local_now()
        adu = commands.sync_time(now)
        address, answer, attempts = await self._send(args, Command.CONTROL, adu, "time_sync")
        return {"uitd": address_int(address), "serial": answer.serial, "attempts": attempts,
                "time": now.isoformat(timespec="seconds")}

    async def _patrol(self, args: Mapping[str, Any]) -> dict[str, Any]:
        window = int(args.get("window_min", 10))
        if not 0 <= window <= 255:
            raise ValueError("window_min must be 0..255 minutes")
        address, answer, attempts = await self._send(args, Command.CONTROL, commands.patrol(window), "patrol")
        patrol = {"uitd": address_int(address), "serial": answer.serial, "attempts": attempts,
                  "sent_at": utc_now().isoformat(), "window_min": window, "answered_at": None}
        self._patrols[address] = patrol
        return dict(patrol)

    async def _patrol_status(self, args: Mapping[str, Any]) -> dict[str, Any]:
        if args.get("uitd") is not None:
            address = address_from_int(int(args["uitd"]))
        elif self._patrols:
            address = next(reversed(self._patrols))
        else:
            raise CommandError("no patrol (查岗) has been sent")
        patrol = self._patrols.get(address)
        if patrol is None:
            raise CommandError(f"no patrol (查岗) has been sent to UITD {address_int(address)}")
        due = datetime.fromisoformat(patrol["sent_at"]).timestamp() + 60 * patrol["window_min"]
        overdue = patrol["answered_at"] is None and datetime.now().timestamp() > due
        return {**patrol, "answered": patrol["answered_at"] is not None, "overdue": overdue}

    async def _status(self, args: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "listening": self._listening, "connections": len(self._sessions), "refused": self.refused,
            "uitds": {str(address_int(a)): s.peer for a, s in self._uitds.items()},
            "links": self._links.describe() if self._links else {},
        }
