"""ZKTeco ADMS ("PUSH", iclock) codec: ATTLOG/OPERLOG lines, handshake options, verify codes, local time."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from drivers.base import Method

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
MIN_ATT_COLUMNS = 4  # pin, time, status, verify; workcode and reserved columns are optional
MAX_ATT_COLUMNS = 16  # newer firmware appends mask flag, temperature ...; more than this is not ATTLOG
MAX_PIN_LEN = 24
SERVER_VERSION = "2.4.1"

_TIME_RE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
_CODE_RE = re.compile(r"\d{1,3}")


class AdmsError(ValueError):
    """One ADMS line or reply that cannot be understood; ``raw`` holds its bytes for the log."""

    def __init__(self, reason: str, raw: bytes = b"") -> None:
        super().__init__(reason)
        self.reason = reason
        self.raw = raw


# The verify ("VerifyType") codes of the ZKTeco PUSH protocol. Combined modes are filed under the
# strongest factor that took part, so a face+card pass counts as a face pass.
VERIFY_METHODS: Mapping[int, Method] = {
    0: Method.PASSWORD,  # older firmware: password / any
    1: Method.FINGERPRINT,
    2: Method.OTHER,  # user id (PIN) only
    3: Method.PASSWORD,
    4: Method.CARD,
    5: Method.FINGERPRINT,  # fingerprint or password
    6: Method.FINGERPRINT,  # fingerprint or card
    7: Method.CARD,  # password or card
    8: Method.FINGERPRINT,  # pin + fingerprint
    9: Method.FINGERPRINT,  # fingerprint + password
    10: Method.FINGERPRINT,  # fingerprint + card
    11: Method.CARD,  # password + card
    12: Method.FINGERPRINT,  # fingerprint + password + card
    13: Method.FINGERPRINT,  # pin + fingerprint + password
    14: Method.FINGERPRINT,  # fingerprint + card + pin
    15: Method.FACE,
    16: Method.FACE,  # face + fingerprint
    17: Method.FACE,  # face + password
    18: Method.FACE,  # face + card
    19: Method.FACE,  # face + fingerprint + card
    20: Method.FACE,  # face + fingerprint + password
}

METHOD_LABELS: Mapping[Method, str] = {
    Method.FACE: "人脸",
    Method.FINGERPRINT: "指纹",
    Method.CARD: "刷卡",
    Method.PASSWORD: "密码",
    Method.QR: "二维码",
    Method.REMOTE: "远程",
    Method.OTHER: "验证",
}


def method_for(verify: str) -> Method:
    try:
        return VERIFY_METHODS.get(int(verify), Method.OTHER)
    except ValueError:
        return Method.OTHER


@dataclass(frozen=True, slots=True)
class AttRecord:
    """One ATTLOG line. ``time`` is the device's local wall-clock time (no offset on the wire)."""

    pin: str
    time: datetime
    status: str
    verify: str
    workcode: str = ""
    rest: tuple[str, ...] = ()  # reserved / mask flag / temperature columns, kept as sent

    @property
    def time_text(self) -> str:
        return self.time.strftime(TIME_FORMAT)


@dataclass(frozen=True, slots=True)
class UserRecord:
    """A ``USER PIN=…\\tName=…`` line from the OPERLOG or USERINFO table."""

    pin: str
    name: str = ""
    card: str = ""
    privilege: str = ""


def split_lines(body: bytes) -> Iterator[bytes]:
    """Non-empty lines of a body; LF or CRLF, trailing blanks ignored."""
    for line in body.split(b"\n"):
        line = line.rstrip(b"\r")
        if line.strip():
            yield line


def _text(line: bytes, encodings: tuple[str, ...] = ("utf-8",)) -> str:
    for encoding in encodings:
        try:
            return line.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise AdmsError(f"not {'/'.join(encodings)} text", line)


def parse_time(text: str, raw: bytes = b"") -> datetime:
    if not _TIME_RE.fullmatch(text):
        raise AdmsError(f"time {text!r} is not YYYY-MM-DD HH:MM:SS", raw)
    try:
        return datetime.strptime(text, TIME_FORMAT)
    except ValueError:
        raise AdmsError(f"time {text!r} is not a real date", raw) from None


def parse_att_line(line: bytes) -> AttRecord:
    text = _text(line)
    columns = text.split("\t")
    if not MIN_ATT_COLUMNS <= len(columns) <= MAX_ATT_COLUMNS:
        raise AdmsError(f"{len(columns)} tab-separated columns, expected {MIN_ATT_COLUMNS}-{MAX_ATT_COLUMNS}",
                        line)
    pin, when, status, verify, *rest = (c.strip() for c in columns)
    if not pin or len(pin) > MAX_PIN_LEN or not pin.isprintable() or any(c.isspace() for c in pin):
        raise AdmsError(f"bad pin {pin!r}", line)
    for name, code in (("status", status), ("verify", verify)):
        if not _CODE_RE.fullmatch(code):
            raise AdmsError(f"{name} {code!r} is not a small number", line)
    workcode = rest[0] if rest else ""
    return AttRecord(pin, parse_time(when, line), status, verify, workcode, tuple(rest[1:]))


def format_att_line(record: AttRecord) -> bytes:
    columns = [record.pin, record.time_text, record.status, record.verify, record.workcode, *record.rest]
    return "\t".join(columns).encode("utf-8")


def parse_attlog(body: bytes) -> tuple[list[tuple[AttRecord, bytes]], list[AdmsError]]:
    """Every line of an ATTLOG upload: the good ones with their raw bytes, and one error per bad line."""
    good: list[tuple[AttRecord, bytes]] = []
    bad: list[AdmsError] = []
    for line in split_lines(body):
        try:
            good.append((parse_att_line(line), line))
        except AdmsError as exc:
            bad.append(exc)
    return good, bad


def parse_keyvalues(text: str) -> dict[str, str]:
    """``Key=value`` pairs separated by tabs (USER / FP / OPLOG-style lines after their tag)."""
    out: dict[str, str] = {}
    for item in text.split("\t"):
        key, sep, value = item.partition("=")
        if sep:
            out[key.strip()] = value.strip()
    return out


def parse_user_line(line: bytes) -> UserRecord:
    # Older Chinese firmware writes names in GB18030 rather than UTF-8.
    text = _text(line, ("utf-8", "gb18030"))
    tag, _, rest = text.partition(" ")
    if tag != "USER":
        raise AdmsError("not a USER line", line)
    fields = parse_keyvalues(rest)
    pin = fields.get("PIN", "")
    if not pin or len(pin) > MAX_PIN_LEN or any(c.isspace() for c in pin):
        raise AdmsError(f"USER line with bad PIN {pin!r}", line)
    return UserRecord(pin, fields.get("Name", ""), fields.get("Card", ""), fields.get("Pri", ""))


def format_user_line(user: UserRecord) -> bytes:
    return (f"USER PIN={user.pin}\tName={user.name}\tPri={user.privilege or '0'}\tPasswd=\t"
            f"Card={user.card}\tGrp=1\tTZ=0000000100000000").encode()


def line_tag(line: bytes) -> str:
    """The leading word of an OPERLOG line (``USER``, ``OPLOG``, ``FP`` ...), or '' if there is none."""
    head = line.split(b" ", 1)[0].split(b"\t", 1)[0]
    return head.decode("ascii", "replace") if head.isalpha() and head.isupper() else ""


# -- handshake options ----------------------------------------------------------------------------------


def tz_hours(zone: ZoneInfo, now: datetime | None = None) -> str:
    """The zone's current UTC offset in hours as ADMS writes it (``8``, ``5.5``, ``-3``)."""
    offset = (now or datetime.now(UTC)).astimezone(zone).utcoffset() or timedelta(0)
    hours = offset.total_seconds() / 3600
    return f"{hours:g}"


def build_options(serial: str, stamps: Mapping[str, str], *, delay: int, error_delay: int,
                  trans_interval: int, realtime: bool, timezone_hours: str, new_style: bool) -> bytes:
    """The reply to ``GET /iclock/cdata?SN=…&options=all``: one ``Key=value`` option per line."""
    trans_flag = "TransData AttLog\tOpLog\tAttPhoto\tEnrollUser\tChgUser" if new_style else "1111000000"
    lines = [
        f"GET OPTION FROM: {serial}",
        f"ATTLOGStamp={stamps.get('ATTLOG', '0')}",
        f"OPERLOGStamp={stamps.get('OPERLOG', '0')}",
        f"ATTPHOTOStamp={stamps.get('ATTPHOTO', '0')}",
        f"ErrorDelay={error_delay}",
        f"Delay={delay}",
        "TransTimes=00:00;14:05",
        f"TransInterval={trans_interval}",
        f"TransFlag={trans_flag}",
        f"TimeZone={timezone_hours}",
        f"Realtime={1 if realtime else 0}",
        "Encrypt=0",
        f"ServerVer={SERVER_VERSION}",
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def parse_options(body: bytes) -> dict[str, str]:
    """The device side of the handshake: option lines into a dict (``GET OPTION FROM`` under ``SN``)."""
    out: dict[str, str] = {}
    for line in split_lines(body):
        text = _text(line)
        if text.startswith("GET OPTION FROM:"):
            out["SN"] = text.partition(":")[2].strip()
            continue
        key, sep, value = text.partition("=")
        if not sep:
            raise AdmsError("option line without '='", line)
        out[key.strip()] = value.strip()
    if "SN" not in out:
        raise AdmsError("handshake reply without 'GET OPTION FROM'", body[:200])
    return out


def parse_ok_count(body: bytes) -> int:
    """``OK: 12`` (or a bare ``OK``, meaning 0) from the server's reply to an upload."""
    text = body.decode("utf-8", "replace").strip()
    if text == "OK":
        return 0
    head, sep, count = text.partition(":")
    if head.strip() != "OK" or not sep or not count.strip().isdigit():
        raise AdmsError(f"upload reply {text[:60]!r} is not 'OK: <count>'", body[:200])
    return int(count.strip())


def local_to_utc(naive: datetime, zone: ZoneInfo) -> datetime:
    """A device-local wall-clock time to UTC (ADMS sends no offset; fold=0 in a repeated DST hour)."""
    return naive.replace(tzinfo=zone).astimezone(UTC)
