"""The alertStream splitter: any chunking gives the same parts; bad lengths, garbage and boundary changes."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.gates.hikvision.multipart import (
    MultipartSplitter,
    Part,
    SplitProblem,
    boundary_from_content_type,
)
from drivers.gates.hikvision.scenarios import fake_jpeg, keepalive_xml, render_part

B = "MIME_boundary"
JSON = b'{\n "eventType": "AccessControllerEvent",\n "AccessControllerEvent": {"serialNo": 1}\n}'
XML = (b'<?xml version="1.0"?>\r\n<EventNotificationAlert><eventType>ANPR</eventType>\r\n'
       b"</EventNotificationAlert>\r\n")
JPEG = fake_jpeg(random.Random(7), 300)

Item = Part | SplitProblem


def sample_stream() -> bytes:
    """Keep-alive, JSON with a right length, a JPEG without one, XML with a wrong one, garbage, JSON."""
    return (
        b"\r\n"
        + render_part(B, 'application/xml; charset="UTF-8"', keepalive_xml())
        + render_part(B, "application/json; charset=UTF-8", JSON)
        + render_part(B, "image/jpeg", JPEG, length=False)
        + render_part(B, "application/xml", XML, length=len(XML) + 40)
        + render_part(B, "application/json", b"{}", length=1)
        + render_part(B, "image/jpeg", JPEG, extra={"Content-Disposition": 'attachment; filename="p.jpg"'})
        + f"--{B}\r\n".encode()
    )


def feed_all(chunks: list[bytes]) -> list[Item]:
    splitter = MultipartSplitter(B)
    out: list[Item] = []
    for chunk in chunks:
        out += splitter.feed(chunk)
    return out + splitter.eof()


def test_parts_content_and_length_handling() -> None:
    items = feed_all([sample_stream()])
    assert all(isinstance(i, Part) for i in items)
    parts = [i for i in items if isinstance(i, Part)]
    assert [p.content_type for p in parts] == ["application/xml", "application/json", "image/jpeg",
                                               "application/xml", "application/json", "image/jpeg"]
    assert parts[0].data == keepalive_xml()
    assert parts[1].data == JSON and not parts[1].length_mismatch
    assert parts[2].data == JPEG and not parts[2].length_mismatch  # no Content-Length: read by boundary
    assert parts[3].data == XML and parts[3].length_mismatch  # Content-Length too big: the boundary wins
    assert parts[4].data == b"{}" and parts[4].length_mismatch  # too small: the boundary wins too
    assert parts[5].data == JPEG and parts[5].filename == "p.jpg"


def test_split_at_every_byte_offset_gives_identical_parts() -> None:
    stream = sample_stream()
    whole = feed_all([stream])
    for cut in range(len(stream) + 1):
        assert feed_all([stream[:cut], stream[cut:]]) == whole, cut


def test_byte_by_byte() -> None:
    stream = sample_stream()
    assert feed_all([stream[i : i + 1] for i in range(len(stream))]) == feed_all([stream])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(min_value=1, max_value=400), min_size=1, max_size=60))
def test_random_chunking(sizes: list[int]) -> None:
    stream = sample_stream()
    chunks, at = [], 0
    for size in sizes * (len(stream) // max(1, sum(sizes)) + 1):
        if at >= len(stream):
            break
        chunks.append(stream[at : at + size])
        at += size
    chunks.append(stream[at:])
    assert feed_all(chunks) == feed_all([stream])


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=600), st.integers(min_value=0, max_value=5))
def test_garbage_never_raises_and_is_reported(garbage: bytes, where: int) -> None:
    stream = sample_stream()
    cut = [0, len(render_part(B, "application/json", JSON)), len(stream) // 2, len(stream)][min(where, 3)]
    data = stream[:cut] + garbage + stream[cut:]
    out = feed_all([data])
    # Whatever the garbage, the parser answers with parts and problems, never an exception, and the
    # same whatever the chunking.
    assert feed_all([data[i : i + 97] for i in range(0, len(data), 97)]) == out


def test_garbage_before_first_delimiter_is_reported_not_fatal() -> None:
    out = feed_all([b"HTTP junk\r\n" + render_part(B, "application/json", JSON) + f"--{B}\r\n".encode()])
    assert isinstance(out[0], SplitProblem) and out[0].reason == "garbage" and not out[0].fatal
    assert out[0].raw.startswith(b"HTTP junk")
    assert isinstance(out[1], Part) and out[1].data == JSON


def test_boundary_change_mid_stream_is_fatal_after_the_last_good_part() -> None:
    stream = render_part(B, "application/json", JSON)
    stream += render_part("other_boundary", "application/json", b"{}")
    for cut in range(len(stream) + 1):
        out = feed_all([stream[:cut], stream[cut:]])
        assert [type(i) for i in out] == [Part, SplitProblem], cut
        assert out[0].data == JSON  # type: ignore[union-attr]
        problem = out[1]
        assert isinstance(problem, SplitProblem) and problem.reason == "boundary_changed" and problem.fatal


def test_stream_with_a_different_boundary_from_the_start() -> None:
    splitter = MultipartSplitter(B)
    out = splitter.feed(render_part("xyz", "application/json", JSON))
    assert len(out) == 1 and isinstance(out[0], SplitProblem) and out[0].reason == "boundary_changed"
    assert splitter.failed and splitter.feed(b"anything") == []


def test_no_boundary_at_all_gives_up_after_the_cap() -> None:
    splitter = MultipartSplitter(B, max_garbage=1000)
    out: list[Item] = []
    for _ in range(20):
        out += splitter.feed(b"x" * 200)
    assert [p.reason for p in out if isinstance(p, SplitProblem)] == ["boundary_missing"]
    assert splitter.failed


def test_oversize_part_is_dropped_and_the_stream_goes_on() -> None:
    big = b"\xff" * 5000
    stream = render_part(B, "image/jpeg", big, length=False) + render_part(B, "application/json", JSON)
    stream += f"--{B}\r\n".encode()
    for chunks in ([stream], [stream[i : i + 700] for i in range(0, len(stream), 700)]):
        splitter = MultipartSplitter(B, max_part=1000)
        out = [i for c in chunks for i in splitter.feed(c)]
        assert [type(i) for i in out] == [SplitProblem, Part]
        assert out[0].reason == "oversize" and out[1].data == JSON  # type: ignore[union-attr]


def test_bad_part_headers_skip_to_the_next_part() -> None:
    stream = f"--{B}\r\nthis is not a header\r\n\r\nbody\r\n".encode()
    stream += render_part(B, "application/json", JSON)
    out = feed_all([stream + f"--{B}\r\n".encode()])
    assert isinstance(out[0], SplitProblem) and out[0].reason == "bad_headers"
    assert isinstance(out[1], Part) and out[1].data == JSON


def test_settle_delivers_a_part_complete_by_length_without_the_next_delimiter() -> None:
    splitter = MultipartSplitter(B)
    part = render_part(B, "application/json", JSON)
    assert splitter.feed(part) == []  # no closing delimiter yet
    assert splitter.settleable
    settled = splitter.settle()
    assert len(settled) == 1 and isinstance(settled[0], Part) and settled[0].data == JSON
    nxt = render_part(B, "application/json", b"{}")
    assert splitter.feed(nxt + f"--{B}\r\n".encode()) == [Part({"content-type": "application/json",
                                                                "content-length": "2"}, b"{}")]


def test_settle_waits_when_the_length_is_contradicted_or_missing() -> None:
    splitter = MultipartSplitter(B)
    splitter.feed(render_part(B, "application/json", JSON, length=5))  # too short: text follows
    assert not splitter.settleable and splitter.settle() == []
    splitter = MultipartSplitter(B)
    splitter.feed(render_part(B, "application/json", JSON, length=False))
    assert not splitter.settleable


def test_eof_reports_a_cut_part_and_delivers_a_complete_one() -> None:
    splitter = MultipartSplitter(B)
    splitter.feed(render_part(B, "image/jpeg", JPEG)[:-200])
    cut = splitter.eof()
    assert len(cut) == 1 and isinstance(cut[0], SplitProblem) and cut[0].reason == "truncated"
    splitter = MultipartSplitter(B)
    splitter.feed(render_part(B, "image/jpeg", JPEG))
    done = splitter.eof()
    assert len(done) == 1 and isinstance(done[0], Part) and done[0].data == JPEG


def test_close_delimiter_and_lf_only_lines() -> None:
    stream = f"--{B}\nContent-Type: application/json\n\n{{}}\n--{B}--\n".encode()
    out = feed_all([stream])
    assert out == [Part({"content-type": "application/json"}, b"{}")]


def test_boundary_from_content_type() -> None:
    assert boundary_from_content_type("multipart/mixed; boundary=MIME_boundary") == "MIME_boundary"
    assert boundary_from_content_type('multipart/mixed; boundary="abc def"') == "abc def"
    assert boundary_from_content_type("multipart/mixed") is None
    assert boundary_from_content_type("application/json") is None
    assert boundary_from_content_type("") is None


_bodies = st.lists(st.tuples(st.sampled_from(["application/json", "application/xml", "image/jpeg"]),
                             st.binary(max_size=300), st.booleans()), min_size=1, max_size=6)


@settings(max_examples=150, deadline=None)
@given(_bodies, st.data())
def test_random_parts_round_trip_under_random_chunking(parts: list[tuple[str, bytes, bool]],
                                                       data: st.DataObject) -> None:
    boundary = data.draw(st.text("abcdefghijklmnopqrstuvwxyz0123456789_-'()+,./:=?", min_size=1, max_size=40))
    delimiter = ("--" + boundary).encode()
    # A body that contains the delimiter cannot be framed by anyone; devices pick boundaries that avoid it.
    parts = [(t, b, cl) for t, b, cl in parts if delimiter not in b and not b.endswith(delimiter[:-1])]
    stream = b"".join(render_part(boundary, t, b, length=cl) for t, b, cl in parts) + delimiter + b"\r\n"
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=8)))
    chunks = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)]
    splitter = MultipartSplitter(boundary)
    out = [item for chunk in chunks for item in splitter.feed(chunk)]
    got = [(p.content_type, p.data) for p in out if isinstance(p, Part)]
    expected = [(t, b) for t, b, _ in parts]
    if all(cl for _, _, cl in parts):
        assert got == expected
    else:
        # Without Content-Length a body's trailing CR/LF cannot be told from the delimiter's line break.
        assert [(t, b.rstrip(b"\r\n")) for t, b in got] == [(t, b.rstrip(b"\r\n")) for t, b in expected]
