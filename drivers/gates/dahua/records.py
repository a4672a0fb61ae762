"""Parse the text of a Dahua event part, ``Code=…;action=…;index=…;data={…}``, into records (pure)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["HEARTBEAT", "ParsedBody", "Record", "RecordError", "decode_text", "parse_event_text"]

HEARTBEAT = "Heartbeat"
_DECODER = json.JSONDecoder()


@dataclass(frozen=True, slots=True)
class Record:
    """One event as the device names it: code, action (Start / Stop / Pulse), channel index, data."""

    code: str
    action: str = "Pulse"
    index: int | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    raw: bytes = b""


@dataclass(frozen=True, slots=True)
class RecordError:
    """A record that could not be read; ``raw`` is its text as received."""

    reason: str
    raw: bytes


@dataclass(frozen=True, slots=True)
class ParsedBody:
    heartbeat: bool = False
    records: tuple[Record, ...] = ()
    errors: tuple[RecordError, ...] = ()


def decode_text(body: bytes) -> str:
    """Dahua sends UTF-8; some older firmware sends names in GB18030. Neither ever raises here."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("gb18030", errors="replace")


def parse_index(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _next_record_start(text: str, start: int) -> int:
    """Where the next ``Code=`` at the start of a line begins, or the end of the text."""
    pos = start
    while True:
        found = text.find("Code=", pos)
        if found < 0:
            return len(text)
        if found == 0 or text[found - 1] in "\r\n":
            return found
        pos = found + 5


def parse_event_text(body: bytes) -> ParsedBody:
    """All the records in one part (usually one; some firmware packs several, one per line).

    The JSON after ``data=`` may span many lines and contain ``;`` and ``=`` inside strings; it is read
    with a real JSON decoder from ``data=`` to the end of its object. A record whose JSON does not parse
    becomes a RecordError and the records after it are still read.
    """
    text = decode_text(body)
    stripped = text.strip()
    if stripped.lower() == HEARTBEAT.lower():
        return ParsedBody(heartbeat=True)
    records: list[Record] = []
    errors: list[RecordError] = []
    pos = 0
    while pos < len(text):
        start = text.find("Code=", pos)
        if start < 0:
            if text[pos:].strip():
                errors.append(RecordError("no Code= in the part", text[pos:].encode()))
            break
        if text[pos:start].strip():
            errors.append(RecordError("text before Code=", text[pos:start].encode()))
        pos = _parse_one(text, start, records, errors)
    return ParsedBody(False, tuple(records), tuple(errors))


def _parse_one(text: str, start: int, records: list[Record], errors: list[RecordError]) -> int:
    """Parse the record beginning at ``start``; returns where the next one may begin."""
    fields: dict[str, str] = {}
    pos = start
    data: Any = {}
    while True:
        ends = [i for i in (text.find(";", pos), text.find("\n", pos)) if i >= 0]
        end = min(ends) if ends else len(text)
        key, sep, value = text[pos:end].partition("=")
        name = key.strip().lower()
        if sep and name == "data":
            value_at = pos + len(key) + 1
            while value_at < len(text) and text[value_at] in " \t\r\n":
                value_at += 1
            try:
                data, after = _DECODER.raw_decode(text, value_at)
            except json.JSONDecodeError as exc:
                stop = _next_record_start(text, value_at)
                errors.append(RecordError(f"invalid JSON after data=: {exc.msg} at {exc.pos - start}",
                                          text[start:stop].encode()))
                return stop
            if not isinstance(data, dict):
                stop = _next_record_start(text, after)
                errors.append(RecordError("data= is not a JSON object", text[start:stop].encode()))
                return stop
            end = after
            break
        if sep:
            fields[name] = value.strip()
        if end >= len(text) or text[end] == "\n":
            break
        pos = end + 1
    code = fields.get("code", "").strip()
    raw = text[start:end].encode()
    if not code:
        errors.append(RecordError("empty Code=", raw))
    else:
        action = fields.get("action", "").strip() or "Pulse"
        records.append(Record(code, action, parse_index(fields.get("index")), data, raw))
    while end < len(text) and text[end] in ";\r\n \t":
        end += 1
    return end
