"""Reference lipstick renderer: physically motivated, deterministic, no learned weights.

Model: the lips' observed linear-RGB colour is (albedo x illumination x micro-texture) + specular.
We keep the lips' own illumination and texture (measured from their luminance), swap the albedo for
the shade's, and let the finish decide how much of the texture and highlights survive:

* matte   - flattened shading, texture softened, highlights almost removed;
* satin   - slightly softened shading, highlights halved;
* gloss   - full shading, the lips' own highlights amplified plus a wet sheen on the best-lit part;
* shimmer - satin-like base plus fine sparkle fixed to the pixel grid (steady on a still face).

Opacity mixes the made-up colour with the bare lips in linear light. All work happens at the frame's
native resolution inside the lips' bounding box, so nothing is blurred.

This renderer makes the GAN's training targets, is the quality floor it must beat, and runs in the
app only while no generator model is installed.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from tryon_desktop.core.colour import LUMA, srgb_to_linear
from tryon_desktop.core.light import NEUTRAL, Light
from tryon_desktop.core.looks import Finish, Shade

_LIN_LUT = srgb_to_linear(np.arange(256) / 255.0).astype(np.float32)
_LIN_LUT_BGR = _LIN_LUT  # same curve for every channel
# A lip's typical relative luminance in a well exposed photo; sets how bright a shade is shown.
_TYPICAL_LIP_Y = 0.16


@dataclass(frozen=True)
class FinishParams:
    illum_gamma: float  # <1 flattens the lips' broad shading
    texture_gamma: float  # <1 softens fine texture (lines of the lips)
    highlight_knee: float  # texture ratio above which a pixel counts as specular
    spec_gain: float  # how much of the lips' own highlight is kept (0) or amplified (>1)
    sheen: float  # added wet highlight on the best-lit part of the lips
    sparkle: float  # shimmer particles


FINISH_PARAMS: dict[Finish, FinishParams] = {
    Finish.MATTE: FinishParams(0.65, 0.55, 1.04, 0.00, 0.00, 0.0),
    Finish.SATIN: FinishParams(0.90, 0.85, 1.10, 0.50, 0.05, 0.0),
    Finish.GLOSS: FinishParams(1.00, 1.00, 1.10, 2.60, 0.22, 0.0),
    Finish.SHIMMER: FinishParams(0.90, 0.90, 1.10, 0.70, 0.05, 0.90),
}

_SPARKLE_TILE = 256


def _sparkle_tile() -> np.ndarray:
    rng = np.random.default_rng(20261125)
    u = rng.random((_SPARKLE_TILE, _SPARKLE_TILE), dtype=np.float32)
    dots = np.where(u > 0.985, (u - 0.985) / 0.015, 0.0).astype(np.float32)
    dots = cv2.GaussianBlur(dots, (0, 0), 0.6)
    return dots / max(float(dots.max()), 1e-6)


_SPARKLE = _sparkle_tile()


def sparkle_field(box_x0: int, box_y0: int, h: int, w: int) -> np.ndarray:
    """Sparkle pattern tied to frame pixels (a still face sparkles steadily, a moving one glints)."""
    ys = (np.arange(box_y0, box_y0 + h) % _SPARKLE_TILE)[:, None]
    xs = (np.arange(box_x0, box_x0 + w) % _SPARKLE_TILE)[None, :]
    return _SPARKLE[ys, xs]


def smoothstep(e0: float, e1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - e0) / max(e1 - e0, 1e-6), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def encode_srgb8(lin_rgb: np.ndarray) -> np.ndarray:
    """Linear RGB float -> sRGB uint8 in BGR order (OpenCV)."""
    c = np.clip(lin_rgb, 0.0, 1.0)
    s = np.where(c <= 0.0031308, c * 12.92, 1.055 * np.power(c, 1.0 / 2.4, dtype=np.float32) - 0.055)
    return np.clip(s[..., ::-1] * 255.0 + 0.5, 0, 255).astype(np.uint8)


def decode_bgr8(bgr: np.ndarray) -> np.ndarray:
    """sRGB uint8 BGR -> linear RGB float32."""
    return _LIN_LUT_BGR[bgr[..., ::-1]]


@dataclass
class LipRegion:
    """What the renderer measured on one face's lips (the 'align' stage of the reference path)."""

    lin: np.ndarray  # (h, w, 3) linear RGB of the box
    Y: np.ndarray  # (h, w) luminance
    base: np.ndarray  # (h, w) low-frequency luminance (illumination)
    mask: np.ndarray  # (h, w) soft lip mask in [0, 1]
    y_med: float  # median lip luminance
    illum_lo: float  # robust range of illumination over the lips
    illum_hi: float
    box_origin: tuple[int, int]
    light: Light = NEUTRAL  # the room's light on this face (core.light); neutral when unknown


def measure_lips(roi_bgr: np.ndarray, mask: np.ndarray, mouth_w: float, box_origin=(0, 0),
                 light: Light = NEUTRAL) -> LipRegion | None:
    lin = decode_bgr8(roi_bgr)
    Y = lin @ LUMA.astype(np.float32)
    core = mask > 0.5
    if core.sum() < 12:
        return None
    sigma = max(1.0, 0.06 * mouth_w)
    # Mask-normalised blur: illumination of the lips only, not smeared with skin or teeth.
    m = mask.astype(np.float32)
    num = cv2.GaussianBlur(Y * m, (0, 0), sigma)
    den = cv2.GaussianBlur(m, (0, 0), sigma)
    base = np.where(den > 1e-3, num / np.maximum(den, 1e-3), Y)
    base = np.maximum(base, 1e-4)
    y_lips = Y[core]
    y_med = float(max(np.median(y_lips), 1e-4))
    b = base[core] / y_med
    lo, hi = np.percentile(b, [10, 97])
    return LipRegion(lin=lin, Y=Y, base=base, mask=mask, y_med=y_med, illum_lo=float(lo), illum_hi=float(hi),
                     box_origin=box_origin, light=light)


def lip_interior(mask: np.ndarray) -> np.ndarray:
    """0 on the feathered rim of the lip mask, 1 well inside: where a pixel much brighter than the lips'
    illumination is a highlight on the lips rather than the skin beyond the lip line (treating skin as
    a highlight is what drew a pale halo around cool and dark shades)."""
    return smoothstep(0.45, 0.85, mask).astype(np.float32)


def shade_linear(shade: Shade) -> np.ndarray:
    return srgb_to_linear(np.array(shade.rgb) / 255.0).astype(np.float32)


def render_lips(region: LipRegion, shade: Shade) -> np.ndarray:
    """Made-up lips for the whole box as linear RGB float32 (h, w, 3), opacity already applied.

    Pixels far outside the mask get computed too (cheap) but the caller blends with the mask.
    """
    p = FINISH_PARAMS[shade.finish]
    lin, Y, base = region.lin, region.Y, region.base
    illum = base / region.y_med
    texture = Y / base
    diffuse_tex = np.minimum(texture, p.highlight_knee)
    inner = lip_interior(region.mask)
    spec_excess = (texture - diffuse_tex) * inner  # >= 0, only the lips' own highlights

    # Exposure: the lips' median is shown at the shade's own lightness in a well exposed photo (a plum
    # is as dark as plum, a nude covers dark lips), scaled by the room's light. It does not follow the
    # lips' natural brightness, which is their colour (dark lips on a deep skin tone), not the light.
    exposure = float(region.light.exposure)
    albedo = region.light.apply(shade_linear(shade))

    shading = np.power(illum, p.illum_gamma, dtype=np.float32) * np.power(diffuse_tex, p.texture_gamma,
                                                                           dtype=np.float32)
    made = albedo[None, None, :] * (exposure * shading)[..., None]
    # A bright shade in bright light would clip per channel and drift in hue (coral turning orange);
    # scale such pixels down as a whole instead, keeping their chromaticity.
    peak = made.max(axis=2, keepdims=True)
    made = made / np.maximum(peak, 1.0)

    # The colour of the light, read from the lips' own pixels (highlights reflect the illuminant).
    light = lin / np.maximum(Y, 1e-4)[..., None]
    light = light / np.maximum(light @ LUMA.astype(np.float32), 1e-4)[..., None]
    spec = p.spec_gain * spec_excess * base
    if p.sheen > 0:
        lit = smoothstep(region.illum_lo + 0.6 * (region.illum_hi - region.illum_lo), region.illum_hi, illum)
        spec = spec + p.sheen * lit * inner * exposure * _TYPICAL_LIP_Y * (0.6 + 0.4 * diffuse_tex)
    if p.sparkle > 0:
        h, w = Y.shape
        dots = sparkle_field(region.box_origin[0], region.box_origin[1], h, w)
        glint = p.sparkle * dots * inner * exposure * np.clip(illum, 0.3, 1.6) * 0.5
        made = made + glint[..., None] * (0.5 + 0.5 * albedo / max(float(albedo.max()), 1e-4))[None, None, :]
    made = made + spec[..., None] * light
    if shade.opacity < 1.0:
        made = shade.opacity * made + (1.0 - shade.opacity) * lin
    return made.astype(np.float32)
