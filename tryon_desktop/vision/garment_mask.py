"""The live garment mask: the student network (trained by tryon_desktop.train.garment_train) at run time.

ONNX model `garment_mask.onnx` (static shapes, described by `garment_mask.json` beside it):
    input   `image` float32 (1, 3, IN_H, IN_W) = (1, 3, 144, 256): the frame shrunk to fit 256 x 144
            (16:9; other aspect ratios are letterboxed on mid grey, see `Letterbox`), channels sRGB
            R, G, B in [0, 1]. The network normalises internally.
    input   `prior` float32 (1, 1, IN_H, IN_W), optional (models from version 2 on): where the face tracker
            saw faces, drawn on the same input canvas by `face_prior` (face oval 1.0, the body expected below
            each chin 0.5, 0 elsewhere; all 0 when no face is known). The network learns how far to trust it.
    output  `prob`  float32 (1, 1, OUT_H, OUT_W) = (1, 1, 72, 128): probability in [0, 1] that the pixel
            is the upper-body garment (shirt, jacket, sweater, dress top...), 0 on face, hair, skin,
            background and trousers.

`GarmentSegmenter.segment(frame)` returns that probability for the frame's own area (the letterbox
cropped away) at twice the network's output resolution, settled by the frame's own colours where the network
was undecided, temporally smoothed and with the face forced to 0;
`upsample` / `upsample_to_box` bring it to frame pixels cheaply (one bilinear resize / warp).

numpy + onnxruntime + cv2 only: no torch, no Qt.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from tryon_desktop.core.masks import FACE_OVAL
from tryon_desktop.errors import ModelError

log = logging.getLogger(__name__)

MODEL_NAME = "garment_mask"
IN_W, IN_H = 256, 144
OUT_W, OUT_H = IN_W // 2, IN_H // 2
PAD_VALUE = 128  # letterbox fill (mid grey), in training and at run time


@dataclass(frozen=True)
class Letterbox:
    """Where a frame of size (w, h) lands inside the network's IN_W x IN_H input: scaled by `scale`,
    placed at (x0, y0) with size (w_in, h_in). The same code places frames in training (validation,
    samples) and at run time."""

    frame_w: int
    frame_h: int
    scale: float
    x0: int
    y0: int
    w_in: int
    h_in: int

    @classmethod
    def fit(cls, frame_w: int, frame_h: int, in_w: int = IN_W, in_h: int = IN_H) -> Letterbox:
        s = min(in_w / frame_w, in_h / frame_h)
        w_in = max(1, min(in_w, int(round(frame_w * s))))
        h_in = max(1, min(in_h, int(round(frame_h * s))))
        # even offsets, so the valid area maps to whole pixels of the half-resolution output
        x0 = ((in_w - w_in) // 2) & ~1
        y0 = ((in_h - h_in) // 2) & ~1
        return cls(frame_w, frame_h, s, x0, y0, w_in, h_in)

    @property
    def full(self) -> bool:
        return self.x0 == 0 and self.y0 == 0 and self.w_in == IN_W and self.h_in == IN_H

    def place(self, frame_bgr: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """The frame shrunk (INTER_AREA) and placed into an (IN_H, IN_W, 3) uint8 canvas."""
        if out is None:
            out = np.empty((IN_H, IN_W, 3), np.uint8)
        if self.full:
            return cv2.resize(frame_bgr, (IN_W, IN_H), dst=out, interpolation=cv2.INTER_AREA)
        out[:] = PAD_VALUE
        out[self.y0:self.y0 + self.h_in, self.x0:self.x0 + self.w_in] = cv2.resize(
            frame_bgr, (self.w_in, self.h_in), interpolation=cv2.INTER_AREA)
        return out

    def affine(self) -> np.ndarray:
        """2x3 map from frame pixel coordinates to input canvas coordinates (pixel centres aligned, as the
        INTER_AREA shrink places them)."""
        sx, sy = self.w_in / self.frame_w, self.h_in / self.frame_h
        return np.array([[sx, 0.0, self.x0 + 0.5 * sx - 0.5], [0.0, sy, self.y0 + 0.5 * sy - 0.5]], np.float64)

    def output_slices(self, factor: int = 2) -> tuple[slice, slice]:
        """The frame's area in an output map `factor` times smaller than the input."""
        x0, y0 = self.x0 // factor, self.y0 // factor
        x1 = x0 + max(1, int(round(self.w_in / factor)))
        y1 = y0 + max(1, int(round(self.h_in / factor)))
        return slice(y0, y1), slice(x0, x1)


def bgr_to_input(small_bgr: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """(IN_H, IN_W, 3) uint8 BGR -> (1, 3, IN_H, IN_W) float32 RGB in [0, 1]."""
    if out is None:
        out = np.empty((1, 3) + small_bgr.shape[:2], np.float32)
    out[0] = small_bgr.transpose(2, 0, 1)[::-1]
    out *= np.float32(1.0 / 255.0)
    return out


PRIOR_FACE, PRIOR_BODY = 1.0, 0.5


def face_prior(polygons, M: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """(IN_H, IN_W) float32: the faces the tracker found, drawn on the network's input canvas.

    polygons: face-oval outlines [(N, 2) source pixels]; M: the 2x3 affine from source pixels to input pixels
    (`Letterbox.affine`, or a training crop's). Each face: its oval filled with PRIOR_FACE; below its chin a
    PRIOR_BODY region that widens from 1.1 face widths at the chin to 2.9 face widths half a face height
    lower (where shoulders are) and runs down to the bottom. Only the geometry a face implies: it says
    where a garment may be, the image says whether there is one. Faces narrower than 3 input pixels are
    left out (the tracker's guesses at that size are noise)."""
    if out is None:
        out = np.zeros((IN_H, IN_W), np.float32)
    else:
        out[:] = 0.0
    if not polygons:
        return out
    M = np.asarray(M, np.float64)
    faces = []
    for poly in polygons:
        p = np.asarray(poly, np.float64).reshape(-1, 2)
        if len(p) < 3:
            continue
        q = p @ M[:, :2].T + M[:, 2]
        fw = float(q[:, 0].max() - q[:, 0].min())
        fh = float(q[:, 1].max() - q[:, 1].min())
        if fw < 3.0 or fh < 3.0:
            continue
        faces.append(q)
        cx, chin = float(q[:, 0].mean()), float(q[:, 1].max())
        if chin >= IN_H:
            continue
        # only the rows below the chin and the columns the widest part can reach (pixel centres at whole
        # coordinates, as cv2 draws)
        y0 = max(0, int(np.ceil(chin)))
        x0, x1 = max(0, int(np.ceil(cx - 1.45 * fw))), min(IN_W, int(np.floor(cx + 1.45 * fw)) + 1)
        if x1 <= x0:
            continue
        ys = np.arange(y0, IN_H, dtype=np.float32)[:, None]
        xs = np.arange(x0, x1, dtype=np.float32)[None, :]
        half = np.float32(fw) * (np.float32(0.55) + np.float32(0.9) * np.clip((ys - chin) / np.float32(0.5 * fh), 0, 1))
        sub = out[y0:, x0:x1]
        sub[(np.abs(xs - np.float32(cx)) <= half) & (sub < PRIOR_BODY)] = PRIOR_BODY
    for q in faces:  # faces last: a face in front of another person's body is a face
        cv2.fillPoly(out, [np.round(q * 16).astype(np.int32)], PRIOR_FACE, lineType=cv2.LINE_8, shift=4)
    return out


def upsample(mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A mask covering the whole frame -> (h, w) = size[::-1] float32, bilinear, pixel centres aligned."""
    w, h = size
    return cv2.resize(mask, (int(w), int(h)), interpolation=cv2.INTER_LINEAR)


def upsample_to_box(mask: np.ndarray, frame_size: tuple[int, int], box: tuple[int, int, int, int]) -> np.ndarray:
    """Only the part of the frame inside box = (x, y, w, h) (frame pixels), (h, w) float32: one warp of
    the small mask, so a garment box costs its own size, not the frame's."""
    fw, fh = frame_size
    x, y, bw, bh = (int(v) for v in box)
    mh, mw = mask.shape[:2]
    if fw % mw == 0 and fh % mh == 0 and bw > 0 and bh > 0:
        # a whole number of frame pixels per cell (1280x720 on the network's 256x144): the cells round the
        # box (one more each side, for the interpolation) resized by that number, the box cut out of them:
        # the same bilinear interpolation, with exact weights where the warp's are rounded to 1/32 of a
        # cell, for a seventh of its cost
        kx, ky = fw // mw, fh // mh
        c0, r0 = max(0, x // kx - 1), max(0, y // ky - 1)
        c1, r1 = min(mw, -(-(x + bw) // kx) + 1), min(mh, -(-(y + bh) // ky) + 1)
        if c1 > c0 and r1 > r0:
            up = cv2.resize(mask[r0:r1, c0:c1], ((c1 - c0) * kx, (r1 - r0) * ky), interpolation=cv2.INTER_LINEAR)
            u, v = x - c0 * kx, y - r0 * ky
            if up.shape[0] >= v + bh and up.shape[1] >= u + bw:
                return up[v:v + bh, u:u + bw]
    sx, sy = mw / fw, mh / fh
    # box pixel (u, v) has centre (x + u + 0.5, y + v + 0.5) in the frame -> mask coords (c * s - 0.5)
    M = np.array([[sx, 0.0, (x + 0.5) * sx - 0.5], [0.0, sy, (y + 0.5) * sy - 0.5]], np.float64)
    return cv2.warpAffine(mask, M, (bw, bh), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_REPLICATE)


def scale_polygons(polygons, frame_size: tuple[int, int], mask_shape: tuple[int, int]) -> list[np.ndarray]:
    """Frame-pixel polygons -> the mask's pixel coordinates (pixel centres aligned); bad ones dropped."""
    fw, fh = frame_size
    mh, mw = mask_shape
    scale = np.array([mw / fw, mh / fh])
    out = []
    for poly in polygons or []:
        p = np.asarray(poly, np.float64).reshape(len(poly), -1)[:, :2]
        if len(p) >= 3 and np.all(np.isfinite(p)):
            out.append(((p + 0.5) * scale - 0.5).astype(np.float32))
    return out


FACE_GROW = 0.16  # the face cut-out's growth about the face's centre below the chin (MediaPipe's chin point
#                  sits above the chin's underside: a collar up against it would take the chin with it) ...
FACE_GROW_SIDE = 0.04  # ... and beside the jaw and above it, where the oval follows the face closely (grown by
#                        16% all round, a close-up's collar against the jaw was left in a dark band round it),
#                        unless a beard may grow there (`dark_under_chin`): then 16% all round, as before
UNDER_CHIN_DARK = 50.0  # what lies under the chin this much darker than the cheeks (8-bit L, ~20 L*) ...
UNDER_CHIN_GREY = 0.4  # ... and under this share of their chroma (near-grey) may be a beard
_CHIN = FACE_OVAL.index(152)  # the chin's place in a face oval (its first point, 10, is the forehead's top)
NECK_BAND_DEPTH = 0.5  # a piece of the mask that ends within this many face heights below the chin ...
NECK_BAND_WIDTH = 1.1  # ... no wider than this many face widths, under the face, not reaching the frame's
#                        bottom, is worn on the neck (a choker, a necklace, a tattoo), not a top (`drop_neck_bands`)


def face_exclusion(face_polygons, frame_size: tuple[int, int], mask_shape: tuple[int, int],
                   grow: float = FACE_GROW, side=None) -> np.ndarray | None:
    """uint8 (mh, mw) map of the face polygons (each grown by `grow` about its centroid), or None: 255 inside,
    the share of a cell inside on the outline (anti-aliased, so the cut's edge follows the face's outline
    instead of the mask's cells: upsampled, a binary cut was a staircase of 5-px steps across the collar).
    side (one for all faces, or a list with one per face; None: `grow` all round): grow by this much only
    beside and above the face, `grow` only towards the chin (the share of `grow` falling as the fourth power
    of the cosine from the face's own downward axis, forehead to chin, so it follows a tilted head; image
    down for an outline that is not a face oval)."""
    if not face_polygons:
        return None
    fw, fh = frame_size
    mh, mw = mask_shape
    scale = np.array([mw / fw, mh / fh])
    out = np.zeros((mh, mw), np.uint8)
    polys = []
    sides = side if isinstance(side, (list, tuple)) else [side] * len(face_polygons)
    for poly, sd in zip(face_polygons, sides, strict=True):
        p = np.asarray(poly, np.float64).reshape(-1, 2)
        if len(p) < 3 or not np.all(np.isfinite(p)):
            continue
        c = p.mean(0)
        q = (c + 0.5) * scale - 0.5
        g = grow if sd is None or sd >= grow else sd + (grow - sd) * _towards_chin(p, c) ** 4
        p = ((c + (p - c) * (1.0 + g) + 0.5) * scale - 0.5) - q  # grown, in mask pixels, about the centre
        # and 1.5 mask pixels more, so the bilinear upsampling cannot bleed back inside a small face
        r = np.linalg.norm(p, axis=1, keepdims=True)
        p = q + p * (1.0 + 1.5 / np.maximum(r, 1e-6))
        polys.append(np.round(p * 4.0).astype(np.int32).reshape(-1, 1, 2))  # 2 bits of sub-pixel
    if not polys:
        return None
    cv2.fillPoly(out, polys, 255, lineType=cv2.LINE_AA, shift=2)
    return out


def _towards_chin(p: np.ndarray, c: np.ndarray) -> np.ndarray:
    """(n, 1): for each outline point, the cosine between its direction from the centre c and the face's
    downward axis (0 where it points sideways or up)."""
    down = p[_CHIN] - p[0] if len(p) == len(FACE_OVAL) else np.array([0.0, 1.0])
    down = down / max(float(np.linalg.norm(down)), 1e-6)
    d = p - c
    cos = (d @ down) / np.maximum(np.linalg.norm(d, axis=1), 1e-6)
    return np.maximum(cos, 0.0)[:, None]


def dark_under_chin(frame_bgr: np.ndarray, oval) -> bool | None:
    """Whether what lies just under the chin may be a beard: much darker than the cheeks (`UNDER_CHIN_DARK`)
    and nearly grey (`UNDER_CHIN_GREY` of their chroma). A black collar or top right under the chin looks the
    same and is answered the same (the face then keeps its full cut, which is what it had before). A shaded
    neck keeps the skin's colour, a shirt collar is lighter or colourful. None when it cannot tell: an
    outline that is not a face oval, or a chin or cheek at the frame's edge. Three small patches of the frame
    at its own resolution: a few tens of microseconds."""
    p = np.asarray(oval, np.float64).reshape(-1, 2)
    if len(p) != len(FACE_OVAL) or not np.all(np.isfinite(p)):
        return None
    c = p.mean(0)
    d = p[_CHIN] - c  # centre to chin: the face's downward axis, about half its height
    r = float(np.hypot(d[0], d[1]))
    if r < 8:
        return None
    across = np.array([-d[1], d[0]]) / r
    h, w = frame_bgr.shape[:2]
    k = max(1, int(round(0.06 * r)))

    def median_lab(q: np.ndarray) -> np.ndarray | None:
        x, y = int(round(q[0])), int(round(q[1]))
        if not (k <= x < w - k and k <= y < h - k):
            return None
        px = cv2.cvtColor(frame_bgr[y - k:y + k + 1, x - k:x + k + 1], cv2.COLOR_BGR2Lab)
        return np.median(px.reshape(-1, 3), axis=0).astype(np.float32)

    under = median_lab(c + 1.1 * d)  # just under the chin
    cheeks = [median_lab(c + 0.2 * d + sgn * 0.45 * r * across) for sgn in (-1.0, 1.0)]
    if under is None or any(v is None for v in cheeks):
        return None
    cheek = np.mean(cheeks, axis=0)
    chroma = float(np.hypot(under[1] - 128, under[2] - 128))
    cheek_chroma = float(np.hypot(cheek[1] - 128, cheek[2] - 128))
    return bool(under[0] < cheek[0] - UNDER_CHIN_DARK and chroma < UNDER_CHIN_GREY * max(cheek_chroma, 1.0))


def cut_faces(prob: np.ndarray, face_polygons, frame_size: tuple[int, int],
              frame_bgr: np.ndarray | None = None, beards: list | None = None) -> np.ndarray:
    """prob (float32, the mask's size) with the faces taken out, in place: `face_exclusion` one cell wider
    (the bilinear upsampling would otherwise carry a neighbour's value half a cell into the face), its
    anti-aliased outline kept as a partial cut. With the frame, a face grows by `FACE_GROW_SIDE` beside its
    jaw and `FACE_GROW` towards its chin, unless a beard may grow there (`dark_under_chin`, or it cannot
    tell); without it, by `FACE_GROW` all round. beards: `dark_under_chin`'s answers for the faces, when the
    caller has them (a stream keeps them a few frames)."""
    side = None
    if frame_bgr is not None and face_polygons:
        if beards is None or len(beards) != len(face_polygons):
            beards = [dark_under_chin(frame_bgr, poly) for poly in face_polygons]
        side = [FACE_GROW_SIDE if b is False else None for b in beards]
    keep_out = face_exclusion(face_polygons, frame_size, prob.shape, side=side)
    if keep_out is not None:
        cut = cv2.dilate(keep_out, np.ones((3, 3), np.uint8))
        prob *= cv2.subtract(1.0, cut.astype(np.float32) * np.float32(1.0 / 255.0))
        drop_neck_bands(prob, face_polygons, frame_size)
    return prob


def drop_neck_bands(prob: np.ndarray, face_polygons, frame_size: tuple[int, int]) -> np.ndarray:
    """prob with the pieces worn on the neck taken out, in place: a piece of the mask (joined above 0.5) that
    lies under a face, starts no higher than a third of the face's height above its chin, ends within
    `NECK_BAND_DEPTH` face heights below it, is no wider than `NECK_BAND_WIDTH` face widths and does not
    reach the frame's bottom. A top goes on down to the body or out of the frame; a choker, a necklace or a
    tattoo under the chin stops short of it (the network takes a dark choker and the neck round it for a
    collar). The piece's soft fringe goes with it, except where it lies next to a piece that stays."""
    if not face_polygons:
        return prob
    n, labels, stats, _ = cv2.connectedComponentsWithStats((prob > 0.5).astype(np.uint8), connectivity=8)
    if n <= 1:
        return prob
    mh, mw = prob.shape
    scale = np.array([mw / frame_size[0], mh / frame_size[1]])
    drop = np.zeros(n, bool)
    for poly in face_polygons:
        p = np.asarray(poly, np.float64).reshape(-1, 2)
        if len(p) < 3 or not np.all(np.isfinite(p)):
            continue
        p = (p + 0.5) * scale - 0.5
        (x0, top), (x1, chin) = p.min(0), p.max(0)
        fw, fh = x1 - x0, chin - top
        if fw <= 0 or fh <= 0:
            continue
        x, y, w, h = (stats[1:, i] for i in range(4))
        drop[1:] |= ((y + h < mh) & (y >= chin - fh / 3.0) & (y + h - 1 <= chin + NECK_BAND_DEPTH * fh)
                     & (w <= NECK_BAND_WIDTH * fw) & (x >= x0 - 0.25 * fw) & (x + w - 1 <= x1 + 0.25 * fw))
    if not drop.any():
        return prob
    gone = drop[labels]
    kernel = np.ones((5, 5), np.uint8)
    near_gone = cv2.dilate(gone.astype(np.uint8), kernel) > 0
    near_kept = cv2.dilate((~drop[labels] & (labels > 0)).astype(np.uint8), kernel) > 0
    prob[gone | (near_gone & ~near_kept & (prob <= 0.5))] = 0.0
    return prob


LETTERBOX_DARK = 6  # a frame's edge line with no sampled value above this (8-bit) is a black bar ...
LETTERBOX_FLAT = 4  # ... and so is one whose sampled values (all channels) lie within this many levels
LETTERBOX_STEP = 8  # (sampled every this many pixels along the line)
LETTERBOX_MAX = 1.0 / 3.0  # a bar covers at most this share of the frame's height or width


def _bar_lines(sampled: np.ndarray) -> np.ndarray:
    """For each line of `sampled` (line i: sampled[i], its values along the line), whether it is a bar:
    black, or one flat grey (all channels within the band: a bar is black, grey or white)."""
    flat = np.ascontiguousarray(sampled).reshape(len(sampled), -1)
    hi, lo = flat.max(axis=1), flat.min(axis=1)
    return (hi <= LETTERBOX_DARK) | (hi - lo <= LETTERBOX_FLAT)


def _bar(lines, n: int) -> int:
    """How many of the first n lines are a bar; lines(sl): the lines of the slice sl, sampled along their
    length. Every `LETTERBOX_STEP`-th line first, then line by line where the bar ends."""
    k = LETTERBOX_STEP
    if n <= 0 or not _bar_lines(lines(slice(0, 1)))[0]:  # (a camera's frame: done after one line)
        return 0
    coarse = _bar_lines(lines(slice(0, n, k)))
    if coarse.all():
        j = len(coarse) * k
        lo = j - k
    else:
        j = int(np.argmin(coarse)) * k  # (the first sampled line that is not bar)
        lo = max(j - k + 1, 0)
        if j == 0:
            return 0
    fine = _bar_lines(lines(slice(lo, min(j, n))))
    return lo + (len(fine) if fine.all() else int(np.argmin(fine)))


def letterbox(frame: np.ndarray) -> tuple[int, int, int, int]:
    """(top, bottom, left, right): how many rows and columns at each edge of a BGR uint8 frame are a bar (a
    letterboxed or pillarboxed video, a picture fitted into a larger canvas): every sampled value of the line
    at most `LETTERBOX_DARK`, or all within `LETTERBOX_FLAT` levels of one grey; at most `LETTERBOX_MAX` of the
    frame each. Bars inside bars (a letterboxed clip pillarboxed again) are found too: the rows are looked at
    between the side bars found first. A camera's frame has none: its edge lines carry noise and the room, and
    each edge is looked at one line deep (about 30 microseconds at 720p; a barred frame about 0.15 ms)."""
    h, w = frame.shape[:2]
    k, ch, cw = LETTERBOX_STEP, int(h * LETTERBOX_MAX), int(w * LETTERBOX_MAX)
    flipped = frame[:, ::-1]
    left = _bar(lambda sl: frame[::k, sl].transpose(1, 0, 2), cw)
    right = _bar(lambda sl: flipped[::k, sl].transpose(1, 0, 2), cw)
    inner = frame[:, left: w - right]
    if not inner.shape[1]:
        return 0, 0, left, right
    top = _bar(lambda sl: inner[sl, ::k], ch)
    bottom = _bar(lambda sl: inner[::-1][sl, ::k], ch)
    return top, bottom, left, right


def clear_bars(prob: np.ndarray, frame_size: tuple[int, int], bars: tuple[int, int, int, int]) -> np.ndarray:
    """prob (the mask's size) with the cells that lie wholly inside the frame's black bars (`letterbox`) set to
    0: a new array, or prob when there are none. A bar is never garment, though the network, seeing a dark
    garment run into it, marks it as one."""
    top, bottom, left, right = bars
    if not (top or bottom or left or right):
        return prob
    mh, mw = prob.shape
    fw, fh = frame_size
    out = prob.copy()
    # a cell lies wholly inside a bar when its far side is within it
    out[: int(top * mh / fh)] = 0.0
    out[mh - int(bottom * mh / fh):] = 0.0
    out[:, : int(left * mw / fw)] = 0.0
    out[:, mw - int(right * mw / fw):] = 0.0
    return out


class TemporalSmoother:
    """Edge-preserving, motion-adaptive EMA on a probability map.

    Per pixel: alpha = a_min where the new value is within `low` of the smoothed one (sensor-noise
    flicker on a still body is averaged away), rising to 1 at `high` (a real change is taken at once, so a
    moving body lags by at most one frame). The change is measured as the 3x3 maximum of |new - old|:
    a pixel next to a moving edge is treated as moving too, so edges do not leave a ghost or smear.

    Then hysteresis on the garment / not-garment decision: a pixel changes side only when it crosses
    0.5 by more than `band`; until then its value is held just on its old side of 0.5. Edge pixels that
    hover around 0.5 on a still body stop flipping; a real edge moves by far more than the band.
    """

    def __init__(self, a_min: float = 0.2, low: float = 0.08, high: float = 0.35, max_gap_s: float = 0.5,
                 band: float = 0.12) -> None:
        self.a_min, self.low, self.high, self.max_gap_s = float(a_min), float(low), float(high), float(max_gap_s)
        self.band = float(band)
        self._kernel = np.ones((3, 3), np.uint8)
        self.reset()

    def reset(self) -> None:
        self.state: np.ndarray | None = None
        self.last_t: float | None = None
        self.side: np.ndarray | None = None  # the garment / not-garment decision of each pixel

    def __call__(self, prob: np.ndarray, timestamp: float | None = None) -> np.ndarray:
        stale = (self.state is None or self.state.shape != prob.shape
                 or (timestamp is not None and self.last_t is not None
                     and not (0.0 <= timestamp - self.last_t <= self.max_gap_s)))
        if timestamp is not None:
            self.last_t = float(timestamp)
        if stale:
            self.state = prob.astype(np.float32, copy=True)
            self.side = self.state > 0.5
            return self.state.copy()
        diff = prob - self.state
        change = cv2.dilate(np.abs(diff), self._kernel)
        ramp = np.clip((change - self.low) * (1.0 / (self.high - self.low)), 0.0, 1.0)
        alpha = self.a_min + (1.0 - self.a_min) * ramp
        self.state += alpha * diff
        out = self.state.copy()
        if self.band > 0.0:
            side = np.where(self.side, out > 0.5 - self.band, out > 0.5 + self.band)
            out[side & (out <= 0.5)] = 0.501
            out[~side & (out > 0.5)] = 0.5
            self.side = side
        return out


COLOUR_BINS = (8, 16, 16)  # Y, Cr, Cb


def colour_hist(ycc: np.ndarray, sel: np.ndarray) -> np.ndarray:
    """Normalised YCrCb histogram (COLOUR_BINS) of the pixels where sel (uint8) is set; neighbouring bins
    share (circularly), so near colours (a fold's shadow) count as the same."""
    h = cv2.calcHist([ycc], [0, 1, 2], sel, list(COLOUR_BINS), [0, 256, 0, 256, 0, 256])
    # h + (h shifted by one bin each way) / 2 along each axis, wrapping round (np.roll's numbers, cheaper)
    for ax in range(3):
        pre = (slice(None),) * ax  # (the slices below act on axis ax)
        e = np.concatenate([h[pre + (slice(-1, None),)], h, h[pre + (slice(None, 1),)]], ax)
        h = e[pre + (slice(1, -1),)] + 0.5 * (e[pre + (slice(None, -2),)] + e[pre + (slice(2, None),)])
    return h / max(float(h.sum()), 1.0)


def colour_bin_index(ycc: np.ndarray) -> np.ndarray:
    """int32 (h, w): each pixel's bin in a ravelled colour_hist."""
    _, nr, nb = COLOUR_BINS
    lut = np.stack([np.arange(256) * n // 256 for n in COLOUR_BINS], 1).astype(np.uint8).reshape(1, 256, 3)
    return cv2.transform(cv2.LUT(ycc, lut).astype(np.float32), np.array([[nr * nb, nb, 1]], np.float32)).astype(np.int32)


def colour_planes(small_bgr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(YCrCb image, its `colour_bin_index`): what the refiner and the hair cut read the colours from."""
    ycc = cv2.cvtColor(small_bgr, cv2.COLOR_BGR2YCrCb)
    return ycc, colour_bin_index(ycc)


GROW_CONNECTED = True  # the refiner's growth also reaches garment-coloured regions joined to the garment (a switch)
GROW_LLR = 1.5  # ... a pixel's log-likelihood ratio (garment / background) to count as garment-coloured there


class ColourRefiner:
    """Settles the network's undecided pixels with the frame's own colours (one pass of the idea behind
    GrabCut, without the graph cut).

    Colour models come from this frame: a smoothed YCrCb histogram of the pixels the network is sure are
    garment (p > `sure`), and one of those it is sure are not, near the garment (the hair over a shoulder,
    the neck, the arms, the wall behind). Each pixel's log-likelihood ratio (clipped at +-`clip`, blurred a
    little) is added, times `weight`, to the network's log-odds: a confident pixel barely moves, an
    undecided one goes to the side its colour belongs to. A sleeve half-seen by the network is filled in;
    hair the colour of nothing on the garment is taken out. The garment may only grow near where the
    network already put it (never out of nowhere), or within a region of clearly garment colours joined to it
    (`GROW_CONNECTED`: a dress whose skirt the network was unsure of, below the bodice it found; a region
    the network said no to firmly stays out, since its odds start too low). On a stream the histograms are
    averaged over frames (`memory`), so the decision does not flicker with sensor noise.

    Input: the frame at the mask's own size (the segmenter passes the network's input image, so this
    costs no resize); about 0.9 ms a frame on this CPU.
    """


    def __init__(self, weight: float = 1.0, sure: float = 0.8, clip: float = 3.0, memory: float = 0.15,
                 min_pixels: int = 30) -> None:
        self.weight, self.sure, self.clip, self.memory = float(weight), float(sure), float(clip), float(memory)
        self.min_pixels = int(min_pixels)
        self.reset()

    def reset(self) -> None:
        self._hists: tuple[np.ndarray, np.ndarray] | None = None

    def __call__(self, small_bgr: np.ndarray, prob: np.ndarray, video: bool = False,
                 colours: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
        """small_bgr: uint8 (h, w, 3), the frame at prob's size (resized here if it is not); colours: its
        `colour_planes`, when the caller has them already."""
        mh, mw = prob.shape
        fg = (prob > self.sure).astype(np.uint8)
        if int(fg.sum()) < self.min_pixels:
            if not video:
                self.reset()
            return prob
        reach = max(3, int(round(0.08 * mw)))
        near = cv2.dilate(fg, np.ones((2 * reach + 1, 2 * reach + 1), np.uint8))
        bg = ((prob < 1.0 - self.sure) & (near > 0)).astype(np.uint8)
        if int(bg.sum()) < self.min_pixels:
            return prob
        if small_bgr.shape[:2] != (mh, mw):
            small_bgr, colours = cv2.resize(small_bgr, (mw, mh), interpolation=cv2.INTER_AREA), None
        ycc, idx = colours if colours is not None else colour_planes(small_bgr)
        hf, hb = colour_hist(ycc, fg), colour_hist(ycc, bg)
        if video and self._hists is not None:
            m = self.memory
            hf = m * hf + (1.0 - m) * self._hists[0]
            hb = m * hb + (1.0 - m) * self._hists[1]
        self._hists = (hf, hb)
        # the log-likelihood ratio of every colour bin, looked up per pixel through its bin index
        llr = np.clip(np.log((hf + 1e-4) / (hb + 1e-4)), -self.clip, self.clip).astype(np.float32).ravel()
        llr_px = cv2.GaussianBlur(llr[idx], (0, 0), 1.0)
        ratio = np.exp(self.weight * llr_px)
        p = np.clip(prob, 1e-3, 1.0 - 1e-3)
        out = p * ratio / (p * ratio + (1.0 - p))
        # grow only near the network's garment; elsewhere the colours may only take garment away
        grow = reach // 2
        support = cv2.dilate((prob > 0.5).astype(np.uint8), np.ones((2 * grow + 1, 2 * grow + 1), np.uint8))
        if GROW_CONNECTED:
            cand = (llr_px > GROW_LLR).astype(np.uint8)
            n, labels = cv2.connectedComponents(cand, connectivity=4)
            if n > 1:
                seeds = np.unique(labels[(prob > 0.5) & (cand > 0)])
                support = support | np.isin(labels, seeds[seeds > 0]).astype(np.uint8)
        out = np.where(support > 0, out, np.minimum(out, prob))
        return out.astype(np.float32)


class ColourModel:
    """A Gaussian in (a*, b*) with a lightness band: Mahalanobis distance per pixel (Lab as OpenCV's 8-bit
    Lab). The teacher's skin, hair, leg and garment models, and the live skin cut's."""

    def __init__(self, lab_pixels: np.ndarray, min_std_ab: float = 3.5, min_std_l: float = 12.0):
        px = lab_pixels.reshape(-1, 3).astype(np.float32)
        # robust trim: drop pixels far from the median in chroma (beard, glasses, specular)
        med = np.median(px, axis=0)
        d = np.abs(px - med)
        mad = np.median(d, axis=0) + 1e-3
        keep = np.all(d[:, 1:] < 3.0 * 1.4826 * mad[1:] + 2.0, axis=1) & (d[:, 0] < 3.0 * 1.4826 * mad[0] + 8)
        if keep.sum() > 20:
            px = px[keep]
        self.n = len(px)
        self.mean = px.mean(axis=0)
        ab = px[:, 1:]
        cov = np.cov(ab.T) if len(ab) > 2 else np.eye(2)
        cov = cov + np.eye(2) * min_std_ab ** 2
        (a, b), (c, d) = cov
        self.icov = np.array([[d, -b], [-c, a]]) / (a * d - b * c)  # 2x2 by hand: np.linalg.inv costs ~0.5 ms
        self.l_std = max(float(px[:, 0].std()), min_std_l)
        self.l_lo, self.l_hi = (float(v) for v in np.percentile(px[:, 0], [5, 95]))

    def dist(self, lab: np.ndarray) -> np.ndarray:
        """Mahalanobis distance in ab (float32 HxW); the lightness penalty is `l_penalty`'s."""
        ab = lab[..., 1:].astype(np.float32) - self.mean[1:]
        q = (ab[..., 0] * (self.icov[0, 0] * ab[..., 0] + self.icov[0, 1] * ab[..., 1])
             + ab[..., 1] * (self.icov[1, 0] * ab[..., 0] + self.icov[1, 1] * ab[..., 1]))
        d = np.sqrt(np.maximum(q, 0))
        return d

    def l_dist(self, lab: np.ndarray) -> np.ndarray:
        return np.abs(lab[..., 0].astype(np.float32) - self.mean[0]) / self.l_std

    def l_penalty(self, lab: np.ndarray, above: float = 22.0, below: float = 45.0) -> np.ndarray:
        """0 inside the sampled lightness band (widened: shadows darken skin far more than highlights
        lighten it), growing by 1 per 10 (8-bit L) outside it."""
        L = lab[..., 0].astype(np.float32)
        return (np.maximum(L - (self.l_hi + above), 0) / 10.0
                + np.maximum((self.l_lo - below) - L, 0) / 15.0)


def skin_distance(skin: ColourModel, lab: np.ndarray) -> np.ndarray:
    """float32 (h, w): how far each pixel of `lab` (8-bit Lab) is from the skin model `skin`: the chroma
    Mahalanobis distance, plus the lightness penalty, plus a chroma floor: skin keeps its colourfulness in
    shade, while greys and near-neutrals lie along the skin model's saturation axis, so a pixel much less
    colourful than the face is held away. Under about 2.2: surely skin; 3.5: maybe."""
    chroma = np.hypot(lab[..., 1].astype(np.float32) - 128, lab[..., 2].astype(np.float32) - 128)
    face_c = float(np.hypot(skin.mean[1] - 128, skin.mean[2] - 128))
    return skin.dist(lab) + skin.l_penalty(lab) + np.maximum(0.55 * face_c - chroma, 0) / 2.0


def cheek_pixels(frame_bgr: np.ndarray, oval) -> np.ndarray | None:
    """Lab pixels (n, 3) float32 of both cheeks, at the frame's own resolution, from a face oval polygon in
    frame pixels: inside the oval shrunk to 0.78 about its centre, from the centre's height (below the eyes)
    to 0.22 of the face's height lower (above the mouth corners), less a middle strip 0.4 of its width wide
    (nose, mouth). None when too few."""
    p = np.asarray(oval, np.float32).reshape(-1, 2)
    if len(p) < 3 or not np.all(np.isfinite(p)):
        return None
    h, w = frame_bgr.shape[:2]
    c = p.mean(0)
    (x0, y0), (x1, y1) = p.min(0), p.max(0)
    fw, fh = float(x1 - x0), float(y1 - y0)
    r0, r1 = int(max(0, c[1])), int(min(h, c[1] + 0.22 * fh))
    c0, c1 = int(max(0, x0)), int(min(w, x1 + 1))
    if r1 - r0 < 2 or c1 - c0 < 4:
        return None
    sel = np.zeros((r1 - r0, c1 - c0), np.uint8)
    inner = c + (p - c) * 0.78 - np.float32((c0, r0))
    cv2.fillPoly(sel, [np.round(inner).astype(np.int32).reshape(-1, 1, 2)], 1)
    m0, m1 = int(round(c[0] - 0.2 * fw)) - c0, int(round(c[0] + 0.2 * fw)) - c0
    sel[:, max(0, m0):max(0, m1)] = 0
    if int(sel.sum()) < 20:
        return None
    lab = cv2.cvtColor(np.ascontiguousarray(frame_bgr[r0:r1, c0:c1]), cv2.COLOR_BGR2Lab)
    return lab[sel > 0].astype(np.float32)


SKIN_SURE, SKIN_MAYBE = 1.5, 2.5  # skin distance: surely skin below the first, not skin above the second
MODEL_SAMPLES = 1500  # pixels a colour model is fitted on (a stride over the sample: the fit's cost stays small)


_LAB_GRID: list = []


def _lab_grid() -> np.ndarray:
    """float32 (128, 128, 3): the (a*, b*) pairs of 8-bit Lab two levels apart (each cell's middle; L* 0),
    row a* // 2, column b* // 2: half a level off at most, against models at least 3.5 wide."""
    if not _LAB_GRID:
        g = np.zeros((128, 128, 3), np.float32)
        g[..., 1], g[..., 2] = np.mgrid[0:128, 0:128] * 2.0 + 0.5
        _LAB_GRID.append(g)
    return _LAB_GRID[0]


class SkinCut:
    """Takes out bare skin the network marked as garment (the neck above a collar, forearms or hands in front
    of the chest, a shoulder beside a strap), by colour: the face's own skin against the garment's.

    A pixel goes when it is near the skin model (a Gaussian in a*b* fitted on the cheeks, `cheek_pixels`:
    skin distance under SKIN_MAYBE, fully under SKIN_SURE) and nearer to it than to the garment's own model
    (fitted on the sure garment, p > `sure`) by a margin. When the garment itself looks like skin (its mean
    colour within 2 of the skin model: a beige or blush top), nothing is cut: colour cannot tell them apart
    there. Only skin joined to something outside the garment is cut (a neck under the chin, an arm that
    leaves the garment or the frame, a hand): a skin-coloured patch in the middle of a garment (a print, a
    fold's warm shadow) stays, so the garment never gets holes. The cut is smoothed at the mask cell's
    scale, so its outline is not a staircase of cells once upsampled.

    On a stream (`video`) the two colour models are refitted every `refit` frames (a face's and a garment's
    colours change slowly; fitting them is most of the cost, about 3 ms), and at once when the number of faces
    changes; a refit moves them half way. The regular refits fall on the stream's frames whose count since
    the start is `phase` past a multiple of `refit` (default: half way), not on the frames where the body
    fill makes its person mask and fresh fill (`BodyFill`, every 6 frames from the start): both on one frame
    made it 6-8 ms slower than the rest. About 1 ms a call at the mask's 256x144 on this CPU, refits included.
    """

    def __init__(self, sure: float = 0.8, refit: int = 6, phase: int | None = None) -> None:
        self.sure, self.refit = float(sure), max(1, int(refit))
        self.phase = (self.refit // 2 if phase is None else int(phase)) % self.refit
        self.reset()

    def reset(self) -> None:
        self._tables: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._age = 0
        self._faces = -1
        self._calls = 0  # a stream's calls since the start (the regular refits' phase)

    def __call__(self, small_bgr: np.ndarray, prob: np.ndarray, frame_bgr: np.ndarray, face_polygons,
                 video: bool = False) -> np.ndarray:
        """small_bgr: the frame at prob's size; frame_bgr and face_polygons (frame pixels): where the cheeks
        are sampled. Returns prob, or a new array with the skin taken out."""
        mh, mw = prob.shape
        fg = prob > self.sure
        if not face_polygons or int(np.count_nonzero(fg)) < 30:
            return prob
        if small_bgr.shape[:2] != (mh, mw):
            small_bgr = cv2.resize(small_bgr, (mw, mh), interpolation=cv2.INTER_AREA)
        # only the garment's box matters (elsewhere prob is about 0), with a pixel round it for the joins
        x, y, bw, bh = cv2.boundingRect((prob > 0.02).astype(np.uint8))
        x0, y0, x1, y1 = max(0, x - 1), max(0, y - 1), min(mw, x + bw + 1), min(mh, y + bh + 1)
        p = prob[y0:y1, x0:x1]
        lab = cv2.cvtColor(np.ascontiguousarray(small_bgr[y0:y1, x0:x1]), cv2.COLOR_BGR2Lab)
        tables = self._tables
        calls, self._calls = self._calls, self._calls + 1
        due = calls % self.refit == self.phase and self._age > self.refit // 2  # (not just after a forced fit)
        if not video or due or self._faces != len(face_polygons) or self._age == 0:
            fresh = self._fit(frame_bgr, face_polygons, lab[fg[y0:y1, x0:x1]].astype(np.float32))
            if video and fresh is not None and tables is not None and self._faces == len(face_polygons):
                # a stream's refit moves half way: the cut's edge does not jump every `refit` frames
                fresh = tuple(0.5 * (a + b) for a, b in zip(tables, fresh, strict=True))
            tables = self._tables = fresh
            self._age, self._faces = 0, len(face_polygons)
        self._age += 1
        if tables is None:
            return prob  # no skin sample, or a skin-coloured garment
        skin_ab, skin_l, garment_ab = tables
        ab = ab_index(lab)
        ds = skin_lookup(lab, (skin_ab, skin_l), ab)
        nearer = cv2.subtract(garment_ab.take(ab), ds + 0.5)  # by how much the pixel is nearer skin than garment
        score = cv2.multiply(np.clip((SKIN_MAYBE - ds) * (1.0 / (SKIN_MAYBE - SKIN_SURE)), 0.0, 1.0),
                             np.clip(nearer, 0.0, 1.0))
        score = cv2.GaussianBlur(score, (0, 0), 0.7)
        cand = ((score > 0.5) & (p > 0.5)).astype(np.uint8)
        n, labels = cv2.connectedComponents(cand, connectivity=8)
        if n <= 1:
            return prob
        outside = cv2.dilate((p <= 0.5).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
        if x0 == 0 or y0 == 0 or x1 == mw or y1 == mh:  # the frame's edge: an arm that leaves the picture
            outside[:, 0] |= x0 == 0
            outside[0, :] |= y0 == 0
            outside[:, -1] |= x1 == mw
            outside[-1, :] |= y1 == mh
        joined = np.zeros(n, bool)
        joined[np.unique(labels[outside & (cand > 0)])] = True
        joined[0] = False
        # the skin regions and a pixel round them: their edges fall off with the score, not in one step
        near = cv2.dilate(joined[labels].astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
        cut = np.where(near | (p <= 0.5), score, 0.0).astype(np.float32)
        # smoothed at the cell's scale: a cut that steps from one mask cell to the next drew a staircase
        # along a forearm once upsampled (the cells are 5-7 frame pixels); a smooth one has a smooth outline
        cut = cv2.GaussianBlur(cut, (0, 0), 1.0)
        out = prob.copy()
        out[y0:y1, x0:x1] = p * (1.0 - cut)
        return out

    @staticmethod
    def _fit(frame_bgr: np.ndarray, face_polygons, garment_px: np.ndarray):
        """The two colour models as tables over 8-bit Lab, or None (no skin sample; a skin-coloured garment):
        the skin distance's chroma part over (a*, b*) and its lightness part over L* (near-black: never
        skin), and the garment model's distance over (a*, b*). Looked up per pixel: a few table reads
        instead of a dozen passes of arithmetic a frame."""
        cheeks = [px for px in (cheek_pixels(frame_bgr, poly) for poly in face_polygons) if px is not None]
        skin_px = np.concatenate(cheeks) if cheeks else None
        if skin_px is None or len(skin_px) < 20 or len(garment_px) < 30:
            return None
        skin = ColourModel(skin_px[:: max(1, len(skin_px) // MODEL_SAMPLES)])
        garment = ColourModel(garment_px[:: max(1, len(garment_px) // MODEL_SAMPLES)])
        if float(skin_distance(skin, garment.mean.reshape(1, 1, 3))[0, 0]) < 2.0:
            return None  # a skin-coloured garment: colour cannot tell them apart
        skin_ab, skin_l = skin_tables(skin)
        garment_ab = garment.dist(_lab_grid())
        return skin_ab, skin_l, garment_ab.astype(np.float32).ravel()


def skin_tables(skin: ColourModel) -> tuple[np.ndarray, np.ndarray]:
    """`skin_distance` of a skin model as two tables over 8-bit Lab: its chroma part over (a*, b*) (flat,
    index (a* >> 1) * 128 + (b* >> 1)) and its lightness part over L* (near-black: never skin). A pixel's
    distance is the sum of its two entries (`skin_lookup`): a few table reads instead of a dozen passes of
    arithmetic a frame."""
    grid = _lab_grid().copy()
    grid[..., 0] = skin.mean[0]  # (inside the skin's lightness band: no penalty, that is the L* table's)
    skin_ab = skin_distance(skin, grid)
    levels = np.arange(256, dtype=np.float32).reshape(1, 256, 1)
    skin_l = skin.l_penalty(levels)[0] + np.where(np.arange(256) < 25, 99.0, 0.0)  # near-black: chroma is noise
    return skin_ab.astype(np.float32).ravel(), skin_l.astype(np.float32)


def ab_index(lab: np.ndarray) -> np.ndarray:
    """Each 8-bit Lab pixel's index into an (a*, b*) table of `skin_tables` (intp, h x w)."""
    return (lab[..., 1] >> 1).astype(np.intp) * 128 + (lab[..., 2] >> 1)


def skin_lookup(lab: np.ndarray, tables: tuple[np.ndarray, np.ndarray], ab: np.ndarray | None = None) -> np.ndarray:
    """float32 (h, w): each pixel's skin distance through `skin_tables`; ab: `ab_index(lab)` when known."""
    skin_ab, skin_l = tables
    return cv2.add(skin_ab.take(ab_index(lab) if ab is None else ab), skin_l.take(lab[..., 0]))


def grown_polygon(p: np.ndarray, c: np.ndarray, k: float, shape: tuple[int, int]) -> np.ndarray:
    """uint8 map of polygon p (N, 2) scaled by k about c, filled."""
    m = np.zeros(shape, np.uint8)
    cv2.fillPoly(m, [np.round(c + (p - c) * k).astype(np.int32).reshape(-1, 1, 2)], 1)
    return m


def cut_hair(small_bgr: np.ndarray, prob: np.ndarray, heads, sure: float = 0.8,
             colours: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Take out hair lying on the garment (long hair over the shoulders and chest), by colour.

    small_bgr: the frame at prob's size; heads: face oval polygons in prob's pixel coordinates. Each head's
    hair colours are sampled round the top of its face (a band outside the face oval, over the forehead
    and temples: hair, or the wall where there is none); below and beside that face, a garment pixel whose
    colour is far likelier in that sample than on the sure garment is dropped. When the garment itself
    looks like the sample (dark hair on a dark top: more than a quarter of the sure garment would go),
    nothing is cut: colour cannot tell them apart there, and a garment left whole is better than one with
    holes. Returns prob, or a new array with the hair taken out. colours: small_bgr's `colour_planes`, when
    the caller has them already."""
    mh, mw = prob.shape
    if small_bgr.shape[:2] != (mh, mw):
        small_bgr, colours = cv2.resize(small_bgr, (mw, mh), interpolation=cv2.INTER_AREA), None
    fg = (prob > sure).astype(np.uint8)
    if int(fg.sum()) < 30:
        return prob
    ycc, idx = colours if colours is not None else colour_planes(small_bgr)
    h_garment = colour_hist(ycc, fg)
    out = prob
    for poly in heads:
        p = np.asarray(poly, np.float32).reshape(-1, 2)
        if len(p) < 3 or not np.all(np.isfinite(p)):
            continue
        c = p.mean(0)
        (x0, y0), (x1, y1) = p.min(0), p.max(0)
        fw, fh = float(x1 - x0), float(y1 - y0)
        if fw < 3 or fh < 3:
            continue

        band = (grown_polygon(p, c, 1.45, (mh, mw)) > 0) & (grown_polygon(p, c, 1.08, (mh, mw)) == 0) & (prob < 0.5)
        band[int(max(0.0, c[1] + 0.15 * fh)):] = False  # the upper part of the head only
        if int(band.sum()) < 30:
            continue
        llr = np.log((colour_hist(ycc, band.astype(np.uint8)) + 1e-4) / (h_garment + 1e-4)).astype(np.float32).ravel()[idx]
        if float((llr[fg > 0] > 1.0).mean()) > 0.25:
            continue  # the garment is the hair's colour
        zone = np.zeros((mh, mw), bool)
        zone[int(max(0, c[1])):int(min(mh, y1 + 2.0 * fh + 1)),
             int(max(0, c[0] - 1.6 * fw)):int(min(mw, c[0] + 1.6 * fw + 1))] = True
        cut = np.clip((cv2.GaussianBlur(llr, (0, 0), 1.0) - 1.0) / 1.5, 0.0, 1.0)
        out = np.where(zone, out * (1.0 - cut), out).astype(np.float32)
    return out


ZOOM_MIN_GAIN = 1.4  # a second, zoomed pass when it would see the garment at least this much larger
ZOOM_MIN_GARMENT = 0.02  # ... and the first pass found a garment on at least this share of the frame (not specks)
CANVAS = 2  # the returned mask has CANVAS x the network's output resolution over the frame (room for the zoom)


def keep_box(old: tuple[int, int, int, int] | None, new: tuple[int, int, int, int]) -> bool:
    """Keep the previous zoom region while it still holds the new one (give or take 4% of its size) and
    is not much larger than it: a body moving a little inside it does not move the crop (no jitter)."""
    if old is None:
        return False
    ox, oy, ow, oh = old
    nx, ny, nw, nh = new
    tx, ty = 0.04 * ow, 0.04 * oh
    inside = nx >= ox - tx and ny >= oy - ty and nx + nw <= ox + ow + tx and ny + nh <= oy + oh + ty
    return inside and nw * nh >= 0.6 * ow * oh


def zoom_box(prob: np.ndarray, frame_w: int, frame_h: int, face_polygons=None) -> tuple[int, int, int, int] | None:
    """The region (x, y, w, h) of the frame worth a second look: the garment found by the first pass
    (probability > 0.5) and the faces above it, with a margin, widened or heightened to 16:9 and kept
    inside the frame. None when there is no garment (or only specks of one) or the zoom would gain little (the region fills the
    network's input nearly as well as the whole frame does: a webcam's head and shoulders)."""
    ys, xs = np.nonzero(prob > 0.5)
    if len(xs) < max(4, ZOOM_MIN_GARMENT * prob.size):
        return None
    sx, sy = frame_w / prob.shape[1], frame_h / prob.shape[0]
    x0, x1, y0, y1 = xs.min() * sx, (xs.max() + 1) * sx, ys.min() * sy, (ys.max() + 1) * sy
    for poly in face_polygons or []:
        p = np.asarray(poly, np.float64).reshape(-1, 2)
        if len(p) and np.all(np.isfinite(p)) and x0 <= p[:, 0].mean() <= x1:  # this body's face: context
            x0, x1 = min(x0, p[:, 0].min()), max(x1, p[:, 0].max())
            y0, y1 = min(y0, p[:, 1].min()), max(y1, p[:, 1].max())
    bw, bh = x1 - x0, y1 - y0
    x0, x1, y0, y1 = x0 - 0.12 * bw, x1 + 0.12 * bw, y0 - 0.08 * bh, y1 + 0.1 * bh
    cx, cy, w, h = 0.5 * (x0 + x1), 0.5 * (y0 + y1), x1 - x0, y1 - y0
    if w / h < IN_W / IN_H:
        w = h * IN_W / IN_H
    else:
        h = w * IN_H / IN_W
    w, h = min(w, frame_w), min(h, frame_h)
    gain = min(IN_W / w, IN_H / h) / min(IN_W / frame_w, IN_H / frame_h)
    if gain < ZOOM_MIN_GAIN:
        return None
    x = int(round(min(max(cx - w / 2, 0.0), frame_w - w)))
    y = int(round(min(max(cy - h / 2, 0.0), frame_h - h)))
    return x, y, max(16, int(round(w))), max(16, int(round(h)))


class GarmentSegmenter:
    """The garment-mask ONNX model (I/O: see the module docstring) with letterboxing, a zoomed second
    pass, a colour refinement (`ColourRefiner`), temporal smoothing and face exclusion around it.

    segment(frame_bgr uint8 (H, W, 3), timestamp seconds or None, face_polygons [(N, 2) frame pixels])
        -> float32 (h, w) in [0, 1]: the frame's area at CANVAS x the network's output resolution (144 x
        256 for a 16:9 frame). `upsample(mask, (W, H))` or `upsample_to_box` bring it to frame pixels.
        When the garment (and its face) fill little of the frame (a full-length photo, a person far from
        the camera), the network looks a second time at that region alone, and its answer replaces the
        first inside it: the garment is seen at up to several times the resolution.
    reset(): forget the smoothing state (a new video, a cut, a jump in time).
    """

    name = MODEL_NAME

    def __init__(self, manifest_path: str | Path, providers: list[str] | None = None, temporal: bool = True,
                 threads: int = 1) -> None:
        from tryon_desktop.vision.onnx_runtime import SHORT_NAMES, load_model

        # One thread: the model is ~0.07 GMAC; a pool only adds wake-up jitter next to the tracker and GUI.
        loaded = load_model(manifest_path, providers=providers, threads=threads)  # verifies manifest + sha256
        self.session = loaded.session
        self.manifest = loaded.manifest
        self.provider = SHORT_NAMES.get(loaded.provider, loaded.provider)
        self.notice = loaded.notice
        want_in, want_out = [1, 3, IN_H, IN_W], [1, 1, OUT_H, OUT_W]
        got_in = (self.manifest.inputs.get("image") or {}).get("shape")
        got_out = ((self.manifest.data.get("outputs") or {}).get("prob") or {}).get("shape")
        if got_in != want_in or got_out != want_out:
            raise ModelError(f"model {self.manifest.model_path.name} maps {got_in} -> {got_out}, this app expects "
                             f"{want_in} -> {want_out}: model and app versions do not match")
        names = [i.name for i in self.session.get_inputs()]
        if names not in (["image"], ["image", "prior"]):
            raise ModelError(f"model {self.manifest.model_path.name} has inputs {names}, expected ['image'] "
                             f"or ['image', 'prior']")
        self.uses_prior = names == ["image", "prior"]
        self._prior = np.zeros((1, 1, IN_H, IN_W), np.float32)
        self.smoother = TemporalSmoother() if temporal else None
        self.refiner: ColourRefiner | None = ColourRefiner()
        self.zoom = True
        self._zoom_box: tuple[int, int, int, int] | None = None
        self._zoomed: tuple[np.ndarray, bool] | None = None  # the last zoomed pass (canvas part), reusable?
        self._small = np.empty((IN_H, IN_W, 3), np.uint8)
        self._seen = self._small
        self._colours: tuple[np.ndarray, np.ndarray] | None = None  # colour_planes(self._seen), made once a frame
        self._input = np.empty((1, 3, IN_H, IN_W), np.float32)
        self._box: Letterbox | None = None

    @property
    def version(self) -> str:
        return self.manifest.version

    @property
    def sha256(self) -> str:
        return self.manifest.sha256

    def describe(self) -> dict:
        return {"name": self.name, "version": self.version, "sha256": self.sha256, "provider": self.provider}

    @property
    def seen(self) -> np.ndarray:
        """The last frame as the network's first pass saw it, at the returned mask's size (BGR uint8)."""
        return self._seen

    @property
    def seen_colours(self) -> tuple[np.ndarray, np.ndarray]:
        """`colour_planes(seen)`: the refiner's, kept for the hair cut that follows (ColourRefiner, cut_hair)."""
        if self._colours is None:
            self._colours = colour_planes(self._seen)
        return self._colours

    def letterbox(self, frame_w: int, frame_h: int) -> Letterbox:
        box = self._box
        if box is None or box.frame_w != frame_w or box.frame_h != frame_h:
            box = self._box = Letterbox.fit(frame_w, frame_h)
        return box

    def infer(self, frame_bgr: np.ndarray, face_polygons=None) -> np.ndarray:
        """One raw network call: float32 (h, w) probability over the frame's area, no smoothing.
        face_polygons: face ovals in this frame's pixels (the prior of models that take one)."""
        h, w = frame_bgr.shape[:2]
        box = self.letterbox(w, h)
        small = box.place(frame_bgr, self._small)
        feed = {"image": bgr_to_input(small, self._input)}
        if self.uses_prior:
            feed["prior"] = self._prior
            face_prior(face_polygons, box.affine(), out=self._prior[0, 0])
        prob = self.session.run(None, feed)[0][0, 0]
        ys, xs = box.output_slices(IN_W // OUT_W)
        return prob[ys, xs]

    def infer_zoomed(self, frame_bgr: np.ndarray, face_polygons=None, video: bool = False) -> np.ndarray:
        """The first pass upsampled to the canvas, averaged with the zoomed pass over its region.

        video: on a stream whose zoom region stays put (a still body), the zoomed pass runs on every other
        frame and the frame between reuses it (the first pass and the temporal smoothing still see every
        frame): the second look costs half as much."""
        h, w = frame_bgr.shape[:2]
        first = self.infer(frame_bgr, face_polygons)
        ys, xs = self.letterbox(w, h).output_slices(1)
        self._seen = self._small[ys, xs].copy()  # the frame as the network saw it (the refiner's colours)
        self._colours = None
        ch, cw = first.shape[0] * CANVAS, first.shape[1] * CANVAS
        canvas = cv2.resize(first, (cw, ch), interpolation=cv2.INTER_LINEAR)
        box = zoom_box(first, w, h, face_polygons) if self.zoom else None
        kept = box is not None and keep_box(self._zoom_box, box)
        if kept:
            box = self._zoom_box
        self._zoom_box = box
        if box is None:
            self._zoomed = None
            return canvas
        x, y, bw, bh = box
        sx, sy = cw / w, ch / h
        X0, Y0 = int(round(x * sx)), int(round(y * sy))
        X1, Y1 = min(cw, int(round((x + bw) * sx))), min(ch, int(round((y + bh) * sy)))
        if X1 - X0 < 2 or Y1 - Y0 < 2:
            return canvas
        reuse = video and kept and self._zoomed is not None and self._zoomed[1] and self._zoomed[0].shape == (Y1 - Y0, X1 - X0)
        if reuse:
            second = self._zoomed[0]
            self._zoomed = (second, False)  # fresh again next frame
        else:
            shifted = [np.asarray(p, np.float32) - np.float32((x, y)) for p in face_polygons or []]
            second = self.infer(np.ascontiguousarray(frame_bgr[y:y + bh, x:x + bw]), shifted)
            second = cv2.resize(second, (X1 - X0, Y1 - Y0), interpolation=cv2.INTER_AREA)
            self._zoomed = (second, True)
        canvas[Y0:Y1, X0:X1] = 0.5 * (canvas[Y0:Y1, X0:X1] + second)
        return canvas

    def segment(self, frame_bgr: np.ndarray, timestamp: float | None = None, face_polygons=None) -> np.ndarray:
        prob = self.segment_uncut(frame_bgr, timestamp, face_polygons)
        return cut_faces(prob, face_polygons, (frame_bgr.shape[1], frame_bgr.shape[0]), frame_bgr)

    def segment_uncut(self, frame_bgr: np.ndarray, timestamp: float | None = None, face_polygons=None) -> np.ndarray:
        """`segment` without the face cut (a new array the caller owns): face_polygons are only the network's
        prior and the zoom's context here, so a stream may pass the last frame's faces and run this beside
        the face tracker, then cut this frame's faces (`cut_faces`) once the tracker has them."""
        video = timestamp is not None
        prob = self.infer_zoomed(frame_bgr, face_polygons, video=video)
        if self.smoother is not None:
            prob = self.smoother(prob, timestamp)
        else:
            prob = np.array(prob, np.float32)  # own the memory: the session's buffer is reused
        if self.refiner is not None:
            colours = self.seen_colours if self._seen.shape[:2] == prob.shape else None
            prob = self.refiner(self._seen, prob, video=video, colours=colours)
        return prob

    def reset(self) -> None:
        self._zoom_box = None
        self._zoomed = None
        if self.refiner is not None:
            self.refiner.reset()
        if self.smoother is not None:
            self.smoother.reset()


def default_manifest() -> Path:
    from tryon_desktop.paths import MODELS_DIR

    return MODELS_DIR / f"{MODEL_NAME}.json"


def load_garment_segmenter(model: str | Path | None = "auto", providers: list[str] | None = None,
                           ) -> tuple[GarmentSegmenter | None, str | None]:
    """(segmenter, notice): the shipped (or named) model, or None with a line the app shows instead of
    crashing when the model is missing, altered or does not fit this app. A notice may also come with a
    working segmenter (e.g. the GPU was asked for and it runs on the CPU)."""
    if model is None or (isinstance(model, str) and model.lower() == "none"):
        return None, None
    manifest = default_manifest() if model == "auto" else Path(model)
    if not manifest.exists():
        return None, f"no garment mask model installed ({manifest.name} not found): outfit recolouring is off"
    try:
        seg = GarmentSegmenter(manifest, providers=providers)
    except ModelError as exc:
        return None, f"garment mask model not used: {exc}"
    return seg, seg.notice
