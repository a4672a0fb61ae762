"""A child that ignores the polite signal is killed after the wait; one that obeys just ends."""

from __future__ import annotations

import subprocess
import sys
import time

from console.processes import stop_process


def test_an_obedient_child_ends_on_the_signal() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], stdout=subprocess.PIPE)
    started = time.monotonic()
    stop_process(proc, timeout=5)
    assert proc.returncode is not None and time.monotonic() - started < 5
    assert proc.stdout is not None and proc.stdout.closed


def test_a_child_ignoring_the_signal_is_killed_after_the_wait() -> None:
    code = ("import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
            "print('ready', flush=True); time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    started = time.monotonic()
    stop_process(proc, timeout=0.5)
    assert proc.returncode == -9 and 0.4 < time.monotonic() - started < 5
