"""The `cameras.onvif` driver: a camera's PullPoint events stored as camera.motion/tamper/input.

It keeps one subscription alive: pull, renew at 80 % of the term, and after a loss (camera rebooted,
subscription expired, network gone) subscribe again with exponential backoff. Each event is committed
with ``await ctx.ingest`` before the next PullMessages, which is what acknowledges a PullPoint message.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from collections.abc import Mapping
from typing import Any

from pydantic import Field

from drivers.base import DriverContext, DriverSettings, HealthState
from drivers.cameras.onvif.errors import OnvifError
from drivers.cameras.onvif.events import EventMapper, parse_notifications
from drivers.cameras.onvif.pullpoint import PullPointSubscription
from drivers.cameras.onvif.session import OnvifSession, where_of

__all__ = ["OnvifEventsDriver", "Settings", "create"]

log = logging.getLogger(__name__)
_RAW_LOG = 200
# Kinds after which the connection itself is suspect: the next attempt handshakes again.
_REOPEN = frozenset({"auth", "timeout", "unreachable"})


class Settings(DriverSettings):
    host: str = Field(min_length=1, description="Camera ONVIF host name or IP address")
    port: int = Field(80, ge=1, le=65535, description="Camera ONVIF port")
    user: str = Field("admin", description="ONVIF user (the password comes from the device's credential)")
    events: bool = Field(True, description="Subscribe to PullPoint events; off = the driver only idles")
    pull_timeout_s: float = Field(5.0, gt=0, le=60, description="PullMessages long-poll timeout")
    subscription_s: float = Field(60.0, ge=2, le=3600, description="Requested subscription term")
    message_limit: int = Field(100, ge=1, le=1000, description="Messages per PullMessages")
    operation_timeout_s: float = Field(10.0, gt=0, le=120, description="Timeout of each other operation")
    retry_initial_s: float = Field(1.0, gt=0, le=60, description="First delay before subscribing again")
    retry_max_s: float = Field(60.0, gt=0, le=3600, description="Longest delay between attempts")
    unsupported_retry_s: float = Field(600.0, gt=0, description="Retry delay when the camera has no events")


class OnvifEventsDriver:
    """One camera. ``subscribed`` (an asyncio-free flag) and ``stats`` let tests and the host see it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.where = where_of(settings.host, settings.port)
        self.stats: Counter[str] = Counter()
        self.subscribed = False
        self.last_error = ""
        self._session: OnvifSession | None = None
        self._rng = random.Random()

    async def command(self, name: str, args: Mapping[str, Any]) -> Any:
        if name == "status":
            return {"camera": self.where, "subscribed": self.subscribed, "stats": dict(self.stats),
                    "last_error": self.last_error}
        raise ValueError(f"the ONVIF events driver has no command {name!r}")

    async def run(self, ctx: DriverContext) -> None:
        never = asyncio.get_running_loop().create_future()
        if not self.settings.events:
            ctx.set_health(HealthState.ONLINE, "ONVIF events off")
            await never
        credential = ctx.device.credential
        password = ctx.secret(credential) if credential else None
        if password is None:
            ctx.set_health(HealthState.DEGRADED, f"no password for ONVIF events (credential {credential!r})")
            await never
        mapper = EventMapper(ctx.device.id, ctx.device.points)
        attempt = 0
        try:
            while True:
                try:
                    await self._subscribed_session(ctx, str(password), mapper)
                except OnvifError as exc:
                    attempt = 0 if self.subscribed else attempt
                    self.subscribed = False
                    attempt += 1
                    delay = self._after_failure(ctx, exc, attempt)
                    await asyncio.sleep(delay)
        finally:
            self.subscribed = False
            await self._close()

    def _after_failure(self, ctx: DriverContext, exc: OnvifError, attempt: int) -> float:
        self.stats[f"error.{exc.kind}"] += 1
        self.last_error = str(exc)
        if exc.kind == "unsupported":
            ctx.set_health(HealthState.DEGRADED, f"camera offers no PullPoint events: {exc}")
            log.warning("ONVIF events of %s disabled: %s", ctx.device.id, exc)
            return self.settings.unsupported_retry_s
        base = min(self.settings.retry_max_s, self.settings.retry_initial_s * 2 ** (attempt - 1))
        if exc.kind == "auth":
            base = self.settings.retry_max_s  # a wrong password stays wrong: do not hammer the camera
        delay = base * (1 + self._rng.uniform(-0.2, 0.2))
        state = HealthState.OFFLINE if exc.kind in _REOPEN else HealthState.DEGRADED
        ctx.set_health(state, f"{exc}; subscribing again in {delay:.1f} s")
        log.warning("ONVIF events of %s: %s; subscribing again in %.1f s%s", ctx.device.id, exc, delay,
                    f" (reply {exc.raw!r})" if exc.raw else "")
        return delay

    async def _subscribed_session(self, ctx: DriverContext, password: str, mapper: EventMapper) -> None:
        s = self.settings
        if self._session is None or self._session.closed:
            self._session = OnvifSession(s.host, s.port, s.user, password, timeout=s.operation_timeout_s)
        session = self._session
        try:
            await session.open()
            subscription = PullPointSubscription(
                session, subscription_s=s.subscription_s, pull_timeout_s=s.pull_timeout_s,
                message_limit=s.message_limit,
            )
            await subscription.create()
            self.stats["subscriptions"] += 1
            self.subscribed = True
            ctx.set_health(HealthState.ONLINE, f"PullPoint events from {self.where}")
            log.info("ONVIF events of %s: subscribed at %s", ctx.device.id, subscription.address)
            try:
                while True:
                    if subscription.renew_due:
                        await subscription.renew()
                        self.stats["renewals"] += 1
                    reply = await subscription.pull()
                    self.stats["pulls"] += 1
                    await self._store(ctx, mapper, reply)
            except asyncio.CancelledError:
                await asyncio.shield(subscription.unsubscribe())
                raise
        except OnvifError as exc:
            if exc.kind in _REOPEN:
                await self._close()
            raise

    async def _store(self, ctx: DriverContext, mapper: EventMapper, reply: bytes) -> None:
        try:
            notes, problems = parse_notifications(reply)
        except ValueError as exc:
            self.stats["bad_replies"] += 1
            log.warning("ONVIF events of %s: unreadable reply (%s): %r", ctx.device.id, exc, reply[:_RAW_LOG])
            return
        for problem in problems:
            self.stats["bad_messages"] += 1
            log.warning("ONVIF events of %s: %s: %r", ctx.device.id, problem.reason, problem.raw[:_RAW_LOG])
        for note in notes:
            try:
                event = await mapper.event(note)
            except ValueError as exc:
                self.stats["bad_messages"] += 1
                log.warning("ONVIF events of %s: %s: %r", ctx.device.id, exc, note.raw[:_RAW_LOG])
                continue
            if event is None:
                self.stats["ignored"] += 1
                continue
            await ctx.ingest(event)
            self.stats["events"] += 1

    async def _close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()


def create(settings: Settings) -> OnvifEventsDriver:
    return OnvifEventsDriver(settings)
