"""tryon-eval outfit: the outfit GAN and the reference renderer side by side, in one run.

Every metric is defined here, in code, and measured for each renderer on the same frames:

colour accuracy  On the dev photos x the colour swatches (neutrals, darks, brights, pastels, denim blues,
                 black and white). The garment core is the painted mask (alpha > 0.5) eroded by 1.5% of the
                 shoulder width; of its pixels, those whose luminance lies between the 35th and 65th
                 percentile (the garment's own median lightness: highlights and deep folds excluded) give a
                 per-channel median colour; Lab; CIEDE2000 against the swatch. Reported three ways: ΔE00 as
                 is (lightness included: what a customer sees), ΔE00 with L set equal to the swatch's, and
                 ΔE on a*b* only (Euclidean). Median and p90 over bodies x colours. Goal: median <= 3.
shading kept     Pearson correlation inside the core of high-pass log luminance (log Y minus its Gaussian
                 blur, sigma = 1.5% of the shoulder width), input vs output. Colours: against the input.
                 Patterns: against the expected pattern, i.e. the tile laid flat on the garment box exactly as
                 the effect lays it (albedo map) times the input's shading (Y / median Y): so it scores the
                 pattern and the shading together, and a pattern bent along the folds loses here by as much
                 as it bends. A second row scores patterns against the tile bent as the effect bends it
                 (render.patterns.fold_offsets on the same garment): the shading alone. Goal >= 0.85
                 (colours).
grain            A dark garment made much lighter (the swatch's luminance >= GRAIN_GAIN x the garment's own):
                 the fine luminance detail inside the core (luma minus its blur at 1.5 px: std over mean), the
                 camera's noise carried into the new colour or not. Against the same figure on the real light
                 garments of the dev photos (median L* > 60): what light cloth looks like on a camera.
pattern fidelity Stripes and gingham: the added pattern log(Y_out / Y_in) inside the core, mean removed, with
                 a taper (distance to the core's edge), zero-padded 2-D FFT; the strongest peak with period
                 between 3 px and 0.6 shoulder widths gives the period and the angle. Expected: period =
                 scale x shoulder width (the effect's own measure) and the rotation (stripes: the frequency
                 vector at 90° + rotation, mod 180; gingham: rotation mod 90). Relative period error, angle
                 error in degrees.
leakage          Share of the pixels outside the painted mask (alpha > 0.5) dilated by 2% of the frame's height
                 that changed by more than 2 levels (goal < 0.5%); and, from the hand-made reference polygons
                 of the dev photos, face, hair, neck and arm pixels changed at all (goal 0).
garment edge     From the reference polygons: a band EDGE_BAND of the frame's height (at least 2 px) just
                 inside the garment's outline and one just outside it. "Left bare": share of the inside
                 band changed by under 30% of the garment's median change (a rim of the old colour along
                 the outline); "spilled": share of the outside band changed by over 30% of it (paint on
                 the wall, neck or arm next to the garment). Rows whose garment changed by under 10 levels
                 (median) are left out.
flicker          Dev clips (video/dev, first --max-frames frames, fitted into 1280x720): per frame the mean
                 colour (linear RGB -> Lab) of input and output over the same garment core; on still pairs
                 (mean absolute grey change between consecutive frames at 64x36 < 1.2 levels, garment in
                 both) the ΔE00 between consecutive means, for the output and for the input (the camera's
                 own flicker). Median per clip, and the ratio output / input.
realism          Two-sample test: an L2 logistic regression (numpy) on colour-normalised texture statistics
                 of 48x48 garment patches (mean-removed log luminance: spread, percentiles, high-pass energy
                 at 3 scales, gradient-magnitude histogram, local contrast, Laplacian noise; chroma over mean
                 chroma: spread, high-pass, chroma-vs-lightness correlation and slope, highlight chroma and
                 hue shift). Real = the garments as they are in the dev photos and clip frames; made-up = the
                 same frames recoloured with the colour of another real garment of the set (so both classes
                 have the same colour distribution: the classifier cannot win on hue). Accuracy by repeated
                 5-fold cross-validation, grouped by source (a photo, a clip). 50% = indistinguishable.
speed            Per call (outfit.generate + outfit.blend) and per frame (engine total, garment mask
                 included, outfit only) at 1280x720, both renderers alternated frame by frame on dev clip
                 frames, median and p95.

Needs no torch: onnxruntime, numpy, cv2, mediapipe.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from tryon_desktop.core.colour import LUMA, ciede2000, linear_to_xyz, rgb8_to_lab, srgb_to_linear, xyz_to_lab
from tryon_desktop.errors import InputError
from tryon_desktop.eval_garment import read_clip

log = logging.getLogger(__name__)

SHARED = Path("..") / "shared" / "data"
IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
VIDEO_EXTS = {".mp4", ".avi", ".mov", ".mkv", ".webm"}
CANVAS = (1280, 720)
_LIN = srgb_to_linear(np.arange(256) / 255.0).astype(np.float32)
_LUMA_BGR = LUMA[::-1].astype(np.float32)

LUM_BAND = (35.0, 65.0)  # luminance percentiles of the core kept for the colour measure
CORE_ERODE = 0.015  # core erosion, in shoulder widths
HP_SIGMA = 0.015  # high-pass sigma, in shoulder widths
LEAK_DILATE = 0.02  # the mask's dilation for the outside-leak measure, in frame heights
LEAK_LEVELS = 2  # a pixel outside changed by more than this many levels counts as leaked
EDGE_BAND = 0.004  # the garment-edge bands' width, in frame heights (3 px at 720p)
EDGE_SHARE = 0.3  # ... a band pixel counts as changed above this share of the garment's median change
EDGE_MIN_CHANGE = 10  # ... rows whose garment changed by less (median, levels) are not measured
STILL_MOTION = 1.2  # as eval_garment: mean abs grey change at 64x36 below which a frame pair is still
DARK_L = 35.0  # swatches darker than this L* are reported apart for shading (8-bit output bands their shading)
PATCH = 48  # realism patch side after resizing
PATCH_FRAC = 0.2  # realism patch side in the frame, in shoulder widths

# (name, (r, g, b), family): ordered so that an evenly spaced subset keeps the spread.
COLOURS: list[tuple[str, tuple[int, int, int], str]] = [
    ("white", (247, 247, 245), "neutral"),
    ("navy", (28, 38, 74), "dark"),
    ("red", (200, 24, 40), "bright"),
    ("baby blue", (170, 205, 235), "pastel"),
    ("mid denim", (72, 102, 145), "denim"),
    ("black", (20, 20, 22), "neutral"),
    ("mid grey", (128, 128, 128), "neutral"),
    ("burgundy", (110, 20, 40), "dark"),
    ("royal blue", (35, 75, 200), "bright"),
    ("blush pink", (240, 190, 200), "pastel"),
    ("light denim", (140, 170, 200), "denim"),
    ("beige", (215, 195, 165), "neutral"),
    ("forest green", (30, 80, 45), "dark"),
    ("yellow", (245, 205, 30), "bright"),
    ("mint", (180, 230, 205), "pastel"),
    ("dark indigo", (35, 45, 80), "denim"),
    ("charcoal", (60, 60, 64), "neutral"),
    ("chocolate", (80, 50, 35), "dark"),
    ("kelly green", (30, 150, 70), "bright"),
    ("lavender", (200, 185, 230), "pastel"),
    ("light grey", (200, 200, 198), "neutral"),
    ("olive", (95, 100, 45), "dark"),
    ("orange", (240, 110, 20), "bright"),
    ("butter", (250, 235, 170), "pastel"),
    ("fuchsia", (200, 30, 120), "bright"),
    ("camel", (190, 145, 95), "neutral"),
    ("turquoise", (20, 170, 175), "bright"),
    ("plum", (80, 35, 75), "dark"),
]

# Pattern swatches: (name, pattern, scale, rotation); stripes and gingham are also scored for fidelity.
PATTERNS: list[tuple[str, str, float, float]] = [
    ("stripes 0°", "stripes", 0.25, 0.0),
    ("stripes 30°", "stripes", 0.25, 30.0),
    ("gingham 0°", "gingham", 0.25, 0.0),
    ("gingham 20°", "gingham", 0.2, 20.0),
]
FIDELITY = ("stripes", "gingham")


def pick_colours(n: int) -> list[tuple[str, tuple[int, int, int], str]]:
    """The first n colours (the list cycles through the families, so any prefix keeps the spread); black and
    white always among them."""
    picks = list(COLOURS[: max(n, 2)])
    for must in ("white", "black"):
        if all(c[0] != must for c in picks):
            picks[-1 if must == "black" else 0] = next(c for c in COLOURS if c[0] == must)
    return picks


# ---------------------------------------------------------------- metrics (plain numpy, tested on synthetic images)


def luminance(bgr: np.ndarray) -> np.ndarray:
    """Linear relative luminance, float32 (h, w)."""
    return _LIN[bgr] @ _LUMA_BGR


def garment_core(alpha: np.ndarray, erode_px: float) -> np.ndarray:
    """bool: alpha > 0.5, eroded by erode_px (a disc)."""
    m = (alpha > 0.5).astype(np.uint8)
    r = int(round(erode_px))
    if r >= 1:
        m = cv2.erode(m, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1)))
    return m.astype(bool)


def median_colour(bgr: np.ndarray, core: np.ndarray, band: tuple[float, float] = LUM_BAND) -> np.ndarray | None:
    """sRGB (r, g, b) floats 0-255: per-channel median of the core pixels whose luminance lies in the band of
    percentiles (the garment's middle lightness), or None for a core under 30 px."""
    px = bgr[core]
    if len(px) < 30:
        return None
    y = _LIN[px] @ _LUMA_BGR
    lo, hi = np.percentile(y, band)
    sel = px[(y >= lo) & (y <= hi)]
    if len(sel) < 10:
        sel = px
    return np.median(sel, axis=0)[::-1].astype(np.float64)


def colour_error(bgr: np.ndarray, core: np.ndarray, rgb: tuple[int, int, int]) -> dict | None:
    """ΔE00 (lightness included), ΔE00 with L set equal, ΔE on a*b* and ΔL, swatch vs the garment's colour."""
    med = median_colour(bgr, core)
    if med is None:
        return None
    got = rgb8_to_lab(med)
    want = rgb8_to_lab(rgb)
    same_l = got.copy()
    same_l[0] = want[0]
    return {"de00": float(ciede2000(want, got)), "de00_noL": float(ciede2000(want, same_l)),
            "de_ab": float(np.hypot(*(got[1:] - want[1:]))), "dL": float(got[0] - want[0]),
            "lab": [round(float(v), 2) for v in got]}


def highpass_log(y: np.ndarray, sigma: float) -> np.ndarray:
    ly = np.log(np.asarray(y, np.float32) + 1e-3)
    return ly - cv2.GaussianBlur(ly, (0, 0), max(0.8, float(sigma)))


def corr_in(a: np.ndarray, b: np.ndarray, core: np.ndarray) -> float | None:
    x, z = a[core].astype(np.float64), b[core].astype(np.float64)
    if len(x) < 30 or x.std() < 1e-6 or z.std() < 1e-6:
        return None
    return float(np.corrcoef(x, z)[0, 1])


GRAIN_GAIN = 4.0  # swatches at least this many times lighter than the garment are scored for grain


def grain(bgr: np.ndarray, core: np.ndarray) -> float | None:
    """Fine luminance detail inside the core: std of luma minus its 1.5 px blur, over the mean luma."""
    y = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY).astype(np.float32)
    d = y - cv2.GaussianBlur(y, (0, 0), 1.5)
    if int(core.sum()) < 30 or float(y[core].mean()) < 1.0:
        return None
    return float(d[core].std() / y[core].mean())


def _luminance_of(rgb) -> float:
    return float(luminance(np.asarray(rgb[::-1], np.uint8).reshape(1, 1, 3))[0, 0])


def shading_kept(before: np.ndarray, after: np.ndarray, core: np.ndarray, sigma: float) -> float | None:
    """Correlation of high-pass log luminance inside the core, before vs after (colour swatches)."""
    return corr_in(highpass_log(luminance(before), sigma), highpass_log(luminance(after), sigma), core)


def pattern_shading_kept(before: np.ndarray, after: np.ndarray, core: np.ndarray, sigma: float,
                         albedo_lin_bgr: np.ndarray) -> float | None:
    """The same against the expected pattern: the albedo map (linear BGR, the frame's size) times the input's
    shading (its luminance over its median in the core)."""
    y_in = luminance(before)
    med = float(np.median(y_in[core])) if core.any() else 1.0
    expected = (albedo_lin_bgr @ _LUMA_BGR) * (y_in / max(med, 1e-4))
    return corr_in(highpass_log(expected, sigma), highpass_log(luminance(after), sigma), core)


def taper(core: np.ndarray, width: float) -> np.ndarray:
    """A window over the core: 0 at its edge rising to 1 at `width` px inside (raised cosine)."""
    d = cv2.distanceTransform(core.astype(np.uint8), cv2.DIST_L2, 5)
    t = np.clip(d / max(width, 1.0), 0.0, 1.0)
    return (0.5 - 0.5 * np.cos(np.pi * t)).astype(np.float32)


def dominant_periods(signal: np.ndarray, core: np.ndarray, min_period: float, max_period: float,
                     n: int = 2, taper_px: float | None = None) -> list[tuple[float, float, float]]:
    """The n strongest spectral peaks of `signal` inside `core`: (period px, angle of the frequency vector in
    degrees mod 180, in image coordinates with y down, power share). A second peak is sought at least 25°
    away from the first (gingham's other axis)."""
    ys, xs = np.nonzero(core)
    if len(ys) < 64:
        return []
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    s = signal[y0:y1, x0:x1].astype(np.float64)
    c = core[y0:y1, x0:x1]
    w = taper(c, taper_px if taper_px else max(4.0, 0.5 * min_period * 2)).astype(np.float64)
    if w.sum() <= 0:
        return []
    s = (s - (s * w).sum() / w.sum()) * w
    size = int(2 ** np.ceil(np.log2(max(256, 4 * max(s.shape)))))
    size = min(size, 2048)
    F = np.abs(np.fft.rfft2(s, (size, size))) ** 2
    fy = np.fft.fftfreq(size)[:, None]
    fx = np.fft.rfftfreq(size)[None, :]
    r = np.hypot(fx, fy)
    band = (r >= 1.0 / max_period) & (r <= 1.0 / max(min_period, 2.0))
    total = float(F[band].sum()) or 1.0
    ang = (np.degrees(np.arctan2(fy, fx)) + 180.0) % 180.0
    out = []
    P = np.where(band, F, 0.0)
    for _ in range(n):
        k = int(np.argmax(P))
        if P.flat[k] <= 0:
            break
        iy, ix = np.unravel_index(k, P.shape)
        # parabolic refinement of the peak along both axes (the zero padding already interpolates)
        def refine(v_m, v_0, v_p):
            d = v_m - 2 * v_0 + v_p
            return 0.5 * (v_m - v_p) / d if d < 0 else 0.0
        dy = refine(F[(iy - 1) % size, ix], F[iy, ix], F[(iy + 1) % size, ix])
        dx = refine(F[iy, ix - 1], F[iy, ix], F[iy, ix + 1]) if 0 < ix < F.shape[1] - 1 else 0.0
        vy, vx = (fy[iy, 0] + dy / size), (fx[0, ix] + dx / size)
        rr = float(np.hypot(vx, vy))
        a = float((np.degrees(np.arctan2(vy, vx)) + 180.0) % 180.0)
        out.append((1.0 / rr, a, float(P[iy, ix] / total)))
        diff = np.abs((ang - a + 90.0) % 180.0 - 90.0)
        P = np.where(diff < 25.0, 0.0, P)
    return out


def angle_diff(a: float, b: float, mod: float = 180.0) -> float:
    return float(abs((a - b + mod / 2) % mod - mod / 2))


def pattern_fidelity(before: np.ndarray, after: np.ndarray, core: np.ndarray, kind: str, period: float,
                     rotation: float, shoulder_px: float) -> dict | None:
    """Relative period error and angle error of the pattern added to the garment (log Y_out - log Y_in)."""
    sig = np.log(luminance(after) + 1e-3) - np.log(luminance(before) + 1e-3)
    peaks = dominant_periods(sig, core, 3.0, max(0.6 * shoulder_px, 1.5 * period), n=2, taper_px=0.5 * period)
    if not peaks:
        return None
    p, a, share = peaks[0]
    if kind == "stripes":
        want = (90.0 + rotation) % 180.0
        aerr = angle_diff(a, want, 180.0)
    else:
        want = rotation % 90.0
        aerr = angle_diff(a % 90.0, want, 90.0)
    return {"period": float(p), "expected_period": float(period), "period_err": float(abs(p - period) / period),
            "angle": float(a), "angle_err": aerr, "peak_share": share}


def change_levels(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """int16 (h, w): each pixel's largest change over the three channels, in 8-bit levels."""
    return np.abs(after.astype(np.int16) - before.astype(np.int16)).max(axis=2)


def leakage(before: np.ndarray, after: np.ndarray, alpha: np.ndarray, labels: np.ndarray | None = None,
            dilate_px: float | None = None, diff: np.ndarray | None = None) -> dict:
    """Changed pixels where nothing may change. alpha: the painted mask (full frame); labels: the reference
    label map (garment_refs.LABELS) or None; diff: change_levels(before, after), if the caller has it."""
    if diff is None:
        diff = change_levels(before, after)
    r = int(round(dilate_px if dilate_px is not None else LEAK_DILATE * before.shape[0]))
    grown = (alpha > 0.5).astype(np.uint8)
    if r >= 1:
        grown = cv2.dilate(grown, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1)))
    outside = grown == 0
    n_out = int(outside.sum())
    leaked = int((outside & (diff > LEAK_LEVELS)).sum())
    out = {"outside_share": leaked / n_out if n_out else 0.0, "outside_px": leaked}
    if labels is not None:
        for name, lab in (("face", 2), ("hair", 3), ("neck", 4), ("arm", 5)):
            region = labels == lab
            changed = int((region & (diff > 0)).sum())
            out[f"{name}_px"] = changed
            out[f"{name}_share"] = changed / int(region.sum()) if region.any() else 0.0
            out[f"{name}_px_gt2"] = int((region & (diff > LEAK_LEVELS)).sum())
    return out


def edge_fit(diff: np.ndarray, labels: np.ndarray) -> dict | None:
    """How the painted edge sits on the reference garment's outline: the share of a thin band just inside it
    left (nearly) as it was, and of one just outside it painted. diff: change_levels(before, after). None when
    the garment barely changed."""
    g = (labels == 1).astype(np.uint8)
    r = max(2, int(round(EDGE_BAND * diff.shape[0])))
    disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    inner = (g > 0) & (cv2.erode(g, disk) == 0)
    outer = (cv2.dilate(g, disk) > 0) & (g == 0)
    deep = cv2.erode(g, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (8 * r + 1, 8 * r + 1))) > 0
    if not inner.any() or not outer.any() or not deep.any():
        return None
    med = float(np.median(diff[deep]))
    if med < EDGE_MIN_CHANGE:
        return None
    cut = EDGE_SHARE * med
    return {"bare": float((diff[inner] < cut).mean()), "spill": float((diff[outer] > cut).mean())}


def mean_lab(bgr: np.ndarray, core: np.ndarray) -> np.ndarray | None:
    """Mean colour of the core (averaged in linear RGB), in Lab."""
    if core.sum() < 30:
        return None
    lin = _LIN[bgr[core]].mean(axis=0)[::-1]
    return xyz_to_lab(linear_to_xyz(lin))


def still_flicker(in_means: list, out_means: list, motion: list[float], still: float = STILL_MOTION) -> dict:
    """ΔE00 between consecutive mean colours on still pairs (motion < still, a mean in both frames), output
    and input, medians, and their ratio."""
    d_in, d_out = [], []
    for i in range(1, len(motion)):
        if motion[i] >= still:
            continue
        if any(m is None for m in (in_means[i - 1], in_means[i], out_means[i - 1], out_means[i])):
            continue
        d_in.append(float(ciede2000(in_means[i - 1], in_means[i])))
        d_out.append(float(ciede2000(out_means[i - 1], out_means[i])))
    if not d_in:
        return {"pairs": 0}
    mi, mo = float(np.median(d_in)), float(np.median(d_out))
    return {"pairs": len(d_in), "input_median": mi, "output_median": mo, "output_p90": float(np.percentile(d_out, 90)),
            "ratio": mo / mi if mi > 1e-6 else None}


def motion(frames: list[np.ndarray]) -> list[float]:
    """Mean absolute grey-level change from the previous frame, at 64x36 (0 for the first frame)."""
    small = [cv2.resize(cv2.cvtColor(f, cv2.COLOR_BGR2GRAY), (64, 36), interpolation=cv2.INTER_AREA).astype(np.float32)
             for f in frames]
    return [0.0] + [float(np.abs(small[i] - small[i - 1]).mean()) for i in range(1, len(small))]


# ---- realism


def patch_features(patch: np.ndarray) -> np.ndarray:
    """Colour-normalised texture/shading statistics of one BGR uint8 patch (resized to PATCH x PATCH)."""
    if patch.shape[:2] != (PATCH, PATCH):
        patch = cv2.resize(patch, (PATCH, PATCH), interpolation=cv2.INTER_AREA)
    lin = _LIN[patch]
    y = lin @ _LUMA_BGR
    ly = np.log(y + 1e-3).astype(np.float32)
    ly = ly - ly.mean()
    lab = xyz_to_lab(linear_to_xyz(lin[..., ::-1].astype(np.float64))).astype(np.float32)
    L, a, b = lab[..., 0], lab[..., 1], lab[..., 2]
    C = np.hypot(a, b)
    cm = float(C.mean())
    f = [float(ly.std())]
    f += list(np.percentile(ly, [5, 25, 75, 95]) - np.median(ly))
    f += [float((ly - cv2.GaussianBlur(ly, (0, 0), s)).std()) for s in (1.0, 2.0, 4.0)]
    gx, gy = cv2.Sobel(ly, cv2.CV_32F, 1, 0), cv2.Sobel(ly, cv2.CV_32F, 0, 1)
    gm = np.hypot(gx, gy)
    gmean = float(gm.mean())
    hist = np.histogram(gm / (gmean + 1e-6), bins=[0, 0.25, 0.5, 1.0, 2.0, 4.0, np.inf])[0] / gm.size
    f += [gmean, *hist.tolist()]
    mu = cv2.GaussianBlur(ly, (0, 0), 2.0)
    local = np.sqrt(np.maximum(cv2.GaussianBlur(ly * ly, (0, 0), 2.0) - mu * mu, 0.0))
    f.append(float(local.mean() / (ly.std() + 1e-6)))
    f.append(float(np.median(np.abs(cv2.Laplacian(ly, cv2.CV_32F)))))
    lf, cf = L.ravel().astype(np.float64), C.ravel().astype(np.float64)
    ok = lf.std() > 1e-3 and cf.std() > 1e-3
    f.append(float(np.corrcoef(lf, cf)[0, 1]) if ok else 0.0)
    f.append(float(np.cov(lf, cf)[0, 1] / (lf.var() + 1e-6) * lf.mean() / (cm + 1.0)) if ok else 0.0)
    f.append(float(C.std() / (cm + 1.0)))
    f.append(float((a.std() + b.std()) / (cm + 1.0)))
    hi = y >= np.percentile(y, 95)
    f.append(float(C[hi].mean() / (cm + 1.0)))
    f.append(float(np.hypot(a[hi].mean() - a.mean(), b[hi].mean() - b.mean()) / (cm + 1.0)))
    hpl = (L - cv2.GaussianBlur(L, (0, 0), 1.5)).std()
    hpc = (a - cv2.GaussianBlur(a, (0, 0), 1.5)).std() + (b - cv2.GaussianBlur(b, (0, 0), 1.5)).std()
    f.append(float(hpc / (hpl + 0.1)))
    return np.nan_to_num(np.asarray(f, np.float64), nan=0.0, posinf=0.0, neginf=0.0)


def patch_sites(core: np.ndarray, side: int, k: int, rng: np.random.Generator) -> list[tuple[int, int]]:
    """Up to k top-left corners of side x side squares lying wholly inside the core, at least a side apart."""
    d = cv2.distanceTransform(core.astype(np.uint8), cv2.DIST_L2, 5)
    ys, xs = np.nonzero(d >= 0.72 * side)
    if not len(ys):
        return []
    order = rng.permutation(len(ys))
    out: list[tuple[int, int]] = []
    for i in order:
        cy, cx = int(ys[i]), int(xs[i])
        if all(max(abs(cy - y), abs(cx - x)) >= side for y, x in out):
            out.append((cy, cx))
            if len(out) >= k:
                break
    return [(cy - side // 2, cx - side // 2) for cy, cx in out]


def cut(img: np.ndarray, site: tuple[int, int], side: int) -> np.ndarray:
    y, x = site
    return cv2.resize(img[y:y + side, x:x + side], (PATCH, PATCH), interpolation=cv2.INTER_AREA)


def logistic_cv(X: np.ndarray, y: np.ndarray, groups: np.ndarray | None = None, folds: int = 5,
                repeats: int = 10, l2: float = 3e-2, seed: int = 0, each: list | None = None) -> tuple[float, float]:
    """Accuracy (mean, std over repeats) of an L2 logistic regression under k-fold cross-validation; with
    groups, a group's samples all fall in the same fold (grouped), else folds are stratified. each: a list
    that gets every repeat's accuracy (the same seed and groups give the same folds, so two calls' repeats
    pair up)."""
    X = np.asarray(X, np.float64)
    y = np.asarray(y, np.float64)
    rng = np.random.default_rng(seed)
    accs = []
    for _ in range(repeats):
        fold = np.empty(len(y), int)
        if groups is not None:
            ug = np.unique(groups)
            perm = rng.permutation(len(ug))
            gf = {g: i % folds for i, g in enumerate(ug[perm])}
            fold[:] = [gf[g] for g in groups]
        else:
            for cls in (0, 1):
                idx = np.flatnonzero(y == cls)
                rng.shuffle(idx)
                fold[idx] = np.arange(len(idx)) % folds
        correct, seen = 0, 0
        for f in range(min(folds, int(fold.max()) + 1)):
            tr, te = fold != f, fold == f
            if not te.any() or len(np.unique(y[tr])) < 2:
                continue
            mu, sd = X[tr].mean(0), X[tr].std(0) + 1e-6
            A = np.hstack([(X[tr] - mu) / sd, np.ones((tr.sum(), 1))])
            w = np.zeros(A.shape[1])
            for _ in range(400):
                p = 1.0 / (1.0 + np.exp(-np.clip(A @ w, -30, 30)))
                grad = A.T @ (p - y[tr]) / len(A) + l2 * np.r_[w[:-1], 0.0]
                w -= 0.5 * grad
            B = np.hstack([(X[te] - mu) / sd, np.ones((te.sum(), 1))])
            correct += int(((B @ w > 0).astype(int) == y[te]).sum())
            seen += int(te.sum())
        if seen:
            accs.append(correct / seen)
    if each is not None:
        each.extend(float(a) for a in accs)
    return (float(np.mean(accs)), float(np.std(accs))) if accs else (float("nan"), 0.0)


# ---------------------------------------------------------------- running the renderers


EDGE_MATTE = [True]  # the outfit effect's edge matte (--no-edge-matte turns it off, to measure what it does)


def make_engine(outfit_model, video: bool):
    from tryon_desktop.engine import TryOnEngine

    eng = TryOnEngine(model=None, video=video, outfit_model=outfit_model)
    eng.effects["outfit"].edge_matte = EDGE_MATTE[0]
    return eng


def backend_name(engine) -> str:
    eff = engine.effects["outfit"]
    return getattr(getattr(eff, "backend", eff), "name", "reference")


def renderers(model: str) -> tuple[dict, dict]:
    """({name: outfit_model argument}, info): always the reference; the GAN when installed (or named)."""
    from tryon_desktop.effects.outfit import DEFAULT_OUTFIT_MANIFEST

    out: dict = {"reference": None}
    info = {"gan_installed": False, "gan_note": None, "gan_describe": None}
    if model in ("none", "reference", ""):
        info["gan_note"] = "GAN not evaluated (--model none)"
        return out, info
    if model != "auto" and not Path(model).exists():
        raise InputError(f"outfit model not found: {model}")
    eng = make_engine(model, video=False)  # a named model that does not load raises ModelError here
    try:
        if backend_name(eng) == "gan":
            out = {"gan": model, "reference": None}
            info["gan_installed"] = True
            info["gan_describe"] = eng.effects["outfit"].describe().to_dict()
        else:
            note = getattr(eng.effects["outfit"], "notice", None)
            info["gan_note"] = (f"outfit GAN not installed ({DEFAULT_OUTFIT_MANIFEST.name} absent): reference only"
                                if model == "auto" and not DEFAULT_OUTFIT_MANIFEST.exists() else
                                f"outfit GAN not loaded ({note or 'unknown reason'}): reference only")
    finally:
        eng.close()
    return out, info


@dataclass
class Body:
    name: str
    source: str  # relative to the data root
    image: np.ndarray
    real: bool
    labels: np.ndarray | None
    alpha: np.ndarray | None = None  # the painted mask (full frame), from the first pass
    box: object = None
    shoulder: float = 0.0
    sites: list = field(default_factory=list)
    side: int = 0
    colour: tuple[int, int, int] | None = None  # the real garment's median colour


_MEASURER = []


def _measurer():
    """An outfit effect on the reference backend, used only for its prepare() (the box, alpha and shoulder
    width every backend is given)."""
    from tryon_desktop.effects.outfit import OutfitEffect

    if not _MEASURER:
        _MEASURER.append(OutfitEffect(model=None, video=False))
    _MEASURER[0].edge_matte = EDGE_MATTE[0]
    return _MEASURER[0]


def painted_mask(frame: np.ndarray, small: np.ndarray | None):
    """(alpha full frame, box, shoulder px) exactly as the outfit effect paints, or None without a garment."""
    from tryon_desktop.effects.base import Scene

    if small is None:
        return None
    items = _measurer().prepare(frame, Scene(frame=frame, timestamp=0.0, faces=[], garment=small), None)
    if not items:
        return None
    it = items[0]
    alpha = np.zeros(frame.shape[:2], np.float32)
    alpha[it.box.slices] = it.alpha
    return alpha, it.box, float(it.shoulder_px)


def load_bodies(data: Path, limit: int | None) -> list[Body]:
    from tryon_desktop.garment_refs import load_refs

    folder = data / "bodies" / "dev"
    paths = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_EXTS) if folder.is_dir() else []
    if not paths:
        raise InputError(f"no dev body photos in {folder}")
    refs = {r.source: r for r in load_refs() if r.frame is None}
    bodies = []
    for p in paths:
        img = cv2.imread(str(p), cv2.IMREAD_COLOR)
        if img is None:
            raise InputError(f"cannot read {p}: not an image")
        src = p.relative_to(data).as_posix()
        ref = refs.get(src)
        labels = ref.labels() if ref is not None and tuple(ref.size) == (img.shape[1], img.shape[0]) else None
        synthetic = "echomimic" in src or p.name.startswith("model_")
        bodies.append(Body(name=f"{p.parent.name}/{p.stem[:24]}", source=src, image=img,
                           real=(ref.real if ref is not None else not synthetic), labels=labels))
    if limit:
        # keep a spread of sources
        idx = np.round(np.linspace(0, len(bodies) - 1, min(limit, len(bodies)))).astype(int)
        bodies = [bodies[i] for i in sorted(set(idx.tolist()))]
    return bodies


def to_canvas(frame: np.ndarray, size: tuple[int, int] = CANVAS) -> np.ndarray:
    from tryon_desktop.evaluate import to_canvas as fit

    return fit(frame, size)


def dev_clips(data: Path) -> list[Path]:
    vdir = data / "video" / "dev"
    if not vdir.is_dir():
        return []
    return sorted(p for p in vdir.iterdir() if p.suffix.lower() in VIDEO_EXTS and "mask" not in p.stem
                  and "densepose" not in p.stem)


def _swatches(colours, patterns, data: Path) -> list:
    from tryon_desktop.core.looks import OutfitSwatch

    out = [(OutfitSwatch(name=n, rgb=rgb), "colour", fam) for n, rgb, fam in colours]
    out += [(OutfitSwatch(name=n, pattern=p, scale=s, rotation=r), p, "pattern") for n, p, s, r in patterns]
    return out


def first_pass(bodies: list[Body], rng: np.random.Generator) -> None:
    """The garment mask of each body (the segmenter is the same for both renderers), its real colour and
    the realism patch sites."""
    eng = make_engine(None, video=False)
    try:
        for b in bodies:
            eng.reset()
            r = eng.process(b.image, None, timestamp=0.0, garment_mask=True)
            pm = painted_mask(b.image, r.garment_mask)
            if pm is None:
                continue
            b.alpha, b.box, b.shoulder = pm
            core = garment_core(b.alpha, CORE_ERODE * b.shoulder)
            med = median_colour(b.image, core)
            if med is not None:
                b.colour = tuple(int(round(v)) for v in med)
            b.side = int(np.clip(PATCH_FRAC * b.shoulder, 24, 160))
            b.sites = patch_sites(core, b.side, 4, rng)
    finally:
        eng.close()


def eval_bodies(names: dict, bodies: list[Body], swatches: list, realism: dict) -> tuple[dict, list[dict]]:
    """Every renderer x body x swatch; per-row metrics, and realism patches (made-up) collected in realism."""
    from tryon_desktop.core.looks import Look
    from tryon_desktop.render.outfit import print_free_luma
    from tryon_desktop.render.patterns import albedo_map, fold_offsets

    rows: list[dict] = []
    with_garment = [b for b in bodies if b.alpha is not None]
    colours = [b.colour for b in with_garment if b.colour is not None]
    for rname, model in names.items():
        eng = make_engine(model, video=False)
        if backend_name(eng) != ("gan" if rname == "gan" else "reference"):
            eng.close()
            raise InputError(f"renderer {rname}: the engine runs {backend_name(eng)}")
        try:
            for bi, b in enumerate(with_garment):
                core = garment_core(b.alpha, CORE_ERODE * b.shoulder)
                sigma = HP_SIGMA * b.shoulder
                for sw, kind, fam in swatches:
                    eng.reset()
                    r = eng.process(b.image, Look(outfit=sw), timestamp=0.0, garment_mask=True)
                    row = {"renderer": rname, "body": b.name, "real": b.real, "swatch": sw.name, "kind": kind,
                           "family": fam, "status": r.status.get("outfit")}
                    out = r.frame
                    diff = change_levels(b.image, out)
                    row["leak"] = leakage(b.image, out, b.alpha, b.labels, diff=diff)
                    if b.labels is not None:
                        row["edge"] = edge_fit(diff, b.labels)
                    row["ms"] = {k: r.timings_ms.get(k, 0.0) for k in ("outfit.generate", "outfit.blend", "total")}
                    if kind == "colour":
                        row["dark"] = bool(rgb8_to_lab(sw.rgb)[0] < DARK_L)
                        row["colour"] = colour_error(out, core, sw.rgb)
                        row["shading"] = shading_kept(b.image, out, core, sigma)
                        if b.colour is not None and _luminance_of(sw.rgb) >= GRAIN_GAIN * max(_luminance_of(b.colour), 1e-4):
                            row["grain"] = grain(out, core)
                    else:
                        period = max(4.0, sw.scale * max(b.shoulder, 32.0))
                        box = b.box
                        # the effect pins a pattern to the garment's centre (effects.outfit.PatternAnchor):
                        # the same origin here, so the expected pattern is in phase with the drawn one
                        centre = getattr(getattr(eng.effects.get("outfit"), "anchor", None), "centre", None)
                        cx, cy = centre if centre is not None else (0.0, 0.0)
                        alb = np.zeros(b.image.shape, np.float32)
                        alb[box.slices] = albedo_map(sw.pattern, box.height, box.width, period, sw.rotation, sw.rgb,
                                                     origin=(box.x0 - cx, box.y0 - cy))
                        row["shading"] = pattern_shading_kept(b.image, out, core, sigma, alb)
                        # ... and against the pattern bent along the folds as the effect bends it (the same
                        # shading read the same way): what is left is the shading kept, not the bend
                        a_box = b.alpha[box.slices]
                        bent = fold_offsets(print_free_luma(b.image[box.slices], a_box), a_box, period, b.shoulder)
                        if bent is not None:
                            alb[box.slices] = albedo_map(sw.pattern, box.height, box.width, period, sw.rotation,
                                                         sw.rgb, origin=(box.x0 - cx, box.y0 - cy), offsets=bent)
                        row["shading_bent"] = pattern_shading_kept(b.image, out, core, sigma, alb)
                        if kind in FIDELITY:
                            row["pattern"] = pattern_fidelity(b.image, out, core, kind, period, sw.rotation, b.shoulder)
                    rows.append(row)
                photo_realism(eng, rname, b, bi, colours, realism)
                print(f"  {rname}: {b.name} done", file=sys.stderr)
        finally:
            eng.close()
    return summarise_rows(rows, list(names)), rows


def photo_realism(eng, rname: str, b: Body, bi: int, colours: list, realism: dict, shift: int = 0) -> None:
    """Realism patches of body b (the bi-th with a garment) made up by eng, added to realism[rname]: the garment
    recoloured with another real garment's colour of the set (a derangement; `shift` moves every body to
    another one, for a study over several colourings), cut at b's patch sites."""
    from tryon_desktop.core.looks import Look, OutfitSwatch

    if not b.sites or len(colours) < 2:
        return
    rgb = colours[(bi + 1 + len(colours) // 2 + shift) % len(colours)]
    if rgb == b.colour:
        rgb = colours[(bi + 1 + shift) % len(colours)]
    eng.reset()
    r = eng.process(b.image, Look(outfit=OutfitSwatch(name="realism", rgb=rgb)), timestamp=0.0)
    for s in b.sites:
        realism.setdefault(rname, []).append((f"photo:{b.name}", patch_features(cut(r.frame, s, b.side))))


def _stats(v: list[float]) -> dict | None:
    v = [x for x in v if x is not None and np.isfinite(x)]
    if not v:
        return None
    a = np.asarray(v, np.float64)
    return {"n": len(a), "median": float(np.median(a)), "p90": float(np.percentile(a, 90)),
            "p10": float(np.percentile(a, 10)), "min": float(a.min()), "max": float(a.max()), "mean": float(a.mean())}


def summarise_rows(rows: list[dict], names: list[str]) -> dict:
    out = {}
    for rn in names:
        rs = [r for r in rows if r["renderer"] == rn]
        col = [r for r in rs if r["kind"] == "colour" and r.get("colour")]
        pat = [r for r in rs if r["kind"] != "colour"]
        s = {
            "colour": {k: _stats([r["colour"][k] for r in col]) for k in ("de00", "de00_noL", "de_ab")},
            "colour_abs_dL": _stats([abs(r["colour"]["dL"]) for r in col]),
            "colour_real_photos_de00": _stats([r["colour"]["de00"] for r in col if r["real"]]),
            "colour_by_family": {},
            "colour_by_swatch": {},
            "shading_colour": _stats([r.get("shading") for r in rs if r["kind"] == "colour"]),
            "shading_colour_dark": _stats([r.get("shading") for r in rs if r["kind"] == "colour" and r.get("dark")]),
            "shading_colour_light": _stats([r.get("shading") for r in rs if r["kind"] == "colour" and not r.get("dark")]),
            "shading_pattern": _stats([r.get("shading") for r in pat]),
            "grain_dark_to_light": _stats([r.get("grain") for r in rs if r.get("grain") is not None]),
            "shading_pattern_bent": _stats([r.get("shading_bent") for r in pat]),
            "pattern": {},
            "leak_outside_share": _stats([r["leak"]["outside_share"] for r in rs]),
            "no_garment": sum(1 for r in rs if r.get("status")),
            "n_rows": len(rs),
        }
        for fam in sorted({r["family"] for r in col}):
            s["colour_by_family"][fam] = _stats([r["colour"]["de00"] for r in col if r["family"] == fam])
        for sw in dict.fromkeys(r["swatch"] for r in col):
            s["colour_by_swatch"][sw] = _stats([r["colour"]["de00"] for r in col if r["swatch"] == sw])
        for kind in FIDELITY:
            pr = [r["pattern"] for r in pat if r["kind"] == kind and r.get("pattern")]
            s["pattern"][kind] = {"period_err": _stats([p["period_err"] for p in pr]),
                                  "angle_err": _stats([p["angle_err"] for p in pr])}
        s["edge_bare"] = _stats([r["edge"]["bare"] for r in rs if r.get("edge")])
        s["edge_spill"] = _stats([r["edge"]["spill"] for r in rs if r.get("edge")])
        with_labels = [r for r in rs if "face_px" in r["leak"]]
        s["leak_labels"] = {"rows": len(with_labels)}
        for part in ("face", "hair", "neck", "arm"):
            s["leak_labels"][f"{part}_px"] = int(sum(r["leak"][f"{part}_px"] for r in with_labels))
            s["leak_labels"][f"{part}_px_gt2"] = int(sum(r["leak"][f"{part}_px_gt2"] for r in with_labels))
            s["leak_labels"][f"{part}_rows"] = int(sum(1 for r in with_labels if r["leak"][f"{part}_px"] > 0))
            s["leak_labels"][f"{part}_share_median"] = float(np.median([r["leak"][f"{part}_share"] for r in with_labels])
                                                             if with_labels else 0.0)
            s["leak_labels"][f"{part}_share_max"] = float(max((r["leak"][f"{part}_share"] for r in with_labels),
                                                              default=0.0))
        out[rn] = s
    return out


def eval_clips(names: dict, clips: list[Path], max_frames: int, pool: list[tuple[int, int, int]],
               real: list, realism: dict, every: int = 8, shift: int = 0) -> dict:
    """Flicker on still stretches, per clip and renderer; realism patches from every `every`-th frame. Each
    clip wears a colour of the pool in turn (`shift` places further on: another colouring of the same sites)."""
    from tryon_desktop.core.looks import Look, OutfitSwatch

    out = {}
    rng = np.random.default_rng(1)
    for ci, clip in enumerate(clips):
        frames, fps = read_clip(clip, max_frames)
        if len(frames) < 3:
            continue
        frames = [to_canvas(f) for f in frames]
        mot = motion(frames)
        rgb = pool[(ci + shift) % len(pool)] if pool else (200, 24, 40)
        look = Look(outfit=OutfitSwatch(name="flicker", rgb=rgb))
        row: dict = {"frames": len(frames), "still_frames": int(sum(m < STILL_MOTION for m in mot[1:])),
                     "swatch": "#{:02X}{:02X}{:02X}".format(*rgb)}
        sites_by_frame: dict[int, tuple] = {}
        for rname, model in names.items():
            eng = make_engine(model, video=True)
            ins, outs, found = [], [], 0
            try:
                for i, fr in enumerate(frames):
                    r = eng.process(fr, look, timestamp=i / fps, garment_mask=True)
                    pm = painted_mask(fr, r.garment_mask)
                    if pm is None:
                        ins.append(None)
                        outs.append(None)
                        continue
                    found += 1
                    alpha, _box, sh = pm
                    core = garment_core(alpha, CORE_ERODE * sh)
                    ins.append(mean_lab(fr, core))
                    outs.append(mean_lab(r.frame, core))
                    if i % every == 0:
                        if i not in sites_by_frame:  # the first renderer fixes the sites (and adds the real patches)
                            side = int(np.clip(PATCH_FRAC * sh, 24, 160))
                            sites = patch_sites(core, side, 3, rng)
                            sites_by_frame[i] = (side, sites)
                            for s in sites:
                                real.append((f"clip:{clip.name}", patch_features(cut(fr, s, side))))
                        side, sites = sites_by_frame[i]
                        for s in sites:
                            realism.setdefault(rname, []).append((f"clip:{clip.name}", patch_features(cut(r.frame, s, side))))
            finally:
                eng.close()
            row[rname] = {"garment_frames": found, **still_flicker(ins, outs, mot)}
        out[clip.name] = row
        print(f"  {clip.name}: {len(frames)} frames, " + "  ".join(
            f"{n} ΔE {row[n].get('output_median', float('nan')):.3f} (input {row[n].get('input_median', float('nan')):.3f})"
            for n in names), file=sys.stderr)
    return out


def eval_realism(names: list[str], real: list, made: dict, seed: int = 0) -> dict:
    out = {"n_real": len(real), "groups": len({g for g, _ in real})}
    for rn in names:
        m = made.get(rn, [])
        if len(real) < 10 or len(m) < 10:
            out[rn] = None
            continue
        X = np.vstack([np.array([f for _, f in real]), np.array([f for _, f in m])])
        y = np.r_[np.ones(len(real)), np.zeros(len(m))]
        groups = np.array([g for g, _ in real] + [g for g, _ in m])
        folds = min(5, len(np.unique(groups)))
        each: list = []
        acc, sd = logistic_cv(X, y, groups=groups if folds >= 2 else None, folds=max(folds, 2), seed=seed, each=each)
        out[rn] = {"accuracy": acc, "sd": sd, "n_made": len(m), "repeats": each,
                   "groups": sorted({g for g, _ in m})}
    out["paired"] = paired_realism(out, names)
    return out


def paired_realism(res: dict, names: list[str]) -> dict | None:
    """The first renderer's accuracy minus the second's, repeat by repeat: the made-up patches are cut at the
    same places for every renderer, from the same sources, so with the same seed each repeat splits both
    into the same folds and the two can be compared repeat by repeat (on the dev set this did not narrow
    the spread: the two classifiers' fold luck differs). None unless both were scored on the same sources."""
    if len(names) < 2:
        return None
    a, b = res.get(names[0]), res.get(names[1])
    if not a or not b or a["groups"] != b["groups"] or len(a["repeats"]) != len(b["repeats"]) or not a["repeats"]:
        return None
    d = np.asarray(a["repeats"]) - np.asarray(b["repeats"])
    return {"first": names[0], "second": names[1], "mean": float(d.mean()), "sd": float(d.std()),
            "below": int((d < 0).sum()), "n": int(len(d))}


def eval_speed(names: dict, clips: list[Path], frames: int, swatch_rgb=(35, 75, 200)) -> dict:
    """Both renderers alternated frame by frame on 1280x720 canvases of the dev clip with the largest garment."""
    from tryon_desktop.core.looks import Look, OutfitSwatch

    src = [c for c in clips if "vivid_upper" in c.name] or clips
    if not src:
        return {}
    fr, fps = read_clip(src[0], frames + 5)
    fr = [to_canvas(f) for f in fr]
    if not fr:
        return {}
    look = Look(outfit=OutfitSwatch(name="speed", rgb=swatch_rgb))
    engines = {n: make_engine(m, video=True) for n, m in names.items()}
    call: dict = {n: [] for n in names}
    total: dict = {n: [] for n in names}
    try:
        for i in range(len(fr)):
            for n, eng in engines.items():
                r = eng.process(fr[i], look, timestamp=i / fps)
                if i >= 5 and not r.status.get("outfit"):
                    call[n].append(r.timings_ms["outfit.generate"] + r.timings_ms["outfit.blend"])
                    total[n].append(r.timings_ms["total"])
        provider = {n: eng.effects["outfit"].provider for n, eng in engines.items()}
    finally:
        for eng in engines.values():
            eng.close()
    out = {"clip": src[0].name, "frame": f"{CANVAS[0]}x{CANVAS[1]}"}
    for n in names:
        if call[n]:
            out[n] = {"frames": len(call[n]), "provider": provider[n],
                      "call_ms": {"median": float(np.median(call[n])), "p95": float(np.percentile(call[n], 95))},
                      "frame_ms": {"median": float(np.median(total[n])), "p95": float(np.percentile(total[n], 95))}}
    return out


# ---------------------------------------------------------------- report


def fmt(v, digits=2, pct=False):
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "–"
    return f"{100 * v:.{digits}f}%" if pct else f"{v:.{digits}f}"


def _g(d, *keys):
    for k in keys:
        if d is None:
            return None
        d = d.get(k) if isinstance(d, dict) else None
    return d


def markdown(report: dict) -> str:
    names = report["renderers"]
    S = report["summary"]
    lines = []
    if report.get("gan_note"):
        lines += [f"**{report['gan_note']}**", ""]
    lines += [f"Dev photos: {report['n_bodies']} ({report['n_bodies_with_garment']} with a garment found), "
              f"{report['n_colours']} colours + {len(report['patterns'])} patterns each; clips: {report['n_clips']} "
              f"(first {report['max_frames']} frames, 1280x720). Run time {report['seconds']:.0f} s.", ""]
    lines += ["| metric | goal | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]

    def row(label, goal, fn):
        lines.append(f"| {label} | {goal} | " + " | ".join(fn(n) for n in names) + " |")

    def med_p90(key, sub=None, digits=2):
        def f(n):
            s = _g(S[n], key, sub) if sub else S[n].get(key)
            return "–" if not s else f"{s['median']:.{digits}f} / {s['p90']:.{digits}f}"
        return f

    row("colour ΔE00, lightness included (median / p90)", "≤ 3", med_p90("colour", "de00"))
    row("colour ΔE00, L set equal (median / p90)", "≤ 3", med_p90("colour", "de00_noL"))
    row("colour ΔE a*b* only (median / p90)", "", med_p90("colour", "de_ab"))
    row("colour abs ΔL* (median / p90)", "", med_p90("colour_abs_dL"))
    row("colour ΔE00, real photos only (median / p90)", "≤ 3", med_p90("colour_real_photos_de00"))
    row("shading kept, colours (median / p10)", "≥ 0.85",
        lambda n: "–" if not S[n]["shading_colour"] else
        f"{S[n]['shading_colour']['median']:.3f} / {S[n]['shading_colour']['p10']:.3f}")
    row(f"  of which dark swatches (L* < {DARK_L:.0f}) / the rest (median)", "",
        lambda n: f"{fmt(_g(S[n], 'shading_colour_dark', 'median'), 3)} / {fmt(_g(S[n], 'shading_colour_light', 'median'), 3)}")
    gl = report.get("grain_real_light")
    row(f"grain of dark garments made ≥ {GRAIN_GAIN:.0f}x lighter (median / p90)",
        f"real light garments: {fmt(gl and gl['median'], 3)}", med_p90("grain_dark_to_light", digits=3))
    row("pattern × shading kept, patterns (median / p10)", "",
        lambda n: "–" if not S[n]["shading_pattern"] else
        f"{S[n]['shading_pattern']['median']:.3f} / {S[n]['shading_pattern']['p10']:.3f}")
    row("  the same against the pattern bent along the folds (median / p10)", "",
        lambda n: "–" if not S[n].get("shading_pattern_bent") else
        f"{S[n]['shading_pattern_bent']['median']:.3f} / {S[n]['shading_pattern_bent']['p10']:.3f}")
    for kind in FIDELITY:
        row(f"{kind}: period error (median / max)", "",
            lambda n, k=kind: "–" if not _g(S[n], "pattern", k, "period_err") else
            f"{fmt(S[n]['pattern'][k]['period_err']['median'], 1, True)} / {fmt(S[n]['pattern'][k]['period_err']['max'], 1, True)}")
        row(f"{kind}: angle error ° (median / max)", "",
            lambda n, k=kind: "–" if not _g(S[n], "pattern", k, "angle_err") else
            f"{S[n]['pattern'][k]['angle_err']['median']:.1f} / {S[n]['pattern'][k]['angle_err']['max']:.1f}")
    row("leak outside dilated mask (median / max)", "< 0.5%",
        lambda n: "–" if not S[n]["leak_outside_share"] else
        f"{fmt(S[n]['leak_outside_share']['median'], 3, True)} / {fmt(S[n]['leak_outside_share']['max'], 3, True)}")
    for part in ("face", "hair", "neck", "arm"):
        row(f"{part}: frames touched; px changed in all (of which > 2 levels); share of the {part} (median / max)",
            "0", lambda n, p=part: (lambda L: f"{L[p + '_rows']}/{L['rows']}; {L[p + '_px']} ({L[p + '_px_gt2']}); "
                                              f"{fmt(L[p + '_share_median'], 2, True)} / {fmt(L[p + '_share_max'], 2, True)}")(
                S[n]["leak_labels"]))
    row("garment edge: band inside the outline left bare / band outside painted (median, reference polygons)", "",
        lambda n: "–" if not S[n].get("edge_bare") else
        f"{fmt(S[n]['edge_bare']['median'], 1, True)} / {fmt(S[n]['edge_spill']['median'], 1, True)}")
    fl = report.get("flicker") or {}

    def flick(n):
        v = [r[n]["ratio"] for r in fl.values() if isinstance(r.get(n), dict) and r[n].get("ratio") is not None]
        return "–" if not v else f"{np.median(v):.2f}"

    row("flicker: output / input ΔE on still pairs (median over clips)", "≈ 1", flick)
    rl = report.get("realism") or {}
    row("realism: classifier accuracy (held out)", "→ 50%",
        lambda n: "–" if not rl.get(n) else f"{fmt(rl[n]['accuracy'], 1, True)} ± {fmt(rl[n]['sd'], 1, True)}")
    pr = rl.get("paired")
    if pr:
        row(f"realism: {pr['first']} minus {pr['second']}, the same folds repeat by repeat (mean ± sd; repeats "
            f"{pr['first']} lower)", f"{pr['first']} < 0",
            lambda n: (f"{100 * pr['mean']:+.1f} ± {100 * pr['sd']:.1f} points; {pr['below']} of {pr['n']}"
                       if n == pr["first"] else ""))
    sp = report.get("speed") or {}
    row("speed per call: generate + blend ms (median / p95)", "",
        lambda n: "–" if not sp.get(n) else f"{sp[n]['call_ms']['median']:.1f} / {sp[n]['call_ms']['p95']:.1f}")
    row("speed per frame: engine total ms (median / p95)", "",
        lambda n: "–" if not sp.get(n) else f"{sp[n]['frame_ms']['median']:.1f} / {sp[n]['frame_ms']['p95']:.1f}")

    if fl:
        lines += ["", "Flicker per clip: median ΔE00 of the garment's mean colour between consecutive still frames "
                  "(output; the input's own in brackets; ratio).", "",
                  "| clip | frames (still) | swatch | " + " | ".join(names) + " |", "|---|---|---|" + "---|" * len(names)]
        for clip, r in fl.items():
            cells = []
            for n in names:
                v = r.get(n) or {}
                cells.append("no garment" if not v.get("garment_frames") else "no still pairs" if not v.get("pairs") else
                             f"{v['output_median']:.3f} ({v['input_median']:.3f}; {fmt(v.get('ratio'))}) "
                             f"[{v['pairs']} pairs]")
            lines.append(f"| {clip} | {r['frames']} ({r['still_frames']}) | {r['swatch']} | " + " | ".join(cells) + " |")
    fams = sorted({f for n in names for f in S[n]["colour_by_family"]})
    if fams:
        lines += ["", "Colour ΔE00 (lightness included) by family, median / max:", "",
                  "| family | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
        for f in fams:
            lines.append(f"| {f} | " + " | ".join(
                "–" if not S[n]["colour_by_family"].get(f) else
                f"{S[n]['colour_by_family'][f]['median']:.2f} / {S[n]['colour_by_family'][f]['max']:.2f}" for n in names) + " |")
        worst = {}
        for n in names:
            sw = S[n]["colour_by_swatch"]
            worst[n] = sorted(sw.items(), key=lambda kv: -kv[1]["median"])[:4]
        lines += ["", "Worst colours (median ΔE00 over bodies): " + "; ".join(
            f"{n}: " + ", ".join(f"{k} {v['median']:.1f}" for k, v in worst[n]) for n in names)]
    lines += ["", "Leakage: the blend only changes pixels where the painted mask (the shared garment segmenter's, "
              "alpha = its middle third stretched) is above 0, so face/hair/neck/arm pixels changed are where the "
              "garment mask reaches them: the same for every renderer (see `tryon-eval garment-mask`). Frames = dev "
              "photos with reference polygons x swatches."]
    if rl:
        lines += ["", f"Realism: {rl.get('n_real')} real garment patches from {rl.get('groups')} sources (photos, "
                  "clips) against as many made-up ones per renderer (same frames and sites, recoloured with another "
                  "real garment's colour); 5-fold CV grouped by source, 10 repeats."]
    if sp:
        lines += ["", f"Speed: {sp.get('clip')} fitted into {sp.get('frame')}, renderers alternated frame by frame "
                  "(" + ", ".join(f"{n} on {sp[n]['provider']}" for n in names if sp.get(n)) + "); the machine is "
                  "shared, so compare the renderers within this run only."]
    return "\n".join(lines) + "\n"


def run_outfit(args) -> dict:
    from tryon_desktop.train.io import atomic_write_text

    t0 = time.perf_counter()
    data = Path(args.data)
    if not data.is_dir():
        raise InputError(f"data folder not found: {data} (dev photos and clips are read from it)")
    quick = bool(getattr(args, "quick", False))
    EDGE_MATTE[0] = not getattr(args, "no_edge_matte", False)
    from tryon_desktop.engine import GarmentPerception

    GarmentPerception.skin_cut = not getattr(args, "no_skin_cut", False)
    GarmentPerception.body_fill = not getattr(args, "no_body_fill", False)
    import tryon_desktop.render.outfit as render_outfit

    render_outfit.GRAIN_REMOVAL = not getattr(args, "no_grain_removal", False)
    render_outfit.CHROMA_TEXTURE = not getattr(args, "no_chroma_texture", False)
    render_outfit.INTERREFLECTION = not getattr(args, "no_interreflection", False)
    import tryon_desktop.render.hair_matte as hair_matte

    hair_matte.ENABLED = not getattr(args, "no_hair_matte", False)
    import tryon_desktop.render.rim_fill as rim_fill

    rim_fill.ENABLED = not getattr(args, "no_rim_fill", False)
    n_colours = args.colours if args.colours else (6 if quick else len(COLOURS))
    max_frames = args.max_frames if args.max_frames else (16 if quick else 60)
    bodies = load_bodies(data, 4 if quick else None)
    colours = pick_colours(n_colours)
    patterns = PATTERNS[::2] if quick else PATTERNS
    names, info = renderers(args.model)
    if info["gan_note"]:
        print(info["gan_note"], file=sys.stderr)
    rng = np.random.default_rng(0)
    print(f"garment masks of {len(bodies)} dev photos ...", file=sys.stderr)
    first_pass(bodies, rng)
    light = [grain(b.image, garment_core(b.alpha, CORE_ERODE * b.shoulder)) for b in bodies
             if b.alpha is not None and b.colour is not None and rgb8_to_lab(b.colour)[0] > 60]
    real = [(f"photo:{b.name}", patch_features(cut(b.image, s, b.side))) for b in bodies for s in b.sites]
    made: dict = {}
    swatches = _swatches(colours, patterns, data)
    print(f"photos: {len(names)} renderers x {len(swatches)} swatches ...", file=sys.stderr)
    summary, rows = eval_bodies(names, bodies, swatches, made)
    clips = dev_clips(data)
    if quick:
        clips = [c for c in clips if "vivid_upper" in c.name or "talkinghead1" in c.name][:2]
    pool = [b.colour for b in bodies if b.colour is not None]
    print(f"clips: {len(clips)} ...", file=sys.stderr)
    flicker = eval_clips(names, clips, max_frames, pool, real, made)
    print("realism ...", file=sys.stderr)
    realism = eval_realism(list(names), real, made)
    print("speed ...", file=sys.stderr)
    speed = eval_speed(names, clips, 10 if quick else 40)
    report = {
        "edge_matte": EDGE_MATTE[0], "skin_cut": GarmentPerception.skin_cut, "body_fill": GarmentPerception.body_fill, "hair_matte": hair_matte.ENABLED,
        "rim_fill": rim_fill.ENABLED,
        "chroma_texture": render_outfit.CHROMA_TEXTURE, "interreflection": render_outfit.INTERREFLECTION,
        "grain_real_light": _stats([g for g in light if g is not None]), "grain_removal": render_outfit.GRAIN_REMOVAL,
        "renderers": list(names), "gan_installed": info["gan_installed"], "gan_note": info["gan_note"],
        "gan": info["gan_describe"], "data": str(data), "quick": quick,
        "n_bodies": len(bodies), "n_bodies_with_garment": sum(b.alpha is not None for b in bodies),
        "bodies": [{"name": b.name, "source": b.source, "real": b.real, "garment": b.alpha is not None,
                    "reference_labels": b.labels is not None, "shoulder_px": round(b.shoulder, 1),
                    "garment_colour": b.colour} for b in bodies],
        "n_colours": len(colours), "colours": [{"name": n, "hex": "#{:02X}{:02X}{:02X}".format(*c), "family": f}
                                               for n, c, f in colours],
        "patterns": [{"name": n, "pattern": p, "scale": s, "rotation": r} for n, p, s, r in patterns],
        "n_clips": len(clips), "max_frames": max_frames,
        "summary": summary, "flicker": flicker, "realism": realism, "speed": speed,
        "definitions": __doc__,
        "rows": rows,
    }
    report["seconds"] = time.perf_counter() - t0
    report["command"] = "tryon-eval outfit " + " ".join(sys.argv[2:]) if len(sys.argv) > 1 else None
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_text(out / "eval_outfit.json", json.dumps(report, indent=1, default=_jsonable))
        atomic_write_text(out / "eval_outfit.md", markdown(report))
    except OSError as exc:
        from tryon_desktop.errors import OutputError

        raise OutputError(f"cannot write the report into {out}: {exc.strerror or exc}") from None
    return report


def _jsonable(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


def add_parser(sub) -> None:
    g = sub.add_parser("outfit", help="score the outfit renderers (GAN and reference) side by side")
    g.add_argument("--data", default=str(SHARED), help="data root (bodies/dev photos, video/dev clips)")
    g.add_argument("--out", default="eval_out", help="folder for eval_outfit.json and eval_outfit.md")
    g.add_argument("--model", default="auto", help="outfit generator manifest: auto (the shipped one, if "
                   "installed), a path, or none (reference only)")
    g.add_argument("--colours", type=int, default=0, help=f"colour swatches (default {len(COLOURS)}, >= 24 for the report)")
    g.add_argument("--max-frames", type=int, default=0, help="frames per clip (default 60)")
    g.add_argument("--quick", action="store_true", help="a fast run: 4 photos, 6 colours, 2 patterns, 2 clips of 16 frames")
    g.add_argument("--no-grain-removal", action="store_true", help="leave a dark garment's noise in its shading "
                   "when it is made much lighter (render.outfit.GRAIN_REMOVAL off), to measure what that step does")
    g.add_argument("--no-body-fill", action="store_true", help="the garment mask without the person's "
                   "silhouette below the face (engine.GarmentPerception.body_fill off), to compare")
    g.add_argument("--no-skin-cut", action="store_true", help="leave bare skin the garment network marked "
                   "in the mask (engine.GarmentPerception.skin_cut off), to measure what the skin cut does")
    g.add_argument("--no-hair-matte", action="store_true", help="leave hair lying on the garment to the garment "
                   "mask's own hair cut (render.hair_matte off), to measure what the full-resolution hair matte does")
    g.add_argument("--no-rim-fill", action="store_true", help="leave the old garment's rim along the blend's "
                   "edge (render.rim_fill off), to measure what the rim fill does")
    g.add_argument("--no-chroma-texture", action="store_true", help="leave the made-up garment's chroma flat "
                   "(render.outfit.CHROMA_TEXTURE off: the garment's own fine chroma texture not put back), to "
                   "measure what that step does")
    g.add_argument("--no-interreflection", action="store_true", help="shade a colour's folds with the colour "
                   "alone (render.outfit.INTERREFLECTION off: no light bounced off the cloth in its own shadows), "
                   "to measure what that step does")
    g.add_argument("--no-edge-matte", action="store_true", help="blend on the garment mask's own edge (without "
                   "moving it onto the frame's colour edge), to measure what the edge matte does")
