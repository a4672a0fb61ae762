"""Device credentials: encrypted-file and keyring backends, never leaking a secret in plain text."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backend
import keyring.errors
import pytest
from keyring.backends import fail

from console.services.credentials import (
    FILE_NAME,
    MASTER_ENV,
    SERVICE,
    Credential,
    CredentialError,
    CredentialStore,
)

MASTER = "correct horse battery staple"


class MemoryKeyring(keyring.backend.KeyringBackend):
    """An in-process keyring, so tests never touch the developer's real one."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError(username)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def _no_master_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MASTER_ENV, raising=False)


def file_store(tmp_path: Path, master: str | None = MASTER) -> CredentialStore:
    return CredentialStore(tmp_path, use_keyring=False, master_password=master)


def test_file_round_trip(tmp_path: Path) -> None:
    creds = file_store(tmp_path)
    assert creds.backend_name.startswith("encrypted file")
    assert creds.get("nvr-1") is None and creds.names() == []
    creds.set("nvr-1", "admin", "Nvr$ecret!")
    creds.set("fire.panel_2", "", "1234")
    assert creds.get("nvr-1") == Credential("admin", "Nvr$ecret!")
    # A second instance (a restart) reads what the first wrote.
    again = file_store(tmp_path)
    assert again.names() == ["fire.panel_2", "nvr-1"]
    assert again.get("fire.panel_2") == Credential("", "1234")
    again.set("nvr-1", "operator", "rotated")
    again.delete("fire.panel_2")
    again.delete("never-stored")
    assert file_store(tmp_path).names() == ["nvr-1"]
    assert file_store(tmp_path).get("nvr-1") == Credential("operator", "rotated")


def test_file_is_encrypted_private_and_atomic(tmp_path: Path) -> None:
    creds = file_store(tmp_path)
    creds.set("gate-east", "gatekeeper-user", "s3cr3t-value")
    blob = (tmp_path / FILE_NAME).read_bytes()
    for plain in (b"gatekeeper-user", b"s3cr3t-value", MASTER.encode()):
        assert plain not in blob
    assert stat.S_IMODE(os.stat(tmp_path / FILE_NAME).st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == [FILE_NAME]  # no temporary file left behind


def test_each_write_uses_a_fresh_nonce(tmp_path: Path) -> None:
    creds = file_store(tmp_path)
    creds.set("cam-1", "u", "same")
    first = (tmp_path / FILE_NAME).read_bytes()
    creds.set("cam-1", "u", "same")
    assert (tmp_path / FILE_NAME).read_bytes() != first


def test_wrong_master_password(tmp_path: Path) -> None:
    file_store(tmp_path).set("nvr-1", "admin", "secret")
    before = (tmp_path / FILE_NAME).read_bytes()
    wrong = file_store(tmp_path, "not the password")
    with pytest.raises(CredentialError, match="wrong master password"):
        wrong.get("nvr-1")
    with pytest.raises(CredentialError, match="wrong master password"):
        wrong.set("nvr-2", "x", "y")
    assert (tmp_path / FILE_NAME).read_bytes() == before  # never overwritten under the wrong key


def test_missing_master_password_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(CredentialError, match=MASTER_ENV):
        file_store(tmp_path, None).set("nvr-1", "admin", "secret")


def test_master_password_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MASTER_ENV, MASTER)
    file_store(tmp_path, None).set("nvr-1", "admin", "secret")
    assert file_store(tmp_path).get("nvr-1") == Credential("admin", "secret")


def test_damaged_file(tmp_path: Path) -> None:
    (tmp_path / FILE_NAME).write_bytes(b"not a credential file")
    with pytest.raises(CredentialError, match="damaged"):
        file_store(tmp_path).names()


def test_repr_hides_secret() -> None:
    cred = Credential("admin", "hunter2-secret")
    for text in (repr(cred), str(cred), f"{cred}", repr([cred])):
        assert "hunter2-secret" not in text
    assert "admin" in repr(cred)


@pytest.mark.parametrize("name", ["", "Upper", "-lead", "_names", "a b", "a/b", "ü"])
def test_bad_names_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(CredentialError, match="bad credential name"):
        file_store(tmp_path).set(name, "u", "s")


def test_keyring_backend_round_trip(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    creds = CredentialStore(tmp_path)
    assert creds.backend_name.startswith("keyring")
    creds.set("nvr-1", "admin", "Nvr$ecret!")
    creds.set("gate-east", "gate", "g4te")
    assert creds.get("nvr-1") == Credential("admin", "Nvr$ecret!")
    assert creds.names() == ["gate-east", "nvr-1"]
    assert (SERVICE, "nvr-1") in memory_keyring.entries
    creds.delete("nvr-1")
    creds.delete("nvr-1")
    assert creds.get("nvr-1") is None and creds.names() == ["gate-east"]
    assert not (tmp_path / FILE_NAME).exists()  # nothing written to disk when the keyring is used


def test_auto_falls_back_to_file_without_keyring(tmp_path: Path, no_keyring: None) -> None:
    creds = CredentialStore(tmp_path, master_password=MASTER)
    assert creds.backend_name.startswith("encrypted file")
    creds.set("nvr-1", "admin", "secret")
    assert (tmp_path / FILE_NAME).exists()


def test_requiring_keyring_without_one_fails(tmp_path: Path, no_keyring: None) -> None:
    with pytest.raises(CredentialError, match="keyring"):
        CredentialStore(tmp_path, use_keyring=True)
