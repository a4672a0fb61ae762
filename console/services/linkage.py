"""Linkage rules from the site file: which cameras and which place belong to an event's point."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from console.config import Site


@dataclass(frozen=True, slots=True)
class LinkTarget:
    cameras: tuple[str, ...] = ()
    location: str = ""
    campus: str | None = None
    map_xy: tuple[float, float] | None = None


@dataclass(frozen=True)
class Linkage:
    """Lookup by point id, then by device id (a device-level event links to its own location)."""

    by_point: Mapping[str, LinkTarget]
    by_device: Mapping[str, LinkTarget]

    def target(self, source: str, point: str | None) -> LinkTarget:
        if point is not None and point in self.by_point:
            return self.by_point[point]
        return self.by_device.get(source, LinkTarget())

    @staticmethod
    def empty() -> Linkage:
        return Linkage({}, {})

    @staticmethod
    def from_site(site: Site) -> Linkage:
        by_point = {
            p.id: LinkTarget(
                cameras=tuple(p.cameras),
                location=p.location or p.name,
                campus=p.map.campus if p.map else None,
                map_xy=(p.map.x, p.map.y) if p.map else None,
            )
            for p in site.points
        }
        by_device: dict[str, LinkTarget] = {}
        for device in site.all_devices():
            own_camera = (device.id,) if device in site.cameras else ()
            by_device[device.id] = LinkTarget(
                cameras=own_camera, location=device.location or device.name, campus=device.campus
            )
        return Linkage(by_point, by_device)
