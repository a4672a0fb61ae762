"""A real store with accounts, alarm centre, gate log index, rules and lists, for the gate tests."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher

from console.bus import Bus
from console.config import Site, parse_site
from console.domain.roles import Role
from console.services.accounts import Accounts
from console.services.alarm_center import AlarmCenter
from console.services.audit import AuditLog
from console.services.gate_lists import GateLists
from console.services.gate_rules import GateRules
from console.services.gates import GateIndexer, GateLog
from console.services.linkage import Linkage
from console.storage.files import FileStore
from console.storage.store import Store
from drivers.base import (
    DeviceEvent,
    Direction,
    EventState,
    GatePayload,
    GateResult,
    Method,
    Priority,
    SubjectKind,
)
from tests.drivers.rig import read

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)

SITE = """
[site]
name = "示范大学 校园安全监控中心"
timezone = "Asia/Shanghai"
[[campuses]]
id = "east"
name = "东校区"
address = "学府路 1 号"
[[campuses]]
id = "west"
name = "西校区"
address = "学府路 9 号"
[[cameras]]
id = "cam-gate"
name = "东门 摄像机"
campus = "east"
main_url = "rtsp://127.0.0.1:1/none"
[[gates]]
id = "gate-east"
name = "东门 闸机"
campus = "east"
driver = "demo.scripted"
[[gates]]
id = "gate-west"
name = "西门 车闸"
campus = "west"
driver = "demo.scripted"
[[points]]
id = "east-lane-1"
device = "gate-east"
address = "1"
name = "东门 1号通道"
kind = "reader"
location = "东校区 正门"
cameras = ["cam-gate"]
[retention]
person_data_days = 30
"""


def site() -> Site:
    return parse_site(SITE, "gate-test.toml")


def gate_event(
    result: GateResult = GateResult.GRANTED,
    *,
    gate: str = "gate-east",
    at: datetime = T0,
    name: str | None = "张三",
    card: str | None = "0012345678",
    plate: str | None = None,
    subject_id: str | None = "E000123",
    direction: Direction | None = Direction.IN,
    pictures: tuple[str, ...] = (),
    point: str | None = "east-lane-1",
    kind: str | None = None,
) -> DeviceEvent:
    kinds = {GateResult.GRANTED: "gate.pass", GateResult.DENIED: "gate.denied", GateResult.INFO: "gate.door"}
    payload = GatePayload(
        result=result,
        door="1",
        direction=direction,
        subject_kind=SubjectKind.VEHICLE if plate else SubjectKind.PERSON,
        subject_id=subject_id,
        name=name,
        card=card,
        plate=plate,
        method=Method.PLATE if plate else Method.CARD,
        reason="" if result is GateResult.GRANTED else "no_right",
        pictures=pictures,
    )
    alarm = result is GateResult.ALARM
    return DeviceEvent(
        source=gate,
        kind=kind or kinds.get(result, "gate.alarm.tailgating"),
        state=EventState.ACTIVE if alarm else EventState.INFO,
        priority=Priority.SECURITY if alarm else Priority.INFO,
        summary=f"{name or plate or ''} 通行 {result.value}",
        point=point,
        received_time=at,
        payload=payload.to_payload(),
    )


class GateWorld:
    def __init__(self, data_dir: Path, hasher: PasswordHasher, **rules: Any) -> None:
        self.site = site()
        self.data_dir_path = data_dir
        self.bus = Bus()
        self.store = Store(data_dir, publish=self.bus.publish).open()
        self.audit = AuditLog(self.store)
        self.accounts = Accounts(self.store, self.audit, hasher=hasher)
        self.alarms = AlarmCenter(self.store, self.accounts, Linkage.from_site(self.site))
        self.alarms.load()
        self.indexer = GateIndexer(self.store, self.site)
        self.rules = GateRules(self.store, self.site, **rules)
        self.files = FileStore(data_dir)
        self.log = GateLog(self.store, self.accounts, self.audit, self.files, self.site)
        self.lists = GateLists(self.store, self.accounts, self.site, self.rules)
        self.accounts.create_first_admin("admin", "Admin", "admin-password")
        self.admin = self.accounts.login("admin", "admin-password")
        for username, role in (("sup", Role.SUPERVISOR), ("op", Role.OPERATOR), ("guest", Role.VIEWER)):
            self.accounts.create_user(self.admin, username, username, role, f"{username}-password")
        self.supervisor = self.accounts.login("sup", "sup-password")
        self.operator = self.accounts.login("op", "op-password")
        self.viewer = self.accounts.login("guest", "guest-password")

    def ingest(self, *events: DeviceEvent) -> list[int]:
        return [r.event_id for r in self.store.ingest_many(list(events)).result(10)]

    def settle(self) -> None:
        """Wait until jobs queued so far (and the alarm events they derived) are committed."""
        for _ in range(3):
            self.store.submit(lambda tx: None).result(10)

    def audit_rows(self, action: str) -> list[dict[str, Any]]:
        import json

        self.settle()
        rows = self.sql("SELECT actor, target, detail FROM audit WHERE action = ? ORDER BY id", (action,))
        return [{"actor": a, "target": t, **json.loads(d)} for a, t, d in rows]

    def sql(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return read(self.store, query, params)
