"""Reference outfit renderer: recolour (or re-pattern) the worn garment in linear light, keeping its shading.

The garment's own luminance, divided by its median, is its shading: folds, shadows, highlights and weave.
The new colour (or the pattern's albedo) times that shading is the made-up garment, so a black jacket asked
to go white turns white with its folds kept, and a white shirt asked to go navy keeps its creases. Where the
target is much lighter than the garment, the shading's log contrast is damped a little: a dark fabric's
sensor noise would otherwise be amplified into grain. This is the baseline the outfit GAN must beat and the
fallback when no outfit model is installed. numpy + OpenCV only.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass

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
# The search's `amount` (the product of the ramps above) over which the print is taken out from not at all to
# in full: the prints the search was sure of on the body photos scored 0.69-1.0 and were left at a quarter
# to a third of their contrast when `amount` itself was the power; what it found on the clips at 0.17-0.44
# was a turtleneck under a coat, hair ends over a top and a dancer's garment, not prints
PRINT_STRENGTH = (0.3, 0.7)


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


PRINT_REMOVAL = True  # module switch (benchmarks, A/B checks): False leaves every garment's luma as it is
PRINT_CACHE = True  # module switch: False makes PrintRemover search every frame, as print_free_luma does
PRINT_REFRESH = 24  # a stream's cached print is searched for again at least every this many frames
# What may change between frames while a stream keeps its cached print (else it is searched for again at
# once), all on the pass copy: the box's sides and the garment's area (relative), the mean of its log
# luminance (the light: the gains are ratios, so a camera's exposure may move it a good deal), its standard
# deviation, and for a print the standard deviation of the log luminance over its blur (relative: a
# different garment, another print or none).
PRINT_DRIFT = {"side": 0.1, "area": 0.15, "mean": 0.3, "std": 0.15, "rstd": 0.15}
PRINT_SMOOTH = 0.5  # a search that finds the kept print again: the new one's weight (the rest: the kept one's)

_FIX = 1024.0  # the per-pixel pass works on log luminance in int16 fixed point, 1/1024 steps
_LOGY_FIX = np.round(_FIX * np.log(np.maximum(_DEC, 1e-6))).astype(np.int16).reshape(256, 1)
_SQUARE5 = np.ones((5, 5), np.uint8)
# The band either side of a tone's edge where `_apply` takes a pixel as a mix of the two tones and unmixes
# it: the lens's and the camera's blur and a JPEG's ringing reach about 3 px (2 px left thin lines along a
# broad stripe's edges); 2 px (`_SQUARE5`) where 3 px would leave under `_AWAY_MIN` of the garment away
# from the edges (a fine print: `_band`)
_EDGE_BAND = np.ones((7, 7), np.uint8)
_AWAY_MIN = 0.2
# `_apply`'s table: each pixel's log luminance over its light tone's local level in 256 steps over
# [_LV_MIN, _LV_MAX], the local ratio of the tones in 256 steps of log over [0, _LR_MAX], and its class (the
# light tone, the dark one, a tone's edge)
_LV_MIN, _LV_MAX, _LR_MAX = -5.0, 1.0, 4.6
_LOCAL_FROM = (0.4, 0.6)  # the print's strength over which `_apply` moves from the whole garment's levels to local ones
_LOG_ENC = _ENC[np.clip(np.exp((np.arange(65536) - 32768.0) / _FIX) * (_ENC_N - 1) + 0.5, 0,
                        _ENC_N - 1).astype(np.int32)]  # uint8 luma of each int16 log luminance (x _FIX), + 32768
_LITTLE_ENDIAN = sys.byteorder == "little"


@dataclass
class _Small:
    """The garment shrunk: to PRINT_SIDE where the print is looked for (`_small_copy`), by pyramid levels
    where the per-pixel pass finds its print-free base (`_pass_copy`)."""

    k: float  # the scale (1: not shrunk)
    ly: np.ndarray  # log luminance (float32)
    core: np.ndarray  # bool: the garment (alpha > 0.5)
    m: np.ndarray  # the core as float32
    n: int  # core pixels
    shape: tuple[int, int]  # the full-resolution box (h, w)


@dataclass
class _Print:
    """A print found on a garment: all the per-pixel pass needs, and what a video stream keeps."""

    amount: float  # how sure (0..1): the correction's power
    frac: float  # the blur's width, x the box's size (one of PRINT_SCALES)
    low: float  # the two tones of the log luminance over its blur (on the small copy)
    high: float
    ratio: float  # the light tone over the dark one, measured between neighbours
    lo_l: float  # each tone's level over the print-free base, away from the tones' edges
    hi_l: float
    band: int = 7  # the edge band's width (`_apply`): 7, or 5 for a print too fine for it (`_band`)
    table: np.ndarray | None = None  # int16 (256, 3 x 256): `_unmix_table`, made on first use

    @property
    def mid(self) -> float:
        return float(np.exp(0.5 * (self.low + self.high)))

    @property
    def strength(self) -> float:
        """How much of the print `_apply` takes out (0..1, a power in log): the search's `amount` ramped over
        PRINT_STRENGTH."""
        lo, hi = PRINT_STRENGTH
        return min(max((self.amount - lo) / (hi - lo), 0.0), 1.0)


def _small_copy(y8: np.ndarray, alpha: np.ndarray) -> _Small | None:
    """The tones are found on the garment shrunk to PRINT_SIDE pixels (a fine print is texture, not a print,
    below that): a few hundred microseconds. None when it holds too little garment."""
    import cv2

    h, w = y8.shape
    k = min(1.0, PRINT_SIDE / max(h, w))
    sw, sh = max(1, int(round(w * k))), max(1, int(round(h * k)))
    y_s = cv2.resize(y8, (sw, sh), interpolation=cv2.INTER_AREA) if k < 1.0 else y8
    core = cv2.resize(alpha, (sw, sh), interpolation=cv2.INTER_LINEAR) > 0.5 if k < 1.0 else alpha > 0.5
    n = int(np.count_nonzero(core))
    if n < 200:
        return None
    return _Small(k, cv2.LUT(y_s, _LOG_DEC.reshape(256, 1)), core, core.astype(np.float32), n, (h, w))


def _pass_copy(y8: np.ndarray, alpha: np.ndarray) -> _Small | None:
    """The garment halved (pyramid levels, a few tens of microseconds each) until its long side is at most
    PRINT_SIDE: where the per-pixel pass finds the print-free base, every frame of a stream."""
    import cv2

    h, w = y8.shape
    y = y8
    while max(y.shape) > PRINT_SIDE:
        y = cv2.pyrDown(y)
    sh, sw = y.shape
    core = cv2.resize(alpha, (sw, sh), interpolation=cv2.INTER_LINEAR) > 0.5 if (sh, sw) != (h, w) else alpha > 0.5
    n = int(np.count_nonzero(core))
    if n < 50:
        return None
    return _Small(sw / w, cv2.LUT(y, _LOG_DEC.reshape(256, 1)), core, core.astype(np.float32), n, (h, w))


def _blur_width(frac: float, sm: _Small | tuple[int, ...]) -> int:
    """The base's blur (`frac` of the long side) on the small copy `sm`, or on an array of shape `sm`."""
    side = max(sm if isinstance(sm, tuple) else sm.ly.shape)
    return 2 * int(round(2.45 * max(1.0, frac * side))) + 1  # a stack blur about that wide: 6x faster


def _base(sm: _Small, kk: int) -> tuple[np.ndarray, np.ndarray]:
    """(the masked blur of the log luminance, the mask's blur) on the small copy."""
    import cv2

    den = np.maximum(cv2.stackBlur(sm.m, (kk, kk)), 1e-3)
    return cv2.stackBlur(sm.ly * sm.m, (kk, kk)) / den, den


def _search(sm: _Small):
    """(amount, low, high, blur fraction) of the print the small copy shows, or None (low, high: the tones
    of the log luminance over its blur at the chosen scale)."""
    ys, xs = np.nonzero(sm.core)
    extent = max(int(np.ptp(ys)), int(np.ptp(xs))) + 1
    best = None
    # The coarser scale first: what it does not see as two tones far apart on a good share of the garment,
    # the finer one does not either (its residual holds less), so a plain garment stops there.
    for frac in sorted(PRINT_SCALES, reverse=True):
        kk = _blur_width(frac, sm)
        base, den = _base(sm, kk)
        r = sm.ly - base
        thr, low, high, share, split = _two_tone_split(r[sm.core])
        two_tones = _ramp(*PRINT_SEP, high - low) * _ramp(*PRINT_SHARE, share)
        if two_tones <= 0.0 and best is None:
            return None
        amount = two_tones * _ramp(*PRINT_SPLIT, split)
        if amount > 0.0:
            # light from one side (a lit and a shadowed half) or a jacket over a shirt (two garments: their
            # own tones stay) is two tones too, but not mixed all over the garment as a print's are
            amount *= _ramp(*PRINT_MIXED, _mixed_share(r > thr, sm.core, 0.12 * extent))
        # the finer scale unless the coarser sees the print clearly better (a blur narrower than a broad
        # stripe follows it and hides it)
        if amount > 0.0 and (best is None or amount >= best[0] - 0.1):
            best = (amount, low, high, frac)
    return best


def _print_free_base(sm: _Small, r: np.ndarray, den: np.ndarray, low: float, high: float, kk: int) -> np.ndarray:
    """A blur over a print still carries some of it (a broad stripe lifts the blur over it): blur again
    with the print taken out (each pixel's residual `r` over the first blur, clipped to the tones' range
    and centred between them, taken off its log luminance)."""
    import cv2

    flat = cv2.subtract(sm.ly, cv2.min(cv2.max(r, float(low)), float(high)))
    flat += np.float32(0.5 * (low + high))
    return cv2.stackBlur(cv2.multiply(flat, sm.m), (kk, kk)) / den


class _Scratch:
    """The per-pixel pass's full-resolution work arrays: a stream keeps them from frame to frame (fresh
    arrays of this size cost page faults: about a third of the pass), in buffers that fit any box up to
    the largest seen (a box changes its size by a few pixels from frame to frame)."""

    _I16 = ("up", "logy", "d", "ll", "lv", "lr", "out")
    _U8 = ("tone", "edge", "cls", "iv", "ir", "zero")
    _F32 = ("y", "yl", "yd")

    def __init__(self) -> None:
        self.n = 0
        self.shape: tuple[int, int] = (0, 0)

    def fit(self, shape: tuple[int, int]) -> _Scratch:
        n = shape[0] * shape[1]
        if n > self.n:
            self.n = int(n * 1.2)
            self._bufs = {k: np.empty(self.n, np.int16) for k in self._I16}
            self._bufs.update({k: np.empty(self.n, np.uint8) for k in self._U8})
            self._bufs.update({k: np.empty(self.n, np.float32) for k in self._F32})
            self._bufs["zero"][:] = 0
            self._bufs["at"] = np.empty(4 * self.n, np.uint8)
        if shape != self.shape:
            self.shape = shape
            for k, b in self._bufs.items():
                setattr(self, k, b[: 4 * n].reshape(shape + (4,)) if k == "at" else b[:n].reshape(shape))
        return self


def _log_rel(y8: np.ndarray, base_s: np.ndarray, sm: _Small, s: _Scratch) -> np.ndarray:
    """int16 (h, w): each pixel's log luminance over the print-free base, x _FIX (the base upsampled from
    the pass copy). Fixed point keeps every full-resolution pass on 16 bits."""
    import cv2

    h, w = sm.shape
    b = np.rint(base_s * _FIX).astype(np.int16)
    if sm.k < 1.0:
        b = cv2.resize(b, (w, h), dst=s.up, interpolation=cv2.INTER_LINEAR)
    return cv2.subtract(cv2.LUT(y8, _LOGY_FIX, dst=s.logy), b, dst=s.d)


def _tones(d: np.ndarray, mid: float, s: _Scratch, band: np.ndarray = _SQUARE5) -> tuple[np.ndarray, np.ndarray]:
    """(tone, edge), uint8 0/255: the lighter tone, and the tones' edges (anti-aliased: a mix of both)
    2 px either side (3 px with `band` `_EDGE_BAND`)."""
    import cv2

    tone = cv2.compare(d, float(np.rint(_FIX * np.log(mid))), cv2.CMP_GT, dst=s.tone)
    return tone, cv2.morphologyEx(tone, cv2.MORPH_GRADIENT, band, dst=s.edge)


def _measure(y8: np.ndarray, d: np.ndarray, tone: np.ndarray, edge: np.ndarray, alpha: np.ndarray, kk: int,
             k: float) -> tuple[float, float, float] | None:
    """(ratio, lo_l, hi_l): the tones' ratio, measured between neighbouring pixels of both (in the same
    light, not against the base, which a broad stripe still lifts a little), and each tone's level over
    the base away from the edges; None when they cannot be measured."""
    h, w = y8.shape
    step = max(1, int(np.sqrt(h * w / 25000.0)))  # ~25k samples: enough away from the edges of a fine print
    got = _measure_on(y8, d, tone, edge, alpha, kk, k, step)
    if got is None and step > 1:
        # a grid in step with a fine print can miss every pixel of a narrow tone away from the edges
        got = _measure_on(y8, d, tone, edge, alpha, kk, k, 1)
    return got


def _measure_on(y8: np.ndarray, d: np.ndarray, tone: np.ndarray, edge: np.ndarray, alpha: np.ndarray, kk: int,
                k: float, step: int) -> tuple[float, float, float] | None:
    import cv2

    Ys, ts = _DEC[y8[::step, ::step]], tone[::step, ::step] > 0
    cs = (alpha[::step, ::step] > 0.5) & (edge[::step, ::step] == 0)
    win = (2 * max(1, int(round(kk / max(k * step, 1e-6) / 2))) + 1,) * 2  # the base's blur, on this grid
    near = []
    for sel in (~ts & cs, ts & cs):
        n = cv2.boxFilter(sel.astype(np.float32), -1, win, normalize=False)
        near.append((cv2.boxFilter(Ys * sel, -1, win, normalize=False) / np.maximum(n, 1.0), n))
    both = cs & (near[0][1] >= 3) & (near[1][1] >= 3)
    if both.sum() < 20:
        return None
    ratio = float(np.median(near[1][0][both] / np.maximum(near[0][0][both], 1e-5)))
    if ratio <= 1.0:
        return None
    rs = np.exp(d[::step, ::step] * np.float32(1.0 / _FIX))
    lo_l, hi_l = float(np.median(rs[cs & ~ts])), float(np.median(rs[cs & ts]))
    if not hi_l > lo_l:
        return None
    return ratio, lo_l, hi_l


def _tone_levels(y: np.ndarray, tone: np.ndarray, away: np.ndarray, frac: float, s: _Scratch) -> tuple:
    """Each tone's own light: (light, its weight, dark, its weight), float32 maps at a pyramid level of the
    box no longer than PRINT_SIDE, of the local linear luminance `y` of the pixels of that tone (`tone`:
    the light one) away from the tones' edges and inside the garment (`away`; both uint8 0/255): the sums
    of the luminance and of the pixels, halved together and blurred over the base's width at the print's
    scale (`frac` of the box: a few stripes), one over the other, and how many pixels lie nearby."""
    import cv2

    light = cv2.bitwise_and(tone, away)
    dark = cv2.bitwise_and(cv2.bitwise_not(tone), away)
    parts = [cv2.multiply(y, light, dst=s.yl, scale=1.0 / 255.0, dtype=cv2.CV_32F), light,
             cv2.multiply(y, dark, dst=s.yd, scale=1.0 / 255.0, dtype=cv2.CV_32F), dark]
    while max(parts[0].shape) > PRINT_SIDE:
        parts = [cv2.pyrDown(x) for x in parts]
    parts[1], parts[3] = (cv2.multiply(x, 1.0 / 255.0, dtype=cv2.CV_32F) for x in (parts[1], parts[3]))
    kk = _blur_width(frac, parts[0].shape)
    sl, nl, sd, nd = cv2.split(cv2.stackBlur(cv2.merge(parts), (kk, kk)))
    return sl / np.maximum(nl, 1e-4), nl, sd / np.maximum(nd, 1e-4), nd


def _unmix_table(p: _Print) -> np.ndarray:
    """int16 (256, 3 x 256): the log of each pixel's output over its light tone's local level (x _FIX), by
    (the tones' local ratio's step; the pixel's class x 256 + the step of its log luminance over that
    level): see `_apply`."""
    lv = np.linspace(_LV_MIN, _LV_MAX, 256, dtype=np.float32)[None, :]
    v = np.exp(lv)
    k = 1.0 - np.exp(-np.linspace(0.0, _LR_MAX, 256, dtype=np.float32))[:, None]  # the tones' gap over the light level
    log_scale = np.float32(-0.5 * p.strength * np.log(max(p.ratio, 1.01)))
    a = np.float32(p.strength)
    out = [np.broadcast_to(_FIX * (lv + log_scale), (256, 256))]  # the light tone: its own luminance, scaled
    for q in (np.broadcast_to(k, (256, 256)), np.minimum(np.maximum(1.0 - v, 0.0), k)):  # the dark tone, an edge
        # (the square root: half way in log; the power: the print's strength)
        out.append(_FIX * (lv + log_scale + (0.5 * a) * np.log((1.0 + q / v) / np.maximum(1.0 - q, np.float32(1e-6)))))
    return np.clip(np.rint(np.concatenate(out, axis=1)), -32000, 32000).astype(np.int16)


def _apply(y8: np.ndarray, alpha: np.ndarray, d: np.ndarray, free: np.ndarray, p: _Print, s: _Scratch) -> np.ndarray:
    """The print-free luma. A fabric's two tones differ in their albedo, but the light on them, its
    diffuse part (a factor: the folds) and its sheen (a term: the same on both tones), is the same. So
    neither one gain per tone (the sheen on a satin's dark stripes stayed as stripes) nor one term per tone
    (the folds in the dark stripes were flattened ten times) takes the print out alone: each pixel is
    brought up by both, half way between them in log, from its tone's local level to the light tone's
    (`_tone_levels`, upsampled). A pixel in the band along a tone's edge (`_tones`) is a mix of both tones
    in linear light: its share of the dark one is read from where it lies between the two levels there,
    so no line is left along an edge. The light tone's level is then brought to the level between the
    tones (the print's ratio), and the correction ramps with the print's `strength` (as a power: in log, as
    the eye sees it; a mix in linear light lifted a weak print's dark tone, a turtleneck under a coat taken
    for one, twice where the power lifts it 1.5 times). A weak print (strength under `_LOCAL_FROM`, mostly
    left as it is) takes its levels from the whole garment, without `_tone_levels` (0.8 ms a frame); at
    strength 0, `y8` itself comes back.

    All of it is one table (`_unmix_table`) over the pixel's class, its log luminance over its light tone's
    local level and the tones' local ratio, read by a nearest-neighbour remap; the rest is 16-bit passes."""
    import cv2

    if p.strength <= 0.0:
        return y8  # (nothing to take out: the caller sees its own luma, unchanged)
    h, w = y8.shape
    tone, edge = _tones(d, p.mid, s, _EDGE_BAND if p.band == 7 else _SQUARE5)
    local = min(max((p.strength - _LOCAL_FROM[0]) / (_LOCAL_FROM[1] - _LOCAL_FROM[0]), 0.0), 1.0)
    if local > 0.0:
        away = cv2.bitwise_and(cv2.bitwise_not(edge), cv2.compare(alpha, 0.5, cv2.CMP_GT))
        light_s, nl, dark_s, nd = _tone_levels(cv2.LUT(y8, _DEC_LUT, dst=s.y), tone, away, p.frac, s)
        nl, nd = nl * np.float32(local), nd * np.float32(local)  # (a weaker print leans on the whole garment's)
    else:
        light_s = dark_s = nl = nd = np.zeros(free.shape, np.float32)
    # where a tone has few pixels away from the edges nearby (a print finer than the edge band, a broad band,
    # a pocket), its level comes from elsewhere: the light one's from the print-free base times its level
    # over the base on the whole garment (`p.hi_l`: the light's folds without its local sheen), the dark one's
    # from the light one's over the tones' ratio measured between neighbours (`p.ratio`; the dark tone's own
    # median over the base, `p.lo_l`, made a fine navy stripe's level twice what it is: its few pixels away
    # from the edges are still half mixed)
    size = light_s.shape[::-1]
    base = cv2.resize(free, size, interpolation=cv2.INTER_LINEAR) if free.shape[::-1] != size else free
    t = np.clip((nl - np.float32(0.05)) * np.float32(1.0 / 0.25), 0.0, 1.0)
    light_s = np.maximum(t * light_s + (1.0 - t) * np.exp(base) * np.float32(p.hi_l), 1e-5)
    t = np.clip((nd - np.float32(0.05)) * np.float32(1.0 / 0.25), 0.0, 1.0)
    ll = np.log(light_s)
    ld = np.log(np.maximum(t * dark_s + (1.0 - t) * light_s * np.float32(1.0 / max(p.ratio, 1.01)), 1e-5))
    lr = np.clip(ll - ld, np.log(1.02), _LR_MAX)
    # upsampled in 16-bit fixed point: the light level over the base, and the tones' ratio as its table step
    ll_up, lr_up = (cv2.resize(np.rint(m).astype(np.int16), (w, h), dst=dst, interpolation=cv2.INTER_LINEAR)
                    for m, dst in (((ll - base) * _FIX, s.ll), (lr * (255.0 / _LR_MAX), s.lr)))
    lv = cv2.subtract(d, ll_up, dst=s.lv)  # the pixel's log luminance over its light tone's level
    iv = cv2.convertScaleAbs(cv2.max(lv, float(_LV_MIN * _FIX), dst=lv), dst=s.iv,
                             alpha=255.0 / ((_LV_MAX - _LV_MIN) * _FIX), beta=-_LV_MIN * 255.0 / (_LV_MAX - _LV_MIN))
    ir = cv2.convertScaleAbs(lr_up, dst=s.ir)
    # the class as the column's high byte: 0 the light tone, 1 the dark one, 2 an edge
    cls = cv2.bitwise_and(cv2.bitwise_not(tone, dst=tone), 1, dst=s.cls)
    cls = cv2.bitwise_or(cls, cv2.bitwise_and(edge, 2, dst=edge), dst=cls)
    cv2.min(cls, 2, dst=cls)
    # (column, row) as the int16 (x, y) pairs remap reads: the bytes [iv, class, ir, 0] (little-endian)
    at = cv2.merge([iv, cls, ir, s.zero], dst=s.at).view(np.int16)
    if not _LITTLE_ENDIAN:
        at = at.byteswap()
    if p.table is None:
        p.table = _unmix_table(p)
    g = cv2.remap(p.table, at, None, cv2.INTER_NEAREST)
    # out: the base (log luma minus d) + the light level over it + the table's log, then encoded by table
    out = cv2.add(cv2.add(cv2.subtract(s.logy, d, dst=s.out), ll_up, dst=s.out), g, dst=s.out)
    return _LOG_ENC.take(out.view(np.uint16) ^ np.uint16(0x8000))


def _find(y8: np.ndarray, alpha: np.ndarray, sm: _Small, sp: _Small | None = None, sc: _Scratch | None = None):
    """(print, the pass copy's residual, full-resolution log level map, the print-free base) of the print
    on the garment (searched for on the small copy `sm`, its base found on the pass copy `sp`; the pass copy
    and the work arrays made here when None: a plain garment needs neither), or None."""
    s = _search(sm)
    if s is None:
        return None
    amount, low, high, frac = s
    if sp is None and (sp := _pass_copy(y8, alpha)) is None:
        return None
    sc = (sc if sc is not None else _Scratch()).fit(y8.shape)
    r, d, free = _pass(y8, sp, frac, low, high, sc)
    mid = float(np.exp(0.5 * (low + high)))
    g = _measure(y8, d, *_tones(d, mid, sc), alpha, _blur_width(frac, sp), sp.k)
    if g is None:
        return None
    return _Print(amount, frac, low, high, *g, band=_band(d, mid, alpha, sc)), r, d, free


def _band(d: np.ndarray, mid: float, alpha: np.ndarray, s: _Scratch) -> int:
    """The edge band `_apply` uses for this print: 7 px (`_EDGE_BAND`), or 5 where that would leave under
    `_AWAY_MIN` of the garment away from the edges (a fine print). Chosen when the print is found and kept
    with it: a band that changed from frame to frame would make the print's residue flicker."""
    import cv2

    core = cv2.compare(alpha, 0.5, cv2.CMP_GT)
    away = cv2.bitwise_and(cv2.bitwise_not(_tones(d, mid, s, _EDGE_BAND)[1]), core)
    return 7 if cv2.countNonZero(away) >= _AWAY_MIN * max(cv2.countNonZero(core), 1) else 5


def _pass(y8: np.ndarray, sp: _Small, frac: float, low: float, high: float, sc: _Scratch, full: bool = True):
    """(residual, the full-resolution log level map, the print-free base: log, on the pass copy) of the
    per-pixel pass. full=False: no level map (None), for a kept print too weak to take out (`_apply` returns
    the luma as it is), whose stream only needs the residual for its signature."""
    import cv2

    kk = _blur_width(frac, sp)
    base, den = _base(sp, kk)
    r = cv2.subtract(sp.ly, base)
    free = _print_free_base(sp, r, den, low, high, kk)
    return r, (_log_rel(y8, free, sp, sc) if full else None), free


def print_free_luma(region_bgr: np.ndarray, alpha: np.ndarray, y8: np.ndarray | None = None) -> np.ndarray:
    """The garment's luma (`luma8`, or `y8` when given) with an all-over two-tone print taken out:
    stripes, checks, dots, a print on a ground. Recoloured plain, a striped shirt is then plain too, with
    its folds and shadows kept.

    Found on the garment shrunk to PRINT_SIDE: the log luminance minus its blur (over 4%, or for broad
    bands 10%, of the box: the light and the folds stay in the blur) is split in two tones. It is a print
    when the split is clear: the tones far apart, each on a good share of the garment, explaining most of
    the variation, and mixed all over it (a jacket over a shirt, or a lit and a shadowed half, are two
    tones in two large regions: left alone). The light and the folds without the print (the log luminance
    with each pixel's residual clipped to the tones' range, blurred again) come from a cheaper pyramid
    copy (`_pass_copy`). Each tone's own local level is measured on its pixels away from the tones' edges
    (`_tone_levels`), and every pixel is brought from its tone's level to the light tone's, by a factor and
    a term (`_apply`: the light's folds and its sheen), a pixel on a tone's edge by the mix its level says;
    all of it to the level between the tones (their ratio measured between neighbouring pixels of both
    tones). The correction ramps with the evidence, so a garment near the limits does not flicker between
    printed and plain. A plain garment costs about a millisecond at 720p; returns `y8`
    itself (the same object) when there is no print, or one too weak to take out (`_Print.strength`). This is
    one photo's call: a video stream keeps what the search found from frame to frame with `PrintRemover`."""
    if y8 is None:
        y8 = luma8(region_bgr)
    if not PRINT_REMOVAL:
        return y8
    sm = _small_copy(y8, alpha)
    sc = _Scratch()  # (fitted, that is allocated, only when there is a print)
    found = _find(y8, alpha, sm, None, sc) if sm is not None else None
    if found is None:
        return y8
    p, _, d, free = found
    return _apply(y8, alpha, d, free, p, sc)


@dataclass
class _Kept:
    """What a stream keeps between frames: the print found (None: none) and the garment's signatures it
    was found on (a few: a garment mask that flips between two outlines gives two)."""

    found: _Print | None
    sigs: list[dict]


def _same_print(a: _Print | None, b: _Print | None) -> bool:
    """Whether two searches found the same print (or both none): same blur, tones and ratio within a bit."""
    if a is None or b is None:
        return a is None and b is None
    return (a.frac == b.frac and abs(np.log(a.ratio / b.ratio)) <= 0.15 and abs(a.low - b.low) <= 0.15
            and abs(a.high - b.high) <= 0.15 and abs(a.amount - b.amount) <= 0.25)


class PrintRemover:
    """`print_free_luma` for a video stream: the search (the small copy's resize, two blurs and the tones'
    split there, the tones' gains measured between neighbours: most of a printed garment's cost) runs once
    and is kept while the garment stays the same; only the per-pixel pass (the print-free base on the
    pass copy, each pixel's tone and gain at full resolution) runs every frame.

    The garment counts as the same while its signature stays within PRINT_DRIFT of a kept one: the box's
    sides, the garment's area, its log luminance's mean and spread, and for a print the spread of the log
    luminance over its blur (the print's contrast), all on the pass copy. Past that, after PRINT_REFRESH
    frames, and after `reset()`, it is searched for again. A search that finds the same print again keeps
    it, averaged with the new one (PRINT_SMOOTH: a still garment does not flicker), and adds the new
    signature (up to MAX_SIGS: a mask flipping between two outlines costs one search, not one a frame); a
    search of the same garment that misses the kept print keeps it. The first frame (a photo) is exactly
    `print_free_luma`. `searches` and `reuses` count frames of each kind.
    """

    MAX_SIGS = 3

    def __init__(self, refresh: int | None = None) -> None:
        self.refresh = PRINT_REFRESH if refresh is None else int(refresh)
        self.searches = 0
        self.reuses = 0
        self.reset()

    def reset(self) -> None:
        self._kept: _Kept | None = None
        self._age = 0
        self._scratch = _Scratch()
        self._last: tuple | None = None  # (region, alpha, result, nothing taken out) of the last call

    def __call__(self, region_bgr: np.ndarray, alpha: np.ndarray, y8: np.ndarray | None = None) -> np.ndarray:
        """As `print_free_luma` (the same arguments and result), for the next frame of a stream. Asked again
        for the same frame (the same region and alpha arrays: the pattern's fold warp, then the renderer),
        it answers from the last call."""
        last = self._last
        if last is not None and last[0] is region_bgr and last[1] is alpha:
            # no print taken out: the caller's own luma, so it sees that nothing changed (`y8 is` its input)
            return y8 if (last[3] and y8 is not None) else last[2]
        y8_in = luma8(region_bgr) if y8 is None else y8
        out = self._next(region_bgr, alpha, y8_in)
        self._last = (region_bgr, alpha, out, out is y8_in)
        return out

    @staticmethod
    def _signature(sm: _Small, p: _Print | None, r: np.ndarray | None) -> dict:
        """The garment's box, area, and its log luminance's mean and spread on the pass copy; with a
        print, the spread of its residual `r` (the log luminance over its blur at the print's scale)."""
        import cv2

        core8 = sm.core.view(np.uint8)
        mean, std = cv2.meanStdDev(sm.ly, mask=core8)
        sig = {"h": sm.shape[0], "w": sm.shape[1], "n": sm.n, "mean": float(mean[0, 0]), "std": float(std[0, 0])}
        if p is not None and r is not None:
            sig["rstd"] = float(cv2.meanStdDev(r, mask=core8)[1][0, 0])
        return sig

    @staticmethod
    def _close(a: dict, b: dict) -> bool:
        t = PRINT_DRIFT
        rel = lambda x, y: abs(x - y) / max(abs(y), 1e-6)  # noqa: E731
        return (rel(a["h"], b["h"]) <= t["side"] and rel(a["w"], b["w"]) <= t["side"]
                and rel(a["n"], b["n"]) <= t["area"] and abs(a["mean"] - b["mean"]) <= t["mean"]
                and rel(a["std"], b["std"]) <= t["std"] and ("rstd" not in b or rel(a["rstd"], b["rstd"]) <= t["rstd"]))

    def _next(self, region_bgr: np.ndarray, alpha: np.ndarray, y8: np.ndarray | None = None) -> np.ndarray:
        if y8 is None:
            y8 = luma8(region_bgr)
        if not PRINT_REMOVAL:
            return y8
        sp = _pass_copy(y8, alpha)
        if sp is None:
            return y8
        sc = self._scratch  # fitted to the box where a print is taken out
        kept = self._kept
        if kept is not None and PRINT_CACHE and self._age < self.refresh:
            p = kept.found
            r = d = None
            if p is not None:
                r, d, free = _pass(y8, sp, p.frac, p.low, p.high, sc.fit(y8.shape), full=p.strength > 0.0)
            sig = self._signature(sp, p, r)
            if any(self._close(sig, s) for s in kept.sigs):
                self._age += 1
                self.reuses += 1
                return y8 if p is None else _apply(y8, alpha, d, free, p, sc)
        # a full search
        self.searches += 1
        self._age = 0
        sm = _small_copy(y8, alpha)
        found = _find(y8, alpha, sm, sp, sc) if sm is not None else None
        p, r, d, free = found if found is not None else (None, None, None, None)
        old = kept.found if kept is not None else None
        if kept is not None and PRINT_CACHE:
            if p is None and old is not None:
                # the kept print missed by a search of the same garment (the tones' measurement can fail
                # on one frame of a fine print, in step with its sampling grid): kept
                r, d, free = _pass(y8, sp, old.frac, old.low, old.high, sc.fit(y8.shape), full=old.strength > 0.0)
                if any(self._close(self._signature(sp, old, r), s) for s in kept.sigs):
                    return _apply(y8, alpha, d, free, old, sc)
            elif _same_print(p, old):
                if p is not None:
                    # the same print again: averaged with the kept one
                    w = PRINT_SMOOTH

                    def mix(x: float, y: float, log: bool = False) -> float:
                        return float(np.exp(w * np.log(x) + (1 - w) * np.log(y))) if log else w * x + (1 - w) * y

                    p = _Print(mix(p.amount, old.amount), p.frac, mix(p.low, old.low), mix(p.high, old.high),
                               mix(p.ratio, old.ratio, True), mix(p.lo_l, old.lo_l, True), mix(p.hi_l, old.hi_l, True),
                               band=old.band)
                sig = self._signature(sp, p, r)
                if not any(self._close(sig, s) for s in kept.sigs):
                    kept.sigs = (kept.sigs + [sig])[-self.MAX_SIGS:]
                self._kept = _Kept(p, kept.sigs)
                return y8 if p is None else _apply(y8, alpha, d, free, p, sc)
        self._kept = _Kept(p, [self._signature(sp, p, r)])
        return y8 if p is None else _apply(y8, alpha, d, free, p, sc)


class WorkArrays:
    """Work arrays a stream keeps from frame to frame (a fresh full-resolution array costs its page faults),
    each in a buffer that fits the largest box seen (a box changes its size by a few pixels per frame)."""

    def __init__(self) -> None:
        self._bufs: dict[str, np.ndarray] = {}

    def __call__(self, name: str, shape: tuple[int, ...], dtype=np.uint8, zero: bool = False) -> np.ndarray:
        n = math.prod(shape)
        b = self._bufs.get(name)
        if b is None or b.size < n or b.dtype != dtype:
            b = self._bufs[name] = (np.zeros if zero else np.empty)(int(n * 1.2) + 16, dtype)
        return b[:n].reshape(shape)


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


GRAIN_REMOVAL = True  # module switch (evaluations, A/B checks): False leaves a dark garment's grain in quiet_luma
GRAIN_FROM = 2.0  # the grain step runs for a new colour more than this many times lighter than the garment
GRAIN_GARROTE = 2.5  # the finest detail within this many noise levels of nothing is taken out
GRAIN_MID = 0.35  # the noise's middle-scale (~4 px) level over its fine-scale (~1.5 px) one: compression's blocks
GRAIN_FLOOR, GRAIN_CAP = 0.5, 4.0  # bounds of the fine noise level measured on a garment (luma levels)


def brightening(albedo: np.ndarray, ymed: float) -> float:
    """How many times brighter the target albedo is than the garment's median luminance (>= 0)."""
    albedo = np.asarray(albedo, np.float32)
    target_y = float(np.mean(albedo @ LUMA_BGR)) if albedo.ndim == 3 else float(albedo @ LUMA_BGR)
    return max(target_y, 1e-4) / max(ymed, 1e-3)


def _wiener_gain(energy: np.ndarray, noise: float, sigma: float) -> np.ndarray:
    """max(e - noise^2, 0) / e, e = `energy` (squared detail) blurred at `sigma`: how much of a detail its
    neighbourhood's energy says is not noise (float32, energy's shape)."""
    import cv2

    e = cv2.GaussianBlur(energy, (0, 0), sigma)
    return cv2.divide(cv2.max(cv2.subtract(e, float(noise * noise)), 0.0), cv2.max(e, 1e-3))


def grain_step_runs(gain: float) -> bool:
    """Whether `quiet_luma` does its work for a new colour `gain` times lighter than the garment (just above
    `GRAIN_FROM` that work may still round to the luma as it was)."""
    return bool(GRAIN_REMOVAL and gain > GRAIN_FROM)


def quiet_luma(y8: np.ndarray, alpha: np.ndarray, gain: float) -> np.ndarray:
    """The garment's luma with its grain taken out when the new colour is much lighter (uint8, y8's shape).

    A dark garment's fine luma detail is mostly the camera's noise and the compression's blocks: a few
    levels out of 20-30, which the shading (a ratio to the median) carries into a light colour as a grain of
    20-40% (black to white came out speckled grey). The noise is measured on the garment itself (the median
    absolute value of its finest detail, below 2 px, where folds leave almost nothing), and detail that
    does not stand above it is taken out: folds, seams and a knit's texture stand above it and stay.
    Nothing changes up to 2x brighter; fully from 8x. alpha: the garment mask (where the noise is measured).

    Cheap enough for every frame (five passes at full size, four of them in 8 bits): the luma is split into
    its half-size average and the finer detail left over. The detail goes through one table, a garrote that
    takes out what is within GRAIN_GARROTE noise levels of nothing and keeps what stands above it; the
    middle band (2-8 px) is shrunk at half size where its local energy (blurred, at a quarter of the size)
    is not above the noise's.
    """
    import cv2

    amount = float(np.clip((np.log2(max(gain, 1.0)) - np.log2(GRAIN_FROM)) / 2.0, 0.0, 1.0))
    h, w = y8.shape[:2]
    if amount <= 0.0 or h < 8 or w < 8 or not GRAIN_REMOVAL:
        return y8
    # halved exactly (an even crop: OpenCV's area average by a ratio that is not 2 takes its slow path)
    hw, ev = (w // 2, h // 2), np.s_[: h // 2 * 2, : w // 2 * 2]
    half8 = cv2.resize(y8[ev], hw, interpolation=cv2.INTER_AREA)
    detail = cv2.addWeighted(y8, 1.0, cv2.resize(half8, (w, h), interpolation=cv2.INTER_LINEAR), -1.0, 128.0,
                             dtype=cv2.CV_8U)  # the finer detail, + 128
    inside = alpha[2:-2:4, 2:-2:4] > 0.5
    if int(np.count_nonzero(inside)) < 16:
        return y8
    noise = float(np.clip(1.4826 * np.median(np.abs(detail[2:-2:4, 2:-2:4][inside].astype(np.float32) - 128.0)),
                          GRAIN_FLOOR, GRAIN_CAP))
    d = np.arange(256, dtype=np.float32) - 128.0
    t2 = (GRAIN_GARROTE * noise) ** 2
    kept = d * np.maximum(d * d - t2, 0.0) / np.maximum(d * d, 1e-6)  # the non-negative garrote
    table = np.clip(np.round(128.0 + (1.0 - amount) * d + amount * kept), 0, 255).astype(np.uint8)
    # the middle band, at half size
    half = half8.astype(np.float32)
    coarse = cv2.GaussianBlur(half, (0, 0), 2.0)  # about 4 px at full size
    mid = cv2.subtract(half, coarse)
    qs = (max(1, hw[0] // 2), max(1, hw[1] // 2))
    e = cv2.resize(cv2.multiply(mid, mid), qs, interpolation=cv2.INTER_AREA)  # energy at 8 px: smooth
    shrink = cv2.resize(_wiener_gain(e, GRAIN_MID * noise, 2.0), hw, interpolation=cv2.INTER_LINEAR)
    base = cv2.subtract(half, cv2.multiply(mid, cv2.subtract(1.0, shrink), scale=amount))  # half - a (1 - g) mid
    base8 = cv2.addWeighted(base, 1.0, base, 0.0, 0.0, dtype=cv2.CV_8U)  # (rounded: the rest stays in 8 bits)
    return cv2.addWeighted(cv2.resize(base8, (w, h), interpolation=cv2.INTER_LINEAR), 1.0, cv2.LUT(detail, table),
                           1.0, -128.0, dtype=cv2.CV_8U)


def damping(gain: float) -> float:
    """k in [0.6, 1]: damp the shading's log contrast when brightening a dark fabric `gain` times (its sensor
    noise would otherwise be amplified into grain)."""
    return float(np.clip(1.0 - 0.12 * np.log2(max(gain, 1.0)), 0.6, 1.0))


def contrast_damping(albedo: np.ndarray, ymed: float) -> float:
    """`damping` for the albedo over a garment of median luminance ymed."""
    return damping(brightening(albedo, ymed))


def shading_table(ymed: float, k: float) -> np.ndarray:
    """float32 (256,): the shading of each luma level."""
    return _shading(_DEC, max(ymed, 1e-3), k).astype(np.float32)


INTERREFLECTION = True  # module switch (evaluations, A/B checks): False shades every level with the albedo alone
INTERREFLECTION_SHARE = 0.5  # in full shadow, this share of the light has bounced off the cloth itself first


def shaded_albedo(albedo: np.ndarray, shade: np.ndarray) -> np.ndarray:
    """float32 (n, 3): the linear colour of a flat albedo (3,) under each shading (n,). Where the cloth is in
    its own shadow (shading under 1: a fold), part of the light reaching it has bounced off the cloth first
    and taken its colour twice (albedo squared, scaled to the albedo's luminance): the shadows of real
    coloured fabric are more saturated than the fabric, not a darker copy of its lit colour (a made-up
    garment's chroma followed its lightness; a real one's does not, measured in `tryon-eval outfit`'s
    realism features). Luminance is unchanged, so the shading and the colour at mid-lightness are too."""
    albedo = np.asarray(albedo, np.float32)
    out = albedo[None, :] * shade[:, None]
    if not INTERREFLECTION:
        return out
    y = float(albedo @ LUMA_BGR)
    twice = albedo * albedo
    y2 = float(twice @ LUMA_BGR)
    if y <= 1e-4 or y2 <= 1e-6:
        return out
    bounced = twice * np.float32(y / y2)  # the albedo's colour twice over, at its luminance
    w = (INTERREFLECTION_SHARE * np.clip(1.0 - shade, 0.0, 1.0)).astype(np.float32)[:, None]
    return shade[:, None] * (albedo[None, :] * (1.0 - w) + bounced[None, :] * w)


def colour_table(albedo: np.ndarray, ymed: float, k: float) -> np.ndarray:
    """uint8 (256, 1, 3): the made-up sRGB BGR colour of each luma level, for a flat albedo."""
    return encode(_shoulder(shaded_albedo(albedo, shading_table(ymed, k)))).reshape(256, 1, 3)


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
    lighter = brightening(albedo, ymed)  # (a pattern map's: one pass over it, for both)
    k = damping(lighter)
    y8 = quiet_luma(y8, alpha, lighter)
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


# ---- the garment's own fine chroma texture, kept

CHROMA_TEXTURE = True  # module switch (evaluations, A/B checks): False leaves the made-up garment's chroma flat
TEXTURE_BOX = 3  # px at half size: the chroma's fine texture is what a box blur of this size takes out
TEXTURE_CLIP = 8  # chroma levels (Cr, Cb): at most this much of it is kept (a print's own edges are not texture)


def chroma_texture(region: np.ndarray, made: np.ndarray, alpha: np.ndarray, strength: float = 1.0) -> np.ndarray:
    """made (the recoloured box, BGR uint8) with the garment's own fine chroma texture added back
    (`chroma_delta`, `add_chroma`)."""
    return add_chroma(made, chroma_delta(region, alpha, strength))


def add_chroma(made: np.ndarray, delta: tuple[np.ndarray, np.ndarray] | None) -> np.ndarray:
    """made + a `chroma_delta` (saturating, uint8: a new array), or made when there is none."""
    import cv2

    if delta is None or delta[0].shape != made.shape:
        return made
    return cv2.subtract(cv2.add(made, delta[0]), delta[1])


def chroma_delta(region: np.ndarray, alpha: np.ndarray, strength: float = 1.0) -> tuple[np.ndarray, np.ndarray] | None:
    """The garment's own fine chroma texture as a change of the made-up box, as its brightening and its
    darkening part (uint8 (h, w, 3) each, B G R), or None
    (switched off, nothing inside): each pixel's Cr and Cb less their local mean (a `TEXTURE_BOX` box at half
    size), clipped to `TEXTURE_CLIP` levels, times `strength` (below full strength the blend keeps that much
    of the original's own already).

    Recolouring keeps the garment's luminance (its folds, weave and grain) but gives every pixel of a fold
    the same hue: the fabric's fibres of slightly different colour, the camera's chroma noise and its
    compression's chroma blocks were gone, and a made-up garment looked flat and stuck on (a classifier
    told made-up patches from real ones mostly by that: their chroma varied about half as much). They are
    the same camera's and the same cloth's, so they are carried over as they are. Only inside the garment
    by the box's reach: at its outline the local mean holds the wall, and that edge is not the cloth's."""
    import cv2

    h, w = region.shape[:2]
    h2, w2 = h // 2, w // 2
    if not CHROMA_TEXTURE or strength <= 0.0 or alpha.shape != (h, w) or min(h2, w2) <= TEXTURE_BOX:
        return None
    # at half size: a camera's chroma is no finer (JPEG and a webcam's MJPEG keep it at half size), and a
    # quarter of the work (exact 2x2 means: OpenCV's fast path). At full size it cost 2 ms more a frame
    # in the engine and scored the same in tryon-eval outfit's realism test (64.5% against 66.7%, within
    # its spread)
    inner = cv2.erode(cv2.compare(alpha[: 2 * h2 : 2, : 2 * w2 : 2], 0.5, cv2.CMP_GT),
                      np.ones((TEXTURE_BOX, TEXTURE_BOX), np.uint8))
    if not cv2.countNonZero(inner):
        return None
    small = cv2.resize(region[: 2 * h2, : 2 * w2], (w2, h2), interpolation=cv2.INTER_AREA)
    _, cr, cb = cv2.split(cv2.cvtColor(small, cv2.COLOR_BGR2YCrCb))
    d = []
    for plane in (cr, cb):  # each plane less its local mean, inside only (0 at the outline and beyond), clipped
        t = cv2.subtract(plane, cv2.blur(plane, (TEXTURE_BOX, TEXTURE_BOX)), dst=np.zeros(plane.shape, np.int16),
                         mask=inner, dtype=cv2.CV_16S)
        d.append(cv2.min(cv2.max(t, -TEXTURE_CLIP), TEXTURE_CLIP))
    dcr, dcb = d
    k = min(float(strength), 1.0)
    # Cr, Cb -> B, G, R (the YCrCb conversion is linear: a chroma change is this change of each channel)
    delta = cv2.merge([cv2.multiply(dcb, 1.773 * k, dtype=cv2.CV_16S),
                       cv2.addWeighted(dcr, -0.714 * k, dcb, -0.344 * k, 0.0),
                       cv2.multiply(dcr, 1.403 * k, dtype=cv2.CV_16S)])
    # as its brightening and darkening parts (uint8: brought to the box's size and added by OpenCV's fast
    # saturating passes)
    zero = (0, 0, 0, 0)
    return tuple(cv2.resize(cv2.convertScaleAbs(part), (w, h), interpolation=cv2.INTER_LINEAR)
                 for part in (cv2.max(delta, zero), cv2.min(delta, zero)))
