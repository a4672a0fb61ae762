"""Contact ID (DC-05) and SIA-DCS (DC-03) event codes → DeviceEvents, with retransmission-proof keys."""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pysiaalarm.data.sia_codes import SIA_CODES

from drivers.base import DeviceEvent, EventState, Priority
from drivers.fire.sia_dc09.messages import ADM_CID, SIA_DCS, Message

ACTIVE, CLEARED, INFO = EventState.ACTIVE, EventState.CLEARED, EventState.INFO

LABELS = {
    "fire.alarm": "火警", "fire.prealarm": "火灾预警", "fire.supervisory": "监管", "fire.fault": "故障",
    "fire.mains_fault": "主电故障", "fire.battery_fault": "备电故障", "fire.comm_fault": "通信故障",
    "fire.disabled": "屏蔽", "point.disabled": "旁路", "fire.link_fault": "通信链路中断",
    "security.intrusion": "入侵报警", "security.tamper": "防拆报警", "security.panic": "紧急报警",
    "security.fault": "防盗故障", "medical.alarm": "医疗求助", "hazard.gas": "可燃/有毒气体报警",
    "technical.alarm": "技术报警", "security.arming": "布撤防", "panel.test": "测试报告",
    "panel.event": "事件", "panel.unknown_code": "无法识别的报告",
}


@dataclass(frozen=True, slots=True)
class Rule:
    kind: str
    priority: Priority
    state: EventState  # for SIA codes; Contact ID takes ACTIVE/CLEARED from its qualifier


# -- SIA-DCS ---------------------------------------------------------------------------------------
_SIA_GROUPS: tuple[tuple[str, str, Priority, EventState], ...] = (
    ("FA FM SA KA", "fire.alarm", Priority.FIRE, ACTIVE),
    # FR is "alarm/trouble restored"; panels send FJ for trouble restores, so FR clears the alarm.
    ("FH FR SH SR KH KR", "fire.alarm", Priority.FIRE, CLEARED),
    ("FG", "fire.prealarm", Priority.SUPERVISORY, ACTIVE),
    ("FS SS KS", "fire.supervisory", Priority.SUPERVISORY, ACTIVE),
    ("FV", "fire.supervisory", Priority.SUPERVISORY, CLEARED),
    ("FT FW FY FZ ST KT YP YA ET", "fire.fault", Priority.FAULT, ACTIVE),
    ("FJ FQ SJ KJ YQ YH ER", "fire.fault", Priority.FAULT, CLEARED),
    ("FB SB KB", "fire.disabled", Priority.DISABLED, ACTIVE),
    ("FU SU KU", "fire.disabled", Priority.DISABLED, CLEARED),
    ("AT", "fire.mains_fault", Priority.FAULT, ACTIVE),
    ("AR", "fire.mains_fault", Priority.FAULT, CLEARED),
    ("YT YM XT", "fire.battery_fault", Priority.FAULT, ACTIVE),
    ("YR XR", "fire.battery_fault", Priority.FAULT, CLEARED),
    ("YC YS LT NT", "fire.comm_fault", Priority.FAULT, ACTIVE),
    ("YK LR NR", "fire.comm_fault", Priority.FAULT, CLEARED),
    ("GA", "hazard.gas", Priority.FIRE, ACTIVE),
    ("GH GR", "hazard.gas", Priority.FIRE, CLEARED),
    ("BA BM BV UA", "security.intrusion", Priority.SECURITY, ACTIVE),
    ("BH BR UH UR", "security.intrusion", Priority.SECURITY, CLEARED),
    ("BT UT", "security.fault", Priority.FAULT, ACTIVE),
    ("BJ UJ", "security.fault", Priority.FAULT, CLEARED),
    ("BB UB", "point.disabled", Priority.DISABLED, ACTIVE),
    ("BU UU", "point.disabled", Priority.DISABLED, CLEARED),
    ("TA TT ES", "security.tamper", Priority.SECURITY, ACTIVE),
    ("TR TH TJ EJ", "security.tamper", Priority.SECURITY, CLEARED),
    ("PA HA", "security.panic", Priority.SECURITY, ACTIVE),
    ("PH PR HH HR", "security.panic", Priority.SECURITY, CLEARED),
    ("MA QA", "medical.alarm", Priority.SECURITY, ACTIVE),
    ("MH MR QH QR", "medical.alarm", Priority.SECURITY, CLEARED),
    ("WA ZA", "technical.alarm", Priority.TECHNICAL, ACTIVE),
    ("WH WR ZH ZR", "technical.alarm", Priority.TECHNICAL, CLEARED),
    ("RP RX TX FI FK FX TS TE BX GX", "panel.test", Priority.INFO, INFO),
    ("OP OA OQ OS OR OG OK OJ CL CA CQ CS CG CP CF CK CJ NL NF", "security.arming", Priority.INFO, INFO),
)
SIA_RULES: dict[str, Rule] = {
    code: Rule(kind, priority, state)
    for codes, kind, priority, state in _SIA_GROUPS
    for code in codes.split()
}
_ZONE_CONCERNS = ("Zone or point", "Point number", "Zone number")

# -- Contact ID ------------------------------------------------------------------------------------
_CID_NAMES = {
    100: "Medical", 101: "Personal emergency", 102: "Fail to report in", 110: "Fire", 111: "Smoke",
    112: "Combustion", 113: "Water flow", 114: "Heat", 115: "Pull station", 116: "Duct", 117: "Flame",
    118: "Near alarm", 120: "Panic", 121: "Duress", 122: "Silent panic", 123: "Audible panic",
    130: "Burglary", 131: "Perimeter", 132: "Interior", 133: "24 hour", 134: "Entry/exit",
    137: "Tamper", 144: "Sensor tamper", 145: "Expansion module tamper", 151: "Gas detected",
    162: "Carbon monoxide", 200: "Fire supervisory", 201: "Low water pressure", 202: "Low CO2",
    203: "Gate valve", 204: "Low water level", 205: "Pump activated", 206: "Pump failure",
    300: "System trouble", 301: "AC loss", 302: "Low system battery", 309: "Battery test failure",
    311: "Battery missing", 342: "Expansion module AC loss", 338: "Expansion module low battery",
    350: "Communication trouble", 351: "Telco 1 fault", 352: "Telco 2 fault", 354: "Failure to communicate",
    373: "Fire trouble", 380: "Sensor trouble", 383: "Sensor tamper", 384: "RF low battery",
    401: "Open/close by user", 570: "Zone bypass", 571: "Fire bypass", 601: "Manual test",
    602: "Periodic test", 603: "Periodic RF transmission", 604: "Fire test", 607: "Walk test",
    608: "Periodic test, trouble present",
}
_CID_EXACT: dict[int, Rule] = {
    118: Rule("fire.prealarm", Priority.SUPERVISORY, ACTIVE),
    137: Rule("security.tamper", Priority.SECURITY, ACTIVE),
    144: Rule("security.tamper", Priority.SECURITY, ACTIVE),
    145: Rule("security.tamper", Priority.SECURITY, ACTIVE),
    151: Rule("hazard.gas", Priority.FIRE, ACTIVE),
    162: Rule("hazard.gas", Priority.FIRE, ACTIVE),
    301: Rule("fire.mains_fault", Priority.FAULT, ACTIVE),
    342: Rule("fire.mains_fault", Priority.FAULT, ACTIVE),
    302: Rule("fire.battery_fault", Priority.FAULT, ACTIVE),
    309: Rule("fire.battery_fault", Priority.FAULT, ACTIVE),
    311: Rule("fire.battery_fault", Priority.FAULT, ACTIVE),
    338: Rule("fire.battery_fault", Priority.FAULT, ACTIVE),
    341: Rule("security.tamper", Priority.SECURITY, ACTIVE),
    383: Rule("security.tamper", Priority.SECURITY, ACTIVE),
    571: Rule("fire.disabled", Priority.DISABLED, ACTIVE),
}
# (first, last, rule) for the families DC-05 defines; anything outside them is an unknown code.
_CID_RANGES: tuple[tuple[int, int, Rule], ...] = (
    (100, 109, Rule("medical.alarm", Priority.SECURITY, ACTIVE)),
    (110, 119, Rule("fire.alarm", Priority.FIRE, ACTIVE)),
    (120, 129, Rule("security.panic", Priority.SECURITY, ACTIVE)),
    (130, 149, Rule("security.intrusion", Priority.SECURITY, ACTIVE)),
    (150, 199, Rule("technical.alarm", Priority.TECHNICAL, ACTIVE)),
    (200, 299, Rule("fire.supervisory", Priority.SUPERVISORY, ACTIVE)),
    (350, 359, Rule("fire.comm_fault", Priority.FAULT, ACTIVE)),
    (300, 399, Rule("fire.fault", Priority.FAULT, ACTIVE)),
    (400, 409, Rule("security.arming", Priority.INFO, INFO)),
    (410, 499, Rule("panel.event", Priority.INFO, INFO)),
    (500, 599, Rule("point.disabled", Priority.DISABLED, ACTIVE)),
    (600, 609, Rule("panel.test", Priority.INFO, INFO)),
    (610, 699, Rule("panel.event", Priority.INFO, INFO)),
)


def cid_rule(code: int) -> Rule | None:
    if code in _CID_EXACT:
        return _CID_EXACT[code]
    return next((rule for first, last, rule in _CID_RANGES if first <= code <= last), None)


# -- data blocks -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class BlockEvent:
    """One event in a data block: ``code`` is the SIA code or the three Contact ID digits."""

    code: str
    zone: str | None
    qualifier: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


_CID_BODY = re.compile(r"(?P<q>[0-9A-F])(?P<code>[0-9A-F]{3}) (?P<group>[0-9A-F]{2}) (?P<zone>[0-9A-F]{3})\Z")
_DCS_TOKEN = re.compile(
    r"/|(?P<mod>[a-z]{2})(?P<val>[0-9:.,-]*)|(?P<code>[A-Z]{2})(?P<addr>[0-9]*)(?:\^(?P<text>[^^]*)\^)?"
)
_ACCOUNT_PREFIX = re.compile(r"#(?P<acct>[0-9A-Fa-f]{3,16})\|")


def _number(text: str) -> str:
    """Zone numbers arrive zero-padded ("015"); the point address uses the plain number ("15")."""
    return str(int(text)) if text.isdigit() else text


def split_account(data: str) -> tuple[str | None, str]:
    match = _ACCOUNT_PREFIX.match(data)
    return (match["acct"].upper(), data[match.end():]) if match else (None, data)


def parse_cid(body: str) -> BlockEvent:
    match = _CID_BODY.match(body.strip())
    if match is None:
        raise ValueError(f"not a Contact ID event 'QEEE GG ZZZ': {body!r}")
    return BlockEvent(match["code"], _number(match["zone"]), match["q"], {"group": match["group"]})


def _dcs_tokens(text: str) -> list[re.Match[str]] | None:
    tokens, pos = [], 0
    while pos < len(text):
        match = _DCS_TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            return None
        tokens.append(match)
        pos = match.end()
    return tokens if any(t["code"] for t in tokens) else None


def parse_dcs(body: str) -> list[BlockEvent]:
    """``Nri1/FA015/FA016`` → events. A leading N ("new event") is dropped only when the rest still
    reads as a block, because N also starts codes such as NL (perimeter armed)."""
    candidates = [body[1:], body] if body.startswith("N") else [body]
    tokens = next((t for t in map(_dcs_tokens, candidates) if t is not None), None)
    if tokens is None:
        raise ValueError(f"not a SIA-DCS event block: {body!r}")
    modifiers: dict[str, str] = {}
    events = []
    for token in tokens:
        if token["mod"]:
            modifiers[token["mod"]] = token["val"]
        elif token["code"]:
            details: dict[str, Any] = {"modifiers": dict(modifiers)}
            if token["text"] is not None:
                details["text"] = token["text"]
            events.append(BlockEvent(token["code"], _number(token["addr"]) if token["addr"] else None,
                                     None, details))
    return events


def point_address(account: str, zone: str | None) -> str:
    """``"<account>-<zone>"`` for a zone, ``"<account>"`` for panel-level events (zone 0 or none)."""
    return account if zone in (None, "", "0") else f"{account}-{zone}"


# -- retransmissions -------------------------------------------------------------------------------
class RecentMessages:
    """When each message was first received. A retransmission repeats account, routing, sequence and
    data but carries a fresh timestamp (a NAK makes the panel restamp), so the timestamp cannot be in
    the dedup key; the first-seen time stands in for it and tells a retransmission from a sequence
    number that has wrapped past 9999."""

    def __init__(self, ttl_s: float = 300.0, capacity: int = 65536) -> None:
        self.ttl = timedelta(seconds=ttl_s)
        self.capacity = capacity
        self._seen: OrderedDict[str, datetime] = OrderedDict()

    def first_seen(self, identity: str, now: datetime) -> datetime:
        while self._seen:
            oldest_key, oldest = next(iter(self._seen.items()))
            if now - oldest <= self.ttl and len(self._seen) < self.capacity:
                break
            del self._seen[oldest_key]
        return self._seen.setdefault(identity, now)


def message_identity(source: str, message: Message) -> str:
    h = message.header
    parts = (source, h.account or "", h.receiver or "", h.prefix or "", h.sequence, h.id_token, message.data)
    return "|".join(parts)


def dedup_key(identity: str, first_seen: datetime, index: int) -> str:
    text = f"{identity}|{first_seen.isoformat()}|{index}"
    return "dc09:" + hashlib.sha256(text.encode()).hexdigest()[:32]


# -- message → events ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Mapped:
    events: list[DeviceEvent]
    unknown: list[str]  # codes (or "unreadable") the driver could not interpret: it answers DUH


def _resolve(message: Message, event: BlockEvent) -> tuple[Rule | None, str, EventState | None, bool]:
    """(rule, description, state, zone_is_point); rule None means an unknown code."""
    if message.id_token == ADM_CID:
        code = int(event.code) if event.code.isdigit() else -1
        rule = cid_rule(code)
        name = _CID_NAMES.get(code, "")
        description = f"CID {event.qualifier}{event.code}" + (f" {name}" if name else "")
        if rule is None:
            return None, description, None, False
        if rule.priority is Priority.INFO:
            state = INFO
        else:
            state = {"1": ACTIVE, "3": CLEARED, "6": ACTIVE}.get(event.qualifier or "")
        return rule, description, state, not 400 <= code <= 499
    sia = SIA_CODES.get(event.code)
    description = f"SIA {event.code}" + (f" {sia.type}" if sia else "")
    if sia is None:
        return None, description, None, False
    rule = SIA_RULES.get(event.code, Rule("panel.event", Priority.INFO, INFO))
    return rule, description, rule.state, sia.concerns in _ZONE_CONCERNS


def map_message(
    message: Message,
    *,
    source: str,
    points: Mapping[str, str],
    received_time: datetime,
    raw: bytes,
    first_seen: datetime,
) -> Mapped:
    """Events for an ADM-CID or SIA-DCS message. Unknown codes and unreadable blocks are still stored
    (as INFO, so the raw report is never lost) and listed in ``unknown``."""
    if message.id_token not in (ADM_CID, SIA_DCS):
        raise ValueError(f"{message.id_token} carries no events")
    inner_account, body = split_account(message.data)
    account = message.account
    identity = message_identity(source, message)
    header = message.header
    base: dict[str, Any] = {
        "protocol": "sia-dc09", "id_token": message.id_token, "account": account, "sequence": header.sequence,
        "receiver": header.receiver, "prefix": header.prefix, "encrypted": header.encrypted,
        "data": message.data, "xdata": list(message.xdata), "timestamp": message.timestamp_text,
    }
    if inner_account and inner_account != account:
        base["data_account"] = inner_account

    def make(index: int, kind: str, state: EventState, priority: Priority, summary: str,
             address: str, extra: dict[str, Any]) -> DeviceEvent:
        return DeviceEvent(
            source=source, kind=kind, state=state, priority=priority, summary=summary,
            point=points.get(address, address), device_time=message.timestamp, received_time=received_time,
            raw=raw, payload={**base, "address": address, **extra},
            dedup_key=dedup_key(identity, first_seen, index),
        )

    try:
        block = [parse_cid(body)] if message.id_token == ADM_CID else parse_dcs(body)
    except ValueError as exc:
        summary = f"{LABELS['panel.unknown_code']}：{account}"
        event = make(0, "panel.unknown_code", INFO, Priority.INFO, summary, account, {"error": str(exc)})
        return Mapped([event], ["unreadable"])
    events: list[DeviceEvent] = []
    unknown: list[str] = []
    for index, item in enumerate(block):
        rule, description, state, zone_is_point = _resolve(message, item)
        extra: dict[str, Any] = {"code": item.code, "zone": item.zone, **item.details}
        if item.qualifier is not None:
            extra["qualifier"] = item.qualifier
            extra["status_report"] = item.qualifier == "6"
        address = point_address(account, item.zone if zone_is_point else None)
        if not zone_is_point and item.zone is not None:
            extra["number"] = item.zone  # a user, area or device number, not a zone
        if rule is None:
            unknown.append(item.code)
            kind, state, priority = "panel.unknown_code", INFO, Priority.INFO
            label = LABELS[kind]
        elif state is None:  # a Contact ID qualifier other than 1, 3, 6: record it, raise nothing
            kind, state, priority, label = "panel.event", INFO, Priority.INFO, "无效限定符"
        else:
            kind, priority, label = rule.kind, rule.priority, LABELS.get(rule.kind, rule.kind)
            if state is CLEARED:
                label += "恢复"
        if kind == "security.arming":
            extra["armed"] = item.code[0] in "CN" or item.qualifier == "3"  # C…/NL/NF arm, O… disarm
            label = "布防" if extra["armed"] else "撤防"
        where = address.replace("-", " 防区 ", 1) if address != account else f"{account} 主机"
        summary = f"{label}：{where}（{description}）"
        events.append(make(index, kind, state, priority, summary, address, extra))
    return Mapped(events, unknown)
