"""Dahua attach-stream splitter and part-text parser: every split, random chunking, garbage, quirks."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.gates.dahua.records import Record, parse_event_text
from drivers.gates.dahua.stream import (
    FOREIGN_BOUNDARY,
    Garbage,
    MultipartSplitter,
    Part,
    boundary_from_content_type,
)

FIXTURES = Path(__file__).parent / "fixtures" / "dahua"
STREAM = (FIXTURES / "attach_stream.bin").read_bytes()


def split_all(data: bytes, cuts: list[int], boundary: str | None = "myboundary") -> list[Part | Garbage]:
    splitter = MultipartSplitter(boundary)
    out: list[Part | Garbage] = []
    last = 0
    for cut in sorted(cuts):
        out += splitter.feed(data[last:cut])
        last = cut
    out += splitter.feed(data[last:])
    return out + splitter.eof()


def bodies(items: list[Part | Garbage]) -> list[bytes]:
    return [i.body for i in items if isinstance(i, Part)]


def part(body: bytes, *, length: bool = True, boundary: bytes = b"myboundary") -> bytes:
    head = b"--" + boundary + b"\r\nContent-Type: text/plain\r\n"
    if length:
        head += b"Content-Length: %d\r\n" % len(body)
    return head + b"\r\n" + body + b"\r\n"


def test_fixture_stream_parts() -> None:
    items = split_all(STREAM, [])
    assert all(isinstance(i, Part) for i in items)
    texts = [parse_event_text(b) for b in bodies(items)]
    assert [t.heartbeat for t in texts] == [True, False, True, False, False, False, False, True]
    codes = [r.code for t in texts for r in t.records]
    assert codes == ["AccessControl", "AccessControl", "TrafficJunction", "DoorNotClosed"]
    [bad] = [e for t in texts for e in t.errors]
    assert "invalid JSON" in bad.reason and bad.raw.startswith(b"Code=BreakIn")
    access = texts[1].records[0]
    assert access.data["CardName"] == "张伟" and access.action == "Pulse" and access.index == 0


def test_split_at_every_byte_offset_gives_identical_parts() -> None:
    whole = split_all(STREAM, [])
    for cut in range(len(STREAM) + 1):
        assert split_all(STREAM, [cut]) == whole, cut


def test_byte_at_a_time() -> None:
    assert split_all(STREAM, list(range(len(STREAM)))) == split_all(STREAM, [])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(0, len(STREAM)), max_size=40))
def test_random_chunking(cuts: list[int]) -> None:
    assert split_all(STREAM, cuts) == split_all(STREAM, [])


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.binary(max_size=60).filter(lambda b: b"myboundary" not in b), min_size=1, max_size=6),
    st.lists(st.integers(0, 2000), max_size=10),
)
def test_garbage_between_parts_is_reported_and_parts_survive(junk: list[bytes], cuts: list[int]) -> None:
    good = [b"Heartbeat", b'Code=DoorStatus;action=Pulse;index=0;data={\n "Status" : "Open"\n}']
    stream = b""
    for i, noise in enumerate(junk):
        stream += part(good[i % 2]) + noise + b"\r\n"
    stream += part(b"Heartbeat") + b"--myboundary\r\n"
    items = split_all(stream, [c % (len(stream) + 1) for c in cuts])
    assert items == split_all(stream, [])
    got = bodies(items)
    # A noise line may swallow nothing: every good part still arrives, in order, unchanged.
    assert got == [good[i % 2] for i in range(len(junk))] + [b"Heartbeat"]
    lines = [line + b"\n" for noise in junk for line in (noise + b"\r\n").split(b"\n")[:-1]]
    assert sum(g.size for g in items if isinstance(g, Garbage)) == sum(len(x) for x in lines if x.strip())


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=3000), st.lists(st.integers(0, 3000), max_size=8))
def test_pure_garbage_never_raises_and_is_chunking_independent(data: bytes, cuts: list[int]) -> None:
    cuts = [c % (len(data) + 1) for c in cuts]
    assert split_all(data, cuts) == split_all(data, [])


def test_heartbeat_only_stream() -> None:
    stream = b"".join(part(b"Heartbeat") for _ in range(50))
    items = split_all(stream, [7, 99, 100, 1000])
    assert len(items) == 50 and all(parse_event_text(b).heartbeat for b in bodies(items))


def test_boundary_quirks() -> None:
    assert boundary_from_content_type("multipart/x-mixed-replace; boundary=myboundary") == "myboundary"
    assert boundary_from_content_type('multipart/x-mixed-replace;boundary="--myboundary"') == "--myboundary"
    assert boundary_from_content_type("multipart/x-mixed-replace") is None
    assert boundary_from_content_type(None) is None
    body = b'Code=DoorStatus;action=Pulse;index=0;data={"Status":"Close"}'
    plain = part(body)
    # Header says "--myboundary", lines say "--myboundary": same parts as the canonical form.
    assert bodies(split_all(plain, [], "--myboundary")) == [body]
    # Lines carry the header's value with two more dashes ("----myboundary").
    assert bodies(split_all(part(body, boundary=b"--myboundary"), [], "--myboundary")) == [body]
    # No dashes at all before the boundary (seen in the wild from other servers).
    assert bodies(split_all(b"myboundary\r\n\r\n" + body + b"\r\nmyboundary\r\n", [])) == [body]
    # No header: the default is myboundary.
    assert bodies(split_all(plain, [], None)) == [body]


def test_content_length_missing_short_and_long() -> None:
    body = b'Code=AccessControl;action=Pulse;index=0;data={\r\n "Status" : 1,\r\n "UTC" : 5\r\n}'
    missing = part(body, length=False) + part(b"Heartbeat")
    assert bodies(split_all(missing, [])) == [body, b"Heartbeat"]
    # Declared longer than the part: the next delimiter line ends it; nothing after it is lost.
    long = part(body).replace(b"Content-Length: %d" % len(body), b"Content-Length: 5000") + part(b"Heartbeat")
    assert bodies(split_all(long, [])) == [body, b"Heartbeat"]
    # Declared shorter: the part is cut there (its JSON then fails), the rest is garbage, the next is fine.
    short = part(body).replace(b"Content-Length: %d" % len(body), b"Content-Length: 10") + part(b"Heartbeat")
    items = split_all(short, [])
    assert bodies(items) == [body[:10], b"Heartbeat"]
    assert any(isinstance(i, Garbage) for i in items)


def test_headers_without_blank_line_and_parts_without_headers() -> None:
    stream = (b"--myboundary\r\nContent-Type: text/plain\r\nHeartbeat\r\n"
              b"--myboundary\r\nHeartbeat\r\n--myboundary\r\n")
    assert bodies(split_all(stream, [])) == [b"Heartbeat", b"Heartbeat"]


def test_a_changed_boundary_is_reported() -> None:
    stream = part(b"Heartbeat") + b"--otherboundary\r\nContent-Length: 9\r\n\r\nHeartbeat\r\n"
    items = split_all(stream, [])
    assert bodies(items) == [b"Heartbeat"]
    assert [g.reason for g in items if isinstance(g, Garbage)][0] == FOREIGN_BOUNDARY
    assert not any(isinstance(g, Garbage) and g.reason == FOREIGN_BOUNDARY
                   for g in split_all(part(b"Heartbeat") + b"------\r\n-- x\r\n", []))


def test_eof_inside_a_part_is_reported_not_emitted() -> None:
    splitter = MultipartSplitter("myboundary")
    assert splitter.feed(b"--myboundary\r\nContent-Length: 100\r\n\r\nCode=AccessControl;data={") == []
    [garbage] = splitter.eof()
    assert isinstance(garbage, Garbage) and garbage.reason == "stream ended inside a part"


def test_oversized_part_is_dropped_and_stream_resyncs() -> None:
    splitter = MultipartSplitter("myboundary", max_part=1000)
    stream = b"--myboundary\r\n\r\n" + b"x" * 5000 + b"\r\n" + part(b"Heartbeat")
    items = splitter.feed(stream) + splitter.eof()
    assert bodies(items) == [b"Heartbeat"]
    assert sum(i.size for i in items if isinstance(i, Garbage)) >= 5000


def test_newline_free_flood_is_bounded() -> None:
    splitter = MultipartSplitter("myboundary")
    for _ in range(40):
        splitter.feed(b"z" * 10_000)
    assert splitter.pending < 70_000
    assert bodies(splitter.feed(b"\r\n" + part(b"Heartbeat") + b"--myboundary\r\n")) == [b"Heartbeat"]


# -- part text ----------------------------------------------------------------------------------------
def test_multi_line_json_with_separators_inside_strings() -> None:
    data = {"CardName": 'A; B=C "q" {x}', "nested": {"list": [1, {"k": "}"}]}, "UTC": 1}
    text = b"Code=AccessControl;action=Pulse;index=3;data=" + json.dumps(data, indent=3).encode()
    parsed = parse_event_text(text)
    assert parsed.records == (Record("AccessControl", "Pulse", 3, data, parsed.records[0].raw),)
    assert parsed.errors == ()


def test_several_records_in_one_part_and_one_bad_in_between() -> None:
    text = (b'Code=DoorStatus;action=Pulse;index=0;data={"Status":"Open"}\r\n'
            b"Code=BreakIn;action=Start;index=1;data={\r\n \"Name\": \r\n"
            b"Code=VideoMotion;action=Start;index=0\r\n"
            b'Code=DoorStatus;action=Pulse;index=0;data={"Status":"Close"}')
    parsed = parse_event_text(text)
    assert [(r.code, r.action) for r in parsed.records] == [
        ("DoorStatus", "Pulse"), ("VideoMotion", "Start"), ("DoorStatus", "Pulse")]
    assert len(parsed.errors) == 1 and b"BreakIn" in parsed.errors[0].raw


def test_non_object_data_and_junk_are_errors() -> None:
    assert parse_event_text(b"Code=X;action=Pulse;index=0;data=[1,2]").errors[0].reason.startswith("data=")
    assert parse_event_text(b"hello there").errors[0].reason == "no Code= in the part"
    assert parse_event_text(b"  heartbeat \r\n").heartbeat
    gbk = "Code=AccessControl;action=Pulse;index=0;data={\"CardName\":\"张伟\"}".encode("gb18030")
    assert parse_event_text(gbk).records[0].data["CardName"] == "张伟"


_json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=8), kids, max_size=3),
    max_leaves=10,
)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["AccessControl", "TrafficJunction", "DoorStatus", "BreakIn"]),
    st.sampled_from(["Pulse", "Start", "Stop"]),
    st.integers(0, 64),
    st.dictionaries(st.text(min_size=1, max_size=12), _json_value, max_size=6),
    st.sampled_from([None, 1, 3]),
)
def test_random_field_values_round_trip(code: str, action: str, index: int, data: dict[str, object],
                                        indent: int | None) -> None:
    body = f"Code={code};action={action};index={index};data=".encode() + json.dumps(
        data, ensure_ascii=False, indent=indent).encode()
    parsed = parse_event_text(body)
    assert parsed.errors == ()
    [record] = parsed.records
    assert (record.code, record.action, record.index, dict(record.data)) == (code, action, index, data)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_parse_event_text_never_raises(data: bytes) -> None:
    parsed = parse_event_text(b"Code=AccessControl;action=Pulse;index=0;data=" + data)
    assert len(parsed.records) + len(parsed.errors) >= 1
