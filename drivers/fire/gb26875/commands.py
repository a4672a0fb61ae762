"""GB/T 26875.3 downstream ADUs (centre -> UITD queries and control, types 61-91): encode and decode."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from drivers.fire.gb26875.adu import AduError, UnknownAdu
from drivers.fire.gb26875.fields import Cursor, Truncated
from drivers.fire.gb26875.timetag import TIME_TAG_LEN, encode_time


class Downstream(enum.IntEnum):
    READ_SYSTEM_STATE = 61
    READ_COMPONENT_STATE = 62
    READ_COMPONENT_ANALOG = 63
    READ_OPERATION_LOG = 64
    READ_SOFTWARE_VERSION = 65
    READ_SYSTEM_CONFIG = 66
    READ_COMPONENT_CONFIG = 67
    READ_SYSTEM_TIME = 68
    READ_UITD_STATE = 81
    READ_UITD_OPERATION_LOG = 84
    READ_UITD_VERSION = 85
    READ_UITD_CONFIG = 86
    READ_UITD_TIME = 88
    INIT_UITD = 89  # 初始化, sent as a control command (1)
    SYNC_TIME = 90  # 校时, control
    PATROL = 91  # 查岗, control


CONTROL_TYPES = frozenset({Downstream.INIT_UITD, Downstream.SYNC_TIME, Downstream.PATROL})

# Object layouts per type: "sys" = (systype, sysaddr); "comp" = (systype, sysaddr, compaddr u32);
# "log" = one system + count + start time; "uitd_log" = count + start time; "reserved" = one byte.
_LAYOUT: dict[int, tuple[str, int]] = {
    61: ("sys", 102), 62: ("comp", 22), 63: ("comp", 63), 64: ("log", 1), 65: ("sys", 1), 66: ("sys", 3),
    67: ("comp", 26), 68: ("sys", 1), 81: ("reserved", 1), 84: ("uitd_log", 1), 85: ("reserved", 1),
    86: ("reserved", 1), 88: ("reserved", 1), 89: ("reserved", 1), 90: ("time", 1), 91: ("reserved", 1),
}
MAX_LOG_RECORDS = 102


@dataclass(frozen=True, slots=True)
class DownstreamAdu:
    """A decoded centre -> UITD ADU; only the fields its type carries are set."""

    type_code: int
    systems: tuple[tuple[int, int], ...] = ()
    components: tuple[tuple[int, int, int], ...] = ()
    count: int | None = None
    time_raw: bytes | None = None
    reserved: int | None = None  # vendors reuse it (e.g. the 查岗 answer window in minutes)


def _adu(type_code: int, objects: Sequence[bytes]) -> bytes:
    max_n = _LAYOUT[type_code][1]
    if len(objects) > max_n:
        raise ValueError(f"type {type_code} carries at most {max_n} objects")
    return bytes((type_code, len(objects))) + b"".join(objects)


def read_systems(type_code: int, systems: Sequence[tuple[int, int]]) -> bytes:
    """61/65/66/68: read state, version, configuration or clock of (systype, sysaddr) systems."""
    if _LAYOUT.get(type_code, ("",))[0] != "sys":
        raise ValueError(f"type {type_code} does not take a system list")
    return _adu(type_code, [bytes((st, sa)) for st, sa in systems])


def read_system_state(systems: Sequence[tuple[int, int]]) -> bytes:
    return read_systems(Downstream.READ_SYSTEM_STATE, systems)


def read_components(type_code: int, components: Sequence[tuple[int, int, int]]) -> bytes:
    """62/63/67: read state, analog values or configuration of (systype, sysaddr, compaddr) parts."""
    if _LAYOUT.get(type_code, ("",))[0] != "comp":
        raise ValueError(f"type {type_code} does not take a component list")
    return _adu(type_code, [bytes((st, sa)) + ca.to_bytes(4, "little") for st, sa, ca in components])


def read_component_state(components: Sequence[tuple[int, int, int]]) -> bytes:
    return read_components(Downstream.READ_COMPONENT_STATE, components)


def _check_count(count: int) -> None:
    if not 0 <= count <= MAX_LOG_RECORDS:
        raise ValueError(f"at most {MAX_LOG_RECORDS} log records can be requested")


def read_operation_log(system_type: int, system_addr: int, count: int, start: datetime) -> bytes:
    """64: the facility's operation records from ``start``."""
    _check_count(count)
    obj = bytes((system_type, system_addr, count)) + encode_time(start)
    return _adu(Downstream.READ_OPERATION_LOG, [obj])


def read_uitd_operation_log(count: int, start: datetime) -> bytes:
    """84: the UITD's own operation records from ``start``."""
    _check_count(count)
    return _adu(Downstream.READ_UITD_OPERATION_LOG, [bytes((count,)) + encode_time(start)])


def uitd_command(type_code: int, reserved: int = 0) -> bytes:
    """81/85/86/88/89/91: one object made of a single (nominally reserved) byte."""
    if _LAYOUT.get(type_code, ("",))[0] != "reserved":
        raise ValueError(f"type {type_code} is not a one-byte UITD command")
    return _adu(type_code, [bytes((reserved,))])


def read_uitd_state() -> bytes:
    return uitd_command(Downstream.READ_UITD_STATE)


def init_uitd() -> bytes:
    return uitd_command(Downstream.INIT_UITD)


def patrol(answer_minutes: int = 0) -> bytes:
    """查岗. Vendors put the answer window (minutes) in the reserved byte; 0 leaves it to the UITD."""
    return uitd_command(Downstream.PATROL, answer_minutes)


def sync_time(when: datetime) -> bytes:
    """校时 carrying the time to set (the vendor form, ADU length 8)."""
    return _adu(Downstream.SYNC_TIME, [encode_time(when)])


def decode_downstream(adu: bytes) -> DownstreamAdu | UnknownAdu | AduError:
    """Decode a centre -> UITD ADU (for the UITD simulator); never raises."""
    if len(adu) < 2:
        return AduError("empty" if not adu else "truncated", adu)
    type_code, count = adu[0], adu[1]
    if type_code not in _LAYOUT:
        return UnknownAdu(type_code, adu)
    layout, max_n = _LAYOUT[type_code]
    if count > max_n:
        return AduError("too_many_objects", adu)
    c = Cursor(adu, 2)
    result = DownstreamAdu(type_code)
    try:
        if layout == "sys":
            result = DownstreamAdu(type_code, systems=tuple((c.u8(), c.u8()) for _ in range(count)))
        elif layout == "comp":
            parts = tuple((c.u8(), c.u8(), c.u32()) for _ in range(count))
            result = DownstreamAdu(type_code, components=parts)
        elif count and layout == "log":
            st, sa, n = c.u8(), c.u8(), c.u8()
            result = DownstreamAdu(type_code, systems=((st, sa),), count=n, time_raw=c.take(TIME_TAG_LEN))
        elif count and layout == "uitd_log":
            result = DownstreamAdu(type_code, count=c.u8(), time_raw=c.take(TIME_TAG_LEN))
        elif count and layout == "time" and len(adu) - c.pos == 1:
            # The standard's table shows a single reserved byte for 校时; vendors send the time.
            result = DownstreamAdu(type_code, reserved=c.u8())
        elif count and layout == "time":
            result = DownstreamAdu(type_code, time_raw=c.take(TIME_TAG_LEN))
        elif count:
            result = DownstreamAdu(type_code, reserved=c.u8())
    except Truncated:
        return AduError("length_mismatch", adu)
    if c.pos != len(adu):
        return AduError("length_mismatch", adu)
    return result
