"""GUI fixtures: a real engine on a small two-campus site, staff sessions, and windows that clean up."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any Qt import, for a plain `pytest tests/gui`

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from console.config import parse_site
from console.domain.events import DeviceEvent, EventState, Priority
from console.domain.roles import Role
from console.domain.session import Session
from console.engine import Engine, services_of
from console.services.facade import ConsoleServices
from tests.drivers.rig import read
from widgets.app_window import build_window
from widgets.main_window import MainWindow

# The panel runs the scripted demo driver slowed down so far that its first scripted alarm (6 script
# seconds at speed 0.1 = 60 s) never comes during a test: it only reports itself online.
SITE = """
[site]
name = "测试大学 校园安全监控中心"
timezone = "Asia/Shanghai"

[[campuses]]
id = "east"
name = "东校区"

[[campuses]]
id = "west"
name = "西校区"

[[cameras]]
id = "cam-lib"
name = "图书馆 三楼"
campus = "east"
location = "图书馆 3F 阅览室"
main_url = "rtsp://127.0.0.1:8554/test/cam-lib"

[[cameras]]
id = "cam-gate"
name = "东门 入口"
campus = "east"
location = "东校区 正门"
main_url = "rtsp://127.0.0.1:8554/test/cam-gate"

[[cameras]]
id = "cam-dorm"
name = "3号宿舍楼 大厅"
campus = "west"
location = "3号宿舍楼 一层"
main_url = "rtsp://127.0.0.1:8554/test/cam-dorm"

[[cameras]]
id = "cam-lab"
name = "实验楼B 化学实验室"
campus = "west"
location = "实验楼B 三层"
main_url = "rtsp://127.0.0.1:8554/test/cam-lab"

[[cameras]]
id = "cam-canteen"
name = "第一食堂"
campus = "west"
location = "第一食堂 一层"
main_url = "rtsp://127.0.0.1:8554/test/cam-canteen"

[[panels]]
id = "fp-east"
name = "东校区 火灾报警控制器"
campus = "east"
location = "消防控制室"
driver = "demo.scripted"
settings = { speed = 0.1, cycle_seconds = 3600 }

[[points]]
id = "lib-3f-smoke"
device = "fp-east"
address = "1-3-12"
name = "图书馆三楼 感烟探测器 12"
kind = "detector"
location = "图书馆 3F 阅览室"
cameras = ["cam-lab", "cam-canteen"]

[[points]]
id = "lib-3f-mcp"
device = "fp-east"
address = "1-3-40"
name = "图书馆三楼 手动报警按钮 2"
kind = "manual_call_point"
location = "图书馆 3F 东楼梯口"
cameras = ["cam-lib"]
"""

# Qt messages that say nothing about our code, each with its origin.
QT_LOG_IGNORE = (
    # The offscreen platform plugin (headless tests) cannot pass a window's size constraints to a window
    # manager, and says so each time a main window with docks lays itself out. Real platforms do not.
    r"This plugin does not support propagateSizeHints\(\)",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.qt_log_ignore(*QT_LOG_IGNORE))


PASSWORDS = {"admin": "admin-pass-1", "ops": "operator-pass", "sup": "supervisor-pw", "view": "viewer-pass-1"}


@dataclass
class Console:
    engine: Engine
    services: ConsoleServices
    admin: Session
    operator: Session
    supervisor: Session
    viewer: Session

    def ingest(
        self,
        kind: str,
        priority: Priority,
        summary: str,
        point: str | None = "lib-3f-smoke",
        state: EventState = EventState.ACTIVE,
        source: str = "fp-east",
    ) -> None:
        event = DeviceEvent(
            source=source, kind=kind, state=state, priority=priority, summary=summary, point=point
        )
        self.engine.store.ingest(event).result(5)


def audit_actions(console: Console) -> list[str]:
    return [row[0] for row in read(console.engine.store, "SELECT action FROM audit ORDER BY id")]


@pytest.fixture
def site_toml() -> str:
    """The site the engine runs; a test module overrides this fixture to run another."""
    return SITE


@pytest.fixture
def engine(data_dir: Path, fast_hasher: PasswordHasher, site_toml: str) -> Iterator[Engine]:
    engine = Engine(parse_site(site_toml, "test-site.toml"), data_dir, accounts_hasher=fast_hasher)
    engine.start()
    try:
        yield engine
    finally:
        engine.stop()


@pytest.fixture
def console(engine: Engine) -> Console:
    accounts = engine.accounts
    accounts.create_first_admin("admin", "管理员 王", PASSWORDS["admin"])
    admin = accounts.login("admin", PASSWORDS["admin"])
    for name, display, role in (
        ("ops", "值班员 李", Role.OPERATOR),
        ("sup", "值班长 张", Role.SUPERVISOR),
        ("view", "访客 赵", Role.VIEWER),
    ):
        accounts.create_user(admin, name, display, role, PASSWORDS[name])
    sessions = {name: accounts.login(name, PASSWORDS[name]) for name in ("ops", "sup", "view")}
    return Console(engine, services_of(engine), admin, sessions["ops"], sessions["sup"], sessions["view"])


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    """Never the user's real settings: an INI file in the test's own folder."""
    return QSettings(str(tmp_path / "campus-console.ini"), QSettings.Format.IniFormat)


MakeWindow = Callable[..., MainWindow]


@pytest.fixture
def make_window(qtbot: QtBot, console: Console, settings: QSettings) -> Iterator[MakeWindow]:
    """Builds shown windows (English unless asked); closes them before the engine stops."""
    windows: list[MainWindow] = []

    def make(session: Session | None = None, lang: str = "en") -> MainWindow:
        window = build_window(
            console.services, session or console.operator, lang, settings=settings, audio=False
        )
        qtbot.addWidget(window)
        windows.append(window)
        window.show()
        qtbot.waitExposed(window)
        return window

    yield make
    for window in windows:
        window.close()
    app = QApplication.instance()
    assert app is not None
    app.processEvents()  # deliver queued relays before the engine goes away
