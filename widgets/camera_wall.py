"""The camera wall: a 1/4/9/16 grid of tiles; cameras of a new fire alarm are brought to the front."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QWidget

from console.config import Camera
from console.domain.alarms import Alarm
from console.domain.events import Priority
from console.domain.messages import AlarmChanged
from console.services.facade import ConsoleServices

from .bridge import Bridge
from .camera_tile import CameraTile

LAYOUTS = (1, 4, 9, 16)
# Which new alarms pull their cameras to the front. Fire only: a busy gate's denied cards would churn
# the wall.
LINK_PRIORITIES = frozenset({Priority.FIRE})


def default_layout(camera_count: int) -> int:
    """The smallest grid that shows every camera, at most 16 tiles."""
    return next((n for n in LAYOUTS if n >= camera_count), LAYOUTS[-1])


def bring_forward(order: Sequence[str], ids: Iterable[str]) -> list[str]:
    """``ids`` (known ones, in their order) first, then the rest in their previous order."""
    known = set(order)
    front = list(dict.fromkeys(i for i in ids if i in known))
    return front + [i for i in order if i not in front]


def alarm_cameras(alarms: Iterable[Alarm]) -> set[str]:
    return {camera for alarm in alarms if alarm.is_open for camera in alarm.cameras}


class CameraWall(QWidget):
    # ---- Signals
    sig_layout_changed = Signal(int)
    """The number of tiles shown (1, 4, 9 or 16)."""

    def __init__(self, services: ConsoleServices, bridge: Bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("cameraWall")
        self._services = services
        self._cameras: dict[str, Camera] = {c.id: c for c in services.site.cameras}
        self.order: list[str] = list(self._cameras)
        self.layout_size = default_layout(len(self._cameras))
        self._before_single: tuple[int, list[str]] | None = None
        self._alarm_cams: set[str] = set()
        self._seen: set[int] = set()
        self.tiles = [CameraTile(self) for _ in range(LAYOUTS[-1])]
        for tile in self.tiles:
            tile.sig_activated.connect(self.toggle_single)
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(2, 2, 2, 2)
        self._grid.setSpacing(2)
        open_alarms = services.alarms.open_alarms()
        self._link([a for a in open_alarms if a.priority in LINK_PRIORITIES])
        self._alarm_cams = alarm_cameras(open_alarms)
        self._arrange()
        bridge.sig_alarm_changed.connect(self.on_alarm_changed)
        bridge.sig_alarms_settled.connect(self.refresh_alarm_frames)

    def set_layout(self, size: int) -> None:
        if size not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS}")
        self._before_single = None
        if size != self.layout_size:
            self.layout_size = size
            self._arrange()
            self.sig_layout_changed.emit(size)

    def visible_camera_ids(self) -> list[str]:
        return self.order[: self.layout_size]

    def tile_for(self, camera_id: str) -> CameraTile | None:
        return next(
            (t for t in self.tiles[: self.layout_size] if t.camera and t.camera.id == camera_id), None
        )

    def toggle_single(self, camera_id: str) -> None:
        """Double-click: one camera full size; again: back to the grid as it was."""
        if self._before_single is not None:
            self.layout_size, self.order = self._before_single
            self._before_single = None
        else:
            self._before_single = (self.layout_size, list(self.order))
            self.order = bring_forward(self.order, [camera_id])
            self.layout_size = 1
        self._arrange()
        self.sig_layout_changed.emit(self.layout_size)

    def on_alarm_changed(self, change: AlarmChanged) -> None:
        alarm = change.alarm
        # "New" is judged by the id, not by change == "raised": the bridge may have coalesced that away.
        is_new = alarm.id not in self._seen and alarm.is_open
        self._seen.add(alarm.id)
        if is_new and alarm.priority in LINK_PRIORITIES and alarm.cameras:
            self._before_single = None
            self._link([alarm])
            self._arrange()

    def refresh_alarm_frames(self) -> None:
        self._alarm_cams = alarm_cameras(self._services.alarms.open_alarms())
        self._paint_alarms()

    def _link(self, alarms: list[Alarm]) -> None:
        self._seen.update(a.id for a in alarms)
        # Oldest first into bring_forward, newest last → the newest alarm's cameras end up in front.
        for alarm in sorted(alarms, key=lambda a: a.first_time):
            self.order = bring_forward(self.order, alarm.cameras)

    def _arrange(self) -> None:
        while self._grid.count():
            self._grid.takeAt(0)
        side = math.isqrt(self.layout_size)
        no_video = self.tr("No video yet")
        for i, tile in enumerate(self.tiles):
            if i < self.layout_size:
                camera_id = self.order[i] if i < len(self.order) else None
                tile.show_camera(self._cameras.get(camera_id) if camera_id else None, no_video)
                self._grid.addWidget(tile, i // side, i % side)
                tile.show()
            else:
                tile.hide()
        self._paint_alarms()

    def _paint_alarms(self) -> None:
        for tile in self.tiles[: self.layout_size]:
            tile.set_alarmed(tile.camera is not None and tile.camera.id in self._alarm_cams)


def preview() -> None:
    from .preview import run_preview, sample_services

    run_preview(lambda: CameraWall(*sample_services()))


if __name__ == "__main__":
    preview()
