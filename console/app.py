"""Composition root: site file → engine (store, bus, services, driver host) → Qt window."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from pathlib import Path

from console.cli.common import data_dir, load, setup_logging, site_path, site_text
from console.domain.roles import Role
from console.domain.session import Session
from console.engine import Engine, services_of
from console.heap import freeze_startup_heap
from console.services.accounts import Accounts
from console.services.credentials import CredentialStore

log = logging.getLogger(__name__)

# The demo data directory is separate from any real site's; these accounts exist only there.
DEMO_ADMIN = ("admin", "演示管理员", "demo-admin")
DEMO_OPERATOR = ("demo", "演示值班员", "demo-operator")
# The demo's device simulators use published demo passwords (see `campus-console simulate NAME --help`);
# the demo keeps them in its own data directory's encrypted credential file, never in the OS keyring.
DEMO_MASTER_PASSWORD = "campus-console-demo"
DEMO_CREDENTIALS = {
    "demo-hikvision": ("admin", "Hik12345demo"),
    "demo-dahua": ("admin", "admin123"),
    "demo-onvif": ("admin", "secret"),
}


def demo_session(accounts: Accounts) -> Session:
    """In the demo a demo operator is logged in automatically (and an admin exists to explore roles)."""
    if not accounts.has_users():
        accounts.create_first_admin(*DEMO_ADMIN)
        admin = accounts.login(DEMO_ADMIN[0], DEMO_ADMIN[2])
        accounts.create_user(admin, DEMO_OPERATOR[0], DEMO_OPERATOR[1], Role.OPERATOR, DEMO_OPERATOR[2])
        accounts.logout(admin)
    return accounts.login(DEMO_OPERATOR[0], DEMO_OPERATOR[2])


def open_credentials(directory: Path, demo: bool) -> CredentialStore:
    """The site's credential store (OS keyring, else the encrypted file); the demo's own, seeded."""
    if not demo:
        return CredentialStore(directory)
    store = CredentialStore(directory, use_keyring=False, master_password=DEMO_MASTER_PASSWORD)
    for name, (username, secret) in DEMO_CREDENTIALS.items():
        current = store.get(name)
        if current is None or (current.username, current.secret) != (username, secret):
            store.set(name, username, secret)
    return store


def _choose_platform() -> None:
    """With no display (SSH, CI), fall back to offscreen rendering instead of aborting in Qt."""
    if sys.platform.startswith("linux") and "QT_QPA_PLATFORM" not in os.environ:
        if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
            os.environ["QT_QPA_PLATFORM"] = "offscreen"
            log.warning("no display found: rendering offscreen (use --screenshot FILE to see the window)")


def run_gui(args: argparse.Namespace) -> int:
    site = load(args)
    directory = data_dir(args)
    setup_logging(args.verbose, directory / "logs" / "console.log")
    _choose_platform()

    from PySide6.QtWidgets import QApplication

    from widgets.app_window import build_window, prepare_app
    from widgets.login_dialog import ask_for_session

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("campus-console")
    app.setOrganizationName("CampusConsole")
    demo = bool(args.demo or site.demo)
    engine = Engine(site, directory, site_text=site_text(args), video=True, site_dir=site_path(args).parent,
                    credentials=open_credentials(directory, demo))
    if not demo:
        engine.site_path = site_path(args)  # the bundled demo site is never written to
    engine.start()
    try:
        prepare_app(args.lang, site.site.language)
        session = demo_session(engine.accounts) if demo else ask_for_session(engine.accounts)
        if session is None:
            log.info("login cancelled")
            return 1
        services = services_of(engine)
        window = build_window(services, session, args.lang, settings=_ui_settings(directory, args))
        window.show()
        freeze_startup_heap()
        _install_quit_handlers(
            app, window, getattr(args, "screenshot", None), getattr(args, "quit_after", None)
        )
        code = app.exec()
        window.close()
        if services.onvif is not None:
            services.onvif.close()  # its cached camera sessions live on the driver host's loop
        engine.accounts.logout(session)
        return int(code)
    finally:
        engine.stop()


def _ui_settings(directory: Path, args: argparse.Namespace) -> object:
    """Layouts persist per data directory, so the demo never rearranges a real site's console; a
    screenshot run starts from the default layout and leaves the saved one alone."""
    from PySide6.QtCore import QSettings

    if getattr(args, "screenshot", None) is not None:
        path = directory / "ui-screenshot.ini"
        path.unlink(missing_ok=True)
    else:
        path = directory / "ui.ini"
    return QSettings(str(path), QSettings.Format.IniFormat)


def _install_quit_handlers(
    app: object, window: object, screenshot: Path | None, quit_after: float | None
) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    assert isinstance(app, QApplication)

    def shoot_and_quit() -> None:
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            if not window.grab().save(str(screenshot)):  # type: ignore[attr-defined]
                log.error("could not write screenshot %s", screenshot)
                app.exit(1)
                return
            log.info("screenshot written to %s", screenshot)
        app.quit()

    if screenshot is not None or quit_after is not None:
        QTimer.singleShot(int((quit_after if quit_after is not None else 5.0) * 1000), shoot_and_quit)
    # Python handles signals only between bytecodes: a slow timer lets SIGTERM/SIGINT reach us in exec().
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: app.quit())
    keepalive = QTimer(app)
    keepalive.setObjectName("signal-poll")
    keepalive.start(250)
    keepalive.timeout.connect(lambda: None)
