"""The motion thread: one batched detector pass over every camera's newest small gray frame.

Reads each camera's analysis slot (``peek``: never waits for, never disturbs the stream workers), groups
the frames by size, runs one ``MotionDetector.process`` per size, splits the boxes into each camera's zones
and turns the zones' start/end records into DeviceEvents through ``ingest``:

- ``motion.started`` / ``motion.ended`` (Priority.INFO) normally;
- ``motion.alarm`` (Priority.SECURITY), ACTIVE at the start and CLEARED at the end, when the zone was
  armed as the event started: that raises (and later clears) an alarm in the alarm centre.

Views read the newest result and a short score history per camera, thread-safely (no Qt here).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

import numpy as np

from drivers.base import DeviceEvent, EventState, Priority

from .motion import MotionConfig, MotionDetector, MotionResult
from .motion_events import EventTracker, MotionRecord
from .motion_zones import ALL_FRAME, TimeRange, Zone, ZoneConfigError, ZoneSet, parse_zones
from .niceness import ANALYSIS_NICE, lower_this_thread
from .slot import Frame, FrameSlot

log = logging.getLogger(__name__)

SlotLookup = Callable[[str], FrameSlot | None]
Ingest = Callable[[DeviceEvent], object]

KIND_STARTED = "motion.started"
KIND_ENDED = "motion.ended"
KIND_ALARM = "motion.alarm"
_QUIET = MotionResult(False, 0.0, [])


@dataclass(frozen=True)
class CameraMotion:
    """Motion settings of one camera: its zones (in analysis-frame pixels) and overall sensitivity."""

    camera_id: str
    name: str = ""
    zones: tuple[Zone, ...] = ()
    sensitivity: float = 1.0  # > 1 fires on fainter change, for the whole frame


@dataclass
class _Camera:
    settings: CameraMotion
    zones: tuple[Zone, ...]
    last_seq: int = 0
    last_seen: float | None = None  # monotonic time of the newest frame analysed
    gone: bool = True  # no fresh frame for stale_s: out of the batch, background learnt afresh on return
    shape: tuple[int, int] | None = None
    zoneset: ZoneSet | None = None
    trackers: dict[str, EventTracker] = field(default_factory=dict)
    dirty: bool = True  # zones changed: rebuild the zone set, trackers and sensitivity map
    latest: MotionResult = _QUIET
    history: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    written: int = 0  # scores written to the history ring so far


# ------------------------------------------------------------------------------------------ zone files
def zone_to_dict(zone: Zone) -> dict[str, Any]:
    """One zone as parse_zones reads it back."""
    out: dict[str, Any] = {"name": zone.name, "kind": zone.kind, "points": [list(p) for p in zone.points],
                           "sensitivity": zone.sensitivity, "min_size": zone.min_size}
    if zone.armed:
        out["armed"] = [_range_to_dict(r) for r in zone.armed]
    return out


def _range_to_dict(r: TimeRange) -> dict[str, str]:
    names = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    days = "daily" if len(r.days) == 7 else ",".join(names[d] for d in sorted(r.days))
    end = r.end.strftime("%H:%M") if r.end else "24:00"
    return {"days": days, "from": r.start.strftime("%H:%M"), "to": end}


def load_zones_file(path: Path) -> list[Zone]:
    """Zones from a JSON (``{"zones": [...]}``) or TOML (``[[zone]]``) file."""
    text = Path(path).read_text("utf-8")
    if Path(path).suffix.lower() == ".toml":
        import tomllib

        data: Mapping[str, Any] = tomllib.loads(text)
    else:
        data = json.loads(text)
    return parse_zones(data)


def save_zones_file(path: Path, zones: Iterable[Zone]) -> None:
    """Write zones as JSON, atomically (a crash leaves the old file or the new one, never half)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    text = json.dumps({"zones": [zone_to_dict(z) for z in zones]}, ensure_ascii=False, indent=2)
    tmp.write_text(text, "utf-8")
    tmp.replace(path)


# ------------------------------------------------------------------------------------------ the worker
class MotionWorker:
    """One thread for all cameras. ``start``/``stop`` bracket it; every reader method is thread-safe."""

    def __init__(
        self,
        cameras: Sequence[CameraMotion],
        slot_of: SlotLookup,
        ingest: Ingest,
        *,
        rate: float = 5.0,
        config: MotionConfig | None = None,
        history_s: float = 60.0,
        start_frames: int = 2,
        hold_s: float = 5.0,
        stale_s: float = 2.0,
        tz: tzinfo | None = None,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.config = config or MotionConfig(fps=rate)
        self._slot_of = slot_of
        self._ingest = ingest
        self._start_frames, self._hold_s, self._stale_s, self._tz = start_frames, hold_s, stale_s, tz
        self._history_len = max(2, round(history_s * rate))
        self._ids = [c.camera_id for c in cameras]
        self._cams = {c.camera_id: _Camera(c, tuple(c.zones), history=np.zeros(self._history_len, np.float32))
                      for c in cameras}
        self._index = {cid: i for i, cid in enumerate(self._ids)}
        self._detectors: dict[tuple[int, int], MotionDetector] = {}
        self._lock = threading.Lock()  # guards what readers see: latest, history, zones
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.rounds = 0  # analysis rounds run (tests and the status line read it)
        self.errors = 0

    # -- lifecycle -------------------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="motion", daemon=True)
        self._thread.start()
        log.info("motion analysis started: %d cameras at %.1f fps", len(self._ids), self.rate)

    def stop(self, timeout: float = 5.0) -> None:
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stop.set()
        thread.join(timeout)
        if thread.is_alive():
            log.warning("motion thread did not stop within %.1f s", timeout)
        self._close_all(time.time())

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        lower_this_thread(ANALYSIS_NICE)
        period = 1.0 / self.rate
        next_at = time.monotonic()
        while not self._stop.wait(max(0.0, next_at - time.monotonic())):
            next_at = max(next_at + period, time.monotonic() - period)  # late: skip, never catch up in bursts
            try:
                self.step()
            except Exception:  # one bad round must not end motion analysis for every camera
                self.errors += 1
                log.exception("motion analysis round failed")

    # -- what views read (any thread) ------------------------------------------------------------------
    def camera_ids(self) -> list[str]:
        return list(self._ids)

    def enabled(self, camera_id: str) -> bool:
        return camera_id in self._cams

    def latest(self, camera_id: str) -> MotionResult | None:
        cam = self._cams.get(camera_id)
        if cam is None:
            return None
        with self._lock:
            return cam.latest

    def history(self, camera_id: str) -> np.ndarray:
        """Scores of the last ``history_s`` seconds, oldest first (fewer until the ring has filled)."""
        cam = self._cams.get(camera_id)
        if cam is None:
            return np.zeros(0, np.float32)
        with self._lock:
            n, ring = cam.written, cam.history
            if n < len(ring):
                return ring[:n].copy()
            k = n % len(ring)
            return np.concatenate([ring[k:], ring[:k]])

    def zones(self, camera_id: str) -> list[Zone]:
        cam = self._cams.get(camera_id)
        if cam is None:
            return []
        with self._lock:
            return list(cam.zones)

    def frame_size(self, camera_id: str) -> tuple[int, int] | None:
        """(width, height) of the camera's analysis frames, once one has arrived."""
        cam = self._cams.get(camera_id)
        with self._lock:
            return None if cam is None or cam.shape is None else (cam.shape[1], cam.shape[0])

    def set_zones(self, camera_id: str, zones: Sequence[Zone], size: tuple[int, int] | None = None) -> None:
        """Replace a camera's zones; raises ZoneConfigError (nothing changes) when one is unusable.
        Open events of the old zones end at the next round."""
        cam = self._cams.get(camera_id)
        if cam is None:
            raise KeyError(f"camera {camera_id!r} has no motion analysis")
        check = size or self.frame_size(camera_id)
        if check is not None:
            ZoneSet(zones, check)  # validates; raises with the zone's name
        with self._lock:
            cam.zones, cam.dirty = tuple(zones), True

    # -- one round (the motion thread; tests call it directly) -----------------------------------------
    def step(self, now: float | None = None, mono: float | None = None) -> int:
        """Analyse the newest frame of every camera that has a fresh one; returns how many were analysed."""
        wall = time.time() if now is None else now
        mono = time.monotonic() if mono is None else mono
        groups: dict[tuple[int, int], list[tuple[str, np.ndarray]]] = {}
        for cid in self._ids:
            cam = self._cams[cid]
            frame = self._fresh_frame(cid, cam, mono)
            if frame is None:
                if not cam.gone and (cam.last_seen is None or mono - cam.last_seen > self._stale_s):
                    self._went_away(cid, cam, wall)
                continue
            image = frame.image
            if image.ndim != 2:
                continue  # only gray frames are analysed
            shape = (int(image.shape[0]), int(image.shape[1]))
            if cam.shape != shape:
                with self._lock:
                    cam.shape, cam.dirty = shape, True
            cam.last_seq, cam.last_seen = frame.seq, mono
            groups.setdefault(shape, []).append((cid, image))
        analysed = 0
        for shape, items in groups.items():
            detector = self._detector(shape)
            frames: list[np.ndarray | None] = [None] * len(self._ids)
            for cid, image in items:
                cam = self._cams[cid]
                i = self._index[cid]
                if cam.dirty:
                    self._rebuild(cid, cam, detector, wall)
                if cam.gone:
                    detector.restore_stream(i)  # the view may have changed while it was away: relearn
                    cam.gone = False
                frames[i] = image
            results = detector.process(frames)
            for cid, _ in items:
                self._feed(cid, self._cams[cid], results[self._index[cid]], wall)
                analysed += 1
        self.rounds += 1
        return analysed

    def _fresh_frame(self, cid: str, cam: _Camera, mono: float) -> Frame | None:
        slot = self._slot_of(cid)
        frame = slot.peek() if slot is not None else None
        if frame is None or frame.seq == cam.last_seq or mono - frame.monotonic > self._stale_s:
            return None
        return frame

    def _detector(self, shape: tuple[int, int]) -> MotionDetector:
        detector = self._detectors.get(shape)
        if detector is None:
            # Sized for every camera: those with other sizes (or no frame) simply stay out of its batches.
            detector = MotionDetector(len(self._ids), shape, self.config)
            self._detectors[shape] = detector
        return detector

    def _rebuild(self, cid: str, cam: _Camera, detector: MotionDetector, wall: float) -> None:
        assert cam.shape is not None
        size = (cam.shape[1], cam.shape[0])
        with self._lock:
            zones, cam.dirty = cam.zones, False
        try:
            zoneset = ZoneSet(zones, size)
        except ZoneConfigError as exc:
            log.error("camera %s: motion zones not usable at %dx%d (%s); watching the whole frame",
                      cid, size[0], size[1], exc)
            zoneset = ZoneSet((), size)
        self._emit(cid, cam, [r for t in cam.trackers.values() for r in t.close()], wall)
        cam.zoneset = zoneset
        cam.trackers = {
            z.name: EventTracker(z.name, self._start_frames, self._hold_s,
                                 zoneset.zone(z.name).is_armed if z.name != ALL_FRAME else None)
            for z in zoneset.includes
        }
        scale = zoneset.sensitivity_map(detector.cells) / np.float32(cam.settings.sensitivity)
        detector.set_sensitivity(self._index[cid], scale)

    def _feed(self, cid: str, cam: _Camera, result: MotionResult, wall: float) -> None:
        with self._lock:
            cam.latest = result
            cam.history[cam.written % len(cam.history)] = result.score
            cam.written += 1
        assert cam.zoneset is not None
        when = datetime.fromtimestamp(wall, self._tz)
        records: list[MotionRecord] = []
        for hit in cam.zoneset.evaluate(result.boxes):
            tracker = cam.trackers.get(hit.zone)
            if tracker is not None:
                records += tracker.update(wall, hit.motion, hit.score, hit.boxes, now=when)
        self._emit(cid, cam, records, wall)

    def _went_away(self, cid: str, cam: _Camera, wall: float) -> None:
        cam.gone = True
        with self._lock:
            cam.latest = _QUIET
        self._emit(cid, cam, [r for t in cam.trackers.values() for r in t.close()], wall)

    def _close_all(self, wall: float) -> None:
        for cid, cam in self._cams.items():
            self._emit(cid, cam, [r for t in cam.trackers.values() for r in t.close()], wall)

    # -- records → device events -----------------------------------------------------------------------
    def _emit(self, cid: str, cam: _Camera, records: list[MotionRecord], wall: float) -> None:
        for record in records:
            event = motion_event(cid, cam.settings.name or cid, record, wall)
            try:
                future = self._ingest(event)
            except Exception:
                self.errors += 1
                log.exception("camera %s: could not ingest %s", cid, event.kind)
                continue
            add = getattr(future, "add_done_callback", None)
            if add is not None:
                add(_log_failure)


def motion_event(camera_id: str, camera_name: str, record: MotionRecord, wall: float) -> DeviceEvent:
    """The DeviceEvent of one start/end record (see the module's docstring for kinds and priorities)."""
    point = None if record.zone == ALL_FRAME else record.zone
    where = camera_name if point is None else f"{camera_name} / {point}"
    started = record.kind == "started"
    if record.alarm:
        kind, priority = KIND_ALARM, Priority.SECURITY
        state = EventState.ACTIVE if started else EventState.CLEARED
        # Stored summaries are records in the site's language, like the panels' own texts.
        summary = f"布防区域移动侦测报警：{where}" if started else f"布防区域移动结束：{where}"
    else:
        kind, priority, state = (KIND_STARTED if started else KIND_ENDED), Priority.INFO, EventState.INFO
        summary = f"移动侦测：{where}" if started else f"移动结束：{where}"
    payload: dict[str, Any] = {
        "zone": record.zone, "peak_score": round(record.peak_score, 5),
        "boxes": [[int(v) for v in b] for b in record.boxes], "start": record.start, "armed": record.alarm,
    }
    if record.end is not None:
        payload["end"] = record.end
    return DeviceEvent(source=camera_id, kind=kind, state=state, priority=priority, summary=summary,
                       point=point, payload=payload)


def _log_failure(future: Any) -> None:
    try:
        exc = future.exception()
    except Exception:  # cancelled
        return
    if exc is not None:
        log.error("motion event not stored: %s", exc)
