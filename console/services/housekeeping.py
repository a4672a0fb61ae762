"""Retention housekeeping: one background thread runs the daily jobs (person data past its days)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

log = logging.getLogger(__name__)

DAY_S = 24 * 3600.0
# Not at start-up itself: the first minute belongs to connecting devices and the officer's first look.
FIRST_RUN_S = 60.0


class Housekeeping:
    """Runs each ``(name, job)`` once after ``first_delay_s`` and then every ``interval_s``.

    A job that fails is logged and tried again next time; it never stops the others or the thread.
    """

    def __init__(
        self,
        jobs: Sequence[tuple[str, Callable[[], object]]],
        *,
        interval_s: float = DAY_S,
        first_delay_s: float = FIRST_RUN_S,
    ) -> None:
        self._jobs = list(jobs)
        self._interval = interval_s
        self._first = first_delay_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs = 0

    def start(self) -> None:
        if self._thread is None and self._jobs:
            self._thread = threading.Thread(target=self._run, name="housekeeping", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)

    def run_now(self) -> None:
        for name, job in self._jobs:
            if self._stop.is_set():
                return
            try:
                result = job()
                log.info("housekeeping: %s done (%s)", name, result)
            except Exception:
                log.exception("housekeeping: %s failed; it runs again next time", name)
        self.runs += 1

    def _run(self) -> None:
        wait = self._first
        while not self._stop.wait(wait):
            self.run_now()
            wait = self._interval
