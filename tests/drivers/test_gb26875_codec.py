"""GB/T 26875.3 codec: golden frames of PROTOCOLS.md §1.1, round trips, stream reassembly, bad input (§5)."""

from __future__ import annotations

import ast
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.base import EventState, Priority
from drivers.fire.gb26875 import commands
from drivers.fire.gb26875.adu import (
    AduError,
    ComponentAnalog,
    ComponentConfig,
    ComponentState,
    DecodedAdu,
    OperatorInfo,
    SoftwareVersion,
    SystemConfig,
    SystemState,
    SystemTime,
    UitdConfig,
    UitdOperation,
    UitdState,
    UitdTime,
    UitdVersion,
    UnknownAdu,
    decode_adu,
    encode_adu,
)
from drivers.fire.gb26875.fields import component_address, decode_text
from drivers.fire.gb26875.frame import (
    MAX_ADU,
    MAX_FRAME,
    Command,
    Frame,
    FrameError,
    FrameErrorReason,
    FrameReader,
    ack_for,
    address_int,
    checksum,
    encode_frame,
    nak_for,
    parse_frame,
)
from drivers.fire.gb26875.mapping import CHINA_TZ, events_from_frame, map_decoded, point_address
from drivers.fire.gb26875.tables import (
    ComponentStatus,
    OperationFlags,
    SystemStatus,
    UitdOperationFlags,
    UitdStatus,
    component_type_name,
    flag_names,
    system_type_name,
)
from drivers.fire.gb26875.timetag import decode_time, encode_time

PROPERTY = settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])


def hx(text: str) -> bytes:
    return bytes.fromhex(text.replace("|", " "))


UITD = hx("79 03 00 00 00 00")
CENTER = hx("38 5B 01 00 00 00")
EVENT_TIME = datetime(2012, 9, 26, 9, 58, 2)
ANSWER_TIME = datetime(2012, 9, 26, 9, 58, 35)  # the `23` seconds byte of the documented ACK/NAK
RECEIVED = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)

# PROTOCOLS.md §1.1, golden example (78 bytes, ADU 0x30).
GOLDEN_ALARM = hx(
    "40 40 | 01 00 | 01 01 | 20 3A 09 1A 09 0C | 79 03 00 00 00 00 | 38 5B 01 00 00 00 | 30 00 | 02 |"
    "02 01 | 01 01 28 0A 00 02 00 02 00 |" + " 20" * 30 + " 00 | 02 3A 09 1A 09 0C | 46 | 23 23"
)
GOLDEN_ACK = hx("40 40 01 00 01 01 23 3A 09 1A 09 0C 38 5B 01 00 00 00 79 03 00 00 00 00 00 00 03 AB 23 23")
GOLDEN_NAK = hx("40 40 01 00 01 01 23 3A 09 1A 09 0C 38 5B 01 00 00 00 79 03 00 00 00 00 00 00 06 AE 23 23")

# PROTOCOLS.md §1.1 table: (case, from UITD?, command, ADU, documented checksum); header as the golden one.
GOLDEN_TABLE = [
    ("uitd_mains_fault", True, 0x02, "15 01 08 02 3A 09 1A 09 0C", 0x42),
    ("uitd_patrol_answer", True, 0x02, "18 01 20 01 02 3A 09 1A 09 0C", 0x5F),
    ("uitd_version", True, 0x02, "19 01 01 01", 0xC7),
    ("uitd_clock", True, 0x02, "1C 01 02 3A 09 1A 09 0C", 0x40),
    ("read_uitd_state", False, 0x04, "51 01 00", 0xFE),
    ("uitd_state_response", True, 0x05, "15 01 08 02 3A 09 1A 09 0C", 0x45),
    ("init_uitd", False, 0x01, "59 01 00", 0x03),
    ("time_sync", False, 0x01, "5A 01 02 3A 09 1A 09 0C", 0x7D),
    ("patrol", False, 0x01, "5B 01 0A", 0x0F),
]


def golden_table_frame(from_uitd: bool, command: int, adu: bytes, cs: int) -> bytes:
    src, dst = (UITD, CENTER) if from_uitd else (CENTER, UITD)
    header = hx("40 40 01 00 01 01 20 3A 09 1A 09 0C") + src + dst + len(adu).to_bytes(2, "little")
    return header + bytes((command,)) + adu + bytes((cs,)) + b"##"


def frame_of(adu: bytes, *, serial: int = 1, command: int = Command.SEND, time: datetime = EVENT_TIME,
             source: bytes = UITD) -> Frame:
    return Frame.build(serial=serial, command=command, source=source, dest=CENTER, time=time, adu=adu)


# --- golden vectors ---------------------------------------------------------------------------------

def test_golden_alarm_decodes_field_by_field() -> None:
    assert len(GOLDEN_ALARM) == 78
    assert checksum(GOLDEN_ALARM[2:-3]) == 0x46
    frame = parse_frame(GOLDEN_ALARM)
    assert (frame.serial, frame.version, frame.command) == (1, (1, 1), Command.SEND)
    assert frame.time_tag == datetime(2012, 9, 26, 9, 58, 32)
    assert (frame.source, frame.dest) == (UITD, CENTER)
    assert (address_int(frame.source), address_int(frame.dest)) == (889, 88888)
    assert len(frame.adu) == 0x30 and frame.raw == GOLDEN_ALARM
    assert encode_frame(frame) == GOLDEN_ALARM

    decoded = decode_adu(frame.adu)
    assert isinstance(decoded, DecodedAdu) and decoded.type_code == 2
    (record,) = decoded.records
    assert record == ComponentState(
        system_type=1, system_addr=1, component_type=40, component_addr=component_address(10, 2),
        status=ComponentStatus.FIRE, description="", time_raw=encode_time(EVENT_TIME),
    )
    assert (record.zone, record.number, record.time) == (10, 2, EVENT_TIME)
    assert component_type_name(record.component_type) == "感烟火灾探测器"
    assert system_type_name(record.system_type) == "火灾报警系统"
    # We pad descriptions with NUL where this UITD used spaces; the records survive either way.
    assert decode_adu(encode_adu(decoded.records)) == decoded


def test_golden_alarm_ack_and_nak_bytes() -> None:
    frame = parse_frame(GOLDEN_ALARM)
    assert ack_for(frame, ANSWER_TIME) == GOLDEN_ACK
    assert nak_for(frame, ANSWER_TIME) == GOLDEN_NAK
    assert checksum(GOLDEN_ACK[2:-3]) == 0xAB and checksum(GOLDEN_NAK[2:-3]) == 0xAE
    ack = parse_frame(GOLDEN_ACK)
    assert (ack.serial, ack.command, ack.source, ack.dest, ack.adu) == (1, Command.ACK, CENTER, UITD, b"")


def test_golden_alarm_maps_to_one_fire_alarm() -> None:
    (event,) = events_from_frame(parse_frame(GOLDEN_ALARM), received_time=RECEIVED)
    assert (event.kind, event.state, event.priority) == ("fire.alarm", EventState.ACTIVE, Priority.FIRE)
    assert event.point == "1-1-10-2"
    assert event.summary == "火警：感烟火灾探测器，火灾报警系统1号 10区2号"
    assert event.device_time == EVENT_TIME.replace(tzinfo=CHINA_TZ)
    assert event.received_time == RECEIVED and event.raw == GOLDEN_ALARM
    assert event.source == "gb26875:790300000000"
    assert event.payload["component_type_name"] == "感烟火灾探测器" and event.payload["zone"] == 10


@pytest.mark.parametrize(("case", "from_uitd", "command", "adu_hex", "cs"), GOLDEN_TABLE,
                         ids=[row[0] for row in GOLDEN_TABLE])
def test_golden_table_vectors(case: str, from_uitd: bool, command: int, adu_hex: str, cs: int) -> None:
    adu = hx(adu_hex)
    wire = golden_table_frame(from_uitd, command, adu, cs)
    assert checksum(wire[2:-3]) == cs
    frame = parse_frame(wire)
    assert (frame.command, frame.adu, frame.serial) == (command, adu, 1)
    assert encode_frame(frame) == wire
    rebuilt = Frame.build(serial=1, command=command, source=frame.source, dest=frame.dest,
                          time=datetime(2012, 9, 26, 9, 58, 32), adu=adu)
    assert encode_frame(rebuilt) == wire
    # The documented answers: same serial, swapped addresses, the answerer's own time.
    src, dst = (CENTER, UITD) if from_uitd else (UITD, CENTER)
    expected_ack = hx("40 40 01 00 01 01 23 3A 09 1A 09 0C") + src + dst + hx("00 00 03 AB 23 23")
    expected_nak = hx("40 40 01 00 01 01 23 3A 09 1A 09 0C") + src + dst + hx("00 00 06 AE 23 23")
    assert ack_for(frame, ANSWER_TIME) == expected_ack
    assert nak_for(frame, ANSWER_TIME) == expected_nak
    if from_uitd:
        assert ack_for(frame, ANSWER_TIME) == GOLDEN_ACK


def test_golden_uitd_records() -> None:
    tag = encode_time(EVENT_TIME)
    expected = {
        "15 01 08 02 3A 09 1A 09 0C": UitdState(status=UitdStatus.MAINS_FAULT, time_raw=tag),
        "18 01 20 01 02 3A 09 1A 09 0C": UitdOperation(flags=UitdOperationFlags.PATROL_ANSWER, operator=1,
                                                       time_raw=tag),
        "19 01 01 01": UitdVersion(major=1, minor=1),
        "1C 01 02 3A 09 1A 09 0C": UitdTime(time_raw=tag),
    }
    for adu_hex, record in expected.items():
        decoded = decode_adu(hx(adu_hex))
        assert isinstance(decoded, DecodedAdu) and decoded.records == (record,)
        assert encode_adu([record]) == hx(adu_hex)
    assert UitdTime(time_raw=tag).time == EVENT_TIME


def test_golden_downstream_encoders_and_decoder() -> None:
    assert commands.read_uitd_state() == hx("51 01 00")
    assert commands.init_uitd() == hx("59 01 00")
    assert commands.sync_time(EVENT_TIME) == hx("5A 01 02 3A 09 1A 09 0C")
    assert commands.patrol(10) == hx("5B 01 0A")
    assert commands.decode_downstream(hx("51 01 00")) == commands.DownstreamAdu(81, reserved=0)
    assert commands.decode_downstream(hx("5B 01 0A")) == commands.DownstreamAdu(91, reserved=10)
    sync = commands.decode_downstream(hx("5A 01 02 3A 09 1A 09 0C"))
    assert sync == commands.DownstreamAdu(90, time_raw=encode_time(EVENT_TIME))
    # The standard's table form of 校时 (one reserved byte) is accepted too.
    assert commands.decode_downstream(hx("5A 01 00")) == commands.DownstreamAdu(90, reserved=0)


def test_golden_response_and_upload_events() -> None:
    mains = golden_table_frame(True, 0x05, hx("15 01 08 02 3A 09 1A 09 0C"), 0x45)
    (event,) = events_from_frame(parse_frame(mains), received_time=RECEIVED)
    assert (event.kind, event.priority, event.point) == ("fire.mains_fault", Priority.FAULT, "uitd")
    assert event.summary == "主电故障：用户信息传输装置"
    patrol = golden_table_frame(True, 0x02, hx("18 01 20 01 02 3A 09 1A 09 0C"), 0x5F)
    (event,) = events_from_frame(parse_frame(patrol), received_time=RECEIVED)
    assert (event.kind, event.state, event.payload["operator"]) == ("fire.patrol_answer", EventState.INFO, 1)


def test_heartbeat_is_acked_and_raises_no_event() -> None:
    beat = frame_of(b"", serial=0)
    wire = encode_frame(beat)
    assert len(wire) == 30 and wire[2:4] == b"\x00\x00" and wire[24:27] == b"\x00\x00\x02"
    frame = parse_frame(wire)
    assert frame.is_heartbeat
    assert events_from_frame(frame, received_time=RECEIVED) == []
    ack = parse_frame(ack_for(frame, ANSWER_TIME))
    assert (ack.command, ack.source, ack.dest, ack.serial, ack.adu) == (Command.ACK, CENTER, UITD, 0, b"")


def test_full_type2_report_of_1044_bytes() -> None:
    records = [
        ComponentState(system_type=1, system_addr=1, component_type=42,
                       component_addr=component_address(3, i),
                       status=ComponentStatus.FIRE | ComponentStatus.NORMAL, description=f"三楼{i}号",
                       time_raw=encode_time(EVENT_TIME))
        for i in range(22)
    ]
    adu = encode_adu(records)
    wire = encode_frame(frame_of(adu))
    assert (len(adu), len(wire)) == (1014, 1044)
    for cut in range(len(wire) + 1):
        reader = FrameReader()
        items = reader.feed(wire[:cut]) + reader.feed(wire[cut:])
        assert items == [parse_frame(wire)]
    decoded = decode_adu(adu)
    assert isinstance(decoded, DecodedAdu) and list(decoded.records) == records
    assert len(events_from_frame(parse_frame(wire), received_time=RECEIVED)) == 22


# --- round trips for every upstream type --------------------------------------------------------------

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFF_FFFF)
valid_times = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31, 23, 59, 59))
time_raws = st.one_of(valid_times.map(encode_time), st.binary(min_size=6, max_size=6))
_chars = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")


def texts(limit: int) -> st.SearchStrategy[str]:
    # A GB18030 character takes at most 4 bytes; padding is stripped on decode, so none is generated.
    return st.text(_chars, max_size=limit // 4).map(lambda t: t.strip(" \u3000"))


RECORD_STRATEGIES = {
    1: st.builds(SystemState, system_type=u8, system_addr=u8, status=u16.map(SystemStatus),
                 time_raw=time_raws),
    2: st.builds(ComponentState, system_type=u8, system_addr=u8, component_type=u8, component_addr=u32,
                 status=u16.map(ComponentStatus), description=texts(31), time_raw=time_raws),
    3: st.builds(ComponentAnalog, system_type=u8, system_addr=u8, component_type=u8, component_addr=u32,
                 analog_type=u8, raw_value=st.integers(-0x8000, 0x7FFF), time_raw=time_raws),
    4: st.builds(OperatorInfo, system_type=u8, system_addr=u8, flags=u8.map(OperationFlags), operator=u8,
                 time_raw=time_raws),
    5: st.builds(SoftwareVersion, system_type=u8, system_addr=u8, major=u8, minor=u8),
    6: st.builds(SystemConfig, system_type=u8, system_addr=u8, text=texts(255)),
    7: st.builds(ComponentConfig, system_type=u8, system_addr=u8, component_type=u8, component_addr=u32,
                 description=texts(31)),
    8: st.builds(SystemTime, system_type=u8, system_addr=u8, time_raw=time_raws),
    21: st.builds(UitdState, status=u8.map(UitdStatus), time_raw=time_raws),
    24: st.builds(UitdOperation, flags=u8.map(UitdOperationFlags), operator=u8, time_raw=time_raws),
    25: st.builds(UitdVersion, major=u8, minor=u8),
    26: st.builds(UitdConfig, text=texts(255)),
    28: st.builds(UitdTime, time_raw=time_raws),
}
MAX_N = {1: 102, 2: 22, 3: 63, 4: 102, 5: 1, 6: 3, 7: 26, 8: 1, 21: 1, 24: 127, 25: 1, 26: 1, 28: 1}


@st.composite
def upstream_adus(draw: st.DrawFn, type_code: int) -> list:
    limit = MAX_N[type_code]
    records = draw(st.lists(RECORD_STRATEGIES[type_code], min_size=1, max_size=min(limit, 8)))
    # Type 6 objects are variable-length: keep the ADU within 1024 bytes.
    while len(encode_adu(records)) > MAX_ADU:
        records.pop()
    return records


@pytest.mark.parametrize("type_code", sorted(RECORD_STRATEGIES))
@PROPERTY
@given(data=st.data())
def test_round_trip_every_upstream_type(type_code: int, data: st.DataObject) -> None:
    records = data.draw(upstream_adus(type_code))
    adu = encode_adu(records)
    decoded = decode_adu(adu)
    assert decoded == DecodedAdu(type_code, tuple(records))
    assert b"".join(decoded.objects) == adu[2:]
    frame = frame_of(adu, serial=data.draw(u16))
    assert parse_frame(encode_frame(frame)) == frame
    events = events_from_frame(frame, received_time=RECEIVED)  # whatever the bits, mapping never raises
    assert all(e.dedup_key and e.raw == encode_frame(frame) for e in events)


def test_max_objects_per_type_round_trip() -> None:
    tag = encode_time(EVENT_TIME)
    full = {
        1: [SystemState(system_type=1, system_addr=i, status=SystemStatus.FAULT, time_raw=tag)
            for i in range(102)],
        3: [ComponentAnalog(system_type=1, system_addr=1, component_type=31, component_addr=i, analog_type=3,
                            raw_value=-i, time_raw=tag) for i in range(63)],
        7: [ComponentConfig(system_type=1, system_addr=1, component_type=40, component_addr=i,
                            description="走廊")
            for i in range(26)],
        24: [UitdOperation(flags=UitdOperationFlags.TEST, operator=i, time_raw=tag) for i in range(127)],
    }
    for type_code, records in full.items():
        adu = encode_adu(records)
        assert len(adu) <= MAX_ADU
        assert decode_adu(adu) == DecodedAdu(type_code, tuple(records))
        over = bytes((type_code, len(records) + 1)) + adu[2:]
        assert decode_adu(over) == AduError("too_many_objects", over)
        with pytest.raises(ValueError):
            encode_adu(records + records[:1])


@pytest.mark.parametrize("adu", [
    commands.read_system_state([(1, 1), (10, 2)]),
    commands.read_component_state([(1, 1, component_address(10, 2))]),
    commands.read_components(63, [(1, 1, 7)]),
    commands.read_components(67, [(1, 1, 7), (1, 2, 8)]),
    commands.read_operation_log(1, 1, 20, EVENT_TIME),
    commands.read_systems(65, [(1, 1)]),
    commands.read_systems(66, [(1, 1), (1, 2), (1, 3)]),
    commands.read_systems(68, [(1, 1)]),
    commands.read_uitd_operation_log(102, EVENT_TIME),
    commands.uitd_command(85), commands.uitd_command(86), commands.uitd_command(88),
    commands.init_uitd(), commands.patrol(), commands.sync_time(EVENT_TIME), commands.read_uitd_state(),
])
def test_downstream_round_trip(adu: bytes) -> None:
    decoded = commands.decode_downstream(adu)
    assert isinstance(decoded, commands.DownstreamAdu) and decoded.type_code == adu[0]
    assert decode_adu(adu) == UnknownAdu(adu[0], adu)  # not an upstream type: kept raw, not crashed
    frame = frame_of(adu, command=Command.REQUEST, source=CENTER)
    assert parse_frame(encode_frame(frame)) == frame


def test_downstream_decoded_fields() -> None:
    ca = component_address(10, 2)
    assert commands.decode_downstream(commands.read_component_state([(1, 1, ca)])).components == ((1, 1, ca),)
    log = commands.decode_downstream(commands.read_operation_log(1, 3, 20, EVENT_TIME))
    assert (log.systems, log.count, log.time_raw) == (((1, 3),), 20, encode_time(EVENT_TIME))
    with pytest.raises(ValueError):
        commands.read_uitd_operation_log(103, EVENT_TIME)
    with pytest.raises(ValueError):
        commands.read_component_state([(1, 1, 0)] * 23)
    assert commands.decode_downstream(hx("3D 02 01 01")) == AduError("length_mismatch", hx("3D 02 01 01"))
    assert commands.decode_downstream(hx("5B 02 00")) == AduError("too_many_objects", hx("5B 02 00"))


# --- stream reassembly ------------------------------------------------------------------------------

known_commands = st.one_of(st.integers(1, 6), st.integers(128, 255))
frames = st.builds(
    Frame, serial=u16, version=st.tuples(u8, u8), time_raw=time_raws,
    source=st.binary(min_size=6, max_size=6), dest=st.binary(min_size=6, max_size=6),
    command=known_commands, adu=st.one_of(st.binary(max_size=64), st.binary(max_size=MAX_ADU)),
)


def feed_all(reader: FrameReader, chunks: list[bytes]) -> list[Frame | FrameError]:
    out: list[Frame | FrameError] = []
    for chunk in chunks:
        out += reader.feed(chunk)
        assert reader.pending < MAX_FRAME
    return out


@st.composite
def chunked(draw: st.DrawFn, data: bytes) -> list[bytes]:
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=20)))
    bounds = [0, *cuts, len(data)]
    return [data[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


def test_golden_split_at_every_offset() -> None:
    expected = parse_frame(GOLDEN_ALARM)
    for cut in range(len(GOLDEN_ALARM) + 1):
        reader = FrameReader()
        assert reader.feed(GOLDEN_ALARM[:cut]) + reader.feed(GOLDEN_ALARM[cut:]) == [expected]
        assert (reader.pending, reader.discarded, reader.errors) == (0, 0, 0)
    reader = FrameReader()
    assert feed_all(reader, [bytes((b,)) for b in GOLDEN_ALARM]) == [expected]


@PROPERTY
@given(frame=frames, data=st.data())
def test_any_frame_split_anywhere(frame: Frame, data: st.DataObject) -> None:
    wire = encode_frame(frame)
    cut = data.draw(st.integers(0, len(wire)))
    reader = FrameReader()
    assert reader.feed(wire[:cut]) + reader.feed(wire[cut:]) == [frame]


@PROPERTY
@given(batch=st.lists(frames, min_size=1, max_size=12), data=st.data())
def test_random_chunking_gives_identical_frames(batch: list[Frame], data: st.DataObject) -> None:
    stream = b"".join(encode_frame(f) for f in batch)
    reader = FrameReader()
    items = feed_all(reader, data.draw(chunked(stream)))
    assert items == batch
    assert [i.raw for i in items] == [encode_frame(f) for f in batch]
    assert (reader.pending, reader.discarded, reader.errors) == (0, 0, 0)


@PROPERTY
@given(batch=st.lists(frames.map(lambda f: replace(f, adu=f.adu[:32])), min_size=2, max_size=50))
def test_coalesced_frames_in_one_segment(batch: list[Frame]) -> None:
    reader = FrameReader()
    assert reader.feed(b"".join(encode_frame(f) for f in batch)) == batch


no_at = st.binary(max_size=40).map(lambda b: b.replace(b"@", b""))


@PROPERTY
@given(batch=st.lists(frames, min_size=1, max_size=8), garbage=st.lists(no_at, min_size=9, max_size=9),
       data=st.data())
def test_garbage_between_frames_is_skipped_and_counted(batch: list[Frame], garbage: list[bytes],
                                                        data: st.DataObject) -> None:
    stream = b"".join(g + encode_frame(f) for g, f in zip(garbage, batch, strict=False)) + garbage[-1]
    reader = FrameReader()
    assert feed_all(reader, data.draw(chunked(stream))) == batch
    assert reader.discarded == sum(map(len, garbage[:len(batch)])) + len(garbage[-1])
    assert reader.errors == 0


@pytest.mark.parametrize("junk", [
    b"@", b"@@@", b"@@\x00", b"@x@@", b"@@" + bytes(30), b"@@" + b"\xff" * 40, b"##@@##",
    b"@@" + bytes(24) + b"\x30",
])
def test_marker_like_garbage_resyncs(junk: bytes) -> None:
    wire = encode_frame(frame_of(hx("15 01 08 02 3A 09 1A 09 0C")))
    tail = encode_frame(frame_of(b"", serial=2))
    for chunks in ([junk + wire + tail], [junk, wire, tail], [bytes((b,)) for b in junk + wire + tail]):
        reader = FrameReader()
        items = feed_all(reader, chunks)
        good = [i for i in items if isinstance(i, Frame)]
        assert good == [parse_frame(wire), parse_frame(tail)]
        assert all(isinstance(i, FrameError) and i.header is not None for i in items if i not in good)


@PROPERTY
@given(blob=st.binary(max_size=4000), data=st.data())
def test_random_bytes_never_raise(blob: bytes, data: st.DataObject) -> None:
    reader = FrameReader()
    for item in feed_all(reader, data.draw(chunked(blob))):
        if isinstance(item, Frame):
            assert encode_frame(item) == item.raw  # only checksum-valid frames get through
            decode_adu(item.adu)
            commands.decode_downstream(item.adu)
            events_from_frame(item, received_time=RECEIVED)
        else:
            assert item.reason in set(FrameErrorReason) and item.raw.startswith(b"@@")
    assert reader.pending < MAX_FRAME


@PROPERTY
@given(blob=st.binary(max_size=300), type_code=u8, count=u8)
def test_random_adus_never_raise(blob: bytes, type_code: int, count: int) -> None:
    for adu in (blob, bytes((type_code, count)) + blob):
        decoded = decode_adu(adu)
        assert isinstance(decoded, DecodedAdu | UnknownAdu | AduError)
        if isinstance(decoded, DecodedAdu):
            map_decoded(frame_of(adu), decoded, received_time=RECEIVED)
        commands.decode_downstream(adu)


def test_buffer_stays_bounded() -> None:
    reader = FrameReader()
    assert reader.feed(b"\x00" * 1_000_000 + b"@") == []
    assert (reader.pending, reader.discarded) == (1, 1_000_000)
    wire = encode_frame(frame_of(bytes(MAX_ADU)))
    assert reader.feed(wire[1:-1]) == [] and reader.pending == MAX_FRAME - 1
    assert reader.feed(wire[-1:]) == [parse_frame(wire)] and reader.pending == 0


def test_eof_mid_frame_leaves_a_partial_that_reset_drops() -> None:
    reader = FrameReader()
    assert reader.feed(GOLDEN_ALARM[:40]) == []
    assert reader.reset() == GOLDEN_ALARM[:40] and reader.pending == 0
    assert reader.feed(GOLDEN_ALARM) == [parse_frame(GOLDEN_ALARM)]


# --- bad input (PROTOCOLS.md §5.2) -------------------------------------------------------------------

def _only_error(wire: bytes) -> FrameError:
    items = FrameReader().feed(wire)
    assert len(items) >= 1 and isinstance(items[0], FrameError)
    return items[0]


def test_bad_checksum_is_nakable_with_documented_nak() -> None:
    bad = GOLDEN_ALARM[:-3] + bytes(((GOLDEN_ALARM[-3] + 1) & 0xFF,)) + b"##"
    reader = FrameReader()
    items = reader.feed(bad + GOLDEN_ALARM)
    error, good = items
    assert isinstance(error, FrameError) and error.reason == FrameErrorReason.BAD_CHECKSUM
    assert error.raw == bad and error.nakable and error.header is not None
    assert (error.header.serial, error.header.source, error.header.command) == (1, UITD, 2)
    assert nak_for(error, ANSWER_TIME) == GOLDEN_NAK
    assert good == parse_frame(GOLDEN_ALARM) and reader.errors == 1
    with pytest.raises(ValueError):
        parse_frame(bad)


@PROPERTY
@given(frame=frames, data=st.data())
def test_any_corrupted_byte_is_rejected_or_resynced(frame: Frame, data: st.DataObject) -> None:
    wire = bytearray(encode_frame(frame))
    index = data.draw(st.integers(2, len(wire) - 3))  # a header, ADU or checksum byte
    wire[index] = (wire[index] + data.draw(st.integers(1, 255))) & 0xFF
    # Filler long enough to complete any frame a corrupted length field or an "@@" in the ADU
    # pretends to start, then a clean frame, which must come out intact and last.
    filler = b"\x00" * MAX_FRAME
    reader = FrameReader()
    items = reader.feed(bytes(wire) + encode_frame(frame) + filler + encode_frame(frame))
    assert items[-1] == frame and reader.pending == 0
    if not 24 <= index <= 25:  # unless the length changed, the checksum catches a one-byte change
        assert isinstance(items[0], FrameError) and items[0].reason == FrameErrorReason.BAD_CHECKSUM


def test_adu_too_long_is_nakable_and_the_stream_recovers() -> None:
    header = hx("40 40 07 00 01 01 20 3A 09 1A 09 0C") + UITD + CENTER + (MAX_ADU + 1).to_bytes(2, "little")
    error = _only_error(header + b"\x02" + GOLDEN_ALARM)
    assert error.reason == FrameErrorReason.ADU_TOO_LONG and error.header is not None
    assert error.header.serial == 7
    reader = FrameReader()
    assert [type(i) for i in reader.feed(header + b"\x02" + GOLDEN_ALARM)] == [FrameError, Frame]
    assert nak_for(error, ANSWER_TIME)[2:4] == b"\x07\x00"


def test_bad_end_marker_and_length_disagreement() -> None:
    bad_end = GOLDEN_ALARM[:-2] + b"#!"
    error = _only_error(bad_end)
    assert error.reason == FrameErrorReason.BAD_END and error.nakable
    short = bytearray(GOLDEN_ALARM)
    del short[40]  # length field now claims one byte more than was sent
    items = FrameReader().feed(bytes(short) + GOLDEN_ALARM)
    assert isinstance(items[0], FrameError) and items[0].reason == FrameErrorReason.BAD_END
    assert items[-1] == parse_frame(GOLDEN_ALARM)


@pytest.mark.parametrize("command", [0, 7, 64, 127])
def test_unknown_command_is_nakable(command: int) -> None:
    wire = encode_frame(Frame(serial=9, time_raw=encode_time(EVENT_TIME), source=UITD, dest=CENTER,
                              command=command, adu=b"\x01"))
    error = _only_error(wire)
    assert error.reason == FrameErrorReason.UNKNOWN_COMMAND and error.raw == wire
    assert error.header is not None and error.header.adu == b"\x01"
    nak = parse_frame(nak_for(error, ANSWER_TIME))
    assert (nak.command, nak.serial, nak.source, nak.dest) == (Command.NAK, 9, CENTER, UITD)


def test_user_defined_command_passes_through() -> None:
    frame = frame_of(b"\x80\x01\xaa", command=0x85)
    assert FrameReader().feed(encode_frame(frame)) == [frame]
    assert events_from_frame(frame, received_time=RECEIVED) == []
    assert decode_adu(b"\x80\x01\xaa") == UnknownAdu(0x80, b"\x80\x01\xaa")
    assert decode_adu(b"\x80\x01\xaa").user_defined  # type: ignore[union-attr]


@pytest.mark.parametrize(("adu", "reason"), [
    (b"", "empty"),
    (b"\x02", "truncated"),
    (hx("15 01 08 02 3A 09 1A 09"), "length_mismatch"),  # n x size > length
    (hx("15 01 08 02 3A 09 1A 09 0C 00"), "length_mismatch"),  # n x size < length
    (hx("15 02 08 02 3A 09 1A 09 0C 08 02 3A 09 1A 09 0C"), "too_many_objects"),
    (hx("06 01 01 01 05 41 42"), "length_mismatch"),  # text length beyond the ADU
])
def test_bad_adus(adu: bytes, reason: str) -> None:
    assert decode_adu(adu) == AduError(reason, adu)


def test_reserved_and_user_types_are_kept_raw() -> None:
    for type_code in (0, 9, 22, 27, 29, 200, 254):
        adu = bytes((type_code, 1, 0xAA))
        assert decode_adu(adu) == UnknownAdu(type_code, adu)


@pytest.mark.parametrize("tag", ["00 00 00 0D 0D 0C", "3C 00 00 01 01 0C", "00 00 18 01 01 0C",
                                 "00 00 00 1F 02 0C", "00 00 00 01 01 64", "00 00 00 00 00 00"])
def test_impossible_time_tags_are_flagged_not_fatal(tag: str) -> None:
    raw = hx(tag)
    assert decode_time(raw) is None
    frame = Frame(serial=3, time_raw=raw, source=UITD, dest=CENTER, command=Command.SEND,
                  adu=bytes((21, 1, int(UitdStatus.FIRE))) + raw)
    parsed = parse_frame(encode_frame(frame))
    assert parsed.time_tag is None and not parsed.time_tag_valid and parsed.time_raw == raw
    (event,) = events_from_frame(parsed, received_time=RECEIVED)
    assert event.kind == "fire.alarm" and event.device_time is None
    assert event.payload["device_time_invalid"] is True and event.received_time == RECEIVED


def test_gb18030_descriptions() -> None:
    text = "三楼东走廊"
    raw = text.encode("gb18030") + b" " * 10 + b"\x00" * (31 - len(text.encode("gb18030")) - 10)
    assert decode_text(raw) == (text, True)
    assert decode_text(b"\x81\x20abc" + bytes(26)) == ("\ufffd abc", False)
    adu = hx("02 01 01 01 28 0A 00 02 00 02 00") + b"\xff\xfe\x81" + b" " * 28 + encode_time(EVENT_TIME)
    decoded = decode_adu(adu)
    assert isinstance(decoded, DecodedAdu)
    (record,) = decoded.records
    assert not record.description_valid and "\ufffd" in record.description
    (event,) = map_decoded(frame_of(adu), decoded, received_time=RECEIVED)
    assert event.payload["description_valid"] is False
    with pytest.raises(ValueError):
        encode_adu([ComponentState(system_type=1, system_addr=1, component_type=40, component_addr=0,
                                   status=ComponentStatus.FIRE, description="长" * 16, time_raw=bytes(6))])


# --- mapping ----------------------------------------------------------------------------------------

def _component(status: ComponentStatus, description: str = "三楼东走廊",
               when: datetime = EVENT_TIME) -> bytes:
    return encode_adu([ComponentState(system_type=1, system_addr=1, component_type=40,
                                      component_addr=component_address(10, 2), status=status,
                                      description=description, time_raw=encode_time(when))])


def test_every_status_bit_maps_to_its_own_event() -> None:
    status = SystemStatus(0x3FFF)  # every defined bit
    tag = encode_time(EVENT_TIME)
    adu = encode_adu([SystemState(system_type=1, system_addr=2, status=status, time_raw=tag)])
    events = events_from_frame(frame_of(adu), received_time=RECEIVED)
    kinds = [(e.kind, e.payload["condition"], e.priority, e.state) for e in events]
    assert kinds == [
        ("fire.alarm", "fire", Priority.FIRE, EventState.ACTIVE),
        ("fire.supervisory", "supervisory", Priority.SUPERVISORY, EventState.ACTIVE),
        ("fire.fault", "fault", Priority.FAULT, EventState.ACTIVE),
        ("fire.mains_fault", "mains_fault", Priority.FAULT, EventState.ACTIVE),
        ("fire.battery_fault", "battery_fault", Priority.FAULT, EventState.ACTIVE),
        ("fire.fault", "bus_fault", Priority.FAULT, EventState.ACTIVE),
        ("fire.disabled", "disabled", Priority.DISABLED, EventState.ACTIVE),
        ("fire.delayed", "delayed", Priority.INFO, EventState.INFO),
        ("fire.started", "started", Priority.INFO, EventState.INFO),
        ("fire.feedback", "feedback", Priority.INFO, EventState.INFO),
        ("fire.reset", "reset", Priority.INFO, EventState.CLEARED),
    ]
    assert len({e.dedup_key for e in events}) == len(events)
    assert all(e.point == "1-2" and e.summary.endswith("：火灾报警系统2号") for e in events)


def test_component_events_name_the_place() -> None:
    status = ComponentStatus.FAULT | ComponentStatus.POWER_FAULT | ComponentStatus.NORMAL
    fault, power = events_from_frame(frame_of(_component(status)), received_time=RECEIVED)
    assert fault.summary == "故障：三楼东走廊（感烟火灾探测器，火灾报警系统1号 10区2号）"
    assert (power.kind, power.payload["condition"]) == ("fire.fault", "power_fault")
    (normal,) = events_from_frame(frame_of(_component(ComponentStatus.NORMAL)), received_time=RECEIVED)
    assert (normal.kind, normal.state, normal.priority) == ("fire.normal", EventState.CLEARED, Priority.INFO)


def test_uitd_status_and_operations() -> None:
    tag = encode_time(EVENT_TIME)
    status = UitdStatus.LINK_FAULT | UitdStatus.LINE_FAULT | UitdStatus.BATTERY_FAULT
    events = events_from_frame(frame_of(encode_adu([UitdState(status=status, time_raw=tag)])),
                               received_time=RECEIVED)
    assert [e.payload["condition"] for e in events] == ["battery_fault", "link_fault", "line_fault"]
    ops = OperatorInfo(system_type=1, system_addr=1, flags=OperationFlags.RESET | OperationFlags.MANUAL_ALARM,
                       operator=7, time_raw=tag)
    alarm, reset = events_from_frame(frame_of(encode_adu([ops])), received_time=RECEIVED)
    assert (alarm.kind, alarm.priority) == ("fire.alarm", Priority.FIRE)
    assert alarm.payload["condition"] == "manual_alarm"
    assert (reset.kind, reset.state) == ("fire.reset", EventState.CLEARED)
    quiet = OperatorInfo(system_type=1, system_addr=1, flags=OperationFlags(0), operator=7, time_raw=tag)
    assert events_from_frame(frame_of(encode_adu([quiet])), received_time=RECEIVED) == []


def test_analog_and_query_answers() -> None:
    tag = encode_time(EVENT_TIME)
    analog = ComponentAnalog(system_type=1, system_addr=1, component_type=31,
                             component_addr=component_address(2, 5),
                             analog_type=3, raw_value=253, time_raw=tag)
    assert (analog.value, analog.unit) == (25.3, "℃")
    (event,) = events_from_frame(frame_of(encode_adu([analog])), received_time=RECEIVED)
    assert event.kind == "fire.analog" and event.summary.startswith("温度 25.3℃：点型感温火灾探测器")
    for record in (SoftwareVersion(system_type=1, system_addr=1, major=2, minor=0), UitdTime(time_raw=tag),
                   SystemConfig(system_type=1, system_addr=1, text="主机"), UitdConfig(text="装置")):
        assert events_from_frame(frame_of(encode_adu([record])), received_time=RECEIVED) == []


def test_retransmission_keeps_the_dedup_key() -> None:
    adu = _component(ComponentStatus.FIRE)
    first = events_from_frame(frame_of(adu, serial=5), received_time=RECEIVED)
    # Resent on a new connection: new serial, restamped header, same event.
    resent = frame_of(adu, serial=0, time=datetime(2012, 9, 26, 9, 59, 0))
    again = events_from_frame(resent, received_time=RECEIVED)
    assert [e.dedup_key for e in first] == [e.dedup_key for e in again]
    later = events_from_frame(frame_of(_component(ComponentStatus.FIRE, when=datetime(2012, 9, 26, 10, 0)),
                                       serial=6), received_time=RECEIVED)
    assert later[0].dedup_key != first[0].dedup_key
    # Serial wrap: 65535 then 0 with distinct events never collide.
    wrap_a = events_from_frame(frame_of(adu, serial=0xFFFF), received_time=RECEIVED)
    wrap_b = events_from_frame(frame_of(_component(ComponentStatus.FIRE, when=datetime(2012, 9, 26, 11, 0)),
                                        serial=0), received_time=RECEIVED)
    assert wrap_a[0].dedup_key != wrap_b[0].dedup_key


def test_dedup_without_a_device_clock() -> None:
    adu = bytes((21, 1, int(UitdStatus.FIRE))) + bytes(6)
    a = events_from_frame(frame_of(adu, serial=1), received_time=RECEIVED)[0].dedup_key
    resent = events_from_frame(frame_of(adu, serial=1), received_time=RECEIVED)[0].dedup_key
    second_alarm = events_from_frame(frame_of(adu, serial=2), received_time=RECEIVED)[0].dedup_key
    assert a == resent and a != second_alarm


def test_source_and_point_mapping() -> None:
    frame = frame_of(_component(ComponentStatus.FIRE))
    (event,) = events_from_frame(frame, received_time=RECEIVED, source="panel-a",
                                 points={"1-1-10-2": "bldg3.f3.corridor"})
    assert (event.source, event.point) == ("panel-a", "bldg3.f3.corridor")
    assert event.payload["address"] == "1-1-10-2"
    assert point_address(UitdTime(time_raw=bytes(6))) == "uitd"


def test_tables() -> None:
    assert system_type_name(23) == "消防电源" and system_type_name(1, "en") == "fire alarm system"
    assert component_type_name(40, "en") == "smoke detector"
    assert component_type_name(200) == "用户自定义(200)" and component_type_name(5, "en") == "reserved (5)"
    assert flag_names(SystemStatus(0x8003)) == ["NORMAL", "FIRE"]  # reserved bit kept, not named


def test_codec_is_pure() -> None:
    """No sockets, asyncio or console imports: the codec must run anywhere, including the simulator."""
    stdlib = {"__future__", "collections", "dataclasses", "datetime", "enum", "functools", "hashlib",
              "random", "struct", "typing"}
    package = Path(__file__).resolve().parents[2] / "drivers" / "fire" / "gb26875"
    codec = ("__init__", "adu", "commands", "fields", "frame", "mapping", "tables", "timetag", "scenarios")
    for path in package.glob("*.py"):
        assert len(path.read_text(encoding="utf-8").splitlines()) < 400, path.name
        if path.stem not in codec:  # the session, driver and simulator are the socket side
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                ours = name == "drivers.base" or name.startswith("drivers.fire.gb26875")
                ok = ours or name.split(".")[0] in stdlib
                assert ok, f"{path.name} imports {name}"
