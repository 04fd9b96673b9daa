"""Issue 12 (speed): the lip stage's fast paths give what the straightforward code gives.

Each optimised step is checked against a plain reference (numpy's own median / percentile, the box-sized
`basis_features`, OpenCV's warp with its own border handling, and the earlier code of the GAN's runtime
steps written out here) on synthetic and real input.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tryon_desktop.core.colour import LUMA, srgb_to_linear
from tryon_desktop.core.light import NEUTRAL, Light
from tryon_desktop.core.looks import Finish, Shade, default_catalogue
from tryon_desktop.core.masks import (LIPS_INNER, LIPS_OUTER, _opening, _smooth_contour_reference, lip_box,
                                      lip_mask, mouth_width, seam_width, smooth_contour, suppress_teeth)
from tryon_desktop.render.lipstick import lip_interior, smoothstep
from tryon_desktop.vision import lip_generator as G

_LUMA = LUMA.astype(np.float32)


# ---- references: the code before the speed work, written out --------------------------------------------

def _fill_ref(mask, pts, value):
    poly = np.round(pts * 16).astype(np.int32).reshape(-1, 1, 2)
    cv2.fillPoly(mask, [poly], value, lineType=cv2.LINE_AA, shift=4)


def _opening_ref(lm, box):
    offset = np.array([box.x0, box.y0], dtype=np.float64)
    mouth = np.zeros((box.height, box.width), np.uint8)
    _fill_ref(mouth, _smooth_contour_reference(lm[list(LIPS_INNER), :2] - offset, 4, 0.35), 255)
    k = 2 * int(np.ceil(seam_width(lm))) + 1
    return cv2.morphologyEx(mouth, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))


def _lip_mask_ref(lm, box, feather=0.025):
    offset = np.array([box.x0, box.y0], dtype=np.float64)
    outer = _smooth_contour_reference(lm[list(LIPS_OUTER), :2] - offset, 4, 0.35)
    hard = np.zeros((box.height, box.width), np.uint8)
    sigma = max(0.6, feather * mouth_width(lm))
    _fill_ref(hard, outer, 255)
    mouth = _opening_ref(lm, box)
    hard = cv2.subtract(hard, mouth)
    soft = hard.astype(np.float32) / 255.0
    outside = cv2.GaussianBlur(soft, (0, 0), sigmaX=sigma, sigmaY=sigma)
    inside = cv2.GaussianBlur(soft, (0, 0), sigmaX=sigma / 3.0, sigmaY=sigma / 3.0)
    soft = np.where(hard > 127, np.maximum(inside, outside), outside)
    soft *= 1.0 - mouth.astype(np.float32) / 255.0
    soft[mouth > 127] = 0.0
    return soft


def _tidy_ref(lin, prepared):
    m, core = prepared.weight, prepared.core
    if core.sum() < 20:
        return lin
    Y = np.maximum(lin @ _LUMA, 1e-5)
    c = lin / Y[:, None]
    c_mean = np.median(c[core], axis=0)
    white = 1.0 - c_mean
    t = np.clip(((c - c_mean) @ white) / max(float(white @ white), 1e-6), 0.0, 1.0)
    rest = c - c_mean - t[:, None] * white[None, :]
    size = np.linalg.norm(rest, axis=1)
    band = 1.0 - smoothstep(0.6, 0.95, m)
    keep = np.minimum(1.0, G.CHROMA_TOLERANCE / np.maximum(size, 1e-6)) * (1.0 - band)
    inner = lip_interior(m)
    c_ok = c_mean[None, :] + (t * inner)[:, None] * white[None, :] + keep[:, None] * rest
    y_med = float(np.median(Y[core]))
    lit = prepared.basis[:, 4] / prepared.illum_ref * y_med
    y = np.where(prepared.basis[:, 3] > 1.0, np.maximum(Y, 0.6 * lit), Y)
    sel = band > 0.0
    if sel.any():
        yb = np.minimum(y[sel], G.BORDER_LIFT * lit[sel])
        yb = inner[sel] * yb + (1.0 - inner[sel]) * np.minimum(lit[sel], y_med)
        y[sel] = (1.0 - band[sel]) * y[sel] + band[sel] * yb
    return (c_ok * y[:, None]).astype(np.float32)


def _lock_colour_ref(lin, prepared, shade, colour_lock=1.0):
    core = prepared.core
    if core.sum() < 20:
        return lin
    lips = lin[core]
    y = lips @ _LUMA
    lo, hi = np.percentile(y, [10, 85])
    keep = (y >= lo) & (y <= hi)
    if keep.sum() < 10:
        return lin
    mean = lips[keep].mean(0)
    y_mean = float(mean @ _LUMA)
    target = prepared.light.apply(srgb_to_linear(np.asarray(shade.rgb, np.float64) / 255.0)).astype(np.float64)
    y_t = float(target @ LUMA)
    if y_mean <= 1e-5 or y_t <= 1e-5:
        return lin
    gain = (target / y_t) / np.maximum(mean / y_mean, 1e-4)
    gain = np.clip(gain, 0.25, 4.0)
    gain = gain / float((gain * mean) @ _LUMA / y_mean)
    gain = 1.0 + colour_lock * shade.opacity * (gain - 1.0)
    y_bare = float(prepared.basis[core][keep, :3].mean(0) @ _LUMA)
    y_goal = shade.opacity * y_t * prepared.light.exposure + (1.0 - shade.opacity) * y_bare
    scale = float(np.clip(y_goal / y_mean, 0.03, 4.0)) ** colour_lock
    return lin * (gain * scale).astype(np.float32)


# ---- synthetic lips ---------------------------------------------------------------------------------------

def _synthetic(rng, h=48, w=104, blob=0.8):
    """A textured reddish box and a soft elliptical lip mask with some exact zeros."""
    yy, xx = np.mgrid[0:h, 0:w]
    r = np.hypot((xx - w / 2) / (0.42 * w), (yy - h / 2) / (0.36 * h))
    mask = np.clip((1.0 - r) / (1.0 - blob), 0.0, 1.0).astype(np.float32) if blob < 1 else (r < 1).astype(np.float32)
    base = np.array([70, 60, 170], np.float32) * (0.7 + 0.3 * np.cos(xx / 9.0))[..., None]
    roi = np.clip(base + rng.normal(0, 18, (h, w, 3)), 0, 255).astype(np.uint8)
    roi[5:9, 40:50] = 250  # a highlight
    return roi, mask


def _prepared(rng, light=NEUTRAL):
    roi, mask = _synthetic(rng)
    flat = mask.reshape(-1)
    idx = np.flatnonzero(flat > 0)
    weight = flat[idx]
    basis, y_med, chroma, inner = G._pixel_basis(roi, mask, idx, weight, 80.0, (3, 5))
    core = weight > 0.9
    ys, xs = np.divmod(idx, mask.shape[1])
    return G.PreparedLips(image=None, basis=basis, where=(ys, xs), taps=None, roi=roi, mask=mask, y_med=y_med,
                          chroma=chroma, key=(50.0, 20.0, 80.0), light=light, weight=weight, core=core,
                          illum_ref=max(float(np.median(basis[core, 4])), 1e-4), inner=inner, flat=idx)


# ---- the tests ---------------------------------------------------------------------------------------------

def test_median_and_percentiles_match_numpy_exactly():
    rng = np.random.default_rng(3)
    for n in list(range(10, 40)) + [257, 1000, 1001, 3617]:
        x = (rng.random(n) ** 2).astype(np.float32)
        if n % 3 == 0:
            x = np.round(x * 20).astype(np.float32) / 20  # ties
        assert G._median(x) == np.median(x)
        assert G._percentiles(x.copy(), 10.0, 85.0) == tuple(float(v) for v in np.percentile(x, [10, 85]))
        X = rng.random((3, n)).astype(np.float32)
        np.testing.assert_array_equal(G._median(X), np.median(X.T, axis=0))


def test_spline_matrix_equals_the_written_out_spline():
    rng = np.random.default_rng(4)
    for _ in range(20):
        pts = rng.random((20, 2)) * 120
        np.testing.assert_allclose(smooth_contour(pts), _smooth_contour_reference(pts, 4, 0.35), atol=1e-9)


@pytest.mark.parametrize("mouth_w", [40.0, 80.0, 140.0])  # 140: the illumination's 4x smaller blur
def test_pixel_basis_equals_basis_features(mouth_w):
    rng = np.random.default_rng(int(mouth_w))
    roi, mask = _synthetic(rng, h=64 if mouth_w > 100 else 48)
    for origin in ((3, 5), (250, 230)):  # the second wraps round the sparkle tile
        ref = G.basis_features(roi, mask, mouth_w, origin, where=mask > 0)
        flat = mask.reshape(-1)
        idx = np.flatnonzero(flat > 0)
        got = G._pixel_basis(roi, mask, idx, flat[idx], mouth_w, origin)
        np.testing.assert_allclose(got[0], ref[0], rtol=0, atol=2e-6)
        assert got[1] == pytest.approx(ref[1], rel=1e-6)
        # chroma: the fast path sums the lips' colour in float64; the reference's float32 mean drifts ~1e-6
        np.testing.assert_allclose(got[2], ref[2], rtol=1e-5)
        np.testing.assert_array_equal(got[3], lip_interior(flat[idx]))
    empty = np.zeros_like(mask)
    assert G._pixel_basis(roi, empty, np.flatnonzero(empty > 0), empty.reshape(-1)[:0], 80.0, (0, 0)) is None


@pytest.mark.parametrize("half", [False, True])  # the whole patch, or straight at the network's size
def test_padded_warp_equals_opencv_border_replicate(half):
    rng = np.random.default_rng(21 if half else 5)
    roi = rng.integers(0, 256, (45, 101, 3), dtype=np.uint8)
    size = (G.IN_W, G.IN_H) if half else (G.PATCH_W, G.PATCH_H)
    for _ in range(12):
        a = np.array([rng.uniform(0, 30), rng.uniform(10, 35)])
        b = a + np.array([rng.uniform(40, 90), rng.uniform(-12, 12)])
        M = G.corner_alignment(a, b)
        if half:
            M = M * 0.5
            M[:, 2] -= 0.25
        ref = cv2.warpAffine(roi, M, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        np.testing.assert_array_equal(G._warp_patch(roi, M, size) if half else G._warp_patch(roi, M), ref)


def test_network_input_and_condition_vector_unchanged():
    rng = np.random.default_rng(6)
    patch = rng.integers(0, 256, (G.PATCH_H, G.PATCH_W, 3), dtype=np.uint8)
    pmask = rng.random((G.PATCH_H, G.PATCH_W)).astype(np.float32)
    small = cv2.resize(patch, (G.IN_W, G.IN_H), interpolation=cv2.INTER_AREA)
    m = cv2.resize(pmask, (G.IN_W, G.IN_H), interpolation=cv2.INTER_AREA)
    rgb = small[..., ::-1].astype(np.float32) * (2.0 / 255.0) - 1.0
    ref = np.ascontiguousarray(np.concatenate([rgb, m[..., None]], axis=-1).transpose(2, 0, 1)[None])
    np.testing.assert_array_equal(G.network_input(patch, pmask), ref)
    for shade in default_catalogue()[:8]:
        for _ in range(2):  # the second call is served from the cache
            c = (rng.random(3) * 5 - 0.5).astype(np.float32)
            np.testing.assert_array_equal(G.condition_vector(shade, 0.2, c), G._condition_vector_reference(shade, 0.2, c))


def test_encode_equals_clip_to_white_then_encode():
    rng = np.random.default_rng(7)
    for hi in (0.9, 2.5):  # nothing out of range / highlights past white
        lin = (rng.random((500, 3)) * hi - 0.05).astype(np.float32)
        ref = G.encode_bgr8(G.clip_to_white(lin))
        np.testing.assert_array_equal(G._to_bgr8(np.ascontiguousarray(lin.T)).T, ref)


@pytest.mark.parametrize("light", [NEUTRAL, Light(0.7, (1.05, 0.98, 0.9), 0.8)])
def test_runtime_steps_match_the_written_out_ones(light):
    rng = np.random.default_rng(8)
    prepared = _prepared(rng, light)
    n = len(prepared.basis)
    lin = (prepared.basis[:, :3] * rng.uniform(0.6, 1.6, (n, 3))).astype(np.float32)
    gan = G.GanLipstick.__new__(G.GanLipstick)
    gan.temporal, gan.colour_lock, gan._memory, gan._gain_memory = 0.0, 1.0, [], []
    for finish in Finish:
        shade = Shade("t", (170, 40, 70), finish=finish, opacity=0.85)
        ref = _lock_colour_ref(lin, prepared, shade)
        got = gan._lock_colour(np.ascontiguousarray(lin.T).T, prepared, shade)
        np.testing.assert_allclose(got, ref, rtol=2e-5, atol=1e-7)
        np.testing.assert_allclose(G.GanLipstick._tidy(got, prepared), _tidy_ref(ref, prepared), rtol=1e-4, atol=1e-6)


def test_lip_mask_and_teeth_guard_match_the_reference(grace):
    from tryon_desktop.vision.face_tracker import FaceTracker

    with FaceTracker(max_faces=1, video=False) as tr:
        lm = tr.track(grace)[0].landmarks.astype(np.float64)
    box = lip_box(lm, grace.shape)
    opened = lm.copy()  # the same face with the lower lip pulled down: an open mouth
    lower = list(LIPS_INNER[1:10]) + list(LIPS_OUTER[1:10])
    opened[lower, 1] += 0.12 * mouth_width(lm)
    for face in (lm, opened):
        b = lip_box(face, grace.shape)
        np.testing.assert_allclose(lip_mask(face, b), _lip_mask_ref(face, b), atol=1e-6)
        np.testing.assert_array_equal(_opening(face, b), _opening_ref(face, b))
    # the cached opening follows the face: after the open mouth, the closed one's again
    np.testing.assert_array_equal(_opening(lm, box), _opening_ref(lm, box))
    b = lip_box(opened, grace.shape)
    mask = lip_mask(opened, b)
    guarded = suppress_teeth(mask, grace[b.slices], opened, b)
    assert guarded.shape == mask.shape and guarded.dtype == np.float32
