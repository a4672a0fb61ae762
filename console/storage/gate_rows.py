"""Gate log SQL: index gate events, query them newest first, count passes, purge old rows; deny/allow lists.

Every write to ``gate_events`` goes through this module, because the text index is contentless: what
``insert_rows`` puts into ``gate_text`` is exactly what ``purge_before`` takes out again (both computed by
``domain.gates.index_text`` from the stored columns).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from console.domain.gates import (
    MAX_LIMIT,
    GateFilter,
    GateRow,
    HourlyCount,
    ListEntry,
    index_text,
    masked,
    search_text,
)
from drivers.base import DeviceEvent, GatePayload

from .multirow import insert_values
from .store import iso

COLUMNS = (
    "id",
    "time",
    "device_time",
    "campus",
    "gate",
    "point",
    "door",
    "kind",
    "result",
    "direction",
    "subject_kind",
    "subject_id",
    "name",
    "card",
    "plate",
    "method",
    "reason",
    "list_name",
    "pictures",
    "summary",
)
_SELECT = ", ".join(f"g.{c}" for c in COLUMNS)
_INSERT = f"INSERT INTO gate_events ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
_INSERT_TEXT = "INSERT INTO gate_text (rowid, name, card, plate, subject_id) VALUES (?,?,?,?,?)"
_DELETE_TEXT = (
    "INSERT INTO gate_text (gate_text, rowid, name, card, plate, subject_id) VALUES ('delete',?,?,?,?,?)"
)
_UPSERT_BLOCK = (
    "INSERT INTO gate_time_blocks (block, min_time, max_time) VALUES (?,?,?) ON CONFLICT(block) DO UPDATE "
    "SET min_time = min(min_time, excluded.min_time), max_time = max(max_time, excluded.max_time)"
)
BLOCK_SHIFT = 10
# Text matches looked up newest first before switching to testing the other filters' index for membership.
_TEXT_CHUNK = 2000
_NAME, _CARD, _PLATE = COLUMNS.index("name"), COLUMNS.index("card"), COLUMNS.index("plate")
_SUBJECT = COLUMNS.index("subject_id")


def is_gate_kind(kind: str) -> bool:
    return kind.startswith("gate.")


def row_values(event_id: int, event: DeviceEvent, campus: str | None) -> tuple[Any, ...]:
    """The gate_events row of a stored gate event."""
    p = GatePayload.from_payload(event.payload)
    return (
        event_id,
        iso(event.received_time),
        iso(event.device_time) if event.device_time else None,
        campus,
        event.source,
        event.point,
        p.door,
        event.kind,
        p.result.value,
        p.direction.value if p.direction else None,
        p.subject_kind.value,
        p.subject_id,
        p.name,
        p.card,
        p.plate,
        p.method.value if p.method else None,
        p.reason,
        p.list_name,
        json.dumps(list(p.pictures), ensure_ascii=False) if p.pictures else "[]",
        event.summary,
    )


def _text_values(values: Sequence[Any]) -> tuple[Any, ...]:
    return (
        values[0],
        index_text(values[_NAME]),
        index_text(values[_CARD]),
        index_text(values[_PLATE]),
        index_text(values[_SUBJECT]),
    )


def insert_rows(conn: sqlite3.Connection, rows: Sequence[Sequence[Any]]) -> None:
    """Insert gate rows (ids not yet indexed) with their text index entries and time blocks."""
    if not rows:
        return
    insert_values(conn, _INSERT, rows)
    insert_values(conn, _INSERT_TEXT, [_text_values(r) for r in rows])
    blocks: dict[int, tuple[str, str]] = {}
    for r in rows:
        block, time = int(r[0]) >> BLOCK_SHIFT, r[1]
        low, high = blocks.get(block, (time, time))
        blocks[block] = (min(low, time), max(high, time))
    conn.executemany(_UPSERT_BLOCK, [(b, low, high) for b, (low, high) in blocks.items()])


# The same text as domain.gates.index_text, computed by SQLite (lower() folds ASCII only, like fold());
# migration 3 uses the same expressions, and a property test holds the two equal.
_SQL_TEXT = ", ".join(
    f"char(1, 1) || lower(replace({c}, char(1), ''))" for c in ("name", "card", "plate", "subject_id")
)


def insert_rows_bulk(conn: sqlite3.Connection, rows: Sequence[Sequence[Any]]) -> None:
    """``insert_rows`` for large loads of ids above every stored one: the text index and the time blocks
    are filled by SQL from the inserted rows instead of row by row from Python."""
    if not rows:
        return
    low, high = min(int(r[0]) for r in rows), max(int(r[0]) for r in rows)
    conn.executemany(_INSERT, rows)
    conn.execute(
        f"INSERT INTO gate_text (rowid, name, card, plate, subject_id) SELECT id, {_SQL_TEXT} "
        "FROM gate_events WHERE id BETWEEN ? AND ?",
        (low, high),
    )
    conn.execute(
        "INSERT INTO gate_time_blocks (block, min_time, max_time) "
        f"SELECT id >> {BLOCK_SHIFT}, min(time), max(time) FROM gate_events WHERE id BETWEEN ?1 AND ?2 "
        f"GROUP BY id >> {BLOCK_SHIFT} ORDER BY 1 "
        "ON CONFLICT(block) DO UPDATE SET min_time = min(min_time, excluded.min_time), "
        "max_time = max(max_time, excluded.max_time)",
        (low, high),
    )


# -- reading ----------------------------------------------------------------------------------------------
def _from_db(r: Sequence[Any]) -> GateRow:
    return GateRow(
        id=int(r[0]),
        time=datetime.fromisoformat(r[1]),
        device_time=datetime.fromisoformat(r[2]) if r[2] else None,
        campus=r[3],
        gate=r[4],
        point=r[5],
        door=r[6],
        kind=r[7],
        result=r[8],
        direction=r[9],
        subject_kind=r[10],
        subject_id=r[11],
        name=r[12],
        card=r[13],
        plate=r[14],
        method=r[15],
        reason=r[16],
        list_name=r[17],
        pictures=tuple(json.loads(r[18] or "[]")),
        summary=r[19],
    )


@dataclass
class _Where:
    sql: list[str]
    params: list[Any]

    def text(self) -> str:
        return " AND ".join(self.sql) or "1"


def _id_range(conn: sqlite3.Connection, flt: GateFilter) -> tuple[int, int] | None:
    """The ids that can hold rows of the filter's time range (from the time blocks); None = none can."""
    if flt.since is None and flt.until is None:
        return (0, 2**62)
    sql, params = [], []
    if flt.since is not None:
        sql.append("max_time >= ?")
        params.append(iso(flt.since))
    if flt.until is not None:
        sql.append("min_time < ?")
        params.append(iso(flt.until))
    low, high = conn.execute(
        f"SELECT min(block), max(block) FROM gate_time_blocks WHERE {' AND '.join(sql)}", params
    ).fetchone()
    if low is None:
        return None
    return (int(low) << BLOCK_SHIFT, ((int(high) + 1) << BLOCK_SHIFT) - 1)


def _where(flt: GateFilter, ids: tuple[int, int], *, indexed: bool) -> _Where:
    """The non-text conditions. ``indexed=False`` hides the columns from the planner (unary +) so a
    query driven by a list of ids does not wander off into a column index."""
    plus = "" if indexed else "+"
    w = _Where([], [])
    for column in ("campus", "gate", "direction", "result"):
        value = getattr(flt, column)
        if value is not None:
            w.sql.append(f"{plus}g.{column} = ?")
            w.params.append(value)
    # The time columns are never offered to the planner: the id range below serves the time filter
    # while keeping newest-first order from the rowid or a column index.
    if flt.since is not None:
        w.sql.append("+g.time >= ?")
        w.params.append(iso(flt.since))
    if flt.until is not None:
        w.sql.append("+g.time < ?")
        w.params.append(iso(flt.until))
    high = ids[1] if flt.before_id is None else min(ids[1], flt.before_id - 1)
    if ids[0] > 0 or flt.since is not None or flt.until is not None:
        w.sql.append("g.id >= ?")
        w.params.append(ids[0])
    if high < 2**62:
        w.sql.append("g.id <= ?")
        w.params.append(high)
    return w


def query(conn: sqlite3.Connection, flt: GateFilter) -> list[GateRow]:
    """Rows of the filter, newest (highest id) first, unmasked."""
    limit = max(1, min(int(flt.limit), MAX_LIMIT))
    ids = _id_range(conn, flt)
    if ids is None:
        return []
    needle = search_text(flt.text)
    if needle is None:
        w = _where(flt, ids, indexed=True)
        sql = f"SELECT {_SELECT} FROM gate_events g WHERE {w.text()} ORDER BY g.id DESC LIMIT ?"
        return [_from_db(r) for r in conn.execute(sql, [*w.params, limit])]
    return _text_query(conn, flt, ids, needle, limit)


def _chunk_size(limit: int) -> int:
    return max(_TEXT_CHUNK, 4 * limit)


def _match_expression(needle: str) -> str:
    return '"' + needle.replace('"', '""') + '"'


def _text_query(
    conn: sqlite3.Connection, flt: GateFilter, ids: tuple[int, int], needle: str, limit: int
) -> list[GateRow]:
    """Newest text matches first, looked up by id; when the other filters reject most of them, the rest
    comes from the other filters' index tested against the text matches (both give exactly the rows)."""
    match = _match_expression(needle)
    high = ids[1] if flt.before_id is None else min(ids[1], flt.before_id - 1)
    chunk = _chunk_size(limit)
    found = [
        r[0]
        for r in conn.execute(
            "SELECT rowid FROM gate_text WHERE gate_text MATCH ? AND rowid BETWEEN ? AND ? "
            "ORDER BY rowid DESC LIMIT ?",
            (match, ids[0], high, chunk),
        )
    ]
    if not found:
        return []
    w = _where(flt, ids, indexed=False)
    sql = (
        f"SELECT {_SELECT} FROM gate_events g WHERE g.id IN (SELECT value FROM json_each(?)) "
        f"AND {w.text()} ORDER BY g.id DESC LIMIT ?"
    )
    out = [_from_db(r) for r in conn.execute(sql, [json.dumps(found), *w.params, limit])]
    if len(out) >= limit or len(found) < chunk:
        return out
    below = min(found)
    w = _where(flt, ids, indexed=True)
    sql = (
        f"SELECT {_SELECT} FROM gate_events g WHERE {w.text()} AND g.id < ? AND +g.id IN "
        "(SELECT rowid FROM gate_text WHERE gate_text MATCH ? AND rowid BETWEEN ? AND ?) "
        "ORDER BY g.id DESC LIMIT ?"
    )
    params = [*w.params, below, match, ids[0], below - 1, limit - len(out)]
    out.extend(_from_db(r) for r in conn.execute(sql, params))
    return out


def iter_rows(conn: sqlite3.Connection, flt: GateFilter, page: int = 1000) -> Iterator[GateRow]:
    """Every row of the filter (its limit ignored), newest first, page by page."""
    before = flt.before_id
    while True:
        rows = query(conn, _paged(flt, before, page))
        yield from rows
        if len(rows) < page:
            return
        before = rows[-1].id


def _paged(flt: GateFilter, before: int | None, page: int) -> GateFilter:
    return replace(flt, before_id=before, limit=page)


def hourly_counts(conn: sqlite3.Connection, flt: GateFilter) -> list[HourlyCount]:
    """Granted passes per hour and gate, split by direction (rows without a direction are not counted)."""
    sql = ["result = 'granted'"]
    params: list[Any] = []
    if flt.since is not None:
        sql.append("time >= ?")
        params.append(iso(flt.since))
    if flt.until is not None:
        sql.append("time < ?")
        params.append(iso(flt.until))
    for column in ("campus", "gate"):
        value = getattr(flt, column)
        if value is not None:
            sql.append(f"{column} = ?")
            params.append(value)
    rows = conn.execute(
        "SELECT substr(time, 1, 13) AS hour, gate, sum(direction = 'in'), sum(direction = 'out') "
        f"FROM gate_events WHERE {' AND '.join(sql)} GROUP BY hour, gate ORDER BY hour, gate",
        params,
    )
    return [
        HourlyCount(datetime.fromisoformat(hour + ":00:00+00:00"), gate, int(entered), int(exited))
        for hour, gate, entered, exited in rows
    ]


# -- retention ----------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Purged:
    rows: int
    pictures: tuple[str, ...]  # relative paths named by the purged rows


def purge_before(conn: sqlite3.Connection, cutoff: datetime, max_rows: int) -> Purged:
    """Delete up to ``max_rows`` gate rows received before ``cutoff`` (oldest first), their text index
    entries, and the person data of their events (payload names, cards, plates, pictures and raw bytes)."""
    found = conn.execute(
        f"SELECT {', '.join(COLUMNS)} FROM gate_events WHERE time < ? ORDER BY time LIMIT ?",
        (iso(cutoff), max_rows),
    ).fetchall()
    if not found:
        return Purged(0, ())
    conn.executemany(_DELETE_TEXT, [_text_values(r) for r in found])
    conn.executemany("DELETE FROM gate_events WHERE id = ?", [(r[0],) for r in found])
    conn.executemany(
        "UPDATE events SET summary = ?, raw = x'', payload = json_remove(payload, '$.name', '$.card', "
        "'$.plate', '$.subject_id', '$.pictures', '$.extra') WHERE id = ?",
        [(masked(_from_db(r)).summary, r[0]) for r in found],
    )
    lowest = conn.execute("SELECT min(id) FROM gate_events").fetchone()[0]
    if lowest is None:
        conn.execute("DELETE FROM gate_time_blocks")
    else:
        conn.execute("DELETE FROM gate_time_blocks WHERE block < ?", (int(lowest) >> BLOCK_SHIFT,))
    pictures = {p for r in found for p in json.loads(r[COLUMNS.index("pictures")] or "[]")}
    return Purged(len(found), tuple(sorted(pictures)))


def pictures_in_use(
    conn: sqlite3.Connection, candidates: Iterable[str], since: datetime, until: datetime
) -> set[str]:
    """Which of ``candidates`` the rows received in [since, until) still name. Files are content-addressed
    per day folder, so only rows of the day around the cutoff can share a file with purged rows."""
    wanted = set(candidates)
    used: set[str] = set()
    sql = "SELECT pictures FROM gate_events WHERE time >= ? AND time < ? AND pictures != '[]'"
    for (text,) in conn.execute(sql, (iso(since), iso(until))):
        used.update(p for p in json.loads(text) if p in wanted)
    return used


# -- deny / allow lists ------------------------------------------------------------------------------
_ENTRY_COLUMNS = "id, list, kind, value, reason, expires, added_by, added_at"


def _entry(r: Sequence[Any]) -> ListEntry:
    return ListEntry(
        id=int(r[0]),
        list=r[1],
        kind=r[2],
        value=r[3],
        reason=r[4],
        expires=datetime.fromisoformat(r[5]) if r[5] else None,
        added_by=r[6],
        added_at=datetime.fromisoformat(r[7]),
    )


def list_entries(conn: sqlite3.Connection, list_name: str | None = None) -> list[ListEntry]:
    if list_name is None:
        rows = conn.execute(f"SELECT {_ENTRY_COLUMNS} FROM gate_lists ORDER BY id")
    else:
        sql = f"SELECT {_ENTRY_COLUMNS} FROM gate_lists WHERE list = ? ORDER BY id"
        rows = conn.execute(sql, (list_name,))
    return [_entry(r) for r in rows]


def get_entry(conn: sqlite3.Connection, entry_id: int) -> ListEntry | None:
    row = conn.execute(f"SELECT {_ENTRY_COLUMNS} FROM gate_lists WHERE id = ?", (entry_id,)).fetchone()
    return _entry(row) if row else None


def upsert_entry(
    conn: sqlite3.Connection,
    list_name: str,
    kind: str,
    value: str,
    reason: str,
    expires: datetime | None,
    added_by: str,
    added_at: datetime,
) -> tuple[ListEntry, bool]:
    """Add an entry, or replace reason/expiry/author of the same (list, kind, value); True if it existed."""
    existed = (
        conn.execute(
            "SELECT 1 FROM gate_lists WHERE list = ? AND kind = ? AND value = ?", (list_name, kind, value)
        ).fetchone()
        is not None
    )
    row = conn.execute(
        "INSERT INTO gate_lists (list, kind, value, reason, expires, added_by, added_at) "
        "VALUES (?,?,?,?,?,?,?) "
        "ON CONFLICT(list, kind, value) DO UPDATE SET reason = excluded.reason, expires = excluded.expires, "
        f"added_by = excluded.added_by, added_at = excluded.added_at RETURNING {_ENTRY_COLUMNS}",
        (list_name, kind, value, reason, iso(expires) if expires else None, added_by, iso(added_at)),
    ).fetchone()
    return _entry(row), existed


def delete_entry(conn: sqlite3.Connection, entry_id: int) -> ListEntry | None:
    entry = get_entry(conn, entry_id)
    if entry is not None:
        conn.execute("DELETE FROM gate_lists WHERE id = ?", (entry_id,))
    return entry
