"""Runs the demo site's protocol simulators as child processes, so the demo speaks real protocols."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from collections.abc import Sequence

from console.config import DemoSimulator

log = logging.getLogger(__name__)


class SimulatorProcesses:
    """Starts each simulator after its delay and stops them all (terminate, then kill) on ``stop``."""

    def __init__(self, simulators: Sequence[DemoSimulator]) -> None:
        self._specs = list(simulators)
        self._procs: list[subprocess.Popen[bytes]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._specs:
            self._thread = threading.Thread(target=self._run, name="demo-simulators", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        started = time.monotonic()
        for spec in sorted(self._specs, key=lambda s: s.start_delay_s):
            if self._stop.wait(max(0.0, started + spec.start_delay_s - time.monotonic())):
                return
            cmd = [sys.executable, "-m", "console", "simulate", spec.simulator, *spec.args]
            log.info("starting demo simulator: %s", " ".join(cmd[2:]))
            # Simulator output goes to our log file through stdout; stdin is closed so it never waits.
            self._procs.append(subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL))

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        for proc in self._procs:
            proc.terminate()
        for proc in self._procs:
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout)
        self._procs.clear()
