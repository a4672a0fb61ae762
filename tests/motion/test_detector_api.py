"""MotionDetector's contract: shapes, results, bad input naming the stream, streams leaving the batch."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from console.video.motion import MotionConfig, MotionDetector, MotionResult
from tests.motion.synth import background, noisy, paste, person

SHAPE = (120, 160)


def idle(n: int, seed: int = 0) -> tuple[np.ndarray, np.random.Generator]:
    rng = np.random.default_rng(seed)
    return np.stack([background(SHAPE, seed + i) for i in range(n)]), rng


def warm(det: MotionDetector, scenes: np.ndarray, rng: np.random.Generator, frames: int = 15) -> None:
    for _ in range(frames):
        det.process(np.stack([noisy(s, rng) for s in scenes]))


def test_result_contract_and_quiet_start() -> None:
    scenes, rng = idle(3)
    det = MotionDetector(3, SHAPE)
    results = det.process(np.stack([noisy(s, rng) for s in scenes]))
    assert len(results) == 3
    for r in results:
        assert isinstance(r, MotionResult)
        assert r == (False, 0.0, [])  # the first frame is the background, never motion
    assert det.cells == (SHAPE[0] // 8, SHAPE[1] // 8)


def test_motion_in_one_stream_only_with_box_in_input_pixels() -> None:
    scenes, rng = idle(4)
    det = MotionDetector(4, SHAPE)
    warm(det, scenes, rng)
    frames = []
    for i, s in enumerate(scenes):
        img = s.copy()
        if i == 2:
            paste(img, person(40, 16), 60, 50, 240)
        frames.append(noisy(img, rng))
    results = det.process(np.stack(frames))
    assert [r.motion for r in results] == [False, False, True, False]
    (x, y, w, h), *_ = results[2].boxes
    # Boxes are whole 8 px cells of sampled rows: they cover the person to within one cell.
    assert x <= 60 and x + w + 8 >= 76 and y <= 50 and y + h + 8 >= 90
    assert w <= 16 + 16 and h <= 40 + 16
    assert 0 < results[2].score < 0.2
    assert all(isinstance(v, int) for v in results[2].boxes[0])


def test_config_validation_and_state_budget() -> None:
    with pytest.raises(ValueError, match="sample_rows"):
        MotionConfig(sample_rows=3)
    with pytest.raises(ValueError, match="fps"):
        MotionConfig(fps=0)
    with pytest.raises(ValueError):
        MotionDetector(2, (8, 8))
    det = MotionDetector(16, (360, 640))
    assert det.state_bytes / 16 <= 2 * 1024 * 1024


@pytest.mark.parametrize(
    ("frames", "message"),
    [
        (np.zeros((3, *SHAPE), np.float32), "stream 0"),
        (np.zeros((3, 120, 161), np.uint8), "stream 0"),
        (np.zeros((2, *SHAPE), np.uint8), "shape"),
        ([np.zeros(SHAPE, np.uint8), np.zeros((119, 160), np.uint8), np.zeros(SHAPE, np.uint8)], "stream 1"),
        ([np.zeros(SHAPE, np.uint8), np.zeros(SHAPE, np.uint8), np.zeros(SHAPE, np.int16)], "stream 2"),
        ([np.zeros(SHAPE, np.uint8), "frame", np.zeros(SHAPE, np.uint8)], "stream 1"),
        ([np.zeros(SHAPE, np.uint8)], "one per stream"),
    ],
)
def test_bad_frames_name_the_stream(frames: object, message: str) -> None:
    det = MotionDetector(3, SHAPE)
    with pytest.raises(ValueError, match=message):
        det.process(frames)  # type: ignore[arg-type]


def test_a_stream_drops_out_mid_batch_without_stopping_the_others() -> None:
    scenes, rng = idle(3, seed=5)
    det = MotionDetector(3, SHAPE)
    warm(det, scenes, rng)
    moving = scenes[0].copy()
    paste(moving, person(40, 16), 40, 40, 20)
    # Camera 1 has vanished: its slot holds garbage of the wrong kind, or None.
    frames = [noisy(moving, rng), None, noisy(scenes[2], rng)]
    results = det.process(frames)
    assert results[0].motion and not results[1].motion and not results[2].motion
    batch = np.stack([noisy(moving, rng), np.full(SHAPE, 255, np.uint8), noisy(scenes[2], rng)])
    results = det.process(batch, active=[True, False, True])
    assert results[0].motion and results[1] == (False, 0.0, []) and not results[2].motion
    det.remove_stream(1)
    assert det.process(batch)[1] == (False, 0.0, [])  # a white frame: would be motion if watched
    det.restore_stream(1)
    assert det.process(batch)[1].motion is False  # learnt afresh: its first frame is background
    with pytest.raises(IndexError):
        det.remove_stream(3)


def test_odd_frame_size_is_cropped_to_whole_cells() -> None:
    rng = np.random.default_rng(1)
    shape = (101, 155)
    scene = background(shape, 2)
    det = MotionDetector(1, shape)
    for _ in range(12):
        det.process(noisy(scene, rng)[None])
    img = scene.copy()
    paste(img, person(30, 12), 100, 40, 250)
    r = det.process(noisy(img, rng)[None])[0]
    assert r.motion
    for x, y, w, h in r.boxes:
        assert x + w <= shape[1] and y + h <= shape[0]


def test_sensitivity_map_ignores_cells() -> None:
    scenes, rng = idle(1, seed=7)
    det = MotionDetector(1, SHAPE)
    ignore = np.ones(det.cells, np.float32)
    ignore[:, : det.cells[1] // 2] = np.inf  # the left half is not watched
    det.set_sensitivity(0, ignore)
    warm(det, scenes, rng)
    left, right = scenes[0].copy(), scenes[0].copy()
    paste(left, person(40, 16), 10, 40, 250)
    assert not det.process(noisy(left, rng)[None])[0].motion
    paste(right, person(40, 16), 120, 40, 250)
    assert det.process(noisy(right, rng)[None])[0].motion
    with pytest.raises(ValueError, match="stream 0"):
        det.set_sensitivity(0, np.zeros(det.cells))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    batches=st.lists(hnp.arrays(np.uint8, (2, 24, 40), elements=st.integers(0, 255)), min_size=1, max_size=6),
    active=st.lists(st.booleans(), min_size=2, max_size=2),
    rows=st.sampled_from([1, 2, 4, 8]),
)
def test_process_never_raises_on_valid_input(batches: list[np.ndarray], active: list[bool],
                                             rows: int) -> None:
    det = MotionDetector(2, (24, 40), MotionConfig(sample_rows=rows))
    for frames in batches:
        for r in det.process(frames, active=active):
            assert 0.0 <= r.score <= 1.0
            assert r.motion == bool(r.boxes)
            for x, y, w, h in r.boxes:
                assert 0 <= x < x + w <= 40 and 0 <= y < y + h <= 24
