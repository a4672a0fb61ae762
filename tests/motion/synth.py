"""Numpy-only synthetic camera frames for the motion tests (no files, no OpenCV)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def background(shape: tuple[int, int], seed: int = 0) -> np.ndarray:
    """A smooth, textured gray scene (float32, ~40..200): sky gradient, blocks, fine texture."""
    rng = np.random.default_rng(seed)
    h, w = shape
    yy = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    img = np.broadcast_to(170 - 90 * yy, (h, w)).copy()
    for _ in range(12):  # "buildings" and "parked cars": flat blocks of other grays
        y0, x0 = rng.integers(0, h - 8), rng.integers(0, w - 8)
        img[y0 : y0 + rng.integers(6, h // 3), x0 : x0 + rng.integers(6, w // 4)] = rng.uniform(50, 190)
    # Texture with more power at low spatial frequencies, like a photo.
    spec = rng.standard_normal((h, w // 2 + 1)) + 1j * rng.standard_normal((h, w // 2 + 1))
    f = np.hypot(np.fft.fftfreq(h)[:, None], np.fft.rfftfreq(w)[None, :])
    f[0, 0] = 1.0
    tex = np.fft.irfft2(spec / f, s=(h, w))
    img += 12 * (tex / tex.std()).astype(np.float32)
    return np.clip(img, 10, 240).astype(np.float32)


def person(h: int = 25, w: int = 10) -> np.ndarray:
    """A head-torso-legs mask of a walking person, ``(h, w)`` bool."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cx = (w - 1) / 2
    head = ((xx - cx) / (w * 0.3)) ** 2 + ((yy - h * 0.12) / (h * 0.12)) ** 2 <= 1
    torso = ((xx - cx) / (w * 0.5)) ** 2 + ((yy - h * 0.42) / (h * 0.2)) ** 2 <= 1
    legs = ((xx - cx) / (w * 0.35)) ** 2 + ((yy - h * 0.78) / (h * 0.22)) ** 2 <= 1
    return head | torso | legs


def noisy(img: np.ndarray, rng: np.random.Generator, sigma: float = 3.0) -> np.ndarray:
    """Sensor noise and 8-bit quantisation."""
    return np.clip(img + rng.normal(0, sigma, img.shape), 0, 255).astype(np.uint8)


@dataclass
class Walker:
    """An object crossing the frame: top-left corner, velocity (px per analysed frame), gray level."""

    y: int
    x0: float
    vx: float
    start: int
    mask: np.ndarray
    gray: float

    def box(self, i: int) -> tuple[int, int, int, int] | None:
        """(x, y, w, h) of the visible part at frame ``i``, or None."""
        if i < self.start:
            return None
        x = int(round(self.x0 + self.vx * (i - self.start)))
        return (x, self.y, self.mask.shape[1], self.mask.shape[0])


def paste(img: np.ndarray, mask: np.ndarray, x: int, y: int, gray: float) -> int:
    """Draw ``mask`` at (x, y) clipped to the frame; returns the visible pixel count."""
    h, w = img.shape
    mh, mw = mask.shape
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + mw, w), min(y + mh, h)
    if x1 <= x0 or y1 <= y0:
        return 0
    sub = mask[y0 - y : y1 - y, x0 - x : x1 - x]
    img[y0:y1, x0:x1][sub] = gray
    return int(sub.sum())


def street(n_frames: int, shape: tuple[int, int] = (180, 320), seed: int = 3,
           sigma: float = 3.0) -> tuple[np.ndarray, np.ndarray, set[int]]:
    """A short street scene at 5 fps: frames, per-frame labels (1 motion, 0 none, -1 don't care) and
    the indices of light-change frames. Objects come and go with idle gaps; the light drifts slowly,
    dips by up to 35 % twice and has one contrast (IR-like) switch, all while nothing moves."""
    rng = np.random.default_rng(seed)
    h, w = shape
    bg = background(shape, seed)
    walkers: list[Walker] = []
    t = 25
    while t < n_frames - 10:
        size = (int(rng.integers(22, 40)), int(rng.integers(9, 15))) if rng.random() < 0.6 else (24, 60)
        mask = person(*size) if size[1] < 40 else np.ones(size, bool)
        direction = 1 if rng.random() < 0.5 else -1
        speed = float(rng.uniform(4, 14)) * direction
        x0 = -size[1] if direction > 0 else w
        gray = float(rng.choice([rng.uniform(10, 50), rng.uniform(200, 250)]))
        walkers.append(Walker(int(rng.integers(h // 3, h - size[0])), x0, speed, t, mask, gray))
        t += int((w + size[1]) / abs(speed)) + int(rng.integers(8, 25))
    gain = np.ones(n_frames)
    contrast = np.ones(n_frames)
    labels = np.zeros(n_frames, int)
    frames = np.empty((n_frames, h, w), np.uint8)
    for i in range(n_frames):
        img = bg.copy()
        area = sum(paste(img, wk.mask, wk.box(i)[0], wk.y, wk.gray) for wk in walkers if wk.box(i))
        labels[i] = 1 if area >= 120 else (-1 if area > 0 else 0)
        gain[i] = 1 + 0.04 * np.sin(2 * np.pi * i / 80)
        frames[i] = noisy(img, rng, sigma)
    light: set[int] = set()
    idle = [i for i in range(30, n_frames - 12) if not labels[i : i + 12].any()]
    for k, i in enumerate(idle[:: max(1, len(idle) // 3)][:3]):
        span = range(i, i + 8)
        light.update(span)
        for j in span:
            if k < 2:
                gain[j] *= 1 - (0.2 + 0.15 * k)
            else:
                contrast[j] = 1.6
    for i in range(n_frames):
        img = frames[i].astype(np.float32)
        img = (img - 128) * contrast[i] + 128 if contrast[i] != 1 else img
        frames[i] = np.clip(img * gain[i], 0, 255).astype(np.uint8)
    return frames, labels, light
