"""Dragging cameras onto the wall: the MIME payload shared by the device tree and the tiles."""

from __future__ import annotations

from PySide6.QtCore import QMimeData

CAMERA_MIME = "application/x-campus-console-camera"
TILE_MIME = "application/x-campus-console-tile"  # a tile dragged within its own wall: swap the two


def camera_mime(camera_id: str, tile_index: int | None = None, wall_id: int = 0) -> QMimeData:
    """A camera dragged from the device tree (no tile) or from tile ``tile_index`` of the wall ``wall_id``."""
    data = QMimeData()
    data.setData(CAMERA_MIME, camera_id.encode("utf-8"))
    if tile_index is not None:
        data.setData(TILE_MIME, f"{wall_id}:{tile_index}".encode())
    data.setText(camera_id)
    return data


def camera_of(data: QMimeData) -> str | None:
    if not data.hasFormat(CAMERA_MIME):
        return None
    return bytes(data.data(CAMERA_MIME).data()).decode("utf-8") or None
