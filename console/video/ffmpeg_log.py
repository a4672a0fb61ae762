"""FFmpeg's warnings and errors, captured per worker thread so they are counted instead of printed."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import av.logging

_lock = threading.Lock()
_users = 0
_saved: tuple[int | None, bool] | None = None


def _acquire() -> None:
    global _users, _saved
    with _lock:
        if _users == 0:
            # PyAV's default drops FFmpeg's messages, and with them the only trace of concealed decode
            # errors (corrupt slices, lost RTP packets). Route them to Python while any worker runs;
            # each worker thread captures its own, so they become counts, not log lines.
            _saved = (av.logging.get_level(), av.logging.get_skip_repeated())
            av.logging.set_level(av.logging.WARNING)
            av.logging.set_skip_repeated(False)  # ten identical errors are ten errors
        _users += 1


def _release() -> None:
    global _users, _saved
    with _lock:
        _users -= 1
        if _users == 0 and _saved is not None:
            level, skip = _saved
            av.logging.set_level(level)
            av.logging.set_skip_repeated(skip)
            _saved = None


@contextlib.contextmanager
def captured() -> Iterator[list[tuple[int, str, str]]]:
    """Collect FFmpeg messages (level, component, text) raised on this thread while inside the block.

    The caller drains the list as it goes (``del logs[:]``) so a long session does not grow it."""
    _acquire()
    try:
        with av.logging.Capture(local=True) as logs:
            yield logs
    finally:
        _release()
