"""The store: group commit, futures after commit, retransmissions, durability under SIGKILL, bad databases."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import threading
from concurrent.futures import Future
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.storage import migrations
from console.storage.store import DB_NAME, Store, StoreError, Tx, open_reader
from drivers.base import DeviceEvent, EventState, Priority


def ev(i: int, key: str | None = None) -> DeviceEvent:
    return DeviceEvent(
        source="gate-1",
        kind="gate.pass",
        state=EventState.INFO,
        priority=Priority.INFO,
        summary=f"pass {i}",
        point="door-1",
        raw=b"\x00\xff" + bytes([i % 256]),
        dedup_key=key,
    )


def test_group_commit_batches_many_events_per_transaction(data_dir: Path) -> None:
    with Store(data_dir) as store:
        futures = [store.ingest(ev(i)) for i in range(5000)]
        ids = [f.result(10).event_id for f in futures]
        assert ids == sorted(ids) and len(set(ids)) == 5000
        assert store.commits < 5000 / 10, "events must share commits"
        # The writer's load: time on batches, and the CPU it used meanwhile (never more than that time).
        assert 0 < store.busy_cpu_seconds <= store.busy_seconds * 1.05
    conn = open_reader(data_dir / DB_NAME)
    assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 5000
    assert conn.execute("SELECT raw FROM events WHERE id = ?", (ids[3],)).fetchone()[0] == b"\x00\xff\x03"


def test_future_resolves_only_after_commit(data_dir: Path) -> None:
    with Store(data_dir) as store:
        seen: list[int] = []

        def check(fut: Future) -> None:  # runs right after the commit: a second connection must see it
            conn = sqlite3.connect(data_dir / DB_NAME)
            seen.append(
                conn.execute("SELECT count(*) FROM events WHERE id = ?", (fut.result().event_id,)).fetchone()[
                    0
                ]
            )
            conn.close()

        store.ingest(ev(1)).add_done_callback(check)
        store.submit(lambda tx: None).result(5)
    assert seen == [1]


def test_retransmission_returns_same_id_and_no_new_event(data_dir: Path) -> None:
    with Store(data_dir) as store:
        hooked: list[int] = []
        store.add_ingest_hook(lambda tx, fresh: hooked.extend(i for i, _ in fresh))
        first = store.ingest(ev(1, "uitd:7")).result(5)
        batch = [store.ingest(ev(2, "uitd:7")), store.ingest(ev(3, "uitd:8")), store.ingest(ev(4, "uitd:8"))]
        again, other, other_again = (f.result(5) for f in batch)
    assert again.event_id == first.event_id and again.duplicate
    assert other_again.event_id == other.event_id and other_again.duplicate and not other.duplicate
    assert hooked == [first.event_id, other.event_id], "a retransmission raises nothing new"


def test_failing_job_rolls_back_alone(data_dir: Path) -> None:
    def bad(tx: Tx) -> None:
        tx.conn.execute("INSERT INTO settings VALUES ('a', '1')")
        raise ValueError("boom")

    with Store(data_dir) as store:
        f_bad = store.submit(bad)
        f_ok = store.ingest(ev(1))
        with pytest.raises(ValueError):
            f_bad.result(5)
        assert f_ok.result(5).event_id == 1
        assert (
            store.submit(lambda tx: tx.conn.execute("SELECT count(*) FROM settings").fetchone()[0]).result(5)
            == 0
        )


def test_concurrent_producers(data_dir: Path) -> None:
    with Store(data_dir) as store:
        results: list[int] = []

        def produce(n: int) -> None:
            results.extend(store.ingest(ev(n * 1000 + i)).result(10).event_id for i in range(300))

        threads = [threading.Thread(target=produce, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(set(results)) == 1200


@pytest.mark.slow
def test_sigkill_loses_no_acknowledged_event(data_dir: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("ingest_child.py")), str(data_dir)],
        stdout=subprocess.PIPE,
        text=True,
    )
    acked: list[str] = []
    assert child.stdout is not None
    for line in child.stdout:
        acked.append(line.strip())
        if len(acked) >= 3000:
            break
    child.send_signal(signal.SIGKILL)
    child.wait(10)
    acked.extend(line.strip() for line in child.stdout)  # whatever was already in the pipe was ACKed too
    child.stdout.close()
    conn = open_reader(data_dir / DB_NAME)
    stored = {row[0] for row in conn.execute("SELECT dedup_key FROM events")}
    missing = [k for k in acked if k not in stored]
    assert not missing, f"{len(missing)} acknowledged events lost, e.g. {missing[:5]}"
    conn.close()


def test_corrupt_database_is_refused_and_untouched(data_dir: Path) -> None:
    garbage = b"this is not sqlite" * 100
    (data_dir / DB_NAME).write_bytes(garbage)
    with pytest.raises(StoreError, match="corrupt or not a Campus Console database"):
        Store(data_dir).open()
    assert (data_dir / DB_NAME).read_bytes() == garbage


def test_newer_schema_is_refused(data_dir: Path) -> None:
    conn = sqlite3.connect(data_dir / DB_NAME)
    conn.execute(f"PRAGMA user_version = {migrations.LATEST + 5}")
    conn.close()
    with pytest.raises(StoreError, match="newer than this program"):
        Store(data_dir).open()
    with pytest.raises(StoreError, match="newer than this program"):
        open_reader(data_dir / DB_NAME)


def test_second_console_on_same_data_dir_is_refused(data_dir: Path) -> None:
    with Store(data_dir), pytest.raises(StoreError, match="in use by another Campus Console"):
        Store(data_dir).open()


def test_locked_database_gives_clear_error(data_dir: Path) -> None:
    with Store(data_dir):
        pass
    holder = sqlite3.connect(data_dir / DB_NAME, isolation_level=None)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        store = Store(data_dir)
        with pytest.raises(StoreError, match="locked"):
            store.open()
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_migrations_are_idempotent(data_dir: Path) -> None:
    with Store(data_dir):
        pass
    with Store(data_dir) as store:
        version = store.submit(lambda tx: migrations.schema_version(tx.conn)).result(5)
    assert version == migrations.LATEST


@settings(max_examples=40, deadline=None)
@given(
    earlier=st.lists(st.sampled_from("abcdef"), max_size=4),
    keys=st.lists(st.one_of(st.none(), st.sampled_from("abcdefgh")), min_size=1, max_size=12),
)
def test_a_run_with_retransmissions_gets_each_event_its_id(
    tmp_path_factory: pytest.TempPathFactory, earlier: list[str], keys: list[str | None]
) -> None:
    """One run mixing new events, events stored by an earlier commit and copies within the run: each new
    one gets the next id, each copy the id of what it copies, and only the new ones reach the hooks."""
    with Store(tmp_path_factory.mktemp("store")) as store:
        known: dict[str, int] = {}
        for key in earlier:
            result = store.ingest(ev(0, key)).result(5)
            known.setdefault(key, result.event_id)
        hooked: list[int] = []
        store.add_ingest_hook(lambda tx, fresh: hooked.extend(i for i, _ in fresh))
        top = store.submit(lambda tx: tx.conn.execute("SELECT max(id) FROM events").fetchone()[0]).result(5)
        results = store.ingest_many([ev(i, key) for i, key in enumerate(keys)]).result(5)
        rows = store.submit(lambda tx: tx.conn.execute("SELECT count(*) FROM events").fetchone()[0]).result(5)
    next_id = (top or 0) + 1
    expected: list[tuple[int, bool]] = []
    for key in keys:
        if key is not None and key in known:
            expected.append((known[key], True))
        else:
            expected.append((next_id, False))
            if key is not None:
                known[key] = next_id
            next_id += 1
    assert [(r.event_id, r.duplicate) for r in results] == expected
    assert hooked == [i for i, duplicate in expected if not duplicate]
    assert rows == next_id - 1
