"""The garment mask's skin cut (vision/garment_mask.py: SkinCut): bare skin the network marked as garment
(the neck above a collar, a forearm across the chest) comes out by the face's own skin colour; a garment
of skin colour, and skin-coloured patches inside a garment, are left alone."""

from __future__ import annotations

import cv2
import numpy as np

from tryon_desktop.vision import garment_mask as GM

SKIN = (140, 160, 200)  # BGR


def _scene(garment_bgr, seed: int = 0):
    """A 144 x 256 canvas: a face oval (skin, with sensor noise) on a grey wall, a neck joining it to a
    garment below, a forearm reaching in from the left across the garment, and a skin-coloured print patch
    in the garment's middle. The network marked the garment's whole rectangle (neck, arm and patch
    included) as garment."""
    rng = np.random.default_rng(seed)
    img = np.full((144, 256, 3), (120, 120, 120), np.uint8)
    cv2.ellipse(img, (128, 40), (17, 22), 0, 0, 360, SKIN, -1)
    img[60:144, 118:139] = SKIN  # the neck, from under the chin down into the collar
    img[80:144, 70:186] = garment_bgr
    img[74:96, 119:138] = SKIN  # the neck showing inside the collar (marked as garment)
    img[118:128, 20:120] = SKIN  # a forearm from the left edge across the garment
    img[100:110, 150:165] = SKIN  # a print patch in the middle of the garment
    img = np.clip(img.astype(np.int16) + rng.integers(-4, 5, img.shape), 0, 255).astype(np.uint8)
    t = np.linspace(0, 2 * np.pi, 36, endpoint=False)
    oval = np.stack([128 + 17 * np.cos(t), 40 + 22 * np.sin(t)], 1).astype(np.float32)
    prob = np.zeros((144, 256), np.float32)
    prob[74:144, 70:186] = 0.95
    return img, prob, oval


def test_neck_and_forearm_are_cut_and_the_garment_and_its_print_stay():
    img, prob, oval = _scene((150, 70, 40))  # a blue top
    skin = GM.cheek_pixels(img, oval)
    assert skin is not None and len(skin) >= 20
    out = GM.SkinCut()(img, prob, img, [oval])
    assert float(out[76:94, 121:136].mean()) < 0.2  # the neck inside the collar
    assert float(out[120:126, 72:116].mean()) < 0.2  # the forearm over the garment
    assert float(out[101:109, 151:164].mean()) > 0.9  # a skin-coloured print not joined to any skin: kept
    assert float(out[85:115, 75:115].mean()) > 0.9  # the garment
    assert float(out[132:144, 140:185].mean()) > 0.9
    assert float(np.abs(out - prob)[prob == 0].max()) == 0.0  # nothing is added


def test_a_skin_coloured_garment_is_left_whole():
    img, prob, oval = _scene((150, 168, 205))  # a blush top, near the skin's colour
    out = GM.SkinCut()(img, prob, img, [oval])
    assert out is prob


def test_no_face_or_no_garment_cuts_nothing():
    img, prob, oval = _scene((150, 70, 40))
    cut = GM.SkinCut()
    assert cut(img, prob, img, []) is prob
    empty = np.zeros_like(prob)
    assert cut(img, empty, img, [oval]) is empty
    # an oval off the frame or degenerate gives no sample
    assert GM.cheek_pixels(img, oval + 1000.0) is None
    assert GM.cheek_pixels(img, np.full((36, 2), np.nan, np.float32)) is None


def test_the_engine_cuts_skin_only_when_asked():
    """GarmentPerception runs the skin cut (after the hair cut on a photo; on a stream on the helper thread,
    after the network); skin_cut = False (the evaluations' --no-skin-cut) leaves the mask as it was."""
    from tryon_desktop.engine import GarmentPerception

    img, prob, oval = _scene((150, 70, 40))

    class Seg:
        seen = img
        seen_colours = GM.colour_planes(img)

    g = GarmentPerception(model=None)
    g.segmenter = Seg()
    try:
        cut = g._cut_skin(img, prob.copy(), [oval])
        GarmentPerception.skin_cut = False
        kept = g._cut_skin(img, prob.copy(), [oval])
    finally:
        GarmentPerception.skin_cut = True
    assert float(cut[76:94, 121:136].mean()) < 0.2
    assert float(kept[76:94, 121:136].mean()) > 0.9


def test_a_stream_refits_its_colour_models_every_few_frames_and_at_once_for_a_new_face():
    img, prob, oval = _scene((150, 70, 40))
    cut = GM.SkinCut(refit=3)
    fits = []
    real_fit = GM.SkinCut._fit

    def counting_fit(*a):
        fits.append(1)
        return real_fit(*a)

    cut._fit = counting_fit
    first = cut(img, prob, img, [oval], video=True)
    for _ in range(4):
        again = cut(img, prob, img, [oval], video=True)
        np.testing.assert_array_equal(first, again)  # the same frame: the same cut, refitted or not
    assert len(fits) == 2  # the first frame, and the fifth (the stream's refit phase, 1 of every 3)
    cut(img, prob, img, [oval, oval + 300.0], video=True)  # a second face (off this frame): refit at once
    assert len(fits) == 3
    cut.reset()
    cut(img, prob, img, [oval], video=True)
    assert len(fits) == 4
    for _ in range(3):
        cut(img, prob, img, [oval])  # a photo fits every time
    assert len(fits) == 7


def test_a_streams_refit_moves_half_way_so_the_cut_does_not_jump():
    img, prob, oval = _scene((150, 70, 40))
    warmer = img.copy()
    face = np.zeros(img.shape[:2], np.uint8)
    cv2.ellipse(face, (128, 40), (17, 22), 0, 0, 360, 1, -1)
    warmer[face > 0] = np.clip(warmer[face > 0].astype(np.int16) + (-10, 0, 12), 0, 255).astype(np.uint8)
    fg = cv2.cvtColor(img, cv2.COLOR_BGR2Lab)[prob > 0.8].astype(np.float32)
    first = GM.SkinCut._fit(img, [oval], fg)
    second = GM.SkinCut._fit(warmer, [oval], fg)
    assert first is not None and second is not None and not np.allclose(first[0], second[0])
    cut = GM.SkinCut(refit=2, phase=0)
    cut(img, prob, img, [oval], video=True)
    np.testing.assert_allclose(cut._tables[0], first[0])
    cut(warmer, prob, warmer, [oval], video=True)  # (not a refit frame: the tables stay)
    np.testing.assert_allclose(cut._tables[0], first[0])
    cut(warmer, prob, warmer, [oval], video=True)  # the refit: half way
    np.testing.assert_allclose(cut._tables[0], 0.5 * (first[0] + second[0]), rtol=1e-5)
    photo = GM.SkinCut()
    photo(warmer, prob, warmer, [oval])  # a photo takes its own colours, whole
    np.testing.assert_allclose(photo._tables[0], second[0])
