"""Issue 10 (speed): the outfit generator's per-frame path (GanOutfit.render) gives what the straightforward
code gives, within one 8-bit level anywhere, for a plain colour and for a pattern (a pattern's inputs shrunk
the app's way, `quick_shrink`, in both).

The reference is the render before the speed work, written out here: prepare_inputs (the training's own
function, with the stream's printer), basis_maps + apply_coef (the training's and the export's), encode, and
the brightening / darkening parts upsampled and applied to the full-resolution reference. The model-free
pieces (the fused shoulder + encode table, the pattern's reference, the grid applied plane by plane) are
checked on their own, so they are tested without the shipped model too.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tryon_desktop.effects.outfit import DEFAULT_OUTFIT_MANIFEST
from tryon_desktop.render.outfit import (_ENC_N, _shoulder, brightening, quiet_luma, encode, luma8, median_luma_luminance, render_garment,
                                         rgb8_to_linear_bgr)
from tryon_desktop.render.patterns import albedo_map
from tryon_desktop.vision import outfit_generator as G


@pytest.fixture(autouse=True)
def _no_chroma_texture(monkeypatch):
    """(These check the speed paths against the straightforward code; the garment's chroma texture, added
    after both, has its own tests: tests/unit/test_outfit_chroma_texture.py.)"""
    import tryon_desktop.render.outfit as render_outfit

    monkeypatch.setattr(render_outfit, "CHROMA_TEXTURE", False)

shipped = pytest.mark.skipif(not DEFAULT_OUTFIT_MANIFEST.exists(), reason="no outfit generator model installed")


# ---- the reference: the render before the speed work, written out ------------------------------------------

def _old_render(gan: G.GanOutfit, region, alpha, albedo, strength: float, exact: bool = False) -> np.ndarray:
    """exact: a pattern's inputs shrunk as the training shrinks them (`shrink`); else as the app does
    (`quick_shrink`: what that changes is test_outfit_quick_shrink.py's)."""
    shrink = G.shrink
    if np.ndim(albedo) == 3 and not exact:
        G.shrink = G.quick_shrink
    try:
        x = G.prepare_inputs(region, alpha, albedo, gan.printer)
    finally:
        G.shrink = shrink
    if x is None:
        return render_garment(region, alpha, albedo, strength)
    coef = gan.coefficients(x.image, x.cond)
    lin = G.apply_coef(coef, G.basis_maps(x.orig_s, x.ref_s, x.ymed, x.unprint))
    out_s = encode(np.ascontiguousarray(lin[::-1].transpose(1, 2, 0)))
    h, w = region.shape[:2]
    up = cv2.subtract(out_s, x.ref_s), cv2.subtract(x.ref_s, out_s)
    up = [cv2.resize(d, (w, h), interpolation=cv2.INTER_LINEAR) for d in up]
    out = cv2.subtract(cv2.add(x.ref, up[0]), up[1])
    if strength < 1.0:
        out = cv2.addWeighted(out, float(strength), region, 1.0 - float(strength), 0.0)
    return out


# ---- synthetic garments ------------------------------------------------------------------------------------

def _garment(h: int, w: int, colour=(40, 60, 150), seed: int = 0, stripes: bool = False):
    """(BGR region, alpha): a garment with broad folds, a bright fold (highlights past the median: the
    shoulder), sensor noise, optionally a two-tone print, on a grey background; alpha soft at the edge."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    shade = 0.75 + 0.25 * np.sin(xx / (0.11 * w) + 0.3 * seed) * np.cos(yy / (0.17 * h))
    shade += 1.2 * np.exp(-(((xx - 0.6 * w) / (0.08 * w)) ** 2 + ((yy - 0.4 * h) / (0.2 * h)) ** 2))
    lin = (np.asarray(colour, np.float32) / 255.0) ** 2.2
    img = lin * shade[..., None] * (1.0 + 0.03 * rng.standard_normal((h, w, 1)).astype(np.float32))
    if stripes:
        img = img * np.where(np.sin(2 * np.pi * yy / 14.0) > 0, 1.0, 0.35)[..., None]
    body = np.clip(255.0 * np.clip(img, 0, 1) ** (1 / 2.2) + 0.5, 0, 255).astype(np.uint8)
    d = np.hypot((xx - 0.5 * w) / (0.42 * w), (yy - 0.55 * h) / (0.48 * h))
    alpha = np.clip((1.0 - d) * 12.0, 0.0, 1.0).astype(np.float32)
    region = np.where(alpha[..., None] > 0.5, body, np.uint8(128))
    return np.ascontiguousarray(region), alpha


def _smooth_map(h: int, w: int, seed: int) -> np.ndarray:
    """A bright, smooth albedo map (linear BGR up to 0.9): lit, it reaches the shoulder."""
    rng = np.random.default_rng(seed)
    small = rng.uniform(0.02, 0.9, (6, 6, 3)).astype(np.float32)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC).clip(0.0, 0.9)


def _albedos(h: int, w: int) -> dict:
    return {"navy": rgb8_to_linear_bgr((31, 58, 147)), "white": rgb8_to_linear_bgr((245, 245, 240)),
            "black": rgb8_to_linear_bgr((12, 12, 14)),
            "gingham": albedo_map("gingham", h, w, 0.25 * 0.8 * w, 0.0, (31, 58, 147)),
            "stripes": albedo_map("stripes", h, w, 0.3 * w, 20.0, (200, 40, 40)),
            "smooth": _smooth_map(h, w, 3)}


SIZES = [(315, 195), (515, 440), (100, 90)]  # the demo's box, a large one, one under IN (linear shrink)


def _diff(a: np.ndarray, b: np.ndarray) -> tuple[int, int]:
    d = np.abs(a.astype(np.int16) - b.astype(np.int16))
    return int(d.max()), int(np.count_nonzero(d))


# ---- the model-free pieces ---------------------------------------------------------------------------------

def test_the_fused_shoulder_table_is_encode_below_the_shoulder_and_within_a_level_above():
    v = np.linspace(0.0, 3.0, 400001, dtype=np.float32)
    want = encode(_shoulder(v))
    got = G._table_lookup(G._SHOULDER_ENC, (v * G._ENC_STEPS).reshape(1, -1), G._Work(), "t").ravel()
    d = np.abs(want.astype(int) - got)
    assert d.max() <= 1
    below = v <= 0.8
    assert np.count_nonzero(d[below]) <= 0.001 * below.sum()  # exact but for ties rounded the other way


@pytest.mark.parametrize("h,w", SIZES)
def test_the_pattern_reference_is_render_garment_within_a_level(h, w):
    region, alpha = _garment(h, w, seed=h)
    y8 = luma8(region)
    ymed = median_luma_luminance(y8, alpha)
    work = G._Work()
    for name, albedo in _albedos(h, w).items():
        if albedo.ndim == 1:
            continue
        want = render_garment(region, alpha, albedo, 1.0, ymed=ymed, y8=y8)
        mean = np.asarray(cv2.mean(albedo)[:3], np.float32)
        # (render_garment takes a dark garment's grain out first: the callers of _pattern_reference do too)
        got = G._pattern_reference(quiet_luma(y8, alpha, brightening(mean, ymed)), albedo, ymed, mean, work)
        worst, n = _diff(want, got)
        assert worst <= 1 and n <= 0.01 * want.size, (name, worst, n)


def test_the_grid_applied_plane_by_plane_is_apply_coef_within_a_level():
    rng = np.random.default_rng(5)
    region, alpha = _garment(315, 195)
    for albedo in _albedos(315, 195).values():
        x = G.prepare_inputs(region, alpha, albedo)
        for scale in (0.05, 0.3):
            coef = np.zeros((G.N_COEF, G.GRID, G.GRID), np.float32)
            for c in range(3):
                coef[c * G.N_BASIS + c] = 1.0  # the identity ...
            coef += scale * rng.standard_normal(coef.shape).astype(np.float32)  # ... bent
            lin = G.apply_coef(coef, G.basis_maps(x.orig_s, x.ref_s, x.ymed, x.unprint))
            want = encode(np.ascontiguousarray(lin[::-1].transpose(1, 2, 0)))
            worst, n = _diff(want, G._small_output(coef, x, G._Work()))
            assert worst <= 1 and n <= 0.01 * want.size, (worst, n)


# ---- the whole render, with the shipped model ----------------------------------------------------------------

@pytest.fixture(scope="module")
def gans():
    if not DEFAULT_OUTFIT_MANIFEST.exists():
        pytest.skip("no outfit generator model installed")
    return G.GanOutfit(DEFAULT_OUTFIT_MANIFEST), G.GanOutfit(DEFAULT_OUTFIT_MANIFEST)


@shipped
@pytest.mark.parametrize("h,w", SIZES)
@pytest.mark.parametrize("stripes", [False, True])
def test_the_render_is_the_straightforward_one_within_a_level(gans, h, w, stripes):
    old, new = gans
    region, alpha = _garment(h, w, seed=w, stripes=stripes)
    for name, albedo in _albedos(h, w).items():
        for strength in (1.0, 0.6):
            old.reset()
            new.reset()
            want = _old_render(old, region, alpha, albedo, strength)
            got = new.render(region, alpha, albedo, strength)
            worst, n = _diff(want, got)
            assert got.shape == want.shape and got.dtype == np.uint8
            assert worst <= 1, (name, strength, worst, n)


@shipped
def test_a_stream_renders_as_before_frame_after_frame(gans):
    """A stream: the printer keeps its print (and answers the fold warp's call from its last), the work
    arrays are kept and refitted as the box changes its size; no frame drifts from the old render."""
    old, new = gans
    old.reset()
    new.reset()
    for i, (h, w) in enumerate([(300, 200), (303, 198), (303, 198), (310, 205), (296, 201)]):
        region, alpha = _garment(h, w, seed=i, stripes=True)
        for albedo in (rgb8_to_linear_bgr((31, 58, 147)), albedo_map("gingham", h, w, 40.0, 0.0, (31, 58, 147))):
            for gan in (old, new):
                gan.printer(region, alpha)  # the pattern's fold warp asks first
            want = _old_render(old, region, alpha, albedo, 1.0)
            got = new.render(region, alpha, albedo, 1.0)
            assert _diff(want, got)[0] <= 1, i


@shipped
def test_a_box_with_too_little_garment_falls_back_as_before(gans):
    old, new = gans
    region, _ = _garment(120, 100)
    alpha = np.zeros((120, 100), np.float32)
    old.reset()
    new.reset()
    albedo = rgb8_to_linear_bgr((31, 58, 147))
    np.testing.assert_array_equal(new.render(region, alpha, albedo, 1.0), _old_render(old, region, alpha, albedo, 1.0))


def test_the_enc_steps_match_the_renderer():
    assert G._ENC_STEPS == _ENC_N - 1 and G._ENC_TABLE.shape == (1, _ENC_N)
