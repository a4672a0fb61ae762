"""The audit hash chain: appends verify, and each kind of tampering is caught at the right row."""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.services import audit
from console.services.audit import (
    GENESIS,
    AuditAppended,
    AuditLog,
    append_audit,
    row_hash,
    verify_chain,
)
from console.storage.store import DB_NAME, Store


@pytest.fixture
def messages() -> list[Any]:
    return []


@pytest.fixture
def store(tmp_path: Path, messages: list[Any]) -> Iterator[Store]:
    store = Store(tmp_path, publish=messages.append).open()
    yield store
    store.close()


def _fill(log: AuditLog, count: int) -> list[int]:
    futures = [
        log.record(f"user{i % 3}", audit.NOTE, f"alarm:{i}", {"n": i, "text": "值班 ✓"}) for i in range(count)
    ]
    return [f.result() for f in futures]


def _raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path / DB_NAME, isolation_level=None)


def test_row_hash_is_unambiguous_and_sensitive() -> None:
    base = row_hash(GENESIS, "t", "ab", "x", "c", "{}")
    assert len(base) == 64
    # Moving a character across a field boundary must change the hash.
    assert row_hash(GENESIS, "t", "a", "x", "bc", "{}") != base
    assert row_hash("1" * 64, "t", "ab", "x", "c", "{}") != base
    assert row_hash(GENESIS, "t", "ab", "x", "c", "{}") == base


def test_empty_chain_verifies(store: Store) -> None:
    report = AuditLog(store).verify()
    assert report.ok and report.rows_checked == 0 and report.first_bad_id is None


def test_fifty_rows_verify_and_link(store: Store, messages: list[Any]) -> None:
    ids = _fill(AuditLog(store), 50)
    report = AuditLog(store).verify()
    assert report.ok, report.reason
    assert report.rows_checked == 50
    conn = store.reader()
    try:
        (first_prev,) = conn.execute("SELECT prev_hash FROM audit WHERE id = ?", (ids[0],)).fetchone()
        (detail,) = conn.execute("SELECT detail FROM audit WHERE id = ?", (ids[1],)).fetchone()
    finally:
        conn.close()
    assert first_prev == GENESIS
    assert "值班 ✓" in detail  # stored readable, not \u-escaped
    appended = [m for m in messages if isinstance(m, AuditAppended)]
    assert [m.id for m in appended] == ids
    assert appended[0].actor == "user0" and appended[0].action == audit.NOTE


def test_time_is_utc_iso(store: Store) -> None:
    local = datetime(2026, 3, 1, 8, 0, tzinfo=timezone(timedelta(hours=8)))
    row_id = store.submit(lambda tx: append_audit(tx, "ops", audit.LOGIN, at=local)).result()
    conn = store.reader()
    try:
        (time,) = conn.execute("SELECT time FROM audit WHERE id = ?", (row_id,)).fetchone()
    finally:
        conn.close()
    assert time == "2026-03-01T00:00:00.000000+00:00"
    assert datetime.fromisoformat(time) == local


def test_naive_time_is_refused(store: Store) -> None:
    future = store.submit(lambda tx: append_audit(tx, "ops", audit.LOGIN, at=datetime(2026, 1, 1)))
    with pytest.raises(ValueError, match="timezone-aware"):
        future.result()


def test_audit_row_rolls_back_with_its_job(store: Store) -> None:
    def job(tx: Any) -> None:
        append_audit(tx, "ops", audit.ACKNOWLEDGE, "alarm:1")
        raise RuntimeError("the action failed")

    with pytest.raises(RuntimeError):
        store.submit(job).result()
    report = AuditLog(store).verify()
    assert report.ok and report.rows_checked == 0


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("actor", "mallory"),
        ("action", audit.EXPORT),
        ("target", "alarm:999"),
        ("detail", '{"n":1}'),
        ("time", "2020-01-01T00:00:00.000000+00:00"),
        ("hash", "f" * 64),
    ],
)
def test_edited_field_fails_at_that_row(tmp_path: Path, store: Store, column: str, value: str) -> None:
    ids = _fill(AuditLog(store), 50)
    store.close()
    conn = _raw(tmp_path)
    try:
        conn.execute(f"UPDATE audit SET {column} = ? WHERE id = ?", (value, ids[20]))
        report = verify_chain(conn)
    finally:
        conn.close()
    assert not report.ok
    assert report.first_bad_id == ids[20]
    assert report.rows_checked == 21
    assert str(ids[20]) in report.reason


def test_deleted_middle_row_fails_at_the_next_row(tmp_path: Path, store: Store) -> None:
    ids = _fill(AuditLog(store), 50)
    store.close()
    conn = _raw(tmp_path)
    try:
        conn.execute("DELETE FROM audit WHERE id = ?", (ids[25],))
        report = verify_chain(conn)
    finally:
        conn.close()
    assert not report.ok
    assert report.first_bad_id == ids[26]
    assert "deleted" in report.reason


def test_deleted_first_row_is_caught(tmp_path: Path, store: Store) -> None:
    ids = _fill(AuditLog(store), 5)
    store.close()
    conn = _raw(tmp_path)
    try:
        conn.execute("DELETE FROM audit WHERE id = ?", (ids[0],))
        report = verify_chain(conn)
    finally:
        conn.close()
    assert (report.ok, report.first_bad_id) == (False, ids[1])
    assert "genesis" in report.reason


def test_inserted_row_is_caught(tmp_path: Path, store: Store) -> None:
    ids = _fill(AuditLog(store), 10)
    store.close()
    conn = _raw(tmp_path)
    try:
        conn.execute("DELETE FROM audit WHERE id = ?", (ids[5],))
        # A forged row in the gap, hashed correctly onto its predecessor: its successor no longer links.
        (prev,) = conn.execute("SELECT hash FROM audit WHERE id = ?", (ids[4],)).fetchone()
        fields = ("2026-01-01T00:00:00.000000+00:00", "mallory", audit.LOGIN, "", "{}")
        conn.execute(
            "INSERT INTO audit (id, time, actor, action, target, detail, prev_hash, hash) "
            "VALUES (?,?,?,?,?,?,?,?)",
            (ids[5], *fields, prev, row_hash(prev, *fields)),
        )
        report = verify_chain(conn)
    finally:
        conn.close()
    assert (report.ok, report.first_bad_id) == (False, ids[6])


def test_record_copies_detail(store: Store) -> None:
    detail = {"k": 1}
    future = AuditLog(store).record("ops", audit.CONFIG_CHANGE, "site", detail)
    detail["k"] = 2
    row_id = future.result()
    conn = store.reader()
    try:
        (stored,) = conn.execute("SELECT detail FROM audit WHERE id = ?", (row_id,)).fetchone()
    finally:
        conn.close()
    assert stored == '{"k":1}'


_text = st.text(max_size=20)
_entry = st.tuples(
    st.sampled_from(["admin", "ops", "张三", "system"]),
    st.sampled_from([audit.LOGIN, audit.ACKNOWLEDGE, audit.CLOSE, audit.NOTE, audit.EXPORT, audit.SNAPSHOT]),
    _text,
    st.dictionaries(
        st.text(max_size=8), st.one_of(_text, st.integers(), st.booleans(), st.none()), max_size=4
    ),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)),
)


def _append_all(store: Store, entries: list[tuple[Any, ...]]) -> list[int]:
    futures = [store.submit(lambda tx, e=e: append_audit(tx, e[0], e[1], e[2], e[3], e[4])) for e in entries]
    return [f.result() for f in futures]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entries=st.lists(_entry, min_size=0, max_size=30))
def test_any_sequence_of_appends_verifies(entries: list[tuple[Any, ...]]) -> None:
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp)) as store:
        _append_all(store, entries)
        report = AuditLog(store).verify()
    assert report.ok, report.reason
    assert report.rows_checked == len(entries)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    entries=st.lists(_entry, min_size=1, max_size=15),
    data=st.data(),
)
def test_any_single_edit_is_caught_at_its_row(entries: list[tuple[Any, ...]], data: st.DataObject) -> None:
    victim = data.draw(st.integers(0, len(entries) - 1))
    column = data.draw(st.sampled_from(["time", "actor", "action", "target", "detail", "prev_hash", "hash"]))
    with tempfile.TemporaryDirectory() as tmp:
        with Store(Path(tmp)) as store:
            ids = _append_all(store, entries)
        conn = _raw(Path(tmp))
        try:
            conn.execute(f"UPDATE audit SET {column} = {column} || 'x' WHERE id = ?", (ids[victim],))
            report = verify_chain(conn)
        finally:
            conn.close()
    assert not report.ok
    assert report.first_bad_id == ids[victim]
