"""Parse a Dahua HTTP event upload body (``{"Events": [{"Code", "Action", "Index", "Data"}]}``) (pure)."""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping
from typing import Any

from drivers.gates.dahua.records import (
    ParsedBody,
    Record,
    RecordError,
    decode_text,
    parse_event_text,
    parse_index,
)

__all__ = ["UploadError", "decode_body", "parse_upload"]

MAX_INFLATED = 16 * 1024 * 1024  # a compressed body may not expand beyond this (zip bomb)


class UploadError(ValueError):
    """The body is not an upload we can read at all (answered 400; the raw body is logged)."""


def decode_body(body: bytes, encoding: str | None) -> bytes:
    """Undo ``Content-Encoding: gzip|deflate``, which some firmware sets on uploads."""
    word = (encoding or "").strip().lower()
    if word in ("", "identity"):
        return body
    if word not in ("gzip", "deflate", "x-gzip"):
        raise UploadError(f"unsupported Content-Encoding {encoding!r}")
    # Some firmware labels plain JSON as deflate; try raw, zlib, gzip framings in turn.
    if word == "deflate" and body.lstrip()[:1] in (b"{", b"C", b"["):
        return body
    for wbits in ((31,) if word != "deflate" else (15, -15, 31)):
        inflater = zlib.decompressobj(wbits)
        try:
            out = inflater.decompress(body, MAX_INFLATED)
        except zlib.error:
            continue
        if inflater.unconsumed_tail:
            raise UploadError(f"compressed body expands beyond {MAX_INFLATED} bytes")
        return out
    raise UploadError(f"body is not valid {word} data")


def _record(item: Any, position: int) -> Record | RecordError:
    raw = json.dumps(item, ensure_ascii=False).encode()
    if not isinstance(item, Mapping):
        return RecordError(f"Events[{position}] is not an object", raw)
    fields = {str(k).lower(): v for k, v in item.items()}
    code = str(fields.get("code") or "").strip()
    if not code:
        return RecordError(f"Events[{position}] has no Code", raw)
    data = fields.get("data")
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        return RecordError(f"Events[{position}].Data is not an object", raw)
    action = str(fields.get("action") or "").strip() or "Pulse"
    return Record(code, action, parse_index(fields.get("index")), dict(data), raw)


def parse_upload(body: bytes) -> ParsedBody:
    """Records of one upload. Accepts the ``Events`` array, a single event object, and the older
    text form ``Code=…;action=…;data={…}`` that some firmware posts as text/plain."""
    text = decode_text(body).strip()
    if not text:
        raise UploadError("empty body")
    if text.startswith("Code=") or text.lower() == "heartbeat":
        return parse_event_text(body)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UploadError(f"not JSON: {exc.msg} at {exc.pos}") from None
    if isinstance(document, Mapping):
        events = document.get("Events", document.get("events"))
        if events is None and any(str(k).lower() == "code" for k in document):
            events = [document]
    elif isinstance(document, list):
        events = document
    else:
        events = None
    if not isinstance(events, list):
        raise UploadError("no Events array")
    records: list[Record] = []
    errors: list[RecordError] = []
    for position, item in enumerate(events):
        parsed = _record(item, position)
        if isinstance(parsed, Record):
            records.append(parsed)
        else:
            errors.append(parsed)
    return ParsedBody(False, tuple(records), tuple(errors))
