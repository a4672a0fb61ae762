"""What must fire (a small person) and what must not (light, IR, noise, weather, drift, stopped things)."""

from __future__ import annotations

import numpy as np
import pytest

from console.video.motion import MotionConfig, MotionDetector
from tests.motion.synth import background, noisy, paste, person

SHAPE = (360, 640)


@pytest.fixture(scope="module")
def scene() -> np.ndarray:
    return background(SHAPE, seed=11)


def learnt(scene: np.ndarray, rng: np.random.Generator, config: MotionConfig | None = None,
           frames: int = 20, sigma: float = 3.0) -> MotionDetector:
    det = MotionDetector(1, SHAPE, config)
    for _ in range(frames):
        assert not det.process(noisy(scene, rng, sigma)[None])[0].motion
    return det


def run(det: MotionDetector, frames: list[np.ndarray]) -> list[bool]:
    return [det.process(f[None])[0].motion for f in frames]


@pytest.mark.parametrize("gray", [25.0, 235.0])
def test_a_10_by_25_px_person_is_detected(scene: np.ndarray, gray: float) -> None:
    rng = np.random.default_rng(1)
    det = learnt(scene, rng)
    shape = person(25, 10)
    hits = 0
    for i in range(12):
        x, y = 100 + 37 * i, 180 + 5 * (i % 3)
        img = scene.copy()
        paste(img, shape, x, y, gray)
        r = det.process(noisy(img, rng)[None])[0]
        hits += r.motion
        if r.motion:  # the box is where the person is, to within a cell
            assert any(bx - 8 <= x <= bx + bw and by - 8 <= y + 12 <= by + bh + 8
                       for bx, by, bw, bh in r.boxes)
    assert hits >= 11


@pytest.mark.parametrize("gain", [0.55, 0.75, 1.3, 1.4])
def test_whole_frame_brightness_step_is_quiet(scene: np.ndarray, gain: float) -> None:
    rng = np.random.default_rng(2)
    det = learnt(scene, rng)
    frames = [noisy(np.clip(scene * gain, 0, 255), rng) for _ in range(15)]
    frames += [noisy(scene, rng) for _ in range(5)]  # and back
    assert not any(run(det, frames))


@pytest.mark.parametrize("contrast", [1.8, 0.5])
def test_ir_switch_gray_to_high_contrast_is_quiet(scene: np.ndarray, contrast: float) -> None:
    rng = np.random.default_rng(3)
    det = learnt(scene, rng)
    mean = scene.mean()
    ir = (scene - mean) * contrast + mean + 10  # IR: colours become a harsher (or flatter) gray
    frames = [noisy(np.clip(ir, 0, 255), rng, sigma=5.0) for _ in range(15)]
    assert not any(run(det, frames))


def test_ir_switch_to_a_different_picture_is_quiet(scene: np.ndarray) -> None:
    rng = np.random.default_rng(4)
    det = learnt(scene, rng)
    night = 255 * (scene / 255) ** 2.2 * 0.8  # non-linear remap: a global change, then relearnt
    assert not any(run(det, [noisy(night, rng, sigma=6.0) for _ in range(15)]))


def test_heavy_sensor_noise_is_quiet(scene: np.ndarray) -> None:
    rng = np.random.default_rng(5)
    det = learnt(scene * 0.5, rng, sigma=9.0)  # a dark, high-gain night picture
    assert not any(run(det, [noisy(scene * 0.5, rng, sigma=9.0) for _ in range(40)]))


@pytest.mark.parametrize("kind", ["rain", "snow"])
def test_rain_and_snow_speckle_is_quiet(scene: np.ndarray, kind: str) -> None:
    rng = np.random.default_rng(6)
    det = learnt(scene, rng)
    frames = []
    for _ in range(30):
        img = scene.copy()
        n = 60 if kind == "snow" else 500  # 60 white 2x2 flakes or 500 rain streaks per frame
        ys, xs = rng.integers(0, SHAPE[0] - 4, n), rng.integers(0, SHAPE[1] - 2, n)
        for dy in range(2 if kind == "snow" else 4):  # flakes: 2x2 blobs; rain: short streaks
            for dx in range(2 if kind == "snow" else 1):
                img[ys + dy, xs + dx] = 235 if kind == "snow" else img[ys + dy, xs + dx] * 0.8 + 40
        frames.append(noisy(img, rng))
    assert not any(run(det, frames))


def test_slow_drift_and_moving_shadow_are_absorbed(scene: np.ndarray) -> None:
    rng = np.random.default_rng(7)
    det = learnt(scene, rng)
    xx = np.linspace(0, 1, SHAPE[1], dtype=np.float32)[None, :]
    frames = []
    for i in range(120):  # 24 s at 5 fps: 30 % darker, and a soft shadow deepening on the left
        shade = 1 - 0.25 * (i / 120) * np.clip(1 - np.abs(xx - 0.3) * 3, 0, 1)
        frames.append(noisy(np.clip(scene * (1 - 0.3 * i / 120) * shade, 0, 255), rng))
    assert sum(run(det, frames)) == 0


def test_a_thing_that_stops_becomes_background(scene: np.ndarray) -> None:
    rng = np.random.default_rng(8)
    det = learnt(scene, rng, MotionConfig(stopped_s=4.0))
    car = np.ones((30, 70), bool)
    moving = []
    for i in range(6):
        img = scene.copy()
        paste(img, car, 100 + 20 * i, 250, 30)
        moving.append(noisy(img, rng))
    assert all(run(det, moving))
    parked = scene.copy()
    paste(parked, car, 200, 250, 30)
    verdicts = run(det, [noisy(parked, rng) for _ in range(40)])
    assert verdicts[0] and not any(verdicts[-15:])  # quiet well within stopped_s + margin
    # The car drives off: the street it leaves behind is a change again, then quiet once more.
    assert run(det, [noisy(scene, rng)])[0]


def test_a_passer_by_leaves_no_ghost(scene: np.ndarray) -> None:
    rng = np.random.default_rng(9)
    det = learnt(scene, rng)
    bus = np.ones((60, 200), bool)
    for i in range(12):  # a long, slow, uniform bus: its cells stay changed while it passes
        img = scene.copy()
        paste(img, bus, -200 + 40 * i, 200, 40)
        det.process(noisy(img, rng)[None])
    for i in range(12, 30):  # it has driven off
        img = scene.copy()
        paste(img, bus, -200 + 40 * i, 200, 40)
        det.process(noisy(img, rng)[None])
    assert not any(run(det, [noisy(scene, rng) for _ in range(5)]))
