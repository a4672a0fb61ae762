"""The gate log dock: filter bar, hourly chart, the paged table of passes and refusals, pictures, export."""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QImage, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.config import Site
from console.domain.gates import GateFilter, GateRow
from console.domain.messages import EventStored
from console.domain.roles import Permission
from console.domain.session import Session
from console.services.facade import ConsoleServices

from .bridge import Bridge
from .formatting import site_zone
from .futures import FutureRelay
from .gate_chart import GateChart
from .gate_filters import GateFilterBar
from .gate_log_model import GateLogModel

log = logging.getLogger(__name__)

GATE_KIND_PREFIX = "gate."
CHART_DEFAULT = timedelta(hours=24)  # the chart's span when the filter has no start
CHART_REFRESH_MS = 5_000  # live passes redraw the chart at most this often
PREVIEW_WIDTH = 140
PREVIEW_HEIGHT = 180


def cameras_for(site: Site, row: GateRow) -> list[str]:
    """The cameras linked to the row's point; without a mapped point, those of any point of its gate."""
    point = site.point(row.point) if row.point else None
    if point is not None and point.cameras:
        return list(point.cameras)
    out: list[str] = []
    for p in site.points_of(row.gate):
        out.extend(c for c in p.cameras if c not in out)
    return out


def chart_filter(flt: GateFilter, now: datetime) -> GateFilter:
    """What the chart counts: the log's campus, gate and period (a period without start: the last day)."""
    return GateFilter(campus=flt.campus, gate=flt.gate, since=flt.since or (now - CHART_DEFAULT),
                      until=flt.until)


def display_names(site: Site) -> dict[str, str]:
    """Gate and point ids to the names the site file gives them."""
    names = {g.id: g.name for g in site.gates}
    names.update({p.id: p.name for p in site.points})
    return names


class GateLogView(QWidget):
    """Queries and the chart's counts run on one worker thread (in order); the GUI thread only swaps rows."""

    sig_show_cameras = Signal(list)
    """list[str]: the officer asked for the cameras of a row's door or lane (live view)."""
    sig_message = Signal(str)
    """A line for the status bar (export done, a failure)."""

    def __init__(self, services: ConsoleServices, session: Session, bridge: Bridge,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gateLog")
        self.services = services
        self.session = session
        self._site = services.site
        zone = site_zone(services.site.site.timezone)
        names = display_names(services.site)
        # One worker: a reload, the next page and a live refresh run in the order they were asked for.
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gate-log")
        self._relay = FutureRelay(self)
        gate_log = services.gate_log
        self.model = GateLogModel(lambda flt: gate_log.query(flt, session), self.executor, zone, names, self)
        self.filters = GateFilterBar(services.site, zone, self)
        if not session.can(Permission.VIEW_PERSON_DATA):
            # Searching by name, card or plate is a search for a person: the service refuses it for this role.
            self.filters.text.setEnabled(False)
            self.filters.text.setPlaceholderText(self.tr("Search by person needs the person-data permission"))
        self.chart = GateChart(names, zone, self)
        self.chart.setMinimumSize(220, 100)
        self.table = QTableView(self)
        self.table.setObjectName("gateTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate((110, 110, 120, 70, 70, 80, 100, 90, 130, 70)):
            self.table.setColumnWidth(column, width)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.doubleClicked.connect(self._on_double_click)
        self.table.selectionModel().currentRowChanged.connect(self._on_current)
        self.picture = QLabel(self)
        self.picture.setObjectName("gatePicture")
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setFixedWidth(PREVIEW_WIDTH)
        self.picture.setWordWrap(True)
        self.picture.setVisible(False)
        self.status = QLabel(self)
        self.status.setObjectName("gateStatus")
        self.export_button = QPushButton(self.tr("Export CSV…"), self)
        self.export_button.setObjectName("gateExport")
        self.export_button.setEnabled(session.can(Permission.EXPORT))
        if not session.can(Permission.EXPORT):
            self.export_button.setToolTip(self.tr("Your role may not export"))
        self.export_button.clicked.connect(self.export)
        self.open_camera_action = QAction(self.tr("Open camera (live)"), self)
        self.open_camera_action.triggered.connect(self.open_camera)
        self.show_picture_action = QAction(self.tr("Show picture"), self)
        self.show_picture_action.triggered.connect(self._show_current_picture)
        self._build_layout()
        self._anchor: tuple[int, int] | None = None  # (row id at the top, its pixel offset) during an insert
        self.model.rowsAboutToBeInserted.connect(self._before_insert)
        self.model.rowsInserted.connect(self._after_insert)
        self.model.sig_loading.connect(lambda _busy: self._update_status())
        self.model.sig_loaded.connect(self._update_status)
        self.model.sig_failed.connect(self._on_failed)
        self._chart_timer = QTimer(self)
        self._chart_timer.setSingleShot(True)
        self._chart_timer.setInterval(CHART_REFRESH_MS)
        self._chart_timer.timeout.connect(self.refresh_chart)
        self._chart_generation = 0
        self._note = ""  # the last export's outcome, kept in the status line until the next export
        self._picture_generation = 0
        self.filters.sig_changed.connect(self.apply_filter)
        bridge.sig_event_stored.connect(self.on_events)
        self.apply_filter(self.filters.current_filter())

    def _build_layout(self) -> None:
        """Beside, not above: the dock shares the bottom edge with the event log and is short, so the table
        keeps all the height; on the right the selected row's picture, then chart, count and export."""
        side = QWidget(self)
        side_layout = QHBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.setSpacing(4)
        side_layout.addWidget(self.picture)
        column = QVBoxLayout()
        column.setSpacing(4)
        column.addWidget(self.chart, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.export_button)
        column.addLayout(bottom)
        side_layout.addLayout(column, 1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(side)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([1000, 420])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addWidget(self.filters)
        layout.addWidget(self.splitter, 1)

    # -- filter, live rows, chart ------------------------------------------------------------------------
    def apply_filter(self, flt: GateFilter) -> None:
        self.model.set_filter(flt)
        self.refresh_chart()

    def reload(self) -> None:
        """The current filter again from the top (after an unlock: rows that came meanwhile were masked)."""
        self.apply_filter(self.filters.current_filter())

    def on_events(self, messages: list[EventStored]) -> None:
        """Bridge batch: only gate events matter; the query decides whether they pass the filter."""
        if any(m.event.kind.startswith(GATE_KIND_PREFIX) and m.event_id > self.model.newest_id
               for m in messages):
            self.model.refresh_newest()
            if not self._chart_timer.isActive():
                self._chart_timer.start()

    def refresh_chart(self) -> None:
        self._chart_timer.stop()
        self._chart_generation += 1
        generation = self._chart_generation
        flt = chart_filter(self.model.filter, datetime.now(UTC))
        gate_log = self.services.gate_log

        def done(future: Future[Any]) -> None:
            if generation != self._chart_generation:
                return
            if future.exception() is not None:
                log.warning("gate chart counts failed: %s", future.exception())
                return
            self.chart.set_counts(future.result())

        self._run(lambda: gate_log.hourly_counts(flt), done)

    def _run(self, work: Any, done: Any) -> None:
        try:
            future = self.executor.submit(work)
        except RuntimeError:  # shut down: the window is closing
            return
        self._relay.watch(future, done)

    # -- keeping the officer's place ---------------------------------------------------------------------
    def _before_insert(self, _parent: QModelIndex, first: int, _last: int) -> None:
        bar = self.table.verticalScrollBar()
        top = self.table.indexAt(QPoint(0, 0))
        row = self.model.row_at(top.row()) if top.isValid() else None
        # At the very top the officer is watching live: new rows should push in. Otherwise stay put.
        if first == 0 and bar.value() > 0 and row is not None:
            self._anchor = (row.id, self.table.visualRect(top).top())
        else:
            self._anchor = None

    def _after_insert(self, _parent: QModelIndex, _first: int, _last: int) -> None:
        if self._anchor is None:
            return
        row_id, offset = self._anchor
        self._anchor = None
        index = self.model.row_of(row_id)
        if index < 0:
            return
        self.table.updateGeometries()  # the scroll range must include the new rows before we move
        bar = self.table.verticalScrollBar()
        if self.table.verticalScrollMode() is QAbstractItemView.ScrollMode.ScrollPerItem:
            bar.setValue(index)
        else:
            bar.setValue(self.table.rowViewportPosition(index) + bar.value() - offset)

    def top_row_id(self) -> int | None:
        """The id of the row at the top of the visible part of the table."""
        top = self.table.indexAt(QPoint(0, 0))
        row = self.model.row_at(top.row()) if top.isValid() else None
        return row.id if row is not None else None

    # -- status ------------------------------------------------------------------------------------------
    def _update_status(self) -> None:
        n = self.model.rowCount()
        text = self.tr("{n} rows").format(n=n)
        if not self.model.exhausted:
            text += " " + self.tr("(scroll for older)")
        if self.model.busy:
            text += " — " + self.tr("loading…")
        if self._note:
            text += "  ·  " + self._note
        self.status.setText(text)

    def _on_failed(self, reason: str) -> None:
        self.status.setText(self.tr("Could not load the gate log: {reason}").format(reason=reason))

    # -- row actions -------------------------------------------------------------------------------------
    def current_row(self) -> GateRow | None:
        index = self.table.currentIndex()
        return self.model.row_at(index.row()) if index.isValid() else None

    def _context_menu(self, pos: QPoint) -> None:
        index = self.table.indexAt(pos)
        if not index.isValid():
            return
        self.table.setCurrentIndex(index)
        menu = self.context_menu()
        menu.exec(self.table.viewport().mapToGlobal(pos))

    def context_menu(self) -> QMenu:
        """The row menu, its actions enabled for the current row (separate so tests can inspect it)."""
        row = self.current_row()
        cameras = cameras_for(self._site, row) if row is not None else []
        self.open_camera_action.setEnabled(bool(cameras))
        self.open_camera_action.setToolTip("" if cameras else self.tr("No camera is linked to this door"))
        self.show_picture_action.setEnabled(row is not None and bool(row.pictures)
                                            and self.session.can(Permission.VIEW_PERSON_DATA))
        menu = QMenu(self)
        menu.addAction(self.open_camera_action)
        menu.addAction(self.show_picture_action)
        return menu

    def _on_double_click(self, _index: QModelIndex) -> None:
        self.open_camera()

    def open_camera(self) -> None:
        """The linked cameras, live (recordings cannot be played back yet, so not "at this time")."""
        row = self.current_row()
        cameras = cameras_for(self._site, row) if row is not None else []
        if not cameras:
            self.sig_message.emit(self.tr("No camera is linked to this door"))
            return
        self.sig_show_cameras.emit(cameras)
        self.sig_message.emit(self.tr("Showing the door's camera live; playback is not available yet"))

    # -- pictures ----------------------------------------------------------------------------------------
    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        row = self.model.row_at(current.row()) if current.isValid() else None
        if row is not None and row.pictures and self.session.can(Permission.VIEW_PERSON_DATA):
            self.show_picture(row)
        else:
            self._picture_generation += 1
            self.picture.setVisible(False)

    def _show_current_picture(self) -> None:
        row = self.current_row()
        if row is not None:
            self.show_picture(row)

    def show_picture(self, row: GateRow) -> None:
        """Resolve (audited) and decode the row's first picture on the worker; show it when it comes."""
        if not row.pictures:
            return
        self._picture_generation += 1
        generation = self._picture_generation
        gate_log, session, relative = self.services.gate_log, self.session, row.pictures[0]

        def load() -> QImage:
            return QImage(str(gate_log.picture_path(relative, session)))  # QImage, unlike QPixmap, off-GUI

        def done(future: Future[Any]) -> None:
            if generation != self._picture_generation:
                return
            self.picture.setVisible(True)
            error = future.exception()
            image = future.result() if error is None else QImage()
            if image.isNull():
                self.picture.setPixmap(QPixmap())
                self.picture.setText(self.tr("Picture unavailable: {reason}").format(
                    reason=str(error) if error is not None else relative))
                return
            # Within the column's width and the height of the short bottom dock.
            pixmap = QPixmap.fromImage(image).scaled(
                PREVIEW_WIDTH - 8, PREVIEW_HEIGHT, Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation)
            self.picture.setPixmap(pixmap)
            self.picture.setToolTip(self.tr("{n} picture(s)").format(n=len(row.pictures)))

        self._run(load, done)

    # -- export ------------------------------------------------------------------------------------------
    def export(self) -> None:
        path, _kind = QFileDialog.getSaveFileName(
            self, self.tr("Export gate log"), "gate-log.csv", self.tr("CSV files (*.csv)"))
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path) -> None:
        """The service writes and audits the file off this thread; the count shows when it is done."""
        try:
            future = self.services.gate_log.export_csv(replace(self.model.filter, before_id=None), path,
                                                       self.session)
        except Exception as error:  # noqa: BLE001 - a refusal (permission) is shown, not raised into Qt
            self._export_done_text(None, error, path)
            return
        self.export_button.setEnabled(False)
        self._note = self.tr("Exporting…")
        self._update_status()
        self._relay.watch(future, lambda f: self._export_done_text(
            None if f.exception() else f.result(), f.exception(), path))

    def _export_done_text(self, count: int | None, error: BaseException | None, path: Path) -> None:
        self.export_button.setEnabled(self.session.can(Permission.EXPORT))
        if error is not None:
            log.warning("gate log export to %s failed: %s", path, error)
            text = self.tr("Export failed: {reason}").format(reason=error)
        else:
            text = self.tr("Exported {n} rows to {file}").format(n=count, file=path.name)
        self._note = text
        self._update_status()
        self.sig_message.emit(text)

    # -- life ------------------------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Drop pending answers and join the worker (a query in progress finishes first)."""
        self._chart_timer.stop()
        self.model.close()
        self._relay.close()
        self.executor.shutdown(wait=True, cancel_futures=True)
