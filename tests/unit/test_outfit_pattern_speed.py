"""Issue 10 (speed, patterns on a large garment): the pattern's fast paths give what the code before them gave.

The reference implementations are the code before the speed work, written out here: `fold_offsets` resizing
its shifts to the box, `albedo_map` building full-resolution maps from a cached pixel grid, the reference
renderer evaluating a pattern pixel by pixel (`render_garment`), the grid applied to the generator's small
output plane by plane. No data files, no model needed (the generator's own checks with its model are in
test_outfit_speed_parity.py).
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np
import pytest

from tryon_desktop.core.geometry import Box
from tryon_desktop.core.looks import Look, resolve_outfit
from tryon_desktop.effects.outfit import OutfitEffect, OutfitItem, ReferenceOutfit
from tryon_desktop.render import patterns as P
from tryon_desktop.render.outfit import luma8, render_garment
from tryon_desktop.vision import outfit_generator as G


@pytest.fixture(autouse=True)
def _no_chroma_texture(monkeypatch):
    """(These check the speed paths against the straightforward code; the garment's chroma texture, added
    after both, has its own tests: tests/unit/test_outfit_chroma_texture.py.)"""
    import tryon_desktop.render.outfit as render_outfit

    monkeypatch.setattr(render_outfit, "CHROMA_TEXTURE", False)

# ---- the reference: the code before the speed work ------------------------------------------------------


@lru_cache(maxsize=4)
def _old_grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    return xx, yy


def _old_albedo_map(pattern, h, w, period, rotation, tint, origin=(0.0, 0.0), offsets=None):
    if pattern in P.PROCEDURAL:
        n = int(np.clip(round(period), 4, P.TILE_MAX))
        key = (pattern, tuple(tint) if tint is not None else None, n)
        tile = P._procedural_tile(*key)
        per_px = n / max(period, 2.0)
        shift = -0.5
    else:
        key = (str(pattern), None, 0)
        tile = P._fabric(str(pattern))
        per_px = tile.shape[1] / max(period, 4.0)
        shift = 0.0
    t = np.deg2rad(rotation)
    a, b = np.float32(np.cos(t) * per_px), np.float32(np.sin(t) * per_px)
    xx, yy = _old_grid(h, w)
    xx, yy = xx + np.float32(origin[0]), yy + np.float32(origin[1])
    if offsets is not None:
        xx, yy = cv2.add(xx, offsets[0]), cv2.add(yy, offsets[1])
    map_x = xx * a + yy * b + np.float32(shift)
    map_y = yy * a - xx * b + np.float32(shift)
    th, tw = tile.shape[:2]
    (x0, x1), (y0, y1) = cv2.minMaxLoc(map_x)[:2], cv2.minMaxLoc(map_y)[:2]
    kx, ky = np.floor(x0 / tw), np.floor(y0 / th)
    map_x -= np.float32(kx * tw)
    map_y -= np.float32(ky * th)
    return cv2.remap(P._repeats(key, P._reps(x1 / tw - kx), P._reps(y1 / th - ky)), map_x, map_y, cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_WRAP)


def _old_fold_offsets(y8, alpha, period, shoulder_px):
    h, w = y8.shape
    if h < 8 or w < 8 or float(alpha.sum()) < 64:
        return None
    s = max(1.5, P.FOLD_SIGMA * max(shoulder_px, 32.0))
    f = max(1, int(s // 2.0))
    sw, sh = w // f, h // f
    if sw < 4 or sh < 4:
        return None
    if f > 1:
        y8 = cv2.resize(y8[:sh * f, :sw * f], (sw, sh), interpolation=cv2.INTER_AREA)
        m = cv2.resize(alpha[:sh * f, :sw * f].astype(np.float32, copy=False), (sw, sh), interpolation=cv2.INTER_AREA)
        s, period = s / f, period / f
    else:
        m = alpha.astype(np.float32)
    ly = np.log(y8.astype(np.float32) + 8.0)
    sm = cv2.GaussianBlur(m, (0, 0), s)
    shade = cv2.GaussianBlur(ly * m, (0, 0), s) / np.maximum(sm, 1e-3)
    inside = m > 0.5
    if int(inside.sum()) < 64:
        return None
    dev = shade - float(np.median(shade[inside]))
    if float(np.percentile(np.abs(dev[inside]), 95)) < 0.03:
        return None
    gy, gx = np.gradient(shade)
    ease = np.clip(sm * 2.0 - 0.5, 0.0, 1.0)
    k = (P.FOLD_GAIN * period * s) * ease
    dx, dy = k * gx, k * gy
    big = float(np.sqrt(dx * dx + dy * dy).max())
    jx, jy = np.gradient(dx), np.gradient(dy)
    steep = max(float(np.abs(jx[0]).max()), float(np.abs(jx[1]).max()), float(np.abs(jy[0]).max()),
                float(np.abs(jy[1]).max()))
    scale = min(1.0, P.FOLD_SHIFT * period / max(big, 1e-6), P.FOLD_STRETCH / max(steep, 1e-6))
    dx *= scale
    dy *= scale
    if f > 1:
        return (cv2.resize((dx * f).astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR),
                cv2.resize((dy * f).astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR))
    return dx.astype(np.float32), dy.astype(np.float32)


def _old_small_output(coef, x, work):
    b, g, r = cv2.split(cv2.LUT(x.ref_s, G._DEC_LUT))
    y = cv2.transform(cv2.LUT(x.orig_s, G._DEC_LUT), G._LUMA_BGR)
    if x.unprint is not None:
        y = y * x.unprint
    basis = (r, g, b, np.clip(y * np.float32(1.0 / max(x.ymed, 1e-3)), 0.0, G.SHADE_MAX))
    c = np.asarray(coef, np.float32) * G._ENC_STEPS
    planes = []
    for ch in (2, 1, 0):
        up = [cv2.resize(c[ch * G.N_BASIS + k], (G.IN, G.IN), interpolation=cv2.INTER_LINEAR) for k in range(G.N_BASIS)]
        acc = cv2.multiply(up[0], basis[0])
        for k in range(1, G.N_BASIS - 1):
            cv2.accumulateProduct(up[k], basis[k], acc)
        cv2.add(acc, up[G.N_BASIS - 1], dst=acc)
        planes.append(G._table_lookup(G._ENC_TABLE, acc, work, f"enc{ch}"))
    return cv2.merge(planes)


# ---- synthetic garments -------------------------------------------------------------------------------------

def _garment(h: int, w: int, seed: int = 0):
    """(BGR region, alpha, print-free luma): a garment with broad folds (so the pattern bends), noise, on a
    grey background; alpha soft at the edge."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    shade = 0.7 + 0.3 * np.sin(xx / (0.09 * w) + seed) * np.cos(yy / (0.15 * h))
    shade += 0.8 * np.exp(-(((xx - 0.6 * w) / (0.07 * w)) ** 2 + ((yy - 0.4 * h) / (0.25 * h)) ** 2))
    lin = (np.asarray((150, 110, 90), np.float32) / 255.0) ** 2.2
    img = lin * shade[..., None] * (1.0 + 0.02 * rng.standard_normal((h, w, 1)).astype(np.float32))
    body = np.clip(255.0 * np.clip(img, 0, 1) ** (1 / 2.2) + 0.5, 0, 255).astype(np.uint8)
    d = np.hypot((xx - 0.5 * w) / (0.44 * w), (yy - 0.52 * h) / (0.47 * h))
    alpha = np.clip((1.0 - d) * 12.0, 0.0, 1.0).astype(np.float32)
    region = np.ascontiguousarray(np.where(alpha[..., None] > 0.5, body, np.uint8(128)))
    return region, alpha, luma8(region)


SIZES = [(520, 440), (315, 195), (97, 83)]  # a garment filling the frame's height, the demo's, a small one
PATTERNS = [("gingham", 0.0), ("stripes", 20.0), ("floral", 0.0), ("denim", 37.0), ("tartan", 90.0)]


def _close(a: np.ndarray, b: np.ndarray, steep: float = 0.06) -> None:
    """Two albedo maps sampled at places a float rounding apart: the same to float precision but where
    OpenCV's 1/32-pixel sampling steps round the other way (a pixel's value moves by under 1/32 of the
    pattern's steepest edge per pixel)."""
    d = np.abs(a - b).max(axis=2)
    assert a.shape == b.shape and a.dtype == b.dtype == np.float32
    assert d.max() <= steep, d.max()
    assert np.count_nonzero(d > 1e-4) <= max(3, 2e-3 * d.size), np.count_nonzero(d > 1e-4)  # (denim: ~1e-3)


# ---- fold_offsets and albedo_map ------------------------------------------------------------------------------

@pytest.mark.parametrize("h,w", SIZES)
def test_fold_offsets_are_as_before_and_their_field_resizes_to_them(h, w):
    _, alpha, y8 = _garment(h, w, seed=h)
    for shoulder in (0.8 * w, 60.0, 30.0):  # shrunk by 6 or so, by 1 (f = 1: the field is the box's own size)
        period = 0.25 * shoulder
        want = _old_fold_offsets(y8, alpha, period, shoulder)
        got = P.fold_offsets(y8, alpha, period, shoulder)
        field = P.fold_offsets(y8, alpha, period, shoulder, full=False)
        assert want is not None and got is not None and isinstance(field, P.FoldField)
        for a, b, c in zip(want, got, field.full(), strict=True):
            np.testing.assert_array_equal(a, b)
            np.testing.assert_array_equal(a, c)
        assert field.shape == (h, w) and field.dx.dtype == np.float32


def test_fold_offsets_still_refuse_too_little_garment_and_flat_cloth():
    _, alpha, y8 = _garment(120, 100)
    empty = np.zeros_like(alpha)
    empty[50:55, 40:50] = 1.0  # 50 px of garment
    assert _old_fold_offsets(y8, empty, 20.0, 80.0) is None
    assert P.fold_offsets(y8, empty, 20.0, 80.0) is None and P.fold_offsets(y8, empty, 20.0, 80.0, full=False) is None
    flat = np.full_like(y8, 140)
    assert P.fold_offsets(flat, alpha, 20.0, 80.0, full=False) is None


@pytest.mark.parametrize("h,w", SIZES)
def test_a_flat_albedo_map_is_the_same_to_the_last_bit(h, w, tmp_path):
    fabric = tmp_path / "fabric.png"
    rng = np.random.default_rng(2)
    cv2.imwrite(str(fabric), cv2.GaussianBlur(rng.integers(0, 255, (40, 56, 3), dtype=np.uint8), (0, 0), 1.5))
    for name, rot in PATTERNS + [(str(fabric), 0.0), (str(fabric), 33.0)]:
        for origin in ((0.0, 0.0), (-231.37, -17.6), (12.5, 40.25)):
            for period in (0.2 * w, 13.0):
                want = _old_albedo_map(name, h, w, period, rot, (200, 40, 40), origin)
                got = P.albedo_map(name, h, w, period, rot, (200, 40, 40), origin)
                np.testing.assert_array_equal(want, got, err_msg=f"{name} {rot} {origin} {period}")


@pytest.mark.parametrize("h,w", SIZES)
def test_a_bent_albedo_map_is_the_same_but_for_float_rounding(h, w):
    _, alpha, y8 = _garment(h, w, seed=w)
    shoulder = 0.8 * w
    for name, rot in PATTERNS:
        for scale in (0.25, 0.1):
            period = scale * shoulder
            origin = (-0.41 * w - 3.3, -0.37 * h + 0.6)
            off = _old_fold_offsets(y8, alpha, period, shoulder)
            assert off is not None
            want = _old_albedo_map(name, h, w, period, rot, None, origin, off)
            field = P.fold_offsets(y8, alpha, period, shoulder, full=False)
            _close(want, P.albedo_map(name, h, w, period, rot, None, origin, field))  # the effect's way
            _close(want, P.albedo_map(name, h, w, period, rot, None, origin, P.fold_offsets(y8, alpha, period, shoulder)))


def test_the_albedo_map_is_a_new_array_each_call():
    a = P.albedo_map("gingham", 60, 80, 16.0, 0.0, None)
    b = P.albedo_map("gingham", 60, 80, 16.0, 0.0, None, origin=(3.0, 0.0))
    assert not np.shares_memory(a, b) and np.abs(a - b).max() > 0.05


# ---- the renderers ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("h,w", SIZES)
def test_the_reference_renderer_draws_a_pattern_as_render_garment_within_a_level(h, w):
    region, alpha, y8 = _garment(h, w, seed=3)
    ref = ReferenceOutfit()
    for name, rot in PATTERNS:
        albedo = P.albedo_map(name, h, w, 0.2 * w, rot, (31, 58, 147))
        for strength in (1.0, 0.6):
            ref.reset()
            want = render_garment(region, alpha, albedo, strength, y8=ref.printer(region, alpha))
            ref.reset()
            got = ref.render(region, alpha, albedo, strength)
            d = np.abs(want.astype(np.int16) - got.astype(np.int16))
            assert got.dtype == np.uint8 and got.shape == want.shape
            assert d.max() <= 1 and np.count_nonzero(d) <= 0.01 * d.size, (name, strength, d.max())
            if strength < 1.0:
                np.testing.assert_array_equal(want, got)  # (the straightforward code itself)
    a = ref.render(region, alpha, P.albedo_map("gingham", h, w, 20.0, 0.0, None), 1.0)
    b = ref.render(region, alpha, P.albedo_map("stripes", h, w, 20.0, 0.0, None), 1.0)
    assert not np.shares_memory(a, b)  # a new array each call (the work arrays are not handed out)


def test_the_generators_small_output_is_the_plane_by_plane_one():
    rng = np.random.default_rng(7)
    region, alpha, _ = _garment(315, 195)
    for albedo in (np.float32([0.05, 0.1, 0.6]), P.albedo_map("gingham", 315, 195, 40.0, 0.0, (31, 58, 147))):
        x = G.prepare_inputs(region, alpha, albedo)
        for scale in (0.05, 0.3):
            coef = np.zeros((G.N_COEF, G.GRID, G.GRID), np.float32)
            for c in range(3):
                coef[c * G.N_BASIS + c] = 1.0
            coef += scale * rng.standard_normal(coef.shape).astype(np.float32)
            want = _old_small_output(coef, x, G._Work())
            got = G._small_output(coef, x, G._Work())
            d = np.abs(want.astype(np.int16) - got.astype(np.int16))
            assert got.shape == want.shape == (G.IN, G.IN, 3) and d.max() <= 1
            assert np.count_nonzero(d) <= 0.001 * d.size


def test_the_generator_measures_a_frames_luma_once():
    """GanOutfit.luma: the effect's call and the render's that follows, for the same region array, share
    one luma (the printer then answers the render from its last call); another array is measured afresh."""
    from types import SimpleNamespace

    region, _, y8 = _garment(60, 50)
    gan = SimpleNamespace(_luma=None)
    first = G.GanOutfit.luma(gan, region)
    np.testing.assert_array_equal(first, y8)
    assert G.GanOutfit.luma(gan, region) is first
    other = region.copy()
    assert G.GanOutfit.luma(gan, other) is not first


def _old_generate(effect: OutfitEffect, item: OutfitItem, look) -> np.ndarray:
    """OutfitEffect.generate before the speed work: full-resolution fold shifts into the old albedo map,
    rendered pixel by pixel."""
    sw = look.outfit
    period = max(4.0, sw.scale * max(item.shoulder_px, 32.0))
    ax, ay = item.anchor
    y8 = effect.backend.printer(item.region, item.alpha)
    albedo = _old_albedo_map(sw.pattern, item.box.height, item.box.width, period, sw.rotation, sw.rgb,
                             origin=(item.box.x0 - ax, item.box.y0 - ay),
                             offsets=_old_fold_offsets(y8, item.alpha, period, item.shoulder_px))
    return render_garment(item.region, item.alpha, albedo, sw.strength, y8=effect.backend.printer(item.region, item.alpha))


@pytest.mark.parametrize("pattern", ["gingham", "stripes"])
def test_the_effect_makes_a_pattern_as_before(pattern):
    """The whole pattern path of the effect (fold field, albedo map, the reference renderer) against the old
    one: within a level but for a few pixels on the pattern's edges whose 1/32-pixel sampling step rounds
    the other way (the maps are the same sums in another order): those move by under 1/32 of the edge."""
    from dataclasses import replace

    h, w = 520, 440
    region, alpha, _ = _garment(h, w, seed=5)
    look = Look(outfit=replace(resolve_outfit("#C0392B"), pattern=pattern, rotation=10.0))
    effect = OutfitEffect(model=None)
    old = OutfitEffect(model=None)
    for i, (x0, y0) in enumerate([(450, 20), (452, 19), (449, 21)]):  # a box moving over a stream
        item = OutfitItem(Box(x0, y0, x0 + w, y0 + h), alpha, region.copy(), 0.8 * w, (662.2 + i, 276.3 - i))
        want = _old_generate(old, item, look)
        got = effect.generate(item, look).region
        d = np.abs(want.astype(np.int16) - got.astype(np.int16))
        assert d.max() <= 8 and np.count_nonzero(d > 1) <= 1e-4 * d.size, (i, d.max(), np.count_nonzero(d > 1))
        assert np.count_nonzero(d) <= 0.01 * d.size


def _fake_gan():
    """What GanOutfit.inputs uses of its object (no model needed): its printer, work arrays and luma."""
    from types import SimpleNamespace

    from tryon_desktop.render.outfit import PrintRemover

    gan = SimpleNamespace(_luma=None, printer=PrintRemover(), _work=G._Work())
    gan.luma = lambda region: G.GanOutfit.luma(gan, region)
    return gan


@pytest.mark.parametrize("stripes", [False, True])
def test_the_generators_inputs_are_the_same_with_the_shrinks_on_the_helper_thread(monkeypatch, stripes):
    """GanOutfit.inputs with the box's shrinks on the helper thread (SHRINK_THREAD) and inline: the same
    arrays, to the last bit; and the training's prepare_inputs within a level."""
    h, w = 515, 435
    region, alpha, _ = _garment(h, w, seed=9)
    if stripes:  # a printed garment: the print-free luma is shrunk too
        region = np.ascontiguousarray(np.where((np.arange(h) // 9 % 2 == 0)[:, None, None], region // 3, region))
    for albedo in (np.float32([0.05, 0.1, 0.6]), P.albedo_map("gingham", h, w, 80.0, 0.0, (192, 57, 43))):
        got = {}
        for threaded in (True, False):
            monkeypatch.setattr(G, "SHRINK_THREAD", threaded)
            got[threaded] = G.GanOutfit.inputs(_fake_gan(), region, alpha, albedo)
        a, b = got[True], got[False]
        assert a is not None and b is not None and (a.unprint is None) == (not stripes)
        for name in ("ref", "orig_s", "ref_s", "alpha_s", "image", "cond", "unprint"):
            if getattr(b, name) is not None:
                np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
        assert a.ymed == b.ymed
        want = G.prepare_inputs(region, alpha, albedo, _fake_gan().printer)
        if albedo.ndim == 1:  # a plain colour: the training's shrinks, to the last bit
            for name in ("orig_s", "alpha_s"):
                np.testing.assert_array_equal(getattr(a, name), getattr(want, name), err_msg=name)
            assert np.abs(a.ref_s.astype(int) - want.ref_s).max() <= 1
            # (the training's mean of the map is numpy's float32 sum, the app's OpenCV's: a few 1e-4 apart)
            np.testing.assert_allclose(a.cond, want.cond, atol=2e-3)
            np.testing.assert_allclose(a.cond[6:], want.cond[6:], atol=1e-6)
        else:  # a pattern: the app's quick shrinks (test_outfit_quick_shrink.py: what that does to the output)
            np.testing.assert_array_equal(a.orig_s, G.quick_shrink(region))
            np.testing.assert_array_equal(a.alpha_s, G.quick_shrink(alpha))
            assert np.abs(a.ref_s.astype(int) - G.quick_shrink(want.ref)).max() <= 1
            # the target's part as the training's; the garment's own colour from the quick shrink, close
            np.testing.assert_allclose(a.cond[:6], want.cond[:6], atol=2e-3)
            np.testing.assert_allclose(a.cond[6:8], want.cond[6:8], atol=1e-6)
            np.testing.assert_allclose(a.cond[8:], want.cond[8:], atol=0.02)


def test_the_helper_threads_errors_reach_the_caller(monkeypatch):
    for threaded in (True, False):
        monkeypatch.setattr(G, "SHRINK_THREAD", threaded)
        with pytest.raises(cv2.error):
            G._in_background(G.shrink, np.zeros((0, 0), np.uint8))()
