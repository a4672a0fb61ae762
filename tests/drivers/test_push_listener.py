"""The shared push listener over real sockets: routing, auth schemes, caps, overload, failures, refcounts."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import logging
import os
import re
import socket
from collections.abc import Awaitable
from typing import Any

import aiohttp
import pytest
from aiohttp.base_protocol import BaseProtocol
from aiohttp.streams import StreamReader
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.gates.push import listener as listener_mod
from drivers.gates.push.auth import DigestAuthority, parse_digest_params
from drivers.gates.push.listener import PushAuth, PushReply, PushRequest, acquire_listener
from drivers.gates.push.multipart import MAX_PARTS, MultipartError, PushPart, parse_multipart, split_multipart

HOST = "127.0.0.1"


def run(coro: Awaitable[Any]) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 60))  # type: ignore[arg-type]


class Recorder:
    """A handler that remembers every request it completed."""

    def __init__(self, reply: bytes = b"OK", delay: float = 0.0) -> None:
        self.seen: list[PushRequest] = []
        self.reply = reply
        self.delay = delay

    async def __call__(self, request: PushRequest) -> PushReply:
        if self.delay:
            await asyncio.sleep(self.delay)
        self.seen.append(request)
        return PushReply(body=self.reply)


def url(port: int, path: str) -> str:
    return f"http://{HOST}:{port}{path}"


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def digest_header(challenge: str, method: str, uri: str, user: str, password: str, *, nc: str = "00000001",
                  cnonce: str = "0a4f113b") -> str:
    """A client-side RFC 7616 MD5/qop=auth Authorization header, written from the RFC, not from our code."""
    p = parse_digest_params(challenge[len("Digest "):])
    ha1 = hashlib.md5(f"{user}:{p['realm']}:{password}".encode()).hexdigest()
    ha2 = hashlib.md5(f"{method}:{uri}".encode()).hexdigest()
    response = hashlib.md5(f"{ha1}:{p['nonce']}:{nc}:{cnonce}:auth:{ha2}".encode()).hexdigest()
    return (f'Digest username="{user}", realm="{p["realm"]}", nonce="{p["nonce"]}", uri="{uri}", '
            f'algorithm=MD5, qop=auth, nc={nc}, cnonce="{cnonce}", response="{response}", '
            f'opaque="{p["opaque"]}"')


# -- routing ---------------------------------------------------------------------------------------------


def test_routes_by_longest_prefix_and_query_key_and_404(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        lis = await acquire_listener(HOST, 0)
        a, b, catch, deep = Recorder(b"A"), Recorder(b"B"), Recorder(b"C"), Recorder(b"D")
        lis.register("/iclock/", a, query_key=("SN", "AAA111"))
        lis.register("/iclock/", b, query_key=("SN", "BBB222"))
        lis.register("/push/", catch)
        lis.register("/push/gate-east/", deep)
        try:
            async with aiohttp.ClientSession() as http:
                async def get(path: str) -> tuple[int, bytes]:
                    async with http.get(url(lis.port, path)) as r:
                        return r.status, await r.read()

                assert await get("/iclock/cdata?SN=AAA111&options=all") == (200, b"A")
                assert await get("/iclock/getrequest?SN=BBB222") == (200, b"B")
                assert await get("/push/gate-east/event") == (200, b"D")
                assert await get("/push/gate-west/event") == (200, b"C")
                assert (await get("/iclock/cdata?SN=CCC333"))[0] == 404
                assert (await get("/nothing"))[0] == 404
                assert (await get("/nothing"))[0] == 404
            assert [r.query["SN"] for r in a.seen] == ["AAA111"]
            assert a.seen[0].path == "/iclock/cdata" and a.seen[0].query["options"] == "all"
            assert a.seen[0].method == "GET" and a.seen[0].body == b"" and a.seen[0].peer == HOST
            assert len(b.seen) == len(catch.seen) == len(deep.seen) == 1
        finally:
            await lis.release()

    with caplog.at_level(logging.WARNING, logger=listener_mod.__name__):
        run(scenario())
    no_route = [r for r in caplog.records if "no route" in r.getMessage()]
    # logged once per path, with the peer
    assert len([r for r in no_route if "/nothing" in r.getMessage()]) == 1
    assert all(HOST in r.getMessage() for r in no_route)


def test_registration_close_and_duplicate() -> None:
    async def scenario() -> None:
        lis = await acquire_listener(HOST, 0)
        try:
            reg = lis.register("/x/", Recorder())
            with pytest.raises(ValueError):
                lis.register("/x/", Recorder())
            async with aiohttp.ClientSession() as http:
                async with http.post(url(lis.port, "/x/y"), data=b"1") as r:
                    assert r.status == 200
                reg.close()
                reg.close()
                async with http.post(url(lis.port, "/x/y"), data=b"1") as r:
                    assert r.status == 404
            lis.register("/x/", Recorder())  # the prefix is free again
        finally:
            await lis.release()

    run(scenario())


def test_refcounted_start_and_stop() -> None:
    async def scenario() -> None:
        first, second = await asyncio.gather(acquire_listener(HOST, 0), acquire_listener(HOST, 0))
        assert first is second
        port = first.port
        same = await acquire_listener(HOST, port)  # the bound port reaches the same server
        assert same is first
        first.register("/r/", Recorder())
        async with aiohttp.ClientSession() as http:
            await first.release()
            await same.release()
            async with http.get(url(port, "/r/")) as r:  # one reference left: still serving
                assert r.status == 200
            await second.release()
            with pytest.raises(aiohttp.ClientConnectionError):
                async with http.get(url(port, "/r/")) as r:
                    pass
        again = await acquire_listener(HOST, 0)  # a fresh server after the last release
        assert again is not first
        await again.release()

    run(scenario())


def test_port_in_use_is_reported_and_not_cached() -> None:
    blocker = socket.socket()
    blocker.bind((HOST, 0))
    blocker.listen()
    port = blocker.getsockname()[1]

    async def scenario() -> None:
        with pytest.raises(OSError):
            await acquire_listener(HOST, port)
        assert not any(k[2] == port for k in listener_mod._LISTENERS)
        blocker.close()
        lis = await acquire_listener(HOST, port)  # a failed start is not remembered
        assert lis.port == port
        await lis.release()

    try:
        run(scenario())
    finally:
        blocker.close()


# -- authentication --------------------------------------------------------------------------------------


def test_basic_auth() -> None:
    async def scenario() -> None:
        lis = await acquire_listener(HOST, 0)
        rec = Recorder()
        lis.register("/b/", rec, PushAuth("basic", "admin", "s3cret"))
        try:
            async with aiohttp.ClientSession() as http:
                async with http.post(url(lis.port, "/b/e"), data=b"x") as r:
                    assert r.status == 401
                    assert r.headers["WWW-Authenticate"].startswith('Basic realm="')
                async with http.post(url(lis.port, "/b/e"), data=b"x", headers=basic("admin", "wrong")) as r:
                    assert r.status == 401
                async with http.post(url(lis.port, "/b/e"), data=b"x",
                                     headers={"Authorization": "Basic !!notbase64"}) as r:
                    assert r.status == 401
                async with http.post(url(lis.port, "/b/e"), data=b"x", headers=basic("admin", "s3cret")) as r:
                    assert r.status == 200
            assert len(rec.seen) == 1
        finally:
            await lis.release()

    run(scenario())


def test_digest_auth_good_wrong_and_stale(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1_000_000.0]

    async def scenario() -> None:
        lis = await acquire_listener(HOST, 0)
        rec = Recorder()
        reg = lis.register("/d/", rec, PushAuth("digest", "admin", "pa55"))
        assert reg.digest is not None
        reg.digest.clock = lambda: clock[0]
        uri = "/d/event?x=1"
        try:
            async with aiohttp.ClientSession() as http:
                async with http.post(url(lis.port, uri), data=b"x") as r:
                    assert r.status == 401
                    challenge = r.headers["WWW-Authenticate"]
                assert challenge.startswith("Digest ") and 'qop="auth"' in challenge
                assert "stale" not in challenge
                wrong = digest_header(challenge, "POST", uri, "admin", "nope")
                async with http.post(url(lis.port, uri), data=b"x", headers={"Authorization": wrong}) as r:
                    assert r.status == 401
                    assert "stale=true" not in r.headers["WWW-Authenticate"]
                other = {"Authorization": digest_header(challenge, "POST", "/d/other", "admin", "pa55")}
                async with http.post(url(lis.port, uri), data=b"x", headers=other) as r:
                    assert r.status == 401
                good = digest_header(challenge, "POST", uri, "admin", "pa55")
                async with http.post(url(lis.port, uri), data=b"x", headers={"Authorization": good}) as r:
                    assert r.status == 200
                # a forged nonce with a right response for it is still refused
                forged_nonce = base64.b64encode(f"{clock[0]:.3f}:{'0' * 32}".encode()).decode()
                forged = digest_header(challenge.replace(parse_digest_params(challenge[7:])["nonce"],
                                                         forged_nonce), "POST", uri, "admin", "pa55")
                async with http.post(url(lis.port, uri), data=b"x", headers={"Authorization": forged}) as r:
                    assert r.status == 401
                clock[0] += 301  # the nonce expires
                again = digest_header(challenge, "POST", uri, "admin", "pa55", nc="00000002")
                async with http.post(url(lis.port, uri), data=b"x", headers={"Authorization": again}) as r:
                    assert r.status == 401
                    fresh = r.headers["WWW-Authenticate"]
                assert "stale=true" in fresh
                renewed = digest_header(fresh, "POST", uri, "admin", "pa55")
                async with http.post(url(lis.port, uri), data=b"x", headers={"Authorization": renewed}) as r:
                    assert r.status == 200
            assert len(rec.seen) == 2
        finally:
            await lis.release()

    run(scenario())


def test_digest_accepted_from_aiohttp_client_digest_middleware() -> None:
    """An independent RFC 7616 client (aiohttp's DigestAuthMiddleware) authenticates against us."""
    middleware = getattr(aiohttp, "DigestAuthMiddleware", None)
    if middleware is None:  # pragma: no cover - aiohttp < 3.12
        pytest.skip("aiohttp without DigestAuthMiddleware")

    async def scenario() -> None:
        lis = await acquire_listener(HOST, 0)
        rec = Recorder()
        lis.register("/d/", rec, PushAuth("digest", "admin", "pa55"))
        try:
            async with aiohttp.ClientSession(middlewares=(middleware("admin", "pa55"),)) as http:
                for i in range(3):
                    async with http.post(url(lis.port, f"/d/e?i={i}"), data=b"x") as r:
                        assert r.status == 200
            async with (aiohttp.ClientSession(middlewares=(middleware("admin", "bad"),)) as http,
                        http.post(url(lis.port, "/d/e"), data=b"x") as r):
                assert r.status == 401
            assert len(rec.seen) == 3
        finally:
            await lis.release()

    run(scenario())


def test_hmac_auth() -> None:
    async def scenario() -> None:
        lis = await acquire_listener(HOST, 0)
        rec = Recorder()
        lis.register("/h/", rec, PushAuth("hmac", secret="k3y"))
        body = b'{"event":"pass"}'
        sig = hmac.new(b"k3y", body, hashlib.sha256).hexdigest()
        try:
            async with aiohttp.ClientSession() as http:
                async with http.post(url(lis.port, "/h/cb"), data=body) as r:
                    assert r.status == 401
                async with http.post(url(lis.port, "/h/cb"), data=body + b" ",
                                     headers={"X-Signature": sig}) as r:
                    assert r.status == 401
                async with http.post(url(lis.port, "/h/cb"), data=body,
                                     headers={"X-Signature": sig.upper()}) as r:
                    assert r.status == 200
            assert [r.body for r in rec.seen] == [body]
        finally:
            await lis.release()

    run(scenario())


# -- bodies ----------------------------------------------------------------------------------------------


def test_body_cap_413_and_connection_survives(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        lis = await acquire_listener(HOST, 0)
        rec = Recorder()
        lis.register("/c/", rec, max_body=1000)
        try:
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) as http:
                async with http.post(url(lis.port, "/c/"), data=b"a" * 1000) as r:
                    assert r.status == 200
                async with http.post(url(lis.port, "/c/"), data=b"a" * 5000) as r:
                    assert r.status == 413

                async def chunked() -> Any:  # no Content-Length: the cap applies while reading
                    for _ in range(10):
                        yield b"b" * 300

                async with http.post(url(lis.port, "/c/"), data=chunked()) as r:
                    assert r.status == 413
                async with http.post(url(lis.port, "/c/"), data=b"ok") as r:
                    assert r.status == 200
            assert [len(r.body) for r in rec.seen] == [1000, 2]
        finally:
            await lis.release()

    with caplog.at_level(logging.WARNING, logger=listener_mod.__name__):
        run(scenario())
    assert len([r for r in caplog.records if "cap" in r.getMessage()]) == 2


def test_multipart_parts_are_split(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        lis = await acquire_listener(HOST, 0)
        rec = Recorder()
        lis.register("/m/", rec)
        jpeg = b"\xff\xd8\xff\xe0" + os.urandom(20_000) + b"\xff\xd9"
        try:
            async with aiohttp.ClientSession() as http:
                form = aiohttp.FormData()
                form.add_field("event_log", '{"a": 1}', content_type="application/json")
                form.add_field("Picture", jpeg, filename="face.jpg", content_type="image/jpeg")
                async with http.post(url(lis.port, "/m/ev"), data=form) as r:
                    assert r.status == 200
                with aiohttp.MultipartWriter("mixed") as mixed:
                    mixed.append("<xml/>", {"Content-Type": "application/xml"})
                async with http.post(url(lis.port, "/m/ev"), data=mixed) as r:
                    assert r.status == 200
                broken = b"--zz\r\nContent-Type: text/plain\r\n\r\nno end"
                async with http.post(url(lis.port, "/m/ev"), data=broken,
                                     headers={"Content-Type": "multipart/form-data; boundary=other"}) as r:
                    assert r.status == 200
            first, second, third = rec.seen
            assert first.content_type == "multipart/form-data"
            assert [(p.name, p.filename, p.content_type) for p in first.parts] == [
                ("event_log", None, "application/json"), ("Picture", "face.jpg", "image/jpeg")]
            assert first.parts[0].data == b'{"a": 1}' and first.parts[1].data == jpeg
            assert second.content_type == "multipart/mixed" and second.parts[0].data == b"<xml/>"
            assert third.parts == () and third.body == broken  # unparseable: raw body still delivered
        finally:
            await lis.release()

    with caplog.at_level(logging.WARNING, logger=listener_mod.__name__):
        run(scenario())
    (warning,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "starting boundary" in warning.getMessage() and repr(b"--zz\r\nContent-Type")[:-1] in \
        warning.getMessage()


@settings(max_examples=150, deadline=None)
@given(body=st.binary(max_size=400), boundary=st.text("abcXYZ019-", min_size=1, max_size=12),
       cut=st.integers(0, 400))
def test_split_multipart_never_raises_anything_else(body: bytes, boundary: str, cut: int) -> None:
    framed = f"--{boundary}\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n".encode() + body
    framed += f"\r\n--{boundary}--\r\n".encode()
    for data in (body, framed, framed[:cut]):
        async def go(data: bytes = data) -> None:
            with contextlib.suppress(MultipartError):
                await split_multipart(f"multipart/form-data; boundary={boundary}", data, max_part=300)

        asyncio.run(go())


async def aiohttp_parts(content_type: str, body: bytes) -> list[tuple[str | None, str | None, str, bytes]]:
    """The same body through aiohttp's own MultipartReader: the reference our bytes splitter must match."""
    loop = asyncio.get_running_loop()
    stream = StreamReader(BaseProtocol(loop), max(len(body), 2**16), loop=loop)
    stream.feed_data(body)
    stream.feed_eof()
    reader = aiohttp.MultipartReader({"Content-Type": content_type}, stream)
    out = []
    while (item := await reader.next()) is not None:
        assert isinstance(item, aiohttp.BodyPartReader)
        data = bytearray()
        while chunk := await item.read_chunk():
            data += chunk
        ctype = item.headers.get("Content-Type", "application/octet-stream").split(";", 1)[0].strip().lower()
        out.append((item.name, item.filename, ctype, bytes(data)))
    return out


_LABEL = st.text(st.sampled_from("abcXYZ019_.- 门禁图片"), min_size=1, max_size=12).map(str.strip).filter(len)
_PART = st.fixed_dictionaries({
    "name": _LABEL,
    "filename": st.none() | _LABEL,
    "ctype": st.sampled_from(["application/json", "image/jpeg", "Application/XML; charset=UTF-8", None]),
    "data": st.binary(max_size=300) | st.sampled_from([b"", b"\r\n", b"--", b"\r\n--x", b"{\"a\": 1}\r\n"]),
    "length": st.booleans(),
})


def build_multipart(boundary: str, parts: list[dict[str, Any]], preamble: bytes, epilogue: bytes) -> bytes:
    out = [preamble + b"\r\n" if preamble else b""]
    for part in parts:
        head = f'Content-Disposition: form-data; name="{part["name"]}"'
        if part["filename"] is not None:
            head += f'; filename="{part["filename"]}"'
        if part["ctype"] is not None:
            head += f"\r\nContent-Type: {part['ctype']}"
        if part["length"]:
            head += f"\r\nContent-Length: {len(part['data'])}"
        out.append(f"--{boundary}\r\n{head}\r\n\r\n".encode() + part["data"] + b"\r\n")
    out.append(f"--{boundary}--\r\n".encode() + epilogue)
    return b"".join(out)


@settings(max_examples=200, deadline=None)
@given(boundary=st.text("abcXYZ019-'()+_,./:=?", min_size=1, max_size=40).filter(lambda b: b[-1] != " "),
       parts=st.lists(_PART, max_size=5), preamble=st.sampled_from([b"", b"This is a preamble", b"x\r\ny"]),
       epilogue=st.sampled_from([b"", b"epilogue\r\n", b"\r\n"]), quoted=st.booleans())
def test_split_multipart_matches_aiohttp_reader(boundary: str, parts: list[dict[str, Any]], preamble: bytes,
                                                 epilogue: bytes, quoted: bool) -> None:
    data = [p["data"] for p in parts]
    # A part that holds its own delimiter cannot be framed without Content-Length; such parts declare it.
    for part in parts:
        part["length"] = part["length"] or f"\r\n--{boundary}".encode() in part["data"] + b"\r\n"
    body = build_multipart(boundary, parts, preamble, epilogue)
    content_type = f'multipart/form-data; boundary="{boundary}"' if quoted else \
        f"multipart/form-data; boundary={boundary}"
    if not quoted and any(c in boundary for c in "'()+,/:=?"):
        content_type = f'multipart/form-data; boundary="{boundary}"'
    ours = parse_multipart(content_type, body, max_part=1000)
    theirs = asyncio.run(aiohttp_parts(content_type, body))
    assert [(p.name, p.filename, p.content_type, p.data) for p in ours] == theirs
    assert [p.data for p in ours] == data


@settings(max_examples=25, deadline=None)
@given(parts=st.lists(_PART, min_size=1, max_size=3), chunk=st.integers(1, 97))
def test_multipart_over_the_socket_in_random_chunks_matches_aiohttp(parts: list[dict[str, Any]],
                                                                    chunk: int) -> None:
    """A chunked upload split at random points reaches the handler as the same parts aiohttp reads."""
    boundary = "hik7b1c"
    for part in parts:
        part["length"] = part["length"] or f"\r\n--{boundary}".encode() in part["data"] + b"\r\n"
    body = build_multipart(boundary, parts, b"", b"")
    content_type = f"multipart/form-data; boundary={boundary}"

    async def scenario() -> list[tuple[str | None, str | None, str, bytes]]:
        lis = await acquire_listener(HOST, 0)
        rec = Recorder()
        lis.register("/mp/", rec)
        try:
            async def pieces() -> Any:
                for i in range(0, len(body), chunk):
                    yield body[i:i + chunk]

            async with (aiohttp.ClientSession() as http,
                        http.post(url(lis.port, "/mp/ev"), data=pieces(),
                                  headers={"Content-Type": content_type}) as r):
                assert r.status == 200
        finally:
            await lis.release()
        (seen,) = rec.seen
        assert seen.body == body
        return [(p.name, p.filename, p.content_type, p.data) for p in seen.parts]

    assert run(scenario()) == asyncio.run(aiohttp_parts(content_type, body))


@settings(max_examples=200, deadline=None)
@given(parts=st.lists(_PART, min_size=1, max_size=3), edits=st.lists(
    st.tuples(st.integers(0, 2000), st.integers(0, 8), st.binary(max_size=6)), min_size=1, max_size=4))
def test_split_multipart_garbled_bodies_give_parts_or_multipart_error(
        parts: list[dict[str, Any]], edits: list[tuple[int, int, bytes]]) -> None:
    body = build_multipart("b0und", parts, b"", b"")
    for at, cut, insert in edits:  # random damage: bytes dropped and inserted anywhere
        at %= len(body) + 1
        body = body[:at] + insert + body[at + cut:]
    try:
        got = parse_multipart("multipart/mixed; boundary=b0und", body, max_part=250)
    except MultipartError:
        return
    assert all(isinstance(p, PushPart) and len(p.data) <= 250 for p in got)
    assert b"".join(p.data for p in got) in body or len(got) > 1


def test_split_multipart_caps_and_refusals() -> None:
    ok = build_multipart("b", [{"name": "a", "filename": None, "ctype": None, "data": b"x" * 10,
                                "length": False}], b"", b"")
    assert parse_multipart("multipart/form-data; boundary=b", ok, max_part=10)[0].data == b"x" * 10
    with pytest.raises(MultipartError, match="larger"):
        parse_multipart("multipart/form-data; boundary=b", ok, max_part=9)
    with pytest.raises(MultipartError, match="boundary"):
        parse_multipart("multipart/form-data", ok, max_part=100)
    many = build_multipart("b", [{"name": str(i), "filename": None, "ctype": None, "data": b"",
                                  "length": False} for i in range(MAX_PARTS + 1)], b"", b"")
    with pytest.raises(MultipartError, match="parts"):
        parse_multipart("multipart/form-data; boundary=b", many, max_part=100)
    nested = b"--b\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n--c--\r\n\r\n--b--\r\n"
    with pytest.raises(MultipartError, match="nested"):
        parse_multipart("multipart/form-data; boundary=b", nested, max_part=100)
    for broken in (b"--b\r\nContent-Length: 5\r\n\r\nab\r\n--b--\r\n",  # shorter than it says
                   b"--b\r\n\r\nno closing boundary",
                   b"--b\r\n\r\nx\r\n--bogus\r\n",
                   b"--b\r\nno colon here\r\n\r\nx\r\n--b--\r\n"):
        with pytest.raises(MultipartError):
            parse_multipart("multipart/form-data; boundary=b", broken, max_part=100)
    ext = (b"--b\r\nContent-Disposition: form-data; name=\"p\"; filename=\"x.jpg\"; "
           b"filename*=UTF-8''%E9%97%A8.jpg\r\n\r\nz\r\n--b--")
    assert parse_multipart("multipart/form-data; boundary=b", ext, max_part=100)[0].filename == "门.jpg"
    odd_length = b"--b\r\nContent-Length: \xc2\xb2\r\n\r\nab\r\n--b--\r\n"  # a superscript two isdigit()
    with pytest.raises(MultipartError, match="Content-Length"):
        parse_multipart("multipart/form-data; boundary=b", odd_length, max_part=100)


# -- failures and load -----------------------------------------------------------------------------------


@pytest.mark.allow_error_logs
def test_handler_exception_is_500_and_next_request_fine(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[bytes] = []

    async def flaky(request: PushRequest) -> PushReply:
        calls.append(request.body)
        if request.body == b"boom":
            raise RuntimeError("handler bug")
        return PushReply(body=b"fine", content_type="text/plain; charset=utf-8")

    async def scenario() -> None:
        lis = await acquire_listener(HOST, 0)
        lis.register("/f/", flaky)
        try:
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) as http:
                async with http.post(url(lis.port, "/f/"), data=b"boom") as r:
                    assert r.status == 500
                async with http.post(url(lis.port, "/f/"), data=b"next") as r:
                    assert r.status == 200 and await r.read() == b"fine"
                    assert r.headers["Content-Type"] == "text/plain; charset=utf-8"
        finally:
            await lis.release()

    run(scenario())
    assert calls == [b"boom", b"next"]
    failed = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert failed and "b'boom'" in failed[0].getMessage()


def test_burst_of_2000_posts_no_loss_with_503_backpressure() -> None:
    completed: set[int] = set()

    async def handler(request: PushRequest) -> PushReply:
        await asyncio.sleep(0.002)  # stands in for the store commit
        n = int(request.body)
        completed.add(n)
        return PushReply(body=b"ack %d" % n)

    async def scenario() -> tuple[set[int], int]:
        lis = await acquire_listener(HOST, 0, max_inflight=16)
        lis.register("/burst/", handler)
        acked: set[int] = set()
        busy = 0
        try:
            connector = aiohttp.TCPConnector(limit=64)
            async with aiohttp.ClientSession(connector=connector) as http:
                async def device(n: int) -> None:
                    nonlocal busy
                    while True:
                        async with http.post(url(lis.port, "/burst/e"), data=str(n).encode()) as r:
                            body = await r.read()
                            if r.status == 503:
                                assert r.headers["Retry-After"] == "1"
                                busy += 1
                                await asyncio.sleep(0.01)  # a real device waits Retry-After seconds
                                continue
                            assert r.status == 200 and body == b"ack %d" % n
                            assert n in completed  # a 200 only after the handler finished
                            acked.add(n)
                            return

                await asyncio.gather(*(device(n) for n in range(2000)))
        finally:
            await lis.release()
        return acked, busy

    acked, busy = run(scenario())
    assert acked == completed == set(range(2000))
    assert busy > 0  # the inflight cap was exercised


@settings(max_examples=500, deadline=None)
@given(header=st.text(st.sampled_from('ab=", \t\\-_xyZ1'), max_size=60) | st.builds(
    lambda v: f'username="{v}", uri="/p?a=1,2", nc=00000001, qop=auth', st.text("ab,= \\\"", max_size=8)))
def test_parse_digest_params_fast_path_agrees_with_the_regex(header: str) -> None:
    pattern = r'\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?'  # as auth.py had it
    reference = {key.lower(): re.sub(r"\\(.)", r"\1", quoted) if quoted else bare
                 for key, quoted, bare in re.findall(pattern, header)}
    assert parse_digest_params(header) == reference


def test_digest_authority_rejects_garbage_headers() -> None:
    auth = DigestAuthority("r")
    for header in (None, "", "Digest", "Digest garbage", 'Digest username="a"', "Basic abc",
                   'Digest username="u", realm="r", nonce="!!", uri="/", response="x", qop=auth, nc=1, '
                   'cnonce=2',
                   'Digest username="u", realm="r", nonce="n", uri="/", response="x", algorithm=SHA-512'):
        verdict = auth.check(header, "GET", "/", "u", "p")
        assert not verdict.ok and verdict.challenge and verdict.challenge.startswith("Digest ")
