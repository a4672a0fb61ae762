"""The panel command bar of the fire board: 查岗 (patrol check), clock sync and status read."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from console.domain.messages import EventStored
from console.domain.roles import PermissionDenied
from console.domain.session import Session
from console.services.facade import ConsoleServices

from .bridge import Bridge
from .formatting import format_time, site_zone
from .futures import FutureRelay


class PanelCommandBar(QWidget):
    """Sends a command to the panel ``current_panel()`` names; the driver retries, we report the outcome."""

    sig_message = Signal(str)
    """A line for the status bar: sent, done, failed, answered."""

    def __init__(self, services: ConsoleServices, session: Session, bridge: Bridge,
                 current_panel: Callable[[], str | None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self._session = session
        self._current = current_panel
        self._zone = site_zone(services.site.site.timezone)
        self._relay = FutureRelay(self)
        self.buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for command, text in (
            ("patrol", self.tr("Patrol check")),
            ("time_sync", self.tr("Sync clock")),
            ("read_status", self.tr("Read status")),
        ):
            button = QPushButton(text, self)
            button.setObjectName(f"fire_{command}Button")
            button.setToolTip(self.tr("Sent to the panel shown in the point grid"))
            button.clicked.connect(lambda _=False, c=command: self.send(c))
            self.buttons[command] = button
            row.addWidget(button)
        row.addStretch(1)
        bridge.sig_event_stored.connect(self._on_events)
        self.sync()

    def sync(self) -> None:
        enabled = self._services.commands is not None and bool(self._current())
        for button in self.buttons.values():
            button.setEnabled(enabled)

    def send(self, command: str) -> Future[Any] | None:
        commands, panel = self._services.commands, self._current()
        if commands is None or not panel:
            return None
        args = {"window_min": 10} if command == "patrol" else {}
        try:
            future = commands.send(self._session, panel, command, args)
        except (PermissionDenied, ValueError) as exc:
            self.sig_message.emit(self.tr("Not allowed: {reason}").format(reason=exc))
            return None
        label = self.buttons[command].text()
        self.sig_message.emit(self.tr("{command} sent to {panel}").format(command=label, panel=panel))
        self._relay.watch(future, lambda f: self._report(label, panel, f))
        return future

    def _report(self, label: str, panel: str, done: Future[Any]) -> None:
        error = done.exception()
        if error is not None:
            text = self.tr("{command} on {panel} failed: {reason}").format(
                command=label, panel=panel, reason=error
            )
        else:
            text = self.tr("{command} on {panel}: done").format(command=label, panel=panel)
        self.sig_message.emit(text)

    def _on_events(self, stored: list[EventStored]) -> None:
        for item in stored:
            if item.event.kind == "fire.patrol_answer":  # the answer to 查岗 the officer is waiting for
                self.sig_message.emit(self.tr("Patrol check answered by {panel} at {time}").format(
                    panel=item.event.source, time=format_time(item.event.received_time, self._zone)))
