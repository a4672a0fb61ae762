"""Translations: complete and compiled, chosen from --lang, the site or the system, and rendered in CJK."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTranslator
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from console.domain.alarms import AlarmStatus, Disposition
from console.domain.events import HealthState, Priority
from console.domain.roles import Role
from widgets import i18n

from .conftest import Console, MakeWindow

ROOT = Path(__file__).resolve().parents[2]
TS = ROOT / "resources" / "translations" / "campus_console_zh_CN.ts"


def ts_messages() -> Iterator[tuple[str, str, ET.Element]]:
    for context in ET.parse(TS).getroot().iter("context"):
        for message in context.iter("message"):
            yield (
                context.findtext("name") or "",
                message.findtext("source") or "",
                message.find("translation"),
            )


@pytest.fixture
def english() -> Iterator[None]:
    yield
    i18n.install_translator("en")  # later tests expect the source language


def test_every_source_string_has_a_finished_translation() -> None:
    messages = list(ts_messages())
    assert len(messages) > 50
    unfinished = [f"{c}: {s}" for c, s, t in messages if t is None or t.get("type") or not t.text]
    assert unfinished == []


def test_the_qm_matches_the_ts(qapp: object) -> None:
    translator = QTranslator()
    assert translator.load(str(i18n.qm_path()))
    wrong = [(c, s) for c, s, t in ts_messages() if translator.translate(c, s) != t.text]
    assert wrong == []


def test_the_ts_covers_every_string_in_the_widgets() -> None:
    """Rebuilds .ts and .qm from the sources in a temporary folder and compares with the committed ones."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "packaging" / "i18n.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("cli", "site", "system", "expected"),
    [
        ("en", "zh_CN", "zh_CN", "en"),
        (None, "zh_CN", "en_US", "zh_CN"),
        (None, None, "zh_TW", "zh_CN"),
        (None, None, "de_DE", "en"),
        ("zh-CN", None, "C", "zh_CN"),
        (None, None, "C", "en"),
    ],
)
def test_choose_language(cli: str | None, site: str | None, system: str, expected: str) -> None:
    assert i18n.choose_language(cli, site, system) == expected


def test_enum_labels_are_translated(qapp: object, english: None) -> None:
    i18n.install_translator("zh_CN")
    assert [i18n.priority_label(p) for p in Priority] == [
        "火警",
        "监管",
        "故障",
        "屏蔽",
        "安防",
        "技术",
        "信息",
    ]
    assert [i18n.status_label(s) for s in AlarmStatus] == ["新", "已确认", "处理中", "已关闭"]
    assert [i18n.disposition_label(d, Priority.FIRE) for d in Disposition] == [
        "真实火警",
        "误报",
        "故障",
        "测试",
        "干扰",
    ]
    assert i18n.disposition_label(Disposition.REAL, Priority.SECURITY) == "真实警情"
    assert [i18n.health_label(h) for h in HealthState] == ["未知", "在线", "降级", "离线"]
    assert all(i18n.role_label(r) != r.value for r in Role)


def test_chinese_window_and_screenshot(
    qtbot: QtBot, console: Console, make_window: MakeWindow, tmp_path: Path, english: None
) -> None:
    console.engine.devices.set_health("fp-east", HealthState.ONLINE, "demo")
    console.engine.devices.set_health("cam-dorm", HealthState.ONLINE, "")  # up, then it drops out
    console.engine.devices.set_health("cam-dorm", HealthState.OFFLINE, "10 秒无视频帧")
    console.ingest("fire.alarm", Priority.FIRE, "图书馆三楼 感烟火灾探测器 火警")
    console.ingest("fire.fault", Priority.FAULT, "手动报警按钮 故障", point="lib-3f-mcp")
    window = make_window(lang="zh_CN")
    window.resize(1600, 900)
    qtbot.waitUntil(lambda: window.alarm_panel.model.rowCount() == 3)
    assert window.alarm_panel.buttons["acknowledge"].text() == "确认"
    assert window.alarm_panel.buttons["silence"].text() == "消音"
    assert window.windowTitle() == "校园安全监控台 — 测试大学 校园安全监控中心"
    assert window.alarm_dock.windowTitle() == "报警"
    assert window.menuBar().actions()[0].text() == "文件(&F)"
    assert window.alarm_panel.model.headerData(0, qt_horizontal()) == "级别"
    assert window.alarm_panel.model.data(window.alarm_panel.model.index(0, 0)) == "★ 火警"
    assert window.wall.tile_for("cam-lib").state == "暂无视频"
    assert window.status_panel.officer.text() == "值班：值班员 李（值班员）"
    out = Path(os.environ.get("CAMPUS_CONSOLE_SCREENSHOT_DIR", tmp_path)) / "main-window-zh_CN.png"
    assert window.grab().save(str(out))
    image = QImage(str(out))
    assert image.width() >= 1600 and image.height() >= 900
    # Not a blank render: the dark theme plus red alarm colour are both present.
    colours = {
        image.pixelColor(x, y).name()
        for x in range(0, image.width(), 23)
        for y in range(0, image.height(), 17)
    }
    assert len(colours) > 10


def qt_horizontal():  # noqa: ANN201
    from PySide6.QtCore import Qt

    return Qt.Orientation.Horizontal
