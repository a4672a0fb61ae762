"""A sorted table whose cells live in Qt's item storage: painting, sizing and sorting never call Python."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, QObject, QSortFilterProxyModel, Qt
from PySide6.QtGui import QHelpEvent, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QAbstractItemView, QToolTip

KEY_ROLE = Qt.ItemDataRole.UserRole + 90  # on column 0: the row's sort key, text compared in C++
ID_ROLE = Qt.ItemDataRole.UserRole + 91  # on column 0: the row's id (an alarm id)
FIRST_FIRE_ROLE = Qt.ItemDataRole.UserRole + 2  # on column 0 of the alarm and fire lists: the first fire
# Every role a row's cells may carry: a role a row no longer has is cleared when the row is rewritten.
CELL_ROLES = (
    Qt.ItemDataRole.DisplayRole,
    Qt.ItemDataRole.BackgroundRole,
    Qt.ItemDataRole.ForegroundRole,
    Qt.ItemDataRole.TextAlignmentRole,
    Qt.ItemDataRole.FontRole,
)

Cells = Mapping[int, Sequence[Any]]  # role -> one value per column (None: nothing to say)


class ItemTable(QSortFilterProxyModel):
    """Rows keyed by id, kept in order by a text key.

    A Python table model is asked for every cell and role on each repaint, and each of those calls waits for
    the GIL the drivers and the store are busy with: beside an event storm a 30-row repaint took 100 ms and
    more. Here the texts and colours are written once per change into ``QStandardItem``s and a
    ``QSortFilterProxyModel`` keeps them sorted; the subclasses must not override ``data`` or ``lessThan``.
    A row that moves is re-sorted by the proxy, so the view's selection and current row follow it.

    ``unselectable`` columns never show the selection colour (a red priority cell stays red when its row is
    selected); ``attach`` makes a click on them select the row all the same.

    Tooltips are not cells: ``tooltip(row_id)`` is asked when the pointer rests on a row. Written into the
    cells, they changed with every repeat of an alarm (its count and last time), in every column.
    """

    def __init__(self, columns: int, unselectable: Sequence[int] = (), parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._columns = columns
        self._unselectable = frozenset(unselectable)
        self._source = QStandardItemModel(0, columns, self)
        self._items: dict[int, list[QStandardItem]] = {}
        self._written: dict[int, dict[tuple[int, int], Any]] = {}  # per row: (column, role) -> value set
        self.setSourceModel(self._source)
        self.setSortRole(KEY_ROLE)
        self.sort(0, Qt.SortOrder.AscendingOrder)

    def attach(self, view: QAbstractItemView) -> None:
        """Show this model in ``view``; a press on an unselectable cell selects its row; tooltips on hover."""
        view.setModel(self)
        # Opaque: a repaint of the whole table (a re-sort, a column resized) then stops at the table,
        # instead of also repainting the dock, the panel and the window behind its frame.
        view.setAutoFillBackground(True)
        if self._unselectable:
            view.pressed.connect(self._select_row_of(view))
        view.viewport().installEventFilter(_RowTooltips(view, self))

    def tooltip(self, row_id: int) -> str:
        """The tooltip of a row, computed when it is about to be shown ("" for none)."""
        return ""

    def _select_row_of(self, view: QAbstractItemView) -> Callable[[QModelIndex], None]:
        def select(index: QModelIndex) -> None:
            if index.column() in self._unselectable:
                view.setCurrentIndex(index.siblingAtColumn(next(
                    c for c in range(self._columns) if c not in self._unselectable)))
        return select

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Many ``put``s and ``remove``s, sorted once at the end: without it each changed row is re-sorted
        and announced to the views on its own, in C++ but with the GIL held for all of it."""
        self.setDynamicSortFilter(False)
        try:
            yield
        finally:
            self.setDynamicSortFilter(True)  # re-sorts once; views keep selection across the layout change

    def set_titles(self, titles: Sequence[str]) -> None:
        self._source.setHorizontalHeaderLabels(list(titles))

    def put(self, row_id: int, key: str, cells: Cells, extra: Mapping[int, Any] | None = None) -> None:
        """Add the row or rewrite it in place; ``extra`` roles go on column 0. Only the values that differ
        from the row's last write are set: an alarm repeating in a storm changes its count and time."""
        values = _flatten(key, row_id, cells, extra, self._columns)
        items = self._items.get(row_id)
        if items is None:
            items = [self._new_item(c) for c in range(self._columns)]
            for (column, role), value in values.items():
                items[column].setData(value, role)
            self._items[row_id] = items
            self._written[row_id] = values
            self._source.appendRow(items)  # one rowsInserted; the proxy places it
            return
        before = self._written[row_id]
        # Identity first: shared colours and fonts are the same objects, and comparing Qt values is a call.
        changed = [(cr, v) for cr, v in values.items() if (old := before.get(cr)) is not v and old != v]
        changed += [(cr, None) for cr in before.keys() - values.keys()]
        self._written[row_id] = values
        self._write(items, changed)

    def put_some(self, row_id: int, key: str, values: Mapping[tuple[int, int], Any]) -> None:
        """Rewrite only these (column, role) values and the sort key of a row already shown: for a change
        the caller knows touches nothing else (an alarm repeating changes its count and its time)."""
        items = self._items[row_id]
        written = self._written[row_id]
        changed = [(cr, v) for cr, v in {**values, (0, KEY_ROLE): key}.items() if written.get(cr) != v]
        written.update(changed)
        self._write(items, changed)

    def _write(self, items: list[QStandardItem], changed: list[tuple[tuple[int, int], Any]]) -> None:
        if not changed:
            return
        blocked = self._source.blockSignals(True)  # one dataChanged for the row, not one per role and cell
        try:
            for (column, role), value in changed:
                items[column].setData(value, role)
        finally:
            self._source.blockSignals(blocked)
        row = items[0].row()
        self._source.dataChanged.emit(self._source.index(row, 0), self._source.index(row, self._columns - 1))

    def remove(self, row_id: int) -> None:
        self._written.pop(row_id, None)
        items = self._items.pop(row_id, None)
        if items is not None:
            self._source.removeRow(items[0].row())

    def clear_rows(self) -> None:
        self._items.clear()
        self._written.clear()
        self._source.removeRows(0, self._source.rowCount())

    def ids(self) -> list[int]:
        """Row ids top to bottom."""
        return [self.id_at(row) for row in range(self.rowCount())]  # type: ignore[misc]

    def id_at(self, row: int) -> int | None:
        if not 0 <= row < self.rowCount():
            return None
        value = self.index(row, 0).data(ID_ROLE)
        return None if value is None else int(value)

    def row_of(self, row_id: int) -> int | None:
        items = self._items.get(row_id)
        if items is None:
            return None
        return self.mapFromSource(items[0].index()).row()

    def _new_item(self, column: int) -> QStandardItem:
        item = QStandardItem()
        item.setEditable(False)
        if column in self._unselectable:
            item.setSelectable(False)
        return item


def _flatten(
    key: str, row_id: int, cells: Cells, extra: Mapping[int, Any] | None, columns: int
) -> dict[tuple[int, int], Any]:
    """A row's values as (column, role) -> value, leaving out what has nothing to say."""
    out: dict[tuple[int, int], Any] = {(0, KEY_ROLE): key, (0, ID_ROLE): row_id}
    for role in CELL_ROLES:
        per_column = cells.get(role)
        if per_column is not None:
            for column in range(columns):
                value = per_column[column]
                if value is not None:
                    out[(column, role)] = value
    for role, value in (extra or {}).items():
        out[(0, role)] = value
    return out


class _RowTooltips(QObject):
    """Answers the viewport's tooltip requests from ``ItemTable.tooltip``."""

    def __init__(self, view: QAbstractItemView, table: ItemTable) -> None:
        super().__init__(view)
        self._view = view
        self._table = table

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() != QEvent.Type.ToolTip or not isinstance(event, QHelpEvent):
            return False
        index = self._view.indexAt(event.pos())
        row_id = index.siblingAtColumn(0).data(ID_ROLE) if index.isValid() else None
        text = self._table.tooltip(int(row_id)) if row_id is not None else ""
        if text:
            QToolTip.showText(event.globalPos(), text, self._view.viewport())
        else:
            QToolTip.hideText()
            event.ignore()
        return True
