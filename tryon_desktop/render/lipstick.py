"""Reference lipstick renderer: physically motivated, deterministic, no learned weights.

Model: the lips' observed linear-RGB colour is (albedo x illumination x micro-texture) + specular.
We keep the lips' own illumination and texture (measured from their luminance), swap the albedo for
the shade's, and let the finish decide how much of the texture and highlights survive:

* matte   - flattened shading (most on the better-lit half), texture softened, highlights almost removed;
* satin   - slightly softened shading, highlights halved, a soft sheen over the best-lit quarter;
* gloss   - full shading, the lips' own highlights amplified plus a wet reflection on the best-lit few
            percent, broken up by the lips' lines;
* shimmer - satin-like base plus fine sparkle fixed to the lips' box (it moves with the lips).

The added light (`finish_glow`, shared with the generator's runtime) sits where the lips' own smooth
illumination is highest, set by shares of the lips' area, so every face gets it, and follows the room's
exposure.

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
# A satin or shimmer sheen is a soft, low-contrast glow: at its peak it adds at most this share of the
# shade's own luminance (as the room lights it). The sheen's level is set for a typical lip, so without the
# limit a mid or dark shade (cinnamon, coral, a brick red) got up to 1.5-3x its own light over the lips'
# best-lit quarter: a pale patch of the bare lips' colour in the lower lip's middle, which reads as
# lipstick missing there (issue 12, bare core). Light shades are not limited (their sheen is already a
# small part of their level); gloss's sharp wet reflection is not either (a wet film mirrors the light
# whatever the pigment under it).
SHEEN_CONTRAST = 0.6
_LUMA32 = LUMA.astype(np.float32)


@dataclass(frozen=True)
class FinishParams:
    illum_gamma: float  # <1 flattens the lips' broad shading
    texture_gamma: float  # <1 softens fine texture (lines of the lips)
    highlight_knee: float  # texture ratio above which a pixel counts as specular
    spec_gain: float  # how much of the lips' own highlight is kept (0) or amplified (>1)
    sheen: float  # broad, soft glow over the best-lit part of the lips (x exposure x a typical lip's level)
    wet: float  # sharp, bright reflection of the light on the best-lit spot (the same units)
    sparkle: float  # shimmer particles
    lit_gamma: float = 1.0  # x illum_gamma above the lips' median light: < 1 takes the bare lips' broad sheen out


# What a make-up artist describes, as light: matte is flat and powdery (shading flattened, texture
# softened, no highlight at all); satin has a soft, broad, low-contrast sheen where the lips face the
# light; gloss is a wet film: the lips' own highlights amplified plus a sharp reflection of the light on
# the best-lit spot (the lower lip's centre in most light); shimmer is a satin base with fine reflective
# particles. The sheen and the wet reflection are specular, so they are added in the light's colour with
# the room's exposure, whatever the lips' own highlights were: a finish shows even on lips that had none.
FINISH_PARAMS: dict[Finish, FinishParams] = {
    Finish.MATTE: FinishParams(0.65, 0.55, 1.04, 0.00, 0.00, 0.00, 0.0, lit_gamma=0.2),
    Finish.SATIN: FinishParams(0.90, 0.85, 1.10, 0.50, 0.65, 0.00, 0.0),
    Finish.GLOSS: FinishParams(1.00, 1.00, 1.10, 2.60, 0.30, 1.80, 0.0),
    Finish.SHIMMER: FinishParams(0.90, 0.90, 1.10, 0.70, 0.20, 0.00, 2.00),
}

_SPARKLE_TILE = 256


def _sparkle_tile(density: float = 0.015, seed: int = 20261125) -> np.ndarray:
    rng = np.random.default_rng(seed)
    u = rng.random((_SPARKLE_TILE, _SPARKLE_TILE), dtype=np.float32)
    lo = 1.0 - density
    dots = np.where(u > lo, (u - lo) / density, 0.0).astype(np.float32)
    dots = cv2.GaussianBlur(dots, (0, 0), 0.6)
    return dots / max(float(dots.max()), 1e-6)


_SPARKLE = _sparkle_tile()  # the generator's basis uses this one: it must not change
# Shimmer's particles have a size and a number per lip area. On a small mouth (a face far from the
# camera) each pixel holds several of them: the sparkle is denser there and each glint dimmer. Tiles for
# (mouth width, density, brightness); between two mouth widths the field is a blend of both.
_SPARKLE_LEVELS = ((100.0, _SPARKLE, 1.0), (65.0, _sparkle_tile(0.04, 20261126), 0.6),
                   (40.0, _sparkle_tile(0.08, 20261127), 0.4))


def sparkle_field(h: int, w: int, ys: np.ndarray | None = None, xs: np.ndarray | None = None,
                  mouth_w: float | None = None) -> np.ndarray:
    """Sparkle pattern in the lips' box coordinates: the particles are in the lipstick, so they move
    with the lips, not with the screen. (h, w) for the whole box, or the values at box pixels (ys, xs).
    `mouth_w` (pixels): the finer, denser pattern of a smaller mouth; None: the base pattern."""
    if ys is None:
        ys = (np.arange(h) % _SPARKLE_TILE)[:, None]
        xs = (np.arange(w) % _SPARKLE_TILE)[None, :]
    else:
        ys, xs = ys % _SPARKLE_TILE, xs % _SPARKLE_TILE
    if mouth_w is None or mouth_w >= _SPARKLE_LEVELS[0][0]:
        return _SPARKLE[ys, xs]
    for (w0, t0, a0), (w1, t1, a1) in zip(_SPARKLE_LEVELS, _SPARKLE_LEVELS[1:], strict=False):
        if mouth_w >= w1:
            t = (w0 - mouth_w) / (w0 - w1)
            return (1.0 - t) * a0 * t0[ys, xs] + t * a1 * t1[ys, xs]
    _, tile, amp = _SPARKLE_LEVELS[-1]
    return amp * tile[ys, xs]


def quantiles(x: np.ndarray, qs) -> list[float]:
    """np.percentile(x, qs) of a 1-d array (numpy's default linear method, the same values) through one
    partition: several times faster than numpy's general machinery on the few thousand lip pixels."""
    x = np.ravel(x)
    n = len(x)
    pos = [(n - 1) * (q / 100.0) for q in qs]
    ks = sorted({min(int(v) + j, n - 1) for v in pos for j in (0, 1)})
    part = np.partition(x, ks)
    out = []
    for v in pos:
        i = min(int(v), n - 1)
        a, b, t = float(part[i]), float(part[min(i + 1, n - 1)]), v - int(v)
        out.append(b - (b - a) * (1.0 - t) if t >= 0.5 else a + (b - a) * t)
    return out


def smoothstep(e0: float, e1: float, x: np.ndarray) -> np.ndarray:
    t = (x - e0) / max(e1 - e0, 1e-6)
    np.minimum(np.maximum(t, 0.0, out=t), 1.0, out=t)  # np.clip(t, 0, 1) without its overhead (the lips' hot path)
    return t * t * (3.0 - 2.0 * t)


def sheen_fields(illum: np.ndarray, xs: np.ndarray, core: np.ndarray,
                 depth: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Where a finish's specular sheen sits, from the lips' own illumination (any array shape).

    `illum`: the lips' smooth illumination over their median; `xs`: each pixel's column; `core`: well
    inside the lips; `depth`: distance in pixels from the lip line (optional). The lit field is the
    illumination, fading towards the mouth corners and the lip line (they turn away from the camera and
    the light). Returns (broad, wet) in [0, 1]: `broad` rises over the best-lit quarter
    of the lips to a soft glow on their best-lit part; `wet` is the best-lit few percent of the lips with a
    quick edge, where a wet film mirrors the light. Both are set by shares of the lips' area, so every face
    has them, evenly lit or not, and both are smooth and steady (no noise: nothing flickers).
    """
    ic = illum[core]
    if ic.size < 12:
        z = np.zeros(illum.shape, np.float32)
        return z, z
    lo, hi = quantiles(ic, [10, 97])
    x = xs[core]
    x0, x1 = float(x.min()), float(x.max())
    half = max(0.5 * (x1 - x0), 1.0)
    # in place where it can be: this runs per frame on the lips' pixels (min / max = np.clip, cheaper)
    d = np.abs(xs - 0.5 * (x0 + x1))
    d /= half
    fall = smoothstep(0.25, 0.85, d)
    fall *= 0.8
    np.subtract(1.0, fall, out=fall)
    field = (illum - lo) / max(float(hi - lo), 0.04)
    np.minimum(np.maximum(field, 0.0, out=field), 1.5, out=field)
    field = field * fall
    if depth is not None:  # the lip's edge turns away: a reflection sits on its front, not on the lip line
        edge = smoothstep(0.02, 0.07, depth / (2.0 * half))
        edge *= 0.8
        edge += 0.2
        field *= edge
    q75, q95, q97, q995 = quantiles(field[core], [75, 95, 97, 99.5])
    return (smoothstep(q75, q97, field).astype(np.float32, copy=False),
            smoothstep(q95, q995, field).astype(np.float32, copy=False))


def lip_depth(mask: np.ndarray) -> np.ndarray:
    """Distance (px) of each box pixel from the lip line (0 outside the lips)."""
    return cv2.distanceTransform((mask > 0.5).astype(np.uint8), cv2.DIST_L2, 3)


# The broad sheen's soft edge (satin, shimmer, gloss's broad part): its field is blurred by a Gaussian of this
# many pixels over the lips; gloss's wet reflection stays sharp. The field rises over the best-lit quarter of
# the lips, cut by fall-offs towards the mouth corners and the lip line whose ramps are a share of the mouth's
# width: on a web face's small mouth they are a pixel or two wide, and the sheen was a flat, hard-edged pale
# block in the middle of the lower lip that reads as lipstick missing there (issue 12, bare core: Coral Reef
# on a web face, 20% of the lips' core). A blur in pixels smooths those sampled edges and leaves a large
# mouth's sheen, whose ramps are already many pixels wide, as it was; one in shares of the mouth's width
# (4%) dimmed every face's sheen on thin lips and made satin harder to tell from matte (the reference
# renderer's finishes told apart 92.9% -> 89.8%).
SHEEN_SOFTEN = 1.5


def soften(field: np.ndarray, ys: np.ndarray, xs: np.ndarray, support: np.ndarray, sigma: float) -> np.ndarray:
    """`field` times the support (`support` > 0), blurred by a Gaussian of `sigma` px, 0 off the support.
    Not normalised by the support's own blur: near the support's edge the field fades, as a sheen on the
    lips' front fades towards the lip line (normalised, it spread the sheen's full level onto the lip line,
    which `sheen_fields` keeps it off). Arrays share one shape: the box (ys, xs its indices) or a list of its
    pixels, scattered into the box and gathered back, so the two layouts give the same values."""
    on = (support > 0).astype(np.float32)
    if field.ndim == 2:
        out = cv2.GaussianBlur(field * on, (0, 0), sigma, borderType=cv2.BORDER_CONSTANT)
    else:
        shape = (int(ys.max()) + 1, int(xs.max()) + 1) if ys.size else (1, 1)
        grid = np.zeros(shape, np.float32)
        grid[ys, xs] = field * on
        out = cv2.GaussianBlur(grid, (0, 0), sigma, borderType=cv2.BORDER_CONSTANT)[ys, xs]
    out *= on
    return out.astype(np.float32, copy=False)


def finish_glow(p: FinishParams, illum: np.ndarray, texture: np.ndarray, inner: np.ndarray, ys: np.ndarray,
                xs: np.ndarray, core: np.ndarray, light: Light, albedo: np.ndarray,
                depth: np.ndarray | None = None, planar: bool = False) -> np.ndarray | None:
    """What a finish adds on top of the lips' colour, as linear RGB (..., 3), or None (matte: nothing).

    Arrays share one shape (the box, or a list of its pixels): `illum` = the bare lips' smooth
    illumination over their median, `texture` = their luminance over it, `inner` = `lip_interior` of the
    mask, (ys, xs) = box coordinates, `core` = well inside the lips; `albedo` = the shade as the room
    lights it. Everything follows the room's light (its exposure and colour) and the lips' own
    illumination, and nothing is random per frame: a still face keeps a still sheen and still sparkle.
    planar: for a list of n pixels, the result as (3, n) (the generator's layout) instead of (n, 3).
    """
    if p.sheen <= 0 and p.wet <= 0 and p.sparkle <= 0:
        return None
    exposure = float(light.exposure)
    terms = []  # (weight per pixel, colour (3,)): the glow is their sum
    if p.sheen > 0 or p.wet > 0:
        broad, wet = sheen_fields(illum, xs, core, depth)
        if SHEEN_SOFTEN > 0:
            broad = soften(broad, ys, xs, inner, SHEEN_SOFTEN)
        # specular: the room's light, brighter where the lips are lit; the wet reflection is broken up by
        # the lips' lines like a film of gloss over them
        level = inner * (exposure * _TYPICAL_LIP_Y)
        level *= np.minimum(np.maximum(illum, 0.5), 1.5)
        tex = np.minimum(np.maximum(texture, 0.6), 1.6)
        # low contrast on every shade: at most SHEEN_CONTRAST x the shade's own level
        y_shade = float(albedo @ _LUMA32)
        soft = min(p.sheen, SHEEN_CONTRAST * y_shade / _TYPICAL_LIP_Y) * broad
        soft *= level
        sharp = p.wet * wet
        sharp *= tex
        sharp *= tex
        sharp *= level
        # a satin sheen is partly the pigment's own colour (light scattered just under the surface),
        # a wet reflection is the light's
        tint = albedo / max(y_shade, 1e-4)
        terms += [(soft, 0.5 * light.rgb + 0.5 * tint), (sharp, light.rgb)]
    if p.sparkle > 0:
        xc = xs[core]
        dots = sparkle_field(0, 0, ys, xs, float(xc.max() - xc.min() + 1) if xc.size else None)
        glint = p.sparkle * dots * inner * exposure * np.clip(illum, 0.3, 1.6) * 0.5
        terms.append((glint, 0.5 + 0.5 * albedo / max(float(albedo.max()), 1e-4)))
    if planar:
        out = np.multiply.outer(np.asarray(terms[0][1], np.float32), terms[0][0])
        for w, c in terms[1:]:
            out += np.multiply.outer(np.asarray(c, np.float32), w)
        return out
    out = np.zeros(illum.shape + (3,), np.float32)
    for w, c in terms:
        out += w[..., None] * c
    return out


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

    # matte: the bare lips' lit parts are partly their own moist sheen, which a powdery film takes out
    gamma = np.where(illum > 1.0, p.illum_gamma * p.lit_gamma, p.illum_gamma).astype(np.float32)
    shading = np.power(illum, gamma, dtype=np.float32) * np.power(diffuse_tex, p.texture_gamma, dtype=np.float32)
    made = albedo[None, None, :] * (exposure * shading)[..., None]
    # A bright shade in bright light would clip per channel and drift in hue (coral turning orange);
    # scale such pixels down as a whole instead, keeping their chromaticity.
    peak = made.max(axis=2, keepdims=True)
    made = made / np.maximum(peak, 1.0)

    # The colour of the light, read from the lips' own pixels (highlights reflect the illuminant).
    light = lin / np.maximum(Y, 1e-4)[..., None]
    light = light / np.maximum(light @ LUMA.astype(np.float32), 1e-4)[..., None]
    spec = p.spec_gain * spec_excess * base
    h, w = Y.shape
    ys, xs = np.indices((h, w))
    glow = finish_glow(p, illum, texture, inner, ys, xs, region.mask > 0.9, region.light, albedo,
                       lip_depth(region.mask))
    if glow is not None:
        made = made + glow
    made = made + spec[..., None] * light
    if shade.opacity < 1.0:
        made = shade.opacity * made + (1.0 - shade.opacity) * lin
    return made.astype(np.float32)
