"""Batched motion detection: one vectorised numpy pass over one gray frame per camera."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from console.video.motion_input import validate_batch
from console.video.motion_label import Regions, frame_boxes, label_regions
from console.video.motion_tone import refit

CELL = 8  # analysis cell edge in input pixels: one uint64 word holds the 8 pixels of a cell row
_EVEN_BYTES = np.uint64(0x00FF00FF00FF00FF)
_LANE_SUM = np.uint64(0x0001000100010001)
_WARMUP = 10  # frames during which every cell feeds the noise estimate
_REFIT_FRACTION = 0.03  # more changed cells than this: also try the curved light model
_BG_EVERY = 2  # the background moves over seconds: a step on every 2nd frame (twice as big) will do
_NOISE_EVERY = 8  # the noise level changes over many seconds: learn it on every 8th frame only


@dataclass(frozen=True)
class MotionConfig:
    """Detector tuning; times are seconds of analysed video, turned into per-frame rates with ``fps``."""

    fps: float = 5.0  # analysis rate per camera
    sample_rows: int = 2  # middle rows read of each 8x8 cell (1, 2, 4, 8): fewer is faster, noisier
    k_noise: float = 4.0  # a cell changed when |residual| > k_noise * its mean noise + min_diff
    min_diff: float = 4.0  # gray levels: a floor so clean, flat video does not fire on codec ripple
    background_s: float = 4.0  # how fast the background follows slow change (drift, shadows)
    stopped_s: float = 20.0  # a thing that stops moving becomes background after about this long
    noise_s: float = 20.0  # memory of each cell's noise level (trees, water, codec artefacts)
    min_area: int = 128  # px: smallest region (2 cells, and 2 cell rows tall); a 10x25 px person: 3-6
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


class MotionResult(NamedTuple):
    """One camera's verdict on one frame; boxes are (x, y, w, h) in the input's pixels."""

    motion: bool
    score: float  # fraction of the frame's cells that changed (lone cells not counted)
    boxes: list[tuple[int, int, int, int]]


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
        # Each sampled byte is shifted right so that sample_rows of them, and then two neighbouring
        # sums, add up inside one byte without a carry (<= 254).
        self._shift = int(math.log2(c.sample_rows)) + 1
        self._row0 = (CELL - c.sample_rows) // 2
        unit = (1 << self._shift) / (CELL * c.sample_rows)  # gray levels per unit of a cell sum
        self._min_diff = np.float32(c.min_diff / unit)
        self._top = float(CELL * c.sample_rows * (255 >> self._shift))  # a cell sum of pure white
        self._min_cells = max(2, math.ceil(c.min_area / (CELL * CELL)))
        cells = h * w
        self._bg = np.zeros((n, cells), np.float32)
        self._noise = np.full((n, cells), c.initial_noise / unit, np.float32)
        self._scale = np.ones((n, cells), np.float32)  # zone threshold multipliers, inf = ignored
        self._thr = self._noise * np.float32(c.k_noise) + self._min_diff
        self._seen = np.zeros(n, np.int64)  # frames learnt per stream; 0 = background not yet set
        self._active = np.ones(n, bool)
        self._tick = 0
        self._rate_bg = np.float32(min(1.0, _BG_EVERY * c.rate(c.background_s)))
        self._stop_frames = max(1, round(c.stopped_s * c.fps))
        self._streak = np.zeros((n, cells), np.uint16)  # frames a cell has been changed, about
        # Scratch reused on every call: fresh big arrays would cost page faults on each batch.
        self._q = np.empty((c.sample_rows, n * h, w * CELL), np.uint8)
        self._acc, self._lanes = np.empty((n * h, w), np.uint64), np.empty((n * h, w), np.uint64)
        self._sums, self._resid, self._dev = (np.empty((n, cells), np.float32) for _ in range(3))
        self._hot = np.empty((n, cells), bool)
        self._ones = np.ones(cells, np.float32)

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
        scale = np.ones(self.cells, np.float32) if scale is None else np.asarray(scale, np.float32)
        if scale.shape != self.cells or not (scale > 0).all():
            raise ValueError(f"stream {i}: sensitivity map must be positive with shape {self.cells}")
        self._scale[i] = scale.ravel()
        self._thr[i] = (self._noise[i] * np.float32(self.config.k_noise) + self._min_diff) * self._scale[i]

    @property
    def state_bytes(self) -> int:
        """Bytes of every array the detector holds (state and reused scratch), all streams."""
        return sum(a.nbytes for a in vars(self).values() if isinstance(a, np.ndarray))

    def _index(self, i: int) -> int:
        if not 0 <= i < self.n_streams:
            raise IndexError(f"stream {i} out of range 0..{self.n_streams - 1}")
        return i

    # ------------------------------------------------------------------ the pass
    def process(self, frames: np.ndarray | Sequence[np.ndarray | None],
                active: np.ndarray | Sequence[bool] | None = None) -> list[MotionResult]:
        """Analyse one frame per camera; ``active`` (or a None frame) leaves a camera out of this batch."""
        batch, live = validate_batch(frames, active, self._active, self.shape)
        sel = np.flatnonzero(live)
        if sel.size == 0:
            return [MotionResult(False, 0.0, []) for _ in range(self.n_streams)]
        if sel.size < self.n_streams:  # the rare degraded case: the live streams only
            batch = batch[sel]
        fresh = self._seen[sel] == 0
        changed, counts, regions = self._detect(self._reduce(np.ascontiguousarray(batch)), sel, fresh)
        cells = self.cells[0] * self.cells[1]
        in_regions = np.bincount(regions.frame, weights=regions.size, minlength=sel.size)
        scores = (in_regions / cells).tolist()
        lone = counts - in_regions  # changed cells with no changed neighbour
        boxes = frame_boxes(regions, sel.size, lone, self._min_cells, CELL)
        quiet = (changed | fresh).tolist()
        results: list[MotionResult | None] = [None] * self.n_streams
        for j, i in enumerate(sel.tolist()):
            found = [] if quiet[j] else boxes[j]
            results[i] = MotionResult(bool(found), scores[j], found)
        return [r if r is not None else MotionResult(False, 0.0, []) for r in results]

    def _reduce(self, frames: np.ndarray) -> np.ndarray:
        """Cell sums of the sampled rows, ``(n, h*w)`` float32, by SIMD-within-a-word byte arithmetic."""
        n, (h, w), c_rows = len(frames), self.cells, self.config.sample_rows
        frames = frames[:, : h * CELL, : w * CELL]
        # The middle rows of each cell (adjacent rows stream from memory faster than spread ones),
        # one row at a time into its own contiguous buffer so the adds below take numpy's fast path.
        # A per-byte shift makes room for the adds: no carry can reach the neighbouring pixel.
        rows = frames.reshape(n * h, CELL, w * CELL)
        q = self._q[:, : n * h]
        for r in range(c_rows):
            np.right_shift(rows[:, self._row0 + r], self._shift, out=q[r])
        words = q.view(np.uint64)  # (rows, n*h, w): one word = the 8 pixels of one cell row
        acc, lanes = self._acc[: n * h], self._lanes[: n * h]
        if c_rows == 1:
            np.copyto(acc, words[0])
        else:
            np.add(words[0], words[1], out=acc)
            for more in words[2:]:
                acc += more
        # Neighbouring bytes added (sums stay below 128, so no carries), the pairs masked into 16-bit
        # lanes, and one multiply adds the four lanes into the top one.
        np.right_shift(acc, np.uint64(8), out=lanes)
        lanes += acc
        lanes &= _EVEN_BYTES
        lanes *= _LANE_SUM
        lanes >>= np.uint64(48)
        sums = self._sums[:n]
        np.copyto(sums.reshape(n * h, w), lanes.view(np.int64), casting="unsafe")  # int64: faster cast
        return sums

    def _detect(self, s: np.ndarray, sel: np.ndarray,
                fresh: np.ndarray) -> tuple[np.ndarray, np.ndarray, Regions]:
        c, n, (h, w) = self.config, len(s), self.cells
        everyone = n == self.n_streams
        bg = self._bg if everyone else self._bg[sel]
        if fresh.any():  # a stream's first frame is its background
            bg[fresh] = s[fresh]
        cells = h * w
        # Gain and offset of this frame against the background by least squares: exposure steps,
        # clouds and IR contrast changes are (nearly) affine in the gray level and cancel here.
        ones = self._ones
        s_sum, b_sum = (s @ ones).astype(np.float64), (bg @ ones).astype(np.float64)
        sb = np.matmul(s[:, None, :], bg[:, :, None]).ravel().astype(np.float64)
        bb = np.matmul(bg[:, None, :], bg[:, :, None]).ravel().astype(np.float64)
        var = cells * bb - b_sum * b_sum
        flat = var <= 1e-6 * cells * bb  # a featureless background: only the offset is meaningful
        gain = np.where(flat, 1.0, (cells * sb - s_sum * b_sum) / np.where(flat, 1.0, var))
        offset = (s_sum - gain * b_sum) / cells
        resid, dev = self._resid[:n], self._dev[:n]
        np.multiply(bg, gain.astype(np.float32)[:, None], out=resid)
        resid += offset.astype(np.float32)[:, None]
        np.clip(resid, 0, self._top, out=resid)  # the camera clips its picture; so does the model
        np.subtract(s, resid, out=resid)
        np.abs(resid, out=dev)
        thr = self._thr if everyone else self._thr[sel]
        hot = np.greater(dev, thr, out=self._hot[:n])
        changed_cells = np.flatnonzero(hot)
        counts = np.bincount(changed_cells // cells, minlength=n)
        bent = counts > _REFIT_FRACTION * cells
        if bent.any():  # rare: saturation, gamma or an IR switch; try a curved light model
            refit(s, bg, resid, dev, thr, hot, np.flatnonzero(bent), self._top)
            changed_cells = np.flatnonzero(hot)
            # Picture and model both near white (or black): a difference there is clipping, not motion.
        level = s.reshape(-1)[changed_cells]
        model = level - resid.reshape(-1)[changed_cells]
        top = self._top
        clipped = (np.minimum(level, model) > 0.85 * top) | (np.maximum(level, model) < 0.04 * top)
        changed_cells = changed_cells[~clipped]
        counts = np.bincount(changed_cells // cells, minlength=n)
        changed = counts > c.max_fraction * cells
        if changed.any():  # a global change (light, IR switch): the new picture is the background
            changed_cells = changed_cells[~changed[changed_cells // cells]]
        regions = label_regions(changed_cells, (n, h, w))
        self._learn(s, bg, dev, thr, changed_cells, sel, fresh | changed)
        if changed.any():
            bg[changed] = s[changed]
        if not everyone:
            self._bg[sel] = bg
        return changed, counts, regions

    def _learn(self, s: np.ndarray, bg: np.ndarray, dev: np.ndarray, thr: np.ndarray,
               changed_cells: np.ndarray, sel: np.ndarray, skip: np.ndarray) -> None:
        """Follow the background, and every few frames each cell's noise level and threshold."""
        n, c = len(s), self.config
        # Background cells follow slow change; changed cells are left alone, so a passer-by leaves
        # no ghost, until they have been changed for about stopped_s: then the thing has stopped
        # and becomes background at once. A changed count halves on a quiet frame, so a flicker
        # near the threshold delays but does not restart that clock.
        everyone = n == self.n_streams
        self._tick += 1
        if self._tick % _BG_EVERY == 0:
            step = self._resid[:n]
            np.subtract(s, bg, out=step)
            step *= self._rate_bg
            step.reshape(-1)[changed_cells] = 0.0
            bg += step
        streak = self._streak if everyone else self._streak[sel]
        flat_streak = streak.reshape(-1)
        count = flat_streak[changed_cells] + 1
        streak >>= 1
        stopped = count >= self._stop_frames
        count[stopped] = 0
        flat_streak[changed_cells] = count
        if stopped.any():
            cells = changed_cells[stopped]
            bg.reshape(-1)[cells] = s.reshape(-1)[cells]
        if not everyone:
            self._streak[sel] = streak
        seen = self._seen[sel]
        self._seen[sel] = seen + 1
        warming = seen < _WARMUP
        if not warming.any() and self._tick % _NOISE_EVERY:
            return
        # Running mean of |residual| over quiet cells (a changed cell says nothing about noise); a
        # plain average of every cell over the first frames, whose starting guess may be far off.
        rate = np.where(warming, 1.0 / np.maximum(seen, 1), _NOISE_EVERY * c.rate(c.noise_s))
        rate[skip] = 0.0  # a first frame or a global change says nothing about a cell's noise
        noise = self._noise if n == self.n_streams else self._noise[sel]
        np.minimum(dev, thr, out=dev)
        dev -= noise
        dev *= rate.astype(np.float32)[:, None]
        quiet = ~warming[changed_cells // dev.shape[1]]
        dev.reshape(-1)[changed_cells[quiet]] = 0.0
        noise += dev
        np.multiply(noise, np.float32(c.k_noise), out=thr)
        thr += self._min_diff
        scale = self._scale if n == self.n_streams else self._scale[sel]
        thr *= scale
        if n != self.n_streams:
            self._noise[sel], self._thr[sel] = noise, thr
