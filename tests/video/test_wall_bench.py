"""`bench wall`: the JSON it promises, against the gst-rtsp-server test peer (numbers are not judged here)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import json
import time
from pathlib import Path

import av
import pytest

from console.bench.wall import (
    RtspTestPeer,
    bench_wall,
    cameras_from_urls_file,
    percentiles,
    pre_encoded_clip,
)
from console.cli.common import UsageError
from console.cli.parser import parse

from .conftest import MakeWorker, _rtsp_unavailable, wait_for

pytestmark = pytest.mark.slow


def test_percentiles_and_the_urls_file(tmp_path: Path) -> None:
    assert percentiles([]) == {"p50": 0.0, "p99": 0.0, "max": 0.0}
    stats = percentiles([float(i) for i in range(1, 101)])
    assert stats["max"] == 100 and stats["p99"] == 100 and stats["p50"] == 50.5
    urls = tmp_path / "urls.txt"
    urls.write_text("# cameras\nrtsp://10.0.0.1/a\n\nrtsp://user@10.0.0.2/b\n", encoding="utf-8")
    cameras = cameras_from_urls_file(urls)
    assert [c.main_url for c in cameras] == ["rtsp://10.0.0.1/a", "rtsp://user@10.0.0.2/b"]


def test_the_command_line_takes_exactly_one_source(tmp_path: Path) -> None:
    args = parse(["bench", "wall", "--serve-test-streams", "4", "--size", "320x180", "--layout", "4",
                  "--json"])
    assert args.serve_test_streams == 4 and args.layout == 4 and args.seconds == 30
    args = parse(["bench", "wall", "--config", "site.toml", "--layout", "16", "--seconds", "5"])
    assert args.config == Path("site.toml")
    from console.bench.cli import cmd_bench

    with pytest.raises(UsageError):
        cmd_bench(parse(["bench", "wall", "--layout", "16"]))  # no source
    with pytest.raises(UsageError):
        cmd_bench(parse(["bench", "wall", "--serve-test-streams", "2", "--layout", "5"]))


def test_a_short_run_reports_every_key(qapp: object) -> None:
    reason = _rtsp_unavailable()
    if reason:
        pytest.skip(reason)
    with RtspTestPeer(2, (320, 180), 25) as streams:
        from console.bench.wall import cameras_for_urls

        result = bench_wall(cameras_for_urls(streams.urls), 4, 2.0, reference_seconds=1.0,
                            window_size=(640, 360))
    json.dumps(result)  # plain JSON
    assert {"cameras", "gui_stall_ms", "cpu_cores", "rss_mb", "reference_decode_fps"} <= result.keys()
    assert len(result["cameras"]) == 2
    for camera in result["cameras"]:
        assert set(camera) == {"url", "decoded_fps", "displayed_fps", "dropped", "reconnects"}
        assert camera["url"].startswith("rtsp://127.0.0.1:") and camera["decoded_fps"] > 0
    assert set(result["gui_stall_ms"]) == {"p50", "p99", "max"}
    assert result["cpu_cores"] > 0 and result["rss_mb"] > 0 and result["reference_decode_fps"] > 0
    assert result["reference"]["errors"] == []
    # The workers' own CPU per frame against the reference threads': both measured, both named.
    assert result["worker_cpu_ms_per_frame"] > 0 and result["reference"]["thread_cpu_ms_per_frame"] > 0
    assert result["decode_cost_ratio"] == pytest.approx(
        result["worker_cpu_ms_per_frame"] / result["reference"]["thread_cpu_ms_per_frame"], rel=0.01)
    assert result["cost_ratio_vs_reference"] > 0
    assert result["other_load_cores"] is None or result["other_load_cores"] >= 0


def test_pre_encoded_clips_are_camera_like_h264_made_once(tmp_path: Path) -> None:
    clip = pre_encoded_clip((320, 180), 25, 2, tmp_path)
    data = clip.read_bytes()
    assert data.startswith(b"\x00\x00\x00\x01\x09")  # the server splits frames on these delimiters
    with av.open(str(clip), format="h264") as container:
        stream = container.streams.video[0]
        packets = [p for p in container.demux(stream) if p.size]
        assert (stream.codec_context.width, stream.codec_context.height) == (320, 180)
        assert stream.codec_context.profile == "Main"
    keys = [i for i, p in enumerate(packets) if p.is_keyframe]
    assert data.count(b"\x00\x00\x00\x01\x09") == len(packets) >= 250
    assert keys[:3] == [0, 25, 50]  # a key frame every second
    made = clip.stat().st_mtime_ns
    assert pre_encoded_clip((320, 180), 25, 2, tmp_path) == clip and clip.stat().st_mtime_ns == made  # cached


def test_the_peer_serves_clips_at_their_frame_rate_and_can_still_encode_live(
    make_worker: MakeWorker, tmp_path: Path
) -> None:
    reason = _rtsp_unavailable()
    if reason:
        pytest.skip(reason)
    with RtspTestPeer(1, (320, 180), 25, cache_dir=tmp_path) as clips, \
            RtspTestPeer(1, (320, 180), 25, live_encode=True) as live:
        paced = make_worker(clips.urls[0])
        encoded = make_worker(live.urls[0])
        wait_for(lambda: paced.slot.stats().decoded and encoded.slot.stats().decoded, 10, "both streams")
        time.sleep(1.5)  # past the frames FFmpeg buffered while probing the stream
        first = paced.slot.stats().decoded
        time.sleep(2.0)
        assert 44 <= paced.slot.stats().decoded - first <= 56  # 25 fps: paced, neither a burst nor a crawl
        assert encoded.slot.stats().decoded > 0
