"""A lean HTTP/1.1 server protocol for the push listener: keep-alive, Content-Length or chunked bodies."""

# Devices post small bodies one at a time and wait for each reply, so the cost per request is the whole
# story: aiohttp's request, stream, task and response objects cost more loop time than decoding the
# event. This protocol parses a head with a few string operations, asks the listener what to do with it
# before any body is read (route, authentication, size cap, overload), collects the body within the cap,
# and runs the handler as one task per request.

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Protocol

from multidict import CIMultiDict, CIMultiDictProxy

__all__ = ["Admission", "Head", "HttpConnection", "HttpReply", "RequestSink"]

log = logging.getLogger(__name__)

MAX_HEAD = 64 * 1024  # request line and headers together
MAX_LINE = 8190  # one request line or header line, as aiohttp allows
MAX_HEADERS = 128
MAX_CHUNK_LINE = 1024
MAX_DROP = 64 * 1024 * 1024  # body bytes of a refused request read to keep the connection, at most
_CHUNK_END, _TRAILERS = -1, -2  # _remaining while a chunk's CRLF or the trailers are expected
_PAUSE_AT = 1024 * 1024  # buffered bytes of pipelined requests before reading pauses
_CRLF = b"\r\n"
_HEX_DIGITS = b"0123456789abcdefABCDEF"


@dataclass(frozen=True, slots=True)
class Head:
    """A request line and its headers."""

    method: str
    target: str  # the request target as sent: path and query, still percent-encoded
    version: str  # "HTTP/1.1" or "HTTP/1.0"
    headers: CIMultiDictProxy[str]
    peer: str  # remote IP


@dataclass(frozen=True, slots=True)
class HttpReply:
    status: int
    body: bytes = b""
    content_type: str = "text/plain"
    headers: tuple[tuple[str, str], ...] = ()  # extra headers (WWW-Authenticate, Retry-After ...)


class Admission(Protocol):
    """What the listener decided about a request before its body: where it goes, how big it may be."""

    max_body: int


class RequestSink(Protocol):
    """The listener, as the protocol sees it."""

    def admit(self, head: Head, length: int | None) -> HttpReply | Admission:
        """Before the body (``length`` None when chunked): a reply that ends the request, or its admission."""

    def too_large(self, head: Head, size: int, cap: int) -> HttpReply:
        """The reply to a chunked body that grew past its cap (logged by the listener)."""

    def serve(self, head: Head, admission: Admission, body: bytes) -> Awaitable[HttpReply]:
        """The reply to an admitted request whose whole body has arrived."""


def reply_bytes(reply: HttpReply, *, close: bool, head_only: bool = False) -> bytes:
    try:
        reason = HTTPStatus(reply.status).phrase
    except ValueError:
        reason = "Unknown"
    lines = [f"HTTP/1.1 {reply.status} {reason}", f"Content-Type: {reply.content_type}",
             f"Content-Length: {len(reply.body)}"]
    lines += [f"{name}: {value}" for name, value in reply.headers]
    if close:
        lines.append("Connection: close")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head if head_only else head + reply.body


_BAD = HttpReply(400, b"bad request\n")
_HEAD_TOO_LARGE = HttpReply(431, b"request header fields too large\n")
_BODY_TOO_LARGE = HttpReply(413, b"body too large\n")
_FAILED = HttpReply(500, b"internal error\n")
_UNSUPPORTED = HttpReply(501, b"transfer coding not implemented\n")
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class _Refused(Exception):
    """The request cannot be parsed: answer with ``reply`` and close the connection."""

    def __init__(self, reply: HttpReply, why: str) -> None:
        super().__init__(why)
        self.reply = reply


class HttpConnection(asyncio.Protocol):
    """One client connection. Requests are served one at a time, in order; bytes of a pipelined next
    request wait in the buffer until the current reply has been written."""

    def __init__(self, sink: RequestSink, on_close: Callable[[HttpConnection], None]) -> None:
        self._sink = sink
        self._on_close = on_close
        self._transport: asyncio.Transport | None = None
        self._loop = asyncio.get_running_loop()  # protocols are made inside the loop that serves them
        self._peer = "?"
        self._buf = bytearray()
        self._head: Head | None = None  # the request whose body is being read
        self._remaining = 0  # body bytes still expected (Content-Length)
        self._chunked = False
        self._admission: Admission | None = None
        self._body = bytearray()
        self._dropped = 0  # body bytes of a refused request read so far
        self._busy = False  # a handler is running, or a reply is queued
        self._closing = False
        self._paused = False
        self.last_active = 0.0  # loop time of the last bytes in or reply out, for the idle sweep
        self.task: asyncio.Task[None] | None = None

    # -- asyncio.Protocol ---------------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        peer = transport.get_extra_info("peername")
        self._peer = str(peer[0]) if isinstance(peer, tuple) and peer else "?"
        self.last_active = self._loop.time()

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        self._closing = True
        self._on_close(self)

    def data_received(self, data: bytes) -> None:
        self.last_active = self._loop.time()
        self._buf += data
        if not self._busy:
            self._advance()
        elif len(self._buf) > _PAUSE_AT and self._transport is not None and not self._paused:
            self._paused = True  # a client pipelining without end waits for its replies
            self._transport.pause_reading()

    def eof_received(self) -> bool:
        # A device that half-closes is done sending: answer what is under way, then close.
        self._closing = True
        return self._busy

    # -- state ----------------------------------------------------------------------------------------------

    def close(self) -> None:
        """Close now if no request is under way, else once its reply is written."""
        self._closing = True
        if self._transport is not None and not self._busy:
            self._transport.close()

    def _advance(self) -> None:
        """Parse what the buffer holds: the next head, or the body of the request under way."""
        try:
            while self._transport is not None and not self._busy:
                done = self._read_head() if self._head is None else self._read_body()
                if not done:
                    return
        except _Refused as refused:
            log.warning("push: request from %s refused: %s; raw %r", self._peer, refused,
                        bytes(self._buf[:200]))
            self._write(refused.reply, close=True)

    def _read_head(self) -> bool:
        """Take one request head from the buffer; False when it is not all there yet."""
        end = self._buf.find(b"\r\n\r\n")
        if end < 0 or end > MAX_HEAD:
            if len(self._buf) > MAX_HEAD:
                raise _Refused(_HEAD_TOO_LARGE, f"request head over {MAX_HEAD} bytes")
            return False
        # One latin-1 decode of the whole head: every byte maps to one character, and text is cheaper to
        # split and compare than many small bytes objects.
        text = self._buf[:end].decode("latin-1")
        del self._buf[: end + 4]
        if text.startswith("\r\n"):  # RFC 9112 2.2: ignore empty lines before a request line
            text = text.lstrip("\r\n")
            if not text:
                return True
        lines = text.split("\r\n")
        if len(lines) > MAX_HEADERS + 1 or max(map(len, lines)) > MAX_LINE:
            raise _Refused(_HEAD_TOO_LARGE, "too many or too long header lines")
        request_line = lines[0]
        try:
            method, target, version = request_line.split(" ")
        except ValueError:
            raise _Refused(_BAD, f"bad request line {request_line[:100]!r}") from None
        if (version not in ("HTTP/1.1", "HTTP/1.0") or not method.isalpha() or not target.startswith("/")
                or not request_line.isascii()):
            raise _Refused(_BAD, f"bad request line {request_line[:100]!r}")
        pairs = []
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep or not name or " " in name or "\t" in name:
                raise _Refused(_BAD, f"bad header line {line[:100]!r}")
            pairs.append((name, value.strip(" \t")))
        fields = CIMultiDict(pairs)
        head = Head(method, target, version, CIMultiDictProxy(fields), self._peer)
        length = self._framing(head)
        verdict = self._sink.admit(head, length)
        self._head, self._body, self._dropped = head, bytearray(), 0
        if isinstance(verdict, HttpReply):
            # Answer now; the body, if any, is read and dropped so the connection stays usable.
            self._admission = None
            self._write(verdict, close=self._closes(head))
        else:
            self._admission = verdict
            if fields.get("Expect", "").lower() == "100-continue" and self._transport is not None:
                self._transport.write(_CONTINUE)
        return True

    def _framing(self, head: Head) -> int | None:
        """Body length from Content-Length, or None for a chunked body (``_chunked`` set)."""
        coding = head.headers.get("Transfer-Encoding")
        lengths = head.headers.getall("Content-Length", [])
        self._chunked = False
        if coding is not None:
            if lengths:  # RFC 9112 6.1: both is a smuggling attempt or a broken client
                raise _Refused(_BAD, "both Transfer-Encoding and Content-Length")
            if coding.strip().lower() != "chunked":
                raise _Refused(_UNSUPPORTED, f"Transfer-Encoding {coding!r}")
            self._chunked = True
            self._remaining = 0
            return None
        if not lengths:
            self._remaining = 0
            return 0
        # isascii too: str.isdigit() accepts superscripts and other scripts' digits, which int() refuses.
        if len(set(lengths)) != 1 or not (lengths[0].isascii() and lengths[0].isdigit()):
            raise _Refused(_BAD, f"bad Content-Length {lengths!r}")
        self._remaining = int(lengths[0])
        return self._remaining

    def _take(self, count: int) -> None:
        """Move up to ``count`` buffered bytes into the body (or drop them, for a refused request)."""
        take = min(count, len(self._buf))
        if self._admission is not None:
            self._body += self._buf[:take]
        else:
            self._dropped += take
            if self._dropped > MAX_DROP:
                raise _Refused(_BODY_TOO_LARGE, f"over {MAX_DROP} bytes of a refused body")
        del self._buf[:take]
        self._remaining -= take

    def _read_body(self) -> bool:
        """Read the body under way; False while more is to come. A complete admitted request starts its
        handler; a refused one (already answered) is forgotten."""
        if self._chunked:
            if not self._read_chunks():
                return False
        else:
            self._take(self._remaining)
            if self._remaining:
                return False
        head, admission, body = self._head, self._admission, bytes(self._body)
        self._head, self._admission, self._body = None, None, bytearray()
        if head is None or admission is None:
            return True
        self._busy = True
        self.task = self._loop.create_task(self._respond(head, admission, body))
        return False

    def _read_chunks(self) -> bool:
        """Decode chunks into the body; True once the last chunk and its trailers are in."""
        while True:
            if self._remaining > 0:  # inside a chunk's data
                self._take(self._remaining)
                if self._remaining:
                    return False
                self._remaining = _CHUNK_END
            if self._remaining == _CHUNK_END:
                if len(self._buf) < 2:
                    return False
                if self._buf[:2] != _CRLF:
                    raise _Refused(_BAD, "chunk data not followed by CRLF")
                del self._buf[:2]
                self._remaining = 0
            if self._remaining == _TRAILERS:  # after the last chunk, up to an empty line
                end = self._buf.find(_CRLF)
                if end < 0:
                    if len(self._buf) > MAX_HEAD:
                        raise _Refused(_HEAD_TOO_LARGE, "chunked trailers too large")
                    return False
                del self._buf[: end + 2]
                if end == 0:
                    self._remaining = 0
                    return True
                continue
            end = self._buf.find(_CRLF)
            if end < 0:
                if len(self._buf) > MAX_CHUNK_LINE:
                    raise _Refused(_BAD, "chunk size line too long")
                return False
            size_text = bytes(self._buf[:end]).split(b";", 1)[0].strip(b" \t")
            del self._buf[: end + 2]
            # Hex digits only (RFC 9112 7.1): int(..., 16) would also take "+5", "0x5" and "5_0".
            if not size_text or size_text.strip(_HEX_DIGITS):
                raise _Refused(_BAD, f"bad chunk size {size_text[:20]!r}")
            size = int(size_text, 16)
            if size == 0:
                self._remaining = _TRAILERS
                continue
            admission = self._admission
            if admission is not None and len(self._body) + size > admission.max_body:
                assert self._head is not None
                self._write(self._sink.too_large(self._head, len(self._body) + size, admission.max_body),
                            close=self._closes(self._head))
                self._admission, self._body = None, bytearray()  # the rest is read and dropped
            self._remaining = size

    async def _respond(self, head: Head, admission: Admission, body: bytes) -> None:
        try:
            reply = await self._sink.serve(head, admission, body)
        except Exception:  # the listener answers handler failures itself; this is a bug of ours
            log.exception("push: serving %s %s from %s failed", head.method, head.target, head.peer)
            reply = _FAILED
        finally:
            self._busy = False
        self._write(reply, close=self._closes(head), head_only=head.method == "HEAD")
        self.last_active = self._loop.time()
        if self._paused and self._transport is not None and not self._closing:
            self._paused = False
            self._transport.resume_reading()
        if self._buf and not self._closing:
            self._advance()

    def _closes(self, head: Head) -> bool:
        connection = head.headers.get("Connection", "").lower()
        if head.version == "HTTP/1.0":
            return "keep-alive" not in connection or self._closing
        return "close" in connection or self._closing

    def _write(self, reply: HttpReply, *, close: bool, head_only: bool = False) -> None:
        transport = self._transport
        if transport is None:
            return
        transport.write(reply_bytes(reply, close=close, head_only=head_only))
        if close:
            self._closing = True
            self._busy = True  # nothing more is read from this connection
            transport.close()
