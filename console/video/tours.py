"""Tours (轮巡): named sequences of wall layouts or cameras with dwell times. Pure logic, no Qt, no clock.

A tour is a list of steps; each step shows a layout (a tile count) with some cameras in front, for its
dwell time. ``TourRunner`` says which step is due at a given time; it is paused while an alarm needs
attention (the officer's wall must not rotate away from it) and resumes where it stopped, the interrupted
step getting its full dwell time again. Tours are kept as JSON (in the UI settings), with a built-in
default, "all cameras, 10 s", when none is stored.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

DEFAULT_DWELL_S = 10.0
MIN_DWELL_S = 1.0
DEFAULT_TOUR_NAME = "all cameras"


class TourError(ValueError):
    """A stored tour that cannot be used (shown to the user, and the tour skipped)."""


@dataclass(frozen=True, slots=True)
class TourStep:
    """Show ``layout`` tiles (None: keep the layout) with ``cameras`` first, for ``dwell_s`` seconds."""

    cameras: tuple[str, ...] = ()
    layout: int | None = None
    dwell_s: float = DEFAULT_DWELL_S


@dataclass(frozen=True, slots=True)
class Tour:
    name: str
    steps: tuple[TourStep, ...]

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise TourError("a tour needs a name")
        if not self.steps:
            raise TourError(f"tour {self.name!r} has no steps")
        for step in self.steps:
            if step.dwell_s < MIN_DWELL_S:
                raise TourError(f"tour {self.name!r}: dwell times must be at least {MIN_DWELL_S:g} s")


def default_tour(camera_ids: Sequence[str], dwell_s: float = DEFAULT_DWELL_S) -> Tour:
    """Every camera in turn, alone on the wall, for ``dwell_s`` each."""
    steps = tuple(TourStep((cid,), 1, dwell_s) for cid in camera_ids) or (TourStep((), None, dwell_s),)
    return Tour(DEFAULT_TOUR_NAME, steps)


def page_tour(name: str, camera_ids: Sequence[str], layout: int, dwell_s: float = DEFAULT_DWELL_S) -> Tour:
    """The cameras a page of ``layout`` tiles at a time."""
    pages = [tuple(camera_ids[i : i + layout]) for i in range(0, len(camera_ids), layout)] or [()]
    return Tour(name, tuple(TourStep(page, layout, dwell_s) for page in pages))


# -- JSON ------------------------------------------------------------------------------------------------
def tour_to_dict(tour: Tour) -> dict[str, Any]:
    return {"name": tour.name, "steps": [
        {"cameras": list(s.cameras), "layout": s.layout, "dwell_s": s.dwell_s} for s in tour.steps
    ]}


def tour_from_dict(
    data: Any, layouts: Iterable[int] | None = None, known: Iterable[str] | None = None
) -> Tour:
    """Validate one stored tour. Unknown cameras are dropped (the site may have changed), not fatal."""
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        raise TourError("a tour is an object with a name and steps")
    allowed = set(layouts) if layouts is not None else None
    cameras_known = set(known) if known is not None else None
    steps = []
    for raw in data.get("steps") or []:
        if not isinstance(raw, dict):
            raise TourError(f"tour {data['name']!r}: a step is an object")
        cameras = raw.get("cameras") or []
        if not isinstance(cameras, list) or not all(isinstance(c, str) for c in cameras):
            raise TourError(f"tour {data['name']!r}: cameras is a list of camera ids")
        if cameras_known is not None:
            cameras = [c for c in cameras if c in cameras_known]
        layout = raw.get("layout")
        bad_layout = not isinstance(layout, int) or (allowed is not None and layout not in allowed)
        if layout is not None and bad_layout:
            raise TourError(f"tour {data['name']!r}: unknown layout {layout!r}")
        dwell = raw.get("dwell_s", DEFAULT_DWELL_S)
        if not isinstance(dwell, int | float) or isinstance(dwell, bool):
            raise TourError(f"tour {data['name']!r}: dwell_s is a number of seconds")
        steps.append(TourStep(tuple(cameras), layout, float(dwell)))
    return Tour(data["name"], tuple(steps))


def dumps_tours(tours: Iterable[Tour]) -> str:
    return json.dumps({"tours": [tour_to_dict(t) for t in tours]}, ensure_ascii=False, indent=1)


def loads_tours(
    text: str | None, layouts: Iterable[int] | None = None, known: Iterable[str] | None = None
) -> tuple[list[Tour], list[str]]:
    """Tours stored as JSON, and the problems of the ones skipped. Empty or missing text: no tours."""
    if not text or not text.strip():
        return [], []
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return [], [f"tours are not valid JSON: {exc}"]
    items = data.get("tours") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return [], ["tours: expected an object with a list 'tours'"]
    layouts = list(layouts) if layouts is not None else None
    known = list(known) if known is not None else None
    tours, problems = [], []
    for item in items:
        try:
            tours.append(tour_from_dict(item, layouts, known))
        except TourError as exc:
            problems.append(str(exc))
    return tours, problems


# -- running ---------------------------------------------------------------------------------------------
@dataclass
class TourRunner:
    """Which step of a tour is due. Times are seconds on any monotonic clock, passed in by the caller."""

    tour: Tour
    index: int = 0
    running: bool = False
    paused: bool = False
    _due: float | None = field(default=None, repr=False)  # when the current step ends

    @property
    def step(self) -> TourStep:
        return self.tour.steps[self.index]

    def start(self, now: float) -> TourStep:
        """Begin at the first step (to be shown now)."""
        self.index, self.running, self.paused = 0, True, False
        self._due = now + self.step.dwell_s
        return self.step

    def stop(self) -> None:
        self.running, self.paused, self._due = False, False, None

    def pause(self) -> None:
        """An alarm needs attention: hold the current picture until ``resume``."""
        if self.running:
            self.paused = True
            self._due = None

    def resume(self, now: float) -> None:
        """Carry on from the step shown when the tour paused, with its full dwell time."""
        if self.running and self.paused:
            self.paused = False
            self._due = now + self.step.dwell_s

    def remaining(self, now: float) -> float | None:
        """Seconds until the next step; None when stopped or paused."""
        return None if self._due is None else max(0.0, self._due - now)

    def advance(self, now: float) -> TourStep | None:
        """The step to show now if the current one has run out (after a long sleep, only the newest), else
        None. Never advances while paused or stopped."""
        if not self.running or self.paused or self._due is None or now < self._due:
            return None
        while now >= self._due:  # a machine that slept: skip the steps whose time passed unseen
            self.index = (self.index + 1) % len(self.tour.steps)
            self._due += self.step.dwell_s
        return self.step
