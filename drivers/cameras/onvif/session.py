"""One authenticated ONVIF connection (onvif-zeep-async) with per-operation timeouts and error mapping."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from onvif import ONVIFCamera

from drivers.cameras.onvif.errors import OnvifError, wrap

log = logging.getLogger(__name__)

# The ONVIF service names onvif-zeep-async knows, and how we name them in messages.
SERVICE_TITLES = {"devicemgmt": "Device", "media": "Media", "ptz": "PTZ", "events": "Events",
                  "pullpoint": "PullPoint", "subscription": "Subscription"}
EVENTS_NS = "http://www.onvif.org/ver10/events/wsdl"
PTZ_NS = "http://www.onvif.org/ver20/ptz/wsdl"
MEDIA_NS = "http://www.onvif.org/ver10/media/wsdl"


def where_of(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def utc_of(value: Any) -> datetime | None:
    """The device time in a GetSystemDateAndTime reply (its UTCDateTime), or None when absent."""
    try:
        when = value.UTCDateTime
        date, time = when.Date, when.Time
        return datetime(int(date.Year), int(date.Month), int(date.Day),
                        int(time.Hour), int(time.Minute), int(time.Second), tzinfo=UTC)
    except (AttributeError, TypeError, ValueError):
        return None


class OnvifSession:
    """A camera's ONVIF services, opened once (handshake with clock-skew compensation) and reused.

    Every call goes through ``call`` so each failure becomes an ``OnvifError`` naming the operation.
    ``close`` must be awaited; it closes every aiohttp session the library opened.
    """

    def __init__(self, host: str, port: int, user: str, password: str, *, timeout: float = 10.0) -> None:
        self.host = host
        self.port = int(port)
        self.user = user
        self.password = password
        self.timeout = timeout
        self.where = where_of(host, self.port)
        self.camera: ONVIFCamera | None = None
        self.requests = 0  # operations sent, for tests and "no retry storm" checks
        self._lock = asyncio.Lock()
        self._closed = False
        self.loop = asyncio.get_running_loop()  # aiohttp sessions belong to the loop that made them

    async def open(self) -> OnvifSession:
        """Create the camera object and learn its service addresses (GetServices/GetCapabilities)."""
        async with self._lock:
            if self.camera is not None:
                return self
            # adjust_time: read the camera clock (unauthenticated GetSystemDateAndTime) and sign the
            # WS-UsernameToken in camera time, so a skewed camera clock does not look like a bad password.
            camera = ONVIFCamera(self.host, self.port, self.user, self.password, adjust_time=True)
            try:
                await asyncio.wait_for(camera.update_xaddrs(), self.timeout)
            except BaseException as exc:
                await _quiet_close(camera)
                if isinstance(exc, asyncio.CancelledError):
                    raise
                raise wrap(exc, "Device handshake", self.where) from exc
            self.camera = camera
            return self

    @property
    def clock_offset_s(self) -> float | None:
        """Camera clock minus ours, as measured in the handshake."""
        diff = self.camera.dt_diff if self.camera is not None else None
        return None if diff is None else round(diff.total_seconds(), 3)

    def has_service(self, namespace: str) -> bool:
        return self.camera is not None and bool(self.camera.xaddrs.get(namespace))

    async def service(self, name: str, port_type: str | None = None) -> Any:
        camera = await self._camera()
        title = SERVICE_TITLES.get(name, name)
        try:
            return await camera.create_onvif_service(name, port_type=port_type)
        except Exception as exc:
            raise wrap(exc, f"{title} service", self.where) from exc

    async def call(self, service: str, operation: str, params: Mapping[str, Any] | None = None,
                   *, authless: bool = False, timeout: float | None = None, port_type: str | None = None
                   ) -> Any:
        """Run one SOAP operation; any failure is raised as OnvifError("<Service> <Operation>: ...")."""
        title = f"{SERVICE_TITLES.get(service, service)} {operation}"
        svc = await self.service(service, port_type)
        self.requests += 1
        try:
            method = getattr(svc, f"authless_{operation}" if authless else operation)
            return await asyncio.wait_for(method(dict(params) if params is not None else None),
                                          timeout or self.timeout)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            error = wrap(exc, title, self.where)
            log.debug("ONVIF %s", error)
            raise error from exc

    async def close(self) -> None:
        self._closed = True
        camera, self.camera = self.camera, None
        if camera is not None:
            await _quiet_close(camera)

    @property
    def closed(self) -> bool:
        return self._closed

    async def _camera(self) -> ONVIFCamera:
        if self._closed:
            raise OnvifError("unreachable", "ONVIF session", self.where, "session closed")
        if self.camera is None:
            await self.open()
        assert self.camera is not None
        return self.camera


async def _quiet_close(camera: ONVIFCamera) -> None:
    try:
        await camera.close()
    except Exception as exc:  # closing must never hide the error that made us close
        log.debug("closing ONVIF camera %s: %r", camera.host, exc)


async def open_session(host: str, port: int, user: str, password: str, *, timeout: float = 10.0
                       ) -> OnvifSession:
    session = OnvifSession(host, port, user, password, timeout=timeout)
    try:
        return await session.open()
    except BaseException:
        await session.close()
        raise


def device_time_and_offset(reply: Any) -> tuple[datetime | None, float | None]:
    when = utc_of(reply)
    if when is None:
        return None, None
    return when, round((when - datetime.now(UTC)).total_seconds(), 3)


__all__ = ["EVENTS_NS", "MEDIA_NS", "PTZ_NS", "OnvifError", "OnvifSession", "device_time_and_offset",
           "open_session", "utc_of", "where_of"]
