"""Issue 10 (speed, a pattern on a garment filling the frame): a two-tone pattern (`patterns.TWO_TONE`) reaches
the renderers as its share of ink (`TwoTone`: one channel sampled, not three, the colours mixed in with the
shading) and renders what the three-channel albedo map renders: the map to float rounding, the reference and
the generator's output within one 8-bit level on nearly every pixel. Multi-colour patterns keep the map.

The comparisons are the three-channel path, run on the same synthetic garments (folds, a highlight, noise).
The training's path (`procedural`, `prepare_inputs`) is not involved: it keeps the map.
"""

from __future__ import annotations

import numpy as np
import pytest

from tryon_desktop.effects.outfit import DEFAULT_OUTFIT_MANIFEST, ReferenceOutfit
from tryon_desktop.render import patterns as P
from tryon_desktop.render.outfit import median_luma_luminance
from tryon_desktop.vision import outfit_generator as G

from test_outfit_pattern_bands import _garment

SIZES = [(515, 435), (315, 195), (97, 83), (9, 700)]  # 0279's box at 720p, the demo's, a small one, a strip
TINTS = [(192, 57, 43), None, (12, 12, 14)]


def _maps(h: int, w: int, name: str, rot: float, tint, y8, alpha, bent: bool):
    """(the three-channel map, the TwoTone) of one pattern over the box."""
    period = 0.2 * w + 4
    folds = P.fold_offsets(y8, alpha, period, 0.8 * w, full=False) if bent else None
    args = (name, h, w, period, rot, tint, (-0.41 * w - 3.3, 0.6), folds)
    return P.albedo_map(*args), P.pattern_albedo(*args)


def _share_off(a: np.ndarray, b: np.ndarray) -> tuple[int, float]:
    """(the largest difference in levels, the share of values that differ at all)."""
    d = np.abs(a.astype(np.int16) - b.astype(np.int16))
    return int(d.max()), np.count_nonzero(d) / d.size


def test_the_two_tone_patterns_are_those_two_colours_mixed():
    assert set(P.TWO_TONE) <= set(P.PROCEDURAL)
    assert not {"tartan", "denim", "floral"} & set(P.TWO_TONE)
    for name in P.TWO_TONE:
        for tint in TINTS:
            ground, ink = P._tones(name, tint)
            tile = P._procedural_tile(name, tint, 32)
            mix = P._procedural_tile(name, tint, 32, True)
            assert mix.shape == (32, 32) and mix.min() >= 0.0 and mix.max() <= 1.0
            np.testing.assert_allclose(ground + (ink - ground) * mix[..., None], tile, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("h,w", SIZES)
def test_a_two_tone_map_is_the_three_channel_one_to_float_rounding(h, w):
    _, alpha, y8 = _garment(h, w, seed=w)
    for name in P.TWO_TONE:
        for rot, tint in zip((0.0, 23.0, -61.0), TINTS, strict=True):
            for bent in (True, False):
                full, two = _maps(h, w, name, rot, tint, y8, alpha, bent)
                assert isinstance(two, P.TwoTone) and two.shape == full.shape
                np.testing.assert_allclose(two.full(), full, atol=1e-6, err_msg=f"{name} bent={bent}")
                np.testing.assert_allclose(P.albedo_mean(two), P.albedo_mean(full), rtol=1e-5, atol=1e-7)


def test_a_multi_colour_pattern_keeps_its_three_channel_map():
    _, alpha, y8 = _garment(97, 83)
    for name in ("tartan", "denim", "floral"):
        full, got = _maps(97, 83, name, 10.0, (192, 57, 43), y8, alpha, bent=True)
        assert isinstance(got, np.ndarray)
        np.testing.assert_array_equal(got, full)


@pytest.mark.parametrize("h,w", SIZES)
def test_the_pattern_reference_of_a_two_tone_is_the_three_channel_ones_within_a_level(h, w):
    region, alpha, y8 = _garment(h, w, seed=h)
    ymed = median_luma_luminance(y8, alpha)
    work = G._Work()
    for name in P.TWO_TONE:
        for rot, tint in zip((0.0, 23.0, -61.0), TINTS, strict=True):
            full, two = _maps(h, w, name, rot, tint, y8, alpha, bent=True)
            want = G._pattern_reference(y8, full, ymed, P.albedo_mean(full), G._Work(), fresh=True)
            got = G._pattern_reference(y8, two, ymed, P.albedo_mean(two), work)
            worst, share = _share_off(want, got)
            assert worst <= 1 and share <= 0.001, (name, tint, worst, share)
            # the reference renderer's whole pattern path (grain step and all) too
            worst, share = _share_off(G.render_pattern(y8, alpha, full), G.render_pattern(y8, alpha, two, work))
            assert worst <= 1 and share <= 0.001, (name, tint, worst, share)


def test_the_reference_renderer_takes_a_two_tone_at_any_strength():
    region, alpha, y8 = _garment(315, 195, seed=4)
    for strength in (1.0, 0.6):  # full: the table lookups; part: render_garment on the mixed-out map
        for name in ("gingham", "knit"):
            full, two = _maps(315, 195, name, 10.0, (192, 57, 43), y8, alpha, bent=True)
            a, b = ReferenceOutfit(), ReferenceOutfit()
            worst, share = _share_off(a.render(region, alpha, full, strength), b.render(region, alpha, two, strength))
            assert worst <= 1 and share <= 0.001, (name, strength, worst, share)


@pytest.mark.skipif(not DEFAULT_OUTFIT_MANIFEST.exists(), reason="no outfit generator model installed")
@pytest.mark.parametrize("h,w", SIZES[:3])
def test_the_generator_renders_a_two_tone_as_the_three_channel_map_within_a_level(h, w):
    old, new = G.GanOutfit(DEFAULT_OUTFIT_MANIFEST), G.GanOutfit(DEFAULT_OUTFIT_MANIFEST)
    region, alpha, y8 = _garment(h, w, seed=w + 1)
    for name, tint in (("gingham", (192, 57, 43)), ("stripes", None), ("dots", (12, 12, 14)), ("herringbone", None)):
        full, two = _maps(h, w, name, 15.0, tint, y8, alpha, bent=True)
        for strength in (1.0, 0.6):
            old.reset()
            new.reset()
            worst, share = _share_off(old.render(region, alpha, full, strength),
                                      new.render(region, alpha, two, strength))
            assert worst <= 1 and share <= 0.001, (name, strength, worst, share)
    # too little garment to measure: the fallback renders the mixed-out map
    none = np.zeros_like(alpha)
    full, two = _maps(h, w, "gingham", 0.0, None, y8, alpha, bent=False)
    worst, _ = _share_off(old.render(region, none, full, 1.0), new.render(region, none, two, 1.0))
    assert worst <= 1
