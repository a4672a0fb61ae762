"""One shared HTTP server per (host, port) that push-mode gate drivers register their routes on."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qsl, unquote

from multidict import MultiDict, MultiDictProxy

from drivers.gates.push.auth import DigestAuthority, check_basic, check_hmac
from drivers.gates.push.batch import IngestBatcher
from drivers.gates.push.http import Admission, Head, HttpConnection, HttpReply
from drivers.gates.push.multipart import MultipartError, PushPart, parse_multipart

__all__ = [
    "PushAuth",
    "PushHandler",
    "PushListener",
    "PushPart",
    "PushReply",
    "PushRequest",
    "Registration",
    "acquire_listener",
]

log = logging.getLogger(__name__)

REALM = "campus-console"
RAW_LOG_BYTES = 200
_SEEN_404_LIMIT = 1024  # remember this many unknown paths for "log once"; a scanner must not grow it forever
_ROUTE_CACHE_LIMIT = 4096  # paths whose candidate routes are remembered (devices post to a handful each)
KEEPALIVE_S = 75.0  # an idle keep-alive connection is closed after this long (aiohttp's default)
SHUTDOWN_S = 5.0  # how long the last release waits for requests under way


@dataclass(frozen=True, slots=True)
class PushAuth:
    scheme: Literal["none", "basic", "digest", "hmac"] = "none"
    username: str | None = None
    secret: str | None = None  # password (basic/digest) or key (hmac); from ctx.secret(credential)


@dataclass(frozen=True, slots=True)
class PushRequest:
    method: str
    path: str  # full request path, e.g. /push/gate-east/event or /iclock/cdata
    query: Mapping[str, str]
    headers: Mapping[str, str]
    peer: str  # remote IP
    content_type: str  # media type without parameters, lower-case
    body: bytes  # the whole body (already size-capped); b"" for GET
    parts: tuple[PushPart, ...]  # parsed parts when the body is multipart, else ()


@dataclass(frozen=True, slots=True)
class PushReply:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/plain"


PushHandler = Callable[[PushRequest], Awaitable[PushReply]]


def clip(data: bytes) -> str:
    """The repr of the first bytes of ``data``, for WARNING lines about bad input."""
    text = repr(data[:RAW_LOG_BYTES])
    return text + f" ... ({len(data)} bytes)" if len(data) > RAW_LOG_BYTES else text


class Registration:
    """One route on a listener; ``close`` removes it (idempotent)."""

    def __init__(
        self,
        listener: PushListener,
        prefix: str,
        handler: PushHandler,
        auth: PushAuth,
        query_key: tuple[str, str] | None,
        max_body: int,
    ) -> None:
        self._listener = listener
        self.prefix = prefix
        self.handler = handler
        self.auth = auth
        self.query_key = query_key
        self.max_body = max_body
        self.digest = DigestAuthority(REALM) if auth.scheme == "digest" else None

    def matches(self, path: str, query: Mapping[str, str]) -> bool:
        if not path.startswith(self.prefix):
            return False
        return self.query_key is None or query.get(self.query_key[0]) == self.query_key[1]

    def close(self) -> None:
        self._listener._unregister(self)


class PushListener:
    """The web server; created and shared through :func:`acquire_listener`, never directly."""

    def __init__(self, host: str, port: int, max_body: int, max_inflight: int) -> None:
        self.host = host
        self.port = port
        self.max_body = max_body
        self.max_inflight = max_inflight
        self._routes: list[Registration] = []
        self._refs = 0
        self._inflight = 0
        self._seen_404: set[str] = set()
        # path → the registrations whose prefix it starts with, best first; cleared on (un)registration.
        self._candidates: dict[str, tuple[Registration, ...]] = {}
        self._server: asyncio.Server | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._connections: set[HttpConnection] = set()
        self._ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._keys: list[tuple[asyncio.AbstractEventLoop, str, int]] = []
        self.batcher = IngestBatcher()  # the routes' drivers store their events through it

    # -- routes ---------------------------------------------------------------------------------------

    def register(
        self,
        prefix: str,
        handler: PushHandler,
        auth: PushAuth = PushAuth(),  # noqa: B008 - frozen dataclass, safe as a default
        *,
        query_key: tuple[str, str] | None = None,
        max_body: int | None = None,
    ) -> Registration:
        if not prefix.startswith("/"):
            raise ValueError(f"route prefix must start with '/': {prefix!r}")
        for other in self._routes:
            if other.prefix == prefix and other.query_key == query_key:
                raise ValueError(f"route {prefix!r} {query_key or ''} is already registered")
        if auth.scheme not in ("none", "basic", "digest", "hmac"):
            raise ValueError(f"unknown auth scheme {auth.scheme!r}")
        reg = Registration(self, prefix, handler, auth, query_key, max_body or self.max_body)
        self._routes.append(reg)
        # Longest prefix first; at equal prefix a registration that names its query key beats a catch-all.
        self._routes.sort(key=lambda r: (len(r.prefix), r.query_key is not None), reverse=True)
        self._candidates.clear()
        return reg

    def _unregister(self, reg: Registration) -> None:
        if reg in self._routes:
            self._routes.remove(reg)
            self._candidates.clear()

    def _route(self, path: str, query: Mapping[str, str]) -> Registration | None:
        candidates = self._candidates.get(path)
        if candidates is None:
            candidates = tuple(r for r in self._routes if path.startswith(r.prefix))
            if len(self._candidates) >= _ROUTE_CACHE_LIMIT:
                self._candidates.clear()  # a scanner walking random paths must not grow it forever
            self._candidates[path] = candidates
        for reg in candidates:
            if reg.query_key is None or query.get(reg.query_key[0]) == reg.query_key[1]:
                return reg
        return None

    # -- lifecycle ------------------------------------------------------------------------------------

    async def _start(self) -> None:
        # Our own lean HTTP protocol, not aiohttp's server: routing is ours anyway, and per request the
        # server's objects cost more loop time than decoding the event (see drivers.gates.push.http).
        loop = asyncio.get_running_loop()
        server = await loop.create_server(self._connection, self.host, self.port, reuse_address=True)
        self._server = server
        if server.sockets:  # the real port when 0 was asked for
            self.port = int(server.sockets[0].getsockname()[1])
        self._sweeper = loop.create_task(self._sweep_idle(), name=f"push-sweep:{self.port}")
        log.info("push listener on %s:%d", self.host, self.port)

    def _connection(self) -> HttpConnection:
        conn = HttpConnection(self, self._connections.discard)
        self._connections.add(conn)
        return conn

    async def _sweep_idle(self) -> None:
        """Close keep-alive connections silent for ``KEEPALIVE_S``: a device that vanished without a FIN
        must not hold a socket forever."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(KEEPALIVE_S / 4)
            stale = loop.time() - KEEPALIVE_S
            for conn in [c for c in self._connections if c.last_active < stale]:
                conn.close()

    async def release(self) -> None:
        """Drop one reference; the last one stops the server after in-flight requests finish."""
        if self._refs <= 0:
            return  # already stopped: an extra release is harmless
        self._refs -= 1
        if self._refs > 0:
            return
        for key in self._keys:
            if _LISTENERS.get(key) is self:
                del _LISTENERS[key]
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        if self._sweeper is not None:
            self._sweeper.cancel()
        for conn in list(self._connections):
            conn.close()  # idle ones now, busy ones once their reply is out
        busy = [c.task for c in self._connections if c.task is not None and not c.task.done()]
        if busy:
            _, late = await asyncio.wait(busy, timeout=SHUTDOWN_S)
            for task in late:
                task.cancel()
        await server.wait_closed()
        log.info("push listener on %s:%d stopped", self.host, self.port)

    # -- requests -------------------------------------------------------------------------------------

    def admit(self, head: Head, length: int | None) -> HttpReply | _Admitted:
        """Route, authenticate and size-check a request before its body is read."""
        if self._inflight >= self.max_inflight:
            # Over capacity: the device keeps the record and retries, which is better than queueing it
            # in memory where a crash would lose it.
            return _BUSY
        raw_path, _, query_text = head.target.partition("?")
        path = unquote(raw_path) if "%" in raw_path else raw_path
        query = MultiDictProxy(MultiDict(parse_qsl(query_text, keep_blank_values=True))) if query_text \
            else _NO_QUERY
        reg = self._route(path, query)
        if reg is None:
            if path not in self._seen_404 and len(self._seen_404) < _SEEN_404_LIMIT:
                self._seen_404.add(path)
                log.warning("push: no route for %s %s from %s", head.method, head.target, head.peer)
            return _NOT_FOUND

        auth = reg.auth
        if auth.scheme == "basic":
            verdict = check_basic(head.headers.get("Authorization"), auth.username, auth.secret, REALM)
        elif auth.scheme == "digest" and reg.digest is not None:
            # The Digest uri is the request target as the client wrote it, query included.
            verdict = reg.digest.check(head.headers.get("Authorization"), head.method, head.target,
                                       auth.username, auth.secret)
        else:
            verdict = None
        if verdict is not None and not verdict.ok:
            return self._unauthorised(head, verdict.reason, verdict.challenge)
        if length is not None and length > reg.max_body:
            return self.too_large(head, length, reg.max_body)
        return _Admitted(reg, path, query, reg.max_body)

    def too_large(self, head: Head, size: int, cap: int) -> HttpReply:
        log.warning("push: %s %s from %s: body of %d bytes is over the %d-byte cap", head.method,
                    head.target, head.peer, size, cap)
        return _TOO_LARGE

    async def serve(self, head: Head, admission: Admission, body: bytes) -> HttpReply:
        assert isinstance(admission, _Admitted)
        self._inflight += 1
        try:
            return await self._serve(head, admission, body)
        finally:
            self._inflight -= 1

    async def _serve(self, head: Head, admitted: _Admitted, data: bytes) -> HttpReply:
        reg = admitted.reg
        auth = reg.auth
        if auth.scheme == "hmac":
            verdict = check_hmac(head.headers.get("X-Signature"), auth.secret, data)
            if not verdict.ok:
                return self._unauthorised(head, verdict.reason, None)

        full_type = head.headers.get("Content-Type", "")
        content_type = full_type.split(";", 1)[0].strip().lower() or _DEFAULT_TYPE
        parts: tuple[PushPart, ...] = ()
        if content_type.startswith("multipart/") and data:
            try:
                parts = parse_multipart(full_type, data, max_part=reg.max_body)
            except MultipartError as exc:
                # The handler still gets the raw body; some devices send near-multipart it can salvage.
                log.warning("push: %s %s from %s: %s; raw %s", head.method, admitted.path, head.peer, exc,
                            clip(data))

        push = PushRequest(
            method=head.method,
            path=admitted.path,
            query=admitted.query,
            headers=head.headers,
            peer=head.peer,
            content_type=content_type,
            body=data,
            parts=parts,
        )
        try:
            reply = await reg.handler(push)
            if not isinstance(reply, PushReply):
                raise TypeError(f"push handler returned {type(reply).__name__}, not PushReply")
        except Exception:
            log.exception("push handler for %s %s from %s failed; raw body %s", head.method, head.target,
                          head.peer, clip(data))
            return _FAILED
        return HttpReply(reply.status, reply.body, reply.content_type)

    def _unauthorised(self, head: Head, reason: str, challenge: str | None) -> HttpReply:
        # A device without credentials first asks anonymously; that is the normal first step, not news.
        anonymous = "Authorization" not in head.headers and reason.startswith("no ")
        level = logging.DEBUG if anonymous else logging.WARNING
        log.log(level, "push: %s %s from %s refused: %s", head.method, head.target, head.peer, reason)
        headers = (("WWW-Authenticate", challenge),) if challenge else ()
        return HttpReply(401, b"unauthorised\n", headers=headers)


@dataclass(frozen=True, slots=True)
class _Admitted:
    """A request the listener accepted before its body: its route and its parsed target."""

    reg: Registration
    path: str
    query: Mapping[str, str]
    max_body: int


_BUSY = HttpReply(503, b"busy\n", headers=(("Retry-After", "1"),))
_NOT_FOUND = HttpReply(404, b"no such route\n")
_TOO_LARGE = HttpReply(413, b"body too large\n")
_FAILED = HttpReply(500, b"internal error\n")
_DEFAULT_TYPE = "application/octet-stream"  # what a body without Content-Type is, as aiohttp says
_NO_QUERY: Mapping[str, str] = MultiDictProxy(MultiDict())


_LISTENERS: dict[tuple[asyncio.AbstractEventLoop, str, int], PushListener] = {}


async def acquire_listener(
    host: str, port: int, *, max_body: int = 16 * 1024 * 1024, max_inflight: int = 256
) -> PushListener:
    """The listener for (host, port) in the running loop, started on first use; later calls share it.

    Every call must be matched by one ``await listener.release()``. ``max_body``/``max_inflight`` apply
    when this call starts the server. Port 0 binds an ephemeral port, shared by later port-0 calls too.
    """
    loop = asyncio.get_running_loop()
    for key in [k for k in _LISTENERS if k[0].is_closed()]:
        del _LISTENERS[key]  # left behind by a loop that ended without releasing
    key = (loop, host, port)
    listener = _LISTENERS.get(key)
    if listener is not None:
        listener._refs += 1
        try:
            await asyncio.shield(listener._ready)
        except BaseException:
            listener._refs -= 1
            raise
        return listener
    listener = PushListener(host, port, max_body, max_inflight)
    listener._refs = 1
    listener._keys.append(key)
    _LISTENERS[key] = listener
    try:
        await listener._start()
    except BaseException as exc:
        del _LISTENERS[key]
        if isinstance(exc, Exception):
            listener._ready.set_exception(exc)
            listener._ready.exception()  # mark retrieved: nobody else may be waiting
        else:
            listener._ready.cancel()
        raise
    if listener.port != port:
        alias = (loop, host, listener.port)
        listener._keys.append(alias)
        _LISTENERS[alias] = listener
    listener._ready.set_result(None)
    return listener
