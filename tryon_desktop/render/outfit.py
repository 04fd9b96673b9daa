"""Reference outfit renderer: recolour (or re-pattern) the worn garment in linear light, keeping its shading.

The garment's own luminance, divided by its median, is its shading: folds, shadows, highlights and weave.
The new colour (or the pattern's albedo) times that shading is the made-up garment, so a black jacket asked
to go white turns white with its folds kept, and a white shirt asked to go navy keeps its creases. Where the
target is much lighter than the garment, the shading's log contrast is damped a little: a dark fabric's
sensor noise would otherwise be amplified into grain. This is the baseline the outfit GAN must beat and the
fallback when no outfit model is installed. numpy + OpenCV only.
"""

from __future__ import annotations

import numpy as np

from tryon_desktop.core.colour import LUMA

_DEC = (np.where(np.arange(256) / 255.0 <= 0.04045, np.arange(256) / 255.0 / 12.92,
                 ((np.arange(256) / 255.0 + 0.055) / 1.055) ** 2.4)).astype(np.float32)
_ENC_N = 16384
_ENC = np.clip(np.round(255.0 * np.where(np.linspace(0, 1, _ENC_N) <= 0.0031308, np.linspace(0, 1, _ENC_N) * 12.92,
                                          1.055 * np.linspace(0, 1, _ENC_N) ** (1 / 2.4) - 0.055)), 0, 255).astype(np.uint8)
LUMA_BGR = np.asarray(LUMA[::-1], np.float32)


def decode(bgr8: np.ndarray) -> np.ndarray:
    """sRGB uint8 BGR -> linear float32 BGR, by table."""
    return _DEC[bgr8]


def encode(lin_bgr: np.ndarray) -> np.ndarray:
    """Linear float BGR -> sRGB uint8 BGR, by table (16384 linear steps: under 1 level of error above black)."""
    idx = np.clip(lin_bgr * (_ENC_N - 1) + 0.5, 0, _ENC_N - 1).astype(np.int32)
    return _ENC[idx]


def rgb8_to_linear_bgr(rgb: tuple[int, int, int]) -> np.ndarray:
    return _DEC[np.asarray(rgb[::-1], np.int64)].astype(np.float32)


_DEC_LUT = _DEC.reshape(256, 1)


def luminance(region_bgr: np.ndarray) -> np.ndarray:
    """Relative luminance (linear) of sRGB BGR uint8 pixels, float32 (h, w), by OpenCV table + transform."""
    import cv2

    return cv2.transform(cv2.LUT(region_bgr, _DEC_LUT), LUMA_BGR.reshape(1, 3))


def luma8(region_bgr: np.ndarray) -> np.ndarray:
    """The pixels' 8-bit luma (OpenCV's grey of the sRGB values), uint8 (h, w). Decoded through the sRGB
    curve it approximates relative luminance; it has the 256 steps the camera's own channels have, so a
    table over it loses nothing the input had, and everything after it is a table lookup."""
    import cv2

    return cv2.cvtColor(region_bgr, cv2.COLOR_BGR2GRAY)


_LOG_DEC = np.log(_DEC + 2e-3).astype(np.float32)  # log luminance of each luma level (dark floor: sensor noise)


def _ramp(e0: float, e1: float, x: float) -> float:
    t = min(max((x - e0) / (e1 - e0), 0.0), 1.0)
    return t * t * (3.0 - 2.0 * t)


def _two_tone_split(r: np.ndarray, bins: int = 64) -> tuple[float, float, float, float, float]:
    """(threshold, low tone, high tone, smaller tone's share, between-class share of the variance) of the
    values r, split in two by Otsu's rule; everything from one histogram (the tones are its two halves'
    medians)."""
    lo_v, hi_v = float(r.min()), float(r.max())
    if hi_v - lo_v < 1e-6:
        return lo_v, lo_v, lo_v, 0.0, 0.0
    width = (hi_v - lo_v) / bins
    q = np.minimum(((r - lo_v) / width).astype(np.int32), bins - 1)
    w = np.bincount(q, minlength=bins).astype(np.float64)
    w /= w.sum()
    centres = lo_v + (np.arange(bins) + 0.5) * width
    w0 = np.cumsum(w)[:-1]
    m0 = np.cumsum(w * centres)[:-1]
    mean = float((w * centres).sum())
    w1 = 1.0 - w0
    between = (mean * w0 - m0) ** 2 / np.maximum(w0 * w1, 1e-9)
    k = int(np.argmax(between))
    share = float(min(w0[k], w1[k]))
    if share <= 0.0:
        return lo_v, lo_v, lo_v, 0.0, 0.0
    var = float((w * (centres - mean) ** 2).sum())

    def median(a: int, b: int) -> float:
        c = np.cumsum(w[a:b])
        return float(centres[a + int(np.searchsorted(c, 0.5 * c[-1]))])

    return (lo_v + (k + 1) * width, median(0, k + 1), median(k + 1, bins), share,
            float(between[k]) / max(var, 1e-12))


PRINT_SEP = (0.35, 0.6)  # log-luminance gap of the print's two tones (x1.4 .. x1.8): from none to full
PRINT_SHARE = (0.08, 0.15)  # the smaller tone's share of the garment
PRINT_SPLIT = (0.55, 0.75)  # how much of the fine luminance variation the two tones explain
PRINT_MIXED = (0.8, 0.9)  # share of the garment whose neighbourhood holds both tones: layers .. a print
PRINT_SCALES = (0.04, 0.1)  # the blur that keeps the folds and the light, x the garment box's size
PRINT_SIDE = 192  # the tones are measured on the garment box shrunk to this many pixels (long side)


def _mixed_share(tone: np.ndarray, core: np.ndarray, window: int) -> float:
    """Share of the garment's pixels whose neighbourhood (window x window) holds both tones, each on at
    least 40% of its share of the whole garment. A print mixes its tones everywhere: stripes, dots, a
    flower on a ground; a jacket over a shirt, or a lit and a shadowed half, mixes them only along the line
    between the two."""
    import cv2

    c = core.astype(np.float32)
    g = float(tone[core].mean())
    k = (int(window) | 1, int(window) | 1)
    num = cv2.boxFilter(tone.astype(np.float32) * c, -1, k, normalize=False)
    local = num / np.maximum(cv2.boxFilter(c, -1, k, normalize=False), 1.0)
    return float(((local >= 0.4 * g) & (local <= 1.0 - 0.4 * (1.0 - g)))[core].mean())


def print_free_luma(region_bgr: np.ndarray, alpha: np.ndarray, y8: np.ndarray | None = None) -> np.ndarray:
    """The garment's luma (`luma8`, or `y8` when given) with an all-over two-tone print taken out:
    stripes, checks, dots, a print on a ground. Recoloured plain, a striped shirt is then plain too, with
    its folds and shadows kept.

    Found on the garment shrunk to PRINT_SIDE: the log luminance minus its blur (over 4%, or for broad
    bands 10%, of the box: the light and the folds stay in the blur) is split in two tones. It is a print
    when the split is clear: the tones far apart, each on a good share of the garment, explaining most of
    the variation, and mixed all over it (a jacket over a shirt, or a lit and a shadowed half, are two
    tones in two large regions: left alone). At full resolution each tone is then scaled by one gain
    towards the level between them (its ratio measured between neighbouring pixels of both tones), and a
    pixel on a tone's edge by the mix its level says. The correction ramps with the evidence, so a garment
    near the limits does not flicker between printed and plain. A plain garment costs about a
    millisecond at 720p; returns `y8` itself (the same object) when there is no print."""
    import cv2

    if y8 is None:
        y8 = luma8(region_bgr)
    h, w = y8.shape
    # The tones are found on the garment shrunk to PRINT_SIDE pixels (a fine print is texture, not a print,
    # below that): a few hundred microseconds, which is all a plain garment costs.
    k = min(1.0, PRINT_SIDE / max(h, w))
    sw, sh = max(1, int(round(w * k))), max(1, int(round(h * k)))
    y_s = cv2.resize(y8, (sw, sh), interpolation=cv2.INTER_AREA) if k < 1.0 else y8
    core = cv2.resize(alpha, (sw, sh), interpolation=cv2.INTER_LINEAR) > 0.5 if k < 1.0 else alpha > 0.5
    if core.sum() < 200:
        return y8
    ly = cv2.LUT(y_s, _LOG_DEC.reshape(256, 1))
    m = core.astype(np.float32)
    ys, xs = np.nonzero(core)
    extent = max(int(np.ptp(ys)), int(np.ptp(xs))) + 1
    best = None
    # The coarser scale first: what it does not see as two tones far apart on a good share of the garment,
    # the finer one does not either (its residual holds less), so a plain garment stops there.
    for frac in sorted(PRINT_SCALES, reverse=True):
        kk = 2 * int(round(2.45 * max(1.0, frac * max(sh, sw)))) + 1  # a stack blur about that wide: 6x faster
        den = np.maximum(cv2.stackBlur(m, (kk, kk)), 1e-3)
        base = cv2.stackBlur(ly * m, (kk, kk)) / den
        r = ly - base
        thr, low, high, share, split = _two_tone_split(r[core])
        two_tones = _ramp(*PRINT_SEP, high - low) * _ramp(*PRINT_SHARE, share)
        if two_tones <= 0.0 and best is None:
            return y8
        amount = two_tones * _ramp(*PRINT_SPLIT, split)
        if amount > 0.0:
            # light from one side (a lit and a shadowed half) or a jacket over a shirt (two garments: their
            # own tones stay) is two tones too, but not mixed all over the garment as a print's are
            amount *= _ramp(*PRINT_MIXED, _mixed_share(r > thr, core, 0.12 * extent))
        # the finer scale unless the coarser sees the print clearly better (a blur narrower than a broad
        # stripe follows it and hides it)
        if amount > 0.0 and (best is None or amount >= best[0] - 0.1):
            best = (amount, base, low, high, kk, den)
    if best is None:
        return y8
    amount, base, low, high, kk, den = best
    # A blur over a print still carries some of it (a broad stripe lifts the blur over it): blur again
    # with the print taken out.
    lo_l, hi_l = float(np.exp(low)), float(np.exp(high))
    flat = (ly - np.log(np.clip(np.exp(ly - base), lo_l, hi_l) / np.sqrt(lo_l * hi_l))).astype(np.float32)
    base = cv2.stackBlur(flat * m, (kk, kk)) / den
    if k < 1.0:
        base = cv2.resize(base, (w, h), interpolation=cv2.INTER_LINEAR)
    # At full resolution the local base only says which tone each pixel is. Each tone is then scaled by
    # one gain, so that the two tones meet at the level between them while every pixel keeps its own
    # shading (a fold, a shadow). The gains come from the tones' ratio measured between neighbours (both
    # in the same light), not against the base, which a broad stripe still lifts a little.
    Y = cv2.LUT(y8, _DEC.reshape(256, 1))
    rel = cv2.divide(Y, cv2.exp(base))
    tone = cv2.compare(rel, float(np.exp(0.5 * (low + high))), cv2.CMP_GT) // 255
    # tone edges (anti-aliased: a linear mix of both) 2 px either side; left out of the tones' levels
    edge = cv2.morphologyEx(tone, cv2.MORPH_GRADIENT, np.ones((5, 5), np.uint8)) > 0
    step = max(1, int(np.sqrt(h * w / 25000.0)))  # ~25k samples: enough away from the edges of a fine print
    Ys, ts = Y[::step, ::step], tone[::step, ::step]
    cs = (alpha[::step, ::step] > 0.5) & ~edge[::step, ::step]
    win = (2 * max(1, int(round(kk / max(k * step, 1e-6) / 2))) + 1,) * 2  # the base's blur, on this grid
    near = []
    for sel in ((ts == 0) & cs, (ts > 0) & cs):
        n = cv2.boxFilter(sel.astype(np.float32), -1, win, normalize=False)
        near.append((cv2.boxFilter(Ys * sel, -1, win, normalize=False) / np.maximum(n, 1.0), n))
    both = cs & (near[0][1] >= 3) & (near[1][1] >= 3)
    if both.sum() < 20:
        return y8
    ratio = float(np.median(near[1][0][both] / np.maximum(near[0][0][both], 1e-5)))
    if ratio <= 1.0:
        return y8
    g_low, g_high = np.float32(np.sqrt(ratio)), np.float32(1.0 / np.sqrt(ratio))
    # On a tone's edge the pixel's share of each tone, from where it lies between the tones' levels, sets
    # its gain: no line is left along a stripe's edge.
    rs = rel[::step, ::step]
    lo_l, hi_l = float(np.median(rs[cs & (ts == 0)])), float(np.median(rs[cs & (ts > 0)]))  # away from edges
    if hi_l <= lo_l:
        return y8
    # Both gains as one table over (edge flag, the pixel's level in 128 steps of log between the tones,
    # with a margin): a few whole-image OpenCV passes instead of per-pixel numpy work.
    lo_g, hi_g = np.log(lo_l) - 0.25 * (np.log(hi_l) - np.log(lo_l)), np.log(hi_l) + 0.25 * (np.log(hi_l) - np.log(lo_l))
    a = 127.0 / max(hi_g - lo_g, 1e-6)
    q = cv2.min(cv2.convertScaleAbs(cv2.log(cv2.max(rel, 1e-6)), alpha=a, beta=-a * lo_g), 127)
    q = cv2.add(q, edge.astype(np.uint8) * np.uint8(128))
    levels = np.exp(lo_g + (np.arange(128) + 0.5) / a)
    f = np.clip((levels - lo_l) / max(hi_l - lo_l, 1e-6), 0.0, 1.0)
    mid = float(np.exp(0.5 * (low + high)))
    table = np.concatenate([np.where(levels > mid, g_high, g_low), 1.0 / ((1.0 - f) / g_low + f / g_high)])
    if amount < 0.999:
        table = np.power(table, amount)
    # The output luma is a function of (gain entry, input luma): one 256 x 256 table, one lookup a pixel.
    out = _ENC[np.clip(_DEC[None, :] * table[:, None] * (_ENC_N - 1) + 0.5, 0, _ENC_N - 1).astype(np.int32)]
    idx = q.astype(np.intp) << 8
    idx |= y8
    return out.ravel()[idx]


def median_luma_luminance(y8: np.ndarray, alpha: np.ndarray) -> float:
    """Median (decoded) luminance of the garment's core (alpha > 0.5), from a masked histogram of its luma."""
    import cv2

    core = (alpha[::2, ::2] > 0.5).astype(np.uint8)
    if int(core.sum()) < 16:
        core = (alpha[::2, ::2] > 0.05).astype(np.uint8)
    if int(core.sum()) == 0:
        return 0.18
    hist = cv2.calcHist([np.ascontiguousarray(y8[::2, ::2])], [0], core, [256], [0, 256]).ravel()
    c = np.cumsum(hist)
    half = 0.5 * c[-1]
    lv = int(np.searchsorted(c, half))
    # interpolate inside the bin, so the median moves smoothly with the light (no 1-level jumps)
    below = c[lv - 1] if lv > 0 else 0.0
    frac = (half - below) / max(hist[lv], 1.0)
    lo, hi = _DEC[lv], _DEC[min(lv + 1, 255)]
    return float(lo + (hi - lo) * frac)


def _shading(y, ymed: float, k: float):
    """The garment's shading: its luminance over its median, log contrast scaled by k, clipped."""
    logr = np.log((y + 2e-4) / (ymed + 2e-4))
    return np.exp(np.clip(logr, -4.0, 1.0) * k)  # up to 2.7x the median: fabric highlights, not a lamp


def _shoulder(out):
    """A soft shoulder instead of a hard clip, so highlights on a light target roll off like fabric."""
    return np.where(out > 0.8, 0.8 + 0.2 * np.tanh((out - 0.8) / 0.2), out)


def contrast_damping(albedo: np.ndarray, ymed: float) -> float:
    """k in [0.6, 1]: damp the shading's log contrast when brightening a dark fabric a lot (its sensor
    noise would otherwise be amplified into grain)."""
    albedo = np.asarray(albedo, np.float32)
    target_y = float(np.mean(albedo @ LUMA_BGR)) if albedo.ndim == 3 else float(albedo @ LUMA_BGR)
    gain = max(target_y, 1e-4) / max(ymed, 1e-3)
    return float(np.clip(1.0 - 0.12 * np.log2(max(gain, 1.0)), 0.6, 1.0))


def shading_table(ymed: float, k: float) -> np.ndarray:
    """float32 (256,): the shading of each luma level."""
    return _shading(_DEC, max(ymed, 1e-3), k).astype(np.float32)


def colour_table(albedo: np.ndarray, ymed: float, k: float) -> np.ndarray:
    """uint8 (256, 1, 3): the made-up sRGB BGR colour of each luma level, for a flat albedo."""
    return encode(_shoulder(np.asarray(albedo, np.float32)[None, :] * shading_table(ymed, k)[:, None])).reshape(256, 1, 3)


def render_garment(region_bgr: np.ndarray, alpha: np.ndarray, albedo: np.ndarray, strength: float = 1.0,
                   ymed: float | None = None, y8: np.ndarray | None = None) -> np.ndarray:
    """The made-up garment region (uint8 BGR), before blending with `alpha`.

    region_bgr: (h, w, 3) uint8; alpha: (h, w) float in [0, 1], the garment mask; albedo: linear BGR float32,
    either a colour (3,) or a per-pixel map (h, w, 3) (a pattern); strength in [0, 1]; ymed: the garment's
    median luminance when the caller measured it already (on a larger region), else measured here; y8: the
    garment's luma when the caller has it (`print_free_luma`), else measured here: a print is not kept.

    A flat colour makes the result a function of each pixel's luma alone: one 256-entry table per frame,
    applied by cv2.LUT (a 720p garment box in under a millisecond). A pattern multiplies its albedo map by
    the shading, per pixel.
    """
    import cv2

    if y8 is None:
        y8 = print_free_luma(region_bgr, alpha)
    if ymed is None:
        ymed = median_luma_luminance(y8, alpha)
    ymed = max(float(ymed), 1e-3)
    albedo = np.asarray(albedo, np.float32)
    k = contrast_damping(albedo, ymed)
    if albedo.ndim == 1:
        out = cv2.LUT(cv2.merge([y8, y8, y8]), colour_table(albedo, ymed, k))
        if strength < 1.0:
            out = cv2.addWeighted(out, float(strength), region_bgr, 1.0 - float(strength), 0.0)
        return out
    shade = cv2.LUT(y8, shading_table(ymed, k))
    out = _shoulder(albedo * shade[..., None])
    if strength < 1.0:
        lin = decode(region_bgr)
        out = lin + (out - lin) * float(strength)
    return encode(out)
