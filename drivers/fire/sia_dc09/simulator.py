"""SIA DC-09 transmitter simulator: scenarios over real TCP or UDP sockets, fault modes and retries."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import random
import socket
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from drivers.fire.sia_dc09.framing import Frame, FrameReader
from drivers.fire.sia_dc09.messages import (
    ACK,
    ADM_CID,
    DUH,
    NAK,
    NULL,
    SIA_DCS,
    Header,
    MessageError,
    build_message,
    open_message,
    parse_header,
    parse_key,
)


@dataclass(frozen=True, slots=True)
class Step:
    """One report: a SIA code and the equivalent Contact ID qualifier+event (None for a NULL message)."""

    sia: str | None
    cid: str | None = None
    zone: int = 0


SCENARIOS: dict[str, tuple[Step, ...]] = {
    "fire": (Step("FA", "1110", 3), Step("FR", "3110", 3)),
    "trouble": (Step("FT", "1373", 7), Step("FJ", "3373", 7)),
    "mains-failure": (Step("AT", "1301"), Step("AR", "3301")),
    "burglary": (Step("BA", "1130", 12), Step("BH", "3130", 12)),
    "null": (Step(None),),
}
FAULTS = ("bad-crc", "old-timestamp", "split", "coalesce", "garbage", "encrypt")
_NOT_LF = bytes(b for b in range(256) if b != 0x0A)


@dataclass
class SimStats:
    """``acked``/``naked``/``duh`` count answers received; ``failed`` counts reports given up on."""

    frames_sent: int = 0
    reports: int = 0
    acked: int = 0
    naked: int = 0
    duh: int = 0
    no_answer: int = 0
    retries: int = 0
    failed: int = 0
    stale_answers: int = 0
    clock_corrections: int = 0
    garbage_bytes: int = 0
    elapsed_s: float = 0.0
    error: str = ""

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class Transmitter:
    """A panel's IP communicator: sends each report, waits for ACK/NAK/DUH and retransmits (same
    sequence number, fresh timestamp) when the answer is missing or a NAK."""

    def __init__(self, host: str, port: int, *, udp: bool = False, account: str = "1234",
                 receiver: str = "1", prefix: str = "1", cid: bool = False, key: bytes | None = None,
                 faults: Sequence[str] = (), answer_timeout_s: float = 2.0, retries: int = 3,
                 first_sequence: int = 1, seed: int = 0) -> None:
        if unknown := set(faults) - set(FAULTS):
            raise ValueError(f"unknown fault mode(s) {sorted(unknown)} (known: {', '.join(FAULTS)})")
        if "encrypt" in faults and key is None:
            raise ValueError("the encrypt fault mode needs a key")
        self.host, self.port, self.udp = host, port, udp
        self.account, self.receiver, self.prefix, self.cid = account.upper(), receiver, prefix, cid
        self.key = key
        self.faults = frozenset(faults)
        self.answer_timeout_s, self.retries = answer_timeout_s, retries
        self.sequence = first_sequence
        self.clock_offset = timedelta(0)  # corrected from the receiver's NAK, as DC-09 intends
        self.stats = SimStats()
        self._rng = random.Random(seed)
        self._answers: asyncio.Queue[Header] = asyncio.Queue()
        self._reader_task: asyncio.Task[None] | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._udp: asyncio.DatagramTransport | None = None

    # -- connection ---------------------------------------------------------------------------------
    async def __aenter__(self) -> Transmitter:
        loop = asyncio.get_running_loop()
        if self.udp:
            self._udp, _ = await loop.create_datagram_endpoint(
                lambda: _AnswerProtocol(self._on_bytes), remote_addr=(self.host, self.port))
        else:
            reader, self._writer = await asyncio.open_connection(self.host, self.port)
            sock = self._writer.get_extra_info("socket")
            if sock is not None:  # so "split" really puts each piece in its own segment
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._reader_task = loop.create_task(self._read(reader))
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._reader_task is not None:
            self._reader_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader_task
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()
        if self._udp is not None:
            self._udp.close()

    async def _read(self, reader: asyncio.StreamReader) -> None:
        framer = FrameReader()
        with contextlib.suppress(OSError):  # a reset ends the answers; unanswered reports then fail
            while data := await reader.read(65536):
                for item in framer.feed(data):
                    self._accept(item)

    def _on_bytes(self, data: bytes) -> None:
        framer = FrameReader()
        for item in framer.feed(data):
            self._accept(item)

    def _accept(self, item: object) -> None:
        if not isinstance(item, Frame):
            return
        try:
            header = parse_header(item.message, incoming=False)
            if header.encrypted:  # an encrypted ACK must decrypt with our key, or it is not genuine
                open_message(header, self.key)
        except MessageError:
            return
        self._answers.put_nowait(header)

    async def _send(self, wire: bytes) -> None:
        self.stats.frames_sent += 1
        if "garbage" in self.faults:
            # Any byte but LF: garbage that could start a frame would test nothing but our own luck.
            junk = bytes(self._rng.choice(_NOT_LF) for _ in range(self._rng.randint(1, 40)))
            wire = junk + wire
            self.stats.garbage_bytes += len(junk)
        if self._udp is not None:
            self._udp.sendto(wire)
            return
        assert self._writer is not None
        if "split" in self.faults:
            pos = 0
            while pos < len(wire):
                step = self._rng.randint(1, 8)
                self._writer.write(wire[pos:pos + step])
                await self._writer.drain()
                await asyncio.sleep(0.002)
                pos += step
        else:
            self._writer.write(wire)
            await self._writer.drain()

    # -- reports ------------------------------------------------------------------------------------
    def _next_sequence(self) -> int:
        seq = self.sequence
        self.sequence = seq % 9999 + 1  # DC-09 sequence numbers run 0001 … 9999
        return seq

    def build(self, step: Step, sequence: int, *, age_s: float = 0.0, bad_crc: bool = False) -> bytes:
        stamp = datetime.now(UTC) + self.clock_offset - timedelta(seconds=age_s)
        if step.sia is None:
            token, data = NULL, ""
        elif self.cid:
            token, data = ADM_CID, f"#{self.account}|{step.cid} 01 {step.zone:03d}"
        else:
            token, data = SIA_DCS, f"#{self.account}|Nri1/{step.sia}{step.zone:03d}"
        wire = build_message(token, sequence, self.account, data, receiver=self.receiver, prefix=self.prefix,
                             timestamp=stamp, key=self.key)
        if bad_crc:
            wire = wire[:1] + (b"0000" if wire[1:5] != b"0000" else b"FFFF") + wire[5:]
        return wire

    async def _answer_for(self, sequence: str, timeout: float) -> Header | None:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                header = await asyncio.wait_for(self._answers.get(), left)
            except TimeoutError:
                return None
            if header.id_token == NAK or header.sequence == sequence:
                return header
            self.stats.stale_answers += 1  # a late answer to an earlier attempt
        return None

    def _learn_clock(self, header: Header) -> None:
        stamp = header.body.rpartition("_")[2]
        with contextlib.suppress(ValueError):
            theirs = datetime.strptime(stamp, "%H:%M:%S,%m-%d-%Y").replace(tzinfo=UTC)
            self.clock_offset = theirs - datetime.now(UTC)
            self.stats.clock_corrections += 1

    async def deliver(self, step: Step, sequence: int | None = None, *, resend: bool = False) -> str:
        """Send one report until it is ACKed or DUHed; returns the final answer or "failed".
        ``resend`` continues a report already counted (and sent once) by a coalesced round."""
        seq = self._next_sequence() if sequence is None else sequence
        if not resend:
            self.stats.reports += 1
        # Each fault spoils one attempt: a corrupted CRC first, then (once answerable) a stale clock.
        crc_attempt = 0 if "bad-crc" in self.faults and not resend else -1
        old_attempt = crc_attempt + 1 if "old-timestamp" in self.faults and not resend else -1
        for attempt in range(self.retries + 1):
            if attempt or resend:
                self.stats.retries += 1
            bad_crc = attempt == crc_attempt
            age_s = 120.0 if attempt == old_attempt else 0.0
            await self._send(self.build(step, seq, bad_crc=bad_crc, age_s=age_s))
            # No answer is expected to a corrupted frame: do not wait the full timer for it.
            timeout = min(self.answer_timeout_s, 0.5) if bad_crc else self.answer_timeout_s
            header = await self._answer_for(f"{seq:04d}", timeout)
            if header is None:
                self.stats.no_answer += 1
            elif header.id_token == ACK:
                self.stats.acked += 1
                return ACK
            elif header.id_token == DUH:
                self.stats.duh += 1
                return DUH  # understood but refused: retrying would not help
            else:
                self.stats.naked += 1
                self._learn_clock(header)
        self.stats.failed += 1
        return "failed"

    async def _play_coalesced(self, steps: Sequence[Step]) -> None:
        """All reports in one write; answers that name a sequence settle their report, the rest are
        retransmitted one by one (a NAK names no sequence, so it cannot be attributed)."""
        sequences = [self._next_sequence() for _ in steps]
        old = 120.0 if "old-timestamp" in self.faults else 0.0
        wire = b"".join(self.build(step, seq, age_s=old, bad_crc="bad-crc" in self.faults and i == 0)
                        for i, (step, seq) in enumerate(zip(steps, sequences, strict=True)))
        self.stats.reports += len(steps)
        await self._send(wire)
        self.stats.frames_sent += len(steps) - 1
        open_reports = {f"{seq:04d}": (step, seq) for step, seq in zip(steps, sequences, strict=True)}
        deadline = time.monotonic() + self.answer_timeout_s
        answers = 0
        while open_reports and answers < len(steps) and (left := deadline - time.monotonic()) > 0:
            try:
                header = await asyncio.wait_for(self._answers.get(), left)
            except TimeoutError:
                break
            answers += 1
            if header.id_token == NAK:
                self.stats.naked += 1
                self._learn_clock(header)
            elif open_reports.pop(header.sequence, None) is None:
                self.stats.stale_answers += 1
            elif header.id_token == ACK:
                self.stats.acked += 1
            else:
                self.stats.duh += 1
        self.stats.no_answer += len(steps) - answers
        for step, seq in list(open_reports.values()):
            await self.deliver(step, seq, resend=True)

    async def play(self, scenario: str, count: int = 1, interval_s: float = 0.0) -> SimStats:
        """Play ``scenario`` ``count`` times, ``interval_s`` apart (a demo's pace); with "coalesce" all
        reports go out in one write."""
        if scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {scenario!r} (known: {', '.join(SCENARIOS)})")
        steps = SCENARIOS[scenario] * count
        started = time.monotonic()
        if "coalesce" in self.faults:
            await self._play_coalesced(steps)
        else:
            for index, step in enumerate(steps):
                if index and interval_s:
                    await asyncio.sleep(interval_s)
                await self.deliver(step)
        self.stats.elapsed_s = round(time.monotonic() - started, 3)
        return self.stats


class _AnswerProtocol(asyncio.DatagramProtocol):
    def __init__(self, on_bytes: Any) -> None:
        self._on_bytes = on_bytes

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self._on_bytes(data)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="simulate dc09", description="SIA DC-09 transmitter simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12128)
    parser.add_argument("--udp", action="store_true", help="send over UDP instead of TCP")
    parser.add_argument("--account", default="1234", help="account number (3-16 hex digits)")
    parser.add_argument("--receiver", default="1", help="receiver number (hex)")
    parser.add_argument("--prefix", default="1", help="account prefix / line (hex)")
    parser.add_argument("--scenario", action="append", choices=sorted(SCENARIOS),
                        help="scenario to play (repeatable; default fire)")
    parser.add_argument("--format", choices=("sia", "cid"), default="sia", help="SIA-DCS or ADM-CID")
    parser.add_argument("--fault", action="append", default=[], choices=FAULTS, help="repeatable")
    parser.add_argument("--key", help="AES key as 32/48/64 hex digits (implies encryption)")
    parser.add_argument("--count", type=int, default=1, help="play each scenario this many times")
    parser.add_argument("--timeout", type=float, default=2.0, help="answer timeout in seconds")
    parser.add_argument("--retries", type=int, default=3)
    parser.add_argument("--sequence", type=int, default=1, help="first sequence number")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--interval", type=float, default=0.0, help="seconds between reports (demo pace)")
    return parser


async def _run(args: argparse.Namespace) -> SimStats:
    key = parse_key(args.key) if args.key else None
    sender = Transmitter(args.host, args.port, udp=args.udp, account=args.account, receiver=args.receiver,
                         prefix=args.prefix, cid=args.format == "cid", key=key, faults=args.fault,
                         answer_timeout_s=args.timeout, retries=args.retries, first_sequence=args.sequence,
                         seed=args.seed)
    async with sender:
        for scenario in args.scenario or ["fire"]:
            await sender.play(scenario, args.count, args.interval)
    return sender.stats


def main(argv: Sequence[str] | None = None) -> int:
    """Run the simulator, print its statistics as JSON; 0 when every report was ACKed or DUHed."""
    args = build_parser().parse_args(argv)
    try:
        stats = asyncio.run(_run(args))
    except (OSError, ValueError) as exc:
        stats = SimStats(error=f"{type(exc).__name__}: {exc}")
    print(json.dumps(stats.as_dict(), ensure_ascii=False))
    return 0 if not stats.error and stats.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
