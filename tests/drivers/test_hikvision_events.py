"""Decoding recorded Hikvision payloads: ACS JSON/XML, ANPR XML, keep-alives, AcsEvent pages, code pairs."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.base import GATE_DENIED, GATE_DOOR, GATE_PASS, EventState, GatePayload, Priority
from drivers.gates.hikvision.assembly import PictureAssembler
from drivers.gates.hikvision.backfill import BackfillError, parse_page, search_body, search_pages
from drivers.gates.hikvision.codes import CODES, lookup
from drivers.gates.hikvision.events import (
    DecodeContext,
    Decoded,
    DecodeError,
    Ignored,
    decode_acs_record,
    decode_body,
    device_text,
    normalise_list,
    normalise_plate,
    parse_time,
)

FIXTURES = Path(__file__).parent / "fixtures" / "hikvision"
CST = timezone(timedelta(hours=8))
CTX = DecodeContext("gate-east", CST, {"1": "in", "2": "out"}, {"1": "P-GATE-E-IN"})


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def decode(name: str) -> Decoded:
    ctype = "application/json" if name.endswith(".json") else "application/xml"
    result = decode_body(ctype, fixture(name), CTX)
    assert isinstance(result, Decoded), result
    return result


def gate(decoded: Decoded, index: int = 0) -> GatePayload:
    return GatePayload.from_payload(decoded.drafts[index].event("gate-east", decoded.raw).payload)


def test_face_granted() -> None:
    d = decode("acs_face_granted.json")
    draft = d.drafts[0]
    assert (draft.kind, draft.state, draft.priority) == (GATE_PASS, EventState.INFO, Priority.INFO)
    assert draft.dedup_key == "hik:gate-east:48213"
    assert draft.device_time == datetime(2026, 3, 1, 23, 41, 9, tzinfo=UTC)
    assert d.device_offset == timedelta(hours=8) and d.pictures_expected == 1 and d.picture_kind == "face"
    g = gate(d)
    assert (g.result.value, g.method.value if g.method else None) == ("granted", "face")
    assert (g.subject_kind.value, g.subject_id, g.name) == ("person", "20230117", "张伟")
    assert (g.door, g.direction.value if g.direction else None) == ("1", "in")
    assert g.code == "hik:5/0x4b" and g.extra["serialNo"] == 48213
    assert draft.point == "P-GATE-E-IN"
    assert "张伟" in draft.summary and "人脸认证通过" in draft.summary


def test_card_denied_no_such_card() -> None:
    d = decode("acs_card_no_such_card.json")
    g = gate(d)
    assert d.drafts[0].kind == GATE_DENIED and d.drafts[0].priority is Priority.INFO
    assert (g.result.value, g.reason, g.card, g.door) == ("denied", "no_such_card", "2865419931", "2")
    assert g.direction is not None and g.direction.value == "out"
    assert d.pictures_expected == 0


def test_stranger_face_failed_is_kept_unidentified() -> None:
    d = decode("acs_face_stranger.json")
    g = gate(d)
    assert (g.result.value, g.reason, g.subject_kind.value, g.subject_id) == ("denied", "face_mismatch",
                                                                            "unknown", None)
    assert g.extra["currTemperature"] == 36.4


def test_fire_relay_release_and_restore() -> None:
    on, off = decode("acs_fire_relay_on.json").drafts[0], decode("acs_fire_relay_off.json").drafts[0]
    assert on.kind == off.kind == "gate.alarm.fire_release"
    assert (on.state, off.state) == (EventState.ACTIVE, EventState.CLEARED)
    assert on.priority is Priority.SECURITY


def test_major_1_tamper_and_time_without_offset_uses_the_setting() -> None:
    d = decode("acs_tamper_major1.json")
    assert d.drafts[0].kind == "gate.alarm.tamper" and d.drafts[0].state is EventState.ACTIVE
    assert d.drafts[0].device_time == datetime(2026, 3, 2, 6, 36, tzinfo=UTC)  # 14:36 CST
    assert d.device_offset is None


def test_acs_event_in_xml_with_namespace() -> None:
    d = decode("acs_event_ns.xml")
    draft = d.drafts[0]
    assert draft.kind == "gate.alarm.tailgating" and draft.dedup_key == "hik:gate-east:7781"
    assert gate(d).door == "2"


def test_anpr_allowlist_with_namespace() -> None:
    d = decode("anpr_allowlist_ns.xml")
    assert len(d.drafts) == 1 and d.pictures_expected == 2 and d.picture_kind == "plate"
    draft = d.drafts[0]
    g = gate(d)
    assert draft.kind == GATE_PASS and g.result.value == "granted"
    assert (g.plate, g.list_name, g.subject_kind.value, g.method.value if g.method else None) == (
        "沪C88888", "allow", "vehicle", "plate")
    assert g.direction is not None and g.direction.value == "in"
    assert draft.dedup_key == "hik:gate-east:5d1a9f62-8b1e-4c7c-9e0b-2f3c1a4d5e60"
    assert draft.device_time == datetime(2026, 3, 1, 23, 55, 18, 412000, tzinfo=UTC)


def test_anpr_whitelist_green_plate_without_namespace() -> None:
    d = decode("anpr_whitelist_green_nons.xml")
    g = gate(d)
    assert (g.plate, g.list_name) == ("粤BD12345", "allow") and len(g.plate or "") == 8
    assert g.direction is not None and g.direction.value == "out"  # reverse
    assert d.drafts[0].device_time == datetime(2026, 3, 2, 10, 10, 2, tzinfo=UTC)


def test_anpr_blacklist_is_also_a_blocklist_alarm() -> None:
    d = decode("anpr_blacklist.xml")
    kinds = [(x.kind, x.state, x.priority) for x in d.drafts]
    assert kinds == [(GATE_DENIED, EventState.INFO, Priority.INFO),
                     ("gate.alarm.blocklist", EventState.ACTIVE, Priority.SECURITY)]
    assert gate(d).plate == "京A12345" and gate(d).list_name == "block" and gate(d, 1).reason == "blocklist"
    assert len({x.dedup_key for x in d.drafts}) == 2


def test_anpr_unknown_plate() -> None:
    d = decode("anpr_unknown_plate.xml")
    g = gate(d)
    assert (g.plate, g.subject_kind.value, g.list_name, g.result.value) == (None, "unknown", "other", "info")


def test_keepalives_are_ignored() -> None:
    assert decode_body("application/xml", fixture("videoloss_keepalive.xml"), CTX) == Ignored("keepalive")
    assert decode_body("application/json", b'{"eventType": "heartBeat"}', CTX) == Ignored("keepalive")
    beat = json.dumps({"dateTime": "2026-03-02T10:00:00+08:00", "eventType": "AccessControllerEvent",
                       "AccessControllerEvent": {"majorEventType": 5, "subEventType": 0x83}}).encode()
    assert decode_body("application/json", beat, CTX) == Ignored("keepalive")


@pytest.mark.parametrize("body", [b"", b"{", b"[1,2]", b"<a>", b"<EventNotificationAlert/>x",
                                  b'<!DOCTYPE x [<!ENTITY a "b">]><EventNotificationAlert/>', b"\xff\xfe",
                                  b'{"AccessControllerEvent": {"majorEventType": "x", "subEventType": 1}}',
                                  b'{"dateTime": "yesterday", "AccessControllerEvent": '
                                  b'{"majorEventType": 5, "subEventType": 1}}'])
def test_bad_bodies_raise_decode_error(body: bytes) -> None:
    with pytest.raises(DecodeError):
        decode_body("", body, CTX)


def test_codes_are_keyed_by_major_and_minor() -> None:
    # The same minor number means different things under different majors.
    assert lookup(5, 0x404).kind != lookup(1, 0x404).kind
    assert lookup(1, 0x404).kind == "gate.alarm.tamper"
    assert lookup(3, 0x400).kind == GATE_DOOR
    assert lookup(5, 0x01).kind == GATE_PASS and lookup(2, 0x01).kind == "gate.other"
    for (major, minor), code in CODES.items():
        assert major in (1, 2, 3, 5) and minor >= 0
        if code.kind.startswith("gate.alarm."):
            assert code.priority is Priority.SECURITY and code.state is not EventState.INFO
        else:
            assert code.priority is Priority.INFO
    expected = {0x1B: "forced", 0x1C: "held_open", 0x71: "blocklist", 0x85: "tailgating", 0x86: "reverse",
                0x87: "forced", 0x88: "climb", 0x34: "fire_release", 0x35: "fire_release"}
    for minor, name in expected.items():
        assert CODES[(5, minor)].kind == f"gate.alarm.{name}"
    reasons = {CODES[(5, m)].reason for m in (0x06, 0x07, 0x08, 0x09, 0x0A, 0x4C)}
    assert reasons == {"no_permission", "invalid_time", "expired", "no_such_card", "anti_passback",
                       "face_mismatch"}


def test_time_conversion() -> None:
    assert parse_time("2026-07-01T08:00:00+08:00", UTC) == (datetime(2026, 7, 1, 0, 0, tzinfo=UTC),
                                                            timedelta(hours=8))
    assert parse_time("2026-07-01T08:00:00Z", CST)[0] == datetime(2026, 7, 1, 8, tzinfo=UTC)
    assert parse_time("2026-07-01 08:00:00", CST)[0] == datetime(2026, 7, 1, 0, tzinfo=UTC)
    # A device in a DST zone reports its offset; the offset decides, not our setting.
    assert parse_time("2026-03-29T03:30:00+02:00", CST)[0] == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    midnight = datetime(2026, 7, 1, 0, 0, tzinfo=UTC)
    assert device_text(midnight, timedelta(hours=8)) == "2026-07-01T08:00:00+08:00"
    assert device_text(midnight, timedelta(hours=-5, minutes=-30)) == "2026-06-30T18:30:00-05:30"


def test_plate_and_list_normalisation() -> None:
    assert normalise_plate("粤B D12345") == "粤BD12345"
    assert normalise_plate(" 京a·12345 ") == "京A12345"
    assert normalise_plate("unknown") is None and normalise_plate("") is None
    assert normalise_plate(None) is None
    names = ("allowList", "whiteList", "blockList", "blackList", "otherList", "VIP", None)
    assert [normalise_list(x) for x in names] == ["allow", "allow", "block", "block", "other", "other", None]


def test_acs_event_page_and_record_share_the_live_key() -> None:
    page = parse_page(fixture("acsevent_page_more.json"))
    assert page.status == "MORE" and page.total == 3 and len(page.infos) == 2
    rows = [decode_acs_record(info, CTX) for info in page.infos]
    live = decode("acs_face_granted.json").drafts[0]
    assert rows[0] is not None and rows[0].dedup_key == live.dedup_key
    assert rows[0].device_time == live.device_time and rows[0].kind == live.kind
    assert rows[1] is not None and rows[1].gate.reason == "no_such_card"
    assert parse_page(fixture("acsevent_no_match.json")).status == "NO MATCH"
    with pytest.raises(BackfillError) as info:
        parse_page(fixture("acsevent_not_support.json"))
    assert info.value.unsupported


def test_search_body_uses_the_device_offset() -> None:
    start, end = datetime(2026, 3, 1, 16, 0, tzinfo=UTC), datetime(2026, 3, 1, 17, 0, tzinfo=UTC)
    body = search_body("id", 30, start, end, timedelta(hours=8))["AcsEventCond"]
    assert body["startTime"] == "2026-03-02T00:00:00+08:00" and body["endTime"] == "2026-03-02T01:00:00+08:00"
    assert (body["searchResultPosition"], body["maxResults"], body["major"], body["minor"]) == (30, 30, 0, 0)


def test_search_pages_follows_more_and_stops() -> None:
    rows = [{"major": 5, "minor": 1, "time": "2026-03-02T07:00:00+08:00", "serialNo": i} for i in range(65)]
    seen_positions: list[int] = []

    async def post(path: str, body: bytes) -> tuple[int, bytes]:
        cond = json.loads(body)["AcsEventCond"]
        pos = cond["searchResultPosition"]
        seen_positions.append(pos)
        chunk = rows[pos : pos + 30]
        status = "MORE" if pos + len(chunk) < len(rows) else "OK"
        return 200, json.dumps({"AcsEvent": {"responseStatusStrg": status, "InfoList": chunk}}).encode()

    async def collect() -> list[Any]:
        start = datetime(2026, 3, 1, tzinfo=UTC)
        return [r async for page in search_pages(post, start, start, timedelta(hours=8)) for r in page]

    got = asyncio.run(collect())
    assert [r["serialNo"] for r in got] == list(range(65)) and seen_positions == [0, 30, 60]

    async def refuse(path: str, body: bytes) -> tuple[int, bytes]:
        return 400, fixture("acsevent_not_support.json")

    async def drain() -> None:
        start = datetime(2026, 3, 1, tzinfo=UTC)
        async for _ in search_pages(refuse, start, start, timedelta(0)):
            pass

    with pytest.raises(BackfillError) as info:
        asyncio.run(drain())
    assert info.value.unsupported


def test_picture_assembler_pairs_jpegs_with_their_event() -> None:
    asm = PictureAssembler()
    face = decode("acs_face_granted.json")  # expects one picture
    plate = decode("anpr_allowlist_ns.xml")  # expects two
    assert asm.picture(None, b"stray") == [] and asm.stray == 1
    assert asm.event(face) == [] and asm.waiting
    ready = asm.picture(None, b"jpeg1")
    assert len(ready) == 1 and ready[0].pictures == (("face", b"jpeg1"),)
    assert asm.event(plate) == []
    assert asm.picture("licensePlatePicture.jpg", b"p") == []
    ready = asm.picture("detectionPicture.jpg", b"v")
    assert ready[0].pictures == (("plate", b"p"), ("vehicle", b"v"))
    asm.event(face)
    released = asm.event(decode("acs_card_no_such_card.json"))  # the next event releases the waiting one
    assert [r.decoded.drafts[0].dedup_key for r in released] == ["hik:gate-east:48213", "hik:gate-east:48230"]


_values = st.one_of(st.none(), st.integers(-(2**40), 2**40), st.text(max_size=20), st.booleans(),
                    st.floats(allow_nan=False), st.lists(st.integers(), max_size=2))


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["majorEventType", "subEventType", "serialNo", "name", "cardNo",
                                        "employeeNoString", "doorNo", "picturesNumber", "userType"]),
                       _values),
       st.one_of(st.none(), st.text(max_size=30),
                 st.sampled_from(["2026-03-02T07:41:09+08:00", "2026-03-02T07:41:09"])))
def test_random_field_values_decode_or_raise_decode_error(inner: dict[str, Any], when: str | None) -> None:
    body = json.dumps({"dateTime": when, "eventType": "AccessControllerEvent",
                       "AccessControllerEvent": inner}).encode()
    try:
        result = decode_body("application/json", body, CTX)
    except DecodeError:
        return
    if isinstance(result, Decoded):
        event = result.drafts[0].event("gate-east", result.raw)
        json.dumps(dict(event.payload), ensure_ascii=False)  # storable as the store stores it
        assert event.dedup_key and event.dedup_key.startswith("hik:gate-east:")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=12), st.sampled_from(["allowList", "whiteList", "blackList", "blockList", "x", ""]),
       st.sampled_from(["forward", "reverse", "", "sideways"]))
def test_random_anpr_values(plate: str, list_name: str, direction: str) -> None:
    from xml.sax.saxutils import escape

    text = "".join(c for c in plate if c.isprintable())
    body = ("<EventNotificationAlert><dateTime>2026-03-02T07:00:00+08:00</dateTime>"
            "<eventType>ANPR</eventType>"
            f"<ANPR><licensePlate>{escape(text)}</licensePlate><direction>{direction}</direction>"
            f"<vehicleListName>{list_name}</vehicleListName></ANPR></EventNotificationAlert>").encode()
    try:
        result = decode_body("application/xml", body, CTX)
    except DecodeError:
        return
    assert isinstance(result, Decoded)
    g = GatePayload.from_payload(result.drafts[0].event("x", body).payload)
    assert g.plate is None or (" " not in g.plate and g.plate == g.plate.upper())
    assert (len(result.drafts) == 2) == (g.list_name == "block")


def test_xml_picture_count_and_fallback_key_without_serial() -> None:
    xml = fixture("acs_event_ns.xml").replace(b"<picturesNumber>0<", b"<picturesNumber>1<")
    xml = xml.replace(b"<serialNo>7781</serialNo>", b"<cardNo>42</cardNo>")
    d = decode_body("application/xml", xml, CTX)
    assert isinstance(d, Decoded) and d.pictures_expected == 1
    assert d.drafts[0].dedup_key.startswith("hik:gate-east:2026-03-02T08:02:31+08:00:5:133:42")
