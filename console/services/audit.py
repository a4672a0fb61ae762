"""The tamper-evident audit trail: every row carries the SHA-256 of its content and of the row before it."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from console.storage.store import Store, Tx, open_reader

GENESIS = "0" * 64

# Action names. They are stored verbatim, so never rename one that has shipped: add a new one.
LOGIN = "login"
LOGIN_FAILED = "login_failed"
LOGOUT = "logout"
LOCK = "lock"
UNLOCK = "unlock"
UNLOCK_FAILED = "unlock_failed"
ACKNOWLEDGE = "acknowledge"
START = "start"
CLOSE = "close"
NOTE = "note"
SILENCE = "silence"
CONFIG_CHANGE = "config_change"
EXPORT = "export"
VIEW_PERSON_DATA = "view_person_data"
USER_CREATED = "user_created"
USER_CHANGED = "user_changed"
PASSWORD_CHANGED = "password_changed"
PERMISSION_DENIED = "permission_denied"
CREDENTIAL_SET = "credential_set"
SNAPSHOT = "snapshot"
APP_START = "app_start"
APP_STOP = "app_stop"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class AuditAppended:
    """Published on the bus once an audit row is durable."""

    id: int
    time: str
    actor: str
    action: str
    target: str


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The outcome of ``verify_chain``; ``first_bad_id`` is the first row that fails, None when ok."""

    ok: bool
    rows_checked: int
    first_bad_id: int | None
    reason: str


def row_hash(prev_hash: str, time: str, actor: str, action: str, target: str, detail_json: str) -> str:
    """SHA-256 over a JSON array of the fields: quoting makes the encoding unambiguous, so no two
    different rows (e.g. actor "ab"+target "c" versus actor "a"+target "bc") share an input."""
    encoded = json.dumps(
        [prev_hash, time, actor, action, target, detail_json], ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def encode_time(at: datetime) -> str:
    if at.tzinfo is None:
        raise ValueError("audit times must be timezone-aware")
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def encode_detail(detail: Mapping[str, Any] | None) -> str:
    # Sorted keys keep the stored text independent of the caller's dict order.
    return json.dumps(
        dict(detail or {}), ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str
    )


def append_audit(
    tx: Tx,
    actor: str,
    action: str,
    target: str = "",
    detail: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> int:
    """Append one row inside the caller's writer job, so an action and its audit row commit together.

    Only ever call this from the writer thread: the chain relies on the writer serialising appends.
    """
    if not actor or not action:
        raise ValueError("an audit row needs an actor and an action")
    time = encode_time(at or utc_now())
    detail_json = encode_detail(detail)
    last = tx.conn.execute("SELECT hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
    prev = last[0] if last else GENESIS
    digest = row_hash(prev, time, actor, action, target, detail_json)
    cur = tx.conn.execute(
        "INSERT INTO audit (time, actor, action, target, detail, prev_hash, hash) VALUES (?,?,?,?,?,?,?)",
        (time, actor, action, target, detail_json, prev, digest),
    )
    row_id = int(cur.lastrowid or 0)
    tx.emit(AuditAppended(row_id, time, actor, action, target))
    return row_id


class AuditLog:
    """Records audit rows that stand alone (not part of a larger write job)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def record(
        self, actor: str, action: str, target: str = "", detail: Mapping[str, Any] | None = None
    ) -> Future[int]:
        # Copy now: the caller may mutate its dict before the writer gets to the job.
        frozen = dict(detail or {})
        return self._store.submit(lambda tx: append_audit(tx, actor, action, target, frozen))

    def verify(self) -> ChainReport:
        """Verify the chain through a fresh read-only connection."""
        conn = open_reader(self._store.path)
        try:
            return verify_chain(conn)
        finally:
            conn.close()


_SELECT_CHAIN = "SELECT id, time, actor, action, target, detail, prev_hash, hash FROM audit ORDER BY id"


def verify_chain(conn: sqlite3.Connection) -> ChainReport:
    """Recompute every row in id order, streaming from the cursor; stop at the first broken link.

    A chain without a key cannot reveal rows cut off at the end, nor a tail rewritten from scratch;
    those need an outside anchor (e.g. a printed or exported last hash).
    """
    expected_prev = GENESIS
    previous_id: int | None = None
    checked = 0
    for row_id, time, actor, action, target, detail, prev_hash, stored in conn.execute(_SELECT_CHAIN):
        checked += 1
        if prev_hash != expected_prev:
            return ChainReport(False, checked, row_id, _broken_link(row_id, previous_id))
        if row_hash(prev_hash, time, actor, action, target, detail) != stored:
            return ChainReport(
                False, checked, row_id, f"row {row_id}: its content does not match its hash (edited)"
            )
        expected_prev = stored
        previous_id = row_id
    return ChainReport(True, checked, None, "")


def _broken_link(row_id: int, previous_id: int | None) -> str:
    if previous_id is None:
        return f"row {row_id}: the first row does not start from the genesis hash (rows removed before it?)"
    return (
        f"row {row_id}: prev_hash does not match the hash of row {previous_id} "
        "(a row was deleted, inserted or reordered between them)"
    )
