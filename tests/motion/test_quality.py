"""Quality regression on a generated street scene: per-frame F1 and quiet light changes."""

from __future__ import annotations

import numpy as np

from console.video.motion import MotionDetector
from tests.motion.synth import street


def test_generated_street_scene_f1_and_light_changes() -> None:
    frames, labels, light = street(300, seed=3)
    assert (labels == 1).sum() > 50 and (labels == 0).sum() > 40 and len(light) >= 16
    det = MotionDetector(1, frames.shape[1:])
    said = np.array([det.process(f[None])[0].motion for f in frames])
    scored = (np.arange(len(frames)) >= 20) & (labels != -1)  # 4 s of warm-up, slivers not scored
    truth = labels == 1
    tp = np.sum(said & truth & scored)
    fp = np.sum(said & ~truth & scored)
    fn = np.sum(~said & truth & scored)
    f1 = 2 * tp / (2 * tp + fp + fn)
    assert f1 >= 0.95, (tp, fp, fn)
    light_alarms = sum(said[i] for i in light if labels[i] == 0)
    assert light_alarms <= 1
