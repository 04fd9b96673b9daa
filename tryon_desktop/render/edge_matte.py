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
- each side must be about one colour (`SPREAD`): a striped shirt's window mean is a grey that is neither
  stripe, and a wall-and-chin background is neither.
A pixel the straight line does not explain may still be the garment in its own shade (`_shaded_mix`: a
sleeve's outline turning away from the light). The window grows with the mask's cell (`cell`), so the sure
colours are in reach from anywhere on the ramp of a coarse mask (a full-length portrait's 13-px cells).
Elsewhere the mask's alpha is kept. Pixels outside the ramp are never changed but by the final 3x3 blur,
which may only lower a pixel (it smooths the decisions inward; nothing the mask and the colours both left
out is painted), so the garment can move by at most the ramp's width (about one mask cell).
Measured with `tryon-eval outfit` (the "garment edge" row, against the hand-made reference outlines, and
`--no-edge-matte` for the same run without it) and tests/unit/test_edge_matte.py.
"""

from __future__ import annotations

import cv2
import numpy as np

LO, HI = 0.15, 0.85  # the ramp (mask probability) where the edge may move; the colour samples lie outside it
MIN_SEP, FULL_SEP = 12.0, 36.0  # RGB distance between garment and background: no trust .. full trust
RADIUS = 2  # the colour samples' window: (2 RADIUS + 1)^2 pixels of the box at quarter size (~20 px at 720p), at least
CELL_REACH = 1.6  # ... and at least this many of the mask's cells either side (its ramp is about a cell wide, and
# the sure garment and background must be in reach from anywhere on it: a full-length portrait's cells are 13 px)
MIN_SAMPLED = 0.05  # both colours need this share of the window sampled to be trusted
RAISE_FROM, RAISE_FULL = 0.4, 0.7  # coverage from which alpha may be raised, and fully
SHADED = True  # the garment's own shading along its outline explained too (`_shaded_mix`); a switch for A/B runs
SHADE_RANGE = (0.4, 1.25)  # the light a pixel may be under, relative to the colours sampled near it
SPREAD = (0.35, 0.6)  # a side's colours spread over this share of the two colours' distance: full .. no trust
# (a striped shirt's window mean is a grey that is neither stripe: no two-colour model there)
REACH_FILTER = True  # module switch (tests): only the ramp's pixels with both colours in reach are looked at
PURE = 0.1  # coverage this close to 0 or 1 is taken as 0 or 1
MIN_APART, FULL_APART = 0.12, 0.3  # sine of the angle between the two colours in RGB: no trust .. full trust


def _halve(img: np.ndarray) -> np.ndarray:
    """Exactly half the size (2 x 2 means; an odd last row or column dropped): OpenCV's fast path (an area
    average by a ratio that is not a whole number is its slow one, and by 4 is slower than two of these)."""
    h, w = img.shape[:2]
    h2, w2 = max(1, h // 2), max(1, w // 2)
    return cv2.resize(img[:2 * h2, :2 * w2], (w2, h2), interpolation=cv2.INTER_AREA)


def _window_sums(small: np.ndarray, prob: np.ndarray, radius: int = RADIUS) -> list[tuple[np.ndarray, np.ndarray]]:
    """Round each pixel of the box at quarter size, the sums over the (2 radius + 1)^2 window of the
    garment's (p >= HI) and of the background's (p <= LO) colours: for each, a float32 (h, w, 4) image (B, G,
    R, share of the window present; colour = first three / the fourth) and a (h, w) one of the squared
    colours' sum (B^2 + G^2 + R^2, for their spread)."""
    k = (2 * radius + 1, 2 * radius + 1)
    f = small.astype(np.float32)
    base = cv2.merge([f, np.ones(prob.shape, np.float32)])
    sq = cv2.transform(cv2.multiply(f, f), np.ones((1, 3), np.float32))
    out = []
    for sel in (cv2.compare(prob, HI, cv2.CMP_GE), cv2.compare(prob, LO, cv2.CMP_LE)):
        masked, masked_sq = np.zeros_like(base), np.zeros_like(sq)
        cv2.copyTo(base, sel, dst=masked)
        cv2.copyTo(sq, sel, dst=masked_sq)
        out.append((cv2.boxFilter(masked, -1, k, borderType=cv2.BORDER_REPLICATE),
                    cv2.boxFilter(masked_sq, -1, k, borderType=cv2.BORDER_REPLICATE)))
    return out


def _in_reach(sums: list[tuple[np.ndarray, np.ndarray]], shape: tuple[int, int]) -> np.ndarray:
    """uint8 (255 / 0) at the half-size box's pixels (`shape`) whose window sums, read bilinearly at quarter
    size, may hold both colours: a half-size pixel x reads the quarter-size cells x // 2 - 1 .. x // 2 + 1, so
    a cell counts when each side was seen in one of its 3 x 3 neighbours. Elsewhere the share of the window present
    is 0 for one side, and so is the trust (an empty window's sum is 0, give or take the box filter's
    rounding: a cell whose sum rounds above 0 counts too, so none that may be trusted is left out)."""
    k = np.ones((3, 3), np.uint8)
    near = cv2.bitwise_and(*(cv2.dilate(cv2.compare(side[0][..., 3], 0.0, cv2.CMP_GT), k,
                                        borderType=cv2.BORDER_REPLICATE) for side in sums))
    h, w = shape
    nh, nw = near.shape
    up = cv2.resize(near, (2 * nw, 2 * nh), interpolation=cv2.INTER_NEAREST)  # (each cell to its 2 x 2 block)
    if up.shape != (h, w):  # (an odd side's last half-size row or column reads the last cell)
        up = cv2.copyMakeBorder(up, 0, h - 2 * nh, 0, w - 2 * nw, cv2.BORDER_REPLICATE)
    return up


def _side(sums: tuple[np.ndarray, np.ndarray], qx: np.ndarray, qy: np.ndarray):
    """One side's window sums read at (qx, qy): its mean colour (3, n), share present (n,) and spread (n,):
    the RMS distance of its colours from their mean."""
    m, q = _at(sums[0], qx, qy), _at(sums[1], qx, qy)[0]
    inv = 1.0 / np.maximum(m[3], 1e-3)
    mean = m[:3] * inv
    return mean, m[3], np.sqrt(np.maximum(q * inv - (mean[0] * mean[0] + mean[1] * mean[1] + mean[2] * mean[2]), 0.0))


def _at(img: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """img sampled bilinearly at (x, y) (its own pixel coordinates): (channels, n), one row a channel."""
    n = len(x)
    rows = -(-n // 256)  # remap wants both sides under 32767: the points laid out as rows of 256
    mx = np.zeros(rows * 256, np.float32)
    my = np.zeros(rows * 256, np.float32)
    mx[:n], my[:n] = x, y
    s = cv2.remap(img, mx.reshape(rows, 256), my.reshape(rows, 256), cv2.INTER_LINEAR,
                  borderMode=cv2.BORDER_REPLICATE)
    return np.ascontiguousarray(s.reshape(rows * 256, -1)[:n].T)  # (contiguous rows: the arithmetic after is faster)


def _shaded_mix(px: np.ndarray, B: np.ndarray, d: np.ndarray, cover: np.ndarray,
                line_trust: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The pixels the straight line B..F cannot explain, explained as a mix of the two colours under a
    light of their own: px = s (c F + (1 - c) B), s the shading (`SHADE_RANGE`), c the coverage.

    A garment's outline is seldom its flat colour: the cloth turns away from the light there (a sleeve's
    edge, a hem's fold) and the pixels along it are the garment's colour darker, which the line between the
    flat colours does not reach, so the mask's edge was kept and a rim of the old colour stayed (2-6 px of
    blue along a sleeve made red). Under shading alone a colour keeps its direction in RGB: px lies in the
    plane through black spanned by F and B, at (a, b) = s (c, 1 - c), so c = a / (a + b). Trusted only
    where F and B point apart (a black garment on a grey wall does not: the line model stays there), px
    lies near the plane, and s is a plausible light.
    px, B, d: (3, 4, n), (3, n), (3, 1, n) float32; cover, line_trust: (4, n)."""
    F = B + d[:, 0, :]
    ff = (F * F).sum(axis=0)
    bb = (B * B).sum(axis=0)
    fb = (F * B).sum(axis=0)
    det = np.maximum(ff * bb - fb * fb, 1e-3)
    apart = np.clip((np.sqrt(det / np.maximum(ff * bb, 1e-3)) - MIN_APART) * (1.0 / (FULL_APART - MIN_APART)),
                    0.0, 1.0)  # the sine of the angle between them
    fp = px[0] * F[0] + px[1] * F[1] + px[2] * F[2]
    bp = px[0] * B[0] + px[1] * B[1] + px[2] * B[2]
    inv = 1.0 / det
    a = (bb * inv) * fp - (fb * inv) * bp
    b = (ff * inv) * bp - (fb * inv) * fp
    s = a + b
    c = np.clip(a / np.maximum(s, 1e-3), 0.0, 1.0)
    # the residual off the plane, against the length of px's projection on it (q = |projection|^2)
    q = np.maximum(a * fp + b * bp, 1e-3)
    off = np.sqrt(np.maximum((px[0] * px[0] + px[1] * px[1] + px[2] * px[2]) / q - 1.0, 0.0))
    lo, hi = SHADE_RANGE
    fit = (apart * np.clip((0.12 - off) * (1.0 / 0.06), 0.0, 1.0)
           * np.clip((s - lo) * 8.0, 0.0, 1.0) * np.clip((hi - s) * 8.0, 0.0, 1.0)
           * (np.minimum(a, b) > -0.08 * s))  # both shares about non-negative
    better = (fit > 0.5) | (fit > line_trust)  # (where both fit, the plane's answer: a garment pixel a little darker
    # than the colour sampled near it is the garment in shade, not 10% background)
    return np.where(better, c, cover), np.where(better, fit, line_trust)


def quarter(region: np.ndarray) -> np.ndarray:
    """region at quarter size (two halvings), as the edge matte and the rim fill (render/rim_fill.py) read it."""
    return _halve(_halve(region))


def edge_matte(region: np.ndarray, prob: np.ndarray, alpha: np.ndarray, cell: float = 0.0,
               small: np.ndarray | None = None) -> np.ndarray:
    """alpha (float32, the box's size) with its edge moved onto the colour edge of region (uint8 BGR, the
    frame's box); prob: the mask's probability over the box (its ramp says where the edge may move); cell:
    frame pixels per mask cell (the colour samples' window grows with it); small: `quarter(region)`, when the
    caller has it. alpha is changed in place and returned (as it is when nothing is in the ramp or the box
    is tiny)."""
    H, W = prob.shape
    if H < 8 or W < 8:
        return alpha
    p2 = _halve(prob)
    ramp = cv2.compare(p2, LO, cv2.CMP_GT) & cv2.compare(p2, HI, cv2.CMP_LT)
    if not cv2.countNonZero(ramp):
        return alpha
    # the two colours change slowly: found at quarter size and read (bilinearly) at the ramp's pixels of
    # the half-size box, each the same for its 2x2 block of frame pixels ...
    radius = max(RADIUS, int(np.ceil(CELL_REACH * cell / 4.0)))
    sums = _window_sums(quarter(region) if small is None else small, _halve(p2), radius)
    # ... where both colours were seen: elsewhere on the ramp (the inside of a soft patch, most of a body
    # fill's) nothing is trusted, and those pixels are not looked at (`_in_reach`)
    pts = cv2.findNonZero(cv2.bitwise_and(ramp, _in_reach(sums, ramp.shape)) if REACH_FILTER else ramp)
    if pts is None:
        return alpha
    x2, y2 = pts[:, 0, 0], pts[:, 0, 1]
    qx, qy = (x2 + 0.5) * 0.5 - 0.5, (y2 + 0.5) * 0.5 - 0.5
    (F, f_n, f_sd), (B, b_n, b_sd) = (_side(w, qx, qy) for w in sums)
    d = F - B
    dd = np.maximum(d[0] * d[0] + d[1] * d[1] + d[2] * d[2], 1e-3)
    sep = np.sqrt(dd)
    lo, hi = SPREAD
    trust = (np.clip((sep - MIN_SEP) * (1.0 / (FULL_SEP - MIN_SEP)), 0.0, 1.0)
             * np.clip(np.minimum(f_n, b_n) * (1.0 / MIN_SAMPLED), 0.0, 1.0)  # they differ, both seen nearby,
             * np.clip((hi * sep - np.maximum(f_sd, b_sd)) / ((hi - lo) * sep + 1e-3), 0.0, 1.0))  # each one colour
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
    px = np.ascontiguousarray(region).reshape(-1, 3).take(at, axis=0).T.reshape(3, 4, n).astype(np.float32)
    rel = px - B[:, None, :]
    d = d[:, None, :]
    cover = np.clip((rel[0] * d[0] + rel[1] * d[1] + rel[2] * d[2]) / dd, 0.0, 1.0)
    rel -= cover * d  # the pixel's distance from the line B..F
    off_line = np.sqrt(rel[0] * rel[0] + rel[1] * rel[1] + rel[2] * rel[2])
    line_trust = np.clip((0.5 * sep - off_line) / (0.25 * sep + 1e-3), 0.0, 1.0)
    if SHADED:
        # (only the blocks where the line leaves a pixel unexplained or mixed: elsewhere it says garment or wall)
        cols = np.flatnonzero(((line_trust < 1.0) | ((cover > PURE) & (cover < 1.0 - PURE))).any(axis=0))
        if len(cols):
            cover[:, cols], line_trust[:, cols] = _shaded_mix(px[:, :, cols], B[:, cols], d[:, :, cols],
                                                              cover[:, cols], line_trust[:, cols])
    trust = trust * line_trust
    # within PURE of either colour is that colour: a garment pixel a shade off the window's mean is not 8% wall
    cover = np.clip((cover.ravel() - PURE) * (1.0 / (1.0 - 2.0 * PURE)), 0.0, 1.0)
    trust = trust.ravel()
    a0 = alpha.take(at)  # (take and put index the array as if flattened, whatever its layout)
    raise_ok = np.clip((cover - RAISE_FROM) * (1.0 / (RAISE_FULL - RAISE_FROM)), 0.0, 1.0)
    trust = np.where(cover > a0, trust * raise_ok, trust)
    np.put(alpha, at, a0 + trust * (cover - a0))
    # each pixel decided on its own: a 3x3 blur takes out the odd speckle and stair step, as a lens would
    # (a no-op inside and outside the garment, where alpha is flat)
    # (it may lower a pixel, never raise one: a pixel the mask and the colours both left out stays out)
    return cv2.min(cv2.GaussianBlur(alpha, (3, 3), 0), alpha, dst=alpha)
