"""The event log: the newest N stored events, newest on top, appended in batches from the bridge."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any

from PySide6.QtCore import QObject, QSortFilterProxyModel, Qt, QTimer
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from console.domain.events import Priority
from console.domain.messages import EventStored
from console.services.facade import ConsoleServices

from .bridge import Bridge
from .formatting import format_time, site_zone, today_in
from .i18n import event_kind_label, priority_label
from .theme import priority_colour

MAX_ROWS = 2000
STORM_ROWS = 200  # rows arriving in one flush (the bridge flushes up to 20 times a second)
STORM_INTERVAL_S = 1.0
CHUNK_ROWS = 100  # rows written per turn of the event loop (about 5 ms on a busy machine)
COLUMNS = ("time", "priority", "kind", "source", "point", "summary")
ID_ROLE = Qt.ItemDataRole.UserRole + 1  # the event id on column 0: the sort key


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


class EventLogModel(QStandardItemModel):
    """The rows live in Qt's own item storage: painting the log (a storm of events does it twenty times a
    second) asks Python nothing, so it never waits for the GIL that the drivers and the store are using.
    Measured on a 200-row table beside one busy Python thread: 17.6 ms a paint as a Python model, 3.5 here.

    The rows are a ring: once ``max_rows`` are shown, each new event overwrites the oldest row's items in
    place, and ``newest_first`` sorts by id in C++. Inserting on top and deleting at the bottom instead cost
    four times as much per storm batch (Qt deletes and recreates every item)."""

    def __init__(
        self, zone: tzinfo | None = None, max_rows: int = MAX_ROWS, parent: QObject | None = None
    ) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self._zone = zone
        self._max = max_rows
        self._ring: list[EventRow] = []  # in item-row order
        self._items_of: list[list[QStandardItem]] = []  # the same order: no lookups when overwriting
        self._next = 0  # the ring slot the next row overwrites, once full
        self._newest = 0
        self.setHorizontalHeaderLabels(list(self._titles()))

    @property
    def newest_id(self) -> int:
        return self._newest

    def rows(self) -> list[EventRow]:
        """Newest first."""
        return sorted(self._ring, key=lambda r: r.id, reverse=True)

    def newest_first(self, parent: QObject | None = None) -> QSortFilterProxyModel:
        """The view's model: this one sorted newest on top (sorted in C++, on an integer role)."""
        proxy = QSortFilterProxyModel(parent)
        proxy.setSourceModel(self)
        proxy.setSortRole(ID_ROLE)
        proxy.sort(0, Qt.SortOrder.DescendingOrder)
        return proxy

    def add(self, rows: list[EventRow]) -> None:
        """Add a batch (any order); rows already shown are skipped, the oldest beyond ``max_rows`` dropped."""
        fresh = sorted((r for r in rows if r.id > self._newest), key=lambda r: r.id)[-self._max :]
        if not fresh:
            return
        self._newest = fresh[-1].id
        room = self._max - len(self._ring)
        appended, overwriting = fresh[:room], fresh[room:]
        top = len(self._ring)  # the first appended slot
        if appended:
            self.insertRows(top, len(appended))  # one rowsInserted for the batch
            self._ring.extend(appended)
        changed: list[int] = []
        today = today_in(self._zone)  # one "today" for the batch
        blocked = self.blockSignals(True)  # one dataChanged per run of slots instead of one per cell
        try:
            for slot in range(top, len(self._ring)):
                items = [QStandardItem() for _ in COLUMNS]
                for c, item in enumerate(items):
                    self.setItem(slot, c, item)
                self._items_of.append(items)
                self._fill(slot, self._ring[slot], today)
            for row in overwriting:
                slot = self._next
                self._next = (self._next + 1) % self._max
                self._ring[slot] = row
                self._fill(slot, row, today)
                changed.append(slot)
        finally:
            self.blockSignals(blocked)
        last = len(COLUMNS) - 1
        if appended:
            self.dataChanged.emit(self.index(top, 0), self.index(len(self._ring) - 1, last))
        for low, high in _runs(changed):
            self.dataChanged.emit(self.index(low, 0), self.index(high, last))

    def _fill(self, slot: int, row: EventRow, today: date) -> None:
        items = self._items_of[slot]
        texts = (
            format_time(row.time, self._zone, today=today),
            priority_label(row.priority),
            event_kind_label(row.kind),
            row.source,
            row.point,
            row.summary,
        )
        for item, text in zip(items, texts, strict=True):
            item.setText(text)
        items[0].setData(row.id, ID_ROLE)
        priority = items[COLUMNS.index("priority")]
        if row.priority.is_alarm:
            priority.setForeground(priority_colour(row.priority))
        else:
            priority.setData(None, Qt.ItemDataRole.ForegroundRole)
        items[COLUMNS.index("summary")].setToolTip(row.summary)

    def _titles(self) -> tuple[str, ...]:
        return (self.tr("Time"),
            self.tr("Priority"),
            self.tr("Kind"),
            self.tr("Source"),
            self.tr("Point"),
            self.tr("Summary"),)


def _runs(slots: list[int]) -> list[tuple[int, int]]:
    """Consecutive slot numbers folded into (low, high) runs: a ring write is at most two runs."""
    out: list[tuple[int, int]] = []
    for slot in slots:
        if out and slot == out[-1][1] + 1:
            out[-1] = (out[-1][0], slot)
        else:
            out.append((slot, slot))
    return out


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
        self.setAutoFillBackground(True)  # opaque: its repaints stop here (see ItemTable.attach)
        self.model_ = EventLogModel(site_zone(services.site.site.timezone), max_rows, self)
        self.model_.add([row_from_stored(d) for d in services.recent_events(max_rows)])
        self.setModel(self.model_.newest_first(self))
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
        # Rows waiting to be written. Bounded by the ring: in a storm, rows that newer rows would overwrite
        # before the next paint are never written at all.
        self._pending: deque[EventStored] = deque(maxlen=max_rows)
        self._writing: deque[EventStored] = deque()  # taken from _pending, written CHUNK_ROWS at a time
        self._last_apply = float("-inf")
        self._timer = QTimer(self)
        self._timer.setObjectName("event-log-storm")
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._apply)
        bridge.sig_event_stored.connect(self.on_events)

    def on_events(self, messages: list[EventStored]) -> None:
        """Written at once while the flow is readable; in a storm (STORM_ROWS or more waiting) at most
        every STORM_INTERVAL_S, which caps the log's cost at the ring's size per interval."""
        self._pending.extend(messages)
        self._schedule()

    def _schedule(self) -> None:
        if self._writing or self._timer.isActive():
            return  # the write in progress, or the one due, takes these too
        if len(self._pending) < STORM_ROWS:
            self._apply()
            return
        wait = STORM_INTERVAL_S - (time.monotonic() - self._last_apply)
        self._timer.start(int(wait * 1000) if wait > 0 else 0)  # -inf before the first write

    def _apply(self) -> None:
        """Write the next CHUNK_ROWS; the rest after the event loop had a turn (the alarm list, the board
        and the wall are not held up by a storm's 2,000 rows)."""
        if not self._writing:
            self._last_apply = time.monotonic()
            self._writing.extend(self._pending)
            self._pending.clear()
        chunk = [self._writing.popleft() for _ in range(min(CHUNK_ROWS, len(self._writing)))]
        if chunk:
            self.model_.add([row_from_message(m) for m in chunk])
        if self._writing:
            self._timer.start(0)
        elif self._pending:
            self._schedule()


def preview() -> None:
    from .preview import run_preview, sample_events

    def make() -> QTableView:
        view = QTableView()
        model = EventLogModel(parent=view)
        model.add(sample_events())
        view.setModel(model.newest_first(view))
        return view

    run_preview(make)


if __name__ == "__main__":
    preview()
