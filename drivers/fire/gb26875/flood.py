"""A flood of UITD uploads over several connections, for the fire benchmark: wire→ACK timing per frame."""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from collections.abc import Sequence
from datetime import datetime, timedelta

from .adu import ComponentState, encode_adu
from .fields import component_address
from .frame import Command, Frame, FrameReader, address_from_int, encode_frame
from .tables import ComponentStatus
from .timetag import encode_time

CENTER = address_from_int(88888)
SMOKE, MODULE = 42, 85
_BASE = datetime(2026, 5, 1, 8, 0, 0)


def plan(frames: int, fires: int, seed: int = 0) -> list[tuple[str, int, int, int]]:
    """(kind, zone, number, status) per frame: ``fires`` fire alarms at distinct detectors spread through
    the flood, faults and restores folding on 200 parts, the rest module start/feedback reports."""
    rng = random.Random(seed)
    fire_at = set(rng.sample(range(frames), fires))
    out: list[tuple[str, int, int, int]] = []
    fire_n = 0
    for i in range(frames):
        if i in fire_at:
            out.append(
                ("fire", 90 + fire_n // 200, fire_n % 200 + 1, ComponentStatus.FIRE | ComponentStatus.NORMAL)
            )
            fire_n += 1
        elif i % 5 == 0:
            bit = ComponentStatus.FAULT if rng.random() < 0.5 else ComponentStatus(0)
            out.append(("fault", 1 + rng.randrange(10), 1 + rng.randrange(20), bit | ComponentStatus.NORMAL))
        else:
            bit = ComponentStatus.STARTED if rng.random() < 0.5 else ComponentStatus.FEEDBACK
            out.append(("info", 20 + rng.randrange(10), 1 + rng.randrange(50), bit | ComponentStatus.NORMAL))
    return out


def wire(serial: int, uitd: int, index: int, kind: str, zone: int, number: int, status: int) -> bytes:
    # Each frame carries its own event time so no two frames share a dedup key.
    tag = encode_time(_BASE + timedelta(seconds=index))
    adu = encode_adu(
        [
            ComponentState(
                system_type=1,
                system_addr=1,
                component_type=SMOKE if kind == "fire" else MODULE,
                component_addr=component_address(zone, number),
                status=ComponentStatus(status),
                description=f"{zone}区{number}号",
                time_raw=tag,
            )
        ]
    )
    return encode_frame(
        Frame.build(
            serial=serial & 0xFFFF,
            command=Command.SEND,
            source=address_from_int(uitd),
            dest=CENTER,
            time=datetime.now(),
            adu=adu,
        )
    )


class _Uitd(asyncio.Protocol):
    """One UITD of the flood: keeps ``window`` frames unacknowledged, sends the next on each ACK.

    A protocol, not a stream with a task and a semaphore: the load generator shares the machine with
    the console it measures, so it should cost as little per frame as a device's own board would."""

    def __init__(self, jobs: list[tuple[str, int, int, bytes]], window: int, acks: list[float],
                 fire_sent: dict[str, float], done: asyncio.Future[None]) -> None:
        self._jobs = jobs
        self._window = window
        self._acks = acks
        self._fire_sent = fire_sent
        self._done = done
        self._frames = FrameReader()
        self._sent: dict[int, float] = {}
        self._next = 0
        self._acked = 0
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        for _ in range(min(self._window, len(self._jobs))):
            self._send_next()
        if not self._jobs:
            self._done.set_result(None)

    def _send_next(self) -> None:
        kind, zone, number, data = self._jobs[self._next]
        self._next += 1
        self._sent[self._next & 0xFFFF] = now = time.monotonic()  # serials count from 1
        if kind == "fire":
            self._fire_sent[f"1-1-{zone}-{number}"] = now
        assert self._transport is not None
        self._transport.write(data)

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        for item in self._frames.feed(data):
            if not isinstance(item, Frame) or item.command != Command.ACK:
                continue
            sent = self._sent.pop(item.serial, None)
            if sent is None:
                continue
            self._acks.append(now - sent)
            self._acked += 1
            if self._next < len(self._jobs):
                self._send_next()
        if self._acked == len(self._jobs) and not self._done.done():
            self._done.set_result(None)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self._done.done():
            self._done.set_exception(ConnectionError(f"the centre closed the connection: {exc}"))


async def _connection(
    host: str,
    port: int,
    jobs: list[tuple[str, int, int, bytes]],
    window: int,
    acks: list[float],
    fire_sent: dict[str, float],
) -> None:
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()
    transport, _ = await loop.create_connection(
        lambda: _Uitd(jobs, window, acks, fire_sent, done), host, port)
    try:
        await done
    finally:
        transport.close()


async def flood(
    host: str, port: int, frames: int, fires: int, connections: int, window: int
) -> dict[str, object]:
    # Every frame is encoded before the clock starts: the load generator shares the machine with the
    # console, and encoding during the flood would take CPU from what is being measured (a real UITD
    # encodes on its own board). The header time is then a few seconds old, like a UITD clock behind.
    planned = plan(frames, fires)
    per_uitd = [
        [(kind, zone, number, wire(serial, 1000 + c, index, kind, zone, number, status))
         for serial, (index, (kind, zone, number, status))
         in enumerate(list(enumerate(planned))[c::connections], start=1)]
        for c in range(connections)
    ]
    acks: list[float] = []
    fire_sent: dict[str, float] = {}
    started, cpu = time.monotonic(), time.process_time()
    await asyncio.gather(
        *(_connection(host, port, per_uitd[c], window, acks, fire_sent) for c in range(connections))
    )
    elapsed = time.monotonic() - started
    return {
        "cpu_seconds": time.process_time() - cpu,  # the load generator's own share of the machine
        "frames": frames,
        "acked": len(acks),
        "seconds": elapsed,
        "ack_latencies_s": acks,
        "fire_sent_monotonic": fire_sent,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="simulate uitd-flood", description="flood a GB/T 26875.3 centre")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--frames", type=int, default=10_000)
    parser.add_argument("--fires", type=int, default=100)
    parser.add_argument("--connections", type=int, default=16, help="UITDs sending at once")
    parser.add_argument("--window", type=int, default=4, help="unacknowledged frames per UITD")
    args = parser.parse_args(argv)
    result = asyncio.run(flood(args.host, args.port, args.frames, args.fires, args.connections, args.window))
    print(json.dumps(result))
    return 0 if result["acked"] == args.frames else 1
