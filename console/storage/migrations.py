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
    # 3: the gate log (one row per gate event, same id as events.id), its text index and the deny/allow lists
    """
    CREATE TABLE gate_events (
        id INTEGER PRIMARY KEY,        -- events.id (no FOREIGN KEY: each table has its own retention)
        time TEXT NOT NULL,            -- received time, UTC ISO-8601 like events.time
        device_time TEXT,
        campus TEXT,
        gate TEXT NOT NULL,            -- device id
        point TEXT,
        door TEXT,
        kind TEXT NOT NULL,
        result TEXT NOT NULL,          -- granted / denied / alarm / info
        direction TEXT,
        subject_kind TEXT NOT NULL,
        subject_id TEXT,
        name TEXT,
        card TEXT,
        plate TEXT,
        method TEXT,
        reason TEXT NOT NULL DEFAULT '',
        list_name TEXT,
        pictures TEXT NOT NULL DEFAULT '[]',
        summary TEXT NOT NULL DEFAULT ''
    );
    -- Each index ends in the rowid, so an equality on its columns yields rows newest first with no sort.
    CREATE INDEX gate_events_gate ON gate_events(gate);
    CREATE INDEX gate_events_gate_result ON gate_events(gate, result);
    CREATE INDEX gate_events_campus ON gate_events(campus);
    CREATE INDEX gate_events_campus_result ON gate_events(campus, result);
    CREATE INDEX gate_events_result ON gate_events(result);
    CREATE INDEX gate_events_time ON gate_events(time);
    -- Trigram index over name, card, plate and subject id. Contentless: the code stores folded text
    -- (domain.gates.index_text) and deletes with the same values, in console/storage/gate_rows.py.
    CREATE VIRTUAL TABLE gate_text USING fts5(
        name, card, plate, subject_id, content='', tokenize='trigram case_sensitive 1'
    );
    -- The time span of each block of 1024 ids: turns a time range into an id range (rows arrive nearly
    -- in time order), so a time filter still reads newest first through the rowid or a column index.
    CREATE TABLE gate_time_blocks (
        block INTEGER PRIMARY KEY,     -- id >> 10
        min_time TEXT NOT NULL,
        max_time TEXT NOT NULL
    );
    CREATE TABLE gate_lists (
        id INTEGER PRIMARY KEY,
        list TEXT NOT NULL,            -- deny / allow
        kind TEXT NOT NULL,            -- card / plate
        value TEXT NOT NULL,           -- normalised (domain.gates.normalise_value)
        reason TEXT NOT NULL DEFAULT '',
        expires TEXT,                  -- UTC ISO-8601, NULL = never
        added_by TEXT NOT NULL,
        added_at TEXT NOT NULL,
        UNIQUE (list, kind, value)
    );
    -- Gate events stored before this migration join the log (the same reading as GatePayload.from_payload).
    INSERT INTO gate_events (id, time, device_time, campus, gate, point, door, kind, result, direction,
        subject_kind, subject_id, name, card, plate, method, reason, list_name, pictures, summary)
    SELECT e.id, e.time, e.device_time, d.campus, e.source, e.point,
        CAST(json_extract(e.payload, '$.door') AS TEXT),
        e.kind,
        CASE WHEN json_extract(e.payload, '$.result') IN ('granted', 'denied', 'alarm', 'info')
            THEN json_extract(e.payload, '$.result') ELSE 'info' END,
        CASE WHEN json_extract(e.payload, '$.direction') IN ('in', 'out')
            THEN json_extract(e.payload, '$.direction') END,
        CASE WHEN json_extract(e.payload, '$.subject_kind') IN ('person', 'vehicle', 'visitor', 'unknown')
            THEN json_extract(e.payload, '$.subject_kind') ELSE 'unknown' END,
        CAST(json_extract(e.payload, '$.subject_id') AS TEXT),
        CAST(json_extract(e.payload, '$.name') AS TEXT),
        CAST(json_extract(e.payload, '$.card') AS TEXT),
        CAST(json_extract(e.payload, '$.plate') AS TEXT),
        CASE WHEN json_extract(e.payload, '$.method') IS NULL OR json_extract(e.payload, '$.method') = ''
            THEN NULL
            WHEN json_extract(e.payload, '$.method') IN
                ('card', 'face', 'qr', 'plate', 'password', 'fingerprint', 'remote', 'other')
            THEN json_extract(e.payload, '$.method') ELSE 'other' END,
        coalesce(CAST(json_extract(e.payload, '$.reason') AS TEXT), ''),
        CAST(json_extract(e.payload, '$.list_name') AS TEXT),
        coalesce(json_extract(e.payload, '$.pictures'), '[]'),
        e.summary
    FROM events e LEFT JOIN devices d ON d.id = e.source
    WHERE substr(e.kind, 1, 5) = 'gate.' AND json_valid(e.payload) AND json_type(e.payload) = 'object'
    ORDER BY e.id;
    -- Text as domain.gates.index_text makes it: two char(1), then ASCII lower case (what lower() does).
    INSERT INTO gate_text (rowid, name, card, plate, subject_id)
    SELECT id,
        char(1, 1) || lower(replace(name, char(1), '')),
        char(1, 1) || lower(replace(card, char(1), '')),
        char(1, 1) || lower(replace(plate, char(1), '')),
        char(1, 1) || lower(replace(subject_id, char(1), ''))
    FROM gate_events;
    INSERT INTO gate_time_blocks (block, min_time, max_time)
    SELECT id >> 10, min(time), max(time) FROM gate_events GROUP BY id >> 10;
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
