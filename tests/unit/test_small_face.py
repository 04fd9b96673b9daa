"""Full-length photos: a face too small for the tracker's whole-frame pass is looked for again above the
garment and cut out of the garment mask (engine.GarmentPerception, photos only)."""

from __future__ import annotations

import cv2
import numpy as np

from tryon_desktop.engine import GarmentPerception, head_region


def test_head_region_sits_above_the_garment():
    prob = np.zeros((144, 256), np.float32)
    prob[80:140, 100:160] = 0.9  # a garment in the lower middle
    x0, y0, x1, y1 = head_region(prob, 1280, 720)
    # frame pixels: the garment's top is at y = 80 * 5 = 400, its centre at x = 130 * 5 = 650, 300 px wide
    assert y0 < 400 < y1 and y1 - 400 < 100 and 400 - y0 > 200
    assert x0 < 650 < x1 and 250 < x1 - x0 < 450
    assert head_region(np.zeros_like(prob), 1280, 720) is None  # no garment
    top = np.zeros_like(prob)
    top[0:60, 100:160] = 0.9
    assert head_region(top, 1280, 720) is None  # nothing above the garment


def test_a_small_face_above_the_garment_is_cut_out(grace):
    from tryon_desktop.core.masks import FACE_OVAL
    from tryon_desktop.vision.face_tracker import FaceTracker

    # where the demo photo's face oval is, found at full size
    with FaceTracker(max_faces=1, video=False) as tracker:
        oval = tracker.track(grace)[0].landmarks[list(FACE_OVAL)]
    # the photo shrunk into a large frame: a face about 60 px wide, as in a full-length shot
    frame = np.full((1080, 1920, 3), 200, np.uint8)
    sx, sy = 128 / grace.shape[1], 150 / grace.shape[0]
    frame[300:450, 900:1028] = cv2.resize(grace, (128, 150), interpolation=cv2.INTER_AREA)
    oval = oval * np.array([sx, sy], np.float32) + np.array([900, 300], np.float32)
    cell = 1920 / 256  # the segmenter's canvas: 256 x 144 cells of 7.5 frame px
    fx0, fy0 = (oval.min(0) / cell).astype(int)
    fx1, fy1 = (oval.max(0) / cell).astype(int)
    chin = fy1
    mid = (fy0 + fy1) // 2
    # a garment mask from the middle of the face down, as a confused network's could be
    prob = np.zeros((144, 256), np.float32)
    prob[mid:chin + 40, fx0 - 10:fx1 + 10] = 0.95
    perception = GarmentPerception(model=None, video=False)
    try:
        out, polys = perception._cut_small_face(frame, prob)
    finally:
        perception.close()
    assert len(polys) == 1 and polys[0].shape == (len(FACE_OVAL), 2)
    inner = (slice(mid + 1, chin - 1), slice(fx0 + 2, fx1 - 1))
    assert float(prob[inner].mean()) > 0.9 and float(out[inner].mean()) < 0.1  # the face is cut out
    assert float(out[chin + 10:chin + 40, fx0 - 10:fx1 + 10].mean()) > 0.9  # the garment below it stays
    # a live stream does not look again (one tracker pass over the whole frame is all it can afford)
    live = GarmentPerception(model=None, video=True)
    assert live.video is True and live._head_finder is None
