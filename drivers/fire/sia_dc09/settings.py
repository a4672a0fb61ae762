"""Typed settings of the SIA DC-09 receiver (the ``settings`` table of a site file's device entry)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from drivers.base import DriverSettings


class Settings(DriverSettings):
    listen_host: str = Field("127.0.0.1", description="Address to listen on (TCP and UDP)")
    listen_port: int = Field(12128, ge=0, le=65535, description="Port; 0 picks a free one (see bound_port)")
    udp: bool = Field(True, description="Also receive over UDP on the same port")
    accounts: list[str] = Field(default_factory=list, description="Accepted accounts (hex); empty = any")
    key_credential: str | None = Field(None, description="Credential holding the AES key (32/48/64 hex)")
    require_encryption: bool = Field(False, description="Refuse clear-text messages (needs key_credential)")
    timestamp_window: tuple[int, int] = Field((-40, 20), description="Accepted message time − our time, s")
    supervision_s: float = Field(0, ge=0, description="Each account must report within this; 0 = off")
    frame_deadline_s: float = Field(10.0, gt=0, description="A started frame must end within this")
    idle_timeout_s: float = Field(300.0, gt=0, description="Close a TCP connection silent this long")
    max_connections: int = Field(64, ge=1, description="Concurrent TCP connections, in total")
    max_connections_per_ip: int = Field(16, ge=1, description="Concurrent TCP connections per peer address")
    reject_answer: Literal["DUH", "NAK"] = Field(
        "DUH", description="Answer to an unknown account or an undecryptable message"
    )

    @field_validator("accounts")
    @classmethod
    def _hex_accounts(cls, value: list[str]) -> list[str]:
        for account in value:
            if not 3 <= len(account) <= 16 or any(c not in "0123456789ABCDEFabcdef" for c in account):
                raise ValueError(f"account {account!r} is not 3-16 hex digits")
        return [a.upper() for a in value]

    @field_validator("timestamp_window")
    @classmethod
    def _window(cls, value: tuple[int, int]) -> tuple[int, int]:
        if not value[0] <= 0 <= value[1]:
            raise ValueError("timestamp_window must be (earliest ≤ 0, latest ≥ 0) seconds")
        return value
