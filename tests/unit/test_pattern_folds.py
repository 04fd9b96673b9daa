"""Patterns bend along the garment's folds (render.patterns.fold_offsets / bend), and lie still on flat cloth."""

import numpy as np

from tryon_desktop.render.patterns import FOLD_SHIFT, albedo_map, fold_offsets

H, W = 240, 320


def _garment(fold_depth: float) -> tuple[np.ndarray, np.ndarray]:
    """8-bit luma of a garment with one vertical fold (a dark valley 30 px wide at x = 160) and its mask."""
    x = np.arange(W, dtype=np.float32)
    valley = 1.0 - fold_depth * np.exp(-0.5 * ((x - 160.0) / 15.0) ** 2)
    y8 = np.clip(180.0 * np.tile(valley, (H, 1)), 0, 255).astype(np.uint8)
    alpha = np.zeros((H, W), np.float32)
    alpha[20:220, 20:300] = 1.0
    return y8, alpha


def test_flat_cloth_keeps_the_pattern_flat():
    y8, alpha = _garment(0.0)
    assert fold_offsets(y8, alpha, period=40.0, shoulder_px=280.0) is None
    alb = albedo_map("stripes", H, W, 40.0, 90.0, None)
    assert np.array_equal(albedo_map("stripes", H, W, 40.0, 90.0, None, offsets=None), alb)


def test_a_fold_bends_the_pattern_across_it_and_only_near_it():
    y8, alpha = _garment(0.5)
    off = fold_offsets(y8, alpha, period=40.0, shoulder_px=280.0)
    assert off is not None
    dx, dy = off
    assert np.abs(dy[40:200]).max() < 0.5  # a vertical fold moves the print sideways only
    assert np.abs(dx).max() <= FOLD_SHIFT * 40.0 * 1.05 + 1e-3  # at most a quarter repeat
    assert np.abs(dx[100:140, 130:190]).max() > 3.0  # beside the fold the print moves
    assert np.abs(dx[100:140, 40:80]).max() < 1.0  # far from it, on flat cloth, it barely does
    # vertical stripes (rotation 90) are shifted where the fold is: the map changes there, not far away
    alb = albedo_map("stripes", H, W, 40.0, 90.0, None)
    bent = albedo_map("stripes", H, W, 40.0, 90.0, None, offsets=off)
    change = np.abs(bent - alb).mean(-1)
    assert change[100:140, 130:190].mean() > 5 * change[100:140, 40:80].mean() + 1e-4


def test_a_deeper_fold_bends_it_more():
    shallow = fold_offsets(*_garment(0.15), period=40.0, shoulder_px=280.0)
    deep = fold_offsets(*_garment(0.5), period=40.0, shoulder_px=280.0)
    assert shallow is not None and deep is not None
    assert np.abs(deep[0]).max() > 1.3 * np.abs(shallow[0]).max()
