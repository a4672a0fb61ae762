"""Dahua device simulator: a Digest-protected eventManager attach stream and an HTTP upload pusher."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import re
import secrets
import sys
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Sequence
from concurrent.futures import Future
from typing import Any, TypeVar

import aiohttp
from aiohttp import web

from drivers.gates.dahua.scenarios import SCENARIOS, SimEvent, build

__all__ = ["DEMO_PASSWORD", "DahuaSimulator", "SimulatorThread", "event_text", "main", "upload_body"]

DEMO_PASSWORD = "admin123"  # the simulator's password when --password-env names no variable
REALM = "Login to DahuaSim"
_PARAM = re.compile(r'(\w+)\s*=\s*(?:"([^"]*)"|([^,\s]*))')
T = TypeVar("T")


def event_text(event: SimEvent, *, indent: int | None = 1) -> bytes:
    """The body of one attach-stream part; the JSON spans several lines like the real firmware's."""
    data = json.dumps(event.data, ensure_ascii=False, indent=indent)
    return f"Code={event.code};action={event.action};index={event.index};data={data}".encode()


def upload_body(events: Sequence[SimEvent]) -> bytes:
    """An HTTP event upload carrying ``events``."""
    items = [{"Code": e.code, "Action": e.action, "Index": e.index, "Data": e.data} for e in events]
    return json.dumps({"Events": items}, ensure_ascii=False).encode()


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


class DahuaSimulator:
    """An aiohttp server playing one Dahua device. ``stats`` counts requests, 401s, attaches, parts."""

    def __init__(
        self, *, host: str = "127.0.0.1", port: int = 0, user: str = "admin", password: str = DEMO_PASSWORD,
        scenario: str = "morning-rush", rate: float = 20.0, count: int | None = None, repeat: int = 1,
        start_utc: int | None = None, boundary: str = "myboundary", content_length: bool = True,
        bad_json_every: int = 0, reboot_down_s: float = 1.0, heartbeat_s: float | None = None,
        boundary_in_header: bool = True, switch_boundary_after: int = 0,
    ) -> None:
        if scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {scenario!r} (known: {', '.join(SCENARIOS)})")
        self.host, self.port = host, port
        self.user, self.password = user, password
        self.scenario = scenario
        self.rate = rate
        self.repeat = repeat
        self.events = build(scenario, start_utc if start_utc is not None else int(time.time()) - 60, count)
        self.boundary = boundary
        self.content_length = content_length
        self.bad_json_every = bad_json_every
        self.reboot_down_s = reboot_down_s
        self.heartbeat_s = heartbeat_s  # override of the interval the client asks for
        self.boundary_in_header = boundary_in_header  # False: "multipart/x-mixed-replace" alone (a quirk)
        self.switch_boundary_after = switch_boundary_after  # >0: parts after this many use another boundary
        self.stats: Counter[str] = Counter()
        self._nonces: dict[str, float] = {}
        self._opaque = secrets.token_hex(8)
        self._runner: web.AppRunner | None = None
        self._streams: set[asyncio.Task[Any]] = set()
        self._sent: dict[int, int] = {}  # parts sent per open response
        self._down_until = 0.0

    # -- server lifecycle ---------------------------------------------------------------------------
    async def start(self) -> int:
        app = web.Application()
        app.router.add_get("/cgi-bin/eventManager.cgi", self._event_manager)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        assert server is not None
        self.port = int(server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
        return self.port

    async def stop(self) -> None:
        """Stop like a power cut: open streams are dropped, not ended politely; nonces are forgotten."""
        self._nonces.clear()
        for task in list(self._streams):
            task.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- digest -------------------------------------------------------------------------------------
    def _challenge(self, stale: bool = False) -> str:
        nonce = secrets.token_hex(16)
        now = time.monotonic()
        self._nonces = {n: t for n, t in self._nonces.items() if now - t < 300}
        self._nonces[nonce] = now
        value = f'Digest realm="{REALM}", qop="auth", nonce="{nonce}", opaque="{self._opaque}"'
        return value + (", stale=TRUE" if stale else "")

    def _check(self, request: web.Request) -> str:
        header = request.headers.get("Authorization", "")
        if not header.lower().startswith("digest "):
            return "missing"
        params = {m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
                  for m in _PARAM.finditer(header[7:])}
        if params.get("username") != self.user or params.get("realm") != REALM:
            return "bad"
        ha1 = _md5(f"{self.user}:{REALM}:{self.password}")
        ha2 = _md5(f"{request.method}:{params.get('uri', '')}")
        if params.get("qop"):
            expect = _md5(f"{ha1}:{params.get('nonce')}:{params.get('nc')}:{params.get('cnonce')}:"
                          f"{params.get('qop')}:{ha2}")
        else:
            expect = _md5(f"{ha1}:{params.get('nonce')}:{ha2}")
        if not secrets.compare_digest(expect, params.get("response", "")):
            return "bad"
        if params.get("nonce") not in self._nonces:
            return "stale"  # right password, old nonce (e.g. we restarted): tell the client to retry
        return "ok"

    # -- the attach stream ---------------------------------------------------------------------------
    async def _event_manager(self, request: web.Request) -> web.StreamResponse:
        self.stats["requests"] += 1
        verdict = self._check(request)
        if verdict != "ok":
            self.stats["unauthorized"] += 1
            if verdict == "bad":
                self.stats["bad_password"] += 1
            return web.Response(status=401, text="Error\r\nUnauthorized\r\n",
                                headers={"WWW-Authenticate": self._challenge(stale=verdict == "stale")})
        if request.query.get("action") != "attach":
            return web.Response(status=400, text="Error\r\nBad Request!\r\n")
        if time.monotonic() < self._down_until:
            return web.Response(status=503, text="Error\r\nService Unavailable\r\n")
        codes = {c.strip() for c in request.query.get("codes", "[All]").strip("[]").split(",")}
        try:
            heartbeat = float(request.query.get("heartbeat", "0") or 0)
        except ValueError:
            heartbeat = 0.0
        heartbeat = self.heartbeat_s if self.heartbeat_s is not None else heartbeat
        content_type = "multipart/x-mixed-replace"
        if self.boundary_in_header:
            content_type += f"; boundary={self.boundary}"
        response = web.StreamResponse(headers={"Content-Type": content_type})
        await response.prepare(request)
        self.stats["attaches"] += 1
        task = asyncio.current_task()
        assert task is not None
        self._streams.add(task)
        try:
            await self._serve_stream(request, response, codes, heartbeat)
        except (ConnectionError, aiohttp.ClientConnectionResetError):
            self.stats["client_gone"] += 1
        finally:
            self._streams.discard(task)
            self._sent.pop(id(response), None)
        return response

    async def _part(self, response: web.StreamResponse, body: bytes) -> None:
        sent = self._sent.get(id(response), 0)
        self._sent[id(response)] = sent + 1
        switched = self.switch_boundary_after and sent >= self.switch_boundary_after
        head = f"--{'other' + self.boundary if switched else self.boundary}\r\nContent-Type: text/plain\r\n"
        if self.content_length:
            head += f"Content-Length: {len(body)}\r\n"
        await response.write(head.encode() + b"\r\n" + body + b"\r\n")
        self.stats["parts"] += 1

    async def _serve_stream(self, request: web.Request, response: web.StreamResponse, codes: set[str],
                            heartbeat: float) -> None:
        loop = asyncio.get_running_loop()
        wanted = [e for e in self.events if "All" in codes or e.code in codes]
        gap = 1.0 / self.rate if self.rate > 0 else 0.0
        next_beat = loop.time() + heartbeat if heartbeat > 0 else float("inf")
        sent = 0
        for _ in range(self.repeat):
            for event in wanted:
                next_event = loop.time() + gap
                while (now := loop.time()) < next_event:
                    if now >= next_beat:
                        await self._part(response, b"Heartbeat")
                        next_beat = now + heartbeat
                    await asyncio.sleep(max(0.0, min(next_event, next_beat) - now))
                sent += 1
                if self.bad_json_every and sent % self.bad_json_every == 0:
                    await self._part(response, event_text(event)[:-3] + b"\n}}garbage")
                    self.stats["bad_parts"] += 1
                    continue
                await self._part(response, event_text(event))
                self.stats["events"] += 1
        if self.scenario == "reboot":  # the device reboots: connection dropped, service back after a while
            self.stats["reboots"] += 1
            self._down_until = time.monotonic() + self.reboot_down_s
            if request.transport is not None:
                request.transport.abort()
            return
        while True:
            await asyncio.sleep(heartbeat if heartbeat > 0 else 1.0)
            if heartbeat > 0:
                await self._part(response, b"Heartbeat")

    # -- push ---------------------------------------------------------------------------------------
    async def push(self, url: str, *, batch: int = 1, retries: int = 3, user: str | None = None,
                   password: str | None = None) -> Counter[str]:
        """POST the scenario's events to ``url`` as HTTP uploads; retry what is not answered 200."""
        middlewares = (aiohttp.DigestAuthMiddleware(user, password),) if user and password else ()
        result: Counter[str] = Counter()
        events = [e for _ in range(self.repeat) for e in self.events]
        gap = 1.0 / self.rate if self.rate > 0 else 0.0
        async with aiohttp.ClientSession(middlewares=middlewares) as session:
            for start in range(0, len(events), batch):
                body = upload_body(events[start : start + batch])
                for attempt in range(retries + 1):
                    try:
                        async with session.post(url, data=body,
                                                headers={"Content-Type": "application/json"}) as resp:
                            await resp.read()
                            status = resp.status
                    except (aiohttp.ClientError, OSError) as exc:
                        result[f"error_{type(exc).__name__}"] += 1
                        status = 0
                    result["posts"] += 1
                    if status == 200:
                        result["acked"] += 1
                        result["events_acked"] += len(events[start : start + batch])
                        break
                    result[f"status_{status}"] += 1
                    if attempt < retries:
                        await asyncio.sleep(0.2 * (attempt + 1))
                else:
                    result["failed"] += 1
                if gap:
                    await asyncio.sleep(gap)
        self.stats.update(result)
        return result


class SimulatorThread:
    """Runs a DahuaSimulator on its own loop thread (tests drive a real driver host against it)."""

    def __init__(self, simulator: DahuaSimulator) -> None:
        self.simulator = simulator
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="dahua-simulator", daemon=True)

    def start(self) -> int:
        self._thread.start()
        return self.call(self.simulator.start())

    def call(self, coro: Awaitable[T], timeout: float = 30.0) -> T:
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, self._loop)  # type: ignore[arg-type]
        return future.result(timeout)

    def restart(self, down_s: float = 0.0) -> int:
        """Stop (dropping every stream), stay down ``down_s`` seconds, start again on the same port."""
        self.call(self.simulator.stop())
        time.sleep(down_s)
        return self.call(self.simulator.start())

    def stop(self) -> None:
        if self._thread.is_alive():
            with contextlib.suppress(Exception):
                self.call(self.simulator.stop())
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        if not self._loop.is_closed() and not self._loop.is_running():
            self._loop.close()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="campus-console simulate dahua",
        description="Simulate a Dahua access-control / ANPR device: serve the eventManager attach stream "
                    "(Digest auth, multipart/x-mixed-replace, multi-line JSON, Heartbeat parts) or, with "
                    "--push-to, POST HTTP event uploads to the console.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to serve on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to serve on; 0 picks one and prints it")
    parser.add_argument("--user", default="admin", help="Digest user name (default admin)")
    parser.add_argument("--password-env", default="DAHUA_SIM_PASSWORD", metavar="VAR",
                        help="environment variable holding the password; if it is unset the demo password "
                             f"{DEMO_PASSWORD!r} is used")
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), default="morning-rush")
    parser.add_argument("--rate", type=float, default=2.0, help="events per second (default 2)")
    parser.add_argument("--count", type=int, default=None, help="events per run (default: the scenario's)")
    parser.add_argument("--repeat", type=int, default=1, help="play the scenario this many times")
    parser.add_argument("--heartbeat", type=float, default=None,
                        help="heartbeat interval, overriding what the client asks for")
    parser.add_argument("--serve-for", type=float, default=0.0,
                        help="stop serving after this many seconds (default: until interrupted)")
    parser.add_argument("--push-to", metavar="URL", default=None,
                        help="push mode: POST uploads to URL (http://127.0.0.1:8088/push/DEVICE/) and exit")
    parser.add_argument("--batch", type=int, default=1, help="events per upload in push mode")
    return parser


async def _run(args: argparse.Namespace) -> dict[str, Any]:
    password = os.environ.get(args.password_env) or DEMO_PASSWORD
    sim = DahuaSimulator(host=args.host, port=args.port, user=args.user, password=password,
                         scenario=args.scenario, rate=args.rate, count=args.count, repeat=args.repeat,
                         heartbeat_s=args.heartbeat)
    if args.push_to:
        await sim.push(args.push_to, batch=max(1, args.batch), user=args.user, password=password)
        return dict(sim.stats)
    port = await sim.start()
    print(json.dumps({"listening": f"{args.host}:{port}", "user": args.user,
                      "url": f"http://{args.host}:{port}/cgi-bin/eventManager.cgi?action=attach"
                             f"&codes=[All]&heartbeat=5"}), flush=True)
    try:
        if args.serve_for > 0:
            await asyncio.sleep(args.serve_for)
        else:
            await asyncio.get_running_loop().create_future()
    finally:
        await sim.stop()
    return dict(sim.stats)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the simulator; prints its statistics as JSON. 0 unless an upload failed or startup failed."""
    args = build_parser().parse_args(argv)
    try:
        stats = asyncio.run(_run(args))
    except KeyboardInterrupt:
        return 0
    except (OSError, ValueError) as exc:
        print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}), flush=True)
        return 1
    print(json.dumps(stats, ensure_ascii=False), flush=True)
    return 1 if stats.get("failed") else 0


if __name__ == "__main__":
    sys.exit(main())
