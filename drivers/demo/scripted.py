"""A scripted scenario for the demo site: fire alarms, faults, gate passes, a denied card, a camera
dropping out — produced through the same ingest path as real drivers."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field

from drivers.base import (
    GATE_DENIED,
    GATE_PASS,
    DeviceEvent,
    Direction,
    DriverContext,
    DriverSettings,
    EventState,
    GatePayload,
    GateResult,
    HealthState,
    Method,
    Priority,
    SubjectKind,
)


class Settings(DriverSettings):
    scenario: Literal["campus-day"] = Field("campus-day", description="Which script to play")
    speed: float = Field(1.0, ge=0.1, le=100, description="Time acceleration of the script")
    cycle_seconds: float = Field(180.0, ge=10, description="The script repeats after this many seconds")
    seed: int | None = Field(None, description="Seed for reproducible gate traffic")
    drop_cameras: list[str] = Field(default_factory=list, description="Cameras whose outage the script plays")


@dataclass(frozen=True)
class Step:
    at: float
    kind: str
    state: EventState
    priority: Priority
    summary: str
    point_index: int | None = 0


# Times are script seconds from the start of a cycle.
PANEL_SCRIPT = (
    Step(6, "fire.alarm", EventState.ACTIVE, Priority.FIRE, "感烟火灾探测器 火警"),
    Step(11, "fire.fault", EventState.ACTIVE, Priority.FAULT, "手动报警按钮 故障", 1),
    Step(15, "fire.alarm", EventState.ACTIVE, Priority.FIRE, "感烟火灾探测器 火警（重复）"),
    Step(20, "fire.supervisory", EventState.ACTIVE, Priority.SUPERVISORY, "水流指示器 监管", 2),
    Step(70, "fire.reset", EventState.CLEARED, Priority.FIRE, "控制器复位", None),
    Step(75, "fire.fault", EventState.CLEARED, Priority.FAULT, "手动报警按钮 故障恢复", 1),
)

_NAMES = ("张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄敏")


class ScriptedDriver:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._rng = random.Random(settings.seed)
        self.cycles = 0

    async def command(self, name: str, args: Mapping[str, Any]) -> Any:
        if name == "status":
            return {"scenario": self.settings.scenario, "cycles": self.cycles}
        raise ValueError(f"the demo driver has no command {name!r}")

    async def run(self, ctx: DriverContext) -> None:
        ctx.set_health(HealthState.ONLINE, "demo scenario")
        points = list(ctx.device.points.values())
        while True:
            if ctx.device.kind == "panel":
                await self._panel_cycle(ctx, points)
            else:
                await self._gate_cycle(ctx, points)
            self.cycles += 1

    async def _sleep_until(self, start: float, at: float) -> None:
        loop = asyncio.get_running_loop()
        delay = start + at / self.settings.speed - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)

    async def _panel_cycle(self, ctx: DriverContext, points: list[str]) -> None:
        start = asyncio.get_running_loop().time()
        for step in PANEL_SCRIPT:
            await self._sleep_until(start, step.at)
            point = _pick(points, step.point_index)
            await ctx.ingest(
                DeviceEvent(
                    source=ctx.device.id,
                    kind=step.kind,
                    state=step.state,
                    priority=step.priority,
                    summary=f"{ctx.device.name} {step.summary}",
                    point=point,
                    payload={"script": self.settings.scenario, "cycle": self.cycles},
                )
            )
        await self._sleep_until(start, self.settings.cycle_seconds)

    async def _gate_cycle(self, ctx: DriverContext, points: list[str]) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        denied_done = dropped = restored = False
        while (elapsed := (loop.time() - start) * self.settings.speed) < self.settings.cycle_seconds:
            if not denied_done and elapsed >= 16:
                denied_done = True
                await ctx.ingest(self._gate_event(ctx, points, denied=True))
            elif not dropped and elapsed >= 25:
                dropped = True
                for camera in self.settings.drop_cameras:
                    ctx.set_health(HealthState.OFFLINE, "no frames for 10 s (scripted)", camera)
            elif not restored and elapsed >= 45:
                restored = True
                for camera in self.settings.drop_cameras:
                    ctx.set_health(HealthState.ONLINE, "", camera)
            else:
                await ctx.ingest(self._gate_event(ctx, points, denied=False))
            await asyncio.sleep(self._rng.uniform(1.5, 4.0) / self.settings.speed)

    def _gate_event(self, ctx: DriverContext, points: list[str], *, denied: bool) -> DeviceEvent:
        direction = self._rng.choice((Direction.IN, Direction.OUT))
        card = f"{self._rng.randrange(10**9, 10**10)}"
        point = self._rng.choice(points) if points else None
        arrow = "进" if direction is Direction.IN else "出"
        if denied:
            text = "禁止名单卡 拒绝通行"
            kind, state, priority = GATE_DENIED, EventState.ACTIVE, Priority.SECURITY
            gate = GatePayload(GateResult.DENIED, direction=direction, subject_kind=SubjectKind.PERSON,
                               card=card, method=Method.CARD, reason="deny list")
        else:
            text = "刷卡通行"
            kind, state, priority = GATE_PASS, EventState.INFO, Priority.INFO
            gate = GatePayload(GateResult.GRANTED, direction=direction, subject_kind=SubjectKind.PERSON,
                               name=self._rng.choice(_NAMES), card=card, method=Method.CARD)
        return DeviceEvent(
            source=ctx.device.id,
            kind=kind,
            state=state,
            priority=priority,
            summary=f"{ctx.device.name} {text} {arrow}",
            point=point,
            payload=gate.to_payload(),
        )


def _pick(points: list[str], index: int | None) -> str | None:
    if index is None or not points:
        return None
    return points[index % len(points)]


def create(settings: Settings) -> ScriptedDriver:
    return ScriptedDriver(settings)
