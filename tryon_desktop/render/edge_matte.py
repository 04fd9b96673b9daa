"""The garment's edge, moved onto the frame's own colour edge (a local two-colour matte).

The garment mask is ~5-10x coarser than the frame, so its 0.5 contour can sit a few pixels inside or
outside the garment's real outline. Blending on it as it is leaves a rim of the garment's old colour along
the outline (a pink line round a shirt made navy) or paints a few pixels of the wall, neck or arm.

Inside the mask's soft ramp (`LO` < p < `HI`) each pixel is explained as a mix of two colours, both
taken near it: the means of the garment's pixels (p >= HI) and of the background's (p <= LO) in a window
round it (about 20 px at 720p), on a copy of the box at quarter size. The pixel's position between them on
that line is its coverage: the new alpha, worked out for every frame pixel (the ramp and the two colours,
which change slowly, are found on the box at half size, one per 2x2 block). It is trusted only as far as
the model fits:
- the two colours must differ (`MIN_SEP`..`FULL_SEP` of RGB distance: same-coloured garment and wall
  keep the mask's edge);
- the pixel must lie near the line between them (fully within a quarter of their distance from it, not
  at all beyond half): a third colour (a hand, a strap) is not a mix of these two;
- alpha is raised above the mask's only towards pixels that look mostly like the garment (coverage
  > 0.4, fully from 0.7): a background pixel whose colour happens to fall between a dark and a light
  background colour stays background.
Elsewhere the mask's alpha is kept. Pixels outside the ramp are never changed but by the final 3x3 blur
(one pixel of anti-aliasing), so the garment can move by at most the ramp's width (about one mask cell).
Measured with `tryon-eval outfit` (the "garment edge" row, against the hand-made reference outlines, and
`--no-edge-matte` for the same run without it) and tests/unit/test_edge_matte.py.
"""

from __future__ import annotations

import cv2
import numpy as np

LO, HI = 0.15, 0.85  # the ramp (mask probability) where the edge may move; the colour samples lie outside it
MIN_SEP, FULL_SEP = 12.0, 36.0  # RGB distance between garment and background: no trust .. full trust
RADIUS = 2  # the colour samples' window: (2 RADIUS + 1)^2 pixels of the box at quarter size (~20 px at 720p)
MIN_SAMPLED = 0.05  # both colours need this share of the window sampled to be trusted
RAISE_FROM, RAISE_FULL = 0.4, 0.7  # coverage from which alpha may be raised, and fully


def _halve(img: np.ndarray) -> np.ndarray:
    """Exactly half the size (2 x 2 means; an odd last row or column dropped): OpenCV's fast path (an area
    average by a ratio that is not a whole number is its slow one, and by 4 is slower than two of these)."""
    h, w = img.shape[:2]
    h2, w2 = max(1, h // 2), max(1, w // 2)
    return cv2.resize(img[:2 * h2, :2 * w2], (w2, h2), interpolation=cv2.INTER_AREA)


def _window_sums(small: np.ndarray, prob: np.ndarray) -> list[np.ndarray]:
    """Round each pixel of the box at quarter size, the means over the (2 RADIUS + 1)^2 window of the
    garment's (p >= HI) and of the background's (p <= LO) colours times their presence: two float32 (h, w, 4)
    images (B, G, R, share of the window present); colour = first three / the fourth."""
    k = (2 * RADIUS + 1, 2 * RADIUS + 1)
    base = cv2.merge([small.astype(np.float32), np.ones(prob.shape, np.float32)])
    out = []
    for sel in (cv2.compare(prob, HI, cv2.CMP_GE), cv2.compare(prob, LO, cv2.CMP_LE)):
        masked = np.zeros_like(base)
        cv2.copyTo(base, sel, dst=masked)
        out.append(cv2.boxFilter(masked, -1, k, borderType=cv2.BORDER_REPLICATE))
    return out


def _at(img: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """img sampled bilinearly at (x, y) (its own pixel coordinates): (channels, n), one row a channel."""
    n = len(x)
    rows = -(-n // 256)  # remap wants both sides under 32767: the points laid out as rows of 256
    mx = np.zeros(rows * 256, np.float32)
    my = np.zeros(rows * 256, np.float32)
    mx[:n], my[:n] = x, y
    s = cv2.remap(img, mx.reshape(rows, 256), my.reshape(rows, 256), cv2.INTER_LINEAR,
                  borderMode=cv2.BORDER_REPLICATE)
    return s.reshape(rows * 256, -1)[:n].T


def edge_matte(region: np.ndarray, prob: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """alpha (float32, the box's size) with its edge moved onto the colour edge of region (uint8 BGR, the
    frame's box); prob: the mask's probability over the box (its ramp says where the edge may move).
    alpha is changed in place and returned (as it is when nothing is in the ramp or the box is tiny)."""
    H, W = prob.shape
    if H < 8 or W < 8:
        return alpha
    p2 = _halve(prob)
    ramp = cv2.compare(p2, LO, cv2.CMP_GT) & cv2.compare(p2, HI, cv2.CMP_LT)
    pts = cv2.findNonZero(ramp)
    if pts is None:
        return alpha
    # the two colours change slowly: found at quarter size and read (bilinearly) at the ramp's pixels of
    # the half-size box, each the same for its 2x2 block of frame pixels ...
    x2, y2 = pts[:, 0, 0], pts[:, 0, 1]
    qx, qy = (x2 + 0.5) * 0.5 - 0.5, (y2 + 0.5) * 0.5 - 0.5
    (F, f_n), (B, b_n) = ((m[:3] / np.maximum(m[3], 1e-3), m[3])
                          for m in (_at(s, qx, qy) for s in _window_sums(_halve(_halve(region)), _halve(p2))))
    d = F - B
    dd = np.maximum(d[0] * d[0] + d[1] * d[1] + d[2] * d[2], 1e-3)
    sep = np.sqrt(dd)
    trust = (np.clip((sep - MIN_SEP) * (1.0 / (FULL_SEP - MIN_SEP)), 0.0, 1.0)
             * np.clip(np.minimum(f_n, b_n) * (1.0 / MIN_SAMPLED), 0.0, 1.0))  # they differ, both seen nearby
    keep = trust > 0
    if not keep.any():
        return alpha
    x2, y2, B, d, dd, sep, trust = x2[keep], y2[keep], B[:, keep], d[:, keep], dd[keep], sep[keep], trust[keep]
    # ... and each of the four frame pixels with its own colour: arrays (.., 4, n), the block's pixels on the
    # second axis, its colours broadcast along it
    # (flat indices into the box, the region read from a contiguous copy: numpy's take on one axis is a few
    # times faster than indexing with a pair of index arrays)
    at = ((2 * W) * y2 + 2 * x2).astype(np.intp) + np.array([[0], [1], [W], [W + 1]], np.intp)
    at = at.ravel()
    n = len(x2)
    rel = np.ascontiguousarray(region).reshape(-1, 3).take(at, axis=0).T.reshape(3, 4, n).astype(np.float32)
    rel -= B[:, None, :]
    d = d[:, None, :]
    cover = np.clip((rel[0] * d[0] + rel[1] * d[1] + rel[2] * d[2]) / dd, 0.0, 1.0)
    rel -= cover * d  # the pixel's distance from the line B..F
    off_line = np.sqrt(rel[0] * rel[0] + rel[1] * rel[1] + rel[2] * rel[2])
    trust = trust * np.clip((0.5 * sep - off_line) / (0.25 * sep + 1e-3), 0.0, 1.0)
    cover, trust = cover.ravel(), trust.ravel()
    a0 = alpha.take(at)  # (take and put index the array as if flattened, whatever its layout)
    raise_ok = np.clip((cover - RAISE_FROM) * (1.0 / (RAISE_FULL - RAISE_FROM)), 0.0, 1.0)
    trust = np.where(cover > a0, trust * raise_ok, trust)
    np.put(alpha, at, a0 + trust * (cover - a0))
    # each pixel decided on its own: a 3x3 blur takes out the odd speckle and stair step, as a lens would
    # (a no-op inside and outside the garment, where alpha is flat)
    return cv2.GaussianBlur(alpha, (3, 3), 0, dst=alpha)
