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


def _empty() -> Regions:
    z = np.zeros(0, np.intp)
    return Regions(z, z, z, z, z, z)


def label_regions(mask: np.ndarray) -> Regions:
    """8-connected regions of a boolean ``(n, h, w)`` mask, all frames in one pass."""
    n, h, w = mask.shape
    # A zero column on the right and a zero row below each frame: the forward neighbour offsets of the
    # flat index then never wrap into the next row or the next frame.
    pw, ph = w + 1, h + 1
    padded = np.zeros((n, ph, pw), bool)
    padded[:, :h, :w] = mask
    idx = np.flatnonzero(padded)
    k = idx.size
    if k == 0:
        return _empty()
    # Edges between changed cells: only a few hundred cells change per batch, so searching the sorted
    # index list is far cheaper than labelling every cell of every frame.
    us, vs = [], []
    for off in (1, pw - 1, pw, pw + 1):
        target = idx + off
        pos = np.searchsorted(idx, target)
        np.minimum(pos, k - 1, out=pos)
        hit = idx[pos] == target
        us.append(np.flatnonzero(hit))
        vs.append(pos[hit])
    u, v = np.concatenate(us), np.concatenate(vs)
    parent = np.arange(k)
    # Hook each larger root under the smaller one, then jump pointers until every cell points at its
    # root; the root ends up as the component's smallest index, i.e. its top-left cell.
    while u.size:
        pu, pv = parent[u], parent[v]
        differ = pu != pv
        if not differ.any():
            break
        pu, pv = pu[differ], pv[differ]
        u, v = u[differ], v[differ]
        np.minimum.at(parent, np.maximum(pu, pv), np.minimum(pu, pv))
        while True:
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped
    frame, rest = np.divmod(idx, ph * pw)
    ys, xs = np.divmod(rest, pw)
    size = np.bincount(parent, minlength=k)
    roots = np.flatnonzero(size)
    y1 = np.zeros(k, np.intp)
    x0 = np.full(k, w, np.intp)
    x1 = np.zeros(k, np.intp)
    np.maximum.at(y1, parent, ys)
    np.minimum.at(x0, parent, xs)
    np.maximum.at(x1, parent, xs)
    return Regions(frame[roots], size[roots], ys[roots], x0[roots], y1[roots], x1[roots])
