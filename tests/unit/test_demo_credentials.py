"""The console hands drivers their stored passwords; the demo seeds its simulators' into its own file."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from console.app import DEMO_CREDENTIALS, DEMO_MASTER_PASSWORD, open_credentials
from console.config import parse_site
from console.engine import Engine
from console.paths import demo_site_path
from console.services.credentials import CredentialStore


def test_the_demo_seeds_its_credentials_in_its_own_encrypted_file(tmp_path: Path) -> None:
    store = open_credentials(tmp_path, demo=True)
    assert store.backend_name.startswith("encrypted file")
    assert set(store.names()) == set(DEMO_CREDENTIALS)
    again = CredentialStore(tmp_path, use_keyring=False, master_password=DEMO_MASTER_PASSWORD)
    assert again.get("demo-hikvision").secret == DEMO_CREDENTIALS["demo-hikvision"][1]
    assert b"Hik12345demo" not in (tmp_path / store.backend_name.split("(")[1].rstrip(")")).read_bytes()


def test_an_unreadable_credential_file_is_a_warning_not_a_crash(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    CredentialStore(tmp_path, use_keyring=False, master_password="right").set("cam", "admin", "secret")
    site = parse_site(demo_site_path().read_text(encoding="utf-8"))
    engine = Engine(site, tmp_path, credentials=CredentialStore(tmp_path, use_keyring=False,
                                                                master_password="wrong"))
    with caplog.at_level(logging.WARNING):
        assert engine._secret("cam") is None
        assert engine._camera_credential("cam") is None
    assert "credential 'cam' unavailable" in caplog.text
