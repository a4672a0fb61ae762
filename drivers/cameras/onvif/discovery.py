"""WS-Discovery of ONVIF cameras: a multicast Probe plus the Hellos heard meanwhile (WSDiscovery 2.1).

This sends multicast to 239.255.255.250:3702 on every non-loopback interface: never call it from a test
outside a private network namespace.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import wsdiscovery.threaded
from wsdiscovery import QName
from wsdiscovery.discovery import ThreadedWSDiscovery
from wsdiscovery.message import parseSOAPMessage

log = logging.getLogger(__name__)

NVT = QName("http://www.onvif.org/ver10/network/wsdl", "NetworkVideoTransmitter", "dn")
_SCOPE_PREFIX = "onvif://www.onvif.org/"
_discover_lock = threading.Lock()  # one search at a time: each binds UDP 3702 for the Hello listener


@dataclass(frozen=True, slots=True)
class Found:
    xaddrs: tuple[str, ...]
    host: str | None
    port: int | None
    scopes: tuple[str, ...]
    name: str | None
    hardware: str | None
    location: str | None
    epr: str
    via: str  # "probe" or "hello"

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["xaddrs"], out["scopes"] = list(self.xaddrs), list(self.scopes)
        return out


def scope_value(scopes: list[str] | tuple[str, ...], key: str) -> str | None:
    """The value of an ONVIF scope such as onvif://www.onvif.org/name/Gate%20Cam (URL-decoded)."""
    prefix = f"{_SCOPE_PREFIX}{key}/"
    for scope in scopes:
        if scope.startswith(prefix):
            return unquote(scope[len(prefix):]) or None
    return None


def host_port(xaddrs: list[str] | tuple[str, ...]) -> tuple[str | None, int | None]:
    """Host and port of the first usable http(s) XAddr (IPv4 preferred, as our client is)."""
    parsed = []
    for addr in xaddrs:
        try:
            parts = urlsplit(addr)
            if parts.scheme in ("http", "https") and parts.hostname:
                parsed.append((parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)))
        except ValueError:
            continue
    parsed.sort(key=lambda hp: ":" in hp[0])
    return parsed[0] if parsed else (None, None)


def found_from(xaddrs: list[str], scopes: list[str], epr: str, via: str) -> Found:
    host, port = host_port(xaddrs)
    return Found(tuple(xaddrs), host, port, tuple(scopes), scope_value(scopes, "name"),
                 scope_value(scopes, "hardware"), scope_value(scopes, "location"), epr, via)


_WRONG_PROBE_MATCH_ACTION = b"/discovery/ProbeMatch<"


def tolerant_parse(data: bytes, ip: str) -> Any:
    """WSDiscovery's parser, also accepting the singular ``.../discovery/ProbeMatch`` action some cameras
    (ipycam 1.3 among them) send instead of ``ProbeMatches``; their answers were silently dropped."""
    if _WRONG_PROBE_MATCH_ACTION in data:
        data = data.replace(_WRONG_PROBE_MATCH_ACTION, b"/discovery/ProbeMatches<")
    return parseSOAPMessage(data, ip)


# The receiving thread looks the parser up in its module on every datagram; this is the only change.
wsdiscovery.threaded.parseSOAPMessage = tolerant_parse


class _Recorder(ThreadedWSDiscovery):  # type: ignore[misc]
    """Remembers how each endpoint first made itself known: answering our Probe, or by its own Hello."""

    def __init__(self) -> None:
        super().__init__()
        self.first_via: dict[str, str] = {}

    def _handle_probematches(self, env: Any, addr: Any) -> None:
        for match in env.getProbeResolveMatches():
            self.first_via.setdefault(str(match.getEPR()), "probe")
        super()._handle_probematches(env, addr)

    def _handle_hello(self, env: Any, addr: Any) -> None:
        self.first_via.setdefault(str(env.getEPR()), "hello")
        super()._handle_hello(env, addr)


def discover_blocking(timeout: float = 3.0) -> list[Found]:
    """Probe for NetworkVideoTransmitters for ``timeout`` seconds; threads are stopped before returning."""
    with _discover_lock:
        wsd = _Recorder()
        wsd.start()
        try:
            services = wsd.searchServices(types=[NVT], timeout=timeout)
            results: dict[str, Found] = {}
            for service in services:
                epr = str(service.getEPR())
                scopes = [str(s.getValue()) for s in service.getScopes() or []]
                xaddrs = [str(x) for x in service.getXAddrs() or []]
                via = wsd.first_via.get(epr, "probe")
                results[epr] = found_from(xaddrs, scopes, epr, via)
            return sorted(results.values(), key=lambda f: (f.host or "", f.port or 0, f.epr))
        finally:
            wsd.stop()


async def discover(timeout: float = 3.0) -> list[Found]:
    return await asyncio.to_thread(discover_blocking, timeout)
