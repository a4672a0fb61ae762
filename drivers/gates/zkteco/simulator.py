"""ZKTeco ADMS device simulator: a real iclock HTTP client (handshake, polls, uploads, reboot replay)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp

from drivers.gates.zkteco.adms import (
    AdmsError,
    AttRecord,
    UserRecord,
    format_att_line,
    format_user_line,
    parse_ok_count,
    parse_options,
)

SCENARIOS = ("morning-rush", "reboot", "bad-lines")
PUSHVER = "2.4.1"
_SURNAMES = "张王李赵刘陈杨黄吴周徐孙马朱胡郭何林高罗"
_GIVEN = ("伟", "芳", "娜", "敏", "静", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超")
_VERIFY_CYCLE = ("15", "15", "15", "1", "4", "15", "0", "15")
BAD_LINES: tuple[bytes, ...] = (
    b"1001\t2026-01-01 08:00:00\t0",  # too few columns
    b"1002\t2026-13-40 08:00:00\t0\t15\t0",  # impossible date
    b"\xff\xfe\x00garbage\t\x80\x81\t0\t15",  # not UTF-8
    b"\t2026-01-01 08:00:00\t0\t15\t0",  # empty pin
    b"1003\t2026-01-01 08:00:00\tX\t15\t0",  # status not a number
    b"1004\t08:00:00 2026-01-01\t0\t15\t0",  # time fields swapped
)


@dataclass(frozen=True, slots=True)
class SimConfig:
    host: str = "127.0.0.1"
    port: int = 8088
    serial: str = "CKJ0000001"
    scenario: str = "morning-rush"
    rate: float = 50.0  # records per second
    count: int = 100  # records per run of the scenario
    repeat: int = 1
    users: int = 200
    timezone: str = "Asia/Shanghai"
    poll_s: float | None = None  # default: the Delay= the server gave
    silence_s: float | None = None  # reboot: default 3.5 × Delay
    retries: int = 5
    max_error_delay_s: float = 1.0  # a simulator does not wait the full ErrorDelay of a real device


@dataclass
class SimStats:
    handshakes: int = 0
    polls: int = 0
    poll_failures: int = 0
    batches: int = 0
    records_sent: int = 0  # distinct records (a replayed batch is not counted again)
    replayed: int = 0  # records sent a second time after the reboot
    bad_lines_sent: int = 0
    users_sent: int = 0
    acked: int = 0  # sum of the counts in the server's "OK: n" replies to ATTLOG uploads
    retries: int = 0
    failed_batches: int = 0
    elapsed_s: float = 0.0
    error: str = ""

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @property
    def ok(self) -> bool:
        return not self.error and self.failed_batches == 0 and self.acked == self.records_sent + self.replayed


def roster(users: int) -> list[UserRecord]:
    """A stable list of pins and Chinese names (pin 1001 onwards)."""
    out = []
    for i in range(users):
        name = _SURNAMES[i % len(_SURNAMES)] + _GIVEN[(i // len(_SURNAMES)) % len(_GIVEN)]
        if i >= len(_SURNAMES) * len(_GIVEN):
            name += str(i)
        out.append(UserRecord(str(1001 + i), name, card=f"{3000000 + i:010d}", privilege="0"))
    return out


class Device:
    """One ADMS terminal talking to the server at ``base`` over a shared aiohttp session."""

    def __init__(self, http: aiohttp.ClientSession, config: SimConfig, stats: SimStats) -> None:
        self.http = http
        self.config = config
        self.stats = stats
        self.base = f"http://{config.host}:{config.port}/iclock"
        self.options: dict[str, str] = {}
        self.stamp = int(time.time())
        self._poller: asyncio.Task[None] | None = None

    @property
    def delay_s(self) -> float:
        try:
            return max(0.05, float(self.options.get("Delay", "10")))
        except ValueError:
            return 10.0

    @property
    def error_delay_s(self) -> float:
        try:
            value = float(self.options.get("ErrorDelay", "30"))
        except ValueError:
            value = 30.0
        return min(value, self.config.max_error_delay_s)

    async def handshake(self) -> dict[str, str]:
        params = {"SN": self.config.serial, "options": "all", "pushver": PUSHVER, "language": "83"}
        async with self.http.get(f"{self.base}/cdata", params=params) as r:
            body = await r.read()
            if r.status != 200:
                raise AdmsError(f"handshake answered HTTP {r.status}", body[:200])
        self.options = parse_options(body)
        if self.options["SN"] != self.config.serial:
            raise AdmsError(f"handshake for {self.options['SN']!r}, not {self.config.serial!r}")
        self.stats.handshakes += 1
        return self.options

    async def poll(self) -> None:
        params = {"SN": self.config.serial, "INFO": f"Ver 8.0.4.2,{self.config.users},0,0,127.0.0.1"}
        try:
            async with self.http.get(f"{self.base}/getrequest", params=params) as r:
                await r.read()
                self.stats.polls += 1
                if r.status != 200:
                    self.stats.poll_failures += 1
        except aiohttp.ClientError:
            self.stats.poll_failures += 1

    async def _poll_forever(self) -> None:
        while True:
            await self.poll()
            await asyncio.sleep(self.config.poll_s or self.delay_s)

    def start_polling(self) -> None:
        if self._poller is None:
            self._poller = asyncio.get_running_loop().create_task(self._poll_forever())

    async def stop_polling(self) -> None:
        poller, self._poller = self._poller, None
        if poller is not None:
            poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poller

    async def upload(self, table: str, lines: Sequence[bytes]) -> int | None:
        """POST one batch; retry after ErrorDelay on errors. Returns the server's count, None if given up."""
        self.stamp += 1
        params = {"SN": self.config.serial, "table": table, "Stamp": str(self.stamp)}
        body = b"\n".join(lines) + b"\n"
        for attempt in range(self.config.retries + 1):
            if attempt:
                self.stats.retries += 1
                await asyncio.sleep(self.error_delay_s)
            try:
                async with self.http.post(f"{self.base}/cdata", params=params, data=body,
                                          headers={"Content-Type": "text/plain"}) as r:
                    reply = await r.read()
                    if r.status == 200:
                        return parse_ok_count(reply)
            except (aiohttp.ClientError, AdmsError):
                continue
        self.stats.failed_batches += 1
        return None


class Scenario:
    """Generates records with unique (pin, time) and drives a Device through one scenario."""

    def __init__(self, device: Device, config: SimConfig) -> None:
        self.device = device
        self.config = config
        self.stats = device.stats
        self.zone = ZoneInfo(config.timezone)
        self.people = roster(config.users)
        self._serial_no = 0
        self._last_time: dict[str, datetime] = {}

    def record(self) -> AttRecord:
        i = self._serial_no
        self._serial_no += 1
        person = self.people[i % len(self.people)]
        now = datetime.now(self.zone).replace(tzinfo=None, microsecond=0)
        last = self._last_time.get(person.pin)
        if last is not None and now <= last:
            now = last + timedelta(seconds=1)  # the dedup key is pin + time: keep every pass distinct
        self._last_time[person.pin] = now
        status = "1" if i % 10 == 9 else "0"
        return AttRecord(person.pin, now, status, _VERIFY_CYCLE[i % len(_VERIFY_CYCLE)], "0", ("0", "0"))

    async def send_users(self) -> None:
        lines = [format_user_line(u) for u in self.people]
        if await self.device.upload("OPERLOG", lines) is not None:
            self.stats.users_sent += len(lines)

    async def send_batch(self, lines: list[bytes], records: int) -> None:
        count = await self.device.upload("ATTLOG", lines)
        self.stats.batches += 1
        if count is not None:
            self.stats.acked += count
        self.stats.records_sent += records

    async def stream(self, count: int, bad_every: int = 0) -> list[bytes]:
        """Send ``count`` records at ``rate``/s, in batches of what accumulated; returns the last batch."""
        tick = max(0.02, 1.0 / self.config.rate) if self.config.rate > 0 else 0.0
        start = time.monotonic()
        sent = 0
        last: list[bytes] = []
        while sent < count:
            if tick == 0:
                due = count
            else:
                due = min(count, max(sent + 1, int((time.monotonic() - start) * self.config.rate)))
            lines: list[bytes] = []
            for _ in range(due - sent):
                lines.append(format_att_line(self.record()))
                sent += 1
                if bad_every and sent % bad_every == 0:
                    lines.append(BAD_LINES[(sent // bad_every) % len(BAD_LINES)])
                    self.stats.bad_lines_sent += 1
            records = sum(1 for line in lines if line not in BAD_LINES)
            await self.send_batch(lines, records)
            last = lines
            if tick and sent < count:
                await asyncio.sleep(tick)
        return last

    async def run(self) -> None:
        device = self.device
        await device.handshake()
        device.start_polling()
        await self.send_users()
        for _ in range(self.config.repeat):
            if self.config.scenario == "morning-rush":
                await self.stream(self.config.count)
            elif self.config.scenario == "bad-lines":
                await self.stream(self.config.count, bad_every=3)
            elif self.config.scenario == "reboot":
                await self.reboot()
            else:
                raise ValueError(f"unknown scenario {self.config.scenario!r}")
        await device.stop_polling()

    async def reboot(self) -> None:
        first = self.config.count // 2
        last = await self.stream(first)
        await self.device.stop_polling()  # power cut: the device goes silent
        await asyncio.sleep(self.config.silence_s if self.config.silence_s is not None
                            else 3.5 * (self.config.poll_s or self.device.delay_s))
        await self.device.handshake()
        self.device.start_polling()
        # A device that lost the server's last OK sends its last batch again; the server must not double it.
        count = await self.device.upload("ATTLOG", last)
        self.stats.batches += 1
        self.stats.replayed += len(last)
        if count is not None:
            self.stats.acked += count
        await self.stream(self.config.count - first)


async def run(config: SimConfig) -> SimStats:
    stats = SimStats()
    started = time.monotonic()
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        device = Device(http, config, stats)
        try:
            await Scenario(device, config).run()
        except (TimeoutError, aiohttp.ClientError, AdmsError, OSError) as exc:
            stats.error = f"{type(exc).__name__}: {exc}"
        finally:
            await device.stop_polling()
    stats.elapsed_s = round(time.monotonic() - started, 3)
    return stats


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="simulate zkteco", description="ZKTeco ADMS device simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8088)
    parser.add_argument("--serial", default="CKJ0000001", help="device serial number (SN)")
    parser.add_argument("--scenario", choices=SCENARIOS, default="morning-rush")
    parser.add_argument("--rate", type=float, default=50.0, help="records/s (0 = at once)")
    parser.add_argument("--count", type=int, default=100, help="records per run of the scenario")
    parser.add_argument("--repeat", type=int, default=1, help="play the scenario this many times")
    parser.add_argument("--users", type=int, default=200, help="people on the device (USER table)")
    parser.add_argument("--timezone", default="Asia/Shanghai", help="the device clock's zone")
    parser.add_argument("--poll", type=float, default=None, help="seconds between polls (default: Delay=)")
    parser.add_argument("--silence", type=float, default=None, help="reboot: seconds silent (3.5×Delay)")
    parser.add_argument("--retries", type=int, default=5)
    return parser


def config_from_args(args: argparse.Namespace) -> SimConfig:
    if args.count < 0 or args.repeat < 1 or args.users < 1 or args.rate < 0:
        raise ValueError("count ≥ 0, repeat ≥ 1, users ≥ 1 and rate ≥ 0 are required")
    return SimConfig(host=args.host, port=args.port, serial=args.serial, scenario=args.scenario,
                     rate=args.rate, count=args.count, repeat=args.repeat, users=args.users,
                     timezone=args.timezone, poll_s=args.poll, silence_s=args.silence, retries=args.retries)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = config_from_args(args)
    except ValueError as exc:
        print(f"simulate zkteco: {exc}", file=sys.stderr)
        return 2
    stats = asyncio.run(run(config))
    print(json.dumps(stats.as_dict(), ensure_ascii=False))
    return 0 if stats.ok else 1


if __name__ == "__main__":
    sys.exit(main())
