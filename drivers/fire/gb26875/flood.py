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


async def _connection(
    host: str,
    port: int,
    uitd: int,
    jobs: list[tuple[str, int, int, bytes]],
    window: int,
    acks: list[float],
    fire_sent: dict[str, float],
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    frames = FrameReader()
    sent: dict[int, float] = {}
    pending = asyncio.Semaphore(window)

    async def read_acks() -> None:
        while len(acks_here) < len(jobs):
            data = await reader.read(65536)
            if not data:
                raise ConnectionError("the centre closed the connection")
            for item in frames.feed(data):
                if isinstance(item, Frame) and item.command == Command.ACK and item.serial in sent:
                    acks.append(time.monotonic() - sent.pop(item.serial))
                    acks_here.append(item.serial)
                    pending.release()

    acks_here: list[int] = []
    task = asyncio.create_task(read_acks())
    for serial, (kind, zone, number, data) in enumerate(jobs, start=1):
        await pending.acquire()
        sent[serial & 0xFFFF] = now = time.monotonic()
        if kind == "fire":
            fire_sent[f"1-1-{zone}-{number}"] = now
        writer.write(data)
    await task
    writer.close()
    await writer.wait_closed()


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
    started = time.monotonic()
    await asyncio.gather(
        *(_connection(host, port, 1000 + c, per_uitd[c], window, acks, fire_sent) for c in range(connections))
    )
    elapsed = time.monotonic() - started
    return {
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
