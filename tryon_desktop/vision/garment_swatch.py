"""A custom outfit swatch from a photo of a garment: its colour, or a fabric crop the outfit effect tiles.

    find_garment(image)          where the garment is: a product photo (one garment on a plain light
                                 background) or a worn one (a person in the photo), else GarmentNotFoundError
    garment_colour(image, mask)  its colour: the Lab median of its well-lit pixels, as sRGB 8-bit
    default_crop(mask)           the largest square well inside the garment (x, y, side, side)
    fabric_crop(image, box)      that square cut out
    save_custom_swatch(...)      the fabric tile (PNG) and the swatch (custom_outfits.json) written, each
                                 atomically (temporary file + rename), into the user's data folder
    load_custom_swatches(dir)    the saved swatches, bad entries and missing fabric files skipped and reported

Plain numpy + OpenCV; a worn photo also uses the engine's own garment mask (GarmentPerception: the ONNX
segmenter with the faces cut out) and face tracker (MediaPipe). No Qt, no torch.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from tryon_desktop.core.colour import bgr8_to_lab, lab_to_srgb
from tryon_desktop.core.looks import SCALE_RANGE, OutfitSwatch, default_outfit_catalogue
from tryon_desktop.core.media import atomic_write_bytes, encode_image
from tryon_desktop.errors import InputError, LookError, OutputError

log = logging.getLogger(__name__)

AUTO = "auto"
PRODUCT = "product photo"
WORN = "worn"
CUSTOM_FILE = "custom_outfits.json"
FABRIC_DIR = "fabrics"
APP_DIR = ("tryon-desktop", "tryon-desktop")  # Qt's organisation and application names (ui/app.py)
DATA_ENV = "TRYON_DATA_DIR"

WORK_SIDE = 512  # a product photo is segmented at this longest side, the mask then brought to full size
MIN_AREA, MAX_AREA = 0.03, 0.97  # a garment covers this share of the photo
MIN_WORN_AREA = 0.02
TILE_MAX = 512  # a saved fabric tile's most pixels a side (the effect scales it to the body anyway)
SEAM = 0.125  # share of the crop cross-faded with its opposite edge, so the tile repeats without a seam


class GarmentNotFoundError(InputError):
    """The photo holds no garment we can find (blank, noise, a busy scene, a garment too small)."""


@dataclass
class GarmentFind:
    """Where the garment is in a photo. mask: bool (H, W) at the photo's size; box: (x, y, w, h) of the
    mask; how: PRODUCT or WORN; background: the product photo's background colour (sRGB), else None."""

    mask: np.ndarray
    box: tuple[int, int, int, int]
    how: str
    background: tuple[int, int, int] | None = None

    @property
    def area(self) -> float:
        return float(self.mask.mean())


# ---- the user's data folder --------------------------------------------------------------------------------

def user_data_dir() -> Path:
    """Where the app keeps what the user made (custom swatches and their fabric images): $TRYON_DATA_DIR
    when set (tests, portable installs), else the platform's place for application data, the folder Qt's
    QStandardPaths.AppDataLocation names for this app: %APPDATA%/tryon-desktop/tryon-desktop on Windows,
    ~/Library/Application Support/tryon-desktop/tryon-desktop on macOS, $XDG_DATA_HOME (or ~/.local/share)
    /tryon-desktop/tryon-desktop elsewhere. Not created here."""
    env = os.environ.get(DATA_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    home = Path.home()
    if sys.platform.startswith("win"):
        base = Path(os.environ.get("APPDATA") or home / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        xdg = os.environ.get("XDG_DATA_HOME", "").strip()
        base = Path(xdg) if xdg and Path(xdg).is_absolute() else home / ".local" / "share"
    return base.joinpath(*APP_DIR)


# ---- finding the garment -------------------------------------------------------------------------------------

def _box(mask: np.ndarray) -> tuple[int, int, int, int]:
    x, y, w, h = cv2.boundingRect(mask.astype(np.uint8))
    return int(x), int(y), int(w), int(h)


def _largest_parts(fg: np.ndarray, keep: float = 0.25) -> np.ndarray:
    """The largest connected part of a uint8 mask and any other part at least `keep` of its size."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(fg, connectivity=8)
    if n <= 1:
        return np.zeros_like(fg)
    areas = stats[1:, cv2.CC_STAT_AREA]
    big = 1 + np.nonzero(areas >= keep * areas.max())[0]
    return np.isin(labels, big).astype(np.uint8)


def _holes(mask: np.ndarray) -> np.ndarray:
    """uint8 map of what `mask` (uint8 0/1) encloses: not in it and not reachable from the border."""
    h, w = mask.shape
    outside = np.zeros((h + 2, w + 2), np.uint8)
    outside[1:-1, 1:-1] = mask
    flood = np.zeros((h + 4, w + 4), np.uint8)
    cv2.floodFill(outside, flood, (0, 0), 2)
    return (outside[1:-1, 1:-1] == 0).astype(np.uint8)


def _sensible(mask: np.ndarray, min_area: float) -> str | None:
    """Why `mask` is not a garment (too small, too large, a sliver), or None."""
    area = float(mask.mean())
    if area < min_area:
        return "too small"
    if area > MAX_AREA:
        return "fills the whole photo"
    _, _, w, h = _box(mask)
    H, W = mask.shape
    if w < 0.1 * W or h < 0.1 * H:
        return "a sliver"
    return None


def _fill_holes(mask: np.ndarray, d: np.ndarray, plain: float) -> np.ndarray:
    """`mask` (uint8 0/1) with what it encloses filled in (a white print, a light lining), except a sizeable
    enclosed region as plain as the background (median distance `d` from it at most `plain`): the gap
    between an arm and the body."""
    mask = mask.copy()
    n, labels, stats, _ = cv2.connectedComponentsWithStats(_holes(mask), connectivity=4)
    area = int(mask.sum())
    for i in range(1, n):
        hole = labels == i
        if stats[i, cv2.CC_STAT_AREA] > 0.002 * area and float(np.median(d[hole])) <= plain:
            continue
        mask[hole] = 1
    return mask


def _background_model(lab: np.ndarray, known: np.ndarray, bg: np.ndarray) -> np.ndarray:
    """The background's Lab colour at every pixel, carried in from the `known` background pixels of the
    border (a normalised convolution: a Gaussian-weighted mean of the known pixels nearby, an eighth of the
    photo wide, at 64 pixels across): a vignetted or graded studio backdrop is modelled where one colour
    would leave its darker corners as garment, and a plain one comes out exactly plain. `bg` where no
    known pixel is near."""
    h, w = known.shape
    k = 64.0 / max(h, w)
    tw, th = max(8, round(w * k)), max(8, round(h * k))
    tiny = cv2.resize(lab, (tw, th), interpolation=cv2.INTER_AREA)
    weight = (cv2.resize(known.astype(np.uint8), (tw, th), interpolation=cv2.INTER_AREA) > 0).astype(np.float32)
    sigma = max(tw, th) / 8.0
    num = cv2.GaussianBlur(tiny * weight[..., None], (0, 0), sigma)
    den = cv2.GaussianBlur(weight, (0, 0), sigma)[..., None]
    model = np.where(den > 1e-4, num / np.maximum(den, 1e-4), bg.astype(np.float32)).astype(np.float32)
    return cv2.resize(model, (w, h), interpolation=cv2.INTER_LINEAR)


def _threshold(d: np.ndarray, ring: np.ndarray) -> tuple[float, float]:
    """(t, plain) from the border strip's distances to the background: t separates the garment from the
    backdrop's own noise and grading (1.5 x the strip's 95th percentile, plus a hair), `plain` is how far a
    region can be from the background and still be the background showing through."""
    strip = d[ring]
    strip = strip[strip < 10.0]  # not the garment where it touches the edge
    if strip.size == 0:
        return 20.0, 0.5
    t = float(np.clip(1.5 * np.percentile(strip, 95) + 0.8, 0.8, 20.0))
    return t, max(0.5, 1.5 * float(np.percentile(strip, 75)))


RINGING = 0.1  # JPEG ringing beside a contrasting edge: up to this share of the edge's contrast


def _stands_out(d: np.ndarray, t: float) -> np.ndarray:
    """uint8 map of what stands out from the background: d > t and, beside a strong edge, above the edge's
    ringing (RINGING of the largest d within 0.8% of the photo); specks opened away and narrow gaps closed
    (between a print's letters, a zip, a strap)."""
    h, w = d.shape
    r = max(2, round(0.008 * max(h, w)))
    near_max = cv2.dilate(d, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1,) * 2))
    fg = ((d > t) & (d > RINGING * near_max)).astype(np.uint8)
    r = max(1, round(0.004 * max(h, w)))
    fg = cv2.morphologyEx(fg, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1,) * 2))
    r = max(2, round(0.012 * max(h, w)))
    return cv2.morphologyEx(fg, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1,) * 2))


WEAK = 3.0  # near the outline, a pixel within this many thresholds of the background starts as background


def _refine_edge(small: np.ndarray, mask: np.ndarray, strong: np.ndarray,
                 shadow: np.ndarray | None = None) -> np.ndarray:
    """The mask's outline moved onto the garment's own edge by GrabCut in a band about it, where the pixels
    that barely stand out (not `strong`) start as background: what the low threshold took in around the
    garment (a faint drop shadow, JPEG ringing) goes back, and the garment's own light edge stays where its
    colour and outline say so. `shadow` pixels (_shadows) start as background wherever they are."""
    h, w = mask.shape
    r = max(2, round(0.02 * max(h, w)))
    ker = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1,) * 2)
    gc = np.full((h, w), cv2.GC_BGD, np.uint8)
    gc[cv2.dilate(mask, ker) > 0] = cv2.GC_PR_BGD
    gc[(mask > 0) & strong] = cv2.GC_PR_FGD
    gc[cv2.erode(mask, ker) > 0] = cv2.GC_FGD
    if shadow is not None:
        gc[(mask > 0) & shadow] = cv2.GC_PR_BGD
    bgm, fgm = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    try:
        cv2.grabCut(small, gc, None, bgm, fgm, 3, cv2.GC_INIT_WITH_MASK)
    except cv2.error:  # a model it cannot fit (too few pixels of a kind): keep the mask as it was
        return mask
    out = ((gc == cv2.GC_FGD) | (gc == cv2.GC_PR_FGD)).astype(np.uint8)
    return out if out.sum() > 0.5 * mask.sum() else mask


def _shadows(lab: np.ndarray, model: np.ndarray, garment: np.ndarray) -> np.ndarray | None:
    """Where the backdrop shows, plain or in the garment's shadow (bool), or None when that cannot be told:
    its own colour (a*, b* within 4 of the backdrop's), at most 70% of the way down in lightness to the
    garment's. A light neutral garment (white, light grey) looks just like that, so then nothing is."""
    if np.hypot(garment[1], garment[2]) < 10.0 and garment[0] > 55.0:
        return None
    drop = model[..., 0] - lab[..., 0]
    deepest = 0.7 * (model[..., 0] - garment[0])
    return ((np.abs(lab[..., 1] - model[..., 1]) < 4.0) & (np.abs(lab[..., 2] - model[..., 2]) < 4.0)
            & (drop > -3.0) & (drop < deepest))


def _product_mask(image: np.ndarray) -> tuple[np.ndarray, tuple[int, int, int]]:
    """One garment on a plain light background -> (bool mask at the image's size, background sRGB).

    At WORK_SIDE pixels: the background is the median colour of a strip along the four borders (light, and
    most of the strip close to it: a garment may touch the edges); a first pass finds what stands out from
    that one colour, a second from a background model carried in from the strip's pixels away from it (a
    graded backdrop). A pixel further (Lab ΔE76) from the background than the strip's own spread stands out;
    the largest part (and any of comparable size) is kept, its holes filled (`_fill_holes`), its outline
    refined (`_refine_edge`, the backdrop and its shadows, `_shadows`, starting as background). Raises
    GarmentNotFoundError."""
    H, W = image.shape[:2]
    k = min(1.0, WORK_SIDE / max(H, W))
    sharp = cv2.resize(image, (max(1, round(W * k)), max(1, round(H * k))), interpolation=cv2.INTER_AREA) if k < 1 else image
    small = cv2.GaussianBlur(sharp, (3, 3), 0)
    h, w = small.shape[:2]
    lab = bgr8_to_lab(small).astype(np.float32)
    b = max(2, round(0.015 * min(h, w)))
    ring = np.zeros((h, w), bool)
    ring[:b], ring[-b:], ring[:, :b], ring[:, -b:] = True, True, True, True
    bg = np.median(lab[ring], axis=0)
    d = np.linalg.norm(lab - bg, axis=2)
    if (d[ring] < 10.0).mean() < 0.5 or bg[0] < 55.0 or np.hypot(bg[1], bg[2]) > 25.0:
        raise GarmentNotFoundError("the background is not plain and light")
    t, _ = _threshold(d, ring)
    first = cv2.dilate(_stands_out(d, t), np.ones((2 * b + 1, 2 * b + 1), np.uint8))
    model = _background_model(lab, ring & (d < 10.0) & (first == 0), bg)
    d = np.linalg.norm(lab - model, axis=2)
    t, plain = _threshold(d, ring & (first == 0))
    mask = _largest_parts(_stands_out(d, t))
    if not mask.any():
        raise GarmentNotFoundError("nothing stands out from the background")
    mask = _fill_holes(mask, d, plain)
    shadow = _shadows(lab, model, _main_lab(small, mask > 0))
    mask = _fill_holes(_largest_parts(_refine_edge(sharp, mask, d > WEAK * t, shadow)), d, plain)
    why = _sensible(mask, MIN_AREA)
    if why:
        raise GarmentNotFoundError(f"what stands out from the background is {why}")
    if k < 1:
        full = cv2.resize(mask * 255, (W, H), interpolation=cv2.INTER_LINEAR) > 127
    else:
        full = mask.astype(bool)
    rgb = np.clip(np.round(lab_to_srgb(bg.astype(np.float64)) * 255.0), 0, 255).astype(int)
    return full, (int(rgb[0]), int(rgb[1]), int(rgb[2]))


class GarmentFinder:
    """Finds the garment in photos; holds the face tracker and the engine's garment mask (loaded on the
    first photo that needs them) for the photos after it. close() frees them."""

    def __init__(self, garment_model: str | Path | None = "auto") -> None:
        self.garment_model = garment_model
        self._tracker = None
        self._perception = None

    def _faces(self, image: np.ndarray) -> list:
        if self._tracker is None:
            from tryon_desktop.vision.face_tracker import FaceTracker

            self._tracker = FaceTracker(max_faces=2, video=False)
        return self._tracker.track(image)

    def _worn_mask(self, image: np.ndarray, faces: list) -> np.ndarray:
        """The garment mask the engine computes for this photo (faces cut out), as bool at the photo's size."""
        from tryon_desktop.engine import GarmentPerception
        from tryon_desktop.vision.garment_mask import upsample

        if self._perception is None:
            self._perception = GarmentPerception(self.garment_model, video=False)
        self._perception.reset()
        prob = self._perception(image, None, faces)  # None: a still photo, no smoothing over time
        if prob is None:
            raise GarmentNotFoundError(self._perception.notice or "no garment mask model")
        full = upsample(prob, (image.shape[1], image.shape[0]))
        mask = _largest_parts((full > 0.5).astype(np.uint8))
        why = _sensible(mask, MIN_WORN_AREA)
        if why:
            raise GarmentNotFoundError(f"the garment worn is {why}")
        if float(full[mask > 0].mean()) < 0.7:
            raise GarmentNotFoundError("the garment mask is unsure")
        return mask.astype(bool)

    def find(self, image: np.ndarray, how: str = AUTO) -> GarmentFind:
        """A product photo or a worn garment -> GarmentFind; GarmentNotFoundError saying why not.

        how=AUTO: a face in the photo means a person, so the worn garment is looked for first (a studio
        photo of a model on white would otherwise give the whole person as the garment). Without one, the
        product photo first; a person whose face is too small for the tracker (a full-length shot) is told
        apart from a garment by the engine's garment mask, which looks for a head above what it finds. A
        person whose head is out of the frame, on a plain light backdrop, reads as a product photo: the
        user can ask for PRODUCT or WORN instead."""
        if how not in (AUTO, PRODUCT, WORN):
            raise ValueError(f"how must be {AUTO!r}, {PRODUCT!r} or {WORN!r}, got {how!r}")
        if not isinstance(image, np.ndarray) or image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise InputError("expected an HxWx3 8-bit colour image")
        if min(image.shape[:2]) < 32:
            raise GarmentNotFoundError(f"the photo is too small ({image.shape[1]}x{image.shape[0]})")
        if how == PRODUCT:
            try:
                mask, bg = _product_mask(image)
            except GarmentNotFoundError as exc:
                raise GarmentNotFoundError(f"no garment found as a product photo: {exc}") from None
            return GarmentFind(mask, _box(mask), PRODUCT, bg)
        faces = self._faces(image)
        if how == WORN:
            try:
                return self._worn(image, faces)
            except GarmentNotFoundError as exc:
                raise GarmentNotFoundError(f"no garment found as worn: {exc}") from None
        reasons = []
        if faces:
            try:
                return self._worn(image, faces)
            except GarmentNotFoundError as exc:
                reasons.append(f"as worn: {exc}")
        try:
            mask, bg = _product_mask(image)
        except GarmentNotFoundError as exc:
            reasons.append(f"as a product photo: {exc}")
        else:
            if not faces:
                try:
                    worn = self._worn(image, faces)
                except GarmentNotFoundError:
                    worn = None
                if worn is not None and getattr(self._perception, "small_face", None) is not None:
                    return worn  # a head above the garment: a person, not a garment on its own
            return GarmentFind(mask, _box(mask), PRODUCT, bg)
        if not faces:
            try:
                return self._worn(image, faces)
            except GarmentNotFoundError as exc:
                reasons.append(f"as worn: {exc}")
        raise GarmentNotFoundError("no garment found (" + "; ".join(reasons) + "). Use a photo of one garment "
                                   "on a plain light background, or of a person wearing it")

    def _worn(self, image: np.ndarray, faces: list) -> GarmentFind:
        mask = self._worn_mask(image, faces)
        return GarmentFind(mask, _box(mask), WORN)

    def close(self) -> None:
        if self._tracker is not None:
            self._tracker.close()
            self._tracker = None
        if self._perception is not None:
            self._perception.close()
            self._perception = None

    def __enter__(self) -> GarmentFinder:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def find_garment(image_bgr: np.ndarray, finder: GarmentFinder | None = None, how: str = AUTO) -> GarmentFind:
    """Where the garment is in `image_bgr` (see GarmentFinder.find); pass a finder to reuse its models."""
    if finder is not None:
        return finder.find(image_bgr, how)
    with GarmentFinder() as own:
        return own.find(image_bgr, how)


# ---- colour and fabric -------------------------------------------------------------------------------------

def shoulder_width(mask: np.ndarray) -> float:
    """The garment's width across the shoulders, measured as the outfit effect measures the wearer's."""
    from tryon_desktop.effects.outfit import shoulder_width as measure

    return measure(np.asarray(mask, np.float32))


def _inner(mask: np.ndarray, share: float) -> np.ndarray:
    """`mask` (bool) shrunk by `share` of its shoulder width (kept as it is when that leaves too little)."""
    m = np.asarray(mask, bool).astype(np.uint8)
    r = int(round(share * shoulder_width(m)))
    if r < 1:
        return m.astype(bool)
    inner = cv2.erode(m, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1)))
    return inner.astype(bool) if inner.sum() >= 0.15 * m.sum() else m.astype(bool)


SAME_COLOUR = 12.0  # ΔE76 between colour groups that count as one colour (its light and shade)


def _groups(lab: np.ndarray, k: int = 4, iters: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """(labels, centres): a small deterministic k-means in Lab (farthest-point start from the median)."""
    centres = [np.median(lab, axis=0)]
    for _ in range(k - 1):
        dist = np.min([np.linalg.norm(lab - c, axis=1) for c in centres], axis=0)
        if dist.max() < SAME_COLOUR / 2:
            break
        centres.append(lab[int(np.argmax(dist))])
    c = np.array(centres)
    for _ in range(iters):
        labels = np.argmin(np.linalg.norm(lab[:, None, :] - c[None], axis=2), axis=1)
        c = np.array([lab[labels == i].mean(axis=0) if np.any(labels == i) else c[i] for i in range(len(c))])
    return labels, c


def garment_colour(image: np.ndarray, mask: np.ndarray) -> tuple[int, int, int]:
    """The garment's colour as sRGB 8-bit (R, G, B): the per-channel median in CIE Lab of its well-lit
    pixels of its main colour. Well lit: away from its edges (the mask shrunk by 3% of the shoulder width),
    lightness between its 15th and 90th percentiles, so deep shadows in the folds, specular highlights and
    clipped whites do not pull it. Main colour: of a print or a colour-blocked top, the largest group of
    similar colours (k-means in Lab, groups closer than SAME_COLOUR merged as one colour's light and shade),
    not the mud a median over red, white and navy would give."""
    rgb = np.clip(np.round(lab_to_srgb(_main_lab(image, mask)) * 255.0), 0, 255).astype(int)
    return int(rgb[0]), int(rgb[1]), int(rgb[2])


def _main_lab(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """garment_colour's colour in Lab (float64 triple)."""
    inner = _inner(mask, 0.03)
    px = image[inner]
    if len(px) == 0:
        raise GarmentNotFoundError("the garment mask is empty")
    if len(px) > 20_000:  # an even sample: the same colour, a fraction of the time
        px = px[:: len(px) // 20_000]
    lab = bgr8_to_lab(px)
    lo, hi = np.percentile(lab[:, 0], [15, 90])
    lit = lab[(lab[:, 0] >= lo) & (lab[:, 0] <= hi)]
    if len(lit) < 16:
        lit = lab
    labels, centres = _groups(lit)
    # merge groups of one colour (chains of centres closer than SAME_COLOUR), then take the largest
    group = list(range(len(centres)))
    for i in range(len(centres)):
        for j in range(i):
            if np.linalg.norm(centres[i] - centres[j]) < SAME_COLOUR:
                old, new = group[i], group[j]
                group = [new if g == old else g for g in group]
    merged = np.array(group)[labels]
    best = np.bincount(merged).argmax()
    return np.median(lit[merged == best], axis=0)


def default_crop(mask: np.ndarray, image: np.ndarray | None = None) -> tuple[int, int, int, int]:
    """The fabric crop offered first: (x, y, side, side), the largest square inside the garment once its
    edges are kept off (the mask shrunk by 4% of the shoulder width: seams, collars, outline shadows), at
    most half the shoulder width a side. Of the squares nearly as large (75%): given the `image`, those
    showing most of the garment's main colour (garment_colour: the plain body of a tee rather than its
    logo, the cloth rather than a shadow the mask took in), and of those the one nearest the garment's
    middle, 40% of the way down (its front: a side seam or a sleeve is a worse sample, and of trousers,
    the gap between the legs). A garment too thin for any square inside gets one centred on it."""
    m = np.asarray(mask, bool)
    if not m.any():
        raise GarmentNotFoundError("the garment mask is empty")
    sw = max(shoulder_width(m), 1.0)
    inner = _inner(m, 0.04).astype(np.uint8)
    H, W = m.shape
    k = min(1.0, WORK_SIDE / max(H, W))  # the search at a working size, the box in full pixels
    size = (max(1, round(W * k)), max(1, round(H * k)))
    small = cv2.resize(inner * 255, size, interpolation=cv2.INTER_AREA) > 127 if k < 1 else inner.astype(bool)
    pad = np.pad(small.astype(np.uint8), 1)  # the photo's edge counts as the garment's edge
    dist = cv2.distanceTransform(pad, cv2.DIST_C, 3)[1:-1, 1:-1]  # chessboard: half the side of a square
    dist = np.minimum(dist, 0.25 * sw * k)
    ys, xs = np.nonzero(m)
    _, y0b, _, hb = _box(m)
    cx, cy = xs.mean() * k, (y0b + 0.4 * hb) * k  # the middle of the chest (of trousers: the hips, not the crotch)
    best = float(dist.max())
    if best < 1.0:
        half = max(4.0, 0.1 * sw) / k
        x0, y0 = int(round(cx / k - half)), int(round(cy / k - half))
        return _clamp_box((x0, y0, max(8, int(round(2 * half))), 0), W, H)
    cand_y, cand_x = np.nonzero(dist >= (0.75 if image is not None else 0.9) * best)
    if image is not None:
        img_small = cv2.resize(image, size, interpolation=cv2.INTER_AREA) if k < 1 else image
        near = np.linalg.norm(bgr8_to_lab(img_small) - _main_lab(image, m), axis=2) < 15.0
        side = max(1, int(round(1.5 * best)))
        share = cv2.boxFilter(near.astype(np.float32), -1, (side, side))[cand_y, cand_x]
        keep = share >= share.max() - 0.05
        cand_y, cand_x = cand_y[keep], cand_x[keep]
    i = int(np.argmin((cand_x - cx) ** 2 + (cand_y - cy) ** 2))
    half = (float(dist[cand_y[i], cand_x[i]]) - 0.5) / k
    x0 = int(round((cand_x[i] + 0.5) / k - half))
    y0 = int(round((cand_y[i] + 0.5) / k - half))
    return _clamp_box((x0, y0, max(8, int(round(2 * half))), 0), W, H)


def _clamp_box(box, W: int, H: int) -> tuple[int, int, int, int]:
    x, y, s, _ = (int(round(v)) for v in box)
    s = max(1, min(s, W, H))
    return min(max(0, x), W - s), min(max(0, y), H - s), s, s


def fabric_crop(image: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """The square `box` = (x, y, side, side) of `image` (a copy), moved inside the image if it sticks out."""
    if image is None or image.ndim != 3 or image.size == 0:
        raise InputError("no image to crop")
    H, W = image.shape[:2]
    if len(tuple(box)) != 4 or min(int(box[2]), int(box[3])) < 4:
        raise LookError("the fabric crop is too small")
    x, y, s, _ = _clamp_box(box, W, H)
    return image[y:y + s, x:x + s].copy()


def _seam_period(f: np.ndarray, m: int) -> int:
    """Along axis 1 of `f` (n wide): the repeat p in [n/2, n - m] whose next m columns look most like the
    first m (mean absolute difference), so a stripe or a check meets itself where the tile wraps round."""
    n = f.shape[1]
    head = f[:, :m]
    lo = max(m, n // 2)
    costs = [float(np.mean(np.abs(f[:, p:p + m] - head))) for p in range(lo, n - m + 1)]
    if not costs:
        return n - m
    best = int(np.argmin(costs))
    # prefer the largest repeat among those nearly as good (a plain weave matches everywhere)
    good = [i for i, c in enumerate(costs) if c <= costs[best] * 1.05 + 0.5]
    return lo + max(good)


def _wrap_axis1(f: np.ndarray, m: int) -> np.ndarray:
    """`f` cut to a repeat along axis 1 (_seam_period) with its first m columns cross-faded into the m
    after the repeat's end, so the last column of the result runs on into its first."""
    p = _seam_period(f, m)
    t = ((np.arange(m, dtype=np.float32) + 0.5) / m)[None, :, None]
    out = f[:, :p].copy()
    out[:, :m] = f[:, p:p + m] * (1 - t) + f[:, :m] * t
    return out


def fabric_tile(crop: np.ndarray) -> tuple[np.ndarray, int]:
    """(tile, repeat_px): a fabric crop made into a tile the effect can repeat, and the tile's width in the
    crop's (the photo's) pixels, what fabric_scale measures. The tile: its lighting gradient (a plane fitted to its
    log luminance) divided out, since the effect shades the print with the wearer's own light; cut, each
    way, to the repeat that best matches the crop's own start (a stripe's or a check's period) and its edges
    cross-faded over SEAM of the crop with what follows the repeat, so the tiles meet without a seam; at
    most TILE_MAX pixels a side."""
    f = crop.astype(np.float32) + 1.0
    h, w = f.shape[:2]
    lum = np.log(f.mean(axis=2))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    yy, xx = yy / max(h - 1, 1) - 0.5, xx / max(w - 1, 1) - 0.5
    A = np.stack([np.ones(h * w, np.float32), xx.ravel(), yy.ravel()], axis=1)
    coef, *_ = np.linalg.lstsq(A, lum.ravel(), rcond=None)
    f *= np.exp(-(coef[1] * xx + coef[2] * yy))[..., None]  # the slope taken out, the mean level kept
    m = int(round(SEAM * min(h, w)))
    if m >= 2:
        f = _wrap_axis1(f, m)
        f = _wrap_axis1(f.transpose(1, 0, 2), m).transpose(1, 0, 2)
    tile = np.ascontiguousarray(np.clip(f - 1.0 + 0.5, 0, 255).astype(np.uint8))
    repeat_px = tile.shape[1]
    k = TILE_MAX / max(tile.shape[:2])
    if k < 1.0:
        tile = cv2.resize(tile, (max(1, round(tile.shape[1] * k)), max(1, round(tile.shape[0] * k))),
                          interpolation=cv2.INTER_AREA)
    return tile, repeat_px


def fabric_scale(mask: np.ndarray, tile_px: float) -> float:
    """The swatch's `scale` for a tile `tile_px` photo pixels wide: that width over the garment's shoulder
    width in the same photo. The effect draws one repeat `scale` x the wearer's shoulder width wide (both
    measured by the same shoulder_width on each garment's mask), so the weave, stripes or print come out
    as large on the wearer, relative to their shoulders, as on the garment in the photo: a 6 cm stripe
    repeat on a 45 cm wide shirt stays 6 cm on a wearer of that size whatever the photo's resolution. A
    laid-flat garment's width is about the worn one's (a flat tee's chest is half its circumference, close
    to the shoulder width), so no other guess is made. Clipped to the swatch's allowed range."""
    sw = shoulder_width(mask)
    if sw <= 0:
        raise GarmentNotFoundError("the garment mask is empty")
    return float(np.clip(tile_px / sw, *SCALE_RANGE))


# ---- the custom swatch store ---------------------------------------------------------------------------------

def _store(store_dir: str | os.PathLike | None) -> Path:
    return Path(store_dir).expanduser() if store_dir not in (None, "") else user_data_dir()


def _read_entries(store: Path, problems: list[str] | None = None) -> list:
    """The raw entries of the store's JSON ([] when there is none). A file that is not ours (corrupt,
    not a list) is moved aside as custom_outfits.unreadable-<time>.json and reported, never overwritten."""
    path = store / CUSTOM_FILE
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        entries = data.get("swatches") if isinstance(data, dict) else None
        if not isinstance(entries, list):
            raise ValueError("no list under 'swatches'")
        return entries
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        if problems is None:  # reading to write: keep the bad file for the user, start a fresh list
            aside = path.with_name(f"custom_outfits.unreadable-{time.strftime('%Y%m%d-%H%M%S')}.json")
            try:
                os.replace(path, aside)
            except OSError as err:
                raise OutputError(f"{path} is unreadable ({exc}) and cannot be moved aside: {err.strerror}") from None
            log.warning("%s was unreadable (%s): moved aside to %s", path, exc, aside.name)
            return []
        problems.append(f"{path.name} is unreadable: {exc}")
        return []


def _resolve(entry: dict, store: Path) -> OutfitSwatch:
    sw = OutfitSwatch.from_dict(entry)
    if sw.pattern and not Path(sw.pattern).is_absolute() and Path(sw.pattern).suffix:
        sw = sw.with_(pattern=str(store / sw.pattern))  # fabric files are kept relative to the store
    if sw.pattern and Path(sw.pattern).suffix:
        if not Path(sw.pattern).is_file():
            raise LookError(f"its fabric image {Path(sw.pattern).name} is missing")
    return sw


def load_custom_swatches(store_dir: str | os.PathLike | None = None) -> tuple[list[OutfitSwatch], list[str]]:
    """(swatches, problems): the custom outfit swatches saved in `store_dir` (default user_data_dir()), their
    fabric paths made absolute; an entry that does not parse, repeats a name or whose fabric image is gone
    is skipped and described in `problems` (one line each), the file left as it is."""
    store = _store(store_dir)
    problems: list[str] = []
    out: list[OutfitSwatch] = []
    seen: set[str] = set()
    for i, entry in enumerate(_read_entries(store, problems)):
        label = entry.get("name", "?") if isinstance(entry, dict) else "?"
        try:
            sw = _resolve(entry, store)
        except LookError as exc:
            problems.append(f"custom outfit {i + 1} ({label}) skipped: {exc}")
            continue
        if sw.name.casefold() in seen:
            problems.append(f"custom outfit {i + 1} ({label}) skipped: the name is used twice")
            continue
        seen.add(sw.name.casefold())
        out.append(sw)
    for p in problems:
        log.warning(p)
    return out, problems


def _unique_name(name: str, entries: list) -> str:
    taken = {str(e.get("name", "")).casefold() for e in entries if isinstance(e, dict)}
    taken |= {s.name.casefold() for s in default_outfit_catalogue()}
    if name.casefold() not in taken:
        return name
    i = 2
    while f"{name} ({i})".casefold() in taken:
        i += 1
    return f"{name} ({i})"


def _slug(name: str) -> str:
    s = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower()[:40]
    return s or "fabric"


def save_custom_swatch(name: str, image: np.ndarray, mask: np.ndarray, crop_box: tuple[int, int, int, int],
                       store_dir: str | os.PathLike | None = None, use: str = "fabric",
                       source: str | None = None) -> OutfitSwatch:
    """Save a custom outfit swatch made from a garment photo and return it.

    use="colour": the garment's colour (garment_colour); use="fabric": the crop `crop_box` made into a tile
    (fabric_tile), written as a PNG under <store>/fabrics/, at the scale fabric_scale gives. The swatch is
    appended to <store>/custom_outfits.json (a name already taken gets " (2)", ...). Every file is written to
    a temporary name and renamed into place, the fabric image before the list that names it (and removed
    again when the list cannot be written), so a crash or a full disk leaves the earlier swatches as they
    were and no half-written file. Raises OutputError (cannot write), LookError (bad name or crop)."""
    name = " ".join(str(name or "").split())
    if not name:
        raise LookError("give the swatch a name")
    if use not in ("colour", "fabric"):
        raise LookError(f"use must be 'colour' or 'fabric', got {use!r}")
    store = _store(store_dir)
    m = np.asarray(mask, bool)
    if m.shape != image.shape[:2] or not m.any():
        raise GarmentNotFoundError("no garment to take a swatch from")
    colour = garment_colour(image, m)
    try:
        store.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the folder {store}: {exc.strerror or exc}") from None
    entries = _read_entries(store)
    name = _unique_name(name, entries)
    written: Path | None = None
    if use == "colour":
        sw = OutfitSwatch(name=name, rgb=colour, family="custom")
        entry = sw.to_dict()
    else:
        crop = fabric_crop(image, crop_box)
        tile, repeat_px = fabric_tile(crop)
        scale = round(fabric_scale(m, repeat_px), 4)  # as the list keeps it
        rel = f"{FABRIC_DIR}/{_slug(name)}-{secrets.token_hex(3)}.png"
        written = store / rel
        try:
            written.parent.mkdir(exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot create the folder {written.parent}: {exc.strerror or exc}") from None
        atomic_write_bytes(written, encode_image(tile, ".png"))
        sw = OutfitSwatch(name=name, pattern=str(written), scale=scale, family="custom")
        entry = {**sw.to_dict(), "pattern": rel, "colour": "#{:02X}{:02X}{:02X}".format(*colour)}
    if source:
        entry["source"] = Path(source).name
    data = {"version": 1, "swatches": [*entries, entry]}
    try:
        atomic_write_bytes(store / CUSTOM_FILE, (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    except BaseException:
        if written is not None:
            try:
                written.unlink()
            except OSError:
                pass
        raise
    return sw


def swatch_from_photo(path: str | os.PathLike, name: str | None = None, store_dir: str | os.PathLike | None = None,
                      use: str = "fabric", how: str = AUTO, finder: GarmentFinder | None = None) -> OutfitSwatch:
    """A photo file -> a saved custom swatch, in one go: the garment found, its default crop, saved under
    `name` (the file's name by default). Raises InputError (unreadable, not an image), GarmentNotFoundError,
    OutputError; nothing is written unless it all works."""
    from tryon_desktop.core.media import read_image

    path = Path(path)
    image = read_image(path).bgr
    found = find_garment(image, finder, how)
    return save_custom_swatch(name or default_name(path), image, found.mask, default_crop(found.mask, image),
                              store_dir, use=use, source=str(path))


def default_name(path: str | os.PathLike) -> str:
    """A swatch name from a photo's file name: 'navy_linen-shirt.jpg' -> 'navy linen shirt'."""
    stem = re.sub(r"[_\-.]+", " ", Path(path).stem).strip()
    return " ".join(stem.split())[:60] or "Garment"
