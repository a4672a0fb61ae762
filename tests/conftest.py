"""Suite-wide guards: offscreen Qt, a fast password hasher, and no thread may outlive its test."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_QUICK_BACKEND", "software")

from argon2 import PasswordHasher  # noqa: E402

# Threads that libraries keep for the life of the process; they are not ours to join.
_PROCESS_THREADS = (
    "QDBusConnection",
    "Thread-pool",
    "hypothesis",
    "asyncio_",
    "ThreadPoolExecutor",
    "pydevd",
)


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 5
    leaked: list[threading.Thread] = []
    while time.monotonic() < deadline:
        leaked = [
            t
            for t in threading.enumerate()
            if t not in before and t.is_alive() and not t.name.startswith(_PROCESS_THREADS)
        ]
        if not leaked:
            return
        time.sleep(0.05)
    pytest.fail(f"threads left running after the test: {[t.name for t in leaked]}")


class _ErrorLogTrap(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def no_unexpected_error_logs(request: pytest.FixtureRequest) -> Iterator[None]:
    """An ERROR log line fails the test unless the test says it provokes one (allow_error_logs)."""
    trap = _ErrorLogTrap()
    root = logging.getLogger()
    root.addHandler(trap)
    yield
    root.removeHandler(trap)
    if trap.records and request.node.get_closest_marker("allow_error_logs") is None:
        lines = [f"{r.name}: {r.getMessage()}" for r in trap.records[:5]]
        pytest.fail("unexpected error log lines:\n" + "\n".join(lines))


@pytest.fixture
def fast_hasher() -> PasswordHasher:
    """argon2id with test-sized costs: the production parameters are exercised in test_accounts."""
    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path
