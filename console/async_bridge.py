"""Completing asyncio futures from the store's writer thread with one loop wake-up per batch."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")


class LoopCompleter:
    """``asyncio.wrap_future`` wakes the loop once per future; a group commit resolves hundreds at once.
    This bridge collects the completions and wakes the loop once per batch: the store calls ``flush``
    after resolving a batch (``Store.add_batch_listener``)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, *, flush_each: bool = False) -> None:
        self._loop = loop
        self._flush_each = flush_each
        self._done: list[tuple[asyncio.Future[Any], Future[Any], Callable[[Any], Any] | None]] = []
        self._lock = threading.Lock()

    def wrap(
        self, submit: Callable[[], Future[Any]], then: Callable[[Any], T] | None = None
    ) -> asyncio.Future[T]:
        """Call ``submit`` (which returns a concurrent Future) and return an awaitable for its result, or
        for ``then(result)`` (computed on the loop: no coroutine and task just to convert a result)."""
        waiter: asyncio.Future[T] = self._loop.create_future()
        submit().add_done_callback(lambda done: self._completed(waiter, done, then))
        return waiter

    def _completed(
        self, waiter: asyncio.Future[Any], done: Future[Any], then: Callable[[Any], Any] | None
    ) -> None:
        with self._lock:
            self._done.append((waiter, done, then))
        if self._flush_each:
            self.flush()

    def flush(self) -> None:
        """Wake the loop for everything completed so far (called from the writer thread)."""
        with self._lock:
            if not self._done:
                return
            items, self._done = self._done, []
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is waiting any more
            self._loop.call_soon_threadsafe(_resolve, items)


def _resolve(items: list[tuple[asyncio.Future[Any], Future[Any], Callable[[Any], Any] | None]]) -> None:
    for waiter, done, then in items:
        if waiter.cancelled():
            continue
        error = done.exception()
        if error is not None:
            waiter.set_exception(error)
            continue
        try:
            waiter.set_result(done.result() if then is None else then(done.result()))
        except Exception as exc:  # a conversion that fails is the caller's error, not the loop's
            waiter.set_exception(exc)
