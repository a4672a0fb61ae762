"""The push listener's own HTTP/1.1 protocol over raw sockets, and the batcher that shares store jobs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

import pytest

from drivers.base import DeviceEvent, EventState, Priority
from drivers.gates.push import listener as listener_mod
from drivers.gates.push.batch import IngestBatcher
from drivers.gates.push.listener import PushReply, PushRequest, acquire_listener

HOST = "127.0.0.1"


def run(coro: Awaitable[Any]) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 30))  # type: ignore[arg-type]


class Echo:
    """Replies with the body it got, after ``delay``; remembers every request."""

    def __init__(self, delay: float = 0.0) -> None:
        self.seen: list[PushRequest] = []
        self.delay = delay

    async def __call__(self, request: PushRequest) -> PushReply:
        if self.delay:
            await asyncio.sleep(self.delay)
        self.seen.append(request)
        return PushReply(body=b"got " + request.body)


async def exchange(port: int, data: bytes, replies: int, *, close: bool = False) -> list[tuple[int, bytes]]:
    """Send raw bytes, read ``replies`` responses (status, body) off the same connection."""
    reader, writer = await asyncio.open_connection(HOST, port)
    writer.write(data)
    if close:
        writer.write_eof()
    out = []
    try:
        while len(out) < replies:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ")[1])
            if status == 100:
                continue
            fields = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
            length = int(fields["content-length"])
            out.append((status, await reader.readexactly(length)))
    finally:
        writer.close()
    return out


def post(path: str, body: bytes, *extra: str) -> bytes:
    head = [f"POST {path} HTTP/1.1", "Host: x", f"Content-Length: {len(body)}", *extra]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def test_pipelined_requests_are_answered_in_order_one_at_a_time() -> None:
    async def scenario() -> None:
        lis = await acquire_listener(HOST, 0)
        echo = Echo(delay=0.01)
        lis.register("/p/", echo)
        try:
            data = post("/p/a", b"one") + post("/p/b", b"two") + post("/p/c?x=1&y=", b"three")
            assert await exchange(lis.port, data, 3) == [(200, b"got one"), (200, b"got two"),
                                                         (200, b"got three")]
            assert [r.path for r in echo.seen] == ["/p/a", "/p/b", "/p/c"]
            assert dict(echo.seen[2].query) == {"x": "1", "y": ""}
            assert echo.seen[0].headers["content-length"] == "3"  # header names are case-insensitive
            assert echo.seen[0].content_type == "application/octet-stream"  # none sent
        finally:
            await lis.release()

    run(scenario())


def test_chunked_body_with_extensions_and_trailers_and_expect_continue() -> None:
    async def scenario() -> None:
        lis = await acquire_listener(HOST, 0)
        echo = Echo()
        lis.register("/c/", echo)
        try:
            head = (b"POST /c/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n"
                    b"Content-Type: Application/JSON; charset=utf-8\r\n\r\n")
            body = b"3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: 1\r\n\r\n"
            assert await exchange(lis.port, head + body + post("/c/", b"x"), 2) == [
                (200, b"got abcde"), (200, b"got x")]
            assert echo.seen[0].content_type == "application/json"
        finally:
            await lis.release()

    run(scenario())


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"GARBAGE\r\n\r\n", 400),
        (b"POST /x HTTP/2.0\r\n\r\n", 400),
        (b"POST /x HTTP/1.1\r\nBad Header: 1\r\n\r\n", 400),
        (b"POST /x HTTP/1.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        (b"POST /x HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400),
        (b"POST /x HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
        (b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
        (b"POST /x HTTP/1.1\r\nX: " + b"a" * 9000 + b"\r\n\r\n", 431),
    ],
)
def test_malformed_requests_get_a_clear_status_and_a_closed_connection(
    raw: bytes, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> None:
        lis = await acquire_listener(HOST, 0)
        echo = Echo()
        lis.register("/x", echo)
        try:
            reader, writer = await asyncio.open_connection(HOST, lis.port)
            writer.write(raw)
            answer = await reader.read()  # the server closes after its answer
            writer.close()
            assert answer.startswith(f"HTTP/1.1 {status} ".encode()) and b"Connection: close" in answer
            assert not echo.seen
        finally:
            await lis.release()

    with caplog.at_level(logging.WARNING):
        run(scenario())
    assert any("refused" in r.getMessage() for r in caplog.records)  # with the raw bytes


def test_a_head_too_large_without_its_end_is_refused() -> None:
    async def scenario() -> None:
        lis = await acquire_listener(HOST, 0)
        lis.register("/x", Echo())
        try:
            reader, writer = await asyncio.open_connection(HOST, lis.port)
            writer.write(b"POST /x HTTP/1.1\r\n" + b"X-A: b\r\n" * 10_000)
            answer = await reader.read()
            writer.close()
            assert answer.startswith(b"HTTP/1.1 431 ")
        finally:
            await lis.release()

    run(scenario())


def test_http_10_closes_and_head_gets_no_body_and_half_close_still_answers() -> None:
    async def scenario() -> None:
        lis = await acquire_listener(HOST, 0)
        lis.register("/h", Echo(delay=0.02))
        try:
            reader, writer = await asyncio.open_connection(HOST, lis.port)
            writer.write(b"GET /h HTTP/1.0\r\n\r\n")
            answer = await reader.read()
            writer.close()
            assert answer.startswith(b"HTTP/1.1 200 ") and answer.endswith(b"got ")
            reader, writer = await asyncio.open_connection(HOST, lis.port)
            writer.write(b"HEAD /h HTTP/1.1\r\nConnection: close\r\n\r\n")
            answer = await reader.read()
            writer.close()
            assert answer.startswith(b"HTTP/1.1 200 ") and answer.endswith(b"\r\n\r\n")
            assert b"Content-Length: 4" in answer
            # The device sends its event and half-closes at once: it still gets its answer.
            assert await exchange(lis.port, post("/h", b"late"), 1, close=True) == [(200, b"got late")]
        finally:
            await lis.release()

    run(scenario())


def test_a_refused_body_is_skipped_and_the_connection_stays_usable(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        lis = await acquire_listener(HOST, 0)
        lis.register("/cap/", Echo(), max_body=10)
        try:
            chunked = (b"POST /cap/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                       b"8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n")
            data = post("/nowhere", b"abc") + post("/cap/", b"x" * 50) + chunked + post("/cap/", b"ok")
            assert await exchange(lis.port, data, 4) == [
                (404, b"no such route\n"), (413, b"body too large\n"), (413, b"body too large\n"),
                (200, b"got ok")]
        finally:
            await lis.release()

    with caplog.at_level(logging.WARNING, logger=listener_mod.__name__):
        run(scenario())
    assert len([r for r in caplog.records if "cap" in r.getMessage()]) == 2


def test_idle_connections_are_swept_and_release_waits_for_a_request_under_way(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(listener_mod, "KEEPALIVE_S", 0.2)

    async def scenario() -> None:
        lis = await acquire_listener(HOST, 0)
        lis.register("/s", Echo(delay=0.3))
        idle_reader, idle_writer = await asyncio.open_connection(HOST, lis.port)
        assert await asyncio.wait_for(idle_reader.read(), 2) == b""  # closed by the sweep
        idle_writer.close()
        reader, writer = await asyncio.open_connection(HOST, lis.port)
        writer.write(post("/s", b"slow"))
        await asyncio.sleep(0.05)  # the handler is running
        await lis.release()
        answer = await reader.read()
        writer.close()
        assert answer.startswith(b"HTTP/1.1 200 ") and answer.endswith(b"got slow")

    run(scenario())


# -- the batcher -----------------------------------------------------------------------------------------


def _event(n: int) -> DeviceEvent:
    return DeviceEvent(f"gate-{n % 3}", "gate.pass", EventState.INFO, Priority.INFO, f"e{n}",
                       dedup_key=f"k{n}")


class FakeContext:
    """Stores with a delay, numbering events from 1; ``fail`` makes the next store job raise."""

    def __init__(self) -> None:
        self.jobs: list[list[str]] = []
        self.fail = False

    async def ingest_many(self, events: list[DeviceEvent]) -> list[int]:
        await asyncio.sleep(0.01)
        if self.fail:
            raise RuntimeError("disk full")
        first = sum(len(j) for j in self.jobs) + 1
        self.jobs.append([e.summary for e in events])
        return list(range(first, first + len(events)))


def test_batcher_shares_one_store_job_per_loop_pass_and_answers_each_request_with_its_own_ids() -> None:
    async def scenario() -> None:
        batcher, ctx = IngestBatcher(), FakeContext()
        first = [batcher.ingest(ctx, [_event(n)]) for n in range(3)]  # type: ignore[arg-type]
        pair = batcher.ingest(ctx, [_event(3), _event(4)])  # type: ignore[arg-type]
        assert not any(f.done() for f in [*first, pair])  # nothing answers before the commit
        assert [await f for f in first] == [[1], [2], [3]] and await pair == [4, 5]
        later = await batcher.ingest(ctx, [_event(5)])  # type: ignore[arg-type]
        assert later == [6] and ctx.jobs == [["e0", "e1", "e2", "e3", "e4"], ["e5"]]
        assert batcher.batches == 2

    run(scenario())


def test_batcher_failure_reaches_every_request_and_a_cancelled_one_does_not_stop_the_rest() -> None:
    async def scenario() -> None:
        batcher, ctx = IngestBatcher(), FakeContext()
        ctx.fail = True
        futures = [batcher.ingest(ctx, [_event(n)]) for n in range(2)]  # type: ignore[arg-type]
        for future in futures:
            with pytest.raises(RuntimeError, match="disk full"):
                await future
        ctx.fail = False
        gone = batcher.ingest(ctx, [_event(7)])  # type: ignore[arg-type]
        kept = batcher.ingest(ctx, [_event(8)])  # type: ignore[arg-type]
        gone.cancel()  # the device hung up while its event was being stored
        assert await kept == [2] and ctx.jobs == [["e7", "e8"]]  # stored all the same: a replay dedups

    run(scenario())
