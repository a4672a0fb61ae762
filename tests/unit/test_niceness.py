"""Background video threads lower their own scheduling priority, and only their own."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from console.video.niceness import lower_this_thread


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values are a Linux notion")
def test_lowering_a_worker_thread_leaves_the_caller_alone() -> None:
    mine = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    seen: dict[str, int] = {}

    def worker() -> None:
        assert lower_this_thread(mine + 7)
        seen["worker"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        assert lower_this_thread(mine + 3)  # never raises the priority back
        seen["again"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    thread = threading.Thread(target=worker, name="nice-probe")
    thread.start()
    thread.join(5)
    assert seen == {"worker": min(mine + 7, 19), "again": min(mine + 7, 19)}
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == mine
