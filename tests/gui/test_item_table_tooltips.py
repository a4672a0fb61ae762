"""Row tooltips are computed on hover from the row's current state, not written into every cell."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QTableView, QToolTip
from pytestqt.qtbot import QtBot

from console.domain.alarms import Alarm, AlarmStatus
from console.domain.events import Priority
from widgets.alarm_model import AlarmTableModel

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def _alarm(alarm_id: int, count: int = 1) -> Alarm:
    return Alarm(id=alarm_id, key=f"k{alarm_id}", source="uitd", point="1-1-3-4", kind="fire.fault",
                 priority=Priority.FAULT, summary=f"故障 {alarm_id}", status=AlarmStatus.NEW, count=count,
                 first_time=T0, last_time=T0 + timedelta(minutes=count), first_event=1, last_event=count)


def _shown_table(qtbot: QtBot) -> tuple[QTableView, AlarmTableModel]:
    view = QTableView()
    qtbot.addWidget(view)
    model = AlarmTableModel()
    model.attach(view)
    view.resize(800, 300)
    view.show()
    return view, model


def _tooltip_at(view: QTableView, pos: QPoint) -> str:
    QToolTip.hideText()
    event = QHelpEvent(QEvent.Type.ToolTip, pos, view.viewport().mapToGlobal(pos))
    QApplication.sendEvent(view.viewport(), event)
    return QToolTip.text()


def _hover(view: QTableView, row: int) -> str:
    return _tooltip_at(view, view.visualRect(view.model().index(row, 2)).center())


@pytest.mark.qt_log_ignore("This plugin does not support raise")  # offscreen: a tooltip window
def test_a_repeat_changes_the_tooltip_without_writing_it_into_the_cells(qtbot: QtBot) -> None:
    view, model = _shown_table(qtbot)
    model.upsert_many([_alarm(1), _alarm(2)])
    row = model.row_of(2)
    assert row is not None
    assert "故障 2" in _hover(view, row)
    model.upsert(_alarm(2, count=5))
    row = model.row_of(2)
    assert row is not None
    assert "08:05" in _hover(view, row)  # "Last: …" follows the repeat
    assert model.index(row, 2).data(Qt.ItemDataRole.ToolTipRole) is None
    QToolTip.hideText()


def test_no_tooltip_below_the_rows(qtbot: QtBot) -> None:
    view, model = _shown_table(qtbot)
    model.upsert(_alarm(1))
    assert _tooltip_at(view, QPoint(20, 280)) == ""


def test_a_repeat_rewrites_the_count_and_the_order_and_other_changes_the_whole_row(qtbot: QtBot) -> None:
    _view, model = _shown_table(qtbot)
    model.upsert_many([_alarm(1, count=1), _alarm(2, count=2)])  # 2 is newer: on top
    assert model.ids() == [2, 1]
    model.upsert(_alarm(1, count=3))  # a repeat: newer now
    assert model.ids() == [1, 2]
    row = model.row_of(1)
    assert row is not None and model.index(row, 5).data() == "3"
    model.upsert(replace(_alarm(1, count=3), status=AlarmStatus.ACKNOWLEDGED))  # not a mere repeat
    row = model.row_of(1)
    assert row is not None and model.index(row, 1).data() != model.index(model.row_of(2) or 0, 1).data()
    assert model.alarm_at(row) is not None and model.alarm_at(row).status is AlarmStatus.ACKNOWLEDGED
