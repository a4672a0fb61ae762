"""The gate log dock against a real engine and store: paging, filters, live rows, masking, export, chart."""

from __future__ import annotations

import csv
import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPoint, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot

from console.domain.events import DeviceEvent, EventState, Priority
from console.domain.gates import GateFilter, GateRow, HourlyCount
from console.storage.files import FileStore
from drivers.base import Direction, GatePayload, GateResult, Method, SubjectKind
from widgets import i18n
from widgets.gate_chart import chart_data
from widgets.gate_log import GateLogView, cameras_for, chart_filter
from widgets.gate_log_model import COLUMNS, PAGE, GateLogModel, fetch_newer

from .conftest import SITE, Console, MakeWindow, audit_actions

# The conftest site plus two gates. They run the SIA DC-09 receiver on an ephemeral port only because no
# gate driver is needed here: it is a real listener that stays silent, so the only gate rows are the test's.
GATE_SITE = SITE + """
[[gates]]
id = "gate-east"
name = "东门 闸机"
campus = "east"
location = "东校区 正门"
driver = "fire.sia_dc09"
settings = { listen_port = 0, udp = false }

[[gates]]
id = "gate-west"
name = "西门 车闸"
campus = "west"
location = "西校区 车行道"
driver = "fire.sia_dc09"
settings = { listen_port = 0, udp = false }

[[points]]
id = "east-lane-1"
device = "gate-east"
address = "1"
name = "东门 1号通道"
kind = "reader"
location = "东校区 正门"
cameras = ["cam-gate"]

[[points]]
id = "west-lane-1"
device = "gate-west"
address = "1"
name = "西门 车道"
kind = "reader"
location = "西校区 车行道"
"""


@pytest.fixture
def site_toml() -> str:
    return GATE_SITE


@pytest.fixture
def executor() -> Iterator[ThreadPoolExecutor]:
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="test-gate-query")
    yield pool
    pool.shutdown(wait=True)


NAMES = ("张伟", "王芳", "李娜", "刘洋")
GATE_NAMES = {"gate-east": "东门 闸机", "gate-west": "西门 车闸"}
SUMMARIES = {
    GateResult.GRANTED: "刷卡通行", GateResult.DENIED: "无效卡 拒绝通行", GateResult.ALARM: "尾随报警",
}


def gate_event(
    n: int,
    *,
    gate: str = "gate-east",
    result: GateResult = GateResult.GRANTED,
    direction: Direction = Direction.IN,
    at: datetime | None = None,
    pictures: tuple[str, ...] = (),
    name: str | None = None,
) -> DeviceEvent:
    kinds = {GateResult.GRANTED: "gate.pass", GateResult.DENIED: "gate.denied"}
    kind = kinds.get(result, "gate.alarm.tailgating")
    payload = GatePayload(
        result=result,
        door="1",
        direction=direction,
        subject_kind=SubjectKind.PERSON,
        subject_id=f"S{n:05d}",
        name=name or NAMES[n % len(NAMES)],
        card=f"{4000000 + n}",
        method=Method.CARD,
        reason={GateResult.GRANTED: "", GateResult.DENIED: "no_such_card"}.get(result, "tailgating"),
        pictures=pictures,
    )
    point = "east-lane-1" if gate == "gate-east" else "west-lane-1"
    fields: dict[str, object] = {}
    if at is not None:
        fields["received_time"] = at
    return DeviceEvent(
        source=gate,
        kind=kind,
        state=EventState.INFO if result is GateResult.GRANTED else EventState.ACTIVE,
        priority=Priority.INFO if result is GateResult.GRANTED else Priority.SECURITY,
        summary=f"{GATE_NAMES[gate]} {SUMMARIES[result]} {'进' if direction is Direction.IN else '出'}",
        point=point,
        payload=payload.to_payload(),
        **fields,  # type: ignore[arg-type]
    )


def save_face(data_dir: Path, colour: str = "#3366aa") -> str:
    """A small capture stored where a gate driver puts its pictures; returns its relative path."""
    image = QImage(96, 120, QImage.Format.Format_RGB32)
    image.fill(QColor(colour))
    painter = QPainter(image)
    painter.setBrush(QColor("#f1c27d"))
    painter.drawEllipse(24, 20, 48, 60)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    assert image.save(buffer, "PNG")
    return FileStore(data_dir).save("face", bytes(data.data()), ".png")


def ingest(console: Console, events: list[DeviceEvent]) -> list[int]:
    results = console.engine.store.ingest_many(events).result(30)
    return [r.event_id for r in results]


def wait_idle(qtbot: QtBot, model: GateLogModel, timeout: int = 10_000) -> None:
    qtbot.waitUntil(lambda: not model.busy, timeout=timeout)


# -- the model -----------------------------------------------------------------------------------------


def test_the_model_pages_a_thousand_rows_by_keyset_off_the_gui_thread(
    qtbot: QtBot, console: Console, executor: ThreadPoolExecutor
) -> None:
    ingest(console, [gate_event(n) for n in range(1050)])
    threads: set[str] = set()
    seen: list[GateFilter] = []

    def query(flt: GateFilter) -> list[GateRow]:
        threads.add(threading.current_thread().name)
        seen.append(flt)
        return console.services.gate_log.query(flt, console.supervisor)

    model = GateLogModel(query, executor)
    model.set_filter(GateFilter())
    qtbot.waitUntil(lambda: model.rowCount() == PAGE, timeout=10_000)
    assert model.canFetchMore()
    while model.canFetchMore():
        before = model.rowCount()
        model.fetchMore()
        assert not model.canFetchMore()  # one page at a time
        qtbot.waitUntil(lambda b=before: model.rowCount() > b or model.exhausted, timeout=10_000)
        wait_idle(qtbot, model)
    ids = [r.id for r in model.rows()]
    assert len(ids) == 1050 and ids == sorted(ids, reverse=True) and len(set(ids)) == 1050
    assert model.exhausted and not model.canFetchMore()
    # Keyset paging: each later page asked for rows older than the last row it had.
    assert [f.before_id for f in seen[1:]] == [ids[PAGE * k - 1] for k in range(1, len(seen))]
    assert threads and threading.main_thread().name not in threads
    assert model.data(model.index(0, COLUMNS.index("subject"))) == "S01049"


def test_live_rows_beyond_the_cap_drop_the_oldest_which_paging_brings_back(
    qtbot: QtBot, console: Console, executor: ThreadPoolExecutor
) -> None:
    ingest(console, [gate_event(n) for n in range(210)])
    model = GateLogModel(lambda f: console.services.gate_log.query(f, console.supervisor), executor,
                         page=100, max_rows=150)
    model.set_filter(GateFilter())
    qtbot.waitUntil(lambda: model.rowCount() == 100, timeout=10_000)
    model.fetchMore()
    qtbot.waitUntil(lambda: model.rowCount() == 200 and not model.busy, timeout=10_000)
    fresh = ingest(console, [gate_event(1000 + n) for n in range(30)])
    model.refresh_newest()
    qtbot.waitUntil(lambda: model.newest_id == max(fresh) and not model.busy, timeout=10_000)
    assert model.rowCount() == 150 and model.canFetchMore()
    oldest = model.rows()[-1].id
    model.fetchMore()
    qtbot.waitUntil(lambda: model.rowCount() == 240 and not model.busy, timeout=10_000)
    ids = [r.id for r in model.rows()]
    assert ids == sorted(set(ids), reverse=True) and ids[150] < oldest


def test_fetch_newer_joins_up_or_gives_up() -> None:
    rows = [_row(i) for i in range(100, 0, -1)]

    def query(flt: GateFilter) -> list[GateRow]:
        older = [r for r in rows if flt.before_id is None or r.id < flt.before_id]
        return older[: flt.limit]

    newer, joined = fetch_newer(query, GateFilter(limit=10), newest=75)
    assert joined and [r.id for r in newer] == list(range(100, 75, -1))
    newer, joined = fetch_newer(query, GateFilter(limit=10), newest=20, pages=3)
    assert not joined and len(newer) == 30


def _row(i: int, result: str = "granted") -> GateRow:
    return GateRow(i, datetime(2026, 5, 4, tzinfo=UTC), None, "east", "gate-east", None, "1", "gate.pass",
                   result, "in", "person", None, None, None, None, "card", "", None, (), "")


def test_result_column_is_coloured_for_refusals_and_alarms(
    qtbot: QtBot, console: Console, executor: ThreadPoolExecutor
) -> None:
    ingest(console, [gate_event(1), gate_event(2, result=GateResult.DENIED),
                     gate_event(3, result=GateResult.ALARM)])
    model = GateLogModel(lambda f: console.services.gate_log.query(f, console.supervisor), executor)
    model.set_filter(GateFilter())
    qtbot.waitUntil(lambda: model.rowCount() == 3, timeout=10_000)
    column = COLUMNS.index("result")
    colours = [model.data(model.index(r, column), Qt.ItemDataRole.ForegroundRole) for r in range(3)]
    backgrounds = [model.data(model.index(r, column), Qt.ItemDataRole.BackgroundRole) for r in range(3)]
    assert [model.data(model.index(r, column)) for r in range(3)] == ["Alarm", "Denied", "Granted"]
    assert colours[0] == QColor("#e53935") and colours[1] == QColor("#fb8c00")
    assert backgrounds[0] is not None and backgrounds[1] is not None and backgrounds[2] is None


# -- the dock in the main window ---------------------------------------------------------------------


def test_filters_query_off_the_gui_thread_and_replace_the_rows(
    qtbot: QtBot, console: Console, make_window: MakeWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    start = datetime.now(UTC) - timedelta(hours=3)
    # Two minutes apart: no burst of refusals (5 in 60 s) adds a console-raised alarm row of its own.
    events = [gate_event(n, result=GateResult.DENIED if n % 5 == 0 else GateResult.GRANTED,
                         direction=Direction.OUT if n % 2 else Direction.IN,
                         at=start + timedelta(minutes=2 * n),
                         gate="gate-west" if n % 3 == 0 else "gate-east") for n in range(60)]
    ingest(console, events)
    gate_log = console.services.gate_log
    threads: list[str] = []
    real_query = gate_log.query

    def spy(flt: GateFilter, session: object) -> list[GateRow]:
        threads.append(threading.current_thread().name)
        return real_query(flt, session)  # type: ignore[arg-type]

    monkeypatch.setattr(gate_log, "query", spy)
    window = make_window(console.supervisor)
    view: GateLogView = window.gate_log
    qtbot.waitUntil(lambda: view.model.rowCount() == 60, timeout=10_000)
    bar = view.filters
    bar.select(bar.result, "denied")
    qtbot.waitUntil(lambda: view.model.rowCount() == 12, timeout=10_000)
    assert {r.result for r in view.model.rows()} == {"denied"}
    bar.select(bar.campus, "west")  # the gate list follows the campus
    assert [bar.gate.itemData(i) for i in range(bar.gate.count())] == ["", "gate-west"]
    expected = sum(1 for n in range(60) if n % 5 == 0 and n % 3 == 0)
    qtbot.waitUntil(lambda: view.model.rowCount() == expected, timeout=10_000)
    assert {r.gate for r in view.model.rows()} == {"gate-west"}
    bar.select(bar.result, "")
    bar.select(bar.direction, "out")
    expected = sum(1 for n in range(60) if n % 3 == 0 and n % 2)
    qtbot.waitUntil(lambda: view.model.rowCount() == expected, timeout=10_000)
    assert {(r.gate, r.direction) for r in view.model.rows()} == {("gate-west", "out")}
    # Free text waits for the officer to stop typing, then one query.
    bar.select(bar.campus, "")
    bar.select(bar.direction, "")
    qtbot.waitUntil(lambda: view.model.rowCount() == 60, timeout=10_000)
    asked = len(threads)
    qtbot.keyClicks(bar.text, "S0004")
    assert len(threads) == asked  # nothing yet: debounced
    qtbot.waitUntil(lambda: {r.subject_id for r in view.model.rows()} == {f"S0004{d}" for d in range(10)},
                    timeout=10_000)
    assert threads and "MainThread" not in threads


def test_new_gate_events_go_on_top_without_moving_an_officer_reading_older_rows(
    qtbot: QtBot, console: Console, make_window: MakeWindow
) -> None:
    ingest(console, [gate_event(n) for n in range(400)])
    window = make_window(console.supervisor)
    view: GateLogView = window.gate_log
    window.gate_dock.raise_()
    qtbot.waitUntil(lambda: view.model.rowCount() >= PAGE, timeout=10_000)
    wait_idle(qtbot, view.model)
    assert view.model.rowCount() == PAGE
    view.table.scrollToBottom()  # the view itself asks the model for the next page at the bottom
    qtbot.waitUntil(lambda: view.model.rowCount() == 400, timeout=10_000)
    view.table.scrollTo(view.model.index(120, 0), view.table.ScrollHint.PositionAtTop)
    anchored = view.top_row_id()
    assert anchored is not None and anchored != view.model.newest_id
    newest = ingest(console, [gate_event(1000 + n) for n in range(7)])
    qtbot.waitUntil(lambda: view.model.newest_id == max(newest), timeout=10_000)
    assert view.top_row_id() == anchored  # the rows the officer reads stay where they were
    assert [r.id for r in view.model.rows()[:7]] == sorted(newest, reverse=True)
    # Back at the top the officer watches live: new rows push in and show.
    view.table.scrollToTop()
    more = ingest(console, [gate_event(2000 + n) for n in range(3)])
    qtbot.waitUntil(lambda: view.model.newest_id == max(more), timeout=10_000)
    assert view.top_row_id() == max(more)
    # A refusal of a filter that excludes it does not appear.
    view.filters.select(view.filters.result, "denied")
    qtbot.waitUntil(lambda: view.model.rowCount() == 0 and not view.model.busy, timeout=10_000)
    ingest(console, [gate_event(3000)])
    denied = ingest(console, [gate_event(3001, result=GateResult.DENIED)])
    qtbot.waitUntil(lambda: view.model.rowCount() == 1, timeout=10_000)
    assert view.model.rows()[0].id == denied[0]


def test_person_data_is_masked_for_an_operator_and_shown_to_a_supervisor(
    qtbot: QtBot, console: Console, make_window: MakeWindow
) -> None:
    ingest(console, [gate_event(7, name="张伟")])
    texts = {}
    for session in (console.operator, console.supervisor):
        window = make_window(session)
        model = window.gate_log.model
        qtbot.waitUntil(lambda m=model: m.rowCount() == 1, timeout=10_000)
        texts[session.role.value] = [model.data(model.index(0, COLUMNS.index(c)))
                                     for c in ("name", "card", "subject")]
        window.close()
    assert texts["operator"] == ["***", "***", "***"]
    assert texts["supervisor"] == ["张伟", "4000007", "S00007"]


def test_export_writes_the_file_and_an_audit_row(
    qtbot: QtBot, console: Console, make_window: MakeWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest(console, [gate_event(n, result=GateResult.DENIED if n < 4 else GateResult.GRANTED)
                     for n in range(25)])
    operator_window = make_window(console.operator)
    assert not operator_window.gate_log.export_button.isEnabled()  # operators may not export
    operator_window.close()
    window = make_window(console.supervisor)
    view: GateLogView = window.gate_log
    qtbot.waitUntil(lambda: view.model.rowCount() == 25, timeout=10_000)
    view.filters.select(view.filters.result, "denied")
    qtbot.waitUntil(lambda: view.model.rowCount() == 4, timeout=10_000)
    target = tmp_path / "out" / "denied.csv"
    target.parent.mkdir()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), "CSV files (*.csv)"))
    qtbot.mouseClick(view.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Exported 4 rows" in view.status.text(), timeout=10_000)
    with target.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert len(rows) == 1 + 4
    assert "gate_log.export" in audit_actions(console)


def test_the_chart_follows_the_filter_with_hourly_counts(
    qtbot: QtBot, console: Console, make_window: MakeWindow
) -> None:
    hour = datetime.now(UTC).replace(minute=5, second=0, microsecond=0) - timedelta(hours=3)
    events = (
        [gate_event(n, at=hour, direction=Direction.IN) for n in range(4)]
        + [gate_event(10 + n, at=hour, direction=Direction.OUT) for n in range(2)]
        + [gate_event(20 + n, at=hour + timedelta(hours=2), direction=Direction.OUT) for n in range(3)]
        + [gate_event(30 + n, at=hour, gate="gate-west", direction=Direction.IN) for n in range(5)]
    )
    ingest(console, events)
    window = make_window(console.supervisor)
    chart = window.gate_log.chart
    qtbot.waitUntil(lambda: chart.data.total_in == 9 and chart.data.total_out == 5, timeout=10_000)
    assert [s.gate for s in chart.data.series] == ["gate-east", "gate-west"]
    assert len(chart.bars) == 4  # in and out bars per gate
    window.gate_log.filters.select(window.gate_log.filters.gate, "gate-east")
    qtbot.waitUntil(lambda: [s.gate for s in chart.data.series] == ["gate-east"], timeout=10_000)
    east = chart.data.series[0]
    assert list(east.entered) == [4, 0, 0] and list(east.exited) == [2, 0, 3]
    assert "4 in, 5 out" in chart.summary.text()


def test_chart_data_fills_gaps_and_sums_per_gate() -> None:
    t0 = datetime(2026, 5, 4, 8, tzinfo=UTC)
    data = chart_data([HourlyCount(t0, "b", 1, 2), HourlyCount(t0 + timedelta(hours=3), "a", 5, 0),
                       HourlyCount(t0, "a", 0, 1)])
    assert len(data.hours) == 4 and [s.gate for s in data.series] == ["a", "b"]
    assert list(data.series[0].entered) == [0, 0, 0, 5] and list(data.series[1].exited) == [2, 0, 0, 0]
    assert chart_data([]).hours == ()
    now = datetime(2026, 5, 4, 12, tzinfo=UTC)
    day_before = now - timedelta(hours=24)
    assert chart_filter(GateFilter(gate="g", text="x"), now) == GateFilter(gate="g", since=day_before)


def test_double_click_shows_the_linked_camera_live(
    qtbot: QtBot, console: Console, make_window: MakeWindow
) -> None:
    ingest(console, [gate_event(1, gate="gate-west"), gate_event(2, gate="gate-east")])
    window = make_window(console.operator)
    view: GateLogView = window.gate_log
    window.gate_dock.raise_()
    qtbot.waitUntil(lambda: view.model.rowCount() == 2, timeout=10_000)
    east = view.model.rows()[0]
    assert cameras_for(console.services.site, east) == ["cam-gate"]
    view.table.selectRow(0)
    assert view.context_menu().actions()[0].isEnabled()
    with qtbot.waitSignal(view.sig_show_cameras) as shown:
        rect = view.table.visualRect(view.model.index(0, 1))
        qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert shown.args == [["cam-gate"]]
    assert window.wall.order[0] == "cam-gate" and window.wall.maximised == "cam-gate"
    assert "live" in window.statusBar().currentMessage()
    view.table.selectRow(1)  # the west lane has no camera
    assert not view.context_menu().actions()[0].isEnabled()


def test_pictures_preview_for_a_supervisor_only(
    qtbot: QtBot, console: Console, make_window: MakeWindow, data_dir: Path
) -> None:
    relative = save_face(data_dir)
    ingest(console, [gate_event(1, pictures=(relative,))])
    window = make_window(console.supervisor)
    view: GateLogView = window.gate_log
    window.gate_dock.raise_()
    qtbot.waitUntil(lambda: view.model.rowCount() == 1, timeout=10_000)
    view.table.selectRow(0)
    qtbot.waitUntil(lambda: view.picture.isVisible() and not view.picture.pixmap().isNull(), timeout=10_000)
    qtbot.waitUntil(lambda: "gate_log.view_picture" in audit_actions(console), timeout=5_000)
    window.close()
    window = make_window(console.operator)
    view = window.gate_log
    qtbot.waitUntil(lambda: view.model.rowCount() == 1, timeout=10_000)
    assert view.model.rows()[0].pictures == ()
    view.table.selectRow(0)
    assert not view.picture.isVisible()
    assert not view.filters.text.isEnabled()  # searching by person is refused to this role


@pytest.fixture
def english() -> Iterator[None]:
    yield
    i18n.install_translator("en")  # later tests expect the source language


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_screenshot_of_the_main_window_with_the_gate_log(
    qtbot: QtBot, console: Console, make_window: MakeWindow, tmp_path: Path, lang: str, english: None,
    data_dir: Path,
) -> None:
    now = datetime.now(UTC)
    face = save_face(data_dir)
    events = []
    for n in range(150):
        result = GateResult.DENIED if n % 5 == 2 else GateResult.ALARM if n % 11 == 3 else GateResult.GRANTED
        events.append(gate_event(n, at=now - timedelta(minutes=(150 - n) * 6), result=result,
                                 gate="gate-west" if n % 4 == 0 else "gate-east",
                                 direction=Direction.OUT if n % 3 == 0 else Direction.IN,
                                 pictures=(face,) if n == 147 else ()))
    ingest(console, events)
    window = make_window(console.supervisor, lang=lang)
    window.resize(1600, 900)
    window.gate_dock.raise_()
    view: GateLogView = window.gate_log
    qtbot.waitUntil(lambda: view.model.rowCount() == 150 and view.chart.data.total_in > 0, timeout=10_000)
    view.table.selectRow(2)  # the refusal with a face capture
    qtbot.waitUntil(lambda: view.picture.isVisible() and not view.picture.pixmap().isNull(), timeout=10_000)
    out = Path(os.environ.get("CAMPUS_CONSOLE_SCREENSHOT_DIR", tmp_path)) / f"main-window-gate-log-{lang}.png"
    assert window.grab().save(str(out))
    assert QImage(str(out)).width() >= 1600
    assert view.table.indexAt(QPoint(5, 5)).isValid()  # rows are on screen, not squeezed away
    if lang == "zh_CN":
        assert window.gate_dock.windowTitle() == "门禁记录"
        assert view.model.headerData(COLUMNS.index("name"), Qt.Orientation.Horizontal) == "姓名"
        assert view.model.data(view.model.index(0, COLUMNS.index("result"))) in ("通过", "拒绝", "报警")


def test_a_search_is_audited_once_not_on_every_live_refresh(
    qtbot: QtBot, console: Console, make_window: MakeWindow
) -> None:
    ingest(console, [gate_event(n, name="王芳" if n % 2 else "张伟") for n in range(10)])
    window = make_window(console.supervisor)
    view: GateLogView = window.gate_log
    qtbot.waitUntil(lambda: view.model.rowCount() == 10, timeout=10_000)
    view.filters.text.setText("王芳")
    qtbot.waitUntil(lambda: view.model.rowCount() == 5 and not view.model.busy, timeout=10_000)
    qtbot.waitUntil(lambda: audit_actions(console).count("gate_log.view_person_data") == 1, timeout=5_000)
    for batch in range(3):
        fresh = ingest(console, [gate_event(100 + batch, name="王芳")])
        qtbot.waitUntil(lambda f=fresh: view.model.newest_id == f[0] and not view.model.busy, timeout=10_000)
    assert view.model.rowCount() == 8
    assert audit_actions(console).count("gate_log.view_person_data") == 1
