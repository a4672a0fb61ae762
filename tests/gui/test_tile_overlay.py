"""A tile draws its text overlay once per change, not once per video frame."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from console.config import Camera
from console.video.slot import FrameSlot
from widgets.camera_tile import CameraTile


def _frame(slot: FrameSlot, value: int):  # noqa: ANN202 - a Frame
    image = np.full((90, 160, 4), value, np.uint8)
    slot.put(image, None)
    return slot.peek()


def test_video_frames_reuse_the_overlay_until_its_text_changes(qtbot: QtBot, monkeypatch) -> None:  # noqa: ANN001
    now = [1_700_000_000.25]
    monkeypatch.setattr("widgets.camera_tile.time.time", lambda: now[0])
    tile = CameraTile()
    qtbot.addWidget(tile)
    tile.resize(320, 180)
    tile.show_camera(Camera(id="cam-1", name="东门 入口", campus="east", main_url="file:x.mp4"), "")
    slot = FrameSlot()
    picture = QImage(320, 180, QImage.Format.Format_RGB32)
    for value in range(10):
        tile.set_frame(_frame(slot, value * 20))
        tile.render(picture)
    assert tile.painted == 10
    assert tile.overlay_renders == 1
    assert picture.pixelColor(160, 90).blue() == 180  # the newest frame is what was drawn
    now[0] += 1.0  # the clock ticks: one new overlay
    tile.render(picture)
    tile.render(picture)
    assert tile.overlay_renders == 2
    tile.show_camera(tile.camera, "重连中")  # a new state line
    tile.render(picture)
    assert tile.overlay_renders == 3
