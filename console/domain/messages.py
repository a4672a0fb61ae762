"""Messages published on the bus after the store has committed what they describe."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from drivers.base import DeviceEvent, HealthState

from .alarms import ActionRecord, Alarm


@dataclass(frozen=True, slots=True)
class EventStored:
    event_id: int
    event: DeviceEvent


@dataclass(frozen=True, slots=True)
class AlarmChanged:
    """``change`` is raised, folded, cleared or the operator action's name."""

    alarm: Alarm
    change: str
    record: ActionRecord | None = None


@dataclass(frozen=True, slots=True)
class AlarmsSilenced:
    alarm_ids: frozenset[int]
    actor: str


@dataclass(frozen=True, slots=True)
class DeviceHealthChanged:
    device_id: str
    state: HealthState
    reason: str
    time: datetime
