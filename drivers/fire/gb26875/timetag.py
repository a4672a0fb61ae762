"""GB/T 26875.3 six-byte time tags (second, minute, hour, day, month, year-2000) to and from datetime."""

from __future__ import annotations

from datetime import datetime

TIME_TAG_LEN = 6
NO_TIME = bytes(TIME_TAG_LEN)


def decode_time(raw: bytes) -> datetime | None:
    """The naive wall-clock time a tag names, or None when it names no real instant.

    Tags carry no zone: they are the device's local clock. An impossible tag (month 13, second 60,
    year byte above 99, all zeros from a UITD without a clock) gives None rather than an exception,
    because the event it stamps must still be delivered.
    """
    if len(raw) != TIME_TAG_LEN:
        return None
    second, minute, hour, day, month, year = raw
    if year > 99:
        return None
    try:
        return datetime(2000 + year, month, day, hour, minute, second)
    except ValueError:
        return None


def encode_time(when: datetime) -> bytes:
    """The tag for ``when``'s wall-clock fields as given (callers pass site-local time)."""
    if not 2000 <= when.year <= 2099:
        raise ValueError(f"year {when.year} does not fit a GB/T 26875.3 time tag (2000-2099)")
    return bytes((when.second, when.minute, when.hour, when.day, when.month, when.year - 2000))
