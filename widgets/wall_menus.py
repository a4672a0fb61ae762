"""The wall's extras in the main window: tours, named custom layouts, tile interaction, the second window.

``WallExtras`` is built by the main window after its menus; it adds its own menus and actions (through the
window's guarded ``_action`` so locking disables them) and saves its state when the window closes."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSettings
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QInputDialog, QMenu

from console.video.tours import Tour

from .camera_wall import LAYOUTS, CameraWall
from .ptz_pad import PtzWallHook
from .second_window import SecondWallWindow
from .wall_interaction import WallInteraction
from .wall_tours import WallTourDriver, load_tours
from .wall_video_share import SharedVideo

if TYPE_CHECKING:
    from .main_window import MainWindow

LAYOUTS_KEY = "wall/custom_layouts"


def load_custom_layouts(settings: QSettings) -> dict[str, tuple[int, list[str]]]:
    """Named layouts: name → (tile count, camera order). Broken entries are skipped."""
    raw = settings.value(LAYOUTS_KEY)
    try:
        data = json.loads(raw) if isinstance(raw, str) and raw else {}
    except json.JSONDecodeError:
        return {}
    out: dict[str, tuple[int, list[str]]] = {}
    if isinstance(data, dict):
        for name, item in data.items():
            if not isinstance(item, dict) or item.get("layout") not in LAYOUTS:
                continue
            if isinstance(item.get("order"), list) and all(isinstance(c, str) for c in item["order"]):
                out[str(name)] = (int(item["layout"]), list(item["order"]))
    return out


def save_custom_layouts(settings: QSettings, layouts: dict[str, tuple[int, list[str]]]) -> None:
    data = {name: {"layout": size, "order": order} for name, (size, order) in layouts.items()}
    settings.setValue(LAYOUTS_KEY, json.dumps(data, ensure_ascii=False))


class WallExtras(QObject):
    def __init__(self, window: MainWindow, settings: QSettings) -> None:
        super().__init__(window)
        self.window = window
        self.settings = settings
        wall: CameraWall = window.wall
        services = window.services
        self.share = SharedVideo(wall.video) if wall.video is not None else None
        if self.share is not None:
            wall.video = self.share.view()  # type: ignore[assignment]
        actor = lambda: window.session.username  # noqa: E731
        self.interaction = WallInteraction(wall, services, actor, self)
        self.interaction.sig_message.connect(window.show_message)
        self.second = SecondWallWindow(services, window.bridge, settings,
                                       self.share.view() if self.share else None, actor, window)
        self.second.interaction.sig_message.connect(window.show_message)
        self.interaction.sig_open_elsewhere.connect(self.second.show_camera)
        self.tours = WallTourDriver(wall, services, window.bridge, self)
        self.tours.sig_state_changed.connect(self._on_tour_state)
        self.custom_layouts = load_custom_layouts(settings)
        self.ptz: PtzWallHook | None = None
        if getattr(services, "onvif", None) is not None:  # PTZ pad on a maximised PTZ tile, and in its menu
            self.ptz = PtzWallHook(wall, services.onvif, lambda: window.session,
                                   lambda c: getattr(services.site.device(c), "name", c), self)
            self.ptz.sig_message.connect(window.show_message)
            self.interaction.menu_hooks.append(self.ptz.add_menu_entry)
        self._build_menus()
        if self.second.was_open():
            self.second.show()

    # -- menus -----------------------------------------------------------------------------------------
    def _build_menus(self) -> None:
        w = self.window
        menu = QMenu(self.tr("&Wall"), w)
        menu.setObjectName("wallMenu")
        actions = w.menuBar().actions()
        w.menuBar().insertMenu(actions[-1], menu) if actions else w.menuBar().addMenu(menu)  # before Help
        self.second_action = w._action(self.tr("&Second wall window"), "F7", self.toggle_second)
        menu.addAction(self.second_action)
        self.tour_menu = menu.addMenu(self.tr("&Tours"))
        self.tour_menu.setObjectName("tourMenu")
        self.tour_group = QActionGroup(self)
        self.stop_tour_action = w._action(self.tr("Stop tour"), None, self.tours.stop)
        self.tour_toggle_action = w._action(self.tr("Start or stop the tour"), "F8", self.toggle_tour)
        self.layouts_menu = menu.addMenu(self.tr("Saved &layouts"))
        self.layouts_menu.setObjectName("savedLayoutsMenu")
        self.save_layout_action = w._action(self.tr("Save layout as…"), None, self.ask_save_layout)
        self._fill_tour_menu()
        self._fill_layouts_menu()

    def _fill_tour_menu(self) -> None:
        self.tour_menu.clear()
        for action in self.tour_group.actions():
            self.tour_group.removeAction(action)
        tours, problems = load_tours(self.settings, list(self.window.wall.order))
        self.available_tours = tours
        for tour in tours:
            action = QAction(tour.name, self)
            action.setCheckable(True)
            action.triggered.connect(lambda _=False, t=tour: self.start_tour(t))
            self.tour_group.addAction(action)  # (an action has one group: the menu bar's lock disables it)
            self.tour_menu.addAction(action)
        self.tour_menu.addSeparator()
        self.tour_menu.addActions([self.tour_toggle_action, self.stop_tour_action])
        for problem in problems:
            self.window.show_message(problem)

    def _fill_layouts_menu(self) -> None:
        self.layouts_menu.clear()
        self.layouts_menu.addAction(self.save_layout_action)
        if self.custom_layouts:
            self.layouts_menu.addSeparator()
        for name in sorted(self.custom_layouts):
            action = QAction(name, self)
            action.triggered.connect(lambda _=False, n=name: self.restore_layout(n))
            self.window.guarded.addAction(action)
            self.layouts_menu.addAction(action)

    # -- behaviour -------------------------------------------------------------------------------------
    def toggle_second(self) -> None:
        if self.second.isVisible():
            self.second.close()
        else:
            self.second.bring_up()

    def start_tour(self, tour: Tour) -> None:
        self.tours.start(tour)

    def toggle_tour(self) -> None:
        if self.tours.running:
            self.tours.stop()
        elif self.available_tours:
            self.tours.start(self.available_tours[0])

    def _on_tour_state(self, name: str) -> None:
        for action in self.tour_group.actions():
            action.setChecked(action.text() == name)
        if not name:
            self.window.show_message(self.tr("Tour stopped"))
        elif self.tours.paused:
            text = self.tr("Tour {name} paused: an alarm needs attention")
            self.window.show_message(text.format(name=name))
        else:
            self.window.show_message(self.tr("Tour {name} running").format(name=name))

    def save_layout(self, name: str) -> None:
        wall = self.window.wall
        self.custom_layouts[name] = (wall.layout_size, list(wall.order[: wall.layout_size]))
        save_custom_layouts(self.settings, self.custom_layouts)
        self.settings.sync()
        self._fill_layouts_menu()

    def restore_layout(self, name: str) -> None:
        size, order = self.custom_layouts[name]
        self.window.wall.show_cameras(order, size)

    def ask_save_layout(self) -> None:
        name, ok = QInputDialog.getText(self.window, self.tr("Save layout"), self.tr("Name of this layout:"))
        if ok and name.strip():
            self.save_layout(name.strip())

    def set_locked(self, locked: bool) -> None:
        """The console is locked: the second monitor keeps showing video (and a running tour goes on) but
        takes no input."""
        self.second.setEnabled(not locked)
        self.tour_group.setEnabled(not locked)
        if self.ptz is not None:
            self.ptz.set_locked(locked)

    def save(self) -> None:
        self.second.save()

    def shutdown(self) -> None:
        if self.ptz is not None:
            self.ptz.shutdown()
        self.tours.stop()
        self.save()
        self.second.close()

    def menu(self) -> QMenu:
        return self.tour_menu
