"""Gate log rows, filters, hourly counts and deny/allow list entries, with their pure normalising rules."""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime

MASK = "***"
# Text shorter than this is a prefix match; from here on a substring match through the trigram index.
MIN_SUBSTRING = 3
# The text index stores each field behind two of these, so a 1- or 2-character prefix becomes a 3-character
# substring the trigram index can find ("\x01\x01a", "\x01ab"). Values never contain it (it is removed).
FIELD_START = "\x01"
MAX_LIMIT = 5000


class ListName(enum.StrEnum):
    DENY = "deny"
    ALLOW = "allow"


class ListKind(enum.StrEnum):
    CARD = "card"
    PLATE = "plate"


@dataclass(frozen=True, slots=True)
class GateRow:
    """One gate-log row (a gate event as the log shows it)."""

    id: int  # gate_events.id (== events.id of the underlying event)
    time: datetime  # received time, UTC aware
    device_time: datetime | None
    campus: str | None  # campus id of the gate device
    gate: str  # device id (site [[gates]] id)
    point: str | None  # site point id (door / lane) when mapped
    door: str | None  # device-side door / lane
    kind: str  # gate.pass, gate.denied, gate.alarm.tailgating ...
    result: str  # granted / denied / alarm / info
    direction: str | None  # in / out
    subject_kind: str
    subject_id: str | None  # masked ("***") when the viewer lacks view_person_data
    name: str | None  # masked likewise
    card: str | None  # masked likewise
    plate: str | None  # masked likewise
    method: str | None
    reason: str
    list_name: str | None
    pictures: tuple[str, ...]  # relative paths; () when masked
    summary: str


@dataclass(frozen=True, slots=True)
class GateFilter:
    campus: str | None = None
    gate: str | None = None
    direction: str | None = None  # in / out
    result: str | None = None  # granted / denied / alarm
    since: datetime | None = None
    until: datetime | None = None
    # Free text over name, card, plate and subject id, ASCII case-insensitive: >= 3 characters is a
    # substring match (trigram index), shorter a prefix match of any of those fields.
    text: str | None = None
    before_id: int | None = None  # keyset paging: rows with id < before_id (newest first)
    limit: int = 200


@dataclass(frozen=True, slots=True)
class HourlyCount:
    hour: datetime  # start of the hour, UTC
    gate: str
    entered: int
    exited: int


@dataclass(frozen=True, slots=True)
class ListEntry:
    """A deny / allow list entry; ``value`` is normalised (see ``normalise_value``)."""

    id: int
    list: str  # "deny" or "allow"
    kind: str  # "card" or "plate"
    value: str
    reason: str
    expires: datetime | None  # the entry stops applying at this instant (UTC); None = never
    added_by: str
    added_at: datetime

    def expired(self, now: datetime) -> bool:
        return self.expires is not None and now >= self.expires


@dataclass(frozen=True, slots=True)
class ImportProblem:
    line: int  # 1-based line number in the file
    message: str
    text: str  # the line as read (truncated)


@dataclass(frozen=True, slots=True)
class ImportReport:
    imported: int  # good lines stored (new entries plus replaced ones)
    replaced: int  # of those, entries that existed already and were updated
    problems: tuple[ImportProblem, ...]


class ListValueError(ValueError):
    """A list entry value, kind or list name that cannot be stored; the message says why."""


def normalise_value(kind: str, value: str) -> str:
    """Plates: upper case without spaces, dots or dashes ("京a·12345" -> "京A12345"). Cards: upper case
    (hex cards) without spaces and without leading zeros, because some readers zero-pad the number
    ("0012345" -> "12345"; "000" -> "0")."""
    if kind == ListKind.PLATE:
        out = "".join(ch for ch in value.upper() if not ch.isspace() and ch not in "·.-_")
    elif kind == ListKind.CARD:
        out = "".join(ch for ch in value.upper() if not ch.isspace()).lstrip("0")
        if not out and value.strip():
            out = "0"
    else:
        raise ListValueError(f"kind must be card or plate, not {kind!r}")
    if not out:
        raise ListValueError(f"empty {kind} value")
    if len(out) > 64 or any(not ch.isprintable() for ch in out):
        raise ListValueError(f"{kind} value {value[:80]!r} is too long or has control characters")
    return out


def fold(text: str) -> str:
    """ASCII-only lower case, the same as SQLite's lower() and LIKE: the one case rule of the gate log."""
    return text.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def index_text(value: str | None) -> str | None:
    """What the text index stores for one field."""
    if value is None:
        return None
    return FIELD_START * 2 + fold(value.replace(FIELD_START, ""))


def search_text(text: str | None) -> str | None:
    """The substring to look for in the index for a filter's text, or None for no text filter."""
    if text is None:
        return None
    cleaned = fold(text.replace(FIELD_START, "").strip())
    if not cleaned:
        return None
    if len(cleaned) < MIN_SUBSTRING:
        return FIELD_START * (MIN_SUBSTRING - len(cleaned)) + cleaned
    return cleaned


def text_matches(row: GateRow, text: str | None) -> bool:
    """The reference meaning of ``GateFilter.text`` (the index must agree with it)."""
    needle = search_text(text)
    if needle is None:
        return True
    fields = (row.name, row.card, row.plate, row.subject_id)
    return any(f is not None and needle in index_text(f) for f in fields)  # type: ignore[operator]


def matches(row: GateRow, flt: GateFilter) -> bool:
    """The reference meaning of a filter for one row (used by tests and by nothing on the hot path)."""
    return (
        (flt.campus is None or row.campus == flt.campus)
        and (flt.gate is None or row.gate == flt.gate)
        and (flt.direction is None or row.direction == flt.direction)
        and (flt.result is None or row.result == flt.result)
        and (flt.since is None or row.time >= flt.since)
        and (flt.until is None or row.time < flt.until)
        and (flt.before_id is None or row.id < flt.before_id)
        and text_matches(row, flt.text)
    )


def masked(row: GateRow) -> GateRow:
    """The row as a viewer without view_person_data sees it (the summary loses the values too)."""
    summary = row.summary
    for value in (row.name, row.card, row.plate, row.subject_id):
        if value:
            summary = summary.replace(value, MASK)
    return replace(
        row,
        subject_id=MASK if row.subject_id is not None else None,
        name=MASK if row.name is not None else None,
        card=MASK if row.card is not None else None,
        plate=MASK if row.plate is not None else None,
        pictures=(),
        summary=summary,
    )
