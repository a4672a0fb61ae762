"""Property tests of the push listener's HTTP/1.1 protocol: any split of valid requests serves the same
requests in order; no byte sequence escapes as an exception or kills the connection silently."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.gates.push.http import Head, HttpConnection, HttpReply


@dataclass
class _Admitted:
    max_body: int = 1 << 20


@dataclass
class _Sink:
    served: list[tuple[str, str, bytes]] = field(default_factory=list)

    def admit(self, head: Head, length: int | None) -> HttpReply | _Admitted:
        return _Admitted()

    def too_large(self, head: Head, size: int, cap: int) -> HttpReply:
        return HttpReply(413)

    async def serve(self, head: Head, admission: Any, body: bytes) -> HttpReply:
        self.served.append((head.method, head.target, body))
        return HttpReply(200, b"ok")


class _Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.out = bytearray()
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.out += data

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 5000) if name == "peername" else default


def _feed(pieces: list[bytes]) -> tuple[_Sink, _Transport, list[BaseException]]:
    sink, transport, errors = _Sink(), _Transport(), []

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda _loop, context: errors.append(context.get("exception")))
        conn = HttpConnection(sink, lambda _c: None)
        conn.connection_made(transport)
        for piece in pieces:
            if transport.closed:
                break
            conn.data_received(piece)
            await asyncio.sleep(0)
        for _ in range(100):  # pipelined requests are served one after another: let them all run
            await asyncio.sleep(0)

    asyncio.run(scenario())
    return sink, transport, errors


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True) if b > a]


def _request(path: str, body: bytes, chunked: bool, name_case: str) -> bytes:
    length = "transfer-encoding: chunked" if chunked else f"content-length: {len(body)}"
    head = f"POST /{path} HTTP/1.1\r\nHost: device\r\n{length}\r\n\r\n"
    head = head.upper() if name_case == "upper" else head
    head = head.replace("POST /" + path.upper(), "POST /" + path).replace("HTTP/1.1".upper(), "HTTP/1.1")
    if not chunked:
        return head.encode() + body
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 7]), body[i:i + 7]) for i in range(0, len(body), 7))
    return head.encode() + chunks + b"0\r\n\r\n"


requests = st.lists(
    st.tuples(st.from_regex(r"[a-z0-9]{1,8}", fullmatch=True), st.binary(max_size=60), st.booleans(),
              st.sampled_from(["lower", "upper"])),
    min_size=1, max_size=5,
)


@settings(max_examples=150, deadline=None)
@given(requests, st.lists(st.integers(min_value=0), max_size=12))
def test_pipelined_requests_split_anywhere_are_served_in_order(
    reqs: list[tuple[str, bytes, bool, str]], cuts: list[int]
) -> None:
    wire = b"".join(_request(*r) for r in reqs)
    sink, transport, errors = _feed(_split(wire, cuts))
    assert errors == []
    assert sink.served == [("POST", f"/{path}", body) for path, body, _, _ in reqs]
    assert transport.out.count(b"HTTP/1.1 200 OK") == len(reqs) and not transport.closed


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300), st.lists(st.integers(min_value=0), max_size=8))
def test_any_bytes_get_an_answer_or_wait_and_never_raise(data: bytes, cuts: list[int]) -> None:
    sink, transport, errors = _feed(_split(data, cuts))
    assert errors == []
    if transport.closed:  # refused: never silently, always with an error reply
        assert re.search(rb"HTTP/1\.1 [45]\d\d ", transport.out), bytes(transport.out)


@given(st.sampled_from(["²", "³", "¹", "٣", "+1", "1_0", "0x1", "-1", "1.0", "", "1 1"]))
def test_odd_content_lengths_are_refused_with_400(length: str) -> None:
    wire = f"POST /p HTTP/1.1\r\nContent-Length: {length}\r\n\r\n".encode("utf-8", "replace")
    latin = f"POST /p HTTP/1.1\r\nContent-Length: {length}\r\n\r\n".encode("latin-1", "replace")
    for data in (wire, latin):
        _refused_with_400(data)


def _refused_with_400(wire: bytes) -> None:
    sink, transport, errors = _feed([wire])
    assert errors == [] and sink.served == []
    assert transport.out.startswith(b"HTTP/1.1 400") and transport.closed


@given(st.sampled_from(["+5", "0x5", "5_0", "-5", "g", "5 5"]))
def test_odd_chunk_sizes_are_refused_with_400(size: str) -> None:
    _refused_with_400(
        f"POST /p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n{size}\r\nhello\r\n0\r\n\r\n".encode())
