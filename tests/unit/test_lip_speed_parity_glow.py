"""Issue 12 (speed): the lip stage's leaner steps give what the earlier code gave (the finish glow in the
generator's planar layout, sheen_fields without np.clip, and GanLipstick's steps as they were before, written
out here), on real faces: the demo face, its mouth open, its lips painted red, a smaller copy, under
several lights and every finish of the catalogue."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest

from tryon_desktop.core.light import NEUTRAL, Light
from tryon_desktop.core.looks import Finish, Shade
from tryon_desktop.core.masks import LIPS_OUTER, lip_box, lip_mask, suppress_teeth
from tryon_desktop.render.lipstick import FINISH_PARAMS, finish_glow, lip_depth, shade_linear
from tryon_desktop.vision import lip_generator as G

LIGHTS = (NEUTRAL, Light(0.7, (1.08, 0.98, 0.86), 0.8))
SHADES = (Shade("red", (170, 20, 40), opacity=0.9), Shade("nude", (196, 140, 120), opacity=0.6),
          Shade("plum", (110, 44, 79), opacity=1.0))


# ---- the earlier code, written out ------------------------------------------------------------------------

def _recompose_highlights_ref(L, prepared, gain):
    px = G._pixel_cache(prepared)
    Y = np.maximum(G._LUMA @ L, 1e-5)
    y_core = np.take(Y, px.core_idx)
    lit = px.lit_rel * float(G._median(y_core))
    diffuse = np.minimum(Y, 1.05 * lit)
    excess = Y - diffuse
    c = L / Y
    core_c = np.take(c, px.core_idx, axis=1)
    plain = np.take(excess, px.core_idx) <= 0.0
    c_mean = G._median(core_c[:, plain] if int(plain.sum()) >= 10 else core_c)
    white = 1.0 - c_mean
    t = np.clip((white @ (c - c_mean[:, None])) / max(float(white @ white), 1e-6), 0.0, 1.0)
    trust = 1.0 - np.minimum(1.0, 4.0 * t)
    c_d = c_mean[:, None] + np.multiply.outer(white, t * min(gain, 1.0))
    c_d += (c - np.multiply.outer(white, t) - c_mean[:, None]) * trust
    out = c_d * diffuse
    if gain > 0.0:
        w = G._smoothstep(1.0, 2.0, excess / np.maximum(lit, 1e-5))
        spec = c_d * (1.0 - w) + np.multiply.outer(prepared.light.rgb.astype(np.float32), w)
        out += spec * (gain * excess)
    lo, hi = G._percentiles(y_core, 10.0, 85.0)
    band = px.core_idx[(y_core >= lo) & (y_core <= hi)]
    if len(band) >= 10:
        before = np.take(L, band, axis=1).sum(1)
        after = np.take(out, band, axis=1).sum(1)
        g = before / np.maximum(after, 1e-9)
        g *= float(G._LUMA @ after) / max(float(G._LUMA @ (after * g)), 1e-9)
        out *= g.astype(np.float32)[:, None]
    return out.astype(np.float32, copy=False)


def _highlight_floor_ref(Y, lit, prepared):
    """_tidy's floor under highlights as it was: a masked maximum."""
    return np.maximum(Y, 0.6 * lit, out=Y.copy(), where=G._pixel_cache(prepared).bright)


# ---- fixtures ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def gan(still_gan):
    return still_gan


def _red_lips(img, lm):
    out = img.copy()
    inside = np.zeros(img.shape[:2], np.uint8)
    cv2.fillPoly(inside, [np.round(lm[list(LIPS_OUTER), :2]).astype(np.int32)], 1)
    out[cv2.dilate(inside, np.ones((5, 5), np.uint8)) > 0] = (40, 30, 190)
    return out


@pytest.fixture(scope="module")
def prepared_faces(gan, grace_face, open_mouth):
    img, lm = grace_face
    lm = lm.astype(np.float64)
    small = cv2.resize(img, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    lm_small = lm.copy()
    lm_small[:, :2] *= 0.5
    out = []
    for im, marks in [(img, lm), (img, open_mouth(lm)), (_red_lips(img, lm), lm), (small, lm_small)]:
        box = lip_box(marks, im.shape)
        mask = suppress_teeth(lip_mask(marks, box), im[box.slices], marks, box)
        for light in LIGHTS:
            p = gan.prepare(im, marks, box, mask, light)
            assert p is not None
            out.append(p)
    return out


# ---- the tests --------------------------------------------------------------------------------------------

def _sheen_fields_ref(illum, xs, core, depth):
    """render.lipstick.sheen_fields as it was written with np.clip (before its in-place steps)."""
    from tryon_desktop.render.lipstick import quantiles

    def smooth(e0, e1, x):
        t = np.clip((x - e0) / max(e1 - e0, 1e-6), 0.0, 1.0)
        return t * t * (3.0 - 2.0 * t)

    ic = illum[core]
    if ic.size < 12:
        z = np.zeros(illum.shape, np.float32)
        return z, z
    lo, hi = quantiles(ic, [10, 97])
    x = xs[core]
    x0, x1 = float(x.min()), float(x.max())
    half = max(0.5 * (x1 - x0), 1.0)
    fall = 1.0 - 0.8 * smooth(0.25, 0.85, np.abs(xs - 0.5 * (x0 + x1)) / half)
    field = np.clip((illum - lo) / max(float(hi - lo), 0.04), 0.0, 1.5) * fall
    if depth is not None:
        field = field * (0.2 + 0.8 * smooth(0.02, 0.07, depth / (2.0 * half)))
    q75, q95, q97, q995 = quantiles(field[core], [75, 95, 97, 99.5])
    return smooth(q75, q97, field).astype(np.float32), smooth(q95, q995, field).astype(np.float32)


@pytest.mark.parametrize("finish", list(Finish))
def test_planar_finish_glow_equals_the_box_layout(prepared_faces, finish):
    """finish_glow(planar=True), the generator's (3, n) layout, is the (n, 3) glow transposed (to float32
    rounding: the colour is multiplied in float32 there)."""
    p = FINISH_PARAMS[finish]
    for prepared in prepared_faces:
        b, px = prepared.basis, G._pixel_cache(prepared)
        depth = np.take(lip_depth(prepared.mask).reshape(-1), prepared.flat) if p.sheen > 0 or p.wet > 0 else None
        for shade in SHADES:
            albedo = prepared.light.apply(shade_linear(replace(shade, finish=finish)))
            texture = b[:, 3] / np.maximum(b[:, 4], 1e-4)
            args = (p, b[:, 4], texture, px.inner, prepared.where[0], prepared.where[1], prepared.core,
                    prepared.light, albedo, depth)
            ref, got = finish_glow(*args), finish_glow(*args, planar=True)
            if ref is None:
                assert got is None
                continue
            assert got.dtype == np.float32 and got.shape == (3, len(b))
            np.testing.assert_allclose(got, ref.T, rtol=1e-5, atol=1e-7)


def test_sheen_fields_equal_the_np_clip_steps(prepared_faces):
    from tryon_desktop.render.lipstick import lip_depth as depth_of
    from tryon_desktop.render.lipstick import sheen_fields

    for prepared in prepared_faces[:3]:
        illum, xs = prepared.basis[:, 4], prepared.where[1]
        depth = np.take(depth_of(prepared.mask).reshape(-1), prepared.flat)
        for core in (prepared.core, prepared.core & (np.cumsum(prepared.core) <= 5)):
            for d in (None, depth):
                for a, b in zip(sheen_fields(illum, xs, core, d), _sheen_fields_ref(illum, xs, core, d), strict=True):
                    np.testing.assert_array_equal(a, b)


def test_recompose_highlights_and_tidy_equal_the_earlier_steps(gan, prepared_faces):
    for prepared in prepared_faces:
        for shade in SHADES:
            lin = gan._lock_colour(_lin(gan, prepared, shade), prepared, shade)
            L = G._planar(lin)
            for gain in sorted(set(G.FINISH_HIGHLIGHT.values())) + [0.0, 1.0]:
                np.testing.assert_array_equal(G._recompose_highlights(L.copy(), prepared, gain),
                                              _recompose_highlights_ref(L.copy(), prepared, gain))
            # _tidy's floor under highlights, through the whole step: the masked maximum as it was
            px = G._pixel_cache(prepared)
            Y = np.maximum(G._LUMA @ L, 1e-5)
            lit = px.lit_rel * float(G._median(np.take(Y, px.core_idx)))
            floor = Y.copy()
            floor[px.bright_idx] = np.maximum(np.take(floor, px.bright_idx), 0.6 * np.take(lit, px.bright_idx))
            np.testing.assert_array_equal(floor, _highlight_floor_ref(Y, lit, prepared))


def _lin(gan, prepared, shade):
    n = len(prepared.basis)
    grid = gan.coefficients(prepared, shade)
    coef = cv2.remap(grid, prepared.taps[0], prepared.taps[1], cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REPLICATE).reshape(-1, G.N_COEF)[:n]
    return np.einsum("ckn,kn->cn", cv2.transpose(coef).reshape(3, G.N_BASIS, n), G._planar(prepared.basis)).T


def test_generate_equals_the_earlier_steps_for_every_finish(gan, prepared_faces, monkeypatch):
    """GanLipstick.generate end to end, the new steps against the earlier ones patched in: the same uint8
    region for every finish."""
    cases = []
    for prepared in prepared_faces[::2]:
        for finish in Finish:
            shade = replace(SHADES[0], finish=finish)
            prepared.finish_terms.clear()
            cases.append((prepared, shade, gan.generate(prepared, shade)[0]))

    monkeypatch.setattr(G, "_recompose_highlights", _recompose_highlights_ref)
    for prepared, shade, region in cases:
        prepared.finish_terms.clear()
        np.testing.assert_array_equal(gan.generate(prepared, shade)[0], region)


def test_gan_shimmer_sparkle_moves_with_the_lips(gan, grace_face):
    """The basis's sparkle channel (which the network scales up for shimmer) sits in the lips' box coordinates,
    where render.lipstick.finish_glow puts its particles: the same face elsewhere in the frame gets the same
    sparkle channel and the same made-up lips, not a second pattern fixed to the screen."""
    img, lm = grace_face
    lm = lm.astype(np.float64)
    shade = replace(SHADES[0], finish=Finish.SHIMMER)
    made = []
    for dx, dy in ((0, 0), (37, 11)):
        im = cv2.copyMakeBorder(img, dy, 0, dx, 0, cv2.BORDER_REPLICATE)
        marks = lm.copy()
        marks[:, 0] += dx
        marks[:, 1] += dy
        box = lip_box(marks, im.shape)
        mask = suppress_teeth(lip_mask(marks, box), im[box.slices], marks, box)
        p = gan.prepare(im, marks, box, mask, NEUTRAL)
        made.append((p, gan.generate(p, shade)[0]))
    (a, ra), (b, rb) = made
    np.testing.assert_array_equal(a.basis[:, 6], b.basis[:, 6])
    ys, xs = a.where
    np.testing.assert_array_equal(ra, rb)
