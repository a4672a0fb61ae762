"""Split an multipart body into parts with aiohttp's MultipartReader, capping each part."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiohttp import BodyPartReader, MultipartReader
from aiohttp.base_protocol import BaseProtocol
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.streams import StreamReader

MAX_PARTS = 64  # a gate event has a few parts (JSON/XML + 1-3 pictures); hundreds means something is wrong


class MultipartError(ValueError):
    """The body claimed to be multipart but could not be split (no boundary, too many or too big parts)."""


@dataclass(frozen=True, slots=True)
class PushPart:
    """One part of a multipart/form-data or multipart/mixed body."""

    name: str | None
    filename: str | None
    content_type: str
    data: bytes


async def split_multipart(content_type_header: str, body: bytes, *, max_part: int) -> tuple[PushPart, ...]:
    """Parse ``body`` (the whole multipart/* entity) into parts; MultipartError on anything malformed."""
    if "boundary=" not in content_type_header.lower():
        raise MultipartError("multipart content type without a boundary")
    loop = asyncio.get_running_loop()
    # The body is already in memory, so the stream only needs to hold it; a limit above its size keeps
    # the reader from trying to pause a transport that does not exist.
    stream = StreamReader(BaseProtocol(loop), max(len(body), 2**16), loop=loop)
    stream.feed_data(body)
    stream.feed_eof()
    reader = MultipartReader({"Content-Type": content_type_header}, stream)
    parts: list[PushPart] = []
    try:
        while True:
            item = await reader.next()
            if item is None:
                break
            if not isinstance(item, BodyPartReader):
                raise MultipartError("nested multipart bodies are not supported")
            if len(parts) >= MAX_PARTS:
                raise MultipartError(f"more than {MAX_PARTS} parts")
            data = bytearray()
            while chunk := await item.read_chunk():
                data += chunk
                if len(data) > max_part:
                    raise MultipartError(f"part {item.name!r} is larger than {max_part} bytes")
            ctype = item.headers.get("Content-Type", "application/octet-stream")
            parts.append(
                PushPart(item.name, item.filename, ctype.split(";", 1)[0].strip().lower(), bytes(data))
            )
    except MultipartError:
        raise
    except (ValueError, AssertionError, RuntimeError, LookupError, HttpProcessingError, Warning) as exc:
        # aiohttp raises these on a boundary it cannot find or part headers it cannot parse (a bad
        # Content-Disposition is a warning, raised only where warnings are errors, as in the tests).
        raise MultipartError(f"malformed multipart body: {exc}") from exc
    return tuple(parts)
