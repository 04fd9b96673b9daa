"""The lip stage's network input sampled straight at the network's resolution (lip_generator._network_image):
where the canonical patch enlarges the lips (a webcam's mouth), the box is warped to IN_W x IN_H at once
instead of to the whole patch and then area-shrunk 2x; a larger mouth keeps the patch and its shrink, to the
bit. Checked against the whole-patch input (the code before, written out here) on the demo face at a webcam's
size and at its own, and through the whole generator: within one level on nearly all lip pixels."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tryon_desktop.core.looks import Finish, Shade
from tryon_desktop.core.masks import MOUTH_CORNERS, lip_box, lip_mask, mouth_width, suppress_teeth
from tryon_desktop.vision import lip_generator as G

SHADES = [Shade("red gloss", (210, 18, 46), finish=Finish.GLOSS, opacity=0.9),
          Shade("plum shimmer", (142, 69, 133), finish=Finish.SHIMMER, opacity=0.85),
          Shade("brick matte", (142, 58, 47), finish=Finish.MATTE, opacity=0.9),
          Shade("black", (26, 22, 24), finish=Finish.MATTE, opacity=0.95)]


def _whole_patch_input(roi, mask, M):
    """_network_image before: the whole canonical patch, then network_input's area shrink."""
    pmask = cv2.warpAffine(mask, M, (G.PATCH_W, G.PATCH_H), flags=cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    patch = cv2.warpAffine(roi, M, (G.PATCH_W, G.PATCH_H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return G.network_input(patch, pmask)


def _face(grace_face, mouth_px):
    """The demo photo scaled so that its mouth is `mouth_px` wide, its landmarks scaled with it."""
    img, lm = grace_face
    k = mouth_px / mouth_width(lm)
    small = cv2.resize(img, None, fx=k, fy=k, interpolation=cv2.INTER_AREA if k < 1 else cv2.INTER_LINEAR)
    out = lm.copy()
    out[:, :2] = (lm[:, :2] + 0.5) * k - 0.5
    return small, out


def _inputs(img, lm):
    box = lip_box(lm, img.shape)
    roi = img[box.slices]
    mask = suppress_teeth(lip_mask(lm, box), roi, lm, box)
    M = G.corner_alignment(lm[MOUTH_CORNERS[0], :2], lm[MOUTH_CORNERS[1], :2])
    M_roi = G.compose(M, np.array([[1.0, 0.0, box.x0], [0.0, 1.0, box.y0]]))
    return box, roi, mask, M_roi


@pytest.mark.parametrize("mouth_px", [60.0, 80.0, 110.0])
def test_webcam_sized_lips_are_sampled_at_the_network_size(grace_face, mouth_px):
    box, roi, mask, M = _inputs(*_face(grace_face, mouth_px))
    got, ref = G._network_image(roi, mask, M), _whole_patch_input(roi, mask, M)
    assert got.shape == ref.shape == (1, 4, G.IN_H, G.IN_W) and got.dtype == np.float32
    rgb = np.abs(got[0, :3] - ref[0, :3]) * 127.5  # levels
    assert np.median(rgb) <= 1.0 and np.percentile(rgb, 99) <= 6.0
    assert np.abs(got[0, 3] - ref[0, 3]).max() < 0.08 and np.abs(got[0, 3] - ref[0, 3]).mean() < 0.005
    assert not np.array_equal(got, ref)  # the quick path did run


def test_larger_lips_keep_the_whole_patch_to_the_bit(grace_face):
    for mouth_px in (0.6 * G.PATCH_W / 0.99, 140.0, 200.0):  # the patch shrinks them (its mouth is 115 px)
        box, roi, mask, M = _inputs(*_face(grace_face, mouth_px))
        assert abs(np.linalg.det(M[:, :2])) < 1.0
        np.testing.assert_array_equal(G._network_image(roi, mask, M), _whole_patch_input(roi, mask, M))


def test_made_up_lips_within_a_level_of_the_whole_patch_input(still_gan, grace_face, monkeypatch):
    """The whole generator (network, colour lock, finish) on webcam-sized lips: within one level of the output
    from the whole-patch input on nearly all lip pixels."""
    img, lm = _face(grace_face, 80.0)
    box, roi, mask, _ = _inputs(img, lm)
    inside = mask > 0
    for shade in SHADES:
        got, alpha = still_gan.generate(still_gan.prepare(img, lm, box, mask, shade=shade), shade)
        with monkeypatch.context() as m:
            m.setattr(G, "HALF_WARP_MIN_SCALE", np.inf)  # every face through the whole patch
            ref, ref_alpha = still_gan.generate(still_gan.prepare(img, lm, box, mask, shade=shade), shade)
        np.testing.assert_array_equal(alpha, ref_alpha)
        d = np.abs(got.astype(np.int16) - ref.astype(np.int16)).max(-1)[inside]
        assert d.max() <= 6, shade.name
        assert (d > 1).mean() <= 0.005, shade.name
