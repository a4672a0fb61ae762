"""The one writer thread that owns the SQLite database: group commit, futures resolved after the commit."""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import orjson

from drivers.base import DeviceEvent

from . import migrations
from .multirow import ROWS_PER_STATEMENT, insert_values

log = logging.getLogger(__name__)

T = TypeVar("T")
DB_NAME = "console.db"
# Large enough to amortise one fsync over many events, small enough that the first caller in a batch
# does not wait long behind the last.
MAX_BATCH = 4096


class StoreError(Exception):
    """The database cannot be used; the message says why and what to do. Nothing was modified."""


@dataclass
class Tx:
    """What a write job sees: the connection inside the open transaction, and messages to publish
    only once the transaction is durable."""

    conn: sqlite3.Connection
    messages: list[Any] = field(default_factory=list)

    def emit(self, message: Any) -> None:
        self.messages.append(message)


IngestHook = Callable[[Tx, list[tuple[int, DeviceEvent]]], None]


@dataclass(frozen=True, slots=True)
class IngestResult:
    event_id: int
    duplicate: bool


class _Job:
    """A function to run, or events to insert: one (``event``) or several with one future (``events``)."""

    __slots__ = ("fn", "future", "event", "events", "enqueued")

    def __init__(
        self,
        fn: Callable[[Tx], Any] | None,
        event: DeviceEvent | None,
        events: list[DeviceEvent] | None = None,
    ) -> None:
        self.fn = fn
        self.event = event
        self.events = events
        self.future: Future[Any] = Future()
        self.enqueued = time.perf_counter()

    @property
    def stores_events(self) -> bool:
        return self.fn is None


_STOP = object()


def _connect(path: Path, *, readonly: bool) -> sqlite3.Connection:
    uri = f"file:{path}?mode={'ro' if readonly else 'rwc'}"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False, timeout=5.0)
    try:
        conn.execute("PRAGMA schema_version").fetchone()
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StoreError(
            f"{path} is corrupt or not a Campus Console database ({exc}). It was left untouched: "
            "restore it from a backup or move it aside to start with an empty database."
        ) from exc
    conn.execute("PRAGMA busy_timeout = 5000")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def iso(moment: datetime) -> str:
    """A fixed-width UTC ISO-8601 text, so stored times sort correctly as strings."""
    if moment.tzinfo is not UTC:  # received times are UTC already: no conversion for every event
        moment = moment.astimezone(UTC)
    return moment.isoformat(timespec="microseconds")


_PAYLOAD_OPTIONS = (
    orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
)


def payload_text(payload: Mapping[str, Any]) -> str:
    """JSON text of an event's payload: times and other values JSON lacks as ``str()``, as ``json.dumps(...,
    default=str)`` would write them; orjson because this runs for every stored event, in the writer thread."""
    try:
        return orjson.dumps(dict(payload), default=str, option=_PAYLOAD_OPTIONS).decode()
    except (orjson.JSONEncodeError, TypeError):  # e.g. an integer beyond 64 bits: the slow path takes it
        return json.dumps(dict(payload), ensure_ascii=False, default=str)


def event_row(event: DeviceEvent) -> tuple[Any, ...]:
    return (
        iso(event.received_time),
        iso(event.device_time) if event.device_time else None,
        event.source,
        event.point,
        event.kind,
        str(event.state),
        int(event.priority),
        event.summary,
        payload_text(event.payload),
        event.raw,
        event.dedup_key,
    )


_INSERT_EVENT = (
    "INSERT OR IGNORE INTO events (time, device_time, source, point, kind, state, priority, summary, "
    "payload, raw, dedup_key) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
)


class Store:
    """Owns the write connection. ``submit`` and ``ingest`` may be called from any thread."""

    def __init__(
        self, data_dir: Path, *, publish: Callable[[Any], None] | None = None, max_batch: int = MAX_BATCH
    ) -> None:
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / DB_NAME
        self._publish = publish or (lambda message: None)
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._hooks: list[IngestHook] = []
        self._batch_listeners: list[Callable[[], None]] = []
        self.max_batch = max_batch
        self._thread: threading.Thread | None = None
        self._lock_file: Any = None
        self._conn: sqlite3.Connection | None = None
        self._accepting = False
        self.commits = 0
        self.committed_jobs = 0
        # Time the writer spent on batches (wall) and the CPU it used meanwhile: wall well above CPU means
        # it waited (for the disk, or for the GIL another busy thread held), which the benchmarks report.
        self.busy_seconds = 0.0
        self.busy_cpu_seconds = 0.0

    # -- life cycle ---------------------------------------------------------------------------------
    def open(self) -> Store:
        """Lock the data directory, open and migrate the database, start the writer thread."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._lock_file = _lock_data_dir(self.data_dir)
        try:
            conn = _connect(self.path, readonly=False)
            try:
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if mode != "wal":
                    raise StoreError(f"{self.path}: cannot switch to WAL journal (got {mode!r})")
                # FULL: a commit is on disk before its futures resolve, so an ACK never outruns the data.
                conn.execute("PRAGMA synchronous = FULL")
                migrations.migrate(conn)
            except sqlite3.OperationalError as exc:
                conn.close()
                raise StoreError(f"{self.path} is locked or unwritable ({exc})") from exc
            except migrations.SchemaTooNew as exc:
                conn.close()
                raise StoreError(f"{self.path}: {exc}") from exc
            except BaseException:
                conn.close()
                raise
        except BaseException:
            self._unlock()
            raise
        self._conn = conn
        self._thread = threading.Thread(target=self._run, name="store-writer", daemon=True)
        self._accepting = True
        self._thread.start()
        return self

    def close(self, timeout: float = 10.0) -> None:
        """Finish every queued job, then stop the writer and release the directory."""
        self._accepting = False
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.error("store writer did not stop within %.1f s", timeout)
            self._thread = None
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute("PRAGMA optimize")
            self._conn.close()
            self._conn = None
        self._unlock()

    def _unlock(self) -> None:
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def __enter__(self) -> Store:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- API ----------------------------------------------------------------------------------------
    def add_ingest_hook(self, hook: IngestHook) -> None:
        """Run ``hook`` inside the transaction that stores new (non-duplicate) events."""
        self._hooks.append(hook)

    def add_batch_listener(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` in the writer thread after every batch's futures have been resolved, so a
        waiter in another thread can be woken once per batch instead of once per future."""
        self._batch_listeners.append(listener)

    def ingest(self, event: DeviceEvent) -> Future[IngestResult]:
        """Queue an event; the future resolves after the commit that made it durable."""
        job = _Job(None, event)
        self._put(job)
        return job.future

    def ingest_many(self, events: list[DeviceEvent]) -> Future[list[IngestResult]]:
        """Queue several events as one job (one future, one wake-up for the caller); the future
        resolves with their results in order after the commit that made all of them durable."""
        job = _Job(None, None, list(events))
        self._put(job)
        return job.future

    def submit(self, fn: Callable[[Tx], T]) -> Future[T]:
        """Run ``fn`` in the writer thread inside a transaction; resolves after the commit.

        A job that raises is rolled back alone (a savepoint) and its future carries the exception.
        """
        job = _Job(fn, None)
        self._put(job)
        return job.future

    def reader(self) -> sqlite3.Connection:
        """A new read-only connection for the calling thread."""
        return open_reader(self.path)

    @contextlib.contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """``with store.reading() as conn:`` a read-only connection, closed at the end of the block."""
        conn = self.reader()
        try:
            yield conn
        finally:
            conn.close()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _put(self, job: _Job) -> None:
        if not self._accepting:  # a flag, not Thread.is_alive(): this runs once per event
            raise StoreError("the store is not open")
        self._queue.put(job)

    # -- writer thread ------------------------------------------------------------------------------
    def _run(self) -> None:
        assert self._conn is not None
        conn = self._conn
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is _STOP:
                break
            batch = [first]
            while len(batch) < self.max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stopping = True
                    break
                batch.append(item)
            started, cpu = time.perf_counter(), time.thread_time()
            self._commit_batch(conn, batch)
            self.busy_seconds += time.perf_counter() - started
            self.busy_cpu_seconds += time.thread_time() - cpu

    def _commit_batch(self, conn: sqlite3.Connection, batch: list[_Job]) -> None:
        tx = Tx(conn)
        outcomes: list[tuple[_Job, Any, BaseException | None]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            fresh: list[tuple[int, DeviceEvent]] = []
            for run in _runs(batch):
                if run[0].stores_events:
                    outcomes.extend(_insert_events(conn, run, fresh))
                else:
                    outcomes.extend(self._run_job(tx, job) for job in run)
            if fresh:
                for hook in self._hooks:
                    self._run_hook(tx, hook, fresh)
            conn.execute("COMMIT")
        except BaseException as exc:  # the commit itself failed: nothing in the batch is durable
            log.exception("store commit failed; %d jobs rolled back", len(batch))
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            for job in batch:
                job.future.set_exception(StoreError(f"commit failed: {exc}"))
            for listener in self._batch_listeners:
                listener()
            return
        self.commits += 1
        self.committed_jobs += len(batch)
        for job, result, error in outcomes:
            if error is None:
                job.future.set_result(result)
            else:
                job.future.set_exception(error)
        for listener in self._batch_listeners:
            listener()
        for message in tx.messages:
            try:
                self._publish(message)
            except Exception:
                log.exception("publishing %r failed", message)

    @staticmethod
    def _run_job(tx: Tx, job: _Job) -> tuple[_Job, Any, BaseException | None]:
        assert job.fn is not None
        mark = len(tx.messages)
        tx.conn.execute("SAVEPOINT job")
        try:
            result = job.fn(tx)
        except Exception as exc:
            tx.conn.execute("ROLLBACK TO job")
            tx.conn.execute("RELEASE job")
            del tx.messages[mark:]
            return job, None, exc
        tx.conn.execute("RELEASE job")
        return job, result, None

    @staticmethod
    def _run_hook(tx: Tx, hook: IngestHook, fresh: list[tuple[int, DeviceEvent]]) -> None:
        # A failing hook (a bug in alarm logic) must not lose the events themselves: they stay stored.
        mark = len(tx.messages)
        tx.conn.execute("SAVEPOINT hook")
        try:
            hook(tx, fresh)
        except Exception:
            log.exception("ingest hook %r failed for %d events", hook, len(fresh))
            tx.conn.execute("ROLLBACK TO hook")
            del tx.messages[mark:]
        tx.conn.execute("RELEASE hook")


def _runs(batch: list[_Job]) -> Iterator[list[_Job]]:
    """Consecutive event jobs form one run (one executemany); other jobs keep their order."""
    run: list[_Job] = []
    for job in batch:
        if run and job.stores_events != run[0].stores_events:
            yield run
            run = []
        run.append(job)
    if run:
        yield run


def _insert_events(
    conn: sqlite3.Connection, run: list[_Job], fresh: list[tuple[int, DeviceEvent]]
) -> list[tuple[_Job, Any, None]]:
    """Insert a run of events with one statement (``INSERT OR IGNORE``: a retransmission, whose dedup_key
    is stored already, is skipped). When some were skipped, one query by their keys says which, and
    each gets the stored event's id back; nothing is rolled back and inserted again."""
    events: list[DeviceEvent] = []
    for job in run:
        if job.events is not None:
            events.extend(job.events)
        elif job.event is not None:
            events.append(job.event)
    before = conn.total_changes
    insert_values(conn, _INSERT_EVENT, [event_row(e) for e in events])
    inserted = conn.total_changes - before
    # Rowids of a table without AUTOINCREMENT grow by one per insert inside our transaction.
    first = int(conn.execute("SELECT last_insert_rowid()").fetchone()[0]) - inserted + 1 if inserted else None
    if first is not None and inserted == len(events):
        fresh.extend((first + i, e) for i, e in enumerate(events))
        results = [IngestResult(first + i, False) for i in range(len(events))]
    else:
        results = _sort_out(conn, events, first, inserted, fresh)
    outcomes: list[tuple[_Job, Any, None]] = []
    at = 0
    for job in run:
        if job.events is not None:
            outcomes.append((job, results[at : at + len(job.events)], None))
            at += len(job.events)
        elif job.event is not None:
            outcomes.append((job, results[at], None))
            at += 1
    return outcomes


def _sort_out(
    conn: sqlite3.Connection,
    events: list[DeviceEvent],
    first: int | None,
    inserted: int,
    fresh: list[tuple[int, DeviceEvent]],
) -> list[IngestResult]:
    """Which events of a run the insert skipped as retransmissions, with the ids they already have; the
    others took the ids from ``first`` on, in order (None: none was inserted)."""
    keys = list({e.dedup_key for e in events if e.dedup_key is not None})
    stored: dict[str, int] = {}
    for start in range(0, len(keys), ROWS_PER_STATEMENT):
        chunk = keys[start : start + ROWS_PER_STATEMENT]
        marks = ",".join("?" * len(chunk))
        stored.update(conn.execute(f"SELECT dedup_key, id FROM events WHERE dedup_key IN ({marks})", chunk))
    results: list[IngestResult] = []
    new_id = first
    taken: set[str] = set()  # keys stored by this run: a second copy in the same run is a retransmission
    for event in events:
        key = event.dedup_key
        if key is not None and (key in taken or first is None or stored[key] < first):
            results.append(IngestResult(stored[key], True))
            continue
        if new_id is None or (key is not None and stored[key] != new_id):
            raise StoreError(f"event ids out of step after a retransmission (dedup key {key!r})")
        results.append(IngestResult(new_id, False))
        fresh.append((new_id, event))
        if key is not None:
            taken.add(key)
        new_id += 1
    new = len(results) - sum(r.duplicate for r in results)
    if new != inserted:  # a row skipped for another reason than its key
        raise StoreError(f"{inserted} events stored, but {new} were new")
    return results


def open_reader(path: Path) -> sqlite3.Connection:
    """Open an existing database read-only, checking it is ours and not newer than we understand."""
    if not path.exists():
        raise StoreError(f"no database at {path} (has the console run with this data directory?)")
    conn = _connect(path, readonly=True)
    version = migrations.schema_version(conn)
    if version > migrations.LATEST:
        conn.close()
        raise StoreError(
            f"{path}: database schema version {version} is newer than this program understands "
            f"({migrations.LATEST})"
        )
    return conn


def _lock_data_dir(data_dir: Path) -> Any:
    path = data_dir / "console.lock"
    handle = open(path, "a+")  # noqa: SIM115 - held open for the store's lifetime
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        owner = handle.read().strip() or "unknown"
        handle.close()
        raise StoreError(
            f"the data directory {data_dir} is in use by another Campus Console (pid {owner}); "
            "stop it or choose another --data-dir"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def rows(conn: sqlite3.Connection, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
    cur = conn.execute(sql, tuple(params))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
