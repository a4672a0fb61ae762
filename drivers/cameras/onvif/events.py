"""ONVIF event notifications: parse PullMessages replies, classify topics, and map them to DeviceEvents.

Pure functions (no I/O): ``parse_notifications`` reads the reply XML itself (so each event keeps its raw
bytes and a malformed message costs only that message), ``classify`` names the topic with our own table of
the standard topics and, for vendor topics, with onvif-parsers' registry; ``EventMapper`` turns a stream of
notifications into DeviceEvents, dropping "Initialized" repeats of a state we already stored.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import onvif_parsers
from lxml import etree

from drivers.base import DeviceEvent, EventState, Priority

log = logging.getLogger(__name__)

MOTION, TAMPER, INPUT = "camera.motion", "camera.tamper", "camera.input"
_WSNT = "http://docs.oasis-open.org/wsn/b-2"
_TT = "http://www.onvif.org/ver10/schema"
_RAW_MAX = 4096
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)

# Standard and common vendor topics (namespace prefixes stripped), longest match wins.
_TOPIC_KINDS: tuple[tuple[str, str], ...] = (
    ("RuleEngine/CellMotionDetector/Motion", MOTION),
    ("RuleEngine/MotionRegionDetector/Motion", MOTION),
    ("VideoSource/MotionAlarm", MOTION),
    ("VideoAnalytics/Motion", MOTION),
    ("RuleEngine/TamperDetector/Tamper", TAMPER),
    ("RuleEngine/CellMotionDetector/Tamper", TAMPER),
    ("VideoSource/GlobalSceneChange", TAMPER),
    ("VideoSource/ImageTooBlurry", TAMPER),
    ("VideoSource/ImageTooDark", TAMPER),
    ("VideoSource/ImageTooBright", TAMPER),
    ("VideoSource/SignalLoss", TAMPER),
    ("Device/Trigger/DigitalInput", INPUT),
    ("Device/Trigger/AlarmIn", INPUT),
    ("Device/IO/DigitalInput", INPUT),
)
# The Data item that carries the state, by preference; the first boolean-looking item is the fallback.
_STATE_ITEMS = ("IsMotion", "IsTamper", "State", "LogicalState", "IsInside", "Value", "Active")
_TRUE = frozenset({"true", "1", "on", "active", "yes"})
_FALSE = frozenset({"false", "0", "off", "inactive", "no"})

_SUMMARY = {
    (MOTION, True): "移动侦测", (MOTION, False): "移动侦测结束",
    (TAMPER, True): "视频遮挡/场景变更", (TAMPER, False): "视频遮挡/场景变更恢复",
    (INPUT, True): "开关量输入报警", (INPUT, False): "开关量输入恢复",
}
_PRIORITY = {MOTION: Priority.INFO, TAMPER: Priority.SECURITY, INPUT: Priority.SECURITY}


@dataclass(frozen=True, slots=True)
class Notification:
    """One wsnt:NotificationMessage, with the tt:Message fields flattened."""

    topic: str
    operation: str = ""  # Initialized, Changed, Deleted (PropertyOperation)
    utc_time: datetime | None = None
    source: Mapping[str, str] = field(default_factory=dict)
    data: Mapping[str, str] = field(default_factory=dict)
    raw: bytes = b""


@dataclass(frozen=True, slots=True)
class Problem:
    reason: str
    raw: bytes


def _local(tag: Any) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _items(parent: etree._Element | None) -> dict[str, str]:
    out: dict[str, str] = {}
    if parent is None:
        return out
    for item in parent:
        if _local(item.tag) == "SimpleItem" and item.get("Name") is not None:
            out[str(item.get("Name"))] = str(item.get("Value", ""))
    return out


def _child(parent: etree._Element, name: str) -> etree._Element | None:
    for item in parent:
        if _local(item.tag) == name:
            return item
    return None


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def parse_notification(element: etree._Element) -> Notification:
    """One NotificationMessage element; ValueError when it has no topic or no tt:Message."""
    raw = etree.tostring(element)[:_RAW_MAX]
    topic_el = _child(element, "Topic")
    topic = "".join(topic_el.itertext()).strip() if topic_el is not None else ""
    if not topic:
        raise ValueError("notification without a topic")
    wrapper = _child(element, "Message")
    message = _child(wrapper, "Message") if wrapper is not None else None
    if message is None:
        raise ValueError(f"notification {topic!r} without a tt:Message")
    return Notification(
        topic=topic,
        operation=str(message.get("PropertyOperation") or ""),
        utc_time=parse_time(message.get("UtcTime")),
        source=_items(_child(message, "Source")),
        data=_items(_child(message, "Data")),
        raw=raw,
    )


def parse_notifications(xml: bytes) -> tuple[list[Notification], list[Problem]]:
    """Every NotificationMessage in a PullMessages reply (or any document holding them).

    Raises ValueError when ``xml`` is not XML at all; a single bad message becomes a Problem instead.
    """
    try:
        root = etree.fromstring(xml, parser=_PARSER)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise ValueError(f"not XML: {exc}") from None
    if root is None:
        raise ValueError("empty document")
    notes: list[Notification] = []
    problems: list[Problem] = []
    for element in root.iter(f"{{{_WSNT}}}NotificationMessage"):
        try:
            notes.append(parse_notification(element))
        except ValueError as exc:
            problems.append(Problem(str(exc), etree.tostring(element)[:_RAW_MAX]))
    return notes, problems


def bare_topic(topic: str) -> str:
    """``tns1:RuleEngine/tnsacme:X/Motion`` -> ``RuleEngine/X/Motion`` (prefixes differ per camera)."""
    return "/".join(part.rsplit(":", 1)[-1] for part in topic.strip().strip("/").split("/"))


def state_value(data: Mapping[str, str]) -> bool | None:
    """The boolean state a notification reports, or None when it carries none we can read."""
    for name in _STATE_ITEMS:
        if name in data:
            return _bool(data[name])
    for value in data.values():
        parsed = _bool(value)
        if parsed is not None:
            return parsed
    return None


def _bool(text: str) -> bool | None:
    word = text.strip().lower()
    return True if word in _TRUE else False if word in _FALSE else None


def classify(topic: str) -> str | None:
    """camera.motion / camera.tamper / camera.input for a standard topic, or None."""
    bare = bare_topic(topic)
    best: tuple[int, str] | None = None
    for pattern, kind in _TOPIC_KINDS:
        if (bare == pattern or bare.startswith(pattern + "/")) and (best is None or len(pattern) > best[0]):
            best = (len(pattern), kind)
    return best[1] if best is not None else None


async def vendor_kind(note: Notification) -> tuple[str, bool | None] | None:
    """Vendor topics onvif-parsers knows (Tapo, Hikvision, Reolink, Ajax ...): kind and value, or None."""
    try:
        entities = await onvif_parsers.parse(note.topic.strip(), "cam", as_parser_message(note))
    except (onvif_parsers.errors.UnknownTopicError, AttributeError, KeyError, IndexError, TypeError,
            ValueError):
        return None
    for entity in entities:
        name = (entity.name or "").lower()
        value = entity.value if isinstance(entity.value, bool) else None
        if entity.device_class == "tamper" or "tamper" in name:
            return TAMPER, value
        if entity.device_class == "motion":
            return MOTION, value
        if "digital input" in name:
            return INPUT, value
    return None


def _source_key(note: Notification) -> str:
    for name in ("InputToken", "VideoSourceConfigurationToken", "VideoSourceToken", "Source", "Rule"):
        if name in note.source:
            return note.source[name]
    return ",".join(f"{k}={v}" for k, v in sorted(note.source.items()))


@dataclass
class EventMapper:
    """Notifications of one camera -> DeviceEvents. Keeps the last stored state per (kind, source) so the
    "Initialized" burst a camera sends on every new subscription does not repeat what we already know."""

    device_id: str
    points: Mapping[str, str] = field(default_factory=dict)
    known: dict[tuple[str, str, str], bool] = field(default_factory=dict)

    async def event(self, note: Notification) -> DeviceEvent | None:
        """The DeviceEvent to store for ``note``; None when there is nothing new. ValueError if unusable."""
        kind, value = classify(note.topic), state_value(note.data)
        if kind is None:
            vendor = await vendor_kind(note)
            if vendor is None:
                return None
            kind, value = vendor[0], vendor[1] if vendor[1] is not None else value
        if value is None:
            raise ValueError(f"{note.topic}: no state in data {dict(note.data)!r}")
        source = _source_key(note)
        rule = note.source.get("Rule", "")
        key = (kind, source, rule)
        previous = self.known.get(key)
        if note.operation == "Initialized" and (previous is value or (previous is None and not value)):
            self.known[key] = value
            return None  # a state report, not a change: nothing new to store
        self.known[key] = value
        when = note.utc_time
        label = _SUMMARY[(kind, value)]
        where = note.source.get("InputToken") or rule or source
        payload: dict[str, Any] = {
            "topic": note.topic, "operation": note.operation, "value": value,
            "source": dict(note.source), "data": dict(note.data),
        }
        stamp = when.isoformat() if when else ""
        return DeviceEvent(
            source=self.device_id,
            kind=kind,
            state=EventState.ACTIVE if value else EventState.CLEARED,
            priority=_PRIORITY[kind],
            summary=f"{label}（{where}）" if where else label,
            point=self.points.get(source) or self.points.get(kind),
            device_time=when,
            raw=note.raw,
            payload=payload,
            # PullPoint delivers a "Changed" message once, and cameras stamp whole seconds: two real changes
            # in one second would share any key made from the message, so changes carry none. Only the state
            # reports of a new subscription ("Initialized") repeat, and they are keyed so a report the
            # camera sends twice is stored once.
            dedup_key=f"onvif:{self.device_id}:{bare_topic(note.topic)}:{source}:{rule}:{stamp}:{int(value)}"
            if when and note.operation == "Initialized" else None,
        )


def as_parser_message(note: Notification) -> Any:
    """The zeep-like shape onvif-parsers reads (msg.Topic._value_1, msg.Message._value_1.Data ...)."""

    def items(values: Mapping[str, str]) -> SimpleNamespace:
        return SimpleNamespace(SimpleItem=[SimpleNamespace(Name=k, Value=v) for k, v in values.items()])

    message = SimpleNamespace(Source=items(note.source), Data=items(note.data),
                              _attr_1={"PropertyOperation": note.operation})
    return SimpleNamespace(Topic=SimpleNamespace(_value_1=note.topic),
                           Message=SimpleNamespace(_value_1=message))
