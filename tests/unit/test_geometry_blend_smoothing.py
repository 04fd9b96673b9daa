import cv2
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tryon_desktop.core.blend import composite_in_box
from tryon_desktop.core.geometry import (Box, apply_affine, invert_affine, lip_alignment, similarity_from_points,
                                         warp_patch_to_box, warp_to_patch)
from tryon_desktop.core.smoothing import LandmarkSmoother, OneEuroFilter


@settings(max_examples=50, deadline=None)
@given(st.floats(-3.1, 3.1), st.floats(0.2, 5.0), st.floats(-200, 200), st.floats(-200, 200))
def test_similarity_recovers_known_transform(angle, scale, tx, ty):
    rng = np.random.default_rng(0)
    src = rng.uniform(0, 300, (12, 2))
    R = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    dst = src @ R.T + [tx, ty]
    M = similarity_from_points(src, dst)
    np.testing.assert_allclose(apply_affine(M, src), dst, atol=1e-6)
    np.testing.assert_allclose(apply_affine(invert_affine(M), dst), src, atol=1e-6)


def test_lip_alignment_puts_corners_in_place():
    M = lip_alignment([100.0, 220.0], [180.0, 200.0], 128, 64)
    np.testing.assert_allclose(apply_affine(M, [[100, 220], [180, 200]]), [[25.6, 32], [102.4, 32]], atol=1e-9)


def test_patch_round_trip_keeps_the_region():
    rng = np.random.default_rng(1)
    img = cv2.GaussianBlur(rng.integers(0, 255, (240, 320, 3), dtype=np.uint8), (0, 0), 3)
    M = lip_alignment([120.0, 130.0], [200.0, 118.0], 256, 128)  # patch is ~3x upsampled here
    patch = warp_to_patch(img, M, 256, 128)
    box = Box(130, 110, 190, 140)
    back = warp_patch_to_box(patch, M, box)
    diff = np.abs(back.astype(int) - img[box.slices].astype(int))
    assert np.median(diff) <= 1 and diff.mean() < 1.5


def test_composite_touches_only_the_box_and_alpha():
    frame = np.full((50, 60, 3), 77, np.uint8)
    before = frame.copy()
    box = Box(10, 5, 30, 25)
    alpha = np.zeros((20, 20), np.float32)
    alpha[5:15, 5:15] = 1.0
    composite_in_box(frame, np.full((20, 20, 3), 200, np.uint8), alpha, box)
    changed = np.any(frame != before, axis=2)
    assert changed.sum() == 100
    assert changed[10:20, 15:25].all()
    assert (frame[10:20, 15:25] == 200).all()


def test_one_euro_smooths_jitter_and_follows_motion():
    rng = np.random.default_rng(2)
    f = OneEuroFilter()
    t = np.arange(120) / 30.0
    noisy = 0.01 * rng.standard_normal(120)
    out = np.array([f(np.array([x]), ti)[0] for x, ti in zip(noisy, t, strict=True)])
    assert out[30:].std() < 0.4 * noisy[30:].std()
    # A fast move: the filter must get most of the way within a few frames.
    f.reset()
    step = np.r_[np.zeros(30), np.ones(30)]
    out = np.array([f(np.array([x]), ti)[0] for x, ti in zip(step, t[:60], strict=True)])
    assert out[35] > 0.8


def test_landmark_smoother_keeps_faces_apart():
    s = LandmarkSmoother()
    a = np.zeros((478, 2), np.float32) + [100, 100]
    a[:, 0] += np.linspace(0, 80, 478)
    b = a + [400, 0]
    out1 = s([a, b], 0.0)
    out2 = s([b, a], 1 / 30)  # order swapped: each must keep its own track
    np.testing.assert_allclose(out2[0], b, atol=1e-3)
    np.testing.assert_allclose(out2[1], a, atol=1e-3)
    assert len(out1) == 2
