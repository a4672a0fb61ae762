"""Officer commands to devices (查岗, time sync, read status): role-checked, audited, run by the host."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import Future
from typing import Any

from console.domain.roles import Permission
from console.domain.session import Session

from .accounts import Accounts
from .audit import AuditLog

DEVICE_COMMAND = "device_command"

# What each command needs: 查岗 is part of the duty routine; setting a device clock changes evidence times.
COMMAND_PERMISSION: dict[str, Permission] = {
    "read_status": Permission.VIEW,
    "patrol": Permission.DUTY_LOG,
    "patrol_status": Permission.VIEW,
    "time_sync": Permission.HANDLE_ALARM,
}


class DeviceCommands:
    """``call(device_id, name, args)`` is the driver host's thread-safe command entry."""

    def __init__(
        self, call: Callable[[str, str, Mapping[str, Any]], Future[Any]], accounts: Accounts, audit: AuditLog
    ) -> None:
        self._call = call
        self._accounts = accounts
        self._audit = audit

    def send(
        self, session: Session, device_id: str, name: str, args: Mapping[str, Any] | None = None
    ) -> Future[Any]:
        """Check the role (raises PermissionDenied), audit the request, send it; audit the outcome too."""
        permission = COMMAND_PERMISSION.get(name)
        if permission is None:
            raise ValueError(f"unknown device command {name!r}")
        self._accounts.authorize(session, permission, f"{name} on {device_id}")
        detail = {"command": name, "args": dict(args or {})}
        self._audit.record(session.username, DEVICE_COMMAND, device_id, detail)
        try:
            future = self._call(device_id, name, args or {})
        except KeyError:
            failed: Future[Any] = Future()
            failed.set_exception(ValueError(f"no running driver for {device_id}"))
            return failed

        def outcome(done: Future[Any]) -> None:
            error = done.exception()
            result = {"outcome": "ok"} if error is None else {"outcome": "failed", "error": str(error)}
            self._audit.record(session.username, DEVICE_COMMAND + "_result", device_id, {**detail, **result})

        future.add_done_callback(outcome)
        return future
