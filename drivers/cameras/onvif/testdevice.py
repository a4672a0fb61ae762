"""A small ONVIF camera over real HTTP (aiohttp): templated SOAP, WS-UsernameToken, PullPoint, faults.

It answers the Device, Media, PTZ and Events operations the console uses, checks the password digest and
the token's clock (a camera whose clock is skewed refuses tokens it thinks are stale), and can be told to
misbehave per operation: a SOAP fault, malformed XML, an undeclared prefix (ipycam's PTZ GetStatus), a
hang, or a lost PullPoint subscription. Run it alone with ``python -m drivers.cameras.onvif.testdevice``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import itertools
import json
import logging
import re
import signal
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO
from xml.sax.saxutils import escape, quoteattr

from aiohttp import web
from lxml import etree

log = logging.getLogger(__name__)

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "wsse": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd",
    "wsu": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd",
    "tds": "http://www.onvif.org/ver10/device/wsdl",
    "trt": "http://www.onvif.org/ver10/media/wsdl",
    "tptz": "http://www.onvif.org/ver20/ptz/wsdl",
    "tev": "http://www.onvif.org/ver10/events/wsdl",
    "tt": "http://www.onvif.org/ver10/schema",
    "wsnt": "http://docs.oasis-open.org/wsn/b-2",
    "wstop": "http://docs.oasis-open.org/wsn/t-1",
    "wsa": "http://www.w3.org/2005/08/addressing",
    "tns1": "http://www.onvif.org/ver10/topics",
    "ter": "http://www.onvif.org/ver10/error",
    "wsrf-rw": "http://docs.oasis-open.org/wsrf/rw-2",
}
_ENVELOPE_NS = " ".join(f'xmlns:{p}="{u}"' for p, u in NS.items() if p not in ("wsse", "wsu"))
SOAP_TYPE = "application/soap+xml"

# The three kinds of event the device can raise, as real cameras name them.
TOPICS = {
    "motion": ("tns1:RuleEngine/CellMotionDetector/Motion", "IsMotion",
               {"VideoSourceConfigurationToken": "VSC_1", "VideoAnalyticsConfigurationToken": "VAC_1",
                "Rule": "MyMotionDetectorRule"}),
    "tamper": ("tns1:RuleEngine/TamperDetector/Tamper", "IsTamper",
               {"VideoSourceConfigurationToken": "VSC_1", "VideoAnalyticsConfigurationToken": "VAC_1",
                "Rule": "MyTamperDetectorRule"}),
    "input": ("tns1:Device/Trigger/DigitalInput", "LogicalState", {"InputToken": "DI_1"}),
}
FAULT_MODES = ("fault", "malformed", "prefix", "hang", "http500")


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _iso_ms(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def envelope(body: str, header: str = "") -> str:
    head = f"<s:Header>{header}</s:Header>" if header else ""
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<s:Envelope {_ENVELOPE_NS}>{head}'
            f"<s:Body>{body}</s:Body></s:Envelope>")


def fault(code: str, subcode: str, reason: str) -> str:
    return envelope(
        f"<s:Fault><s:Code><s:Value>{code}</s:Value><s:Subcode><s:Value>{subcode}</s:Value></s:Subcode>"
        f'</s:Code><s:Reason><s:Text xml:lang="en">{escape(reason)}</s:Text></s:Reason></s:Fault>'
    )


def parse_duration(text: str | None, default: float) -> float:
    """xs:duration as ONVIF uses it (PT5S, PT1M30S, PT0.5S); anything else gives ``default``."""
    match = re.fullmatch(r"P(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?", (text or "").strip())
    if not match or not text or text.strip() in ("P", "PT"):
        return default
    hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def _simple_items(values: dict[str, str]) -> str:
    return "".join(f"<tt:SimpleItem Name={quoteattr(k)} Value={quoteattr(v)}/>" for k, v in values.items())


@dataclass
class Notification:
    topic: str
    source: dict[str, str]
    data: dict[str, str]
    operation: str = "Changed"
    when: datetime = field(default_factory=lambda: datetime.now(UTC))
    millis: bool = False  # UtcTime with milliseconds (cameras differ; the benchmark needs them)

    def xml(self) -> str:
        items, data = _simple_items(self.source), _simple_items(self.data)
        stamp = _iso_ms(self.when) if self.millis else _iso(self.when)
        return (
            "<wsnt:NotificationMessage>"
            '<wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">'
            f"{escape(self.topic)}</wsnt:Topic><wsnt:Message>"
            f'<tt:Message UtcTime="{stamp}" PropertyOperation="{self.operation}">'
            f"<tt:Source>{items}</tt:Source><tt:Data>{data}</tt:Data></tt:Message>"
            "</wsnt:Message></wsnt:NotificationMessage>"
        )


@dataclass
class Subscription:
    number: int
    expires: float
    queue: list[Notification] = field(default_factory=list)
    wake: asyncio.Event = field(default_factory=asyncio.Event)


class OnvifTestDevice:
    """The device. Thread-safe controls (``push_event``, ``lose_subscriptions``, ``faults`` ...) let a test
    drive it while it serves on its own thread (``start``/``stop``) or on the caller's loop
    (``start_async``/``stop_async``)."""

    def __init__(self, *, user: str = "admin", password: str = "secret", host: str = "127.0.0.1",
                 port: int = 0, skew_s: float = 0.0, token_window_s: float = 5.0,
                 auth_failure: str = "fault", events: bool = True, ptz: bool = True,
                 manufacturer: str = "Campus Test", model: str = "TD-1") -> None:
        self.user, self.password = user, password
        self.host, self.port = host, port
        self.skew_s = skew_s
        self.token_window_s = token_window_s
        self.auth_failure = auth_failure  # "fault" (HTTP 400 + ter:NotAuthorized) or "http401"
        self.events_enabled, self.ptz_enabled = events, ptz
        self.manufacturer, self.model = manufacturer, model
        self.faults: dict[str, str] = {}  # operation name -> one of FAULT_MODES
        self.requests: Counter[str] = Counter()
        self.auth_failures = 0
        self.moves: list[dict[str, Any]] = []
        self.presets: dict[str, str] = {"1": "Gate", "2": "Car park"}
        self.position = {"x": 0.0, "y": 0.0, "zoom": 0.0}
        self.moving = False
        self.millis = False  # notifications' UtcTime with milliseconds
        # One JSON line per request received ({"op", "t": time.monotonic()}) and per event raised: the
        # benchmark's device-side clock (CLOCK_MONOTONIC is the same for every process of the machine).
        self.request_log: TextIO | None = None
        self.subscriptions: dict[int, Subscription] = {}
        self.state: dict[str, bool] = {}  # kind -> current value, announced as Initialized on subscribe
        self._pending: list[Notification] = []  # raised while nobody subscribed: given to the next one
        self._numbers = itertools.count(1)
        self._preset_numbers = itertools.count(3)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._stopping: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    # -- controls (any thread) ---------------------------------------------------------------------
    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.skew_s)

    @property
    def total_requests(self) -> int:
        with self._lock:
            return sum(self.requests.values())

    def push_event(self, kind: str, active: bool, *, source: dict[str, str] | None = None) -> None:
        """Raise (``active``) or clear a motion, tamper or digital-input condition."""
        topic, item, default_source = TOPICS[kind]
        self.state[kind] = active
        note = Notification(topic, source or dict(default_source), {item: "true" if active else "false"},
                            when=self.now(), millis=self.millis)
        self.log_line({"raise": kind, "active": active, "t": time.monotonic(), "utc": _iso_ms(note.when)})
        self.push(note)

    def log_line(self, record: dict[str, Any]) -> None:
        if self.request_log is not None:
            with self._lock:
                self.request_log.write(json.dumps(record) + "\n")
                self.request_log.flush()

    def push(self, note: Notification) -> None:
        if self._loop is None:
            raise RuntimeError("the test device is not running")
        self._loop.call_soon_threadsafe(self._deliver, note)

    def lose_subscriptions(self) -> None:
        """Forget every PullPoint subscription, as a rebooted camera does."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._drop_subscriptions)

    # -- lifecycle ---------------------------------------------------------------------------------
    async def start_async(self) -> int:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        app = web.Application(client_max_size=256 * 1024)
        app.router.add_post("/onvif/{service}", self._handle)
        app.router.add_post("/onvif/subscription/{number}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = int(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
        return self.port

    async def stop_async(self) -> None:
        if self._stopping is not None:
            self._stopping.set()
        for sub in self.subscriptions.values():
            sub.wake.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def start(self) -> int:
        """Serve on a thread of its own; returns the bound port."""
        self._thread = threading.Thread(target=self._serve, name="onvif-testdevice", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise self._error
        return self.port

    def stop(self) -> None:
        if self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def _serve(self) -> None:
        async def main() -> None:
            try:
                await self.start_async()
            except BaseException as exc:
                self._error = exc
                self._ready.set()
                return
            self._ready.set()
            assert self._stopping is not None
            await self._stopping.wait()
            await self.stop_async()

        asyncio.run(main())

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    # -- delivery ----------------------------------------------------------------------------------
    def _deliver(self, note: Notification) -> None:
        live = [s for s in self.subscriptions.values()]
        if not live:
            self._pending.append(note)
            return
        for sub in live:
            sub.queue.append(note)
            sub.wake.set()

    def _drop_subscriptions(self) -> None:
        dropped, self.subscriptions = self.subscriptions, {}
        for sub in dropped.values():
            sub.wake.set()

    # -- HTTP --------------------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        received = time.monotonic()
        body = await request.read()
        try:
            doc = etree.fromstring(body, parser=etree.XMLParser(resolve_entities=False, no_network=True))
            payload = doc.find("s:Body", NS)[0]  # type: ignore[index]
        except (etree.XMLSyntaxError, TypeError, IndexError):
            return self._reply(fault("s:Sender", "ter:WellFormed", "request is not a SOAP envelope"), 400)
        op = etree.QName(payload).localname
        with self._lock:
            self.requests[op] += 1
        self.log_line({"op": op, "t": received})
        if op != "GetSystemDateAndTime" and not self._authorized(doc):
            with self._lock:
                self.auth_failures += 1
            if self.auth_failure == "http401":
                return web.Response(status=401, headers={"WWW-Authenticate": 'Digest realm="onvif"'})
            return self._reply(fault("s:Sender", "ter:NotAuthorized", "Sender not Authorized"), 400)
        mode = self.faults.get(op)
        if mode is not None:
            injected = await self._inject(mode, op)
            if injected is not None:
                return injected
        handler = getattr(self, f"_op_{op}", None)
        if handler is None:
            return self._reply(fault("s:Receiver", "ter:ActionNotSupported", f"{op} is not supported"), 400)
        try:
            result = handler(payload, request)
            if asyncio.iscoroutine(result):
                result = await result
        except _SoapFault as exc:
            return self._reply(fault(exc.code, exc.subcode, exc.reason), 400)
        return self._reply(envelope(result))

    async def _inject(self, mode: str, op: str) -> web.Response | None:
        if mode == "fault":
            return self._reply(fault("s:Receiver", "ter:Action", f"injected fault in {op}"), 500)
        if mode == "http500":
            return web.Response(status=500, text="internal error")
        if mode == "malformed":
            return web.Response(body=b"\x00\x01<<< not XML", content_type=SOAP_TYPE)
        if mode == "prefix":  # ipycam's PTZ GetStatus: a prefix nobody declared
            body = envelope(f"<tptz:{op}Response><ptz:PTZStatus><tt:UtcTime>{_iso(self.now())}</tt:UtcTime>"
                            f"</ptz:PTZStatus></tptz:{op}Response>")
            return web.Response(text=body, content_type=SOAP_TYPE)
        if mode == "hang":
            assert self._stopping is not None
            await self._stopping.wait()
            return web.Response(status=503)
        return None

    @staticmethod
    def _reply(text: str, status: int = 200) -> web.Response:
        return web.Response(text=text, status=status, content_type=SOAP_TYPE, charset="utf-8")

    def _authorized(self, doc: etree._Element) -> bool:
        token = doc.find("s:Header/wsse:Security/wsse:UsernameToken", NS)
        if token is None:
            return False
        user = token.findtext("wsse:Username", None, NS)
        password = token.find("wsse:Password", NS)
        nonce, created = token.findtext("wsse:Nonce", None, NS), token.findtext("wsu:Created", None, NS)
        if user != self.user or password is None or password.text is None:
            return False
        if password.get("Type", "").endswith("#PasswordText"):
            expected_ok = password.text == self.password
        else:
            if nonce is None or created is None:
                return False
            try:
                raw_nonce = base64.b64decode(nonce)
            except ValueError:
                return False
            digest = hashlib.sha1(raw_nonce + created.encode() + self.password.encode()).digest()
            expected_ok = base64.b64encode(digest).decode() == password.text
        if not expected_ok:
            return False
        if created is not None:  # a stale or future token is refused, as cameras do
            try:
                when = datetime.fromisoformat(created.replace("Z", "+00:00"))
            except ValueError:
                return False
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            if abs((when - self.now()).total_seconds()) > self.token_window_s:
                return False
        return True

    # -- Device ------------------------------------------------------------------------------------
    def _xaddr(self, service: str) -> str:
        return f"{self.base}/onvif/{service}_service"

    def _services(self) -> list[tuple[str, str]]:
        out = [(NS["tds"], self._xaddr("device")), (NS["trt"], self._xaddr("media"))]
        if self.ptz_enabled:
            out.append((NS["tptz"], self._xaddr("ptz")))
        if self.events_enabled:
            out.append((NS["tev"], self._xaddr("events")))
        return out

    def _op_GetServices(self, payload: Any, request: web.Request) -> str:
        items = "".join(
            f"<tds:Service><tds:Namespace>{ns}</tds:Namespace><tds:XAddr>{addr}</tds:XAddr>"
            "<tds:Version><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tds:Version></tds:Service>"
            for ns, addr in self._services()
        )
        return f"<tds:GetServicesResponse>{items}</tds:GetServicesResponse>"

    def _op_GetCapabilities(self, payload: Any, request: web.Request) -> str:
        parts = [f"<tt:Device><tt:XAddr>{self._xaddr('device')}</tt:XAddr></tt:Device>"]
        if self.events_enabled:
            parts.append(f"<tt:Events><tt:XAddr>{self._xaddr('events')}</tt:XAddr>"
                         "<tt:WSSubscriptionPolicySupport>false</tt:WSSubscriptionPolicySupport>"
                         "<tt:WSPullPointSupport>true</tt:WSPullPointSupport>"
                         "<tt:WSPausableSubscriptionManagerInterfaceSupport>false"
                         "</tt:WSPausableSubscriptionManagerInterfaceSupport></tt:Events>")
        parts.append(f"<tt:Media><tt:XAddr>{self._xaddr('media')}</tt:XAddr></tt:Media>")
        if self.ptz_enabled:
            parts.append(f"<tt:PTZ><tt:XAddr>{self._xaddr('ptz')}</tt:XAddr></tt:PTZ>")
        return f"<tds:GetCapabilitiesResponse><tds:Capabilities>{''.join(parts)}</tds:Capabilities>" \
               "</tds:GetCapabilitiesResponse>"

    def _op_GetDeviceInformation(self, payload: Any, request: web.Request) -> str:
        return ("<tds:GetDeviceInformationResponse>"
                f"<tds:Manufacturer>{escape(self.manufacturer)}</tds:Manufacturer>"
                f"<tds:Model>{escape(self.model)}</tds:Model><tds:FirmwareVersion>1.2.3</tds:FirmwareVersion>"
                "<tds:SerialNumber>SN0001</tds:SerialNumber><tds:HardwareId>HW-1</tds:HardwareId>"
                "</tds:GetDeviceInformationResponse>")

    def _op_GetSystemDateAndTime(self, payload: Any, request: web.Request) -> str:
        now = self.now()
        return ("<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>"
                "<tt:DateTimeType>Manual</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings>"
                "<tt:TimeZone><tt:TZ>UTC0</tt:TZ></tt:TimeZone><tt:UTCDateTime>"
                f"<tt:Time><tt:Hour>{now.hour}</tt:Hour><tt:Minute>{now.minute}</tt:Minute>"
                f"<tt:Second>{now.second}</tt:Second></tt:Time>"
                f"<tt:Date><tt:Year>{now.year}</tt:Year><tt:Month>{now.month}</tt:Month>"
                f"<tt:Day>{now.day}</tt:Day></tt:Date>"
                "</tt:UTCDateTime></tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>")

    def _op_SetSystemDateAndTime(self, payload: Any, request: web.Request) -> str:
        utc = payload.find("tds:UTCDateTime", NS)
        if utc is None:
            raise _SoapFault("s:Sender", "ter:InvalidArgVal", "UTCDateTime is required for Manual")
        try:
            fields = {tag: int(utc.findtext(f".//tt:{tag}", "", NS))
                      for tag in ("Year", "Month", "Day", "Hour", "Minute", "Second")}
            when = datetime(fields["Year"], fields["Month"], fields["Day"], fields["Hour"], fields["Minute"],
                            fields["Second"], tzinfo=UTC)
        except ValueError as exc:
            raise _SoapFault("s:Sender", "ter:InvalidDateTime", str(exc)) from None
        self.skew_s = (when - datetime.now(UTC)).total_seconds()
        return "<tds:SetSystemDateAndTimeResponse/>"

    # -- Media -------------------------------------------------------------------------------------
    def _profile(self, token: str, name: str, width: int, height: int, fps: int, ptz: bool) -> str:
        ptz_xml = ("<tt:PTZConfiguration token=\"PTZ_1\"><tt:Name>PTZ</tt:Name><tt:UseCount>2</tt:UseCount>"
                   "<tt:NodeToken>PTZNODE_1</tt:NodeToken></tt:PTZConfiguration>") if ptz else ""
        return (f'<trt:Profiles token="{token}" fixed="true"><tt:Name>{name}</tt:Name>'
                '<tt:VideoSourceConfiguration token="VSC_1"><tt:Name>VS</tt:Name><tt:UseCount>2</tt:UseCount>'
                "<tt:SourceToken>VS_1</tt:SourceToken>"
                f'<tt:Bounds x="0" y="0" width="{width}" height="{height}"/>'
                f'</tt:VideoSourceConfiguration><tt:VideoEncoderConfiguration token="VEC_{token}">'
                f"<tt:Name>{name}</tt:Name><tt:UseCount>1</tt:UseCount><tt:Encoding>H264</tt:Encoding>"
                f"<tt:Resolution><tt:Width>{width}</tt:Width><tt:Height>{height}</tt:Height></tt:Resolution>"
                "<tt:Quality>5</tt:Quality><tt:RateControl>"
                f"<tt:FrameRateLimit>{fps}</tt:FrameRateLimit><tt:EncodingInterval>1</tt:EncodingInterval>"
                "<tt:BitrateLimit>2048</tt:BitrateLimit></tt:RateControl>"
                "<tt:SessionTimeout>PT60S</tt:SessionTimeout></tt:VideoEncoderConfiguration>"
                f"{ptz_xml}</trt:Profiles>")

    def _op_GetProfiles(self, payload: Any, request: web.Request) -> str:
        return ("<trt:GetProfilesResponse>"
                + self._profile("main", "Main", 1920, 1080, 25, self.ptz_enabled)
                + self._profile("sub", "Sub", 640, 360, 15, self.ptz_enabled)
                + "</trt:GetProfilesResponse>")

    def _token(self, payload: Any, ns: str = "trt") -> str:
        token = payload.findtext(f"{ns}:ProfileToken", None, NS)
        if token not in ("main", "sub"):
            raise _SoapFault("s:Sender", "ter:NoProfile", f"no profile {token!r}")
        return token

    def _op_GetStreamUri(self, payload: Any, request: web.Request) -> str:
        token = self._token(payload)
        return (f"<trt:GetStreamUriResponse><trt:MediaUri><tt:Uri>rtsp://{self.host}:554/{token}</tt:Uri>"
                "<tt:InvalidAfterConnect>false</tt:InvalidAfterConnect><tt:InvalidAfterReboot>false"
                "</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout></trt:MediaUri></trt:GetStreamUriResponse>")

    def _op_GetSnapshotUri(self, payload: Any, request: web.Request) -> str:
        token = self._token(payload)
        return (f"<trt:GetSnapshotUriResponse><trt:MediaUri><tt:Uri>{self.base}/snapshot/{token}.jpg</tt:Uri>"
                "<tt:InvalidAfterConnect>false</tt:InvalidAfterConnect><tt:InvalidAfterReboot>false"
                "</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout></trt:MediaUri>"
                "</trt:GetSnapshotUriResponse>")

    # -- PTZ ---------------------------------------------------------------------------------------
    def _op_ContinuousMove(self, payload: Any, request: web.Request) -> str:
        token = self._token(payload, "tptz")
        pan_tilt = payload.find("tptz:Velocity/tt:PanTilt", NS)
        zoom = payload.find("tptz:Velocity/tt:Zoom", NS)
        move = {"profile": token,
                "pan": float(pan_tilt.get("x", 0)) if pan_tilt is not None else 0.0,
                "tilt": float(pan_tilt.get("y", 0)) if pan_tilt is not None else 0.0,
                "zoom": float(zoom.get("x", 0)) if zoom is not None else 0.0}
        self.moves.append(move)
        self.moving = True
        self.position = {"x": max(-1.0, min(1.0, self.position["x"] + move["pan"] / 10)),
                         "y": max(-1.0, min(1.0, self.position["y"] + move["tilt"] / 10)),
                         "zoom": max(0.0, min(1.0, self.position["zoom"] + move["zoom"] / 10))}
        return "<tptz:ContinuousMoveResponse/>"

    def _op_Stop(self, payload: Any, request: web.Request) -> str:
        self._token(payload, "tptz")
        self.moving = False
        self.moves.append({"stop": True})
        return "<tptz:StopResponse/>"

    def _op_GetStatus(self, payload: Any, request: web.Request) -> str:
        self._token(payload, "tptz")
        state = "MOVING" if self.moving else "IDLE"
        p = self.position
        return ("<tptz:GetStatusResponse><tptz:PTZStatus><tt:Position>"
                f'<tt:PanTilt x="{p["x"]}" y="{p["y"]}"/><tt:Zoom x="{p["zoom"]}"/></tt:Position>'
                f"<tt:MoveStatus><tt:PanTilt>{state}</tt:PanTilt><tt:Zoom>{state}</tt:Zoom></tt:MoveStatus>"
                f"<tt:UtcTime>{_iso(self.now())}</tt:UtcTime></tptz:PTZStatus></tptz:GetStatusResponse>")

    def _op_GetPresets(self, payload: Any, request: web.Request) -> str:
        self._token(payload, "tptz")
        items = "".join(f"<tptz:Preset token={quoteattr(t)}><tt:Name>{escape(n)}</tt:Name></tptz:Preset>"
                        for t, n in self.presets.items())
        return f"<tptz:GetPresetsResponse>{items}</tptz:GetPresetsResponse>"

    def _preset_token(self, payload: Any) -> str:
        token = payload.findtext("tptz:PresetToken", None, NS)
        if token not in self.presets:
            raise _SoapFault("s:Sender", "ter:NoToken", f"no preset {token!r}")
        return token

    def _op_GotoPreset(self, payload: Any, request: web.Request) -> str:
        self._token(payload, "tptz")
        self.moves.append({"goto": self._preset_token(payload)})
        return "<tptz:GotoPresetResponse/>"

    def _op_SetPreset(self, payload: Any, request: web.Request) -> str:
        self._token(payload, "tptz")
        name = payload.findtext("tptz:PresetName", "", NS) or "Preset"
        if payload.find("tptz:PresetToken", NS) is not None:
            token = self._preset_token(payload)
        else:
            token = str(next(self._preset_numbers))
        if any(n == name and t != token for t, n in self.presets.items()):
            raise _SoapFault("s:Sender", "ter:PresetExist", f"a preset named {name!r} exists")
        self.presets[token] = name
        return (f"<tptz:SetPresetResponse><tptz:PresetToken>{escape(token)}</tptz:PresetToken>"
                "</tptz:SetPresetResponse>")

    def _op_RemovePreset(self, payload: Any, request: web.Request) -> str:
        self._token(payload, "tptz")
        del self.presets[self._preset_token(payload)]
        return "<tptz:RemovePresetResponse/>"

    # -- Events ------------------------------------------------------------------------------------
    def _op_GetEventProperties(self, payload: Any, request: web.Request) -> str:
        return ("<tev:GetEventPropertiesResponse>"
                "<tev:TopicNamespaceLocation>http://www.onvif.org/onvif/ver10/topics/topicns.xml"
                "</tev:TopicNamespaceLocation><wsnt:FixedTopicSet>true</wsnt:FixedTopicSet><wstop:TopicSet>"
                '<tns1:RuleEngine><CellMotionDetector><Motion wstop:topic="true"/></CellMotionDetector>'
                '<TamperDetector><Tamper wstop:topic="true"/></TamperDetector></tns1:RuleEngine>'
                '<tns1:Device><Trigger><DigitalInput wstop:topic="true"/></Trigger></tns1:Device>'
                "</wstop:TopicSet><wsnt:TopicExpressionDialect>"
                "http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet</wsnt:TopicExpressionDialect>"
                "<tev:MessageContentFilterDialect>http://www.onvif.org/ver10/tev/messageContentFilter/ItemFilter"
                "</tev:MessageContentFilterDialect><tev:MessageContentSchemaLocation>"
                "http://www.onvif.org/onvif/ver10/schema/onvif.xsd</tev:MessageContentSchemaLocation>"
                "</tev:GetEventPropertiesResponse>")

    def _termination(self, payload: Any, tag: str, loop_now: float) -> tuple[float, str]:
        seconds = parse_duration(payload.findtext(tag, None, NS), 60.0)
        return loop_now + seconds, _iso(self.now() + timedelta(seconds=seconds))

    def _op_CreatePullPointSubscription(self, payload: Any, request: web.Request) -> str:
        if not self.events_enabled:
            raise _SoapFault("s:Receiver", "ter:ActionNotSupported", "no events service")
        loop_now = asyncio.get_running_loop().time()
        expires, until = self._termination(payload, "tev:InitialTerminationTime", loop_now)
        sub = Subscription(next(self._numbers), expires)
        # A new subscriber first learns the current state of every property (ONVIF "Initialized").
        for kind, active in self.state.items():
            topic, item, source = TOPICS[kind]
            sub.queue.append(Notification(topic, dict(source), {item: "true" if active else "false"},
                                          operation="Initialized", when=self.now()))
        sub.queue.extend(self._pending)
        self._pending.clear()
        self.subscriptions[sub.number] = sub
        address = f"{self.base}/onvif/subscription/{sub.number}"
        return ("<tev:CreatePullPointSubscriptionResponse><tev:SubscriptionReference>"
                f"<wsa:Address>{address}</wsa:Address></tev:SubscriptionReference>"
                f"<wsnt:CurrentTime>{_iso(self.now())}</wsnt:CurrentTime>"
                f"<wsnt:TerminationTime>{until}</wsnt:TerminationTime>"
                "</tev:CreatePullPointSubscriptionResponse>")

    def _subscription(self, request: web.Request) -> Subscription:
        try:
            number = int(request.match_info.get("number", ""))
        except ValueError:
            number = -1
        sub = self.subscriptions.get(number)
        if sub is None or sub.expires < asyncio.get_running_loop().time():
            self.subscriptions.pop(number, None)
            raise _SoapFault("s:Receiver", "wsrf-rw:ResourceUnknownFault", "no such subscription")
        return sub

    async def _op_PullMessages(self, payload: Any, request: web.Request) -> str:
        sub = self._subscription(request)
        wait = min(parse_duration(payload.findtext("tev:Timeout", None, NS), 10.0), 60.0)
        try:
            limit = max(1, int(payload.findtext("tev:MessageLimit", "100", NS)))
        except ValueError:
            limit = 100
        if not sub.queue:
            sub.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(sub.wake.wait(), wait)
        self._subscription(request)  # lost while we waited: fail like a camera that rebooted
        notes, sub.queue[:] = sub.queue[:limit], sub.queue[limit:]
        now = self.now()
        return ("<tev:PullMessagesResponse>"
                f"<tev:CurrentTime>{_iso(now)}</tev:CurrentTime>"
                f"<tev:TerminationTime>{_iso(now + timedelta(seconds=60))}</tev:TerminationTime>"
                + "".join(n.xml() for n in notes) + "</tev:PullMessagesResponse>")

    def _op_Renew(self, payload: Any, request: web.Request) -> str:
        sub = self._subscription(request)
        loop_now = asyncio.get_running_loop().time()
        sub.expires, until = self._termination(payload, "wsnt:TerminationTime", loop_now)
        return (f"<wsnt:RenewResponse><wsnt:TerminationTime>{until}</wsnt:TerminationTime>"
                f"<wsnt:CurrentTime>{_iso(self.now())}</wsnt:CurrentTime></wsnt:RenewResponse>")

    def _op_Unsubscribe(self, payload: Any, request: web.Request) -> str:
        sub = self._subscription(request)
        self.subscriptions.pop(sub.number, None)
        sub.wake.set()
        return "<wsnt:UnsubscribeResponse/>"

    def _op_SetSynchronizationPoint(self, payload: Any, request: web.Request) -> str:
        self._subscription(request)
        return "<tev:SetSynchronizationPointResponse/>"


class _SoapFault(Exception):
    def __init__(self, code: str, subcode: str, reason: str) -> None:
        super().__init__(reason)
        self.code, self.subcode, self.reason = code, subcode, reason


# The order the fixed-rate mode raises events in: every one changes a state, so none is a repeat.
RAISE_CYCLE = (("motion", True), ("tamper", True), ("motion", False), ("tamper", False))


async def raise_at_rate(device: OnvifTestDevice, every_s: float, count: int, stop: asyncio.Event) -> None:
    """Once a PullPoint subscriber is there, raise ``count`` events, one every ``every_s`` seconds (on a
    fixed schedule, so a late tick does not slow the rate down)."""
    while not device.subscriptions and not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.02)
    loop = asyncio.get_running_loop()
    start = loop.time()
    for index in range(count):
        delay = start + index * every_s - loop.time()
        if delay > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
        if stop.is_set():
            return
        kind, active = RAISE_CYCLE[index % len(RAISE_CYCLE)]
        device.push_event(kind, active)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="onvif-testdevice", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080, help="0 picks a free port (printed on stdout)")
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", default="secret")
    parser.add_argument("--skew", type=float, default=0.0, help="camera clock minus real time, seconds")
    parser.add_argument("--no-events", action="store_true", help="no Events service")
    parser.add_argument("--motion-every", type=float, default=0.0, help="raise and clear motion every S s")
    parser.add_argument("--raise-every", type=float, default=0.0,
                        help="once subscribed, raise --raise-count motion/tamper changes, one every S s")
    parser.add_argument("--raise-count", type=int, default=0)
    parser.add_argument("--millisecond-times", action="store_true", help="UtcTime of events with ms")
    parser.add_argument("--log-requests", metavar="FILE",
                        help="append a JSON line per request and per raised event (monotonic time)")
    parser.add_argument("--fault", action="append", default=[], metavar="OP=MODE",
                        help=f"misbehave on an operation (MODE: {', '.join(FAULT_MODES)}); repeatable")
    args = parser.parse_args(argv)
    faults = dict(item.partition("=")[::2] for item in args.fault)
    if any(mode not in FAULT_MODES for mode in faults.values()):
        parser.error(f"--fault needs OP=MODE with MODE one of {', '.join(FAULT_MODES)}")
    device = OnvifTestDevice(user=args.user, password=args.password, host=args.host, port=args.port,
                             skew_s=args.skew, events=not args.no_events)
    device.millis = args.millisecond_times
    device.faults.update(faults)

    async def run() -> None:
        port = await device.start_async()
        print(json.dumps({"host": args.host, "port": port, "user": args.user}), flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        raising = None
        if args.raise_every > 0 and args.raise_count > 0:
            raising = asyncio.create_task(raise_at_rate(device, args.raise_every, args.raise_count, stop))
        try:
            active = False
            while not stop.is_set():
                if args.motion_every > 0:
                    active = not active
                    device.push_event("motion", active)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), args.motion_every or 3600)
        finally:
            if raising is not None:
                await raising
            await device.stop_async()

    with contextlib.ExitStack() as files:
        if args.log_requests:
            device.request_log = files.enter_context(open(args.log_requests, "a", encoding="utf-8"))
        asyncio.run(run())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
