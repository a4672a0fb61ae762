"""Sample data and a runner, so each widget module can be previewed alone (``python -m widgets.x``)."""

from __future__ import annotations

import importlib.resources
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget

from console.bus import Bus
from console.config import load_site
from console.domain.alarms import Alarm, AlarmStatus
from console.domain.events import HealthState, Priority
from console.services.devices import DeviceStatus

from .bridge import Bridge
from .event_log import EventRow


def demo_site() -> Any:
    return load_site(Path(str(importlib.resources.files("resources").joinpath("demo", "site.toml"))))


def sample_alarms() -> list[Alarm]:
    now = datetime.now(UTC)
    rows = [
        (Priority.FIRE, AlarmStatus.NEW, "图书馆三楼 阅览室", "感烟火灾探测器 火警", ("cam-library",)),
        (Priority.FAULT, AlarmStatus.ACKNOWLEDGED, "行政楼 消防泵房", "手动报警按钮 故障", ()),
        (
            Priority.SECURITY,
            AlarmStatus.IN_PROGRESS,
            "3号宿舍楼 正门",
            "禁止名单卡 拒绝通行",
            ("cam-dorm3-lobby",),
        ),
        (Priority.TECHNICAL, AlarmStatus.NEW, "体育场", "摄像机离线", ("cam-stadium",)),
    ]
    return [
        Alarm(
            id=i + 1,
            key=f"k{i}",
            source="fp-east",
            point=f"p{i}",
            kind="fire.alarm",
            priority=p,
            summary=s,
            status=st,
            count=1 + i,
            first_time=now - timedelta(minutes=5 * i),
            last_time=now,
            first_event=i,
            last_event=i,
            cameras=cams,
            location=loc,
        )
        for i, (p, st, loc, s, cams) in enumerate(rows)
    ]


def sample_events(n: int = 200) -> list[EventRow]:
    now = datetime.now(UTC)
    kinds = [
        ("gate.pass", Priority.INFO, "刷卡通行 进"),
        ("fire.alarm", Priority.FIRE, "感烟火灾探测器 火警"),
        ("gate.denied", Priority.SECURITY, "禁止名单卡 拒绝通行"),
    ]
    rows = []
    for i in range(1, n + 1):
        kind, priority, summary = kinds[i % len(kinds)]
        rows.append(
            EventRow(i, now - timedelta(seconds=n - i), priority, kind, "gate-west-dorm3", "lane-1", summary)
        )
    return rows


def sample_services() -> tuple[Any, Bridge]:
    """A stand-in for ConsoleServices with the demo site and sample alarms; actions are refused."""
    site = demo_site()
    alarms = sample_alarms()
    devices = [DeviceStatus(c.id, c.name, "camera", c.campus, HealthState.ONLINE) for c in site.cameras]
    devices += [
        DeviceStatus(p.id, p.name, "panel", p.campus, HealthState.DEGRADED, "备电故障") for p in site.panels
    ]
    counts = {s: sum(d.health is s for d in devices) for s in HealthState}
    services = SimpleNamespace(
        site=site,
        bus=Bus(),
        alarms=SimpleNamespace(open_alarms=lambda: alarms, silenced=frozenset()),
        devices=SimpleNamespace(all=lambda: devices, counts=lambda: counts),
        recent_events=lambda limit: [],
        alarm_history=lambda alarm_id: [],
    )
    return services, Bridge(services.bus)


def run_preview(make: Callable[[], QWidget]) -> None:
    """``make`` builds the widget once the application exists; an optional argument is the language."""
    from .app_window import prepare_app

    app = QApplication.instance() or QApplication(sys.argv)
    prepare_app(sys.argv[1] if len(sys.argv) > 1 else None)
    widget = make()
    widget.resize(1000, 640)
    widget.show()
    # Lets a test run every preview for a moment and check it starts cleanly.
    quit_ms = os.environ.get("CAMPUS_CONSOLE_PREVIEW_QUIT_MS")
    if quit_ms:
        QTimer.singleShot(int(quit_ms), app.quit)
    sys.exit(app.exec())
