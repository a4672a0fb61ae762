"""The GB 25506 procedure: steps in order with times, stored and audited, refused to a viewer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from console.config import parse_site
from console.domain.fire_procedure import (
    STEPS,
    CallDetails,
    Outcome,
    Procedure,
    ProcedureError,
    Step,
    advance,
)
from console.domain.roles import PermissionDenied, Role
from console.services.accounts import Accounts
from console.services.alarm_center import AlarmCenter
from console.services.audit import AuditLog, verify_chain
from console.services.fire_procedure import FIRE_PROCEDURE_STEP, FireProcedures
from console.services.linkage import Linkage
from console.storage.store import Store
from drivers.base import DeviceEvent, EventState, Priority

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
SITE = """
[site]
name = "示范大学 校园安全监控中心"
[[campuses]]
id = "east"
name = "东校区"
address = "学府路 1 号"
[[panels]]
id = "fas-1"
name = "3号宿舍楼 火灾报警控制器"
campus = "east"
driver = "demo.scripted"
[[points]]
id = "smoke-412"
device = "fas-1"
address = "1-4-12"
name = "感烟探测器 412室"
kind = "detector"
location = "3号宿舍楼 4层 412室"
"""


def test_steps_go_in_order_each_stamped() -> None:
    procedure = Procedure(7)
    assert procedure.next_step is Step.CONFIRM and not procedure.complete
    with pytest.raises(ProcedureError, match="in order"):
        advance(procedure, Step.CALL_119, Outcome.DONE, "li", T0)
    for minute, step in enumerate(STEPS):
        procedure, record = advance(procedure, step, Outcome.DONE, "li", T0 + timedelta(minutes=minute))
        assert (record.step, record.time, record.actor) == (step, T0 + timedelta(minutes=minute), "li")
    assert procedure.complete and procedure.next_step is None
    assert [r.step for r in procedure.records] == list(STEPS)
    with pytest.raises(ProcedureError, match="complete"):
        advance(procedure, Step.NOTIFY, Outcome.DONE, "li", T0)


def test_a_skipped_step_needs_a_reason_and_times_never_go_back() -> None:
    procedure, _ = advance(Procedure(1), Step.CONFIRM, Outcome.DONE, "li", T0)
    with pytest.raises(ProcedureError, match="reason"):
        advance(procedure, Step.LINKAGE_AUTO, Outcome.SKIPPED, "li", T0, "  ")
    with pytest.raises(ProcedureError, match="before"):
        advance(procedure, Step.LINKAGE_AUTO, Outcome.DONE, "li", T0 - timedelta(seconds=1))
    procedure, record = advance(procedure, Step.LINKAGE_AUTO, Outcome.SKIPPED, "li", T0, " 联动已在自动 ")
    assert record.outcome is Outcome.SKIPPED and record.note == "联动已在自动"
    assert procedure.record_of(Step.LINKAGE_AUTO) == record and procedure.record_of(Step.NOTIFY) is None


def test_call_details_name_what_is_missing() -> None:
    details = CallDetails("学府路 1 号", "412室", caller="李")
    assert details.missing() == ["burning", "extent"]
    assert "燃烧物：被褥" in CallDetails("a", "b", "被褥", "一间", "c").note()


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=30)
        return self.now


class World:
    def __init__(self, data_dir: Path, hasher: PasswordHasher) -> None:
        site = parse_site(SITE, "site.toml")
        self.store = Store(data_dir).open()
        self.accounts = Accounts(self.store, AuditLog(self.store), hasher=hasher)
        self.alarms = AlarmCenter(self.store, self.accounts, Linkage.from_site(site))
        self.alarms.load()
        self.clock = Clock()
        self.procedures = FireProcedures(self.store, self.accounts, site, clock=self.clock)
        self.accounts.create_first_admin("admin", "Admin", "admin-password")
        admin = self.accounts.login("admin", "admin-password")
        self.accounts.create_user(admin, "li", "值班员 李", Role.OPERATOR, "operator-pw")
        self.accounts.create_user(admin, "guest", "访客", Role.VIEWER, "viewer-pass")
        self.operator = self.accounts.login("li", "operator-pw")
        self.viewer = self.accounts.login("guest", "viewer-pass")

    def raise_alarm(self, kind: str = "fire.alarm", priority: Priority = Priority.FIRE) -> int:
        event = DeviceEvent(source="fas-1", kind=kind, state=EventState.ACTIVE, priority=priority,
                            summary="感烟火灾探测器 火警", point="smoke-412")
        self.store.ingest(event).result(5)
        return next(a.id for a in self.alarms.open_alarms() if a.kind == kind)

    def audit_rows(self) -> list[tuple[str, str, str, str]]:
        conn = self.store.reader()
        try:
            return conn.execute("SELECT actor, action, target, detail FROM audit WHERE action = ?",
                                (FIRE_PROCEDURE_STEP,)).fetchall()
        finally:
            conn.close()


@pytest.fixture
def world(data_dir: Path, fast_hasher: PasswordHasher) -> Iterator[World]:
    w = World(data_dir, fast_hasher)
    yield w
    w.store.close()


def test_steps_are_stored_with_time_and_officer_and_audited(world: World) -> None:
    alarm_id = world.raise_alarm()
    first = world.procedures.record(world.operator, alarm_id, Step.CONFIRM, note="摄像机确认").result(5)
    skip = world.procedures.record(world.operator, alarm_id, Step.LINKAGE_AUTO, Outcome.SKIPPED, "已在自动")
    skip.result(5)
    stored = world.procedures.procedure(alarm_id)
    assert [(r.step, r.outcome, r.actor) for r in stored.records] == [
        (Step.CONFIRM, Outcome.DONE, "li"), (Step.LINKAGE_AUTO, Outcome.SKIPPED, "li")]
    assert stored.records[0].time == first.time == T0 + timedelta(seconds=30)
    assert stored.records[1].time > stored.records[0].time and stored.next_step is Step.CALL_119
    rows = world.audit_rows()
    assert [(actor, target) for actor, _, target, _ in rows] == [("li", f"alarm:{alarm_id}")] * 2
    assert json.loads(rows[1][3]) == {"step": "linkage_auto", "outcome": "skipped", "note": "已在自动"}
    conn = world.store.reader()
    try:
        assert verify_chain(conn).ok
    finally:
        conn.close()


def test_out_of_order_steps_are_refused_in_the_writer_and_not_stored(world: World) -> None:
    alarm_id = world.raise_alarm()
    with pytest.raises(ProcedureError, match="in order"):
        world.procedures.record(world.operator, alarm_id, Step.CALL_119).result(5)
    world.procedures.record(world.operator, alarm_id, Step.CONFIRM).result(5)
    with pytest.raises(ProcedureError):  # a second officer recording the same step loses the race
        world.procedures.record(world.operator, alarm_id, Step.CONFIRM).result(5)
    assert len(world.procedures.procedure(alarm_id).records) == 1
    assert len(world.audit_rows()) == 1


def test_a_viewer_is_refused_and_the_refusal_audited(world: World) -> None:
    alarm_id = world.raise_alarm()
    with pytest.raises(PermissionDenied):
        world.procedures.record(world.viewer, alarm_id, Step.CONFIRM)
    assert world.procedures.procedure(alarm_id).records == ()
    conn = world.store.reader()
    try:
        denied = conn.execute("SELECT actor FROM audit WHERE action = 'permission_denied'").fetchall()
    finally:
        conn.close()
    assert denied == [("guest",)]


def test_only_fire_alarms_take_the_procedure(world: World) -> None:
    fault_id = world.raise_alarm("fire.fault", Priority.FAULT)
    with pytest.raises(ProcedureError, match="fire alarms only"):
        world.procedures.record(world.operator, fault_id, Step.CONFIRM).result(5)
    with pytest.raises(ProcedureError, match="no alarm"):
        world.procedures.record(world.operator, 999, Step.CONFIRM).result(5)


def test_call_details_take_the_campus_address_from_the_site(world: World) -> None:
    alarm_id = world.raise_alarm()
    alarm = world.alarms.get(alarm_id)
    assert alarm is not None
    details = world.procedures.call_details(alarm, "值班员 李")
    assert details.address == "学府路 1 号（东校区）"
    assert details.location == "3号宿舍楼 4层 412室"
    assert details.caller == "示范大学 校园安全监控中心 值班员 李"


def test_recent_fire_events_carry_payloads(world: World) -> None:
    world.raise_alarm()
    world.store.ingest(DeviceEvent(source="gate-1", kind="gate.pass", state=EventState.INFO,
                                   priority=Priority.INFO, summary="通行")).result(5)
    (row,) = world.procedures.recent_fire_events(10)
    assert row["kind"] == "fire.alarm" and row["payload"] == {}
