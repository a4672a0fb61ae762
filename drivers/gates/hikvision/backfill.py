"""AcsEvent history search: the request body, the page reader and the pager that closes an outage's gap."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from drivers.gates.hikvision.events import device_text

ACS_EVENT_PATH = "/ISAPI/AccessControl/AcsEvent?format=json"
PAGE_SIZE = 30  # some firmware caps maxResults at 20-30; a device may still return fewer
MAX_PAGES = 2000  # a device that says MORE forever must not keep us paging forever


class BackfillError(Exception):
    """The search failed (HTTP error, bad body). ``unsupported`` means: do not ask this device again."""

    def __init__(self, message: str, *, unsupported: bool = False, raw: bytes = b"") -> None:
        super().__init__(message)
        self.unsupported = unsupported
        self.raw = raw


def search_body(search_id: str, position: int, start: datetime, end: datetime, offset: timedelta,
                max_results: int = PAGE_SIZE) -> dict[str, Any]:
    """One ``AcsEventCond`` page request; major/minor 0 mean every event."""
    return {
        "AcsEventCond": {
            "searchID": search_id,
            "searchResultPosition": position,
            "maxResults": max_results,
            "major": 0,
            "minor": 0,
            "startTime": device_text(start, offset),
            "endTime": device_text(end, offset),
        }
    }


@dataclass(frozen=True, slots=True)
class Page:
    status: str  # OK, MORE, NO MATCH
    total: int | None
    infos: tuple[Mapping[str, Any], ...]


def parse_page(raw: bytes) -> Page:
    """An ``AcsEvent`` answer; a ``ResponseStatus`` with notSupport raises with ``unsupported``."""
    try:
        obj = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BackfillError(f"bad AcsEvent JSON: {exc}", raw=raw) from None
    if not isinstance(obj, dict):
        raise BackfillError("AcsEvent answer is not an object", raw=raw)
    if "AcsEvent" not in obj:
        sub = str(obj.get("subStatusCode") or obj.get("statusString") or "")
        unsupported = "notsupport" in sub.lower().replace(" ", "") or "invalid" in sub.lower()
        refused = f"AcsEvent refused: {sub or 'no AcsEvent object'}"
        raise BackfillError(refused, unsupported=unsupported, raw=raw)
    body = obj["AcsEvent"]
    if not isinstance(body, dict):
        raise BackfillError("AcsEvent is not an object", raw=raw)
    status = str(body.get("responseStatusStrg") or "").upper()
    if status not in ("OK", "MORE", "NO MATCH"):
        raise BackfillError(f"unknown responseStatusStrg {status!r}", raw=raw)
    infos = body.get("InfoList") or []
    if not isinstance(infos, list) or not all(isinstance(i, dict) for i in infos):
        raise BackfillError("InfoList is not a list of objects", raw=raw)
    total = body.get("totalMatches")
    return Page(status, total if isinstance(total, int) else None, tuple(infos))


Post = Callable[[str, bytes], Awaitable[tuple[int, bytes]]]


async def search_pages(post: Post, start: datetime, end: datetime, offset: timedelta,
                       page_size: int = PAGE_SIZE) -> AsyncIterator[tuple[Mapping[str, Any], ...]]:
    """Yield each page's rows, paging while the device says MORE. ``post(path, body)`` → (status, body)."""
    search_id = str(uuid.uuid4())
    position = 0
    for _ in range(MAX_PAGES):
        body = json.dumps(search_body(search_id, position, start, end, offset, page_size)).encode()
        status, raw = await post(ACS_EVENT_PATH, body)
        if status in (403, 404, 405, 501) or (400 <= status < 500 and b"notSupport" in raw):
            raise BackfillError(f"AcsEvent search not supported (HTTP {status})", unsupported=True, raw=raw)
        if status != 200:
            raise BackfillError(f"AcsEvent search failed: HTTP {status}", raw=raw)
        page = parse_page(raw)
        if page.status == "NO MATCH":
            return
        if page.infos:
            yield page.infos
        if page.status != "MORE":
            return
        if not page.infos:
            raise BackfillError("AcsEvent said MORE but returned no rows", raw=raw)
        position += len(page.infos)
    raise BackfillError(f"AcsEvent still MORE after {MAX_PAGES} pages")
