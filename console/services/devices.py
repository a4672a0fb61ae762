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


# A device that has not been heard from since the console started (health unknown) and is found offline
# gets this long before it raises an alarm: client drivers try to connect at once, and a camera or a
# controller that boots with the workstation is not an incident. A device that was up and drops out
# alarms at once.
STARTUP_GRACE_S = 20.0


class DeviceRegistry:
    """Thread-safe; health changes are stored and published through the store's writer."""

    def __init__(
        self, store: Store, clock: Callable[[], datetime] = utc_now, startup_grace_s: float = STARTUP_GRACE_S
    ) -> None:
        self._store = store
        self._clock = clock
        self._lock = threading.Lock()
        self._devices: dict[str, DeviceStatus] = {}
        self._grace_s = startup_grace_s
        self._pending: dict[str, threading.Timer] = {}  # device id -> its deferred offline alarm
        self._base: dict[str, tuple[HealthState, str]] = {}  # as its owner (video, driver) reported it
        self._aspects: dict[str, dict[str, tuple[HealthState, str]]] = {}
        self._closed = False

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
        with self._lock:
            self._base[device_id] = (state, reason)
            state, reason = _combined(state, reason, self._aspects.get(device_id, {}))
        self._apply(device_id, state, reason)

    def set_aspect_health(self, device_id: str, aspect: str, state: HealthState, reason: str = "") -> None:
        """Health of one side of a device that another part owns the health of (a camera's ONVIF events
        beside its video): a failing side makes a working device DEGRADED, never OFFLINE."""
        with self._lock:
            self._aspects.setdefault(device_id, {})[aspect] = (state, reason)
            base_state, base_reason = self._base.get(device_id, (HealthState.UNKNOWN, ""))
            state, reason = _combined(base_state, base_reason, self._aspects[device_id])
        self._apply(device_id, state, reason)

    def _apply(self, device_id: str, state: HealthState, reason: str) -> None:
        now = self._clock()
        with self._lock:
            current = self._devices.get(device_id)
            if self._closed or current is None or (current.health == state and current.reason == reason):
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
        if state is HealthState.OFFLINE and previous is not HealthState.OFFLINE:
            if previous is HealthState.UNKNOWN and self._grace_s > 0:
                self._defer_offline_alarm(device_id)
            else:
                self._store.ingest(self._offline_event(current, EventState.ACTIVE, reason, now))
        elif previous is HealthState.OFFLINE and state is not HealthState.OFFLINE:
            waiting = self._cancel_deferred(device_id)  # still in its grace: nothing was raised to clear
            if not waiting and state is HealthState.ONLINE:
                self._store.ingest(self._offline_event(current, EventState.CLEARED, "back online", now))

    def close(self) -> None:
        """The console is stopping: drop the deferred offline alarms and ignore health reports from now on
        (drivers being stopped lose their connections because we close them, not because devices failed)."""
        with self._lock:
            self._closed = True
            timers, self._pending = list(self._pending.values()), {}
        for timer in timers:
            timer.cancel()
            timer.join(1.0)

    def _defer_offline_alarm(self, device_id: str) -> None:
        with self._lock:
            if self._closed or device_id in self._pending:
                return
            timer = threading.Timer(self._grace_s, self._grace_over, (device_id,))
            timer.name = f"device-grace-{device_id}"
            timer.daemon = True
            self._pending[device_id] = timer
        timer.start()

    def _cancel_deferred(self, device_id: str) -> bool:
        """True when an offline alarm was still waiting (so there is nothing to clear)."""
        with self._lock:
            timer = self._pending.pop(device_id, None)
        if timer is None:
            return False
        timer.cancel()
        return True

    def _grace_over(self, device_id: str) -> None:
        with self._lock:
            if self._pending.pop(device_id, None) is None or self._closed:
                return
            current = self._devices.get(device_id)
        if current is not None and current.health is HealthState.OFFLINE:
            self._store.ingest(self._offline_event(current, EventState.ACTIVE, current.reason, self._clock()))

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


def _combined(
    state: HealthState, reason: str, aspects: dict[str, tuple[HealthState, str]]
) -> tuple[HealthState, str]:
    """A device's health from its owner's report and its other sides' (see ``set_aspect_health``)."""
    if state not in (HealthState.ONLINE, HealthState.DEGRADED):
        return state, reason
    failing = [why or name for name, (side, why) in sorted(aspects.items())
               if side in (HealthState.OFFLINE, HealthState.DEGRADED)]
    if not failing:
        return state, reason
    return HealthState.DEGRADED, "; ".join(([reason] if state is HealthState.DEGRADED and reason else [])
                                           + failing)
