"""The outfit's rim fill: the old garment's rim along the blend's edge is painted where the frame's luma
says the garment reaches, and nothing else is."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import tryon_desktop.render.rim_fill as RF
from tryon_desktop.render.rim_fill import rim_fill

H, W = 181, 203  # odd on purpose: the half- and quarter-size work must cover every row and column
CELL = 5.0  # a 720p frame's mask cell


def rect(x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
    m = np.zeros((H, W), np.float32)
    m[y0:y1, x0:x1] = 1.0
    return m


def paint(layers, noise: float = 2.0, seed: int = 0) -> np.ndarray:
    """An image of flat colours, each (mask, BGR) over the last, with a camera's soft edge and noise."""
    rng = np.random.default_rng(seed)
    img = np.zeros((H, W, 3), np.float32)
    for mask, bgr in layers:
        img = mask[..., None] * np.float32(bgr) + (1 - mask[..., None]) * img
    img = cv2.GaussianBlur(img, (0, 0), 0.7) + rng.normal(0, noise, img.shape)
    return np.clip(img + 0.5, 0, 255).astype(np.uint8)


def blend_alpha(truth: np.ndarray, inset: int) -> np.ndarray:
    """The blend's alpha as the mask leaves it: the garment's edge `inset` px inside the real one, with a
    soft 3-px ramp that stops short of 1 near it (the ramp's inner part)."""
    inner = cv2.erode(truth, np.ones((2 * inset + 1, 2 * inset + 1), np.uint8)) if inset else truth
    return np.clip(cv2.GaussianBlur(inner, (0, 0), 1.0) * 1.1, 0.0, 1.0).astype(np.float32)


def band_outside(truth: np.ndarray, px: int) -> np.ndarray:
    t8 = truth.astype(np.uint8)
    return (cv2.dilate(t8, np.ones((2 * px + 1, 2 * px + 1), np.uint8)) > 0) & (t8 == 0)


def band_inside(truth: np.ndarray, px: int) -> np.ndarray:
    t8 = truth.astype(np.uint8)
    return (t8 > 0) & (cv2.erode(t8, np.ones((2 * px + 1, 2 * px + 1), np.uint8)) == 0)


def test_a_dark_garments_rim_on_a_light_wall_is_painted():
    truth = rect(30, 40, 150, 181)
    img = paint([(np.ones((H, W), np.float32), (200, 205, 210)), (truth, (30, 28, 26))])  # black on a light wall
    before = blend_alpha(truth, 3)
    rim = band_inside(truth, 3)
    assert (before[rim] < 0.5).mean() > 0.5  # the mask leaves a rim of the old black ...
    after = rim_fill(img, before.copy(), cell=CELL)
    assert (after[rim] < 0.5).mean() < 0.05  # ... painted
    assert np.median(after[rim]) > 0.9
    assert (after[band_outside(truth, 2)] > 0.5).mean() < 0.02  # the wall stays the wall
    assert np.all(after >= before)  # only ever raised


def test_skin_beside_a_dark_collar_is_not_painted():
    """A neck above a black collar and a light wall beyond both: the neck's luma lies between the two, but
    the window's own sure pixels (the mask's neck beyond the band) teach the model it is not garment."""
    truth = rect(0, 100, 203, 181)
    neck = rect(70, 0, 130, 100)
    img = paint([(np.ones((H, W), np.float32), (215, 215, 220)), (neck, (120, 150, 200)), (truth, (25, 25, 25))])
    before = blend_alpha(truth, 0)
    after = rim_fill(img, before.copy(), cell=CELL)
    above = np.zeros((H, W), bool)
    above[:98, 70:130] = True  # the neck, from 2 px above the collar's edge
    assert (after[above] - before[above]).max() < 0.1


def test_nothing_changes_where_luma_cannot_tell_garment_from_wall():
    truth = rect(30, 40, 150, 181)
    img = paint([(np.ones((H, W), np.float32), (99, 99, 99)), (truth, (60, 60, 190))])  # red on a grey of its luma
    y = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    assert abs(float(np.median(y[truth > 0])) - float(np.median(y[truth == 0]))) < 4
    before = blend_alpha(truth, 3)
    after = rim_fill(img, before.copy(), cell=CELL)
    assert np.abs(after - before).max() < 0.05


def test_the_model_and_the_switch():
    truth = rect(30, 40, 150, 181)
    img = paint([(np.ones((H, W), np.float32), (200, 205, 210)), (truth, (30, 28, 26))])
    before = blend_alpha(truth, 3)
    out = before.copy()
    assert rim_fill(img, out, cell=CELL) is out  # in place
    tiny = before[:12, :12].copy()
    assert np.array_equal(rim_fill(img[:12, :12], tiny.copy()), tiny)
    # the quarter-size region passed in gives the same answer as the one made here
    from tryon_desktop.render.edge_matte import quarter

    assert np.array_equal(rim_fill(img, before.copy(), cell=CELL, small=quarter(img)), out)
    try:
        RF.ENABLED = False
        assert np.array_equal(rim_fill(img, before.copy(), cell=CELL), before)
    finally:
        RF.ENABLED = True


@pytest.mark.parametrize("cell", [5.0, 9.0, 13.0])
def test_any_cell_size_and_an_empty_or_full_alpha(cell):
    truth = rect(30, 40, 150, 181)
    img = paint([(np.ones((H, W), np.float32), (200, 205, 210)), (truth, (30, 28, 26))])
    for flat in (np.zeros((H, W), np.float32), np.ones((H, W), np.float32)):
        assert np.array_equal(rim_fill(img, flat.copy(), cell=cell), flat)
    after = rim_fill(img, blend_alpha(truth, 3), cell=cell)
    assert (after[band_inside(truth, 3)] < 0.5).mean() < 0.05


def test_the_outfit_effect_paints_the_rim_the_mask_leaves(monkeypatch, garment_scene):
    """In the effect, with the edge matte off: a dark garment whose mask stops 3 px short of its edge."""
    from tryon_desktop.effects.outfit import OutfitEffect

    truth, frame, sc = garment_scene((30, 28, 26))  # a black garment
    effect = OutfitEffect(model=None, edge_matte=False)
    filled = effect.prepare(frame, sc, None)[0]
    monkeypatch.setattr(RF, "ENABLED", False)
    bare = effect.prepare(frame, sc, None)[0]
    rim = band_inside(truth, 3)[filled.box.slices]
    assert (bare.alpha[rim] < 0.5).mean() > 0.3
    assert (filled.alpha[rim] < 0.5).mean() < 0.05
    outside = band_outside(truth, 2)[filled.box.slices]
    assert (filled.alpha[outside] > 0.5).mean() < 0.02


def test_a_face_is_never_raised():
    """A dark shadow under the jaw, a few pixels tall, right above a black collar: its luma is the collar's, and
    inside the band no sure pixel says otherwise, so only the face guard keeps it out."""
    truth = rect(0, 110, 203, 181)  # a black top
    face = np.array([[70, 20], [130, 20], [140, 60], [120, 105], [80, 105], [60, 60]], np.float32)
    beard = np.zeros((H, W), np.float32)
    beard[106:110, 80:120] = 1.0
    skin = np.zeros((H, W), np.float32)
    cv2.fillPoly(skin, [face.astype(np.int32)], 1.0)
    img = paint([(np.ones((H, W), np.float32), (215, 215, 220)), (skin, (120, 150, 200)), (beard, (35, 35, 40)),
                 (truth, (25, 25, 25))])
    before = blend_alpha(truth, 0)
    open_ = rim_fill(img, before.copy(), cell=CELL)
    guarded = rim_fill(img, before.copy(), cell=CELL, faces=[face])
    near = beard > 0
    assert (open_[near] - before[near]).max() > 0.5  # without the guard it is raised
    assert (guarded[near] - before[near]).max() < 0.01
    away = np.zeros((H, W), bool)
    away[100:110, :40] = True
    assert np.array_equal(guarded[away], open_[away])


def test_the_renderer_measures_the_garment_without_the_raise(monkeypatch, garment_scene):
    """The blend gets the raised alpha; the renderer's statistics (and the pattern's scale) the alpha without
    it, so what the rim fill does at the edge never moves the garment's colour."""
    from tryon_desktop.effects.outfit import OutfitEffect

    truth, frame, sc = garment_scene((30, 28, 26))  # a black garment
    filled = OutfitEffect(model=None).prepare(frame, sc, None)[0]
    monkeypatch.setattr(RF, "ENABLED", False)
    bare = OutfitEffect(model=None).prepare(frame, sc, None)[0]
    assert filled.shade_alpha is not None and bare.shade_alpha is None
    assert np.array_equal(filled.shade_alpha, bare.alpha)
    assert (filled.alpha > bare.alpha + 0.5).sum() > 100
    assert filled.shoulder_px == bare.shoulder_px


def test_the_raise_fades_where_the_model_stops_fitting():
    """Along one edge, a wall the luma tells from the garment, then one of the garment's own lightness: the
    rim is painted on the first part and fades out over a few pixels into the second, no step."""
    truth = rect(0, 60, 203, 181)  # a black top, its edge a horizontal line
    wall = np.zeros((H, W), np.float32)
    wall[:, 100:] = 1.0
    img = paint([(np.ones((H, W), np.float32), (200, 205, 210)), (wall, (40, 38, 36)), (truth, (30, 28, 26))])
    before = blend_alpha(truth, 3)
    after = rim_fill(img, before.copy(), cell=CELL)
    row = after[61, 10:190]
    assert row[:60].min() > 0.8  # painted where the wall is light
    assert np.abs(np.diff(row)).max() < 0.3  # and no step where that stops
    assert np.abs(after[:, 150:] - before[:, 150:]).max() < 0.05  # nothing where the wall is the garment's luma
