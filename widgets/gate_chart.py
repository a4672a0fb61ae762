"""Hourly in/out counts per gate as a pyqtgraph bar chart: entries up, exits down, stacked by gate."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from console.domain.gates import HourlyCount

# Distinct on the dark background; a site with more gates than colours reuses them in order.
GATE_COLOURS = ("#42a5f5", "#66bb6a", "#ffca28", "#ab47bc", "#26c6da", "#ef5350", "#8d6e63", "#d4e157")
BAR_WIDTH = 0.8
MAX_LABELS = 6  # hour labels on the axis, however long the range: the chart is a narrow column


@dataclass(frozen=True, slots=True)
class Series:
    """One gate's bars: x is hours since the first hour shown, aligned with ``ChartData.hours``."""

    gate: str
    entered: np.ndarray
    exited: np.ndarray


@dataclass(frozen=True, slots=True)
class ChartData:
    hours: tuple[datetime, ...]
    series: tuple[Series, ...]

    @property
    def total_in(self) -> int:
        return int(sum(s.entered.sum() for s in self.series))

    @property
    def total_out(self) -> int:
        return int(sum(s.exited.sum() for s in self.series))


def chart_data(counts: Sequence[HourlyCount]) -> ChartData:
    """Every hour from the first to the last count (gaps as zeros), one series per gate in name order."""
    if not counts:
        return ChartData((), ())
    first = min(c.hour for c in counts)
    last = max(c.hour for c in counts)
    n = int((last - first).total_seconds() // 3600) + 1
    hours = tuple(first + timedelta(hours=i) for i in range(n))
    by_gate: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for c in counts:
        entered, exited = by_gate.setdefault(c.gate, (np.zeros(n, dtype=int), np.zeros(n, dtype=int)))
        i = int((c.hour - first).total_seconds() // 3600)
        entered[i] += c.entered
        exited[i] += c.exited
    series = tuple(Series(g, *by_gate[g]) for g in sorted(by_gate))
    return ChartData(hours, series)


class GateChart(QWidget):
    """``set_counts`` redraws; the caller fetches the counts off the GUI thread."""

    def __init__(self, names: Mapping[str, str] | None = None, zone: tzinfo | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gateChart")
        self._names = dict(names or {})
        self._zone = zone
        self.data = ChartData((), ())
        self.plot = pg.PlotWidget(self, background="#101418")
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.setMenuEnabled(False)
        self.plot.showGrid(x=False, y=True, alpha=0.2)
        self.plot.setLabel("left", self.tr("in ↑ / out ↓"))
        self.summary = QLabel(self)
        self.summary.setObjectName("gateChartSummary")
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.summary)
        self.bars: list[pg.BarGraphItem] = []
        self.set_counts([])

    def set_counts(self, counts: Sequence[HourlyCount]) -> None:
        self.data = data = chart_data(counts)
        self.plot.clear()
        self.bars = []
        x = np.arange(len(data.hours), dtype=float)
        up = np.zeros(len(x))
        down = np.zeros(len(x))
        for number, series in enumerate(data.series):
            colour = GATE_COLOURS[number % len(GATE_COLOURS)]
            brush = pg.mkBrush(colour)
            entered = pg.BarGraphItem(x=x, y0=up, height=series.entered, width=BAR_WIDTH, brush=brush,
                                      pen=pg.mkPen(None))
            exited = pg.BarGraphItem(x=x, y0=down, height=-series.exited, width=BAR_WIDTH,
                                     brush=pg.mkBrush(pg.mkColor(colour).darker(140)), pen=pg.mkPen(None))
            up = up + series.entered
            down = down - series.exited
            for item in (entered, exited):
                self.plot.addItem(item)
                self.bars.append(item)
        axis = self.plot.getAxis("bottom")
        step = max(1, math.ceil(len(data.hours) / MAX_LABELS))
        axis.setTicks([[(i, h.astimezone(self._zone).strftime("%H:00")) for i, h in enumerate(data.hours)
                        if i % step == 0]])
        if data.hours:
            self.plot.setXRange(-0.6, len(data.hours) - 0.4, padding=0)
            # The key as coloured squares under the plot: a legend inside a short plot hides the bars.
            key = "  ".join(
                f'<span style="color:{GATE_COLOURS[i % len(GATE_COLOURS)]}">■</span> '
                f"{html.escape(self._names.get(s.gate, s.gate))}"
                for i, s in enumerate(data.series))
            totals = self.tr("{n_in} in, {n_out} out over {hours} h").format(
                n_in=data.total_in, n_out=data.total_out, hours=len(data.hours))
            self.summary.setText(f"{html.escape(totals)}<br>{key}")
        else:
            self.summary.setText(self.tr("No passes in this period"))
