"""OnvifError and the mapping of zeep, aiohttp and httpx exceptions to its six kinds."""

from __future__ import annotations

import asyncio
from typing import Literal

import aiohttp
import httpx
import zeep.exceptions
from lxml import etree
from onvif.exceptions import ONVIFAuthError, ONVIFError, ONVIFTimeoutError

Kind = Literal["auth", "fault", "malformed", "timeout", "unreachable", "unsupported"]
KINDS: tuple[Kind, ...] = ("auth", "fault", "malformed", "timeout", "unreachable", "unsupported")

# Words a camera uses in a SOAP fault when the WS-UsernameToken (or its clock) is refused.
_AUTH_WORDS = ("notauthorized", "not authorized", "unauthorized", "authentication", "failedauthentication",
               "invalidsecurity", "sender not authorized", "password")
_DETAIL_MAX = 160
_RAW_MAX = 200


class OnvifError(Exception):
    """A failed ONVIF operation; ``kind`` says what went wrong, str() is one clear line naming it."""

    def __init__(self, kind: Kind, operation: str, where: str, detail: str = "", raw: bytes = b"") -> None:
        self.kind: Kind = kind
        self.operation = operation
        self.where = where
        self.detail = detail
        self.raw = raw  # the reply's bytes when we have them (for the log), truncated
        super().__init__(_message(kind, operation, where, detail))


_PHRASES: dict[str, str] = {
    "auth": "authentication failed at {where}",
    "fault": "SOAP fault from {where}",
    "malformed": "malformed reply from {where}",
    "timeout": "no answer from {where} in time",
    "unreachable": "cannot reach {where}",
    "unsupported": "not supported by {where}",
}


def _message(kind: str, operation: str, where: str, detail: str) -> str:
    text = f"{operation}: {_PHRASES[kind].format(where=where)}"
    return f"{text} ({detail})" if detail else text


def _short(text: object) -> str:
    one_line = " ".join(str(text).split())
    return one_line if len(one_line) <= _DETAIL_MAX else one_line[: _DETAIL_MAX - 1] + "…"


def _fault_words(fault: zeep.exceptions.Fault) -> str:
    parts = [str(fault.message or ""), str(fault.code or "")]
    parts += [str(code) for code in fault.subcodes or ()]
    return " ".join(parts).lower()


def _cause_chain(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 8:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def classify(exc: BaseException) -> tuple[Kind, str]:
    """The kind of a library exception and a short detail; pure (no I/O), so it is unit-tested directly."""
    for item in _cause_chain(exc):
        kind = _classify_one(item)
        if kind is not None:
            return kind
    return "fault", _short(f"{type(exc).__name__}: {exc}")


def _classify_one(exc: BaseException) -> tuple[Kind, str] | None:  # noqa: PLR0911 - one branch per family
    if isinstance(exc, OnvifError):
        return exc.kind, exc.detail
    if isinstance(exc, zeep.exceptions.Fault):
        words = _fault_words(exc)
        detail = _short(exc.message or exc.code or "fault")
        if any(w in words for w in _AUTH_WORDS):
            return "auth", detail
        if "actionnotsupported" in words or "not supported" in words:
            return "unsupported", detail
        return "fault", detail
    if isinstance(exc, zeep.exceptions.TransportError):
        if exc.status_code in (401, 403):
            return "auth", f"HTTP {exc.status_code}"
        if exc.status_code not in (0, 200):  # an HTTP error page instead of a SOAP reply
            return ("unsupported" if exc.status_code == 404 else "fault"), f"HTTP status {exc.status_code}"
        if "invalid XML" in str(exc):
            return "malformed", _short(str(exc).split("\n", 1)[0])
        return "fault", _short(str(exc).split("\n", 1)[0])
    if isinstance(exc, ONVIFAuthError):
        return "auth", _short(exc)
    if isinstance(exc, ONVIFTimeoutError | asyncio.TimeoutError | TimeoutError | httpx.TimeoutException):
        return "timeout", _short(exc) or type(exc).__name__
    if isinstance(exc, aiohttp.ServerTimeoutError):
        return "timeout", _short(exc)
    if isinstance(exc, zeep.exceptions.XMLSyntaxError | zeep.exceptions.XMLParseError
                  | zeep.exceptions.UnexpectedElementError | zeep.exceptions.ValidationError
                  | etree.XMLSyntaxError | UnicodeDecodeError):
        return "malformed", _short(exc)
    if isinstance(exc, aiohttp.ClientResponseError) and exc.status in (401, 403):
        return "auth", f"HTTP {exc.status}"
    if isinstance(exc, aiohttp.ClientConnectorError | ConnectionRefusedError | httpx.ConnectError):
        return "unreachable", _short(exc)
    if isinstance(exc, aiohttp.ClientError | httpx.TransportError | ConnectionError):
        return "unreachable", _short(exc)
    if isinstance(exc, ONVIFError):
        text = str(exc)
        if "support service" in text or "No such file" in text:
            return "unsupported", _short(text.removeprefix("Unknown error: "))
        return None  # look at its cause (safe_func wraps the real error)
    if isinstance(exc, ValueError | TypeError | AttributeError | KeyError | IndexError):
        # zeep/lxml raise these while reading a reply that does not fit the schema
        # (e.g. "Invalid tag name 'ptz:PTZStatus'"); on our side they mean "the reply was not usable".
        # zeep reads leniently: a body that is not XML at all parses to None and fails on that None.
        if "'NoneType' object" in str(exc):
            return "malformed", "the reply is not a SOAP document"
        return "malformed", _short(exc)
    if isinstance(exc, OSError):
        return "unreachable", _short(exc)
    return None


def wrap(exc: BaseException, operation: str, where: str) -> OnvifError:
    """An OnvifError for ``exc`` raised by ``operation`` against ``where`` (host:port)."""
    if isinstance(exc, OnvifError):
        return exc
    kind, detail = classify(exc)
    raw = next((item.content for item in _cause_chain(exc)
                if isinstance(item, zeep.exceptions.TransportError) and isinstance(item.content, bytes)), b"")
    return OnvifError(kind, operation, where, detail, raw[:_RAW_MAX])
