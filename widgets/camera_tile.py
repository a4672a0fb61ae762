"""One camera tile: painted with QPainter on a dark ground, name and place overlaid, a red frame on alarm."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from console.config import Camera

from .theme import ALARM_FRAME, BACKGROUND

_MARGIN = 8


class CameraTile(QWidget):
    """Shows one camera (or nothing). The video work will add frames; until then the state text shows."""

    # ---- Signals
    sig_activated = Signal(str)
    """camera id: the tile was double-clicked (the wall toggles a single, enlarged view)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.camera: Camera | None = None
        self.alarmed = False
        self.state = ""
        self.setMinimumSize(QSize(120, 80))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)  # we fill every pixel ourselves

    def show_camera(self, camera: Camera | None, state: str) -> None:
        if camera is self.camera and state == self.state:
            return
        self.camera = camera
        self.state = state
        self.setToolTip(f"{camera.name}\n{camera.location}\n{camera.id}" if camera else "")
        self.update()

    def set_alarmed(self, alarmed: bool) -> None:
        if alarmed != self.alarmed:
            self.alarmed = alarmed
            self.update()

    def mouseDoubleClickEvent(self, event: object) -> None:  # noqa: N802 - Qt override
        if self.camera is not None:
            self.sig_activated.emit(self.camera.id)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        rect = self.rect()
        painter.fillRect(rect, QColor(BACKGROUND))
        painter.setPen(QPen(QColor("#2a323c"), 1))
        painter.drawRect(rect.adjusted(0, 0, -1, -1))
        if self.camera is not None:
            self._paint_overlay(painter, rect)
        if self.alarmed:
            painter.setPen(QPen(QColor(ALARM_FRAME), 4))
            painter.drawRect(rect.adjusted(2, 2, -2, -2))
        painter.end()

    def _paint_overlay(self, painter: QPainter, rect: QRect) -> None:
        assert self.camera is not None
        inner = rect.adjusted(_MARGIN, _MARGIN, -_MARGIN, -_MARGIN)
        font = QFont(self.font())
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(QColor("#ffffff"))
        flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
        painter.drawText(inner, int(flags), self.camera.name)
        line = painter.fontMetrics().height()
        painter.setFont(self.font())
        painter.setPen(QColor("#aab4bf"))
        painter.drawText(inner.adjusted(0, line + 2, 0, 0), int(flags), self.camera.location)
        painter.setPen(QColor("#7d8894"))
        painter.drawText(inner, int(Qt.AlignmentFlag.AlignCenter), self.state)
        if self.alarmed:
            badge = self.tr("ALARM")
            width = painter.fontMetrics().horizontalAdvance(badge) + 12
            box = QRect(inner.right() - width, inner.top(), width, line + 4)
            painter.fillRect(box, QColor(ALARM_FRAME))
            painter.setPen(QColor("#ffffff"))
            painter.drawText(box, int(Qt.AlignmentFlag.AlignCenter), badge)
