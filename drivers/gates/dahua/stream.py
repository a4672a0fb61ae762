"""Incremental splitter for Dahua's endless multipart/x-mixed-replace attach stream (pure, fed bytes)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = [
    "DEFAULT_BOUNDARY", "FOREIGN_BOUNDARY", "Garbage", "MultipartSplitter", "Part",
    "boundary_from_content_type",
]

DEFAULT_BOUNDARY = "myboundary"  # what Dahua firmware uses when the header does not say
MAX_PART = 1024 * 1024  # an event part is a few KB of JSON; anything bigger is not one
MAX_LINE = 64 * 1024  # a line this long without a newline is dropped while we look for a boundary
SAMPLE = 200  # bytes of discarded input kept for the WARNING line

FOREIGN_BOUNDARY = "a delimiter line of a different boundary"
_DELIMITER_LIKE = re.compile(rb"^--[0-9A-Za-z'()+_,./:=?-]{1,70}$")
_HEADER_LINE = re.compile(rb"^[A-Za-z0-9!#$%&'*+.^_`|~-]+[ \t]*:")
_BOUNDARY_PARAM = re.compile(r"""boundary\s*=\s*(?:"([^"]*)"|([^;\s]+))""", re.IGNORECASE)


def boundary_from_content_type(content_type: str | None) -> str | None:
    """The multipart boundary named in a Content-Type header, or None when there is none."""
    if not content_type:
        return None
    match = _BOUNDARY_PARAM.search(content_type)
    if match is None:
        return None
    value = match.group(1) if match.group(1) is not None else match.group(2)
    return value.strip() or None


@dataclass(frozen=True, slots=True)
class Part:
    """One part of the stream: its headers (names lower-cased) and its body bytes."""

    headers: dict[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


@dataclass(frozen=True, slots=True)
class Garbage:
    """Bytes that belonged to no part (between parts, or a part over the size cap)."""

    sample: bytes  # the first SAMPLE bytes
    size: int
    reason: str = "outside a part"


@dataclass
class _State:
    mode: str = "preamble"  # preamble | headers | body
    headers: dict[str, str] = field(default_factory=dict)
    length: int | None = None  # Content-Length of the current part, when it gave a usable one
    junk: bytearray = field(default_factory=bytearray)
    junk_size: int = 0


class MultipartSplitter:
    """Feed it the response body in chunks of any size; it returns the complete parts, in order.

    The result depends only on the bytes, never on how they were chunked. Tolerated quirks:
    the boundary given with or without its leading ``--`` (``boundary=--myboundary``) and delimiter
    lines with any number of leading dashes; parts without headers or without the blank line after
    them; a missing, short or overlong ``Content-Length`` (a delimiter line inside the declared length
    ends the part early; without a length the part ends at the next delimiter line).
    """

    def __init__(self, boundary: str | None = None, *, max_part: int = MAX_PART) -> None:
        core = (boundary or DEFAULT_BOUNDARY).strip().lstrip("-")
        self._core = (core or DEFAULT_BOUNDARY).encode("latin-1", "replace")
        self._max_part = max_part
        self._buf = bytearray()
        self._pos = 0  # start of the unconsumed bytes in _buf
        self._scan = 0  # where the body search for a delimiter line resumes (relative to _pos)
        self._st = _State()
        self.parts = 0
        self.discarded = 0  # bytes that were not whitespace and belonged to no part

    # -- public -------------------------------------------------------------------------------------
    @property
    def pending(self) -> int:
        """Bytes held back waiting for more input."""
        return len(self._buf) - self._pos

    def feed(self, data: bytes) -> list[Part | Garbage]:
        self._buf += data
        out: list[Part | Garbage] = []
        while self._step(out):
            pass
        if self._pos > 65536 or self._pos == len(self._buf):
            del self._buf[: self._pos]
            self._pos = 0
        return out

    def eof(self) -> list[Part | Garbage]:
        """The stream ended: a part cut short is discarded (reported as Garbage), never emitted."""
        out: list[Part | Garbage] = []
        rest = bytes(self._buf[self._pos :])
        st = self._st
        if st.mode == "preamble":
            self._junk(rest)
            self._flush_junk(out, "outside a part")
        elif st.mode == "body" or st.headers or rest.strip():
            self.discarded += len(rest)
            out.append(Garbage(rest[:SAMPLE], len(rest), "stream ended inside a part"))
        self._buf.clear()
        self._pos = 0
        self._st = _State()
        return out

    # -- machinery ----------------------------------------------------------------------------------
    def _line(self) -> bytes | None:
        """The next complete line (with its newline) without consuming it, or None."""
        end = self._buf.find(b"\n", self._pos)
        if end < 0:
            return None
        return bytes(self._buf[self._pos : end + 1])

    def _is_delimiter(self, line: bytes) -> bool:
        text = line.strip()
        if not text:
            return False
        text = text.lstrip(b"-")
        if text.endswith(b"--"):
            text = text[:-2]
        return text == self._core

    @staticmethod
    def _foreign(line: bytes) -> bool:
        text = line.strip()
        return bool(_DELIMITER_LIKE.match(text)) and re.search(rb"[0-9A-Za-z]", text) is not None

    def _step(self, out: list[Part | Garbage]) -> bool:
        st = self._st
        if st.mode == "preamble":
            line = self._line()
            if line is None:
                if self.pending > MAX_LINE:  # a newline-free flood: keep only what could start a line
                    keep = len(self._core) + 8
                    self._junk(bytes(self._buf[self._pos : len(self._buf) - keep]))
                    self._pos = len(self._buf) - keep
                return False
            self._pos += len(line)
            if self._is_delimiter(line):
                self._flush_junk(out, "outside a part")
                st.mode, st.headers, st.length = "headers", {}, None
            elif self._foreign(line):  # the server switched boundaries: nothing after this is ours
                self._flush_junk(out, "outside a part")
                self.discarded += len(line)
                out.append(Garbage(line[:SAMPLE], len(line), FOREIGN_BOUNDARY))
            else:
                self._junk(line)
            return True
        if st.mode == "headers":
            line = self._line()
            if line is None:
                if self.pending > MAX_LINE:
                    self._abandon(out, "header line too long")
                    return True
                return False
            stripped = line.strip()
            if not stripped:
                self._pos += len(line)
                self._enter_body()
                return True
            if self._is_delimiter(line):  # an empty part
                self._pos += len(line)
                st.headers, st.length = {}, None
                return True
            if _HEADER_LINE.match(stripped):
                self._pos += len(line)
                name, _, value = stripped.decode("latin-1").partition(":")
                st.headers[name.strip().lower()] = value.strip()
                return True
            self._enter_body()  # no blank line after the headers (or none at all): this line is body
            return True
        return self._body(out)

    def _enter_body(self) -> None:
        st = self._st
        st.mode = "body"
        self._scan = 0
        raw = st.headers.get("content-length", "").strip()
        st.length = int(raw) if raw.isdigit() and int(raw) <= self._max_part else None

    def _body(self, out: list[Part | Garbage]) -> bool:
        st = self._st
        available = len(self._buf) - self._pos
        limit = st.length if st.length is not None else self._max_part
        # Look for a delimiter line that lies completely inside the part's first `limit` bytes.
        start = self._pos + self._scan
        stop = self._pos + min(available, limit)
        while True:
            nl = self._buf.find(b"\n", start, stop)
            if nl < 0:
                break
            line_start = start  # every search starts at the beginning of a line
            line = bytes(self._buf[line_start : nl + 1])
            if self._is_delimiter(line):
                body = bytes(self._buf[self._pos : line_start])
                self._emit(out, body, trim=True)
                self._pos = nl + 1
                st.mode, st.headers, st.length = "headers", {}, None
                return True
            start = nl + 1
        # Resume the scan at the start of the last incomplete line next time.
        last_nl = self._buf.rfind(b"\n", self._pos, stop)
        self._scan = (last_nl + 1 - self._pos) if last_nl >= 0 else 0
        if st.length is not None and available >= st.length:
            self._emit(out, bytes(self._buf[self._pos : self._pos + st.length]), trim=False)
            self._pos += st.length
            st.mode = "preamble"  # whatever follows up to the next delimiter is not part of anything
            return True
        if st.length is None and available > self._max_part:
            self._abandon(out, f"part over {self._max_part} bytes without a boundary")
            return True
        return False

    def _emit(self, out: list[Part | Garbage], body: bytes, *, trim: bool) -> None:
        if trim:  # the CRLF before a delimiter line belongs to the delimiter (RFC 2046)
            if body.endswith(b"\r\n"):
                body = body[:-2]
            elif body.endswith(b"\n"):
                body = body[:-1]
        self.parts += 1
        out.append(Part(dict(self._st.headers), body))

    def _abandon(self, out: list[Part | Garbage], reason: str) -> None:
        take = min(len(self._buf) - self._pos, self._max_part + 1)
        self._junk(bytes(self._buf[self._pos : self._pos + take]))
        self._pos += take
        self._flush_junk(out, reason)
        self._st.mode = "preamble"

    def _junk(self, data: bytes) -> None:
        if not data.strip():
            return
        st = self._st
        room = SAMPLE - len(st.junk)
        if room > 0:
            st.junk += data[:room]
        st.junk_size += len(data)
        self.discarded += len(data)

    def _flush_junk(self, out: list[Part | Garbage], reason: str) -> None:
        st = self._st
        if st.junk_size:
            out.append(Garbage(bytes(st.junk), st.junk_size, reason))
        st.junk = bytearray()
        st.junk_size = 0
