"""Motion in the console: boxes on the tiles (toggled per wall), sparkline, the zone editor, the demo path."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from argon2 import PasswordHasher
from PySide6.QtCore import QSettings, Qt
from pytestqt.qtbot import QtBot

from console.config import parse_site
from console.domain.roles import Role
from console.engine import Engine, services_of
from console.video.facade import MotionResult, Zone
from console.video.slot import FrameSlot
from widgets.app_window import build_window
from widgets.bridge import Bridge
from widgets.camera_wall import _STATUS_EVERY, CameraWall
from widgets.motion_zone_editor import MotionZoneEditor

DEMO_DIR = Path(__file__).resolve().parents[2] / "resources" / "demo"
SITE = """
[site]
name = "motion"
timezone = "Asia/Shanghai"

[[campuses]]
id = "east"
name = "East"

[[cameras]]
id = "cam-a"
name = "Gate A"
campus = "east"
main_url = "file:clips/east-gate-main.mp4"
sub_url = "file:clips/east-gate-sub.mp4"
{motion}

[[cameras]]
id = "cam-b"
name = "Lobby B"
campus = "east"
main_url = "file:clips/dorm3-lobby-main.mp4"
sub_url = "file:clips/dorm3-lobby-sub.mp4"
"""


class FakeVideo:
    """The slice of VideoFacade the wall and the editor use, with motion under the test's control."""

    def __init__(self) -> None:
        self.slots = {"cam-a": FrameSlot("a"), "cam-b": FrameSlot("b")}
        self.gray = FrameSlot("gray")
        self.result = MotionResult(True, 0.05, [(40, 60, 20, 40)])
        self.history = np.linspace(0, 0.05, 30).astype(np.float32)
        self.zones: list[Zone] = []
        self.saved: list[tuple[str, list[Zone], str]] = []

    def has_video(self, camera_id: str) -> bool:
        return camera_id in self.slots

    def slot(self, camera_id: str) -> FrameSlot | None:
        return self.slots.get(camera_id)

    def status(self, camera_id: str) -> None:
        return None

    def request(self, *args: object) -> str:
        return "sub"

    def release(self, camera_id: str) -> None:
        pass

    def has_motion(self, camera_id: str) -> bool:
        return camera_id == "cam-a"

    def motion(self, camera_id: str) -> MotionResult | None:
        return self.result if camera_id == "cam-a" else None

    def motion_history(self, camera_id: str) -> np.ndarray:
        return self.history

    def motion_rate(self) -> float:
        return 5.0

    def analysis_frame(self, camera_id: str) -> object:
        return self.gray.peek()

    def motion_zones(self, camera_id: str) -> list[Zone]:
        return list(self.zones)

    def save_motion_zones(self, camera_id: str, zones: list[Zone], session: object) -> None:
        self.saved.append((camera_id, list(zones), getattr(session, "username", "")))


@pytest.fixture
def fake_wall(qtbot: QtBot) -> Iterator[tuple[CameraWall, FakeVideo]]:
    site = parse_site(SITE.format(motion=""), "motion.toml")
    video = FakeVideo()
    video.gray.put(np.full((180, 320), 90, np.uint8))
    services = SimpleNamespace(site=site, alarms=SimpleNamespace(open_alarms=lambda: []), video=video)
    bridge = Bridge(SimpleNamespace(subscribe=lambda *a, **k: None, unsubscribe=lambda *a, **k: None))
    wall = CameraWall(services, bridge)  # type: ignore[arg-type]
    qtbot.addWidget(wall)
    wall.resize(800, 450)
    wall.set_layout(1)
    wall.show()
    qtbot.waitExposed(wall)
    yield wall, video
    wall.close()


def tick_status(wall: CameraWall) -> None:
    wall._ticks = _STATUS_EVERY - 1
    wall._on_tick()


def test_motion_boxes_are_drawn_on_the_tile_only_when_toggled(qtbot: QtBot, fake_wall) -> None:
    wall, video = fake_wall
    tile = wall.tile_for("cam-a")
    assert tile is not None
    video.slots["cam-a"].put(np.zeros((360, 640, 3), np.uint8))
    tick_status(wall)
    assert tile.motion == video.result and tile.motion_size == (320, 180)
    assert tile.activity is not None and len(tile.activity) == 30
    assert not tile.show_motion and tile.motion_rects() == []
    painted = tile.painted
    wall.set_show_motion(True)
    assert all(t.show_motion for t in wall.tiles)
    rects = tile.motion_rects()
    assert len(rects) == 1
    picture = tile._picture_rect(640, 360)
    scale = picture.width() / 320
    assert rects[0].width() == pytest.approx(20 * scale) and rects[0].left() == pytest.approx(
        picture.left() + 40 * scale)
    qtbot.waitUntil(lambda: tile.painted > painted or tile.painted >= 1, timeout=2000)
    tile.grab()  # paints boxes and sparkline without error
    menu = wall.tile_menu("cam-a")
    boxes, zones, chart = menu.actions()
    assert boxes.isChecked() and zones.isEnabled() and chart.isEnabled()
    boxes.trigger()
    assert not wall.show_motion and tile.motion_rects() == []
    assert not wall.tile_menu("cam-b").actions()[1].isEnabled()  # no motion analysis on cam-b
    with qtbot.waitSignal(wall.sig_edit_zones) as blocker:
        zones.trigger()
    assert blocker.args == ["cam-a"]


def click(qtbot: QtBot, editor: MotionZoneEditor, points: list[tuple[int, int]]) -> None:
    canvas = editor.canvas
    for p in points:
        qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=canvas.to_widget(p).toPoint())
    qtbot.mouseDClick(canvas, Qt.MouseButton.LeftButton, pos=canvas.to_widget(points[-1]).toPoint())


def session(role: Role = Role.ADMIN) -> SimpleNamespace:
    return SimpleNamespace(username="admin", can=lambda p: role is Role.ADMIN)


def test_the_zone_editor_draws_validates_and_saves_polygons(qtbot: QtBot, fake_wall) -> None:
    _, video = fake_wall
    editor = MotionZoneEditor(video, "cam-a", "Gate A", session(), None)  # type: ignore[arg-type]
    qtbot.addWidget(editor)
    editor.show()
    qtbot.waitExposed(editor)
    assert editor.frame_size == (320, 180)
    click(qtbot, editor, [(20, 20), (200, 20), (200, 150), (20, 150)])
    assert len(editor.zones) == 1
    zone = editor.zones[0]
    assert zone.kind == "include" and len(zone.points) == 4
    assert abs(zone.points[1][0] - 200) <= 1 and abs(zone.points[2][1] - 150) <= 1
    # a bow tie crosses itself: refused with a clear message, nothing added
    click(qtbot, editor, [(30, 30), (150, 120), (150, 30), (30, 120)])
    assert len(editor.zones) == 1 and "crosses itself" in editor.message.text()
    # settings of the selected zone: exclude, armed overnight
    editor.name.setText("fence")
    editor.name.editingFinished.emit()
    editor.kind.setCurrentIndex(1)
    editor.armed.setChecked(True)
    assert editor.zones[0].name == "fence" and editor.zones[0].kind == "exclude" and editor.zones[0].armed
    editor.kind.setCurrentIndex(0)
    editor.save()
    assert editor.saved and len(video.saved) == 1
    camera, zones, actor = video.saved[0]
    assert camera == "cam-a" and actor == "admin" and zones[0].name == "fence" and zones[0].armed


def test_a_viewer_may_look_but_not_save(qtbot: QtBot, fake_wall) -> None:
    _, video = fake_wall
    editor = MotionZoneEditor(video, "cam-a", "Gate A", session(Role.VIEWER), None)  # type: ignore[arg-type]
    qtbot.addWidget(editor)
    assert not editor.save_button.isEnabled()


@pytest.fixture
def motion_engine(data_dir: Path, fast_hasher: PasswordHasher) -> Iterator[Engine]:
    motion = "[cameras.motion]\nsensitivity = 1.5\n"
    engine = Engine(parse_site(SITE.format(motion=motion), "motion.toml"), data_dir,
                    accounts_hasher=fast_hasher, video=True, site_dir=DEMO_DIR)
    engine.start()
    yield engine
    engine.stop()


def test_live_motion_reaches_the_tiles_and_saved_zones_are_applied_and_audited(
    qtbot: QtBot, motion_engine: Engine, tmp_path: Path
) -> None:
    engine = motion_engine
    engine.accounts.create_first_admin("admin", "管理员", "admin-pass-1")
    admin = engine.accounts.login("admin", "admin-pass-1")
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    window = build_window(services_of(engine), admin, "en", settings=settings, audio=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    try:
        motion = engine.video.motion  # type: ignore[union-attr]
        assert motion is not None and motion.camera_ids() == ["cam-a"]
        tile = window.wall.tile_for("cam-a")
        qtbot.waitUntil(lambda: tile.activity is not None and len(tile.activity) >= 3, timeout=8000)
        window.motion_action.trigger()  # the View menu's M
        assert window.wall.show_motion and tile.show_motion
        window.wall.sig_edit_zones.emit("cam-a")
        editor = window.zone_editor
        qtbot.waitExposed(editor)
        click(qtbot, editor, [(10, 10), (300, 10), (300, 170), (10, 170)])
        assert len(editor.zones) == 1
        editor.save()
        assert editor.saved
        assert [z.name for z in motion.zones("cam-a")] == [editor_zone.name for editor_zone in editor.zones]
        saved = json.loads(engine.motion_zones_path("cam-a").read_text("utf-8"))
        assert saved["zones"][0]["name"] == "zone-1"
        engine.store.submit(lambda tx: None).result(5)
        conn = engine.store.reader()
        try:
            row = conn.execute("SELECT actor, target FROM audit WHERE action = 'config_change' "
                               "ORDER BY id DESC LIMIT 1").fetchone()
        finally:
            conn.close()
        assert tuple(row) == ("admin", "motion-zones:cam-a")
    finally:
        window.close()
