"""Device health: what every camera, panel and gate is doing now, and an alarm when one drops out."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from console.domain.messages import DeviceHealthChanged
from console.storage.store import Store, Tx
from drivers.base import DeviceEvent, EventState, HealthState, Priority, utc_now


@dataclass(frozen=True, slots=True)
class DeviceStatus:
    id: str
    name: str
    kind: str
    campus: str | None
    health: HealthState = HealthState.UNKNOWN
    reason: str = ""
    changed_at: datetime | None = None


class DeviceRegistry:
    """Thread-safe; health changes are stored and published through the store's writer."""

    def __init__(self, store: Store, clock: Callable[[], datetime] = utc_now) -> None:
        self._store = store
        self._clock = clock
        self._lock = threading.Lock()
        self._devices: dict[str, DeviceStatus] = {}

    def declare(self, devices: Iterable[DeviceStatus]) -> None:
        """Register the site's devices (health unknown until their driver or worker reports)."""
        devices = list(devices)
        with self._lock:
            for d in devices:
                self._devices[d.id] = d

        def job(tx: Tx) -> None:
            tx.conn.executemany(
                "INSERT INTO devices (id, name, kind, campus) VALUES (?,?,?,?) ON CONFLICT(id) DO UPDATE "
                "SET name=excluded.name, kind=excluded.kind, campus=excluded.campus, "
                "health='unknown', reason=''",
                [(d.id, d.name, d.kind, d.campus) for d in devices],
            )

        self._store.submit(job).result()

    def all(self) -> list[DeviceStatus]:
        with self._lock:
            return list(self._devices.values())

    def counts(self) -> dict[HealthState, int]:
        result = {state: 0 for state in HealthState}
        for d in self.all():
            result[d.health] += 1
        return result

    def set_health(self, device_id: str, state: HealthState, reason: str = "") -> None:
        """Record a health change; going offline raises a technical alarm, coming back clears it."""
        now = self._clock()
        with self._lock:
            current = self._devices.get(device_id)
            if current is None or (current.health == state and current.reason == reason):
                return
            previous = current.health
            self._devices[device_id] = DeviceStatus(
                current.id, current.name, current.kind, current.campus, state, reason, now
            )

        def job(tx: Tx) -> None:
            tx.conn.execute(
                "UPDATE devices SET health=?, reason=?, changed_at=? WHERE id=?",
                (str(state), reason, now.isoformat(), device_id),
            )
            tx.emit(DeviceHealthChanged(device_id, state, reason, now))

        self._store.submit(job)
        if state is HealthState.OFFLINE:
            self._store.ingest(self._offline_event(current, EventState.ACTIVE, reason, now))
        elif previous is HealthState.OFFLINE and state is HealthState.ONLINE:
            self._store.ingest(self._offline_event(current, EventState.CLEARED, "back online", now))

    @staticmethod
    def _offline_event(device: DeviceStatus, state: EventState, reason: str, now: datetime) -> DeviceEvent:
        # Summaries are stored records, written in the site's language like the panels' own texts.
        verb = "离线" if state is EventState.ACTIVE else "恢复在线"
        return DeviceEvent(
            source=device.id,
            kind="device.offline",
            state=state,
            priority=Priority.TECHNICAL,
            summary=f"{device.name} {verb}"
            + (f"：{reason}" if reason and state is EventState.ACTIVE else ""),
            received_time=now,
            payload={"reason": reason},
        )
