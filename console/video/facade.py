"""What views may use of the video engine: frame slots, stream states and view requests (no Qt here)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .slot import Frame, FrameSlot, SlotStats
from .status import Reason, StreamState, StreamStatus

if TYPE_CHECKING:
    from .engine import VideoEngine

__all__ = ["Frame", "FrameSlot", "Reason", "SlotStats", "StreamState", "StreamStatus", "VideoFacade"]


class VideoFacade:
    """The wall's handle on the video engine. Every method is cheap and thread-safe; none blocks."""

    def __init__(self, engine: VideoEngine) -> None:
        self._engine = engine

    def has_video(self, camera_id: str) -> bool:
        return self._engine.slot(camera_id) is not None

    def slot(self, camera_id: str) -> FrameSlot | None:
        """The camera's latest-frame slot (RGB at the size last requested), or None without a stream."""
        return self._engine.slot(camera_id)

    def status(self, camera_id: str) -> StreamStatus | None:
        return self._engine.status(camera_id)

    def request(self, camera_id: str, width: int, height: int, maximised: bool = False) -> str | None:
        """Show the camera at this size (device pixels); returns the stream used ("main" or "sub")."""
        return self._engine.request(camera_id, width, height, maximised)

    def release(self, camera_id: str) -> None:
        """No view shows the camera any more: no RGB decoding, back to the sub stream."""
        self._engine.release(camera_id)

    def stream(self, camera_id: str) -> str | None:
        worker = self._engine.workers.get(camera_id)
        return worker.stream if worker else None
