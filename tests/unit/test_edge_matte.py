"""The outfit's edge matte: the blend's edge moves onto the frame's colour edge, and only where the colours
say where that edge is."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tryon_desktop.render.edge_matte import HI, LO, edge_matte

H, W = 181, 203  # odd on purpose: the half-size work must cover every row and column it can
CELL = 8  # the coarse mask's cell, in pixels (a 720p frame's mask cell is ~5-10 px)


def disc(cx: float, cy: float, r: float) -> np.ndarray:
    yy, xx = np.mgrid[0:H, 0:W]
    return ((xx - cx) ** 2 + (yy - cy) ** 2 <= r * r).astype(np.float32)


def coarse_prob(truth: np.ndarray, shrink_px: float) -> np.ndarray:
    """A mask as the segmenter gives it: the garment eroded by shrink_px (its contour inside the real edge),
    at CELL x coarser resolution, upsampled bilinearly."""
    k = int(round(2 * shrink_px)) + 1
    inner = cv2.erode(truth, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))) if shrink_px > 0 else truth
    small = cv2.resize(inner, (W // CELL, H // CELL), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (W, H), interpolation=cv2.INTER_LINEAR)


def alpha_of(prob: np.ndarray) -> np.ndarray:
    """The outfit effect's own alpha from the probability (effects/outfit.py: EDGE_GAIN 3)."""
    return np.clip(prob * 3.0 - 1.0, 0.0, 1.0).astype(np.float32)


def scene(garment_bgr, wall_bgr, truth, noise: float = 2.0, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = truth[..., None] * np.float32(garment_bgr) + (1 - truth[..., None]) * np.float32(wall_bgr)
    # a soft (anti-aliased) edge, as a camera sees it, and sensor noise
    img = cv2.GaussianBlur(img, (0, 0), 0.7) + rng.normal(0, noise, img.shape)
    return np.clip(img + 0.5, 0, 255).astype(np.uint8)


def rim_and_spill(alpha: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """Share of the 3-px band inside the true edge left below half covered, and of the band outside it
    covered above half."""
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7))
    t8 = truth.astype(np.uint8)
    inner = (t8 > 0) & (cv2.erode(t8, k) == 0)
    outer = (cv2.dilate(t8, k) > 0) & (t8 == 0)
    return float((alpha[inner] < 0.5).mean()), float((alpha[outer] > 0.5).mean())


def test_a_mask_inside_the_garment_reaches_its_real_edge():
    truth = disc(100, 90, 60)
    img = scene((90, 40, 30), (200, 205, 210), truth)  # a navy garment on a light wall
    prob = coarse_prob(truth, 3.0)  # the mask's edge 3 px inside the garment's
    before = alpha_of(prob)
    rim0, spill0 = rim_and_spill(before, truth)
    after = edge_matte(img, prob, before.copy())
    rim1, spill1 = rim_and_spill(after, truth)
    assert rim0 > 0.8  # the coarse mask leaves a rim of the old colour ...
    assert rim1 < 0.15  # ... the matte paints it
    assert spill1 <= spill0 + 0.02


def test_a_mask_spilling_onto_the_wall_is_pulled_back():
    truth = disc(100, 90, 55)
    img = scene((40, 60, 200), (200, 205, 210), truth)  # a red garment
    grown = cv2.dilate(truth, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9)))
    prob = coarse_prob(grown, 0.0)
    before = alpha_of(prob)
    _, spill0 = rim_and_spill(before, truth)
    after = edge_matte(img, prob, before.copy())
    rim1, spill1 = rim_and_spill(after, truth)
    assert spill0 > 0.3
    assert spill1 < 0.1
    assert rim1 < 0.15


def test_the_garment_darker_along_its_outline_is_still_garment(monkeypatch):
    # a sleeve turning away from the light: its outer 4 px are the garment's colour in shade, which the
    # straight line between the flat garment colour and the wall does not reach
    import tryon_desktop.render.edge_matte as EM

    truth = disc(100, 90, 60)
    inner = disc(100, 90, 56)
    img = scene((165, 112, 50), (202, 204, 215), truth)
    rim_px = (truth > 0) & (inner == 0)
    img[rim_px] = np.clip(img[rim_px].astype(np.float32) * 0.6, 0, 255).astype(np.uint8)
    prob = coarse_prob(truth, 4.0)
    before = alpha_of(prob)
    after = edge_matte(img, prob, before.copy())
    monkeypatch.setattr(EM, "SHADED", False)
    flat = edge_matte(img, prob, before.copy())
    rim_shaded, spill = rim_and_spill(after, truth)
    rim_flat, _ = rim_and_spill(flat, truth)
    assert rim_flat > 0.5  # the line model leaves the shaded outline in the old colour ...
    assert rim_shaded < 0.2  # ... the shading-aware one paints it
    assert spill < 0.05


def test_coarse_mask_cells_widen_the_colour_window():
    # a full-length portrait's mask cell is ~13 px: its ramp is wider than the fixed window reaches
    truth = disc(100, 90, 70)
    img = scene((90, 40, 30), (200, 205, 210), truth)
    cell = 14
    inner = cv2.erode(truth, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9)))
    prob = cv2.resize(cv2.resize(inner, (W // cell, H // cell), interpolation=cv2.INTER_AREA), (W, H),
                      interpolation=cv2.INTER_LINEAR)
    before = alpha_of(prob)
    narrow = edge_matte(img, prob, before.copy())
    wide = edge_matte(img, prob, before.copy(), cell=cell)
    rim_narrow, _ = rim_and_spill(narrow, truth)
    rim_wide, spill = rim_and_spill(wide, truth)
    assert rim_wide < 0.15
    assert rim_wide < rim_narrow - 0.2
    assert spill < 0.05


def test_garment_the_wall_colour_keeps_the_mask_edge():
    truth = disc(100, 90, 60)
    img = scene((150, 150, 150), (154, 152, 151), truth)  # no colour edge to move onto
    prob = coarse_prob(truth, 4.0)
    before = alpha_of(prob)
    after = edge_matte(img, prob, before.copy())
    assert np.abs(after - before).max() < 0.05


def test_only_the_ramp_changes_and_alpha_stays_in_range():
    truth = disc(100, 90, 60)
    img = scene((90, 40, 30), (200, 205, 210), truth)
    prob = coarse_prob(truth, 4.0)
    before = alpha_of(prob)
    after = edge_matte(img, prob, before.copy())
    assert after.dtype == np.float32 and after.shape == before.shape
    assert after.min() >= 0.0 and after.max() <= 1.0
    # a pixel whose half-size 2x2 block and its neighbours are all outside the ramp keeps its alpha exactly
    ramp = ((prob > LO) & (prob < HI)).astype(np.uint8)
    near = cv2.dilate(ramp, np.ones((7, 7), np.uint8)) > 0
    assert np.array_equal(after[~near], before[~near])


def test_a_background_between_two_wall_colours_is_not_painted():
    # a dark board above a light band, both background, beside a pink garment lighter than either: a band
    # pixel lies on the line between the board's colour and the garment's without being garment
    truth = np.zeros((H, W), np.float32)
    truth[:, 120:] = 1.0
    wall = np.zeros((H, W, 3), np.float32)
    wall[:] = (80, 75, 70)  # a dark board
    wall[110:] = (160, 180, 205)  # a beige band under it
    img = truth[..., None] * np.float32((218, 220, 240)) + (1 - truth[..., None]) * wall
    img = np.clip(cv2.GaussianBlur(img, (0, 0), 0.7) + 0.5, 0, 255).astype(np.uint8)
    prob = coarse_prob(truth, 0.0)
    before = alpha_of(prob)
    after = edge_matte(img, prob, before.copy())
    off = truth == 0
    off[:, 116:] = False  # the anti-aliased edge itself may take a little
    assert (after[off] > before[off] + 0.1).mean() < 0.01


@pytest.mark.parametrize("shape", [(5, 5), (9, 7), (1, 40)])
def test_tiny_or_thin_boxes_pass_through(shape):
    h, w = shape
    img = np.full((h, w, 3), 128, np.uint8)
    prob = np.linspace(0, 1, h * w, dtype=np.float32).reshape(h, w)
    alpha = alpha_of(prob)
    out = edge_matte(img, prob, alpha.copy())
    assert out.shape == (h, w) and np.isfinite(out).all()


def test_the_outfit_effect_uses_it_and_can_go_without(monkeypatch, garment_scene):
    import tryon_desktop.render.rim_fill as RF
    from tryon_desktop.effects.outfit import OutfitEffect

    monkeypatch.setattr(RF, "ENABLED", False)  # (the rim fill after it paints much of the same rim: the matte alone here)

    truth, frame, sc = garment_scene((90, 40, 30))  # a dark blue garment
    with_matte = OutfitEffect(model=None).prepare(frame, sc, None)[0]
    without = OutfitEffect(model=None, edge_matte=False).prepare(frame, sc, None)[0]
    assert with_matte.box == without.box
    t = truth[with_matte.box.slices]
    assert rim_and_spill(with_matte.alpha, t)[0] < rim_and_spill(without.alpha, t)[0] - 0.3


@pytest.mark.parametrize("shape", [(H, W), (H + 1, W + 1), (97, 64)])
@pytest.mark.parametrize("soft", [1.5, 4.0])
def test_only_pixels_with_both_colours_in_reach_are_looked_at_and_nothing_changes(monkeypatch, shape, soft):
    """The ramp's pixels with no garment or no wall colour in their window cannot be trusted; skipping them
    (most of a body fill's soft patch, at its level 0.75) gives exactly what looking at all of them gives."""
    import tryon_desktop.render.edge_matte as em

    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w]
    truth = (((xx - 0.4 * w) ** 2 + (yy - 0.45 * h) ** 2) <= (0.3 * min(h, w)) ** 2).astype(np.float32)
    img = scene((40, 30, 170), (200, 190, 180), truth)
    prob = cv2.GaussianBlur(truth, (0, 0), soft)  # (a wide ramp: each side seen from the next cell only)
    prob[int(0.55 * h):, :] = np.maximum(prob[int(0.55 * h):, :], 0.75)  # a body fill's band, wall and all
    alpha = alpha_of(prob)
    p2 = em._halve(prob)
    ramp = (p2 > LO) & (p2 < HI)
    sums = em._window_sums(em._halve(em._halve(img)), em._halve(p2), em.RADIUS)
    reach = em._in_reach(sums, p2.shape) > 0
    assert reach.shape == p2.shape
    assert (ramp & reach).sum() < 0.6 * ramp.sum()  # most of the soft band is skipped ...
    assert (ramp & reach).sum() > 0  # ... but not the garment's own edge
    monkeypatch.setattr(em, "REACH_FILTER", False)
    every = em.edge_matte(img, prob, alpha.copy(), cell=CELL)
    monkeypatch.setattr(em, "REACH_FILTER", True)
    skipped = em.edge_matte(img, prob, alpha.copy(), cell=CELL)
    assert np.array_equal(every, skipped)
    assert not np.array_equal(every, alpha)  # (and the matte did move the edge)


@pytest.mark.parametrize("width", range(12, 22))
@pytest.mark.parametrize("x0", [60, 61, 62, 63])
def test_a_wide_ramp_seen_from_both_sides_by_neighbouring_cells_is_still_looked_at(monkeypatch, width, x0):
    """Across a ramp about as wide as the colour window, one quarter-size cell may see only the garment and
    its neighbour only the wall; a pixel between them reads both (bilinearly), so it is in reach."""
    import tryon_desktop.render.edge_matte as em

    prob = np.zeros((64, 160), np.float32)
    prob[:, :x0] = 0.95
    prob[:, x0:x0 + width] = 0.5
    img = np.empty((64, 160, 3), np.uint8)
    img[:] = (200, 190, 180)
    img[:, :x0 + width // 2] = (40, 30, 170)
    alpha = alpha_of(prob)
    monkeypatch.setattr(em, "REACH_FILTER", False)
    every = em.edge_matte(img, prob, alpha.copy(), cell=0.0)
    monkeypatch.setattr(em, "REACH_FILTER", True)
    assert np.array_equal(em.edge_matte(img, prob, alpha.copy(), cell=0.0), every)
