"""Motion events: per-frame verdicts of one camera zone turned into start and end records."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal


@dataclass(frozen=True)
class MotionRecord:
    """MotionStarted / MotionEnded for one zone; times in the caller's seconds (e.g. epoch)."""

    kind: Literal["started", "ended"]
    zone: str
    start: float  # first analysed frame of the event
    end: float | None  # last analysed frame with motion (ended records only)
    peak_score: float
    boxes: list[tuple[int, int, int, int]]  # the boxes of the peak frame
    alarm: bool  # the zone was armed when the event started


@dataclass
class EventTracker:
    """Starts an event after ``start_frames`` analysed frames in a row with motion, ends it after
    ``hold_s`` seconds without any; ``armed`` (e.g. ``Zone.is_armed``) turns the event into an alarm."""

    zone: str = "*"
    start_frames: int = 2
    hold_s: float = 5.0
    armed: Callable[[datetime], bool] | None = None
    _streak: int = field(default=0, init=False)
    _first: float = field(default=0.0, init=False)
    _last: float = field(default=0.0, init=False)
    _peak: float = field(default=-1.0, init=False)
    _boxes: list[tuple[int, int, int, int]] = field(default_factory=list, init=False)
    _alarm: bool = field(default=False, init=False)
    active: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        if self.start_frames < 1 or self.hold_s < 0:
            raise ValueError("start_frames must be >= 1 and hold_s >= 0")

    def update(self, t: float, motion: bool, score: float = 0.0,
               boxes: list[tuple[int, int, int, int]] | None = None,
               now: datetime | None = None) -> list[MotionRecord]:
        """Feed one analysed frame at ``t`` seconds; ``now`` is the wall clock for the schedule
        (default: ``t`` read as epoch seconds)."""
        out: list[MotionRecord] = []
        if motion:
            if self._streak == 0 and not self.active:
                self._first, self._peak, self._boxes = t, -1.0, []
            self._streak += 1
            self._last = t
            if score > self._peak:
                self._peak, self._boxes = score, list(boxes or [])
            if not self.active and self._streak >= self.start_frames:
                self.active = True
                when = now if now is not None else datetime.fromtimestamp(t)
                self._alarm = bool(self.armed and self.armed(when))
                out.append(self._record("started", None))
            return out
        self._streak = 0
        if self.active and t - self._last >= self.hold_s:
            out.append(self._record("ended", self._last))
            self.active = False
        return out

    def close(self) -> list[MotionRecord]:
        """End an open event now (the camera went away or the scan finished)."""
        if not self.active:
            return []
        self.active, self._streak = False, 0
        return [self._record("ended", self._last)]

    def _record(self, kind: Literal["started", "ended"], end: float | None) -> MotionRecord:
        return MotionRecord(kind, self.zone, self._first, end, max(self._peak, 0.0), list(self._boxes),
                            self._alarm)
