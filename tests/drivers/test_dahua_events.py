"""Dahua records → DeviceEvents with GatePayload; HTTP upload bodies; settings validation."""

from __future__ import annotations

import gzip
import json
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from drivers.base import (
    Direction,
    EventState,
    GatePayload,
    GateResult,
    Method,
    Priority,
    SubjectKind,
    create_driver,
    settings_model,
)
from drivers.gates.dahua.driver import DahuaDriver, Settings
from drivers.gates.dahua.events import MapOptions, list_kind, map_record
from drivers.gates.dahua.records import Record, parse_event_text
from drivers.gates.dahua.stream import MultipartSplitter, Part
from drivers.gates.dahua.upload import UploadError, decode_body, parse_upload

FIXTURES = Path(__file__).parent / "fixtures" / "dahua"
OPTS = MapOptions("dh-1")


def access(**data: Any) -> Record:
    base = {"UserID": "1001", "CardNo": "A00003E9", "CardName": "张伟", "Door": 0, "Method": 1, "Status": 1,
            "Type": "Entry", "UTC": 1763784000, "ErrorCode": 0, "ReaderID": "1"}
    return Record("AccessControl", "Pulse", 0, {**base, **data}, b"raw")


def gate(record: Record, opts: MapOptions = OPTS) -> tuple[str, GatePayload]:
    [event] = map_record(record, opts)
    return event.kind, GatePayload.from_payload(event.payload)


def test_fixture_stream_to_events() -> None:
    splitter = MultipartSplitter("myboundary")
    items = splitter.feed((FIXTURES / "attach_stream.bin").read_bytes())
    records = [r for i in items if isinstance(i, Part) for r in parse_event_text(i.body).records]
    events = [e for r in records for e in map_record(r, OPTS)]
    assert [(e.kind, e.state) for e in events] == [
        ("gate.pass", EventState.INFO), ("gate.denied", EventState.INFO), ("gate.pass", EventState.INFO),
        ("gate.alarm.held_open", EventState.ACTIVE)]
    first, denied, car, held = (GatePayload.from_payload(e.payload) for e in events)
    assert (first.name, first.card, first.subject_id, first.method, first.direction, first.door) == (
        "张伟", "A00003E9", "1001", Method.CARD, Direction.IN, "0")
    assert (denied.result, denied.reason, denied.method, denied.direction) == (
        GateResult.DENIED, "expired", Method.FACE, Direction.OUT)
    assert denied.code == "dahua:AccessControl/ErrorCode=20"
    assert (car.plate, car.list_name, car.subject_kind, car.direction, car.door) == (
        "粤BD12345", "allow", SubjectKind.VEHICLE, Direction.IN, "1")
    assert car.extra["PlateColor"] == "Green"
    assert events[2].device_time == datetime(2025, 11, 22, 4, 0, 10, 345000, tzinfo=UTC)
    assert (held.result, held.reason, held.door) == (GateResult.ALARM, "held_open", "1")
    assert events[3].priority is Priority.SECURITY
    assert all(e.raw for e in events) and len({e.dedup_key for e in events}) == 4


def test_access_granted_and_denied_fields() -> None:
    kind, payload = gate(access())
    assert kind == "gate.pass" and payload.result is GateResult.GRANTED
    assert payload.subject_kind is SubjectKind.PERSON and payload.code == "dahua:AccessControl/Method=1"
    kind, payload = gate(access(Status=0, ErrorCode=0x12, Method=15))
    assert kind == "gate.denied" and (payload.reason, payload.method) == ("no_permission", Method.FACE)
    _, stranger = gate(access(Status=0, ErrorCode=0, UserID="", CardNo="", CardName="", Method=15))
    assert (stranger.subject_kind, stranger.reason, stranger.subject_id) == (
        SubjectKind.UNKNOWN, "no_such_person", None)
    _, visitor = gate(access(CardType=2))
    assert visitor.subject_kind is SubjectKind.VISITOR
    _, blocked = gate(access(Status=0, CardType=4))
    assert blocked.reason == "blocklist"
    _, odd = gate(access(Method=99, Status="1"))
    assert odd.method is Method.OTHER and odd.result is GateResult.GRANTED


def test_direction_from_type_or_door_mapping() -> None:
    opts = MapOptions("dh-1", door_direction={"1": Direction.OUT, "reader:7": Direction.IN})
    assert gate(access(Type=None, Door=1), opts)[1].direction is Direction.OUT
    assert gate(access(Type=None, Door=5, ReaderID="7"), opts)[1].direction is Direction.IN
    assert gate(access(Type=None, Door=5), opts)[1].direction is None
    assert gate(access(Type="Exit", Door=1), opts)[1].direction is Direction.OUT


def test_utc_field_holding_local_time() -> None:
    utc = 1763784000  # 2025-11-22 04:00:00 if really UTC
    [plain] = map_record(access(UTC=utc), OPTS)
    assert plain.device_time == datetime(2025, 11, 22, 4, 0, tzinfo=UTC)
    local = MapOptions("dh-1", utc_field_is_local=True, timezone="Asia/Shanghai")
    [shifted] = map_record(access(UTC=utc), local)
    assert shifted.device_time == datetime(2025, 11, 21, 20, 0, tzinfo=UTC)  # 04:00 Beijing = 20:00 UTC
    for bad in (None, "soon", -5, float("nan"), 10**20):
        [event] = map_record(access(UTC=bad), OPTS)
        assert event.device_time is None


def test_dedup_key_shape_and_no_key_without_time() -> None:
    [event] = map_record(access(), OPTS)
    assert event.dedup_key == "dahua:dh-1:1763784000:1001:AccessControl:0"
    [denied] = map_record(access(Status=0), OPTS)
    assert denied.dedup_key != event.dedup_key  # a refusal and a pass in the same second are both kept
    [timeless] = map_record(access(UTC=None), OPTS)
    assert timeless.dedup_key is None


def traffic(car: dict[str, Any], **data: Any) -> Record:
    return Record("TrafficJunction", "Pulse", 0, {"TrafficCar": car, "UTC": 1763784010, **data}, b"raw")


@pytest.mark.parametrize(("plate", "expected"), [
    ("京A12345", "京A12345"), ("unknown", None), ("Unknow", None), ("", None), ("无车牌", None),
    ("粤BD12345", "粤BD12345"),
])
def test_plates(plate: str, expected: str | None) -> None:
    _, payload = gate(traffic({"PlateNumber": plate, "Lane": 2}))
    assert payload.plate == expected and payload.subject_id == expected and payload.method is Method.PLATE


def test_plate_from_object_text_when_traffic_car_is_empty() -> None:
    _, payload = gate(traffic({}, Object={"ObjectType": "Plate", "Text": "沪B7G2K9"}))
    assert payload.plate == "沪B7G2K9"


@pytest.mark.parametrize(("name", "kind"), [
    ("TrafficRedList", "allow"), ("whiteList", "allow"), ("allowList", "allow"),
    ("TrafficBlackList", "block"), ("blackList", "block"), ("blockList", "block"),
    ("otherList", "other"), ("VIP", "other"), (None, None), ("", None),
])
def test_list_names_normalised(name: str | None, kind: str | None) -> None:
    assert list_kind(name) == kind


def test_blocklisted_plate_is_denied_and_raises_an_alarm() -> None:
    events = map_record(traffic({"PlateNumber": "鲁C4X0Z1", "TrafficListName": "TrafficBlackList"}), OPTS)
    assert [(e.kind, e.priority, e.state) for e in events] == [
        ("gate.denied", Priority.INFO, EventState.INFO),
        ("gate.alarm.blocklist", Priority.SECURITY, EventState.ACTIVE)]
    assert {GatePayload.from_payload(e.payload).reason for e in events} == {"blocklist"}
    assert len({e.dedup_key for e in events}) == 2


def test_door_and_alarm_codes() -> None:
    opened = Record("DoorStatus", "Pulse", 1, {"Status": "Open", "UTC": 5})
    kind, payload = gate(opened)
    assert kind == "gate.door" and (payload.result, payload.reason, payload.door) == (
        GateResult.INFO, "opened", "1")
    start = Record("BreakIn", "Start", 1, {"Name": "Door2", "UTC": 6})
    stop = Record("BreakIn", "Stop", 1, {"Name": "Door2", "UTC": 6})
    [a], [b] = map_record(start, OPTS), map_record(stop, OPTS)
    assert (a.kind, a.state, b.state) == ("gate.alarm.forced", EventState.ACTIVE, EventState.CLEARED)
    assert a.dedup_key != b.dedup_key
    assert map_record(Record("VideoMotion", "Start", 0, {}), OPTS) == []


def test_points_from_the_site_file() -> None:
    opts = MapOptions("dh-1", points={"0": "东门-闸机1"})
    [event] = map_record(access(), opts)
    assert event.point == "东门-闸机1"


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["AccessControl", "TrafficJunction", "DoorStatus", "BreakIn", "DoorNotClosed"]),
       st.dictionaries(st.sampled_from(["UserID", "CardNo", "CardName", "Door", "Method", "Status", "Type",
                                        "UTC", "UTCMS", "ErrorCode", "CardType", "TrafficCar", "Lane", "Name",
                                        "Object", "ReaderID"]),
                       st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10)
                       | st.lists(st.text(max_size=5), max_size=3)
                       | st.dictionaries(st.text(max_size=12), st.text(max_size=8) | st.integers(),
                                         max_size=4),
                       max_size=10),
       st.sampled_from(["Pulse", "Start", "Stop", "Weird"]))
def test_random_field_values_never_raise(code: str, data: dict[str, Any], action: str) -> None:
    for event in map_record(Record(code, action, 0, data, b"raw"), OPTS):
        json.dumps(event.payload)  # storable
        GatePayload.from_payload(event.payload)


# -- uploads ------------------------------------------------------------------------------------------
def test_upload_fixture() -> None:
    parsed = parse_upload((FIXTURES / "upload_events.json").read_bytes())
    codes = [r.code for r in parsed.records]
    assert codes == ["AccessControl", "AccessControl", "TrafficJunction", "BreakIn"]
    events = [e for r in parsed.records for e in map_record(r, OPTS)]
    assert [e.kind for e in events] == ["gate.pass", "gate.denied", "gate.denied", "gate.alarm.blocklist",
                                        "gate.alarm.forced"]
    assert GatePayload.from_payload(events[1].payload).reason == "no_permission"


def test_upload_variants() -> None:
    single = json.dumps({"Code": "DoorStatus", "Action": "Pulse", "Index": 0, "Data": {"Status": "Open"}})
    assert parse_upload(single.encode()).records[0].code == "DoorStatus"
    text = b'Code=AccessControl;action=Pulse;index=0;data={\n"Status":1,"UTC":3\n}'
    assert parse_upload(text).records[0].data == {"Status": 1, "UTC": 3}
    mixed = {"Events": [{"Code": "DoorStatus", "Data": {}}, 5, {"Code": ""}, {"Code": "X", "Data": [1]}]}
    parsed = parse_upload(json.dumps(mixed).encode())
    assert len(parsed.records) == 1 and len(parsed.errors) == 3
    for bad in (b"", b"{not json", b'{"Foo": 1}', b"42"):
        with pytest.raises(UploadError):
            parse_upload(bad)


def test_compressed_uploads() -> None:
    body = (FIXTURES / "upload_events.json").read_bytes()
    assert decode_body(gzip.compress(body), "gzip") == body
    assert decode_body(zlib.compress(body), "deflate") == body
    raw = zlib.compressobj(wbits=-15)
    assert decode_body(raw.compress(body) + raw.flush(), "deflate") == body
    assert decode_body(body, "deflate") == body  # mislabelled plain JSON
    with pytest.raises(UploadError):
        decode_body(b"\x00\x01garbage", "gzip")
    with pytest.raises(UploadError):
        decode_body(body, "br")
    with pytest.raises(UploadError):
        decode_body(gzip.compress(b"{" + b" " * (20 * 1024 * 1024) + b"}"), "gzip")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_upload_garbage_raises_only_upload_error(data: bytes) -> None:
    try:
        parsed = parse_upload(data)
    except UploadError:
        return
    assert isinstance(parsed.records, tuple)


def test_settings_and_registry() -> None:
    assert settings_model("gates.dahua") is Settings
    assert isinstance(create_driver("gates.dahua", Settings()), DahuaDriver)
    defaults = Settings()
    assert (defaults.mode, defaults.heartbeat_s, defaults.listen_port) == ("pull", 5, 8088)
    assert Settings(door_direction={"1": "out"}).door_direction == {"1": Direction.OUT}
    for bad in ({"timezone": "Mars/Olympus"}, {"codes": ["Access Control"]}, {"mode": "poll"},
                {"heartbeat_s": 0}, {"surprise": 1}):
        with pytest.raises(ValidationError):
            Settings(**bad)
