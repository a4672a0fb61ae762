"""GB/T 26875.3 server over real sockets: ACK after commit, NAK, reassembly, deadlines, caps, flood."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from datetime import datetime
from typing import Any

import pytest

from console.storage.store import Store
from drivers.base import DeviceEvent, DeviceInfo, HealthState
from drivers.fire.gb26875.adu import ComponentState, UitdState, encode_adu
from drivers.fire.gb26875.driver import GB26875Driver, Settings, create
from drivers.fire.gb26875.fields import component_address
from drivers.fire.gb26875.frame import (
    Command,
    Frame,
    FrameReader,
    ack_for,
    address_from_int,
    answer_for,
    encode_frame,
    nak_for,
    parse_frame,
)
from drivers.fire.gb26875.tables import ComponentStatus, UitdStatus
from drivers.fire.gb26875.timetag import encode_time
from tests.drivers.rig import DriverRig, FramePeer, Ingest, slow_disk, wait_for
from tests.drivers.rig import Rigs as BaseRigs

UITD = address_from_int(889)
CENTER = address_from_int(88888)
# PROTOCOLS.md §1.1: 感烟探测器 火警 at 2号10区, serial 1, UITD 889 -> centre 88888.
GOLDEN = bytes.fromhex(
    "4040 0100 0101 203A091A090C 790300000000 385B01000000 3000 02"
    "0201 0101280A000200 0200" + "20" * 30 + "00" + "023A091A090C 46 2323"
)
NOISE = bytes(b for b in range(256) if b != 0x40)  # garbage that never fakes a start marker


def frame(serial: int, adu: bytes = b"", command: int = Command.SEND, source: bytes = UITD) -> bytes:
    return encode_frame(Frame.build(serial=serial, command=command, source=source, dest=CENTER,
                                    time=datetime(2026, 5, 1, 8, 0, 0), adu=adu))


def parts_adu(*parts: tuple[int, int], status: ComponentStatus = ComponentStatus.FIRE, second: int = 0
              ) -> bytes:
    """A type-2 report of smoke detectors (zone, number), stamped 2026-05-01 08:00:<second>."""
    tag = encode_time(datetime(2026, 5, 1, 8, 0, second))
    return encode_adu([ComponentState(
        system_type=1, system_addr=1, component_type=42, component_addr=component_address(zone, number),
        status=status, description=f"{zone}区{number}号", time_raw=tag,
    ) for zone, number in parts])


def corrupt(wire: bytes) -> bytes:
    return wire[:-3] + bytes(((wire[-3] + 1) & 0xFF,)) + wire[-2:]


class Peer(FramePeer):
    """A blocking test client that collects the centre's answers."""

    def __init__(self, port: int) -> None:
        super().__init__(port)
        self.reader = FrameReader()

    def frames(self, data: bytes) -> list[Frame]:
        items = self.reader.feed(data)
        for item in items:
            assert isinstance(item, Frame), item
        return items  # type: ignore[return-value]


class Rig(DriverRig):
    """A real Store and DriverHost running one fire.gb26875 driver on an ephemeral port."""

    driver: GB26875Driver
    columns = "kind, state, summary, point"

    def __init__(self, *args: Any, **options: Any) -> None:
        super().__init__(*args, **options)
        self.port = wait_for(lambda: self.driver.bound_port)

    def peer(self) -> Peer:
        peer = Peer(self.port)
        self.on_close(peer.close)
        return peer

    def events(self, where: str = "1") -> list[tuple[Any, ...]]:
        return self.rows(where)

    def call(self, name: str, args: dict[str, Any] | None = None, timeout: float = 10) -> Any:
        return self.host.call("fire-1", name, args).result(timeout)


class Rigs:
    """``rigs(ingest, points, **settings)``: a started Rig, closed after the test."""

    def __init__(self, made: BaseRigs) -> None:
        self.made = made

    def __call__(self, ingest: Ingest | None = None, points: dict[str, str] | None = None,
                 **settings: Any) -> Rig:
        return self.made(create(Settings(listen_port=0, **settings)),
                         DeviceInfo("fire-1", "消防主机", "panel", points=points or {}), Rig, ingest=ingest)


@pytest.fixture
def rigs(driver_rigs: BaseRigs) -> Rigs:
    return Rigs(driver_rigs)


def test_fire_alarm_is_committed_before_the_ack_leaves(rigs: Rigs) -> None:
    rig = rigs(slow_disk(0.3), points={"1-1-10-2": "dorm3.f2.r201"})
    peer = rig.peer()
    started = time.monotonic()
    peer.send(GOLDEN)
    [ack] = peer.recv()
    assert time.monotonic() - started >= 0.3, "the ACK did not wait for the commit"
    [(kind, state, summary, point)] = rig.events()
    assert (kind, state, point) == ("fire.alarm", "active", "dorm3.f2.r201") and "感烟" in summary
    golden = parse_frame(GOLDEN)
    assert ack.command == Command.ACK and ack.serial == 1 and not ack.adu
    assert (ack.source, ack.dest) == (golden.dest, golden.source)
    assert ack.raw == ack_for(golden, ack.time_tag)  # the documented shape, stamped with our clock
    assert rig.health[0] == (HealthState.ONLINE, f"listening on 127.0.0.1:{rig.port}")


@pytest.mark.allow_error_logs
def test_store_failure_withholds_the_ack_and_the_retransmission_is_stored_once(rigs: Rigs) -> None:
    broken = threading.Event()
    broken.set()

    def disk_full(tx: Any) -> None:
        raise OSError("disk full")

    def flaky(store: Store) -> Callable[[DeviceEvent], Future[Any]]:
        def ingest(event: DeviceEvent) -> Future[Any]:
            # Fail inside the writer thread, the way a real commit failure reaches the driver.
            return store.submit(disk_full) if broken.is_set() else store.ingest(event)
        return ingest

    rig = rigs(flaky)
    peer = rig.peer()
    peer.send(GOLDEN)
    assert peer.nothing_within(0.5), "a frame that was not stored must not be acknowledged"
    peer.send(frame(7))  # a heartbeat stores nothing and is ACKed: the connection survived
    assert peer.recv()[0].serial == 7
    broken.clear()
    peer.send(GOLDEN)  # the UITD's retransmission
    assert peer.recv()[0].serial == 1
    assert rig.count("kind = 'fire.alarm'") == 1


def test_bad_checksum_is_naked_and_the_connection_stays_usable(rigs: Rigs) -> None:
    rig = rigs()
    peer = rig.peer()
    peer.send(corrupt(GOLDEN))
    [nak] = peer.recv()
    assert nak.command == Command.NAK and nak.serial == 1 and (nak.source, nak.dest) == (CENTER, UITD)
    assert nak.raw == nak_for(parse_frame(GOLDEN), nak.time_tag)
    assert rig.count() == 0
    peer.send(GOLDEN)
    assert peer.recv()[0].command == Command.ACK and rig.count("kind = 'fire.alarm'") == 1


@pytest.mark.parametrize(("wire", "reason"), [
    (frame(1, command=7), "reserved command"),
    (frame(1, command=0x80), "user-defined command"),
    (frame(1, bytes.fromhex("5101 00"), command=Command.REQUEST), "query from a UITD"),
    (frame(1, parts_adu((1, 1))[:-1]), "n x body size disagrees with the length"),
    (frame(1, bytes.fromhex("3D 01 01 01")), "reserved ADU type"),
], ids=["cmd7", "cmd128", "query", "length", "type61"])
def test_invalid_frames_are_naked_without_dispatch(rigs: Rigs, wire: bytes, reason: str) -> None:
    rig = rigs()
    peer = rig.peer()
    peer.send(wire + GOLDEN)
    nak, ack = peer.recv(2)
    assert (nak.command, nak.serial, ack.command) == (Command.NAK, 1, Command.ACK), reason
    assert rig.count() == 1


def test_user_defined_adu_is_kept_raw_and_acked(rigs: Rigs) -> None:
    rig = rigs()
    peer = rig.peer()
    wire = frame(3, bytes.fromhex("90 02 AA BB"))
    peer.send(wire)
    assert peer.recv()[0].command == Command.ACK
    summary = "自定义数据（类型 144）：用户信息传输装置 889"
    assert rig.events() == [("fire.user_data", "info", summary, "uitd")]


def test_split_at_many_offsets_and_twenty_coalesced_frames(rigs: Rigs) -> None:
    rig = rigs()
    peer = rig.peer()
    offsets = sorted({1, 2, 3, 26, 27, 28, len(GOLDEN) - 1, *range(4, len(GOLDEN), 9)})
    for offset in offsets:
        peer.send(GOLDEN[:offset])
        time.sleep(0.003)
        peer.send(GOLDEN[offset:])
        assert peer.recv()[0].serial == 1
    assert rig.count("kind = 'fire.alarm'") == 1  # same frame each time: one alarm
    full = frame(2, parts_adu(*[(20, n) for n in range(22)]))  # 22 objects: the 1044-byte frame
    assert len(full) == 1044
    cut = sorted(random.Random(5).sample(range(1, len(full)), 3))
    for a, b in zip([0, *cut], [*cut, len(full)], strict=True):
        peer.send(full[a:b])
        time.sleep(0.003)
    assert peer.recv()[0].serial == 2 and rig.count("point LIKE '1-1-20-%'") == 22
    peer.send(b"".join(frame(100 + i, parts_adu((30, i))) for i in range(20)))
    assert [f.serial for f in peer.recv(20)] == list(range(100, 120))
    assert rig.count("point LIKE '1-1-30-%'") == 20


def test_garbage_between_frames_is_skipped(rigs: Rigs) -> None:
    rig = rigs()
    peer = rig.peer()
    rng = random.Random(1)
    stream = b"".join(bytes(rng.choices(NOISE, k=rng.randint(1, 40))) + b"@#" + frame(i, parts_adu((40, i)))
                      for i in range(10))
    peer.send(stream)
    assert [f.serial for f in peer.recv(10)] == list(range(10))
    assert rig.count("point LIKE '1-1-40-%'") == 10


def test_retransmission_is_acked_again_but_raises_one_alarm(rigs: Rigs) -> None:
    rig = rigs()
    first = rig.peer()
    first.send(GOLDEN)
    first.send(GOLDEN)
    assert [f.command for f in first.recv(2)] == [Command.ACK, Command.ACK]
    first.close()
    second = rig.peer()  # the UITD reconnected and resent the frame it had no ACK for
    second.send(GOLDEN)
    assert second.recv()[0].command == Command.ACK
    conn = rig.store.reader()
    [(key,)] = conn.execute("SELECT dedup_key FROM events WHERE kind = 'fire.alarm'").fetchall()
    conn.close()
    assert rig.count("dedup_key = ?", (key,)) == 1


def test_alarm_during_an_outstanding_query_and_shutdown_closes_connections(rigs: Rigs) -> None:
    rig = rigs()
    peer = rig.peer()
    peer.send(frame(0))
    peer.recv()
    pending = rig.host.call("fire-1", "read_status", {})
    [query] = peer.recv()
    assert (query.command, query.adu) == (Command.REQUEST, bytes.fromhex("51 01 00"))
    peer.send(GOLDEN)  # the UITD reports a fire before it answers our query
    assert peer.recv()[0].command == Command.ACK and rig.count("kind = 'fire.alarm'") == 1
    state = encode_adu([UitdState(status=UitdStatus.NORMAL | UitdStatus.MAINS_FAULT, time_raw=GOLDEN[-9:-3])])
    peer.send(answer_for(query, Command.RESPONSE, datetime(2026, 5, 1), state))
    result = pending.result(5)
    assert result["type"] == 21 and result["records"][0]["flag_names"] == ["NORMAL", "MAINS_FAULT"]
    assert rig.count("kind = 'fire.mains_fault'") == 1, "the answer is the UITD's state: it is stored"
    rig.host.stop()
    assert peer.closed_within(2.0), "stopping the driver closes its connections"
