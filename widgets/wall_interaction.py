"""What an officer does with the wall's tiles: drop a camera on one, drag tiles to swap, and the context menu
(snapshot, maximise, open in the second window, then the wall's own motion entries). An event filter on the
tiles, so the tile stays a painter; it takes the tile's context-menu event, so one menu shows, not two."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QContextMenuEvent, QDrag, QDragEnterEvent, QDropEvent, QMouseEvent
from PySide6.QtWidgets import QApplication, QMenu, QWidget

from console.services import audit
from console.services.facade import ConsoleServices

from .camera_tile import CameraTile
from .camera_wall import CameraWall
from .wall_dnd import CAMERA_MIME, camera_mime, camera_of

SNAPSHOT_DIR = "snapshots"


def snapshot_path(data_dir: Path, camera_id: str, when: datetime) -> Path:
    """Where a snapshot goes: <data>/snapshots/<camera>-<YYYYmmdd-HHMMSS-ffffff>.png."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in camera_id)
    return data_dir / SNAPSHOT_DIR / f"{safe}-{when:%Y%m%d-%H%M%S-%f}.png"


class WallInteraction(QObject):
    """Drag, drop and the context menu for the tiles of one wall. ``actor`` names who acts (for the audit)."""

    # ---- Signals
    sig_message = Signal(str)
    """A line for the status bar (snapshot saved, or why not)."""
    sig_open_elsewhere = Signal(str)
    """camera id: show this camera in the second wall window."""

    def __init__(
        self,
        wall: CameraWall,
        services: ConsoleServices,
        actor: Callable[[], str],
        parent: QObject | None = None,
        *,
        second_window: bool = True,
    ) -> None:
        super().__init__(parent or wall)
        self.wall = wall
        self._services = services
        self._actor = actor
        self._second_window = second_window
        self._press: tuple[int, QPoint] | None = None
        # Extra tile-menu entries from other features (e.g. PTZ): hook(menu, camera id) appends its actions.
        self.menu_hooks: list[Callable[[QMenu, str], None]] = []
        for tile in wall.tiles:
            tile.setAcceptDrops(True)
            tile.installEventFilter(self)

    # -- what the menu does ----------------------------------------------------------------------------
    def menu_for(self, index: int, parent: QWidget | None = None) -> QMenu | None:
        tile = self.wall.tiles[index]
        camera = tile.camera
        if camera is None:
            return None
        menu = QMenu(parent or tile)
        menu.setObjectName("tileMenu")
        snap = menu.addAction(self.tr("Snapshot"))
        snap.setObjectName("snapshot")
        snap.triggered.connect(lambda: self.snapshot(index))
        big = menu.addAction(self.tr("Back to the grid") if self.wall.maximised else self.tr("Maximise"))
        big.setObjectName("maximise")
        big.triggered.connect(lambda: self.wall.toggle_single(camera.id))
        if self._second_window:
            other = menu.addAction(self.tr("Open in the second window"))
            other.setObjectName("openSecond")
            other.triggered.connect(lambda: self.sig_open_elsewhere.emit(camera.id))
        for hook in self.menu_hooks:
            hook(menu, camera.id)
        motion = getattr(self.wall, "add_motion_actions", None)  # the wall's own entries (motion, zones)
        if motion is not None:
            menu.addSeparator()
            motion(menu, camera.id)
        return menu

    def snapshot(self, index: int) -> Path | None:
        """The tile's current picture as a PNG in the data directory; audited as "snapshot"."""
        tile = self.wall.tiles[index]
        camera = tile.camera
        image = tile.qimage()
        if camera is None or image is None:
            self.sig_message.emit(self.tr("No picture to save"))
            return None
        data_dir = getattr(self._services, "data_dir", None)
        if data_dir is None:
            self.sig_message.emit(self.tr("Snapshots need a data directory"))
            return None
        when = datetime.now().astimezone()
        path = snapshot_path(Path(data_dir), camera.id, when)
        path.parent.mkdir(parents=True, exist_ok=True)
        # copy(): the QImage wraps the worker's array, which the next frame may release before save() ends.
        if not image.copy().save(str(path), "PNG"):
            self.sig_message.emit(self.tr("Could not save the snapshot"))
            return None
        self._services.audit.record(self._actor(), audit.SNAPSHOT, camera.id,
                                    {"file": str(path), "time": when.isoformat()})
        self.sig_message.emit(self.tr("Snapshot saved: {path}").format(path=str(path)))
        return path

    def drop(self, index: int, camera_id: str) -> None:
        self.wall.place_camera(index, camera_id)

    # -- events ----------------------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if not isinstance(watched, CameraTile):
            return False
        kind = event.type()
        if kind == QEvent.Type.ContextMenu:
            assert isinstance(event, QContextMenuEvent)
            menu = self.menu_for(self.wall.tiles.index(watched))
            if menu is not None:
                menu.exec(event.globalPos())
                menu.deleteLater()
            return True
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            assert isinstance(event, QDragEnterEvent | QDropEvent)
            if event.mimeData().hasFormat(CAMERA_MIME):
                event.acceptProposedAction()
                return True
            return False
        if kind == QEvent.Type.Drop:
            assert isinstance(event, QDropEvent)
            camera_id = camera_of(event.mimeData())
            if camera_id is None:
                return False
            event.acceptProposedAction()
            self.drop(self.wall.tiles.index(watched), camera_id)
            return True
        if kind == QEvent.Type.MouseButtonPress:
            assert isinstance(event, QMouseEvent)
            if event.button() == Qt.MouseButton.LeftButton:
                self._press = (self.wall.tiles.index(watched), event.position().toPoint())
            return False
        if kind == QEvent.Type.MouseMove and self._press is not None:
            assert isinstance(event, QMouseEvent)
            index, start = self._press
            moved = (event.position().toPoint() - start).manhattanLength()
            if event.buttons() & Qt.MouseButton.LeftButton and moved >= QApplication.startDragDistance():
                self._press = None
                camera = self.wall.tiles[index].camera
                if camera is not None:
                    drag = QDrag(watched)
                    drag.setMimeData(camera_mime(camera.id, index, id(self.wall)))
                    drag.exec(Qt.DropAction.MoveAction)
                return True
            return False
        if kind == QEvent.Type.MouseButtonRelease:
            self._press = None
        return False
