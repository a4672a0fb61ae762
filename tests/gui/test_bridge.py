"""The bridge: bus messages from other threads arrive in the GUI thread, coalesced and rate-limited."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import UTC, datetime

from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from console.bus import Bus
from console.domain.alarms import Alarm, AlarmStatus
from console.domain.events import DeviceEvent, EventState, HealthState, Priority
from console.domain.messages import AlarmChanged, AlarmsSilenced, DeviceHealthChanged, EventStored
from widgets.bridge import STORM_MESSAGES, STORM_RATE_HZ, Bridge, coalesce

NOW = datetime(2026, 5, 4, 22, 0, tzinfo=UTC)


def alarm(alarm_id: int, count: int = 1) -> Alarm:
    return Alarm(
        id=alarm_id,
        key=f"k{alarm_id}",
        source="fp",
        point="p",
        kind="fire.alarm",
        priority=Priority.FIRE,
        summary="火警",
        status=AlarmStatus.NEW,
        count=count,
        first_time=NOW,
        last_time=NOW,
        first_event=1,
        last_event=1,
    )


def stored(event_id: int) -> EventStored:
    return EventStored(
        event_id, DeviceEvent("gate", "gate.pass", EventState.INFO, Priority.INFO, f"通行 {event_id}")
    )


def test_coalesce_keeps_the_newest_per_alarm_and_device_and_every_event() -> None:
    messages = [
        AlarmChanged(alarm(1), "raised"),
        stored(1),
        AlarmChanged(alarm(2), "raised"),
        DeviceHealthChanged("cam", HealthState.OFFLINE, "no frames", NOW),
        stored(2),
        AlarmChanged(alarm(1, count=5), "folded"),
        DeviceHealthChanged("cam", HealthState.ONLINE, "", NOW),
        AlarmsSilenced(frozenset({1}), "ops"),
    ]
    batch = coalesce(messages)
    assert [(c.alarm.id, c.alarm.count) for c in batch.alarms] == [(2, 1), (1, 5)]
    assert [h.state for h in batch.health] == [HealthState.ONLINE]
    assert [e.event_id for e in batch.events] == [1, 2]
    assert len(batch.silenced) == 1


def test_a_thousand_events_from_another_thread_arrive_in_few_gui_batches(qtbot: QtBot) -> None:
    bus = Bus()
    bridge = Bridge(bus)
    bridge.start()
    received: list[int] = []
    threads_seen: set[object] = set()

    def on_events(batch: list[EventStored]) -> None:
        threads_seen.add(QThread.currentThread())
        received.extend(m.event_id for m in batch)

    bridge.sig_event_stored.connect(on_events)
    publisher_touched_gui: list[bool] = []

    def publish() -> None:
        for i in range(1, 1001):
            bus.publish(stored(i))
        # The publisher itself never ran a slot: nothing was received in this thread.
        publisher_touched_gui.append(QThread.currentThread() in threads_seen)

    thread = threading.Thread(target=publish, name="test-publisher")
    thread.start()
    thread.join(10)
    qtbot.waitUntil(lambda: len(received) == 1000)
    bridge.stop()
    assert received == list(range(1, 1001))
    assert threads_seen == {QApplication.instance().thread()}
    assert publisher_touched_gui == [False]
    assert bridge.flushes <= 10, f"{bridge.flushes} GUI updates for 1000 events: not coalesced"


def test_many_changes_of_one_alarm_reach_the_gui_as_its_newest_state(qtbot: QtBot) -> None:
    bus = Bus()
    bridge = Bridge(bus)
    bridge.start()
    seen: list[Alarm] = []
    settled: list[None] = []
    bridge.sig_alarm_changed.connect(lambda change: seen.append(change.alarm))
    bridge.sig_alarms_settled.connect(lambda: settled.append(None))
    thread = threading.Thread(
        target=lambda: [
            bus.publish(AlarmChanged(replace(alarm(7), count=n), "folded")) for n in range(1, 501)
        ]
    )
    thread.start()
    thread.join(10)
    qtbot.waitUntil(lambda: bool(seen) and seen[-1].count == 500)
    bridge.stop()
    assert len(seen) < 20
    assert 1 <= len(settled) == len(seen)  # one summary refresh per batch, not per message


def test_after_stop_nothing_is_delivered(qtbot: QtBot) -> None:
    bus = Bus()
    bridge = Bridge(bus)
    bridge.start()
    bridge.stop()
    with qtbot.assertNotEmitted(bridge.sig_event_stored, wait=100):
        bus.publish(stored(1))
    assert not bridge._timer.isActive()


def test_a_full_backlog_drops_the_oldest_events_and_counts_them(qtbot: QtBot) -> None:
    bus = Bus()
    bridge = Bridge(bus)
    bridge.start()
    batches: list[list[EventStored]] = []
    bridge.sig_event_stored.connect(batches.append)
    for i in range(1, 6001):  # published in the GUI thread: no flush can run in between
        bus.publish(stored(i))
    qtbot.waitUntil(lambda: bool(batches))
    bridge.stop()
    assert bridge.dropped_events == 1000
    assert batches[0][0].event_id == 1001 and batches[0][-1].event_id == 6000


def _fault(alarm_id: int) -> Alarm:
    return replace(alarm(alarm_id), kind="fire.fault", priority=Priority.FAULT)


def test_a_new_fire_alarm_comes_at_once_and_alone_the_rest_in_the_regular_batch(qtbot: QtBot) -> None:
    bus = Bus()
    bridge = Bridge(bus, max_rate_hz=2)  # regular batches 500 ms apart: the fire must not wait for one
    bridge.start()
    batches: list[list[int]] = []
    events: list[int] = []
    bridge.sig_alarms_changed.connect(lambda changes: batches.append([c.alarm.id for c in changes]))
    bridge.sig_event_stored.connect(lambda stored_: events.extend(m.event_id for m in stored_))
    bus.publish(AlarmChanged(_fault(1), "raised"))
    qtbot.waitUntil(lambda: batches == [[1]])  # the first batch: nothing to wait for
    bus.publish(stored(10))
    bus.publish(AlarmChanged(_fault(2), "raised"))
    bus.publish(AlarmChanged(alarm(3), "raised"))  # a fire
    bus.publish(AlarmChanged(_fault(4), "folded"))
    qtbot.waitUntil(lambda: len(batches) == 2, timeout=300)  # long before the regular batch is due
    assert batches[1] == [3] and events == []
    qtbot.waitUntil(lambda: len(batches) == 3, timeout=2000)
    bridge.stop()
    assert batches[2] == [2, 4] and events == [10]


def test_in_a_storm_regular_batches_slow_down_and_speed_up_again_after(qtbot: QtBot) -> None:
    bus = Bus()
    bridge = Bridge(bus)  # 20 Hz when calm
    bridge.start()
    times: list[float] = []
    bridge.sig_event_stored.connect(lambda _: times.append(time.monotonic()))
    next_id = iter(range(1, 100_000))

    def publish(n: int) -> None:
        for _ in range(n):
            bus.publish(stored(next(next_id)))

    publish(STORM_MESSAGES)  # one storm-sized batch
    qtbot.waitUntil(lambda: len(times) == 1)
    publish(STORM_MESSAGES)
    qtbot.waitUntil(lambda: len(times) == 2, timeout=2000)
    assert times[1] - times[0] >= 1 / STORM_RATE_HZ - 0.02
    publish(1)  # the storm has passed: a small batch, and the next comes at the calm rate
    qtbot.waitUntil(lambda: len(times) == 3, timeout=2000)
    publish(1)
    qtbot.waitUntil(lambda: len(times) == 4, timeout=2000)
    bridge.stop()
    assert times[3] - times[2] < 1 / STORM_RATE_HZ - 0.05
