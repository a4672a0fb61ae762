"""Dahua records (AccessControl, TrafficJunction, door and alarm codes) → DeviceEvents with a GatePayload."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from drivers.base import (
    GATE_ALARM_PREFIX,
    GATE_DENIED,
    GATE_DOOR,
    GATE_PASS,
    DeviceEvent,
    Direction,
    EventState,
    GatePayload,
    GateResult,
    Method,
    Priority,
    SubjectKind,
    utc_now,
)
from drivers.gates.dahua.records import Record

__all__ = ["ALARM_CODES", "ERROR_REASONS", "METHODS", "MapOptions", "list_kind", "map_record"]

# AccessControl "Method" in the CGI/HTTP API. Per source: 1 = card and 15 = face (PROTOCOLS.md §2.4); the
# rest follows NetSDK's NET_ACCESS_DOOROPEN_METHOD shifted down by one (NetSDK counts from 1 = password,
# 2 = card, 16 = face), which gives exactly those two anchors. Values not listed map to OTHER.
METHODS: dict[int, tuple[Method, str]] = {
    0: (Method.PASSWORD, "密码"),
    1: (Method.CARD, "刷卡"),
    2: (Method.CARD, "卡+密码"),
    3: (Method.PASSWORD, "密码+卡"),
    4: (Method.REMOTE, "远程开门"),
    5: (Method.OTHER, "开门按钮"),
    6: (Method.FINGERPRINT, "指纹"),
    7: (Method.CARD, "密码+卡+指纹"),
    9: (Method.FINGERPRINT, "密码+指纹"),
    10: (Method.CARD, "卡+指纹"),
    11: (Method.OTHER, "多人开门"),
    12: (Method.OTHER, "钥匙"),
    13: (Method.PASSWORD, "胁迫密码"),
    14: (Method.QR, "二维码"),
    15: (Method.FACE, "人脸"),
}

# AccessControl "ErrorCode" (valid when Status is 0), per NetSDK's DEV_EVENT_ACCESS_CTL_INFO documentation;
# the words follow the vocabulary the Hikvision driver uses, so the gate log filters across vendors.
ERROR_REASONS: dict[int, tuple[str, str]] = {
    0x10: ("no_permission", "未授权"),
    0x11: ("card_lost", "卡挂失或注销"),
    0x12: ("no_permission", "无此门权限"),
    0x13: ("wrong_mode", "开门模式错误"),
    0x14: ("expired", "有效期错误"),
    0x15: ("anti_passback", "反潜回"),
    0x16: ("alarm_active", "胁迫报警未解除"),
    0x17: ("door_locked_mode", "门常闭状态"),
    0x18: ("interlock", "AB互锁状态"),
    0x19: ("patrol_card", "巡更卡"),
    0x1A: ("intrusion_alarm", "设备处于闯入报警状态"),
    0x20: ("invalid_time", "时间段错误"),
    0x21: ("invalid_time", "假日时间段错误"),
    0x30: ("first_card_required", "需首卡开门"),
    0x40: ("wrong_password", "卡正确，密码错误"),
    0x41: ("timeout", "卡正确，密码超时"),
    0x42: ("fingerprint_mismatch", "卡正确，指纹错误"),
    0x43: ("timeout", "卡正确，指纹超时"),
    0x44: ("wrong_password", "指纹正确，密码错误"),
    0x45: ("timeout", "指纹正确，密码超时"),
    0x50: ("group_order", "组合开门顺序错误"),
    0x51: ("group_incomplete", "组合开门需继续验证"),
    0x60: ("remote_unauthorized", "验证通过，控制台未授权"),
    0x61: ("face_mismatch", "卡正确，人脸错误"),
    0x62: ("timeout", "卡正确，人脸超时"),
    0x63: ("anti_passback", "重复进入"),
}

# Door and device condition codes → (alarm name, label). Start raises, Stop clears, Pulse only raises.
# The code names are those public Dahua clients subscribe to and test with (BreakIn, DoorNotClosed, Duress,
# ChassisIntruded, AlarmLocal); Dahua's CGI names no tailgating code, so none is mapped.
ALARM_CODES: dict[str, tuple[str, str]] = {
    "BreakIn": ("forced", "门被强行打开"),
    "DoorNotClosed": ("held_open", "门未关"),
    "Duress": ("duress", "胁迫报警"),
    "ChassisIntruded": ("tamper", "设备防拆报警"),
    "AlarmLocal": ("input", "本地报警输入"),
}

# ANPR list names seen across firmware (allow = TrafficRedList / white list; block = TrafficBlackList).
_ALLOW = {"allow", "allowlist", "white", "whitelist", "red", "redlist", "trafficredlist", "trust", "trusted"}
_BLOCK = {"block", "blocklist", "black", "blacklist", "trafficblacklist", "suspicious"}
# Where firmware puts the list a plate matched (unverified across models: read whichever is present).
_LIST_KEYS = ("TrafficListName", "ListName", "ListType", "AllowListType")
_CAR_EXTRA = ("PlateColor", "PlateType", "VehicleColor", "VehicleType", "Speed", "Confidence")
_UNKNOWN_PLATES = {"", "unknown", "unknow", "无车牌", "未识别", "none", "null"}


@dataclass(frozen=True, slots=True)
class MapOptions:
    """What the mapping needs from the driver settings and the site file."""

    device_id: str
    utc_field_is_local: bool = False  # the firmware writes local wall-clock time into "UTC"
    timezone: str = "Asia/Shanghai"
    door_direction: Mapping[str, Direction] = field(default_factory=dict)  # door / lane / reader → in/out
    points: Mapping[str, str] = field(default_factory=dict)  # device-side door or lane → point id


def device_time(data: Mapping[str, Any], opts: MapOptions) -> datetime | None:
    """The event time from ``UTC`` (+ ``UTCMS``); None when absent or impossible."""
    value = data.get("UTC", data.get("RealUTC"))
    try:
        seconds = float(value)
        millis = float(data.get("UTCMS") or 0)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(seconds) or not math.isfinite(millis) or seconds <= 0:
        return None
    try:
        if opts.utc_field_is_local:
            wall = datetime(1970, 1, 1) + timedelta(seconds=seconds, milliseconds=millis)
            return wall.replace(tzinfo=ZoneInfo(opts.timezone)).astimezone(UTC)
        return datetime.fromtimestamp(seconds, UTC) + timedelta(milliseconds=millis)
    except (OverflowError, OSError, ValueError):
        return None


def list_kind(value: Any) -> str | None:
    """Normalise an ANPR list name to allow / block / other; None when there is none."""
    if value is None:
        return None
    word = str(value).strip().lower().replace("_", "").replace(" ", "")
    if not word:
        return None
    if word in _BLOCK:
        return "block"
    if word in _ALLOW:
        return "allow"
    return "other"


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip(), 0) if isinstance(value, str) else int(value)
    except (TypeError, ValueError):
        return None


def _utc_key(data: Mapping[str, Any]) -> str:
    value = data.get("UTC", data.get("RealUTC"))
    return "" if value is None else str(value)


def _direction(explicit: Any, keys: tuple[str | None, ...], opts: MapOptions) -> Direction | None:
    word = str(explicit or "").strip().lower()
    if word in ("entry", "enter", "in", "approach", "1"):
        return Direction.IN
    if word in ("exit", "leave", "out", "2"):
        return Direction.OUT
    for key in keys:
        if key is not None and key in opts.door_direction:
            return opts.door_direction[key]
    return None


def map_record(
    record: Record, opts: MapOptions, *, received_time: datetime | None = None
) -> list[DeviceEvent]:
    """The console events for one record ([] for codes the console does not track)."""
    received = received_time or utc_now()
    if record.code == "AccessControl":
        return [_access(record, opts, received)]
    if record.code == "TrafficJunction":
        return _traffic(record, opts, received)
    if record.code == "DoorStatus":
        return [_door_status(record, opts, received)]
    if record.code in ALARM_CODES:
        return [_alarm(record, opts, received)]
    return []


def _dedup(opts: MapOptions, record: Record, subject: str | None, suffix: str = "") -> str | None:
    utc = _utc_key(record.data)
    if not utc:  # without the device's own time two different events cannot be told from a retry
        return None
    index = "" if record.index is None else record.index
    key = f"dahua:{opts.device_id}:{utc}:{subject or ''}:{record.code}:{index}"
    return key + suffix


def _event(record: Record, opts: MapOptions, received: datetime, *, kind: str, state: EventState,
           priority: Priority, summary: str, gate: GatePayload, door: str | None, dedup: str | None
           ) -> DeviceEvent:
    return DeviceEvent(
        source=opts.device_id, kind=kind, state=state, priority=priority, summary=summary,
        point=opts.points.get(door) if door is not None else None,
        device_time=device_time(record.data, opts), received_time=received, raw=record.raw,
        payload=gate.to_payload(), dedup_key=dedup,
    )


def _access(record: Record, opts: MapOptions, received: datetime) -> DeviceEvent:
    data = record.data
    user = _text(data.get("UserID"))
    card = _text(data.get("CardNo"))
    name = _text(data.get("CardName")) or _text(data.get("UserName"))
    door_no = _text(data.get("Door"))
    door = door_no if door_no is not None else (None if record.index is None else str(record.index))
    reader = _text(data.get("ReaderID"))
    method_code = _int(data.get("Method"))
    method, method_label = METHODS.get(method_code, (Method.OTHER, f"方式{method_code}")) \
        if method_code is not None else (None, "")
    granted = _int(data.get("Status")) == 1
    error = _int(data.get("ErrorCode")) or 0
    card_type = _int(data.get("CardType"))
    if card_type == 2:
        kind_of_subject = SubjectKind.VISITOR
    elif user or card:
        kind_of_subject = SubjectKind.PERSON
    else:
        kind_of_subject = SubjectKind.UNKNOWN
    direction = _direction(data.get("Type"), (door, f"reader:{reader}" if reader else None), opts)
    extra = {k: data[k] for k in ("Method", "ReaderID", "CardType", "UserType", "Similarity", "ErrorCode")
             if k in data}
    who = name or user or card or "未知人员"
    where = f"门{door}" if door is not None else "门"
    arrow = {Direction.IN: "进", Direction.OUT: "出"}.get(direction, "") if direction else ""
    if granted:
        gate = GatePayload(
            GateResult.GRANTED, door=door, direction=direction, subject_kind=kind_of_subject,
            subject_id=user or card, name=name, card=card, method=method,
            code=f"dahua:AccessControl/Method={method_code}", extra=extra,
        )
        summary = f"通行：{who} {where}{arrow}（{method_label}）".replace("（）", "")
        return _event(record, opts, received, kind=GATE_PASS, state=EventState.INFO, priority=Priority.INFO,
                      summary=summary, gate=gate, door=door, dedup=_dedup(opts, record, user or card))
    if card_type == 4:
        reason, label = "blocklist", "黑名单"
    elif error in ERROR_REASONS:
        reason, label = ERROR_REASONS[error]
    elif not (user or card):
        reason, label = "no_such_person", "未识别人员"
    else:
        reason, label = "refused", "拒绝"
    gate = GatePayload(
        GateResult.DENIED, door=door, direction=direction, subject_kind=kind_of_subject,
        subject_id=user or card, name=name, card=card, method=method, reason=reason,
        code=f"dahua:AccessControl/ErrorCode={error}", extra=extra,
    )
    summary = f"拒绝通行：{who} {where}{arrow}，{label}"
    return _event(record, opts, received, kind=GATE_DENIED, state=EventState.INFO, priority=Priority.INFO,
                  summary=summary, gate=gate, door=door,
                  dedup=_dedup(opts, record, user or card, ":denied"))


def _plate(car: Mapping[str, Any], data: Mapping[str, Any]) -> str | None:
    obj = data.get("Object") if isinstance(data.get("Object"), Mapping) else {}
    for value in (car.get("PlateNumber"), obj.get("Text") if obj.get("ObjectType") == "Plate" else None):
        text = _text(value)
        if text is not None and text.lower() not in _UNKNOWN_PLATES and not text.lower().startswith("unknow"):
            return text
    return None


def _traffic(record: Record, opts: MapOptions, received: datetime) -> list[DeviceEvent]:
    data = record.data
    car_value = data.get("TrafficCar")
    car: Mapping[str, Any] = car_value if isinstance(car_value, Mapping) else {}
    plate = _plate(car, data)
    lane_value = car.get("Lane", data.get("Lane"))
    lane = _text(lane_value)
    door = lane if lane is not None else (None if record.index is None else str(record.index))
    raw_list = next((car[k] for k in _LIST_KEYS if _text(car.get(k)) is not None), None)
    listed = list_kind(raw_list)
    driving = car.get("DrivingDirection")
    first = driving[0] if isinstance(driving, list) and driving else driving
    direction = _direction(first, (f"lane:{door}" if door is not None else None, door), opts)
    extra = {k: car[k] for k in _CAR_EXTRA if k in car}
    if raw_list is not None:
        extra["list_raw"] = raw_list
    plate_color = _text(car.get("PlateColor"))
    who = plate or "无牌车"
    where = f"车道{door}" if door is not None else "车道"
    subject = plate or (None if listed is None else "")
    code = f"dahua:TrafficJunction/{raw_list}" if raw_list is not None else "dahua:TrafficJunction"

    def vehicle(result: GateResult, reason: str = "") -> GatePayload:
        return GatePayload(result, door=door, direction=direction, subject_kind=SubjectKind.VEHICLE,
                           subject_id=plate, plate=plate, method=Method.PLATE, reason=reason,
                           list_name=listed, code=code, extra=extra)

    if listed == "block":
        deny, alarm = vehicle(GateResult.DENIED, "blocklist"), vehicle(GateResult.ALARM, "blocklist")
        return [
            _event(record, opts, received, kind=GATE_DENIED, state=EventState.INFO, priority=Priority.INFO,
                   summary=f"黑名单车辆：{who} {where}", gate=deny, door=door,
                   dedup=_dedup(opts, record, plate, ":denied")),
            _event(record, opts, received, kind=GATE_ALARM_PREFIX + "blocklist", state=EventState.ACTIVE,
                   priority=Priority.SECURITY, summary=f"黑名单车辆报警：{who} {where}", gate=alarm,
                   door=door, dedup=_dedup(opts, record, plate, ":alarm")),
        ]
    result = GateResult.GRANTED if listed in ("allow", None) else GateResult.INFO
    gate = vehicle(result)
    colour = f"（{plate_color}）" if plate_color else ""
    label = {"allow": "白名单车辆", "other": "临时车辆"}.get(listed or "", "车辆通行")
    return [_event(record, opts, received, kind=GATE_PASS, state=EventState.INFO, priority=Priority.INFO,
                   summary=f"{label}：{who}{colour} {where}", gate=gate, door=door,
                   dedup=_dedup(opts, record, subject))]


def _door_status(record: Record, opts: MapOptions, received: datetime) -> DeviceEvent:
    data = record.data
    door = _text(data.get("Door")) or (None if record.index is None else str(record.index))
    status = str(data.get("Status", "")).strip().lower()
    opened = status in ("open", "opened", "1")
    if not status:
        reason, label = "unknown", "门状态"
    else:
        reason, label = ("opened", "门已打开") if opened else ("closed", "门已关闭")
    code = f"dahua:DoorStatus/{data.get('Status')}"
    gate = GatePayload(GateResult.INFO, door=door, reason=reason, code=code)
    return _event(record, opts, received, kind=GATE_DOOR, state=EventState.INFO, priority=Priority.INFO,
                  summary=f"{label}：门{door if door is not None else ''}", gate=gate, door=door,
                  dedup=_dedup(opts, record, None, f":{reason}"))


def _alarm(record: Record, opts: MapOptions, received: datetime) -> DeviceEvent:
    name, label = ALARM_CODES[record.code]
    data = record.data
    door = _text(data.get("Door")) or (None if record.index is None else str(record.index))
    cleared = record.action.lower() == "stop"
    state = EventState.CLEARED if cleared else EventState.ACTIVE
    extra = {"action": record.action}
    if _text(data.get("Name")):
        extra["name"] = str(data["Name"])
    gate = GatePayload(GateResult.ALARM, door=door, reason=name, code=f"dahua:{record.code}/{record.action}",
                       extra=extra)
    where = " ".join(x for x in (f"门{door}" if door is not None else "", str(data.get("Name") or "")) if x)
    summary = f"{label}{'恢复' if cleared else ''}：{where}".rstrip("：")
    suffix = "" if record.action == "Pulse" else f":{record.action}"
    return _event(record, opts, received, kind=GATE_ALARM_PREFIX + name, state=state,
                  priority=Priority.SECURITY, summary=summary, gate=gate, door=door,
                  dedup=_dedup(opts, record, None, suffix))
