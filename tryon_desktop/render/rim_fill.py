"""The rim of the old garment left along its outline, painted: the blend's alpha raised where the frame's
own light and dark say the garment reaches.

After the edge matte (render/edge_matte.py), a garment whose colour differs strongly in lightness from
what lies beyond it (a black sweater against a light wall, made yellow) could still keep a line of its
old colour 1-6 px wide along the outline: there the mask's probability is below the edge matte's ramp, or
the ramp's inner part is not quite 1, and the old dark cloth shows through as an outline the new colour
never had.

Here each pixel of a band along the blend's 0.5 edge (`BAND` of the mask's cells either side) is
labelled by a local linear model of the frame's luma, a guided filter fitted only on the pixels whose
label is sure: the garment well inside the edge (1) and what lies well beyond it (0), in a window round
the pixel (`WINDOW` cells). Such a model learns, window by window, which of the colours seen there are the
garment: a neck beside a dark collar, a hand on a sleeve or the wall beyond are all labelled 0 where the
mask says so beyond the band, and a band pixel like them stays 0. It is trusted only where it fits:
- the sure pixels of both labels are in the window (`MIN_SHARE` of it each);
- the luma alone tells them apart (the squared correlation of luma and label, `FIT`): a garment as light
  as the wall, a striped shirt whose stripes are the wall's and the neck's lightness, or a window with a
  third colour between the two, fits badly, and nothing changes;
- the two labels' lightness differs (`MIN_SEP` of the 0..1 luma).
Inside a face (its outline grown by `FACE_GROW`) nothing is raised: a shadowed jaw or a beard right above a
dark collar has the collar's luma, and the band there holds no sure pixel of the face to say otherwise.
Alpha is only raised (a pixel the mask painted is never taken out here) to the model's answer, stretched
(`STRETCH`) so a pixel mostly of the old colour counts as fully garment and one only partly of it (the
camera's soft edge between a dark collar and the neck) is raised little: the renderer keeps a pixel's own
lightness, so a half-covered pixel raised in full comes out as a light ring of the new colour. The band,
the sums and the model are worked out on the box at quarter size (the edge matte's copy of it: the model is
smooth), blurred over about two blocks and read bilinearly at every frame pixel of the band with the pixel's
own luma (the fast guided filter's way; the luma is the generator's own, worked out once a frame). In the
blur each block's model is weighted by its trust, and the trust by the blocks whose window holds both
labels: between a block that fits and one that does not, the raise fades over a few pixels instead of
stopping at a block's edge (a 4-px step across a white hem did show), and a block with only garment in its
window does not dim its neighbours. About 1.5 ms a frame at 1280x720 (the engine's `align` stage about 2
ms more, with the renderer's copy of the alpha: `tools/bench_engine.py`).

The renderer still measures the garment (its colour, lightness and shading, its network's mask) on the alpha
without the raise (effects/outfit.py: `OutfitItem.shade_alpha`): a rim painted in one frame and not the
next moves no statistic of the garment's colour, only the blend's edge.

Measured with `tryon-eval outfit` (the "garment edge" row; `--no-rim-fill` runs the same without it), and
tests/unit/test_rim_fill.py.
"""

from __future__ import annotations

import cv2
import numpy as np

from tryon_desktop.render.edge_matte import _at, quarter
from tryon_desktop.render.edge_matte import _halve as halve

ENABLED = True  # module switch (evaluations, A/B checks)
BAND = 0.8  # mask cells either side of the 0.5 edge that may be raised (a cell: 5 px at 720p)
CORE = 1  # quarter-size pixels the sure garment lies inside the edge (eroded by this)
WINDOW = 2.0  # the window's radius, in mask cells (at least the band plus the core: both labels in reach)
MIN_SHARE = 0.1  # each label's share of the window's sure pixels, at least
FIT = (0.7, 0.9)  # squared correlation of luma and label in the window: no trust .. full trust
MIN_SEP = (0.12, 0.25)  # the two labels' mean luma apart (0..1): no trust .. full trust
STRETCH = (0.45, 0.85)  # the model's answer mapped from this range to 0..1
EPS = 1e-4  # the guided filter's regulariser (luma in 0..1)
FACE_GROW = 0.25  # faces (grown this much about their centres) are never raised
_BLOCK_X = np.tile(np.arange(4), 4).reshape(16, 1).astype(np.intp)  # a quarter-size pixel's 16 frame pixels
_BLOCK_Y = np.repeat(np.arange(4), 4).reshape(16, 1).astype(np.intp)
# the centres of a block's four 2 x 2 quarters, in quarter-size pixels from the block's own (frame pixel
# 4 x + 2 i + 0.5 is quarter-size pixel x + (2 i + 1) / 4 - 0.5), and the quarter each of its 16 pixels lies in
_HALF_X = np.array([-0.25, 0.25, -0.25, 0.25], np.float32).reshape(4, 1)
_HALF_Y = np.array([-0.25, -0.25, 0.25, 0.25], np.float32).reshape(4, 1)
_HALF_OF = ((_BLOCK_Y[:, 0] // 2) * 2 + _BLOCK_X[:, 0] // 2).astype(np.intp)


def _sums(y: np.ndarray, one: np.ndarray, sure: np.ndarray, r: int) -> np.ndarray:
    """The window sums of the sure pixels (`sure`, of which `one` are the garment; float32 0/1) round each
    pixel of the quarter-size box, radius r: float32 (h, w, 5) of count, luma, luma^2, garment count and
    garment luma."""
    k = (2 * r + 1, 2 * r + 1)
    sy = sure * y
    # (a 4-channel image and a 1-channel one: OpenCV's box filter has no fast path for 5 channels)
    s4 = cv2.boxFilter(cv2.merge([sure, sy, sy * y, one]), -1, k, normalize=False, borderType=cv2.BORDER_CONSTANT)
    s1 = cv2.boxFilter(one * y, -1, k, normalize=False, borderType=cv2.BORDER_CONSTANT)
    return cv2.merge([s4, s1])


def _model(s: np.ndarray) -> np.ndarray:
    """The guided filter's model from window sums (`_sums`, one column a point): (4, n) float32 of a, b,
    trust (the label read as a * luma + b) and whether the window holds both labels (1 or 0: where not,
    the model says nothing, and its trust of 0 does not count against a neighbour's)."""
    n, sI, sII, n1, sI1 = np.maximum(s, 0.0)
    n0 = np.maximum(n - n1, 0.0)
    inv = 1.0 / np.maximum(n, 1.0)
    mI, mp = sI * inv, n1 * inv
    var_i = np.maximum(sII * inv - mI * mI, 0.0)
    cov = sI1 * inv - mI * mp
    var_p = mp * (1.0 - mp)
    a = cov / (var_i + EPS)
    r2 = cov * cov / np.maximum(var_i * var_p, 1e-9)
    sep = np.abs(sI1 / np.maximum(n1, 1e-3) - (sI - sI1) / np.maximum(n0, 1e-3))
    both = (n1 >= MIN_SHARE * n) & (n0 >= MIN_SHARE * n) & (n1 > 0.5) & (n0 > 0.5)
    trust = (np.clip((r2 - FIT[0]) * (1.0 / (FIT[1] - FIT[0])), 0.0, 1.0)
             * np.clip((sep - MIN_SEP[0]) * (1.0 / (MIN_SEP[1] - MIN_SEP[0])), 0.0, 1.0) * both)
    return np.stack([a, mp - a * mI, trust, both]).astype(np.float32)


def rim_fill(region: np.ndarray, alpha: np.ndarray, cell: float = 5.0, small: np.ndarray | None = None,
             luma: np.ndarray | None = None, faces=()) -> np.ndarray:
    """alpha (float32, the box's size) raised along its edge where the frame's luma says the garment
    reaches (see the module docstring); region: the frame's box (uint8 BGR); cell: frame pixels per mask
    cell; small: `edge_matte.quarter(region)` and luma: the region's 8-bit luma (`render.outfit.luma8`),
    when the caller has them; faces: face outlines in the box's pixels, never raised (grown by `FACE_GROW`
    about their centres, as the garment mask's face cut is towards the chin: a dark beard or a shadowed jaw
    beside a dark collar is the luma of the garment). Changed in place and returned (as it is when the box
    is tiny or nothing fits)."""
    H, W = alpha.shape
    if not ENABLED or H < 16 or W < 16:
        return alpha
    # the band, at quarter size (the model is smooth, and each quarter-size pixel's 4 x 4 frame pixels are
    # read with their own luma): within BAND cells of the 0.5 edge, not painted in full
    a4 = halve(halve(alpha))
    h4, w4 = a4.shape
    inside4 = cv2.compare(a4, 0.5, cv2.CMP_GE)
    band4 = max(1, int(round(BAND * cell / 4.0)))
    ring = np.ones((2 * band4 + 1, 2 * band4 + 1), np.uint8)  # (a square: OpenCV's fast path)
    near4 = cv2.dilate(inside4, ring)
    band = cv2.bitwise_and(near4, cv2.dilate(cv2.bitwise_not(inside4), ring))
    cv2.bitwise_and(band, cv2.compare(a4, 0.98, cv2.CMP_LT), dst=band)
    guard = None
    for face in faces:
        f = np.asarray(face, np.float64).reshape(-1, 2)
        if len(f) >= 3 and np.all(np.isfinite(f)):
            c = f.mean(axis=0)
            grown = ((c + (f - c) * (1.0 + FACE_GROW) + 0.5) * 0.25 - 0.5) * 4.0  # quarter size, 2 bits of sub-pixel
            outline = [np.round(grown).astype(np.int32).reshape(-1, 1, 2)]
            guard = np.zeros((h4, w4), np.uint8) if guard is None else guard
            # (a block any part of which the grown face covers: its outline drawn too)
            cv2.fillPoly(guard, outline, 255, shift=2)
            cv2.polylines(guard, outline, True, 255, 2, shift=2)
    if guard is not None:
        cv2.bitwise_and(band, cv2.bitwise_not(guard), dst=band)
    pts = cv2.findNonZero(band)
    if pts is None:
        return alpha
    # the band's blocks and their neighbours: where the model is worked out (the neighbours' too, so a band
    # block's is read between its own and theirs)
    ext = cv2.dilate(band, np.ones((3, 3), np.uint8))
    if guard is not None:
        cv2.bitwise_and(ext, cv2.bitwise_not(guard), dst=ext)
    # the window sums: the sure garment well inside the edge, the sure outside beyond the band
    one = cv2.erode(inside4, np.ones((2 * CORE + 1, 2 * CORE + 1), np.uint8)).astype(np.float32)
    one *= np.float32(1.0 / 255.0)
    sure = cv2.bitwise_not(near4).astype(np.float32)
    cv2.scaleAdd(sure, 1.0 / 255.0, one, dst=sure)
    small = quarter(region) if small is None else small
    y4 = cv2.cvtColor(small[:h4, :w4], cv2.COLOR_BGR2GRAY).astype(np.float32)
    y4 *= np.float32(1.0 / 255.0)
    sums = _sums(y4, one, sure, max(band4 + CORE + 1, int(round(WINDOW * cell / 4.0))))
    # the model at those quarter-size pixels, read at every frame pixel of the band's blocks with its own
    # luma: the blocks' models blurred (over about two blocks, 8 px at 720p) and read bilinearly, each
    # weighted by its trust, and the trust by the share of blocks whose window holds both labels; so
    # between a trusted block and one whose window does not fit, the raise fades instead of stopping at a
    # block's edge, and a block that says nothing (only garment in its window) does not dim its neighbours
    epts = cv2.findNonZero(ext)
    ex, ey = epts[:, 0, 0], epts[:, 0, 1]
    ab = _model(sums[ey, ex].T)
    if not (ab[2] > 0).any():
        return alpha
    told = ab[3] > 0
    ex, ey, ab = ex[told], ey[told], ab[:, told]
    weighted = np.zeros((h4, w4, 4), np.float32)
    weighted[ey, ex] = np.stack([ab[0] * ab[2], ab[1] * ab[2], ab[2], ab[3]]).T
    cv2.GaussianBlur(weighted, (5, 5), 0, dst=weighted)
    tx, ty = pts[:, 0, 0].astype(np.intp), pts[:, 0, 1].astype(np.intp)
    # (read at the centre of each 2 x 2 quarter of a block, the same for its four pixels: a blurred map
    # changes that little over a pixel)
    m = _at(weighted, (tx[None, :] + _HALF_X).ravel(), (ty[None, :] + _HALF_Y).ravel())
    m = m.reshape(4, 4, -1)[:, _HALF_OF].reshape(4, -1)
    fx = (4 * tx[None, :] + _BLOCK_X).ravel()
    fy = (4 * ty[None, :] + _BLOCK_Y).ravel()
    inv = 1.0 / np.maximum(m[2], 1e-6)
    trust = np.clip(m[2] / np.maximum(m[3], 1e-6), 0.0, 1.0) * (m[3] > 1e-3)
    at = fy * W + fx
    if luma is None:
        luma = cv2.cvtColor(region, cv2.COLOR_BGR2GRAY)
    y = luma.take(at).astype(np.float32)
    y *= np.float32(1.0 / 255.0)
    lo, hi = STRETCH
    q = ((m[0] * y + m[1]) * inv - lo) * np.float32(1.0 / (hi - lo))
    q = np.clip(q, 0.0, 1.0) * trust
    np.put(alpha, at, np.maximum(alpha.take(at), q))
    return alpha
