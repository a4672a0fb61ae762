"""Many rows through one INSERT statement, for the writer thread's hot paths."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

# Rows per statement: at 20 parameters a row this stays far below SQLite's variable limit (32766).
ROWS_PER_STATEMENT = 500
_statements: dict[tuple[str, int], str] = {}


def insert_values(conn: sqlite3.Connection, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """Run the one-row ``INSERT … VALUES (?,…)`` ``sql`` for every row, one statement per
    ``ROWS_PER_STATEMENT`` rows rather than ``executemany``: the sqlite3 module releases and re-takes the
    GIL around every row it steps, and with the GUI and the driver loop running Python each re-take can
    wait a whole switch interval. One statement steps once."""
    values = sql[sql.rindex("(") :]
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        chunk = rows[start : start + ROWS_PER_STATEMENT]
        many = _statements.get((sql, len(chunk)))
        if many is None:
            many = _statements[(sql, len(chunk))] = sql + f",{values}" * (len(chunk) - 1)
        conn.execute(many, [value for row in chunk for value in row])
