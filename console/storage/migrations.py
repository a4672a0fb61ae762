"""Numbered, append-only schema migrations; ``PRAGMA user_version`` records the last one applied."""

from __future__ import annotations

import sqlite3

# Never edit a migration that has shipped: append a new one.
MIGRATIONS: list[str] = [
    # 1: the foundation
    """
    CREATE TABLE devices (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        campus TEXT,
        health TEXT NOT NULL DEFAULT 'unknown',
        reason TEXT NOT NULL DEFAULT '',
        changed_at TEXT
    );
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        time TEXT NOT NULL,            -- received time, UTC ISO-8601
        device_time TEXT,
        source TEXT NOT NULL,
        point TEXT,
        kind TEXT NOT NULL,
        state TEXT NOT NULL,
        priority INTEGER NOT NULL,
        summary TEXT NOT NULL,
        payload TEXT NOT NULL DEFAULT '{}',
        raw BLOB NOT NULL DEFAULT x'',
        dedup_key TEXT UNIQUE
    );
    CREATE INDEX events_time ON events(time);
    CREATE INDEX events_source_time ON events(source, time);
    CREATE INDEX events_kind_time ON events(kind, time);
    CREATE TABLE alarms (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL,             -- source|point|kind: repeats fold into the open alarm with this key
        source TEXT NOT NULL,
        point TEXT,
        kind TEXT NOT NULL,
        priority INTEGER NOT NULL,
        summary TEXT NOT NULL,
        status TEXT NOT NULL,
        count INTEGER NOT NULL DEFAULT 1,
        first_time TEXT NOT NULL,
        last_time TEXT NOT NULL,
        first_event INTEGER NOT NULL REFERENCES events(id),
        last_event INTEGER NOT NULL REFERENCES events(id),
        cleared INTEGER NOT NULL DEFAULT 0,
        cleared_time TEXT,
        disposition TEXT,
        cameras TEXT NOT NULL DEFAULT '[]',
        location TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX alarms_open ON alarms(status) WHERE status != 'closed';
    CREATE INDEX alarms_key ON alarms(key);
    CREATE TABLE alarm_actions (
        id INTEGER PRIMARY KEY,
        alarm_id INTEGER NOT NULL REFERENCES alarms(id),
        time TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        from_status TEXT,
        to_status TEXT,
        note TEXT NOT NULL DEFAULT '',
        disposition TEXT
    );
    CREATE INDEX alarm_actions_alarm ON alarm_actions(alarm_id);
    CREATE TABLE users (
        username TEXT PRIMARY KEY,
        display_name TEXT NOT NULL,
        role TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        time TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL DEFAULT '',
        detail TEXT NOT NULL DEFAULT '{}',
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    # 2: the GB 25506 procedure steps taken for a real fire (one row per step, stamped when recorded)
    """
    CREATE TABLE fire_procedures (
        id INTEGER PRIMARY KEY,
        alarm_id INTEGER NOT NULL REFERENCES alarms(id),
        step TEXT NOT NULL,
        outcome TEXT NOT NULL,         -- done or skipped (then the note says why)
        time TEXT NOT NULL,
        actor TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        UNIQUE (alarm_id, step)
    );
    """,
]

LATEST = len(MIGRATIONS)


class SchemaTooNew(Exception):
    """The database was written by a newer Campus Console; we refuse to touch it."""


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection) -> int:
    """Apply every migration newer than the database's version, each in its own transaction."""
    current = schema_version(conn)
    if current > LATEST:
        raise SchemaTooNew(
            f"database schema version {current} is newer than this program understands ({LATEST}); "
            "upgrade Campus Console or use another data directory"
        )
    for number in range(current + 1, LATEST + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _split(MIGRATIONS[number - 1]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return LATEST


def _split(script: str) -> list[str]:
    """Split a migration into statements (migrations contain no semicolons inside literals)."""
    return [s.strip() for s in script.split(";") if s.strip() and not _only_comments(s)]


def _only_comments(s: str) -> bool:
    return all(not line.strip() or line.strip().startswith("--") for line in s.splitlines())
