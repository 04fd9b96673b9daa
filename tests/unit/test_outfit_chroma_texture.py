"""The made-up garment keeps its own fine chroma texture (render/outfit.py: chroma_texture): the cloth's and
the camera's colour variation inside the garment is put back on the new colour, never its mean, never the
luma, never across the garment's outline."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tryon_desktop.render import outfit as RO


def _ycc(img):
    return cv2.cvtColor(img, cv2.COLOR_BGR2YCrCb).astype(np.float64)


def _textured(h=120, w=160, seed=0):
    """A grey garment whose fibres vary in colour: chroma noise round grey in 2x2 blocks (as a camera's
    half-size chroma has it), a little luma noise."""
    rng = np.random.default_rng(seed)
    ycc = np.empty((h, w, 3), np.float64)
    ycc[..., 0] = 120 + rng.normal(0, 2, (h, w))
    for ch in (1, 2):
        ycc[..., ch] = 128 + np.kron(rng.normal(0, 4, (h // 2, w // 2)), np.ones((2, 2)))
    return cv2.cvtColor(np.clip(ycc, 0, 255).astype(np.uint8), cv2.COLOR_YCrCb2BGR)


def test_the_garment_s_own_chroma_texture_goes_onto_the_new_colour_its_mean_and_luma_do_not():
    region = _textured()
    made = np.full_like(region, (40, 50, 180))  # recoloured red, flat
    alpha = np.ones(region.shape[:2], np.float32)
    out = RO.chroma_texture(region, made, alpha)
    inside = (slice(10, -10), slice(10, -10))
    src, got = _ycc(region)[inside], _ycc(out)[inside]
    for ch in (1, 2):  # the texture: much of the original's (less the blur's share and the smooth upsampling)
        assert 0.35 * src[..., ch].std() < got[..., ch].std() <= src[..., ch].std() + 0.5
        assert np.corrcoef(src[..., ch].ravel(), got[..., ch].ravel())[0, 1] > 0.7
    assert np.abs(out[inside].mean((0, 1)) - made[inside].mean((0, 1))).max() < 0.5  # the colour chosen, kept
    assert np.abs(got[..., 0] - _ycc(made)[inside][..., 0]).max() <= 1.5  # the luma untouched


def test_the_outline_and_what_lies_outside_the_garment_get_nothing():
    region = _textured()
    region[:, :60] = (40, 160, 60)  # a green wall left of the garment: a strong chroma edge at x = 60
    made = np.full_like(region, (40, 50, 180))
    alpha = np.zeros(region.shape[:2], np.float32)
    alpha[:, 60:] = 1.0
    out = RO.chroma_texture(region, made, alpha)
    assert np.array_equal(out[:, :60], made[:, :60])
    change = np.abs(_ycc(out)[..., 1:] - _ycc(made)[..., 1:]).mean(axis=(0, 2))
    # next to the outline, only the cloth's own texture: the wall's edge is not carried in
    assert change[60:68].max() < 1.5 * change[80:].mean()
    assert _ycc(out)[:, 70:, 1].std() > 2.0  # inside, the texture


def test_below_full_strength_the_texture_scales_with_it():
    region = _textured()
    alpha = np.ones(region.shape[:2], np.float32)
    full = np.subtract(*RO.chroma_delta(region, alpha, 1.0), dtype=np.float64)
    half = np.subtract(*RO.chroma_delta(region, alpha, 0.5), dtype=np.float64)
    assert 0.4 < np.abs(half).mean() / np.abs(full).mean() < 0.6
    assert RO.chroma_delta(region, alpha, 0.0) is None


def test_a_flat_garment_gives_the_flat_colour_and_the_switch_turns_it_off(monkeypatch):
    region = np.full((60, 80, 3), (90, 100, 110), np.uint8)
    made = np.full_like(region, (40, 50, 180))
    alpha = np.ones((60, 80), np.float32)
    assert np.array_equal(RO.chroma_texture(region, made, alpha), made)
    monkeypatch.setattr(RO, "CHROMA_TEXTURE", False)
    textured = _textured(60, 80)
    assert RO.chroma_texture(textured, made, alpha) is made
    monkeypatch.setattr(RO, "CHROMA_TEXTURE", True)
    assert RO.chroma_texture(textured, made, np.zeros((60, 80), np.float32)) is made  # no garment inside


@pytest.mark.parametrize("clip", [RO.TEXTURE_CLIP])
def test_a_print_s_strong_chroma_edges_are_clipped(clip):
    region = np.full((60, 80, 3), (128, 128, 128), np.uint8)
    region[:, 40:] = (40, 40, 200)  # a red print's edge on a grey shirt
    made = np.full_like(region, (120, 60, 40))
    out = RO.chroma_texture(region, made, np.ones((60, 80), np.float32))
    d = _ycc(out)[..., 1:] - _ycc(made)[..., 1:]
    assert np.abs(d).max() <= clip + 1.5  # (a level of rounding)
