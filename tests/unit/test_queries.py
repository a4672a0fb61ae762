"""Event queries: kind families, sources, time ranges, order and limit, and the index a family reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from console.storage import queries
from console.storage.store import DB_NAME, Store, open_reader
from drivers.base import DeviceEvent, EventState, Priority

START = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
# Kinds around the "fire" family's edges: a longer word, the character after '.', another family.
KINDS = ["fire", "fire.alarm", "fire.fault", "fire.alarm.zone", "firex", "fire/x", "gate.pass", "fir"]


def _event(i: int, kind: str) -> DeviceEvent:
    return DeviceEvent(
        source=f"dev-{i % 2}",
        kind=kind,
        state=EventState.INFO,
        priority=Priority.INFO,
        summary=kind,
        received_time=START + timedelta(minutes=i),
        dedup_key=f"q:{i}",
    )


def _stored(data_dir: Path) -> None:
    with Store(data_dir) as store:
        for future in [store.ingest(_event(i, kind)) for i, kind in enumerate(KINDS)]:
            future.result(10)


def _kinds(data_dir: Path, flt: queries.EventFilter) -> list[str]:
    conn = open_reader(data_dir / DB_NAME)
    try:
        return [row["kind"] for row in queries.events(conn, flt)]
    finally:
        conn.close()


def test_a_family_is_the_kind_itself_and_every_kind_below_it(data_dir: Path) -> None:
    _stored(data_dir)
    assert _kinds(data_dir, queries.EventFilter(kind="fire")) == [
        "fire", "fire.alarm", "fire.fault", "fire.alarm.zone"
    ]
    assert _kinds(data_dir, queries.EventFilter(kind="fire.alarm")) == ["fire.alarm", "fire.alarm.zone"]
    assert _kinds(data_dir, queries.EventFilter(kind="fir")) == ["fir"]
    assert _kinds(data_dir, queries.EventFilter(kind="gate")) == ["gate.pass"]


def test_source_time_range_order_and_limit(data_dir: Path) -> None:
    _stored(data_dir)
    odd = ["fire.alarm", "fire.alarm.zone", "fire/x", "fir"]
    assert _kinds(data_dir, queries.EventFilter(source="dev-1")) == odd
    window = queries.EventFilter(since=START + timedelta(minutes=2), until=START + timedelta(minutes=5))
    assert _kinds(data_dir, window) == ["fire.fault", "fire.alarm.zone", "firex"]
    newest = queries.EventFilter(kind="fire", newest_first=True, limit=2)
    assert _kinds(data_dir, newest) == ["fire.alarm.zone", "fire.fault"]


def test_a_family_reads_the_kind_index_not_the_whole_table(data_dir: Path) -> None:
    # The fire board asks for the newest fire events when it opens, on a site where nearly every stored
    # event may be a gate pass: a scan of the table there cost 300 ms per million rows.
    _stored(data_dir)
    conn = open_reader(data_dir / DB_NAME)
    try:
        seen: list[str] = []
        conn.set_trace_callback(seen.append)
        list(queries.events(conn, queries.EventFilter(kind="fire", newest_first=True, limit=10)))
        conn.set_trace_callback(None)
        select = next(sql for sql in seen if 'from "events"' in sql)  # as sqlite-utils writes it
        plan = " ".join(str(row[3]) for row in conn.execute("EXPLAIN QUERY PLAN " + select))
    finally:
        conn.close()
    assert "events_kind_time" in plan and "SCAN events" not in plan, plan
