"""Scripted Dahua event sequences for the simulator: morning rush, forced door, banned plate, reboot."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["SCENARIOS", "SimEvent", "build"]


@dataclass(frozen=True, slots=True)
class SimEvent:
    """One event as the device would send it."""

    code: str
    action: str = "Pulse"
    index: int = 0
    data: dict[str, Any] = field(default_factory=dict)


_NAMES = ("张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄强", "周婷", "吴昊")
_PLATES_ALLOW = ("京A12345", "沪B7G2K9", "粤BD12345", "苏E88888")  # 粤BD12345: an 8-character 新能源 plate
_PLATES_OTHER = ("浙A3M5P7", "川A66B88")
_PLATE_BLOCK = "鲁C4X0Z1"


def _person(i: int, utc: int, rng: random.Random) -> SimEvent:
    user = 1000 + rng.randrange(200)
    face = rng.random() < 0.7
    denied = rng.random() < 0.12
    error = rng.choice((0x10, 0x14, 0x12, 0x61)) if denied else 0
    return SimEvent("AccessControl", "Pulse", 0, {
        "CardName": _NAMES[user % len(_NAMES)],
        "CardNo": "" if face else f"{0xA0000000 + user:08X}",
        "CardType": 0,
        "Door": i % 2,
        "ErrorCode": error,
        "Method": 15 if face else 1,
        "ReaderID": str(1 + i % 2),
        "Similarity": rng.randrange(80, 99) if face else 0,
        "Status": 0 if denied else 1,
        "Type": "Entry" if i % 2 == 0 else "Exit",
        "UTC": utc,
        "UserID": str(user),
        "UserType": 0,
    })


def _car(utc: int, plate: str, list_name: str | None, lane: int = 1, colour: str = "Blue") -> SimEvent:
    car: dict[str, Any] = {"PlateNumber": plate, "PlateColor": colour, "PlateType": "Normal", "Lane": lane,
                           "VehicleColor": "White", "Speed": 8, "DrivingDirection": ["Approach", "", ""]}
    if list_name is not None:
        car["TrafficListName"] = list_name
    return SimEvent("TrafficJunction", "Pulse", 0, {
        "Object": {"ObjectType": "Plate", "Text": plate},
        "TrafficCar": car,
        "UTC": utc,
        "UTCMS": 120,
    })


def morning_rush(start_utc: int, count: int, rng: random.Random) -> list[SimEvent]:
    out: list[SimEvent] = []
    for i in range(count):
        utc = start_utc + i
        if i % 7 == 6:
            plate = rng.choice(_PLATES_ALLOW)
            out.append(_car(utc, plate, "TrafficRedList", colour="Green" if len(plate) == 8 else "Blue"))
        else:
            out.append(_person(i, utc, rng))
    return out


def forced_door(start_utc: int, count: int, rng: random.Random) -> list[SimEvent]:
    script = [
        SimEvent("DoorStatus", "Pulse", 1, {"Status": "Open", "UTC": start_utc}),
        SimEvent("BreakIn", "Start", 1, {"Name": "Door2", "UTC": start_utc + 1}),
        SimEvent("DoorNotClosed", "Start", 1, {"Name": "Door2", "UTC": start_utc + 30}),
        SimEvent("DoorNotClosed", "Stop", 1, {"Name": "Door2", "UTC": start_utc + 95}),
        SimEvent("BreakIn", "Stop", 1, {"Name": "Door2", "UTC": start_utc + 96}),
        SimEvent("DoorStatus", "Pulse", 1, {"Status": "Close", "UTC": start_utc + 96}),
    ]
    return _fill(script, start_utc + 100, count, rng)


def banned_plate(start_utc: int, count: int, rng: random.Random) -> list[SimEvent]:
    script = [
        _car(start_utc, _PLATES_ALLOW[0], "TrafficRedList"),
        _car(start_utc + 1, _PLATES_OTHER[0], None),
        _car(start_utc + 2, _PLATE_BLOCK, "TrafficBlackList", lane=2),
        _car(start_utc + 3, "unknown", None, lane=2),
    ]
    return _fill(script, start_utc + 4, count, rng)


def reboot(start_utc: int, count: int, rng: random.Random) -> list[SimEvent]:
    return morning_rush(start_utc, count, rng)


def _fill(script: list[SimEvent], next_utc: int, count: int, rng: random.Random) -> list[SimEvent]:
    """The script, then morning traffic up to ``count`` events (or the script cut to ``count``)."""
    if count <= len(script):
        return script[:count]
    return script + morning_rush(next_utc, count - len(script), rng)


SCENARIOS: dict[str, tuple[Callable[[int, int, random.Random], list[SimEvent]], int]] = {
    "morning-rush": (morning_rush, 30),
    "forced-door": (forced_door, 6),
    "banned-plate": (banned_plate, 4),
    "reboot": (reboot, 10),
}


def build(name: str, start_utc: int, count: int | None = None, seed: int = 7) -> list[SimEvent]:
    """The events of scenario ``name`` (its default length unless ``count``), times from ``start_utc``."""
    make, default = SCENARIOS[name]
    return make(start_utc, default if count is None else count, random.Random(seed))
