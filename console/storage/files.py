"""Evidence files (face, plate and vehicle pictures, snapshots) under the data directory, by day and kind."""

from __future__ import annotations

import hashlib
import os
import re
from datetime import UTC, datetime
from pathlib import Path

FILES_DIR = "files"
MAX_FILE_BYTES = 8 * 1024 * 1024  # a picture bigger than this is refused, not written
_CATEGORY = re.compile(r"^[a-z][a-z0-9_-]{0,23}$")
_SUFFIX = re.compile(r"^\.[a-z0-9]{1,8}$")


class FileRefused(ValueError):
    """The file was not written (too big, empty, bad category or suffix)."""


class FileStore:
    """Writes content-addressed files to ``<data>/files/<category>/<YYYY-MM-DD>/<sha256>.<suffix>``.

    Content addressing makes a replayed push (the same picture twice) one file; the day folder lets
    retention delete person data by date without reading the database.
    """

    def __init__(self, data_dir: Path, max_bytes: int = MAX_FILE_BYTES) -> None:
        self.data_dir = Path(data_dir)
        self.max_bytes = max_bytes

    def save(self, category: str, data: bytes, suffix: str, now: datetime | None = None) -> str:
        """Write ``data`` durably and return its path relative to the data directory."""
        if not _CATEGORY.match(category):
            raise FileRefused(f"bad file category {category!r}")
        suffix = suffix.lower() if suffix.startswith(".") else "." + suffix.lower()
        if not _SUFFIX.match(suffix):
            raise FileRefused(f"bad file suffix {suffix!r}")
        if not data:
            raise FileRefused("empty file")
        if len(data) > self.max_bytes:
            raise FileRefused(f"file of {len(data)} bytes is over the {self.max_bytes}-byte cap")
        day = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%d")
        digest = hashlib.sha256(data).hexdigest()
        relative = Path(FILES_DIR, category, day, digest + suffix)
        target = self.data_dir / relative
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{digest}.{os.getpid()}.tmp")
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        return relative.as_posix()

    def path(self, relative: str) -> Path:
        """The absolute path of a stored file; refuses anything that would leave the files folder."""
        target = (self.data_dir / relative).resolve()
        root = (self.data_dir / FILES_DIR).resolve()
        if root not in target.parents:
            raise FileRefused(f"{relative!r} is not a stored file")
        return target
