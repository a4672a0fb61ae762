"""GB/T 26875.3 field primitives: a bounds-checked cursor, GB18030 text, component addresses, mixins."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from drivers.fire.gb26875.timetag import decode_time

DESCRIPTION_LEN = 31
TEXT_ENCODING = "gb18030"


class Truncated(Exception):
    """Internal: an object ran past the end of the ADU."""


class Cursor:
    """Reads little-endian fields from an ADU, raising Truncated rather than returning short data."""

    __slots__ = ("data", "pos")

    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data = data
        self.pos = pos

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise Truncated
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def u8(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        return int.from_bytes(self.take(2), "little")

    def i16(self) -> int:
        return int.from_bytes(self.take(2), "little", signed=True)

    def u32(self) -> int:
        return int.from_bytes(self.take(4), "little")


@lru_cache(maxsize=8192)  # a panel sends the same few hundred descriptions all day
def decode_text(raw: bytes) -> tuple[str, bool]:
    """GB18030 text cut at the first NUL and stripped of padding; (text, valid). Never raises."""
    raw = raw.split(b"\x00", 1)[0]  # NUL never occurs inside a GB18030 multi-byte sequence
    try:
        text, valid = raw.decode(TEXT_ENCODING), True
    except UnicodeDecodeError:
        text, valid = raw.decode(TEXT_ENCODING, errors="replace"), False
    return text.strip(" \u3000"), valid


def encode_fixed_text(text: str, size: int = DESCRIPTION_LEN) -> bytes:
    data = text.encode(TEXT_ENCODING)
    if len(data) > size:
        raise ValueError(f"{text!r} needs {len(data)} bytes in GB18030; the field holds {size}")
    return data.ljust(size, b"\x00")


def encode_var_text(text: str) -> bytes:
    data = text.encode(TEXT_ENCODING)
    if len(data) > 0xFF:
        raise ValueError(f"{text!r} needs {len(data)} bytes in GB18030; at most 255 fit")
    return bytes((len(data),)) + data


def component_address(zone: int, number: int) -> int:
    """部件地址 u32 from 区号 (low u16, sent first) and 位号 (high u16)."""
    return (zone & 0xFFFF) | (number & 0xFFFF) << 16


class Timed:
    """Mixin for records ending in a time tag: the raw tag is kept, the datetime derived."""

    __slots__ = ()
    time_raw: bytes

    @property
    def time(self) -> datetime | None:
        return decode_time(self.time_raw)

    @property
    def time_valid(self) -> bool:
        return self.time is not None


class ComponentAddressed:
    """Mixin splitting the u32 component address into 区号 and 位号."""

    __slots__ = ()
    component_addr: int

    @property
    def zone(self) -> int:
        return self.component_addr & 0xFFFF

    @property
    def number(self) -> int:
        return self.component_addr >> 16
