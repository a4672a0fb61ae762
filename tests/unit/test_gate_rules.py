"""Gate alarm rules and the deny/allow lists on a real store: deny hits and refusal bursts become alarms."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from hypothesis import given
from hypothesis import strategies as st

from console.domain.alarms import Alarm, AlarmStatus
from console.domain.gates import GateFilter, ListValueError, normalise_value
from console.domain.roles import PermissionDenied
from drivers.base import GateResult, Priority
from tests.drivers.rig import wait_for

from .test_gate_support import T0, GateWorld, gate_event


@pytest.fixture
def world(data_dir: Path, fast_hasher: PasswordHasher) -> Iterator[GateWorld]:
    w = GateWorld(data_dir, fast_hasher, burst_count=3, burst_seconds=60)
    yield w
    w.store.close()


def _gate_alarms(world: GateWorld) -> list[Alarm]:
    return [a for a in world.alarms.open_alarms() if a.kind.startswith("gate.alarm.")]


def test_a_deny_listed_plate_passing_raises_a_security_alarm_with_linked_cameras(world: GateWorld) -> None:
    entry = world.lists.add("deny", "plate", "京a 12345", "被盗车辆", None, world.admin).result(5)
    assert entry.value == "京A12345" and entry.added_by == "admin"
    (trigger,) = world.ingest(gate_event(name=None, card=None, plate="京A·12345", subject_id=None))
    (alarm,) = wait_for(lambda: _gate_alarms(world))
    assert (alarm.kind, alarm.priority) == ("gate.alarm.denylist", Priority.SECURITY)
    assert alarm.status is AlarmStatus.NEW
    assert (alarm.source, alarm.point, alarm.cameras) == ("gate-east", "east-lane-1", ("cam-gate",))
    assert "京A" not in alarm.summary and "被盗车辆" in alarm.summary  # no person data in the alarm list
    # The derived event is a gate event too: the log shows it, pointing back at what triggered it. It is
    # stored by its own job after the alarm was raised, so it may be a moment behind the alarm.
    rows = wait_for(lambda: world.log.query(GateFilter(result="alarm"), world.supervisor))
    assert [(r.kind, r.plate, r.list_name, r.reason) for r in rows] == [
        ("gate.alarm.denylist", "京A·12345", "deny", "denylist")
    ]
    ((payload,),) = world.sql("SELECT payload FROM events WHERE kind = 'gate.alarm.denylist'")
    extra = json.loads(payload)["extra"]  # GatePayload.to_payload keeps the rule's references there
    assert extra["event_id"] == trigger and extra["entry_id"] == entry.id


def test_a_deny_listed_card_refused_raises_too_but_expired_allow_or_removed_entries_do_not(
    world: GateWorld,
) -> None:
    world.lists.add("deny", "card", "000777", "挂失卡", None, world.admin).result(5)
    world.lists.add("deny", "card", "888", "", T0 - timedelta(seconds=1), world.admin).result(5)  # expired
    world.lists.add("allow", "card", "999", "", None, world.admin).result(5)
    world.ingest(
        gate_event(card="888"),
        gate_event(card="999"),
        gate_event(GateResult.DENIED, card="777", at=T0 + timedelta(seconds=1)),  # zero-padded on the list
    )
    (alarm,) = wait_for(lambda: _gate_alarms(world))
    assert alarm.kind == "gate.alarm.denylist" and "卡号被拒" in alarm.summary
    (entry,) = [e for e in world.lists.entries("deny") if e.value == "777"]
    world.lists.remove(entry.id, world.admin).result(5)
    world.ingest(gate_event(card="777", at=T0 + timedelta(seconds=2)))
    world.settle()
    assert world.sql("SELECT count(*) FROM events WHERE kind = 'gate.alarm.denylist'") == [(1,)]
    removed = world.audit_rows("gate_list.remove")
    assert [r["value"] for r in removed] == ["777"]


def test_a_burst_of_refusals_raises_one_alarm_per_burst_folding_the_rest(world: GateWorld) -> None:
    denied = [
        gate_event(GateResult.DENIED, card=f"{n}", at=T0 + timedelta(seconds=2 * n)) for n in range(1, 8)
    ]
    world.ingest(*denied[:2])
    world.settle()
    assert _gate_alarms(world) == []  # two refusals are not a burst
    world.ingest(*denied[2:])
    (alarm,) = wait_for(lambda: _gate_alarms(world))
    assert (alarm.kind, alarm.count, alarm.source) == ("gate.alarm.denied_burst", 1, "gate-east")
    # Refusals at another gate are another gate's count.
    world.ingest(*[gate_event(GateResult.DENIED, gate="gate-west", point=None, at=T0 + timedelta(seconds=n))
                   for n in range(2)])
    # A new burst after a quiet minute folds into the open alarm instead of opening another.
    later = T0 + timedelta(minutes=5)
    world.ingest(*[gate_event(GateResult.DENIED, at=later + timedelta(seconds=n)) for n in range(3)])
    wait_for(lambda: _gate_alarms(world)[0].count == 2)
    world.settle()
    assert world.sql("SELECT count(*) FROM events WHERE kind = 'gate.alarm.denied_burst'") == [(2,)]
    assert len(_gate_alarms(world)) == 1


def test_list_edits_need_edit_config_and_are_audited(world: GateWorld) -> None:
    with pytest.raises(PermissionDenied):
        world.lists.add("deny", "card", "1", "", None, world.supervisor)
    with pytest.raises(ListValueError):
        world.lists.add("deny", "face", "1", "", None, world.admin)
    with pytest.raises(ListValueError):
        world.lists.add("block", "card", "1", "", None, world.admin)
    entry = world.lists.add("deny", "card", "42", "lost", date(2026, 11, 30), world.admin).result(5)
    # A date is the whole day where the site is (Asia/Shanghai, UTC+8).
    assert entry.expires is not None and entry.expires.isoformat() == "2026-11-30T16:00:00+00:00"
    again = world.lists.add("deny", "card", "0042", "found again", None, world.admin).result(5)
    assert again.id == entry.id and again.expires is None and again.reason == "found again"
    added = world.audit_rows("gate_list.add")
    assert [(r["value"], r["replaced"]) for r in added] == [("42", False), ("42", True)]
    with pytest.raises(KeyError):
        world.lists.remove(10_000, world.admin).result(5)


def test_csv_import_stores_good_lines_and_reports_bad_ones_by_line(world: GateWorld, tmp_path: Path) -> None:
    path = tmp_path / "lists.csv"
    path.write_text(
        "list,kind,value,reason,expires\n"
        "deny,plate,京B 54321,逃费,2027-01-31\n"
        "allow,card,00123,校车司机,\n"
        "# a comment\n"
        "\n"
        "deny,face,123,,\n"
        "block,card,5,,\n"
        "deny,card,,,\n"
        "deny,card,77,reason,31/12/2026\n"
        "deny,card\n"
        "deny,card,78,,2026-12-31T00:00:00\n"
        "deny,card,79\n",
        encoding="utf-8",
    )
    report = world.lists.import_csv(path, world.admin).result(5)
    assert (report.imported, report.replaced) == (3, 0)
    assert [p.line for p in report.problems] == [6, 7, 8, 9, 10, 11]
    assert "kind" in report.problems[0].message and "list" in report.problems[1].message
    assert "ISO date" in report.problems[3].message and "time zone" in report.problems[5].message
    assert sorted((e.list, e.kind, e.value) for e in world.lists.entries()) == [
        ("allow", "card", "123"), ("deny", "card", "79"), ("deny", "plate", "京B54321"),
    ]
    (audited,) = world.audit_rows("gate_list.import")
    assert audited["imported"] == 3 and audited["bad_lines"] == [6, 7, 8, 9, 10, 11]
    # The deny rule sees imported entries at once.
    world.ingest(gate_event(name=None, card=None, plate="京B54321"))
    wait_for(lambda: _gate_alarms(world))
    with pytest.raises(PermissionDenied):
        world.lists.import_csv(path, world.operator)


def test_entries_list_unexpired_first(world: GateWorld) -> None:
    world.lists.add("deny", "card", "1", "", T0, world.admin).result(5)  # long expired
    world.lists.add("deny", "card", "2", "", None, world.admin).result(5)
    entries = world.lists.entries()
    assert [e.value for e in entries] == ["2", "1"]
    assert [e.expired(datetime.now(UTC)) for e in entries] == [False, True]


@given(st.text(min_size=1, max_size=20))
def test_normalising_a_value_is_idempotent_or_refused(value: str) -> None:
    for kind in ("card", "plate"):
        try:
            once = normalise_value(kind, value)
        except ListValueError:
            continue
        assert normalise_value(kind, once) == once
        assert once and not any(ch.isspace() for ch in once)


def test_burst_thresholds_come_from_the_site_file(data_dir: Path) -> None:
    from console.config import parse_site
    from console.services.gate_rules import GateRules
    from console.storage.store import Store

    from .test_gate_support import SITE

    configured = parse_site(SITE + "[gate_rules]\ndenied_burst_count = 2\ndenied_burst_seconds = 7.5\n")
    with Store(data_dir) as store:
        rules = GateRules(store, configured)
        assert (rules.burst_count, rules.burst_seconds) == (2, 7.5)
        store.ingest_many(
            [gate_event(GateResult.DENIED, at=T0 + timedelta(seconds=n)) for n in range(2)]
        ).result(5)
        wait_for(
            lambda: store.submit(
                lambda tx: tx.conn.execute(
                    "SELECT count(*) FROM events WHERE kind = 'gate.alarm.denied_burst'"
                ).fetchone()[0]
            ).result(5)
        )
