"""What the composition root calls: prepare the application (language, theme) and build the main window."""

from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from console.domain.session import Session
from console.services.facade import ConsoleServices

from .i18n import choose_language, install_translator
from .main_window import MainWindow
from .theme import apply_theme


def prepare_app(lang: str | None = None, site_language: str | None = None) -> str:
    """Install the translator and the dark theme (call before the login dialog); returns the language."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        raise RuntimeError("create the QApplication first")
    chosen = install_translator(choose_language(lang, site_language))
    apply_theme(app)
    return chosen


def build_window(
    services: ConsoleServices,
    session: Session,
    lang: str | None = None,
    *,
    settings: QSettings | None = None,
    audio: bool | None = None,
) -> MainWindow:
    """``lang``: "zh_CN", "en" or None (the site file's language, else the system locale).
    ``settings``: where geometry and layout persist (default: the user's CampusConsole settings).
    ``audio``: None probes for an audio output; False keeps the sound state without playing."""
    prepare_app(lang, services.site.site.language)
    return MainWindow(services, session, settings=settings, audio=audio)
