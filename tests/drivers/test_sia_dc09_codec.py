"""SIA DC-09 codec: golden frames of PROTOCOLS.md §1.2, CRC, AES, answers, mapping, stream reassembly."""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pysiaalarm import SIAAccount, SIAEvent
from siadc09 import account as sd_account
from siadc09 import message as sd_message
from siadc09 import util as sd_util
from siadc09.xdata import Data as SdData

from drivers.base import EventState, Priority
from drivers.fire.sia_dc09.framing import (
    MAX_FRAME,
    Frame,
    FrameError,
    FrameErrorReason,
    FrameReader,
    check_frame,
    crc16,
    encode_frame,
    split_datagram,
)
from drivers.fire.sia_dc09.mapping import (
    RecentMessages,
    dedup_key,
    map_message,
    message_identity,
    parse_dcs,
    point_address,
)
from drivers.fire.sia_dc09.messages import (
    Cause,
    MessageError,
    ack_for,
    build_message,
    duh_for,
    encrypt_content,
    nak,
    open_message,
    parse_header,
    parse_key,
    parse_timestamp,
    timestamp_ok,
)

PROPERTY = settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])
# PROTOCOLS.md §1.2 test pair: pysiaalarm accepts the frame and answers exactly this ACK.
GOLDEN = b'\n3D35003A"SIA-DCS"0002R1L1#AAA[#AAA|Nri1/FA015]_12:58:32,11-22-2026\r'
GOLDEN_ACK = b'\n943C0013"ACK"0002R1L1#AAA[]\r'
KEY128 = bytes.fromhex("000102030405060708090A0B0C0D0E0F")
KEY192 = bytes(range(24))
KEY256 = bytes.fromhex("850CBA22F7DD4F033405DA83E4C5BAE9" * 2)
NOW = datetime(2026, 11, 22, 12, 58, 40, tzinfo=UTC)
PACKAGE = "drivers.fire.sia_dc09"


def opened(wire: bytes, key: bytes | None = None):  # type: ignore[no-untyped-def]
    frame = check_frame(wire)
    assert isinstance(frame, Frame), frame
    return open_message(parse_header(frame.message), key)


def mapped(wire: bytes, points: dict[str, str] | None = None, key: bytes | None = None):  # type: ignore[no-untyped-def]
    message = opened(wire, key)
    return map_message(message, source="panel-1", points=points or {}, received_time=NOW, raw=wire,
                       first_seen=NOW)


# -- CRC and framing ------------------------------------------------------------------------------
def test_crc16_is_arc() -> None:
    assert crc16(b"123456789") == 0xBB3D  # the CRC-16/ARC check value
    assert crc16(b"") == 0


@PROPERTY
@given(st.binary(max_size=300))
def test_crc16_agrees_with_both_reference_libraries(data: bytes) -> None:
    assert crc16(data) == sd_util.crc(data)
    text = data.decode("latin-1")
    if text.isascii():
        assert f"{crc16(data):04X}" == SIAEvent._crc_calc(text)


def test_golden_frame_and_ack() -> None:
    message = opened(GOLDEN)
    header = message.header
    assert (header.id_token, header.sequence, header.receiver, header.prefix, header.account) == (
        "SIA-DCS", "0002", "1", "1", "AAA")
    assert message.data == "#AAA|Nri1/FA015"
    assert message.timestamp == datetime(2026, 11, 22, 12, 58, 32, tzinfo=UTC)
    assert ack_for(header) == GOLDEN_ACK
    assert isinstance(check_frame(GOLDEN_ACK), Frame)


def test_golden_frame_agrees_with_pysiaalarm() -> None:
    account = SIAAccount("AAA", allowed_timeband=None)
    event = SIAEvent.from_line(GOLDEN[1:-1].decode(), {"AAA": account})
    assert event.valid_message and (event.code, event.ri, event.message) == ("FA", "1", "015")
    assert event.create_response() == ack_for(opened(GOLDEN).header) == GOLDEN_ACK
    [ours] = mapped(GOLDEN).events
    assert (ours.kind, ours.payload["code"], ours.payload["zone"]) == ("fire.alarm", "FA", "15")


def test_ack_without_receiver_echoes_no_receiver() -> None:
    # pysiaalarm prints "None" here (home-assistant/core#180511); DC-09 omits the absent field.
    header = parse_header(b'"NULL"0000L0#1409[]_20:38:07,08-27-2026')
    assert ack_for(header) == encode_frame(b'"ACK"0000L0#1409[]')


@pytest.mark.parametrize(("wire", "reason"), [
    (GOLDEN.replace(b"3D35", b"3D36"), FrameErrorReason.CRC),
    (GOLDEN.replace(b"003A", b"003B"), FrameErrorReason.LENGTH),
    (GOLDEN.replace(b"FA015", b"FA\xb015"), FrameErrorReason.NOT_PRINTABLE),
    (GOLDEN.replace(b"3D35003A", b"3D35003G"), FrameErrorReason.BAD_HEADER),
    (b"\n0000\r", FrameErrorReason.BAD_HEADER),
])
def test_bad_frames_are_rejected(wire: bytes, reason: FrameErrorReason) -> None:
    result = check_frame(wire)
    assert isinstance(result, FrameError) and result.reason is reason and result.raw == wire


def test_cr_inside_a_message_fails_the_length_and_crc() -> None:
    reader = FrameReader()
    items = reader.feed(GOLDEN.replace(b"Nri1", b"N\rri1"))
    assert isinstance(items[0], FrameError)
    assert items[0].reason in (FrameErrorReason.LENGTH, FrameErrorReason.CRC)
    assert not any(isinstance(i, Frame) for i in items)


def test_split_at_every_offset_gives_the_same_frame() -> None:
    for cut in range(1, len(GOLDEN)):
        reader = FrameReader()
        items = reader.feed(GOLDEN[:cut]) + reader.feed(GOLDEN[cut:])
        assert items == [Frame(GOLDEN, GOLDEN[1:-1][8:])]


def test_garbage_between_frames_is_counted_and_skipped() -> None:
    reader = FrameReader()
    items = reader.feed(b"xx\r" + GOLDEN + b"\x00\xffjunk" + GOLDEN)
    frames = [i for i in items if isinstance(i, Frame)]
    garbage = [i for i in items if isinstance(i, FrameError)]
    assert len(frames) == 2 and reader.discarded == 3 + 6
    assert all(g.reason is FrameErrorReason.GARBAGE for g in garbage)


def test_lf_before_cr_truncates_the_earlier_frame() -> None:
    reader = FrameReader()
    items = reader.feed(GOLDEN[:20] + GOLDEN)
    assert isinstance(items[0], FrameError) and items[0].reason is FrameErrorReason.TRUNCATED
    assert items[1] == Frame(GOLDEN, GOLDEN[9:-1])


def test_overlong_line_is_rejected_and_the_reader_resynchronises() -> None:
    reader = FrameReader()
    items = reader.feed(b"\n" + b"A" * (MAX_FRAME + 500)) + reader.feed(GOLDEN)
    assert items[0].reason is FrameErrorReason.TOO_LONG  # type: ignore[union-attr]
    assert isinstance(items[-1], Frame)
    assert not reader.partial


def test_eof_in_mid_frame_drops_the_partial_frame() -> None:
    reader = FrameReader()
    assert reader.feed(GOLDEN[:30]) == [] and reader.partial
    tail = reader.eof()
    assert tail is not None and tail.reason is FrameErrorReason.EOF and not reader.partial
    assert reader.eof() is None


def test_two_frames_in_one_datagram() -> None:
    items = split_datagram(GOLDEN + GOLDEN[:-1])
    assert isinstance(items[0], Frame) and items[1].reason is FrameErrorReason.EOF  # type: ignore[union-attr]


# -- property tests -------------------------------------------------------------------------------
_zones = st.integers(0, 999)
_codes = st.sampled_from(["FA", "FR", "FT", "FJ", "BA", "TA", "AT", "AR", "YT", "YR", "RP"])


@st.composite
def frames(draw: st.DrawFn) -> bytes:
    account = draw(st.text("0123456789ABCDEF", min_size=3, max_size=16))
    data = f"#{account}|Nri{draw(st.integers(0, 99))}/{draw(_codes)}{draw(_zones):03d}"
    return build_message("SIA-DCS", draw(st.integers(1, 9999)), account, data, receiver="1", prefix="1",
                         timestamp=NOW)


@PROPERTY
@given(st.lists(frames(), min_size=1, max_size=50), st.data())
def test_random_splits_of_coalesced_frames_reassemble(wires: list[bytes], data: st.DataObject) -> None:
    stream = b"".join(wires)
    cuts = sorted(data.draw(st.sets(st.integers(1, len(stream) - 1), max_size=30)))
    reader = FrameReader()
    items = []
    for start, end in zip([0, *cuts], [*cuts, len(stream)], strict=True):
        items += reader.feed(stream[start:end])
    assert [i.raw for i in items if isinstance(i, Frame)] == wires
    assert not any(isinstance(i, FrameError) for i in items)


@PROPERTY
@given(st.lists(frames(), min_size=1, max_size=10),
       st.lists(st.binary(max_size=40), min_size=11, max_size=11))
def test_garbage_between_frames_loses_no_frame(wires: list[bytes], junk: list[bytes]) -> None:
    junk = [j.replace(b"\n", b"") for j in junk]
    stream = b"".join(j + w for j, w in zip(junk, wires, strict=False)) + junk[-1]
    frames_out = [i.raw for i in FrameReader().feed(stream) if isinstance(i, Frame)]
    assert frames_out == wires


@PROPERTY
@given(st.binary(max_size=2000))
def test_random_bytes_never_raise(data: bytes) -> None:
    for item in FrameReader(max_frame=256).feed(data) + split_datagram(data):
        if not isinstance(item, Frame):
            continue
        try:
            header = parse_header(item.message)
            message = open_message(header, KEY128)
        except MessageError:
            continue
        if message.id_token in ("SIA-DCS", "ADM-CID"):
            map_message(message, source="p", points={}, received_time=NOW, raw=item.raw, first_seen=NOW)


@PROPERTY
@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=120),
       st.sampled_from(["SIA-DCS", "ADM-CID"]))
def test_random_printable_bodies_never_raise(body: str, token: str) -> None:
    wire = encode_frame(f'"{token}"0001R1L1#1234[{body}'.encode())
    try:
        message = opened(wire, KEY128)
    except MessageError:
        return
    map_message(message, source="p", points={}, received_time=NOW, raw=wire, first_seen=NOW)


# -- AES ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("key", [KEY128, KEY192, KEY256], ids=["aes128", "aes192", "aes256"])
def test_aes_round_trip_and_siadc09_interop(key: bytes) -> None:
    wire = build_message("SIA-DCS", 7, "1234", "#1234|Nri1/FA003", receiver="1", prefix="1", timestamp=NOW,
                         key=key)
    assert wire[9:19] == b'"*SIA-DCS"'
    message = opened(wire, key)
    assert message.data == "#1234|Nri1/FA003" and message.timestamp == NOW
    theirs = sd_message.parse_frame(wire, key)  # the independent implementation decrypts ours
    assert theirs.data.content == b"#1234|Nri1/FA003" and theirs.timestamp == NOW
    ack = ack_for(message.header, key, NOW)
    assert ack[9:15] == b'"*ACK"'
    assert isinstance(sd_message.parse_frame(ack, key), sd_message.AckMessage)
    # ... and we decrypt theirs, including a NULL whose empty data field has no "|" after the pad.
    acct = sd_account.Account(acct=0x1234, pref=1, rcvr=1, key=key)
    null = sd_message.NullMessage(acct, timestamp=NOW).encode(seq=9, encrypt=True)
    assert opened(null, key).data == ""
    event = sd_message.EventMessage(acct, config={"idtoken": "ADM-CID", "data": SdData(b"#1234|1110 01 003"),
                                                  "timestamp": NOW})
    assert opened(event.encode(seq=10, encrypt=True), key).data == "#1234|1110 01 003"


def test_hex_key_means_raw_bytes() -> None:
    assert parse_key("000102030405060708090a0b0c0d0e0f") == KEY128
    for bad in ("00", "zz" * 16, "0" * 31):
        with pytest.raises(ValueError):
            parse_key(bad)


@pytest.mark.parametrize(("mutate", "cause"), [
    (lambda body: body[:-1], Cause.BAD_HEX),
    (lambda body: body[:-2], Cause.CIPHER_LENGTH),
    (lambda body: "", Cause.CIPHER_LENGTH),
])
def test_broken_ciphertext(mutate, cause: Cause) -> None:  # type: ignore[no-untyped-def]
    wire = build_message("SIA-DCS", 1, "1234", "#1234|NFA003", prefix="1", timestamp=NOW, key=KEY128)
    header = parse_header(check_frame(wire).message)  # type: ignore[union-attr]
    broken = parse_header(encode_frame(f'"*SIA-DCS"0001L1#1234[{mutate(header.body)}'.encode())[9:-1])
    with pytest.raises(MessageError) as caught:
        open_message(broken, KEY128)
    assert caught.value.cause is cause


def test_wrong_key_missing_key_and_missing_timestamp() -> None:
    wire = build_message("SIA-DCS", 1, "1234", "#1234|NFA003", prefix="1", timestamp=NOW, key=KEY128)
    header = parse_header(check_frame(wire).message)  # type: ignore[union-attr]
    with pytest.raises(MessageError) as wrong:
        open_message(header, KEY256)
    assert wrong.value.cause is Cause.DECRYPT
    with pytest.raises(MessageError) as missing:
        open_message(header, None)
    assert missing.value.cause is Cause.NO_KEY
    unstamped = f'"*SIA-DCS"0001L1#1234[{encrypt_content("#1234|NFA003]", KEY128)}'.encode()
    with pytest.raises(MessageError) as no_time:
        opened(encode_frame(unstamped), KEY128)
    assert no_time.value.cause is Cause.TIMESTAMP


# -- answers and timestamps -----------------------------------------------------------------------
def test_nak_carries_our_time_and_duh_echoes_routing() -> None:
    answer = nak(NOW)
    assert answer == encode_frame(b'"NAK"0000R0L0A0[]_12:58:40,11-22-2026')
    header = parse_header(answer[9:-1], incoming=False)
    assert header.id_token == "NAK" and header.account is None
    assert parse_timestamp(header.body.rpartition("_")[2]) == NOW
    assert duh_for(opened(GOLDEN).header) == encode_frame(b'"DUH"0002R1L1#AAA[]')


def test_timestamp_window() -> None:
    window = (-40, 20)
    assert timestamp_ok(NOW - timedelta(seconds=40), NOW, window)
    assert not timestamp_ok(NOW - timedelta(seconds=41), NOW, window)
    assert timestamp_ok(NOW + timedelta(seconds=20), NOW, window)
    assert not timestamp_ok(NOW + timedelta(seconds=21), NOW, window)


def test_unreadable_timestamp_is_a_timestamp_error() -> None:
    with pytest.raises(MessageError) as caught:
        opened(encode_frame(b'"SIA-DCS"0001L1#1234[#1234|NFA003]_25:61:00,13-40-2026'))
    assert caught.value.cause is Cause.TIMESTAMP


# -- mapping --------------------------------------------------------------------------------------
def cid(event: str, zone: int = 3) -> bytes:
    return build_message("ADM-CID", 5, "1234", f"#1234|{event} 01 {zone:03d}", prefix="1", timestamp=NOW)


def dcs(block: str) -> bytes:
    return build_message("SIA-DCS", 5, "1234", f"#1234|{block}", prefix="1", timestamp=NOW)


@pytest.mark.parametrize(("wire", "kind", "state", "priority", "point"), [
    (cid("1110"), "fire.alarm", EventState.ACTIVE, Priority.FIRE, "1234-3"),
    (cid("1111"), "fire.alarm", EventState.ACTIVE, Priority.FIRE, "1234-3"),
    (cid("3110"), "fire.alarm", EventState.CLEARED, Priority.FIRE, "1234-3"),
    (cid("1200"), "fire.supervisory", EventState.ACTIVE, Priority.SUPERVISORY, "1234-3"),
    (cid("1373"), "fire.fault", EventState.ACTIVE, Priority.FAULT, "1234-3"),
    (cid("3373"), "fire.fault", EventState.CLEARED, Priority.FAULT, "1234-3"),
    (cid("1301", 0), "fire.mains_fault", EventState.ACTIVE, Priority.FAULT, "1234"),
    (cid("1302", 0), "fire.battery_fault", EventState.ACTIVE, Priority.FAULT, "1234"),
    (cid("1130"), "security.intrusion", EventState.ACTIVE, Priority.SECURITY, "1234-3"),
    (cid("1137"), "security.tamper", EventState.ACTIVE, Priority.SECURITY, "1234-3"),
    (cid("1120"), "security.panic", EventState.ACTIVE, Priority.SECURITY, "1234-3"),
    (cid("1100"), "medical.alarm", EventState.ACTIVE, Priority.SECURITY, "1234-3"),
    (cid("1602", 0), "panel.test", EventState.INFO, Priority.INFO, "1234"),
    (cid("1401", 12), "security.arming", EventState.INFO, Priority.INFO, "1234"),  # 12 is a user number
    (cid("1571"), "fire.disabled", EventState.ACTIVE, Priority.DISABLED, "1234-3"),
    (dcs("Nri1/FA003"), "fire.alarm", EventState.ACTIVE, Priority.FIRE, "1234-3"),
    (dcs("Nri1/FR003"), "fire.alarm", EventState.CLEARED, Priority.FIRE, "1234-3"),
    (dcs("Nri1/FH003"), "fire.alarm", EventState.CLEARED, Priority.FIRE, "1234-3"),
    (dcs("Nri1/FT007"), "fire.fault", EventState.ACTIVE, Priority.FAULT, "1234-7"),
    (dcs("Nri1/FJ007"), "fire.fault", EventState.CLEARED, Priority.FAULT, "1234-7"),
    (dcs("NFS002"), "fire.supervisory", EventState.ACTIVE, Priority.SUPERVISORY, "1234-2"),
    (dcs("NBA012"), "security.intrusion", EventState.ACTIVE, Priority.SECURITY, "1234-12"),
    (dcs("NTA001"), "security.tamper", EventState.ACTIVE, Priority.SECURITY, "1234-1"),
    (dcs("NAT"), "fire.mains_fault", EventState.ACTIVE, Priority.FAULT, "1234"),
    (dcs("NAR"), "fire.mains_fault", EventState.CLEARED, Priority.FAULT, "1234"),
    (dcs("NYT"), "fire.battery_fault", EventState.ACTIVE, Priority.FAULT, "1234"),
    (dcs("NYR"), "fire.battery_fault", EventState.CLEARED, Priority.FAULT, "1234"),
    (dcs("NRP"), "panel.test", EventState.INFO, Priority.INFO, "1234"),
    (dcs("NOP005"), "security.arming", EventState.INFO, Priority.INFO, "1234"),  # 005 is a user
    (dcs("NL001"), "security.arming", EventState.INFO, Priority.INFO, "1234"),  # NL, not "N" + "L001"
])
def test_codes_map_to_kinds(wire: bytes, kind: str, state: EventState, priority: Priority, point: str
                            ) -> None:
    result = mapped(wire)
    [event] = result.events
    assert (event.kind, event.state, event.priority, event.point) == (kind, state, priority, point)
    assert result.unknown == [] and event.raw == wire and event.device_time == NOW


def test_points_are_translated_through_the_site_file() -> None:
    [event] = mapped(dcs("Nri1/FA003"), points={"1234-3": "bldg-a/3f/smoke-12"}).events
    assert event.point == "bldg-a/3f/smoke-12" and event.payload["address"] == "1234-3"
    assert "火警" in event.summary and event.payload["modifiers"] == {"ri": "1"}
    assert point_address("1234", "0") == point_address("1234", None) == "1234"


def test_multi_event_block_and_modifiers() -> None:
    events = mapped(dcs("Nri1/FA003/FA004ri2/BA^Hall^")).events
    assert [(e.kind, e.point) for e in events] == [("fire.alarm", "1234-3"), ("fire.alarm", "1234-4"),
                                                   ("security.intrusion", "1234")]
    assert events[2].payload["text"] == "Hall" and events[2].payload["modifiers"] == {"ri": "2"}
    assert len({e.dedup_key for e in events}) == 3
    assert [e.code for e in parse_dcs("NFA003")] == ["FA"]


def test_qualifier_other_than_1_3_6_raises_nothing() -> None:
    for qualifier in "24":
        result = mapped(cid(f"{qualifier}110"))
        [event] = result.events
        assert event.state is EventState.INFO and event.priority is Priority.INFO and result.unknown == []
    [status] = mapped(cid("6110")).events
    assert status.state is EventState.ACTIVE and status.payload["status_report"] is True


def test_unknown_codes_are_stored_and_reported() -> None:
    for wire, code in ((cid("1999"), "999"), (dcs("NQZ003"), "QZ"), (dcs("what?"), "unreadable")):
        result = mapped(wire)
        assert result.unknown == [code]
        assert [e.kind for e in result.events] == ["panel.unknown_code"]
        assert result.events[0].state is EventState.INFO


def test_retransmission_keeps_its_dedup_key_and_a_wrapped_sequence_does_not() -> None:
    first = opened(dcs("Nri1/FA003"))
    again = opened(build_message("SIA-DCS", 5, "1234", "#1234|Nri1/FA003", prefix="1",
                                 timestamp=NOW + timedelta(seconds=25)))  # restamped, as after a NAK
    recent = RecentMessages(ttl_s=300)
    ids = [message_identity("panel-1", m) for m in (first, again)]
    assert ids[0] == ids[1]
    seen = [recent.first_seen(i, NOW + timedelta(seconds=k * 25)) for k, i in enumerate(ids)]
    assert dedup_key(ids[0], seen[0], 0) == dedup_key(ids[1], seen[1], 0)
    later = recent.first_seen(ids[0], NOW + timedelta(hours=2))  # the sequence wrapped: a new alarm
    assert dedup_key(ids[0], later, 0) != dedup_key(ids[0], seen[0], 0)
    other_panel = message_identity("panel-2", first)
    assert other_panel != ids[0]


def test_header_lacking_account_is_a_format_error() -> None:
    with pytest.raises(MessageError) as caught:
        parse_header(b'"SIA-DCS"0001R1[#1234|NFA003]')
    assert caught.value.cause is Cause.FORMAT
    assert re.fullmatch(r"\d{4}", parse_header(GOLDEN[9:-1]).sequence)


def test_codec_modules_are_pure_and_short() -> None:
    """Framing, messages and mapping use no sockets, asyncio or console: the simulator and tests
    share them. Every module of the package stays under 400 lines."""
    allowed = {"__future__", "collections", "dataclasses", "datetime", "enum", "hashlib", "re", "secrets",
               "typing", "cryptography", "pysiaalarm"}
    package = Path(__file__).resolve().parents[2] / "drivers" / "fire" / "sia_dc09"
    for path in package.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert len(source.splitlines()) < 400, path.name
        if path.stem not in ("framing", "messages", "mapping"):
            continue
        for node in ast.walk(ast.parse(source)):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                ours = name == "drivers.base" or name in (f"{PACKAGE}.framing", f"{PACKAGE}.messages")
                assert ours or name.split(".")[0] in allowed, f"{path.name} imports {name}"
