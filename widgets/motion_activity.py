"""One camera's motion activity over the last minute, as a pyqtgraph chart (the tiles draw a plain line)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDialog, QLabel, QVBoxLayout, QWidget

from console.video.facade import VideoFacade

_REFRESH_MS = 500


class MotionActivity(QDialog):
    """Score (share of the picture that changed) against seconds ago; refreshed twice a second."""

    def __init__(self, video: VideoFacade, camera_id: str, camera_name: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("motionActivity")
        self.setWindowTitle(self.tr("Motion activity — {camera}").format(camera=camera_name))
        self._video, self._camera_id = video, camera_id
        self.plot = pg.PlotWidget(self, background="#101418")
        self.plot.setLabel("left", self.tr("changed share of the picture"))
        self.plot.setLabel("bottom", self.tr("seconds"))
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.plot.setMouseEnabled(x=False, y=False)
        self.curve = self.plot.plot(pen=pg.mkPen("#ffd54f", width=2))
        self.state = QLabel(self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.plot)
        layout.addWidget(self.state)
        self.resize(520, 300)
        self.timer = QTimer(self)
        self.timer.setInterval(_REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        self.refresh()

    def refresh(self) -> None:
        scores = self._video.motion_history(self._camera_id)
        rate = self._video.motion_rate() or 5.0
        x = (np.arange(len(scores)) - len(scores) + 1) / rate
        self.curve.setData(x, scores)
        result = self._video.motion(self._camera_id)
        if result is None:
            self.state.setText(self.tr("No motion analysis for this camera"))
        elif result.motion:
            self.state.setText(self.tr("Motion now: {n} boxes").format(n=len(result.boxes)))
        else:
            self.state.setText(self.tr("No motion now"))

    def done(self, result: int) -> None:
        self.timer.stop()
        super().done(result)
