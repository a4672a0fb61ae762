"""SIGKILL the console in the middle of a GB/T 26875.3 flood: every frame it ACKed is stored after restart."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from console.bench.fire import free_port, uitd_site_text
from console.storage.store import DB_NAME, open_reader
from drivers.fire.gb26875 import flood
from drivers.fire.gb26875.frame import Command, Frame, FrameReader


def connect(port: int, deadline: float) -> socket.socket:
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=5)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.mark.slow
def test_acked_frames_survive_sigkill(tmp_path: Path) -> None:
    port = free_port()
    site = tmp_path / "site.toml"
    site.write_text(uitd_site_text(port), encoding="utf-8")
    data = tmp_path / "data"
    console = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "console",
            "run",
            "--headless",
            "--config",
            str(site),
            "--data-dir",
            str(data),
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    sock = connect(port, time.monotonic() + 30)
    reader = FrameReader()
    acked: set[str] = set()
    pending: dict[int, str] = {}
    jobs = flood.plan(20_000, 2_000, seed=5)
    try:
        serial = 0
        for index, (kind, zone, number, status) in enumerate(jobs):
            if kind != "fire":
                continue  # fire alarms only: each names a distinct detector, so the check is exact
            serial += 1
            sock.sendall(flood.wire(serial, 1000, index, kind, zone, number, status))
            pending[serial] = f"1-1-{zone}-{number}"
            if len(pending) >= 8:  # a small window, like a UITD waiting for its confirmations
                for item in reader.feed(sock.recv(65536)):
                    if isinstance(item, Frame) and item.command == Command.ACK and item.serial in pending:
                        acked.add(pending.pop(item.serial))
            if len(acked) >= 600:
                break
    finally:
        console.send_signal(signal.SIGKILL)  # mid-flood: frames are in flight when it dies
        console.wait(10)
        sock.close()
    assert len(acked) >= 600
    conn = open_reader(data / DB_NAME)
    stored = {row[0] for row in conn.execute("SELECT point FROM events WHERE kind = 'fire.alarm'")}
    conn.close()
    lost = acked - stored
    assert not lost, f"{len(lost)} ACKed fire alarms lost, e.g. {sorted(lost)[:5]}"
