"""The fire board reducer: order, the first fire, counts, reset, power and link, the point grid."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from console.domain.alarms import Alarm, AlarmStatus
from console.domain.events import EventState, HealthState, Priority
from console.domain.fire_board import (
    Condition,
    FireBoard,
    FireEvent,
    Line,
    PanelInfo,
    PointInfo,
    reduce_board,
)
from console.domain.fire_facts import Place, parse_address

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
PANELS = [PanelInfo("fas-1", "3号宿舍楼 火灾报警控制器"), PanelInfo("fas-2", "实验楼B 火灾报警控制器")]
POINTS = [
    PointInfo("smoke-412", "fas-1", "1-4-12", "感烟探测器 412室", "detector", "3号宿舍楼 4层 412室"),
    PointInfo("smoke-413", "fas-1", "1-4-13", "感烟探测器 413室", "detector", "3号宿舍楼 4层 413室"),
    PointInfo("mcp-1", "fas-1", "1-1-2", "手动报警按钮 1层", "manual_call_point", "1层 东侧楼梯口"),
]
_KIND = {Priority.FIRE: "fire.alarm", Priority.SUPERVISORY: "fire.supervisory", Priority.FAULT: "fire.fault",
         Priority.DISABLED: "fire.disabled"}
_ids = iter(range(1, 10_000))


def alarm(priority: Priority = Priority.FIRE, point: str | None = "smoke-412", minute: int = 0,
          kind: str | None = None, source: str = "fas-1", **changes: Any) -> Alarm:
    alarm_id = next(_ids)
    at = T0 + timedelta(minutes=minute)
    kind = kind or _KIND[priority]
    made = Alarm(id=alarm_id, key=f"{source}|{point}|{kind}", source=source, point=point, kind=kind,
                 priority=priority, summary=f"{kind} at {point}", status=AlarmStatus.NEW, count=1,
                 first_time=at, last_time=at, first_event=alarm_id * 100, last_event=alarm_id * 100,
                 cameras=("cam-corridor",), location="linkage place")
    return replace(made, **changes)


def event(kind: str, point: str | None = "smoke-412", state: EventState = EventState.ACTIVE,
          event_id: int | None = None, source: str = "fas-1", **payload: Any) -> FireEvent:
    return FireEvent(event_id or next(_ids), T0, source, point, kind, state, kind, payload)


def board(alarms: list[Alarm], events: list[FireEvent] | None = None, **kw: Any) -> FireBoard:
    return reduce_board(alarms, events or [], PANELS, POINTS, **kw)


def test_entries_are_ordered_fire_supervisory_fault_disabled_oldest_first() -> None:
    disabled = alarm(Priority.DISABLED, "mcp-1", minute=0)
    fault = alarm(Priority.FAULT, "smoke-413", minute=1)
    fire_late = alarm(Priority.FIRE, "smoke-413", minute=5)
    supervisory = alarm(Priority.SUPERVISORY, "mcp-1", minute=2)
    fire_early = alarm(Priority.FIRE, "smoke-412", minute=3)
    result = board([disabled, fault, fire_late, supervisory, fire_early])
    assert [e.alarm.id for e in result.entries] == [
        fire_early.id, fire_late.id, supervisory.id, fault.id, disabled.id]
    assert [e.condition for e in result.entries] == [
        Condition.FIRE, Condition.FIRE, Condition.SUPERVISORY, Condition.FAULT, Condition.DISABLED]


def test_the_first_fire_is_flagged_and_stays_first_after_a_second_fire() -> None:
    first = alarm(Priority.FIRE, "smoke-412", minute=0, status=AlarmStatus.ACKNOWLEDGED)
    second = alarm(Priority.FIRE, "smoke-413", minute=1)
    result = board([second, first])
    assert result.first_fire is not None and result.first_fire.alarm.id == first.id
    assert [e.first for e in result.entries] == [True, False]


def test_counts_per_panel_and_system_include_started_and_feedback() -> None:
    alarms = [alarm(Priority.FIRE), alarm(Priority.FIRE, "smoke-413"), alarm(Priority.FAULT, "mcp-1"),
              alarm(Priority.SUPERVISORY, "mcp-1"), alarm(Priority.DISABLED, "smoke-413"),
              alarm(Priority.FIRE, "lab-1", source="fas-2")]
    events = [event("fire.started", "pump-1"), event("fire.feedback", "pump-1"),
              event("fire.feedback", "fan-2"), event("fire.started", "fan-2", EventState.INFO)]
    result = board(alarms, events)
    panel = result.panels[0]
    assert dict(panel.counts) == {Condition.FIRE: 2, Condition.SUPERVISORY: 1, Condition.FAULT: 1,
                                  Condition.DISABLED: 1, Condition.STARTED: 2, Condition.FEEDBACK: 2}
    assert result.panels[1].counts[Condition.FIRE] == 1
    assert sum(s.counts[Condition.FIRE] for s in panel.systems) == 2


def test_systems_and_words_come_from_the_panels_payload() -> None:
    fire = alarm(Priority.FIRE, "1-1-10-2", first_event=7, last_event=7, location="")
    payload = {"system_type": 1, "system_addr": 1, "system_type_name": "火灾报警系统", "zone": 10,
               "number": 2, "component_type_name": "点型感烟火灾探测器", "description": "图书馆三楼 阅览室"}
    result = board([fire], [event("fire.alarm", "1-1-10-2", event_id=7, **payload)])
    (entry,) = result.entries
    assert entry.component == "点型感烟火灾探测器" and entry.location == "图书馆三楼 阅览室"
    assert (entry.place.system, entry.place.zone, entry.place.number) == ("1-1", "10", "2")
    (system,) = result.panels[0].systems
    assert system.label == "火灾报警系统 1号" and system.counts[Condition.FIRE] == 1


def test_a_site_point_gives_location_and_kind_and_the_alarm_keeps_its_cameras() -> None:
    (entry,) = board([alarm(Priority.FIRE, "smoke-412")]).entries
    assert entry.location == "3号宿舍楼 4层 412室" and entry.point_kind == "detector"
    assert entry.alarm.cameras == ("cam-corridor",) and entry.component == ""


def test_reset_clears_counts_grid_and_first_fire_but_keeps_the_entry_to_close() -> None:
    fire = alarm(Priority.FIRE, cleared=True, cleared_time=T0)
    fault = alarm(Priority.FAULT, "mcp-1", cleared=True, cleared_time=T0)
    started = event("fire.started", "pump")
    reset = event("fire.reset", None, EventState.CLEARED)
    result = board([fire, fault], [reset, started])  # given in any order, replayed in id order
    panel = result.panels[0]
    assert all(count == 0 for count in panel.counts.values())
    assert result.first_fire is None
    assert all(e.reset for e in result.entries)
    assert all(c.state is None for z in panel.zones for c in z.cells)
    # Closed by the officer: gone from the board altogether.
    assert board([replace(fire, status=AlarmStatus.CLOSED)]).entries == ()


def test_fire_entries_stay_while_handled_until_the_panel_reports_reset() -> None:
    fire = alarm(Priority.FIRE, status=AlarmStatus.IN_PROGRESS)
    result = board([fire], [event("fire.normal", "smoke-412", EventState.CLEARED)])
    assert result.panels[0].counts[Condition.FIRE] == 1 and not result.entries[0].reset


def test_a_fault_never_hides_a_fire_in_the_list_or_the_grid() -> None:
    fault = alarm(Priority.FAULT, "smoke-412", minute=0)
    fire = alarm(Priority.FIRE, "smoke-412", minute=1)
    result = board([fault, fire])
    assert result.entries[0].alarm.id == fire.id
    cell = next(c for z in result.panels[0].zones for c in z.cells if c.point_id == "smoke-412")
    assert cell.state is Condition.FIRE
    assert result.panels[0].counts[Condition.FAULT] == 1


def test_point_grid_groups_by_zone_in_natural_order() -> None:
    result = board([alarm(Priority.FIRE, "smoke-413")])
    zones = result.panels[0].zones
    assert [z.zone for z in zones] == ["1-1", "1-4"]
    assert [c.number for c in zones[1].cells] == ["12", "13"]
    assert [c.state for c in zones[1].cells] == [None, Condition.FIRE]
    assert parse_address("1-1-10-2").zone == "10" and parse_address("7").number == "7"
    assert parse_address("pump-1") == Place("", "", "pump-1")  # a name is one cell, not zone "pump"


def test_mains_battery_and_link_follow_the_events() -> None:
    events = [event("fire.mains_fault", "1-1"), event("fire.battery_fault", "1-1")]
    panel = board([], events, health={"fas-1": HealthState.ONLINE}).panels[0]
    assert (panel.mains, panel.battery, panel.link) == (Line.FAULT, Line.FAULT, Line.NORMAL)
    events.append(event("fire.mains_fault", "1-1", EventState.CLEARED))
    panel = board([], events, health={"fas-1": HealthState.ONLINE}).panels[0]
    assert (panel.mains, panel.battery) == (Line.NORMAL, Line.FAULT)
    events.append(event("fire.normal", "1-1", EventState.CLEARED))
    assert board([], events, health={"fas-1": HealthState.ONLINE}).panels[0].battery is Line.NORMAL


def test_link_fault_and_offline_panel_make_power_unknown() -> None:
    panel = board([], [event("fire.link_fault", "uitd")]).panels[0]
    assert (panel.link, panel.mains) == (Line.FAULT, Line.UNKNOWN)
    panel = board([], [], health={"fas-1": HealthState.OFFLINE}).panels[0]
    assert panel.link is Line.FAULT
    quiet = board([]).panels[1]
    assert (quiet.link, quiet.mains, quiet.battery) == (Line.UNKNOWN, Line.UNKNOWN, Line.UNKNOWN)


def test_power_faults_fall_back_on_open_alarms_beyond_the_event_backlog() -> None:
    mains = alarm(Priority.FAULT, "1-1", kind="fire.mains_fault")
    panel = board([mains], health={"fas-1": HealthState.ONLINE}).panels[0]
    assert panel.mains is Line.FAULT and panel.counts[Condition.FAULT] == 1


def test_non_fire_alarms_are_left_out_and_unknown_fire_sources_get_a_panel() -> None:
    gate = alarm(Priority.SECURITY, "door-1", kind="gate.forced", source="gate-east")
    offline = alarm(Priority.TECHNICAL, None, kind="device.offline", source="fas-1")
    stranger = alarm(Priority.FIRE, "2-1-3-4", source="gb26875:0a0b")
    result = board([gate, offline, stranger])
    assert [e.alarm.id for e in result.entries] == [stranger.id]
    assert [p.id for p in result.panels] == ["fas-1", "fas-2", "gb26875:0a0b"]
    assert result.panels[2].zones[0].cells[0].state is Condition.FIRE


def test_a_point_reset_clears_only_that_point() -> None:
    events = [event("fire.started", "pump-1"), event("fire.started", "fan-2"),
              event("fire.reset", "pump-1", EventState.CLEARED)]
    assert board([], events).panels[0].counts[Condition.STARTED] == 1


def test_events_from_rows_and_stored_events_agree() -> None:
    row = {"id": 3, "time": T0.isoformat(), "source": "fas-1", "point": "p", "kind": "fire.alarm",
           "state": "active", "summary": "火警", "payload": {"zone": 1}}
    assert FireEvent.from_row(row) == FireEvent(3, T0, "fas-1", "p", "fire.alarm", EventState.ACTIVE, "火警",
                                                {"zone": 1})
