"""A second wall window for a second monitor: its own layout and cameras, restored on restart."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QByteArray, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QApplication, QMainWindow, QWidget

from console.services.facade import ConsoleServices

from .bridge import Bridge
from .camera_wall import LAYOUTS, CameraWall
from .wall_interaction import WallInteraction
from .wall_video_share import SharedView

_KEY = "second_wall"


class SecondWallWindow(QMainWindow):
    """A top-level window holding a CameraWall. The main window owns it; closing it only hides it."""

    # ---- Signals
    sig_closed = Signal()
    """The officer closed the window (it is hidden, not destroyed, and remembered as closed)."""

    def __init__(
        self,
        services: ConsoleServices,
        bridge: Bridge,
        settings: QSettings,
        video: SharedView | None,
        actor: Callable[[], str],
        parent: QWidget | None = None,
    ) -> None:
        # A window of its own (not a child drawn inside the main window), but owned by it.
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("secondWallWindow")
        self.setWindowTitle(self.tr("Camera wall 2 — {site}").format(site=services.site.site.name))
        self._settings = settings
        self.wall = CameraWall(services, bridge, self)
        self.wall.setObjectName("secondCameraWall")
        self.wall.video = video  # shares each camera's decoding with the main wall
        self.setCentralWidget(self.wall)
        self.interaction = WallInteraction(self.wall, services, actor, self, second_window=False)
        layout_menu = self.menuBar().addMenu(self.tr("Camera &layout"))
        for number, size in enumerate(LAYOUTS, start=1):
            action = QAction(self.tr("{n} tiles").format(n=size), self)
            action.setShortcut(QKeySequence(f"Ctrl+{number}"))
            action.triggered.connect(lambda _=False, s=size: self.wall.set_layout(s))
            layout_menu.addAction(action)
            self.addAction(action)
        self.restore()

    def show_camera(self, camera_id: str) -> None:
        """"Open in the second window": the camera to the front, the window up."""
        self.wall.show_cameras([camera_id])
        self.bring_up()

    def bring_up(self) -> None:
        self.show()
        if QApplication.platformName() != "offscreen":  # headless Qt warns that it cannot raise windows
            self.raise_()

    def save(self) -> None:
        s = self._settings
        s.setValue(f"{_KEY}/geometry", self.saveGeometry())
        s.setValue(f"{_KEY}/layout", self.wall.layout_size)
        s.setValue(f"{_KEY}/order", ",".join(self.wall.order))
        s.setValue(f"{_KEY}/open", self.isVisible())
        s.sync()

    def restore(self) -> None:
        s = self._settings
        geometry = s.value(f"{_KEY}/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 720)
            screens = QApplication.screens()
            if len(screens) > 1:  # first run: open on the second monitor
                self.move(screens[1].availableGeometry().topLeft())
        order = s.value(f"{_KEY}/order")
        layout = s.value(f"{_KEY}/layout")
        size = int(layout) if str(layout).isdigit() and int(str(layout)) in LAYOUTS else None
        cameras = [c for c in str(order).split(",") if c] if order else []
        if cameras or size is not None:
            self.wall.show_cameras(cameras, size)

    def was_open(self) -> bool:
        value = self._settings.value(f"{_KEY}/open")
        return str(value).lower() == "true"

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        super().closeEvent(event)
        self.sig_closed.emit()
