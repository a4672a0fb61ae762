"""The alarm centre on a real store: raise, fold, clear, officer actions with roles and audit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from console.bus import Bus
from console.domain.alarms import AlarmAction, AlarmStatus, AlarmTransitionError, Disposition
from console.domain.messages import AlarmChanged, AlarmsSilenced
from console.domain.roles import PermissionDenied, Role
from console.domain.session import Session
from console.services.accounts import Accounts
from console.services.alarm_center import AlarmCenter
from console.services.audit import AuditLog, verify_chain
from console.services.linkage import Linkage, LinkTarget
from console.storage.store import Store
from drivers.base import DeviceEvent, EventState, Priority


class World:
    def __init__(self, data_dir: Path, hasher: PasswordHasher) -> None:
        self.bus = Bus()
        self.messages: list[object] = []
        self.bus.subscribe(object, self.messages.append)
        self.store = Store(data_dir, publish=self.bus.publish).open()
        self.accounts = Accounts(self.store, AuditLog(self.store), hasher=hasher)
        linkage = Linkage({"smoke-412": LinkTarget(("cam-corridor",), "3号楼 412室")}, {})
        self.alarms = AlarmCenter(self.store, self.accounts, linkage)
        self.alarms.load()
        self.accounts.create_first_admin("admin", "Admin", "admin-password")
        admin = self.accounts.login("admin", "admin-password")
        self.accounts.create_user(admin, "li", "李值班", Role.OPERATOR, "operator-pw")
        self.accounts.create_user(admin, "guest", "访客", Role.VIEWER, "viewer-pass")
        self.operator = self.accounts.login("li", "operator-pw")
        self.viewer = self.accounts.login("guest", "viewer-pass")

    def raise_event(
        self,
        kind: str = "fire.alarm",
        point: str | None = "smoke-412",
        state: EventState = EventState.ACTIVE,
        priority: Priority = Priority.FIRE,
        source: str = "fas-1",
    ) -> int:
        event = DeviceEvent(
            source=source, kind=kind, state=state, priority=priority, summary=kind, point=point
        )
        return self.store.ingest(event).result(5).event_id


@pytest.fixture
def world(data_dir: Path, fast_hasher: PasswordHasher) -> Iterator[World]:
    w = World(data_dir, fast_hasher)
    yield w
    w.store.close()


def test_fire_raises_alarm_with_linkage_and_folds_repeats(world: World) -> None:
    world.raise_event()
    world.raise_event()
    (alarm,) = world.alarms.open_alarms()
    assert alarm.count == 2 and alarm.cameras == ("cam-corridor",) and alarm.location == "3号楼 412室"
    changes = [m.change for m in world.messages if isinstance(m, AlarmChanged)]
    assert changes == ["raised", "folded"]


def test_officer_flow_is_audited_and_fire_needs_reset(world: World) -> None:
    world.raise_event()
    (alarm,) = world.alarms.open_alarms()
    world.alarms.act(world.operator, alarm.id, AlarmAction.ACKNOWLEDGE).result(5)
    world.alarms.act(world.operator, alarm.id, AlarmAction.START, note="赶往现场").result(5)
    with pytest.raises(AlarmTransitionError, match="reset"):
        world.alarms.act(
            world.operator, alarm.id, AlarmAction.CLOSE, disposition=Disposition.FALSE_ALARM
        ).result(5)
    world.raise_event(kind="fire.reset", point=None, state=EventState.CLEARED)
    assert world.alarms.get(alarm.id).cleared  # type: ignore[union-attr]
    closed = world.alarms.act(
        world.operator, alarm.id, AlarmAction.CLOSE, "烟雾来自做饭", Disposition.FALSE_ALARM
    ).result(5)
    assert closed.status is AlarmStatus.CLOSED and world.alarms.open_alarms() == []
    conn = world.store.reader()
    actions = [r[0] for r in conn.execute("SELECT action FROM audit WHERE actor = 'li' ORDER BY id")]
    assert actions == ["login", "acknowledge", "start", "close"]
    history = conn.execute("SELECT actor, action, note FROM alarm_actions ORDER BY id").fetchall()
    assert history[-1] == ("li", "close", "烟雾来自做饭")
    assert verify_chain(conn).ok
    conn.close()


def test_viewer_cannot_acknowledge_and_refusal_is_audited(world: World) -> None:
    world.raise_event()
    (alarm,) = world.alarms.open_alarms()
    with pytest.raises(PermissionDenied):
        world.alarms.act(world.viewer, alarm.id, AlarmAction.ACKNOWLEDGE)
    assert world.alarms.get(alarm.id).status is AlarmStatus.NEW  # type: ignore[union-attr]
    conn = world.store.reader()
    assert (
        conn.execute(
            "SELECT count(*) FROM audit WHERE action = 'permission_denied' AND actor = 'guest'"
        ).fetchone()[0]
        == 1
    )
    conn.close()


def test_only_live_unlocked_issued_sessions_act(world: World) -> None:
    """Roles are checked on the session the service issued; a viewer cannot mint an admin session."""
    world.raise_event()
    (alarm,) = world.alarms.open_alarms()
    fake = Session("guest", "访客", Role.ADMIN, world.viewer.started_at, world.viewer.token)
    with pytest.raises(PermissionDenied):
        world.alarms.act(fake, alarm.id, AlarmAction.ACKNOWLEDGE)
    world.accounts.lock(world.operator)
    with pytest.raises(PermissionDenied):  # a locked console takes no actions
        world.alarms.act(world.operator, alarm.id, AlarmAction.ACKNOWLEDGE)
    assert world.accounts.unlock(world.operator, "li", "operator-pw")
    world.alarms.act(world.operator, alarm.id, AlarmAction.ACKNOWLEDGE).result(5)
    world.accounts.logout(world.operator)
    with pytest.raises(PermissionDenied):
        world.alarms.act(world.operator, alarm.id, AlarmAction.START)


def test_silence_then_new_alarm_sounds_again(world: World) -> None:
    world.raise_event()
    silenced = world.alarms.silence(world.operator).result(5)
    assert len(silenced) == 1 and world.alarms.silenced == silenced
    assert any(isinstance(m, AlarmsSilenced) for m in world.messages)
    world.raise_event(kind="fire.fault", point="mcp-1", priority=Priority.FAULT)
    new = [a for a in world.alarms.open_alarms() if a.id not in world.alarms.silenced]
    assert len(new) == 1 and new[0].kind == "fire.fault"


def test_open_alarms_survive_restart(data_dir: Path, fast_hasher: PasswordHasher) -> None:
    w = World(data_dir, fast_hasher)
    w.raise_event()
    w.store.close()
    store = Store(data_dir).open()
    try:
        center = AlarmCenter(store, Accounts(store, AuditLog(store), hasher=fast_hasher))
        center.load()
        (alarm,) = center.open_alarms()
        assert alarm.kind == "fire.alarm"
        ev = DeviceEvent(
            source="fas-1",
            kind="fire.alarm",
            state=EventState.ACTIVE,
            priority=Priority.FIRE,
            summary="again",
            point="smoke-412",
        )
        store.ingest(ev).result(5)
        assert center.get(alarm.id).count == 2  # type: ignore[union-attr]
    finally:
        store.close()


def test_info_events_raise_nothing(world: World) -> None:
    world.raise_event(kind="gate.pass", point="door-1", state=EventState.INFO, priority=Priority.INFO)
    assert world.alarms.open_alarms() == []


def test_restores_and_resets_touch_only_their_own_point_and_panel(world: World) -> None:
    for source in ("fas-1", "fas-2"):
        world.raise_event(kind="fire.fault", point="mcp-1", priority=Priority.FAULT, source=source)
        world.raise_event(kind="fire.fault", point="mcp-2", priority=Priority.FAULT, source=source)
    world.raise_event(kind="fire.normal", point="mcp-1", state=EventState.CLEARED, priority=Priority.INFO)
    cleared = {(a.source, a.point) for a in world.alarms.open_alarms() if a.cleared}
    assert cleared == {("fas-1", "mcp-1")}
    world.raise_event(kind="fire.reset", point=None, state=EventState.CLEARED, priority=Priority.INFO,
                      source="fas-2")
    cleared = {(a.source, a.point) for a in world.alarms.open_alarms() if a.cleared}
    assert cleared == {("fas-1", "mcp-1"), ("fas-2", "mcp-1"), ("fas-2", "mcp-2")}
    # A fault that comes back after its restore folds into the alarm still open (cleared, not closed).
    world.raise_event(kind="fire.fault", point="mcp-1", priority=Priority.FAULT)
    again = [a for a in world.alarms.open_alarms() if (a.source, a.point) == ("fas-1", "mcp-1")]
    assert len(again) == 1 and again[0].count == 2


def test_panel_reset_clears_fire_side_and_normal_clears_point_faults(world: World) -> None:
    world.raise_event()
    world.raise_event(kind="fire.fault", point="mcp-1", priority=Priority.FAULT)
    world.raise_event(kind="fire.normal", point="smoke-412", state=EventState.CLEARED, priority=Priority.INFO)
    world.raise_event(kind="fire.normal", point="mcp-1", state=EventState.CLEARED, priority=Priority.INFO)
    by_kind = {a.kind: a for a in world.alarms.open_alarms()}
    assert by_kind["fire.fault"].cleared and not by_kind["fire.alarm"].cleared, "a fire waits for reset"
    world.raise_event(kind="fire.reset", point="1-1", state=EventState.CLEARED)  # a system-level reset
    assert all(a.cleared for a in world.alarms.open_alarms())
