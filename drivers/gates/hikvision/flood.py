"""A flood of Hikvision httpHosts pushes over many connections, for the gate benchmark: POST→200 per event."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import math
import os
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from drivers.gates.hikvision.scenarios import acs_json, fake_jpeg, scenario_events

BOUNDARY = "hikflood7b1c"
_STATUS = re.compile(rb"^HTTP/1\.[01] (\d{3})")
_PARAM = re.compile(r'([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))')
_RETRY_S = 0.05  # after a 503 or a broken connection: the device keeps the record and tries again soon


@dataclass(slots=True)
class Job:
    serial: int
    body: bytes
    replay: bool  # an exact retransmission of an event already answered 200
    then_replay: bool = False  # send this event once more after its 200


def event_bodies(events: int, first_serial: int, picture_share: float, seed: int) -> list[tuple[int, bytes]]:
    """``events`` multipart/form-data bodies as a face terminal posts them: ``event_log`` JSON with a unique
    serialNo, plus one small ``Picture`` JPEG for ``picture_share`` of them. Pure: same seed, same bodies."""
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    out = []
    for ev in scenario_events("morning-rush", rng, now - timedelta(seconds=events), first_serial, events):
        with_picture = rng.random() < picture_share
        parts = [
            b'Content-Disposition: form-data; name="event_log"\r\nContent-Type: application/json\r\n\r\n'
            + acs_json(replace(ev, pictures=int(with_picture)))
        ]
        if with_picture:
            parts.append(
                b'Content-Disposition: form-data; name="Picture"; filename="Picture.jpg"\r\n'
                b"Content-Type: image/jpeg\r\n\r\n" + fake_jpeg(rng, 2000)
            )
        sep = f"--{BOUNDARY}\r\n".encode()
        body = b"".join(sep + p + b"\r\n" for p in parts) + f"--{BOUNDARY}--\r\n".encode()
        out.append((ev.serial, body))
    return out


def plan(bodies: list[tuple[int, bytes]], replay_share: float, seed: int) -> list[Job]:
    """One job per event; ``replay_share`` of them are marked to be posted again after their 200."""
    rng = random.Random(seed + 1)
    replays = set(rng.sample(range(len(bodies)), round(len(bodies) * replay_share)))
    return [Job(serial, body, False, i in replays) for i, (serial, body) in enumerate(bodies)]


class Digest:
    """Client-side Digest (MD5, qop=auth) for one connection: learns the nonce from the first 401."""

    def __init__(self, user: str, password: str) -> None:
        self.user, self.password = user, password
        self.params: dict[str, str] | None = None
        self.nc = 0

    def learn(self, header: str) -> None:
        self.params = {m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
                       for m in _PARAM.finditer(header[7:])}
        self.nc = 0

    def header(self, method: str, uri: str) -> str | None:
        if self.params is None:
            return None
        p = self.params
        self.nc += 1
        nc, cnonce = f"{self.nc:08x}", os.urandom(8).hex()
        ha1 = _md5(f"{self.user}:{p.get('realm', '')}:{self.password}")
        ha2 = _md5(f"{method}:{uri}")
        response = _md5(f"{ha1}:{p.get('nonce', '')}:{nc}:{cnonce}:auth:{ha2}")
        opaque = f', opaque="{p["opaque"]}"' if "opaque" in p else ""
        return (f'Digest username="{self.user}", realm="{p.get("realm", "")}", nonce="{p.get("nonce", "")}", '
                f'uri="{uri}", algorithm=MD5, qop=auth, nc={nc}, cnonce="{cnonce}", '
                f'response="{response}"{opaque}')


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 - RFC 7616 MD5 is what devices speak


class Connection:
    """One keep-alive HTTP/1.1 connection, one request at a time, as a device posts. Hand-written on
    asyncio streams so that the load generator costs little next to the server it measures."""

    def __init__(self, host: str, port: int, path: str, digest: Digest | None) -> None:
        self.host, self.port, self.path, self.digest = host, port, path, digest
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, body: bytes) -> tuple[int, dict[str, str]]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        auth = self.digest.header("POST", self.path) if self.digest else None
        head = (f"POST {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {len(body)}\r\n"
                + (f"Authorization: {auth}\r\n" if auth else "") + "\r\n")
        self.writer.write(head.encode() + body)
        raw = await self.reader.readuntil(b"\r\n\r\n")
        match = _STATUS.match(raw)
        if match is None:
            raise ConnectionError(f"not an HTTP response: {raw[:80]!r}")
        headers = {}
        for line in raw.decode("latin-1").split("\r\n")[1:]:
            key, sep, value = line.partition(":")
            if sep:
                headers[key.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        if length:
            await self.reader.readexactly(length)
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return int(match.group(1)), headers

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


async def flood(host: str, port: int, paths: Sequence[str], jobs: list[Job], connections: int,
                digest: tuple[str, str] | None = None) -> dict[str, object]:
    """Post every job as fast as the 200s come back. Job i belongs to device ``i % len(paths)`` (its route);
    each device posts over its share of ``connections`` (at least one, as a real device posts one event
    at a time). A replay goes to the back of its device's queue once the original is answered.
    Latencies are per successful request."""
    devices = len(paths)
    queues: list[asyncio.Queue[Job | None]] = [asyncio.Queue() for _ in paths]
    for i, job in enumerate(jobs):
        queues[i % devices].put_nowait(job)
    remaining = [q.qsize() + sum(j.then_replay for j in jobs[d::devices]) for d, q in enumerate(queues)]
    per_device = [len(range(d, max(connections, devices), devices)) for d in range(devices)]
    latencies: list[float] = []
    counts: Counter[str] = Counter()
    last_ok = [0.0]

    async def worker(device: int) -> None:
        queue = queues[device]
        conn = Connection(host, port, paths[device], Digest(*digest) if digest else None)
        try:
            while (job := await queue.get()) is not None:
                while True:
                    sent = time.perf_counter()
                    try:
                        status, headers = await conn.post(job.body)
                    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
                        counts[f"error_{type(exc).__name__}"] += 1
                        await conn.close()
                        await asyncio.sleep(_RETRY_S)
                        continue
                    counts[f"http_{status}"] += 1
                    if status == 401 and conn.digest and "www-authenticate" in headers:
                        conn.digest.learn(headers["www-authenticate"])
                        if counts["http_401"] > 2 * sum(per_device) + 10:
                            raise RuntimeError("the listener keeps refusing our Digest credentials")
                        continue
                    if status >= 500:
                        await asyncio.sleep(_RETRY_S)
                        continue
                    break
                done = time.perf_counter()
                if status != 200:
                    counts["refused"] += 1
                else:
                    latencies.append(done - sent)
                    last_ok[0] = done
                    counts["replays_ok" if job.replay else "events_ok"] += 1
                if job.then_replay:
                    queue.put_nowait(Job(job.serial, job.body, True))
                remaining[device] -= 1
                if remaining[device] == 0:
                    for _ in range(per_device[device]):
                        queue.put_nowait(None)
        finally:
            await conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker(d) for d in range(devices) for _ in range(per_device[d])))
    return {
        "events": len(jobs),
        "replays": sum(j.then_replay for j in jobs),
        "devices": devices,
        "connections": sum(per_device),
        "seconds": (last_ok[0] or time.perf_counter()) - started,
        "counts": dict(counts),
        "latencies_s": latencies,
    }


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]  # nearest rank, as console.bench.stats


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="campus-console simulate hikvision-flood",
        description="Flood a Hikvision push route (httpHosts event_log posts) and print JSON: counts, wall "
                    "time until the last 200, POST→200 latency percentiles (and every latency with --all).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/push/gate-east/",
                        help="the device's route on the listener; with --devices, a template such as "
                             "/push/gate-{n:02d}/ (n = 0 … devices-1)")
    parser.add_argument("--devices", type=int, default=1, help="devices posting, each to its own route")
    parser.add_argument("--events", type=int, default=10_000, help="unique events (serialNo) to post")
    parser.add_argument("--connections", type=int, default=32,
                        help="connections in all, shared out among the devices (at least one each)")
    parser.add_argument("--replay-share", type=float, default=0.02,
                        help="share of events posted a second time, byte for byte, after their 200")
    parser.add_argument("--picture-share", type=float, default=0.0,
                        help="share of events carrying a small JPEG Picture part")
    parser.add_argument("--first-serial", type=int, default=1)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--user", default=None, help="Digest user (with --password-env)")
    parser.add_argument("--password-env", default="HIK_FLOOD_PASSWORD", metavar="VAR",
                        help="environment variable with the Digest password (used with --user)")
    parser.add_argument("--all", action="store_true", help="include every latency (latencies_s)")
    args = parser.parse_args(argv)
    if min(args.events, args.connections, args.devices) < 1 or not 0 <= args.replay_share <= 1:
        parser.error("--events, --connections and --devices must be ≥ 1 and --replay-share within 0..1")
    paths = [args.path.format(n=n) for n in range(args.devices)]
    if len(set(paths)) != len(paths):
        parser.error("with --devices > 1, --path must be a template with {n}")
    digest = None
    if args.user:
        password = os.environ.get(args.password_env)
        if password is None:
            parser.error(f"--user needs the password in ${args.password_env}")
        digest = (args.user, password)
    jobs = plan(event_bodies(args.events, args.first_serial, args.picture_share, args.seed),
                args.replay_share, args.seed)
    cpu = time.process_time()  # the flood's own CPU: on a shared machine it is part of the benchmark's budget
    try:
        result = asyncio.run(flood(args.host, args.port, paths, jobs, args.connections, digest))
    except (OSError, RuntimeError) as exc:
        print(f"hikvision flood: {exc}", file=sys.stderr)
        return 2
    result["cpu_seconds"] = round(time.process_time() - cpu, 3)
    latencies = result["latencies_s"]
    assert isinstance(latencies, list)
    result["request_p50_ms"] = round(_percentile(latencies, 50) * 1000, 3)
    result["request_p99_ms"] = round(_percentile(latencies, 99) * 1000, 3)
    result["request_max_ms"] = round(max(latencies, default=float("nan")) * 1000, 3)
    if not args.all:
        del result["latencies_s"]
    print(json.dumps(result))
    counts = result["counts"]
    assert isinstance(counts, dict)
    complete = counts.get("events_ok", 0) == args.events and counts.get("replays_ok", 0) == result["replays"]
    return 0 if complete else 1


if __name__ == "__main__":
    raise SystemExit(main())
