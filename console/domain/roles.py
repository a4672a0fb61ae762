"""Roles and the permissions each grants; the services check these, not the buttons."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    OPERATOR = "operator"
    VIEWER = "viewer"


class Permission(enum.StrEnum):
    VIEW = "view"
    ACKNOWLEDGE = "acknowledge"
    HANDLE_ALARM = "handle_alarm"  # start work on and close alarms
    SILENCE = "silence"
    DUTY_LOG = "duty_log"
    SNAPSHOT = "snapshot"
    PTZ = "ptz"
    VIEW_PERSON_DATA = "view_person_data"  # faces, card numbers, plates
    EXPORT = "export"
    VIEW_AUDIT = "view_audit"
    EDIT_CONFIG = "edit_config"
    MANAGE_USERS = "manage_users"


_OPERATOR = frozenset(
    {
        Permission.VIEW,
        Permission.ACKNOWLEDGE,
        Permission.HANDLE_ALARM,
        Permission.SILENCE,
        Permission.DUTY_LOG,
        Permission.SNAPSHOT,
        Permission.PTZ,
    }
)
_SUPERVISOR = _OPERATOR | {Permission.VIEW_PERSON_DATA, Permission.EXPORT, Permission.VIEW_AUDIT}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: frozenset({Permission.VIEW}),
    Role.OPERATOR: _OPERATOR,
    Role.SUPERVISOR: frozenset(_SUPERVISOR),
    Role.ADMIN: frozenset(Permission),
}


def allows(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]


class PermissionDenied(Exception):
    """The acting user's role does not grant the permission the action needs."""

    def __init__(self, actor: str, role: Role, permission: Permission) -> None:
        super().__init__(f"{actor} ({role}) may not {permission}")
        self.actor = actor
        self.role = role
        self.permission = permission
