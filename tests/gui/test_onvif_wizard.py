"""The add-camera wizard against the ONVIF test device: probe, wrong password, save to the site file."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QWizard
from pytestqt.qtbot import QtBot

from console.config import load_site
from console.domain.session import Session
from console.engine import services_of
from tests.unit.test_onvif_service import PASSWORD, USER, Rig, make_rig
from widgets.app_window import build_window
from widgets.onvif_wizard import PAGE_CAMERA, PAGE_DONE, PAGE_LOGIN, OnvifWizard, suggest_id


@pytest.fixture
def rig(tmp_path: Path, fast_hasher: PasswordHasher) -> Iterator[Rig]:
    yield from make_rig(tmp_path, fast_hasher)


def shots(tmp_path: Path) -> Path:
    out = Path(os.environ.get("CAMPUS_CONSOLE_SCREENSHOT_DIR", tmp_path))
    out.mkdir(parents=True, exist_ok=True)
    return out


def new_wizard(qtbot: QtBot, rig: Rig, session: Session) -> OnvifWizard:
    wizard = OnvifWizard(rig.onvif, session)
    # Deleted by Qt when qtbot closes it: its pages and it refer to each other, and a Python garbage
    # collection deleting a top-level widget in the middle of a later test's setStyle() crashes Qt.
    wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    qtbot.addWidget(wizard)
    return wizard


def open_wizard(qtbot: QtBot, rig: Rig) -> OnvifWizard:
    wizard = new_wizard(qtbot, rig, rig.admin)
    wizard.show()
    qtbot.waitExposed(wizard)
    wizard.find_page.host.setText("127.0.0.1")
    wizard.find_page.port.setValue(rig.device.port)
    wizard.next()
    assert wizard.currentId() == PAGE_LOGIN
    return wizard


def probe(qtbot: QtBot, wizard: OnvifWizard, password: str) -> None:
    page = wizard.login_page
    page.user.setText(USER)
    page.password.setText(password)
    page.probe_button.click()
    qtbot.waitUntil(lambda: wizard.busy == 0, timeout=20_000)


def test_wrong_password_is_shown_and_the_wizard_stays_usable(qtbot: QtBot, rig: Rig) -> None:
    wizard = open_wizard(qtbot, rig)
    probe(qtbot, wizard, "wrong-password")
    page = wizard.login_page
    assert "authentication failed" in page.message.text()
    assert page.probe_button.isEnabled() and not page.isComplete()
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    probe(qtbot, wizard, PASSWORD)  # the same page, the right password: on it goes
    assert page.isComplete() and "Campus Test TD-1" in page.message.text()


@pytest.mark.parametrize(
    ("mode", "shown"),
    [("fault", "the camera refused the request"), ("malformed", "malformed"), ("hang", "in time")],
)
def test_camera_failures_are_shown_and_the_wizard_stays_usable(
    qtbot: QtBot, rig: Rig, mode: str, shown: str
) -> None:
    wizard = open_wizard(qtbot, rig)
    wizard.probe_timeout = 1.0
    rig.device.faults["GetDeviceInformation"] = mode
    probe(qtbot, wizard, PASSWORD)
    page = wizard.login_page
    assert shown in page.message.text() and "GetDeviceInformation" in page.message.text()
    assert page.probe_button.isEnabled() and not page.isComplete()
    del rig.device.faults["GetDeviceInformation"]
    probe(qtbot, wizard, PASSWORD)
    assert page.isComplete()


def test_a_partial_probe_shows_its_warnings_and_leaves_the_uris_to_type(qtbot: QtBot, rig: Rig) -> None:
    wizard = open_wizard(qtbot, rig)
    rig.device.faults["GetStreamUri"] = "fault"
    probe(qtbot, wizard, PASSWORD)
    wizard.next()
    page = wizard.camera_page
    assert "GetStreamUri" in page.device.text() and page.main_url.text() == ""
    assert page.snapshot_url.text().endswith("/snapshot/main.jpg")


def test_probe_fills_the_uris_and_saving_appends_a_valid_camera(
    qtbot: QtBot, rig: Rig, tmp_path: Path
) -> None:
    wizard = open_wizard(qtbot, rig)
    assert wizard.login_page.credential.text() == "onvif-127-0-0-1"
    probe(qtbot, wizard, PASSWORD)
    wizard.next()
    assert wizard.currentId() == PAGE_CAMERA
    page = wizard.camera_page
    assert page.main_url.text() == "rtsp://127.0.0.1:554/main"
    assert page.sub_url.text() == "rtsp://127.0.0.1:554/sub"
    assert page.snapshot_url.text().endswith("/snapshot/main.jpg")
    assert page.ptz.isChecked() and page.camera_id.text() == suggest_id("127.0.0.1")
    assert "Campus Test TD-1" in page.device.text()
    page.camera_id.setText("cam-south")
    page.name.setText("南门 球机")
    page.location.setText("南门 岗亭")
    wizard.resize(640, 560)
    assert wizard.grab().save(str(shots(tmp_path) / "onvif-wizard-camera.png"))
    before = rig.site_path.read_text(encoding="utf-8")
    wizard.next()  # the commit page: saves
    assert wizard.currentId() == PAGE_DONE, page.message.text()
    assert "restart" in wizard.done_page.summary.text()
    assert wizard.grab().save(str(shots(tmp_path) / "onvif-wizard-done.png"))
    text = rig.site_path.read_text(encoding="utf-8")
    assert text.startswith(before) and PASSWORD not in text
    cam = load_site(rig.site_path).device("cam-south")
    assert cam is not None and cam.name == "南门 球机" and cam.ptz and cam.credential == "onvif-127-0-0-1"
    assert cam.onvif is not None and cam.onvif.port == rig.device.port
    stored = rig.credentials.get("onvif-127-0-0-1")
    assert stored is not None and (stored.username, stored.secret) == (USER, PASSWORD)
    assert rig.audit("config_change")[-1]["target"] == "camera:cam-south"
    assert rig.audit("config_change")[-1]["actor"] == "admin"


def test_a_duplicate_id_is_refused_on_the_page(qtbot: QtBot, rig: Rig) -> None:
    wizard = open_wizard(qtbot, rig)
    probe(qtbot, wizard, PASSWORD)
    wizard.next()
    wizard.camera_page.camera_id.setText("cam-ptz")
    wizard.next()
    assert wizard.currentId() == PAGE_CAMERA
    assert "already used" in wizard.camera_page.message.text()


def test_only_an_administrator_sees_the_menu_entry(qtbot: QtBot, rig: Rig, tmp_path: Path) -> None:
    services = replace(services_of(rig.engine), onvif=rig.onvif)
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    for session, visible in ((rig.admin, True), (rig.operator, False)):
        window = build_window(services, session, "en", settings=settings, audio=False)
        qtbot.addWidget(window)
        assert window.add_camera_action.isVisible() is visible
        if visible:
            wizard = window.add_onvif_camera()
            assert isinstance(wizard, OnvifWizard)
            wizard.close()
        window.close()


def test_discovered_cameras_fill_the_address(qtbot: QtBot, rig: Rig) -> None:
    """What discovery found (delivered as the adapter's dicts; no multicast in tests) fills host and port."""
    wizard = new_wizard(qtbot, rig, rig.admin)
    found = [{"host": "10.1.2.3", "port": 8080, "name": "Gate PTZ", "hardware": "TD-1", "via": "probe"},
             {"host": "10.1.2.4", "port": 80, "name": "", "hardware": "X", "via": "hello"}]
    wizard._discovered(found)
    page = wizard.find_page
    assert page.found.count() == 2 and "2 cameras found" in page.message.text()
    assert page.found.item(0).text() == "Gate PTZ — 10.1.2.3:8080"
    page.found.setCurrentRow(0)
    assert (page.host.text(), page.port.value()) == ("10.1.2.3", 8080) and page.isComplete()
    page.found.setCurrentRow(1)
    assert (page.host.text(), page.port.value()) == ("10.1.2.4", 80)


def test_an_operator_cannot_probe_from_the_wizard(qtbot: QtBot, rig: Rig) -> None:
    wizard = new_wizard(qtbot, rig, rig.operator)
    assert "administrator" in wizard.find_page.message.text()
    wizard.find_page.host.setText("127.0.0.1")
    wizard.next()
    probe(qtbot, wizard, PASSWORD)
    assert "not allowed" in wizard.login_page.message.text()
    assert rig.probe_requests() == 0
