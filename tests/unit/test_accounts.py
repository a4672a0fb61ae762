"""Accounts: first administrator, argon2id hashes, login, lock/unlock and audited permission checks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher

from console.domain.roles import Permission, PermissionDenied, Role
from console.domain.session import SYSTEM_ACTOR, Session
from console.services import audit
from console.services.accounts import (
    Accounts,
    AccountsError,
    AuthenticationFailed,
    InvalidUsername,
    WeakPassword,
)
from console.services.audit import AuditLog
from console.storage.store import Store

# The cheapest argon2id parameters the library accepts: tests exercise the logic, not the cost.
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
NOW = datetime(2026, 5, 4, 22, 0, tzinfo=UTC)
ADMIN_PW = "admin-pass-1"
OPS_PW = "operator-pass"
SUP_PW = "supervisor-pw"
VIEW_PW = "viewer-pass-1"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(tmp_path).open()
    yield store
    store.close()


@pytest.fixture
def accounts(store: Store) -> Accounts:
    return Accounts(store, AuditLog(store), lambda: NOW, hasher=FAST)


@pytest.fixture
def admin(accounts: Accounts) -> Session:
    accounts.create_first_admin("admin", "Site Admin", ADMIN_PW)
    return accounts.login("admin", ADMIN_PW)


@pytest.fixture
def staff(accounts: Accounts, admin: Session) -> dict[str, Session]:
    accounts.create_user(admin, "ops", "Operator Li", Role.OPERATOR, OPS_PW)
    accounts.create_user(admin, "sup", "Shift Leader Wang", "supervisor", SUP_PW)
    accounts.create_user(admin, "view", "Viewer Zhao", Role.VIEWER, VIEW_PW)
    return {
        name: accounts.login(name, pw) for name, pw in (("ops", OPS_PW), ("sup", SUP_PW), ("view", VIEW_PW))
    }


def audit_rows(store: Store) -> list[dict[str, Any]]:
    conn = store.reader()
    try:
        cur = conn.execute("SELECT actor, action, target, detail FROM audit ORDER BY id")
        return [dict(zip(("actor", "action", "target", "detail"), row, strict=True)) for row in cur]
    finally:
        conn.close()


def last_audit(store: Store) -> dict[str, Any]:
    return audit_rows(store)[-1]


def stored_hash(store: Store, username: str) -> str:
    conn = store.reader()
    try:
        return conn.execute("SELECT password_hash FROM users WHERE username = ?", (username,)).fetchone()[0]
    finally:
        conn.close()


def test_first_admin(accounts: Accounts, store: Store) -> None:
    assert not accounts.has_users()
    info = accounts.create_first_admin("admin", "Site Admin", ADMIN_PW)
    assert accounts.has_users()
    assert (info.username, info.role, info.created_at, info.disabled) == ("admin", Role.ADMIN, NOW, False)
    row = last_audit(store)
    assert (row["actor"], row["action"], row["target"]) == (SYSTEM_ACTOR, audit.USER_CREATED, "admin")


def test_second_first_admin_is_refused(accounts: Accounts, store: Store) -> None:
    accounts.create_first_admin("admin", "Site Admin", ADMIN_PW)
    with pytest.raises(AccountsError, match="already exist"):
        accounts.create_first_admin("intruder", "Intruder", "intruder-pw")
    assert len(audit_rows(store)) == 1  # the refused attempt left no user and no USER_CREATED row
    with pytest.raises(AuthenticationFailed):
        accounts.login("intruder", "intruder-pw")


def test_password_is_stored_as_argon2id(accounts: Accounts, store: Store, admin: Session) -> None:
    accounts.create_user(admin, "ops", "Operator", Role.OPERATOR, OPS_PW)
    for name in ("admin", "ops"):
        assert stored_hash(store, name).startswith("$argon2id$")
    conn = store.reader()
    try:
        dump = "\n".join(conn.iterdump())
    finally:
        conn.close()
    assert ADMIN_PW not in dump and OPS_PW not in dump


def test_weak_password_and_bad_username(accounts: Accounts, admin: Session) -> None:
    with pytest.raises(WeakPassword):
        accounts.create_user(admin, "ops", "Operator", Role.OPERATOR, "short")
    with pytest.raises(WeakPassword):
        accounts.create_first_admin("x", "X", "1234567")
    for bad in ("", "a b", "x" * 33, "名字", "a/b"):
        with pytest.raises(InvalidUsername):
            accounts.create_user(admin, bad, "Someone", Role.OPERATOR, OPS_PW)
    with pytest.raises(AccountsError, match="unknown role"):
        accounts.create_user(admin, "ops", "Operator", "superuser", OPS_PW)


def test_duplicate_user_is_refused(accounts: Accounts, admin: Session) -> None:
    accounts.create_user(admin, "ops", "Operator", Role.OPERATOR, OPS_PW)
    with pytest.raises(AccountsError, match="already exists"):
        accounts.create_user(admin, "ops", "Another", Role.VIEWER, VIEW_PW)


def test_operator_cannot_create_users(accounts: Accounts, store: Store, staff: dict[str, Session]) -> None:
    with pytest.raises(PermissionDenied):
        accounts.create_user(staff["ops"], "evil", "Evil", Role.ADMIN, "evil-password")
    row = last_audit(store)
    assert (row["actor"], row["action"], row["target"]) == ("ops", audit.PERMISSION_DENIED, "manage_users")
    assert "create user evil" in row["detail"]
    with pytest.raises(AuthenticationFailed):
        accounts.login("evil", "evil-password")


def test_authorize(accounts: Accounts, store: Store, staff: dict[str, Session]) -> None:
    before = len(audit_rows(store))
    assert accounts.authorize(staff["sup"], Permission.EXPORT, "export clip") is None
    assert len(audit_rows(store)) == before  # allowed checks are not audited
    with pytest.raises(PermissionDenied) as denied:
        accounts.authorize(staff["view"], Permission.ACKNOWLEDGE, "acknowledge alarm 7")
    assert denied.value.permission is Permission.ACKNOWLEDGE
    row = last_audit(store)
    assert (row["actor"], row["action"]) == ("view", audit.PERMISSION_DENIED)
    assert "acknowledge alarm 7" in row["detail"]


def test_login_good_bad_unknown(accounts: Accounts, store: Store, admin: Session) -> None:
    assert (admin.username, admin.display_name, admin.role, admin.started_at) == (
        "admin",
        "Site Admin",
        Role.ADMIN,
        NOW,
    )
    assert last_audit(store)["action"] == audit.LOGIN
    for username, password in (("admin", "wrong-password"), ("ghost", ADMIN_PW), ("bad name!", ADMIN_PW)):
        with pytest.raises(AuthenticationFailed) as failed:
            accounts.login(username, password)
        assert str(failed.value) == "wrong username or password, or the account is disabled"
        row = last_audit(store)
        assert (row["actor"], row["action"], row["target"]) == (SYSTEM_ACTOR, audit.LOGIN_FAILED, username)
        assert password not in row["detail"]


def test_disabled_user_is_refused(accounts: Accounts, store: Store, staff: dict[str, Session]) -> None:
    admin = accounts.login("admin", ADMIN_PW)
    accounts.set_disabled(admin, "ops", True)
    row = last_audit(store)
    assert (row["action"], row["target"]) == (audit.USER_CHANGED, "ops")
    with pytest.raises(AuthenticationFailed):
        accounts.login("ops", OPS_PW)
    assert "disabled" in last_audit(store)["detail"]
    accounts.set_disabled(admin, "ops", False)
    assert accounts.login("ops", OPS_PW).username == "ops"
    with pytest.raises(AccountsError, match="own account"):
        accounts.set_disabled(admin, "admin", True)
    with pytest.raises(PermissionDenied):
        accounts.set_disabled(staff["sup"], "ops", True)


def test_set_password_self_and_admin(accounts: Accounts, store: Store, staff: dict[str, Session]) -> None:
    admin = accounts.login("admin", ADMIN_PW)
    accounts.set_password(staff["ops"], "ops", "new-ops-pass")
    assert last_audit(store)["action"] == audit.PASSWORD_CHANGED
    accounts.login("ops", "new-ops-pass")
    accounts.set_password(admin, "ops", "reset-by-admin")
    row = last_audit(store)
    assert (row["actor"], row["action"], row["target"]) == ("admin", audit.PASSWORD_CHANGED, "ops")
    assert "reset-by-admin" not in row["detail"]
    with pytest.raises(AuthenticationFailed):
        accounts.login("ops", "new-ops-pass")
    with pytest.raises(PermissionDenied):
        accounts.set_password(staff["ops"], "sup", "hijacked-pass")
    with pytest.raises(WeakPassword):
        accounts.set_password(staff["sup"], "sup", "short")
    with pytest.raises(AccountsError, match="no user"):
        accounts.set_password(admin, "ghost", "whatever-pass")


def test_set_role_and_list_users(accounts: Accounts, staff: dict[str, Session]) -> None:
    admin = accounts.login("admin", ADMIN_PW)
    accounts.set_role(admin, "view", Role.OPERATOR)
    assert accounts.login("view", VIEW_PW).role is Role.OPERATOR
    with pytest.raises(AccountsError, match="own role"):
        accounts.set_role(admin, "admin", Role.VIEWER)
    users = accounts.list_users(admin)
    assert [(u.username, u.role) for u in users] == [
        ("admin", Role.ADMIN),
        ("ops", Role.OPERATOR),
        ("sup", Role.SUPERVISOR),
        ("view", Role.OPERATOR),
    ]
    assert not any("argon2" in repr(u) for u in users)
    with pytest.raises(PermissionDenied):
        accounts.list_users(staff["sup"])
    assert accounts.list_users(None) == users  # the local CLI


def test_lock_and_unlock(accounts: Accounts, store: Store, staff: dict[str, Session]) -> None:
    ops = staff["ops"]
    accounts.lock(ops)
    assert last_audit(store)["action"] == audit.LOCK
    assert accounts.unlock(ops, "ops", OPS_PW)
    row = last_audit(store)
    assert (row["actor"], row["action"], row["target"]) == ("ops", audit.UNLOCK, "ops")

    accounts.lock(ops)
    assert accounts.unlock(ops, "sup", SUP_PW)  # the shift leader relieves the operator
    row = last_audit(store)
    assert (row["actor"], row["action"], row["target"]) == ("sup", audit.UNLOCK, "ops")
    assert accounts.unlock(ops, "admin", ADMIN_PW)


def test_unlock_refusals(accounts: Accounts, store: Store, staff: dict[str, Session]) -> None:
    ops = staff["ops"]
    accounts.lock(ops)
    refusals = [
        ("view", VIEW_PW, "may not unlock"),  # a viewer's correct password is not enough
        ("ops", "wrong-password", "wrong password"),
        ("sup", OPS_PW, "wrong password"),
        ("ghost", OPS_PW, "unknown user"),
    ]
    for username, password, reason in refusals:
        assert not accounts.unlock(ops, username, password)
        row = last_audit(store)
        assert (row["action"], row["target"]) == (audit.UNLOCK_FAILED, username)
        assert reason in row["detail"] and password not in row["detail"]
    admin = accounts.login("admin", ADMIN_PW)
    accounts.set_disabled(admin, "sup", True)
    assert not accounts.unlock(ops, "sup", SUP_PW)


def test_logout_is_audited(accounts: Accounts, store: Store, admin: Session) -> None:
    accounts.logout(admin)
    row = last_audit(store)
    assert (row["actor"], row["action"]) == ("admin", audit.LOGOUT)


def test_login_rehashes_when_parameters_change(store: Store, accounts: Accounts) -> None:
    accounts.create_first_admin("admin", "Site Admin", ADMIN_PW)
    old = stored_hash(store, "admin")
    stronger = Accounts(
        store, AuditLog(store), hasher=PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    )
    stronger.login("admin", ADMIN_PW)
    new = stored_hash(store, "admin")
    assert new != old and "m=16,t=2" in new
    assert '"rehashed":true' in last_audit(store)["detail"]
    stronger.login("admin", ADMIN_PW)
    assert stored_hash(store, "admin") == new
    assert '"rehashed":false' in last_audit(store)["detail"]


def test_every_action_is_audited_and_chain_verifies(
    accounts: Accounts, store: Store, staff: dict[str, Session]
) -> None:
    ops = staff["ops"]
    accounts.lock(ops)
    accounts.unlock(ops, "ops", OPS_PW)
    accounts.logout(ops)
    actions = [row["action"] for row in audit_rows(store)]
    assert actions == [
        audit.USER_CREATED,  # first admin
        audit.LOGIN,
        audit.USER_CREATED,
        audit.USER_CREATED,
        audit.USER_CREATED,
        audit.LOGIN,
        audit.LOGIN,
        audit.LOGIN,
        audit.LOCK,
        audit.UNLOCK,
        audit.LOGOUT,
    ]
    report = AuditLog(store).verify()
    assert report.ok and report.rows_checked == len(actions)


def test_calling_from_the_writer_thread_fails_fast(accounts: Accounts, store: Store) -> None:
    # Blocking on the writer from inside a writer job would deadlock the console.
    with pytest.raises(RuntimeError, match="writer thread"):
        store.submit(lambda tx: accounts.create_first_admin("a", "A", ADMIN_PW)).result()
