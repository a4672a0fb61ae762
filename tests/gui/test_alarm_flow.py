"""An alarm's life through the real engine and the window: shown, sounded, acknowledged, closed."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from console.domain.alarms import Alarm, AlarmAction, AlarmStatus, Disposition
from console.domain.events import EventState, Priority
from console.domain.roles import PermissionDenied
from console.domain.sound import Sound
from widgets.alarm_model import FIRST_FIRE_ROLE
from widgets.main_window import MainWindow

from .conftest import Console, MakeWindow


def shown(window: MainWindow, kind: str) -> Alarm | None:
    return next((a for a in window.alarm_panel.model.alarms() if a.kind == kind), None)


def raise_fire(console: Console, window: MainWindow, qtbot: QtBot) -> Alarm:
    console.ingest("fire.alarm", Priority.FIRE, "感烟火灾探测器 火警")
    qtbot.waitUntil(lambda: shown(window, "fire.alarm") is not None)
    alarm = shown(window, "fire.alarm")
    assert alarm is not None
    return alarm


def test_a_fire_alarm_is_listed_sounded_flagged_and_brings_its_cameras_forward(
    qtbot: QtBot, console: Console, make_window: MakeWindow
) -> None:
    window = make_window()
    assert window.sounder.current_sound is None
    assert window.wall.layout_size == 9  # five cameras
    fire = raise_fire(console, window, qtbot)
    panel = window.alarm_panel
    assert fire.status is AlarmStatus.NEW
    assert fire.cameras == ("cam-lab", "cam-canteen")
    qtbot.waitUntil(lambda: window.sounder.current_sound is Sound.FIRE)
    assert panel.model.data(panel.model.index(0, 0), FIRST_FIRE_ROLE) is True
    assert panel.model.data(panel.model.index(0, 0)).endswith("Fire")
    assert window.wall.visible_camera_ids()[:2] == ["cam-lab", "cam-canteen"]
    assert window.wall.tile_for("cam-lab").alarmed and not window.wall.tile_for("cam-gate").alarmed
    assert "Fire 1" in window.status_panel.alarms.text()


def test_a_fault_never_hides_the_fire(qtbot: QtBot, console: Console, make_window: MakeWindow) -> None:
    window = make_window()
    raise_fire(console, window, qtbot)
    console.ingest("fire.fault", Priority.FAULT, "手动报警按钮 故障", point="lib-3f-mcp")
    qtbot.waitUntil(lambda: window.alarm_panel.model.rowCount() == 2)
    assert [a.priority for a in window.alarm_panel.model.alarms()] == [Priority.FIRE, Priority.FAULT]
    assert window.sounder.current_sound is Sound.FIRE


def test_acknowledge_start_and_close_through_the_panel(
    qtbot: QtBot, console: Console, make_window: MakeWindow
) -> None:
    window = make_window()
    panel = window.alarm_panel
    fire = raise_fire(console, window, qtbot)
    panel.select_alarm(fire.id)
    assert panel.buttons["acknowledge"].isEnabled()
    assert not panel.buttons["close"].isEnabled()
    qtbot.mouseClick(panel.buttons["acknowledge"], qtbot_button())
    qtbot.waitUntil(lambda: shown(window, "fire.alarm").status is AlarmStatus.ACKNOWLEDGED)
    qtbot.waitUntil(lambda: window.sounder.current_sound is None)
    # A fire stays until the panel reports reset: the officer cannot close it yet.
    assert not panel.buttons["close"].isEnabled()
    assert "reset" in panel.buttons["close"].toolTip()
    qtbot.mouseClick(panel.buttons["start"], qtbot_button())
    qtbot.waitUntil(lambda: shown(window, "fire.alarm").status is AlarmStatus.IN_PROGRESS)
    console.ingest("fire.reset", Priority.FIRE, "控制器复位", point=None, state=EventState.CLEARED)
    qtbot.waitUntil(lambda: shown(window, "fire.alarm").cleared)
    qtbot.waitUntil(panel.buttons["close"].isEnabled)  # the buttons settle once per bridge flush
    qtbot.mouseClick(panel.buttons["close"], qtbot_button())
    dialog = panel.close_dialog
    assert dialog is not None and dialog.isVisible()
    assert not dialog.buttons.button(dialog.buttons.StandardButton.Ok).isEnabled()  # no preselected answer
    dialog.set_disposition(Disposition.FALSE_ALARM)
    dialog.note_edit.setPlainText("吸烟引起，已劝导")
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Ok), qtbot_button())
    qtbot.waitUntil(lambda: shown(window, "fire.alarm") is None)
    assert console.services.alarms.open_alarms() == []
    history = console.services.alarm_history(fire.id)
    assert [h["action"] for h in history] == ["acknowledge", "start", "close"]
    assert history[-1]["disposition"] == "false_alarm" and history[-1]["note"] == "吸烟引起，已劝导"
    assert all(h["actor"] == "ops" for h in history)
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Close: "))
    assert not window.wall.tile_for("cam-lab").alarmed


def qtbot_button():  # noqa: ANN201 - keeps the Qt enum import in one place
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


def test_history_of_the_selected_alarm_is_shown(
    qtbot: QtBot, console: Console, make_window: MakeWindow
) -> None:
    window = make_window()
    fire = raise_fire(console, window, qtbot)
    window.alarm_panel.select_alarm(fire.id)
    window.alarm_panel.acknowledge()
    qtbot.waitUntil(lambda: "Acknowledge" in window.alarm_panel.history.toPlainText())
    text = window.alarm_panel.history.toPlainText()
    assert "raised" in text and "ops" in text and "New → Acknowledged" in text


def test_a_viewer_sees_the_actions_disabled_and_the_service_refuses(
    qtbot: QtBot, console: Console, make_window: MakeWindow
) -> None:
    window = make_window(console.viewer)
    fire = raise_fire(console, window, qtbot)
    panel = window.alarm_panel
    panel.select_alarm(fire.id)
    for key in ("acknowledge", "start", "close", "silence"):
        assert not panel.buttons[key].isEnabled(), key
        assert not panel.actions[key].isEnabled(), key
    with pytest.raises(PermissionDenied):
        console.services.alarms.act(console.viewer, fire.id, AlarmAction.ACKNOWLEDGE)
    panel.acknowledge()  # forced past the disabled button: refused, reported, no crash
    assert "Not allowed" in window.statusBar().currentMessage()
    assert shown(window, "fire.alarm").status is AlarmStatus.NEW


def test_a_refused_transition_is_reported_in_the_status_bar(
    qtbot: QtBot, console: Console, make_window: MakeWindow
) -> None:
    window = make_window()
    fire = raise_fire(console, window, qtbot)
    console.services.alarms.act(console.supervisor, fire.id, AlarmAction.ACKNOWLEDGE).result(5)
    # The operator's view may still be on the old state for a moment; the service has the last word.
    window.alarm_panel._act(AlarmAction.ACKNOWLEDGE, alarm=fire)
    qtbot.waitUntil(lambda: "Could not Acknowledge" in window.statusBar().currentMessage())


def test_silence_quiets_the_sounding_alarms_and_a_new_alarm_sounds_again(
    qtbot: QtBot, console: Console, make_window: MakeWindow
) -> None:
    window = make_window()
    console.ingest("fire.fault", Priority.FAULT, "手动报警按钮 故障", point="lib-3f-mcp")
    qtbot.waitUntil(lambda: window.sounder.current_sound is Sound.FAULT)
    window.alarm_panel.actions["silence"].trigger()
    qtbot.waitUntil(lambda: window.sounder.current_sound is None)
    # A repeat of the silenced fault stays quiet ...
    console.ingest("fire.fault", Priority.FAULT, "手动报警按钮 故障", point="lib-3f-mcp")
    qtbot.waitUntil(lambda: shown(window, "fire.fault").count == 2)
    assert window.sounder.current_sound is None
    # ... a new alarm sounds again.
    raise_fire(console, window, qtbot)
    qtbot.waitUntil(lambda: window.sounder.current_sound is Sound.FIRE)


def test_f2_acknowledges_the_top_alarm(qtbot: QtBot, console: Console, make_window: MakeWindow) -> None:
    from PySide6.QtCore import Qt

    window = make_window()
    raise_fire(console, window, qtbot)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: shown(window, "fire.alarm").status is AlarmStatus.ACKNOWLEDGED)
