"""Issue 11 (speed): where the outfit generator makes the garment's chroma texture changes nothing it makes.

A plain colour much lighter than the garment has its full-size reference made with the grain step on the
helper thread; the chroma texture is then made on the caller's thread while the helper shrinks the box (the
helper had about twice the caller's work). Otherwise it is made on the helper after its own work. Either
way the frame is the render without the texture plus the texture (`add_chroma(.., chroma_delta(..))`).
"""

from __future__ import annotations

import numpy as np
import pytest

import tryon_desktop.render.outfit as RO
from tryon_desktop.effects.outfit import DEFAULT_OUTFIT_MANIFEST
from tryon_desktop.render.outfit import (add_chroma, brightening, chroma_delta, grain_step_runs, luma8,
                                         median_luma_luminance, rgb8_to_linear_bgr)
from tryon_desktop.vision import outfit_generator as G


def _garment(h: int, w: int, level: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A garment of grey `level` with folds, a blue-ish chroma texture and noise; alpha soft at the edge."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    shade = 0.8 + 0.2 * np.sin(xx / (0.1 * w)) * np.cos(yy / (0.15 * h))
    base = np.float32([level + 6, level, level - 3]) * shade[..., None]
    img = base + rng.normal(0, 3, (h, w, 3)).astype(np.float32)
    d = np.hypot((xx - 0.5 * w) / (0.42 * w), (yy - 0.55 * h) / (0.48 * h))
    alpha = np.clip((1.0 - d) * 12.0, 0.0, 1.0).astype(np.float32)
    return np.clip(img + 0.5, 0, 255).astype(np.uint8), alpha


@pytest.mark.skipif(not DEFAULT_OUTFIT_MANIFEST.exists(), reason="no outfit generator model installed")
@pytest.mark.parametrize("level, rgb, grain", [(30, (245, 240, 230), True), (150, (31, 58, 147), False),
                                               (40, (60, 40, 40), False)])
@pytest.mark.parametrize("strength", [1.0, 0.7])
def test_the_chroma_texture_is_the_same_wherever_it_is_made(monkeypatch, level, rgb, grain, strength):
    region, alpha = _garment(240, 200, level)
    albedo = rgb8_to_linear_bgr(rgb)
    y8 = luma8(region)
    assert grain_step_runs(brightening(albedo, median_luma_luminance(y8, alpha))) == grain
    gan = G.GanOutfit(DEFAULT_OUTFIT_MANIFEST)
    here = []
    real_inputs = gan.inputs

    def spy(*a, meanwhile=None, **k):
        def called():
            here.append(True)
            return meanwhile()
        return real_inputs(*a, meanwhile=called if meanwhile is not None else None, **k)

    monkeypatch.setattr(gan, "inputs", spy)
    got = gan.render(region, alpha, albedo, strength)
    assert bool(here) == grain  # made on this thread only when the helper has the grain step to make
    texture = chroma_delta(region, alpha, strength)
    assert texture is not None
    monkeypatch.setattr(RO, "CHROMA_TEXTURE", False)
    gan.reset()
    plain = gan.render(region, alpha, albedo, strength)
    assert np.array_equal(got, add_chroma(plain, texture))
    assert not np.array_equal(got, plain)  # (the texture is there)


def test_the_grain_step_runs_where_quiet_luma_does_its_work(monkeypatch):
    region, alpha = _garment(120, 100, 30)
    y8 = luma8(region)
    for gain in (1.0, 1.9, 2.0):
        assert not grain_step_runs(gain) and np.array_equal(RO.quiet_luma(y8, alpha, gain), y8), gain
    for gain in (3.0, 8.0):
        assert grain_step_runs(gain) and not np.array_equal(RO.quiet_luma(y8, alpha, gain), y8), gain
    monkeypatch.setattr(RO, "GRAIN_REMOVAL", False)
    assert not grain_step_runs(8.0)
