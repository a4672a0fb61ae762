"""Generate the bundled alarm sounds (resources/sounds/*.wav) with numpy: run once, commit the WAVs."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

RATE = 16_000  # plenty for tones below 4 kHz, and keeps the three files well under 200 KB together
OUT = Path(__file__).resolve().parent.parent / "resources" / "sounds"


def _tone(freq: float, seconds: float, harmonics: tuple[float, ...] = (1.0,)) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    wave_ = sum(a * np.sin(2 * np.pi * freq * (k + 1) * t) for k, a in enumerate(harmonics))
    return wave_ / sum(harmonics)


def _fade(x: np.ndarray, ms: float = 8.0) -> np.ndarray:
    # Short ramps at both ends: no click at each tone change or at the loop seam.
    n = min(int(RATE * ms / 1000), len(x) // 2)
    ramp = np.linspace(0.0, 1.0, n)
    x = x.copy()
    x[:n] *= ramp
    x[len(x) - n :] *= ramp[::-1]
    return x


def _silence(seconds: float) -> np.ndarray:
    return np.zeros(int(RATE * seconds))


def fire() -> np.ndarray:
    """Urgent hi-lo two-tone, 4 changes a second, rich in odd harmonics so it cuts through a noisy room."""
    hi, lo = (_fade(_tone(f, 0.2, (1.0, 0.0, 0.35, 0.0, 0.15))) for f in (960.0, 770.0))
    return np.concatenate([hi, lo] * 4)


def fault() -> np.ndarray:
    """A single, slower beep once a second and a bit: noticeable, not alarming."""
    return np.concatenate([_fade(_tone(800.0, 0.25, (1.0, 0.2))), _silence(0.95)])


def security() -> np.ndarray:
    """A descending two-note chime with a bell-like decay."""
    notes = []
    for freq in (1318.5, 1046.5):
        t = np.arange(int(RATE * 0.6)) / RATE
        notes.append(_fade(_tone(freq, 0.6, (1.0, 0.5, 0.25)) * np.exp(-t * 5.0)))
    return np.concatenate([notes[0], notes[1], _silence(0.3)])


def write(path: Path, samples: np.ndarray, volume: float = 0.8) -> None:
    pcm = (np.clip(samples, -1.0, 1.0) * volume * 32767).astype("<i2")
    with wave.open(str(path), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(RATE)
        f.writeframes(pcm.tobytes())


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, make in (("fire", fire), ("fault", fault), ("security", security)):
        path = OUT / f"{name}.wav"
        write(path, make())
        print(f"{path} ({path.stat().st_size // 1024} KB)")  # noqa: T201 - a build script reports


if __name__ == "__main__":
    main()
