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
# A newly raised fire alarm does not wait for the next 20 Hz slot: its batch is delivered at once, but
# never sooner than this after the previous batch, so even a storm of fires stays bounded (≤ 100 Hz).
FIRE_MIN_INTERVAL_S = 0.010


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
        self._urgent = False  # a new fire alarm is waiting
        self._closed = True
        self._unsubscribe: list[Callable[[], None]] = []
        self._interval = 1.0 / max_rate_hz
        self._last_flush = float("-inf")
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
                if (not self._urgent and isinstance(message, AlarmChanged) and message.change == "raised"
                        and message.alarm.priority is Priority.FIRE):
                    self._urgent = True
                    self._woken = False  # wake again: the batch already scheduled may be up to 50 ms away
            if self._woken:
                return
            self._woken = True
        # RuntimeError: the bridge's C++ side is gone (window closed without stop()); nothing to wake.
        with contextlib.suppress(RuntimeError):
            self._sig_wake.emit()

    # -- GUI thread ---------------------------------------------------------------------------------
    def _on_wake(self) -> None:
        with self._lock:
            interval = FIRE_MIN_INTERVAL_S if self._urgent else self._interval
        wait = interval - (time.monotonic() - self._last_flush)  # -inf before the first flush
        wait_ms = int(wait * 1000) if wait > 0 else 0
        if self._timer.isActive() and self._timer.remainingTime() <= wait_ms:
            return
        self._timer.start(wait_ms)

    def _flush(self) -> None:
        assert QThread.currentThread() is self.thread(), "the bridge flushes in its own (GUI) thread only"
        with self._lock:
            messages, self._pending = self._pending, []
            events = list(self._events)
            self._events.clear()
            self._woken = False
            self._urgent = False
        self._last_flush = time.monotonic()
        if not messages and not events:
            return
        self.flushes += 1
        batch = coalesce(messages)
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
