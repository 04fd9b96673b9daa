"""A letterboxed or pillarboxed video's bars are found, and never become garment or get painted."""

from __future__ import annotations

import numpy as np
import pytest

from tryon_desktop.vision import garment_mask as GM


def _picture(h: int, w: int, seed: int = 0) -> np.ndarray:
    """A camera-like picture: a noisy room, nothing flat."""
    rng = np.random.default_rng(seed)
    base = np.linspace(60, 190, w, dtype=np.float32)[None, :, None] + np.zeros((h, 1, 3), np.float32)
    return np.clip(base + rng.normal(0, 6, (h, w, 3)), 0, 255).astype(np.uint8)


def test_a_camera_frame_has_no_bars():
    assert GM.letterbox(_picture(720, 1280)) == (0, 0, 0, 0)
    rng = np.random.default_rng(1)
    dark = np.clip(_picture(720, 1280) // 8 + rng.normal(0, 3, (720, 1280, 3)), 0, 255).astype(np.uint8)
    assert GM.letterbox(dark) == (0, 0, 0, 0)  # a dark room, a camera's noise: neither black nor flat


def test_a_flat_wall_read_as_a_bar_never_reaches_the_person():
    """A denoised camera's dark, evenly lit wall may be flat enough to read as a bar; a line with any of the
    person in it is not flat, so such a bar stops where the person starts."""
    frame = np.full((720, 1280, 3), 20, np.uint8)
    frame[200:, 500:800] = _picture(520, 300)  # the person
    top, bottom, left, right = GM.letterbox(frame)
    assert left <= 500 and 1280 - right >= 800 and top <= 200 and bottom == 0


@pytest.mark.parametrize("top,bottom,left,right", [(0, 27, 0, 0), (40, 40, 0, 0), (0, 0, 160, 160), (3, 0, 0, 81)])
def test_black_and_grey_bars_are_measured_to_the_pixel(top, bottom, left, right):
    frame = _picture(720, 1280)
    frame[:top], frame[720 - bottom:] = 0, 2  # black letterbox rows (a compressed black is a level or two)
    frame[:, :left], frame[:, 1280 - right:] = 110, 110  # mid-grey pillars (a picture fitted to a canvas)
    assert GM.letterbox(frame) == (top, bottom, left, right)


def test_bars_inside_bars_are_found():
    """A letterboxed clip fitted into a wider canvas: grey pillars, and the clip's own black band at the foot
    between them (the dev clip liveportrait_d0, fitted to 1280x720)."""
    frame = np.full((720, 1280, 3), 110, np.uint8)
    clip = _picture(720, 720)
    clip[683:] = 0
    frame[:, 280:1000] = clip
    assert GM.letterbox(frame) == (0, 37, 280, 280)


def test_the_bars_are_cleared_from_the_mask_and_the_outfit_paints_none_of_them():
    """The garment mask's cells wholly in a bar are 0, and the outfit leaves the bar's pixels as they were,
    though the network marked the dark garment on into the bar."""
    from tryon_desktop.core.blend import composite_in_box
    from tryon_desktop.core.looks import Look, OutfitSwatch
    from tryon_desktop.effects.base import Scene
    from tryon_desktop.effects.outfit import OutfitEffect

    frame = _picture(720, 1280)
    frame[300:, 200:1080] = _picture(420, 880, seed=1) // 4  # a dark jacket down to the picture's foot ...
    frame[640:] = 0  # ... and the video's black band below it
    bars = GM.letterbox(frame)
    assert bars == (0, 80, 0, 0)
    prob = np.zeros((144, 256), np.float32)
    prob[60:, 40:216] = 1.0  # the network runs the jacket on into the band
    cleared = GM.clear_bars(prob, (1280, 720), bars)
    assert cleared[128:].max() == 0.0 and np.array_equal(cleared[:128], prob[:128])
    assert GM.clear_bars(prob, (1280, 720), (0, 0, 0, 0)) is prob
    eff = OutfitEffect(model=None, video=False)  # (the reference renderer)
    scene = Scene(frame=frame, timestamp=0.0, faces=[], garment=cleared, bars=bars)
    look = Look(outfit=OutfitSwatch(name="light", rgb=(200, 200, 200)))
    out = frame.copy()
    items = eff.prepare(out, scene, look)
    assert items
    for item in items:
        m = eff.generate(item, look)
        composite_in_box(out, m.region, m.alpha, m.box)
    assert np.array_equal(out[640:], frame[640:])  # the band: untouched
    assert np.abs(out[400:600, 400:900].astype(int) - frame[400:600, 400:900]).mean() > 50  # the jacket: made light
