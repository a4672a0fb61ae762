"""`bench wall`: the JSON it promises, against the gst-rtsp-server test peer (numbers are not judged here)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import json
from pathlib import Path

import pytest

from console.bench.wall import RtspTestPeer, bench_wall, cameras_from_urls_file, percentiles
from console.cli.common import UsageError
from console.cli.parser import parse

from .conftest import _rtsp_unavailable

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
