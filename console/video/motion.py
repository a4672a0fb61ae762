"""Batched motion detection: one vectorised numpy pass over one gray frame per camera."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from console.video.motion_label import label_regions

CELL = 8  # analysis cell edge in input pixels: one uint64 word holds the 8 pixels of a cell row
_EVEN_BYTES = np.uint64(0x00FF00FF00FF00FF)
_LANE_SUM = np.uint64(0x0001000100010001)
_WARMUP = 10  # frames during which every cell feeds the noise estimate


@dataclass(frozen=True)
class MotionConfig:
    """Detector tuning; times are seconds of analysed video, turned into per-frame rates with ``fps``."""

    fps: float = 5.0  # analysis rate per camera
    sample_rows: int = 4  # rows read of each 8x8 cell (1, 2, 4, 8): fewer is faster and noisier
    k_noise: float = 4.0  # a cell changed when |residual| > k_noise * its mean noise + min_diff
    min_diff: float = 4.0  # gray levels: a floor so clean, flat video does not fire on codec ripple
    background_s: float = 4.0  # how fast the background follows slow change (drift, shadows)
    stopped_s: float = 30.0  # a thing that stops moving becomes background after about this long
    noise_s: float = 20.0  # memory of each cell's noise level (trees, water, codec artefacts)
    min_area: int = 128  # px: smallest region reported; a 10x25 px person covers 2-4 cells (128-256 px)
    max_fraction: float = 0.5  # more of the frame changed: a light or IR switch, not motion; relearn
    initial_noise: float = 2.0  # gray levels, until a cell has its own estimate

    def __post_init__(self) -> None:
        if self.sample_rows not in (1, 2, 4, 8):
            raise ValueError(f"sample_rows must be 1, 2, 4 or 8, not {self.sample_rows}")
        for name in ("fps", "background_s", "stopped_s", "noise_s", "max_fraction", "k_noise"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive")
        if self.min_diff < 0 or self.min_area < 1 or self.initial_noise < 0:
            raise ValueError("min_diff and initial_noise must be >= 0 and min_area >= 1")

    def rate(self, seconds: float) -> float:
        """Per-frame update weight of an exponential average with this time constant."""
        return min(1.0, 1.0 / (seconds * self.fps))


@dataclass(frozen=True, slots=True)
class MotionResult:
    """One camera's verdict on one frame; boxes are (x, y, w, h) in the input's pixels."""

    motion: bool
    score: float
    boxes: list[tuple[int, int, int, int]] = field(default_factory=list)


class MotionDetector:
    """Background-difference motion detector over a batch of cameras with the same frame size."""

    def __init__(self, n_streams: int, shape: tuple[int, int], config: MotionConfig | None = None):
        height, width = shape
        if n_streams < 1 or height < 2 * CELL or width < 2 * CELL:
            raise ValueError(f"need >= 1 stream and frames >= {2 * CELL}x{2 * CELL} px, got {shape}")
        self.n_streams, self.shape = n_streams, (height, width)
        self.config = c = config or MotionConfig()
        self.cells = (height // CELL, width // CELL)
        n, (h, w) = n_streams, self.cells
        # Each sampled byte is shifted right so that sample_rows of them sum inside one byte (<= 255).
        self._shift = int(math.log2(c.sample_rows))
        self._byte_mask = np.uint64(int.from_bytes(bytes([255 >> self._shift]) * 8, "little"))
        self._stride = CELL // c.sample_rows
        unit = (1 << self._shift) / (CELL * c.sample_rows)  # gray levels per unit of a cell sum
        self._min_diff = np.float32(c.min_diff / unit)
        self._min_cells = max(1, math.ceil(c.min_area / (CELL * CELL)))
        self._bg = np.zeros((n, h * w), np.float32)
        self._noise = np.full((n, h * w), c.initial_noise / unit, np.float32)
        self._scale = np.ones((n, h * w), np.float32)  # zone threshold multipliers, inf = ignored
        self._seen = np.zeros(n, np.int64)  # frames learnt per stream; 0 = background not yet set
        self._active = np.ones(n, bool)
        self._rates = np.array([c.rate(c.background_s), c.rate(c.stopped_s)], np.float32)

    # ------------------------------------------------------------------ streams and zones
    def remove_stream(self, i: int) -> None:
        """Drop camera ``i`` from the batch: its frame is ignored and its result is always quiet."""
        self._active[self._index(i)] = False

    def restore_stream(self, i: int) -> None:
        """Take camera ``i`` back; its background is learnt afresh (the view may have changed)."""
        i = self._index(i)
        self._active[i], self._seen[i] = True, 0

    def set_sensitivity(self, i: int, scale: np.ndarray | None) -> None:
        """Per-cell threshold multipliers for camera ``i`` (shape ``cells``; inf ignores a cell)."""
        i = self._index(i)
        if scale is None:
            self._scale[i] = 1.0
            return
        scale = np.asarray(scale, np.float32)
        if scale.shape != self.cells or not (scale > 0).all():
            raise ValueError(f"stream {i}: sensitivity map must be positive with shape {self.cells}")
        self._scale[i] = scale.ravel()

    @property
    def state_bytes(self) -> int:
        """Bytes of per-camera state the detector keeps between frames, all streams."""
        return sum(a.nbytes for a in (self._bg, self._noise, self._scale, self._seen, self._active))

    def _index(self, i: int) -> int:
        if not 0 <= i < self.n_streams:
            raise IndexError(f"stream {i} out of range 0..{self.n_streams - 1}")
        return i

    # ------------------------------------------------------------------ the pass
    def process(self, frames: np.ndarray | Sequence[np.ndarray | None],
                active: np.ndarray | Sequence[bool] | None = None) -> list[MotionResult]:
        """Analyse one frame per camera; ``active`` (or a None frame) leaves a camera out of this batch."""
        batch, live = self._validate(frames, active)
        results = [MotionResult(False, 0.0, []) for _ in range(self.n_streams)]
        if not live.any():
            return results
        sel = np.flatnonzero(live)
        everyone = sel.size == self.n_streams
        if not everyone:  # the rare degraded case: work on copies of the live streams' state
            batch = batch[sel]
        sums = self._reduce(np.ascontiguousarray(batch))
        bg = self._bg if everyone else self._bg[sel]
        noise = self._noise if everyone else self._noise[sel]
        scale = self._scale if everyone else self._scale[sel]
        seen = self._seen[sel]
        fresh = seen == 0
        bg[fresh] = sums[fresh]  # first frame of a stream: it is the background
        changed, score, regions = self._detect(sums, bg, noise, scale, seen)
        if not everyone:
            self._bg[sel], self._noise[sel] = bg, noise
        self._seen[sel] = seen + 1
        keep = regions.size >= self._min_cells
        boxes: list[list[tuple[int, int, int, int]]] = [[] for _ in sel]
        for f, y0, x0, y1, x1 in zip(*(getattr(regions, a)[keep].tolist() for a in
                                       ("frame", "y0", "x0", "y1", "x1")), strict=True):
            boxes[f].append((x0 * CELL, y0 * CELL, (x1 - x0 + 1) * CELL, (y1 - y0 + 1) * CELL))
        for j, i in enumerate(sel.tolist()):
            if changed[j]:
                results[i] = MotionResult(False, float(score[j]), [])
            else:
                results[i] = MotionResult(bool(boxes[j]), float(score[j]), boxes[j])
        return results

    def _validate(self, frames: object, active: object) -> tuple[np.ndarray, np.ndarray]:
        live = self._active.copy()
        if active is not None:
            mask = np.asarray(active, bool)
            if mask.shape != (self.n_streams,):
                raise ValueError(f"active mask must have shape ({self.n_streams},), got {mask.shape}")
            live &= mask
        want = self.shape
        if isinstance(frames, np.ndarray):
            if frames.ndim != 3 or frames.shape[0] != self.n_streams:
                raise ValueError(f"frames must have shape ({self.n_streams}, {want[0]}, {want[1]}), "
                                 f"got {frames.shape}")
            if frames.dtype != np.uint8 or frames.shape[1:] != want:
                first = int(np.flatnonzero(live)[0]) if live.any() else 0
                raise ValueError(f"stream {first}: frame is {frames.dtype} {frames.shape[1:]}, "
                                 f"expected uint8 {want} (all streams share one batch array)")
            return frames, live
        frames = list(frames)  # type: ignore[call-overload]
        if len(frames) != self.n_streams:
            raise ValueError(f"expected {self.n_streams} frames, one per stream, got {len(frames)}")
        batch = np.zeros((self.n_streams, *want), np.uint8)
        for i, frame in enumerate(frames):
            if frame is None or not live[i]:
                live[i] = False
                continue
            if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8 or frame.shape != want:
                got = f"{frame.dtype} {frame.shape}" if isinstance(frame, np.ndarray) else type(frame).__name__
                raise ValueError(f"stream {i}: frame is {got}, expected uint8 {want}")
            batch[i] = frame
        return batch, live

    def _reduce(self, frames: np.ndarray) -> np.ndarray:
        """Cell sums of the sampled rows, ``(n, h*w)`` float32, by SIMD-within-a-word byte arithmetic."""
        n, (h, w) = len(frames), self.cells
        frames = frames[:, : h * CELL, : w * CELL]
        if not frames.flags.c_contiguous:
            frames = np.ascontiguousarray(frames)
        words = frames.view(np.uint64).reshape(n, h, CELL, w)[:, :, self._stride // 2 :: self._stride]
        # Shift and mask each byte so that summing the sampled rows cannot carry into the next byte.
        q = np.right_shift(words, np.uint64(self._shift)) if self._shift else words.copy()
        q &= self._byte_mask
        rows = q[:, :, 0].copy()
        for r in range(1, q.shape[2]):
            rows += q[:, :, r]
        pairs = rows & _EVEN_BYTES  # even and odd bytes into 16-bit lanes: no overflow below 65536
        rows >>= np.uint64(8)
        rows &= _EVEN_BYTES
        pairs += rows
        pairs *= _LANE_SUM  # the top 16-bit lane now holds the sum of all four lanes
        sums = np.empty((n, h, w), np.float32)
        np.copyto(sums, pairs.view(np.uint16)[..., 3::4])
        return sums.reshape(n, h * w)

    def _detect(self, s: np.ndarray, bg: np.ndarray, noise: np.ndarray, scale: np.ndarray,
                seen: np.ndarray) -> tuple[np.ndarray, np.ndarray, object]:
        c, n, (h, w) = self.config, len(s), self.cells
        cells = h * w
        # Gain and offset of this frame against the background by least squares: exposure steps,
        # clouds and IR contrast changes are (nearly) affine in the gray level and cancel here.
        s_sum, b_sum = s.sum(1, dtype=np.float64), bg.sum(1, dtype=np.float64)
        sb = np.einsum("ij,ij->i", s, bg).astype(np.float64)
        bb = np.einsum("ij,ij->i", bg, bg).astype(np.float64)
        var = cells * bb - b_sum * b_sum
        gain = np.where(var > 1e-6 * cells * bb, (cells * sb - s_sum * b_sum) / np.maximum(var, 1e-30), 1.0)
        offset = (s_sum - gain * b_sum) / cells
        resid = bg * gain.astype(np.float32)[:, None]
        resid += offset.astype(np.float32)[:, None]
        np.subtract(s, resid, out=resid)
        dev = np.abs(resid)
        thr = noise * np.float32(c.k_noise)
        thr += self._min_diff
        thr *= scale
        hot = dev > thr
        frac = np.count_nonzero(hot, axis=1) / cells
        changed = frac > c.max_fraction
        kept = _speckle_free(hot.reshape(n, h, w))
        regions = label_regions(kept)
        # Background: quick where the cell looks like background, slow where it changed, so a thing
        # that stops is absorbed after about stopped_s and a passer-by leaves no lasting ghost.
        rate = np.take(self._rates, hot.view(np.uint8))
        np.subtract(s, bg, out=resid)
        resid *= rate
        bg += resid
        # Noise: a running mean of |residual| over quiet cells; a plain average of all cells over the
        # first frames, when the starting guess may be far off and would flag every cell as hot.
        a_noise = np.where(seen > 0, np.maximum(c.rate(c.noise_s), 1.0 / np.maximum(seen, 1)), 0.0)
        quiet = ~hot
        quiet[seen < _WARMUP] = True
        np.minimum(dev, thr, out=dev)
        dev -= noise
        dev *= a_noise.astype(np.float32)[:, None]
        dev *= quiet
        noise += dev
        if changed.any():  # a global change: the new picture is the background from now on
            bg[changed] = s[changed]
        score = np.count_nonzero(kept.reshape(n, cells), axis=1) / cells
        return changed, score, regions


def _speckle_free(hot: np.ndarray) -> np.ndarray:
    """Drop changed cells without a changed 8-neighbour: rain, snow and single-cell codec blips."""
    side = np.zeros_like(hot)
    side[:, :, 1:] = hot[:, :, :-1]
    side[:, :, :-1] |= hot[:, :, 1:]
    row = side | hot
    near = side
    near[:, 1:] |= row[:, :-1]
    near[:, :-1] |= row[:, 1:]
    near &= hot
    return near
