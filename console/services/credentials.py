"""Named device credentials kept out of the site file: in the OS keyring, else in an encrypted file."""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ParamSpec, Protocol, TypeVar

import keyring
import keyring.backend
import keyring.errors
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from keyring.backends import chainer, fail, null

P = ParamSpec("P")
R = TypeVar("R")

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
SERVICE = "campus-console"
FILE_NAME = "credentials.enc"
MASTER_ENV = "CAMPUS_CONSOLE_MASTER_PASSWORD"
# Keyring backends cannot list their entries, so the names live in one extra entry; the leading
# underscore keeps it outside NAME_RE, so no credential can collide with it.
_INDEX_KEY = "_names"

# File layout: magic | log2(n), r, p | salt | nonce | AES-256-GCM(json). The scrypt cost is in the
# header so it can be raised later without breaking files already written.
_MAGIC = b"CCCRED\x00\x01"
_PARAMS = struct.Struct(">BBB")
_SALT_LEN = 16
_NONCE_LEN = 12
_HEADER_LEN = len(_MAGIC) + _PARAMS.size + _SALT_LEN
_DEFAULT_KDF = (15, 8, 1)  # n = 2**15: ~32 MiB and ~0.1 s, paid once per store instance


class CredentialError(Exception):
    """Credentials cannot be read or written; the message says what to do."""


@dataclass(frozen=True, slots=True, repr=False)
class Credential:
    username: str
    secret: str

    def __repr__(self) -> str:
        # Credentials end up in log lines and tracebacks; the secret must never follow them there.
        return f"Credential(username={self.username!r}, secret=<hidden>)"

    __str__ = __repr__


class _Backend(Protocol):
    name: str

    def load(self) -> dict[str, Credential]: ...

    def get(self, name: str) -> Credential | None: ...

    def put(self, name: str, credential: Credential | None) -> None: ...


class CredentialStore:
    """Thread-safe: drivers read credentials from the driver-host thread while the GUI edits them."""

    def __init__(
        self, data_dir: Path, *, use_keyring: bool | None = None, master_password: str | None = None
    ) -> None:
        self._lock = threading.Lock()
        self._backend = _choose_backend(Path(data_dir), use_keyring, master_password)

    @property
    def backend_name(self) -> str:
        return self._backend.name

    def set(self, name: str, username: str, secret: str) -> None:
        _check_name(name)
        if not isinstance(username, str) or not isinstance(secret, str):
            raise TypeError("username and secret must be strings")
        with self._lock:
            self._backend.put(name, Credential(username, secret))

    def get(self, name: str) -> Credential | None:
        _check_name(name)
        with self._lock:
            return self._backend.get(name)

    def delete(self, name: str) -> None:
        """Remove ``name``; deleting a name that is not stored is not an error."""
        _check_name(name)
        with self._lock:
            self._backend.put(name, None)

    def names(self) -> list[str]:
        with self._lock:
            return sorted(self._backend.load())


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise CredentialError(f"bad credential name {name!r}: use lower-case letters, digits, '_', '.', '-'")


def _choose_backend(data_dir: Path, use_keyring: bool | None, master_password: str | None) -> _Backend:
    if use_keyring is False:
        return _FileBackend(data_dir / FILE_NAME, master_password)
    ring = keyring.get_keyring()
    if is_real_keyring(ring):
        return _KeyringBackend(ring)
    if use_keyring:
        raise CredentialError(f"no usable OS keyring (found {ring.name!r})")
    return _FileBackend(data_dir / FILE_NAME, master_password)


def is_real_keyring(ring: keyring.backend.KeyringBackend) -> bool:
    """False for the placeholders keyring falls back to when the OS offers nothing."""
    if isinstance(ring, fail.Keyring | null.Keyring):
        return False
    return not (isinstance(ring, chainer.ChainerBackend) and not ring.backends)


# -- OS keyring ---------------------------------------------------------------------------------------
class _KeyringBackend:
    def __init__(self, ring: keyring.backend.KeyringBackend) -> None:
        self._ring = ring
        self.name = f"keyring ({ring.name})"

    def load(self) -> dict[str, Credential]:
        found = {name: self.get(name) for name in self._index()}
        return {name: cred for name, cred in found.items() if cred is not None}

    def get(self, name: str) -> Credential | None:
        stored = self._call(self._ring.get_password, SERVICE, name)
        return None if stored is None else _decode_credential(name, _json_or_none(stored))

    def put(self, name: str, credential: Credential | None) -> None:
        index = set(self._index())
        if credential is None:
            with contextlib.suppress(keyring.errors.PasswordDeleteError):
                self._call(self._ring.delete_password, SERVICE, name)
            index.discard(name)
        else:
            payload = json.dumps({"username": credential.username, "secret": credential.secret})
            self._call(self._ring.set_password, SERVICE, name, payload)
            index.add(name)
        self._call(self._ring.set_password, SERVICE, _INDEX_KEY, json.dumps(sorted(index)))

    def _index(self) -> list[str]:
        stored = self._call(self._ring.get_password, SERVICE, _INDEX_KEY)
        names = [] if stored is None else _json_or_none(stored)
        if not isinstance(names, list):
            raise CredentialError(f"the keyring entry {SERVICE}/{_INDEX_KEY} is malformed")
        return [str(n) for n in names]

    @staticmethod
    def _call(fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except keyring.errors.PasswordDeleteError:
            raise
        except keyring.errors.KeyringError as exc:
            raise CredentialError(f"the OS keyring refused the request: {exc}") from exc


# -- encrypted file -----------------------------------------------------------------------------------
class _FileBackend:
    def __init__(self, path: Path, master_password: str | None) -> None:
        self._path = path
        self._master = master_password if master_password is not None else os.environ.get(MASTER_ENV)
        self.name = f"encrypted file ({path})"
        self._key: bytes | None = None
        self._header: bytes | None = None

    def load(self) -> dict[str, Credential]:
        if not self._path.exists():
            return {}
        blob = self._path.read_bytes()
        plain = self._decrypt(blob)
        try:
            entries = json.loads(plain)
            return {name: _decode_credential(name, value) for name, value in entries.items()}
        except (ValueError, AttributeError) as exc:
            raise CredentialError(f"{self._path} decrypted but its content is malformed") from exc

    def get(self, name: str) -> Credential | None:
        return self.load().get(name)

    def put(self, name: str, credential: Credential | None) -> None:
        entries = self.load()
        if credential is None:
            if entries.pop(name, None) is None:
                return
        else:
            entries[name] = credential
        payload = {n: {"username": c.username, "secret": c.secret} for n, c in sorted(entries.items())}
        self._write(self._encrypt(json.dumps(payload, ensure_ascii=False).encode("utf-8")))

    # The key is derived once per salt: scrypt is deliberately slow, and every write reuses the salt
    # with a fresh nonce, which is what AES-GCM needs.
    def _decrypt(self, blob: bytes) -> bytes:
        if len(blob) < _HEADER_LEN + _NONCE_LEN or not blob.startswith(_MAGIC):
            raise CredentialError(f"{self._path} is damaged or not a Campus Console credential file")
        header = blob[:_HEADER_LEN]
        nonce = blob[_HEADER_LEN : _HEADER_LEN + _NONCE_LEN]
        key = self._key_for(header)
        try:
            # The header is authenticated too, so its cost parameters cannot be weakened unnoticed.
            return AESGCM(key).decrypt(nonce, blob[_HEADER_LEN + _NONCE_LEN :], header)
        except InvalidTag:
            self._key = self._header = None
            raise CredentialError("wrong master password") from None

    def _encrypt(self, plain: bytes) -> bytes:
        if self._header is None:
            salt = secrets.token_bytes(_SALT_LEN)
            self._key_for(_MAGIC + _PARAMS.pack(*_DEFAULT_KDF) + salt)
        assert self._header is not None and self._key is not None
        nonce = secrets.token_bytes(_NONCE_LEN)
        return self._header + nonce + AESGCM(self._key).encrypt(nonce, plain, self._header)

    def _key_for(self, header: bytes) -> bytes:
        if header == self._header and self._key is not None:
            return self._key
        if not self._master:
            raise CredentialError(
                f"device credentials are kept in {self._path} because no OS keyring is available; "
                f"set {MASTER_ENV} to the master password that encrypts it"
            )
        log2_n, r, p = _PARAMS.unpack_from(header, len(_MAGIC))
        if not (10 <= log2_n <= 22 and 1 <= r <= 32 and 1 <= p <= 16):
            raise CredentialError(f"{self._path} has implausible key-derivation parameters")
        salt = header[len(_MAGIC) + _PARAMS.size :]
        kdf = Scrypt(salt=salt, length=32, n=2**log2_n, r=r, p=p)
        self._key, self._header = kdf.derive(self._master.encode("utf-8")), header
        return self._key

    def _write(self, blob: bytes) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._path.with_name(f"{self._path.name}.{secrets.token_hex(4)}.tmp")
        # 0600 from the first byte: creating then chmod-ing would leave a readable window.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(blob)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self._path)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        _fsync_dir(self._path.parent)


def _fsync_dir(directory: Path) -> None:
    # Makes the rename itself durable; not possible (nor needed) on Windows.
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _decode_credential(name: str, value: object) -> Credential:
    if (
        not isinstance(value, dict)
        or not isinstance(value.get("username"), str)
        or not isinstance(value.get("secret"), str)
    ):
        raise CredentialError(f"the stored credential {name!r} is malformed")
    return Credential(value["username"], value["secret"])


def _json_or_none(text: str) -> object:
    """Parse JSON, mapping text that is not JSON (an entry written by another tool) to None."""
    try:
        return json.loads(text)
    except ValueError:
        return None
