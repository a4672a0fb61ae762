"""SIA DC-09 framing: CRC-16/ARC, length check, and reassembly of LF … CR frames from a byte stream."""

from __future__ import annotations

import enum
from dataclasses import dataclass

LF = 0x0A
CR = 0x0D
HEADER_LEN = 8  # CRC (4 hex) + length (4 hex), between the LF and the opening quote
MAX_FRAME = 1024  # LF to CR inclusive; PROTOCOLS.md §1.2 asks for a 1 KB cap per frame


def _crc_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        value = byte
        for _ in range(8):
            value = (value >> 1) ^ 0xA001 if value & 1 else value >> 1
        table.append(value)
    return tuple(table)


_CRC_TABLE = _crc_table()


def crc16(data: bytes) -> int:
    """CRC-16/ARC (reflected 0xA001, initial 0), as DC-09 computes it over the message."""
    crc = 0
    for byte in data:
        crc = (crc >> 8) ^ _CRC_TABLE[(crc ^ byte) & 0xFF]
    return crc


class FrameErrorReason(enum.StrEnum):
    GARBAGE = "garbage"  # bytes outside any LF … CR frame, dropped while resynchronising
    TOO_LONG = "too_long"  # no CR within MAX_FRAME bytes of the LF
    TRUNCATED = "truncated"  # a new LF arrived before the CR: the earlier frame lost its end
    EOF = "eof"  # the peer closed the connection in the middle of a frame
    NOT_PRINTABLE = "not_printable"  # non-ASCII or control bytes between LF and CR
    BAD_HEADER = "bad_header"  # too short, CRC or length not hex, no quote after the header
    CRC = "crc"
    LENGTH = "length"


@dataclass(frozen=True, slots=True)
class Frame:
    """A frame whose CRC and length are right. ``message`` runs from the opening quote to before the CR."""

    raw: bytes
    message: bytes


@dataclass(frozen=True, slots=True)
class FrameError:
    """A rejected piece of input, kept verbatim for the log."""

    reason: FrameErrorReason
    raw: bytes
    detail: str = ""


def encode_frame(message: bytes) -> bytes:
    """Wrap a message (from the opening quote on) in LF, CRC, length and CR."""
    if len(message) > 0xFFF:
        raise ValueError(f"message of {len(message)} bytes does not fit the 3-digit length field")
    return b"\n%04X0%03X%s\r" % (crc16(message), len(message), message)


def _is_hex(field: bytes) -> bool:
    return bool(field) and all(c in b"0123456789ABCDEFabcdef" for c in field)


def check_frame(raw: bytes) -> Frame | FrameError:
    """Validate one LF … CR frame: printable ASCII, header syntax, length and CRC over the message."""
    if len(raw) < HEADER_LEN + 4 or raw[0] != LF or raw[-1] != CR:
        return FrameError(FrameErrorReason.BAD_HEADER, raw, "shorter than a header or not LF … CR")
    body = raw[1:-1]
    if any(c < 0x20 or c > 0x7E for c in body):
        return FrameError(FrameErrorReason.NOT_PRINTABLE, raw, "non-ASCII or control bytes in the frame")
    crc_field, length_field, message = body[:4], body[4:HEADER_LEN], body[HEADER_LEN:]
    if not (_is_hex(crc_field) and _is_hex(length_field)) or message[:1] != b'"':
        return FrameError(FrameErrorReason.BAD_HEADER, raw, "CRC/length fields not hex or no opening quote")
    if int(length_field, 16) != len(message):
        detail = f"length field {int(length_field, 16)}, message {len(message)}"
        return FrameError(FrameErrorReason.LENGTH, raw, detail)
    calculated = crc16(message)
    if int(crc_field, 16) != calculated:
        detail = f"CRC field {crc_field.decode()}, calculated {calculated:04X}"
        return FrameError(FrameErrorReason.CRC, raw, detail)
    return Frame(raw, message)


class FrameReader:
    """Cuts a byte stream into frames. Bytes outside LF … CR are counted in ``discarded`` and reported
    as GARBAGE;
    a frame that does not end within ``max_frame`` bytes is rejected and the reader resynchronises on
    the next LF, so memory stays bounded whatever a peer sends."""

    def __init__(self, max_frame: int = MAX_FRAME) -> None:
        self.max_frame = max_frame
        self.discarded = 0
        self._buf = bytearray()

    @property
    def partial(self) -> bool:
        """True while a frame has started and its CR has not arrived (the slow-sender deadline runs)."""
        return bool(self._buf)

    def feed(self, data: bytes) -> list[Frame | FrameError]:
        """Add received bytes; return every frame (or rejected frame) they complete, in order."""
        buf = self._buf + data if self._buf else bytearray(data)
        out: list[Frame | FrameError] = []
        pos = 0
        end = len(buf)
        while pos < end:
            if buf[pos] != LF:
                start = buf.find(b"\n", pos)
                stop = end if start < 0 else start
                self.discarded += stop - pos
                out.append(FrameError(FrameErrorReason.GARBAGE, bytes(buf[pos:stop]), "outside a frame"))
                pos = stop
                if start < 0:
                    break
            window = min(end, pos + self.max_frame)
            cr = buf.find(b"\r", pos + 1, window)
            restart = buf.find(b"\n", pos + 1, cr if cr >= 0 else window)
            if restart >= 0:
                out.append(FrameError(FrameErrorReason.TRUNCATED, bytes(buf[pos:restart]), "LF before CR"))
                pos = restart
            elif cr >= 0:
                out.append(check_frame(bytes(buf[pos:cr + 1])))
                pos = cr + 1
            elif window - pos >= self.max_frame:
                out.append(FrameError(FrameErrorReason.TOO_LONG, bytes(buf[pos:window]),
                                      f"no CR within {self.max_frame} bytes"))
                pos = window
            else:
                break  # an incomplete frame: wait for more bytes
        self._buf = buf[pos:]
        return out

    def eof(self) -> FrameError | None:
        """The stream ended: drop a half-received frame (it never reaches the alarm logic)."""
        if not self._buf:
            return None
        error = FrameError(FrameErrorReason.EOF, bytes(self._buf), "stream ended inside a frame")
        self._buf = bytearray()
        return error


def split_datagram(data: bytes, max_frame: int = MAX_FRAME) -> list[Frame | FrameError]:
    """Frames in one UDP datagram (a transmitter may pack several); an unfinished tail is rejected."""
    reader = FrameReader(max_frame)
    out = reader.feed(data)
    tail = reader.eof()
    if tail is not None:
        out.append(tail)
    return out
