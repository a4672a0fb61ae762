"""Hikvision ISAPI gate driver: alertStream pull with Digest auth, AcsEvent back-fill and httpHosts push."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import re
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiohttp
from pydantic import Field, field_validator, model_validator

from drivers.base import DeviceEvent, DriverContext, DriverSettings, HealthState, utc_now
from drivers.gates.hikvision.assembly import PictureAssembler, Ready
from drivers.gates.hikvision.backfill import BackfillError, search_pages
from drivers.gates.hikvision.events import (
    DecodeContext,
    Decoded,
    DecodeError,
    Draft,
    Ignored,
    decode_acs_record,
    decode_body,
)
from drivers.gates.hikvision.multipart import (
    MultipartSplitter,
    Part,
    SplitProblem,
    boundary_from_content_type,
)

__all__ = ["HikvisionDriver", "Settings", "create"]

log = logging.getLogger(__name__)
ALERT_STREAM_PATH = "/ISAPI/Event/notification/alertStream"
DEVICE_INFO_PATH = "/ISAPI/System/deviceInfo"
_RAW_SHOWN = 200
_OFFSET = re.compile(r"^(?:UTC)?([+-])(\d{1,2}):?(\d{2})?$")
_SETTLE_S = 0.15  # quiet time after which a part complete by Content-Length is delivered
_PARSE_ERRORS_DEGRADED = 5  # this many bad parts in a row on one stream → DEGRADED
# Queues events when called (in call order); the awaitable resolves with their ids once they are durable.
StoreMany = Callable[[list[DeviceEvent]], Awaitable[list[int]]]


def parse_timezone(text: str) -> tzinfo:
    """``Asia/Shanghai``, ``UTC`` or a fixed offset such as ``+08:00``."""
    match = _OFFSET.match(text.strip())
    if match:
        sign = -1 if match.group(1) == "-" else 1
        delta = timedelta(hours=int(match.group(2)), minutes=int(match.group(3) or 0))
        return timezone(sign * delta)
    try:
        return ZoneInfo(text.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {text!r} (use e.g. Asia/Shanghai or +08:00)") from None


class Settings(DriverSettings):
    host: str = Field("127.0.0.1", description="Device address")
    port: int = Field(80, ge=0, le=65535, description="Device HTTP(S) port")
    scheme: Literal["http", "https"] = Field("http", description="http, or https for TLS firmware")
    verify_tls: bool = Field(True, description="Check the device certificate (https only)")
    username: str = Field("admin", min_length=1, description="ISAPI user; the password is the credential")
    mode: Literal["pull", "push", "both"] = Field("pull", description="alertStream pull, push, or both")
    listen_host: str = Field("127.0.0.1", description="Push listener address (shared by push drivers)")
    listen_port: int = Field(8088, ge=0, le=65535, description="Push listener port")
    timezone: str = Field("Asia/Shanghai", description="Device time zone when its dateTime has no offset")
    backfill: bool = Field(True, description="Search AcsEvent after every (re)connect to close the gap")
    backfill_max_hours: float = Field(24.0, gt=0, le=24 * 31, description="How far back a back-fill goes")
    reconnect_min_s: float = Field(1.0, gt=0, description="First reconnect delay")
    reconnect_max_s: float = Field(60.0, gt=0, description="Longest reconnect delay")
    auth_retry_s: float = Field(300.0, gt=0, description="Wait after a refused password before trying again")
    read_timeout_s: float = Field(90.0, gt=0, description="A stream silent this long is dead (keep-alives)")
    picture_wait_s: float = Field(2.0, gt=0, description="How long an event waits for its JPEG parts")
    request_timeout_s: float = Field(15.0, gt=0, description="Timeout of one search or info request")
    door_direction: dict[str, Literal["in", "out"]] = Field(
        default_factory=dict, description='Door / lane number → direction, e.g. {"1": "in", "2": "out"}'
    )

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        parse_timezone(value)
        return value

    @model_validator(mode="after")
    def _bounds(self) -> Settings:
        if self.reconnect_max_s < self.reconnect_min_s:
            raise ValueError("reconnect_max_s must be ≥ reconnect_min_s")
        return self


class AuthFailed(Exception):
    """The device refused our credentials (401 after the Digest handshake)."""


class StreamEnded(Exception):
    """The alertStream ended or became unusable; reconnect."""


def _serial(row: Mapping[str, Any]) -> int:
    value = row.get("serialNo")
    if isinstance(value, int):
        return value
    return int(value) if isinstance(value, str) and value.isdigit() else 0


def _show(raw: bytes) -> str:
    return repr(raw[:_RAW_SHOWN]) + ("…" if len(raw) > _RAW_SHOWN else "")


class HikvisionDriver:
    """One Hikvision device. ``stats`` counts parts, events and problems; ``requests`` counts HTTP
    requests we sent (both for ``command("status")`` and for tests)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.stats: Counter[str] = Counter()
        self.newest_device_time: datetime | None = None  # where the next back-fill starts
        self.device_offset: timedelta | None = None  # the device's UTC offset, learned from its dateTime
        self.device_info: dict[str, str] = {}
        self.stream_up = asyncio.Event()
        self.push_port: int | None = None
        self._tz = parse_timezone(settings.timezone)
        self._ctx: DriverContext | None = None
        self._decode: DecodeContext | None = None
        self._backfill_supported = True
        self._health: tuple[HealthState, str] = (HealthState.UNKNOWN, "")
        self._rng = random.Random()
        self._ingest_lock = asyncio.Lock()
        self._pushed: asyncio.Future[list[int]] | None = None  # the last push events handed to the batcher

    # -- driver protocol ----------------------------------------------------------------------------
    async def command(self, name: str, args: Mapping[str, Any]) -> Any:
        if name == "status":
            return {
                "mode": self.settings.mode, "health": self._health[0].value, "reason": self._health[1],
                "stream_up": self.stream_up.is_set(), "push_port": self.push_port,
                "newest_device_time": newest.isoformat() if (newest := self.newest_device_time) else None,
                "backfill_supported": self._backfill_supported, "device": dict(self.device_info),
                "stats": dict(self.stats),
            }
        raise ValueError(f"the Hikvision driver has no command {name!r}")

    async def run(self, ctx: DriverContext) -> None:
        self._ctx = ctx
        self._decode = DecodeContext(ctx.device.id, self._tz, dict(self.settings.door_direction),
                                     dict(ctx.device.points))
        password = self._password(ctx)
        # A task group, so that if one half fails the other stops too before the host restarts us.
        async with asyncio.TaskGroup() as group:
            if self.settings.mode in ("pull", "both"):
                group.create_task(self._pull_forever(password), name=f"hik-pull:{ctx.device.id}")
            if self.settings.mode in ("push", "both"):
                group.create_task(self._push_forever(password), name=f"hik-push:{ctx.device.id}")

    def _password(self, ctx: DriverContext) -> str | None:
        name = ctx.device.credential
        if not name:
            log.warning("Hikvision %s has no credential configured; talking to it without a password",
                        ctx.device.id)
            return None
        secret = ctx.secret(name)
        if secret is None:
            log.warning("Hikvision %s: credential %r not found", ctx.device.id, name)
        return secret

    def _set_health(self, state: HealthState, reason: str) -> None:
        if (state, reason) != self._health:
            self._health = (state, reason)
            assert self._ctx is not None
            self._ctx.set_health(state, reason)

    # -- pull ---------------------------------------------------------------------------------------
    def _url(self, path: str) -> str:
        s = self.settings
        return f"{s.scheme}://{s.host}:{s.port}{path}"

    @contextlib.asynccontextmanager
    async def _client(self, password: str | None) -> AsyncIterator[aiohttp.ClientSession]:
        middlewares = (aiohttp.DigestAuthMiddleware(self.settings.username, password),) if password else ()
        connector = aiohttp.TCPConnector(ssl=None if self.settings.verify_tls else False)
        async with aiohttp.ClientSession(connector=connector, middlewares=middlewares) as session:
            yield session

    async def _pull_forever(self, password: str | None) -> None:
        loop = asyncio.get_running_loop()
        attempt = 0
        while True:
            started = loop.time()
            try:
                async with self._client(password) as session:
                    await self._pull_once(session)
                reason = "alertStream ended"
            except AuthFailed:
                # Our middleware already retried once with a fresh nonce: the password is wrong. Retrying
                # fast would only lock the account on the device, so wait long and say why.
                self.stats["auth_failed"] += 1
                assert self._ctx is not None
                log.warning("Hikvision %s refused user %r: authentication failed; next try in %.0f s",
                            self._ctx.device.id, self.settings.username, self.settings.auth_retry_s)
                self._set_health(HealthState.OFFLINE, "authentication failed")
                await asyncio.sleep(self.settings.auth_retry_s)
                continue
            except (StreamEnded, aiohttp.ClientError, OSError, TimeoutError) as exc:
                reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            finally:
                self.stream_up.clear()
            attempt = 1 if loop.time() - started > 60 else attempt + 1
            delay = min(self.settings.reconnect_max_s, self.settings.reconnect_min_s * 2 ** (attempt - 1))
            delay *= 1 + self._rng.uniform(-0.2, 0.2)
            self.stats["reconnects"] += 1
            log.info("Hikvision alertStream: %s; reconnecting in %.1f s", reason, delay)
            self._set_health(HealthState.OFFLINE, f"reconnecting: {reason}")
            await asyncio.sleep(delay)

    async def _request(self, session: aiohttp.ClientSession, method: str, path: str,
                       body: bytes | None = None) -> tuple[int, bytes]:
        self.stats["requests"] += 1
        timeout = aiohttp.ClientTimeout(total=self.settings.request_timeout_s)
        headers = {"Content-Type": "application/json"} if body is not None else None
        async with session.request(method, self._url(path), data=body, headers=headers,
                                   timeout=timeout) as resp:
            raw = await resp.read()
            if resp.status == 401:
                raise AuthFailed()
            return resp.status, raw

    async def _pull_once(self, session: aiohttp.ClientSession) -> None:
        await self._read_device_info(session)
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=self.settings.request_timeout_s)
        self.stats["requests"] += 1
        async with session.get(self._url(ALERT_STREAM_PATH), timeout=timeout) as resp:
            if resp.status == 401:
                raise AuthFailed()
            if resp.status != 200:
                raise StreamEnded(f"alertStream answered HTTP {resp.status}")
            content_type = resp.headers.get("Content-Type", "")
            boundary = boundary_from_content_type(content_type)
            if boundary is None:
                log.warning("Hikvision alertStream without a boundary: Content-Type %r", content_type)
                self.stats["no_boundary"] += 1
                raise StreamEnded("no multipart boundary")
            opened = utc_now()
            self.stats["connects"] += 1
            self.stream_up.set()
            self._set_health(HealthState.ONLINE, "alertStream")
            # Back-fill up to the moment the stream opened, while the stream buffers what happens
            # meanwhile; what both carry is de-duplicated by serialNo, so an outage leaves neither a gap
            # nor a duplicate, and events after the opening keep the pictures only the stream carries.
            await self._backfill(session, opened)
            await self._consume(resp, MultipartSplitter(boundary))

    async def _read_device_info(self, session: aiohttp.ClientSession) -> None:
        try:
            status, raw = await self._request(session, "GET", DEVICE_INFO_PATH)
        except AuthFailed:
            raise
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise StreamEnded(f"deviceInfo: {exc or type(exc).__name__}") from None
        if status == 200:
            self.device_info = dict(re.findall(r"<(deviceName|model|serialNumber|firmwareVersion)>([^<]*)<",
                                               raw.decode("utf-8", "replace")))

    async def _consume(self, resp: aiohttp.ClientResponse, splitter: MultipartSplitter) -> None:
        assembler = PictureAssembler()
        bad_in_row = 0
        while True:
            if splitter.settleable:
                wait = _SETTLE_S  # a part complete by its length: deliver it if nothing else comes
            elif assembler.waiting:
                wait = self.settings.picture_wait_s
            else:
                wait = self.settings.read_timeout_s
            try:
                # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel that arrives with data.
                async with asyncio.timeout(wait):
                    chunk = await resp.content.readany()
            except TimeoutError:
                if splitter.settleable:
                    bad_in_row = await self._on_items(splitter.settle(), assembler, bad_in_row)
                elif assembler.waiting:
                    self.stats["pictures_timeout"] += 1
                    await self._ingest_ready(assembler.flush())
                else:
                    raise StreamEnded(f"no data for {self.settings.read_timeout_s:g} s") from None
                continue
            if not chunk:
                await self._on_items(splitter.eof(), assembler, bad_in_row)
                await self._ingest_ready(assembler.flush())
                raise StreamEnded("the device closed the alertStream")
            self.stats["bytes"] += len(chunk)
            bad_in_row = await self._on_items(splitter.feed(chunk), assembler, bad_in_row)

    async def _on_items(self, items: list[Part | SplitProblem], assembler: PictureAssembler,
                        bad_in_row: int) -> int:
        """Handle what the splitter produced from one read; returns the new count of bad parts in a row.

        The events of one read are stored together (one commit wait, not one per event): a busy turnstile
        bank sends dozens of parts per read, and waiting for each part's own commit capped the stream at the
        commit rate."""
        ready: list[Ready] = []
        for item in items:
            if isinstance(item, SplitProblem):
                self._problem(item)
                if item.fatal:
                    await self._ingest_ready([*ready, *assembler.flush()])
                    raise StreamEnded(f"multipart {item.reason}")
                continue
            ok = self._on_part(item, assembler, ready)
            bad_in_row = 0 if ok else bad_in_row + 1
            if bad_in_row == _PARSE_ERRORS_DEGRADED:
                self._set_health(HealthState.DEGRADED, f"alertStream: {bad_in_row} bad parts in a row")
            elif ok and self._health[0] is HealthState.DEGRADED and self.stream_up.is_set():
                self._set_health(HealthState.ONLINE, "alertStream")
        await self._ingest_ready(ready)
        return bad_in_row

    def _problem(self, problem: SplitProblem) -> None:
        self.stats[f"multipart_{problem.reason}"] += 1
        log.warning("Hikvision alertStream %s (%s): raw=%s", problem.reason, problem.detail,
                    _show(problem.raw))

    def _on_part(self, part: Part, assembler: PictureAssembler, ready: list[Ready]) -> bool:
        """Handle one part, adding what is complete to ``ready``; False when it could not be understood."""
        self.stats["parts"] += 1
        if part.length_mismatch:
            log.info("Hikvision part with a wrong Content-Length (%s, %d bytes by boundary)",
                     part.headers.get("content-length"), len(part.data))
        if part.content_type.startswith("image/"):
            done = assembler.picture(part.filename, part.data)
            if not done and not assembler.waiting:
                self.stats["stray_pictures"] += 1
            ready += done
            return True
        assert self._decode is not None
        try:
            decoded = decode_body(part.content_type, part.data, self._decode)
        except DecodeError as exc:
            self.stats["bad_parts"] += 1
            log.warning("Hikvision part not understood (%s, %s): raw=%s", part.content_type, exc,
                        _show(part.data))
            return False
        if isinstance(decoded, Ignored):
            self.stats[f"ignored_{decoded.reason}"] += 1
            return True
        ready += assembler.event(decoded)
        return True

    async def _ingest_ready(self, ready: list[Ready]) -> None:
        if ready:
            batch = [(item.decoded, await self._save_pictures(item.pictures)) for item in ready]
            await self._ingest_batch(batch, "stream_events")

    async def _save_pictures(self, pictures: tuple[tuple[str, bytes], ...]) -> tuple[str, ...]:
        assert self._ctx is not None
        saved = []
        for category, data in pictures:
            try:
                saved.append(await self._ctx.save_file(category, data, ".jpg"))
                self.stats["pictures"] += 1
            except Exception as exc:  # a picture we cannot keep must not cost the event itself
                self.stats["pictures_refused"] += 1
                log.warning("Hikvision picture (%s, %d bytes) not stored: %s", category, len(data), exc)
        return tuple(saved)

    async def _ingest_batch(self, batch: list[tuple[Decoded, tuple[str, ...]]], counter: str,
                            store: StoreMany | None = None) -> None:
        """Store the events of several decoded parts, in order, with one commit wait (through ``store``
        when given: the push listener's batcher)."""
        assert self._ctx is not None
        source = self._ctx.device.id
        drafts: list[tuple[Draft, DeviceEvent]] = []
        for decoded, pictures in batch:
            if decoded.device_offset is not None:
                self.device_offset = decoded.device_offset
            drafts += [(draft, draft.event(source, decoded.raw, pictures)) for draft in decoded.drafts]
        await self._store(drafts, counter, store)

    async def _ingest_page(self, drafts: list[tuple[Draft, Mapping[str, Any]]]) -> None:
        """One search page in one store round trip (a long outage can mean thousands of rows)."""
        assert self._ctx is not None
        source = self._ctx.device.id
        await self._store([(d, d.event(source, json.dumps(dict(row), ensure_ascii=False).encode()))
                           for d, row in drafts], "backfill_events")

    async def _store(self, drafts: list[tuple[Draft, DeviceEvent]], counter: str,
                     store: StoreMany | None = None) -> None:
        assert self._ctx is not None
        if not drafts:
            return
        events = [event for _, event in drafts]
        async with self._ingest_lock:  # stream, back-fill and push events reach the store in order
            if store is not None:
                # The batcher queues them as it is called, and the one writer commits in queue order:
                # the order is kept without holding the lock until they are durable, so the pushes of
                # one busy device over several connections share commits instead of taking turns.
                durable = self._pushed = asyncio.ensure_future(store(events))
            else:
                if self._pushed is not None and not self._pushed.done():
                    # Pushes queued in the batcher reach the store at its next pass: before these.
                    await asyncio.wait([self._pushed])
                many = getattr(self._ctx, "ingest_many", None)
                if many is not None:
                    await many(events)
                else:
                    for event in events:
                        await self._ctx.ingest(event)
                durable = None
        if durable is not None:
            await durable
        self.stats[counter] += len(events)
        for draft, _ in drafts:
            self._seen(draft.device_time)

    def _seen(self, moment: datetime | None) -> None:
        if moment is not None and (self.newest_device_time is None or moment > self.newest_device_time):
            self.newest_device_time = moment

    # -- back-fill ----------------------------------------------------------------------------------
    def _backfill_window(self, end: datetime) -> tuple[datetime, datetime]:
        earliest = end - timedelta(hours=self.settings.backfill_max_hours)
        if self.newest_device_time is None:
            return earliest, end
        # A little overlap: events of the same second as the newest one may not all have been seen.
        return max(earliest, self.newest_device_time - timedelta(seconds=2)), end

    def _offset(self, at: datetime) -> timedelta:
        if self.device_offset is not None:
            return self.device_offset
        return at.astimezone(self._tz).utcoffset() or timedelta(0)

    async def _backfill(self, session: aiohttp.ClientSession, until: datetime) -> None:
        if not self.settings.backfill or not self._backfill_supported:
            return
        assert self._ctx is not None and self._decode is not None
        start, end = self._backfill_window(until)

        async def post(path: str, body: bytes) -> tuple[int, bytes]:
            return await self._request(session, "POST", path, body)

        found = 0
        try:
            async for rows in search_pages(post, start, end, self._offset(end)):
                self.stats["backfill_pages"] += 1
                drafts = []
                for row in rows:
                    try:
                        draft = decode_acs_record(row, self._decode)
                    except DecodeError as exc:
                        self.stats["backfill_bad_rows"] += 1
                        log.warning("Hikvision AcsEvent row not understood (%s): %s", exc,
                                    _show(repr(row).encode()))
                        continue
                    if draft is not None:
                        drafts.append((draft, row))
                drafts.sort(key=lambda d: (d[0].device_time or start, _serial(d[1])))
                await self._ingest_page(drafts)
                found += len(drafts)
        except AuthFailed:
            raise
        except BackfillError as exc:
            if exc.unsupported:
                self._backfill_supported = False
                log.warning("Hikvision %s has no AcsEvent search (%s); live events only", self._ctx.device.id,
                            exc)
                return
            self.stats["backfill_failed"] += 1
            log.warning("Hikvision back-fill failed: %s: raw=%s", exc, _show(exc.raw))
            self._set_health(HealthState.DEGRADED, f"alertStream; back-fill failed: {exc}")
            return
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.stats["backfill_failed"] += 1
            log.warning("Hikvision back-fill failed: %s", exc or type(exc).__name__)
            why = str(exc) or type(exc).__name__
            self._set_health(HealthState.DEGRADED, f"alertStream; back-fill failed: {why}")
            return
        self.stats["backfills"] += 1
        log.info("Hikvision back-fill %s … %s: %d events", start.isoformat(), end.isoformat(), found)

    # -- push ---------------------------------------------------------------------------------------
    async def _push_forever(self, password: str | None) -> None:
        from drivers.gates.hikvision.push import serve_push

        assert self._ctx is not None and self._decode is not None
        await serve_push(self, self._ctx, password)


def create(settings: Settings) -> HikvisionDriver:
    return HikvisionDriver(settings)
