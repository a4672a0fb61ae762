"""The deny / allow list editor: entries with reason and expiry, add, remove, and CSV import with a report."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor, Future
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QDateTime, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.domain.gates import ImportReport, ListEntry
from console.domain.roles import Permission
from console.domain.session import Session
from console.services.gate_lists import GateLists

from .formatting import site_zone
from .futures import FutureRelay

log = logging.getLogger(__name__)

_CTX = "GateListLabels"
LISTS = {
    "deny": QT_TRANSLATE_NOOP("GateListLabels", "Deny list"),
    "allow": QT_TRANSLATE_NOOP("GateListLabels", "Allow list"),
}
KINDS = {
    "card": QT_TRANSLATE_NOOP("GateListLabels", "Card"),
    "plate": QT_TRANSLATE_NOOP("GateListLabels", "Plate"),
}
EXPIRED_COLOUR = "#7d8894"


def _t(table: dict[str, str], value: str) -> str:
    return QCoreApplication.translate(_CTX, table[value]) if value in table else value


class GateListsDialog(QDialog):
    """Reads the entries on ``executor`` (the owner's worker, which outlives the dialog); every change goes
    through the audited service futures."""

    def __init__(self, lists: GateLists, session: Session, executor: Executor, timezone: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gateListsDialog")
        self.setWindowTitle(self.tr("Deny and allow lists"))
        self._lists = lists
        self._session = session
        self._zone = site_zone(timezone)
        self._executor = executor
        self._relay = FutureRelay(self)
        self._load_generation = 0
        self.entries: list[ListEntry] = []
        self.loading = False
        can_edit = session.can(Permission.EDIT_CONFIG)
        self.show_list = QComboBox(self)
        self.show_list.addItem(self.tr("Both lists"), "")
        for value in LISTS:
            self.show_list.addItem(_t(LISTS, value), value)
        self.show_list.currentIndexChanged.connect(self.reload)
        self.table = QTableWidget(0, 7, self)
        self.table.setObjectName("gateListsTable")
        self.table.setHorizontalHeaderLabels([
            self.tr("List"), self.tr("Kind"), self.tr("Value"), self.tr("Reason"), self.tr("Expires"),
            self.tr("Added by"), self.tr("Added at")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)  # the reason
        self.new_list = QComboBox(self)
        self.new_kind = QComboBox(self)
        for combo, table in ((self.new_list, LISTS), (self.new_kind, KINDS)):
            for value in table:
                combo.addItem(_t(table, value), value)
        self.new_value = QLineEdit(self)
        self.new_value.setPlaceholderText(self.tr("Card number or plate"))
        self.new_reason = QLineEdit(self)
        self.new_reason.setPlaceholderText(self.tr("Why (required)"))
        self.new_expires_on = QCheckBox(self.tr("Expires"), self)
        self.new_expires = QDateTimeEdit(QDateTime.currentDateTime().addDays(30), self)
        self.new_expires.setCalendarPopup(True)
        self.new_expires.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.new_expires.setEnabled(False)
        self.new_expires_on.toggled.connect(self.new_expires.setEnabled)
        self.add_button = QPushButton(self.tr("Add"), self)
        self.add_button.clicked.connect(self.add)
        self.remove_button = QPushButton(self.tr("Remove selected"), self)
        self.remove_button.clicked.connect(self.remove_selected)
        self.import_button = QPushButton(self.tr("Import CSV…"), self)
        self.import_button.clicked.connect(self.import_csv)
        for widget in (self.add_button, self.remove_button, self.import_button):
            widget.setEnabled(can_edit)
            if not can_edit:
                widget.setToolTip(self.tr("Only an administrator may change the lists"))
        self.status = QLabel(self)
        self.status.setObjectName("gateListsStatus")
        self.status.setWordWrap(True)
        self.report = QPlainTextEdit(self)
        self.report.setObjectName("gateListsReport")
        self.report.setReadOnly(True)
        self.report.setMaximumHeight(110)
        self.report.setVisible(False)
        self._build_layout()
        self.resize(860, 520)
        self.reload()

    def _build_layout(self) -> None:
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Show:"), self))
        top.addWidget(self.show_list)
        top.addStretch(1)
        top.addWidget(self.import_button)
        top.addWidget(self.remove_button)
        form = QFormLayout()
        kind_row = QHBoxLayout()
        kind_row.addWidget(self.new_list)
        kind_row.addWidget(self.new_kind)
        kind_row.addWidget(self.new_value, 1)
        form.addRow(self.tr("New entry:"), kind_row)
        form.addRow(self.tr("Reason:"), self.new_reason)
        expires_row = QHBoxLayout()
        expires_row.addWidget(self.new_expires_on)
        expires_row.addWidget(self.new_expires)
        expires_row.addStretch(1)
        expires_row.addWidget(self.add_button)
        form.addRow("", expires_row)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.report)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    # -- reading -----------------------------------------------------------------------------------------
    def reload(self) -> None:
        self._load_generation += 1
        generation = self._load_generation
        wanted = self.show_list.currentData() or None
        self.loading = True

        def done(future: Future[Any]) -> None:
            if generation != self._load_generation:
                return
            self.loading = False
            if future.exception() is not None:
                self._fail(self.tr("Could not read the lists: {reason}"), future.exception())
                return
            self._fill(future.result())

        self._run(lambda: self._lists.entries(wanted), done)

    def _fill(self, entries: list[ListEntry]) -> None:
        self.entries = list(entries)
        now = datetime.now(UTC)
        self.table.setRowCount(len(entries))
        for r, entry in enumerate(entries):
            expired = entry.expired(now)
            expires = self._time(entry.expires) if entry.expires else self.tr("never")
            if expired:
                expires = self.tr("{time} (expired)").format(time=expires)
            texts = (_t(LISTS, entry.list), _t(KINDS, entry.kind), entry.value, entry.reason, expires,
                     entry.added_by, self._time(entry.added_at))
            for c, text in enumerate(texts):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, entry.id)
                if expired:
                    item.setForeground(QColor(EXPIRED_COLOUR))
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()

    def _time(self, at: datetime | None) -> str:
        return at.astimezone(self._zone).strftime("%Y-%m-%d %H:%M") if at is not None else ""

    # -- changing ----------------------------------------------------------------------------------------
    def add(self) -> None:
        value, reason = self.new_value.text().strip(), self.new_reason.text().strip()
        if not value or not reason:
            self.status.setText(self.tr("Enter a value and a reason"))
            return
        expires = (self.new_expires.dateTime().toPython().astimezone(UTC)
                   if self.new_expires_on.isChecked() else None)
        self._change(
            lambda: self._lists.add(self.new_list.currentData(), self.new_kind.currentData(), value, reason,
                                    expires, self._session),
            lambda entry: self._added(entry),
            self.tr("Could not add: {reason}"),
        )

    def _added(self, entry: ListEntry) -> None:
        self.new_value.clear()
        self.new_reason.clear()
        self.status.setText(self.tr("Added {value} to the {list}").format(value=entry.value,
                                                                         list=_t(LISTS, entry.list)))

    def selected_ids(self) -> list[int]:
        rows = sorted({i.row() for i in self.table.selectedIndexes()})
        return [self.entries[r].id for r in rows if r < len(self.entries)]

    def remove_selected(self) -> None:
        ids = self.selected_ids()
        if not ids:
            self.status.setText(self.tr("Select the entries to remove"))
            return
        for entry_id in ids:
            self._change(lambda e=entry_id: self._lists.remove(e, self._session),
                         lambda _none: self.status.setText(self.tr("Removed")),
                         self.tr("Could not remove: {reason}"))

    def import_csv(self) -> None:
        path, _kind = QFileDialog.getOpenFileName(self, self.tr("Import list entries"), "",
                                                  self.tr("CSV files (*.csv)"))
        if path:
            self.import_from(Path(path))

    def import_from(self, path: Path) -> None:
        """Columns list,kind,value,reason,expires; the service imports the good lines and reports the bad."""
        lists, session = self._lists, self._session
        # The service reads the file before it queues the import: on the worker, so a slow disk or share
        # cannot stall the window.
        self._change(lambda: self._executor.submit(lambda: lists.import_csv(path, session).result()),
                     self._imported, self.tr("Could not import: {reason}"))

    def _imported(self, report: ImportReport) -> None:
        self.status.setText(self.tr("Imported {n} entries, {bad} bad lines").format(
            n=report.imported, bad=len(report.problems)))
        lines = [self.tr("Line {line}: {reason}").format(line=p.line, reason=p.message) + f"  «{p.text}»"
                 for p in report.problems]
        self.report.setPlainText("\n".join(lines))
        self.report.setVisible(bool(lines))

    def _change(self, call: Callable[[], Future[Any]], ok: Callable[[Any], None], failure: str) -> None:
        """Start a service change; on success show it and re-read the entries, on failure say why."""
        try:
            future = call()
        except Exception as error:  # noqa: BLE001 - a refusal is shown to the officer, not raised into Qt
            self._fail(failure, error)
            return

        def done(f: Future[Any]) -> None:
            if f.exception() is not None:
                self._fail(failure, f.exception())
                return
            ok(f.result())
            self.reload()

        self._relay.watch(future, done)

    def _fail(self, text: str, error: BaseException | None) -> None:
        log.warning("gate lists: %s", error)
        self.status.setText(text.format(reason=error))

    def _run(self, work: Callable[[], Any], done: Callable[[Future[Any]], None]) -> None:
        try:
            future = self._executor.submit(work)
        except RuntimeError:
            return
        self._relay.watch(future, done)

    def done(self, result: int) -> None:  # QDialog.done: accept, reject and close all come here
        self._relay.close()  # answers still on their way are dropped: the dialog is going
        super().done(result)
