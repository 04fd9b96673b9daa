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


def garment_median_luminance(y: np.ndarray, alpha: np.ndarray) -> float:
    """Median luminance of the garment's core (alpha > 0.5), subsampled for speed."""
    core = alpha[::3, ::3] > 0.5
    vals = y[::3, ::3][core]
    if vals.size < 16:
        vals = y[alpha > 0.05]
    return float(np.median(vals)) if vals.size else 0.18


def render_garment(region_bgr: np.ndarray, alpha: np.ndarray, albedo: np.ndarray, strength: float = 1.0) -> np.ndarray:
    """The made-up garment region (uint8 BGR), before blending with `alpha`.

    region_bgr: (h, w, 3) uint8; alpha: (h, w) float in [0, 1], the garment mask; albedo: linear BGR float32,
    either a colour (3,) or a per-pixel map (h, w, 3) (a pattern); strength in [0, 1].
    """
    lin = decode(region_bgr)
    y = lin @ LUMA_BGR
    ymed = max(garment_median_luminance(y, alpha), 1e-3)
    albedo = np.asarray(albedo, np.float32)
    target_y = float(np.mean(albedo @ LUMA_BGR)) if albedo.ndim == 3 else float(albedo @ LUMA_BGR)
    gain = max(target_y, 1e-4) / ymed
    # damp the shading's log contrast when brightening a dark fabric a lot (noise), never below 0.6
    k = float(np.clip(1.0 - 0.12 * np.log2(max(gain, 1.0)), 0.6, 1.0))
    logr = np.log((y + 2e-4) / (ymed + 2e-4))
    shading = np.exp(np.clip(logr, -4.0, 2.0) * k)[..., None]
    out = albedo * shading
    # a soft shoulder instead of a hard clip, so highlights on a light target roll off like fabric
    out = np.where(out > 0.8, 0.8 + 0.2 * np.tanh((out - 0.8) / 0.2), out)
    if strength < 1.0:
        out = lin + (out - lin) * float(strength)
    return encode(out)
