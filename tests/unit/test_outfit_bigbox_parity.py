"""Issue 10 (speed, a large garment box): the faster pieces give what the code before them gave.

- `composite_in_box` on a garment-sized uint8 box blends only its partly covered pixels: the same frame to
  the last bit as OpenCV's blend over the whole box (the code before, written out here); the lips' small
  boxes keep that code itself.
- On the dev body photos (when ../shared/data exists), the whole outfit effect (GAN and reference
  renderers) for every procedural pattern and a plain colour: the same frame as with the blend before.
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest

from tryon_desktop.core import blend as B
from tryon_desktop.core.geometry import Box
from tryon_desktop.render import patterns as P


def _old_composite(frame: np.ndarray, region: np.ndarray, alpha: np.ndarray, box: Box) -> None:
    """composite_in_box before the sparse blend (uint8 region)."""
    sl = box.slices
    a = cv2.min(cv2.max(np.ascontiguousarray(alpha, np.float32), 0.0), 1.0)
    frame[sl] = cv2.blendLinear(np.ascontiguousarray(region), np.ascontiguousarray(frame[sl]), a, cv2.subtract(1.0, a))


def _garment_alpha(h: int, w: int, seed: int, spill: bool) -> np.ndarray:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    d = np.hypot((xx - 0.5 * w) / (0.42 * w), (yy - 0.55 * h) / (0.48 * h))
    a = (1.0 - d) * rng.uniform(3.0, 40.0)
    if spill:  # values past 0..1 (clipped by the blend) and noise
        a = a + 0.05 * rng.standard_normal((h, w)).astype(np.float32)
    else:
        a = np.clip(a, 0.0, 1.0)
    return a.astype(np.float32)


@pytest.mark.parametrize("h,w,x0,y0", [(515, 435, 450, 20), (400, 300, 470, 210), (720, 1280, 0, 0),
                                        (257, 256, 1024, 463), (60, 90, 600, 300), (120, 200, 3, 5)])
def test_composite_in_box_is_the_same_to_the_last_bit(h, w, x0, y0):
    rng = np.random.default_rng(h + w)
    frame = rng.integers(0, 256, (720, 1280, 3), dtype=np.uint8)
    region = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    box = Box(x0, y0, x0 + w, y0 + h)
    for seed, spill in ((0, False), (1, True), (2, False)):
        alpha = _garment_alpha(h, w, seed, spill)
        want, got = frame.copy(), frame.copy()
        _old_composite(want, region, alpha, box)
        B.composite_in_box(got, region, alpha, box)
        np.testing.assert_array_equal(want, got)
    for alpha in (np.zeros((h, w), np.float32), np.ones((h, w), np.float32),
                  rng.uniform(-0.2, 1.2, (h, w)).astype(np.float32)):
        want, got = frame.copy(), frame.copy()
        _old_composite(want, region, alpha, box)
        B.composite_in_box(got, region, alpha, box)
        np.testing.assert_array_equal(want, got)


def test_small_boxes_and_odd_layouts_take_the_code_before(monkeypatch):
    calls = []
    monkeypatch.setattr(B, "_sparse_blend", lambda *a: calls.append(1) or False)
    frame = np.full((720, 1280, 3), 90, np.uint8)
    region = np.full((100, 200, 3), 200, np.uint8)
    alpha = np.full((100, 200), 0.5, np.float32)
    B.composite_in_box(frame, region, alpha, Box(10, 10, 210, 110))  # a lip-sized box: never the sparse blend
    assert not calls
    # a large box whose arrays the sparse blend refuses (float64 alpha): OpenCV's blend, as before
    monkeypatch.undo()
    big = np.random.default_rng(3).integers(0, 256, (300, 300, 3), dtype=np.uint8)
    a64 = _garment_alpha(300, 300, 4, True).astype(np.float64)
    want, got = frame.copy(), frame.copy()
    _old_composite(want, big, a64, Box(5, 7, 305, 307))
    B.composite_in_box(got, big, a64, Box(5, 7, 305, 307))
    np.testing.assert_array_equal(want, got)


def test_the_lipstick_blend_is_unchanged():
    """The lips' boxes (small, uint8 or float regions) blend exactly as the code before did."""
    rng = np.random.default_rng(7)
    frame = rng.integers(0, 256, (720, 1280, 3), dtype=np.uint8)
    for h, w in ((40, 90), (120, 240), (200, 320)):
        box = Box(500, 300, 500 + w, 300 + h)
        alpha = rng.uniform(-0.1, 1.1, (h, w)).astype(np.float32)
        for region in (rng.integers(0, 256, (h, w, 3), dtype=np.uint8),):
            want, got = frame.copy(), frame.copy()
            _old_composite(want, region, alpha, box)
            B.composite_in_box(got, region, alpha, box)
            np.testing.assert_array_equal(want, got)


# ---- the dev body photos: the whole effect ------------------------------------------------------------------

def _frames(eng, canvas, look, old: bool, monkeypatch) -> np.ndarray:
    import tryon_desktop.engine as E

    monkeypatch.setattr(E, "composite_in_box", _old_composite_any if old else B.composite_in_box)
    eng.reset()
    return eng.process(canvas, look, timestamp=0.0).frame


def _old_composite_any(frame, region, alpha, box):
    if region.dtype == np.uint8 and not box.empty:
        _old_composite(frame, region, alpha, box)
    else:
        B.composite_in_box(frame, region, alpha, box)


@pytest.mark.parametrize("renderer", ["gan", "reference"])
def test_the_effect_on_the_dev_bodies_is_unchanged(shared_data, renderer, monkeypatch):
    from tryon_desktop.core.looks import Look, resolve_outfit
    from tryon_desktop.effects.outfit import DEFAULT_OUTFIT_MANIFEST
    from tryon_desktop.engine import TryOnEngine
    from tryon_desktop.evaluate import to_canvas

    if renderer == "gan" and not DEFAULT_OUTFIT_MANIFEST.exists():
        pytest.skip("no outfit generator model installed")
    paths = [shared_data / "bodies" / "dev" / "fitdit" / f for f in ("0279.jpg", "2.jpg")]
    paths = [p for p in paths if p.exists()]
    if not paths:
        pytest.skip("no dev body photos")
    eng = TryOnEngine(model=None, video=True, outfit_model=None if renderer == "reference" else "auto")
    try:
        if eng.effects["outfit"].backend.name != renderer:
            pytest.skip(f"{renderer} not available")
        base = resolve_outfit("#1F3A93")
        looks = [("plain", base)] + [(n, replace(base, pattern=n)) for n in P.PROCEDURAL]
        for path in paths:
            canvas = to_canvas(cv2.imread(str(path), cv2.IMREAD_COLOR), (1280, 720))
            for name, sw in looks:
                look = Look(outfit=sw)
                want = _frames(eng, canvas, look, True, monkeypatch)
                got = _frames(eng, canvas, look, False, monkeypatch)
                d = int(np.abs(want.astype(np.int16) - got.astype(np.int16)).max())
                assert d == 0, f"{path.name} {name}: {d} levels"
                assert not np.array_equal(got, canvas), f"{path.name} {name}: no outfit drawn"
    finally:
        eng.close()
