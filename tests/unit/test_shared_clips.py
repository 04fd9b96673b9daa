"""Checks on the real clips in ../shared/data (skipped with a reason where that folder is absent)."""

import cv2
import numpy as np
import pytest

from tryon_desktop.core.looks import resolve_shade
from tryon_desktop.core.masks import dilate, inner_mouth_mask, lip_mask

pytestmark = pytest.mark.shared_data


def test_talking_clip_teeth_stay_clean_and_nothing_leaks(shared_data):
    from tryon_desktop.engine import TryOnEngine

    clip = shared_data / "video" / "dev" / "liveportrait_d0.mp4"
    if not clip.exists():
        pytest.skip(f"{clip} is absent")
    cap = cv2.VideoCapture(str(clip))
    shade = resolve_shade("Electric Blue", opacity=1.0)
    opened = 0
    with TryOnEngine(model=None, video=True) as engine:
        i = 0
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            res = engine.process(frame, shade, timestamp=i / 30)
            i += 1
            assert len(res.faces) == 1
            face = res.faces[0]
            box = face.box
            mouth = inner_mouth_mask(face.landmarks, box)
            if face.mouth_open > 0.1:
                opened += 1
                assert np.array_equal(frame[box.slices][mouth], res.frame[box.slices][mouth])
            full = np.zeros(frame.shape[:2], bool)
            full[box.slices] = dilate(lip_mask(face.landmarks, box) > 0, 2)
            assert not (np.any(frame != res.frame, axis=2) & ~full).any()
    assert i > 50 and opened > 5
