"""Latest-frame slot: newest wins, drops are counted, the producer never waits, buffers are never reused."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from console.video.slot import FrameSlot


def frame(value: int = 0, shape: tuple[int, ...] = (4, 8, 3)) -> np.ndarray:
    return np.full(shape, value % 256, np.uint8)


def test_the_consumer_gets_the_newest_frame_and_each_replaced_one_counts_as_dropped() -> None:
    slot = FrameSlot("cam")
    assert slot.take() is None
    for i in range(5):
        slot.put(frame(i), pts_time=i / 25)
    got = slot.take()
    assert got is not None and got.seq == 5 and got.image[0, 0, 0] == 4
    assert got.pts_time == pytest.approx(0.16)
    assert slot.take(after_seq=got.seq) is None  # nothing newer: the display does no work
    stats = slot.stats()
    assert (stats.decoded, stats.displayed, stats.dropped) == (5, 1, 4)
    slot.put(frame(9))
    assert slot.stats().dropped == 4  # the frame before it was shown, so it is not a drop
    assert slot.take(got.seq).seq == 6 and slot.stats().displayed == 2


def test_taking_the_same_frame_twice_counts_it_once() -> None:
    slot = FrameSlot()
    slot.put(frame())
    assert slot.take() is slot.take()
    assert slot.stats().displayed == 1


def test_a_reused_buffer_or_a_strided_view_is_refused() -> None:
    slot = FrameSlot()
    buffer = frame()
    slot.put(buffer)
    with pytest.raises(ValueError, match="reused"):
        slot.put(buffer)  # a QImage may still wrap it
    with pytest.raises(ValueError, match="reused"):
        slot.put(buffer[:2])  # a view into the same memory is the same mistake
    with pytest.raises(ValueError, match="packed"):
        slot.put(frame(shape=(4, 16, 3))[:, ::2])
    with pytest.raises(ValueError, match="4-byte"):
        slot.put(frame(shape=(4, 7, 3)))  # 21-byte rows: a QImage scanline must be 32-bit aligned
    padded = np.zeros((4, 16, 3), np.uint8)[:, :8]  # rows padded to 48 bytes: wrapped with that stride
    assert slot.put(padded) == 2
    got = slot.peek()
    assert got.buffer.flags.c_contiguous and got.buffer.shape == (4, 48)
    assert got.buffer.ctypes.data == padded.ctypes.data  # the same bytes, not a copy
    with pytest.raises(ValueError, match="uint8"):
        slot.put(np.zeros((4, 8, 3), np.float32))


def test_the_producer_never_blocks_and_the_counters_add_up_under_contention() -> None:
    slot = FrameSlot()
    total = 3000
    taken: list[int] = []
    done = threading.Event()

    def consume() -> None:
        seq = 0
        while not done.is_set():
            got = slot.take(seq)
            if got is not None:
                seq = got.seq
                taken.append(seq)

    consumer = threading.Thread(target=consume, name="consumer")
    consumer.start()
    started = time.perf_counter()
    try:
        for i in range(total):
            slot.put(frame(i))
    finally:
        elapsed = time.perf_counter() - started
        done.set()
        consumer.join(5)
    stats = slot.stats()
    assert elapsed < 2.0  # a few µs a frame: put only swaps a reference under a short lock
    assert taken == sorted(set(taken))  # strictly newer every time
    assert stats.decoded == total
    # Every frame was either shown or replaced unseen; the last may still be waiting for the display.
    assert total - 1 <= stats.displayed + stats.dropped <= total
    assert stats.displayed == len(taken)


def test_a_consumer_that_drops_a_taken_frame_moves_it_to_the_dropped_count() -> None:
    slot = FrameSlot()
    slot.put(frame())
    slot.take()
    slot.note_dropped()
    stats = slot.stats()
    assert (stats.displayed, stats.dropped) == (0, 1)


def test_fps_counts_frames_per_second_and_falls_to_zero_when_frames_stop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = [100.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    slot = FrameSlot()
    for _ in range(50):  # 25 fps for two seconds
        clock[0] += 0.04
        slot.put(frame(_))
    assert slot.stats().decoded_fps == pytest.approx(25, abs=1.5)
    assert slot.stats().age_s == pytest.approx(0.0)
    clock[0] += 3
    stats = slot.stats()
    assert stats.decoded_fps < 1 and stats.age_s == pytest.approx(3.0)


def test_clear_forgets_the_picture_but_not_the_counters() -> None:
    slot = FrameSlot()
    slot.put(frame())
    slot.clear()
    assert slot.take() is None and slot.peek() is None and slot.stats().decoded == 1 and slot.seq == 1
