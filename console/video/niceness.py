"""Background video threads yield the CPU to the GUI and the alarm path (Linux per-thread nice values)."""

from __future__ import annotations

import logging
import os
import threading

log = logging.getLogger(__name__)

# On a 2-core workstation sixteen decoders are runnable most of the time; the scheduler would give the GUI
# thread one share in seventeen and a tile's paint would wait ~16 ms for a core (0.7 ms of it is work).
# A nice value makes the decoders take what the GUI, the store writer and the drivers leave over; the
# threads FFmpeg starts for a decoder inherit it from the worker thread that opened the codec.
DECODER_NICE = 10
ANALYSIS_NICE = 5


def lower_this_thread(nice: int) -> bool:
    """Raise the calling thread's nice value (Linux: per thread); False where the OS has no such notion."""
    if not hasattr(os, "setpriority"):
        return False
    tid = threading.get_native_id()
    try:
        current = os.getpriority(os.PRIO_PROCESS, tid)
        if current < nice:
            os.setpriority(os.PRIO_PROCESS, tid, nice)
        return True
    except OSError as exc:  # e.g. a sandbox forbidding it: the console still works, only less smoothly
        log.info("could not lower the priority of thread %s: %s", threading.current_thread().name, exc)
        return False
