"""Test RTSP server: gst-rtsp-server serving H.264, live-encoded or pre-encoded clips (system python3-gi).

Usage: rtsp_test_server.py --port 0 --mount /cam=640x360@25 [--mount /clip=clip:/path/a.h264@25]
       [--user U --password P --auth basic|digest] [--nice N].
``WxH@fps`` encodes a moving test pattern live with x264; ``clip:PATH@fps`` serves an Annex B H.264 file
(an access unit delimiter before every frame) as it is: looped forever, paced at ``fps``, never
re-encoded, as a camera that encodes on board would.
Prints ``READY <port>`` on stdout once it listens; SIGTERM/SIGINT stop it.
This file runs outside the project venv (the venv cannot import gi), so it uses only the standard library.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from dataclasses import dataclass

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

# Patterns that move, so every frame differs (a still picture would hide a frozen decoder).
_PATTERNS = ("ball", "smpte", "snow", "pinwheel", "spokes")
# Every access unit of a clip starts with a 4-byte start code and an access unit delimiter NAL (type 9,
# header byte 0x09); emulation prevention keeps this sequence out of NAL payloads, so it splits frames.
_AUD = b"\x00\x00\x00\x01\x09"


@dataclass(frozen=True)
class Mount:
    path: str
    fps: int
    size: tuple[int, int] = (0, 0)  # live test pattern
    clip: str = ""  # pre-encoded Annex B file


def _launch(width: int, height: int, fps: int, pattern: str) -> str:
    # key-int-max = one second: a client that (re)connects shows a picture within a second.
    return (
        f"( videotestsrc is-live=true pattern={pattern} ! video/x-raw,width={width},height={height},"
        f"framerate={fps}/1 ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max={fps} "
        f"bitrate={max(100, width * height * fps // 20000)} ! video/x-h264,profile=baseline ! "
        f"rtph264pay name=pay0 pt=96 config-interval=1 )"
    )


def _clip_launch(fps: int) -> str:
    # h264parse only re-packs the access units into what the payloader wants; nothing is decoded.
    return (
        f"( appsrc name=clip is-live=true format=time do-timestamp=false block=false "
        f"caps=video/x-h264,stream-format=byte-stream,alignment=au,framerate={fps}/1 ! "
        f"h264parse ! rtph264pay name=pay0 pt=96 config-interval=1 )"
    )


def parse_mount(text: str) -> Mount:
    """``/path=WxH[@fps]`` or ``/path=clip:FILE[@fps]``."""
    path, _, spec = text.partition("=")
    if spec.startswith("clip:"):
        location, at, fps = spec[len("clip:"):].rpartition("@")
        if not at:
            location, fps = fps, ""
        return Mount(path, int(fps or 25), clip=location)
    size, _, fps = spec.partition("@")
    width, _, height = size.partition("x")
    return Mount(path, int(fps or 25), size=(int(width), int(height)))


def split_access_units(data: bytes) -> list[bytes]:
    """The clip's frames, each starting at its access unit delimiter."""
    units = [_AUD + part for part in data.split(_AUD) if part]
    if not units or not data.startswith(_AUD):
        raise ValueError("not an Annex B H.264 stream with an access unit delimiter before every frame")
    return units


class ClipFeeder:
    """Feeds one media's appsrc with a clip's frames, looped, stamped ``n / fps`` after the first. The
    pipeline's sinks sync to the clock, so the timestamps alone pace the stream at its frame rate."""

    def __init__(self, units: list[bytes], fps: int) -> None:
        self.units, self.duration = units, Gst.SECOND // fps
        self.index = 0
        self.origin: int | None = None  # running time of the first frame

    def attach(self, media: GstRtspServer.RTSPMedia) -> None:
        source = media.get_element().get_by_name("clip")
        source.set_property("max-bytes", 4 * max(len(u) for u in self.units))
        source.connect("need-data", self.on_need_data)

    def on_need_data(self, source: Gst.Element, _length: int) -> None:
        if self.origin is None:
            # A live source stamps in running time: the first frame is due when it is first asked for
            # (0 if the pipeline has no clock yet), every later one a frame interval after the previous.
            clock = source.get_clock()
            self.origin = clock.get_time() - source.get_base_time() if clock is not None else 0
        buffer = Gst.Buffer.new_wrapped(self.units[self.index % len(self.units)])
        buffer.pts = buffer.dts = self.origin + self.index * self.duration
        buffer.duration = self.duration
        self.index += 1
        source.emit("push-buffer", buffer)


def _clip_factory(mount: Mount) -> GstRtspServer.RTSPMediaFactory:
    with open(mount.clip, "rb") as f:
        units = split_access_units(f.read())
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(_clip_launch(mount.fps))
    # A feeder per media: a shared media reconfigured for a new first client starts the clip over.
    factory.connect("media-configure", lambda _f, media: ClipFeeder(units, mount.fps).attach(media))
    return factory


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--mount", action="append", required=True, help="/path=WxH[@fps] or /path=clip:FILE")
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--auth", choices=("basic", "digest"), default="basic")
    parser.add_argument("--nice", type=int, default=0, help="lower this server's CPU priority by N")
    args = parser.parse_args()
    if args.nice > 0:
        os.nice(args.nice)  # before any thread starts: GStreamer's threads inherit it

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    mounts = server.get_mount_points()
    for index, text in enumerate(args.mount):
        mount = parse_mount(text)
        if mount.clip:
            factory = _clip_factory(mount)
        else:
            factory = GstRtspServer.RTSPMediaFactory()
            factory.set_launch(_launch(*mount.size, mount.fps, _PATTERNS[index % len(_PATTERNS)]))
        factory.set_shared(True)  # one source per mount, however many clients: keeps the test machine calm
        if args.user:
            factory.add_role_from_structure(
                Gst.Structure.from_string("user, media.factory.access=(boolean)true, "
                                          "media.factory.construct=(boolean)true")[0]
            )
        mounts.add_factory(mount.path, factory)
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
