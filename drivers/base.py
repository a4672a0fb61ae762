"""The contract between the driver host and every device driver: events out, health, commands in."""

from __future__ import annotations

import enum
import importlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict


class Priority(enum.IntEnum):
    """Alarm priority; a lower value is louder and sorts first (GB 4717 order, then security)."""

    FIRE = 1
    SUPERVISORY = 2
    FAULT = 3
    DISABLED = 4
    SECURITY = 5
    TECHNICAL = 6
    INFO = 9

    @property
    def is_alarm(self) -> bool:
        return self is not Priority.INFO


class EventState(enum.StrEnum):
    """Whether an event raises a condition, clears it (e.g. the panel's 复位) or only informs."""

    ACTIVE = "active"
    CLEARED = "cleared"
    INFO = "info"


class HealthState(enum.StrEnum):
    UNKNOWN = "unknown"
    ONLINE = "online"
    DEGRADED = "degraded"
    OFFLINE = "offline"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class DeviceEvent:
    """One normalised thing a device told us, with the raw bytes it arrived as.

    ``kind`` is a dotted name (``fire.alarm``, ``fire.fault``, ``gate.pass``, ``gate.denied``,
    ``device.offline`` ...); ``point`` is the site-file point id when the driver can map it.
    ``dedup_key`` lets a driver mark retransmissions so the store keeps one copy.
    """

    source: str
    kind: str
    state: EventState
    priority: Priority
    summary: str
    point: str | None = None
    device_time: datetime | None = None
    received_time: datetime = field(default_factory=utc_now)
    raw: bytes = b""
    payload: Mapping[str, Any] = field(default_factory=dict)
    dedup_key: str | None = None


@dataclass(frozen=True, slots=True)
class Health:
    state: HealthState
    reason: str = ""


class DriverSettings(BaseModel):
    """Base of every driver's typed settings; unknown keys are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """What the site file says about the device a driver instance serves."""

    id: str
    name: str
    kind: str  # "panel", "gate", "camera", "site"
    points: Mapping[str, str] = field(default_factory=dict)  # device-side address -> point id
    credential: str | None = None


class DriverContext(Protocol):
    """What the host hands a running driver."""

    device: DeviceInfo

    def ingest(self, event: DeviceEvent) -> Awaitable[int]:
        """Store the event durably; the awaitable resolves with its id after the commit.

        A driver acknowledges its device only after this resolves.
        """

    def set_health(self, state: HealthState, reason: str = "", device_id: str | None = None) -> None:
        """Report the health of this device (or of another device this driver watches)."""

    def secret(self, name: str) -> str | None:
        """Look up a named credential (never stored in the site file)."""


@runtime_checkable
class Driver(Protocol):
    """A device session run by the host. ``run`` returns or raises when the session ends; the host
    restarts it with backoff. ``command`` carries operator commands in (read status, time sync ...)."""

    async def run(self, ctx: DriverContext) -> None: ...

    async def command(self, name: str, args: Mapping[str, Any]) -> Any: ...


DriverFactory = Callable[[DriverSettings], Driver]


@dataclass(frozen=True, slots=True)
class DriverSpec:
    """A registry entry: the import path of the driver module and its settings model and factory names."""

    name: str
    module: str
    settings: str = "Settings"
    factory: str = "create"
    title: str = ""


_REGISTRY: dict[str, DriverSpec] = {}


def register(spec: DriverSpec) -> None:
    _REGISTRY[spec.name] = spec


def driver_names() -> list[str]:
    return sorted(_REGISTRY)


def _load(name: str) -> tuple[type[DriverSettings], DriverFactory]:
    try:
        spec = _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown driver {name!r} (known: {', '.join(driver_names())})") from None
    module = importlib.import_module(spec.module)
    return getattr(module, spec.settings), getattr(module, spec.factory)


def settings_model(name: str) -> type[DriverSettings]:
    """The pydantic model that validates ``[...].settings`` for driver ``name``; KeyError if unknown."""
    return _load(name)[0]


def create_driver(name: str, settings: DriverSettings) -> Driver:
    return _load(name)[1](settings)


# The built-in drivers. Modules load lazily so the core never imports a driver package itself.
register(DriverSpec("demo.scripted", "drivers.demo.scripted", title="Scripted demo scenario"))
register(
    DriverSpec("fire.gb26875", "drivers.fire.gb26875.driver", title="GB/T 26875.3 monitoring-centre server")
)
register(DriverSpec("fire.sia_dc09", "drivers.fire.sia_dc09.driver", title="SIA DC-09 receiver"))


# Protocol simulators, by the name `campus-console simulate NAME` takes: each module has main(argv) -> int.
SIMULATORS: dict[str, str] = {
    "uitd": "drivers.fire.gb26875.simulator",
    "uitd-flood": "drivers.fire.gb26875.flood",
    "dc09": "drivers.fire.sia_dc09.simulator",
}


def simulator_main(name: str) -> Callable[[list[str]], int]:
    try:
        module = importlib.import_module(SIMULATORS[name])
    except KeyError:
        raise KeyError(f"unknown simulator {name!r} (known: {', '.join(sorted(SIMULATORS))})") from None
    return module.main  # type: ignore[no-any-return]
