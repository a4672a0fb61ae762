"""Which alarm sound should play now: the loudest unacknowledged alarm that has not been silenced."""

from __future__ import annotations

import enum
from collections.abc import Iterable

from drivers.base import Priority

from .alarms import Alarm


class Sound(enum.StrEnum):
    FIRE = "fire"
    FAULT = "fault"
    SECURITY = "security"


def sound_for_priority(priority: Priority) -> Sound | None:
    if priority is Priority.FIRE:
        return Sound.FIRE
    if priority in (Priority.SUPERVISORY, Priority.SECURITY):
        return Sound.SECURITY
    if priority in (Priority.FAULT, Priority.TECHNICAL):
        return Sound.FAULT
    return None  # disabled points and information make no noise


def sound_to_play(alarms: Iterable[Alarm], silenced: frozenset[int]) -> Sound | None:
    """``silenced`` holds the ids of alarms an officer silenced (消音); a new alarm is not among them and
    sounds again, while repeats folding into a silenced alarm stay quiet."""
    loudest: Priority | None = None
    for alarm in alarms:
        if not alarm.needs_attention or alarm.id in silenced:
            continue
        if sound_for_priority(alarm.priority) is None:
            continue
        if loudest is None or alarm.priority < loudest:
            loudest = alarm.priority
    return None if loudest is None else sound_for_priority(loudest)
