"""GB/T 26875.3 upstream ADUs (types 1-8, 21, 24-26, 28): typed records, decoder and encoder."""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import ClassVar, Self

from drivers.fire.gb26875.fields import (
    DESCRIPTION_LEN,
    ComponentAddressed,
    Cursor,
    Timed,
    Truncated,
    decode_text,
    encode_fixed_text,
    encode_var_text,
)
from drivers.fire.gb26875.tables import (
    ANALOG_TYPES,
    ComponentStatus,
    OperationFlags,
    SystemStatus,
    UitdOperationFlags,
    UitdStatus,
)
from drivers.fire.gb26875.timetag import TIME_TAG_LEN


@dataclass(frozen=True, slots=True, kw_only=True)
class SystemState(Timed):
    TYPE: ClassVar[int] = 1
    MAX_N: ClassVar[int] = 102
    system_type: int
    system_addr: int
    status: SystemStatus
    time_raw: bytes

    @classmethod
    def read(cls, c: Cursor) -> Self:
        return cls(system_type=c.u8(), system_addr=c.u8(), status=SystemStatus(c.u16()),
                   time_raw=c.take(TIME_TAG_LEN))

    def body(self) -> bytes:
        status = int(self.status).to_bytes(2, "little")
        return bytes((self.system_type, self.system_addr)) + status + self.time_raw


# Type 2 object: system type, system address, component type, component address, status, description, time.
_COMPONENT_STATE = struct.Struct(f"<BBBIH{DESCRIPTION_LEN}s{TIME_TAG_LEN}s")
# Status words repeat all day; building a Flag value from an int is the slow part of a small record.
_component_status = lru_cache(maxsize=1024)(ComponentStatus)


@dataclass(frozen=True, slots=True, kw_only=True)
class ComponentState(Timed, ComponentAddressed):
    TYPE: ClassVar[int] = 2
    MAX_N: ClassVar[int] = 22
    system_type: int
    system_addr: int
    component_type: int
    component_addr: int
    status: ComponentStatus
    description: str
    time_raw: bytes
    description_valid: bool = True

    @classmethod
    def read(cls, c: Cursor) -> Self:
        st, sa, ct, ca, status, desc, time_raw = _COMPONENT_STATE.unpack(c.take(_COMPONENT_STATE.size))
        text, valid = decode_text(desc)
        return cls(system_type=st, system_addr=sa, component_type=ct, component_addr=ca,
                   status=_component_status(status), description=text, description_valid=valid,
                   time_raw=time_raw)

    def body(self) -> bytes:
        return (bytes((self.system_type, self.system_addr, self.component_type))
                + self.component_addr.to_bytes(4, "little") + int(self.status).to_bytes(2, "little")
                + encode_fixed_text(self.description) + self.time_raw)


@dataclass(frozen=True, slots=True, kw_only=True)
class ComponentAnalog(Timed, ComponentAddressed):
    TYPE: ClassVar[int] = 3
    MAX_N: ClassVar[int] = 63
    system_type: int
    system_addr: int
    component_type: int
    component_addr: int
    analog_type: int
    raw_value: int  # i16 as sent; see ``value`` for engineering units
    time_raw: bytes

    @property
    def value(self) -> float | None:
        """The value in the unit of ANALOG_TYPES[analog_type], None for reserved/user types."""
        spec = ANALOG_TYPES.get(self.analog_type)
        return None if spec is None else round(self.raw_value * spec.scale, 6)

    @property
    def unit(self) -> str:
        spec = ANALOG_TYPES.get(self.analog_type)
        return "" if spec is None else spec.unit

    @classmethod
    def read(cls, c: Cursor) -> Self:
        return cls(system_type=c.u8(), system_addr=c.u8(), component_type=c.u8(), component_addr=c.u32(),
                   analog_type=c.u8(), raw_value=c.i16(), time_raw=c.take(TIME_TAG_LEN))

    def body(self) -> bytes:
        return (bytes((self.system_type, self.system_addr, self.component_type))
                + self.component_addr.to_bytes(4, "little") + bytes((self.analog_type,))
                + self.raw_value.to_bytes(2, "little", signed=True) + self.time_raw)


@dataclass(frozen=True, slots=True, kw_only=True)
class OperatorInfo(Timed):
    TYPE: ClassVar[int] = 4
    MAX_N: ClassVar[int] = 102
    system_type: int
    system_addr: int
    flags: OperationFlags
    operator: int
    time_raw: bytes

    @classmethod
    def read(cls, c: Cursor) -> Self:
        return cls(system_type=c.u8(), system_addr=c.u8(), flags=OperationFlags(c.u8()), operator=c.u8(),
                   time_raw=c.take(TIME_TAG_LEN))

    def body(self) -> bytes:
        return bytes((self.system_type, self.system_addr, int(self.flags), self.operator)) + self.time_raw


@dataclass(frozen=True, slots=True, kw_only=True)
class SoftwareVersion:
    TYPE: ClassVar[int] = 5
    MAX_N: ClassVar[int] = 1
    system_type: int
    system_addr: int
    major: int
    minor: int

    @classmethod
    def read(cls, c: Cursor) -> Self:
        return cls(system_type=c.u8(), system_addr=c.u8(), major=c.u8(), minor=c.u8())

    def body(self) -> bytes:
        return bytes((self.system_type, self.system_addr, self.major, self.minor))


@dataclass(frozen=True, slots=True, kw_only=True)
class SystemConfig:
    TYPE: ClassVar[int] = 6
    MAX_N: ClassVar[int] = 3
    system_type: int
    system_addr: int
    text: str
    text_valid: bool = True

    @classmethod
    def read(cls, c: Cursor) -> Self:
        st, sa = c.u8(), c.u8()
        text, valid = decode_text(c.take(c.u8()))
        return cls(system_type=st, system_addr=sa, text=text, text_valid=valid)

    def body(self) -> bytes:
        return bytes((self.system_type, self.system_addr)) + encode_var_text(self.text)


@dataclass(frozen=True, slots=True, kw_only=True)
class ComponentConfig(ComponentAddressed):
    TYPE: ClassVar[int] = 7
    MAX_N: ClassVar[int] = 26
    system_type: int
    system_addr: int
    component_type: int
    component_addr: int
    description: str
    description_valid: bool = True

    @classmethod
    def read(cls, c: Cursor) -> Self:
        st, sa, ct, ca = c.u8(), c.u8(), c.u8(), c.u32()
        text, valid = decode_text(c.take(DESCRIPTION_LEN))
        return cls(system_type=st, system_addr=sa, component_type=ct, component_addr=ca,
                   description=text, description_valid=valid)

    def body(self) -> bytes:
        return (bytes((self.system_type, self.system_addr, self.component_type))
                + self.component_addr.to_bytes(4, "little") + encode_fixed_text(self.description))


@dataclass(frozen=True, slots=True, kw_only=True)
class SystemTime(Timed):
    TYPE: ClassVar[int] = 8
    MAX_N: ClassVar[int] = 1
    system_type: int
    system_addr: int
    time_raw: bytes

    @classmethod
    def read(cls, c: Cursor) -> Self:
        return cls(system_type=c.u8(), system_addr=c.u8(), time_raw=c.take(TIME_TAG_LEN))

    def body(self) -> bytes:
        return bytes((self.system_type, self.system_addr)) + self.time_raw


@dataclass(frozen=True, slots=True, kw_only=True)
class UitdState(Timed):
    TYPE: ClassVar[int] = 21
    MAX_N: ClassVar[int] = 1
    status: UitdStatus
    time_raw: bytes

    @classmethod
    def read(cls, c: Cursor) -> Self:
        return cls(status=UitdStatus(c.u8()), time_raw=c.take(TIME_TAG_LEN))

    def body(self) -> bytes:
        return bytes((int(self.status),)) + self.time_raw


@dataclass(frozen=True, slots=True, kw_only=True)
class UitdOperation(Timed):
    TYPE: ClassVar[int] = 24
    MAX_N: ClassVar[int] = 127
    flags: UitdOperationFlags
    operator: int
    time_raw: bytes

    @classmethod
    def read(cls, c: Cursor) -> Self:
        return cls(flags=UitdOperationFlags(c.u8()), operator=c.u8(), time_raw=c.take(TIME_TAG_LEN))

    def body(self) -> bytes:
        return bytes((int(self.flags), self.operator)) + self.time_raw


@dataclass(frozen=True, slots=True, kw_only=True)
class UitdVersion:
    TYPE: ClassVar[int] = 25
    MAX_N: ClassVar[int] = 1
    major: int
    minor: int

    @classmethod
    def read(cls, c: Cursor) -> Self:
        return cls(major=c.u8(), minor=c.u8())

    def body(self) -> bytes:
        return bytes((self.major, self.minor))


@dataclass(frozen=True, slots=True, kw_only=True)
class UitdConfig:
    TYPE: ClassVar[int] = 26
    MAX_N: ClassVar[int] = 1
    text: str
    text_valid: bool = True

    @classmethod
    def read(cls, c: Cursor) -> Self:
        text, valid = decode_text(c.take(c.u8()))
        return cls(text=text, text_valid=valid)

    def body(self) -> bytes:
        return encode_var_text(self.text)


@dataclass(frozen=True, slots=True, kw_only=True)
class UitdTime(Timed):
    TYPE: ClassVar[int] = 28
    MAX_N: ClassVar[int] = 1
    time_raw: bytes

    @classmethod
    def read(cls, c: Cursor) -> Self:
        return cls(time_raw=c.take(TIME_TAG_LEN))

    def body(self) -> bytes:
        return self.time_raw


Record = (SystemState | ComponentState | ComponentAnalog | OperatorInfo | SoftwareVersion | SystemConfig
          | ComponentConfig | SystemTime | UitdState | UitdOperation | UitdVersion | UitdConfig | UitdTime)

RECORD_TYPES: dict[int, type[Record]] = {
    cls.TYPE: cls
    for cls in (SystemState, ComponentState, ComponentAnalog, OperatorInfo, SoftwareVersion, SystemConfig,
                ComponentConfig, SystemTime, UitdState, UitdOperation, UitdVersion, UitdConfig, UitdTime)
}


@dataclass(frozen=True, slots=True)
class DecodedAdu:
    """The records of an ADU; ``objects`` holds each record's own wire bytes (for de-duplication)."""

    type_code: int
    records: tuple[Record, ...]
    objects: tuple[bytes, ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class UnknownAdu:
    """A type this decoder does not interpret (reserved, downstream or user-defined 128-254): kept raw."""

    type_code: int
    raw: bytes

    @property
    def user_defined(self) -> bool:
        return 128 <= self.type_code <= 254


@dataclass(frozen=True, slots=True)
class AduError:
    """An ADU that fails validation (the standard's answer is NAK, and nothing is dispatched)."""

    reason: str  # "empty", "truncated", "too_many_objects", "length_mismatch"
    raw: bytes


def decode_adu(adu: bytes) -> DecodedAdu | UnknownAdu | AduError:
    """Decode an upstream ADU; never raises. An empty ADU (heartbeat) is AduError("empty")."""
    if not adu:
        return AduError("empty", adu)
    if len(adu) < 2:
        return AduError("truncated", adu)
    type_code, count = adu[0], adu[1]
    cls = RECORD_TYPES.get(type_code)
    if cls is None:
        return UnknownAdu(type_code, adu)
    if count > cls.MAX_N:
        return AduError("too_many_objects", adu)
    cursor = Cursor(adu, 2)
    records: list[Record] = []
    objects: list[bytes] = []
    try:
        for _ in range(count):
            start = cursor.pos
            records.append(cls.read(cursor))
            objects.append(adu[start:cursor.pos])
    except Truncated:
        return AduError("length_mismatch", adu)
    if cursor.pos != len(adu):
        return AduError("length_mismatch", adu)
    return DecodedAdu(type_code, tuple(records), tuple(objects))


def encode_adu(records: Sequence[Record], type_code: int | None = None) -> bytes:
    """ADU for records of one type (``type_code`` is needed only when ``records`` is empty)."""
    if type_code is None:
        if not records:
            raise ValueError("type_code is required for an empty ADU")
        type_code = records[0].TYPE
    cls = RECORD_TYPES.get(type_code)
    if cls is None:
        raise ValueError(f"type {type_code} is not an upstream type this encoder knows")
    if any(type(r) is not cls for r in records):
        raise ValueError(f"all records of a type-{type_code} ADU must be {cls.__name__}")
    if len(records) > cls.MAX_N:
        raise ValueError(f"type {type_code} carries at most {cls.MAX_N} objects")
    if any(isinstance(r, Timed) and len(r.time_raw) != TIME_TAG_LEN for r in records):
        raise ValueError("time tags must be 6 bytes")
    return bytes((type_code, len(records))) + b"".join(r.body() for r in records)
