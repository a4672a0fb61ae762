"""Dahua gate driver: reads the eventManager attach stream (pull) and receives HTTP event uploads (push)."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import Counter, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiohttp
from pydantic import Field, field_validator
from yarl import URL

from drivers.base import DeviceEvent, Direction, DriverContext, DriverSettings, HealthState
from drivers.gates.dahua.events import MapOptions, map_record
from drivers.gates.dahua.records import ParsedBody, parse_event_text
from drivers.gates.dahua.stream import (
    DEFAULT_BOUNDARY,
    FOREIGN_BOUNDARY,
    Garbage,
    MultipartSplitter,
    boundary_from_content_type,
)
from drivers.gates.dahua.upload import UploadError, decode_body, parse_upload
from drivers.gates.push.listener import PushAuth, PushReply, PushRequest, acquire_listener

__all__ = ["DahuaDriver", "Settings", "create"]

log = logging.getLogger(__name__)

RAW_LOG_BYTES = 200
DEFAULT_CODES = ("AccessControl", "TrafficJunction", "DoorStatus", "AlarmLocal", "BreakIn", "DoorNotClosed",
                 "Duress", "ChassisIntruded")
UPLOAD_OK = b'{"Result":true}'  # Dahua ITSAPI-style answer; the device only checks for a 200
UPLOAD_BAD = b'{"Result":false}'


def clip(data: bytes) -> str:
    text = repr(data[:RAW_LOG_BYTES])
    return text + f" ... ({len(data)} bytes)" if len(data) > RAW_LOG_BYTES else text


class Settings(DriverSettings):
    host: str = Field("127.0.0.1", description="Device address (pull mode)")
    port: int = Field(80, ge=1, le=65535, description="Device HTTP port (pull mode)")
    scheme: Literal["http", "https"] = Field("http", description="http or https")
    verify_tls: bool = Field(True, description="Check the device's TLS certificate (https)")
    username: str = Field("admin", description="Device user; its password is the device's credential")
    mode: Literal["pull", "push", "both"] = Field("pull", description="Attach stream, HTTP upload, or both")
    codes: list[str] = Field(default_factory=lambda: list(DEFAULT_CODES), description="Event codes to attach")
    heartbeat_s: int = Field(5, ge=1, le=300, description="Heartbeat the device sends; 3 missed = reconnect")
    listen_host: str = Field("127.0.0.1", description="Push listener address (shared with other drivers)")
    listen_port: int = Field(8088, ge=0, le=65535, description="Push listener port; 0 picks a free one")
    push_auth: Literal["none", "basic", "digest"] = Field(
        "none", description="Authentication demanded of uploads (username + the device credential)"
    )
    utc_field_is_local: bool = Field(
        False, description="The firmware puts local wall-clock time in the UTC field (common); see timezone"
    )
    timezone: str = Field("Asia/Shanghai", description="Device time zone when utc_field_is_local")
    door_direction: dict[str, Direction] = Field(
        default_factory=dict,
        description="Direction of a door / reader:N / lane:N when the event does not say (turnstiles)",
    )
    reconnect_initial_s: float = Field(1.0, gt=0, description="First reconnect delay; doubles per failure")
    reconnect_max_s: float = Field(60.0, gt=0, description="Longest reconnect delay")
    auth_backoff_s: float = Field(300.0, gt=0, description="Delay after a refused password (no 401 storm)")
    connect_timeout_s: float = Field(10.0, gt=0, description="TCP connect and response-header timeout")
    bad_parts_degraded: int = Field(3, ge=1, description="This many bad parts within bad_parts_window_s …")
    bad_parts_window_s: float = Field(60.0, gt=0, description="… report the device DEGRADED")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("codes")
    @classmethod
    def _codes(cls, value: list[str]) -> list[str]:
        for code in value:
            if not code or not code.isalnum():
                raise ValueError(f"event code {code!r} must be letters and digits")
        return value


class AuthRefused(Exception):
    """The device answered 401 to our credentials."""


class StreamBroken(Exception):
    """The attach stream failed in a way worth a reconnect (bad status, stall, not multipart)."""


class DahuaDriver:
    """One Dahua device. ``stats`` counts parts, events and rejects; ``stream_up`` is set while attached."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.stats: Counter[str] = Counter()
        self.stream_up = False
        self.push_port: int | None = None
        self._ctx: DriverContext | None = None
        self._opts: MapOptions | None = None
        self._bad: deque[float] = deque()
        self._state: tuple[HealthState, str] | None = None
        self._unknown_codes: set[str] = set()
        self._rng = random.Random()

    # -- driver protocol ----------------------------------------------------------------------------
    async def command(self, name: str, args: Mapping[str, Any]) -> Any:
        if name == "status":
            return {"stream_up": self.stream_up, "push_port": self.push_port, "stats": dict(self.stats)}
        raise ValueError(f"the Dahua driver has no command {name!r}")

    async def run(self, ctx: DriverContext) -> None:
        self._ctx = ctx
        self._opts = MapOptions(
            device_id=ctx.device.id, utc_field_is_local=self.settings.utc_field_is_local,
            timezone=self.settings.timezone, door_direction=dict(self.settings.door_direction),
            points=dict(ctx.device.points),
        )
        password = ctx.secret(ctx.device.credential) if ctx.device.credential else None
        listener = None
        registration = None
        try:
            if self.settings.mode in ("push", "both"):
                listener = await acquire_listener(self.settings.listen_host, self.settings.listen_port)
                self.push_port = listener.port
                scheme = self.settings.push_auth
                auth = PushAuth(scheme, self.settings.username, password) if scheme != "none" else PushAuth()
                registration = listener.register(f"/push/{ctx.device.id}/", self._on_push, auth)
                log.info("Dahua %s: receiving uploads on %s:%d/push/%s/", ctx.device.id,
                         self.settings.listen_host, listener.port, ctx.device.id)
            if self.settings.mode in ("pull", "both"):
                await self._pull_forever(password)
            else:
                self._health(HealthState.ONLINE, f"waiting for uploads on port {self.push_port}")
                await asyncio.get_running_loop().create_future()  # until the host cancels us
        finally:
            self.stream_up = False
            if registration is not None:
                registration.close()
            if listener is not None:
                await listener.release()

    # -- health -------------------------------------------------------------------------------------
    def _health(self, state: HealthState, reason: str) -> None:
        assert self._ctx is not None
        if self._state != (state, reason):
            self._state = (state, reason)
            self._ctx.set_health(state, reason)

    def _bad_part(self, why: str, raw: bytes) -> None:
        self.stats["bad_parts"] += 1
        log.warning("Dahua %s: %s: raw=%s", self._device, why, clip(raw))
        now = time.monotonic()
        self._bad.append(now)
        self._refresh_health()

    def _refresh_health(self) -> None:
        now = time.monotonic()
        while self._bad and now - self._bad[0] > self.settings.bad_parts_window_s:
            self._bad.popleft()
        if self.settings.mode != "push" and not self.stream_up:
            return  # while the stream is down the reconnect loop owns the health (OFFLINE)
        where = "attach stream up" if self.stream_up else f"waiting for uploads on port {self.push_port}"
        if len(self._bad) >= self.settings.bad_parts_degraded:
            self._health(HealthState.DEGRADED, f"{where}; {len(self._bad)} unreadable parts recently")
        else:
            self._health(HealthState.ONLINE, where)

    def _ctx_credential(self) -> str | None:
        return self._ctx.device.credential if self._ctx is not None else None

    @property
    def _device(self) -> str:
        return self._ctx.device.id if self._ctx is not None else "?"

    # -- pull ---------------------------------------------------------------------------------------
    def _url(self) -> URL:
        s = self.settings
        codes = ",".join(s.codes)
        # Dahua wants the brackets and commas literally; an encoded query would not match its parser.
        query = f"action=attach&codes=[{codes}]&heartbeat={s.heartbeat_s}"
        return URL.build(scheme=s.scheme, host=s.host, port=s.port, path="/cgi-bin/eventManager.cgi",
                         query_string=query, encoded=True)

    def _delay(self, attempt: int) -> float:
        s = self.settings
        base = min(s.reconnect_max_s, s.reconnect_initial_s * 2 ** max(0, attempt - 1))
        return base * (1 + self._rng.uniform(-0.2, 0.2))

    async def _pull_forever(self, password: str | None) -> None:
        s = self.settings
        middlewares = (aiohttp.DigestAuthMiddleware(s.username, password),) if password is not None else ()
        timeout = aiohttp.ClientTimeout(total=None, connect=s.connect_timeout_s,
                                        sock_connect=s.connect_timeout_s, sock_read=None)
        connector = aiohttp.TCPConnector(ssl=s.verify_tls, limit=2)
        session = aiohttp.ClientSession(middlewares=middlewares, timeout=timeout, connector=connector)
        async with session:
            attempt = 0
            while True:
                self.stats["connects"] += 1
                parts_before = self.stats["parts"]
                try:
                    reason = await self._attach(session)
                    delay_kind = "normal"
                except AuthRefused:
                    reason, delay_kind = "authentication failed", "auth"
                    if password is None:
                        reason += f" (no password: credential {self._ctx_credential()!r} not found)"
                except StreamBroken as exc:
                    reason, delay_kind = str(exc), "normal"
                except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                    reason, delay_kind = f"{type(exc).__name__}: {exc}".rstrip(": "), "normal"
                _raise_if_cancelling()
                self.stream_up = False
                attempt = 1 if self.stats["parts"] > parts_before else attempt + 1
                delay = s.auth_backoff_s if delay_kind == "auth" else self._delay(attempt)
                self.stats[f"disconnect_{delay_kind}"] += 1
                log.warning("Dahua %s: %s; reconnecting in %.1f s", self._device, reason, delay)
                self._health(HealthState.OFFLINE, f"{reason}; reconnecting in {delay:.1f} s")
                await asyncio.sleep(delay)

    async def _attach(self, session: aiohttp.ClientSession) -> str:
        """One attach session; returns (or raises) why it ended."""
        s = self.settings
        loop = asyncio.get_running_loop()
        async with session.get(self._url(), headers={"Accept": "multipart/x-mixed-replace"}) as resp:
            if resp.status == 401:
                raise AuthRefused()
            if resp.status != 200:
                body = await asyncio.wait_for(resp.content.read(RAW_LOG_BYTES), s.connect_timeout_s)
                raise StreamBroken(f"HTTP {resp.status} from eventManager: {clip(body)}")
            content_type = resp.headers.get("Content-Type", "")
            if not content_type.lower().startswith("multipart/"):
                body = await asyncio.wait_for(resp.content.read(RAW_LOG_BYTES), s.connect_timeout_s)
                raise StreamBroken(f"not a multipart stream ({content_type!r}): {clip(body)}")
            boundary = boundary_from_content_type(content_type)
            if boundary is None:
                log.warning("Dahua %s: no boundary in %r; assuming %r", self._device, content_type,
                            DEFAULT_BOUNDARY)
            splitter = MultipartSplitter(boundary)
            self.stream_up = True
            self._refresh_health()
            window = 3 * s.heartbeat_s
            deadline = loop.time() + window
            while True:
                remaining = deadline - loop.time()
                try:
                    if remaining <= 0:
                        raise TimeoutError
                    async with asyncio.timeout(remaining):  # not wait_for: it can swallow a cancel on 3.11
                        chunk = await resp.content.readany()
                except TimeoutError:
                    self.stats["stalls"] += 1
                    raise StreamBroken(f"no heartbeat or event for {window} s") from None
                if not chunk:
                    await self._handle_items(splitter.eof())
                    return "the device closed the stream"
                _raise_if_cancelling()
                self.stats["bytes"] += len(chunk)
                if await self._handle_items(splitter.feed(chunk)):
                    deadline = loop.time() + window

    async def _handle_items(self, items: Iterable[Any]) -> bool:
        """Process the parts of one read in order; True when at least one whole part arrived (liveness).

        Their events are stored together, with one commit wait for the read rather than one per part."""
        any_part = False
        pending: list[ParsedBody] = []
        for item in items:
            if isinstance(item, Garbage):
                self.stats["garbage_bytes"] += item.size
                self._bad_part(f"{item.size} bytes {item.reason}", item.sample)
                if item.reason == FOREIGN_BOUNDARY:  # PROTOCOLS.md §5.6: reset the stream and reconnect
                    await self._ingest(pending)
                    raise StreamBroken("the multipart boundary changed mid-stream")
                continue
            any_part = True
            self.stats["parts"] += 1
            if item.content_type.lower().startswith("image/"):  # snapshots ride some streams; not events
                self.stats["images_skipped"] += 1
                continue
            parsed = parse_event_text(item.body)
            if parsed.heartbeat:
                self.stats["heartbeats"] += 1
                if self._bad:  # a quiet but healthy stream lets DEGRADED expire
                    self._refresh_health()
                continue
            if not parsed.records and not parsed.errors:
                continue
            pending.append(parsed)
        await self._ingest(pending)
        return any_part

    # -- shared -------------------------------------------------------------------------------------
    def _events(self, parsed: ParsedBody) -> list[DeviceEvent]:
        """The console events of the records; unreadable records are reported (WARNING) and skipped."""
        assert self._opts is not None
        for error in parsed.errors:
            self._bad_part(error.reason, error.raw)
        events: list[DeviceEvent] = []
        for record in parsed.records:
            self.stats["records"] += 1
            mapped = map_record(record, self._opts)
            if not mapped and record.code not in self._unknown_codes:
                self._unknown_codes.add(record.code)
                log.info("Dahua %s: ignoring event code %s (first seen: %s)", self._device, record.code,
                         clip(record.raw))
            events.extend(mapped)
        return events

    async def _ingest(
        self, pending: Sequence[ParsedBody], pictures: Sequence[tuple[str, bytes]] = ()
    ) -> None:
        """Store every event of the records of ``pending`` (in order, one commit wait); raises if the store
        fails. ``pictures`` come with an upload and are named in each of its events."""
        assert self._ctx is not None
        events = [event for parsed in pending for event in self._events(parsed)]
        if events and pictures:
            events = await self._with_pictures(events, pictures)
        if events:
            await asyncio.gather(*(self._ctx.ingest(event) for event in events))
            self.stats["events"] += len(events)
        if any(parsed.records and not parsed.errors for parsed in pending):
            self._refresh_health()

    async def _with_pictures(self, events: list[DeviceEvent],
                             pictures: Sequence[tuple[str, bytes]]) -> list[DeviceEvent]:
        """Save the upload's pictures and name them in every event's GatePayload.pictures."""
        assert self._ctx is not None
        vehicle = any(e.payload.get("subject_kind") == "vehicle" for e in events)
        saved: list[str] = []
        for content_type, data in pictures:
            suffix = ".png" if "png" in content_type else ".jpg"
            try:
                saved.append(await self._ctx.save_file("plate" if vehicle else "face", data, suffix))
            except (OSError, RuntimeError) as exc:  # the event matters more than its picture
                self.stats["pictures_failed"] += 1
                log.warning("Dahua %s: could not save a %d-byte picture: %s", self._device, len(data), exc)
        if not saved:
            return events
        self.stats["pictures"] += len(saved)
        return [replace(e, payload={**e.payload, "pictures": [*e.payload.get("pictures", ()), *saved]})
                for e in events]

    # -- push ---------------------------------------------------------------------------------------
    async def _on_push(self, request: PushRequest) -> PushReply:
        self.stats["uploads"] += 1
        headers = {k.lower(): v for k, v in request.headers.items()}
        body = request.body
        pictures: list[tuple[str, bytes]] = []
        if request.parts:  # multipart upload: the event is the JSON / text part, pictures ride along
            kinds = [(p.content_type.lower(), p) for p in request.parts]
            texts = [p.data for kind, p in kinds if "json" in kind or kind.startswith("text/")]
            body = texts[0] if texts else b""
            pictures = [(kind, p.data) for kind, p in kinds if kind.startswith("image/")]
        try:
            parsed = parse_upload(decode_body(body, headers.get("content-encoding")))
        except UploadError as exc:
            self.stats["uploads_rejected"] += 1
            self._bad_part(f"upload from {request.peer} refused ({exc})", request.body)
            return PushReply(400, UPLOAD_BAD, "application/json")
        try:
            await self._ingest([parsed], pictures)
        except Exception:  # not durable: a 503 makes the device send it again
            self.stats["store_failed"] += 1
            log.error("Dahua %s: could not store an upload; answering 503: raw=%s", self._device, clip(body),
                      exc_info=True)
            return PushReply(503, UPLOAD_BAD, "application/json")
        return PushReply(200, UPLOAD_OK, "application/json")


def _raise_if_cancelling() -> None:
    """Re-raise a cancellation that a library turned into a connection error (or that Python 3.11's
    wait_for dropped when its inner read completed at the same moment); the host must be able to stop us."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


def create(settings: Settings) -> DahuaDriver:
    return DahuaDriver(settings)
