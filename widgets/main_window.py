"""The main window: the camera wall in the centre, docks for alarms, devices and events, menus and keys."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence, QResizeEvent
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMessageBox, QWidget

from console.domain.roles import Permission
from console.domain.session import Session
from console.services.facade import ConsoleServices

from .alarm_panel import AlarmPanel
from .bridge import Bridge
from .camera_wall import LAYOUTS, CameraWall
from .device_tree import DeviceTree
from .event_log import EventLog
from .fire_board import FireBoardView
from .gate_log import GateLogView
from .lock_screen import LockScreen
from .sound import AlarmSounder
from .status_bar import StatusPanel
from .wall_menus import WallExtras

ORGANISATION = "CampusConsole"
APPLICATION = "campus-console"


class MainWindow(QMainWindow):
    """Owns the bridge and every view; ``settings`` defaults to the user's QSettings (tests pass theirs)."""

    def __init__(
        self,
        services: ConsoleServices,
        session: Session,
        *,
        settings: QSettings | None = None,
        audio: bool | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.services = services
        self.session = session
        self._settings = settings if settings is not None else QSettings(ORGANISATION, APPLICATION)
        self.setWindowTitle(self.tr("Campus Console — {site}").format(site=services.site.site.name))
        # Subscribe before the views read their first state: anything committed in between is queued, and
        # every view treats a repeat as an update, so nothing falls in the gap.
        self.bridge = Bridge(services.bus, self)
        self.bridge.start()
        self.wall = CameraWall(services, self.bridge, self)
        self.setCentralWidget(self.wall)
        self.alarm_panel = AlarmPanel(services, session, self.bridge, self)
        self.device_tree = DeviceTree(services, self.bridge, self)
        self.event_log = EventLog(services, self.bridge, self)
        self.alarm_dock = self._dock(
            "alarmDock", self.tr("Alarms"), self.alarm_panel, Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.device_dock = self._dock(
            "deviceDock", self.tr("Devices"), self.device_tree, Qt.DockWidgetArea.LeftDockWidgetArea
        )
        self.event_dock = self._dock(
            "eventDock", self.tr("Events"), self.event_log, Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self.gate_log = GateLogView(services, session, self.bridge, self)
        self.gate_dock = self._dock(
            "gateDock", self.tr("Gate log"), self.gate_log, Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self.tabifyDockWidget(self.event_dock, self.gate_dock)
        self.event_dock.raise_()
        self.gate_log.sig_show_cameras.connect(self._show_gate_cameras)
        self.gate_log.sig_message.connect(self.show_message)
        self.fire_board = FireBoardView(services, session, self.bridge, self)
        self.fire_dock = self._dock(
            "fireDock", self.tr("Fire board"), self.fire_board, Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.tabifyDockWidget(self.alarm_dock, self.fire_dock)
        self.alarm_dock.raise_()
        self.fire_board.sig_show_cameras.connect(self._show_linked_cameras)
        self.fire_board.sig_message.connect(self.show_message)
        self.status_panel = StatusPanel(services, session, self.bridge, self)
        self.statusBar().addPermanentWidget(self.status_panel)
        self.sounder = AlarmSounder(services, self.bridge, self, audio=audio)
        self.lock_screen = LockScreen(services.accounts, session, self)
        self.lock_screen.sig_unlocked.connect(self._on_unlocked)
        self.alarm_panel.sig_message.connect(self.show_message)
        # Everything an officer can do goes into one group, so locking disables it all in one switch.
        self.guarded = QActionGroup(self)
        self.guarded.setExclusionPolicy(QActionGroup.ExclusionPolicy.None_)
        self.zone_editor: QWidget | None = None  # the motion zone editor last opened (modeless)
        self._build_menus()
        self.wall_extras = WallExtras(self, self._settings)  # tours, saved layouts, tile menu, second window
        self._restore_settings()

    def _dock(self, name: str, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)  # saveState() needs it to remember the dock
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _action(self, text: str, shortcut: str | QKeySequence.StandardKey | None, slot: object) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        self.guarded.addAction(action)
        self.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu(self.tr("&File"))
        self.lock_action = self._action(self.tr("&Lock screen"), "Ctrl+L", self.lock)
        self.quit_action = self._action(self.tr("&Quit"), "Ctrl+Q", self.close)
        self.add_camera_action = self._action(self.tr("Add ONVIF camera…"), None, self.add_onvif_camera)
        self.add_camera_action.setObjectName("addOnvifCamera")
        self.add_camera_action.setVisible(getattr(self.services, "onvif", None) is not None
                                          and self.session.can(Permission.EDIT_CONFIG))  # administrators
        file_menu.addActions([self.add_camera_action, self.lock_action, self.quit_action])
        view_menu = bar.addMenu(self.tr("&View"))
        for dock in (self.alarm_dock, self.device_dock, self.event_dock, self.gate_dock):
            view_menu.addAction(dock.toggleViewAction())
        view_menu.addAction(self._action(self.tr("F&ire board"), "F6", self.show_fire_board))
        self.gate_lists_action = self._action(self.tr("Deny / allow &lists…"), None, self.show_gate_lists)
        view_menu.addAction(self.gate_lists_action)
        view_menu.addSeparator()
        layout_menu = view_menu.addMenu(self.tr("Camera &layout"))
        for number, size in enumerate(LAYOUTS, start=1):
            layout_menu.addAction(
                self._action(
                    self.tr("{n} tiles").format(n=size),
                    f"Ctrl+{number}",
                    lambda _=False, s=size: self.wall.set_layout(s),
                )
            )
        view_menu.addAction(self._action(self.tr("&Full screen"), "F11", self._toggle_full_screen))
        self._build_motion_menu()
        alarm_menu = bar.addMenu(self.tr("&Alarm"))
        for key in ("acknowledge", "start", "close", "silence"):
            action = self.alarm_panel.actions[key]
            self.guarded.addAction(action)
            self.addAction(action)
            alarm_menu.addAction(action)
        help_menu = bar.addMenu(self.tr("&Help"))
        help_menu.addAction(self._action(self.tr("&About"), None, self.about))

    def _build_motion_menu(self) -> None:
        """Motion: the boxes toggle (M) and, per analysed camera, its zone editor and activity chart."""
        motion_menu = self.menuBar().addMenu(self.tr("&Motion"))
        self.motion_menu = motion_menu
        self.motion_action = self._action(self.tr("Show &motion boxes"), "M", self.wall.set_show_motion)
        self.motion_action.setCheckable(True)
        self.motion_action.setChecked(self.wall.show_motion)
        self.wall.sig_show_motion_changed.connect(self.motion_action.setChecked)
        motion_menu.addAction(self.motion_action)
        self.wall.sig_edit_zones.connect(self.edit_motion_zones)
        self.wall.sig_motion_detail.connect(self.show_motion_activity)
        cameras = [c for c in self.services.site.cameras if self.wall.has_motion(c.id)]
        zones_menu = motion_menu.addMenu(self.tr("Motion &zones"))
        chart_menu = motion_menu.addMenu(self.tr("Motion &activity"))
        for camera in cameras:
            zones_menu.addAction(self._action(camera.name, None,
                                              lambda _=False, c=camera.id: self.edit_motion_zones(c)))
            chart_menu.addAction(self._action(camera.name, None,
                                              lambda _=False, c=camera.id: self.show_motion_activity(c)))
        zones_menu.setEnabled(bool(cameras))
        chart_menu.setEnabled(bool(cameras))

    # -- behaviour ----------------------------------------------------------------------------------
    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 10_000)

    def add_onvif_camera(self) -> QWidget | None:
        """The add-camera wizard (modeless; the façade checks the administrator's permission again)."""
        from .onvif_wizard import ask_add_camera

        onvif = getattr(self.services, "onvif", None)
        return ask_add_camera(onvif, self.session, self) if onvif is not None else None

    def show_fire_board(self) -> None:
        self.fire_dock.show()
        self.fire_dock.raise_()

    def edit_motion_zones(self, camera_id: str) -> None:
        """The zone editor for one camera, on its newest analysis frame (modeless: video keeps running)."""
        from .motion_zone_editor import MotionZoneEditor

        video = self.services.video
        camera = self.services.site.device(camera_id)
        if video is None or camera is None or not video.has_motion(camera_id):
            return
        editor = MotionZoneEditor(video, camera_id, camera.name, self.session, self)
        editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        editor.accepted.connect(lambda: self.show_message(
            self.tr("Motion zones of {camera} saved").format(camera=camera.name)))
        self.zone_editor = editor
        editor.show()

    def show_motion_activity(self, camera_id: str) -> None:
        from .motion_activity import MotionActivity

        video = self.services.video
        camera = self.services.site.device(camera_id)
        if video is None or camera is None:
            return
        dialog = MotionActivity(video, camera_id, camera.name, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()

    def show_gate_lists(self) -> None:
        from .gate_lists_dialog import GateListsDialog

        services = self.services
        dialog = GateListsDialog(services.gate_lists, self.session, self.gate_log.executor,
                                 services.site.site.timezone, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()

    def _show_gate_cameras(self, camera_ids: list[str]) -> None:
        """Gate log: the row's door camera to the front, alone and large when there is just one (live)."""
        wall = self.wall
        if len(camera_ids) != 1:
            self._show_linked_cameras(camera_ids)
        elif wall.maximised != camera_ids[0]:
            if wall.maximised is not None:
                wall.toggle_single(wall.maximised)  # back to the grid first, so Esc returns to it
            self._show_linked_cameras(camera_ids)
            wall.toggle_single(camera_ids[0])

    def _show_linked_cameras(self, camera_ids: list[str]) -> None:
        """Fire board linkage: the selected entry's cameras to the front of the wall."""
        show = getattr(self.wall, "show_cameras", None)  # the wall's public call, from the camera-wall work
        if show is not None:
            show(camera_ids)

    def lock(self) -> None:
        """Hide everything behind the lock screen; audited by the accounts service. Alarms keep sounding."""
        self.guarded.setEnabled(False)
        self.menuBar().setEnabled(False)
        for widget in (self.wall, self.alarm_dock, self.device_dock, self.event_dock, self.gate_dock,
                       self.fire_dock):
            widget.setEnabled(False)  # nor can Tab reach them behind the overlay
        self.wall_extras.set_locked(True)
        self.lock_screen.lock()

    def _on_unlocked(self, username: str) -> None:
        self.guarded.setEnabled(True)
        self.menuBar().setEnabled(True)
        for widget in (self.wall, self.alarm_dock, self.device_dock, self.event_dock, self.gate_dock,
                       self.fire_dock):
            widget.setEnabled(True)
        self.wall_extras.set_locked(False)
        self.alarm_panel.refresh_actions()
        self.gate_log.reload()  # rows that came in while locked were masked
        self.show_message(self.tr("Unlocked by {user}").format(user=username))

    def _toggle_full_screen(self) -> None:
        self.showNormal() if self.isFullScreen() else self.showFullScreen()

    def about(self) -> None:
        QMessageBox.about(
            self,
            self.tr("About Campus Console"),
            self.tr(
                "Campus Console — the duty officers' workstation of the campus security monitoring centre."
            ),
        )

    # -- Qt overrides -------------------------------------------------------------------------------
    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self.lock_screen.setGeometry(self.rect())

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        if self.lock_screen.locked and event.spontaneous():
            event.ignore()  # a locked console is not closed from the window manager by whoever walks by
            return
        self.wall_extras.shutdown()
        self._save_settings()
        self.bridge.stop()
        self.status_panel.stop()
        self.sounder.stop()
        self.alarm_panel.shutdown()
        self.fire_board.shutdown()
        self.gate_log.shutdown()
        super().closeEvent(event)

    def _save_settings(self) -> None:
        s = self._settings
        s.setValue("main_window/geometry", self.saveGeometry())
        s.setValue("main_window/state", self.saveState())
        s.setValue("wall/layout", self.wall.layout_size)
        s.sync()

    def _restore_settings(self) -> None:
        s = self._settings
        geometry = s.value("main_window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1600, 900)
            # First run: room for the alarm list's place column, a narrow device tree, a short event/gate log.
            self.resizeDocks([self.alarm_dock, self.device_dock], [560, 260], Qt.Orientation.Horizontal)
            self.resizeDocks([self.event_dock], [250], Qt.Orientation.Vertical)
        state = s.value("main_window/state")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state)
        layout = s.value("wall/layout")
        if layout is not None and int(layout) in LAYOUTS:
            self.wall.set_layout(int(layout))
