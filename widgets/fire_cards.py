"""One summary card per fire panel: counts in GB colours, mains, battery and link state, and its systems."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from console.domain.fire_board import Condition, Line, PanelBoard

from .fire_labels import CONDITION_COLOURS, LINE_COLOURS, condition_label, line_label
from .theme import text_on

_IDLE_TILE = ("background:#1f252d; color:{colour}; border:1px solid #2f3842; "
              "border-radius:3px; padding:2px 6px;")
_LIT_TILE = "background:{colour}; color:{text}; border-radius:3px; padding:2px 6px; font-weight:bold;"


class PanelCard(QFrame):
    """Shows one ``PanelBoard``; a click asks the board to show this panel's points."""

    # ---- Signals
    sig_clicked = Signal(str)
    """panel id: the officer clicked the card."""

    def __init__(self, panel_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.panel_id = panel_id
        self._shown: PanelBoard | None = None
        self._selected: bool | None = None
        self.setObjectName("firePanelCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.title = QLabel(self)
        self.title.setObjectName("firePanelTitle")
        self.title.setStyleSheet("font-weight:bold;")
        self.tiles: dict[Condition, QLabel] = {}
        tiles = QGridLayout()
        tiles.setSpacing(3)
        for i, condition in enumerate(Condition):
            tile = QLabel(self)
            tile.setObjectName(f"count_{condition}")
            tile.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.tiles[condition] = tile
            tiles.addWidget(tile, i // 3, i % 3)
        self.lines = QLabel(self)
        self.lines.setObjectName("firePanelLines")
        self.lines.setTextFormat(Qt.TextFormat.RichText)
        self.systems = QLabel(self)
        self.systems.setObjectName("firePanelSystems")
        self.systems.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(4)
        layout.addWidget(self.title)
        layout.addLayout(tiles)
        layout.addWidget(self.lines)
        layout.addWidget(self.systems)
        self.set_selected(False)

    def show_panel(self, panel: PanelBoard) -> None:
        if panel == self._shown:
            return
        self._shown = panel
        self.title.setText(panel.name)
        self.title.setToolTip(panel.id)
        for condition, tile in self.tiles.items():
            count = panel.counts.get(condition, 0)
            if tile.property("count") == count:
                continue  # a style sheet change re-polishes the tile: only when its count moved
            tile.setText(f"{condition_label(condition)} {count}")
            colour = CONDITION_COLOURS[condition]
            text = text_on(QColor(colour)).name()
            style = (_LIT_TILE if count else _IDLE_TILE).format(colour=colour, text=text)
            if tile.styleSheet() != style:
                tile.setStyleSheet(style)
            tile.setProperty("count", count)
        parts = [(self.tr("Mains"), panel.mains), (self.tr("Battery"), panel.battery),
                 (self.tr("Link"), panel.link)]
        lines = "  ".join(
            f'{name} <span style="color:{LINE_COLOURS[state]}">{line_label(state)}</span>'
            for name, state in parts
        )
        if lines != self.lines.text():
            self.lines.setText(lines)
        faulty = any(state is Line.FAULT for _, state in parts)
        if self.lines.property("faulty") != faulty:
            self.lines.setProperty("faulty", faulty)
        systems = "\n".join(_system_line(s.label, s.counts) for s in panel.systems if s.key)
        if systems != self.systems.text():
            self.systems.setText(systems)
        self.systems.setVisible(any(s.key for s in panel.systems))

    def set_selected(self, selected: bool) -> None:
        if self._selected == selected:
            return  # re-setting the style sheet re-polishes the whole card: only on a change
        self._selected = selected
        border = "#2f6db5" if selected else "#2f3842"
        self.setStyleSheet(f"QFrame#firePanelCard {{ background:#1b2027; border:2px solid {border}; "
                           "border-radius:4px; }")

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        super().mousePressEvent(event)
        self.sig_clicked.emit(self.panel_id)


class CardRow(QScrollArea):
    """The cards side by side, in site order; panels that appear later get a card at the end."""

    # ---- Signals
    sig_clicked = Signal(str)
    """panel id: the officer clicked that panel's card."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cards: dict[str, PanelCard] = {}
        holder = QWidget(self)
        self._row = QHBoxLayout(holder)
        self._row.setContentsMargins(0, 0, 0, 0)
        self._row.addStretch(1)
        self.setWidget(holder)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setFixedHeight(150)

    def show_panels(self, panels: tuple[PanelBoard, ...]) -> None:
        for panel in panels:
            card = self.cards.get(panel.id)
            if card is None:
                card = self.cards[panel.id] = PanelCard(panel.id, self)
                card.sig_clicked.connect(self.sig_clicked)
                self._row.insertWidget(self._row.count() - 1, card)
            card.show_panel(panel)

    def set_selected(self, panel_id: str | None) -> None:
        for card_id, card in self.cards.items():
            card.set_selected(card_id == panel_id)


def _system_line(label: str, counts: Mapping[Condition, int]) -> str:
    shown = [f"{condition_label(c)} {n}" for c, n in counts.items() if n]
    return f"{label}: " + ("  ".join(shown) if shown else "—")
