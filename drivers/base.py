"""The contract between the driver host and every device driver: events out, health, commands in."""

from __future__ import annotations

import enum
import importlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import ModuleType
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


class GateResult(enum.StrEnum):
    GRANTED = "granted"
    DENIED = "denied"
    ALARM = "alarm"  # a door or lane condition (tailgating, forced door ...), not a pass attempt
    INFO = "info"  # door opened or closed, a device operation


class Direction(enum.StrEnum):
    IN = "in"
    OUT = "out"


class SubjectKind(enum.StrEnum):
    PERSON = "person"
    VEHICLE = "vehicle"
    VISITOR = "visitor"
    UNKNOWN = "unknown"


class Method(enum.StrEnum):
    CARD = "card"
    FACE = "face"
    QR = "qr"
    PLATE = "plate"
    PASSWORD = "password"
    FINGERPRINT = "fingerprint"
    REMOTE = "remote"
    OTHER = "other"


# Gate event kinds (DeviceEvent.kind). Passes and refusals are records (Priority.INFO); device-reported
# conditions are alarms (Priority.SECURITY, state ACTIVE, cleared by the matching restore when one exists).
GATE_PASS = "gate.pass"
GATE_DENIED = "gate.denied"
GATE_DOOR = "gate.door"  # door open / closed / unlocked / locked (INFO)
GATE_ALARM_PREFIX = "gate.alarm."  # + tailgating, reverse, forced, held_open, climb, blocklist, fire_release


@dataclass(frozen=True, slots=True)
class GatePayload:
    """The normalised gate event that every gate driver puts in ``DeviceEvent.payload`` (as a dict).

    The console indexes these fields into the gate log; ``to_payload``/``from_payload`` are the only way
    either side reads or writes them, so the two cannot drift apart.
    """

    result: GateResult
    door: str | None = None  # device-side door / lane / reader number as the device names it
    direction: Direction | None = None
    subject_kind: SubjectKind = SubjectKind.UNKNOWN
    subject_id: str | None = None  # employee number, card or plate: whichever identifies the subject
    name: str | None = None
    card: str | None = None
    plate: str | None = None
    method: Method | None = None
    reason: str = ""  # machine word for a refusal or alarm: no_such_card, expired, blocklist, tailgating ...
    list_name: str | None = None  # ANPR / face library list: allow, block, other
    code: str = ""  # the vendor's own code, e.g. "hik:5/0x4b", "dahua:AccessControl/ErrorCode=16"
    pictures: tuple[str, ...] = ()  # paths relative to the data directory (from DriverContext.save_file)
    extra: Mapping[str, Any] = field(default_factory=dict)  # vendor fields worth keeping (confidence ...)

    def to_payload(self) -> dict[str, Any]:
        out: dict[str, Any] = {"result": self.result.value}
        for key in ("door", "name", "card", "plate", "subject_id", "list_name"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.direction is not None:
            out["direction"] = self.direction.value
        if self.method is not None:
            out["method"] = self.method.value
        out["subject_kind"] = self.subject_kind.value
        if self.reason:
            out["reason"] = self.reason
        if self.code:
            out["code"] = self.code
        if self.pictures:
            out["pictures"] = list(self.pictures)
        if self.extra:
            out["extra"] = dict(self.extra)
        return out

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> GatePayload:
        """Read a payload back; unknown enum values fall back rather than fail (old rows, new drivers).
        (The store's writer thread reads every gate event back this way: lookups, not enum calls.)"""
        get = payload.get
        method = get("method")
        return cls(
            result=_enum_or(GateResult, get("result"), GateResult.INFO),
            door=_text(get("door")),
            direction=_enum_or(Direction, get("direction"), None),
            subject_kind=_enum_or(SubjectKind, get("subject_kind"), SubjectKind.UNKNOWN),
            subject_id=_text(get("subject_id")),
            name=_text(get("name")),
            card=_text(get("card")),
            plate=_text(get("plate")),
            method=_enum_or(Method, method, Method.OTHER if method else None),
            reason=str(get("reason") or ""),
            list_name=_text(get("list_name")),
            code=str(get("code") or ""),
            pictures=tuple(str(p) for p in get("pictures") or ()),
            extra=dict(get("extra") or {}),
        )


def _enum_or(kind: type[enum.StrEnum], value: Any, default: Any) -> Any:
    """The member whose value is ``value`` (a member itself counts), else ``default``."""
    if value is None:
        return default
    try:
        return kind._value2member_map_.get(value, default)
    except TypeError:  # an unhashable value in a payload: not one of ours
        return default


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


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

    def ingest_many(self, events: list[DeviceEvent]) -> Awaitable[list[int]]:
        """Store several events (one read's worth) with one commit wait; resolves with their ids in order."""

    def set_health(self, state: HealthState, reason: str = "", device_id: str | None = None) -> None:
        """Report the health of this device (or of another device this driver watches)."""

    def secret(self, name: str) -> str | None:
        """Look up a named credential (never stored in the site file)."""

    async def save_file(self, category: str, data: bytes, suffix: str) -> str:
        """Store a picture or other evidence file under the data directory (off the loop thread).

        Returns its path relative to the data directory, to be put in the event's payload (e.g.
        ``GatePayload.pictures``); the store indexes it with the event. ``category`` is a short word
        (``face``, ``plate``, ``vehicle``, ``snapshot``) that decides the folder and the retention rule.
        """


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
register(
    DriverSpec(
        "gates.hikvision_isapi",
        "drivers.gates.hikvision.driver",
        title="Hikvision ISAPI access control / ANPR (alertStream, push, AcsEvent back-fill)",
    )
)
register(DriverSpec("gates.dahua", "drivers.gates.dahua.driver", title="Dahua eventManager and upload"))
register(DriverSpec("gates.zkteco_adms", "drivers.gates.zkteco.driver", title="ZKTeco ADMS push (iclock)"))
register(DriverSpec("cameras.onvif", "drivers.cameras.onvif.driver", title="ONVIF camera events (PullPoint)"))


# Protocol simulators, by the name `campus-console simulate NAME` takes: each module has main(argv) -> int.
SIMULATORS: dict[str, str] = {
    "uitd": "drivers.fire.gb26875.simulator",
    "uitd-flood": "drivers.fire.gb26875.flood",
    "hikvision-flood": "drivers.gates.hikvision.flood",
    "dc09": "drivers.fire.sia_dc09.simulator",
    "hikvision": "drivers.gates.hikvision.simulator",
    "dahua": "drivers.gates.dahua.simulator",
    "zkteco": "drivers.gates.zkteco.simulator",
    "onvif-camera": "drivers.cameras.onvif.testdevice",
}


def simulator_main(name: str) -> Callable[[list[str]], int]:
    try:
        module = importlib.import_module(SIMULATORS[name])
    except KeyError:
        raise KeyError(f"unknown simulator {name!r} (known: {', '.join(sorted(SIMULATORS))})") from None
    return module.main  # type: ignore[no-any-return]


# Device tools the console uses outside a driver session (probe, PTZ ...), by name: each is a module.
TOOLS: dict[str, str] = {"onvif": "drivers.cameras.onvif.tool"}


def load_tool(name: str) -> ModuleType:
    try:
        return importlib.import_module(TOOLS[name])
    except KeyError:
        raise KeyError(f"unknown tool {name!r} (known: {', '.join(sorted(TOOLS))})") from None
