"""Lock screen (Ctrl+L), log-in and first-start dialogs, each audited by the accounts service."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from pytestqt.qtbot import QtBot

from console.engine import Engine
from widgets.login_dialog import FirstAdminDialog, LoginDialog
from widgets.main_window import MainWindow

from .conftest import PASSWORDS, Console, MakeWindow


def audit_actions(engine: Engine) -> list[tuple[str, str]]:
    conn = engine.store.reader()
    try:
        return [
            (actor, action) for actor, action in conn.execute("SELECT actor, action FROM audit ORDER BY id")
        ]
    finally:
        conn.close()


def test_ctrl_l_locks_everything_until_the_right_password(
    qtbot: QtBot, console: Console, make_window: MakeWindow
) -> None:
    window = make_window()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    lock = window.lock_screen
    qtbot.waitUntil(lambda: lock.locked)
    assert lock.geometry() == window.rect()
    assert not window.alarm_panel.actions["silence"].isEnabled() and not window.quit_action.isEnabled()
    assert not window.wall.isEnabled() and not window.menuBar().isEnabled()
    lock.password.setText("wrong-password")
    assert lock.try_unlock() is False
    assert lock.locked and "Wrong password" in lock.error.text()
    lock.username.setText("view")  # a viewer may not unlock someone else's console
    lock.password.setText(PASSWORDS["view"])
    assert lock.try_unlock() is False
    lock.username.setText("ops")
    lock.password.setText(PASSWORDS["ops"])
    qtbot.keyClick(lock.password, Qt.Key.Key_Return)
    assert not lock.locked
    assert window.alarm_panel.actions["silence"].isEnabled() and window.wall.isEnabled()
    actions = audit_actions(console.engine)
    assert ("ops", "lock") in actions and ("ops", "unlock") in actions
    assert actions.count(("system", "unlock_failed")) == 2


def test_a_shift_leader_may_unlock_an_officers_console(
    qtbot: QtBot, console: Console, make_window: MakeWindow
) -> None:
    window = make_window()
    window.lock()
    window.lock_screen.username.setText("sup")
    window.lock_screen.password.setText(PASSWORDS["sup"])
    assert window.lock_screen.try_unlock()
    assert window.statusBar().currentMessage() == "Unlocked by sup"


def test_the_application_can_still_close_a_locked_window(qtbot: QtBot, make_window: MakeWindow) -> None:
    # Only a spontaneous close (the window manager's button) is refused while locked; that event cannot be
    # synthesised from Python, so this checks the other half: quitting the app still closes the window.
    window = make_window()
    window.lock()
    window.close()
    assert not window.isVisible()


def test_login_dialog_stays_open_on_a_wrong_password(qtbot: QtBot, console: Console) -> None:
    dialog = LoginDialog(console.services.accounts)
    qtbot.addWidget(dialog)
    dialog.username.setText("ops")
    dialog.password.setText("nope-nope")
    dialog.try_login()
    assert dialog.session is None and dialog.error.text() and dialog.password.text() == ""
    dialog.password.setText(PASSWORDS["ops"])
    dialog.try_login()
    assert dialog.session is not None and dialog.session.username == "ops"
    assert dialog.result() == LoginDialog.DialogCode.Accepted


def test_first_start_creates_the_administrator(qtbot: QtBot, engine: Engine) -> None:
    accounts = engine.accounts
    assert not accounts.has_users()
    dialog = FirstAdminDialog(accounts)
    qtbot.addWidget(dialog)
    dialog.display_name.setText("管理员")
    dialog.password.setText("short")
    dialog.repeat.setText("different")
    dialog.try_create()
    assert "differ" in dialog.error.text()
    dialog.repeat.setText("short")
    dialog.try_create()
    assert "8 characters" in dialog.error.text() and not accounts.has_users()
    dialog.password.setText("a-long-password")
    dialog.repeat.setText("a-long-password")
    dialog.try_create()
    assert dialog.created_username == "admin" and accounts.has_users()
    assert accounts.login("admin", "a-long-password").display_name == "管理员"


def test_layout_and_geometry_persist_in_the_given_settings(
    qtbot: QtBot, console: Console, settings: QSettings, make_window: MakeWindow, tmp_path: Path
) -> None:
    window = make_window()
    window.wall.set_layout(4)
    window.event_dock.hide()
    window.close()
    assert Path(settings.fileName()).is_relative_to(tmp_path)
    again: MainWindow = make_window()
    assert again.wall.layout_size == 4
    assert again.event_dock.isHidden()


def test_ask_for_session_runs_first_start_then_login(qtbot: QtBot, engine: Engine) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from widgets.login_dialog import ask_for_session

    answers = iter(["first", "login"])

    def fill() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(20, fill)
            return
        step = next(answers)
        if step == "first":
            assert isinstance(dialog, FirstAdminDialog)
            dialog.display_name.setText("管理员")
            dialog.password.setText("a-long-password")
            dialog.repeat.setText("a-long-password")
            dialog.try_create()
            QTimer.singleShot(20, fill)
        else:
            assert isinstance(dialog, LoginDialog) and dialog.username.text() == "admin"
            dialog.password.setText("a-long-password")
            dialog.try_login()

    QTimer.singleShot(20, fill)
    session = ask_for_session(engine.accounts)
    assert session is not None and session.username == "admin"
