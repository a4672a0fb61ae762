"""ONVIF cameras for the officers: the add-camera wizard's steps, PTZ with presets, the camera clock check.

Wraps the adapter module that ``drivers.base.load_tool("onvif")`` returns. Its coroutines run on the driver
host's loop (``run_in_loop``); every call here returns a concurrent Future at once, so the GUI never waits.
Permissions are checked (and refusals audited) before anything is sent; every command is audited."""

from __future__ import annotations

import asyncio
import logging
import math
import threading
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from console.config import Camera, Site
from console.domain.events import HealthState
from console.domain.roles import Permission
from console.domain.session import Session
from console.site_writer import NewCamera, append_camera, strip_userinfo, with_camera

from . import audit
from .accounts import Accounts
from .audit import AuditLog
from .credentials import CredentialStore
from .devices import DeviceRegistry

log = logging.getLogger(__name__)

__all__ = ["NewCamera", "OnvifCameras", "OnvifUnavailable", "error_kind", "direction_name"]

# Audit actions (stored verbatim: never rename one that has shipped).
ONVIF_PROBE = "onvif_probe"
PTZ_MOVE = "ptz_move"
PTZ_STOP = "ptz_stop"
PTZ_PRESET = "ptz_preset"
CAMERA_TIME_SET = "camera_time_set"

# Beyond this the camera's burnt-in time and event times no longer match the console's: evidence suffers.
CLOCK_TOLERANCE_S = 5.0
CLOCK_REASON_PREFIX = "camera clock off by "


class OnvifUnavailable(Exception):
    """The ONVIF adapter cannot be used: not installed, or the camera lacks an endpoint or credential."""

    kind = "unsupported"


def error_kind(exc: BaseException) -> str:
    """The adapter's error kind ("auth", "fault", "malformed", "timeout", "unreachable", "unsupported")."""
    kind = getattr(exc, "kind", None)
    if isinstance(kind, str):
        return kind
    if isinstance(exc, TimeoutError | asyncio.TimeoutError):
        return "timeout"
    if isinstance(exc, OSError):
        return "unreachable"
    return "error"


def direction_name(pan: float, tilt: float, zoom: float) -> str:
    """A word for the audit: "up-left", "right", "zoom in", "up+zoom out", or "none"."""
    parts = []
    vertical = "up" if tilt > 0 else "down" if tilt < 0 else ""
    horizontal = "right" if pan > 0 else "left" if pan < 0 else ""
    if vertical or horizontal:
        parts.append("-".join(p for p in (vertical, horizontal) if p))
    if zoom:
        parts.append("zoom in" if zoom > 0 else "zoom out")
    return "+".join(parts) or "none"


@dataclass(frozen=True, slots=True)
class _Target:
    host: str
    port: int
    user: str
    password: str

    def args(self) -> tuple[str, int, str, str]:
        return self.host, self.port, self.user, self.password


def _clamp(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("PTZ speeds must be finite numbers")
    return max(-1.0, min(1.0, float(value)))


class OnvifCameras:
    """The façade the ONVIF views use. ``run_in_loop`` is ``DriverHost.run_in_loop``."""

    def __init__(
        self,
        site: Site,
        accounts: Accounts,
        audit_log: AuditLog,
        devices: DeviceRegistry,
        run_in_loop: Callable[[Coroutine[Any, Any, Any]], Future[Any]],
        load_tool: Callable[[], Any],
        credentials: CredentialStore | None,
        site_path: Path | None = None,
    ) -> None:
        self.site = site
        self.site_path = site_path
        self._accounts = accounts
        self._audit = audit_log
        self._devices = devices
        self._run_in_loop = run_in_loop
        self._load_tool = load_tool
        self._tool: Any = None
        self._credentials = credentials
        self._lock = threading.Lock()
        self._moving: dict[str, tuple[float, float, float]] = {}  # camera id → vector of the audited move
        self._profiles: dict[str, str] = {}  # camera id → PTZ profile token (found once per camera)
        self._serial: dict[str, asyncio.Lock] = {}  # touched only on the loop thread
        # Logins looked up once per camera: the credential store may decrypt a file or ask the OS keyring,
        # which a held PTZ key must not do on every press. Dropped when the camera refuses the login.
        self._targets: dict[str, _Target] = {}
        # The newest motion command (move or stop) per camera: behind a camera that hangs, older ones are
        # skipped when their turn comes, so the camera gets the officer's latest intent, not a backlog.
        self._motion_seq: dict[str, int] = {}
        self.added: list[str] = []  # camera ids written to the site file in this run (shown after a restart)

    # -- what the views ask ----------------------------------------------------------------------------
    def camera(self, camera_id: str) -> Camera | None:
        return next((c for c in self.site.cameras if c.id == camera_id), None)

    def can_ptz(self, camera_id: str) -> bool:
        """Only cameras with ``ptz = true``, an ONVIF endpoint and a credential get the PTZ pad."""
        cam = self.camera(camera_id)
        return bool(cam is not None and cam.ptz and cam.onvif is not None and cam.credential)

    def has_clock(self, camera_id: str) -> bool:
        cam = self.camera(camera_id)
        return bool(cam is not None and cam.onvif is not None and cam.credential)

    # -- add-camera wizard -----------------------------------------------------------------------------
    def discover(self, session: Session, timeout: float = 3.0) -> Future[list[dict[str, Any]]]:
        self._accounts.authorize(session, Permission.EDIT_CONFIG, "discover ONVIF cameras")
        return self._submit(lambda tool: tool.discover(timeout=timeout))

    def probe(
        self, session: Session, host: str, port: int, user: str, password: str, timeout: float = 10.0
    ) -> Future[dict[str, Any]]:
        """Device information, capabilities, profiles and URIs; audited (without the password)."""
        self._accounts.authorize(session, Permission.EDIT_CONFIG, f"probe ONVIF camera {host}:{port}")
        self._audit.record(session.username, ONVIF_PROBE, f"{host}:{port}", {"user": user})

        def clean(done: dict[str, Any]) -> dict[str, Any]:
            out = dict(done)
            for key in ("main_uri", "sub_uri", "snapshot_uri"):
                out[key] = strip_userinfo(out.get(key))
            return out

        return self._submit(
            lambda tool: tool.probe(host, port, user, password, timeout=timeout), then=clean
        )

    def add_camera(self, session: Session, camera: NewCamera, user: str, password: str) -> Site:
        """Store the credential, append the camera to the site file (validated first); both audited.

        Runs in the caller's thread: a small file write and one credential write. Raises PermissionDenied,
        OnvifUnavailable (no site file or no credential store), ConfigError, CredentialError or OSError."""
        self._accounts.authorize(session, Permission.EDIT_CONFIG, f"add camera {camera.id}")
        if self.site_path is None:
            raise OnvifUnavailable("the console was started without a site file it may write")
        if self._credentials is None:
            raise OnvifUnavailable("no credential store: the camera's password has nowhere safe to go")
        if not camera.credential:
            raise ValueError("a camera added through ONVIF needs a credential name")
        camera = _without_passwords(camera)
        # Validate before touching the credential store: a rejected camera leaves nothing behind.
        text = self.site_path.read_bytes().decode("utf-8-sig")
        with_camera(text, camera, str(self.site_path))
        existing = self._credentials.get(camera.credential)
        if existing is not None and (existing.username, existing.secret) != (user, password):
            # Overwriting it would silently lock out whichever device already uses that name.
            raise ValueError(f"a different credential named {camera.credential!r} is already stored; "
                             "choose another name")
        self._credentials.set(camera.credential, user, password)
        self._audit.record(
            session.username, audit.CREDENTIAL_SET, camera.credential, {"username": user, "for": camera.id}
        )
        site = append_camera(self.site_path, camera)
        detail = {
            "file": str(self.site_path),
            "camera": camera.id,
            "name": camera.name,
            "campus": camera.campus,
            "onvif": f"{camera.host}:{camera.port}",
            "credential": camera.credential,
            "ptz": camera.ptz,
            "main_url": camera.main_url,
            "sub_url": camera.sub_url,
        }
        self._audit.record(session.username, audit.CONFIG_CHANGE, f"camera:{camera.id}", detail).result(10)
        self.added.append(camera.id)
        return site

    # -- PTZ ---------------------------------------------------------------------------------------
    def ptz_move(
        self, session: Session, camera_id: str, pan: float, tilt: float, zoom: float
    ) -> Future[Any]:
        """Start (or change) a continuous move. The same move again is neither re-sent nor re-audited, so
        a held key's auto-repeat costs nothing; each new move's start is audited with direction and speed."""
        self._accounts.authorize(session, Permission.PTZ, f"PTZ on {camera_id}")
        vector = (_clamp(pan), _clamp(tilt), _clamp(zoom))
        with self._lock:
            if self._moving.get(camera_id) == vector:
                return _done(None)
            self._moving[camera_id] = vector
        speed = round(max(abs(v) for v in vector), 3)
        detail = {"direction": direction_name(*vector), "speed": speed, "pan": vector[0], "tilt": vector[1],
                  "zoom": vector[2]}
        self._audit.record(session.username, PTZ_MOVE, camera_id, detail)
        future = self._ptz(camera_id, lambda tool, t, profile: tool.ptz_move(
            t.host, t.port, t.user, t.password, profile, *vector), motion=True)

        def forget_failed(done: Future[Any]) -> None:
            # A move the camera never took is not "already moving": the next press must send it again.
            if done.exception() is not None:
                with self._lock:
                    if self._moving.get(camera_id) == vector:
                        del self._moving[camera_id]

        future.add_done_callback(forget_failed)
        return future

    def ptz_stop(self, session: Session, camera_id: str) -> Future[Any]:
        """Stop the camera; audited once per move (a stop with nothing moving is sent, not audited)."""
        self._accounts.authorize(session, Permission.PTZ, f"PTZ stop on {camera_id}")
        with self._lock:
            was = self._moving.pop(camera_id, None)
        if was is not None:
            self._audit.record(session.username, PTZ_STOP, camera_id, {"direction": direction_name(*was)})
        return self._ptz(camera_id, lambda tool, t, profile: tool.ptz_stop(
            t.host, t.port, t.user, t.password, profile), motion=True)

    def is_moving(self, camera_id: str) -> bool:
        with self._lock:
            return camera_id in self._moving

    def presets(self, session: Session, camera_id: str) -> Future[list[dict[str, Any]]]:
        self._accounts.authorize(session, Permission.PTZ, f"PTZ presets of {camera_id}")
        return self._ptz(camera_id, lambda tool, t, profile: tool.presets(
            t.host, t.port, t.user, t.password, profile))

    def goto_preset(self, session: Session, camera_id: str, token: str, name: str = "") -> Future[Any]:
        return self._preset_op(session, camera_id, "goto", {"token": token, "name": name},
                               lambda tool, t, p: tool.goto_preset(*t.args(), p, token))

    def save_preset(self, session: Session, camera_id: str, name: str) -> Future[Any]:
        """The camera's current position as a new preset; the future gives its token."""
        name = _preset_name(name)
        return self._preset_op(session, camera_id, "save", {"name": name},
                               lambda tool, t, p: tool.set_preset(*t.args(), p, name))

    def rename_preset(self, session: Session, camera_id: str, token: str, name: str) -> Future[Any]:
        """ONVIF has no rename: SetPreset with the existing token stores the camera's *current* position
        under the new name (the pad says so)."""
        name = _preset_name(name)
        return self._preset_op(session, camera_id, "rename", {"token": token, "name": name},
                               lambda tool, t, p: tool.set_preset(t.host, t.port, t.user, t.password, p, name,
                                                                  token=token))

    def delete_preset(self, session: Session, camera_id: str, token: str, name: str = "") -> Future[Any]:
        return self._preset_op(session, camera_id, "delete", {"token": token, "name": name},
                               lambda tool, t, p: tool.remove_preset(*t.args(), p, token))

    # -- camera clock ------------------------------------------------------------------------------
    def camera_time(self, session: Session, camera_id: str) -> Future[dict[str, Any]]:
        """{"device_time", "offset_s", "skewed"}; a skew beyond CLOCK_TOLERANCE_S also marks the camera's
        health degraded with a reason naming the offset (and a good clock clears that reason)."""
        self._accounts.authorize(session, Permission.VIEW, f"read the clock of {camera_id}")

        def judge(result: dict[str, Any]) -> dict[str, Any]:
            out = dict(result)
            offset = out.get("offset_s")
            out["skewed"] = isinstance(offset, int | float) and abs(offset) > CLOCK_TOLERANCE_S
            self._note_clock(camera_id, offset if isinstance(offset, int | float) else None)
            return out

        return self._camera_call(
            camera_id, lambda tool, t: tool.device_time(t.host, t.port, t.user, t.password), then=judge
        )

    def set_camera_time(self, session: Session, camera_id: str) -> Future[dict[str, Any]]:
        """Set the camera's clock to the workstation's (UTC); audited; the future gives the re-read clock."""
        # The same permission as the drivers' time_sync command: the clock stamps evidence.
        self._accounts.authorize(session, Permission.HANDLE_ALARM, f"set the clock of {camera_id}")
        self._audit.record(session.username, CAMERA_TIME_SET, camera_id, {"to": "workstation time (UTC)"})

        async def set_and_read(tool: Any, t: _Target) -> dict[str, Any]:
            await tool.set_device_time(t.host, t.port, t.user, t.password, datetime.now(UTC))
            return dict(await tool.device_time(t.host, t.port, t.user, t.password))

        def judge(result: dict[str, Any]) -> dict[str, Any]:
            offset = result.get("offset_s")
            result["skewed"] = isinstance(offset, int | float) and abs(offset) > CLOCK_TOLERANCE_S
            self._note_clock(camera_id, offset if isinstance(offset, int | float) else None)
            return result

        return self._camera_call(camera_id, set_and_read, then=judge)

    def close(self, timeout: float = 5.0) -> None:
        """Close the adapter's cached sessions (call before the driver host stops)."""
        if self._tool is None or not hasattr(self._tool, "close_all"):
            return
        try:
            self._run_in_loop(self._tool.close_all()).result(timeout)
        except Exception:  # shutting down: a failure here must not stop the rest of the shutdown
            log.warning("closing the ONVIF sessions failed", exc_info=True)

    # -- helpers -----------------------------------------------------------------------------------
    def _note_clock(self, camera_id: str, offset: float | None) -> None:
        current = next((d for d in self._devices.all() if d.id == camera_id), None)
        if current is None or offset is None or current.health is HealthState.OFFLINE:
            return
        # The clock is one side of the camera: it degrades a working camera, it never owns its health.
        if abs(offset) > CLOCK_TOLERANCE_S:
            self._devices.set_aspect_health(camera_id, "clock", HealthState.DEGRADED,
                                            f"{CLOCK_REASON_PREFIX}{offset:+.0f} s")
        else:
            self._devices.set_aspect_health(camera_id, "clock", HealthState.ONLINE)

    def _preset_op(
        self, session: Session, camera_id: str, op: str, detail: dict[str, Any],
        call: Callable[[Any, _Target, str], Awaitable[Any]],
    ) -> Future[Any]:
        self._accounts.authorize(session, Permission.PTZ, f"PTZ preset {op} on {camera_id}")
        self._audit.record(session.username, PTZ_PRESET, camera_id, {"op": op, **detail})
        return self._ptz(camera_id, call)

    def _tool_module(self) -> Any:
        if self._tool is None:
            try:
                self._tool = self._load_tool()
            except (ImportError, KeyError, AttributeError) as exc:
                raise OnvifUnavailable(f"ONVIF support is not available: {exc}") from exc
        return self._tool

    def _target(self, camera_id: str) -> _Target:
        cached = self._targets.get(camera_id)
        if cached is not None:
            return cached
        cam = self.camera(camera_id)
        if cam is None or cam.onvif is None or not cam.credential:
            raise OnvifUnavailable(f"camera {camera_id} has no ONVIF endpoint and credential in the site")
        stored = self._credentials.get(cam.credential) if self._credentials is not None else None
        if stored is None:
            raise OnvifUnavailable(f"credential {cam.credential!r} of camera {camera_id} is not stored")
        target = _Target(cam.onvif.host, cam.onvif.port, stored.username, stored.secret)
        self._targets[camera_id] = target
        return target

    def _submit(
        self, make: Callable[[Any], Awaitable[Any]], then: Callable[[Any], Any] | None = None
    ) -> Future[Any]:
        try:
            tool = self._tool_module()
        except OnvifUnavailable as exc:
            return _failed(exc)

        async def run() -> Any:
            result = await make(tool)
            return then(result) if then is not None else result

        return self._run_in_loop(run())

    def _camera_call(
        self, camera_id: str, call: Callable[[Any, _Target], Awaitable[Any]],
        then: Callable[[Any], Any] | None = None,
    ) -> Future[Any]:
        try:
            target = self._target(camera_id)  # the credential store may derive a key: not on the loop
        except Exception as exc:
            return _failed(exc)
        future = self._submit(lambda tool: self._serialised(camera_id, lambda: call(tool, target)), then)
        future.add_done_callback(lambda done: self._forget_refused_login(camera_id, done))
        return future

    def _forget_refused_login(self, camera_id: str, done: Future[Any]) -> None:
        if not done.cancelled() and getattr(done.exception(), "kind", None) == "auth":
            self._targets.pop(camera_id, None)  # the password may have been changed: read it again

    def _ptz(
        self, camera_id: str, call: Callable[[Any, _Target, str], Awaitable[Any]], *, motion: bool = False
    ) -> Future[Any]:
        if motion:
            with self._lock:
                seq = self._motion_seq[camera_id] = self._motion_seq.get(camera_id, 0) + 1

        async def with_profile(tool: Any, target: _Target) -> Any:
            if motion and self._motion_seq.get(camera_id) != seq:
                return None  # a newer move or stop for this camera is queued: it says what the officer wants
            profile = await self._profile(tool, camera_id, target)
            return await call(tool, target, profile)

        return self._camera_call(camera_id, with_profile)

    async def _serialised(self, camera_id: str, work: Callable[[], Awaitable[Any]]) -> Any:
        # Futures submitted in order start in order, and the lock is FIFO: a Stop can never overtake the
        # ContinuousMove it ends, however slow that move's handshake is. The work starts only with the lock,
        # so it sees what was queued meanwhile.
        lock = self._serial.setdefault(camera_id, asyncio.Lock())
        async with lock:
            return await work()

    async def _profile(self, tool: Any, camera_id: str, t: _Target) -> str:
        token = self._profiles.get(camera_id)
        if token is None:
            found = await tool.probe(t.host, t.port, t.user, t.password)
            profiles = found.get("profiles") or []
            chosen = next((p for p in profiles if p.get("ptz")), profiles[0] if profiles else None)
            if chosen is None or not chosen.get("token"):
                raise OnvifUnavailable(f"camera {camera_id} reports no media profile for PTZ")
            token = str(chosen["token"])
            self._profiles[camera_id] = token
        return token


def _preset_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 64:
        raise ValueError("a preset name needs 1 to 64 characters")
    return name


def _without_passwords(camera: NewCamera) -> NewCamera:
    from dataclasses import replace

    return replace(
        camera,
        main_url=strip_userinfo(camera.main_url),
        sub_url=strip_userinfo(camera.sub_url),
        snapshot_url=strip_userinfo(camera.snapshot_url),
    )


def _done(value: Any) -> Future[Any]:
    future: Future[Any] = Future()
    future.set_result(value)
    return future


def _failed(exc: BaseException) -> Future[Any]:
    future: Future[Any] = Future()
    future.set_exception(exc)
    return future
