"""A label whose size only grows, in steps: a changing count or clock does not re-lay out the window."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

WIDTH_STEP = 48  # px: a count gaining a digit fits in the room already there


class SteadyLabel(QLabel):
    """A QLabel whose text changes often (alarm counts in a storm, the clock every second).

    A plain label tells its layout its size changed with each new text, and in the status bar that lays
    out the whole main window again and repaints all of it: measured in a fire storm, a full-window
    repaint with every alarm batch. A fixed size stops that; it is widened (never narrowed) in steps
    when a text needs more room, so the window is laid out again only then.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAutoFillBackground(True)  # opaque: a new text repaints the label, not the window behind it
        self._fit()

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        if text == self.text():
            return
        super().setText(text)
        self._fit()

    def _fit(self) -> None:
        hint = self.sizeHint()
        width = max(self.minimumWidth(), -(-hint.width() // WIDTH_STEP) * WIDTH_STEP)
        height = max(self.minimumHeight(), hint.height())
        if (width, height) != (self.minimumWidth(), self.minimumHeight()) or self.maximumWidth() != width:
            self.setFixedSize(width, height)
