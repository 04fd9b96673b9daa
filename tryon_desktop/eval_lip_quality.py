"""What a customer sees of the lipstick: the metrics of `tryon-eval lipstick` issue 12 (numpy + cv2 only).

Every function here works on plain arrays (a BGR uint8 image before and after make-up, a (478, 2) face-mesh
landmark array), so the unit tests can build synthetic cases. Definitions (also written into the report):

lip regions      in a window around the lips (the outer lip polygon's bounding box + 4 px + 10% of the mouth
                 width). `outer`: the outer lip polygon (pixel centres inside it); `inner`: the inner
                 polygon (mouth opening); `lips` = outer minus inner; `core` = lips eroded by
                 max(1, round(2% of the mouth width)) px, minus the pixels within that radius + 1 px of
                 the lips' midline (so the seam of a closed mouth is never core).
midline / seam   midpoints of paired points of the inner upper and inner lower lip contour (LIPS_INNER's
                 two halves, corner to corner); the seam is the band within 1 px of that polyline (2 px
                 wide) with its outer 15% of arc length at each corner cut off.
colour error     CIEDE2000 WITH lightness between the shade's own Lab (sRGB hex, opacity 1) and the made-up
                 lips' colour = per-channel median Lab over the core after dropping pixels above the core's
                 90th percentile of L* (specular highlights). dL = L*(lips) - L*(shade): > 0 too light.
ITA              individual typology angle atan2(L* - 50, b*) in degrees of the cheek skin: both cheeks'
                 convex hulls of face-mesh points (CHEEK_RIGHT / CHEEK_LEFT), pixels outside the 5-95th
                 percentile of L* dropped, per-channel median Lab. Groups: very light > 55, light 41-55,
                 intermediate 28-41, tan 10-28, brown -30-10, dark < -30. Cheeks with a hue angle outside
                 15-85 degrees or chroma < 5 (colour casts, grey-scale photos) get no ITA.
painted          a pixel's CIEDE2000 change from the input >= half of the smaller of the median change over
                 the core and the pixel's own distance to the made-up lips (CIEDE2000 between its input
                 and the made-up core's per-channel median Lab: how far it had to go to look like the
                 lipstick). Cases whose median core change is < 2 ΔE00 (shade ~ bare lips) say nothing
                 about coverage and are skipped for the seam and bare-core metrics. Capped variant:
                 threshold also at most 5 ΔE00.
                 Why the pixel's own distance: with the median alone, a pixel whose bare colour was
                 already the lipstick's (a pink lower lip under Rose Nude or Dusty Rose, red lips under
                 Classic Red, a dark upper lip under Black Cherry) cannot change by half as much as the
                 rest of the lips and was called bare while it showed the shade like its neighbours. An
                 untouched pixel (change ~0) is bare under either rule, wherever its colour is, and a
                 pixel left near its bare colour far from the lipstick's (a pale patch in a brown lip)
                 still is.
seam coverage    on mouths with opening < 0.04: share of seam pixels painted vs share of core painted.
bare core        share of core pixels not painted.
halo             ring = outer polygon dilated by 2 + round(5% mouth width) px minus it dilated by 2 px;
                 per case the median over the ring of the per-pixel mean |after - before| over B, G, R
                 (8-bit levels), and the mean signed L* change over the ring.
pale rim         share of the lip-line band (outer polygon dilated by 2 px minus it eroded by 2 px) made
                 > 3 L* lighter AND ending > 3 L* above both the skin (halo ring's median input L*) and the
                 made-up lips' lit parts (core's p90 output L*): a light outline the make-up drew.
teeth touched    mouths with opening > 0.05: teeth = pixels inside the inner polygon with L* > the bare
                 core's median L* + 12 and chroma < 0.6 x its median chroma (CIE Lab of the input); share
                 of those changed by > 3 levels in any channel (cases with >= 15 teeth pixels).
finish features  from the made-up output alone, over the core (see `finish_features`); a multinomial
                 logistic regression, cross-validated with folds grouped by face (a face's renders are never
                 split between training and test). "output alone": the features as they are; "within
                 face": each face x shade's four rows centred on their mean first (what a customer comparing
                 the finishes on her own face sees; the face's own texture taken out).
flicker ratio    per clip: sum over consecutive tracked frame pairs (the whole clip, still or talking) of
                 CIEDE2000 between the made-up core's mean colour (mean in linear RGB, then Lab) in the two
                 frames, divided by the same sum for the bare input over the same masks. 1 = no flicker
                 added; < 1 = the make-up is steadier than the bare lips.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from tryon_desktop.core.blend import composite_in_box
from tryon_desktop.core.colour import LUMA, bgr8_to_lab, ciede2000, linear_to_xyz, rgb8_to_lab, srgb_to_linear, xyz_to_lab
from tryon_desktop.core.geometry import Box
from tryon_desktop.core.looks import Shade
from tryon_desktop.core.masks import LIPS_INNER, LIPS_OUTER, dilate, lip_box, mouth_opening, mouth_width

# inner lip contour halves, both from the corner 78 to the corner 308, index-paired
INNER_LOWER_HALF = tuple(LIPS_INNER[0:11])
INNER_UPPER_HALF = (LIPS_INNER[0],) + tuple(reversed(LIPS_INNER[10:]))
CHEEK_RIGHT = (50, 101, 118, 117, 123, 147, 187, 205, 36)
CHEEK_LEFT = (280, 330, 347, 346, 352, 376, 411, 425, 266)
ITA_GROUPS = ("very light", "light", "intermediate", "tan", "brown", "dark")
_ITA_LOWER = (55.0, 41.0, 28.0, 10.0, -30.0, -math.inf)  # lower bound of each group
FINISH_ORDER = ("matte", "satin", "gloss", "shimmer")
CLOSED_MAX = 0.04
OPEN_MIN = 0.05
MIN_CHANGE = 2.0  # median core ΔE00 below this: the case says nothing about coverage
PAINT_CAP = 5.0  # the capped "painted" variant: a change of 5 ΔE00 always counts as painted
_SUB = 4
_LIN = srgb_to_linear(np.arange(256) / 255.0).astype(np.float32)
_LUMA = LUMA.astype(np.float32)


# ---------------------------------------------------------------- geometry


@dataclass
class LipRegions:
    win: Box  # the window (frame coordinates) all masks below live in
    mw: float
    opening: float
    outer: np.ndarray
    inner: np.ndarray
    lips: np.ndarray
    core: np.ndarray
    seam: np.ndarray
    ring: np.ndarray
    line: np.ndarray  # the outer lip line, 2 px either side
    midline: np.ndarray = field(repr=False)  # (n, 2) window coordinates


def _poly(shape, pts) -> np.ndarray:
    m = np.zeros(shape, np.uint8)
    cv2.fillPoly(m, [np.round(np.asarray(pts) * (1 << _SUB)).astype(np.int32).reshape(-1, 1, 2)], 1, shift=_SUB)
    return m > 0


def midline(landmarks: np.ndarray) -> np.ndarray:
    """Corner-to-corner polyline halfway between the inner upper and inner lower lip contours."""
    lm = np.asarray(landmarks, np.float64)[:, :2]
    return 0.5 * (lm[list(INNER_LOWER_HALF)] + lm[list(INNER_UPPER_HALF)])


def trim_polyline(pts: np.ndarray, frac: float) -> np.ndarray:
    """The part of a polyline between `frac` and 1 - `frac` of its arc length."""
    seg = np.hypot(*np.diff(pts, axis=0).T)
    s = np.r_[0.0, np.cumsum(seg)]
    total = s[-1]
    if total <= 1e-9:
        return pts[:1]
    a, b = frac * total, (1.0 - frac) * total
    keep = pts[(s > a) & (s < b)]
    pa = np.array([np.interp(a, s, pts[:, 0]), np.interp(a, s, pts[:, 1])])
    pb = np.array([np.interp(b, s, pts[:, 0]), np.interp(b, s, pts[:, 1])])
    return np.vstack([pa, keep, pb])


def polyline_band(shape, pts: np.ndarray, half_width: float) -> np.ndarray:
    """Pixels whose centre lies within `half_width` of the polyline `pts` (x, y)."""
    h, w = shape
    out = np.zeros((h, w), bool)
    if len(pts) == 0:
        return out
    pad = half_width + 1.0
    x0, y0 = max(0, int(np.floor(pts[:, 0].min() - pad))), max(0, int(np.floor(pts[:, 1].min() - pad)))
    x1, y1 = min(w, int(np.ceil(pts[:, 0].max() + pad)) + 1), min(h, int(np.ceil(pts[:, 1].max() + pad)) + 1)
    if x1 <= x0 or y1 <= y0:
        return out
    ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float64)
    d = np.full(xs.shape, np.inf)
    if len(pts) == 1:
        d = np.hypot(xs - pts[0, 0], ys - pts[0, 1])
    for p, q in zip(pts[:-1], pts[1:], strict=True):
        v = q - p
        L2 = float(v @ v)
        t = np.zeros_like(xs) if L2 <= 1e-12 else np.clip(((xs - p[0]) * v[0] + (ys - p[1]) * v[1]) / L2, 0, 1)
        d = np.minimum(d, np.hypot(xs - (p[0] + t * v[0]), ys - (p[1] + t * v[1])))
    out[y0:y1, x0:x1] = d <= half_width
    return out


def lip_regions(landmarks: np.ndarray, shape: tuple[int, ...], core_frac: float = 0.02,
                halo_frac: float = 0.05, seam_trim: float = 0.15) -> LipRegions | None:
    lm = np.asarray(landmarks, np.float64)[:, :2]
    mw = mouth_width(lm)
    if mw < 8:
        return None
    outer_pts = lm[list(LIPS_OUTER)]
    win = Box.around(outer_pts, margin=4 + 0.10 * mw, shape=shape)
    if win.empty:
        return None
    off = np.array([win.x0, win.y0], np.float64)
    hw = (win.height, win.width)
    outer = _poly(hw, outer_pts - off)
    inner = _poly(hw, lm[list(LIPS_INNER)] - off)
    lips = outer & ~inner
    r = max(1, int(round(core_frac * mw)))
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    core = cv2.erode(lips.astype(np.uint8), k, borderType=cv2.BORDER_CONSTANT, borderValue=0) > 0
    mid = midline(lm) - off
    core &= ~polyline_band(hw, mid, r + 1.0)
    seam = polyline_band(hw, trim_polyline(mid, seam_trim), 1.0) & outer
    ring = dilate(outer, 2 + int(round(halo_frac * mw))) & ~dilate(outer, 2)
    k2 = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    line = dilate(outer, 2) & ~(cv2.erode(outer.astype(np.uint8), k2, borderType=cv2.BORDER_CONSTANT, borderValue=0) > 0)
    return LipRegions(win, mw, mouth_opening(lm), outer, inner, lips, core, seam, ring, line, mid)


# ---------------------------------------------------------------- colour and skin tone


def lip_colour_lab(lab: np.ndarray, core: np.ndarray, hi_pct: float = 90.0) -> np.ndarray | None:
    """Per-channel median Lab of the core, pixels above its `hi_pct` percentile of L* dropped."""
    px = lab[core]
    if len(px) < 10:
        return None
    keep = px[:, 0] <= np.percentile(px[:, 0], hi_pct)
    return np.median(px[keep], axis=0)


def shade_lab(shade: Shade) -> np.ndarray:
    return rgb8_to_lab(shade.rgb)


def colour_error(lab_after: np.ndarray, core: np.ndarray, shade: Shade) -> tuple[float, float] | None:
    """(CIEDE2000 with lightness, L*(lips) - L*(shade)) of the made-up core against the shade."""
    got = lip_colour_lab(lab_after, core)
    if got is None:
        return None
    want = shade_lab(shade)
    return float(ciede2000(got, want)), float(got[0] - want[0])


def ita(lab) -> float:
    lab = np.asarray(lab, np.float64)
    return float(math.degrees(math.atan2(lab[0] - 50.0, lab[2])))


def ita_group(angle: float) -> str:
    for name, lo in zip(ITA_GROUPS, _ITA_LOWER, strict=True):
        if angle > lo:
            return name
    return ITA_GROUPS[-1]


def cheek_lab(image: np.ndarray, landmarks: np.ndarray) -> np.ndarray | None:
    """Median Lab of both cheeks' skin (convex hulls of CHEEK_RIGHT / CHEEK_LEFT), L* 5-95th pct."""
    lm = np.asarray(landmarks, np.float64)[:, :2]
    pts = lm[list(CHEEK_RIGHT) + list(CHEEK_LEFT)]
    box = Box.around(pts, 1, image.shape)
    if box.empty:
        return None
    m = np.zeros((box.height, box.width), np.uint8)
    off = np.array([box.x0, box.y0])
    for ids in (CHEEK_RIGHT, CHEEK_LEFT):
        hull = cv2.convexHull(np.round((lm[list(ids)] - off) * (1 << _SUB)).astype(np.int32))
        cv2.fillConvexPoly(m, hull, 1, shift=_SUB)
    px = bgr8_to_lab(image[box.slices][m > 0])
    if len(px) < 20:
        return None
    lo, hi = np.percentile(px[:, 0], [5, 95])
    px = px[(px[:, 0] >= lo) & (px[:, 0] <= hi)]
    return np.median(px, axis=0) if len(px) else None


# ---------------------------------------------------------------- coverage, halo, teeth


def change_map(lab_before: np.ndarray, lab_after: np.ndarray) -> np.ndarray:
    return ciede2000(lab_before, lab_after)


def made_up_distance(lab_before: np.ndarray, lab_after: np.ndarray, core: np.ndarray) -> np.ndarray | None:
    """Per pixel, CIEDE2000 between its input colour and the made-up core's per-channel median Lab: the
    change it needs to look like the lipstick on these lips (small where the bare lips already have the
    shade's colour)."""
    if not core.any():
        return None
    target = np.median(lab_after[core], axis=0)
    return ciede2000(lab_before, np.broadcast_to(target, lab_before.shape))


def painted(de: np.ndarray, core: np.ndarray, frac: float = 0.5, cap: float | None = None,
            need: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """(painted map, median core change): painted = change >= frac x the median change over the core
    (or >= `cap` ΔE00 when that is lower: the variant that does not call a dark shade's shadowed half bare
    because the lit half changed twice as much). With `need` (`made_up_distance`), a pixel's threshold is
    at most frac x its own distance to the made-up lips: one whose bare colour was already close to the
    lipstick's cannot change by half the median and is not bare for it; an untouched pixel stays bare."""
    med = float(np.median(de[core])) if core.any() else 0.0
    thr = frac * med if cap is None else min(frac * med, cap)
    if need is not None:
        thr = np.minimum(thr, frac * need)
    return de >= thr, med


def seam_coverage(de: np.ndarray, core: np.ndarray, seam: np.ndarray,
                  cap: float | None = None, need: np.ndarray | None = None) -> tuple[float, float] | None:
    """(seam painted share, core painted share); None when the case is uninformative."""
    if not seam.any() or core.sum() < 10:
        return None
    p, med = painted(de, core, cap=cap, need=need)
    if med < MIN_CHANGE:
        return None
    return float(p[seam].mean()), float(p[core].mean())


def bare_core(de: np.ndarray, core: np.ndarray, cap: float | None = None,
              need: np.ndarray | None = None) -> float | None:
    if core.sum() < 10:
        return None
    p, med = painted(de, core, cap=cap, need=need)
    if med < MIN_CHANGE:
        return None
    return float(1.0 - p[core].mean())


def halo(before: np.ndarray, after: np.ndarray, ring: np.ndarray, lab_before=None, lab_after=None):
    """(median over the ring of the mean-over-channels |after - before| in levels, mean ΔL* over the ring)."""
    if not ring.any():
        return None
    d = np.abs(after[ring].astype(np.float64) - before[ring].astype(np.float64)).mean(-1)
    lb = lab_before[ring] if lab_before is not None else bgr8_to_lab(before[ring])
    la = lab_after[ring] if lab_after is not None else bgr8_to_lab(after[ring])
    return float(np.median(d)), float((la[:, 0] - lb[:, 0]).mean())


def pale_rim(lab_before: np.ndarray, lab_after: np.ndarray, reg: LipRegions, shade: Shade | None = None,
             rise: float = 3.0) -> float | None:
    """Share of the lip-line band (2 px either side of the outer line) that the make-up turned into a light
    outline: L* raised by more than `rise` AND ending more than `rise` above both the skin beside the lips
    (the halo ring's median input L*) and the made-up lips' lit parts (the core's 90th percentile of output L*).
    A lip line is never lighter than both what is inside and what is outside it, unless the make-up drew one."""
    if not reg.line.any() or not reg.ring.any() or reg.core.sum() < 10:
        return None
    skin_L = float(np.median(lab_before[..., 0][reg.ring]))
    lips_L = float(np.percentile(lab_after[..., 0][reg.core], 90))
    La, Lb = lab_after[..., 0][reg.line], lab_before[..., 0][reg.line]
    return float(((La - Lb > rise) & (La > max(skin_L, lips_L) + rise)).mean())


def teeth_mask(lab_before: np.ndarray, inner: np.ndarray, core: np.ndarray) -> np.ndarray | None:
    if core.sum() < 10 or not inner.any():
        return None
    L = lab_before[..., 0]
    C = np.hypot(lab_before[..., 1], lab_before[..., 2])
    return inner & (L > float(np.median(L[core])) + 12.0) & (C < 0.6 * float(np.median(C[core])))


def teeth_touched(before: np.ndarray, after: np.ndarray, teeth: np.ndarray | None, levels: int = 3,
                  min_px: int = 15) -> float | None:
    if teeth is None or teeth.sum() < min_px:
        return None
    d = np.abs(after[teeth].astype(np.int16) - before[teeth].astype(np.int16)).max(-1)
    return float((d > levels).mean())


# ---------------------------------------------------------------- one case


def measure_case(before: np.ndarray, after: np.ndarray, landmarks: np.ndarray, shade: Shade,
                 regions: LipRegions | None = None) -> dict | None:
    """All single-image metrics of one made-up face (full frames before/after, frame landmarks)."""
    reg = regions if regions is not None else lip_regions(landmarks, before.shape)
    if reg is None or reg.core.sum() < 10:
        return None
    b, a = before[reg.win.slices], after[reg.win.slices]
    lb, la = bgr8_to_lab(b), bgr8_to_lab(a)
    out = {"mw": reg.mw, "opening": reg.opening}
    ce = colour_error(la, reg.core, shade)
    if ce is not None:
        out["de00"], out["dL"] = ce
    de = change_map(lb, la)
    out["core_change_median"] = float(np.median(de[reg.core]))
    need = made_up_distance(lb, la, reg.core)
    bc = bare_core(de, reg.core, need=need)
    if bc is not None:
        out["bare_core"] = bc
        out["bare_core_cap"] = bare_core(de, reg.core, cap=PAINT_CAP, need=need)
    if reg.opening < CLOSED_MAX:
        sc = seam_coverage(de, reg.core, reg.seam, need=need)
        if sc is not None:
            out["seam_painted"], out["core_painted"] = sc
            out["seam_painted_cap"], out["core_painted_cap"] = seam_coverage(de, reg.core, reg.seam, cap=PAINT_CAP,
                                                                             need=need)
    h = halo(b, a, reg.ring, lb, la)
    if h is not None:
        out["halo_levels"], out["halo_dL"] = h
    r = pale_rim(lb, la, reg, shade)
    if r is not None:
        out["rim_pale"] = r
    if reg.opening > OPEN_MIN:
        t = teeth_touched(b, a, teeth_mask(lb, reg.inner, reg.core))
        if t is not None:
            out["teeth_touched"] = t
    return out


# ---------------------------------------------------------------- finishes


def finish_features(bgr: np.ndarray, core: np.ndarray, mw: float) -> np.ndarray | None:
    """22 features of the made-up lips alone (no bare input), over the core. Y = linear luminance,
    lY = log Y, `rel` = lY minus its core-normalised Gaussian blur (sigma 4% of the mouth width):

    log(Y_p / Y_p50) for p = 10, 90, 98, 99.5; share of pixels with exp(rel) > 1.25 and > 1.6 (far above
    the local mean); high-pass energy std(lY - blur) at sigma 1 px and std(rel), and their ratio; fine
    speckle: with res = lY minus its 3x3 median, share of res > 0.08, mean positive res, share of
    res > 6 x its MAD, log MAD; log kurtosis of the 1-px high-pass; rel's p90, p99, p99.5 and
    p99.5 / p90; broad sheen = p99.5 minus median of lY blurred at 2% of the mouth width; highlight
    peakiness (q99.5 - q98) / (q90 - q10); log(L*_p99.5 - L*_p50 + 1); chroma high-pass (1 px) std
    over mean chroma."""
    if core.sum() < 30:
        return None
    lin = _LIN[bgr[..., ::-1]]
    Y = np.maximum(lin @ _LUMA, 1e-4)
    lY = np.log(Y).astype(np.float32)
    y = Y[core]
    q = np.log(np.percentile(y, [10, 90, 98, 99.5]) / float(np.median(y)))
    m = core.astype(np.float32)
    s2 = max(1.5, 0.04 * mw)
    smooth = cv2.GaussianBlur(lY * m, (0, 0), s2) / np.maximum(cv2.GaussianBlur(m, (0, 0), s2), 1e-3)
    rel = (lY - smooth)[core]
    hp1 = (lY - cv2.GaussianBlur(lY, (0, 0), 1.0))[core]
    res = (lY - cv2.medianBlur(lY, 3))[core]
    mad = float(np.median(np.abs(res - np.median(res)))) + 1e-4
    e1, e2 = float(hp1.std()), float(rel.std())
    kurt = float(((hp1 - hp1.mean()) ** 4).mean() / (e1 ** 4 + 1e-12))
    sheen = cv2.GaussianBlur(lY, (0, 0), max(1.0, 0.02 * mw))[core]
    rp = np.percentile(rel, [90, 99, 99.5])
    lab = bgr8_to_lab(bgr)
    C = np.hypot(lab[..., 1], lab[..., 2]).astype(np.float32)
    hpc = (C - cv2.GaussianBlur(C, (0, 0), 1.0))[core]
    L = lab[..., 0][core]
    return np.array([
        *q, (np.exp(rel) > 1.25).mean(), (np.exp(rel) > 1.6).mean(), e1, e2, e1 / (e2 + 1e-4),
        (res > 0.08).mean(), np.clip(res, 0, None).mean(), (res > 6 * mad).mean(), np.log(mad),
        np.log(kurt + 1e-6), *rp, rp[2] / (rp[0] + 1e-3), np.percentile(sheen, 99.5) - np.median(sheen),
        (q[3] - q[2]) / (q[1] - q[0] + 1e-3), np.log(np.percentile(L, 99.5) - np.percentile(L, 50) + 1.0),
        hpc.std() / (C[core].mean() + 1.0)], np.float64)


def centre_groups(X: np.ndarray, groups: list) -> np.ndarray:
    """X minus the mean of its group's rows (a face x shade's four finishes: the face's own texture out)."""
    out = np.array(X, np.float64)
    keys = np.array([str(g) for g in groups])
    for g in set(keys):
        sel = keys == g
        out[sel] -= out[sel].mean(0)
    return out


def softmax_fit(X: np.ndarray, y: np.ndarray, k: int, l2: float = 1e-2, iters: int = 600, lr: float = 0.5):
    """Multinomial L2 logistic regression by gradient descent on standardised features."""
    mu, sd = X.mean(0), X.std(0) + 1e-6
    A = np.hstack([(X - mu) / sd, np.ones((len(X), 1))])
    Y = np.eye(k)[y]
    W = np.zeros((A.shape[1], k))
    reg = np.ones((A.shape[1], 1))
    reg[-1] = 0.0
    for _ in range(iters):
        Z = A @ W
        Z -= Z.max(1, keepdims=True)
        P = np.exp(Z)
        P /= P.sum(1, keepdims=True)
        W -= lr * (A.T @ (P - Y) / len(A) + l2 * reg * W)
    return mu, sd, W


def softmax_predict(model, X: np.ndarray) -> np.ndarray:
    mu, sd, W = model
    return np.argmax(np.hstack([(X - mu) / sd, np.ones((len(X), 1))]) @ W, axis=1)


def grouped_cv(X: np.ndarray, y: np.ndarray, groups: list, k: int, folds: int = 5,
               seed: int = 0) -> tuple[float, np.ndarray]:
    """Accuracy and confusion matrix (rows: true, cols: predicted) of the softmax classifier, k-fold CV
    with whole groups (faces) per fold."""
    uniq = sorted(set(groups))
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(uniq))
    fold_of = {uniq[i]: j % folds for j, i in enumerate(order)}
    f = np.array([fold_of[g] for g in groups])
    conf = np.zeros((k, k), int)
    for i in range(min(folds, len(uniq))):
        tr, te = f != i, f == i
        if not te.any() or len(set(y[tr])) < 2:
            continue
        pred = softmax_predict(softmax_fit(X[tr], y[tr], k), X[te])
        for t, p in zip(y[te], pred, strict=True):
            conf[t, p] += 1
    n = conf.sum()
    return (float(np.trace(conf) / n) if n else float("nan")), conf


# ---------------------------------------------------------------- flicker


def mean_lab(bgr: np.ndarray, m: np.ndarray) -> np.ndarray:
    lin = _LIN[bgr[..., ::-1]][m].mean(0).astype(np.float64)
    return xyz_to_lab(linear_to_xyz(lin))


def flicker_ratio(out_steps: list[float], in_steps: list[float]) -> float | None:
    """Sum of the made-up lips' frame-to-frame ΔE00 over the input's own, over the same pairs."""
    s_in = float(np.sum(in_steps)) if len(in_steps) else 0.0
    if s_in <= 1e-9:
        return None
    return float(np.sum(out_steps)) / s_in


# ---------------------------------------------------------------- rendering what the app renders


_EFFECTS: dict[int, object] = {}


def customer_make_up(backend, image: np.ndarray, landmarks: np.ndarray, shade: Shade) -> np.ndarray | None:
    """The app's own lipstick path on one photo: LipstickEffect's mask (incl. its teeth guard) and blend,
    with `backend` doing the make-up; temporal memory reset first."""
    from tryon_desktop.core.looks import Look
    from tryon_desktop.effects.base import FaceInfo, Scene
    from tryon_desktop.effects.lipstick import LipstickEffect

    eff = _EFFECTS.get(id(backend))
    if eff is None or eff.backend is not backend:
        eff = LipstickEffect(model=None)
        eff.backend = backend
        _EFFECTS[id(backend)] = eff
    eff.reset()
    lm = np.asarray(landmarks, np.float32)
    box = lip_box(lm, image.shape)
    if box.empty:
        return None
    look = Look(lipstick=shade)
    scene = Scene(frame=image, timestamp=0.0, faces=[FaceInfo(landmarks=lm, box=box, mouth_open=mouth_opening(lm))])
    out = image.copy()
    done = False
    for item in eff.prepare(image, scene, look):
        made = eff.generate(item, look)
        if made is not None:
            composite_in_box(out, made.region, made.alpha, made.box)
            done = True
    return out if done else None


def rotate_about(image: np.ndarray, centre, degrees: float) -> np.ndarray:
    M = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), degrees, 1.0)
    return cv2.warpAffine(image, M, image.shape[1::-1], flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)


# ---------------------------------------------------------------- summaries


def stats(values, pct: float = 90.0) -> dict:
    v = np.asarray([x for x in values if x is not None], np.float64)
    if not len(v):
        return {"n": 0, "median": None, f"p{int(pct)}": None, "mean": None}
    return {"n": int(len(v)), "median": float(np.median(v)), f"p{int(pct)}": float(np.percentile(v, pct)),
            "mean": float(v.mean())}


def family_shades(catalogue) -> list[Shade]:
    """The first catalogue shade of each family, in catalogue order."""
    seen, out = set(), []
    for s in catalogue:
        if s.family not in seen:
            seen.add(s.family)
            out.append(s)
    return out




# ---------------------------------------------------------------- the photo evaluation


def plausible_skin(lab) -> bool:
    """A cheek colour that can be skin under roughly white light: hue angle 15-85 degrees, chroma >= 5.
    Strong colour casts (a red-lit club photo, a grey-scale picture) give ITAs that say nothing of the skin."""
    a, b = float(lab[1]), float(lab[2])
    return 15.0 <= math.degrees(math.atan2(b, a)) <= 85.0 and math.hypot(a, b) >= 5.0


def face_tone(face) -> float | None:
    """ITA of a face's cheeks, None when they cannot be measured or their colour is not plausibly skin."""
    lab = cheek_lab(face.image, face.landmarks)
    return ita(lab) if lab is not None and plausible_skin(lab) else None


def select_tone_faces(faces: list, cap: int, min_mw: float = 16.0) -> list:
    """Up to `cap` faces spread over the ITA groups: round robin over the groups (darkest first), each
    group's faces in name order, so the rare deep tones are all kept before the common light ones fill up."""
    by_group: dict[str, list] = {g: [] for g in ITA_GROUPS}
    for f in sorted(faces, key=lambda f: f.name):
        if mouth_width(f.landmarks) < min_mw:
            continue
        a = face_tone(f)
        if a is not None:
            by_group[ita_group(a)].append(f)
    out, i = [], 0
    queues = [by_group[g] for g in reversed(ITA_GROUPS)]
    while len(out) < cap and any(i < len(q) for q in queues):
        for q in queues:
            if i < len(q) and len(out) < cap:
                out.append(q[i])
        i += 1
    return out


def _summ(recs: list[dict], key: str, pct: float = 90.0) -> dict:
    return stats([r[key] for r in recs if key in r], pct)


def _teeth_summary(values: list[float]) -> dict:
    v = np.asarray(values, np.float64)
    if not len(v):
        return {"n": 0, "mean": None, "share_over_1pct": None, "max": None}
    return {"n": int(len(v)), "mean": float(v.mean()), "share_over_1pct": float((v > 0.01).mean()),
            "max": float(v.max())}


def _seam_summary(seam: list[dict], suffix: str = "") -> dict:
    gaps = [100.0 * (r["core_painted" + suffix] - r["seam_painted" + suffix]) for r in seam]
    return {"n": len(seam), "n_faces": len({r["face"] for r in seam}),
            "seam_painted_mean": _summ(seam, "seam_painted" + suffix)["mean"],
            "core_painted_mean": _summ(seam, "core_painted" + suffix)["mean"],
            "gap_points_median": float(np.median(gaps)) if gaps else None,
            "gap_points_p90": float(np.percentile(gaps, 90)) if gaps else None,
            "share_gap_over_5": float(np.mean(np.asarray(gaps) > 5.0)) if gaps else None}


def summarise_cases(recs: list[dict], rotated: list[float]) -> dict:
    dev = [r for r in recs if r["set"] == "dev"]
    fam_recs = [r for r in recs if r["in_fam"]]
    out: dict = {}
    fams = list(dict.fromkeys(r["family"] for r in dev))
    out["colour_by_family"] = {f: {**_summ([r for r in dev if r["family"] == f], "de00"),
                                   "dL_mean": _summ([r for r in dev if r["family"] == f], "dL")["mean"]}
                               for f in fams}
    out["colour_all"] = {**_summ(dev, "de00"), "dL_mean": _summ(dev, "dL")["mean"]}
    tone = {}
    for g in ITA_GROUPS:
        rs = [r for r in fam_recs if r.get("group") == g]
        tone[g] = {**_summ(rs, "de00"), "dL_mean": _summ(rs, "dL")["mean"], "n_faces": len({r["face"] for r in rs})}
    out["colour_by_tone"] = tone
    meds = [t["median"] for t in tone.values() if t["n_faces"] >= 2 and t["median"] is not None]
    out["tone_spread"] = float(max(meds) - min(meds)) if len(meds) >= 2 else None
    seam = [r for r in recs if "seam_painted" in r]
    out["seam"] = _seam_summary(seam)
    out["seam"]["dev"] = _seam_summary([r for r in seam if r["set"] == "dev"])
    out["seam"]["tone"] = _seam_summary([r for r in seam if r["set"] != "dev"])
    out["seam"]["cap"] = _seam_summary(seam, "_cap")
    if seam:
        worst = sorted(seam, key=lambda r: r["seam_painted"])[:3]
        out["seam"]["worst"] = [f"{r['face']} / {r['shade']}: {100 * r['seam_painted']:.0f}%" for r in worst]
    out["bare_core"] = _summ(recs, "bare_core")
    out["bare_core"]["cap"] = _summ(recs, "bare_core_cap")
    out["bare_core"]["dev"] = _summ([r for r in recs if r["set"] == "dev"], "bare_core")
    bare = sorted((r for r in recs if "bare_core" in r), key=lambda r: -r["bare_core"])[:3]
    out["bare_core"]["worst"] = [f"{r['face']} / {r['shade']}: {100 * r['bare_core']:.1f}%" for r in bare]
    out["halo"] = {**_summ(recs, "halo_levels"), "dL_mean": _summ(recs, "halo_dL")["mean"]}
    out["rim_pale"] = _summ(recs, "rim_pale")
    rims = sorted((r for r in recs if r.get("rim_pale", 0) > 0), key=lambda r: -r["rim_pale"])[:3]
    out["rim_pale"]["worst"] = [f"{r['face']} / {r['shade']}: {100 * r['rim_pale']:.0f}%" for r in rims]
    out["halo_by_family"] = {f: {"median": _summ([r for r in recs if r["family"] == f], "halo_levels")["median"],
                                 "dL_mean": _summ([r for r in recs if r["family"] == f], "halo_dL")["mean"],
                                 "rim_pale_mean": _summ([r for r in recs if r["family"] == f], "rim_pale")["mean"]}
                             for f in dict.fromkeys(r["family"] for r in recs)}
    out["teeth"] = {"photos": _teeth_summary([r["teeth_touched"] for r in fam_recs if "teeth_touched" in r]),
                    "rotated": _teeth_summary(rotated)}
    by_face: dict[str, list] = {}
    for r in dev:
        if "de00" in r:
            by_face.setdefault(r["face"], []).append(r["de00"])
    out["worst_colour_faces"] = [f"{k}: {np.median(v):.1f}" for k, v in
                                 sorted(by_face.items(), key=lambda kv: -np.median(kv[1]))[:3]]
    return out


def eval_finishes(backend, faces: list, shades: list[Shade]) -> dict:
    from dataclasses import replace

    from tryon_desktop.core.looks import Finish

    X, y, groups, faces_of, mg = [], [], [], [], []
    for f in faces:
        reg = lip_regions(f.landmarks, f.image.shape)
        if reg is None or reg.core.sum() < 30:
            continue
        for s in shades:
            rows, outs = [], {}
            for fin in FINISH_ORDER:
                out = customer_make_up(backend, f.image, f.landmarks, replace(s, finish=Finish(fin)))
                if out is None:
                    break
                outs[fin] = out[reg.win.slices]
                x = finish_features(outs[fin], reg.core, reg.mw)
                if x is None:
                    break
                rows.append(x)
            if len(rows) != len(FINISH_ORDER):
                continue
            X += rows
            y += list(range(len(FINISH_ORDER)))
            groups += [f"{f.name}|{s.name}"] * len(rows)
            faces_of += [f.name] * len(rows)
            d = np.abs(outs["matte"].astype(np.float64) - outs["gloss"].astype(np.float64)).mean(-1)
            mg.append(float(d[reg.lips].mean()))
    if len(set(faces_of)) < 3:
        return {"n": len(y), "accuracy": None}
    X, y = np.array(X), np.array(y)
    acc, conf = grouped_cv(X, y, faces_of, len(FINISH_ORDER))
    acc_w, conf_w = grouped_cv(centre_groups(X, groups), y, faces_of, len(FINISH_ORDER))
    return {"n": int(len(y)), "n_faces": len(set(faces_of)), "accuracy": acc, "confusion": conf.tolist(),
            "accuracy_within_face": acc_w, "confusion_within_face": conf_w.tolist(),
            "matte_gloss_levels_mean": float(np.mean(mg)) if mg else None}


def finish_test_shades(catalogue) -> list[Shade]:
    fam = {s.family: s for s in family_shades(catalogue)}
    return [fam[k] for k in ("red", "nude", "berry", "pink") if k in fam] or list(catalogue)[:4]


def eval_photo_quality(backends: dict, dev_faces: list, tone_faces: list, catalogue, track=None,
                       finish_tone_faces: int = 20, progress=None, dev_shades=None) -> dict:
    """Renders the dev faces with `dev_shades` (default: the whole catalogue) and the tone faces with one shade
    per catalogue family (all at opacity 1), plus the open mouths rotated by +-20 degrees (re-tracked with
    `track(image) -> landmarks`) and the finish test; returns per backend the summaries of
    `summarise_cases` and `eval_finishes`."""
    catalogue = list(catalogue)
    dev_shades = list(dev_shades) if dev_shades is not None else catalogue
    fam = family_shades(catalogue)
    fam_names = {s.name for s in fam}
    faces = [(f, "dev") for f in dev_faces] + [(f, "tone") for f in tone_faces]
    info: dict[str, dict] = {}
    for f, src in faces:
        a = face_tone(f)
        info[f.name] = {"set": src, "ita": a, "group": ita_group(a) if a is not None else None,
                        "reg": lip_regions(f.landmarks, f.image.shape)}
    rotated = []
    if track is not None:
        for f, _src in faces:
            reg = info[f.name]["reg"]
            if reg is None or reg.opening <= OPEN_MIN:
                continue
            c = np.asarray(f.landmarks)[list(LIPS_OUTER), :2].mean(0)
            for deg in (20, -20):
                img = rotate_about(f.image, c, deg)
                lm = track(img)
                r2 = lip_regions(lm, img.shape) if lm is not None else None
                if r2 is not None and r2.opening > OPEN_MIN:
                    rotated.append((f"{f.name}@{deg:+d}", img, lm, r2))
    fin_faces = list(dev_faces) + [f for f in tone_faces if mouth_width(f.landmarks) >= 24][:finish_tone_faces]
    report = {"faces": {k: {"set": v["set"], "ita": v["ita"], "group": v["group"],
                            "opening": v["reg"].opening if v["reg"] else None,
                            "mouth_width": v["reg"].mw if v["reg"] else None} for k, v in info.items()},
              "n_dev_faces": len(dev_faces), "n_tone_faces": len(tone_faces), "n_rotated": len(rotated),
              "family_shades": [s.name for s in fam], "finish_shades": [s.name for s in finish_test_shades(catalogue)],
              "n_finish_faces": len(fin_faces), "backends": {}}
    for name, be in backends.items():
        if progress:
            progress(f"quality: {name} ...")
        recs = []
        for f, src in faces:
            reg = info[f.name]["reg"]
            if reg is None:
                continue
            for s in (dev_shades if src == "dev" else fam):
                out = customer_make_up(be, f.image, f.landmarks, s.with_(opacity=1.0))
                m = measure_case(f.image, out, f.landmarks, s, reg) if out is not None else None
                if m is not None:
                    m.update(face=f.name, set=src, shade=s.name, family=s.family, group=info[f.name]["group"],
                             in_fam=s.name in fam_names)
                    recs.append(m)
        rot = []
        for _nm, img, lm, reg in rotated:
            for s in fam:
                out = customer_make_up(be, img, lm, s.with_(opacity=1.0))
                if out is None:
                    continue
                b, a = img[reg.win.slices], out[reg.win.slices]
                t = teeth_touched(b, a, teeth_mask(bgr8_to_lab(b), reg.inner, reg.core))
                if t is not None:
                    rot.append(t)
        summary = summarise_cases(recs, rot)
        summary["finish"] = eval_finishes(be, fin_faces, finish_test_shades(catalogue))
        summary["n_cases"] = len(recs)
        report["backends"][name] = summary
    return report


# ---------------------------------------------------------------- report


DEFINITIONS = """\
- **lip regions**: `outer` = outer lip polygon, `inner` = inner polygon (mouth opening), lips = outer minus inner;
  **core** = lips eroded by max(1, round(2% of the mouth width)) px, minus the pixels within that radius + 1 px of
  the lips' midline (midpoints of the paired inner upper / inner lower contour points).
- **colour error with lightness**: CIEDE2000 between the shade's Lab (its sRGB hex; rendered at opacity 1) and the
  per-channel median Lab of the made-up core after dropping pixels above the core's 90th percentile of L*
  (highlights). dL = L*(lips) - L*(shade), > 0 = too light. Per family over the dev faces x all catalogue shades.
- **skin tone**: ITA = atan2(L* - 50, b*) in degrees of the cheeks (convex hulls of face-mesh points 50 101 118
  117 123 147 187 205 36 and their mirror images; L* 5-95th percentile; per-channel median Lab). Groups: very
  light > 55, light 41-55, intermediate 28-41, tan 10-28, brown -30-10, dark < -30. Cheeks whose hue angle is
  outside 15-85 degrees or chroma < 5 (colour casts, grey-scale photos) get no tone. Tone faces: the held-out
  split of the training folder, round robin over the groups (darkest first) up to the cap. Colour error per
  group over (dev faces + tone faces) x one shade per family; spread = worst minus best group median (groups
  with >= 2 faces). Web photos' ITA also follows their exposure: a dim photo reads darker.
- **painted**: a pixel's CIEDE2000 change from the input >= half of the smaller of the median change over the
  core and the pixel's own distance to the made-up lips (ΔE00 between its input and the made-up core's median
  Lab): a pixel whose bare colour already was the lipstick's cannot change by half the median, while an
  untouched pixel (change ~0) is bare either way. Cases whose median core change is < 2 ΔE00 (shade ~ the
  bare lips) are left out of the seam and bare-core rows.
- **painted, capped variant**: the same with the threshold min(half the median, 5 ΔE00): a dark shade changes a
  shadowed upper lip less than a lit lower one, and a kept dark crease changes less than the lip body, so the
  plain criterion can call painted pixels bare; a truly bare pixel changes by ~0 under both.
- **seam coverage**: mouths with opening < 0.04; seam = pixels within 1 px (2 px wide) of the midline, its outer
  15% of arc length at each corner cut off; painted share of the seam vs of the core; gap = core - seam in
  percentage points (goal: within 5 points).
- **bare core**: share of core pixels not painted, over all photo cases (goal p90 <= 1%).
- **halo**: ring = outer polygon dilated by 2 + round(5% mouth width) px minus it dilated by 2 px; per case the
  median over the ring of the mean over B, G, R of |after - before| (8-bit levels), and the mean signed L*
  change over the ring (< 0 = darker, > 0 = a pale rim). Over all photo cases (goal median < 2 levels).
- **finishes**: each finish face x shade (catalogue opacity) rendered matte, satin, gloss, shimmer; 22 features
  of the output's core alone (luminance percentiles over the median, share far above the local mean, high-pass
  energy at 1 px and 4% of the mouth width, fine speckle, sheen, peakiness, chroma texture); multinomial
  logistic regression, 5-fold CV with folds grouped by face. "within face": the face x shade's four feature
  rows centred first (the face's own texture taken out). Confusion rows = true finish, columns = predicted.
  |matte - gloss| = mean over the lips of the per-pixel mean channel difference, in levels.
- **pale rim**: band = outer polygon dilated by 2 px minus it eroded by 2 px (the lip line); share of band pixels
  made > 3 L* lighter and ending > 3 L* above both the skin (the halo ring's median input L*) and the made-up
  lips' lit parts (the core's 90th percentile of output L*): a light outline the make-up drew. All photo cases.
- **teeth touched**: mouths with opening > 0.05 (photos with one shade per family; the same photos rotated +-20
  degrees about the mouth and re-tracked; every 3rd such frame of the clips); teeth = pixels inside the inner
  polygon with L* > the bare core's median L* + 12 and chroma < 0.6 x its median chroma; share of those changed
  by > 3 levels in any channel. Cases with >= 15 teeth pixels.
- **flicker ratio**: per clip and backend, over the whole clip (talking included: every consecutive pair of
  tracked frames): sum of CIEDE2000 between consecutive frames' mean core colour (mean in linear RGB -> Lab) of
  the made-up frames over the same sum for the input frames, over the same masks; both clip shades pooled.
  1 = no flicker added (goal <= 1.1 on every clip). "still pairs" pools only the pairs the older still-stretch
  flicker row uses.
- All photo renders go through the app's LipstickEffect (its mask, teeth guard and blend), backend memory reset.
"""


def _f(v, digits=2, pct=False):
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "n/a"
    return f"{100 * v:.{max(0, digits - 1)}f}%" if pct else f"{v:.{digits}f}"


def _seam_cell(d: dict) -> str:
    if not d or not d.get("n"):
        return "n/a"
    return (f"{_f(d['seam_painted_mean'], 2, True)} / {_f(d['core_painted_mean'], 2, True)}, "
            f"{_f(d['gap_points_p90'], 1)} (n {d['n']})")


def quality_markdown(report: dict) -> str:
    q = report.get("quality")
    if not q:
        return ""
    names = [n for n in report["backends"] if n in q["backends"]]
    B = q["backends"]
    clips = report.get("clips", {})

    def head(first):
        return ["| " + first + " | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]

    def row(label, fn):
        return "| " + label + " | " + " | ".join(fn(n) for n in names) + " |"

    def teeth(n, k):
        t = B[n]["teeth"].get(k) if k != "clips" else clips.get(n, {}).get("teeth")
        if not t or not t.get("n"):
            return "n/a"
        return f"{_f(t['mean'], 2, True)} / {_f(t['share_over_1pct'], 1, True)} (n {t['n']})"

    out = ["", "## What a customer sees (issue 12)", ""] + head("metric")
    out += [
        row("colour ΔE00 with lightness, median (dev faces x all shades)", lambda n: _f(B[n]["colour_all"]["median"])),
        row("  p90", lambda n: _f(B[n]["colour_all"]["p90"])),
        row("  mean dL* (lips - shade; > 0 too light)", lambda n: _f(B[n]["colour_all"]["dL_mean"])),
        row("skin-tone spread: worst - best group median ΔE00", lambda n: _f(B[n]["tone_spread"])),
        row("seam (closed mouths): painted share of seam / of core, mean",
            lambda n: f"{_f(B[n]['seam']['seam_painted_mean'], 2, True)} / {_f(B[n]['seam']['core_painted_mean'], 2, True)}"),
        row("  gap core - seam, points: median / p90 (goal ≤ 5)",
            lambda n: f"{_f(B[n]['seam']['gap_points_median'], 1)} / {_f(B[n]['seam']['gap_points_p90'], 1)}"),
        row("  cases with gap > 5 points", lambda n: f"{_f(B[n]['seam']['share_gap_over_5'], 1, True)} of {B[n]['seam']['n']}"),
        row("  dev faces only (1024 px photos): seam / core, gap p90",
            lambda n: _seam_cell(B[n]["seam"].get("dev", {}))),
        row("  held-out web faces only (mouths ~35-80 px)", lambda n: _seam_cell(B[n]["seam"].get("tone", {}))),
        row("  painted = ΔE ≥ min(half median, 5): seam / core, gap p90", lambda n: _seam_cell(B[n]["seam"].get("cap", {}))),
        row("bare lip core share: median / p90 (goal p90 ≤ 1%)",
            lambda n: f"{_f(B[n]['bare_core']['median'], 3, True)} / {_f(B[n]['bare_core']['p90'], 3, True)}"),
        row("  dev faces only: median / p90", lambda n: (f"{_f(B[n]['bare_core'].get('dev', {}).get('median'), 3, True)} / "
                                                         f"{_f(B[n]['bare_core'].get('dev', {}).get('p90'), 3, True)}")),
        row("  painted = ΔE ≥ min(half median, 5): median / p90",
            lambda n: (f"{_f(B[n]['bare_core'].get('cap', {}).get('median'), 3, True)} / "
                       f"{_f(B[n]['bare_core'].get('cap', {}).get('p90'), 3, True)}")),
        row("halo ring |change|, levels: median / p90 (goal median < 2)",
            lambda n: f"{_f(B[n]['halo']['median'])} / {_f(B[n]['halo']['p90'])}"),
        row("  halo mean ΔL* (> 0 pale rim)", lambda n: _f(B[n]["halo"]["dL_mean"])),
        row("pale rim: lip-line (±2 px) share left lighter than skin and lips, mean / p90",
            lambda n: f"{_f(B[n]['rim_pale']['mean'], 3, True)} / {_f(B[n]['rim_pale']['p90'], 3, True)} (n {B[n]['rim_pale']['n']})"),
        row("finish classifier accuracy, output alone (goal ≥ 90%; chance 25%)",
            lambda n: _f(B[n]["finish"].get("accuracy"), 2, True)),
        row("  within face (face's texture centred out)", lambda n: _f(B[n]["finish"].get("accuracy_within_face"), 2, True)),
        row("  mean abs(matte - gloss) over the lips, levels", lambda n: _f(B[n]["finish"].get("matte_gloss_levels_mean"))),
        row("teeth touched > 3 levels, photos: mean share / faces > 1%", lambda n: teeth(n, "photos")),
        row("  photos rotated ±20°", lambda n: teeth(n, "rotated")),
        row("  clip frames", lambda n: teeth(n, "clips")),
        row("flicker ratio made-up / input, max over clips (goal ≤ 1.1)",
            lambda n: _f(clips.get(n, {}).get("flicker_ratio_max"))),
        row("  median over clips", lambda n: _f(clips.get(n, {}).get("flicker_ratio_median"))),
        row("  still pairs only, pooled", lambda n: _f(clips.get(n, {}).get("flicker_ratio_still"))),
    ]
    out += ["", "### Colour error with lightness per family: median / p90 / mean dL* (n)", ""] + head("family")
    fams = list(B[names[0]]["colour_by_family"]) if names else []
    for fam in fams + ["all"]:
        def cell(n, fam=fam):
            d = B[n]["colour_all"] if fam == "all" else B[n]["colour_by_family"].get(fam, {})
            return f"{_f(d.get('median'))} / {_f(d.get('p90'))} / {_f(d.get('dL_mean'), 1)} ({d.get('n', 0)})"
        out.append(row(fam, cell))
    out += ["", "### Colour error by skin tone (ITA of the cheeks): median / p90 / mean dL* (cases)", ""]
    out += head("group (faces)")
    for g in ITA_GROUPS:
        nf = B[names[0]]["colour_by_tone"][g]["n_faces"] if names else 0
        out.append(row(f"{g} ({nf})", lambda n, g=g: (
            f"{_f(B[n]['colour_by_tone'][g]['median'])} / {_f(B[n]['colour_by_tone'][g]['p90'])} / "
            f"{_f(B[n]['colour_by_tone'][g]['dL_mean'], 1)} ({B[n]['colour_by_tone'][g]['n']})")))
    out += ["", "### Halo per family: ring median |change| levels / ring mean ΔL* / lip-line pale-rim share", ""]
    out += head("family")
    for fam in (list(B[names[0]]["halo_by_family"]) if names else []):
        out.append(row(fam, lambda n, fam=fam: (f"{_f(B[n]['halo_by_family'][fam]['median'])} / "
                                                f"{_f(B[n]['halo_by_family'][fam]['dL_mean'])} / "
                                                f"{_f(B[n]['halo_by_family'][fam].get('rim_pale_mean'), 2, True)}")))
    per_clip = {n: clips.get(n, {}).get("per_clip", {}) for n in names}
    clip_names = list(dict.fromkeys(c for n in names for c in per_clip[n]))
    if clip_names:
        out += ["", "### Flicker ratio per clip (pairs; share of frames with mouth open > 0.05)", ""] + head("clip")
        for c in clip_names:
            out.append(row(c, lambda n, c=c: (f"{_f(per_clip[n][c]['ratio'])} ({per_clip[n][c]['pairs']}; "
                                              f"{_f(per_clip[n][c]['open_share'], 1, True)})") if c in per_clip[n] else "n/a"))
    out += ["", "### Finish confusion (rows true, columns predicted: " + ", ".join(FINISH_ORDER) + ")", ""]
    for n in names:
        fin = B[n]["finish"]
        if fin.get("accuracy") is None:
            continue
        for key, label in (("confusion", "output alone"), ("confusion_within_face", "within face")):
            cm = fin[key]
            out.append(f"- {n}, {label}: " + "; ".join(f"{FINISH_ORDER[i]} {cm[i]}" for i in range(len(cm))))
    out += ["", "### Worst cases", ""]
    for n in names:
        b = B[n]
        out.append(f"- {n}: colour (median ΔE00 per dev face) {', '.join(b['worst_colour_faces'])}; "
                   f"bare core {', '.join(b['bare_core'].get('worst', []))}; seam {', '.join(b['seam'].get('worst', []))}; "
                   f"pale rim {', '.join(b['rim_pale'].get('worst', []))}")
    out += ["", f"- photo set: {q['n_dev_faces']} dev faces x {len(report.get('catalogue_shades', [])) or 'all'} shades, "
            f"{q['n_tone_faces']} held-out tone faces x {len(q['family_shades'])} family shades "
            f"({', '.join(q['family_shades'])}); {q['n_rotated']} rotated open mouths; finishes on "
            f"{q['n_finish_faces']} faces x {', '.join(q['finish_shades'])}", "", "### Definitions", "", DEFINITIONS]
    return "\n".join(out) + "\n"
