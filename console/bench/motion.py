"""`campus-console bench motion`: batched motion detection against the plain per-camera reference."""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from console.video.motion import MotionConfig, MotionDetector

_SHARED = Path(__file__).resolve().parents[3] / "shared"
CLIPS = _SHARED / "data" / "motion"
REFERENCE = _SHARED / "bench" / "reference_motion.py"


def synthetic_clip(n_frames: int, shape: tuple[int, int], seed: int) -> np.ndarray:
    """Textured, noisy frames with two walkers: stand-in when the shared clips are absent."""
    rng = np.random.default_rng(seed)
    h, w = shape
    base = rng.integers(40, 200, (h, w)).astype(np.int16)
    frames = np.empty((n_frames, h, w), np.uint8)
    for i in range(n_frames):
        f = base + rng.integers(-4, 5, (h, w), dtype=np.int16)
        for k, (y, speed) in enumerate(((h // 3, 6), (2 * h // 3, -9))):
            x = (k * w // 2 + speed * i) % max(1, w - 12)
            f[y : y + 30, x : x + 12] = 230 - 180 * k
        frames[i] = np.clip(f, 0, 255)
    return frames


def decoded_clip(path: Path, n_frames: int, every: int) -> np.ndarray:
    """``n_frames`` gray frames of a clip, one in ``every`` (5 fps from a 25 fps clip)."""
    import av

    out = []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for i, frame in enumerate(container.decode(stream)):
            if i % every == 0:
                out.append(frame.to_ndarray(format="gray"))
                if len(out) == n_frames:
                    break
    return np.stack(out)


def make_batches(streams: int, shape: tuple[int, int], steps: int, clips: Path) -> tuple[np.ndarray, str]:
    """``(steps, streams, h, w)``: each camera a continuous 5 fps sequence, all cameras different."""
    found = sorted(clips.glob("*.mp4")) if clips.is_dir() else []
    sources, kind = [], "synthetic"
    if found:
        sources = [decoded_clip(p, 300, 5) for p in found[:2]]
        if all(s.shape[1:] == shape and len(s) >= steps for s in sources):
            kind = "clips: " + ", ".join(p.name for p in found[:2])
        else:
            sources = []
    if not sources:
        sources = [synthetic_clip(steps + 8 * streams, shape, seed) for seed in (1, 2)]
    batches = np.empty((steps, streams, *shape), np.uint8)
    for s in range(streams):
        src = sources[s % len(sources)]
        start = (s // len(sources) * 23) % max(1, len(src) - steps)
        batches[:, s] = src[start : start + steps]
    return batches, kind


def _best_cpu(runs: dict[str, Any], repeats: int) -> dict[str, tuple[float, float]]:
    """Best CPU and wall seconds of each run; the runs alternate, so a busy spell on a shared
    machine hits both sides alike instead of skewing the ratio."""
    best = {name: (float("inf"), float("inf")) for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            cpu, wall = time.process_time(), time.perf_counter()
            run()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            best[name] = (min(best[name][0], cpu), min(best[name][1], wall))
    return best


def bench_motion(streams: int = 16, size: tuple[int, int] = (640, 360), steps: int = 32, repeats: int = 5,
                 clips: Path = CLIPS, reference: Path = REFERENCE) -> dict[str, Any]:
    """Frames per CPU second of MotionDetector and of the reference on the same pre-decoded frames."""
    shape = (size[1], size[0])
    batches, kind = make_batches(streams, shape, steps, clips)
    detector = MotionDetector(streams, shape, MotionConfig())
    for batch in batches:  # warm-up: backgrounds and noise levels learnt, buffers touched
        detector.process(batch)

    def ours() -> None:
        for batch in batches:
            detector.process(batch)

    frames = steps * streams
    runs: dict[str, Any] = {"ours": ours}
    result: dict[str, Any] = {
        "detector": "console.video.motion", "streams": streams, "size": f"{size[0]}x{size[1]}",
        "frames": frames * repeats, "source": kind, "state_bytes_per_stream": detector.state_bytes // streams,
        "reference": str(reference), "reference_frames_per_s_per_core": None, "speedup": None,
    }
    if reference.is_file():
        spec = importlib.util.spec_from_file_location("reference_motion", reference)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        cams = [module.ReferenceMotion(shape) for _ in range(streams)]
        for s, cam in enumerate(cams):
            cam(batches[0, s])

        def theirs() -> None:  # the same frames, one camera at a time
            for batch in batches:
                for s, cam in enumerate(cams):
                    cam(batch[s])

        runs["reference"] = theirs
    else:
        result["reference"] = f"missing: {reference}"
    best = _best_cpu(runs, repeats)
    result["frames_per_s_per_core"] = round(frames / best["ours"][0])
    result["frames_per_s_wall"] = round(frames / best["ours"][1])
    if "reference" in best:
        result["reference_frames_per_s_per_core"] = round(frames / best["reference"][0])
        result["speedup"] = round(best["reference"][0] / best["ours"][0], 2)
    return result


def main(argv: list[str]) -> int:
    """``campus-console bench motion [--streams 16] [--size 640x360] [--json]``."""
    p = argparse.ArgumentParser(prog="campus-console bench motion", description=__doc__)
    p.add_argument("--streams", type=int, default=16)
    p.add_argument("--size", default="640x360", help="WIDTHxHEIGHT")
    p.add_argument("--steps", type=int, default=32, help="batches per timed run (frames per camera)")
    p.add_argument("--repeats", type=int, default=5, help="timed runs; the best counts")
    p.add_argument("--clips", type=Path, default=CLIPS, help="folder of clips to decode (else synthetic)")
    p.add_argument("--reference", type=Path, default=REFERENCE, help="reference_motion.py")
    p.add_argument("--json", action="store_true")
    a = p.parse_args(argv)
    try:
        w, h = (int(v) for v in a.size.lower().split("x"))
    except ValueError:
        p.error(f"--size must be WIDTHxHEIGHT, not {a.size!r}")
    if a.streams < 1 or a.steps < 1 or a.repeats < 1:
        p.error("--streams, --steps and --repeats must be >= 1")
    r = bench_motion(a.streams, (w, h), a.steps, a.repeats, a.clips, a.reference)
    if a.json:
        print(json.dumps(r))
    else:
        for key, value in r.items():
            print(f"{key:>32}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
