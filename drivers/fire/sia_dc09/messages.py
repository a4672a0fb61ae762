"""SIA DC-09 messages: header and body parsing, AES-CBC with hex keys, and ACK / NAK / DUH answers."""

from __future__ import annotations

import enum
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from drivers.fire.sia_dc09.framing import encode_frame

SIA_DCS = "SIA-DCS"
ADM_CID = "ADM-CID"
NULL = "NULL"
ACK = "ACK"
NAK = "NAK"
DUH = "DUH"
RSP = "RSP"
EVENT_TOKENS = frozenset({SIA_DCS, ADM_CID})
TIME_FORMAT = "%H:%M:%S,%m-%d-%Y"
_ZERO_IV = bytes(16)  # DC-09 uses CBC with an all-zero IV; the random pad makes each ciphertext differ
_PAD_CHARS = bytes(c for c in range(0x21, 0x7F) if c not in b"[]|")  # the pad must not contain delimiters

_HEADER = re.compile(
    r'"(?P<enc>\*?)(?P<id>[A-Z0-9][A-Z0-9-]{0,15})"(?P<seq>\d{4})'
    r"(?:R(?P<rcvr>[0-9A-Fa-f]{1,6}))?"
    # Lazy, so the "A0" of a NAK ("L0A0[") is not read as part of the prefix.
    r"(?:L(?P<pref>[0-9A-Fa-f]{1,6}?))?"
    r"(?:#(?P<acct>[0-9A-Fa-f]{3,16})|A0)?"
    r"\[(?P<body>.*)\Z",
    re.S,
)
_CONTENT = re.compile(r"(?P<data>[^\[\]]*)\](?P<xdata>(?:\[[^\[\]]*\])*)(?:_(?P<ts>.*))?\Z", re.S)
_TIMESTAMP = re.compile(r"\d\d:\d\d:\d\d,\d\d-\d\d-\d{4}\Z")


class Cause(enum.StrEnum):
    """Why a framed message was not accepted; the driver counts rejects per cause."""

    FORMAT = "format"  # header or body does not follow DC-09
    NO_KEY = "no_key"  # encrypted, but no key is configured
    BAD_HEX = "bad_hex"  # encrypted body is not an even number of hex digits
    CIPHER_LENGTH = "cipher_length"  # ciphertext not a multiple of the AES block
    DECRYPT = "decrypt"  # plaintext is garbage: wrong key
    TIMESTAMP = "timestamp"  # missing (encrypted), unreadable, or outside the window


class MessageError(Exception):
    def __init__(self, cause: Cause, detail: str) -> None:
        super().__init__(f"{cause}: {detail}")
        self.cause = cause
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Header:
    """The clear-text routing part of a message; ``body`` is everything after the opening ``[``."""

    id_token: str
    encrypted: bool
    sequence: str
    receiver: str | None
    prefix: str | None
    account: str | None
    body: str


@dataclass(frozen=True, slots=True)
class Message:
    """A message with its body decrypted. ``data`` is the mandatory data field without brackets."""

    header: Header
    data: str
    xdata: tuple[str, ...]
    timestamp: datetime | None
    timestamp_text: str | None

    @property
    def id_token(self) -> str:
        return self.header.id_token

    @property
    def account(self) -> str:
        return self.header.account or ""

    @property
    def sequence(self) -> str:
        return self.header.sequence


def parse_key(text: str) -> bytes:
    """An AES key given as 32, 48 or 64 hex digits → its 16, 24 or 32 raw bytes (not the ASCII codes)."""
    cleaned = text.strip().replace(" ", "")
    if len(cleaned) not in (32, 48, 64):
        raise ValueError(f"an AES key is 32, 48 or 64 hex digits, got {len(cleaned)} characters")
    return bytes.fromhex(cleaned)


def format_timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(TIME_FORMAT)


def parse_timestamp(text: str) -> datetime:
    if not _TIMESTAMP.match(text):
        raise ValueError(f"not a DC-09 timestamp: {text!r}")
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=UTC)


def timestamp_ok(moment: datetime, now: datetime, window: tuple[float, float]) -> bool:
    """True when ``moment - now`` lies within ``window`` seconds (DC-09: −40 … +20)."""
    offset = (moment - now).total_seconds()
    return window[0] <= offset <= window[1]


def parse_header(message: bytes, *, incoming: bool = True) -> Header:
    """Read ID token, sequence, receiver, prefix and account. ``incoming`` requires the prefix and
    account a transmitter must send; answers (a NAK carries neither) are parsed with ``False``."""
    match = _HEADER.match(message.decode("ascii", errors="replace"))
    if match is None:
        raise MessageError(Cause.FORMAT, "header is not \"ID\"seq[Rrcvr]Lpref#acct[")
    if incoming and (match["pref"] is None or match["acct"] is None):
        raise MessageError(Cause.FORMAT, "header lacks the L prefix or the #account")
    return Header(
        id_token=match["id"], encrypted=bool(match["enc"]), sequence=match["seq"],
        receiver=match["rcvr"].upper() if match["rcvr"] else None,
        prefix=match["pref"].upper() if match["pref"] else None,
        account=match["acct"].upper() if match["acct"] else None,
        body=match["body"],
    )


def _cipher(key: bytes) -> Cipher[modes.CBC]:
    return Cipher(algorithms.AES(key), modes.CBC(_ZERO_IV))


def decrypt_body(body: str, key: bytes) -> str:
    """Hex ciphertext → the clear content after the pad (``data]xdata_timestamp``)."""
    if len(body) % 2 or any(c not in "0123456789ABCDEFabcdef" for c in body):
        raise MessageError(Cause.BAD_HEX, f"{len(body)} characters, not an even run of hex digits")
    cipher_text = bytes.fromhex(body)
    if not cipher_text or len(cipher_text) % 16:
        raise MessageError(Cause.CIPHER_LENGTH, f"{len(cipher_text)} bytes is not a multiple of 16")
    decryptor = _cipher(key).decryptor()
    plain = decryptor.update(cipher_text) + decryptor.finalize()
    # The pad is followed by "|" before the data; some transmitters leave the "|" out when the
    # data field is empty, so whichever of "|" and "]" comes first ends the pad.
    close = plain.find(b"]")
    if close < 0:
        raise MessageError(Cause.DECRYPT, "no ']' in the plaintext (wrong key?)")
    bar = plain.find(b"|", 0, close)
    content = plain[bar + 1 if bar >= 0 else close:]
    if any(c < 0x20 or c > 0x7E for c in content):
        raise MessageError(Cause.DECRYPT, "plaintext is not printable ASCII (wrong key?)")
    return content.decode("ascii")


def open_message(header: Header, key: bytes | None) -> Message:
    """Decrypt (when needed) and split the body into data, extended data and timestamp."""
    content = header.body
    if header.encrypted:
        if key is None:
            raise MessageError(Cause.NO_KEY, "encrypted message but no key configured")
        content = decrypt_body(content, key)
    match = _CONTENT.match(content)
    if match is None:
        raise MessageError(Cause.FORMAT, "body is not data][xdata]…_timestamp")
    xdata = tuple(re.findall(r"\[([^\[\]]*)\]", match["xdata"]))
    ts_text = match["ts"]
    timestamp = None
    if ts_text is not None:
        try:
            timestamp = parse_timestamp(ts_text)
        except ValueError as exc:
            raise MessageError(Cause.TIMESTAMP, str(exc)) from None
    elif header.encrypted:
        raise MessageError(Cause.TIMESTAMP, "an encrypted message must carry a timestamp")
    return Message(header, match["data"], xdata, timestamp, ts_text)


def _pad(length: int) -> bytes:
    return bytes(secrets.choice(_PAD_CHARS) for _ in range(length))


def encrypt_content(content: str, key: bytes, pad: bytes | None = None) -> str:
    """``|`` + content, preceded by 16-31 pad bytes to fill whole blocks, AES-CBC, upper-case hex."""
    tail = b"|" + content.encode("ascii")
    length = 16 + (-len(tail)) % 16
    padding = pad if pad is not None else _pad(length)
    if (len(padding) + len(tail)) % 16 or any(c in b"[]|" for c in padding):
        raise ValueError("pad must fill whole blocks and contain no '[', ']' or '|'")
    encryptor = _cipher(key).encryptor()
    return (encryptor.update(padding + tail) + encryptor.finalize()).hex().upper()


def _routing(sequence: str, receiver: str | None, prefix: str | None, account: str | None) -> str:
    text = sequence
    if receiver is not None:
        text += f"R{receiver}"
    text += f"L{prefix if prefix is not None else '0'}"
    if account is not None:
        text += f"#{account}"
    return text


def build_message(
    id_token: str,
    sequence: int | str,
    account: str,
    data: str = "",
    *,
    receiver: str | None = None,
    prefix: str = "0",
    xdata: Sequence[str] = (),
    timestamp: datetime | None = None,
    key: bytes | None = None,
    pad: bytes | None = None,
) -> bytes:
    """A complete frame. With ``key`` the body is encrypted (and needs a timestamp: now if omitted)."""
    seq = sequence if isinstance(sequence, str) else f"{sequence % 10000:04d}"
    if key is not None and timestamp is None:
        timestamp = datetime.now(UTC)
    content = data + "]" + "".join(f"[{x}]" for x in xdata)
    if timestamp is not None:
        content += "_" + format_timestamp(timestamp)
    flag = "*" if key is not None else ""
    head = f'"{flag}{id_token}"{_routing(seq, receiver, prefix, account)}['
    body = encrypt_content(content, key, pad) if key is not None else content
    return encode_frame((head + body).encode("ascii"))


def ack_for(
    header: Header, key: bytes | None = None, now: datetime | None = None, pad: bytes | None = None
) -> bytes:
    """ACK echoing sequence and routing; encrypted (with our time inside) when the message was."""
    routing = _routing(header.sequence, header.receiver, header.prefix, header.account)
    if header.encrypted and key is not None:
        sealed = encrypt_content("]_" + format_timestamp(now or datetime.now(UTC)), key, pad)
        return encode_frame(f'"*{ACK}"{routing}[{sealed}'.encode("ascii"))
    return encode_frame(f'"{ACK}"{routing}[]'.encode("ascii"))


def nak(now: datetime | None = None) -> bytes:
    """NAK carrying the receiver's clock so the transmitter can correct its own (never encrypted)."""
    return encode_frame(f'"{NAK}"0000R0L0A0[]_{format_timestamp(now or datetime.now(UTC))}'.encode("ascii"))


def duh_for(header: Header) -> bytes:
    """DUH: understood but not processed (unknown account, key or event code). Never encrypted."""
    routing = _routing(header.sequence, header.receiver, header.prefix, header.account)
    return encode_frame(f'"{DUH}"{routing}[]'.encode("ascii"))
