"""Simulator scenarios as pure functions: device events and their ISAPI renderings (JSON, XML, JPEG)."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from xml.sax.saxutils import escape

from drivers.gates.hikvision.events import device_text

SCENARIOS = ("morning-rush", "tailgating", "forced-door", "banned-plate", "reboot")
DEVICE_OFFSET = timedelta(hours=8)  # the simulated device runs on China Standard Time
XMLNS = "http://www.hikvision.com/ver20/XMLSchema"

PEOPLE = (("1001", "张伟", "3149001001"), ("1002", "王芳", "3149001002"), ("1003", "李娜", "3149001003"),
          ("1004", "刘洋", "3149001004"), ("2001", "陈静", "3149002001"), ("2002", "赵磊", "3149002002"))


@dataclass(frozen=True, slots=True)
class SimEvent:
    """One thing the simulated device records. ``serial`` orders access-control events like serialNo."""

    serial: int
    time: datetime  # UTC
    major: int = 5
    minor: int = 0x4B
    door: int = 1
    employee: str | None = None
    name: str | None = None
    card: str | None = None
    pictures: int = 0
    plate: str | None = None  # set for ANPR events
    list_name: str = "otherList"
    direction: str = "forward"
    uuid: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def is_anpr(self) -> bool:
        return self.plate is not None


def _acs(serial: int, at: datetime, minor: int, person: tuple[str, str, str] | None, door: int,
         major: int = 5, pictures: int = 0) -> SimEvent:
    employee, name, card = person if person else ("", "", "")
    return SimEvent(serial, at, major, minor, door, employee or None, name or None, card or None, pictures)


def scenario_events(name: str, rng: random.Random, start: datetime, first_serial: int, count: int,
                    step: timedelta = timedelta(seconds=1)) -> list[SimEvent]:
    """``count`` events of scenario ``name`` from ``start``, one per ``step``, serials counting up."""
    if name not in SCENARIOS:
        raise ValueError(f"unknown scenario {name!r} (known: {', '.join(SCENARIOS)})")
    out: list[SimEvent] = []
    for i in range(count):
        serial, at = first_serial + i, start + step * i
        door = 1 + (i % 2)
        person = rng.choice(PEOPLE)
        if name in ("morning-rush", "reboot"):
            roll = rng.random()
            if roll < 0.6:
                out.append(_acs(serial, at, 0x4B, person, door, pictures=1))  # face granted
            elif roll < 0.75:
                out.append(_acs(serial, at, 0x01, person, door))  # card granted
            elif roll < 0.82:
                unknown_card = ("", "", f"99{rng.randrange(10**8):08d}")
                out.append(_acs(serial, at, 0x09, unknown_card, door))  # no such card
            elif roll < 0.88:
                out.append(_acs(serial, at, 0x08, person, door))  # expired card
            elif roll < 0.94:
                out.append(_acs(serial, at, 0x4C, None, door, pictures=1))  # stranger, face failed
            else:
                out.append(_acs(serial, at, 0x07, person, door))  # outside the allowed time
        elif name == "tailgating":
            cycle = (0x4B, 0x85, 0x01, 0x86, 0x4B, 0x8C, 0x8D)
            minor = cycle[i % len(cycle)]
            who = person if minor in (0x4B, 0x01) else None
            out.append(_acs(serial, at, minor, who, door, pictures=1 if minor == 0x4B else 0))
        elif name == "forced-door":
            cycle = ((5, 0x1B), (5, 0x1C), (5, 0x87), (5, 0x88), (5, 0x34), (5, 0x35), (1, 0x404), (1, 0x405))
            major, minor = cycle[i % len(cycle)]
            out.append(_acs(serial, at, minor, None, door, major=major))
        else:  # banned-plate
            plates = (("京A12345", "blackList"), ("粤B D12345", "whiteList"), ("沪C88888", "allowList"),
                      ("unknown", "otherList"), ("苏E54321", "blockList"), ("浙A1234学", "otherList"))
            plate, list_name = plates[i % len(plates)]
            out.append(SimEvent(serial, at, plate=plate, list_name=list_name, door=1,
                                direction="forward" if i % 3 else "reverse", pictures=2))
    return out


# -- renderings ------------------------------------------------------------------------------------
def acs_json(ev: SimEvent, ip: str = "192.168.1.64") -> bytes:
    """The alertStream / event_log JSON of an access-control event."""
    inner: dict[str, Any] = {
        "deviceName": "Main Gate", "majorEventType": ev.major, "subEventType": ev.minor,
        "cardReaderNo": ev.door, "doorNo": ev.door, "serialNo": ev.serial, "currentVerifyMode": "cardOrFace",
        "attendanceStatus": "undefined", "mask": "no", "picturesNumber": ev.pictures,
    }
    if ev.name:
        inner["name"] = ev.name
    if ev.employee:
        inner["employeeNoString"] = ev.employee
        inner["userType"] = "normal"
    if ev.card:
        inner["cardNo"] = ev.card
    envelope = {
        "ipAddress": ip, "portNo": 80, "protocol": "HTTP", "macAddress": "44:19:b6:00:00:01", "channelID": 1,
        "dateTime": device_text(ev.time, DEVICE_OFFSET), "activePostCount": 1,
        "eventType": "AccessControllerEvent", "eventState": "active",
        "eventDescription": "Access Controller Event",
        "AccessControllerEvent": inner,
    }
    return json.dumps(envelope, ensure_ascii=False, indent=1).encode()  # multi-line, as devices send it


def acs_record(ev: SimEvent) -> dict[str, Any]:
    """The AcsEvent search row of an access-control event."""
    row: dict[str, Any] = {"major": ev.major, "minor": ev.minor, "time": device_text(ev.time, DEVICE_OFFSET),
                           "doorNo": ev.door, "serialNo": ev.serial, "type": 0,
                           "currentVerifyMode": "cardOrFace", "mask": "no"}
    for key, value in (("name", ev.name), ("employeeNoString", ev.employee), ("cardNo", ev.card)):
        if value:
            row[key] = value
    return row


def anpr_xml(ev: SimEvent, *, namespace: bool = True) -> bytes:
    """An ANPR EventNotificationAlert (with the ver20 namespace, or without, as older firmware sends)."""
    ns = f' version="2.0" xmlns="{XMLNS}"' if namespace else ""
    pictures = "".join(
        f"<pictureInfo><fileName>{n}</fileName><type>{t}</type></pictureInfo>"
        for n, t in (("licensePlatePicture.jpg", "licensePlatePicture"),
                     ("vehiclePicture.jpg", "vehiclePicture"))
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<EventNotificationAlert{ns}>\n'
        f"<ipAddress>192.168.1.65</ipAddress><portNo>80</portNo><protocol>HTTP</protocol>"
        f"<macAddress>44:19:b6:00:00:02</macAddress><channelID>1</channelID>\n"
        f"<dateTime>{device_text(ev.time, DEVICE_OFFSET)}</dateTime><activePostCount>1</activePostCount>"
        f"<eventType>ANPR</eventType><eventState>active</eventState><eventDescription>ANPR</eventDescription>\n"
        f"<channelName>Barrier East</channelName>\n<ANPR><country>3</country>"
        f"<licensePlate>{escape(ev.plate or 'unknown')}</licensePlate><line>{ev.door}</line>"
        f"<direction>{ev.direction}</direction><confidenceLevel>97</confidenceLevel>"
        f"<plateType>{'newEnergy' if len((ev.plate or '').replace(' ', '')) == 8 else 'unknown'}</plateType>"
        f"<plateColor>{'green' if len((ev.plate or '').replace(' ', '')) == 8 else 'blue'}</plateColor>"
        f"<licenseBright>0</licenseBright><vehicleType>vehicle</vehicleType>"
        f"<vehicleInfo><index>1</index><vehicleType>0</vehicleType><color>white</color>"
        f"<vehicleLogoRecog>1036</vehicleLogoRecog><vehileModel>0</vehileModel></vehicleInfo>"
        f"<vehicleListName>{ev.list_name}</vehicleListName><pictureInfoList>{pictures}</pictureInfoList>"
        f"</ANPR>\n<UUID>{ev.uuid}</UUID><picNum>{ev.pictures}</picNum>\n</EventNotificationAlert>\n"
    ).encode()


def keepalive_xml() -> bytes:
    """What cameras and NVRs send between events: a videoloss alert that is inactive."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<EventNotificationAlert version="2.0" xmlns="{XMLNS}">'
        "<ipAddress>192.168.1.64</ipAddress><portNo>80</portNo><protocol>HTTP</protocol>"
        "<channelID>1</channelID><dateTime>1970-01-01T00:00:00+08:00</dateTime><activePostCount>0</activePostCount>"
        "<eventType>videoloss</eventType><eventState>inactive</eventState>"
        "<eventDescription>videoloss alarm</eventDescription></EventNotificationAlert>\n"
    ).encode()


def fake_jpeg(rng: random.Random, size: int = 600) -> bytes:
    """JPEG-framed bytes (SOI, a JFIF APP0, noise, EOI): enough for storage and hashing tests."""
    body = bytes(rng.randrange(256) for _ in range(size))
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + body + b"\xff\xd9"


def render_part(boundary: str, content_type: str, data: bytes, *, length: int | None | bool = True,
                extra: Mapping[str, str] | None = None) -> bytes:
    """One alertStream part; ``length``: True = right Content-Length, False = none, int = that value."""
    lines = [f"--{boundary}", f"Content-Type: {content_type}"]
    for key, value in (extra or {}).items():
        lines.append(f"{key}: {value}")
    if length is True:
        lines.append(f"Content-Length: {len(data)}")
    elif length is not False and length is not None:
        lines.append(f"Content-Length: {int(length)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data + b"\r\n"


def stream_parts(ev: SimEvent, boundary: str, rng: random.Random, *, drop_length: bool = False) -> bytes:
    """The parts an event becomes on the alertStream: its body, then its pictures."""
    length: bool = not drop_length
    if ev.is_anpr:
        out = render_part(boundary, 'application/xml; charset="UTF-8"', anpr_xml(ev), length=length)
        names = ("licensePlatePicture.jpg", "vehiclePicture.jpg")
        for i in range(ev.pictures):
            disposition = {"Content-Disposition": f'attachment; filename="{names[i % 2]}"'}
            out += render_part(boundary, "image/jpeg", fake_jpeg(rng), length=length, extra=disposition)
        return out
    out = render_part(boundary, "application/json; charset=UTF-8", acs_json(ev), length=length)
    for _ in range(ev.pictures):
        out += render_part(boundary, "image/jpeg", fake_jpeg(rng), length=length)
    return out
