"""Site configuration (TOML) as typed, frozen, validated models; every error names its key and its line."""

from __future__ import annotations

import contextlib
import difflib
import importlib.resources
import ipaddress
import re
import tomllib
import types
import typing
import zoneinfo
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Union
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializeAsAny,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

from drivers.base import DriverSettings, driver_names, settings_model

__all__ = [
    "Camera",
    "Campus",
    "ConfigError",
    "ConfigIssue",
    "Demo",
    "DeviceConfig",
    "MapPosition",
    "MotionSettings",
    "Network",
    "OnvifEndpoint",
    "Point",
    "PointKind",
    "Recording",
    "Retention",
    "Site",
    "SiteInfo",
    "example_site_text",
    "load_site",
    "parse_site",
]

ID_PATTERN = r"^[a-z0-9][a-z0-9_.-]*$"
# Credential names follow the same rule as console.services.credentials.NAME_RE (which this core module may
# not import), so a name accepted here can always be stored with `campus-console credentials set NAME`.
CREDENTIAL_PATTERN = ID_PATTERN
URL_SCHEMES = ("rtsp", "rtsps", "http", "https", "file")
SECRET_ADVICE = (
    "secrets never live in the site file; store it with `campus-console credentials set NAME` "
    "and set credential = NAME"
)

Id = Annotated[str, Field(pattern=ID_PATTERN)]
CredentialName = Annotated[str, Field(pattern=CREDENTIAL_PATTERN)]
PointKind = Literal[
    "detector", "manual_call_point", "module", "door", "barrier", "turnstile", "reader", "other"
]


# ---------------------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConfigIssue:
    """One problem in a site file: where it is (file, line, dotted key path) and what is wrong."""

    file: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class ConfigError(Exception):
    """The site file could not be used; ``errors`` lists every problem found, not just the first."""

    def __init__(self, errors: Sequence[ConfigIssue]) -> None:
        # Passing the list as the only arg keeps the exception picklable (cls(*args) rebuilds it).
        super().__init__(list(errors))
        self.errors: list[ConfigIssue] = list(errors)

    def __str__(self) -> str:
        return "\n".join(str(issue) for issue in self.errors)


def _problem(message: str) -> PydanticCustomError:
    # A custom error type lets the translator show our message verbatim instead of "Value error, ...".
    return PydanticCustomError("site_config", "{message}", {"message": message})


# ---------------------------------------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------------------------------------


class _Model(BaseModel):
    # strict: TOML values are already typed, so "yes" for a bool or "60" for an int is a mistake to report,
    # not something to coerce silently.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class SiteInfo(_Model):
    """The ``[site]`` table: what the site is called and how it tells the time."""

    name: str = Field(
        min_length=1, description="Site name shown in the title bar, reports and handover sheets."
    )
    timezone: str = Field(
        "Asia/Shanghai",
        description="IANA time zone for device times without an offset and for reports (e.g. Asia/Shanghai).",
    )
    language: Literal["zh_CN", "en"] | None = Field(
        None, description='Interface language, "zh_CN" or "en"; None follows the operating system.'
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError) as exc:
            # ValueError/OSError cover keys zoneinfo refuses outright (absolute paths, "..", NUL bytes).
            raise _problem(f"unknown time zone {value!r} (use an IANA name such as Asia/Shanghai)") from exc
        return value


class Campus(_Model):
    """One ``[[campuses]]`` entry; several campuses are managed as one site."""

    id: Id = Field(description="Campus id referenced by cameras, devices and map positions.")
    name: str = Field(min_length=1, description="Display name, e.g. 东校区.")
    address: str = Field("", description="Postal address, read out when calling 119.")
    map_image: str | None = Field(
        None, description="Campus map picture (path relative to the site file) on which points are placed."
    )


class OnvifEndpoint(_Model):
    """Where a camera answers ONVIF requests (stream discovery, PTZ, events)."""

    host: str = Field(min_length=1, description="Host name or IP address of the camera's ONVIF service.")
    port: int = Field(80, ge=1, le=65535, description="TCP port of the ONVIF service.")

    @field_validator("host")
    @classmethod
    def _plain_host(cls, value: str) -> str:
        # A URL or "user:pass@host" here would either fail later or smuggle a secret into the file.
        if "@" in value:
            raise _problem(f"host must not contain a user name or password; {SECRET_ADVICE}")
        if "/" in value or any(ch.isspace() for ch in value):
            raise _problem(f"expected a bare host name or IP address, not {value!r}")
        return value


def _check_url(value: str) -> str:
    """Accept a stream URL in one of URL_SCHEMES with a host (or a path for file:), never a password."""
    if any(ch.isspace() for ch in value):
        raise _problem("malformed URL: contains whitespace")
    try:
        parts = urlsplit(value)
    except ValueError as exc:  # e.g. an unbalanced "[" in an IPv6 host
        raise _problem(f"malformed URL: {exc}") from None
    scheme = parts.scheme.lower()
    if not scheme:
        raise _problem("malformed URL: expected scheme://host/..., e.g. rtsp://192.168.1.10:554/stream")
    if len(scheme) == 1:
        raise _problem("a Windows path is not a URL; write it as file:///C:/path/to/video.mp4")
    if scheme not in URL_SCHEMES:
        raise _problem(f"unsupported URL scheme {scheme!r} (expected {', '.join(URL_SCHEMES)})")
    if parts.password:
        # Never echo the URL here: it contains the password.
        raise _problem(f"URL contains a password: {SECRET_ADVICE}")
    if scheme == "file":
        if not parts.path:
            raise _problem("malformed URL: a file URL needs a path, e.g. file:///srv/video/demo.mp4")
        return value
    if not parts.hostname:
        raise _problem(f"malformed URL: no host in {scheme} URL")
    try:
        _ = parts.port  # urlsplit only checks the port when asked
    except ValueError:
        raise _problem("malformed URL: invalid port") from None
    return value


# Motion zones are drawn in the pixels of the small gray frames the stream workers make for analysis
# (console.video.status.WorkerConfig.analysis_size).
MOTION_FRAME_SIZE = (320, 180)


class MotionSettings(_Model):
    """A camera's ``[cameras.motion]`` table: motion analysis on this camera, its zones and sensitivity."""

    enabled: bool = Field(True, description="Analyse this camera's picture for motion.")
    sensitivity: float = Field(
        1.0, gt=0, le=100, description="Whole-frame sensitivity; above 1 fires on fainter change."
    )
    zones_file: str | None = Field(
        None, min_length=1,
        description="Zones file (JSON with a zones list, or TOML with [[zone]] tables), "
        "relative to the site file.",
    )
    zones: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Inline zones: name, kind (include/exclude), points [[x, y], ...] in 320x180 analysis "
        "pixels, sensitivity, min_size, armed [{days, from, to}].",
    )

    @field_validator("zones")
    @classmethod
    def _zones(cls, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        from console.video.motion_zones import ZoneConfigError, ZoneSet, parse_zones

        try:
            ZoneSet(parse_zones({"zones": value}), MOTION_FRAME_SIZE)
        except ZoneConfigError as exc:
            raise _problem(str(exc)) from None
        return value

    @model_validator(mode="after")
    def _one_source(self) -> MotionSettings:
        if self.zones and self.zones_file:
            raise _problem("give zones inline or in zones_file, not both")
        return self


class Camera(_Model):
    """One ``[[cameras]]`` entry: a stream URL, an ONVIF endpoint, or both."""

    id: Id = Field(description="Camera id, unique across cameras, panels, gates and points.")
    name: str = Field(min_length=1, description="Display name shown on tiles and in alarms.")
    campus: Id = Field(description="Id of the campus the camera is on.")
    location: str = Field("", description="Where the camera is, in words.")
    main_url: str | None = Field(
        None,
        description="Main (recorded) stream URL: rtsp, rtsps, http, https or file. "
        "A user name is allowed, a password never.",
    )
    sub_url: str | None = Field(None, description="Low-resolution stream URL for the tile wall; same rules.")
    onvif: OnvifEndpoint | None = Field(
        None,
        description="ONVIF endpoint; needed for PTZ and events, and to discover streams when no URL is set.",
    )
    credential: CredentialName | None = Field(
        None, description="Name of the stored credential (user and password) for this camera."
    )
    ptz: bool = Field(False, description="Whether the camera can pan, tilt and zoom (through ONVIF).")
    motion: MotionSettings | None = Field(None, description="Motion analysis of this camera; absent = off.")

    @field_validator("main_url", "sub_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else _check_url(value)

    @model_validator(mode="after")
    def _has_source(self) -> Camera:
        if self.main_url is None and self.onvif is None:
            raise _problem("a camera needs main_url or an [cameras.onvif] endpoint (or both)")
        return self


class DeviceConfig(_Model):
    """One ``[[panels]]`` (fire panel) or ``[[gates]]`` entry, served by a registered driver.

    ``settings`` is exposed as the driver's validated settings model (a ``DriverSettings`` subclass from
    ``drivers.base.settings_model(driver)``), not as the raw table: an omitted ``settings`` yields that
    model's defaults.
    """

    id: Id = Field(description="Device id, unique across cameras, panels, gates and points.")
    name: str = Field(min_length=1, description="Display name shown in alarms and on the device board.")
    campus: Id = Field(description="Id of the campus the device is on.")
    location: str = Field("", description="Where the device is, in words (e.g. 消防控制室).")
    driver: str = Field(min_length=1, description="Registered driver name, e.g. demo.scripted.")
    settings: SerializeAsAny[DriverSettings] = Field(
        default_factory=dict,
        validate_default=True,
        description="Driver settings table, validated by the driver's own settings model.",
        json_schema_extra={"type": "object"},
    )
    credential: CredentialName | None = Field(
        None, description="Name of the stored credential the driver uses (password, key or token)."
    )

    @field_validator("driver")
    @classmethod
    def _registered(cls, value: str) -> str:
        _driver_settings_model(value)
        return value

    @field_validator("settings", mode="plain")
    @classmethod
    def _driver_settings(cls, value: Any, info: ValidationInfo) -> Any:
        driver = info.data.get("driver")
        if driver is None:
            # The driver itself is wrong and already reported, so validation fails anyway; judging the
            # settings against no model would only add noise.
            return value
        model = _driver_settings_model(driver)
        if isinstance(value, model):
            return value
        if not isinstance(value, Mapping):
            raise _problem(f"expected a table, got {_toml_type(value)}")
        try:
            return model.model_validate(dict(value))
        except ValidationError:
            raise  # pydantic re-roots these errors under "settings", which is what we want
        except Exception as exc:  # a buggy driver validator must become an issue, not a crash
            raise _problem(f"driver {driver!r} could not check these settings: {exc}") from exc


def _driver_settings_model(driver: str) -> type[DriverSettings]:
    try:
        return settings_model(driver)
    except KeyError:
        known = ", ".join(driver_names()) or "none"
        raise _problem(f"unknown driver {driver!r} (known drivers: {known})") from None
    except Exception as exc:  # ImportError or a broken driver module: the site file is not to blame
        raise _problem(f"driver {driver!r} is registered but could not be loaded: {exc}") from exc


class MapPosition(_Model):
    """Where a point sits on its campus map, as fractions of the picture's width and height."""

    campus: Id = Field(description="Id of the campus whose map this position is on.")
    x: float = Field(ge=0.0, le=1.0, description="Horizontal position, 0 = left edge, 1 = right edge.")
    y: float = Field(ge=0.0, le=1.0, description="Vertical position, 0 = top edge, 1 = bottom edge.")


class Point(_Model):
    """One ``[[points]]`` entry: a detector, call point, door or reader behind a panel or gate."""

    id: Id = Field(description="Point id, unique across cameras, panels, gates and points.")
    device: Id = Field(description="Id of the panel or gate this point belongs to.")
    address: str = Field(
        min_length=1, description='Device-side address, e.g. "1-10-2" for loop 1, zone 10, point 2.'
    )
    name: str = Field(min_length=1, description="Display name shown in alarms.")
    kind: PointKind = Field(description="What the point is; decides its icon and default handling.")
    location: str = Field("", description="Where the point is, in words.")
    map: MapPosition | None = Field(None, description="Position on a campus map, if it is placed on one.")
    cameras: list[Id] = Field(default_factory=list, description="Camera ids to show when this point alarms.")


class Recording(_Model):
    """The ``[recording]`` table: continuous recording of the cameras' main streams."""

    enabled: bool = Field(True, description="Record the main stream of every camera.")
    segment_seconds: int = Field(60, ge=10, le=3600, description="Length of one recording segment file.")


class Retention(_Model):
    """The ``[retention]`` table: how long each kind of record is kept before housekeeping deletes it."""

    events_days: int = Field(
        400,
        ge=1,
        description="Days device events and alarms are kept. GB 25506 requires at least 10,000 status, "
        "10,000 operator/maintenance and 10,000 management records to be kept (overwritten only after "
        "backup), so choose enough days to hold that many at this site's event rate.",
    )
    recordings_days: int = Field(30, ge=1, description="Days video recording segments are kept.")
    person_data_days: int = Field(
        30, ge=1, description="Days person data (face and plate pictures, card numbers) is kept."
    )
    audit_days: int = Field(
        1095,
        ge=1,
        description="Days the audit chain (operator actions, duty records) is kept; GB 25506's 10,000-record "
        "minimum for operator and management records applies here too.",
    )


class GateRules(_Model):
    """The ``[gate_rules]`` table: when refusals at one gate raise a ``gate.alarm.denied_burst`` alarm."""

    denied_burst_count: int = Field(
        5, ge=2, le=1000, description="Refusals at one gate that make a burst (one alarm per burst)."
    )
    denied_burst_seconds: float = Field(
        60.0, gt=0, le=3600, description="Within this many seconds; a burst ends after as long without one."
    )


class Network(_Model):
    """The ``[network]`` table: where the console listens for devices and who may connect."""

    bind_host: str = Field(
        "127.0.0.1",
        description="Default listener address for device servers; an IP address literal (0.0.0.0 = all).",
    )
    allowed_peers: list[str] = Field(
        default_factory=list,
        description="CIDR networks (or single addresses) allowed to connect; empty means no filtering.",
    )

    @field_validator("bind_host")
    @classmethod
    def _ip_literal(cls, value: str) -> str:
        try:
            ipaddress.ip_address(value)
        except ValueError:
            raise _problem(
                f"expected an IP address literal such as 127.0.0.1 or 0.0.0.0, got {value!r}"
            ) from None
        return value

    @field_validator("allowed_peers")
    @classmethod
    def _cidrs(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item)
            except ValueError:
                try:
                    loose = ipaddress.ip_network(item, strict=False)
                except ValueError:
                    raise _problem(f"{item!r} is not an IP network in CIDR form (e.g. 10.1.0.0/16)") from None
                # Host bits set is usually a typo for the network; say which one we think was meant.
                raise _problem(f"{item!r} has host bits set; did you mean {str(loose)!r}?") from None
        return value


class DemoSimulator(_Model):
    """One protocol simulator the demo starts beside the console (``campus-console simulate NAME ARGS``)."""

    simulator: str = Field(..., min_length=1, description="Simulator name, e.g. uitd or dc09.")
    args: list[str] = Field(default_factory=list, description="Its command-line options (host, port ...).")
    start_delay_s: float = Field(2.0, ge=0.0, le=600.0, description="Seconds to wait after the start.")


class Demo(_Model):
    """The ``[demo]`` table: present only on demonstration sites (auto-login of the demo operator)."""

    scenario: str = Field("campus-day", min_length=1, description="Name of the scripted scenario to play.")
    speed: float = Field(1.0, ge=0.1, le=100.0, description="Playback speed factor (1 = real time).")
    simulators: list[DemoSimulator] = Field(
        default_factory=list, description="Protocol simulators run as child processes while the demo runs."
    )


class Site(_Model):
    """A whole site file. Ids are unique across cameras, panels, gates and points; references are checked."""

    site: SiteInfo = Field(description="Site name, time zone and language.")
    campuses: list[Campus] = Field(min_length=1, description="The campuses of the site (at least one).")
    cameras: list[Camera] = Field(default_factory=list, description="Video cameras.")
    panels: list[DeviceConfig] = Field(default_factory=list, description="Fire alarm control panels.")
    gates: list[DeviceConfig] = Field(default_factory=list, description="Gates, doors, barriers and readers.")
    points: list[Point] = Field(default_factory=list, description="Detectors, call points, doors, readers...")
    recording: Recording = Field(default_factory=Recording, description="Continuous recording.")
    retention: Retention = Field(default_factory=Retention, description="How long records are kept.")
    gate_rules: GateRules = Field(default_factory=GateRules, description="Gate alarm rules (refusal bursts).")
    network: Network = Field(default_factory=Network, description="Listener address and allowed peers.")
    demo: Demo | None = Field(None, description="Demonstration scenario; absent on real sites.")

    @model_validator(mode="after")
    def _references(self, info: ValidationInfo) -> Site:
        # parse_site runs the same checks on the raw document (so they are reported alongside field errors,
        # with lines) and asks us to skip; this covers sites built in code.
        if info.context and info.context.get("cross_checked"):
            return self
        problems = list(_cross_check(self.model_dump(include=_CROSS_CHECK_FIELDS)))
        if problems:
            raise _problem("; ".join(f"{_key_text(loc)}: {message}" for loc, message in problems))
        return self

    def all_devices(self) -> list[Camera | DeviceConfig]:
        """Cameras, then fire panels, then gates."""
        return [*self.cameras, *self.panels, *self.gates]

    def device(self, id: str) -> DeviceConfig | Camera | None:
        return next((d for d in self.all_devices() if d.id == id), None)

    def point(self, id: str) -> Point | None:
        return next((p for p in self.points if p.id == id), None)

    def points_of(self, device_id: str) -> list[Point]:
        """The points behind one panel or gate, in file order."""
        return [p for p in self.points if p.device == device_id]

    def campus(self, id: str) -> Campus | None:
        return next((c for c in self.campuses if c.id == id), None)


_CROSS_CHECK_FIELDS = {"campuses", "cameras", "panels", "gates", "points"}


# ---------------------------------------------------------------------------------------------------------
# Checks on the raw document (before and beside model validation)
# ---------------------------------------------------------------------------------------------------------

Loc = tuple[str | int, ...]

_SECRET_WORDS = frozenset({"password", "passwd", "pwd", "passphrase", "secret", "token", "apikey", "psk"})
_SECRET_NAMES = frozenset(
    {
        "api_key",
        "private_key",
        "aes_key",
        "secret_key",
        "access_key",
        "client_secret",
        "auth_key",
        "encryption_key",
        "signing_key",
        "hmac_key",
        "access_token",
    }
)
_KEYISH_VALUE = re.compile(r"^(?:[0-9A-Fa-f]{16,}|[A-Za-z0-9+/]{16,}={0,2})$")


def _is_secret(key: str, value: Any, in_driver_settings: bool) -> bool:
    norm = key.lower().replace("-", "_")
    words = [w for w in re.split(r"[_.\s]+", norm) if w]
    if not words or words[-1] == "credential":
        return False  # "...credential" keys hold a credential NAME, which is exactly what we ask for
    if norm in _SECRET_WORDS or norm in _SECRET_NAMES:
        return True
    if isinstance(value, str) and any(w in _SECRET_WORDS for w in words):
        return True  # admin_password = "...", auth_token = "..." (but token_ttl = 300 is fine)
    # Drivers call their keys "key"/"aes_key"...; a long hex or base64 string there is key material.
    return (
        in_driver_settings
        and (norm == "key" or norm.endswith("_key"))
        and isinstance(value, str)
        and bool(_KEYISH_VALUE.match(value))
    )


def _walk(data: Any) -> Iterator[tuple[Loc, Any]]:
    """Every (loc, value) pair in a parsed TOML document; iterative so deep nesting cannot recurse."""
    stack: list[tuple[Loc, Any]] = [((), data)]
    while stack:
        loc, value = stack.pop()
        yield loc, value
        if isinstance(value, dict):
            stack.extend(((*loc, k), v) for k, v in reversed(list(value.items())))
        elif isinstance(value, list):
            stack.extend(((*loc, i), v) for i, v in reversed(list(enumerate(value))))


def _secret_problems(raw: dict[str, Any]) -> Iterator[tuple[Loc, str]]:
    for loc, value in _walk(raw):
        if not loc:
            continue
        key = loc[-1]
        in_settings = len(loc) >= 4 and loc[0] in ("panels", "gates") and loc[2] == "settings"
        if isinstance(key, str) and _is_secret(key, value, in_settings):
            yield loc, f"{key!r} looks like a secret: {SECRET_ADVICE}"
        elif isinstance(value, str) and "://" in value:
            try:
                has_password = bool(urlsplit(value).password)
            except ValueError:
                has_password = False
            if has_password:
                yield loc, f"URL contains a password: {SECRET_ADVICE}"


def _entries(raw: Mapping[str, Any], section: str) -> Iterator[tuple[int, Mapping[str, Any]]]:
    items = raw.get(section)
    if isinstance(items, list):
        for index, item in enumerate(items):
            if isinstance(item, Mapping):
                yield index, item


def _cross_check(raw: Mapping[str, Any]) -> Iterator[tuple[Loc, str]]:
    """Ids unique, references resolvable; tolerant of wrong types, which model validation reports."""
    campuses: dict[str, Loc] = {}
    for index, campus in _entries(raw, "campuses"):
        cid = campus.get("id")
        if isinstance(cid, str):
            if cid in campuses:
                yield (
                    ("campuses", index, "id"),
                    f"duplicate campus id {cid!r} (already used by {_key_text(campuses[cid])})",
                )
            else:
                campuses[cid] = ("campuses", index)

    # One id namespace for everything an event can name as its source or point.
    owners: dict[str, Loc] = {}
    kinds: dict[str, str] = {}
    for section, kind in (("cameras", "camera"), ("panels", "panel"), ("gates", "gate"), ("points", "point")):
        for index, entry in _entries(raw, section):
            eid = entry.get("id")
            if isinstance(eid, str):
                if eid in owners:
                    yield (
                        (section, index, "id"),
                        f"duplicate id {eid!r} (already used by {_key_text(owners[eid])})",
                    )
                else:
                    owners[eid] = (section, index)
                    kinds[eid] = kind
            ref = entry.get("campus")
            if section != "points" and isinstance(ref, str) and campuses and ref not in campuses:
                yield (section, index, "campus"), _unknown("campus", ref, campuses)

    addresses: dict[tuple[str, str], Loc] = {}
    for index, point in _entries(raw, "points"):
        device = point.get("device")
        if isinstance(device, str):
            if device not in kinds:
                devices = {k for k, v in kinds.items() if v in ("panel", "gate")}
                yield ("points", index, "device"), _unknown("device", device, devices)
            elif kinds[device] not in ("panel", "gate"):
                yield (
                    ("points", index, "device"),
                    f"a point's device must be a panel or a gate; {device!r} is a {kinds[device]}",
                )
            address = point.get("address")
            if isinstance(address, str):
                if (device, address) in addresses:
                    # The driver maps device-side addresses back to points, so this must be one-to-one.
                    yield (
                        ("points", index, "address"),
                        (
                            f"address {address!r} on device {device!r} is already used by "
                            f"{_key_text(addresses[(device, address)])}"
                        ),
                    )
                else:
                    addresses[(device, address)] = ("points", index)
        cameras = point.get("cameras")
        if isinstance(cameras, list):
            known_cameras = {k for k, v in kinds.items() if v == "camera"}
            for j, cam in enumerate(cameras):
                if isinstance(cam, str) and cam not in known_cameras:
                    if kinds.get(cam):
                        message = f"{cam!r} is a {kinds[cam]}, not a camera"
                    else:
                        message = _unknown("camera", cam, known_cameras)
                    yield ("points", index, "cameras", j), message
        position = point.get("map")
        if isinstance(position, Mapping):
            ref = position.get("campus")
            if isinstance(ref, str) and campuses and ref not in campuses:
                yield ("points", index, "map", "campus"), _unknown("campus", ref, campuses)


def _unknown(what: str, name: str, known: Iterable[str]) -> str:
    names = sorted(known)
    message = f"unknown {what} {name!r}"
    close = difflib.get_close_matches(name, names, n=1)
    if close:
        return f"{message} (did you mean {close[0]!r}?)"
    if names and len(names) <= 8:  # a short list helps; a long one is noise
        return f"{message} (known: {', '.join(names)})"
    return message


# ---------------------------------------------------------------------------------------------------------
# Locating keys in the TOML text
# ---------------------------------------------------------------------------------------------------------

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SCALAR_END = frozenset(",]}#\r\n")


class _Locator:
    """Maps loc paths like ("cameras", 2, "main_url") to 1-based line numbers in (valid) TOML text.

    tomllib keeps no positions, so this is a small scanner of its own. It runs only on text tomllib has
    accepted; if it still meets something it does not understand, it stops and keeps what it found.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.lines: dict[Loc, int] = {}
        self.aot_counts: dict[Loc, int] = {}  # array-of-tables path -> how many [[...]] seen so far
        # A locator bug must never hide the real error: lines then degrade to headers or None.
        with contextlib.suppress(Exception):
            self._document()

    def line_of(self, loc: Loc) -> int | None:
        """The line of ``loc``, else of its nearest enclosing key or table header, else None."""
        for end in range(len(loc), 0, -1):
            line = self.lines.get(tuple(loc[:end]))
            if line is not None:
                return line
        return None

    # -- scanning --------------------------------------------------------------------------------------

    def _peek(self, n: int = 1) -> str:
        return self.text[self.pos : self.pos + n]

    def _advance(self, n: int = 1) -> None:
        self.line += self.text.count("\n", self.pos, self.pos + n)
        self.pos += n

    def _skip_blank(self, newlines: bool) -> None:
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch in " \t" or (newlines and ch in "\r\n"):
                self._advance()
            elif ch == "#":
                end = self.text.find("\n", self.pos)
                self._advance((len(self.text) if end < 0 else end) - self.pos)
            else:
                return

    def _mark(self, loc: Loc, line: int) -> None:
        self.lines.setdefault(loc, line)

    def _resolve(self, names: list[str]) -> Loc:
        # In TOML a header or dotted key through an array of tables refers to its latest element.
        loc: Loc = ()
        for name in names:
            loc = (*loc, name)
            if loc in self.aot_counts:
                loc = (*loc, self.aot_counts[loc] - 1)
        return loc

    def _document(self) -> None:
        table: Loc = ()
        while True:
            self._skip_blank(newlines=True)
            if self.pos >= len(self.text):
                return
            line = self.line
            if self._peek(2) == "[[":
                self._advance(2)
                names = self._key()
                self._skip_blank(newlines=False)
                self._expect("]]")
                array = (*self._resolve(names[:-1]), names[-1])
                index = self.aot_counts.get(array, 0)
                self.aot_counts[array] = index + 1
                table = (*array, index)
                self._mark(array, line)
                self._mark(table, line)
            elif self._peek() == "[":
                self._advance()
                names = self._key()
                self._skip_blank(newlines=False)
                self._expect("]")
                table = self._resolve(names)
                for end in range(1, len(table) + 1):
                    self._mark(table[:end], line)
            else:
                self._key_value(table)

    def _expect(self, token: str) -> None:
        if self._peek(len(token)) != token:
            raise ValueError(f"expected {token!r} at line {self.line}")
        self._advance(len(token))

    def _key(self) -> list[str]:
        parts: list[str] = []
        while True:
            self._skip_blank(newlines=False)
            ch = self._peek()
            if ch == '"':
                parts.append(self._basic_string())
            elif ch == "'":
                parts.append(self._literal_string())
            else:
                match = _BARE_KEY.match(self.text, self.pos)
                if not match:
                    raise ValueError(f"expected a key at line {self.line}")
                parts.append(match.group())
                self._advance(match.end() - self.pos)
            self._skip_blank(newlines=False)
            if self._peek() != ".":
                return parts
            self._advance()

    def _key_value(self, base: Loc) -> None:
        line = self.line
        parts = self._key()
        loc = (*base, *parts)
        for end in range(len(base) + 1, len(loc) + 1):
            self._mark(loc[:end], line)
        self._skip_blank(newlines=False)
        self._expect("=")
        self._skip_blank(newlines=False)
        self._value(loc)

    def _value(self, loc: Loc) -> None:
        ch = self._peek()
        if ch == '"':
            self._basic_string()
        elif ch == "'":
            self._literal_string()
        elif ch == "[":
            self._advance()
            index = 0
            while True:
                self._skip_blank(newlines=True)
                if self._peek() == "]":
                    self._advance()
                    return
                self._mark((*loc, index), self.line)
                self._value((*loc, index))
                self._skip_blank(newlines=True)
                if self._peek() == ",":
                    self._advance()
                    index += 1
                else:
                    self._expect("]")
                    return
        elif ch == "{":
            self._advance()
            while True:
                self._skip_blank(newlines=True)
                if self._peek() == "}":
                    self._advance()
                    return
                self._key_value(loc)
                self._skip_blank(newlines=True)
                if self._peek() == ",":
                    self._advance()
                else:
                    self._expect("}")
                    return
        else:
            # Numbers, booleans and dates (which may contain a space) run to a delimiter.
            start = self.pos
            while self.pos < len(self.text) and self.text[self.pos] not in _SCALAR_END:
                self.pos += 1
            if self.pos == start:
                raise ValueError(f"expected a value at line {self.line}")

    def _basic_string(self) -> str:
        multi = self._peek(3) == '"""'
        self._advance(3 if multi else 1)
        start = self.pos
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch == "\\":
                self._advance(2)
            elif multi and self._peek(3) == '"""':
                end = self.pos
                self._advance(3)
                while self._peek() == '"' and self.pos - end < 5:  # up to two quotes may end the content
                    self._advance()
                return self.text[start:end]
            elif not multi and ch == '"':
                self._advance()
                return _unescape(self.text[start : self.pos - 1])
            else:
                self._advance()
        raise ValueError("unterminated string")

    def _literal_string(self) -> str:
        multi = self._peek(3) == "'''"
        delimiter = "'''" if multi else "'"
        self._advance(len(delimiter))
        end = self.text.find(delimiter, self.pos)
        if end < 0:
            raise ValueError("unterminated string")
        content = self.text[self.pos : end]
        self._advance(end - self.pos + len(delimiter))
        if multi:
            while self._peek() == "'" and self.pos - end < 5:
                self._advance()
        return content


def _unescape(raw: str) -> str:
    if "\\" not in raw:
        return raw
    try:
        return tomllib.loads(f'k = "{raw}"')["k"]  # the exact TOML escape rules, for quoted keys
    except tomllib.TOMLDecodeError:
        return raw


# ---------------------------------------------------------------------------------------------------------
# Turning pydantic errors into readable issues
# ---------------------------------------------------------------------------------------------------------

_EXPECTED = {
    "string_type": "a string",
    "int_type": "an integer",
    "float_type": "a number",
    "bool_type": "true or false",
    "list_type": "an array",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
    # Driver settings models may be lax, so their mismatches arrive as parsing errors instead.
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_parsing": "a number",
    "bool_parsing": "true or false",
}


def _toml_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return "a date/time"  # the only other kinds of value TOML has


def _key_text(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            name = part if _BARE_KEY.fullmatch(part) else f'"{part}"'
            out += f".{name}" if out else name
    return out


def _strip_optional(annotation: Any) -> Any:
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def _field_at(loc: Loc, raw: Any) -> tuple[type[BaseModel] | None, FieldInfo | None]:
    """The model containing the last key of ``loc`` and that key's FieldInfo (for hints and bounds)."""
    current: Any = Site
    owner: type[BaseModel] | None = None
    info: FieldInfo | None = None
    for depth, part in enumerate(loc):
        current = _strip_optional(current)
        if isinstance(part, int):
            if typing.get_origin(current) is not list:
                return None, None
            current = typing.get_args(current)[0]
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None, None
        owner, info = current, current.model_fields.get(part)
        if info is None:
            return (owner, None) if depth == len(loc) - 1 else (None, None)
        current = info.annotation
        if owner is DeviceConfig and part == "settings":
            try:  # the settings model is chosen by this device's driver
                current = settings_model(raw[loc[0]][loc[1]]["driver"])
            except Exception:  # no hint then; the driver problem is reported elsewhere
                return None, None
    return owner, info


def _bounds(info: FieldInfo | None) -> dict[str, Any]:
    found: dict[str, Any] = {}
    # pydantic keeps ge/le as annotated-types markers (Ge(10), Le(3600)) in the field's metadata.
    for meta in info.metadata if info else ():
        for name in ("ge", "gt", "le", "lt"):
            value = getattr(meta, name, None)
            if isinstance(value, int | float):
                found[name] = value
    return found


def _bound_message(error_type: str, ctx: Mapping[str, Any], info: FieldInfo | None, value: Any) -> str:
    bounds = _bounds(info)
    got = f" (got {value!r})" if isinstance(value, int | float) else ""
    if "ge" in bounds and "le" in bounds:
        return f"must be between {bounds['ge']} and {bounds['le']}{got}"
    words = {
        "greater_than_equal": "at least",
        "greater_than": "greater than",
        "less_than_equal": "at most",
        "less_than": "less than",
    }
    limit = next(iter(ctx.values()), "?")
    return f"must be {words[error_type]} {limit}{got}"


def _describe(error: Mapping[str, Any], raw: Any) -> str:
    error_type: str = error["type"]
    loc: Loc = tuple(error["loc"])
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    value = error.get("input")
    if error_type == "site_config":
        return str(ctx.get("message", error["msg"]))
    if error_type == "missing":
        annotation = _strip_optional(info.annotation) if (info := _field_at(loc, raw)[1]) else None
        if typing.get_origin(annotation) is list and loc:
            return f"field required (add at least one [[{loc[-1]}]] table)"
        if isinstance(annotation, type) and issubclass(annotation, BaseModel) and loc:
            return f"field required (add a [{_key_text(loc)}] table)"
        return "field required"
    if error_type == "extra_forbidden":
        key = str(loc[-1]) if loc else "?"
        owner, _ = _field_at(loc, raw)
        hint = difflib.get_close_matches(key, list(owner.model_fields), n=1) if owner else []
        return f"unknown key {key!r}" + (f" (did you mean {hint[0]!r}?)" if hint else "")
    if error_type in _EXPECTED:
        return f"expected {_EXPECTED[error_type]}, got {_toml_type(value)}"
    if error_type == "literal_error":
        return f"must be one of {ctx.get('expected')} (got {value!r})"
    if error_type == "string_pattern_mismatch":
        if loc and loc[-1] == "credential":
            return (
                f"invalid credential name {value!r}: use lower-case letters a-z, digits, '_', '.' and '-', "
                "starting with a letter or digit"
            )
        if ctx.get("pattern") == ID_PATTERN:
            return (
                f"invalid id {value!r}: use lower-case letters a-z, digits, '_', '.' and '-', "
                "starting with a letter or digit"
            )
        return f"does not match the pattern {ctx.get('pattern')}"
    if error_type == "string_too_short":
        return "must not be empty"
    if error_type == "too_short":
        count = ctx.get("min_length", 1)
        return f"needs at least {count} entr{'y' if count == 1 else 'ies'}"
    if error_type in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        return _bound_message(error_type, ctx, _field_at(loc, raw)[1], value)
    if error_type == "value_error":
        return str(ctx.get("error", error["msg"]))
    message = str(error["msg"])
    return message[:1].lower() + message[1:]


# ---------------------------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------------------------

_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column \d+\)|\s*\(at end of document\)")


def parse_site(text: str, filename: str = "<string>") -> Site:
    """Parse and validate a site file's text; raise ConfigError listing every problem found."""
    try:
        raw = tomllib.loads(text)
    except (ValueError, RecursionError) as exc:
        # TOMLDecodeError is a ValueError; a plain ValueError comes from e.g. an integer too long to
        # convert, RecursionError from absurdly deep nesting.
        message = str(exc) if isinstance(exc, ValueError) else "nested too deeply"
        match = _TOML_POSITION.search(message)
        line = int(match.group(1)) if match and match.group(1) else None
        if line is None and match:  # "at end of document"
            line = text.count("\n") + 1
        message = _TOML_POSITION.sub("", message)
        raise ConfigError([ConfigIssue(filename, line, "", f"TOML syntax error: {message}")]) from None

    found: list[tuple[Loc, str]] = []
    secret_keys: set[Loc] = set()
    for loc, message in _secret_problems(raw):
        secret_keys.add(loc)
        found.append((loc, message))

    model_keys: set[Loc] = set()
    site: Site | None = None
    try:
        site = Site.model_validate(raw, context={"cross_checked": True})
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            loc = tuple(error["loc"])
            # A secret already explains why this key is "unknown" (or malformed): say it once.
            if any(loc[: len(s)] == s for s in secret_keys):
                continue
            model_keys.add(loc)
            found.append((loc, _describe(error, raw)))

    for loc, message in _cross_check(raw):
        # A reference that is already malformed (bad id pattern, wrong type) needs no second message.
        if loc not in model_keys:
            found.append((loc, message))

    if not found and site is not None:
        return site
    locator = _Locator(text)  # only a failing file needs line numbers
    issues: list[ConfigIssue] = []
    for loc, message in found:
        issue = ConfigIssue(filename, locator.line_of(loc), _key_text(loc), message)
        if issue not in issues:
            issues.append(issue)
    issues.sort(key=lambda i: (i.line is None, i.line or 0))
    raise ConfigError(issues)


def load_site(path: Path) -> Site:
    """Read and validate the site file at ``path``; raise ConfigError listing every problem found."""
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(
            [ConfigIssue(name, None, "", f"cannot read the site file: {exc.strerror or exc}")]
        ) from None
    try:
        # utf-8-sig: Windows editors like to add a BOM, which tomllib would reject.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError([ConfigIssue(name, line, "", "the site file is not UTF-8 text")]) from None
    return parse_site(text, name)


def example_site_text() -> str:
    """The commented example site file shipped as ``resources/site-example.toml``."""
    return _resource_text("site-example.toml")


def _resource_text(name: str) -> str:
    try:
        return importlib.resources.files("resources").joinpath(name).read_text(encoding="utf-8")
    except NotADirectoryError:
        # Python 3.11 cannot open a namespace package whose __path__ holds a setuptools editable-install
        # hook entry (not a directory); read from the real directories of the package instead.
        import resources

        for entry in resources.__path__:
            candidate = Path(entry, name)
            if candidate.is_file():
                return candidate.read_text(encoding="utf-8")
        raise
