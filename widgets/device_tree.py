"""Campus → kind → device tree with a health dot, the health as text and the reason as tooltip."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import tzinfo

from PySide6.QtCore import QMimeData, Qt
from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem, QWidget

from console.domain.events import HealthState
from console.domain.messages import DeviceHealthChanged
from console.services.devices import DeviceStatus
from console.services.facade import ConsoleServices

from .bridge import Bridge
from .formatting import format_time, site_zone
from .i18n import device_kind_label, health_label
from .reasons import reason_label
from .theme import HEALTH_COLOURS, dot_icon, health_colour
from .wall_dnd import CAMERA_MIME, camera_mime

KIND_ORDER = ("camera", "panel", "gate")
DEVICE_ROLE = Qt.ItemDataRole.UserRole + 1


def group_devices(
    devices: Iterable[DeviceStatus], campus_order: Iterable[str]
) -> dict[str | None, dict[str, list[DeviceStatus]]]:
    """Campuses in site order (devices without a campus last), kinds in KIND_ORDER, devices in the order
    given (the site file's: the administrator's arrangement, where sorting CJK names by code point is not)."""
    order = {c: i for i, c in enumerate(campus_order)}
    groups: dict[str | None, dict[str, list[DeviceStatus]]] = {}
    for d in sorted(devices, key=lambda d: (order.get(d.campus or "", len(order)), _kind_rank(d.kind))):
        groups.setdefault(d.campus, {}).setdefault(d.kind, []).append(d)
    return groups


def _kind_rank(kind: str) -> int:
    return KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)


class DeviceTree(QTreeWidget):
    def __init__(self, services: ConsoleServices, bridge: Bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("deviceTree")
        self._services = services
        self._zone = site_zone(services.site.site.timezone)
        self._items: dict[str, QTreeWidgetItem] = {}
        self._devices: dict[str, DeviceStatus] = {}
        self.setColumnCount(2)
        self.setHeaderLabels([self.tr("Device"), self.tr("State")])
        self.setUniformRowHeights(True)
        # Cameras can be dragged onto a wall tile (see wall_dnd); nothing can be dropped here.
        self._camera_ids = {c.id for c in services.site.cameras}
        self.setDragEnabled(True)
        self.setDragDropMode(QTreeWidget.DragDropMode.DragOnly)
        self.rebuild(services.devices.all())
        bridge.sig_device_health.connect(self.on_health)

    def rebuild(self, devices: Iterable[DeviceStatus]) -> None:
        self.clear()
        self._items.clear()
        self._devices = {d.id: d for d in devices}
        names: Mapping[str, str] = {c.id: c.name for c in self._services.site.campuses}
        for campus, kinds in group_devices(self._devices.values(), names).items():
            campus_item = QTreeWidgetItem(self, [names.get(campus or "", campus or self.tr("No campus"))])
            for kind, members in kinds.items():
                kind_item = QTreeWidgetItem(campus_item, [f"{device_kind_label(kind)} ({len(members)})"])
                for device in members:
                    item = QTreeWidgetItem(kind_item)
                    item.setData(0, DEVICE_ROLE, device.id)
                    if device.id not in self._camera_ids:
                        item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsDragEnabled)
                    self._items[device.id] = item
                    self._paint(item, device)
            campus_item.setExpanded(True)
        self.expandAll()
        self.resizeColumnToContents(0)

    def mimeTypes(self) -> list[str]:  # noqa: N802 - Qt override
        return [CAMERA_MIME]

    def mimeData(self, items: Sequence[QTreeWidgetItem]) -> QMimeData | None:  # noqa: N802 - Qt override
        ids = [item.data(0, DEVICE_ROLE) for item in items]
        cameras = [i for i in ids if i in self._camera_ids]
        return camera_mime(cameras[0]) if cameras else None

    def on_health(self, change: DeviceHealthChanged) -> None:
        device = self._devices.get(change.device_id)
        if device is None:
            # A device we have not seen (the registry grew): re-read rather than guess its campus and kind.
            self.rebuild(self._services.devices.all())
            return
        device = replace(device, health=change.state, reason=change.reason, changed_at=change.time)
        self._devices[device.id] = device
        self._paint(self._items[device.id], device)

    def health_of(self, device_id: str) -> HealthState | None:
        device = self._devices.get(device_id)
        return device.health if device else None

    def item_for(self, device_id: str) -> QTreeWidgetItem | None:
        return self._items.get(device_id)

    def _paint(self, item: QTreeWidgetItem, device: DeviceStatus) -> None:
        item.setText(0, device.name)
        item.setIcon(0, dot_icon(HEALTH_COLOURS[device.health]))
        item.setText(1, health_label(device.health))
        item.setForeground(1, health_colour(device.health))
        item.setToolTip(0, _tooltip(device, self._zone))
        item.setToolTip(1, _tooltip(device, self._zone))


def _tooltip(device: DeviceStatus, zone: tzinfo | None) -> str:
    reason = reason_label(device.reason) if device.reason else ""
    lines = [device.id, health_label(device.health) + (f": {reason}" if reason else "")]
    if device.changed_at is not None:
        lines.append(format_time(device.changed_at, zone))
    return "\n".join(lines)


def preview() -> None:
    from .preview import run_preview, sample_services

    run_preview(lambda: DeviceTree(*sample_services()))


if __name__ == "__main__":
    preview()
