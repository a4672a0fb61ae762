"""Camera URL → what FFmpeg opens: credentials filled in, relative files resolved, options set, redaction."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlsplit, urlunsplit

# (username, secret) for a camera's credential name, or None when no such credential is stored.
Credential = tuple[str, str]

TRANSPORTS = ("tcp", "udp")
# Query parameters some cameras take secrets in (e.g. ...?user=admin&password=...): masked in logs too.
_SECRET_PARAMS = re.compile(r"(?i)^(pass(word)?|pwd|token|secret|key|auth|signature|sig)$")
_USERINFO = re.compile(r"(?<=://)([^/@\s]*)@")


def redact(text: str) -> str:
    """Mask passwords in every URL inside ``text`` (FFmpeg's error messages quote the URL they opened)."""

    def userinfo(match: re.Match[str]) -> str:
        user = match.group(1).split(":", 1)[0]
        return f"{user}:***@" if ":" in match.group(1) else match.group(0)

    text = _USERINFO.sub(userinfo, text)
    return re.sub(
        r"([?&])([^=&\s#]+)=([^&\s#']*)",
        lambda m: f"{m.group(1)}{m.group(2)}=***" if _SECRET_PARAMS.match(m.group(2)) else m.group(0),
        text,
    )


@dataclass(frozen=True, slots=True)
class StreamSource:
    """One openable stream. ``url`` may carry a password: log ``display`` instead, always."""

    url: str = field(repr=False)
    display: str
    kind: str  # "rtsp", "http" or "file"
    options: dict[str, str]
    realtime_file: bool  # a local file: paced at its own frame rate and looped (the demo's cameras)

    def __str__(self) -> str:
        return self.display


def _fragment_options(fragment: str) -> dict[str, str]:
    # Options after '#' are ours (FFmpeg never sees the fragment), e.g. rtsp://cam/stream#transport=udp.
    return {k.lower(): v for k, v in parse_qsl(fragment, keep_blank_values=True)}


def resolve(
    url: str,
    *,
    base_dir: Path | None = None,
    credential: Credential | None = None,
    rtsp_transport: str = "tcp",
    io_timeout_s: float = 5.0,
) -> StreamSource:
    """Build the source for ``url``. Relative ``file:`` paths are taken from ``base_dir`` (the site file's
    folder); the credential's password (and user name, unless the URL names one) goes into the URL."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    ours = _fragment_options(parts.fragment)
    if scheme == "file":
        path = Path(unquote(parts.path))
        if parts.netloc and parts.netloc not in ("", "localhost"):
            # file://clips/a.mp4 or file://./clips/a.mp4: read loosely as a relative path, not a host
            path = Path(parts.netloc) / unquote(parts.path).lstrip("/")
        if not path.is_absolute():
            path = (base_dir or Path.cwd()) / path
        return StreamSource(str(path), f"file:{path}", "file", {}, realtime_file=True)
    if scheme not in ("rtsp", "rtsps", "http", "https"):
        raise ValueError(f"unsupported URL scheme {scheme!r}")
    netloc = parts.netloc.rsplit("@", 1)[-1]
    user = unquote(parts.username) if parts.username else None
    if credential is not None:
        cred_user, secret = credential
        user = user or cred_user
        netloc = f"{quote(user or '', safe='')}:{quote(secret, safe='')}@{netloc}"
    elif user:
        netloc = f"{quote(user, safe='')}@{netloc}"
    full = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    # FFmpeg's own socket timeouts are only a backstop, a second behind the worker's: PyAV's interrupt
    # then fires first and says "timeout" (ExitError), where the RTSP demuxer would report "invalid data".
    micros = str(int((io_timeout_s + 1) * 1_000_000))
    options: dict[str, str]
    if scheme.startswith("rtsp"):
        transport = ours.get("transport", rtsp_transport).lower()
        if transport not in TRANSPORTS:
            raise ValueError(f"unknown RTSP transport {transport!r} (expected tcp or udp)")
        # 'timeout' is the RTSP socket I/O timeout (µs). nobuffer and a short analysis keep the picture
        # close to real time; the first frame still waits for the camera's next key frame.
        options = {"rtsp_transport": transport, "timeout": micros, "fflags": "nobuffer",
                   "analyzeduration": "300000"}
        if transport == "udp":
            options["buffer_size"] = "1048576"  # 1080p key frames overflow the default socket buffer
        kind = "rtsp"
    else:
        options = {"rw_timeout": micros, "fflags": "nobuffer", "analyzeduration": "300000"}
        kind = "http"
    return StreamSource(full, redact(full), kind, options, realtime_file=False)
