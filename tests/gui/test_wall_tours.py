"""Tours (轮巡): the pure runner, stored tours, and the Qt driver advancing the wall and pausing on alarms."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from PySide6.QtCore import QSettings, QTimer
from pytestqt.qtbot import QtBot

from console.bus import Bus
from console.config import parse_site
from console.domain.alarms import Alarm, AlarmStatus
from console.domain.events import Priority
from console.domain.messages import AlarmChanged
from console.video.tours import (
    Tour,
    TourError,
    TourRunner,
    TourStep,
    default_tour,
    dumps_tours,
    loads_tours,
    page_tour,
)
from widgets.bridge import Bridge
from widgets.camera_wall import LAYOUTS, CameraWall
from widgets.wall_tours import WallTourDriver, load_tours, save_tours

CAMS = [f"cam-{i}" for i in range(1, 6)]
SITE = '[site]\nname = "tour"\ntimezone = "Asia/Shanghai"\n\n[[campuses]]\nid = "east"\nname = "东"\n'
SITE += "".join(
    f'\n[[cameras]]\nid = "{c}"\nname = "{c}"\ncampus = "east"\nmain_url = "file:clips/{c}.mp4"\n'
    for c in CAMS
)


def alarm(status: AlarmStatus, alarm_id: int = 1) -> Alarm:
    now = datetime.now(UTC)
    return Alarm(alarm_id, f"k{alarm_id}", "panel", None, "fire.alarm", Priority.FIRE, "fire", status, 1,
                 now, now, 1, 1)


# -- pure logic ------------------------------------------------------------------------------------------
def test_the_runner_advances_wraps_and_skips_what_a_sleep_missed() -> None:
    tour = Tour("t", (TourStep(("a",), 1, 2.0), TourStep(("b",), 4, 3.0), TourStep(("c",), None, 1.0)))
    runner = TourRunner(tour)
    assert runner.start(100.0).cameras == ("a",)
    assert runner.advance(101.9) is None
    assert runner.advance(102.0).cameras == ("b",)
    assert runner.remaining(103.0) == pytest.approx(2.0)
    assert runner.advance(105.0).cameras == ("c",)
    assert runner.advance(106.0).cameras == ("a",)  # wraps round
    assert runner.advance(106.0 + 2 + 3 + 1 + 2.5).cameras == ("b",)  # one whole lap and a bit unseen


def test_a_paused_tour_holds_its_step_and_resumes_with_a_full_dwell() -> None:
    runner = TourRunner(default_tour(CAMS, 10))
    runner.start(0.0)
    runner.pause()
    assert runner.advance(1000.0) is None and runner.remaining(1000.0) is None
    assert runner.step.cameras == ("cam-1",)
    runner.resume(1000.0)
    assert runner.advance(1009.9) is None
    assert runner.advance(1010.0).cameras == ("cam-2",)
    runner.stop()
    assert runner.advance(5000.0) is None


def test_default_and_page_tours() -> None:
    tour = default_tour(CAMS)
    assert tour.name == "all cameras" and len(tour.steps) == 5
    assert all(s.layout == 1 and s.dwell_s == 10 for s in tour.steps)
    pages = page_tour("pages", CAMS, 4)
    assert [s.cameras for s in pages.steps] == [tuple(CAMS[:4]), ("cam-5",)]


def test_stored_tours_round_trip_and_bad_ones_are_reported_not_fatal() -> None:
    text = dumps_tours([page_tour("p", CAMS, 4, 5), default_tour(CAMS)])
    tours, problems = loads_tours(text, LAYOUTS, CAMS)
    assert problems == [] and [t.name for t in tours] == ["p", "all cameras"]
    assert tours[0].steps[0] == TourStep(tuple(CAMS[:4]), 4, 5.0)
    bad = ('{"tours": [{"name": "x", "steps": [{"layout": 7}]}, {"name": "y", "steps": []},'
           ' {"name": "z", "steps": [{"cameras": ["cam-1", "gone"], "dwell_s": 2}]}]}')
    tours, problems = loads_tours(bad, LAYOUTS, CAMS)
    assert [t.name for t in tours] == ["z"] and tours[0].steps[0].cameras == ("cam-1",)
    assert len(problems) == 2
    assert loads_tours("{not json", LAYOUTS, CAMS)[0] == []
    with pytest.raises(TourError):
        Tour("short", (TourStep((), None, 0.1),))


# -- the Qt driver ---------------------------------------------------------------------------------------
@pytest.fixture
def setup(qtbot: QtBot) -> SimpleNamespace:
    open_alarms: list[Alarm] = []
    services = SimpleNamespace(site=parse_site(SITE, "tour.toml"),
                               alarms=SimpleNamespace(open_alarms=lambda: list(open_alarms)), video=None)
    bridge = Bridge(Bus())
    wall = CameraWall(services, bridge)  # type: ignore[arg-type]
    qtbot.addWidget(wall)
    now = [0.0]
    driver = WallTourDriver(wall, services, bridge, clock=lambda: now[0])  # type: ignore[arg-type]
    return SimpleNamespace(wall=wall, driver=driver, bridge=bridge, alarms=open_alarms, now=now)


def test_the_driver_advances_the_wall_and_pauses_on_a_new_alarm(setup: SimpleNamespace) -> None:
    wall, driver, now = setup.wall, setup.driver, setup.now
    timers = [t for t in driver.findChildren(QTimer) if t.objectName() == "wallTourTimer"]
    assert len(timers) == 1
    driver.start(default_tour(CAMS, 10))
    assert wall.layout_size == 1 and wall.visible_camera_ids() == ["cam-1"]
    assert driver.timer.isActive() and driver.timer.interval() == 10_000
    now[0] = 10.0
    driver.on_timer()
    assert wall.visible_camera_ids() == ["cam-2"] and driver.timer.isActive()
    # A new alarm needs attention: the tour stops rotating, the wall keeps what it shows.
    setup.alarms.append(alarm(AlarmStatus.NEW))
    setup.bridge.sig_alarm_changed.emit(AlarmChanged(setup.alarms[0], "raised"))
    assert driver.paused and not driver.timer.isActive()
    now[0] = 100.0
    driver.on_timer()
    assert wall.visible_camera_ids() == ["cam-2"]
    # Acknowledged: nothing needs attention any more, the tour carries on with a full dwell.
    setup.alarms[0] = alarm(AlarmStatus.ACKNOWLEDGED)
    setup.bridge.sig_alarms_settled.emit()
    assert not driver.paused and driver.timer.isActive()
    now[0] = 110.0
    driver.on_timer()
    assert wall.visible_camera_ids() == ["cam-3"]
    driver.stop()
    assert driver.running == "" and not driver.timer.isActive()


def test_a_tour_started_during_an_alarm_waits(setup: SimpleNamespace) -> None:
    setup.alarms.append(alarm(AlarmStatus.NEW))
    setup.driver.start(page_tour("pages", CAMS, 4, 5))
    assert setup.driver.paused and setup.wall.layout_size == 4
    assert setup.wall.visible_camera_ids() == CAMS[:4]


def test_the_timer_really_fires(qtbot: QtBot, setup: SimpleNamespace) -> None:
    bridge = setup.bridge
    driver = WallTourDriver(setup.wall, SimpleNamespace(alarms=SimpleNamespace(open_alarms=list)), bridge)  # type: ignore[arg-type]
    driver.start(Tour("quick", (TourStep(("cam-4",), 1, 1.0), TourStep(("cam-5",), 1, 1.0))))
    qtbot.waitUntil(lambda: setup.wall.visible_camera_ids() == ["cam-5"], timeout=10_000)
    driver.stop()


def test_tours_live_in_the_ui_settings_with_a_default(tmp_path: Path) -> None:
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    tours, problems = load_tours(settings, CAMS)
    assert [t.name for t in tours] == ["all cameras"] and problems == []
    save_tours(settings, [page_tour("night", CAMS, 4, 20)])
    settings.sync()
    again = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    tours, _ = load_tours(again, CAMS)
    assert [t.name for t in tours] == ["night"] and tours[0].steps[0].dwell_s == 20
