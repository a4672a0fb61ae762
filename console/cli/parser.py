"""Argument parsing; global options are accepted before or after a subcommand."""

from __future__ import annotations

import argparse
from pathlib import Path

GLOBAL_DEFAULTS = {"data_dir": None, "config": None, "lang": None, "demo": False, "verbose": 0}


def _globals(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    # Subparsers get SUPPRESS defaults so an option given before the subcommand is not overwritten.
    d = (lambda value: argparse.SUPPRESS) if suppress else (lambda value: value)
    g = parser.add_argument_group("global options")
    g.add_argument("--data-dir", type=Path, default=d(None), help="data directory (database, logs, files)")
    g.add_argument("--config", type=Path, default=d(None), help="site file (TOML)")
    g.add_argument("--lang", choices=["zh_CN", "en"], default=d(None), help="user interface language")
    g.add_argument("--demo", action="store_true", default=d(False), help="use the built-in demo site")
    g.add_argument("-v", "--verbose", action="count", default=d(0), help="more log output")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="campus-console",
        description="Campus Console (校园安全监控台): the duty officers' console of a campus security "
        "centre.",
    )
    _globals(parser, suppress=False)
    parser.add_argument("--screenshot", type=Path, help="render the main window to this PNG and exit")
    parser.add_argument("--quit-after", type=float, help="quit after this many seconds")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        _globals(p, suppress=True)
        return p

    run = add("run", "run drivers, store and services (use --headless for no window)")
    run.add_argument("--headless", action="store_true", help="no window: log to stdout, stop on SIGTERM")
    run.add_argument("--quit-after", type=float, help="stop after this many seconds")

    events = add("events", "list stored events")
    events.add_argument("--since", help="ISO time (local time if no offset)")
    events.add_argument("--until", help="ISO time (local time if no offset)")
    events.add_argument("--kind", help="event kind or family (fire, fire.alarm, gate.pass ...)")
    events.add_argument("--source", help="device id")
    events.add_argument("--limit", type=int, help="at most this many events")
    events.add_argument("--json", action="store_true", help="one JSON object per line")

    audit = add("audit", "audit log")
    audit_sub = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = audit_sub.add_parser(
        "verify", help="recompute the hash chain; non-zero exit on the first broken row"
    )
    _globals(verify, suppress=True)
    show = audit_sub.add_parser("show", help="print the audit log")
    _globals(show, suppress=True)
    show.add_argument("--limit", type=int, default=50)

    check = add("check-config", "validate a site file and print every error")
    check.add_argument("file", type=Path)

    add("config-example", "print a complete, commented site file")

    cred = add("credentials", "named device credentials (kept in the OS keyring or an encrypted file)")
    cred_sub = cred.add_subparsers(dest="cred_command", metavar="ACTION", required=True)
    cset = cred_sub.add_parser(
        "set", help="store a credential (the secret is read from a prompt or --secret-env)"
    )
    _globals(cset, suppress=True)
    cset.add_argument("name")
    cset.add_argument("--username", default="")
    cset.add_argument("--secret-env", metavar="VAR", help="read the secret from this environment variable")
    clist = cred_sub.add_parser("list", help="list credential names")
    _globals(clist, suppress=True)
    cdel = cred_sub.add_parser("delete", help="delete a credential")
    _globals(cdel, suppress=True)
    cdel.add_argument("name")

    users = add("users", "operator accounts")
    users_sub = users.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    uadd = users_sub.add_parser("add", help="add a user (the first user must be an admin)")
    _globals(uadd, suppress=True)
    uadd.add_argument("username")
    uadd.add_argument("--role", choices=["admin", "supervisor", "operator", "viewer"], required=True)
    uadd.add_argument("--name", help="display name")
    uadd.add_argument(
        "--password-env", metavar="VAR", help="read the password from this environment variable"
    )
    uadd.add_argument("--admin", help="acting administrator (not needed for the first user)")
    uadd.add_argument("--admin-password-env", metavar="VAR")
    ulist = users_sub.add_parser("list", help="list users")
    _globals(ulist, suppress=True)

    scan = add(
        "motion-scan", "decode a clip and print one JSON line per analysed frame (see motion-scan --help)"
    )
    scan.add_argument("scan_args", nargs=argparse.REMAINDER, help="CLIP [--fps 5] [--zones FILE] --json")

    onvif = add("onvif", "ONVIF cameras: discover, probe, ptz (see onvif ACTION --help)")
    onvif.add_argument("onvif_args", nargs=argparse.REMAINDER, help="discover|probe|ptz ... --json")

    sim = add("simulate", "run a device simulator that speaks its protocol over real sockets")
    sim.add_argument("simulator", help="uitd (GB/T 26875.3 UITD), dc09 (SIA DC-09 transmitter)")
    sim.add_argument(
        "sim_args", nargs=argparse.REMAINDER, help="the simulator's own options (see NAME --help)"
    )

    bench = add("bench", "benchmarks (JSON out)")
    bench_sub = bench.add_subparsers(dest="bench_command", metavar="WHAT", required=True)

    def add_bench(
        name: str, help_text: str, *, json_flag: bool = True, **kwargs: str
    ) -> argparse.ArgumentParser:
        p = bench_sub.add_parser(name, help=help_text, **kwargs)
        _globals(p, suppress=True)
        if json_flag:
            p.add_argument("--json", action="store_true", help="print the result as JSON")
        return p

    bi = add_bench("ingest", "durable events/s through the store, against one commit per event")
    bi.add_argument("--events", type=int, default=100_000)
    bi.add_argument("--devices", type=int, default=50, help="concurrent device sessions on the driver loop")
    bi.add_argument("--window", type=int, default=4, help="unacknowledged events each device keeps in flight")
    bi.add_argument(
        "--reference-events",
        type=int,
        default=None,
        help="events for the one-transaction-per-event reference (default: events/20)",
    )
    bm = add_bench(
        "motion", "motion detector frames/s per core against the reference pipeline", json_flag=False
    )
    bm.add_argument("motion_args", nargs=argparse.REMAINDER, help="--streams 16 --size 640x360 --json")
    bf = add_bench("fire", "GB/T 26875.3 flood: frames/s with durable ACK, wire→ACK, wire→screen")
    bf.add_argument("--frames", type=int, default=10_000)
    bf.add_argument("--fires", type=int, default=100, help="fire alarms among the frames")
    bf.add_argument("--connections", type=int, default=16, help="UITDs sending at once")
    bf.add_argument("--window", type=int, default=4, help="unacknowledged frames per UITD")
    bf.add_argument("--reference-frames", type=int, default=1000)
    bg = add_bench(
        "gates",
        "gate events/s through the push listener and the alertStream (durable), gate-log filter latency",
    )
    bg.add_argument("--events", type=int, default=50_000, help="events through each path")
    bg.add_argument("--devices", type=int, default=32, help="push-mode gates sharing the listener")
    bg.add_argument("--connections", type=int, default=32, help="push connections in all (≥ 1 per device)")
    bg.add_argument("--replay-share", type=float, default=0.02, help="share of pushes retransmitted verbatim")
    bg.add_argument("--picture-share", type=float, default=0.0, help="share of events with a JPEG picture")
    bg.add_argument(
        "--reference-events",
        type=int,
        default=None,
        help="pushes for the one-transaction-per-event reference and the one-device run (default: events/10)",
    )
    bg.add_argument("--filter-rows", type=int, default=1_000_000, help="gate-log rows to filter (0 = skip)")
    bg.add_argument("--filter-queries", type=int, default=200)
    bg.add_argument("--only", choices=["push"], default=None, help="run only this part (push: the listener)")
    bw = add_bench(
        "wall",
        "live wall: decoded/displayed fps per camera, GUI stall, CPU, RSS, against bare PyAV decoding",
        description="Streams from the site (--config SITE) or a file of URLs (--urls-file), or test streams "
        "served by the gst-rtsp-server peer (--serve-test-streams N).",
    )
    bw.add_argument("--urls-file", type=Path, help="one stream URL per line")
    bw.add_argument(
        "--serve-test-streams",
        type=int,
        metavar="N",
        help="start the gst-rtsp-server test peer with N H.264 streams (pre-encoded clips) and show those",
    )
    bw.add_argument(
        "--live-encode",
        action="store_true",
        help="with --serve-test-streams: encode test patterns live with x264 in the server (loads this "
        "machine) instead of serving pre-encoded clips",
    )
    bw.add_argument("--size", default="640x360", help="test stream size (with --serve-test-streams)")
    bw.add_argument("--fps", type=int, default=25, help="test stream frame rate (with --serve-test-streams)")
    bw.add_argument(
        "--layout", type=int, default=16, help="tiles on the wall (1, 4, 6, 8, 9, 16, 25, 36, 64)"
    )
    bw.add_argument("--seconds", type=float, default=30.0)
    bw.add_argument(
        "--reference-seconds",
        type=float,
        default=None,
        help="how long the bare-decoding reference runs (default: min(seconds, 10))",
    )
    bw.add_argument("--window-size", default="1920x1080", help="wall window size in pixels")
    bo = add_bench(
        "onvif",
        "ONVIF: PTZ key press→camera latency and GUI stall, PullPoint event→commit latency, probe time",
    )
    bo.add_argument("--moves", type=int, default=50, help="PTZ hold-and-release cycles")
    bo.add_argument("--events", type=int, default=200, help="motion/tamper changes the test camera raises")
    bo.add_argument("--event-rate", type=float, default=20.0, help="changes per second")
    bo.add_argument("--probes", type=int, default=5, help="probe runs (the first is the cold one)")
    return parser


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        # `bench motion` passes its options on to the benchmark's own parser; anything else is a usage error.
        if args.command == "bench" and args.bench_command == "motion":
            args.motion_args = [*extra, *args.motion_args]
        else:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
    for key, value in GLOBAL_DEFAULTS.items():
        if not hasattr(args, key):
            setattr(args, key, value)
    return args
