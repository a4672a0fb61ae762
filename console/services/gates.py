"""The gate log: indexes stored gate events (ingest hook) and serves filtered, masked, audited reads."""

from __future__ import annotations

import contextlib
import csv
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from console.config import Site
from console.domain.gates import GateFilter, GateRow, HourlyCount, masked, search_text
from console.domain.roles import Permission
from console.domain.session import SYSTEM_ACTOR, Session
from console.storage import gate_rows
from console.storage.files import FileStore
from console.storage.store import Store, Tx
from drivers.base import DeviceEvent, utc_now

from .accounts import Accounts
from .audit import AuditLog, append_audit

log = logging.getLogger(__name__)

# Audit action names (stored verbatim: never rename one that has shipped).
VIEW_PERSON_DATA = "gate_log.view_person_data"
VIEW_PICTURE = "gate_log.view_picture"
EXPORT = "gate_log.export"
PURGE = "gate_log.purge"

CSV_COLUMNS = gate_rows.COLUMNS
# Rows purged per writer job: small enough that ingest never waits long behind housekeeping.
_PURGE_CHUNK = 5000


class GateIndexer:
    """Puts every fresh gate.* event into the gate log inside the transaction that stores it."""

    def __init__(self, store: Store, site: Site) -> None:
        self._campus = {g.id: g.campus for g in site.gates}
        store.add_ingest_hook(self._on_events)

    def _on_events(self, tx: Tx, fresh: list[tuple[int, DeviceEvent]]) -> None:
        rows = []
        for event_id, event in fresh:
            if not gate_rows.is_gate_kind(event.kind):
                continue
            try:
                rows.append(gate_rows.row_values(event_id, event, self._campus.get(event.source)))
            except (TypeError, ValueError, AttributeError) as exc:  # an odd payload: skip its row only
                log.warning(
                    "gate event %d from %s not indexed (%s): payload %r",
                    event_id, event.source, exc, repr(dict(event.payload))[:200],
                )
        gate_rows.insert_rows(tx.conn, rows)


class GateLog:
    """Reads of the gate log. Each call uses its own read connection, never the writer."""

    def __init__(
        self,
        store: Store,
        accounts: Accounts,
        audit_log: AuditLog,
        files: FileStore,
        site: Site,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._store = store
        self._accounts = accounts
        self._audit = audit_log
        self._files = files
        self._site = site
        self._clock = clock

    # -- reading ----------------------------------------------------------------------------------------
    def query(self, flt: GateFilter, session: Session) -> list[GateRow]:
        """Rows newest first. Person fields are masked unless the role may view person data; searching
        by text is a search for a person, so it needs that permission (PermissionDenied otherwise)."""
        sees = self._sees_person_data(session)
        searching = search_text(flt.text) is not None
        if searching and not sees:
            self._accounts.authorize(session, Permission.VIEW_PERSON_DATA, "search the gate log by person")
        with self._store.reading() as conn:
            rows = gate_rows.query(conn, flt)
        if not sees:
            return [masked(r) for r in rows]
        if rows and searching and flt.before_id is None:  # the first page of a search, not every scroll
            detail = {**_filter_detail(flt), "rows": len(rows)}
            self._record(session.username, VIEW_PERSON_DATA, "gate_log", detail)
        return rows

    def hourly_counts(self, flt: GateFilter) -> list[HourlyCount]:
        """Granted passes per hour and gate (in / out) for the filter's time range, campus and gate."""
        with self._store.reading() as conn:
            return gate_rows.hourly_counts(conn, flt)

    def export_csv(self, flt: GateFilter, path: Path, session: Session) -> Future[int]:
        """Write every row of the filter (its limit ignored) to ``path`` off the calling thread; the
        future resolves with the row count once the file is complete and the export is audited."""
        self._accounts.authorize(session, Permission.EXPORT, "export the gate log")
        sees = self._sees_person_data(session)
        if search_text(flt.text) is not None and not sees:
            self._accounts.authorize(session, Permission.VIEW_PERSON_DATA, "export a search by person")
        future: Future[int] = Future()
        future.set_running_or_notify_cancel()

        def work() -> None:
            try:
                count = self._write_csv(flt, Path(path), sees)
                detail = {**_filter_detail(flt), "rows": count, "file": str(path), "person_data": sees}
                self._audit.record(session.username, EXPORT, "gate_log", detail).result()
            except BaseException as exc:  # the caller learns of it through the future
                future.set_exception(exc)
            else:
                future.set_result(count)

        threading.Thread(target=work, name="gate-log-export", daemon=True).start()
        return future

    def picture_path(self, relative: str, session: Session) -> Path:
        """The file of a row's picture (FileRefused for a path outside the files folder)."""
        self._accounts.authorize(session, Permission.VIEW_PERSON_DATA, "view a gate picture")
        target = self._files.path(relative)
        self._record(session.username, VIEW_PICTURE, relative, {})
        return target

    # -- retention --------------------------------------------------------------------------------------
    def purge_person_data(self, now: datetime | None = None) -> int:
        """Delete gate rows older than ``[retention] person_data_days`` with their text index entries and
        pictures, and strip the person fields and raw bytes from their events. Returns the rows purged.

        Blocks on the writer: call it from a housekeeping thread, never from the writer itself.
        """
        if threading.current_thread().name == "store-writer":
            raise RuntimeError("purge_person_data must not run in the store's writer thread")
        cutoff = (now or self._clock()) - timedelta(days=self._site.retention.person_data_days)
        total = 0
        pictures: set[str] = set()
        while True:
            job = self._store.submit(lambda tx: gate_rows.purge_before(tx.conn, cutoff, _PURGE_CHUNK))
            purged = job.result()
            total += purged.rows
            pictures.update(purged.pictures)
            if purged.rows < _PURGE_CHUNK:
                break
        removed = self._remove_pictures(pictures, cutoff) if pictures else 0
        if total:
            detail = {"cutoff": cutoff.isoformat(), "rows": total, "pictures": removed}
            self._store.submit(lambda tx: append_audit(tx, SYSTEM_ACTOR, PURGE, "gate_log", detail)).result()
        return total

    def _remove_pictures(self, candidates: set[str], cutoff: datetime) -> int:
        with self._store.reading() as conn:
            keep = gate_rows.pictures_in_use(conn, candidates, cutoff, cutoff + timedelta(days=1))
        removed = 0
        for relative in sorted(candidates - keep):
            try:
                target = self._files.path(relative)
            except ValueError:
                log.warning("gate row names a picture outside the files folder: %r", relative[:200])
                continue
            try:
                target.unlink()
                removed += 1
            except FileNotFoundError:
                continue
            except OSError as exc:
                log.warning("picture %s not deleted: %s", target, exc)
                continue
            with contextlib.suppress(OSError):  # the day folder, once empty
                target.parent.rmdir()
        return removed

    # -- helpers ----------------------------------------------------------------------------------------
    def _sees_person_data(self, session: Session) -> bool:
        return session.can(Permission.VIEW_PERSON_DATA) and not self._accounts.is_locked(session)


    def _record(self, actor: str, action: str, target: str, detail: dict[str, Any]) -> None:
        # Not awaited: a read must not wait for the writer; a failure is logged, not lost silently.
        future = self._audit.record(actor, action, target, detail)
        future.add_done_callback(_log_failure)

    def _write_csv(self, flt: GateFilter, path: Path, sees: bool) -> int:
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        count = 0
        try:
            with self._store.reading() as conn, open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
                writer = csv.writer(fh)
                writer.writerow(CSV_COLUMNS)
                for row in gate_rows.iter_rows(conn, flt):
                    writer.writerow(csv_cells(row if sees else masked(row)))
                    count += 1
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        return count


def csv_cells(row: GateRow) -> list[str]:
    """One CSV line; text that a spreadsheet would run as a formula is quoted with a leading apostrophe."""
    values: list[Any] = [
        row.id,
        row.time.isoformat(),
        row.device_time.isoformat() if row.device_time else "",
        row.campus,
        row.gate,
        row.point,
        row.door,
        row.kind,
        row.result,
        row.direction,
        row.subject_kind,
        row.subject_id,
        row.name,
        row.card,
        row.plate,
        row.method,
        row.reason,
        row.list_name,
        ";".join(row.pictures),
        row.summary,
    ]
    return [_cell(v) for v in values]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    if text[:1] in ("=", "+", "@", "\t", "\r") or (text[:1] == "-" and not text[1:2].isdigit()):
        return "'" + text
    return text


def _filter_detail(flt: GateFilter) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("campus", "gate", "direction", "result", "text", "before_id"):
        value = getattr(flt, key)
        if value is not None:
            out[key] = value
    for key in ("since", "until"):
        value = getattr(flt, key)
        if value is not None:
            out[key] = value.isoformat()
    return out


def _log_failure(future: Future[Any]) -> None:
    exc = future.exception()
    if exc is not None:
        log.warning("gate log audit record failed: %s", exc)

