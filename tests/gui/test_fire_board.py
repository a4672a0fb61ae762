"""The fire board on the real engine: events through the store appear, the first fire stays, steps stamp."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from console.domain.alarms import AlarmStatus, Disposition
from console.domain.events import DeviceEvent, EventState, HealthState, Priority
from console.domain.fire_board import Condition
from console.domain.fire_procedure import Outcome, Step
from console.domain.session import Session
from console.services.fire_procedure import FIRE_PROCEDURE_STEP, FireProcedures
from widgets import i18n
from widgets.app_window import prepare_app
from widgets.bridge import MAX_RATE_HZ, Bridge
from widgets.disposition_dialog import DispositionDialog
from widgets.fire_board import FireBoardView
from widgets.fire_checklist import FireProcedureDialog
from widgets.fire_entries import FIRST_FIRE_ROLE, FIRST_FIRE_TINT
from widgets.fire_labels import CONDITION_COLOURS

from .conftest import Console, MakeWindow

GB_PAYLOAD = {"protocol": "gb26875", "system_type": 1, "system_addr": 1, "system_type_name": "火灾报警系统",
              "zone": 3, "number": 12, "component_type_name": "点型感烟火灾探测器",
              "description": "图书馆三楼 阅览室"}
LEFT = Qt.MouseButton.LeftButton


def ingest(console: Console, kind: str, priority: Priority, summary: str, point: str | None = "lib-3f-smoke",
           state: EventState = EventState.ACTIVE, **payload: Any) -> None:
    event = DeviceEvent(source="fp-east", kind=kind, state=state, priority=priority, summary=summary,
                        point=point, payload=payload)
    console.engine.store.ingest(event).result(5)


@pytest.fixture
def make_board(qtbot: QtBot, console: Console) -> Iterator[Any]:
    """A board on its own bridge, with the fire procedure service the engine façade does not carry yet."""
    engine = console.engine
    services = replace(console.services,
                       fire_procedures=FireProcedures(engine.store, engine.accounts, engine.site))
    made: list[tuple[QWidget, FireBoardView, Bridge]] = []  # qtbot keeps only weak references

    def make(session: Session | None = None) -> FireBoardView:
        holder = QWidget()
        qtbot.addWidget(holder)
        bridge = Bridge(services.bus, holder)
        bridge.start()
        board = FireBoardView(services, session or console.operator, bridge, holder)
        holder.resize(900, 800)
        holder.show()
        board.resize(900, 800)
        made.append((holder, board, bridge))
        return board

    yield make
    for holder, board, bridge in made:
        bridge.stop()
        board.shutdown()
        holder.close()


def cell_colour(board: Any, point: str) -> str | None:
    """The grid cell's background as #rrggbb (the grid follows the list one event-loop turn later)."""
    cell = board.grid.cell_at(point)
    return None if cell is None else str(cell.background().color().name())


def test_fire_events_through_the_store_appear_within_the_coalescing_time(
    qtbot: QtBot, console: Console, make_board: Any
) -> None:
    board = make_board()
    assert board.model.rowCount() == 0
    started = time.monotonic()
    ingest(console, "fire.alarm", Priority.FIRE, "火警：图书馆三楼 阅览室", **GB_PAYLOAD)
    # The first batch after a quiet spell is delivered at once; the margin is for a busy test machine.
    qtbot.waitUntil(lambda: board.model.rowCount() == 1, timeout=int(1000 / MAX_RATE_HZ) + 450)
    assert time.monotonic() - started < 1.0
    entry = board.model.entry_at(0)
    assert entry is not None and entry.first
    assert board.model.data(board.model.index(0, 3)) == "点型感烟火灾探测器"
    assert board.model.data(board.model.index(0, 2)) == "图书馆 3F 阅览室"  # the site's words for its point
    assert board.model.data(board.model.index(0, 6)) == "cam-lab, cam-canteen"
    # The new fire was listed ahead of the board's refresh; the counts and the grid follow with it.
    card = board.cards.cards["fp-east"]
    qtbot.waitUntil(lambda: card.tiles[Condition.FIRE].property("count") == 1, timeout=1000)
    assert board.model.entry_at(0) == entry  # the refresh agrees with what was listed early
    red = CONDITION_COLOURS[Condition.FIRE]
    qtbot.waitUntil(lambda: cell_colour(board, "lib-3f-smoke") == red, timeout=1000)


def test_the_first_fire_stays_highlighted_after_a_second_fire_and_a_fault_never_hides_it(
    qtbot: QtBot, console: Console, make_board: Any
) -> None:
    board = make_board()
    ingest(console, "fire.alarm", Priority.FIRE, "感烟火灾探测器 火警")
    qtbot.waitUntil(lambda: board.model.rowCount() == 1)
    ingest(console, "fire.fault", Priority.FAULT, "感烟火灾探测器 故障")
    ingest(console, "fire.alarm", Priority.FIRE, "手动报警按钮 火警", point="lib-3f-mcp")
    qtbot.waitUntil(lambda: board.model.rowCount() == 3)
    model = board.model
    conditions = [model.entry_at(r).condition for r in range(3)]
    assert conditions == [Condition.FIRE, Condition.FIRE, Condition.FAULT]
    assert [model.data(model.index(r, 0), FIRST_FIRE_ROLE) for r in range(3)] == [True, False, False]
    assert model.entry_at(0).alarm.point == "lib-3f-smoke"
    assert model.data(model.index(0, 0)).startswith("★")
    assert model.data(model.index(0, 2), Qt.ItemDataRole.BackgroundRole) == QColor(FIRST_FIRE_TINT)
    # The counts and the grid follow the list: fire and fault at one point, the cell stays red.
    qtbot.waitUntil(lambda: board.cards.cards["fp-east"].tiles[Condition.FAULT].property("count") == 1)
    qtbot.waitUntil(lambda: cell_colour(board, "lib-3f-smoke") == CONDITION_COLOURS[Condition.FIRE])


def test_started_feedback_power_and_link_on_the_card(qtbot: QtBot, console: Console, make_board: Any) -> None:
    console.engine.devices.set_health("fp-east", HealthState.ONLINE, "test")
    board = make_board()
    ingest(console, "fire.started", Priority.INFO, "排烟风机 启动", point="fan-1", state=EventState.INFO)
    ingest(console, "fire.feedback", Priority.INFO, "排烟风机 反馈", point="fan-1", state=EventState.INFO)
    ingest(console, "fire.mains_fault", Priority.FAULT, "主电故障", point="1-1")
    card = board.cards.cards["fp-east"]
    qtbot.waitUntil(lambda: card.tiles[Condition.FEEDBACK].property("count") == 1)
    assert card.tiles[Condition.STARTED].property("count") == 1
    qtbot.waitUntil(lambda: card.lines.property("faulty") is True)
    assert "Mains" in card.lines.text() and "FAULT" in card.lines.text()


def test_reset_clears_the_board_and_close_takes_a_disposition(
    qtbot: QtBot, console: Console, make_board: Any
) -> None:
    board = make_board()
    ingest(console, "fire.alarm", Priority.FIRE, "感烟火灾探测器 火警")
    qtbot.waitUntil(lambda: board.model.rowCount() == 1)
    board.select_alarm(board.model.entry_at(0).alarm.id)
    assert not board.buttons["close"].isEnabled()  # a fire stays until the panel reports reset
    ingest(console, "fire.reset", Priority.FIRE, "控制器复位", point=None, state=EventState.CLEARED)
    qtbot.waitUntil(lambda: board.model.entry_at(0).reset)
    assert board.cards.cards["fp-east"].tiles[Condition.FIRE].property("count") == 0
    assert not board.buttons["close"].isEnabled()  # nor is a new alarm closed unseen: acknowledge first
    qtbot.mouseClick(board.buttons["acknowledge"], LEFT)
    qtbot.waitUntil(lambda: board.buttons["close"].isEnabled())
    qtbot.mouseClick(board.buttons["close"], LEFT)
    dialog = board.dialog
    assert isinstance(dialog, DispositionDialog)
    dialog.set_disposition(Disposition.FALSE_ALARM)
    dialog.note_edit.setPlainText("烹饪油烟")
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Ok), LEFT)
    qtbot.waitUntil(lambda: board.model.rowCount() == 0)
    assert console.services.alarms.open_alarms() == []


def test_acknowledge_and_silence_are_logged_and_a_viewer_may_do_neither(
    qtbot: QtBot, console: Console, make_board: Any
) -> None:
    board = make_board()
    viewer_board = make_board(console.viewer)
    ingest(console, "fire.alarm", Priority.FIRE, "感烟火灾探测器 火警")
    qtbot.waitUntil(lambda: board.model.rowCount() == 1 and viewer_board.model.rowCount() == 1)
    assert not any(viewer_board.buttons[k].isEnabled() for k in ("acknowledge", "silence", "close"))
    with qtbot.waitSignal(board.sig_message, timeout=5000):
        qtbot.mouseClick(board.buttons["silence"], LEFT)
    assert console.services.alarms.silenced == frozenset({board.model.entry_at(0).alarm.id})
    qtbot.mouseClick(board.buttons["acknowledge"], LEFT)
    qtbot.waitUntil(lambda: board.model.entry_at(0).alarm.status is AlarmStatus.ACKNOWLEDGED)
    actions = audit_actions(console)
    assert ("ops", "silence") in actions and ("ops", "acknowledge") in actions


def test_selecting_an_entry_asks_the_wall_for_its_linked_cameras(
    qtbot: QtBot, console: Console, make_board: Any
) -> None:
    board = make_board()
    ingest(console, "fire.alarm", Priority.FIRE, "感烟火灾探测器 火警")
    ingest(console, "fire.fault", Priority.FAULT, "手动报警按钮 故障", point="lib-3f-mcp")
    qtbot.waitUntil(lambda: board.model.rowCount() == 2)
    with qtbot.waitSignal(board.sig_show_cameras) as blocker:
        board.table.selectRow(1)
    assert blocker.args == [["cam-lib"]]
    assert "cam-lib" in board.details.text()


def test_the_checklist_stamps_each_step_in_order(qtbot: QtBot, console: Console, make_board: Any) -> None:
    board = make_board()
    ingest(console, "fire.alarm", Priority.FIRE, "感烟火灾探测器 火警")
    qtbot.waitUntil(lambda: board.buttons["procedure"].isEnabled())
    qtbot.mouseClick(board.buttons["procedure"], LEFT)
    dialog = board.dialog
    assert isinstance(dialog, FireProcedureDialog) and dialog.isVisible()
    assert [s for s, b in dialog.done_buttons.items() if b.isEnabled()] == [Step.CONFIRM]
    qtbot.mouseClick(dialog.done_buttons[Step.CONFIRM], LEFT)
    qtbot.waitUntil(lambda: "ops" in dialog.stamps[Step.CONFIRM].text())
    assert dialog.done_buttons[Step.LINKAGE_AUTO].isEnabled()
    assert not dialog.done_buttons[Step.CONFIRM].isEnabled()
    qtbot.mouseClick(dialog.skip_buttons[Step.LINKAGE_AUTO], LEFT)  # no reason yet: refused here
    assert dialog.stamps[Step.LINKAGE_AUTO].text() == "—"
    dialog.note_edit.setText("联动控制器已处于自动状态")
    qtbot.mouseClick(dialog.skip_buttons[Step.LINKAGE_AUTO], LEFT)
    qtbot.waitUntil(lambda: "联动控制器已处于自动状态" in dialog.stamps[Step.LINKAGE_AUTO].text())
    assert dialog.call_edits["address"].text() == "东校区"  # the test site gives the campus no address
    qtbot.mouseClick(dialog.done_buttons[Step.CALL_119], LEFT)
    assert "What burns" in dialog.message.text() and dialog.stamps[Step.CALL_119].text() == "—"
    for name, text in (("burning", "书籍"), ("extent", "一个书架")):
        dialog.call_edits[name].setText(text)
    qtbot.mouseClick(dialog.done_buttons[Step.CALL_119], LEFT)
    qtbot.waitUntil(lambda: "燃烧物：书籍" in dialog.stamps[Step.CALL_119].text())
    for step in (Step.START_PLAN, Step.NOTIFY):
        qtbot.mouseClick(dialog.done_buttons[step], LEFT)
        qtbot.waitUntil(lambda s=step: "ops" in dialog.stamps[s].text())
    assert dialog.message.text() == "All steps recorded."
    procedure = dialog.procedure
    assert [(r.step, r.outcome) for r in procedure.records] == [
        (Step.CONFIRM, Outcome.DONE), (Step.LINKAGE_AUTO, Outcome.SKIPPED), (Step.CALL_119, Outcome.DONE),
        (Step.START_PLAN, Outcome.DONE), (Step.NOTIFY, Outcome.DONE)]
    times = [r.time for r in procedure.records]
    assert times == sorted(times)
    assert audit_actions(console).count(("ops", FIRE_PROCEDURE_STEP)) == 5
    dialog.reject()


def test_the_window_docks_the_board_and_renders_it_in_chinese(
    qtbot: QtBot, console: Console, make_window: MakeWindow, make_board: Any, tmp_path: Path
) -> None:
    window = make_window(lang="zh_CN")
    try:
        window.show_fire_board()
        assert window.fire_dock.windowTitle() == "火灾报警看板"
        console.engine.devices.set_health("fp-east", HealthState.ONLINE, "test")
        ingest(console, "fire.alarm", Priority.FIRE, "火警：图书馆三楼 阅览室", **GB_PAYLOAD)
        ingest(console, "fire.alarm", Priority.FIRE, "手动报警按钮 火警", point="lib-3f-mcp")
        ingest(console, "fire.supervisory", Priority.SUPERVISORY, "水流指示器 监管", point="flow-1")
        ingest(console, "fire.fault", Priority.FAULT, "手动报警按钮 故障", point="lib-3f-mcp")
        ingest(console, "fire.started", Priority.INFO, "排烟风机 启动", point="fan-1", state=EventState.INFO)
        qtbot.waitUntil(lambda: window.fire_board.model.rowCount() == 4)
        assert window.fire_board.model.data(window.fire_board.model.index(0, 0)) == "★ 火警"
        assert window.fire_board.buttons["silence"].text() == "消音"
        prepare_app("zh_CN")
        board = make_board()
        qtbot.waitUntil(lambda: board.model.rowCount() == 4)
        board.select_alarm(board.model.entry_at(0).alarm.id)
        qtbot.mouseClick(board.buttons["procedure"], LEFT)
        assert board.dialog is not None and board.dialog.windowTitle() == "火灾处置程序（GB 25506）"
        dialog = board.dialog
        assert isinstance(dialog, FireProcedureDialog)
        qtbot.mouseClick(dialog.done_buttons[Step.CONFIRM], LEFT)
        qtbot.waitUntil(lambda: "ops" in dialog.stamps[Step.CONFIRM].text())
        out_dir = Path(os.environ.get("CAMPUS_CONSOLE_SCREENSHOT_DIR", tmp_path))
        assert board.dialog.grab().save(str(out_dir / "fire-procedure-zh_CN.png"))
        board.dialog.reject()
        board.select_alarm(board.model.entry_at(1).alarm.id)  # the first fire keeps its tint unselected
        assert board.window().grab().save(str(out_dir / "fire-board-zh_CN.png"))
    finally:
        i18n.install_translator("en")


def audit_actions(console: Console) -> list[tuple[str, str]]:
    conn = console.engine.store.reader()
    try:
        return [tuple(r) for r in conn.execute("SELECT actor, action FROM audit ORDER BY id")]
    finally:
        conn.close()
