"""Round the lip line (core.masks.lip_unmix, effects.lipstick.show_unmixed): the lipstick covers the lip it
finds past the mesh's line and the rest shows without the lips' own colour: no rim of the old lip colour
round a new shade, and no skin-coloured outline where the lips were."""

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
    idx, original, change, share = got
    assert original.shape == change.shape == (len(idx), 3) and share.shape == (len(idx),)
    assert 0.0 <= share.min() and share.max() <= 1.0
    # the red ring past the line is found as lip: most of it
    on_ring = ring.ravel()[idx]
    assert float(np.median(share[on_ring])) > 0.5
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
    assert redness(fixed) < np.median(skin) + 6  # ... gone: no red left, the ring takes the new shade
    # ... which covers it: the ring is now mostly the shade, not the skin (the lips keep their border)
    shade_lab = cv2.cvtColor(np.full((1, 1, 3), (150, 170, 215), np.uint8), cv2.COLOR_BGR2LAB)[0, 0].astype(float)
    lab_fixed = cv2.cvtColor(np.clip(fixed + 0.5, 0, 255).astype(np.uint8), cv2.COLOR_BGR2LAB).astype(float)
    d_shade = np.linalg.norm(lab_fixed[ring] - shade_lab, axis=1)
    d_skin = np.linalg.norm(lab_fixed[ring] - cv2.cvtColor(img[box.slices], cv2.COLOR_BGR2LAB)[ring].astype(float),
                            axis=1)
    assert float(np.median(d_shade)) < float(np.median(d_skin))
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


def test_a_shade_like_the_lips_draws_no_pale_outline(red_case):
    """A red over red lips that reach past the mesh's line: the ring keeps its red, it does not turn into a
    lighter, skin-coloured line round the lips (what erasing the rim used to draw)."""
    _, _, ring, roi, mask, got = red_case
    region = np.full(roi.shape, (40, 30, 190), np.float32)  # the lips' own red as the shade
    r2, a2 = show_unmixed(region, mask, got, opacity=1.0)
    fixed = a2[..., None] * r2 + (1 - a2[..., None]) * roi

    def lightness(x):
        return cv2.cvtColor(np.clip(x + 0.5, 0, 255).astype(np.uint8), cv2.COLOR_BGR2LAB)[..., 0][ring].astype(float)

    assert float(np.median(lightness(fixed) - lightness(roi.astype(np.float32)))) < 8.0  # erasing it: +31
