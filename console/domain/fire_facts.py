"""What recent fire events say: each event's details, where a point sits, and conditions still on."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from drivers.base import DeviceEvent, EventState


class Condition(enum.StrEnum):
    """A point's condition in GB 4717 display order; started and feedback only inform."""

    FIRE = "fire"
    SUPERVISORY = "supervisory"
    FAULT = "fault"
    DISABLED = "disabled"
    STARTED = "started"
    FEEDBACK = "feedback"


RANK = {c: i for i, c in enumerate(Condition)}  # lower is louder
INFO_KINDS = {"fire.started": Condition.STARTED, "fire.feedback": Condition.FEEDBACK}
LINE_KINDS = {"fire.mains_fault": "mains", "fire.battery_fault": "battery",
              "fire.link_fault": "link", "fire.comm_fault": "link"}


@dataclass(frozen=True, slots=True)
class FireEvent:
    """The part of a stored fire event the board needs (the payload carries the panel's own words)."""

    id: int
    time: datetime
    source: str
    point: str | None
    kind: str
    state: EventState
    summary: str = ""
    payload: Mapping[str, Any] = field(default_factory=dict)

    @staticmethod
    def from_stored(event_id: int, event: DeviceEvent) -> FireEvent:
        return FireEvent(event_id, event.received_time, event.source, event.point, event.kind, event.state,
                         event.summary, event.payload)

    @staticmethod
    def from_row(row: Mapping[str, Any]) -> FireEvent:
        """From a dict of the store's event queries (ISO time, state text, decoded payload)."""
        return FireEvent(int(row["id"]), datetime.fromisoformat(row["time"]), row["source"], row["point"],
                         row["kind"], EventState(row["state"]), row.get("summary", ""),
                         row.get("payload") or {})


def is_fire_kind(kind: str) -> bool:
    return kind.startswith("fire.")


@dataclass(frozen=True, slots=True)
class PointInfo:
    """A site-file point as the board sees it."""

    id: str
    device: str
    address: str
    name: str
    kind: str = ""
    location: str = ""


@dataclass(frozen=True, slots=True)
class Place:
    """Where a point sits on its panel: system ("type-addr"), zone (区/回路) and point number."""

    system: str = ""
    zone: str = ""
    number: str = ""


def parse_address(address: str | None) -> Place:
    """A site point address: "sys-addr-zone-point", "loop-zone-point", "zone-point" or a bare number."""
    parts = [p for p in (address or "").split("-") if p]
    if not all(p.isdigit() for p in parts):  # a name, not an address: one cell of its own
        return Place("", "", address or "")
    if len(parts) >= 4:
        return Place(f"{parts[0]}-{parts[1]}", parts[2], "-".join(parts[3:]))
    if len(parts) >= 2:
        return Place("", "-".join(parts[:-1]), parts[-1])
    return Place("", "", parts[0] if parts else "")


def place_of(point: str | None, event: FireEvent | None, site_point: PointInfo | None) -> Place:
    """The site file's address, else the panel's system/zone/number, else the address as given."""
    # The site file wins because its grid shows quiet points too: a point must keep one cell.
    if site_point is not None:
        return parse_address(site_point.address)
    payload = event.payload if event else {}
    if "system_type" in payload and "system_addr" in payload:
        system = f"{payload['system_type']}-{payload['system_addr']}"
        if "zone" in payload and "number" in payload:
            return Place(system, str(payload["zone"]), str(payload["number"]))
        return Place(system)  # a system-level record: no point of its own
    return parse_address(payload.get("address") or point)


def system_label(event: FireEvent | None, place: Place) -> str:
    payload = event.payload if event else {}
    if "system_type_name" in payload and "system_addr" in payload:
        return f"{payload['system_type_name']} {payload['system_addr']}号"
    return place.system


@lru_cache(maxsize=8192)  # the board sorts the same few hundred addresses on every refresh
def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """"2" before "10": numbers compare as numbers."""
    return tuple((0, int(t)) if t.isdigit() else (1, t) for t in re.findall(r"\d+|\D+", text))


PointKey = tuple[str, str | None]  # (source, point)


@dataclass
class Facts:
    """Replayed oldest first: details per event and per point, and the conditions still on."""

    by_id: dict[int, FireEvent] = field(default_factory=dict)
    latest: dict[PointKey, FireEvent] = field(default_factory=dict)
    info: dict[PointKey, set[Condition]] = field(default_factory=dict)
    lines: dict[PointKey, set[str]] = field(default_factory=dict)
    heard_lines: set[tuple[str, str]] = field(default_factory=set)  # (source, line) some event spoke of
    heard: set[str] = field(default_factory=set)  # sources that sent any fire event

    def line_fault(self, source: str, line: str) -> bool:
        return any(line in v for k, v in self.lines.items() if k[0] == source)

    def apply(self, e: FireEvent) -> None:
        """Add one event, newer than every event applied so far (``replay`` is these in id order)."""
        if not is_fire_kind(e.kind):
            return
        key = (e.source, e.point)
        self.by_id[e.id] = e
        self.latest[key] = e
        self.heard.add(e.source)
        if e.kind == "fire.reset" and _panel_wide(e):
            # A panel or system reset (复位) ends every condition the panel reported.
            for table in (self.info, self.lines):
                for k in [k for k in table if k[0] == e.source]:
                    del table[k]
            self.heard_lines.update((e.source, line) for line in set(LINE_KINDS.values()))
        elif e.kind in ("fire.reset", "fire.normal"):
            self.info.pop(key, None)
            self.lines.pop(key, None)
        elif e.kind in INFO_KINDS:
            _switch(self.info.setdefault(key, set()), INFO_KINDS[e.kind], e.state)
        elif e.kind in LINE_KINDS:
            self.heard_lines.add((e.source, LINE_KINDS[e.kind]))
            _switch(self.lines.setdefault(key, set()), LINE_KINDS[e.kind], e.state)

    def keep_details_of(self, newest: int) -> None:
        """Forget the details of all but the ``newest`` events (conditions and latest per point stay)."""
        excess = len(self.by_id) - newest
        if excess > 0:
            for event_id in sorted(self.by_id)[:excess]:
                del self.by_id[event_id]

    def copy(self) -> Facts:
        """A copy another thread can read while this one goes on applying events."""
        return Facts(dict(self.by_id), dict(self.latest), {k: set(v) for k, v in self.info.items()},
                     {k: set(v) for k, v in self.lines.items()}, set(self.heard_lines), set(self.heard))


def replay(events: Iterable[FireEvent]) -> Facts:
    facts = Facts()
    for e in sorted(events, key=lambda e: e.id):
        facts.apply(e)
    return facts


def _panel_wide(event: FireEvent) -> bool:
    """A reset from the panel, its UITD or a whole system, rather than from one point."""
    payload = event.payload
    return event.point in (None, "uitd") or ("system_type" in payload and "zone" not in payload)


def _switch(conditions: set[Any], condition: Any, state: EventState) -> None:
    if state is EventState.CLEARED:
        conditions.discard(condition)
    else:
        conditions.add(condition)
