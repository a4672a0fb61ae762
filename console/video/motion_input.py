"""Checks of the frames handed to MotionDetector.process, naming the stream at fault."""

from __future__ import annotations

import numpy as np


def validate_batch(frames: object, active: object, enabled: np.ndarray,
                   shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The batch as one uint8 ``(n, h, w)`` array and the mask of streams to analyse.

    ``frames`` is that array already, or a sequence with one frame (or None) per stream; a stream is
    analysed when it is ``enabled``, marked in ``active`` and (for a sequence) has a frame.
    """
    n = len(enabled)
    live = enabled.copy()
    if active is not None:
        mask = np.asarray(active, bool)
        if mask.shape != (n,):
            raise ValueError(f"active mask must have shape ({n},), got {mask.shape}")
        live &= mask
    if isinstance(frames, np.ndarray):
        if frames.ndim != 3 or frames.shape[0] != n:
            raise ValueError(f"frames must have shape ({n}, {shape[0]}, {shape[1]}), got {frames.shape}")
        if frames.dtype != np.uint8 or frames.shape[1:] != shape:
            first = int(np.flatnonzero(live)[0]) if live.any() else 0
            raise ValueError(f"stream {first}: frame is {frames.dtype} {frames.shape[1:]}, "
                             f"expected uint8 {shape} (all streams share one batch array)")
        return frames, live
    frames = list(frames)  # type: ignore[call-overload]
    if len(frames) != n:
        raise ValueError(f"expected {n} frames, one per stream, got {len(frames)}")
    batch = np.zeros((n, *shape), np.uint8)
    for i, frame in enumerate(frames):
        if frame is None or not live[i]:
            live[i] = False  # a camera that is gone drops out of this batch; the others go on
            continue
        if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8 or frame.shape != shape:
            got = f"{frame.dtype} {frame.shape}" if isinstance(frame, np.ndarray) else type(frame).__name__
            raise ValueError(f"stream {i}: frame is {got}, expected uint8 {shape}")
        batch[i] = frame
    return batch, live
