"""motion-scan on an encoded clip, and the benchmark's JSON, at a tiny size."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from console.bench import motion as bench
from console.cli import motion_scan
from tests.motion.synth import street

av = pytest.importorskip("av")


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    frames, _, _ = street(60, shape=(176, 320), seed=5)
    path = tmp_path_factory.mktemp("clip") / "street.mkv"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("ffv1", rate=5)  # lossless and always built into FFmpeg
        stream.width, stream.height, stream.pix_fmt = 320, 176, "gray"
        for f in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(f, format="gray")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def test_motion_scan_prints_one_json_line_per_analysed_frame(clip: Path,
                                                             capsys: pytest.CaptureFixture) -> None:
    assert motion_scan.main([str(clip), "--fps", "5", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 60
    assert set(rows[0]) == {"t", "motion", "score", "boxes"}
    assert rows[1]["t"] == pytest.approx(0.2)
    assert any(r["motion"] for r in rows) and not rows[0]["motion"]
    for r in rows:
        assert r["motion"] == bool(r["boxes"]) and all(len(b) == 4 for b in r["boxes"])
    assert motion_scan.main([str(clip), "--fps", "2.5", "--json"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 30


def test_motion_scan_with_zones_and_bad_input(clip: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture) -> None:
    zones = tmp_path / "zones.toml"
    zones.write_text('[[zone]]\nname = "left"\nkind = "exclude"\npoints = [[0, 0], [320, 0], [320, 176], '
                     '[0, 176]]\n', encoding="utf-8")
    assert motion_scan.main([str(clip), "--zones", str(zones), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows and not any(r["motion"] for r in rows) and rows[0]["zones"] == []
    zones.write_text('[[zone]]\nname = "bowtie"\npoints = [[0, 0], [100, 100], [100, 0], [0, 100]]\n',
                     encoding="utf-8")
    assert motion_scan.main([str(clip), "--zones", str(zones), "--json"]) == 2
    assert "bowtie" in capsys.readouterr().err
    assert motion_scan.main([str(tmp_path / "missing.mp4"), "--json"]) == 2
    assert motion_scan.main([str(clip), "--fps", "0"]) == 2


def test_bench_json_with_and_without_reference(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    args = ["--streams", "2", "--size", "64x48", "--steps", "3", "--repeats", "1", "--clips", str(tmp_path)]
    assert bench.main([*args, "--reference", str(tmp_path / "nope.py"), "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["frames_per_s_per_core"] > 0 and r["reference"].startswith("missing")
    assert r["speedup"] is None and r["state_bytes_per_stream"] > 0 and r["source"] == "synthetic"
    ref = tmp_path / "reference_motion.py"
    ref.write_text("class ReferenceMotion:\n    def __init__(self, shape):\n        pass\n"
                   "    def __call__(self, gray):\n        return gray.mean() > 0, 0.0\n", encoding="utf-8")
    assert bench.main([*args, "--reference", str(ref), "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    keys = ("frames_per_s_per_core", "reference_frames_per_s_per_core", "speedup", "state_bytes_per_stream")
    assert all(r[key] is not None for key in keys)
    assert np.isfinite(r["speedup"])
