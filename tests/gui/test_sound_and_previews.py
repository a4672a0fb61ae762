"""The bundled alarm sounds, the quiet audio probe, and each widget module's preview entry point."""

from __future__ import annotations

import os
import subprocess
import sys
import wave
from pathlib import Path

import pytest

from console.domain.sound import Sound
from widgets.sound import audio_output_available, sound_path

ROOT = Path(__file__).resolve().parents[2]
PREVIEWS = ("alarm_panel", "camera_wall", "device_tree", "disposition_dialog", "event_log")


def test_the_sounds_are_short_distinct_wavs_under_200_kb() -> None:
    sizes, lengths = [], {}
    for sound in Sound:
        path = sound_path(sound)
        sizes.append(path.stat().st_size)
        with wave.open(str(path)) as f:
            assert (f.getnchannels(), f.getsampwidth()) == (1, 2)
            lengths[sound] = f.getnframes() / f.getframerate()
            frames = f.readframes(f.getnframes())
        assert any(frames), f"{sound} is silent"
    assert sum(sizes) <= 200 * 1024
    assert all(0.8 <= seconds <= 2.5 for seconds in lengths.values())
    assert len({sound_path(s).read_bytes() for s in Sound}) == len(Sound)


def test_the_audio_probe_answers_without_qt_warnings(qapp: object) -> None:
    # qt_log_level_fail = WARNING: the backend's library probing must not leak out as warnings.
    assert isinstance(audio_output_available(), bool)
    assert audio_output_available() is audio_output_available()  # cached: probed once per process


@pytest.mark.slow
@pytest.mark.parametrize("module", PREVIEWS)
def test_preview_starts_and_quits_cleanly(module: str) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "CAMPUS_CONSOLE_PREVIEW_QUIT_MS": "200"}
    result = subprocess.run(
        [sys.executable, "-m", f"widgets.{module}", "zh_CN"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    # Only the offscreen plugin's own note may appear (see QT_LOG_IGNORE in conftest).
    noise = [line for line in result.stderr.splitlines() if "propagateSizeHints" not in line]
    assert noise == []
