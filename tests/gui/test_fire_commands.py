"""查岗, clock sync and status read from the fire board, against the real GB/T 26875.3 driver."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher

from console.config import parse_site
from console.domain.roles import Role
from console.engine import Engine, services_of
from drivers.fire.gb26875.simulator import UitdSimulator

SITE = """
[site]
name = "commands"
[[campuses]]
id = "c"
name = "C"
[[panels]]
id = "fas-1"
name = "宿舍楼 控制器"
campus = "c"
driver = "fire.gb26875"
settings = { listen_port = 0, command_timeout_s = 2, command_retries = 1 }
"""


@pytest.fixture
def engine(tmp_path: Path, fast_hasher: PasswordHasher) -> Iterator[Engine]:
    eng = Engine(parse_site(SITE), tmp_path / "data", accounts_hasher=fast_hasher)
    eng.start()
    yield eng
    eng.stop()


def test_patrol_and_clock_sync_reach_the_uitd_and_are_audited(qtbot: Any, engine: Engine) -> None:
    from widgets.bridge import Bridge
    from widgets.fire_commands import PanelCommandBar

    engine.accounts.create_first_admin("admin", "Admin", "admin-password")
    admin = engine.accounts.login("admin", "admin-password")
    engine.accounts.create_user(admin, "li", "李", Role.OPERATOR, "operator-pw")
    officer = engine.accounts.login("li", "operator-pw")
    driver = engine.host.slots["fas-1"].driver
    qtbot.waitUntil(lambda: getattr(driver, "bound_port", None) is not None, timeout=5000)
    sim = UitdSimulator("127.0.0.1", driver.bound_port, "heartbeat", repeat=True, heartbeat_s=0.5, rate=2,
                        patrol_delay_s=0.2)
    loop = asyncio.new_event_loop()
    runner = threading.Thread(target=loop.run_until_complete, args=(sim.run(),), name="uitd-sim")
    runner.start()
    services = services_of(engine)
    bridge = Bridge(services.bus)
    bridge.start()
    bar = PanelCommandBar(services, officer, bridge, lambda: "fas-1")
    qtbot.addWidget(bar)
    messages: list[str] = []
    bar.sig_message.connect(messages.append)
    try:
        for command in ("time_sync", "patrol"):
            future = None
            for _ in range(30):  # the simulator needs a moment to connect
                future = bar.send(command)
                qtbot.waitUntil(lambda f=future: f is not None and f.done(), timeout=5000)
                if future.exception() is None:
                    break
                qtbot.wait(200)
            assert future is not None and future.exception() is None, future.exception()
        qtbot.waitUntil(lambda: any("answered" in m for m in messages), timeout=10000)
    finally:
        bridge.stop()
        loop.call_soon_threadsafe(sim.stop)
        runner.join(10)
        loop.close()
    conn = engine.store.reader()
    rows = conn.execute(
        "SELECT actor, action, target FROM audit WHERE action LIKE 'device_command%'"
    ).fetchall()
    conn.close()
    assert ("li", "device_command", "fas-1") in rows and ("li", "device_command_result", "fas-1") in rows
