"""Child process for the durability test: ingest events and print each key once its future resolved."""

from __future__ import annotations

import sys
from collections import deque
from pathlib import Path

from console.storage.store import Store
from drivers.base import DeviceEvent, EventState, Priority


def main() -> None:
    store = Store(Path(sys.argv[1])).open()
    pending: deque[tuple[str, object]] = deque()
    i = 0
    while True:  # runs until the parent kills it with SIGKILL
        key = f"k{i}"
        event = DeviceEvent(
            source="uitd-1",
            kind="fire.alarm",
            state=EventState.ACTIVE,
            priority=Priority.FIRE,
            summary="fire",
            point=f"p{i % 7}",
            raw=bytes([i % 256]) * 8,
            dedup_key=key,
        )
        pending.append((key, store.ingest(event)))
        i += 1
        if len(pending) >= 32:
            done_key, fut = pending.popleft()
            fut.result()  # type: ignore[attr-defined]
            sys.stdout.write(done_key + "\n")  # the "ACK": only after the commit
            sys.stdout.flush()


if __name__ == "__main__":
    main()
