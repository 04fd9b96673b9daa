"""Issue 12 (speed), second round: the lip stage shares its work with a helper thread (the network runs there
while the rest is measured) and a few more steps have fast paths. Each is checked against the straightforward
code on the demo face: numpy's own functions, the per-pixel step, or the same backend run without the
helper. (The earlier lip_unmix and finish step, written out here at first, changed since: the rim is now
covered, not erased, and the finish recomposes highlights; tests/unit/test_lip_unmix.py and
test_finish_signature.py check what they do.)"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest

from tryon_desktop.core.light import Light
from tryon_desktop.core.looks import Finish, Look, Shade
from tryon_desktop.core.masks import (LIPS_OUTER, _channel_median, lip_box,
                                      lip_mask, smooth_contour, suppress_teeth)
from tryon_desktop.effects.base import FaceInfo, Scene
from tryon_desktop.render.lipstick import (lip_interior, smoothstep)
from tryon_desktop.vision import lip_generator as G

SHADES = [Shade("red", (170, 30, 50), finish=Finish.SATIN, opacity=1.0),
          Shade("plum", (110, 44, 79), finish=Finish.MATTE, opacity=0.8),
          Shade("nude", (205, 140, 120), finish=Finish.GLOSS, opacity=1.0),
          Shade("berry", (150, 40, 90), finish=Finish.SHIMMER, opacity=0.6)]
LIGHTS = [Light(), Light(0.7, (1.05, 0.98, 0.9), 0.8)]


# ---- the earlier code, written out ------------------------------------------------------------------------

# ---- fixtures ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def gan(still_gan):
    return still_gan


def _red_lips(img, lm):
    """The photo with its lips painted red out past the lip line: lip_unmix finds a rim to take out."""
    out = img.copy()
    outer = np.round(smooth_contour(lm[list(LIPS_OUTER), :2])).astype(np.int32)
    inside = np.zeros(img.shape[:2], np.uint8)
    cv2.fillPoly(inside, [outer], 1)
    out[cv2.dilate(inside, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))) > 0] = (40, 30, 190)
    return out


@pytest.fixture(scope="module")
def faces(grace_face, open_mouth):
    """(image, landmarks) cases: the demo face, its mouth open, its lips painted red, and a smaller copy."""
    img, lm = grace_face
    lm = lm.astype(np.float64)
    small = cv2.resize(img, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    lm_small = lm.copy()
    lm_small[:, :2] *= 0.5
    return [(img, lm), (img, open_mouth(lm)), (_red_lips(img, lm), lm), (small, lm_small)]


# ---- the tests --------------------------------------------------------------------------------------------

def test_channel_median_and_smoothstep_are_numpys():
    rng = np.random.default_rng(11)
    for k in (21, 22, 255, 256, 1001):
        px = rng.integers(0, 256, (k, 3), dtype=np.uint8)
        np.testing.assert_array_equal(_channel_median(px), np.median(px.astype(np.float32), axis=0))
    x = (rng.random(5000) * 1.4 - 0.2).astype(np.float32)
    np.testing.assert_array_equal(G._smoothstep(0.6, 0.95, x), smoothstep(0.6, 0.95, x))
    np.testing.assert_array_equal(G._lip_interior(x), lip_interior(x))


def test_finish_is_the_same_from_its_cache_and_for_either_layout(gan, faces):
    img, lm = faces[0]
    box = lip_box(lm, img.shape)
    for light in LIGHTS:
        prepared = gan.prepare(img, lm, box, lip_mask(lm, box), light)
        for shade in SHADES:
            lin = gan._tidy(np.einsum("ckn,kn->cn", *_coef_and_basis(gan, prepared, shade)).T, prepared)
            for s in (shade, replace(shade, finish=Finish.MATTE), replace(shade, finish=Finish.GLOSS)):
                got = gan._finish(lin, prepared, s)
                assert np.all(np.isfinite(got)) and got.shape == lin.shape
                np.testing.assert_array_equal(gan._finish(lin, prepared, s), got)  # served from the cache
            # a non-planar (n, 3) input gives the same
            np.testing.assert_array_equal(gan._finish(np.ascontiguousarray(lin), prepared, shade),
                                          gan._finish(lin, prepared, shade))


def _coef_and_basis(gan, prepared, shade):
    n = len(prepared.basis)
    grid = gan.coefficients(prepared, shade)
    coef = cv2.remap(grid, prepared.taps[0], prepared.taps[1], cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REPLICATE).reshape(-1, G.N_COEF)[:n]
    return np.ascontiguousarray(coef.T).reshape(3, G.N_BASIS, n), np.ascontiguousarray(prepared.basis.T)


def test_apply_coefficients_planar_equals_the_per_pixel_einsum(gan, faces):
    img, lm = faces[0]
    box = lip_box(lm, img.shape)
    prepared = gan.prepare(img, lm, box, lip_mask(lm, box))
    coef, basis = _coef_and_basis(gan, prepared, SHADES[0])
    ref = np.einsum("nck,nk->nc", np.ascontiguousarray(coef.transpose(2, 0, 1)), np.ascontiguousarray(basis.T))
    np.testing.assert_allclose(np.einsum("ckn,kn->cn", coef, basis).T, ref, rtol=1e-5, atol=1e-6)
    grid = gan.coefficients(prepared, SHADES[0])
    raw = gan.session.run(["coef"], {"image": prepared.image,
                                     "cond": G.condition_vector(SHADES[0], prepared.y_med, prepared.chroma)[None]})
    np.testing.assert_array_equal(grid, raw[0][0].transpose(1, 2, 0))


def test_the_helper_thread_gives_what_one_thread_gives(gan, faces):
    """GanLipstick.prepare with a shade (the network started on the helper thread while this one measures)
    against prepare without one (all on this thread, the network in generate)."""
    for img, lm in faces:
        box = lip_box(lm, img.shape)
        roi = img[box.slices]
        mask = suppress_teeth(lip_mask(lm, box), roi, lm, box)
        for light in LIGHTS:
            plain = gan.prepare(img, lm, box, mask, light)
            for shade in SHADES:
                early = gan.prepare(img, lm, box, mask, lambda light=light: light, shade=shade)
                assert early.network[0] == shade and early.light == light
                np.testing.assert_array_equal(early.image, plain.image)
                np.testing.assert_array_equal(early.network[1](), gan.coefficients(plain, shade))
                np.testing.assert_array_equal(early.basis, plain.basis)
                np.testing.assert_array_equal(early.taps[0], plain.taps[0])
                a, b = gan.generate(early, shade), gan.generate(plain, shade)
                np.testing.assert_array_equal(a[0], b[0])
                np.testing.assert_array_equal(a[1], b[1])
        # another shade than the one prepare started the network for: generate runs its own
        other = replace(SHADES[0], rgb=(90, 20, 160))
        early = gan.prepare(img, lm, box, mask, LIGHTS[0], shade=SHADES[0])
        np.testing.assert_array_equal(gan.generate(early, other)[0],
                                      gan.generate(gan.prepare(img, lm, box, mask, LIGHTS[0]), other)[0])
    # no lips under the mask: no run, nothing left waiting on the helper
    img, lm = faces[0]
    box = lip_box(lm, img.shape)
    assert gan.prepare(img, lm, box, np.zeros((box.height, box.width), np.float32), LIGHTS[0], shade=SHADES[0]) is None
    assert G._HELPER.submit(lambda: "free")() == "free"


def test_effect_with_the_helper_equals_the_effect_without(faces):
    """LipstickEffect end to end (light tracker, unmixing, temporal smoothing over frames): the generator's
    shared-work path against the same generator driven the plain way."""
    from tryon_desktop.effects.lipstick import LipstickEffect

    early, plain = LipstickEffect("auto"), LipstickEffect("auto")
    if early.backend.name != "gan":
        pytest.skip("no lipstick generator shipped")
    plain.backend.starts_early = False  # the instance's own flag: prepare without a shade
    for shade in SHADES[:2]:
        for eff in (early, plain):
            eff.reset()
        for img, lm in faces * 2:  # twice: the light tracker's held readings and the temporal blend
            scene = Scene(frame=img, timestamp=0.0, faces=[FaceInfo(landmarks=lm, box=lip_box(lm, img.shape),
                                                                      mouth_open=0.0)])
            look = Look(lipstick=shade)
            a = [early.generate(item, look) for item in early.prepare(img, scene, look)]
            b = [plain.generate(item, look) for item in plain.prepare(img, scene, look)]
            assert len(a) == len(b) == 1
            np.testing.assert_array_equal(a[0].region, b[0].region)
            np.testing.assert_array_equal(a[0].alpha, b[0].alpha)


def test_helper_hands_back_results_and_errors_in_order():
    results = [G._HELPER.submit(lambda i=i: i * i) for i in range(20)]
    assert [r() for r in results] == [i * i for i in range(20)]
    assert [r() for r in results] == [i * i for i in range(20)]  # asked again: the same, without waiting

    def fail():
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        G._HELPER.submit(fail)()
    assert G._HELPER.submit(lambda: "still running")() == "still running"
