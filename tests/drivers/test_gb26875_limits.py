"""GB/T 26875.3 server limits over real sockets: deadlines, connection caps, UDP, settings, a 10k flood."""

from __future__ import annotations

import asyncio
import random
import socket
import time

import pytest
from pydantic import ValidationError

from drivers.base import create_driver, settings_model
from drivers.fire.gb26875.driver import GB26875Driver, Settings
from drivers.fire.gb26875.frame import Command, Frame, FrameReader, parse_frame
from drivers.fire.gb26875.tables import ComponentStatus
from tests.drivers.rig import wait_for
from tests.drivers.test_gb26875_session import GOLDEN, NOISE, Rigs, corrupt, frame, parts_adu, rigs

__all__ = ["rigs"]  # the fixture, used by name


def test_slow_loris_is_closed_at_the_frame_deadline(rigs: Rigs) -> None:
    rig = rigs(frame_deadline_s=0.4)
    peer = rig.peer()
    started, closed = time.monotonic(), False
    for byte in GOLDEN:  # one byte every 0.1 s: the frame would take 7.8 s
        try:
            peer.send(bytes((byte,)))
        except ConnectionError:
            closed = True
        if closed or peer.closed_within(0.1):
            break
    assert 0.35 < time.monotonic() - started < 2.0
    assert rig.count() == 0


def test_idle_half_open_peer_times_out(rigs: Rigs) -> None:
    rig = rigs(idle_timeout_s=0.4)
    peer = rig.peer()
    peer.send(frame(1))
    assert peer.recv()[0].command == Command.ACK
    started = time.monotonic()
    assert peer.closed_within(3.0)
    assert 0.3 < time.monotonic() - started < 2.0


def test_connection_caps_and_allowed_peers(rigs: Rigs) -> None:
    rig = rigs(max_connections_per_ip=2)
    a, b, c = rig.peer(), rig.peer(), rig.peer()
    assert c.closed_within(2.0), "the third connection from one address is refused"
    for peer in (a, b):
        peer.send(frame(5))
        assert peer.recv()[0].serial == 5
    a.close()
    wait_for(lambda: rig.call("status")["connections"] == 1)
    d = rig.peer()
    d.send(frame(6))
    assert d.recv()[0].serial == 6 and rig.call("status")["refused"] == 1
    fenced = rigs(allowed_peers=["10.0.0.0/8"])
    assert fenced.peer().closed_within(2.0)


def test_udp_datagram_is_stored_and_acked(rigs: Rigs) -> None:
    rig = rigs(udp=True)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(5)
        sock.sendto(GOLDEN, ("127.0.0.1", rig.port))
        data, _ = sock.recvfrom(2048)
    assert parse_frame(data).command == Command.ACK and rig.count("kind = 'fire.alarm'") == 1


def test_settings_are_registered_and_validated() -> None:
    assert settings_model("fire.gb26875") is Settings
    assert isinstance(create_driver("fire.gb26875", Settings()), GB26875Driver)
    for bad in ({"listen_prot": 1}, {"center_address": "0x15B38"}, {"allowed_peers": ["10.0.0.0/33"]},
                {"command_timeout_s": 0}):
        with pytest.raises(ValidationError):
            Settings(**bad)


def test_flood_of_10k_frames_loses_no_fire_alarm(rigs: Rigs) -> None:
    rig = rigs()
    rng = random.Random(7)
    fires = [frame(i, parts_adu((50 + i // 60, i % 60), second=i % 60)) for i in range(100)]
    faults = [frame(200 + i, parts_adu((90, i), status=ComponentStatus.FAULT)) for i in range(30)]
    plan = fires + [corrupt(frame(300 + i, parts_adu((91, i)))) for i in range(1000)]
    plan += [faults[i % 30] for i in range(900)] + [frame(i % 65536) for i in range(8000)]
    rng.shuffle(plan)
    stream = b"".join((bytes(rng.choices(NOISE, k=rng.randint(1, 20))) if i % 10 == 0 else b"") + wire
                      for i, wire in enumerate(plan))

    async def flood() -> tuple[int, int]:
        reader, writer = await asyncio.open_connection("127.0.0.1", rig.port)
        counts = {Command.ACK: 0, Command.NAK: 0}

        async def answers() -> None:
            frames = FrameReader()
            while sum(counts.values()) < len(plan):
                for item in frames.feed(await reader.read(65536)):
                    assert isinstance(item, Frame)
                    counts[Command(item.command)] += 1

        collector = asyncio.create_task(answers())
        for pos in range(0, len(stream), 32768):
            writer.write(stream[pos:pos + 32768])
            await writer.drain()
        await asyncio.wait_for(collector, 30)
        writer.close()
        await writer.wait_closed()
        return counts[Command.ACK], counts[Command.NAK]

    assert asyncio.run(flood()) == (9000, 1000)
    assert rig.count("kind = 'fire.alarm'") == 100, "every fire alarm is stored"
    assert rig.count("kind = 'fire.fault'") == 30, "retransmitted faults are merged"
    survivor = rig.peer()
    survivor.send(frame(1))
    assert survivor.recv()[0].command == Command.ACK
