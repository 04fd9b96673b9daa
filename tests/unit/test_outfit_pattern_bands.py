"""Issue 10 (speed, a pattern on a garment filling the frame): the pattern's full-resolution work by bands
of rows (`albedo_map`, the generator's `_pattern_reference`) and the map's mean taken band by band
(`albedo_mean`) give what the whole-box code gave.

The references are the whole-box code, written out here (one pass per step over the box). No data files,
no model needed.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tryon_desktop.render import patterns as P
from tryon_desktop.render.outfit import brightening, median_luma_luminance, quiet_luma, render_garment
from tryon_desktop.vision import outfit_generator as G

from test_outfit_pattern_speed import _garment  # folds, a highlight and noise on a garment, soft at the edge

SIZES = [(503, 431), (515, 435), (97, 83), (9, 700)]  # 0279's box at 720p and about, a small one, a wide strip


def _whole_box_reference(y8, albedo, ymed, mean_bgr):
    """`_pattern_reference` as it was: each step once over the whole box."""
    from tryon_desktop.render.outfit import contrast_damping, shading_table

    h, w = y8.shape
    ymed = max(float(ymed), 1e-3)
    table = shading_table(ymed, contrast_damping(np.asarray(mean_bgr, np.float32), ymed)) * G._ENC_STEPS
    s = cv2.LUT(y8, table.reshape(256, 1))
    t = cv2.merge([s, s, s]) * albedo
    return G._table_lookup(G._SHOULDER_ENC, t.reshape(h, 3 * w), G._Work(), "ref").reshape(h, w, 3)


def _one_band(monkeypatch, fn, *args, **kwargs):
    monkeypatch.setattr(P, "BAND_PX", 1 << 30)
    monkeypatch.setattr(G, "BAND_PX", 1 << 30)
    try:
        return fn(*args, **kwargs)
    finally:
        monkeypatch.undo()


@pytest.mark.parametrize("h,w", SIZES)
def test_a_bent_albedo_map_by_bands_is_the_whole_box_one_to_the_last_bit(monkeypatch, h, w):
    _, alpha, y8 = _garment(h, w, seed=w)
    shoulder = 0.8 * w
    for name, rot in (("gingham", 0.0), ("stripes", 20.0), ("floral", 0.0), ("denim", 37.0)):
        period = 0.25 * shoulder
        origin = (-0.41 * w - 3.3, -0.37 * h + 0.6)
        for folds in (P.fold_offsets(y8, alpha, period, shoulder, full=False), None):
            args = (name, h, w, period, rot, (192, 57, 43), origin, folds)
            want = _one_band(monkeypatch, P.albedo_map, *args)
            got = P.albedo_map(*args)
            np.testing.assert_array_equal(want, got, err_msg=f"{name} {h}x{w} bent={folds is not None}")


@pytest.mark.parametrize("h,w", SIZES)
def test_the_pattern_reference_by_bands_is_the_whole_box_one_to_the_last_bit(h, w):
    region, alpha, y8 = _garment(h, w, seed=h)
    ymed = median_luma_luminance(y8, alpha)
    work = G._Work()
    for name in ("gingham", "tartan", "knit"):
        albedo = P.albedo_map(name, h, w, 0.2 * w + 4, 10.0, (31, 58, 147),
                              offsets=P.fold_offsets(y8, alpha, 0.2 * w + 4, 0.8 * w, full=False))
        mean = np.asarray(cv2.mean(albedo)[:3], np.float32)
        want = _whole_box_reference(y8, albedo, ymed, mean)
        for fresh in (False, True):
            got = G._pattern_reference(y8, albedo, ymed, mean, work, fresh=fresh)
            np.testing.assert_array_equal(want, got, err_msg=f"{name} fresh={fresh}")
        # and render_garment (the renderer evaluated pixel by pixel) within a level, as before
        # (which takes a dark garment's grain out first, as _pattern_reference's callers do)
        quiet = G._pattern_reference(quiet_luma(y8, alpha, brightening(mean, ymed)), albedo, ymed, mean, work)
        d = np.abs(render_garment(region, alpha, albedo, 1.0, ymed=ymed, y8=y8).astype(np.int16) - quiet)
        assert d.max() <= 1 and np.count_nonzero(d) <= 0.01 * d.size, (name, d.max())


def test_the_maps_mean_from_its_bands_is_opencvs():
    h, w = 503, 431
    a = P.albedo_map("gingham", h, w, 71.0, 0.0, (192, 57, 43), origin=(3.3, -7.1))
    want = np.asarray(cv2.mean(a)[:3], np.float32)
    np.testing.assert_allclose(P.albedo_mean(a), want, rtol=1e-6)
    b = P.albedo_map("stripes", h, w, 71.0, 0.0, None)  # now the last map made: a's mean is worked out afresh
    np.testing.assert_allclose(P.albedo_mean(a), want, rtol=1e-6)
    c = b.copy()  # not a map albedo_map made (nor the same array): cv2.mean
    c[:10] = 0.0
    np.testing.assert_allclose(P.albedo_mean(c), np.asarray(cv2.mean(c)[:3], np.float32), rtol=1e-6)
    np.testing.assert_allclose(P.albedo_mean(b), np.asarray(cv2.mean(b)[:3], np.float32), rtol=1e-6)
