"""The fire board's list: fire first, then supervisory, fault and disabled, the first fire highlighted."""

from __future__ import annotations

from dataclasses import replace
from datetime import tzinfo
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QAbstractItemView, QTableView, QWidget

from console.domain.fire_board import Condition, Entry, entry_order

from .alarm_panel import ContentColumns
from .fire_labels import CONDITION_COLOURS, condition_label, point_kind_label
from .formatting import format_time
from .i18n import status_label
from .item_table import FIRST_FIRE_ROLE, ItemTable
from .theme import bold_font, shared_colour, shared_text_on

COLUMNS = ("condition", "time", "location", "component", "address", "status", "cameras")
FIRST_FIRE_TINT = "#4a1619"
RESET_TEXT = "#7d8894"


def entry_key(entry: Entry) -> str:
    """The board's order (GB 4717: reset last, by condition, then as they came; the id breaks ties) as text
    that sorts the same way: the proxy compares it in C++."""
    reset, rank, first_time, alarm_id = entry_order(entry)
    return f"{int(reset)}.{rank:03d}.{round(first_time.timestamp() * 1_000_000):018d}.{alarm_id:016d}"


class FireEntryModel(ItemTable):
    """Follows the board by rows rewritten, added and removed (never a reset), so the selection and the
    view's layout survive a storm; painting reads Qt's items, never Python."""

    def __init__(self, zone: tzinfo | None = None, parent: QObject | None = None) -> None:
        super().__init__(len(COLUMNS), unselectable=(COLUMNS.index("condition"),), parent=parent)
        self.set_titles(self._titles())
        self._zone = zone
        self._entries: tuple[Entry, ...] = ()
        self._by_id: dict[int, Entry] = {}

    def set_entries(self, entries: tuple[Entry, ...]) -> None:
        if entries == self._entries:
            return
        by_id = {e.alarm.id: e for e in entries}
        with self.batch():
            for gone in self._by_id.keys() - by_id.keys():  # closed alarms
                self.remove(gone)
            for alarm_id, entry in by_id.items():
                old = self._by_id.get(alarm_id)
                if old is None or _shown(old) != _shown(entry):  # a repeat changes only the tooltip
                    self._put(entry)
        self._entries, self._by_id = entries, by_id

    def add_early(self, entry: Entry) -> None:
        """One new entry ahead of the next ``set_entries``; it leads as first fire if no fire is listed."""
        if entry.alarm.id in self._by_id:
            return
        if entry.condition is Condition.FIRE and not any(
                e.condition is Condition.FIRE and not e.reset for e in self._entries):
            entry = replace(entry, first=True)
        self._put(entry)
        self._by_id[entry.alarm.id] = entry
        self._entries = (*self._entries, entry)  # set_entries diffs against what is shown

    def _put(self, entry: Entry) -> None:
        self.put(entry.alarm.id, entry_key(entry), self._cells(entry), {FIRST_FIRE_ROLE: entry.first})

    def entries(self) -> tuple[Entry, ...]:
        return self._entries

    def entry_at(self, row: int) -> Entry | None:
        alarm_id = self.id_at(row)
        return None if alarm_id is None else self._by_id.get(alarm_id)

    def _titles(self) -> tuple[str, ...]:
        return (self.tr("State"), self.tr("Time"), self.tr("Location"), self.tr("Component"),
                self.tr("Panel / address"), self.tr("Handling"), self.tr("Cameras"),)

    def _cells(self, entry: Entry) -> dict[int, tuple[Any, ...]]:
        """Every role's value per column for one entry (None where the role has nothing to say)."""
        n = len(COLUMNS)
        name = CONDITION_COLOURS[entry.condition]
        colour = shared_colour(name)
        tint = shared_colour(FIRST_FIRE_TINT) if entry.first else None
        cells: dict[int, tuple[Any, ...]] = {
            Qt.ItemDataRole.DisplayRole: tuple(self._text(entry, c) for c in COLUMNS),
            Qt.ItemDataRole.BackgroundRole: (tint if entry.reset else colour, *(tint,) * (n - 1)),
            Qt.ItemDataRole.ForegroundRole: (shared_colour(RESET_TEXT),) * n if entry.reset
            else (shared_text_on(name), *(None,) * (n - 1)),
        }
        if entry.first or entry.alarm.needs_attention:
            cells[Qt.ItemDataRole.FontRole] = (bold_font(),) * n
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

    def tooltip(self, row_id: int) -> str:
        entry = self._by_id.get(row_id)
        return "" if entry is None else self._tooltip(entry)

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


def _shown(entry: Entry) -> tuple[object, ...]:
    """What the cells of an entry show (the tooltip is computed on hover, from the entry)."""
    a = entry.alarm
    return (entry.condition, entry.location, entry.component, entry.point_kind, entry.place, entry.first,
            entry.reset, a.status, a.first_time, a.source, a.point, a.cameras)


def make_entry_table(model: FireEntryModel, parent: QWidget) -> QTableView:
    """Whole rows, one at a time, read-only; the location column takes the spare width."""
    table = QTableView(parent)
    table.setObjectName("fireEntries")
    model.attach(table)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().hide()
    # Sized to contents on a rate limit (see ContentColumns); the location column takes the spare width.
    table.columns = ContentColumns(table, stretch=COLUMNS.index("location"))  # type: ignore[attr-defined]
    return table
