"""One store job for the events of every push request that reached the store in the same loop pass."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from drivers.base import DeviceEvent, DriverContext

__all__ = ["IngestBatcher"]


@dataclass(slots=True)
class _Waiter:
    start: int  # where this request's events begin in the batch
    count: int
    future: asyncio.Future[list[int]]


class IngestBatcher:
    """Pushes arrive one event per request from many devices at once; one store job (one future, one
    writer job, one loop wake-up) per request cost more than storing the event. Requests that hand their
    events over in one pass of the loop share one ``ingest_many``, sent at the start of the next pass, so
    nothing waits longer than it would have; each request still resumes only once the commit that made
    its own events durable is done, so its reply never outruns its data.

    One batcher serves one listener, whose drivers all run in one driver host (the listener belongs to the
    host's loop): any of their contexts stores any of their events, each of which names its own source.
    """

    def __init__(self) -> None:
        self._ctx: DriverContext | None = None
        self._events: list[DeviceEvent] = []
        self._waiters: list[_Waiter] = []
        self.batches = 0  # store jobs sent, for tests and status

    def ingest(self, ctx: DriverContext, events: list[DeviceEvent]) -> asyncio.Future[list[int]]:
        """Queue ``events`` for the next batch; the future resolves with their ids after the commit."""
        loop = asyncio.get_running_loop()
        if self._ctx is None:
            self._ctx = ctx
            loop.call_soon(self._flush)
        waiter = _Waiter(len(self._events), len(events), loop.create_future())
        self._events += events
        self._waiters.append(waiter)
        return waiter.future

    def _flush(self) -> None:
        ctx, events, waiters = self._ctx, self._events, self._waiters
        self._ctx, self._events, self._waiters = None, [], []
        assert ctx is not None
        self.batches += 1
        stored = asyncio.ensure_future(ctx.ingest_many(events))
        stored.add_done_callback(lambda done: _resolve(done, waiters))


def _resolve(done: asyncio.Future[list[int]], waiters: list[_Waiter]) -> None:
    error = None if done.cancelled() else done.exception()
    ids = done.result() if error is None and not done.cancelled() else []
    for w in waiters:
        if w.future.done():  # its request was cancelled (the device hung up): nobody to tell
            continue
        if done.cancelled():
            w.future.cancel()
        elif error is not None:
            w.future.set_exception(error)
        else:
            w.future.set_result(ids[w.start : w.start + w.count])
