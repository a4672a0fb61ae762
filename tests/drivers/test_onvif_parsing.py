"""Pure ONVIF pieces: notification parsing, topic kinds, event mapping, error kinds, CLI addresses."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

import aiohttp
import pytest
import zeep.exceptions
from hypothesis import given, settings
from hypothesis import strategies as st

from console.cli.onvif import _Usage, split_address
from drivers.base import EventState, Priority
from drivers.cameras.onvif.errors import OnvifError, classify, wrap
from drivers.cameras.onvif.events import (
    INPUT,
    MOTION,
    TAMPER,
    EventMapper,
    Notification,
    bare_topic,
    parse_notifications,
    state_value,
)
from drivers.cameras.onvif.events import classify as classify_topic
from drivers.cameras.onvif.testdevice import TOPICS, envelope, parse_duration
from drivers.cameras.onvif.testdevice import Notification as DeviceNotification

# XML-safe text (no control characters, no surrogates), as a camera would put in a SimpleItem.
xml_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=20)
names = st.text(st.characters(whitelist_categories=("L", "N")), min_size=1, max_size=12)


def reply(*notes: DeviceNotification) -> bytes:
    body = "<tev:PullMessagesResponse>" + "".join(n.xml() for n in notes) + "</tev:PullMessagesResponse>"
    return envelope(body).encode()


def note(topic: str, data: dict[str, str], source: dict[str, str] | None = None, operation: str = "Changed",
         when: datetime | None = None) -> Notification:
    return Notification(topic, operation, when or datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
                        source or {}, data, b"<raw/>")


def mapped(mapper: EventMapper, *notes: Notification) -> list[tuple[str, EventState] | None]:
    async def run() -> list[tuple[str, EventState] | None]:
        out: list[tuple[str, EventState] | None] = []
        for n in notes:
            event = await mapper.event(n)
            out.append(None if event is None else (event.kind, event.state))
        return out

    return asyncio.run(run())


@given(topic=names, source=st.dictionaries(names, xml_text, max_size=4),
       data=st.dictionaries(names, xml_text, max_size=4),
       operation=st.sampled_from(["Changed", "Initialized"]))
@settings(max_examples=60, deadline=None)
def test_notifications_round_trip(topic: str, source: dict[str, str], data: dict[str, str],
                                  operation: str) -> None:
    when = datetime(2026, 5, 6, 7, 8, 9, tzinfo=UTC)
    sent = DeviceNotification(f"tns1:Rule/{topic}", source, data, operation=operation, when=when)
    notes, problems = parse_notifications(reply(sent, sent))
    assert problems == [] and len(notes) == 2
    got = notes[0]
    assert (got.topic, got.operation, got.utc_time) == (f"tns1:Rule/{topic}", operation, when)
    assert dict(got.source) == source and dict(got.data) == data
    assert got.raw.startswith(b"<wsnt:NotificationMessage")


@given(st.binary(max_size=300))
@settings(max_examples=100, deadline=None)
def test_garbage_is_a_value_error_or_nothing(data: bytes) -> None:
    try:
        notes, _ = parse_notifications(data)
    except ValueError:
        return
    assert notes == [] or all(n.topic for n in notes)


@given(st.data())
@settings(max_examples=60, deadline=None)
def test_any_cut_or_corruption_of_a_reply_never_crashes(data: st.DataObject) -> None:
    full = reply(*(DeviceNotification(TOPICS[k][0], dict(TOPICS[k][2]), {TOPICS[k][1]: "true"})
                   for k in ("motion", "tamper", "input")))
    cut = data.draw(st.integers(0, len(full)))
    flip = data.draw(st.integers(0, len(full) - 1))
    broken = bytearray(full[:cut])
    if broken and flip < len(broken):
        broken[flip] = data.draw(st.integers(0, 255))
    try:
        notes, problems = parse_notifications(bytes(broken))
    except ValueError:
        return
    mapper = EventMapper("cam")
    for n in notes:
        with contextlib.suppress(ValueError):  # no readable state: the driver logs and skips it
            mapped(mapper, n)


def test_message_without_tt_message_is_a_problem_not_a_failure() -> None:
    good = DeviceNotification(TOPICS["motion"][0], {}, {"IsMotion": "true"})
    bad = "<wsnt:NotificationMessage><wsnt:Topic>tns1:X</wsnt:Topic></wsnt:NotificationMessage>"
    xml = envelope(f"<tev:PullMessagesResponse>{bad}{good.xml()}</tev:PullMessagesResponse>").encode()
    notes, problems = parse_notifications(xml)
    assert [n.topic for n in notes] == [TOPICS["motion"][0]]
    assert len(problems) == 1 and "without a tt:Message" in problems[0].reason


@pytest.mark.parametrize(("topic", "kind"), [
    ("tns1:RuleEngine/CellMotionDetector/Motion", MOTION),
    ("tns1:VideoSource/MotionAlarm", MOTION),
    ("tns1:RuleEngine/TamperDetector/Tamper", TAMPER),
    ("tns1:VideoSource/GlobalSceneChange/ImagingService", TAMPER),
    ("tns1:Device/Trigger/DigitalInput", INPUT),
    ("tns1:Device/Trigger/tnshik:AlarmIn", INPUT),
    ("ns7:Device/Trigger/DigitalInput/", INPUT),
    ("tns1:Device/Trigger/Relay", None),
    ("tns1:Monitoring/ProcessorUsage", None),
])
def test_topic_classification(topic: str, kind: str | None) -> None:
    assert classify_topic(topic) == kind


@given(st.lists(names, min_size=1, max_size=5), st.lists(st.sampled_from(["", "tns1:", "acme:"]), min_size=5,
                                                            max_size=5))
def test_bare_topic_ignores_prefixes(parts: list[str], prefixes: list[str]) -> None:
    topic = "/".join(p + part for p, part in zip(prefixes, parts, strict=False))
    assert bare_topic(topic) == "/".join(parts)


def test_state_values() -> None:
    assert state_value({"IsMotion": "true"}) is True
    assert state_value({"LogicalState": "0"}) is False
    assert state_value({"Other": "x", "State": "false"}) is False
    assert state_value({"Foo": "ON"}) is True
    assert state_value({"Foo": "maybe"}) is None


def test_mapper_states_priorities_and_initialized_repeats() -> None:
    mapper = EventMapper("cam-1", points={"DI_1": "north-door"})
    motion, tamper, di = (TOPICS[k][0] for k in ("motion", "tamper", "input"))
    results = mapped(
        mapper,
        note(motion, {"IsMotion": "false"}, operation="Initialized"),  # idle at subscribe: nothing to store
        note(tamper, {"IsTamper": "true"}, operation="Initialized"),  # already tampered: store it once
        note(tamper, {"IsTamper": "true"}, operation="Initialized"),  # re-subscribed: same state, skip
        note(di, {"LogicalState": "true"}, {"InputToken": "DI_1"}),
        note(motion, {"IsMotion": "true"}),
        note("tns1:Monitoring/ProcessorUsage", {"Value": "12"}),
    )
    assert results == [None, (TAMPER, EventState.ACTIVE), None, (INPUT, EventState.ACTIVE),
                       (MOTION, EventState.ACTIVE), None]

    async def one() -> tuple[Priority, str | None, str | None]:
        e = await mapper.event(note(di, {"LogicalState": "false"}, {"InputToken": "DI_1"}))
        assert e is not None
        return e.priority, e.point, e.dedup_key

    priority, point, key = asyncio.run(one())
    assert priority is Priority.SECURITY and point == "north-door"
    assert key is None  # a change is delivered once; two changes in one stamped second must both be kept

    async def report() -> str | None:
        state = note(di, {"LogicalState": "true"}, {"InputToken": "DI_1"}, operation="Initialized")
        e = await mapper.event(state)
        assert e is not None
        return e.dedup_key

    expected = "onvif:cam-1:Device/Trigger/DigitalInput:DI_1::2026-01-02T03:04:05+00:00:1"
    assert asyncio.run(report()) == expected


def test_vendor_topics_go_through_onvif_parsers() -> None:
    mapper = EventMapper("cam")
    ajax = note("tns1:RuleEngine/tnsajax:MotionDetector/Detection", {"Detected": "true"},
                {"VideoSourceToken": "vs", "Rule": "r"})
    assert mapped(mapper, ajax) == [(MOTION, EventState.ACTIVE)]


def test_unreadable_state_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="no state"):
        mapped(EventMapper("cam"), note(TOPICS["motion"][0], {"IsMotion": "perhaps"}))


@pytest.mark.parametrize(("exc", "kind"), [
    (zeep.exceptions.Fault("Sender not Authorized", subcodes=["ter:NotAuthorized"]), "auth"),
    (zeep.exceptions.Fault("no such preset"), "fault"),
    (zeep.exceptions.Fault("x", subcodes=["ter:ActionNotSupported"]), "unsupported"),
    (zeep.exceptions.TransportError("x", status_code=401), "auth"),
    (zeep.exceptions.TransportError("x", status_code=500), "fault"),
    (zeep.exceptions.TransportError("Server returned response (200) with invalid XML: x", status_code=200),
     "malformed"),
    (zeep.exceptions.XMLSyntaxError("bad"), "malformed"),
    (ValueError("Invalid tag name 'ptz:PTZStatus'"), "malformed"),
    (TimeoutError(), "timeout"),
    (ConnectionRefusedError(111, "refused"), "unreachable"),
    (aiohttp.ServerDisconnectedError(), "unreachable"),
])
def test_exception_kinds(exc: Exception, kind: str) -> None:
    assert classify(exc)[0] == kind
    error = wrap(exc, "PTZ GetStatus", "10.0.0.5:80")
    assert isinstance(error, OnvifError) and error.kind == kind
    assert str(error).startswith("PTZ GetStatus: ") and "\n" not in str(error)


def test_onvif_library_errors_are_classified_by_their_cause() -> None:
    from onvif.exceptions import ONVIFError

    try:
        try:
            raise ValueError("Invalid tag name 'ptz:PTZStatus'")
        except ValueError as inner:
            raise ONVIFError(inner) from inner
    except ONVIFError as outer:
        assert classify(outer) == ("malformed", "Invalid tag name 'ptz:PTZStatus'")
    assert classify(ONVIFError("Device doesn`t support service: ptz with namespace x"))[0] == "unsupported"


@given(host=st.from_regex(r"[a-z][a-z0-9.-]{0,20}", fullmatch=True), port=st.integers(1, 65535))
def test_addresses_round_trip(host: str, port: int) -> None:
    assert split_address(f"{host}:{port}") == (host, port)
    assert split_address(host) == (host, 80)
    assert split_address(f"[fe80::{port % 9999:x}]:{port}") == (f"fe80::{port % 9999:x}", port)


@pytest.mark.parametrize("bad", ["", ":80", "host:0", "host:65536", "host:http", "[::1]:x"])
def test_bad_addresses(bad: str) -> None:
    with pytest.raises(_Usage):
        split_address(bad)


@given(st.integers(0, 99), st.integers(0, 59), st.integers(0, 59))
def test_durations(h: int, m: int, s: int) -> None:
    assert parse_duration(f"PT{h}H{m}M{s}S", -1) == h * 3600 + m * 60 + s
    assert parse_duration(f"PT{s}.5S", -1) == s + 0.5


@pytest.mark.parametrize("bad", [None, "", "P", "PT", "5S", "PTxS", "garbage"])
def test_bad_durations_fall_back(bad: str | None) -> None:
    assert parse_duration(bad, 7.0) == 7.0


def test_malformed_reply_keeps_its_bytes_for_the_log() -> None:
    exc = zeep.exceptions.TransportError("Server returned response (200) with invalid XML: x",
                                         status_code=200, content=b"\x00<<<" + b"x" * 500)
    error = wrap(exc, "PullPoint PullMessages", "cam:80")
    assert error.kind == "malformed" and error.raw == (b"\x00<<<" + b"x" * 500)[:200]
