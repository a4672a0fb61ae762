"""Event, priority and health types for the layers above, re-exported from the driver contract."""

from drivers.base import DeviceEvent, EventState, HealthState, Priority

__all__ = ["DeviceEvent", "EventState", "HealthState", "Priority"]
