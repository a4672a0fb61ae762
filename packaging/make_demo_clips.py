"""Generate the demo site's camera clips (resources/demo/clips/*.mp4) with numpy + PyAV: run once, commit.

Each of the nine demo cameras gets a synthetic scene (a textured background, people and vehicles that move
on paths which close exactly at the loop point, an on-screen clock like a camera's OSD), encoded as H.264
twice: a 640×360 main stream and a 320×180 sub stream. Deterministic: the same script writes the same
pictures. ``--seconds`` and ``--crf`` trade length and quality against the repository's size budget.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

OUT = Path(__file__).resolve().parent.parent / "resources" / "demo" / "clips"
W, H, FPS = 640, 360, 25
Color = tuple[int, int, int]

# Seven-segment digits: which of the segments a b c d e f g are lit.
_SEGMENTS = {
    "0": "abcdef", "1": "bc", "2": "abdeg", "3": "abcdg", "4": "bcfg", "5": "acdfg", "6": "acdefg",
    "7": "abc", "8": "abcdefg", "9": "abcdfg",
}


def _box(img: np.ndarray, x0: float, y0: float, x1: float, y1: float, color: Color) -> None:
    h, w = img.shape[:2]
    xa, xb = max(0, int(x0)), min(w, int(x1))
    ya, yb = max(0, int(y0)), min(h, int(y1))
    if xa < xb and ya < yb:
        img[ya:yb, xa:xb] = color


def _ellipse(img: np.ndarray, cx: float, cy: float, rx: float, ry: float, color: Color) -> None:
    # Only the bounding box is evaluated: full-frame masks per shape would make the script crawl.
    h, w = img.shape[:2]
    xa, xb = max(0, int(cx - rx)), min(w, int(cx + rx) + 1)
    ya, yb = max(0, int(cy - ry)), min(h, int(cy + ry) + 1)
    if xa >= xb or ya >= yb:
        return
    yy, xx = np.ogrid[ya:yb, xa:xb]
    mask = ((xx - cx) / max(rx, 0.5)) ** 2 + ((yy - cy) / max(ry, 0.5)) ** 2 <= 1.0
    img[ya:yb, xa:xb][mask] = color


def _person(img: np.ndarray, x: float, y: float, scale: float, color: Color, phase: float) -> None:
    """A walking figure standing on (x, y): body, head, legs that swing."""
    s = scale
    swing = np.sin(phase * 2 * np.pi) * 4 * s
    _box(img, x - 3 * s + swing, y - 10 * s, x - 1 * s + swing, y, (40, 40, 48))
    _box(img, x + 1 * s - swing, y - 10 * s, x + 3 * s - swing, y, (40, 40, 48))
    _ellipse(img, x, y - 18 * s, 5 * s, 9 * s, color)
    _ellipse(img, x, y - 30 * s, 3.5 * s, 3.5 * s, (224, 190, 160))


def _car(img: np.ndarray, x: float, y: float, color: Color) -> None:
    _box(img, x - 45, y - 28, x + 45, y - 8, color)
    _box(img, x - 28, y - 42, x + 24, y - 26, tuple(int(c * 0.7) for c in color))  # type: ignore[arg-type]
    _box(img, x - 22, y - 39, x + 18, y - 29, (150, 190, 210))
    _ellipse(img, x - 28, y - 8, 9, 9, (20, 20, 20))
    _ellipse(img, x + 28, y - 8, 9, 9, (20, 20, 20))


def _clock(img: np.ndarray, text: str, x: int, y: int, size: int = 14) -> None:
    """Camera-style OSD: seven-segment digits with a dark outline, readable on any background."""
    t = max(2, size // 6)
    for ch in text:
        if ch == ":":
            _box(img, x + t, y + size // 3, x + 2 * t, y + size // 3 + t, (255, 255, 255))
            _box(img, x + t, y + 2 * size // 3, x + 2 * t, y + 2 * size // 3 + t, (255, 255, 255))
            x += 3 * t
            continue
        w, half = size // 2 + t, size // 2
        segs = {"a": (0, 0, w, t), "b": (w - t, 0, w, half), "c": (w - t, half, w, size),
                "d": (0, size - t, w, size), "e": (0, half, t, size), "f": (0, 0, t, half),
                "g": (0, half - t // 2, w, half + t - t // 2)}
        _box(img, x - 1, y - 1, x + w + 1, y + size + 1, (0, 0, 0))
        for seg in _SEGMENTS.get(ch, ""):
            a, b, c, d = segs[seg]
            _box(img, x + a, y + b, x + c, y + d, (255, 255, 255))
        x += w + t + 2


def _texture(rng: np.random.Generator, base: Color, amount: float) -> np.ndarray:
    """Soft blotches (upscaled coarse noise) and a little grain over a flat colour."""
    coarse = rng.normal(0, 1, (H // 20 + 2, W // 20 + 2))
    ys = np.linspace(0, coarse.shape[0] - 1.001, H)
    xs = np.linspace(0, coarse.shape[1] - 1.001, W)
    y0, x0 = ys.astype(int), xs.astype(int)
    fy, fx = (ys - y0)[:, None], (xs - x0)[None, :]
    c = coarse
    smooth = (c[y0][:, x0] * (1 - fy) * (1 - fx) + c[y0 + 1][:, x0] * fy * (1 - fx)
              + c[y0][:, x0 + 1] * (1 - fy) * fx + c[y0 + 1][:, x0 + 1] * fy * fx)
    grain = rng.normal(0, 0.25, (H, W))
    img = np.asarray(base, float)[None, None, :] + (smooth + grain)[..., None] * amount
    return np.clip(img, 0, 255)


@dataclass(frozen=True)
class Scene:
    name: str
    ground: Color
    backdrop: Callable[[np.ndarray, np.random.Generator], None]
    movers: Callable[[np.ndarray, float], None]  # draws everything that moves at loop phase 0..1
    osd: str  # the clock's hour and minute


def _walk(img: np.ndarray, p: float, lanes: list[tuple[float, float, float, float, float, Color]]) -> None:
    # (x from, x to, y, scale, phase offset, colour): walkers cross and come round again at p = 1.
    for x0, x1, y, s, off, col in lanes:
        q = (p + off) % 1.0
        _person(img, x0 + (x1 - x0) * q, y, s, col, q * 12)


def _gate_backdrop(img: np.ndarray, rng: np.random.Generator) -> None:
    img[: H // 3] = _texture(rng, (150, 175, 200), 6)[: H // 3]
    _box(img, 0, H // 3 - 90, 180, H // 3, (120, 110, 100))
    _box(img, 460, H // 3 - 120, W, H // 3, (130, 120, 118))
    for x in range(20, 170, 30):
        _box(img, x, H // 3 - 80, x + 16, H // 3 - 60, (200, 210, 150))
    _box(img, 0, 2 * H // 3 - 4, W, 2 * H // 3 + 4, (230, 230, 230))
    for x in range(0, W, 60):
        _box(img, x, 2 * H // 3 + 40, x + 30, 2 * H // 3 + 44, (240, 220, 60))


def _indoor_backdrop(wall: Color, stripe: Color) -> Callable[[np.ndarray, np.random.Generator], None]:
    def draw(img: np.ndarray, rng: np.random.Generator) -> None:
        img[: H // 2] = _texture(rng, wall, 5)[: H // 2]
        for x in range(40, W, 120):
            _box(img, x, 50, x + 60, H // 2 - 10, stripe)
        _box(img, 0, H // 2 - 6, W, H // 2, (90, 80, 70))
    return draw


def _corridor_backdrop(img: np.ndarray, rng: np.random.Generator) -> None:
    vx, vy = W // 2, H // 3
    yy, xx = np.mgrid[0:H, 0:W]
    walls = np.abs(xx - vx) * 0.55 > np.abs(yy - vy) + 20
    img[walls & (yy < H)] = (img[walls] * 0.7).astype(img.dtype)
    for k in range(1, 7):
        d = k * k * 6
        _box(img, vx - d - 8, vy - d * 0.6, vx - d - 4, vy + d * 0.6, (70, 60, 50))
        _box(img, vx + d + 4, vy - d * 0.6, vx + d + 8, vy + d * 0.6, (70, 60, 50))


def _field_backdrop(img: np.ndarray, rng: np.random.Generator) -> None:
    img[: H // 4] = _texture(rng, (140, 170, 210), 5)[: H // 4]
    yy, xx = np.ogrid[0:H, 0:W]
    ring = ((xx - W / 2) / 280) ** 2 + ((yy - 220) / 110) ** 2
    img[(ring > 0.75) & (ring <= 1.0)] = (170, 70, 50)
    img[ring <= 0.75] = (60, 140, 60)


def _runners(img: np.ndarray, p: float) -> None:
    for k, col in enumerate([(230, 230, 60), (60, 90, 230), (230, 60, 60), (240, 240, 240)]):
        a = 2 * np.pi * ((p * (1 + k % 2) + k / 4) % 1.0)
        _person(img, W / 2 + 262 * np.cos(a), 220 + 100 * np.sin(a), 1.1, col, p * 20 + k / 4)


def _traffic(img: np.ndarray, p: float) -> None:
    _car(img, -60 + (W + 120) * p, 2 * H // 3 + 30, (200, 40, 40))
    _car(img, W + 60 - (W + 120) * ((p + 0.5) % 1.0), 2 * H // 3 + 80, (40, 80, 190))


def _people(*lanes: tuple[float, float, float, float, float, Color]) -> Callable[[np.ndarray, float], None]:
    return lambda img, p: _walk(img, p, list(lanes))


SCENES = [
    Scene("east-gate", (110, 110, 112), _gate_backdrop,
          lambda i, p: (_traffic(i, p), _walk(i, p, [(-20, 660, 2 * H // 3 - 10, 1.6, 0, (200, 60, 60))])),
          "08:14"),
    Scene("east-gate-out", (105, 108, 110), _gate_backdrop,
          _people((660, -20, 2 * H // 3 - 10, 1.7, 0.2, (60, 160, 80)),
                  (-20, 660, 300, 2.0, 0.7, (90, 90, 200))),
          "08:15"),
    Scene("dorm3-lobby", (170, 160, 140), _indoor_backdrop((200, 190, 170), (120, 90, 60)),
          _people((-20, 660, 300, 2.4, 0, (180, 60, 60)), (660, -20, 250, 1.8, 0.5, (60, 60, 180))), "21:40"),
    Scene("dorm3-corridor", (150, 140, 120), _corridor_backdrop,
          lambda i, p: _person(i, W / 2 + 30 * np.sin(p * 2 * np.pi), H / 3 + 200 * p, 0.5 + 2.5 * p,
                               (70, 120, 180), p * 10), "23:05"),
    Scene("canteen", (180, 170, 150), _indoor_backdrop((220, 200, 160), (200, 120, 60)),
          _people((-20, 660, 280, 2.0, 0, (60, 140, 60)), (-20, 660, 330, 2.2, 0.33, (160, 60, 160)),
                  (660, -20, 240, 1.6, 0.66, (200, 140, 40))), "12:02"),
    Scene("library", (120, 90, 70), _indoor_backdrop((180, 170, 150), (90, 60, 40)),
          _people((660, -20, 320, 2.3, 0.1, (100, 100, 100))), "19:30"),
    Scene("lab-b", (200, 205, 210), _indoor_backdrop((230, 235, 240), (160, 170, 180)),
          _people((100, 540, 310, 2.2, 0, (240, 240, 240))), "15:47"),
    Scene("west-gate", (100, 100, 104), _gate_backdrop, lambda i, p: _traffic(i, (p + 0.3) % 1.0), "17:55"),
    Scene("stadium", (60, 140, 60), _field_backdrop, _runners, "16:20"),
]


def render(scene: Scene, frames: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    background = _texture(rng, scene.ground, 10).astype(np.uint8)
    scene.backdrop(background, rng)
    out = []
    for n in range(frames):
        img = background.copy()
        scene.movers(img, n / frames)
        hh, mm = scene.osd.split(":")
        second = n // FPS
        _clock(img, f"{hh}:{int(mm) + second // 60:02d}:{second % 60:02d}", W - 150, 12)
        out.append(img)
    return out


def encode(path: Path, images: list[np.ndarray], width: int, height: int, crf: int) -> None:
    with av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"}) as out:
        stream = out.add_stream("libx264", rate=FPS, options={"crf": str(crf), "preset": "slow"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.gop_size = 2 * FPS  # a key frame every 2 s: quick start after a seek or loop
        for n, rgb in enumerate(images):
            if width != rgb.shape[1]:
                rgb = rgb.reshape(height, 2, width, 2, 3).mean(axis=(1, 3)).astype(np.uint8)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = n
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=12)
    parser.add_argument("--crf", type=int, default=27)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    total = 0
    for index, scene in enumerate(SCENES):
        images = render(scene, args.seconds * FPS, seed=index + 1)
        for kind, (w, h) in (("main", (W, H)), ("sub", (W // 2, H // 2))):
            path = args.out / f"{scene.name}-{kind}.mp4"
            encode(path, images, w, h, args.crf)
            total += path.stat().st_size
            print(f"{path.name}: {path.stat().st_size / 1024:.0f} KiB")
    print(f"total {total / 1024 / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
