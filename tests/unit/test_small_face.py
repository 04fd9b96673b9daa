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


class _FixedSegmenter:
    """A stand-in student: always the same garment probability, and the frame as it 'saw' it."""

    def __init__(self, prob):
        self.prob = prob
        self.seen = None

    def segment(self, frame, timestamp=None, face_polygons=None):
        self.seen = cv2.resize(frame, self.prob.shape[::-1], interpolation=cv2.INTER_AREA)
        return self.prob.copy()

    def reset(self):
        pass


def test_a_photo_s_small_face_gets_its_lipstick(grace_face):
    """A full-length photo with only a lipstick asked for: the tracker's whole-frame pass finds no face,
    the garment mask shows where the head is, the face found there is made up."""
    from tryon_desktop.core.looks import default_catalogue
    from tryon_desktop.core.masks import lip_box
    from tryon_desktop.engine import TryOnEngine

    grace, lm = grace_face
    frame = np.full((1080, 1920, 3), 200, np.uint8)
    sx, sy = 128 / grace.shape[1], 150 / grace.shape[0]
    frame[300:450, 900:1028] = cv2.resize(grace, (128, 150), interpolation=cv2.INTER_AREA)
    lips = lm[[61, 291, 0, 17], :2] * np.array([sx, sy]) + np.array([900, 300])
    prob = np.zeros((144, 256), np.float32)
    prob[57:110, 112:145] = 0.95  # the uniform below the face (7.5 frame px a cell)
    engine = TryOnEngine(video=False, garment_model=None, outfit_model=None)
    perception = GarmentPerception(model=None, video=False)
    perception._loaded, perception.segmenter = True, _FixedSegmenter(prob)
    engine.garment = perception
    try:
        assert engine.tracker.track(frame) == []  # too small for the whole-frame pass
        shade = default_catalogue()[0]
        res = engine.process(frame, shade)
    finally:
        engine.close()
    assert len(res.faces) == 1 and not res.no_face
    found = res.faces[0].landmarks[[61, 291, 0, 17], :2]
    assert np.abs(found - lips).max() < 6.0  # the same mouth, within a few pixels
    box = lip_box(res.faces[0].landmarks, frame.shape)
    assert np.abs(res.frame[box.slices].astype(int) - frame[box.slices].astype(int)).max() > 30  # painted
    outside = res.frame.copy()
    outside[box.slices] = frame[box.slices]
    assert np.array_equal(outside, frame)  # and nothing else
