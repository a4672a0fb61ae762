"""A panel's points as a colour-coded grid: one row per zone or loop, one small cell per point."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from console.domain.fire_board import Cell, PanelBoard, Zone

from .fire_labels import CONDITION_COLOURS, QUIET_COLOUR, condition_label
from .theme import text_on

CELL_SIZE = 34
POINT_ID_ROLE = Qt.ItemDataRole.UserRole + 1


class PointGrid(QTableWidget):
    """Read-only; the loudest condition of a point paints its cell (a fault never hides a fire)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("firePointGrid")
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.horizontalHeader().hide()
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.horizontalHeader().setDefaultSectionSize(CELL_SIZE)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.verticalHeader().setDefaultSectionSize(CELL_SIZE - 8)
        self.panel_id: str | None = None
        self._shown: PanelBoard | None = None

    def show_panel(self, panel: PanelBoard | None) -> None:
        if panel == self._shown and self.rowCount():
            return  # rebuilding hundreds of items for an unchanged panel would cost every batch
        previous, self._shown = self._shown, panel
        if panel is not None and previous is not None and self.rowCount() and _same_rows(previous, panel):
            # Same panel and zones: set only the cells that changed (a new point adds one cell).
            repaint = False
            width = max((len(z.cells) for z in panel.zones), default=0)
            if width > self.columnCount():
                self.setColumnCount(width)
            for row, (old_zone, zone) in enumerate(zip(previous.zones, panel.zones, strict=True)):
                old_cells = old_zone.cells
                for column, cell in enumerate(zone.cells):
                    if column >= len(old_cells) or old_cells[column] != cell:
                        item = self.item(row, column)
                        if item is None:
                            self.setItem(row, column, self._item(cell))
                        else:
                            # Five setters would each tell the view; the cell sizes are fixed, so one
                            # repaint at the end is all the view needs.
                            model = self.model()
                            blocked = model.blockSignals(True)
                            try:
                                self._fill(item, cell)
                            finally:
                                model.blockSignals(blocked)
                            repaint = True
                for column in range(len(zone.cells), len(old_cells)):
                    self.takeItem(row, column)
            if width < self.columnCount():
                self.setColumnCount(width)
            if repaint:
                self.viewport().update()
            return
        self.panel_id = panel.id if panel else None
        zones = panel.zones if panel else ()
        self.clearContents()
        self.setRowCount(len(zones))
        self.setColumnCount(max((len(z.cells) for z in zones), default=0))
        systems = {s.key: s.label for s in panel.systems} if panel else {}
        self.setVerticalHeaderLabels([self._zone_label(z, systems.get(z.system, z.system)) for z in zones])
        for row, zone in enumerate(zones):
            for column, cell in enumerate(zone.cells):
                self.setItem(row, column, self._item(cell))

    def cell_at(self, point_id: str) -> QTableWidgetItem | None:
        for row in range(self.rowCount()):
            for column in range(self.columnCount()):
                item = self.item(row, column)
                if item is not None and item.data(POINT_ID_ROLE) == point_id:
                    return item
        return None

    def _zone_label(self, zone: Zone, system: str) -> str:
        parts = []
        if system and system != zone.system:
            parts.append(system)  # the panel's own name for it, e.g. 火灾报警系统 1号
        elif system:
            parts.append(self.tr("System {system}").format(system=system))
        parts.append(self.tr("Zone {zone}").format(zone=zone.zone) if zone.zone else self.tr("Points"))
        return " ".join(parts)

    def _item(self, cell: Cell) -> QTableWidgetItem:
        # A cell is a few characters wide: a point known by name rather than number shows a dot, and its
        # tooltip says which.
        item = QTableWidgetItem()
        item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
        self._fill(item, cell)
        return item

    def _fill(self, item: QTableWidgetItem, cell: Cell) -> None:
        text = cell.number if len(cell.number) <= 4 else "•"
        if item.text() != text:
            item.setText(text)
        colour = QColor(CONDITION_COLOURS[cell.state] if cell.state else QUIET_COLOUR)
        item.setBackground(colour)
        item.setForeground(text_on(colour))
        state = condition_label(cell.state) if cell.state else self.tr("normal")
        item.setToolTip(f"{cell.name}\n{state}")
        item.setData(POINT_ID_ROLE, cell.point_id)


def _same_rows(a: PanelBoard, b: PanelBoard) -> bool:
    """The grid keeps its rows and row labels (cells may differ or be added)."""
    if a.id != b.id or len(a.zones) != len(b.zones):
        return False
    if [(s.key, s.label) for s in a.systems] != [(s.key, s.label) for s in b.systems]:
        return False
    return all((za.system, za.zone) == (zb.system, zb.zone) for za, zb in zip(a.zones, b.zones, strict=True))
