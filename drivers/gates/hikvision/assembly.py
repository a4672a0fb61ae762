"""Pairs each event body of the alertStream with the JPEG parts that follow it (pure, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field

from drivers.gates.hikvision.events import Decoded, picture_category


@dataclass(frozen=True, slots=True)
class Ready:
    """An event whose pictures (category, bytes) have all arrived, or that stopped waiting for them."""

    decoded: Decoded
    pictures: tuple[tuple[str, bytes], ...] = ()


@dataclass
class PictureAssembler:
    """An event that announces pictures (``picturesNumber`` / ``picNum``) waits for that many JPEG parts;
    the next event body, or the caller's timeout (``flush``), releases it with what it has."""

    stray: int = 0  # pictures with no event waiting for them
    _pending: Decoded | None = None
    _pictures: list[tuple[str, bytes]] = field(default_factory=list)

    @property
    def waiting(self) -> bool:
        return self._pending is not None

    def event(self, decoded: Decoded) -> list[Ready]:
        out = self.flush()
        if decoded.pictures_expected <= 0:
            out.append(Ready(decoded))
        else:
            self._pending = decoded
        return out

    def picture(self, filename: str | None, data: bytes) -> list[Ready]:
        pending = self._pending
        if pending is None:
            self.stray += 1
            return []
        self._pictures.append((picture_category(filename, pending.picture_kind, len(self._pictures)), data))
        if len(self._pictures) >= pending.pictures_expected:
            return self.flush()
        return []

    def flush(self) -> list[Ready]:
        if self._pending is None:
            return []
        ready = Ready(self._pending, tuple(self._pictures))
        self._pending, self._pictures = None, []
        return [ready]
