"""httpHosts push: the device POSTs event_log JSON / anpr.xml (+ JPEGs) to our shared listener route."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import TYPE_CHECKING

from drivers.base import DeviceEvent, DriverContext, HealthState
from drivers.gates.hikvision.events import DecodeError, Ignored, decode_body, picture_category
from drivers.gates.push.listener import PushAuth, PushReply, PushRequest, acquire_listener

if TYPE_CHECKING:
    from drivers.gates.hikvision.driver import HikvisionDriver, StoreMany

log = logging.getLogger(__name__)
_EVENT_NAMES = ("event_log", "anpr.xml", "accesscontrollerevent", "eventnotificationalert", "event")
_RAW_SHOWN = 200
_OK = PushReply(200, b"OK")


def route_for(device_id: str) -> str:
    return f"/push/{device_id}/"


def _is_event_part(name: str | None, filename: str | None, content_type: str) -> bool:
    label = (name or filename or "").lower()
    return label in _EVENT_NAMES or "json" in content_type or "xml" in content_type


async def handle_push(driver: HikvisionDriver, request: PushRequest,
                      store: StoreMany | None = None) -> PushReply:
    """Decode one push, store its pictures and events durably (through ``store`` when given: the
    listener's batcher), and only then answer 200."""
    assert driver._decode is not None
    driver.stats["push_requests"] += 1
    if request.method != "POST":
        return _OK  # a device probing the URL (GET/HEAD) just needs a live answer
    if request.parts:
        bodies = [p for p in request.parts if _is_event_part(p.name, p.filename, p.content_type)]
        pictures = [p for p in request.parts if p.content_type.startswith("image/")]
        if not bodies:
            log.warning("Hikvision push from %s without an event part: parts=%s", request.peer,
                        [(p.name, p.filename, p.content_type) for p in request.parts])
            driver.stats["push_bad"] += 1
            return PushReply(400, b"no event part\n")
        body, content_type = bodies[0].data, bodies[0].content_type
    else:
        body, content_type, pictures = request.body, request.content_type, []
    try:
        decoded = decode_body(content_type, body, driver._decode)
    except DecodeError as exc:
        driver.stats["push_bad"] += 1
        log.warning("Hikvision push from %s not understood (%s): raw=%r", request.peer, exc,
                    body[:_RAW_SHOWN])
        # A retry would not make it readable: say so instead of inviting the device to resend forever.
        return PushReply(400, b"not understood\n")
    if isinstance(decoded, Ignored):
        driver.stats[f"ignored_{decoded.reason}"] += 1
        return _OK
    kind = decoded.picture_kind
    files = [(picture_category(p.filename or p.name, kind, i), p.data) for i, p in enumerate(pictures)]
    saved = await driver._save_pictures(tuple(files)) if files else ()
    await driver._ingest_batch([(decoded, saved)], "push_events", store)  # durable before the 200 below
    return _OK


async def serve_push(driver: HikvisionDriver, ctx: DriverContext, password: str | None) -> None:
    """Register the device's route on the shared listener and keep it until the driver stops."""
    settings = driver.settings
    auth = PushAuth("digest", settings.username, password) if password else PushAuth()
    listener = await acquire_listener(settings.listen_host, settings.listen_port)
    try:

        def store(events: list[DeviceEvent]) -> Awaitable[list[int]]:
            return listener.batcher.ingest(ctx, events)

        async def handler(request: PushRequest) -> PushReply:
            return await handle_push(driver, request, store)

        registration = listener.register(route_for(ctx.device.id), handler, auth)
        driver.push_port = listener.port
        log.info("Hikvision %s push route %s on %s:%d", ctx.device.id, route_for(ctx.device.id),
                 settings.listen_host, listener.port)
        if settings.mode == "push":
            ctx.set_health(HealthState.ONLINE, f"push on {settings.listen_host}:{listener.port}")
        try:
            await asyncio.get_running_loop().create_future()  # until the host cancels the driver
        finally:
            registration.close()
    finally:
        driver.push_port = None
        await listener.release()
