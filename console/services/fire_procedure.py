"""The GB 25506 fire procedure service: each step checked in order, stored and audited in one commit."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from concurrent.futures import Future
from datetime import datetime
from typing import Any

from console.config import Site
from console.domain.alarms import Alarm, AlarmStatus
from console.domain.fire_procedure import (
    CallDetails,
    Outcome,
    Procedure,
    ProcedureError,
    Step,
    StepRecord,
    advance,
)
from console.domain.roles import Permission
from console.domain.session import Session
from console.storage import queries
from console.storage.store import Store, Tx, iso
from drivers.base import Priority, utc_now

from .accounts import Accounts
from .audit import append_audit

# Audit action name; stored verbatim, so never rename it.
FIRE_PROCEDURE_STEP = "fire_procedure_step"

_SELECT = "SELECT step, outcome, time, actor, note FROM fire_procedures WHERE alarm_id = ? ORDER BY id"
_INSERT = "INSERT INTO fire_procedures (alarm_id, step, outcome, time, actor, note) VALUES (?,?,?,?,?,?)"


def load_procedure(conn: sqlite3.Connection, alarm_id: int) -> Procedure:
    records = tuple(
        StepRecord(alarm_id, Step(step), Outcome(outcome), datetime.fromisoformat(time), actor, note)
        for step, outcome, time, actor, note in conn.execute(_SELECT, (alarm_id,))
    )
    return Procedure(alarm_id, records)


class FireProcedures:
    """Thread-safe: reads open their own connection, writes run in the store's writer thread."""

    def __init__(
        self, store: Store, accounts: Accounts, site: Site, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self._store = store
        self._accounts = accounts
        self._site = site
        self._clock = clock

    def procedure(self, alarm_id: int) -> Procedure:
        with self._store.reading() as conn:
            return load_procedure(conn, alarm_id)

    def record(
        self, session: Session, alarm_id: int, step: Step, outcome: Outcome = Outcome.DONE, note: str = ""
    ) -> Future[StepRecord]:
        """Check the role now (raises PermissionDenied), then stamp the step in the writer thread."""
        # The order is checked against the stored steps inside the writer, so two officers racing on the
        # same alarm cannot both record the same step; the loser's future carries ProcedureError.
        self._accounts.authorize(session, Permission.HANDLE_ALARM, f"{step} for fire alarm {alarm_id}")

        def job(tx: Tx) -> StepRecord:
            row = tx.conn.execute("SELECT priority, status FROM alarms WHERE id = ?", (alarm_id,)).fetchone()
            if row is None:
                raise ProcedureError(f"no alarm {alarm_id}")
            if Priority(row[0]) is not Priority.FIRE:
                raise ProcedureError("the fire procedure applies to fire alarms only")
            if AlarmStatus(row[1]) is AlarmStatus.CLOSED:
                raise ProcedureError("the alarm is closed")
            _, record = advance(load_procedure(tx.conn, alarm_id), step, outcome, session.username,
                                self._clock(), note)
            tx.conn.execute(_INSERT, (alarm_id, str(step), str(outcome), iso(record.time), record.actor,
                                      record.note))
            detail = {"step": str(step), "outcome": str(outcome), "note": record.note}
            target = f"alarm:{alarm_id}"
            append_audit(tx, session.username, FIRE_PROCEDURE_STEP, target, detail, at=record.time)
            return record

        return self._store.submit(job)

    def call_details(self, alarm: Alarm, caller_name: str) -> CallDetails:
        """What to tell 119, prefilled from the site file; the officer adds what burns and how far."""
        campus_id = self._campus_of(alarm)
        campus = next((c for c in self._site.campuses if c.id == campus_id), None)
        address = ""
        if campus is not None:
            address = f"{campus.address}（{campus.name}）" if campus.address else campus.name
        caller = f"{self._site.site.name} {caller_name}".strip()
        return CallDetails(address=address, location=alarm.location or alarm.summary, caller=caller)

    def _campus_of(self, alarm: Alarm) -> str | None:
        point = next((p for p in self._site.points if p.id == alarm.point), None)
        if point is not None and point.map is not None:
            return point.map.campus
        device_id = point.device if point is not None else alarm.source
        device = next((d for d in self._site.all_devices() if d.id == device_id), None)
        return device.campus if device is not None else None

    def recent_fire_events(self, limit: int) -> list[dict[str, Any]]:
        """The newest fire events with their payloads (newest first), for the board's first picture."""
        with self._store.reading() as conn:
            wanted = queries.EventFilter(kind="fire", limit=limit, newest_first=True)
            return list(queries.events(conn, wanted))
