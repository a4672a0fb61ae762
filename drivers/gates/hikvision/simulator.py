"""Hikvision ISAPI device simulator: Digest-protected alertStream, AcsEvent search and deviceInfo, or push."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import random
import re
import secrets
import sys
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import aiohttp
from aiohttp import web

from drivers.gates.hikvision.events import DecodeError, parse_time
from drivers.gates.hikvision.scenarios import (
    SCENARIOS,
    SimEvent,
    acs_json,
    acs_record,
    anpr_xml,
    fake_jpeg,
    keepalive_xml,
    render_part,
    scenario_events,
    stream_parts,
)

log = logging.getLogger(__name__)
DEMO_USER = "admin"
DEMO_PASSWORD = "Hik12345demo"  # a published demo value, never a real device's
REALM = "DS-K1T671M"
BOUNDARY = "MIME_boundary"
_AUTH_PARAM = re.compile(r'([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))')
_NOT_SUPPORTED = {"statusCode": 4, "statusString": "Invalid Operation", "subStatusCode": "notSupport"}


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 - RFC 2617 Digest is what the device speaks


class DigestGate:
    """Server-side Digest (MD5, qop=auth) as a Hikvision device does it: nonces expire after
    ``nonce_uses`` requests, and a client still using one is told ``stale=true``."""

    def __init__(self, user: str, password: str, nonce_uses: int = 20) -> None:
        self.user, self.password, self.nonce_uses = user, password, nonce_uses
        self.nonces: dict[str, int] = {}  # nonce → uses left
        self.stats: Counter[str] = Counter()

    def challenge(self, stale: bool = False) -> str:
        nonce = secrets.token_hex(16)
        self.nonces[nonce] = self.nonce_uses
        if len(self.nonces) > 256:  # forget the oldest; a client holding one gets stale=true
            del self.nonces[next(iter(self.nonces))]
        extra = ", stale=true" if stale else ", stale=false"
        return f'Digest qop="auth", realm="{REALM}", nonce="{nonce}"{extra}'

    def check(self, request: web.Request) -> web.Response | None:
        """None when the request is authorised, else the 401 to send."""
        header = request.headers.get("Authorization", "")
        if not header.lower().startswith("digest "):
            self.stats["challenged"] += 1
            return self._refuse(False)
        params = {m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
                  for m in _AUTH_PARAM.finditer(header[7:])}
        nonce = params.get("nonce", "")
        ha1 = _md5(f"{self.user}:{REALM}:{self.password}")
        ha2 = _md5(f"{request.method}:{params.get('uri', '')}")
        if params.get("qop"):
            expected = _md5(f"{ha1}:{nonce}:{params.get('nc', '')}:{params.get('cnonce', '')}:auth:{ha2}")
        else:
            expected = _md5(f"{ha1}:{nonce}:{ha2}")
        good = (params.get("username") == self.user and params.get("realm") == REALM
                and secrets.compare_digest(expected, params.get("response", "")))
        if not good:
            self.stats["auth_failures"] += 1
            return self._refuse(False)
        left = self.nonces.get(nonce, 0)
        if left <= 0:  # right password, worn-out nonce: re-authenticate without bothering the user
            self.nonces.pop(nonce, None)
            self.stats["stale"] += 1
            return self._refuse(True)
        self.nonces[nonce] = left - 1
        self.stats["authorised"] += 1
        return None

    def _refuse(self, stale: bool) -> web.Response:
        headers = {"WWW-Authenticate": self.challenge(stale)}
        return web.Response(status=401, text="Unauthorized\n", headers=headers)


class HikvisionSimulator:
    """An aiohttp server that behaves like a Hikvision face terminal / ANPR camera.

    Events come from a scenario at ``rate`` per second (or from ``emit``); every event enters the
    device's history (searchable through AcsEvent when it is an access-control event) and goes to
    each connected alertStream, unless the device is in an outage (``reboot`` or ``set_outage``).
    """

    def __init__(self, scenario: str = "morning-rush", *, user: str = DEMO_USER,
                 password: str = DEMO_PASSWORD, host: str = "127.0.0.1", port: int = 0, rate: float = 2.0,
                 count: int = 0, repeat: int = 1, seed: int | None = None, keepalive_s: float = 2.0,
                 nonce_uses: int = 20, outage_after: int = 10, outage_s: float = 5.0, acs_search: bool = True,
                 drop_length_every: int = 5, boundary: str = BOUNDARY,
                 announce_boundary: str | None = None, acs_error: int | None = None,
                 start_on_stream: bool = False, pictures: bool = True) -> None:
        """``announce_boundary`` is the boundary named in the Content-Type (default: the one used; "" =
        none), to play firmware that gets it wrong; ``acs_error`` makes every AcsEvent search fail with
        that HTTP status. ``start_on_stream``: the scenario starts when the first alertStream opens (a
        benchmark times the stream, not a back-fill); ``pictures=False`` leaves out the JPEG parts."""
        if scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {scenario!r}")
        self.scenario, self.host, self.port, self.rate = scenario, host, port, rate
        self.count, self.repeat, self.keepalive_s = count, repeat, keepalive_s
        self.outage_after, self.outage_s, self.acs_search = outage_after, outage_s, acs_search
        self.drop_length_every, self.boundary = drop_length_every, boundary
        self.announce_boundary = boundary if announce_boundary is None else announce_boundary
        self.acs_error = acs_error
        self.start_on_stream, self.pictures = start_on_stream, pictures
        self.rng = random.Random(seed)
        self.gate = DigestGate(user, password, nonce_uses)
        self.stats: Counter[str] = Counter()
        self.history: list[SimEvent] = []
        self.outage = False
        self.generating_done = asyncio.Event()
        self._queues: set[asyncio.Queue[bytes | None]] = set()
        self._runner: web.AppRunner | None = None
        self._generator: asyncio.Task[None] | None = None
        self._serial = 1000
        self._generate_pending = False

    # -- lifecycle ----------------------------------------------------------------------------------
    async def start(self, generate: bool = True) -> int:
        app = web.Application(middlewares=[self._count_and_auth])
        app.router.add_get("/ISAPI/System/deviceInfo", self._device_info)
        app.router.add_get("/ISAPI/Event/notification/alertStream", self._alert_stream)
        app.router.add_post("/ISAPI/AccessControl/AcsEvent", self._acs_event)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = int(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
        self._generate_pending = generate and self.start_on_stream
        if generate and not self.start_on_stream:
            self._generator = asyncio.get_running_loop().create_task(self._generate())
        return self.port

    async def stop(self) -> None:
        if self._generator is not None:
            self._generator.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._generator
        self._close_streams()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- events -------------------------------------------------------------------------------------
    def next_events(self, n: int, scenario: str | None = None) -> list[SimEvent]:
        """The scenario's next ``n`` events, stamped now (a second apart going back is not needed)."""
        now = datetime.now(UTC).replace(microsecond=0)
        events = scenario_events(scenario or self.scenario, self.rng, now, self._serial, n,
                                 step=timedelta(0))
        self._serial += n
        if not self.pictures:
            events = [dataclasses.replace(ev, pictures=0) for ev in events]
        return events

    def emit(self, ev: SimEvent) -> None:
        """Record an event and stream it to every connected client (unless the device is down)."""
        self.history.append(ev)
        self.stats["events"] += 1
        if self.outage:
            self.stats["events_during_outage"] += 1
            return
        drop = self.drop_length_every > 0 and len(self.history) % self.drop_length_every == 0
        data = stream_parts(ev, self.boundary, self.rng, drop_length=drop)
        for queue in self._queues:
            queue.put_nowait(data)

    def inject(self, data: bytes) -> None:
        """Write raw bytes into every open alertStream (fault tests: garbage, broken parts)."""
        for queue in self._queues:
            queue.put_nowait(data)

    def set_outage(self, down: bool) -> None:
        """Down: the streams drop and new requests get 503 (the device is rebooting)."""
        self.outage = down
        if down:
            self.stats["outages"] += 1
            self._close_streams()

    def _close_streams(self) -> None:
        for queue in self._queues:
            queue.put_nowait(None)

    async def _generate(self) -> None:
        rounds = 0
        emitted = 0
        while self.repeat <= 0 or rounds < self.repeat:
            n = 0
            while self.count <= 0 or n < self.count:
                self.emit(self.next_events(1)[0])
                n += 1
                emitted += 1
                if self.scenario == "reboot" and emitted % max(1, self.outage_after) == 0 and not self.outage:
                    self.set_outage(True)
                    asyncio.get_running_loop().call_later(self.outage_s, self.set_outage, False)
                await asyncio.sleep(1.0 / self.rate if self.rate > 0 else 0)
            rounds += 1
        self.generating_done.set()

    # -- HTTP ---------------------------------------------------------------------------------------
    @web.middleware
    async def _count_and_auth(self, request: web.Request, handler: web.Handler) -> web.StreamResponse:
        self.stats["requests"] += 1
        if self.outage:
            self.stats["refused_outage"] += 1
            return web.Response(status=503, text="rebooting\n")
        refusal = self.gate.check(request)
        if refusal is not None:
            self.stats["unauthorised"] += 1
            return refusal
        return await handler(request)

    async def _device_info(self, request: web.Request) -> web.Response:
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<DeviceInfo version="2.0" '
            'xmlns="http://www.hikvision.com/ver20/XMLSchema"><deviceName>Main Gate</deviceName>'
            "<deviceID>sim-0001</deviceID><model>DS-K1T671M</model><serialNumber>DS-K1T671M0020231234SIM"
            "</serialNumber><macAddress>44:19:b6:00:00:01</macAddress><firmwareVersion>V3.2.30</firmwareVersion>"
            "<deviceType>ACS</deviceType></DeviceInfo>\n"
        )
        return web.Response(text=body, content_type="application/xml")

    async def _alert_stream(self, request: web.Request) -> web.StreamResponse:
        announced = f"; boundary={self.announce_boundary}" if self.announce_boundary else ""
        response = web.StreamResponse(headers={"Content-Type": f"multipart/mixed{announced}",
                                               "Connection": "close"})
        await response.prepare(request)
        queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._queues.add(queue)
        self.stats["streams"] += 1
        if self._generate_pending:
            self._generate_pending = False
            self._generator = asyncio.get_running_loop().create_task(self._generate())
        try:
            while True:
                try:
                    data = await asyncio.wait_for(queue.get(), self.keepalive_s)
                except TimeoutError:
                    data = render_part(self.boundary, 'application/xml; charset="UTF-8"', keepalive_xml())
                if data is None:
                    break
                await response.write(data)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._queues.discard(queue)
        return response

    async def _acs_event(self, request: web.Request) -> web.Response:
        self.stats["acs_searches"] += 1
        if not self.acs_search:
            return web.json_response(_NOT_SUPPORTED, status=400)
        if self.acs_error is not None:
            return web.Response(status=self.acs_error, text="internal error\n")
        try:
            cond = (await request.json())["AcsEventCond"]
            position, wanted = int(cond["searchResultPosition"]), int(cond["maxResults"])
            start = parse_time(cond["startTime"], UTC)[0]
            end = parse_time(cond["endTime"], UTC)[0]
        except (ValueError, KeyError, TypeError, DecodeError):
            return web.json_response({"statusCode": 6, "statusString": "Invalid Content",
                                      "subStatusCode": "badJsonContent"}, status=400)
        rows = [ev for ev in self.history if not ev.is_anpr and start <= ev.time <= end]
        rows.sort(key=lambda ev: ev.serial)
        page = rows[position : position + min(wanted, 30)]
        more = position + len(page) < len(rows)
        status = "NO MATCH" if not rows or not page else ("MORE" if more else "OK")
        body = {"AcsEvent": {"searchID": cond.get("searchID"), "totalMatches": len(rows),
                             "responseStatusStrg": status, "numOfMatches": len(page),
                             "InfoList": [acs_record(ev) for ev in page]}}
        return web.json_response(body)


# -- push mode -------------------------------------------------------------------------------------
def push_form(ev: SimEvent, rng: random.Random) -> aiohttp.FormData:
    """What httpHosts posts: event_log JSON (+ Picture), or anpr.xml with its pictures."""
    form = aiohttp.FormData()
    if ev.is_anpr:
        form.add_field("anpr.xml", anpr_xml(ev), filename="anpr.xml", content_type="application/xml")
        names = ("licensePlatePicture.jpg", "vehiclePicture.jpg")
        for i in range(ev.pictures):
            name = names[i % 2]
            form.add_field(name[:-4], fake_jpeg(rng), filename=name, content_type="image/jpeg")
        return form
    form.add_field("event_log", acs_json(ev).decode(), content_type="application/json")
    for _ in range(ev.pictures):
        form.add_field("Picture", fake_jpeg(rng), filename="Picture.jpg", content_type="image/jpeg")
    return form


async def push_events(url: str, events: Sequence[SimEvent], user: str, password: str, seed: int | None = None,
                      attempts: int = 5) -> Counter[str]:
    """POST each event to ``url`` (retrying on 5xx and connection errors, as devices do)."""
    rng = random.Random(seed)
    stats: Counter[str] = Counter()
    async with aiohttp.ClientSession(middlewares=(aiohttp.DigestAuthMiddleware(user, password),)) as session:
        for ev in events:
            for attempt in range(attempts):
                try:
                    async with session.post(url, data=push_form(ev, rng),
                                            timeout=aiohttp.ClientTimeout(total=10)) as resp:
                        await resp.read()
                        stats[f"http_{resp.status}"] += 1
                        if resp.status < 500:
                            break
                except (aiohttp.ClientError, TimeoutError):
                    stats["errors"] += 1
                await asyncio.sleep(min(2.0, 0.2 * 2**attempt))
            stats["events"] += 1
    return stats


# -- command line ----------------------------------------------------------------------------------
def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="campus-console simulate hikvision",
        description="Simulate a Hikvision ISAPI face terminal / ANPR camera: Digest-protected alertStream, "
                    "paginated AcsEvent search and deviceInfo; or push events to the console (--push-to).",
        epilog=f"Without --password-env (or when that variable is unset) the demo credentials "
               f"{DEMO_USER} / {DEMO_PASSWORD} are used. Never use them on a real device.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to serve on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to serve on; 0 picks one and prints it")
    parser.add_argument("--user", default=DEMO_USER, help=f"Digest user name (default {DEMO_USER})")
    parser.add_argument("--password-env", default="HIK_SIM_PASSWORD", metavar="VAR",
                        help="environment variable holding the password (default HIK_SIM_PASSWORD; "
                             "the demo password when it is unset)")
    parser.add_argument("--scenario", choices=SCENARIOS, default="morning-rush")
    parser.add_argument("--rate", type=float, default=1.0,
                        help="events per second (default 1); 0 = as fast as the stream takes them")
    parser.add_argument("--count", type=int, default=0, help="events per round; 0 = endless (default)")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of --count events (default 1)")
    parser.add_argument("--seed", type=int, default=None, help="random seed, for repeatable runs")
    parser.add_argument("--outage-s", type=float, default=10.0,
                        help="reboot scenario: seconds the device stays down (default 10)")
    parser.add_argument("--start-on-stream", action="store_true",
                        help="start the scenario when the first alertStream opens (for benchmarks)")
    parser.add_argument("--no-pictures", action="store_true", help="events without JPEG parts")
    parser.add_argument("--keepalive-s", type=float, default=2.0,
                        help="seconds of silence before a keep-alive part (default 2)")
    parser.add_argument("--push-to", metavar="URL",
                        help="push mode: POST events to the console's listener, e.g. "
                             "http://127.0.0.1:8088/push/gate-east/ (instead of serving alertStream)")
    return parser


async def _serve(args: argparse.Namespace, password: str) -> int:
    sim = HikvisionSimulator(args.scenario, user=args.user, password=password, host=args.host, port=args.port,
                             rate=args.rate, count=args.count, repeat=args.repeat, seed=args.seed,
                             outage_s=args.outage_s, keepalive_s=args.keepalive_s,
                             start_on_stream=args.start_on_stream,
                             pictures=not args.no_pictures)
    port = await sim.start()
    print(f"hikvision simulator on http://{args.host}:{port} user {args.user!r} scenario {args.scenario}",
          flush=True)
    try:
        await asyncio.get_running_loop().create_future()
    finally:
        await sim.stop()
    return 0


async def _push(args: argparse.Namespace, password: str) -> int:
    rng = random.Random(args.seed)
    total = args.count if args.count > 0 else 10
    rounds = max(1, args.repeat)
    sent: Counter[str] = Counter()
    serial = 1000
    for _ in range(rounds):
        now = datetime.now(UTC).replace(microsecond=0)
        events = scenario_events(args.scenario, rng, now, serial, total, step=timedelta(seconds=0))
        serial += total
        started = time.monotonic()
        for i, ev in enumerate(events):
            seed = rng.randrange(1 << 30)
            sent.update(await push_events(args.push_to, [ev], args.user, password, seed=seed))
            if args.rate > 0:
                await asyncio.sleep(max(0.0, started + (i + 1) / args.rate - time.monotonic()))
    print(json.dumps(dict(sent)), flush=True)
    return 0 if sent["events"] and not sent["errors"] else 1


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    password = os.environ.get(args.password_env) or DEMO_PASSWORD
    try:
        return asyncio.run(_push(args, password) if args.push_to else _serve(args, password))
    except KeyboardInterrupt:
        return 0
    except OSError as exc:
        print(f"hikvision simulator: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
