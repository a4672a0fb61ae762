"""Who is acting: a logged-in user's session, or the system itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .roles import Permission, PermissionDenied, Role, allows


@dataclass(frozen=True, slots=True)
class Session:
    username: str
    display_name: str
    role: Role
    started_at: datetime
    # Issued by Accounts.login; the services accept only sessions they issued and that are not locked.
    token: str = field(default="", repr=False, compare=True)

    def can(self, permission: Permission) -> bool:
        return allows(self.role, permission)

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise PermissionDenied(self.username, self.role, permission)


SYSTEM_ACTOR = "system"
