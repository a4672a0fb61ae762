"""`campus-console bench …`: run a benchmark and print its result as JSON."""

from __future__ import annotations

import argparse
import json

from console.cli.common import data_dir


def cmd_bench(args: argparse.Namespace) -> int:
    if args.bench_command == "motion":
        from console.bench.motion import main as motion_main

        return motion_main(list(args.motion_args))
    if args.bench_command == "ingest":
        from console.bench.ingest import bench_ingest

        # The work directory sits in the data directory so fsync hits the disk the console really uses.
        work = data_dir(args) / "bench"
        work.mkdir(parents=True, exist_ok=True)
        result = bench_ingest(args.events, args.devices, args.window, args.reference_events, work)
    elif args.bench_command == "fire":
        from console.bench.fire import bench_fire

        result = bench_fire(args.frames, args.fires, args.connections, args.window, args.reference_frames)
    else:  # pragma: no cover - argparse restricts the choices
        raise SystemExit(f"unknown benchmark {args.bench_command}")
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        for key, value in result.items():
            print(f"{key:>24}: {value}")
    return 0
