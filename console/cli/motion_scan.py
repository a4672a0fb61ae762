"""`campus-console motion-scan CLIP`: decode a clip and print each analysed frame's motion verdict."""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from console.video.motion import MotionConfig, MotionDetector
from console.video.motion_zones import ZoneConfigError, ZoneSet, parse_zones


def gray_frames(path: Path, fps: float) -> Iterator[tuple[float, np.ndarray]]:
    """(seconds, gray uint8 frame) at about ``fps`` frames per second of the clip's own clock."""
    import av  # only the scan needs the decoder

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"  # frame threads decode ahead while we analyse
        step, due, index = 1.0 / fps, 0.0, 0
        rate = float(stream.average_rate or 25)
        for frame in container.decode(stream):
            t = float(frame.time) if frame.time is not None else index / rate
            index += 1
            if t + 1e-6 < due:
                continue
            while due <= t + 1e-6:  # a gap in the clip: resume on the next due time after it
                due += step
            yield t, frame.to_ndarray(format="gray")


def load_zone_file(path: Path) -> dict[str, Any]:
    """A zone file: TOML (``[[zone]]`` tables) or JSON (``{"zones": [...]}``)."""
    text = path.read_text(encoding="utf-8")
    return tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)


def scan(
    path: Path, fps: float = 5.0, zones: dict[str, Any] | None = None, config: MotionConfig | None = None
) -> Iterator[dict[str, Any]]:
    """One record per analysed frame: t, motion, score and boxes (the frame's own verdict)."""
    config = config or MotionConfig(fps=fps)
    detector: MotionDetector | None = None
    zone_set: ZoneSet | None = None
    for t, gray in gray_frames(path, fps):
        if detector is None:
            detector = MotionDetector(1, gray.shape, config)
            if zones is not None:
                zone_set = ZoneSet(parse_zones(zones), (gray.shape[1], gray.shape[0]))
                detector.set_sensitivity(0, zone_set.sensitivity_map(detector.cells))
        result = detector.process(gray[None])[0]
        row: dict[str, Any] = {
            "t": round(t, 4),
            "motion": result.motion,
            "score": round(result.score, 5),
            "boxes": [list(b) for b in result.boxes],
        }
        if zone_set is not None:
            hits = [h for h in zone_set.evaluate(result.boxes) if h.motion]
            row["motion"] = bool(hits)
            row["boxes"] = sorted({tuple(b) for h in hits for b in h.boxes})
            row["boxes"] = [list(b) for b in row["boxes"]]
            row["zones"] = [h.zone for h in hits]
        yield row


def build_parser() -> argparse.ArgumentParser:
    """The motion-scan options, for the lead's subcommand wiring as well."""
    p = argparse.ArgumentParser(prog="campus-console motion-scan", description=__doc__)
    p.add_argument("clip", type=Path, help="video file (anything FFmpeg decodes)")
    p.add_argument("--fps", type=float, default=5.0, help="analysed frames per second (default 5)")
    p.add_argument("--zones", type=Path, help='zone file (TOML [[zone]] tables or JSON {"zones": [...]})')
    p.add_argument("--json", action="store_true", help="one JSON object per analysed frame")
    return p


def run(args: argparse.Namespace) -> int:
    """Scan ``args.clip``; exit 2 on a bad clip or zone file."""
    if args.fps <= 0:
        print("motion-scan: --fps must be positive", file=sys.stderr)
        return 2
    try:
        zones = load_zone_file(args.zones) if args.zones else None
        for row in scan(args.clip, args.fps, zones):
            if args.json:
                print(json.dumps(row), flush=False)
            else:
                print(
                    f"{row['t']:9.2f}s  {'MOTION' if row['motion'] else '-':6}  {row['score']:.4f}  "
                    f"{row['boxes']}"
                )
    except (OSError, ValueError, tomllib.TOMLDecodeError) as exc:  # ZoneConfigError is a ValueError
        kind = "zone file" if isinstance(exc, ZoneConfigError | tomllib.TOMLDecodeError) else "clip"
        print(f"motion-scan: {kind}: {exc}", file=sys.stderr)
        return 2
    return 0


def main(argv: list[str]) -> int:
    """``campus-console motion-scan CLIP [--fps 5] [--zones FILE] --json``."""
    return run(build_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
