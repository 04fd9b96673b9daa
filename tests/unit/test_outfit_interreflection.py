"""The colour's own light in its folds (render.outfit.shaded_albedo): where the cloth is in its own shadow,
part of the light has bounced off it first, so the shadow is more saturated than the lit cloth, at the same
luminance; lit and mid-lightness pixels, greys and the switch off are unchanged."""

from __future__ import annotations

import numpy as np
import pytest

import tryon_desktop.render.outfit as RO


def _chroma(lin_bgr: np.ndarray) -> np.ndarray:
    """Spread of the channels over their mean: 0 for a grey, higher for a purer colour."""
    return (lin_bgr.max(-1) - lin_bgr.min(-1)) / np.maximum(lin_bgr.mean(-1), 1e-6)


@pytest.fixture(autouse=True)
def _on(monkeypatch):
    monkeypatch.setattr(RO, "INTERREFLECTION", True)


def test_a_fold_of_a_colour_is_more_saturated_than_its_lit_cloth_at_the_same_luminance():
    albedo = RO.rgb8_to_linear_bgr((180, 40, 50))  # a red
    shade = np.array([0.15, 0.4, 0.8, 1.0, 1.6], np.float32)
    out = RO.shaded_albedo(albedo, shade)
    plain = albedo[None, :] * shade[:, None]
    np.testing.assert_allclose(out @ RO.LUMA_BGR, plain @ RO.LUMA_BGR, rtol=1e-4)  # the shading is kept
    np.testing.assert_allclose(out[3:], plain[3:], rtol=1e-6)  # lit and mid-lightness: unchanged
    c = _chroma(out)
    assert c[0] > c[1] > c[2] > c[3] * 1.001  # the deeper the fold, the purer its colour
    assert c[0] > 1.05 * _chroma(plain)[0]


def test_a_grey_stays_grey_and_the_switch_turns_it_off(monkeypatch):
    shade = np.array([0.2, 0.5, 1.0], np.float32)
    grey = np.full(3, 0.3, np.float32)
    np.testing.assert_allclose(RO.shaded_albedo(grey, shade), grey[None, :] * shade[:, None], rtol=1e-5)
    red = RO.rgb8_to_linear_bgr((180, 40, 50))
    monkeypatch.setattr(RO, "INTERREFLECTION", False)
    np.testing.assert_array_equal(RO.shaded_albedo(red, shade), red[None, :] * shade[:, None])
    black = np.zeros(3, np.float32)
    monkeypatch.setattr(RO, "INTERREFLECTION", True)
    assert np.all(RO.shaded_albedo(black, shade) == 0)


def test_the_colour_table_takes_it_for_a_flat_colour(monkeypatch):
    red = RO.rgb8_to_linear_bgr((180, 40, 50))
    on = RO.colour_table(red, 0.2, 1.0).reshape(256, 3).astype(np.int32)
    monkeypatch.setattr(RO, "INTERREFLECTION", False)
    off = RO.colour_table(red, 0.2, 1.0).reshape(256, 3).astype(np.int32)
    lum = RO._DEC  # the luma level's linear luminance: the garment's median is 0.2
    dark = lum < 0.1
    assert np.abs(on - off)[~dark & (lum > 0.2)].max() == 0  # above the median: the same table
    assert (np.abs(on - off)[dark].max(-1) > 0).sum() > 20  # its shadows: another colour
