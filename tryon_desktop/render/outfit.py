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
_Y_STEPS = 8192  # the flat-colour path's table: luminance sampled on a square-root scale (fine in the darks)


def luminance(region_bgr: np.ndarray) -> np.ndarray:
    """Relative luminance (linear) of sRGB BGR uint8 pixels, float32 (h, w), by OpenCV table + transform."""
    import cv2

    return cv2.transform(cv2.LUT(region_bgr, _DEC_LUT), LUMA_BGR.reshape(1, 3))


def garment_median_luminance(y: np.ndarray, alpha: np.ndarray) -> float:
    """Median luminance of the garment's core (alpha > 0.5), subsampled for speed."""
    core = alpha[::3, ::3] > 0.5
    vals = y[::3, ::3][core]
    if vals.size < 16:
        vals = y[alpha > 0.05]
    return float(np.median(vals)) if vals.size else 0.18


def _shading(y, ymed: float, k: float):
    """The garment's shading: its luminance over its median, log contrast scaled by k, clipped."""
    logr = np.log((y + 2e-4) / (ymed + 2e-4))
    return np.exp(np.clip(logr, -4.0, 1.0) * k)  # up to 2.7x the median: fabric highlights, not a lamp


def _shoulder(out):
    """A soft shoulder instead of a hard clip, so highlights on a light target roll off like fabric."""
    return np.where(out > 0.8, 0.8 + 0.2 * np.tanh((out - 0.8) / 0.2), out)


def render_garment(region_bgr: np.ndarray, alpha: np.ndarray, albedo: np.ndarray, strength: float = 1.0) -> np.ndarray:
    """The made-up garment region (uint8 BGR), before blending with `alpha`.

    region_bgr: (h, w, 3) uint8; alpha: (h, w) float in [0, 1], the garment mask; albedo: linear BGR float32,
    either a colour (3,) or a per-pixel map (h, w, 3) (a pattern); strength in [0, 1].

    A flat colour makes the result a function of each pixel's luminance alone, so it is computed once per
    frame for 8192 luminance steps and looked up (a garment box at 720p in a few ms); a pattern is computed
    per pixel.
    """
    y = luminance(region_bgr)
    ymed = max(garment_median_luminance(y, alpha), 1e-3)
    albedo = np.asarray(albedo, np.float32)
    target_y = float(np.mean(albedo @ LUMA_BGR)) if albedo.ndim == 3 else float(albedo @ LUMA_BGR)
    gain = max(target_y, 1e-4) / ymed
    # damp the shading's log contrast when brightening a dark fabric a lot (noise), never below 0.6
    k = float(np.clip(1.0 - 0.12 * np.log2(max(gain, 1.0)), 0.6, 1.0))
    if albedo.ndim == 1:
        steps = np.linspace(0.0, 1.0, _Y_STEPS, dtype=np.float32)
        table = encode(_shoulder(albedo[None, :] * _shading(steps * steps, ymed, k)[:, None]))
        import cv2

        idx = (cv2.sqrt(np.clip(y, 0.0, 1.0)) * (_Y_STEPS - 1) + 0.5).astype(np.int32)
        out = np.take(table, idx, axis=0)  # (np.take is several times faster than fancy indexing here)
        if strength < 1.0:
            out = cv2.addWeighted(out, float(strength), region_bgr, 1.0 - float(strength), 0.0)
        return out
    out = _shoulder(albedo * _shading(y, ymed, k)[..., None])
    if strength < 1.0:
        lin = decode(region_bgr)
        out = lin + (out - lin) * float(strength)
    return encode(out)
