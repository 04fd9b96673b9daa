"""The outfit's full-resolution hair matte: strands of hair lying on the garment leave its blend; the garment
between them stays; a garment of the hair's own colour is left whole."""

from __future__ import annotations

import cv2
import numpy as np

import tryon_desktop.render.hair_matte as HM

H, W = 360, 480
HAIR = (30, 38, 52)  # dark brown, BGR
WALL = (205, 208, 212)


def head_polygon() -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, 36, endpoint=False)
    return np.stack([240 + 45 * np.cos(t), 90 + 60 * np.sin(t)], 1).astype(np.float32)


def scene(garment_bgr, seed: int = 0):
    """A head (skin oval, hair round its top and falling in strands over the right shoulder) above a garment;
    the garment mask and the blend's alpha cover the whole garment, strands included."""
    rng = np.random.default_rng(seed)
    img = np.zeros((H, W, 3), np.float32)
    img[:] = WALL
    garment = np.zeros((H, W), np.uint8)
    garment[170:, 60:420] = 1
    img[garment > 0] = garment_bgr
    cv2.ellipse(img, (240, 80), (62, 80), 0, 180, 360, HAIR, -1)  # hair round the top of the head
    cv2.ellipse(img, (240, 90), (45, 60), 0, 0, 360, (120, 150, 200), -1)  # the face
    strands = np.zeros((H, W), np.uint8)
    for x in range(262, 332, 14):  # locks 8 px wide over the shoulder, 6 px of garment between them
        strands[150:300, x:x + 8] = 1
    img[strands > 0] = HAIR
    img = cv2.GaussianBlur(img, (0, 0), 0.6) + rng.normal(0, 2.0, img.shape)
    frame = np.clip(img + 0.5, 0, 255).astype(np.uint8)
    small = cv2.resize(garment.astype(np.float32), (W // 5, H // 5), interpolation=cv2.INTER_AREA)
    box = (60, 170, 420, H)
    alpha = garment[170:, 60:420].astype(np.float32)
    return frame, small, box, alpha, strands[170:, 60:420] > 0


def test_strands_over_the_garment_leave_the_blend_and_the_garment_between_them_stays():
    frame, small, box, alpha, strands = scene((170, 110, 40))  # a blue sweater
    out = HM.HairMatte()(frame, box, alpha.copy(), [head_polygon()], small)
    core = cv2.erode(strands.astype(np.uint8), np.ones((1, 5), np.uint8)) > 0  # each lock's middle
    between = np.zeros_like(strands)
    for x in range(270 - 60, 332 - 60, 14):  # the middle two columns of each gap between locks
        between[:110, x + 2:x + 4] = True
    core[110:] = False
    assert out[core].mean() < 0.15
    assert out[between].mean() > 0.85
    far = np.zeros_like(strands)
    far[60:, :100] = True  # the garment away from the hair is untouched
    assert np.array_equal(out[far], alpha[far])


def test_a_garment_the_hair_colour_is_left_whole():
    frame, small, box, alpha, _ = scene((34, 40, 50))  # a dark brown top under dark brown hair
    out = HM.HairMatte()(frame, box, alpha.copy(), [head_polygon()], small)
    assert np.array_equal(out, alpha)


def test_no_face_or_switched_off_passes_through(monkeypatch):
    frame, small, box, alpha, _ = scene((170, 110, 40))
    assert np.array_equal(HM.HairMatte()(frame, box, alpha.copy(), [], small), alpha)
    monkeypatch.setattr(HM, "ENABLED", False)
    assert np.array_equal(HM.HairMatte()(frame, box, alpha.copy(), [head_polygon()], small), alpha)


def test_bad_polygons_and_a_head_at_the_frame_edge_do_not_fail():
    frame, small, box, alpha, _ = scene((170, 110, 40))
    bad = [np.full((5, 2), np.nan, np.float32), np.zeros((2, 2), np.float32),
           head_polygon() - np.array([0, 200], np.float32)]  # a head above the frame
    out = HM.HairMatte()(frame, box, alpha.copy(), bad, small)
    assert out.shape == alpha.shape and np.isfinite(out).all()


def test_a_stream_refits_its_colours_every_few_frames_and_on_reset(monkeypatch):
    frame, small, box, alpha, _ = scene((170, 110, 40))
    fits = []
    real_fit = HM._fit
    monkeypatch.setattr(HM, "_fit", lambda *a: fits.append(1) or real_fit(*a))
    matte = HM.HairMatte()
    outs = [matte(frame, box, alpha.copy(), [head_polygon()], small, video=True) for _ in range(HM.REFIT + 1)]
    assert len(fits) == 2  # the first frame and the REFIT-th after it
    assert all(np.array_equal(o, outs[0]) for o in outs)  # the same frame gives the same matte
    assert outs[0].min() < 0.2  # (and it did take the hair out)
    matte.reset()
    matte(frame, box, alpha.copy(), [head_polygon()], small, video=True)
    assert len(fits) == 3
