"""Stream workers on local files: real-time pace, the size the view asks for, packets, loops and failures."""

from __future__ import annotations

import time
import wave
from pathlib import Path

import av
import numpy as np
import pytest

from console.video.status import Backoff, Reason, StreamPacket, StreamState
from console.video.timing import fit_size
from console.video.worker import WorkerConfig

from .conftest import CLIPS, MakeWorker, is_live, wait_for


def write_clip(path: Path, frames: int, size: tuple[int, int] = (160, 96), fmt: str = "mp4") -> Path:
    """A small H.264 clip whose frames differ (a bar moves), at 25 fps."""
    width, height = size
    with av.open(str(path), "w", format=fmt) as out:
        stream = out.add_stream("libx264", rate=25, options={"preset": "ultrafast"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.gop_size = 25
        for n in range(frames):
            image = np.full((height, width, 3), 40, np.uint8)
            image[:, (n * 4) % width : (n * 4) % width + 8] = 255
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = n
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def test_a_clip_plays_at_real_time_scaled_to_the_requested_size(make_worker: MakeWorker) -> None:
    worker = make_worker(f"file:{CLIPS / 'stadium-main.mp4'}", size=(200, 200))
    wait_for(lambda: worker.slot.peek() is not None, 5, "the first frame")
    assert worker.native_size == (640, 360) and is_live(worker)
    first = worker.slot.stats().decoded
    time.sleep(2.0)
    decoded = worker.slot.stats().decoded - first
    assert 40 <= decoded <= 60, decoded  # 25 fps, paced: not as fast as the decoder could go
    frame = worker.slot.peek()
    assert frame is not None and frame.image.shape == (112, 200, 4)
    assert frame.image.strides[1:] == (4, 1) and frame.image.strides[0] % 4 == 0  # wrappable as it is
    worker.set_target_size(640, 360)
    wait_for(lambda: worker.slot.peek().image.shape == (360, 640, 4), 2, "the new size")


def test_gray_analysis_frames_come_at_the_analysis_rate(make_worker: MakeWorker) -> None:
    worker = make_worker(f"file:{CLIPS / 'canteen-sub.mp4'}")
    wait_for(lambda: worker.analysis_slot.stats().decoded >= 1, 5, "a gray frame")
    start = worker.analysis_slot.stats().decoded
    time.sleep(1.2)
    gray = worker.analysis_slot.peek()
    assert gray is not None and gray.image.shape == (180, 320) and gray.image.dtype == np.uint8
    assert 3 <= worker.analysis_slot.stats().decoded - start <= 8  # about 5 a second, not 25


def test_nobody_watching_means_no_rgb_work_but_the_stream_stays_live(make_worker: MakeWorker) -> None:
    worker = make_worker(f"file:{CLIPS / 'library-sub.mp4'}", size=(0, 0))
    wait_for(lambda: worker.analysis_slot.peek() is not None, 5, "a gray frame")
    assert worker.slot.peek() is None and is_live(worker)


def test_the_packet_hook_sees_every_compressed_packet_with_timestamps(make_worker: MakeWorker) -> None:
    seen: list[StreamPacket] = []
    worker = make_worker(f"file:{CLIPS / 'lab-b-sub.mp4'}")
    worker.add_packet_listener(seen.append)
    # The listener joins a running stream: the next key frame comes within the clip's 2 s GOP.
    wait_for(lambda: len(seen) >= 30 and any(p.packet.is_keyframe for p in seen), 5, "a key frame")
    assert all(p.camera_id == worker.camera_id and p.stream == "main" and p.packet.size > 0 for p in seen)
    pts = [p.packet.pts for p in seen[:30]]
    assert all(isinstance(t, int) for t in pts)
    assert seen[0].packet.stream.codec_context.name == "h264"  # what a stream-copy recorder needs


def test_a_failing_packet_listener_does_not_stop_the_stream(make_worker: MakeWorker) -> None:
    def broken(packet: StreamPacket) -> None:
        raise RuntimeError("recorder bug")

    worker = make_worker(f"file:{CLIPS / 'lab-b-sub.mp4'}")
    worker.add_packet_listener(broken)
    wait_for(lambda: worker.slot.stats().decoded >= 10, 5, "frames despite the listener")
    worker.remove_packet_listener(broken)


def test_a_short_clip_loops(make_worker: MakeWorker, tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "short.mp4", frames=10)
    worker = make_worker(f"file:{clip}")
    wait_for(lambda: worker.slot.stats().decoded >= 25, 4, "two and a half loops")
    assert is_live(worker) and worker.status().reconnects == 0


def test_a_missing_file_is_offline_not_found_and_retried_slowly(
    make_worker: MakeWorker, tmp_path: Path
) -> None:
    worker = make_worker(f"file:{tmp_path / 'nope.mp4'}")
    wait_for(lambda: worker.status().state is StreamState.OFFLINE, 2, "offline")
    status = worker.status()
    assert status.reason is Reason.NOT_FOUND and status.next_try_in(time.monotonic()) > 0.5


def test_audio_only_input_is_an_unsupported_stream(make_worker: MakeWorker, tmp_path: Path) -> None:
    path = tmp_path / "tone.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(np.zeros(8000, np.int16).tobytes())
    worker = make_worker(f"file:{path}")
    wait_for(lambda: worker.status().state is StreamState.OFFLINE, 2, "offline")
    assert worker.status().reason is Reason.UNSUPPORTED


def test_garbage_in_the_middle_of_a_stream_is_counted_and_the_picture_goes_on(
    make_worker: MakeWorker, tmp_path: Path
) -> None:
    # Raw H.264 with five junk slices (random bytes after a slice NAL header) spliced in mid-stream.
    clip = write_clip(tmp_path / "clean.h264", frames=75, fmt="h264")
    start_code = b"\x00\x00\x00\x01"
    units = clip.read_bytes().split(start_code)
    rng = np.random.default_rng(7)
    junk = [b"\x41" + rng.integers(0, 256, 400, dtype=np.uint8).tobytes() for _ in range(5)]
    middle = len(units) // 2
    (tmp_path / "bad.h264").write_bytes(start_code.join(units[:middle] + junk + units[middle:]))
    worker = make_worker(f"file:{tmp_path / 'bad.h264'}")
    wait_for(lambda: worker.status().errors > 0, 6, "errors to be counted")
    decoded = worker.slot.stats().decoded
    wait_for(lambda: worker.slot.stats().decoded > decoded + 10, 3, "frames after the damage")
    assert is_live(worker)


def test_stop_joins_promptly_even_while_pacing_or_backing_off(
    make_worker: MakeWorker, tmp_path: Path
) -> None:
    slow = WorkerConfig(backoff=Backoff(initial_s=30, max_s=30, max_permanent_s=30))
    pacing = make_worker(f"file:{CLIPS / 'stadium-sub.mp4'}")
    waiting = make_worker(f"file:{tmp_path / 'missing.mp4'}", config=slow)
    wait_for(lambda: is_live(pacing) and waiting.status().state is StreamState.OFFLINE, 5, "both running")
    started = time.monotonic()
    for worker in (pacing, waiting):
        worker.stop()
    assert time.monotonic() - started < 1.0
    assert not pacing.alive and not waiting.alive and pacing.status().state is StreamState.STOPPED


def test_the_display_slot_never_blocks_the_worker(make_worker: MakeWorker) -> None:
    """A display that never takes frames (a frozen GUI) costs the worker nothing: frames are dropped."""
    worker = make_worker(f"file:{CLIPS / 'west-gate-sub.mp4'}")
    wait_for(lambda: worker.slot.stats().decoded >= 35, 4, "frames")  # past the first 1 s fps window
    stats = worker.slot.stats()
    assert stats.dropped >= 33 and stats.displayed == 0 and 20 <= stats.decoded_fps <= 30


@pytest.mark.parametrize("name", ["east-gate", "stadium"])
def test_the_bundled_demo_clips_are_h264_main_and_sub_streams(name: str) -> None:
    for kind, size in (("main", (640, 360)), ("sub", (320, 180))):
        with av.open(str(CLIPS / f"{name}-{kind}.mp4")) as container:
            stream = container.streams.video[0]
            assert stream.codec_context.name == "h264"
            assert (stream.codec_context.width, stream.codec_context.height) == size


def test_all_clips_stay_under_the_size_budget() -> None:
    clips = sorted(CLIPS.glob("*.mp4"))
    assert len(clips) == 18  # nine cameras, main and sub
    assert sum(p.stat().st_size for p in clips) < 15 * 1024 * 1024


def write_solid_clip(path: Path, rgb: tuple[int, int, int], frames: int = 50) -> Path:
    """A 320x180 H.264 clip of one flat colour (full frame, so scaling cannot blur an edge into it)."""
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=25, options={"preset": "ultrafast", "crf": "10"})
        stream.width, stream.height, stream.pix_fmt = 320, 180, "yuv420p"
        for n in range(frames):
            frame = av.VideoFrame.from_ndarray(np.full((180, 320, 3), rgb, np.uint8), format="rgb24")
            frame.pts = n
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


@pytest.mark.parametrize("size", [(320, 180), (200, 120)])
def test_tile_frames_keep_the_colours_at_any_size(make_worker: MakeWorker, tmp_path: Path,
                                                  size: tuple[int, int]) -> None:
    """The worker scales in YUV and converts to BGRA with its own scaler contexts: colours must come out
    as they went in, scaled or not."""
    rgb = (200, 60, 30)
    worker = make_worker(f"file:{write_solid_clip(tmp_path / 'red.mp4', rgb)}", size=size)
    wait_for(lambda: worker.slot.stats().decoded >= 3, 5, "frames")
    frame = worker.slot.peek()
    width, height = fit_size(320, 180, *size)
    assert frame is not None and frame.image.shape == (height, width, 4)
    b, g, r, a = (int(v) for v in np.median(frame.image.reshape(-1, 4), axis=0))
    assert abs(b - rgb[2]) <= 6 and abs(g - rgb[1]) <= 6 and abs(r - rgb[0]) <= 6 and a == 255


def test_the_worker_thread_reports_its_own_cpu_time(make_worker: MakeWorker) -> None:
    worker = make_worker(f"file:{CLIPS / 'stadium-main.mp4'}", size=(320, 180))
    wait_for(lambda: worker.slot.stats().decoded >= 5, 5, "frames")
    first = worker.cpu_seconds()
    assert first is not None and first > 0
    wait_for(lambda: (worker.cpu_seconds() or 0) > first, 3, "more CPU time while decoding")
    worker.stop()
    assert worker.cpu_seconds() is None  # no thread, no clock: never a stale figure
