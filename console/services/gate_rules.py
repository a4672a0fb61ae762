"""Gate alarm rules: a deny-list hit and a burst of refusals at one gate become console-raised alarms.

The rules run in the store's ingest hook (writer thread). The alarm events they derive are handed to
``Store.ingest`` only after the batch that triggered them has committed (a batch listener), so they go
through the normal path — stored, alarm raised with sound and linked cameras, indexed in the gate log —
and the writer never waits on itself: ``ingest`` only enqueues.
"""

from __future__ import annotations

import logging
import sqlite3
from collections import deque
from concurrent.futures import Future
from datetime import datetime
from typing import Any

from console.config import Site
from console.domain.gates import ListEntry, ListKind, ListName, ListValueError, normalise_value
from console.storage import gate_rows
from console.storage.store import Store, StoreError, Tx
from drivers.base import (
    GATE_DENIED,
    GATE_PASS,
    DeviceEvent,
    EventState,
    GatePayload,
    GateResult,
    Priority,
)

log = logging.getLogger(__name__)

DENYLIST = "gate.alarm.denylist"
DENIED_BURST = "gate.alarm.denied_burst"


class GateRules:
    """Owned by the writer thread: the deny cache, the refusal windows and the pending alarm events."""

    def __init__(
        self,
        store: Store,
        site: Site,
        *,
        burst_count: int | None = None,
        burst_seconds: float | None = None,
    ) -> None:
        """The burst thresholds come from the site's ``[gate_rules]`` unless given here."""
        burst_count = site.gate_rules.denied_burst_count if burst_count is None else burst_count
        burst_seconds = site.gate_rules.denied_burst_seconds if burst_seconds is None else burst_seconds
        if burst_count < 1 or burst_seconds <= 0:
            raise ValueError("a denied burst needs a count >= 1 and a window > 0 s")
        self._store = store
        self._names = {g.id: g.name for g in site.gates}
        self.burst_count = burst_count
        self.burst_seconds = burst_seconds
        self._deny: dict[tuple[str, str], ListEntry] | None = None  # loaded on first use
        self._recent: dict[str, deque[datetime]] = {}
        self._in_burst: set[str] = set()
        self._pending: list[DeviceEvent] = []
        self._pending_commit = 0
        store.add_ingest_hook(self._on_events)
        store.add_batch_listener(self._after_batch)

    def reload(self, conn: sqlite3.Connection) -> None:
        """Re-read the deny list (writer thread: call it inside the job that changed the list)."""
        self._deny = {(e.kind, e.value): e for e in gate_rows.list_entries(conn, ListName.DENY)}

    # -- writer thread ------------------------------------------------------------------------------------
    def _on_events(self, tx: Tx, fresh: list[tuple[int, DeviceEvent]]) -> None:
        derived: list[DeviceEvent] = []
        for event_id, event in fresh:
            if event.kind not in (GATE_PASS, GATE_DENIED):
                continue
            if self._deny is None:
                self.reload(tx.conn)
            burst = event.kind == GATE_DENIED and self._burst(event.source, event.received_time)
            if not self._deny and not burst:  # the common case costs no payload parsing
                continue
            try:
                payload = GatePayload.from_payload(event.payload)
            except (TypeError, ValueError, AttributeError) as exc:  # an odd payload: no rule for this event
                log.warning("gate event %d from %s not checked (%s)", event_id, event.source, exc)
                continue
            hit = self._deny_hit(payload, event.received_time) if self._deny else None
            if hit is not None:
                derived.append(_denylist_event(event_id, event, payload, hit, self._name(event.source)))
            if burst:
                derived.append(self._burst_event(event_id, event, payload))
        if derived:
            self._pending.extend(derived)
            self._pending_commit = self._store.commits + 1  # the commit this batch will be

    def _after_batch(self) -> None:
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        if self._store.commits != self._pending_commit:  # the batch rolled back: its events are not stored
            return
        for event in pending:
            try:
                self._store.ingest(event).add_done_callback(_log_failure)
            except StoreError as exc:  # closing: the trigger is stored, the derived alarm is lost
                log.warning("gate alarm %s not raised: %s", event.kind, exc)

    def _deny_hit(self, payload: GatePayload, at: datetime) -> tuple[str, ListEntry] | None:
        assert self._deny is not None
        for kind, value in ((ListKind.CARD, payload.card), (ListKind.PLATE, payload.plate)):
            if not value:
                continue
            try:
                key = (kind.value, normalise_value(kind, value))
            except ListValueError:
                continue
            entry = self._deny.get(key)
            if entry is not None and not entry.expired(at):
                return kind.value, entry
        return None

    def _burst(self, gate: str, at: datetime) -> bool:
        """True once per burst: when the refusals at ``gate`` within the window reach the count. The burst
        ends (and the rule re-arms) only after a whole window without a refusal at that gate."""
        window = self._recent.setdefault(gate, deque(maxlen=self.burst_count))
        while window and (at - window[0]).total_seconds() >= self.burst_seconds:
            window.popleft()
        if not window:
            self._in_burst.discard(gate)
        window.append(at)
        if len(window) >= self.burst_count and gate not in self._in_burst:
            self._in_burst.add(gate)
            return True
        return False

    def _burst_event(self, event_id: int, event: DeviceEvent, payload: GatePayload) -> DeviceEvent:
        alarm = GatePayload(
            result=GateResult.ALARM,
            door=payload.door,
            direction=payload.direction,
            reason="denied_burst",
            extra={"event_id": event_id, "count": self.burst_count, "window_s": self.burst_seconds},
        )
        seconds = f"{self.burst_seconds:g}"
        summary = f"{self._name(event.source)} {seconds} 秒内拒绝通行 {self.burst_count} 次"
        return _rule_alarm(DENIED_BURST, event_id, event, summary, alarm)

    def _name(self, gate: str) -> str:
        return self._names.get(gate, gate)


def _denylist_event(
    event_id: int, event: DeviceEvent, payload: GatePayload, hit: tuple[str, ListEntry], gate_name: str
) -> DeviceEvent:
    kind, entry = hit
    alarm = GatePayload(
        result=GateResult.ALARM,
        door=payload.door,
        direction=payload.direction,
        subject_kind=payload.subject_kind,
        subject_id=payload.subject_id,
        name=payload.name,
        card=payload.card,
        plate=payload.plate,
        method=payload.method,
        reason="denylist",
        list_name=ListName.DENY.value,
        pictures=payload.pictures,
        extra={"event_id": event_id, "entry_id": entry.id, "matched": kind, "entry_reason": entry.reason},
    )
    # The summary names what matched, not the value: the alarm list is seen by roles without person data.
    what = "车牌" if kind == ListKind.PLATE else "卡号"
    action = "通行" if event.kind == GATE_PASS else "被拒"
    reason = f"（{entry.reason}）" if entry.reason else ""
    return _rule_alarm(DENYLIST, event_id, event, f"{gate_name} 禁止名单{what}{action}{reason}", alarm)


def _rule_alarm(
    kind: str, event_id: int, event: DeviceEvent, summary: str, alarm: GatePayload
) -> DeviceEvent:
    """The console's own alarm about the gate event ``event_id``: at its gate and point, once per event."""
    return DeviceEvent(
        source=event.source,
        kind=kind,
        state=EventState.ACTIVE,
        priority=Priority.SECURITY,
        summary=summary,
        point=event.point,
        received_time=event.received_time,
        payload=alarm.to_payload(),
        dedup_key=f"gate-rule:{kind}:{event_id}",
    )


def _log_failure(future: Future[Any]) -> None:
    exc = future.exception()
    if exc is not None:
        log.warning("gate alarm event not stored: %s", exc)
