"""Second-chance light model for the rare frames whose light change is not a plain gain and offset."""

from __future__ import annotations

import numpy as np


def refit(s: np.ndarray, bg: np.ndarray, resid: np.ndarray, dev: np.ndarray, thr: np.ndarray,
          hot: np.ndarray, rows: np.ndarray, top: float) -> None:
    """Refit rows ``rows`` with a clipped quadratic tone curve; updates resid, dev, hot and bg in place.

    Clipping (a step into saturation), gamma and IR switches bend the mapping from background to
    frame; a quadratic in the background level, fitted to the cells that look unchanged and are not
    saturated, follows such curves. Only streams with many changed cells come here, so a Python loop
    over them costs nothing on ordinary frames.
    """
    for j in rows.tolist():
        level = bg[j].astype(np.float64) / top  # scaled to 0..1 for a well-conditioned fit
        frame = s[j].astype(np.float64)
        unsaturated = (frame > 0.02 * top) & (frame < 0.98 * top)
        use = unsaturated & ~hot[j]
        before = np.count_nonzero(hot[j])
        for _ in range(2):  # refit once more without the cells the first curve still flags
            if np.count_nonzero(use) < 16:
                break
            x = level[use]
            design = np.stack([x * x, x, np.ones_like(x)], axis=1)
            coef = np.linalg.lstsq(design, frame[use], rcond=None)[0]
            predicted = np.clip((coef[0] * level + coef[1]) * level + coef[2], 0.0, top)
            resid[j] = frame - predicted
            np.abs(resid[j], out=dev[j])
            np.greater(dev[j], thr[j], out=hot[j])
            use = unsaturated & ~hot[j]
        # Most changed cells were the light, changed in a way the plain model cannot follow: the new
        # picture is the background from now on, except where something moves. (A big vehicle keeps
        # its cells changed under any curve and so never gets here.)
        if np.count_nonzero(hot[j]) < before // 2:
            bg[j][~hot[j]] = s[j][~hot[j]]
