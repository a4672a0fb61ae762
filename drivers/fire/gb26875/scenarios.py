"""GB/T 26875.3 UITD simulator scripts: the uploads each named scenario sends, stamped at send time."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime

from drivers.fire.gb26875.adu import ComponentState, OperatorInfo, UitdState, encode_adu
from drivers.fire.gb26875.fields import component_address
from drivers.fire.gb26875.tables import ComponentStatus, OperationFlags, UitdStatus
from drivers.fire.gb26875.timetag import encode_time

# One step builds its ADU from the send time; b"" is a heartbeat (an upload with an empty ADU).
Step = Callable[[datetime], bytes]

FIRE_SYSTEM = (1, 1)  # 火灾报警系统 1号
SMOKE_DETECTOR = 42  # 点型光电感烟火灾探测器
HEAT_DETECTOR = 31
CALL_POINT = 23  # 手动火灾报警按钮
INPUT_MODULE, OUTPUT_MODULE = 85, 86
_NORMAL = ComponentStatus.NORMAL


def component(kind: int, zone: int, number: int, status: ComponentStatus, description: str = "") -> Step:
    def build(now: datetime) -> bytes:
        return encode_adu([ComponentState(
            system_type=FIRE_SYSTEM[0], system_addr=FIRE_SYSTEM[1], component_type=kind,
            component_addr=component_address(zone, number), status=status, description=description,
            time_raw=encode_time(now),
        )])
    return build


def operation(flags: OperationFlags, operator: int = 1) -> Step:
    def build(now: datetime) -> bytes:
        return encode_adu([OperatorInfo(system_type=FIRE_SYSTEM[0], system_addr=FIRE_SYSTEM[1], flags=flags,
                                        operator=operator, time_raw=encode_time(now))])
    return build


def uitd_state(status: UitdStatus) -> Step:
    def build(now: datetime) -> bytes:
        return encode_adu([UitdState(status=status, time_raw=encode_time(now))])
    return build


def heartbeat(now: datetime) -> bytes:
    return b""


def dorm_fire(rng: random.Random) -> list[Step]:
    """A smoke detector in a dormitory room, then the corridor detector, then the panel is reset."""
    room = (SMOKE_DETECTOR, 3, 12, "3号宿舍楼2层201室")
    corridor = (SMOKE_DETECTOR, 3, 13, "3号宿舍楼2层走廊")
    return [
        component(*room[:3], ComponentStatus.FIRE | _NORMAL, room[3]),
        component(*corridor[:3], ComponentStatus.FIRE | _NORMAL, corridor[3]),
        operation(OperationFlags.SILENCE),
        operation(OperationFlags.RESET),
        component(*room[:3], _NORMAL, room[3]),
        component(*corridor[:3], _NORMAL, corridor[3]),
    ]


def fault_storm(rng: random.Random, count: int = 24) -> list[Step]:
    """Many parts report faults (a loop short, say), then each is restored in a different order."""
    kinds = (SMOKE_DETECTOR, HEAT_DETECTOR, CALL_POINT, INPUT_MODULE, OUTPUT_MODULE)
    parts = [(rng.choice(kinds), rng.randint(1, 20), n) for n in range(1, count + 1)]
    faults = [component(k, z, n, ComponentStatus.FAULT | _NORMAL, f"{z}区{n}号") for k, z, n in parts]
    rng.shuffle(parts)
    return faults + [component(k, z, n, _NORMAL, f"{z}区{n}号") for k, z, n in parts]


def drill(rng: random.Random) -> list[Step]:
    """A fire drill: the panel in test, a manual call point pressed (bit 0 clear = 测试), reset."""
    point = (CALL_POINT, 1, 5)
    return [
        operation(OperationFlags.TEST, operator=2),
        component(*point, ComponentStatus.FIRE, "1号教学楼1层手动报警按钮"),
        operation(OperationFlags.RESET, operator=2),
        component(*point, _NORMAL, "1号教学楼1层手动报警按钮"),
    ]


def mains_failure(rng: random.Random) -> list[Step]:
    """The UITD's own mains supply fails (type 21, bit 3) and comes back."""
    return [uitd_state(UitdStatus.MAINS_FAULT | UitdStatus.NORMAL), uitd_state(UitdStatus.NORMAL)]


def reset(rng: random.Random) -> list[Step]:
    return [operation(OperationFlags.RESET)]


def heartbeats(rng: random.Random) -> list[Step]:
    return [heartbeat, heartbeat, heartbeat]


SCENARIOS: dict[str, Callable[[random.Random], list[Step]]] = {
    "dorm-fire": dorm_fire,
    "fault-storm": fault_storm,
    "drill": drill,
    "mains-failure": mains_failure,
    "reset": reset,
    "heartbeat": heartbeats,
}
