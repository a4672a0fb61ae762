"""The housekeeping thread runs its jobs on schedule, survives a failing job and stops promptly."""

from __future__ import annotations

import logging
import time

import pytest

from console.services.housekeeping import Housekeeping


@pytest.mark.allow_error_logs
def test_jobs_run_repeatedly_and_a_failure_does_not_stop_them(caplog: pytest.LogCaptureFixture) -> None:
    done: list[str] = []

    def broken() -> None:
        raise RuntimeError("disk full")

    keeper = Housekeeping([("broken", broken), ("purge", lambda: done.append("purge"))],
                          interval_s=0.05, first_delay_s=0.01)
    with caplog.at_level(logging.ERROR):
        keeper.start()
        deadline = time.monotonic() + 5
        while len(done) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        keeper.stop()
    assert len(done) >= 3
    assert "housekeeping: broken failed" in caplog.text


def test_stop_does_not_wait_for_the_next_day() -> None:
    keeper = Housekeeping([("purge", lambda: None)])  # first run a minute away, then daily
    keeper.start()
    started = time.monotonic()
    keeper.stop()
    assert time.monotonic() - started < 1 and keeper.runs == 0
