"""The real application as a subprocess: the demo opens, renders Chinese, writes a screenshot and exits 0."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage


@pytest.mark.slow
def test_demo_screenshot_and_records(tmp_path: Path, data_dir: Path) -> None:
    shot = tmp_path / "main.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "console",
            "--demo",
            "--data-dir",
            str(data_dir),
            "--lang",
            "zh_CN",
            "--screenshot",
            str(shot),
            "--quit-after",
            "15",  # the simulators start 1 s and 4 s in; a loaded machine needs the margin
        ],
        capture_output=True,
        text=True,
        timeout=150,
        stdin=subprocess.DEVNULL,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    image = QImage(str(shot))
    assert image.width() >= 1280 and image.height() >= 720
    # The dark theme: most of the window is dark, not an empty white surface.
    dark = sum(
        image.pixelColor(x, y).lightness() < 80
        for x in range(0, image.width(), 40)
        for y in range(0, image.height(), 40)
    )
    assert dark > 0.6 * (image.width() // 40) * (image.height() // 40)

    events = subprocess.run(
        [sys.executable, "-m", "console", "events", "--json", "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    kinds = {json.loads(line)["kind"] for line in events.stdout.splitlines()}
    assert "fire.alarm" in kinds
    audit = subprocess.run(
        [sys.executable, "-m", "console", "audit", "show", "--limit", "100", "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    actions = [json.loads(line)["action"] for line in audit.stdout.splitlines()]
    assert {"app_start", "login", "app_stop"} <= set(actions)
