"""`campus-console bench …`: run a benchmark and print its result as JSON."""

from __future__ import annotations

import argparse
import json
import os

from console.cli.common import UsageError, data_dir, load, site_path


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
    elif args.bench_command == "gates":
        from console.bench.gates import bench_gates

        work = data_dir(args) / "bench"
        work.mkdir(parents=True, exist_ok=True)
        result = bench_gates(
            args.events, args.devices, args.connections, args.replay_share, args.picture_share,
            args.reference_events, args.filter_rows, args.filter_queries, work, only=args.only,
        )
    elif args.bench_command == "wall":
        result = _bench_wall(args)
    elif args.bench_command == "onvif":
        from console.bench.onvif import bench_onvif

        result = bench_onvif(args.moves, args.events, args.event_rate, args.probes)
    else:  # pragma: no cover - argparse restricts the choices
        raise SystemExit(f"unknown benchmark {args.bench_command}")
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        for key, value in result.items():
            print(f"{key:>24}: {value}")
    return 0


def _bench_wall(args: argparse.Namespace) -> dict[str, object]:
    from console.bench.wall import RtspTestPeer, bench_wall, cameras_from_urls_file, parse_size
    from widgets.camera_wall import LAYOUTS

    if args.layout not in LAYOUTS:
        raise UsageError(f"--layout must be one of {', '.join(map(str, LAYOUTS))}")
    chosen = [bool(args.config or args.demo), bool(args.urls_file), bool(args.serve_test_streams)]
    if sum(chosen) != 1:
        raise UsageError(
            "bench wall needs exactly one of --config SITE, --urls-file FILE, --serve-test-streams N"
        )
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    options = {"reference_seconds": args.reference_seconds, "window_size": parse_size(args.window_size)}
    if args.serve_test_streams:
        with RtspTestPeer(args.serve_test_streams, parse_size(args.size), args.fps,
                          live_encode=args.live_encode) as streams:
            from console.bench.wall import cameras_for_urls

            return bench_wall(cameras_for_urls(streams.urls), args.layout, args.seconds,
                              peer_cpu=streams.cpu_seconds, **options)  # type: ignore[arg-type]
    if args.urls_file:
        return bench_wall(cameras_from_urls_file(args.urls_file), args.layout, args.seconds,
                          **options)  # type: ignore[arg-type]
    site = load(args)
    cameras = [c for c in site.cameras if c.main_url or c.sub_url]
    return bench_wall(cameras, args.layout, args.seconds, base_dir=site_path(args).parent,
                      **options)  # type: ignore[arg-type]
