"""The fire board: panel cards, the ordered list with the first fire highlighted, the point grid, actions."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QItemSelection, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from console.domain.alarms import Alarm, AlarmAction, Disposition
from console.domain.events import Priority
from console.domain.fire_board import (
    Condition,
    Entry,
    FireBoard,
    FireEvent,
    PanelBoard,
    PanelInfo,
    PointInfo,
    entry_of,
    reduce_board,
)
from console.domain.fire_facts import Facts, is_fire_kind
from console.domain.messages import AlarmChanged, DeviceHealthChanged, EventStored
from console.domain.roles import Permission
from console.domain.session import Session
from console.services.facade import ConsoleServices

from .alarm_actor import AlarmActor
from .alarm_logic import action_enabled
from .bridge import Bridge
from .disposition_dialog import DispositionDialog
from .fire_cards import CardRow
from .fire_checklist import FireProcedureDialog
from .fire_commands import PanelCommandBar
from .fire_entries import FireEntryModel, make_entry_table
from .fire_grid import GridChanges, PointGrid, grid_changes
from .formatting import site_zone
from .futures import FutureRelay

# Enough fire events to describe every open condition of a busy campus; older ones fall back on the alarm.
BACKLOG = 2000
# STYLE.md §3: in a storm the board is recomputed at most this often (reduce_board and the grid cost
# tens of ms each time, and the GUI thread shares the GIL with the drivers). A NEW fire alarm does not
# wait for that: its line is listed at once (``_list_new_fire``); counts, grid and order follow here.
MIN_REFRESH_S = 0.25

log = logging.getLogger(__name__)


class FireBoardView(QWidget):
    """Recomputes the whole board from its inputs after a bridge batch (a single-shot timer), at most
    every ``MIN_REFRESH_S``; a new fire alarm's line is listed ahead of that."""

    # ---- Signals
    sig_shown = Signal()
    """The list on screen changed: a newer board, or a new fire alarm shown ahead of the next one."""
    sig_show_cameras = Signal(list)
    """list[str]: the officer selected an entry; the wall should bring these linked cameras forward."""
    sig_message = Signal(str)
    """A line for the status bar: an action's outcome or why it was refused."""

    def __init__(
        self, services: ConsoleServices, session: Session, bridge: Bridge, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("fireBoard")
        self._services = services
        self._session = session
        self._bridge = bridge
        self._zone = site_zone(services.site.site.timezone)
        self._relay = FutureRelay(self)
        self._actor = AlarmActor(services, session, self._relay, self)
        self._actor.sig_message.connect(self.sig_message)
        site = services.site
        self._panels = [PanelInfo(p.id, p.name) for p in site.panels]
        panel_ids = {p.id for p in site.panels}
        self._panel_ids = frozenset(panel_ids)
        self._points = [PointInfo(p.id, p.device, p.address, p.name, p.kind, p.location)
                        for p in site.points if p.device in panel_ids]
        self._point_by_id = {p.id: p for p in self._points}
        self._alarms: dict[int, Alarm] = {a.id: a for a in services.alarms.open_alarms()}
        self._health = {d.id: d.health for d in services.devices.all() if d.id in panel_ids}
        self._facts = Facts()  # the recent fire events, applied as they come (the reducer gets a copy)
        self._add_events(FireEvent.from_row(r) for r in self._initial_events() if is_fire_kind(r["kind"]))
        self.board = FireBoard()
        self.grid_panel: str | None = None
        self._grid_pinned: str | None = None  # the panel the officer chose; else the grid follows the fire
        self._selected_id: int | None = None
        self._restoring = False
        self.dialog: DispositionDialog | FireProcedureDialog | None = None
        self._timer = QTimer(self)
        self._timer.setObjectName("fire-board-refresh")
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._refresh_in_background)
        self._last_refresh = float("-inf")
        # The reduction is pure and takes 5-15 ms of Python for a busy board: in a storm it runs on its own
        # thread (which yields the GIL every switch interval), so the alarm list, the bridge and the
        # wall keep being served while it runs. One at a time; changes meanwhile ask for one more.
        self._reducer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ThreadPoolExecutor-fire-board")
        self._reducing: Future[tuple[FireBoard, GridChanges | None]] | None = None
        self._grid_changes: GridChanges | None = None  # worked out with the board, for the grid's panel
        self._stale = False
        self._build()
        bridge.sig_alarms_changed.connect(self._on_alarms_changed)
        bridge.sig_event_stored.connect(self._on_events)
        bridge.sig_device_health.connect(self._on_health)
        self.refresh()

    def _initial_events(self) -> list[dict[str, Any]]:
        fire = self._services.fire_procedures
        return fire.recent_fire_events(BACKLOG) if fire else self._services.recent_events(BACKLOG)

    def _build(self) -> None:
        self.cards = CardRow(self)
        self.cards.sig_clicked.connect(self.pin_grid)
        self.model = FireEntryModel(self._zone, self)
        self.table = make_entry_table(self.model, self)
        self.table.selectionModel().selectionChanged.connect(self._on_selection)
        self.grid = PointGrid(self)
        self.grid_title = QLabel(self)
        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.grid_title)
        right_layout.addWidget(self.grid)
        splitter = QSplitter(Qt.Orientation.Vertical, self)  # the board lives in the tall right dock
        splitter.addWidget(self.table)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        self.details = QLabel(self)
        self.details.setObjectName("fireDetails")
        self.details.setWordWrap(True)
        self.buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout()
        for key, text, slot in (
            ("acknowledge", self.tr("Acknowledge"), self.acknowledge),
            ("silence", self.tr("Silence"), self.silence),
            ("close", self.tr("Close…"), self.close_selected),
            ("procedure", self.tr("Fire procedure…"), self.open_procedure),
        ):
            button = QPushButton(text, self)
            button.setObjectName(f"fire_{key}Button")
            button.clicked.connect(slot)
            self.buttons[key] = button
            row.addWidget(button)
        row.addStretch(1)
        self.commands = PanelCommandBar(
            self._services, self._session, self._bridge, lambda: self.grid_panel, self
        )
        self.commands.sig_message.connect(self.sig_message)
        row.addWidget(self.commands)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.cards)
        layout.addLayout(row)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.details)

    # -- inputs (GUI thread, from the bridge) -------------------------------------------------------
    def _on_alarms_changed(self, changes: list[AlarmChanged]) -> None:
        listed = False
        for change in changes:
            alarm = change.alarm
            if alarm.is_open:
                new_fire = alarm.id not in self._alarms and alarm.priority is Priority.FIRE
                self._alarms[alarm.id] = alarm
            else:
                new_fire = False
                self._alarms.pop(alarm.id, None)
            if new_fire:
                listed |= self._list_new_fire(alarm)
        if listed:  # once for the batch, however many fires it brought
            self._keep_selection()
            self._sync()
            self.sig_shown.emit()
        self._schedule()

    def _list_new_fire(self, alarm: Alarm) -> bool:
        """A new fire alarm goes on the list now, not at the next refresh (up to MIN_REFRESH_S away in a
        storm, plus the reduction): the refresh then puts the whole board in step."""
        event = self._facts.by_id.get(alarm.last_event) or self._facts.by_id.get(alarm.first_event)
        entry = entry_of(alarm, event, self._point_by_id.get(alarm.point or ""), self._panel_ids)
        if entry is None:
            return False
        self.model.add_early(entry)
        return True

    def _on_events(self, stored: list[EventStored]) -> None:
        fresh = [FireEvent.from_stored(s.event_id, s.event) for s in stored if is_fire_kind(s.event.kind)]
        if fresh:
            self._add_events(fresh)
            self._schedule()

    def _on_health(self, change: DeviceHealthChanged) -> None:
        if change.device_id in self._health:
            self._health[change.device_id] = change.state
            self._schedule()

    def _schedule(self) -> None:
        """One refresh per burst, MIN_REFRESH_S after the last one."""
        wait = MIN_REFRESH_S - (time.monotonic() - self._last_refresh)
        wait_ms = int(wait * 1000) if wait > 0 else 0  # wait is -inf before the first refresh
        if self._timer.isActive() and self._timer.remainingTime() <= wait_ms:
            return  # already due as soon as (or sooner than) this change needs
        self._timer.start(wait_ms)

    def _add_events(self, events: Iterable[FireEvent]) -> None:
        """Applied here as they come, not replayed by every refresh: a storm's refresh then copies the
        facts (hundreds of points) instead of folding the whole backlog (thousands of events) again."""
        for event in sorted(events, key=lambda e: e.id):
            self._facts.apply(event)
        self._facts.keep_details_of(BACKLOG)

    # -- the view -----------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Recompute and show the board now, on this thread (start-up, tests, an explicit request)."""
        self._timer.stop()
        self._last_refresh = time.monotonic()
        self._show(reduce_board(*self._inputs()))

    def _inputs(self) -> tuple[Any, ...]:
        # Copies: the reducer thread must not see these dicts change under it.
        return (list(self._alarms.values()), self._facts.copy(), self._panels, self._points,
                dict(self._health))

    def _refresh_in_background(self) -> None:
        if self._reducing is not None:
            self._stale = True
            return
        self._timer.stop()
        self._last_refresh = time.monotonic()
        self._reducing = self._reducer.submit(_reduce_for_view, self.grid.shown, self._inputs())
        self._relay.watch(self._reducing, self._reduced)

    def _reduced(self, future: Future[tuple[FireBoard, GridChanges | None]]) -> None:
        self._reducing = None
        try:
            board, changes = future.result()
        except Exception:
            log.exception("the fire board could not be recomputed")
            return
        # Two turns of the event loop, not one: the list (what the officer reads first) now, the grid
        # after whatever else is waiting; each half is a shorter hold on the GUI thread in a storm.
        self._show_list(board)
        QTimer.singleShot(0, self, lambda: self._show_rest(changes))
        if self._stale:
            self._stale = False
            self._schedule()

    def _show(self, board: FireBoard) -> None:
        self._show_list(board)
        self._show_rest(None)

    def _show_list(self, board: FireBoard) -> None:
        self.board = board
        self.cards.show_panels(self.board.panels)
        self.model.set_entries(self.board.entries)
        self._keep_selection()
        self.sig_shown.emit()

    def _show_rest(self, changes: GridChanges | None) -> None:
        """The point grid (of the pinned panel, else the one with the loudest entry) and the buttons."""
        busiest = next((e.alarm.source for e in self.board.entries if not e.reset), None)
        self._grid_changes = changes
        try:
            self.show_grid_of(self._grid_pinned or busiest or (self._panels[0].id if self._panels else ""))
        finally:
            self._grid_changes = None
        self._sync()

    def _keep_selection(self) -> None:
        """The officer's entry stays selected; with none, the top one (the loudest, the first fire)."""
        self._restoring = True  # re-selecting after the list changed is not the officer's choice
        row = self.model.row_of(self._selected_id) if self._selected_id is not None else None
        if row is None and self.model.rowCount():
            row = 0
        if row is not None and row != self._selected_row():
            self.table.selectRow(row)  # costly (tens of ms in a storm): only when the selection moves
        self._restoring = False

    def pin_grid(self, panel_id: str) -> None:
        self._grid_pinned = panel_id
        self.show_grid_of(panel_id)

    def show_grid_of(self, panel_id: str) -> None:
        self.grid_panel = panel_id or None
        panel = next((p for p in self.board.panels if p.id == panel_id), None)
        changes = self._grid_changes
        self.grid.show_panel(panel, changes if changes is not None and panel is not None
                             and changes.old.id == panel.id else None)
        if hasattr(self, "commands"):
            self.commands.sync()
        self.grid_title.setText(self.tr("Points of {panel}").format(panel=panel.name) if panel else "")
        self.cards.set_selected(panel_id)

    def _selected_row(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    def selected_entry(self) -> Entry | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.entry_at(rows[0].row()) if rows else None

    def select_alarm(self, alarm_id: int) -> None:
        row = self.model.row_of(alarm_id)
        if row is not None:
            self.table.selectRow(row)

    def _on_selection(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        entry = self.selected_entry()
        changed = (entry.alarm.id if entry else None) != self._selected_id
        self._selected_id = entry.alarm.id if entry else None
        if entry is not None and changed and not self._restoring:
            self.pin_grid(entry.alarm.source)
            if entry.alarm.cameras:  # linkage: the officer picked it, so the wall follows
                self.sig_show_cameras.emit(list(entry.alarm.cameras))
        self._sync()

    def _sync(self) -> None:
        entry = self.selected_entry()
        alarm = entry.alarm if entry else None
        self.buttons["acknowledge"].setEnabled(action_enabled(alarm, AlarmAction.ACKNOWLEDGE, self._session))
        self.buttons["close"].setEnabled(action_enabled(alarm, AlarmAction.CLOSE, self._session))
        self.buttons["silence"].setEnabled(self._session.can(Permission.SILENCE))
        is_fire = entry is not None and entry.condition is Condition.FIRE
        self.buttons["procedure"].setEnabled(is_fire and self._services.fire_procedures is not None)
        self.details.setText(self._describe(entry) if entry else "")

    def _describe(self, entry: Entry) -> str:
        parts = [self.tr("First fire alarm")] if entry.first else []
        parts.append(entry.alarm.summary)
        if entry.alarm.cameras:
            parts.append(self.tr("Linked cameras: {cameras}").format(cameras=", ".join(entry.alarm.cameras)))
        return "  |  ".join(parts)

    # -- officer actions ----------------------------------------------------------------------------
    def acknowledge(self) -> None:
        self._act(AlarmAction.ACKNOWLEDGE)

    def silence(self) -> None:
        self._actor.silence()

    def close_selected(self) -> None:
        entry = self.selected_entry()
        if entry is None:
            return
        dialog = DispositionDialog(entry.alarm, self)
        dialog.accepted.connect(
            lambda: self._act(AlarmAction.CLOSE, dialog.note(), dialog.disposition(), entry.alarm))
        self._show_dialog(dialog)

    def open_procedure(self) -> None:
        entry = self.selected_entry()
        procedures = self._services.fire_procedures
        if entry is None or procedures is None or entry.condition is not Condition.FIRE:
            return
        self._show_dialog(FireProcedureDialog(procedures, self._session, entry.alarm, self._zone, self))

    def _show_dialog(self, dialog: DispositionDialog | FireProcedureDialog) -> None:
        dialog.finished.connect(dialog.deleteLater)
        dialog.finished.connect(lambda: setattr(self, "dialog", None))
        self.dialog = dialog
        dialog.open()  # window-modal, no nested event loop: the board and the sound keep running

    def _act(self, action: AlarmAction, note: str = "", disposition: Disposition | None = None,
             alarm: Alarm | None = None) -> None:
        entry = self.selected_entry()
        alarm = alarm or (entry.alarm if entry else None)
        if alarm is not None:
            self._actor.act(alarm, action, note, disposition)

    def shutdown(self) -> None:
        self._relay.close()
        self._timer.stop()
        self._reducer.shutdown(wait=True, cancel_futures=True)


def _reduce_for_view(
    shown: PanelBoard | None, inputs: tuple[Any, ...]
) -> tuple[FireBoard, GridChanges | None]:
    """The board, and what changes in the grid of the panel it shows (both pure: the reducer thread)."""
    board = reduce_board(*inputs)
    if shown is None:
        return board, None
    panel = next((p for p in board.panels if p.id == shown.id), None)
    return board, grid_changes(shown, panel) if panel is not None else None
