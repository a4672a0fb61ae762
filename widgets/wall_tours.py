"""Runs a tour (轮巡) on a camera wall: one named timer, paused while an alarm needs attention."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QSettings, QTimer, Signal

from console.domain.messages import AlarmChanged
from console.services.facade import ConsoleServices
from console.video.tours import Tour, TourRunner, TourStep, default_tour, dumps_tours, loads_tours

from .bridge import Bridge
from .camera_wall import LAYOUTS, CameraWall

SETTINGS_KEY = "wall/tours"


def load_tours(settings: QSettings, camera_ids: list[str]) -> tuple[list[Tour], list[str]]:
    """The stored tours (UI settings, JSON), else the built-in "all cameras, 10 s"; and any problems."""
    raw = settings.value(SETTINGS_KEY)
    tours, problems = loads_tours(raw if isinstance(raw, str) else None, LAYOUTS, camera_ids)
    return (tours or [default_tour(camera_ids)]), problems


def save_tours(settings: QSettings, tours: list[Tour]) -> None:
    settings.setValue(SETTINGS_KEY, dumps_tours(tours))


class WallTourDriver(QObject):
    """Shows a tour's steps on the wall. The wall stays where it is while any alarm needs attention."""

    # ---- Signals
    sig_state_changed = Signal(str)
    """The tour's name while one runs ("" when stopped); emitted on start, stop, pause and resume."""

    def __init__(
        self,
        wall: CameraWall,
        services: ConsoleServices,
        bridge: Bridge,
        parent: QObject | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(parent)
        self.wall = wall
        self._services = services
        self._clock = clock
        self.runner: TourRunner | None = None
        self.timer = QTimer(self)
        self.timer.setObjectName("wallTourTimer")
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.on_timer)
        bridge.sig_alarm_changed.connect(self.on_alarm_changed)
        bridge.sig_alarms_settled.connect(self.check_alarms)

    @property
    def running(self) -> str:
        return self.runner.tour.name if self.runner is not None and self.runner.running else ""

    @property
    def paused(self) -> bool:
        return self.runner is not None and self.runner.paused

    def start(self, tour: Tour) -> None:
        self.runner = TourRunner(tour)
        self._show(self.runner.start(self._clock()))
        if self._attention_needed():
            self.runner.pause()
        self._arm()
        self.sig_state_changed.emit(tour.name)

    def stop(self) -> None:
        if self.runner is not None:
            self.runner.stop()
        self.runner = None
        self.timer.stop()
        self.sig_state_changed.emit("")

    def on_timer(self) -> None:
        if self.runner is None:
            return
        step = self.runner.advance(self._clock())
        if step is not None:
            self._show(step)
        self._arm()

    def on_alarm_changed(self, change: AlarmChanged) -> None:
        if self.runner is not None and self.runner.running and change.alarm.needs_attention:
            self.runner.pause()
            self.timer.stop()
            self.sig_state_changed.emit(self.running)

    def check_alarms(self) -> None:
        """After a batch of alarm changes: pause if something needs attention, resume once nothing does."""
        runner = self.runner
        if runner is None or not runner.running:
            return
        attention = self._attention_needed()
        if attention and not runner.paused:
            runner.pause()
            self.timer.stop()
            self.sig_state_changed.emit(self.running)
        elif not attention and runner.paused:
            runner.resume(self._clock())
            self._arm()
            self.sig_state_changed.emit(self.running)

    def _attention_needed(self) -> bool:
        return any(a.needs_attention for a in self._services.alarms.open_alarms())

    def _arm(self) -> None:
        remaining = self.runner.remaining(self._clock()) if self.runner is not None else None
        if remaining is None:
            self.timer.stop()
        else:
            self.timer.start(max(10, round(remaining * 1000)))

    def _show(self, step: TourStep) -> None:
        self.wall.show_cameras(list(step.cameras), step.layout)
