"""The dark control-room theme: QSS from resources/themes, the palette, and priority and health colours."""

from __future__ import annotations

import functools
import importlib.resources

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QApplication

from console.domain.events import HealthState, Priority

# Chosen to stay apart on a dark background and for common colour-vision deficiencies (fire and fault differ
# in lightness, not only in hue).
PRIORITY_COLOURS: dict[Priority, str] = {
    Priority.FIRE: "#e53935",
    Priority.SUPERVISORY: "#fb8c00",
    Priority.FAULT: "#fdd835",
    Priority.DISABLED: "#9e9e9e",
    Priority.SECURITY: "#7e57c2",
    Priority.TECHNICAL: "#26a69a",
    Priority.INFO: "#78909c",
}
HEALTH_COLOURS: dict[HealthState, str] = {
    HealthState.ONLINE: "#43a047",
    HealthState.DEGRADED: "#fb8c00",
    HealthState.OFFLINE: "#e53935",
    HealthState.UNKNOWN: "#757575",
}
BACKGROUND = "#14181d"
ALARM_FRAME = "#ff1744"


def priority_colour(priority: Priority) -> QColor:
    """The priority's shared colour (see ``shared_colour``): never modify it."""
    return shared_colour(PRIORITY_COLOURS[priority])


@functools.cache
def shared_colour(name: str) -> QColor:
    """One QColor per name for item tables, which store many and compare them: never modify it."""
    return QColor(name)


@functools.cache
def shared_text_on(name: str) -> QColor:
    return shared_colour(text_on(QColor(name)).name())


@functools.cache
def bold_font() -> QFont:
    """One bold font for item tables (needs the QApplication): never modify it."""
    font = QFont()
    font.setBold(True)
    return font


def health_colour(health: HealthState) -> QColor:
    return QColor(HEALTH_COLOURS[health])


def text_on(background: QColor) -> QColor:
    """Black or white, whichever reads better on ``background`` (relative luminance)."""
    luminance = 0.2126 * background.redF() + 0.7152 * background.greenF() + 0.0722 * background.blueF()
    return QColor("#000000") if luminance > 0.45 else QColor("#ffffff")


@functools.cache
def dot_icon(colour: str, size: int = 12) -> QIcon:
    """A filled circle; cached because the device tree asks for the same few colours many times."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(colour))
    painter.drawEllipse(1, 1, size - 2, size - 2)
    painter.end()
    return QIcon(pixmap)


def load_qss(name: str = "dark") -> str:
    return (
        importlib.resources.files("resources").joinpath("themes", f"{name}.qss").read_text(encoding="utf-8")
    )


def dark_palette() -> QPalette:
    palette = QPalette()
    role = QPalette.ColorRole
    for r, colour in (
        (role.Window, "#1b2027"),
        (role.WindowText, "#dde3ea"),
        (role.Base, BACKGROUND),
        (role.AlternateBase, "#1f252d"),
        (role.Text, "#dde3ea"),
        (role.Button, "#262d36"),
        (role.ButtonText, "#dde3ea"),
        (role.Highlight, "#2f6db5"),
        (role.HighlightedText, "#ffffff"),
        (role.ToolTipBase, "#262d36"),
        (role.ToolTipText, "#dde3ea"),
        (role.PlaceholderText, "#7d8894"),
    ):
        palette.setColor(r, QColor(colour))
    palette.setColor(QPalette.ColorGroup.Disabled, role.ButtonText, QColor("#66707b"))
    palette.setColor(QPalette.ColorGroup.Disabled, role.Text, QColor("#66707b"))
    return palette


def apply_theme(app: QApplication, name: str = "dark") -> None:
    app.setStyle("Fusion")  # the native styles ignore parts of the palette; Fusion honours all of it
    app.setPalette(dark_palette())
    app.setStyleSheet(load_qss(name))
