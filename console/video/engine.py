"""The video engine: a stream worker per camera, stream choice per view, health into the device registry."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from console.config import Camera
from drivers.base import HealthState

from .facade import VideoFacade
from .motion_worker import MotionWorker
from .motion_zones import Zone
from .slot import FrameSlot
from .source import Credential, StreamSource, resolve
from .status import StreamState, StreamStatus
from .worker import PacketListener, StreamWorker, WorkerConfig

log = logging.getLogger(__name__)

SecretLookup = Callable[[str], Credential | None]  # credential name → (user name, secret)
HealthCallback = Callable[[str, HealthState, str], None]  # DeviceRegistry.set_health
StatusCallback = Callable[[str, StreamStatus], None]
ZoneSaver = Callable[[str, Sequence[Zone], str], None]  # (camera id, zones, actor): validate, store, audit

# Until a sub stream has told us its size, assume the common one: a wider tile wants the main stream.
_DEFAULT_SUB_SIZE = (640, 360)
# Up to the main stream only when the tile is this much larger than the sub stream; back to the sub stream
# once it fits the sub stream again. In between the stream stays as it is: no flapping at the edge.
_HYSTERESIS = 1.05


def health_of(status: StreamStatus) -> tuple[HealthState, str] | None:
    """How a stream state shows in the device tree; None = nothing worth reporting (yet)."""
    if status.state is StreamState.LIVE:
        return HealthState.ONLINE, ""
    if status.state is StreamState.STALLED:
        return HealthState.DEGRADED, "stalled"
    if status.state is StreamState.RECONNECTING:
        return HealthState.DEGRADED, f"reconnecting: {status.reason}" if status.reason else "reconnecting"
    if status.state is StreamState.OFFLINE:
        return HealthState.OFFLINE, str(status.reason or "offline")
    return None


class VideoEngine:
    """Starts one worker per camera that has a stream URL; ``stop`` joins them all."""

    def __init__(
        self,
        cameras: Sequence[Camera],
        secret_lookup: SecretLookup | None = None,
        health_callback: HealthCallback | None = None,
        *,
        base_dir: Path | None = None,
        config: WorkerConfig | None = None,
        watchdog_interval_s: float = 0.25,
    ) -> None:
        self.config = config or WorkerConfig()
        self._secret_lookup = secret_lookup
        self._health_callback = health_callback
        self._base_dir = base_dir
        self._cameras = {c.id: c for c in cameras if c.main_url or c.sub_url}
        self._status_listeners: list[StatusCallback] = []
        self._sub_sizes: dict[str, tuple[int, int]] = {}
        self._lock = threading.Lock()
        self.workers: dict[str, StreamWorker] = {
            cam.id: StreamWorker(
                cam.id, lambda stream, cam=cam: self._source(cam, stream),
                stream="sub" if cam.sub_url else "main", config=self.config, on_status=self._on_status,
            )
            for cam in self._cameras.values()
        }
        self._interval = watchdog_interval_s
        self._stop = threading.Event()
        self._watchdog = threading.Thread(target=self._watch, name="video-watchdog", daemon=True)
        self._started = False
        self.motion: MotionWorker | None = None  # batched motion analysis, when a camera asks for it
        self.save_zones: ZoneSaver | None = None

    def attach_motion(self, worker: MotionWorker, save_zones: ZoneSaver | None = None) -> None:
        """Run ``worker`` (reading this engine's analysis slots) with the stream workers."""
        self.motion, self.save_zones = worker, save_zones

    # -- lifecycle -----------------------------------------------------------------------------------
    def start(self) -> None:
        for worker in self.workers.values():
            worker.start()
        self._watchdog.start()
        if self.motion is not None:
            self.motion.start()
        self._started = True
        log.info("video engine started: %d camera streams", len(self.workers))

    def stop(self) -> None:
        if not self._started:
            return
        self._started = False
        if self.motion is not None:
            self.motion.stop()  # first: it reads the workers' slots and ends open motion events
        # Signal everyone first, then join: workers blocked in FFmpeg time out in parallel, not in turn.
        self._stop.set()
        for worker in self.workers.values():
            worker.signal_stop()
        deadline = time.monotonic() + self.config.read_timeout_s + self.config.open_timeout_s + 2
        for worker in self.workers.values():
            worker.stop(timeout=max(0.1, deadline - time.monotonic()))
        self._watchdog.join(2)
        stuck = [w.camera_id for w in self.workers.values() if w.alive]
        if stuck:
            log.warning("video workers still inside FFmpeg at shutdown: %s", ", ".join(stuck))
        log.info("video engine stopped")

    # -- what views use --------------------------------------------------------------------------------
    def facade(self) -> VideoFacade:
        """The narrow, Qt-free handle the widgets get (through ConsoleServices.video)."""
        return VideoFacade(self)

    def camera_ids(self) -> list[str]:
        return list(self.workers)

    def slot(self, camera_id: str) -> FrameSlot | None:
        worker = self.workers.get(camera_id)
        return worker.slot if worker else None

    def analysis_slot(self, camera_id: str) -> FrameSlot | None:
        worker = self.workers.get(camera_id)
        return worker.analysis_slot if worker else None

    def status(self, camera_id: str) -> StreamStatus | None:
        worker = self.workers.get(camera_id)
        return worker.status() if worker else None

    def request(self, camera_id: str, width: int, height: int, maximised: bool = False) -> str | None:
        """A view shows this camera at width×height: decode to that size, on the stream that suits it.
        Returns the stream chosen ("main"/"sub"); (0, 0) means nobody shows it (sub stream, no RGB)."""
        worker = self.workers.get(camera_id)
        if worker is None:
            return None
        worker.set_target_size(width, height)
        stream = self.choose_stream(camera_id, width, height, maximised)
        worker.select_stream(stream)
        return stream

    def release(self, camera_id: str) -> None:
        self.request(camera_id, 0, 0, False)

    def choose_stream(self, camera_id: str, width: int, height: int, maximised: bool) -> str:
        camera = self._cameras[camera_id]
        if not camera.sub_url:
            return "main"
        if not camera.main_url:
            return "sub"
        if maximised:
            return "main"
        sub_w, sub_h = self._sub_sizes.get(camera_id, _DEFAULT_SUB_SIZE)
        if width <= sub_w and height <= sub_h:
            return "sub"
        if width > sub_w * _HYSTERESIS or height > sub_h * _HYSTERESIS:
            return "main"  # larger than the sub stream can show sharply
        return self.workers[camera_id].stream

    def add_packet_listener(self, camera_id: str, listener: PacketListener) -> None:
        self.workers[camera_id].add_packet_listener(listener)

    def add_status_listener(self, listener: StatusCallback) -> None:
        with self._lock:
            self._status_listeners = [*self._status_listeners, listener]

    # -- internals -------------------------------------------------------------------------------------
    def _source(self, camera: Camera, stream: str) -> StreamSource:
        url = camera.sub_url if stream == "sub" and camera.sub_url else camera.main_url or camera.sub_url
        assert url is not None  # cameras without any URL get no worker
        credential = None
        if camera.credential and self._secret_lookup is not None:
            credential = self._secret_lookup(camera.credential)
            if credential is None:
                log.warning("camera %s: credential %r is not stored; connecting without it",
                            camera.id, camera.credential)
        return resolve(url, base_dir=self._base_dir, credential=credential,
                       rtsp_transport=self.config.rtsp_transport, io_timeout_s=self.config.read_timeout_s)

    def _on_status(self, camera_id: str, status: StreamStatus) -> None:
        if status.state is StreamState.LIVE and status.stream == "sub":
            size = self.workers[camera_id].native_size
            if size:
                self._sub_sizes[camera_id] = size
        health = health_of(status)
        if health is not None and self._health_callback is not None:
            self._health_callback(camera_id, *health)
        for listener in self._status_listeners:
            listener(camera_id, status)

    def _watch(self) -> None:
        while not self._stop.wait(self._interval):
            now = time.monotonic()
            for worker in self.workers.values():
                worker.watchdog(now)
