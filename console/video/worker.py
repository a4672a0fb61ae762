"""One thread per camera: demux and decode with PyAV, scaled for the view, into latest-frame slots."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import replace

import av
import av.error
import av.logging
import numpy as np
from av.video.reformatter import Interpolation, VideoReformatter

from . import ffmpeg_log
from .niceness import DECODER_NICE, lower_this_thread
from .slot import FrameSlot
from .source import StreamSource, redact
from .status import (
    PERMANENT,
    NoVideoStream,
    PacketListener,
    Reason,
    StatusListener,
    StreamEnded,
    StreamPacket,
    StreamState,
    StreamStatus,
    WorkerConfig,
    classify,
)
from .timing import Pacer, fit_size, thread_cpu_seconds

log = logging.getLogger(__name__)


class StreamWorker:
    """Owns one camera's connection. ``start``/``stop`` bracket its thread; every other method is
    thread-safe and never blocks on the network."""

    def __init__(
        self,
        camera_id: str,
        open_source: Callable[[str], StreamSource],
        *,
        stream: str = "main",
        config: WorkerConfig | None = None,
        on_status: StatusListener | None = None,
    ) -> None:
        self.camera_id = camera_id
        self.config = config or WorkerConfig()
        self.slot = FrameSlot(camera_id)  # RGB frames at the size the view asked for
        self.analysis_slot = FrameSlot(f"{camera_id}/gray")  # small gray frames for motion analysis
        self._open_source = open_source
        self._wanted = stream
        self._target = (0, 0)  # display size asked by the view; (0, 0) = nobody looks, no RGB work
        self._on_status = on_status
        self._packet_listeners: list[PacketListener] = []
        self._lock = threading.Lock()
        self._status = StreamStatus(StreamState.CONNECTING, stream=stream)
        self._errors = 0
        self._reconnects = 0
        self._last_frame_at: float | None = None
        self._native: tuple[int, int] | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()  # stop, or a stream switch: cuts waits short
        self._rng = random.Random()
        self._logs: list[tuple[int, str, str]] = []
        self._listener_failures: dict[int, int] = {}
        # One swscale context per conversion, kept for the worker's life: a frame's own reformat() builds
        # (and frees) a new context for every frame, and PyAV's default of automatic threads starts a
        # pool of scaler threads each time too. Together that cost more than decoding a 360p frame.
        self._scaler = VideoReformatter()  # decoded frame -> yuv420p at the tile's size
        self._converter = VideoReformatter()  # that -> BGRA, same size (swscale's unscaled SIMD path)
        self._analysis_scaler = VideoReformatter()  # decoded frame -> the small gray frame
        self._thread = threading.Thread(target=self._run, name=f"video-{camera_id}", daemon=True)

    # -- control (any thread) ----------------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def signal_stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def stop(self, timeout: float | None = None) -> None:
        """Stop and join. A worker inside a blocking FFmpeg call returns within the read timeout."""
        self.signal_stop()
        if self._thread.is_alive():
            self._thread.join(timeout if timeout is not None else self.config.read_timeout_s + 2)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def cpu_seconds(self) -> float | None:
        """CPU time the worker's thread has used (demux, decode, scaling: FFmpeg runs them all on it, with
        one codec thread and one scaler thread); None before it starts, after it ends, or off POSIX."""
        return thread_cpu_seconds(self._thread)

    def set_target_size(self, width: int, height: int) -> None:
        """Decode RGB frames fitted into this box from the next frame on; (0, 0) stops RGB output."""
        self._target = (max(0, int(width)), max(0, int(height)))

    def select_stream(self, stream: str) -> None:
        """Switch between "main" and "sub": the connection is reopened on the other URL."""
        if stream != self._wanted:
            self._wanted = stream
            self._wake.set()

    @property
    def stream(self) -> str:
        return self._wanted

    @property
    def native_size(self) -> tuple[int, int] | None:
        """The size of the stream now open, as the camera sends it."""
        return self._native

    def add_packet_listener(self, listener: PacketListener) -> None:
        with self._lock:
            self._packet_listeners = [*self._packet_listeners, listener]

    def remove_packet_listener(self, listener: PacketListener) -> None:
        with self._lock:
            self._packet_listeners = [cb for cb in self._packet_listeners if cb is not listener]

    def status(self) -> StreamStatus:
        with self._lock:
            return replace(self._status, errors=self._errors, reconnects=self._reconnects)

    def watchdog(self, now: float | None = None) -> None:
        """Called a few times a second from outside: a live stream without frames becomes "stalled"."""
        now = time.monotonic() if now is None else now
        with self._lock:
            live = self._status.state is StreamState.LIVE
            last = self._last_frame_at
        if live and last is not None and now - last > self.config.stall_after_s:
            self._set_status(StreamStatus(StreamState.STALLED, Reason.TIMEOUT, stream=self._wanted,
                                          detail=f"no frame for {now - last:.1f} s"))

    # -- the thread --------------------------------------------------------------------------------
    def _set_status(self, status: StreamStatus) -> None:
        with self._lock:
            old = self._status
            self._status = status
        if status != old and self._on_status is not None:
            try:
                self._on_status(self.camera_id, replace(status, errors=self._errors,
                                                        reconnects=self._reconnects))
            except Exception:  # a listener's bug must not kill the camera's stream
                log.warning("status listener failed for camera %s", self.camera_id, exc_info=True)

    def _run(self) -> None:
        lower_this_thread(DECODER_NICE)
        with ffmpeg_log.captured() as logs:
            self._logs = logs
            self._loop()
        self._set_status(StreamStatus(StreamState.STOPPED, stream=self._wanted))
        self.slot.clear()

    def _loop(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            stream = self._wanted
            self._wake.clear()
            try:
                source = self._open_source(stream)
                self._session(source, stream)
                if self._stop.is_set():
                    break
                attempt = 0  # a stream switch: open the other URL right away
                continue
            except Exception as exc:  # every failure ends in a classified state, never in a dead thread
                reason = classify(exc)
                detail = redact(str(exc))
                # The RTSP demuxer reports our own timeout interrupt as "invalid data"; its log says why.
                if reason is Reason.STREAM_ERROR and any("Immediate exit" in m[2] for m in self._logs):
                    reason = Reason.TIMEOUT
            if self._stop.is_set():
                break
            attempt += 1
            self._reconnects += 1
            self._native = None
            del self._logs[:]  # FFmpeg's account of a failed open repeats what the exception says
            self._retry_later(attempt, reason, detail, stream)

    def _retry_later(self, attempt: int, reason: Reason, detail: str, stream: str) -> None:
        now = time.monotonic()
        delay = self.config.backoff.delay(attempt, reason, self._rng)
        recent = self._last_frame_at is not None and now - self._last_frame_at < self.config.offline_after_s
        state = StreamState.RECONNECTING if recent and reason not in PERMANENT else StreamState.OFFLINE
        was = self.status().state
        self._set_status(StreamStatus(state, reason, attempt, now + delay, detail, stream))
        if state is not was or attempt == 1:
            log.warning("camera %s %s (%s): %s; retry %d in %.1f s", self.camera_id, state, reason, detail,
                        attempt, delay)
        else:
            log.debug("camera %s still %s (%s); retry %d in %.1f s", self.camera_id, state, reason, attempt,
                      delay)
        if state is StreamState.OFFLINE:
            self.slot.clear()  # an old picture under "offline" would pass for a live one
        self._wake.wait(delay)

    def _session(self, source: StreamSource, stream: str) -> None:
        """One connection: open, then demux and decode until stop, a switch or an error."""
        # No "connecting" here: a stream switch keeps the last picture up, and a retry keeps saying why the
        # camera is offline; the worker starts in CONNECTING for the very first attempt.
        log.info("camera %s: opening %s stream %s", self.camera_id, stream, source.display)
        timeout = (self.config.open_timeout_s, self.config.read_timeout_s)
        container = av.open(source.url, options=source.options, timeout=timeout)
        try:
            if not container.streams.video or container.streams.video[0].codec_context is None:
                raise NoVideoStream("no decodable video stream")
            video = container.streams.video[0]
            ctx = video.codec_context
            self._native = (ctx.width, ctx.height)
            # One thread per camera decodes 1080p25 comfortably and costs the least CPU in total; codec
            # threads would also log from threads whose FFmpeg messages our capture cannot attribute.
            ctx.thread_count = 1
            step = 1 / float(video.average_rate) if video.average_rate else 0.04
            pacer = Pacer(self._wake) if source.realtime_file else None
            while True:
                if self._pump(container, video, stream, pacer, step):
                    return
                if pacer is None:
                    raise StreamEnded("the camera closed the stream")
                container.seek(0)  # a demo clip: loop it
                ctx.flush_buffers()  # seek() leaves the drained decoder behind; it must accept input again
                pacer.reset()
        finally:
            container.close()

    def _pump(self, container: av.container.InputContainer, video: av.video.stream.VideoStream,
              stream: str, pacer: Pacer | None, step: float) -> bool:
        """Demux to the end of the input; True when told to stop or switch streams."""
        bad = 0
        for packet in container.demux(video):
            if self._stop.is_set() or self._wanted != stream:
                return True
            if packet.size:  # an empty packet is PyAV's end-of-input marker: it drains the decoder
                self._emit_packet(stream, packet)
            try:
                frames = video.decode(packet)
            except (av.error.InvalidDataError, av.error.UndefinedError, ValueError) as exc:
                self._errors += 1
                bad += 1
                log.debug("camera %s: undecodable packet: %s", self.camera_id, redact(str(exc)))
                if bad >= self.config.max_bad_packets:
                    raise
                continue
            bad = 0
            if self._logs:
                self._count_ffmpeg_messages()
            for frame in frames:
                if frame.is_corrupt:
                    self._errors += 1  # still shown: concealed damage beats a frozen picture
                if pacer is not None:
                    pacer.wait(frame.time, step)
                    if self._wake.is_set():
                        return True
                self._deliver(frame, stream)
        return False

    def _count_ffmpeg_messages(self) -> None:
        # Warnings and errors while streaming are concealed damage: lost RTP packets, corrupt slices.
        bad = [m for m in self._logs if m[0] <= av.logging.WARNING]
        del self._logs[:]
        if bad:
            self._errors += len(bad)
            log.debug("camera %s: %d stream errors, last: %s", self.camera_id, len(bad), redact(bad[-1][2]))

    def _emit_packet(self, stream: str, packet: av.Packet) -> None:
        listeners = self._packet_listeners
        if not listeners:
            return
        item = StreamPacket(self.camera_id, stream, packet, time.time())
        for listener in listeners:
            try:
                listener(item)
            except Exception:
                # Once per listener with the traceback, then quietly counted: a broken recorder must not
                # flood the log at 25 lines a second.
                failures = self._listener_failures.get(id(listener), 0)
                self._listener_failures[id(listener)] = failures + 1
                if failures == 0:
                    log.warning("packet listener failed for camera %s", self.camera_id, exc_info=True)

    def _deliver(self, frame: av.VideoFrame, stream: str) -> None:
        now = time.monotonic()
        previous = self._last_frame_at
        self._last_frame_at = now
        if self._status.state is not StreamState.LIVE:  # one attribute read: no lock needed per frame
            self._set_status(StreamStatus(StreamState.LIVE, stream=stream))
        width, height = fit_size(frame.width, frame.height, *self._target)
        if width:
            self.slot.put(self._display_image(frame, width, height), frame.time)
        if self.config.analysis_fps > 0:
            last = self.analysis_slot.peek()
            if last is None or now - last.monotonic >= 1 / self.config.analysis_fps or previous is None:
                aw, ah = self.config.analysis_size
                gray = self._analysis_scaler.reformat(frame, aw, ah, "gray", threads=1,
                                                      interpolation=Interpolation.FAST_BILINEAR)
                self.analysis_slot.put(gray.to_ndarray(), frame.time)

    def _display_image(self, frame: av.VideoFrame, width: int, height: int) -> np.ndarray:
        """The frame as BGRA at width x height, in a buffer of its own (the GUI may still be painting the
        previous one, so none is ever reused). The array views that buffer, padded rows included; the tile
        wraps it with its stride, so nothing is copied.

        BGRA is the byte order of Qt's RGB32, which the raster engine blits as it is (RGB888 it converts on
        every paint: 5x the cost). Scaling first in YUV 4:2:0 and converting at the tile's size is cheaper
        than swscale's combined scale-and-convert (measured 640x360 -> 472x266: 0.28 vs 0.35 ms, 1080p ->
        952x536: 1.2 vs 1.5 ms); fast bilinear looks the same at tile sizes. Recordings are untouched."""
        scaled = frame
        if (width, height) != (frame.width, frame.height) or frame.format.name != "yuv420p":
            scaled = self._scaler.reformat(frame, width, height, "yuv420p", threads=1,
                                           interpolation=Interpolation.FAST_BILINEAR)
        return self._converter.reformat(scaled, format="bgra", threads=1).to_ndarray()
