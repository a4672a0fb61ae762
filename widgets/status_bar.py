"""Permanent status-bar widgets: the clock, the officer on duty, device health and open alarms by priority."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime, tzinfo

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from console.domain.alarms import Alarm
from console.domain.events import HealthState, Priority
from console.domain.session import Session
from console.services.facade import ConsoleServices

from .bridge import Bridge
from .formatting import site_zone
from .i18n import health_label, priority_label, role_label
from .steady_label import SteadyLabel
from .theme import HEALTH_COLOURS, PRIORITY_COLOURS

HEALTH_SHOWN = (HealthState.ONLINE, HealthState.OFFLINE, HealthState.DEGRADED)


def alarm_counts(alarms: Iterable[Alarm]) -> dict[Priority, int]:
    """Open alarms per priority, loudest first, priorities without alarms left out."""
    counts = Counter(a.priority for a in alarms if a.is_open)
    return {p: counts[p] for p in sorted(counts)}


def _coloured(text: str, colour: str) -> str:
    return f'<span style="color:{colour}">{text}</span>'


class StatusPanel(QWidget):
    """Re-reads counts when the bridge says something changed; the clock ticks once a second."""

    def __init__(
        self, services: ConsoleServices, session: Session, bridge: Bridge, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("statusPanel")
        self._services = services
        self._zone: tzinfo | None = site_zone(services.site.site.timezone)
        self.officer = QLabel(
            self.tr("On duty: {name} ({role})").format(
                name=session.display_name, role=role_label(session.role)
            ),
            self,
        )
        # Texts that change while the officer works: steady sizes, or each change re-lays out the window.
        self.health = SteadyLabel(self)
        self.alarms = SteadyLabel(self)
        self.clock = SteadyLabel(self)
        self.clock.setObjectName("clock")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for label in (self.alarms, self.health, self.officer, self.clock):
            layout.addWidget(label)
        self.timer = QTimer(self)
        self.timer.setObjectName("status-clock")
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self.tick)
        self.timer.start()
        bridge.sig_device_health.connect(self.refresh_health)
        bridge.sig_alarms_settled.connect(self.refresh_alarms)
        self.tick()
        self.refresh_health()
        self.refresh_alarms()

    def tick(self) -> None:
        self.clock.setText(datetime.now(self._zone).strftime("%Y-%m-%d %H:%M:%S"))

    def refresh_health(self, *_: object) -> None:
        self.set_health(self._services.devices.counts())

    def set_health(self, counts: Mapping[HealthState, int]) -> None:
        parts = [
            _coloured(f"{health_label(s)} {counts.get(s, 0)}", HEALTH_COLOURS[s])
            if counts.get(s, 0)
            else f"{health_label(s)} 0"
            for s in HEALTH_SHOWN
        ]
        self.health.setText(self.tr("Devices: ") + " · ".join(parts))

    def refresh_alarms(self, *_: object) -> None:
        self.set_alarm_counts(alarm_counts(self._services.alarms.open_alarms()))

    def set_alarm_counts(self, counts: Mapping[Priority, int]) -> None:
        if not counts:
            self.alarms.setText(self.tr("No open alarms"))
            return
        parts = [_coloured(f"{priority_label(p)} {n}", PRIORITY_COLOURS[p]) for p, n in counts.items()]
        self.alarms.setText(self.tr("Open alarms: ") + " · ".join(parts))

    def stop(self) -> None:
        self.timer.stop()
