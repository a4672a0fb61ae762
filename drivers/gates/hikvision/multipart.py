"""Incremental multipart splitter for the alertStream: fed bytes in any chunking, yields parts by boundary."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import Message

MAX_PART_BYTES = 8 * 1024 * 1024
MAX_HEADER_BYTES = 16 * 1024
MAX_GARBAGE_BYTES = 256 * 1024
_RAW_SHOWN = 200
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_EMPTY_HEADERS = re.compile(rb"\A\r?\n")
# A delimiter line that is not ours, followed by a part header: the device changed its boundary.
_FOREIGN = re.compile(rb"(?:\A|\n)--([!-~]{1,70})[ \t]*\r?\n(?i:content-(?:type|length|disposition))")
_FOREIGN_SPAN = 128  # longer than any _FOREIGN match: bytes kept back so a cut one is seen whole later


def boundary_from_content_type(value: str) -> str | None:
    """The ``boundary`` parameter of a multipart Content-Type header, or None if there is none."""
    msg = Message()
    msg["content-type"] = value
    if msg.get_content_maintype() != "multipart":
        return None
    boundary = msg.get_param("boundary")
    if not isinstance(boundary, str) or not boundary.strip():
        return None
    return boundary.strip()


def _text(raw: bytes) -> str:
    return raw.decode("latin-1")


def media_type(value: str) -> str:
    """``application/json; charset=utf-8`` → ``application/json``."""
    return value.split(";", 1)[0].strip().lower()


@dataclass(frozen=True, slots=True)
class Part:
    """One body part. Header names are lower-case."""

    headers: Mapping[str, str]
    data: bytes
    length_mismatch: bool = False  # Content-Length disagreed with the boundary; the boundary won

    @property
    def content_type(self) -> str:
        return media_type(self.headers.get("content-type", ""))

    @property
    def filename(self) -> str | None:
        msg = Message()
        msg["content-disposition"] = self.headers.get("content-disposition", "")
        name = msg.get_param("filename", header="content-disposition")
        return name if isinstance(name, str) else None

    @property
    def name(self) -> str | None:
        msg = Message()
        msg["content-disposition"] = self.headers.get("content-disposition", "")
        name = msg.get_param("name", header="content-disposition")
        return name if isinstance(name, str) else None


@dataclass(frozen=True, slots=True)
class SplitProblem:
    """Something in the stream that is not a part. ``fatal`` ones mean: drop the connection, reconnect."""

    reason: str  # garbage, bad_headers, oversize, boundary_changed, boundary_missing, truncated
    raw: bytes = b""  # the first bytes of what was dropped, for the log
    fatal: bool = False
    detail: str = ""


_PREAMBLE, _HEADERS, _BODY, _SKIP, _FAILED = "preamble", "headers", "body", "skip", "failed"


@dataclass
class MultipartSplitter:
    """Splits a ``multipart/mixed`` stream by its boundary, whatever Content-Length says.

    ``feed`` returns the parts (and problems) completed by the new bytes, in stream order; the result
    does not depend on how the stream was chunked. A part is complete once the delimiter after it has
    been seen, so the last part of a quiet stream waits for the next one (devices send keep-alives).
    """

    boundary: str
    max_part: int = MAX_PART_BYTES
    max_headers: int = MAX_HEADER_BYTES
    max_garbage: int = MAX_GARBAGE_BYTES
    stats: Counter[str] = field(default_factory=Counter)
    _buf: bytearray = field(default_factory=bytearray)
    _state: str = _PREAMBLE
    _headers: dict[str, str] = field(default_factory=dict)
    _scan: int = 0  # where the next delimiter search starts (bytes before it hold no delimiter start)
    _fscan: int = 0  # the same for a foreign delimiter
    _skipped: int = 0  # bytes dropped while looking for a delimiter in this run of garbage
    _skipped_head: bytes = b""
    _skipped_text: bool = False  # the run holds more than blank lines

    def __post_init__(self) -> None:
        self._dash = b"--" + self.boundary.encode("latin-1")

    @property
    def failed(self) -> bool:
        return self._state == _FAILED

    def feed(self, data: bytes) -> list[Part | SplitProblem]:
        out: list[Part | SplitProblem] = []
        if self._state == _FAILED:
            return out
        self._buf += data
        while self._step(out):
            pass
        return out

    @property
    def settleable(self) -> bool:
        """A part's Content-Length worth of body is here; only its closing delimiter is missing."""
        return self._complete_by_length() is not None

    def settle(self) -> list[Part | SplitProblem]:
        """The stream went quiet: deliver a part that is complete by its Content-Length now, instead of
        waiting for the next delimiter (which a device sends only with its next event or keep-alive)."""
        length = self._complete_by_length()
        if length is None:
            return []
        out: list[Part | SplitProblem] = []
        self._emit(out, bytes(self._buf[:length]))
        self._consume(length)
        self._state = _PREAMBLE
        self.stats["settled"] += 1
        return out

    def _complete_by_length(self) -> int | None:
        if self._state != _BODY:
            return None
        length = self._content_length()
        if length is None or len(self._buf) < length:
            return None
        # What follows the body must still be able to become "\r\n--boundary".
        tail = bytes(self._buf[length:]).lstrip(b"\r\n")
        if tail and not self._dash.startswith(tail[: len(self._dash)]):
            return None
        return length

    def eof(self) -> list[Part | SplitProblem]:
        """End of stream: a part complete by its Content-Length is delivered; one cut short is reported."""
        out = self.settle()
        rest = bytes(self._buf)
        self._buf.clear()
        state, self._state = self._state, _FAILED
        if state in (_HEADERS, _BODY) and rest.strip():
            self.stats["truncated"] += 1
            detail = f"{len(rest)} bytes in an open part"
            out.append(SplitProblem("truncated", rest[:_RAW_SHOWN], detail=detail))
        return out

    # -- the state machine: each step consumes something and returns True, or waits (False) ----------
    def _step(self, out: list[Part | SplitProblem]) -> bool:
        if self._state in (_PREAMBLE, _SKIP):
            return self._seek_delimiter(out)
        if self._state == _HEADERS:
            return self._read_headers(out)
        if self._state == _BODY:
            return self._read_body(out)
        return False

    def _delimiter_at(self, pos: int) -> tuple[str, int]:
        """Classify ``--boundary`` found at ``pos``: (open|close|other|more, index after its line)."""
        buf, i = self._buf, pos + len(self._dash)
        if len(buf) < i + 2:
            return "more", i
        if buf[i : i + 2] == b"--":
            return "close", i + 2
        while i < len(buf) and buf[i] in b" \t":
            i += 1
        if i >= len(buf) or (buf[i] == 0x0D and i + 1 >= len(buf)):
            return "more", i
        if buf[i] == 0x0A:
            return "open", i + 1
        if buf[i : i + 2] == b"\r\n":
            return "open", i + 2
        return "other", i

    def _find(self, start: int) -> tuple[str, int, int]:
        """The first delimiter of ours at or after ``start``: (kind, position, end) or ("none", ...)."""
        pos = start
        while True:
            pos = self._buf.find(self._dash, pos)
            if pos < 0:
                return "none", -1, -1
            kind, end = self._delimiter_at(pos)
            if kind != "other":
                return kind, pos, end
            pos += 1

    def _foreign_before(self, limit: int) -> re.Match[bytes] | None:
        # Only a line starting with "--" can open a part: find those with bytes.find and try the pattern
        # there, instead of letting the regex walk every line of every JSON body (it was the splitter's
        # main cost at thousands of parts a second).
        buf, ours = self._buf, self._dash[2:]
        if self._fscan == 0:
            match = _FOREIGN.match(buf, 0)
            if match is not None and match.start() < limit and match.group(1) != ours:
                return match
        pos = self._fscan
        while True:
            line = buf.find(b"\n--", pos)
            if line < 0 or line >= limit:
                return None
            match = _FOREIGN.match(buf, line)
            if match is not None and match.group(1) != ours:
                return match
            pos = line + 1

    def _fail(self, out: list[Part | SplitProblem], reason: str, raw: bytes, detail: str) -> bool:
        self.stats[reason] += 1
        out.append(SplitProblem(reason, raw[:_RAW_SHOWN], fatal=True, detail=detail))
        self._state = _FAILED
        self._buf.clear()
        return False

    def _consume(self, n: int) -> None:
        del self._buf[:n]
        self._scan = self._fscan = 0

    def _seek_delimiter(self, out: list[Part | SplitProblem]) -> bool:
        kind, pos, end = self._find(self._scan)
        if self._state == _PREAMBLE:
            foreign = self._foreign_before(pos if kind != "none" else len(self._buf))
            if foreign is not None:
                return self._fail(out, "boundary_changed", bytes(self._buf[foreign.start() :]).lstrip(),
                                  f"expected {self.boundary!r}, stream uses {_text(foreign.group(1))!r}")
        if kind in ("none", "more"):
            keep = len(self._dash) + _FOREIGN_SPAN  # a delimiter may be cut by the chunk: keep its start
            drop = max(0, (len(self._buf) if kind == "none" else pos) - keep)
            if drop:
                self._note_skipped(bytes(self._buf[:drop]))
                self._consume(drop)
            self._scan = max(0, len(self._buf) - keep) if kind == "none" else max(0, pos - drop)
            if self._state == _PREAMBLE and self._skipped_text and self._skipped > self.max_garbage:
                return self._report_skipped(out)
            return False
        self._note_skipped(bytes(self._buf[:pos]))
        if not self._report_skipped(out):
            return False
        self._consume(end)
        self._state = _PREAMBLE if kind == "close" else _HEADERS  # after a close: epilogue until a new one
        return True

    def _note_skipped(self, chunk: bytes) -> None:
        if self._state == _SKIP or not chunk:
            return  # the rest of a part already reported as bad
        if len(self._skipped_head) < _RAW_SHOWN:
            self._skipped_head += chunk[: _RAW_SHOWN - len(self._skipped_head)]
        self._skipped += len(chunk)
        self._skipped_text = self._skipped_text or bool(chunk.strip())

    def _report_skipped(self, out: list[Part | SplitProblem]) -> bool:
        """Report the garbage dropped before this delimiter; False when it was too much (fatal)."""
        skipped, head, text = self._skipped, self._skipped_head, self._skipped_text
        self._skipped, self._skipped_head, self._skipped_text = 0, b"", False
        if self._state != _PREAMBLE or not text:
            return True  # blank lines between parts are normal
        if skipped > self.max_garbage:
            self._fail(out, "boundary_missing", head, f"no {self.boundary!r} delimiter in the stream")
            return False
        self.stats["garbage_bytes"] += skipped
        out.append(SplitProblem("garbage", head, detail=f"{skipped} bytes before a delimiter"))
        return True

    def _read_headers(self, out: list[Part | SplitProblem]) -> bool:
        empty = _EMPTY_HEADERS.match(self._buf)
        if empty is not None:
            block, end = b"", empty.end()
        else:
            match = _HEADER_END.search(self._buf)
            if match is None:
                if len(self._buf) > self.max_headers:
                    return self._skip(out, "bad_headers", f"part headers over {self.max_headers} bytes")
                return False
            block, end = bytes(self._buf[: match.start()]), match.end()
        if len(block) > self.max_headers:
            return self._skip(out, "bad_headers", f"part headers over {self.max_headers} bytes")
        headers: dict[str, str] = {}
        for line in block.splitlines():
            name, sep, value = line.partition(b":")
            if not sep or not name.strip() or b" " in name.strip():
                return self._skip(out, "bad_headers", f"not a header line: {line[:80]!r}")
            headers[name.strip().decode("latin-1").lower()] = value.strip().decode("utf-8", "replace")
        self._headers = headers
        self._consume(end)
        self._state = _BODY
        return True

    def _skip(self, out: list[Part | SplitProblem], reason: str, detail: str) -> bool:
        self.stats[reason] += 1
        out.append(SplitProblem(reason, bytes(self._buf[:_RAW_SHOWN]), detail=detail))
        self._state = _SKIP
        return True

    def _read_body(self, out: list[Part | SplitProblem]) -> bool:
        kind, pos, end = self._find(self._scan)
        foreign = self._foreign_before(pos if kind != "none" else len(self._buf))
        if foreign is not None:  # the part ends where the new boundary starts; deliver it, then give up
            self._emit(out, bytes(self._buf[: foreign.start()]) + b"\n")
            return self._fail(out, "boundary_changed", bytes(self._buf[foreign.start() :]).lstrip(),
                              f"expected {self.boundary!r}, stream switched to {_text(foreign.group(1))!r}")
        if kind in ("none", "more"):
            self._scan = max(0, len(self._buf) - len(self._dash) - 4) if kind == "none" else pos
            self._fscan = max(0, len(self._buf) - _FOREIGN_SPAN)
            if (pos if kind == "more" else len(self._buf)) > self.max_part + len(self._dash) + 4:
                return self._skip(out, "oversize", f"part over {self.max_part} bytes")
            return False
        raw = bytes(self._buf[:pos])
        self._consume(pos)  # the delimiter itself is read by the next step
        self._state = _PREAMBLE
        self._emit(out, raw)
        return True

    def _emit(self, out: list[Part | SplitProblem], raw: bytes) -> None:
        length = self._content_length()
        body = raw[:-2] if raw.endswith(b"\r\n") else raw[:-1] if raw.endswith(b"\n") else raw
        mismatch = False
        if length is not None:
            if length <= len(raw) and not raw[length:].strip(b"\r\n"):
                body = raw[:length]
            else:
                mismatch = True
                self.stats["length_mismatch"] += 1
        if len(body) > self.max_part:
            self.stats["oversize"] += 1
            out.append(SplitProblem("oversize", body[:_RAW_SHOWN], detail=f"part over {self.max_part} bytes"))
            return
        self.stats["parts"] += 1
        out.append(Part(dict(self._headers), body, mismatch))

    def _content_length(self) -> int | None:
        value = self._headers.get("content-length", "").strip()
        return int(value) if value.isdigit() else None
