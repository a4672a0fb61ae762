"""Read queries over the store (through sqlite-utils), each on the caller's own read connection."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlite_utils

from drivers.base import Priority

from .store import iso


@dataclass(frozen=True)
class EventFilter:
    since: datetime | None = None
    until: datetime | None = None
    kind: str | None = None  # exact kind, or a family: "fire" matches fire.alarm, fire.fault ...
    source: str | None = None
    limit: int | None = None
    newest_first: bool = False


def events(conn: sqlite3.Connection, flt: EventFilter) -> Iterator[dict[str, Any]]:
    """Events as plain dicts (payload decoded, priority by name), oldest first unless asked otherwise."""
    where: list[str] = []
    params: dict[str, Any] = {}
    if flt.since is not None:
        where.append("time >= :since")
        params["since"] = iso(flt.since)
    if flt.until is not None:
        where.append("time < :until")
        params["until"] = iso(flt.until)
    if flt.kind:
        # A family as a range of the kind index ("fire." ≤ kind < "fire/", '/' following '.'): a LIKE
        # cannot use that index, and on a site of a million gate passes and a few fires the scan for
        # them took 300 ms.
        where.append("(kind = :kind OR (kind >= :family AND kind < :after))")
        params["kind"] = flt.kind
        params["family"] = flt.kind + "."
        params["after"] = flt.kind + "/"
    if flt.source:
        where.append("source = :source")
        params["source"] = flt.source
    table = sqlite_utils.Database(conn).table("events")
    select = "id, time, device_time, source, point, kind, state, priority, summary, payload"
    for row in table.rows_where(
        " AND ".join(where) or None,
        params,
        select=select,
        order_by="id DESC" if flt.newest_first else "id",
        limit=flt.limit,
    ):
        yield _event_dict(row)


def _event_dict(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    out["payload"] = json.loads(row["payload"] or "{}")
    out["priority"] = Priority(row["priority"]).name.lower()
    return out


def event_raw(conn: sqlite3.Connection, event_id: int) -> bytes:
    row = conn.execute("SELECT raw FROM events WHERE id = ?", (event_id,)).fetchone()
    return bytes(row[0]) if row else b""


def count_events(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM events").fetchone()[0])
