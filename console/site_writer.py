"""Appends a camera to the site file as a new ``[[cameras]]`` table, keeping the file's text and comments."""

from __future__ import annotations

import contextlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from console.config import ConfigError, ConfigIssue, Site, parse_site

_BOM = "\ufeff"


@dataclass(frozen=True, slots=True)
class NewCamera:
    """What the add-camera wizard collected. URLs must carry no password (``strip_userinfo`` first)."""

    id: str
    name: str
    campus: str
    host: str
    port: int = 80
    location: str = ""
    credential: str | None = None
    ptz: bool = False
    main_url: str | None = None
    sub_url: str | None = None
    # The site schema has no snapshot field yet: written as a comment so the administrator still has it.
    snapshot_url: str | None = None


def toml_string(value: str) -> str:
    """A TOML basic string: quotes, backslashes and every control character (incl. DEL) escaped."""
    out = ['"']
    for ch in value:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def strip_userinfo(url: str | None) -> str | None:
    """The URL without ``user:password@``: cameras often embed them in the stream URIs they report."""
    if not url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return url  # the site parser reports it with its own message
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def camera_table(camera: NewCamera) -> str:
    """The TOML text of one ``[[cameras]]`` entry with its ``[cameras.onvif]`` table."""
    lines = ["[[cameras]]"]
    lines.append(f"id = {toml_string(camera.id)}")
    lines.append(f"name = {toml_string(camera.name)}")
    lines.append(f"campus = {toml_string(camera.campus)}")
    if camera.location:
        lines.append(f"location = {toml_string(camera.location)}")
    if camera.main_url:
        lines.append(f"main_url = {toml_string(camera.main_url)}")
    if camera.sub_url:
        lines.append(f"sub_url = {toml_string(camera.sub_url)}")
    if camera.credential:
        lines.append(f"credential = {toml_string(camera.credential)}")
    lines.append(f"ptz = {'true' if camera.ptz else 'false'}")
    if camera.snapshot_url:
        # A comment cannot hold a line break; a URL never should.
        lines.append(f"# snapshot_url = {toml_string(camera.snapshot_url)}")
    lines.append("")
    lines.append("[cameras.onvif]")
    lines.append(f"host = {toml_string(camera.host)}")
    lines.append(f"port = {int(camera.port)}")
    return "\n".join(lines) + "\n"


def with_camera(text: str, camera: NewCamera, filename: str = "<site>") -> tuple[str, Site]:
    """The site text with ``camera`` appended and the site it parses to; ConfigError if it does not parse."""
    if camera.id in {d.id for d in parse_site(text, filename).all_devices()}:
        issue = ConfigIssue(filename, None, "cameras.id", f"the id {camera.id!r} is already used")
        raise ConfigError([issue])
    body = text if not text or text.endswith("\n") else text + "\n"
    new_text = f"{body}\n# Added by the ONVIF add-camera wizard.\n{camera_table(camera)}"
    return new_text, parse_site(new_text, filename)


def append_camera(path: Path, camera: NewCamera) -> Site:
    """Append ``camera`` to the site file at ``path`` after re-validating the whole result; atomic write."""
    raw = Path(path).read_bytes()
    text = raw.decode("utf-8-sig")
    bom = raw.startswith(_BOM.encode("utf-8"))
    new_text, site = with_camera(text, camera, str(path))
    _write_atomic(Path(path), ((_BOM if bom else "") + new_text).encode("utf-8"))
    return site


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "xb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(OSError):
            os.chmod(tmp, path.stat().st_mode & 0o777)  # the site file keeps its permissions
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
