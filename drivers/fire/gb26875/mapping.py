"""GB/T 26875.3 decoded records to normalised DeviceEvents, one event per condition bit set."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

from drivers.base import DeviceEvent, EventState, Priority
from drivers.fire.gb26875.adu import (
    ComponentAnalog,
    ComponentState,
    DecodedAdu,
    OperatorInfo,
    Record,
    SystemState,
    UitdOperation,
    UitdState,
    decode_adu,
)
from drivers.fire.gb26875.frame import Command, Frame, address_hex, encode_frame
from drivers.fire.gb26875.tables import (
    ANALOG_TYPES,
    FLAG_LABELS,
    component_type_name,
    flag_names,
    system_type_name,
)

# Time tags are the device's wall clock; Chinese sites run on UTC+8 without DST.
CHINA_TZ = timezone(timedelta(hours=8), "CST")
UITD_POINT = "uitd"


@dataclass(frozen=True, slots=True)
class Rule:
    kind: str
    priority: Priority
    state: EventState
    condition: str
    label: str


_A, _C, _I = EventState.ACTIVE, EventState.CLEARED, EventState.INFO

# Status bits (types 1, 2, 21) in alarm order, so the loudest event of a report comes first.
STATUS_RULES: dict[str, Rule] = {
    "FIRE": Rule("fire.alarm", Priority.FIRE, _A, "fire", "火警"),
    "SUPERVISORY": Rule("fire.supervisory", Priority.SUPERVISORY, _A, "supervisory", "监管"),
    "FAULT": Rule("fire.fault", Priority.FAULT, _A, "fault", "故障"),
    "MAINS_FAULT": Rule("fire.mains_fault", Priority.FAULT, _A, "mains_fault", "主电故障"),
    "BATTERY_FAULT": Rule("fire.battery_fault", Priority.FAULT, _A, "battery_fault", "备电故障"),
    "BUS_FAULT": Rule("fire.fault", Priority.FAULT, _A, "bus_fault", "总线故障"),
    "POWER_FAULT": Rule("fire.fault", Priority.FAULT, _A, "power_fault", "电源故障"),
    "LINK_FAULT": Rule("fire.fault", Priority.FAULT, _A, "link_fault", "通信信道故障"),
    "LINE_FAULT": Rule("fire.fault", Priority.FAULT, _A, "line_fault", "监测连接线路故障"),
    "DISABLED": Rule("fire.disabled", Priority.DISABLED, _A, "disabled", "屏蔽"),
    "DELAYED": Rule("fire.delayed", Priority.INFO, _I, "delayed", "延时"),
    "STARTED": Rule("fire.started", Priority.INFO, _I, "started", "启动"),
    "FEEDBACK": Rule("fire.feedback", Priority.INFO, _I, "feedback", "反馈"),
    "RESET": Rule("fire.reset", Priority.INFO, _C, "reset", "复位"),
}
# A status report with none of the bits above set means the point is back to normal: without this
# event a stateless consumer could never clear a fault that the panel simply stops reporting.
NORMAL_RULE = Rule("fire.normal", Priority.INFO, _C, "normal", "恢复正常")

# Operation flags (types 4, 24). 手动报警 is a person reporting a fire, so it is raised as one.
OPERATION_RULES: dict[str, Rule] = {
    "MANUAL_ALARM": Rule("fire.alarm", Priority.FIRE, _A, "manual_alarm", "手动报警"),
    "RESET": Rule("fire.reset", Priority.INFO, _C, "reset", "复位"),
    "PATROL_ANSWER": Rule("fire.patrol_answer", Priority.INFO, _I, "patrol_answer", "查岗应答"),
    "SILENCE": Rule("fire.operation", Priority.INFO, _I, "silence", "消音"),
    "ALARM_CLEARED": Rule("fire.operation", Priority.INFO, _I, "alarm_cleared", "警情消除"),
    "SELF_TEST": Rule("fire.operation", Priority.INFO, _I, "self_test", "自检"),
    "CONFIRM": Rule("fire.operation", Priority.INFO, _I, "confirm", "确认"),
    "TEST": Rule("fire.operation", Priority.INFO, _I, "test", "测试"),
}
ANALOG_RULE = Rule("fire.analog", Priority.INFO, _I, "analog", "模拟量")


def point_address(record: Record) -> str:
    """Device-side address of the point a record is about (what ``DeviceInfo.points`` is keyed by).

    Components: ``"{systype}-{sysaddr}-{zone}-{number}"`` in decimal (区号, 位号), e.g. ``"1-1-10-2"``;
    facility systems: ``"{systype}-{sysaddr}"``; the UITD itself: ``"uitd"``.
    """
    if isinstance(record, ComponentState | ComponentAnalog):
        return f"{record.system_type}-{record.system_addr}-{record.zone}-{record.number}"
    if isinstance(record, SystemState | OperatorInfo):
        return f"{record.system_type}-{record.system_addr}"
    return UITD_POINT


def _place(record: Record) -> str:
    """Chinese location text: the panel's own description first, as the duty officer reads it."""
    if isinstance(record, ComponentState | ComponentAnalog):
        where = (f"{component_type_name(record.component_type)}，{system_type_name(record.system_type)}"
                 f"{record.system_addr}号 {record.zone}区{record.number}号")
        desc = record.description if isinstance(record, ComponentState) else ""
        return f"{desc}（{where}）" if desc else where
    if isinstance(record, SystemState | OperatorInfo):
        return f"{system_type_name(record.system_type)}{record.system_addr}号"
    return "用户信息传输装置"


def _rules_for(flags: Any, table: Mapping[str, Rule], default: list[Rule]) -> list[Rule]:
    # Computed once per point and state: ``_static_of`` keeps the result.
    names = set(flag_names(flags))
    return [rule for flag, rule in table.items() if flag in names] or default


def _rules(record: Record) -> list[Rule]:
    if isinstance(record, SystemState | ComponentState | UitdState):
        return _rules_for(record.status, STATUS_RULES, [NORMAL_RULE])
    if isinstance(record, OperatorInfo | UitdOperation):
        return _rules_for(record.flags, OPERATION_RULES, [])
    if isinstance(record, ComponentAnalog):
        return [ANALOG_RULE]
    return []  # versions, configuration and clocks answer queries; they are not events


def _label(rule: Rule, record: Record) -> str:
    if isinstance(record, ComponentAnalog):
        spec = ANALOG_TYPES.get(record.analog_type)
        if spec is None:  # reserved or user-defined quantity: show the raw number
            return f"模拟量({record.analog_type}) {record.raw_value}"
        return f"{spec.name} {record.value:g}{spec.unit}"
    return rule.label


def _details(record: Record) -> dict[str, Any]:
    """The record's fields for the payload, with names resolved for the duty log."""
    details: dict[str, Any] = {"record_type": type(record).__name__}
    for name in ("system_type", "system_addr", "component_type", "component_addr", "zone", "number",
                 "description", "description_valid", "operator", "analog_type", "raw_value", "value", "unit"):
        if hasattr(record, name):
            details[name] = getattr(record, name)
    if hasattr(record, "system_type"):
        details["system_type_name"] = system_type_name(record.system_type)
    if isinstance(record, ComponentState | ComponentAnalog):
        details["component_type_name"] = component_type_name(record.component_type)
    if isinstance(record, ComponentAnalog) and record.analog_type in ANALOG_TYPES:
        details["quantity"] = ANALOG_TYPES[record.analog_type].name
    flags = getattr(record, "status", None)
    if flags is None:
        flags = getattr(record, "flags", None)
    if flags is not None:
        names = flag_names(flags)
        details["bits"] = int(flags)
        details["flags"] = tuple(names)  # tuples: the dict is shared by every report of the point
        details["flag_labels"] = tuple(FLAG_LABELS[n] for n in names)
    return details


def dedup_key(
    identity: str, frame: Frame, type_code: int, obj: bytes, condition: str, time_valid: bool
) -> str:
    """Same key for a retransmission, different keys for distinct events.

    The object's own bytes include its event time tag, which identifies the event; the frame serial
    and header time tag are left out when that tag is valid, because a UITD restarts serials on every
    connection and may restamp the header of a resent frame. When the event tag is impossible (a UITD
    without a clock sends zeros), serial and header time are added so that two real alarms from the
    same detector are never merged; a retransmission on the same connection still matches.
    """
    parts = [identity, str(type_code), obj.hex(), condition]
    if not time_valid:
        parts += [str(frame.serial), frame.time_raw.hex()]
    return "gb26875:" + hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class _Static:
    """What a record maps to apart from its time: the same for every report of a point in one state."""

    address: str
    details: dict[str, Any]
    rules: tuple[tuple[Rule, str], ...]  # each rule with its summary


_STATIC_CACHE_SIZE = 4096  # points × states a site reports; cleared, not grown, beyond it
_static_cache: dict[tuple[Any, ...], _Static] = {}
_key_fields: dict[type, tuple[str, ...]] = {}


def _static_of(record: Record) -> _Static:
    cls = type(record)
    names = _key_fields.get(cls)
    if names is None:
        names = _key_fields[cls] = tuple(f.name for f in fields(record) if f.name != "time_raw")
    key = (cls, *(getattr(record, name) for name in names))
    static = _static_cache.get(key)
    if static is None:
        place = _place(record)
        static = _Static(point_address(record), _details(record),
                         tuple((rule, f"{_label(rule, record)}：{place}") for rule in _rules(record)))
        if len(_static_cache) >= _STATIC_CACHE_SIZE:
            _static_cache.clear()
        _static_cache[key] = static
    return static


def map_decoded(
    frame: Frame,
    decoded: DecodedAdu,
    *,
    received_time: datetime,
    source: str | None = None,
    points: Mapping[str, str] | None = None,
    device_tz: tzinfo = CHINA_TZ,
) -> list[DeviceEvent]:
    """Events for the records of one frame, in record order then alarm order. Pure.

    ``source`` is the device id from the site file (defaults to ``gb26875:<uitd address hex>``);
    ``points`` maps point addresses (see ``point_address``) to site point ids, unmapped addresses pass
    through. Device times get ``device_tz``; an impossible tag gives ``device_time=None`` and
    ``payload["device_time_invalid"]``, so consumers fall back to the receive time.
    """
    uitd = address_hex(frame.source)
    identity = source or f"gb26875:{uitd}"
    raw = frame.raw or encode_frame(frame)
    points = points or {}
    events: list[DeviceEvent] = []
    for index, record in enumerate(decoded.records):
        static = _static_of(record)
        if not static.rules:
            continue
        naive = getattr(record, "time", None)
        time_valid = naive is not None
        device_time = naive.replace(tzinfo=device_tz) if naive is not None else None
        time_raw: bytes = getattr(record, "time_raw", frame.time_raw)
        obj = decoded.objects[index] if index < len(decoded.objects) else b""
        address = static.address
        for rule, summary in static.rules:
            payload = {
                "protocol": "gb26875", "uitd_address": uitd, "serial": frame.serial, "command": frame.command,
                "adu_type": decoded.type_code, "record_index": index, "condition": rule.condition,
                "address": address, "device_time_raw": time_raw.hex(), "device_time_invalid": not time_valid,
                **static.details,
            }
            events.append(DeviceEvent(
                source=identity, kind=rule.kind, state=rule.state, priority=rule.priority,
                summary=summary, point=points.get(address, address),
                device_time=device_time, received_time=received_time, raw=raw, payload=payload,
                dedup_key=dedup_key(identity, frame, decoded.type_code, obj, rule.condition, time_valid),
            ))
    return events


def events_from_frame(
    frame: Frame,
    *,
    received_time: datetime,
    source: str | None = None,
    points: Mapping[str, str] | None = None,
    device_tz: tzinfo = CHINA_TZ,
) -> list[DeviceEvent]:
    """Events carried by an upload (2) or response (5); [] for heartbeats, answers and bad ADUs.

    A session should first call ``decode_adu`` itself when it must NAK bad ADUs; this helper is the
    convenience path for frames already accepted.
    """
    if frame.command not in (Command.SEND, Command.RESPONSE) or not frame.adu:
        return []
    decoded = decode_adu(frame.adu)
    if not isinstance(decoded, DecodedAdu):
        return []
    return map_decoded(frame, decoded, received_time=received_time, source=source, points=points,
                       device_tz=device_tz)
