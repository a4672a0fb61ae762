"""The gate log on a real store: migration, indexing on ingest, filters against brute force, masking,
audit, CSV export, hourly counts and the person-data retention purge."""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.domain.gates import MASK, GateFilter, GateRow, index_text
from console.domain.roles import PermissionDenied
from console.services.gates import GateIndexer
from console.storage import gate_rows, migrations
from console.storage.store import Store, event_row, iso
from drivers.base import Direction, GateResult

from .test_gate_support import T0, GateWorld, gate_event, site


@pytest.fixture
def world(data_dir: Path, fast_hasher: PasswordHasher) -> Iterator[GateWorld]:
    w = GateWorld(data_dir, fast_hasher)
    yield w
    w.store.close()


# -- migration --------------------------------------------------------------------------------------------
def test_migration_3_upgrades_a_version_2_database_and_indexes_its_gate_events(data_dir: Path) -> None:
    conn = sqlite3.connect(data_dir / "console.db", isolation_level=None)
    for number in (1, 2):
        for statement in migrations._split(migrations.MIGRATIONS[number - 1]):
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 2")
    conn.execute("INSERT INTO devices (id, name, kind, campus) VALUES ('gate-east', '东门', 'gate', 'east')")
    old_pass = gate_event(name="Old Wang", card="777001", at=T0)
    columns = "time, device_time, source, point, kind, state, priority, summary, payload, raw, dedup_key"
    conn.execute(f"INSERT INTO events ({columns}) VALUES (?,?,?,?,?,?,?,?,?,?,?)", event_row(old_pass))
    fire = replace(old_pass, source="fas-1", kind="fire.alarm", payload={})
    conn.execute(f"INSERT INTO events ({columns}) VALUES (?,?,?,?,?,?,?,?,?,?,?)", event_row(fire))
    conn.close()

    with Store(data_dir) as store:
        reader = store.reader()
        try:
            assert migrations.schema_version(reader) == migrations.LATEST == 3
            (row,) = gate_rows.query(reader, GateFilter())
            assert (row.id, row.campus, row.gate, row.card) == (1, "east", "gate-east", "777001")
            assert row.result == "granted"
            assert row.direction == "in" and row.time == T0
            assert [r.id for r in gate_rows.query(reader, GateFilter(text="old w"))] == [1]  # backfilled text
            assert [r.id for r in gate_rows.query(reader, GateFilter(text="77"))] == [1]
        finally:
            reader.close()
        # The next gate event continues the log with the store's next id.
        GateIndexer(store, site())
        new_id = store.ingest(gate_event(card="888")).result(5).event_id
        reader = store.reader()
        try:
            assert [r.id for r in gate_rows.query(reader, GateFilter())] == [new_id, 1]
        finally:
            reader.close()
        # The backfilled text index entries are exactly what the purge takes out again.
        purged = store.submit(lambda tx: gate_rows.purge_before(tx.conn, T0 + timedelta(days=1), 10)).result()
        assert purged.rows == 2
        check = "INSERT INTO gate_text(gate_text) VALUES ('integrity-check')"
        store.submit(lambda tx: tx.conn.execute(check)).result()
        left = store.submit(lambda tx: _text_hits(tx.conn, "old w") + _text_hits(tx.conn, "777")).result()
        assert left == []


def _text_hits(conn: sqlite3.Connection, text: str) -> list[int]:
    sql = "SELECT rowid FROM gate_text WHERE gate_text MATCH ? ORDER BY rowid"
    return [r[0] for r in conn.execute(sql, ('"' + text + '"',))]


# -- indexing through the real ingest path ------------------------------------------------------------------
def test_ingested_gate_events_are_indexed_with_campus_and_payload_fields(world: GateWorld) -> None:
    pictures = ("files/face/2026-11-22/ab.jpg",)
    ids = world.ingest(
        gate_event(at=T0, pictures=pictures),
        gate_event(GateResult.DENIED, gate="gate-west", at=T0 + timedelta(seconds=1), name=None, card=None,
                   plate="京A·12345", subject_id="京A·12345", direction=Direction.OUT, point=None),
        gate_event(GateResult.ALARM, at=T0 + timedelta(seconds=2), name=None, card=None, subject_id=None),
    )
    world.ingest(replace(gate_event(), source="fas-1", kind="fire.alarm"))  # not a gate event: not indexed
    rows = world.log.query(GateFilter(), world.supervisor)
    assert [r.id for r in rows] == ids[::-1]
    alarm, vehicle, person = rows
    assert person.campus == "east" and person.point == "east-lane-1" and person.door == "1"
    assert (person.name, person.card, person.subject_id) == ("张三", "0012345678", "E000123")
    assert person.pictures == pictures and person.method == "card"
    assert (person.kind, person.result, person.direction) == ("gate.pass", "granted", "in")
    assert (vehicle.campus, vehicle.plate, vehicle.result) == ("west", "京A·12345", "denied")
    assert vehicle.direction == "out"
    assert (vehicle.subject_kind, vehicle.reason) == ("vehicle", "no_right")
    assert (alarm.kind, alarm.result) == ("gate.alarm.tailgating", "alarm")
    assert world.sql("SELECT count(*) FROM gate_text")[0][0] == 3


def test_a_retransmitted_gate_event_is_indexed_once(world: GateWorld) -> None:
    event = replace(gate_event(), dedup_key="hik:serial-1")
    first, again = world.ingest(event, event)
    assert first == again
    assert len(world.log.query(GateFilter(), world.supervisor)) == 1


# -- every filter against brute force -------------------------------------------------------------------
_ALPHABET = "abcAB12-\"京张王 "
_values = st.one_of(st.none(), st.text(_ALPHABET, min_size=1, max_size=7))


@st.composite
def _rows(draw: st.DrawFn) -> list[GateRow]:
    count = draw(st.integers(1, 60))
    out = []
    ident = 0
    for _ in range(count):
        ident += draw(st.sampled_from((1, 1, 2, 700, 1500)))  # several time blocks, gaps in the ids
        at = T0 + timedelta(seconds=ident * 3 + draw(st.integers(-400, 400)))  # not quite in id order
        out.append(
            GateRow(
                id=ident,
                time=at,
                device_time=None,
                campus=draw(st.sampled_from(("east", "west", None))),
                gate=draw(st.sampled_from(("g1", "g2", "g3"))),
                point=None,
                door=None,
                kind="gate.pass",
                result=draw(st.sampled_from(("granted", "denied", "alarm", "info"))),
                direction=draw(st.sampled_from(("in", "out", None))),
                subject_kind="person",
                subject_id=draw(_values),
                name=draw(_values),
                card=draw(_values),
                plate=draw(_values),
                method=None,
                reason="",
                list_name=None,
                pictures=(),
                summary="",
            )
        )
    return out


def _as_values(row: GateRow) -> tuple[object, ...]:
    return (
        row.id, iso(row.time), None, row.campus, row.gate, None, None, row.kind, row.result, row.direction,
        row.subject_kind, row.subject_id, row.name, row.card, row.plate, None, "", None, "[]", "",
    )


def _ascii_lower(text: str) -> str:
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in text)


def _reference(rows: list[GateRow], flt: GateFilter) -> list[int]:
    """An independent reading of the filter's documented meaning."""
    needle = _ascii_lower((flt.text or "").strip())

    def text_ok(row: GateRow) -> bool:
        if not needle:
            return True
        fields = [_ascii_lower(v) for v in (row.name, row.card, row.plate, row.subject_id) if v is not None]
        if len(needle) < 3:
            return any(f.startswith(needle) for f in fields)
        return any(needle in f for f in fields)

    kept = [
        r.id
        for r in rows
        if all(
            getattr(flt, k) is None or getattr(r, k) == getattr(flt, k)
            for k in ("campus", "gate", "direction", "result")
        )
        and (flt.since is None or r.time >= flt.since)
        and (flt.until is None or r.time < flt.until)
        and (flt.before_id is None or r.id < flt.before_id)
        and text_ok(r)
    ]
    return sorted(kept, reverse=True)[: flt.limit]


@st.composite
def _filters(draw: st.DrawFn, rows: list[GateRow]) -> GateFilter:
    def text() -> str | None:
        choice = draw(st.integers(0, 3))
        if choice == 0:
            return None
        if choice == 1:
            return draw(st.text(_ALPHABET, min_size=0, max_size=5))
        values = [v for r in rows for v in (r.name, r.card, r.plate, r.subject_id) if v]
        if not values:
            return None
        value = draw(st.sampled_from(values))
        start = draw(st.integers(0, len(value) - 1))
        end = draw(st.integers(start + 1, len(value)))
        fragment = value[start:end] if choice == 2 else value[:end]
        return fragment.upper() if draw(st.booleans()) else fragment

    def moment() -> datetime | None:
        if draw(st.booleans()):
            return None
        return T0 + timedelta(seconds=draw(st.integers(-500, 3 * 60 * 1600)))

    return GateFilter(
        campus=draw(st.sampled_from((None, "east", "west"))),
        gate=draw(st.sampled_from((None, "g1", "g2", "g3"))),
        direction=draw(st.sampled_from((None, "in", "out"))),
        result=draw(st.sampled_from((None, "granted", "denied", "alarm"))),
        since=moment(),
        until=moment(),
        text=text(),
        before_id=draw(st.one_of(st.none(), st.integers(0, 70 * 1500))),
        limit=draw(st.sampled_from((1, 3, 200))),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_filter_combination_matches_brute_force(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, data: st.DataObject
) -> None:
    rows = data.draw(_rows())
    path = tmp_path_factory.mktemp("filters") / "gate.db"
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        migrations.migrate(conn)
        conn.execute("BEGIN")
        gate_rows.insert_rows(conn, [_as_values(r) for r in rows])
        conn.execute("COMMIT")
        # A tiny first chunk makes the second text plan (filter index tested against the matches) run too.
        chunk = data.draw(st.sampled_from((1, 2, 2000)))
        monkeypatch.setattr(gate_rows, "_chunk_size", lambda limit: chunk)
        for _ in range(8):
            flt = data.draw(_filters(rows))
            got = [r.id for r in gate_rows.query(conn, flt)]
            assert got == _reference(rows, flt), flt
    finally:
        conn.close()


def test_paging_with_before_id_walks_every_row_once(world: GateWorld) -> None:
    ids = world.ingest(*[gate_event(at=T0 + timedelta(seconds=n), card=f"9{n:04d}") for n in range(45)])
    seen: list[int] = []
    flt = GateFilter(text="90", limit=10)
    while True:
        page = world.log.query(flt, world.supervisor)
        seen.extend(r.id for r in page)
        if len(page) < flt.limit:
            break
        flt = replace(flt, before_id=page[-1].id)
    assert seen == ids[::-1]


# -- masking, permissions and audit --------------------------------------------------------------------------
def test_person_data_is_masked_for_roles_without_view_person_data(world: GateWorld) -> None:
    world.ingest(gate_event(pictures=("files/face/2026-11-22/ab.jpg",)))
    (seen,) = world.log.query(GateFilter(), world.supervisor)
    (hidden,) = world.log.query(GateFilter(), world.operator)
    assert (seen.name, seen.card) == ("张三", "0012345678")
    assert (hidden.name, hidden.card, hidden.subject_id, hidden.plate) == (MASK, MASK, MASK, None)
    assert hidden.pictures == () and "张三" not in hidden.summary
    assert (hidden.gate, hidden.result, hidden.direction) == (seen.gate, seen.result, seen.direction)
    # Searching by person is a search for a person: refused (and the refusal audited) without the permission.
    with pytest.raises(PermissionDenied):
        world.log.query(GateFilter(text="张三"), world.operator)
    with pytest.raises(PermissionDenied):
        world.log.picture_path("files/face/2026-11-22/ab.jpg", world.viewer)
    assert len(world.audit_rows("permission_denied")) == 2


def test_viewing_person_data_by_search_is_audited_once_per_search(world: GateWorld) -> None:
    ids = world.ingest(*[gate_event(at=T0 + timedelta(seconds=n)) for n in range(5)])
    world.log.query(GateFilter(), world.supervisor)  # browsing: not a search
    page = world.log.query(GateFilter(text="张三", limit=2), world.supervisor)
    world.log.query(GateFilter(text="张三", limit=2, before_id=page[-1].id), world.supervisor)  # scrolling
    world.log.query(GateFilter(text="nobody"), world.supervisor)  # nothing shown
    (row,) = world.audit_rows("gate_log.view_person_data")
    assert row["actor"] == "sup" and row["text"] == "张三" and row["rows"] == 2
    assert [r.id for r in page] == ids[::-1][:2]
    world.log.picture_path("files/face/2026-11-22/ab.jpg", world.supervisor)
    (picture,) = world.audit_rows("gate_log.view_picture")
    assert picture["target"] == "files/face/2026-11-22/ab.jpg"


def test_export_writes_the_filtered_rows_masked_as_the_role_sees_them_and_audits(
    world: GateWorld, tmp_path: Path
) -> None:
    world.ingest(
        gate_event(at=T0, name="=cmd|calc", card="111"),
        gate_event(GateResult.DENIED, at=T0 + timedelta(seconds=1), card="222"),
        gate_event(GateResult.DENIED, gate="gate-west", at=T0 + timedelta(seconds=2), card="333"),
    )
    target = tmp_path / "gates.csv"
    with pytest.raises(PermissionDenied):
        world.log.export_csv(GateFilter(), target, world.operator)
    count = world.log.export_csv(GateFilter(gate="gate-east"), target, world.supervisor).result(10)
    assert count == 2
    with open(target, encoding="utf-8-sig", newline="") as fh:
        lines = list(csv.reader(fh))
    assert lines[0] == list(gate_rows.COLUMNS)
    cards = [line[gate_rows.COLUMNS.index("card")] for line in lines[1:]]
    assert cards == ["222", "111"]
    assert lines[2][gate_rows.COLUMNS.index("name")] == "'=cmd|calc"  # no formula for a spreadsheet to run
    (audited,) = world.audit_rows("gate_log.export")
    assert audited["rows"] == 2 and audited["gate"] == "gate-east" and audited["person_data"] is True


def test_hourly_counts_split_granted_passes_by_direction(world: GateWorld) -> None:
    world.ingest(
        gate_event(at=T0 + timedelta(minutes=1)),
        gate_event(at=T0 + timedelta(minutes=2), direction=Direction.OUT),
        gate_event(at=T0 + timedelta(minutes=3)),
        gate_event(GateResult.DENIED, at=T0 + timedelta(minutes=4)),  # refused: nobody passed
        gate_event(at=T0 + timedelta(hours=1, minutes=5), gate="gate-west"),
        gate_event(at=T0 + timedelta(hours=5)),  # outside the range
    )
    counts = world.log.hourly_counts(GateFilter(since=T0, until=T0 + timedelta(hours=2)))
    assert [(c.hour, c.gate, c.entered, c.exited) for c in counts] == [
        (T0, "gate-east", 2, 1),
        (T0 + timedelta(hours=1), "gate-west", 1, 0),
    ]
    west = world.log.hourly_counts(GateFilter(since=T0, until=T0 + timedelta(hours=2), campus="west"))
    assert [c.gate for c in west] == ["gate-west"]


# -- retention -------------------------------------------------------------------------------------------
def test_purge_removes_old_rows_text_index_pictures_and_event_person_data(world: GateWorld) -> None:
    now = datetime.now(UTC)
    old_picture = world.files.save("face", b"old face", ".jpg", now - timedelta(days=40))
    shared = world.files.save("face", b"boundary face", ".jpg", now - timedelta(days=30))
    new_picture = world.files.save("face", b"new face", ".jpg", now)
    old_ids = world.ingest(
        gate_event(at=now - timedelta(days=40), name="Old Li", card="555001", pictures=(old_picture,)),
        gate_event(at=now - timedelta(days=30, seconds=5), name="Old Li", card="555002", pictures=(shared,)),
    )
    kept_ids = world.ingest(
        gate_event(at=now - timedelta(days=30) + timedelta(seconds=5), name="New Li", card="555003",
                   pictures=(shared,)),
        gate_event(at=now, name="New Li", card="555004", pictures=(new_picture,)),
    )
    assert world.log.purge_person_data(now) == 2
    assert [r.id for r in world.log.query(GateFilter(), world.supervisor)] == kept_ids[::-1]
    assert world.log.query(GateFilter(text="old li"), world.supervisor) == []
    reader = world.store.reader()
    try:  # the index itself, not only the rows it leads to: no posting of a purged row is left behind
        assert _text_hits(reader, "old li") == [] and _text_hits(reader, "555001") == []
        assert _text_hits(reader, "new li") == kept_ids
    finally:
        reader.close()
    assert [r.id for r in world.log.query(GateFilter(text="5550"), world.supervisor)] == kept_ids[::-1]
    assert [r.id for r in world.log.query(GateFilter(text="55"), world.supervisor)] == kept_ids[::-1]
    assert not (world.data_dir_path / old_picture).exists()
    assert (world.data_dir_path / shared).exists()  # still named by a kept row
    assert (world.data_dir_path / new_picture).exists()
    for event_id in old_ids:
        ((payload, raw, summary),) = world.sql(
            "SELECT payload, raw, summary FROM events WHERE id = ?", (event_id,)
        )
        assert "Old Li" not in payload and "5550" not in payload and raw == b"" and "Old Li" not in summary
        assert json.loads(payload)["result"] == "granted"
    check = "INSERT INTO gate_text(gate_text) VALUES ('integrity-check')"
    world.store.submit(lambda tx: tx.conn.execute(check)).result()  # raises if the index is inconsistent
    (purge,) = world.audit_rows("gate_log.purge")
    assert purge["rows"] == 2 and purge["pictures"] == 1
    assert world.log.purge_person_data(now) == 0


def test_a_rare_filter_over_many_text_matches_is_answered_from_the_filter_index(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [
        replace(_ROW, id=n, time=T0 + timedelta(seconds=n), card=f"abc{n}", result="granted")
        if n % 17
        else replace(_ROW, id=n, time=T0 + timedelta(seconds=n), card=f"abc{n}", result="alarm")
        for n in range(1, 120)
    ]
    conn = sqlite3.connect(data_dir / "gate.db", isolation_level=None)
    try:
        migrations.migrate(conn)
        gate_rows.insert_rows(conn, [_as_values(r) for r in rows])
        monkeypatch.setattr(gate_rows, "_chunk_size", lambda limit: 5)  # the newest 5 matches hold no alarm
        got = [r.id for r in gate_rows.query(conn, GateFilter(text="ABC", result="alarm", limit=4))]
        assert got == [119, 102, 85, 68]
        older = GateFilter(text="abc", result="alarm", before_id=68)
        assert [r.id for r in gate_rows.query(conn, older)] == [51, 34, 17]
    finally:
        conn.close()


_ROW = GateRow(
    id=0, time=T0, device_time=None, campus="east", gate="g1", point=None, door=None, kind="gate.pass",
    result="granted", direction="in", subject_kind="person", subject_id=None, name=None, card=None,
    plate=None, method=None, reason="", list_name=None, pictures=(), summary="",
)


def test_an_odd_payload_is_stored_but_not_indexed_and_logged_as_a_warning(
    world: GateWorld, caplog: pytest.LogCaptureFixture
) -> None:
    odd = replace(gate_event(), payload={"result": "granted", "pictures": 5, "card": "1"})
    odd_id, good_id = world.ingest(odd, gate_event(at=T0 + timedelta(seconds=1)))
    assert [r.id for r in world.log.query(GateFilter(), world.supervisor)] == [good_id]
    assert world.sql("SELECT count(*) FROM events WHERE id = ?", (odd_id,)) == [(1,)]
    assert any("not indexed" in r.getMessage() and "'pictures': 5" in r.getMessage() for r in caplog.records)


@given(st.text(max_size=12))
def test_the_migration_folds_text_exactly_as_the_code_does(value: str) -> None:
    # The backfill in migration 3 and insert_rows must write identical index text, or a purge's delete
    # (computed by the code) would leave the backfilled postings behind.
    conn = sqlite3.connect(":memory:")
    try:
        (folded,) = conn.execute("SELECT char(1, 1) || lower(replace(?, char(1), ''))", (value,)).fetchone()
    finally:
        conn.close()
    assert folded == index_text(value)


def test_bulk_insert_indexes_like_insert_rows_and_purges_clean(data_dir: Path) -> None:
    rows = [
        replace(_ROW, id=n, time=T0 + timedelta(seconds=n), name=f"Bulk Name{n}", card=f"C{n:05d}")
        for n in range(2000, 2100)
    ]
    conn = sqlite3.connect(data_dir / "gate.db", isolation_level=None)
    try:
        migrations.migrate(conn)
        gate_rows.insert_rows_bulk(conn, [_as_values(r) for r in rows])
        everyone = [r.id for r in gate_rows.query(conn, GateFilter(text="bulk name20", limit=500))]
        assert everyone == list(range(2099, 1999, -1))
        assert [r.id for r in gate_rows.query(conn, GateFilter(text="c0205"))] == list(range(2059, 2049, -1))
        flt = GateFilter(since=T0 + timedelta(seconds=2010), until=T0 + timedelta(seconds=2013))
        assert [r.id for r in gate_rows.query(conn, flt)] == [2012, 2011, 2010]
        assert gate_rows.purge_before(conn, T0 + timedelta(days=1), 1000).rows == 100
        assert _text_hits(conn, "bulk") == [] and _text_hits(conn, "c0") == []
        assert conn.execute("SELECT count(*) FROM gate_time_blocks").fetchone() == (0,)
    finally:
        conn.close()
