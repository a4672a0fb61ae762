"""Motion zones: include/exclude polygons with their own sensitivity, size floor and armed schedule."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any, Literal, NamedTuple

import numpy as np

ALL_FRAME = "*"  # the implicit zone when a camera has no include zone
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class ZoneConfigError(ValueError):
    """A zone that cannot be used; the message names the zone."""


@dataclass(frozen=True)
class TimeRange:
    """Weekdays (0 = Monday) and a start/end time; an end before the start runs past midnight."""

    days: frozenset[int]
    start: time
    end: time | None  # None = midnight at the end of the day

    def contains(self, when: datetime) -> bool:
        now, day = when.time(), when.weekday()
        if self.end is None or self.start < self.end:
            return day in self.days and now >= self.start and (self.end is None or now < self.end)
        # Overnight: the evening part belongs to the listed day, the morning part to the day after.
        return (day in self.days and now >= self.start) or ((day - 1) % 7 in self.days and now < self.end)


@dataclass(frozen=True)
class Zone:
    """A polygon in input pixels; sensitivity > 1 fires on fainter change, min_size is in px."""

    name: str
    points: tuple[tuple[float, float], ...]
    kind: Literal["include", "exclude"] = "include"
    sensitivity: float = 1.0
    min_size: int = 0  # smallest box area (px) that counts as motion here; 0 = the detector's own
    armed: tuple[TimeRange, ...] = field(default=())  # when motion here is an alarm; empty = never

    def is_armed(self, when: datetime) -> bool:
        """Whether motion in this zone at ``when`` is an alarm."""
        return any(r.contains(when) for r in self.armed)


class ZoneHit(NamedTuple):
    """One zone's share of a frame's motion."""

    zone: str
    motion: bool
    score: float  # fraction of the zone covered by motion boxes
    boxes: list[tuple[int, int, int, int]]


def validate_zone(zone: Zone, size: tuple[int, int]) -> None:
    """Raise ZoneConfigError unless ``zone`` is a simple polygon inside a ``(width, height)`` frame."""
    def fail(why: str) -> ZoneConfigError:
        return ZoneConfigError(f"zone {zone.name!r}: {why}")

    if not zone.name:
        raise ZoneConfigError("a zone needs a name")
    if zone.kind not in ("include", "exclude"):
        raise fail(f"kind must be 'include' or 'exclude', not {zone.kind!r}")
    if not 0 < zone.sensitivity <= 100 or zone.min_size < 0:
        raise fail("sensitivity must be in (0, 100] and min_size >= 0")
    pts = np.asarray(zone.points, float)
    if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) < 3 or not np.isfinite(pts).all():
        raise fail("needs at least 3 finite (x, y) points")
    width, height = size
    if (pts < 0).any() or (pts[:, 0] > width).any() or (pts[:, 1] > height).any():
        raise fail(f"a point lies outside the {width}x{height} frame")
    if (np.abs(pts - np.roll(pts, -1, axis=0)).sum(1) == 0).any():
        raise fail("has the same point twice in a row")
    if _self_intersects(pts):
        raise fail("the polygon crosses itself")
    x, y = pts[:, 0], pts[:, 1]
    if abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) < 1e-9:
        raise fail("the polygon has no area")


def _self_intersects(pts: np.ndarray) -> bool:
    """Whether any two non-adjacent edges touch (all pairs at once; polygons are small)."""
    a, b = pts, np.roll(pts, -1, axis=0)
    n = len(pts)
    i, j = np.triu_indices(n, 1)
    adjacent = (j == i + 1) | ((i == 0) & (j == n - 1))
    # Adjacent edges share a vertex; they still cross if they fold back onto each other.
    p, r, q, s = a[i], b[i] - a[i], a[j], b[j] - a[j]
    cross = r[:, 0] * s[:, 1] - r[:, 1] * s[:, 0]
    qp = q - p
    t_num = qp[:, 0] * s[:, 1] - qp[:, 1] * s[:, 0]
    u_num = qp[:, 0] * r[:, 1] - qp[:, 1] * r[:, 0]
    eps = 1e-12
    with np.errstate(divide="ignore", invalid="ignore"):
        t, u = t_num / cross, u_num / cross
        proper = (np.abs(cross) > eps) & (t >= 0) & (t <= 1) & (u >= 0) & (u <= 1) & ~adjacent
        # Parallel edges: on one line and overlapping means the outline runs back over itself.
        collinear = (np.abs(cross) <= eps) & (np.abs(t_num) <= eps)
        rr = np.maximum((r * r).sum(1), eps)
        t0, t1 = (qp * r).sum(1) / rr, ((qp + s) * r).sum(1) / rr
        lo, hi = np.minimum(t0, t1), np.maximum(t0, t1)
        overlap = collinear & (hi > 0) & (lo < 1) & ((hi - np.maximum(lo, 0)) > 1e-9)
        touch = collinear & ~adjacent & (hi >= 0) & (lo <= 1)
    return bool((proper | overlap | touch).any())


def rasterise(points: Iterable[tuple[float, float]], size: tuple[int, int]) -> np.ndarray:
    """Boolean ``(height, width)`` mask of the pixels whose centres lie inside the polygon."""
    width, height = size
    pts = np.asarray(list(points), float)
    xs = np.arange(width) + 0.5
    ys = (np.arange(height) + 0.5)[:, None]
    inside = np.zeros((height, width), bool)
    # Even-odd rule, one edge at a time over all pixels: a loop over edges, never over pixels.
    for (x0, y0), (x1, y1) in zip(pts, np.roll(pts, -1, axis=0), strict=True):
        if y0 == y1:
            continue
        spans = (ys >= min(y0, y1)) & (ys < max(y0, y1))
        x_cross = x0 + (ys - y0) * (x1 - x0) / (y1 - y0)
        inside ^= spans & (xs < x_cross)
    return inside


class ZoneSet:
    """A camera's zones, validated and rasterised once for its frame size."""

    def __init__(self, zones: Iterable[Zone], size: tuple[int, int]):
        self.zones = list(zones)
        self.size = size
        names = [z.name for z in self.zones]
        for z in self.zones:
            validate_zone(z, size)
            if names.count(z.name) > 1:
                raise ZoneConfigError(f"zone {z.name!r}: the name is used twice")
        self.masks = {z.name: rasterise(z.points, size) for z in self.zones}
        for z in self.zones:
            if not self.masks[z.name].any():
                raise ZoneConfigError(f"zone {z.name!r}: covers no pixel centre")
        self.includes = [z for z in self.zones if z.kind == "include"]
        excluded = np.zeros((size[1], size[0]), bool)
        for z in self.zones:
            if z.kind == "exclude":
                excluded |= self.masks[z.name]
        self.excluded = excluded
        if not self.includes:  # no include zone: the whole frame less the excluded parts
            self.includes = [Zone(ALL_FRAME, ((0, 0), (size[0], 0), size, (0, size[1])))]
            self.masks[ALL_FRAME] = np.ones((size[1], size[0]), bool)
        for z in self.includes:
            self.masks[z.name] = self.masks[z.name] & ~excluded

    def sensitivity_map(self, cells: tuple[int, int], cell: int = 8) -> np.ndarray:
        """Per-cell threshold multipliers for MotionDetector.set_sensitivity (inf = not watched)."""
        h, w = cells

        def cover(mask: np.ndarray) -> np.ndarray:
            return mask[: h * cell, : w * cell].reshape(h, cell, w, cell).mean(axis=(1, 3))

        scale = np.full(cells, np.inf, np.float32)
        for z in self.includes:
            # A cell is watched when at least half of it lies in the zone; the most sensitive zone wins.
            scale = np.where(cover(self.masks[z.name]) >= 0.5, np.minimum(scale, 1.0 / z.sensitivity), scale)
        scale[cover(self.excluded) >= 0.5] = np.inf
        return scale

    def evaluate(self, boxes: Iterable[tuple[int, int, int, int]], min_area: int = 0) -> list[ZoneHit]:
        """Split one frame's motion boxes into the include zones they overlap."""
        boxes = list(boxes)
        hits = []
        for z in self.includes:
            mask = self.masks[z.name]
            inside, covered = [], 0
            for box in boxes:
                x, y, bw, bh = box
                overlap = int(np.count_nonzero(mask[y : y + bh, x : x + bw]))
                if overlap and bw * bh >= max(z.min_size, min_area):
                    inside.append(box)
                    covered += overlap
            area = int(np.count_nonzero(mask)) or 1
            hits.append(ZoneHit(z.name, bool(inside), min(1.0, covered / area), inside))
        return hits

    def zone(self, name: str) -> Zone:
        """The zone called ``name`` (the implicit whole-frame zone included)."""
        return next(z for z in self.includes + self.zones if z.name == name)


def parse_time_range(spec: Mapping[str, Any], zone: str) -> TimeRange:
    """``{"days": "mon-fri", "from": "22:00", "to": "06:00"}`` as a TimeRange."""
    try:
        days = _parse_days(str(spec.get("days", "daily")))
        start = time.fromisoformat(str(spec["from"]))
        end_text = str(spec["to"])
        end = None if end_text == "24:00" else time.fromisoformat(end_text)
    except (KeyError, ValueError) as exc:
        raise ZoneConfigError(f"zone {zone!r}: bad armed time range {dict(spec)!r} ({exc})") from None
    return TimeRange(days, start, end)


def _parse_days(text: str) -> frozenset[int]:
    if text in ("daily", "*", "all"):
        return frozenset(range(7))
    days: set[int] = set()
    for part in text.lower().replace(" ", "").split(","):
        first, _, last = part.partition("-")
        a, b = _DAYS.index(first[:3]), _DAYS.index((last or first)[:3])
        days.update((a + k) % 7 for k in range((b - a) % 7 + 1))
    return frozenset(days)


def parse_zones(data: Mapping[str, Any]) -> list[Zone]:
    """Zones from a mapping with a ``zone`` (TOML) or ``zones`` (JSON) list of tables."""
    zones = []
    for raw in data.get("zones", data.get("zone", [])):
        name = str(raw.get("name", ""))
        try:
            points = tuple((float(x), float(y)) for x, y in raw["points"])
            armed = tuple(parse_time_range(r, name) for r in raw.get("armed", ()))
            zones.append(Zone(name, points, raw.get("kind", "include"), float(raw.get("sensitivity", 1.0)),
                              int(raw.get("min_size", 0)), armed))
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, ZoneConfigError):
                raise
            raise ZoneConfigError(f"zone {name!r}: {exc!r}") from None
    return zones
