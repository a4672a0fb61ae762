"""Tiles: cameras dropped from the device tree, tiles swapped, the context menu (snapshot audited, maximise,
second window), named layouts and the second wall window restored on restart."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QSettings, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from console.video.slot import FrameSlot
from widgets.device_tree import DEVICE_ROLE
from widgets.main_window import MainWindow
from widgets.wall_dnd import CAMERA_MIME, camera_mime, camera_of
from widgets.wall_menus import load_custom_layouts

from .conftest import Console, MakeWindow


def drop(window: MainWindow, index: int, camera_id: str, from_tile: int | None = None) -> None:
    tile = window.wall.tiles[index]
    mime = camera_mime(camera_id, from_tile, id(window.wall))
    # Qt delivers drops only to a widget the drag entered: enter first, as a real drag would.
    enter = QDragEnterEvent(tile.rect().center(), Qt.DropAction.MoveAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(tile, enter)
    assert enter.isAccepted()
    event = QDropEvent(QPointF(tile.rect().center()), Qt.DropAction.MoveAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(tile, event)
    assert event.isAccepted()


def test_a_camera_dragged_from_the_device_tree_lands_on_the_tile(make_window: MakeWindow) -> None:
    window = make_window()
    tree, wall = window.device_tree, window.wall
    wall.set_layout(4)
    item = tree.item_for("cam-canteen")
    assert item is not None and item.flags() & Qt.ItemFlag.ItemIsDragEnabled
    mime = tree.mimeData([item])
    assert mime is not None and camera_of(mime) == "cam-canteen" and CAMERA_MIME in tree.mimeTypes()
    others = [i for i in tree._items.values() if i.data(0, DEVICE_ROLE) not in tree._camera_ids]
    assert others and tree.mimeData(others[:1]) is None  # a fire panel is no picture
    before = list(wall.visible_camera_ids())
    assert "cam-canteen" not in before  # five cameras, four tiles
    drop(window, 2, "cam-canteen")
    assert wall.visible_camera_ids()[2] == "cam-canteen"
    assert wall.tiles[2].camera is not None and wall.tiles[2].camera.id == "cam-canteen"
    assert before[2] not in wall.visible_camera_ids()  # the one it replaced went where canteen was


def test_dragging_a_tile_onto_another_swaps_them(make_window: MakeWindow) -> None:
    window = make_window()
    wall = window.wall
    wall.set_layout(4)
    first, third = wall.visible_camera_ids()[0], wall.visible_camera_ids()[2]
    drop(window, 2, first, from_tile=0)
    assert wall.visible_camera_ids()[0] == third and wall.visible_camera_ids()[2] == first
    # Onto an empty tile of a large layout: the camera moves there, its old tile goes empty.
    wall.set_layout(9)
    drop(window, 8, third, from_tile=0)
    assert wall.tiles[8].camera.id == third and wall.tiles[0].camera is None


def test_snapshot_is_a_png_in_the_data_directory_and_audited(
    qtbot: QtBot, make_window: MakeWindow, console: Console
) -> None:
    window = make_window()
    wall = window.wall
    tile = wall.tiles[0]
    camera_id = tile.camera.id
    menu = window.wall_extras.interaction.menu_for(0)
    names = [a.objectName() for a in menu.actions() if not a.isSeparator()]
    assert names[:3] == ["snapshot", "maximise", "openSecond"] and "showMotion" in names
    menu.actions()[0].trigger()  # no picture yet: says so, saves nothing
    assert not (console.engine.data_dir / "snapshots").exists()
    slot = FrameSlot()
    image = np.zeros((90, 160, 3), np.uint8)
    image[:, :80] = (255, 0, 0)
    slot.put(image)
    tile.set_frame(slot.take())
    path = window.wall_extras.interaction.snapshot(0)
    assert path is not None and path.parent == console.engine.data_dir / "snapshots"
    saved = QImage(str(path))
    assert (saved.width(), saved.height()) == (160, 90) and saved.pixelColor(10, 10).red() == 255

    def audited() -> list[tuple[str, str, str]]:
        conn = console.engine.store.reader()
        try:
            sql = "SELECT actor, action, target FROM audit WHERE action = 'snapshot'"
            return [tuple(r) for r in conn.execute(sql)]
        finally:
            conn.close()

    qtbot.waitUntil(lambda: audited() == [("ops", "snapshot", camera_id)], timeout=5000)


def test_the_menu_maximises_and_opens_in_the_second_window(make_window: MakeWindow) -> None:
    window = make_window()
    wall, second = window.wall, window.wall_extras.second
    camera_id = wall.tiles[1].camera.id
    actions = {a.objectName(): a for a in window.wall_extras.interaction.menu_for(1).actions()}
    actions["maximise"].trigger()
    assert wall.maximised == camera_id and wall.layout_size == 1
    actions = {a.objectName(): a for a in window.wall_extras.interaction.menu_for(0).actions()}
    actions["maximise"].trigger()
    assert wall.maximised is None
    assert not second.isVisible()
    actions = {a.objectName(): a for a in window.wall_extras.interaction.menu_for(0).actions()}
    actions["openSecond"].trigger()
    assert second.isVisible() and second.wall.visible_camera_ids()[0] == wall.tiles[0].camera.id


def test_named_layouts_and_the_second_window_are_restored_on_restart(
    qtbot: QtBot, make_window: MakeWindow, settings: QSettings
) -> None:
    window = make_window()
    wall = window.wall
    wall.set_layout(4)
    drop(window, 0, "cam-canteen")
    window.wall_extras.save_layout("canteen first")
    wall.set_layout(9)
    second = window.wall_extras.second
    window.wall_extras.toggle_second()
    assert second.isVisible()
    second.wall.show_cameras(["cam-lab", "cam-dorm"], 4)
    window.close()
    assert load_custom_layouts(settings)["canteen first"][0] == 4

    again = make_window()
    second = again.wall_extras.second
    assert second.isVisible()
    assert second.wall.layout_size == 4 and second.wall.visible_camera_ids()[:2] == ["cam-lab", "cam-dorm"]
    names = [a.text() for a in again.wall_extras.layouts_menu.actions()]
    assert "canteen first" in names
    again.wall_extras.restore_layout("canteen first")
    assert again.wall.layout_size == 4 and again.wall.visible_camera_ids()[0] == "cam-canteen"
    second.close()
    again.close()
    third = make_window()
    assert not third.wall_extras.second.isVisible()  # closed by the officer: stays closed


def test_tours_are_in_the_wall_menu(make_window: MakeWindow) -> None:
    window = make_window()
    extras = window.wall_extras
    names = [a.text() for a in extras.tour_group.actions()]
    assert names == ["all cameras"]
    extras.tour_toggle_action.trigger()
    assert extras.tours.running == "all cameras" and window.wall.layout_size == 1
    assert extras.tour_group.actions()[0].isChecked()
    extras.stop_tour_action.trigger()
    assert extras.tours.running == "" and not extras.tour_group.actions()[0].isChecked()


def test_locking_the_console_disables_the_second_window(make_window: MakeWindow) -> None:
    window = make_window()
    second = window.wall_extras.second
    window.wall_extras.toggle_second()
    window.lock()
    assert not second.isEnabled() and not window.wall_extras.tour_group.isEnabled()
    window._on_unlocked("ops")
    assert second.isEnabled() and window.wall_extras.tour_group.isEnabled()
