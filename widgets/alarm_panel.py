"""The alarm list with its actions (acknowledge, start, close with a disposition, silence) and history."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QItemSelection, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from console.domain.alarms import Alarm, AlarmAction, Disposition, can_close
from console.domain.roles import Permission
from console.domain.session import Session
from console.services.facade import ConsoleServices

from .alarm_actor import AlarmActor
from .alarm_logic import action_enabled, history_lines
from .alarm_model import AlarmTableModel
from .bridge import Bridge
from .disposition_dialog import DispositionDialog
from .formatting import format_time, site_zone
from .futures import FutureRelay

MAX_CONTENT_WIDTH = 180  # px: a column sized to its contents takes at most this
SHRINK_SLACK = 24  # px a column may be wider than its contents before it is narrowed


class ContentColumns(QObject):
    """Keeps a table's columns sized to their contents, re-measured at most every ``interval_ms``.

    ``QHeaderView.ResizeToContents`` re-measures every sampled cell on each row change, which in an alarm
    storm costs more than the painting (STYLE.md §3: coalesced, rate-limited UI updates). The first rows
    are measured at once; ``stretch`` keeps the spare width.
    """

    def __init__(self, table: QTableView, stretch: int, interval_ms: int = 1000) -> None:
        super().__init__(table)
        self._table = table
        self._stretch = stretch
        self._interval = interval_ms / 1000
        self._last = float("-inf")
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
        header.setResizeContentsPrecision(32)
        self._timer = QTimer(self)
        self._timer.setObjectName("content-columns")
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.resize_now)
        model = table.model()
        for signal in (model.rowsInserted, model.rowsRemoved, model.modelReset, model.layoutChanged,
                       model.dataChanged):
            signal.connect(self._schedule)
        self.resize_now()

    def _schedule(self, *_: object) -> None:
        if self._timer.isActive():
            return
        wait = self._interval - (time.monotonic() - self._last)
        self._timer.start(max(0, int(wait * 1000)))

    def resize_now(self) -> None:
        """Widen a column whose contents need it; narrow it only when it is clearly too wide. Each width
        that changes repaints the whole table (and what is behind its frame): a count that goes from 9
        to 10 and back must not do that every second of a storm."""
        self._last = time.monotonic()
        table, header = self._table, self._table.horizontalHeader()
        for column in range(table.model().columnCount()):
            if column == self._stretch:
                continue
            # A long device/point id must not squeeze the place, which says where to send someone.
            wanted = min(MAX_CONTENT_WIDTH,
                         max(table.sizeHintForColumn(column), header.sectionSizeHint(column)))
            width = table.columnWidth(column)
            if wanted > width or width - wanted > SHRINK_SLACK:
                table.setColumnWidth(column, wanted)


class AlarmPanel(QWidget):
    """Actions are QActions (``self.actions``) so the window's menus and shortcuts share them."""

    # ---- Signals
    sig_message = Signal(str)
    """A line for the status bar: an action's outcome or why it was refused."""

    def __init__(
        self, services: ConsoleServices, session: Session, bridge: Bridge, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._services = services
        self._session = session
        self._zone = site_zone(services.site.site.timezone)
        self._relay = FutureRelay(self)
        self._actor = AlarmActor(services, session, self._relay, self)
        self._actor.sig_message.connect(self.sig_message)
        self.close_dialog: DispositionDialog | None = None
        self._history_of: tuple[object, ...] | None = None
        self._settle_timer = QTimer(self)
        self._settle_timer.setObjectName("alarm-panel-settle")
        self._settle_timer.setSingleShot(True)
        self._settle_timer.setInterval(0)
        self._settle_timer.timeout.connect(self._settle)
        self.model = AlarmTableModel(self._zone, self)
        self.model.set_alarms(services.alarms.open_alarms())
        self.table = self._make_table()
        self.history = QTextBrowser(self)
        self.history.setObjectName("alarmHistory")
        self.actions: dict[str, QAction] = {}
        self.buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout()
        for key, text, shortcut, slot in (
            ("acknowledge", self.tr("Acknowledge"), "F2", self.acknowledge),
            ("start", self.tr("Start"), "F3", self.start),
            ("close", self.tr("Close…"), "F4", self.close_selected),
            ("silence", self.tr("Silence"), "F9", self.silence),
        ):
            action = QAction(text, self)
            action.setShortcut(QKeySequence(shortcut))
            action.triggered.connect(slot)
            button = QPushButton(text, self)
            button.setObjectName(f"{key}Button")
            button.setToolTip(shortcut)
            button.clicked.connect(action.trigger)
            self.actions[key] = action
            self.buttons[key] = button
            row.addWidget(button)
        row.addStretch(1)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.table)
        splitter.addWidget(self.history)
        splitter.setStretchFactor(0, 4)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(row)
        layout.addWidget(splitter)
        bridge.sig_alarms_changed.connect(self._on_alarms_changed)
        self.model.rowsInserted.connect(self._select_top_if_none)
        self._select_top_if_none()
        self._sync()

    def _make_table(self) -> QTableView:
        table = QTableView(self)
        table.setObjectName("alarmTable")
        self.model.attach(table)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.verticalHeader().hide()
        # Sized to contents on a rate limit; the place column takes the spare width.
        self._columns = ContentColumns(table, stretch=3)
        table.selectionModel().selectionChanged.connect(self._on_selection)
        return table

    # -- state --------------------------------------------------------------------------------------
    def selected_alarm(self) -> Alarm | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.alarm_at(rows[0].row()) if rows else None

    def select_alarm(self, alarm_id: int) -> None:
        row = self.model.row_of(alarm_id)
        if row is not None:
            self.table.selectRow(row)

    def _select_top_if_none(self, *_: object) -> None:
        # The top row is the loudest, newest alarm: F2 should act on it without a click first.
        if self.selected_alarm() is None and self.model.rowCount() > 0:
            self.table.selectRow(0)

    def refresh_actions(self) -> None:
        self._sync()

    def _sync(self) -> None:
        alarm = self.selected_alarm()
        for key, action in (
            ("acknowledge", AlarmAction.ACKNOWLEDGE),
            ("start", AlarmAction.START),
            ("close", AlarmAction.CLOSE),
        ):
            enabled = action_enabled(alarm, action, self._session)
            self.actions[key].setEnabled(enabled)
            self.buttons[key].setEnabled(enabled)
        fire_waits = alarm is not None and not can_close(alarm)
        tip = self.tr("A fire alarm stays open until the panel reports reset") if fire_waits else "F4"
        if self.buttons["close"].toolTip() != tip:
            self.buttons["close"].setToolTip(tip)
        can_silence = self._session.can(Permission.SILENCE)
        self.actions["silence"].setEnabled(can_silence)
        self.buttons["silence"].setEnabled(can_silence)

    def _on_selection(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        # The buttons and shortcuts follow the selection at once (F2 right after a fire appears acts on
        # it); the history (a database read) waits for the settle timer.
        self._sync()
        self._settle_timer.start()

    def _on_alarms_changed(self, changes: list[Any]) -> None:
        # An alarm storm delivers dozens of changes per flush: update the rows now, and the selection,
        # buttons and history (a database read) once, when the flush is done.
        self.model.upsert_many([change.alarm for change in changes])
        self._settle_timer.start()

    def _settle(self) -> None:
        self._select_top_if_none()
        self._sync()
        alarm = self.selected_alarm()
        shown = None if alarm is None else (alarm.id, alarm.count, alarm.status, alarm.cleared)
        if shown != self._history_of:
            self._history_of = shown
            self._show_history()

    def _show_history(self) -> None:
        alarm = self.selected_alarm()
        if alarm is None:
            self.history.clear()
            return
        raised = self.tr("{time}  raised  {summary}").format(
            time=format_time(alarm.first_time, self._zone), summary=alarm.summary
        )
        lines = [raised, *history_lines(self._services.alarm_history(alarm.id), self._zone)]
        self.history.setPlainText("\n".join(lines))

    # -- actions ------------------------------------------------------------------------------------
    def acknowledge(self) -> None:
        self._act(AlarmAction.ACKNOWLEDGE)

    def start(self) -> None:
        self._act(AlarmAction.START)

    def close_selected(self) -> None:
        alarm = self.selected_alarm()
        if alarm is None:
            return
        dialog = DispositionDialog(alarm, self)
        dialog.accepted.connect(
            lambda: self._act(AlarmAction.CLOSE, dialog.note(), dialog.disposition(), alarm)
        )
        dialog.finished.connect(self._forget_dialog)
        self.close_dialog = dialog
        dialog.open()  # window-modal but not a nested event loop: the wall and the sound keep running

    def _forget_dialog(self) -> None:
        if self.close_dialog is not None:
            self.close_dialog.deleteLater()
            self.close_dialog = None

    def silence(self) -> None:
        self._actor.silence()

    def _act(
        self,
        action: AlarmAction,
        note: str = "",
        disposition: Disposition | None = None,
        alarm: Alarm | None = None,
    ) -> None:
        alarm = alarm or self.selected_alarm()
        if alarm is not None:
            self._actor.act(alarm, action, note, disposition)

    def shutdown(self) -> None:
        self._relay.close()


def preview() -> None:
    from .preview import run_preview, sample_alarms

    def make() -> QTableView:
        table = QTableView()
        model = AlarmTableModel(parent=table)
        model.set_alarms(sample_alarms())
        table.setModel(model)
        return table

    run_preview(make)


if __name__ == "__main__":
    preview()
