"""GB/T 26875.3 UITD simulator: a TCP client speaking the protocol over a real socket, with faults."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import logging
import random
import signal
import socket
import sys
from collections.abc import Coroutine, Iterable
from datetime import datetime
from typing import Any

from drivers.fire.gb26875 import commands
from drivers.fire.gb26875.adu import ComponentState as Part
from drivers.fire.gb26875.adu import SystemState, UitdOperation, UitdState, UitdTime, UitdVersion, encode_adu
from drivers.fire.gb26875.frame import (
    Command,
    Frame,
    FrameReader,
    address_from_int,
    answer_for,
    encode_frame,
)
from drivers.fire.gb26875.mapping import CHINA_TZ
from drivers.fire.gb26875.scenarios import SCENARIOS, Step
from drivers.fire.gb26875.tables import ComponentStatus, SystemStatus, UitdOperationFlags, UitdStatus
from drivers.fire.gb26875.timetag import encode_time

log = logging.getLogger("drivers.fire.gb26875.simulator")

FAULTS = ("bad-checksum", "split", "garbage", "retransmit", "silence")
MAX_RESENDS = 3  # the standard's recommendation: at most 3 retries, then give up


@dataclasses.dataclass
class SimStats:
    """What the simulator did. ``acked`` and ``naked`` count answers received (a frame sent twice on
    purpose is answered twice); ``unacked`` counts uploads given up after every resend."""

    frames_sent: int = 0
    uploads: int = 0
    heartbeats: int = 0
    acked: int = 0
    naked: int = 0
    resent: int = 0
    unacked: int = 0
    commands: int = 0
    patrol_answers: int = 0
    garbage_bytes: int = 0
    error: str = ""

    def as_dict(self) -> dict[str, int | str]:
        return dataclasses.asdict(self)


def _now() -> datetime:
    return datetime.now(CHINA_TZ)


class UitdSimulator:
    """One UITD. ``run`` connects, plays the scenario (forever with ``repeat``) and returns its stats;
    ``stop`` ends a repeating run after the current step."""

    def __init__(self, host: str, port: int, scenario: str, *, faults: Iterable[str] = (),
                 uitd_address: int = 889, center_address: int = 88888, rate: float = 1.0, seed: int = 0,
                 repeat: bool = False, heartbeat_s: float = 20.0, ack_timeout_s: float = 2.0,
                 silence_s: float = 120.0, patrol_delay_s: float = 1.0) -> None:
        if scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {scenario!r} (known: {', '.join(SCENARIOS)})")
        self.faults = frozenset(faults)
        if unknown := self.faults - set(FAULTS):
            raise ValueError(f"unknown fault mode(s) {sorted(unknown)} (known: {', '.join(FAULTS)})")
        self.host, self.port, self.scenario, self.repeat = host, port, scenario, repeat
        self.address, self.center = address_from_int(uitd_address), address_from_int(center_address)
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.heartbeat_s, self.ack_timeout_s = heartbeat_s, ack_timeout_s
        self.silence_s, self.patrol_delay_s = silence_s, patrol_delay_s
        self.rng = random.Random(seed)
        self.stats = SimStats()
        self.status = UitdStatus.NORMAL
        self._serial = 0
        self._pending: dict[int, asyncio.Future[int]] = {}
        self._stop = asyncio.Event()
        self._awake = asyncio.Event()  # cleared while the "silence" fault keeps the UITD quiet
        self._awake.set()
        self._write_lock = asyncio.Lock()
        self._writer: asyncio.StreamWriter | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> SimStats:
        reader, self._writer = await asyncio.open_connection(self.host, self.port)
        sock = self._writer.get_extra_info("socket")
        if sock is not None:  # small writes must leave as separate segments for the "split" fault
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._spawn(self._receive(reader))
        self._spawn(self._heartbeat())
        try:
            await self._play()
        except ConnectionError as exc:
            self.stats.error = f"connection lost: {exc}"
        finally:
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()
        return self.stats

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str | None = None) -> None:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _play(self) -> None:
        first = True
        while True:
            for step in SCENARIOS[self.scenario](self.rng):
                await self._awake.wait()
                await self._upload(step)
                if first and "silence" in self.faults:
                    first = False
                    self._spawn(self._silence())
                if await self._paused(self.interval):
                    return
            if not self.repeat or self._stop.is_set():
                # Let a pending 查岗 answer go out before we hang up.
                await asyncio.gather(*(t for t in self._tasks if t.get_name() == "patrol"))
                return

    async def _paused(self, seconds: float) -> bool:
        """Sleep between steps; True when ``stop`` was called meanwhile."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._stop.wait()
        return self._stop.is_set()

    async def _silence(self) -> None:
        self._awake.clear()
        await asyncio.sleep(self.silence_s)
        self._awake.set()

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_s)
            await self._awake.wait()
            self.stats.heartbeats += 1
            await self._write(self._frame(Command.SEND, b""))

    # -- sending ------------------------------------------------------------------------------------
    def _frame(self, command: int, adu: bytes) -> bytes:
        serial, self._serial = self._serial, (self._serial + 1) & 0xFFFF
        return encode_frame(Frame.build(serial=serial, command=command, source=self.address, dest=self.center,
                                        time=_now(), adu=adu))

    async def _write(self, wire: bytes) -> None:
        assert self._writer is not None
        async with self._write_lock:  # a split frame must not interleave with another frame
            if "garbage" in self.faults:
                # No '@' in the noise, so it never fakes a start marker and delays the real frame.
                noise = bytes(self.rng.choice([b for b in range(256) if b != 0x40])
                              for _ in range(self.rng.randint(1, 32)))
                self.stats.garbage_bytes += len(noise)
                wire = noise + wire
            if "split" in self.faults:
                pos = 0
                while pos < len(wire):
                    size = self.rng.randint(1, 8)
                    self._writer.write(wire[pos:pos + size])
                    await self._writer.drain()
                    await asyncio.sleep(0.0005)
                    pos += size
            else:
                self._writer.write(wire)
                await self._writer.drain()
            self.stats.frames_sent += 1

    async def _upload(self, step: Step) -> None:
        adu = step(_now())
        if not adu:
            self.stats.heartbeats += 1
        self.stats.uploads += 1
        wire = self._frame(Command.SEND, adu)
        serial = int.from_bytes(wire[2:4], "little")
        for attempt in range(1 + MAX_RESENDS):
            waiter: asyncio.Future[int] = asyncio.get_running_loop().create_future()
            self._pending[serial] = waiter
            first = wire
            if attempt == 0 and adu and "bad-checksum" in self.faults and self.rng.random() < 0.5:
                first = wire[:-3] + bytes(((wire[-3] + 1) & 0xFF,)) + wire[-2:]
            if attempt:
                self.stats.resent += 1
            await self._write(first)
            if attempt == 0 and "retransmit" in self.faults:
                self.stats.resent += 1
                await self._write(first)
            try:
                async with asyncio.timeout(self.ack_timeout_s):
                    answer = await waiter
            except TimeoutError:
                log.info("no ACK for serial %d within %g s, resending", serial, self.ack_timeout_s)
                continue
            finally:
                self._pending.pop(serial, None)
            if answer == Command.ACK:
                return
        self.stats.unacked += 1

    # -- receiving ----------------------------------------------------------------------------------
    async def _receive(self, reader: asyncio.StreamReader) -> None:
        frames = FrameReader()
        while data := await reader.read(65536):
            for item in frames.feed(data):
                if isinstance(item, Frame):
                    await self._on_frame(item)
                else:
                    log.warning("bad frame from the centre (%s) raw=%s", item.reason, item.raw.hex(" "))
        self.stop()

    async def _on_frame(self, frame: Frame) -> None:
        if frame.command in (Command.ACK, Command.NAK):
            if frame.command == Command.ACK:
                self.stats.acked += 1
            else:
                self.stats.naked += 1
            waiter = self._pending.get(frame.serial)
            if waiter is not None and not waiter.done():
                waiter.set_result(frame.command)
        elif frame.command in (Command.CONTROL, Command.REQUEST):
            self.stats.commands += 1
            await self._write(self._answer(frame))

    def _answer(self, frame: Frame) -> bytes:
        """ACK a control command or answer a query with data (cmd 5); NAK what we do not support."""
        request = commands.decode_downstream(frame.adu)
        code = getattr(request, "type_code", None)
        if frame.command == Command.CONTROL and code in commands.CONTROL_TYPES:
            if code == commands.Downstream.PATROL:
                self._spawn(self._answer_patrol(self.patrol_delay_s), name="patrol")
            return answer_for(frame, Command.ACK, _now())
        if frame.command == Command.REQUEST and isinstance(request, commands.DownstreamAdu):
            adu = self._query(request)
            if adu is not None:
                return answer_for(frame, Command.RESPONSE, _now(), adu)
        return answer_for(frame, Command.NAK, _now())

    def _query(self, request: commands.DownstreamAdu) -> bytes | None:
        tag = encode_time(_now())
        match request.type_code:
            case commands.Downstream.READ_UITD_STATE:
                return encode_adu([UitdState(status=self.status, time_raw=tag)])
            case commands.Downstream.READ_UITD_TIME:
                return encode_adu([UitdTime(time_raw=tag)])
            case commands.Downstream.READ_UITD_VERSION:
                return encode_adu([UitdVersion(major=1, minor=1)])
            case commands.Downstream.READ_SYSTEM_STATE:
                return encode_adu([SystemState(system_type=st, system_addr=sa, status=SystemStatus.NORMAL,
                                               time_raw=tag) for st, sa in request.systems], 1)
            case commands.Downstream.READ_COMPONENT_STATE:
                return encode_adu([Part(system_type=st, system_addr=sa, component_type=0, component_addr=ca,
                                        status=ComponentStatus.NORMAL, description="", time_raw=tag)
                                   for st, sa, ca in request.components], 2)
        return None

    async def _answer_patrol(self, delay: float) -> None:
        """The duty person at the building presses 查岗应答 a little later (type 24, bit 5)."""
        await asyncio.sleep(delay)
        self.stats.patrol_answers += 1
        flags = UitdOperationFlags.PATROL_ANSWER
        await self._upload(lambda now: encode_adu([UitdOperation(flags=flags, operator=1,
                                                                 time_raw=encode_time(now))]))


async def run_simulator(
    host: str, port: int, scenario: str, *, faults: Iterable[str] = (), uitd_address: int = 889,
    center_address: int = 88888, rate: float = 1.0, seed: int = 0, repeat: bool = False,
    heartbeat_s: float = 20.0, ack_timeout_s: float = 2.0, silence_s: float = 120.0,
    patrol_delay_s: float = 1.0,
) -> SimStats:
    """Connect to a monitoring centre at host:port and play ``scenario`` once (or until cancelled with
    ``repeat``); ``rate`` is scenario steps per second. Raises OSError when the centre is unreachable."""
    sim = UitdSimulator(host, port, scenario, faults=faults, uitd_address=uitd_address,
                        center_address=center_address, rate=rate, seed=seed, repeat=repeat,
                        heartbeat_s=heartbeat_s, ack_timeout_s=ack_timeout_s, silence_s=silence_s,
                        patrol_delay_s=patrol_delay_s)
    return await sim.run()


def main(argv: list[str]) -> int:
    """``campus-console simulate uitd``: play a scenario against a running console and print a summary."""
    parser = argparse.ArgumentParser(prog="campus-console simulate uitd",
                                     description="A GB/T 26875.3 用户信息传输装置 (UITD) simulator.")
    parser.add_argument("--host", default="127.0.0.1", help="the monitoring centre (the console)")
    parser.add_argument("--port", type=int, default=9000, help="its fire.gb26875 listen_port")
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), default="dorm-fire")
    parser.add_argument("--fault", action="append", choices=FAULTS, default=[],
                        help="a fault mode to inject (repeatable)")
    parser.add_argument("--uitd-address", type=int, default=889, help="our 6-byte source address")
    parser.add_argument("--center-address", type=int, default=88888, help="the centre's address")
    parser.add_argument("--rate", type=float, default=1.0, help="scenario steps per second")
    parser.add_argument("--heartbeat", type=float, default=20.0, help="seconds between heartbeats")
    parser.add_argument("--repeat", action="store_true", help="replay the scenario until interrupted")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = parser.parse_args(argv)

    async def play() -> UitdSimulator:
        sim = UitdSimulator(args.host, args.port, args.scenario, faults=args.fault,
                            uitd_address=args.uitd_address, center_address=args.center_address,
                            rate=args.rate, seed=args.seed, repeat=args.repeat, heartbeat_s=args.heartbeat)
        with contextlib.suppress(NotImplementedError):  # a parent's terminate() ends --repeat cleanly
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, sim.stop)
        with contextlib.suppress(asyncio.CancelledError):  # Ctrl-C in --repeat: still print the summary
            await sim.run()
        return sim

    try:
        sim = asyncio.run(play())
    except OSError as exc:
        print(f"cannot reach the monitoring centre at {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    summary = {"scenario": args.scenario, "faults": args.fault, **sim.stats.as_dict()}
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        print(" ".join(f"{k}={v}" for k, v in summary.items()))
    return 1 if sim.stats.unacked or sim.stats.error else 0
