"""The command line as a user runs it: headless run, events, audit verify, config checks, usage errors."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from console.__main__ import main
from console.config import parse_site
from console.storage.store import DB_NAME

CLI = [sys.executable, "-m", "console"]


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )


@pytest.mark.slow
def test_headless_demo_runs_stops_on_sigterm_and_leaves_records(data_dir: Path) -> None:
    proc = subprocess.Popen(
        [*CLI, "run", "--headless", "--demo", "--data-dir", str(data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 30
    for line in proc.stdout:
        if "running headless" in line or time.monotonic() > deadline:
            break
    # The demo script raises its first fire alarm 6 s in; past 20 s every device is out of its start-up
    # grace, so one reported offline while the console stops would be recorded.
    time.sleep(22)
    proc.send_signal(signal.SIGTERM)
    out = proc.communicate(timeout=20)[0]
    assert proc.returncode == 0, out
    assert "received SIGTERM, stopping" in out and "engine stopped" in out

    listed = run_cli("--data-dir", str(data_dir), "events", "--json")
    events = [json.loads(line) for line in listed.stdout.splitlines()]
    assert {"id", "time", "source", "point", "kind", "state", "priority", "summary", "payload"} <= set(
        events[0]
    )
    assert any(e["kind"] == "fire.alarm" and e["priority"] == "fire" for e in events)
    # Stopping the console is not its devices going offline: no offline alarm is left behind.
    assert not [e for e in events if e["kind"] == "device.offline"]
    fire_only = run_cli(
        "events", "--kind", "fire", "--json", "--data-dir", str(data_dir)
    )  # options after too
    assert all(json.loads(line)["kind"].startswith("fire.") for line in fire_only.stdout.splitlines())

    verify = run_cli("audit", "verify", "--data-dir", str(data_dir))
    assert verify.returncode == 0 and "intact" in verify.stdout


def test_audit_verify_names_the_tampered_row(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from console.services.audit import AuditLog
    from console.storage.store import Store

    with Store(data_dir) as store:
        log = AuditLog(store)
        for i in range(6):
            log.record("li", "acknowledge", f"alarm:{i}").result(5)
    assert main(["--data-dir", str(data_dir), "audit", "verify"]) == 0
    conn = sqlite3.connect(data_dir / DB_NAME)
    conn.execute("UPDATE audit SET actor = 'mallory' WHERE id = 4")
    conn.commit()
    conn.close()
    assert main(["audit", "verify", "--data-dir", str(data_dir)]) == 1
    assert "BROKEN at row 4" in capsys.readouterr().err


def test_events_filters_and_time_window(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from console.storage.store import Store
    from drivers.base import DeviceEvent, EventState, Priority

    with Store(data_dir) as store:
        for kind, src in (("gate.pass", "gate-1"), ("fire.alarm", "fas-1"), ("gate.denied", "gate-1")):
            store.ingest(
                DeviceEvent(
                    source=src, kind=kind, state=EventState.INFO, priority=Priority.INFO, summary=kind
                )
            ).result(5)
    assert (
        main(["--data-dir", str(data_dir), "events", "--json", "--source", "gate-1", "--kind", "gate"]) == 0
    )
    kinds = [json.loads(x)["kind"] for x in capsys.readouterr().out.splitlines()]
    assert kinds == ["gate.pass", "gate.denied"]
    assert main(["--data-dir", str(data_dir), "events", "--json", "--since", "2099-01-01T00:00"]) == 0
    assert capsys.readouterr().out == ""
    assert main(["--data-dir", str(data_dir), "events", "--since", "yesterday"]) == 2
    assert "not an ISO time" in capsys.readouterr().err


def test_unknown_arguments_give_usage() -> None:
    result = run_cli("--frobnicate")
    assert result.returncode == 2 and "usage:" in result.stderr
    result = run_cli("events", "--nope")
    assert result.returncode == 2 and "usage:" in result.stderr


def test_broken_site_lists_errors_and_starts_nothing(tmp_path: Path) -> None:
    site = tmp_path / "site.toml"
    site.write_text(
        '[site]\nname = "x"\n\n[[campuses]]\nid = "east"\nname = "东"\n\n[[cameras]]\nid = "c1"\n'
        'name = "c"\ncampus = "north"\nmain_url = "ftp://x/y"\n',
        encoding="utf-8",
    )
    check = run_cli("check-config", str(site))
    assert check.returncode == 1
    assert (
        "site.toml:12: cameras[0].main_url" in check.stderr
        and "site.toml:11: cameras[0].campus" in check.stderr
    )
    data = tmp_path / "data"
    run = run_cli("run", "--headless", "--config", str(site), "--data-dir", str(data), "--quit-after", "1")
    assert run.returncode == 1 and "nothing was started" in run.stderr
    assert not (data / DB_NAME).exists()


def test_config_example_is_a_valid_site() -> None:
    result = run_cli("config-example")
    assert result.returncode == 0
    site = parse_site(result.stdout, "example.toml")
    assert site.cameras and site.points


def test_corrupt_database_is_reported_not_recreated(data_dir: Path) -> None:
    (data_dir / DB_NAME).write_bytes(b"garbage" * 50)
    result = run_cli("run", "--headless", "--demo", "--data-dir", str(data_dir), "--quit-after", "1")
    assert result.returncode == 1 and "corrupt or not a Campus Console database" in result.stderr
    assert (data_dir / DB_NAME).read_bytes() == b"garbage" * 50


def test_credentials_and_first_admin_from_the_command_line(data_dir: Path) -> None:
    env = {
        "CAMPUS_CONSOLE_MASTER_PASSWORD": "master-pass-123",
        "CAM_SECRET": "s3cret-pw",
        "PW": "admin-pass-1",
    }
    env_off = {**env, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    result = run_cli(
        "credentials",
        "set",
        "east-gate",
        "--username",
        "admin",
        "--secret-env",
        "CAM_SECRET",
        "--data-dir",
        str(data_dir),
        env=env_off,
    )
    assert result.returncode == 0, result.stderr
    assert b"s3cret-pw" not in (data_dir / "credentials.enc").read_bytes()
    listed = run_cli("credentials", "list", "--data-dir", str(data_dir), env=env_off)
    assert listed.stdout.split() == ["east-gate"]
    no_tty = run_cli("users", "add", "boss", "--role", "admin", "--data-dir", str(data_dir))
    assert no_tty.returncode == 2 and "not a terminal" in no_tty.stderr  # never waits for input
    made = run_cli(
        "users",
        "add",
        "boss",
        "--role",
        "admin",
        "--password-env",
        "PW",
        "--data-dir",
        str(data_dir),
        env=env,
    )
    assert made.returncode == 0, made.stderr
    assert "boss" in run_cli("users", "list", "--data-dir", str(data_dir)).stdout


def test_changed_site_file_is_audited(tmp_path: Path, data_dir: Path) -> None:
    site = tmp_path / "site.toml"
    site.write_text('[site]\nname = "测试"\n\n[[campuses]]\nid = "east"\nname = "东校区"\n', encoding="utf-8")
    for _ in range(2):
        assert (
            run_cli(
                "run", "--headless", "--config", str(site), "--data-dir", str(data_dir), "--quit-after", "0.2"
            ).returncode
            == 0
        )
    site.write_text(
        site.read_text(encoding="utf-8") + '\n[network]\nbind_host = "127.0.0.1"\n', encoding="utf-8"
    )
    assert (
        run_cli(
            "run", "--headless", "--config", str(site), "--data-dir", str(data_dir), "--quit-after", "0.2"
        ).returncode
        == 0
    )
    conn = sqlite3.connect(data_dir / DB_NAME)
    changes = conn.execute("SELECT detail FROM audit WHERE action = 'config_change' ORDER BY id").fetchall()
    conn.close()
    assert len(changes) == 2  # first run, then the edit; the unchanged second run adds nothing
    assert json.loads(changes[1][0])["previous_sha256"] == json.loads(changes[0][0])["sha256"]
