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
                   ymed: float | None = None) -> np.ndarray:
    """The made-up garment region (uint8 BGR), before blending with `alpha`.

    region_bgr: (h, w, 3) uint8; alpha: (h, w) float in [0, 1], the garment mask; albedo: linear BGR float32,
    either a colour (3,) or a per-pixel map (h, w, 3) (a pattern); strength in [0, 1]; ymed: the garment's
    median luminance when the caller measured it already (on a larger region), else measured here.

    A flat colour makes the result a function of each pixel's luma alone: one 256-entry table per frame,
    applied by cv2.LUT (a 720p garment box in under a millisecond). A pattern multiplies its albedo map by
    the shading, per pixel.
    """
    import cv2

    y8 = luma8(region_bgr)
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
