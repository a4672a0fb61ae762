"""The ONVIF adapter the console and the CLI use: probe, PTZ, presets, device time, discovery.

Every function is a coroutine on the caller's loop and returns JSON-able dicts (built from the frozen
result dataclasses below). Sessions are cached per (loop, host, port, user, password) so a held PTZ button
does not re-handshake for every ContinuousMove; ``await close_all()`` closes them all.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from drivers.cameras.onvif.errors import KINDS, OnvifError
from drivers.cameras.onvif.session import (
    EVENTS_NS,
    PTZ_NS,
    OnvifSession,
    device_time_and_offset,
    open_session,
    where_of,
)

__all__ = [
    "KINDS", "OnvifError", "Preset", "ProbeResult", "Profile", "close_all", "device_time", "discover",
    "goto_preset", "presets", "probe", "profiles", "ptz_move", "ptz_status", "ptz_stop", "remove_preset",
    "set_device_time", "set_preset",
]

log = logging.getLogger(__name__)
_STREAM_SETUP = {"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}}
# Errors after which a cached session is worthless (the next call must handshake again).
_DROP_SESSION = frozenset({"auth", "timeout", "unreachable"})


@dataclass(frozen=True, slots=True)
class Profile:
    token: str
    name: str
    encoding: str | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    ptz: bool = False
    stream_uri: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Preset:
    token: str
    name: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class ProbeResult:
    host: str
    port: int
    manufacturer: str | None = None
    model: str | None = None
    firmware: str | None = None
    serial: str | None = None
    hardware_id: str | None = None
    profiles: tuple[Profile, ...] = ()
    main_uri: str | None = None
    sub_uri: str | None = None
    snapshot_uri: str | None = None
    ptz: bool = False
    events: bool = False
    device_time: str | None = None
    clock_offset_s: float | None = None
    warnings: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["profiles"] = [p.to_dict() for p in self.profiles]
        out["warnings"] = list(self.warnings)
        return out


# -- the session cache ---------------------------------------------------------------------------------
_Key = tuple[int, str, int, str, str]
_sessions: dict[_Key, OnvifSession] = {}


def _key(host: str, port: int, user: str, password: str) -> _Key:
    return (id(asyncio.get_running_loop()), host, int(port), user, password)


_opening: dict[_Key, asyncio.Lock] = {}


async def _session(host: str, port: int, user: str, password: str, timeout: float = 10.0) -> OnvifSession:
    key = _key(host, port, user, password)
    loop = asyncio.get_running_loop()
    # One handshake per camera even when calls race (a held PTZ button, a probe meanwhile).
    async with _opening.setdefault(key, asyncio.Lock()):
        cached = _sessions.get(key)
        if cached is not None and not cached.closed and cached.loop is loop:
            return cached
        session = await open_session(host, int(port), user, password, timeout=timeout)
        _sessions[key] = session
        return session


async def _forget(host: str, port: int, user: str, password: str) -> None:
    session = _sessions.pop(_key(host, port, user, password), None)
    if session is not None:
        await session.close()


async def close_all() -> None:
    """Close every cached session that belongs to the running loop (others cannot be closed from here)."""
    loop_id = id(asyncio.get_running_loop())
    for key in [k for k in _sessions if k[0] == loop_id]:
        await _sessions.pop(key).close()
    for key in [k for k in _opening if k[0] == loop_id]:
        del _opening[key]


async def _call(host: str, port: int, user: str, password: str, service: str, operation: str,
                params: dict[str, Any] | None = None) -> Any:
    session = await _session(host, port, user, password)
    try:
        return await session.call(service, operation, params)
    except OnvifError as exc:
        if exc.kind in _DROP_SESSION:
            await _forget(host, port, user, password)
        raise


# -- probe ---------------------------------------------------------------------------------------------
def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _attr(obj: Any, *path: str) -> Any:
    for name in path:
        if obj is None:
            return None
        obj = getattr(obj, name, None)
    return obj


def _profile_of(raw: Any) -> Profile:
    video = _attr(raw, "VideoEncoderConfiguration")
    width, height = _attr(video, "Resolution", "Width"), _attr(video, "Resolution", "Height")
    fps = _attr(video, "RateControl", "FrameRateLimit")
    encoding = _attr(video, "Encoding")
    return Profile(
        token=str(_attr(raw, "token") or ""),
        name=str(_attr(raw, "Name") or ""),
        encoding=_text(encoding),
        width=int(width) if width is not None else None,
        height=int(height) if height is not None else None,
        fps=float(fps) if fps is not None else None,
        ptz=_attr(raw, "PTZConfiguration") is not None,
    )


async def probe(host: str, port: int, user: str, password: str, *, timeout: float = 10.0) -> dict[str, Any]:
    """Identity, profiles with stream URIs, snapshot URI, PTZ/events support and the camera clock."""
    warnings: list[str] = []
    session = await _session(host, port, user, password, timeout)
    try:
        info = await session.call("devicemgmt", "GetDeviceInformation")
        if _attr(info, "Manufacturer") is None and _attr(info, "Model") is None:
            raise OnvifError("malformed", "Device GetDeviceInformation", session.where, "no device identity")
        when, offset = None, None
        try:
            when, offset = device_time_and_offset(await _system_time(session))
        except OnvifError as exc:
            warnings.append(str(exc))
        profiles: list[Profile] = []
        snapshot: str | None = None
        try:
            raw_profiles = await session.call("media", "GetProfiles") or []
        except OnvifError as exc:
            if exc.kind in _DROP_SESSION:
                raise
            warnings.append(str(exc))
            raw_profiles = []
        for raw in raw_profiles:
            profile = _profile_of(raw)
            uri = None
            try:
                reply = await session.call("media", "GetStreamUri",
                                           {"StreamSetup": _STREAM_SETUP, "ProfileToken": profile.token})
                uri = _text(_attr(reply, "Uri"))
            except OnvifError as exc:
                if exc.kind in _DROP_SESSION:
                    raise
                warnings.append(str(exc))
            profiles.append(Profile(**{**profile.to_dict(), "stream_uri": uri}))
        if profiles:
            try:
                reply = await session.call("media", "GetSnapshotUri", {"ProfileToken": profiles[0].token})
                snapshot = _text(_attr(reply, "Uri"))
            except OnvifError as exc:
                if exc.kind in _DROP_SESSION:
                    raise
                warnings.append(str(exc))
    except OnvifError as exc:
        if exc.kind in _DROP_SESSION:
            await _forget(host, port, user, password)
        raise
    main, sub = _main_and_sub(profiles)
    result = ProbeResult(
        host=host, port=int(port),
        manufacturer=_text(_attr(info, "Manufacturer")), model=_text(_attr(info, "Model")),
        firmware=_text(_attr(info, "FirmwareVersion")), serial=_text(_attr(info, "SerialNumber")),
        hardware_id=_text(_attr(info, "HardwareId")),
        profiles=tuple(profiles), main_uri=main, sub_uri=sub, snapshot_uri=snapshot,
        ptz=session.has_service(PTZ_NS) and any(p.ptz for p in profiles),
        events=session.has_service(EVENTS_NS),
        device_time=when.isoformat() if when else None,
        clock_offset_s=offset if offset is not None else session.clock_offset_s,
        warnings=tuple(warnings),
    )
    return result.to_dict()


async def _system_time(session: OnvifSession) -> Any:
    """GetSystemDateAndTime: unauthenticated as ONVIF allows, signed when the camera insists (ipycam)."""
    try:
        return await session.call("devicemgmt", "GetSystemDateAndTime", authless=True)
    except OnvifError as exc:
        if exc.kind != "auth":
            raise
        return await session.call("devicemgmt", "GetSystemDateAndTime")


def _main_and_sub(profiles: list[Profile]) -> tuple[str | None, str | None]:
    """Main = the largest picture with a stream; sub = the smallest other one (the tile wall's stream)."""
    with_uri = [p for p in profiles if p.stream_uri]
    if not with_uri:
        return None, None
    by_size = sorted(with_uri, key=lambda p: (p.width or 0) * (p.height or 0), reverse=True)
    main = by_size[0]
    others = [p for p in by_size[1:] if p.stream_uri != main.stream_uri]
    return main.stream_uri, (others[-1].stream_uri if others else None)


async def profiles(host: str, port: int, user: str, password: str) -> list[dict[str, Any]]:
    """Media profiles without stream URIs (one request): enough to pick a PTZ profile."""
    reply = await _call(host, port, user, password, "media", "GetProfiles")
    return [_profile_of(raw).to_dict() for raw in reply or []]


# -- PTZ -----------------------------------------------------------------------------------------------
def _velocity(pan: float, tilt: float, zoom: float) -> dict[str, Any]:
    return {"PanTilt": {"x": _clamp(pan), "y": _clamp(tilt)}, "Zoom": {"x": _clamp(zoom)}}


def _where(host: str, port: int) -> str:
    return where_of(host, int(port))


def _clamp(value: float) -> float:
    return max(-1.0, min(1.0, float(value)))


async def ptz_move(host: str, port: int, user: str, password: str, profile: str, pan: float, tilt: float,
                   zoom: float, *, seconds: float | None = None) -> dict[str, Any]:
    """ContinuousMove at the given normalised velocity; with ``seconds``, sleep that long then Stop."""
    velocity = _velocity(pan, tilt, zoom)
    await _call(host, port, user, password, "ptz", "ContinuousMove",
                {"ProfileToken": profile, "Velocity": velocity})
    result: dict[str, Any] = {"profile": profile, "pan": velocity["PanTilt"]["x"],
                              "tilt": velocity["PanTilt"]["y"], "zoom": velocity["Zoom"]["x"],
                              "seconds": seconds, "stopped": False}
    if seconds is not None:
        try:
            await asyncio.sleep(max(0.0, seconds))
        finally:  # cancelled or not, a timed move must not leave the camera turning
            await asyncio.shield(ptz_stop(host, port, user, password, profile))
        result["stopped"] = True
    return result


async def ptz_stop(host: str, port: int, user: str, password: str, profile: str) -> None:
    await _call(host, port, user, password, "ptz", "Stop",
                {"ProfileToken": profile, "PanTilt": True, "Zoom": True})


async def ptz_status(host: str, port: int, user: str, password: str, profile: str) -> dict[str, Any]:
    reply = await _call(host, port, user, password, "ptz", "GetStatus", {"ProfileToken": profile})
    position = _attr(reply, "Position")
    move = _attr(reply, "MoveStatus")
    if position is None and move is None:
        raise OnvifError("malformed", "PTZ GetStatus", _where(host, port), "no PTZStatus in the reply")

    def num(value: Any) -> float | None:
        return None if value is None else float(value)

    when = _attr(reply, "UtcTime")
    return {
        "pan": num(_attr(position, "PanTilt", "x")), "tilt": num(_attr(position, "PanTilt", "y")),
        "zoom": num(_attr(position, "Zoom", "x")),
        "pan_tilt_status": _text(_attr(move, "PanTilt")), "zoom_status": _text(_attr(move, "Zoom")),
        "error": _text(_attr(reply, "Error")),
        "utc_time": when.isoformat() if isinstance(when, datetime) else _text(when),
    }


async def presets(host: str, port: int, user: str, password: str, profile: str) -> list[dict[str, Any]]:
    reply = await _call(host, port, user, password, "ptz", "GetPresets", {"ProfileToken": profile})
    return [Preset(str(_attr(p, "token") or ""), str(_attr(p, "Name") or "")).to_dict() for p in reply or []]


async def goto_preset(host: str, port: int, user: str, password: str, profile: str, token: str) -> None:
    await _call(host, port, user, password, "ptz", "GotoPreset",
                {"ProfileToken": profile, "PresetToken": token})


async def set_preset(host: str, port: int, user: str, password: str, profile: str, name: str,
                     token: str | None = None) -> str:
    """Save the current position as a preset (or rename/overwrite ``token``); returns the preset token."""
    params: dict[str, Any] = {"ProfileToken": profile, "PresetName": name}
    if token is not None:
        params["PresetToken"] = token
    reply = await _call(host, port, user, password, "ptz", "SetPreset", params)
    value = reply if isinstance(reply, str) else _attr(reply, "PresetToken")
    return str(value if value is not None else token or "")


async def remove_preset(host: str, port: int, user: str, password: str, profile: str, token: str) -> None:
    await _call(host, port, user, password, "ptz", "RemovePreset",
                {"ProfileToken": profile, "PresetToken": token})


# -- device time ---------------------------------------------------------------------------------------
async def device_time(host: str, port: int, user: str, password: str) -> dict[str, Any]:
    session = await _session(host, port, user, password)
    try:
        reply = await _system_time(session)
    except OnvifError as exc:
        if exc.kind in _DROP_SESSION:
            await _forget(host, port, user, password)
        raise
    when, offset = device_time_and_offset(reply)
    if when is None:
        raise OnvifError("malformed", "Device GetSystemDateAndTime", session.where, "no UTCDateTime")
    return {"device_time": when.isoformat(), "offset_s": offset}


async def set_device_time(host: str, port: int, user: str, password: str, when_utc: datetime) -> None:
    """Set the camera clock (manual, UTC); the cached session is dropped since its skew is now stale."""
    when = when_utc.astimezone(UTC) if when_utc.tzinfo else when_utc.replace(tzinfo=UTC)
    params = {
        "DateTimeType": "Manual",
        "DaylightSavings": False,
        "UTCDateTime": {
            "Date": {"Year": when.year, "Month": when.month, "Day": when.day},
            "Time": {"Hour": when.hour, "Minute": when.minute, "Second": when.second},
        },
    }
    try:
        await _call(host, port, user, password, "devicemgmt", "SetSystemDateAndTime", params)
    finally:
        await _forget(host, port, user, password)


# -- discovery -----------------------------------------------------------------------------------------
async def discover(timeout: float = 3.0) -> list[dict[str, Any]]:
    """WS-Discovery probe for NetworkVideoTransmitters plus Hellos heard meanwhile (multicast!)."""
    from drivers.cameras.onvif.discovery import discover as run_discovery

    return [d.to_dict() for d in await run_discovery(timeout)]
