"""The outfit generator (an ONNX model trained by tryon_desktop.train.outfit_train) behind the outfit backend.

How it makes up a garment (design: "the reference rendering, corrected by a grid of learned colour
transforms"):

1. reference  The reference renderer (render/outfit.py) makes the garment the chosen colour or pattern at
              the frame's own resolution: albedo times the garment's own shading. It keeps every fold and
              thread by construction, but its light is a model: highlights stay the fabric's colour, shadows
              keep their hue, a white shirt turned black keeps a grey sheen it would not have.
2. network    G(original, reference, mask; condition) sees the garment box shrunk to IN x IN (both images
              plus the mask) and predicts a GRID x GRID grid of colour transforms: per cell, each output
              colour (linear R, G, B) is a mix of the basis (the reference's linear R, G, B, the original's
              shading Y / Ymed, and a constant). It starts as the identity (the reference itself) and is
              trained with real photographs (reverse pairs and a discriminator) to learn how fabric of that
              colour really takes the room's light.
3. apply      At IN x IN the grid is applied exactly as in training; the change it makes to the reference
              (a smooth field: the transforms are smooth and the basis is the reference's own) is upsampled
              to the box and added to the full-resolution reference, so texture and sharpness stay the
              frame's own, at any garment size.

The condition: the target's CIELAB / 100 and linear RGB (a pattern's: its albedo's mean), a pattern flag, the
garment's own median luminance (log10) and CIELAB / 100. Strength mixes the result with the original after
the network, as the reference renderer does.

ONNX model (static shapes): `image` float32 (1, 7, IN, IN) = original sRGB R,G,B in [-1, 1], reference
sRGB R,G,B in [-1, 1], garment mask in [0, 1]; `cond` float32 (1, COND_DIM). Output `coef` float32
(1, N_COEF, GRID, GRID): coef[c * N_BASIS + k] multiplies basis k for output channel c (R, G, B).

onnxruntime + numpy + cv2 only: no torch here. The training code imports the numpy half of this module,
so the app and the training prepare their inputs with the same functions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import cv2
import numpy as np

from tryon_desktop.core.background import HELPER
from tryon_desktop.core.colour import LUMA, linear_to_xyz, xyz_to_lab
from tryon_desktop.errors import ModelError
from tryon_desktop.render.patterns import TwoTone, albedo_mean, as_albedo
from tryon_desktop.render.outfit import (
    WorkArrays as _Work,
    _DEC,
    _ENC,
    _ENC_N,
    PrintRemover,
    _shoulder,
    add_chroma,
    brightening,
    chroma_delta,
    chroma_texture,
    colour_table,
    contrast_damping,
    damping,
    decode,
    grain_step_runs,
    luma8,
    median_luma_luminance,
    print_free_luma,
    quiet_luma,
    render_garment,
    shading_table,
)

log = logging.getLogger(__name__)

IN = 128  # network input (the garment box, stretched to a square)
GRID = 16  # coefficient grid (GRID x GRID cells over the box)
BASIS = ("ref_lin_r", "ref_lin_g", "ref_lin_b", "shade", "one")
N_BASIS = len(BASIS)
N_COEF = 3 * N_BASIS
SHADE_MAX = 4.0
COND_LAYOUT = ("target_L/100", "target_a/100", "target_b/100", "target_lin_r", "target_lin_g", "target_lin_b",
               "is_pattern", "log10_garment_Y", "garment_L/100", "garment_a/100", "garment_b/100")
COND_DIM = len(COND_LAYOUT)
MID_BAND = (35.0, 65.0)  # luminance percentiles whose pixels give a garment's colour (no highlights, no shadows)
_LUMA_RGB = LUMA.astype(np.float32)


def lab_of_linear_rgb(rgb_lin: np.ndarray) -> np.ndarray:
    return np.asarray(xyz_to_lab(linear_to_xyz(np.asarray(rgb_lin, np.float64))), np.float64)


def garment_colour(region_bgr: np.ndarray, alpha: np.ndarray) -> np.ndarray | None:
    """Linear RGB (3,) of the garment: the median colour of its core pixels whose luminance lies in the
    middle band (MID_BAND percentiles), so highlights and shadows do not pull it. None if no garment."""
    core = alpha[::2, ::2] > 0.5  # every other pixel: plenty for a median, 4x cheaper
    if core.sum() < 16:
        return None
    lin = decode(region_bgr[::2, ::2][core])[:, ::-1]  # (n, 3) linear RGB
    y = lin @ _LUMA_RGB
    lo, hi = np.percentile(y, MID_BAND)
    band = (y >= lo) & (y <= hi)
    if band.sum() < 8:
        band = np.ones_like(y, bool)
    return np.median(lin[band], axis=0).astype(np.float32)


def condition_vector(target_lin_rgb: np.ndarray, is_pattern: bool, garment_y: float,
                     garment_lin_rgb: np.ndarray | None) -> np.ndarray:
    t = np.clip(np.asarray(target_lin_rgb, np.float64), 0.0, 1.0)
    g = np.clip(np.asarray(garment_lin_rgb if garment_lin_rgb is not None else (0.18, 0.18, 0.18), np.float64), 0, 1)
    return np.concatenate([lab_of_linear_rgb(t) / 100.0, t, [float(is_pattern)],
                           [np.log10(max(float(garment_y), 1e-4))], lab_of_linear_rgb(g) / 100.0]).astype(np.float32)


def shrink(img: np.ndarray) -> np.ndarray:
    """A box-sized image -> IN x IN (area-averaged when shrinking)."""
    h, w = img.shape[:2]
    interp = cv2.INTER_AREA if (h >= IN and w >= IN) else cv2.INTER_LINEAR
    return cv2.resize(img, (IN, IN), interpolation=interp)


_BLOB_MEAN = (127.5, 127.5, 127.5)


def network_input(orig_s: np.ndarray, ref_s: np.ndarray, alpha_s: np.ndarray) -> np.ndarray:
    """(1, 7, IN, IN) float32 from IN x IN BGR uint8 original and reference and the float mask: sRGB R, G, B
    in [-1, 1] (x / 127.5 - 1) twice, then the mask."""
    out = np.empty((1, 7, IN, IN), np.float32)
    out[:, 0:3] = cv2.dnn.blobFromImage(orig_s, 1.0 / 127.5, None, _BLOB_MEAN, swapRB=True)
    out[:, 3:6] = cv2.dnn.blobFromImage(ref_s, 1.0 / 127.5, None, _BLOB_MEAN, swapRB=True)
    out[0, 6] = alpha_s
    return out


_DEC_LUT = _DEC.reshape(256, 1).astype(np.float32)
_LUMA_BGR = np.ascontiguousarray(LUMA[::-1], np.float32).reshape(1, 3)


def basis_maps(orig_s: np.ndarray, ref_s: np.ndarray, ymed: float, unprint: np.ndarray | None = None) -> np.ndarray:
    """(N_BASIS, IN, IN) float32: the reference's linear RGB, the original's shading (Y / Ymed, clipped to
    SHADE_MAX; times `unprint` when a print was taken out of it), a constant."""
    out = np.empty((N_BASIS, IN, IN), np.float32)
    b, g, r = cv2.split(cv2.LUT(ref_s, _DEC_LUT))
    out[0], out[1], out[2] = r, g, b
    y = cv2.transform(cv2.LUT(orig_s, _DEC_LUT), _LUMA_BGR)
    if unprint is not None:
        y = y * unprint
    np.clip(y * np.float32(1.0 / max(ymed, 1e-3)), 0.0, SHADE_MAX, out=out[3])
    out[4] = 1.0
    return out


def apply_coef(coef: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """coef (N_COEF, GRID, GRID) on basis (N_BASIS, IN, IN) -> linear RGB (3, IN, IN); the grid is upsampled
    bilinearly with cell centres aligned (cv2's INTER_LINEAR = torch's align_corners=False)."""
    up = cv2.resize(np.ascontiguousarray(coef.transpose(1, 2, 0)), (IN, IN), interpolation=cv2.INTER_LINEAR)
    c = up.reshape(IN, IN, 3, N_BASIS)
    return np.einsum("hwck,khw->chw", c, basis)


def encode01(lin: np.ndarray) -> np.ndarray:
    """Linear -> sRGB in [0, 1] (float)."""
    lin = np.clip(lin, 0.0, 1.0)
    return np.where(lin <= 0.0031308, lin * 12.92, 1.055 * np.power(lin, 1 / 2.4) - 0.055)


def albedo_mean_rgb(albedo: np.ndarray) -> np.ndarray:
    """Linear RGB (3,) of a flat albedo (3,) or the mean of an albedo map (h, w, 3), both linear BGR."""
    a = np.asarray(albedo, np.float32)
    m = a.reshape(-1, 3).mean(axis=0) if a.ndim == 3 else a
    return m[::-1].copy()


@dataclass
class Inputs:
    """What the network sees for one garment box, and what its output is applied to."""

    ymed: float  # the garment's median luminance (full resolution)
    ref: np.ndarray  # the reference rendering, box-sized uint8 BGR
    orig_s: np.ndarray  # IN x IN uint8 BGR
    ref_s: np.ndarray  # IN x IN uint8 BGR
    alpha_s: np.ndarray  # IN x IN float32
    image: np.ndarray  # (1, 7, IN, IN) float32
    cond: np.ndarray  # (COND_DIM,) float32
    unprint: np.ndarray | None = None  # IN x IN: the print-free luminance over the original's (None: no print)
    ref_pending: Callable[[], np.ndarray] | None = None  # (the app's path) waits for `ref`, still being made
    meanwhile: tuple | None = None  # (the app's path) (what the caller's `meanwhile` made,) if it was called


def _flat_reference(y8: np.ndarray, alpha: np.ndarray, lighter: float, table: np.ndarray, y3: np.ndarray,
                    out: np.ndarray) -> np.ndarray:
    """A plain colour's full-size reference: render_garment's grain step, then its table (into `out`)."""
    q = quiet_luma(y8, alpha, lighter)
    return cv2.LUT(cv2.merge([q, q, q], dst=y3), table, dst=out)


def prepare_inputs(region: np.ndarray, alpha: np.ndarray, albedo: np.ndarray,
                   printer=print_free_luma) -> Inputs | None:
    """The network's inputs for a garment box (the app and the training both call this). None when the
    box holds too little garment to measure. printer: what takes a print out of the luma
    (`print_free_luma`, or a video stream's `PrintRemover`, which keeps what it found between frames)."""
    y8_in = luma8(region)
    y8 = printer(region, alpha, y8_in)  # a striped shirt made plain is plain
    ymed = median_luma_luminance(y8, alpha)
    ref = render_garment(region, alpha, albedo, 1.0, ymed=ymed, y8=y8)
    orig_s, alpha_s = shrink(region), shrink(alpha)
    y8_s = luma8(orig_s)  # = the shrunk luma, up to rounding (luma is linear in the sRGB values, as shrinking is)
    gain = None
    if y8 is not y8_in:
        # the print taken out at full resolution, as a factor on the shrunk luminance
        y8_s, y8_orig_s = shrink(y8), y8_s
        gain = (cv2.LUT(y8_s, _DEC_LUT) + 1e-4) / (cv2.LUT(y8_orig_s, _DEC_LUT) + 1e-4)
    # A flat colour is a table of luma: rendering the shrunk box is the same thing, and far cheaper than
    # shrinking the rendering. A pattern's rendering is shrunk (its stripes are finer than IN). With a print
    # taken out, the shrunk print-free luma is what is rendered.
    flat = np.ndim(albedo) == 1
    if flat:
        ref_s = render_garment(orig_s, alpha_s, albedo, 1.0, ymed=ymed, y8=y8_s)
    else:
        ref_s = shrink(ref)
    own = garment_colour(orig_s, alpha_s)
    if own is None:
        return None
    cond = condition_vector(albedo_mean_rgb(albedo), not flat, ymed, own)
    return Inputs(ymed, ref, orig_s, ref_s, alpha_s, network_input(orig_s, ref_s, alpha_s), cond, gain)


# ---- the app's per-frame path ----------------------------------------------------------------------------
# GanOutfit.render makes what prepare_inputs, basis_maps, apply_coef and encode make (the training's and the
# export's functions, above, left as they are), within one 8-bit level (tests/unit/test_outfit_speed_parity.py),
# for a fraction of the cost: a pattern's reference is one table lookup per value (the shoulder and encode
# fused, where render_garment evaluates tanh everywhere), the albedo map's mean is OpenCV's, the grid is
# applied a basis plane at a time (all three output channels at once) and encoded by table, the
# full-resolution work arrays are kept between frames, and the box's shrinks to IN x IN (OpenCV's area average:
# one core's work) run on a helper thread beside the full-resolution work (tests/unit/test_outfit_pattern_speed.py).

_ENC_STEPS = np.float32(_ENC_N - 1)
_ENC_TABLE = _ENC.reshape(1, _ENC_N)


def _shoulder_encode_table() -> np.ndarray:
    """uint8 (1, n): encode(_shoulder(v)) at v = i / (_ENC_N - 1), as far as the first all-white entry (all
    lighter values are white too). Indexed by v * (_ENC_N - 1) rounded, it is encode's own table below the
    shoulder (v <= 0.8); above, the shoulder is taken at the index's v, not at v itself: within one level."""
    n = int(1.5 * (_ENC_N - 1)) + 2
    v = (np.arange(n) / (_ENC_N - 1)).astype(np.float32)
    t = _ENC[np.clip(_shoulder(v) * _ENC_STEPS + np.float32(0.5), 0, _ENC_N - 1).astype(np.int32)]
    if t[-1] != 255:
        raise AssertionError("the shoulder's table must end white")
    return t.reshape(1, n)


_SHOULDER_ENC = _shoulder_encode_table()


SHRINK_THREAD = True  # module switch: GanOutfit.inputs shrinks the box to IN x IN on the helper thread (False: inline)


def _in_background(fn, *args) -> Callable[[], object]:
    """fn(*args) on the effects' shared helper thread (core.background.HELPER); returns a function that waits
    for its result (raising what fn raised). Run at once when SHRINK_THREAD is off. OpenCV lets go of Python's
    lock while it works, so the helper's area averages (a small output: one core's work) run beside the
    caller's full-resolution work."""
    if SHRINK_THREAD:
        return HELPER.submit(partial(fn, *args))
    try:
        value, ok = fn(*args), True
    except Exception as exc:  # raised where the result is asked for, as from the helper
        value, ok = exc, False

    def result():
        if not ok:
            raise value
        return value

    return result


def _settle(wait: Callable[[], object]) -> None:
    """Wait for a helper's job without raising (its error, if any, is raised where its result is used)."""
    try:
        wait()
    except Exception:
        pass


def quick_shrink(img: np.ndarray) -> np.ndarray:
    """`shrink`, the cheap way (a pattern's inputs, in the app): halved while both sides stay at least 2 IN
    (OpenCV's area average by exactly 2: its fast path; an odd side's last row or column left out), then
    linearly to IN x IN (each output pixel mixes the pixels it falls between: under 3x, next to nothing is
    skipped), or by area average where a side is still over 3 IN (a long, narrow box). A third of `shrink`'s cost on a large box
    (whose area average by a scale that is not a whole number is OpenCV's slow general path); a pixel
    differs from it by a few levels on average, more on sharp edges. A pattern's output hardly moves with
    that (tests/unit/test_outfit_quick_shrink.py); a plain colour's would (its inputs keep `shrink`)."""
    h, w = img.shape[:2]
    while h >= 2 * IN and w >= 2 * IN:
        img = cv2.resize(img[: h - h % 2, : w - w % 2], (w // 2, h // 2), interpolation=cv2.INTER_AREA)
        h, w = img.shape[:2]
    if max(h, w) > 3 * IN and min(h, w) >= IN:
        return cv2.resize(img, (IN, IN), interpolation=cv2.INTER_AREA)
    return cv2.resize(img, (IN, IN), interpolation=cv2.INTER_LINEAR)


def _shrink_all(region: np.ndarray, alpha: np.ndarray, shrinker=shrink) -> tuple[np.ndarray, np.ndarray]:
    return shrinker(region), shrinker(alpha)


_REMAP_COLS = 16384  # remap's maps must be under 32767 (SHRT_MAX) pixels wide: wider ones go in column strips


def _table_lookup(table: np.ndarray, index: np.ndarray, work: _Work, name: str,
                  out: np.ndarray | None = None) -> np.ndarray:
    """table[round(index)] per value (index: float32, 2-D; below 0: entry 0, past the end: the last), uint8,
    as OpenCV's nearest-neighbour remap along a one-row table (rounding half to even: encode's own rounding
    half up differs only on exact halves, by one entry). Into the work array `name`, or `out`."""
    rows, cols = index.shape
    zeros = work("zeros", (rows, min(cols, _REMAP_COLS)), np.float32, zero=True)
    out = work(name, index.shape) if out is None else out
    for c0 in range(0, cols, _REMAP_COLS):
        c1 = min(cols, c0 + _REMAP_COLS)
        cv2.remap(table, index[:, c0:c1], zeros[:, : c1 - c0], cv2.INTER_NEAREST, dst=out[:, c0:c1],
                  borderMode=cv2.BORDER_REPLICATE)
    return out


BAND_PX = 49152  # pixels per band of a pattern's full-resolution reference: its scratch stays in the cache
BAND_PX_TWO_TONE = 16384  # ... of a `TwoTone`'s (twice the scratch: the transform's input and output)


def _pattern_reference(y8: np.ndarray, albedo: np.ndarray | TwoTone, ymed: float, mean_bgr: np.ndarray,
                       work: _Work, fresh: bool = False) -> np.ndarray:
    """render_garment(region, alpha, albedo map, 1.0, ymed, y8), within one level: the albedo times the
    shading (the table of each luma level, times encode's steps) indexes the shoulder's and encode's fused
    table. mean_bgr: the map's mean, for the damping (the mean of the map's luminance is its mean's).
    In the work array "ref" (overwritten by the next call), or a new array when `fresh`.

    Worked out in bands of rows: every step is per pixel (the same numbers), and a band's shading and
    products stay in the cache instead of going through memory as full-box float arrays. A `TwoTone`'s
    product is the shading times the ground plus the shading times the mix times (ink - ground): one 3 x 3
    colour transform of (s, s mix, s mix) (a 2-channel input would take OpenCV's slow general path), a
    little dearer than the three-channel multiply; the saving is in sampling and averaging the mix."""
    h, w = y8.shape
    ymed = max(float(ymed), 1e-3)
    table = (shading_table(ymed, contrast_damping(np.asarray(mean_bgr, np.float32), ymed)) * _ENC_STEPS).reshape(256, 1)
    out = np.empty((h, w, 3), np.uint8) if fresh else work("ref", (h, w, 3))
    two = isinstance(albedo, TwoTone)
    if two:  # output channel c = s ground[c] + (s mix) (ink - ground)[c] (the third input, s mix again: unused)
        mixer = np.zeros((3, 3), np.float32)
        mixer[:, 0], mixer[:, 1] = albedo.ground, albedo.ink - albedo.ground
    band = max(8, (BAND_PX_TWO_TONE if two else BAND_PX) // max(w, 1))
    for r0 in range(0, h, band):
        r1 = min(h, r0 + band)
        n = r1 - r0
        # (one channel's lookup, copied to three: a third of a three-channel lookup's cost)
        s = cv2.LUT(y8[r0:r1], table, dst=work("s", (n, w), np.float32))
        if two:
            sm = cv2.multiply(s, albedo.mix[r0:r1], dst=work("sm", (n, w), np.float32))
            t = cv2.transform(cv2.merge([s, sm, sm], dst=work("t3", (n, w, 3), np.float32)), mixer,
                              dst=work("t", (n, w, 3), np.float32))
        else:
            t = cv2.merge([s, s, s], dst=work("t", (n, w, 3), np.float32))
            cv2.multiply(t, albedo[r0:r1], dst=t)
        _table_lookup(_SHOULDER_ENC, t.reshape(n, 3 * w), work, "enc_band", out[r0:r1].reshape(n, 3 * w))
    return out


def render_pattern(y8: np.ndarray, alpha: np.ndarray, albedo: np.ndarray | TwoTone,
                   work: _Work | None = None) -> np.ndarray:
    """render_garment(region, alpha, albedo, 1.0, y8=y8) for an albedo map (a pattern, or a `TwoTone`),
    within one level, by table lookups (`_pattern_reference`): a new uint8 BGR array. work: work arrays kept
    between calls."""
    if not isinstance(albedo, TwoTone):
        albedo = np.ascontiguousarray(albedo, np.float32)
    mean_bgr = albedo_mean(albedo)
    ymed = median_luma_luminance(y8, alpha)
    y8 = quiet_luma(y8, alpha, brightening(mean_bgr, ymed))
    return _pattern_reference(y8, albedo, ymed, mean_bgr, work if work is not None else _Work(), fresh=True)


def _small_output(coef: np.ndarray, x: Inputs, work: _Work) -> np.ndarray:
    """encode(apply_coef(coef, basis_maps(x.orig_s, x.ref_s, x.ymed, x.unprint))) as IN x IN BGR uint8,
    within one level: per basis plane, its grid for the output's B, G and R upsampled at once (a 3-channel
    image: the same bilinear interpolation), multiplied into the plane (the constant one added), the sum
    encoded by table (the grid scaled by encode's steps beforehand). A work array: overwritten by the next
    call."""
    b, g, r = cv2.split(cv2.LUT(x.ref_s, _DEC_LUT))
    y = cv2.transform(cv2.LUT(x.orig_s, _DEC_LUT), _LUMA_BGR)
    if x.unprint is not None:
        y = y * x.unprint
    basis = (r, g, b, np.clip(y * np.float32(1.0 / max(x.ymed, 1e-3)), 0.0, SHADE_MAX))
    # (basis, GRID, GRID, output B G R): coef is (output R G B, basis)
    c = (np.asarray(coef, np.float32) * _ENC_STEPS).reshape(3, N_BASIS, GRID, GRID)[::-1].transpose(1, 2, 3, 0)
    acc = None
    for k in range(N_BASIS):
        up = cv2.resize(np.ascontiguousarray(c[k]), (IN, IN), interpolation=cv2.INTER_LINEAR)
        if k == N_BASIS - 1:
            cv2.add(acc, up, dst=acc)  # the constant
        elif acc is None:
            acc = cv2.multiply(up, cv2.merge([basis[k]] * 3))
        else:
            cv2.accumulateProduct(up, cv2.merge([basis[k]] * 3), acc)
    return _table_lookup(_ENC_TABLE, acc.reshape(IN, 3 * IN), work, "enc").reshape(IN, IN, 3)


class GanOutfit:
    """The ONNX outfit generator as an outfit backend (see the module docstring)."""

    name = "gan"

    def __init__(self, manifest_path: str | Path, providers: list[str] | None = None) -> None:
        from tryon_desktop.vision.onnx_runtime import SHORT_NAMES, load_model

        loaded = load_model(manifest_path, providers=providers, threads=1)
        self.session = loaded.session
        self.manifest = loaded.manifest
        self.provider = SHORT_NAMES.get(loaded.provider, loaded.provider)
        self.notice = loaded.notice
        self.printer = PrintRemover()  # the print found on a stream's garment, kept between frames
        self._work = _Work()
        self._luma: tuple[np.ndarray, np.ndarray] | None = None  # (region, its luma8) until the next render
        want = {"image": [1, 7, IN, IN], "cond": [1, COND_DIM]}
        inputs = self.manifest.inputs
        for key, shape in want.items():
            got = inputs.get(key, {}).get("shape") if isinstance(inputs.get(key), dict) else None
            if got != shape:
                raise ModelError(f"model {self.manifest.model_path.name} expects {key} {got}, "
                                 f"this app feeds {shape}: model and app versions do not match")
        names = sorted(i.name for i in self.session.get_inputs())
        if names != ["cond", "image"]:
            raise ModelError(f"model {self.manifest.model_path.name} has inputs {names}, expected image and cond")

    def coefficients(self, image: np.ndarray, cond: np.ndarray) -> np.ndarray:
        return self.session.run(["coef"], {"image": image, "cond": cond[None]})[0][0]

    def luma(self, region: np.ndarray) -> np.ndarray:
        """luma8(region), worked out once for a frame: the outfit effect asks for it (for the printer, before
        the pattern's fold warp), and the render that follows for the same region array gets the same one
        (so the printer answers from its last call)."""
        kept = self._luma
        if kept is not None and kept[0] is region:
            return kept[1]
        y8 = luma8(region)
        self._luma = (region, y8)
        return y8

    def inputs(self, region: np.ndarray, alpha: np.ndarray, albedo: np.ndarray, defer: bool = False,
               meanwhile: Callable[[], object] | None = None) -> Inputs | None:
        """prepare_inputs(region, alpha, albedo, self.printer), the app's way (see "the app's per-frame path"):
        the same but for a pattern's reference (within one level), the albedo map's mean (within float
        rounding) and a pattern's shrinks (`quick_shrink`: the output within a few levels). `ref` is a work
        array, overwritten by the next call.

        The box's shrinks to IN x IN (OpenCV's area average, one core's work whatever the size) run on the
        helper thread (`SHRINK_THREAD`) while this one does the full-resolution work beside them. defer: a
        plain colour's full-size reference (its grain step and table) is left running there too, for the
        network to run beside it: `ref` is None and `ref_pending` waits for it (the caller must call it).
        meanwhile: the caller's own work, done here while the helper shrinks the box when that reference is
        the dear one (its grain step runs: `quiet_luma`), so the two threads' shares of the work come out
        about even; returned as `Inputs.meanwhile`, a 1-tuple (None when it was not called)."""
        y8_in = self.luma(region)
        self._luma = None  # (asked for once a frame: a later call with this array measures it afresh)
        flat = not isinstance(albedo, TwoTone) and np.ndim(albedo) == 1
        shrinker = shrink if flat else quick_shrink
        small = _in_background(_shrink_all, region, alpha, shrinker)
        pending = [small]
        ref_job, done = None, False
        try:
            y8 = self.printer(region, alpha, y8_in)
            printed = y8 is not y8_in
            if printed:  # the print taken out at full resolution, as a factor on the shrunk luminance
                pending.append(small_pf := _in_background(shrinker, y8))
            ymed = median_luma_luminance(y8, alpha)
            h, w = y8.shape
            if not isinstance(albedo, TwoTone):
                albedo = np.asarray(albedo, np.float32) if flat else np.ascontiguousarray(albedo, np.float32)
            mean_bgr = albedo if flat else albedo_mean(albedo)
            lighter = brightening(mean_bgr, ymed)  # (render_garment's grain step, on both sizes)
            if flat:  # render_garment's table, for both sizes
                ym = max(float(ymed), 1e-3)
                table = colour_table(albedo, ym, damping(lighter))
                job = partial(_flat_reference, y8, alpha, lighter, table, self._work("y3", (h, w, 3)),
                              self._work("ref", (h, w, 3)))
                if defer:
                    ref, ref_job = None, _in_background(job)
                else:
                    ref = job()
            else:
                y8 = quiet_luma(y8, alpha, lighter)
                ref = _pattern_reference(y8, albedo, ymed, mean_bgr, self._work)
                pending.append(small_ref := _in_background(shrinker, ref))
            done_meanwhile = ((meanwhile(),) if meanwhile is not None and flat and defer and grain_step_runs(lighter)
                              else None)
            orig_s, alpha_s = small()
            own = garment_colour(orig_s, alpha_s)
            if own is None:
                return None
            y8_s = luma8(orig_s)
            gain = None
            if printed:
                y8_s, y8_orig_s = small_pf(), y8_s
                gain = (cv2.LUT(y8_s, _DEC_LUT) + 1e-4) / (cv2.LUT(y8_orig_s, _DEC_LUT) + 1e-4)
            cond = condition_vector(mean_bgr[::-1], not flat, ymed, own)
            if flat:
                y8_s = quiet_luma(y8_s, alpha_s, lighter)
            ref_s = cv2.LUT(cv2.merge([y8_s, y8_s, y8_s]), table) if flat else small_ref()
            x = Inputs(ymed, ref, orig_s, ref_s, alpha_s, network_input(orig_s, ref_s, alpha_s), cond, gain, ref_job,
                       done_meanwhile)
            done = True
        finally:
            # none left reading the work arrays (or the caller's) when this returns, but a deferred reference
            # handed to the caller
            for wait in pending + ([ref_job] if ref_job is not None and not done else []):
                _settle(wait)
        return x

    def render(self, region: np.ndarray, alpha: np.ndarray, albedo: np.ndarray, strength: float) -> np.ndarray:
        # The garment's own chroma texture (`chroma_delta`, added at the end) is made beside the helper's work:
        # here while the helper shrinks the box, when the helper has a plain colour's full-size reference
        # with its grain step to make after that (queued on the helper behind it, it was the frame's longest
        # wait), else on the helper after its own work, while this thread runs the network and upsamples its
        # change (a pattern's reference is made on this thread)
        x = self.inputs(region, alpha, albedo, defer=True, meanwhile=partial(chroma_delta, region, alpha, strength))
        if x is None:
            return chroma_texture(region, render_garment(region, alpha, as_albedo(albedo), strength), alpha, strength)
        texture = None if x.meanwhile is not None else _in_background(chroma_delta, region, alpha, strength)
        try:
            out_s = _small_output(self.coefficients(x.image, x.cond), x, self._work)
            # The change to the reference is smooth: upsampled to the box and applied to the full-resolution
            # reference, as its brightening and darkening parts (uint8, saturating: the fast paths). (Applying
            # the grid to the basis at half resolution instead, as HDRNet slices, scored the same on the
            # realism test, 58.9% against 58.7%, for 0.6 ms more: stop 29.)
            h, w = region.shape[:2]
            ups = [cv2.resize(cv2.subtract(a, b), (w, h), dst=self._work(name, (h, w, 3)),
                              interpolation=cv2.INTER_LINEAR)
                   for a, b, name in ((out_s, x.ref_s, "up"), (x.ref_s, out_s, "down"))]
        except BaseException:
            if texture is not None:
                _settle(texture)  # nothing left reading the caller's arrays when this raises
            raise
        finally:
            ref = x.ref if x.ref_pending is None else x.ref_pending()
        out = cv2.subtract(cv2.add(ref, ups[0], dst=ref), ups[1])
        if strength < 1.0:
            out = cv2.addWeighted(out, float(strength), region, 1.0 - float(strength), 0.0)
        return add_chroma(out, x.meanwhile[0] if texture is None else texture())

    def reset(self) -> None:
        self.printer.reset()
        self._luma = None

    def describe(self) -> dict:
        return {"version": self.manifest.version, "sha256": self.manifest.sha256}
