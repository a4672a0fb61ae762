"""Status texts that change all the time keep a steady size: the window is not laid out again each time."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QHBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from widgets.steady_label import WIDTH_STEP, SteadyLabel


class _LayoutRequests(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.LayoutRequest:
            self.count += 1
        return False


def _label_in_a_layout(qtbot: QtBot) -> tuple[QWidget, SteadyLabel]:
    parent = QWidget()
    qtbot.addWidget(parent)
    label = SteadyLabel(parent)
    QHBoxLayout(parent).addWidget(label)
    parent.show()
    return parent, label


def test_the_width_grows_in_steps_and_never_shrinks(qtbot: QtBot) -> None:
    _parent, label = _label_in_a_layout(qtbot)
    label.setText("故障 9")
    first = label.width()
    assert first % WIDTH_STEP == 0 and first >= label.sizeHint().width()
    label.setText("故障 10")  # one more digit: the room is already there
    assert label.width() == first
    label.setText("打开的报警：火警 12 · 故障 130 · 监管 4 · 屏蔽 2 · 启动 77")
    wider = label.width()
    assert wider > first and wider % WIDTH_STEP == 0 and wider >= label.sizeHint().width()
    label.setText("无")
    assert label.width() == wider


def test_a_new_count_that_fits_asks_the_window_for_no_new_layout(qtbot: QtBot) -> None:
    parent, label = _label_in_a_layout(qtbot)
    label.setText("故障 100")
    qtbot.wait(10)
    requests = _LayoutRequests()
    parent.installEventFilter(requests)
    for n in range(101, 160):
        label.setText(f"故障 {n}")
    qtbot.wait(10)
    assert requests.count == 0
    assert label.text() == "故障 159"
