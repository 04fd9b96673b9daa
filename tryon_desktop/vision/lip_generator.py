"""The lipstick generator (an ONNX model trained by tryon_desktop.train) behind the engine's backend API.

How it makes up lips (design: "a low-resolution grid of colour transforms applied at full resolution"):

1. align   The lips are warped to a canonical patch (PATCH_W x PATCH_H, mouth corners at 20% / 80% of
           the width, tools in core.geometry) and shrunk to the network's input (IN_W x IN_H).
2. network G(input patch, lip mask, condition) -> a grid of per-pixel colour transforms, GRID_W x GRID_H
           cells, each N_COEF = 3 x N_BASIS numbers. The condition holds the shade, finish, opacity and
           the lips' measured brightness and colour.
3. apply   The grid is warped straight back into the lips' box in the frame and applied there, at the
           frame's own resolution, to a per-pixel basis of the original pixels (their linear RGB,
           luminance, smooth illumination, highlight excess, a sparkle field and a constant):
               out_c(x) = sum_k coef[c * N_BASIS + k](x) * basis_k(x)
           The network never resamples the image itself, so lip texture and sharpness are kept by
           construction, whatever the face's size. Alpha is the engine's soft lip mask, which excludes
           the mouth opening: colour never lands on teeth or tongue.

ONNX model (static shapes): inputs `image` float32 (1, 4, IN_H, IN_W) = sRGB in [-1, 1] (R, G, B) plus
the lip mask in [0, 1]; `cond` float32 (1, COND_DIM) laid out by `condition_vector`. Output `coef`
float32 (1, N_COEF, GRID_H, GRID_W), unbounded, to be used on linear RGB.

onnxruntime + numpy + cv2 only: no torch here.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import cv2
import numpy as np

from tryon_desktop.core.colour import LUMA, srgb_to_lab, srgb_to_linear
from tryon_desktop.core.geometry import Box, canonical_lip_points, lip_alignment
from tryon_desktop.core.light import NEUTRAL, Light, scene_light
from tryon_desktop.core.background import HELPER as _HELPER  # the network runs on it while prepare measures the lips
from tryon_desktop.core.looks import FINISHES, Shade
from tryon_desktop.core.masks import MOUTH_CORNERS, mouth_width
from tryon_desktop.render.lipstick import lip_interior
from tryon_desktop.errors import ModelError

log = logging.getLogger(__name__)

PATCH_W, PATCH_H = 192, 144  # canonical patch (training space): mouth width = 0.6 * PATCH_W = 115 px
IN_W, IN_H = 96, 72  # network input
GRID = 4  # one colour transform per GRID x GRID canonical-patch pixels
GRID_W, GRID_H = PATCH_W // GRID, PATCH_H // GRID
BASIS = ("lin_r", "lin_g", "lin_b", "Y/Ymed", "illum/Ymed", "highlight/Ymed", "sparkle", "one")
N_BASIS = len(BASIS)
N_COEF = 3 * N_BASIS
HIGHLIGHT_KNEE = 1.06
BORDER_LIFT = 1.05  # on the border band the made-up lips are at most this much lighter than the lips' light
# x the highlights above the lips' lit level: matte almost none, satin softened, gloss amplified; shimmer is a
# satin base (its light is in its particles, not a wet film)
FINISH_HIGHLIGHT = {"matte": 0.15, "satin": 0.55, "gloss": 1.6, "shimmer": 0.6}
GAN_TEXTURE_SHARE = 0.5  # x the reference's texture exponent (FinishParams.texture_gamma - 1), bright side only
# Where the basis's sparkle channel sits: the lips' box coordinates, offset 0 (as render.lipstick.finish_glow's
# particles, which the reference renderer, i.e. the training target, puts there). The network scales this channel
# up for shimmer (~6x its other finishes' coefficient); at frame coordinates, as it was, those glints were a
# second pattern beside the finish layer's, fixed to the screen: they stayed put while the lips moved over them.
SPARKLE_ORIGIN = (0, 0)
CHROMA_TOLERANCE = 0.12  # how far (linear chromaticity) a made-up pixel's hue may stray from the lips' mean
COND_LAYOUT = ("shade_lin_r", "shade_lin_g", "shade_lin_b", "shade_L/100", "shade_a/100", "shade_b/100",
               "finish_matte", "finish_satin", "finish_gloss", "finish_shimmer", "opacity",
               "log_lip_Y", "lip_chroma_r", "lip_chroma_g", "lip_chroma_b")
COND_DIM = len(COND_LAYOUT)

_LIN_LUT = srgb_to_linear(np.arange(256) / 255.0).astype(np.float32)
_LUMA = LUMA.astype(np.float32)
_LUMA_F = tuple(np.float32(v) for v in LUMA)  # the same weights as numpy float32 scalars
_LUMA_PY = tuple(float(v) for v in _LUMA_F)  # and as Python floats (float32 values)


def illumination(Y: np.ndarray, mask: np.ndarray, mouth_w: float) -> np.ndarray:
    """Low-frequency lip luminance: a mask-normalised blur, so skin and teeth do not smear into it.

    The blur is wide (sigma = 6% of the mouth's width), so it runs on a 4x smaller copy: the same
    result for a smooth field at a fraction of the cost.
    """
    sigma = max(1.0, 0.06 * mouth_w)
    h, w = Y.shape
    m = mask.astype(np.float32)
    num, den = _masked_blur(Y * m, m, sigma)
    base = np.where(den > 1e-3, num / np.maximum(den, 1e-3), Y)
    return np.maximum(base, 1e-4).astype(np.float32)


def _masked_blur(ym: np.ndarray, m: np.ndarray, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """(blur(Y x mask), blur(mask)) with a Gaussian of `sigma` px; a wide blur runs on a 4x smaller copy."""
    h, w = m.shape
    f = 4 if sigma >= 6.0 and min(h, w) >= 16 else 1
    if f == 1:
        return cv2.GaussianBlur(ym, (0, 0), sigma), cv2.GaussianBlur(m, (0, 0), sigma)
    sw, sh = max(1, w // f), max(1, h // f)
    s = sigma * sw / w
    ym_s = cv2.resize(ym, (sw, sh), interpolation=cv2.INTER_AREA)
    m_s = cv2.resize(m, (sw, sh), interpolation=cv2.INTER_AREA)
    return (cv2.resize(cv2.GaussianBlur(ym_s, (0, 0), s), (w, h), interpolation=cv2.INTER_LINEAR),
            cv2.resize(cv2.GaussianBlur(m_s, (0, 0), s), (w, h), interpolation=cv2.INTER_LINEAR))


def basis_features(roi_bgr: np.ndarray, mask: np.ndarray, mouth_w: float,
                   origin: tuple[int, int] = (0, 0), where: np.ndarray | None = None
                   ) -> tuple[np.ndarray, float, np.ndarray] | None:
    """Per-pixel basis (h, w, N_BASIS) float32 of an image region at its own resolution, plus the
    lips' median luminance and mean chromaticity (lin_rgb / Y); None when the mask holds no lips.
    With `where` (bool, region-sized) only those pixels' rows come back, as (n, N_BASIS).

    Luminance-like channels are divided by the lips' median luminance, so the network's coefficients
    are near the shade's own linear colour whatever the exposure. The same function serves training
    (on canonical patches) and the app (on the lips' box in the frame).
    """
    from tryon_desktop.render.lipstick import _SPARKLE, _SPARKLE_TILE

    core = mask > 0.5
    if core.sum() < 12:
        return None
    lin = _LIN_LUT[roi_bgr[..., ::-1]]
    Y = lin @ _LUMA
    y_med = float(max(np.median(Y[core]), 1e-4))
    mean = lin[core].mean(0)
    chroma = (mean / max(float(mean @ _LUMA), 1e-4)).astype(np.float32)
    base = illumination(Y, mask, mouth_w)
    inv = 1.0 / y_med
    h, w = Y.shape
    if where is None:
        ys, xs = np.mgrid[0:h, 0:w]
        sel = (slice(None), slice(None))
    else:
        ys, xs = np.nonzero(where)
        sel = (ys, xs)
    lin, Y, base = lin[sel], Y[sel], base[sel]
    # sparkle at box pixels offset by `origin`: the app and the training pass (0, 0), the lips' box coordinates
    # where render.lipstick.finish_glow puts its particles (see SPARKLE_ORIGIN)
    dots = _SPARKLE[(ys + origin[1]) % _SPARKLE_TILE, (xs + origin[0]) % _SPARKLE_TILE]
    out = np.empty(Y.shape + (N_BASIS,), np.float32)
    out[..., 0:3] = lin
    out[..., 3] = Y * inv
    out[..., 4] = base * inv
    # Highlights and sparkle only well inside the lips: on the feathered rim, skin brighter than the
    # lips' illumination would read as a highlight.
    inner = lip_interior(mask)[sel]
    out[..., 5] = np.maximum(Y - HIGHLIGHT_KNEE * base, 0.0) * inv * inner
    out[..., 6] = dots * np.clip(base * inv, 0.3, 1.6) * inner
    out[..., 7] = 1.0
    return out, y_med, chroma


def condition_vector(shade: Shade, y_med: float, chroma: np.ndarray) -> np.ndarray:
    """The network's condition (COND_DIM,) float32, laid out as COND_LAYOUT."""
    key = (tuple(shade.rgb), shade.finish, float(shade.opacity))
    head = _COND_HEADS.get(key)
    if head is None:
        if len(_COND_HEADS) > 256:
            _COND_HEADS.clear()
        head = _COND_HEADS[key] = _condition_vector_reference(shade, 1.0, np.zeros(3, np.float32))[:11]
    v = np.empty(COND_DIM, np.float32)
    v[:11] = head
    v[11] = np.log(max(y_med, 1e-4))
    v[12:] = np.clip(chroma, 0.0, 4.0)
    return v


_COND_HEADS: dict = {}


def _condition_vector_reference(shade: Shade, y_med: float, chroma: np.ndarray) -> np.ndarray:
    """condition_vector written out (its shade part is what the fast one caches)."""
    srgb = np.asarray(shade.rgb, np.float64) / 255.0
    lab = srgb_to_lab(srgb)
    finish = [1.0 if shade.finish == f else 0.0 for f in FINISHES]
    v = np.concatenate([srgb_to_linear(srgb), lab / 100.0, finish, [shade.opacity],
                        [np.log(max(y_med, 1e-4))], np.clip(chroma, 0.0, 4.0)])
    return v.astype(np.float32)


def network_input(patch_bgr: np.ndarray, patch_mask: np.ndarray) -> np.ndarray:
    """Canonical patch (PATCH_H, PATCH_W) -> the network's `image` input (1, 4, IN_H, IN_W)."""
    small = cv2.resize(patch_bgr, (IN_W, IN_H), interpolation=cv2.INTER_AREA)
    x = np.empty((1, 4, IN_H, IN_W), np.float32)
    rgb = x[0, :3]
    rgb[...] = small.transpose(2, 0, 1)[::-1]  # BGR -> R, G, B planes
    rgb *= 2.0 / 255.0
    rgb -= 1.0
    x[0, 3] = cv2.resize(np.asarray(patch_mask, np.float32), (IN_W, IN_H), interpolation=cv2.INTER_AREA)
    return x


def apply_coefficients(coef_hwc: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """Per-pixel transform: (h, w, N_COEF) coefficients on (h, w, N_BASIS) basis -> linear RGB (h, w, 3)."""
    h, w = basis.shape[:2]
    c = coef_hwc.reshape(h, w, 3, N_BASIS)
    return np.einsum("hwck,hwk->hwc", c, basis, optimize=True)


def grid_to_patch_matrix() -> np.ndarray:
    """Affine taking canonical-patch pixels to coefficient-grid pixels (cell centres, like bilinear
    upsampling with align_corners=False)."""
    s = 1.0 / GRID
    return np.array([[s, 0.0, 0.5 * s - 0.5], [0.0, s, 0.5 * s - 0.5]])


def compose(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Affine A after B (both 2x3)."""
    A3 = np.vstack([A, [0.0, 0.0, 1.0]])
    B3 = np.vstack([B, [0.0, 0.0, 1.0]])
    return (A3 @ B3)[:2]


_ENC_N = 1 << 14
_ENC_LUT = np.clip(np.round(255.0 * np.where(
    np.linspace(0, 1, _ENC_N) <= 0.0031308, 12.92 * np.linspace(0, 1, _ENC_N),
    1.055 * np.power(np.linspace(0, 1, _ENC_N), 1.0 / 2.4) - 0.055)), 0, 255).astype(np.uint8)


def encode_bgr8(lin_rgb: np.ndarray) -> np.ndarray:
    """Linear RGB float (..., 3) -> sRGB uint8 in BGR order, via a 16k-entry table (<= 1 level off)."""
    idx = (np.clip(lin_rgb[..., ::-1], 0.0, 1.0) * (_ENC_N - 1) + 0.5).astype(np.int32)
    return _ENC_LUT[idx]


def corner_alignment(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """core.geometry.lip_alignment in closed form (two point pairs fit a similarity exactly): the same
    matrix without an SVD, which costs milliseconds when the CPU is busy."""
    (ca, cb) = canonical_lip_points(PATCH_W, PATCH_H)
    d = complex(*(np.asarray(b, np.float64) - np.asarray(a, np.float64)))
    if abs(d) < 1e-9:
        return lip_alignment(a, b, PATCH_W, PATCH_H)  # raises its own error for degenerate corners
    z = complex(*(cb - ca)) / d
    t = complex(*ca) - z * complex(float(a[0]), float(a[1]))
    return np.array([[z.real, -z.imag, t.real], [z.imag, z.real, t.imag]])


def clip_to_white(lin: np.ndarray) -> np.ndarray:
    """Out-of-range colours (strong speculars on glossy lips, where Y / median Y is large) go to white
    like a real highlight, instead of clipping channel by channel into a false hue (magenta specks)."""
    lin = np.maximum(lin, 0.0)
    peak = lin.max(axis=-1, keepdims=True)
    over = peak > 1.0
    if not over.any():
        return lin
    scaled = lin / np.maximum(peak, 1.0)
    t = np.clip(peak - 1.0, 0.0, 1.0)
    return np.where(over, scaled * (1.0 - t) + t, lin)


def edge_alpha(mask: np.ndarray, knee: float = 0.25) -> np.ndarray:
    """The soft lip mask with its faint outer tail pulled in (alpha = mask * min(1, mask / knee)).

    Unchanged from `knee` up, so the visible edge stays where the mask puts it. The tail lies on skin,
    which the per-pixel transform (made for lips) would brighten as if it were a highlight; a faint
    alpha times a large change still shows as a halo, so it is faded quadratically instead.
    """
    return mask * np.minimum(1.0, mask * (1.0 / knee))


_MAP_COLS = 1024  # cv2.remap wants maps under 32767 wide: fold the pixel list into rows of this length


def _remap_maps(gx: np.ndarray, gy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = len(gx)
    rows = max(1, -(-n // _MAP_COLS))
    mx = np.zeros(rows * _MAP_COLS, np.float32)
    my = np.zeros(rows * _MAP_COLS, np.float32)
    mx[:n], my[:n] = gx, gy
    return mx.reshape(rows, _MAP_COLS), my.reshape(rows, _MAP_COLS)


def _pixel_basis(roi_bgr: np.ndarray, mask: np.ndarray, idx: np.ndarray, weight: np.ndarray, mouth_w: float,
                 origin: tuple[int, int]):
    """`basis_features(roi, mask, mouth_w, origin, where=mask > 0)` for the app, computed on the listed pixels
    only (idx: flat indices of mask > 0 in the box, weight: the mask there): the same numbers, without the
    box-sized intermediates. Returns (basis (n, N_BASIS), y_med, chroma, inner (n,)) or None.

    The basis is channel-planar in memory (a transposed view of an (N_BASIS, n) array): every column the
    runtime reads (linear RGB, luminance, illumination) is one contiguous row."""
    colour = _lip_colour(roi_bgr, idx, weight)
    if colour is None:
        return None
    planes, Y, y_med, chroma = colour
    inner = _basis_rows(planes, Y, y_med, mask, idx, weight, mouth_w, origin)
    return planes.T, y_med, chroma, inner


def _lip_colour(roi_bgr: np.ndarray, idx: np.ndarray, weight: np.ndarray):
    """The first half of `_pixel_basis`, all that the network's condition needs. Returns (planes, Y, y_med,
    chroma): the basis's planar storage (N_BASIS, n) with rows 0-2 (linear R, G, B) filled, the luminance
    (n,), the lips' median luminance and their mean chromaticity; or None when under 12 pixels are lips."""
    core = np.flatnonzero(weight > 0.5)
    if len(core) < 12:
        return None
    bgr = np.take(cv2.LUT(roi_bgr, _LIN_LUT).reshape(-1, 3), idx, axis=0)  # (n, 3) linear B, G, R
    planes = np.empty((N_BASIS, len(idx)), np.float32)
    planes[2::-1] = cv2.transpose(bgr)  # rows R, G, B
    lr, lg, lb = _LUMA_F
    Y = planes[0] * lr
    Y += planes[1] * lg
    Y += planes[2] * lb
    y_med = float(max(_median(np.take(Y, core)), 1e-4))
    # lin[core].mean(0), accumulated in float64 (a plain float32 sum drifts by ~1e-6 over thousands of pixels)
    mean = np.take(planes[:3], core, axis=1).sum(1, dtype=np.float64) / len(core)
    chroma = (mean / max(float(mean @ LUMA), 1e-4)).astype(np.float32)
    return planes, Y, y_med, chroma


def _basis_rows(planes: np.ndarray, Y: np.ndarray, y_med: float, mask: np.ndarray, idx: np.ndarray,
                weight: np.ndarray, mouth_w: float, origin: tuple[int, int]) -> np.ndarray:
    """The second half of `_pixel_basis`: fills rows 3-7 of `planes` (from `_lip_colour`) and returns
    lip_interior(weight)."""
    from tryon_desktop.render.lipstick import _SPARKLE, _SPARKLE_TILE

    h, w = mask.shape
    # illumination(): the mask-normalised blur, read at the listed pixels (Y * mask is 0 elsewhere)
    sigma = max(1.0, 0.06 * mouth_w)
    ym = np.zeros(h * w, np.float32)
    ym[idx] = Y * weight
    num, den = _masked_blur(ym.reshape(h, w), mask, sigma)
    num, den = np.take(num.reshape(-1), idx), np.take(den.reshape(-1), idx)
    base = np.maximum(np.where(den > 1e-3, num / np.maximum(den, 1e-3), Y), 1e-4).astype(np.float32)
    inv = np.float32(1.0 / y_med)  # what `array * (1.0 / y_med)` multiplies by
    T = _SPARKLE_TILE
    oy, ox = origin[1] % T, origin[0] % T
    if oy + h <= T and ox + w <= T:  # the box's sparkle is one piece of the tile
        field = _SPARKLE[oy:oy + h, ox:ox + w]
    else:
        field = _SPARKLE[np.ix_((np.arange(h) + oy) % T, (np.arange(w) + ox) % T)]
    dots = np.take(field.ravel(), idx)
    inner = _lip_interior(weight)
    # the same expressions as basis_features, written into the planar rows
    np.multiply(Y, inv, out=planes[3])
    rel = np.multiply(base, inv, out=planes[4])
    np.multiply(np.maximum(Y - HIGHLIGHT_KNEE * base, 0.0) * inv, inner, out=planes[5])
    np.multiply(dots * np.minimum(np.maximum(rel, 0.3), 1.6), inner, out=planes[6])  # clip(rel, 0.3, 1.6)
    planes[7] = 1.0
    return inner


def _smoothstep(e0: float, e1: float, x: np.ndarray) -> np.ndarray:
    """render.lipstick.smoothstep, the same float steps with np.clip's overhead left out (min / max)."""
    t = (x - e0) / max(e1 - e0, 1e-6)
    np.minimum(np.maximum(t, 0.0, out=t), 1.0, out=t)
    return t * t * (3.0 - 2.0 * t)


def _lip_interior(weight: np.ndarray) -> np.ndarray:
    """render.lipstick.lip_interior of a float32 array, through `_smoothstep`."""
    return _smoothstep(0.45, 0.85, weight).astype(np.float32, copy=False)


def _warp_patch(roi: np.ndarray, M: np.ndarray, size: tuple[int, int] = (PATCH_W, PATCH_H)) -> np.ndarray:
    """cv2.warpAffine(roi, M, size (default: the patch), INTER_LINEAR, BORDER_REPLICATE), the same pixels: the box
    is padded by replication first so that every tap falls inside it (OpenCV's per-pixel border handling is what
    made the warp slow: most of the patch lies beyond the lips' box)."""
    h, w = roi.shape[:2]
    A = M[:, :2]
    det = A[0, 0] * A[1, 1] - A[0, 1] * A[1, 0]
    if abs(det) < 1e-12:
        return cv2.warpAffine(roi, M, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    inv = np.array([[A[1, 1], -A[0, 1]], [-A[1, 0], A[0, 0]]]) / det
    corners = np.array([[0.0, size[0], 0.0, size[0]], [0.0, 0.0, size[1], size[1]]])
    src = inv @ (corners - M[:, 2:])  # the output's corners in box pixels
    lo, hi = np.floor(src.min(1)), np.ceil(src.max(1))
    left, top = int(max(0.0, -lo[0])) + 2, int(max(0.0, -lo[1])) + 2
    right, bottom = int(max(0.0, hi[0] - (w - 1))) + 2, int(max(0.0, hi[1] - (h - 1))) + 2
    if max(left, right) > 4 * (w + 4) or max(top, bottom) > 4 * (h + 4):  # a degenerate fit: no padding
        return cv2.warpAffine(roi, M, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    padded = cv2.copyMakeBorder(roi, top, bottom, left, right, cv2.BORDER_REPLICATE)
    Mp = M.copy()
    Mp[:, 2] -= A @ np.array([left, top], np.float64)
    return cv2.warpAffine(padded, Mp, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _network_image(roi: np.ndarray, mask: np.ndarray, M: np.ndarray) -> np.ndarray:
    """The network's `image` input: the box's pixels and lip mask warped by M into the canonical patch.

    Where the patch enlarges the lips (a webcam's mouth, narrower than the patch's 115 px), they are sampled
    straight at the network's resolution (IN_W x IN_H), each input pixel at the centre of the 2x2 patch
    pixels that network_input's area shrink averages: a quarter of the pixels to warp, and no shrink. The
    two differ by a fraction of a level on smooth lips, a level or two on their sharpest lines. A larger mouth
    (the patch shrinks it) keeps the whole patch and its area shrink, which an input sampled at a quarter of
    the rate would miss (fine lines flickering between frames)."""
    if abs(M[0, 0] * M[1, 1] - M[0, 1] * M[1, 0]) < HALF_WARP_MIN_SCALE ** 2:
        pmask = cv2.warpAffine(mask, M, (PATCH_W, PATCH_H), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        return network_input(_warp_patch(roi, M), pmask)
    Mh = M * 0.5  # patch pixel -> input pixel: x_in = (x_patch - 0.5) / 2
    Mh[:, 2] -= 0.25
    x = np.empty((1, 4, IN_H, IN_W), np.float32)
    rgb = x[0, :3]
    rgb[...] = _warp_patch(roi, Mh, (IN_W, IN_H)).transpose(2, 0, 1)[::-1]  # BGR -> R, G, B planes
    rgb *= 2.0 / 255.0
    rgb -= 1.0
    x[0, 3] = cv2.warpAffine(mask, Mh, (IN_W, IN_H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                             borderValue=0)
    return x


HALF_WARP_MIN_SCALE = 1.0  # the patch's scale (patch px per frame px) from which _network_image samples at IN_W x IN_H


_GRID_FROM_PATCH = grid_to_patch_matrix()


def _planar(lin: np.ndarray) -> np.ndarray:
    """(n, 3) -> its (3, n) transpose, C-contiguous (a view when `lin` is already planar in memory)."""
    return np.ascontiguousarray(lin.T)


def _median(x: np.ndarray) -> np.ndarray:
    """np.median along the last axis (the same values), through one partition."""
    k = x.shape[-1]
    h = k // 2
    if k % 2:
        return np.partition(x, h, axis=-1)[..., h]
    p = np.partition(x, (h - 1, h), axis=-1)
    return (p[..., h - 1] + p[..., h]) / 2


def _percentiles(x: np.ndarray, q0: float, q1: float) -> tuple[float, float]:
    """np.percentile(x, [q0, q1]) (its linear method, the same float steps) of a 1-d float32 array, through
    one partition instead of numpy's general machinery."""
    n = len(x)
    pos = [(n - 1) * (q / 100.0) for q in (q0, q1)]
    ks = sorted({min(math.floor(v) + j, n - 1) for v in pos for j in (0, 1)})
    p = np.partition(x, ks)
    out = []
    for v in pos:
        i = min(math.floor(v), n - 1)
        a, b, t = p[i], p[min(i + 1, n - 1)], v - math.floor(v)
        diff = float(b - a)  # in the array's own precision, as numpy's _lerp
        out.append(float(b) - diff * (1.0 - t) if t >= 0.5 else float(a) + diff * t)
    return out[0], out[1]


_TARGETS: dict = {}


def _shade_target(shade: Shade, light: Light) -> tuple[np.ndarray, float]:
    """The shade's linear colour as the room lights it (core.light) and its luminance: cached, the same
    few shades and lights come back frame after frame."""
    key = (shade.rgb, light)
    hit = _TARGETS.get(key)
    if hit is None:
        target = light.apply(srgb_to_linear(np.asarray(shade.rgb, np.float64) / 255.0)).astype(np.float64)
        hit = (target.tolist(), float(target @ LUMA))
        if len(_TARGETS) > 64:
            _TARGETS.clear()
        _TARGETS[key] = hit
    return hit


@dataclass
class _PixelCache:
    """Per-face constants of the runtime steps, derived once from what `prepare` measured."""

    core_idx: np.ndarray  # indices of the core pixels (mask > 0.9)
    n_core: int
    inner: np.ndarray  # lip_interior(weight)
    unband: np.ndarray  # 1 - band, band = 1 - smoothstep(0.6, 0.95, weight): the lips' border band
    band_idx: np.ndarray  # where band > 0
    band_s: np.ndarray  # band there
    inner_s: np.ndarray  # inner there
    lit_rel: np.ndarray  # basis "illum/Ymed" / illum_ref
    bright: np.ndarray  # bool: basis "Y/Ymed" > 1 (lighter than the lips' median)
    bright_idx: np.ndarray  # where bright
    bare_core: np.ndarray  # (3, k) the bare lips' linear RGB at the core pixels


def _pixel_cache(prepared) -> _PixelCache:
    px = getattr(prepared, "_px", None)
    if px is not None:
        return px
    w = prepared.weight
    core_idx = np.flatnonzero(prepared.core)
    inner = prepared.inner if prepared.inner is not None else _lip_interior(w)
    band = 1.0 - _smoothstep(0.6, 0.95, w)
    band_idx = np.flatnonzero(band > 0.0)
    basis = prepared.basis
    bright = basis[:, 3] > 1.0
    px = _PixelCache(core_idx=core_idx, n_core=len(core_idx), inner=inner, unband=1.0 - band, band_idx=band_idx,
                     band_s=np.take(band, band_idx), inner_s=np.take(inner, band_idx),
                     lit_rel=basis[:, 4] / prepared.illum_ref, bright=bright, bright_idx=np.flatnonzero(bright),
                     bare_core=np.take(basis[:, :3].T, core_idx, axis=1))
    prepared._px = px
    return px


def _finish_terms(prepared, shade: Shade) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The parts of `GanLipstick._finish` that depend on the face, the finish and the shade but not on the
    network's output: (a per-pixel scale (n,) or None: the matte finish's flattening and the finish's
    texture softening, the finish's added light
    render.lipstick.finish_glow as (3, n) or None). Kept on `prepared` per finish, colour and light, and
    made while the network runs when `prepare` knows the shade."""
    from tryon_desktop.render.lipstick import FINISH_PARAMS, finish_glow, lip_depth, shade_linear

    p = FINISH_PARAMS[shade.finish]
    key = (p, tuple(shade.rgb), prepared.light)
    hit = prepared.finish_terms.get(key)
    if hit is not None:
        return hit
    px = _pixel_cache(prepared)
    b = prepared.basis
    matte = None
    if p.lit_gamma < 1.0:  # matte: the lips' better-lit half loses its moist sheen, as in the reference
        rel = np.maximum(px.lit_rel, 1.0)  # basis "illum/Ymed" / illum_ref, at least 1
        matte = np.power(rel, p.illum_gamma * (p.lit_gamma - 1.0), dtype=np.float32)
    if p.texture_gamma < 1.0:
        # the bright side of the lips' fine texture (their sheen within the lit level; the lines stay)
        # softened by GAN_TEXTURE_SHARE of the reference renderer's exponent for the finish (matte most,
        # satin and shimmer a little)
        tex = np.clip(b[:, 3] / np.maximum(b[:, 4], 1e-4), 1.0, 4.0)
        soft = np.power(tex, GAN_TEXTURE_SHARE * (p.texture_gamma - 1.0), dtype=np.float32)
        matte = soft if matte is None else matte * soft
    depth = None
    if p.sheen > 0 or p.wet > 0:
        flat = prepared.flat if prepared.flat is not None else np.ravel_multi_index(prepared.where, prepared.mask.shape)
        depth = np.take(lip_depth(prepared.mask).reshape(-1), flat)  # lip_depth(mask)[where]
    light = prepared.light
    glow = finish_glow(p, b[:, 4], b[:, 3] / np.maximum(b[:, 4], 1e-4), px.inner, prepared.where[0],
                       prepared.where[1], prepared.core, light, light.apply(shade_linear(shade)), depth, planar=True)
    if len(prepared.finish_terms) > 8:
        prepared.finish_terms.clear()
    hit = prepared.finish_terms[key] = (matte, glow)
    return hit


def _recompose_highlights(L: np.ndarray, prepared, gain: float) -> np.ndarray:
    """(3, n) linear made-up lips with their highlights remade: each pixel is split into a diffuse part, at
    most 1.05x the lips' lit level there, and the excess above it (a highlight). The diffuse part keeps
    its pull towards white only as far as the finish keeps highlights (`gain`, at most 1: a whitish
    pixel at the lips' level is a grey patch on a matte), and, where that pull was strong, not its drift
    from the lips' hue (a per-pixel colour transform fitted on lips turns a whitish highlight grey-blue
    or peach under a new shade); the excess comes back times `gain` (matte 0.15: almost none), in
    the lips' colour where it is small (texture) and the room's light colour where it is large (a
    reflection). So a matte nude over glossy red lips has no grey patches where their highlights were,
    and a gloss's highlights are the light's colour. The lips' mean colour, as the colour lock measured
    it, is kept."""
    px = _pixel_cache(prepared)
    Y = np.maximum(_LUMA @ L, 1e-5)
    y_core = np.take(Y, px.core_idx)
    lit = px.lit_rel * float(_median(y_core))
    diffuse = np.minimum(Y, 1.05 * lit)
    excess = Y - diffuse
    c = L / Y
    plain = px.core_idx[np.take(excess, px.core_idx) <= 0.0]  # core pixels without excess
    c_mean = _median(np.take(c, plain if len(plain) >= 10 else px.core_idx, axis=1))
    white = 1.0 - c_mean  # towards neutral (luminance 0: it moves the hue, not the brightness)
    c_mean_col = c_mean[:, None]
    t = white @ (c - c_mean_col)
    t /= max(float(white @ white), 1e-6)
    np.minimum(np.maximum(t, 0.0, out=t), 1.0, out=t)  # clip(t, 0, 1)
    trust = np.minimum(4.0 * t, 1.0)
    np.subtract(1.0, trust, out=trust)
    # the pull towards white is a sheen: it stays as far as the finish keeps highlights (matte: 15%)
    c_d = np.multiply.outer(white, t * min(gain, 1.0))
    np.add(c_mean_col, c_d, out=c_d)
    drift = np.subtract(c, np.multiply.outer(white, t), out=c)  # c is not needed after this
    drift -= c_mean_col
    drift *= trust
    c_d += drift
    out = c_d * diffuse
    if gain > 0.0:
        # a little excess is the lips' texture (their own colour); a lot is a reflection (the light's)
        w = _smoothstep(1.0, 2.0, excess / np.maximum(lit, 1e-5))
        spec = np.multiply(c_d, 1.0 - w, out=drift)
        spec += np.multiply.outer(prepared.light.rgb.astype(np.float32), w)
        excess *= gain
        spec *= excess
        out += spec
    # The lips' mean colour over the band the colour lock measures (luminance p10-p85 of the core) stays
    # where the lock put it: taking the grey-blue patches out must not move the shade.
    lo, hi = _percentiles(y_core, 10.0, 85.0)
    band = px.core_idx[(y_core >= lo) & (y_core <= hi)]
    if len(band) >= 10:
        before = np.take(L, band, axis=1).sum(1)
        after = np.take(out, band, axis=1).sum(1)
        g = before / np.maximum(after, 1e-9)
        g *= float(_LUMA @ after) / max(float(_LUMA @ (after * g)), 1e-9)  # the colour only, not the level
        out *= g.astype(np.float32)[:, None]
    return out.astype(np.float32, copy=False)


def _encode_planar(L: np.ndarray, in_range: bool = False) -> np.ndarray:
    """encode_bgr8 on a (3, n) linear R, G, B array -> (3, n) uint8 in B, G, R order (in_range: L is
    known to lie in [0, 1] already, the clip is skipped)."""
    x = L[::-1] * float(_ENC_N - 1) if in_range else np.minimum(np.maximum(L[::-1], 0.0), 1.0) * float(_ENC_N - 1)
    x += 0.5
    return _ENC_LUT[x.astype(np.intp)]  # indexing with intp: int32 indices cost numpy a conversion (3x slower)


def _to_bgr8(L: np.ndarray) -> np.ndarray:
    """encode_bgr8(clip_to_white(L.T)) for a (3, n) array: the clip to white is worked out on the pixels
    past white only (a few highlights), the others pass through it unchanged."""
    L = np.maximum(L, 0.0)
    peak = np.maximum(np.maximum(L[0], L[1]), L[2])
    over = np.flatnonzero(peak > 1.0)
    if len(over):
        pk = np.take(peak, over)
        t = np.minimum(pk - 1.0, 1.0)  # clip(peak - 1, 0, 1) where peak > 1
        # scaled * (1 - t) + t, scaled = L / max(peak, 1); then encode's clip (a rounding can pass 1)
        L[:, over] = np.minimum(np.take(L, over, axis=1) / pk * (1.0 - t) + t, 1.0)
    return _encode_planar(L, in_range=True)


@dataclass
class PreparedLips:
    """What `prepare` measured on one face (the align stage)."""

    image: np.ndarray  # (1, 4, IN_H, IN_W) network input
    basis: np.ndarray  # (n, N_BASIS) basis of the box pixels under the mask
    where: tuple[np.ndarray, np.ndarray]  # their (rows, cols) in the box
    taps: tuple  # (map_x, map_y) float32, folded: where those pixels sample the coefficient grid
    roi: np.ndarray  # the box's pixels (uint8 BGR, a view of the frame)
    mask: np.ndarray  # (h, w) soft lip mask = alpha
    y_med: float
    chroma: np.ndarray
    key: tuple[float, float, float]  # mouth centre x, y and width: which face this is, for smoothing
    light: Light = NEUTRAL  # the room's light on the face (core.light)
    weight: np.ndarray | None = None  # (n,) the soft lip mask at those pixels
    core: np.ndarray | None = None  # (n,) bool: well inside the lips (mask > 0.9)
    illum_ref: float = 1.0  # the median illumination (basis "illum/Ymed") over the core
    inner: np.ndarray | None = None  # (n,) lip_interior(weight): 0 on the feathered rim, 1 well inside
    flat: np.ndarray | None = None  # (n,) the pixels' flat indices in the box (row-major)
    # (shade, a function waiting for the network's output): the run `prepare` started on the helper thread for
    # the shade to be worn
    network: tuple | None = field(default=None, repr=False)
    finish_terms: dict = field(default_factory=dict, repr=False)  # `_finish_terms`, per finish, colour and light




class GanLipstick:
    """The ONNX lipstick generator as a LipstickBackend (see module docstring for the model's I/O).

    `colour_lock` (0 = the generator's raw colour, 1 = full) is a luminance-neutral per-channel gain that
    pins the lips' mean chromaticity to the shade's (see `_lock_colour`).
    `temporal` blends each face's coefficient grid with the previous frame's (in canonical-patch space,
    so it follows the face) while the shade stays the same: the colour does not shimmer with sensor noise.
    Given the shade, `prepare` runs the network on a helper thread while it measures the rest (issue 12).
    """

    name = "gan"
    starts_early = True  # prepare(..., shade=) starts the network at once (LipstickEffect passes the shade)

    def __init__(self, manifest_path: str | Path, providers: list[str] | None = None,
                 temporal: float = 0.5, colour_lock: float = 1.0) -> None:
        from tryon_desktop.vision.onnx_runtime import SHORT_NAMES, load_model

        # One thread: the model is ~0.07 GMAC, a thread pool only adds wake-up jitter when the GUI,
        # the tracker and the capture thread compete for the same cores.
        loaded = load_model(manifest_path, providers=providers, threads=1)
        self.session = loaded.session
        self.manifest = loaded.manifest
        self.provider = SHORT_NAMES.get(loaded.provider, loaded.provider)
        self.notice = loaded.notice
        inputs = self.manifest.inputs
        want = {"image": [1, 4, IN_H, IN_W], "cond": [1, COND_DIM]}
        for key, shape in want.items():
            got = inputs.get(key, {}).get("shape") if isinstance(inputs.get(key), dict) else None
            if got != shape:
                raise ModelError(f"model {self.manifest.model_path.name} expects {key} {got}, "
                                 f"this app feeds {shape}: model and app versions do not match")
        names = [i.name for i in self.session.get_inputs()]
        if sorted(names) != ["cond", "image"]:
            raise ModelError(f"model {self.manifest.model_path.name} has inputs {names}, expected image and cond")
        self.temporal = float(temporal)
        self.colour_lock = float(colour_lock)
        self._memory: list[tuple[tuple[float, float, float], Shade, np.ndarray]] = []
        self._gain_memory: list[tuple[tuple[float, float, float], Shade, np.ndarray]] = []

    def prepare(self, frame: np.ndarray, landmarks: np.ndarray, box: Box, mask: np.ndarray,
                light: Light | Callable[[], Light] | None = None, shade: Shade | None = None) -> PreparedLips | None:
        """Measure one face's lips (the align stage).

        light: the room's light on the face, a function that reads it, or None (read from this frame).
        shade: the shade about to be worn, when known (LipstickEffect passes it). The network then runs on the
        helper thread as soon as its input is ready (onnxruntime lets go of the GIL while it runs), while
        this thread measures the rest (the per-pixel basis, the light, what `generate` will want for this
        shade) and does whatever the caller does before `generate`, which waits for what is left of it.
        The same numbers either way.

        Only the network goes to the helper: work with Python between its calls (the warps, numpy) runs no
        faster on two threads, which hand the GIL to and fro, each hand-over waking a thread.
        """
        if box.empty:
            return None
        mw = mouth_width(landmarks)
        if mw < 4.0:
            return None
        roi = frame[box.slices]
        mask = np.ascontiguousarray(mask, np.float32)
        flat_mask = mask.reshape(-1)
        idx = np.flatnonzero(flat_mask > 0.0)
        weight = flat_mask[idx]
        colour = _lip_colour(roi, idx, weight)  # all the network's condition needs from the pixels
        if colour is None:
            return None
        planes, Y, y_med, chroma = colour
        a, b = landmarks[MOUTH_CORNERS[0], :2], landmarks[MOUTH_CORNERS[1], :2]
        M = corner_alignment(a, b)  # frame -> patch
        # Warp only the box (its offset folded into M) into the canonical patch.
        M_roi = compose(M, np.array([[1.0, 0.0, box.x0], [0.0, 1.0, box.y0]]))
        image = _network_image(roi, mask, M_roi)
        network = None
        if shade is not None:
            cond = condition_vector(shade, y_med, chroma)[None]
            network = (shade, _HELPER.submit(partial(self._run, image, cond)))
        # From here on, what the network does not need (it runs meanwhile, when started above).
        inner = _basis_rows(planes, Y, y_med, mask, idx, weight, mw, SPARKLE_ORIGIN)
        ys, xs = np.divmod(idx, mask.shape[1])
        core = weight > 0.9
        Mg = compose(_GRID_FROM_PATCH, M_roi)  # box pixel -> grid cell coordinates
        gx = Mg[0, 0] * xs + Mg[0, 1] * ys + Mg[0, 2]
        gy = Mg[1, 0] * xs + Mg[1, 1] * ys + Mg[1, 2]
        centre = 0.5 * (a + b)
        illum_ref = 1.0
        core_idx = np.flatnonzero(core)
        if len(core_idx):
            illum_ref = max(float(_median(np.take(planes[4], core_idx))), 1e-4)
        if callable(light):
            light = light()
        prepared = PreparedLips(image=image, basis=planes.T, where=(ys, xs), taps=_remap_maps(gx, gy), roi=roi,
                                mask=mask, y_med=y_med, chroma=chroma, key=(float(centre[0]), float(centre[1]), mw),
                                light=light if light is not None else (scene_light(frame, landmarks) or NEUTRAL),
                                weight=weight, core=core, illum_ref=illum_ref, inner=inner, flat=idx, network=network)
        if shade is not None:  # what generate will want for this shade
            _pixel_cache(prepared)
            _finish_terms(prepared, shade)
        return prepared

    def coefficients(self, prepared: PreparedLips, shade: Shade) -> np.ndarray:
        """The raw model output for one face: (GRID_H, GRID_W, N_COEF) float32."""
        return self._run(prepared.image, condition_vector(shade, prepared.y_med, prepared.chroma)[None])

    def _run(self, image: np.ndarray, cond: np.ndarray) -> np.ndarray:
        out = self.session.run(["coef"], {"image": image, "cond": cond})[0]
        # (N_COEF, GRID_H * GRID_W) -> (GRID_H * GRID_W, N_COEF): OpenCV's transpose, twice numpy's strided copy
        return cv2.transpose(out.reshape(N_COEF, GRID_H * GRID_W)).reshape(GRID_H, GRID_W, N_COEF)

    def _network(self, prepared: PreparedLips, shade: Shade) -> np.ndarray:
        """`coefficients`, from the run `prepare` started when it was for this shade."""
        done = prepared.network
        if done is not None and done[0] == shade:
            return done[1]()  # waits for the helper thread, if it has not finished
        return self.coefficients(prepared, shade)

    def _smooth(self, prepared: PreparedLips, shade: Shade, grid: np.ndarray, memory: str = "_memory") -> np.ndarray:
        """Blend `grid` with this face's previous value kept in the list attribute `memory` (same shade,
        the face barely moved), and remember the result."""
        if self.temporal <= 0.0:
            return grid
        x, y, w = prepared.key
        best = None
        for key, prev_shade, prev in getattr(self, memory):
            if prev.shape == grid.shape and prev_shade == shade:
                d = math.hypot(key[0] - x, key[1] - y)
                # Same face only if it barely moved and kept its size.
                if d < 0.08 * w and abs(key[2] - w) < 0.08 * w and (best is None or d < best[0]):
                    best = (d, prev)
        if best is not None:
            if grid.size >= 64:  # OpenCV's SIMD weighted sum: the same within float rounding, 4x faster
                grid = cv2.addWeighted(best[1], self.temporal, grid, 1.0 - self.temporal, 0.0)
            else:
                grid = self.temporal * best[1] + (1.0 - self.temporal) * grid
        kept = [m for m in getattr(self, memory) if math.hypot(m[0][0] - x, m[0][1] - y) > 0.5 * w][-3:]
        setattr(self, memory, kept + [(prepared.key, shade, grid)])
        return grid

    def generate(self, prepared: PreparedLips | None, shade: Shade) -> tuple[np.ndarray, np.ndarray] | None:
        if prepared is None:
            return None
        grid = self._smooth(prepared, shade, self._network(prepared, shade))
        # bilinear, edges replicated: the same as the training's upsampling (align_corners=False)
        n = len(prepared.basis)
        coef = cv2.remap(grid, prepared.taps[0], prepared.taps[1], cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_REPLICATE).reshape(-1, N_COEF)[:n]
        # out_c = sum_k coef[c * N_BASIS + k] * basis_k, with both sides channel-planar (3, N_BASIS, n) and
        # (N_BASIS, n): einsum then runs along the pixels. The result is (n, 3) in planar memory (a transposed
        # view of a (3, n) array): every per-channel step below runs along the pixels too.
        lin = np.einsum("ckn,kn->cn", cv2.transpose(coef).reshape(3, N_BASIS, n), _planar(prepared.basis)).T
        if self.colour_lock > 0.0:
            lin = self._lock_colour(lin, prepared, shade)
        lin = self._tidy(lin, prepared)
        lin = self._finish(lin, prepared, shade)
        region = prepared.roi.copy()
        bgr = _to_bgr8(_planar(lin))
        flat = prepared.flat if prepared.flat is not None else np.ravel_multi_index(prepared.where, region.shape[:2])
        out = region.reshape(-1, 3)
        for ch in range(3):
            out[flat, ch] = bgr[ch]
        return region, edge_alpha(prepared.mask)

    @staticmethod
    def _tidy(lin: np.ndarray, prepared: PreparedLips) -> np.ndarray:
        """Keep every made-up pixel in the shade's hue.

        The per-pixel transform was made for lips, and for shades far from any lip colour (near-black,
        blue) or pixels unlike lips it can stray: red and green speckle on a black shade, a pale blue or
        white outline on the border band (the vermilion ridge and the skin just past the lip line,
        brighter than the lips). A pixel's chromaticity is split into the made-up lips' mean, a part
        towards white (a highlight, kept) and the rest, which is limited to CHROMA_TOLERANCE: natural
        variation stays, speckle goes. On the border band the rest goes entirely, the luminance is
        held to the lips' own there, and past the lip line the colour fades to the lips' mean colour
        under their illumination.
        """
        px = _pixel_cache(prepared)
        if px.n_core < 20:
            return lin
        L = _planar(lin)  # (3, n)
        Y = np.maximum(_LUMA @ L, 1e-5)
        d = L / Y  # the chromaticity c, made into d = c - c_mean in place below
        c_mean = _median(np.take(d, px.core_idx, axis=1))
        white = 1.0 - c_mean
        d -= c_mean[:, None]
        t = (white @ d) / max(float(white @ white), 1e-6)
        np.minimum(np.maximum(t, 0.0, out=t), 1.0, out=t)  # clip(t, 0, 1)
        d -= np.multiply.outer(white, t)  # the rest
        size = np.sqrt(np.einsum("cn,cn->n", d, d))
        keep = CHROMA_TOLERANCE / np.maximum(size, 1e-6)
        np.minimum(keep, 1.0, out=keep)
        keep *= px.unband
        c_ok = np.multiply.outer(white, t * px.inner)
        c_ok += c_mean[:, None]
        d *= keep
        c_ok += d
        y_med = float(_median(np.take(Y, px.core_idx)))
        lit = px.lit_rel * y_med  # the lips here
        # A pixel that was lighter than the lips' median (a highlight) never comes out much darker than the
        # lips around it: the transform can overshoot there and leave a black speck.
        bi = px.bright_idx
        y = Y
        y[bi] = np.maximum(np.take(Y, bi), 0.6 * np.take(lit, bi))
        sel = px.band_idx
        if len(sel):
            lit_s, band_s, inner_s = np.take(lit, sel), px.band_s, px.inner_s
            ys = np.take(y, sel)
            yb = np.minimum(ys, BORDER_LIFT * lit_s)  # a pale outline is the halo too
            yb = inner_s * yb + (1.0 - inner_s) * np.minimum(lit_s, y_med)
            y[sel] = (1.0 - band_s) * ys + band_s * yb
        c_ok *= y
        return c_ok.astype(np.float32, copy=False).T

    @staticmethod
    def _finish(lin: np.ndarray, prepared: PreparedLips, shade: Shade) -> np.ndarray:
        """Sharpen the finish the network only partly learned: the highlights above the lips' own lit
        level are remade in the light's colour (`_recompose_highlights`) and taken out on matte, softened
        on satin, raised on gloss; the lips' fine texture is softened as the reference softens it; then
        the finish's own light is added as the reference renderer adds it (render.lipstick.finish_glow:
        satin's soft sheen, gloss's wet reflection, shimmer's sparkle fixed to the lips), so a finish
        shows on lips without highlights."""
        core = prepared.core
        if core is None or core.sum() < 20:
            return lin
        L = _recompose_highlights(_planar(lin), prepared, FINISH_HIGHLIGHT.get(shade.finish.value, 1.0))
        # the matte scale and render.lipstick.finish_glow's light: see _finish_terms
        matte, glow = _finish_terms(prepared, shade)
        if matte is not None:
            L = L * matte
        if glow is not None:
            L = L + shade.opacity * glow
        return L.astype(np.float32, copy=False).T

    def _lock_colour(self, lin: np.ndarray, prepared: PreparedLips, shade: Shade) -> np.ndarray:
        """Pull the made-up lips' mean colour onto the shade's as the room lights it: one gain per colour
        channel, keeping the generator's shading, texture and highlights.

        Chromaticity goes to the shade's times the light's colour; luminance to the shade's own times the
        room's exposure (core.light), so a plum is as dark as plum and a nude covers dark lips. Both follow
        the opacity: a sheer shade is meant to mix with the lips' own colour.
        """
        px = _pixel_cache(prepared)
        if px.n_core < 20:
            return lin
        L = _planar(lin)
        lips = np.take(L, px.core_idx, axis=1)  # (3, k)
        y = _LUMA @ lips
        lo, hi = _percentiles(y, 10.0, 85.0)
        keep = np.flatnonzero((y >= lo) & (y <= hi))
        k = len(keep)
        if k < 10:
            return lin
        # The 3-vector arithmetic in plain floats: a few dozen numpy calls on 3 numbers cost more than the
        # pixel work.
        mean = (np.take(lips, keep, axis=1).sum(1) / k).tolist()
        lr, lg, lb = _LUMA_PY
        y_mean = mean[0] * lr + mean[1] * lg + mean[2] * lb
        target, y_t = _shade_target(shade, prepared.light)
        if y_mean <= 1e-5 or y_t <= 1e-5:
            return lin
        gain = [min(max((tc / y_t) / max(mc / y_mean, 1e-4), 0.25), 4.0) for tc, mc in zip(target, mean, strict=True)]
        norm = (gain[0] * mean[0] * lr + gain[1] * mean[1] * lg + gain[2] * mean[2] * lb) / y_mean
        strength = self.colour_lock * shade.opacity
        gain = [1.0 + strength * (gc / norm - 1.0) for gc in gain]  # chromaticity only so far
        # Luminance: the opacity's mix of the shade's (lit by the room) and the bare lips'.
        bare = np.take(px.bare_core, keep, axis=1).sum(1).tolist()
        y_bare = (bare[0] * lr + bare[1] * lg + bare[2] * lb) / k
        y_goal = shade.opacity * y_t * prepared.light.exposure + (1.0 - shade.opacity) * y_bare
        scale = min(max(y_goal / y_mean, 0.03), 4.0) ** self.colour_lock
        # The lips' mean shifts as a mouth talks (more or less inner lip, teeth shadow): the gains are
        # smoothed over frames like the coefficient grid, so the colour does not pump with speech.
        g = self._smooth(prepared, shade, np.array([gc * scale for gc in gain], np.float32), "_gain_memory")
        return (L * g[:, None]).T

    def reset(self) -> None:
        self._memory = []
        self._gain_memory = []
