"""`campus-console bench wall`: the live wall under load, against bare PyAV decoding of the same streams.

The wall run is the real thing: a VideoEngine (one worker per camera) feeding a CameraWall through its one
display timer, in this process. It reports per camera the frames decoded and painted per second (counted
from the moment every camera had shown its first frame, so connecting is not averaged in), the frames
dropped by the latest-frame slot, and reconnects; the GUI event loop's stall (a 10 ms timer measuring its own
lateness); process CPU in cores; RSS. Then, in the same process, the reference: each stream decoded by bare
PyAV on one thread per stream with the same decoder settings, nothing converted or shown.

Two costs are compared with the reference. ``decode_cost_ratio``: CPU time of the camera worker threads
themselves (demux, decode, scale and convert for the tile) per decoded frame, against the reference threads'
CPU per frame. ``cost_ratio_vs_reference``: everything this process spent per decoded frame (workers, GUI
thread, painting, Qt) against the same reference; the wall's whole overhead.

``--serve-test-streams N`` starts the project's gst-rtsp-server test peer (rtsp_test_server.py under the
system Python) with N H.264 streams, so the benchmark runs without cameras. By default it serves clips
encoded once (from the demo scenes, cached) and sent as they are, looped and paced, as cameras that encode
on board would; ``live_encode`` makes it encode test patterns with x264 instead, which then competes for
this machine's cores. Either way the peer's CPU is reported apart (``test_server_cpu_cores``), not in
``cpu_cores``.
"""

from __future__ import annotations

import os
import resource
import select
import signal
import statistics
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from console.heap import freeze_startup_heap

SYSTEM_PYTHON = "/usr/bin/python3"
SERVER_SCRIPT = Path(__file__).resolve().parent / "rtsp_test_server.py"
DEMO_CLIPS = Path(__file__).resolve().parents[2] / "resources" / "demo" / "clips"
# Bumped whenever the clips' content or encoding changes, so stale cached clips are never served.
_CLIP_VERSION = 1
STALL_INTERVAL_MS = 10
PEER_NICE = 10  # the benchmark's test peer, as low as our own decoders (console/video/niceness.py)
_WARMUP_LIMIT_S = 20.0  # cameras without a first frame by then are measured from the window's start anyway


# -- test streams ------------------------------------------------------------------------------------------
def spawn_rtsp_server(port: int, mounts: Sequence[str], extra: Sequence[str] = (), timeout: float = 20.0
                      ) -> tuple[subprocess.Popen[str], int]:
    """Start the gst-rtsp-server peer under the system Python in its own process group (so a kill takes
    GStreamer's helper threads too) and wait for its READY line; returns the process and its port.
    On failure the process is killed and RuntimeError carries the tail of its stderr."""
    args = [SYSTEM_PYTHON, str(SERVER_SCRIPT), "--port", str(port)]
    for mount in mounts:
        args += ["--mount", mount]
    proc = subprocess.Popen([*args, *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, env={**os.environ, "GST_DEBUG": "0"})
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.2)
        if ready:
            line = proc.stdout.readline()
            if line.startswith("READY"):
                return proc, int(line.split()[1])
            if not line and proc.poll() is not None:
                break
    err = proc.stderr.read() if proc.stderr and proc.poll() is not None else ""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()
    raise RuntimeError(err[-500:] or "no READY line in time")


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "campus-console" / "test-clips"


def stream_kbps(width: int, height: int, fps: int) -> int:
    """The test streams' bit rate: about what a camera spends on the size (288 kbit/s at 360p25)."""
    return max(100, width * height * fps // 20000)


def pre_encoded_clip(size: tuple[int, int], fps: int, scene: int, cache_dir: Path | None = None) -> Path:
    """An Annex B H.264 clip of demo scene ``scene`` at ``size`` and ``fps``, encoded once and cached.

    Main profile without B-frames, a key frame (with SPS/PPS) every second, constant bit rate, an access unit
    delimiter before every frame (the server splits frames on it): what a camera's encoder sends. A little
    grain changes every frame, as a sensor's does, so no block is ever skipped for free."""
    scenes = sorted(DEMO_CLIPS.glob("*-main.mp4"))
    if not scenes:
        raise RuntimeError(f"no demo clips in {DEMO_CLIPS} to make test streams from")
    source = scenes[scene % len(scenes)]
    width, height = size
    folder = cache_dir or _cache_dir()
    path = folder / f"{source.stem}-{width}x{height}@{fps}-v{_CLIP_VERSION}.h264"
    if path.exists():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.part")  # concurrent makers never serve a half-written clip
    try:
        _encode_clip(source, partial, width, height, fps)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def _encode_clip(source: Path, target: Path, width: int, height: int, fps: int) -> None:
    from fractions import Fraction

    import av
    import numpy as np

    kbps = stream_kbps(width, height, fps)
    encoder = av.CodecContext.create("libx264", "w")
    encoder.width, encoder.height, encoder.pix_fmt = width, height, "yuv420p"
    encoder.time_base, encoder.framerate = Fraction(1, fps), Fraction(fps, 1)
    encoder.bit_rate = kbps * 1000
    encoder.options = {
        "preset": "veryfast", "profile": "main",
        "x264-params": f"keyint={fps}:min-keyint={fps}:scenecut=0:bframes=0:aud=1:repeat-headers=1:"
                       f"vbv-maxrate={kbps}:vbv-bufsize={kbps}",
    }
    rng = np.random.default_rng(width * height + fps)
    grain = [rng.integers(-3, 4, (height, width), dtype=np.int16) for _ in range(7)]
    with av.open(str(source)) as container, open(target, "wb") as out:
        for index, frame in enumerate(container.decode(video=0)):
            planes = frame.to_ndarray(width=width, height=height, format="yuv420p", interpolation="BICUBIC")
            luma = planes[:height].astype(np.int16) + grain[index % len(grain)]
            planes[:height] = np.clip(luma, 0, 255).astype(np.uint8)
            picture = av.VideoFrame.from_ndarray(planes, format="yuv420p")
            picture.pts = index
            for packet in encoder.encode(picture):
                out.write(bytes(packet))
        for packet in encoder.encode(None):
            out.write(bytes(packet))


class RtspTestPeer:
    """The gst-rtsp-server peer in its own process group; ``urls`` once started. A context manager.

    Serves cached pre-encoded clips (see ``pre_encoded_clip``) unless ``live_encode``, which encodes test
    patterns with x264 in the peer as the stream goes."""

    def __init__(self, count: int, size: tuple[int, int], fps: int, *, live_encode: bool = False,
                 cache_dir: Path | None = None) -> None:
        self.count, self.size, self.fps = count, size, fps
        self.live_encode, self.cache_dir = live_encode, cache_dir
        self.proc: subprocess.Popen[str] | None = None
        self.urls: list[str] = []

    def __enter__(self) -> RtspTestPeer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def mounts(self) -> list[str]:
        w, h = self.size
        numbers = range(1, self.count + 1)
        if self.live_encode:
            return [f"/cam{i}={w}x{h}@{self.fps}" for i in numbers]
        return [f"/cam{i}=clip:{pre_encoded_clip(self.size, self.fps, i - 1, self.cache_dir)}@{self.fps}"
                for i in numbers]

    def start(self, timeout: float = 20.0) -> None:
        mounts = self.mounts()
        try:
            # The peer stands in for cameras, whose work is done on the cameras: at a low priority it
            # takes the cores only when the wall and the rest of the machine leave them idle.
            self.proc, port = spawn_rtsp_server(0, mounts, ["--nice", str(PEER_NICE)], timeout=timeout)
        except RuntimeError as exc:
            raise RuntimeError(
                "the RTSP test server did not start (it needs /usr/bin/python3 with python3-gi, "
                f"gir1.2-gst-rtsp-server-1.0 and gstreamer1.0-plugins-ugly): {exc}"
            ) from None
        self.urls = [f"rtsp://127.0.0.1:{port}/cam{i}" for i in range(1, self.count + 1)]

    def cpu_seconds(self) -> float | None:
        """CPU the server (its encoders) has used so far, from /proc; None where unknown."""
        if self.proc is None:
            return None
        try:
            with open(f"/proc/{self.proc.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return None

    def stop(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGTERM)
                try:
                    self.proc.wait(5)
                except subprocess.TimeoutExpired:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                    self.proc.wait(5)
            for stream in (self.proc.stdout, self.proc.stderr):
                if stream is not None:
                    stream.close()
        self.proc = None


# -- measuring helpers -------------------------------------------------------------------------------------
def rss_mb() -> float:
    """Resident set size of this process now, in MiB (Linux /proc; the peak from getrusage elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """User + system CPU of every thread of this process."""
    t = os.times()
    return t.user + t.system


def machine_busy_seconds() -> float | None:
    """CPU time every core of the machine has spent busy (Linux /proc/stat); None where unknown. Other
    people's work on a shared machine shows in it: a run is only comparable with runs under similar load."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def schedstat(native_id: int) -> tuple[float, float] | None:
    """(seconds on a CPU, seconds runnable but waiting for one) of a thread of this process, from Linux
    /proc/self/task/<tid>/schedstat; None where unknown. The wait is what other load costs a thread."""
    try:
        with open(f"/proc/self/task/{native_id}/schedstat") as f:
            run_ns, wait_ns, _slices = (int(v) for v in f.read().split())
    except (OSError, ValueError):
        return None
    return run_ns / 1e9, wait_ns / 1e9


def percentiles(samples: Sequence[float]) -> dict[str, float]:
    if not samples:
        return {"p50": 0.0, "p99": 0.0, "max": 0.0}
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return {"p50": round(statistics.median(ordered), 2), "p99": round(p99, 2), "max": round(ordered[-1], 2)}


@dataclass
class _Counts:
    decoded: int = 0
    displayed: int = 0
    dropped: int = 0
    reconnects: int = 0


@dataclass
class _CameraRun:
    url: str
    camera_id: str
    start: _Counts = field(default_factory=_Counts)
    end: _Counts = field(default_factory=_Counts)


# -- the wall ----------------------------------------------------------------------------------------------
def cameras_for_urls(urls: Sequence[str]) -> list[Any]:
    from console.config import Camera

    return [Camera(id=f"bench-{i + 1}", name=f"bench {i + 1}", campus="bench", main_url=url)
            for i, url in enumerate(urls)]


def run_wall(
    cameras: Sequence[Any],
    layout: int,
    seconds: float,
    window_size: tuple[int, int] = (1920, 1080),
    *,
    base_dir: Path | None = None,
    secret_lookup: Callable[[str], tuple[str, str] | None] | None = None,
    timezone: str = "Asia/Shanghai",
    peer_cpu: Callable[[], float | None] | None = None,
) -> dict[str, Any]:
    """Show ``cameras`` on a wall of ``layout`` tiles for ``seconds``; the wall half of the result."""
    from types import SimpleNamespace

    from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from console.bus import Bus
    from console.video.engine import VideoEngine
    from widgets.bridge import Bridge
    from widgets.camera_wall import CameraWall

    app = QApplication.instance() or QApplication([])
    engine = VideoEngine(cameras, secret_lookup, base_dir=base_dir)
    site = SimpleNamespace(cameras=list(cameras), site=SimpleNamespace(timezone=timezone))
    services = SimpleNamespace(site=site, alarms=SimpleNamespace(open_alarms=lambda: []),
                               video=engine.facade())
    bridge = Bridge(Bus())
    wall = CameraWall(services, bridge)  # type: ignore[arg-type]
    wall.setWindowTitle("bench wall")
    wall.resize(*window_size)
    wall.set_layout(layout)
    runs = [_CameraRun(str(c.main_url or c.sub_url), c.id) for c in cameras]

    def counts(run: _CameraRun) -> _Counts:
        slot = engine.slot(run.camera_id)
        tile = wall.tile_for(run.camera_id)
        status = engine.status(run.camera_id)
        stats = slot.stats() if slot else None
        return _Counts(stats.decoded if stats else 0, tile.painted if tile else 0,
                       stats.dropped if stats else 0, status.reconnects if status else 0)

    lateness: list[float] = []
    clock = QElapsedTimer()
    stall_timer = QTimer()
    stall_timer.setObjectName("benchStallTimer")
    stall_timer.setTimerType(Qt.TimerType.PreciseTimer)
    stall_timer.setInterval(STALL_INTERVAL_MS)
    recording = [False]

    def on_stall_tick() -> None:
        elapsed = clock.nsecsElapsed() / 1e6
        clock.restart()
        if recording[0]:
            lateness.append(max(0.0, elapsed - STALL_INTERVAL_MS))

    stall_timer.timeout.connect(on_stall_tick)

    def run_loop(duration_s: float, until: Callable[[], bool] | None = None) -> None:
        loop = QEventLoop()
        deadline = time.monotonic() + duration_s
        poll = QTimer()
        poll.setInterval(50)
        poll.timeout.connect(
            lambda: loop.quit() if time.monotonic() >= deadline or (until and until()) else None
        )
        poll.start()
        loop.exec()
        poll.stop()

    base_memory = rss_mb()  # Python, Qt and the wall, before any stream
    engine.start()
    try:
        wall.show()
        freeze_startup_heap()  # as the console does once its window is up
        clock.start()
        stall_timer.start()
        first_frame_s = time.monotonic()
        run_loop(_WARMUP_LIMIT_S, lambda: all(counts(r).displayed > 0 for r in runs))
        warmup_s = time.monotonic() - first_frame_s
        for run in runs:
            run.start = counts(run)
        recording[0] = True
        peer0 = peer_cpu() if peer_cpu else None
        workers = [engine.workers[run.camera_id] for run in runs]
        worker0 = [w.cpu_seconds() for w in workers]
        gui_thread = threading.get_native_id()
        gui0 = schedstat(gui_thread)
        busy0, cpu0, t0 = machine_busy_seconds(), cpu_seconds(), time.monotonic()
        run_loop(seconds)
        busy1, cpu1, t1 = machine_busy_seconds(), cpu_seconds(), time.monotonic()
        gui1 = schedstat(gui_thread)
        worker1 = [w.cpu_seconds() for w in workers]
        peer1 = peer_cpu() if peer_cpu else None
        recording[0] = False
        for run in runs:
            run.end = counts(run)
        memory = rss_mb()
        window = t1 - t0
        frame_sizes = _frame_sizes(engine, runs)
        streams = [engine.workers[run.camera_id].stream for run in runs]
    finally:
        stall_timer.stop()
        wall.close()
        app.processEvents()
        engine.stop()
        wall.deleteLater()
        bridge.deleteLater()
        app.processEvents()
    for run, camera, stream in zip(runs, cameras, streams, strict=True):  # the URL of the stream shown
        sub = stream == "sub" and camera.sub_url
        run.url = str(camera.sub_url if sub else camera.main_url or camera.sub_url)
    cameras_out = [
        {
            "url": _display(run.url),
            "decoded_fps": round((run.end.decoded - run.start.decoded) / window, 2),
            "displayed_fps": round((run.end.displayed - run.start.displayed) / window, 2),
            "dropped": run.end.dropped - run.start.dropped,
            "reconnects": run.end.reconnects,
        }
        for run in runs
    ]
    decoded = sum(run.end.decoded - run.start.decoded for run in runs)
    worker_cpu = _cpu_spent(worker0, worker1)
    peer_cores = (peer1 - peer0) / window if peer0 is not None and peer1 is not None else None
    other_cores = None  # what the rest of the machine ran meanwhile (other users, tests, benchmarks)
    if busy0 is not None and busy1 is not None:
        other_cores = round(max(0.0, (busy1 - busy0 - (cpu1 - cpu0)) / window - (peer_cores or 0.0)), 3)
    return {
        "cameras": cameras_out,
        "gui_stall_ms": percentiles(lateness),
        "cpu_cores": round((cpu1 - cpu0) / window, 3),
        "rss_mb": round(memory, 1),
        "rss_mb_per_stream": round(memory / max(1, len(runs)), 1),
        "rss_mb_before_streams": round(base_memory, 1),
        "rss_mb_per_stream_added": round((memory - base_memory) / max(1, len(runs)), 1),
        "seconds": round(window, 2),
        "warmup_s": round(warmup_s, 2),
        "cpu_ms_per_frame": round(1000 * (cpu1 - cpu0) / max(1, decoded), 3),
        # The camera worker threads alone: demux, decode, scale and convert for the tile, per frame.
        "worker_cpu_cores": round(worker_cpu / window, 3) if worker_cpu is not None else None,
        "worker_cpu_ms_per_frame": round(1000 * worker_cpu / max(1, decoded), 3) if worker_cpu is not None
        else None,
        "window": f"{window_size[0]}x{window_size[1]}",
        "layout": layout,
        "frame_size": frame_sizes,
        "streams": streams,
        # The GUI thread's own CPU (timers, painting, Qt) and the time it was runnable but had no core:
        # a stall longer than that wait was spent on the GUI thread's own work or waiting for the GIL.
        "gui_thread_cpu_cores": round((gui1[0] - gui0[0]) / window, 3) if gui0 and gui1 else None,
        "gui_thread_cpu_wait_ms_per_s": round(1000 * (gui1[1] - gui0[1]) / window, 2) if gui0 and gui1
        else None,
        # The test peer shares this machine: what it took is not in cpu_cores, but it is gone.
        "test_server_cpu_cores": round(peer_cores, 3) if peer_cores is not None else None,
        "other_load_cores": other_cores,
        "machine_cores": os.cpu_count(),
    }


def _cpu_spent(before: Sequence[float | None], after: Sequence[float | None]) -> float | None:
    """CPU seconds a set of threads used between two readings; None if any reading is missing (a thread
    that ended, e.g. by reconnecting, no longer has a clock to read)."""
    if any(b is None for b in before) or any(a is None for a in after):
        return None
    return sum(a - b for a, b in zip(after, before, strict=True))  # type: ignore[operator]


def _frame_sizes(engine: Any, runs: Sequence[_CameraRun]) -> list[str]:
    sizes = []
    for run in runs:
        frame = engine.slot(run.camera_id).peek() if engine.slot(run.camera_id) else None
        sizes.append(f"{frame.width}x{frame.height}" if frame is not None else "")
    return sorted(set(sizes))


def _display(url: str) -> str:
    from console.video.source import redact

    return redact(url)


# -- the reference -----------------------------------------------------------------------------------------
def run_reference(sources: Sequence[Any], seconds: float) -> dict[str, Any]:
    """Bare PyAV: one thread per stream demuxing and decoding (one codec thread, as the workers do), every
    frame discarded. Counted, like the wall, once every stream has decoded its first frame. Local files are
    decoded as fast as they go (not paced, not looped): their reference fps is the decoder's speed. Its
    threads' own CPU time per frame is what the wall's worker threads are held against."""
    import av

    from console.video.timing import thread_cpu_seconds

    stop = threading.Event()
    frames = [0] * len(sources)
    errors: list[str] = []

    def decode(index: int, source: Any) -> None:
        try:
            with av.open(source.url, options=source.options, timeout=(5.0, 5.0)) as container:
                video = container.streams.video[0]
                video.codec_context.thread_count = 1
                for packet in container.demux(video):
                    if stop.is_set():
                        return
                    for _frame in video.decode(packet):
                        frames[index] += 1
        except Exception as exc:  # reported, not raised: the wall half of the result is still worth having
            errors.append(f"{source.display}: {exc}")

    threads = [threading.Thread(target=decode, args=(i, s), name=f"ref-{i}", daemon=True)
               for i, s in enumerate(sources)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + _WARMUP_LIMIT_S
    while time.monotonic() < deadline and not all(frames) and not errors:
        time.sleep(0.05)
    start = list(frames)
    threads0 = [thread_cpu_seconds(t) for t in threads]
    cpu0, t0 = cpu_seconds(), time.monotonic()
    time.sleep(seconds)
    cpu1, t1 = cpu_seconds(), time.monotonic()
    threads1 = [thread_cpu_seconds(t) for t in threads]
    end = list(frames)
    stop.set()
    for thread in threads:
        thread.join(10)
    window = t1 - t0
    per_stream = [(e - s) / window for s, e in zip(start, end, strict=True)]
    decoded = sum(end) - sum(start)
    thread_cpu = _cpu_spent(threads0, threads1)
    return {
        "decode_fps": round(statistics.fmean(per_stream), 2) if per_stream else 0.0,
        "decode_fps_per_stream": [round(f, 2) for f in per_stream],
        "cpu_cores": round((cpu1 - cpu0) / window, 3),
        "cpu_ms_per_frame": round(1000 * (cpu1 - cpu0) / max(1, decoded), 3),
        "thread_cpu_ms_per_frame": round(1000 * thread_cpu / max(1, decoded), 3) if thread_cpu is not None
        else None,
        "errors": errors,
    }


def bench_wall(
    cameras: Sequence[Any],
    layout: int,
    seconds: float,
    *,
    reference_seconds: float | None = None,
    window_size: tuple[int, int] = (1920, 1080),
    base_dir: Path | None = None,
    secret_lookup: Callable[[str], tuple[str, str] | None] | None = None,
    peer_cpu: Callable[[], float | None] | None = None,
) -> dict[str, Any]:
    """The whole benchmark: the wall, then the reference on the same streams."""
    from console.video.source import resolve

    if not cameras:
        raise ValueError("no camera with a stream URL to show")
    cameras = list(cameras)[:layout]
    result = run_wall(cameras, layout, seconds, window_size, base_dir=base_dir, secret_lookup=secret_lookup,
                      peer_cpu=peer_cpu)
    sources = []
    for camera, stream in zip(cameras, result.pop("streams"), strict=True):  # the streams the wall showed
        credential = secret_lookup(camera.credential) if secret_lookup and camera.credential else None
        url = camera.sub_url if stream == "sub" and camera.sub_url else camera.main_url or camera.sub_url
        sources.append(resolve(str(url), base_dir=base_dir, credential=credential))
    ref_seconds = reference_seconds if reference_seconds is not None else min(seconds, 10)
    reference = run_reference(sources, ref_seconds)
    result["reference_decode_fps"] = reference["decode_fps"]
    result["reference"] = reference
    # The issue's "decode cost": the camera worker threads' CPU per decoded frame (demux, decode, scale and
    # convert for the tile) against the reference threads' CPU per frame (demux and decode only).
    worker_ms, ref_ms = result["worker_cpu_ms_per_frame"], reference["thread_cpu_ms_per_frame"]
    result["decode_cost_ratio"] = round(worker_ms / ref_ms, 3) if worker_ms and ref_ms else None
    # Everything the wall process spent per decoded frame (workers, GUI thread, painting, Qt) against the
    # reference process's CPU per frame: the whole wall's overhead over bare decoding.
    result["cost_ratio_vs_reference"] = (
        round(result["cpu_ms_per_frame"] / reference["cpu_ms_per_frame"], 3)
        if reference["cpu_ms_per_frame"] else None
    )
    return result


def cameras_from_urls_file(path: Path) -> list[Any]:
    urls = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    return cameras_for_urls([u for u in urls if u and not u.startswith("#")])


def parse_size(text: str) -> tuple[int, int]:
    width, _, height = text.lower().partition("x")
    return int(width), int(height)
