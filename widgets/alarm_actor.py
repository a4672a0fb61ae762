"""Carries out an officer's action on an alarm and reports the outcome, for every view that offers one."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

from PySide6.QtCore import QObject, Signal

from console.domain.alarms import Alarm, AlarmAction, Disposition
from console.domain.roles import PermissionDenied
from console.domain.session import Session
from console.services.facade import ConsoleServices

from .futures import FutureRelay
from .i18n import action_label


class AlarmActor(QObject):
    """The service refuses what the role does not allow (reported at once); the outcome of an accepted
    action arrives later through the relay, in the GUI thread."""

    sig_message = Signal(str)
    """A line for the status bar: done, refused or failed."""

    def __init__(
        self, services: ConsoleServices, session: Session, relay: FutureRelay, parent: QObject
    ) -> None:
        super().__init__(parent)
        self._services = services
        self._session = session
        self._relay = relay

    def act(
        self, alarm: Alarm, action: AlarmAction, note: str = "", disposition: Disposition | None = None
    ) -> None:
        try:
            future = self._services.alarms.act(self._session, alarm.id, action, note, disposition)
        except PermissionDenied as exc:
            self.sig_message.emit(self.tr("Not allowed: {reason}").format(reason=exc))
            return
        self._relay.watch(future, lambda f: self._acted(action, alarm, f))

    def _acted(self, action: AlarmAction, alarm: Alarm, future: Future[Any]) -> None:
        exc = future.exception()
        label = action_label(action)
        if exc is not None:
            # e.g. someone else acted first; the views already show the newer state from the bus.
            self.sig_message.emit(self.tr("Could not {action}: {reason}").format(action=label, reason=exc))
        else:
            self.sig_message.emit(self.tr("{action}: {summary}").format(action=label, summary=alarm.summary))

    def silence(self) -> None:
        """消音: quiets what sounds now; the service audits it and a later alarm sounds again."""
        try:
            future = self._services.alarms.silence(self._session)
        except PermissionDenied as exc:
            self.sig_message.emit(self.tr("Not allowed: {reason}").format(reason=exc))
            return
        self._relay.watch(future, self._silenced)

    def _silenced(self, future: Future[Any]) -> None:
        exc = future.exception()
        self.sig_message.emit(
            self.tr("Could not silence: {reason}").format(reason=exc) if exc else self.tr("Alarms silenced")
        )
