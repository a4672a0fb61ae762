"""The camera wall with live video: frames painted without copies, one timer, layouts, maximise, states."""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import PySide6
import pytest
from argon2 import PasswordHasher
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from console.bus import Bus
from console.config import Site, parse_site
from console.domain.events import HealthState
from console.engine import Engine, services_of
from console.video.engine import VideoEngine
from console.video.status import Backoff, WorkerConfig
from widgets.app_window import build_window
from widgets.bridge import Bridge
from widgets.camera_wall import LAYOUTS, CameraWall, layout_cells

DEMO_DIR = Path(__file__).resolve().parents[2] / "resources" / "demo"
CLIPS = ("east-gate", "dorm3-lobby", "canteen", "library", "lab-b", "west-gate", "stadium", "dorm3-corridor")
CONFIG = WorkerConfig(open_timeout_s=2, read_timeout_s=2, backoff=Backoff(initial_s=0.2, max_s=1))


def site_text(extra: str = "") -> str:
    cameras = "".join(
        f'\n[[cameras]]\nid = "cam-{name}"\nname = "{name}"\ncampus = "east"\nlocation = "{name} place"\n'
        f'main_url = "file:clips/{name}-main.mp4"\nsub_url = "file:clips/{name}-sub.mp4"\n'
        for name in CLIPS
    )
    head = '[site]\nname = "视频测试"\ntimezone = "Asia/Shanghai"\n\n'
    return head + '[[campuses]]\nid = "east"\nname = "东校区"\n' + cameras + extra


MISSING = ('\n[[cameras]]\nid = "cam-missing"\nname = "missing"\ncampus = "east"\n'
           'main_url = "file:clips/no.mp4"\n')


def none_references_dropped_by_qt(calls: int = 1000) -> int:
    """How many references to None ``calls`` void Qt calls lose (0 for a sound binding)."""
    widget = QWidget()
    before = sys.getrefcount(None)
    for _ in range(calls):
        widget.update()
    return before - sys.getrefcount(None)


def test_the_qt_binding_keeps_the_reference_count_of_none(qapp: object) -> None:
    """PySide6 6.12.0 on Python 3.11 drops one reference to None per call of a void method (update(),
    setPen(), drawImage(), ...). A wall painting 25 frames a second in nine tiles makes thousands of such
    calls a second, so None's count reaches zero within seconds and the interpreter aborts ("none_dealloc").
    Python 3.12 made None immortal, and PySide6 6.11 does not have the bug: run either."""
    lost = none_references_dropped_by_qt()
    assert lost == 0, (
        f"PySide6 {PySide6.__version__} on Python {sys.version.split()[0]} drops a reference to None "
        f"on every void call ({lost} per 1000): the live wall would crash the console within seconds"
    )


@pytest.fixture(autouse=True)
def _keep_none_alive() -> Iterator[None]:
    """Harness guard, not a fix: give None back what a leaking binding took during a test, so one platform
    bug (reported by the test above) cannot abort the whole test session halfway."""
    before = sys.getrefcount(None)
    yield
    lost = before - sys.getrefcount(None)
    if lost > 0 and sys.version_info < (3, 12):
        ctypes.c_ssize_t.from_address(id(None)).value += lost


@pytest.fixture
def site() -> Site:
    return parse_site(site_text(MISSING), "video-site.toml")


@pytest.fixture
def video(site: Site) -> Iterator[VideoEngine]:
    engine = VideoEngine(site.cameras, base_dir=DEMO_DIR, config=CONFIG)
    engine.start()
    yield engine
    engine.stop()


@pytest.fixture
def wall(qtbot: QtBot, site: Site, video: VideoEngine) -> Iterator[CameraWall]:
    alarms = SimpleNamespace(open_alarms=lambda: [])
    services = SimpleNamespace(site=site, alarms=alarms, video=video.facade())
    wall = CameraWall(services, Bridge(Bus()))  # type: ignore[arg-type]
    qtbot.addWidget(wall)
    wall.resize(960, 540)
    wall.show()
    qtbot.waitExposed(wall)
    yield wall
    wall.close()


def test_frames_are_painted_and_the_overlay_tells_the_state(qtbot: QtBot, wall: CameraWall) -> None:
    tile = wall.tile_for("cam-stadium")
    assert tile is not None
    qtbot.waitUntil(lambda: tile.painted >= 10, timeout=5000)
    assert tile.state == ""  # live: no state line over the picture
    qtbot.waitUntil(lambda: tile.fps > 15, timeout=3000)
    missing = wall.tile_for("cam-missing")
    qtbot.waitUntil(lambda: missing.state == "Offline: not found", timeout=3000)
    assert missing.qimage() is None and missing.painted == 0


def test_the_qimage_wraps_the_workers_array_without_a_copy(qtbot: QtBot, wall: CameraWall) -> None:
    tile = wall.tile_for("cam-east-gate")
    qtbot.waitUntil(lambda: tile.painted >= 1, timeout=5000)
    array = tile._frame.image  # the very array the worker put in the slot
    image = tile.qimage()
    assert image is not None and (image.width(), image.height()) == (array.shape[1], array.shape[0])
    assert np.frombuffer(image.constBits(), np.uint8).ctypes.data == array.ctypes.data
    assert image.bytesPerLine() == array.strides[0]
    # The frame was decoded at the tile's size, not the camera's (a 3×3 grid of a 960×540 wall).
    assert array.shape[1] <= tile.width() and array.shape[0] <= tile.height()


def test_one_display_timer_serves_the_whole_wall_and_hidden_tiles_cost_nothing(
    qtbot: QtBot, wall: CameraWall, video: VideoEngine
) -> None:
    timers = [t for t in wall.findChildren(QTimer) if t.objectName() == "wallDisplayTimer"]
    assert len(timers) == 1 and timers[0].isActive() and timers[0].interval() <= 40
    assert len(wall.findChildren(QTimer)) == 2  # the display timer and the resize debounce, nothing per tile
    qtbot.waitUntil(lambda: video.workers["cam-library"].slot.stats().decoded > 0, timeout=5000)
    wall.set_layout(1)  # only the first camera stays visible
    shown = wall.visible_camera_ids()[0]
    qtbot.waitUntil(lambda: video.workers["cam-library"]._target == (0, 0), timeout=2000)
    qtbot.wait(100)  # a frame already being converted when the request changed may still land
    before = video.workers["cam-library"].slot.stats().decoded
    qtbot.wait(500)
    assert video.workers["cam-library"].slot.stats().decoded == before  # no RGB frames for a hidden tile
    assert video.workers[shown]._target != (0, 0)


def test_every_layout_builds_up_to_64_tiles(qtbot: QtBot, wall: CameraWall) -> None:
    for size in LAYOUTS:
        wall.set_layout(size)
        visible = [t for t in wall.tiles if t.isVisibleTo(wall)]
        assert len(visible) == size and len(layout_cells(size)) == size
    assert sum(t.camera is not None for t in wall.tiles[:64]) == len(CLIPS) + 1
    qtbot.waitUntil(lambda: wall.tiles[0].painted >= 1, timeout=5000)  # tiny tiles still get pictures
    wall.set_layout(6)
    big, small = wall.tiles[0], wall.tiles[1]
    qtbot.waitUntil(lambda: big.width() > 1.8 * small.width(), timeout=2000)


def test_double_click_maximises_on_the_main_stream_and_escape_returns(
    qtbot: QtBot, wall: CameraWall, video: VideoEngine
) -> None:
    worker = video.workers["cam-canteen"]
    tile = wall.tile_for("cam-canteen")
    qtbot.waitUntil(lambda: worker.native_size == (320, 180), timeout=5000)  # small tile: the sub stream
    qtbot.mouseDClick(tile, Qt.MouseButton.LeftButton)
    assert wall.maximised == "cam-canteen" and wall.layout_size == 1
    qtbot.waitUntil(lambda: worker.native_size == (640, 360), timeout=5000)
    tile = wall.tile_for("cam-canteen")
    qtbot.waitUntil(lambda: tile._frame is not None and tile._frame.width > 320, timeout=3000)
    qtbot.keyClick(tile, Qt.Key.Key_Escape)
    assert wall.maximised is None and wall.layout_size == 9
    qtbot.waitUntil(lambda: worker.stream == "sub", timeout=2000)
    tile = wall.tile_for("cam-library")
    tile.setFocus()
    qtbot.keyClick(tile, Qt.Key.Key_Return)
    assert wall.maximised == "cam-library"
    qtbot.waitUntil(lambda: video.workers["cam-library"].stream == "main", timeout=2000)


@pytest.fixture
def engine(data_dir: Path, fast_hasher: PasswordHasher) -> Iterator[Engine]:
    engine = Engine(parse_site(site_text(), "video-site.toml"), data_dir, accounts_hasher=fast_hasher,
                    video=True, site_dir=DEMO_DIR)
    engine.start()
    yield engine
    engine.stop()


def test_the_main_window_shows_live_video_and_cameras_report_online(
    qtbot: QtBot, engine: Engine, tmp_path: Path
) -> None:
    engine.accounts.create_first_admin("admin", "管理员", "admin-pass-1")
    session = engine.accounts.login("admin", "admin-pass-1")
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    window = build_window(services_of(engine), session, "en", settings=settings, audio=False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    try:
        tile = window.wall.tile_for("cam-west-gate")
        qtbot.waitUntil(lambda: tile.painted >= 5, timeout=6000)

        def all_online() -> bool:  # the device tree and the offline alarms read this registry
            online = {d.id for d in engine.devices.all() if d.health is HealthState.ONLINE}
            return {f"cam-{name}" for name in CLIPS} <= online

        qtbot.waitUntil(all_online, timeout=5000)
        assert window.wall.video is not None and window.wall.display_timer.isActive()
    finally:
        window.close()
