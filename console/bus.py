"""Thread-safe publish/subscribe of domain messages (no Qt); callbacks run in the publisher's thread."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

Callback = Callable[[Any], None]


class Bus:
    """Subscribers register for a message type (or ``object`` for all). A subscriber that raises is
    logged and skipped, so one faulty view never silences the others."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: dict[type, list[Callback]] = {}

    def subscribe(self, message_type: type, callback: Callback) -> Callable[[], None]:
        with self._lock:
            self._subscribers.setdefault(message_type, []).append(callback)

        def unsubscribe() -> None:
            with self._lock:
                callbacks = self._subscribers.get(message_type, [])
                if callback in callbacks:
                    callbacks.remove(callback)

        return unsubscribe

    def publish(self, message: Any) -> None:
        with self._lock:
            targets = [
                cb
                for kind, callbacks in self._subscribers.items()
                if isinstance(message, kind)
                for cb in callbacks
            ]
        for callback in targets:
            try:
                callback(message)
            except Exception:
                log.exception("bus subscriber %r failed on %r", callback, message)
