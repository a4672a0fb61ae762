"""The event log: the newest N stored events, newest on top, appended in batches from the bridge."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from console.domain.events import Priority
from console.domain.messages import EventStored
from console.services.facade import ConsoleServices

from .bridge import Bridge
from .formatting import format_time, site_zone
from .i18n import event_kind_label, priority_label
from .table_model import Index, RowTableModel
from .theme import priority_colour

MAX_ROWS = 2000
COLUMNS = ("time", "priority", "kind", "source", "point", "summary")


@dataclass(frozen=True, slots=True)
class EventRow:
    id: int
    time: datetime | str
    priority: Priority
    kind: str
    source: str
    point: str
    summary: str


def row_from_message(message: EventStored) -> EventRow:
    e = message.event
    return EventRow(message.event_id, e.received_time, e.priority, e.kind, e.source, e.point or "", e.summary)


def row_from_stored(d: dict[str, Any]) -> EventRow:
    """A row of ``services.recent_events`` (priority by lower-case name, time as ISO text)."""
    return EventRow(
        int(d["id"]),
        d["time"],
        Priority[str(d["priority"]).upper()],
        d["kind"],
        d["source"],
        d.get("point") or "",
        d.get("summary") or "",
    )


class EventLogModel(RowTableModel):
    columns = COLUMNS

    def __init__(
        self, zone: tzinfo | None = None, max_rows: int = MAX_ROWS, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._zone = zone
        self._max = max_rows
        self._rows: list[EventRow] = []  # newest first
        self._texts: dict[int, tuple[str, ...]] = {}  # event id -> display text per column, made once

    @property
    def newest_id(self) -> int:
        return self._rows[0].id if self._rows else 0

    def rows(self) -> list[EventRow]:
        return list(self._rows)

    def add(self, rows: list[EventRow]) -> None:
        """Add a batch (any order); rows already shown are skipped, the oldest beyond ``max_rows`` dropped."""
        fresh = sorted((r for r in rows if r.id > self.newest_id), key=lambda r: r.id, reverse=True)
        fresh = fresh[: self._max]
        if not fresh:
            return
        self.beginInsertRows(QModelIndex(), 0, len(fresh) - 1)
        self._rows[:0] = fresh
        self.endInsertRows()
        if len(self._rows) > self._max:
            self.beginRemoveRows(QModelIndex(), self._max, len(self._rows) - 1)
            for gone in self._rows[self._max :]:
                self._texts.pop(gone.id, None)
            del self._rows[self._max :]
            self.endRemoveRows()

    def _row_total(self) -> int:
        return len(self._rows)

    def _titles(self) -> tuple[str, ...]:
        return (self.tr("Time"),
            self.tr("Priority"),
            self.tr("Kind"),
            self.tr("Source"),
            self.tr("Point"),
            self.tr("Summary"),)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            texts = self._texts.get(row.id)
            if texts is None:
                texts = self._texts[row.id] = (
                    format_time(row.time, self._zone),
                    priority_label(row.priority),
                    event_kind_label(row.kind),
                    row.source,
                    row.point,
                    row.summary,
                )
            return texts[index.column()]
        column = COLUMNS[index.column()]
        if role == Qt.ItemDataRole.ForegroundRole and column == "priority" and row.priority.is_alarm:
            return priority_colour(row.priority)
        if role == Qt.ItemDataRole.ToolTipRole and column == "summary":
            return row.summary
        return None


class EventLog(QTableView):
    def __init__(
        self,
        services: ConsoleServices,
        bridge: Bridge,
        parent: QWidget | None = None,
        max_rows: int = MAX_ROWS,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("eventLog")
        self.model_ = EventLogModel(site_zone(services.site.site.timezone), max_rows, self)
        self.model_.add([row_from_stored(d) for d in services.recent_events(max_rows)])
        self.setModel(self.model_)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(22)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate((110, 60, 110, 120, 140)):
            self.setColumnWidth(column, width)
        bridge.sig_event_stored.connect(self.on_events)

    def on_events(self, messages: list[EventStored]) -> None:
        self.model_.add([row_from_message(m) for m in messages])


def preview() -> None:
    from .preview import run_preview, sample_events

    def make() -> QTableView:
        view = QTableView()
        model = EventLogModel(parent=view)
        model.add(sample_events())
        view.setModel(model)
        return view

    run_preview(make)


if __name__ == "__main__":
    preview()
