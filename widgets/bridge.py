"""The one listener on the bus: queues messages from any thread and hands them to the GUI thread in
coalesced, rate-limited batches as typed Qt signals."""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal

from console.bus import Bus
from console.domain.events import Priority
from console.domain.messages import AlarmChanged, AlarmsSilenced, DeviceHealthChanged, EventStored

# The event log shows a few thousand rows; a stalled GUI must not make the backlog grow without bound.
EVENT_BACKLOG = 5000
MAX_RATE_HZ = 20
# A newly raised fire alarm does not wait for the next regular batch: it is delivered at once, alone (the
# other changes keep their place in the regular batch), never sooner than this after the previous
# delivery, so even a storm of fires stays bounded (≤ 100 Hz) and each of these deliveries stays small.
FIRE_MIN_INTERVAL_S = 0.010
# In a storm (a regular batch this large) the regular batches come at most STORM_RATE_HZ: every batch
# repaints the lists, and officers cannot read faster than that anyway; new fire alarms still come at once.
STORM_MESSAGES = 100
STORM_RATE_HZ = 4


@dataclass
class Batch:
    """What one flush delivers: the newest change per alarm and per device, every event, every silence."""

    alarms: list[AlarmChanged] = field(default_factory=list)
    events: list[EventStored] = field(default_factory=list)
    health: list[DeviceHealthChanged] = field(default_factory=list)
    silenced: list[AlarmsSilenced] = field(default_factory=list)


def coalesce(messages: Iterable[object]) -> Batch:
    """Keep arrival order, but only the last AlarmChanged per alarm id and DeviceHealthChanged per device:
    the views redraw from the newest state, so the intermediate ones would only cost repaints."""
    alarms: dict[int, AlarmChanged] = {}
    health: dict[str, DeviceHealthChanged] = {}
    batch = Batch()
    for message in messages:
        if isinstance(message, AlarmChanged):
            alarms.pop(message.alarm.id, None)  # re-insert so the order follows the latest change
            alarms[message.alarm.id] = message
        elif isinstance(message, DeviceHealthChanged):
            health.pop(message.device_id, None)
            health[message.device_id] = message
        elif isinstance(message, EventStored):
            batch.events.append(message)
        elif isinstance(message, AlarmsSilenced):
            batch.silenced.append(message)
    batch.alarms = list(alarms.values())
    batch.health = list(health.values())
    return batch


class Bridge(QObject):
    """Lives in the GUI thread. ``start`` subscribes, ``stop`` unsubscribes (call it before the window goes).

    Attributes:
        flushes: how many batches were delivered (tests check the coalescing with it).
        dropped_events: events discarded because the backlog was full while the GUI was busy.
    """

    # ---- Signals
    sig_alarm_changed = Signal(object)
    """AlarmChanged: an alarm was raised, folded, cleared or acted on (newest per alarm in a batch)."""
    sig_alarms_changed = Signal(list)
    """list[AlarmChanged]: the same changes as one list, before them: a table updates once per batch."""
    sig_event_stored = Signal(list)
    """list[EventStored]: the events committed since the last batch, oldest first."""
    sig_device_health = Signal(object)
    """DeviceHealthChanged: a device's health changed (newest per device in a batch)."""
    sig_silenced = Signal(object)
    """AlarmsSilenced: an officer silenced the sounding alarms."""
    sig_alarms_settled = Signal()
    """After a batch that changed alarms or silenced them: views that summarise all alarms (sound, counts,
    the wall's red frames) recompute once here instead of once per alarm in an alarm storm."""
    _sig_wake = Signal()
    """Emitted from bus threads, at most once per pending batch; queued to the GUI thread."""

    def __init__(self, bus: Bus, parent: QObject | None = None, *, max_rate_hz: float = MAX_RATE_HZ) -> None:
        super().__init__(parent)
        self._bus = bus
        self._lock = threading.Lock()
        self._pending: list[object] = []
        self._events: deque[EventStored] = deque(maxlen=EVENT_BACKLOG)
        self._woken = False
        self._urgent: set[int] = set()  # ids of newly raised fire alarms waiting
        self._closed = True
        self._unsubscribe: list[Callable[[], None]] = []
        self._calm_interval = self._interval = 1.0 / max_rate_hz
        self._storm_interval = max(self._calm_interval, 1.0 / STORM_RATE_HZ)
        self._last_flush = float("-inf")  # any delivery
        self._last_regular = float("-inf")  # a delivery of everything pending
        self._timer = QTimer(self)
        self._timer.setObjectName("bridge-flush")
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._flush)
        self._sig_wake.connect(self._on_wake, Qt.ConnectionType.QueuedConnection)
        self.flushes = 0
        self.dropped_events = 0

    def start(self) -> None:
        with self._lock:
            self._closed = False
        for kind in (EventStored, AlarmChanged, DeviceHealthChanged, AlarmsSilenced):
            self._unsubscribe.append(self._bus.subscribe(kind, self._enqueue))

    def stop(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        with self._lock:
            self._closed = True
            self._pending.clear()
            self._events.clear()
            self._urgent = set()
        self._timer.stop()

    # -- any thread ---------------------------------------------------------------------------------
    def _enqueue(self, message: object) -> None:
        """Bus callback: only queue and, once per batch, wake the GUI thread. Never touches a widget."""
        with self._lock:
            if self._closed:
                return
            if isinstance(message, EventStored):
                if len(self._events) == self._events.maxlen:
                    self.dropped_events += 1
                self._events.append(message)
            else:
                self._pending.append(message)
                if (isinstance(message, AlarmChanged) and message.change == "raised"
                        and message.alarm.priority is Priority.FIRE):
                    if not self._urgent:
                        self._woken = False  # wake again: the batch already scheduled may be far away
                    self._urgent.add(message.alarm.id)
            if self._woken:
                return
            self._woken = True
        # RuntimeError: the bridge's C++ side is gone (window closed without stop()); nothing to wake.
        with contextlib.suppress(RuntimeError):
            self._sig_wake.emit()

    # -- GUI thread ---------------------------------------------------------------------------------
    def _on_wake(self) -> None:
        with self._lock:
            urgent = bool(self._urgent)
        now = time.monotonic()
        if urgent:
            wait = FIRE_MIN_INTERVAL_S - (now - self._last_flush)  # -inf before the first flush
        else:
            wait = self._interval - (now - self._last_regular)
        self._arm(wait)

    def _arm(self, wait: float) -> None:
        wait_ms = int(wait * 1000) if wait > 0 else 0
        if self._timer.isActive() and self._timer.remainingTime() <= wait_ms:
            return
        self._timer.start(wait_ms)

    def _flush(self) -> None:
        assert QThread.currentThread() is self.thread(), "the bridge flushes in its own (GUI) thread only"
        now = time.monotonic()
        regular = now - self._last_regular >= self._interval
        with self._lock:
            if regular or not self._urgent:
                messages, self._pending = self._pending, []
                events = list(self._events)
                self._events.clear()
                self._woken = False
                regular = True
            else:  # only the new fire alarms now; the rest in the regular batch
                messages = [m for m in self._pending if _is_change_of(m, self._urgent)]
                self._pending = [m for m in self._pending if not _is_change_of(m, self._urgent)]
                events = []
            self._urgent = set()
            left = bool(self._pending or self._events)
            if not regular:
                self._woken = left  # the regular batch is armed below: what comes meanwhile joins it
        self._last_flush = now
        if regular:
            self._last_regular = now
            storm = len(messages) + len(events) >= STORM_MESSAGES
            self._interval = self._storm_interval if storm else self._calm_interval
        elif left:
            self._arm(self._interval - (now - self._last_regular))
        if not messages and not events:
            return
        self.flushes += 1
        self._deliver(coalesce(messages), events)

    def _deliver(self, batch: Batch, events: list[EventStored]) -> None:
        if events:
            self.sig_event_stored.emit(events)
        for health in batch.health:
            self.sig_device_health.emit(health)
        if batch.alarms:
            self.sig_alarms_changed.emit(list(batch.alarms))
        for change in batch.alarms:
            self.sig_alarm_changed.emit(change)
        for silenced in batch.silenced:
            self.sig_silenced.emit(silenced)
        if batch.alarms or batch.silenced:
            self.sig_alarms_settled.emit()


def _is_change_of(message: object, alarm_ids: set[int]) -> bool:
    return isinstance(message, AlarmChanged) and message.alarm.id in alarm_ids
