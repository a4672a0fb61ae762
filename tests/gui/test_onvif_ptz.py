"""The PTZ pad on a maximised tile, against the ONVIF test device: keys, wheel, presets, clock, audit."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from PySide6.QtCore import QEvent, QPoint, QPointF, QSettings, Qt
from PySide6.QtGui import QKeyEvent, QWheelEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from console.domain.events import HealthState
from console.domain.session import Session
from console.engine import services_of
from console.services.onvif_cameras import CLOCK_REASON_PREFIX
from tests.unit.test_onvif_service import Rig, make_rig
from widgets.app_window import build_window
from widgets.main_window import MainWindow
from widgets.ptz_pad import WHEEL_STOP_MS, PtzDialog, PtzPad


@pytest.fixture
def rig(tmp_path: Path, fast_hasher: PasswordHasher) -> Iterator[Rig]:
    yield from make_rig(tmp_path, fast_hasher)


@pytest.fixture
def skewed_rig(tmp_path: Path, fast_hasher: PasswordHasher) -> Iterator[Rig]:
    yield from make_rig(tmp_path, fast_hasher, skew_s=90.0)


@contextlib.contextmanager
def window_for(qtbot: QtBot, rig: Rig, session: Session, tmp_path: Path) -> Iterator[MainWindow]:
    services = replace(services_of(rig.engine), onvif=rig.onvif)
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    window = build_window(services, session, "en", settings=settings, audio=False)
    qtbot.addWidget(window)
    window.resize(1600, 900)
    window.show()
    qtbot.waitExposed(window)
    try:
        yield window
    finally:
        window.close()
        QApplication.processEvents()


@pytest.fixture
def window(qtbot: QtBot, rig: Rig, tmp_path: Path) -> Iterator[MainWindow]:
    with window_for(qtbot, rig, rig.operator, tmp_path) as window:
        yield window


def maximised_pad(qtbot: QtBot, window: MainWindow) -> PtzPad:
    window.wall.toggle_single("cam-ptz")
    hook = window.wall_extras.ptz
    assert hook is not None
    qtbot.waitUntil(lambda: hook.pad is not None and hook.pad.isVisible())
    assert hook.pad is not None
    return hook.pad


def key(pad: PtzPad, kind: QEvent.Type, code: Qt.Key, repeat: bool = False) -> None:
    QApplication.sendEvent(pad, QKeyEvent(kind, code, Qt.KeyboardModifier.NoModifier, "", repeat))


def wheel(pad: PtzPad, delta: int) -> None:
    where = QPointF(20, 20)
    event = QWheelEvent(where, pad.mapToGlobal(where), QPoint(0, 0), QPoint(0, delta),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
                        False)
    QApplication.sendEvent(pad, event)


def moves(rig: Rig) -> list[dict[str, object]]:
    return [m for m in rig.device.moves if "pan" in m]


def test_held_key_moves_release_stops_wheel_zooms_and_audit_is_not_spammed(
    qtbot: QtBot, rig: Rig, window: MainWindow, tmp_path: Path
) -> None:
    pad = maximised_pad(qtbot, window)
    qtbot.waitUntil(lambda: pad.presets.loaded >= 1, timeout=20_000)
    key(pad, QEvent.Type.KeyPress, Qt.Key.Key_Right)
    for _ in range(6):  # the keyboard's auto-repeat while the key is held
        key(pad, QEvent.Type.KeyPress, Qt.Key.Key_Right, repeat=True)
        key(pad, QEvent.Type.KeyRelease, Qt.Key.Key_Right, repeat=True)
    qtbot.waitUntil(lambda: len(moves(rig)) == 1 and rig.device.moving, timeout=20_000)
    assert moves(rig)[0]["pan"] == pytest.approx(0.5) and moves(rig)[0]["tilt"] == 0
    out = Path(os.environ.get("CAMPUS_CONSOLE_SCREENSHOT_DIR", tmp_path))
    out.mkdir(parents=True, exist_ok=True)
    assert window.grab().save(str(out / "ptz-pad-maximised.png"))
    key(pad, QEvent.Type.KeyRelease, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: not rig.device.moving and rig.device.moves[-1] == {"stop": True}, timeout=20_000)
    assert len(moves(rig)) == 1
    tile = window.wall.tile_for("cam-ptz")  # keys on the (clicked) picture steer as well
    assert tile is not None
    qtbot.keyPress(tile, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: len(moves(rig)) == 2 and moves(rig)[1]["tilt"] < 0, timeout=20_000)
    qtbot.keyRelease(tile, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: not rig.device.moving, timeout=20_000)

    for _ in range(4):  # four notches of one gesture: one zoom, one stop
        wheel(pad, 120)
    qtbot.waitUntil(lambda: len(moves(rig)) == 3, timeout=20_000)
    assert moves(rig)[2]["zoom"] == pytest.approx(0.5) and moves(rig)[2]["pan"] == 0
    qtbot.waitUntil(lambda: not rig.device.moving, timeout=WHEEL_STOP_MS + 20_000)
    assert len(moves(rig)) == 3

    starts, stops = rig.audit("ptz_move"), rig.audit("ptz_stop")
    assert [r["detail"]["direction"] for r in starts] == ["right", "down", "zoom in"]
    assert [r["detail"]["direction"] for r in stops] == ["right", "down", "zoom in"]
    assert {r["actor"] for r in starts + stops} == {"ops"}


def test_buttons_and_speed(qtbot: QtBot, rig: Rig, window: MainWindow) -> None:
    pad = maximised_pad(qtbot, window)
    pad.speed.setValue(80)
    qtbot.mousePress(pad.buttons["up-left"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(moves(rig)) == 1, timeout=20_000)
    assert (moves(rig)[0]["pan"], moves(rig)[0]["tilt"]) == (pytest.approx(-0.8), pytest.approx(0.8))
    qtbot.mouseRelease(pad.buttons["up-left"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not rig.device.moving, timeout=20_000)
    assert rig.audit("ptz_move")[0]["detail"]["speed"] == 0.8


def test_presets_crud_from_the_pad(qtbot: QtBot, rig: Rig, window: MainWindow) -> None:
    pad = maximised_pad(qtbot, window)
    presets = pad.presets
    qtbot.waitUntil(lambda: presets.loaded >= 1, timeout=20_000)
    assert [presets.list.item(i).text() for i in range(presets.list.count())] == ["Gate", "Car park"]
    presets.save_current("Bike shed")
    qtbot.waitUntil(lambda: presets.select("Bike shed"), timeout=20_000)
    presets.rename_selected("Bicycles")
    qtbot.waitUntil(lambda: presets.select("Bicycles"), timeout=20_000)
    assert "Bicycles" in rig.device.presets.values() and "Bike shed" not in rig.device.presets.values()
    presets.select("Gate")
    presets.goto_selected()
    qtbot.waitUntil(lambda: {"goto": "1"} in rig.device.moves, timeout=20_000)
    presets.select("Bicycles")
    presets.delete_selected()
    qtbot.waitUntil(lambda: not presets.select("Bicycles") and presets.loaded >= 4, timeout=20_000)
    assert sorted(rig.device.presets.values()) == ["Car park", "Gate"]
    assert [r["detail"]["op"] for r in rig.audit("ptz_preset")] == ["save", "rename", "goto", "delete"]


def test_context_menu_opens_the_pad_only_for_ptz_cameras(qtbot: QtBot, rig: Rig, window: MainWindow) -> None:
    interaction = window.wall_extras.interaction
    names = {}
    for index, tile in enumerate(window.wall.tiles[: window.wall.layout_size]):
        if tile.camera is not None:
            menu = interaction.menu_for(index)
            assert menu is not None
            names[tile.camera.id] = [a.objectName() for a in menu.actions()]
            if tile.camera.id == "cam-ptz":
                action = next(a for a in menu.actions() if a.objectName() == "ptzControl")
            menu.deleteLater()
    assert "ptzControl" in names["cam-ptz"] and "ptzControl" not in names["cam-fixed"]
    action.trigger()
    hook = window.wall_extras.ptz
    assert hook is not None and isinstance(hook.dialog, PtzDialog)
    pad = hook.dialog.pad
    pad.hold("down")
    qtbot.waitUntil(lambda: len(moves(rig)) == 1, timeout=20_000)
    window.lock()  # locking stops the camera and disables the pad's window
    qtbot.waitUntil(lambda: not rig.device.moving, timeout=20_000)
    assert not hook.dialog.isEnabled()
    window.lock_screen.password.setText("operator-pass")
    assert window.lock_screen.try_unlock()
    assert hook.dialog.isEnabled()
    pad.hold("down")
    qtbot.waitUntil(lambda: rig.device.moving, timeout=20_000)
    hook.dialog.close()  # closing the window stops the camera
    qtbot.waitUntil(lambda: not rig.device.moving, timeout=20_000)


def test_a_viewer_gets_a_disabled_pad_and_sends_nothing(qtbot: QtBot, rig: Rig, tmp_path: Path) -> None:
    with window_for(qtbot, rig, rig.viewer, tmp_path) as window:
        pad = maximised_pad(qtbot, window)
        assert not pad.buttons["up"].isEnabled() and not pad.presets.save_button.isEnabled()
        assert "may not" in pad.status.text()
        key(pad, QEvent.Type.KeyPress, Qt.Key.Key_Up)
        wheel(pad, -120)
        key(pad, QEvent.Type.KeyRelease, Qt.Key.Key_Up)
        qtbot.wait(100)
    assert rig.device.moves == [] and rig.audit("ptz_move") == []


def test_a_skewed_camera_clock_is_warned_and_set(qtbot: QtBot, skewed_rig: Rig, tmp_path: Path) -> None:
    rig = skewed_rig
    rig.wait_events_driver()
    with window_for(qtbot, rig, rig.operator, tmp_path) as window:
        pad = maximised_pad(qtbot, window)
        qtbot.waitUntil(lambda: pad.clock is not None, timeout=20_000)
        assert pad.clock["offset_s"] == pytest.approx(90, abs=3)
        assert re.search(r"off by \+\d+ s \(more than 5 s\)", pad.clock_label.text())
        assert pad.set_clock_button.isVisible()
        status = next(d for d in rig.engine.devices.all() if d.id == "cam-ptz")
        assert status.health is HealthState.DEGRADED and status.reason.startswith(CLOCK_REASON_PREFIX)
        out = Path(os.environ.get("CAMPUS_CONSOLE_SCREENSHOT_DIR", tmp_path))
        out.mkdir(parents=True, exist_ok=True)
        assert window.grab().save(str(out / "ptz-pad-clock-skew.png"))
        qtbot.mouseClick(pad.set_clock_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not pad.set_clock_button.isVisible(), timeout=20_000)
        assert pad.clock is not None and pad.clock["skewed"] is False and abs(rig.device.skew_s) <= 2
        assert "workstation" in pad.status.text()
    status = next(d for d in rig.engine.devices.all() if d.id == "cam-ptz")
    assert not status.reason.startswith(CLOCK_REASON_PREFIX)
    assert [r["actor"] for r in rig.audit("camera_time_set")] == ["ops"]
