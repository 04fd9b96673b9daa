"""The lips' own colour taken out round the lip line (core.masks.lip_unmix, effects.lipstick.show_unmixed):
no rim of the old lip colour round a new shade."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tryon_desktop.core.masks import LIPS_OUTER, lip_box, lip_mask, lip_unmix, mouth_width, smooth_contour
from tryon_desktop.effects.lipstick import show_unmixed


@pytest.fixture(scope="module")
def face(grace_face):
    return grace_face


def _red_lips_past_the_line(img, lm):
    """The photo with its lips painted a strong red out to 2 px beyond the landmark lip line (full lips,
    or lip liner, past where the mesh puts the line) and the red ring alone, as a box-sized mask."""
    out = img.copy()
    outer = np.round(smooth_contour(lm[list(LIPS_OUTER), :2])).astype(np.int32)
    inside = np.zeros(img.shape[:2], np.uint8)
    cv2.fillPoly(inside, [outer], 1)
    grown = cv2.dilate(inside, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5)))
    out[grown > 0] = (40, 30, 190)
    box = lip_box(lm, img.shape)
    return out, box, ((grown > 0) & (inside == 0))[box.slices]


@pytest.fixture(scope="module")
def red_case(face):
    """(photo, box, red ring, box pixels, lip mask, lip_unmix's answer) for the red-lipped photo."""
    img, lm = face
    red, box, ring = _red_lips_past_the_line(img, lm)
    roi = red[box.slices]
    mask = lip_mask(lm, box)
    return img, box, ring, roi, mask, lip_unmix(mask, roi, lm, box)


def test_unmix_takes_the_red_out_of_the_rim(red_case):
    img, box, ring, roi, mask, got = red_case
    assert got is not None
    idx, original, change = got
    assert original.shape == change.shape == (len(idx), 3)
    # a nude-like made-up region over the whole box, blended as the app does: first without the unmixing
    region = np.full(roi.shape, (150, 170, 215), np.float32)
    plain = mask[..., None] * region + (1 - mask[..., None]) * roi
    r2, a2 = show_unmixed(region, mask, got, opacity=1.0)
    fixed = a2[..., None] * r2 + (1 - a2[..., None]) * roi

    def redness(x):  # a* over the red ring just past the lip line
        lab = cv2.cvtColor(np.clip(x + 0.5, 0, 255).astype(np.uint8), cv2.COLOR_BGR2LAB).astype(np.float32)
        return float(np.median(lab[..., 1][ring]))

    skin = cv2.cvtColor(img[box.slices], cv2.COLOR_BGR2LAB)[..., 1][ring].astype(np.float32)
    assert redness(plain) > np.median(skin) + 15  # the red rim this fixes
    assert redness(fixed) < np.median(skin) + 6  # ... gone: the ring is close to the skin again
    # inside the lips (alpha 1) nothing changes
    full = mask >= 1.0
    assert np.array_equal(r2[full], region[full]) and np.all(a2[full] == 1.0)


def test_unmix_follows_the_opacity_and_leaves_alpha_one_pixels(red_case):
    _, _, _, roi, mask, got = red_case
    region = np.zeros(roi.shape, np.float32)
    zero = np.zeros_like(mask)
    r0, a0 = show_unmixed(region, zero, got, opacity=0.0)  # a fully sheer shade: the original, untouched
    idx = got[0]
    np.testing.assert_allclose(r0.reshape(-1, 3)[idx], roi.reshape(-1, 3)[idx].astype(np.float32), atol=1e-4)
    ones = np.ones_like(mask)
    r1, a1 = show_unmixed(region, ones, got, opacity=1.0)
    assert r1 is region and a1 is ones  # nothing to do where the lipstick already covers everything


def test_no_unmixing_where_lips_and_skin_look_alike(face):
    img, lm = face
    box = lip_box(lm, img.shape)
    flat = np.full((box.height, box.width, 3), (120, 140, 180), np.uint8)  # lips the skin's own colour
    assert lip_unmix(lip_mask(lm, box), flat, lm, box) is None
    assert mouth_width(lm) > 20
