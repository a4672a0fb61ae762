"""Connected regions of a batch of cell masks, vectorised over the changed cells only."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Regions:
    """One entry per 8-connected region: its frame, cell count and inclusive cell bounds."""

    frame: np.ndarray
    size: np.ndarray
    y0: np.ndarray
    x0: np.ndarray
    y1: np.ndarray
    x1: np.ndarray


_NONE = np.zeros(0, np.intp)
EMPTY = Regions(_NONE, _NONE, _NONE, _NONE, _NONE, _NONE)


def _offsets(pw: int) -> np.ndarray:
    return np.array([[1], [pw - 1], [pw], [pw + 1]], np.intp)


def label_regions(cells: np.ndarray, shape: tuple[int, int, int], min_size: int = 2) -> Regions:
    """8-connected regions of the changed ``cells`` (sorted flat indices into ``(n, h, w)``).

    Regions smaller than ``min_size`` cells are dropped; with the default that removes lone cells
    (rain, snow, codec blips). Only the changed cells are touched, so the cost follows the motion in
    the batch, not the number of cameras or pixels.
    """
    k = cells.size
    if k == 0:
        return EMPTY
    n, h, w = shape
    frame, rest = np.divmod(cells, h * w)
    ys, xs = np.divmod(rest, w)
    # Flat index in a grid with a spare column and row per frame, so forward neighbours never wrap.
    pw = w + 1
    flat = (frame * (h + 1) + ys) * pw + xs
    # All forward neighbours (right, down-left, down, down-right) looked up in one sorted search.
    target = (flat + _offsets(pw)).ravel()
    pos = np.searchsorted(flat, target)
    np.minimum(pos, k - 1, out=pos)
    hit = flat[pos] == target
    v = pos[hit]
    u = np.flatnonzero(hit) % k
    if min_size > 1 and u.size == 0:
        return EMPTY
    parent = np.arange(k)
    # Hook the larger of two linked labels under the smaller, then jump pointers a couple of times;
    # labels only decrease, so this settles in a few rounds with each cell on its region's first
    # (top-left) cell. Every call here works on the few changed cells, hence the cheap checks.
    while True:
        pu, pv = parent[u], parent[v]
        if (pu == pv).all():
            jumped = parent[parent]
            if (jumped == parent).all():
                break
            parent = jumped
            continue
        np.minimum.at(parent, np.maximum(pu, pv), np.minimum(pu, pv))
        parent = parent[parent]
        parent = parent[parent]
    size = np.bincount(parent, minlength=k)
    roots = np.flatnonzero(size >= min_size)
    if roots.size == 0:
        return EMPTY
    y1 = np.zeros(k, np.intp)
    x0 = np.full(k, w, np.intp)
    x1 = np.zeros(k, np.intp)
    np.maximum.at(y1, parent, ys)
    np.minimum.at(x0, parent, xs)
    np.maximum.at(x1, parent, xs)
    return Regions(frame[roots], size[roots], ys[roots], x0[roots], y1[roots], x1[roots])


WEATHER_SPECKS = 6  # this many tiny regions or lone cells in a frame: rain or snow, not stray blips


def frame_boxes(regions: Regions, n: int, lone: np.ndarray, min_cells: int,
                cell: int) -> list[list[tuple[int, int, int, int]]]:
    """Boxes (x, y, w, h in pixels) of the regions that count as motion, one list per frame."""
    # Rain and snow scatter specks over a frame; where there are many, only bigger regions count.
    specks = np.bincount(regions.frame[regions.size <= 2], minlength=n) + lone
    floor = np.where(specks >= WEATHER_SPECKS, max(min_cells, 4), min_cells)
    # A speck lies within one sampled row band; a person or a car is at least two cells tall.
    keep = (regions.size >= floor[regions.frame]) & (regions.y1 > regions.y0)
    x0, y0 = regions.x0[keep], regions.y0[keep]
    corners = np.stack([x0, y0, regions.x1[keep] - x0 + 1, regions.y1[keep] - y0 + 1], 1) * cell
    boxes: list[list[tuple[int, int, int, int]]] = [[] for _ in range(n)]
    for f, (x, y, w, h) in zip(regions.frame[keep].tolist(), corners.tolist(), strict=True):
        boxes[f].append((x, y, w, h))
    return boxes
