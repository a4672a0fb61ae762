"""Table model of the open alarms: loudest priority first, newest first within it, the first fire flagged."""

from __future__ import annotations

import bisect
from datetime import tzinfo
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, Qt
from PySide6.QtGui import QColor, QFont

from console.domain import alarms as am
from console.domain.alarms import Alarm
from console.domain.events import Priority

from .formatting import format_time, place_and_summary
from .i18n import priority_label, status_label
from .table_model import Index, RowTableModel
from .theme import priority_colour, text_on

ALARM_ROLE = Qt.ItemDataRole.UserRole + 1  # the Alarm itself
FIRST_FIRE_ROLE = Qt.ItemDataRole.UserRole + 2  # True on the row of the first open fire alarm

COLUMNS = ("priority", "status", "time", "place", "source", "count")



def row_key(alarm: Alarm) -> tuple[int, int, float, int]:
    # The id breaks ties so two alarms in the same second keep a stable order.
    return (*am.sort_key(alarm), -alarm.id)


class AlarmTableModel(RowTableModel):
    """Updated one alarm at a time (``upsert``) so selections survive; closed alarms leave the table."""

    columns = COLUMNS

    def __init__(self, zone: tzinfo | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._zone = zone
        self._alarms: list[Alarm] = []
        self._keys: list[tuple[int, int, float, int]] = []  # row_key per row, for bisect
        self._key_of: dict[int, tuple[int, int, float, int]] = {}  # alarm id -> its row's key
        self._first_fire: int | None = None
        # Display texts per alarm id (painting asks for every cell on each repaint); dropped when the
        # alarm changes or the first-fire star moves to or from it.
        self._texts: dict[int, dict[int, tuple[Any, ...]]] = {}

    # -- updates ------------------------------------------------------------------------------------
    def set_alarms(self, alarms: list[Alarm]) -> None:
        self.beginResetModel()
        self._alarms = sorted((a for a in alarms if a.is_open), key=row_key)
        self._keys = [row_key(a) for a in self._alarms]
        self._key_of = {a.id: k for a, k in zip(self._alarms, self._keys, strict=True)}
        self._first_fire = _first_fire_id(self._alarms)
        self._texts.clear()
        self.endResetModel()

    def upsert(self, alarm: Alarm) -> None:
        self._texts.pop(alarm.id, None)
        row = self.row_of(alarm.id)
        if row is not None:
            self._remove_or_move(row, alarm)
        elif alarm.is_open:
            key = row_key(alarm)
            at = bisect.bisect_left(self._keys, key)
            self.beginInsertRows(QModelIndex(), at, at)
            self._alarms.insert(at, alarm)
            self._keys.insert(at, key)
            self._key_of[alarm.id] = key
            self.endInsertRows()
        # Only a fire alarm (or the one holding the star) can change which alarm is the first fire.
        if alarm.priority is Priority.FIRE or alarm.id == self._first_fire:
            self._refresh_first_fire()

    def _remove_or_move(self, row: int, alarm: Alarm) -> None:
        if not alarm.is_open:
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._alarms[row]
            del self._keys[row]
            self._key_of.pop(alarm.id, None)
            self._texts.pop(alarm.id, None)
            self.endRemoveRows()
            return
        key = row_key(alarm)
        self._key_of[alarm.id] = key
        rest = self._keys[:row] + self._keys[row + 1 :]
        target = bisect.bisect_left(rest, key)
        if target != row:
            # Qt counts the destination in the list *before* the move, hence +1 when moving down.
            self.beginMoveRows(QModelIndex(), row, row, QModelIndex(), target if target < row else target + 1)
            alarms = self._alarms[:row] + self._alarms[row + 1 :]
            alarms.insert(target, alarm)
            rest.insert(target, key)
            self._alarms, self._keys = alarms, rest
            self.endMoveRows()
        else:
            self._alarms[row] = alarm
            self._keys[row] = key
        self.dataChanged.emit(self.index(target, 0), self.index(target, len(COLUMNS) - 1))

    def _refresh_first_fire(self) -> None:
        first = _first_fire_id(self._alarms)
        if first != self._first_fire:
            for moved in (first, self._first_fire):
                if moved is not None:
                    self._texts.pop(moved, None)
            self._first_fire = first
            if self._alarms:  # the flag moved: repaint everything, there are never many open alarms
                self.dataChanged.emit(self.index(0, 0), self.index(len(self._alarms) - 1, len(COLUMNS) - 1))

    # -- reading ------------------------------------------------------------------------------------
    def alarms(self) -> list[Alarm]:
        return list(self._alarms)

    def alarm_at(self, row: int) -> Alarm | None:
        return self._alarms[row] if 0 <= row < len(self._alarms) else None

    def row_of(self, alarm_id: int) -> int | None:
        key = self._key_of.get(alarm_id)
        if key is None:
            return None
        row = bisect.bisect_left(self._keys, key)  # keys are unique: row_key ends with the id
        return row if row < len(self._alarms) and self._alarms[row].id == alarm_id else None

    @property
    def first_fire_id(self) -> int | None:
        return self._first_fire

    # -- Qt model interface -------------------------------------------------------------------------
    def _row_total(self) -> int:
        return len(self._alarms)

    def _titles(self) -> tuple[str, ...]:
        return (self.tr("Priority"),
            self.tr("Status"),
            self.tr("Time"),
            self.tr("Place / what"),
            self.tr("Source"),
            self.tr("Count"),)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Painting and sizing ask every cell for seven or more roles: answer from a per-alarm table.
        row = index.row()
        if not index.isValid() or not 0 <= row < len(self._alarms):
            return None
        alarm = self._alarms[row]
        if role == ALARM_ROLE:
            return alarm
        if role == FIRST_FIRE_ROLE:
            return alarm.id == self._first_fire
        cells = self._texts.get(alarm.id)
        if cells is None:
            cells = self._texts[alarm.id] = self._cells(alarm, alarm.id == self._first_fire)
        values = cells.get(role)
        return None if values is None else values[index.column()]

    def _cells(self, alarm: Alarm, first: bool) -> dict[int, tuple[Any, ...]]:
        """Every role's value per column for one alarm (None where the role has nothing to say)."""
        none = (None,) * len(COLUMNS)
        colour = priority_colour(alarm.priority)
        tint = QColor("#3a1518") if first else None
        cells: dict[int, tuple[Any, ...]] = {
            Qt.ItemDataRole.DisplayRole: tuple(self._text(alarm, c, first) for c in COLUMNS),
            Qt.ItemDataRole.BackgroundRole: (colour, *(tint,) * (len(COLUMNS) - 1)),
            Qt.ItemDataRole.ForegroundRole: (text_on(colour), *none[1:]),
            Qt.ItemDataRole.ToolTipRole: (self._tooltip(alarm, first),) * len(COLUMNS),
            Qt.ItemDataRole.TextAlignmentRole: (
                *none[:-1], int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)),
        }
        if first or alarm.needs_attention:  # the first fire's whole row stays tinted and bold
            bold = QFont()
            bold.setBold(True)
            cells[Qt.ItemDataRole.FontRole] = (bold,) * len(COLUMNS)
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

    def _tooltip(self, alarm: Alarm, first: bool) -> str:
        lines = [alarm.summary, self.tr("Last: {time}").format(time=format_time(alarm.last_time, self._zone))]
        if first:
            lines.insert(0, self.tr("First fire alarm"))
        if alarm.priority is Priority.FIRE and not alarm.cleared:
            lines.append(self.tr("Stays open until the panel reports reset"))
        return "\n".join(lines)


def _first_fire_id(alarms: list[Alarm]) -> int | None:
    first = am.first_fire(alarms)
    return first.id if first else None
