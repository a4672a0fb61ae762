"""ZKTeco ADMS (iclock push) driver: one device, by serial number, on the shared push listener."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import Counter
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator

from drivers.base import (
    GATE_PASS,
    DeviceEvent,
    Direction,
    DriverContext,
    DriverSettings,
    EventState,
    GatePayload,
    GateResult,
    HealthState,
    Priority,
    SubjectKind,
)
from drivers.gates.push.listener import PushReply, PushRequest, Registration, acquire_listener, clip
from drivers.gates.zkteco.adms import (
    METHOD_LABELS,
    AdmsError,
    AttRecord,
    build_options,
    line_tag,
    local_to_utc,
    method_for,
    parse_attlog,
    parse_user_line,
    split_lines,
    tz_hours,
)

__all__ = ["Settings", "ZktecoAdmsDriver", "create"]

log = logging.getLogger(__name__)

_USER_TABLES = frozenset({"OPERLOG", "USERINFO", "USER"})
_MAX_NAMES = 200_000  # names learnt from the device's USER table; a campus has tens of thousands at most


class Settings(DriverSettings):
    listen_host: str = Field("127.0.0.1", description="Address of the shared push listener")
    listen_port: int = Field(8088, ge=0, le=65535, description="Port of the shared push listener (0 = any)")
    serial: str = Field(..., min_length=1, max_length=64, description="Device serial number (SN=…)")
    door_direction: dict[str, str] = Field(
        default_factory=lambda: {"0": "in", "1": "out"},
        description="ATTLOG status value -> in/out (0 check-in, 1 check-out, 2 break-out, 3 break-in ...)",
    )
    timezone: str = Field("Asia/Shanghai", description="IANA zone of the device clock (ADMS has no offset)")
    door: str | None = Field(None, description="Door / lane name for the gate log (default: the serial)")
    delay_s: int = Field(10, ge=1, le=3600, description="Delay= told to the device: seconds between polls")
    error_delay_s: int = Field(30, ge=1, le=3600, description="ErrorDelay= told to the device")
    trans_interval_min: int = Field(1, ge=0, le=1440, description="TransInterval= told to the device, min")
    realtime: bool = Field(True, description="Realtime=1: the device uploads each record at once")
    silence_s: float | None = Field(
        None, gt=0, description="Degraded after this long without a poll (default 3 × delay_s); offline at 2×"
    )
    max_body: int = Field(4 * 1024 * 1024, ge=1024, description="Largest upload accepted, bytes")

    @field_validator("serial")
    @classmethod
    def _serial(cls, value: str) -> str:
        if not value.isprintable() or any(c.isspace() or c in "&=?#" for c in value):
            raise ValueError(f"serial {value!r} must be printable without spaces or URL delimiters")
        return value

    @field_validator("door_direction")
    @classmethod
    def _directions(cls, value: dict[str, str]) -> dict[str, str]:
        for status, direction in value.items():
            if direction not in ("in", "out"):
                raise ValueError(f"door_direction[{status!r}] must be 'in' or 'out', not {direction!r}")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value


class ZktecoAdmsDriver:
    """Answers one device's iclock requests; ``bound_port``/``listening`` let tests find the listener."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.zone = ZoneInfo(settings.timezone)
        self.bound_port: int | None = None
        self.listening = threading.Event()
        self.stats: Counter[str] = Counter()
        self.names: dict[str, str] = {}
        self.stamps: dict[str, str] = {}
        self._ctx: DriverContext | None = None
        self._last_seen: float | None = None
        self._health: HealthState | None = None
        self._where = ""

    # -- driver protocol ----------------------------------------------------------------------------
    async def command(self, name: str, args: Mapping[str, Any]) -> Any:
        if name == "status":
            loop = asyncio.get_running_loop()
            age = None if self._last_seen is None else round(loop.time() - self._last_seen, 1)
            return {"bound_port": self.bound_port, "serial": self.settings.serial, "last_seen_s": age,
                    "health": self._health.value if self._health else None, "stats": dict(self.stats),
                    "stamps": dict(self.stamps), "users": len(self.names)}
        raise ValueError(f"the ZKTeco ADMS driver has no command {name!r}")

    async def run(self, ctx: DriverContext) -> None:
        self._ctx = ctx
        s = self.settings
        listener = await acquire_listener(s.listen_host, s.listen_port)
        registration: Registration | None = None
        try:
            registration = listener.register("/iclock/", self._handle, query_key=("SN", s.serial),
                                             max_body=s.max_body)
            self.bound_port = listener.port
            self._where = f"{s.listen_host}:{listener.port}/iclock/ SN={s.serial}"
            self.listening.set()
            log.info("ZKTeco ADMS driver waiting for %s", self._where)
            self._set_health(HealthState.UNKNOWN, f"waiting for the device on {self._where}")
            await self._watch()
        finally:
            self.listening.clear()
            if registration is not None:
                registration.close()
            await listener.release()

    # -- health -------------------------------------------------------------------------------------
    @property
    def silence_s(self) -> float:
        return self.settings.silence_s or 3.0 * self.settings.delay_s

    def _set_health(self, state: HealthState, reason: str) -> None:
        if state is not self._health:
            self._health = state
            assert self._ctx is not None
            self._ctx.set_health(state, reason)

    def _seen(self) -> None:
        self._last_seen = asyncio.get_running_loop().time()
        self._set_health(HealthState.ONLINE, f"device polling {self._where}")

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        while True:
            await asyncio.sleep(min(1.0, self.silence_s / 4))
            # A configured device that never calls in is as much a problem as one that stopped.
            quiet = loop.time() - (self._last_seen if self._last_seen is not None else started)
            never = " (never heard from)" if self._last_seen is None else ""
            reason = f"no poll from SN={self.settings.serial} for {quiet:.0f} s{never} on {self._where}"
            if quiet > 2 * self.silence_s:
                self._set_health(HealthState.OFFLINE, reason)
            elif quiet > self.silence_s:
                if self._health is HealthState.ONLINE:
                    log.warning("ZKTeco %s silent for %.1f s", self.settings.serial, quiet)
                self._set_health(HealthState.DEGRADED, reason)

    # -- requests -----------------------------------------------------------------------------------
    async def _handle(self, request: PushRequest) -> PushReply:
        self._seen()
        endpoint = request.path.rstrip("/").rsplit("/", 1)[-1].removesuffix(".aspx")
        self.stats[f"{request.method} {endpoint}"] += 1
        if endpoint == "cdata":
            if request.method == "GET":
                return self._handshake(request)
            return await self._upload(request)
        # getrequest (heartbeat and command poll: we queue no commands), devicecmd (command results),
        # registry/push/ping/fdata (newer firmware): all only need an OK.
        return PushReply(body=b"OK")

    def _handshake(self, request: PushRequest) -> PushReply:
        s = self.settings
        pushver = request.query.get("pushver", "")
        log.info("ZKTeco %s handshake from %s (pushver %s)", s.serial, request.peer, pushver or "?")
        self.stats["handshakes"] += 1
        body = build_options(s.serial, self.stamps, delay=s.delay_s, error_delay=s.error_delay_s,
                             trans_interval=s.trans_interval_min, realtime=s.realtime,
                             timezone_hours=tz_hours(self.zone), new_style=bool(pushver))
        return PushReply(body=body)

    async def _upload(self, request: PushRequest) -> PushReply:
        table = request.query.get("table", "").upper()
        stamp = request.query.get("Stamp") or request.query.get("OpStamp")
        if table == "ATTLOG":
            count = await self._attlog(request.body)
        elif table in _USER_TABLES:
            count = self._operlog(request.body)
        else:  # ATTPHOTO, BIODATA, ERRORLOG ...: accepted so the device does not resend them forever
            count = sum(1 for _ in split_lines(request.body)) if table != "ATTPHOTO" else 1
            self.stats[f"table {table or '?'}"] += count
        if stamp and table:
            self.stamps[table] = stamp  # the next handshake asks only for what came after it
        return PushReply(body=f"OK: {count}".encode())

    async def _attlog(self, body: bytes) -> int:
        good, bad = parse_attlog(body)
        for error in bad:
            self.stats["bad_lines"] += 1
            log.warning("ZKTeco %s: skipped ATTLOG line (%s): %s", self.settings.serial, error.reason,
                        clip(error.raw))
        events = [self._pass_event(record, raw) for record, raw in good]
        if events:
            assert self._ctx is not None
            many = getattr(self._ctx, "ingest_many", None)
            if many is not None:
                await many(events)  # one durable commit for the whole upload before we answer OK
            else:
                for event in events:
                    await self._ctx.ingest(event)
        self.stats["records"] += len(events)
        return len(events)

    def _operlog(self, body: bytes) -> int:
        count = 0
        for line in split_lines(body):
            count += 1
            tag = line_tag(line)
            self.stats[f"oper {tag or '?'}"] += 1
            if tag != "USER":
                continue
            try:
                user = parse_user_line(line)
            except AdmsError as exc:
                self.stats["bad_lines"] += 1
                log.warning("ZKTeco %s: skipped USER line (%s): %s", self.settings.serial, exc.reason,
                            clip(line))
                continue
            if user.name and (user.pin in self.names or len(self.names) < _MAX_NAMES):
                self.names[user.pin] = user.name
        return count

    def _pass_event(self, record: AttRecord, raw: bytes) -> DeviceEvent:
        s = self.settings
        assert self._ctx is not None
        direction_text = s.door_direction.get(record.status)
        direction = Direction(direction_text) if direction_text else None
        method = method_for(record.verify)
        name = self.names.get(record.pin)
        door = s.door or s.serial
        extra: dict[str, Any] = {"sn": s.serial, "status": record.status, "verify": record.verify,
                                 "device_local_time": record.time_text}
        if record.workcode and record.workcode != "0":
            extra["workcode"] = record.workcode
        payload = GatePayload(
            result=GateResult.GRANTED,
            door=door,
            direction=direction,
            subject_kind=SubjectKind.PERSON,
            subject_id=record.pin,
            name=name,
            method=method,
            code=f"zk:status={record.status}/verify={record.verify}",
            extra=extra,
        )
        words = [METHOD_LABELS[method], "通行"]
        if direction is not None:
            words.append("进" if direction is Direction.IN else "出")
        words.append(name or record.pin)
        return DeviceEvent(
            source=self._ctx.device.id,
            kind=GATE_PASS,
            state=EventState.INFO,
            priority=Priority.INFO,
            summary=" ".join(words),
            point=self._ctx.device.points.get(door),
            device_time=local_to_utc(record.time, self.zone),
            raw=raw,
            payload=payload.to_payload(),
            dedup_key=f"zk:{s.serial}:{record.pin}:{record.time_text}",
        )


def create(settings: Settings) -> ZktecoAdmsDriver:
    return ZktecoAdmsDriver(settings)
