"""Hair lying on the garment, taken out of the outfit's blend at the frame's own resolution.

The garment mask's hair cut (`vision/garment_mask.py: cut_hair`) works on the mask's cells, 5-13 px wide:
long hair falling over a shoulder in strands shares each cell with the garment between the strands, the
cell's colour is neither, and the strands were painted the new colour (dark red hair on a red sweater).
Here every pixel of the garment's box below and beside a face is looked at by its own chroma:

- the hair's chroma is sampled round the top of the head (a band outside the face oval, over the forehead
  and temples, where the garment mask is off: hair, or the wall where there is none) and the garment's on
  the pixels the blend is sure of, over the whole box (hair is a small part of it); each is a smoothed 2D
  histogram of (Cr, Cb), and their log ratio a lookup table;
- chroma finely, luma coarsely (8 levels): a strand's luma is that of the garment's shadows (dark hair Y
  25-70 against a blue sweater's 30-88), its chroma is not (Cb 128 against 162); the luma keeps a white
  trim or a grey print, whose chroma is the hair's, on the garment;
- a camera's chroma is coarser than its luma (JPEG and a webcam's MJPEG keep it at half size, in 8-px
  blocks): read pixel by pixel it cut strands in blocks. So the chroma is blurred (`CHROMA_SIGMA`) and the
  cut it gives is then fitted to the luma's own edges by a guided filter (`GUIDE_RADIUS`, `GUIDE_EPS`): the
  cut follows each strand as the luma draws it;
- when the garment itself has the hair's chroma (dark hair on a black or brown top: more than a quarter of
  the sure garment would go) nothing is cut, as in the mask's hair cut;
- the work is done only where a half-size first pass finds hair-coloured pixels on the garment near a
  head: a frame without long hair over the garment costs two small histograms.

Measured with `tryon-eval outfit` (the hair row; `--no-hair-matte` runs the same without it).
"""

from __future__ import annotations

import cv2
import numpy as np

from tryon_desktop.vision.garment_mask import grown_polygon

ENABLED = True  # module switch (evaluations, A/B checks)
BINS = 32  # (Cr, Cb) histogram bins per axis
Y_BINS = 8  # and luma bins
HAIR_LLR, HAIR_RAMP = 1.0, 1.5  # log-likelihood ratio (hair / garment) from which a pixel goes, and over which fully
GARMENT_IS_HAIR = 0.25  # the share of the sure garment that would go above which nothing is cut
CHROMA_SIGMA = 2.0  # px: the chroma blurred before the lookup
GUIDE_RADIUS, GUIDE_EPS = 4, 0.004  # the guided filter that fits the cut to the luma's edges (luma in 0..1)
CUT_STRETCH = (0.1, 0.7)  # the filtered cut mapped from this range to 0..1
MIN_HAIR_SHARE = 0.1  # the band's share left once the background's colours are taken out, to sample hair
OUTER = (1.7, 2.1)  # the ring round the head (face sizes) where the wall beyond the hair is sampled
MIN_HITS, MIN_HITS_SHARE = 40, 0.03  # hair on the garment for the full-size pass to run: half-size pixels, and
# share of the face's area
REFIT = 6  # a stream's colour tables are refitted every this many frames
MIN_BAND = 20  # pixels of the head's band (at half size) needed to sample the hair


def _hist(ycc: np.ndarray, sel: np.ndarray) -> np.ndarray:
    """Normalised, smoothed (Y, Cr, Cb) histogram (Y_BINS x BINS x BINS, float32) of ycc's pixels where sel
    (uint8) is set: chroma finely, luma coarsely (a white trim or a grey print is not dark hair of the same
    chroma), each luma bin sharing with its neighbours."""
    h = cv2.calcHist([ycc], [0, 1, 2], sel, [Y_BINS, BINS, BINS], [0, 256, 0, 256, 0, 256])
    h = np.stack([cv2.GaussianBlur(s, (0, 0), 1.0) for s in h])
    shared = h.copy()
    shared[1:] += 0.5 * h[:-1]
    shared[:-1] += 0.5 * h[1:]
    h = shared
    return h / max(float(h.sum()), 1.0)


def _bin_luts() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per channel (Y, Cr, Cb), each 8-bit level's share of the flat index into a `_hist` (uint16)."""
    v = np.arange(256)
    return ((v * Y_BINS // 256) * BINS * BINS).astype(np.uint16), ((v * BINS // 256) * BINS).astype(np.uint16), \
        (v * BINS // 256).astype(np.uint16)


def _lookup(ycc: np.ndarray, table: np.ndarray) -> np.ndarray:
    """uint8 (h, w): each pixel's (Y, Cr, Cb) looked up in table (a `_hist`-shaped uint8 array). (OpenCV's
    back projection would do it, but its Python binding reads a 3D histogram as a 2D image of 32 channels.)"""
    idx = None
    for plane, lut in zip(cv2.split(ycc), _LUTS, strict=True):
        part = cv2.LUT(plane, lut)
        idx = part if idx is None else cv2.add(idx, part)
    return table.reshape(-1).take(idx)


_LUTS = _bin_luts()


class HairMatte:
    """The matte, with its colour tables kept between a stream's frames (refitted every `REFIT` frames, or
    when the number of faces changes; a photo fits its own). Call it on the garment box's alpha."""

    def __init__(self) -> None:
        self._tables: list[np.ndarray | None] = []
        self._active: list[bool] = []  # per head: hair was found on the garment at the last look
        self._age = 0

    def reset(self) -> None:
        self._tables, self._active, self._age = [], [], 0

    def __call__(self, frame: np.ndarray, box: tuple[int, int, int, int], alpha: np.ndarray, faces: list,
                 garment_small: np.ndarray | None, video: bool = False) -> np.ndarray:
        """alpha (the garment box's blend alpha, float32, changed in place and returned) with the hair lying
        on the garment taken out. frame: the whole frame (BGR uint8); box: (x0, y0, x1, y1) of alpha in it;
        faces: face oval polygons in frame pixels; garment_small: the garment mask at its own size (where it
        is off round each head, the hair is sampled)."""
        if not ENABLED or not faces:
            return alpha
        heads = [_head(p) for p in faces]
        self._age += 1
        if not video or len(self._tables) != len(heads) or self._age >= REFIT:
            self._tables, self._age = _fit(frame, box, alpha, heads, garment_small), 0
            self._active = [t is not None for t in self._tables]
        for i, (head, table) in enumerate(zip(heads, self._tables, strict=True)):
            if head is not None and table is not None and self._active[i]:
                # (a head with no hair found on the garment is looked at again at the next refit)
                self._active[i] = _apply(frame, box, alpha, head, table)
        return alpha


def _head(poly) -> tuple[np.ndarray, np.ndarray, float, float] | None:
    """(polygon, centre, width, height) of a face oval, or None for a bad or tiny one."""
    p = np.asarray(poly, np.float32).reshape(-1, 2)
    if len(p) < 3 or not np.all(np.isfinite(p)):
        return None
    fw, fh = (float(v) for v in p.max(0) - p.min(0))
    return (p, p.mean(0), fw, fh) if fw >= 8 and fh >= 8 else None


def _fit(frame: np.ndarray, box: tuple[int, int, int, int], alpha: np.ndarray, heads: list,
         garment_small: np.ndarray | None) -> list[np.ndarray | None]:
    """Per head, the lookup table (`_hist`-shaped uint8: how far a colour is cut, 0..255), or None where no
    hair apart from the background was seen round it, or where the garment is the hair's colour."""
    out: list[np.ndarray | None] = [None] * len(heads)
    bx0, by0, bx1, by1 = box
    fh_, fw_ = frame.shape[:2]
    # (colour statistics: the box at quarter size, the head's window at half size are plenty)
    quarter = cv2.cvtColor(np.ascontiguousarray(frame[by0:by1:4, bx0:bx1:4]), cv2.COLOR_BGR2YCrCb)
    sure = cv2.compare(alpha[::4, ::4], 0.95, cv2.CMP_GE)
    n_sure = cv2.countNonZero(sure)
    if n_sure < 50:
        return out
    h_garment = _hist(quarter, sure)
    # what lies round the garment in its box (the wall beside it, arms)
    behind = cv2.compare(alpha[::4, ::4], 0.0, cv2.CMP_LE)
    h_behind = _hist(quarter, behind) if cv2.countNonZero(behind) >= 50 else None
    for i, head in enumerate(heads):
        if head is None:
            continue
        p, c, fw, fh = head
        # the band round the top of the head, and a ring farther out (the wall beyond the hair), in their own
        # small window of the frame
        g = c + (p - c) * OUTER[1]
        hx0, hy0 = max(0, int(g[:, 0].min())), max(0, int(g[:, 1].min()))
        hx1, hy1 = min(fw_, int(np.ceil(g[:, 0].max())) + 1), min(fh_, int(c[1] + 0.15 * fh))
        if hx1 - hx0 < 4 or hy1 - hy0 < 4:
            continue
        ycc = cv2.cvtColor(np.ascontiguousarray(frame[hy0:hy1:2, hx0:hx1:2]), cv2.COLOR_BGR2YCrCb)
        shape = ycc.shape[:2]
        p2, c2 = (p - np.array([hx0, hy0], np.float32)) * 0.5, (c - np.array([hx0, hy0], np.float32)) * 0.5
        rings = [grown_polygon(p2, c2, k, shape) for k in (1.08, 1.45) + OUTER]
        off = np.ones(shape, np.uint8)
        if garment_small is not None:  # (the mask over the window's even pixels)
            mh, mw = garment_small.shape[:2]
            sx, sy = mw / fw_, mh / fh_
            M = np.array([[2 * sx, 0.0, (hx0 + 0.5) * sx - 0.5], [0.0, 2 * sy, (hy0 + 0.5) * sy - 0.5]])
            on = cv2.warpAffine(garment_small, M, shape[::-1], flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                borderMode=cv2.BORDER_REPLICATE)
            off = cv2.compare(on, 0.5, cv2.CMP_LT) // 255
        band = rings[1] & (1 - rings[0]) & off
        if cv2.countNonZero(band) < MIN_BAND:
            continue
        h_hair = _hist(ycc, band)
        # the band's colours that the background explains (the wall round the head, what lies round the
        # garment) are not the hair's: a garment's edge the wall's colour must not read as hair
        outer = rings[3] & (1 - rings[2]) & off
        for h_bg in ([_hist(ycc, outer)] if cv2.countNonZero(outer) >= MIN_BAND else []) + \
                ([h_behind] if h_behind is not None else []):
            h_hair = np.maximum(h_hair - h_bg, 0.0)
        if float(h_hair.sum()) < MIN_HAIR_SHARE:
            continue  # no hair round this head that the background does not explain
        h_hair /= float(h_hair.sum())
        eps = 0.1 / h_garment.size  # (a floor: a colour seen in neither sample is neither)
        table = np.clip((np.log((h_hair + eps) / (h_garment + eps)) - HAIR_LLR) * (255.0 / HAIR_RAMP), 0, 255)
        table = table.astype(np.uint8)
        if cv2.countNonZero(cv2.compare(_lookup(quarter, table), 0, cv2.CMP_GT) & sure) > GARMENT_IS_HAIR * n_sure:
            continue  # the garment is the hair's colour
        out[i] = table
    return out


def _apply(frame: np.ndarray, box: tuple[int, int, int, int], alpha: np.ndarray, head, table: np.ndarray) -> bool:
    """One head's hair taken out of alpha (in place), below and beside its face; False when there was none
    (fewer than `MIN_HITS`, or `MIN_HITS_SHARE` of the face's area, in the half-size pass). The cut is found at half size (the chroma is no
    finer than that) and brought to full size by a guided filter with the frame's own luma as its guide (the
    filter's coefficients at half size, upsampled: He and Sun's fast guided filter)."""
    p, c, fw, fh = head
    bx0, by0, bx1, by1 = box
    py1 = float(p[:, 1].max())
    # below and beside the face, inside the box, on even frame pixels (the half-size grid)
    zx0, zx1 = max(bx0, int(c[0] - 1.6 * fw)), min(bx1, int(c[0] + 1.6 * fw) + 1)
    zy0, zy1 = max(by0, int(c[1])), min(by1, int(py1 + 2.0 * fh) + 1)
    zx0, zy0 = zx0 + (zx0 - bx0) % 2, zy0 + (zy0 - by0) % 2
    if zx1 - zx0 < 8 or zy1 - zy0 < 8:
        return False
    zone = cv2.cvtColor(np.ascontiguousarray(frame[zy0:zy1:2, zx0:zx1:2]), cv2.COLOR_BGR2YCrCb)
    y, cr, cb = cv2.split(zone)
    sig = CHROMA_SIGMA / 2.0
    cut = _lookup(cv2.merge([y, cv2.GaussianBlur(cr, (0, 0), sig), cv2.GaussianBlur(cb, (0, 0), sig)]), table)
    a_half = alpha[zy0 - by0:zy1 - by0:2, zx0 - bx0:zx1 - bx0:2]
    hits = cv2.compare(cut, 64, cv2.CMP_GT) & cv2.compare(a_half, 0.0, cv2.CMP_GT)
    if cv2.countNonZero(hits) < max(MIN_HITS, MIN_HITS_SHARE * fw * fh / 4.0):
        return False  # (a few hair-coloured pixels along a dark garment's outline are not hair lying on it)
    rx, ry, rw, rh = cv2.boundingRect(hits)
    r = max(1, GUIDE_RADIUS // 2)
    m = 2 * r + 2  # (room for the filter round the hits)
    hx0, hy0 = max(0, rx - m), max(0, ry - m)
    hx1, hy1 = min(cut.shape[1], rx + rw + m), min(cut.shape[0], ry + rh + m)
    guide = y[hy0:hy1, hx0:hx1].astype(np.float32) * (1.0 / 255.0)
    src = cut[hy0:hy1, hx0:hx1].astype(np.float32) * (1.0 / 255.0)
    k = (2 * r + 1, 2 * r + 1)
    mi, ms = cv2.boxFilter(guide, -1, k), cv2.boxFilter(src, -1, k)
    ga = (cv2.boxFilter(guide * src, -1, k) - mi * ms) / (cv2.boxFilter(guide * guide, -1, k) - mi * mi + GUIDE_EPS)
    gb = ms - ga * mi
    # at full size: the frame's own luma through the (smooth) coefficients
    fx0, fy0 = zx0 + 2 * hx0, zy0 + 2 * hy0
    fx1, fy1 = min(zx1, zx0 + 2 * hx1), min(zy1, zy0 + 2 * hy1)
    size = (fx1 - fx0, fy1 - fy0)
    luma = cv2.cvtColor(frame[fy0:fy1, fx0:fx1], cv2.COLOR_BGR2GRAY).astype(np.float32) * (1.0 / 255.0)
    q = (cv2.resize(cv2.boxFilter(ga, -1, k), size, interpolation=cv2.INTER_LINEAR) * luma
         + cv2.resize(cv2.boxFilter(gb, -1, k), size, interpolation=cv2.INTER_LINEAR))
    lo, hi = CUT_STRETCH  # (the blur left a lock partly cut and its gaps a little: both stretched back)
    q = np.clip((q - lo) * (1.0 / (hi - lo)), 0.0, 1.0)
    a = alpha[fy0 - by0:fy1 - by0, fx0 - bx0:fx1 - bx0]
    a *= 1.0 - q
    return True
