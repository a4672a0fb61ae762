"""User accounts: argon2id password hashes, login, screen lock, and the audited permission check."""

from __future__ import annotations

import functools
import logging
import re
import secrets
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from console.domain.roles import Permission, PermissionDenied, Role
from console.domain.session import SYSTEM_ACTOR, Session
from console.storage.store import Store, Tx

from . import audit
from .audit import AuditLog, append_audit, utc_now

log = logging.getLogger(__name__)

T = TypeVar("T")
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
MIN_PASSWORD_LENGTH = 8
MAX_DISPLAY_NAME = 100
# Roles whose password may unlock a screen another user locked (a shift leader relieving an operator).
UNLOCK_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})
# Keeps a pasted password or junk typed into the username field from bloating the audit trail.
_MAX_AUDITED_USERNAME = 64


class AccountsError(Exception):
    """An account operation was refused; the message says why."""


class WeakPassword(AccountsError, ValueError):
    """The new password is too short."""


class InvalidUsername(AccountsError, ValueError):
    """The username does not match ``USERNAME_RE``."""


class AuthenticationFailed(AccountsError):
    """Wrong username or password, or the account is disabled."""


@dataclass(frozen=True, slots=True)
class UserInfo:
    """A user as shown to administrators: never the password hash."""

    username: str
    display_name: str
    role: Role
    created_at: datetime
    disabled: bool


@dataclass(frozen=True, slots=True)
class _UserRow:
    username: str
    display_name: str
    role: Role
    password_hash: str
    disabled: bool
    created_at: datetime


class Accounts:
    """Every method may block briefly on the store; never call one from the store's writer thread."""

    def __init__(
        self,
        store: Store,
        audit: AuditLog,
        clock: Callable[[], datetime] = utc_now,
        *,
        hasher: PasswordHasher | None = None,
    ) -> None:
        self._store = store
        self._audit = audit
        self._clock = clock
        self._hasher = hasher or PasswordHasher()  # argon2id with the library's recommended cost
        self._sessions_lock = threading.Lock()
        self._live: dict[str, Session] = {}
        self._locked: set[str] = set()

    # -- users --------------------------------------------------------------------------------------
    def has_users(self) -> bool:
        with self._store.reading() as conn:
            return conn.execute("SELECT 1 FROM users LIMIT 1").fetchone() is not None

    def create_first_admin(self, username: str, display_name: str, password: str) -> UserInfo:
        """Create the first administrator; refused once any user exists (checked inside the write)."""
        user = self._new_user(username, display_name, Role.ADMIN, password)

        def job(tx: Tx) -> None:
            if tx.conn.execute("SELECT 1 FROM users LIMIT 1").fetchone() is not None:
                raise AccountsError("users already exist; an administrator must create further accounts")
            self._insert_user(tx, user)
            append_audit(
                tx,
                SYSTEM_ACTOR,
                audit.USER_CREATED,
                user.username,
                {"role": str(Role.ADMIN), "first_admin": True},
                self._clock(),
            )

        self._wait(self._store.submit(job))
        return _info(user)

    def create_user(
        self, session: Session, username: str, display_name: str, role: Role | str, password: str
    ) -> UserInfo:
        self.authorize(session, Permission.MANAGE_USERS, f"create user {username}")
        user = self._new_user(username, display_name, _role(role), password)

        def job(tx: Tx) -> None:
            self._insert_user(tx, user)
            append_audit(
                tx,
                session.username,
                audit.USER_CREATED,
                user.username,
                {"role": str(user.role), "display_name": user.display_name},
                self._clock(),
            )

        self._wait(self._store.submit(job))
        return _info(user)

    def set_password(self, session: Session, username: str, new_password: str) -> None:
        """Users change their own password; administrators anyone's."""
        if username != session.username:
            self.authorize(session, Permission.MANAGE_USERS, f"set the password of {username}")
        new_hash = self._hash(new_password)
        self._update_user(
            session,
            username,
            "password_hash",
            new_hash,
            audit.PASSWORD_CHANGED,
            {"by_self": username == session.username},
        )

    def set_disabled(self, session: Session, username: str, disabled: bool) -> None:
        self.authorize(session, Permission.MANAGE_USERS, f"{'disable' if disabled else 'enable'} {username}")
        if username == session.username and disabled:
            raise AccountsError("you cannot disable your own account")
        self._update_user(
            session, username, "disabled", int(disabled), audit.USER_CHANGED, {"disabled": bool(disabled)}
        )

    def set_role(self, session: Session, username: str, role: Role | str) -> None:
        new_role = _role(role)
        self.authorize(session, Permission.MANAGE_USERS, f"change the role of {username}")
        if username == session.username and new_role != session.role:
            # Otherwise the last administrator could demote themself and nobody could manage users.
            raise AccountsError("you cannot change your own role")
        self._update_user(
            session, username, "role", str(new_role), audit.USER_CHANGED, {"role": str(new_role)}
        )

    def list_users(self, session: Session | None) -> list[UserInfo]:
        """``session=None`` is the local CLI: it can read the database file anyway, and the list holds
        no secrets, so asking it to log in would protect nothing."""
        if session is not None:
            self.authorize(session, Permission.MANAGE_USERS, "list users")
        with self._store.reading() as conn:
            cur = conn.execute(
                "SELECT username, display_name, role, created_at, disabled FROM users ORDER BY username"
            )
            return [
                UserInfo(name, display, Role(role), datetime.fromisoformat(created), bool(disabled))
                for name, display, role, created, disabled in cur
            ]

    # -- sessions -----------------------------------------------------------------------------------
    def login(self, username: str, password: str) -> Session:
        """Open a session, or raise AuthenticationFailed with the same message for every cause."""
        row = self._load(username)
        reason = self._check(row, password)
        if reason or row is None:
            self._record_failure(audit.LOGIN_FAILED, username, {"reason": reason or "unknown user"})
            raise AuthenticationFailed("wrong username or password, or the account is disabled")
        started = self._clock()
        new_hash = self._hasher.hash(password) if self._needs_rehash(row.password_hash) else None

        def job(tx: Tx) -> None:
            if new_hash is not None:
                # Conditional, so a password changed meanwhile is not overwritten with the old one.
                tx.conn.execute(
                    "UPDATE users SET password_hash = ? WHERE username = ? AND password_hash = ?",
                    (new_hash, row.username, row.password_hash),
                )
            append_audit(
                tx,
                row.username,
                audit.LOGIN,
                row.username,
                {"role": str(row.role), "rehashed": new_hash is not None},
                started,
            )

        self._wait(self._store.submit(job))
        session = Session(row.username, row.display_name, row.role, started, secrets.token_hex(16))
        with self._sessions_lock:
            self._live[session.token] = session
        return session

    def logout(self, session: Session) -> None:
        with self._sessions_lock:
            self._live.pop(session.token, None)
            self._locked.discard(session.token)
        self._record(session.username, audit.LOGOUT, session.username)

    def lock(self, session: Session) -> None:
        """Ctrl+L: the session stays, but the services refuse its actions until it is unlocked."""
        with self._sessions_lock:
            self._locked.add(session.token)
        self._record(session.username, audit.LOCK, session.username)

    def is_locked(self, session: Session) -> bool:
        with self._sessions_lock:
            return session.token in self._locked

    def unlock(self, session: Session, username: str, password: str) -> bool:
        """Unlock with the session owner's password, or any enabled supervisor's or admin's."""
        row = self._load(username)
        reason = self._check(row, password)
        if (
            not reason
            and row is not None
            and row.username != session.username
            and row.role not in UNLOCK_ROLES
        ):
            reason = f"role {row.role} may not unlock another user's session"
        if reason or row is None:
            self._record_failure(
                audit.UNLOCK_FAILED,
                username,
                {"reason": reason or "unknown user", "session": session.username},
            )
            return False
        with self._sessions_lock:
            self._locked.discard(session.token)
        self._record(
            row.username, audit.UNLOCK, session.username, {"by_self": row.username == session.username}
        )
        return True

    # -- authorisation ------------------------------------------------------------------------------
    def authorize(self, session: Session, permission: Permission, action_description: str) -> None:
        """Return if the session's role grants ``permission``; otherwise audit the refusal (durably,
        before returning control) and raise PermissionDenied."""
        with self._sessions_lock:
            live = self._live.get(session.token) == session
            locked = session.token in self._locked
        if live and not locked and session.can(permission):
            return
        why = "session not issued or logged out" if not live else "console locked" if locked else "role"
        self._record(
            session.username,
            audit.PERMISSION_DENIED,
            str(permission),
            {"role": str(session.role), "attempted": action_description, "reason": why},
        )
        raise PermissionDenied(session.username, session.role, permission)

    # -- helpers ------------------------------------------------------------------------------------
    def _new_user(self, username: str, display_name: str, role: Role, password: str) -> _UserRow:
        _check_username(username)
        display = display_name.strip()
        if not display or len(display) > MAX_DISPLAY_NAME:
            raise AccountsError(f"the display name must be 1 to {MAX_DISPLAY_NAME} characters")
        return _UserRow(username, display, role, self._hash(password), False, self._clock())

    def _hash(self, password: str) -> str:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise WeakPassword(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
        return self._hasher.hash(password)

    def _insert_user(self, tx: Tx, user: _UserRow) -> None:
        try:
            tx.conn.execute(
                "INSERT INTO users (username, display_name, role, password_hash, created_at, disabled) "
                "VALUES (?,?,?,?,?,0)",
                (
                    user.username,
                    user.display_name,
                    str(user.role),
                    user.password_hash,
                    user.created_at.isoformat(),
                ),
            )
        except sqlite3.IntegrityError:
            raise AccountsError(f"the user {user.username!r} already exists") from None

    def _update_user(
        self, session: Session, username: str, column: str, value: Any, action: str, detail: dict[str, Any]
    ) -> None:
        # ``column`` comes from this module only, never from a caller, so formatting it in is safe.
        def job(tx: Tx) -> None:
            cur = tx.conn.execute(f"UPDATE users SET {column} = ? WHERE username = ?", (value, username))
            if cur.rowcount == 0:
                raise AccountsError(f"no user {username!r}")
            append_audit(tx, session.username, action, username, detail, self._clock())

        self._wait(self._store.submit(job))

    def _load(self, username: str) -> _UserRow | None:
        if not USERNAME_RE.match(username):
            return None
        with self._store.reading() as conn:
            found = conn.execute(
                "SELECT username, display_name, role, password_hash, disabled, created_at FROM users "
                "WHERE username = ?",
                (username,),
            ).fetchone()
        if found is None:
            return None
        name, display, role, password_hash, disabled, created = found
        return _UserRow(
            name, display, Role(role), password_hash, bool(disabled), datetime.fromisoformat(created)
        )

    def _check(self, row: _UserRow | None, password: str) -> str:
        """Return why ``password`` does not open ``row`` ("" when it does). The password is verified
        even for unknown or disabled users, so timing reveals neither."""
        if row is None:
            self._verify(self._dummy_hash, password)
            return "unknown user"
        if not self._verify(row.password_hash, password):
            return "wrong password"
        return "account disabled" if row.disabled else ""

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except VerificationError:
            return False
        except InvalidHashError:
            log.error("a stored password hash is malformed; that user cannot log in")
            return False

    def _needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return False

    @functools.cached_property
    def _dummy_hash(self) -> str:
        return self._hasher.hash(secrets.token_urlsafe(16))

    def _record_failure(self, action: str, username: str, detail: dict[str, Any]) -> None:
        # Never the password: a user who typed it into the username field is still exposed, so cap it.
        self._record(SYSTEM_ACTOR, action, username[:_MAX_AUDITED_USERNAME], detail)

    def _record(self, actor: str, action: str, target: str, detail: dict[str, Any] | None = None) -> None:
        self._wait(
            self._store.submit(lambda tx: append_audit(tx, actor, action, target, detail, self._clock()))
        )


    @staticmethod
    def _wait(future: Future[T]) -> T:
        # The writer would wait for itself: fail loudly rather than hang the console.
        if threading.current_thread().name == "store-writer":
            raise RuntimeError("Accounts methods must not be called from the store's writer thread")
        return future.result()


def _check_username(username: str) -> None:
    if not USERNAME_RE.match(username):
        raise InvalidUsername("a username is 1 to 32 letters, digits, '_', '.' or '-'")


def _role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise AccountsError(f"unknown role {role!r}") from None


def _info(user: _UserRow) -> UserInfo:
    return UserInfo(user.username, user.display_name, user.role, user.created_at, user.disabled)
