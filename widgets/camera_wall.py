"""The camera wall: 1 to 64 tiles fed by one display timer; the cameras of a new fire alarm come first."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from PySide6.QtCore import QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QHideEvent, QKeyEvent, QShowEvent
from PySide6.QtWidgets import QGridLayout, QMenu, QWidget

from console.config import Camera
from console.domain.alarms import Alarm
from console.domain.events import Priority
from console.domain.messages import AlarmChanged
from console.services.facade import ConsoleServices
from console.video.facade import VideoFacade

from .bridge import Bridge
from .camera_tile import CameraTile
from .formatting import site_zone

# 6 and 8 are "one large + five / seven small" layouts; the rest are square grids.
LAYOUTS = (1, 4, 6, 8, 9, 16, 25, 36, 64)
_DEFAULT_LAYOUTS = (1, 4, 9, 16)
# Which new alarms pull their cameras to the front. Fire only: a busy gate's denied cards would churn
# the wall.
LINK_PRIORITIES = frozenset({Priority.FIRE})
# The display timer. A 25 fps camera's frames arrive 40 ms apart only on average: decoders sharing two cores
# with the GUI hand them over with jitter, and the slot keeps only the newest, so a tick every T ms loses a
# frame whenever two arrive less than T ms apart. At 20 ms that takes 20 ms of jitter, and each picture
# stays up an even 40 ms (33 ms ticks show them for 33 or 66). A tick only compares sequence numbers
# unless a frame moved, so the faster tick costs next to nothing.
DISPLAY_INTERVAL_MS = 20
_STATUS_EVERY = 12  # ticks between reading stream states and fps (about 4 times a second)
_REQUEST_DELAY_MS = 120  # a window being resized asks for new frame sizes once it settles


def default_layout(camera_count: int) -> int:
    """The smallest square grid that shows every camera, at most 16 tiles."""
    return next((n for n in _DEFAULT_LAYOUTS if n >= camera_count), _DEFAULT_LAYOUTS[-1])


def layout_cells(size: int) -> list[tuple[int, int, int, int]]:
    """(row, column, row span, column span) of each tile of a layout, the large tile first."""
    if size in (6, 8):
        side = 3 if size == 6 else 4
        big = side - 1
        cells = [(0, 0, big, big)]
        cells += [(row, big, 1, 1) for row in range(big)]
        cells += [(big, col, 1, 1) for col in range(side)]
        return cells
    side = math.isqrt(size)
    return [(i // side, i % side, 1, 1) for i in range(size)]


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
    """The number of tiles shown (one of LAYOUTS)."""
    sig_show_motion_changed = Signal(bool)
    """Motion boxes are drawn on the tiles (or no longer)."""
    sig_edit_zones = Signal(str)
    """camera id: the officer asked to edit this camera's motion zones."""
    sig_motion_detail = Signal(str)
    """camera id: the officer asked for this camera's motion activity chart."""

    def __init__(self, services: ConsoleServices, bridge: Bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("cameraWall")
        self._services = services
        self.video: VideoFacade | None = getattr(services, "video", None)
        # Motion is read from the engine's own façade: ``video`` may be swapped for a view shared by walls.
        self._motion_video: VideoFacade | None = self.video
        self._cameras: dict[str, Camera] = {c.id: c for c in services.site.cameras}
        self.order: list[str] = list(self._cameras)
        self.layout_size = default_layout(len(self._cameras))
        self._before_single: tuple[int, list[str]] | None = None
        self._alarm_cams: set[str] = set()
        self._seen: set[int] = set()
        self._requested: dict[str, tuple[int, int, bool]] = {}
        self._ticks = 0
        self.show_motion = False
        self.tiles = [CameraTile(self) for _ in range(LAYOUTS[-1])]
        zone = site_zone(services.site.site.timezone)
        for tile in self.tiles:
            tile.zone = zone
            tile.sig_activated.connect(self.toggle_single)
            tile.sig_resized.connect(self._schedule_requests)
            tile.sig_context_menu.connect(self.show_tile_menu)
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(2, 2, 2, 2)
        self._grid.setSpacing(2)
        # One timer for the whole wall: it pulls the newest frame of each visible tile (see STYLE.md §6).
        self.display_timer = QTimer(self)
        self.display_timer.setObjectName("wallDisplayTimer")
        self.display_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.display_timer.setInterval(DISPLAY_INTERVAL_MS)
        self.display_timer.timeout.connect(self._on_tick)
        self._request_timer = QTimer(self)
        self._request_timer.setObjectName("wallRequestTimer")
        self._request_timer.setSingleShot(True)
        self._request_timer.setInterval(_REQUEST_DELAY_MS)
        self._request_timer.timeout.connect(self.sync_requests)
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

    def show_cameras(self, camera_ids: Sequence[str], layout: int | None = None) -> None:
        """These cameras to the front (tours, fire board linkage, saved layouts), optionally in a layout."""
        if layout is not None and layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS}")
        self._before_single = None
        self.order = bring_forward(self.order, camera_ids)
        changed = layout is not None and layout != self.layout_size
        if layout is not None:
            self.layout_size = layout
        self._arrange()
        if changed:
            self.sig_layout_changed.emit(self.layout_size)

    def place_camera(self, index: int, camera_id: str) -> None:
        """Drag and drop: ``camera_id`` onto tile ``index``; what that tile showed goes where it came from."""
        if camera_id not in self._cameras or not 0 <= index < self.layout_size:
            return
        order = self.order + [""] * max(0, index + 1 - len(self.order))  # "": an empty tile
        if camera_id not in order:
            order.append(camera_id)
        source = order.index(camera_id)
        order[index], order[source] = order[source], order[index]
        self.order = order
        self._before_single = None
        self._arrange()

    def visible_camera_ids(self) -> list[str]:
        return [c for c in self.order[: self.layout_size] if c]

    def tile_for(self, camera_id: str) -> CameraTile | None:
        return next(
            (t for t in self.tiles[: self.layout_size] if t.camera and t.camera.id == camera_id), None
        )

    @property
    def maximised(self) -> str | None:
        """The camera shown alone after a double-click or Enter, if any."""
        return self.order[0] if self._before_single is not None else None

    def toggle_single(self, camera_id: str) -> None:
        """Double-click/Enter: one camera full size on its main stream; again (or Esc): back to the grid."""
        if self._before_single is not None:
            self.layout_size, self.order = self._before_single
            self._before_single = None
        else:
            self._before_single = (self.layout_size, list(self.order))
            self.order = bring_forward(self.order, [camera_id])
            self.layout_size = 1
        self._arrange()
        self.sync_requests()  # at once: the stream switch should not wait for the resize to settle
        self.sig_layout_changed.emit(self.layout_size)

    def set_show_motion(self, show: bool) -> None:
        """Draw (or hide) the motion boxes on every tile; the state of the wall, not of a camera."""
        show = bool(show)
        if show != self.show_motion:
            self.show_motion = show
            for tile in self.tiles:
                tile.set_show_motion(show)
            self.sig_show_motion_changed.emit(show)

    def toggle_motion(self) -> None:
        self.set_show_motion(not self.show_motion)

    def has_motion(self, camera_id: str) -> bool:
        """Whether the camera's picture is analysed for motion."""
        check = getattr(self._motion_video, "has_motion", None)
        return bool(check and check(camera_id))

    def tile_menu(self, camera_id: str) -> QMenu:
        """The context menu of a camera's tile (built fresh: what it offers depends on the camera)."""
        menu = QMenu(self)
        self.add_motion_actions(menu, camera_id)
        return menu

    def add_motion_actions(self, menu: QMenu, camera_id: str) -> list[QAction]:
        """Append the motion entries for ``camera_id`` to a tile menu (other menus may call this too)."""
        has_motion = self.has_motion(camera_id)
        boxes = QAction(self.tr("Show &motion boxes"), menu)
        boxes.setObjectName("showMotion")
        boxes.setCheckable(True)
        boxes.setChecked(self.show_motion)
        boxes.toggled.connect(self.set_show_motion)
        zones = QAction(self.tr("Motion &zones…"), menu)
        zones.setObjectName("motionZones")
        zones.setEnabled(has_motion)
        zones.triggered.connect(lambda _=False: self.sig_edit_zones.emit(camera_id))
        chart = QAction(self.tr("Motion &activity…"), menu)
        chart.setObjectName("motionActivity")
        chart.setEnabled(has_motion)
        chart.triggered.connect(lambda _=False: self.sig_motion_detail.emit(camera_id))
        actions = [boxes, zones, chart]
        menu.addActions(actions)
        return actions

    def show_tile_menu(self, camera_id: str, where: QPoint) -> None:
        menu = self.tile_menu(camera_id)
        menu.aboutToHide.connect(menu.deleteLater)
        menu.popup(where)

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

    # -- frames ------------------------------------------------------------------------------------
    def _on_tick(self) -> None:
        """Pull the newest frame of every visible tile; hidden tiles and unchanged slots cost nothing."""
        video = self.video
        if video is None:
            return
        self._ticks += 1
        read_status = self._ticks % _STATUS_EVERY == 0
        for tile in self.tiles[: self.layout_size]:
            camera = tile.camera
            slot = video.slot(camera.id) if camera is not None else None
            if slot is None:
                continue
            frame = slot.take(tile.seq)
            if frame is not None and tile.set_frame(frame):
                slot.note_dropped()  # taken, but replaced before Qt got round to painting it
            if read_status:
                tile.set_status(video.status(camera.id), slot.stats().displayed_fps)
                if self.has_motion(camera.id):
                    motion = self._motion_video
                    assert motion is not None
                    gray = motion.analysis_frame(camera.id)
                    size = (gray.width, gray.height) if gray is not None else None
                    tile.set_motion(motion.motion(camera.id), size, motion.motion_history(camera.id))

    def _schedule_requests(self) -> None:
        if self.video is not None:
            self._request_timer.start()

    def sync_requests(self) -> None:
        """Tell the video engine which cameras are shown and how large; release the ones no longer shown."""
        video = self.video
        if video is None:
            return
        wanted: dict[str, tuple[int, int, bool]] = {}
        if self.isVisible():
            maximised = self.maximised
            for tile in self.tiles[: self.layout_size]:
                if tile.camera is not None and video.has_video(tile.camera.id):
                    ratio = tile.devicePixelRatioF()
                    size = (round(tile.width() * ratio), round(tile.height() * ratio))
                    wanted[tile.camera.id] = (*size, tile.camera.id == maximised)
        for camera_id in self._requested.keys() - wanted.keys():
            video.release(camera_id)
        for camera_id, (width, height, big) in wanted.items():
            if self._requested.get(camera_id) != (width, height, big):
                video.request(camera_id, width, height, big)
        self._requested = wanted

    # -- Qt overrides ------------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_Escape and self._before_single is not None:
            self.toggle_single(self.order[0])
            return
        super().keyPressEvent(event)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if self.video is not None:
            self.display_timer.start()
            self._schedule_requests()

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 - Qt override
        super().hideEvent(event)
        self.display_timer.stop()
        self._request_timer.stop()
        self.sync_requests()  # not visible: every camera released

    # -- layout ------------------------------------------------------------------------------------
    def _link(self, alarms: list[Alarm]) -> None:
        self._seen.update(a.id for a in alarms)
        # Oldest first into bring_forward, newest last → the newest alarm's cameras end up in front.
        for alarm in sorted(alarms, key=lambda a: a.first_time):
            self.order = bring_forward(self.order, alarm.cameras)

    def _arrange(self) -> None:
        while self._grid.count():
            self._grid.takeAt(0)
        for i in range(self._grid.rowCount()):
            self._grid.setRowStretch(i, 0)
        for i in range(self._grid.columnCount()):
            self._grid.setColumnStretch(i, 0)
        cells = layout_cells(self.layout_size)
        side = max(row + rows for row, _, rows, _ in cells)
        for i in range(side):  # equal rows and columns, whatever the tiles' contents
            self._grid.setRowStretch(i, 1)
            self._grid.setColumnStretch(i, 1)
        no_video = self.tr("No video yet")
        for i, tile in enumerate(self.tiles):
            if i < self.layout_size:
                camera_id = self.order[i] if i < len(self.order) else None
                camera = self._cameras.get(camera_id) if camera_id else None
                tile.show_camera(camera, no_video)
                if self.video is not None and camera is not None and self.video.has_video(camera.id):
                    tile.set_status(self.video.status(camera.id), 0.0)
                self._grid.addWidget(tile, *cells[i])
                tile.show()
            else:
                tile.hide()
                tile.show_camera(None, "")  # drops its last frame: hidden tiles hold no pictures
        self._paint_alarms()
        self._schedule_requests()

    def _paint_alarms(self) -> None:
        for tile in self.tiles[: self.layout_size]:
            tile.set_alarmed(tile.camera is not None and tile.camera.id in self._alarm_cams)


def preview() -> None:
    from .preview import run_preview, sample_services

    run_preview(lambda: CameraWall(*sample_services()))


if __name__ == "__main__":
    preview()
