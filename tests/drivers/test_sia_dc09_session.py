"""SIA DC-09 receiver over real sockets with a real Store and DriverHost: ACK after commit, NAK, DUH, AES."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError
from siadc09 import account as sd_account
from siadc09 import message as sd_message
from siadc09.xdata import Data as SdData

from drivers.base import DeviceInfo, HealthState, create_driver, settings_model
from drivers.fire.sia_dc09 import simulator
from drivers.fire.sia_dc09.driver import Settings, SiaDc09Driver, create
from drivers.fire.sia_dc09.framing import Frame, FrameReader, encode_frame
from drivers.fire.sia_dc09.messages import Header, build_message, open_message, parse_header, parse_timestamp
from tests.drivers.rig import DriverRig, FramePeer, Ingest, Rigs, slow_disk, wait_for

KEY128 = "000102030405060708090A0B0C0D0E0F"
KEY256 = "850CBA22F7DD4F033405DA83E4C5BAE9" * 2


def now() -> datetime:
    return datetime.now(UTC)


def report(seq: int, block: str = "Nri1/FA003", account: str = "1234", *, age_s: float = 0,
           key: str | None = None, token: str = "SIA-DCS") -> bytes:
    data = f"#{account}|{block}" if token != "NULL" else ""
    return build_message(token, seq, account, data, receiver="1", prefix="1",
                         timestamp=now() - timedelta(seconds=age_s), key=bytes.fromhex(key) if key else None)


def header_of(answer: Frame) -> Header:
    return parse_header(answer.message, incoming=False)


class Peer(FramePeer):
    """A blocking TCP transmitter that collects the receiver's answers."""

    def __init__(self, port: int) -> None:
        super().__init__(port)
        self.reader = FrameReader()

    def frames(self, data: bytes) -> list[Frame]:
        return [i for i in self.reader.feed(data) if isinstance(i, Frame)]

    def answer(self, timeout: float = 5.0) -> Header:
        return header_of(self.recv(1, timeout)[0])


class Rig(DriverRig):
    """A real Store and DriverHost running one fire.sia_dc09 driver on an ephemeral port."""

    driver: SiaDc09Driver

    def __init__(self, *args: Any, **options: Any) -> None:
        super().__init__(*args, **options)
        self.port = wait_for(lambda: self.driver.listening.is_set() and self.driver.bound_port)

    def peer(self) -> Peer:
        peer = Peer(self.port)
        self.on_close(peer.close)
        return peer


@pytest.fixture
def rig(driver_rigs: Rigs) -> Callable[..., Rig]:
    def make(ingest: Ingest | None = None, points: dict[str, str] | None = None,
             secrets: dict[str, str] | None = None, **settings: Any) -> Rig:
        return driver_rigs(create(Settings(listen_port=0, **settings)),
                           DeviceInfo("dc09-1", "报警主机", "panel", points=points or {}),
                           Rig, ingest=ingest, secrets=secrets)

    return make


def test_registry_and_settings() -> None:
    assert settings_model("fire.sia_dc09") is Settings
    assert isinstance(create_driver("fire.sia_dc09", Settings()), SiaDc09Driver)
    assert Settings(accounts=["abc"]).accounts == ["ABC"]
    for bad in ({"accounts": ["xyz"]}, {"timestamp_window": (10, 20)}, {"surprise": 1}):
        with pytest.raises(ValidationError):
            Settings(**bad)


def test_event_is_committed_before_the_ack_leaves(rig: Callable[..., Rig]) -> None:
    r = rig(slow_disk(0.3), points={"1234-3": "A栋3层-烟感03"})
    peer = r.peer()
    started = time.monotonic()
    peer.send(report(2))
    answer = peer.answer()
    stored = r.rows()  # read the instant the ACK bytes arrive
    assert time.monotonic() - started >= 0.3
    assert (answer.id_token, answer.sequence, answer.account) == ("ACK", "0002", "1234")
    assert [(k, s, p) for k, s, p, _ in stored] == [("fire.alarm", "active", "A栋3层-烟感03")]


def test_old_timestamp_is_naked_with_our_time_then_accepted(rig: Callable[..., Rig]) -> None:
    r = rig()
    peer = r.peer()
    peer.send(report(7, age_s=120))
    answer = peer.answer()
    assert answer.id_token == "NAK" and answer.sequence == "0000"
    assert abs((parse_timestamp(answer.body.rpartition("_")[2]) - now()).total_seconds()) < 5
    assert r.rows() == []
    peer.send(report(7))  # the panel restamps and retransmits
    assert peer.answer().id_token == "ACK"
    assert len(r.rows()) == 1
    assert r.driver.stats["rejected_timestamp"] == 1


@pytest.mark.parametrize(("reject_answer", "expected"), [("DUH", "DUH"), ("NAK", "NAK")])
def test_unknown_account_is_refused(rig: Callable[..., Rig], reject_answer: str, expected: str) -> None:
    r = rig(accounts=["1234"], reject_answer=reject_answer)
    peer = r.peer()
    peer.send(report(3, account="BBB"))
    answer = peer.answer()
    assert answer.id_token == expected
    if expected == "DUH":
        assert (answer.sequence, answer.account, answer.receiver, answer.prefix) == ("0003", "BBB", "1", "1")
    peer.send(report(4))
    assert peer.answer().id_token == "ACK"
    assert len(r.rows()) == 1


@pytest.mark.parametrize("key", [KEY128, KEY256], ids=["aes128", "aes256"])
def test_aes_round_trip(rig: Callable[..., Rig], key: str) -> None:
    r = rig(secrets={"dc09-key": key.lower()}, key_credential="dc09-key", require_encryption=True)
    peer = r.peer()
    peer.send(report(11, key=key))
    answer = peer.answer()
    assert answer.id_token == "ACK" and answer.encrypted
    assert open_message(answer, bytes.fromhex(key)).timestamp is not None  # decrypts with our key
    [(kind, _, _, payload)] = r.rows()
    assert kind == "fire.alarm" and json.loads(payload)["encrypted"] is True
    peer.send(report(12, key="FF" * 16))  # wrong key: garbage plaintext
    assert peer.answer().id_token == "DUH"
    peer.send(report(13))  # clear text while encryption is required
    assert peer.answer().id_token == "DUH"
    assert len(r.rows()) == 1
    assert r.driver.stats["rejected_decrypt"] == 1 and r.driver.stats["rejected_clear_text"] == 1
    assert r.health[-1][0] is HealthState.ONLINE


def test_missing_key_credential_degrades_health(rig: Callable[..., Rig]) -> None:
    r = rig(key_credential="absent")
    wait_for(lambda: r.health)
    assert r.health[-1][0] is HealthState.DEGRADED and "absent" in r.health[-1][1]
    peer = r.peer()
    peer.send(report(1, key=KEY128))
    assert peer.answer().id_token == "DUH"


def test_two_frames_in_one_read_are_both_acked(rig: Callable[..., Rig]) -> None:
    r = rig()
    peer = r.peer()
    peer.send(report(21, "Nri1/FA003") + report(22, "Nri1/FA004"))
    answers = [header_of(f) for f in peer.recv(2)]
    assert [(a.id_token, a.sequence) for a in answers] == [("ACK", "0021"), ("ACK", "0022")]
    assert [p for _, _, p, _ in r.rows()] == ["1234-3", "1234-4"]


def test_retransmission_is_acked_again_but_stored_once(rig: Callable[..., Rig]) -> None:
    r = rig()
    peer = r.peer()
    peer.send(report(30))
    assert peer.answer().id_token == "ACK"
    time.sleep(1.1)  # the retransmission carries a later timestamp
    peer.send(report(30))
    assert peer.answer().id_token == "ACK"
    assert len(r.rows()) == 1


def test_bad_crc_gets_no_answer_and_the_connection_survives(rig: Callable[..., Rig]) -> None:
    r = rig()
    peer = r.peer()
    good = report(40)
    peer.send(good[:1] + b"0000" + good[5:])
    assert peer.nothing_within(0.3)
    peer.send(b"\x00\xff garbage \r" + good)
    assert peer.answer().id_token == "ACK"
    assert r.driver.stats["frame_crc"] == 1 and r.driver.stats["garbage_bytes"] == 12


def test_unknown_event_code_gets_duh_and_is_kept(rig: Callable[..., Rig]) -> None:
    r = rig()
    peer = r.peer()
    peer.send(report(50, "NQZ003"))
    assert peer.answer().id_token == "DUH"
    assert [(k, s) for k, s, _, _ in r.rows()] == [("panel.unknown_code", "info")]


def test_null_is_acked_and_not_stored_and_answers_are_ignored(rig: Callable[..., Rig]) -> None:
    r = rig()
    peer = r.peer()
    peer.send(report(0, token="NULL"))
    assert peer.answer().id_token == "ACK"
    peer.send(encode_frame(b'"ACK"0002R1L1#1234[]'))  # not ours to answer: no ACK/DUH ping-pong
    assert peer.nothing_within(0.2)
    assert r.rows() == [] and r.driver.stats["null"] == 1


def test_udp(rig: Callable[..., Rig]) -> None:
    r = rig()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(5)
        sock.sendto(report(60, "Nri1/FT007") + report(61, "Nri1/FJ007"), ("127.0.0.1", r.port))
        answers = [header_of(FrameReader().feed(sock.recv(2048))[0]) for _ in range(2)]  # type: ignore[arg-type]
    assert [(a.id_token, a.sequence) for a in answers] == [("ACK", "0060"), ("ACK", "0061")]
    assert [(k, s) for k, s, _, _ in r.rows()] == [("fire.fault", "active"), ("fire.fault", "cleared")]


def test_supervision_fault_raised_and_cleared(rig: Callable[..., Rig]) -> None:
    r = rig(accounts=["1234"], supervision_s=0.6, points={"1234": "报警主机-1234"})
    wait_for(lambda: r.rows("kind = 'fire.link_fault'"), timeout=5)
    assert r.health[-1][0] is HealthState.DEGRADED
    peer = r.peer()
    peer.send(report(0, token="NULL"))
    assert peer.answer().id_token == "ACK"
    link = "kind = 'fire.link_fault'"
    rows = wait_for(lambda: len(r.rows(link)) == 2 and r.rows(link))
    assert [(s, p) for _, s, p, _ in rows] == [("active", "报警主机-1234"), ("cleared", "报警主机-1234")]
    assert r.health[-1][0] is HealthState.ONLINE


def test_independent_siadc09_transmitter(rig: Callable[..., Rig]) -> None:
    r = rig(secrets={"k": KEY128}, key_credential="k")
    peer = r.peer()
    acct = sd_account.Account(acct=0x1234, pref=1, rcvr=1)
    alarm = sd_message.EventMessage(acct, config={"idtoken": "SIA-DCS", "data": SdData(b"#1234|Nri1/FA003"),
                                                  "timestamp": sd_message.now()})
    peer.send(alarm.encode(seq=42))
    ack = sd_message.parse_frame(peer.recv(1)[0].raw)
    assert isinstance(ack, sd_message.AckMessage) and ack.seq == 42 and ack.account.acct == 0x1234
    keyed = sd_account.Account(acct=0x1234, pref=1, rcvr=1, key=KEY128)
    peer.send(sd_message.NullMessage(keyed).encode(seq=43, encrypt=True))
    ack = sd_message.parse_frame(peer.recv(1)[0].raw, bytes.fromhex(KEY128))
    assert isinstance(ack, sd_message.AckMessage) and ack.encrypted and ack.seq == 43
    assert [(k, p) for k, _, p, _ in r.rows()] == [("fire.alarm", "1234-3")]


def test_flood_with_garbage_loses_no_fire_alarm(rig: Callable[..., Rig]) -> None:
    r = rig()
    rng = random.Random(7)
    stream, valid = bytearray(), 0
    for seq in range(1, 1501):
        if seq % 5 == 0:
            wire = report(seq, f"Nri1/FA{seq // 5:03d}")  # 300 fire alarms, one per zone
        else:
            wire = report(seq, rng.choice(["NRP", "NOP001", "NBA002", "NTA001"]))
        if seq % 7 == 0:
            wire = wire[:1] + b"0000" + wire[5:]  # a corrupted copy first; the panel resends it
            stream += wire + report(seq, f"Nri1/FA{seq // 5:03d}" if seq % 5 == 0 else "NRP")
        else:
            stream += wire
        valid += 1
        stream += bytes(rng.choice(range(11, 256)) for _ in range(rng.randint(0, 12)))
    peer = r.peer()
    for start in range(0, len(stream), 4096):
        peer.send(bytes(stream[start:start + 4096]))
    answers = [header_of(f) for f in peer.recv(valid, timeout=20)]
    assert all(a.id_token == "ACK" for a in answers)
    fire_points = {p for k, s, p, _ in r.rows("kind = 'fire.alarm'")}
    assert fire_points == {f"1234-{zone}" for zone in range(1, 301)}
    assert r.driver.stats["frame_crc"] == 1500 // 7 and r.driver.stats["garbage_bytes"] > 0


def test_slow_sender_is_cut_off(rig: Callable[..., Rig]) -> None:
    r = rig(frame_deadline_s=0.3)
    peer = r.peer()
    wire = report(70)
    peer.send(wire[:10])
    with contextlib.suppress(OSError):  # the receiver hangs up on us part-way
        for byte in wire[10:30]:
            time.sleep(0.1)
            peer.send(bytes([byte]))
    assert peer.closed_within(2)
    assert r.driver.stats["frame_deadline"] == 1 and r.rows() == []


def test_connection_cap_per_peer(rig: Callable[..., Rig]) -> None:
    r = rig(max_connections_per_ip=1)
    first = r.peer()
    first.send(report(80))
    assert first.answer().id_token == "ACK"
    assert r.peer().closed_within(2)
    first.send(report(81))
    assert first.answer().id_token == "ACK"


def test_simulator_recovers_from_every_fault(rig: Callable[..., Rig]) -> None:
    r = rig(points={"1234-3": "A栋-3"})

    async def play() -> simulator.SimStats:
        async with simulator.Transmitter("127.0.0.1", r.port, account="1234", answer_timeout_s=2.0,
                                         faults=["bad-crc", "old-timestamp", "split", "garbage"]) as sender:
            return await sender.play("fire")

    stats = asyncio.run(play())
    assert (stats.reports, stats.acked, stats.failed) == (2, 2, 0)
    assert stats.no_answer == 2 and stats.naked == 2 and stats.clock_corrections == 2
    assert [(k, s, p) for k, s, p, _ in r.rows()] == [("fire.alarm", "active", "A栋-3"),
                                                      ("fire.alarm", "cleared", "A栋-3")]


def test_simulator_cli_udp_contact_id_coalesced_and_encrypted(rig: Callable[..., Rig],
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    r = rig(secrets={"k": KEY256}, key_credential="k")
    base = ["--port", str(r.port), "--account", "1234", "--timeout", "2"]
    assert simulator.main([*base, "--udp", "--format", "cid", "--scenario", "trouble", "--scenario", "null",
                           "--fault", "coalesce"]) == 0
    assert simulator.main([*base, "--scenario", "mains-failure", "--scenario", "burglary",
                           "--fault", "encrypt", "--key", KEY256, "--sequence", "100"]) == 0
    first, second = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert (first["reports"], first["acked"], first["failed"]) == (3, 3, 0)
    assert (second["reports"], second["acked"], second["failed"]) == (4, 4, 0)
    assert [(k, s) for k, s, _, _ in r.rows()] == [
        ("fire.fault", "active"), ("fire.fault", "cleared"), ("fire.mains_fault", "active"),
        ("fire.mains_fault", "cleared"), ("security.intrusion", "active"), ("security.intrusion", "cleared")]
    assert simulator.main(["--port", "1", "--timeout", "0.2", "--retries", "0"]) == 1
