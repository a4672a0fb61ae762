"""The point grid updated from worked-out changes looks exactly like a grid built from scratch."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.domain.fire_board import Cell, Condition, Line, PanelBoard, Zone
from widgets.fire_grid import PointGrid, grid_changes

STATES = st.sampled_from([None, Condition.FIRE, Condition.FAULT, Condition.SUPERVISORY])


def panel(states: list[list[Condition | None]]) -> PanelBoard:
    zones = tuple(
        Zone("1", str(z), tuple(Cell(str(n + 1), f"点 {z}-{n + 1}", s, f"p{z}-{n}")
                                for n, s in enumerate(row)))
        for z, row in enumerate(states)
    )
    counts = dict.fromkeys(Condition, 0)
    return PanelBoard("fas-1", "控制器", counts, Line.NORMAL, Line.NORMAL, Line.NORMAL, (), zones)


def snapshot(grid: PointGrid) -> list[tuple[int, int, str, str, str]]:
    out = []
    for row in range(grid.rowCount()):
        for column in range(grid.columnCount()):
            item = grid.item(row, column)
            if item is not None:
                out.append((row, column, item.text(), item.background().color().name(), item.toolTip()))
    return out


grids = st.lists(st.lists(STATES, min_size=1, max_size=6), min_size=2, max_size=2)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=grids, after=grids)
def test_changes_applied_equal_a_fresh_grid(qapp: object, before: list, after: list) -> None:
    old, new = panel(before), panel(after)
    changed = PointGrid()
    changed.show_panel(old)
    changes = grid_changes(old, new)
    assert changes is not None  # same zones: never a rebuild
    changed.show_panel(new, changes)
    fresh = PointGrid()
    fresh.show_panel(new)
    assert snapshot(changed) == snapshot(fresh)
    assert changed.columnCount() == fresh.columnCount()


def test_other_zones_mean_a_rebuild() -> None:
    assert grid_changes(panel([[None]]), panel([[None], [None]])) is None
    same = panel([[Condition.FIRE, None]])
    assert grid_changes(same, same).cells == ()
