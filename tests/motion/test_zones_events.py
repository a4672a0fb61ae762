"""Zones (polygons, include/exclude, validation), the event tracker and armed schedules."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.video.motion import MotionDetector
from console.video.motion_events import EventTracker
from console.video.motion_zones import (
    ALL_FRAME,
    Zone,
    ZoneConfigError,
    ZoneSet,
    parse_zones,
    rasterise,
    validate_zone,
)
from tests.motion.synth import background, noisy, paste, person

SIZE = (160, 120)  # width, height
SQUARE = ((10, 10), (70, 10), (70, 70), (10, 70))


def test_rasterise_square_and_triangle() -> None:
    mask = rasterise(SQUARE, SIZE)
    assert mask.shape == (120, 160) and mask.sum() == 60 * 60 and mask[10, 10] and not mask[70, 70]
    tri = rasterise(((0, 0), (160, 0), (0, 120)), SIZE)
    assert abs(tri.sum() - 160 * 120 / 2) < 200


@pytest.mark.parametrize(
    ("points", "why"),
    [
        (((10, 10), (200, 10), (100, 100)), "outside"),
        (((10, 10), (50, -1), (100, 100)), "outside"),
        (((0, 0), (100, 100), (100, 0), (0, 100)), "crosses itself"),  # a bow tie
        (((10, 10), (60, 10), (30, 10), (30, 50)), "crosses itself"),  # runs back over an edge
        (((10, 10), (20, 20), (30, 30)), "(no area|crosses itself)"),
        (((10, 10), (20, 20)), "at least 3"),
        (((10, 10), (10, 10), (50, 50), (10, 50)), "twice"),
    ],
)
def test_bad_polygons_are_config_errors_naming_the_zone(points: tuple, why: str) -> None:
    with pytest.raises(ZoneConfigError, match=rf"zone 'gate'.*{why}"):
        ZoneSet([Zone("gate", points)], SIZE)


def test_other_zone_errors() -> None:
    with pytest.raises(ZoneConfigError, match="used twice"):
        ZoneSet([Zone("a", SQUARE), Zone("a", SQUARE)], SIZE)
    with pytest.raises(ZoneConfigError, match="sensitivity"):
        validate_zone(Zone("a", SQUARE, sensitivity=0), SIZE)
    with pytest.raises(ZoneConfigError, match="'b'.*armed"):
        parse_zones({"zones": [{"name": "b", "points": SQUARE, "armed": [{"days": "mon", "from": "25:00",
                                                                          "to": "06:00"}]}]})


def test_include_exclude_sensitivity_map_and_evaluate() -> None:
    zones = ZoneSet([
        Zone("door", SQUARE, sensitivity=2.0, min_size=100),
        Zone("yard", ((80, 0), (160, 0), (160, 120), (80, 120))),
        Zone("flag", ((120, 0), (160, 0), (160, 40), (120, 40)), kind="exclude"),
    ], SIZE)
    scale = zones.sensitivity_map((15, 20))
    assert scale[3, 3] == pytest.approx(0.5)  # door: twice as sensitive
    assert scale[10, 12] == 1.0  # yard
    assert np.isinf(scale[2, 17])  # the flag is excluded from the yard
    assert np.isinf(scale[12, 2])  # outside every include zone
    hits = {h.zone: h for h in zones.evaluate([(16, 16, 16, 16), (96, 64, 16, 24), (130, 8, 16, 16)])}
    assert hits["door"].motion and hits["door"].boxes == [(16, 16, 16, 16)]
    assert hits["yard"].motion and hits["yard"].boxes == [(96, 64, 16, 24)]  # the flag box does not count
    assert not zones.evaluate([(16, 16, 8, 8)])[0].motion  # below the door's 100 px minimum
    whole = ZoneSet([], SIZE)
    assert [h.zone for h in whole.evaluate([(0, 0, 8, 16)])] == [ALL_FRAME]


def test_zones_steer_the_detector() -> None:
    rng = np.random.default_rng(0)
    scene = background((120, 160), 3)
    zones = ZoneSet([Zone("lawn", ((0, 0), (80, 0), (80, 120), (0, 120)), kind="exclude")], SIZE)
    det = MotionDetector(1, (120, 160))
    det.set_sensitivity(0, zones.sensitivity_map(det.cells))
    for _ in range(12):
        det.process(noisy(scene, rng)[None])
    img = scene.copy()
    paste(img, person(40, 16), 20, 40, 250)  # on the excluded lawn
    assert not det.process(noisy(img, rng)[None])[0].motion
    paste(img, person(40, 16), 110, 40, 250)
    r = det.process(noisy(img, rng)[None])[0]
    assert r.motion and all(x >= 80 for x, *_ in r.boxes)


def test_parse_zones_toml_shape_and_schedule() -> None:
    zones = parse_zones({"zone": [{"name": "gate", "points": [[0, 0], [50, 0], [50, 50]], "kind": "include",
                                   "sensitivity": 1.5, "min_size": 64,
                                   "armed": [{"days": "mon-fri", "from": "22:00", "to": "06:00"},
                                             {"days": "sat,sun", "from": "00:00", "to": "24:00"}]}]})
    gate = zones[0]
    assert gate.sensitivity == 1.5 and gate.min_size == 64
    assert gate.is_armed(datetime(2026, 11, 23, 23, 0))  # Monday night
    assert gate.is_armed(datetime(2026, 11, 24, 5, 59))  # Tuesday early: Monday's range runs on
    assert not gate.is_armed(datetime(2026, 11, 24, 6, 0))
    assert not gate.is_armed(datetime(2026, 11, 24, 12, 0))  # Tuesday noon
    assert gate.is_armed(datetime(2026, 11, 28, 12, 0))  # Saturday, all day
    assert not gate.is_armed(datetime(2026, 11, 23, 5, 0))  # Monday early: Sunday's range is day-only
    assert not Zone("x", SQUARE).is_armed(datetime(2026, 11, 23, 23, 0))  # no schedule: never armed


def test_event_starts_after_two_frames_and_ends_after_hold() -> None:
    tracker = EventTracker("door", start_frames=2, hold_s=5.0, armed=lambda when: when.hour >= 22)
    night = datetime(2026, 11, 23, 23, 0)
    assert tracker.update(0.0, True, 0.1, [(1, 1, 8, 8)], now=night) == []  # one frame is not enough
    assert tracker.update(0.2, False, now=night) == []
    assert tracker.update(0.4, True, 0.2, [(2, 2, 8, 8)], now=night) == []
    (started,) = tracker.update(0.6, True, 0.3, [(3, 3, 8, 8)], now=night)
    assert (started.kind, started.zone, started.start, started.alarm) == ("started", "door", 0.4, True)
    assert started.peak_score == 0.3 and started.boxes == [(3, 3, 8, 8)]
    assert tracker.update(3.0, True, 0.9, [(4, 4, 8, 8)], now=night) == []  # a short gap: same event
    assert tracker.update(7.9, False, now=night) == []  # 4.9 s quiet: still holding
    (ended,) = tracker.update(8.0, False, now=night)
    assert (ended.kind, ended.start, ended.end, ended.peak_score) == ("ended", 0.4, 3.0, 0.9)
    assert ended.boxes == [(4, 4, 8, 8)] and ended.alarm
    assert tracker.update(8.2, True, now=datetime(2026, 11, 24, 12, 0)) == []
    (again,) = tracker.update(8.4, True, now=datetime(2026, 11, 24, 12, 0))
    assert not again.alarm and again.start == 8.2
    assert tracker.close()[0].kind == "ended" and tracker.close() == []
    with pytest.raises(ValueError):
        EventTracker(start_frames=0)


coords = st.integers(-20, 200)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(coords, coords), min_size=0, max_size=8))
def test_polygon_validation_never_fails_otherwise(points: list[tuple[int, int]]) -> None:
    try:
        zones = ZoneSet([Zone("z", tuple(points))], SIZE)
    except ZoneConfigError as exc:
        assert "'z'" in str(exc)
        return
    mask = zones.masks["z"]
    assert mask.shape == (120, 160) and mask.any()
    assert all(0 <= x <= 160 and 0 <= y <= 120 for x, y in points)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 2 * np.pi, allow_nan=False), min_size=3, max_size=12, unique=True),
       st.floats(20, 50), st.floats(50, 100), st.floats(50, 60))
def test_convex_polygons_inside_the_frame_are_accepted(angles: list[float], r: float, cx: float,
                                                       cy: float) -> None:
    angles = sorted(angles)
    if max(np.diff(angles + [angles[0] + 2 * np.pi])) > np.pi * 0.95:  # nearly degenerate: skip
        return
    pts = tuple((cx + r * np.cos(a), cy + r * np.sin(a)) for a in angles)
    if len({(round(x, 6), round(y, 6)) for x, y in pts}) < len(pts):
        return
    zones = ZoneSet([Zone("round", pts)], SIZE)
    assert zones.masks["round"].sum() > 0
    # The same outline drawn as a bow tie (two points swapped) is rejected when it really crosses.
    if len(pts) >= 4:
        tie = (pts[0], pts[2], pts[1], *pts[3:])
        with pytest.raises(ZoneConfigError, match="crosses itself"):
            ZoneSet([Zone("tie", tie)], SIZE)
