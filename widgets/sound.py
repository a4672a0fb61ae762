"""Alarm sounds: the loudest unacknowledged, unsilenced alarm loops until acknowledged or silenced."""

from __future__ import annotations

import importlib.resources
import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QMessageLogContext, QObject, QtMsgType, QUrl, Signal, qInstallMessageHandler

from console.domain.sound import Sound, sound_to_play
from console.services.facade import ConsoleServices

from .bridge import Bridge

log = logging.getLogger(__name__)

SOUND_FILES = {Sound.FIRE: "fire.wav", Sound.FAULT: "fault.wav", Sound.SECURITY: "security.wav"}
_probe: bool | None = None


def sound_path(sound: Sound) -> Path:
    return Path(str(importlib.resources.files("resources").joinpath("sounds", SOUND_FILES[sound])))


def _to_debug_log(msg_type: QtMsgType, context: QMessageLogContext, message: str) -> None:
    log.debug("audio probe: %s: %s", context.category, message)


def audio_output_available() -> bool:
    """Whether the system has a default audio output (asked once per process).

    Importing QtMultimedia and asking for the default output makes the backend probe optional system
    libraries (PipeWire, VA-API, PulseAudio) and log each miss as a Qt warning. On a console without a
    sound card that is expected and nothing an officer can act on, so during the probe Qt's messages go to
    our debug log; we log one line of our own instead.
    """
    global _probe
    if _probe is None:
        previous = qInstallMessageHandler(_to_debug_log)
        try:
            from PySide6.QtMultimedia import QMediaDevices

            _probe = not QMediaDevices.defaultAudioOutput().isNull()
        finally:
            qInstallMessageHandler(previous)
        if not _probe:
            log.info("no audio output: alarm sounds are tracked but not played")
    return _probe


class AlarmSounder(QObject):
    """Plays ``sound_to_play(open alarms, silenced)``; without an audio device it keeps only the state.

    Attributes:
        current_sound: the sound that is (or, without audio, would be) looping now; None when quiet.
    """

    # ---- Signals
    sig_sound_changed = Signal(object)
    """Sound | None: the looping sound changed (a new alarm, an acknowledgement, a silence)."""

    def __init__(
        self,
        services: ConsoleServices,
        bridge: Bridge,
        parent: QObject | None = None,
        *,
        audio: bool | None = None,
    ) -> None:
        super().__init__(parent)
        self._services = services
        self.audio = audio_output_available() if audio is None else audio
        self._effects: dict[Sound, Any] = self._load_effects() if self.audio else {}
        self.current_sound: Sound | None = None
        bridge.sig_alarms_settled.connect(self.refresh)
        self.refresh()

    def _load_effects(self) -> dict[Sound, Any]:
        from PySide6.QtMultimedia import QSoundEffect

        effects = {}
        for sound in Sound:
            effect = QSoundEffect(self)
            effect.setSource(QUrl.fromLocalFile(str(sound_path(sound))))
            effect.setLoopCount(QSoundEffect.Loop.Infinite.value)
            effects[sound] = effect
        return effects

    def refresh(self, *_: object) -> None:
        alarms = self._services.alarms
        self.set_sound(sound_to_play(alarms.open_alarms(), alarms.silenced))

    def set_sound(self, sound: Sound | None) -> None:
        if sound == self.current_sound:
            return
        if self.current_sound is not None and self.current_sound in self._effects:
            self._effects[self.current_sound].stop()
        self.current_sound = sound
        if sound is not None and sound in self._effects:
            self._effects[sound].play()
        self.sig_sound_changed.emit(sound)

    def stop(self) -> None:
        self.set_sound(None)
