"""Small helpers of the stream worker: frame-size fitting, real-time pacing of local files, thread CPU."""

from __future__ import annotations

import threading
import time

# Widths are rounded down to a multiple of this: RGB rows then start on 4-byte boundaries (what QImage and
# swscale's fast paths like) and the sizes of neighbouring tiles do not jitter by a pixel.
_WIDTH_STEP = 8
_MIN_SIDE = 16
# Never decode larger than this, whatever a window asks: a 4K tile would cost more than it shows.
_MAX_W, _MAX_H = 3840, 2160


def fit_size(src_w: int, src_h: int, box_w: int, box_h: int) -> tuple[int, int]:
    """The largest size with the source's aspect ratio that fits in the box (width a multiple of 8)."""
    if src_w <= 0 or src_h <= 0 or box_w <= 0 or box_h <= 0:
        return (0, 0)
    box_w, box_h = min(box_w, _MAX_W), min(box_h, _MAX_H)
    scale = min(box_w / src_w, box_h / src_h)
    width = max(_MIN_SIDE, int(src_w * scale) // _WIDTH_STEP * _WIDTH_STEP)
    height = max(_MIN_SIDE, round(width * src_h / src_w) // 2 * 2)
    return (width, height)


class Pacer:
    """Holds a local file's frames back to their own timestamps, so a clip plays at real time."""

    # A gap larger than this (a loop back to the start, a timestamp jump, a machine that fell behind)
    # restarts the clock instead of sleeping or bursting to catch up.
    _MAX_SKEW_S = 1.0

    def __init__(self, wake: threading.Event) -> None:
        self._wake = wake
        self._origin: tuple[float, float] | None = None  # (monotonic, stream time) of the reference frame
        self._last_t: float | None = None

    def reset(self) -> None:
        self._origin = None
        self._last_t = None

    def wait(self, t: float | None, step: float) -> None:
        """Sleep until the frame stamped ``t`` (seconds) is due; ``step`` stands in when ``t`` is missing."""
        if t is None:
            t = (self._last_t or 0.0) + step
        self._last_t = t
        now = time.monotonic()
        if self._origin is None:
            self._origin = (now, t)
            return
        delay = self._origin[0] + (t - self._origin[1]) - now
        if abs(delay) > self._MAX_SKEW_S:
            self._origin = (now, t)
            return
        if delay > 0:
            self._wake.wait(delay)  # returns early on stop or a stream switch


def thread_cpu_seconds(thread: threading.Thread) -> float | None:
    """CPU time ``thread`` has used so far (POSIX per-thread clocks); None if it is not running or the
    platform cannot tell. Costs no work in the thread measured."""
    ident = thread.ident
    if ident is None or not thread.is_alive() or not hasattr(time, "pthread_getcpuclockid"):
        return None
    try:
        return time.clock_gettime(time.pthread_getcpuclockid(ident))
    except OSError:  # it ended between the check and the read
        return None
