"""A pattern's inputs to the outfit generator are shrunk the cheap way in the app (`quick_shrink`: halved by
OpenCV's fast area average, then linearly), not as the training shrinks them (`shrink`: OpenCV's general
area average, a third of a large box's generate time). The network's inputs move by a few levels on sharp
edges; its output, the final made-up garment, by at most a few levels on a few pixels. A plain colour's
inputs keep the training's shrinks (its output moves more with them): to the last bit as before.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tryon_desktop.render.outfit import rgb8_to_linear_bgr
from tryon_desktop.render.patterns import albedo_map
from tryon_desktop.vision import outfit_generator as G

from test_outfit_speed_parity import _garment, _old_render, shipped


@pytest.fixture(autouse=True)
def _no_chroma_texture(monkeypatch):
    """(These check the speed paths against the straightforward code; the garment's chroma texture, added
    after both, has its own tests: tests/unit/test_outfit_chroma_texture.py.)"""
    import tryon_desktop.render.outfit as render_outfit

    monkeypatch.setattr(render_outfit, "CHROMA_TEXTURE", False)


@pytest.mark.parametrize("h,w", [(515, 435), (514, 436), (300, 200), (720, 300), (200, 720), (720, 1280), (130, 700),
                                 (100, 90), (128, 128), (256, 256), (255, 600)])
def test_quick_shrink_is_in_x_in_and_close_to_shrink_on_smooth_content(h, w):
    rng = np.random.default_rng(h + w)
    img = cv2.resize(rng.integers(0, 255, (12, 12, 3), dtype=np.uint8), (w, h), interpolation=cv2.INTER_CUBIC)
    alpha = cv2.resize(rng.random((9, 9), np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    for a in (img, alpha, img[..., 0].copy()):
        got, want = G.quick_shrink(a), G.shrink(a)
        assert got.shape == want.shape and got.shape[:2] == (G.IN, G.IN) and got.dtype == a.dtype
        scale = 255.0 if a.dtype == np.float32 else 1.0
        d = np.abs(got.astype(np.float32) - want.astype(np.float32)) * scale
        assert d.mean() < 2.0 and d.max() <= 12, (a.dtype, d.mean(), d.max())


@pytest.fixture(scope="module")
def gans():
    from tryon_desktop.effects.outfit import DEFAULT_OUTFIT_MANIFEST

    if not DEFAULT_OUTFIT_MANIFEST.exists():
        pytest.skip("no outfit generator model installed")
    return G.GanOutfit(DEFAULT_OUTFIT_MANIFEST), G.GanOutfit(DEFAULT_OUTFIT_MANIFEST)


PATTERNS = [("gingham", 0.0), ("stripes", 20.0), ("floral", 0.0), ("denim", 37.0), ("tartan", 90.0)]


@shipped
@pytest.mark.parametrize("h,w", [(515, 440), (315, 195)])
@pytest.mark.parametrize("stripes", [False, True])
def test_a_patterns_output_with_the_quick_shrinks_is_within_a_few_levels(gans, h, w, stripes):
    """The made-up garment against the training's shrinks: within 1 level nearly everywhere (at most 0.5%
    of the garment's pixels more), at most 4 anywhere."""
    old, new = gans
    region, alpha = _garment(h, w, seed=w, stripes=stripes)
    core = alpha > 0
    for name, rot in PATTERNS:
        albedo = albedo_map(name, h, w, 0.25 * 0.8 * w, rot, (192, 57, 43))
        old.reset()
        new.reset()
        want = _old_render(old, region, alpha, albedo, 1.0, exact=True)
        got = new.render(region, alpha, albedo, 1.0)
        d = np.abs(want.astype(np.int16) - got.astype(np.int16)).max(axis=2)[core]
        assert d.max() <= 4 and np.count_nonzero(d > 1) <= 0.005 * d.size, (name, d.max(), np.count_nonzero(d > 1))


@shipped
def test_a_plain_colours_output_is_as_before_to_the_last_bit(gans):
    old, new = gans
    region, alpha = _garment(515, 440, seed=3, stripes=True)
    for rgb in ((31, 58, 147), (245, 245, 240), (12, 12, 14)):
        albedo = rgb8_to_linear_bgr(rgb)
        old.reset()
        new.reset()
        want = _old_render(old, region, alpha, albedo, 1.0, exact=True)
        np.testing.assert_array_equal(want, _old_render(old, region, alpha, albedo, 1.0))  # (the same inputs)
        got = new.render(region, alpha, albedo, 1.0)
        assert np.abs(want.astype(np.int16) - got.astype(np.int16)).max() <= 1  # (the speed work's own level)
