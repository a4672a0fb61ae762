"""The fire board: a pure reduction of open fire-side alarms and recent fire events, per panel and system."""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from drivers.base import HealthState, Priority

from .alarms import Alarm
from .fire_facts import (
    LINE_KINDS,
    RANK,
    Condition,
    Facts,
    FireEvent,
    Place,
    PointInfo,
    is_fire_kind,
    natural_key,
    parse_address,
    place_of,
    replay,
    system_label,
)

__all__ = ["Cell", "Condition", "Entry", "FireBoard", "FireEvent", "Line", "PanelBoard", "PanelInfo", "Place",
           "PointInfo", "SystemBoard", "Zone", "entry_of", "entry_order", "reduce_board"]

_BY_PRIORITY = {Priority.FIRE: Condition.FIRE, Priority.SUPERVISORY: Condition.SUPERVISORY,
                Priority.FAULT: Condition.FAULT, Priority.DISABLED: Condition.DISABLED}


class Line(enum.StrEnum):
    """State of a panel's mains, battery or transmission link."""

    NORMAL = "normal"
    FAULT = "fault"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class PanelInfo:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of the board's list: an open fire-side alarm with the panel's words for it."""

    alarm: Alarm
    condition: Condition
    location: str
    component: str  # component type in the panel's words, "" when it did not say
    point_kind: str  # the site point's kind, for a fallback word
    place: Place
    first: bool = False
    reset: bool = False  # the panel reported reset; listed only until the officer closes the alarm


@dataclass(frozen=True, slots=True)
class Cell:
    number: str
    name: str
    state: Condition | None = None
    point_id: str | None = None


@dataclass(frozen=True, slots=True)
class Zone:
    system: str
    zone: str
    cells: tuple[Cell, ...]


@dataclass(frozen=True, slots=True)
class SystemBoard:
    key: str
    label: str
    counts: Mapping[Condition, int]


@dataclass(frozen=True, slots=True)
class PanelBoard:
    id: str
    name: str
    counts: Mapping[Condition, int]
    mains: Line
    battery: Line
    link: Line
    systems: tuple[SystemBoard, ...]
    zones: tuple[Zone, ...]


@dataclass(frozen=True, slots=True)
class FireBoard:
    panels: tuple[PanelBoard, ...] = ()
    entries: tuple[Entry, ...] = ()

    @property
    def first_fire(self) -> Entry | None:
        return next((e for e in self.entries if e.first), None)


def entry_order(entry: Entry) -> tuple[bool, int, datetime, int]:
    """GB 4717 order: by condition, then in the order they came, so the first fire leads; reset last."""
    return (entry.reset, RANK[entry.condition], entry.alarm.first_time, entry.alarm.id)


def entry_of(
    alarm: Alarm, event: FireEvent | None, site_point: PointInfo | None, panel_ids: Collection[str]
) -> Entry | None:
    """The board's line for one alarm, or None when the alarm is not the board's (closed, not fire-side).

    ``event`` is the event that raised or last repeated it (the panel's words), if still known."""
    condition = _BY_PRIORITY.get(alarm.priority)
    fire_side = is_fire_kind(alarm.kind) or alarm.source in panel_ids
    if condition is None or not alarm.is_open or not fire_side:
        return None
    place = place_of(alarm.point, event, site_point)
    payload = event.payload if event else {}
    location = ((site_point.location or site_point.name) if site_point else "") or str(
        payload.get("description") or "") or alarm.location or alarm.summary
    return Entry(alarm, condition, location, str(payload.get("component_type_name", "")),
                 site_point.kind if site_point else "", place, reset=alarm.cleared)


def reduce_board(
    alarms: Iterable[Alarm],
    events: Iterable[FireEvent] | Facts,
    panels: Iterable[PanelInfo],
    points: Iterable[PointInfo] = (),
    health: Mapping[str, HealthState] | None = None,
) -> FireBoard:
    """The board for open ``alarms`` (other kinds are ignored) and recent fire ``events`` (any order, or
    already applied to ``Facts``, as a view keeping them up to date does)."""
    panel_list = list(panels)
    panel_ids = {p.id for p in panel_list}
    site_points = {p.id: p for p in points}
    facts = events if isinstance(events, Facts) else replay(events)
    labels: dict[tuple[str, str], str] = {}
    entries = []
    for alarm in alarms:
        # The event that raised or last repeated the alarm carries the panel's words; older ones may be
        # beyond the backlog, then the point's latest event is the next best.
        event = (facts.by_id.get(alarm.last_event) or facts.by_id.get(alarm.first_event)
                 or facts.latest.get((alarm.source, alarm.point)))
        entry = entry_of(alarm, event, site_points.get(alarm.point or ""), panel_ids)
        if entry is not None:
            labels.setdefault((alarm.source, entry.place.system), system_label(event, entry.place))
            entries.append(entry)
    # GB 4717 order: by condition, then in the order they came, so the first fire leads the list.
    entries.sort(key=entry_order)
    fires = [e for e in entries if e.condition is Condition.FIRE and not e.reset]
    if fires:  # a reset ends the episode: the next fire is the first fire of a new one
        entries[entries.index(fires[0])] = replace(fires[0], first=True)
    extra = {e.alarm.source for e in entries} | {k[0] for k, v in facts.info.items() if v}
    panel_list += [PanelInfo(s, s) for s in sorted(extra - panel_ids)]
    health = health or {}
    boards = tuple(_panel(p, entries, facts, site_points, labels, health.get(p.id)) for p in panel_list)
    return FireBoard(boards, tuple(entries))


def _panel(panel: PanelInfo, entries: list[Entry], facts: Facts, site_points: Mapping[str, PointInfo],
           labels: Mapping[tuple[str, str], str], health: HealthState | None) -> PanelBoard:
    mine = [e for e in entries if e.alarm.source == panel.id and not e.reset]
    marks: list[tuple[Place, Condition, str, str | None]] = [
        (e.place, e.condition, e.location, e.alarm.point) for e in mine]
    for (source, point), conditions in facts.info.items():
        if source == panel.id:
            site_point = site_points.get(point or "")
            place = place_of(point, facts.latest.get((source, point)), site_point)
            name = site_point.name if site_point else (point or "")
            marks += [(place, c, name, point) for c in sorted(conditions, key=RANK.__getitem__)]
    totals = dict.fromkeys(Condition, 0)
    systems: dict[str, dict[Condition, int]] = {}
    cells: dict[tuple[str, str, str], Cell] = {}
    for p in site_points.values():  # every configured point gets a cell, quiet or not
        if p.device == panel.id:
            at = parse_address(p.address)
            cells[(at.system, at.zone, at.number)] = Cell(at.number, p.name, None, p.id)
    for place, condition, name, point in marks:
        totals[condition] += 1
        counts = systems.get(place.system)
        if counts is None:  # not setdefault: building the default for every mark cost more than the rest
            counts = systems[place.system] = dict.fromkeys(Condition, 0)
        counts[condition] += 1
        if place.number:
            key = (place.system, place.zone, place.number)
            old = cells.get(key)
            # The loudest condition paints the cell: a fault never hides a fire.
            if old is None or old.state is None or RANK[condition] < RANK[old.state]:
                cells[key] = Cell(place.number, old.name if old else name, condition, point)
    link = _link(panel.id, mine, facts, health)
    return PanelBoard(
        panel.id, panel.name, totals,
        _power(panel.id, "mains", mine, facts, link), _power(panel.id, "battery", mine, facts, link), link,
        tuple(SystemBoard(k, labels.get((panel.id, k), k), v) for k, v in sorted(systems.items())),
        _zones(cells),
    )


def _line_fault(source: str, line: str, entries: list[Entry], facts: Facts) -> bool:
    if (source, line) in facts.heard_lines:  # the events are newer than what the alarms remember
        return facts.line_fault(source, line)
    return any(LINE_KINDS.get(e.alarm.kind) == line for e in entries)


def _link(source: str, entries: list[Entry], facts: Facts, health: HealthState | None) -> Line:
    if health is HealthState.OFFLINE or _line_fault(source, "link", entries, facts):
        return Line.FAULT
    if health in (HealthState.ONLINE, HealthState.DEGRADED) or source in facts.heard:
        return Line.NORMAL
    return Line.UNKNOWN


def _power(source: str, line: str, entries: list[Entry], facts: Facts, link: Line) -> Line:
    if _line_fault(source, line, entries, facts):
        return Line.FAULT
    # Without a working link we cannot know that the power is fine, only that no fault was reported.
    return Line.NORMAL if link is Line.NORMAL else Line.UNKNOWN


def _zones(cells: Mapping[tuple[str, str, str], Cell]) -> tuple[Zone, ...]:
    grouped: dict[tuple[str, str], list[Cell]] = {}
    for (system, zone, _), cell in cells.items():
        grouped.setdefault((system, zone), []).append(cell)
    order = sorted(grouped, key=lambda k: (natural_key(k[0]), natural_key(k[1])))
    return tuple(Zone(s, z, tuple(sorted(grouped[(s, z)], key=lambda c: natural_key(c.number))))
                 for s, z in order)
