"""The fire board's list: fire first, then supervisory, fault and disabled, the first fire highlighted."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QAbstractItemView, QTableView, QWidget

from console.domain.fire_board import Entry

from .alarm_panel import ContentColumns, KeepColourDelegate
from .fire_labels import CONDITION_COLOURS, condition_label, point_kind_label
from .formatting import format_time
from .i18n import status_label
from .table_model import Index, RowTableModel
from .theme import text_on

ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1  # the Entry itself
FIRST_FIRE_ROLE = Qt.ItemDataRole.UserRole + 2  # True on the first fire's row
COLUMNS = ("condition", "time", "location", "component", "address", "status", "cameras")
FIRST_FIRE_TINT = "#4a1619"
RESET_TEXT = "#7d8894"


class FireEntryModel(RowTableModel):
    """Follows the board by rows removed, inserted and moved (never a reset), so the selection and the
    view's layout survive a storm. Display texts are cached per alarm: painting a cell is a lookup."""

    columns = COLUMNS

    def __init__(self, zone: tzinfo | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._zone = zone
        self._entries: tuple[Entry, ...] = ()
        self._texts: dict[int, dict[int, tuple[Any, ...]]] = {}  # alarm id -> role -> value per column

    def set_entries(self, entries: tuple[Entry, ...]) -> None:
        old = self._entries
        if entries == old:
            return
        new_ids = {e.alarm.id: e for e in entries}
        rows = list(old)
        for row in range(len(rows) - 1, -1, -1):  # entries gone (closed alarms)
            if rows[row].alarm.id not in new_ids:
                self.beginRemoveRows(QModelIndex(), row, row)
                del rows[row]
                self._entries = tuple(rows)
                self.endRemoveRows()
        kept = {e.alarm.id for e in rows}
        wanted = [e for e in entries if e.alarm.id in kept]
        if [e.alarm.id for e in wanted] != [e.alarm.id for e in rows]:  # survivors changed order
            self.layoutAboutToBeChanged.emit()
            position = {e.alarm.id: i for i, e in enumerate(wanted)}
            before = self.persistentIndexList()
            after = [self.index(position[rows[i.row()].alarm.id], i.column()) for i in before]
            rows = wanted
            self._entries = tuple(rows)
            self.changePersistentIndexList(before, after)
            self.layoutChanged.emit()
        for row, entry in enumerate(entries):  # new entries, top to bottom: rows[:row] already match
            if entry.alarm.id not in kept:
                self.beginInsertRows(QModelIndex(), row, row)
                rows.insert(row, entry)
                self._entries = tuple(rows)
                self.endInsertRows()
        changed = [row for row, entry in enumerate(entries) if rows[row] != entry]
        self._entries = entries
        for row in changed:
            self._texts.pop(entries[row].alarm.id, None)
        for gone in set(self._texts) - set(new_ids):
            del self._texts[gone]
        if changed:
            self.dataChanged.emit(self.index(changed[0], 0), self.index(changed[-1], len(COLUMNS) - 1))

    def entries(self) -> tuple[Entry, ...]:
        return self._entries

    def entry_at(self, row: int) -> Entry | None:
        return self._entries[row] if 0 <= row < len(self._entries) else None

    def row_of(self, alarm_id: int) -> int | None:
        return next((i for i, e in enumerate(self._entries) if e.alarm.id == alarm_id), None)

    def _row_total(self) -> int:
        return len(self._entries)

    def _titles(self) -> tuple[str, ...]:
        return (self.tr("State"), self.tr("Time"), self.tr("Location"), self.tr("Component"),
                self.tr("Panel / address"), self.tr("Handling"), self.tr("Cameras"),)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        entry = self.entry_at(index.row()) if index.isValid() else None
        if entry is None:
            return None
        if role == ENTRY_ROLE:
            return entry
        if role == FIRST_FIRE_ROLE:
            return entry.first
        # Painting and sizing ask every cell for many roles: answer from a per-entry table.
        cells = self._texts.get(entry.alarm.id)
        if cells is None:
            cells = self._texts[entry.alarm.id] = self._cells(entry)
        values = cells.get(role)
        return None if values is None else values[index.column()]

    def _cells(self, entry: Entry) -> dict[int, tuple[Any, ...]]:
        """Every role's value per column for one entry (None where the role has nothing to say)."""
        n = len(COLUMNS)
        colour = QColor(CONDITION_COLOURS[entry.condition])
        tint = QColor(FIRST_FIRE_TINT) if entry.first else None
        cells: dict[int, tuple[Any, ...]] = {
            Qt.ItemDataRole.DisplayRole: tuple(self._text(entry, c) for c in COLUMNS),
            Qt.ItemDataRole.BackgroundRole: (tint if entry.reset else colour, *(tint,) * (n - 1)),
            Qt.ItemDataRole.ForegroundRole: (QColor(RESET_TEXT),) * n if entry.reset
            else (text_on(colour), *(None,) * (n - 1)),
            Qt.ItemDataRole.ToolTipRole: (self._tooltip(entry),) * n,
        }
        if entry.first or entry.alarm.needs_attention:
            font = QFont()
            font.setBold(True)
            cells[Qt.ItemDataRole.FontRole] = (font,) * n
        return cells

    def _text(self, entry: Entry, column: str) -> str:
        alarm = entry.alarm
        if column == "condition":
            return ("★ " if entry.first else "") + condition_label(entry.condition)
        if column == "time":
            return format_time(alarm.first_time, self._zone)
        if column == "location":
            return entry.location
        if column == "component":
            return entry.component or point_kind_label(entry.point_kind)
        if column == "address":
            where = "-".join(p for p in (entry.place.system, entry.place.zone, entry.place.number) if p)
            return f"{alarm.source} {where or alarm.point or ''}".strip()
        if column == "status":
            return status_label(alarm.status) + (self.tr(" (reset)") if entry.reset else "")
        return ", ".join(alarm.cameras)

    def _tooltip(self, entry: Entry) -> str:
        lines = [entry.alarm.summary]
        if entry.first:
            lines.insert(0, self.tr("First fire alarm"))
        if entry.alarm.count > 1:
            lines.append(self.tr("Reported {n} times, last at {time}").format(
                n=entry.alarm.count, time=format_time(entry.alarm.last_time, self._zone)))
        if entry.reset:
            lines.append(self.tr("The panel reported reset; close it with a disposition"))
        return "\n".join(lines)


def make_entry_table(model: FireEntryModel, parent: QWidget) -> QTableView:
    """Whole rows, one at a time, read-only; the location column takes the spare width."""
    table = QTableView(parent)
    table.setObjectName("fireEntries")
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().hide()
    # Sized to contents on a rate limit (see ContentColumns); the location column takes the spare width.
    table.columns = ContentColumns(table, stretch=COLUMNS.index("location"))  # type: ignore[attr-defined]
    table.setItemDelegateForColumn(COLUMNS.index("condition"), KeepColourDelegate(table))
    return table
