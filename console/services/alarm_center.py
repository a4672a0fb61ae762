"""The alarm centre: turns committed events into alarms and carries out officers' actions on them.

All alarm state changes run in the store's writer thread, inside the transaction that stores them, so
the alarm table, the action history and the audit chain can never disagree.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import replace
from datetime import datetime
from typing import TypeVar

from console.domain import alarms as am
from console.domain.alarms import Alarm, AlarmAction, AlarmStatus, Disposition
from console.domain.messages import AlarmChanged, AlarmsSilenced, EventStored
from console.domain.roles import Permission
from console.domain.session import Session
from console.storage import alarm_rows
from console.storage.store import Store, Tx
from drivers.base import DeviceEvent, EventState, Priority, utc_now

from . import audit
from .accounts import Accounts
from .linkage import Linkage

log = logging.getLogger(__name__)

# What each officer action needs; the views use it to enable buttons, the centre to refuse.
ACTION_PERMISSION = {
    AlarmAction.ACKNOWLEDGE: Permission.ACKNOWLEDGE,
    AlarmAction.START: Permission.HANDLE_ALARM,
    AlarmAction.CLOSE: Permission.HANDLE_ALARM,
    AlarmAction.NOTE: Permission.DUTY_LOG,
}

# A panel's reset (复位) clears every fire-side condition it reported.
_RESET_CLEARS = (Priority.FIRE, Priority.SUPERVISORY, Priority.FAULT, Priority.DISABLED)
_NORMAL_CLEARS = (Priority.SUPERVISORY, Priority.FAULT, Priority.DISABLED)


class AlarmCenter:
    def __init__(
        self,
        store: Store,
        accounts: Accounts,
        linkage: Linkage | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._store = store
        self._accounts = accounts
        self._linkage = linkage or Linkage.empty()
        self._clock = clock
        # Owned by the writer thread; other threads read the snapshot copy under the lock.
        self._open_by_key: dict[str, Alarm] = {}
        # Keys of the open alarms per source and per (source, point): a restore looks at its own point's
        # alarms (a reset at its panel's), not at every open alarm of the site.
        self._keys_by_source: dict[str, set[str]] = {}
        self._keys_by_point: dict[tuple[str, str | None], set[str]] = {}
        self._lock = threading.Lock()
        self._snapshot: dict[int, Alarm] = {}
        self._sorted: list[Alarm] | None = None  # open_alarms, sorted once per change, not once per reader
        self._silenced: frozenset[int] = frozenset()
        store.add_ingest_hook(self._on_events)

    # -- reading (any thread) -----------------------------------------------------------------------
    def load(self) -> None:
        """Read the open alarms left by the last run (call once, before drivers start)."""
        self._store.submit(self._load_job).result()

    def _load_job(self, tx: Tx) -> None:
        for alarm in alarm_rows.open_alarms(tx.conn):
            self._keep_open(alarm)
            self._remember(alarm)

    def open_alarms(self) -> list[Alarm]:
        with self._lock:
            if self._sorted is None:
                self._sorted = sorted((a for a in self._snapshot.values() if a.is_open), key=am.sort_key)
            return list(self._sorted)

    def get(self, alarm_id: int) -> Alarm | None:
        with self._lock:
            return self._snapshot.get(alarm_id)

    @property
    def silenced(self) -> frozenset[int]:
        with self._lock:
            return self._silenced

    # -- officers' actions (any thread) ---------------------------------------------------------------
    def act(
        self,
        session: Session,
        alarm_id: int,
        action: AlarmAction,
        note: str = "",
        disposition: Disposition | None = None,
    ) -> Future[Alarm]:
        """Check the role now (raises PermissionDenied), then apply in the writer thread."""
        self._accounts.authorize(session, ACTION_PERMISSION[action], f"{action} alarm {alarm_id}")

        def job(tx: Tx) -> Alarm:
            current = self._current(alarm_id)
            updated, record = am.apply_action(
                current, action, session.username, self._clock(), note, disposition
            )
            alarm_rows.update(tx.conn, updated)
            alarm_rows.insert_action(tx.conn, record)
            detail = {
                "note": note,
                "disposition": str(disposition) if disposition else None,
                "from": str(record.from_status),
                "to": str(record.to_status),
            }
            audit.append_audit(tx, session.username, str(action), f"alarm:{alarm_id}", detail)
            self._store_state(updated)
            tx.emit(AlarmChanged(updated, str(action), record))
            return updated

        return self._store.submit(job)

    def silence(self, session: Session) -> Future[frozenset[int]]:
        """消音: quiet the alarms sounding now; any alarm raised later sounds again."""
        self._accounts.authorize(session, Permission.SILENCE, "silence alarms")

        def job(tx: Tx) -> frozenset[int]:
            with self._lock:
                ids = frozenset(a.id for a in self._snapshot.values() if a.needs_attention)
                self._silenced = self._silenced | ids
            audit.append_audit(tx, session.username, audit.SILENCE, "alarms", {"alarm_ids": sorted(ids)})
            tx.emit(AlarmsSilenced(ids, session.username))
            return ids

        return self._store.submit(job)

    def _current(self, alarm_id: int) -> Alarm:
        with self._lock:
            alarm = self._snapshot.get(alarm_id)
        if alarm is None:
            raise am.AlarmTransitionError(f"no open alarm {alarm_id}")
        return alarm

    # -- committed events (writer thread) -----------------------------------------------------------
    def _on_events(self, tx: Tx, fresh: list[tuple[int, DeviceEvent]]) -> None:
        for event_id, event in fresh:
            tx.emit(EventStored(event_id, event))
            if event.state is EventState.ACTIVE and event.priority.is_alarm:
                self._raise_or_fold(tx, event_id, event)
            elif event.state is EventState.CLEARED:  # a restore clears whatever its priority says
                self._clear(tx, event)

    def _raise_or_fold(self, tx: Tx, event_id: int, event: DeviceEvent) -> None:
        key = am.alarm_key(event.source, event.point, event.kind)
        existing = self._open_by_key.get(key)
        if existing is not None:
            updated = am.fold(existing, event_id, event.received_time)
            alarm_rows.update(tx.conn, updated)
            self._store_state(updated)
            tx.emit(AlarmChanged(updated, "folded"))
            return
        link = self._linkage.target(event.source, event.point)
        draft = Alarm(
            id=0,
            key=key,
            source=event.source,
            point=event.point,
            kind=event.kind,
            priority=event.priority,
            summary=event.summary,
            status=AlarmStatus.NEW,
            count=1,
            first_time=event.received_time,
            last_time=event.received_time,
            first_event=event_id,
            last_event=event_id,
            cameras=link.cameras,
            location=link.location,
        )
        alarm = replace(draft, id=alarm_rows.insert(tx.conn, draft))
        self._store_state(alarm)
        tx.emit(AlarmChanged(alarm, "raised"))

    def _clear(self, tx: Tx, event: DeviceEvent) -> None:
        # A reset may clear anything of its source; every other restore only alarms at its own point.
        keys = (self._keys_by_source.get(event.source) if event.kind == "fire.reset"
                else self._keys_by_point.get((event.source, event.point)))
        # In the order they were raised, as when every open alarm was looked at.
        for alarm in sorted((self._open_by_key[k] for k in keys or ()), key=lambda a: a.id):
            if alarm.cleared:
                continue
            if not _cleared_by(alarm, event):
                continue
            updated = am.clear(alarm, event.received_time)
            alarm_rows.update(tx.conn, updated)
            self._store_state(updated)
            tx.emit(AlarmChanged(updated, "cleared"))

    def _keep_open(self, alarm: Alarm) -> None:
        self._open_by_key[alarm.key] = alarm
        self._keys_by_source.setdefault(alarm.source, set()).add(alarm.key)
        self._keys_by_point.setdefault((alarm.source, alarm.point), set()).add(alarm.key)

    def _forget_open(self, alarm: Alarm) -> None:
        if self._open_by_key.pop(alarm.key, None) is None:
            return
        _discard(self._keys_by_source, alarm.source, alarm.key)
        _discard(self._keys_by_point, (alarm.source, alarm.point), alarm.key)

    def _store_state(self, alarm: Alarm) -> None:
        if alarm.is_open:
            self._keep_open(alarm)
        else:
            self._forget_open(alarm)
        with self._lock:
            self._sorted = None
            if alarm.is_open:
                self._snapshot[alarm.id] = alarm
            else:
                self._snapshot.pop(alarm.id, None)
                self._silenced = self._silenced - {alarm.id}

    def _remember(self, alarm: Alarm) -> None:
        with self._lock:
            self._sorted = None
            self._snapshot[alarm.id] = alarm


K = TypeVar("K")


def _discard(index: dict[K, set[str]], at: K, key: str) -> None:
    keys = index.get(at)
    if keys is not None:
        keys.discard(key)
        if not keys:
            del index[at]


def _cleared_by(alarm: Alarm, event: DeviceEvent) -> bool:
    if event.kind == "fire.reset":
        # 复位 resets the panel: a UITD or receiver serves one control panel, and a system-level reset
        # names the system, not our site point ids, so every fire-side condition of that source clears.
        return alarm.priority in _RESET_CLEARS
    if event.kind == "fire.normal":
        # A point back to normal ends its fault, supervisory or disabled state; a fire waits for reset.
        return (
            alarm.point == event.point and alarm.kind.startswith("fire.") and alarm.priority in _NORMAL_CLEARS
        )
    return alarm.kind == event.kind and alarm.point == event.point
