"""Latest-frame slot: where a stream worker hands frames to the display, neither side ever blocking."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np

# Frames per second are counted over windows of this length: long enough to be steady on screen,
# short enough that a stalling camera shows it within a second or two.
_FPS_WINDOW_S = 1.0


@dataclass(frozen=True, slots=True)
class Frame:
    """One decoded picture: uint8 H×W×4 BGRA (Qt's RGB32), H×W×3 RGB or H×W gray, rows of packed pixels
    (rows may be padded: wrap it with bytes-per-line = ``image.strides[0]``), and where it came from."""

    image: np.ndarray
    buffer: np.ndarray  # the same memory as rows of strides[0] bytes: one C-contiguous block to wrap
    seq: int
    pts_time: float | None  # stream time in seconds, when the stream has timestamps
    wallclock: float  # time.time() when it was decoded
    monotonic: float  # time.monotonic() when it was decoded

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])


@dataclass(frozen=True, slots=True)
class SlotStats:
    """Counters of one slot, read together under its lock."""

    decoded: int
    displayed: int
    dropped: int
    decoded_fps: float
    displayed_fps: float
    seq: int
    age_s: float | None  # seconds since the newest frame arrived; None before the first


class _Rate:
    """Events per second over fixed windows (cheap: no per-event history)."""

    __slots__ = ("_count", "_start", "value")

    def __init__(self) -> None:
        self._count = 0
        self._start = time.monotonic()
        self.value = 0.0

    def tick(self, now: float) -> None:
        self._count += 1
        self.roll(now)

    def roll(self, now: float) -> None:
        elapsed = now - self._start
        if elapsed >= _FPS_WINDOW_S:
            self.value = self._count / elapsed
            self._count = 0
            self._start = now


def _check_layout(image: np.ndarray) -> None:
    """Refuse arrays a QImage cannot wrap as they are (the display never converts or copies)."""
    channels = image.shape[2] if image.ndim == 3 else 1
    packed = image.strides[-1] == 1 and (image.ndim == 2 or image.strides[1] == channels)
    if image.dtype != np.uint8 or image.ndim not in (2, 3) or not packed:
        raise ValueError("frames must be uint8 rows of packed pixels (H×W gray or H×W×C)")
    if image.strides[0] < image.shape[1] * channels or image.strides[0] % 4:
        raise ValueError("frame rows must not overlap and must start on 4-byte boundaries")


def _row_buffer(image: np.ndarray) -> np.ndarray:
    """The image's memory as H rows of ``strides[0]`` bytes, padding included: a C-contiguous view that
    Python's buffer protocol (and so QImage) accepts, over the very same bytes. No copy."""
    if image.flags.c_contiguous:
        return image
    height, stride = image.shape[0], image.strides[0]
    root = image
    while isinstance(root.base, np.ndarray):
        root = root.base
    whole = root
    if root.base is not None:  # a view over another exporter's memory (PyAV's VideoPlane): its full extent
        try:
            whole = np.frombuffer(root.base, np.uint8)
        except (TypeError, ValueError, BufferError):
            whole = root
    _, end = np.lib.array_utils.byte_bounds(whole)
    if image.ctypes.data + height * stride > end:
        raise ValueError("the last row's padding lies outside the frame's buffer")
    return np.lib.stride_tricks.as_strided(image, shape=(height, stride), strides=(stride, 1))


class FrameSlot:
    """Holds only the newest frame. ``put`` never waits for the reader; a frame replaced before anyone
    took it is counted as dropped. Thread-safe; one producer (the worker) and one display consumer."""

    def __init__(self, name: str = "") -> None:
        self.name = name
        self._lock = threading.Lock()
        self._frame: Frame | None = None
        self._seq = 0
        self._taken_seq = 0
        self._decoded = 0
        self._displayed = 0
        self._dropped = 0
        self._decoded_rate = _Rate()
        self._displayed_rate = _Rate()

    def put(self, image: np.ndarray, pts_time: float | None = None) -> int:
        """Publish a freshly allocated array as the newest frame; returns its sequence number."""
        _check_layout(image)
        buffer = _row_buffer(image)
        now = time.monotonic()
        with self._lock:
            previous = self._frame
            # A QImage on the GUI thread may still wrap the previous buffer: writing into it would tear or
            # crash the picture, so a recycled buffer is refused outright (bounds check only, cheap).
            if previous is not None and np.may_share_memory(previous.image, image):
                raise ValueError("frame buffer reused: allocate a fresh array per frame")
            if previous is not None and previous.seq != self._taken_seq:
                self._dropped += 1
            self._seq += 1
            self._frame = Frame(image, buffer, self._seq, pts_time, time.time(), now)
            self._decoded += 1
            self._decoded_rate.tick(now)
            return self._seq

    def take(self, after_seq: int = 0) -> Frame | None:
        """The newest frame if it is newer than ``after_seq`` (counted as displayed), else None."""
        with self._lock:
            frame = self._frame
            if frame is None or frame.seq <= after_seq:
                return None
            if frame.seq != self._taken_seq:
                self._taken_seq = frame.seq
                self._displayed += 1
                self._displayed_rate.tick(time.monotonic())
            return frame

    def peek(self) -> Frame | None:
        """The newest frame without counting it (for readers other than the display, e.g. motion)."""
        with self._lock:
            return self._frame

    def note_dropped(self, count: int = 1) -> None:
        """A consumer took a frame but replaced it before it reached the screen."""
        with self._lock:
            self._dropped += count
            self._displayed -= count

    @property
    def seq(self) -> int:
        with self._lock:
            return self._seq

    def stats(self) -> SlotStats:
        now = time.monotonic()
        with self._lock:
            # Rates roll forward on read too, so a camera that stopped shows 0 fps rather than its last value.
            self._decoded_rate.roll(now)
            self._displayed_rate.roll(now)
            age = None if self._frame is None else now - self._frame.monotonic
            return SlotStats(
                self._decoded, self._displayed, self._dropped,
                self._decoded_rate.value, self._displayed_rate.value, self._seq, age,
            )

    def clear(self) -> None:
        """Forget the picture (e.g. the camera went offline) but keep the counters and the sequence."""
        with self._lock:
            self._frame = None
