"""The alarm state machine: explicit rules and hypothesis over random action sequences."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.domain import alarms as am
from console.domain.alarms import Alarm, AlarmAction, AlarmStatus, Disposition
from console.domain.sound import Sound, sound_to_play
from drivers.base import Priority

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def make(priority: Priority = Priority.FAULT, **kw: object) -> Alarm:
    base = dict(
        id=1,
        key="p|x|fire.fault",
        source="p",
        point="x",
        kind="fire.fault",
        priority=priority,
        summary="s",
        status=AlarmStatus.NEW,
        count=1,
        first_time=T0,
        last_time=T0,
        first_event=1,
        last_event=1,
    )
    base.update(kw)
    return Alarm(**base)  # type: ignore[arg-type]


def test_happy_path_records_who_and_when() -> None:
    a = make()
    a, rec = am.apply_action(a, AlarmAction.ACKNOWLEDGE, "li", T0 + timedelta(seconds=5))
    assert a.status is AlarmStatus.ACKNOWLEDGED and rec.actor == "li" and rec.from_status is AlarmStatus.NEW
    a, rec = am.apply_action(a, AlarmAction.START, "li", T0 + timedelta(seconds=9), note="walking over")
    assert a.status is AlarmStatus.IN_PROGRESS and rec.note == "walking over"
    a, rec = am.apply_action(
        a, AlarmAction.CLOSE, "wang", T0 + timedelta(seconds=60), "ok", Disposition.FAULT
    )
    assert a.status is AlarmStatus.CLOSED and a.disposition is Disposition.FAULT and rec.actor == "wang"


def test_close_needs_disposition_and_fire_needs_reset() -> None:
    a, _ = am.apply_action(make(Priority.FIRE), AlarmAction.ACKNOWLEDGE, "li", T0)
    with pytest.raises(am.AlarmTransitionError, match="disposition"):
        am.apply_action(a, AlarmAction.CLOSE, "li", T0)
    with pytest.raises(am.AlarmTransitionError, match="reset"):
        am.apply_action(a, AlarmAction.CLOSE, "li", T0, disposition=Disposition.REAL)
    assert AlarmAction.CLOSE not in am.allowed_actions(a)
    cleared = am.clear(a, T0)
    closed, _ = am.apply_action(cleared, AlarmAction.CLOSE, "li", T0, disposition=Disposition.REAL)
    assert closed.status is AlarmStatus.CLOSED


def test_fold_counts_repeats_and_refuses_closed() -> None:
    a = am.fold(make(), 7, T0 + timedelta(seconds=3))
    assert a.count == 2 and a.last_event == 7 and a.last_time == T0 + timedelta(seconds=3)
    closed = make(status=AlarmStatus.CLOSED)
    with pytest.raises(am.AlarmTransitionError):
        am.fold(closed, 8, T0)


def test_sort_fire_first_then_newest() -> None:
    fault_new = make(Priority.FAULT, id=1, last_time=T0 + timedelta(seconds=9))
    fire_old = make(Priority.FIRE, id=2, last_time=T0)
    security = make(Priority.SECURITY, id=3, last_time=T0 + timedelta(seconds=20))
    fire_new = make(
        Priority.FIRE, id=4, first_time=T0 + timedelta(seconds=5), last_time=T0 + timedelta(seconds=5)
    )
    ordered = sorted([fault_new, fire_old, security, fire_new], key=am.sort_key)
    assert [a.id for a in ordered] == [4, 2, 1, 3]
    assert am.first_fire(ordered).id == 2  # type: ignore[union-attr]


def test_sound_follows_loudest_unacknowledged_and_silence() -> None:
    fire = make(Priority.FIRE, id=1)
    fault = make(Priority.FAULT, id=2)
    assert sound_to_play([fault, fire], frozenset()) is Sound.FIRE
    assert sound_to_play([fault, fire], frozenset({1})) is Sound.FAULT
    assert sound_to_play([fault, fire], frozenset({1, 2})) is None
    new_fire = make(Priority.FIRE, id=3)
    assert sound_to_play([fault, fire, new_fire], frozenset({1, 2})) is Sound.FIRE  # a new alarm sounds again
    acked, _ = am.apply_action(fire, AlarmAction.ACKNOWLEDGE, "li", T0)
    assert sound_to_play([acked], frozenset()) is None
    assert sound_to_play([make(Priority.DISABLED, id=9)], frozenset()) is None


actions = st.lists(
    st.tuples(
        st.sampled_from(list(AlarmAction) + ["fold", "clear"]),
        st.sampled_from([None, *Disposition]),
        st.text(max_size=5),
    ),
    max_size=25,
)


@given(st.sampled_from(list(Priority)[:-1]), actions)
def test_random_sequences_keep_invariants(
    priority: Priority, steps: list[tuple[object, object, str]]
) -> None:
    a = make(priority)
    history = [a.status]
    for i, (action, disposition, note) in enumerate(steps):
        at = T0 + timedelta(seconds=i)
        try:
            if action == "fold":
                a = am.fold(a, 100 + i, at)
            elif action == "clear":
                a = am.clear(a, at)
            else:
                before = a
                a, rec = am.apply_action(a, action, "op", at, note, disposition)  # type: ignore[arg-type]
                assert rec.from_status is before.status and rec.to_status is a.status
        except am.AlarmTransitionError:
            continue
        history.append(a.status)
    order = [AlarmStatus.NEW, AlarmStatus.ACKNOWLEDGED, AlarmStatus.IN_PROGRESS, AlarmStatus.CLOSED]
    ranks = [order.index(s) for s in history]
    assert ranks == sorted(ranks), "an alarm never moves backwards"
    if a.status is AlarmStatus.CLOSED:
        assert a.disposition is not None
        assert a.priority is not Priority.FIRE or a.cleared, "a fire alarm closes only after reset"
    else:
        assert a.disposition is None
    assert a.count >= 1
