"""Stream workers against a real RTSP server (Debian's gst-rtsp-server): frames, outages, auth, damage."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from console.config import Camera
from console.video.engine import VideoEngine
from console.video.status import Reason, StreamState
from drivers.base import HealthState

from .conftest import FAST, MakeServer, MakeWorker, RtspServer, is_live, wait_for
from .rtsp_proxy import RtspProxy

pytestmark = pytest.mark.slow


def test_frames_arrive_over_tcp_and_udp_at_the_camera_rate(
    rtsp_server: MakeServer, make_worker: MakeWorker
) -> None:
    server = rtsp_server()
    tcp = make_worker(server.url("/main"), size=(320, 180))
    udp = make_worker(server.url("/sub") + "#transport=udp", size=(320, 180))
    wait_for(lambda: is_live(tcp) and is_live(udp), 8, "both streams live")
    assert tcp.native_size == (640, 360) and udp.native_size == (320, 180)
    before = tcp.slot.stats().decoded
    time.sleep(1.0)
    assert 18 <= tcp.slot.stats().decoded - before <= 32  # 25 fps live, no backlog burst
    frame = tcp.slot.peek()
    assert frame is not None and frame.image.shape == (180, 320, 4)
    assert udp.slot.stats().decoded > 10 and tcp.status().errors == 0


def test_a_server_that_dies_and_returns_is_live_again_within_five_seconds(
    rtsp_server: MakeServer, make_worker: MakeWorker
) -> None:
    server = rtsp_server()
    worker = make_worker(server.url("/sub"))
    wait_for(lambda: is_live(worker), 8, "live")
    server.kill()
    wait_for(lambda: worker.status().state is StreamState.RECONNECTING, 4, "reconnecting")
    status = worker.status()
    assert status.attempt >= 1 and status.next_try_at is not None and worker.slot.peek() is not None
    time.sleep(1.0)
    server.start()
    back = time.monotonic()
    wait_for(lambda: is_live(worker), 5, "live again")
    assert time.monotonic() - back < 5 and worker.status().reconnects >= 1


@pytest.mark.parametrize("method", ["basic", "digest"])
def test_wrong_credentials_say_auth_failed_and_back_off(
    rtsp_server: MakeServer, make_worker: MakeWorker, method: str
) -> None:
    server = rtsp_server({"/cam": "320x180"}, auth=(method, "officer", "s3cret-pw"))
    good = make_worker(server.url("/cam"), credential=("officer", "s3cret-pw"))
    bad = make_worker(server.url("/cam"), credential=("officer", "wrong"))
    wait_for(lambda: bad.status().state is StreamState.OFFLINE, 3, "offline")
    assert bad.status().reason is Reason.AUTH_FAILED and "wrong" not in bad.status().detail
    time.sleep(3.0)
    status = bad.status()
    # No hot loop: with a 0.8 s first retry doubling to a 4 s cap, three seconds hold at most 3 attempts.
    assert 1 <= status.attempt <= 3 and status.next_try_in(time.monotonic()) > 0
    wait_for(lambda: is_live(good), 5, "the right password to work")


def test_an_unreachable_port_is_offline_at_once(make_worker: MakeWorker) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    worker = make_worker(f"rtsp://127.0.0.1:{port}/cam")
    wait_for(lambda: worker.status().state is StreamState.OFFLINE, FAST.open_timeout_s, "offline")
    assert worker.status().reason is Reason.UNREACHABLE and time.monotonic() - started < FAST.open_timeout_s


@pytest.fixture
def silent_server() -> Iterator[int]:
    """Accepts TCP connections and never says a word: a camera whose RTSP service hangs."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()
    held: list[socket.socket] = []

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, name="silent-server")
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(5)
    for conn in held:
        conn.close()
    listener.close()


def test_a_silent_camera_times_out_within_the_configured_timeout(
    make_worker: MakeWorker, silent_server: int
) -> None:
    started = time.monotonic()
    worker = make_worker(f"rtsp://127.0.0.1:{silent_server}/cam")
    wait_for(lambda: worker.status().state is StreamState.OFFLINE, FAST.open_timeout_s + 1.5, "offline")
    assert worker.status().reason is Reason.TIMEOUT
    assert time.monotonic() - started < FAST.open_timeout_s + 1.5


@pytest.fixture
def proxied(rtsp_server: MakeServer) -> Iterator[tuple[RtspServer, RtspProxy]]:
    server = rtsp_server({"/cam": "320x180"})
    proxy = RtspProxy(server.port)
    proxy.start()
    yield server, proxy
    proxy.stop()


def test_garbage_in_the_stream_is_counted_and_the_picture_recovers(
    proxied: tuple[RtspServer, RtspProxy], make_worker: MakeWorker
) -> None:
    server, proxy = proxied
    victim = make_worker(f"rtsp://127.0.0.1:{proxy.port}/cam")
    bystander = make_worker(server.url("/cam"))
    wait_for(lambda: is_live(victim) and is_live(bystander), 8, "both live")
    proxy.corrupt = 20
    wait_for(lambda: proxy.corrupted == 20, 3, "the damage to be sent")
    wait_for(lambda: victim.status().errors > 0 or victim.status().reconnects > 0, 3, "errors counted")
    after = victim.slot.stats().decoded
    wait_for(lambda: is_live(victim) and victim.slot.stats().decoded > after + 25, 5, "the picture back")
    assert is_live(bystander) and bystander.status().errors == 0 and bystander.status().reconnects == 0


def test_a_connection_cut_mid_frame_reconnects_and_others_are_unaffected(
    proxied: tuple[RtspServer, RtspProxy], make_worker: MakeWorker
) -> None:
    server, proxy = proxied
    victim = make_worker(f"rtsp://127.0.0.1:{proxy.port}/cam")
    bystander = make_worker(server.url("/cam"))
    wait_for(lambda: is_live(victim) and is_live(bystander), 8, "both live")
    proxy.cut = True
    wait_for(lambda: victim.status().reconnects >= 1, 4, "a reconnect")
    wait_for(lambda: is_live(victim), 5, "live again")
    assert proxy.cuts == 1 and is_live(bystander) and bystander.status().reconnects == 0


def test_a_hung_camera_is_stalled_then_reconnected_when_its_read_times_out(
    proxied: tuple[RtspServer, RtspProxy], make_worker: MakeWorker
) -> None:
    _, proxy = proxied
    worker = make_worker(f"rtsp://127.0.0.1:{proxy.port}/cam")
    wait_for(lambda: is_live(worker), 8, "live")
    proxy.freeze = True
    frozen = time.monotonic()

    def stalled() -> bool:
        worker.watchdog()  # the engine's watchdog thread does this a few times a second
        return worker.status().state is StreamState.STALLED

    wait_for(stalled, FAST.stall_after_s + 1, "stalled")
    # FFmpeg's RTSP demuxer may hand out a packet it still held when the first read times out; the next
    # read then times out for good: allow two read timeouts.
    wait_for(lambda: worker.status().state is StreamState.RECONNECTING, 2 * FAST.read_timeout_s + 1,
             "reconnecting")
    assert worker.status().reason is Reason.TIMEOUT and time.monotonic() - frozen >= FAST.read_timeout_s - 0.2
    proxy.freeze = False
    wait_for(lambda: is_live(worker), 5, "live again")


def test_the_engine_switches_streams_by_tile_size_and_reports_health(rtsp_server: MakeServer) -> None:
    server = rtsp_server({"/main": "640x360", "/sub": "320x180"}, auth=("basic", "viewer", "pw-123"))
    cameras = [
        Camera(id="cam-a", name="A", campus="east", main_url=server.url("/main"), sub_url=server.url("/sub"),
               credential="cam-cred"),
        Camera(id="cam-b", name="B", campus="east", main_url=server.url("/nope"), credential="cam-cred"),
    ]
    health: list[tuple[str, HealthState, str]] = []
    secrets = {"cam-cred": ("viewer", "pw-123")}
    engine = VideoEngine(cameras, secrets.get, lambda *h: health.append(h), config=FAST)
    engine.start()
    try:
        assert engine.request("cam-a", 300, 170) == "sub"
        wait_for(lambda: engine.status("cam-a").state is StreamState.LIVE, 8, "sub live")
        assert engine.workers["cam-a"].native_size == (320, 180)
        assert engine.request("cam-a", 1280, 720) == "main"  # larger than the sub stream can show
        wait_for(lambda: engine.workers["cam-a"].native_size == (640, 360), 6, "main stream")
        assert engine.request("cam-a", 330, 186) == "main"  # hysteresis: just above the sub size stays
        assert engine.request("cam-a", 200, 112, maximised=True) == "main"
        assert engine.request("cam-a", 200, 112) == "sub"
        wait_for(lambda: ("cam-b", HealthState.OFFLINE, "not found") in health, 3, "cam-b offline")
        assert ("cam-a", HealthState.ONLINE, "") in health
        assert engine.status("cam-a").state is StreamState.LIVE  # the switch kept the picture up
    finally:
        engine.stop()
    assert not any(w.alive for w in engine.workers.values())
