"""Decode Hikvision bodies (AccessControllerEvent JSON/XML, ANPR XML, AcsEvent rows) into gate events."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

import orjson

from drivers.base import (
    GATE_ALARM_PREFIX,
    GATE_DENIED,
    GATE_PASS,
    DeviceEvent,
    Direction,
    EventState,
    GatePayload,
    GateResult,
    Method,
    Priority,
    SubjectKind,
)
from drivers.gates.hikvision.codes import code_text, lookup

_PLATE_SPACE = re.compile(r"[\s·•\-]+")
_LISTS = {"allowlist": "allow", "whitelist": "allow", "blocklist": "block", "blacklist": "block",
          "otherlist": "other", "other": "other"}
_NO_PLATE = {"", "unknown", "无车牌", "无牌", "none"}


class DecodeError(ValueError):
    """A body that cannot be understood; the caller logs it with its raw bytes."""


@dataclass(frozen=True, slots=True)
class DecodeContext:
    """What decoding needs to know about the device."""

    device_id: str
    timezone: tzinfo = UTC  # for a dateTime without an offset
    door_direction: Mapping[str, str] = field(default_factory=dict)  # door/lane number → "in" / "out"
    points: Mapping[str, str] = field(default_factory=dict)  # door/lane number → site point id


@dataclass(frozen=True, slots=True)
class Draft:
    """One event before its pictures are stored."""

    kind: str
    state: EventState
    priority: Priority
    summary: str
    gate: GatePayload
    device_time: datetime | None
    dedup_key: str
    point: str | None = None

    def event(self, source: str, raw: bytes, pictures: tuple[str, ...] = ()) -> DeviceEvent:
        gate = self.gate if not pictures else _with_pictures(self.gate, pictures)
        return DeviceEvent(
            source=source, kind=self.kind, state=self.state, priority=self.priority, summary=self.summary,
            point=self.point, device_time=self.device_time, raw=raw, payload=gate.to_payload(),
            dedup_key=self.dedup_key,
        )


@dataclass(frozen=True, slots=True)
class Decoded:
    """The events of one body, and the pictures that should follow it in the stream."""

    drafts: tuple[Draft, ...]
    raw: bytes
    pictures_expected: int = 0
    picture_kind: str = "face"  # face (access control) or plate (ANPR; refined by file name)
    device_offset: timedelta | None = None  # the device's UTC offset, when its dateTime carried one


@dataclass(frozen=True, slots=True)
class Ignored:
    """A body that is not an event for the console (keep-alive, heartbeat, another event type)."""

    reason: str


def _with_pictures(gate: GatePayload, pictures: tuple[str, ...]) -> GatePayload:
    return GatePayload.from_payload({**gate.to_payload(), "pictures": [*gate.pictures, *pictures]})


# -- time ------------------------------------------------------------------------------------------
def parse_time(text: Any, tz: tzinfo) -> tuple[datetime, timedelta | None]:
    """ISO 8601 device time → (UTC time, the offset it carried or None). No offset → ``tz``."""
    if not isinstance(text, str):
        raise DecodeError(f"bad dateTime {text!r}")
    try:
        moment = datetime.fromisoformat(text)  # the usual shape, without the copies below
    except ValueError:
        value = text.strip()
        if not value:
            raise DecodeError(f"bad dateTime {text!r}") from None
        try:
            moment = datetime.fromisoformat(value if "T" in value else value.replace(" ", "T", 1))
        except ValueError:
            raise DecodeError(f"bad dateTime {text!r}") from None
    offset = moment.utcoffset()
    if offset is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(UTC), offset


def device_text(moment: datetime, offset: timedelta) -> str:
    """A UTC time as the device writes it: local time with its offset, e.g. 2026-11-22T08:00:00+08:00."""
    local = moment.astimezone(UTC) + offset
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{local:%Y-%m-%dT%H:%M:%S}{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


# -- helpers ---------------------------------------------------------------------------------------
def _int(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise DecodeError(f"bad {what} {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text, 16) if text.lower().startswith("0x") else int(text)
        except ValueError:
            pass
    raise DecodeError(f"bad {what} {value!r}")


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    text = (value if type(value) is str else str(value)).strip()
    return text or None


def _direction(door: str | None, ctx: DecodeContext) -> Direction | None:
    if door is None:
        return None
    value = ctx.door_direction.get(door)
    return Direction(value) if value in ("in", "out") else None


def _where(door: str | None, direction: Direction | None) -> str:
    if door is None:
        return ""
    arrow = {Direction.IN: " 进", Direction.OUT: " 出"}.get(direction, "") if direction else ""
    return f" 门{door}{arrow}"


# -- access control --------------------------------------------------------------------------------
def decode_acs_fields(fields: Mapping[str, Any], when: Any, raw_key: str | None, ctx: DecodeContext,
                      *, major_key: str = "majorEventType", minor_key: str = "subEventType") -> Draft | None:
    """One access-control record (live event body or AcsEvent search row) → a draft; None = heartbeat."""
    found = _acs_fields(fields, when, raw_key, ctx, major_key, minor_key)
    return found[0] if found is not None else None


def _acs_fields(fields: Mapping[str, Any], when: Any, raw_key: str | None, ctx: DecodeContext,
                major_key: str, minor_key: str) -> tuple[Draft, timedelta | None] | None:
    """``decode_acs_fields`` with the offset its time carried (parsed once: it is a tenth of a push)."""
    major = _int(fields.get(major_key), major_key)
    minor = _int(fields.get(minor_key), minor_key)
    code = lookup(major, minor)
    if code.keepalive:
        return None
    device_time, offset = parse_time(when, ctx.timezone)
    door = _text(fields.get("doorNo")) or _text(fields.get("cardReaderNo"))
    direction = _direction(door, ctx)
    employee = _text(fields.get("employeeNoString")) or _text(fields.get("employeeNo"))
    card = _text(fields.get("cardNo"))
    name = _text(fields.get("name"))
    user_type = (_text(fields.get("userType")) or "").lower()
    if employee or card:
        subject = SubjectKind.VISITOR if user_type == "visitor" else SubjectKind.PERSON
    else:
        subject = SubjectKind.UNKNOWN  # a stranger or a failed face: kept, unidentified
    serial = _text(fields.get("serialNo"))
    extra: dict[str, Any] = {"major": major, "minor": minor}
    for key in ("serialNo", "currentVerifyMode", "attendanceStatus", "mask", "currTemperature", "userType",
                "deviceName", "cardType", "helmet"):
        value = fields.get(key)
        if value is not None and not isinstance(value, (dict, list)):
            extra[key] = value
    gate = GatePayload(
        result=code.result, door=door, direction=direction, subject_kind=subject,
        subject_id=employee or card, name=name, card=card, method=code.method, reason=code.reason,
        code=code_text(major, minor), extra=extra,
    )
    who = name or employee or card or ""
    who_text = f"：{who}" if who else ""
    if employee and name:
        who_text = f"：{name}（工号 {employee}）"
    if serial is not None:
        key = f"hik:{ctx.device_id}:{serial}"
    else:
        key = f"hik:{ctx.device_id}:{when}:{major}:{minor}:{card or employee or ''}:{raw_key or ''}"
    return Draft(
        kind=code.kind, state=code.state, priority=code.priority,
        summary=f"{code.label}{who_text}{_where(door, direction)}", gate=gate, device_time=device_time,
        dedup_key=key, point=ctx.points.get(door) if door else None,
    ), offset


def decode_acs_json(obj: Mapping[str, Any], raw: bytes, ctx: DecodeContext) -> Decoded | Ignored:
    """An ``AccessControllerEvent`` JSON envelope (alertStream part or ``event_log`` push)."""
    event_type = str(obj.get("eventType") or "")
    inner = obj.get("AccessControllerEvent")
    if event_type.lower() in ("heartbeat", "videoloss") or (inner is None and "heart" in event_type.lower()):
        return Ignored("keepalive")
    if not isinstance(inner, Mapping):
        if event_type and event_type != "AccessControllerEvent":
            return Ignored(f"event_type:{event_type}")
        raise DecodeError("no AccessControllerEvent object")
    when = obj.get("dateTime") or inner.get("dateTime")
    found = _acs_fields(inner, when, None, ctx, "majorEventType", "subEventType")
    if found is None:
        return Ignored("keepalive")
    draft, offset = found
    return Decoded((draft,), raw, _picture_count(inner.get("picturesNumber")), "face", offset)


def _picture_count(value: Any) -> int:
    """``picturesNumber`` / ``picNum`` (a number in JSON, text in XML); anything odd counts as none."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 8 else 0


def decode_acs_record(info: Mapping[str, Any], ctx: DecodeContext) -> Draft | None:
    """One row of an AcsEvent search (``InfoList``): the same key as the live event, so no duplicates."""
    return decode_acs_fields(info, info.get("time"), None, ctx, major_key="major", minor_key="minor")


# -- XML -------------------------------------------------------------------------------------------
def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _xml_root(data: bytes) -> ET.Element:
    head = data[:4096].upper()
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        raise DecodeError("XML with a DTD is refused")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise DecodeError(f"bad XML: {exc}") from None
    for element in root.iter():  # namespaces differ by firmware (ver10, ver20, none): drop them
        element.tag = _local(element.tag)
    return root


def _as_dict(element: ET.Element) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for child in element:
        out[child.tag] = _as_dict(child) if len(child) else (child.text or "").strip()
    return out


def decode_xml(data: bytes, ctx: DecodeContext) -> Decoded | Ignored:
    """An ``EventNotificationAlert`` (with or without namespace): ANPR, access control, keep-alives."""
    root = _xml_root(data)
    if root.tag != "EventNotificationAlert":
        raise DecodeError(f"unexpected XML root <{root.tag}>")
    alert = _as_dict(root)
    event_type = str(alert.get("eventType") or "")
    state = str(alert.get("eventState") or "").lower()
    if event_type.lower() == "heartbeat" or (event_type == "videoloss" and state == "inactive"):
        return Ignored("keepalive")
    if isinstance(alert.get("AccessControllerEvent"), dict):
        return decode_acs_json({**alert, "eventType": "AccessControllerEvent"}, data, ctx)
    if event_type.upper() == "ANPR" or isinstance(alert.get("ANPR"), dict):
        return decode_anpr(alert, data, ctx)
    return Ignored(f"event_type:{event_type or 'none'}")


def normalise_plate(text: str | None) -> str | None:
    """``粤B D12345`` → ``粤BD12345``; ``unknown`` / empty → None."""
    if text is None:
        return None
    plate = _PLATE_SPACE.sub("", text).upper()
    return None if plate.lower() in _NO_PLATE else plate


def normalise_list(text: str | None) -> str | None:
    """``allowList``/``whiteList`` → allow, ``blockList``/``blackList`` → block, ``otherList`` → other."""
    if not text:
        return None
    return _LISTS.get(text.strip().lower(), "other")


def decode_anpr(alert: Mapping[str, Any], raw: bytes, ctx: DecodeContext) -> Decoded:
    anpr = alert.get("ANPR")
    if not isinstance(anpr, dict):
        raise DecodeError("ANPR alert without an <ANPR> element")
    when = alert.get("dateTime")
    device_time, offset = parse_time(when, ctx.timezone)
    plate = normalise_plate(_text(anpr.get("licensePlate")))
    list_name = normalise_list(_text(anpr.get("vehicleListName")))
    raw_direction = (_text(anpr.get("direction")) or "").lower()
    lane = _text(anpr.get("line")) or _text(alert.get("channelID"))
    direction = {"forward": Direction.IN, "reverse": Direction.OUT}.get(raw_direction)
    direction = direction or _direction(lane, ctx)
    vehicle = anpr.get("vehicleInfo") if isinstance(anpr.get("vehicleInfo"), dict) else {}
    extra: dict[str, Any] = {"eventType": "ANPR"}
    for key, value in (("confidence", anpr.get("confidenceLevel")), ("plate_color", anpr.get("plateColor")),
                       ("plate_type", anpr.get("plateType")), ("vehicle_type", anpr.get("vehicleType")),
                       ("vehicle_color", vehicle.get("color")), ("vehicle_model", vehicle.get("vehileModel")),
                       ("direction_raw", raw_direction), ("list_raw", anpr.get("vehicleListName")),
                       ("uuid", alert.get("UUID"))):
        if isinstance(value, str) and value:
            extra[key] = value
    uuid = _text(alert.get("UUID"))
    key = f"hik:{ctx.device_id}:{uuid}" if uuid else f"hik:{ctx.device_id}:{when}:anpr:{plate or 'unknown'}"
    subject = SubjectKind.VEHICLE if plate else SubjectKind.UNKNOWN
    common = {"door": lane, "direction": direction, "subject_kind": subject, "subject_id": plate,
              "plate": plate, "method": Method.PLATE, "list_name": list_name, "code": "hik:ANPR",
              "extra": extra}
    point = ctx.points.get(lane) if lane else None
    shown = plate or "未识别车牌"
    where = _where(lane, direction).replace("门", "车道")
    if list_name == "allow":
        first = Draft(GATE_PASS, EventState.INFO, Priority.INFO, f"车牌识别（允许名单）：{shown}{where}",
                      GatePayload(result=GateResult.GRANTED, **common), device_time, key, point)
    elif list_name == "block":
        first = Draft(GATE_DENIED, EventState.INFO, Priority.INFO, f"车牌识别（禁止名单）：{shown}{where}",
                      GatePayload(result=GateResult.DENIED, reason="blocklist", **common), device_time, key,
                      point)
    else:  # the camera saw a vehicle it has no list entry for; whether the barrier opened is not said
        first = Draft(GATE_PASS, EventState.INFO, Priority.INFO, f"车牌识别：{shown}{where}",
                      GatePayload(result=GateResult.INFO, **common), device_time, key, point)
    drafts = [first]
    if list_name == "block":
        drafts.append(Draft(GATE_ALARM_PREFIX + "blocklist", EventState.ACTIVE, Priority.SECURITY,
                            f"黑名单车辆：{shown}{where}",
                            GatePayload(result=GateResult.ALARM, reason="blocklist", **common), device_time,
                            key + ":blocklist", point))
    return Decoded(tuple(drafts), raw, _picture_count(alert.get("picNum")), "plate", offset)


def _loads(data: bytes) -> Any:
    """``json.loads(data)``, through orjson (a third of the time) when it takes the body: it accepts less
    (no BOM, no NaN, UTF-8 only), and whatever it refuses goes to json, whose verdict stands. orjson reads an
    integer beyond 64 bits as a float, so a body with a run of 19 digits or more goes to json too: the result
    is always json's."""
    if _LONG_DIGITS not in data.translate(_DIGITS_AS_ZERO):  # a fifth of the time of a regex search
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
    # Bytes, not text: json detects the encoding and skips a UTF-8 BOM itself, in C, where the utf-8-sig
    # codec runs in Python.
    return json.loads(data)


_DIGITS_AS_ZERO = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
_LONG_DIGITS = b"0" * 19


# -- any body --------------------------------------------------------------------------------------
def decode_body(content_type: str, data: bytes, ctx: DecodeContext) -> Decoded | Ignored:
    """A JSON or XML event body, chosen by its media type or, failing that, its first byte."""
    text = data.lstrip()
    if not text:
        raise DecodeError("empty body")
    looks_json = text[:1] in (b"{", b"[")
    if "json" in content_type or (looks_json and "xml" not in content_type):
        try:
            obj = _loads(data)
        except (UnicodeDecodeError, ValueError) as exc:
            raise DecodeError(f"bad JSON: {exc}") from None
        if not isinstance(obj, dict):
            raise DecodeError("JSON body is not an object")
        return decode_acs_json(obj, data, ctx)
    if "xml" in content_type or text[:1] == b"<":
        return decode_xml(data, ctx)
    raise DecodeError(f"neither JSON nor XML ({content_type or 'no content type'})")


def picture_category(filename: str | None, kind: str, index: int) -> str:
    """Which folder a picture goes to: face for access control; plate or vehicle for ANPR."""
    if kind != "plate":
        return "face"
    name = (filename or "").lower()
    if "plate" in name:
        return "plate"
    if name:
        return "vehicle"
    return "plate" if index == 0 else "vehicle"
