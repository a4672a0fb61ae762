"""Table model of the open alarms: loudest priority first, newest first within it, the first fire flagged."""

from __future__ import annotations

from dataclasses import replace
from datetime import tzinfo
from typing import Any

from PySide6.QtCore import QObject, Qt

from console.domain import alarms as am
from console.domain.alarms import Alarm
from console.domain.events import Priority

from .formatting import format_time, place_and_summary
from .i18n import priority_label, status_label
from .item_table import FIRST_FIRE_ROLE, ItemTable
from .theme import PRIORITY_COLOURS, bold_font, priority_colour, shared_colour, shared_text_on

COLUMNS = ("priority", "status", "time", "place", "source", "count")
FIRST_FIRE_TINT = "#3a1518"
_COUNT_CELL = (COLUMNS.index("count"), Qt.ItemDataRole.DisplayRole)


def row_key(alarm: Alarm) -> str:
    """``am.sort_key`` (open alarms only: loudest first, newest first) then the id, as text that sorts the
    same way: the proxy compares it in C++. Fixed widths; times and ids inverted to sort newest first."""
    _open, priority, newest_first = am.sort_key(alarm)
    return f"{priority:03d}.{10**17 + round(newest_first * 1_000_000):018d}.{10**15 - alarm.id:016d}"


class AlarmTableModel(ItemTable):
    """Updated one alarm at a time (``upsert``) so selections survive; closed alarms leave the table.
    Rows are the view's rows (sorted); the priority column keeps its colour when selected."""

    def __init__(self, zone: tzinfo | None = None, parent: QObject | None = None) -> None:
        super().__init__(len(COLUMNS), unselectable=(COLUMNS.index("priority"),), parent=parent)
        self.set_titles(self._titles())
        self._zone = zone
        self._alarms: dict[int, Alarm] = {}
        self._first_fire: int | None = None

    # -- updates ------------------------------------------------------------------------------------
    def set_alarms(self, alarms: list[Alarm]) -> None:
        self.clear_rows()
        self._alarms = {a.id: a for a in alarms if a.is_open}
        self._first_fire = _first_fire_id(list(self._alarms.values()))
        with self.batch():
            for alarm in self._alarms.values():
                self._put(alarm)

    def upsert_many(self, alarms: list[Alarm]) -> None:
        """A batch of changes, re-sorted once."""
        with self.batch():
            for alarm in alarms:
                self.upsert(alarm)

    def upsert(self, alarm: Alarm) -> None:
        if not alarm.is_open:
            if self._alarms.pop(alarm.id, None) is not None:
                self.remove(alarm.id)
        else:
            before = self._alarms.get(alarm.id)
            self._alarms[alarm.id] = alarm
            if before is not None and _only_repeated(before, alarm):
                # Most changes in a storm: the same alarm again. Its count and its place in the order.
                self.put_some(alarm.id, row_key(alarm), {_COUNT_CELL: self._text(alarm, "count", False)})
            else:
                self._put(alarm)
        # Only a fire alarm (or the one holding the star) can change which alarm is the first fire.
        if alarm.priority is Priority.FIRE or alarm.id == self._first_fire:
            self._refresh_first_fire()

    def _put(self, alarm: Alarm) -> None:
        first = alarm.id == self._first_fire
        self.put(alarm.id, row_key(alarm), self._cells(alarm, first), {FIRST_FIRE_ROLE: first})

    def _refresh_first_fire(self) -> None:
        first = _first_fire_id(list(self._alarms.values()))
        if first != self._first_fire:
            moved = (first, self._first_fire)
            self._first_fire = first
            for alarm_id in moved:  # the star moves: only its old and new rows change
                if alarm_id is not None and alarm_id in self._alarms:
                    self._put(self._alarms[alarm_id])

    # -- reading ------------------------------------------------------------------------------------
    def alarms(self) -> list[Alarm]:
        """Open alarms in the table's order."""
        return [self._alarms[i] for i in self.ids() if i in self._alarms]

    def alarm_at(self, row: int) -> Alarm | None:
        alarm_id = self.id_at(row)
        return None if alarm_id is None else self._alarms.get(alarm_id)

    @property
    def first_fire_id(self) -> int | None:
        return self._first_fire

    def _titles(self) -> tuple[str, ...]:
        return (self.tr("Priority"),
            self.tr("Status"),
            self.tr("Time"),
            self.tr("Place / what"),
            self.tr("Source"),
            self.tr("Count"),)

    def _cells(self, alarm: Alarm, first: bool) -> dict[int, tuple[Any, ...]]:
        """Every role's value per column for one alarm (None where the role has nothing to say)."""
        none = (None,) * len(COLUMNS)
        tint = shared_colour(FIRST_FIRE_TINT) if first else None
        cells: dict[int, tuple[Any, ...]] = {
            Qt.ItemDataRole.DisplayRole: tuple(self._text(alarm, c, first) for c in COLUMNS),
            Qt.ItemDataRole.BackgroundRole: (priority_colour(alarm.priority), *(tint,) * (len(COLUMNS) - 1)),
            Qt.ItemDataRole.ForegroundRole: (shared_text_on(PRIORITY_COLOURS[alarm.priority]), *none[1:]),
            Qt.ItemDataRole.TextAlignmentRole: (
                *none[:-1], int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)),
        }
        if first or alarm.needs_attention:  # the first fire's whole row stays tinted and bold
            cells[Qt.ItemDataRole.FontRole] = (bold_font(),) * len(COLUMNS)
        return cells

    def _text(self, alarm: Alarm, column: str, first: bool) -> str:
        if column == "priority":
            return ("★ " if first else "") + priority_label(alarm.priority)
        if column == "status":
            cleared = self.tr(" (reset)") if alarm.cleared else ""
            return status_label(alarm.status) + cleared
        if column == "time":
            return format_time(alarm.first_time, self._zone)
        if column == "place":
            return place_and_summary(alarm.location, alarm.summary)
        if column == "source":
            return alarm.source + (f" / {alarm.point}" if alarm.point else "")
        return str(alarm.count)

    def tooltip(self, row_id: int) -> str:
        alarm = self._alarms.get(row_id)
        return "" if alarm is None else self._tooltip(alarm, row_id == self._first_fire)

    def _tooltip(self, alarm: Alarm, first: bool) -> str:
        lines = [alarm.summary, self.tr("Last: {time}").format(time=format_time(alarm.last_time, self._zone))]
        if first:
            lines.insert(0, self.tr("First fire alarm"))
        if alarm.priority is Priority.FIRE and not alarm.cleared:
            lines.append(self.tr("Stays open until the panel reports reset"))
        return "\n".join(lines)


def _only_repeated(before: Alarm, after: Alarm) -> bool:
    """True when ``after`` is ``before`` repeated: only the count, the last time and the last event moved
    (the tooltip, which shows the last time, is computed on hover)."""
    return replace(before, count=after.count, last_time=after.last_time, last_event=after.last_event) == after


def _first_fire_id(alarms: list[Alarm]) -> int | None:
    first = am.first_fire(alarms)
    return first.id if first else None
