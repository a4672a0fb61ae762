"""Delivers the outcome of a service future (resolved in the store's writer thread) to the GUI thread."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal


class FutureRelay(QObject):
    """``watch(future, callback)``: the callback runs later in this object's thread with the done future."""

    _sig_done = Signal(object, object)
    """(callback, future), emitted from whichever thread resolves the future."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._closed = False
        self._sig_done.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def watch(self, future: Future[Any], callback: Callable[[Future[Any]], None]) -> None:
        def done(f: Future[Any]) -> None:
            if self._closed:
                return
            # RuntimeError: the window that asked is gone; the change still arrives through the bus.
            with contextlib.suppress(RuntimeError):
                self._sig_done.emit(callback, f)

        future.add_done_callback(done)

    def close(self) -> None:
        self._closed = True

    def _deliver(self, callback: Callable[[Future[Any]], None], future: Future[Any]) -> None:
        if not self._closed:
            callback(future)
