"""One shared aiohttp web server per (host, port) that push-mode gate drivers register their routes on."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from aiohttp import web

from drivers.gates.push.auth import DigestAuthority, check_basic, check_hmac
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
        self._runner: web.AppRunner | None = None
        self._ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._keys: list[tuple[asyncio.AbstractEventLoop, str, int]] = []

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
        # The low-level server, not an Application: routing is ours, so the router, middlewares and
        # per-request match info would only cost time on every push.
        server = web.Server(self._dispatch, access_log=None)
        runner = web.ServerRunner(server, handle_signals=False, shutdown_timeout=5.0)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self.port, reuse_address=True)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        if runner.addresses:  # the real port when 0 was asked for
            self.port = int(runner.addresses[0][1])
        log.info("push listener on %s:%d", self.host, self.port)

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
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
            log.info("push listener on %s:%d stopped", self.host, self.port)

    # -- requests -------------------------------------------------------------------------------------

    async def _dispatch(self, request: web.BaseRequest) -> web.StreamResponse:
        peer = request.remote or "?"
        if self._inflight >= self.max_inflight:
            # Over capacity: the device keeps the record and retries, which is better than queueing it
            # in memory where a crash would lose it.
            return web.Response(status=503, text="busy\n", headers={"Retry-After": "1"})
        self._inflight += 1
        try:
            return await self._serve(request, peer)
        finally:
            self._inflight -= 1

    async def _serve(self, request: web.BaseRequest, peer: str) -> web.StreamResponse:
        path, query = request.path, request.query
        reg = self._route(path, query)
        if reg is None:
            if path not in self._seen_404 and len(self._seen_404) < _SEEN_404_LIMIT:
                self._seen_404.add(path)
                log.warning("push: no route for %s %s from %s", request.method, request.path_qs, peer)
            return web.Response(status=404, text="no such route\n")

        auth = reg.auth
        if auth.scheme == "basic":
            verdict = check_basic(request.headers.get("Authorization"), auth.username, auth.secret, REALM)
        elif auth.scheme == "digest" and reg.digest is not None:
            verdict = reg.digest.check(
                request.headers.get("Authorization"), request.method, request.raw_path, auth.username,
                auth.secret,
            )
        else:
            verdict = None
        if verdict is not None and not verdict.ok:
            return self._unauthorised(request, peer, verdict.reason, verdict.challenge)

        declared = request.content_length
        if declared is not None and declared > reg.max_body:
            return self._too_large(request, peer, declared, reg.max_body)
        if declared is not None and not request.headers.get("Transfer-Encoding"):
            # The common case: one read of a length the cap already allowed (usually all buffered).
            data = await request.content.read() if declared else b""
        else:
            body = bytearray()
            async for chunk in request.content.iter_any():
                body += chunk
                if len(body) > reg.max_body:
                    return self._too_large(request, peer, len(body), reg.max_body)
            data = bytes(body)

        if auth.scheme == "hmac":
            verdict = check_hmac(request.headers.get("X-Signature"), auth.secret, data)
            if not verdict.ok:
                return self._unauthorised(request, peer, verdict.reason, None)

        content_type = request.content_type.lower()
        parts: tuple[PushPart, ...] = ()
        if content_type.startswith("multipart/") and data:
            try:
                parts = parse_multipart(request.headers.get("Content-Type", ""), data, max_part=reg.max_body)
            except MultipartError as exc:
                # The handler still gets the raw body; some devices send near-multipart it can salvage.
                log.warning("push: %s %s from %s: %s; raw %s", request.method, path, peer, exc, clip(data))

        push = PushRequest(
            method=request.method,
            path=path,
            query=query,
            headers=request.headers,
            peer=peer,
            content_type=content_type,
            body=data,
            parts=parts,
        )
        try:
            reply = await reg.handler(push)
            if not isinstance(reply, PushReply):
                raise TypeError(f"push handler returned {type(reply).__name__}, not PushReply")
        except Exception:
            log.exception("push handler for %s %s from %s failed; raw body %s", request.method,
                          request.path_qs, peer, clip(data))
            return web.Response(status=500, text="internal error\n")
        response = web.Response(status=reply.status, body=reply.body)
        response.headers["Content-Type"] = reply.content_type
        return response

    def _unauthorised(
        self, request: web.BaseRequest, peer: str, reason: str, challenge: str | None
    ) -> web.Response:
        # A device without credentials first asks anonymously; that is the normal first step, not news.
        anonymous = "Authorization" not in request.headers and reason.startswith("no ")
        level = logging.DEBUG if anonymous else logging.WARNING
        log.log(level, "push: %s %s from %s refused: %s", request.method, request.path_qs, peer, reason)
        headers = {"WWW-Authenticate": challenge} if challenge else {}
        return web.Response(status=401, text="unauthorised\n", headers=headers)

    def _too_large(self, request: web.BaseRequest, peer: str, size: int, cap: int) -> web.Response:
        log.warning("push: %s %s from %s: body of %d bytes is over the %d-byte cap", request.method,
                    request.path_qs, peer, size, cap)
        return web.Response(status=413, text="body too large\n")


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
