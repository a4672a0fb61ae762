"""Stream states and reasons, FFmpeg errors classified into them, the reconnect backoff, worker settings."""

from __future__ import annotations

import enum
import errno
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import av
import av.error


class StreamState(enum.StrEnum):
    CONNECTING = "connecting"
    LIVE = "live"
    STALLED = "stalled"  # connected, but no frame for longer than the watchdog allows
    RECONNECTING = "reconnecting"  # lost a stream that was live a moment ago; retrying
    OFFLINE = "offline"  # cannot get a picture; still retrying, slower
    STOPPED = "stopped"


class Reason(enum.StrEnum):
    """Why a stream is not live, in the words the tile and the device tree show (translated there)."""

    AUTH_FAILED = "auth failed"
    NOT_FOUND = "not found"
    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    UNSUPPORTED = "unsupported codec"
    ENDED = "stream ended"
    STREAM_ERROR = "stream error"
    NO_SOURCE = "no stream URL"


# Failures that retrying soon will not fix (and that can lock a camera's account when repeated).
PERMANENT = frozenset({Reason.AUTH_FAILED, Reason.NOT_FOUND, Reason.UNSUPPORTED, Reason.NO_SOURCE})

_UNREACHABLE_ERRNOS = {
    errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ENETDOWN, errno.EHOSTDOWN,
    errno.ECONNRESET, errno.EADDRNOTAVAIL,
}


@dataclass(frozen=True, slots=True)
class StreamStatus:
    """What a camera's worker is doing now; ``next_try_at`` is on the time.monotonic() clock."""

    state: StreamState
    reason: Reason | None = None
    attempt: int = 0
    next_try_at: float | None = None
    detail: str = ""  # the (redacted) error text, for logs and tooltips
    stream: str = ""  # "main" or "sub"
    errors: int = 0  # decode/demux errors since the worker started
    reconnects: int = 0

    def next_try_in(self, now: float) -> float | None:
        return None if self.next_try_at is None else max(0.0, self.next_try_at - now)


class NoVideoStream(Exception):
    """The source opened but holds no video stream (or none we can decode)."""


class StreamEnded(Exception):
    """A live source closed the stream (EOF)."""


_STATUS_401 = re.compile(r"\b401\b")
_STATUS_404 = re.compile(r"\b404\b")


def classify(exc: BaseException) -> Reason:
    """Map an FFmpeg (PyAV) or OS error to the reason an officer can act on."""
    if isinstance(exc, (av.error.HTTPUnauthorizedError, av.error.HTTPForbiddenError, PermissionError)):
        return Reason.AUTH_FAILED
    if isinstance(exc, (av.error.HTTPNotFoundError, FileNotFoundError, IsADirectoryError)):
        return Reason.NOT_FOUND
    if isinstance(exc, (NoVideoStream, av.error.DecoderNotFoundError, av.error.PatchWelcomeError,
                        av.error.ProtocolNotFoundError, av.error.DemuxerNotFoundError)):
        return Reason.UNSUPPORTED
    if isinstance(exc, (av.error.ExitError, TimeoutError)):  # ExitError: PyAV's timeout interrupted FFmpeg
        return Reason.TIMEOUT
    if isinstance(exc, StreamEnded | av.error.EOFError | EOFError):
        return Reason.ENDED
    code = getattr(exc, "errno", None)
    if code == errno.ETIMEDOUT:
        return Reason.TIMEOUT
    if code in _UNREACHABLE_ERRNOS or isinstance(exc, ConnectionError):
        return Reason.UNREACHABLE
    # The message only, not the URL FFmpeg appends: a camera on port 40457 has not answered "404".
    text = str(getattr(exc, "strerror", None) or exc).lower()
    if _STATUS_401.search(text) or "unauthorized" in text:
        return Reason.AUTH_FAILED
    if _STATUS_404.search(text):
        return Reason.NOT_FOUND
    return Reason.STREAM_ERROR


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with jitter; permanent failures back off further so no camera is hammered."""

    initial_s: float = 0.5
    factor: float = 2.0
    max_s: float = 5.0  # transient failures: a camera that comes back is live again within seconds
    max_permanent_s: float = 60.0  # wrong password, wrong path: retrying often only locks the account
    jitter: float = 0.2  # ±20 %, so cameras that dropped together do not retry in lockstep

    def delay(self, attempt: int, reason: Reason | None, rng: random.Random | None = None) -> float:
        cap = self.max_permanent_s if reason in PERMANENT else self.max_s
        base = self.initial_s * (self.factor ** max(0, attempt - 1))
        if reason in PERMANENT:
            base *= 4  # start slower too: the first retry of a refused password should not be instant
        base = min(cap, base)
        spread = (rng or random).uniform(-self.jitter, self.jitter)
        return max(0.05, base * (1 + spread))


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    """Timeouts and rates of a stream worker (seconds unless named otherwise)."""

    open_timeout_s: float = 5.0
    read_timeout_s: float = 5.0  # no data for this long: the connection is given up and reopened
    stall_after_s: float = 2.0  # no frame for this long while connected: the tile says "stalled"
    offline_after_s: float = 10.0  # reconnecting for this long after the last frame: offline (an alarm)
    rtsp_transport: str = "tcp"
    analysis_size: tuple[int, int] = (320, 180)
    analysis_fps: float = 5.0  # the motion detector samples a few frames a second; 0 turns it off
    max_bad_packets: int = 100  # this many undecodable packets in a row: reconnect rather than limp on
    backoff: Backoff = field(default_factory=Backoff)


@dataclass(frozen=True, slots=True)
class StreamPacket:
    """A compressed packet as it came off the wire (for stream-copy recording), with our receive time."""

    camera_id: str
    stream: str  # "main" or "sub"
    packet: av.Packet
    received: float  # time.time()


PacketListener = Callable[[StreamPacket], None]
StatusListener = Callable[[str, StreamStatus], None]
