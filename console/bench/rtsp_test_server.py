"""Test RTSP server: gst-rtsp-server serving live H.264 test patterns (/usr/bin/python3 with python3-gi).

Usage: rtsp_test_server.py --port 0 --mount /cam=640x360@25 [--mount /sub=320x180] [--user U --password P
       --auth basic|digest]. Prints ``READY <port>`` on stdout once it listens; SIGTERM/SIGINT stop it.
This file runs outside the project venv (the venv cannot import gi), so it uses only the standard library.
"""

from __future__ import annotations

import argparse
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

# Patterns that move, so every frame differs (a still picture would hide a frozen decoder).
_PATTERNS = ("ball", "smpte", "snow", "pinwheel", "spokes")


def _launch(width: int, height: int, fps: int, pattern: str) -> str:
    # key-int-max = one second: a client that (re)connects shows a picture within a second.
    return (
        f"( videotestsrc is-live=true pattern={pattern} ! video/x-raw,width={width},height={height},"
        f"framerate={fps}/1 ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max={fps} "
        f"bitrate={max(100, width * height * fps // 20000)} ! video/x-h264,profile=baseline ! "
        f"rtph264pay name=pay0 pt=96 config-interval=1 )"
    )


def _parse_mount(text: str) -> tuple[str, int, int, int]:
    path, _, spec = text.partition("=")
    size, _, fps = spec.partition("@")
    width, _, height = size.partition("x")
    return path, int(width), int(height), int(fps or 25)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--mount", action="append", required=True, help="/path=WxH[@fps]")
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--auth", choices=("basic", "digest"), default="basic")
    args = parser.parse_args()

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    mounts = server.get_mount_points()
    for index, text in enumerate(args.mount):
        path, width, height, fps = _parse_mount(text)
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(_launch(width, height, fps, _PATTERNS[index % len(_PATTERNS)]))
        factory.set_shared(True)  # one encoder per mount, however many clients: keeps the test machine calm
        if args.user:
            factory.add_role_from_structure(
                Gst.Structure.from_string("user, media.factory.access=(boolean)true, "
                                          "media.factory.construct=(boolean)true")[0]
            )
        mounts.add_factory(path, factory)
    if args.user:
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string("media.factory.role", "user")
        if args.auth == "digest":
            auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
            auth.add_digest(args.user, args.password or "", token)
        else:
            auth.add_basic(GstRtspServer.RTSPAuth.make_basic(args.user, args.password or ""), token)
        server.set_auth(auth)
    loop = GLib.MainLoop()
    if server.attach(None) == 0:
        print(f"cannot listen on port {args.port}", file=sys.stderr, flush=True)
        return 1
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, loop.quit)
    print(f"READY {server.get_bound_port()}", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
