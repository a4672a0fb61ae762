"""GB/T 26875.3 frames: encoding, checksum, ACK/NAK answers and a resynchronising stream reader."""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass, field
from datetime import datetime

from drivers.fire.gb26875.timetag import NO_TIME, TIME_TAG_LEN, decode_time, encode_time

START = b"@@"
END = b"##"
ADDRESS_LEN = 6
HEADER_LEN = 27  # start marker up to and including the command byte
OVERHEAD = 30  # header + checksum + end marker
MAX_ADU = 1024
MAX_FRAME = OVERHEAD + MAX_ADU
PROTOCOL_VERSION = (1, 1)


class Command(enum.IntEnum):
    """命令字节. 0 and 7-127 are reserved; 128-255 are user-defined and passed through."""

    CONTROL = 1  # 控制命令 (centre -> UITD: time sync, initialise, 查岗)
    SEND = 2  # 发送数据 (UITD -> centre upload; an empty ADU is a heartbeat)
    ACK = 3  # 确认
    REQUEST = 4  # 请求 (query)
    RESPONSE = 5  # 应答
    NAK = 6  # 否认


def is_known_command(command: int) -> bool:
    """True for the six standard commands and the user-defined range 128-255."""
    return 1 <= command <= 6 or 128 <= command <= 255


def checksum(data: bytes) -> int:
    """Arithmetic sum modulo 256; callers pass bytes 2 .. 26+L (start marker excluded)."""
    return sum(data) & 0xFF


@dataclass(frozen=True, slots=True, kw_only=True)
class Frame:
    """One decoded frame. ``time_raw`` is kept verbatim so an impossible time tag survives intact.

    ``raw`` holds the wire bytes a reader decoded the frame from (empty for frames built locally);
    it takes no part in equality so a decoded frame equals the frame it was encoded from.
    """

    serial: int
    version: tuple[int, int] = PROTOCOL_VERSION
    time_raw: bytes = NO_TIME
    source: bytes = bytes(ADDRESS_LEN)
    dest: bytes = bytes(ADDRESS_LEN)
    command: int
    adu: bytes = b""
    raw: bytes = field(default=b"", compare=False, repr=False)

    @classmethod
    def build(
        cls,
        *,
        serial: int,
        command: int,
        source: bytes,
        dest: bytes,
        time: datetime,
        adu: bytes = b"",
        version: tuple[int, int] = PROTOCOL_VERSION,
    ) -> Frame:
        """A frame stamped with ``time`` (site-local wall clock)."""
        return cls(
            serial=serial, version=version, time_raw=encode_time(time), source=source, dest=dest,
            command=command, adu=adu,
        )

    @property
    def time_tag(self) -> datetime | None:
        """The send time (naive, device-local), or None when the tag is impossible."""
        return decode_time(self.time_raw)

    @property
    def time_tag_valid(self) -> bool:
        return self.time_tag is not None

    @property
    def is_heartbeat(self) -> bool:
        """Vendor heartbeat: an upload with an empty ADU (not in the standard, universal in practice)."""
        return self.command == Command.SEND and not self.adu

    @property
    def adu_type(self) -> int | None:
        return self.adu[0] if self.adu else None


class FrameErrorReason(enum.StrEnum):
    BAD_CHECKSUM = "bad_checksum"
    BAD_END = "bad_end_marker"  # also what a length field disagreeing with the bytes looks like
    ADU_TOO_LONG = "adu_too_long"
    UNKNOWN_COMMAND = "unknown_command"


@dataclass(frozen=True, slots=True)
class FrameError:
    """A frame that failed validation. Returned, never raised: the session NAKs and logs ``raw``.

    ``header`` is the frame as far as it could be read (ADU empty when the frame could not be
    delimited); None when even the header is unreadable.
    """

    reason: str
    raw: bytes
    header: Frame | None = None

    @property
    def nakable(self) -> bool:
        return self.header is not None


def _validate(frame: Frame) -> None:
    if not 0 <= frame.serial <= 0xFFFF:
        raise ValueError(f"serial {frame.serial} outside 0..65535")
    if len(frame.version) != 2 or not all(0 <= v <= 0xFF for v in frame.version):
        raise ValueError(f"bad version {frame.version!r}")
    if len(frame.time_raw) != TIME_TAG_LEN:
        raise ValueError("time tag must be 6 bytes")
    if len(frame.source) != ADDRESS_LEN or len(frame.dest) != ADDRESS_LEN:
        raise ValueError("addresses must be 6 bytes")
    if not 0 <= frame.command <= 0xFF:
        raise ValueError(f"command {frame.command} is not a byte")
    if len(frame.adu) > MAX_ADU:
        raise ValueError(f"ADU of {len(frame.adu)} bytes exceeds {MAX_ADU}")


def encode_frame(frame: Frame) -> bytes:
    """The wire bytes of ``frame``; ValueError if a field cannot be represented."""
    _validate(frame)
    body = b"".join((
        frame.serial.to_bytes(2, "little"),
        bytes(frame.version),
        frame.time_raw,
        frame.source,
        frame.dest,
        len(frame.adu).to_bytes(2, "little"),
        bytes((frame.command,)),
        frame.adu,
    ))
    return START + body + bytes((checksum(body),)) + END


def answer_for(frame: Frame, command: int, now: datetime, adu: bytes = b"") -> bytes:
    """An answer to ``frame``: same serial and version, addresses swapped, stamped with our time."""
    return encode_frame(Frame(
        serial=frame.serial, version=frame.version, time_raw=encode_time(now),
        source=frame.dest, dest=frame.source, command=command, adu=adu,
    ))


def ack_for(frame: Frame, now: datetime) -> bytes:
    """确认 (command 3) for a control command or upload."""
    return answer_for(frame, Command.ACK, now)


def nak_for(frame_or_error: Frame | FrameError, now: datetime) -> bytes:
    """否认 (command 6) for a frame, or for the readable header of a rejected one."""
    header = frame_or_error.header if isinstance(frame_or_error, FrameError) else frame_or_error
    if header is None:
        raise ValueError("cannot NAK a frame whose header is unreadable")
    return answer_for(header, Command.NAK, now)


def address_hex(address: bytes) -> str:
    """Stable text form of a 6-byte address, in wire order (``790300000000``)."""
    return address.hex()


def address_int(address: bytes) -> int:
    """The address as the little-endian integer vendors print (``79 03 00 00 00 00`` -> 889)."""
    return int.from_bytes(address, "little")


def address_from_int(value: int) -> bytes:
    return value.to_bytes(ADDRESS_LEN, "little")


# serial, version (2), time tag, source, destination, ADU length, command: bytes 2..26 of a frame.
_HEADER = struct.Struct("<HBB6s6s6sHB")


def _header(buf: bytes | bytearray, pos: int, adu: bytes = b"", raw: bytes = b"") -> Frame:
    """The header fields at ``pos`` (which must hold HEADER_LEN bytes), with ``adu`` and ``raw``."""
    serial, major, minor, time_raw, source, dest, _, command = _HEADER.unpack_from(buf, pos + 2)
    return Frame(serial=serial, version=(major, minor), time_raw=time_raw, source=source, dest=dest,
                 command=command, adu=adu, raw=raw)


class FrameReader:
    """Reassembles frames from a TCP byte stream (粘包 and split frames), never raising.

    Between ``feed`` calls the buffer holds at most one partial frame (< MAX_FRAME bytes), so memory
    stays bounded whatever the peer sends. ``discarded`` counts bytes skipped while hunting for a
    start marker; ``errors`` counts FrameErrors returned.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self.discarded = 0
        self.errors = 0
        self.frames = 0

    @property
    def pending(self) -> int:
        """Bytes of an incomplete frame held back; non-zero means a frame is in progress."""
        return len(self._buf)

    def reset(self) -> bytes:
        """Drop and return the partial frame (on EOF or a per-frame deadline)."""
        partial = bytes(self._buf)
        self._buf.clear()
        return partial

    def feed(self, data: bytes) -> list[Frame | FrameError]:
        """Consume ``data`` and return every frame or rejected frame it completes, in order."""
        buf = self._buf
        buf += data
        out: list[Frame | FrameError] = []
        pos = 0
        while True:
            start = buf.find(START, pos)
            if start < 0:
                # A lone trailing '@' may be the first half of the next start marker.
                keep = 1 if len(buf) > pos and buf[-1] == START[0] else 0
                self.discarded += len(buf) - pos - keep
                pos = len(buf) - keep
                break
            self.discarded += start - pos
            pos = start
            if len(buf) - pos < HEADER_LEN:
                break
            adu_len = int.from_bytes(buf[pos + 24:pos + 26], "little")
            if adu_len > MAX_ADU:
                # Cannot be delimited: report it, then rescan from the next byte, since this "@@"
                # may have been garbage in front of a real frame.
                out.append(self._error(FrameErrorReason.ADU_TOO_LONG, buf[pos:pos + HEADER_LEN], buf, pos))
                pos += 1
                continue
            end = pos + OVERHEAD + adu_len
            if len(buf) < end:
                break
            item = self._check(buf, pos, end)
            out.append(item)
            if isinstance(item, FrameError) and item.reason == FrameErrorReason.BAD_END:
                pos += 1  # the length was wrong or this was no frame: a real one may start inside
            else:
                pos = end
        del buf[:pos]
        return out

    def _error(
        self, reason: str, raw: bytes | bytearray, buf: bytearray, pos: int, adu: bytes = b""
    ) -> FrameError:
        self.errors += 1
        return FrameError(reason, bytes(raw), _header(buf, pos, adu, bytes(raw)))

    def _check(self, buf: bytearray, pos: int, end: int) -> Frame | FrameError:
        raw = bytes(buf[pos:end])
        if raw[-2:] != END:
            return self._error(FrameErrorReason.BAD_END, raw, buf, pos)
        adu = raw[HEADER_LEN:-3]
        if checksum(raw[2:-3]) != raw[-3]:
            return self._error(FrameErrorReason.BAD_CHECKSUM, raw, buf, pos, adu)
        if not is_known_command(raw[26]):
            return self._error(FrameErrorReason.UNKNOWN_COMMAND, raw, buf, pos, adu)
        self.frames += 1
        return _header(buf, pos, adu, raw)


def parse_frame(data: bytes) -> Frame:
    """Decode exactly one complete frame; ValueError otherwise (for tests, tools and simulators)."""
    reader = FrameReader()
    items = reader.feed(data)
    if len(items) != 1 or reader.pending or reader.discarded:
        raise ValueError(f"expected exactly one frame, got {len(items)} item(s)")
    item = items[0]
    if isinstance(item, FrameError):
        raise ValueError(f"invalid frame: {item.reason}")
    return item
