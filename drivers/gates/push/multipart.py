"""Split a multipart body already in memory into parts with plain bytes searches, capping each part."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote

MAX_PARTS = 64  # a gate event has a few parts (JSON/XML + 1-3 pictures); hundreds means something is wrong
MAX_HEADER_LINES = 128  # per part, as aiohttp's reader allows
MAX_HEADER_LINE = 8190
_WS = b" \t\r\n"
_DEFAULT_TYPE = "application/octet-stream"


class MultipartError(ValueError):
    """The body claimed to be multipart but could not be split (no boundary, too many or too big parts)."""


@dataclass(frozen=True, slots=True)
class PushPart:
    """One part of a multipart/form-data or multipart/mixed body."""

    name: str | None
    filename: str | None
    content_type: str
    data: bytes


def _split_params(text: str) -> list[str]:
    """``a; b="x;y"; c`` → ``['a', 'b="x;y"', 'c']``: semicolons inside quotes do not split."""
    if '"' not in text:
        return text.split(";")
    out: list[str] = []
    start = 0
    quoted = escaped = False
    for i, ch in enumerate(text):
        if escaped:
            escaped = False
        elif ch == "\\" and quoted:
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif ch == ";" and not quoted:
            out.append(text[start:i])
            start = i + 1
    out.append(text[start:])
    return out


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
        if "\\" in value:
            chars: list[str] = []
            it = iter(value)
            for ch in it:
                chars.append(next(it, "\\") if ch == "\\" else ch)
            value = "".join(chars)
    return value


def header_params(value: str) -> tuple[str, dict[str, str]]:
    """``form-data; name="a"; filename*=UTF-8''%E9%97%A8.jpg`` → (``form-data``, lower-case keyed params).

    RFC 5987 extended values (``key*``) are decoded and win over the plain ones, as in aiohttp.
    """
    first, *rest = _split_params(value)
    params: dict[str, str] = {}
    extended: dict[str, str] = {}
    for item in rest:
        key, sep, raw = item.partition("=")
        key = key.strip().lower()
        if not sep or not key:
            continue
        if key.endswith("*"):
            charset, _, tail = _unquote(raw).partition("'")
            _, _, encoded = tail.partition("'")
            try:
                extended[key[:-1]] = unquote(encoded, encoding=charset or "utf-8", errors="strict")
            except (LookupError, UnicodeDecodeError):
                continue  # an undecodable extended value: fall back to the plain one, if any
        else:
            params[key] = _unquote(raw)
    params.update(extended)
    return first.strip().lower(), params


@lru_cache(maxsize=512)
def _part_labels(content_type: str, disposition: str) -> tuple[str, str | None, str | None]:
    """(media type, name, filename) of one part's headers; devices repeat the same few header values, so
    they are parsed once each."""
    ctype, _ = header_params(content_type)
    _, params = header_params(disposition)
    return ctype, params.get("name"), params.get("filename")


@lru_cache(maxsize=256)
def boundary_of(content_type_header: str) -> bytes:
    """The boundary parameter of a multipart Content-Type header; MultipartError when it has none."""
    _, params = header_params(content_type_header)
    boundary = params.get("boundary", "")
    if not boundary:
        raise MultipartError("multipart content type without a boundary")
    if len(boundary) > 256:
        raise MultipartError(f"multipart boundary of {len(boundary)} characters")
    try:
        return boundary.encode("latin-1")
    except UnicodeEncodeError:
        raise MultipartError(f"multipart boundary {boundary!r} is not latin-1") from None


def _line_end(body: bytes, start: int) -> int:
    """Index just past the LF ending the line at ``start`` (or the end of the body)."""
    end = body.find(b"\n", start)
    return len(body) if end < 0 else end + 1


def _boundary_line(body: bytes, pos: int, delimiter: bytes) -> tuple[bool, int]:
    """The line at ``pos`` must be ``--boundary`` or ``--boundary--`` (trailing whitespace allowed).

    Returns (was the closing delimiter, the index after the line)."""
    end = _line_end(body, pos)
    line = body[pos:end].rstrip(_WS)
    if line == delimiter:
        return False, end
    if line == delimiter + b"--":
        return True, end
    raise MultipartError(f"invalid boundary line {line[:80]!r}")


def _headers(body: bytes, pos: int) -> tuple[dict[str, str], int]:
    """Part headers from ``pos`` to the first empty line; keys lower-case, folded lines joined."""
    headers: dict[str, str] = {}
    last: str | None = None
    for _ in range(MAX_HEADER_LINES + 1):
        if pos >= len(body):
            raise MultipartError("part headers run to the end of the body")
        end = _line_end(body, pos)
        raw = body[pos:end].rstrip(b"\r\n")
        pos = end
        if not raw:
            return headers, pos
        if len(raw) > MAX_HEADER_LINE:
            raise MultipartError(f"part header line of {len(raw)} bytes")
        line = raw.decode("utf-8", "replace")
        if line[0] in " \t" and last is not None:  # obsolete line folding
            headers[last] += " " + line.strip()
            continue
        key, sep, value = line.partition(":")
        key = key.strip().lower()
        if not sep or not key or " " in key or "\t" in key:
            raise MultipartError(f"bad part header line {raw[:80]!r}")
        headers[key] = value.strip() if key not in headers else f"{headers[key]}, {value.strip()}"
        last = key
    raise MultipartError(f"more than {MAX_HEADER_LINES} part header lines")


def parse_multipart(content_type_header: str, body: bytes, *, max_part: int) -> tuple[PushPart, ...]:
    """Parse ``body`` (the whole multipart/* entity) into parts; MultipartError on anything malformed.

    The framing follows aiohttp's MultipartReader (RFC 2046): a preamble before the first ``--boundary``
    line, each part's data ends at CRLF ``--boundary`` (or after its own Content-Length), the epilogue after
    ``--boundary--`` is ignored. Transfer encodings are not undone, as with ``read_chunk``.
    """
    delimiter = b"--" + boundary_of(content_type_header)
    # The preamble: the first line that is the delimiter (or the closing one), as aiohttp reads it.
    pos = 0
    while True:
        if body.startswith(delimiter, pos):
            try:
                closed, pos = _boundary_line(body, pos, delimiter)
                break
            except MultipartError:
                pass
        nxt = body.find(b"\n" + delimiter, pos)
        if nxt < 0:
            raise MultipartError(f"could not find the starting boundary {delimiter[:80]!r}")
        pos = nxt + 1
    separator = b"\r\n" + delimiter
    parts: list[PushPart] = []
    while not closed:
        if len(parts) >= MAX_PARTS:
            raise MultipartError(f"more than {MAX_PARTS} parts")
        headers, pos = _headers(body, pos)
        ctype, name, filename = _part_labels(
            headers.get("content-type", _DEFAULT_TYPE), headers.get("content-disposition", "")
        )
        if ctype.startswith("multipart/"):
            raise MultipartError("nested multipart bodies are not supported")
        length = headers.get("content-length")
        if length is not None:
            if not (length.isascii() and length.isdigit()):
                raise MultipartError(f"bad part Content-Length {length[:40]!r}")
            end = pos + int(length)
            if end > len(body) or body[end:end + 2] != b"\r\n":
                raise MultipartError(f"part {name!r} is shorter than its Content-Length {length}")
            nxt = end + 2
        elif body.startswith(delimiter, pos):  # an empty part: the headers' blank line was the CRLF
            end = nxt = pos
        else:
            end = body.find(separator, pos)
            if end < 0:
                raise MultipartError(f"part {name!r} has no closing boundary")
            nxt = end + 2
        if end - pos > max_part:
            raise MultipartError(f"part {name!r} is larger than {max_part} bytes")
        parts.append(PushPart(name, filename, ctype, body[pos:end]))
        closed, pos = _boundary_line(body, nxt, delimiter)
    return tuple(parts)


async def split_multipart(content_type_header: str, body: bytes, *, max_part: int) -> tuple[PushPart, ...]:
    """:func:`parse_multipart` for callers in a coroutine (it never waits: the body is in memory)."""
    return parse_multipart(content_type_header, body, max_part=max_part)
