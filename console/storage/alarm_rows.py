"""Alarm rows: converting between the alarms table and the Alarm domain type."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from console.domain.alarms import ActionRecord, Alarm, AlarmStatus, Disposition
from drivers.base import Priority

_COLUMNS = (
    "id, key, source, point, kind, priority, summary, status, count, first_time, last_time, first_event, "
    "last_event, cleared, cleared_time, disposition, cameras, location"
)


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def from_row(r: tuple[Any, ...]) -> Alarm:
    return Alarm(
        id=r[0],
        key=r[1],
        source=r[2],
        point=r[3],
        kind=r[4],
        priority=Priority(r[5]),
        summary=r[6],
        status=AlarmStatus(r[7]),
        count=r[8],
        first_time=datetime.fromisoformat(r[9]),
        last_time=datetime.fromisoformat(r[10]),
        first_event=r[11],
        last_event=r[12],
        cleared=bool(r[13]),
        cleared_time=_dt(r[14]),
        disposition=Disposition(r[15]) if r[15] else None,
        cameras=tuple(json.loads(r[16])),
        location=r[17],
    )


def insert(conn: sqlite3.Connection, alarm: Alarm) -> int:
    """Insert a new alarm (its ``id`` is ignored) and return the id the database gave it."""
    cur = conn.execute(
        "INSERT INTO alarms (key, source, point, kind, priority, summary, status, count, first_time, "
        "last_time, first_event, last_event, cleared, cleared_time, disposition, cameras, location) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        _values(alarm),
    )
    return int(cur.lastrowid or 0)


def update(conn: sqlite3.Connection, alarm: Alarm) -> None:
    conn.execute(
        "UPDATE alarms SET key=?, source=?, point=?, kind=?, priority=?, summary=?, status=?, count=?, "
        "first_time=?, last_time=?, first_event=?, last_event=?, cleared=?, cleared_time=?, disposition=?, "
        "cameras=?, location=? WHERE id=?",
        (*_values(alarm), alarm.id),
    )


def _values(a: Alarm) -> tuple[Any, ...]:
    return (
        a.key,
        a.source,
        a.point,
        a.kind,
        int(a.priority),
        a.summary,
        str(a.status),
        a.count,
        a.first_time.isoformat(),
        a.last_time.isoformat(),
        a.first_event,
        a.last_event,
        int(a.cleared),
        a.cleared_time.isoformat() if a.cleared_time else None,
        str(a.disposition) if a.disposition else None,
        json.dumps(list(a.cameras)),
        a.location,
    )


def insert_action(conn: sqlite3.Connection, record: ActionRecord) -> None:
    conn.execute(
        "INSERT INTO alarm_actions (alarm_id, time, actor, action, from_status, to_status, note, "
        "disposition) VALUES (?,?,?,?,?,?,?,?)",
        (
            record.alarm_id,
            record.time.isoformat(),
            record.actor,
            str(record.action),
            str(record.from_status),
            str(record.to_status),
            record.note,
            str(record.disposition) if record.disposition else None,
        ),
    )


def open_alarms(conn: sqlite3.Connection) -> list[Alarm]:
    cur = conn.execute(f"SELECT {_COLUMNS} FROM alarms WHERE status != 'closed' ORDER BY id")
    return [from_row(r) for r in cur.fetchall()]


def recent_alarms(conn: sqlite3.Connection, limit: int = 500) -> list[Alarm]:
    cur = conn.execute(f"SELECT {_COLUMNS} FROM alarms ORDER BY id DESC LIMIT ?", (limit,))
    return [from_row(r) for r in cur.fetchall()]


def history(conn: sqlite3.Connection, alarm_id: int) -> list[dict[str, Any]]:
    cur = conn.execute(
        "SELECT time, actor, action, from_status, to_status, note, disposition FROM alarm_actions "
        "WHERE alarm_id = ? ORDER BY id",
        (alarm_id,),
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
