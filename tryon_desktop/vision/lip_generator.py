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
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from tryon_desktop.core.colour import LUMA, srgb_to_lab, srgb_to_linear
from tryon_desktop.core.geometry import Box, canonical_lip_points, lip_alignment
from tryon_desktop.core.light import NEUTRAL, Light, scene_light
from tryon_desktop.core.looks import FINISHES, Shade
from tryon_desktop.core.masks import MOUTH_CORNERS, mouth_width
from tryon_desktop.render.lipstick import lip_interior, smoothstep
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
FINISH_HIGHLIGHT = {"matte": 0.15, "satin": 0.7, "gloss": 1.6}  # x the highlights above the lips' lit level
CHROMA_TOLERANCE = 0.12  # how far (linear chromaticity) a made-up pixel's hue may stray from the lips' mean
COND_LAYOUT = ("shade_lin_r", "shade_lin_g", "shade_lin_b", "shade_L/100", "shade_a/100", "shade_b/100",
               "finish_matte", "finish_satin", "finish_gloss", "finish_shimmer", "opacity",
               "log_lip_Y", "lip_chroma_r", "lip_chroma_g", "lip_chroma_b")
COND_DIM = len(COND_LAYOUT)

_LIN_LUT = srgb_to_linear(np.arange(256) / 255.0).astype(np.float32)
_LUMA = LUMA.astype(np.float32)


def illumination(Y: np.ndarray, mask: np.ndarray, mouth_w: float) -> np.ndarray:
    """Low-frequency lip luminance: a mask-normalised blur, so skin and teeth do not smear into it.

    The blur is wide (sigma = 6% of the mouth's width), so it runs on a 4x smaller copy: the same
    result for a smooth field at a fraction of the cost.
    """
    sigma = max(1.0, 0.06 * mouth_w)
    h, w = Y.shape
    m = mask.astype(np.float32)
    f = 4 if sigma >= 6.0 and min(h, w) >= 16 else 1
    ym = Y * m
    if f > 1:
        sw, sh = max(1, w // f), max(1, h // f)
        ym_s = cv2.resize(ym, (sw, sh), interpolation=cv2.INTER_AREA)
        m_s = cv2.resize(m, (sw, sh), interpolation=cv2.INTER_AREA)
        num = cv2.resize(cv2.GaussianBlur(ym_s, (0, 0), sigma * sw / w), (w, h), interpolation=cv2.INTER_LINEAR)
        den = cv2.resize(cv2.GaussianBlur(m_s, (0, 0), sigma * sw / w), (w, h), interpolation=cv2.INTER_LINEAR)
    else:
        num = cv2.GaussianBlur(ym, (0, 0), sigma)
        den = cv2.GaussianBlur(m, (0, 0), sigma)
    base = np.where(den > 1e-3, num / np.maximum(den, 1e-3), Y)
    return np.maximum(base, 1e-4).astype(np.float32)


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
    # sparkle tied to frame pixels (as in the reference renderer): steady on a still face
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
    srgb = np.asarray(shade.rgb, np.float64) / 255.0
    lab = srgb_to_lab(srgb)
    finish = [1.0 if shade.finish == f else 0.0 for f in FINISHES]
    v = np.concatenate([srgb_to_linear(srgb), lab / 100.0, finish, [shade.opacity],
                        [np.log(max(y_med, 1e-4))], np.clip(chroma, 0.0, 4.0)])
    return v.astype(np.float32)


def network_input(patch_bgr: np.ndarray, patch_mask: np.ndarray) -> np.ndarray:
    """Canonical patch (PATCH_H, PATCH_W) -> the network's `image` input (1, 4, IN_H, IN_W)."""
    small = cv2.resize(patch_bgr, (IN_W, IN_H), interpolation=cv2.INTER_AREA)
    m = cv2.resize(patch_mask.astype(np.float32), (IN_W, IN_H), interpolation=cv2.INTER_AREA)
    rgb = small[..., ::-1].astype(np.float32) * (2.0 / 255.0) - 1.0
    x = np.concatenate([rgb, m[..., None]], axis=-1)
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None])


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


class GanLipstick:
    """The ONNX lipstick generator as a LipstickBackend (see module docstring for the model's I/O).

    `colour_lock` (0 = the generator's raw colour, 1 = full) is a luminance-neutral per-channel gain that
    pins the lips' mean chromaticity to the shade's (see `_lock_colour`).
    `temporal` blends each face's coefficient grid with the previous frame's (in canonical-patch space,
    so it follows the face) while the shade stays the same: the colour does not shimmer with sensor noise.
    """

    name = "gan"

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
                light: Light | None = None) -> PreparedLips | None:
        if box.empty:
            return None
        mw = mouth_width(landmarks)
        if mw < 4.0:
            return None
        roi = frame[box.slices]
        where = mask > 0.0
        feats = basis_features(roi, mask, mw, (box.x0, box.y0), where=where)
        if feats is None:
            return None
        basis, y_med, chroma = feats
        a, b = landmarks[MOUTH_CORNERS[0], :2], landmarks[MOUTH_CORNERS[1], :2]
        M = corner_alignment(a, b)  # frame -> patch
        # Warp only the box (its offset folded into M) into the canonical patch.
        M_roi = compose(M, np.array([[1.0, 0.0, box.x0], [0.0, 1.0, box.y0]]))
        patch = cv2.warpAffine(roi, M_roi, (PATCH_W, PATCH_H), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REPLICATE)
        pmask = cv2.warpAffine(mask, M_roi, (PATCH_W, PATCH_H), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        ys, xs = np.nonzero(where)
        weight = mask[ys, xs]
        core = weight > 0.9
        Mg = compose(grid_to_patch_matrix(), M_roi)  # box pixel -> grid cell coordinates
        gx = Mg[0, 0] * xs + Mg[0, 1] * ys + Mg[0, 2]
        gy = Mg[1, 0] * xs + Mg[1, 1] * ys + Mg[1, 2]
        centre = 0.5 * (a + b)
        return PreparedLips(image=network_input(patch, pmask), basis=basis, where=(ys, xs),
                            taps=_remap_maps(gx, gy), roi=roi, mask=mask, y_med=y_med,
                            chroma=chroma, key=(float(centre[0]), float(centre[1]), mw),
                            light=light if light is not None else (scene_light(frame, landmarks) or NEUTRAL),
                            weight=weight, core=core,
                            illum_ref=max(float(np.median(basis[core, 4])), 1e-4) if core.any() else 1.0)

    def coefficients(self, prepared: PreparedLips, shade: Shade) -> np.ndarray:
        """The raw model output for one face: (GRID_H, GRID_W, N_COEF) float32."""
        cond = condition_vector(shade, prepared.y_med, prepared.chroma)[None]
        out = self.session.run(["coef"], {"image": prepared.image, "cond": cond})[0]
        return np.ascontiguousarray(out[0].transpose(1, 2, 0))

    def _smooth(self, prepared: PreparedLips, shade: Shade, grid: np.ndarray, memory: str = "_memory") -> np.ndarray:
        """Blend `grid` with this face's previous value kept in the list attribute `memory` (same shade,
        the face barely moved), and remember the result."""
        if self.temporal <= 0.0:
            return grid
        x, y, w = prepared.key
        best = None
        for key, prev_shade, prev in getattr(self, memory):
            if prev_shade == shade and prev.shape == grid.shape:
                d = np.hypot(key[0] - x, key[1] - y)
                # Same face only if it barely moved and kept its size.
                if d < 0.08 * w and abs(key[2] - w) < 0.08 * w and (best is None or d < best[0]):
                    best = (d, prev)
        if best is not None:
            grid = self.temporal * best[1] + (1.0 - self.temporal) * grid
        kept = [m for m in getattr(self, memory) if np.hypot(m[0][0] - x, m[0][1] - y) > 0.5 * w][-3:]
        setattr(self, memory, kept + [(prepared.key, shade, grid)])
        return grid

    def generate(self, prepared: PreparedLips | None, shade: Shade) -> tuple[np.ndarray, np.ndarray] | None:
        if prepared is None:
            return None
        grid = self._smooth(prepared, shade, self.coefficients(prepared, shade))
        # bilinear, edges replicated: the same as the training's upsampling (align_corners=False)
        n = len(prepared.basis)
        coef = cv2.remap(grid, prepared.taps[0], prepared.taps[1], cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_REPLICATE).reshape(-1, N_COEF)[:n].reshape(n, 3, N_BASIS)
        lin = np.einsum("nck,nk->nc", coef, prepared.basis)
        if self.colour_lock > 0.0:
            lin = self._lock_colour(lin, prepared, shade)
        lin = self._tidy(lin, prepared)
        lin = self._finish(lin, prepared, shade)
        region = prepared.roi.copy()
        region[prepared.where] = encode_bgr8(clip_to_white(lin))
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
        m, core = prepared.weight, prepared.core
        if core.sum() < 20:
            return lin
        Y = np.maximum(lin @ _LUMA, 1e-5)
        c = lin / Y[:, None]
        c_mean = np.median(c[core], axis=0)
        white = 1.0 - c_mean
        t = np.clip(((c - c_mean) @ white) / max(float(white @ white), 1e-6), 0.0, 1.0)
        rest = c - c_mean - t[:, None] * white[None, :]
        size = np.linalg.norm(rest, axis=1)
        band = 1.0 - smoothstep(0.6, 0.95, m)
        keep = np.minimum(1.0, CHROMA_TOLERANCE / np.maximum(size, 1e-6)) * (1.0 - band)
        inner = lip_interior(m)
        c_ok = c_mean[None, :] + (t * inner)[:, None] * white[None, :] + keep[:, None] * rest
        y_med = float(np.median(Y[core]))
        lit = prepared.basis[:, 4] / prepared.illum_ref * y_med  # the lips here
        # A pixel that was lighter than the lips' median (a highlight) never comes out much darker than the
        # lips around it: the transform can overshoot there and leave a black speck.
        y = np.where(prepared.basis[:, 3] > 1.0, np.maximum(Y, 0.6 * lit), Y)
        sel = band > 0.0
        if sel.any():
            yb = np.minimum(y[sel], 1.25 * lit[sel])  # a pale outline is the halo too
            yb = inner[sel] * yb + (1.0 - inner[sel]) * np.minimum(lit[sel], y_med)
            y[sel] = (1.0 - band[sel]) * y[sel] + band[sel] * yb
        return (c_ok * y[:, None]).astype(np.float32)

    @staticmethod
    def _finish(lin: np.ndarray, prepared: PreparedLips, shade: Shade) -> np.ndarray:
        """Sharpen the finish the network only partly learned: the highlights above the lips' own lit
        level are taken out on matte, softened on satin, raised on gloss (shimmer's sparkle is its own)."""
        gain = FINISH_HIGHLIGHT.get(shade.finish.value, 1.0)
        if gain == 1.0:
            return lin
        core = prepared.core
        if core.sum() < 20:
            return lin
        Y = np.maximum(lin @ _LUMA, 1e-5)
        lit = prepared.basis[:, 4] / prepared.illum_ref * float(np.median(Y[core]))
        excess = np.maximum(Y - 1.05 * lit, 0.0)
        y = np.maximum(Y + (gain - 1.0) * excess, 1e-5)
        return (lin * (y / Y)[:, None]).astype(np.float32)

    def _lock_colour(self, lin: np.ndarray, prepared: PreparedLips, shade: Shade) -> np.ndarray:
        """Pull the made-up lips' mean colour onto the shade's as the room lights it: one gain per colour
        channel, keeping the generator's shading, texture and highlights.

        Chromaticity goes to the shade's times the light's colour; luminance to the shade's own times the
        room's exposure (core.light), so a plum is as dark as plum and a nude covers dark lips. Both follow
        the opacity: a sheer shade is meant to mix with the lips' own colour.
        """
        core = prepared.core
        if core.sum() < 20:
            return lin
        lips = lin[core]
        y = lips @ _LUMA
        lo, hi = np.percentile(y, [10, 85])
        keep = (y >= lo) & (y <= hi)
        if keep.sum() < 10:
            return lin
        mean = lips[keep].mean(0)
        y_mean = float(mean @ _LUMA)
        target = prepared.light.apply(srgb_to_linear(np.asarray(shade.rgb, np.float64) / 255.0)).astype(np.float64)
        y_t = float(target @ LUMA)
        if y_mean <= 1e-5 or y_t <= 1e-5:
            return lin
        gain = (target / y_t) / np.maximum(mean / y_mean, 1e-4)
        gain = np.clip(gain, 0.25, 4.0)
        gain = gain / float((gain * mean) @ _LUMA / y_mean)  # chromaticity only so far
        strength = self.colour_lock * shade.opacity
        gain = 1.0 + strength * (gain - 1.0)
        # Luminance: the opacity's mix of the shade's (lit by the room) and the bare lips'.
        y_bare = float(prepared.basis[core][keep, :3].mean(0) @ _LUMA)
        y_goal = shade.opacity * y_t * prepared.light.exposure + (1.0 - shade.opacity) * y_bare
        scale = float(np.clip(y_goal / y_mean, 0.03, 4.0)) ** self.colour_lock
        # The lips' mean shifts as a mouth talks (more or less inner lip, teeth shadow): the gains are
        # smoothed over frames like the coefficient grid, so the colour does not pump with speech.
        g = self._smooth(prepared, shade, (gain * scale).astype(np.float32), "_gain_memory")
        return lin * g

    def reset(self) -> None:
        self._memory = []
        self._gain_memory = []
