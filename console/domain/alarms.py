"""The alarm life cycle as a pure state machine: New → Acknowledged → In progress → Closed, with folding."""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime

from drivers.base import Priority


class AlarmStatus(enum.StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"


class AlarmAction(enum.StrEnum):
    ACKNOWLEDGE = "acknowledge"
    START = "start"
    CLOSE = "close"
    NOTE = "note"


class Disposition(enum.StrEnum):
    REAL = "real"
    FALSE_ALARM = "false_alarm"
    FAULT = "fault"
    TEST = "test"
    NUISANCE = "nuisance"


_TRANSITIONS: dict[AlarmStatus, dict[AlarmAction, AlarmStatus]] = {
    AlarmStatus.NEW: {
        AlarmAction.ACKNOWLEDGE: AlarmStatus.ACKNOWLEDGED,
        AlarmAction.START: AlarmStatus.IN_PROGRESS,
    },
    AlarmStatus.ACKNOWLEDGED: {
        AlarmAction.START: AlarmStatus.IN_PROGRESS,
        AlarmAction.CLOSE: AlarmStatus.CLOSED,
    },
    AlarmStatus.IN_PROGRESS: {AlarmAction.CLOSE: AlarmStatus.CLOSED},
    AlarmStatus.CLOSED: {},
}


class AlarmTransitionError(Exception):
    """The action is not allowed in the alarm's current state; the message says why."""


@dataclass(frozen=True, slots=True)
class Alarm:
    id: int
    key: str
    source: str
    point: str | None
    kind: str
    priority: Priority
    summary: str
    status: AlarmStatus
    count: int
    first_time: datetime
    last_time: datetime
    first_event: int
    last_event: int
    cleared: bool = False
    cleared_time: datetime | None = None
    disposition: Disposition | None = None
    cameras: tuple[str, ...] = ()
    location: str = ""

    @property
    def is_open(self) -> bool:
        return self.status is not AlarmStatus.CLOSED

    @property
    def needs_attention(self) -> bool:
        return self.status is AlarmStatus.NEW


@dataclass(frozen=True, slots=True)
class ActionRecord:
    """One step in an alarm's history: who did what, when, with what note."""

    alarm_id: int
    time: datetime
    actor: str
    action: AlarmAction
    from_status: AlarmStatus
    to_status: AlarmStatus
    note: str = ""
    disposition: Disposition | None = None


def alarm_key(source: str, point: str | None, kind: str) -> str:
    return f"{source}|{point or ''}|{kind}"


def allowed_actions(alarm: Alarm) -> frozenset[AlarmAction]:
    actions = set(_TRANSITIONS[alarm.status])
    if AlarmAction.CLOSE in actions and not can_close(alarm):
        actions.discard(AlarmAction.CLOSE)
    if alarm.is_open:
        actions.add(AlarmAction.NOTE)
    return frozenset(actions)


def can_close(alarm: Alarm) -> bool:
    # A fire entry stays until the panel reports reset (复位): the officer cannot make it disappear.
    return alarm.priority is not Priority.FIRE or alarm.cleared


def apply_action(
    alarm: Alarm,
    action: AlarmAction,
    actor: str,
    at: datetime,
    note: str = "",
    disposition: Disposition | None = None,
) -> tuple[Alarm, ActionRecord]:
    """Return the alarm after ``action`` and the history record, or raise AlarmTransitionError."""
    if action is AlarmAction.NOTE:
        if not alarm.is_open:
            raise AlarmTransitionError("a closed alarm takes no more notes")
        if not note.strip():
            raise AlarmTransitionError("a note needs text")
        return alarm, ActionRecord(alarm.id, at, actor, action, alarm.status, alarm.status, note)
    target = _TRANSITIONS[alarm.status].get(action)
    if target is None:
        raise AlarmTransitionError(f"cannot {action} an alarm that is {alarm.status}")
    if action is AlarmAction.CLOSE:
        if disposition is None:
            raise AlarmTransitionError("closing an alarm needs a disposition")
        if not can_close(alarm):
            raise AlarmTransitionError("a fire alarm stays open until the panel reports reset")
    elif disposition is not None:
        raise AlarmTransitionError("a disposition is given only when closing")
    updated = replace(alarm, status=target, disposition=disposition if target is AlarmStatus.CLOSED else None)
    return updated, ActionRecord(alarm.id, at, actor, action, alarm.status, target, note, disposition)


def fold(alarm: Alarm, event_id: int, at: datetime) -> Alarm:
    """A repeat of the same point and state joins the open alarm instead of raising a new one."""
    if not alarm.is_open:
        raise AlarmTransitionError("a closed alarm cannot fold new events")
    return replace(alarm, count=alarm.count + 1, last_time=max(at, alarm.last_time), last_event=event_id)


def clear(alarm: Alarm, at: datetime) -> Alarm:
    """The device reports the condition gone (复位); the alarm stays for the officer to close."""
    return replace(alarm, cleared=True, cleared_time=at)


def sort_key(alarm: Alarm) -> tuple[int, int, float]:
    """Open before closed, loudest priority first, newest first within a priority."""
    return (0 if alarm.is_open else 1, int(alarm.priority), -alarm.last_time.timestamp())


def first_fire(alarms: list[Alarm]) -> Alarm | None:
    """The earliest open fire alarm: it stays highlighted however many follow."""
    fires = [a for a in alarms if a.is_open and a.priority is Priority.FIRE]
    return min(fires, key=lambda a: (a.first_time, a.id), default=None)
