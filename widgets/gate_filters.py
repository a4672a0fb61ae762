"""The gate log's filter bar: campus, gate, direction, result, time range and debounced free text."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, tzinfo

from PySide6.QtCore import QDateTime, QTimer, Signal
from PySide6.QtWidgets import QComboBox, QDateTimeEdit, QHBoxLayout, QLineEdit, QWidget

from console.config import Site
from console.domain.gates import GateFilter

from .gate_log_model import DIRECTIONS, RESULTS, label

TEXT_DEBOUNCE_MS = 350
PRESETS = ("hour", "day", "today", "week", "all", "custom")
DEFAULT_PRESET = "day"


def time_range(preset: str, now: datetime, zone: tzinfo | None) -> tuple[datetime | None, datetime | None]:
    """(since, until) in UTC for a preset; "today" starts at local midnight in the site's zone."""
    if preset == "hour":
        return now - timedelta(hours=1), None
    if preset == "day":
        return now - timedelta(hours=24), None
    if preset == "week":
        return now - timedelta(days=7), None
    if preset == "today":
        local = now.astimezone(zone)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        return midnight.astimezone(UTC), None
    return None, None


def build_filter(
    campus: str | None,
    gate: str | None,
    direction: str | None,
    result: str | None,
    since: datetime | None,
    until: datetime | None,
    text: str,
) -> GateFilter:
    """Blank text means no text filter; a lone space is not a search."""
    return GateFilter(
        campus=campus or None,
        gate=gate or None,
        direction=direction or None,
        result=result or None,
        since=since,
        until=until,
        text=text.strip() or None,
    )


class GateFilterBar(QWidget):
    """Emits ``sig_changed`` with the new GateFilter: at once for the choices, after a pause for typing."""

    sig_changed = Signal(object)
    """GateFilter: the officer changed a choice, or stopped typing."""

    def __init__(self, site: Site, zone: tzinfo | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gateFilterBar")
        self._site = site
        self._zone = zone
        self.campus = QComboBox(self)
        self.campus.setObjectName("gateCampus")
        self.campus.addItem(self.tr("All campuses"), "")
        for campus in site.campuses:
            self.campus.addItem(campus.name, campus.id)
        self.gate = QComboBox(self)
        self.gate.setObjectName("gateGate")
        self.direction = QComboBox(self)
        self.direction.setObjectName("gateDirection")
        self.direction.addItem(self.tr("Both directions"), "")
        for value in DIRECTIONS:
            self.direction.addItem(label(DIRECTIONS, value), value)
        self.result = QComboBox(self)
        self.result.setObjectName("gateResult")
        self.result.addItem(self.tr("All results"), "")
        for value in ("granted", "denied", "alarm"):
            self.result.addItem(label(RESULTS, value), value)
        self.period = QComboBox(self)
        self.period.setObjectName("gatePeriod")
        titles = {
            "hour": self.tr("Last hour"),
            "day": self.tr("Last 24 hours"),
            "today": self.tr("Today"),
            "week": self.tr("Last 7 days"),
            "all": self.tr("All time"),
            "custom": self.tr("From … to …"),
        }
        for preset in PRESETS:
            self.period.addItem(titles[preset], preset)
        self.period.setCurrentIndex(PRESETS.index(DEFAULT_PRESET))
        now = QDateTime.currentDateTime()
        self.since = QDateTimeEdit(now.addDays(-1), self)
        self.until = QDateTimeEdit(now, self)
        for edit in (self.since, self.until):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd HH:mm")
            edit.setVisible(False)
            edit.dateTimeChanged.connect(self._changed)
        self.text = QLineEdit(self)
        self.text.setObjectName("gateText")
        self.text.setPlaceholderText(self.tr("Name, card, plate or ID"))
        self.text.setClearButtonEnabled(True)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(TEXT_DEBOUNCE_MS)
        self._debounce.timeout.connect(self._changed)
        self.text.textChanged.connect(lambda _t: self._debounce.start())
        self.text.returnPressed.connect(self._changed)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.campus, self.gate, self.direction, self.result, self.period, self.since,
                       self.until):
            layout.addWidget(widget)
        layout.addWidget(self.text, 1)
        self._fill_gates()
        self.campus.currentIndexChanged.connect(self._on_campus)
        for combo in (self.gate, self.direction, self.result):
            combo.currentIndexChanged.connect(self._changed)
        self.period.currentIndexChanged.connect(self._on_period)

    def _fill_gates(self) -> None:
        campus = self.campus.currentData()
        self.gate.blockSignals(True)  # one change signal for the campus switch, not one per item
        self.gate.clear()
        self.gate.addItem(self.tr("All gates"), "")
        for gate in self._gates(campus):
            self.gate.addItem(gate.name, gate.id)
        self.gate.blockSignals(False)

    def _gates(self, campus: str | None) -> Sequence[object]:
        return [g for g in self._site.gates if not campus or g.campus == campus]

    def _on_campus(self) -> None:
        self._fill_gates()
        self._changed()

    def _on_period(self) -> None:
        custom = self.period.currentData() == "custom"
        self.since.setVisible(custom)
        self.until.setVisible(custom)
        self._changed()

    def _changed(self) -> None:
        self._debounce.stop()
        self.sig_changed.emit(self.current_filter())

    def select(self, combo: QComboBox, value: str) -> None:
        """Choose the item whose data is ``value`` (tests and saved views use ids, not display names)."""
        index = combo.findData(value)
        if index >= 0:
            combo.setCurrentIndex(index)

    def current_filter(self, now: datetime | None = None) -> GateFilter:
        preset = self.period.currentData()
        if preset == "custom":
            since: datetime | None = self.since.dateTime().toPython().astimezone(UTC)
            until: datetime | None = self.until.dateTime().toPython().astimezone(UTC)
        else:
            since, until = time_range(preset, now or datetime.now(UTC), self._zone)
        return build_filter(
            self.campus.currentData(),
            self.gate.currentData(),
            self.direction.currentData(),
            self.result.currentData(),
            since,
            until,
            self.text.text(),
        )
