"""What views may use of the video engine: frame slots, stream states and view requests (no Qt here)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from console.domain.roles import Permission
from console.domain.session import Session

from .motion import MotionResult
from .motion_zones import (
    TimeRange,
    Zone,
    ZoneConfigError,
    ZoneSet,
    parse_time_range,
    parse_zones,
    validate_zone,
)
from .slot import Frame, FrameSlot, SlotStats
from .status import Reason, StreamState, StreamStatus

if TYPE_CHECKING:
    from .engine import VideoEngine

__all__ = [
    "Frame", "FrameSlot", "MotionResult", "Reason", "SlotStats", "StreamState", "StreamStatus", "VideoFacade",
    "TimeRange", "Zone", "ZoneConfigError", "ZoneSet", "parse_time_range", "parse_zones", "validate_zone",
]


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

    # -- motion analysis ---------------------------------------------------------------------------------
    def has_motion(self, camera_id: str) -> bool:
        motion = self._engine.motion
        return motion is not None and motion.enabled(camera_id)

    def motion(self, camera_id: str) -> MotionResult | None:
        """The newest motion verdict (boxes in analysis-frame pixels), or None without motion analysis."""
        motion = self._engine.motion
        return motion.latest(camera_id) if motion is not None else None

    def motion_history(self, camera_id: str) -> np.ndarray:
        """Motion scores of about the last minute, oldest first."""
        motion = self._engine.motion
        return motion.history(camera_id) if motion is not None else np.zeros(0, np.float32)

    def motion_rate(self) -> float:
        motion = self._engine.motion
        return motion.rate if motion is not None else 0.0

    def analysis_frame(self, camera_id: str) -> Frame | None:
        """The newest small gray frame (the pixels motion boxes and zones are measured in)."""
        slot = self._engine.analysis_slot(camera_id)
        return slot.peek() if slot is not None else None

    def motion_zones(self, camera_id: str) -> list[Zone]:
        motion = self._engine.motion
        return motion.zones(camera_id) if motion is not None else []

    def save_motion_zones(self, camera_id: str, zones: Sequence[Zone], session: Session) -> None:
        """Validate, apply, store and audit a camera's zones (needs EDIT_CONFIG); raises
        PermissionDenied or ZoneConfigError, and then nothing has changed."""
        session.require(Permission.EDIT_CONFIG)
        if self._engine.save_zones is None:
            raise ZoneConfigError("motion analysis is not running")
        self._engine.save_zones(camera_id, list(zones), session.username)
