"""Video fixtures: stream workers that are always joined, demo clips, and a real RTSP server subprocess."""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# The gst-rtsp-server peer lives in console/bench so `bench wall --serve-test-streams` starts it too.
from console.bench.wall import SYSTEM_PYTHON, spawn_rtsp_server
from console.video.source import resolve
from console.video.status import Backoff, StreamState
from console.video.worker import StreamWorker, WorkerConfig

HERE = Path(__file__).resolve().parent
CLIPS = HERE.parents[1] / "resources" / "demo" / "clips"

# Short timeouts and a quick backoff: the failure tests then finish in seconds, not minutes.
FAST = WorkerConfig(
    open_timeout_s=2.0, read_timeout_s=2.0, stall_after_s=1.0, offline_after_s=5.0,
    backoff=Backoff(initial_s=0.2, max_s=1.0, max_permanent_s=4.0),
)


def wait_for(predicate: Callable[[], object], timeout: float, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


MakeWorker = Callable[..., StreamWorker]


@pytest.fixture
def make_worker() -> Iterator[MakeWorker]:
    """Builds and starts workers for URLs; every one is stopped and joined after the test."""
    workers: list[StreamWorker] = []

    def make(url: str, *, config: WorkerConfig = FAST, size: tuple[int, int] = (320, 180),
             credential: tuple[str, str] | None = None, camera_id: str | None = None) -> StreamWorker:
        worker = StreamWorker(
            camera_id or f"cam{len(workers)}",
            lambda _stream: resolve(url, credential=credential, io_timeout_s=config.read_timeout_s),
            config=config,
        )
        worker.set_target_size(*size)
        workers.append(worker)
        worker.start()
        return worker

    yield make
    for worker in workers:
        worker.signal_stop()
    for worker in workers:
        worker.stop()
        assert not worker.alive, f"{worker.camera_id} did not stop"


def is_live(worker: StreamWorker) -> bool:
    return worker.status().state is StreamState.LIVE


@functools.cache
def _rtsp_unavailable() -> str | None:
    """Why the gst-rtsp-server peer cannot run here, or None when it can."""
    if not Path(SYSTEM_PYTHON).exists():
        return f"{SYSTEM_PYTHON} not found"
    probe = ("import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import Gst, "
             "GstRtspServer; Gst.init(None); assert Gst.ElementFactory.find('x264enc'), 'x264enc missing'")
    result = subprocess.run([SYSTEM_PYTHON, "-c", probe], capture_output=True, text=True, timeout=30)
    if result.returncode:
        return ("the RTSP test server needs Debian's gst-rtsp-server under the system Python: "
                "apt-get install python3-gi python3-gst-1.0 gir1.2-gst-rtsp-server-1.0 "
                "gstreamer1.0-plugins-ugly gstreamer1.0-plugins-good gstreamer1.0-plugins-bad "
                f"({result.stderr.strip()[-200:]})")
    return None


class RtspServer:
    """gst-rtsp-server in a subprocess of the system Python; ``kill``/``start`` keep the same port."""

    def __init__(self, mounts: dict[str, str], auth: tuple[str, str, str] | None = None) -> None:
        self.mounts = mounts  # path → "WxH[@fps]"
        self.auth = auth  # (method, user, password)
        self.port = 0
        self.proc: subprocess.Popen[str] | None = None

    def url(self, mount: str, userinfo: str = "") -> str:
        return f"rtsp://{userinfo + '@' if userinfo else ''}127.0.0.1:{self.port}{mount}"

    def start(self, timeout: float = 15.0) -> None:
        mounts = [f"{path}={spec}" for path, spec in self.mounts.items()]
        extra: list[str] = []
        if self.auth:
            extra = ["--auth", self.auth[0], "--user", self.auth[1], "--password", self.auth[2]]
        try:
            self.proc, self.port = spawn_rtsp_server(self.port, mounts, extra, timeout)
        except RuntimeError as exc:
            self.proc = None
            raise RuntimeError(f"RTSP test server did not start: {exc}") from None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        if self.proc is not None:
            for stream in (self.proc.stdout, self.proc.stderr):
                if stream is not None:
                    stream.close()
        self.proc = None


MakeServer = Callable[..., RtspServer]


@pytest.fixture
def rtsp_server() -> Iterator[MakeServer]:
    reason = _rtsp_unavailable()
    if reason:
        pytest.skip(reason)
    servers: list[RtspServer] = []

    def make(mounts: dict[str, str] | None = None, auth: tuple[str, str, str] | None = None) -> RtspServer:
        server = RtspServer(mounts or {"/main": "640x360", "/sub": "320x180"}, auth)
        servers.append(server)
        server.start()
        return server

    yield make
    for server in servers:
        server.kill()
