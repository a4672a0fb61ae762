"""A panel's points as a colour-coded grid: one row per zone or loop, one small cell per point."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from console.domain.fire_board import Cell, Condition, PanelBoard, Zone

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
        self._styles: dict[Condition | None, tuple[QBrush, QBrush, str]] = {}

    def show_panel(self, panel: PanelBoard | None, changes: GridChanges | None = None) -> None:
        """Show ``panel``. ``changes`` (from ``grid_changes(shown, panel)``, worked out off this thread)
        spares the comparison here when it was made against the panel now shown."""
        if panel is self._shown and self.rowCount():
            return
        previous, self._shown = self._shown, panel
        if changes is not None and changes.old is previous and previous is not None and self.rowCount():
            self._apply(changes)
            return
        if panel is not None and previous is not None and self.rowCount():
            found = grid_changes(previous, panel)
            if found is not None:  # same panel and zones: set only the cells that changed
                self._apply(found)
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

    @property
    def shown(self) -> PanelBoard | None:
        return self._shown

    def _apply(self, changes: GridChanges) -> None:
        if changes.width > self.columnCount():
            self.setColumnCount(changes.width)
        repaint = False
        model = self.model()
        for row, column, cell in changes.cells:
            item = self.item(row, column)
            if item is None:
                self.setItem(row, column, self._item(cell))
                continue
            # Five setters would each tell the view; the cell sizes are fixed, so one repaint at the
            # end is all the view needs.
            blocked = model.blockSignals(True)
            try:
                self._fill(item, cell)
            finally:
                model.blockSignals(blocked)
            repaint = True
        for row, column in changes.removed:
            self.takeItem(row, column)
        if changes.width < self.columnCount():
            self.setColumnCount(changes.width)
        if repaint:
            self.viewport().update()

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

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.LanguageChange:
            self._styles.clear()  # the words in the cached styles are the old language's
        super().changeEvent(event)

    def _style(self, state: Condition | None) -> tuple[QBrush, QBrush, str]:
        # A storm repaints hundreds of cells per refresh: brushes and words are made once per state.
        style = self._styles.get(state)
        if style is None:
            colour = QColor(CONDITION_COLOURS[state] if state else QUIET_COLOUR)
            label = condition_label(state) if state else self.tr("normal")
            style = self._styles[state] = (QBrush(colour), QBrush(text_on(colour)), label)
        return style

    def _fill(self, item: QTableWidgetItem, cell: Cell) -> None:
        text = cell.number if len(cell.number) <= 4 else "•"
        if item.text() != text:
            item.setText(text)
        background, foreground, label = self._style(cell.state)
        item.setBackground(background)
        item.setForeground(foreground)
        item.setToolTip(f"{cell.name}\n{label}")
        item.setData(POINT_ID_ROLE, cell.point_id)


@dataclass(frozen=True, slots=True)
class GridChanges:
    """What turns the grid of ``old`` into the grid of ``new``: cells to set, cells to take away."""

    old: PanelBoard
    width: int
    cells: tuple[tuple[int, int, Cell], ...]
    removed: tuple[tuple[int, int], ...]


def grid_changes(old: PanelBoard, new: PanelBoard) -> GridChanges | None:
    """The cells that differ, or None when the rows themselves differ (then the grid is rebuilt).

    Pure and thread-safe: the fire board works it out on its reducer thread."""
    if old is new:
        return GridChanges(old, max((len(z.cells) for z in new.zones), default=0), (), ())
    if not _same_rows(old, new):
        return None
    cells: list[tuple[int, int, Cell]] = []
    removed: list[tuple[int, int]] = []
    for row, (old_zone, zone) in enumerate(zip(old.zones, new.zones, strict=True)):
        old_cells = old_zone.cells
        if old_cells == zone.cells:
            continue
        for column, cell in enumerate(zone.cells):
            if column >= len(old_cells) or old_cells[column] != cell:
                cells.append((row, column, cell))
        removed += [(row, column) for column in range(len(zone.cells), len(old_cells))]
    width = max((len(z.cells) for z in new.zones), default=0)
    return GridChanges(old, width, tuple(cells), tuple(removed))


def _same_rows(a: PanelBoard, b: PanelBoard) -> bool:
    """The grid keeps its rows and row labels (cells may differ or be added)."""
    if a.id != b.id or len(a.zones) != len(b.zones):
        return False
    if [(s.key, s.label) for s in a.systems] != [(s.key, s.label) for s in b.systems]:
        return False
    return all((za.system, za.zone) == (zb.system, zb.zone) for za, zb in zip(a.zones, b.zones, strict=True))
