"""The motion thread on synthetic frames pushed into frame slots: events, alarms, drop-outs, shutdown."""

from __future__ import annotations

import threading
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from argon2 import PasswordHasher

from console.config import parse_site
from console.engine import Engine
from console.video.motion_worker import (
    KIND_ALARM,
    KIND_ENDED,
    KIND_STARTED,
    CameraMotion,
    MotionWorker,
    load_zones_file,
    save_zones_file,
)
from console.video.motion_zones import ZoneConfigError, parse_zones
from console.video.slot import FrameSlot
from drivers.base import DeviceEvent, EventState, Priority
from tests.motion.synth import background, noisy, paste

SHAPE = (180, 320)
BLOCK = np.ones((25, 10), bool)
ALWAYS = [{"days": "daily", "from": "00:00", "to": "24:00"}]


class Scene:
    """Cameras with a textured background; ``push`` puts one fresh noisy frame per camera in its slot."""

    def __init__(self, ids: list[str]) -> None:
        self.slots = {cid: FrameSlot(cid) for cid in ids}
        self.bg = {cid: background(SHAPE, seed=i) for i, cid in enumerate(ids)}
        self.rng = np.random.default_rng(7)

    def push(self, cid: str, block_x: int | None = None) -> None:
        img = self.bg[cid].copy()
        if block_x is not None:
            paste(img, BLOCK, block_x, 100, 20.0)
        self.slots[cid].put(noisy(img, self.rng, 2.0))


def run(worker: MotionWorker, scene: Scene, frames: int, t0: float, moving: dict[str, int | None],
        skip: set[str] = frozenset()) -> float:  # type: ignore[assignment]
    """``frames`` rounds at 5 fps of scene time; cameras in ``moving`` get a block stepping 6 px a frame."""
    t = t0
    for i in range(frames):
        for cid in scene.slots:
            if cid in skip:
                continue
            start = moving.get(cid)
            scene.push(cid, None if start is None else start + 6 * i)
        worker.step(now=t)
        t += 0.2
    return t


def make(scene: Scene, events: list[DeviceEvent], zones: dict[str, list] | None = None,
         **kw: object) -> MotionWorker:
    cams = [CameraMotion(cid, cid.upper(), tuple(parse_zones({"zones": (zones or {}).get(cid, [])})))
            for cid in scene.slots]
    return MotionWorker(cams, scene.slots.get, events.append, hold_s=1.0, **kw)  # type: ignore[arg-type]


def test_a_moving_block_starts_and_ends_a_motion_event() -> None:
    scene, events = Scene(["cam-a"]), []
    worker = make(scene, events)
    t = run(worker, scene, 12, 1000.0, {"cam-a": None})  # learn the background
    assert events == []
    t = run(worker, scene, 15, t, {"cam-a": 40})
    kinds = [e.kind for e in events]
    assert kinds == [KIND_STARTED]
    started = events[0]
    assert started.source == "cam-a" and started.point is None and started.priority is Priority.INFO
    assert started.payload["peak_score"] > 0 and started.payload["boxes"] and started.payload["zone"] == "*"
    latest = worker.latest("cam-a")
    assert latest is not None and latest.motion and latest.boxes
    run(worker, scene, 10, t, {"cam-a": None})  # still: ends after the 1 s hold
    assert [e.kind for e in events] == [KIND_STARTED, KIND_ENDED]
    assert events[1].payload["end"] is not None
    history = worker.history("cam-a")
    assert len(history) == 37 and history.max() > 0 and history[-1] == 0


def test_history_is_a_ring_of_the_last_seconds() -> None:
    scene, events = Scene(["cam-a"]), []
    worker = make(scene, events, history_s=2.0)  # 10 scores at 5 fps
    run(worker, scene, 25, 0.0, {"cam-a": None})
    assert len(worker.history("cam-a")) == 10


def test_an_armed_zone_raises_an_alarm_in_the_alarm_centre_and_clears_it(
    data_dir: Path, fast_hasher: PasswordHasher
) -> None:
    site = parse_site('[site]\nname = "t"\n[[campuses]]\nid = "e"\nname = "E"\n'
                      '[[cameras]]\nid = "cam-a"\nname = "A"\ncampus = "e"\nmain_url = "rtsp://h/a"\n')
    engine = Engine(site, data_dir, accounts_hasher=fast_hasher)
    engine.start()
    try:
        scene = Scene(["cam-a"])
        zone = {"name": "fence", "points": [[0, 60], [320, 60], [320, 180], [0, 180]], "armed": ALWAYS}
        futures, sent = [], []

        def ingest(event: DeviceEvent) -> object:
            sent.append(event)
            futures.append(engine.store.ingest(event))
            return futures[-1]

        worker = MotionWorker([CameraMotion("cam-a", "A", tuple(parse_zones({"zones": [zone]})))],
                              scene.slots.get, ingest, hold_s=1.0)
        t = run(worker, scene, 12, 2000.0, {"cam-a": None})
        t = run(worker, scene, 10, t, {"cam-a": 40})
        for f in futures:
            f.result(5)
        alarms = engine.alarms.open_alarms()
        assert len(alarms) == 1
        alarm = alarms[0]
        assert (alarm.source, alarm.point, alarm.kind, alarm.priority) == ("cam-a", "fence", KIND_ALARM,
                                                                          Priority.SECURITY)
        assert not alarm.cleared
        run(worker, scene, 10, t, {"cam-a": None})
        for f in futures:
            f.result(5)
        assert engine.alarms.get(alarm.id).cleared  # type: ignore[union-attr]
        assert [e.state for e in sent] == [EventState.ACTIVE, EventState.CLEARED]
    finally:
        engine.stop()


def test_motion_outside_the_zone_or_in_an_exclude_zone_is_ignored() -> None:
    scene, events = Scene(["cam-a"]), []
    zones = {"cam-a": [{"name": "top", "points": [[0, 0], [320, 0], [320, 50], [0, 50]]}]}
    worker = make(scene, events, zones)
    t = run(worker, scene, 12, 0.0, {"cam-a": None})
    run(worker, scene, 15, t, {"cam-a": 40})  # the block walks at y = 100..125
    assert events == []


def test_a_camera_that_stops_delivering_drops_out_and_the_others_go_on() -> None:
    scene, events = Scene(["cam-a", "cam-b"]), []
    worker = make(scene, events, stale_s=0.3)
    t = run(worker, scene, 12, 0.0, {})
    t = run(worker, scene, 6, t, {"cam-a": 40, "cam-b": 40})
    assert sorted(e.source for e in events if e.kind == KIND_STARTED) == ["cam-a", "cam-b"]
    events.clear()
    time.sleep(0.35)  # cam-b's last frame goes stale
    t = run(worker, scene, 8, t, {"cam-a": 80}, skip={"cam-b"})
    # cam-b's open event is closed when it drops out; cam-a still moves and is still analysed
    assert [(e.source, e.kind) for e in events] == [("cam-b", KIND_ENDED)]
    assert worker.latest("cam-a").motion  # type: ignore[union-attr]
    assert not worker.latest("cam-b").motion  # type: ignore[union-attr]
    # back again: it relearns its background (no false start) and is analysed with the others
    run(worker, scene, 12, t, {})
    assert worker.latest("cam-b") is not None


def test_frames_of_other_sizes_go_in_their_own_batch() -> None:
    scene, events = Scene(["cam-a"]), []
    small = FrameSlot("small")
    worker = MotionWorker([CameraMotion("cam-a"), CameraMotion("cam-s")],
                          {"cam-a": scene.slots["cam-a"], "cam-s": small}.get, events.append)
    scene.push("cam-a")
    small.put(np.zeros((90, 160), np.uint8))
    assert worker.step(now=0.0) == 2
    assert worker.frame_size("cam-s") == (160, 90) and worker.frame_size("cam-a") == (320, 180)


def test_the_thread_runs_at_its_rate_and_stop_joins_it() -> None:
    scene, events = Scene(["cam-a"]), []
    worker = make(scene, events, rate=20.0)
    stop = threading.Event()

    def feed() -> None:
        while not stop.wait(0.02):
            scene.push("cam-a")

    feeder = threading.Thread(target=feed)
    feeder.start()
    try:
        worker.start()
        deadline = time.monotonic() + 5
        while worker.rounds < 5 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert worker.rounds >= 5 and worker.alive and worker.latest("cam-a") is not None
    finally:
        worker.stop()
        stop.set()
        feeder.join()
    assert not worker.alive
    assert not any(t.name == "motion" for t in threading.enumerate())


def test_zones_are_validated_before_they_replace_the_old_ones(tmp_path: Path) -> None:
    scene, events = Scene(["cam-a"]), []
    worker = make(scene, events)
    run(worker, scene, 2, 0.0, {})
    crossing = parse_zones({"zones": [{"name": "x", "points": [[0, 0], [100, 100], [100, 0], [0, 100]]}]})
    with pytest.raises(ZoneConfigError, match="crosses itself"):
        worker.set_zones("cam-a", crossing)
    outside = parse_zones({"zones": [{"name": "o", "points": [[0, 0], [400, 0], [0, 100]]}]})
    with pytest.raises(ZoneConfigError, match="outside"):
        worker.set_zones("cam-a", outside)
    assert worker.zones("cam-a") == []
    good = parse_zones({"zones": [{"name": "g", "kind": "include", "points": [[0, 0], [100, 0], [0, 100]],
                                   "sensitivity": 2.0, "min_size": 50, "armed": ALWAYS}]})
    worker.set_zones("cam-a", good)
    assert worker.zones("cam-a") == good
    path = tmp_path / "cam-a.json"
    save_zones_file(path, good)
    assert load_zones_file(path) == good


SITE_HEAD = ('[site]\nname = "t"\n[[campuses]]\nid = "e"\nname = "E"\n'
             '[[cameras]]\nid = "cam-a"\nname = "A"\ncampus = "e"\nmain_url = "rtsp://h/a"\n')


def test_the_camera_motion_table_is_validated_with_line_numbers() -> None:
    from console.config import ConfigError

    good = parse_site(SITE_HEAD + '[cameras.motion]\nsensitivity = 2.0\n[[cameras.motion.zones]]\n'
                      'name = "z"\npoints = [[0, 0], [100, 0], [100, 100]]\n', "s.toml")
    motion = good.cameras[0].motion
    assert motion is not None and motion.enabled and motion.sensitivity == 2.0
    assert motion.zones[0]["name"] == "z"
    assert parse_site(SITE_HEAD, "s.toml").cameras[0].motion is None
    bad = SITE_HEAD + ('[cameras.motion]\nsensitivity = 0\nzones_file = "z.json"\n[[cameras.motion.zones]]\n'
                       'name = "bow"\npoints = [[0, 0], [100, 100], [100, 0], [0, 100]]\n'
                       '[[cameras.motion.zones]]\nname = "far"\npoints = [[0, 0], [900, 0], [0, 50]]\n')
    with pytest.raises(ConfigError) as info:
        parse_site(bad, "s.toml")
    text = str(info.value)
    assert "s.toml:12: cameras[0].motion.sensitivity" in text
    assert "crosses itself" in text and "zone 'bow'" in text
    with pytest.raises(ConfigError, match="outside the 320x180 frame"):
        parse_site(SITE_HEAD + '[cameras.motion]\n[[cameras.motion.zones]]\nname = "far"\n'
                   'points = [[0, 0], [900, 0], [0, 50]]\n', "s.toml")
    with pytest.raises(ConfigError, match="not both"):
        parse_site(SITE_HEAD + '[cameras.motion]\nzones_file = "z.json"\n[[cameras.motion.zones]]\n'
                   'name = "a"\npoints = [[0, 0], [10, 0], [0, 10]]\n', "s.toml")
    with pytest.raises(ConfigError, match="unknown|Extra|not permitted|extra"):
        parse_site(SITE_HEAD + '[cameras.motion]\nsensitivty = 2.0\n', "s.toml")


def test_the_demo_site_enables_motion_with_an_armed_zone() -> None:
    from console.config import load_site
    from console.paths import demo_site_path

    site = load_site(demo_site_path())
    enabled = [c for c in site.cameras if c.motion is not None and c.motion.enabled]
    assert 2 <= len(enabled) <= 3
    zones = [z for c in enabled for z in parse_zones({"zones": c.motion.zones})]  # type: ignore[union-attr]
    armed = [z for z in zones if z.armed]
    assert armed and all(armed[0].is_armed(datetime(2026, 1, d, h)) for d in range(1, 8) for h in (0, 12, 23))
