"""Device tree, event log, camera wall, status bar and the alarm table's order, against the real engine."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QTableView
from pytestqt.qtbot import QtBot

from console.domain.alarms import Alarm, AlarmStatus
from console.domain.events import EventState, HealthState, Priority
from console.domain.messages import EventStored
from drivers.base import DeviceEvent
from widgets.alarm_model import AlarmTableModel
from widgets.camera_wall import alarm_cameras, bring_forward, default_layout
from widgets.device_tree import group_devices
from widgets.event_log import CHUNK_ROWS, COLUMNS, STORM_ROWS, EventLogModel, EventRow
from widgets.status_bar import alarm_counts

from .conftest import Console, MakeWindow

T0 = datetime(2026, 5, 4, 14, 0, tzinfo=UTC)


def alarm(alarm_id: int, priority: Priority, minutes: int = 0, **kw: object) -> Alarm:
    at = T0 + timedelta(minutes=minutes)
    fields = dict(
        id=alarm_id,
        key=f"k{alarm_id}",
        source="fp",
        point=f"p{alarm_id}",
        kind="x",
        priority=priority,
        summary=f"alarm {alarm_id}",
        status=AlarmStatus.NEW,
        count=1,
        first_time=at,
        last_time=at,
        first_event=alarm_id,
        last_event=alarm_id,
    )
    fields.update(kw)
    return Alarm(**fields)  # type: ignore[arg-type]


def test_alarm_table_orders_by_priority_then_newest_and_follows_updates(qtbot: QtBot) -> None:
    model = AlarmTableModel()
    model.set_alarms([alarm(1, Priority.FAULT, 0), alarm(2, Priority.FIRE, 1), alarm(3, Priority.FAULT, 5)])
    assert [a.id for a in model.alarms()] == [2, 3, 1]
    model.upsert(alarm(4, Priority.FIRE, 9))
    assert [a.id for a in model.alarms()] == [4, 2, 3, 1]
    assert model.first_fire_id == 2  # the earliest fire stays flagged however many follow
    model.upsert(replace(alarm(1, Priority.FAULT, 0), last_time=T0 + timedelta(minutes=30), count=2))
    assert [a.id for a in model.alarms()] == [4, 2, 1, 3]  # a repeat makes it the newest fault
    model.upsert(replace(model.alarms()[1], status=AlarmStatus.CLOSED))
    assert [a.id for a in model.alarms()] == [4, 1, 3]
    assert model.first_fire_id == 4


def test_the_alarm_table_keeps_the_selection_on_its_alarm_and_the_priority_colour(qtbot: QtBot) -> None:
    model = AlarmTableModel()
    model.set_alarms([alarm(1, Priority.FAULT, 0), alarm(2, Priority.FAULT, 5)])
    table = QTableView()
    qtbot.addWidget(table)
    model.attach(table)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.resize(600, 300)
    table.show()
    # A click on the red priority cell selects its row, like a click anywhere else in it.
    priority_cell = table.visualRect(model.index(1, 0)).center()
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=priority_cell)
    assert [model.alarm_at(i.row()).id for i in table.selectionModel().selectedRows()] == [1]
    # The priority cell is not drawn as selected, so it keeps the priority's colour.
    assert not table.selectionModel().isSelected(model.index(1, 0))
    assert table.selectionModel().isSelected(model.index(1, 1))
    model.upsert(alarm(3, Priority.FIRE, 9))  # a new row on top: the selection follows alarm 1 down
    model.upsert(replace(alarm(2, Priority.FAULT, 5), count=4))
    assert [a.id for a in model.alarms()] == [3, 2, 1]
    assert [model.alarm_at(i.row()).id for i in table.selectionModel().selectedRows()] == [1]
    # A bridge batch is sorted once at its end; the selection still follows its alarm.
    model.upsert_many([alarm(5, Priority.FIRE, 10), replace(alarm(1, Priority.FAULT, 0), count=2,
                       last_time=T0 + timedelta(minutes=7)), replace(alarm(2, Priority.FAULT, 5),
                       status=AlarmStatus.CLOSED)])
    assert [a.id for a in model.alarms()] == [5, 3, 1]
    assert [model.alarm_at(i.row()).id for i in table.selectionModel().selectedRows()] == [1]


def test_device_health_change_shows_in_the_tree_and_the_status_bar(
    qtbot: QtBot, console: Console, make_window: MakeWindow
) -> None:
    window = make_window()
    tree = window.device_tree
    assert tree.item_for("cam-lib").text(1) == "Unknown"
    console.services.devices.set_health("cam-lib", HealthState.ONLINE, "")  # up, then it drops out
    console.services.devices.set_health("cam-lib", HealthState.OFFLINE, "no frames for 10 s")
    qtbot.waitUntil(lambda: tree.health_of("cam-lib") is HealthState.OFFLINE)
    item = tree.item_for("cam-lib")
    assert item.text(1) == "Offline" and "no frames for 10 s" in item.toolTip(0)
    assert item.parent().text(0) == "Cameras (2)" and item.parent().parent().text(0) == "东校区"
    qtbot.waitUntil(lambda: "Offline 1" in window.status_panel.health.text())
    # Going offline also raises a technical alarm, which the list shows.
    qtbot.waitUntil(lambda: any(a.kind == "device.offline" for a in window.alarm_panel.model.alarms()))


def test_the_event_log_receives_events_in_batches(
    qtbot: QtBot, console: Console, make_window: MakeWindow
) -> None:
    window = make_window()
    before = window.event_log.model_.rowCount()
    for i in range(30):
        console.ingest("gate.pass", Priority.INFO, f"刷卡通行 {i}", point=None, state=EventState.INFO)
    qtbot.waitUntil(lambda: window.event_log.model_.rowCount() == before + 30)
    newest = window.event_log.model_.rows()[0]
    assert newest.summary == "刷卡通行 29" and newest.kind == "gate.pass"


def test_the_event_log_in_a_storm_writes_at_most_once_a_second(
    qtbot: QtBot, make_window: MakeWindow
) -> None:
    log = make_window().event_log
    start = log.model_.newest_id + 1

    def storm(first: int, n: int) -> list[EventStored]:
        return [EventStored(i, DeviceEvent(source="uitd", kind="fire.start", state=EventState.ACTIVE,
                                           priority=Priority.INFO, summary=f"s{i}", point=None))
                for i in range(first, first + n)]

    log.on_events(storm(start, STORM_ROWS))  # a storm's first flush is written at once
    qtbot.waitUntil(lambda: log.model_.newest_id == start + STORM_ROWS - 1, timeout=500)
    log.on_events(storm(start + STORM_ROWS, STORM_ROWS))  # the next waits for the storm interval
    qtbot.wait(200)
    assert log.model_.newest_id == start + STORM_ROWS - 1
    qtbot.waitUntil(lambda: log.model_.newest_id == start + 2 * STORM_ROWS - 1, timeout=2000)
    log.on_events(storm(start + 2 * STORM_ROWS, 3))  # a trickle again: at once
    assert log.model_.newest_id == start + 2 * STORM_ROWS + 2


def test_a_storm_is_written_in_chunks_and_a_trickle_meanwhile_loses_nothing(
    qtbot: QtBot, make_window: MakeWindow
) -> None:
    log = make_window().event_log
    start = log.model_.newest_id + 1
    before = log.model_.rowCount()
    storm = [EventStored(i, DeviceEvent(source="uitd", kind="fire.start", state=EventState.ACTIVE,
                                        priority=Priority.INFO, summary=f"s{i}", point=None))
             for i in range(start, start + 3 * CHUNK_ROWS + 5)]
    log.on_events(storm[:-5])
    qtbot.waitUntil(lambda: log.model_.rowCount() > before, timeout=1000)
    log.on_events(storm[-5:])  # arrives while the storm's chunks are still being written
    qtbot.waitUntil(lambda: log.model_.newest_id == storm[-1].event_id, timeout=3000)
    ids = [r.id for r in log.model_.rows()]
    assert ids[: len(storm)] == [m.event_id for m in reversed(storm)]


def test_the_event_log_keeps_only_the_newest_rows(qtbot: QtBot) -> None:
    model = EventLogModel(max_rows=50)
    rows = [EventRow(i, T0, Priority.INFO, "gate.pass", "g", "", str(i)) for i in range(1, 121)]
    model.add(rows[:70])
    model.add(rows[60:])  # overlaps what is shown: the repeats are skipped
    assert model.rowCount() == 50
    assert [r.id for r in model.rows()[:2]] == [120, 119] and model.rows()[-1].id == 71
    shown = model.newest_first()  # the view's order, over the ring the rows are written into
    summaries = [shown.index(r, COLUMNS.index("summary")).data() for r in range(shown.rowCount())]
    assert summaries == [str(i) for i in range(120, 70, -1)]


def test_the_event_log_colours_a_reused_row_by_its_new_event(qtbot: QtBot) -> None:
    model = EventLogModel(max_rows=2)
    model.add([EventRow(1, T0, Priority.FIRE, "fire.alarm", "p", "", "fire")])
    model.add([EventRow(i, T0, Priority.INFO, "gate.pass", "g", "", str(i)) for i in (2, 3)])
    column = COLUMNS.index("priority")
    assert all(model.index(r, column).data(Qt.ItemDataRole.ForegroundRole) is None for r in range(2))


def test_the_event_log_loads_what_was_stored_before_the_window(
    qtbot: QtBot, console: Console, make_window: MakeWindow
) -> None:
    console.ingest("fire.alarm", Priority.FIRE, "感烟火灾探测器 火警")
    window = make_window()
    assert window.event_log.model_.rows()[0].priority is Priority.FIRE


def test_camera_wall_layouts_and_single_view(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window()
    wall = window.wall
    assert wall.visible_camera_ids() == ["cam-lib", "cam-gate", "cam-dorm", "cam-lab", "cam-canteen"]
    wall.set_layout(4)
    assert len(wall.visible_camera_ids()) == 4 and sum(t.isVisibleTo(wall) for t in wall.tiles) == 4
    wall.toggle_single("cam-dorm")
    assert wall.visible_camera_ids() == ["cam-dorm"]
    wall.toggle_single("cam-dorm")
    assert wall.layout_size == 4 and wall.visible_camera_ids()[0] == "cam-lib"
    assert wall.tile_for("cam-lib").state == "No video yet"


def test_pure_helpers() -> None:
    assert [default_layout(n) for n in (0, 1, 2, 4, 5, 9, 10, 40)] == [1, 1, 4, 4, 9, 9, 16, 16]
    assert bring_forward(["a", "b", "c", "d"], ["c", "x", "a", "c"]) == ["c", "a", "b", "d"]
    fire = alarm(1, Priority.FIRE, cameras=("a", "b"))
    closed = alarm(2, Priority.FIRE, cameras=("c",), status=AlarmStatus.CLOSED)
    assert alarm_cameras([fire, closed]) == {"a", "b"}
    assert list(alarm_counts([fire, closed, alarm(3, Priority.FAULT), alarm(4, Priority.FAULT)]).items()) == [
        (Priority.FIRE, 1),
        (Priority.FAULT, 2),
    ]


def test_device_grouping_follows_site_order(console: Console) -> None:
    groups = group_devices(console.services.devices.all(), ["east", "west"])
    assert list(groups) == ["east", "west"]
    assert list(groups["east"]) == ["camera", "panel"]
    assert [d.id for d in groups["west"]["camera"]] == ["cam-dorm", "cam-lab", "cam-canteen"]  # site order


def test_status_bar_shows_the_officer_and_ticks(
    qtbot: QtBot, console: Console, make_window: MakeWindow
) -> None:
    window = make_window()
    panel = window.status_panel
    assert panel.officer.text() == "On duty: 值班员 李 (Duty officer)"
    assert panel.timer.isActive() and panel.timer.interval() == 1000
    first = panel.clock.text()
    qtbot.waitUntil(lambda: panel.clock.text() != first, timeout=3000)
    window.close()
    assert not panel.timer.isActive() and not window.bridge._timer.isActive()


def test_actions_follow_the_state_machine_and_the_role(console: Console) -> None:
    from console.domain.alarms import AlarmAction as A
    from widgets.alarm_logic import action_enabled

    fire = alarm(1, Priority.FIRE)
    acked_fire = replace(fire, status=AlarmStatus.ACKNOWLEDGED)
    assert action_enabled(fire, A.ACKNOWLEDGE, console.operator)
    assert not action_enabled(fire, A.ACKNOWLEDGE, console.viewer)
    assert not action_enabled(acked_fire, A.CLOSE, console.operator)  # until the panel resets
    assert action_enabled(replace(acked_fire, cleared=True), A.CLOSE, console.operator)
    assert action_enabled(
        replace(alarm(2, Priority.FAULT), status=AlarmStatus.ACKNOWLEDGED), A.CLOSE, console.operator
    )
    assert not action_enabled(None, A.START, console.admin)
