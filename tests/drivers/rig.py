"""The one driver test rig: a real Store and DriverHost running drivers, plus waiting and reading helpers."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from console.drivers_host import Backoff, DriverHost
from console.storage.files import FileStore
from console.storage.store import Store
from drivers.base import DeviceEvent, DeviceInfo, Driver, HealthState

# A test's stand-in for the store's ingest (a slow disk, a full disk): it wraps the real store's.
Ingest = Callable[[Store], Callable[[DeviceEvent], "Future[Any]"]]
SaveFile = Callable[[str, bytes, str], str]
R = TypeVar("R", bound="DriverRig")


def wait_for(probe: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    """The first truthy value ``probe`` returns; AssertionError when none comes within ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := probe():
            return value
        time.sleep(0.01)
    raise AssertionError(f"{what} not reached in {timeout} s")


def read(store: Store, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Rows of one query on a fresh reader connection (what the GUI and services would see)."""
    conn = store.reader()
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def slow_disk(seconds: float) -> Ingest:
    """An ingest wrapper whose every commit first waits ``seconds``, as on a slow disk."""

    def wrap(store: Store) -> Callable[[DeviceEvent], Future[Any]]:
        def ingest(event: DeviceEvent) -> Future[Any]:
            store.submit(lambda tx: time.sleep(seconds))  # queued ahead of the event's own commit
            return store.ingest(event)

        return ingest

    return wrap


class DriverRig:
    """A real Store and DriverHost running ``driver`` for ``device`` (and any ``more``), already started.

    ``health`` records (state, reason) of every device, ``device_health`` (device, state, reason).
    ``files=True`` gives the host a real FileStore in the data dir (``self.files``); ``save_file`` any
    other picture sink. ``batch=True`` hands the host the store's ``ingest_many`` (unless ``ingest`` wraps
    the store's ingest, which has no batch form).
    """

    columns = "kind, state, point, payload"

    def __init__(self, data_dir: Path, driver: Driver, device: DeviceInfo, *,
                 more: Sequence[tuple[DeviceInfo, Driver]] = (), secrets: Mapping[str, str] | None = None,
                 ingest: Ingest | None = None, batch: bool = False, files: bool = False,
                 save_file: SaveFile | None = None, backoff: Backoff | None = None) -> None:
        self.data_dir = data_dir
        self.driver = driver
        self.store = Store(data_dir).open()
        self.health: list[tuple[HealthState, str]] = []
        self.device_health: list[tuple[str, HealthState, str]] = []
        self.files = FileStore(data_dir) if files else None
        self._closers: list[Callable[[], object]] = []
        self.host = DriverHost(
            ingest(self.store) if ingest else self.store.ingest, self._on_health, dict(secrets or {}).get,
            backoff=backoff or Backoff(initial=0.05, maximum=0.2), on_batch=self.store.add_batch_listener,
            ingest_many=self.store.ingest_many if batch and not ingest else None,
            files=self.files.save if self.files else save_file)
        self.devices = [(device, driver), *more]
        for info, each in self.devices:
            self.host.add(info, each)
        self.host.start()

    def _on_health(self, device: str, state: HealthState, reason: str) -> None:
        self.health.append((state, reason))
        self.device_health.append((device, state, reason))

    def sql(self, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return read(self.store, query, params)

    def rows(self, where: str = "1", params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """The stored events' ``columns`` in commit order."""
        return self.sql(f"SELECT {self.columns} FROM events WHERE {where} ORDER BY id", params)

    def count(self, where: str = "1", params: Sequence[Any] = ()) -> int:
        return int(self.sql(f"SELECT count(*) FROM events WHERE {where}", params)[0][0])

    def on_close(self, close: Callable[[], object]) -> None:
        """Run ``close`` (a test peer's) before the host stops."""
        self._closers.append(close)

    def close(self) -> None:
        for close in self._closers:
            close()
        self.host.stop()
        self.store.close()


class Rigs:
    """Makes rigs (``cls`` a DriverRig subclass) in one test's folder; ``close`` closes them, last first.

    ``later(close)`` puts anything else (a simulator, a test device) on the same stack.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.made = 0
        self._stack = contextlib.ExitStack()

    def __call__(self, driver: Driver, device: DeviceInfo, cls: type[R] = DriverRig,  # type: ignore[assignment]
                 **options: Any) -> R:
        rig = cls(self.root / f"rig{self.made}", driver, device, **options)
        self.made += 1
        self._stack.callback(rig.close)
        return rig

    def later(self, close: Callable[[], object]) -> None:
        self._stack.callback(close)

    def close(self) -> None:
        self._stack.close()


class FramePeer:
    """A blocking TCP test client that collects the frames a receiver answers with.

    Subclasses say how bytes become frames (``frames``); EOF before enough frames is an EOFError.
    """

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.inbox: list[Any] = []

    def frames(self, data: bytes) -> list[Any]:
        raise NotImplementedError

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def recv(self, n: int = 1, timeout: float = 10.0) -> list[Any]:
        deadline = time.monotonic() + timeout
        while len(self.inbox) < n:
            self.sock.settimeout(max(0.001, deadline - time.monotonic()))
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("the receiver closed the connection")
            self.inbox += self.frames(data)
        out, self.inbox = self.inbox[:n], self.inbox[n:]
        return out

    def nothing_within(self, timeout: float) -> bool:
        try:
            self.recv(1, timeout)
        except TimeoutError:
            return True
        return False

    def closed_within(self, timeout: float) -> bool:
        self.sock.settimeout(timeout)
        try:
            while self.sock.recv(65536):
                pass
        except TimeoutError:
            return False
        except ConnectionError:
            pass
        return True

    def close(self) -> None:
        self.sock.close()
